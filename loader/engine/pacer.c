// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include "clock.h"
#include "pacer.h"

#define BURST_NS (1000 * 1000ull) /* the bucket holds 1 ms: ~880 frames at 10 Gbit/s */
#define MIN_BPS	 1000ull

void p2pkp_pacer_set_rate(struct p2pkp_pacer *p, __u64 rate_bps)
{
	p->rate_bps = rate_bps < MIN_BPS ? MIN_BPS : rate_bps;
	p->burst_bytes = p->rate_bps / 8 * BURST_NS / NSEC_PER_SEC;
	if (p->burst_bytes < p->min_burst)
		p->burst_bytes = p->min_burst;
}

void p2pkp_pacer_init(struct p2pkp_pacer *p, __u64 rate_bps, __u64 min_burst, __u64 now_ns)
{
	*p = (struct p2pkp_pacer){.min_burst = min_burst, .last_ns = now_ns};
	p2pkp_pacer_set_rate(p, rate_bps);
	p->tokens = (__s64)p->burst_bytes;
}

/*
 * Refill in 128 bits (dt * rate wraps 64 bits after 1.5 s at 100 Gbit/s), and
 * move last_ns only by the time the whole bytes added stand for, so frequent
 * calls at low rates do not round their refills away.
 */
__s64 p2pkp_pacer_avail(struct p2pkp_pacer *p, __u64 now_ns)
{
	__u64 byte_rate = p->rate_bps / 8;
	__u64 add = (__u64)((unsigned __int128)(now_ns - p->last_ns) * byte_rate / NSEC_PER_SEC);

	p->tokens += (__s64)add;
	if (p->tokens >= (__s64)p->burst_bytes) {
		p->tokens = (__s64)p->burst_bytes;
		p->last_ns = now_ns;
	} else {
		p->last_ns += (__u64)((unsigned __int128)add * NSEC_PER_SEC / byte_rate);
	}
	return p->tokens;
}

void p2pkp_pacer_consume(struct p2pkp_pacer *p, __u32 bytes)
{
	p->tokens -= bytes;
}

__u64 p2pkp_pacer_delay_ns(const struct p2pkp_pacer *p, __u32 bytes)
{
	__s64 need = (__s64)bytes - p->tokens;

	if (need <= 0)
		return 0;
	return (__u64)need * 8 * NSEC_PER_SEC / p->rate_bps;
}
