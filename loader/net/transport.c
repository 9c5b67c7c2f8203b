// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The transport's front: backend choice (AUTO falls back from AF_XDP to
 * sockets with one line), dispatch, and what both backends share — the
 * buffer pool, the bound UDP socket and address conversions.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "netpath.h"
#include "transport_priv.h"

long long p2pkp_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* --- buffer pool ------------------------------------------------------------ */

int p2pkp_bufpool_init(struct p2pkp_bufpool *p, __u32 count, __u32 buf_size)
{
	__u32 i;

	memset(p, 0, sizeof(*p));
	p->buf_size = (buf_size + P2PKP_BUF_ALIGN - 1) & ~(__u32)(P2PKP_BUF_ALIGN - 1);
	p->count = count;
	p->mem_len = (size_t)count * p->buf_size;
	/* mmap: page-aligned, and untouched pages cost nothing until used. */
	p->mem = mmap(NULL, p->mem_len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p->mem == MAP_FAILED) {
		p->mem = NULL;
		return -errno;
	}
	p->free = calloc(count, sizeof(*p->free));
	if (!p->free) {
		munmap(p->mem, p->mem_len);
		p->mem = NULL;
		return -ENOMEM;
	}
	/* Lowest index on top, so a quiet transport keeps reusing the same buffers. */
	for (i = 0; i < count; i++)
		p->free[i] = count - 1 - i;
	p->nfree = count;
	return 0;
}

void p2pkp_bufpool_fini(struct p2pkp_bufpool *p)
{
	if (p->mem)
		munmap(p->mem, p->mem_len);
	free(p->free);
	memset(p, 0, sizeof(*p));
}

/* --- addresses ---------------------------------------------------------------- */

bool p2pkp_addr_equal(const struct p2pkp_addr *a, const struct p2pkp_addr *b)
{
	if (a->family != b->family || a->port != b->port)
		return false;
	if (a->family == AF_INET)
		return a->ip.v4.s_addr == b->ip.v4.s_addr;
	if (a->family == AF_INET6)
		return !memcmp(&a->ip.v6, &b->ip.v6, sizeof(a->ip.v6));
	return false;
}

const char *p2pkp_addr_str(const struct p2pkp_addr *a, char *buf, size_t len)
{
	char ip[INET6_ADDRSTRLEN];
	int n;

	if (!buf || !len)
		return "?";
	if (!inet_ntop(a->family, &a->ip, ip, sizeof(ip)))
		n = snprintf(buf, len, "?:%u", a->port);
	else if (a->family == AF_INET6)
		n = snprintf(buf, len, "[%s]:%u", ip, a->port);
	else
		n = snprintf(buf, len, "%s:%u", ip, a->port);
	return n < 0 || (size_t)n >= len ? "?" : buf;
}

void p2pkp_addr_from_sockaddr(const struct sockaddr_storage *ss, struct p2pkp_addr *a)
{
	const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)ss;
	const struct sockaddr_in *s4 = (const struct sockaddr_in *)ss;

	memset(a, 0, sizeof(*a));
	if (ss->ss_family == AF_INET) {
		a->family = AF_INET;
		a->ip.v4 = s4->sin_addr;
		a->port = ntohs(s4->sin_port);
	} else if (ss->ss_family == AF_INET6 && IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr)) {
		/* A dual-stack socket's IPv4 peer: the same peer the AF_XDP side sees. */
		a->family = AF_INET;
		memcpy(&a->ip.v4, &s6->sin6_addr.s6_addr[12], 4);
		a->port = ntohs(s6->sin6_port);
	} else if (ss->ss_family == AF_INET6) {
		a->family = AF_INET6;
		a->ip.v6 = s6->sin6_addr;
		a->port = ntohs(s6->sin6_port);
	}
}

socklen_t p2pkp_addr_to_sockaddr(const struct p2pkp_addr *a, int sock_family,
				 struct sockaddr_storage *ss)
{
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;

	memset(ss, 0, sizeof(*ss));
	if (sock_family == AF_INET && a->family == AF_INET) {
		s4->sin_family = AF_INET;
		s4->sin_addr = a->ip.v4;
		s4->sin_port = htons(a->port);
		return sizeof(*s4);
	}
	if (sock_family != AF_INET6)
		return 0;
	s6->sin6_family = AF_INET6;
	s6->sin6_port = htons(a->port);
	if (a->family == AF_INET6) {
		s6->sin6_addr = a->ip.v6;
	} else if (a->family == AF_INET) {
		s6->sin6_addr.s6_addr[10] = 0xff;
		s6->sin6_addr.s6_addr[11] = 0xff;
		memcpy(&s6->sin6_addr.s6_addr[12], &a->ip.v4, 4);
	} else {
		return 0;
	}
	return sizeof(*s6);
}

bool p2pkp_dev_addr(const char *ifname, int family, union p2pkp_inaddr *out)
{
	struct ifaddrs *ifa, *i;
	bool found = false;

	if (!ifname || getifaddrs(&ifa))
		return false;
	for (i = ifa; i && !found; i = i->ifa_next) {
		if (!i->ifa_addr || i->ifa_addr->sa_family != family || strcmp(i->ifa_name, ifname))
			continue;
		if (family == AF_INET) {
			out->v4 = ((struct sockaddr_in *)i->ifa_addr)->sin_addr;
			found = true;
		} else if (!IN6_IS_ADDR_LINKLOCAL(
				   &((struct sockaddr_in6 *)i->ifa_addr)->sin6_addr)) {
			/* Link-local needs a zone the wire format has no room for. */
			out->v6 = ((struct sockaddr_in6 *)i->ifa_addr)->sin6_addr;
			found = true;
		}
	}
	freeifaddrs(ifa);
	return found;
}

/* --- the bound UDP socket ------------------------------------------------------ */

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
	u->family = family;
	u->fd = socket(family, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, IPPROTO_UDP);
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

int p2pkp_udp_recv(struct p2pkp_transport *t, struct p2pkp_udp *u, struct p2pkp_rx_msg *msgs,
		   __u32 max)
{
	__u32 armed, i, out = 0;
	int n, err;

	armed = udp_arm(u, max < P2PKP_UDP_BATCH ? max : P2PKP_UDP_BATCH);
	if (!armed)
		return 0;
	t->stats.rx_wakeups++;
	n = recvmmsg(u->fd, u->msgs, armed, MSG_DONTWAIT, NULL);
	err = n < 0 ? errno : 0;
	if (n < 0)
		n = 0;
	for (i = 0; i < (__u32)n; i++) {
		struct msghdr *h = &u->msgs[i].msg_hdr;

		/* Truncated or runt datagrams cannot be P2PKP messages. */
		if ((h->msg_flags & MSG_TRUNC) || u->msgs[i].msg_len < P2PKP_HDR_LEN) {
			t->stats.rx_dropped++;
			p2pkp_bufpool_put(&u->rx, u->idx[i]);
			continue;
		}
		msgs[out].data = u->iov[i].iov_base;
		msgs[out].len = u->msgs[i].msg_len;
		msgs[out].cookie = P2PKP_COOKIE_POOL | u->idx[i];
		p2pkp_addr_from_sockaddr(&u->names[i], &msgs[out].src);
		t->stats.rx_msgs++;
		t->stats.rx_bytes += msgs[out].len;
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

/* --- dispatch ----------------------------------------------------------------- */

int p2pkp_transport_init_base(struct p2pkp_transport *t, const struct p2pkp_transport_ops *ops,
			      const struct p2pkp_transport_opts *opts, char *why, size_t whylen)
{
	int err;

	t->ops = ops;
	t->opts = *opts;
	t->opts.ifname = NULL;
	if (opts->ifname) {
		if (snprintf(t->ifname, sizeof(t->ifname), "%s", opts->ifname) >=
		    (int)sizeof(t->ifname)) {
			snprintf(why, whylen, "device name too long");
			return -ENAMETOOLONG;
		}
		t->opts.ifname = t->ifname;
		err = p2pkp_dev_info(t->ifname, NULL, &t->mtu);
		if (err) {
			snprintf(why, whylen, "%s",
				 err == -ENODEV ? "no such device" : strerror(-err));
			return err;
		}
	}
	t->local.family = opts->family;
	if (!p2pkp_dev_addr(t->opts.ifname, opts->family, &t->local.ip))
		memset(&t->local.ip, 0, sizeof(t->local.ip));
	return 0;
}

static const char *dev_label(const struct p2pkp_transport_opts *opts)
{
	return opts->ifname ? opts->ifname : "transport";
}

int p2pkp_transport_open(const struct p2pkp_transport_opts *opts, struct p2pkp_transport **out)
{
	char why[P2PKP_WHY_LEN] = "";
	int err;

	*out = NULL;
	if (opts->family != AF_INET && opts->family != AF_INET6) {
		pr_warn("%s: address family must be IPv4 or IPv6\n", dev_label(opts));
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
