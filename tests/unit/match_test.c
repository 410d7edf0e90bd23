/*
 * NAME
 *	match_test - the prefiltered pattern walk against the plain one
 * SYNOPSIS
 *	match_test [SEED]
 * DESCRIPTION
 *	Builds pseudo-random pattern sets (seeded: the same run every
 *	time unless SEED is given) of every type and shape: exact, substr,
 *	fnmatch with '*', '?', brackets and escapes (prefix, suffix and
 *	inner literals), regexes with anchors, groups, alternations,
 *	quantifiers, escapes and inline options; folding and case-exact
 *	sets; the same pattern several times (ties keep index order).
 *	Pieces include non-ASCII UTF-8, bytes that are not UTF-8, and
 *	U+212A KELVIN SIGN and U+017F LONG S, which PCRE2 matches to k and
 *	s without case.  For 100000 subjects (half of them made from a
 *	pattern of the set, so that many match) the walk of
 *	pattern_set_next must list exactly the indexes that
 *	pattern_set_next_reference lists, in the same order.
 *
 *	Patterns grouped by the subject they name (rewrite triggers and
 *	message properties): random groups under up to 20 names (so that
 *	some messages have more than a walk merges), names in any case,
 *	messages with any of them, some twice; the merged walk of
 *	pattern_groups_walk must list exactly the ranks that
 *	pattern_groups_next_reference lists.
 *
 *	Then fixed cases: each common shape is found, and a subject no
 *	pattern can match has no candidate (the prefilter is used).
 * DIAGNOSTICS
 *	TAP lines through check.h; the first difference is printed with
 *	the set, the subject and both walks.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "store/match.h"
#include "check.h"

#define SETS		400
#define SUBJECTS	250	/* per set: 100000 in all */
#define PATTERNS	24	/* per set, at most */
#define TEXT_MAX	160
#define WALK_MAX	(PATTERNS + 1)

static uint64_t rng;

static uint64_t next_random(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static unsigned pick(unsigned n)
{
	return (unsigned)(next_random() % n);
}

/* Literal pieces of subjects and patterns. */
static const char *const pieces[] = {
	"a", "b", "k", "K", "s", "S", ".", "@", "-", "x", "example", ".com",
	"d1", "d12", "Mail", "\xc3\xa9", "\xc3\x89", "\xe2\x84\xaa",
	"\xc5\xbf", "\xff", "EXAMPLE", "{", "}", "]", "(", ")",
};

static const char *const fn_meta[] = {
	"*", "*", "?", "[ab]", "[!a]", "[[:alpha:]]", "\\*", "\\.", "\\k",
	"[", "\\",
};

static const char *const re_meta[] = {
	".", "^", "$", "\\.", "*", "+", "?", "{1,2}", "{2}", "(a|b)", "(?:x)",
	"[a-z]", "\\d", "\\w", "(?i)", "|", "\\x41", "\\x{6b}", "k?", "s*",
	"\\Qa.b\\E", "[[:alpha:]]", "(?=a)", "\\b", "\\K", "\\cA", "\\g1",
	"(x)", "\\p{L}", "\\S+", ".*", "\\@", "[\\]k]",
};

#define NELEM(a) (sizeof(a) / sizeof(*(a)))

/* append - add s to out (len *n), while it fits. */
static void append(char *out, size_t *n, const char *s)
{
	size_t l = strlen(s);

	if (*n + l < TEXT_MAX) {
		memcpy(out + *n, s, l);
		*n += l;
	}
	out[*n] = '\0';
}

/* random_text - pieces, with metacharacters one time in meta. */
static size_t random_text(char *out, const char *const *meta, size_t nmeta,
			  unsigned parts)
{
	size_t n = 0;

	out[0] = '\0';
	for (unsigned i = 0; i < parts; i++)
		append(out, &n, meta && pick(3) == 0 ? meta[pick(nmeta)]
						   : pieces[pick(NELEM(pieces))]);
	return n;
}

struct rset {
	struct pattern_set *set;
	char text[PATTERNS][TEXT_MAX];
	int n;
};

static const char *const types[] = { "exact", "substr", "fnmatch", "regex" };

/*
 * random_pattern - a pattern of a random type (*t) into p, now and then
 *	one of the n texts before it again (a tie); its length.
 */
static size_t random_pattern(char *p, char (*before)[TEXT_MAX], int n,
			     unsigned *t)
{
	unsigned parts = 1 + pick(5);

	*t = pick(4);
	if (n && pick(8) == 0)
		return strlen(strcpy(p, before[pick((unsigned)n)]));
	if (*t == 2)
		return random_text(p, fn_meta, NELEM(fn_meta), parts);
	if (*t == 3)
		return random_text(p, re_meta, NELEM(re_meta), parts);
	return random_text(p, NULL, 0, parts);
}

/* add_random - one random pattern into r (refused ones are skipped). */
static void add_random(struct rset *r)
{
	char p[TEXT_MAX];
	unsigned t;
	size_t len = random_pattern(p, r->text, r->n, &t);

	if (pattern_set_add(r->set, r->n + 1, types[t], strlen(types[t]),
			    PATTERN_EXACT, p, len) == PATTERN_OK)
		strcpy(r->text[r->n++], p);
}

/* subject_from - a subject made from a pattern text: metas replaced. */
static size_t subject_from(const char *p, char *out)
{
	size_t n = 0;

	out[0] = '\0';
	for (; *p && n + 8 < TEXT_MAX; p++) {
		if (strchr("*?[]^$(){}|+\\", *p)) {
			if (pick(2))
				append(out, &n, pieces[pick(NELEM(pieces))]);
			continue;
		}
		out[n++] = pick(6) == 0 && *p >= 'a' && *p <= 'z'
			? (char)(*p - 32) : *p;
	}
	out[n] = '\0';
	if (pick(4) == 0)
		append(out, &n, pieces[pick(NELEM(pieces))]);
	if (pick(50) == 0 && n > 1)	/* fnmatch stops at a NUL byte */
		out[pick((unsigned)n)] = '\0';
	return n;
}

/* walk - the indexes of a whole walk into out; their number. */
static int walk(const struct pattern_set *set, const char *s, size_t len,
		struct pattern_scratch *sc, bool reference, int *out)
{
	int n = 0;

	for (int i = 0; n < WALK_MAX; i++) {
		i = reference ? pattern_set_next_reference(set, i, s, len, sc)
			      : pattern_set_next(set, i, s, len, sc);
		if (i < 0)
			break;
		out[n++] = i;
	}
	return n;
}

static void show_difference(const struct rset *r, const char *s, int nf,
			    const int *fast, int nr, const int *ref)
{
	printf("# subject \"%s\"\n", s);
	for (int i = 0; i < r->n; i++)
		printf("#   %d %s \"%s\"\n", i,
		       pattern_type_name(pattern_set_type(r->set, i)),
		       r->text[i]);
	printf("# fast:");
	for (int i = 0; i < nf; i++)
		printf(" %d", fast[i]);
	printf("\n# reference:");
	for (int i = 0; i < nr; i++)
		printf(" %d", ref[i]);
	printf("\n");
}

/* compare_set - one random set over SUBJECTS subjects; differences. */
static int compare_set(struct pattern_scratch *sc, long *matched)
{
	static struct rset r;
	int bad = 0, want = 4 + (int)pick(PATTERNS - 4);

	r.n = 0;
	r.set = pattern_set_new("test", pick(2) ? PATTERN_FOLD : 0, NULL,
				NULL);
	for (int tries = 0; r.n < want && tries < 4 * PATTERNS; tries++)
		add_random(&r);
	pattern_set_finish(r.set);
	for (int k = 0; k < SUBJECTS; k++) {
		char s[TEXT_MAX];
		int fast[WALK_MAX], ref[WALK_MAX], nf, nr;
		size_t len = pick(2) ? subject_from(r.text[pick((unsigned)
						    r.n)], s)
				     : random_text(s, NULL, 0, pick(7));

		nf = walk(r.set, s, len, sc, false, fast);
		nr = walk(r.set, s, len, sc, true, ref);
		*matched += nr > 0;
		if ((nf != nr || memcmp(fast, ref, (size_t)nf * sizeof(int)))
		    && bad++ == 0)
			show_difference(&r, s, nf, fast, nr, ref);
	}
	pattern_set_free(r.set);
	return bad;
}

#define NAMES		20	/* > MATCH_WALK_GROUPS */
#define GPATTERNS	40
#define PROPS_MAX	(NAMES + 8)

/* A set of patterns grouped by name, and a message's properties. */
struct rgroups {
	struct pattern_groups *pg;
	char text[GPATTERNS][TEXT_MAX];
	int n, names;
};

struct message {
	char name[PROPS_MAX][8], value[PROPS_MAX][TEXT_MAX];
	int n;
};

/* name_of - property name k ("p" and its number), in a random case. */
static void name_of(int k, char out[8])
{
	snprintf(out, 8, "%c%d", pick(2) ? 'p' : 'P', k);
}

/* message_value - the first property called name, ASCII case aside. */
static const char *message_value(void *arg, const char *name, size_t len)
{
	const struct message *m = arg;

	for (int i = 0; i < m->n; i++)
		if (strlen(m->name[i]) == len &&
		    strncasecmp(m->name[i], name, len) == 0)
			return m->value[i];
	return NULL;
}

/* add_property - property k with a value made from a pattern or not. */
static void add_property(struct message *m, const struct rgroups *g, int k)
{
	name_of(k, m->name[m->n]);
	if (pick(2) && g->n)
		subject_from(g->text[pick((unsigned)g->n)], m->value[m->n]);
	else
		random_text(m->value[m->n], NULL, 0, pick(7));
	m->n++;
}

/* random_message - some of the names, now and then all (a long walk). */
static void random_message(struct message *m, const struct rgroups *g)
{
	m->n = 0;
	if (pick(4) == 0)
		for (int k = 0; k < g->names; k++)
			add_property(m, g, k);
	for (int i = pick(6); i > 0 && m->n < PROPS_MAX; i--)
		add_property(m, g, (int)pick((unsigned)g->names));
}

/* group_walk - the ranks of a whole walk into out; their number. */
static int group_walk(const struct pattern_groups *pg, struct message *m,
		      struct pattern_scratch *sc, bool reference, int *out,
		      int *names)
{
	struct match_walk w;
	int n = 0;

	if (reference) {
		for (int r = 0; n < GPATTERNS; r++) {
			r = pattern_groups_next_reference(pg, r, message_value,
							  m, sc);
			if (r < 0)
				break;
			out[n++] = r;
		}
		return n;
	}
	pattern_groups_walk(pg, &w, message_value, m, sc);
	*names = w.n;
	for (int r = pattern_groups_walk_next(&w); r >= 0 && n < GPATTERNS;
	     r = pattern_groups_walk_next(&w))
		out[n++] = r;
	return n;
}

/* compare_groups - one random grouped set over SUBJECTS messages. */
static int compare_groups(struct pattern_scratch *sc, long *matched,
			  long *merged, long *ranked)
{
	static struct rgroups g;
	static struct message m;
	int bad = 0, want = 4 + (int)pick(GPATTERNS - 4);

	g.n = 0;
	g.names = 1 + (int)pick(NAMES);
	g.pg = pattern_groups_new("test", pick(2) ? PATTERN_FOLD : 0, NULL,
				  NULL);
	for (int tries = 0; g.n < want && tries < 4 * GPATTERNS; tries++) {
		char p[TEXT_MAX], name[8];
		unsigned t;
		size_t len = random_pattern(p, g.text, g.n, &t);

		name_of((int)pick((unsigned)g.names), name);
		if (pattern_groups_add(g.pg, name, strlen(name), g.n + 1,
				       types[t], strlen(types[t]),
				       PATTERN_EXACT, p, len) == PATTERN_OK)
			strcpy(g.text[g.n++], p);
	}
	pattern_groups_finish(g.pg);
	for (int k = 0; k < SUBJECTS; k++) {
		int fast[GPATTERNS], ref[GPATTERNS], nf, nr;
		int names = 0;

		random_message(&m, &g);
		nf = group_walk(g.pg, &m, sc, false, fast, &names);
		nr = group_walk(g.pg, &m, sc, true, ref, &names);
		*matched += nr > 0;
		*merged += names > 1 && nr > 1;
		*ranked += names < 0;
		if ((nf != nr || memcmp(fast, ref, (size_t)nf * sizeof(int)))
		    && bad++ == 0)
			printf("# set of %d patterns under %d names: the "
			       "walks differ (%d and %d ranks)\n", g.n,
			       g.names, nf, nr);
	}
	pattern_groups_free(g.pg);
	return bad;
}

/* shape - does a set of one pattern find subj (or not), prefiltered? */
static bool shape(const char *type, const char *p, const char *subj,
		  bool match, struct pattern_scratch *sc)
{
	struct pattern_set *set = pattern_set_new("test", PATTERN_FOLD, NULL,
						  NULL);
	bool ok;

	pattern_set_add(set, 1, type, strlen(type), PATTERN_EXACT, p,
			strlen(p));
	pattern_set_add(set, 2, "fnmatch", 7, PATTERN_EXACT, "*.unrelated",
			11);
	pattern_set_finish(set);
	ok = (pattern_set_next(set, 0, subj, strlen(subj), sc) == 0) == match;
	pattern_set_free(set);
	return ok;
}

/* no_candidates - a subject that holds no literal has no candidate. */
static void no_candidates(void)
{
	static const struct match_pat pats[] = {
		{ 0, PATTERN_FNMATCH, "*.example.com", 13, true },
		{ 1, PATTERN_FNMATCH, "*@example.com", 13, true },
		{ 2, PATTERN_FNMATCH, "example.*", 9, true },
		{ 3, PATTERN_SUBSTR, "mail", 4, true },
		{ 4, PATTERN_REGEX, "^u[0-9]+@d1\\.example$", 21, true },
		{ 5, PATTERN_FNMATCH, "*@d1.exam?le", 12, true },
	};
	struct matcher *m = matcher_build(pats, 6);
	int out[8];

	CHECK(m && matcher_candidates(m, "nobody@other.test", 17, out, 8)
	      == 0, "an unrelated subject has no candidate");
	CHECK(m && matcher_candidates(m, "x.EXAMPLE.com", 13, out, 8) == 1
	      && out[0] == 0, "a suffix literal, folded, names its pattern");
	CHECK(m && matcher_candidates(m, "u7@d1.example", 13, out, 8) == 2 &&
	      out[0] == 4 && out[1] == 5, "inner literals name theirs");
	CHECK(m && matcher_candidates(m, "mail.example.com", 16, out, 1) == -1,
	      "more candidates than room: -1");
	matcher_free(m);
}

/*
 * overflow - a subject with more candidates than the scratch holds is
 *	walked by trying every pattern: the same walk, in order.
 */
static void overflow(struct pattern_scratch *sc)
{
	struct pattern_set *set = pattern_set_new("test", PATTERN_FOLD, NULL,
						  NULL);
	int n = 0, i, ok = 1;

	for (int k = 0; k < 600; k++)
		pattern_set_add(set, k + 1, k % 2 ? "substr" : "fnmatch",
				k % 2 ? 6 : 7, PATTERN_EXACT, k % 2 ? "a" : "*b",
				k % 2 ? 1 : 2);
	pattern_set_finish(set);
	for (i = pattern_set_next(set, 0, "xab", 3, sc); i >= 0 && ok;
	     i = pattern_set_next(set, i + 1, "xab", 3, sc))
		ok = i == pattern_set_next_reference(set, n ? i : 0, "xab", 3,
						     sc) && ++n;
	CHECK(ok && n == 600, "600 candidates: every pattern found, in order "
	      "(%d)", n);
	pattern_set_free(set);
}

/* grouped - the merged walk of named subjects against the reference. */
static void grouped(struct pattern_scratch *sc)
{
	long matched = 0, merged = 0, ranked = 0;
	int bad = 0;

	for (int i = 0; i < SETS; i++)
		bad += compare_groups(sc, &matched, &merged, &ranked);
	CHECK(bad == 0, "%d random grouped sets, %d messages: the merged walk "
	      "equals the reference walk (%d differ)", SETS, SETS * SUBJECTS,
	      bad);
	CHECK(matched > SETS * SUBJECTS / 10 && merged > SETS && ranked > SETS,
	      "%ld messages matched, %ld merged walks of two names and ranks "
	      "or more, %ld walks by rank (more names than a walk merges): "
	      "the comparison is not vacuous", matched, merged, ranked);
}

int main(int argc, char **argv)
{
	struct pattern_scratch *sc = pattern_scratch_new();
	long matched = 0;
	int bad = 0;

	rng = argc > 1 ? strtoull(argv[1], NULL, 0) : 0x6d617463ULL;
	if (!rng)
		rng = 1;
	for (int i = 0; i < SETS; i++)
		bad += compare_set(sc, &matched);
	CHECK(bad == 0, "%d random sets, %d subjects: the prefiltered walk "
	      "equals the reference walk (%d differ)", SETS, SETS * SUBJECTS,
	      bad);
	CHECK(matched > SETS * SUBJECTS / 10, "%ld subjects matched a pattern "
	      "(the comparison is not vacuous)", matched);
	grouped(sc);
	CHECK(shape("fnmatch", "*.example.com", "MX.Example.COM", true, sc),
	      "*.example.com");
	CHECK(shape("fnmatch", "*.example.com", "example.com", false, sc),
	      "*.example.com does not match the bare domain");
	CHECK(shape("fnmatch", "*@example.com", "a@example.com", true, sc),
	      "*@example.com");
	CHECK(shape("fnmatch", "example.*", "example.org", true, sc),
	      "example.*");
	CHECK(shape("fnmatch", "example.*", "www.example.org", false, sc),
	      "example.* is anchored at the start");
	CHECK(shape("substr", "xample", "EXAMPLE.org", true, sc), "substr");
	CHECK(shape("regex", "^mx[0-9]+\\.example\\.com$", "MX12.example.com",
		    true, sc), "regex with a literal");
	CHECK(shape("regex", "(?i)K", "\xe2\x84\xaa", true, sc),
	      "regex (?i)K matches U+212A");
	CHECK(shape("regex", "sk", "\xc5\xbf\xe2\x84\xaa", true, sc),
	      "a caseless regex sk matches U+017F U+212A");
	no_candidates();
	overflow(sc);
	pattern_scratch_free(sc);
	return check_done();
}
