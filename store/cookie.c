/*
 * NAME
 *	cookie.c - ezmlm-idx message cookies: compute and store
 * SYNOPSIS
 *	#include "store/mlist.h"
 * DESCRIPTION
 *	A list message's cookie is ezmlm-idx 7's cookie(): a SURF seed
 *	derived from the list's whole secret key (four SURFPCS passes,
 *	each output byte shifted into the seed words), then SURFPCS under
 *	that seed over the decimal message number and its NUL, the sender
 *	and its NUL, and the action byte; output byte i gives cookie
 *	letter 'a' + (byte & 15).  A main list stores it in T_cookie
 *	(T_digest_cookie for digests), where a sublist's check
 *	(checktag.c) finds it.
 * DIAGNOSTICS
 *	STORE_NOTFOUND for a list that does not exist, STORE_EXISTS when
 *	the message has a different cookie already; the detail is in
 *	store_errmsg().
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "store/internal.h"
#include "store/mlist.h"
#include "store/surf.h"

#define SEED_PASSES	4

int mlist_table_name(char *out, size_t outlen, const char *root, bool digest,
		     const char *suffix)
{
	int n = snprintf(out, outlen, "%s%s%s", root, digest ? "_digest" : "",
			 suffix);

	return n < 0 || (size_t)n >= outlen ? -1 : 0;
}

/* cookie_seed - the SURF seed that cookie() derives from the key. */
static void cookie_seed(const uint8_t *key, size_t keylen,
			uint32_t seed[SURF_SEED_WORDS])
{
	struct surfpcs s;
	uint8_t out[SURF_OUT_BYTES];

	memset(seed, 0, SURF_SEED_WORDS * sizeof(seed[0]));
	for (int pass = 0; pass < SEED_PASSES; pass++) {
		surfpcs_init(&s, seed);
		surfpcs_add(&s, key, keylen);
		surfpcs_out(&s, out);
		for (int i = 0; i < SURF_SEED_WORDS; i++)
			seed[i] = (seed[i] << 8) + out[i];
	}
}

void mlist_cookie_compute(char out[MLIST_COOKIE_LEN + 1], const uint8_t *key,
			  size_t keylen, int64_t msgnum, const char *sender,
			  char action)
{
	uint32_t seed[SURF_SEED_WORDS];
	uint8_t h[SURF_OUT_BYTES];
	char num[24];
	struct surfpcs s;

	cookie_seed(key, keylen, seed);
	snprintf(num, sizeof(num), "%" PRId64, msgnum);
	surfpcs_init(&s, seed);
	surfpcs_add(&s, num, strlen(num) + 1);
	surfpcs_add(&s, sender, strlen(sender) + 1);
	surfpcs_add(&s, &action, 1);
	surfpcs_out(&s, h);
	for (int i = 0; i < MLIST_COOKIE_LEN; i++)
		out[i] = (char)('a' + (h[i] & 15));
	out[MLIST_COOKIE_LEN] = 0;
}

/* cookie_row - T_cookie's row for msgnum; STORE_NOTFOUND if none. */
static enum store_rc cookie_row(struct store_txn *txn, const char *table,
				int64_t msgnum, struct store_row *row)
{
	const struct reg_table *t;
	struct store_value key = { .kind = SV_INT, .i = msgnum };
	enum store_rc rc = store_table_find(txn, table, &t);

	if (rc)
		return rc;
	return store_get_by_key(txn, t, table, &key, row);
}

/* cookie_text - the stored cookie column as a string. */
static void cookie_text(const struct store_row *row,
			char out[MLIST_COOKIE_LEN + 1])
{
	const struct store_value *v = &row->col[REG_COOKIE_COOKIE];
	size_t n = v->kind == SV_TEXT ? v->len : 0;

	if (n > MLIST_COOKIE_LEN)
		n = MLIST_COOKIE_LEN;
	memcpy(out, v->s, n);
	out[n] = 0;
}

enum store_rc mlist_cookie_make(struct store_txn *txn,
				const struct mlist_cookie_req *req,
				char out[MLIST_COOKIE_LEN + 1], bool *kept)
{
	char table[REG_NAME_MAX + 16], stored[MLIST_COOKIE_LEN + 1];
	const uint8_t *key;
	size_t keylen;
	struct store_row row;
	enum store_rc rc;

	*kept = false;
	if (mlist_table_name(table, sizeof(table), req->root, req->digest,
			     "_cookie"))
		return store_fail(txn->st, STORE_BADDATA, "list name too long");
	if ((rc = store_list_key(txn, req->root, &key, &keylen)))
		return rc;
	mlist_cookie_compute(out, key, keylen, req->msgnum, req->sender,
			     req->action);
	rc = cookie_row(txn, table, req->msgnum, &row);
	if (rc == STORE_OK) {
		cookie_text(&row, stored);
		if (strcmp(stored, out) != 0)
			return store_fail(txn->st, STORE_EXISTS, "%s: message "
					  "%" PRId64 " has another cookie "
					  "already (another sender?); the "
					  "first one stays", table,
					  req->msgnum);
		*kept = true;
		return STORE_OK;
	}
	if (rc != STORE_NOTFOUND)
		return rc;
	struct store_assign a[] = {
		{ REG_COOKIE_MSGNUM, { .kind = SV_INT, .i = req->msgnum } },
		{ REG_COOKIE_COOKIE, { .kind = SV_TEXT, .s = out,
				       .len = MLIST_COOKIE_LEN } },
		{ REG_COOKIE_CHUNK, { .kind = SV_INT, .i = req->chunk } },
		{ REG_COOKIE_BODYSIZE, { .kind = SV_INT,
					 .i = req->bodysize } },
	};
	return store_set(txn, table, a, 4, NULL);
}
