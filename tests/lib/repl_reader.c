/*
 * NAME
 *	repl_reader.c - a program linked with libmq.a that reads a store in
 *	a loop, as an MTA does, while replication changes it
 * SYNOPSIS
 *	repl_reader STORE TABLE SECONDS
 * DESCRIPTION
 *	Opens STORE read-only once, as a long-lived tool linking libmq.a
 *	does, and for SECONDS takes read transaction after read
 *	transaction: in each, the store's sequence and the rows of TABLE.
 *	It prints "SEQ ROWS" whenever the pair differs from the last one
 *	printed, so a test can hold each pair against what the primary had
 *	at that sequence: a store seen half installed shows a pair the
 *	primary never had.  It never reopens the store.
 * DIAGNOSTICS
 *	Exit 0; 2 on a usage error; 1 when the store does not open.  A read
 *	that fails prints "error: REASON" and the loop goes on.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "store/store.h"

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* read_pair - the sequence and the rows of table, in one transaction */
static enum store_rc read_pair(struct store *st, const char *table,
			       uint64_t *seq, uint64_t *rows)
{
	struct store_txn *txn;
	struct store_meta m;
	enum store_rc rc = store_read_begin(st, &txn);

	if (rc)
		return rc;
	rc = store_meta_get(txn, &m);
	if (rc == STORE_OK)
		rc = store_count(txn, table, rows);
	*seq = m.seq;
	store_read_end(txn);
	return rc;
}

int main(int argc, char **argv)
{
	uint64_t seq, rows, last_seq = 0, last_rows = UINT64_MAX;
	struct store *st;
	char err[512];
	double end;

	if (argc != 4) {
		fprintf(stderr, "usage: repl_reader STORE TABLE SECONDS\n");
		return 2;
	}
	if (store_open(argv[1], STORE_RDONLY, NULL, &st, err, sizeof(err))) {
		fprintf(stderr, "repl_reader: %s\n", err);
		return 1;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (end = now_s() + atof(argv[3]); now_s() < end;) {
		if (read_pair(st, argv[2], &seq, &rows) != STORE_OK) {
			printf("error: %s\n", store_errmsg(st));
			continue;
		}
		if (seq != last_seq || rows != last_rows)
			printf("%llu %llu\n", (unsigned long long)seq,
			       (unsigned long long)rows);
		last_seq = seq;
		last_rows = rows;
	}
	store_close(st);
	return 0;
}
