/*
 * NAME
 *	mlist_int.h - what the list files of store/ share, store-private
 * DESCRIPTION
 *	An address table and its slog table, resolved once; one scan of
 *	an address table's index by hash (addr_index.c) serves the plain
 *	listing and the sublist split: a mask picks the hashes, a
 *	predicate the addresses.
 */
#ifndef MQ_STORE_MLIST_INT_H
#define MQ_STORE_MLIST_INT_H

#include "store/internal.h"

/* The two tables a subscribe writes, resolved once. */
struct sub_tables {
	char name[REG_NAME_MAX], slog[REG_NAME_MAX];
	const struct reg_table *t, *ts;
	struct tdb dbi, slog_dbi;
	struct tdb x;		/* the address table's index by hash */
};

/*
 * sub_resolve - the address table which of list root, its slog table
 *	and its index; STORE_NOTFOUND naming the list when root is no list.
 */
enum store_rc sub_resolve(struct store_txn *txn, const char *root,
			  enum sub_table which, struct sub_tables *st);

#define SUB_SCAN_HASHES	128	/* a scan gives hashes 0..127 */

struct sub_scan {
	uint64_t mask[SUB_SCAN_HASHES / 64];	/* the hashes to give */
	/* want - is this address (of a hash 0..52) one to give?  NULL: yes. */
	bool (*want)(const char *addr, size_t len, int64_t hash, void *arg);
	sub_addr_fn fn;		/* called for each wanted address */
	void *arg;		/* for both */
	const struct sub_place *after;	/* resume after it; NULL: start */
};

/* scan_mask_range - add the hashes lo..hi to sc's mask. */
void scan_mask_range(struct sub_scan *sc, int lo, int hi);

/*
 * sub_scan - the addresses of list root's table which, in index order
 *	(hash, then folded address), over the hashes of sc's mask.
 */
enum store_rc sub_scan(struct store_txn *txn, const char *root,
		       enum sub_table which, const struct sub_scan *sc);

#endif
