/*
 * NAME
 *	split.c - one entry of a list's split table, checked and written
 *	through the one write path
 * DESCRIPTION
 *	What mq split (mq/cli/cmd_split.c) and the API's
 *	/v1/lists/T/split (mq/http/list_split.c) share, so an entry is
 *	checked the same way whichever way it comes in (split_entry.h).
 */
#include <stdio.h>
#include <string.h>

#include "mq/ops/ops.h"
#include "mq/ops/split_entry.h"
#include "mq/ops/write.h"

const struct split_int_field split_int_fields[SPLIT_INT_FIELDS] = {
	{ "--hash-lo", "hash_lo", REG_SPLIT_HASH_LO, 0, SUB_HASH_MAX },
	{ "--hash-hi", "hash_hi", REG_SPLIT_HASH_HI, 0, SUB_HASH_MAX },
	{ "--msgnum-lo", "msgnum_lo", REG_SPLIT_MSGNUM_LO, 0, SPLIT_MSGNUM_MAX },
	{ "--msgnum-hi", "msgnum_hi", REG_SPLIT_MSGNUM_HI, 0, SPLIT_MSGNUM_MAX },
};

/* assign - col := v; an option given twice keeps its last value. */
static void assign(struct split_add *s, int col, struct store_value v)
{
	int i = 0;

	while (i < s->na && s->a[i].col != col)
		i++;
	if (i == SPLIT_ASSIGNS)
		return;		/* cannot be: one slot per column */
	s->a[i] = (struct store_assign){ col, v };
	if (i == s->na)
		s->na++;
}

void	split_assign_int(struct split_add *s, int col, int64_t v)
{
	assign(s, col, (struct store_value){ .kind = SV_INT, .i = v });
}

void	split_assign_text(struct split_add *s, int col, const char *v)
{
	assign(s, col, (struct store_value){ .kind = SV_TEXT, .s = v,
					      .len = strlen(v) });
}

/* int_of - the value assigned to col, or dflt. */
static int64_t int_of(const struct split_add *s, int col, int64_t dflt)
{
	for (int i = 0; i < s->na; i++)
		if (s->a[i].col == col)
			return s->a[i].v.i;
	return dflt;
}

bool	split_assign_domain(struct split_add *s, const char *d, char *err,
			    size_t errlen)
{
	size_t n = strlen(d);

	for (size_t i = 0; i < n && n <= SUB_DOMAIN_MAX; i++) {
		if (d[i] == '.' || d[i] == '@' || (unsigned char)d[i] <= ' ')
			n = 0;
		s->domain[i] = (char)store_ascii_lower((unsigned char)d[i]);
	}
	if (n < 1 || n > SUB_DOMAIN_MAX) {
		snprintf(err, errlen, "'%.40s' is not the first 1 to 3 "
			 "letters of a domain's last label (e.g. 'edu', 'jp', "
			 "'hom')", d);
		return false;
	}
	s->domain[n] = 0;
	split_assign_text(s, REG_SPLIT_DOMAIN, s->domain);
	return true;
}

int	split_bounds_bad(const struct split_add *s)
{
	if (int_of(s, REG_SPLIT_HASH_LO, 0) > int_of(s, REG_SPLIT_HASH_HI, SUB_HASH_MAX))
		return REG_SPLIT_HASH_LO;
	if (int_of(s, REG_SPLIT_MSGNUM_LO, 0) > int_of(s, REG_SPLIT_MSGNUM_HI,
					       SPLIT_MSGNUM_MAX))
		return REG_SPLIT_MSGNUM_LO;
	return -1;
}

void	split_table_name(char *out, size_t len, const char *root, bool digest)
{
	(void)mlist_table_name(out, len, root, digest, REG_SPLIT_SUFFIX);
}

struct sql_write *split_add_batch(struct store *st, const struct split_add *s)
{
	struct sql_write *w = ops_write_new(st);

	if (w)
		sql_write_set(w, s->table, s->a, s->na);
	return w;
}

struct sql_write *split_del_batch(struct store *st, const struct split_del *d)
{
	struct sql_write *w = ops_write_new(st);

	if (w)
		sql_write_del(w, d->table, &d->f, 1);
	return w;
}

/* run - a split batch at once; a list that is not there is bad data */
static enum result_kind run(struct sql_write *w, const char *root,
			    uint64_t *out, bool id)
{
	char msg[1024];
	enum result_kind k = RESULT_INTERNAL;

	ops_capture(msg, sizeof(msg));
	if (w)
		k = ops_write(w);
	ops_capture_end();
	if (!k)
		*out = id ? (uint64_t)sql_write_out(w, 0)->id
			: sql_write_out(w, 0)->n;
	else if (k == RESULT_NOTFOUND) {
		ops_error("no such list: %s", root);
		k = RESULT_BADDATA;
	} else if (w)
		ops_error("%s", msg);
	sql_write_free(w);
	return k;
}

enum result_kind split_add(struct store *st, const char *root,
			   struct split_add *s)
{
	uint64_t listno = 0;
	enum result_kind k = run(split_add_batch(st, s), root, &listno, true);

	s->listno = (int64_t)listno;
	return k;
}

enum result_kind split_del(struct store *st, const char *root,
			   struct split_del *d)
{
	return run(split_del_batch(st, d), root, &d->n, false);
}
