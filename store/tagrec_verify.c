/*
 * NAME
 *	tagrec_verify.c - mq verify: tag records and their tables agree
 * SYNOPSIS
 *	#include "store/tagrec_int.h"
 *
 *	ok = tag_verify(txn, err, sizeof(err));
 * DESCRIPTION
 *	For each record kind, both ways: every record decodes, its cookie
 *	is the one of the message's cookie row and each of its list
 *	numbers has a log entry done > 0; every cookie row and every log
 *	entry done > 0 has its part in a record.  A group record must sit
 *	where tag_locate puts its messages and hold at least one entry.
 *	Works on the raw databases of a read transaction, as the rest of
 *	mq verify (file.c): table keys are a list id (4 bytes) and the
 *	table's key.
 * DIAGNOSTICS
 *	false with the list, the message and what differs in err.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "store/tagrec_int.h"

#define ID_LEN		LIST_ID_LEN
#define MLOG_KEY_LEN	24

/* The databases of one kind, opened in the verifier's transaction. */
struct tag_dbs {
	MDB_txn *txn;
	int kind;
	MDB_dbi rec, wide, cookie, mlog;
	const struct reg_table *cookie_t;
	char *err;
	size_t errlen;
};

/* root_of - the name of the list with id (4 bytes), or "?" */
static void root_of(MDB_txn *txn, const uint8_t *id, char *out, size_t len)
{
	MDB_dbi lists;
	MDB_cursor *c;
	MDB_val k, d;
	int mrc;

	snprintf(out, len, "?");
	if (mdb_dbi_open(txn, DB_LISTS, 0, &lists) ||
	    mdb_cursor_open(txn, lists, &c))
		return;
	for (mrc = mdb_cursor_get(c, &k, &d, MDB_FIRST); mrc == 0;
	     mrc = mdb_cursor_get(c, &k, &d, MDB_NEXT))
		if (d.mv_size > ID_LEN &&
		    ((uint8_t *)d.mv_data)[0] == LIST_RECORD_ID &&
		    memcmp((uint8_t *)d.mv_data + 1, id, ID_LEN) == 0) {
			snprintf(out, len, "%.*s", (int)k.mv_size,
				 (char *)k.mv_data);
			break;
		}
	mdb_cursor_close(c);
}

static bool mismatch(struct tag_dbs *v, const uint8_t *id,
		     const uint8_t *msgnum, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* mismatch - the message naming list and message; false. */
static bool mismatch(struct tag_dbs *v, const uint8_t *id,
		     const uint8_t *msgnum, const char *fmt, ...)
{
	char root[REG_NAME_MAX], what[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	root_of(v->txn, id, root, sizeof(root));
	snprintf(v->err, v->errlen, "list %s: message %" PRId64 ": the tag "
		 "record (" DB_TAG_PREFIX "%s) %s", root,
		 key_decode_int(msgnum), tag_suffix(v->kind), what);
	return false;
}

/* log_done - has the log an entry (listno, msgnum, done > 0)? */
static bool log_done(struct tag_dbs *v, const uint8_t *id,
		     const uint8_t *listno, const uint8_t *msgnum)
{
	uint8_t key[ID_LEN + MLOG_KEY_LEN];
	MDB_val k = { sizeof(key), key }, d;
	MDB_cursor *c;
	bool done;

	memcpy(key, id, ID_LEN);
	memcpy(key + ID_LEN, listno, 8);
	memcpy(key + ID_LEN + 8, msgnum, 8);
	key_encode_int(1, key + ID_LEN + 16);
	if (mdb_cursor_open(v->txn, v->mlog, &c))
		return false;
	done = mdb_cursor_get(c, &k, &d, MDB_SET_RANGE) == 0 &&
		k.mv_size == sizeof(key) &&
		memcmp(k.mv_data, key, ID_LEN + 16) == 0;
	mdb_cursor_close(c);
	return done;
}

/* entry_holds - message m's entry e against its cookie row and log. */
static bool entry_holds(struct tag_dbs *v, const uint8_t *id,
			const uint8_t *m, const MDB_val *e)
{
	uint8_t key[ID_LEN + 8];
	MDB_val k = { sizeof(key), key }, cd;
	struct tag_rec r, want;
	struct store_row row;

	memcpy(key, id, ID_LEN);
	memcpy(key + ID_LEN, m, 8);
	if (!tag_decode(e->mv_data, e->mv_size, &r))
		return mismatch(v, id, m, "does not decode");
	if (r.flags && (mdb_get(v->txn, v->cookie, &k, &cd) ||
			!row_decode(v->cookie_t, cd.mv_data, cd.mv_size,
				    &row)))
		return mismatch(v, id, m, "has a cookie, %s has no row",
				tag_suffix(v->kind));
	if (r.flags) {
		memset(&want, 0, sizeof(want));
		tag_set_cookie(&want, &row.col[REG_COOKIE_COOKIE]);
		if (want.flags != r.flags ||
		    memcmp(want.cookie, r.cookie, sizeof(r.cookie)))
			return mismatch(v, id, m, "has another cookie than "
					"%s", tag_suffix(v->kind));
	}
	for (size_t i = 0; i < r.ndone; i++)
		if (!log_done(v, id, r.done[i], m))
			return mismatch(v, id, m, "says done for list number "
					"%" PRId64 ", %s has no such entry",
					key_decode_int(r.done[i]),
					tag_mlog_suffix(v->kind));
	return true;
}

/* group_of - the list id and first message of the group under k. */
static bool group_of(struct tag_dbs *v, MDB_dbi dbi, const MDB_val *k,
		     uint32_t *id, int64_t *first)
{
	uint64_t near;

	if (dbi == v->rec && k->mv_size == sizeof(near)) {
		memcpy(&near, k->mv_data, sizeof(near));
		*id = (uint32_t)(near >> 32);
		*first = (int64_t)(near & 0xffffffffu) * TAG_GROUP;
		return true;
	}
	if (dbi == v->wide && k->mv_size == ID_LEN + 8) {
		int64_t group = key_decode_int((uint8_t *)k->mv_data + ID_LEN);

		*id = tag_list_id(k->mv_data);
		*first = group >= INT64_MIN / TAG_GROUP &&
			group <= INT64_MAX / TAG_GROUP ? group * TAG_GROUP : 0;
		return true;	/* a group out of range: not where it sits */
	}
	snprintf(v->err, v->errlen, DB_TAG_PREFIX "%s: a record under a key "
		 "of %zu bytes", tag_suffix(v->kind), k->mv_size);
	return false;
}

/* group_holds - every entry of the group record d under k of dbi. */
static bool group_holds(struct tag_dbs *v, MDB_dbi dbi, const MDB_val *k,
			const MDB_val *d)
{
	uint8_t id[ID_LEN], m[8];
	struct tag_at at;
	uint32_t lid;
	int64_t first;
	size_t pos = 0;
	int slot = -1;
	bool bad = false;
	MDB_val e;

	if (!group_of(v, dbi, k, &lid, &first))
		return false;
	tdb_list_id(id, lid);
	key_encode_int(first, m);
	tag_locate(v->rec, v->wide, lid, first, &at);
	if (at.dbi != dbi || at.keylen != k->mv_size ||
	    memcmp(at.key, k->mv_data, at.keylen))
		return mismatch(v, id, m, "sits under another key than its "
				"messages'");
	while (tag_next(d, &pos, &slot, &e, &bad)) {
		key_encode_int(first + slot, m);
		if (!entry_holds(v, id, m, &e))
			return false;
	}
	if (bad || d->mv_size == 0)
		return mismatch(v, id, m, "is a group that does not decode");
	return true;
}

/* record_of - the entry of (id, msgnum), decoded; false: none. */
static bool record_of(struct tag_dbs *v, const uint8_t *id,
		      const uint8_t *msgnum, struct tag_rec *r)
{
	struct tag_at at;
	MDB_val k, d, e;

	tag_locate(v->rec, v->wide, tag_list_id(id), key_decode_int(msgnum),
		   &at);
	k = (MDB_val){ at.keylen, at.key };
	return mdb_get(v->txn, at.dbi, &k, &d) == 0 &&
		tag_entry(&d, at.slot, &e) && e.mv_size &&
		tag_decode(e.mv_data, e.mv_size, r);
}

/* row_held - a cookie row or a log entry has its part in a record. */
static bool row_held(struct tag_dbs *v, bool mlog, const MDB_val *k)
{
	const uint8_t *id = k->mv_data, *key = id + ID_LEN;
	const uint8_t *m = mlog ? key + 8 : key;
	struct tag_rec r;
	bool found = false;

	if (k->mv_size != ID_LEN + (mlog ? MLOG_KEY_LEN : 8))
		return mismatch(v, id, m, "is missing: a key of %zu bytes",
				k->mv_size);
	if (mlog && key_decode_int(key + 16) <= 0)
		return true;
	if (!record_of(v, id, m, &r))
		return mismatch(v, id, m, "is missing");
	for (size_t i = 0; mlog && i < r.ndone && !found; i++)
		found = memcmp(r.done[i], key, 8) == 0;
	if (mlog && !found)
		return mismatch(v, id, m, "lacks list number %" PRId64,
				key_decode_int(key));
	if (!mlog && !r.flags)
		return mismatch(v, id, m, "lacks the cookie");
	return true;
}

/* each_entry - fn on every entry of dbi; false when one fails. */
static bool each_entry(struct tag_dbs *v, MDB_dbi dbi, bool mlog,
		       bool (*fn)(struct tag_dbs *, MDB_dbi, bool,
				  const MDB_val *, const MDB_val *))
{
	MDB_cursor *c;
	MDB_val k, d;
	bool ok = true;
	int mrc = mdb_cursor_open(v->txn, dbi, &c);

	if (mrc) {
		snprintf(v->err, v->errlen, "%s", mdb_strerror(mrc));
		return false;
	}
	for (mrc = mdb_cursor_get(c, &k, &d, MDB_FIRST); mrc == 0 && ok;
	     mrc = mdb_cursor_get(c, &k, &d, MDB_NEXT))
		ok = fn(v, dbi, mlog, &k, &d);
	mdb_cursor_close(c);
	return ok;
}

static bool check_record(struct tag_dbs *v, MDB_dbi dbi, bool mlog,
			 const MDB_val *k, const MDB_val *d)
{
	(void)mlog;
	return group_holds(v, dbi, k, d);
}

static bool check_row(struct tag_dbs *v, MDB_dbi dbi, bool mlog,
		      const MDB_val *k, const MDB_val *d)
{
	(void)dbi;
	(void)d;
	return row_held(v, mlog, k);
}

/* open_dbs - kind's databases; a store without lists may lack them. */
static bool open_dbs(struct tag_dbs *v)
{
	char name[REG_NAME_MAX + 8];
	const char *what = name;
	int mrc;

	snprintf(name, sizeof(name), DB_TAG_PREFIX "%s", tag_suffix(v->kind));
	if ((mrc = mdb_dbi_open(v->txn, name, 0, &v->rec)) == 0) {
		snprintf(name, sizeof(name), DB_TAG_PREFIX "%s" TAG_WIDE_SUFFIX,
			 tag_suffix(v->kind));
		mrc = mdb_dbi_open(v->txn, name, 0, &v->wide);
	}
	if (mrc == 0) {
		snprintf(name, sizeof(name), DB_LIST_PREFIX "%s",
			 tag_suffix(v->kind));
		mrc = mdb_dbi_open(v->txn, name, 0, &v->cookie);
	}
	if (mrc == 0) {
		snprintf(name, sizeof(name), DB_LIST_PREFIX "%s",
			 tag_mlog_suffix(v->kind));
		mrc = mdb_dbi_open(v->txn, name, 0, &v->mlog);
	}
	for (int i = 0; reg_list[i] && !v->cookie_t; i++)
		if (strcmp(reg_list[i]->name, tag_suffix(v->kind)) == 0)
			v->cookie_t = reg_list[i];
	if (mrc == 0 && !v->cookie_t)
		mrc = MDB_NOTFOUND, what = "registry";
	if (mrc)
		snprintf(v->err, v->errlen, "%s: %s", what, mdb_strerror(mrc));
	return mrc == 0;
}

bool tag_verify(MDB_txn *txn, char *err, size_t errlen)
{
	for (int kind = 0; kind < TAG_KINDS; kind++) {
		struct tag_dbs v = { txn, kind, 0, 0, 0, 0, NULL, err, errlen };

		if (!open_dbs(&v) ||
		    !each_entry(&v, v.rec, false, check_record) ||
		    !each_entry(&v, v.wide, false, check_record) ||
		    !each_entry(&v, v.cookie, false, check_row) ||
		    !each_entry(&v, v.mlog, true, check_row))
			return false;
	}
	return true;
}
