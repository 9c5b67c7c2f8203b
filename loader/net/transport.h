/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The datagram transport under the transfer engine. Two backends behind one
 * interface: AF_XDP (frames in a UMEM, headers built by us, the steering
 * program feeding the RX rings) and plain UDP sockets (recvmmsg/sendmmsg).
 * The engine sees only P2PKP messages: the UDP payloads, 8-byte aligned.
 *
 * Receive: rx_burst() hands out up to max messages that stay valid, in place,
 * until rx_release() returns them, so file data can be written straight out
 * of the frames before the frames go back to the fill ring.
 *
 * Transmit: tx_get() lends a buffer to build one message in, tx_put()
 * queues it for a destination (the buffer is then the transport's),
 * tx_flush() kicks the kernel once for everything queued.
 */
#ifndef P2PKP_TRANSPORT_H
#define P2PKP_TRANSPORT_H

#include <netinet/in.h>
#include <stdbool.h>
#include <linux/types.h>

#include "options.h" /* struct p2pkp_enum_val */
#include "addr.h"    /* struct p2pkp_addr and its helpers: a.ip.v4 / a.ip.v6, host-order port */

struct p2pkp_rx_msg {
	const __u8 *data; /* the UDP payload: a P2PKP message, 8-byte aligned */
	__u32 len;
	struct p2pkp_addr src;
	__u64 cookie; /* the backend's: which frame or buffer to give back */
};

struct p2pkp_tx_buf {
	__u8 *data; /* write the P2PKP message here, 8-byte aligned */
	__u32 cap;  /* at most this many bytes: the path MTU's UDP payload */
	__u64 cookie;
};

enum p2pkp_backend {
	P2PKP_BACKEND_AUTO,   /* AF_XDP, else sockets with a one-line warning */
	P2PKP_BACKEND_XDP,    /* AF_XDP or fail */
	P2PKP_BACKEND_SOCKET, /* UDP sockets */
};

/* --backend auto|xdp|socket, into an int holding an enum p2pkp_backend. */
extern const struct p2pkp_enum_val p2pkp_backend_vals[];

struct p2pkp_transport_opts {
	const char *ifname; /* device; required for AF_XDP */
	__u16 port;	    /* local UDP port, host order (0: any, sender side) */
	/*
	 * AF_INET or AF_INET6: which local address to use and whose payloads
	 * AF_XDP frames align; AF_UNSPEC (a receiver): either family, on a
	 * dual-stack socket, IPv4 address and alignment first.
	 */
	int family;
	enum p2pkp_backend backend;
	__u32 frames;	    /* UMEM frames / socket buffers (0: default) */
	bool load_steering; /* AF_XDP: load the steering program if absent */
	int queue;	    /* AF_XDP: RX queue to serve, -1 for all */
	bool zerocopy;	    /* AF_XDP: ask for zero-copy (falls back to copy) */
};

struct p2pkp_transport_stats {
	__u64 rx_msgs, rx_bytes;
	__u64 tx_msgs, tx_bytes;
	__u64 tx_kicks;	  /* system calls made to transmit */
	__u64 rx_wakeups; /* system calls made to wait for or fetch RX */
	/*
	 * Lost for want of room (RX ring full, fill ring empty: the kernel's
	 * counts), what REPORT sends as RX_DROPS; not the refused frames below,
	 * which say nothing about keeping up.
	 */
	__u64 rx_dropped;
	__u64 rx_refused;   /* not P2PKP-shaped, bad checksum, truncated */
	__u64 tx_no_buf;    /* tx_get() found nothing free */
	__u64 rx_realigned; /* AF_XDP: payloads moved to 8-byte alignment in their frame */
};

struct p2pkp_transport;

/* 0 and *out, or -errno after one clear pr_warn line. */
int p2pkp_transport_open(const struct p2pkp_transport_opts *opts, struct p2pkp_transport **out);
/* Releases everything; unloads the steering program only if open loaded it. */
void p2pkp_transport_close(struct p2pkp_transport *t);
/* "xdp" or "socket": what open actually chose. */
const char *p2pkp_transport_name(const struct p2pkp_transport *t);
/* The local address and port peers should send to. */
void p2pkp_transport_local(const struct p2pkp_transport *t, struct p2pkp_addr *addr);

/* Up to max messages; waits at most timeout_ms (0: poll, -1: forever). Count or -errno. */
int p2pkp_rx_burst(struct p2pkp_transport *t, struct p2pkp_rx_msg *msgs, __u32 max, int timeout_ms);
void p2pkp_rx_release(struct p2pkp_transport *t, const struct p2pkp_rx_msg *msgs, __u32 n);
/* About how many messages the backend buffers while nobody reads (RX ring, socket buffer). */
__u32 p2pkp_rx_depth(const struct p2pkp_transport *t);

/* 0 with a free buffer, -EAGAIN if all are in flight (flush and reap first). */
int p2pkp_tx_get(struct p2pkp_transport *t, struct p2pkp_tx_buf *buf);
/*
 * Queue len bytes of buf for to. -EHOSTUNREACH and friends if no path, -EMSGSIZE
 * beyond tx_max_msg(to); on any error the buffer is still the caller's.
 */
int p2pkp_tx_put(struct p2pkp_transport *t, struct p2pkp_tx_buf *buf, __u32 len,
		 const struct p2pkp_addr *to);
/* Give back a buffer from tx_get() unused. */
void p2pkp_tx_abandon(struct p2pkp_transport *t, struct p2pkp_tx_buf *buf);
/* Send everything queued (one kick) and reap completions. Number sent or -errno. */
int p2pkp_tx_flush(struct p2pkp_transport *t);
/* Largest message tx_get() buffers take toward to (path MTU less headers). */
__u32 p2pkp_tx_max_msg(const struct p2pkp_transport *t, const struct p2pkp_addr *to);

void p2pkp_transport_stats(const struct p2pkp_transport *t, struct p2pkp_transport_stats *st);

#endif /* P2PKP_TRANSPORT_H */
