// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The AF_XDP backend: one UMEM and socket per RX queue served, each socket in
 * the steering program's XSKMAP at its queue index. Received frames are
 * validated and handed out in place; transmitted frames get their headers
 * built in front of the message the engine wrote. A plain UDP socket bound to
 * the same port catches what the XDP program passes to the stack, and keeps
 * the kernel from answering our port with ICMP port-unreachable.
 */
#include <dirent.h>
#include <errno.h>
#include <linux/ethtool.h>
#include <linux/if_xdp.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <poll.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <xdp/xsk.h>

#include "clock.h"
#include "frame.h"
#include "log.h"
#include "netpath.h"
#include "steer.h"
#include "transport_priv.h"
#include "udp_sock.h"

#define XSK_FRAME_SIZE 4096 /* one page: what copy mode and most drivers want */
/*
 * Per queue by default: RX deep enough to ride out the receiver being off the
 * CPU for ~20 ms at 400k frames/s (a socket's 16 MB buffer holds as much).
 */
#define XSK_DEFAULT_RX_FRAMES 8192
#define XSK_DEFAULT_TX_FRAMES 4096
#define XSK_MIN_FRAMES	      64
#define XSK_MAX_FRAMES	      (1u << 18)
/* Kernel's XDP_PACKET_HEADROOM: RX data starts this far past frame + headroom. */
#define XSK_PACKET_HEADROOM 256
/* TX messages start here in their frame: 8-aligned, room for 62 bytes of headers. */
#define XSK_TX_PAYLOAD_OFF 64
/* How many times one flush kicks while the kernel answers EAGAIN/EBUSY. */
#define XSK_KICK_RETRIES 64
/* Without poll() saying so, the UDP socket is asked this often, so it cannot starve. */
#define XSK_SOCK_CHECK_NS (50 * NSEC_PER_MSEC)
#define XSK_PATH_CACHE	  64
#define XSK_PATH_RETRY_MS 1000
/* Bound on draining TX at close. */
#define XSK_DRAIN_MS 200

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
	struct p2pkp_udp udp; /* slow path, and scratch buffers for misaligned payloads */
	struct xsk_queue *q;
	__u32 nq;
	__u32 rx_frames, tx_frames; /* per queue; TX frames only on q[0] */
	__u32 rx_headroom;
	__u16 port; /* bound UDP port: steered port, and source port of what we send */
	bool steer_attached;
	bool veth; /* checksums of local senders may be left to an offload that never runs */
	__u64 sock_checked_ns; /* when the UDP socket was last asked */
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

static struct xsk_transport *to_xsk(struct p2pkp_transport *t)
{
	return (struct xsk_transport *)t;
}

static __u64 frame_base(__u64 addr)
{
	return addr & ~(__u64)(XSK_FRAME_SIZE - 1);
}

/* --- RX ------------------------------------------------------------------------ */

static void refill(struct xsk_transport *x, struct xsk_queue *q)
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

/* Copies a misaligned payload (IPv4 options, odd VLAN stacks) into an aligned pool buffer. */
static bool rx_copy(struct xsk_transport *x, const struct p2pkp_frame_info *fi,
		    struct p2pkp_rx_msg *m)
{
	long idx;
	__u8 *buf;

	if (fi->payload_len > x->udp.rx.buf_size)
		return false;
	idx = p2pkp_bufpool_get(&x->udp.rx);
	if (idx < 0)
		return false;
	buf = p2pkp_bufpool_buf(&x->udp.rx, (__u32)idx);
	memcpy(buf, fi->payload, fi->payload_len);
	m->data = buf;
	m->cookie = P2PKP_COOKIE_POOL | (__u64)idx;
	x->base.stats.rx_copied++;
	return true;
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

/* Validates one frame into m; false if it is dropped (the frame is then stashed). */
static bool rx_frame(struct xsk_transport *x, __u32 slot, const struct xdp_desc *d,
		     struct p2pkp_rx_msg *m)
{
	struct xsk_queue *q = &x->q[slot];
	const __u8 *frame = xsk_umem__get_data(q->area, d->addr);
	struct p2pkp_frame_info fi;
	enum p2pkp_frame_err err;

	err = p2pkp_frame_parse(frame, d->len, &fi);
	if (err == P2PKP_FRAME_BAD_UDP_CSUM && x->veth && csum_deferred(&fi))
		err = P2PKP_FRAME_OK;
	if (err != P2PKP_FRAME_OK || fi.dport != x->port || fi.payload_len < P2PKP_HDR_LEN) {
		/* The first drop says why, for debugging; the rest are only counted. */
		if (!x->base.stats.rx_dropped)
			pr_debug("%s: dropping a frame from queue %u: %s\n", x->base.ifname, q->qid,
				 err ? p2pkp_frame_strerror(err) : "not P2PKP");
		goto drop;
	}
	m->len = (__u32)fi.payload_len;
	m->src.family = fi.family;
	m->src.ip = fi.src;
	m->src.port = fi.sport;
	if (!((uintptr_t)fi.payload & 7)) {
		m->data = fi.payload;
		m->cookie = (__u64)slot << 32 | d->addr;
		return true;
	}
	if (!rx_copy(x, &fi, m))
		goto drop;
	stash_frame(q, d->addr);
	return true;
drop:
	x->base.stats.rx_dropped++;
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
		refill(x, &x->q[slot]);
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
		refill(x, &x->q[slot]);
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

/*
 * Frames the kernel could not deliver to our rings (RX ring full, fill ring
 * empty, invalid descriptors) count as dropped, like the frames we reject.
 */
static void xsk_kernel_stats(const struct p2pkp_transport *t, struct p2pkp_transport_stats *st)
{
	const struct xsk_transport *x = (const struct xsk_transport *)t;
	struct xdp_statistics ks;
	socklen_t len;
	__u32 i;

	for (i = 0; i < x->nq; i++) {
		len = sizeof(ks);
		memset(&ks, 0, sizeof(ks));
		if (x->q[i].fd < 0 || getsockopt(x->q[i].fd, SOL_XDP, XDP_STATISTICS, &ks, &len))
			continue;
		pr_debug(
			"queue %u: kernel dropped %llu (invalid %llu, RX ring full %llu, fill ring "
			"empty %llu)\n",
			x->q[i].qid, (unsigned long long)ks.rx_dropped,
			(unsigned long long)ks.rx_invalid_descs,
			(unsigned long long)ks.rx_ring_full,
			(unsigned long long)ks.rx_fill_ring_empty_descs);
		/* rx_dropped already counts the fill-ring-empty drops of copy mode. */
		st->rx_dropped += ks.rx_dropped + ks.rx_invalid_descs;
		if (len >= offsetof(struct xdp_statistics, rx_ring_full) + sizeof(__u64))
			st->rx_dropped += ks.rx_ring_full;
	}
}

/* --- set-up and teardown --------------------------------------------------------- */

static __u32 count_rx_queues_sysfs(const char *ifname)
{
	char path[64 + IF_NAMESIZE];
	struct dirent *de;
	__u32 n = 0;
	DIR *d;

	snprintf(path, sizeof(path), "/sys/class/net/%s/queues", ifname);
	d = opendir(path);
	if (!d)
		return 0;
	while ((de = readdir(d)))
		if (!strncmp(de->d_name, "rx-", 3))
			n++;
	closedir(d);
	return n;
}

static __u32 count_rx_queues_ethtool(const char *ifname)
{
	struct ethtool_channels ch = {.cmd = ETHTOOL_GCHANNELS};
	struct ifreq ifr = {0};
	__u32 n = 0;
	int fd;

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return 0;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	ifr.ifr_data = (void *)&ch;
	if (!ioctl(fd, SIOCETHTOOL, &ifr))
		n = ch.rx_count + ch.combined_count;
	close(fd);
	return n;
}

static bool is_veth(const char *ifname)
{
	struct ethtool_drvinfo info = {.cmd = ETHTOOL_GDRVINFO};
	struct ifreq ifr = {0};
	bool veth = false;
	int fd;

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return false;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	ifr.ifr_data = (void *)&info;
	if (!ioctl(fd, SIOCETHTOOL, &ifr))
		veth = !strcmp(info.driver, "veth");
	close(fd);
	return veth;
}

/* Queues to serve: opts.queue alone, or every RX queue of the device. */
static int pick_queues(struct xsk_transport *x, char *why, size_t whylen)
{
	__u32 n = count_rx_queues_sysfs(x->base.ifname), i;

	if (!n)
		n = count_rx_queues_ethtool(x->base.ifname);
	if (!n)
		n = 1;
	if (n > P2PKP_MAX_QUEUES)
		n = P2PKP_MAX_QUEUES;
	if (x->base.opts.queue >= 0 && (__u32)x->base.opts.queue >= n) {
		snprintf(why, whylen, "device has %u RX queues, no queue %d", n,
			 x->base.opts.queue);
		return -EINVAL;
	}
	x->nq = x->base.opts.queue >= 0 ? 1 : n;
	x->q = calloc(x->nq, sizeof(*x->q));
	if (!x->q) {
		snprintf(why, whylen, "out of memory");
		return -ENOMEM;
	}
	for (i = 0; i < x->nq; i++) {
		x->q[i].qid = x->base.opts.queue >= 0 ? (__u32)x->base.opts.queue : i;
		x->q[i].fd = -1;
	}
	return 0;
}

static void queue_close(struct xsk_queue *q)
{
	if (q->xsk)
		xsk_socket__delete(q->xsk);
	if (q->umem)
		xsk_umem__delete(q->umem);
	if (q->area)
		munmap(q->area, q->area_len);
	free(q->stash);
	q->xsk = NULL;
	q->umem = NULL;
	q->area = NULL;
	q->stash = NULL;
	q->fd = -1;
}

/* Kernel 6.17 and later: copy mode sends more than 32 frames per kick when asked. */
#ifndef XDP_MAX_TX_SKB_BUDGET
#define XDP_MAX_TX_SKB_BUDGET 9
#endif
#define TX_SKB_BUDGET 1024

static void raise_tx_budget(struct xsk_queue *q)
{
	unsigned int budget = TX_SKB_BUDGET;

	if (setsockopt(q->fd, SOL_XDP, XDP_MAX_TX_SKB_BUDGET, &budget, sizeof(budget)))
		pr_debug("queue %u: TX budget stays at 32 per kick (%s)\n", q->qid,
			 strerror(errno));
}

static int queue_socket(struct xsk_transport *x, struct xsk_queue *q, bool with_tx,
			__u16 bind_flags)
{
	struct xsk_umem_config ucfg = {
		.fill_size = x->rx_frames,
		.comp_size = with_tx ? x->tx_frames : XSK_MIN_FRAMES,
		.frame_size = XSK_FRAME_SIZE,
		.frame_headroom = x->rx_headroom,
		.flags = 0,
	};
	struct xsk_socket_config scfg = {
		.rx_size = x->rx_frames,
		.tx_size = with_tx ? x->tx_frames : 0,
		.libxdp_flags = XSK_LIBXDP_FLAGS__INHIBIT_PROG_LOAD,
		.xdp_flags = 0,
		.bind_flags = bind_flags | XDP_USE_NEED_WAKEUP,
	};
	int err;

	q->area_len = (size_t)(x->rx_frames + (with_tx ? x->tx_frames : 0)) * XSK_FRAME_SIZE;
	q->area =
		mmap(NULL, q->area_len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (q->area == MAP_FAILED) {
		q->area = NULL;
		return -errno;
	}
	err = xsk_umem__create(&q->umem, q->area, q->area_len, &q->fill, &q->comp, &ucfg);
	if (err)
		return err;
	err = xsk_socket__create(&q->xsk, x->base.ifname, q->qid, q->umem, &q->rx,
				 with_tx ? &q->tx : NULL, &scfg);
	if (err)
		return err;
	q->fd = xsk_socket__fd(q->xsk);
	if (with_tx)
		raise_tx_budget(q);
	return 0;
}

static int queue_open(struct xsk_transport *x, struct xsk_queue *q, bool with_tx, char *why,
		      size_t whylen)
{
	__u64 i;
	int err = -EOPNOTSUPP;

	if (x->base.opts.zerocopy) {
		err = queue_socket(x, q, with_tx, XDP_ZEROCOPY);
		if (err) {
			pr_debug("%s: queue %u: zero-copy refused (%s); using copy mode\n",
				 x->base.ifname, q->qid, strerror(-err));
			queue_close(q);
		}
	}
	if (err)
		err = queue_socket(x, q, with_tx, XDP_COPY);
	if (err) {
		snprintf(why, whylen, "cannot bind an AF_XDP socket to queue %u: %s", q->qid,
			 strerror(-err));
		goto err_close;
	}
	q->stash = calloc(2 * (size_t)x->rx_frames, sizeof(*q->stash));
	if (!q->stash) {
		err = -ENOMEM;
		snprintf(why, whylen, "out of memory");
		goto err_close;
	}
	/* Every RX frame starts in the fill ring. */
	for (i = 0; i < x->rx_frames; i++)
		q->stash[q->nstash++] = i * XSK_FRAME_SIZE;
	refill(x, q);
	return 0;

err_close:
	queue_close(q);
	return err;
}

/* Before touching the device: can this process make AF_XDP sockets at all? */
static int probe_af_xdp(char *why, size_t whylen)
{
	int fd = socket(AF_XDP, SOCK_RAW | SOCK_CLOEXEC, 0), err;

	if (fd >= 0) {
		close(fd);
		return 0;
	}
	err = errno;
	if (err == EPERM || err == EACCES)
		snprintf(why, whylen, "no permission for AF_XDP sockets: needs CAP_NET_RAW");
	else if (err == EAFNOSUPPORT)
		snprintf(why, whylen, "the kernel has no AF_XDP support");
	else
		snprintf(why, whylen, "cannot create an AF_XDP socket: %s", strerror(err));
	return -err;
}

static int map_sockets(struct xsk_transport *x, const struct p2pkp_steer_info *info, char *why,
		       size_t whylen)
{
	__u32 i;
	int err;

	for (i = 0; i < x->nq; i++) {
		err = p2pkp_steer_map_socket(info, x->q[i].qid, x->q[i].fd, why, whylen);
		if (err)
			return err;
	}
	return 0;
}

static void drain_tx(struct xsk_transport *x)
{
	long long deadline = p2pkp_now_ms() + XSK_DRAIN_MS;

	xsk_tx_flush(&x->base);
	while (x->tx_nfree < x->tx_frames && p2pkp_now_ms() < deadline) {
		kick(x);
		reap(x);
		if (x->tx_nfree < x->tx_frames)
			usleep(1000);
	}
}

static void xsk_free(struct xsk_transport *x)
{
	__u32 i;

	for (i = 0; i < x->nq; i++)
		queue_close(&x->q[i]);
	if (x->steer_attached)
		p2pkp_steer_unload(x->base.ifname);
	p2pkp_udp_close(&x->udp);
	free(x->q);
	free(x->tx_free);
	free(x->pfds);
	free(x);
}

static void xsk_close(struct p2pkp_transport *t)
{
	struct xsk_transport *x = to_xsk(t);

	if (x->nq && x->q[0].xsk)
		drain_tx(x);
	xsk_free(x);
}

static const struct p2pkp_transport_ops xsk_ops = {
	.name = "xdp",
	.close = xsk_close,
	.rx_burst = xsk_rx_burst,
	.rx_release = xsk_rx_release,
	.tx_get = xsk_tx_get,
	.tx_put = xsk_tx_put,
	.tx_abandon = xsk_tx_abandon,
	.tx_flush = xsk_tx_flush,
	.tx_max_msg = xsk_tx_max_msg,
	.kernel_stats = xsk_kernel_stats,
};

static __u32 pow2_floor(__u32 v)
{
	__u32 p = 1;

	while (p <= v / 2)
		p *= 2;
	return p;
}

static void size_frames(struct xsk_transport *x)
{
	__u32 frames = x->base.opts.frames;

	if (frames && frames < XSK_MIN_FRAMES)
		frames = XSK_MIN_FRAMES;
	if (frames > XSK_MAX_FRAMES)
		frames = XSK_MAX_FRAMES;
	/* Ring sizes must be powers of two; each ring is as large as its frame set. */
	x->rx_frames = frames ? pow2_floor(frames / 2) : XSK_DEFAULT_RX_FRAMES;
	x->tx_frames = frames ? x->rx_frames : XSK_DEFAULT_TX_FRAMES;
	/* Headers of our family end on an 8-byte boundary, so payloads land aligned. */
	x->rx_headroom =
		(8 - (XSK_PACKET_HEADROOM + p2pkp_frame_hdr_len(x->base.opts.family)) % 8) % 8;
}

static int setup_tx(struct xsk_transport *x, char *why, size_t whylen)
{
	__u32 i;

	x->tx_free = calloc(x->tx_frames, sizeof(*x->tx_free));
	x->pfds = calloc(x->nq + 1, sizeof(*x->pfds));
	if (!x->tx_free || !x->pfds) {
		snprintf(why, whylen, "out of memory");
		return -ENOMEM;
	}
	for (i = 0; i < x->tx_frames; i++)
		x->tx_free[i] = (__u64)(x->rx_frames + x->tx_frames - 1 - i) * XSK_FRAME_SIZE;
	x->tx_nfree = x->tx_frames;
	x->tx_cap = p2pkp_mtu_payload(x->base.mtu, x->base.opts.family);
	if (x->tx_cap > XSK_FRAME_SIZE - XSK_TX_PAYLOAD_OFF)
		x->tx_cap = XSK_FRAME_SIZE - XSK_TX_PAYLOAD_OFF;
	for (i = 0; i < x->nq; i++)
		x->pfds[i] = (struct pollfd){.fd = x->q[i].fd, .events = POLLIN};
	x->pfds[x->nq] = (struct pollfd){.fd = x->udp.fd, .events = POLLIN};
	return 0;
}

int p2pkp_xsk_open(const struct p2pkp_transport_opts *opts, struct p2pkp_transport **out, char *why,
		   size_t whylen)
{
	struct p2pkp_steer_info info = {.xsks_fd = -1};
	struct xsk_transport *x;
	bool steering = opts->port != 0;
	__u32 i;
	int err;

	if (!opts->ifname) {
		snprintf(why, whylen, "no device given");
		return -EINVAL;
	}
	x = calloc(1, sizeof(*x));
	if (!x) {
		snprintf(why, whylen, "out of memory");
		return -ENOMEM;
	}
	x->udp.fd = -1;
	err = p2pkp_transport_init_base(&x->base, &xsk_ops, opts, why, whylen);
	if (err)
		goto err_free;
	err = probe_af_xdp(why, whylen);
	if (err)
		goto err_free;
	size_frames(x);
	x->veth = is_veth(x->base.ifname);
	/* Scratch and slow-path buffers: a frame's worth each. */
	err = p2pkp_udp_open(&x->udp, opts->family, opts->port, XSK_MIN_FRAMES * 4, XSK_FRAME_SIZE,
			     why, whylen);
	if (err)
		goto err_free;
	x->port = x->udp.port;
	err = pick_queues(x, why, whylen);
	if (err)
		goto err_free;
	/* Without a fixed port nothing is steered to us: TX only, replies come by the socket. */
	if (steering) {
		err = p2pkp_steer_ensure(x->base.ifname, x->port, x->base.opts.load_steering, &info,
					 &x->steer_attached, why, whylen);
		if (err)
			goto err_free;
	}
	for (i = 0; i < x->nq; i++) {
		err = queue_open(x, &x->q[i], i == 0, why, whylen);
		if (err)
			goto err_close_info;
	}
	if (steering) {
		err = map_sockets(x, &info, why, whylen);
		if (err)
			goto err_close_info;
		p2pkp_steer_info_close(&info);
	}
	err = setup_tx(x, why, whylen);
	if (err)
		goto err_free;
	x->base.local.port = x->port;
	/* Per RX ring; half, because frames held for writing are out of the fill ring. */
	x->base.rx_depth = x->rx_frames / 2;
	*out = &x->base;
	return 0;

err_close_info:
	if (steering)
		p2pkp_steer_info_close(&info);
err_free:
	xsk_free(x); /* unloads the steering program if we loaded it */
	return err;
}
