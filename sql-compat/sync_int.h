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

/* How a SELECT of a table lists its columns. */
struct sync_cols {
	int nsel;				/* columns selected */
	char extra[STORE_MAX_EXTRA][REG_NAME_MAX];	/* after the registry's */
	int nextra;
	bool no_table;		/* an absent table (sql.h): no rows */
	unsigned absent;	/* bit i: registry column i is absent (an
				 * optional one): selected as NULL, computed,
				 * never written */
	char domain[SUB_DOMAIN_MAX + 1];	/* a computed domain */
};

/* sync_col_absent - is registry column i absent from SQL's table? */
static inline bool sync_col_absent(const struct sync_cols *c, int i)
{
	return i < REG_MAX_COLS && (c->absent >> i & 1u);
}

/*
 * sync_names - every MailerQ table, then the tables of each root.
 *	Returns the array (free()) or NULL without memory.
 */
struct sync_name *sync_names(const char *const *roots, size_t nroots,
			     size_t *n);

/*
 * sync_columns - check that SQL table name has every registry column
 *	and, with SQL_SYNC_KEEP_EXTRA, note its other columns.  Returns 0
 *	or an exit status with err set.
 */
int	sync_columns(struct sql_conn *conn, const struct sync_name *tn,
		     unsigned flags, struct sync_cols *cols, char *err,
		     size_t errlen);

/*
 * sync_select - "SELECT registry cols, extras FROM name ORDER BY key",
 *	the key in the store's order (bytes, ASCII case folded where the
 *	store folds it), so that store_diff_table() merges.
 */
void	sync_select(struct sql_buf *b, enum sql_engine engine,
		    const struct sync_name *tn, const struct sync_cols *cols);

/*
 * sync_row_parse - one SQL row (as selected by sync_select) into a store
 *	row whose values point into v (an absent column's, computed, into
 *	cols).  Returns 0, or RESULT_BADDATA
 *	with err naming table, column and row key.
 */
int	sync_row_parse(const struct sync_name *tn, struct sync_cols *cols,
		       const struct sql_value *v, size_t n,
		       struct store_row *row, char *err, size_t errlen);

/* sync_note_dropped - add root to res->dropped (" ..." once full). */
void	sync_note_dropped(struct sql_sync_result *res, const char *root);

/* sync_sql_fail - copy the connection's message into err; result kind. */
int	sync_sql_fail(struct sql_conn *conn, enum sql_rc rc, char *err,
		      size_t errlen);

/* sync_store_fail - the store's message into err; result kind. */
int	sync_store_fail(struct store *st, enum store_rc rc, char *err,
			size_t errlen);

/* sync_param - a store value as a bound parameter. */
struct sql_value sync_param(const struct store_value *v);

#endif
