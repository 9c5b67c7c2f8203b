/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Sender pacing: a token bucket in bytes, and a controller that moves the
 * rate with the loss the receivers report: it doubles every interval until
 * the first loss (slow start), then steps up by a quarter or down by 30 %.
 * Steps up stop at twice what was actually sent, and steps down start from
 * it, so a sender that cannot reach its rate (CPU-bound) stays near it.
 * After a step down the next intervals only watch: the REPORTs then still
 * count losses from before it, and one burst must not cut the rate twice. Receivers on a busy host drop
 * everything once their fill ring runs dry, so bursts must stay short.
 */
#ifndef P2PKP_PACER_H
#define P2PKP_PACER_H

#include <stdbool.h>
#include <linux/types.h>

struct p2pkp_pacer {
	__u64 rate_bps;	   /* current rate, bits per second */
	__u64 min_bps;	   /* floor of the controller */
	__u64 max_bps;	   /* ceiling: the operator's --rate, or the link */
	__u64 burst_bytes; /* bucket depth */
	__u64 min_burst;   /* never less: one whole batch of the sender */
	__s64 tokens;	   /* bytes that may go now */
	__u64 last_ns;	   /* last refill */
	/* controller interval */
	__u64 interval_start_ns;
	__u64 sent_blocks; /* blocks sent in this interval */
	__u64 sent_bytes;  /* bytes let through in this interval */
	__u64 lost_blocks; /* blocks reported missing in this interval */
	bool slow_start;   /* no loss seen yet: double the rate each interval */
	__u32 hold;	   /* intervals left that only watch: reports still describe the past */
};

/* min_burst: bytes of the sender's batch, so a whole batch can always go at once. */
void p2pkp_pacer_init(struct p2pkp_pacer *p, __u64 start_bps, __u64 max_bps, __u64 min_burst,
		      __u64 now_ns);
/* Bytes that may be sent now (refills first). */
__s64 p2pkp_pacer_avail(struct p2pkp_pacer *p, __u64 now_ns);
void p2pkp_pacer_consume(struct p2pkp_pacer *p, __u32 bytes);
/* Nanoseconds until bytes may be sent. */
__u64 p2pkp_pacer_delay_ns(const struct p2pkp_pacer *p, __u32 bytes);
/* Feed the controller; it adjusts the rate once per interval. */
void p2pkp_pacer_note_sent(struct p2pkp_pacer *p, __u64 blocks);
void p2pkp_pacer_note_lost(struct p2pkp_pacer *p, __u64 blocks);
void p2pkp_pacer_adjust(struct p2pkp_pacer *p, __u64 now_ns);

#endif /* P2PKP_PACER_H */
