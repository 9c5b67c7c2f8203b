/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Ethernet + IPv4/IPv6 + UDP headers, built and parsed in place.
 *
 * The sender lays out each UMEM frame as [headers][UDP payload]: it writes the
 * payload at p2pkp_frame_hdr_len(family) and then calls p2pkp_frame_build*()
 * to fill in the headers in front of it. Nothing here allocates; everything
 * is safe to call per packet.
 *
 * Internet checksums: a "sum" (__u32) is the ones'-complement sum of the
 * data's big-endian 16-bit words, held as a host integer and not yet folded
 * or complemented. Sums of separate pieces add with p2pkp_csum_add(); only
 * the last piece of a run may have odd length.
 */
#ifndef P2PKP_FRAME_H
#define P2PKP_FRAME_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#include "netpath.h"

#define P2PKP_ETH_HLEN	14
#define P2PKP_IPV4_HLEN 20
#define P2PKP_IPV6_HLEN 40
#define P2PKP_UDP_HLEN	8
#define P2PKP_IP_TTL	64 /* TTL and IPv6 hop limit of built frames */

/* Largest UDP payload a built frame may carry (the IP length fields bound it). */
#define P2PKP_FRAME_MAX_PAYLOAD_V4 (0xffff - P2PKP_IPV4_HLEN - P2PKP_UDP_HLEN)
#define P2PKP_FRAME_MAX_PAYLOAD_V6 (0xffff - P2PKP_UDP_HLEN)

/* --- checksums ------------------------------------------------------------ */

/* Adds the big-endian 16-bit words of buf to sum (odd tail padded with 0). */
__u32 p2pkp_csum_partial(const void *buf, size_t len, __u32 sum);
/* Ones'-complement addition of two sums. */
__u32 p2pkp_csum_add(__u32 a, __u32 b);
/* Folds a sum to 16 bits, host order, not complemented. */
__u16 p2pkp_csum_fold(__u32 sum);
/* Folds and complements: the value to store in a checksum field. */
__be16 p2pkp_csum_finish(__u32 sum);
/* Sums of the UDP/TCP pseudo-headers; len is the L4 length, host order. */
__u32 p2pkp_csum_pseudo_v4(__be32 saddr, __be32 daddr, __u8 proto, __u32 len);
__u32 p2pkp_csum_pseudo_v6(const struct in6_addr *saddr, const struct in6_addr *daddr, __u8 proto,
			   __u32 len);

/* --- building --------------------------------------------------------------- */

/* Bytes of Ethernet + IP + UDP header for family: 42, 62, or 0 if unknown. */
size_t p2pkp_frame_hdr_len(int family);

/*
 * Writes the headers of a frame from path->src to path->dst, ports in host
 * order, in front of the payload_len payload bytes already at
 * frame + p2pkp_frame_hdr_len(path->family). IPv4: IHL 5, DF, TTL 64, the
 * given id, header checksum. IPv6: hop limit 64, no flow label. The UDP
 * checksum is computed over pseudo-header, header and payload (0 is sent as
 * 0xffff). Returns the frame length, -EAFNOSUPPORT for a bad family, or
 * -EMSGSIZE if the frame does not fit cap or the IP length fields.
 */
int p2pkp_frame_build(void *frame, size_t cap, const struct p2pkp_peer_path *path, __u16 sport,
		      __u16 dport, __u16 ip_id, size_t payload_len);

/*
 * As p2pkp_frame_build(), with payload_sum = p2pkp_csum_partial(payload,
 * payload_len, 0) computed once by the caller and reused, e.g. for the same
 * payload sent to many receivers. The payload itself is not read.
 */
int p2pkp_frame_build_sum(void *frame, size_t cap, const struct p2pkp_peer_path *path, __u16 sport,
			  __u16 dport, __u16 ip_id, size_t payload_len, __u32 payload_sum);

/* --- parsing ---------------------------------------------------------------- */

/* Why a received frame was rejected; 0 means accepted. */
enum p2pkp_frame_err {
	P2PKP_FRAME_OK = 0,
	P2PKP_FRAME_TRUNC_ETH,	   /* shorter than the Ethernet/VLAN header */
	P2PKP_FRAME_NOT_IP,	   /* EtherType neither IPv4 nor IPv6 */
	P2PKP_FRAME_TRUNC_IP,	   /* shorter than the IP header (+ extension headers) */
	P2PKP_FRAME_BAD_VERSION,   /* IP version field disagrees with the EtherType */
	P2PKP_FRAME_BAD_IHL,	   /* IPv4 IHL < 5 */
	P2PKP_FRAME_BAD_IP_LEN,	   /* IP length field inconsistent with the frame */
	P2PKP_FRAME_BAD_IP_CSUM,   /* IPv4 header checksum wrong */
	P2PKP_FRAME_FRAGMENT,	   /* IPv4/IPv6 fragment */
	P2PKP_FRAME_NOT_UDP,	   /* transport protocol is not UDP */
	P2PKP_FRAME_TRUNC_UDP,	   /* IP payload shorter than a UDP header */
	P2PKP_FRAME_BAD_UDP_LEN,   /* UDP length < 8 or beyond the IP payload */
	P2PKP_FRAME_BAD_UDP_CSUM,  /* UDP checksum wrong (info is still filled) */
	P2PKP_FRAME_ZERO_UDP_CSUM, /* UDP checksum 0 over IPv6 (info is still filled) */
	P2PKP_FRAME_ERR_MAX,
};

/* What p2pkp_frame_parse() found; addresses and ports are those on the wire. */
struct p2pkp_frame_info {
	int family; /* AF_INET or AF_INET6 as the EtherType says, even on error; else 0 */
	union p2pkp_inaddr src, dst;
	__u16 sport, dport; /* host order */
	__u16 vlan_id;	    /* outermost VLAN ID, 0 if untagged */
	bool csum_zero;	    /* IPv4 datagram sent without UDP checksum */
	bool csum_valid;    /* UDP checksum verified, or csum_zero */
	const __u8 *payload;
	size_t payload_len; /* from the UDP length field, Ethernet padding excluded */
};

/*
 * Validates a received Ethernet frame (up to two VLAN tags; IPv4 with options;
 * IPv6 with hop-by-hop, routing and destination-options headers) carrying an
 * unfragmented UDP datagram, and verifies the IPv4 header and UDP checksums.
 * Returns P2PKP_FRAME_OK, or the first problem found.
 */
enum p2pkp_frame_err p2pkp_frame_parse(const void *frame, size_t len,
				       struct p2pkp_frame_info *info);

/* A short description of err, for logs and counters. */
const char *p2pkp_frame_strerror(enum p2pkp_frame_err err);

#endif /* P2PKP_FRAME_H */
