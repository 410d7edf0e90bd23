/*
 * NAME
 *	list_cli.h - argument helpers of the mailing-list commands
 * DESCRIPTION
 *	Shared by mq/cmd_list.c (sub, unsub, issub, list, log) and
 *	mq/cmd_split.c (split); list --sort's ordering.  Code: list_cli.c.
 */
#ifndef MQ_LIST_CLI_H
#define MQ_LIST_CLI_H

#include <stdbool.h>
#include <stdint.h>

#include "store/store.h"

/*
 * list_table_flag - if arg is --digest, --allow, --deny or --mod, set
 *	*which and return true.
 */
bool list_table_flag(const char *arg, enum sub_table *which);

/*
 * list_int_arg - parse a decimal integer in lo..hi; on failure report
 *	"OPTION: not an integer in lo..hi: 'VALUE'" and return false.
 */
bool list_int_arg(const char *opt, const char *s, int64_t lo, int64_t hi,
		  int64_t *out);

/* list_check_root - a list name that can be one; else report, false. */
bool list_check_root(const char *root);

/*
 * A listing in address order: addr_sort_add, a
 *	sub_addr_fn, keeps each address (1 and oom set when memory runs
 *	out); addr_sort_each sorts them by their bytes and calls fn on
 *	each, stopping at fn's first nonzero answer, which it returns;
 *	addr_sort_free frees them.  Start from a zeroed struct.
 */
struct addr_sort {
	struct sorted_addr **v;
	size_t	n, cap;
	int	oom;
};
int	addr_sort_add(const char *addr, size_t len, int hash, void *arg);
int	addr_sort_each(struct addr_sort *s, sub_addr_fn fn, void *arg);
void	addr_sort_free(struct addr_sort *s);

#endif
