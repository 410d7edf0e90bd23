/*
 * NAME
 *	http_rows.h - store rows written as JSON straight into an evbuffer
 * SYNOPSIS
 *	#include "mq/http/rows.h"
 * DESCRIPTION
 *	The table and lookup handlers answer with rows read inside a read
 *	transaction; writing them as JSON text into the reply's buffer
 *	costs no tree of objects (jansson) and no copy.  An object has the
 *	table's columns in registry order, then the extra columns kept
 *	from SQL; a secret column (REG_SECRET) only when asked for.
 *
 *	Text values must be UTF-8 (JSON cannot hold other bytes): a value
 *	that is not makes the call return false, and the caller answers
 *	an error instead of a truncated body.
 */
#ifndef MQ_HTTP_ROWS_H
#define MQ_HTTP_ROWS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <event2/buffer.h>

#include "store/store.h"

/*
 * http_put_int - v in decimal at p (room for 20 bytes); returns the end.
 *	No printf: answers are built on the hot path.
 */
char	*http_put_int(char *p, int64_t v);

/* http_json_string - s as a JSON string; false when it is not UTF-8. */
bool	http_json_string(struct evbuffer *out, const char *s, size_t len);

/* http_json_value - a store value as JSON (null, integer or string). */
bool	http_json_value(struct evbuffer *out, const struct store_value *v);

/*
 * http_json_row - row of table t as one JSON object, with the secret
 *	columns only when secrets is true.
 */
bool	http_json_row(struct evbuffer *out, const struct reg_table *t,
		      const struct store_row *row, bool secrets);

/*
 * A JSON array of rows being written (its brackets are the caller's):
 *	http_json_rows_put, a store_row_fn, appends one row and stops the
 *	scan at a text that is not UTF-8.
 */
struct http_json_rows {
	struct evbuffer *out;
	const struct reg_table *t;
	bool secrets;		/* with the secret columns */
	uint64_t n;		/* rows written */
	bool bad;		/* a text that is not UTF-8 */
};
int	http_json_rows_put(const struct store_row *row, void *arg);

/*
 * http_json_assigns - the columns given to a write (for rows that
 *	cannot be read back: a table without a key).
 */
bool	http_json_assigns(struct evbuffer *out, const struct reg_table *t,
			  const struct store_assign *a, int n, bool secrets);

/*
 * The reply's own output buffer is where a handler writes: begin gives
 * it (empty), send answers with its contents as application/json, and
 * abandon empties it before the handler answers an error instead.
 */
struct http_req;
struct evbuffer *http_json_begin(struct http_req *r);
void	http_json_send(struct http_req *r, int code);
void	http_json_abandon(struct http_req *r);

#endif
