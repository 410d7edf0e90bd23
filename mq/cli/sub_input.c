/*
 * NAME
 *	sub_input.c - the addresses of mq sub and unsub: arguments or stdin
 * SYNOPSIS
 *	#include "mq/cli/sub_input.h"
 *
 *	ex = sub_input_read(&args, &in);
 *	line = sub_input_line(&in, i);
 *	sub_input_free(&in);
 * DESCRIPTION
 *	Stdin is taken whole before anything is checked, one request a
 *	line that points into it (no line is copied).  A regular file is
 *	mapped rather than read: the page cache holds it already, so a
 *	million addresses (36 MB) cost no fresh memory and no copy.  A
 *	file cut short while mq reads it faults (SIGBUS): cli_fault_input
 *	makes that one line and exit 75, not a damaged store; a commit is
 *	whole or not made.  A pipe is read into one
 *	buffer.  Once the lines are counted, the heap is readied for
 *	their write (store_sub_warm), in a thread that runs beside the
 *	making of the requests and their checking.
 * DIAGNOSTICS
 *	"mq: stdin: ..." for a read that failed, "mq: stdin:LINE: line
 *	longer than 1024 bytes"; exit status as mq/cli.h.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mq/cli/cli.h"
#include "mq/cli/sub_input.h"

#define LINE_MAX_BYTES	1024	/* an stdin line: address and from line */

/*
 * map_stdin - stdin's file mapped whole, when it is a regular file not
 *	empty whose offset is at its start; NULL otherwise (read it).  The
 *	offset is moved to the end, as reading would leave it.
 */
static char *map_stdin(size_t *len)
{
	struct stat sb;
	char *p;

	if (fstat(STDIN_FILENO, &sb) || !S_ISREG(sb.st_mode) ||
	    sb.st_size <= 0 || (uint64_t)sb.st_size >= (uint64_t)1 << 40 ||
	    lseek(STDIN_FILENO, 0, SEEK_CUR) != 0)
		return NULL;
	p = mmap(NULL, (size_t)sb.st_size, PROT_READ, MAP_PRIVATE |
		 MAP_POPULATE, STDIN_FILENO, 0);
	if (p == MAP_FAILED)
		return NULL;
	(void)lseek(STDIN_FILENO, 0, SEEK_END);
	*len = (size_t)sb.st_size;
	cli_fault_input(p, *len);
	return p;
}

/* read_all - the whole of fd, from a pipe or what map_stdin left */
static char *read_all(int fd, size_t *len)
{
	size_t cap = 1 << 16, n = 0;
	char *buf = malloc(cap), *p;
	ssize_t r;

	while (buf) {
		if (n == cap) {
			p = realloc(buf, cap * 2);
			if (!p)
				break;
			buf = p;
			cap *= 2;
		}
		r = read(fd, buf + n, cap - n);
		if (r == 0) {
			*len = n;
			return buf;
		}
		if (r < 0 && errno != EINTR)
			break;
		n += r > 0 ? (size_t)r : 0;
	}
	free(buf);
	return NULL;
}

/*
 * name_split - where ezmlm-sub -n ends the address of a line: the first
 *	space, tab or comma not escaped by a backslash (which stays in the
 *	address, as ezmlm-idx's subunsub_main leaves it); len if none.
 */
static size_t name_split(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '\\')
			i++;
		else if (s[i] == ' ' || s[i] == '\t' || s[i] == ',')
			return i;
	}
	return len;
}

/*
 * parse_line - one stdin line into one request: the whole line is the
 *	address, or with -n the address and, after one separator, the
 *	from line (ezmlm-sub's stdin rules).
 */
static void parse_line(char *s, size_t len, const struct sub_args *a,
		       struct sub_request *r)
{
	size_t i = a->names ? name_split(s, len) : len;

	*r = (struct sub_request){ .addr = s, .len = i, .hash = a->hash,
				   .etype = 'm', .fromline = a->from,
				   .fromlen = a->from ? strlen(a->from) : 0 };
	if (i < len) {
		r->fromline = s + i + 1;
		r->fromlen = len - i - 1;
	}
}

/*
 * line_of - the number of the stdin line at p: counted only for an
 *	error, so that a million good lines keep no number each.
 */
static size_t line_of(const char *text, const char *p)
{
	size_t line = 1;

	while ((text = memchr(text, '\n', (size_t)(p - text))))
		text++, line++;
	return line;
}

/* skip_line - an stdin line ezmlm-sub skips: empty or a '#' comment */
static bool skip_line(const char *s, size_t n)
{
	return n == 0 || s[0] == '#';
}

/* lines - the requests text of len bytes can make: its lines */
static size_t lines(const char *text, size_t len)
{
	const char *p, *end = text + len;
	size_t n = 1;

	for (p = text; (p = memchr(p, '\n', (size_t)(end - p))); p++)
		n++;
	return n;
}

/* read_stdin - the requests of stdin, one address (and from line) a line. */
static int read_stdin(const struct sub_args *a, struct sub_input *in)
{
	size_t len = 0, cap;
	char *p, *end;

	if ((in->text = map_stdin(&len))) {
		in->mapped = len;
		cli_meter_add(len);
	}
	else if (!(in->text = read_all(STDIN_FILENO, &len))) {
		cli_error("stdin: %s", strerror(errno ? errno : ENOMEM));
		return EXIT_SOFTWARE;
	}
	end = in->text + len;
	cap = lines(in->text, len);
	if (!(in->req = store_bulk_alloc(cap * sizeof(*in->req))))
		return EXIT_SOFTWARE;
	store_sub_warm(cap);
	for (p = in->text; p < end; p++) {
		char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = (nl ? nl : end) - p;

		if (n && p[n - 1] == '\r')
			n--;
		if (n > LINE_MAX_BYTES) {
			cli_error("stdin:%zu: line longer than %d bytes",
				  line_of(in->text, p), LINE_MAX_BYTES);
			return EXIT_DATAERR;
		}
		if (!skip_line(p, n))
			parse_line(p, n, a, &in->req[in->n++]);
		p += nl ? (size_t)(nl - p) : n;
		if (!nl)
			break;
	}
	return 0;
}

int sub_input_read(const struct sub_args *a, struct sub_input *in)
{
	struct sub_args plain = *a;

	plain.names = false;
	memset(in, 0, sizeof(*in));
	if (a->from_stdin && a->naddrs == 0)
		return read_stdin(a, in);
	if (!(in->req = malloc((size_t)a->naddrs * sizeof(*in->req))))
		return EXIT_SOFTWARE;
	for (int i = 0; i < a->naddrs; i++) {
		struct sub_request *r = &in->req[in->n++];

		parse_line(a->addrs[i], strlen(a->addrs[i]), &plain, r);
		if (a->names && i + 1 < a->naddrs) {	/* ADDR FROMLINE pairs */
			r->fromline = a->addrs[++i];
			r->fromlen = strlen(r->fromline);
		}
	}
	return 0;
}

size_t sub_input_line(const struct sub_input *in, size_t i)
{
	return line_of(in->text, in->req[i].addr);
}

void sub_input_free(struct sub_input *in)
{
	free(in->req);
	if (in->mapped) {
		cli_fault_input(NULL, 0);
		munmap(in->text, in->mapped);
	}
	else
		free(in->text);
	memset(in, 0, sizeof(*in));
}
