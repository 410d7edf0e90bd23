/*
 * NAME
 *	cmd_version.c - mq --version: mq's version and the libraries in it
 * DESCRIPTION
 *	The first line is "mq VERSION (commit HASH)": VERSION from the
 *	VERSION file, HASH the commit it was built from ("unknown" outside
 *	a git checkout), both written by the Makefile into
 *	build/gen/version.h.  Then one line per library linked in, with
 *	the version the library itself reports at run time (a static
 *	binary carries what it was linked with).
 */
#include <stdio.h>

#include <event2/event.h>
#include <jansson.h>
#include <openssl/crypto.h>
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <sodium.h>

#include "mq/cli/cli.h"
#include "mq/ops/dns.h"
#include "sql-compat/sql.h"
#include "store/store.h"
#include "version.h"

static void print_pcre2(void)
{
	char v[64];

	if (pcre2_config(PCRE2_CONFIG_VERSION, v) > 0)
		printf("  pcre2 %s\n", v);
}

static const char usage[] =
	"usage: mq --version\n"
	"       mq version\n\n"
	"Print mq's version and the commit it was built from, then the\n"
	"version of each library linked in (LMDB, the SQL clients, OpenSSL,\n"
	"libevent, libsodium, c-ares, jansson, pcre2).  Needs no config.\n";

int cmd_version(int argc, char **argv)
{
	char buf[128];

	if (cli_help(argc, argv, usage))
		return 0;
	if (argc > 1)
		return cli_usage(usage);
	printf("mq %s (commit %s)\n", MQ_VERSION, MQ_COMMIT);
	printf("  %s\n", store_lmdb_version());
	for (size_t i = 0; sql_client_version(i, buf, sizeof buf); i++)
		printf("  %s\n", buf);
	printf("  %s\n", OpenSSL_version(OPENSSL_VERSION));
	printf("  libevent %s\n", event_get_version());
	printf("  libsodium %s\n", sodium_version_string());
	printf("  c-ares %s\n", dns_library_version());
	printf("  jansson %s\n", jansson_version_str());
	print_pcre2();
	return cli_exit(RESULT_OK);
}
