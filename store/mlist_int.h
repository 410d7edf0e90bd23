/*
 * NAME
 *	mlist_int.h - what subscribe.c and sublist.c share, store-private
 * DESCRIPTION
 *	One scan of an address table serves the plain listing and the
 *	sublist split: a predicate picks the addresses, hash-98 receipts
 *	can be held back and given after all others.
 */
#ifndef MQ_STORE_MLIST_INT_H
#define MQ_STORE_MLIST_INT_H

#include "store/store.h"

/* Addresses in the map, kept for after a scan. */
struct addr_list {
	struct addr_ref { const char *s; size_t len; } *v;
	size_t n, cap;
};

struct sub_scan {
	int64_t lo, hi;		/* the hashes (as stored) to give */
	/* want - is this address of lo..hi one to give?  NULL: yes. */
	bool (*want)(const char *addr, size_t len, int64_t hash, void *arg);
	sub_addr_fn fn;		/* called for each wanted address */
	void *arg;		/* for both */
	bool receipts;		/* hash 98: to fn after all others */
};

/*
 * sub_scan - one cursor pass over list root's table which, in key order;
 *	STORE_NOTFOUND (naming the list) when root is no list.
 */
enum store_rc sub_scan(struct store_txn *txn, const char *root,
		       enum sub_table which, const struct sub_scan *sc);

#endif
