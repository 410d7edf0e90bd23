/*
 * NAME
 *	write_int.h - what the files of the write path share
 * DESCRIPTION
 *	A batch (struct sql_write) is an array of changes.  With SQL
 *	authoritative each change's SQL part (write_row.c, write_sub.c,
 *	write_list.c) runs in the one SQL transaction and leaves in the
 *	change what SQL decided: the row as SQL holds it, the addresses
 *	that changed, whether a row was new.  The store part (write.c)
 *	then applies exactly that; without SQL it applies the change with
 *	the store's own semantics.  Private to sql-compat/write*.c.
 */
#ifndef MQ_SQL_WRITE_INT_H
#define MQ_SQL_WRITE_INT_H

#include "sql-compat/sync_int.h"

enum wkind { W_SET, W_DEL, W_ADD, W_SUB, W_LIST_CREATE, W_LIST_DROP,
	     W_ROWS };

/* One address of a subscribe or unsubscribe, as SQL decided it. */
struct witem {
	const char *addr;	/* as stored (sub_address) */
	size_t	len;
	int	hash;
	char	dom[SUB_DOMAIN_MAX + 1];
	bool	changed;
	char	*gone;		/* unsub: the rows removed, as stored, each
				 * NUL-terminated (malloc'ed) */
	size_t	gone_len;
};

/* One change of a batch. */
struct wchange {
	enum wkind kind;
	char	name[SQL_TABLE_NAME_MAX];	/* the table, or a list root */
	const struct reg_table *t;	/* SQL mode: the table's entry */
	/* inputs, the caller's */
	const struct store_assign *a;
	int	na;
	const struct store_filter *f;
	int	nf;
	int	same;			/* add: the column that must agree */
	const char *conflict;
	enum sub_table which;		/* sub */
	bool	add;
	const struct sub_request *req;
	size_t	nreq;
	uint8_t	*key;			/* list create: a copy, wiped */
	size_t	keylen;
	sql_write_rows_fn each;		/* rows */
	void   *each_arg;
	/* outputs */
	struct sql_write_out out;
	/* what SQL decided, for the store part */
	struct store_row *row;		/* set: the row read back */
	char   *mem;			/* its texts, and the items' */
	struct store_assign *full;	/* set (keyless) and add: with the
					 * defaults SQL got */
	int	nfull;
	char	now[32];		/* the time of those defaults */
	struct witem *items;		/* sub: the requests checked */
	bool	skip;			/* add: SQL had the row already */
	uint32_t created;		/* list create: reg_list tables it
					 * made in SQL (bit per table) */
	bool	emptied;		/* list create: over a list dropped
					 * earlier in the batch */
};

/* The columns SQL has for one table, asked once per batch. */
struct wtable {
	struct sync_name tn;
	struct sync_cols cols;
};

struct sql_write {
	struct store *st;
	unsigned flags;
	struct wchange *c;
	size_t	n, cap;
	bool	oom;
	struct sql_conn *conn;		/* during sql_write_run */
	struct wtable *tabs;
	size_t	ntabs;
	size_t	cur;			/* the change being written */
	enum result_kind early;		/* refused while being built */
	enum result_kind kind;
	char	err[SQL_SYNC_ERR_MAX];
};

/*
 * write_fail - the batch fails with kind and the formatted reason,
 *	"row N: " in front when the batch has several changes.  Returns kind.
 */
enum result_kind write_fail(struct sql_write *w, enum result_kind kind,
			    const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* write_sql_fail - the connection's last failure, as write_fail. */
enum result_kind write_sql_fail(struct sql_write *w, enum sql_rc rc);

/* write_table - the SQL columns of c's table (asked once per batch). */
enum result_kind write_table(struct sql_write *w, const struct wchange *c,
			     struct wtable **out);

/* write_defaults - c's assignments and the registry defaults of the
 *	columns left out, into c->full (the time "now" into c->now). */
enum result_kind write_defaults(struct sql_write *w, struct wchange *c);

/* The SQL part of each kind, in the open transaction. */
enum result_kind write_sql_set(struct sql_write *w, struct wchange *c);
enum result_kind write_sql_del(struct sql_write *w, struct wchange *c);
enum result_kind write_sql_add(struct sql_write *w, struct wchange *c);
enum result_kind write_sql_sub(struct sql_write *w, struct wchange *c);
enum result_kind write_sql_list_create(struct sql_write *w,
				       struct wchange *c);
enum result_kind write_sql_list_drop(struct sql_write *w, struct wchange *c);
enum result_kind write_sql_rows(struct sql_write *w, struct wchange *c);

/*
 * write_sub_check - check and normalize the requests of c into
 *	c->items before anything is written; a bad one fails the batch
 *	(out.failed its index).
 */
enum result_kind write_sub_check(struct sql_write *w, struct wchange *c);

/*
 * write_ddl_before, write_ddl_after - on an engine whose DDL commits
 *	(MySQL): create the tables of the batch's new lists before its
 *	transaction, drop those of its dropped lists after the commit.
 *	write_ddl_undo drops again what write_ddl_before created.
 */
enum result_kind write_ddl_before(struct sql_write *w);
enum result_kind write_ddl_after(struct sql_write *w);
void	write_ddl_undo(struct sql_write *w);

/*
 * write_prepare_insert - "INSERT INTO table (every column of t SQL has)
 *	VALUES (?, ...)" prepared on conn.  *absent gets the optional
 *	columns SQL lacks (sql.h; bit i for column i): pass each row's
 *	values through write_present() before running it.
 */
enum sql_rc write_prepare_insert(struct sql_conn *conn, const char *table,
				 const struct reg_table *t, unsigned *absent,
				 struct sql_stmt **out);

/* write_present - v[0..t->ncols) without the absent columns, in place */
void	write_present(struct sql_value *v, const struct reg_table *t,
		      unsigned absent);

/* write_store_sub - the store part of a subscribe SQL decided. */
enum store_rc write_store_sub(struct store_txn *txn, struct wchange *c);

/*
 * write_list_op - does a change of kind on list root come before c
 *	(later false) or after it (later true) in the batch?
 */
bool	write_list_op(const struct sql_write *w, const struct wchange *c,
		      enum wkind kind, const char *root, bool later);

/* write_now - the current UTC time as a time column's text. */
void	write_now(char out[32]);

#endif
