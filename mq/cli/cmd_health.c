/*
 * NAME
 *	cmd_health.c - mq health: ask the running mq serve for GET /health
 * SYNOPSIS
 *	mq [--config FILE] health [--json]
 * DESCRIPTION
 *	Connects to www-ip:www-port over a plain TCP socket, sends one
 *	GET /health request and prints one line with the status code and
 *	the first line of the body (--json: the body alone, /health's
 *	JSON object).  It is the container image's
 *	HEALTHCHECK, so it uses nothing a FROM-scratch image lacks: the
 *	address is numeric (inet_pton, never the resolver), and no file
 *	under /etc is read.  A wildcard www-ip (0.0.0.0, ::) is asked on
 *	the loopback address of its family.
 * DIAGNOSTICS
 *	Exit 0 when mq serve answered 200; 1 when it answered anything
 *	else (503: the store is not open or the last load failed); 75
 *	when it cannot be reached within HEALTH_TIMEOUT_MS or the answer
 *	is not HTTP; 64 usage or www-port 0 (HTTP turned off).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "mq/cli/cli.h"

#define HEALTH_TIMEOUT_MS 5000	/* connect, send and receive in all */
#define HEALTH_REPLY_MAX 4096	/* bytes of the answer read */

static const char health_usage[] =
	"usage: mq [--config FILE] health [--json]\n"
	"Ask the running mq serve at www-ip:www-port for GET /health and\n"
	"print its status and body on one line (--json: the body alone).  Exit 0 on 200, 1 on any\n"
	"other status, 75 when it cannot be reached.  The container\n"
	"image's HEALTHCHECK.\n";

/* The address asked and its text form, for messages. */
struct health_peer {
	struct sockaddr_storage sa;
	socklen_t salen;
	char text[80];
};

/* health_peer_set - the numeric www-ip and www-port; -1 if not numeric. */
static int health_peer_set(struct health_peer *p, const char *ip,
			   unsigned port)
{
	struct sockaddr_in *in4 = (struct sockaddr_in *)&p->sa;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&p->sa;

	memset(p, 0, sizeof(*p));
	if (inet_pton(AF_INET, ip, &in4->sin_addr) == 1) {
		/* A server bound to every address answers on loopback. */
		if (in4->sin_addr.s_addr == htonl(INADDR_ANY))
			in4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		in4->sin_family = AF_INET;
		in4->sin_port = htons(port);
		p->salen = sizeof(*in4);
		inet_ntop(AF_INET, &in4->sin_addr, p->text, sizeof(p->text));
	} else if (inet_pton(AF_INET6, ip, &in6->sin6_addr) == 1) {
		if (IN6_IS_ADDR_UNSPECIFIED(&in6->sin6_addr))
			in6->sin6_addr = in6addr_loopback;
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(port);
		p->salen = sizeof(*in6);
		p->text[0] = '[';
		inet_ntop(AF_INET6, &in6->sin6_addr, p->text + 1,
			  sizeof(p->text) - 8);
		strcat(p->text, "]");
	} else {
		return -1;
	}
	snprintf(p->text + strlen(p->text), sizeof(p->text) - strlen(p->text),
		 ":%u", port);
	return 0;
}

/* ms_left - milliseconds until deadline (CLOCK_MONOTONIC ns), >= 0. */
static int ms_left(long long deadline)
{
	struct timespec ts;
	long long now;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	now = (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
	return now >= deadline ? 0 : (int)((deadline - now) / 1000000);
}

/* wait_fd - poll fd for events until deadline; 0 ready, -1 timeout/error. */
static int wait_fd(int fd, short events, long long deadline)
{
	struct pollfd pfd = { .fd = fd, .events = events };
	int n;

	do
		n = poll(&pfd, 1, ms_left(deadline));
	while (n < 0 && errno == EINTR);
	if (n == 0)
		errno = ETIMEDOUT;
	return n > 0 ? 0 : -1;
}

/* health_connect - a connected non-blocking socket, or -1 with errno. */
static int health_connect(const struct health_peer *p, long long deadline)
{
	int fd, err = 0;
	socklen_t len = sizeof(err);

	fd = socket(p->sa.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
		    0);
	if (fd < 0)
		return -1;
	if (connect(fd, (const struct sockaddr *)&p->sa, p->salen) == 0)
		return fd;
	if (errno == EINPROGRESS && wait_fd(fd, POLLOUT, deadline) == 0 &&
	    getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == 0 && err == 0)
		return fd;
	if (err)
		errno = err;
	err = errno;
	close(fd);
	errno = err;
	return -1;
}

/* health_exchange - send the request, read the answer into buf (NUL-ended). */
static int health_exchange(int fd, const struct health_peer *p, char *buf,
			   size_t size, long long deadline)
{
	char req[256];
	size_t got = 0, sent = 0;
	int len;
	ssize_t n;

	len = snprintf(req, sizeof(req), "GET /health HTTP/1.1\r\nHost: %s\r\n"
		       "User-Agent: mq-health\r\nConnection: close\r\n\r\n",
		       p->text);
	while (sent < (size_t)len) {
		n = send(fd, req + sent, len - sent, MSG_NOSIGNAL);
		if (n < 0 && errno != EAGAIN && errno != EINTR)
			return -1;
		if (n > 0)
			sent += n;
		else if (wait_fd(fd, POLLOUT, deadline) < 0)
			return -1;
	}
	/* Connection: close - the answer ends when the server closes. */
	while (got < size - 1) {
		n = recv(fd, buf + got, size - 1 - got, 0);
		if (n == 0)
			break;
		if (n > 0)
			got += n;
		else if ((errno != EAGAIN && errno != EINTR) ||
			 wait_fd(fd, POLLIN, deadline) < 0)
			return -1;
	}
	buf[got] = '\0';
	return 0;
}

/* health_line - print "CODE ADDR BODY" (json: BODY) on one line; the code */
static int health_line(const char *reply, const struct health_peer *p,
		       bool json)
{
	const char *body = strstr(reply, "\r\n\r\n");
	int code = 0;
	size_t blen;

	if (sscanf(reply, "HTTP/1.%*1[01] %3d", &code) != 1 || code < 100)
		return -1;
	body = body ? body + 4 : "";
	blen = strcspn(body, "\r\n");
	if (json)
		printf("%.*s\n", (int)blen, body);
	else
		printf("health: %d from %s%s%.*s\n", code, p->text,
		       blen ? " " : "", (int)blen, body);
	return code;
}

/* cmd_health - mq health */
int	cmd_health(int argc, char **argv)
{
	struct health_peer peer;
	char reply[HEALTH_REPLY_MAX];
	long long deadline;
	struct timespec ts;
	int fd, code;
	bool json;

	if (cli_help(argc, argv, health_usage))
		return 0;
	json = cli_json_flag(&argc, argv);
	if (argc != 1)
		return cli_usage(health_usage);
	if (mq_conf.www_port == 0) {
		cli_error("www-port is 0: mq serve's HTTP is turned off");
		return EXIT_USAGE;
	}
	if (health_peer_set(&peer, mq_conf.www_ip, mq_conf.www_port) < 0) {
		cli_error("www-ip: not a numeric address: '%s'",
			  mq_conf.www_ip);
		return EXIT_USAGE;
	}
	clock_gettime(CLOCK_MONOTONIC, &ts);
	deadline = (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec +
		   HEALTH_TIMEOUT_MS * 1000000LL;
	if ((fd = health_connect(&peer, deadline)) < 0) {
		cli_error("health: %s: cannot connect: %s", peer.text,
			  strerror(errno));
		return EXIT_TEMPFAIL;
	}
	if (health_exchange(fd, &peer, reply, sizeof(reply), deadline) < 0) {
		cli_error("health: %s: no answer: %s", peer.text,
			  strerror(errno));
		close(fd);
		return EXIT_TEMPFAIL;
	}
	close(fd);
	if ((code = health_line(reply, &peer, json)) < 0) {
		cli_error("health: %s: not an HTTP answer", peer.text);
		return EXIT_TEMPFAIL;
	}
	return code == 200 ? 0 : EXIT_NOTFOUND;
}
