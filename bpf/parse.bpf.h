/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Header parsing shared by the XDP programs: Ethernet with up to two VLAN
 * tags, IPv4 with options, IPv6 with up to four HOPOPTS/ROUTING/DSTOPTS
 * extension headers, then UDP. Each step says why a walk ended early, and the
 * programs map that onto their own verdicts and counters.
 */
#ifndef P2PKP_PARSE_BPF_H
#define P2PKP_PARSE_BPF_H

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/udp.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#define IPV4_MF	    0x2000
#define IPV4_OFFSET 0x1fff

/* Why a walk ended before the UDP payload. */
enum parse_result {
	PARSE_OK,	 /* the cursor moved on to the next header */
	PARSE_OTHER,	 /* well formed, but not UDP to the port: somebody else's packet */
	PARSE_FRAGMENT,	 /* an IP fragment: its payload is not a whole datagram */
	PARSE_MALFORMED, /* truncated, or lengths that contradict each other */
};

struct cursor {
	void *pos;
	void *end;    /* always data_end: the verifier bounds packet access by it */
	__u32 l4_len; /* bytes the IP header says follow pos */
};

struct vlan_tag {
	__be16 tci;
	__be16 encap_proto;
};

struct ipv6_ext {
	__u8 nexthdr;
	__u8 hdrlen; /* in 8-byte units, not counting the first 8 bytes */
};

static __always_inline void cursor_init(struct cursor *c, struct xdp_md *ctx)
{
	c->pos = (void *)(long)ctx->data;
	c->end = (void *)(long)ctx->data_end;
	c->l4_len = 0;
}

/*
 * A 16-bit length field in host order, provably below 65536: the 6.1 and
 * 6.12 verifiers leave the result of a byte swap unbounded, and then refuse
 * to add it to a packet pointer. The mask must survive the optimiser.
 */
static __always_inline __u32 be16_len(__be16 v)
{
	__u32 len = bpf_ntohs(v);

	asm volatile("%0 &= 0xffff" : "+r"(len));
	return len;
}

/* Returns the EtherType behind up to two VLAN tags, or -1 if truncated. */
static __always_inline int parse_eth(struct cursor *c)
{
	struct ethhdr *eth = c->pos;
	__u16 proto;
	int i;

	if ((void *)(eth + 1) > c->end)
		return -1;
	c->pos = eth + 1;
	proto = bpf_ntohs(eth->h_proto);

#pragma unroll
	for (i = 0; i < P2PKP_MAX_VLAN_TAGS; i++) {
		struct vlan_tag *tag = c->pos;

		if (proto != ETH_P_8021Q && proto != ETH_P_8021AD)
			break;
		if ((void *)(tag + 1) > c->end)
			return -1;
		c->pos = tag + 1;
		proto = bpf_ntohs(tag->encap_proto);
	}
	return proto;
}

/* Moves the cursor to the UDP header behind an IPv4 header and its options. */
static __always_inline enum parse_result parse_ipv4(struct cursor *c)
{
	struct iphdr *iph = c->pos;
	__u32 hlen, tot_len;

	if ((void *)(iph + 1) > c->end)
		return PARSE_MALFORMED;
	hlen = iph->ihl * 4;
	if (iph->version != 4 || hlen < sizeof(*iph))
		return PARSE_MALFORMED;
	tot_len = be16_len(iph->tot_len);
	if (c->pos + hlen > c->end || tot_len < hlen)
		return PARSE_MALFORMED;
	if (c->pos + tot_len > c->end)
		return PARSE_MALFORMED;
	if (iph->frag_off & bpf_htons(IPV4_MF | IPV4_OFFSET))
		return PARSE_FRAGMENT;
	if (iph->protocol != IPPROTO_UDP)
		return PARSE_OTHER;
	/* Link-layer padding may follow: the IP length, not data_end, bounds UDP. */
	c->l4_len = tot_len - hlen;
	c->pos += hlen;
	return PARSE_OK;
}

/* Moves the cursor to the UDP header behind IPv6 and its extension headers. */
static __always_inline enum parse_result parse_ipv6(struct cursor *c)
{
	struct ipv6hdr *ip6h = c->pos;
	__u32 ext_len, payload_len;
	__u8 nexthdr;
	int i;

	if ((void *)(ip6h + 1) > c->end)
		return PARSE_MALFORMED;
	if (ip6h->version != 6)
		return PARSE_MALFORMED;
	payload_len = be16_len(ip6h->payload_len);
	if ((void *)(ip6h + 1) + payload_len > c->end)
		return PARSE_MALFORMED;
	c->l4_len = payload_len;
	c->pos = ip6h + 1;
	nexthdr = ip6h->nexthdr;

#pragma unroll
	for (i = 0; i < P2PKP_MAX_IPV6_EXT_HDRS; i++) {
		struct ipv6_ext *ext = c->pos;

		if (nexthdr != IPPROTO_HOPOPTS && nexthdr != IPPROTO_ROUTING &&
		    nexthdr != IPPROTO_DSTOPTS)
			break;
		if ((void *)(ext + 1) > c->end)
			return PARSE_MALFORMED;
		ext_len = (ext->hdrlen + 1) * 8;
		if (ext_len > c->l4_len)
			return PARSE_MALFORMED;
		c->l4_len -= ext_len;
		nexthdr = ext->nexthdr;
		c->pos += ext_len;
	}
	if (nexthdr == IPPROTO_FRAGMENT)
		return PARSE_FRAGMENT;
	if (nexthdr != IPPROTO_UDP)
		return PARSE_OTHER;
	return PARSE_OK;
}

/*
 * Moves the cursor to the payload of a UDP datagram to port (network order)
 * and sets *payload_len, the payload bytes the UDP length announces. The
 * port is checked before the UDP length: other ports are not ours to judge.
 */
static __always_inline enum parse_result parse_udp(struct cursor *c, __be16 port,
						   struct udphdr **udph_out, __u32 *payload_len)
{
	struct udphdr *udph = c->pos;
	__u32 udp_len;

	if ((void *)(udph + 1) > c->end)
		return PARSE_MALFORMED;
	if (udph->dest != port)
		return PARSE_OTHER;
	udp_len = bpf_ntohs(udph->len);
	if (udp_len < sizeof(*udph) || udp_len > c->l4_len)
		return PARSE_MALFORMED;
	*udph_out = udph;
	*payload_len = udp_len - sizeof(*udph);
	c->pos = udph + 1;
	c->l4_len = *payload_len;
	return PARSE_OK;
}

/*
 * The whole walk, from the Ethernet header to a UDP datagram to port. *fam
 * says whose headers it walked (P2PKP_FAM_*), whatever the result: OTHER
 * until an IPv4 or IPv6 EtherType is read.
 */
static __always_inline enum parse_result parse_to_udp_fam(struct xdp_md *ctx, __be16 port,
							  struct udphdr **udph, __u32 *payload_len,
							  __u32 *fam)
{
	enum parse_result res;
	struct cursor c;
	int proto;

	*fam = P2PKP_FAM_OTHER;
	cursor_init(&c, ctx);
	proto = parse_eth(&c);
	if (proto < 0)
		return PARSE_MALFORMED;
	if (proto == ETH_P_IP) {
		*fam = P2PKP_FAM_IPV4;
		res = parse_ipv4(&c);
	} else if (proto == ETH_P_IPV6) {
		*fam = P2PKP_FAM_IPV6;
		res = parse_ipv6(&c);
	} else {
		return PARSE_OTHER;
	}
	if (res != PARSE_OK)
		return res;
	return parse_udp(&c, port, udph, payload_len);
}

static __always_inline enum parse_result parse_to_udp(struct xdp_md *ctx, __be16 port,
						      struct udphdr **udph, __u32 *payload_len)
{
	__u32 fam;

	return parse_to_udp_fam(ctx, port, udph, payload_len, &fam);
}

#endif /* P2PKP_PARSE_BPF_H */
