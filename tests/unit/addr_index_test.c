/*
 * NAME
 *	addr_index_test - the address tables' index by hash
 * DESCRIPTION
 *	Subscribes addresses of every shape (mixed case, forced hashes 98,
 *	99 and a blocked 60) in two calls, then checks that a listing comes
 *	in index order (hash, then folded address), that a listing resumed
 *	from any place gives exactly the rest, and that the row writes of
 *	store_set and store_del, unsubscribing and dropping the list keep
 *	the index equal to the table (mq verify's check).  Then breaks the
 *	index with LMDB directly and expects verify to say so.  (The
 *	upgrades from formats 1 and 2: layout_test.)
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/internal.h"
#include "check.h"

#define ROOT	"ix"
#define NADDR	300

static struct store *st;
static char file[64];

struct job {
	struct sub_request r[NADDR];
	char text[NADDR][64];
	size_t n;
	bool add;
};

/* sub_fn - subscribe (or unsubscribe) the job's addresses. */
static enum store_rc sub_fn(struct store_txn *t, void *arg)
{
	struct job *j = arg;

	return store_sub(t, ROOT, SUB_MAIN, j->add, j->r, j->n, NULL, NULL);
}

/* job_make - addresses from..to-1; every 50th a receipt, 7th mixed case. */
static void job_make(struct job *j, int from, int to, bool add)
{
	j->n = 0;
	j->add = add;
	for (int i = from; i < to; i++) {
		char *s = j->text[j->n];
		int len = snprintf(s, 64, "%s%d@Host%d.Example.ORG",
				   i % 7 ? "user" : "User", i, i % 13);

		j->r[j->n++] = (struct sub_request){ .addr = s,
			.len = (size_t)len, .etype = 'm',
			.hash = i % 50 == 0 ? SUB_HASH_RECEIPT
				: i % 71 == 0 ? SUB_HASH_SUBLIST
				: i % 97 == 0 ? 60 : -1 };
	}
}

/* A listing as given: each address and its hash, in order. */
struct listing {
	int n, stop_every;
	char addr[NADDR][64];
	int hash[NADDR];
};

static int list_fn(const char *a, size_t len, int hash, void *arg)
{
	struct listing *l = arg;

	if (l->n < NADDR && len < 64) {
		memcpy(l->addr[l->n], a, len);
		l->addr[l->n][len] = 0;
		l->hash[l->n] = hash;
	}
	l->n++;
	return l->stop_every && l->n % l->stop_every == 0;
}

/* list_all - the whole listing (0..52 and receipts), resumed each stop. */
static bool list_all(struct listing *l, int stop_every)
{
	struct store_txn *t;
	enum store_rc rc = STORE_OK;
	int before = -1;

	memset(l, 0, sizeof(*l));
	l->stop_every = stop_every;
	if (store_read_begin(st, &t))
		return false;
	while (rc == STORE_OK && l->n != before && l->n <= NADDR) {
		struct sub_place at;

		before = l->n;
		if (l->n) {
			at = (struct sub_place){ l->hash[l->n - 1],
				l->addr[l->n - 1], strlen(l->addr[l->n - 1]) };
		}
		rc = store_sub_each_after(t, ROOT, SUB_MAIN, 0, SUB_HASH_MAX,
					  true, l->n ? &at : NULL, list_fn, l);
	}
	store_read_end(t);
	return rc == STORE_OK;
}

/* fold_cmp - addresses compared as the index orders them. */
static int fold_cmp(const char *a, const char *b)
{
	for (;; a++, b++) {
		int x = *a >= 'A' && *a <= 'Z' ? *a + 32 : *a;
		int y = *b >= 'A' && *b <= 'Z' ? *b + 32 : *b;

		if (x != y || !x)
			return x - y;
	}
}

/* in_order - strictly by hash, then folded address. */
static bool in_order(const struct listing *l)
{
	for (int i = 1; i < l->n; i++)
		if (l->hash[i] < l->hash[i - 1] ||
		    (l->hash[i] == l->hash[i - 1] &&
		     fold_cmp(l->addr[i - 1], l->addr[i]) >= 0))
			return false;
	return true;
}

static bool verifies(const char *when)
{
	char err[512] = "";
	uint64_t rows;
	bool ok = store_verify_file(file, &rows, err, sizeof(err)) == STORE_OK;

	return CHECK(ok, "the store verifies %s %s", when, err);
}

/* expected_count - how many of addresses from.. list with 0..52 or 98. */
static int expected_count(int from)
{
	int n = 0;

	for (int i = from; i < NADDR; i++)
		n += i % 50 == 0 || (i % 71 && i % 97);
	return n;
}

static void test_order_and_resume(void)
{
	static struct listing whole, pieces;
	struct job *j = calloc(1, sizeof(*j));

	job_make(j, 0, NADDR / 2, true);
	CHECK(store_write(st, sub_fn, j, NULL) == STORE_OK, "subscribe half");
	job_make(j, NADDR / 2, NADDR, true);
	CHECK(store_write(st, sub_fn, j, NULL) == STORE_OK, "then the rest");
	free(j);
	CHECK(list_all(&whole, 0) && whole.n == expected_count(0),
	      "the listing has the %d addresses of 0..52 and 98 (%d)",
	      expected_count(0), whole.n);
	CHECK(in_order(&whole), "in order of hash, then folded address");
	CHECK(whole.hash[whole.n - 1] == SUB_HASH_RECEIPT &&
	      whole.hash[whole.n - 6] == SUB_HASH_RECEIPT &&
	      whole.hash[whole.n - 7] != SUB_HASH_RECEIPT,
	      "the 6 receipts come last");
	bool stored = false;
	for (int i = 0; i < whole.n; i++)
		stored |= !strcmp(whole.addr[i], "User7@host7.example.org");
	CHECK(stored, "an address listed as stored: local part's case kept");
	for (int every = 1; every <= 13; every += 6) {
		bool same = list_all(&pieces, every) && pieces.n == whole.n;

		for (int i = 0; same && i < whole.n; i++)
			same = !strcmp(pieces.addr[i], whole.addr[i]);
		CHECK(same, "resumed every %d addresses: the same listing",
		      every);
	}
	verifies("after two bulk subscribes");
}

/* listed - does addr list under hash h (any case)? */
static bool listed(const char *addr, int h)
{
	static struct listing l;
	struct store_txn *t;
	bool found = false;

	memset(&l, 0, sizeof(l));
	if (store_read_begin(st, &t))
		return false;
	store_sub_each(t, ROOT, SUB_MAIN, h, h, false, list_fn, &l);
	store_read_end(t);
	for (int i = 0; i < l.n && i < NADDR; i++)
		found |= !strcmp(l.addr[i], addr);
	return found;
}

static enum store_rc set_hash_fn(struct store_txn *t, void *arg)
{
	const char *addr = arg;
	struct store_assign a[2] = {
		{ 0, { .kind = SV_INT, .i = 7 } },
		{ 1, { .kind = SV_TEXT, .s = addr, .len = strlen(addr) } },
	};

	return store_set(t, ROOT, a, 2, NULL);
}

static enum store_rc del_fn(struct store_txn *t, void *arg)
{
	const char *addr = arg;
	struct store_filter f = { 1, { .kind = SV_TEXT, .s = addr,
				       .len = strlen(addr) } };

	return store_del(t, ROOT, &f, 1, NULL);
}

static void test_row_writes(void)
{
	struct job *j = calloc(1, sizeof(*j));

	CHECK(store_write(st, set_hash_fn, "user1@host1.example.org", NULL)
	      == STORE_OK, "store_set: hash 7 for a present address");
	CHECK(listed("user1@host1.example.org", 7) &&
	      !listed("user1@host1.example.org", (int)sub_hash(
		      "user1@host1.example.org", 23)),
	      "it lists under hash 7 only, as now stored");
	CHECK(store_write(st, set_hash_fn, "USER1@host1.example.org", NULL)
	      == STORE_OK && listed("USER1@host1.example.org", 7) &&
	      listed("user1@host1.example.org", 7),
	      "a variant in upper case is a row of its own, listed too");
	CHECK(store_write(st, set_hash_fn, "brand@new.example", NULL)
	      == STORE_OK && listed("brand@new.example", 7),
	      "store_set of a new address lists it");
	CHECK(store_write(st, del_fn, "Brand@NEW.example", NULL) == STORE_OK &&
	      listed("brand@new.example", 7),
	      "store_del of another case leaves it");
	CHECK(store_write(st, del_fn, "USER1@host1.example.org", NULL) ==
	      STORE_OK && store_write(st, del_fn, "brand@new.example", NULL) ==
	      STORE_OK && !listed("brand@new.example", 7) &&
	      !listed("USER1@host1.example.org", 7),
	      "store_del of the exact address unlists it");
	verifies("after store_set and store_del");
	job_make(j, 0, NADDR / 3, false);
	CHECK(store_write(st, sub_fn, j, NULL) == STORE_OK,
	      "unsubscribe a third");
	verifies("after unsubscribing");
	free(j);
}

/* raw_txn - the file through LMDB itself, the store closed. */
static bool raw_txn(MDB_env **env, MDB_txn **txn)
{
	return mdb_env_create(env) == 0 && mdb_env_set_maxdbs(*env, 64) == 0 &&
	       mdb_env_set_mapsize(*env, 64 << 20) == 0 &&
	       mdb_env_open(*env, file, MDB_NOSUBDIR, 0600) == 0 &&
	       mdb_txn_begin(*env, NULL, 0, txn) == 0;
}

static void test_broken_index(void)
{
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi x;
	MDB_cursor *c;
	MDB_val k, d;
	char err[512] = "";
	uint64_t rows;
	bool done;

	store_close(st);
	st = NULL;
	done = raw_txn(&env, &txn) && mdb_dbi_open(txn, "y:", 0, &x) == 0 &&
	       mdb_cursor_open(txn, x, &c) == 0 &&
	       mdb_cursor_get(c, &k, &d, MDB_LAST) == 0 &&
	       mdb_cursor_del(c, 0) == 0 && mdb_txn_commit(txn) == 0;
	mdb_env_close(env);
	CHECK(done, "delete one index entry behind the store's back");
	CHECK(store_verify_file(file, &rows, err, sizeof(err)) != STORE_OK &&
	      strstr(err, "index by hash"), "verify finds it: %s", err);
}

static enum store_rc drop_create_fn(struct store_txn *t, void *arg)
{
	enum store_rc rc = store_list_drop(t, ROOT);

	(void)arg;
	return rc ? rc : store_list_create(t, ROOT, (const uint8_t *)"k", 1);
}

static void test_drop(void)
{
	static struct listing l;
	char err[512] = "";

	store_close(st);
	CHECK(store_open(file, 0, NULL, &st, err, sizeof(err)) == STORE_OK &&
	      store_write(st, drop_create_fn, NULL, NULL) == STORE_OK,
	      "drop the list and create it again");
	CHECK(list_all(&l, 0) && l.n == 0, "it lists nothing (%d)", l.n);
	verifies("after the drop");
}

static enum store_rc create_fn(struct store_txn *t, void *arg)
{
	(void)arg;
	return store_list_create(t, ROOT, (const uint8_t *)"k", 1);
}

int main(void)
{
	char dir[] = "/tmp/addr_index_test.XXXXXX", lock[80], err[512] = "";

	if (!CHECK(mkdtemp(dir) != NULL, "scratch directory"))
		return check_done();
	snprintf(file, sizeof(file), "%s/mq.mdb", dir);
	snprintf(lock, sizeof(lock), "%s-lock", file);
	if (!CHECK(store_open(file, 0, NULL, &st, err, sizeof(err)) ==
		   STORE_OK && store_write(st, create_fn, NULL, NULL) ==
		   STORE_OK, "open a store, create a list: %s", err))
		return check_done();
	test_order_and_resume();
	test_row_writes();
	test_broken_index();
	test_drop();
	store_close(st);
	unlink(file);
	unlink(lock);
	rmdir(dir);
	return check_done();
}
