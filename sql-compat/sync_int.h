/*
 * NAME
 *	sync_int.h - what sync.c, sync_to.c and the write path share
 * DESCRIPTION
 *	The tables to sync, the mapping of a table's SQL columns onto its
 *	registry columns, and the conversion of SQL text rows to store
 *	rows.  Private to sql-compat/sync*.c and write*.c.
 */
#ifndef MQ_SQL_SYNC_INT_H
#define MQ_SQL_SYNC_INT_H

#include "sql-compat/sync.h"
#include "store/mlist.h"

/* A table to sync: a MailerQ table or a list root + list suffix. */
struct sync_name {
	char name[SQL_TABLE_NAME_MAX];
	const struct reg_table *t;
};

/*
 * sync_columns' flag besides sync.h's: SQL is a lists-only database
 * (sql_schema_lists_only), whose MailerQ tables are absent.
 */
#define SYNC_LISTS_ONLY	0x100

/* How SQL holds a registry column (sync_value.c). */
enum sync_form {
	SYNC_FORM_AS_IS,	/* the text is mq's value */
	SYNC_FORM_TIME,		/* a time type: fraction, offset */
	SYNC_FORM_EPOCH,	/* a time in an integer column: seconds */
};

/* How a SELECT of a table lists its columns. */
struct sync_cols {
	int nsel;				/* columns selected */
	char extra[STORE_MAX_EXTRA][REG_NAME_MAX];	/* after the registry's */
	int nextra;
	unsigned char form[REG_MAX_COLS];	/* enum sync_form */
	unsigned char prec[REG_MAX_COLS];	/* fraction digits kept */
	bool no_table;		/* an absent table (sql.h): no rows */
	unsigned absent;	/* bit i: registry column i is absent (an
				 * optional one, or any non-key one with
				 * SQL_SYNC_KEEP_EXTRA): selected as NULL,
				 * computed or its default, never written */
	char domain[SUB_DOMAIN_MAX + 1];	/* a computed domain */
};

/* sync_col_absent - is registry column i absent from SQL's table? */
static inline bool sync_col_absent(const struct sync_cols *c, int i)
{
	return i < REG_MAX_COLS && (c->absent >> i & 1u);
}

#define SYNC_TIME_MAX	32

/*
 * Room for the values of one row that are not SQL's text as read: times
 * in mq's form.  They live as long as the buffer, which the caller
 * keeps while it uses the row.  key_ok: after a row was refused, its
 * key columns parsed (the row is a key mq knows how to hold).
 */
struct sync_rowbuf {
	char time[REG_MAX_COLS][SYNC_TIME_MAX];
	bool key_ok;
};

/*
 * sync_row_parse's answer for a row mq cannot hold (a value that does
 * not fit its column): the row is refused and the sync goes on; err
 * names table, key and column.
 */
#define SYNC_ROW_REFUSED	(-1)

/*
 * sync_col_form - note how SQL column type (as the catalog spells it)
 *	holds registry column c, the i-th of the table.
 */
void	sync_col_form(struct sync_cols *cols, int i, enum sql_engine engine,
		      const struct reg_column *c, const char *type);

/*
 * sync_time_canon - a time as SQL gives it (any fraction, an offset
 *	such as "+00" or "-05:30", 'T', or unix seconds) in mq's form in
 *	out, UTC, the fraction cut to prec digits, trailing zeros dropped.
 *	false when it is not a time.
 */
bool	sync_time_canon(const char *s, size_t n, int prec,
			char out[SYNC_TIME_MAX], size_t *outlen);

/* sync_time_epoch - the unix seconds of a time in mq's form. */
bool	sync_time_epoch(const char *s, size_t n, int64_t *secs);

/*
 * sync_param_col - value v of registry column i as a bound parameter
 *	in the type the SQL column has (seconds for an integer time);
 *	cols NULL or i < 0: as sync_param().
 */
struct sql_value sync_param_col(const struct sync_cols *cols, int i,
				const struct store_value *v);

/*
 * sync_row_fit - the times of a store row as SQL's column keeps them
 *	(the fraction it holds, canonical), for comparing with a row read
 *	from SQL; the values point into buf.
 */
void	sync_row_fit(const struct sync_cols *cols, const struct reg_table *t,
		     struct store_row *row, struct sync_rowbuf *buf);

/*
 * sync_names - every MailerQ table, then the tables of each root.
 *	Returns the array (free()) or NULL without memory.
 */
struct sync_name *sync_names(const char *const *roots, size_t nroots,
			     size_t *n);

/*
 * sync_columns - check that SQL table name has every registry column
 *	and, with SQL_SYNC_KEEP_EXTRA, note its other columns and take a
 *	missing non-key column as absent.  Returns 0 or an exit status
 *	with err set.
 */
int	sync_columns(struct sql_conn *conn, const struct sync_name *tn,
		     unsigned flags, struct sync_cols *cols, char *err,
		     size_t errlen);

/*
 * sync_select - "SELECT registry cols, extras FROM name", in no order:
 *	store_diff_table() sorts by the store's key, and sync --to-sql
 *	finds rows by key.
 */
void	sync_select(struct sql_buf *b, enum sql_engine engine,
		    const struct sync_name *tn, const struct sync_cols *cols);

/*
 * sync_row_parse - one SQL row (as selected by sync_select) into a store
 *	row whose values point into v, buf (times read in mq's form) and
 *	cols (an absent column's value, computed).  Returns 0,
 *	SYNC_ROW_REFUSED with err naming table, row key and column when a
 *	value does not fit mq's column, or a result kind.
 */
int	sync_row_parse(const struct sync_name *tn, struct sync_cols *cols,
		       const struct sql_value *v, size_t n,
		       struct store_row *row, struct sync_rowbuf *buf,
		       char *err, size_t errlen);

/*
 * sync_row_utf8 - 0 when every text of a store row is valid UTF-8 or
 *	the engine takes any bytes (SQLite); else RESULT_BADDATA with err
 *	naming table, row key and column, before the server refuses it
 *	without saying which row.
 */
int	sync_row_utf8(const struct sync_name *tn, enum sql_engine engine,
		      const struct store_row *row, char *err, size_t errlen);

/*
 * sync_to_table - make SQL table tn (columns cols) equal to the store's
 *	rows in txn, in the open SQL transaction; the counts into
 *	res->tables[i].  Returns 0 or a result kind, res->err set.
 *	(sync_to.c)
 */
int	sync_to_table(struct sql_conn *conn, struct store *st,
		      struct store_txn *txn, const struct sync_name *tn,
		      struct sync_cols *cols, struct sql_sync_result *res,
		      size_t i);

/* sync_note_refused - count a refused row, its message in res. */
void	sync_note_refused(struct sql_sync_result *res, const char *msg);

/*
 * sync_lists_sql - the lists SQL has (sql_schema_lists, into *sqlroots:
 *	free it with sql_schema_lists_free, on failure too), and in
 *	res->lists_created how many of roots (n of them) it lacks: those
 *	sync --to-sql's repair creates.  Its repair drops no list, so the
 *	lists it finds are those to compare with the store's afterwards.
 */
enum sql_rc sync_lists_sql(struct sql_conn *conn, const char *const *roots,
			   size_t n, char ***sqlroots,
			   struct sql_sync_result *res);

/*
 * sync_note_address - a row of a list's address table that
 *	addr_row_check finds odd: counted in res, the first one named.
 */
void	sync_note_address(struct sql_sync_result *res, const char *table,
			  const struct store_row *row);

/* sync_note_dropped - add root to res->dropped (" ..." once full). */
void	sync_note_dropped(struct sql_sync_result *res, const char *root);

/* sync_sql_fail - copy the connection's message into err; result kind. */
int	sync_sql_fail(struct sql_conn *conn, enum sql_rc rc, char *err,
		      size_t errlen);

/* sync_store_fail - the store's message into err; result kind. */
int	sync_store_fail(struct store *st, enum store_rc rc, char *err,
			size_t errlen);

/*
 * sync_where_eq - "col = ?" naming one row exactly, as the store does:
 *	where the engine's collation ignores case (MySQL's default) a text
 *	is compared twice, "col = ? AND BINARY col = ?" (the first keeps an
 *	index usable, the second leaves the exact row: a list's address in
 *	three cases is three rows).  The number of parameters it takes,
 *	each the same value.  (sync.c)
 */
size_t	sync_where_eq(struct sql_buf *b, const struct sql_driver *d,
		      const struct reg_column *c);

/*
 * sync_key_text - "col=value, ..." of a store row's key for messages,
 *	bytes that are not printable ASCII escaped.  (sync_value.c)
 */
void	sync_key_text(const struct reg_table *t, const struct store_row *row,
		      char *out, size_t len);

/* The key of the SQL row a key collides with (sync_twin.c). */
#define SYNC_TWIN_MAX	1024	/* bytes of a text kept; SQL's may be more */
struct sync_twin {
	bool found;
	int col;		/* the first key column whose bytes differ */
	struct store_value kv[REG_MAX_KEY];
	char text[REG_MAX_KEY][SYNC_TWIN_MAX];
};

/*
 * sync_key_twin - on an engine whose collation ignores case (MySQL's
 *	default: the driver's fold_collation), the row SQL holds whose key
 *	the collation takes for kv while its bytes differ: the row an
 *	INSERT of kv collided with.  twin->found false when there is none
 *	(or the engine compares bytes).  Returns SQL's failure or SQL_OK.
 */
enum sql_rc sync_key_twin(struct sql_conn *conn, const struct sync_name *tn,
			  const struct store_value *kv, struct sync_twin *twin);

/* sync_twin_message - the refusal of key kv for its twin, into err */
void	sync_twin_message(const struct sync_name *tn,
			  const struct store_value *kv,
			  const struct sync_twin *twin, char *err,
			  size_t errlen);

/*
 * sync_mark - the mark of what conn's snapshot reads (inside one) or of
 *	the database now (outside), with flags, into mark: false when
 *	there is none to record or to check (the engine cannot say, or
 *	res holds warnings to say again).
 *	(sync_quick.c)
 */
bool	sync_mark(struct sql_conn *conn, unsigned flags,
		  const struct sql_sync_result *res, char mark[STORE_MARK_MAX]);

/*
 * sync_quick_unchanged - is the store still what the last sync from
 *	this very SQL state made it?  Then res->unchanged and res->seq
 *	are set, and nothing needs reading.  (sync_quick.c)
 */
bool	sync_quick_unchanged(struct sql_conn *conn, struct store *st,
			     unsigned flags, struct sql_sync_result *res);

/* sync_param - a store value as a bound parameter. */
struct sql_value sync_param(const struct store_value *v);

#endif
