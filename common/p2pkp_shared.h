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

/* 2: verdicts per family, and the rx_stats map. */
#define P2PKP_STEER_CFG_VERSION 2

/*
 * The families every counter below is kept for, as indexes into their
 * arrays. OTHER is a frame that is not IP, or that ended before its
 * EtherType's header did: only passed or malformed.
 */
#define P2PKP_FAM_IPV4	0
#define P2PKP_FAM_IPV6	1
#define P2PKP_FAM_OTHER 2
#define P2PKP_NFAMS	3

/* One family's verdicts of the steering program. */
struct p2pkp_steer_verdicts {
	__u64 steered;	 /* redirected into an AF_XDP socket */
	__u64 passed;	 /* not P2PKP traffic: other protocol or port */
	__u64 too_short; /* to the P2PKP port, but shorter than a P2PKP header */
	__u64 fragments; /* IPv4/IPv6 fragments: never steered, the stack reassembles */
	__u64 no_socket; /* P2PKP datagram, but no socket bound on its RX queue */
	__u64 malformed; /* truncated or inconsistent L2/L3/L4 headers */
};
P2PKP_ASSERT_SIZE(struct p2pkp_steer_verdicts, 48);

/*
 * Per-CPU verdict counters. Every packet the program sees is counted exactly
 * once, in its family's field naming why it got its verdict.
 */
struct p2pkp_steer_stats {
	struct p2pkp_steer_verdicts fam[P2PKP_NFAMS];
};
P2PKP_ASSERT_SIZE(struct p2pkp_steer_stats, 144);

/*
 * What the AF_XDP socket of one RX queue did with one family's frames: each
 * frame it takes off its RX ring is counted once, as accepted or under the
 * reason it was refused (loader/net/xsk_transport.c).
 */
struct p2pkp_rx_verdicts {
	__u64 accepted;	  /* a P2PKP message, handed to the engine */
	__u64 realigned;  /* of those, moved to 8-byte alignment in their frame */
	__u64 malformed;  /* truncated or inconsistent headers */
	__u64 bad_csum;	  /* IPv4 header or UDP checksum wrong, or UDP checksum 0 over IPv6 */
	__u64 fragments;  /* an IP fragment */
	__u64 wrong_port; /* not UDP, or UDP to another port */
	__u64 too_short;  /* shorter than a P2PKP header */
};
P2PKP_ASSERT_SIZE(struct p2pkp_rx_verdicts, 56);

/*
 * One RX queue's entry of the rx_stats map (an mmapable array, one entry per
 * queue): the process whose AF_XDP socket serves the queue writes it through
 * its mapping, so `status` shows what the sockets refused beside what the
 * program steered. The counters add up over the program's life, across
 * processes. All fields are __u64: no padding.
 */
struct p2pkp_rx_stats {
	struct p2pkp_rx_verdicts fam[P2PKP_NFAMS];
	/* Frames the kernel could not put on the RX ring (XDP_STATISTICS), any family: */
	__u64 kernel_dropped;	 /* rx_dropped: no fill-ring frame to copy into, or too long */
	__u64 kernel_ring_full;	 /* rx_ring_full: the RX ring was full */
	__u64 kernel_fill_empty; /* rx_fill_ring_empty_descs: the fill ring was empty */
	__u64 kernel_invalid;	 /* rx_invalid_descs */
	/* Counted by the steering program: P2PKP datagrams on this queue while no socket was bound. */
	__u64 no_socket;
};
P2PKP_ASSERT_SIZE(struct p2pkp_rx_stats, 208);

/* Names of the program and its maps, as the kernel reports them. */
#define P2PKP_STEER_PROG_NAME "p2pkp_steer"
#define P2PKP_XSKS_MAP_NAME   "xsks"
#define P2PKP_STATS_MAP_NAME  "stats"
#define P2PKP_RX_MAP_NAME     "rx_stats"

#endif /* P2PKP_SHARED_H */
