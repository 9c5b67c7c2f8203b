// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include "clock.h"
#include "ratectl.h"

#define MIN_SAMPLE_NS  (10 * NSEC_PER_MSEC) /* shorter report gaps measure noise */
#define STARTUP_ROUNDS 3		    /* intervals without 25 % growth end startup */
#define PROBE_CYCLE    8		    /* intervals per probe cycle */

static void set_pacing(struct p2pkp_ratectl *c);

void p2pkp_ratectl_init(struct p2pkp_ratectl *c, __u64 start_bps, __u64 max_bps, bool fixed,
			__u32 msg_bytes, __u64 now_ns)
{
	*c = (struct p2pkp_ratectl){
		.mode = fixed ? P2PKP_RATE_FIXED : P2PKP_RATE_STARTUP,
		.max_bps = max_bps ? max_bps : P2PKP_RATE_CEIL_BPS,
		.msg_bytes = msg_bytes,
		.interval_start_ns = now_ns,
	};
	c->rate_bps = start_bps < c->max_bps ? start_bps : c->max_bps;
	if (!fixed && c->rate_bps < P2PKP_RATE_FLOOR_BPS)
		c->rate_bps = P2PKP_RATE_FLOOR_BPS;
	c->reach_pct = 100;
	set_pacing(c);
}

/*
 * More than 1/P2PKP_RATE_OVERRUN_SHARE of what reached the receiver was
 * dropped by its own kernel: not random loss but more than it can take.
 */
static bool overrun(const struct p2pkp_ratectl *c, const struct p2pkp_rate_peer *p, __u64 drops,
		    __u64 received_bytes)
{
	return p->bw_bps && drops * c->msg_bytes * P2PKP_RATE_OVERRUN_SHARE > received_bytes;
}

/*
 * An overrun receiver's past maxima were bursts it could not sustain (a
 * receiver draining its ring after a stall takes more than it can keep up
 * with): its bandwidth starts again from bps, at most halved, as if measured now.
 */
static void forget_window(struct p2pkp_rate_peer *p, __u32 slot, __u64 bps)
{
	for (__u32 i = 0; i < P2PKP_RATE_WINDOW; i++)
		p->max_bps[i] = 0;
	p->max_bps[slot] = bps;
}

void p2pkp_ratectl_sample(struct p2pkp_ratectl *c, struct p2pkp_rate_peer *p, __u64 received,
			  __u64 rx_time_ns, __u64 rx_drops)
{
	__u32 slot = (__u32)(c->round % P2PKP_RATE_WINDOW);
	__u64 dt, bps;

	if (!rx_time_ns)
		return; /* the receiver sent no delivery items */
	if (p->have_base) {
		/* Duplicated or reordered reports say nothing new. */
		if (rx_time_ns <= p->rx_time_ns || received < p->received)
			return;
		dt = rx_time_ns - p->rx_time_ns;
		if (dt < MIN_SAMPLE_NS)
			return; /* keep the older base: a longer span measures better */
		bps = (__u64)((unsigned __int128)(received - p->received) * 8 * NSEC_PER_SEC / dt);
		/*
		 * Its kernel dropped datagrams: it was sent more than it could
		 * take, so this sample is no new maximum (a probe that overran it
		 * must not raise its estimate).
		 */
		if (rx_drops > p->rx_drops && p->bw_bps && bps > p->bw_bps)
			bps = p->bw_bps;
		if (p->max_round[slot] != c->round) {
			p->max_round[slot] = c->round;
			p->max_bps[slot] = 0;
		}
		if (overrun(c, p, rx_drops - p->rx_drops, received - p->received))
			forget_window(p, slot, bps > p->bw_bps / 2 ? bps : p->bw_bps / 2);
		else if (c->app_limited && bps < p->bw_bps)
			bps = p->bw_bps; /* it took all it was sent: no news of the path */
		if (bps > p->max_bps[slot])
			p->max_bps[slot] = bps;
	}
	p->received = received;
	p->rx_time_ns = rx_time_ns;
	p->rx_drops = rx_drops;
	p->have_base = true;
}

static __u64 window_max(const struct p2pkp_ratectl *c, const struct p2pkp_rate_peer *p)
{
	__u64 bw = 0;

	for (__u32 i = 0; i < P2PKP_RATE_WINDOW; i++)
		if (c->round - p->max_round[i] < P2PKP_RATE_WINDOW && p->max_bps[i] > bw)
			bw = p->max_bps[i];
	return bw;
}

/*
 * A receiver that takes less than 1/P2PKP_RATE_SLOW_FRACTION of what the best
 * one takes sets nobody's rate: at the pace of the slowest, the others' real
 * bandwidth could never be seen again. It still gets data and repairs at the
 * common rate; after P2PKP_RATE_SLOW_NS it is reported as a straggler.
 */
static bool far_behind(struct p2pkp_rate_peer *p, __u64 best, __u64 now_ns)
{
	if (p->bw_bps * P2PKP_RATE_SLOW_FRACTION >= best) {
		p->slow_since_ns = 0;
		p->straggler = false;
		return false;
	}
	if (!p->slow_since_ns)
		p->slow_since_ns = now_ns;
	p->straggler = now_ns - p->slow_since_ns >= P2PKP_RATE_SLOW_NS;
	return true;
}

/* The smallest bandwidth among the active receivers not far behind; 0: none known. */
static __u64 bottleneck(struct p2pkp_ratectl *c, struct p2pkp_rate_peer *const *peers,
			const bool *active, __u32 n, __u64 now_ns)
{
	__u64 best = 0, btl = 0;
	__u32 i;

	c->takers = 0;
	for (i = 0; i < n; i++) {
		peers[i]->bw_bps = window_max(c, peers[i]);
		c->takers += active[i];
		if (active[i] && peers[i]->bw_bps > best)
			best = peers[i]->bw_bps;
	}
	c->best_bps = best;
	for (i = 0; i < n; i++) {
		struct p2pkp_rate_peer *p = peers[i];

		if (active[i] && p->bw_bps && !far_behind(p, best, now_ns) &&
		    (!btl || p->bw_bps < btl))
			btl = p->bw_bps;
	}
	return btl;
}

/* bps is what each receiver should take; every one taking data gets its own copy. */
static void set_rate(struct p2pkp_ratectl *c, __u64 bps)
{
	bps *= c->takers ? c->takers : 1;
	if (bps < P2PKP_RATE_FLOOR_BPS)
		bps = P2PKP_RATE_FLOOR_BPS;
	c->rate_bps = bps < c->max_bps ? bps : c->max_bps;
}

/*
 * Startup: twice what the best receiver takes, while that keeps growing by a
 * quarter; then the bottleneck. Following the best, not the slowest, lets a
 * receiver far behind the others fall out of the bottleneck instead of
 * capping it for good.
 */
static void startup(struct p2pkp_ratectl *c, __u64 btl)
{
	if (c->best_bps >= c->full_bps + c->full_bps / 4) {
		c->full_bps = c->best_bps;
		c->full_rounds = 0;
	} else if (c->app_limited) {
		/* It sent little (waiting for answers): no growth proves nothing. */
	} else if (++c->full_rounds >= STARTUP_ROUNDS) {
		c->mode = P2PKP_RATE_PROBE;
		c->cycle = 0;
		set_rate(c, btl);
		return;
	}
	if (2 * c->best_bps * c->takers > c->rate_bps)
		set_rate(c, 2 * c->best_bps);
}

/*
 * Two intervals a quarter above the bottleneck (the delivery rate only grows
 * if the path has room; under random loss p it still grows while
 * 1.25 (1 - p) > 1), two a quarter below (drain what the probe queued), four
 * at it. Two, because a REPORT's sample straddles two intervals: one probing
 * interval next to a draining one would measure neither.
 */
static void probe(struct p2pkp_ratectl *c, __u64 btl)
{
	__u64 rate = btl;

	/*
	 * The probe took all of its quarter: the path had room it was not
	 * using (startup left early, or the bottleneck went away). Doubling
	 * finds it in a few intervals; a quarter per cycle would take seconds.
	 */
	if (c->cycle == 2 && btl >= c->cycle_btl + c->cycle_btl / 5) {
		c->mode = P2PKP_RATE_STARTUP;
		c->full_bps = c->best_bps;
		c->full_rounds = 0;
		startup(c, btl);
		return;
	}
	if (c->cycle == 0)
		c->cycle_btl = btl;
	if (c->cycle < 2)
		rate = btl / 4 * 5;
	else if (c->cycle < 4)
		rate = btl / 4 * 3;
	c->cycle = (c->cycle + 1) % PROBE_CYCLE;
	set_rate(c, rate);
}

void p2pkp_ratectl_sent(struct p2pkp_ratectl *c, __u64 bytes)
{
	c->sent_bytes += bytes;
}

/*
 * A sender sharing its CPU wakes late and sends less than its pacing rate
 * allows; following delivery, the rate would then shrink with every interval
 * (what was delivered is what was sent). Its pacing rate is therefore the
 * rate divided by the share it reached lately (at least half), so that what
 * it actually sends is the rate. Intervals it was busy waiting for answers
 * (less than a quarter of the rate went out) say nothing about that share,
 * and the samples they and the next interval give (a REPORT straddles two)
 * are app-limited: they cannot show a path full.
 */
static void update_pacing(struct p2pkp_ratectl *c, __u64 elapsed_ns)
{
	__u64 sent_bps = (__u64)((unsigned __int128)c->sent_bytes * 8 * NSEC_PER_SEC / elapsed_ns);
	bool waited = c->pacing_bps && sent_bps * 4 < c->pacing_bps;
	__u64 pct;

	c->sent_bytes = 0;
	c->app_limited = waited || c->waited;
	c->waited = waited;
	if (c->mode != P2PKP_RATE_FIXED && c->pacing_bps && !waited) {
		pct = sent_bps * 100 / c->pacing_bps;
		pct = pct > 100 ? 100 : pct < 50 ? 50 : pct;
		c->reach_pct = (3 * c->reach_pct + (__u32)pct) / 4;
	}
}

static void set_pacing(struct p2pkp_ratectl *c)
{
	__u64 bps = c->rate_bps;

	if (c->mode != P2PKP_RATE_FIXED)
		bps = bps / c->reach_pct * 100;
	c->pacing_bps = bps < c->max_bps ? bps : c->max_bps;
}

bool p2pkp_ratectl_adjust(struct p2pkp_ratectl *c, struct p2pkp_rate_peer *const *peers,
			  const bool *active, __u32 n, __u64 now_ns)
{
	__u64 btl;

	if (now_ns - c->interval_start_ns < P2PKP_RATE_INTERVAL_NS)
		return false;
	update_pacing(c, now_ns - c->interval_start_ns);
	c->interval_start_ns = now_ns;
	btl = c->mode == P2PKP_RATE_FIXED ? 0 : bottleneck(c, peers, active, n, now_ns);
	c->round++;
	if (btl) { /* else fixed, or nothing measured yet: keep the rate */
		c->btl_bps = btl;
		if (c->mode == P2PKP_RATE_STARTUP)
			startup(c, btl);
		else
			probe(c, btl);
	}
	set_pacing(c);
	return true;
}
