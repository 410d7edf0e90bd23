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

/* add_library - one library's "NAME VERSION" to the list */
static void add_library(json_t *libs, const char *fmt, const char *v)
{
	char buf[256];

	snprintf(buf, sizeof(buf), fmt, v);
	json_array_append_new(libs, json_string(buf));
}

/* libraries - every library linked in, as it reports its version */
static json_t *libraries(void)
{
	json_t *libs = json_array();
	char buf[128];

	add_library(libs, "%s", store_lmdb_version());
	for (size_t i = 0; sql_client_version(i, buf, sizeof buf); i++)
		add_library(libs, "%s", buf);
	add_library(libs, "%s", OpenSSL_version(OPENSSL_VERSION));
	add_library(libs, "libevent %s", event_get_version());
	add_library(libs, "libsodium %s", sodium_version_string());
	add_library(libs, "c-ares %s", dns_library_version());
	add_library(libs, "jansson %s", jansson_version_str());
	if (pcre2_config(PCRE2_CONFIG_VERSION, buf) > 0)
		add_library(libs, "pcre2 %s", buf);
	return libs;
}

static const char usage[] =
	"usage: mq --version [--json]\n"
	"       mq version [--json]\n\n"
	"Print mq's version and the commit it was built from, then the\n"
	"version of each library linked in (LMDB, the SQL clients, OpenSSL,\n"
	"libevent, libsodium, c-ares, jansson, pcre2).  Needs no config.\n"
	"--json: {\"version\", \"commit\", \"libraries\": [\"NAME VERSION\"...]}.\n";

int cmd_version(int argc, char **argv)
{
	bool json;
	json_t *libs, *v;
	size_t i;

	if (cli_help(argc, argv, usage))
		return 0;
	json = cli_json_flag(&argc, argv);
	if (argc > 1)
		return cli_usage(usage);
	if (!(libs = libraries()))
		return cli_exit(RESULT_INTERNAL);
	if (json)
		return cli_json_print(json_pack("{s:s, s:s, s:o}", "version",
						MQ_VERSION, "commit", MQ_COMMIT,
						"libraries", libs));
	printf("mq %s (commit %s)\n", MQ_VERSION, MQ_COMMIT);
	json_array_foreach(libs, i, v)
		printf("  %s\n", json_string_value(v));
	json_decref(libs);
	return cli_exit(RESULT_OK);
}
