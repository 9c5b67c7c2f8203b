/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * p2pkp-relay: a transparent two-port L2 relay (AF_PACKET) that duplicates,
 * reorders and drops a seeded fraction of P2PKP datagrams, the faults XDP
 * cannot make, and forwards every other frame unchanged.
 */
#ifndef P2PKP_RELAY_H
#define P2PKP_RELAY_H

#include <linux/types.h>
#include <stdbool.h>

#define RELAY_PPM 1000000U

enum relay_direction {
	RELAY_BOTH,
	RELAY_FORWARD, /* DEV_A to DEV_B only */
	RELAY_REVERSE, /* DEV_B to DEV_A only */
};

struct relay_params {
	const char *dev[2];
	__u16 port; /* host order */
	__u32 drop_ppm, dup_ppm, reorder_ppm;
	unsigned int reorder_depth;	 /* release a held frame after this many later ones */
	unsigned int reorder_timeout_ms; /* ... or after this long */
	__u64 seed;
	unsigned int duration_s; /* 0: until SIGINT/SIGTERM */
	enum relay_direction direction;
	bool finish_csum; /* complete checksums left to offload, as a NIC would */
};

struct relay_counters {
	__u64 rx[2];		   /* frames received on DEV_A, DEV_B */
	__u64 other;		   /* not P2PKP (or not subject to faults): forwarded as is */
	__u64 p2pkp;		   /* P2PKP datagrams subject to faults */
	__u64 forwarded;	   /* ... passed on unharmed and in order */
	__u64 dropped;		   /* ... not forwarded */
	__u64 duplicated;	   /* ... sent twice */
	__u64 reordered;	   /* ... held back and sent after later frames */
	__u64 released_by_timeout; /* held frames released by the timeout, not by count */
	__u64 hold_full;	   /* chosen to reorder, but the hold queue was full */
	__u64 tx;		   /* frames sent */
	__u64 tx_errors;	   /* sends that failed */
	__u64 kernel_drops;	   /* frames the sockets' receive queues overflowed with */
};

/*
 * Relay until the duration ends or p2pkp_stop_requested (cli.h) is set; 0 or
 * -errno after a message.
 */
int relay_run(const struct relay_params *p, struct relay_counters *c);

/* Is this Ethernet frame a P2PKP datagram (the rule of the XDP programs)? */
bool relay_is_p2pkp(const __u8 *frame, size_t len, __u16 port);

#endif /* P2PKP_RELAY_H */
