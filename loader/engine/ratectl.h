/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The sender's rate, from what the receivers actually receive (in the spirit
 * of BBR; docs/rate-control.md). Every REPORT carries the receiver's running
 * count of accepted bytes and its own clock, so each report gives a delivery
 * sample. A receiver's bandwidth is the largest sample of the last
 * P2PKP_RATE_WINDOW intervals; the bottleneck is the smallest of those among
 * the receivers still taking data, leaving out any far behind the best. Startup doubles past the bottleneck until
 * it stops growing; then the rate follows it, probing a quarter higher one
 * interval in eight and draining below it in the next. Loss alone does not
 * lower the rate: random loss of p % costs about p % of the delivery rate,
 * a queue or a slow receiver caps the delivery rate itself. Receivers are
 * sent their own copies, so the rate (all receivers together) is the
 * per-receiver rate times the receivers taking data.
 */
#ifndef P2PKP_RATECTL_H
#define P2PKP_RATECTL_H

#include <stdbool.h>
#include <linux/types.h>

#define P2PKP_RATE_INTERVAL_NS (50ull * 1000 * 1000) /* one REPORT period */
#define P2PKP_RATE_WINDOW      10		     /* intervals a sample counts for */
#define P2PKP_RATE_FLOOR_BPS   (10ull * 1000 * 1000)
#define P2PKP_RATE_CEIL_BPS    (100ull * 1000 * 1000 * 1000) /* without --rate */
/* A receiver taking less than 1/8 of the best one's rate slows nobody; after 3 s it is a straggler. */
#define P2PKP_RATE_SLOW_FRACTION 8
#define P2PKP_RATE_SLOW_NS	 (3ull * 1000 * 1000 * 1000)
/* A receiver whose own kernel drops more than 1/100 of what reaches it is overrun. */
#define P2PKP_RATE_OVERRUN_SHARE 100

/* What the controller keeps per receiver; zero-initialised is ready. */
struct p2pkp_rate_peer {
	__u64 received;	  /* last RECEIVED used */
	__u64 rx_time_ns; /* its RX_TIME (receiver clock) */
	__u64 rx_drops;	  /* its RX_DROPS */
	bool have_base;	  /* one report seen: the next gives a sample */
	bool straggler;	  /* far behind the best for P2PKP_RATE_SLOW_NS */
	__u64 slow_since_ns;
	__u64 max_bps[P2PKP_RATE_WINDOW]; /* largest sample per interval */
	__u64 max_round[P2PKP_RATE_WINDOW];
	__u64 bw_bps; /* the windowed maximum, as of the last interval */
};

enum p2pkp_rate_mode {
	P2PKP_RATE_STARTUP,
	P2PKP_RATE_PROBE,
	P2PKP_RATE_FIXED,
};

struct p2pkp_ratectl {
	enum p2pkp_rate_mode mode;
	__u64 rate_bps;	  /* what should go out, all receivers together */
	__u64 pacing_bps; /* what to pace at so that it does (rate / reach_pct) */
	__u32 reach_pct;  /* share of its pacing rate the sender reached lately */
	__u64 sent_bytes; /* DATA bytes let through in this interval */
	__u64 max_bps;	  /* ceiling: --rate, else P2PKP_RATE_CEIL_BPS */
	__u64 round;	  /* intervals since start */
	__u64 interval_start_ns;
	__u64 btl_bps;	   /* bottleneck as of the last interval, 0 before any sample */
	__u64 best_bps;	   /* the best receiver's bandwidth, same interval */
	__u64 full_bps;	   /* startup: the best receiver's rate last seen growing */
	__u32 full_rounds; /* startup: intervals without 25 % growth */
	__u32 cycle;	   /* probe: position in the gain cycle */
	__u64 cycle_btl;   /* probe: the bottleneck when the cycle began */
	bool waited;	   /* the last interval sent under a quarter of its pacing rate */
	bool app_limited;  /* that one or the one before: samples show the sender, not the path */
	__u32 takers;	   /* receivers being sent data: each gets its own copy */
	__u32 msg_bytes;   /* a full DATA datagram */
};

/*
 * fixed: send at start_bps exactly, no adaptation (--fixed-rate). max_bps 0:
 * no ceiling. msg_bytes: a full DATA datagram, to weigh RX_DROPS.
 */
void p2pkp_ratectl_init(struct p2pkp_ratectl *c, __u64 start_bps, __u64 max_bps, bool fixed,
			__u32 msg_bytes, __u64 now_ns);
/* Bytes of DATA let through the pacer. */
void p2pkp_ratectl_sent(struct p2pkp_ratectl *c, __u64 bytes);
/* One REPORT's delivery items (RECEIVED, RX_TIME, RX_DROPS) from receiver p. */
void p2pkp_ratectl_sample(struct p2pkp_ratectl *c, struct p2pkp_rate_peer *p, __u64 received,
			  __u64 rx_time_ns, __u64 rx_drops);
/*
 * Once per P2PKP_RATE_INTERVAL_NS: recompute every active receiver's
 * bandwidth, the bottleneck and the rate. active[i] says whether peer i is
 * still being sent data. Returns true when the interval ended (rate_bps may
 * have changed).
 */
bool p2pkp_ratectl_adjust(struct p2pkp_ratectl *c, struct p2pkp_rate_peer *const *peers,
			  const bool *active, __u32 n, __u64 now_ns);

#endif /* P2PKP_RATECTL_H */
