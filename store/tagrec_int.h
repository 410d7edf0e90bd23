/*
 * NAME
 *	tagrec_int.h - a message's tag record, store-private
 * DESCRIPTION
 *	A sublist's check of a message (checktag.c) reads one record: the
 *	message's cookie and the list numbers whose log says done.  Every
 *	write to a _cookie or _mlog table keeps it in the same transaction
 *	(tagrec.c), from the row put and delete path that every writer
 *	goes through.
 *
 *	Records are grouped: one database record holds the entries of
 *	TAG_GROUP consecutive messages of a list (msgnum / TAG_GROUP), so
 *	that the tree has TAG_GROUP times fewer keys, shallower and
 *	hotter.  For message numbers 0 <= msgnum < TAG_NEAR_LIMIT (all of
 *	them in practice) the key is one native 64-bit integer, the list
 *	id in the high half and the group in the low one, in "k:" +
 *	cookie table suffix ("k:_cookie", "k:_digest_cookie"), made with
 *	MDB_INTEGERKEY: LMDB compares such keys as integers, not with
 *	memcmp.  Other message numbers go to the same name + "+", under
 *	the list id (4 bytes) and the group (8-byte order-preserving
 *	integer, msgnum >> TAG_GROUP_BITS).
 *
 *	A group record is its entries by ascending slot (msgnum %
 *	TAG_GROUP), each the slot byte, the entry's length (2 bytes, low
 *	first) and the entry.  An entry: one flags byte (TAG_HAS_COOKIE:
 *	the message has a cookie row; TAG_COOKIE_PACKED: its cookie is
 *	MLIST_COOKIE_LEN letters 'a'..'p', as cookie() makes them, which
 *	follow as 4 bits each, the first letter in the low bits;
 *	TAG_COOKIE_20: it is some other MLIST_COOKIE_LEN bytes, which
 *	follow as they are; neither: it has another length and matches no
 *	cookie), then the list numbers with an entry done > 0, each 8
 *	bytes order-preserving, ascending.  An entry with neither cookie
 *	nor list number is left out, a group without entries deleted.
 *	Packing keeps an entry at 11 bytes (19 with one list number done).
 */
#ifndef MQ_STORE_TAGREC_INT_H
#define MQ_STORE_TAGREC_INT_H

#include "store/internal.h"
#include "store/mlist.h"

#define DB_TAG_PREFIX	"k:"	/* + cookie table suffix: tag records */
#define TAG_KINDS	2	/* the list's own messages, its digests */
#define TAG_DONE_MAX	1024	/* list numbers done for one message */
#define TAG_HAS_COOKIE	0x01
#define TAG_COOKIE_20	0x02
#define TAG_COOKIE_PACKED 0x04
#define TAG_PACKED_LEN	(MLIST_COOKIE_LEN / 2)
#define TAG_DATA_MAX	(1 + MLIST_COOKIE_LEN + 8 * TAG_DONE_MAX)
#define TAG_GROUP_BITS	4
#define TAG_GROUP	(1 << TAG_GROUP_BITS)	/* messages a record */
#define TAG_NEAR_LIMIT	((int64_t)1 << (32 + TAG_GROUP_BITS))
#define TAG_WIDE_SUFFIX	"+"	/* the database of other message numbers */
#define TAG_ENTRY_HEAD	3	/* slot, length low, length high */

/* A record, decoded. */
struct tag_rec {
	uint8_t flags;
	uint8_t cookie[MLIST_COOKIE_LEN];	/* as stored: packed or not */
	size_t ndone;
	uint8_t done[TAG_DONE_MAX][8];	/* encoded list numbers, ascending */
};

/* Where the record of a message's group is. */
struct tag_at {
	MDB_dbi dbi;
	uint8_t key[LIST_ID_LEN + 8];	/* a native integer, or id + group */
	size_t keylen;
	int slot;			/* the message's place in the group */
};

/*
 * tag_locate - where the record of (list id, msgnum) is, given a kind's
 *	databases: near (integer keys) and wide (the other messages).
 */
void tag_locate(MDB_dbi near, MDB_dbi wide, uint32_t id, int64_t msgnum,
		struct tag_at *at);
/* tag_list_id - the list id of a 4-byte list prefix. */
uint32_t tag_list_id(const uint8_t *pfx);
/*
 * tag_entry - the entry of slot in the group record g: *e its data
 *	(mv_size 0: none).  Scans no further than the slot; false when
 *	the part scanned is malformed.
 */
bool tag_entry(const MDB_val *g, int slot, MDB_val *e);
/*
 * tag_next - the entry after *at (0 to start) of group g: its slot
 *	and data; false at the end.  *bad when g is malformed there
 *	(slots not ascending, an empty entry, a length past the end).
 */
bool tag_next(const MDB_val *g, size_t *at, int *slot, MDB_val *e,
	      bool *bad);
/*
 * tag_splice - g (NULL: none) with slot's entry replaced by e (len 0:
 *	removed), into out (g's size + TAG_ENTRY_HEAD + TAG_DATA_MAX
 *	bytes); its length.  g must be well formed.
 */
size_t tag_splice(const MDB_val *g, int slot, const uint8_t *e, size_t len,
		  uint8_t *out);

/* tag_set_cookie - r's cookie part for the cookie column v. */
void tag_set_cookie(struct tag_rec *r, const struct store_value *v);

/* tag_suffix - the cookie table suffix of kind: "_cookie", ... */
const char *tag_suffix(int kind);
/* tag_mlog_suffix - the log table suffix of kind: "_mlog", ... */
const char *tag_mlog_suffix(int kind);

/* tag_decode - an entry's data; false when it is malformed. */
bool tag_decode(const void *data, size_t len, struct tag_rec *r);

/*
 * tag_verdict - the check of seed 5.8 on an entry's data (NULL: no
 *	entry): listno (>= 0) done, else the cookie compared.  false
 *	when the data is malformed.
 */
bool tag_verdict(const MDB_val *d, int64_t listno, const char *cookie,
		 enum mlist_tag *result);

/* tag_open - the record databases' handles (create: made). */
enum store_rc tag_open(struct store_txn *t, bool create);

/*
 * tag_on_put - row is about to be put under key in db (table tb, named
 *	name): keep the message's record.  Any table: only _cookie and
 *	_mlog tables have records.
 */
enum store_rc tag_on_put(struct store_txn *t, const struct reg_table *tb,
			 const char *name, const struct tdb *db,
			 const uint8_t *key, size_t keylen,
			 const struct store_row *row);
/* tag_table - is tb a table whose rows have tag records? */
bool tag_table(const struct reg_table *tb);
/* tag_on_del - the row under k of db (table tb) is about to be deleted. */
enum store_rc tag_on_del(struct store_txn *t, const struct reg_table *tb,
			 const char *name, const struct tdb *db,
			 const MDB_val *k);
/* tag_clear - list id's records (a drop). */
enum store_rc tag_clear(struct store_txn *t, uint32_t id);
/* tag_build - every list's records from its tables (format 4 to 5). */
enum store_rc tag_build(struct store_txn *t);

/*
 * tag_verify - records and tables agree, in a raw read transaction
 *	(mq verify); false with the list and message in err.
 */
bool tag_verify(MDB_txn *txn, char *err, size_t errlen);

#endif
