/*
 * NAME
 *	mailerq.c - MailerQ 5's REST resources: their fields and the
 *	request bodies that carry them
 * SYNOPSIS
 *	GET    /v1/pauses[?FIELD=VALUE...]
 *	POST   /v1/pauses	{"domain": "example.com", "tag": "t"}
 *	DELETE /v1/pauses	domain=example.com&tag=t
 *	(the same for /v1/errors, /v1/suppressions, /v1/pools, /v1/poolips)
 * DESCRIPTION
 *	Each resource is a table of mq (docs/tables.md) under MailerQ's
 *	field names: a field names a column, a few fields share one (mta
 *	and pool are paused.localip, domain and ip are paused.target) and
 *	exclude each other.  Bodies are JSON objects or
 *	application/x-www-form-urlencoded (a body that opens with '{' is
 *	JSON whatever its Content-Type says, since curl -d labels every
 *	body a form); DELETE takes a body as POST does.  The key fields of a body select one row: POST updates that
 *	row or inserts it, DELETE removes it (the value fields are
 *	ignored).  Writes take the one write path as /v1/tables does
 *	(table_set_batch, table_del_batch through the writer: SQL first
 *	when configured, refused on a replica), with the www-token.
 * DIAGNOSTICS
 *	400 naming the field (unknown, repeated, both of an exclusive
 *	pair, a required one missing, a bad value), 401 without the token,
 *	404 a DELETE that matched nothing or a pool that does not exist,
 *	503 SQL unreachable.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/queue.h>

#include <event2/keyvalq_struct.h>

#include "mq/http/mailerq.h"

const struct resource mailerq_resources[] = {
	{ "pauses", "paused", {
		{ "mta", "localip", R_MTA, true, false },
		{ "pool", "localip", R_POOL, true, false },
		{ "domain", "target", R_DOMAIN, true, false },
		{ "ip", "target", R_IP, true, false },
		{ "tag", "tag", R_PLAIN, true, false },
		{ "expire", "expire", R_PLAIN, false, false },
		{ "cluster", NULL, R_IGNORED, false, false } },
	  { { "mta", "pool" }, { "domain", "ip" } }, { NULL, NULL }, NULL,
	  NULL, true },
	{ "errors", "errors", {
		{ "mta", "localip", R_MTA, true, false },
		{ "pool", "localip", R_POOL, true, false },
		{ "domain", "domain", R_DOMAIN, true, false },
		{ "ip", "domain", R_IP, true, false },
		{ "tag", "tag", R_PLAIN, true, false },
		{ "code", "code", R_PLAIN, false, false },
		{ "extended", "extended", R_PLAIN, false, false },
		{ "description", "description", R_PLAIN, false, false },
		{ "expire", "expire", R_PLAIN, false, false },
		{ "cluster", NULL, R_IGNORED, false, false } },
	  { { "mta", "pool" }, { "domain", "ip" } }, { NULL, NULL }, NULL,
	  NULL, true },
	{ "suppressions", "suppressions", {
		{ "address", "address", R_PLAIN, true, false },
		{ "domain", "domain", R_PLAIN, true, false },
		{ "code", "code", R_PLAIN, false, false },
		{ "extended", "extended", R_PLAIN, false, false },
		{ "description", "description", R_PLAIN, false, false },
		{ "expire", "expire", R_PLAIN, false, false } },
	  { { "address", "domain" }, { NULL, NULL } },
	  { "address", "domain" }, NULL, NULL, false },
	{ "pools", "pools", {
		{ "name", "name", R_PLAIN, true, true },
		{ "description", "description", R_PLAIN, false, false } },
	  { { NULL, NULL }, { NULL, NULL } }, { NULL, NULL }, "pool_ips",
	  NULL, false },
	{ "poolips", "pool_ips", {
		{ "name", "name", R_PLAIN, true, true },
		{ "localip", "localip", R_PLAIN, true, false },
		{ "ip", "localip", R_ALIAS, true, false } },
	  { { "localip", "ip" }, { NULL, NULL } }, { "localip", "ip" },
	  NULL, "pools", false },
	{ NULL, NULL, { { NULL, NULL, R_PLAIN, false, false } },
	  { { NULL, NULL }, { NULL, NULL } }, { NULL, NULL }, NULL, NULL,
	  false },
};

void	fields_free(struct fields *f)
{
	for (int i = 0; i < f->n; i++) {
		free(f->name[i]);
		free(f->value[i]);
	}
	f->n = 0;
}

const char *field_get(const struct fields *f, const char *name)
{
	for (int i = 0; i < f->n; i++)
		if (strcmp(f->name[i], name) == 0)
			return f->value[i];
	return NULL;
}

/* field_add - one more field; false: answered (too many, repeated). */
static bool field_add(struct http_req *r, const struct resource *rs,
		      struct fields *f, const char *name, const char *value)
{
	if (field_get(f, name)) {
		http_reply_error(r, 400, "%s: field %s given twice", rs->name,
				 name);
		return false;
	}
	if (f->n == MAX_FIELDS) {
		http_reply_error(r, 400, "%s: more than %d fields", rs->name,
				 MAX_FIELDS);
		return false;
	}
	f->name[f->n] = strdup(name);
	f->value[f->n] = strdup(value);
	if (!f->name[f->n] || !f->value[f->n]) {
		free(f->name[f->n]);
		free(f->value[f->n]);
		http_reply_error(r, 500, "%s: out of memory", rs->name);
		return false;
	}
	f->n++;
	return true;
}

/* json_field - one member of a JSON body as text; false: answered. */
static bool json_field(struct http_req *r, const struct resource *rs,
		       struct fields *f, const char *name, json_t *v)
{
	char num[32];

	if (json_is_string(v))
		return field_add(r, rs, f, name, json_string_value(v));
	if (json_is_boolean(v))
		return field_add(r, rs, f, name, json_is_true(v) ? "1" : "0");
	if (json_is_integer(v)) {
		snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT,
			 json_integer_value(v));
		return field_add(r, rs, f, name, num);
	}
	if (json_is_null(v))
		return true;
	http_reply_error(r, 400, "%s: field %s: a string, number or boolean",
			 rs->name, name);
	return false;
}

/* query_fields - the pairs of q as fields; false: answered. */
bool	query_fields(struct http_req *r, const struct resource *rs,
			 const struct http_param *q, int n, struct fields *f)
{
	for (int i = 0; i < n; i++)
		if (!field_add(r, rs, f, q[i].key, q[i].value))
			return false;
	return true;
}

/* form_fields - an application/x-www-form-urlencoded body. */
static bool form_fields(struct http_req *r, const struct resource *rs,
			struct fields *f)
{
	size_t len;
	const char *body = http_body(r, &len);
	char *text = strndup(body, len);
	int max = 1, n = -1;
	struct http_param *q;
	bool ok;

	for (size_t i = 0; i < len; i++)
		max += body[i] == '&';
	q = text ? calloc((size_t)max, sizeof(*q)) : NULL;
	if (q && !memchr(body, '\0', len))
		n = http_query_parse(text, q, max);
	if (n < 0) {
		free(q);
		free(text);
		http_reply_error(r, 400, "%s: body: not form-urlencoded "
				 "NAME=VALUE pairs", rs->name);
		return false;
	}
	ok = query_fields(r, rs, q, n, f);
	free(q);
	free(text);
	return ok;
}

/* body_fields - the body's fields, JSON or form-urlencoded. */
bool	body_fields(struct http_req *r, const struct resource *rs,
			struct fields *f)
{
	const char *type = r->content_type;
	const char *name;
	json_t *body, *v;
	bool ok = true;

	size_t len, i = 0;
	const char *text = http_body(r, &len);

	/* curl and others label any -d body as a form: a body that opens
	 * a JSON object is JSON whatever its label */
	while (i < len && text[i] && strchr(" \t\r\n", text[i]))
		i++;
	if ((i == len || text[i] != '{') && !(type && strncasecmp(type,
			"application/json", 16) == 0))
		return form_fields(r, rs, f);
	if (!(body = http_body_json(r, false)))
		return false;
	json_object_foreach(body, name, v)
		if (!(ok = json_field(r, rs, f, name, v)))
			break;
	json_decref(body);
	return ok;
}

const struct field_map *map_find(const struct resource *rs,
					const char *field)
{
	for (int i = 0; i < MAX_MAP && rs->map[i].field; i++)
		if (strcmp(rs->map[i].field, field) == 0)
			return &rs->map[i];
	return NULL;
}

/* fields_check - every field known, pairs exclusive, required given. */
bool	fields_check(struct http_req *r, const struct resource *rs,
			 const struct fields *f, bool write)
{
	for (int i = 0; i < f->n; i++)
		if (!map_find(rs, f->name[i])) {
			http_reply_error(r, 400, "%s: no field '%s'", rs->name,
					 f->name[i]);
			return false;
		}
	for (int i = 0; i < 2 && rs->excl[i][0]; i++)
		if (field_get(f, rs->excl[i][0]) &&
		    field_get(f, rs->excl[i][1])) {
			http_reply_error(r, 400, "%s: fields %s and %s exclude "
					 "each other", rs->name,
					 rs->excl[i][0], rs->excl[i][1]);
			return false;
		}
	if (!write)
		return true;
	for (int i = 0; i < MAX_MAP && rs->map[i].field; i++)
		if (rs->map[i].required && !field_get(f, rs->map[i].field)) {
			http_reply_error(r, 400, "%s: field %s is required",
					 rs->name, rs->map[i].field);
			return false;
		}
	if (rs->one_of[0] && !field_get(f, rs->one_of[0]) &&
	    !field_get(f, rs->one_of[1])) {
		http_reply_error(r, 400, "%s: give field %s or %s", rs->name,
				 rs->one_of[0], rs->one_of[1]);
		return false;
	}
	return true;
}
