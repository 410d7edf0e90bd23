/*
 * NAME
 *	table.c - rows of the registry's tables: find, scan, set, delete
 * DESCRIPTION
 *	A MailerQ table is the LMDB database "t:" + its name; a list's
 *	table lies in the database of its kind under the list's id
 *	(tdb.c).  Keys as row.c describes.  Writes validate every value against the registry (type,
 *	length, NOT NULL), so nothing a reader decodes can be out of range,
 *	and append one change record per row changed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <time.h>

#include "store/internal.h"
#include "store/mlist.h"

/*
 * table_resolve - registry entry and database of table name: a MailerQ
 *	table, or ROOT + list suffix for a created list ROOT.
 */
enum store_rc table_resolve(struct store_txn *txn, const char *name,
			    const struct reg_table **t, struct tdb *db)
{
	char root[REG_NAME_MAX];
	struct store *st = txn->st;
	int i = reg_mailerq_index(name);
	uint32_t id;
	enum store_rc rc;

	memset(db, 0, sizeof(*db));
	if (i >= 0) {
		*t = reg_mailerq[i];
		db->dbi = st->mailerq[i];
		return STORE_OK;
	}
	if (strlen(name) >= REG_NAME_MAX)
		return store_fail(st, STORE_NOTFOUND, "no such table: %.64s...",
				  name);
	*t = reg_list_split(name, root, sizeof(root));
	rc = *t ? list_id(txn, root, &id) : STORE_NOTFOUND;
	if (rc == STORE_NOTFOUND)
		return store_fail(st, STORE_NOTFOUND, "no such table: %s",
				  name);
	if (rc)
		return rc;
	list_tdb(st, *t, id, db);
	return STORE_OK;
}

enum store_rc store_table_find(struct store_txn *txn, const char *name,
			       const struct reg_table **out)
{
	struct tdb db;

	return table_resolve(txn, name, out, &db);
}

/* digits - the number in n decimal digits at s (already checked). */
static int digits(const char *s, int n)
{
	int v = 0;

	while (n-- > 0)
		v = v * 10 + (*s++ - '0');
	return v;
}

/*
 * time_valid - "YYYY-MM-DD HH:MM:SS[.ffffff]" naming a real moment: year
 *	1-9999, month 1-12, a day the month has (leap years as the
 *	Gregorian calendar counts them), hour 0-23, minute and second
 *	0-59.  The one check of a time value, whoever writes it (the
 *	command line, the API, a sync from SQL).  No leap second: MySQL
 *	and MariaDB refuse :60, PostgreSQL turns it into the next minute.
 */
static bool time_valid(const char *s, size_t n)
{
	static const char shape[] = "dddd-dd-dd dd:dd:dd";
	static const int mdays[12] = { 31, 29, 31, 30, 31, 30,
				       31, 31, 30, 31, 30, 31 };
	size_t base = sizeof(shape) - 1;
	int y, m, d;

	if (n < base || (n > base && (s[base] != '.' || n == base + 1 ||
				      n > base + 7)))
		return false;
	for (size_t i = 0; i < n; i++) {
		char want = i < base ? shape[i] : (i == base ? '.' : 'd');
		if (want == 'd' ? (s[i] < '0' || s[i] > '9') : s[i] != want)
			return false;
	}
	y = digits(s, 4);
	m = digits(s + 5, 2);
	d = digits(s + 8, 2);
	if (y < 1 || m < 1 || m > 12 || d < 1 || d > mdays[m - 1])
		return false;
	if (m == 2 && d == 29 && (y % 4 || (y % 100 == 0 && y % 400)))
		return false;
	return digits(s + 11, 2) <= 23 && digits(s + 14, 2) <= 59 &&
		digits(s + 17, 2) <= 59;
}

bool address_row_valid(const struct store_row *row, char *why, size_t len)
{
	const struct store_value *h = &row->col[REG_ADDR_HASH];
	const struct store_value *a = &row->col[REG_ADDR_ADDRESS];

	if (h->kind == SV_INT && (h->i < 0 || h->i > SUB_HASH_LIMIT)) {
		snprintf(why, len, "hash: %lld is not a hash (0..%d)",
			 (long long)h->i, SUB_HASH_LIMIT);
		return false;
	}
	for (size_t i = 0; a->kind == SV_TEXT && i < a->len; i++)
		if ((unsigned char)a->s[i] < 0x20 || a->s[i] == 0x7f) {
			snprintf(why, len, "address: a control byte (0x%02x) "
				 "at byte %zu", (unsigned char)a->s[i], i + 1);
			return false;
		}
	return true;
}

/*
 * text_length - v's length as column c's bound counts it: UTF-8
 *	characters (bytes that do not continue one) for a VARCHAR, else
 *	bytes.  Characters are counted only when the bytes exceed the
 *	bound (never more characters than bytes): a list's million
 *	addresses are checked on each load.
 */
static size_t text_length(const struct reg_column *c,
			  const struct store_value *v)
{
	size_t n = 0;

	if (c->maxlen > REG_VARCHAR_MAX || v->len <= c->maxlen)
		return v->len;
	for (size_t i = 0; i < v->len; i++)
		n += ((unsigned char)v->s[i] & 0xc0) != 0x80;
	return n;
}

/* check_value - does v fit column c of t?  NULL is checked elsewhere. */
enum store_rc table_check_value(struct store *st, const char *name,
				 const struct reg_column *c,
				 const struct store_value *v)
{
	if (v->kind == SV_NULL)
		return STORE_OK;
	if (c->type == REG_INT && v->kind != SV_INT)
		return store_fail(st, STORE_BADDATA, "%s.%s: not an integer",
				  name, c->name);
	if (c->type == REG_INT)
		return STORE_OK;
	if (v->kind != SV_TEXT)
		return store_fail(st, STORE_BADDATA, "%s.%s: not a %s",
				  name, c->name, reg_type_name(c->type));
	if (v->len && memchr(v->s, 0, v->len))
		return store_fail(st, STORE_BADDATA, "%s.%s: contains a NUL "
				  "byte", name, c->name);
	if (c->type == REG_TIME && !time_valid(v->s, v->len))
		return store_fail(st, STORE_BADDATA, "%s.%s: not a time "
				  "'YYYY-MM-DD HH:MM:SS' (a real date, "
				  "00:00:00-23:59:59): '%.*s'", name,
				  c->name, (int)(v->len > 40 ? 40 : v->len),
				  v->s);
	if (c->type == REG_TEXT && text_length(c, v) > c->maxlen)
		return store_fail(st, STORE_BADDATA, "%s.%s: longer than %zu "
				  "%s", name, c->name, c->maxlen,
				  c->maxlen > REG_VARCHAR_MAX ? "bytes" :
				  "characters");
	if ((c->flags & REG_PK) && v->len > STORE_KEY_MAX)
		return store_fail(st, STORE_BADDATA, "%s.%s: %zu bytes, longer "
				  "than a key may be (%d bytes)", name,
				  c->name, v->len, STORE_KEY_MAX);
	return STORE_OK;
}

/*
 * plain_integer - text of 1-18 digits after an optional '-' as *i: what
 *	SQL gives for nearly every integer, read without strtoll's locale
 *	and copy (cannot overflow).  false: any other text, which
 *	store_value_parse reads (and refuses) with strtoll.
 */
static bool plain_integer(const char *s, size_t len, int64_t *i)
{
	size_t k = len && s[0] == '-';
	int64_t v = 0;

	if (len == k || len - k > 18)
		return false;
	for (size_t j = k; j < len; j++) {
		if (s[j] < '0' || s[j] > '9')
			return false;
		v = v * 10 + (s[j] - '0');
	}
	*i = k ? -v : v;
	return true;
}

enum store_rc store_value_parse(const struct reg_table *t, const char *name,
				const struct reg_column *c, const char *text,
				size_t len, struct store_value *out,
				char *err, size_t errlen)
{
	struct store tmp;
	enum store_rc rc;

	name = name ? name : t->name;
	memset(out, 0, sizeof(*out));
	if (c->type != REG_INT) {
		*out = (struct store_value){ .kind = SV_TEXT, .s = text,
					     .len = len };
	} else if (plain_integer(text, len, &out->i)) {
		out->kind = SV_INT;
	} else {
		char buf[32], *end;

		if (len == 0 || len >= sizeof(buf)) {
			snprintf(err, errlen, "%s.%s: not an integer: '%.*s'",
				 name, c->name, (int)(len > 40 ? 40 : len),
				 text);
			return STORE_BADDATA;
		}
		memcpy(buf, text, len);
		buf[len] = 0;
		errno = 0;
		out->i = strtoll(buf, &end, 10);
		if (*end || errno || buf[0] == ' ' || buf[0] == '+') {
			snprintf(err, errlen, "%s.%s: not an integer: '%s'",
				 name, c->name, buf);
			return STORE_BADDATA;
		}
		out->kind = SV_INT;
	}
	rc = table_check_value(&tmp, name, c, out);
	if (rc)
		snprintf(err, errlen, "%s", store_errbuf());
	return rc;
}

/* Every column compares exactly, as keys do (a list address keeps its case). */
bool table_filter_match(const struct store_row *r,
			const struct store_filter *f, int nf)
{
	for (int i = 0; i < nf; i++)
		if (!store_value_equal(&r->col[f[i].col], &f[i].v))
			return false;
	return true;
}

/*
 * filter_key - if the filters give every key column, the key values in
 *	key order (so a scan can be a point read).
 */
bool table_filter_key(const struct reg_table *t, const struct store_filter *f,
		       int nf, struct store_value key[REG_MAX_KEY])
{
	if (t->nkey == 0)
		return false;
	for (int k = 0; k < t->nkey; k++) {
		int i;

		for (i = 0; i < nf && f[i].col != t->key[k]; i++)
			;
		if (i == nf)
			return false;
		key[k] = f[i].v;
	}
	return true;
}

enum store_rc table_check_filters(struct store *st, const struct reg_table *t,
				   const struct store_filter *f, int nf)
{
	for (int i = 0; i < nf; i++)
		if (f[i].col < 0 || f[i].col >= t->ncols)
			return store_fail(st, STORE_BADDATA, "%s: bad filter "
					  "column", t->name);
	return STORE_OK;
}

enum store_rc table_corrupt_row(struct store *st, const char *name)
{
	return store_fail(st, STORE_CORRUPT, "%s: %s: a row does not decode",
			  st->path, name);
}

enum store_rc store_get_by_key(struct store_txn *txn,
			       const struct reg_table *t, const char *name,
			       const struct store_value *key,
			       struct store_row *out)
{
	uint8_t kbuf[STORE_KEY_MAX + 1];
	const struct reg_table *rt;
	MDB_val k = { 0, kbuf }, d;
	struct tdb dbi;
	enum store_rc rc = table_resolve(txn, name, &rt, &dbi);

	if (rc)
		return rc;
	if (t && t != rt)
		return store_fail(txn->st, STORE_BADDATA, "%s: wrong registry "
				  "entry", name);
	rc = key_encode(rt, key, kbuf, &k.mv_size, store_errbuf(),
			STORE_ERR_MAX);
	if (rc)
		return rc;
	rc = store_mdb_rc(txn->st, tdb_get(txn->txn, &dbi, &k, &d), name);
	if (rc)
		return rc;
	if (!row_decode(rt, d.mv_data, d.mv_size, out))
		return table_corrupt_row(txn->st, name);
	return STORE_OK;
}

enum store_rc store_scan(struct store_txn *txn, const char *name,
			 const struct store_filter *f, int nf,
			 store_row_fn fn, void *arg)
{
	struct store_value key[REG_MAX_KEY];
	const struct reg_table *t;
	struct store_row row;
	struct tcur c;
	MDB_val k, d;
	struct tdb dbi;
	enum store_rc rc = table_resolve(txn, name, &t, &dbi);
	int mrc;

	if (rc || (rc = table_check_filters(txn->st, t, f, nf)))
		return rc;
	if (table_filter_key(t, f, nf, key)) {
		rc = store_get_by_key(txn, t, name, key, &row);
		if (rc == STORE_NOTFOUND || (rc == STORE_BADDATA &&
					     t->nkey))
			return STORE_OK;
		if (rc == STORE_OK && table_filter_match(&row, f, nf))
			fn(&row, arg);
		return rc;
	}
	mrc = tcur_open(txn->txn, &dbi, &c);
	if (mrc)
		return store_mdb_rc(txn->st, mrc, name);
	for (mrc = tcur_get(&c, &k, &d, MDB_FIRST); mrc == 0;
	     mrc = tcur_get(&c, &k, &d, MDB_NEXT)) {
		if (!row_decode(t, d.mv_data, d.mv_size, &row)) {
			tcur_close(&c);
			return table_corrupt_row(txn->st, name);
		}
		if (table_filter_match(&row, f, nf) && fn(&row, arg))
			break;
	}
	tcur_close(&c);
	if (mrc && mrc != MDB_NOTFOUND)
		return store_mdb_rc(txn->st, mrc, name);
	return STORE_OK;
}

enum store_rc store_count(struct store_txn *txn, const char *name,
			  uint64_t *n_out)
{
	const struct reg_table *t;
	struct tdb dbi;
	enum store_rc rc = table_resolve(txn, name, &t, &dbi);

	*n_out = 0;
	if (rc)
		return rc;
	return store_mdb_rc(txn->st, tdb_count(txn->txn, &dbi, n_out), name);
}
