/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Inside the transport: the interface between the front (transport.c) and
 * its backends (xsk_transport.c, sock_transport.c). Each backend embeds
 * struct p2pkp_transport first in its own state and fills it with
 * p2pkp_transport_init_base() (transport_base.c); what else they share is
 * below them in bufpool.h, udp_sock.h and addr.h.
 */
#ifndef P2PKP_TRANSPORT_PRIV_H
#define P2PKP_TRANSPORT_PRIV_H

#include <net/if.h>
#include <sys/socket.h>

#include "transport.h"

/* Room for a "reason" in the backends' open errors. */
#define P2PKP_WHY_LEN 160

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

/* Bytes of IP + UDP header for family: 28, or 48 for IPv6 and for either (AF_UNSPEC). */
static inline __u32 p2pkp_ip_udp_hlen(int family)
{
	return family == AF_INET ? 28 : 48;
}

/* Largest UDP payload a device MTU allows for family; 0 if the MTU is too small. */
static inline __u32 p2pkp_mtu_payload(unsigned int mtu, int family)
{
	return mtu > p2pkp_ip_udp_hlen(family) ? mtu - p2pkp_ip_udp_hlen(family) : 0;
}

/* Backends: 0 and *out, or -errno with a one-line reason in why and nothing printed. */
int p2pkp_xsk_open(const struct p2pkp_transport_opts *opts, struct p2pkp_transport **out, char *why,
		   size_t whylen);
int p2pkp_sock_open(const struct p2pkp_transport_opts *opts, struct p2pkp_transport **out,
		    char *why, size_t whylen);

/* Fills the common part of a freshly allocated backend. */
int p2pkp_transport_init_base(struct p2pkp_transport *t, const struct p2pkp_transport_ops *ops,
			      const struct p2pkp_transport_opts *opts, char *why, size_t whylen);

#endif /* P2PKP_TRANSPORT_PRIV_H */
