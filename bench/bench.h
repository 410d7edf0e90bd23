/*
 * NAME
 *	bench.h - what mq's benchmarks share: timing, ids, failing
 * DESCRIPTION
 *	Header-only (each bench/NAME.c is its own program): define PROG
 *	before including it.
 */
#ifndef MQ_BENCH_H
#define MQ_BENCH_H

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>

/* die - print "PROG: message" and exit 1. */
static inline void die(const char *fmt, ...)
{
	va_list ap;

	fputs(PROG ": ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

/* now - seconds on the monotonic clock. */
static inline double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* cpu_now - this thread's CPU seconds: a rate per core on a busy host. */
static inline double cpu_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* mix64 - splitmix64 finaliser: a well-spread hash of x. */
static inline uint64_t mix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

/* random_id - the n-th id of the sequence seeded by seed, in 1..rows. */
static inline int64_t random_id(uint64_t seed, uint64_t n, uint64_t rows)
{
	return (int64_t)(1 + mix64(seed * 0x100000001b3ULL + n) % rows);
}

/* file_mib - the size of path in MiB, 0 when it cannot be read. */
static inline double file_mib(const char *path)
{
	struct stat sb;

	return stat(path, &sb) == 0 ? (double)sb.st_size / 1048576.0 : 0;
}

#endif
