/*
 * NAME
 *	match_literal.c - the literal bytes an fnmatch or regex pattern requires
 * SYNOPSIS
 *	#include "store/match.h"
 * DESCRIPTION
 *	The matcher (match_set.c) indexes each pattern by bytes that every
 *	subject it matches must contain.  Getting this wrong would lose
 *	matches, so both scans are conservative: whatever they do not
 *	fully understand ends the current literal run or, for regexes,
 *	gives up on the pattern (LIT_NONE: tried on every subject).
 *
 *	fnmatch(3), C locale, no FNM_PATHNAME/FNM_PERIOD/FNM_NOESCAPE: a
 *	literal byte matches one byte (ASCII-folded under FNM_CASEFOLD);
 *	'\' escapes the next byte; '*' and '?' split segments; the scan
 *	stops at '[' (a bracket expression, or a literal '[' when it is
 *	not closed).
 *
 *	PCRE2 (UTF, caseless when the set folds): only runs at the top
 *	level count, since a group may be optional or alternated.  A '|'
 *	at the top level, "(?" other than "(?:", "(*" and "\Q" give up.
 *	A quantifier drops the byte before it; escapes with a letter or
 *	digit (\d, \x41, \p{L}, \g-1 ...) end the run with their
 *	arguments; non-ASCII bytes end the run (caseless UTF matching
 *	relates them to other bytes), and so do k and s when caseless
 *	(PCRE2 matches them to U+212A KELVIN SIGN and U+017F LONG S).
 */
#include <string.h>

#include "store/match.h"

#define RUN_MAX	(sizeof(((struct match_literal *)0)->buf))

/* A literal being collected, and the longest one so far. */
struct runs {
	char run[RUN_MAX], best[RUN_MAX];
	size_t rl, bl;
};

/* run_end - keep the current run if it is the longest; start anew. */
static void run_end(struct runs *r)
{
	if (r->rl > r->bl) {
		memcpy(r->best, r->run, r->rl);
		r->bl = r->rl;
	}
	r->rl = 0;
}

/* run_add - one more byte; a run that fills the buffer ends there. */
static void run_add(struct runs *r, char c)
{
	if (r->rl == RUN_MAX)
		run_end(r);
	r->run[r->rl++] = c;
}

static void set_literal(struct match_literal *out, const char *s,
			size_t len, int where)
{
	memcpy(out->buf, s, len);
	out->s = out->buf;
	out->len = len;
	out->where = len ? where : LIT_NONE;
}

/*
 * fnmatch_choose - which literal indexes the pattern: a prefix of two
 *	bytes or more (anchored, and seldom shared: "d1*.example"), else
 *	the longer of the suffix and the longest inner segment ("*@d1.
 *	exam?le" has the suffix "le", which many patterns share).
 */
static void fnmatch_choose(const char *pre, size_t pl, const char *suf,
			   size_t sl, const char *mid, size_t ml,
			   struct match_literal *out)
{
	if (pl >= 2 || (pl && !sl && !ml))
		set_literal(out, pre, pl, LIT_PREFIX);
	else if (sl && sl >= ml)
		set_literal(out, suf, sl, LIT_SUFFIX);
	else
		set_literal(out, mid, ml, LIT_ANY);
}

void match_literal_fnmatch(const char *p, size_t len,
			   struct match_literal *out)
{
	struct runs r = { .rl = 0 };
	char pre[RUN_MAX];
	size_t pl = 0, i = 0;
	bool meta = false;

	while (i < len && r.rl < RUN_MAX) {
		char c = p[i];

		if (c == '*' || c == '?') {
			if (!meta) {
				memcpy(pre, r.run, r.rl);
				pl = r.rl;
				r.rl = 0;	/* the prefix is not inner */
			}
			meta = true;
			run_end(&r);
			i++;
			continue;
		}
		if (c == '[' || (c == '\\' && i + 1 == len))
			break;
		if (c == '\\')
			c = p[++i];
		run_add(&r, c);
		i++;
	}
	if (!meta) {			/* literal up to '[', or all of it */
		set_literal(out, r.run, r.rl, LIT_PREFIX);
		return;
	}
	if (i == len)			/* the run is the suffix */
		fnmatch_choose(pre, pl, r.run, r.rl, r.best, r.bl, out);
	else {
		run_end(&r);
		fnmatch_choose(pre, pl, "", 0, r.best, r.bl, out);
	}
}

/* skip_class - the index after the class opening at p[i], or 0. */
static size_t skip_class(const char *p, size_t len, size_t i)
{
	size_t j = i + 1;

	if (j < len && p[j] == '^')
		j++;
	if (j < len && p[j] == ']')
		j++;
	while (j < len) {
		if (p[j] == '\\')
			j += 2;
		else if (p[j] == '[' && j + 1 < len &&
			 strchr(":.=", p[j + 1])) {
			const char end[3] = { p[j + 1], ']', '\0' };
			const char *e = memmem(p + j + 2, len - j - 2, end, 2);
			if (!e)
				return 0;
			j = (size_t)(e - p) + 2;
		} else if (p[j] == ']')
			return j + 1;
		else
			j++;
	}
	return 0;
}

static bool is_alnum(unsigned char c)
{
	return (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z');
}

/*
 * skip_escape - the index after the escape at p[i] ('\' then a letter
 *	or digit) with its arguments; 0 when it is one the scan refuses.
 */
static size_t skip_escape(const char *p, size_t len, size_t i)
{
	static const char close[] = "{}<>''";
	char d = p[i + 1];
	size_t j = i + 2;

	if (d == 'Q' || d == 'E')
		return 0;
	if (d == 'c')
		j++;
	if (d == 'g' && j < len && (p[j] == '-' || p[j] == '+'))
		j++;
	while (j < len && is_alnum((unsigned char)p[j]))
		j++;
	if (j < len && strchr("{<'", p[j])) {
		const char *o = strchr(close, p[j]);
		const char *e = memchr(p + j + 1, o[1], len - j - 1);
		if (!e)
			return 0;
		j = (size_t)(e - p) + 1;
	}
	return j;
}

/* caseless_unsafe - does a caseless UTF match relate c to other bytes? */
static bool caseless_unsafe(unsigned char c, bool fold)
{
	return c >= 0x80 || (fold && ((c | 0x20) == 'k' || (c | 0x20) == 's'));
}

/*
 * regex_top - one step at the top level from p[*i]; false when the
 *	pattern is outside the scan (then the caller gives up).
 */
static bool regex_top(const char *p, size_t len, size_t *i, bool fold,
		      struct runs *r, int *depth)
{
	unsigned char c = (unsigned char)p[*i];
	size_t j;

	switch (c) {
	case '|': case ')':
		return false;
	case '(':
		if (*i + 1 < len && (p[*i + 1] == '*' ||
		    (p[*i + 1] == '?' && (*i + 2 >= len || p[*i + 2] != ':'))))
			return false;
		run_end(r);
		(*depth)++;
		(*i)++;
		return true;
	case '[':
		run_end(r);
		return (*i = skip_class(p, len, *i)) != 0;
	case '*': case '?': case '+': case '{':
		if (r->rl)
			r->rl--;
		run_end(r);
		if (c != '{') {
			(*i)++;
			return true;
		}
		/* Anything but {n}, {n,}, {n,m}, {,m} is read as literal
		 * bytes by PCRE2, '|' included: give up on it. */
		j = *i + 1;
		while (j < len && p[j] && strchr("0123456789, ", p[j]))
			j++;
		*i = j + 1;
		return j < len && p[j] == '}';
	case '.': case '^': case '$':
		run_end(r);
		(*i)++;
		return true;
	case '\\':
		if (*i + 1 >= len)
			return false;
		c = (unsigned char)p[*i + 1];
		if (is_alnum(c)) {
			run_end(r);
			return (*i = skip_escape(p, len, *i)) != 0;
		}
		(*i)++;
		if (caseless_unsafe(c, fold)) {
			run_end(r);
			return true;	/* the byte is read next as itself */
		}
		run_add(r, (char)c);
		(*i)++;
		return true;
	}
	if (caseless_unsafe(c, fold))
		run_end(r);
	else
		run_add(r, (char)c);
	(*i)++;
	return true;
}

/* regex_nested - one step inside a group: count parentheses only. */
static bool regex_nested(const char *p, size_t len, size_t *i, int *depth)
{
	switch (p[*i]) {
	case '(':
		(*depth)++;
		break;
	case ')':
		(*depth)--;
		break;
	case '[':
		return (*i = skip_class(p, len, *i)) != 0;
	case '\\':
		(*i)++;
		break;
	}
	(*i)++;
	return true;
}

void match_literal_regex(const char *p, size_t len, bool fold,
			 struct match_literal *out)
{
	struct runs r = { .rl = 0 };
	int depth = 0;
	size_t i = 0;

	out->where = LIT_NONE;
	out->len = 0;
	if (memmem(p, len, "\\Q", 2))
		return;
	while (i < len) {
		bool ok = depth ? regex_nested(p, len, &i, &depth)
				: regex_top(p, len, &i, fold, &r, &depth);
		if (!ok)
			return;
	}
	run_end(&r);
	set_literal(out, r.best, r.bl, LIT_ANY);
}
