// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The transport's front: backend choice (AUTO falls back from AF_XDP to
 * sockets with one line) and dispatch. It uses the backends; what they share
 * lives below them (transport_base.c, bufpool.c, udp_sock.c, addr.c).
 */
#include <errno.h>
#include <stddef.h>

#include "log.h"
#include "transport_priv.h"

const struct p2pkp_enum_val p2pkp_backend_vals[] = {
	{"auto", P2PKP_BACKEND_AUTO},
	{"xdp", P2PKP_BACKEND_XDP},
	{"socket", P2PKP_BACKEND_SOCKET},
	{NULL, 0},
};

static const char *dev_label(const struct p2pkp_transport_opts *opts)
{
	return opts->ifname ? opts->ifname : "transport";
}

int p2pkp_transport_open(const struct p2pkp_transport_opts *opts, struct p2pkp_transport **out)
{
	char why[P2PKP_WHY_LEN] = "";
	int err;

	*out = NULL;
	if (opts->family != AF_INET && opts->family != AF_INET6 && opts->family != AF_UNSPEC) {
		pr_warn("%s: address family must be IPv4, IPv6 or either\n", dev_label(opts));
		return -EAFNOSUPPORT;
	}
	if (opts->backend != P2PKP_BACKEND_SOCKET) {
		err = p2pkp_xsk_open(opts, out, why, sizeof(why));
		if (!err)
			return 0;
		if (opts->backend == P2PKP_BACKEND_XDP) {
			pr_warn("%s: AF_XDP unavailable (%s)\n", dev_label(opts), why);
			return err;
		}
		pr_warn("%s: AF_XDP unavailable (%s); using UDP sockets\n", dev_label(opts), why);
		why[0] = '\0';
	}
	err = p2pkp_sock_open(opts, out, why, sizeof(why));
	if (err)
		pr_warn("%s: cannot open the UDP transport: %s\n", dev_label(opts), why);
	return err;
}

void p2pkp_transport_close(struct p2pkp_transport *t)
{
	if (t)
		t->ops->close(t);
}

const char *p2pkp_transport_name(const struct p2pkp_transport *t)
{
	return t->ops->name;
}

void p2pkp_transport_local(const struct p2pkp_transport *t, struct p2pkp_addr *addr)
{
	*addr = t->local;
}

int p2pkp_rx_burst(struct p2pkp_transport *t, struct p2pkp_rx_msg *msgs, __u32 max, int timeout_ms)
{
	if (!max)
		return 0;
	return t->ops->rx_burst(t, msgs, max, timeout_ms);
}

__u32 p2pkp_rx_depth(const struct p2pkp_transport *t)
{
	return t->rx_depth;
}

void p2pkp_rx_release(struct p2pkp_transport *t, const struct p2pkp_rx_msg *msgs, __u32 n)
{
	if (n)
		t->ops->rx_release(t, msgs, n);
}

int p2pkp_tx_get(struct p2pkp_transport *t, struct p2pkp_tx_buf *buf)
{
	int err = t->ops->tx_get(t, buf);

	if (err == -EAGAIN)
		t->stats.tx_no_buf++;
	return err;
}

int p2pkp_tx_put(struct p2pkp_transport *t, struct p2pkp_tx_buf *buf, __u32 len,
		 const struct p2pkp_addr *to)
{
	if (len > buf->cap)
		return -EMSGSIZE;
	return t->ops->tx_put(t, buf, len, to);
}

void p2pkp_tx_abandon(struct p2pkp_transport *t, struct p2pkp_tx_buf *buf)
{
	t->ops->tx_abandon(t, buf);
}

int p2pkp_tx_flush(struct p2pkp_transport *t)
{
	return t->ops->tx_flush(t);
}

__u32 p2pkp_tx_max_msg(const struct p2pkp_transport *t, const struct p2pkp_addr *to)
{
	return t->ops->tx_max_msg(t, to);
}

void p2pkp_transport_stats(const struct p2pkp_transport *t, struct p2pkp_transport_stats *st)
{
	*st = t->stats;
	if (t->ops->kernel_stats)
		t->ops->kernel_stats(t, st);
}
