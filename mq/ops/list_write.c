/*
 * NAME
 *	list_write.c - subscribe, unsubscribe, list create and drop
 * SYNOPSIS
 *	#include "mq/ops/list_write.h"
 *
 *	kind = list_sub(st, "news", SUB_MAIN, true, req, n, &counts, &bad);
 *	kind = list_create(st, "news");
 * DESCRIPTION
 *	See list_write.h.  A list's secret key is made here, random, for
 *	the store (SQL has no place for it; a list that comes from SQL
 *	gets a random key of the store's own).
 * DIAGNOSTICS
 *	One line through ops_error (write.c); the result kind.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "mq/ops/list_write.h"
#include "mq/ops/ops.h"
#include "mq/ops/write.h"

struct sql_write *list_sub_batch(struct store *st, const char *root,
				 enum sub_table which, bool add,
				 const struct sub_request *r, size_t n)
{
	struct sql_write *w = ops_write_new(st);

	if (w)
		sql_write_sub(w, root, which, add, r, n);
	return w;
}

/* shown - the first bytes of s fit for a message: '?' for any other */
static void shown(char *out, size_t outlen, const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n && i + 4 < outlen; i++)
		out[i] = (unsigned char)s[i] < 0x20 ||
			(unsigned char)s[i] >= 0x7f ? '?' : s[i];
	if (i < n) {
		memcpy(out + i, "...", 3);
		i += 3;
	}
	out[i] = 0;
}

bool list_address(const char *in, size_t len, bool add, const char **addr,
		  size_t *alen, char *err, size_t errlen)
{
	char why[ADDR_WHY_MAX], given[84];
	bool bracketed;
	int rc = add ? addr_parse(in, len, addr, alen, why, sizeof(why))
		: addr_reduce(in, len, addr, alen, &bracketed, why,
			      sizeof(why));

	if (rc == 0)
		return true;
	shown(given, sizeof(given), in, len);
	snprintf(err, errlen, "address '%s': %s", given, why);
	return false;
}

bool list_address_stored(const char *in, size_t len, char *out,
			 size_t *outlen, char *err, size_t errlen)
{
	const char *addr;
	size_t alen;

	return list_address(in, len, false, &addr, &alen, err, errlen) &&
		sub_address(addr, alen, out, outlen, err, errlen) == STORE_OK;
}

enum result_kind list_sub(struct store *st, const char *root,
			  enum sub_table which, bool add,
			  struct sub_request *r, size_t n,
			  struct sub_counts *counts, size_t *failed)
{
	struct sql_write *w;
	enum result_kind k;
	char err[256];

	for (size_t i = 0; i < n; i++)
		if (!list_address(r[i].addr, r[i].len, add, &r[i].addr,
				  &r[i].len, err, sizeof(err))) {
			ops_error("%s", err);
			*failed = i;
			return RESULT_BADDATA;
		}
	w = list_sub_batch(st, root, which, add, r, n);
	k = w ? ops_write(w) : RESULT_INTERNAL;

	*failed = w ? sql_write_out(w, 0)->failed : SIZE_MAX;
	if (!k)
		*counts = sql_write_out(w, 0)->counts;
	sql_write_free(w);
	/* subscribing to a list that is not there is a bad request */
	return k == RESULT_NOTFOUND ? RESULT_BADDATA : k;
}

struct sql_write *list_create_batch(struct store *st, const char *root)
{
	struct sql_write *w = ops_write_new(st);

	if (w)
		sql_write_list_create(w, root, NULL, 0);
	return w;
}

struct sql_write *list_drop_batch(struct store *st, const char *root)
{
	struct sql_write *w = ops_write_new(st);

	if (w)
		sql_write_list_drop(w, root);
	return w;
}

/* run - a batch at once, freed after */
static enum result_kind run(struct sql_write *w)
{
	enum result_kind k = w ? ops_write(w) : RESULT_INTERNAL;

	sql_write_free(w);
	return k;
}

enum result_kind list_create(struct store *st, const char *root)
{
	return run(list_create_batch(st, root));
}

enum result_kind list_drop(struct store *st, const char *root)
{
	return run(list_drop_batch(st, root));
}
