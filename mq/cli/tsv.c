/*
 * NAME
 *	tsv.c - rows as tab-separated text, PostgreSQL COPY style
 */
#include <inttypes.h>
#include <string.h>

#include "mq/cli/tsv.h"

void tsv_write_value(FILE *out, const struct store_value *v)
{
	switch (v->kind) {
	case SV_NULL:
		fputs("\\N", out);
		return;
	case SV_INT:
		fprintf(out, "%" PRId64, v->i);
		return;
	case SV_TEXT:
		break;
	}
	for (size_t i = 0; i < v->len; i++) {
		switch (v->s[i]) {
		case '\\':
			fputs("\\\\", out);
			break;
		case '\t':
			fputs("\\t", out);
			break;
		case '\n':
			fputs("\\n", out);
			break;
		case '\r':
			fputs("\\r", out);
			break;
		default:
			putc(v->s[i], out);
		}
	}
}

void tsv_write_header(FILE *out, const struct reg_table *t)
{
	for (int i = 0; i < t->ncols; i++)
		fprintf(out, "%s%s", i ? "\t" : "", t->cols[i].name);
	putc('\n', out);
}

void tsv_write_row(FILE *out, const struct reg_table *t,
		   const struct store_row *row)
{
	for (int i = 0; i < t->ncols; i++) {
		if (i)
			putc('\t', out);
		tsv_write_value(out, &row->col[i]);
	}
	putc('\n', out);
}

/* unescape - decode one field in place; false on a bad escape. */
static bool unescape(char *s, size_t *len)
{
	char *w = s;

	for (char *r = s; *r; r++) {
		if (*r != '\\') {
			*w++ = *r;
			continue;
		}
		switch (*++r) {
		case '\\':
			*w++ = '\\';
			break;
		case 't':
			*w++ = '\t';
			break;
		case 'n':
			*w++ = '\n';
			break;
		case 'r':
			*w++ = '\r';
			break;
		default:
			return false;
		}
	}
	*len = (size_t)(w - s);
	return true;
}

int tsv_split(char *line, char **fields, size_t *lens, int max,
	      int *bad_field)
{
	int n = 0;
	char *p = line;

	for (;;) {
		char *tab = strchr(p, '\t');

		if (n == max) {
			*bad_field = n + 1;
			return -1;
		}
		if (tab)
			*tab = 0;
		if (strcmp(p, "\\N") == 0) {
			fields[n] = NULL;
			lens[n] = 0;
		} else if (!unescape(p, &lens[n])) {
			*bad_field = n + 1;
			return -1;
		} else
			fields[n] = p;
		n++;
		if (!tab)
			return n;
		p = tab + 1;
	}
}
