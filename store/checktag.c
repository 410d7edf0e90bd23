/*
 * NAME
 *	checktag.c - a sublist's check of a message: cookie and message log
 * SYNOPSIS
 *	#include "store/mlist.h"
 * DESCRIPTION
 *	Seed sections 5.8 and 5.9: a sublist sends a message only when the
 *	cookie it carries equals the one its main list stored in T_cookie
 *	and, for the sublist's list number, T_mlog has no entry with
 *	done > 0 (processed or receipt received).  The log is looked at
 *	first, then the cookie, in the order of ezmlm-idx's
 *	sub_sql_checktag.
 *
 *	T_mlog's key is listno, msgnum, done, each an 8-byte
 *	order-preserving integer, so "an entry with done > 0" is one cursor
 *	seek to (listno, msgnum, 1).  A tagger resolves both tables and
 *	opens that cursor once per transaction, as a prepared statement
 *	would; each check is then one seek and one point read.
 * DIAGNOSTICS
 *	STORE_NOTFOUND when the list does not exist.
 */
#include <stdlib.h>
#include <string.h>

#include "store/internal.h"
#include "store/mlist.h"

#define MLOG_PREFIX	16	/* key bytes of (listno, msgnum) */

struct mlist_tagger {
	struct store_txn *txn;
	const struct reg_table *cookie_t;
	struct tdb cookie_dbi;
	struct tcur mlog;
	char cookie_name[REG_NAME_MAX + 16];
	char mlog_name[REG_NAME_MAX + 16];
};

/* resolve - a list table's registry entry and database. */
static enum store_rc resolve(struct store_txn *txn, const char *root,
			     bool digest, const char *suffix, char *name,
			     size_t namelen, const struct reg_table **t,
			     struct tdb *dbi)
{
	const uint8_t *key;
	size_t keylen;
	enum store_rc rc;

	if (mlist_table_name(name, namelen, root, digest, suffix))
		return store_fail(txn->st, STORE_BADDATA, "list name too long");
	rc = table_resolve(txn, name, t, dbi);
	if (rc == STORE_NOTFOUND)	/* say which list is missing */
		return store_list_key(txn, root, &key, &keylen) ? STORE_NOTFOUND
			: rc;
	return rc;
}

enum store_rc mlist_tagger_open(struct store_txn *txn, const char *root,
				bool digest, struct mlist_tagger **out)
{
	struct mlist_tagger *g = calloc(1, sizeof(*g));
	const struct reg_table *mlog_t;
	struct tdb mlog_dbi;
	enum store_rc rc;
	int mrc;

	*out = NULL;
	if (!g)
		return store_fail(txn->st, STORE_INTERNAL, "out of memory");
	g->txn = txn;
	if ((rc = resolve(txn, root, digest, "_cookie", g->cookie_name,
			  sizeof(g->cookie_name), &g->cookie_t,
			  &g->cookie_dbi)) ||
	    (rc = resolve(txn, root, digest, "_mlog", g->mlog_name,
			  sizeof(g->mlog_name), &mlog_t, &mlog_dbi))) {
		free(g);
		return rc;
	}
	if ((mrc = tcur_open(txn->txn, &mlog_dbi, &g->mlog))) {
		free(g);
		return store_mdb_rc(txn->st, mrc, g->mlog_name);
	}
	*out = g;
	return STORE_OK;
}

void mlist_tagger_close(struct mlist_tagger *g)
{
	if (!g)
		return;
	tcur_close(&g->mlog);
	free(g);
}

/* log_done - is there an entry (listno, msgnum, done >= 1)? */
static enum store_rc log_done(struct mlist_tagger *g, int64_t msgnum,
			      int64_t listno, bool *done)
{
	uint8_t key[24];
	MDB_val k = { sizeof(key), key }, d;
	int mrc;

	key_encode_int(listno, key);
	key_encode_int(msgnum, key + 8);
	key_encode_int(1, key + 16);
	mrc = tcur_get(&g->mlog, &k, &d, MDB_SET_RANGE);
	*done = mrc == 0 && k.mv_size >= MLOG_PREFIX &&
		memcmp(k.mv_data, key, MLOG_PREFIX) == 0;
	if (mrc && mrc != MDB_NOTFOUND)
		return store_mdb_rc(g->txn->st, mrc, g->mlog_name);
	return STORE_OK;
}

/* same_cookie - compare without leaking where they differ. */
static bool same_cookie(const struct store_value *v, const char *cookie)
{
	unsigned char diff = 0;

	if (v->kind != SV_TEXT || v->len != MLIST_COOKIE_LEN ||
	    strlen(cookie) != MLIST_COOKIE_LEN)
		return false;
	for (int i = 0; i < MLIST_COOKIE_LEN; i++)
		diff |= (unsigned char)(v->s[i] ^ cookie[i]);
	return diff == 0;
}

/* cookie_verdict - NOCOOKIE, MISMATCH or OK for the stored cookie. */
static enum store_rc cookie_verdict(struct mlist_tagger *g, int64_t msgnum,
				    const char *cookie, enum mlist_tag *result)
{
	uint8_t key[8];
	MDB_val k = { sizeof(key), key }, d;
	struct store_row row;
	int mrc;

	key_encode_int(msgnum, key);
	mrc = tdb_get(g->txn->txn, &g->cookie_dbi, &k, &d);
	if (mrc == MDB_NOTFOUND) {
		*result = MLIST_TAG_NOCOOKIE;
		return STORE_OK;
	}
	if (mrc)
		return store_mdb_rc(g->txn->st, mrc, g->cookie_name);
	if (!row_decode(g->cookie_t, d.mv_data, d.mv_size, &row))
		return table_corrupt_row(g->txn->st, g->cookie_name);
	*result = same_cookie(&row.col[REG_COOKIE_COOKIE], cookie)
		? MLIST_TAG_OK : MLIST_TAG_MISMATCH;
	return STORE_OK;
}

enum store_rc mlist_tagger_check(struct mlist_tagger *g, int64_t msgnum,
				 const char *cookie, int64_t listno,
				 enum mlist_tag *result)
{
	enum store_rc rc;
	bool done = false;

	if (listno >= 0 && (rc = log_done(g, msgnum, listno, &done)))
		return rc;
	if (done) {
		*result = MLIST_TAG_DONE;
		return STORE_OK;
	}
	return cookie_verdict(g, msgnum, cookie, result);
}

enum store_rc mlist_checktag(struct store_txn *txn, const char *root,
			     bool digest, int64_t msgnum, const char *cookie,
			     int64_t listno, enum mlist_tag *result)
{
	struct mlist_tagger *g;
	enum store_rc rc = mlist_tagger_open(txn, root, digest, &g);

	if (rc)
		return rc;
	rc = mlist_tagger_check(g, msgnum, cookie, listno, result);
	mlist_tagger_close(g);
	return rc;
}
