/*
 * NAME
 *	msg_status.c - mq status: T_mlog's codes read in either vocabulary
 * SYNOPSIS
 *	#include "mq/ops/msg_write.h"
 *
 *	rc = msg_status_read(txn, "team", false, 10, &rows, &n);
 * DESCRIPTION
 *	Two programs write T_mlog with different codes.  The seed (and mq
 *	mlog) write 0 arrival, 1 processed, 2 receipt, -1 bounce;
 *	ezmlm-idx 7 writes 1 when the main list tags a message, 3 when a
 *	sublist accepts and sends it (list number: its hash_lo + 1), 4
 *	when a list sends it (list number: its hash_lo, 0 at the main
 *	list), 5 for a receipt, -1 for a bounce, and 2 when ezmlm-get
 *	sends a digest chunk.  The store hands over every row's raw code;
 *	here each message (all its rows) is given one vocabulary:
 *	  - a 0 or 2 anywhere makes it the seed's, then a 3, 4 or 5
 *	    ezmlm-idx 7's (2 is ezmlm-idx 7's only in the digest's log);
 *	  - a message with only 1 and -1 (tagged and not yet sent, or an
 *	    old message) takes the vocabulary most rows shown have,
 *	    the seed's on a tie.
 *	ezmlm-idx 7's codes then fill the status columns: 1 arrival,
 *	3 and 4 processed (3 is also the sublist's arrival, which
 *	ezmlm-idx 7 does not log apart), 5 receipt, -1 bounce.
 * DIAGNOSTICS
 *	As mlist_status_collect.
 */
#include <string.h>

#include "mq/ops/msg_write.h"

#define CODE(c)	((c) - MLIST_CODE_MIN)	/* a code's index in have_code */

enum vocab { VOCAB_NONE, VOCAB_SEED, VOCAB_EZMLM7 };

/* row_vocab - the vocabulary one row's codes show, if any */
static enum vocab row_vocab(const struct mlist_status *r, bool digest)
{
	if (r->have_code[CODE(0)] || (!digest && r->have_code[CODE(2)]))
		return VOCAB_SEED;
	if (r->have_code[CODE(3)] || r->have_code[CODE(4)] ||
	    r->have_code[CODE(5)] || r->have_code[CODE(2)])
		return VOCAB_EZMLM7;
	return VOCAB_NONE;
}

/*
 * message_vocab - the vocabulary of the message whose rows start at
 *	rows[i] (a seed row wins); *end gets the index after them.  The
 *	rows come ordered by message (mlist_status_collect), so one
 *	message's rows are adjacent.
 */
static enum vocab message_vocab(const struct mlist_status *rows, size_t n,
				size_t i, bool digest, size_t *end)
{
	enum vocab v = VOCAB_NONE;
	size_t j;

	for (j = i; j < n && rows[j].msgnum == rows[i].msgnum; j++) {
		enum vocab rv = row_vocab(&rows[j], digest);

		if (v != VOCAB_SEED && rv != VOCAB_NONE)
			v = rv;
	}
	*end = j;
	return v;
}

/* take_code - status column ev gets the entry of code c, if it has one */
static void take_code(struct mlist_status *r, int ev, int c)
{
	if (!r->have_code[CODE(c)] || r->have[ev])
		return;
	r->have[ev] = true;
	memcpy(r->tai[ev], r->code_tai[CODE(c)], sizeof(r->tai[ev]));
}

/* as_ezmlm7 - the status columns of r from ezmlm-idx 7's codes */
static void as_ezmlm7(struct mlist_status *r)
{
	memset(r->have, 0, sizeof(r->have));
	take_code(r, MLIST_ARRIVAL, 1);
	take_code(r, MLIST_PROCESSED, 4);
	take_code(r, MLIST_PROCESSED, 3);
	take_code(r, MLIST_PROCESSED, 2);
	take_code(r, MLIST_RECEIPT, 5);
	take_code(r, MLIST_BOUNCE, -1);
}

/* msg_status_interpret - see msg_write.h: two passes over the messages */
void	msg_status_interpret(struct mlist_status *rows, size_t n, bool digest)
{
	size_t seed = 0, ez7 = 0, end;

	for (size_t i = 0; i < n; i = end) {
		enum vocab m = message_vocab(rows, n, i, digest, &end);

		seed += m == VOCAB_SEED ? end - i : 0;
		ez7 += m == VOCAB_EZMLM7 ? end - i : 0;
	}
	for (size_t i = 0; i < n; i = end) {
		enum vocab m = message_vocab(rows, n, i, digest, &end);

		for (size_t j = i; j < end; j++)
			if (m == VOCAB_EZMLM7 || (m == VOCAB_NONE && ez7 > seed))
				as_ezmlm7(&rows[j]);
	}
}

/* msg_status_read - see msg_write.h */
enum store_rc msg_status_read(struct store_txn *txn, const char *root,
			      bool digest, size_t nmsg,
			      struct mlist_status **out, size_t *nout)
{
	enum store_rc rc = mlist_status_collect(txn, root, digest, nmsg, out,
						nout);

	if (rc == STORE_OK)
		msg_status_interpret(*out, *nout, digest);
	return rc;
}
