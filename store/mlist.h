/*
 * NAME
 *	mlist.h - ezmlm list semantics: address hash, subscribers, split
 * SYNOPSIS
 *	#include "store/store.h"	(includes this header)
 * DESCRIPTION
 *	The parts of the store that give the ezmlm list tables (DESIGN.md
 *	section 6) their meaning: ezmlm-idx 7's subscriber hash and the
 *	3-letter domain column (subhash.c), subscribing and unsubscribing
 *	with one slog row per change (subscribe.c), listing subscribers
 *	and the sublist split (sublist.c).  The cookie and message-log
 *	part follows in its own section below.
 *
 *	Listing and the split read an address table's index by hash
 *	(addr_index.c): only the hashes asked for, each address in place,
 *	nothing copied; T_name is small and read whole.
 * DIAGNOSTICS
 *	Functions return an enum store_rc; store_errmsg() has the detail.
 */
#ifndef MQ_STORE_MLIST_H
#define MQ_STORE_MLIST_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

#include "store/store.h"

/* Subscribers, hash, domain (h6a). */

#define SUB_HASH_MAX	52	/* normal hashes are 0..SUB_HASH_MAX */
#define SUB_HASH_RECEIPT 98	/* return-receipt: sent after all others */
#define SUB_HASH_SUBLIST 99	/* a sublist's address */
#define SUB_HASH_LIMIT	99	/* --hash takes 0..SUB_HASH_LIMIT */
#define SUB_ADDR_MAX	255	/* bytes of an address, as ezmlm-idx's SQL */
#define SUB_DOMAIN_MAX	3	/* bytes of the domain column */

/*
 * sub_hash_bytes - ezmlm-idx 7's subhashb() of exactly these bytes:
 *	h = 5381 (64 bits); h = (h + (h << 5)) ^ (uint32_t)(signed char)b
 *	for each byte; result h % 53.  No case folding: the native
 *	subscribers/ file name is '@' + sub_hash_bytes("T" + lower-cased
 *	address).
 */
unsigned sub_hash_bytes(const void *s, size_t len);

/*
 * sub_hash - the hash column of an address: sub_hash_bytes of the
 *	address with every ASCII letter lower-cased (as ezmlm-idx's
 *	subscribe does), 0..52.
 */
unsigned sub_hash(const char *addr, size_t len);

/*
 * sub_domain - the domain column: the first 3 bytes of the last label
 *	of the address's (lower-cased) domain, shortened so that no UTF-8
 *	character is cut ("jp", "edu", "hom" for "home").  Writes a
 *	NUL-terminated string to out and returns its length.
 */
size_t sub_domain(const char *addr, size_t len, char out[SUB_DOMAIN_MAX + 1]);

/*
 * sub_address - the address as stored: ASCII letters after the last
 *	'@' lower-cased, local part kept.  An empty local part ("@domain")
 *	is ezmlm's entry for every address at the domain (store_issub).
 *	Refuses (STORE_BADDATA, reason in err) an address without '@', with
 *	an empty domain, longer than SUB_ADDR_MAX, or with a control byte,
 *	space or NUL.  out holds SUB_ADDR_MAX + 1 bytes; *outlen excludes the NUL.
 */
enum store_rc sub_address(const char *in, size_t len, char *out,
			  size_t *outlen, char *err, size_t errlen);

/*
 * ---- Addresses as people paste them (address.c) ----
 */

#define ADDR_LOCAL_MAX	64	/* bytes of a local part (RFC 5321) */
#define SUB_PATH_MAX	254	/* bytes of an address: a path of 256, <> in */
#define ADDR_WHY_MAX	160	/* room for any reason below */

/*
 * addr_reduce - what people paste ("Name <a@b>", "\"Quoted\" <a@b>",
 *	"<a@b>", blanks around) reduced to the address, *addr pointing
 *	into in; *bracketed tells whether it stood in angle brackets.
 *	0, or -1 with the reason in why (a '<' without a '>', text after
 *	the '>', an empty address).  Nothing else is checked.
 */
int addr_reduce(const char *in, size_t len, const char **addr, size_t *alen,
		bool *bracketed, char *why, size_t whylen);

/*
 * addr_check - is s (n bytes, bare) a mailbox as RFC 5321 writes it:
 *	a dot-atom or quoted local part of 1..ADDR_LOCAL_MAX bytes, '@',
 *	a domain of at least two letter-digit-hyphen labels (no hyphen
 *	first or last, 1..63 bytes, the last not a number; UTF-8 labels
 *	as IDN, A-labels as any) or an address literal ([192.0.2.1],
 *	[IPv6:2001:db8::1]); UTF-8 in the local part as RFC 6531; at most
 *	SUB_PATH_MAX bytes.  domain_entry: "@domain" (ezmlm's entry for a
 *	whole domain) is valid too.  false with the reason, in words.
 */
bool addr_check(const char *s, size_t n, bool domain_entry, char *why,
		size_t whylen);

/*
 * addr_parse - addr_reduce, then addr_check of the address found (a
 *	bare "@domain" is valid, "Name <@domain>" is not).  0 or -1 with
 *	the reason in why.
 */
int addr_parse(const char *in, size_t len, const char **addr, size_t *alen,
	       char *why, size_t whylen);

/*
 * addr_row_check - does a row of a list's address table (as SQL or an
 *	import holds it) keep the invariants mq's own writes keep: an
 *	address addr_check takes ("@domain" too), a hash 0..52 that is the
 *	address's own (a special hash 53..99 is any address's)?  false
 *	with the reason.  For reporting only: such rows are kept.
 */
bool addr_row_check(const struct store_row *row, char *why, size_t whylen);

/*
 * ---- Cookies and the message log (h6b: cookie.c, checktag.c, mlog.c) ----
 */

#define MLIST_COOKIE_LEN 20	/* letters 'a'..'p' */
#define MLIST_NAME_MAX	255	/* bytes of a sublist name in T_name */
#define MLIST_SENDER_MAX 1024	/* bytes of a sender given to a cookie */

/* mlist_table_name - root + ("_digest") + suffix; -1 if it won't fit. */
int mlist_table_name(char *out, size_t outlen, const char *root, bool digest,
		     const char *suffix);

/*
 * mlist_cookie_compute - ezmlm-idx 7's cookie() of message msgnum from
 *	sender (NUL-terminated, "" for none) with action byte action
 *	('m' for a list message) under the list key; out is NUL-terminated.
 */
void mlist_cookie_compute(char out[MLIST_COOKIE_LEN + 1], const uint8_t *key,
			  size_t keylen, int64_t msgnum, const char *sender,
			  char action);

struct mlist_cookie_req {
	const char *root;
	bool digest;		/* T_digest_cookie instead of T_cookie */
	int64_t msgnum;
	const char *sender;
	char action;
	int64_t chunk, bodysize;
};

/*
 * mlist_cookie_make - compute the cookie of req under the list's key and
 *	store it in T_cookie (tai now).  When the message has that cookie
 *	already, nothing is written and *kept is set; a different stored
 *	cookie is STORE_EXISTS (the first one stays).  STORE_NOTFOUND: no
 *	such list.
 */
enum store_rc mlist_cookie_make(struct store_txn *txn,
				const struct mlist_cookie_req *req,
				char out[MLIST_COOKIE_LEN + 1], bool *kept);

enum mlist_tag {
	MLIST_TAG_OK,		/* cookie matches, message not yet done */
	MLIST_TAG_NOCOOKIE,	/* no cookie stored for that message */
	MLIST_TAG_MISMATCH,	/* a different cookie is stored */
	MLIST_TAG_DONE,		/* listno has an entry with done > 0 */
};

/*
 * mlist_checktag - a sublist's check of a message (seed 5.8, 5.9), in
 *	ezmlm-idx's order: when listno >= 0, T_mlog may have no entry
 *	(listno, msgnum, done > 0); then the cookie must equal the one in
 *	T_cookie for msgnum.  The verdict is in *result; the return code
 *	is for failures only.
 */
enum store_rc mlist_checktag(struct store_txn *txn, const char *root,
			     bool digest, int64_t msgnum, const char *cookie,
			     int64_t listno, enum mlist_tag *result);

/*
 * A tagger: both tables of mlist_checktag resolved once per transaction,
 *	for a caller that checks many messages (as a prepared statement).
 *	It lives until mlist_tagger_close, which must come before the
 *	transaction ends.
 */
struct mlist_tagger;
enum store_rc mlist_tagger_open(struct store_txn *txn, const char *root,
				bool digest, struct mlist_tagger **out);
enum store_rc mlist_tagger_check(struct mlist_tagger *g, int64_t msgnum,
				 const char *cookie, int64_t listno,
				 enum mlist_tag *result);
void mlist_tagger_close(struct mlist_tagger *g);

struct mlist_mlog_req {
	const char *root;
	bool digest;
	int64_t msgnum, listno, done, subs;
	const char *tai;	/* NULL: now */
};

/*
 * mlist_mlog_add - log (listno, msgnum, done) in T_mlog.  The first
 *	entry stays: when one exists, nothing is written and *already is set.
 */
enum store_rc mlist_mlog_add(struct store_txn *txn,
			     const struct mlist_mlog_req *req, bool *already);

/* The events of the status view, by mlog code 0, 1, 2, -1. */
enum mlist_event { MLIST_ARRIVAL, MLIST_PROCESSED, MLIST_RECEIPT,
		   MLIST_BOUNCE, MLIST_NEVENTS };

/* The raw codes kept besides: -1 .. 5 (ezmlm-idx 7's), at code + 1. */
#define MLIST_CODE_MIN	(-1)
#define MLIST_NCODES	7

struct mlist_status {
	int64_t msgnum, listno;
	char name[MLIST_NAME_MAX + 1];	/* from T_name; "" if none */
	bool have[MLIST_NEVENTS];
	char tai[MLIST_NEVENTS][32];	/* the entry's time, as stored */
	bool have_code[MLIST_NCODES];	/* each code's entry, as stored */
	char code_tai[MLIST_NCODES][32];
};

/*
 * mlist_status_collect - the entries of the last nmsg message numbers
 *	of T_mlog, one per (msgnum, listno), msgnum descending then listno
 *	ascending.  *out is malloc'ed (free it); nothing points into the map.
 */
enum store_rc mlist_status_collect(struct store_txn *txn, const char *root,
				   bool digest, size_t nmsg,
				   struct mlist_status **out, size_t *nout);

/*
 * ---- Subscribing and listing (h6a: subscribe.c, sublist.c) ----
 */

/* The address tables of a list, each with its own _slog table. */
enum sub_table { SUB_MAIN, SUB_DIGEST, SUB_ALLOW, SUB_DENY, SUB_MOD };

/* sub_table_suffix - "", "_digest", "_allow", "_deny" or "_mod". */
const char *sub_table_suffix(enum sub_table which);

/* One address to subscribe or unsubscribe. */
struct sub_request {
	const char *addr;	/* as given; stored with sub_address() */
	size_t len;
	int hash;		/* -1: sub_hash(); 0..SUB_HASH_LIMIT: forced */
	const char *fromline;	/* for the slog; NULL: "" */
	size_t fromlen;
	char etype;		/* slog etype: ' ', 'm' manual, 'p' probe */
};

/* What store_sub did with each request, counted. */
struct sub_counts {
	uint64_t changed;	/* subscribed or unsubscribed */
	uint64_t unchanged;	/* already (not) there */
	uint64_t blocked;	/* add: present with a hash above 52 */
};

/*
 * store_sub - inside the caller's write transaction, subscribe (add)
 *	or unsubscribe each of the n requests to list root's table which,
 *	with ezmlm-idx's rules: an address already present (whatever its
 *	case or hash) is left as it is; unsubscribing without a forced
 *	hash removes only an address with a hash 0..52, with a forced hash
 *	only one with exactly that hash.  Each change writes one _slog row
 *	(edir '+' or '-').  A bad address fails the whole call with
 *	STORE_BADDATA, *failed (if given) its index; the caller's
 *	transaction must then be aborted.  Costs one B-tree put or delete
 *	per address plus the slog row and the two change records; when
 *	those would take the transaction past changes-keep, the change log
 *	gets one overflow record instead (see store/internal.h).
 */
enum store_rc store_sub(struct store_txn *txn, const char *root,
			enum sub_table which, bool add,
			const struct sub_request *r, size_t n,
			struct sub_counts *counts, size_t *failed);

/*
 * store_sub_reserve - grow the map (up to store-max-size) so that n
 *	more addresses fit, before a bulk store_sub: store_write would
 *	otherwise run a large transaction again after each doubling.  Call
 *	it outside any transaction of this process.
 */
enum store_rc store_sub_reserve(struct store *st, size_t n);

/*
 * store_bulk_alloc - size bytes for a bulk load's arrays, in huge pages
 *	when large (released with free()); store_sub_warm - ready the
 *	malloc heap for the pages a write of n addresses dirties, faulted
 *	in by a thread while the caller goes on (changes the process's
 *	malloc settings: for a program's bulk load only);
 *	store_sub_warm_end - stop that thread and wait for it (before
 *	exit; a second warm ends the first).  (bulk_mem.c)
 */
void *store_bulk_alloc(size_t size);
void store_sub_warm(size_t n);
void store_sub_warm_end(void);

/*
 * store_issub - is addr (any case) in list root's table which?
 *	STORE_OK with its hash in *hash (any 0..99: the caller decides
 *	what a special hash means) and, if stored is given, the address as
 *	stored (valid until the transaction ends); STORE_NOTFOUND if not.
 *	As ezmlm-idx's issub: when addr is not there with a hash 0..52,
 *	an entry "@domain" for its domain (hash 0..52) answers for it.
 */
enum store_rc store_issub(struct store_txn *txn, const char *root,
			  enum sub_table which, const char *addr, size_t len,
			  int *hash, struct store_value *stored);

/*
 * sub_addr_fn - called per address with the stored form and its hash;
 *	the pointer is valid until the transaction ends.  Non-zero stops.
 */
typedef int (*sub_addr_fn)(const char *addr, size_t len, int hash,
			   void *arg);

/*
 * A listing's order is by hash, then by the address folded to lower
 *	case.  A place in it, to resume a listing after: the hash and the
 *	address (any case) that were given last.
 */
struct sub_place {
	int hash;
	const char *addr;
	size_t len;
};

/*
 * store_sub_each - the addresses of table which whose hash lies in
 *	lo..hi (within 0..SUB_HASH_LIMIT), in listing order; with receipts
 *	(when hi < 98), then the hash-98 addresses (the return-receipt
 *	addresses that every list sends to after all others).  Reads the
 *	index entries of those hashes only, nothing copied.
 */
enum store_rc store_sub_each(struct store_txn *txn, const char *root,
			     enum sub_table which, int lo, int hi,
			     bool receipts, sub_addr_fn fn, void *arg);

/* store_sub_each_after - the same, resuming after a place (NULL: start). */
enum store_rc store_sub_each_after(struct store_txn *txn, const char *root,
				   enum sub_table which, int lo, int hi,
				   bool receipts,
				   const struct sub_place *after,
				   sub_addr_fn fn, void *arg);

/* Sublist split (sublist.c). */

#define SPLIT_MSGNUM_MAX 4294967295LL	/* msgnum_hi's default */

/*
 * store_split_each - the addresses sublist name handles for message
 *	msgnum (seed 5.4): entries of T_name (T_digest_name when digest)
 *	with notuse = 0 and msgnum_lo <= msgnum <= msgnum_hi are active;
 *	an active entry with a domain takes the addresses of that domain
 *	(the last label's first 3 bytes, computed from the address) whose
 *	hash is in its range; one with an empty domain takes, in its
 *	range, the addresses of every domain that has no active entry.
 *	The sublist gets the union over its active entries, then every
 *	hash-98 address.  *listno (if given) receives the lowest listno of
 *	its active entries.  STORE_NOTFOUND when it has none.
 */
enum store_rc store_split_each(struct store_txn *txn, const char *root,
			       bool digest, const char *name, int64_t msgnum,
			       sub_addr_fn fn, void *arg, int64_t *listno);

/* store_split_each_after - the same, resuming after a place (NULL: start). */
enum store_rc store_split_each_after(struct store_txn *txn, const char *root,
				     bool digest, const char *name,
				     int64_t msgnum,
				     const struct sub_place *after,
				     sub_addr_fn fn, void *arg,
				     int64_t *listno);

/*
 * store_split_listno - the lowest listno among sublist name's entries
 *	active for msgnum (the listno ezmlm logs with); STORE_NOTFOUND
 *	when none is active.
 */
enum store_rc store_split_listno(struct store_txn *txn, const char *root,
				 bool digest, const char *name,
				 int64_t msgnum, int64_t *listno);

/* One hash range of one domain not covered for a range of messages. */
struct split_gap {
	char domain[SUB_DOMAIN_MAX + 1];	/* "" the rest */
	int hash_lo, hash_hi;
	int64_t msgnum_lo, msgnum_hi;
};

/*
 * store_split_gaps - every gap of the split: for each range of message
 *	numbers over which the set of active entries stays the same, the
 *	hashes 0..52 that no active entry covers, for the empty domain and
 *	for each domain with an active entry.  Calls fn per gap (non-zero
 *	stops); *entries (if given) counts the table's rows.
 */
enum store_rc store_split_gaps(struct store_txn *txn, const char *root,
			       bool digest,
			       int (*fn)(const struct split_gap *g, void *arg),
			       void *arg, uint64_t *entries);

#endif
