/*
 * NAME
 *	sync_twin.c - the SQL row a key collides with under its collation
 * SYNOPSIS
 *	#include "sql-compat/sync_int.h"
 *
 *	rc = sync_key_twin(conn, tn, kv, &twin);
 *	sync_twin_message(tn, kv, &twin, err, errlen);
 * DESCRIPTION
 *	The store keeps a text key exactly: mtanames may hold
 *	Mta1.example.com and mta1.example.com.  MySQL's default collation
 *	takes both for one key (it ignores case, and accents, and trailing
 *	spaces), so its primary key refuses the second with a bare
 *	"Duplicate entry".  When an INSERT fails there, sync_key_twin asks
 *	SQL, by the collation's own comparison, which row holds that key:
 *	a row whose bytes differ is the twin, and the caller refuses the
 *	row by table, key and column, naming the twin (docs/sql.md).
 * DIAGNOSTICS
 *	sync_key_twin returns the SELECT's failure; a key that has no twin
 *	(the INSERT failed for another reason) is found false.
 */
#include <stdio.h>
#include <string.h>

#include "sql-compat/sync_int.h"

/* same_bytes - does SQL's value v hold exactly the store's text s? */
static bool same_bytes(const struct sql_value *v, const struct store_value *s)
{
	return v->type == SQL_TEXT && s->kind == SV_TEXT && v->len == s->len &&
		memcmp(v->p, s->s, s->len) == 0;
}

/* twin_keep - copy the key of SQL row v into tw, as store values */
static void twin_keep(const struct reg_table *t, const struct store_value *kv,
		      const struct sql_value *v, struct sync_twin *tw)
{
	tw->found = true;
	tw->col = -1;
	for (int k = 0; k < t->nkey; k++) {
		size_t len = v[k].len < SYNC_TWIN_MAX ? v[k].len
			: SYNC_TWIN_MAX;

		tw->kv[k] = kv[k];	/* an integer compares exactly */
		if (kv[k].kind != SV_TEXT || v[k].type != SQL_TEXT)
			continue;
		memcpy(tw->text[k], v[k].p, len);
		tw->kv[k].s = tw->text[k];
		tw->kv[k].len = len;
		if (tw->col < 0 && !same_bytes(&v[k], &kv[k]))
			tw->col = t->key[k];
	}
}

/* twin_select - "SELECT key FROM t WHERE k1 = ? ..." by the collation */
static void twin_select(struct sql_buf *b, enum sql_engine e,
			const struct sync_name *tn)
{
	const struct reg_table *t = tn->t;

	for (int k = 0; k < t->nkey; k++) {
		sql_buf_add(b, k ? ", " : "SELECT ");
		sql_buf_ident(b, e, t->cols[t->key[k]].name);
	}
	sql_buf_add(b, " FROM ");
	sql_buf_ident(b, e, tn->name);
	for (int k = 0; k < t->nkey; k++) {
		sql_buf_add(b, k ? " AND " : " WHERE ");
		sql_buf_ident(b, e, t->cols[t->key[k]].name);
		sql_buf_add(b, " = ?");
	}
}

/* sync_key_twin - see sync_int.h */
enum sql_rc sync_key_twin(struct sql_conn *conn, const struct sync_name *tn,
			  const struct store_value *kv, struct sync_twin *tw)
{
	const struct reg_table *t = tn->t;
	struct sql_buf b = SQL_BUF_INIT;
	struct sql_value p[REG_MAX_KEY];
	struct sql_rows *rows = NULL;
	const struct sql_value *v;
	bool text = false;
	size_t n;
	enum sql_rc rc;

	memset(tw, 0, sizeof(*tw));
	for (int k = 0; k < t->nkey; k++) {
		p[k] = sync_param(&kv[k]);
		text = text || kv[k].kind == SV_TEXT;
	}
	if (!text || !conn->driver->fold_collation)
		return SQL_OK;	/* keys compare as bytes: no twin */
	twin_select(&b, conn->driver->engine, tn);
	rc = b.oom ? SQL_INTERNAL : sql_exec(conn, b.p, p, (size_t)t->nkey,
					      &rows, NULL);
	sql_buf_free(&b);
	while (rc == SQL_OK && (rc = sql_rows_next(conn, rows, &v, &n)) ==
	       SQL_OK) {
		bool same = n == (size_t)t->nkey;

		for (size_t k = 0; same && k < n; k++)
			same = kv[k].kind != SV_TEXT || same_bytes(&v[k], &kv[k]);
		if (!same && !tw->found && n == (size_t)t->nkey)
			twin_keep(t, kv, v, tw);
	}
	sql_rows_free(conn, rows);
	return rc == SQL_END ? SQL_OK : rc;
}

/* sync_twin_message - see sync_int.h */
void	sync_twin_message(const struct sync_name *tn,
			  const struct store_value *kv,
			  const struct sync_twin *tw, char *err, size_t errlen)
{
	const struct reg_table *t = tn->t;
	struct store_row ours = { 0 }, theirs = { 0 };
	char key[256], twin[256];

	for (int k = 0; k < t->nkey; k++) {
		ours.col[t->key[k]] = kv[k];
		theirs.col[t->key[k]] = tw->kv[k];
	}
	sync_key_text(t, &ours, key, sizeof(key));
	sync_key_text(t, &theirs, twin, sizeof(twin));
	snprintf(err, errlen, "sql: table %s: row %s: column %s: the same key "
		 "as SQL's row %s to the column's collation, which ignores "
		 "case", tn->name, key,
		 t->cols[tw->col >= 0 ? tw->col : t->key[0]].name, twin);
}
