/*
 * NAME
 *	upgrade_kill_test - the upgrade to format 5 killed inside its
 *	transaction
 * DESCRIPTION
 *	The fixtures of tests/integration/format_upgrade.sh are small: their
 *	upgrade takes a millisecond of a process's run, so its kills fall
 *	before or after it.  Here list t gets MQ_UPGRADE_MSGS (default
 *	100,000) messages' cookies, a third of them done at a list number,
 *	and the store is made format 4 again (its tag records dropped, its
 *	format set back: what format 5 adds).  A child process's open,
 *	which upgrades it, is timed once, then killed with SIGKILL at
 *	random moments within 1.2 times that, 10 times: each time the file
 *	verifies as format 4 or 5, never between, and then opens to answer
 *	every sampled check as written.  At least one kill must fall after
 *	the time an open without an upgrade takes and before the upgrade
 *	finished, that is inside the upgrade.
 * DIAGNOSTICS
 *	TAP lines through check.h.
 */
#include <lmdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/wait.h>

#include "store/mlist.h"
#include "store/registry.h"
#include "store/store.h"
#include "store/tagrec_int.h"
#include "tests/unit/check.h"

#define KILLS		10
#define BATCH		10000
#define SAMPLE		997	/* every SAMPLE-th message is checked */

static char dir[] = "/tmp/mq-upgrade-kill-XXXXXX";
static char path[128], old[128];
static int64_t msgs = 100000;

/* cookie_of - message m's cookie: 20 letters 'a'..'p' */
static void cookie_of(int64_t m, char out[MLIST_COOKIE_LEN + 1])
{
	uint64_t x = (uint64_t)m * 0x9E3779B97F4A7C15ULL;

	for (int i = 0; i < MLIST_COOKIE_LEN; i++, x = x >> 4 | x << 60)
		out[i] = (char)('a' + (x & 15));
	out[MLIST_COOKIE_LEN] = 0;
}

/* done_at - the list number message m is done at, or -1 */
static int64_t done_at(int64_t m)
{
	return m % 3 == 0 ? m % 7 : -1;
}

struct range {
	int64_t from, to;
};

static enum store_rc write_range(struct store_txn *t, void *arg)
{
	const struct range *r = arg;
	char c[MLIST_COOKIE_LEN + 1];
	enum store_rc rc = r->from == 1 ?
		store_list_create(t, "t", NULL, 0) : STORE_OK;

	for (int64_t m = r->from; rc == STORE_OK && m < r->to; m++) {
		struct store_assign ck[] = {
			{ REG_COOKIE_MSGNUM, { .kind = SV_INT, .i = m } },
			{ REG_COOKIE_COOKIE, { .kind = SV_TEXT, .s = c,
					       .len = MLIST_COOKIE_LEN } },
		};
		struct store_assign lg[] = {
			{ REG_MLOG_MSGNUM, { .kind = SV_INT, .i = m } },
			{ REG_MLOG_LISTNO, { .kind = SV_INT, .i = done_at(m) } },
			{ REG_MLOG_DONE, { .kind = SV_INT, .i = 1 } },
		};

		cookie_of(m, c);
		rc = store_set(t, "t_cookie", ck, 2, NULL);
		if (rc == STORE_OK && done_at(m) >= 0)
			rc = store_set(t, "t_mlog", lg, 3, NULL);
	}
	return rc;
}

static struct store *open_store(void)
{
	char err[512];
	struct store *st = NULL;

	if (store_open(path, 0, NULL, &st, err, sizeof(err)) != STORE_OK)
		fprintf(stderr, "# %s\n", err);
	return st;
}

/* make_store - list t with its messages, in format 5 */
static bool make_store(void)
{
	struct store *st = open_store();
	bool ok = st != NULL;

	for (int64_t m = 1; ok && m <= msgs; m += BATCH) {
		struct range r = { m, m + BATCH > msgs + 1 ? msgs + 1 : m + BATCH };

		ok = store_write(st, write_range, &r, NULL) == STORE_OK;
	}
	if (st)
		store_close(st);
	return ok;
}

/* drop_tags - the tag records and the format of format 5 undone */
static int drop_tags(MDB_txn *txn)
{
	uint64_t format = 4;
	MDB_val k = { 6, "format" }, d = { sizeof(format), &format }, nk, nd;
	MDB_dbi main, meta, tag;
	MDB_cursor *c;
	char names[8][64];
	int n = 0, rc = mdb_dbi_open(txn, NULL, 0, &main);

	if (rc || (rc = mdb_cursor_open(txn, main, &c)))
		return rc;
	for (rc = mdb_cursor_get(c, &nk, &nd, MDB_FIRST); rc == 0 && n < 8;
	     rc = mdb_cursor_get(c, &nk, &nd, MDB_NEXT))
		if (nk.mv_size < sizeof(names[0]) &&
		    !memcmp(nk.mv_data, DB_TAG_PREFIX,
			    strlen(DB_TAG_PREFIX))) {
			memcpy(names[n], nk.mv_data, nk.mv_size);
			names[n++][nk.mv_size] = 0;
		}
	mdb_cursor_close(c);
	for (int i = 0; i < n; i++)
		if ((rc = mdb_dbi_open(txn, names[i], 0, &tag)) ||
		    (rc = mdb_drop(txn, tag, 1)))
			return rc;
	if ((rc = mdb_dbi_open(txn, "meta", 0, &meta)))
		return rc;
	return n ? mdb_put(txn, meta, &k, &d, 0) : MDB_NOTFOUND;
}

/* make_format4 - the store at path, made format 4 again */
static bool make_format4(void)
{
	MDB_env *env = NULL;
	MDB_txn *txn = NULL;
	bool ok = mdb_env_create(&env) == 0 &&
		  mdb_env_set_maxdbs(env, 256) == 0 &&
		  mdb_env_set_mapsize(env, (size_t)1 << 32) == 0 &&
		  mdb_env_open(env, path, MDB_NOSUBDIR, 0600) == 0 &&
		  mdb_txn_begin(env, NULL, 0, &txn) == 0 &&
		  drop_tags(txn) == 0;

	if (txn && ok)
		ok = mdb_txn_commit(txn) == 0;
	else if (txn)
		mdb_txn_abort(txn);
	if (env)
		mdb_env_close(env);
	return ok;
}

static bool copy_old(void)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd), "cp '%s' '%s' && rm -f '%s-lock'", old,
		 path, path);
	return system(cmd) == 0;
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* opener - a child that opens the store (upgrading it) and exits */
static pid_t opener(void)
{
	pid_t pid = fork();

	if (pid == 0) {
		struct store *st = open_store();

		if (st)
			store_close(st);
		_exit(st ? 0 : 1);
	}
	return pid;
}

/* open_ms - how long a child's open takes (of a copy of old: upgrading) */
static double open_ms(bool copy)
{
	double t0;
	int status = -1;
	pid_t pid;

	if (copy && !copy_old())
		return -1;
	t0 = now_ms();
	pid = opener();
	if (pid < 0 || waitpid(pid, &status, 0) != pid ||
	    !WIFEXITED(status) || WEXITSTATUS(status))
		return -1;
	return now_ms() - t0;
}

/* answers_right - every sampled message checks as written */
static bool answers_right(void)
{
	struct store *st = open_store();
	struct store_txn *txn;
	char c[MLIST_COOKIE_LEN + 1];
	enum mlist_tag tag, want;
	bool ok = st && store_read_begin(st, &txn) == STORE_OK;

	for (int64_t m = 1; ok && m <= msgs; m += SAMPLE) {
		cookie_of(m, c);
		for (int64_t l = 0; ok && l < 7; l++) {
			want = done_at(m) == l ? MLIST_TAG_DONE : MLIST_TAG_OK;
			ok = mlist_checktag(txn, "t", false, m, c, l, &tag) ==
			     STORE_OK && tag == want;
		}
		c[0] = c[0] == 'a' ? 'b' : 'a';
		ok = ok && mlist_checktag(txn, "t", false, m, c, -1, &tag) ==
		     STORE_OK && tag == MLIST_TAG_MISMATCH;
	}
	if (st && ok)
		store_read_end(txn);
	if (st)
		store_close(st);
	return ok;
}

/* format_of - the format the file at path has, 0 if it does not verify */
static uint64_t format_of(void)
{
	struct store_meta m = { 0 };
	char err[512];

	if (store_verify_file(path, NULL, err, sizeof(err)) != STORE_OK) {
		fprintf(stderr, "# verify: %s\n", err);
		return 0;
	}
	return store_file_meta(path, &m) == STORE_OK ? m.format : 0;
}

int main(void)
{
	const char *env = getenv("MQ_UPGRADE_MSGS");
	double full, plain;
	int format4 = 0, format5 = 0, inside = 0, bad = 0;

	if (env)
		msgs = atoll(env);
	CHECK(mkdtemp(dir) != NULL, "a directory");
	snprintf(path, sizeof(path), "%s/mq.mdb", dir);
	snprintf(old, sizeof(old), "%s/format4.mdb", dir);
	CHECK(make_store(), "%lld messages written", (long long)msgs);
	CHECK(answers_right(), "format 5 answers every sampled check");
	CHECK(make_format4() && format_of() == 4, "made format 4 again");
	CHECK(rename(path, old) == 0, "kept as the old store");
	full = open_ms(true);
	plain = open_ms(false);
	CHECK(full > 0 && plain > 0 && format_of() == 5 && answers_right(),
	      "an upgrading open (%.1f ms; %.1f ms without the upgrade) gives "
	      "the same answers", full, plain);
	srand((unsigned)getpid());
	for (int i = 0; i < KILLS && full > 0; i++) {
		double at = full * (rand() % 1200) / 1000.0, t0;
		int status;
		pid_t pid;
		uint64_t f;

		if (!copy_old())
			break;
		t0 = now_ms();
		pid = opener();
		while (now_ms() - t0 < at)
			usleep(100);
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		f = format_of();
		format4 += f == 4;
		format5 += f == 5;
		if (WIFSIGNALED(status) && f == 4 && at > plain)
			inside++;
		if ((f != 4 && f != 5) || !answers_right())
			bad++;
	}
	printf("# open %.1f ms with the upgrade; %d kills left format 4, %d "
	       "format 5, %d fell inside the upgrade\n", full, format4,
	       format5, inside);
	CHECK(bad == 0 && format4 + format5 == KILLS,
	      "every killed upgrade left format 4 or 5, answering the same");
	CHECK(inside > 0, "some kills fell inside the upgrade");
	{
		char cmd[300];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		if (system(cmd) != 0)
			return 1;
	}
	return check_done();
}
