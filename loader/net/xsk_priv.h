/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Inside the AF_XDP backend: its state, shared by the data path
 * (xsk_transport.c: RX and TX rings, frames, the path cache) and the set-up
 * (xsk_setup.c: queues, UMEMs, sockets, steering, open and close).
 */
#ifndef P2PKP_XSK_PRIV_H
#define P2PKP_XSK_PRIV_H

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <linux/if_xdp.h>
#include <linux/types.h>
#include <xdp/xsk.h>

#include "netpath.h"
#include "p2pkp_shared.h"
#include "transport_priv.h"
#include "udp_sock.h"

#define XSK_FRAME_SIZE 4096 /* one page: what copy mode and most drivers want */
#define XSK_MIN_FRAMES 64
/* TX messages start here in their frame: 8-aligned, room for 62 bytes of headers. */
#define XSK_TX_PAYLOAD_OFF 64
#define XSK_PATH_CACHE	   64

struct xsk_queue {
	__u32 qid;
	int fd;
	void *area;
	size_t area_len;
	struct xsk_umem *umem;
	struct xsk_socket *xsk;
	struct xsk_ring_prod fill;
	struct xsk_ring_cons comp;
	struct xsk_ring_cons rx;
	struct xsk_ring_prod tx;
	__u32 nstash; /* frames waiting to go back to the fill ring */
	__u64 *stash;
	struct p2pkp_rx_stats *counts; /* its rx_stats entry, or its part of own_counts */
	struct xdp_statistics kseen;   /* the kernel's counters as last added to counts */
};

struct path_entry {
	int family;
	union p2pkp_inaddr ip;
	int err; /* 0: path is good */
	long long retry_at_ms;
	struct p2pkp_peer_path path;
};

struct xsk_transport {
	struct p2pkp_transport base;
	struct p2pkp_udp udp; /* slow path: what the steering program passed to the stack */
	struct xsk_queue *q;
	__u32 nq;
	__u32 rx_frames, tx_frames; /* per queue; TX frames only on q[0] */
	__u32 rx_headroom;
	__u16 port; /* bound UDP port: steered port, and source port of what we send */
	bool steer_attached;
	bool veth; /* checksums of local senders may be left to an offload that never runs */
	__u64 sock_checked_ns; /* when the UDP socket was last asked */
	__u64 kstats_ns;       /* when the kernel's counters were last added to counts */
	/* The steering program's rx_stats, mapped (NULL without); own_counts stand in. */
	struct p2pkp_rx_stats *rx_map, *own_counts;
	__u32 next_q;
	struct pollfd *pfds;

	/* TX, on q[0]. */
	__u64 *tx_free; /* frame base addresses */
	__u32 tx_nfree;
	__u32 tx_queued; /* descriptors reserved, not yet submitted */
	__u64 tx_queued_bytes;
	__u32 tx_cap;
	__u16 ip_id;
	struct path_entry paths[XSK_PATH_CACHE];
	__u32 npaths, path_evict;
};

static inline struct xsk_transport *to_xsk(struct p2pkp_transport *t)
{
	return (struct xsk_transport *)t;
}

static inline __u64 frame_base(__u64 addr)
{
	return addr & ~(__u64)(XSK_FRAME_SIZE - 1);
}

/* xsk_transport.c */
extern const struct p2pkp_transport_ops p2pkp_xsk_ops;
/* Gives q's stashed frames back to its fill ring. */
void p2pkp_xsk_refill(struct xsk_transport *x, struct xsk_queue *q);
/* Sends what is queued and waits, boundedly, for every TX frame to come back. */
void p2pkp_xsk_drain_tx(struct xsk_transport *x);
/* Say, at debug level, what the kernel dropped on each queue. */
void p2pkp_xsk_log_drops(const struct xsk_transport *x);
/* Adds what the kernel dropped since the last call to each queue's counts. */
void p2pkp_xsk_count_kernel_drops(struct xsk_transport *x);

/* xsk_setup.c */
void p2pkp_xsk_close(struct p2pkp_transport *t);

#endif /* P2PKP_XSK_PRIV_H */
