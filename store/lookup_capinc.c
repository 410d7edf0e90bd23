/*
 * NAME
 *	lookup_capinc.c - capacity parts that read less: built again for
 *	what changed, or for the one domain a single-shot lookup asks
 * SYNOPSIS
 *	#include "store/lookup_internal.h"
 *
 *	capacity_update(ls, txn, prev);
 *	rules_for_domain(rule, &n, dom, domlen);
 * DESCRIPTION
 *	A full build of the capacity part (lookup_capacity.c) reads every
 *	row and rule and indexes every domain; with 10k rows and 1k rules
 *	that is tens of milliseconds, and it throws away every cascade the
 *	lookups resolved.  An incremental part instead overlays the last
 *	full build (its base): it indexes again only the dirty domains,
 *	those whose answer may have changed since the base, and sends
 *	every other known domain to the base, whose resolved cascades
 *	stay valid.  A domain no build knows is resolved from the rules,
 *	which are the base's unless a rule changed.
 *
 *	The change log (store/changes.c) names the rows and rules written
 *	since the older part's version.  Dirty are:
 *	  - the domains of the older part's own dirty set (they stay dirty
 *	    until the next full build);
 *	  - a changed capacity row's domain, as the base has it and as the
 *	    snapshot has it (a version in between was the snapshot's at an
 *	    earlier build, so it is dirty already);
 *	  - every known domain that a changed rule matches, in its base
 *	    version or in the snapshot's; a base's rule whose capacity row
 *	    changed counts as changed (its limits are that row's).  Once a
 *	    rule changed, the rules are compiled again at every build until
 *	    the next full one.
 *	A change to a row without a domain (the localip and ('', '')
 *	levels every pair inherits), a log that no longer reaches back,
 *	overflowed or holds a bad record, more than CHANGES_MAX changes or DIRTY_MAX dirty
 *	domains: a full build, which becomes the next base.
 *
 *	A single-shot build (mq lookup) compiles only the rules that match
 *	its domain, each tried alone (pattern_set_match, no prefilter to
 *	build), and so keeps only the capacity rows those rules name.
 * DIAGNOSTICS
 *	As capacity_build; the reasons for a full build are not errors.
 */
#include <stdlib.h>
#include <string.h>

#include "store/lookup_internal.h"

#define CHANGES_MAX	256	/* rows and rules written since */
#define LOG_READ_MAX	8192	/* change records read at most */
#define DIRTY_MAX	1024	/* dirty domains over one base */

/* What the change log and the base say about one incremental build. */
struct capinc {
	struct store_txn *txn;
	const struct lookup_set *base;	/* the last full build */
	struct lookup_set *keys;	/* an empty set: its arena holds the
					 * dirty domains' keys */
	struct shash dirty;		/* folded domain -> 0 */
	int64_t row_id[CHANGES_MAX], rule_id[CHANGES_MAX];
	int nrow, nrule;
	uint32_t read;			/* records read */
	bool full;			/* build everything */
	bool rules;			/* the rules differ from the base's */
};

/* note_id - id once in ids (n of them); false when there is no room. */
static bool note_id(int64_t *ids, int *n, int64_t id)
{
	for (int i = 0; i < *n; i++)
		if (ids[i] == id)
			return true;
	if (*n == CHANGES_MAX)
		return false;
	ids[(*n)++] = id;
	return true;
}

/* note_change - one change record: a capacity row or rule written. */
static int note_change(const struct store_change *c, void *arg)
{
	struct capinc *ci = arg;
	struct store_value key[REG_MAX_KEY];
	const struct reg_table *t;
	bool rule = !strcmp(c->table, "capacity_rules");
	int nkey;

	if (++ci->read > LOG_READ_MAX || c->op == STORE_CHANGE_OVERFLOW)
		return ci->full = true;
	if ((c->op != STORE_CHANGE_PUT && c->op != STORE_CHANGE_DEL) ||
	    (!rule && strcmp(c->table, "capacity")))
		return 0;
	if (store_change_key(ci->txn, c, &t, key, &nkey) ||
	    key[0].kind != SV_INT ||
	    !note_id(rule ? ci->rule_id : ci->row_id,
		     rule ? &ci->nrule : &ci->nrow, key[0].i))
		return ci->full = true;
	return 0;
}

/* mark - domain dom is dirty; false when DIRTY_MAX are. */
static bool mark(struct capinc *ci, const char *dom, size_t len)
{
	uint32_t have;

	return shash_put(ci->keys, &ci->dirty, dom, len, NULL, 0, 0, &have);
}

/* current - the snapshot's row id of table, *found false when none. */
static enum store_rc current(struct capinc *ci, const char *table, int64_t id,
			     struct store_row *row, bool *found)
{
	struct store_value key = { .kind = SV_INT, .i = id };
	enum store_rc rc = store_get_by_key(ci->txn, reg_mailerq_find(table),
					    table, &key, row);

	*found = rc == STORE_OK;
	return rc == STORE_NOTFOUND ? STORE_OK : rc;
}

/*
 * mark_rows - the changed rows' domains, before and now, and the base's
 *	rules naming them; a row without a domain: full.
 */
static enum store_rc mark_rows(struct capinc *ci)
{
	const struct lookup_set *b = ci->base;

	for (int i = 0; i < ci->nrow && !ci->full; i++) {
		const struct cap_row *old = cap_row_find(b->cap_row,
							 b->ncap_row,
							 ci->row_id[i]);
		struct store_row row;
		const char *dom;
		size_t len;
		bool found;
		enum store_rc rc = current(ci, "capacity", ci->row_id[i],
					   &row, &found);

		if (rc)
			return rc;
		dom = found ? row_text(&row, CAP_COL_DOMAIN, &len) : "";
		ci->full = (old && !old->domlen) || (found && !len) ||
			   (old && !mark(ci, old->dom, old->domlen)) ||
			   (found && !mark(ci, dom, len));
		for (uint32_t r = 0; r < b->ncap_rule && !ci->full; r++)
			if (b->cap_rule[r].capacity == ci->row_id[i])
				ci->full = !note_id(ci->rule_id, &ci->nrule,
						    b->cap_rule[r].id);
	}
	return STORE_OK;
}

/* add_version - a rule's pattern (one version of it) to set. */
static bool add_version(struct pattern_set *set, int64_t id, const char *type,
			size_t typelen, const char *p, size_t len)
{
	return pattern_set_add(set, id, type, typelen, PATTERN_EXACT, p,
			       len) != PATTERN_NOMEM;
}

/* changed_rules - the changed rules' versions, in the base and now. */
static enum store_rc changed_rules(struct capinc *ci, struct pattern_set *set)
{
	const struct lookup_set *b = ci->base;
	bool ok = true;

	for (int i = 0; ok && i < ci->nrule; i++) {
		struct store_row row;
		size_t tlen, plen;
		const char *type, *p;
		bool found;
		enum store_rc rc = current(ci, "capacity_rules",
					   ci->rule_id[i], &row, &found);

		if (rc)
			return rc;
		for (uint32_t r = 0; ok && r < b->ncap_rule; r++) {
			const struct rule_row *u = &b->cap_rule[r];
			if (u->id == ci->rule_id[i])
				ok = add_version(set, u->id, u->type,
						 u->typelen, u->pattern,
						 u->patlen);
		}
		if (!ok || !found ||
		    row.col[RULE_COL_PATTERN].kind != SV_TEXT)
			continue;
		type = row_text(&row, RULE_COL_TYPE, &tlen);
		p = row_text(&row, RULE_COL_PATTERN, &plen);
		ok = add_version(set, ci->rule_id[i], type, tlen, p, plen);
	}
	if (!ok || pattern_set_finish(set))
		return store_fail(ci->txn->st, STORE_INTERNAL, "out of memory");
	return STORE_OK;
}

/*
 * mark_matched - every domain the base knows that one version of a
 *	changed rule matches.
 */
static enum store_rc mark_matched(struct capinc *ci)
{
	const struct shash *dom = &ci->base->dom;
	struct pattern_set *set = pattern_set_new("capacity_rules",
						  PATTERN_FOLD, NULL, NULL);
	struct pattern_scratch *sc = pattern_scratch_new();
	enum store_rc rc = set && sc ? changed_rules(ci, set)
		: store_fail(ci->txn->st, STORE_INTERNAL, "out of memory");

	for (uint32_t i = 0; rc == STORE_OK && !ci->full && i <= dom->mask;
	     i++) {
		const struct shash_entry *e = &dom->e[i];
		if (e->key && pattern_set_next(set, 0, e->key, e->klen, sc) >= 0)
			ci->full = !mark(ci, e->key, e->klen);
	}
	pattern_set_free(set);
	pattern_scratch_free(sc);
	return rc;
}

/* mark_older - the older incremental part's dirty domains stay dirty. */
static void mark_older(struct capinc *ci, const struct lookup_set *prev)
{
	for (uint32_t i = 0; prev->cap_base && !ci->full && i <= prev->dom.mask;
	     i++)
		if (prev->dom.e[i].key)
			ci->full = !mark(ci, prev->dom.e[i].key,
					 prev->dom.e[i].klen);
}

/* find_dirty - what changed since prev: ci->full, or the dirty domains. */
static enum store_rc find_dirty(struct capinc *ci, const struct lookup_set *prev)
{
	enum store_rc rc = store_changes_after(ci->txn,
			prev->part_version[LOOKUP_PART_CAPACITY],
			note_change, ci);

	/* A log that no longer reaches back, or with a bad record: the
	 * full build does without it. */
	if (rc == STORE_NOTFOUND || rc == STORE_CORRUPT) {
		ci->full = true;
		return STORE_OK;
	}
	mark_older(ci, prev);
	if (rc == STORE_OK && !ci->full)
		rc = mark_rows(ci);
	/* A rule that differs from the base's made the domains it matches
	 * dirty when it changed: those stay dirty, so a row it names (and
	 * the base's rule did not) needs nothing more. */
	ci->rules = (prev->cap_base && prev->own_rules) || ci->nrule;
	if (rc == STORE_OK && !ci->full && ci->nrule)
		rc = mark_matched(ci);
	return rc;
}

enum store_rc capacity_update(struct lookup_set *ls, struct store_txn *txn,
			      const struct lookup_set *prev)
{
	struct capinc ci = { .txn = txn };
	struct cap_delta d;
	enum store_rc rc;

	if (!prev || prev->part_version[LOOKUP_PART_CAPACITY] >
		     ls->part_version[LOOKUP_PART_CAPACITY])
		return capacity_build(ls, txn, NULL, NULL);
	ci.base = prev->cap_base ? prev->cap_base : prev;
	if (!(ci.keys = calloc(1, sizeof(*ci.keys))) ||
	    !shash_init(&ci.dirty, DIRTY_MAX)) {
		free(ci.keys);
		return store_fail(txn->st, STORE_INTERNAL, "out of memory");
	}
	rc = find_dirty(&ci, prev);
	d = (struct cap_delta){ (struct lookup_set *)ci.base, &ci.dirty,
				ci.rules };
	if (rc == STORE_OK)
		rc = capacity_build(ls, txn, NULL, ci.full ? NULL : &d);
	shash_free(&ci.dirty);
	lookup_set_free(ci.keys);
	return rc;
}

bool rules_for_domain(struct rule_row *rule, size_t *n, const char *dom,
		      size_t domlen)
{
	struct pattern_set *probe = pattern_set_new("capacity_rules",
						    PATTERN_FOLD, NULL, NULL);
	struct pattern_scratch *sc = pattern_scratch_new();
	size_t kept = 0;
	bool ok = probe && sc;

	for (size_t i = 0; ok && i < *n; i++) {
		const struct rule_row *u = &rule[i];
		int at = pattern_set_count(probe);
		enum pattern_rc prc = pattern_set_add(probe, u->id, u->type,
						      u->typelen, PATTERN_EXACT,
						      u->pattern, u->patlen);
		ok = prc != PATTERN_NOMEM;
		if (prc == PATTERN_BAD ||
		    (prc == PATTERN_OK && domlen &&
		     pattern_set_match(probe, at, dom, domlen, sc)))
			rule[kept++] = *u;
	}
	if (ok)
		*n = kept;
	pattern_set_free(probe);
	pattern_scratch_free(sc);
	return ok;
}
