/*
 * NAME
 *	registry.c - the documented tables of mq
 * DESCRIPTION
 *	MailerQ tables as the MailerQ database documentation describes
 *	them (DESIGN.md section 5) and the ezmlm-idx 7 list tables with
 *	the seed's split columns (section 6).  Text columns that are keys
 *	or short codes are bounded as their SQL VARCHAR/CHAR will be;
 *	free text (keys, descriptions, patterns) may hold 1 MiB.
 */
#include <string.h>
#include <ctype.h>
#include <stdio.h>

#include "store/registry.h"

#define SHORT	255		/* VARCHAR(255): names, domains, ips */
#define LONG	(1u << 20)	/* free text: PEM keys, patterns */

#define ID	{ "id", REG_INT, REG_PK | REG_AUTO | REG_NOTNULL, 0, NULL }
#define LIMIT(n) { n, REG_INT, 0, 0, "-1" }
#define NCOLS(a) ((int)(sizeof(a) / sizeof((a)[0])))

/* The capacity limits, shared by capacity and flood_responses. */
#define CAPACITY_LIMITS \
	LIMIT("domain_maxmessages"), LIMIT("domain_maxconnects"), \
	LIMIT("domain_maxconnections"), LIMIT("ip_maxmessages"), \
	LIMIT("ip_maxconnects"), LIMIT("ip_maxconnections"), \
	LIMIT("connection_maxmessages"), LIMIT("connection_maxidletime"), \
	LIMIT("secure")

static const struct reg_column capacity_cols[] = {
	ID,
	{ "name", REG_TEXT, 0, LONG, NULL },
	{ "localip", REG_TEXT, 0, SHORT, "" },
	{ "domain", REG_TEXT, 0, SHORT, "" },
	CAPACITY_LIMITS,
};

static const struct reg_column capacity_rules_cols[] = {
	ID,
	{ "capacity", REG_INT, 0, 0, NULL },
	{ "localip", REG_TEXT, 0, SHORT, "" },
	{ "domain", REG_TEXT, 0, LONG, "" },
	{ "type", REG_TEXT, 0, 16, "exact" },
	{ "priority", REG_INT, 0, 0, "0" },
};

static const struct reg_column dkim_keys_cols[] = {
	ID,
	{ "domain", REG_TEXT, 0, SHORT, NULL },
	{ "selector", REG_TEXT, 0, SHORT, NULL },
	{ "privatekey", REG_TEXT, REG_SECRET, LONG, NULL },
	{ "algorithm", REG_TEXT, 0, 32, "rsa-sha256" },
	{ "expire", REG_TIME, 0, 0, NULL },
	{ "headers", REG_TEXT, 0, LONG, NULL },
	{ "priority", REG_INT, 0, 0, "0" },
	{ "verify", REG_INT, 0, 0, "0" },
};

static const struct reg_column dkim_patterns_cols[] = {
	ID,
	{ "dkim_key", REG_INT, 0, 0, NULL },
	{ "type", REG_TEXT, 0, 16, "exact" },
	{ "sign", REG_TEXT, 0, LONG, NULL },
};

static const struct reg_column dns_cols[] = {
	ID,
	{ "domain", REG_TEXT, 0, SHORT, NULL },
	{ "ip", REG_TEXT, 0, SHORT, NULL },
	{ "priority", REG_INT, 0, 0, "0" },
};

static const struct reg_column errors_cols[] = {
	ID,
	{ "localip", REG_TEXT, 0, SHORT, "" },
	{ "domain", REG_TEXT, 0, SHORT, "" },
	{ "tag", REG_TEXT, 0, SHORT, "" },
	{ "code", REG_INT, 0, 0, NULL },
	{ "extended", REG_TEXT, 0, SHORT, NULL },
	{ "description", REG_TEXT, 0, LONG, NULL },
	{ "expire", REG_TIME, 0, 0, NULL },
};

static const struct reg_column flood_responses_cols[] = {
	ID,
	{ "name", REG_TEXT, 0, LONG, NULL },
	{ "pattern", REG_TEXT, 0, LONG, NULL },
	{ "type", REG_TEXT, 0, 16, "substr" },
	CAPACITY_LIMITS,
	{ "pause", REG_INT, 0, 0, "0" },
	{ "duration", REG_INT, 0, 0, "0" },
};

static const struct reg_column ips_cols[] = {
	{ "ip", REG_TEXT, REG_PK | REG_NOTNULL, SHORT, NULL },
	{ "hostname", REG_TEXT, 0, LONG, NULL },
	{ "updated", REG_TIME, 0, 0, NULL },
};

static const struct reg_column locals_cols[] = {
	ID,
	{ "type", REG_TEXT, 0, 16, "exact" },
	{ "address", REG_TEXT, 0, LONG, NULL },
};

static const struct reg_column mtanames_cols[] = {
	{ "localip", REG_TEXT, REG_PK | REG_NOTNULL, SHORT, NULL },
	{ "hostname", REG_TEXT, 0, LONG, NULL },
};

static const struct reg_column paused_cols[] = {
	ID,
	{ "localip", REG_TEXT, 0, SHORT, "" },
	{ "target", REG_TEXT, 0, SHORT, "" },
	{ "tag", REG_TEXT, 0, LONG, "" },
	{ "expire", REG_TIME, 0, 0, NULL },
};

static const struct reg_column delegates_cols[] = {
	ID,
	{ "localip", REG_TEXT, 0, SHORT, "" },
	{ "domain", REG_TEXT, 0, SHORT, "" },
	{ "delegate", REG_TEXT, 0, LONG, NULL },
};

static const struct reg_column response_patterns_cols[] = {
	ID,
	{ "name", REG_TEXT, 0, LONG, NULL },
	{ "localip", REG_TEXT, 0, SHORT, "" },
	{ "domain", REG_TEXT, 0, SHORT, "" },
	{ "pattern", REG_TEXT, 0, LONG, NULL },
	{ "type", REG_TEXT, 0, 16, "substr" },
	{ "priority", REG_INT, 0, 0, "0" },
	{ "final", REG_INT, 0, 0, "0" },
};

static const struct reg_column response_actions_cols[] = {
	ID,
	{ "name", REG_TEXT, 0, LONG, NULL },
	{ "action", REG_TEXT, 0, SHORT, NULL },
	{ "property", REG_TEXT, 0, SHORT, NULL },
	{ "value", REG_TEXT, 0, LONG, NULL },
};

static const struct reg_column response_patterns_actions_cols[] = {
	{ "pattern", REG_INT, REG_PK | REG_NOTNULL, 0, NULL },
	{ "action", REG_INT, REG_PK | REG_NOTNULL, 0, NULL },
};

static const struct reg_column rewrite_triggers_cols[] = {
	ID,
	{ "name", REG_TEXT, 0, LONG, NULL },
	{ "localip", REG_TEXT, 0, SHORT, "" },
	{ "domain", REG_TEXT, 0, SHORT, "" },
	{ "property", REG_TEXT, 0, SHORT, NULL },
	{ "type", REG_TEXT, 0, 16, "exact" },
	{ "pattern", REG_TEXT, 0, LONG, NULL },
	{ "priority", REG_INT, 0, 0, "0" },
	{ "final", REG_INT, 0, 0, "0" },
};

static const struct reg_column rewrite_actions_cols[] = {
	ID,
	{ "rewrite_trigger", REG_INT, 0, 0, NULL },
	{ "action", REG_TEXT, 0, SHORT, NULL },
	{ "property", REG_TEXT, 0, SHORT, NULL },
	{ "value", REG_TEXT, 0, LONG, NULL },
	{ "position", REG_INT, 0, 0, "0" },
};

/*
 * MailerQ 5's REST resources that have no table in the seed: their
 * columns are mq's names (docs/tables.md).  A suppression names an
 * address or a whole domain; a pool is a name for a set of local IPs.
 */
static const struct reg_column suppressions_cols[] = {
	ID,
	{ "address", REG_TEXT, 0, SHORT, "" },
	{ "domain", REG_TEXT, 0, SHORT, "" },
	{ "code", REG_INT, 0, 0, NULL },
	{ "extended", REG_TEXT, 0, SHORT, NULL },
	{ "description", REG_TEXT, 0, LONG, NULL },
	{ "expire", REG_TIME, 0, 0, NULL },
};

static const struct reg_column pools_cols[] = {
	{ "name", REG_TEXT, REG_PK | REG_NOTNULL, SHORT, NULL },
	{ "description", REG_TEXT, 0, LONG, NULL },
};

static const struct reg_column pool_ips_cols[] = {
	{ "name", REG_TEXT, REG_PK | REG_NOTNULL, SHORT, NULL },
	{ "localip", REG_TEXT, REG_PK | REG_NOTNULL, SHORT, NULL },
};

#define MAILERQ(n, k, about) \
	static const struct reg_table n##_table = { #n, REG_MAILERQ, \
		n##_cols, NCOLS(n##_cols), k, about, false }
/* MQ_ONLY - a table of MailerQ's kind that MailerQ's database lacks */
#define MQ_ONLY(n, k, about) \
	static const struct reg_table n##_table = { #n, REG_MAILERQ, \
		n##_cols, NCOLS(n##_cols), k, about, true }
#define KEY1(a)		{ a }, 1
#define KEY2(a, b)	{ a, b }, 2
#define KEY3(a, b, c)	{ a, b, c }, 3

MAILERQ(capacity, KEY1(0), "delivery capacities per local ip and domain");
MAILERQ(capacity_rules, KEY1(0), "capacity rules per domain pattern / mta");
MAILERQ(dkim_keys, KEY1(0), "DKIM keys to sign outgoing mails");
MAILERQ(dkim_patterns, KEY1(0), "rules that decide what DKIM keys to use");
MAILERQ(dns, KEY1(0), "overridden dns lookups");
MAILERQ(errors, KEY1(0), "forced errors");
MAILERQ(flood_responses, KEY1(0),
	"alternative delivery limits when certain responses come in");
MAILERQ(ips, KEY1(0), "the host's IP addresses");
MAILERQ(locals, KEY1(0), "local email addresses");
MAILERQ(mtanames, KEY1(0), "alternative EHLO names");
MAILERQ(paused, KEY1(0), "deliveries on pause");
MAILERQ(delegates, KEY1(0), "send from another local ip for a domain");
MAILERQ(response_patterns, KEY1(0), "patterns of responses that must match");
MAILERQ(response_actions, KEY1(0), "response actions");
MAILERQ(response_patterns_actions, KEY2(0, 1),
	"which response actions each pattern executes");
MAILERQ(rewrite_triggers, KEY1(0), "triggers that fire rewrite actions");
MAILERQ(rewrite_actions, KEY1(0), "rewrites applied when a message loads");
MQ_ONLY(suppressions, KEY1(0), "addresses and domains never sent to");
MQ_ONLY(pools, KEY1(0), "named pools of local IPs");
MQ_ONLY(pool_ips, KEY2(0, 1), "the local IPs of each pool");

const struct reg_table *const reg_mailerq[] = {
	&capacity_table, &capacity_rules_table, &dkim_keys_table,
	&dkim_patterns_table, &dns_table, &errors_table,
	&flood_responses_table, &ips_table, &locals_table, &mtanames_table,
	&paused_table, &delegates_table, &response_patterns_table,
	&response_actions_table, &response_patterns_actions_table,
	&rewrite_triggers_table, &rewrite_actions_table, &suppressions_table,
	&pools_table, &pool_ips_table, NULL,
};

/*
 * The list tables' columns sit at the positions registry.h names; the
 * assertions keep each enum as long as its array.
 */
#define COL_COUNT(a, n) _Static_assert(NCOLS(a) == (n), #a " and its enum")

/* ezmlm-idx 7 address table plus the seed's 3-letter domain column. */
static const struct reg_column address_cols[] = {
	[REG_ADDR_HASH] = { "hash", REG_INT, REG_NOTNULL, 0, NULL },
	[REG_ADDR_ADDRESS] = { "address", REG_TEXT,
			       REG_PK | REG_NOTNULL | REG_FOLD, SHORT, NULL },
	[REG_ADDR_DOMAIN] = { "domain", REG_TEXT, 0, 3, "" },
};
COL_COUNT(address_cols, REG_ADDR_NCOLS);

/* Subscription log: no key in ezmlm-idx; rows keyed by a row number. */
static const struct reg_column slog_cols[] = {
	[REG_SLOG_TAI] = { "tai", REG_TIME, 0, 0, "now" },
	[REG_SLOG_ADDRESS] = { "address", REG_TEXT, REG_NOTNULL, SHORT,
			       NULL },
	[REG_SLOG_FROMLINE] = { "fromline", REG_TEXT, REG_NOTNULL, SHORT,
				"" },
	[REG_SLOG_EDIR] = { "edir", REG_TEXT, REG_NOTNULL, 1, NULL },
	[REG_SLOG_ETYPE] = { "etype", REG_TEXT, REG_NOTNULL, 1, " " },
};
COL_COUNT(slog_cols, REG_SLOG_NCOLS);

static const struct reg_column cookie_cols[] = {
	[REG_COOKIE_MSGNUM] = { "msgnum", REG_INT, REG_PK | REG_NOTNULL, 0,
				NULL },
	[REG_COOKIE_TAI] = { "tai", REG_TIME, REG_NOTNULL, 0, "now" },
	[REG_COOKIE_COOKIE] = { "cookie", REG_TEXT, REG_NOTNULL, 20, NULL },
	[REG_COOKIE_CHUNK] = { "chunk", REG_INT, REG_NOTNULL, 0, "0" },
	[REG_COOKIE_BODYSIZE] = { "bodysize", REG_INT, REG_NOTNULL, 0, "0" },
};
COL_COUNT(cookie_cols, REG_COOKIE_NCOLS);

static const struct reg_column mlog_cols[] = {
	[REG_MLOG_MSGNUM] = { "msgnum", REG_INT, REG_PK | REG_NOTNULL, 0,
			      NULL },
	[REG_MLOG_LISTNO] = { "listno", REG_INT, REG_PK | REG_NOTNULL, 0,
			      NULL },
	[REG_MLOG_TAI] = { "tai", REG_TIME, 0, 0, "now" },
	[REG_MLOG_SUBS] = { "subs", REG_INT, REG_NOTNULL, 0, "0" },
	[REG_MLOG_DONE] = { "done", REG_INT, REG_PK | REG_NOTNULL, 0, "0" },
};
COL_COUNT(mlog_cols, REG_MLOG_NCOLS);

static const struct reg_column name_cols[] = {
	[REG_SPLIT_LISTNO] = { "listno", REG_INT,
			       REG_PK | REG_AUTO | REG_NOTNULL, 0, NULL },
	[REG_SPLIT_NAME] = { "name", REG_TEXT, REG_NOTNULL, SHORT, NULL },
	[REG_SPLIT_NOTUSE] = { "notuse", REG_INT, REG_NOTNULL, 0, "0" },
	[REG_SPLIT_MSGNUM_LO] = { "msgnum_lo", REG_INT, REG_NOTNULL, 0,
				  "0" },
	[REG_SPLIT_MSGNUM_HI] = { "msgnum_hi", REG_INT, REG_NOTNULL, 0,
				  "4294967295" },
	[REG_SPLIT_HASH_LO] = { "hash_lo", REG_INT, REG_NOTNULL, 0, "0" },
	[REG_SPLIT_HASH_HI] = { "hash_hi", REG_INT, REG_NOTNULL, 0, "52" },
	[REG_SPLIT_DOMAIN] = { "domain", REG_TEXT, REG_NOTNULL, 3, "" },
};
COL_COUNT(name_cols, REG_SPLIT_NCOLS);

#define LIST(var, suffix, cols, k, about) \
	static const struct reg_table var = { suffix, REG_LIST, \
		cols, NCOLS(cols), k, about, false }
#define NOKEY	{ 0 }, 0

#define ADDR_KEY	KEY1(REG_ADDR_ADDRESS)
#define COOKIE_KEY	KEY1(REG_COOKIE_MSGNUM)
/* One row per (listno, msgnum, done), as ezmlm-idx 7's primary key. */
#define MLOG_KEY	KEY3(REG_MLOG_LISTNO, REG_MLOG_MSGNUM, REG_MLOG_DONE)
#define SPLIT_KEY	KEY1(REG_SPLIT_LISTNO)

LIST(list_main, "", address_cols, ADDR_KEY, "list subscribers");
LIST(list_digest, "_digest", address_cols, ADDR_KEY, "digest subscribers");
LIST(list_allow, "_allow", address_cols, ADDR_KEY, "sender aliases");
LIST(list_deny, "_deny", address_cols, ADDR_KEY, "denied addresses");
LIST(list_mod, "_mod", address_cols, ADDR_KEY, "moderators");
LIST(list_slog, "_slog", slog_cols, NOKEY, "subscription log");
LIST(list_digest_slog, "_digest_slog", slog_cols, NOKEY,
     "digest subscription log");
LIST(list_allow_slog, "_allow_slog", slog_cols, NOKEY, "allow log");
LIST(list_deny_slog, "_deny_slog", slog_cols, NOKEY, "deny log");
LIST(list_mod_slog, "_mod_slog", slog_cols, NOKEY, "moderator log");
LIST(list_cookie, "_cookie", cookie_cols, COOKIE_KEY, "message cookies");
LIST(list_digest_cookie, "_digest_cookie", cookie_cols, COOKIE_KEY,
     "digest cookies");
LIST(list_mlog, "_mlog", mlog_cols, MLOG_KEY, "message log");
LIST(list_digest_mlog, "_digest_mlog", mlog_cols, MLOG_KEY,
     "digest message log");
LIST(list_name, REG_SPLIT_SUFFIX, name_cols, SPLIT_KEY, "sublist split");
LIST(list_digest_name, "_digest" REG_SPLIT_SUFFIX, name_cols, SPLIT_KEY,
     "digest sublist split");

const struct reg_table *const reg_list[] = {
	&list_main, &list_digest, &list_allow, &list_deny, &list_mod,
	&list_slog, &list_digest_slog, &list_allow_slog, &list_deny_slog,
	&list_mod_slog, &list_cookie, &list_digest_cookie, &list_mlog,
	&list_digest_mlog, &list_name, &list_digest_name, NULL,
};

int reg_mailerq_index(const char *name)
{
	for (int i = 0; reg_mailerq[i]; i++)
		if (strcmp(reg_mailerq[i]->name, name) == 0)
			return i;
	return -1;
}

const struct reg_table *reg_mailerq_find(const char *name)
{
	int i = reg_mailerq_index(name);

	return i < 0 ? NULL : reg_mailerq[i];
}

bool reg_list_addresses(const struct reg_table *t)
{
	return t && t->cols == address_cols;
}

const struct reg_table *reg_list_split(const char *name, char *root,
				       size_t rootlen)
{
	const struct reg_table *best = NULL;
	size_t n = strlen(name), best_len = 0;

	for (int i = 0; reg_list[i]; i++) {
		size_t sl = strlen(reg_list[i]->name);

		if (sl >= n || (best && sl <= best_len))
			continue;
		if (strcmp(name + n - sl, reg_list[i]->name) != 0)
			continue;
		best = reg_list[i];
		best_len = sl;
	}
	if (!best || n - best_len >= rootlen)
		return NULL;
	memcpy(root, name, n - best_len);
	root[n - best_len] = 0;
	return best;
}

int reg_column_index(const struct reg_table *t, const char *name)
{
	for (int i = 0; i < t->ncols; i++)
		if (strcmp(t->cols[i].name, name) == 0)
			return i;
	return -1;
}

/*
 * A root becomes part of SQL table names (root + "_digest_cookie"), so it
 * is held to the identifier rules all three engines accept unquoted:
 * a letter, then letters, digits and '_'; lower case, since MySQL table
 * names are case-sensitive on Linux and PostgreSQL folds to lower.
 */
bool reg_root_valid(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n + sizeof("_digest_cookie") > REG_NAME_MAX)
		return false;
	if (!(s[0] >= 'a' && s[0] <= 'z'))
		return false;
	for (size_t i = 1; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || isdigit((unsigned char)s[i])
		      || s[i] == '_'))
			return false;
	return reg_root_clash(s) == NULL;
}

/*
 * reg_root_clash - the table name that root would share with another
 *	table, or NULL.  A root ending in a list suffix ("a_digest") would
 *	own a table that list "a" owns too, and root + suffix may not be a
 *	MailerQ table; refusing both keeps every table name unambiguous.
 */
const char *reg_root_clash(const char *root)
{
	char name[REG_NAME_MAX + 32];
	size_t n = strlen(root);

	for (int i = 0; reg_list[i]; i++) {
		size_t sl = strlen(reg_list[i]->name);

		if (sl && sl < n && strcmp(root + n - sl, reg_list[i]->name) == 0)
			return reg_list[i]->name;
		snprintf(name, sizeof(name), "%s%s", root, reg_list[i]->name);
		if (reg_mailerq_find(name))
			return reg_mailerq_find(name)->name;
	}
	return NULL;
}

const char *reg_type_name(enum reg_type t)
{
	switch (t) {
	case REG_INT:
		return "int";
	case REG_TEXT:
		return "text";
	case REG_TIME:
		return "time";
	}
	return "?";
}
