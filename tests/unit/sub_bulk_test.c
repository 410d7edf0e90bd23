/*
 * NAME
 *	sub_bulk_test - a bulk subscribe gives what one address at a time gives
 * SYNOPSIS
 *	sub_bulk_test
 * DESCRIPTION
 *	Two lists in one store.  The same requests go into list "bulk" as
 *	"mq sub T -" sends them (one store_sub call for all, its arrays
 *	from store_bulk_alloc, the heap readied by store_sub_warm) and
 *	into list "one" one store_sub call per address, in input order.
 *	The requests (random, from a fixed seed) hold exact duplicates,
 *	variants in case of earlier addresses, receipt addresses with a
 *	forced hash, and, in a second round, addresses already there and
 *	new ones.  After each round the two lists must give the same
 *	counts, the same listing (address as stored and hash, in listing
 *	order: hash by hash, each in key order) and the same subscription
 *	log (address and direction, in order); the store must verify.
 *	$MQ_TEST_SUB_BULK (default 20000) sets the addresses of a round.
 * DIAGNOSTICS
 *	TAP lines through check.h.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/store.h"
#include "check.h"

#define ADDR_LEN	48

static struct store *st;

struct job {
	const char *root;
	const struct sub_request *r;
	size_t n;
	struct sub_counts counts;
};

static enum store_rc sub_fn(struct store_txn *txn, void *arg)
{
	struct job *j = arg;

	return store_sub(txn, j->root, SUB_MAIN, true, j->r, j->n,
			 &j->counts, NULL);
}

/* one_fn - the requests one store_sub call each, in one transaction */
static enum store_rc one_fn(struct store_txn *txn, void *arg)
{
	struct job *j = arg, one = { .root = j->root, .n = 1 };
	enum store_rc rc = STORE_OK;

	for (size_t i = 0; i < j->n && rc == STORE_OK; i++) {
		one.r = &j->r[i];
		rc = sub_fn(txn, &one);
		j->counts.changed += one.counts.changed;
		j->counts.unchanged += one.counts.unchanged;
		j->counts.blocked += one.counts.blocked;
	}
	return rc;
}

/*
 * create_fn - "one", then "bulk": the lists share LMDB's databases, keys
 *	prefixed by the list's id, so that "bulk"'s rows come last.  Its
 *	second round then puts keys among its own rows and appends after
 *	them in one call, and "one"'s slog appends meet "bulk"'s rows.
 */
static enum store_rc create_fn(struct store_txn *txn, void *arg)
{
	enum store_rc rc = store_list_create(txn, "one",
					     (const uint8_t *)"k", 1);

	(void)arg;
	return rc ? rc : store_list_create(txn, "bulk",
					   (const uint8_t *)"k", 1);
}

/* flip_case - addr with the case of some letters changed */
static void flip_case(char *s, unsigned seed)
{
	for (size_t i = 0; s[i]; i++, seed = seed * 1103515245 + 12345)
		if (((seed >> 16) & 3) == 0 && s[i] >= 'a' && s[i] <= 'z')
			s[i] = (char)(s[i] - 'a' + 'A');
		else if (((seed >> 16) & 3) == 1 && s[i] >= 'A' && s[i] <= 'Z')
			s[i] = (char)(s[i] - 'A' + 'a');
}

/*
 * make_round - n requests into text: new addresses, and (a fifth each)
 *	exact repeats and case variants of earlier ones of this round or
 *	of the list (prev, nprev), and receipts of hash 98.
 */
static void make_round(char (*text)[ADDR_LEN], struct sub_request *r,
		       size_t n, char (*prev)[ADDR_LEN], size_t nprev,
		       unsigned *seed)
{
	for (size_t i = 0; i < n; i++) {
		unsigned x = (unsigned)rand_r(seed), kind = x % 10;
		size_t back = i + nprev;
		const char *from;

		if (kind < 2 && back) {	/* an earlier address, as it was */
			size_t k = (size_t)rand_r(seed) % back;

			from = k < i ? text[k] : prev[k - i];
			memcpy(text[i], from, ADDR_LEN);
			if (kind == 1)
				flip_case(text[i], x);
		} else {
			snprintf(text[i], ADDR_LEN, "%s%u.%x@Host%u.Example.%s",
				 kind == 9 ? "RR" : "u", x % 100000,
				 (unsigned)rand_r(seed) & 0xfff, x % 997,
				 x & 1 ? "ORG" : "net");
		}
		r[i] = (struct sub_request){ .addr = text[i],
			.len = strlen(text[i]), .etype = 'm',
			.hash = text[i][0] == 'R' ? 98 : -1 };
	}
}

/* A listing or log written out as text, to compare. */
struct out {
	char *p;
	size_t len, cap;
};

static void out_add(struct out *o, const char *s, size_t len, int hash)
{
	if (o->len + len + 16 > o->cap) {
		o->cap = 2 * (o->len + len + 16);
		o->p = realloc(o->p, o->cap);
		if (!o->p)
			abort();
	}
	o->len += (size_t)sprintf(o->p + o->len, "%.*s=%d\n", (int)len, s,
				  hash);
}

static int list_fn(const char *addr, size_t len, int hash, void *arg)
{
	out_add(arg, addr, len, hash);
	return 0;
}

/* slog_fn - a log row: address, direction (tai and etype aside) */
static int slog_fn(const struct store_row *row, void *arg)
{
	const struct store_value *a = &row->col[REG_SLOG_ADDRESS];
	const struct store_value *dir = &row->col[REG_SLOG_EDIR];

	out_add(arg, a->s, a->len, dir->len ? dir->s[0] : '?');
	return 0;
}

/* contents - list root's listing of every hash, then its log */
static bool contents(const char *root, struct out *list, struct out *log)
{
	char slog[64];
	struct store_txn *t;
	enum store_rc rc;

	snprintf(slog, sizeof(slog), "%s_slog", root);
	if (store_read_begin(st, &t))
		return false;
	rc = store_sub_each(t, root, SUB_MAIN, 0, SUB_HASH_LIMIT, false,
			    list_fn, list);
	if (rc == STORE_OK)
		rc = store_scan(t, slog, NULL, 0, slog_fn, log);
	store_read_end(t);
	return rc == STORE_OK;
}

/* round_check - one round's requests both ways; compare the lists after. */
static void round_check(const char *what, const struct sub_request *r,
			size_t n)
{
	struct job bulk = { .root = "bulk", .r = r, .n = n };
	struct job one = { .root = "one", .r = r, .n = n };
	struct out lb = { 0 }, lo = { 0 }, gb = { 0 }, go = { 0 };

	store_sub_warm(n);
	CHECK(store_write(st, sub_fn, &bulk, NULL) == STORE_OK, "%s: one "
	      "bulk store_sub of %zu: %s", what, n, store_errmsg(st));
	CHECK(store_write(st, one_fn, &one, NULL) == STORE_OK, "%s: %zu "
	      "store_sub calls of one: %s", what, n, store_errmsg(st));
	CHECK(bulk.counts.changed == one.counts.changed &&
	      bulk.counts.unchanged == one.counts.unchanged &&
	      bulk.counts.blocked == one.counts.blocked &&
	      one.counts.changed > 0 && one.counts.unchanged > 0 &&
	      one.counts.blocked > 0, "%s: the same counts (%llu/%llu added, "
	      "%llu/%llu there, %llu/%llu blocked)", what,
	      (unsigned long long)bulk.counts.changed,
	      (unsigned long long)one.counts.changed,
	      (unsigned long long)bulk.counts.unchanged,
	      (unsigned long long)one.counts.unchanged,
	      (unsigned long long)bulk.counts.blocked,
	      (unsigned long long)one.counts.blocked);
	CHECK(contents("bulk", &lb, &gb) && contents("one", &lo, &go),
	      "%s: both lists read", what);
	CHECK(lb.len > 0 && lb.len == lo.len && !memcmp(lb.p, lo.p, lb.len),
	      "%s: the same listing (%zu and %zu bytes)", what, lb.len,
	      lo.len);
	CHECK(gb.len > 0 && gb.len == go.len && !memcmp(gb.p, go.p, gb.len),
	      "%s: the same log (%zu and %zu bytes)", what, gb.len, go.len);
	free(lb.p);
	free(lo.p);
	free(gb.p);
	free(go.p);
}

int main(void)
{
	char dir[] = "/tmp/sub_bulk_test.XXXXXX", file[64], lock[80];
	char err[512] = "";
	const char *env = getenv("MQ_TEST_SUB_BULK");
	size_t n = env ? strtoul(env, NULL, 10) : 20000;
	char (*text)[ADDR_LEN] = store_bulk_alloc(2 * n * ADDR_LEN);
	struct sub_request *r = store_bulk_alloc(n * sizeof(*r));
	unsigned seed = 15;
	uint64_t rows = 0;

	if (!CHECK(text && r && n > 0 && mkdtemp(dir) != NULL, "%zu "
		   "addresses a round, scratch directory", n))
		return check_done();
	snprintf(file, sizeof(file), "%s/mq.mdb", dir);
	snprintf(lock, sizeof(lock), "%s-lock", file);
	if (!CHECK(store_open(file, 0, NULL, &st, err, sizeof(err)) ==
		   STORE_OK && store_write(st, create_fn, NULL, NULL) ==
		   STORE_OK, "open a store, create two lists: %s", err))
		return check_done();
	make_round(text, r, n, NULL, 0, &seed);
	round_check("first load", r, n);
	make_round(text + n, r, n, text, n, &seed);
	round_check("second round", r, n);
	store_close(st);
	CHECK(store_verify_file(file, &rows, err, sizeof(err)) == STORE_OK,
	      "the store verifies (%llu rows) %s", (unsigned long long)rows,
	      err);
	unlink(file);
	unlink(lock);
	rmdir(dir);
	free(text);
	free(r);
	return check_done();
}
