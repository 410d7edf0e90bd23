/*
 * NAME
 *	ezmlm.c - fuzz target: ezmlm native list directories, imported and
 *	exported
 * SYNOPSIS
 *	tests/fuzz/run.sh ezmlm SECONDS [LIBFUZZER-FLAG...]
 *	build/fuzz/ezmlm [LIBFUZZER-FLAG...] [CORPUS-DIR... | INPUT...]
 * DESCRIPTION
 *	Input: sections separated by lines "=====": the first byte, then
 *	subscribers/C (C is '@' + that byte modulo 53: one of ezmlm's 53
 *	files, so that a record may sit in a file its hash does not
 *	name, as ezmlm-sub -h leaves it), the list's Log,
 *	digest/subscribers/C, digest/Log and the key; a section left out
 *	is a file that does not exist.  They are written into a
 *	directory, which "mq import ezmlm" (import_ezmlm.load) reads into
 *	a store as list "fz", replacing it.
 *
 *	The import must refuse the directory or take it.  A list taken
 *	must export (import_ezmlm.dump) into a new directory that imports
 *	again with as many subscribers and Log lines in each table: the
 *	native format holds everything a native directory brought.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "import/import.h"
#include "tests/fuzz/fuzz_util.h"

#define SEPARATOR	"=====\n"
#define NSECTIONS	5

static struct store *st;
static char list_dir[4200], out_dir[4200];

/* The file of each section, under list_dir; %c is the file's letter. */
static const char *const section_file[NSECTIONS] = {
	"subscribers/%c", "Log", "digest/subscribers/%c", "digest/Log", "key",
};

static void init(void)
{
	fuzz_quiet();
	st = fuzz_store("ezmlm.mdb", 0);
	snprintf(list_dir, sizeof(list_dir), "%s/list", fuzz_dir());
	snprintf(out_dir, sizeof(out_dir), "%s/export", fuzz_dir());
}

/* make_dir - path as a new directory; aborts on failure. */
static void make_dir(const char *fmt, const char *base)
{
	char path[4300];

	snprintf(path, sizeof(path), fmt, base);
	if (mkdir(path, 0700) != 0)
		fuzz_fail("%s: %s", path, strerror(errno));
}

/* write_dir - the input's sections as a fresh list directory. */
static void write_dir(const uint8_t *data, size_t size)
{
	const uint8_t *p = data + 1, *end = data + size;
	char name[64], path[4300];
	char c = (char)('@' + data[0] % 53);

	fuzz_remove_tree(list_dir);
	make_dir("%s", list_dir);
	make_dir("%s/subscribers", list_dir);
	make_dir("%s/digest", list_dir);
	make_dir("%s/digest/subscribers", list_dir);
	for (int i = 0; i < NSECTIONS && p <= end; i++) {
		const uint8_t *sep = memmem(p, (size_t)(end - p), SEPARATOR,
					    strlen(SEPARATOR));
		const uint8_t *stop = sep ? sep : end;

		snprintf(name, sizeof(name), section_file[i], c);
		snprintf(path, sizeof(path), "%s/%s", list_dir, name);
		fuzz_write_file(path, p, (size_t)(stop - p));
		if (!sep)
			break;
		p = sep + strlen(SEPARATOR);
	}
}

/* export_again - the imported list exports, and imports the same again. */
static void export_again(const struct import_result *first)
{
	static const uint8_t key[] = "fuzz-key";
	struct import_options opt = { .replace = true, .key = key,
				      .keylen = sizeof(key) - 1 };
	struct import_result res;
	enum import_rc rc;

	fuzz_remove_tree(out_dir);
	if ((rc = import_ezmlm.dump(st, "fz", out_dir, &res)) != IMPORT_OK)
		fuzz_fail("an imported list does not export: %s", res.err);
	if ((rc = import_ezmlm.load(st, out_dir, "fz", &opt, &res)) !=
	    IMPORT_OK)
		fuzz_fail("an exported list does not import: %s", res.err);
	for (int i = 0; i < IMPORT_TABLES; i++)
		if (res.addresses[i] != first->addresses[i] ||
		    res.log_lines[i] != first->log_lines[i])
			fuzz_fail("table %d: %llu subscribers and %llu Log "
				  "lines imported, %llu and %llu after export",
				  i,
				  (unsigned long long)first->addresses[i],
				  (unsigned long long)first->log_lines[i],
				  (unsigned long long)res.addresses[i],
				  (unsigned long long)res.log_lines[i]);
}

/* LLVMFuzzerTestOneInput - import the input as a list directory, export it */
int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t key[] = "fuzz-key";
	struct import_options opt = { .replace = true, .key = key,
				      .keylen = sizeof(key) - 1 };
	struct import_result res;

	if (!st)
		init();
	if (size < 1)
		return 0;
	write_dir(data, size);
	if (import_ezmlm.load(st, list_dir, "fz", &opt, &res) != IMPORT_OK) {
		/* seen with MQ_FUZZ_VERBOSE=1 only (fuzz_quiet) */
		fprintf(stderr, "import: %s\n", res.err);
		return 0;
	}
	fprintf(stderr, "import: %llu subscribers, %llu Log lines\n",
		(unsigned long long)res.addresses[0],
		(unsigned long long)res.log_lines[0]);
	export_again(&res);
	return 0;
}
