/*
 * NAME
 *	sync_quick.c - sync --from-sql's quick check of an unchanged source
 * SYNOPSIS
 *	#include "sql-compat/sync_int.h"
 *
 *	if (sync_quick_unchanged(conn, st, flags, res)) nothing to read
 *	if (sync_mark(conn, flags, res, mark)) store_diff_mark(d, mark);
 * DESCRIPTION
 *	A source that can tell one committed state from every other (an
 *	SQLite file in rollback-journal mode: sql_identity) is marked in
 *	the store by the sync that read it (store_diff_mark: the store
 *	records it with its own state, only when no other writer wrote
 *	meanwhile).  The next sync asks the source for its identity now
 *	(without its lock: sqlite_copy.c); when the store still holds that
 *	mark, recorded by its own last write, neither side changed since
 *	and the sync has nothing to do: nothing read, no write
 *	transaction.  The mark holds the sync's flags too (another
 *	database-validate reads other rows) and a hash of the registry
 *	(another mq's tables and columns read other rows).
 *
 *	A sync that refused rows, kept odd addresses or read columns as
 *	their default records no mark: its warnings are said again at
 *	every sync.  SQL_SYNC_FULL, or MQ_SYNC_FULL=1 in the environment,
 *	skips the check (the full compare, as a benchmark measures it).
 * DIAGNOSTICS
 *	None: a source or store that cannot say means the full compare.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sql-compat/sync_int.h"

/* full_forced - does the caller or the environment want the full compare? */
static bool full_forced(unsigned flags)
{
	const char *e = getenv("MQ_SYNC_FULL");

	return (flags & SQL_SYNC_FULL) || (e && strcmp(e, "1") == 0);
}

/* fnv - FNV-1a of s (and its NUL) on top of h */
static uint64_t fnv(uint64_t h, const char *s)
{
	do
		h = (h ^ (unsigned char)*s) * 0x100000001b3ull;
	while (*s++);
	return h;
}

/*
 * registry_print - a hash of the tables and columns this mq syncs: an
 *	mq of another registry reads the same file into other rows.
 */
static uint64_t registry_print(void)
{
	const struct reg_table *const *fam[] = { reg_mailerq, reg_list };
	uint64_t h = 0xcbf29ce484222325ull;
	char	n[32];

	for (size_t f = 0; f < 2; f++)
		for (size_t i = 0; fam[f][i]; i++) {
			h = fnv(h, fam[f][i]->name);
			for (int c = 0; c < fam[f][i]->ncols; c++) {
				const struct reg_column *col = &fam[f][i]->cols[c];

				snprintf(n, sizeof(n), "%d %u %zu",
					 (int)col->type, col->flags,
					 col->maxlen);
				h = fnv(fnv(fnv(h, col->name), n),
					col->dflt ? col->dflt : "");
			}
		}
	return h;
}

/* sync_mark - see sync_int.h */
bool	sync_mark(struct sql_conn *conn, unsigned flags,
		  const struct sql_sync_result *res, char mark[STORE_MARK_MAX])
{
	char	id[SQL_IDENTITY_MAX];
	int	n;

	if (res->refused || res->odd_addresses ||
	    *res->defaulted || sql_identity(conn, id, sizeof(id)) != SQL_OK ||
	    !*id)
		return false;
	n = snprintf(mark, STORE_MARK_MAX, "sync --from-sql registry %016"
		     PRIx64 " flags %#x %s", registry_print(),
		     flags & ~(unsigned)SQL_SYNC_FULL, id);
	return n > 0 && n < STORE_MARK_MAX;
}

/* sync_quick_unchanged - see sync_int.h */
bool	sync_quick_unchanged(struct sql_conn *conn, struct store *st,
			     unsigned flags, struct sql_sync_result *res)
{
	char	mark[STORE_MARK_MAX];
	struct store_meta m;
	struct store_txn *txn;
	bool	same;

	if (full_forced(flags) || !sync_mark(conn, flags, res, mark) ||
	    store_read_begin(st, &txn))
		return false;
	same = store_mark_current(txn, mark) &&
		store_meta_get(txn, &m) == STORE_OK;
	store_read_end(txn);
	if (same) {
		res->unchanged = true;
		res->seq = m.seq;
	}
	return same;
}
