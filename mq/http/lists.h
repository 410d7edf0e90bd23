/*
 * NAME
 *	http_list.h - what the /v1/lists handler files share
 * SYNOPSIS
 *	#include "mq/http/lists.h"
 * DESCRIPTION
 *	http_lists.c routes /v1/lists[/T[/PART]] and answers the lists
 *	themselves, status and log; http_list_subs.c the address tables
 *	(streamed listing, subscribe, unsubscribe, issub);
 *	http_list_split.c the sublist split.  Each handler here is called
 *	with r->seg[0] a valid list name whose tables exist.
 *
 *	Every write leaves the event loop through http_write_submit: the
 *	handler checks the request, copies what the write needs into an
 *	op on the heap that begins with its struct http_write, and the
 *	op's done() answers from the op and frees it.
 */
#ifndef MQ_HTTP_LIST_H
#define MQ_HTTP_LIST_H

#include <stdbool.h>
#include <stdint.h>

#include "mq/http/http.h"

/* The address tables by their path part: "subscribers", "digest"... */
bool	http_list_table(const char *part, enum sub_table *which);

/* http_list_part_name - the path part of an address table */
const char *http_list_part_name(enum sub_table which);

/*
 * http_list_int - query parameter name as an integer in lo..hi, dflt
 *	when absent.  On a bad value it answers 400 naming the parameter
 *	and returns false.
 */
bool	http_list_int(struct http_req *r, const char *name, int64_t lo,
		      int64_t hi, int64_t dflt, int64_t *out);

/* http_list_flag - query parameter name is "1", "true" or "yes" */
bool	http_list_flag(struct http_req *r, const char *name);

/* http_list_missing - 404 "no such list: T" */
void	http_list_missing(struct http_req *r, const char *root);

/* /v1/lists/T/{subscribers,digest,allow,deny,mod} */
void	http_list_subs(struct http_req *r, const char *root,
		       enum sub_table which);

/* /v1/lists/T/split and /v1/lists/T/split/check */
void	http_list_split(struct http_req *r, const char *root);

#endif
