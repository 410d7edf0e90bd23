/*
 * NAME
 *	list_cli.h - argument helpers of the mailing-list commands
 * DESCRIPTION
 *	Shared by mq/cmd_list.c (sub, unsub, issub, list, log) and
 *	mq/cmd_split.c (split).
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

#endif
