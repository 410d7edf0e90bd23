/*
 * NAME
 *	write.h - every write of mq through one path: batches, run here
 * SYNOPSIS
 *	#include "mq/ops/write.h"
 * DESCRIPTION
 *	An operation that writes builds a struct sql_write batch
 *	(sql-compat/sync.h) and runs it with ops_write(): with a
 *	database-address set, ONE SQL transaction, then ONE store
 *	transaction; without one, one store transaction.  mq serve's
 *	writer runs the same batch: as a store body committed together
 *	with others (ops_write_grouped) or as a job of its own
 *	(ops_write_work).
 */
#ifndef MQ_OPS_WRITE_H
#define MQ_OPS_WRITE_H

#include <stdbool.h>

#include "sql-compat/sync.h"
#include "store/store.h"

/* ops_write_new - an empty batch for st; NULL: reported (no memory). */
struct sql_write *ops_write_new(struct store *st);

/*
 * ops_write_refused - RESULT_TRYAGAIN, with a message naming the
 *	primary, on a replica (cluster-role replica): it takes no write
 *	but its primary's (replicate/).  RESULT_OK elsewhere.
 */
enum result_kind ops_write_refused(void);

/*
 * ops_is_replica - does this process follow a primary: cluster-role
 *	replica, and not promoted since it started (ops_promoted)?
 */
bool	ops_is_replica(void);

/* ops_promoted - mq serve, once its replica became primary (mq promote) */
void	ops_promoted(void);

/*
 * ops_write - run w: SQL first when a database-address is set;
 *	refused on a replica (ops_write_refused).  RESULT_OK, or the failure's kind after reporting its message
 *	through ops_error (the batch keeps it: sql_write_errmsg).
 */
enum result_kind ops_write(struct sql_write *w);

/* ops_write_work - ops_write as a job of mq serve's writer (arg: w). */
int	ops_write_work(struct store *st, void *w);

/*
 * ops_write_grouped - may a batch's store part (sql_write_body) be
 *	committed together with other writes?  True without a
 *	database-address: there is no SQL part to run first.
 */
bool	ops_write_grouped(void);

/*
 * ops_write_failed - the kind of a failed job of the writer: a store
 *	body's status (an enum store_rc) or a work's result kind; *msg the
 *	batch's message, else err (the writer's own).
 */
enum result_kind ops_write_failed(const struct sql_write *w, bool body,
				  int status, const char *err,
				  const char **msg);

#endif
