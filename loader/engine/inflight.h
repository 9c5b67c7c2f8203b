/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Retransmissions still on their way to one receiver: a ring of the last
 * P2PKP_INFLIGHT_MAX runs of blocks resent to it, with when. A status report
 * the receiver made before a resent block arrived still lists that block as a
 * hole; resending it again would send every repair twice. So a hole is taken
 * as news only for the blocks not resent since a given time, one RTO back
 * (docs/protocol.md 9: no resend sooner than one SRTT after the last).
 */
#ifndef P2PKP_INFLIGHT_H
#define P2PKP_INFLIGHT_H

#include <linux/types.h>

#define P2PKP_INFLIGHT_MAX 1024 /* runs: 20 ms of repairs at 10 % loss, 5 Gbit/s */

struct p2pkp_inflight_run {
	__u64 start; /* blocks [start, end) */
	__u64 end;
	__u64 sent_ns;
	__u32 file;
	__u32 pad;
};

struct p2pkp_inflight {
	struct p2pkp_inflight_run r[P2PKP_INFLIGHT_MAX];
	__u32 next; /* where the next run goes */
	__u32 n;    /* runs held, at most P2PKP_INFLIGHT_MAX: the oldest are forgotten */
};

/* Blocks [start, end) of file were resent at now_ns (not before any run noted earlier). */
void p2pkp_inflight_note(struct p2pkp_inflight *q, __u32 file, __u64 start, __u64 end,
			 __u64 now_ns);

typedef void (*p2pkp_inflight_fn)(void *ctx, __u64 start, __u64 end);

/*
 * Calls fn, lowest first, for each maximal piece of blocks [start, end) of
 * file that no run noted at or after since_ns covers. Returns the blocks left
 * out.
 */
__u64 p2pkp_inflight_settled(const struct p2pkp_inflight *q, __u32 file, __u64 start, __u64 end,
			     __u64 since_ns, p2pkp_inflight_fn fn, void *ctx);

#endif /* P2PKP_INFLIGHT_H */
