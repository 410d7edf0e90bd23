/*
 * NAME
 *	own_database.c - a throwaway database on a test server
 * SYNOPSIS
 *	#include "tests/lib/own_database.h"
 * DESCRIPTION
 *	See own_database.h.  The name is made here of a prefix and a
 *	number only, so it needs no quoting in CREATE and DROP.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/lib/own_database.h"

/* own_database - see own_database.h */
struct sql_address *own_database(const char *url, const char *prefix,
				 char *name, size_t len, char *err,
				 size_t errlen)
{
	struct sql_address *a;
	struct sql_conn *c;
	char	sql[256];

	if (sql_address_parse(url, &a, err, errlen))
		return NULL;
	snprintf(name, len, "%s_%ld", prefix, (long)getpid());
	if (sql_connect(a, &c, err, errlen)) {
		sql_address_free(a);
		return NULL;
	}
	snprintf(sql, sizeof(sql), "CREATE DATABASE %s", name);
	if (sql_exec(c, sql, NULL, 0, NULL, NULL)) {
		snprintf(err, errlen, "%s: %s", sql, sql_errmsg(c));
		sql_close(c);
		sql_address_free(a);
		return NULL;
	}
	sql_close(c);
	free(a->database);
	if (!(a->database = strdup(name))) {
		snprintf(err, errlen, "out of memory");
		sql_address_free(a);
		return NULL;
	}
	return a;
}

/* drop_database - see own_database.h */
void	drop_database(const char *url, const char *name)
{
	struct sql_address *a;
	struct sql_conn *c;
	char	err[512], sql[256];

	if (sql_address_parse(url, &a, err, sizeof(err)))
		return;
	if (sql_connect(a, &c, err, sizeof(err)) == SQL_OK) {
		snprintf(sql, sizeof(sql), "DROP DATABASE IF EXISTS %s", name);
		sql_exec(c, sql, NULL, 0, NULL, NULL);
		sql_close(c);
	}
	sql_address_free(a);
}
