/*
 * NAME
 *	dkim_stored.c - a DKIM key as stored: its last status and its record
 * SYNOPSIS
 *	#include "mq/ops/dkim_check.h"
 *
 *	dkim_stored_report(txn, row, &report);
 *	dkim_stored_record(row, rec, sizeof(rec), why, sizeof(why));
 * DESCRIPTION
 *	What mq dkim-record --status prints and the console's DKIM view
 *	shows, read from the store without asking DNS: the status the
 *	last check left for the key's current data ("unverified-yet" when
 *	the key changed since), whether dkim() may hand the key out, and
 *	the TXT record text that publishes its public key.
 * DIAGNOSTICS
 *	dkim_stored_record returns -1 with the reason (never key bytes).
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "mq/ops/dkim_check.h"
#include "mq/ops/dkim_key.h"

/* text_of - a stored text value into out, cut to its size */
static void text_of(const struct store_value *v, char *out, size_t len)
{
	snprintf(out, len, "%.*s", v->kind == SV_TEXT ? (int)v->len : 0,
		 v->kind == SV_TEXT ? v->s : "");
}

void	dkim_stored_report(struct store_txn *txn, const struct store_row *row,
			   struct dkim_check_report *r)
{
	const struct store_value *vf = &row->col[DKIM_COL_VERIFY];
	uint8_t digest[DKIM_DIGEST_LEN];

	memset(r, 0, sizeof(*r));
	r->rec.key_id = row->col[DKIM_COL_ID].i;
	r->verify = vf->kind == SV_INT && vf->i != 0;
	text_of(&row->col[DKIM_COL_DOMAIN], r->domain, sizeof(r->domain));
	text_of(&row->col[DKIM_COL_SELECTOR], r->selector, sizeof(r->selector));
	store_dkim_digest(row, digest);
	if (store_dkim_status_get(txn, r->rec.key_id, &r->rec) != STORE_OK)
		r->rec.status = DKIM_STATUS_NONE;
	else if (memcmp(digest, r->rec.digest, DKIM_DIGEST_LEN)) {
		r->rec.status = DKIM_STATUS_NONE;
		r->rec.verified = 0;
		snprintf(r->rec.detail, sizeof(r->rec.detail), "the key changed "
			 "since its last check");
	}
	r->left_out = store_dkim_expire(row) <= (int64_t)time(NULL) ||
		      !dkim_status_usable(r->rec.status, r->verify);
}

int	dkim_stored_record(const struct store_row *row, char *rec, size_t len,
			   char *why, size_t whylen)
{
	const struct store_value *pk = &row->col[DKIM_COL_PRIVATEKEY];
	EVP_PKEY *key;
	int rc;

	if (dkim_key_read(pk->kind == SV_TEXT ? pk->s : "", pk->kind ==
			  SV_TEXT ? pk->len : 0, &key, why, whylen) < 0)
		return -1;
	rc = dkim_key_record(key, rec, len);
	EVP_PKEY_free(key);
	if (rc < 0)
		snprintf(why, whylen, "the record does not fit");
	return rc;
}
