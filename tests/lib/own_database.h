/*
 * NAME
 *	own_database.h - a throwaway database on a test server, for unit
 *	tests and benchmarks
 * SYNOPSIS
 *	#include "tests/lib/own_database.h"
 * DESCRIPTION
 *	own_database makes a new database on the server of url (a
 *	PostgreSQL or MariaDB address: $MQ_TEST_PG_URL, $MQ_TEST_MYSQL_URL),
 *	named prefix + "_" + the process id, and returns its address;
 *	drop_database removes it.  Compiled into each unit test and
 *	benchmark (Makefile: TESTLIB).
 */
#ifndef MQ_TESTS_OWN_DATABASE_H
#define MQ_TESTS_OWN_DATABASE_H

#include <stddef.h>

#include "sql-compat/sql.h"

/*
 * own_database - the address of a new database (sql_address_free it),
 *	its name in name (len bytes); NULL with err saying why.
 */
struct sql_address *own_database(const char *url, const char *prefix,
				 char *name, size_t len, char *err,
				 size_t errlen);

/* drop_database - remove database name from url's server, if it is there */
void	drop_database(const char *url, const char *name);

#endif
