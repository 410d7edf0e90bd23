/*
 * NAME
 *	mailerq.h - what the MailerQ REST resource files share
 * SYNOPSIS
 *	#include "mq/http/mailerq.h"
 * DESCRIPTION
 *	mailerq.c describes each resource (its fields, the columns they
 *	name, the exclusive pairs) and reads request bodies into fields;
 *	mailerq_rows.c turns fields into rows and rows into fields, and
 *	answers GET, POST and DELETE.
 */
#ifndef MQ_HTTP_MAILERQ_H
#define MQ_HTTP_MAILERQ_H

#include <stdbool.h>

#include "mq/http/http.h"
#include "mq/ops/ops.h"
#include "mq/ops/table_write.h"

#define MAX_FIELDS	16
#define MAX_MAP		10
#define POOL_PREFIX	"pool:"
#define TIME_TEXT	19

/* How a field's value sits in its column. */
enum role {
	R_PLAIN,	/* the value itself */
	R_MTA,		/* a local IP (not "pool:...") */
	R_POOL,		/* "pool:" + the value */
	R_DOMAIN,	/* a domain (not an IP address) */
	R_IP,		/* an IP address */
	R_IGNORED,	/* taken and ignored (MailerQ's cluster flag) */
	R_ALIAS,	/* another name of a column: taken, never shown */
};

struct field_map {
	const char *field;
	const char *column;	/* NULL: R_IGNORED */
	enum role role;
	bool key;		/* selects the row */
	bool required;
};

struct resource {
	const char *name;	/* "pauses" */
	const char *table;	/* "paused" */
	struct field_map map[MAX_MAP];
	const char *excl[2][2];	/* pairs that exclude each other */
	const char *one_of[2];	/* one of these is required */
	const char *cascade;	/* DELETE also removes these rows (key col 0) */
	const char *parent;	/* POST needs a row of this table (key col 0) */
	bool cluster;		/* GET shows "cluster": true */
};

/* A request's fields, from its body or its query. */
struct fields {
	int n;
	char *name[MAX_FIELDS], *value[MAX_FIELDS];
};

/* mailerq_resources - every resource, ended by one without a name. */
extern const struct resource mailerq_resources[];

void	fields_free(struct fields *f);
/* field_get - the value of field name, or NULL. */
const char *field_get(const struct fields *f, const char *name);
/* query_fields, body_fields - the fields of q or of r's body (JSON or
 * form-urlencoded by its Content-Type); false: r is answered (400). */
bool	query_fields(struct http_req *r, const struct resource *rs,
		     const struct http_param *q, int n, struct fields *f);
bool	body_fields(struct http_req *r, const struct resource *rs,
		    struct fields *f);
/* map_find - the map entry of field, or NULL. */
const struct field_map *map_find(const struct resource *rs,
				 const char *field);
/* fields_check - known fields, exclusive pairs, and for a write the
 * required ones; false: r is answered (400 naming the fields). */
bool	fields_check(struct http_req *r, const struct resource *rs,
		     const struct fields *f, bool write);

#endif
