/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * p2pkp-fault: attaching, finding and reading the fault-injection XDP program
 * (bpf/p2pkp_fault.bpf.c). The program attached to the device is the only
 * state: its .rodata holds the configuration, its maps the counters.
 */
#ifndef P2PKP_FAULT_H
#define P2PKP_FAULT_H

#include <linux/types.h>
#include <net/if.h>
#include <stdbool.h>

#include "p2pkp_shared.h" /* P2PKP_FAULT_F_*, shared with the program */
#include "xdp_prog.h"

#define FAULT_PROG_NAME	   "p2pkp_fault"
#define FAULT_STATS_MAP	   "fault_stats"
#define FAULT_RNG_MAP	   "fault_rng"
#define FAULT_PPM	   1000000U
#define FAULT_MAX_COUNTERS 16

/* Which packets the faults apply to (--match). */
enum fault_match {
	FAULT_MATCH_P2PKP, /* UDP to port, at least one P2PKP header long */
	FAULT_MATCH_IP,	   /* every IPv4/IPv6 packet, any protocol; loss only */
};

struct fault_params {
	enum fault_match match;
	__u16 port; /* host order; not used by FAULT_MATCH_IP */
	__u32 drop_ppm;
	__u32 corrupt_ppm;
	__u32 flags; /* P2PKP_FAULT_F_* */
	__u64 seed;
};

/* The fault program as found on a device. */
struct fault_info {
	char ifname[IF_NAMESIZE];
	int ifindex;
	struct p2pkp_xdp_found prog; /* also attached_id: the program there when not ours */
	struct fault_params params;
	int stats_fd;
	int rodata_fd;
	int rng_fd;
};

/* Counters summed over CPUs, named after the members of the program's struct. */
struct fault_counters {
	unsigned int n;
	char names[FAULT_MAX_COUNTERS][32];
	__u64 values[FAULT_MAX_COUNTERS];
};

/*
 * Attach the program with params to ifname (mode XDP_MODE_UNSPEC tries
 * native, then skb), replacing an earlier fault
 * program there (*replaced tells). Refuses, with one message, to replace any
 * other XDP program.
 */
int fault_load(const char *ifname, const struct fault_params *params, enum xdp_attach_mode mode,
	       bool *replaced);
/* Detach the fault program; -ENOENT (after a message) if it is not attached. */
int fault_unload(const char *ifname);
/* Find the fault program on ifname: 0, -ENOENT if absent, other -errno. */
int fault_find(const char *ifname, struct fault_info *info);
void fault_info_close(struct fault_info *info);
int fault_read_counters(const struct fault_info *info, struct fault_counters *out);

#endif /* P2PKP_FAULT_H */
