/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Logging in the xdp-tools manner: one line per message, level-filtered, to stderr. */
#ifndef P2PKP_LOG_H
#define P2PKP_LOG_H

#include <stdarg.h>

enum p2pkp_log_level {
	P2PKP_LOG_WARN,
	P2PKP_LOG_INFO,
	P2PKP_LOG_DEBUG,
};

void p2pkp_log_set_level(enum p2pkp_log_level level);
enum p2pkp_log_level p2pkp_log_get_level(void);
void p2pkp_log(enum p2pkp_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void p2pkp_vlog(enum p2pkp_log_level level, const char *fmt, va_list ap);

#define pr_warn(fmt, ...)  p2pkp_log(P2PKP_LOG_WARN, fmt, ##__VA_ARGS__)
#define pr_info(fmt, ...)  p2pkp_log(P2PKP_LOG_INFO, fmt, ##__VA_ARGS__)
#define pr_debug(fmt, ...) p2pkp_log(P2PKP_LOG_DEBUG, fmt, ##__VA_ARGS__)

#endif /* P2PKP_LOG_H */
