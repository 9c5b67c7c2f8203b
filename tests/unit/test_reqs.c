// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Outstanding requests and their timers, checked against docs/protocol.md
 * 3.2, 12 and 14.4 (not against reqs.c): the initial RTO, the RFC 6298
 * estimator (SRTT = R and RTTVAR = R / 2 on the first sample, then
 * RTTVAR = 3/4 RTTVAR + 1/4 |SRTT - R| from the old SRTT, SRTT = 7/8 SRTT +
 * 1/8 R, RTO = SRTT + 4 RTTVAR within [20 ms, 2 s]), samples only from
 * requests answered on their first transmission (Karn), the timeout doubling
 * on every resend of the same request up to 2 s, and msgids (from 1, +1 per
 * new request, never 0, kept by a resend, settled once).
 *
 * Each timer case is a table of steps: a request sent, resent when its timer
 * fires, or answered, at a time given in the table, with the RTO and the
 * request's next deadline expected after the step. No clock is read.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "clock.h"
#include "reqs.h"

#define US(x)	   (1000ull * (x))
#define MS(x)	   (NSEC_PER_MSEC * (x))
#define T0	   (5000 * NSEC_PER_SEC) /* any start: only differences matter */
#define MAX_STEPS  16
#define MAX_ACTIVE 4 /* requests a case names: 0 .. MAX_ACTIVE - 1 */

enum step_op {
	STEP_END,
	STEP_SEND,   /* a new request, first transmission */
	STEP_RESEND, /* its timer fired: transmit it again (at must be its deadline) */
	STEP_ANSWER, /* its response arrives */
};

struct step {
	enum step_op op;
	__u8 req;     /* which of the case's requests */
	__u64 at_us;  /* when, after T0 */
	__u64 rto_us; /* the RTO expected after the step */
	__u64 due_us; /* SEND/RESEND: the request's next deadline, after T0 */
};

struct timer_case {
	const char *name;
	struct step steps[MAX_STEPS];
};

#define SEND(r, at, rto, due)                                                                      \
	{                                                                                          \
		STEP_SEND, r, at, rto, due                                                         \
	}
#define RESEND(r, at, rto, due)                                                                    \
	{                                                                                          \
		STEP_RESEND, r, at, rto, due                                                       \
	}
#define ANSWER(r, at, rto)                                                                         \
	{                                                                                          \
		STEP_ANSWER, r, at, rto, 0                                                         \
	}

static const struct timer_case timer_cases[] = {
	{"before any sample the RTO is 200 ms", {SEND(0, 0, 200000, 200000)}},
	{"first sample R: SRTT = R, RTTVAR = R / 2, RTO = 3 R",
	 {SEND(0, 0, 200000, 200000), ANSWER(0, 100000, 300000)}},
	{"second sample: RTTVAR from the old SRTT, then SRTT",
	 /* RTTVAR = 3/4 50 + 1/4 |100 - 200| = 62.5; SRTT = 7/8 100 + 1/8 200 = 112.5 */
	 {SEND(0, 0, 200000, 200000), ANSWER(0, 100000, 300000), SEND(1, 1000000, 300000, 1300000),
	  ANSWER(1, 1200000, 362500)}},
	{"equal samples: RTTVAR decays until the 20 ms floor holds",
	 /* SRTT 10 ms; RTTVAR 5, 3.75, 2.8125, 2.109375 ms */
	 {SEND(0, 0, 200000, 200000), ANSWER(0, 10000, 30000), SEND(1, 20000, 30000, 50000),
	  ANSWER(1, 30000, 25000), SEND(2, 40000, 25000, 65000), ANSWER(2, 50000, 21250),
	  SEND(3, 60000, 21250, 81250), ANSWER(3, 70000, 20000)}},
	{"a 1 ms sample gives 3 ms, floored at 20 ms",
	 {SEND(0, 0, 200000, 200000), ANSWER(0, 1000, 20000)}},
	{"a 1 s sample gives 3 s, capped at 2 s",
	 {SEND(0, 0, 200000, 200000), ANSWER(0, 1000000, 2000000)}},
	{"every resend doubles the timeout, up to 2 s",
	 {SEND(0, 0, 200000, 200000), RESEND(0, 200000, 200000, 600000),
	  RESEND(0, 600000, 200000, 1400000), RESEND(0, 1400000, 200000, 3000000),
	  RESEND(0, 3000000, 200000, 5000000), RESEND(0, 5000000, 200000, 7000000),
	  RESEND(0, 7000000, 200000, 9000000)}},
	{"backoff starts from the measured RTO",
	 {SEND(0, 0, 200000, 200000), ANSWER(0, 100000, 300000), SEND(1, 1000000, 300000, 1300000),
	  RESEND(1, 1300000, 300000, 1900000), RESEND(1, 1900000, 300000, 3100000),
	  RESEND(1, 3100000, 300000, 5100000)}},
	{"Karn: an answer after a resend is no sample",
	 /* as a sample, 250 ms (from the first) or 50 ms (from the resend) would move the RTO */
	 {SEND(0, 0, 200000, 200000), RESEND(0, 200000, 200000, 600000),
	  ANSWER(0, 250000, 200000)}},
	{"Karn: an ambiguous answer leaves a measured estimator alone",
	 {SEND(0, 0, 200000, 200000), ANSWER(0, 100000, 300000), SEND(1, 1000000, 300000, 1300000),
	  RESEND(1, 1300000, 300000, 1900000), ANSWER(1, 1350000, 300000),
	  /* the next clean 100 ms sample meets SRTT 100, RTTVAR 50: RTTVAR 37.5 */
	  SEND(2, 2000000, 300000, 2300000), ANSWER(2, 2100000, 250000)}},
	{"backoff is per request: a new one starts from the plain RTO",
	 {SEND(0, 0, 200000, 200000), RESEND(0, 200000, 200000, 600000),
	  SEND(1, 300000, 200000, 500000), ANSWER(1, 450000, 450000)}},
};

static void check_u64(const char *what, __u64 got, __u64 want)
{
	if (got != want)
		fail_msg("%s: %llu, want %llu", what, (unsigned long long)got,
			 (unsigned long long)want);
}

static void run_timer_case(const struct timer_case *c)
{
	struct p2pkp_req *active[MAX_ACTIVE] = {NULL};
	__u32 msgid[MAX_ACTIVE] = {0};
	struct p2pkp_reqs q;
	struct p2pkp_rtt rtt;
	char what[160];
	int i;

	p2pkp_reqs_init(&q);
	p2pkp_rtt_init(&rtt);
	for (i = 0; i < MAX_STEPS && c->steps[i].op != STEP_END; i++) {
		const struct step *st = &c->steps[i];
		__u64 at = T0 + US(st->at_us);
		struct p2pkp_req *req;

		snprintf(what, sizeof(what), "%s, step %d", c->name, i + 1);
		switch (st->op) {
		case STEP_SEND:
			assert_null(active[st->req]);
			req = p2pkp_reqs_new(&q, P2PKP_CMD_STATUS);
			assert_non_null(req);
			active[st->req] = req;
			msgid[st->req] = req->msgid;
			p2pkp_req_sent(req, &rtt, at);
			break;
		case STEP_RESEND:
			req = active[st->req];
			assert_non_null(req);
			check_u64(what, at,
				  req->due_ns); /* the table resends when the timer fires */
			p2pkp_req_sent(req, &rtt, at);
			check_u64(what, req->msgid, msgid[st->req]); /* a resend keeps its msgid */
			break;
		case STEP_ANSWER:
			req = p2pkp_reqs_find(&q, msgid[st->req], P2PKP_CMD_STATUS);
			assert_ptr_equal(req, active[st->req]);
			p2pkp_req_answered(&q, req, &rtt, at);
			active[st->req] = NULL;
			/* A late duplicate of the answer finds nothing to settle. */
			assert_null(p2pkp_reqs_find(&q, msgid[st->req], P2PKP_CMD_STATUS));
			break;
		default:
			fail_msg("%s: bad step", what);
		}
		check_u64(what, rtt.rto_ns, US(st->rto_us));
		if (st->op != STEP_ANSWER)
			check_u64(what, active[st->req]->due_ns, T0 + US(st->due_us));
	}
}

static void test_timer_table(void **state)
{
	size_t i;

	for (i = 0; i < sizeof(timer_cases) / sizeof(timer_cases[0]); i++)
		run_timer_case(&timer_cases[i]);
}

/* --- msgids (docs/protocol.md 3.2, 14.4) ---------------------------------------- */

static void test_msgids_count_from_one(void **state)
{
	struct p2pkp_reqs q;
	__u32 i;

	p2pkp_reqs_init(&q);
	for (i = 1; i <= 5; i++) {
		struct p2pkp_req *req = p2pkp_reqs_new(&q, P2PKP_CMD_FILES);

		assert_non_null(req);
		assert_int_equal(req->msgid, i);
		assert_int_equal(q.n, i);
	}
}

/* 2^32 requests would take too long: start the counter just short of the wrap. */
static void test_msgids_wrap_past_zero(void **state)
{
	struct p2pkp_req *a, *b, *c;
	struct p2pkp_reqs q;

	p2pkp_reqs_init(&q);
	q.last_msgid = 0xfffffffeu;
	a = p2pkp_reqs_new(&q, P2PKP_CMD_VERIFY);
	b = p2pkp_reqs_new(&q, P2PKP_CMD_VERIFY);
	c = p2pkp_reqs_new(&q, P2PKP_CMD_VERIFY);
	assert_int_equal(a->msgid, 0xffffffffu);
	assert_int_equal(b->msgid, 1);
	assert_int_equal(c->msgid, 2);
}

/* A freed slot is reused with a fresh msgid: an old answer cannot settle the new request. */
static void test_settled_msgid_is_not_reused(void **state)
{
	struct p2pkp_rtt rtt;
	struct p2pkp_reqs q;
	struct p2pkp_req *a, *b;

	p2pkp_reqs_init(&q);
	p2pkp_rtt_init(&rtt);
	a = p2pkp_reqs_new(&q, P2PKP_CMD_STATUS);
	p2pkp_req_sent(a, &rtt, T0);
	p2pkp_req_answered(&q, a, &rtt, T0 + MS(5));
	assert_int_equal(q.n, 0);
	b = p2pkp_reqs_new(&q, P2PKP_CMD_STATUS);
	assert_int_equal(b->msgid, 2);
	assert_null(p2pkp_reqs_find(&q, 1, P2PKP_CMD_STATUS));
	assert_ptr_equal(p2pkp_reqs_find(&q, 2, P2PKP_CMD_STATUS), b);
}

/* A response matches on msgid and command: another command's answer with that msgid is not it. */
static void test_answer_matches_command(void **state)
{
	struct p2pkp_reqs q;
	struct p2pkp_req *a;

	p2pkp_reqs_init(&q);
	a = p2pkp_reqs_new(&q, P2PKP_CMD_VERIFY);
	assert_null(p2pkp_reqs_find(&q, a->msgid, P2PKP_CMD_STATUS));
	assert_null(p2pkp_reqs_find(&q, a->msgid + 1, P2PKP_CMD_VERIFY));
	assert_ptr_equal(p2pkp_reqs_find(&q, a->msgid, P2PKP_CMD_VERIFY), a);
}

static void test_slots_run_out_and_come_back(void **state)
{
	struct p2pkp_req *req[P2PKP_REQ_MAX];
	struct p2pkp_reqs q;
	__u32 i;

	p2pkp_reqs_init(&q);
	for (i = 0; i < P2PKP_REQ_MAX; i++) {
		req[i] = p2pkp_reqs_new(&q, P2PKP_CMD_FILES);
		assert_non_null(req[i]);
	}
	assert_null(p2pkp_reqs_new(&q, P2PKP_CMD_FILES));
	p2pkp_reqs_done(&q, req[7]);
	assert_int_equal(q.n, P2PKP_REQ_MAX - 1);
	req[7] = p2pkp_reqs_new(&q, P2PKP_CMD_FILES);
	assert_non_null(req[7]);
	assert_int_equal(req[7]->msgid, P2PKP_REQ_MAX + 1);
	assert_int_equal(req[7]->tries, 0); /* a fresh request: its backoff starts over */
}

static void test_pending_by_command_and_file(void **state)
{
	struct p2pkp_reqs q;
	struct p2pkp_req *a;

	p2pkp_reqs_init(&q);
	a = p2pkp_reqs_new(&q, P2PKP_CMD_VERIFY);
	a->file = 3;
	assert_true(p2pkp_reqs_pending(&q, P2PKP_CMD_VERIFY, 3));
	assert_true(p2pkp_reqs_pending(&q, P2PKP_CMD_VERIFY, P2PKP_FILE_NONE));
	assert_false(p2pkp_reqs_pending(&q, P2PKP_CMD_VERIFY, 4));
	assert_false(p2pkp_reqs_pending(&q, P2PKP_CMD_STATUS, 3));
	p2pkp_reqs_done(&q, a);
	assert_false(p2pkp_reqs_pending(&q, P2PKP_CMD_VERIFY, P2PKP_FILE_NONE));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_timer_table),
		cmocka_unit_test(test_msgids_count_from_one),
		cmocka_unit_test(test_msgids_wrap_past_zero),
		cmocka_unit_test(test_settled_msgid_is_not_reused),
		cmocka_unit_test(test_answer_matches_command),
		cmocka_unit_test(test_slots_run_out_and_come_back),
		cmocka_unit_test(test_pending_by_command_and_file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
