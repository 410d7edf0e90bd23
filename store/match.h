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

/*
 * Patterns that each match the subject they name (match_groups.c):
 *	rewrite triggers, each matching the value of one message property.
 *	Ranks are the order of pattern_groups_add (skipped ones take
 *	none); a walk lists, in rank order, the patterns whose named
 *	subject exists and matches, through each name's prefilter.
 */
struct pattern_groups;

/* match_value_fn - the subject called name[0..len), or NULL: none. */
typedef const char *(*match_value_fn)(void *arg, const char *name,
				      size_t len);

#define MATCH_WALK_GROUPS	16	/* names a walk merges at once */

/* A walk: its state lives with the caller, so walking never allocates. */
struct match_walk {
	const struct pattern_groups *pg;
	match_value_fn value;
	void *arg;
	struct pattern_scratch *sc;
	int n;			/* names of the message that have patterns;
				 * -1: more than MATCH_WALK_GROUPS */
	int last;		/* the name of the last answer, -1 */
	int from;		/* n == -1: the next rank to try */
	struct match_walk_group {
		int group;
		const char *s;
		size_t len;
		int index, rank;	/* its next match, -1 */
	} a[MATCH_WALK_GROUPS];
};

/* pattern_groups_new - as pattern_set_new; NULL: out of memory. */
struct pattern_groups *pattern_groups_new(const char *table, unsigned flags,
					  pattern_report_fn report, void *arg);

/*
 * pattern_groups_add - as pattern_set_add, for the subject called
 *	name[0..namelen) (ASCII case aside).
 */
enum pattern_rc pattern_groups_add(struct pattern_groups *pg,
				   const char *name, size_t namelen,
				   int64_t id, const char *type,
				   size_t typelen, enum pattern_type dflt,
				   const char *p, size_t len);

/* pattern_groups_finish - each name's index and prefilter. */
enum pattern_rc pattern_groups_finish(struct pattern_groups *pg);
void pattern_groups_free(struct pattern_groups *pg);
int pattern_groups_count(const struct pattern_groups *pg);

/*
 * pattern_groups_walk - start a walk of the subjects value gives (it
 *	is asked once per name); then pattern_groups_walk_next gives the
 *	next matching rank, or -1.  Subjects must stay valid meanwhile.
 */
void pattern_groups_walk(const struct pattern_groups *pg,
			 struct match_walk *w, match_value_fn value,
			 void *arg, struct pattern_scratch *sc);
int pattern_groups_walk_next(struct match_walk *w);

/*
 * pattern_groups_next_reference - the lowest rank >= from whose
 *	pattern matches its subject, trying each in turn: the rule the
 *	walk follows, and its way when a message has too many names.
 */
int pattern_groups_next_reference(const struct pattern_groups *pg, int from,
				  match_value_fn value, void *arg,
				  struct pattern_scratch *sc);

#endif
