/*
 * NAME
 *	lookup_match.c - lookups by pattern: flood, local, response, rewrite
 * SYNOPSIS
 *	#include "store/store.h"
 * DESCRIPTION
 *	response_patterns and rewrite_triggers are compiled in (priority,
 *	id) order, each with its localip, domain, property and final flag
 *	and the ids of its actions in their order: response actions by
 *	action id (the key of response_patterns_actions), rewrite actions
 *	by position then id.  A lookup walks the matching patterns and
 *	reads each action row by id, zero-copy.  Each trigger matches the
 *	value of the property it names, so triggers are compiled per
 *	property name (match_groups.c) and a lookup merges the walks of
 *	the properties the message has: every pattern kind goes through
 *	the prefilter.  flood_responses and
 *	locals are sets in id order (lookup_set.c builds them).
 * DIAGNOSTICS
 *	Patterns that do not compile are reported when the set is built.
 *	An action id without a row is left out of the answer.
 */
#include <stdlib.h>
#include <string.h>

#include "store/lookup_internal.h"

/* Columns of a pattern table that drive matching. */
struct match_cols {
	const char *table;
	int localip, domain, property, pattern, type, priority, final;
	unsigned flags;			/* PATTERN_FOLD or not */
};

static const struct match_cols response_cols = {
	"response_patterns", 2, 3, -1, 4, 5, 6, 7, PATTERN_FOLD,
};
static const struct match_cols rewrite_cols = {
	"rewrite_triggers", 2, 3, 4, 6, 5, 7, 8, 0,
};

/* One row of a pattern table, copied for ordering. */
struct mrow {
	int64_t id, priority;
	struct match_info info;
	const char *pattern, *type;
	size_t patlen, typelen;
	bool null_pattern;
};

/* One action: its owner (pattern or trigger), its order key, its id. */
struct action_ref {
	int64_t owner, order, id;
};

struct mcollect {
	struct lookup_set *ls;
	const struct match_cols *mc;
	struct mrow *row;
	struct action_ref *act;
	size_t n, cap, nact, capact;
	bool nomem;
};

/* copy_col - an arena copy of text column col (col < 0: ""). */
static const char *copy_col(struct mcollect *m, const struct store_row *r,
			    int col, size_t *len)
{
	const char *s = "";

	*len = 0;
	if (col >= 0)
		s = row_text(r, col, len);
	s = arena_copy(m->ls, s, *len);
	if (!s)
		m->nomem = true;
	return s ? s : "";
}

static int add_mrow(const struct store_row *r, void *arg)
{
	struct mcollect *m = arg;
	const struct match_cols *mc = m->mc;
	struct mrow *u;

	if (m->n == m->cap) {
		size_t cap = m->cap ? m->cap * 2 : 64;
		struct mrow *n = realloc(m->row, cap * sizeof(*n));
		if (!n) {
			m->nomem = true;
			return 1;
		}
		m->row = n;
		m->cap = cap;
	}
	u = &m->row[m->n++];
	memset(u, 0, sizeof(*u));
	u->id = row_int(r, 0);
	u->priority = row_int(r, mc->priority);
	u->info.final = row_int(r, mc->final) != 0;
	u->info.localip = copy_col(m, r, mc->localip, &u->info.iplen);
	u->info.domain = copy_col(m, r, mc->domain, &u->info.domlen);
	u->info.property = copy_col(m, r, mc->property, &u->info.proplen);
	u->pattern = copy_col(m, r, mc->pattern, &u->patlen);
	u->type = copy_col(m, r, mc->type, &u->typelen);
	u->null_pattern = r->col[mc->pattern].kind != SV_TEXT;
	return m->nomem;
}

/* add_action - (owner, order, id) from columns oc and ordc (-1: id). */
static int add_action(struct mcollect *m, int64_t owner, int64_t order,
		      int64_t id)
{
	if (m->nact == m->capact) {
		size_t cap = m->capact ? m->capact * 2 : 64;
		struct action_ref *n = realloc(m->act, cap * sizeof(*n));
		if (!n) {
			m->nomem = true;
			return 1;
		}
		m->act = n;
		m->capact = cap;
	}
	m->act[m->nact++] = (struct action_ref){ owner, order, id };
	return 0;
}

static int add_response_action(const struct store_row *r, void *arg)
{
	/* response_patterns_actions: pattern, action */
	return add_action(arg, row_int(r, 0), row_int(r, 1), row_int(r, 1));
}

static int add_rewrite_action(const struct store_row *r, void *arg)
{
	/* rewrite_actions: id, rewrite_trigger, ..., position (5) */
	return add_action(arg, row_int(r, 1), row_int(r, 5), row_int(r, 0));
}

static int mrow_order(const void *pa, const void *pb)
{
	const struct mrow *a = pa, *b = pb;

	if (a->priority != b->priority)
		return a->priority < b->priority ? -1 : 1;
	return (a->id > b->id) - (a->id < b->id);
}

static int action_order(const void *pa, const void *pb)
{
	const struct action_ref *a = pa, *b = pb;

	if (a->owner != b->owner)
		return a->owner < b->owner ? -1 : 1;
	if (a->order != b->order)
		return a->order < b->order ? -1 : 1;
	return (a->id > b->id) - (a->id < b->id);
}

/* first_action - index of the first action of owner (acts sorted). */
static size_t first_action(const struct mcollect *m, int64_t owner)
{
	size_t lo = 0, hi = m->nact;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (m->act[mid].owner < owner)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/*
 * Where compile_rows puts the patterns: one set (response patterns,
 * one subject), or groups by the property each names (rewrite triggers).
 */
struct pat_sink {
	struct pattern_set *set;
	struct pattern_groups *groups;
};

static int sink_count(const struct pat_sink *k)
{
	return k->groups ? pattern_groups_count(k->groups)
			 : pattern_set_count(k->set);
}

static enum pattern_rc sink_add(struct pat_sink *k, const struct mrow *u,
				enum pattern_type dflt)
{
	if (k->groups)
		return pattern_groups_add(k->groups, u->info.property,
					  u->info.proplen, u->id, u->type,
					  u->typelen, dflt, u->pattern,
					  u->patlen);
	return pattern_set_add(k->set, u->id, u->type, u->typelen, dflt,
			       u->pattern, u->patlen);
}

static enum pattern_rc sink_finish(struct pat_sink *k)
{
	return k->groups ? pattern_groups_finish(k->groups)
			 : pattern_set_finish(k->set);
}

/* compile_rows - the ordered rows into the sink, with info and actions. */
static enum store_rc compile_rows(struct mcollect *m, struct pat_sink *sink,
				  struct match_info *info, int64_t *ids)
{
	struct lookup_set *ls = m->ls;
	enum pattern_type dflt;
	const struct reg_table *t = reg_mailerq_find(m->mc->table);
	const char *dname = t->cols[m->mc->type].dflt;

	pattern_type_parse(dname, strlen(dname), PATTERN_EXACT, &dflt);
	for (size_t i = 0; i < m->nact; i++)
		ids[i] = m->act[i].id;
	for (size_t i = 0; i < m->n; i++) {
		struct mrow *u = &m->row[i];
		int n = sink_count(sink);
		enum pattern_rc prc;
		size_t a;

		if (u->null_pattern) {
			lookup_report(ls, "%s id %lld: pattern is NULL: "
				      "skipped", m->mc->table,
				      (long long)u->id);
			continue;
		}
		prc = sink_add(sink, u, dflt);
		if (prc == PATTERN_BAD)
			ls->skipped++;
		if (prc == PATTERN_NOMEM)
			return STORE_INTERNAL;
		if (prc != PATTERN_OK)
			continue;
		info[n] = u->info;
		a = first_action(m, u->id);
		info[n].first_action = (uint32_t)a;
		while (a < m->nact && m->act[a].owner == u->id)
			a++;
		info[n].nactions = (uint32_t)(a - info[n].first_action);
	}
	return sink_finish(sink) ? STORE_INTERNAL : STORE_OK;
}

/* build_one - one pattern table and its actions into the sink. */
static enum store_rc build_one(struct lookup_set *ls, struct store_txn *txn,
			       const struct match_cols *mc,
			       const char *actions, store_row_fn add,
			       struct pat_sink *sink,
			       struct match_info **info, int64_t **ids)
{
	struct mcollect m = { .ls = ls, .mc = mc };
	enum store_rc rc = store_scan(txn, mc->table, NULL, 0, add_mrow, &m);

	if (rc == STORE_OK)
		rc = store_scan(txn, actions, NULL, 0, add, &m);
	if (rc == STORE_OK && !m.nomem) {
		if (m.n)
			qsort(m.row, m.n, sizeof(*m.row), mrow_order);
		if (m.nact)
			qsort(m.act, m.nact, sizeof(*m.act), action_order);
		if (mc->property >= 0)
			sink->groups = pattern_groups_new(mc->table, mc->flags,
							  ls->report, ls->arg);
		else
			sink->set = pattern_set_new(mc->table, mc->flags,
						    ls->report, ls->arg);
		*info = calloc(m.n + 1, sizeof(**info));
		*ids = calloc(m.nact + 1, sizeof(**ids));
		if ((!sink->set && !sink->groups) || !*info || !*ids)
			m.nomem = true;
		else if (compile_rows(&m, sink, *info, *ids))
			m.nomem = true;
	}
	if (rc == STORE_OK && m.nomem)
		rc = store_fail(txn->st, STORE_INTERNAL, "out of memory");
	free(m.row);
	free(m.act);
	return rc;
}

enum store_rc match_build(struct lookup_set *ls, struct store_txn *txn)
{
	struct pat_sink response = { 0 }, rewrite = { 0 };
	enum store_rc rc = build_one(ls, txn, &response_cols,
				     "response_patterns_actions",
				     add_response_action, &response,
				     &ls->response_info,
				     &ls->response_action);

	ls->response = response.set;
	if (rc == STORE_OK)
		rc = build_one(ls, txn, &rewrite_cols, "rewrite_actions",
			       add_rewrite_action, &rewrite,
			       &ls->rewrite_info, &ls->rewrite_action);
	ls->rewrite = rewrite.groups;
	return rc;
}

/* get_by_id - the row of table with that id, zero-copy. */
static enum store_rc get_by_id(const struct lookup_ctx *c, const char *table,
			       int64_t id, struct store_row *out)
{
	struct store_value key = { .kind = SV_INT, .i = id };

	return store_get_by_key(c->txn, reg_mailerq_find(table), table, &key,
				out);
}

/* first_match - the row of the first pattern of set matching s. */
static enum store_rc first_match(const struct lookup_ctx *c,
				 const struct pattern_set *set,
				 const char *table, const char *s,
				 struct store_row *out)
{
	size_t len = strlen(s);
	int i;

	if (len > (1u << 20))
		return store_fail(c->txn->st, STORE_BADDATA, "%s lookup: "
				  "argument longer than 1 MiB", table);
	i = pattern_set_next(set, 0, s, len, c->scratch);
	if (i < 0)
		return STORE_NOTFOUND;
	return get_by_id(c, table, pattern_set_id(set, i), out);
}

enum store_rc store_lookup_flood(const struct lookup_ctx *c,
				 const char *text, struct store_row *out)
{
	return first_match(c, c->set->flood, "flood_responses", text, out);
}

enum store_rc store_lookup_local(const struct lookup_ctx *c,
				 const char *rcpt, struct store_row *out)
{
	return first_match(c, c->set->locals, "locals", rcpt, out);
}

/* wildcard - is column (col, len) empty or equal to arg? */
static bool wildcard(const char *col, size_t len, const char *arg)
{
	return len == 0 || text_fold_equal(col, len, arg, strlen(arg));
}

/*
 * emit_actions - fn for each action row of info; returns non-zero when
 *	fn asked to stop, or a store failure in *rc.
 */
static int emit_actions(const struct lookup_ctx *c, const char *table,
			const int64_t *ids, const struct match_info *info,
			store_row_fn fn, void *arg, enum store_rc *rc)
{
	struct store_row row;

	for (uint32_t k = 0; k < info->nactions; k++) {
		*rc = get_by_id(c, table, ids[info->first_action + k], &row);
		if (*rc == STORE_NOTFOUND)
			continue;
		if (*rc)
			return 1;
		if (fn(&row, arg))
			return 1;
	}
	*rc = STORE_OK;
	return 0;
}

/*
 * walk_response - the response_patterns that apply to text from localip
 *	to domain, by priority then id, up to the first final one: fn gets
 *	each pattern's row (patterns true) or its actions' rows.
 */
static enum store_rc walk_response(const struct lookup_ctx *c,
				   const char *text, const char *localip,
				   const char *domain, bool patterns,
				   store_row_fn fn, void *arg)
{
	const struct lookup_set *ls = c->set;
	size_t len = strlen(text);
	enum store_rc rc = STORE_OK;
	struct store_row row;
	bool matched = false;

	for (int i = pattern_set_next(ls->response, 0, text, len, c->scratch);
	     i >= 0;
	     i = pattern_set_next(ls->response, i + 1, text, len, c->scratch)) {
		const struct match_info *m = &ls->response_info[i];
		if (!wildcard(m->localip, m->iplen, localip) ||
		    !wildcard(m->domain, m->domlen, domain))
			continue;
		matched = true;
		if (patterns) {
			rc = get_by_id(c, "response_patterns",
				       pattern_set_id(ls->response, i), &row);
			if (rc == STORE_NOTFOUND)
				rc = STORE_OK;
			else if (rc || fn(&row, arg))
				break;
		} else if (emit_actions(c, "response_actions",
					ls->response_action, m, fn, arg, &rc)) {
			break;
		}
		if (m->final)
			break;
	}
	return rc ? rc : matched ? STORE_OK : STORE_NOTFOUND;
}

enum store_rc store_lookup_response(const struct lookup_ctx *c,
				    const char *text, const char *localip,
				    const char *domain, store_row_fn fn,
				    void *arg)
{
	return walk_response(c, text, localip, domain, false, fn, arg);
}

enum store_rc store_lookup_response_patterns(const struct lookup_ctx *c,
					     const char *text,
					     const char *localip,
					     const char *domain,
					     store_row_fn fn, void *arg)
{
	return walk_response(c, text, localip, domain, true, fn, arg);
}

/* A message's properties, as a walk of the triggers asks for them. */
struct props {
	const struct lookup_prop *p;
	int n;
};

/* prop_value - the value of the first property called name, or NULL. */
static const char *prop_value(void *arg, const char *name, size_t len)
{
	const struct props *props = arg;

	for (int i = 0; i < props->n; i++)
		if (text_fold_equal(props->p[i].name, strlen(props->p[i].name),
				    name, len))
			return props->p[i].value;
	return NULL;
}

enum store_rc store_lookup_rewrite(const struct lookup_ctx *c,
				   const struct lookup_prop *props, int nprops,
				   store_row_fn fn, void *arg)
{
	const struct lookup_set *ls = c->set;
	struct props msg = { props, nprops };
	const char *localip = prop_value(&msg, "localip", 7);
	const char *domain = prop_value(&msg, "domain", 6);
	enum store_rc rc = STORE_OK;
	bool fired = false;
	struct match_walk w;

	pattern_groups_walk(ls->rewrite, &w, prop_value, &msg, c->scratch);
	for (int i = pattern_groups_walk_next(&w); i >= 0;
	     i = pattern_groups_walk_next(&w)) {
		const struct match_info *m = &ls->rewrite_info[i];
		if (!wildcard(m->localip, m->iplen, localip ? localip : "") ||
		    !wildcard(m->domain, m->domlen, domain ? domain : ""))
			continue;
		fired = true;
		if (emit_actions(c, "rewrite_actions", ls->rewrite_action, m,
				 fn, arg, &rc) || m->final)
			break;
	}
	return rc ? rc : fired ? STORE_OK : STORE_NOTFOUND;
}
