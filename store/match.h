/*
 * NAME
 *	match.h - a compiled prefilter over the non-exact patterns of a set
 * SYNOPSIS
 *	#include "store/match.h"
 * DESCRIPTION
 *	A matcher answers "which patterns may match this subject?" in one
 *	pass, so that a lookup verifies a handful of candidates instead of
 *	walking every substr, fnmatch and regex pattern.  It never says
 *	no to a pattern that matches: each pattern is indexed by a literal
 *	every subject it matches must hold, compared ASCII-case-folded
 *	(a superset of both the folding and the non-folding rules):
 *
 *	fnmatch	its literal prefix (up to the first '*', '?', '[') when
 *		it has two bytes or more, found in a hash table probed
 *		with the subject's prefixes of the lengths present; else
 *		the longer of its literal suffix (after the last '*' or
 *		'?'), probed the same way from the end, and its longest
 *		inner segment, in the automaton below
 *	substr	the pattern itself, in one Aho-Corasick automaton
 *	regex	the longest literal run PCRE2 must match at the top level
 *		(match_literal.c says which patterns give one), in the
 *		automaton
 *
 *	A pattern without such a literal is a candidate for every subject.
 *	The caller verifies each candidate with the pattern's own matcher,
 *	in index order, which keeps the set's order (priority, then id).
 *
 *	fnmatch(3) stops at a NUL byte: its literals are looked for only
 *	before the subject's first NUL.
 *
 *	A matcher is read-only once built; threads share it.
 * DIAGNOSTICS
 *	matcher_build returns NULL when out of memory.
 */
#ifndef MQ_MATCH_H
#define MQ_MATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store/pattern.h"

/* One non-exact pattern given to matcher_build. */
struct match_pat {
	int index;		/* its index in the pattern set */
	enum pattern_type type;	/* PATTERN_SUBSTR, _FNMATCH or _REGEX */
	const char *text;
	size_t len;
	bool fold;		/* the set folds case */
};

/* What match_literal_* found in a pattern. */
struct match_literal {
	const char *s;		/* into the pattern, or the copy in buf */
	size_t len;
	enum { LIT_NONE, LIT_PREFIX, LIT_SUFFIX, LIT_ANY } where;
	char buf[256];		/* unescaped bytes, when they differ */
};

/*
 * match_literal_fnmatch - the literal an fnmatch(3) pattern (flags 0
 *	or FNM_CASEFOLD) is indexed by (see above); LIT_NONE when it has
 *	none.
 */
void match_literal_fnmatch(const char *p, size_t len,
			   struct match_literal *out);

/*
 * match_literal_regex - the longest literal run a PCRE2 pattern (UTF,
 *	caseless when fold) requires, LIT_ANY, or LIT_NONE when the
 *	pattern is outside what the scan understands.
 */
void match_literal_regex(const char *p, size_t len, bool fold,
			 struct match_literal *out);

/* The automaton of match_ac.c, used by match_set.c only. */
struct ac;
typedef void (*ac_hit_fn)(void *arg, int32_t lit, size_t end);
struct ac *ac_new(void);
void ac_free(struct ac *a);
size_t ac_bytes(const struct ac *a);
/* ac_add - literal s[0..len) (folded here) as number lit; false: no memory. */
bool ac_add(struct ac *a, const char *s, size_t len, int32_t lit);
/* ac_finish - the failure links; after the last ac_add. */
bool ac_finish(struct ac *a);
/* ac_scan - hit(arg, lit, end) for every literal ending at s[end - 1]. */
void ac_scan(const struct ac *a, const char *s, size_t len, ac_hit_fn hit,
	     void *arg);

struct matcher;

/* matcher_build - index pats[0..n) (ascending index); NULL: no memory. */
struct matcher *matcher_build(const struct match_pat *pats, int n);
void matcher_free(struct matcher *m);

/* matcher_bytes - the memory the matcher holds. */
size_t matcher_bytes(const struct matcher *m);

/*
 * matcher_candidates - the indexes that may match s[0..len), sorted
 *	and unique, into out[0..max).  Returns their number, or -1 when
 *	there are more than max (the caller then tries every pattern).
 */
int matcher_candidates(const struct matcher *m, const char *s, size_t len,
		       int *out, int max);

#endif
