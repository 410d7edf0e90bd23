/*
 * NAME
 *	http_request.c - fuzz target: mq serve's HTTP API, one request
 * SYNOPSIS
 *	tests/fuzz/run.sh http_request SECONDS [LIBFUZZER-FLAG...]
 *	build/fuzz/http_request [LIBFUZZER-FLAG...] [CORPUS-DIR... | INPUT...]
 * DESCRIPTION
 *	Input: the bytes a client sends on one connection (a request
 *	line, headers, a body; or anything else).
 *
 *	At the first input the target starts the real server, as mq serve
 *	does (http_start: one worker with its connections, and the writer
 *	thread) on 127.0.0.1 at a free port, over a store of its own
 *	holding a few MailerQ rows and a list "news" with subscribers and
 *	sublists; www-token is "fuzz-token", so that the seeds' writes
 *	("Authorization: Bearer fuzz-token") get through to the handlers.
 *	Each input is then sent on a new connection, which the client
 *	half-closes; conn.c reads it and parse.c cuts it in place
 *	(tests/fuzz/http_parse.c fuzzes that parser alone), the routes
 *	split the path into segments and decode the query, the handlers
 *	parse JSON bodies and answer, and the server closes.  Whatever the input, the
 *	server must not fail, and it must answer (when it answers at all)
 *	with an HTTP status line and close the connection within
 *	ANSWER_SECONDS.
 *
 *	The server runs on its own threads, as in mq serve, so a write
 *	may still be committing when the next input starts.  The store
 *	keeps what inputs write, and every RESET_EVERY inputs it goes
 *	back to its first contents: a store that only grew (a seed
 *	subscribes 150 addresses) would make every later input slower.
 */
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "mq/config.h"
#include "mq/http/http.h"
#include "mq/log.h"
#include "mq/serve/writer.h"
#include "store/mlist.h"
#include "tests/fuzz/fuzz_util.h"

#define ANSWER_SECONDS	20	/* the server's own timeout is 10 s */
#define TOKEN		"fuzz-token"
#define RESET_EVERY	2000	/* inputs between two resets of the store */
#define MAX_LISTS	64	/* lists dropped by one reset at most */

static struct sockaddr_in server;
static struct store *st;

/* One row for the store's first contents: table and column=value texts. */
static const char *const rows[][6] = {
	{ "capacity", "localip=192.0.2.1", "domain=example.com",
	  "domain_maxmessages=100", NULL },
	{ "capacity", "domain=gmail.com", "ip_maxconnections=10", NULL },
	{ "locals", "type=exact", "address=postmaster@example.com", NULL },
	{ "paused", "localip=*", "target=example.net", "tag=bulk", NULL },
	{ "dns", "domain=example.com", "ip=192.0.2.10", "priority=5", NULL },
	{ "news_name", "name=sub1@example.net", "domain=com", "hash_lo=0",
	  "hash_hi=26", NULL },
};

/* put_row - one row of rows[] into the store */
static enum store_rc put_row(struct store_txn *txn, const char *const *row)
{
	const struct reg_table *t;
	struct store_assign a[5];
	char err[512];
	int na = 0;
	enum store_rc rc = store_table_find(txn, row[0], &t);

	for (int i = 1; rc == STORE_OK && row[i]; i++, na++) {
		const char *eq = strchr(row[i], '=');
		char col[64];

		snprintf(col, sizeof(col), "%.*s", (int)(eq - row[i]), row[i]);
		a[na].col = reg_column_index(t, col);
		if (a[na].col < 0)
			fuzz_fail("%s: no column %s", row[0], col);
		rc = store_value_parse(t, NULL, &t->cols[a[na].col], eq + 1,
				       strlen(eq + 1), &a[na].v, err,
				       sizeof(err));
	}
	return rc ? rc : store_set(txn, row[0], a, na, NULL);
}

/* The lists of the store, collected for a reset. */
struct roots {
	char name[MAX_LISTS][REG_NAME_MAX];
	int n;
};

/* note_root - store_list_each callback: remember one list */
static int note_root(const char *root, void *arg)
{
	struct roots *r = arg;

	if (r->n < MAX_LISTS)
		snprintf(r->name[r->n++], REG_NAME_MAX, "%s", root);
	return 0;
}

/* fill - the store's first contents, replacing everything in it */
static enum store_rc fill(struct store_txn *txn, void *arg)
{
	static const struct sub_request subs[] = {
		{ "alice@example.com", 17, -1, NULL, 0, 'm' },
		{ "Bob@Example.ORG", 15, -1, "Bob <Bob@Example.ORG>", 21, 'm' },
		{ "sub1@example.net", 16, 99, NULL, 0, 'm' },
	};
	struct sub_counts c = { 0 };
	struct roots lists = { .n = 0 };
	enum store_rc rc = store_list_each(txn, note_root, &lists);

	(void)arg;
	for (int i = 0; rc == STORE_OK && i < lists.n; i++)
		rc = store_list_drop(txn, lists.name[i]);
	for (int i = 0; rc == STORE_OK && reg_mailerq[i]; i++)
		rc = store_del(txn, reg_mailerq[i]->name, NULL, 0, NULL);
	if (rc == STORE_OK)
		rc = store_list_create(txn, "news",
				       (const uint8_t *)"news-key", 8);
	if (rc == STORE_OK)
		rc = store_sub(txn, "news", SUB_MAIN, true, subs, 3, &c, NULL);
	for (size_t i = 0; rc == STORE_OK && i < sizeof(rows) / sizeof(rows[0]);
	     i++)
		rc = put_row(txn, rows[i]);
	return rc;
}

/* free_port - a port of 127.0.0.1 that nobody has bound right now */
static unsigned free_port(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
	    getsockname(fd, (struct sockaddr *)&sa, &len) != 0)
		fuzz_fail("no free port: %s", strerror(errno));
	close(fd);
	return ntohs(sa.sin_port);
}

/* start - the store, the writer, then the server, as mq serve does */
static void start(void)
{
	struct http_state state = { .last_load_ok = true };

	fuzz_quiet();
	/* a client that leaves mid-answer must not kill the server */
	signal(SIGPIPE, SIG_IGN);
	config_defaults(&mq_conf);
	log_set_level(LOG_LEVEL_ERROR);
	snprintf(mq_conf.store_path, sizeof(mq_conf.store_path), "%s/http.mdb",
		 fuzz_dir());
	snprintf(mq_conf.www_token, sizeof(mq_conf.www_token), TOKEN);
	mq_conf.www_port = free_port();
	st = fuzz_store("http.mdb", STORE_MAP_RESERVE);
	fuzz_check_store(st, store_write(st, fill, NULL, NULL), "fill");
	http_state_set(&state);
	if (writer_start(st) != RESULT_OK ||
	    http_start(st, 1, writer_submit) != RESULT_OK)
		fuzz_fail("the server did not start on port %u",
			  mq_conf.www_port);
	server.sin_family = AF_INET;
	server.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	server.sin_port = htons((uint16_t)mq_conf.www_port);
}

/* connect_server - a new connection with ANSWER_SECONDS timeouts */
static int connect_server(void)
{
	struct timeval tv = { ANSWER_SECONDS, 0 };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		fuzz_fail("socket: %s", strerror(errno));
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&server, sizeof(server)) != 0)
		fuzz_fail("connect: %s", strerror(errno));
	return fd;
}

/* send_all - the input; the server may close before it took it all */
static void send_all(int fd, const uint8_t *data, size_t size)
{
	while (size > 0) {
		ssize_t n = send(fd, data, size, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			fuzz_fail("the server took no input for %d s",
				  ANSWER_SECONDS);
		if (n <= 0)
			return;
		data += n;
		size -= (size_t)n;
	}
}

/* read_answer - everything the server sends until it closes */
static void read_answer(int fd)
{
	char buf[65536], first[16];
	size_t got = 0;
	ssize_t n;

	while ((n = recv(fd, buf, sizeof(buf), 0)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			fuzz_fail("no end of the answer within %d s",
				  ANSWER_SECONDS);
		if (n < 0)	/* reset: the server dropped the connection */
			return;
		if (got < sizeof(first))
			memcpy(first + got, buf, sizeof(first) - got <
			       (size_t)n ? sizeof(first) - got : (size_t)n);
		got += (size_t)n;
	}
	/* seen with MQ_FUZZ_VERBOSE=1 only (fuzz_quiet) */
	fprintf(stderr, "answer: %zu bytes: %.*s\n", got,
		(int)(got < sizeof(first) ? got : sizeof(first)), first);
	/* every answer, a refusal's included, has an HTTP status line */
	if (got && (got < 9 || memcmp(first, "HTTP/", 5)))
		fuzz_fail("an answer that is not HTTP: '%.*s'",
			  (int)(got < sizeof(first) ? got : sizeof(first)),
			  first);
}

/* LLVMFuzzerTestOneInput - send the input on a new connection */
int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static unsigned long inputs;
	int fd;

	if (!server.sin_port)
		start();
	else if (++inputs % RESET_EVERY == 0)
		fuzz_check_store(st, store_write(st, fill, NULL, NULL), "reset");
	fd = connect_server();
	send_all(fd, data, size);
	shutdown(fd, SHUT_WR);
	read_answer(fd);
	close(fd);
	return 0;
}
