/*
 * NAME
 *	ezmlm_dir.h - what the ezmlm import (ezmlm.c) and export
 *	(ezmlm_export.c) share: the directory layout and its encodings
 * DESCRIPTION
 *	An ezmlm-idx 7 list directory DIR holds, for the list and each of
 *	digest/, allow/, deny/, mod/: subscribers/C files of records
 *	"T" + address + NUL, where C is '@' + ezmlm-idx's subhash of
 *	"T" + the address with ASCII letters lower-cased ('@' .. 't'), and
 *	a Log of lines "unix-seconds event address[ comment]".  DIR/key is
 *	the list's secret key.  (db/sub-std.c and lib/log.c of ezmlm-idx.)
 */
#ifndef MQ_IMPORT_EZMLM_DIR_H
#define MQ_IMPORT_EZMLM_DIR_H

#include <stddef.h>

#include "import/import.h"

#define EZ_PATH		4000		/* bytes of a directory name at most */
#define EZ_FILE_MAX	(1u << 30)	/* bytes of one file read at most */
#define EZ_RECORD_MAX	401		/* ezmlm-idx's own limit, 'T' included */
#define EZ_EVENT_MAX	32		/* bytes of a Log event word */
#define EZ_SLOG_TEXT_MAX 255		/* _slog address and fromline */

/* The subdirectory of each address table ("" is DIR itself). */
extern const char *const ezmlm_subdir[IMPORT_TABLES];

/* ezmlm_fail - write the message into res, return rc. */
enum import_rc ezmlm_fail(struct import_result *res, enum import_rc rc,
			  const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* ezmlm_file_char - the subscribers/ file name of an address. */
char ezmlm_file_char(const char *addr, size_t len, bool fold_local);

/* ezmlm_event_word - the Log event for an _slog edir and etype. */
void ezmlm_event_word(char edir, char etype, char out[EZ_EVENT_MAX + 1]);

/* ezmlm_dump - import_ezmlm.dump (ezmlm_export.c). */
enum import_rc ezmlm_dump(struct store *st, const char *root,
			  const char *path, struct import_result *res);

#endif
