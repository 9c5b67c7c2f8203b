/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Sender pacing: a token bucket in bytes that holds 1 ms at the current rate
 * (at least one whole batch of the sender), so bursts stay short: receivers
 * on a busy host drop everything once their fill ring runs dry. The rate
 * itself comes from ratectl.h.
 */
#ifndef P2PKP_PACER_H
#define P2PKP_PACER_H

#include <linux/types.h>

struct p2pkp_pacer {
	__u64 rate_bps;	   /* current rate, bits per second */
	__u64 burst_bytes; /* bucket depth */
	__u64 min_burst;   /* never less: one whole batch of the sender */
	__s64 tokens;	   /* bytes that may go now */
	__u64 last_ns;	   /* last refill */
};

/* min_burst: bytes of the sender's batch, so a whole batch can always go at once. */
void p2pkp_pacer_init(struct p2pkp_pacer *p, __u64 rate_bps, __u64 min_burst, __u64 now_ns);
/* A new rate (at least 1000 bit/s); the tokens already in the bucket stay. */
void p2pkp_pacer_set_rate(struct p2pkp_pacer *p, __u64 rate_bps);
/* Bytes that may be sent now (refills first). */
__s64 p2pkp_pacer_avail(struct p2pkp_pacer *p, __u64 now_ns);
void p2pkp_pacer_consume(struct p2pkp_pacer *p, __u32 bytes);
/* Nanoseconds until bytes may be sent. */
__u64 p2pkp_pacer_delay_ns(const struct p2pkp_pacer *p, __u32 bytes);

#endif /* P2PKP_PACER_H */
