/*
 * NAME
 *	log_search.c - the subscription log search of mq log and the API
 * DESCRIPTION
 *	A search finds a slog row whose address or From line contains the
 *	text as SQL's LIKE '%text%' would, so a search gives what the same
 *	query in SQL gives (ops.h).
 */
#include "mq/ops/ops.h"

/* like_at - does pattern match text at its start ('_' any one byte)? */
static bool like_at(const char *text, const char *pat, size_t plen)
{
	for (size_t i = 0; i < plen; i++)
		if (pat[i] != '_' && store_ascii_lower(text[i]) !=
		    store_ascii_lower(pat[i]))
			return false;
	return true;
}

bool	ops_log_contains(const struct store_value *v, const char *pat,
			  size_t plen)
{
	if (v->kind != SV_TEXT || v->len < plen)
		return plen == 0;
	for (size_t i = 0; i + plen <= v->len; i++)
		if (like_at(v->s + i, pat, plen))
			return true;
	return false;
}
