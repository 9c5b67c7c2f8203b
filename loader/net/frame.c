// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Frame headers for the AF_XDP data path. Headers sit at unaligned offsets
 * (IP at 14), so they are assembled in aligned locals and copied with
 * memcpy(): no unaligned loads or stores, no allocation.
 */
#include <errno.h>
#include <string.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/udp.h>

#include "frame.h"
#include "p2pkp_shared.h"

#define IP4_DF	     0x4000
#define IP4_MF	     0x2000
#define IP4_OFFMASK  0x1fff
#define CSUM_ALL_ONE 0xffff

/* --- checksums ------------------------------------------------------------ */

__u32 p2pkp_csum_add(__u32 a, __u32 b)
{
	__u32 r = a + b;

	return r + (r < a); /* end-around carry */
}

__u16 p2pkp_csum_fold(__u32 sum)
{
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (__u16)sum;
}

__be16 p2pkp_csum_finish(__u32 sum)
{
	return htons((__u16)~p2pkp_csum_fold(sum));
}

/*
 * Sums native-order 32-bit words into 64 bits and swaps at the end: the
 * ones'-complement sum is byte-order independent up to a final byte swap
 * (RFC 1071, 2.(B)), so this equals the big-endian word sum.
 */
__u32 p2pkp_csum_partial(const void *buf, size_t len, __u32 sum)
{
	const __u8 *p = buf;
	__u64 acc = 0;
	__u32 w32;
	__u16 w16 = 0;

	for (; len >= 4; p += 4, len -= 4) {
		memcpy(&w32, p, 4);
		acc += w32;
	}
	if (len >= 2) {
		memcpy(&w16, p, 2);
		acc += w16;
		p += 2;
		len -= 2;
	}
	if (len) {
		w16 = 0;
		memcpy(&w16, p, 1); /* the odd byte is the high byte of a zero-padded word */
		acc += w16;
	}
	acc = (acc & 0xffffffff) + (acc >> 32);
	acc = (acc & 0xffffffff) + (acc >> 32);
	return p2pkp_csum_add(sum, ntohs(p2pkp_csum_fold((__u32)acc)));
}

__u32 p2pkp_csum_pseudo_v4(__be32 saddr, __be32 daddr, __u8 proto, __u32 len)
{
	__u32 sum = p2pkp_csum_partial(&saddr, sizeof(saddr), 0);

	sum = p2pkp_csum_partial(&daddr, sizeof(daddr), sum);
	sum = p2pkp_csum_add(sum, proto);
	sum = p2pkp_csum_add(sum, len >> 16);
	return p2pkp_csum_add(sum, len & 0xffff);
}

__u32 p2pkp_csum_pseudo_v6(const struct in6_addr *saddr, const struct in6_addr *daddr, __u8 proto,
			   __u32 len)
{
	__u32 sum = p2pkp_csum_partial(saddr, sizeof(*saddr), 0);

	sum = p2pkp_csum_partial(daddr, sizeof(*daddr), sum);
	sum = p2pkp_csum_add(sum, proto);
	sum = p2pkp_csum_add(sum, len >> 16);
	return p2pkp_csum_add(sum, len & 0xffff);
}

/* --- building --------------------------------------------------------------- */

size_t p2pkp_frame_hdr_len(int family)
{
	switch (family) {
	case AF_INET:
		return P2PKP_ETH_HLEN + P2PKP_IPV4_HLEN + P2PKP_UDP_HLEN;
	case AF_INET6:
		return P2PKP_ETH_HLEN + P2PKP_IPV6_HLEN + P2PKP_UDP_HLEN;
	default:
		return 0;
	}
}

/* Checks that headers + payload fit both the buffer and the IP length fields. */
static int frame_check_size(int family, size_t cap, size_t payload_len)
{
	size_t hdr_len = p2pkp_frame_hdr_len(family);
	size_t max = family == AF_INET ? P2PKP_FRAME_MAX_PAYLOAD_V4 : P2PKP_FRAME_MAX_PAYLOAD_V6;

	if (!hdr_len)
		return -EAFNOSUPPORT;
	if (payload_len > max || cap < hdr_len || cap - hdr_len < payload_len)
		return -EMSGSIZE;
	return 0;
}

static void write_eth(__u8 *f, const struct p2pkp_peer_path *path, __u16 proto)
{
	__be16 type = htons(proto);

	memcpy(f, path->dst_mac, P2PKP_ETH_ALEN);
	memcpy(f + P2PKP_ETH_ALEN, path->src_mac, P2PKP_ETH_ALEN);
	memcpy(f + 2 * P2PKP_ETH_ALEN, &type, sizeof(type));
}

static void write_ipv4(__u8 *f, const struct p2pkp_peer_path *path, __u16 ip_id, __u16 udp_len)
{
	struct iphdr ip = {
		.version = 4,
		.ihl = P2PKP_IPV4_HLEN / 4,
		.tot_len = htons(P2PKP_IPV4_HLEN + udp_len),
		.id = htons(ip_id),
		.frag_off = htons(IP4_DF),
		.ttl = P2PKP_IP_TTL,
		.protocol = IPPROTO_UDP,
		.saddr = path->src.v4.s_addr,
		.daddr = path->dst.v4.s_addr,
	};

	ip.check = p2pkp_csum_finish(p2pkp_csum_partial(&ip, sizeof(ip), 0));
	memcpy(f, &ip, sizeof(ip));
}

static void write_ipv6(__u8 *f, const struct p2pkp_peer_path *path, __u16 udp_len)
{
	struct ipv6hdr ip6 = {
		.version = 6,
		.payload_len = htons(udp_len),
		.nexthdr = IPPROTO_UDP,
		.hop_limit = P2PKP_IP_TTL,
	};

	memcpy(&ip6.saddr, &path->src.v6, sizeof(ip6.saddr));
	memcpy(&ip6.daddr, &path->dst.v6, sizeof(ip6.daddr));
	memcpy(f, &ip6, sizeof(ip6));
}

static void write_udp(__u8 *f, const struct p2pkp_peer_path *path, __u16 sport, __u16 dport,
		      __u16 udp_len, __u32 payload_sum)
{
	struct udphdr udp = {
		.source = htons(sport),
		.dest = htons(dport),
		.len = htons(udp_len),
	};
	__u32 sum;

	if (path->family == AF_INET)
		sum = p2pkp_csum_pseudo_v4(path->src.v4.s_addr, path->dst.v4.s_addr, IPPROTO_UDP,
					   udp_len);
	else
		sum = p2pkp_csum_pseudo_v6(&path->src.v6, &path->dst.v6, IPPROTO_UDP, udp_len);
	sum = p2pkp_csum_partial(&udp, sizeof(udp), sum);
	udp.check = p2pkp_csum_finish(p2pkp_csum_add(sum, payload_sum));
	if (!udp.check)
		udp.check = htons(CSUM_ALL_ONE); /* 0 means "no checksum" on the wire */
	memcpy(f, &udp, sizeof(udp));
}

int p2pkp_frame_build_sum(void *frame, size_t cap, const struct p2pkp_peer_path *path, __u16 sport,
			  __u16 dport, __u16 ip_id, size_t payload_len, __u32 payload_sum)
{
	__u16 udp_len = (__u16)(P2PKP_UDP_HLEN + payload_len);
	__u8 *f = frame;
	int err;

	err = frame_check_size(path->family, cap, payload_len);
	if (err)
		return err;

	if (path->family == AF_INET) {
		write_eth(f, path, ETH_P_IP);
		write_ipv4(f + P2PKP_ETH_HLEN, path, ip_id, udp_len);
	} else {
		write_eth(f, path, ETH_P_IPV6);
		write_ipv6(f + P2PKP_ETH_HLEN, path, udp_len);
	}
	write_udp(f + p2pkp_frame_hdr_len(path->family) - P2PKP_UDP_HLEN, path, sport, dport,
		  udp_len, payload_sum);
	return (int)(p2pkp_frame_hdr_len(path->family) + payload_len);
}

int p2pkp_frame_build(void *frame, size_t cap, const struct p2pkp_peer_path *path, __u16 sport,
		      __u16 dport, __u16 ip_id, size_t payload_len)
{
	const __u8 *payload = (const __u8 *)frame + p2pkp_frame_hdr_len(path->family);
	int err;

	err = frame_check_size(path->family, cap, payload_len);
	if (err)
		return err;
	return p2pkp_frame_build_sum(frame, cap, path, sport, dport, ip_id, payload_len,
				     p2pkp_csum_partial(payload, payload_len, 0));
}

/* --- parsing ---------------------------------------------------------------- */

static const char *const frame_errs[P2PKP_FRAME_ERR_MAX] = {
	[P2PKP_FRAME_OK] = "ok",
	[P2PKP_FRAME_TRUNC_ETH] = "truncated Ethernet header",
	[P2PKP_FRAME_NOT_IP] = "not IPv4 or IPv6",
	[P2PKP_FRAME_TRUNC_IP] = "truncated IP packet",
	[P2PKP_FRAME_BAD_VERSION] = "IP version does not match EtherType",
	[P2PKP_FRAME_BAD_IHL] = "bad IPv4 header length",
	[P2PKP_FRAME_BAD_IP_LEN] = "bad IP total length",
	[P2PKP_FRAME_BAD_IP_CSUM] = "bad IPv4 header checksum",
	[P2PKP_FRAME_FRAGMENT] = "IP fragment",
	[P2PKP_FRAME_NOT_UDP] = "not UDP",
	[P2PKP_FRAME_TRUNC_UDP] = "truncated UDP header",
	[P2PKP_FRAME_BAD_UDP_LEN] = "bad UDP length",
	[P2PKP_FRAME_BAD_UDP_CSUM] = "bad UDP checksum",
	[P2PKP_FRAME_ZERO_UDP_CSUM] = "zero UDP checksum over IPv6",
};

const char *p2pkp_frame_strerror(enum p2pkp_frame_err err)
{
	if ((unsigned int)err >= P2PKP_FRAME_ERR_MAX)
		return "unknown frame error";
	return frame_errs[err];
}

static __u16 load_be16(const __u8 *p)
{
	return (__u16)(p[0] << 8 | p[1]);
}

/* Skips the Ethernet header and VLAN tags; *proto is the inner EtherType. */
static enum p2pkp_frame_err parse_eth(const __u8 *f, size_t len, size_t *off, __u16 *proto,
				      __u16 *vlan_id)
{
	size_t o = 2 * P2PKP_ETH_ALEN;
	int i;

	if (len < P2PKP_ETH_HLEN)
		return P2PKP_FRAME_TRUNC_ETH;
	*proto = load_be16(f + o);
	o += 2;
	for (i = 0; i < P2PKP_MAX_VLAN_TAGS && (*proto == ETH_P_8021Q || *proto == ETH_P_8021AD);
	     i++) {
		if (len - o < 4)
			return P2PKP_FRAME_TRUNC_ETH;
		if (!i)
			*vlan_id = load_be16(f + o) & 0x0fff;
		*proto = load_be16(f + o + 2);
		o += 4;
	}
	*off = o;
	return P2PKP_FRAME_OK;
}

/* Validates an IPv4 header; *l4 and *l4_len describe the IP payload. */
static enum p2pkp_frame_err parse_ipv4(const __u8 *p, size_t len, struct p2pkp_frame_info *info,
				       const __u8 **l4, size_t *l4_len)
{
	struct iphdr ip;
	size_t ihl, tot;
	__u16 frag;

	if (len < sizeof(ip))
		return P2PKP_FRAME_TRUNC_IP;
	memcpy(&ip, p, sizeof(ip));
	if (ip.version != 4)
		return P2PKP_FRAME_BAD_VERSION;
	ihl = ip.ihl * 4u;
	if (ihl < sizeof(ip))
		return P2PKP_FRAME_BAD_IHL;
	if (ihl > len)
		return P2PKP_FRAME_TRUNC_IP;
	tot = ntohs(ip.tot_len);
	if (tot < ihl)
		return P2PKP_FRAME_BAD_IP_LEN;
	if (tot > len)
		return P2PKP_FRAME_TRUNC_IP;
	if (p2pkp_csum_fold(p2pkp_csum_partial(p, ihl, 0)) != CSUM_ALL_ONE)
		return P2PKP_FRAME_BAD_IP_CSUM;
	frag = ntohs(ip.frag_off);
	if (frag & (IP4_MF | IP4_OFFMASK))
		return P2PKP_FRAME_FRAGMENT;
	if (ip.protocol != IPPROTO_UDP)
		return P2PKP_FRAME_NOT_UDP;

	info->family = AF_INET;
	info->src.v4.s_addr = ip.saddr;
	info->dst.v4.s_addr = ip.daddr;
	*l4 = p + ihl;
	*l4_len = tot - ihl; /* beyond tot is Ethernet padding */
	return P2PKP_FRAME_OK;
}

/* Validates an IPv6 header and walks the extension headers up to UDP. */
static enum p2pkp_frame_err parse_ipv6(const __u8 *p, size_t len, struct p2pkp_frame_info *info,
				       const __u8 **l4, size_t *l4_len)
{
	struct ipv6hdr ip6;
	size_t end, off = sizeof(ip6), ext_len;
	__u8 nh;
	int i;

	if (len < sizeof(ip6))
		return P2PKP_FRAME_TRUNC_IP;
	memcpy(&ip6, p, sizeof(ip6));
	if (ip6.version != 6)
		return P2PKP_FRAME_BAD_VERSION;
	end = sizeof(ip6) + ntohs(ip6.payload_len);
	if (end > len)
		return P2PKP_FRAME_TRUNC_IP;

	nh = ip6.nexthdr;
	for (i = 0; i < P2PKP_MAX_IPV6_EXT_HDRS && nh != IPPROTO_UDP; i++) {
		if (nh == IPPROTO_FRAGMENT)
			return P2PKP_FRAME_FRAGMENT;
		if (nh != IPPROTO_HOPOPTS && nh != IPPROTO_ROUTING && nh != IPPROTO_DSTOPTS)
			return P2PKP_FRAME_NOT_UDP;
		if (end - off < 2)
			return P2PKP_FRAME_TRUNC_IP;
		ext_len = (p[off + 1] + 1u) * 8;
		if (end - off < ext_len)
			return P2PKP_FRAME_TRUNC_IP;
		nh = p[off];
		off += ext_len;
	}
	if (nh != IPPROTO_UDP)
		return P2PKP_FRAME_NOT_UDP;

	info->family = AF_INET6;
	memcpy(&info->src.v6, &ip6.saddr, sizeof(info->src.v6));
	memcpy(&info->dst.v6, &ip6.daddr, sizeof(info->dst.v6));
	*l4 = p + off;
	*l4_len = end - off;
	return P2PKP_FRAME_OK;
}

static enum p2pkp_frame_err parse_udp(const __u8 *p, size_t len, struct p2pkp_frame_info *info)
{
	struct udphdr udp;
	size_t ulen;
	__u32 sum;

	if (len < sizeof(udp))
		return P2PKP_FRAME_TRUNC_UDP;
	memcpy(&udp, p, sizeof(udp));
	ulen = ntohs(udp.len);
	if (ulen < sizeof(udp) || ulen > len)
		return P2PKP_FRAME_BAD_UDP_LEN;

	info->sport = ntohs(udp.source);
	info->dport = ntohs(udp.dest);
	info->payload = p + sizeof(udp);
	info->payload_len = ulen - sizeof(udp);

	if (!udp.check) {
		if (info->family == AF_INET6)
			return P2PKP_FRAME_ZERO_UDP_CSUM;
		info->csum_zero = true;
		info->csum_valid = true;
		return P2PKP_FRAME_OK;
	}
	if (info->family == AF_INET)
		sum = p2pkp_csum_pseudo_v4(info->src.v4.s_addr, info->dst.v4.s_addr, IPPROTO_UDP,
					   ulen);
	else
		sum = p2pkp_csum_pseudo_v6(&info->src.v6, &info->dst.v6, IPPROTO_UDP, ulen);
	sum = p2pkp_csum_partial(p, ulen, sum);
	if (p2pkp_csum_fold(sum) != CSUM_ALL_ONE)
		return P2PKP_FRAME_BAD_UDP_CSUM;
	info->csum_valid = true;
	return P2PKP_FRAME_OK;
}

enum p2pkp_frame_err p2pkp_frame_parse(const void *frame, size_t len, struct p2pkp_frame_info *info)
{
	const __u8 *f = frame, *l4 = NULL;
	size_t off = 0, l4_len = 0;
	enum p2pkp_frame_err err;
	__u16 proto = 0;

	memset(info, 0, sizeof(*info));
	err = parse_eth(f, len, &off, &proto, &info->vlan_id);
	if (err)
		return err;
	/* The family is known from here on, also for a frame refused below. */
	if (proto == ETH_P_IP) {
		info->family = AF_INET;
		err = parse_ipv4(f + off, len - off, info, &l4, &l4_len);
	} else if (proto == ETH_P_IPV6) {
		info->family = AF_INET6;
		err = parse_ipv6(f + off, len - off, info, &l4, &l4_len);
	} else {
		err = P2PKP_FRAME_NOT_IP;
	}
	if (err)
		return err;
	return parse_udp(l4, l4_len, info);
}
