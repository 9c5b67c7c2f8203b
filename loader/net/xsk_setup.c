// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The AF_XDP backend's set-up and teardown: one UMEM and socket per RX queue
 * served, each socket in the steering program's XSKMAP at its queue index,
 * TX frames on the first queue. A plain UDP socket bound to the same port
 * catches what the XDP program passes to the stack, and keeps the kernel
 * from answering our port with ICMP port-unreachable.
 */
#include <dirent.h>
#include <errno.h>
#include <linux/ethtool.h>
#include <linux/if_xdp.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "frame.h"
#include "log.h"
#include "p2pkp_shared.h"
#include "steer.h"
#include "xsk_priv.h"

/*
 * Per queue by default: RX deep enough to ride out the receiver being off the
 * CPU for ~20 ms at 400k frames/s (a socket's 16 MB buffer holds as much).
 */
#define XSK_DEFAULT_RX_FRAMES 8192
#define XSK_DEFAULT_TX_FRAMES 4096
#define XSK_MAX_FRAMES	      (1u << 18)
/* Kernel's XDP_PACKET_HEADROOM: RX data starts this far past frame + headroom. */
#define XSK_PACKET_HEADROOM 256

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
	x->own_counts = calloc(x->nq, sizeof(*x->own_counts));
	if (!x->q || !x->own_counts) {
		x->nq = 0; /* xsk_free() walks nq queues */
		snprintf(why, whylen, "out of memory");
		return -ENOMEM;
	}
	for (i = 0; i < x->nq; i++) {
		x->q[i].qid = x->base.opts.queue >= 0 ? (__u32)x->base.opts.queue : i;
		x->q[i].fd = -1;
		x->q[i].counts = &x->own_counts[i];
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
	p2pkp_xsk_refill(x, q);
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

/*
 * Count into the steering program's rx_stats, so `status` sees what the
 * sockets refused; without the mapping the counts stay ours alone.
 */
static void map_counts(struct xsk_transport *x, const struct p2pkp_steer_info *info)
{
	__u32 i;
	int err;

	x->rx_map = p2pkp_steer_map_rx_stats(info, &err);
	if (!x->rx_map) {
		pr_debug("%s: cannot map the socket counters: %s\n", x->base.ifname,
			 strerror(-err));
		return;
	}
	for (i = 0; i < x->nq; i++)
		x->q[i].counts = &x->rx_map[x->q[i].qid];
}

static void xsk_free(struct xsk_transport *x)
{
	__u32 i;

	p2pkp_xsk_count_kernel_drops(x);
	for (i = 0; i < x->nq; i++)
		queue_close(&x->q[i]);
	p2pkp_steer_unmap_rx_stats(x->rx_map);
	free(x->own_counts);
	if (x->steer_attached)
		p2pkp_steer_unload(x->base.ifname);
	p2pkp_udp_close(&x->udp);
	free(x->q);
	free(x->tx_free);
	free(x->pfds);
	free(x);
}

void p2pkp_xsk_close(struct p2pkp_transport *t)
{
	struct xsk_transport *x = to_xsk(t);

	p2pkp_xsk_log_drops(x);
	if (x->nq && x->q[0].xsk)
		p2pkp_xsk_drain_tx(x);
	xsk_free(x);
}

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
	int layout;

	if (frames && frames < XSK_MIN_FRAMES)
		frames = XSK_MIN_FRAMES;
	if (frames > XSK_MAX_FRAMES)
		frames = XSK_MAX_FRAMES;
	/* Ring sizes must be powers of two; each ring is as large as its frame set. */
	x->rx_frames = frames ? pow2_floor(frames / 2) : XSK_DEFAULT_RX_FRAMES;
	x->tx_frames = frames ? x->rx_frames : XSK_DEFAULT_TX_FRAMES;
	/*
	 * Headers of our family (IPv4 for either) end on an 8-byte boundary, so
	 * payloads land aligned; the other family's are moved (rx_realign()).
	 */
	layout = x->base.opts.family == AF_INET6 ? AF_INET6 : AF_INET;
	x->rx_headroom = (8 - (XSK_PACKET_HEADROOM + p2pkp_frame_hdr_len(layout)) % 8) % 8;
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
	err = p2pkp_transport_init_base(&x->base, &p2pkp_xsk_ops, opts, why, whylen);
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
		map_counts(x, &info);
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
