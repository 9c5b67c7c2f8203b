// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The sender's token bucket. Time is passed in, never read: nothing sleeps,
 * and every expected value is exact integer arithmetic. (The rate it is given
 * comes from the controller, tests/unit/test_ratectl.c.)
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "clock.h"
#include "pacer.h"

#define MBIT	  (1000ull * 1000)
#define GBIT	  (1000ull * MBIT)
#define T0	  (1000 * NSEC_PER_SEC) /* any start: only differences matter */
#define MIN_BURST 96000ull /* a burst allowance, as the sender derives it from its batch */
#define CEIL_BPS  (100 * GBIT)

static void check_u64(const char *what, __u64 got, __u64 want)
{
	if (got != want)
		fail_msg("%s: %llu, want %llu", what, (unsigned long long)got,
			 (unsigned long long)want);
}

/* --- Token bucket ---------------------------------------------------------------------- */

/* 8 Gbit/s is one byte per nanosecond: tokens and time read the same. */
static void test_bucket_one_byte_per_ns(void **state)
{
	struct p2pkp_pacer p;
	__u64 now = T0;

	p2pkp_pacer_init(&p, 8 * GBIT, MIN_BURST, now);
	check_u64("rate", p.rate_bps, 8 * GBIT);
	check_u64("burst", p.burst_bytes, 1000000);	       /* 1 ms, above min_burst */
	assert_int_equal(p2pkp_pacer_avail(&p, now), 1000000); /* full from the start */
	assert_int_equal(p2pkp_pacer_avail(&p, now + NSEC_PER_SEC), 1000000); /* capped */
	now += NSEC_PER_SEC;
	check_u64("delay for the whole bucket", p2pkp_pacer_delay_ns(&p, 1000000), 0);
	check_u64("delay for one byte more", p2pkp_pacer_delay_ns(&p, 1000001), 1);

	p2pkp_pacer_consume(&p, 1000000);
	assert_int_equal(p2pkp_pacer_avail(&p, now), 0);
	check_u64("delay 1", p2pkp_pacer_delay_ns(&p, 1), 1);
	check_u64("delay 1500", p2pkp_pacer_delay_ns(&p, 1500), 1500);
	check_u64("delay 0 bytes", p2pkp_pacer_delay_ns(&p, 0), 0);
	now += 1000;
	assert_int_equal(p2pkp_pacer_avail(&p, now), 1000);
	assert_int_equal(p2pkp_pacer_avail(&p, now), 1000); /* no time, no tokens */
	now += 250000;
	assert_int_equal(p2pkp_pacer_avail(&p, now), 251000);
	now += 10 * NSEC_PER_MSEC;
	assert_int_equal(p2pkp_pacer_avail(&p, now), 1000000);

	/* Overdrawn by a batch bigger than the bucket: the debt is paid first. */
	p2pkp_pacer_consume(&p, 1500000);
	assert_int_equal(p2pkp_pacer_avail(&p, now), -500000);
	check_u64("delay 9000 in debt", p2pkp_pacer_delay_ns(&p, 9000), 509000);
	now += 508999;
	assert_int_equal(p2pkp_pacer_avail(&p, now), 8999);
	check_u64("delay 9000, a byte short", p2pkp_pacer_delay_ns(&p, 9000), 1);
	now += 1;
	assert_int_equal(p2pkp_pacer_avail(&p, now), 9000);
	check_u64("delay 9000 when there", p2pkp_pacer_delay_ns(&p, 9000), 0);
}

/* 10 Mbit/s asked every 799 ns (less than a byte's 800 ns): no refill is rounded away. */
static void test_bucket_frequent_calls(void **state)
{
	struct p2pkp_pacer p;
	__u64 now = T0, end;

	p2pkp_pacer_init(&p, 10 * MBIT, MIN_BURST, now);
	p2pkp_pacer_consume(&p, MIN_BURST);
	for (end = now + NSEC_PER_MSEC; now + 799 <= end; now += 799)
		p2pkp_pacer_avail(&p, now);
	assert_int_equal(p2pkp_pacer_avail(&p, end), 1250);
}

/* 100 Mbit/s: 80 ns a byte, and the bucket is the sender's batch, not 1 ms (12500 bytes). */
static void test_bucket_min_burst(void **state)
{
	struct p2pkp_pacer p;
	__u64 now = T0, d;

	p2pkp_pacer_init(&p, 100 * MBIT, MIN_BURST, now);
	check_u64("burst", p.burst_bytes, MIN_BURST);
	assert_int_equal(p2pkp_pacer_avail(&p, now), MIN_BURST);
	p2pkp_pacer_consume(&p, MIN_BURST + 12500);
	assert_int_equal(p2pkp_pacer_avail(&p, now), -12500);
	check_u64("delay to clear the debt", p2pkp_pacer_delay_ns(&p, 0), NSEC_PER_MSEC);
	d = p2pkp_pacer_delay_ns(&p, MIN_BURST);
	check_u64("delay for a whole batch", d, (12500 + MIN_BURST) * 80);
	now += d;
	assert_int_equal(p2pkp_pacer_avail(&p, now), MIN_BURST);
	now += 80;
	assert_int_equal(p2pkp_pacer_avail(&p, now), MIN_BURST); /* still capped */

	p2pkp_pacer_consume(&p, MIN_BURST);
	now += 80;
	assert_int_equal(p2pkp_pacer_avail(&p, now), 1);
	now += NSEC_PER_MSEC;
	assert_int_equal(p2pkp_pacer_avail(&p, now), 12501);
}

/* A new rate keeps the tokens and moves the bucket's depth; tiny rates stay positive. */
static void test_set_rate(void **state)
{
	struct p2pkp_pacer p;
	__u64 now = T0;

	p2pkp_pacer_init(&p, 8 * GBIT, MIN_BURST, now);
	p2pkp_pacer_consume(&p, 400000);
	p2pkp_pacer_set_rate(&p, 16 * GBIT);
	check_u64("burst at 16 Gbit/s", p.burst_bytes, 2000000);
	assert_int_equal(p2pkp_pacer_avail(&p, now), 600000);
	now += 1000;
	assert_int_equal(p2pkp_pacer_avail(&p, now), 602000); /* two bytes a ns now */
	p2pkp_pacer_set_rate(&p, 100 * MBIT);
	check_u64("burst never below a batch", p.burst_bytes, MIN_BURST);
	p2pkp_pacer_set_rate(&p, 0);
	check_u64("rate never 0", p.rate_bps, 1000);
}

/* 100 Gbit/s: bytes * 8e9 wraps 64 bits past 2.3 GB, so refills and delays use 128 bits. */
static void test_ceiling_no_overflow(void **state)
{
	struct p2pkp_pacer p;
	__u64 now = T0;

	p2pkp_pacer_init(&p, CEIL_BPS, MIN_BURST, now);
	check_u64("burst", p.burst_bytes, 12500000);
	p2pkp_pacer_consume(&p, 12500000);
	assert_int_equal(p2pkp_pacer_avail(&p, now), 0);
	check_u64("delay for a burst", p2pkp_pacer_delay_ns(&p, 12500000), 1000000);
	now += NSEC_PER_SEC;
	assert_int_equal(p2pkp_pacer_avail(&p, now), 12500000);
	p2pkp_pacer_consume(&p, 4000000000u);
	assert_int_equal(p2pkp_pacer_avail(&p, now), 12500000 - 4000000000ll);
	now += 320 * NSEC_PER_MSEC; /* 4 GB at 12.5 GB/s */
	assert_int_equal(p2pkp_pacer_avail(&p, now), 12500000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bucket_one_byte_per_ns),
		cmocka_unit_test(test_bucket_min_burst),
		cmocka_unit_test(test_bucket_frequent_calls),
		cmocka_unit_test(test_set_rate),
		cmocka_unit_test(test_ceiling_no_overflow),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
