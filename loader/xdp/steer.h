/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Attaching, finding and detaching the steering program on a device. The
 * program attached to the device is the source of truth: pins under
 * /sys/fs/bpf/p2pkp/<dev>/ are a convenience for bpftool, because a bpffs
 * mounted by `ip netns exec` lives only as long as that command.
 */
#ifndef P2PKP_STEER_H
#define P2PKP_STEER_H

#include <net/if.h>
#include <stdbool.h>
#include <xdp/libxdp.h>

#include "p2pkp_shared.h"
/* Also p2pkp_hook_lib_logging(), p2pkp_ifindex() and p2pkp_mode_name(). */
#include "xdp_prog.h"

#define P2PKP_PIN_ROOT "/sys/fs/bpf/p2pkp"

/* The steering program as found on a device, with its maps opened. */
struct p2pkp_steer_info {
	char ifname[IF_NAMESIZE];
	int ifindex;
	struct p2pkp_xdp_found prog; /* id, mode (native or skb), dispatcher or not, fd */
	struct p2pkp_steer_cfg cfg;
	int xsks_fd;
	int stats_fd;
	int rx_fd;
	int cfg_fd;
};

/*
 * Attach the steering program for UDP port port_host (host order) unless it
 * is attached already. *attached tells whether this call attached it. Fails
 * with -EEXIST if it is attached with another port (after a line saying
 * which; how to change it is the caller's to say).
 */
int p2pkp_steer_load(const char *ifname, __u16 port_host, enum xdp_attach_mode mode,
		     bool *attached);
/* Detach the steering program and remove its pins; -ENOENT if not attached. */
int p2pkp_steer_unload(const char *ifname);
/* Find the steering program on ifname: 0, -ENOENT if absent, other -errno. */
int p2pkp_steer_find(const char *ifname, struct p2pkp_steer_info *info);
void p2pkp_steer_info_close(struct p2pkp_steer_info *info);
/* Sum the per-CPU counters. */
int p2pkp_steer_read_stats(const struct p2pkp_steer_info *info, struct p2pkp_steer_stats *sum);
/*
 * Sum the AF_XDP sockets' counters over every RX queue; with no_socket
 * (P2PKP_MAX_QUEUES entries), also each queue's no_socket count.
 */
int p2pkp_steer_read_rx_stats(const struct p2pkp_steer_info *info, struct p2pkp_rx_stats *sum,
			      __u64 *no_socket);
/*
 * Map the rx_stats entries (P2PKP_MAX_QUEUES of them) for writing; NULL and
 * -errno in *err if the kernel refuses. The mapping outlives info.
 */
struct p2pkp_rx_stats *p2pkp_steer_map_rx_stats(const struct p2pkp_steer_info *info, int *err);
void p2pkp_steer_unmap_rx_stats(struct p2pkp_rx_stats *rx);
/* Pin the maps under P2PKP_PIN_ROOT/<dev>/, mounting bpffs when needed. */
int p2pkp_steer_pin(const struct p2pkp_steer_info *info);

/*
 * For the AF_XDP transport: find the steering program on ifname, loading it
 * first when it is absent and load is true (*attached then tells), and check
 * that it steers port_host. 0 with info open, or -errno with a one-line
 * reason in why and info closed.
 */
int p2pkp_steer_ensure(const char *ifname, __u16 port_host, bool load,
		       struct p2pkp_steer_info *info, bool *attached, char *why, size_t whylen);
/* Put the AF_XDP socket xsk_fd in the XSKMAP slot of RX queue qid; -errno and why on failure. */
int p2pkp_steer_map_socket(const struct p2pkp_steer_info *info, __u32 qid, int xsk_fd, char *why,
			   size_t whylen);

#endif /* P2PKP_STEER_H */
