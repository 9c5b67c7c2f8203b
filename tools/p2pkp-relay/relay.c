// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The relay loop: one AF_PACKET socket per device, each frame read on one
 * device is written to the other. Sockets carry a virtio_net_hdr
 * (PACKET_VNET_HDR) so that GSO super-frames and frames whose checksum the
 * sender left to "hardware" cross the relay exactly as they would cross a
 * cable: the kernel segments and finishes them on the way out.
 *
 * Loops are impossible by construction: PACKET_IGNORE_OUTGOING hides our own
 * transmissions from our sockets, and frames only ever go from one device to
 * the other.
 */
#include <arpa/inet.h>
#include <endian.h>
#include <errno.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <linux/virtio_net.h>
#include <net/if.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "cli.h"
#include "frame.h" /* the Internet checksum */
#include "log.h"
#include "relay.h"

#define VNET_HLEN   sizeof(struct virtio_net_hdr)
#define MAX_FRAME   (VNET_HLEN + 65536)
#define MAX_HELD    256
#define SOCK_BUF    (8 << 20)
#define POLL_MAX_MS 100

#ifndef PACKET_IGNORE_OUTGOING
#define PACKET_IGNORE_OUTGOING 23
#endif

/* A frame held back for reordering. */
struct held {
	__u8 *buf; /* vnet header + frame */
	size_t len;
	int out;		/* index of the device it goes out on */
	unsigned int countdown; /* later frames in its direction still to pass it */
	__u64 deadline_ns;
};

struct relay {
	const struct relay_params *p;
	struct relay_counters *c;
	int fd[2];
	int ifindex[2];
	__u64 rng;
	struct held held[MAX_HELD];
	unsigned int n_held;
	__u8 *buf;
};

static __u64 splitmix64(__u64 *state)
{
	__u64 z = (*state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* --- sockets ---------------------------------------------------------------- */

static int set_int_opt(int fd, int level, int name, int val, const char *what, const char *dev)
{
	if (setsockopt(fd, level, name, &val, sizeof(val))) {
		pr_warn("%s: cannot set %s: %s\n", dev, what, strerror(errno));
		return -errno;
	}
	return 0;
}

static void grow_buffers(int fd)
{
	int sz = SOCK_BUF;

	/* FORCE needs CAP_NET_ADMIN, which we have; the plain one is a fallback. */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &sz, sizeof(sz)))
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &sz, sizeof(sz)))
		setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
}

static int open_port(const char *dev, int ifindex)
{
	struct sockaddr_ll sll = {
		.sll_family = AF_PACKET,
		.sll_protocol = htons(ETH_P_ALL),
		.sll_ifindex = ifindex,
	};
	struct packet_mreq mr = {.mr_ifindex = ifindex, .mr_type = PACKET_MR_PROMISC};
	int fd, err;

	/* Protocol 0: nothing is queued from any device until bind() picks one. */
	fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		err = -errno;
		pr_warn("%s: cannot open a packet socket: %s\n", dev, strerror(errno));
		return err;
	}
	err = set_int_opt(fd, SOL_PACKET, PACKET_VNET_HDR, 1, "PACKET_VNET_HDR", dev);
	if (!err)
		err = set_int_opt(fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, 1,
				  "PACKET_IGNORE_OUTGOING", dev);
	if (err)
		goto out_close;
	/* Frames addressed to the far side must reach us on a real NIC too. */
	if (setsockopt(fd, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mr, sizeof(mr))) {
		err = -errno;
		pr_warn("%s: cannot enter promiscuous mode: %s\n", dev, strerror(errno));
		goto out_close;
	}
	grow_buffers(fd);
	if (bind(fd, (struct sockaddr *)&sll, sizeof(sll))) {
		err = -errno;
		pr_warn("%s: cannot bind a packet socket: %s\n", dev, strerror(errno));
		goto out_close;
	}
	return fd;
out_close:
	close(fd);
	return err;
}

static int open_ports(struct relay *r)
{
	int i, fd;

	for (i = 0; i < 2; i++) {
		r->ifindex[i] = (int)if_nametoindex(r->p->dev[i]);
		if (!r->ifindex[i]) {
			pr_warn("no such device: %s\n", r->p->dev[i]);
			return -ENODEV;
		}
	}
	if (r->ifindex[0] == r->ifindex[1]) {
		pr_warn("%s: the two devices must differ\n", r->p->dev[0]);
		return -EINVAL;
	}
	for (i = 0; i < 2; i++) {
		fd = open_port(r->p->dev[i], r->ifindex[i]);
		if (fd < 0)
			return fd;
		r->fd[i] = fd;
	}
	return 0;
}

static void close_ports(struct relay *r)
{
	struct tpacket_stats st;
	socklen_t len;
	int i;

	for (i = 0; i < 2; i++) {
		if (r->fd[i] < 0)
			continue;
		len = sizeof(st);
		if (!getsockopt(r->fd[i], SOL_PACKET, PACKET_STATISTICS, &st, &len))
			r->c->kernel_drops += st.tp_drops;
		close(r->fd[i]);
		r->fd[i] = -1;
	}
}

/* --- forwarding ------------------------------------------------------------- */

/*
 * --finish-csum: do what the sender's NIC would have done. A frame whose
 * checksum was left to offload carries only the pseudo-header sum in the
 * checksum field; sum from csum_start (that field included), store the
 * result, and let the receiver verify it like any frame off a cable.
 * GSO frames are left to the kernel, which finishes each segment.
 */
static void finish_csum(__u8 *buf, size_t len)
{
	struct virtio_net_hdr *vh = (struct virtio_net_hdr *)buf;
	size_t start = le16toh(vh->csum_start), field;
	__u8 *f = buf + VNET_HLEN;
	__u16 csum;

	if (!(vh->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) || vh->gso_type != VIRTIO_NET_HDR_GSO_NONE)
		return;
	len -= VNET_HLEN;
	field = start + le16toh(vh->csum_offset);
	if (start >= len || field + 2 > len)
		return;
	csum = (__u16)~p2pkp_csum_fold(p2pkp_csum_partial(f + start, len - start, 0));
	/* As skb_checksum_help(): a computed zero goes out as 0xffff. */
	if (!csum)
		csum = 0xffff;
	f[field] = csum >> 8;
	f[field + 1] = csum & 0xff;
	vh->flags &= ~VIRTIO_NET_HDR_F_NEEDS_CSUM;
}

static void send_frame(struct relay *r, int out, const __u8 *buf, size_t len)
{
	/* The socket is bound to its device: no address needed. */
	if (send(r->fd[out], buf, len, 0) == (ssize_t)len)
		r->c->tx++;
	else
		r->c->tx_errors++;
}

static void release(struct relay *r, unsigned int i)
{
	struct held *h = &r->held[i];

	send_frame(r, h->out, h->buf, h->len);
	free(h->buf);
	/* Order among held frames does not matter: each has its own countdown. */
	r->held[i] = r->held[--r->n_held];
}

static bool hold(struct relay *r, int out, const __u8 *buf, size_t len)
{
	struct held *h;

	if (r->n_held == MAX_HELD)
		return false;
	h = &r->held[r->n_held];
	h->buf = malloc(len);
	if (!h->buf)
		return false;
	memcpy(h->buf, buf, len);
	h->len = len;
	h->out = out;
	h->countdown = r->p->reorder_depth;
	h->deadline_ns = p2pkp_now_ns() + r->p->reorder_timeout_ms * NSEC_PER_MSEC;
	r->n_held++;
	return true;
}

/* A P2PKP frame went out on out: held frames for that direction move up. */
static void passed_by(struct relay *r, int out)
{
	unsigned int i = 0;

	while (i < r->n_held) {
		struct held *h = &r->held[i];

		if (h->out == out && --h->countdown == 0) {
			release(r, i);
			continue; /* slot i now holds another frame */
		}
		i++;
	}
}

static void release_expired(struct relay *r)
{
	__u64 now = p2pkp_now_ns();
	unsigned int i = 0;

	while (i < r->n_held) {
		if (r->held[i].deadline_ns <= now) {
			r->c->released_by_timeout++;
			release(r, i);
			continue;
		}
		i++;
	}
}

static void release_all(struct relay *r)
{
	while (r->n_held)
		release(r, r->n_held - 1);
}

static bool subject_to_faults(const struct relay *r, int in)
{
	switch (r->p->direction) {
	case RELAY_FORWARD:
		return in == 0;
	case RELAY_REVERSE:
		return in == 1;
	default:
		return true;
	}
}

/* One draw per P2PKP frame, sliced: drop, duplicate, reorder, pass. */
static void forward_p2pkp(struct relay *r, int out, const __u8 *buf, size_t len)
{
	const struct relay_params *p = r->p;
	__u32 slot = (__u32)(((splitmix64(&r->rng) & 0xffffffffULL) * RELAY_PPM) >> 32);

	r->c->p2pkp++;
	if (slot < p->drop_ppm) {
		r->c->dropped++;
		return;
	}
	slot -= p->drop_ppm;
	if (slot < p->dup_ppm) {
		send_frame(r, out, buf, len);
		send_frame(r, out, buf, len);
		r->c->duplicated++;
	} else if (slot - p->dup_ppm < p->reorder_ppm) {
		if (hold(r, out, buf, len)) {
			r->c->reordered++;
			return; /* not passed by anything yet */
		}
		r->c->hold_full++;
		send_frame(r, out, buf, len);
	} else {
		send_frame(r, out, buf, len);
		r->c->forwarded++;
	}
	passed_by(r, out);
}

/* Reads what is queued on device in (bounded) and forwards it. */
static void drain(struct relay *r, int in)
{
	int out = !in, budget = 256;
	struct sockaddr_ll from;
	socklen_t flen;
	ssize_t n;

	while (budget-- > 0) {
		flen = sizeof(from);
		n = recvfrom(r->fd[in], r->buf, MAX_FRAME, MSG_DONTWAIT, (struct sockaddr *)&from,
			     &flen);
		if (n < 0)
			return;
		/* Belt and braces next to PACKET_IGNORE_OUTGOING. */
		if (from.sll_pkttype == PACKET_OUTGOING || (size_t)n <= VNET_HLEN)
			continue;
		r->c->rx[in]++;
		if (r->p->finish_csum)
			finish_csum(r->buf, (size_t)n);
		if (subject_to_faults(r, in) &&
		    relay_is_p2pkp(r->buf + VNET_HLEN, (size_t)n - VNET_HLEN, r->p->port)) {
			forward_p2pkp(r, out, r->buf, (size_t)n);
		} else {
			r->c->other++;
			send_frame(r, out, r->buf, (size_t)n);
		}
	}
}

/*
 * A device going down reports an error on its socket; reading SO_ERROR
 * clears it. Only a device that is gone ends the relay.
 */
static bool port_failed(struct relay *r, int i)
{
	socklen_t len = sizeof(int);
	int soerr = 0;

	getsockopt(r->fd[i], SOL_SOCKET, SO_ERROR, &soerr, &len);
	if (if_nametoindex(r->p->dev[i]) == (unsigned int)r->ifindex[i]) {
		pr_debug("%s: %s\n", r->p->dev[i], strerror(soerr));
		return false;
	}
	pr_warn("%s: device went away\n", r->p->dev[i]);
	return true;
}

/* Milliseconds poll() may sleep: until the next hold deadline or the end. */
static int poll_timeout(const struct relay *r, __u64 end_ns)
{
	__u64 now = p2pkp_now_ns(), until = now + POLL_MAX_MS * NSEC_PER_MSEC;
	unsigned int i;

	for (i = 0; i < r->n_held; i++)
		if (r->held[i].deadline_ns < until)
			until = r->held[i].deadline_ns;
	if (end_ns && end_ns < until)
		until = end_ns;
	return until <= now ? 0 : (int)((until - now + NSEC_PER_MSEC - 1) / NSEC_PER_MSEC);
}

static int loop(struct relay *r)
{
	__u64 end_ns = r->p->duration_s ? p2pkp_now_ns() + r->p->duration_s * NSEC_PER_SEC : 0;
	struct pollfd pfd[2] = {{.fd = r->fd[0], .events = POLLIN},
				{.fd = r->fd[1], .events = POLLIN}};
	int i;

	while (!p2pkp_stop_requested && (!end_ns || p2pkp_now_ns() < end_ns)) {
		pfd[0].revents = pfd[1].revents = 0;
		if (poll(pfd, 2, poll_timeout(r, end_ns)) < 0 && errno != EINTR) {
			pr_warn("poll: %s\n", strerror(errno));
			return -errno;
		}
		for (i = 0; i < 2; i++)
			if (pfd[i].revents & POLLIN)
				drain(r, i);
		for (i = 0; i < 2; i++)
			if ((pfd[i].revents & (POLLERR | POLLHUP | POLLNVAL)) && port_failed(r, i))
				return -ENODEV;
		release_expired(r);
	}
	return 0;
}

int relay_run(const struct relay_params *p, struct relay_counters *c)
{
	struct relay r = {.p = p, .c = c, .fd = {-1, -1}, .rng = p->seed};
	int err;

	memset(c, 0, sizeof(*c));
	r.buf = malloc(MAX_FRAME);
	if (!r.buf)
		return -ENOMEM;
	err = open_ports(&r);
	if (err)
		goto out;
	pr_info("relaying between %s and %s\n", p->dev[0], p->dev[1]);
	err = loop(&r);
	/* Nothing stays stuck: what is still held goes out before we stop. */
	release_all(&r);
out:
	close_ports(&r);
	free(r.buf);
	return err;
}
