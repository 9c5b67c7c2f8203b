// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Retransmissions in flight (loader/engine/inflight.h): a hole in a status
 * report is news only for the blocks not resent since a given time. Each case
 * notes runs (file, blocks, when), asks for one hole, and lists the pieces it
 * expects back, lowest first. No clock is read.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "inflight.h"

#define MAX_RUNS   8
#define MAX_PIECES 8

struct run_spec {
	__u32 file;
	__u64 start, end, at;
};

struct inflight_case {
	const char *name;
	struct run_spec runs[MAX_RUNS]; /* in time order; end == 0 ends the list */
	__u32 file;
	__u64 start, end, since;
	struct run_spec want[MAX_PIECES]; /* pieces (file unused); end == 0 ends */
	__u64 skipped;
};

static const struct inflight_case cases[] = {
	{"nothing resent: the hole as it is", {{0}}, 0, 10, 20, 0, {{0, 10, 20, 0}}, 0},
	{"resent before since: the hole as it is",
	 {{0, 10, 20, 5}},
	 0,
	 10,
	 20,
	 6,
	 {{0, 10, 20, 0}},
	 0},
	{"resent at since: covered", {{0, 10, 20, 6}}, 0, 10, 20, 6, {{0}}, 10},
	{"another file's run covers nothing", {{1, 10, 20, 9}}, 0, 10, 20, 6, {{0, 10, 20, 0}}, 0},
	{"a run inside the hole splits it",
	 {{0, 12, 14, 9}},
	 0,
	 10,
	 20,
	 6,
	 {{0, 10, 12, 0}, {0, 14, 20, 0}},
	 2},
	{"runs over both edges leave the middle",
	 {{0, 5, 12, 7}, {0, 18, 30, 8}},
	 0,
	 10,
	 20,
	 6,
	 {{0, 12, 18, 0}},
	 4},
	{"runs noted out of block order, overlapping, touching",
	 {{0, 16, 18, 7}, {0, 11, 13, 7}, {0, 12, 15, 8}, {0, 15, 16, 9}},
	 0,
	 10,
	 20,
	 6,
	 {{0, 10, 11, 0}, {0, 18, 20, 0}},
	 7},
	{"an old run between new ones does not count",
	 {{0, 10, 20, 2}, {0, 13, 14, 7}},
	 0,
	 10,
	 20,
	 6,
	 {{0, 10, 13, 0}, {0, 14, 20, 0}},
	 1},
};

struct collect {
	struct run_spec got[MAX_PIECES];
	__u32 n;
};

static void collect(void *ctx, __u64 start, __u64 end)
{
	struct collect *c = ctx;

	assert_true(c->n < MAX_PIECES);
	c->got[c->n++] = (struct run_spec){0, start, end, 0};
}

static void test_inflight_table(void **state)
{
	struct p2pkp_inflight *q = malloc(sizeof(*q));
	const struct inflight_case *c;
	struct collect got;
	__u64 skipped;
	__u32 i, k;

	assert_non_null(q);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		c = &cases[i];
		memset(q, 0, sizeof(*q));
		memset(&got, 0, sizeof(got));
		for (k = 0; k < MAX_RUNS && c->runs[k].end; k++)
			p2pkp_inflight_note(q, c->runs[k].file, c->runs[k].start, c->runs[k].end,
					    c->runs[k].at);
		skipped = p2pkp_inflight_settled(q, c->file, c->start, c->end, c->since, collect,
						 &got);
		for (k = 0; k < MAX_PIECES && c->want[k].end; k++) {
			if (k >= got.n || got.got[k].start != c->want[k].start ||
			    got.got[k].end != c->want[k].end)
				fail_msg("%s: piece %u is not [%llu, %llu)", c->name, k,
					 (unsigned long long)c->want[k].start,
					 (unsigned long long)c->want[k].end);
		}
		if (got.n != k)
			fail_msg("%s: %u pieces, want %u", c->name, got.n, k);
		if (skipped != c->skipped)
			fail_msg("%s: %llu blocks left out, want %llu", c->name,
				 (unsigned long long)skipped, (unsigned long long)c->skipped);
	}
	free(q);
}

/* The ring forgets the oldest runs, never the newest. */
static void test_ring_keeps_the_newest(void **state)
{
	struct p2pkp_inflight *q = calloc(1, sizeof(*q));
	struct collect got = {0};
	__u64 b;

	assert_non_null(q);
	for (b = 0; b < P2PKP_INFLIGHT_MAX + 10; b++)
		p2pkp_inflight_note(q, 0, b, b + 1, 100 + b);
	assert_int_equal(q->n, P2PKP_INFLIGHT_MAX);
	/* Blocks 0..9 were pushed out: news again; all the others are in flight. */
	assert_int_equal(p2pkp_inflight_settled(q, 0, 0, P2PKP_INFLIGHT_MAX + 10, 0, collect, &got),
			 P2PKP_INFLIGHT_MAX);
	assert_int_equal(got.n, 1);
	assert_int_equal(got.got[0].start, 0);
	assert_int_equal(got.got[0].end, 10);
	free(q);
}

/* An empty run is not noted. */
static void test_empty_run_is_not_noted(void **state)
{
	struct p2pkp_inflight q;

	memset(&q, 0, sizeof(q));
	p2pkp_inflight_note(&q, 0, 5, 5, 1);
	assert_int_equal(q.n, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_inflight_table),
		cmocka_unit_test(test_ring_keeps_the_newest),
		cmocka_unit_test(test_empty_run_is_not_noted),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
