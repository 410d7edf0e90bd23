/*
 * NAME
 *	dkim.c - the dkim(from) lookup: patterns to keys, by priority
 * SYNOPSIS
 *	#include "store/store.h"
 * DESCRIPTION
 *	dkim_set_build reads dkim_keys in id order into keys[], decides
 *	once per key whether verify lets it be used (its status is
 *	"verified" and was made on the key data the row holds now), and
 *	ranks the usable keys by (priority, id).  Patterns of usable keys
 *	go into one pattern_set matched against the from domain, and
 *	those holding an '@' also into a second one matched against the
 *	whole address (both ASCII case folded: addresses and domains
 *	compare without case), each pattern remembering its key's rank.
 *
 *	A lookup walks both sets' matches, keeps the ranks of keys not
 *	expired at ctx->now in a small sorted array on the stack (keys
 *	with many matching patterns count once), then reads each key's
 *	row by id from ctx->txn and hands it to the caller.  Expiry is
 *	judged per lookup, so a key expires on time without a rebuild.
 * DIAGNOSTICS
 *	See dkim.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store/internal.h"

/* dkim_patterns columns, by registry index. */
enum { PAT_COL_ID, PAT_COL_KEY, PAT_COL_TYPE, PAT_COL_SIGN };

struct dkim_key_ent {
	int64_t id;
	int64_t priority;
	int64_t expire;		/* unix seconds; INT64_MAX: never */
	int rank;		/* position by (priority, id); -1: not used */
};

struct dkim_set {
	uint64_t mailerq_seq, status_gen;	/* the version built from */
	const struct reg_table *keys_table;	/* dkim_keys */
	struct dkim_key_ent *keys;		/* by id */
	int nkeys, capkeys;
	int *by_rank;				/* rank -> index in keys */
	int nused;
	struct pattern_set *patterns;		/* matched to the domain */
	struct pattern_set *addresses;		/* with '@': to the address */
	int *pat_rank;				/* pattern index -> key rank */
	int *addr_rank;				/* the same for addresses */
	int npat, naddr, cappat;
	int skipped;				/* patterns not in the set */
	pattern_report_fn report;
	void *arg;
};

/* The build's state while scanning. */
struct build {
	struct dkim_set *ds;
	struct store_txn *txn;
	enum store_rc rc;
};

/* set_version - the MailerQ tables' sequence and the status generation. */
static enum store_rc set_version(struct store_txn *txn, uint64_t *seq,
				 uint64_t *gen)
{
	int rc = store_meta_get_u64(txn, META_MAILERQ_SEQ, seq);

	if (rc == MDB_NOTFOUND) {
		*seq = 0;
		rc = 0;
	}
	if (rc)
		return store_mdb_rc(txn->st, rc, "meta");
	return store_dkim_status_gen(txn, gen);
}

/*
 * key_usable - dkim_status_usable of the key's status, when it was
 *	made on this key data; without one, only a key without verify.
 */
static bool key_usable(struct build *b, const struct store_row *row,
		       int64_t id)
{
	struct dkim_status_rec s;
	uint8_t digest[DKIM_DIGEST_LEN];
	bool verify = row->col[DKIM_COL_VERIFY].kind == SV_INT &&
		      row->col[DKIM_COL_VERIFY].i != 0;

	/* No status, or one that does not read: not verified. */
	if (store_dkim_status_get(b->txn, id, &s) != STORE_OK)
		return !verify;
	store_dkim_digest(row, digest);
	if (memcmp(digest, s.digest, DKIM_DIGEST_LEN))
		return !verify;
	return dkim_status_usable(s.status, verify);
}

/* add_key - store_scan callback: one dkim_keys row into keys[]. */
static int add_key(const struct store_row *row, void *arg)
{
	struct build *b = arg;
	struct dkim_set *ds = b->ds;
	const struct store_value *prio = &row->col[DKIM_COL_PRIORITY];
	struct dkim_key_ent *k;

	if (ds->nkeys == ds->capkeys) {
		int cap = ds->capkeys ? 2 * ds->capkeys : 64;
		void *p = realloc(ds->keys, (size_t)cap * sizeof(*ds->keys));

		if (!p) {
			b->rc = store_fail(b->txn->st, STORE_INTERNAL,
					   "out of memory");
			return 1;
		}
		ds->keys = p;
		ds->capkeys = cap;
	}
	k = &ds->keys[ds->nkeys];
	k->id = row->col[DKIM_COL_ID].i;
	k->priority = prio->kind == SV_INT ? prio->i : 0;
	k->expire = store_dkim_expire(row);
	k->rank = key_usable(b, row, k->id) ? 0 : -1;
	ds->nkeys++;
	return b->rc != STORE_OK;
}

/* by_priority - qsort_r order of key indexes: priority, then id. */
static int by_priority(const void *a, const void *b, void *keys)
{
	const struct dkim_key_ent *x = (struct dkim_key_ent *)keys +
				       *(const int *)a;
	const struct dkim_key_ent *y = (struct dkim_key_ent *)keys +
				       *(const int *)b;

	if (x->priority != y->priority)
		return x->priority < y->priority ? -1 : 1;
	return x->id < y->id ? -1 : x->id > y->id;
}

/* rank_keys - number the usable keys by (priority, id). */
static enum store_rc rank_keys(struct store *st, struct dkim_set *ds)
{
	ds->by_rank = malloc(((size_t)ds->nkeys + 1) * sizeof(int));
	if (!ds->by_rank)
		return store_fail(st, STORE_INTERNAL, "out of memory");
	for (int i = 0; i < ds->nkeys; i++)
		if (ds->keys[i].rank == 0)
			ds->by_rank[ds->nused++] = i;
	qsort_r(ds->by_rank, (size_t)ds->nused, sizeof(int), by_priority,
		ds->keys);
	for (int r = 0; r < ds->nused; r++)
		ds->keys[ds->by_rank[r]].rank = r;
	return STORE_OK;
}

/* find_key - index in keys (sorted by id) of key id, or -1. */
static int find_key(const struct dkim_set *ds, int64_t id)
{
	int lo = 0, hi = ds->nkeys;

	while (lo < hi) {
		int mid = lo + (hi - lo) / 2;

		if (ds->keys[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < ds->nkeys && ds->keys[lo].id == id ? lo : -1;
}

/* skip_pattern - report a pattern row left out of the set. */
static void skip_pattern(struct dkim_set *ds, int64_t id, const char *why,
			 int64_t key)
{
	char line[256];

	ds->skipped++;
	if (!ds->report)
		return;
	snprintf(line, sizeof(line), "dkim_patterns id %lld: %s %lld",
		 (long long)id, why, (long long)key);
	ds->report(ds->arg, line);
}

/* add_sign - a pattern row's sign of its type (NULL: exact) into set. */
static enum pattern_rc add_sign(struct pattern_set *set, int64_t id,
				const struct store_value *type,
				const struct store_value *sign)
{
	bool typed = type->kind == SV_TEXT;

	return pattern_set_add(set, id, typed ? type->s : NULL,
			       typed ? type->len : 0, PATTERN_EXACT, sign->s,
			       sign->len);
}

/* add_pattern - store_scan callback: compile one dkim_patterns row. */
static int add_pattern(const struct store_row *row, void *arg)
{
	struct build *b = arg;
	struct dkim_set *ds = b->ds;
	const struct store_value *key = &row->col[PAT_COL_KEY];
	const struct store_value *type = &row->col[PAT_COL_TYPE];
	const struct store_value *sign = &row->col[PAT_COL_SIGN];
	int64_t id = row->col[PAT_COL_ID].i;
	enum pattern_rc prc;
	int k;

	if (key->kind != SV_INT || (k = find_key(ds, key->i)) < 0) {
		skip_pattern(ds, id, "no dkim_keys row with id",
			     key->kind == SV_INT ? key->i : 0);
		return 0;
	}
	if (ds->keys[k].rank < 0 || sign->kind != SV_TEXT)
		return 0;	/* key left out by verify, or no pattern */
	if (ds->npat == ds->cappat) {
		int cap = ds->cappat ? 2 * ds->cappat : 64;
		void *p = realloc(ds->pat_rank, (size_t)cap * sizeof(int));
		void *a = p ? realloc(ds->addr_rank, (size_t)cap *
				      sizeof(int)) : NULL;

		if (p)
			ds->pat_rank = p;
		if (!a) {
			b->rc = store_fail(b->txn->st, STORE_INTERNAL,
					   "out of memory");
			return 1;
		}
		ds->addr_rank = a;
		ds->cappat = cap;
	}
	prc = add_sign(ds->patterns, id, type, sign);
	if (prc == PATTERN_OK) {
		ds->pat_rank[ds->npat++] = ds->keys[k].rank;
		if (memchr(sign->s, '@', sign->len) &&
		    (prc = add_sign(ds->addresses, id, type, sign)) ==
		    PATTERN_OK)
			ds->addr_rank[ds->naddr++] = ds->keys[k].rank;
	} else if (prc == PATTERN_BAD)
		ds->skipped++;
	if (prc == PATTERN_NOMEM) {
		b->rc = store_fail(b->txn->st, STORE_INTERNAL, "out of memory");
		return 1;
	}
	return 0;
}

enum store_rc dkim_set_build(struct store_txn *txn, pattern_report_fn report,
			     void *arg, struct dkim_set **out)
{
	struct dkim_set *ds = calloc(1, sizeof(*ds));
	struct build b = { ds, txn, STORE_OK };
	enum store_rc rc;

	*out = NULL;
	if (!ds)
		return store_fail(txn->st, STORE_INTERNAL, "out of memory");
	ds->report = report;
	ds->arg = arg;
	ds->keys_table = reg_mailerq_find("dkim_keys");
	ds->patterns = pattern_set_new("dkim_patterns", PATTERN_FOLD, report,
				       arg);
	/* The same patterns again: refusals are reported by the first. */
	ds->addresses = pattern_set_new("dkim_patterns", PATTERN_FOLD, NULL,
					NULL);
	rc = ds->patterns && ds->addresses ? set_version(txn, &ds->mailerq_seq,
					&ds->status_gen)
			  : store_fail(txn->st, STORE_INTERNAL,
				       "out of memory");
	if (!rc)
		rc = store_scan(txn, "dkim_keys", NULL, 0, add_key, &b);
	if (!rc && !(rc = b.rc))
		rc = rank_keys(txn->st, ds);
	if (!rc)
		rc = store_scan(txn, "dkim_patterns", NULL, 0, add_pattern, &b);
	if (!rc && !(rc = b.rc) &&
	    (pattern_set_finish(ds->patterns) != PATTERN_OK ||
	     pattern_set_finish(ds->addresses) != PATTERN_OK))
		rc = store_fail(txn->st, STORE_INTERNAL, "out of memory");
	if (rc) {
		dkim_set_free(ds);
		return rc;
	}
	*out = ds;
	return STORE_OK;
}

void dkim_set_free(struct dkim_set *ds)
{
	if (!ds)
		return;
	pattern_set_free(ds->patterns);
	pattern_set_free(ds->addresses);
	free(ds->keys);
	free(ds->by_rank);
	free(ds->pat_rank);
	free(ds->addr_rank);
	free(ds);
}

enum store_rc dkim_set_current(const struct dkim_set *ds,
			       struct store_txn *txn, bool *current)
{
	uint64_t seq, gen;
	enum store_rc rc = set_version(txn, &seq, &gen);

	*current = rc == STORE_OK && seq == ds->mailerq_seq &&
		   gen == ds->status_gen;
	return rc;
}

int dkim_set_keys(const struct dkim_set *ds)
{
	return ds->nkeys;
}

int dkim_set_skipped(const struct dkim_set *ds)
{
	return ds->skipped;
}

size_t dkim_set_bytes(const struct dkim_set *ds)
{
	return sizeof(*ds) + (size_t)ds->capkeys * sizeof(*ds->keys) +
	       ((size_t)ds->nkeys + 1 + 2 * (size_t)ds->cappat) * sizeof(int) +
	       pattern_set_bytes(ds->patterns) +
	       pattern_set_bytes(ds->addresses);
}

/* insert_rank - add r to the sorted ranks[0..*n), once, keeping the best. */
static void insert_rank(int *ranks, int *n, int r)
{
	int i = *n;

	while (i > 0 && ranks[i - 1] > r)
		i--;
	if ((i > 0 && ranks[i - 1] == r) || i == DKIM_LOOKUP_MAX)
		return;
	if (*n < DKIM_LOOKUP_MAX)
		(*n)++;
	memmove(ranks + i + 1, ranks + i,
		(size_t)(*n - 1 - i) * sizeof(*ranks));
	ranks[i] = r;
}

/* emit - read each ranked key's row and pass it on; *found if any. */
static enum store_rc emit(const struct dkim_set *ds, struct store_txn *txn,
			  const int *ranks, int n, store_row_fn fn, void *arg,
			  bool *found)
{
	struct store_row row;

	for (int i = 0; i < n; i++) {
		struct store_value id = { .kind = SV_INT,
			.i = ds->keys[ds->by_rank[ranks[i]]].id };
		enum store_rc rc = store_get_by_key(txn, ds->keys_table,
						    "dkim_keys", &id, &row);

		if (rc == STORE_NOTFOUND)	/* deleted since the build */
			continue;
		if (rc)
			return rc;
		*found = true;
		if (fn(&row, arg))
			break;
	}
	return STORE_OK;
}

/* collect - the ranks of unexpired keys whose patterns of set match s. */
static void collect(const struct dkim_set *ds, const struct pattern_set *set,
		    const int *rank, const char *s, size_t len, int64_t now,
		    struct pattern_scratch *sc, int *ranks, int *n)
{
	for (int i = pattern_set_next(set, 0, s, len, sc); i >= 0;
	     i = pattern_set_next(set, i + 1, s, len, sc)) {
		int r = rank[i];

		if (ds->keys[ds->by_rank[r]].expire > now)
			insert_rank(ranks, n, r);
	}
}

enum store_rc store_lookup_dkim(const struct dkim_set *ds,
				const struct lookup_ctx *ctx, const char *from,
				store_row_fn fn, void *arg)
{
	size_t len = strnlen(from, DKIM_FROM_MAX + 1);
	int64_t now = ctx->now ? ctx->now : (int64_t)time(NULL);
	int ranks[DKIM_LOOKUP_MAX], n = 0;
	const char *at, *domain = from;
	bool found = false;
	enum store_rc rc;

	if (len > DKIM_FROM_MAX)
		return store_fail(ctx->txn->st, STORE_BADDATA, "dkim: from "
				  "address longer than %d bytes",
				  DKIM_FROM_MAX);
	if ((at = memrchr(from, '@', len)))
		domain = at + 1;
	collect(ds, ds->patterns, ds->pat_rank, domain,
		len - (size_t)(domain - from), now, ctx->scratch, ranks, &n);
	if (at)
		collect(ds, ds->addresses, ds->addr_rank, from, len, now,
			ctx->scratch, ranks, &n);
	rc = emit(ds, ctx->txn, ranks, n, fn, arg, &found);
	if (rc)
		return rc;
	return found ? STORE_OK : STORE_NOTFOUND;
}
