/*
 * NAME
 *	tsv.h - rows as tab-separated text, PostgreSQL COPY style
 * DESCRIPTION
 *	One row a line, fields separated by TAB; NULL is \N; backslash,
 *	TAB, newline and carriage return inside a value are written \\, \t,
 *	\n and \r.  The first line names the columns.  The format is
 *	lossless for every value the store holds (NUL-free bytes).
 */
#ifndef MQ_TSV_H
#define MQ_TSV_H

#include <stdbool.h>
#include <stdio.h>

#include "store/store.h"

void tsv_write_value(FILE *out, const struct store_value *v);
void tsv_write_header(FILE *out, const struct reg_table *t);
void tsv_write_row(FILE *out, const struct reg_table *t,
		   const struct store_row *row);

/*
 * tsv_split - split line (NUL-terminated, no newline) in place into at
 *	most max fields, unescaping each; NULL fields get NULL pointers.
 *	Returns the field count, or -1 (more than max fields, or a bad
 *	escape: *bad_field is its 1-based number).
 */
int tsv_split(char *line, char **fields, size_t *lens, int max,
	      int *bad_field);

#endif
