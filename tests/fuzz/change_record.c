/*
 * NAME
 *	change_record.c - fuzz target: the store's change-log records
 * SYNOPSIS
 *	tests/fuzz/run.sh change_record SECONDS [LIBFUZZER-FLAG...]
 *	build/fuzz/change_record [LIBFUZZER-FLAG...] [CORPUS-DIR... | INPUT...]
 * DESCRIPTION
 *	Input: a change-log entry as the "changes" database holds it, its
 *	12-byte key (sequence, index) then the record
 *	op(1) namelen(1) keylen(2) name key row (store/txn.c).
 *
 *	Records are read by change_decode() (store/changes.c), the one
 *	decoder of the log that the verifier, store_changes_after() and
 *	replication share.  A record it accepts is taken apart as a
 *	reader of the log would: its sequence, its table (a MailerQ table
 *	or a list table), the row of a put decoded with that table and
 *	checked against the record's key the way verify checks a table's
 *	rows (an integer key that matches must decode to the row's
 *	value).  The verifier's row_key_matches() is static in
 *	store/file.c, so this target compiles file.c into itself (the
 *	library's copy is then not linked).
 */
#include "store/file.c"

#include "tests/fuzz/fuzz_util.h"

/* read_put - a put's row against its table and key, as verify reads rows. */
static void read_put(const char *name, const uint8_t *key, size_t keylen,
		     const uint8_t *rowp, size_t rowlen)
{
	static struct store_row row;
	const struct reg_table *t = reg_mailerq_find(name);
	char root[REG_NAME_MAX];
	MDB_val k = { keylen, (void *)key };

	if (!t)
		t = reg_list_split(name, root, sizeof(root));
	if (!t || !row_decode(t, rowp, rowlen, &row))
		return;
	/* the log holds keys of the running format */
	if (!row_key_matches(&(struct verify){ .format = STORE_FORMAT }, t,
			     &row, &k))
		return;
	/* an integer key read back is the row's value (ids, msgnum) */
	if (t->nkey == 1 && row.col[t->key[0]].kind == SV_INT &&
	    key_decode_int(key) != row.col[t->key[0]].i)
		fuzz_fail("%s: key %lld decodes from the key of row %lld", name,
			  (long long)key_decode_int(key),
			  (long long)row.col[t->key[0]].i);
}

/* LLVMFuzzerTestOneInput - take one change-log entry apart */
int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct store_change c;
	MDB_val k, d;

	k.mv_size = size < 12 ? size : 12;
	k.mv_data = (void *)data;
	d.mv_size = size - k.mv_size;
	d.mv_data = (void *)(data + k.mv_size);
	if (!change_decode(&k, &d, &c))
		return 0;
	switch (c.op) {
	case STORE_CHANGE_PUT:
		read_put(c.table, c.key, c.keylen, c.row, c.rowlen);
		break;
	case STORE_CHANGE_LIST_CREATE:
	case STORE_CHANGE_LIST_DROP:
		(void)reg_root_valid(c.table);
		break;
	default:
		break;
	}
	return 0;
}
