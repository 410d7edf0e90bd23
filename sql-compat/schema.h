/*
 * NAME
 *	schema.h - mq's tables in SQL: DDL from the registry, validation,
 *	repair, purge and grants
 * SYNOPSIS
 *	#include "sql-compat/schema.h"
 * DESCRIPTION
 *	The statements that create, check and change the tables mq keeps
 *	in SQL, built from the registry (store/registry.h) in each
 *	engine's dialect, and run over a connection of sql.h.
 */
#ifndef MQ_SQL_SCHEMA_H
#define MQ_SQL_SCHEMA_H

#include "sql-compat/sql.h"

#define SQL_TABLE_NAME_MAX	(REG_NAME_MAX + 32)

/*
 * sql_schema_create - append to out the statements that create table
 *	name (a MailerQ table, or a list root + t->name) in engine's
 *	dialect: CREATE TABLE, then its indexes, each statement ended by
 *	";\n".  List tables are those ezmlm-idx 7 creates for the engine,
 *	plus the seed's split columns.
 */
void	sql_schema_create(struct sql_buf *out, enum sql_engine engine,
			  const char *name, const struct reg_table *t);
/* sql_schema_add_column - "ALTER TABLE name ADD COLUMN ...;\n" */
void	sql_schema_add_column(struct sql_buf *out, enum sql_engine engine,
			      const char *name, const struct reg_table *t,
			      int col);
/* sql_schema_drop_column - "ALTER TABLE name DROP COLUMN c;\n" */
void	sql_schema_drop_column(struct sql_buf *out, enum sql_engine engine,
			       const char *name, const char *column);
/* sql_schema_drop_table - "DROP TABLE IF EXISTS name;\n" */
void	sql_schema_drop_table(struct sql_buf *out, enum sql_engine engine,
			      const char *name);
/* sql_schema_type_name - append the SQL type mq creates for column col. */
void	sql_schema_type_name(struct sql_buf *out, enum sql_engine engine,
			     const struct reg_table *t, int col);
/*
 * sql_schema_type_ok - does a column the engine lists as type fit
 *	registry column c (same kind: integer, text or time)?
 */
bool	sql_schema_type_ok(enum sql_engine engine, const struct reg_table *t,
			   int col, const char *type);

/*
 * What a database may lack (no issue; sync takes it as it is): mq's
 * additions to ezmlm-idx 7's tables, the split tables (a list without is
 * unsplit) and the address tables' domain (computed, never written), and
 * mq's own tables of MailerQ's kind (registry.h's mq_only: empty when
 * absent; repair-database and sync --to-sql create them).
 */
bool	sql_schema_optional_table(const struct reg_table *t);
bool	sql_schema_optional_column(const struct reg_table *t, int col);

/*
 * sql_schema_surrogate - the name of the auto-increment primary key
 *	mq gives a table the registry keys by nothing (T_slog) or that
 *	ezmlm-idx keeps without a key (MySQL's address tables): "id";
 *	NULL for the others.  The column is SQL's alone: sync neither
 *	reads nor writes it, check-database does not call it extra, and
 *	reports a table without it (SQL_ISSUE_NO_PRIMARY_KEY, not counted
 *	as a problem: ezmlm-idx's own tables lack it); repair-database
 *	adds it (sql_schema_add_surrogate; not SQLite, which cannot add
 *	a key to a table and gives every table a rowid).
 */
const char *sql_schema_surrogate(enum sql_engine engine,
				 const struct reg_table *t);
void	sql_schema_add_surrogate(struct sql_buf *out, enum sql_engine engine,
				 const char *name);

/* What validation finds, table by table and column by column. */
enum sql_issue_kind {
	SQL_ISSUE_MISSING_TABLE,	/* column is NULL */
	SQL_ISSUE_MISSING_COLUMN,
	SQL_ISSUE_WRONG_TYPE,		/* found: the engine's type */
	SQL_ISSUE_EXTRA_COLUMN,		/* not in the registry */
	SQL_ISSUE_FOREIGN_TABLE,	/* a table of mq's name that is
					 * not mq's (sql_schema_check) */
	SQL_ISSUE_NO_PRIMARY_KEY,	/* no primary key: column is the
					 * one repair adds (not counted) */
};

struct sql_issue {
	enum sql_issue_kind kind;
	const char *table;
	const char *column;	/* NULL for a table */
	const char *found;	/* the type found, or NULL */
	const char *expected;	/* the type mq creates, or NULL */
};

/*
 * Called for each issue; the text is one line without a newline:
 * "table capacity: column secure: missing".  A non-zero return stops.
 */
typedef int (*sql_issue_cb)(void *ctx, const struct sql_issue *issue,
			    const char *text);

/*
 * Called for each statement repair or purge runs (after it succeeded),
 * e.g. "ALTER TABLE \"capacity\" ADD COLUMN ...", for printing.
 */
typedef void (*sql_ddl_cb)(void *ctx, const char *statement);

/* Flags of the schema operations. */
#define SQL_SCHEMA_KEEP_EXTRA	0x01	/* database-validate false: extra
					 * columns are neither reported
					 * nor dropped */
#define SQL_SCHEMA_NO_DROP	0x02	/* create missing tables and
					 * columns only (sync --to-sql) */
#define SQL_SCHEMA_ADOPT	0x04	/* treat tables that are not mq's
					 * as mq's: repair and purge may
					 * change them (--adopt) */
#define SQL_SCHEMA_PLAN		0x08	/* repair, purge: run nothing, hand
					 * each statement they would run to
					 * the callback */
#define SQL_SCHEMA_NO_OPTIONAL	0x10	/* repair leaves the above and a
					 * lists-only database's MailerQ
					 * tables missing (sync --to-sql) */

/*
 * A table of a name mq uses is mq's own when it has every column of
 * the registry's key and at least half of the registry's columns (so
 * ezmlm-idx 7's tables, which lack a column or two mq adds, are mq's,
 * and another application's `locals (id, name, city)` is not).  Check
 * reports a table that is not mq's as SQL_ISSUE_FOREIGN_TABLE; repair,
 * purge and sync --to-sql refuse to touch it (SQL_CONFIG, nothing
 * changed) unless SQL_SCHEMA_ADOPT.
 */

/* sql_ddl_destroys - does a statement repair or purge renders drop data? */
bool	sql_ddl_destroys(const char *statement);

/*
 * sql_schema_lists - the list roots found in SQL (a table T with its
 *	T_slog, T a valid root), sorted.  *roots is a NULL-terminated
 *	array for sql_schema_lists_free().
 */
enum sql_rc sql_schema_lists(struct sql_conn *conn, char ***roots);
void	sql_schema_lists_free(char **roots);

/* sql_schema_lists_only - *yes: a list and no MailerQ table at all */
enum sql_rc sql_schema_lists_only(struct sql_conn *conn, bool *yes);

/*
 * sql_schema_check - validate every MailerQ table and the tables of
 *	every list in roots (NULL: those sql_schema_lists() finds).  cb
 *	gets each issue; *nissues (when not NULL) the count of issues
 *	that make the database invalid (extra columns count unless
 *	SQL_SCHEMA_KEEP_EXTRA, which also hides them).  Returns SQL_OK
 *	when validation ran, whatever it found.
 */
enum sql_rc sql_schema_check(struct sql_conn *conn, const char *const *roots,
			     unsigned flags, sql_issue_cb cb, void *ctx,
			     size_t *nissues);

/*
 * sql_schema_repair - create the missing tables and columns of every
 *	MailerQ table and of each list in roots (NULL: the lists found in
 *	SQL; roots given are created when missing), and drop extra
 *	columns unless flags say SQL_SCHEMA_KEEP_EXTRA or
 *	SQL_SCHEMA_NO_DROP.  A column of the wrong type is left alone
 *	(repair would lose its data) and stays an issue of
 *	sql_schema_check().  One transaction where the engine has
 *	transactional DDL (PostgreSQL, SQLite): a failure changes nothing
 *	there.  cb (may be NULL) sees each statement run.
 */
enum sql_rc sql_schema_repair(struct sql_conn *conn, const char *const *roots,
			      unsigned flags, sql_ddl_cb cb, void *ctx);

/*
 * sql_schema_purge - drop every MailerQ table and every table of each
 *	list in roots (NULL: the lists found in SQL) and create them
 *	empty.  cb sees each statement run.  flags: SQL_SCHEMA_ADOPT,
 *	SQL_SCHEMA_PLAN.
 */
enum sql_rc sql_schema_purge(struct sql_conn *conn, const char *const *roots,
			     unsigned flags, sql_ddl_cb cb, void *ctx);

/*
 * sql_schema_sync_serial - after rows with explicit auto-increment ids
 *	went into table name (registry entry t), make the next generated
 *	id follow the largest one (PostgreSQL identity sequences do not by
 *	themselves; elsewhere nothing to do).  Call it after sync --to-sql
 *	inserts, inside or after the transaction.
 */
enum sql_rc sql_schema_sync_serial(struct sql_conn *conn, const char *name,
				   const struct reg_table *t);

/*
 * sql_schema_grant - append GRANT statements for user (MySQL: at
 *	host, default '%') on every MailerQ table (SELECT, INSERT,
 *	UPDATE, DELETE; only when mailerq) and, for each list in roots
 *	(NULL-terminated; NULL for none), on its tables: the rights
 *	ezmlm-idx needs (all four on subscriber and split tables, SELECT
 *	and INSERT on logs and cookies).  Identity columns need no
 *	sequence grant on PostgreSQL.  Table names are unqualified.
 *	SQLite has no GRANT: out gets a comment saying so.
 */
void	sql_schema_grant(struct sql_buf *out, enum sql_engine engine,
			 const char *user, const char *host,
			 const char *const *roots, bool mailerq);

#endif
