/*
 * NAME
 *	lists_many - many lists in one store: create, list one, drop
 * SYNOPSIS
 *	lists_many [DIR]
 * DESCRIPTION
 *	Creates LISTS lists ($MQ_BENCH_LISTS, else a tenth of
 *	$MQ_BENCH_ROWS, else 10,000), one write
 *	transaction each as "mq list-create" does, timed; then subscribes
 *	10 addresses to each (untimed).  A second store holds one list of
 *	the same 10 addresses.  Then lists one small list, the middle one
 *	of the many, and the single list of the other store, alternately,
 *	REPEAT times each (a read transaction and store_sub_each over
 *	0..52 and the receipts, as "mq list" does, in this process): the
 *	ratio of the two per-listing times is the cost of the other lists
 *	to a listing, 1.0 when they cost nothing.  Last, drops every
 *	second list, one transaction each, timed.
 *	DIR: argv[1], $MQ_BENCH_DIR, else a new directory under /tmp.
 * DIAGNOSTICS
 *	Exit 0 after printing the figures, 1 when a step fails or a
 *	listing gives other than its 10 addresses.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/store.h"

#define PROG		"lists_many"
#include "bench/bench.h"
#define DEF_LISTS	10000
#define PER_LIST	10
#define REPEAT		20000

struct list_job {
	char root[32];
	bool subscribe;
};

static enum store_rc list_fn(struct store_txn *txn, void *arg)
{
	const struct list_job *j = arg;
	struct sub_request r[PER_LIST];
	char addr[PER_LIST][48];

	if (!j->subscribe)
		return store_list_create(txn, j->root, NULL, 0);
	for (int i = 0; i < PER_LIST; i++) {
		int n = snprintf(addr[i], sizeof(addr[i]), "member%d@%s.example",
				 i, j->root);

		r[i] = (struct sub_request){ .addr = addr[i], .len = (size_t)n,
					     .hash = -1, .etype = 'm' };
	}
	return store_sub(txn, j->root, SUB_MAIN, true, r, PER_LIST, NULL, NULL);
}

static enum store_rc drop_fn(struct store_txn *txn, void *arg)
{
	return store_list_drop(txn, arg);
}

static struct store *open_store(const char *path)
{
	char err[512];
	struct store *st;

	if (store_open(path, 0, NULL, &st, err, sizeof(err)))
		die("%s", err);
	return st;
}

/* each_list - fn on lists l0.. (every step-th), one transaction each. */
static double each_list(struct store *st, unsigned n, unsigned step,
			store_write_fn fn, bool subscribe)
{
	struct list_job j = { .subscribe = subscribe };
	double t0 = now();

	for (unsigned i = 0; i < n; i += step) {
		snprintf(j.root, sizeof(j.root), "l%u", i);
		if (store_write(st, fn, fn == drop_fn ? (void *)j.root
				: (void *)&j, NULL))
			die("list %s: %s", j.root, store_errmsg(st));
	}
	return now() - t0;
}

static int count_fn(const char *addr, size_t len, int hash, void *arg)
{
	(void)addr;
	(void)len;
	(void)hash;
	++*(int *)arg;
	return 0;
}

/* list_once - one listing of root, as mq list reads it. */
static double list_once(struct store *st, const char *root)
{
	struct store_txn *t;
	int n = 0;
	double t0 = now();

	if (store_read_begin(st, &t) ||
	    store_sub_each(t, root, SUB_MAIN, 0, SUB_HASH_MAX, true, count_fn,
			   &n))
		die("list %s: %s", root, store_errmsg(st));
	store_read_end(t);
	if (n != PER_LIST)
		die("list %s: %d addresses, not %d", root, n, PER_LIST);
	return now() - t0;
}

static void remove_store(const char *path)
{
	char p[4300];

	unlink(path);
	snprintf(p, sizeof(p), "%s-lock", path);
	unlink(p);
}

int main(int argc, char **argv)
{
	char dir[4096], many_path[4200], one_path[4200], mid[32];
	const char *d = argc > 1 ? argv[1] : getenv("MQ_BENCH_DIR");
	const char *env = getenv("MQ_BENCH_LISTS");
	const char *rows = getenv("MQ_BENCH_ROWS");
	unsigned lists = env ? (unsigned)strtoul(env, NULL, 10)
		: rows ? (unsigned)strtoul(rows, NULL, 10) / PER_LIST
		: DEF_LISTS;
	struct store *many, *one;
	double create, drop, t_many = 0, t_one = 0;

	if (lists < 2)
		die("MQ_BENCH_LISTS: 2 or more");
	snprintf(dir, sizeof(dir), "%s", d ? d : "/tmp/mq-bench-many.XXXXXX");
	if (!d && !mkdtemp(dir))
		die("mkdtemp: %s", strerror(errno));
	snprintf(many_path, sizeof(many_path), "%s/many.mdb", dir);
	snprintf(one_path, sizeof(one_path), "%s/one.mdb", dir);
	remove_store(many_path);
	remove_store(one_path);
	many = open_store(many_path);
	one = open_store(one_path);
	create = each_list(many, lists, 1, list_fn, false);
	each_list(many, lists, 1, list_fn, true);
	each_list(one, 1, 1, list_fn, false);
	each_list(one, 1, 1, list_fn, true);
	snprintf(mid, sizeof(mid), "l%u", lists / 2);
	for (int i = 0; i < REPEAT; i++) {
		t_many += list_once(many, mid);
		t_one += list_once(one, "l0");
	}
	drop = each_list(many, lists, 2, drop_fn, false);
	printf("lists %u: list-create %.3f s (%.1f us each), list-drop of "
	       "every second %.3f s (%.1f us each), file %.1f MiB\n", lists,
	       create, create * 1e6 / lists, drop, drop * 2e6 / lists,
	       file_mib(many_path));
	printf("listing a list of %d: among %u lists %.2f us, alone %.2f us,"
	       " ratio %.2f\n", PER_LIST, lists, t_many * 1e6 / REPEAT,
	       t_one * 1e6 / REPEAT, t_one > 0 ? t_many / t_one : 0);
	store_close(many);
	store_close(one);
	remove_store(many_path);
	remove_store(one_path);
	if (!d)
		rmdir(dir);
	return 0;
}
