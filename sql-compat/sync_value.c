/*
 * NAME
 *	sync_value.c - SQL values as the database has them, and back
 * SYNOPSIS
 *	#include "sql-compat/sync_int.h"
 *
 *	sync_col_form(cols, i, engine, "timestamp with time zone");
 *	ok = sync_time_canon(text, len, prec, out, &outlen);
 *	p = sync_param_col(cols, i, &value);
 *	sync_row_fit(cols, t, row, &buf);
 * DESCRIPTION
 *	mq keeps a time as "YYYY-MM-DD HH:MM:SS[.ffffff]" in UTC.  The
 *	SQL column that holds it may be a PostgreSQL timestamp or
 *	timestamptz ("...+00"), a MariaDB DATETIME that keeps no fraction
 *	or DATETIME(6), an SQLite TEXT, or an INTEGER of unix seconds
 *	(ezmlm-idx's SQLite tai).  The form of each column is read once
 *	from the catalog (sync_col_form); a time read from SQL is turned
 *	into mq's form (sync_time_canon), one written goes in the
 *	column's own type (sync_param_col), and a store row is compared
 *	with SQL's at the precision the column keeps (sync_row_fit), so
 *	that a second sync finds nothing to do.
 *
 *	The canonical form drops trailing zeros of the fraction (and the
 *	'.' when nothing is left), as PostgreSQL prints it: ".500000" and
 *	".5" are the same time.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "sql-compat/sync_int.h"

/* The fraction digits a column keeps when its type does not say. */
#define TIME_PREC_TEXT	6	/* PostgreSQL timestamp, SQLite text */
#define TIME_PREC_MYSQL	0	/* MariaDB/MySQL DATETIME, TIMESTAMP */

/* type_prec - the n of "timestamp(n)", "datetime(n)"; dflt without */
static int type_prec(const char *type, int dflt)
{
	const char *p = strchr(type, '(');
	long n;

	if (!p)
		return dflt;
	n = strtol(p + 1, NULL, 10);
	return n < 0 ? 0 : n > 6 ? 6 : (int)n;
}

/* sync_col_form - see sync_int.h */
void	sync_col_form(struct sync_cols *cols, int i, enum sql_engine engine,
		      const struct reg_column *c, const char *type)
{
	cols->form[i] = SYNC_FORM_AS_IS;
	cols->prec[i] = TIME_PREC_TEXT;
	if (c->type != REG_TIME || !type)
		return;
	if (strcasestr(type, "int")) {
		cols->form[i] = SYNC_FORM_EPOCH;
		cols->prec[i] = 0;
		return;
	}
	cols->form[i] = SYNC_FORM_TIME;
	cols->prec[i] = (unsigned char)type_prec(type, engine == SQL_ENGINE_MYSQL
						 ? TIME_PREC_MYSQL
						 : TIME_PREC_TEXT);
}

/* num - n digits at s as a number, or -1 when one is not a digit */
static int num(const char *s, size_t n)
{
	int v = 0;

	for (size_t i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

/* parse_offset - "Z", "+HH", "+HHMM", "+HH:MM" into seconds east */
static bool parse_offset(const char *s, size_t n, long *secs)
{
	int h, m = 0, sign;

	if (n == 1 && (*s == 'Z' || *s == 'z')) {
		*secs = 0;
		return true;
	}
	if (n < 3 || (*s != '+' && *s != '-'))
		return false;
	sign = *s == '-' ? -1 : 1;
	if ((h = num(s + 1, 2)) < 0 || h > 15)
		return false;
	if (n == 5)
		m = num(s + 3, 2);
	else if (n == 6 && s[3] == ':')
		m = num(s + 4, 2);
	else if (n != 3)
		return false;
	if (m < 0 || m > 59)
		return false;
	*secs = sign * (h * 3600L + m * 60L);
	return true;
}

/* format_time - the canonical text of t plus a fraction of prec digits */
static size_t format_time(time_t t, const char *frac, size_t nfrac,
			  int prec, char out[SYNC_TIME_MAX])
{
	struct tm tm;
	size_t n;

	if (!gmtime_r(&t, &tm) || tm.tm_year + 1900 < 1 ||
	    tm.tm_year + 1900 > 9999)
		return 0;
	/* not strftime's %Y: it writes the year 1 as "1", not "0001" */
	n = (size_t)snprintf(out, SYNC_TIME_MAX, "%04d-%02d-%02d %02d:%02d:%02d",
			     tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
			     tm.tm_hour, tm.tm_min, tm.tm_sec);
	if (nfrac > (size_t)prec)
		nfrac = (size_t)prec;
	while (nfrac && frac[nfrac - 1] == '0')
		nfrac--;
	if (n && nfrac) {
		out[n++] = '.';
		memcpy(out + n, frac, nfrac);
		n += nfrac;
	}
	out[n] = 0;
	return n;
}

/* parse_epoch - "-?digits": unix seconds */
static bool parse_epoch(const char *s, size_t n, time_t *t)
{
	char buf[24], *end;
	long long v;

	if (n == 0 || n >= sizeof(buf))
		return false;
	memcpy(buf, s, n);
	buf[n] = 0;
	v = strtoll(buf, &end, 10);
	if (*end || !(isdigit((unsigned char)buf[0]) || buf[0] == '-'))
		return false;
	*t = (time_t)v;
	return true;
}

/*
 * parse_text - "YYYY-MM-DD[ T]HH:MM:SS[.f...][offset]" into t (UTC) and
 *	the fraction's digits
 */
static bool parse_text(const char *s, size_t n, time_t *t,
		       const char **frac, size_t *nfrac)
{
	struct tm tm;
	size_t i = 19;
	long off = 0;
	int f[6];

	if (n < 19 || s[4] != '-' || s[7] != '-' || (s[10] != ' ' &&
	    s[10] != 'T') || s[13] != ':' || s[16] != ':')
		return false;
	f[0] = num(s, 4), f[1] = num(s + 5, 2), f[2] = num(s + 8, 2);
	f[3] = num(s + 11, 2), f[4] = num(s + 14, 2), f[5] = num(s + 17, 2);
	for (int k = 0; k < 6; k++)
		if (f[k] < 0)
			return false;
	*frac = s + 20;
	*nfrac = 0;
	if (i < n && s[i] == '.')
		for (i++; i < n && isdigit((unsigned char)s[i]); i++)
			(*nfrac)++;
	if (i < n && !parse_offset(s + i, n - i, &off))
		return false;
	tm = (struct tm){ .tm_year = f[0] - 1900, .tm_mon = f[1] - 1,
			  .tm_mday = f[2], .tm_hour = f[3], .tm_min = f[4],
			  .tm_sec = f[5] };
	*t = timegm(&tm) - off;
	/* timegm moves 02-30 to 03-02: a date that is not is refused */
	return tm.tm_mday == f[2] && tm.tm_mon == f[1] - 1 &&
		tm.tm_hour == f[3] && tm.tm_min == f[4] && tm.tm_sec == f[5];
}

/* sync_time_canon - see sync_int.h */
bool	sync_time_canon(const char *s, size_t n, int prec,
			char out[SYNC_TIME_MAX], size_t *outlen)
{
	const char *frac = "";
	size_t nfrac = 0;
	time_t t;

	if (!parse_epoch(s, n, &t) && !parse_text(s, n, &t, &frac, &nfrac))
		return false;
	*outlen = format_time(t, frac, nfrac, prec, out);
	return *outlen != 0;
}

/* sync_time_epoch - see sync_int.h */
bool	sync_time_epoch(const char *s, size_t n, int64_t *secs)
{
	const char *frac;
	size_t nfrac;
	time_t t;

	if (!parse_text(s, n, &t, &frac, &nfrac))
		return false;
	*secs = (int64_t)t;
	return true;
}

/* sync_param_col - see sync_int.h */
struct sql_value sync_param_col(const struct sync_cols *cols, int i,
				const struct store_value *v)
{
	struct sql_value p = sync_param(v);
	int64_t secs;

	if (cols && i >= 0 && cols->form[i] == SYNC_FORM_EPOCH &&
	    v->kind == SV_TEXT && sync_time_epoch(v->s, v->len, &secs))
		p = (struct sql_value){ .type = SQL_INT, .i = secs };
	return p;
}

/* sync_row_fit - see sync_int.h */
void	sync_row_fit(const struct sync_cols *cols, const struct reg_table *t,
		     struct store_row *row, struct sync_rowbuf *buf)
{
	for (int i = 0; i < t->ncols; i++) {
		struct store_value *v = &row->col[i];
		size_t n;

		if (t->cols[i].type != REG_TIME || v->kind != SV_TEXT ||
		    !sync_time_canon(v->s, v->len, cols->prec[i],
				     buf->time[i], &n))
			continue;
		v->s = buf->time[i];
		v->len = n;
	}
}

/* sync_note_refused - see sync_int.h */
void	sync_note_refused(struct sql_sync_result *res, const char *msg)
{
	size_t n = strlen(res->refusals), m = strlen(msg);

	res->refused++;
	if (n + m + 2 < sizeof(res->refusals) - 4)
		snprintf(res->refusals + n, sizeof(res->refusals) - n, "%s%s",
			 n ? "\n" : "", msg);
	else if (!strstr(res->refusals, "\n..."))
		snprintf(res->refusals + n, sizeof(res->refusals) - n,
			 "\n...");
}

/* sync_note_address - see sync_int.h */
void	sync_note_address(struct sql_sync_result *res, const char *table,
			  const struct store_row *row)
{
	const struct store_value *a = &row->col[REG_ADDR_ADDRESS];
	char why[ADDR_WHY_MAX], shown[84];
	size_t i;

	if (addr_row_check(row, why, sizeof(why)) || res->odd_addresses++)
		return;
	for (i = 0; i < a->len && i + 1 < sizeof(shown); i++)
		shown[i] = (unsigned char)a->s[i] < 0x20 ||
			(unsigned char)a->s[i] >= 0x7f ? '?' : a->s[i];
	shown[i] = 0;
	snprintf(res->odd_address, sizeof(res->odd_address), "%s: '%s': %s",
		 table, shown, why);
}

/* utf8_valid - well-formed UTF-8 (no overlong form, no surrogate) */
static bool utf8_valid(const unsigned char *s, size_t n)
{
	for (size_t i = 0; i < n;) {
		unsigned c = s[i], need, min;
		uint32_t cp;

		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf)
			need = 1, min = 0x80, cp = c & 0x1f;
		else if (c >= 0xe0 && c <= 0xef)
			need = 2, min = 0x800, cp = c & 0x0f;
		else if (c >= 0xf0 && c <= 0xf4)
			need = 3, min = 0x10000, cp = c & 0x07;
		else
			return false;
		for (unsigned k = 1; k <= need; k++) {
			if (i + k >= n || (s[i + k] & 0xc0) != 0x80)
				return false;
			cp = cp << 6 | (s[i + k] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		i += need + 1;
	}
	return true;
}

/* sync_key_text - see sync_int.h */
void	sync_key_text(const struct reg_table *t, const struct store_row *row,
		      char *out, size_t len)
{
	size_t n = 0;

	out[0] = 0;
	if (t->nkey == 0)
		snprintf(out, len, "(no key)");
	for (int k = 0; k < t->nkey && n + 8 < len; k++) {
		const struct store_value *v = &row->col[t->key[k]];

		n += (size_t)snprintf(out + n, len - n, "%s%s=", k ? ", " : "",
				      t->cols[t->key[k]].name);
		if (v->kind == SV_INT)
			n += (size_t)snprintf(out + n, len - n, "%lld",
					      (long long)v->i);
		for (size_t i = 0; v->kind == SV_TEXT && i < v->len &&
		     i < 80 && n + 5 < len; i++) {
			unsigned char c = (unsigned char)v->s[i];

			n += (size_t)snprintf(out + n, len - n, c < 0x20 ||
					      c >= 0x7f ? "\\x%02x" : "%c", c);
		}
	}
}

/* sync_row_utf8 - see sync_int.h */
int	sync_row_utf8(const struct sync_name *tn, enum sql_engine engine,
		      const struct store_row *row, char *err, size_t errlen)
{
	const struct reg_table *t = tn->t;
	char key[256];

	if (engine == SQL_ENGINE_SQLITE)
		return 0;
	for (int i = 0; i < t->ncols; i++) {
		const struct store_value *v = &row->col[i];

		if (v->kind != SV_TEXT ||
		    utf8_valid((const unsigned char *)v->s, v->len))
			continue;
		sync_key_text(t, row, key, sizeof(key));
		snprintf(err, errlen, "sql: table %s: row %s: column %s: not "
			 "valid UTF-8, which %s refuses", tn->name, key,
			 t->cols[i].name, sql_engine_name(engine));
		return RESULT_BADDATA;
	}
	return 0;
}
