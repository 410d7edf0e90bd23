/*
 * NAME
 *	table_io.h - printing, loading and writing rows: the CLI and the API
 */
#ifndef MQ_TABLE_IO_H
#define MQ_TABLE_IO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

/*
 * table_print - the rows of table name matching f, as TSV with a header
 *	or a JSON array; without secrets the value of a secret column
 *	(REG_SECRET: dkim_keys.privatekey) is replaced by a placeholder.
 *	Returns 0, EXIT_NOTFOUND when no row matched, or another exit
 *	status after reporting the error.
 */
int table_print(struct store *st, const char *name, const struct reg_table *t,
		const struct store_filter *f, int nf, bool json, bool secrets);

/*
 * table_load_stdin - "mq set TABLE - [--batch N]" (force_hash: --hash
 *	was given); returns exit status.
 */
int table_load_stdin(int argc, char **argv, const char *usage,
		     bool force_hash);

#endif
