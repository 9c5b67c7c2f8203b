// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <stdio.h>

#include "log.h"

static enum p2pkp_log_level log_level = P2PKP_LOG_INFO;

void p2pkp_log_set_level(enum p2pkp_log_level level)
{
	log_level = level;
}

enum p2pkp_log_level p2pkp_log_get_level(void)
{
	return log_level;
}

void p2pkp_vlog(enum p2pkp_log_level level, const char *fmt, va_list ap)
{
	if (level > log_level)
		return;
	vfprintf(stderr, fmt, ap);
}

void p2pkp_log(enum p2pkp_log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	p2pkp_vlog(level, fmt, ap);
	va_end(ap);
}
