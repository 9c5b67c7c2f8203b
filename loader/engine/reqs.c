// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <string.h>

#include "clock.h"
#include "reqs.h"

#define RTO_MIN_NS (20 * NSEC_PER_MSEC)

void p2pkp_rtt_init(struct p2pkp_rtt *rtt)
{
	*rtt = (struct p2pkp_rtt){.rto_ns = P2PKP_RTO_INIT_MS * NSEC_PER_MSEC};
}

/* RFC 6298: alpha 1/8, beta 1/4, RTO = SRTT + 4 RTTVAR, floored. */
void p2pkp_rtt_sample(struct p2pkp_rtt *rtt, __u64 r)
{
	if (!rtt->have_sample) {
		rtt->srtt_ns = r;
		rtt->rttvar_ns = r / 2;
		rtt->have_sample = true;
	} else {
		__u64 err = rtt->srtt_ns > r ? rtt->srtt_ns - r : r - rtt->srtt_ns;

		rtt->rttvar_ns = (3 * rtt->rttvar_ns + err) / 4;
		rtt->srtt_ns = (7 * rtt->srtt_ns + r) / 8;
	}
	rtt->rto_ns = rtt->srtt_ns + 4 * rtt->rttvar_ns;
	if (rtt->rto_ns < RTO_MIN_NS)
		rtt->rto_ns = RTO_MIN_NS;
	if (rtt->rto_ns > P2PKP_RTO_MAX_MS * NSEC_PER_MSEC)
		rtt->rto_ns = P2PKP_RTO_MAX_MS * NSEC_PER_MSEC;
}

void p2pkp_reqs_init(struct p2pkp_reqs *q)
{
	memset(q, 0, sizeof(*q));
}

struct p2pkp_req *p2pkp_reqs_new(struct p2pkp_reqs *q, __u16 command)
{
	struct p2pkp_req *req;
	__u32 i;

	for (i = 0; i < P2PKP_REQ_MAX; i++) {
		req = &q->r[i];
		if (req->used)
			continue;
		q->last_msgid = q->last_msgid == 0xffffffffu ? 1 : q->last_msgid + 1;
		req->used = true;
		req->tries = 0;
		req->command = command;
		req->msgid = q->last_msgid;
		req->file = P2PKP_FILE_NONE;
		req->len = 0;
		q->n++;
		return req;
	}
	return NULL;
}

struct p2pkp_req *p2pkp_reqs_find(struct p2pkp_reqs *q, __u32 msgid, __u16 command)
{
	__u32 i;

	for (i = 0; i < P2PKP_REQ_MAX; i++)
		if (q->r[i].used && q->r[i].msgid == msgid && q->r[i].command == command)
			return &q->r[i];
	return NULL;
}

bool p2pkp_reqs_pending(const struct p2pkp_reqs *q, __u16 command, __u32 file)
{
	__u32 i;

	for (i = 0; i < P2PKP_REQ_MAX; i++)
		if (q->r[i].used && q->r[i].command == command &&
		    (file == P2PKP_FILE_NONE || q->r[i].file == file))
			return true;
	return false;
}

void p2pkp_reqs_done(struct p2pkp_reqs *q, struct p2pkp_req *req)
{
	req->used = false;
	q->n--;
}

void p2pkp_req_sent(struct p2pkp_req *req, const struct p2pkp_rtt *rtt, __u64 now_ns)
{
	__u64 backoff = rtt->rto_ns;
	__u8 i;

	if (!req->tries)
		req->first_ns = now_ns;
	for (i = 0; i < req->tries && backoff < P2PKP_RTO_MAX_MS * NSEC_PER_MSEC; i++)
		backoff *= 2;
	if (backoff > P2PKP_RTO_MAX_MS * NSEC_PER_MSEC)
		backoff = P2PKP_RTO_MAX_MS * NSEC_PER_MSEC;
	req->tries++;
	req->due_ns = now_ns + backoff;
}

void p2pkp_req_answered(struct p2pkp_reqs *q, struct p2pkp_req *req, struct p2pkp_rtt *rtt,
			__u64 now_ns)
{
	if (req->tries == 1)
		p2pkp_rtt_sample(rtt, now_ns - req->first_ns);
	p2pkp_reqs_done(q, req);
}
