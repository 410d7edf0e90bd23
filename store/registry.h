/*
 * NAME
 *	registry.h - every documented table: columns, types, defaults, keys
 * DESCRIPTION
 *	The single description of the MailerQ tables and of the ezmlm list
 *	tables (one set per list root T) that SQL rendering, sync, the
 *	lookups, the CLI and the API all read.  Part of the store module's
 *	public interface (store.h includes it).
 *
 *	Columns are only ever appended to a table: rows written by an
 *	older mq decode with the newer columns as NULL.
 */
#ifndef MQ_REGISTRY_H
#define MQ_REGISTRY_H

#include <stddef.h>
#include <stdbool.h>

#define REG_MAX_COLS	16
#define REG_MAX_KEY	3	/* primary key columns at most */
#define REG_NAME_MAX	64	/* table names, list roots included */
#define REG_KEY_TEXT_MAX 255	/* bytes of a text primary key column */

enum reg_type {
	REG_INT,		/* 64-bit signed integer */
	REG_TEXT,		/* bytes without NUL, UTF-8 by convention */
	REG_TIME,		/* "YYYY-MM-DD HH:MM:SS[.ffffff]" UTC, as text */
};

/* Column flags. */
#define REG_PK		0x01	/* part of the primary key */
#define REG_AUTO	0x02	/* auto-increment integer key */
#define REG_NOTNULL	0x04	/* NOT NULL in SQL; NULL is refused */
#define REG_FOLD	0x08	/* key compares ASCII-case-insensitively */
#define REG_SECRET	0x10	/* never in lookup answers or logs (keys) */

/* A text bound up to this is VARCHAR(n) in SQL: n characters. */
#define REG_VARCHAR_MAX	255

struct reg_column {
	const char *name;
	enum reg_type type;
	unsigned flags;
	size_t maxlen;		/* text length at most: characters up to
				 * REG_VARCHAR_MAX (VARCHAR(n) counts them),
				 * bytes above it (TEXT) */
	const char *dflt;	/* default as text; NULL: no default (NULL);
				 * "now" for a time: the current UTC time */
};

/* Which family a table belongs to. */
enum reg_family { REG_MAILERQ, REG_LIST };

struct reg_table {
	const char *name;	/* MailerQ: the table; list: the suffix */
	enum reg_family family;
	const struct reg_column *cols;
	int ncols;
	int key[REG_MAX_KEY];	/* column indexes of the primary key */
	int nkey;		/* 0: rows keyed by a hidden row number */
	const char *about;	/* one line for --help and docs */
	bool mq_only;		/* mq's addition, absent from MailerQ's own
				 * database: an SQL database may lack it */
};

/*
 * Column positions of the list tables (DESIGN.md section 6): the
 * registry's own arrays are written with them, so a file that needs a
 * column by position names it here instead of re-typing the order.
 */

/* T, T_digest, T_allow, T_deny, T_mod: the address tables. */
enum reg_address_col {
	REG_ADDR_HASH, REG_ADDR_ADDRESS, REG_ADDR_DOMAIN, REG_ADDR_NCOLS
};

/* T_slog and the other subscription logs. */
enum reg_slog_col {
	REG_SLOG_TAI, REG_SLOG_ADDRESS, REG_SLOG_FROMLINE, REG_SLOG_EDIR,
	REG_SLOG_ETYPE, REG_SLOG_NCOLS
};

/* T_cookie, T_digest_cookie. */
enum reg_cookie_col {
	REG_COOKIE_MSGNUM, REG_COOKIE_TAI, REG_COOKIE_COOKIE,
	REG_COOKIE_CHUNK, REG_COOKIE_BODYSIZE, REG_COOKIE_NCOLS
};

/* T_mlog, T_digest_mlog. */
enum reg_mlog_col {
	REG_MLOG_MSGNUM, REG_MLOG_LISTNO, REG_MLOG_TAI, REG_MLOG_SUBS,
	REG_MLOG_DONE, REG_MLOG_NCOLS
};

/* T_name, T_digest_name: the sublist split. */
#define REG_SPLIT_SUFFIX "_name"	/* after T, or T + "_digest" */
enum reg_split_col {
	REG_SPLIT_LISTNO, REG_SPLIT_NAME, REG_SPLIT_NOTUSE,
	REG_SPLIT_MSGNUM_LO, REG_SPLIT_MSGNUM_HI, REG_SPLIT_HASH_LO,
	REG_SPLIT_HASH_HI, REG_SPLIT_DOMAIN, REG_SPLIT_NCOLS
};

/* reg_mailerq - the MailerQ tables, NULL-terminated. */
extern const struct reg_table *const reg_mailerq[];
/* reg_list - the list tables (suffix "" is T itself), NULL-terminated. */
extern const struct reg_table *const reg_list[];

#define REG_MAILERQ_MAX 32	/* MailerQ tables at most */

/* reg_mailerq_index - index in reg_mailerq of that name, or -1. */
int reg_mailerq_index(const char *name);
/* reg_mailerq_find - the MailerQ table of that name, or NULL. */
const struct reg_table *reg_mailerq_find(const char *name);

/*
 * reg_list_split - if name is ROOT + the suffix of a list table, return
 *	that table and write ROOT (NUL-terminated) into root; the longest
 *	suffix wins.  Whether ROOT is a created list is the store's
 *	question, not the registry's.
 */
const struct reg_table *reg_list_split(const char *name, char *root,
				       size_t rootlen);

/*
 * reg_list_addresses - is t one of a list's address tables (T, T_digest,
 *	T_allow, T_deny, T_mod: hash, address, domain)?  The store keeps
 *	an index of each by hash (store/addr_index.c).
 */
bool reg_list_addresses(const struct reg_table *t);

/* reg_column_index - index of the column called name, or -1. */
int reg_column_index(const struct reg_table *t, const char *name);

/* reg_root_valid - is s usable as a list root (SQL identifier rules)? */
bool reg_root_valid(const char *s);

/* reg_root_clash - the table name root would collide with, or NULL. */
const char *reg_root_clash(const char *root);

/* reg_type_name - "int", "text" or "time". */
const char *reg_type_name(enum reg_type t);

#endif
