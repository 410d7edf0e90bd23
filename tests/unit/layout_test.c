/*
 * NAME
 *	layout_test - lists in shared databases (format 3), and the upgrade
 * DESCRIPTION
 *	Three lists side by side: each lists, counts and numbers only its
 *	own rows (the key prefix never leaks into a neighbour), a drop
 *	removes exactly its list's rows, and a list created again gets a
 *	new id and starts empty.  Then the format 2 fixture
 *	(tests/fixtures/format2.mdb, written by an mq of format 2), as it
 *	is and turned into format 1 (its indexes dropped), is opened
 *	read-only: both are upgraded, list the same addresses, verify,
 *	and keep no database of the old layout.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/internal.h"
#include "check.h"

#define FIXTURE	"tests/fixtures/format2.mdb"
#define MAXADDR	128

static char dir[] = "/tmp/layout_test.XXXXXX";

struct listing {
	int n;
	char addr[MAXADDR][64];
};

static int list_fn(const char *a, size_t len, int hash, void *arg)
{
	struct listing *l = arg;

	(void)hash;
	if (l->n < MAXADDR && len < 64) {
		memcpy(l->addr[l->n], a, len);
		l->addr[l->n][len] = 0;
	}
	l->n++;
	return 0;
}

/* listing - list root's table which (hashes 0..52 and receipts). */
static bool listing(struct store *st, const char *root, enum sub_table which,
		    struct listing *l)
{
	struct store_txn *t;
	enum store_rc rc;

	memset(l, 0, sizeof(*l));
	if (store_read_begin(st, &t))
		return false;
	rc = store_sub_each(t, root, which, 0, SUB_HASH_MAX, true, list_fn, l);
	store_read_end(t);
	return rc == STORE_OK;
}

/* listed - how many addresses listing gives; -1 on failure. */
static int listed(struct store *st, const char *root, enum sub_table which,
		  struct listing *l)
{
	return listing(st, root, which, l) ? l->n : -1;
}

static uint64_t count(struct store *st, const char *table)
{
	struct store_txn *t;
	uint64_t n = UINT64_MAX;

	if (store_read_begin(st, &t))
		return n;
	if (store_count(t, table, &n))
		n = UINT64_MAX;
	store_read_end(t);
	return n;
}

static uint32_t id_of(struct store *st, const char *root)
{
	struct store_txn *t;
	uint32_t id = 0;

	if (store_read_begin(st, &t))
		return 0;
	if (list_id(t, root, &id))
		id = 0;
	store_read_end(t);
	return id;
}

static enum store_rc create_fn(struct store_txn *t, void *arg)
{
	const char *const *roots = arg;
	enum store_rc rc = STORE_OK;

	for (int i = 0; roots[i] && rc == STORE_OK; i++)
		rc = store_list_create(t, roots[i], NULL, 0);
	return rc;
}

static enum store_rc drop_fn(struct store_txn *t, void *arg)
{
	return store_list_drop(t, arg);
}

/* sub_fn - subscribe three addresses to list b, one to c's digest. */
static enum store_rc sub_fn(struct store_txn *t, void *arg)
{
	static const char *const addrs[] = { "one@b.example",
		"Two@B.example", "three@b.example" };
	struct sub_request r[3] = { { 0 } };
	enum store_rc rc;

	(void)arg;
	for (int i = 0; i < 3; i++)
		r[i] = (struct sub_request){ .addr = addrs[i],
			.len = strlen(addrs[i]), .hash = -1 };
	rc = store_sub(t, "b", SUB_MAIN, true, r, 3, NULL, NULL);
	return rc ? rc : store_sub(t, "c", SUB_DIGEST, true, r, 1, NULL, NULL);
}

static bool verifies(const char *file)
{
	char err[512] = "";
	uint64_t rows;
	bool ok = store_verify_file(file, &rows, err, sizeof(err)) == STORE_OK;

	return CHECK(ok, "%s verifies %s", file, err);
}

static void test_neighbours(void)
{
	static const char *const abc[] = { "a", "b", "c", NULL };
	static const char *const b_only[] = { "b", NULL };
	static struct listing l;
	char file[96], err[512] = "";
	struct store *st;
	uint32_t old_b;

	snprintf(file, sizeof(file), "%s/n.mdb", dir);
	if (!CHECK(store_open(file, 0, NULL, &st, err, sizeof(err)) ==
		   STORE_OK && store_write(st, create_fn, (void *)abc, NULL) ==
		   STORE_OK && store_write(st, sub_fn, NULL, NULL) == STORE_OK,
		   "three lists, b with three addresses: %s", err))
		return;
	CHECK(listed(st, "a", SUB_MAIN, &l) == 0, "a lists none");
	CHECK(listed(st, "b", SUB_MAIN, &l) == 3, "b lists 3");
	CHECK(listed(st, "c", SUB_MAIN, &l) == 0, "c lists none");
	CHECK(listed(st, "c", SUB_DIGEST, &l) == 1 &&
	      strcmp(l.addr[0], "one@b.example") == 0, "c's digest lists 1");
	CHECK(count(st, "b") == 3 && count(st, "b_slog") == 3 &&
	      count(st, "a_slog") == 0 && count(st, "c_digest_slog") == 1,
	      "counts are each list's own");
	old_b = id_of(st, "b");
	CHECK(store_write(st, drop_fn, "b", NULL) == STORE_OK &&
	      count(st, "c_digest") == 1 && count(st, "a") == 0,
	      "dropping b leaves c's rows");
	CHECK(store_write(st, create_fn, (void *)b_only, NULL) == STORE_OK &&
	      id_of(st, "b") > old_b && id_of(st, "b") > id_of(st, "c"),
	      "b created again gets a new id, above every other");
	CHECK(listed(st, "b", SUB_MAIN, &l) == 0 &&
	      count(st, "b_slog") == 0, "and starts empty");
	store_close(st);
	verifies(file);
}

/* ids_spent_fn - the last list id given, then a create. */
static enum store_rc ids_spent_fn(struct store_txn *t, void *arg)
{
	if (store_meta_put_u64(t, META_LIST_ID, UINT32_MAX))
		return STORE_INTERNAL;
	return store_list_create(t, arg, NULL, 0);
}

static void test_ids_spent(void)
{
	char file[96], err[512] = "";
	struct store *st;
	enum store_rc rc;
	uint32_t id;

	snprintf(file, sizeof(file), "%s/n.mdb", dir);
	if (!CHECK(store_open(file, 0, NULL, &st, err, sizeof(err)) ==
		   STORE_OK, "open: %s", err))
		return;
	rc = store_write(st, ids_spent_fn, "zz", NULL);
	CHECK(rc == STORE_BADDATA && strstr(store_errmsg(st), "no list id left"),
	      "with every list id given, list-create fails: %s",
	      store_errmsg(st));
	id = id_of(st, "zz");
	CHECK(id == 0 && id_of(st, "c") > 0, "and changes nothing");
	store_close(st);
}

/* copy - the fixture into dir/name; false if it cannot be read. */
static bool copy(const char *name, char *out, size_t outlen)
{
	static char buf[1 << 16];
	FILE *in = fopen(FIXTURE, "rb"), *o;
	size_t n;
	bool ok;

	snprintf(out, outlen, "%s/%s", dir, name);
	if (!in)
		return false;
	o = fopen(out, "wb");
	ok = o != NULL;
	while (ok && (n = fread(buf, 1, sizeof(buf), in)) > 0)
		ok = fwrite(buf, 1, n, o) == n;
	fclose(in);
	return o && fclose(o) == 0 && ok;
}

/* raw - fn on the file through LMDB itself, in one write transaction. */
static bool raw(const char *file, bool (*fn)(MDB_txn *txn))
{
	MDB_env *env;
	MDB_txn *txn;
	bool ok = mdb_env_create(&env) == 0 &&
		mdb_env_set_maxdbs(env, STORE_MAX_DBS) == 0 &&
		mdb_env_open(env, file, MDB_NOSUBDIR, 0600) == 0 &&
		mdb_txn_begin(env, NULL, 0, &txn) == 0;

	if (ok && fn(txn))
		ok = mdb_txn_commit(txn) == 0;
	else if (ok) {
		mdb_txn_abort(txn);
		ok = false;
	}
	mdb_env_close(env);
	return ok;
}

/* to_format1 - drop the fixture's indexes by hash, mark it format 1. */
static bool to_format1(MDB_txn *txn)
{
	static const char *const roots[] = { "t", "u", "v", "w" };
	static const char *const sfx[] = { "", "_digest", "_allow", "_deny",
					   "_mod" };
	uint64_t one = 1;
	MDB_val k = { 6, "format" }, d = { 8, &one };
	char name[32];
	MDB_dbi dbi;

	for (size_t i = 0; i < 4; i++)
		for (size_t j = 0; j < 5; j++) {
			snprintf(name, sizeof(name), "x:%s%s", roots[i], sfx[j]);
			if (mdb_dbi_open(txn, name, 0, &dbi) ||
			    mdb_drop(txn, dbi, 1))
				return false;
		}
	return mdb_dbi_open(txn, "meta", 0, &dbi) == 0 &&
		mdb_put(txn, dbi, &k, &d, 0) == 0;
}

/* old_layout_gone - no "t:" list table nor "x:" index is left. */
static bool old_layout_gone(MDB_txn *txn)
{
	MDB_dbi dbi;

	return mdb_dbi_open(txn, "t:t", 0, &dbi) == MDB_NOTFOUND &&
		mdb_dbi_open(txn, "t:u_slog", 0, &dbi) == MDB_NOTFOUND &&
		mdb_dbi_open(txn, "x:t", 0, &dbi) == MDB_NOTFOUND &&
		mdb_dbi_open(txn, "t:mtanames", 0, &dbi) == 0;
}

/* opened - open file read-only (which upgrades it), list t. */
static bool opened(const char *file, struct listing *main,
		   struct listing *digest)
{
	char err[512] = "";
	struct store *st;
	bool ok = CHECK(store_open(file, STORE_RDONLY, NULL, &st, err,
				   sizeof(err)) == STORE_OK,
			"a read-only open of %s upgrades it: %s", file, err);

	if (ok) {
		ok = listing(st, "t", SUB_MAIN, main) &&
			listing(st, "t", SUB_DIGEST, digest);
		store_close(st);
	}
	return ok;
}

static void test_upgrade(void)
{
	static struct listing m2, d2, m1, d1;
	char f2[96], f1[96];

	if (!CHECK(copy("f2.mdb", f2, sizeof(f2)) &&
		   copy("f1.mdb", f1, sizeof(f1)) && raw(f1, to_format1),
		   "copies of " FIXTURE ", one made format 1"))
		return;
	if (!opened(f2, &m2, &d2) || !opened(f1, &m1, &d1))
		return;
	CHECK(m2.n > 40 && d2.n == 2, "format 2: t lists %d, its digest %d",
	      m2.n, d2.n);
	CHECK(m1.n == m2.n && d1.n == d2.n &&
	      memcmp(m1.addr, m2.addr, sizeof(m1.addr)) == 0 &&
	      memcmp(d1.addr, d2.addr, sizeof(d1.addr)) == 0,
	      "format 1: the same listings, in the same order");
	CHECK(raw(f2, old_layout_gone) && raw(f1, old_layout_gone),
	      "no database of the old layout is left");
	verifies(f2);
	verifies(f1);
}

static void cleanup(void)
{
	static const char *const names[] = { "n.mdb", "f2.mdb", "f1.mdb" };
	char path[128];

	for (size_t i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		unlink(path);
		snprintf(path, sizeof(path), "%s/%s-lock", dir, names[i]);
		unlink(path);
	}
	rmdir(dir);
}

int main(void)
{
	if (!CHECK(mkdtemp(dir) != NULL, "scratch directory"))
		return check_done();
	test_neighbours();
	test_ids_spent();
	test_upgrade();
	cleanup();
	return check_done();
}
