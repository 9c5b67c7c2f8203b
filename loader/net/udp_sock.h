/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * A bound UDP socket receiving into a buffer pool with recvmmsg(). Both
 * backends have one: the AF_XDP backend for what the XDP program passes to
 * the stack (and to keep the port bound), the socket backend for everything.
 */
#ifndef P2PKP_UDP_SOCK_H
#define P2PKP_UDP_SOCK_H

#include <stddef.h>
#include <sys/socket.h>
#include <linux/types.h>

#include "bufpool.h"
#include "transport.h" /* the message and counter types it fills, not the front's code */

/* Most datagrams one recvmmsg()/sendmmsg() call moves. */
#define P2PKP_UDP_BATCH 256
/* Socket buffers for the UDP sockets; SO_*BUFFORCE when privileged. */
#define P2PKP_SOCK_RCVBUF (16 << 20)
#define P2PKP_SOCK_SNDBUF (8 << 20)

/*
 * Cookies tell rx_release where a message lives: bit 63 set means a pool
 * buffer (index in the low 32 bits), clear means a UMEM frame (queue slot in
 * bits 32-47, frame address in the low 32 bits).
 */
#define P2PKP_COOKIE_POOL (1ULL << 63)

struct p2pkp_udp {
	int fd;
	int family; /* of the socket; AF_INET6 sockets are dual-stack */
	__u16 port; /* bound port, host order */
	struct p2pkp_bufpool rx;
	struct mmsghdr msgs[P2PKP_UDP_BATCH];
	struct iovec iov[P2PKP_UDP_BATCH];
	struct sockaddr_storage names[P2PKP_UDP_BATCH];
	__u32 idx[P2PKP_UDP_BATCH];
};

/* Opens and binds; on failure -errno and a reason in why. */
int p2pkp_udp_open(struct p2pkp_udp *u, int family, __u16 port, __u32 rx_bufs, __u32 buf_size,
		   char *why, size_t whylen);
void p2pkp_udp_close(struct p2pkp_udp *u);
/* Datagrams of full size the socket's receive buffer holds, counted conservatively. */
__u32 p2pkp_udp_rx_depth(const struct p2pkp_udp *u);
/*
 * One non-blocking recvmmsg() into pool buffers: count (0 if nothing), or
 * -errno; counts what it receives and drops in st.
 */
int p2pkp_udp_recv(struct p2pkp_udp *u, struct p2pkp_rx_msg *msgs, __u32 max,
		   struct p2pkp_transport_stats *st);
/* Returns a pool-buffer message (cookie has P2PKP_COOKIE_POOL) to u's pool. */
static inline void p2pkp_udp_release(struct p2pkp_udp *u, __u64 cookie)
{
	p2pkp_bufpool_put(&u->rx, (__u32)cookie);
}

#endif /* P2PKP_UDP_SOCK_H */
