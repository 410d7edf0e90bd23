/*
 * NAME
 *	casekeys_test - list addresses that differ only in case: the key
 *	rule, and sub, issub, unsub and listing over the variants
 * SYNOPSIS
 *	casekeys_test
 * DESCRIPTION
 *	Checks store_fold_key() on addresses of known masks (none, one
 *	capital, capitals in two mask bytes, 255 bytes), that every
 *	variant's key starts with store_fold_prefix() and that the one in
 *	small letters sorts first, and that store_unfold_key() gives back
 *	100,000 random addresses from their keys.  Then, in a store in a
 *	temporary directory, the semantics of ezmlm-idx 7 (docs/ezmlm.md): rows
 *	put in three cases (as a sync from SQL does) are three rows, all
 *	listed; store_sub of a fourth case adds nothing; store_issub in any
 *	case finds one; store_unsub in yet another case removes all three,
 *	one slog row each holding the address as stored, and leaves a
 *	blocked variant (hash 99) alone; the store verifies at the end,
 *	and no longer once a row lies under the key format 3 gave it (the
 *	address folded alone) or once its index entry is gone.
 * DIAGNOSTICS
 *	TAP lines through check.h.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/internal.h"
#include "check.h"

#define ROOT	"ck"

static struct store *st;

static void test_key_rule(void)
{
	static const struct {
		const char *addr;
		const char *mask;	/* the mask bytes after the NUL */
		size_t nmask;
	} cases[] = {
		{ "alice@x.org", "", 0 },
		{ "Alice@x.org", "\x80", 1 },
		{ "alicE@x.ORG", "\x08\xe0", 2 },
		{ "abcdefghIjk@x", "\x00\x80", 2 },
		{ "\xc3\xa9T@x", "\x20", 1 },	/* UTF-8 bytes stay, no bit */
	};
	uint8_t key[STORE_FOLD_KEY_MAX(SUB_ADDR_MAX)], pfx[SUB_ADDR_MAX + 1];
	char big[SUB_ADDR_MAX + 1];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t len = strlen(cases[i].addr);
		size_t n = store_fold_key(key, cases[i].addr, len);
		size_t p = store_fold_prefix(pfx, cases[i].addr, len);

		CHECK(n == len + 1 + cases[i].nmask && p == len + 1 &&
		      memcmp(key, pfx, p) == 0 && key[len] == 0 &&
		      memcmp(key + len + 1, cases[i].mask, cases[i].nmask)
		      == 0, "the key of %s: folded, NUL, %zu mask bytes",
		      cases[i].addr, cases[i].nmask);
	}
	memset(big, 'A', SUB_ADDR_MAX);
	big[SUB_ADDR_MAX] = 0;
	CHECK(store_fold_key(key, big, SUB_ADDR_MAX) ==
	      SUB_ADDR_MAX + 1 + STORE_FOLD_MASK_MAX &&
	      STORE_FOLD_KEY_MAX(SUB_ADDR_MAX) + LIST_ID_LEN + 1 <=
	      STORE_KEY_MAX, "255 capitals: a key of %d bytes, which with a "
	      "list id and hash byte fits LMDB's", SUB_ADDR_MAX + 1 +
	      STORE_FOLD_MASK_MAX);
}

/*
 * test_unfold - store_unfold_key gives back each of 100,000 random
 *	addresses (1..255 bytes of any value but NUL) from its key.
 */
static void test_unfold(void)
{
	uint8_t key[STORE_FOLD_KEY_MAX(SUB_ADDR_MAX)];
	char addr[SUB_ADDR_MAX], back[SUB_ADDR_MAX];
	size_t bad = 0;

	srandom(15);
	for (int i = 0; i < 100000; i++) {
		size_t len = 1 + (size_t)random() % SUB_ADDR_MAX;

		for (size_t j = 0; j < len; j++)
			addr[j] = (char)(1 + random() % 255);
		store_unfold_key(back, key, len, store_fold_key(key, addr,
								 len));
		bad += memcmp(back, addr, len) != 0;
	}
	CHECK(bad == 0, "100000 random addresses back from their keys (%zu "
	      "not)", bad);
}

static enum store_rc create_fn(struct store_txn *txn, void *arg)
{
	(void)arg;
	return store_list_create(txn, ROOT, (const uint8_t *)"k", 1);
}

/* put_fn - the row (hash, address) as a sync from SQL puts it */
static enum store_rc put_fn(struct store_txn *txn, void *arg)
{
	const char *addr = arg;
	int hash = strncmp(addr, "99 ", 3) == 0 ? 99 : 7;
	struct store_assign a[2] = {
		{ REG_ADDR_HASH, { .kind = SV_INT, .i = hash } },
		{ REG_ADDR_ADDRESS, { .kind = SV_TEXT } },
	};

	if (hash == 99)
		addr += 3;
	a[1].v.s = addr;
	a[1].v.len = strlen(addr);
	return store_set(txn, ROOT, a, 2, NULL);
}

struct job {
	bool add;
	const char *addr;
	struct sub_counts counts;
};

static enum store_rc sub_fn(struct store_txn *txn, void *arg)
{
	struct job *j = arg;
	struct sub_request r = { .addr = j->addr, .len = strlen(j->addr),
				 .hash = -1, .etype = 'm' };

	return store_sub(txn, ROOT, SUB_MAIN, j->add, &r, 1, &j->counts,
			 NULL);
}

/* The addresses a listing or the slog gave, joined by spaces. */
struct seen {
	char text[1024];
};

static int seen_fn(const char *addr, size_t len, int hash, void *arg)
{
	struct seen *s = arg;
	size_t n = strlen(s->text);

	(void)hash;
	snprintf(s->text + n, sizeof(s->text) - n, "%s%.*s", n ? " " : "",
		 (int)len, addr);
	return 0;
}

static const char *listing(int lo, int hi)
{
	static struct seen s;
	struct store_txn *t;

	s.text[0] = 0;
	if (store_read_begin(st, &t) == STORE_OK) {
		store_sub_each(t, ROOT, SUB_MAIN, lo, hi, false, seen_fn, &s);
		store_read_end(t);
	}
	return s.text;
}

static int slog_fn(const struct store_row *row, void *arg)
{
	const struct store_value *a = &row->col[REG_SLOG_ADDRESS];
	const struct store_value *e = &row->col[REG_SLOG_EDIR];

	if (e->len == 1 && e->s[0] == '-')
		seen_fn(a->s, a->len, 0, arg);
	return 0;
}

/* removed_logged - the addresses of the slog's '-' rows */
static const char *removed_logged(void)
{
	static struct seen s;
	struct store_txn *t;

	s.text[0] = 0;
	if (store_read_begin(st, &t) == STORE_OK) {
		store_scan(t, ROOT "_slog", NULL, 0, slog_fn, &s);
		store_read_end(t);
	}
	return s.text;
}

static bool issub(const char *addr, char *stored, size_t size)
{
	struct store_txn *t;
	struct store_value v;
	int hash;
	bool yes = false;

	if (store_read_begin(st, &t))
		return false;
	yes = store_issub(t, ROOT, SUB_MAIN, addr, strlen(addr), &hash, &v)
		== STORE_OK;
	if (yes)
		snprintf(stored, size, "%.*s", (int)v.len, v.s);
	store_read_end(t);
	return yes;
}

static void test_variants(void)
{
	static const char *const three[] = {
		"Carol@example.com", "carol@example.com", "CAROL@example.com"
	};
	struct job j = { .add = true, .addr = "cArOl@example.com" };
	char stored[300];
	bool ok = true;

	for (int i = 0; i < 3; i++)
		ok = ok && store_write(st, put_fn, (void *)three[i], NULL) ==
			STORE_OK;
	CHECK(ok, "three variants put as rows: %s", store_errmsg(st));
	CHECK(!strcmp(listing(7, 7), "carol@example.com Carol@example.com "
		      "CAROL@example.com"), "all three listed, the small one "
	      "first: %s", listing(7, 7));
	CHECK(store_write(st, sub_fn, &j, NULL) == STORE_OK &&
	      j.counts.changed == 0 && j.counts.unchanged == 1 &&
	      !strstr(listing(0, 127), "cArOl"),
	      "sub of a fourth case adds nothing: already subscribed");
	CHECK(issub("CaRoL@EXAMPLE.COM", stored, sizeof(stored)) &&
	      strcasecmp(stored, "carol@example.com") == 0,
	      "issub in another case finds a variant (%s)", stored);
	CHECK(store_write(st, put_fn, "99 CAROL@EXAMPLE.COM", NULL) ==
	      STORE_OK, "a blocked variant, hash 99");
	j = (struct job){ .add = false, .addr = "caROL@example.com" };
	CHECK(store_write(st, sub_fn, &j, NULL) == STORE_OK &&
	      j.counts.changed == 1 && !strcmp(listing(0, 52), ""),
	      "unsub in another case removes every variant: %s",
	      listing(0, 52));
	CHECK(!strcmp(listing(99, 99), "CAROL@EXAMPLE.COM"),
	      "the blocked variant stays");
	CHECK(!strcmp(removed_logged(), "carol@example.com Carol@example.com "
		      "CAROL@example.com"), "one slog row for each removed "
	      "row, its address as stored: %s", removed_logged());
	j = (struct job){ .add = true, .addr = "Dave@example.com" };
	CHECK(store_write(st, sub_fn, &j, NULL) == STORE_OK &&
	      j.counts.changed == 1 && issub("dave@EXAMPLE.com", stored,
					     sizeof(stored)) &&
	      !strcmp(stored, "Dave@example.com"),
	      "sub keeps the case given; issub answers it as stored");
}

/* Which damage bad_key_fn does. */
enum damage { OLD_KEY, NO_INDEX };

/*
 * bad_key_fn - Dave@example.com's row moved under its format 3 key, or
 *	its index entry deleted (white-box: the store's own databases).
 */
static enum store_rc bad_key_fn(struct store_txn *txn, void *arg)
{
	enum damage what = *(enum damage *)arg;
	const struct reg_table *t;
	struct tdb db, x;
	uint8_t key[64], ikey[65];
	size_t klen = store_fold_key(key, "Dave@example.com", 16);
	MDB_val k = { klen, key }, d, old = { 16, "dave@example.com" };
	enum store_rc rc = table_resolve(txn, ROOT, &t, &db);

	if (rc == STORE_OK)
		rc = idx_of(txn, t, &db, &x);
	if (rc || tdb_get(txn->txn, &db, &k, &d))
		return STORE_INTERNAL;
	if (what == NO_INDEX) {
		ikey[0] = (uint8_t)sub_hash("Dave@example.com", 16);
		memcpy(ikey + 1, key, klen);
		k = (MDB_val){ klen + 1, ikey };
		return tdb_del(txn->txn, &x, &k) ? STORE_INTERNAL : STORE_OK;
	}
	memcpy(ikey, d.mv_data, d.mv_size);	/* the delete moves it */
	d.mv_data = ikey;
	if (tdb_del(txn->txn, &db, &k) || tdb_put(txn->txn, &db, &old, &d, 0))
		return STORE_INTERNAL;
	return STORE_OK;
}

/* test_verify_damage - verify refuses a row under another key. */
static void test_verify_damage(const char *file, enum damage what,
			       const char *name)
{
	char copy[80], cmd[200], err[512] = "";
	struct store_options opt = { 0 };
	uint64_t rows = 0;

	snprintf(copy, sizeof(copy), "%s.%d", file, (int)what);
	snprintf(cmd, sizeof(cmd), "cp %s %s", file, copy);
	struct store_txn t;
	bool done;

	if (!CHECK(system(cmd) == 0 && store_open(copy, 0, &opt, &st, err,
						 sizeof(err)) == STORE_OK,
		   "%s: a copy opened", name))
		return;
	/* Its own transaction: store_write commits none that logs nothing. */
	done = store_txn_begin(st, true, &t) == STORE_OK;
	if (done && bad_key_fn(&t, &what) != STORE_OK) {
		mdb_txn_abort(t.txn);
		done = false;
	}
	done = done && mdb_txn_commit(t.txn) == 0;
	CHECK(done, "%s: damage done", name);
	store_close(st);
	CHECK(store_verify_file(copy, &rows, err, sizeof(err)) != STORE_OK,
	      "%s: verify refuses it: %s", name, err);
	unlink(copy);
	snprintf(cmd, sizeof(cmd), "rm -f %s-lock", copy);
	CHECK(system(cmd) == 0, "%s: scratch removed", name);
}

int main(void)
{
	char dir[] = "/tmp/casekeys_test.XXXXXX", file[64], lock[80];
	char err[512] = "";
	struct store_options opt = { 0 };
	uint64_t rows = 0;

	test_key_rule();
	test_unfold();
	if (!CHECK(mkdtemp(dir) != NULL, "scratch directory"))
		return check_done();
	snprintf(file, sizeof(file), "%s/mq.mdb", dir);
	snprintf(lock, sizeof(lock), "%s-lock", file);
	if (!CHECK(store_open(file, 0, &opt, &st, err, sizeof(err)) ==
		   STORE_OK && store_write(st, create_fn, NULL, NULL) ==
		   STORE_OK, "open a store, create a list: %s", err))
		return check_done();
	test_variants();
	store_close(st);
	CHECK(store_verify_file(file, &rows, err, sizeof(err)) == STORE_OK,
	      "the store verifies (%llu rows) %s", (unsigned long long)rows,
	      err);
	test_verify_damage(file, OLD_KEY, "a row under its format 3 key");
	test_verify_damage(file, NO_INDEX, "a row missing from its index");
	unlink(file);
	unlink(lock);
	rmdir(dir);
	return check_done();
}
