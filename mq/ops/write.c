/*
 * NAME
 *	write.c - the operations' write: a batch, SQL first when configured
 * SYNOPSIS
 *	#include "mq/ops/write.h"
 *
 *	kind = ops_write(batch);
 * DESCRIPTION
 *	See write.h.  The SQL connection of a write is taken with
 *	ops_sql_acquire() (mq serve's one session, or a new connection in a
 *	command) and given back with the result of the write.
 * DIAGNOSTICS
 *	The batch's one line (or the connection's) through ops_error; the
 *	result kind.
 */
#include <stdatomic.h>
#include <stdio.h>

#include "mq/config.h"
#include "mq/ops/ops.h"
#include "mq/ops/write.h"

struct sql_write *ops_write_new(struct store *st)
{
	struct sql_write *w = sql_write_new(st, ops_sync_flags());

	if (!w)
		ops_error("out of memory");
	return w;
}

/* Set by mq serve's main thread, read by its workers: atomic. */
static atomic_bool promoted;

bool	ops_is_replica(void)
{
	return mq_conf.cluster_role == CLUSTER_REPLICA &&
	       !atomic_load(&promoted);
}

void	ops_promoted(void)
{
	atomic_store(&promoted, true);
}

enum result_kind ops_write_refused(void)
{
	if (!ops_is_replica())
		return RESULT_OK;
	ops_error("this node is a replica: it takes writes only from its "
		  "primary; write to the primary at %s",
		  mq_conf.cluster_primary[0] ? mq_conf.cluster_primary
		  : "(cluster-primary is not set)");
	return RESULT_TRYAGAIN;
}

enum result_kind ops_write(struct sql_write *w)
{
	struct sql_conn *conn = NULL;
	enum result_kind k = ops_write_refused();

	if (k == RESULT_OK && mq_conf.database_address[0])
		k = ops_sql_acquire(&conn);
	if (k)
		return k;
	k = sql_write_run(w, conn);
	if (conn)
		ops_sql_release(conn, k);
	if (k)
		ops_error("%s", sql_write_errmsg(w));
	return k;
}

int	ops_write_work(struct store *st, void *w)
{
	(void)st;
	return ops_write(w);
}

bool	ops_write_grouped(void)
{
	/* a replica's writes run alone, as ops_write: to be refused */
	return !mq_conf.database_address[0] && !ops_is_replica();
}

enum result_kind ops_write_failed(const struct sql_write *w, bool body,
				  int status, const char *err,
				  const char **msg)
{
	bool own = sql_write_kind(w) != RESULT_OK;

	*msg = own ? sql_write_errmsg(w) : err;
	if (own)
		return sql_write_kind(w);
	return body ? store_rc_kind((enum store_rc)status)
		: (enum result_kind)status;
}
