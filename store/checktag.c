/*
 * NAME
 *	checktag.c - a sublist's check of a message: one tag record
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
 *	Both answers are in the message's tag record (tagrec.c), written
 *	with every cookie and log row: a check is one point read under an
 *	integer key in a small database of grouped records, where the
 *	tables would take a log seek and a cookie read in two large ones.  A tagger resolves the list once
 *	per transaction, as a prepared statement would.
 * DIAGNOSTICS
 *	STORE_NOTFOUND when the list does not exist; STORE_CORRUPT for a
 *	record that does not decode.
 */
#include <inttypes.h>
#include <stdlib.h>

#include "store/tagrec_int.h"

struct mlist_tagger {
	struct store_txn *txn;
	uint32_t id;		/* the list's id */
	int kind;
};

enum store_rc mlist_tagger_open(struct store_txn *txn, const char *root,
				bool digest, struct mlist_tagger **out)
{
	char name[REG_NAME_MAX + 16];
	const struct reg_table *t;
	struct tdb db;
	const uint8_t *key;
	size_t keylen;
	struct mlist_tagger *g;
	enum store_rc rc;

	*out = NULL;
	if (mlist_table_name(name, sizeof(name), root, digest, "_cookie"))
		return store_fail(txn->st, STORE_BADDATA, "list name too long");
	if (!(g = calloc(1, sizeof(*g))))
		return store_fail(txn->st, STORE_INTERNAL, "out of memory");
	rc = table_resolve(txn, name, &t, &db);
	if (rc == STORE_NOTFOUND && store_list_key(txn, root, &key, &keylen))
		rc = STORE_NOTFOUND;	/* its message names the list */
	if (rc) {
		free(g);
		return rc;
	}
	g->txn = txn;
	g->kind = digest;
	g->id = tag_list_id(db.pfx);
	*out = g;
	return STORE_OK;
}

void mlist_tagger_close(struct mlist_tagger *g)
{
	free(g);
}

enum store_rc mlist_tagger_check(struct mlist_tagger *g, int64_t msgnum,
				 const char *cookie, int64_t listno,
				 enum mlist_tag *result)
{
	struct tag_at at;
	MDB_val k, d, e = { 0, NULL };
	int mrc;

	tag_locate(g->txn->st->tag[g->kind], g->txn->st->tag_wide[g->kind],
		   g->id, msgnum, &at);
	k = (MDB_val){ at.keylen, at.key };
	mrc = mdb_get(g->txn->txn, at.dbi, &k, &d);
	if (mrc && mrc != MDB_NOTFOUND)
		return store_mdb_rc(g->txn->st, mrc, tag_suffix(g->kind));
	if ((mrc == 0 && !tag_entry(&d, at.slot, &e)) ||
	    !tag_verdict(e.mv_size ? &e : NULL, listno, cookie, result))
		return store_fail(g->txn->st, STORE_CORRUPT, DB_TAG_PREFIX
				  "%s: the record of message %" PRId64
				  " does not decode", tag_suffix(g->kind),
				  msgnum);
	return STORE_OK;
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
