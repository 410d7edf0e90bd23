/*
 * NAME
 *	progress.c - a progress meter for long commands: rate and ETA on a
 *	terminal, one summary line at the end
 * SYNOPSIS
 *	cli_meter_start("backup", METER_WRITTEN, total_bytes);
 *	... the long operation ...
 *	cli_meter_end("1234 rows");
 * DESCRIPTION
 *	The operations below mq/cli/ (store/, sql-compat/, import/) report
 *	no progress of their own, and need not: the meter watches the
 *	process from outside.  A thread samples, four times a second, the
 *	bytes the process has read (rchar of /proc/self/io: SQL rows
 *	arriving, files imported, stdin), written (wchar: a backup, an
 *	export) or mapped in (the resident size of the process and its
 *	children: a store walked by verify) since the start, plus what
 *	the command adds itself (cli_meter_add: a file mapped rather than
 *	read, which rchar does not count).  When stderr
 *	is a terminal it redraws one line there: bytes done (of the
 *	total, when known), the rate, and the time left when a total is
 *	known; nothing in the first half second, so a quick command shows
 *	no meter.  Elsewhere it only samples, for the summary.
 *
 *	cli_meter_stop stops the thread and clears the line: a command
 *	that failed says so in its own one line.  cli_meter_end does that
 *	and prints one summary to stderr, terminal or not: "mq: LABEL: WHAT, BYTES in
 *	SECONDS s (RATE/s)".  Without /proc (a bare chroot) the bytes are
 *	0 and the meter shows the time alone.
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "mq/cli/cli.h"

#define METER_PERIOD_MS	250	/* four lines a second at most */
#define METER_QUIET_MS	500	/* nothing drawn before this */

static struct {
	const char *label;
	enum cli_meter_source src;
	uint64_t total, base, done;
	uint64_t added;		/* cli_meter_add's: bytes /proc misses */
	struct timespec start;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	bool running, tty, stop, drawn;
} meter = {
	.lock = PTHREAD_MUTEX_INITIALIZER,
	.wake = PTHREAD_COND_INITIALIZER,
};

/* proc_io - the rchar or wchar line of /proc/self/io; 0 without it */
static uint64_t proc_io(const char *key)
{
	FILE *f = fopen("/proc/self/io", "r");
	char name[32];
	unsigned long long v, found = 0;

	if (!f)
		return 0;
	while (fscanf(f, "%31[^:]: %llu\n", name, &v) == 2)
		if (strcmp(name, key) == 0)
			found = v;
	fclose(f);
	return found;
}

/* statm_resident - resident bytes of /proc/PID/statm, 0 without it */
static uint64_t statm_resident(const char *pid)
{
	char path[64];
	FILE *f;
	unsigned long long size, pages = 0;

	snprintf(path, sizeof(path), "/proc/%s/statm", pid);
	if (!(f = fopen(path, "r")))
		return 0;
	if (fscanf(f, "%llu %llu", &size, &pages) != 2)
		pages = 0;
	fclose(f);
	return pages * (uint64_t)sysconf(_SC_PAGESIZE);
}

/*
 * resident - bytes in memory of the process and its children, mapped
 *	file pages included (store_verify_file walks the file in a child)
 */
static uint64_t resident(void)
{
	char path[64], pid[24];
	uint64_t sum = statm_resident("self");
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/task/%ld/children",
		 (long)getpid());
	if (!(f = fopen(path, "r")))
		return sum;
	while (fscanf(f, "%23s", pid) == 1)
		sum += statm_resident(pid);
	fclose(f);
	return sum;
}

static uint64_t sample(enum cli_meter_source src)
{
	switch (src) {
	case METER_READ:
		return proc_io("rchar");
	case METER_WRITTEN:
		return proc_io("wchar");
	case METER_MAPPED:
		return resident();
	}
	return 0;
}

/*
 * done_bytes - bytes since the start, never past the total and never
 *	less than before (a child's memory leaves with the child)
 */
static uint64_t done_bytes(void)
{
	uint64_t now = sample(meter.src);
	uint64_t done = (now > meter.base ? now - meter.base : 0) + meter.added;

	if (meter.total && done > meter.total)
		done = meter.total;
	if (done > meter.done)
		meter.done = done;
	return meter.done;
}

static double elapsed(void)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - meter.start.tv_sec) +
	       (double)(now.tv_nsec - meter.start.tv_nsec) / 1e9;
}

/* human - bytes as "12.3 MB" */
static const char *human(uint64_t n, char *buf, size_t len)
{
	static const char *const unit[] = { "B", "kB", "MB", "GB", "TB" };
	double v = (double)n;
	int u = 0;

	while (v >= 1000 && u < 4) {
		v /= 1000;
		u++;
	}
	snprintf(buf, len, u ? "%.1f %s" : "%.0f %s", v, unit[u]);
	return buf;
}

/* draw - the terminal line: done (of total), rate, time left */
static void draw(void)
{
	char buf[32];
	double s = elapsed();
	uint64_t done = done_bytes();
	double rate = s > 0 ? (double)done / s : 0;

	fprintf(stderr, "\r\033[Kmq: %s: %s", meter.label,
		human(done, buf, sizeof(buf)));
	if (meter.total)
		fprintf(stderr, " of %s (%.0f%%)",
			human(meter.total, buf, sizeof(buf)),
			100.0 * (double)done / (double)meter.total);
	fprintf(stderr, ", %s/s", human((uint64_t)rate, buf, sizeof(buf)));
	if (meter.total && rate > 0)
		fprintf(stderr, ", %.0f s left",
			(double)(meter.total - done) / rate);
	fprintf(stderr, ", %.0f s", s);
	meter.drawn = true;
}

/* meter_run - the sampling thread: redraw until told to stop */
static void *meter_run(void *arg)
{
	struct timespec until;

	(void)arg;
	pthread_mutex_lock(&meter.lock);
	while (!meter.stop) {
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_nsec += METER_PERIOD_MS * 1000000L;
		until.tv_sec += until.tv_nsec / 1000000000L;
		until.tv_nsec %= 1000000000L;
		pthread_cond_timedwait(&meter.wake, &meter.lock, &until);
		if (meter.stop)
			break;
		if (meter.tty && elapsed() * 1000 >= METER_QUIET_MS)
			draw();
		else
			done_bytes();	/* the peak, for the summary */
	}
	pthread_mutex_unlock(&meter.lock);
	return NULL;
}

void cli_meter_start(const char *label, enum cli_meter_source src,
		     uint64_t total)
{
	meter.label = label;
	meter.src = src;
	meter.total = total;
	meter.base = sample(src);
	meter.done = meter.added = 0;
	meter.stop = meter.drawn = false;
	clock_gettime(CLOCK_MONOTONIC, &meter.start);
	meter.tty = isatty(STDERR_FILENO);
	meter.running = pthread_create(&meter.thread, NULL, meter_run,
				       NULL) == 0;
}

void cli_meter_add(uint64_t bytes)
{
	pthread_mutex_lock(&meter.lock);
	meter.added += bytes;
	pthread_mutex_unlock(&meter.lock);
}

void cli_meter_stop(void)
{
	if (meter.running) {
		pthread_mutex_lock(&meter.lock);
		meter.stop = true;
		pthread_cond_signal(&meter.wake);
		pthread_mutex_unlock(&meter.lock);
		pthread_join(meter.thread, NULL);
		meter.running = false;
	}
	if (meter.drawn)
		fputs("\r\033[K", stderr);
	meter.drawn = false;
}

void cli_meter_end(const char *fmt, ...)
{
	char what[256], d[32], r[32];
	uint64_t done;
	double s;
	va_list ap;

	cli_meter_stop();
	done = done_bytes();
	s = elapsed();
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	fprintf(stderr, "mq: %s: %s%s%s in %.2f s (%s/s)\n", meter.label, what,
		*what ? ", " : "", human(done, d, sizeof(d)), s,
		human(s > 0 ? (uint64_t)((double)done / s) : 0, r, sizeof(r)));
}
