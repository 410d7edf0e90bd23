/*
 * NAME
 *	ips_test - ips_refresh writes the host's addresses into table ips
 * DESCRIPTION
 *	The addresses written must be the ones `ip -o addr show` (iproute2,
 *	an independent reader of the kernel's list) prints, each once, with
 *	this host's name and a current time; a second refresh adds no row,
 *	and a row of an address this host lacks is left alone.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "mq/serve/ips.h"
#include "tests/unit/check.h"

#define MAX_ADDRS 256

struct addrs {
	char ip[MAX_ADDRS][IPS_TEXT_MAX];
	char host[MAX_ADDRS][256];
	char updated[MAX_ADDRS][32];
	int n;
};

/* ip_tool - the addresses iproute2 lists; -1 when it cannot run. */
static int ip_tool(struct addrs *a)
{
	FILE *p = popen("ip -o addr show 2>/dev/null | awk '{ print $4 }' "
			"| cut -d/ -f1 | sort -u", "r");
	char line[128];

	a->n = 0;
	if (!p)
		return -1;
	while (a->n < MAX_ADDRS && fgets(line, sizeof(line), p)) {
		line[strcspn(line, "\n")] = 0;
		if (line[0])
			snprintf(a->ip[a->n++], IPS_TEXT_MAX, "%.45s", line);
	}
	return pclose(p) == 0 ? a->n : -1;
}

static int add_row(const struct store_row *row, void *arg)
{
	struct addrs *a = arg;
	const struct store_value *v = row->col;

	if (a->n == MAX_ADDRS)
		return 1;
	snprintf(a->ip[a->n], IPS_TEXT_MAX, "%.*s", (int)v[0].len, v[0].s);
	snprintf(a->host[a->n], 256, "%.*s", v[1].kind == SV_TEXT ?
		 (int)v[1].len : 0, v[1].kind == SV_TEXT ? v[1].s : "");
	snprintf(a->updated[a->n], 32, "%.*s", v[2].kind == SV_TEXT ?
		 (int)v[2].len : 0, v[2].kind == SV_TEXT ? v[2].s : "");
	a->n++;
	return 0;
}

static void read_ips(struct store *st, struct addrs *a)
{
	struct store_txn *txn;

	a->n = 0;
	if (store_read_begin(st, &txn) == STORE_OK) {
		store_scan(txn, "ips", NULL, 0, add_row, a);
		store_read_end(txn);
	}
}

static bool has_ip(const struct addrs *a, const char *ip)
{
	for (int i = 0; i < a->n; i++)
		if (!strcmp(a->ip[i], ip))
			return true;
	return false;
}

static enum store_rc put_foreign(struct store_txn *txn, void *arg)
{
	struct store_assign a[2] = {
		{ 0, { .kind = SV_TEXT, .s = "192.0.2.77", .len = 10 } },
		{ 1, { .kind = SV_TEXT, .s = "other-host", .len = 10 } },
	};

	(void)arg;
	return store_set(txn, "ips", a, 2, NULL);
}

/* recent - "YYYY-MM-DD HH:MM:SS" within a minute of now. */
static bool recent(const char *t)
{
	struct tm tm = { 0 };
	char *end = strptime(t, "%Y-%m-%d %H:%M:%S", &tm);
	time_t when = timegm(&tm);

	return end && !*end && labs((long)(time(NULL) - when)) < 60;
}

int main(void)
{
	static struct addrs tool, rows, again;
	char dir[] = "/tmp/mq-ips-test-XXXXXX", path[128], host[256] = "";
	struct store *st;
	int n, host_ok = 0, time_ok = 0;

	if (!CHECK(mkdtemp(dir) != NULL, "scratch directory"))
		return check_done();
	snprintf(path, sizeof(path), "%s/mq.mdb", dir);
	if (!CHECK(store_open(path, 0, NULL, &st, NULL, 0) == STORE_OK,
		   "store opens"))
		return check_done();
	gethostname(host, sizeof(host) - 1);
	ip_tool(&tool);
	CHECK(tool.n > 0, "ip -o addr show lists %d addresses", tool.n);
	CHECK(store_write(st, put_foreign, NULL, NULL) == STORE_OK,
	      "a row of another host's address");
	n = ips_refresh(st);
	CHECK(n == tool.n, "ips_refresh wrote %d addresses, ip lists %d", n,
	      tool.n);
	read_ips(st, &rows);
	for (int i = 0; i < tool.n; i++)
		CHECK(has_ip(&rows, tool.ip[i]), "ips holds %s", tool.ip[i]);
	for (int i = 0; i < rows.n; i++) {
		if (!strcmp(rows.ip[i], "192.0.2.77"))
			continue;
		host_ok += !strcmp(rows.host[i], host);
		time_ok += recent(rows.updated[i]);
	}
	CHECK(host_ok == tool.n, "every row names host %s", host);
	CHECK(time_ok == tool.n, "every row was updated just now");
	CHECK(has_ip(&rows, "192.0.2.77") && rows.n == tool.n + 1,
	      "the other host's row is left alone (%d rows)", rows.n);
	CHECK(ips_refresh(st) == n, "a second refresh writes the same");
	read_ips(st, &again);
	CHECK(again.n == rows.n, "and adds no row (%d)", again.n);
	store_close(st);
	unlink(path);
	snprintf(path, sizeof(path), "%s/mq.mdb-lock", dir);
	unlink(path);
	rmdir(dir);
	return check_done();
}
