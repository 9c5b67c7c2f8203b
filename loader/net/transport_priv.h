/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Inside the transport: what the two backends share. transport.c owns the
 * dispatch, the buffer pool and the UDP socket plumbing; xsk_transport.c and
 * sock_transport.c each embed struct p2pkp_transport first in their own state.
 */
#ifndef P2PKP_TRANSPORT_PRIV_H
#define P2PKP_TRANSPORT_PRIV_H

#include <net/if.h>
#include <sys/socket.h>

#include "p2pkp_shared.h"
#include "transport.h"

/* Most datagrams one recvmmsg()/sendmmsg() call moves. */
#define P2PKP_UDP_BATCH 256
/* Payload buffers start on this boundary (cache line; P2PKP wants 8). */
#define P2PKP_BUF_ALIGN 64
/* Socket buffers for the UDP sockets; SO_*BUFFORCE when privileged. */
#define P2PKP_SOCK_RCVBUF (16 << 20)
#define P2PKP_SOCK_SNDBUF (8 << 20)
/* Room for a "reason" in the backends' open errors. */
#define P2PKP_WHY_LEN 160

/*
 * Cookies tell rx_release where a message lives: bit 63 set means a pool
 * buffer (index in the low 32 bits), clear means a UMEM frame (queue slot in
 * bits 32-47, frame address in the low 32 bits).
 */
#define P2PKP_COOKIE_POOL (1ULL << 63)

struct p2pkp_transport_ops {
	const char *name;
	void (*close)(struct p2pkp_transport *t);
	int (*rx_burst)(struct p2pkp_transport *t, struct p2pkp_rx_msg *msgs, __u32 max,
			int timeout_ms);
	void (*rx_release)(struct p2pkp_transport *t, const struct p2pkp_rx_msg *msgs, __u32 n);
	int (*tx_get)(struct p2pkp_transport *t, struct p2pkp_tx_buf *buf);
	int (*tx_put)(struct p2pkp_transport *t, struct p2pkp_tx_buf *buf, __u32 len,
		      const struct p2pkp_addr *to);
	void (*tx_abandon)(struct p2pkp_transport *t, struct p2pkp_tx_buf *buf);
	int (*tx_flush)(struct p2pkp_transport *t);
	__u32 (*tx_max_msg)(const struct p2pkp_transport *t, const struct p2pkp_addr *to);
	/* Optional: adds the kernel's own counters to st. */
	void (*kernel_stats)(const struct p2pkp_transport *t, struct p2pkp_transport_stats *st);
};

struct p2pkp_transport {
	const struct p2pkp_transport_ops *ops;
	struct p2pkp_transport_opts opts; /* opts.ifname points at ifname below */
	char ifname[IF_NAMESIZE];
	unsigned int mtu; /* of ifname; 0 without a device */
	struct p2pkp_addr local;
	__u32 rx_depth; /* what p2pkp_rx_depth() says; set by the backend's open */
	struct p2pkp_transport_stats stats;
};

/* A fixed set of equal, aligned buffers with a free stack; no allocation after init. */
struct p2pkp_bufpool {
	__u8 *mem;
	size_t mem_len;
	__u32 buf_size; /* multiple of P2PKP_BUF_ALIGN */
	__u32 count;
	__u32 nfree;
	__u32 *free; /* indices, top at nfree - 1 */
};

int p2pkp_bufpool_init(struct p2pkp_bufpool *p, __u32 count, __u32 buf_size);
void p2pkp_bufpool_fini(struct p2pkp_bufpool *p);

static inline __u8 *p2pkp_bufpool_buf(const struct p2pkp_bufpool *p, __u32 idx)
{
	return p->mem + (size_t)idx * p->buf_size;
}

/* An index, or -1 when every buffer is lent out. */
static inline long p2pkp_bufpool_get(struct p2pkp_bufpool *p)
{
	return p->nfree ? (long)p->free[--p->nfree] : -1;
}

static inline void p2pkp_bufpool_put(struct p2pkp_bufpool *p, __u32 idx)
{
	if (idx < p->count && p->nfree < p->count)
		p->free[p->nfree++] = idx;
}

/*
 * A bound UDP socket receiving into a buffer pool with recvmmsg(). Both
 * backends have one: the AF_XDP backend for what the XDP program passes to
 * the stack (and to keep the port bound), the socket backend for everything.
 */
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
/* One non-blocking recvmmsg() into pool buffers: count (0 if nothing), or -errno. */
int p2pkp_udp_recv(struct p2pkp_transport *t, struct p2pkp_udp *u, struct p2pkp_rx_msg *msgs,
		   __u32 max);
/* Returns a pool-buffer message (cookie has P2PKP_COOKIE_POOL) to u's pool. */
static inline void p2pkp_udp_release(struct p2pkp_udp *u, __u64 cookie)
{
	p2pkp_bufpool_put(&u->rx, (__u32)cookie);
}

/* sockaddr <-> p2pkp_addr; IPv4-mapped IPv6 addresses come out as AF_INET. */
void p2pkp_addr_from_sockaddr(const struct sockaddr_storage *ss, struct p2pkp_addr *a);
/* Fills ss for sending from a socket of sock_family; length, or 0 if impossible. */
socklen_t p2pkp_addr_to_sockaddr(const struct p2pkp_addr *a, int sock_family,
				 struct sockaddr_storage *ss);

/* Bytes of IP + UDP header for family (28 or 48). */
static inline __u32 p2pkp_ip_udp_hlen(int family)
{
	return family == AF_INET6 ? 48 : 28;
}

/* Largest UDP payload a device MTU allows for family; 0 if the MTU is too small. */
static inline __u32 p2pkp_mtu_payload(unsigned int mtu, int family)
{
	return mtu > p2pkp_ip_udp_hlen(family) ? mtu - p2pkp_ip_udp_hlen(family) : 0;
}

/* The first address of family on ifname, or false. */
bool p2pkp_dev_addr(const char *ifname, int family, union p2pkp_inaddr *out);

/* Monotonic milliseconds, for bounding waits. */
long long p2pkp_now_ms(void);

/* Backends: 0 and *out, or -errno with a one-line reason in why and nothing printed. */
int p2pkp_xsk_open(const struct p2pkp_transport_opts *opts, struct p2pkp_transport **out, char *why,
		   size_t whylen);
int p2pkp_sock_open(const struct p2pkp_transport_opts *opts, struct p2pkp_transport **out,
		    char *why, size_t whylen);

/* Fills the common part of a freshly allocated backend. */
int p2pkp_transport_init_base(struct p2pkp_transport *t, const struct p2pkp_transport_ops *ops,
			      const struct p2pkp_transport_opts *opts, char *why, size_t whylen);

#endif /* P2PKP_TRANSPORT_PRIV_H */
