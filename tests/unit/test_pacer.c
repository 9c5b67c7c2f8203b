// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The sender's pacer: the token bucket, and the controller as a table of
 * intervals (blocks sent, bytes let through, blocks lost) with the rate
 * expected after each. Time is passed in, never read: nothing sleeps, and
 * every expected value is exact integer arithmetic.
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
#define MS(x)	  (NSEC_PER_MSEC * (x))
#define T0	  (1000 * NSEC_PER_SEC) /* any start: only differences matter */
#define MIN_BURST 96000ull /* a burst allowance, as the sender derives it from its batch */
#define FLOOR_BPS (10 * MBIT)
#define CEIL_BPS  (100 * GBIT)
#define MAX_STEPS 12
#define ADJUST_NS MS(50) /* the controller's interval */

static void check_u64(const char *what, __u64 got, __u64 want)
{
	if (got != want)
		fail_msg("%s: %llu, want %llu", what, (unsigned long long)got,
			 (unsigned long long)want);
}

/* The bucket holds 1 ms of traffic, rate / 8 * 1000000 / 1e9 = rate / 8000 bytes. */
static __u64 want_burst(__u64 rate_bps)
{
	return rate_bps / 8000 > MIN_BURST ? rate_bps / 8000 : MIN_BURST;
}

/* consume() takes a __u32: big intervals go through in pieces, as the sender's batches do. */
static void consume_all(struct p2pkp_pacer *p, __u64 bytes)
{
	while (bytes) {
		__u32 n = bytes > 1000000000 ? 1000000000 : (__u32)bytes;

		p2pkp_pacer_consume(p, n);
		bytes -= n;
	}
}

/* --- Token bucket ---------------------------------------------------------------------- */

/* 8 Gbit/s is one byte per nanosecond: tokens and time read the same. */
static void test_bucket_one_byte_per_ns(void **state)
{
	struct p2pkp_pacer p;
	__u64 now = T0;

	p2pkp_pacer_init(&p, 8 * GBIT, 0, MIN_BURST, now);
	check_u64("rate", p.rate_bps, 8 * GBIT);
	check_u64("burst", p.burst_bytes, 1000000); /* 1 ms, above min_burst */
	assert_true(p.slow_start);
	assert_int_equal(p2pkp_pacer_avail(&p, now), 1000000); /* full from the start */
	assert_int_equal(p2pkp_pacer_avail(&p, now + NSEC_PER_SEC), 1000000); /* capped */
	now += NSEC_PER_SEC;
	check_u64("delay for the whole bucket", p2pkp_pacer_delay_ns(&p, 1000000), 0);
	check_u64("delay for one byte more", p2pkp_pacer_delay_ns(&p, 1000001), 1);

	p2pkp_pacer_consume(&p, 1000000);
	check_u64("sent_bytes", p.sent_bytes, 1000000);
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
	check_u64("sent_bytes", p.sent_bytes, 2500000);
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

	p2pkp_pacer_init(&p, FLOOR_BPS, 0, MIN_BURST, now);
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

	p2pkp_pacer_init(&p, 100 * MBIT, 0, MIN_BURST, now);
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

/* The start rate is held to [10 Mbit/s, --rate or 100 Gbit/s], and the burst follows. */
static void test_init_clamps(void **state)
{
	static const struct {
		__u64 start, max, want;
	} rows[] = {
		{1 * MBIT, 0, FLOOR_BPS},
		{0, 0, FLOOR_BPS},
		{FLOOR_BPS, 0, FLOOR_BPS},
		{5 * GBIT, 1 * GBIT, 1 * GBIT},
		{500 * GBIT, 0, CEIL_BPS},
		{CEIL_BPS, 0, CEIL_BPS},
		{200 * GBIT, 150 * GBIT, 150 * GBIT}, /* --rate above the default ceiling */
		{100 * MBIT, 5 * MBIT, 5 * MBIT},     /* --rate below the floor wins */
	};
	struct p2pkp_pacer p;

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		p2pkp_pacer_init(&p, rows[i].start, rows[i].max, MIN_BURST, T0);
		check_u64("rate", p.rate_bps, rows[i].want);
		check_u64("burst", p.burst_bytes, want_burst(rows[i].want));
		assert_int_equal(p.tokens, (__s64)p.burst_bytes);
		assert_true(p.slow_start);
		assert_true(p.sent_blocks == 0 && p.sent_bytes == 0 && p.lost_blocks == 0);
	}
}

/* --- Controller ------------------------------------------------------------------------ */

struct step {
	__u64 elapsed_ns; /* 0 ends the list */
	__u64 blocks;	  /* note_sent */
	__u64 bytes;	  /* consume */
	__u64 lost;	  /* note_lost */
	__u64 want_bps;	  /* rate after adjust() */
	bool held;	  /* true: adjust() must not act, the interval goes on */
};

struct ctl_case {
	const char *name;
	__u64 start_bps, max_bps;
	__u64 init_bps; /* rate after init */
	int slow_ends;	/* slow start is over after this step (1-based); 0: never */
	struct step steps[MAX_STEPS];
};

/*
 * In 100 ms, bytes * 80 is the rate sent: 1250000 bytes is 100 Mbit/s.
 * Rules: base = min(sent, rate); loss >= 0.2 % ends slow start; > 1 %: base / 10 * 7;
 * < 0.2 %: base * 2 in slow start, else base / 4 * 5; between: the rate stays.
 * The two intervals after a back-off only watch ("held" here means the interval
 * did not end; a watching interval ends without a change).
 */
static const struct ctl_case cases[] = {
	{.name = "slow start doubles while the sender keeps up",
	 .start_bps = 100 * MBIT,
	 .init_bps = 100 * MBIT,
	 .steps = {{MS(100), 1000, 1250000, 0, 200 * MBIT, false},
		   {MS(100), 1000, 2500000, 0, 400 * MBIT, false},
		   {MS(100), 1000, 5000000, 0, 800 * MBIT, false},
		   {MS(100), 1000, 10000000, 0, 1600 * MBIT, false},
		   {MS(100), 1000, 20000000, 0, 3200 * MBIT, false}}},
	{.name = "sending above the rate steps from the rate",
	 .start_bps = 100 * MBIT,
	 .init_bps = 100 * MBIT,
	 .steps = {{MS(100), 1000, 5000000, 0, 200 * MBIT, false},   /* 400 Mbit/s sent */
		   {MS(200), 1000, 5000000, 0, 400 * MBIT, false}}}, /* 200 Mbit/s over 200 ms */
	{.name = "loss of 0.5 % ends slow start at the same rate, then x1.25",
	 .start_bps = 100 * MBIT,
	 .init_bps = 100 * MBIT,
	 .slow_ends = 2,
	 .steps = {{MS(100), 1000, 1250000, 0, 200 * MBIT, false},
		   {MS(100), 1000, 2500000, 5, 200 * MBIT, false},
		   {MS(100), 1000, 2500000, 0, 250 * MBIT, false},
		   {MS(100), 1000, 3125000, 0, 312500000, false},
		   {MS(100), 1000, 3906250, 0, 390625000, false},
		   {MS(100), 1000, 4882812, 10, 390625000, false}}}, /* exactly 1 %: holds */
	{.name = "loss thresholds: 0.1 % speeds up, 0.2 % and 1 % hold, 1.1 % backs off",
	 .start_bps = 100 * MBIT,
	 .init_bps = 100 * MBIT,
	 .slow_ends = 2,
	 .steps = {{MS(100), 1000, 1250000, 1, 200 * MBIT, false},
		   {MS(100), 1000, 2500000, 2, 200 * MBIT, false},
		   {MS(100), 1000, 2500000, 10, 200 * MBIT, false},
		   {MS(100), 1000, 2500000, 11, 140 * MBIT, false},
		   {MS(100), 1000, 1750000, 50, 140 * MBIT, false}, /* watching: loss ignored */
		   {MS(100), 1000, 1750000, 0, 140 * MBIT, false},  /* watching: no step up */
		   {MS(100), 1000, 1750000, 1, 175 * MBIT, false},
		   {MS(100), 3002, 2187500, 6, 218750000, false}}}, /* 1998 ppm, rounded down */
	{.name = "loss above 1 % backs off to 0.7x",
	 .start_bps = 1 * GBIT,
	 .init_bps = 1 * GBIT,
	 .slow_ends = 1,
	 .steps = {{MS(100), 1000, 12500000, 20, 700 * MBIT, false},
		   {MS(100), 1000, 8750000, 500, 700 * MBIT, false},
		   {MS(100), 1000, 8750000, 0, 700 * MBIT, false},
		   {MS(100), 1000, 8750000, 0, 875 * MBIT, false},
		   {MS(100), 1000, 10937500, 500, 612500000, false},
		   {MS(100), 1000, 7656250, 500, 612500000, false},
		   {MS(100), 1000, 7656250, 500, 612500000, false},
		   {MS(100), 1000, 7656250, 500, 428750000, false},
		   {MS(100), 1000, 5359375, 0, 428750000, false},
		   {MS(100), 1000, 5359375, 0, 428750000, false},
		   {MS(100), 64, 5359375, 64, 300125000, false}}}, /* everything lost */
	{.name = "one loss burst reported over three intervals backs off once",
	 .start_bps = 1 * GBIT,
	 .init_bps = 1 * GBIT,
	 .slow_ends = 1,
	 .steps = {{MS(100), 1000, 12500000, 100, 700 * MBIT, false},
		   {MS(100), 1000, 8750000, 900, 700 * MBIT, false},
		   {MS(100), 1000, 8750000, 900, 700 * MBIT, false},
		   {MS(100), 1000, 8750000, 0, 875 * MBIT, false}}},
	{.name = "integer order: rate / 10 * 7 and rate / 4 * 5",
	 .start_bps = 123456789,
	 .init_bps = 123456789,
	 .slow_ends = 1,
	 .steps = {{MS(100), 1000, 5000000, 20, 86419746, false}, /* not 86419752 */
		   {MS(100), 1000, 5000000, 0, 86419746, false},
		   {MS(100), 1000, 5000000, 0, 86419746, false},
		   {MS(100), 1000, 5000000, 0, 108024680, false}}}, /* not 108024682 */
	{.name = "CPU-bound in slow start: the rate stops at 2x what was sent, never lower",
	 .start_bps = 1 * GBIT,
	 .init_bps = 1 * GBIT,
	 .steps = {{MS(100), 1000, 18750000, 0, 2 * GBIT, false}, /* 1.5 Gbit/s sent */
		   {MS(100), 1000, 18750000, 0, 3 * GBIT, false},
		   {MS(100), 1000, 18750000, 0, 3 * GBIT, false},
		   {MS(100), 1000, 3750000, 0, 3 * GBIT, false},   /* 300 Mbit/s sent */
		   {MS(250), 1000, 3125000, 0, 3 * GBIT, false}}}, /* 100 Mbit/s over 250 ms */
	{.name = "CPU-bound after slow start: no step past 2x what was sent, back off from it",
	 .start_bps = 1 * GBIT,
	 .init_bps = 1 * GBIT,
	 .slow_ends = 1,
	 .steps = {{MS(100), 1000, 12500000, 5, 1 * GBIT, false},
		   {MS(100), 1000, 5000000, 0, 1 * GBIT, false},     /* 400 Mbit/s sent */
		   {MS(100), 1000, 7500000, 0, 1200 * MBIT, false},  /* 600 Mbit/s sent */
		   {MS(100), 1000, 2500000, 20, 140 * MBIT, false},  /* 200 Mbit/s sent, lossy */
		   {MS(200), 1000, 2500000, 5, 140 * MBIT, false}}}, /* the band holds the rate */
	{.name = "the 10 Mbit/s floor holds",
	 .start_bps = 1 * MBIT,
	 .init_bps = FLOOR_BPS,
	 .slow_ends = 1,
	 .steps = {{MS(100), 64, 10000, 64, FLOOR_BPS, false}, /* 0.8 Mbit/s sent, all lost */
		   {MS(100), 64, 0, 0, FLOOR_BPS, false},      /* nothing let through */
		   {MS(100), 64, 0, 0, FLOOR_BPS, false},
		   {MS(100), 1000, 125000, 0, 12500000, false}}},
	{.name = "the --rate ceiling holds",
	 .start_bps = 600 * MBIT,
	 .max_bps = 1 * GBIT,
	 .init_bps = 600 * MBIT,
	 .slow_ends = 3,
	 .steps = {{MS(100), 1000, 7500000, 0, 1 * GBIT, false},
		   {MS(100), 1000, 12500000, 0, 1 * GBIT, false},
		   {MS(100), 1000, 12500000, 5, 1 * GBIT, false},
		   {MS(100), 1000, 12500000, 0, 1 * GBIT, false},
		   {MS(100), 1000, 12500000, 20, 700 * MBIT, false},
		   {MS(100), 1000, 8750000, 0, 700 * MBIT, false},
		   {MS(100), 1000, 8750000, 0, 700 * MBIT, false},
		   {MS(100), 1000, 8750000, 0, 875 * MBIT, false},
		   {MS(100), 1000, 10937500, 0, 1 * GBIT, false}}},
	{.name = "a start above --rate is cut to it",
	 .start_bps = 5 * GBIT,
	 .max_bps = 1 * GBIT,
	 .init_bps = 1 * GBIT,
	 .steps = {{MS(100), 1000, 62500000, 0, 1 * GBIT, false}}},
	{.name = "a --rate below the floor wins over the floor",
	 .start_bps = 100 * MBIT,
	 .max_bps = 5 * MBIT,
	 .init_bps = 5 * MBIT,
	 .slow_ends = 1,
	 .steps = {{MS(100), 100, 0, 50, 5 * MBIT, false},
		   {MS(100), 100, 62500, 0, 5 * MBIT, false}}},
	{.name = "without --rate the ceiling is 100 Gbit/s",
	 .start_bps = 40 * GBIT,
	 .init_bps = 40 * GBIT,
	 .steps = {{MS(100), 100000, 500000000, 0, 80 * GBIT, false},
		   {MS(100), 100000, 1000000000, 0, CEIL_BPS, false}}},
	{.name = "nothing moves before the interval is over",
	 .start_bps = 100 * MBIT,
	 .init_bps = 100 * MBIT,
	 .steps = {{ADJUST_NS - 1, 1000, 1250000, 0, 100 * MBIT, true},
		   /* Both steps counted: more than 100 Mbit/s sent, so x2 from the rate */
		   {1, 1000, 1250000, 0, 200 * MBIT, false}}},
	{.name = "nothing moves with fewer than 64 blocks",
	 .start_bps = 100 * MBIT,
	 .init_bps = 100 * MBIT,
	 .slow_ends = 2,
	 .steps = {{MS(100), 63, 2500000, 63, 100 * MBIT, true},
		   /* 64 blocks, 63 lost over 200 ms: 100 Mbit/s sent */
		   {MS(100), 1, 0, 0, 70 * MBIT, false},
		   {NSEC_PER_SEC, 0, 0, 0, 70 * MBIT, true},
		   /* 576 kB in 1.1 s is 4.2 Mbit/s sent: idle time never lowers the rate */
		   {MS(100), 64, 576000, 0, 70 * MBIT, false}}},
};

#define N_CASES (sizeof(cases) / sizeof(cases[0]))

static void controller_case(void **state)
{
	const struct ctl_case *c = *state;
	__u64 now = T0, start = T0, blocks = 0, bytes = 0, lost = 0;
	struct p2pkp_pacer p;
	char what[64];

	p2pkp_pacer_init(&p, c->start_bps, c->max_bps, MIN_BURST, now);
	check_u64("rate after init", p.rate_bps, c->init_bps);
	check_u64("burst after init", p.burst_bytes, want_burst(c->init_bps));
	assert_true(p.slow_start);
	for (int i = 0; i < MAX_STEPS && c->steps[i].elapsed_ns; i++) {
		const struct step *s = &c->steps[i];
		bool slow = !c->slow_ends || i + 1 < c->slow_ends;

		p2pkp_pacer_note_sent(&p, s->blocks);
		consume_all(&p, s->bytes);
		p2pkp_pacer_note_lost(&p, s->lost);
		now += s->elapsed_ns;
		p2pkp_pacer_adjust(&p, now);
		blocks += s->blocks;
		bytes += s->bytes;
		lost += s->lost;
		if (!s->held) {
			start = now;
			blocks = bytes = lost = 0;
		}

		snprintf(what, sizeof(what), "step %d: rate", i + 1);
		check_u64(what, p.rate_bps, s->want_bps);
		snprintf(what, sizeof(what), "step %d: burst", i + 1);
		check_u64(what, p.burst_bytes, want_burst(s->want_bps));
		snprintf(what, sizeof(what), "step %d: slow start", i + 1);
		check_u64(what, p.slow_start, slow);
		snprintf(what, sizeof(what), "step %d: interval start", i + 1);
		check_u64(what, p.interval_start_ns, start);
		snprintf(what, sizeof(what), "step %d: blocks in the interval", i + 1);
		check_u64(what, p.sent_blocks, blocks);
		snprintf(what, sizeof(what), "step %d: bytes in the interval", i + 1);
		check_u64(what, p.sent_bytes, bytes);
		snprintf(what, sizeof(what), "step %d: lost in the interval", i + 1);
		check_u64(what, p.lost_blocks, lost);
	}
}

/* --- Large values ---------------------------------------------------------------------- */

/* 100 Gbit/s is 1.25 GB in 100 ms and GBs in a longer interval: bytes * 8e9 wraps past 2.3 GB. */
static void test_ceiling_no_overflow(void **state)
{
	struct p2pkp_pacer p;
	__u64 now = T0;

	p2pkp_pacer_init(&p, CEIL_BPS, 0, MIN_BURST, now);
	check_u64("rate", p.rate_bps, CEIL_BPS);
	check_u64("burst", p.burst_bytes, 12500000);

	p2pkp_pacer_note_sent(&p, 138889); /* 9000-byte blocks */
	p2pkp_pacer_consume(&p, 1250000000);
	now += MS(100);
	p2pkp_pacer_adjust(&p, now);
	check_u64("rate after 1.25 GB in 100 ms", p.rate_bps, CEIL_BPS);
	assert_true(p.slow_start);

	p2pkp_pacer_note_sent(&p, 138889);
	p2pkp_pacer_consume(&p, 1250000000);
	p2pkp_pacer_note_lost(&p, 2778); /* 2 % */
	now += MS(100);
	p2pkp_pacer_adjust(&p, now);
	check_u64("rate after a loss", p.rate_bps, 70 * GBIT);
	assert_false(p.slow_start);
	for (int i = 0; i < 2; i++) { /* the two intervals that only watch */
		p2pkp_pacer_note_sent(&p, 97223);
		p2pkp_pacer_consume(&p, 875000000);
		now += MS(100);
		p2pkp_pacer_adjust(&p, now);
		check_u64("rate while watching", p.rate_bps, 70 * GBIT);
	}

	/* 4 GB in 400 ms, more than a __u32 and past 2 GB: 80 Gbit/s sent, above the rate. */
	p2pkp_pacer_note_sent(&p, 444445);
	consume_all(&p, 4000000000ull);
	now += MS(400);
	p2pkp_pacer_adjust(&p, now);
	check_u64("rate after 4 GB in 400 ms", p.rate_bps, 87500 * MBIT);

	/* 1.5 GB in 400 ms is 30 Gbit/s: twice that is below the rate, which holds. */
	p2pkp_pacer_note_sent(&p, 166667);
	consume_all(&p, 1500000000ull);
	now += MS(400);
	p2pkp_pacer_adjust(&p, now);
	check_u64("rate after 1.5 GB in 400 ms", p.rate_bps, 87500 * MBIT);
	check_u64("burst", p.burst_bytes, 87500 * MBIT / 8000);

	/* The bucket at the ceiling: a second idle refills it, delays stay exact. */
	p2pkp_pacer_init(&p, CEIL_BPS, 0, MIN_BURST, now);
	p2pkp_pacer_consume(&p, 12500000);
	assert_int_equal(p2pkp_pacer_avail(&p, now), 0);
	check_u64("delay for a burst", p2pkp_pacer_delay_ns(&p, 12500000), 1000000);
	now += NSEC_PER_SEC;
	assert_int_equal(p2pkp_pacer_avail(&p, now), 12500000);
}

int main(void)
{
	const struct CMUnitTest fixed[] = {
		cmocka_unit_test(test_bucket_one_byte_per_ns),
		cmocka_unit_test(test_bucket_min_burst),
		cmocka_unit_test(test_bucket_frequent_calls),
		cmocka_unit_test(test_init_clamps),
		cmocka_unit_test(test_ceiling_no_overflow),
	};
	enum { N_FIXED = sizeof(fixed) / sizeof(fixed[0]) };
	struct CMUnitTest tests[N_CASES + N_FIXED];
	size_t n = 0;

	/* One named test per table row, so a failure says which. */
	for (size_t i = 0; i < N_CASES; i++) {
		tests[n] = (struct CMUnitTest)cmocka_unit_test_prestate(controller_case,
									(void *)&cases[i]);
		tests[n++].name = cases[i].name;
	}
	for (size_t i = 0; i < N_FIXED; i++)
		tests[n++] = fixed[i];
	return _cmocka_run_group_tests("pacer", tests, n, NULL, NULL);
}
