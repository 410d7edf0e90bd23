/*
 * NAME
 *	list_write.h - a list's writes: subscribe, unsubscribe, create, drop,
 *	import
 * SYNOPSIS
 *	#include "mq/ops/list_write.h"
 * DESCRIPTION
 *	Each is a batch of the one write path (write.h): with a
 *	database-address set SQL first (SQL decides what is present; the
 *	list's tables are created or dropped there too), then the store.
 *	The *_batch forms hand the batch to a caller that runs it (mq
 *	serve's writer); the others run it at once.
 */
#ifndef MQ_OPS_LIST_WRITE_H
#define MQ_OPS_LIST_WRITE_H

#include <stdbool.h>
#include <stddef.h>

#include "import/import.h"
#include "sql-compat/sync.h"
#include "store/store.h"

/*
 * list_sub_batch - subscribe (add) or unsubscribe the n requests to
 *	list root's table which; sql_write_out(w, 0) has the counts and,
 *	when one request is refused, its index.  The requests must live
 *	as long as the batch.  NULL: reported.
 */
struct sql_write *list_sub_batch(struct store *st, const char *root,
				 enum sub_table which, bool add,
				 const struct sub_request *r, size_t n);

/*
 * list_address - an address as given to sub (add), unsub or issub,
 *	reduced to the address ("Name <a@b>", "<a@b>", blanks around:
 *	addr_reduce), *addr pointing into in.  A subscribe also checks it
 *	as RFC 5321 writes it (addr_check); unsub and issub do not, so
 *	that an address SQL or an ezmlm directory brought in as it was
 *	can still be asked for and removed.  false with "address 'X':
 *	reason" in err.
 */
bool list_address(const char *in, size_t len, bool add, const char **addr,
		  size_t *alen, char *err, size_t errlen);

/*
 * list_address_stored - list_address (not a subscribe), then the form
 *	the store keeps (sub_address) into out, SUB_ADDR_MAX + 1 bytes:
 *	the address issub looks for.  false with the reason in err.
 */
bool list_address_stored(const char *in, size_t len, char *out,
			 size_t *outlen, char *err, size_t errlen);

/*
 * list_sub - each request's address through list_address (reduced in
 *	place), then list_sub_batch run at once.  RESULT_OK with *counts,
 *	or the failure's kind after reporting: RESULT_BADDATA for a list
 *	that does not exist or a request refused (*failed its index, else
 *	SIZE_MAX).
 */
enum result_kind list_sub(struct store *st, const char *root,
			  enum sub_table which, bool add,
			  struct sub_request *r, size_t n,
			  struct sub_counts *counts, size_t *failed);

/*
 * list_create_batch - create list root with a new random secret key;
 *	sql_write_out(w, 0)->exists tells a refusal because it exists.
 * list_drop_batch - drop list root with every row of its tables.
 *	NULL: reported.
 */
struct sql_write *list_create_batch(struct store *st, const char *root);
struct sql_write *list_drop_batch(struct store *st, const char *root);

/* list_create, list_drop - the batches run at once; RESULT_OK or kind. */
enum result_kind list_create(struct store *st, const char *root);
enum result_kind list_drop(struct store *st, const char *root);

/*
 * list_import - mq import: list root from path in format f.  Without a
 *	database-address the format loads it into the store; with one it
 *	is loaded into a scratch store first, then written as one batch,
 *	SQL first.  RESULT_OK with res's counts; when the source did not
 *	load, *lrc says why (not reported: res->err has it); any other
 *	failure is reported, its kind returned.
 */
enum result_kind list_import(struct store *st, const struct import_format *f,
			     const char *path, const char *root,
			     const struct import_options *opt,
			     struct import_result *res, enum import_rc *lrc);

#endif
