/*
 * NAME
 *	list_write.c - subscribe, unsubscribe, list create and drop
 * SYNOPSIS
 *	#include "mq/ops/list_write.h"
 *
 *	kind = list_sub(st, "news", SUB_MAIN, true, req, n, &counts, &bad);
 *	kind = list_create(st, "news");
 * DESCRIPTION
 *	See list_write.h.  A list's secret key is made here, random, for
 *	the store (SQL has no place for it; a list that comes from SQL
 *	gets a random key of the store's own).
 * DIAGNOSTICS
 *	One line through ops_error (write.c); the result kind.
 */
#include <stdint.h>

#include "mq/ops/list_write.h"
#include "mq/ops/ops.h"
#include "mq/ops/write.h"

struct sql_write *list_sub_batch(struct store *st, const char *root,
				 enum sub_table which, bool add,
				 const struct sub_request *r, size_t n)
{
	struct sql_write *w = ops_write_new(st);

	if (w)
		sql_write_sub(w, root, which, add, r, n);
	return w;
}

enum result_kind list_sub(struct store *st, const char *root,
			  enum sub_table which, bool add,
			  const struct sub_request *r, size_t n,
			  struct sub_counts *counts, size_t *failed)
{
	struct sql_write *w = list_sub_batch(st, root, which, add, r, n);
	enum result_kind k = w ? ops_write(w) : RESULT_INTERNAL;

	*failed = w ? sql_write_out(w, 0)->failed : SIZE_MAX;
	if (!k)
		*counts = sql_write_out(w, 0)->counts;
	sql_write_free(w);
	/* subscribing to a list that is not there is a bad request */
	return k == RESULT_NOTFOUND ? RESULT_BADDATA : k;
}

struct sql_write *list_create_batch(struct store *st, const char *root)
{
	struct sql_write *w = ops_write_new(st);

	if (w)
		sql_write_list_create(w, root, NULL, 0);
	return w;
}

struct sql_write *list_drop_batch(struct store *st, const char *root)
{
	struct sql_write *w = ops_write_new(st);

	if (w)
		sql_write_list_drop(w, root);
	return w;
}

/* run - a batch at once, freed after */
static enum result_kind run(struct sql_write *w)
{
	enum result_kind k = w ? ops_write(w) : RESULT_INTERNAL;

	sql_write_free(w);
	return k;
}

enum result_kind list_create(struct store *st, const char *root)
{
	return run(list_create_batch(st, root));
}

enum result_kind list_drop(struct store *st, const char *root)
{
	return run(list_drop_batch(st, root));
}
