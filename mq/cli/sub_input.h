/*
 * NAME
 *	sub_input.h - the addresses of mq sub and unsub: arguments or stdin
 * DESCRIPTION
 *	Used by cmd_list.c.  Code: sub_input.c.
 */
#ifndef MQ_SUB_INPUT_H
#define MQ_SUB_INPUT_H

#include <stdbool.h>
#include <stddef.h>

#include "store/store.h"

/* The parsed arguments of sub and unsub. */
struct sub_args {
	const char *root;
	enum sub_table which;
	int hash;
	const char *from;
	bool from_stdin;
	bool names;		/* -n: from lines follow the addresses */
	char **addrs;
	int naddrs;
};

/* The requests of one sub/unsub run. */
struct sub_input {
	struct sub_request *req;
	size_t n;
	char *text;		/* stdin, whose lines req points into;
				 * NULL: the arguments */
	size_t mapped;		/* text is stdin's file mapped, this long */
};

/*
 * sub_input_read - a's requests, from its arguments or from stdin; for
 *	stdin also the heap readied for them (store_sub_warm: end it with
 *	store_sub_warm_end).  0, or the exit status after reporting "mq:
 *	stdin:LINE: ...".  Free *in with sub_input_free in either case.
 */
int sub_input_read(const struct sub_args *a, struct sub_input *in);

/* sub_input_line - the stdin line of request i */
size_t sub_input_line(const struct sub_input *in, size_t i);

/* sub_input_free - release what sub_input_read took */
void sub_input_free(struct sub_input *in);

#endif
