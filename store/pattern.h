/*
 * NAME
 *	pattern.h - the pattern types of the MailerQ tables, compiled once
 * SYNOPSIS
 *	#include "store/pattern.h"
 * DESCRIPTION
 *	capacity_rules, dkim_patterns, locals, flood_responses,
 *	response_patterns and rewrite_triggers hold patterns of four types,
 *	named by their "type" column:
 *
 *	exact	the whole subject equals the pattern
 *	substr	the pattern occurs in the subject
 *	fnmatch	fnmatch(3) of the subject against the pattern, without
 *		FNM_PATHNAME or FNM_PERIOD (so '*' also matches '/' and
 *		a leading '.')
 *	regex	PCRE2, UTF-8 (PCRE2_UTF | PCRE2_MATCH_INVALID_UTF: a
 *		subject that is not valid UTF-8 can still match), not
 *		anchored, JIT-compiled when the library supports it
 *
 *	A type column that is NULL or empty takes the table's registry
 *	default; type names compare ASCII-case-insensitively.
 *
 *	Case: a set built with PATTERN_FOLD compares ASCII letters without
 *	case for exact, substr and fnmatch (FNM_CASEFOLD in the C locale)
 *	and compiles regexes with PCRE2_CASELESS.  mq's lookups fold for
 *	domains, addresses (local part included) and response texts; they
 *	do not fold for rewrite triggers (message properties are data).
 *
 *	A pattern_set is built once per store version (pattern_set_add for
 *	each row, then pattern_set_finish) and is read-only afterwards:
 *	any number of threads may match against it at the same time, each
 *	with its own pattern_scratch.  Matching never compiles and never
 *	allocates.  Exact patterns are found through a hash index; the
 *	other types through a prefilter built by pattern_set_finish
 *	(match.h) that names the few patterns that may match a subject,
 *	which are then tried in index order.  A lookup therefore costs
 *	one probe, one pass over the subject and the candidates' own
 *	matching, however many patterns the set holds.  The scratch
 *	remembers the candidates of the last subject, so a walk with
 *	pattern_set_next finds them once.
 *
 *	Subjects are given as (s, len) and must be NUL-terminated at
 *	s[len] (fnmatch(3) needs it); a subject with a NUL byte before len
 *	is matched by fnmatch only up to that byte.
 * DIAGNOSTICS
 *	pattern_set_add returns PATTERN_BAD for a pattern that does not
 *	compile or an unknown type, and passes one line naming the table,
 *	the row id, the pattern and the reason to the set's report
 *	function; the pattern is skipped and the set stays usable.
 *	Functions that allocate return PATTERN_NOMEM / NULL on failure.
 */
#ifndef MQ_PATTERN_H
#define MQ_PATTERN_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

enum pattern_type {
	PATTERN_EXACT,
	PATTERN_SUBSTR,
	PATTERN_FNMATCH,
	PATTERN_REGEX,
};

enum pattern_rc {
	PATTERN_OK = 0,
	PATTERN_BAD,		/* did not compile or unknown type: skipped */
	PATTERN_NOMEM,		/* out of memory: the set is unusable */
};

/* Set flags. */
#define PATTERN_FOLD	0x1	/* ASCII-case-insensitive (see above) */

/* pattern_report_fn - receives one line per skipped pattern. */
typedef void (*pattern_report_fn)(void *arg, const char *line);

struct pattern_set;
struct pattern_scratch;

/*
 * pattern_type_parse - the type named by s[0..len), or the registry
 *	default dflt when len is 0.  Returns false for an unknown name.
 */
bool pattern_type_parse(const char *s, size_t len, enum pattern_type dflt,
			enum pattern_type *out);

/* pattern_type_name - "exact", "substr", "fnmatch" or "regex". */
const char *pattern_type_name(enum pattern_type t);

/*
 * pattern_set_new - an empty set for patterns of table (used in
 *	reports; the string must outlive the set).  report may be NULL.
 *	Returns NULL when out of memory.
 */
struct pattern_set *pattern_set_new(const char *table, unsigned flags,
				    pattern_report_fn report, void *arg);

/*
 * pattern_set_add - compile pattern p[0..len) of type (type[0..typelen),
 *	the row's type column; typelen 0 takes dflt) for row id, and
 *	append it to the set; its index is the number of patterns added
 *	before it.  The pattern bytes are copied.  On PATTERN_BAD nothing
 *	is added and the report function is called.
 */
enum pattern_rc pattern_set_add(struct pattern_set *set, int64_t id,
				const char *type, size_t typelen,
				enum pattern_type dflt, const char *p,
				size_t len);

/*
 * pattern_set_finish - build the exact-pattern index; no pattern may
 *	be added afterwards.  Returns PATTERN_OK or PATTERN_NOMEM.
 */
enum pattern_rc pattern_set_finish(struct pattern_set *set);

void pattern_set_free(struct pattern_set *set);

/* pattern_set_count - patterns in the set (skipped ones not counted). */
int pattern_set_count(const struct pattern_set *set);

/* pattern_set_skipped - patterns refused by pattern_set_add. */
int pattern_set_skipped(const struct pattern_set *set);

/* pattern_set_id - the row id of pattern index i. */
int64_t pattern_set_id(const struct pattern_set *set, int i);

/* pattern_set_type - the type of pattern index i. */
enum pattern_type pattern_set_type(const struct pattern_set *set, int i);

/*
 * pattern_scratch_new - one thread's matching state (PCRE2 match
 *	data).  Create it once per thread, never per lookup; NULL when
 *	out of memory.
 */
struct pattern_scratch *pattern_scratch_new(void);
void pattern_scratch_free(struct pattern_scratch *sc);

/*
 * pattern_set_match - does pattern index i match s[0..len)?  A regex
 *	that fails at match time (e.g. its match limit) does not match.
 */
bool pattern_set_match(const struct pattern_set *set, int i, const char *s,
		       size_t len, struct pattern_scratch *sc);

/*
 * pattern_set_next - the lowest index >= from whose pattern matches
 *	s[0..len), or -1.  Walking a set in order:
 *		for (i = pattern_set_next(set, 0, ...); i >= 0;
 *		     i = pattern_set_next(set, i + 1, ...))
 */
int pattern_set_next(const struct pattern_set *set, int from, const char *s,
		     size_t len, struct pattern_scratch *sc);

/*
 * pattern_set_next_reference - the same answer by trying every
 *	non-exact pattern in order, without the prefilter: the rule
 *	pattern_set_next must follow, kept for the tests.
 */
int pattern_set_next_reference(const struct pattern_set *set, int from,
			       const char *s, size_t len,
			       struct pattern_scratch *sc);

/*
 * pattern_set_bytes - the memory the set holds: patterns, compiled
 *	regexes (JIT code included), the exact index and the prefilter.
 */
size_t pattern_set_bytes(const struct pattern_set *set);

#endif
