/*
 * NAME
 *	validate.c - check, repair and purge the SQL tables of mq
 * SYNOPSIS
 *	#include "sql-compat/schema.h"
 *
 *	rc = sql_schema_check(conn, NULL, 0, print_issue, ctx, &n);
 *	rc = sql_schema_repair(conn, NULL, 0, print_statement, ctx);
 *	rc = sql_schema_purge(conn, NULL, print_statement, ctx);
 * DESCRIPTION
 *	The tables mq expects are every MailerQ table and, for each list
 *	root T, T plus each list suffix.  Lists are found in SQL as a
 *	table T next to a table T_slog, T being a valid root.
 *
 *	Validation compares the catalog with the registry: a missing
 *	table, a missing column, a column whose type is of another kind
 *	(integer, text, time) or shorter than mq's bound, and a column the
 *	registry does not have (an extra column, unless the caller keeps
 *	them: database-validate false).
 *
 *	A table of mq's name that does not look like mq's (table_is_mqs)
 *	belongs to another application: check reports it, repair and
 *	purge refuse to touch it unless told to adopt it.
 *
 *	Repair creates what is missing and drops extra columns; it never
 *	changes a column's type, which could lose data.  Purge drops and
 *	recreates every table.  With SQL_SCHEMA_PLAN both only show the
 *	statements they would run.  Both run in one transaction, which undoes
 *	the DDL on PostgreSQL and SQLite; MySQL commits each DDL
 *	statement by itself.
 * DIAGNOSTICS
 *	The sql_rc of the first failing statement; sql_errmsg() says
 *	which statement failed and why.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sql-compat/schema.h"

/* A set of names read from the catalog. */
struct name_set {
	char  **v;
	size_t	n, cap;
	bool	oom;
};

/* name_set_add - keep a copy of name */
static int name_set_add(void *ctx, const char *name)
{
	struct name_set *s = ctx;
	char  **v;

	if (s->n + 2 > s->cap) {
		size_t	cap = s->cap ? s->cap * 2 : 32;

		if ((v = realloc(s->v, cap * sizeof(*v))) == NULL) {
			s->oom = true;
			return 1;
		}
		s->v = v;
		s->cap = cap;
	}
	if ((s->v[s->n] = strdup(name)) == NULL) {
		s->oom = true;
		return 1;
	}
	s->v[++s->n] = NULL;
	return 0;
}

/* name_set_has - is name in the set? */
static bool name_set_has(const struct name_set *s, const char *name)
{
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->v[i], name) == 0)
			return true;
	return false;
}

/* name_set_free - release the names (the array is NULL-terminated) */
static void name_set_free(struct name_set *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
	*s = (struct name_set) {NULL, 0, 0, false};
}

/* schema_tables - the tables of the database */
static enum sql_rc schema_tables(struct sql_conn *conn, struct name_set *s)
{
	enum sql_rc rc = sql_list_tables(conn, name_set_add, s);

	if (rc == SQL_OK && s->oom)
		rc = sql_conn_fail(conn, SQL_INTERNAL, "list tables", "out of memory");
	return rc;
}

/* name_cmp - qsort order of strings */
static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *) a, *(char *const *) b);
}

/* sql_schema_lists - see sql.h */
enum sql_rc sql_schema_lists(struct sql_conn *conn, char ***roots)
{
	struct name_set tables = {0}, found = {0};
	const struct reg_table *t;
	char	root[REG_NAME_MAX];
	enum sql_rc rc;

	*roots = NULL;
	if ((rc = schema_tables(conn, &tables)) != SQL_OK) {
		name_set_free(&tables);
		return rc;
	}
	for (size_t i = 0; i < tables.n; i++) {
		t = reg_list_split(tables.v[i], root, sizeof(root));
		if (t && strcmp(t->name, "_slog") == 0 && reg_root_valid(root)
		    && name_set_has(&tables, root))
			name_set_add(&found, root);
	}
	name_set_free(&tables);
	if (found.v == NULL && !found.oom)
		found.oom = (found.v = calloc(1, sizeof(*found.v))) == NULL;
	if (found.oom) {
		name_set_free(&found);
		return sql_conn_fail(conn, SQL_INTERNAL, "list tables", "out of memory");
	}
	qsort(found.v, found.n, sizeof(*found.v), name_cmp);
	*roots = found.v;
	return SQL_OK;
}

/* sql_schema_lists_free - see sql.h */
void	sql_schema_lists_free(char **roots)
{
	for (size_t i = 0; roots && roots[i]; i++)
		free(roots[i]);
	free(roots);
}

/*
 * tables_lists_only - a list (T and T_slog), no MailerQ table, and no
 *	list with mq's split table T_name: lists ezmlm-idx 7 made.  Lists
 *	mq made (list-create writes them through, T_name included) leave
 *	the database one that mq fills whole.
 */
static bool tables_lists_only(const struct name_set *tables)
{
	const struct reg_table *t;
	char	root[REG_NAME_MAX], split[SQL_TABLE_NAME_MAX];
	bool	list = false;

	for (int i = 0; reg_mailerq[i]; i++)
		if (name_set_has(tables, reg_mailerq[i]->name))
			return false;
	for (size_t i = 0; i < tables->n; i++) {
		t = reg_list_split(tables->v[i], root, sizeof(root));
		if (!t || strcmp(t->name, "_slog") != 0 ||
		    !reg_root_valid(root) || !name_set_has(tables, root))
			continue;
		snprintf(split, sizeof(split), "%s" REG_SPLIT_SUFFIX, root);
		if (name_set_has(tables, split))
			return false;
		list = true;
	}
	return list;
}

/* sql_schema_lists_only - see sql.h */
enum sql_rc sql_schema_lists_only(struct sql_conn *conn, bool *yes)
{
	struct name_set tables = {0};
	enum sql_rc rc = schema_tables(conn, &tables);

	*yes = rc == SQL_OK && tables_lists_only(&tables);
	name_set_free(&tables);
	return rc;
}

/* One table mq expects: its SQL name and its registry entry. */
typedef enum sql_rc (*schema_table_fn)(void *ctx, const char *name,
				       const struct reg_table *t);

/* schema_each - call fn for every MailerQ table and each list's tables */
static enum sql_rc schema_each(const char *const *roots, schema_table_fn fn,
			       void *ctx)
{
	char	name[SQL_TABLE_NAME_MAX];
	enum sql_rc rc = SQL_OK;

	for (int i = 0; reg_mailerq[i] && rc == SQL_OK; i++)
		rc = fn(ctx, reg_mailerq[i]->name, reg_mailerq[i]);
	for (size_t r = 0; roots && roots[r] && rc == SQL_OK; r++)
		for (int i = 0; reg_list[i] && rc == SQL_OK; i++) {
			snprintf(name, sizeof(name), "%s%s", roots[r],
				 reg_list[i]->name);
			rc = fn(ctx, name, reg_list[i]);
		}
	return rc;
}

/* The columns of one table, as the catalog lists them. */
struct column_set {
	struct name_set names, types;
};

/* column_set_add - keep a column's name and type */
static int column_set_add(void *ctx, const struct sql_column_info *col)
{
	struct column_set *s = ctx;

	return name_set_add(&s->names, col->name)
		|| name_set_add(&s->types, col->type);
}

/* column_set_free - release a column set */
static void column_set_free(struct column_set *s)
{
	name_set_free(&s->names);
	name_set_free(&s->types);
}

/*
 * table_is_mqs - does an existing table with columns cols look like
 * mq's table t: every key column and at least half of t's columns?  A
 * list's tables always are: the operator named the list, and mq found
 * it by its T and T_slog pair.  MailerQ's names (locals, dns, ips, ...)
 * are the ones other applications use too.
 */
static bool table_is_mqs(const struct reg_table *t,
			 const struct column_set *cols)
{
	int	have = 0;

	if (t->family == REG_LIST)
		return true;
	for (int k = 0; k < t->nkey; k++)
		if (!name_set_has(&cols->names, t->cols[t->key[k]].name))
			return false;
	for (int c = 0; c < t->ncols; c++)
		have += name_set_has(&cols->names, t->cols[c].name);
	return 2 * have >= t->ncols;
}

/* foreign_columns - "name, city" (cols that are not t's), into buf */
static void foreign_columns(const struct reg_table *t,
			    const struct column_set *cols, char *buf,
			    size_t len)
{
	size_t	n = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < cols->names.n && n < len; i++)
		if (reg_column_index(t, cols->names.v[i]) < 0)
			n += (size_t) snprintf(buf + n, len - n, "%s%s",
					       n ? ", " : "",
					       cols->names.v[i]);
}

/* schema_columns - the columns of table name */
static enum sql_rc schema_columns(struct sql_conn *conn, const char *name,
				  struct column_set *s)
{
	enum sql_rc rc = sql_list_columns(conn, name, column_set_add, s);

	if (rc == SQL_OK && (s->names.oom || s->types.oom))
		rc = sql_conn_fail(conn, SQL_INTERNAL, "list columns", "out of memory");
	return rc;
}

/* What schema_each's callbacks share. */
struct schema_run {
	struct sql_conn *conn;
	enum sql_engine engine;
	unsigned flags;
	struct name_set tables;
	sql_issue_cb issue_cb;
	sql_ddl_cb ddl_cb;
	void   *ctx;
	size_t	nissues;
	bool	stop;
	bool	lists_only;	/* tables_lists_only(&tables) */
};

/* is_surrogate - is column name the id mq gives table t in SQL? */
static bool is_surrogate(const struct schema_run *run,
			 const struct reg_table *t, const char *name)
{
	const char *id = sql_schema_surrogate(run->engine, t);

	return id && strcmp(id, name) == 0;
}

/*
 * lacks_surrogate - should the existing table (cols) have mq's id,
 *	and has it not?  Never on SQLite: its tables have a rowid, and
 *	ALTER TABLE cannot add a key there.
 */
static bool lacks_surrogate(const struct schema_run *run,
			    const struct reg_table *t,
			    const struct column_set *cols)
{
	const char *id = sql_schema_surrogate(run->engine, t);

	return id && run->engine != SQL_ENGINE_SQLITE
		&& !name_set_has(&cols->names, id);
}

/* schema_issue - format one issue and hand it to the callback */
static void schema_issue(struct schema_run *run, enum sql_issue_kind kind,
			 const char *table, const char *column, const char *found,
			 const struct reg_table *t, int col)
{
	struct sql_buf expected = SQL_BUF_INIT;
	struct sql_issue issue = {kind, table, column, found, NULL};
	char	text[512];

	if ((kind != SQL_ISSUE_EXTRA_COLUMN || !(run->flags & SQL_SCHEMA_KEEP_EXTRA))
	    && kind != SQL_ISSUE_NO_PRIMARY_KEY)
		run->nissues++;
	if (col >= 0) {
		sql_schema_type_name(&expected, run->engine, t, col);
		issue.expected = expected.oom ? NULL : expected.p;
	}
	switch (kind) {
	case SQL_ISSUE_MISSING_TABLE:
		snprintf(text, sizeof(text), "table %s: missing", table);
		break;
	case SQL_ISSUE_MISSING_COLUMN:
		snprintf(text, sizeof(text), "table %s: column %s: missing",
			 table, column);
		break;
	case SQL_ISSUE_WRONG_TYPE:
		snprintf(text, sizeof(text), "table %s: column %s: type %s, "
			 "expected %s", table, column, found,
			 issue.expected ? issue.expected : "?");
		break;
	case SQL_ISSUE_EXTRA_COLUMN:
		snprintf(text, sizeof(text), "table %s: column %s: not one of "
			 "mq's columns", table, column);
		break;
	case SQL_ISSUE_NO_PRIMARY_KEY:
		snprintf(text, sizeof(text), "table %s: no primary key, which "
			 "clusters that require one and logical replication "
			 "need (mq repair-database adds an auto-increment "
			 "column %s)", table, column);
		break;
	case SQL_ISSUE_FOREIGN_TABLE:
		snprintf(text, sizeof(text), "table %s: not mq's table (its "
			 "columns %s are not mq's); mq leaves it alone: rename "
			 "it, or take it over with mq repair-database --adopt",
			 table, found);
		break;
	}
	if (run->issue_cb && !run->stop && run->issue_cb(run->ctx, &issue, text))
		run->stop = true;
	sql_buf_free(&expected);
}

/*
 * absent_table - is table name (t) missing as a database only
 *	ezmlm-idx 7 made lacks it: an optional table, or a MailerQ table
 *	of a lists-only database?  (No issue: see sql.h.)
 */
static bool absent_table(const struct schema_run *run,
			 const struct reg_table *t)
{
	return sql_schema_optional_table(t)
		|| (t->family != REG_LIST && run->lists_only);
}

/* check_table - the issues of one table */
static enum sql_rc check_table(void *ctx, const char *name,
			       const struct reg_table *t)
{
	struct schema_run *run = ctx;
	struct column_set cols = {0};
	enum sql_rc rc;

	if (!name_set_has(&run->tables, name)) {
		if (absent_table(run, t))
			return SQL_OK;
		if ((rc = sql_table_denied(run->conn, name)) == SQL_OK)
			schema_issue(run, SQL_ISSUE_MISSING_TABLE, name, NULL,
				     NULL, t, -1);
		return rc;
	}
	if ((rc = schema_columns(run->conn, name, &cols)) != SQL_OK)
		return rc;
	if (!(run->flags & SQL_SCHEMA_ADOPT) && !table_is_mqs(t, &cols)) {
		char	theirs[256];

		foreign_columns(t, &cols, theirs, sizeof(theirs));
		schema_issue(run, SQL_ISSUE_FOREIGN_TABLE, name, NULL, theirs,
			     t, -1);
		column_set_free(&cols);
		return SQL_OK;
	}
	for (int c = 0; c < t->ncols; c++) {
		size_t	i;

		for (i = 0; i < cols.names.n; i++)
			if (strcmp(cols.names.v[i], t->cols[c].name) == 0)
				break;
		if (i == cols.names.n && !sql_schema_optional_column(t, c))
			schema_issue(run, SQL_ISSUE_MISSING_COLUMN, name,
				     t->cols[c].name, NULL, t, c);
		else if (i == cols.names.n)
			continue;
		else if (!sql_schema_type_ok(run->engine, t, c, cols.types.v[i]))
			schema_issue(run, SQL_ISSUE_WRONG_TYPE, name,
				     t->cols[c].name, cols.types.v[i], t, c);
	}
	for (size_t i = 0; i < cols.names.n; i++)
		if (reg_column_index(t, cols.names.v[i]) < 0
		    && !is_surrogate(run, t, cols.names.v[i])
		    && !(run->flags & SQL_SCHEMA_KEEP_EXTRA))
			schema_issue(run, SQL_ISSUE_EXTRA_COLUMN, name,
				     cols.names.v[i], cols.types.v[i], t, -1);
	if (lacks_surrogate(run, t, &cols))
		schema_issue(run, SQL_ISSUE_NO_PRIMARY_KEY, name,
			     sql_schema_surrogate(run->engine, t), NULL, t, -1);
	column_set_free(&cols);
	return SQL_OK;
}

/* schema_run_init - read the catalog's tables for a run */
static enum sql_rc schema_run_init(struct schema_run *run, struct sql_conn *conn,
				   unsigned flags)
{
	enum sql_rc rc;

	memset(run, 0, sizeof(*run));
	run->conn = conn;
	run->engine = sql_conn_engine(conn);
	run->flags = flags;
	if ((rc = schema_tables(conn, &run->tables)) == SQL_OK)
		run->lists_only = tables_lists_only(&run->tables);
	return rc;
}

/*
 * schema_roots - roots given, or those found in SQL (into *found, to be
 *	freed by the caller)
 */
static enum sql_rc schema_roots(struct sql_conn *conn, const char *const *given,
				char ***found, const char *const **roots)
{
	enum sql_rc rc = SQL_OK;

	*found = NULL;
	if (given == NULL)
		rc = sql_schema_lists(conn, found);
	*roots = given ? given : (const char *const *) *found;
	return rc;
}

/* sql_schema_check - see sql.h */
enum sql_rc sql_schema_check(struct sql_conn *conn, const char *const *roots,
			     unsigned flags, sql_issue_cb cb, void *ctx,
			     size_t *nissues)
{
	const char *const *use;
	struct schema_run run;
	char  **found = NULL;
	enum sql_rc rc;

	memset(&run, 0, sizeof(run));
	if ((rc = schema_roots(conn, roots, &found, &use)) == SQL_OK
	    && (rc = schema_run_init(&run, conn, flags)) == SQL_OK) {
		run.issue_cb = cb;
		run.ctx = ctx;
		rc = schema_each(use, check_table, &run);
		if (nissues)
			*nissues = run.nissues;
	}
	name_set_free(&run.tables);
	sql_schema_lists_free(found);
	return rc;
}

/* schema_show - a planned statement, shown and not run */
static enum sql_rc schema_show(void *ctx, const char *statement)
{
	struct schema_run *run = ctx;

	if (run->ddl_cb)
		run->ddl_cb(run->ctx, statement);
	return SQL_OK;
}

/*
 * schema_exec - run each statement of text (";\n"-separated, as the
 *	renderers write them) and show it to the callback; with
 *	SQL_SCHEMA_PLAN only show it
 */
static enum sql_rc schema_exec(struct schema_run *run, struct sql_buf *text)
{
	enum sql_rc rc = SQL_INTERNAL;

	if (!text->oom)
		rc = run->flags & SQL_SCHEMA_PLAN
			? sql_script_each(text->p, schema_show, run)
			: sql_exec_script(run->conn, text->p, run->ddl_cb,
					  run->ctx);
	if (rc == SQL_INTERNAL && (text->oom || run->flags & SQL_SCHEMA_PLAN))
		rc = sql_conn_fail(run->conn, SQL_INTERNAL, "schema",
				   "out of memory");
	sql_buf_reset(text);
	return rc;
}

/*
 * refuse_foreign - SQL_CONFIG when existing table name is not mq's and
 *	may not be adopted: repair and purge change nothing then
 */
static enum sql_rc refuse_foreign(struct schema_run *run, const char *name,
				  const struct reg_table *t)
{
	struct column_set cols = {0};
	char	theirs[256], why[512];
	enum sql_rc rc;

	if (run->flags & SQL_SCHEMA_ADOPT)
		return SQL_OK;
	if ((rc = schema_columns(run->conn, name, &cols)) != SQL_OK)
		return rc;
	if (table_is_mqs(t, &cols)) {
		column_set_free(&cols);
		return SQL_OK;
	}
	foreign_columns(t, &cols, theirs, sizeof(theirs));
	column_set_free(&cols);
	snprintf(why, sizeof(why), "table %s is not mq's (its columns %s are "
		 "not mq's): nothing was changed; rename it, or take it over "
		 "with mq repair-database --adopt", name, theirs);
	return sql_conn_fail(run->conn, SQL_CONFIG, name, "%s", why);
}

/*
 * leave_missing - with SQL_SCHEMA_NO_OPTIONAL, is table name (t), or
 *	its column c (c >= 0), left missing?  Only what a database made
 *	by ezmlm-idx 7 lacks (absent_table, an optional column) of a list
 *	whose main table is there already: a new list gets every table.
 */
static bool leave_missing(const struct schema_run *run, const char *name,
			  const struct reg_table *t, int c)
{
	char	root[REG_NAME_MAX];

	if (!(run->flags & SQL_SCHEMA_NO_OPTIONAL))
		return false;
	if (t->family != REG_LIST)
		return run->lists_only;
	if (c >= 0)	/* the table is there: a column is added to it */
		return sql_schema_optional_column(t, c);
	return sql_schema_optional_table(t)
		&& reg_list_split(name, root, sizeof(root)) == t
		&& name_set_has(&run->tables, root);
}

/* repair_table - create the table, or its missing columns; drop extras */
static enum sql_rc repair_table(void *ctx, const char *name,
				const struct reg_table *t)
{
	struct schema_run *run = ctx;
	struct sql_buf sql = SQL_BUF_INIT;
	struct column_set cols = {0};
	enum sql_rc rc;

	if (!name_set_has(&run->tables, name) &&
	    leave_missing(run, name, t, -1))
		return SQL_OK;
	if (!name_set_has(&run->tables, name)) {
		sql_schema_create(&sql, run->engine, name, t);
		rc = schema_exec(run, &sql);
		sql_buf_free(&sql);
		return rc;
	}
	if ((rc = refuse_foreign(run, name, t)) != SQL_OK ||
	    (rc = schema_columns(run->conn, name, &cols)) != SQL_OK)
		return rc;
	for (int c = 0; c < t->ncols; c++)
		if (!name_set_has(&cols.names, t->cols[c].name) &&
		    !leave_missing(run, name, t, c))
			sql_schema_add_column(&sql, run->engine, name, t, c);
	if (lacks_surrogate(run, t, &cols) && !(run->flags & SQL_SCHEMA_NO_OPTIONAL))
		sql_schema_add_surrogate(&sql, run->engine, name);
	for (size_t i = 0; i < cols.names.n; i++)
		if (reg_column_index(t, cols.names.v[i]) < 0
		    && !is_surrogate(run, t, cols.names.v[i])
		    && !(run->flags & (SQL_SCHEMA_KEEP_EXTRA | SQL_SCHEMA_NO_DROP)))
			sql_schema_drop_column(&sql, run->engine, name,
					       cols.names.v[i]);
	column_set_free(&cols);
	rc = schema_exec(run, &sql);
	sql_buf_free(&sql);
	return rc;
}

/* purge_table - drop the table if it is there, and create it empty */
static enum sql_rc purge_table(void *ctx, const char *name,
			       const struct reg_table *t)
{
	struct schema_run *run = ctx;
	struct sql_buf sql = SQL_BUF_INIT;
	enum sql_rc rc;

	if (name_set_has(&run->tables, name)) {
		if ((rc = refuse_foreign(run, name, t)) != SQL_OK)
			return rc;
		sql_schema_drop_table(&sql, run->engine, name);
	}
	sql_schema_create(&sql, run->engine, name, t);
	rc = schema_exec(run, &sql);
	sql_buf_free(&sql);
	return rc;
}

/*
 * probe_hidden - SQL_CONFIG when table name, which the catalog does
 *	not list and repair would create, is there but closed to the
 *	user: "no permission", not a CREATE that fails as "already
 *	exists".  Run before the transaction (sql_table_denied).
 */
static enum sql_rc probe_hidden(void *ctx, const char *name,
				const struct reg_table *t)
{
	struct schema_run *run = ctx;

	if (name_set_has(&run->tables, name) || leave_missing(run, name, t, -1))
		return SQL_OK;
	return sql_table_denied(run->conn, name);
}

/* schema_rollback - undo, keeping the message of the failure that led here */
static void schema_rollback(struct sql_conn *conn)
{
	char	why[SQL_ERRMSG_SIZE];
	enum sql_rc rc = conn->last_rc;

	memcpy(why, conn->errmsg, sizeof(why));
	sql_rollback(conn);
	memcpy(conn->errmsg, why, sizeof(why));
	conn->last_rc = rc;
}

/* schema_change - run fn over every table in one transaction */
static enum sql_rc schema_change(struct sql_conn *conn, const char *const *roots,
				 unsigned flags, schema_table_fn fn,
				 sql_ddl_cb cb, void *ctx)
{
	const char *const *use;
	struct schema_run run;
	char  **found = NULL;
	enum sql_rc rc;

	memset(&run, 0, sizeof(run));
	if ((rc = schema_roots(conn, roots, &found, &use)) == SQL_OK
	    && (rc = schema_run_init(&run, conn, flags)) == SQL_OK
	    && (rc = schema_each(use, probe_hidden, &run)) == SQL_OK
	    && (rc = sql_begin(conn)) == SQL_OK) {
		run.ddl_cb = cb;
		run.ctx = ctx;
		rc = schema_each(use, fn, &run);
		if (rc == SQL_OK)
			rc = sql_commit(conn);
		else
			schema_rollback(conn);
	}
	name_set_free(&run.tables);
	sql_schema_lists_free(found);
	return rc;
}

/* sql_schema_repair - see sql.h */
enum sql_rc sql_schema_repair(struct sql_conn *conn, const char *const *roots,
			      unsigned flags, sql_ddl_cb cb, void *ctx)
{
	return schema_change(conn, roots, flags, repair_table, cb, ctx);
}

/* sql_schema_purge - see sql.h */
enum sql_rc sql_schema_purge(struct sql_conn *conn, const char *const *roots,
			     unsigned flags, sql_ddl_cb cb, void *ctx)
{
	return schema_change(conn, roots, flags, purge_table, cb, ctx);
}

/* sql_ddl_destroys - see sql.h: the renderers' DROP statements */
bool	sql_ddl_destroys(const char *statement)
{
	return strncmp(statement, "DROP TABLE", 10) == 0 ||
	       strstr(statement, " DROP COLUMN ") != NULL;
}

/* sql_schema_sync_serial - see sql.h: the driver's sequence reset */
enum sql_rc sql_schema_sync_serial(struct sql_conn *conn, const char *name,
				   const struct reg_table *t)
{
	for (int c = 0; c < t->ncols; c++)
		if (t->cols[c].flags & REG_AUTO)
			return sql_serial_reset(conn, name, t->cols[c].name);
	return SQL_OK;
}
