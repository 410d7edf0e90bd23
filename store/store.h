/*
 * NAME
 *	store.h - mq's LMDB store: tables, rows, change log, backup
 * SYNOPSIS
 *	#include "store/store.h"
 * DESCRIPTION
 *	One LMDB data file (MDB_NOSUBDIR, mode 0600) holds every table of
 *	the registry (registry.h) as one named database keyed by the
 *	table's primary key, a "meta" database (uuid, epoch, sequence,
 *	auto-increment counters, list roots) and a "changes" database that
 *	every write transaction appends to.
 *
 *	Only store/ calls mdb_*(); every other module uses this header.
 *	store/ knows nothing of SQL, HTTP or sockets.
 *
 *	Lifetimes: a struct store_value read from the store points into
 *	the memory map and is valid until its transaction ends.  Nothing
 *	returned by a read needs freeing.
 * DIAGNOSTICS
 *	Functions return an enum store_rc; store_strerror() names each
 *	code and store_errmsg() gives the detail of the last failure in
 *	the calling thread (table, column, file), one line, no trailing
 *	newline: threads sharing a store never see each other's.
 */
#ifndef MQ_STORE_H
#define MQ_STORE_H

#include <setjmp.h>
#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

#include "store/registry.h"

enum store_rc {
	STORE_OK = 0,
	STORE_NOTFOUND,		/* no such row, table or list */
	STORE_BADDATA,		/* input refused: bad column, value, key */
	STORE_EXISTS,		/* row or list exists already */
	STORE_READONLY,		/* store opened read-only */
	STORE_CORRUPT,		/* file is not a valid store */
	STORE_FULL,		/* store-max-size reached */
	STORE_IO,		/* open, create, write or sync failed */
	STORE_INTERNAL,		/* unexpected LMDB or library failure */
	STORE_DAMAGED,		/* the file is cut short or its pages broken */
	STORE_NOSPACE,		/* disk full, or the file size limit */
};

/*
 * The kinds of result every layer above maps its failures into: the
 * command line turns a kind into an exit status (mq/cli/), the HTTP API
 * into a status code (mq/http/); nothing below them knows either.
 */
enum result_kind {
	RESULT_OK = 0,
	RESULT_NOTFOUND,	/* no such row, table, list: exit 1, 404 */
	RESULT_BADDATA,		/* the request or its data is refused: 65, 400 */
	RESULT_CONFIG,		/* the configuration must change: 65, 500 */
	RESULT_TRYAGAIN,	/* a server or lock is unavailable: 75, 503 */
	RESULT_INTERNAL,	/* a bug, no memory, a broken file: 70, 500 */
	RESULT_NOSPACE,		/* no room: disk full, store-max-size: 75, 507 */
};

/* result_kind_name - "ok", "not found", "bad data", ... */
const char *result_kind_name(enum result_kind k);

struct store;
struct store_txn;

/* Open flags. */
#define STORE_RDONLY	0x1	/* MDB_RDONLY: no write transactions */
/*
 * STORE_MAP_RESERVE: map max_size of address space at open, so the map
 * never moves: threads may then read while another thread writes (a map
 * that grew would be remapped under them).  A map grown by another
 * process beyond it is refused (STORE_FULL) instead of adopted.
 */
#define STORE_MAP_RESERVE 0x2

struct store_options {
	uint64_t max_size;	/* map may grow to this; 0: 64 GiB */
	uint64_t changes_keep;	/* change records kept; 0: 1000000 */
};

/*
 * store_open - open or create the store file at path.  The file and its
 *	"-lock" companion are created mode 0600; missing parent
 *	directories are an error.  Stale reader slots are cleared.
 *	On failure *out is NULL and, when errbuf is given, the reason is
 *	written there (it names the path).
 */
enum store_rc store_open(const char *path, unsigned flags,
			 const struct store_options *opt,
			 struct store **out, char *errbuf, size_t errlen);
void store_close(struct store *st);

/*
 * store_open_warning - what the open found worth a warning, "" for
 *	nothing: a store already larger than store-max-size (it opens,
 *	reads work, a write that needs more room fails with STORE_FULL).
 */
const char *store_open_warning(const struct store *st);

const char *store_strerror(enum store_rc rc);
/* store_rc_kind - the result kind of a store code. */
enum result_kind store_rc_kind(enum store_rc rc);
const char *store_errmsg(const struct store *st);
const char *store_path(const struct store *st);
/* store_lmdb_version - the LMDB library linked in: "LMDB 0.9.24: ...". */
const char *store_lmdb_version(void);

/* Transactions. */

/*
 * store_write_fn - the body of a write transaction.  It may run more
 *	than once (the store aborts, grows the map and runs it again on
 *	MDB_MAP_FULL), so it must not consume its input irrevocably: keep
 *	a cursor in arg and reset it at the start of each run.
 *	Return STORE_OK to commit, anything else to abort.
 */
typedef enum store_rc (*store_write_fn)(struct store_txn *txn, void *arg);

/*
 * store_write - run fn in one write transaction and commit it.  When fn
 *	changed nothing, nothing is written and the sequence stays.
 *	Otherwise the sequence is bumped and the change records are
 *	appended, in the same transaction.  *seq_out (if given) receives
 *	the committed sequence.
 */
enum store_rc store_write(struct store *st, store_write_fn fn, void *arg,
			  uint64_t *seq_out);

/* store_read_begin - a read snapshot; end it with store_read_end. */
enum store_rc store_read_begin(struct store *st, struct store_txn **out);
void store_read_end(struct store_txn *txn);

/* Meta. */
struct store_meta {
	uint8_t uuid[16];
	uint64_t epoch;
	uint64_t seq;
	uint64_t format;	/* of the file: 3 (docs/store.md) */
};
enum store_rc store_meta_get(struct store_txn *txn, struct store_meta *m);
void store_uuid_format(const uint8_t uuid[16], char out[37]);

/* Values and rows. */
enum store_vkind { SV_NULL = 0, SV_INT, SV_TEXT };

struct store_value {
	enum store_vkind kind;
	int64_t i;		/* SV_INT */
	const char *s;		/* SV_TEXT: not NUL-terminated */
	size_t len;
};

/* An extra column kept from SQL that the registry does not know. */
struct store_extra {
	const char *name;
	size_t namelen;
	struct store_value v;
};

#define STORE_MAX_EXTRA 32

/* A decoded row: one value per registry column, then the extras. */
struct store_row {
	struct store_value col[REG_MAX_COLS];
	struct store_extra extra[STORE_MAX_EXTRA];
	int nextra;
};

/*
 * store_value_parse - turn text (as typed on a command line or read from
 *	a TSV file) into a value of column c of table t, which the caller
 *	calls name (a list's table by its whole name, "news_cookie": the
 *	registry knows only its suffix; NULL: t->name).  "\N" is not
 *	special here: the caller decides what NULL is.  Returns
 *	STORE_BADDATA with a message naming table and column in err when
 *	the text does not fit (not an integer, too long, NUL byte, bad
 *	timestamp).
 */
enum store_rc store_value_parse(const struct reg_table *t, const char *name,
				const struct reg_column *c, const char *text,
				size_t len, struct store_value *out,
				char *err, size_t errlen);

/* Tables. */

/*
 * store_table_find - resolve a table name (MailerQ table, or a list
 *	table such as "list_digest_slog" of a created list) to its
 *	registry entry.  STORE_NOTFOUND for anything else.
 */
enum store_rc store_table_find(struct store_txn *txn, const char *name,
			       const struct reg_table **out);

/* One column = value condition; a NULL value matches NULL. */
struct store_filter {
	int col;
	struct store_value v;
};

/*
 * store_row_fn - called for each row of a scan, with values pointing
 *	into the map.  Return 0 to go on, non-zero to stop (that value is
 *	returned by the scan as STORE_OK; the caller keeps its own flag).
 */
typedef int (*store_row_fn)(const struct store_row *row, void *arg);

/*
 * store_scan - every row of table name matching all filters (none:
 *	every row), in primary-key order.  A filter on the whole primary
 *	key is a point read.
 */
enum store_rc store_scan(struct store_txn *txn, const char *name,
			 const struct store_filter *f, int nf,
			 store_row_fn fn, void *arg);

/*
 * store_get_by_key - point read of the row whose primary key columns
 *	have the values in key (one per primary key column, in key
 *	order).  The row stays valid until the transaction ends.
 */
enum store_rc store_get_by_key(struct store_txn *txn,
			       const struct reg_table *t, const char *name,
			       const struct store_value *key,
			       struct store_row *out);

/* One column := value assignment of store_set. */
struct store_assign {
	int col;
	struct store_value v;
};

/*
 * store_set - insert or update one row of table name.  With the whole
 *	primary key given, the row with that key is updated (only the
 *	assigned columns change) or inserted; an auto-increment key left
 *	out is allocated (*id_out receives it).  Columns not assigned on
 *	insert take their registry default.
 */
enum store_rc store_set(struct store_txn *txn, const char *name,
			const struct store_assign *a, int na, int64_t *id_out);

/*
 * store_put_row - write a whole row (every registry column, plus
 *	extras), replacing any row with the same key.  For loaders
 *	(SQL sync, import, replication) that hold complete rows.
 */
enum store_rc store_put_row(struct store_txn *txn, const char *name,
			    const struct store_row *row);

/* store_del - delete the rows matching all filters; *n_out counts them. */
enum store_rc store_del(struct store_txn *txn, const char *name,
			const struct store_filter *f, int nf, uint64_t *n_out);

/* store_count - rows in table name. */
enum store_rc store_count(struct store_txn *txn, const char *name,
			  uint64_t *n_out);

/* Lists (ezmlm table roots). */

#define STORE_LIST_KEY_LEN 32	/* bytes of a secret key the store makes */
#define STORE_LIST_KEY_MAX 4096	/* bytes of a secret key at most */

/*
 * store_list_create - register list root T with its secret key (the
 *	bytes of ezmlm's DIR/key, from which cookies are derived).  key
 *	NULL: the store makes a random one of STORE_LIST_KEY_LEN bytes
 *	(libsodium), so no caller needs to; a key passed in (an import of
 *	DIR/key) is kept as it is.  STORE_EXISTS when T exists,
 *	STORE_BADDATA for a bad root or a key longer than
 *	STORE_LIST_KEY_MAX.
 */
enum store_rc store_list_create(struct store_txn *txn, const char *root,
				const uint8_t *key, size_t keylen);
/* store_list_drop - remove list T and all its tables' rows. */
enum store_rc store_list_drop(struct store_txn *txn, const char *root);
/* store_list_key - list T's secret key; valid until the txn ends. */
enum store_rc store_list_key(struct store_txn *txn, const char *root,
			     const uint8_t **key, size_t *keylen);
/* store_list_each - call fn for each list root, in name order. */
enum store_rc store_list_each(struct store_txn *txn,
			      int (*fn)(const char *root, void *arg),
			      void *arg);

/*
 * The change log (DESIGN.md sections 4 and 9): every write transaction
 * leaves one record per change, in order, under its sequence; the
 * oldest records beyond changes-keep are pruned.  A transaction with
 * more changes than changes-keep leaves only an overflow record: a
 * reader that meets it cannot replay that transaction and must start
 * again from a snapshot.  Replication and the change feed read the log
 * through these calls only.
 */
enum store_change_op {
	STORE_CHANGE_PUT = 'P',		/* a row written, new or replaced */
	STORE_CHANGE_DEL = 'D',		/* the row under key deleted */
	STORE_CHANGE_LIST_CREATE = 'C',	/* list root created */
	STORE_CHANGE_LIST_DROP = 'X',	/* list root dropped */
	STORE_CHANGE_OVERFLOW = 'O',	/* the sequence's changes not kept */
};

/*
 * One change record as the log keeps it.  key and row point into the
 * memory map and are valid until the transaction ends.
 */
struct store_change {
	uint64_t seq;			/* the transaction's sequence */
	uint32_t index;			/* the record's place in it, from 0 */
	enum store_change_op op;
	char table[256];		/* put, del: the table; list create,
					 * drop: the root; overflow: "" */
	const uint8_t *key;		/* put, del: the row's key as the
					 * store encodes it */
	size_t keylen;
	const uint8_t *row;		/* put: the encoded row (see
					 * store_change_row); list create:
					 * a format byte and the list's
					 * secret key, never to be shown */
	size_t rowlen;
};

/* store_change_fn - one record; non-zero stops the reading. */
typedef int (*store_change_fn)(const struct store_change *c, void *arg);

/*
 * store_changes_after - call fn for each change record of a sequence
 *	above seq, in order (sequence, then index), as txn's snapshot
 *	holds them.  An overflow record above seq is passed like any
 *	other: the reader must then start again from a snapshot.
 *	STORE_NOTFOUND, with fn never called, when the log no longer
 *	holds every change after seq (pruned; store_changes_oldest tells
 *	how far back it reaches); STORE_CORRUPT for a malformed record.
 */
enum store_rc store_changes_after(struct store_txn *txn, uint64_t seq,
				  store_change_fn fn, void *arg);

/*
 * store_changes_resume - store_changes_after for a reader that stopped
 *	inside sequence seq: the records from (seq, index) on, so a feed
 *	may hand a long transaction over in parts.  Index 0 is
 *	store_changes_after(txn, seq - 1, ...), with its codes.
 */
enum store_rc store_changes_resume(struct store_txn *txn, uint64_t seq,
				   uint32_t index, store_change_fn fn,
				   void *arg);

/*
 * store_changes_oldest - the oldest sequence whose changes the log
 *	holds whole: a reader at sequence S can catch up from the log
 *	when S + 1 >= *oldest.  A sequence cut by pruning or overflowed
 *	does not count; an empty log gives the store's sequence + 1.
 */
enum store_rc store_changes_oldest(struct store_txn *txn, uint64_t *oldest);

/*
 * store_watch_open - a file descriptor that becomes readable after any
 *	process commits to st's file, or moves another file over its name
 *	(see watch.c).  Poll it, call store_watch_drain, then read the
 *	sequence: a wake-up may come with nothing new.  -1 and errno on
 *	failure; the caller closes it.
 */
int store_watch_open(const struct store *st);
/* store_watch_drain - consume the pending wake-ups of a watch fd. */
void store_watch_drain(int fd);

/*
 * store_change_row - the registry entry of a put's table and its row
 *	decoded (values valid until the transaction ends).  STORE_NOTFOUND
 *	for a table the registry does not know, STORE_BADDATA for a
 *	record that is not a put, STORE_CORRUPT for a row that does not
 *	decode.
 */
enum store_rc store_change_row(struct store_txn *txn,
			       const struct store_change *c,
			       const struct reg_table **t,
			       struct store_row *row);

/*
 * store_change_key - the registry entry of a put's or del's table and
 *	the key the record names: one value per primary key column, in
 *	key order (*nkey of them; a text as the store compares it, folded
 *	to lower case for a case-insensitive column), or for a table
 *	without a key its hidden row number as one integer.  Values point
 *	into the record.  STORE_BADDATA for another operation,
 *	STORE_NOTFOUND for an unknown table, STORE_CORRUPT for a key that
 *	does not decode.
 */
enum store_rc store_change_key(struct store_txn *txn,
			       const struct store_change *c,
			       const struct reg_table **t,
			       struct store_value key[REG_MAX_KEY], int *nkey);

/*
 * ASCII case: the one folding rule of the tables, lookups and list
 * addresses (DESIGN.md section 6): 'A'..'Z' become 'a'..'z', every
 * other byte (UTF-8 included) stays; no locale is consulted.
 */

/* store_ascii_lower - c with an ASCII capital made small. */
static inline int store_ascii_lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}

/* store_ascii_fold - n bytes of src into dst, folded; dst may be src. */
void store_ascii_fold(void *dst, const void *src, size_t n);

/* store_ascii_caseeq - are a and b (n bytes each) equal but for case? */
bool store_ascii_caseeq(const void *a, const void *b, size_t n);

/*
 * The key of a list address (a REG_FOLD column): the address folded,
 * a NUL, then its case mask, one bit per byte that was an ASCII capital
 * (bit 0x80 >> i % 8 of byte i / 8), trailing zero bytes left out.  An
 * address in small letters keys as "folded NUL", and every variant of
 * it in case follows it: a search for the prefix "folded NUL" finds
 * them all.  A key takes at most len + 1 + STORE_FOLD_MASK_MAX bytes.
 */
#define STORE_FOLD_MASK_MAX	32	/* bytes of the mask of 255 bytes */
#define STORE_FOLD_KEY_MAX(len)	((len) + 1 + ((len) + 7) / 8)

/* store_fold_key - the key of addr (len bytes, no NUL) into out; its size. */
size_t store_fold_key(uint8_t *out, const void *addr, size_t len);

/*
 * store_unfold_key - the address (len bytes, no NUL written) back from
 *	its key of klen bytes, as store_fold_key made it.
 */
void store_unfold_key(char *out, const uint8_t *key, size_t len, size_t klen);

/* store_fold_prefix - the prefix all variants of addr share; its size. */
size_t store_fold_prefix(uint8_t *out, const void *addr, size_t len);

/* Whole-file operations. */

struct store_stat {
	uint64_t file_size;
	uint64_t map_size;
	uint64_t last_page;
	unsigned page_size;
	unsigned max_readers;
	unsigned num_readers;	/* slots held by live processes */
};
enum store_rc store_stat(struct store *st, struct store_stat *out);

/*
 * store_backup - write a consistent compacted copy of the store to path
 *	(created 0600 through a temporary file, fsynced and renamed), while
 *	writers go on.  Does not verify: see store_verify_file.
 */
enum store_rc store_backup(struct store *st, const char *path);

/*
 * store_stale_temps_remove - remove the temporaries that killed runs
 *	left beside path: entries named "<name of path><sep><pid>" (or
 *	"...<pid>-anything"), files or directory trees, whose pid no
 *	longer runs.  mq backup uses sep ".tmp.", mq export ezmlm ".mq-".
 *	Returns how many were removed.
 */
int store_stale_temps_remove(const char *path, const char *sep);

/*
 * A damaged file (damage.c): truncated, or a page overwritten under a
 * running mq.  The store is checked at open (STORE_DAMAGED, naming the
 * file and pointing at mq verify and mq backup); a read of the map that
 * faults later (SIGBUS, SIGSEGV, an LMDB assertion) is caught.
 */

/*
 * store_fault_fn - the process's answer to a fault outside a guard:
 *	called in a signal handler, with what ("SIGBUS", "SIGSEGV", "an
 *	LMDB assertion") and the address that faulted (NULL for an
 *	assertion), so that a caller with a mapping of its own can tell a
 *	fault in it from the store's; it uses async-signal-safe calls only
 *	(write(2) a line, _exit).  Should it return, the signal kills the
 *	process as it would have.
 */
typedef void (*store_fault_fn)(const char *what, const void *addr);

/*
 * store_faults_catch - install the handler of SIGBUS and SIGSEGV for
 *	the process (LMDB's assertions are routed to it at open).  fatal
 *	NULL: a fault outside a guard kills the process as before.  It
 *	also ignores SIGXFSZ, so that a file size limit (RLIMIT_FSIZE)
 *	fails the write with STORE_NOSPACE instead of killing the process.
 */
void store_faults_catch(store_fault_fn fatal);

/*
 * A guard, armed by a thread around code that reads the store: a fault
 * while the thread holds a read transaction (store_read_begin) makes
 * store_guard_set return a second time, non-zero, the read abandoned:
 *
 *	struct store_guard g;
 *	if (store_guard_set(&g)) {
 *		rc = store_guard_fault(st, &g);	// answer, st damaged
 *	} else {
 *		store_guard_arm(&g);
 *		...reads...
 *		store_guard_disarm();
 *	}
 *
 * What the guarded code held (locks, memory, its reader slot) stays
 * held: a damaged store is not to be read again.
 */
struct store_guard {
	sigjmp_buf jb;
	volatile int sig;	/* the signal, -1 for an assertion */
};
/* The mask is not saved (a system call per guarded request): the
 * handler runs with SA_NODEFER and an empty sa_mask, so a jump out of
 * it finds the thread's mask as it was. */
#define store_guard_set(g) sigsetjmp((g)->jb, 0)
void store_guard_arm(struct store_guard *g);
void store_guard_disarm(void);
/* store_guard_fault - after g's jump: mark st damaged, STORE_DAMAGED. */
enum store_rc store_guard_fault(struct store *st,
				const struct store_guard *g);

/*
 * store_file_check - read the file's meta pages with pread (never the
 *	map): LMDB's own, roots within the file, the file as long as its
 *	last page.  STORE_DAMAGED (and the store marked damaged) when not;
 *	*used (if given) receives the bytes its pages take.
 */
enum store_rc store_file_check(struct store *st, uint64_t *used);

/* What mq serve shows on /health and /metrics. */
struct store_health {
	bool damaged;		/* sticky: the map is not read again */
	char damage[200];	/* why */
	bool nospace;		/* the last write failed for lack of room */
	char nospace_why[512];	/* its message */
	uint64_t nospace_total;	/* writes that failed so, since open */
};
void store_health_get(struct store *st, struct store_health *h);
/* Whether the store was marked damaged: one atomic read, for every request. */
bool store_is_damaged(struct store *st);

/*
 * store_verify_file - open the file read-only in a child process and walk
 *	every table and the meta and change databases, decoding every row.
 *	A corrupt or truncated file is reported in err, never crashes the
 *	caller.  *rows_out (if given) counts the rows walked.
 */
enum store_rc store_verify_file(const char *path, uint64_t *rows_out,
				char *err, size_t errlen);

/*
 * Replication (replicate/): a replica applies its primary's transactions
 * and installs its snapshots through these calls only.
 */

/*
 * store_snapshot_write - a consistent compacted copy of the store
 *	(mdb_env_copyfd2) written to fd from its current position, then
 *	fsynced.  Writers go on meanwhile.
 */
enum store_rc store_snapshot_write(struct store *st, int fd);

/*
 * store_file_meta - the uuid, epoch and sequence of the store file at
 *	path, opened read-only without its lock file (a snapshot that no
 *	other process opens).
 */
enum store_rc store_file_meta(const char *path, struct store_meta *m);

/*
 * store_snapshot_install - make st's contents the snapshot file's, in
 *	ONE write transaction: every database (tables, lists, indexes,
 *	meta with uuid, epoch and sequence, the change log) emptied and
 *	filled with the snapshot's.  The live file is never replaced, so
 *	every process that has it open keeps its store and sees the new
 *	contents at its next read transaction.  Verify the file first
 *	(store_verify_file): it is read here as it is.
 */
enum store_rc store_snapshot_install(struct store *st, const char *path);

/*
 * store_change_iter - the next record of a transaction being applied:
 *	1 with *c set, 0 after the last, -1 for a malformed one.  first
 *	is true for the first call of each run of the transaction body
 *	(which may run more than once): start from the beginning again.
 */
typedef int (*store_change_iter)(void *arg, bool first,
				 struct store_change *c);

/*
 * store_apply_changes - apply a primary's transactions up to seq, their
 *	records from next, in ONE write transaction through the normal put
 *	and delete paths (indexes kept), each record logged under its own
 *	transaction's sequence (c->seq, ascending; 0 means seq) and the
 *	store's sequence set to seq.  Several transactions in one call are
 *	a group commit: a replica that falls behind catches up at one sync
 *	per group instead of one per transaction.  Records at or below the
 *	store's own sequence are skipped (applied already): a replica
 *	killed anywhere resumes without a gap or a duplicate.
 */
enum store_rc store_apply_changes(struct store *st, uint64_t seq,
				  store_change_iter next, void *arg);

/*
 * store_epoch_start - a new epoch (epoch + 1), as a promotion or a
 *	restore needs: replicas at the old one resynchronise.  *epoch_out
 *	(if given) receives it.
 */
enum store_rc store_epoch_start(struct store *st, uint64_t *epoch_out);

#include "store/mlist.h"
#include "store/lookup.h"
#include "store/dkim.h"

/*
 * Making tables equal to their wanted contents (diff.c, apply.c), for
 * loaders such as SQL sync: the difference is computed under a read
 * transaction, so the write lock is taken only to apply it, and not at
 * all when there is none.
 */

struct store_apply_counts {
	uint64_t inserted, updated, deleted;
	uint64_t skipped;	/* left as a writer that came between made them */
};

/*
 * store_row_source - the next row of a table's wanted contents:
 *	STORE_OK with *row set (its values valid until the next call),
 *	STORE_NOTFOUND after the last row, any other code to fail the
 *	difference with it.
 */
typedef enum store_rc (*store_row_source)(void *arg, struct store_row *row);

/* A difference between the store and the wanted contents of tables. */
struct store_diff;

/*
 * store_diff_new - an empty difference against the snapshot of txn (a
 *	read transaction, usually).  Every store_diff_lists() and
 *	store_diff_table() of it must use that same transaction; end it
 *	before store_diff_apply().  Free the difference with
 *	store_diff_free().
 */
enum store_rc store_diff_new(struct store_txn *txn, struct store_diff **out);

/*
 * store_diff_lists - the lists to create (roots the store lacks, each
 *	with a new random secret key) and to drop (lists not in roots).
 *	*created and *dropped count them; they must stay valid until
 *	store_diff_apply() returns, which takes off what it skipped.
 */
enum store_rc store_diff_lists(struct store_txn *txn, struct store_diff *d,
			       const char *const *roots, size_t n,
			       unsigned *created, unsigned *dropped);

/*
 * store_diff_table - add the changes that make table name equal to the
 *	rows next yields: rows to insert, to replace, to delete; equal
 *	rows add nothing.  The table is a stored one or one of a list that
 *	store_diff_lists() creates.  A keyed table's rows may come in any
 *	order: they are held, encoded, and sorted by key (rows already in
 *	key order are not sorted again; of rows with one key the last
 *	wins); a keyless (_slog) table compares
 *	as a multiset (24 bytes per stored row).  Each row that makes a
 *	change is checked as a put would check it: one that does not fit
 *	fails with STORE_BADDATA naming table, column and the row's key.
 *	*counts says what the changes do; it must stay valid until
 *	store_diff_apply() returns, which moves what it skipped into
 *	counts->skipped.
 */
enum store_rc store_diff_table(struct store_txn *txn, struct store_diff *d,
			       const char *name, store_row_source next,
			       void *arg, struct store_apply_counts *counts);

/*
 * store_diff_mark - what the source says of itself (an identity that
 *	changes whenever it does, less than STORE_MARK_MAX bytes):
 *	store_diff_apply() records it with the store's state, when no
 *	other writer wrote since the snapshot, even when nothing differs
 *	(diff_mark.c).  store_mark_current - does the store hold mark,
 *	recorded by the last write transaction of this very file?  Then
 *	the store still is what that source made it.
 */
#define STORE_MARK_MAX	256
void store_diff_mark(struct store_diff *d, const char *mark);
bool store_mark_current(struct store_txn *txn, const char *mark);

/* store_diff_empty - nothing to change? */
bool store_diff_empty(const struct store_diff *d);

/*
 * store_diff_apply - apply d: lists created, rows changed, lists
 *	dropped, in write transactions of a few tens of milliseconds (or of
 *	at most batch changes, when batch is not 0), so that other writers
 *	wait no longer than that.  While the store's sequence is the
 *	snapshot's, nobody else wrote and changes are applied as they are;
 *	once it moved, a change is applied only if the stored row is still
 *	the one it was computed from, otherwise skipped (the other write
 *	is the later one).  A failure undoes the transactions already
 *	committed: the store is as it was.  *seq_out (if given) receives
 *	the sequence after the last transaction.  The difference is spent:
 *	free it.
 */
enum store_rc store_diff_apply(struct store *st, struct store_diff *d,
			       size_t batch, uint64_t *seq_out);

/* store_diff_free - release a difference (NULL: nothing). */
void store_diff_free(struct store_diff *d);

/* store_row_hash - a 64-bit hash of a row's values (extras included). */
uint64_t store_row_hash(const struct reg_table *t, const struct store_row *row);
/* store_value_equal - same kind and the same integer or bytes. */
bool store_value_equal(const struct store_value *a,
		       const struct store_value *b);

/* store_row_equal - same values (NULL, 0 and '' differ), same extras. */
bool store_row_equal(const struct reg_table *t, const struct store_row *a,
		     const struct store_row *b);

#endif
