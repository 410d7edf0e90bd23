/*
 * NAME
 *	list_sql.h - mq sub, mq unsub and mq import when SQL is authoritative
 * DESCRIPTION
 *	With a database-address set, mq's own writes go to SQL first
 *	(DESIGN.md section 7): the address rows and their _slog rows are
 *	written in one SQL transaction, which commits, and then exactly
 *	the same rows go into the store.
 */
#ifndef MQ_LIST_SQL_H
#define MQ_LIST_SQL_H

#include <stdbool.h>
#include <stddef.h>

#include "import/import.h"
#include "store/store.h"

/*
 * list_sub_through_sql - store_sub's work with SQL authoritative: SQL
 *	decides what is present (ASCII-case-insensitively), the changes
 *	and their slog rows are committed there, then put into the store.
 *	Returns 0 or a result kind; a bad request is RESULT_BADDATA with
 *	*failed its index and the reason in err (the caller reports it),
 *	anything else is reported here.
 */
int list_sub_through_sql(struct store *st, const char *root,
			 enum sub_table which, bool add,
			 const struct sub_request *r, size_t n,
			 struct sub_counts *counts, size_t *failed,
			 char *err, size_t errlen);

/*
 * list_import_through_sql - mq import with SQL authoritative: f loads
 *	path into a scratch store first; the list's tables are created in
 *	SQL when missing and filled in one SQL transaction; after the
 *	commit f loads path into st.  Returns 0 (res has the counts), an
 *	result kind (reported), or -1 when the directory did not load:
 *	*lrc and res->err say why, not yet reported.
 */
int list_import_through_sql(struct store *st, const struct import_format *f,
			    const char *path, const char *root,
			    const struct import_options *opt,
			    struct import_result *res, enum import_rc *lrc);

#endif
