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
 *	The store's only reader of records today is the verifier's
 *	change_wellformed(), static in store/file.c, so this target
 *	compiles file.c into itself (the library's copy is then not
 *	linked).  A record it accepts is taken apart as a reader of the
 *	log would: its sequence, its table (a MailerQ table or a list
 *	table), the row of a put decoded with that table and checked
 *	against the record's key the way verify checks a table's rows
 *	(an integer key that matches must decode to the row's value).
 *	When replication reads the log, its decoder belongs here too.
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
	if (!row_key_matches(t, &row, &k))
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
	char name[256];
	MDB_val k, d;
	const uint8_t *p;
	size_t namelen, keylen;

	k.mv_size = size < 12 ? size : 12;
	k.mv_data = (void *)data;
	d.mv_size = size - k.mv_size;
	d.mv_data = (void *)(data + k.mv_size);
	if (!change_wellformed(&k, &d))
		return 0;
	p = d.mv_data;
	namelen = p[1];
	keylen = ((size_t)p[2] << 8) | p[3];
	(void)key_decode_int(k.mv_data);
	memcpy(name, p + 4, namelen);
	name[namelen] = 0;
	if (memchr(name, 0, namelen))
		return 0;
	switch (p[0]) {
	case CHANGE_PUT:
		read_put(name, p + 4 + namelen, keylen, p + 4 + namelen + keylen,
			 d.mv_size - 4 - namelen - keylen);
		break;
	case CHANGE_LIST_CREATE:
	case CHANGE_LIST_DROP:
		(void)reg_root_valid(name);
		break;
	}
	return 0;
}
