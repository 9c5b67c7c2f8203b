/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Outstanding requests toward one peer (docs/protocol.md 3.2 and 12): each
 * keeps its encoded bytes for retransmission with the same msgid, backing
 * off from the RTO up to P2PKP_RTO_MAX_MS. RTT samples come only from
 * requests answered on their first transmission (Karn), into an RFC 6298
 * estimator.
 */
#ifndef P2PKP_REQS_H
#define P2PKP_REQS_H

#include <stdbool.h>
#include <linux/types.h>

#include "wire.h"

#define P2PKP_REQ_MAX 32

struct p2pkp_rtt {
	__u64 srtt_ns;
	__u64 rttvar_ns;
	__u64 rto_ns;
	bool have_sample;
};

struct p2pkp_req {
	bool used;
	__u8 tries; /* transmissions so far */
	__u16 command;
	__u16 len;
	__u32 msgid;
	__u32 file;	/* FILES: first index; STATUS/VERIFY: the file */
	__u64 first_ns; /* first transmission */
	__u64 due_ns;	/* next retransmission */
	__u8 buf[P2PKP_CTRL_MAX] __attribute__((aligned(8)));
};

struct p2pkp_reqs {
	struct p2pkp_req r[P2PKP_REQ_MAX];
	__u32 last_msgid;
	__u32 n;
};

void p2pkp_rtt_init(struct p2pkp_rtt *rtt);
void p2pkp_rtt_sample(struct p2pkp_rtt *rtt, __u64 sample_ns);

void p2pkp_reqs_init(struct p2pkp_reqs *q);
/* A free slot with the next msgid (never 0), or NULL when all are in use. */
struct p2pkp_req *p2pkp_reqs_new(struct p2pkp_reqs *q, __u16 command);
struct p2pkp_req *p2pkp_reqs_find(struct p2pkp_reqs *q, __u32 msgid, __u16 command);
/* Any outstanding request of this command (and file, unless P2PKP_FILE_NONE). */
bool p2pkp_reqs_pending(const struct p2pkp_reqs *q, __u16 command, __u32 file);
void p2pkp_reqs_done(struct p2pkp_reqs *q, struct p2pkp_req *req);
/* Record a transmission at now and schedule the next one. */
void p2pkp_req_sent(struct p2pkp_req *req, const struct p2pkp_rtt *rtt, __u64 now_ns);
/* Settle req answered at now: an RTT sample when it went out only once. */
void p2pkp_req_answered(struct p2pkp_reqs *q, struct p2pkp_req *req, struct p2pkp_rtt *rtt,
			__u64 now_ns);

#endif /* P2PKP_REQS_H */
