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

/* Monotonic milliseconds, for bounding waits. */
static inline long long p2pkp_now_ms(void)
{
	return (long long)(p2pkp_now_ns() / NSEC_PER_MSEC);
}

/* Monotonic seconds, for tools that report rates and durations. */
static inline double p2pkp_now_s(void)
{
	return (double)p2pkp_now_ns() / NSEC_PER_SEC;
}

/* Sleep ns nanoseconds on the same clock; a signal may end it early. */
static inline void p2pkp_sleep_ns(__u64 ns)
{
	struct timespec ts = {.tv_sec = (time_t)(ns / NSEC_PER_SEC),
			      .tv_nsec = (long)(ns % NSEC_PER_SEC)};

	clock_nanosleep(CLOCK_MONOTONIC, 0, &ts, NULL);
}

#endif /* P2PKP_CLOCK_H */
