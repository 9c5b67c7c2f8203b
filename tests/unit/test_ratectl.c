// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The rate controller against a simulated path: each receiver takes at most
 * its bottleneck of its share of the rate (each receiver gets its own copy)
 * and loses a fixed share of what it is sent; every 50 ms it
 * reports its running byte count on its own clock, as a REPORT does. Time is
 * simulated, never read. Each case says where the rate must settle (averaged
 * over the last probe cycles, which move it up and down on purpose).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "clock.h"
#include "ratectl.h"

#define MBIT	   (1000ull * 1000)
#define GBIT	   (1000ull * MBIT)
#define T0	   (1000 * NSEC_PER_SEC)
#define STEP_NS	   P2PKP_RATE_INTERVAL_NS
#define MAX_RX	   4
#define START_BPS  GBIT
#define AVG_ROUNDS 16	/* two probe cycles */
#define RING_MS	   10	/* a jittery receiver's ring, in ms of its average rate */
#define DGRAM	   1448 /* bytes per DATA, for counting dropped datagrams */

struct rx_model {
	__u64 btl_bps;	  /* most it takes */
	__u32 loss_ppm;	  /* share of what it is sent that never arrives */
	__u64 later_btl;  /* from change_at_s on, if non-zero */
	__u64 drops_each; /* RX_DROPS added per report while sent more than it takes */
	__u32 jitter_pct; /* takes btl - j %, btl + j % in turn; a ring of RING_MS absorbs it */
};

struct rate_case {
	const char *name;
	__u64 max_bps; /* --rate, 0: none */
	bool fixed;
	__u32 nrx;
	struct rx_model rx[MAX_RX];
	__u32 seconds;
	__u32 change_at_s;
	__u64 lo_bps, hi_bps; /* the average rate per receiver of the last AVG_ROUNDS */
	__u32 straggler;      /* 1 + index of the receiver that must be a straggler, 0: none */
	__u64 sender_bps;     /* the most the sender itself manages (its CPU), 0: no limit */
	__u32 sender_pct;     /* and it reaches only this share of its pacing rate, 0: 100 */
	__u32 idle_rounds;    /* first intervals it sends a tenth of its rate (awaiting answers) */
	__u32 max_ramp;	      /* the rate must reach lo_bps within this many intervals, 0: any */
};

static const struct rate_case cases[] = {
	{"lossless, 5 Gbit/s bottleneck",
	 0,
	 false,
	 1,
	 {{5 * GBIT, 0, 0, 0, 0}},
	 10,
	 0,
	 4 * GBIT,
	 6 * GBIT,
	 0,
	 0,
	 0,
	 0,
	 0},
	{"a sender that waits for answers at first still starts up to the bottleneck",
	 0,
	 false,
	 4,
	 {{5 * GBIT, 100000, 0, 0, 0},
	  {5 * GBIT, 100000, 0, 0, 0},
	  {5 * GBIT, 100000, 0, 0, 0},
	  {5 * GBIT, 100000, 0, 0, 0}},
	 10,
	 0,
	 3500 * MBIT,
	 6 * GBIT,
	 0,
	 0,
	 0,
	 6,
	 13},
	{"1 % random loss",
	 0,
	 false,
	 1,
	 {{5 * GBIT, 10000, 0, 0, 0}},
	 10,
	 0,
	 4 * GBIT,
	 6 * GBIT,
	 0,
	 0,
	 0,
	 0,
	 0},
	{"3 % random loss",
	 0,
	 false,
	 1,
	 {{5 * GBIT, 30000, 0, 0, 0}},
	 10,
	 0,
	 4 * GBIT,
	 6 * GBIT,
	 0,
	 0,
	 0,
	 0,
	 0},
	{"10 % random loss",
	 0,
	 false,
	 1,
	 {{5 * GBIT, 100000, 0, 0, 0}},
	 10,
	 0,
	 3500 * MBIT,
	 6 * GBIT,
	 0,
	 0,
	 0,
	 0,
	 0},
	{"20 % random loss: slower, never the floor",
	 0,
	 false,
	 1,
	 {{5 * GBIT, 200000, 0, 0, 0}},
	 10,
	 0,
	 2800 * MBIT,
	 6 * GBIT,
	 0,
	 0,
	 0,
	 0,
	 0},
	{"a receiver that takes 800 Mbit/s",
	 0,
	 false,
	 1,
	 {{800 * MBIT, 0, 0, 0, 0}},
	 10,
	 0,
	 640 * MBIT,
	 1040 * MBIT,
	 0,
	 0,
	 0,
	 0,
	 0},
	{"a receiver whose kernel drops: held to what it takes",
	 0,
	 false,
	 1,
	 {{800 * MBIT, 0, 0, 5, 0}},
	 10,
	 0,
	 640 * MBIT,
	 900 * MBIT,
	 0,
	 0,
	 0,
	 0,
	 0},
	{"a receiver that takes in bursts and drops when its ring overflows: held to its average",
	 0,
	 false,
	 1,
	 {{1 * GBIT, 0, 0, 0, 50}},
	 10,
	 0,
	 750 * MBIT,
	 1100 * MBIT,
	 0,
	 0,
	 0,
	 0,
	 0},
	{"--rate is a ceiling",
	 1 * GBIT,
	 false,
	 1,
	 {{5 * GBIT, 0, 0, 0, 0}},
	 10,
	 0,
	 700 * MBIT,
	 1 * GBIT,
	 0,
	 0,
	 0,
	 0,
	 0},
	{"--fixed-rate ignores everything",
	 0,
	 true,
	 1,
	 {{100 * MBIT, 500000, 0, 0, 0}},
	 5,
	 0,
	 START_BPS,
	 START_BPS,
	 0,
	 0,
	 0,
	 0,
	 0},
	{"the bottleneck falls from 5 to 1 Gbit/s",
	 0,
	 false,
	 1,
	 {{5 * GBIT, 0, 1 * GBIT, 0, 0}},
	 12,
	 6,
	 800 * MBIT,
	 1300 * MBIT,
	 0,
	 0,
	 0,
	 0,
	 0},
	{"the bottleneck rises from 1 to 4 Gbit/s, found in under a second",
	 0,
	 false,
	 1,
	 {{1 * GBIT, 0, 4 * GBIT, 0, 0}},
	 20,
	 5,
	 3 * GBIT,
	 5 * GBIT,
	 0,
	 0,
	 0,
	 0,
	 110},
	{"three receivers, 10 % independent loss",
	 0,
	 false,
	 3,
	 {{5 * GBIT, 100000, 0, 0, 0}, {5 * GBIT, 100000, 0, 0, 0}, {5 * GBIT, 100000, 0, 0, 0}},
	 10,
	 0,
	 3500 * MBIT,
	 6 * GBIT,
	 0,
	 0,
	 0,
	 0,
	 0},
	{"the slowest of three sets the rate",
	 0,
	 false,
	 3,
	 {{5 * GBIT, 0, 0, 0, 0}, {2 * GBIT, 0, 0, 0, 0}, {4 * GBIT, 0, 0, 0, 0}},
	 10,
	 0,
	 1600 * MBIT,
	 2600 * MBIT,
	 0,
	 0,
	 0,
	 0,
	 0},
	{"a CPU-bound sender that reaches 80 % of its rate does not spiral down",
	 0,
	 false,
	 4,
	 {{5 * GBIT, 0, 0, 0, 0},
	  {5 * GBIT, 0, 0, 0, 0},
	  {5 * GBIT, 0, 0, 0, 0},
	  {5 * GBIT, 0, 0, 0, 0}},
	 10,
	 0,
	 700 * MBIT,
	 1300 * MBIT,
	 0,
	 4 * GBIT,
	 80,
	 0,
	 0},
	{"a sender that reaches 70 % of its pacing rate still fills the receivers",
	 0,
	 false,
	 4,
	 {{1 * GBIT, 0, 0, 0, 0},
	  {1 * GBIT, 0, 0, 0, 0},
	  {1 * GBIT, 0, 0, 0, 0},
	  {1 * GBIT, 0, 0, 0, 0}},
	 10,
	 0,
	 800 * MBIT,
	 1300 * MBIT,
	 0,
	 0,
	 70,
	 0,
	 0},
	{"one straggler far behind slows nobody",
	 0,
	 false,
	 4,
	 {{5 * GBIT, 0, 0, 0, 0},
	  {5 * GBIT, 0, 0, 0, 0},
	  {5 * GBIT, 0, 0, 0, 0},
	  {200 * MBIT, 0, 0, 0, 0}},
	 12,
	 0,
	 4 * GBIT,
	 6 * GBIT,
	 4,
	 0,
	 0,
	 0,
	 0},
};

#define N_CASES (sizeof(cases) / sizeof(cases[0]))

/* What the sender really sends at a pacing rate: its CPU may not keep up. */
static __u64 sent_rate(const struct rate_case *c, __u32 round, __u64 rate)
{
	if (round < c->idle_rounds)
		return rate / 10;
	if (c->sender_pct)
		rate = rate / 100 * c->sender_pct;
	return c->sender_bps && rate > c->sender_bps ? c->sender_bps : rate;
}

/*
 * A receiver that takes btl - j % and btl + j % in turn (its CPU shared, its
 * writes in batches): what arrives waits in a ring of RING_MS at btl; what
 * overflows it is dropped and counted. Returns the bit/s it took.
 */
static __u64 jittery_take(const struct rx_model *m, __u64 btl, __u32 round, __u64 share,
			  __u64 *backlog, __u64 *drops)
{
	__u64 cap = btl / 100 * (round % 2 ? 100 + m->jitter_pct : 100 - m->jitter_pct);
	__u64 ring = btl / 1000 * RING_MS / 8; /* bytes */
	__u64 per_s = NSEC_PER_SEC / STEP_NS;  /* intervals per second */
	__u64 in = share / 1000000 * (1000000 - m->loss_ppm) / 8 / per_s;
	__u64 can = cap / 8 / per_s, took;

	*backlog += in;
	took = *backlog < can ? *backlog : can;
	*backlog -= took;
	if (*backlog > ring) {
		*drops += (*backlog - ring) / DGRAM;
		*backlog = ring;
	}
	return took * 8 * per_s;
}

static void run_case(void **state)
{
	const struct rate_case *c = *state;
	struct p2pkp_rate_peer peer[MAX_RX] = {0};
	struct p2pkp_rate_peer *peers[MAX_RX];
	bool active[MAX_RX];
	__u64 received[MAX_RX] = {0}, drops[MAX_RX] = {0}, backlog[MAX_RX] = {0};
	__u64 now = T0, sum = 0, prev_rate;
	__u32 rounds = c->seconds * (NSEC_PER_SEC / STEP_NS), r, i, ramp = 0;
	struct p2pkp_ratectl ctl;

	p2pkp_ratectl_init(&ctl, START_BPS, c->max_bps, c->fixed, DGRAM, now);
	prev_rate = ctl.pacing_bps;
	for (i = 0; i < c->nrx; i++) {
		peers[i] = &peer[i];
		active[i] = true;
	}
	for (r = 0; r < rounds; r++) {
		bool later = c->change_at_s && r >= c->change_at_s * (NSEC_PER_SEC / STEP_NS);

		/* What the sender got out in this interval, paced at pacing_bps. */
		__u64 sent = sent_rate(c, r, (prev_rate + ctl.pacing_bps) / 2);

		p2pkp_ratectl_sent(&ctl, sent / 8 * STEP_NS / NSEC_PER_SEC);
		for (i = 0; i < c->nrx; i++) {
			const struct rx_model *m = &c->rx[i];
			__u64 btl = later && m->later_btl ? m->later_btl : m->btl_bps;
			/*
			 * Reports do not line up with the controller's intervals:
			 * each covers half of the last one and half of this one.
			 */
			__u64 share = sent / c->nrx;
			__u64 took = share < btl ? share : btl;
			__u64 got = took / 1000000 * (1000000 - m->loss_ppm);

			if (m->jitter_pct)
				got = jittery_take(m, btl, r, share, &backlog[i], &drops[i]);
			received[i] += got / 8 * STEP_NS / NSEC_PER_SEC;
			/* Its kernel drops what it cannot take. */
			if (share > btl)
				drops[i] += m->drops_each;
			/* The receiver's clock is its own: an offset must not matter. */
			p2pkp_ratectl_sample(&ctl, &peer[i], received[i], now + (i + 1) * 777777,
					     drops[i]);
		}
		now += STEP_NS;
		prev_rate = ctl.pacing_bps;
		assert_true(p2pkp_ratectl_adjust(&ctl, peers, active, c->nrx, now));
		assert_true(ctl.rate_bps >= (c->fixed ? 1 : P2PKP_RATE_FLOOR_BPS));
		assert_true(ctl.rate_bps <= (c->max_bps ? c->max_bps : P2PKP_RATE_CEIL_BPS));
		if (r >= rounds - AVG_ROUNDS)
			sum += ctl.rate_bps / c->nrx / AVG_ROUNDS;
		if (!ramp && ctl.rate_bps / c->nrx >= c->lo_bps)
			ramp = r + 1;
	}
	print_message("  %s: %llu Mbit/s (want %llu..%llu), at the low mark after %u intervals\n",
		      c->name, (unsigned long long)(sum / MBIT),
		      (unsigned long long)(c->lo_bps / MBIT),
		      (unsigned long long)(c->hi_bps / MBIT), ramp);
	assert_in_range(sum, c->lo_bps, c->hi_bps);
	if (c->max_ramp && (!ramp || ramp > c->max_ramp))
		fail_msg("%s: %u intervals to reach %llu Mbit/s, at most %u allowed", c->name, ramp,
			 (unsigned long long)(c->lo_bps / MBIT), c->max_ramp);
	for (i = 0; i < c->nrx; i++)
		assert_int_equal(peer[i].straggler, c->straggler == i + 1);
}

/* Duplicated and reordered reports, and reports too close together, give no sample. */
static void test_stale_reports_ignored(void **state)
{
	struct p2pkp_rate_peer p = {0};
	struct p2pkp_ratectl ctl;

	p2pkp_ratectl_init(&ctl, START_BPS, 0, false, DGRAM, T0);
	p2pkp_ratectl_sample(&ctl, &p, 1000, T0, 0);
	p2pkp_ratectl_sample(&ctl, &p, 2000, T0, 0);			/* same time */
	p2pkp_ratectl_sample(&ctl, &p, 500, T0 + STEP_NS, 0);		/* count went back */
	p2pkp_ratectl_sample(&ctl, &p, 1000000, T0 + NSEC_PER_MSEC, 0); /* 1 ms: too short */
	for (__u32 i = 0; i < P2PKP_RATE_WINDOW; i++)
		assert_true(p.max_bps[i] == 0);
	/* 1 MB in 100 ms is 80 Mbit/s. */
	p2pkp_ratectl_sample(&ctl, &p, 1000 + 1000000, T0 + 100 * NSEC_PER_MSEC, 0);
	assert_true(p.max_bps[0] == 80 * MBIT);
	/* A report without delivery items changes nothing. */
	p2pkp_ratectl_sample(&ctl, &p, 0, 0, 0);
	assert_true(p.received == 1001000);
}

/* No sample at all (a receiver that sends none): the rate stays where it started. */
static void test_no_samples_keep_rate(void **state)
{
	struct p2pkp_rate_peer p = {0}, *peers[1] = {&p};
	bool active[1] = {true};
	struct p2pkp_ratectl ctl;
	__u64 now = T0;

	p2pkp_ratectl_init(&ctl, 300 * MBIT, 0, false, DGRAM, now);
	for (int i = 0; i < 40; i++) {
		now += STEP_NS;
		p2pkp_ratectl_adjust(&ctl, peers, active, 1, now);
	}
	assert_true(ctl.rate_bps == 300 * MBIT);
	/* And the interval is respected: no adjustment before it ends. */
	assert_false(p2pkp_ratectl_adjust(&ctl, peers, active, 1, now + STEP_NS - 1));
}

int main(void)
{
	struct CMUnitTest tests[N_CASES + 2];
	size_t n = 0;

	for (size_t i = 0; i < N_CASES; i++) {
		tests[n] =
			(struct CMUnitTest)cmocka_unit_test_prestate(run_case, (void *)&cases[i]);
		tests[n++].name = cases[i].name;
	}
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_stale_reports_ignored);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_no_samples_keep_rate);
	return _cmocka_run_group_tests("test_ratectl", tests, n, NULL, NULL);
}
