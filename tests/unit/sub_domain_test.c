/*
 * NAME
 *	sub_domain_test - "@domain" entries, as ezmlm-idx's issub reads them
 * DESCRIPTION
 *	ezmlm-sub takes "@wild.org" (an empty local part) and ezmlm-issubn
 *	then accepts anyone at wild.org: issub looks the address up, and
 *	when it is not there, "@" + its domain (subdb.c, issub()), each
 *	with a hash 0..52.  Checks that store_sub stores such an entry
 *	(domain lower-cased, hash of the folded entry as ezmlm computes
 *	it), that store_issub answers for an address of that domain with
 *	the entry and for no other domain (a subdomain included), that an
 *	address's own entry of hash 98 gives way to the domain's, that
 *	unsubscribing "@domain" ends it, and that "@" alone is refused.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/store.h"
#include "check.h"

#define ROOT	"dl"

static struct store *st;

struct job {
	const char *addr;
	int hash;
	bool add;
};

static enum store_rc sub_fn(struct store_txn *t, void *arg)
{
	const struct job *j = arg;
	struct sub_request r = { .addr = j->addr, .len = strlen(j->addr),
				 .hash = j->hash };

	return store_sub(t, ROOT, SUB_MAIN, j->add, &r, 1, NULL, NULL);
}

static enum store_rc create_fn(struct store_txn *t, void *arg)
{
	(void)arg;
	return store_list_create(t, ROOT, NULL, 0);
}

static bool sub(const char *addr, int hash, bool add)
{
	struct job j = { addr, hash, add };

	return store_write(st, sub_fn, &j, NULL) == STORE_OK;
}

/* member - issub of addr: its hash, the entry as stored into out; -1. */
static int member(const char *addr, char *out, size_t outlen)
{
	struct store_txn *t;
	struct store_value v;
	int hash = -1;

	out[0] = 0;
	if (store_read_begin(st, &t))
		return -1;
	if (store_issub(t, ROOT, SUB_MAIN, addr, strlen(addr), &hash, &v))
		hash = -1;
	else
		snprintf(out, outlen, "%.*s", (int)v.len, v.s);
	store_read_end(t);
	return hash;
}

int main(void)
{
	char dir[] = "/tmp/sub_domain_test.XXXXXX", file[64], lock[80];
	char err[512] = "", got[300];
	int h;

	if (!CHECK(mkdtemp(dir) != NULL, "scratch directory"))
		return check_done();
	snprintf(file, sizeof(file), "%s/mq.mdb", dir);
	snprintf(lock, sizeof(lock), "%s-lock", file);
	if (!CHECK(store_open(file, 0, NULL, &st, err, sizeof(err)) ==
		   STORE_OK && store_write(st, create_fn, NULL, NULL) ==
		   STORE_OK, "a store with a list: %s", err))
		return check_done();
	CHECK(sub("@Wild.ORG", -1, true), "subscribe @Wild.ORG");
	h = member("@wild.org", got, sizeof(got));
	CHECK(h == (int)sub_hash_bytes("@wild.org", 9) &&
	      strcmp(got, "@wild.org") == 0,
	      "stored as @wild.org with the hash of the folded entry (%d)", h);
	h = member("Alice@WILD.org", got, sizeof(got));
	CHECK(h >= 0 && strcmp(got, "@wild.org") == 0,
	      "alice@wild.org is a member through it (%s)", got);
	CHECK(member("alice@sub.wild.org", got, sizeof(got)) < 0 &&
	      member("alice@wild.org.example", got, sizeof(got)) < 0,
	      "a subdomain or another domain is not");
	CHECK(sub("bob@wild.org", SUB_HASH_RECEIPT, true) &&
	      member("bob@wild.org", got, sizeof(got)) >= 0 &&
	      strcmp(got, "@wild.org") == 0,
	      "bob's own entry of hash 98 gives way to the domain's");
	CHECK(sub("@wild.org", -1, false) &&
	      member("alice@wild.org", got, sizeof(got)) < 0,
	      "after unsubscribing @wild.org, alice is not a member");
	CHECK(member("bob@wild.org", got, sizeof(got)) == SUB_HASH_RECEIPT,
	      "and bob is his hash-98 entry again");
	CHECK(!sub("@", -1, true) && !sub("alice@", -1, true),
	      "\"@\" and an empty domain are refused");
	store_close(st);
	unlink(file);
	unlink(lock);
	rmdir(dir);
	return check_done();
}
