/*
 * NAME
 *	tagrec.c - a message's tag record: kept with every cookie and log write
 * SYNOPSIS
 *	#include "store/tagrec_int.h"
 * DESCRIPTION
 *	A sublist's check (checktag.c) needs the message's cookie and
 *	whether its list number logged done > 0: two tables, two B-tree
 *	descents into pages spread over the whole of both.  The record
 *	(tagrec_int.h) holds both answers for a group of messages under
 *	an integer key, so that a check is one descent in a small tree.
 *	A write rewrites the message's entry within its group's record
 *	(tagrec_group.c).
 *
 *	The row writes of write.c (put_row_at, store_del_current: store_set,
 *	store_del, store_put_encoded and store_del_key, which replication
 *	and sync apply through), the inserts of apply.c and a list's drop
 *	(list.c) call the hooks below in the transaction that changes the
 *	table: there is no write to a _cookie or _mlog table that misses
 *	its record.  The first writing open of a format 4 store builds
 *	every record (tag_build); mq verify compares them with the tables
 *	(tagrec_verify.c).
 * DIAGNOSTICS
 *	STORE_CORRUPT for a record that does not decode; STORE_BADDATA
 *	when one message would have more than TAG_DONE_MAX list numbers
 *	done.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/tagrec_int.h"

#define MLOG_KEY_LEN	24	/* listno, msgnum, done */
#define MLOG_PREFIX	16	/* key bytes of (listno, msgnum) */

static const char *const cookie_suffix[TAG_KINDS] = { "_cookie",
						       "_digest_cookie" };
static const char *const mlog_suffix[TAG_KINDS] = { "_mlog", "_digest_mlog" };

const char *tag_suffix(int kind)
{
	return cookie_suffix[kind];
}

const char *tag_mlog_suffix(int kind)
{
	return mlog_suffix[kind];
}

/* tag_kind - the record kind of a list table, or -1; *mlog: a log table. */
static int tag_kind(const struct reg_table *tb, bool *mlog)
{
	if (tb->family != REG_LIST)
		return -1;
	for (int i = 0; i < TAG_KINDS; i++) {
		*mlog = strcmp(tb->name, mlog_suffix[i]) == 0;
		if (*mlog || strcmp(tb->name, cookie_suffix[i]) == 0)
			return i;
	}
	return -1;
}

bool tag_table(const struct reg_table *tb)
{
	bool mlog;

	return tag_kind(tb, &mlog) >= 0;
}

/* cookie_bytes - the bytes of cookie that follow flags; -1: bad flags. */
static int cookie_bytes(uint8_t flags)
{
	switch (flags) {
	case 0:
	case TAG_HAS_COOKIE:
		return 0;
	case TAG_HAS_COOKIE | TAG_COOKIE_20:
		return MLIST_COOKIE_LEN;
	case TAG_HAS_COOKIE | TAG_COOKIE_PACKED:
		return TAG_PACKED_LEN;
	}
	return -1;
}

bool tag_decode(const void *data, size_t len, struct tag_rec *r)
{
	const uint8_t *p = data;
	int n = len ? cookie_bytes(p[0]) : -1;
	size_t at = 1 + (size_t)n;

	if (n < 0 || len < at)
		return false;
	r->flags = p[0];
	memset(r->cookie, 0, sizeof(r->cookie));
	memcpy(r->cookie, p + 1, (size_t)n);
	if ((len - at) % 8 || (len - at) / 8 > TAG_DONE_MAX)
		return false;
	r->ndone = (len - at) / 8;
	memcpy(r->done, p + at, len - at);
	for (size_t i = 1; i < r->ndone; i++)
		if (memcmp(r->done[i - 1], r->done[i], 8) >= 0)
			return false;
	return r->flags || r->ndone;
}

/* tag_encode - r's data into out (TAG_DATA_MAX bytes); its length. */
static size_t tag_encode(const struct tag_rec *r, uint8_t *out)
{
	int n = cookie_bytes(r->flags);
	size_t at = 1;

	out[0] = r->flags;
	if (n > 0) {
		memcpy(out + at, r->cookie, (size_t)n);
		at += (size_t)n;
	}
	memcpy(out + at, r->done, r->ndone * 8);
	return at + r->ndone * 8;
}

/* stored_letter - letter i of a stored cookie, packed or not. */
static uint8_t stored_letter(const uint8_t *stored, bool packed, int i)
{
	return packed ? (uint8_t)('a' + ((stored[i / 2] >> (4 * (i % 2))) & 15))
		: stored[i];
}

/*
 * same_cookie - compare without leaking where they differ (only
 *	whether cookie is shorter, which a NUL ends).
 */
static bool same_cookie(const uint8_t *stored, bool packed,
			const char *cookie)
{
	unsigned char diff = 0;

	for (int i = 0; i < MLIST_COOKIE_LEN; i++) {
		if (cookie[i] == 0)
			return false;
		diff |= (unsigned char)(stored_letter(stored, packed, i) ^
					(uint8_t)cookie[i]);
	}
	return diff == 0 && cookie[MLIST_COOKIE_LEN] == 0;
}

/* pack - is the cookie v letters 'a'..'p'?  Then packed into out. */
static bool pack(const struct store_value *v, uint8_t out[TAG_PACKED_LEN])
{
	memset(out, 0, TAG_PACKED_LEN);
	for (int i = 0; i < MLIST_COOKIE_LEN; i++) {
		if (v->s[i] < 'a' || v->s[i] > 'p')
			return false;
		out[i / 2] |= (uint8_t)((v->s[i] - 'a') << (4 * (i % 2)));
	}
	return true;
}

bool tag_verdict(const MDB_val *d, int64_t listno, const char *cookie,
		 enum mlist_tag *result)
{
	const uint8_t *p = d ? d->mv_data : NULL;
	uint8_t lk[8];
	size_t at;

	int n;

	*result = MLIST_TAG_NOCOOKIE;
	if (!d)
		return true;
	if (d->mv_size < 1 || (n = cookie_bytes(p[0])) < 0)
		return false;
	at = 1 + (size_t)n;
	if (at > d->mv_size || (d->mv_size - at) % 8)
		return false;
	key_encode_int(listno, lk);
	for (size_t i = at; listno >= 0 && i < d->mv_size; i += 8)
		if (memcmp(p + i, lk, 8) == 0) {
			*result = MLIST_TAG_DONE;
			return true;
		}
	if (p[0] & TAG_HAS_COOKIE)
		*result = n && same_cookie(p + 1, p[0] & TAG_COOKIE_PACKED,
					   cookie)
			? MLIST_TAG_OK : MLIST_TAG_MISMATCH;
	return true;
}

/* open_kind - kind's two record databases (create: made). */
static enum store_rc open_kind(struct store_txn *t, int kind, bool create)
{
	char name[REG_NAME_MAX + 8];
	unsigned flags = 0;
	enum store_rc rc;

	snprintf(name, sizeof(name), DB_TAG_PREFIX "%s", cookie_suffix[kind]);
	if ((rc = store_dbi_flags(t, name, create, MDB_INTEGERKEY,
				  &t->st->tag[kind])))
		return rc;
	if (mdb_dbi_flags(t->txn, t->st->tag[kind], &flags) == 0 &&
	    !(flags & MDB_INTEGERKEY))
		return store_fail(t->st, STORE_CORRUPT, "%s: records of an "
				  "earlier layout (a development build)", name);
	snprintf(name, sizeof(name), DB_TAG_PREFIX "%s" TAG_WIDE_SUFFIX,
		 cookie_suffix[kind]);
	return store_dbi(t, name, create, &t->st->tag_wide[kind]);
}

enum store_rc tag_open(struct store_txn *t, bool create)
{
	enum store_rc rc = STORE_OK;

	for (int i = 0; i < TAG_KINDS && rc == STORE_OK; i++)
		rc = open_kind(t, i, create);
	return rc;
}

/* bad_record - STORE_CORRUPT naming the message whose record is bad. */
static enum store_rc bad_record(struct store_txn *t, int kind, int64_t msgnum)
{
	return store_fail(t->st, STORE_CORRUPT, DB_TAG_PREFIX "%s: the record "
			  "of message %" PRId64 " does not decode",
			  cookie_suffix[kind], msgnum);
}

/* locate - tag_locate in t's databases of kind. */
static void locate(struct store_txn *t, int kind, uint32_t id,
		   int64_t msgnum, struct tag_at *at)
{
	tag_locate(t->st->tag[kind], t->st->tag_wide[kind], id, msgnum, at);
}

/* group_get - the group record at at, checked whole; mv_size 0: none. */
static enum store_rc group_get(struct store_txn *t, const struct tag_at *at,
			       int kind, int64_t msgnum, MDB_val *g)
{
	MDB_val k = { at->keylen, (void *)at->key }, e;
	size_t pos = 0;
	int slot = -1;
	bool bad = false;
	int mrc = mdb_get(t->txn, at->dbi, &k, g);

	if (mrc == MDB_NOTFOUND) {
		g->mv_size = 0;
		return STORE_OK;
	}
	if (mrc)
		return store_mdb_rc(t->st, mrc, cookie_suffix[kind]);
	while (tag_next(g, &pos, &slot, &e, &bad))
		;
	return bad || g->mv_size == 0 ? bad_record(t, kind, msgnum) : STORE_OK;
}

/* rec_load - the entry of message msgnum of list id into r; none: empty. */
static enum store_rc rec_load(struct store_txn *t, int kind, uint32_t id,
			      int64_t msgnum, struct tag_rec *r)
{
	struct tag_at at;
	MDB_val g, e;
	enum store_rc rc;

	memset(r, 0, sizeof(*r));
	locate(t, kind, id, msgnum, &at);
	if ((rc = group_get(t, &at, kind, msgnum, &g)) || g.mv_size == 0)
		return rc;
	if (!tag_entry(&g, at.slot, &e))
		return bad_record(t, kind, msgnum);
	if (e.mv_size && !tag_decode(e.mv_data, e.mv_size, r))
		return bad_record(t, kind, msgnum);
	return STORE_OK;
}

/* rec_save - r as the entry of message msgnum; an empty one goes. */
static enum store_rc rec_save(struct store_txn *t, int kind, uint32_t id,
			      int64_t msgnum, const struct tag_rec *r)
{
	uint8_t entry[TAG_DATA_MAX], *out;
	size_t len = r->flags || r->ndone ? tag_encode(r, entry) : 0;
	struct tag_at at;
	MDB_val k, g;
	enum store_rc rc;
	int mrc;

	locate(t, kind, id, msgnum, &at);
	if ((rc = group_get(t, &at, kind, msgnum, &g)))
		return rc;
	if (!(out = malloc(g.mv_size + TAG_ENTRY_HEAD + TAG_DATA_MAX)))
		return store_fail(t->st, STORE_INTERNAL, "out of memory");
	k = (MDB_val){ at.keylen, at.key };
	g.mv_size = tag_splice(g.mv_size ? &g : NULL, at.slot, entry, len,
			       out);
	g.mv_data = out;
	mrc = g.mv_size ? mdb_put(t->txn, at.dbi, &k, &g, 0)
		: mdb_del(t->txn, at.dbi, &k, NULL);
	free(out);
	if (mrc == MDB_NOTFOUND && g.mv_size == 0)
		mrc = 0;
	return mrc ? store_mdb_rc(t->st, mrc, cookie_suffix[kind]) : STORE_OK;
}

/* done_find - where listno (encoded) is or would go in r->done. */
static size_t done_find(const struct tag_rec *r, const uint8_t *listno,
			bool *found)
{
	size_t i = 0;
	int c = 1;

	while (i < r->ndone && (c = memcmp(r->done[i], listno, 8)) < 0)
		i++;
	*found = i < r->ndone && c == 0;
	return i;
}

/* done_add - listno into r->done; false when it is full. */
static bool done_add(struct tag_rec *r, const uint8_t *listno)
{
	bool found;
	size_t i = done_find(r, listno, &found);

	if (found)
		return true;
	if (r->ndone == TAG_DONE_MAX)
		return false;
	memmove(r->done[i + 1], r->done[i], (r->ndone - i) * 8);
	memcpy(r->done[i], listno, 8);
	r->ndone++;
	return true;
}

static void done_remove(struct tag_rec *r, const uint8_t *listno)
{
	bool found;
	size_t i = done_find(r, listno, &found);

	if (!found)
		return;
	memmove(r->done[i], r->done[i + 1], (r->ndone - i - 1) * 8);
	r->ndone--;
}

void tag_set_cookie(struct tag_rec *r, const struct store_value *v)
{
	r->flags = TAG_HAS_COOKIE;
	memset(r->cookie, 0, sizeof(r->cookie));
	if (v->kind != SV_TEXT || v->len != MLIST_COOKIE_LEN)
		return;
	r->flags |= pack(v, r->cookie) ? TAG_COOKIE_PACKED : TAG_COOKIE_20;
	if (r->flags & TAG_COOKIE_20)
		memcpy(r->cookie, v->s, MLIST_COOKIE_LEN);
}

/* cookie_put - the cookie row of message key (8 bytes) is row. */
static enum store_rc cookie_put(struct store_txn *t, uint32_t id, int kind,
				const uint8_t *key,
				const struct store_row *row)
{
	int64_t msgnum = key_decode_int(key);
	struct tag_rec r;
	enum store_rc rc = rec_load(t, kind, id, msgnum, &r);

	if (rc)
		return rc;
	tag_set_cookie(&r, &row->col[REG_COOKIE_COOKIE]);
	return rec_save(t, kind, id, msgnum, &r);
}

/* mlog_put - log entry key (listno, msgnum, done) of name is written. */
static enum store_rc mlog_put(struct store_txn *t, const char *name,
			      uint32_t id, int kind, const uint8_t *key)
{
	int64_t msgnum = key_decode_int(key + 8);
	struct tag_rec r;
	enum store_rc rc;

	if (key_decode_int(key + 16) <= 0)
		return STORE_OK;
	if ((rc = rec_load(t, kind, id, msgnum, &r)))
		return rc;
	if (!done_add(&r, key))
		return store_fail(t->st, STORE_BADDATA, "%s: message %" PRId64
				  " is done for more than %d list numbers",
				  name, msgnum, TAG_DONE_MAX);
	return rec_save(t, kind, id, msgnum, &r);
}

enum store_rc tag_on_put(struct store_txn *t, const struct reg_table *tb,
			 const char *name, const struct tdb *db,
			 const uint8_t *key, size_t keylen,
			 const struct store_row *row)
{
	bool mlog;
	int kind = tag_kind(tb, &mlog);
	uint32_t id = tag_list_id(db->pfx);

	if (kind < 0)
		return STORE_OK;
	if (keylen != (mlog ? MLOG_KEY_LEN : 8))
		return store_fail(t->st, STORE_CORRUPT, "%s: a key of %zu "
				  "bytes", name, keylen);
	return mlog ? mlog_put(t, name, id, kind, key)
		: cookie_put(t, id, kind, key, row);
}

/* other_done - has (listno, msgnum) a done > 0 entry besides key? */
static enum store_rc other_done(struct store_txn *t, const char *name,
				const struct tdb *db, const uint8_t *key,
				bool *other)
{
	uint8_t from[MLOG_KEY_LEN];
	MDB_val k = { sizeof(from), from }, d;
	struct tcur c;
	int mrc;

	memcpy(from, key, MLOG_PREFIX);
	key_encode_int(1, from + MLOG_PREFIX);
	*other = false;
	if ((mrc = tcur_open(t->txn, db, &c)))
		return store_mdb_rc(t->st, mrc, name);
	for (mrc = tcur_get(&c, &k, &d, MDB_SET_RANGE);
	     mrc == 0 && !*other && k.mv_size == MLOG_KEY_LEN &&
	     memcmp(k.mv_data, key, MLOG_PREFIX) == 0;
	     mrc = tcur_get(&c, &k, &d, MDB_NEXT))
		*other = memcmp(k.mv_data, key, MLOG_KEY_LEN) != 0;
	tcur_close(&c);
	return mrc && mrc != MDB_NOTFOUND ? store_mdb_rc(t->st, mrc, name)
		: STORE_OK;
}

enum store_rc tag_on_del(struct store_txn *t, const struct reg_table *tb,
			 const char *name, const struct tdb *db,
			 const MDB_val *k)
{
	const uint8_t *key = k->mv_data;
	bool mlog, other = false;
	int kind = tag_kind(tb, &mlog);
	uint32_t id = tag_list_id(db->pfx);
	int64_t msgnum;
	struct tag_rec r;
	enum store_rc rc;

	if (kind < 0)
		return STORE_OK;
	if (k->mv_size != (mlog ? MLOG_KEY_LEN : 8))
		return store_fail(t->st, STORE_CORRUPT, "%s: a key of %zu "
				  "bytes", name, k->mv_size);
	msgnum = key_decode_int(mlog ? key + 8 : key);
	if (mlog && key_decode_int(key + 16) <= 0)
		return STORE_OK;
	if (mlog && ((rc = other_done(t, name, db, key, &other)) || other))
		return rc;
	if ((rc = rec_load(t, kind, id, msgnum, &r)))
		return rc;
	if (mlog)
		done_remove(&r, key);
	else
		r.flags = 0;
	return rec_save(t, kind, id, msgnum, &r);
}

/* clear_near - list id's records under integer keys. */
static int clear_near(struct store_txn *t, MDB_dbi dbi, uint32_t id)
{
	uint64_t from = (uint64_t)id << 32, v;
	MDB_val k = { sizeof(from), &from }, d;
	MDB_cursor *c;
	int mrc = mdb_cursor_open(t->txn, dbi, &c);

	if (mrc)
		return mrc;
	/* Sought again after each delete: a cursor's place after one
	 * is LMDB's least certain corner. */
	while ((mrc = mdb_cursor_get(c, &k, &d, MDB_SET_RANGE)) == 0) {
		memcpy(&v, k.mv_data, sizeof(v));
		if (v >> 32 != id || (mrc = mdb_cursor_del(c, 0)))
			break;
		k = (MDB_val){ sizeof(from), &from };
	}
	mdb_cursor_close(c);
	return mrc == MDB_NOTFOUND ? 0 : mrc;
}

enum store_rc tag_clear(struct store_txn *t, uint32_t id)
{
	struct tdb rdb = { .pfxlen = LIST_ID_LEN };
	int mrc = 0;

	tdb_list_id(rdb.pfx, id);
	for (int i = 0; i < TAG_KINDS && mrc == 0; i++) {
		rdb.dbi = t->st->tag_wide[i];
		if ((mrc = clear_near(t, t->st->tag[i], id)) == 0)
			mrc = tdb_clear(t->txn, &rdb);
	}
	return mrc ? store_mdb_rc(t->st, mrc, DB_TAG_PREFIX) : STORE_OK;
}

/* Building every list's records, in the upgrade from format 4. */
struct build {
	struct store_txn *t;
	enum store_rc rc;
};

/* build_table - a record for every row of table suffix of list root. */
static enum store_rc build_table(struct store_txn *t, const char *root,
				 uint32_t id, const char *suffix)
{
	char name[REG_NAME_MAX + 16];
	uint8_t key[STORE_KEY_MAX];
	const struct reg_table *tb = NULL;
	struct store_row row;
	struct tdb db;
	struct tcur c;
	MDB_val k, d;
	enum store_rc rc = STORE_OK;
	int mrc;

	for (int i = 0; reg_list[i] && !tb; i++)
		if (strcmp(reg_list[i]->name, suffix) == 0)
			tb = reg_list[i];
	if (!tb)
		return store_fail(t->st, STORE_INTERNAL, "no table %s", suffix);
	snprintf(name, sizeof(name), "%s%s", root, suffix);
	list_tdb(t->st, tb, id, &db);
	if ((mrc = tcur_open(t->txn, &db, &c)))
		return store_mdb_rc(t->st, mrc, name);
	for (mrc = tcur_get(&c, &k, &d, MDB_FIRST); mrc == 0 && rc == STORE_OK;
	     mrc = tcur_get(&c, &k, &d, MDB_NEXT)) {
		if (k.mv_size > sizeof(key) ||
		    !row_decode(tb, d.mv_data, d.mv_size, &row)) {
			rc = table_corrupt_row(t->st, name);
			break;
		}
		memcpy(key, k.mv_data, k.mv_size);	/* a put may move it */
		rc = tag_on_put(t, tb, name, &db, key, k.mv_size, &row);
	}
	tcur_close(&c);
	if (rc == STORE_OK && mrc && mrc != MDB_NOTFOUND)
		rc = store_mdb_rc(t->st, mrc, name);
	return rc;
}

static int build_list(const char *root, void *arg)
{
	struct build *b = arg;
	uint32_t id;

	b->rc = list_id(b->t, root, &id);
	for (int i = 0; i < TAG_KINDS && b->rc == STORE_OK; i++)
		if ((b->rc = build_table(b->t, root, id, cookie_suffix[i])) ==
		    STORE_OK)
			b->rc = build_table(b->t, root, id, mlog_suffix[i]);
	return b->rc != STORE_OK;
}

enum store_rc tag_build(struct store_txn *t)
{
	struct build b = { t, STORE_OK };
	enum store_rc rc = store_list_each(t, build_list, &b);

	return rc ? rc : b.rc;
}
