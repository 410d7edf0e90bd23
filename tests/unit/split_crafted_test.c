/*
 * NAME
 *	split_crafted_test - a T_name row no writer makes is read safely
 * DESCRIPTION
 *	Every writer refuses a split entry's domain longer than 3 bytes,
 *	but a damaged or crafted store file can hold one: the readers of
 *	the split (mq split check, GET /v1/lists/T/split/check, the
 *	sublist listing) must not trust its length.  The row is rewritten
 *	with LMDB behind the store's back, then the split is read.
 */
#include <lmdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/internal.h"
#include "check.h"

#define ROOT	"ml"

static char file[64];

/* setup_fn - list ml and one split entry: domain "abc", hashes 0..10 */
static enum store_rc setup_fn(struct store_txn *txn, void *arg)
{
	struct store_assign a[] = {
		{ REG_SPLIT_NAME, { .kind = SV_TEXT, .s = "s1", .len = 2 } },
		{ REG_SPLIT_DOMAIN, { .kind = SV_TEXT, .s = "abc", .len = 3 } },
		{ REG_SPLIT_HASH_HI, { .kind = SV_INT, .i = 10 } },
	};
	int64_t listno = 0;
	enum store_rc rc = store_list_create(txn, ROOT, NULL, 0);

	(void)arg;
	return rc ? rc : store_set(txn, ROOT "_name", a, 3, &listno);
}

/* lengthen_domain - the entry's domain becomes 200 bytes, raw */
static bool lengthen_domain(void)
{
	static struct store_row row;
	static char domain[200];
	static uint8_t buf[4096];
	char root[REG_NAME_MAX];
	const struct reg_table *t = reg_list_split(ROOT "_name", root,
						   sizeof(root));
	MDB_env *env = NULL;
	MDB_txn *txn = NULL;
	MDB_cursor *c = NULL;
	MDB_dbi dbi;
	MDB_val k, d;
	bool ok;

	memset(domain, 'x', sizeof(domain));
	ok = t && mdb_env_create(&env) == 0 &&
	     mdb_env_set_maxdbs(env, 8192) == 0 &&
	     mdb_env_open(env, file, MDB_NOSUBDIR, 0600) == 0 &&
	     mdb_txn_begin(env, NULL, 0, &txn) == 0 &&
	     mdb_dbi_open(txn, "l:_name", 0, &dbi) == 0 &&
	     mdb_cursor_open(txn, dbi, &c) == 0 &&
	     mdb_cursor_get(c, &k, &d, MDB_FIRST) == 0 &&
	     row_decode(t, d.mv_data, d.mv_size, &row);
	if (ok) {
		row.col[REG_SPLIT_DOMAIN] = (struct store_value){
			.kind = SV_TEXT, .s = domain, .len = sizeof(domain) };
		ok = row_size(t, &row) <= sizeof(buf);
	}
	if (ok) {
		row_encode(t, &row, buf);
		d = (MDB_val){ row_size(t, &row), buf };
		ok = mdb_cursor_put(c, &k, &d, MDB_CURRENT) == 0;
	}
	if (c)
		mdb_cursor_close(c);
	ok = ok && mdb_txn_commit(txn) == 0;
	if (!ok && txn)
		mdb_txn_abort(txn);
	if (env)
		mdb_env_close(env);
	return ok;
}

/* count_gap - split_gaps callback: count the gaps */
static int count_gap(const struct split_gap *g, void *arg)
{
	(void)g;
	(*(int *)arg)++;
	return 0;
}

int main(void)
{
	char dir[] = "/tmp/split_crafted_test.XXXXXX", err[512] = "";
	struct store *st = NULL;
	struct store_txn *txn;
	uint64_t entries = 0;
	int gaps = 0;

	if (!CHECK(mkdtemp(dir), "a directory"))
		return check_done();
	snprintf(file, sizeof(file), "%s/mq.mdb", dir);
	if (!CHECK(store_open(file, 0, NULL, &st, err, sizeof(err)) ==
		   STORE_OK && store_write(st, setup_fn, NULL, NULL) ==
		   STORE_OK, "a list with one split entry: %s", err))
		return check_done();
	store_close(st);
	CHECK(lengthen_domain(), "its domain rewritten to 200 bytes, raw");
	if (!CHECK(store_open(file, 0, NULL, &st, err, sizeof(err)) ==
		   STORE_OK, "the store opens again: %s", err))
		return check_done();
	CHECK(store_read_begin(st, &txn) == STORE_OK &&
	      store_split_gaps(txn, ROOT, false, count_gap, &gaps,
			       &entries) == STORE_OK,
	      "the split check reads it: %s", store_errmsg(st));
	CHECK(entries == 1, "one entry (%llu)", (unsigned long long)entries);
	CHECK(gaps == 2, "two gaps: the empty domain's, and 11..52 of the "
	      "entry's domain (%d)", gaps);
	store_read_end(txn);
	store_close(st);
	return check_done();
}
