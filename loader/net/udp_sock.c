// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The bound UDP socket both transport backends have, receiving into a buffer pool. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "p2pkp_shared.h"
#include "udp_sock.h"

static void enlarge_buffers(int fd)
{
	int rcv = P2PKP_SOCK_RCVBUF, snd = P2PKP_SOCK_SNDBUF;

	/* The FORCE variants pass net.core.*mem_max when we are privileged. */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcv, sizeof(rcv)))
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof(rcv));
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &snd, sizeof(snd)))
		setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &snd, sizeof(snd));
}

/* Reason in why, -errno back (saved first: formatting may clobber errno). */
static int sys_fail(char *why, size_t whylen, const char *what)
{
	int err = errno;

	snprintf(why, whylen, "%s: %s", what, strerror(err));
	return -err;
}

static int udp_bind(struct p2pkp_udp *u, __u16 port, char *why, size_t whylen)
{
	char what[64];

	struct sockaddr_storage ss = {0};
	socklen_t len = sizeof(ss);
	struct p2pkp_addr any = {.family = u->family, .port = port};
	int off = 0;

	if (u->family == AF_INET6 &&
	    setsockopt(u->fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof(off)))
		return sys_fail(why, whylen, "cannot make the UDP socket dual-stack");
	len = p2pkp_addr_to_sockaddr(&any, u->family, &ss);
	if (bind(u->fd, (struct sockaddr *)&ss, len)) {
		snprintf(what, sizeof(what), "cannot bind UDP port %u", port);
		return sys_fail(why, whylen, what);
	}
	len = sizeof(ss);
	if (getsockname(u->fd, (struct sockaddr *)&ss, &len))
		return sys_fail(why, whylen, "getsockname");
	p2pkp_addr_from_sockaddr(&ss, &any);
	u->port = any.port;
	return 0;
}

static void udp_prepare_msgs(struct p2pkp_udp *u)
{
	__u32 i;

	for (i = 0; i < P2PKP_UDP_BATCH; i++) {
		u->msgs[i].msg_hdr.msg_iov = &u->iov[i];
		u->msgs[i].msg_hdr.msg_iovlen = 1;
		u->msgs[i].msg_hdr.msg_name = &u->names[i];
	}
}

int p2pkp_udp_open(struct p2pkp_udp *u, int family, __u16 port, __u32 rx_bufs, __u32 buf_size,
		   char *why, size_t whylen)
{
	int err;

	memset(u, 0, sizeof(*u));
	/* Either family: one dual-stack socket, or IPv4 alone on a kernel without IPv6. */
	u->family = family == AF_UNSPEC ? AF_INET6 : family;
	u->fd = socket(u->family, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, IPPROTO_UDP);
	if (u->fd < 0 && family == AF_UNSPEC && errno == EAFNOSUPPORT) {
		u->family = AF_INET;
		u->fd = socket(u->family, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, IPPROTO_UDP);
	}
	if (u->fd < 0) {
		err = -errno;
		snprintf(why, whylen, "cannot create a UDP socket: %s", strerror(-err));
		return err;
	}
	enlarge_buffers(u->fd);
	err = udp_bind(u, port, why, whylen);
	if (err)
		goto err_close_fd;
	err = p2pkp_bufpool_init(&u->rx, rx_bufs, buf_size);
	if (err) {
		snprintf(why, whylen, "cannot allocate %u receive buffers: %s", rx_bufs,
			 strerror(-err));
		goto err_close_fd;
	}
	udp_prepare_msgs(u);
	return 0;

err_close_fd:
	close(u->fd);
	u->fd = -1;
	return err;
}

void p2pkp_udp_close(struct p2pkp_udp *u)
{
	if (u->fd >= 0)
		close(u->fd);
	u->fd = -1;
	p2pkp_bufpool_fini(&u->rx);
}

/* A page of truesize per queued datagram: what a veth or NIC skb of MTU 1500 costs at most. */
#define UDP_TRUESIZE_MAX 4096

__u32 p2pkp_udp_rx_depth(const struct p2pkp_udp *u)
{
	int rcv = 0;
	socklen_t len = sizeof(rcv);
	__u32 depth;

	if (getsockopt(u->fd, SOL_SOCKET, SO_RCVBUF, &rcv, &len) || rcv <= 0)
		return 0;
	depth = (__u32)rcv / UDP_TRUESIZE_MAX;
	/* Held messages keep their pool buffers: the pool bounds it too. */
	return depth < u->rx.count ? depth : u->rx.count;
}

/* Takes up to n buffers for one recvmmsg(); returns how many it got. */
static __u32 udp_arm(struct p2pkp_udp *u, __u32 n)
{
	__u32 i;
	long idx;

	for (i = 0; i < n; i++) {
		idx = p2pkp_bufpool_get(&u->rx);
		if (idx < 0)
			break;
		u->idx[i] = (__u32)idx;
		u->iov[i].iov_base = p2pkp_bufpool_buf(&u->rx, (__u32)idx);
		u->iov[i].iov_len = u->rx.buf_size;
		u->msgs[i].msg_hdr.msg_namelen = sizeof(u->names[i]);
		u->msgs[i].msg_hdr.msg_flags = 0;
	}
	return i;
}

int p2pkp_udp_recv(struct p2pkp_udp *u, struct p2pkp_rx_msg *msgs, __u32 max,
		   struct p2pkp_transport_stats *st)
{
	__u32 armed, i, out = 0;
	int n, err;

	armed = udp_arm(u, max < P2PKP_UDP_BATCH ? max : P2PKP_UDP_BATCH);
	if (!armed)
		return 0;
	st->rx_wakeups++;
	n = recvmmsg(u->fd, u->msgs, armed, MSG_DONTWAIT, NULL);
	err = n < 0 ? errno : 0;
	if (n < 0)
		n = 0;
	for (i = 0; i < (__u32)n; i++) {
		struct msghdr *h = &u->msgs[i].msg_hdr;

		/* Truncated or runt datagrams cannot be P2PKP messages. */
		if ((h->msg_flags & MSG_TRUNC) || u->msgs[i].msg_len < P2PKP_HDR_LEN) {
			st->rx_refused++;
			p2pkp_bufpool_put(&u->rx, u->idx[i]);
			continue;
		}
		msgs[out].data = u->iov[i].iov_base;
		msgs[out].len = u->msgs[i].msg_len;
		msgs[out].cookie = P2PKP_COOKIE_POOL | u->idx[i];
		p2pkp_addr_from_sockaddr(&u->names[i], &msgs[out].src);
		st->rx_msgs++;
		st->rx_bytes += msgs[out].len;
		out++;
	}
	for (; i < armed; i++)
		p2pkp_bufpool_put(&u->rx, u->idx[i]);
	/* ICMP errors surface here (ECONNREFUSED etc.); they are not ours to fail on. */
	if (err && err != EAGAIN && err != EWOULDBLOCK && err != EINTR && err != ECONNREFUSED &&
	    err != EHOSTUNREACH && err != ENETUNREACH && !out)
		return -err;
	return (int)out;
}
