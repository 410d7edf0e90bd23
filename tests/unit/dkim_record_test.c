/*
 * NAME
 *	dkim_record_test - DKIM key reading, TXT record rendering, matching
 * SYNOPSIS
 *	dkim_record_test [CASES]
 * DESCRIPTION
 *	Runs the cases of tests/unit/dkim_record_cases.txt (or CASES)
 *	against mq/dkim_key.c: each key must read (or fail with the reason
 *	given), render the record given, render a zone-file line whose
 *	quoted strings are at most 255 bytes and join to the record, and
 *	compare with a published record as given.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mq/ops/dkim_key.h"
#include "tests/unit/check.h"

#define SECTION_MAX 8192

enum section { S_NONE, S_KEY, S_RECORD, S_TYPE, S_ERROR, S_PUBLISHED,
	       S_MATCH, S_WHY, S_ALGORITHM, S_CHECK, S_COUNT };

struct dkcase {
	char name[256];
	char text[S_COUNT][SECTION_MAX];
	bool has[S_COUNT];
};

static const char *const section_names[S_COUNT] = {
	[S_KEY] = "[key]", [S_RECORD] = "[record]", [S_TYPE] = "[type]",
	[S_ERROR] = "[error]", [S_PUBLISHED] = "[published]",
	[S_MATCH] = "[match]", [S_WHY] = "[why]",
	[S_ALGORITHM] = "[algorithm]", [S_CHECK] = "[check]",
};

static const char *const match_names[] = {
	[DKIM_MATCH_SAME] = "same", [DKIM_MATCH_OTHER] = "other",
	[DKIM_MATCH_REVOKED] = "revoked", [DKIM_MATCH_INVALID] = "invalid",
};

/* check_zone_line - the record's zone line splits and joins back. */
static void check_zone_line(const struct dkcase *c, const char *record)
{
	char line[DKIM_RECORD_MAX + 256], joined[DKIM_RECORD_MAX];
	const char *p;
	size_t n = 0, longest = 0;

	if (!CHECK(dkim_record_zone_line("s._domainkey.example.com.", record,
					 line, sizeof(line)) == 0,
		   "%s: zone line renders", c->name))
		return;
	CHECK(!strncmp(line, "s._domainkey.example.com. IN TXT \"", 34),
	      "%s: zone line names the record", c->name);
	for (p = strchr(line, '"'); p; p = strchr(p + 1, '"')) {
		const char *end = strchr(p + 1, '"');
		size_t len = end ? (size_t)(end - p - 1) : 0;

		if (!end || n + len >= sizeof(joined))
			break;
		memcpy(joined + n, p + 1, len);
		n += len;
		longest = len > longest ? len : longest;
		p = end;
	}
	joined[n] = 0;
	CHECK(longest <= 255 && !strcmp(joined, record),
	      "%s: zone line strings (longest %zu) join to the record",
	      c->name, longest);
}

/* check_algorithm - dkim_key_check of the key with [algorithm]. */
static void check_algorithm(const struct dkcase *c)
{
	const char *alg = strcmp(c->text[S_ALGORITHM], "(empty)")
			  ? c->text[S_ALGORITHM] : "";
	char why[DKIM_WHY_MAX] = "";
	EVP_PKEY *key;
	int rc = dkim_key_check(c->text[S_KEY], strlen(c->text[S_KEY]), alg,
				strlen(alg), &key, why, sizeof(why));

	if (!strcmp(c->text[S_CHECK], "ok"))
		CHECK(rc == 0 && key, "%s: fits algorithm '%s' (%s)", c->name,
		      alg, rc ? why : "ok");
	else
		CHECK(rc < 0 && !key && strstr(why, c->text[S_CHECK]),
		      "%s: refused with '%s' (got %s'%s')", c->name,
		      c->text[S_CHECK], rc < 0 ? "" : "success, ", why);
	EVP_PKEY_free(key);
}

/* run_case - one case of the file. */
static void run_case(struct dkcase *c)
{
	char why[DKIM_WHY_MAX], rec[DKIM_RECORD_MAX];
	EVP_PKEY *key;
	int rc = dkim_key_read(c->text[S_KEY], strlen(c->text[S_KEY]), &key,
			       why, sizeof(why));

	if (c->has[S_CHECK])
		check_algorithm(c);
	if (c->has[S_ERROR]) {
		CHECK(rc < 0 && !key && strstr(why, c->text[S_ERROR]),
		      "%s: refused with '%s' (got %s'%s')", c->name,
		      c->text[S_ERROR], rc < 0 ? "" : "success, ",
		      rc < 0 ? why : "");
		CHECK(rc < 0 && !strstr(why, "MII") && !strstr(why, "BEGIN"),
		      "%s: the reason quotes no key material", c->name);
		return;
	}
	if (!CHECK(rc == 0, "%s: key reads (%s)", c->name, rc ? why : "ok"))
		return;
	if (c->has[S_RECORD]) {
		rc = dkim_key_record(key, rec, sizeof(rec));
		CHECK(rc == 0 && !strcmp(rec, c->text[S_RECORD]),
		      "%s: record is '%s'", c->name, rc ? "(none)" : rec);
		if (rc == 0)
			check_zone_line(c, rec);
		CHECK(rc == 0 && dkim_key_record(key, rec, 20) < 0,
		      "%s: a short buffer is refused", c->name);
	}
	if (c->has[S_TYPE])
		CHECK(!strcmp(dkim_key_type(key), c->text[S_TYPE]),
		      "%s: type %s", c->name, dkim_key_type(key));
	if (c->has[S_PUBLISHED]) {
		enum dkim_match m = dkim_record_match(c->text[S_PUBLISHED],
					strlen(c->text[S_PUBLISHED]), key,
					why, sizeof(why));

		CHECK(!strcmp(match_names[m], c->text[S_MATCH]),
		      "%s: published record: %s (%s)", c->name,
		      match_names[m], why);
		if (c->has[S_WHY])
			CHECK(strstr(why, c->text[S_WHY]) != NULL,
			      "%s: why holds '%s' (%s)", c->name,
			      c->text[S_WHY], why);
		else if (m == DKIM_MATCH_SAME)
			CHECK(why[0] == 0, "%s: no warning (%s)", c->name,
			      why);
	}
	EVP_PKEY_free(key);
}

/* section_of - the section a line opens, or S_NONE. */
static enum section section_of(const char *line)
{
	for (int s = S_KEY; s < S_COUNT; s++)
		if (!strcmp(line, section_names[s]))
			return (enum section)s;
	return S_NONE;
}

/* append - add a line to a section, newline-separated. */
static void append(struct dkcase *c, enum section s, const char *line)
{
	size_t used = strlen(c->text[s]);

	snprintf(c->text[s] + used, SECTION_MAX - used, "%s%s",
		 c->has[s] ? "\n" : "", line);
	c->has[s] = true;
}

static void run_file(FILE *f)
{
	static struct dkcase c;
	enum section cur = S_NONE;
	char line[SECTION_MAX];
	bool open_case = false;

	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = 0;
		if (!strncmp(line, "=== ", 4)) {
			if (open_case)
				run_case(&c);
			memset(&c, 0, sizeof(c));
			snprintf(c.name, sizeof(c.name), "%.200s", line + 4);
			open_case = true;
			cur = S_NONE;
		} else if (section_of(line) != S_NONE) {
			cur = section_of(line);
			c.has[cur] = false;
		} else if (cur != S_NONE && (cur == S_KEY ||
			   cur == S_PUBLISHED || (line[0] && line[0] != '#'))) {
			if (line[0] || cur == S_KEY)
				append(&c, cur, line);
		}
	}
	if (open_case)
		run_case(&c);
}

int main(int argc, char **argv)
{
	const char *path = argc > 1 ? argv[1]
				    : "tests/unit/dkim_record_cases.txt";
	FILE *f = fopen(path, "r");

	if (!CHECK(f != NULL, "%s can be read", path))
		return check_done();
	run_file(f);
	fclose(f);
	return check_done();
}
