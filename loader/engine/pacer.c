// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include "clock.h"
#include "pacer.h"

#define ADJUST_INTERVAL_NS (50 * NSEC_PER_MSEC) /* one receiver REPORT period */
/* Without --rate the controller still needs a ceiling: 100 Gbit/s. */
#define CEILING_BPS    (100ull * 1000 * 1000 * 1000)
#define BURST_NS       (1000 * 1000ull) /* the bucket holds 1 ms: ~880 frames at 10 Gbit/s */
#define LOSS_HIGH_PPM  10000		/* > 1 % lost: back off */
#define LOSS_LOW_PPM   2000		/* < 0.2 % lost: speed up */
#define HOLD_INTERVALS 2		/* after a step down: two REPORT periods */

static void set_rate(struct p2pkp_pacer *p, __u64 bps)
{
	if (bps < p->min_bps)
		bps = p->min_bps;
	if (bps > (p->max_bps ? p->max_bps : CEILING_BPS))
		bps = p->max_bps ? p->max_bps : CEILING_BPS;
	p->rate_bps = bps;
	p->burst_bytes = bps / 8 * BURST_NS / NSEC_PER_SEC;
	if (p->burst_bytes < p->min_burst)
		p->burst_bytes = p->min_burst;
}

void p2pkp_pacer_init(struct p2pkp_pacer *p, __u64 start_bps, __u64 max_bps, __u64 min_burst,
		      __u64 now_ns)
{
	*p = (struct p2pkp_pacer){
		.min_bps = 10 * 1000 * 1000,
		.max_bps = max_bps,
		.min_burst = min_burst,
		.slow_start = true,
	};
	set_rate(p, start_bps);
	p->tokens = (__s64)p->burst_bytes;
	p->last_ns = now_ns;
	p->interval_start_ns = now_ns;
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
	p->sent_bytes += bytes;
}

__u64 p2pkp_pacer_delay_ns(const struct p2pkp_pacer *p, __u32 bytes)
{
	__s64 need = (__s64)bytes - p->tokens;

	if (need <= 0)
		return 0;
	return (__u64)need * 8 * NSEC_PER_SEC / p->rate_bps;
}

void p2pkp_pacer_note_sent(struct p2pkp_pacer *p, __u64 blocks)
{
	p->sent_blocks += blocks;
}

void p2pkp_pacer_note_lost(struct p2pkp_pacer *p, __u64 blocks)
{
	p->lost_blocks += blocks;
}

/*
 * Double in slow start, else a quarter more, but not past twice what was
 * actually sent: a CPU-bound sender must not run far ahead of itself, or one
 * loss would not bring it back. Idle time never lowers the rate here.
 */
static __u64 speed_up(const struct p2pkp_pacer *p, __u64 sent_bps)
{
	__u64 up = p->slow_start ? p->rate_bps * 2 : p->rate_bps / 4 * 5;
	__u64 cap = sent_bps * 2 > p->rate_bps ? sent_bps * 2 : p->rate_bps;

	return up < cap ? up : cap;
}

void p2pkp_pacer_adjust(struct p2pkp_pacer *p, __u64 now_ns)
{
	__u64 elapsed = now_ns - p->interval_start_ns, loss_ppm, sent_bps;

	if (elapsed < ADJUST_INTERVAL_NS || p->sent_blocks < 64)
		return;
	loss_ppm = p->lost_blocks * 1000000 / p->sent_blocks;
	sent_bps = (__u64)((unsigned __int128)p->sent_bytes * 8 * NSEC_PER_SEC / elapsed);
	if (loss_ppm >= LOSS_LOW_PPM)
		p->slow_start = false;
	if (p->hold) {
		p->hold--;
	} else if (loss_ppm > LOSS_HIGH_PPM) {
		set_rate(p, (sent_bps < p->rate_bps ? sent_bps : p->rate_bps) / 10 * 7);
		p->hold = HOLD_INTERVALS;
	} else if (loss_ppm < LOSS_LOW_PPM) {
		set_rate(p, speed_up(p, sent_bps));
	}
	p->interval_start_ns = now_ns;
	p->sent_blocks = 0;
	p->sent_bytes = 0;
	p->lost_blocks = 0;
}
