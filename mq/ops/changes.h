/*
 * NAME
 *	changes.h - the change feed: the log's records as mq shows them
 * SYNOPSIS
 *	#include "mq/ops/changes.h"
 *
 *	changes_start(st, &since, &pos, &oldest);
 *	while (...) {
 *		changes_read(st, &pos, &filter, CHANGES_CHUNK, show, arg,
 *			     &more, &oldest);
 *		... wait on store_watch_open()'s descriptor unless more ...
 *	}
 * DESCRIPTION
 *	mq watch and GET /v1/changes read the store's change log
 *	(store_changes_after and friends) from a position, a part at a
 *	time, each part under one short read transaction, and present
 *	each record through a callback.  What a record shows is decided
 *	here once for both faces: the operation's name, the table (or
 *	list root), the key, and for a put the row's columns without the
 *	secret ones (REG_SECRET: dkim_keys.privatekey); a list create's
 *	secret key is never shown.  changes_json writes the one JSON line
 *	both faces send.
 * DIAGNOSTICS
 *	RESULT_NOTFOUND when the log no longer reaches back to the
 *	position (pruned): *oldest then holds the oldest sequence kept
 *	whole.  RESULT_BADDATA for a bad sequence or table name.  Store
 *	failures as ops_store_fail reports them.
 */
#ifndef MQ_OPS_CHANGES_H
#define MQ_OPS_CHANGES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

#define CHANGES_TABLES_MAX 16		/* --table / table= given at most */
#define CHANGES_CHUNK	(64 << 10)	/* bytes one read hands over */

/* Where a reader stands: the next record to read. */
struct changes_pos {
	uint64_t seq;
	uint32_t index;
};

/* The tables (or list roots) asked for; none: every record. */
struct changes_filter {
	char table[CHANGES_TABLES_MAX][REG_NAME_MAX];
	int n;
};

/* One record as the feed shows it; valid during the callback only. */
struct change_view {
	uint64_t seq;
	const char *op;		/* put, del, list-create, list-drop, overflow */
	const char *table;	/* the table, the list root, "" (overflow) */
	const struct reg_table *t;	/* put, del: the table's entry */
	struct store_value key[REG_MAX_KEY];	/* put, del */
	const char *key_name[REG_MAX_KEY];	/* "rowid": a keyless table */
	int nkey;
	const struct store_row *row;	/* put: the row */
	int col[REG_MAX_COLS];	/* put: the columns shown, in order */
	int ncol;
};

/*
 * changes_fn - present one record; returns the bytes it added to the
 *	caller's output (what changes_read's budget counts).
 */
typedef size_t (*changes_fn)(const struct change_view *v, void *arg);

/*
 * changes_recheck_ms - how long after a wake-up of the store's watch
 *	(store_watch_open) to read the log again, the attempt-th time from
 *	0; -1 when done.  LMDB shows a commit to readers (its txnid in the
 *	lock file's shared map, which wakes no watch) a moment after the
 *	commit's last write to the data file woke the watch, so a read at
 *	once may miss it: these few reads catch it without polling.
 */
int	changes_recheck_ms(unsigned attempt);

/* changes_since_parse - a sequence number as typed; RESULT_BADDATA. */
enum result_kind changes_since_parse(const char *text, uint64_t *since);

/*
 * changes_filter_add - ask for table name too: a MailerQ table, a list
 *	table or a list root.  RESULT_BADDATA (no such table, too many).
 */
enum result_kind changes_filter_add(struct changes_filter *f,
				    const char *name);

/*
 * changes_start - the position after sequence *since, or after the
 *	store's current sequence when since is NULL (only what commits
 *	from now on).  RESULT_NOTFOUND when the log no longer holds every
 *	change after *since, with *oldest set and the message naming it.
 */
enum result_kind changes_start(struct store *st, const uint64_t *since,
			       struct changes_pos *pos, uint64_t *oldest);

/*
 * changes_read - the records from *pos that f lets through, to fn, in
 *	order, until the log ends or fn has added budget bytes: then *more
 *	is true.  *pos moves past what was read.  An overflow record
 *	always passes: its changes are lost and the reader must start
 *	again from a dump.  RESULT_NOTFOUND (the log was pruned past
 *	*pos: the reader fell too far behind) sets *oldest.
 */
enum result_kind changes_read(struct store *st, struct changes_pos *pos,
			      const struct changes_filter *f, size_t budget,
			      changes_fn fn, void *arg, bool *more,
			      uint64_t *oldest);

/*
 * changes_json - v as one line of JSON, newline included, malloc'd:
 *	{"seq":N,"op":"put","table":"T","key":{...},"row":{...}}.  A text
 *	that is not UTF-8 leaves key and row out for an "error" member.
 *	NULL: no memory.
 */
char	*changes_json(const struct change_view *v);

#endif
