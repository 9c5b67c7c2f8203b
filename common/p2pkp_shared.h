/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Every type shared by the XDP program and userspace lives here: fixed-width,
 * explicitly padded, size-checked. Fields that hold wire data carry the byte
 * order in their type (__be16/__be32/__be64); everything else is host order.
 */
#ifndef P2PKP_SHARED_H
#define P2PKP_SHARED_H

#include <linux/types.h>

#ifndef __cplusplus
#define P2PKP_ASSERT_SIZE(type, size)                                                              \
	_Static_assert(sizeof(type) == (size), #type " must be " #size " bytes")
#endif

/* UDP port the steering program matches when none is given (host order). */
#define P2PKP_DEFAULT_PORT 7471
/* Largest RX queue index an XSKMAP slot exists for. */
#define P2PKP_MAX_QUEUES 256

/*
 * How far every header walk goes, in the XDP programs and in user space
 * (frame.c, the relay's classifier), so that all of them agree on which
 * frames are P2PKP datagrams: up to two VLAN tags (802.1ad outer, 802.1Q
 * inner), and up to four IPv6 HOPOPTS/ROUTING/DSTOPTS extension headers.
 * Four is what the BPF walk can afford: the loop is unrolled and each pass
 * adds a variable offset the verifier must track; user space walked eight
 * before, but a frame with more than four is never steered to it.
 */
#define P2PKP_MAX_VLAN_TAGS	2
#define P2PKP_MAX_IPV6_EXT_HDRS 4

/* fault_flags of the fault-injection program (bpf/p2pkp_fault.bpf.c, tools/p2pkp-fault). */
#define P2PKP_FAULT_F_FIX_CSUM 1U /* recompute the UDP checksum after corrupting */

/* The fixed P2PKP message header (docs/protocol.md), network byte order. */
struct p2pkp_hdr {
	__be64 linkid;	/* session: one transfer from one sender */
	__be32 msgid;	/* request/response matching */
	__be16 command; /* bit 15 set on responses */
	__be16 length;	/* logical message length, header included */
};
P2PKP_ASSERT_SIZE(struct p2pkp_hdr, 16);

#define P2PKP_HDR_LEN ((__u32)sizeof(struct p2pkp_hdr))

/*
 * Load-time configuration of the steering program. It is the only variable in
 * the program's .rodata, so the .rodata map's value is exactly this struct and
 * `status` can read it back from the attached program.
 */
struct p2pkp_steer_cfg {
	__be16 port;   /* UDP destination port to steer, network byte order */
	__u16 min_len; /* smallest UDP payload steered; shorter is counted and passed */
	__u32 version; /* P2PKP_STEER_CFG_VERSION: layout of this struct */
};
P2PKP_ASSERT_SIZE(struct p2pkp_steer_cfg, 8);

#define P2PKP_STEER_CFG_VERSION 1

/*
 * Per-CPU verdict counters. Every packet the program sees is counted exactly
 * once, in the field naming why it got its verdict.
 */
struct p2pkp_steer_stats {
	__u64 steered;	 /* redirected into an AF_XDP socket */
	__u64 passed;	 /* not P2PKP traffic: other protocol or port */
	__u64 too_short; /* to the P2PKP port, but shorter than a P2PKP header */
	__u64 fragments; /* IPv4/IPv6 fragments: never steered, the stack reassembles */
	__u64 no_socket; /* P2PKP datagram, but no socket bound on its RX queue */
	__u64 malformed; /* truncated or inconsistent L2/L3/L4 headers */
};
P2PKP_ASSERT_SIZE(struct p2pkp_steer_stats, 48);

/* Names of the program and its maps, as the kernel reports them. */
#define P2PKP_STEER_PROG_NAME "p2pkp_steer"
#define P2PKP_XSKS_MAP_NAME   "xsks"
#define P2PKP_STATS_MAP_NAME  "stats"

#endif /* P2PKP_SHARED_H */
