/*
 * NAME
 *	dkim.c - /v1/dkim: the DKIM keys with their DNS status and record
 * SYNOPSIS
 *	GET /v1/dkim
 * DESCRIPTION
 *	For the console's DKIM view: each dkim_keys row, in id order,
 *	with what mq dkim-record --status says of it (the last DNS
 *	check's status for the key's current data, whether dkim() hands
 *	it out) and what mq dkim-record ID prints (the TXT record and the
 *	name to publish it at), read from the store without asking DNS:
 *
 *	[{"id": 1, "domain": "example.com", "selector": "s1",
 *	  "verify": true, "expire": null, "status": "verified",
 *	  "used": true, "checked": 1764000000, "verified": 1764000000,
 *	  "detail": "", "name": "s1._domainkey.example.com",
 *	  "record": "v=DKIM1; k=rsa; p=..."}]
 *
 *	Never the private key.  "record" is null, with "record_error"
 *	saying why, for a key that does not read.
 * DIAGNOSTICS
 *	405 for a method other than GET or HEAD; 500 for a store failure.
 */
#include <jansson.h>

#include "mq/http/http.h"
#include "mq/ops/dkim_check.h"
#include "mq/ops/dkim_key.h"
#include "mq/ops/ops.h"

/* key_status - the status fields of one key */
static void key_status(json_t *o, const struct dkim_check_report *r)
{
	json_object_set_new(o, "id", json_integer(r->rec.key_id));
	json_object_set_new(o, "domain", json_string(r->domain));
	json_object_set_new(o, "selector", json_string(r->selector));
	json_object_set_new(o, "verify", json_boolean(r->verify));
	json_object_set_new(o, "status",
			    json_string(dkim_status_name(r->rec.status)));
	json_object_set_new(o, "used", json_boolean(!r->left_out));
	json_object_set_new(o, "checked", r->rec.checked > 0
			    ? json_integer(r->rec.checked) : json_null());
	json_object_set_new(o, "verified", r->rec.verified > 0
			    ? json_integer(r->rec.verified) : json_null());
	json_object_set_new(o, "detail", json_string(r->rec.detail));
}

/* key_record - the name and TXT record to publish */
static void key_record(json_t *o, const struct store_row *row,
		       const struct dkim_check_report *r)
{
	char rec[DKIM_RECORD_MAX], why[DKIM_WHY_MAX];

	json_object_set_new(o, "name", *r->selector && *r->domain
			    ? json_sprintf("%s._domainkey.%s", r->selector,
					   r->domain) : json_null());
	if (dkim_stored_record(row, rec, sizeof(rec), why, sizeof(why)) == 0)
		json_object_set_new(o, "record", json_string(rec));
	else {
		json_object_set_new(o, "record", json_null());
		json_object_set_new(o, "record_error", json_string(why));
	}
}

/* One GET's state: the read transaction and the answer. */
struct dkim_list {
	struct store_txn *txn;
	json_t *keys;
};

/* key_json - store_scan callback: one key into the answer */
static int key_json(const struct store_row *row, void *arg)
{
	struct dkim_list *l = arg;
	struct dkim_check_report r;
	json_t *o = json_object();

	if (!o)
		return 1;
	dkim_stored_report(l->txn, row, &r);
	key_status(o, &r);
	json_object_set_new(o, "expire",
			    ops_json_value(&row->col[DKIM_COL_EXPIRE]));
	key_record(o, row, &r);
	return json_array_append_new(l->keys, o) ? 1 : 0;
}

/* http_dkim_handle - GET /v1/dkim */
void	http_dkim_handle(struct http_req *r)
{
	struct dkim_list l = { NULL, json_array() };
	enum store_rc rc;

	if (r->method != HTTP_GET && r->method != HTTP_HEAD) {
		json_decref(l.keys);
		http_method_not_allowed(r, "GET, HEAD");
		return;
	}
	if (r->nseg || !l.keys) {
		json_decref(l.keys);
		http_reply_error(r, l.keys ? 404 : 500, "%s: no such resource "
				 "(GET /v1/dkim lists the keys)", r->path);
		return;
	}
	if ((rc = store_read_begin(r->st, &l.txn)) == STORE_OK) {
		rc = store_scan(l.txn, "dkim_keys", NULL, 0, key_json, &l);
		store_read_end(l.txn);
	}
	if (rc) {
		json_decref(l.keys);
		http_reply_store(r, rc);
		return;
	}
	http_reply_json(r, 200, l.keys);
}
