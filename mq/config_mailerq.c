/*
 * NAME
 *	config_mailerq.c - MailerQ's config keys that mq reads and ignores
 * SYNOPSIS
 *	#include "mq/config.h"
 *
 *	if (config_mailerq_key("rabbitmq-address")) ...
 *	config_ignored_report(&mq_conf);
 * DESCRIPTION
 *	mq serve --config takes a MailerQ config file as it is: the keys
 *	mq shares with MailerQ (database-address, database-ttl,
 *	database-threads, database-validate, www-ip, www-port) are used,
 *	and the MailerQ keys below, which mq has no use for, are listed
 *	once each as ignored rather than refused.  Any other unknown key
 *	is still an error naming its line.  The list is MailerQ 5's
 *	documented settings (its "Configuration A-Z" and the keys of its
 *	docker image's mailerq.config.txt).
 *
 *	www-password is MailerQ's management console login password.  mq
 *	does not turn it into its www-token: a bearer token is sent with
 *	every API write by scripts, and a console password should not
 *	become one without the operator saying so.  It is ignored, and
 *	its warning names www-token.
 */
#include <search.h>
#include <string.h>

#include "mq/config.h"
#include "mq/config_kind.h"
#include "mq/log.h"

static const char *const mailerq_keys[] = {
	"cache-dimensions", "cache-size", "cluster-address",
	"cluster-exchange", "daemon", "disable-crash-report",
	"dns-threads", "download-log-compression", "download-log-directory",
	"download-log-history", "download-log-maxage", "download-log-maxsize",
	"download-log-prefix", "dsn-advertise", "dsn-notify", "dsn-ret",
	"envelope", "error-log", "error-log-directory", "error-log-prefix",
	"heartbeat-enabled", "ignore-dot", "license", "lock",
	"max-attempts", "max-delivertime", "plugin-directory",
	"rabbitmq-address", "rabbitmq-consumers", "rabbitmq-dsn",
	"rabbitmq-durable", "rabbitmq-encoding", "rabbitmq-exchange",
	"rabbitmq-failure", "rabbitmq-inbox", "rabbitmq-local",
	"rabbitmq-outbox", "rabbitmq-persistent", "rabbitmq-publishers",
	"rabbitmq-queues", "rabbitmq-refused", "rabbitmq-reports",
	"rabbitmq-results", "rabbitmq-retry", "rabbitmq-success",
	"received-log-compression", "received-log-directory",
	"received-log-history", "received-log-maxage",
	"received-log-maxsize", "received-log-prefix", "retry-interval",
	"send-log-compression", "send-log-directory", "send-log-history",
	"send-log-maxage", "send-log-maxsize", "send-log-prefix",
	"server-id", "smarthost", "smarthost-password", "smarthost-port",
	"smarthost-username", "smtp-auth-results", "smtp-certificate",
	"smtp-check", "smtp-ciphers", "smtp-connections", "smtp-default-ips",
	"smtp-extract", "smtp-ip", "smtp-key", "smtp-mappable-ips",
	"smtp-maxsize", "smtp-password", "smtp-port", "smtp-proxy",
	"smtp-range", "smtp-secure-port", "smtp-sink-ip",
	"smtp-sink-password", "smtp-sink-port", "smtp-sink-username",
	"smtp-threads", "smtp-unmappable-ips", "smtp-username",
	"spamassassin-host", "spamassassin-port", "spool-delay",
	"spool-directory", "spool-extract", "spool-remove",
	"storage-address", "storage-policy", "storage-reschedule",
	"storage-threads", "storage-timeout", "storage-ttl", "user",
	"www-cache-control", "www-certificate", "www-ciphers",
	"www-connections", "www-dir", "www-host", "www-password",
	"www-private-key", "www-secure-port", "www-url",
};

bool config_mailerq_key(const char *name)
{
	size_t n = sizeof mailerq_keys / sizeof mailerq_keys[0];

	return lfind(&name, mailerq_keys, &n, sizeof mailerq_keys[0],
		     config_name_cmp) != NULL;
}

void config_ignored_report(const struct mq_config *cfg)
{
	for (int i = 0; i < cfg->nignored; i++)
		log_warning("%s:%u: MailerQ key '%s' is not used by mq: "
			    "ignored%s", cfg->path, cfg->ignored_line[i],
			    cfg->ignored[i],
			    strcmp(cfg->ignored[i], "www-password") ? "" :
			    " (the API's writes take www-token)");
}
