/*
 * NAME
 *	dkim_status.c - each DKIM key's last DNS check, kept in the meta database
 * SYNOPSIS
 *	#include "store/store.h"
 * DESCRIPTION
 *	A status lives in the meta database under "dkim:" + the key id as
 *	8 big-endian bytes, so it sorts by id and a cursor finds them all:
 *		format(1) status(1) checked(8) digest(16) verified(8) detail
 *	(integers big-endian).  Format 1, written before "verified" was
 *	kept, has no verified field: it reads as the time of the check for
 *	a verified key, else 0.
 *	The meta database is the store's own (no SQL table, no change
 *	record, ignored by replication's change stream), and "mq verify"
 *	already accepts any entry in it.  "dkim-gen" counts the writes so
 *	that a dkim_set knows when the statuses moved.
 *
 *	store_dkim_status_put runs its own write transaction instead of
 *	store_write(), which commits only transactions with change
 *	records.  Statuses are small; a full map is reported, not grown:
 *	the next table write grows it and the next check succeeds.
 * DIAGNOSTICS
 *	store_errmsg() names the store file and what failed.
 */
#include <string.h>
#include <time.h>
#include <sodium.h>

#include "store/internal.h"

#define STATUS_PREFIX	"dkim:"
#define STATUS_PREFIX_LEN 5
#define STATUS_KEY_LEN	(STATUS_PREFIX_LEN + 8)
#define STATUS_FORMAT	2
#define STATUS_FIXED_V1	(2 + 8 + DKIM_DIGEST_LEN)
#define STATUS_FIXED	(STATUS_FIXED_V1 + 8)
#define META_DKIM_GEN	"dkim-gen"

const char *dkim_status_name(enum dkim_status s)
{
	static const char *const names[DKIM_STATUS_COUNT] = {
		[DKIM_STATUS_NONE] = "unverified-yet",
		[DKIM_STATUS_VERIFIED] = "verified",
		[DKIM_STATUS_MISMATCH] = "mismatch",
		[DKIM_STATUS_NORECORD] = "no-record",
		[DKIM_STATUS_DNSERROR] = "dns-error",
		[DKIM_STATUS_EXPIRED] = "expired",
		[DKIM_STATUS_BADKEY] = "bad-key",
		[DKIM_STATUS_UNCHECKED] = "not-verified",
		[DKIM_STATUS_KEPT] = "kept",
		[DKIM_STATUS_AMBIGUOUS] = "ambiguous",
	};

	return (unsigned)s < DKIM_STATUS_COUNT ? names[s] : "unknown";
}

bool dkim_status_usable(enum dkim_status s, bool verify)
{
	if (!verify)
		return s != DKIM_STATUS_BADKEY;
	return s == DKIM_STATUS_VERIFIED || s == DKIM_STATUS_KEPT;
}

/* digest_value - feed one column, length first, so fields cannot merge. */
static void digest_value(crypto_generichash_state *h,
			 const struct store_value *v)
{
	uint8_t len[9];

	len[0] = (uint8_t)v->kind;
	for (int i = 0; i < 8; i++)
		len[1 + i] = (uint8_t)((uint64_t)v->len >> (56 - 8 * i));
	crypto_generichash_update(h, len, sizeof(len));
	if (v->kind == SV_TEXT && v->len)
		crypto_generichash_update(h, (const uint8_t *)v->s, v->len);
}

void store_dkim_digest(const struct store_row *key,
		       uint8_t out[DKIM_DIGEST_LEN])
{
	static const int cols[] = { DKIM_COL_DOMAIN, DKIM_COL_SELECTOR,
				    DKIM_COL_PRIVATEKEY, DKIM_COL_ALGORITHM };
	crypto_generichash_state h;

	crypto_generichash_init(&h, NULL, 0, DKIM_DIGEST_LEN);
	for (size_t i = 0; i < sizeof(cols) / sizeof(cols[0]); i++)
		digest_value(&h, &key->col[cols[i]]);
	crypto_generichash_final(&h, out, DKIM_DIGEST_LEN);
}

int64_t store_dkim_expire(const struct store_row *key)
{
	const struct store_value *v = &key->col[DKIM_COL_EXPIRE];
	char text[20];
	struct tm tm = { 0 };
	char *end;

	if (v->kind != SV_TEXT || v->len < 19)
		return INT64_MAX;
	memcpy(text, v->s, 19);
	text[19] = 0;
	end = strptime(text, "%Y-%m-%d %H:%M:%S", &tm);
	if (!end || *end)
		return INT64_MAX;
	return (int64_t)timegm(&tm);
}

/* status_key - the meta key of key id's status. */
static void status_key(int64_t id, uint8_t out[STATUS_KEY_LEN])
{
	memcpy(out, STATUS_PREFIX, STATUS_PREFIX_LEN);
	key_encode_int(id, out + STATUS_PREFIX_LEN);
}

/* put_one - encode rec into the meta database. */
static int put_one(struct store_txn *t, const struct dkim_status_rec *rec)
{
	uint8_t key[STATUS_KEY_LEN], val[STATUS_FIXED + DKIM_DETAIL_MAX];
	size_t dlen = strnlen(rec->detail, DKIM_DETAIL_MAX - 1);
	MDB_val k = { sizeof(key), key }, d = { STATUS_FIXED + dlen, val };

	status_key(rec->key_id, key);
	val[0] = STATUS_FORMAT;
	val[1] = (uint8_t)rec->status;
	key_encode_int(rec->checked, val + 2);
	memcpy(val + 10, rec->digest, DKIM_DIGEST_LEN);
	key_encode_int(rec->verified, val + STATUS_FIXED_V1);
	memcpy(val + STATUS_FIXED, rec->detail, dlen);
	return mdb_put(t->txn, t->st->meta, &k, &d, 0);
}

/* drop_all - delete every status entry. */
static int drop_all(struct store_txn *t)
{
	MDB_cursor *c;
	MDB_val k, d;
	int rc = mdb_cursor_open(t->txn, t->st->meta, &c);

	if (rc)
		return rc;
	while (rc == 0) {
		k.mv_size = STATUS_PREFIX_LEN;
		k.mv_data = STATUS_PREFIX;
		rc = mdb_cursor_get(c, &k, &d, MDB_SET_RANGE);
		if (rc || k.mv_size != STATUS_KEY_LEN ||
		    memcmp(k.mv_data, STATUS_PREFIX, STATUS_PREFIX_LEN))
			break;
		rc = mdb_cursor_del(c, 0);
	}
	mdb_cursor_close(c);
	return rc == MDB_NOTFOUND ? 0 : rc;
}

enum store_rc store_dkim_status_put(struct store *st,
				    const struct dkim_status_rec *recs,
				    size_t n)
{
	struct store_txn t;
	uint64_t gen = 0;
	enum store_rc rc;
	int mrc;

	if (st->flags & STORE_RDONLY)
		return store_fail(st, STORE_READONLY, "%s: opened read-only",
				  st->path);
	if ((rc = store_txn_begin(st, true, &t)))
		return rc;
	mrc = store_meta_get_u64(&t, META_DKIM_GEN, &gen);
	if (mrc == MDB_NOTFOUND)
		mrc = 0;
	if (!mrc)
		mrc = drop_all(&t);
	for (size_t i = 0; !mrc && i < n; i++)
		mrc = put_one(&t, &recs[i]);
	if (!mrc)
		mrc = store_meta_put_u64(&t, META_DKIM_GEN, gen + 1);
	if (mrc) {
		mdb_txn_abort(t.txn);
		return store_mdb_rc(st, mrc, "dkim key status");
	}
	return store_mdb_rc(st, mdb_txn_commit(t.txn), "dkim key status");
}

enum store_rc store_dkim_status_get(struct store_txn *txn, int64_t key_id,
				    struct dkim_status_rec *out)
{
	uint8_t key[STATUS_KEY_LEN];
	MDB_val k = { sizeof(key), key }, d;
	const uint8_t *v;
	size_t dlen, fixed;
	int rc;

	status_key(key_id, key);
	rc = mdb_get(txn->txn, txn->st->meta, &k, &d);
	if (rc)
		return store_mdb_rc(txn->st, rc, "dkim key status");
	v = d.mv_data;
	fixed = d.mv_size > 0 && v[0] == 1 ? STATUS_FIXED_V1 : STATUS_FIXED;
	if (d.mv_size < fixed || (v[0] != 1 && v[0] != STATUS_FORMAT) ||
	    v[1] >= DKIM_STATUS_COUNT)
		return store_fail(txn->st, STORE_CORRUPT, "%s: dkim key %lld: "
				  "bad status record", txn->st->path,
				  (long long)key_id);
	out->key_id = key_id;
	out->status = (enum dkim_status)v[1];
	out->checked = key_decode_int(v + 2);
	memcpy(out->digest, v + 10, DKIM_DIGEST_LEN);
	if (fixed == STATUS_FIXED)
		out->verified = key_decode_int(v + STATUS_FIXED_V1);
	else
		out->verified = out->status == DKIM_STATUS_VERIFIED
				? out->checked : 0;
	dlen = d.mv_size - fixed;
	if (dlen > DKIM_DETAIL_MAX - 1)
		dlen = DKIM_DETAIL_MAX - 1;
	memcpy(out->detail, v + fixed, dlen);
	out->detail[dlen] = 0;
	return STORE_OK;
}

/* store_dkim_status_gen - the status generation txn sees (0: none yet). */
enum store_rc store_dkim_status_gen(struct store_txn *txn, uint64_t *gen)
{
	int rc = store_meta_get_u64(txn, META_DKIM_GEN, gen);

	if (rc == MDB_NOTFOUND) {
		*gen = 0;
		return STORE_OK;
	}
	return store_mdb_rc(txn->st, rc, "meta");
}
