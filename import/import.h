/*
 * NAME
 *	import.h - other sources and sinks of the store: one vtable each
 * SYNOPSIS
 *	#include "import/import.h"
 *
 *	const struct import_format *f = import_find("ezmlm");
 *	rc = f->load(st, dir, root, &opt, &res);
 *	rc = f->dump(st, root, dir, &res);
 * DESCRIPTION
 *	Each format is one file (import/ezmlm.c, ...) exporting one const
 *	struct import_format; an operation a format lacks is NULL and
 *	import_find's caller reports it as not supported.
 *
 *	load reads everything first, then writes in one store transaction:
 *	a source with a bad file changes nothing.  dump writes a new
 *	directory under a temporary name and renames it into place, so a
 *	reader never sees half of it.
 * DIAGNOSTICS
 *	Functions return an enum import_rc; res->err has one line naming
 *	the file (and line or record) at fault.  IMPORT_STORE means the
 *	store failed with res->store_rc (detail in store_errmsg()).
 */
#ifndef MQ_IMPORT_H
#define MQ_IMPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

enum import_rc {
	IMPORT_OK = 0,
	IMPORT_BADDATA,		/* a source file is malformed or truncated */
	IMPORT_EXISTS,		/* the target list or directory exists */
	IMPORT_NOTFOUND,	/* no such source directory or list */
	IMPORT_IO,		/* reading or writing a file failed */
	IMPORT_STORE,		/* the store failed: see store_rc */
};

#define IMPORT_TABLES	5	/* list, digest, allow, deny, mod */
#define IMPORT_ERR_MAX	1024

/* What a load or dump did, per address table (enum sub_table order). */
struct import_result {
	uint64_t addresses[IMPORT_TABLES];	/* subscribers read/written */
	uint64_t duplicates[IMPORT_TABLES];	/* same address again: skipped */
	uint64_t log_lines[IMPORT_TABLES];	/* Log lines <-> _slog rows */
	uint64_t cut_comments;	/* Log comments cut to the column's size */
	uint64_t left_out;	/* dump: blocked addresses (hash 53..97) */
	uint64_t ignored_files;	/* load: names in subscribers/ not ezmlm's */
	bool key_generated;	/* load: the source had no key */
	uint64_t placed_at_zero;	/* load: records in subscribers/@ (so
					 * hash 0) whose own hash is another:
					 * a hand-made directory */
	uint64_t odd_addresses;	/* load: kept, though mq sub refuses them */
	char odd_address[IMPORT_ERR_MAX];	/* the first: file, record, why */
	enum store_rc store_rc;
	char err[IMPORT_ERR_MAX];
};

struct import_options {
	bool replace;		/* load over an existing list (drop it first) */
	const uint8_t *key;	/* key for a source without one; NULL:
				 * the store makes a random one */
	size_t keylen;
};

struct import_format {
	const char *name;	/* as typed: "ezmlm" */
	const char *about;	/* one line for --help */
	enum import_rc (*load)(struct store *st, const char *path,
			       const char *root,
			       const struct import_options *opt,
			       struct import_result *res);
	enum import_rc (*dump)(struct store *st, const char *root,
			       const char *path, struct import_result *res);
};

extern const struct import_format import_ezmlm;

/* import_find - the format called name, or NULL. */
const struct import_format *import_find(const char *name);

/* import_formats - the formats, NULL-terminated, for usage texts. */
extern const struct import_format *const import_formats[];

/*
 * import_root_from_path - the list root a directory's base name makes:
 *	ASCII letters lower-cased, every other byte but digits and '_'
 *	turned into '_', "list_" put in front of a name that does not
 *	start with a letter.  -1 (out untouched) when no valid root comes
 *	out (too long, or it would clash with another list's tables).
 */
int import_root_from_path(const char *path, char *out, size_t outlen);

#endif
