/*
 * NAME
 *	write.c - insert, update and delete rows, with their change records
 * DESCRIPTION
 *	A row is encoded into the transaction's scratch buffer, then put:
 *	LMDB may spill dirty pages of a large transaction, so a pointer
 *	into a page written earlier in the same transaction is never
 *	trusted after another put.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store/internal.h"
#include "store/tagrec_int.h"

void store_txn_free_scratch(struct store_txn *t)
{
	free(t->scratch);
	t->scratch = NULL;
	t->scratchcap = 0;
}

static uint8_t *scratch(struct store_txn *t, size_t n)
{
	if (n > t->scratchcap) {
		size_t cap = n < 4096 ? 4096 : n;
		uint8_t *p = realloc(t->scratch, cap);

		if (!p)
			return NULL;
		t->scratch = p;
		t->scratchcap = cap;
	}
	return t->scratch;
}

/* put_row_at - encode row, store it under key, append the change. */
static enum store_rc put_row_at(struct store_txn *t, const struct reg_table *tb,
				const char *name, const struct tdb *dbi,
				const uint8_t *key, size_t keylen,
				const struct store_row *row)
{
	size_t n = row_size(tb, row);
	uint8_t *buf = scratch(t, n);
	MDB_val k = { keylen, (void *)key }, d = { n, buf };
	int rc;

	if (!buf)
		return store_fail(t->st, STORE_INTERNAL, "out of memory");
	row_encode(tb, row, buf);
	if ((rc = idx_on_put(t, tb, name, dbi, key, keylen, row)) ||
	    (rc = tag_on_put(t, tb, name, dbi, key, keylen, row)))
		return rc;
	rc = tdb_put(t->txn, dbi, &k, &d, 0);
	if (rc)
		return store_mdb_rc(t->st, rc, name);
	return store_change(t, CHANGE_PUT, name, key, keylen, buf, n);
}

/* row_check - see internal.h */
enum store_rc row_check(struct store *st, const char *name,
			const struct reg_table *tb,
			const struct store_row *row)
{
	enum store_rc rc;
	char why[96];

	if (reg_list_addresses(tb) && !address_row_valid(row, why, sizeof why))
		return store_fail(st, STORE_BADDATA, "%s.%s", name, why);
	for (int i = 0; i < tb->ncols; i++) {
		const struct reg_column *c = &tb->cols[i];

		if (row->col[i].kind == SV_NULL && (c->flags & REG_NOTNULL))
			return store_fail(st, STORE_BADDATA, "%s.%s: may not "
					  "be NULL", name, c->name);
		if ((rc = table_check_value(st, name, c, &row->col[i])))
			return rc;
	}
	for (int i = 0; i < row->nextra; i++) {
		const struct store_extra *x = &row->extra[i];

		if (x->namelen == 0 || x->namelen >= REG_NAME_MAX ||
		    memchr(x->name, 0, x->namelen))
			return store_fail(st, STORE_BADDATA, "%s: bad extra "
					  "column name", name);
		if (x->v.kind == SV_TEXT && x->v.len > (1u << 20))
			return store_fail(st, STORE_BADDATA, "%s.%.*s: longer "
					  "than 1 MiB", name,
					  (int)x->namelen, x->name);
	}
	return STORE_OK;
}

/* row_key - the key of a complete row; rowid tables get a new number. */
static enum store_rc row_key(struct store_txn *t, const struct reg_table *tb,
			     const char *name, const struct tdb *dbi,
			     const struct store_row *row, uint8_t *key,
			     size_t *keylen)
{
	struct store_value kv[REG_MAX_KEY];
	int64_t id;
	enum store_rc rc;

	if (tb->nkey == 0) {
		if ((rc = store_next_id(t, name, dbi, 0, &id)))
			return rc;
		key_encode_int(id, key);
		*keylen = 8;
		return STORE_OK;
	}
	for (int k = 0; k < tb->nkey; k++)
		kv[k] = row->col[tb->key[k]];
	return key_encode(tb, kv, key, keylen, store_errbuf(),
			  STORE_ERR_MAX);
}

enum store_rc store_put_row(struct store_txn *t, const char *name,
			    const struct store_row *row)
{
	uint8_t key[STORE_KEY_MAX + 1];
	const struct reg_table *tb;
	size_t keylen;
	struct tdb dbi;
	enum store_rc rc;

	if ((rc = table_resolve(t, name, &tb, &dbi)) ||
	    (rc = row_check(t->st, name, tb, row)) ||
	    (rc = row_key(t, tb, name, &dbi, row, key, &keylen)))
		return rc;
	/* An explicit id at or below 0 moves no counter (ids start at 1). */
	if (tb->nkey == 1 && (tb->cols[tb->key[0]].flags & REG_AUTO) &&
	    row->col[tb->key[0]].i > 0 &&
	    (rc = store_next_id(t, name, &dbi, row->col[tb->key[0]].i, NULL)))
		return rc;
	return put_row_at(t, tb, name, &dbi, key, keylen, row);
}
/*
 * default_value - the registry default of c; "now" is the current UTC
 *	time, written into now (which must outlive the value).
 */
static struct store_value default_value(const struct reg_column *c,
					char now[32])
{
	struct store_value v = { .kind = SV_NULL };

	if (!c->dflt)
		return v;
	if (c->type == REG_INT) {
		v.kind = SV_INT;
		v.i = strtoll(c->dflt, NULL, 10);
		return v;
	}
	v.kind = SV_TEXT;
	if (c->type == REG_TIME && strcmp(c->dflt, "now") == 0) {
		time_t tt = time(NULL);
		struct tm tm;

		gmtime_r(&tt, &tm);
		strftime(now, 32, "%Y-%m-%d %H:%M:%S", &tm);
		v.s = now;
	} else
		v.s = c->dflt;
	v.len = strlen(v.s);
	return v;
}


static void row_defaults(const struct reg_table *tb, struct store_row *row,
			 char now[32])
{
	memset(row, 0, sizeof(*row));
	for (int i = 0; i < tb->ncols; i++)
		row->col[i] = default_value(&tb->cols[i], now);
}

static enum store_rc check_assigns(struct store *st, const struct reg_table *tb,
				   const struct store_assign *a, int na,
				   bool have[REG_MAX_COLS])
{
	memset(have, 0, REG_MAX_COLS * sizeof(bool));
	for (int i = 0; i < na; i++) {
		if (a[i].col < 0 || a[i].col >= tb->ncols)
			return store_fail(st, STORE_BADDATA, "%s: bad column",
					  tb->name);
		if (have[a[i].col])
			return store_fail(st, STORE_BADDATA, "%s.%s: given "
					  "twice", tb->name,
					  tb->cols[a[i].col].name);
		have[a[i].col] = true;
	}
	return STORE_OK;
}

/*
 * load_existing - the row stored under key, copied out of the map (the
 *	put that follows may overwrite the page it lives in); *old holds
 *	the copy and must be freed.  STORE_NOTFOUND when there is none.
 */
static enum store_rc load_existing(struct store_txn *t,
				   const struct reg_table *tb, const char *name,
				   const struct tdb *dbi, const uint8_t *key,
				   size_t keylen, struct store_row *row,
				   uint8_t **old)
{
	MDB_val k = { keylen, (void *)key }, d;
	int rc = tdb_get(t->txn, dbi, &k, &d);

	*old = NULL;
	if (rc)
		return store_mdb_rc(t->st, rc, name);
	*old = malloc(d.mv_size);
	if (!*old)
		return store_fail(t->st, STORE_INTERNAL, "out of memory");
	memcpy(*old, d.mv_data, d.mv_size);
	if (!row_decode(tb, *old, d.mv_size, row))
		return table_corrupt_row(t->st, name);
	return STORE_OK;
}

static enum store_rc missing_key(struct store *st, const struct reg_table *tb)
{
	char cols[128] = "";

	for (int k = 0; k < tb->nkey; k++)
		snprintf(cols + strlen(cols), sizeof(cols) - strlen(cols),
			 "%s%s", k ? ", " : "", tb->cols[tb->key[k]].name);
	return store_fail(st, STORE_BADDATA, "%s: give the key column%s %s",
			  tb->name, tb->nkey > 1 ? "s" : "", cols);
}

enum store_rc store_set(struct store_txn *t, const char *name,
			const struct store_assign *a, int na, int64_t *id_out)
{
	uint8_t key[STORE_KEY_MAX + 1], *old = NULL;
	bool have[REG_MAX_COLS], all_key = true, insert = true;
	const struct reg_table *tb;
	struct store_row row;
	struct store_value kv[REG_MAX_KEY];
	char now[32];
	size_t keylen = 0;
	struct tdb dbi;
	int auto_col = -1;
	enum store_rc rc;

	if ((rc = table_resolve(t, name, &tb, &dbi)) ||
	    (rc = check_assigns(t->st, tb, a, na, have)))
		return rc;
	if (tb->nkey == 1 && (tb->cols[tb->key[0]].flags & REG_AUTO))
		auto_col = tb->key[0];
	for (int k = 0; k < tb->nkey; k++)
		all_key = all_key && have[tb->key[k]];
	row_defaults(tb, &row, now);
	if (tb->nkey && all_key) {
		for (int i = 0; i < na; i++)
			for (int k = 0; k < tb->nkey; k++)
				if (a[i].col == tb->key[k])
					kv[k] = a[i].v;
		rc = key_encode(tb, kv, key, &keylen, store_errbuf(),
				STORE_ERR_MAX);
		if (rc == STORE_OK)
			rc = load_existing(t, tb, name, &dbi, key, keylen, &row,
					   &old);
		insert = rc == STORE_NOTFOUND;
		if (insert)
			rc = STORE_OK;
	} else if (tb->nkey && auto_col < 0)
		rc = missing_key(t->st, tb);
	for (int i = 0; rc == STORE_OK && i < na; i++)
		row.col[a[i].col] = a[i].v;
	if (rc == STORE_OK && insert && auto_col >= 0 && !have[auto_col]) {
		row.col[auto_col].kind = SV_INT;
		rc = store_next_id(t, name, &dbi, 0, &row.col[auto_col].i);
	} else if (rc == STORE_OK && insert && auto_col >= 0)
		rc = row.col[auto_col].kind == SV_INT && row.col[auto_col].i > 0
			? store_next_id(t, name, &dbi, row.col[auto_col].i, NULL)
			: STORE_OK;
	if (rc == STORE_OK)
		rc = row_check(t->st, name, tb, &row);
	if (rc == STORE_OK && (keylen == 0 || tb->nkey == 0))
		rc = row_key(t, tb, name, &dbi, &row, key, &keylen);
	if (rc == STORE_OK)
		rc = put_row_at(t, tb, name, &dbi, key, keylen, &row);
	if (rc == STORE_OK && id_out && auto_col >= 0)
		*id_out = row.col[auto_col].i;
	free(old);
	return rc;
}

enum store_rc store_del_current(struct store_txn *t,
				const struct reg_table *tb, const char *name,
				struct tcur *c, const MDB_val *k)
{
	uint8_t key[STORE_KEY_MAX + 1];
	size_t keylen = k->mv_size;
	MDB_val ck, cd;
	int rc;

	if (keylen > STORE_KEY_MAX)
		return table_corrupt_row(t->st, name);
	memcpy(key, k->mv_data, keylen);
	if ((rc = tag_on_del(t, tb, name, &c->db,
			     &(MDB_val){ keylen, key })))
		return rc;
	if (reg_list_addresses(tb)) {
		MDB_val copy = { keylen, key };
		enum store_rc src;

		if ((rc = tcur_get(c, &ck, &cd, MDB_GET_CURRENT)))
			return store_mdb_rc(t->st, rc, name);
		if ((src = idx_on_del(t, tb, name, &c->db, &copy, &cd)))
			return src;
	}
	rc = mdb_cursor_del(c->c, 0);
	if (rc)
		return store_mdb_rc(t->st, rc, name);
	return store_change(t, CHANGE_DEL, name, key, keylen, NULL, 0);
}

enum store_rc store_del(struct store_txn *t, const char *name,
			const struct store_filter *f, int nf, uint64_t *n_out)
{
	struct store_value kv[REG_MAX_KEY];
	uint8_t key[STORE_KEY_MAX + 1];
	const struct reg_table *tb;
	struct store_row row;
	struct tcur c;
	MDB_val k = { 0, key }, d;
	struct tdb dbi;
	uint64_t n = 0;
	enum store_rc rc;
	int mrc;
	bool point;

	if ((rc = table_resolve(t, name, &tb, &dbi)) ||
	    (rc = table_check_filters(t->st, tb, f, nf)))
		return rc;
	point = table_filter_key(tb, f, nf, kv);
	if (point && key_encode(tb, kv, key, &k.mv_size, store_errbuf(),
				STORE_ERR_MAX) != STORE_OK)
		goto done;	/* no row can have an invalid key */
	if ((mrc = tcur_open(t->txn, &dbi, &c)))
		return store_mdb_rc(t->st, mrc, name);
	mrc = tcur_get(&c, &k, &d, point ? MDB_SET_KEY : MDB_FIRST);
	while (mrc == 0 && rc == STORE_OK) {
		if (!row_decode(tb, d.mv_data, d.mv_size, &row))
			rc = table_corrupt_row(t->st, name);
		else if (table_filter_match(&row, f, nf)) {
			rc = store_del_current(t, tb, name, &c, &k);
			n++;
			if (point)
				break;
			/* After a delete, MDB_NEXT yields the row that
			 * moved under the cursor. */
			mrc = tcur_get(&c, &k, &d, MDB_NEXT);
			continue;
		}
		if (point)
			break;
		mrc = tcur_get(&c, &k, &d, MDB_NEXT);
	}
	tcur_close(&c);
	if (rc == STORE_OK && mrc && mrc != MDB_NOTFOUND)
		rc = store_mdb_rc(t->st, mrc, name);
done:
	if (n_out)
		*n_out = n;
	return rc;
}

enum store_rc store_put_encoded(struct store_txn *t, const char *name,
				const uint8_t *key, size_t keylen,
				const uint8_t *row, size_t rowlen)
{
	const struct reg_table *tb;
	struct store_row r;
	struct tdb dbi;
	enum store_rc rc;

	if ((rc = table_resolve(t, name, &tb, &dbi)))
		return rc;
	if (keylen == 0 || keylen > STORE_KEY_MAX ||
	    !row_decode(tb, row, rowlen, &r))
		return store_fail(t->st, STORE_BADDATA, "%s: a row or key "
				  "that does not decode", name);
	return put_row_at(t, tb, name, &dbi, key, keylen, &r);
}

enum store_rc store_del_key(struct store_txn *t, const char *name,
			    const uint8_t *key, size_t keylen)
{
	const struct reg_table *tb;
	MDB_val k = { keylen, (void *)key }, d;
	struct tcur c;
	struct tdb dbi;
	enum store_rc rc;
	int mrc;

	if ((rc = table_resolve(t, name, &tb, &dbi)))
		return rc;
	if (keylen == 0 || keylen > STORE_KEY_MAX)
		return store_fail(t->st, STORE_BADDATA, "%s: a bad key", name);
	if ((mrc = tcur_open(t->txn, &dbi, &c)))
		return store_mdb_rc(t->st, mrc, name);
	mrc = tcur_get(&c, &k, &d, MDB_SET_KEY);
	rc = mrc == 0 ? store_del_current(t, tb, name, &c, &k)
		: mrc == MDB_NOTFOUND ? STORE_OK : store_mdb_rc(t->st, mrc, name);
	tcur_close(&c);
	return rc;
}
