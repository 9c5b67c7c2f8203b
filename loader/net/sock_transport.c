// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The UDP socket backend: one socket, recvmmsg() into a pool of aligned
 * buffers, sendmmsg() of everything queued on flush. It is the fallback where
 * AF_XDP cannot run and the baseline it is measured against.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "log.h"
#include "transport_priv.h"
#include "udp_sock.h"

#define SOCK_DEFAULT_BUFS 4096
#define SOCK_MIN_BUFS	  16
/* Without a device we cannot know the MTU: plain Ethernet for sending... */
#define SOCK_DEFAULT_MTU 1500
/* ...and room for jumbo frames when receiving. */
#define SOCK_RX_BUF_MIN 9216
/* Bounds the sendmmsg() loop of one flush: each round sends or drops one. */
#define SOCK_FLUSH_ROUNDS 64

struct sock_transport {
	struct p2pkp_transport base;
	struct p2pkp_udp udp;
	struct p2pkp_bufpool tx;
	__u32 tx_cap;	/* tx_get()'s cap: the MTU's payload for opts.family (IPv6's for either) */
	__u32 npending; /* queued by tx_put, not yet sent */
	struct mmsghdr *pending;
	struct iovec *pending_iov;
	struct sockaddr_storage *pending_to;
	__u32 *pending_idx;
};

static struct sock_transport *to_sock(struct p2pkp_transport *t)
{
	return (struct sock_transport *)t;
}

static const struct sock_transport *to_sock_const(const struct p2pkp_transport *t)
{
	return (const struct sock_transport *)t;
}

static int sock_rx_burst(struct p2pkp_transport *t, struct p2pkp_rx_msg *msgs, __u32 max,
			 int timeout_ms)
{
	struct sock_transport *s = to_sock(t);
	long long deadline = timeout_ms > 0 ? p2pkp_now_ms() + timeout_ms : 0;
	struct pollfd pfd = {.fd = s->udp.fd, .events = POLLIN};
	int n, wait;

	for (;;) {
		n = p2pkp_udp_recv(&s->udp, msgs, max, &t->stats);
		if (n || !timeout_ms)
			return n;
		/* Nothing free to receive into: waiting would only spin. */
		if (!s->udp.rx.nfree)
			return 0;
		wait = timeout_ms;
		if (timeout_ms > 0) {
			wait = (int)(deadline - p2pkp_now_ms());
			if (wait <= 0)
				return 0;
		}
		t->stats.rx_wakeups++;
		if (poll(&pfd, 1, wait) < 0 && errno != EINTR)
			return -errno;
	}
}

static void sock_rx_release(struct p2pkp_transport *t, const struct p2pkp_rx_msg *msgs, __u32 n)
{
	struct sock_transport *s = to_sock(t);
	__u32 i;

	for (i = 0; i < n; i++)
		p2pkp_udp_release(&s->udp, msgs[i].cookie);
}

static int sock_tx_get(struct p2pkp_transport *t, struct p2pkp_tx_buf *buf)
{
	struct sock_transport *s = to_sock(t);
	long idx = p2pkp_bufpool_get(&s->tx);

	if (idx < 0)
		return -EAGAIN;
	buf->data = p2pkp_bufpool_buf(&s->tx, (__u32)idx);
	buf->cap = s->tx_cap;
	buf->cookie = (__u64)idx;
	return 0;
}

static void sock_tx_abandon(struct p2pkp_transport *t, struct p2pkp_tx_buf *buf)
{
	p2pkp_bufpool_put(&to_sock(t)->tx, (__u32)buf->cookie);
}

static int sock_tx_put(struct p2pkp_transport *t, struct p2pkp_tx_buf *buf, __u32 len,
		       const struct p2pkp_addr *to)
{
	struct sock_transport *s = to_sock(t);
	__u32 i = s->npending;
	socklen_t alen;

	if (len > t->ops->tx_max_msg(t, to))
		return -EMSGSIZE;
	alen = p2pkp_addr_to_sockaddr(to, s->udp.family, &s->pending_to[i]);
	if (!alen)
		return -EAFNOSUPPORT;
	/* Every tx buffer is either free or pending, so i < tx.count here. */
	s->pending_iov[i].iov_base = buf->data;
	s->pending_iov[i].iov_len = len;
	s->pending[i].msg_hdr.msg_namelen = alen;
	s->pending_idx[i] = (__u32)buf->cookie;
	s->npending++;
	return 0;
}

/* Returns the first done pending buffers to the pool and moves the rest down. */
static void sock_tx_retire(struct sock_transport *s, __u32 done)
{
	__u32 i, rest = s->npending - done;

	for (i = 0; i < done; i++)
		p2pkp_bufpool_put(&s->tx, s->pending_idx[i]);
	if (rest && done) {
		memmove(s->pending_iov, s->pending_iov + done, rest * sizeof(*s->pending_iov));
		memmove(s->pending_to, s->pending_to + done, rest * sizeof(*s->pending_to));
		memmove(s->pending_idx, s->pending_idx + done, rest * sizeof(*s->pending_idx));
		for (i = 0; i < rest; i++)
			s->pending[i].msg_hdr.msg_namelen =
				s->pending[i + done].msg_hdr.msg_namelen;
	}
	s->npending = rest;
}

/* A per-datagram error: the datagram is lost (as UDP may lose it), the rest go on. */
static bool skippable_send_error(int err)
{
	return err == ECONNREFUSED || err == EHOSTUNREACH || err == ENETUNREACH ||
	       err == EMSGSIZE || err == EINVAL || err == EPERM || err == EACCES;
}

static int sock_tx_flush(struct p2pkp_transport *t)
{
	struct sock_transport *s = to_sock(t);
	int sent = 0, n, round;
	__u32 i;

	for (round = 0; s->npending && round < SOCK_FLUSH_ROUNDS; round++) {
		t->stats.tx_kicks++;
		n = sendmmsg(s->udp.fd, s->pending, s->npending, MSG_DONTWAIT);
		if (n > 0) {
			for (i = 0; i < (__u32)n; i++)
				t->stats.tx_bytes += s->pending_iov[i].iov_len;
			t->stats.tx_msgs += (__u32)n;
			sent += n;
			sock_tx_retire(s, (__u32)n);
			continue;
		}
		if (n < 0 &&
		    (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS || errno == EINTR))
			break; /* the socket is full: the rest waits for the next flush */
		if (n < 0 && skippable_send_error(errno)) {
			sock_tx_retire(s, 1);
			continue;
		}
		return n < 0 ? -errno : sent;
	}
	return sent;
}

static __u32 sock_tx_max_msg(const struct p2pkp_transport *t, const struct p2pkp_addr *to)
{
	const struct sock_transport *s = to_sock_const(t);
	unsigned int mtu = t->mtu ? t->mtu : SOCK_DEFAULT_MTU;
	__u32 max = p2pkp_mtu_payload(mtu, to->family);

	return max < s->tx.buf_size ? max : s->tx.buf_size;
}

static void sock_close(struct p2pkp_transport *t)
{
	struct sock_transport *s = to_sock(t);

	/* Whatever is still queued gets one chance to leave. */
	if (s->npending)
		sock_tx_flush(t);
	p2pkp_udp_close(&s->udp);
	p2pkp_bufpool_fini(&s->tx);
	free(s->pending);
	free(s->pending_iov);
	free(s->pending_to);
	free(s->pending_idx);
	free(s);
}

static const struct p2pkp_transport_ops sock_ops = {
	.name = "socket",
	.close = sock_close,
	.rx_burst = sock_rx_burst,
	.rx_release = sock_rx_release,
	.tx_get = sock_tx_get,
	.tx_put = sock_tx_put,
	.tx_abandon = sock_tx_abandon,
	.tx_flush = sock_tx_flush,
	.tx_max_msg = sock_tx_max_msg,
};

static int alloc_pending(struct sock_transport *s, __u32 n)
{
	__u32 i;

	s->pending = calloc(n, sizeof(*s->pending));
	s->pending_iov = calloc(n, sizeof(*s->pending_iov));
	s->pending_to = calloc(n, sizeof(*s->pending_to));
	s->pending_idx = calloc(n, sizeof(*s->pending_idx));
	if (!s->pending || !s->pending_iov || !s->pending_to || !s->pending_idx)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		s->pending[i].msg_hdr.msg_iov = &s->pending_iov[i];
		s->pending[i].msg_hdr.msg_iovlen = 1;
		s->pending[i].msg_hdr.msg_name = &s->pending_to[i];
	}
	return 0;
}

int p2pkp_sock_open(const struct p2pkp_transport_opts *opts, struct p2pkp_transport **out,
		    char *why, size_t whylen)
{
	__u32 frames = opts->frames ? opts->frames : SOCK_DEFAULT_BUFS;
	__u32 rx_bufs, tx_bufs, tx_size, rx_size;
	struct sock_transport *s;
	unsigned int mtu;
	int err;

	if (frames < SOCK_MIN_BUFS)
		frames = SOCK_MIN_BUFS;
	rx_bufs = frames / 2;
	tx_bufs = frames - rx_bufs;
	s = calloc(1, sizeof(*s));
	if (!s) {
		snprintf(why, whylen, "out of memory");
		return -ENOMEM;
	}
	s->udp.fd = -1;
	err = p2pkp_transport_init_base(&s->base, &sock_ops, opts, why, whylen);
	if (err)
		goto err_free;
	mtu = s->base.mtu ? s->base.mtu : SOCK_DEFAULT_MTU;
	tx_size = p2pkp_mtu_payload(mtu, AF_INET);
	rx_size = tx_size > SOCK_RX_BUF_MIN ? tx_size : SOCK_RX_BUF_MIN;
	err = p2pkp_udp_open(&s->udp, opts->family, opts->port, rx_bufs, rx_size, why, whylen);
	if (err)
		goto err_free;
	err = p2pkp_bufpool_init(&s->tx, tx_bufs, tx_size);
	if (err) {
		snprintf(why, whylen, "cannot allocate %u send buffers", tx_bufs);
		goto err_close_udp;
	}
	err = alloc_pending(s, tx_bufs);
	if (err) {
		snprintf(why, whylen, "out of memory");
		goto err_free_tx;
	}
	s->tx_cap = p2pkp_mtu_payload(mtu, opts->family);
	s->base.local.port = s->udp.port;
	s->base.rx_depth = p2pkp_udp_rx_depth(&s->udp);
	*out = &s->base;
	return 0;

err_free_tx:
	free(s->pending);
	free(s->pending_iov);
	free(s->pending_to);
	free(s->pending_idx);
	p2pkp_bufpool_fini(&s->tx);
err_close_udp:
	p2pkp_udp_close(&s->udp);
err_free:
	free(s);
	return err;
}
