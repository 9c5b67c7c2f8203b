/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef P2PKP_CLOCK_H
#define P2PKP_CLOCK_H

#include <time.h>
#include <linux/types.h>

#define NSEC_PER_MSEC 1000000ull
#define NSEC_PER_SEC  1000000000ull

/* Monotonic nanoseconds: every timer in the engine runs on this clock. */
static inline __u64 p2pkp_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * NSEC_PER_SEC + (__u64)ts.tv_nsec;
}

#endif /* P2PKP_CLOCK_H */
