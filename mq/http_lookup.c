/*
 * NAME
 *	http_lookup.c - placeholder until the handler lands
 */
#include "mq/http.h"

void	http_lookup_handle(struct http_req *r)
{
	http_reply_error(r, 501, "%s: not implemented yet", r->path);
}
