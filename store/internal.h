/*
 * NAME
 *	internal.h - what the files of store/ share, and nobody else sees
 * DESCRIPTION
 *	The store struct, transactions, the row and key encodings and the
 *	change log.  Only the files of store/ include this header.
 */
#ifndef MQ_STORE_INTERNAL_H
#define MQ_STORE_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <lmdb.h>

#include "store/store.h"

/*
 * Databases at most: a format 2 store (read to upgrade it) had 21 per
 * list; format 3 has 3 own, 17 MailerQ, 21 list table kinds and 5
 * indexes, whatever the number of lists (format 5: and 2 of tag records).
 */
#define STORE_MAX_DBS	8192
#define STORE_KEY_MAX	511	/* LMDB's default maximum key size */
#define STORE_ERR_MAX	512
#define STORE_IDLE_READERS 16	/* reset read transactions kept for reuse */

/*
 * The format this mq reads and writes (meta "format"): 3: lists share
 * databases; 4: list addresses keep their case (layout.c); 5: a tag
 * record per message (tagrec.c).  Formats 1 (no index by hash) to 4
 * are upgraded when opened to write.
 */
#define STORE_FORMAT	5u

/* Names of the store's own databases; tables are "t:" + table name. */
#define DB_META		"meta"
#define DB_CHANGES	"changes"
#define DB_LISTS	"lists"
#define DB_TABLE_PREFIX	"t:"
#define DB_INDEX_PREFIX	"x:"	/* format 2: + address table: its index */
#define DB_LIST_PREFIX	"l:"	/* + list table suffix: every list's rows */
#define DB_LIST_INDEX	"y:"	/* + address table suffix: their indexes */
#define LIST_KINDS	24	/* list table kinds at most (reg_list) */

/*
 * A table's rows within a database (tdb.c): a MailerQ table's database
 * with no prefix, or a list table kind's shared one with the list id.
 */
#define LIST_ID_LEN	4
#define META_LIST_ID	"list-id"	/* meta: the highest list id given */
/* A lists record: the format byte, (format 3) the id, then the key. */
#define LIST_RECORD_KEY	0x01	/* formats 1, 2; a create's change record */
#define LIST_RECORD_ID	0x02	/* format 3 */
#define TDB_KEY_BUF	(STORE_KEY_MAX + 1)
struct tdb {
	MDB_dbi dbi;
	uint8_t pfx[LIST_ID_LEN];
	uint8_t pfxlen;
};
struct tcur {
	MDB_cursor *c;
	struct tdb db;
	uint8_t kbuf[TDB_KEY_BUF];
};
void tdb_list_id(uint8_t out[LIST_ID_LEN], uint32_t id);
int tdb_get(MDB_txn *txn, const struct tdb *db, const MDB_val *k, MDB_val *d);
int tdb_put(MDB_txn *txn, const struct tdb *db, const MDB_val *k, MDB_val *d,
	    unsigned flags);
int tdb_del(MDB_txn *txn, const struct tdb *db, const MDB_val *k);
int tdb_count(MDB_txn *txn, const struct tdb *db, uint64_t *n);
/* tdb_clear - delete every row of the table (a list's: its key range). */
int tdb_clear(MDB_txn *txn, const struct tdb *db);
int tcur_open(MDB_txn *txn, const struct tdb *db, struct tcur *c);
int tcur_get(struct tcur *c, MDB_val *k, MDB_val *d, MDB_cursor_op op);
int tcur_put(struct tcur *c, const MDB_val *k, MDB_val *d, unsigned flags);
void tcur_close(struct tcur *c);

/* Change record operations. */
/*
 * The change log keeps the newest changes-keep records.  A write
 * transaction with more changes than that could never be replayed from
 * the log (pruning would cut its first records off), so it leaves the
 * log holding one record, CHANGE_OVERFLOW (no name, no key, under
 * (sequence, 0)), telling a reader to start again from a snapshot; its
 * other records are not written at all.
 */
enum change_op {
	CHANGE_PUT = STORE_CHANGE_PUT, CHANGE_DEL = STORE_CHANGE_DEL,
	CHANGE_LIST_CREATE = STORE_CHANGE_LIST_CREATE,
	CHANGE_LIST_DROP = STORE_CHANGE_LIST_DROP,
	CHANGE_OVERFLOW = STORE_CHANGE_OVERFLOW,
};

/* A database handle known to this process, by name. */
struct dbi_entry {
	char name[REG_NAME_MAX + 8];
	MDB_dbi dbi;
	bool pending;		/* opened in the running write txn */
};

struct store {
	MDB_env *env;
	char path[4096];
	unsigned flags;
	struct store_options opt;
	bool needs_upgrade;	/* read-only open of an older format */
	MDB_dbi meta, changes, lists;
	MDB_dbi mailerq[REG_MAILERQ_MAX];	/* by reg_mailerq index */
	MDB_dbi list_t[LIST_KINDS];	/* by reg_list index: "l:" + suffix */
	MDB_dbi list_x[LIST_KINDS];	/* address tables: "y:" + suffix */
	MDB_dbi tag[2];		/* tag records: "k:" + cookie suffix */
	MDB_dbi tag_wide[2];	/* the same for other message numbers: + "+" */
	pthread_mutex_t dbi_lock;	/* the dbi cache and mdb_dbi_open */
	struct dbi_entry *dbis;
	int ndbis, capdbis;
	pthread_mutex_t idle_lock;	/* idle */
	struct store_txn *idle[STORE_IDLE_READERS];
	int nidle;
	pthread_mutex_t lookups_lock;	/* lookups (lookup_cache.c) */
	struct lookup_set *lookups;	/* the newest shared set, or NULL */
	bool lookups_background;	/* readers never build (lookup.h) */
	pthread_mutex_t lookups_build_lock;	/* one store_lookups_refresh */
	struct lookup_builder *lookup_builder;	/* lookup_builder.c */
	pthread_mutex_t health_lock;	/* health */
	struct store_health health;
	atomic_bool damaged;	/* health.damaged, read without the lock */
	pthread_mutex_t wait_lock;	/* waiting and its lock (wait.c) */
	int waiting;		/* threads in a write begin, maybe blocked */
	unsigned long pauses;	/* made for waiters (apply.c), tests read it */
	char warning[4352];	/* store_open_warning: the path and more */
};

/*
 * store_wait_begin, store_wait_end - around a write begin, which may
 *	block on the write lock: while any thread of the process is in
 *	one, other processes see it waiting (wait.c).
 * store_writer_waits - does a writer of this process or another wait
 *	for the write lock?  A system call, and false may be stale the
 *	moment it is answered: a writer that comes later waits one
 *	transaction more.
 */
void store_wait_begin(struct store *st);
void store_wait_end(struct store *st);
bool store_writer_waits(struct store *st);

struct store_txn {
	struct store *st;
	MDB_txn *txn;
	bool write;
	bool opened_dbi;	/* a database handle was opened in it */
	uint64_t seq;		/* write: the sequence being written */
	uint32_t nchanges;	/* write: change records appended */
	bool mailerq_changed;	/* write: a MailerQ table changed (lookup.h) */
	uint32_t mailerq_tables; /* write: which (bits by reg_mailerq index) */
	uint8_t *scratch;	/* write: a row being encoded */
	size_t scratchcap;
	/*
	 * write: the change log's cursor, opened by the first record and
	 * closed by LMDB with the transaction.  Each record is appended
	 * through it, in the page of the one before: mdb_put's own cursor
	 * would descend from the root for every record.
	 */
	MDB_cursor *log;
};

/*
 * change_decode - a change log record (key k, data d) into *c; false
 *	when it is malformed (changes.c).
 */
bool change_decode(const MDB_val *k, const MDB_val *d, struct store_change *c);

/* store.c, txn.c */
enum store_rc store_fail(struct store *st, enum store_rc rc,
			 const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
enum store_rc store_mdb_rc(struct store *st, int rc, const char *what);
enum store_rc store_dbi(struct store_txn *txn, const char *dbname, bool create,
			MDB_dbi *out);
/* store_dbi_flags - store_dbi, made with flags (MDB_INTEGERKEY, ...). */
enum store_rc store_dbi_flags(struct store_txn *txn, const char *dbname,
			      bool create, unsigned flags, MDB_dbi *out);
void store_dbi_forget_pending(struct store *st, bool keep);
enum store_rc store_txn_begin(struct store *st, bool write,
			      struct store_txn *t);
int store_meta_put_u64(struct store_txn *txn, const char *name, uint64_t v);
int store_meta_get_u64(struct store_txn *txn, const char *name, uint64_t *v);
/*
 * store_errbuf - this thread's error text (STORE_ERR_MAX bytes): what
 *	store_fail writes and store_errmsg returns.  Per thread, so that
 *	threads sharing a store (mq serve's workers) never read each
 *	other's messages.
 */
char *store_errbuf(void);

/*
 * How store_write_mode numbers and commits a transaction: WRITE_NEXT
 *	as store_write (the next sequence, nothing changed: no commit);
 *	WRITE_AT under the given sequence, committed even when it changed
 *	nothing, and skipped when the store stands at or past it (a
 *	replica applying its primary's transaction); WRITE_RAW with no
 *	sequence, no change records and no pruning: the body keeps meta
 *	itself (a snapshot installed, an epoch started).
 */
enum write_mode { WRITE_NEXT, WRITE_AT, WRITE_RAW };
enum store_rc store_write_mode(struct store *st, enum write_mode mode,
			       uint64_t at, store_write_fn fn, void *arg,
			       uint64_t *seq_out);

enum store_rc store_change(struct store_txn *txn, enum change_op op,
			   const char *table, const void *key, size_t keylen,
			   const void *row, size_t rowlen);
/*
 * A table's name as its change records need it, resolved once for many
 *	records: its length and its MailerQ index (-1: none), which
 *	store_change() would find again for each (a load of a million
 *	rows spent 5% of its samples in the registry's strcmp walk).
 */
struct change_table {
	const char *name;
	size_t namelen;
	int mailerq;
};
void	change_table_of(const char *table, struct change_table *ct);
/* store_change_to - store_change() into a table change_table_of() gave */
enum store_rc store_change_to(struct store_txn *txn, enum change_op op,
			      const struct change_table *ct, const void *key,
			      size_t keylen, const void *row, size_t rowlen);
/*
 * store_change_expect - the caller is about to record n more changes.
 *	When they would take the transaction past changes-keep, the log
 *	overflows now and *log is set false: the caller may then skip its
 *	store_change() calls (each would only be counted).  *log true:
 *	write them.
 */
enum store_rc store_change_expect(struct store_txn *t, uint64_t n, bool *log);
enum store_rc store_next_id(struct store_txn *txn, const char *table,
			    const struct tdb *db, int64_t at_least,
			    int64_t *out);

/* space.c */
/*
 * store_nospace - a write failed with errno rc (ENOSPC, EIO, EFBIG):
 *	when the store's file system is full (LMDB reports a short write
 *	as EIO) or the file reached RLIMIT_FSIZE, fail with STORE_NOSPACE
 *	naming the file and the room left, and return true.
 */
bool store_nospace(struct store *st, int rc);
/*
 * store_map_full - MDB_MAP_FULL: STORE_FULL, with the store-max-size
 *	message once the map cannot grow (txn.c).
 */
enum store_rc store_map_full(struct store *st, const char *what);
/* store_write_outcome - note a write's result for store_health; rc. */
enum store_rc store_write_outcome(struct store *st, enum store_rc rc);

/* damage.c */
/* store_damaged - mark st damaged for why; STORE_DAMAGED with the text. */
enum store_rc store_damaged(struct store *st, const char *why);
/* store_on_assert - LMDB's assertion callback: a fault like a signal. */
void store_on_assert(MDB_env *env, const char *msg);
/* read transactions this thread holds: a guard jumps only inside one */
extern __thread int store_reading;

/* Meta key: the sequence that last changed a MailerQ table. */
#define META_MAILERQ_SEQ "mailerq-seq"
/* meta_table_seq_key - "mailerq-seq:TABLE", the last sequence that
 *	changed MailerQ table index i (txn.c). */
void meta_table_seq_key(int i, char *buf, size_t size);

/* write.c */
void store_txn_free_scratch(struct store_txn *txn);
/*
 * store_put_encoded - put an encoded row (as a change record holds it)
 *	under key: indexes and the change log as any put.
 */
enum store_rc store_put_encoded(struct store_txn *t, const char *name,
				const uint8_t *key, size_t keylen,
				const uint8_t *row, size_t rowlen);
/* store_del_key - delete the row under key, if any: as any delete. */
enum store_rc store_del_key(struct store_txn *t, const char *name,
			    const uint8_t *key, size_t keylen);
/*
 * address_row_valid - a row of a list's address table (T, T_digest,
 *	T_allow, T_deny, T_mod) keeps the invariants ezmlm's readers rely
 *	on: a hash in 0..SUB_HASH_LIMIT (an int, as ezmlm-idx's SQL has
 *	it) and an address without control bytes (a newline would print
 *	as two recipients).  why gets the reason, without the table.
 *	Checked by every write (row_check) and by mq verify.
 */
bool address_row_valid(const struct store_row *row, char *why, size_t len);

/* row_check - every column of row fits tb, NOT NULL columns have a value. */
enum store_rc row_check(struct store *st, const char *name,
			const struct reg_table *tb,
			const struct store_row *row);
/* store_del_current - delete the row of table tb under the cursor. */
enum store_rc store_del_current(struct store_txn *t,
				const struct reg_table *tb, const char *name,
				struct tcur *c, const MDB_val *k);
/*
 * A database's greatest key, for a load in key order: a key after it is
 *	put with MDB_APPEND, which fills pages and skips the descent.
 */
struct key_tail {
	uint8_t key[STORE_KEY_MAX + 1];
	size_t len;
	bool empty;
	MDB_cursor *c;		/* key_tail_keep's: appends go through it */
	bool moved;		/* a put not through c: find the last again */
};
enum store_rc key_tail_load(struct store_txn *t, const struct tdb *db,
			    const char *name, struct key_tail *tail);
/*
 * key_tail_keep - after key_tail_load, keep a cursor at the database's
 *	end for tail_put's appends: each then skips LMDB's descent from
 *	the root (a bulk load spent a tenth of its time there).  Only
 *	while tail_put is the database's one writer; key_tail_drop
 *	closes it.  (tdb.c)
 */
int key_tail_keep(struct store_txn *t, const struct tdb *db,
		  struct key_tail *tail);
void key_tail_drop(struct key_tail *tail);
/*
 * tail_put - tdb_put of k, d: with MDB_APPEND when k (with db's prefix)
 *	sorts after the tail (which then moves to it), else with flags
 *	(through the kept cursor if any: LMDB looks in its page before
 *	descending from the root).  LMDB's code.  (tdb.c)
 */
int tail_put(struct store_txn *t, const struct tdb *db, struct key_tail *tail,
	     const MDB_val *k, MDB_val *d, unsigned flags);
/*
 * tdb_first_with - the first row of db at or after from whose key starts
 *	with from's first plen bytes (k, d as tdb_get gives them),
 *	MDB_NOTFOUND if none; with a tail, a from that sorts after it is
 *	answered without a search.  (tdb.c)
 */
int tdb_first_with(MDB_txn *txn, const struct tdb *db,
		   const struct key_tail *tail, const MDB_val *from,
		   size_t plen, MDB_val *k, MDB_val *d);

/* addr_index.c: the address tables' index by hash (see there). */
#define IDX_OTHER	255	/* the bucket of hashes outside 0..254 */
/* idx_bucket - an index entry's first key byte: the hash, or IDX_OTHER. */
uint8_t idx_bucket(int64_t hash);
/* idx_add - index a row (key: its table key); tail NULL: no appending. */
enum store_rc idx_add(struct store_txn *t, const struct tdb *x,
		      const char *table, struct key_tail *tail, int64_t hash,
		      const uint8_t *key, size_t keylen, const char *addr,
		      size_t addrlen);
enum store_rc idx_remove(struct store_txn *t, const struct tdb *x,
			 const char *table, int64_t hash, const uint8_t *key,
			 size_t keylen);
/* idx_on_put - row is about to be put under key: re-index (tb any table). */
enum store_rc idx_on_put(struct store_txn *t, const struct reg_table *tb,
			 const char *name, const struct tdb *db,
			 const uint8_t *key, size_t keylen,
			 const struct store_row *row);
/* idx_on_del - the row (k, d) of db is about to be deleted: unindex it. */
enum store_rc idx_on_del(struct store_txn *t, const struct reg_table *tb,
			 const char *name, const struct tdb *db,
			 const MDB_val *k, const MDB_val *d);
/* idx_build - index every row of address table name (an old format). */
enum store_rc idx_build(struct store_txn *t, const char *name);

/* row.c: row encoding (see row.c for the format) */
size_t row_size(const struct reg_table *t, const struct store_row *row);
void row_encode(const struct reg_table *t, const struct store_row *row,
		uint8_t *out);
bool row_decode(const struct reg_table *t, const void *data, size_t len,
		struct store_row *out);
enum store_rc key_encode(const struct reg_table *t,
			 const struct store_value *keyvals, uint8_t *out,
			 size_t *len, char *err, size_t errlen);
void key_encode_int(int64_t id, uint8_t out[8]);
int64_t key_decode_int(const uint8_t in[8]);

/* list.c */
/* list_id - the id of list root; STORE_NOTFOUND naming it. */
enum store_rc list_id(struct store_txn *t, const char *root, uint32_t *id);
/* list_tdb - where list id's rows of table t lie. */
void list_tdb(const struct store *st, const struct reg_table *t, uint32_t id,
	      struct tdb *db);
/* idx_of - the index by hash of address table t, whose rows lie in table. */
enum store_rc idx_of(struct store_txn *txn, const struct reg_table *t,
		     const struct tdb *table, struct tdb *x);
/*
 * store_format_upgrade - bring the store of t, of format (1 ..
 *	STORE_FORMAT), to STORE_FORMAT in t: the first writing open of an
 *	older file, and a replica installing an older primary's snapshot.
 *	Any other format is refused, naming it.
 */
enum store_rc store_format_upgrade(struct store_txn *t, uint64_t format);

/* layout_upgrade - a format 1 or 2 store: lists into shared databases. */
enum store_rc layout_upgrade(struct store_txn *t, uint64_t format);
/* layout_rekey - a format 3 store: list addresses keyed as format 4's. */
enum store_rc layout_rekey(struct store_txn *t);
/* layout_open - the shared list databases' handles (create: made). */
enum store_rc layout_open(struct store_txn *t, bool create);

/* table.c */
enum store_rc table_resolve(struct store_txn *txn, const char *name,
			    const struct reg_table **t, struct tdb *db);
/* table_check_value - v fits column c of table name */
enum store_rc table_check_value(struct store *st, const char *name,
				const struct reg_column *c,
				const struct store_value *v);
bool table_filter_match(const struct store_row *r,
			const struct store_filter *f, int nf);
bool table_filter_key(const struct reg_table *t, const struct store_filter *f,
		      int nf, struct store_value key[REG_MAX_KEY]);
enum store_rc table_check_filters(struct store *st, const struct reg_table *t,
				  const struct store_filter *f, int nf);
enum store_rc table_corrupt_row(struct store *st, const char *name);

#endif
