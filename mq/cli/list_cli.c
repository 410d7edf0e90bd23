/*
 * NAME
 *	list_cli.c - the argument helpers of the mailing-list commands,
 *	and mq list --sort's address order
 * SYNOPSIS
 *	list_table_flag(arg, &which); list_int_arg(opt, s, lo, hi, &v);
 *	list_check_root(root);
 *	struct addr_sort s = { 0 };
 *	store_sub_each(txn, root, which, lo, hi, true, addr_sort_add, &s);
 *	addr_sort_each(&s, fn, arg);
 *	addr_sort_free(&s);
 * DESCRIPTION
 *	The helpers are list_cli.h's, shared by cmd_list.c and cmd_split.c.
 *
 *	A listing comes in the order of the store's index, by hash (the
 *	order the sublist split needs, and the one that streams without
 *	holding the list).  --sort gathers the addresses of one listing,
 *	sorts them by their bytes (strcmp order, so the same in every
 *	locale) and hands them on in that order, with their hashes: the
 *	whole list is held in memory once.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "mq/cli/cli.h"
#include "mq/cli/list_cli.h"

bool list_table_flag(const char *arg, enum sub_table *which)
{
	static const struct { const char *flag; enum sub_table t; } f[] = {
		{ "--digest", SUB_DIGEST }, { "--allow", SUB_ALLOW },
		{ "--deny", SUB_DENY }, { "--mod", SUB_MOD },
	};

	for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++)
		if (strcmp(arg, f[i].flag) == 0) {
			*which = f[i].t;
			return true;
		}
	return false;
}

bool list_int_arg(const char *opt, const char *s, int64_t lo, int64_t hi,
		  int64_t *out)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (!*s || *end || errno || *s == ' ' || *s == '+' || v < lo ||
	    v > hi) {
		cli_error("%s: not an integer in %lld..%lld: '%.40s'", opt,
			  (long long)lo, (long long)hi, s);
		return false;
	}
	*out = v;
	return true;
}

bool list_check_root(const char *root)
{
	if (strlen(root) < REG_NAME_MAX && reg_root_valid(root))
		return true;
	cli_error("%.80s: not a list name (a lower-case letter, then "
		  "lower-case letters, digits and '_')", root);
	return false;
}


/* One address gathered, its bytes after the header. */
struct sorted_addr {
	size_t	len;
	int	hash;
	char	addr[];
};

/* addr_sort_add - sub_addr_fn: keep a copy of one address */
int addr_sort_add(const char *addr, size_t len, int hash, void *arg)
{
	struct addr_sort *s = arg;
	struct sorted_addr *a;

	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 1024;
		void *v = realloc(s->v, cap * sizeof(*s->v));

		if (!v)
			return s->oom = 1;
		s->v = v;
		s->cap = cap;
	}
	if (!(a = malloc(sizeof(*a) + len)))
		return s->oom = 1;
	a->len = len;
	a->hash = hash;
	memcpy(a->addr, addr, len);
	s->v[s->n++] = a;
	return 0;
}

/* by_bytes - qsort: memcmp order, a prefix before the longer address */
static int by_bytes(const void *x, const void *y)
{
	const struct sorted_addr *a = *(struct sorted_addr *const *)x;
	const struct sorted_addr *b = *(struct sorted_addr *const *)y;
	int c = memcmp(a->addr, b->addr, a->len < b->len ? a->len : b->len);

	return c ? c : (a->len > b->len) - (a->len < b->len);
}

/* addr_sort_each - sort, then fn for each address until it says stop */
int addr_sort_each(struct addr_sort *s, sub_addr_fn fn, void *arg)
{
	int r = 0;

	if (s->n)
		qsort(s->v, s->n, sizeof(*s->v), by_bytes);
	for (size_t i = 0; i < s->n && !r; i++)
		r = fn(s->v[i]->addr, s->v[i]->len, s->v[i]->hash, arg);
	return r;
}

void addr_sort_free(struct addr_sort *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
}
