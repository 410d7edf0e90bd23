/*
 * NAME
 *	fuzz_util.h - what the fuzz targets of tests/fuzz/ share
 * SYNOPSIS
 *	#include "tests/fuzz/fuzz_util.h"
 * DESCRIPTION
 *	Each target is one libFuzzer program (LLVMFuzzerTestOneInput) built
 *	by "make fuzz" into build/fuzz/NAME and run by tests/fuzz/run.sh.
 *	A target that needs files or a store makes them once, in a
 *	directory of its own under /dev/shm (so that the store's commits
 *	cost no disk flush) or $TMPDIR, removed when the process exits
 *	normally; a crashed run leaves it behind.
 *
 *	A target states the properties it checks with fuzz_fail(): a
 *	broken property aborts, so libFuzzer keeps the input as a crash,
 *	like a memory error found by ASan or UBSan.
 */
#ifndef MQ_FUZZ_UTIL_H
#define MQ_FUZZ_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

/* fuzz_dir - this process's scratch directory, made on first use. */
const char *fuzz_dir(void);

/* fuzz_store - open (creating) the store fuzz_dir()/name; aborts on failure. */
struct store *fuzz_store(const char *name, unsigned flags);

/* fuzz_write_file - path holds exactly data[0..len); aborts on failure. */
void	fuzz_write_file(const char *path, const void *data, size_t len);

/* fuzz_remove_tree - remove path and everything under it, if it exists. */
void	fuzz_remove_tree(const char *path);

/*
 * fuzz_quiet - mq's messages on stderr (cli_error, log lines) go to
 *	/dev/null: a target meets a bad input on nearly every run, and a
 *	line each would be most of its time.  Only the stdio stream
 *	stderr is replaced; libFuzzer, ASan and UBSan keep writing to
 *	file descriptor 2.  MQ_FUZZ_VERBOSE=1 in the environment keeps
 *	the messages, to follow one input.
 */
void	fuzz_quiet(void);

/* fuzz_fail - report a broken property and abort. */
void	fuzz_fail(const char *fmt, ...)
	__attribute__((format(printf, 1, 2), noreturn));

/* fuzz_check_store - a store call that set the stage succeeded. */
void	fuzz_check_store(struct store *st, enum store_rc rc, const char *what);

#endif
