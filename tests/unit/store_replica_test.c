/*
 * NAME
 *	store_replica_test - a replica's store calls: apply and install
 * DESCRIPTION
 *	Store A (the primary) gets rows, a list with subscribers and a
 *	delete.  Each of its transactions is applied to store B with
 *	store_apply_changes from A's change log: B ends at A's sequence,
 *	with A's rows, list key and log; applying a transaction again is
 *	skipped.  Store C, with rows of its own, has A's snapshot
 *	(store_snapshot_write) installed: afterwards it holds A's uuid,
 *	epoch, sequence and rows and not its own, while a read
 *	transaction begun before the install still sees the old rows, and
 *	another process that opened C read-only before the install (as an
 *	MTA linking libmq.a does) sees A's rows afterwards without
 *	reopening.
 *	store_epoch_start moves the epoch by one.  A snapshot of format 4
 *	is upgraded as it is installed; one of format 99 is refused.
 *	Installs into a store whose lookup builder runs (mq serve's) while
 *	it swaps in the set of each write: the builder never touches a
 *	set the install let go.
 * DIAGNOSTICS
 *	TAP lines through check.h.
 */
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>

#include <lmdb.h>

#include "store/store.h"
#include "tests/unit/check.h"

static char dir[] = "/tmp/mq-replica-test-XXXXXX";

static struct store *open_at(const char *name)
{
	char path[256], err[512];
	struct store *st = NULL;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (store_open(path, 0, NULL, &st, err, sizeof(err)) != STORE_OK)
		fprintf(stderr, "# %s\n", err);
	return st;
}

static enum store_rc put_local(struct store_txn *txn, void *arg)
{
	const char *addr = arg;
	struct store_assign a[] = {
		{ 1, { .kind = SV_TEXT, .s = "domain", .len = 6 } },
		{ 2, { .kind = SV_TEXT, .s = addr, .len = strlen(addr) } },
	};

	return store_set(txn, "locals", a, 2, NULL);
}

static enum store_rc make_list(struct store_txn *txn, void *arg)
{
	(void)arg;
	return store_list_create(txn, "lst", (const uint8_t *)"k3y", 3);
}

static enum store_rc del_first(struct store_txn *txn, void *arg)
{
	struct store_filter f = { 0, { .kind = SV_INT, .i = 1 } };

	(void)arg;
	return store_del(txn, "locals", &f, 1, NULL);
}

/* The records of A's log up to seq, copied out of its txn. */
struct txn_recs {
	struct store_change c[16];
	uint8_t buf[16][512];
	int n, at;
	uint64_t seq;
};

static int collect(const struct store_change *c, void *arg)
{
	struct txn_recs *t = arg;

	if (c->seq > t->seq)
		return 1;
	if (t->n == 16 || c->keylen + c->rowlen > 512)
		return 1;
	t->c[t->n] = *c;
	memcpy(t->buf[t->n], c->key, c->keylen);
	memcpy(t->buf[t->n] + c->keylen, c->row, c->rowlen);
	t->c[t->n].key = t->buf[t->n];
	t->c[t->n].row = t->buf[t->n] + c->keylen;
	t->n++;
	return 0;
}

static int next(void *arg, bool first, struct store_change *c)
{
	struct txn_recs *t = arg;

	if (first)
		t->at = 0;
	if (t->at == t->n)
		return 0;
	*c = t->c[t->at++];
	return 1;
}

static uint64_t seq_of(struct store *st, struct store_meta *m)
{
	struct store_txn *txn;

	memset(m, 0, sizeof(*m));
	if (store_read_begin(st, &txn) == STORE_OK) {
		store_meta_get(txn, m);
		store_read_end(txn);
	}
	return m->seq;
}

/* tag_of - the verdict of a check of list t's message 1 in st */
static enum mlist_tag tag_of(struct store *st, const char *cookie,
			     int64_t listno)
{
	struct store_txn *txn;
	enum mlist_tag tag = MLIST_TAG_NOCOOKIE;

	if (store_read_begin(st, &txn) == STORE_OK) {
		if (mlist_checktag(txn, "t", false, 1, cookie, listno, &tag))
			tag = -1;
		store_read_end(txn);
	}
	return tag;
}

/* newer_format - copy snapshot from to path, its format made 99 */
static bool newer_format(const char *from, const char *path)
{
	char cmd[1024];
	uint64_t format = 99;
	MDB_env *env = NULL;
	MDB_txn *txn = NULL;
	MDB_dbi meta;
	MDB_val k = { 6, "format" }, d = { sizeof(format), &format };
	bool done;

	snprintf(cmd, sizeof(cmd), "cp '%s' '%s' && rm -f '%s-lock'", from,
		 path, path);
	done = system(cmd) == 0 && mdb_env_create(&env) == 0 &&
	       mdb_env_set_maxdbs(env, 64) == 0 &&
	       mdb_env_open(env, path, MDB_NOSUBDIR, 0600) == 0 &&
	       mdb_txn_begin(env, NULL, 0, &txn) == 0 &&
	       mdb_dbi_open(txn, "meta", 0, &meta) == 0 &&
	       mdb_put(txn, meta, &k, &d, 0) == 0;
	if (txn && done)
		done = mdb_txn_commit(txn) == 0;
	else if (txn)
		mdb_txn_abort(txn);
	if (env)
		mdb_env_close(env);
	return done;
}

/*
 * older_snapshot - a snapshot of format 4 (a primary running an older
 *	mq: tests/fixtures/format4.mdb) installed into G is upgraded in
 *	the install's transaction: format 5, its tag records built (the
 *	fixture's message 1 of list t has that cookie, and list number 3
 *	is done with it).  One of a format this mq does not know is
 *	refused, and G keeps what it had.
 */
static void older_snapshot(const char *snap)
{
	static const char cookie[] = "cbfphbcpldmfnjcheocb";
	struct store *g = open_at("g.mdb");
	struct store_meta m;
	char cmd[600], older[300];

	snprintf(older, sizeof(older), "%s/format4.mdb", dir);
	snprintf(cmd, sizeof(cmd), "cp tests/fixtures/format4.mdb '%s'",
		 older);
	CHECK(g && system(cmd) == 0, "a copy of the format 4 fixture");
	CHECK(g && store_snapshot_install(g, older) == STORE_OK,
	      "a format 4 snapshot installs");
	seq_of(g, &m);
	CHECK(m.format == 5, "the store is of format 5 after it (%llu)",
	      (unsigned long long)m.format);
	CHECK(tag_of(g, cookie, -1) == MLIST_TAG_OK &&
	      tag_of(g, "bbbbbbbbbbbbbbbbbbbb", -1) == MLIST_TAG_MISMATCH &&
	      tag_of(g, cookie, 3) == MLIST_TAG_DONE &&
	      tag_of(g, cookie, 1) == MLIST_TAG_OK,
	      "its checks answer from tag records built at the install");
	CHECK(newer_format(snap, older), "a snapshot made of format 99");
	CHECK(g && store_snapshot_install(g, older) != STORE_OK,
	      "a snapshot of format 99 is refused");
	CHECK(strstr(store_errmsg(g), "format 99"),
	      "naming its format: %s", store_errmsg(g));
	seq_of(g, &m);
	CHECK(m.format == 5 && tag_of(g, cookie, -1) == MLIST_TAG_OK,
	      "the store kept its own contents");
	store_close(g);
}

static uint64_t count(struct store *st, const char *table)
{
	struct store_txn *txn;
	uint64_t n = 0;

	if (store_read_begin(st, &txn) == STORE_OK) {
		store_count(txn, table, &n);
		store_read_end(txn);
	}
	return n;
}

/* list_key_is - does st hold list lst with the key "k3y"? */
static bool list_key_is(struct store *st)
{
	struct store_txn *txn;
	const uint8_t *key;
	size_t len = 0;
	bool ok = false;

	if (store_read_begin(st, &txn) == STORE_OK) {
		ok = store_list_key(txn, "lst", &key, &len) == STORE_OK &&
		     len == 3 && !memcmp(key, "k3y", 3);
		store_read_end(txn);
	}
	return ok;
}

/* apply_all - A's transactions 1..A's sequence onto B */
static bool apply_all(struct store *a, struct store *b)
{
	struct store_meta m;
	uint64_t last = seq_of(a, &m);
	struct store_txn *txn;
	static struct txn_recs t;
	bool ok = true;

	for (uint64_t s = 1; s <= last && ok; s++) {
		memset(&t, 0, sizeof(t));
		t.seq = s;
		ok = store_read_begin(a, &txn) == STORE_OK &&
		     store_changes_after(txn, s - 1, collect, &t) == STORE_OK;
		store_read_end(txn);
		ok = ok && store_apply_changes(b, s, next, &t) == STORE_OK;
	}
	return ok;
}

/* apply_group - A's transactions 1..A's sequence onto B in one call */
static bool apply_group(struct store *a, struct store *b)
{
	struct store_meta m;
	struct store_txn *txn;
	static struct txn_recs t;
	bool ok;

	memset(&t, 0, sizeof(t));
	t.seq = seq_of(a, &m);
	ok = store_read_begin(a, &txn) == STORE_OK &&
	     store_changes_after(txn, 0, collect, &t) == STORE_OK;
	store_read_end(txn);
	return ok && store_apply_changes(b, t.seq, next, &t) == STORE_OK;
}

/* log_sig - the (seq, index, op) of every record of st's log, summed */
static int log_sig_add(const struct store_change *c, void *arg)
{
	uint64_t *sig = arg;

	*sig = *sig * 1000003u + c->seq * 131u + c->index * 7u + c->op;
	return 0;
}

static uint64_t log_sig(struct store *st)
{
	struct store_txn *txn;
	uint64_t sig = 0;

	if (store_read_begin(st, &txn) == STORE_OK) {
		store_changes_after(txn, 0, log_sig_add, &sig);
		store_read_end(txn);
	}
	return sig;
}

/* state_of - the locals count and the sequence in one read */
static bool state_of(struct store *st, uint64_t *n, uint64_t *seq)
{
	struct store_txn *txn;
	struct store_meta m;
	bool ok;

	*n = 0;
	if (store_read_begin(st, &txn) != STORE_OK)
		return false;
	ok = store_count(txn, "locals", n) == STORE_OK &&
	     store_meta_get(txn, &m) == STORE_OK;
	*seq = m.seq;
	store_read_end(txn);
	return ok;
}

/*
 * reader_child - open C read-only, read its `before` rows, tell the
 *	parent, then read in a loop while the parent installs A's snapshot:
 *	every read must see C's old rows at C's old sequence or A's rows
 *	(`after`) at A's sequence, never a mix; exit 0 when it has seen
 *	A's and the parent says it is done, 1 on a mixed read.
 */
static pid_t reader_child(int ready[2], int go[2], uint64_t before,
			  uint64_t after, uint64_t after_seq)
{
	pid_t pid = fork();
	char path[256], err[512];
	struct store *st = NULL;
	struct pollfd pfd = { .fd = go[0], .events = POLLIN };
	uint64_t n, seq, old_seq, reads = 0;
	bool seen_new = false;

	if (pid != 0)
		return pid;
	snprintf(path, sizeof(path), "%s/c.mdb", dir);
	if (store_open(path, STORE_RDONLY, NULL, &st, err, sizeof(err)) ||
	    !state_of(st, &n, &old_seq) || n != before)
		_exit(2);
	if (write(ready[1], "r", 1) != 1)
		_exit(3);
	for (;;) {
		if (!state_of(st, &n, &seq))
			_exit(4);
		reads++;
		if (n == after && seq == after_seq)
			seen_new = true;
		else if (n != before || seq != old_seq || seen_new)
			_exit(1);
		if (poll(&pfd, 1, 0) == 1 && seen_new)
			break;
		if (reads > 50000000)
			_exit(5);
	}
	_exit(0);
}

int	main(void)
{
	int ready[2], go[2], status = -1;
	pid_t child;
	char byte;
	struct store *a, *b, *c, *d;
	struct store_meta ma, mb, mc, md;
	struct store_txn *old;
	char snap[256];
	uint64_t epoch = 0, n;
	int fd;

	if (!mkdtemp(dir))
		return 1;
	a = open_at("a.mdb");
	b = open_at("b.mdb");
	c = open_at("c.mdb");
	d = open_at("d.mdb");
	CHECK(a && b && c && d, "four stores open");
	store_write(a, put_local, "one.example", NULL);
	store_write(a, put_local, "two.example", NULL);
	store_write(a, make_list, NULL, NULL);
	store_write(a, del_first, NULL, NULL);
	CHECK(apply_all(a, b), "A's transactions apply to B");
	CHECK(seq_of(b, &mb) == seq_of(a, &ma), "B stands at A's sequence");
	CHECK(count(b, "locals") == 1, "B holds A's rows (1 after the delete)");
	CHECK(list_key_is(b), "B holds A's list with its key");
	CHECK(apply_all(a, b) && seq_of(b, &mb) == ma.seq &&
	      count(b, "locals") == 1, "applying again is skipped");
	CHECK(apply_group(a, d), "A's whole log applies to D as one group");
	CHECK(seq_of(d, &md) == ma.seq && count(d, "locals") == 1 &&
	      list_key_is(d), "D stands where B does");
	CHECK(log_sig(d) == log_sig(a) && log_sig(b) == log_sig(a),
	      "each record is logged under its own sequence and index");
	CHECK(apply_group(a, d) && seq_of(d, &md) == ma.seq &&
	      count(d, "locals") == 1, "a group applied again is skipped");
	{
		struct store *e = open_at("e.mdb");
		static struct txn_recs t1;
		struct store_txn *txn;

		t1.seq = 1;
		CHECK(e && store_read_begin(a, &txn) == STORE_OK &&
		      store_changes_after(txn, 0, collect, &t1) == STORE_OK,
		      "A's first transaction read");
		store_read_end(txn);
		CHECK(store_apply_changes(e, 1, next, &t1) == STORE_OK &&
		      apply_group(a, e) && log_sig(e) == log_sig(a) &&
		      count(e, "locals") == 1,
		      "a group that overlaps what was applied skips that part");
		store_close(e);
	}

	store_write(c, put_local, "own1.example", NULL);
	store_write(c, put_local, "own2.example", NULL);
	store_write(c, put_local, "own3.example", NULL);
	snprintf(snap, sizeof(snap), "%s/snap.mdb", dir);
	fd = open(snap, O_RDWR | O_CREAT | O_TRUNC, 0600);
	CHECK(fd >= 0 && store_snapshot_write(a, fd) == STORE_OK,
	      "A's snapshot is written");
	close(fd);
	CHECK(store_file_meta(snap, &mc) == STORE_OK && mc.seq == ma.seq,
	      "the snapshot's meta is A's");
	CHECK(pipe(ready) == 0 && pipe(go) == 0, "pipes");
	child = reader_child(ready, go, 3, 1, ma.seq);
	CHECK(read(ready[0], &byte, 1) == 1, "another process opened C");
	CHECK(store_read_begin(c, &old) == STORE_OK, "a reader of C begins");
	CHECK(store_snapshot_install(c, snap) == STORE_OK, "installed into C");
	n = 0;
	store_count(old, "locals", &n);
	CHECK(n == 3, "the reader begun before still sees C's own rows");
	store_read_end(old);
	CHECK(write(go[1], "g", 1) == 1 && waitpid(child, &status, 0) == child &&
	      WIFEXITED(status) && WEXITSTATUS(status) == 0,
	      "another process reading in a loop through the install saw "
	      "C's old state or A's, never a mix, and then A's without "
	      "reopening");
	seq_of(c, &mc);
	CHECK(mc.seq == ma.seq && mc.epoch == ma.epoch &&
	      !memcmp(mc.uuid, ma.uuid, 16), "C has A's uuid, epoch, sequence");
	CHECK(count(c, "locals") == 1, "C has A's rows, not its own");
	CHECK(list_key_is(c), "C has A's list with its key");
	CHECK(store_epoch_start(c, &epoch) == STORE_OK && epoch == ma.epoch + 1,
	      "a new epoch");
	{
		/* mq serve's lookup builder swaps a new set in after each
		 * commit while a replica's install drops the store's set:
		 * the builder must be done with the set once it is shared */
		struct store *f = open_at("f.mdb");
		char name[32];
		int i = 0;

		CHECK(f && store_lookups_builder_start(f, NULL, NULL) ==
		      STORE_OK, "F's lookup builder runs");
		for (; f && i < 100; i++) {
			snprintf(name, sizeof(name), "f%d.example", i);
			if (store_write(f, put_local, name, NULL) != STORE_OK ||
			    store_snapshot_install(f, snap) != STORE_OK)
				break;
		}
		CHECK(i == 100, "100 writes and installs while the builder "
		      "builds");
		store_close(f);
	}
	older_snapshot(snap);
	store_close(a);
	store_close(b);
	store_close(c);
	store_close(d);
	{
		char cmd[300];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		if (system(cmd) != 0)
			return 1;
	}
	return check_done();
}
