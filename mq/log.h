/*
 * NAME
 *	log.h - mq's log lines on stderr
 * DESCRIPTION
 *	"2026-11-24T05:30:00Z mq[123]: info: text"; lines below the
 *	configured level are dropped.  Never pass a password or a private
 *	key: format addresses with sql_address_format().
 */
#ifndef MQ_LOG_H
#define MQ_LOG_H

#include "mq/config.h"

void log_set_level(enum log_level level);
void log_msg(enum log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#define log_error(...)	log_msg(LOG_LEVEL_ERROR, __VA_ARGS__)
#define log_warning(...) log_msg(LOG_LEVEL_WARNING, __VA_ARGS__)
#define log_info(...)	log_msg(LOG_LEVEL_INFO, __VA_ARGS__)
#define log_debug(...)	log_msg(LOG_LEVEL_DEBUG, __VA_ARGS__)

#endif
