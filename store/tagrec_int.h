/*
 * NAME
 *	tagrec_int.h - a message's tag record, store-private
 * DESCRIPTION
 *	A sublist's check of a message (checktag.c) reads one record: the
 *	message's cookie and the list numbers whose log says done, kept
 *	in the database "k:" + cookie table suffix ("k:_cookie",
 *	"k:_digest_cookie") under the list's id and the message number
 *	(8-byte order-preserving integer).  Every write to a _cookie or
 *	_mlog table keeps it in the same transaction (tagrec.c), from the
 *	row put and delete path that every writer goes through.
 *
 *	The data: one flags byte (TAG_HAS_COOKIE: the message has a
 *	cookie row; TAG_COOKIE_PACKED: its cookie is MLIST_COOKIE_LEN
 *	letters 'a'..'p', as cookie() makes them, which follow as 4 bits
 *	each, the first letter in the low bits; TAG_COOKIE_20: it is some
 *	other MLIST_COOKIE_LEN bytes, which follow as they are; neither:
 *	it has another length and matches no cookie), then the list
 *	numbers with an entry done > 0, each 8 bytes order-preserving,
 *	ascending.  A record with neither cookie nor list number is
 *	deleted.  Packing keeps a record at 11 bytes (19 with one list
 *	number done): the smaller the tree, the fewer cache misses a
 *	check takes.
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

/* A record, decoded. */
struct tag_rec {
	uint8_t flags;
	uint8_t cookie[MLIST_COOKIE_LEN];	/* as stored: packed or not */
	size_t ndone;
	uint8_t done[TAG_DONE_MAX][8];	/* encoded list numbers, ascending */
};

/* tag_set_cookie - r's cookie part for the cookie column v. */
void tag_set_cookie(struct tag_rec *r, const struct store_value *v);

/* tag_suffix - the cookie table suffix of kind: "_cookie", ... */
const char *tag_suffix(int kind);
/* tag_mlog_suffix - the log table suffix of kind: "_mlog", ... */
const char *tag_mlog_suffix(int kind);

/* tag_decode - a record's data; false when it is malformed. */
bool tag_decode(const void *data, size_t len, struct tag_rec *r);

/*
 * tag_verdict - the check of seed 5.8 on a record's data (NULL: no
 *	record): listno (>= 0) done, else the cookie compared.  false
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
