// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The AF_XDP backend's data path. Received frames are validated and handed
 * out in place, what the XDP program passed to the stack comes from the UDP
 * socket; transmitted frames get their headers built in front of the message
 * the engine wrote, toward a cached path per destination. Set-up and teardown
 * are in xsk_setup.c.
 */
#include <errno.h>
#include <linux/if_xdp.h>
#include <poll.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "frame.h"
#include "log.h"
#include "p2pkp_shared.h"
#include "xsk_priv.h"

/* How many times one flush kicks while the kernel answers EAGAIN/EBUSY. */
#define XSK_KICK_RETRIES 64
/* Without poll() saying so, the UDP socket is asked this often, so it cannot starve. */
#define XSK_SOCK_CHECK_NS (50 * NSEC_PER_MSEC)
#define XSK_PATH_RETRY_MS 1000
/* How often the kernel's drop counters are added to the published ones. */
#define XSK_KSTATS_NS (100 * NSEC_PER_MSEC)
/* Bound on draining TX at close. */
#define XSK_DRAIN_MS 200

/* --- RX ------------------------------------------------------------------------ */

void p2pkp_xsk_refill(struct xsk_transport *x, struct xsk_queue *q)
{
	__u32 n = q->nstash, idx = 0, i;

	if (!n)
		return;
	/* Total RX frames equal the fill ring's size, so there is always room. */
	n = xsk_prod_nb_free(&q->fill, n);
	if (n > q->nstash)
		n = q->nstash;
	if (!n || xsk_ring_prod__reserve(&q->fill, n, &idx) != n)
		return;
	for (i = 0; i < n; i++)
		*xsk_ring_prod__fill_addr(&q->fill, idx + i) = q->stash[--q->nstash];
	xsk_ring_prod__submit(&q->fill, n);
	/* Zero-copy drivers may sleep on an empty fill ring; copy mode never sets this. */
	if (xsk_ring_prod__needs_wakeup(&q->fill)) {
		x->base.stats.rx_wakeups++;
		recvfrom(q->fd, NULL, 0, MSG_DONTWAIT, NULL, NULL);
	}
}

static void stash_frame(struct xsk_queue *q, __u64 addr)
{
	if (q->nstash < 2 * q->fill.size) /* cannot overflow: bounded by frames owned */
		q->stash[q->nstash++] = frame_base(addr);
}

/*
 * Moves a payload that did not land 8-byte aligned back over the headers just
 * parsed, inside its own frame, and returns where it starts now. The UMEM
 * headroom aligns the payloads of one family (size_frames()); the other
 * family's headers are 20 bytes longer or shorter, so its payloads land 4
 * bytes off, as do those behind IPv4 options or one VLAN tag. The move needs
 * no buffer, so it cannot fail: copying out of the frame took one of the UDP
 * socket's 256 buffers, which the write batch keeps until it is written, and
 * once they ran out every such datagram was dropped: an IPv4-laid-out
 * receiver lost 10-28 % of an IPv6 transfer that way (docs/ipv6-loss.md).
 */
static const __u8 *rx_realign(__u8 *frame, const struct p2pkp_frame_info *fi)
{
	__u8 *payload = frame + (fi->payload - frame);
	__u8 *to = payload - ((uintptr_t)payload & 7);

	/* At least 42 bytes of headers lie in front of the payload: room for 7. */
	memmove(to, payload, fi->payload_len);
	return to;
}

/*
 * veth hands XDP the frames of a local sender's socket with the UDP checksum
 * offloaded and never computed (CHECKSUM_PARTIAL): the field holds only the
 * folded pseudo-header sum, and AF_XDP frames do not carry the skb's flag
 * saying so. Such a frame never crossed a wire, so on veth we accept exactly
 * that value; anything else must verify.
 */
static bool csum_deferred(const struct p2pkp_frame_info *fi)
{
	const __u8 *udp = fi->payload - P2PKP_UDP_HLEN;
	__u16 ulen = (__u16)(udp[4] << 8 | udp[5]), check = (__u16)(udp[6] << 8 | udp[7]);
	__u32 sum;

	if (fi->family == AF_INET)
		sum = p2pkp_csum_pseudo_v4(fi->src.v4.s_addr, fi->dst.v4.s_addr, IPPROTO_UDP, ulen);
	else
		sum = p2pkp_csum_pseudo_v6(&fi->src.v6, &fi->dst.v6, IPPROTO_UDP, ulen);
	return check == p2pkp_csum_fold(sum);
}

static struct p2pkp_rx_verdicts *fam_counts(struct xsk_queue *q, int family)
{
	if (family == AF_INET)
		return &q->counts->fam[P2PKP_FAM_IPV4];
	if (family == AF_INET6)
		return &q->counts->fam[P2PKP_FAM_IPV6];
	return &q->counts->fam[P2PKP_FAM_OTHER];
}

/* The counter for a frame refused with err (P2PKP_FRAME_OK: a well-formed frame not for us). */
static __u64 *refusal(struct p2pkp_rx_verdicts *v, enum p2pkp_frame_err err, bool too_short)
{
	switch (err) {
	case P2PKP_FRAME_OK:
		return too_short ? &v->too_short : &v->wrong_port;
	case P2PKP_FRAME_BAD_IP_CSUM:
	case P2PKP_FRAME_BAD_UDP_CSUM:
	case P2PKP_FRAME_ZERO_UDP_CSUM:
		return &v->bad_csum;
	case P2PKP_FRAME_FRAGMENT:
		return &v->fragments;
	case P2PKP_FRAME_NOT_IP:
	case P2PKP_FRAME_NOT_UDP:
		return &v->wrong_port;
	default:
		return &v->malformed;
	}
}

/* Validates one frame into m; false if it is refused (the frame is then stashed). */
static bool rx_frame(struct xsk_transport *x, __u32 slot, const struct xdp_desc *d,
		     struct p2pkp_rx_msg *m)
{
	struct xsk_queue *q = &x->q[slot];
	__u8 *frame = xsk_umem__get_data(q->area, d->addr);
	struct p2pkp_frame_info fi;
	struct p2pkp_rx_verdicts *v;
	enum p2pkp_frame_err err;

	err = p2pkp_frame_parse(frame, d->len, &fi);
	if (err == P2PKP_FRAME_BAD_UDP_CSUM && x->veth && csum_deferred(&fi))
		err = P2PKP_FRAME_OK;
	v = fam_counts(q, fi.family);
	if (err != P2PKP_FRAME_OK || fi.dport != x->port || fi.payload_len < P2PKP_HDR_LEN) {
		/* The first refusal says why, for debugging; the rest are counted by reason. */
		if (!x->base.stats.rx_refused)
			pr_debug("%s: dropping a frame from queue %u: %s\n", x->base.ifname, q->qid,
				 err ? p2pkp_frame_strerror(err) : "not P2PKP");
		(*refusal(v, err, fi.dport == x->port))++;
		goto drop;
	}
	m->len = (__u32)fi.payload_len;
	m->src.family = fi.family;
	m->src.ip = fi.src;
	m->src.port = fi.sport;
	if ((uintptr_t)fi.payload & 7) {
		m->data = rx_realign(frame, &fi);
		v->realigned++;
		x->base.stats.rx_realigned++;
	} else {
		m->data = fi.payload;
	}
	m->cookie = (__u64)slot << 32 | d->addr;
	v->accepted++;
	return true;
drop:
	x->base.stats.rx_refused++;
	stash_frame(q, d->addr);
	return false;
}

/* Takes what the RX rings hold, without a system call. */
static __u32 rx_rings(struct xsk_transport *x, struct p2pkp_rx_msg *msgs, __u32 max)
{
	__u32 out = 0, k, slot, n, idx, i;

	for (k = 0; k < x->nq && out < max; k++) {
		slot = (x->next_q + k) % x->nq;
		n = xsk_ring_cons__peek(&x->q[slot].rx, max - out, &idx);
		for (i = 0; i < n; i++) {
			const struct xdp_desc *d = xsk_ring_cons__rx_desc(&x->q[slot].rx, idx + i);

			if (rx_frame(x, slot, d, &msgs[out])) {
				x->base.stats.rx_msgs++;
				x->base.stats.rx_bytes += msgs[out].len;
				out++;
			}
		}
		if (n)
			xsk_ring_cons__release(&x->q[slot].rx, n);
		p2pkp_xsk_refill(x, &x->q[slot]);
	}
	/* Start at the next queue next time, so one busy queue cannot starve the rest. */
	x->next_q = x->nq ? (x->next_q + 1) % x->nq : 0;
	return out;
}

static bool sock_check_due(struct xsk_transport *x)
{
	__u64 now = p2pkp_now_ns();

	if (now - x->sock_checked_ns < XSK_SOCK_CHECK_NS)
		return false;
	x->sock_checked_ns = now;
	return true;
}

static int xsk_rx_burst(struct p2pkp_transport *t, struct p2pkp_rx_msg *msgs, __u32 max,
			int timeout_ms)
{
	struct xsk_transport *x = to_xsk(t);
	long long deadline = timeout_ms > 0 ? p2pkp_now_ms() + timeout_ms : 0;
	bool sock_ready = false;
	__u32 n;
	int got, wait;

	if (p2pkp_now_ns() - x->kstats_ns >= XSK_KSTATS_NS)
		p2pkp_xsk_count_kernel_drops(x);
	for (;;) {
		n = rx_rings(x, msgs, max);
		/*
		 * The socket costs a system call: ask it when poll() said it has
		 * data, and every XSK_SOCK_CHECK_NS otherwise. Asking on every
		 * empty non-blocking call was 92 % of a sender's system calls, and
		 * every 64th call still 40 %; what the stack got (unsteered
		 * datagrams) can wait that long.
		 */
		if (n < max && (sock_ready || sock_check_due(x))) {
			got = p2pkp_udp_recv(&x->udp, msgs + n, max - n, &t->stats);
			if (got > 0)
				n += (__u32)got;
		}
		if (n || !timeout_ms)
			return (int)n;
		wait = timeout_ms;
		if (timeout_ms > 0) {
			wait = (int)(deadline - p2pkp_now_ms());
			if (wait <= 0)
				return 0;
		}
		t->stats.rx_wakeups++;
		x->pfds[x->nq].revents = 0;
		if (poll(x->pfds, x->nq + 1, wait) < 0 && errno != EINTR)
			return -errno;
		sock_ready = x->pfds[x->nq].revents & POLLIN;
	}
}

static void xsk_rx_release(struct p2pkp_transport *t, const struct p2pkp_rx_msg *msgs, __u32 n)
{
	struct xsk_transport *x = to_xsk(t);
	__u32 i, slot;

	for (i = 0; i < n; i++) {
		if (msgs[i].cookie & P2PKP_COOKIE_POOL) {
			p2pkp_udp_release(&x->udp, msgs[i].cookie);
			continue;
		}
		slot = (__u32)(msgs[i].cookie >> 32) & 0xffff;
		if (slot < x->nq)
			stash_frame(&x->q[slot], (__u32)msgs[i].cookie);
	}
	for (slot = 0; slot < x->nq; slot++)
		p2pkp_xsk_refill(x, &x->q[slot]);
}

/* --- TX ------------------------------------------------------------------------- */

static void reap(struct xsk_transport *x)
{
	struct xsk_queue *q = &x->q[0];
	__u32 idx = 0, n, i;

	n = xsk_ring_cons__peek(&q->comp, x->tx_frames, &idx);
	for (i = 0; i < n && x->tx_nfree < x->tx_frames; i++)
		x->tx_free[x->tx_nfree++] =
			frame_base(*xsk_ring_cons__comp_addr(&q->comp, idx + i));
	if (n)
		xsk_ring_cons__release(&q->comp, n);
}

static int xsk_tx_get(struct p2pkp_transport *t, struct p2pkp_tx_buf *buf)
{
	struct xsk_transport *x = to_xsk(t);
	__u64 base;

	if (!x->tx_nfree)
		reap(x);
	if (!x->tx_nfree)
		return -EAGAIN;
	base = x->tx_free[--x->tx_nfree];
	buf->data = xsk_umem__get_data(x->q[0].area, base + XSK_TX_PAYLOAD_OFF);
	buf->cap = x->tx_cap;
	buf->cookie = base;
	return 0;
}

static void xsk_tx_abandon(struct p2pkp_transport *t, struct p2pkp_tx_buf *buf)
{
	struct xsk_transport *x = to_xsk(t);

	if (x->tx_nfree < x->tx_frames)
		x->tx_free[x->tx_nfree++] = buf->cookie;
}

static struct path_entry *path_slot(struct xsk_transport *x, const struct p2pkp_addr *to)
{
	struct path_entry *e;
	__u32 i;

	for (i = 0; i < x->npaths; i++) {
		e = &x->paths[i];
		if (e->family == to->family &&
		    !memcmp(&e->ip, &to->ip,
			    to->family == AF_INET ? sizeof(to->ip.v4) : sizeof(to->ip.v6)))
			return e;
	}
	if (x->npaths < XSK_PATH_CACHE) {
		e = &x->paths[x->npaths++];
	} else {
		e = &x->paths[x->path_evict];
		x->path_evict = (x->path_evict + 1) % XSK_PATH_CACHE;
	}
	memset(e, 0, sizeof(*e));
	e->family = to->family;
	e->ip = to->ip;
	e->err = -EAGAIN; /* not resolved yet */
	return e;
}

/* The cached path to to, resolving it when new or when a failure is old enough. */
static int lookup_path(struct xsk_transport *x, const struct p2pkp_addr *to,
		       const struct p2pkp_peer_path **path)
{
	struct path_entry *e = path_slot(x, to);
	char err[P2PKP_WHY_LEN];
	bool first = e->err == -EAGAIN;
	long long now;
	int ret;

	if (!e->err) {
		*path = &e->path;
		return 0;
	}
	now = p2pkp_now_ms();
	if (!first && now < e->retry_at_ms)
		return e->err;
	ret = p2pkp_path_resolve(to->family, &to->ip, x->base.ifname, P2PKP_NEIGH_TIMEOUT_MS,
				 &e->path, err, sizeof(err));
	e->err = ret;
	if (ret) {
		/* One line per destination, not one per packet. */
		if (first)
			pr_warn("%s: %s\n", x->base.ifname, err);
		e->retry_at_ms = p2pkp_now_ms() + XSK_PATH_RETRY_MS;
		return ret;
	}
	*path = &e->path;
	return 0;
}

static __u32 xsk_tx_max_msg(const struct p2pkp_transport *t, const struct p2pkp_addr *to)
{
	__u32 room = XSK_FRAME_SIZE - XSK_TX_PAYLOAD_OFF;
	__u32 max = p2pkp_mtu_payload(t->mtu, to->family);

	return max < room ? max : room;
}

static int xsk_tx_put(struct p2pkp_transport *t, struct p2pkp_tx_buf *buf, __u32 len,
		      const struct p2pkp_addr *to)
{
	struct xsk_transport *x = to_xsk(t);
	const struct p2pkp_peer_path *path = NULL;
	size_t hlen = p2pkp_frame_hdr_len(to->family);
	struct xdp_desc *d;
	__u64 addr;
	__u32 idx;
	int flen, err;

	if (!hlen)
		return -EAFNOSUPPORT;
	if (len > xsk_tx_max_msg(t, to))
		return -EMSGSIZE;
	err = lookup_path(x, to, &path);
	if (err)
		return err;
	addr = buf->cookie + XSK_TX_PAYLOAD_OFF - hlen;
	flen = p2pkp_frame_build(xsk_umem__get_data(x->q[0].area, addr),
				 XSK_FRAME_SIZE - (XSK_TX_PAYLOAD_OFF - hlen), path, x->port,
				 to->port, x->ip_id++, len);
	if (flen < 0)
		return flen;
	/* The TX ring is as large as the TX frame set, so a lent frame always fits. */
	if (xsk_ring_prod__reserve(&x->q[0].tx, 1, &idx) != 1)
		return -EAGAIN;
	d = xsk_ring_prod__tx_desc(&x->q[0].tx, idx);
	d->addr = addr;
	d->len = (__u32)flen;
	d->options = 0;
	x->tx_queued++;
	x->tx_queued_bytes += len;
	return 0;
}

static bool tx_ring_drained(struct xsk_queue *q)
{
	return xsk_prod_nb_free(&q->tx, q->tx.size) == q->tx.size;
}

/* Kicks the kernel until it has taken the TX ring or a bounded number of tries. */
static int kick(struct xsk_transport *x)
{
	struct xsk_queue *q = &x->q[0];
	int tries;

	for (tries = 0; tries < XSK_KICK_RETRIES; tries++) {
		if (tries && tx_ring_drained(q))
			return 0;
		if (!xsk_ring_prod__needs_wakeup(&q->tx))
			return 0;
		x->base.stats.tx_kicks++;
		if (sendto(q->fd, NULL, 0, MSG_DONTWAIT, NULL, 0) >= 0) {
			/* Copy mode sends a bounded batch per call; more may be left. */
			if (tx_ring_drained(q))
				return 0;
			continue;
		}
		if (errno != EAGAIN && errno != EBUSY && errno != ENOBUFS && errno != EINTR)
			return -errno;
		/* A full completion ring stalls the kernel: make room. */
		reap(x);
	}
	return 0;
}

static int xsk_tx_flush(struct p2pkp_transport *t)
{
	struct xsk_transport *x = to_xsk(t);
	__u32 sent = x->tx_queued;
	int err;

	if (sent) {
		xsk_ring_prod__submit(&x->q[0].tx, sent);
		t->stats.tx_msgs += sent;
		t->stats.tx_bytes += x->tx_queued_bytes;
		x->tx_queued = 0;
		x->tx_queued_bytes = 0;
	}
	err = tx_ring_drained(&x->q[0]) ? 0 : kick(x);
	reap(x);
	return err ? err : (int)sent;
}

/* The kernel's counters of queue i; false when it has none. */
static bool queue_stats(const struct xsk_transport *x, __u32 i, struct xdp_statistics *ks,
			socklen_t *len)
{
	*len = sizeof(*ks);
	memset(ks, 0, sizeof(*ks));
	return x->q[i].fd >= 0 && !getsockopt(x->q[i].fd, SOL_XDP, XDP_STATISTICS, ks, len);
}

/*
 * Frames the kernel could not deliver to our rings (RX ring full, fill ring
 * empty, invalid descriptors) count as dropped; the frames we refuse do not (rx_refused).
 * Asked with every REPORT, so it stays quiet; p2pkp_xsk_log_drops() says it once.
 */
static void xsk_kernel_stats(const struct p2pkp_transport *t, struct p2pkp_transport_stats *st)
{
	const struct xsk_transport *x = (const struct xsk_transport *)t;
	struct xdp_statistics ks;
	socklen_t len;

	for (__u32 i = 0; i < x->nq; i++) {
		if (!queue_stats(x, i, &ks, &len))
			continue;
		/* rx_dropped already counts the fill-ring-empty drops of copy mode. */
		st->rx_dropped += ks.rx_dropped + ks.rx_invalid_descs;
		if (len >= offsetof(struct xdp_statistics, rx_ring_full) + sizeof(__u64))
			st->rx_dropped += ks.rx_ring_full;
	}
}

/* Adds now - seen to *sum and remembers now: the kernel's counters only grow. */
static void add_growth(__u64 *sum, __u64 *seen, __u64 now)
{
	if (now > *seen)
		*sum += now - *seen;
	*seen = now;
}

void p2pkp_xsk_count_kernel_drops(struct xsk_transport *x)
{
	struct xdp_statistics ks;
	struct xsk_queue *q;
	socklen_t len;

	x->kstats_ns = p2pkp_now_ns();
	for (__u32 i = 0; i < x->nq; i++) {
		q = &x->q[i];
		if (!queue_stats(x, i, &ks, &len))
			continue;
		add_growth(&q->counts->kernel_dropped, &q->kseen.rx_dropped, ks.rx_dropped);
		add_growth(&q->counts->kernel_invalid, &q->kseen.rx_invalid_descs,
			   ks.rx_invalid_descs);
		/* Zeroed by queue_stats() where the kernel has no such field. */
		add_growth(&q->counts->kernel_ring_full, &q->kseen.rx_ring_full, ks.rx_ring_full);
		add_growth(&q->counts->kernel_fill_empty, &q->kseen.rx_fill_ring_empty_descs,
			   ks.rx_fill_ring_empty_descs);
	}
}

void p2pkp_xsk_log_drops(const struct xsk_transport *x)
{
	struct xdp_statistics ks;
	socklen_t len;

	for (__u32 i = 0; i < x->nq; i++)
		if (queue_stats(x, i, &ks, &len))
			pr_debug("queue %u: kernel dropped %llu (invalid %llu, RX ring full %llu, "
				 "fill ring empty %llu)\n",
				 x->q[i].qid, (unsigned long long)ks.rx_dropped,
				 (unsigned long long)ks.rx_invalid_descs,
				 (unsigned long long)ks.rx_ring_full,
				 (unsigned long long)ks.rx_fill_ring_empty_descs);
}

void p2pkp_xsk_drain_tx(struct xsk_transport *x)
{
	long long deadline = p2pkp_now_ms() + XSK_DRAIN_MS;

	xsk_tx_flush(&x->base);
	while (x->tx_nfree < x->tx_frames && p2pkp_now_ms() < deadline) {
		kick(x);
		reap(x);
		if (x->tx_nfree < x->tx_frames)
			p2pkp_sleep_ns(NSEC_PER_MSEC);
	}
}

const struct p2pkp_transport_ops p2pkp_xsk_ops = {
	.name = "xdp",
	.close = p2pkp_xsk_close,
	.rx_burst = xsk_rx_burst,
	.rx_release = xsk_rx_release,
	.tx_get = xsk_tx_get,
	.tx_put = xsk_tx_put,
	.tx_abandon = xsk_tx_abandon,
	.tx_flush = xsk_tx_flush,
	.tx_max_msg = xsk_tx_max_msg,
	.kernel_stats = xsk_kernel_stats,
};
