/*
 * NAME
 *	match_groups.c - patterns that each match the subject they name
 * SYNOPSIS
 *	#include "store/match.h"
 * DESCRIPTION
 *	A rewrite trigger matches the value of the message property it
 *	names, so one ordered set of triggers has as many subjects as it
 *	has property names.  The triggers are kept in one pattern_set per
 *	name (names compared ASCII-case-insensitively, as properties are
 *	looked up), each in rank order (the order they were added in), so
 *	every set gets its prefilter and exact index.  A walk asks each set
 *	whose name the message has for its next match and merges the
 *	answers by rank: the triggers come out in the one order, as the
 *	straightforward walk (pattern_groups_next_reference) gives them,
 *	each set's subject scanned by its prefilter once per match.
 *
 *	A walk holds at most MATCH_WALK_GROUPS sets at a time; a message
 *	with more of the names walks every pattern in rank order instead.
 * DIAGNOSTICS
 *	pattern_groups_add passes PATTERN_BAD and its report on from
 *	pattern_set_add; PATTERN_NOMEM when out of memory.
 */
#include <stdlib.h>
#include <string.h>

#include "store/match.h"
#include "store/store.h"

/* The patterns of one subject name, and each one's rank. */
struct group {
	char *name;
	size_t len;
	struct pattern_set *set;
	int *rank;		/* by index in set */
	int cap;
};

struct pattern_groups {
	const char *table;
	unsigned flags;
	pattern_report_fn report;
	void *arg;
	struct group *g;
	int ngroups, capgroups;
	struct place {
		int group, index;	/* in the group's set */
	} *place;		/* by rank */
	int n, cap;
};

struct pattern_groups *pattern_groups_new(const char *table, unsigned flags,
					  pattern_report_fn report, void *arg)
{
	struct pattern_groups *pg = calloc(1, sizeof(*pg));

	if (pg)
		*pg = (struct pattern_groups){ .table = table, .flags = flags,
					       .report = report, .arg = arg };
	return pg;
}

void pattern_groups_free(struct pattern_groups *pg)
{
	if (!pg)
		return;
	for (int i = 0; i < pg->ngroups; i++) {
		free(pg->g[i].name);
		free(pg->g[i].rank);
		pattern_set_free(pg->g[i].set);
	}
	free(pg->g);
	free(pg->place);
	free(pg);
}

/* grow - room for one more of n items of size in *a (capacity *cap). */
static bool grow(void *a, size_t size, int n, int *cap)
{
	int c = *cap ? *cap * 2 : 16;
	void *p;

	if (n < *cap)
		return true;
	if (!(p = realloc(*(void **)a, (size_t)c * size)))
		return false;
	*(void **)a = p;
	*cap = c;
	return true;
}

/* group_find - the group of name, made when new; -1: out of memory. */
static int group_find(struct pattern_groups *pg, const char *name,
		      size_t len)
{
	struct group *g;

	for (int i = 0; i < pg->ngroups; i++)
		if (pg->g[i].len == len &&
		    store_ascii_caseeq(pg->g[i].name, name, len))
			return i;
	if (pg->ngroups == pg->capgroups) {
		int c = pg->capgroups ? pg->capgroups * 2 : 4;
		struct group *p = realloc(pg->g, (size_t)c * sizeof(*p));
		if (!p)
			return -1;
		pg->g = p;
		pg->capgroups = c;
	}
	g = &pg->g[pg->ngroups];
	*g = (struct group){ .name = malloc(len + 1), .len = len };
	g->set = pattern_set_new(pg->table, pg->flags, pg->report, pg->arg);
	if (!g->name || !g->set) {
		free(g->name);
		pattern_set_free(g->set);
		return -1;
	}
	memcpy(g->name, name, len);
	g->name[len] = 0;
	return pg->ngroups++;
}

enum pattern_rc pattern_groups_add(struct pattern_groups *pg,
				   const char *name, size_t namelen,
				   int64_t id, const char *type,
				   size_t typelen, enum pattern_type dflt,
				   const char *p, size_t len)
{
	int gi = group_find(pg, name, namelen);
	struct group *g;
	int index;
	enum pattern_rc rc;

	if (gi < 0)
		return PATTERN_NOMEM;
	g = &pg->g[gi];
	index = pattern_set_count(g->set);
	if (!grow(&g->rank, sizeof(*g->rank), index, &g->cap) ||
	    !grow(&pg->place, sizeof(*pg->place), pg->n, &pg->cap))
		return PATTERN_NOMEM;
	rc = pattern_set_add(g->set, id, type, typelen, dflt, p, len);
	if (rc != PATTERN_OK)
		return rc;
	g->rank[index] = pg->n;
	pg->place[pg->n++] = (struct place){ gi, index };
	return PATTERN_OK;
}

enum pattern_rc pattern_groups_finish(struct pattern_groups *pg)
{
	for (int i = 0; i < pg->ngroups; i++)
		if (pattern_set_finish(pg->g[i].set) != PATTERN_OK)
			return PATTERN_NOMEM;
	return PATTERN_OK;
}

int pattern_groups_count(const struct pattern_groups *pg)
{
	return pg->n;
}

int pattern_groups_next_reference(const struct pattern_groups *pg, int from,
				  match_value_fn value, void *arg,
				  struct pattern_scratch *sc)
{
	for (int r = from < 0 ? 0 : from; r < pg->n; r++) {
		const struct group *g = &pg->g[pg->place[r].group];
		const char *v = value(arg, g->name, g->len);

		if (v && pattern_set_match(g->set, pg->place[r].index, v,
					   strlen(v), sc))
			return r;
	}
	return -1;
}

/* walk_advance - active group k's next match at or after index from. */
static void walk_advance(struct match_walk *w, int k, int from)
{
	const struct group *g = &w->pg->g[w->a[k].group];
	int i = pattern_set_next(g->set, from, w->a[k].s, w->a[k].len,
				 w->sc);

	w->a[k].index = i;
	w->a[k].rank = i < 0 ? -1 : g->rank[i];
}

void pattern_groups_walk(const struct pattern_groups *pg,
			 struct match_walk *w, match_value_fn value,
			 void *arg, struct pattern_scratch *sc)
{
	*w = (struct match_walk){ .pg = pg, .value = value, .arg = arg,
				  .sc = sc, .last = -1 };
	for (int gi = 0; gi < pg->ngroups; gi++) {
		const char *v = value(arg, pg->g[gi].name, pg->g[gi].len);
		if (!v)
			continue;
		if (w->n == MATCH_WALK_GROUPS) {
			w->n = -1;	/* too many: by rank, every pattern */
			return;
		}
		w->a[w->n] = (struct match_walk_group){ gi, v, strlen(v),
							 -1, -1 };
		walk_advance(w, w->n++, 0);
	}
}

int pattern_groups_walk_next(struct match_walk *w)
{
	int best = -1;

	if (w->n < 0) {
		int r = pattern_groups_next_reference(w->pg, w->from,
						      w->value, w->arg, w->sc);
		w->from = r < 0 ? w->pg->n : r + 1;
		return r;
	}
	/* The group that gave the last answer moves on only now. */
	if (w->last >= 0)
		walk_advance(w, w->last, w->a[w->last].index + 1);
	for (int k = 0; k < w->n; k++)
		if (w->a[k].rank >= 0 &&
		    (best < 0 || w->a[k].rank < w->a[best].rank))
			best = k;
	w->last = best;
	return best < 0 ? -1 : w->a[best].rank;
}
