/*
 * NAME
 *	shapes.c - the JSON shapes both faces print
 * DESCRIPTION
 *	See shapes.h.  Text values that are not UTF-8 become null: JSON
 *	cannot hold them (the TSV outputs are lossless).
 */
#include <string.h>

#include "mq/ops/shapes.h"

/* column_json - one column's description */
static json_t *column_json(const struct reg_column *c)
{
	json_t *o = json_pack("{s:s,s:s,s:b,s:b,s:b,s:b}", "name", c->name,
			      "type", reg_type_name(c->type),
			      "key", !!(c->flags & REG_PK),
			      "auto", !!(c->flags & REG_AUTO),
			      "notnull", !!(c->flags & REG_NOTNULL),
			      "secret", !!(c->flags & REG_SECRET));

	if (o && c->type == REG_TEXT)
		json_object_set_new(o, "max",
				    json_integer((json_int_t)c->maxlen));
	if (o)
		json_object_set_new(o, "default", c->dflt ? json_string(c->dflt)
				    : json_null());
	return o;
}

json_t *ops_table_json(const struct reg_table *t, const char *name,
		       const char *root)
{
	json_t *cols = json_array();
	json_t *o = json_pack("{s:s,s:s}", "name", name, "family",
			      root ? "list" : "mailerq");

	for (int i = 0; cols && i < t->ncols; i++)
		json_array_append_new(cols, column_json(&t->cols[i]));
	if (o && root)
		json_object_set_new(o, "list", json_string(root));
	if (o)
		json_object_set_new(o, "about", json_string(t->about));
	if (o)
		json_object_set_new(o, "columns", cols ? cols : json_null());
	else
		json_decref(cols);
	return o;
}

/* add_list_tables - every table of list root (store_list_each) */
static int add_list_tables(const char *root, void *arg)
{
	char name[2 * REG_NAME_MAX];

	for (int i = 0; reg_list[i]; i++) {
		snprintf(name, sizeof(name), "%s%s", root, reg_list[i]->name);
		json_array_append_new(arg, ops_table_json(reg_list[i], name,
							  root));
	}
	return 0;
}

json_t *ops_tables_json(struct store_txn *txn, enum store_rc *rc)
{
	json_t *a = json_array();

	*rc = a ? STORE_OK : STORE_INTERNAL;
	for (int i = 0; a && reg_mailerq[i]; i++)
		json_array_append_new(a, ops_table_json(reg_mailerq[i],
							reg_mailerq[i]->name,
							NULL));
	if (a)
		*rc = store_list_each(txn, add_list_tables, a);
	if (*rc) {
		json_decref(a);
		return NULL;
	}
	return a;
}

/* text_json - a text value as a JSON string; null if NULL or not UTF-8 */
static json_t *text_json(const struct store_value *v)
{
	json_t *s = v->kind == SV_TEXT ? json_stringn(v->s, v->len) : NULL;

	return s ? s : json_null();
}

json_t *ops_slog_json(const struct store_row *row)
{
	json_t *o = json_object();

	if (!o)
		return NULL;
	json_object_set_new(o, "tai", text_json(&row->col[REG_SLOG_TAI]));
	json_object_set_new(o, "edir", text_json(&row->col[REG_SLOG_EDIR]));
	json_object_set_new(o, "etype", text_json(&row->col[REG_SLOG_ETYPE]));
	json_object_set_new(o, "address",
			    text_json(&row->col[REG_SLOG_ADDRESS]));
	json_object_set_new(o, "fromline",
			    text_json(&row->col[REG_SLOG_FROMLINE]));
	return o;
}

/* dropped_json - the space-separated names of the lists dropped */
static json_t *dropped_json(const char *names)
{
	json_t *a = json_array();
	const char *p = names;

	while (a && *p) {
		size_t n = strcspn(p, " ");

		if (n)
			json_array_append_new(a, json_stringn(p, n));
		p += n + (p[n] == ' ');
	}
	return a;
}

json_t *ops_sync_json(const struct sql_sync_result *res, const char *what)
{
	json_t *tables = json_array(), *o;

	for (size_t i = 0; tables && i < res->ntables; i++) {
		const struct store_apply_counts *n = &res->tables[i].n;

		if (!n->inserted && !n->updated && !n->deleted && !n->skipped)
			continue;
		json_array_append_new(tables, json_pack("{s:s,s:I,s:I,s:I,s:I}",
			"name", res->tables[i].name,
			"inserted", (json_int_t)n->inserted,
			"updated", (json_int_t)n->updated,
			"deleted", (json_int_t)n->deleted,
			"skipped", (json_int_t)n->skipped));
	}
	o = json_pack("{s:s,s:o*,s:I,s:I,s:I,s:o*}", "direction", what,
		      "tables", tables, "tables_synced",
		      (json_int_t)res->ntables, "lists_created",
		      (json_int_t)res->lists_created, "lists_dropped",
		      (json_int_t)res->lists_dropped, "dropped",
		      dropped_json(res->dropped));
	return o;
}

/* ops_issub_json - see shapes.h */
json_t *ops_issub_json(const struct store_value *stored, int hash)
{
	return json_pack("{s:b, s:s%, s:i}", "subscribed",
			 hash >= 0 && hash <= SUB_HASH_MAX, "address",
			 stored->s, stored->len, "hash", hash);
}

/* when_json - unix seconds, or null for 0 (never) */
static json_t *when_json(int64_t t)
{
	return t ? json_integer((json_int_t)t) : json_null();
}

/* ops_dkim_report_json - see shapes.h */
json_t *ops_dkim_report_json(const struct dkim_check_report *r)
{
	return json_pack("{s:I, s:s, s:s, s:b, s:s, s:b, s:o, s:s, s:o}",
			 "id", (json_int_t)r->rec.key_id, "domain", r->domain,
			 "selector", r->selector, "verify", r->verify,
			 "status", dkim_status_name(r->rec.status),
			 "used", !r->left_out, "checked",
			 when_json(r->rec.checked), "detail", r->rec.detail,
			 "verified", when_json(r->rec.verified));
}
