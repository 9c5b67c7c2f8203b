// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Steers P2PKP datagrams (UDP to the configured port, at least one P2PKP
 * header long) into the AF_XDP socket bound to the packet's RX queue, and
 * passes everything else to the kernel stack untouched. Every packet is
 * counted once, under the reason for its verdict.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/udp.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "p2pkp_shared.h"

#define MAX_VLAN_TAGS	 2
#define MAX_IPV6_EXT_HDR 4
#define IPV4_MF		 0x2000
#define IPV4_OFFSET	 0x1fff

/* The only .rodata variable: userspace reads it back from the map. */
const volatile struct p2pkp_steer_cfg cfg = {
	.port = bpf_htons(P2PKP_DEFAULT_PORT),
	.min_len = P2PKP_HDR_LEN,
	.version = P2PKP_STEER_CFG_VERSION,
};

struct {
	__uint(type, BPF_MAP_TYPE_XSKMAP);
	__uint(max_entries, P2PKP_MAX_QUEUES);
	__type(key, __u32);
	__type(value, __u32);
} xsks SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct p2pkp_steer_stats);
} stats SEC(".maps");

/* Why a packet got its verdict; each maps to one counter. */
enum verdict_reason {
	REASON_STEERED,
	REASON_PASSED,
	REASON_TOO_SHORT,
	REASON_FRAGMENT,
	REASON_NO_SOCKET,
	REASON_MALFORMED,
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

static __always_inline void count(enum verdict_reason reason)
{
	struct p2pkp_steer_stats *s;
	__u32 key = 0;

	s = bpf_map_lookup_elem(&stats, &key);
	if (!s)
		return;
	switch (reason) {
	case REASON_STEERED:
		s->steered++;
		break;
	case REASON_PASSED:
		s->passed++;
		break;
	case REASON_TOO_SHORT:
		s->too_short++;
		break;
	case REASON_FRAGMENT:
		s->fragments++;
		break;
	case REASON_NO_SOCKET:
		s->no_socket++;
		break;
	case REASON_MALFORMED:
		s->malformed++;
		break;
	}
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
	for (i = 0; i < MAX_VLAN_TAGS; i++) {
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

/* Moves the cursor to the UDP header; returns a reason when the walk ends early. */
static __always_inline int parse_ipv4(struct cursor *c)
{
	struct iphdr *iph = c->pos;
	__u32 hlen, tot_len;

	if ((void *)(iph + 1) > c->end)
		return REASON_MALFORMED;
	hlen = iph->ihl * 4;
	if (iph->version != 4 || hlen < sizeof(*iph))
		return REASON_MALFORMED;
	tot_len = be16_len(iph->tot_len);
	if (c->pos + hlen > c->end || tot_len < hlen)
		return REASON_MALFORMED;
	if (c->pos + tot_len > c->end)
		return REASON_MALFORMED;
	if (iph->frag_off & bpf_htons(IPV4_MF | IPV4_OFFSET))
		return REASON_FRAGMENT;
	if (iph->protocol != IPPROTO_UDP)
		return REASON_PASSED;
	/* Link-layer padding may follow: the IP length, not data_end, bounds UDP. */
	c->l4_len = tot_len - hlen;
	c->pos += hlen;
	return -1;
}

static __always_inline int parse_ipv6(struct cursor *c)
{
	struct ipv6hdr *ip6h = c->pos;
	__u32 ext_len, payload_len;
	__u8 nexthdr;
	int i;

	if ((void *)(ip6h + 1) > c->end)
		return REASON_MALFORMED;
	if (ip6h->version != 6)
		return REASON_MALFORMED;
	payload_len = be16_len(ip6h->payload_len);
	if ((void *)(ip6h + 1) + payload_len > c->end)
		return REASON_MALFORMED;
	c->l4_len = payload_len;
	c->pos = ip6h + 1;
	nexthdr = ip6h->nexthdr;

#pragma unroll
	for (i = 0; i < MAX_IPV6_EXT_HDR; i++) {
		struct ipv6_ext *ext = c->pos;

		if (nexthdr != IPPROTO_HOPOPTS && nexthdr != IPPROTO_ROUTING &&
		    nexthdr != IPPROTO_DSTOPTS)
			break;
		if ((void *)(ext + 1) > c->end)
			return REASON_MALFORMED;
		ext_len = (ext->hdrlen + 1) * 8;
		if (ext_len > c->l4_len)
			return REASON_MALFORMED;
		c->l4_len -= ext_len;
		nexthdr = ext->nexthdr;
		c->pos += ext_len;
	}
	if (nexthdr == IPPROTO_FRAGMENT)
		return REASON_FRAGMENT;
	if (nexthdr != IPPROTO_UDP)
		return REASON_PASSED;
	return -1;
}

/* Classifies the packet; REASON_STEERED means "redirect it". */
static __always_inline enum verdict_reason classify(struct xdp_md *ctx)
{
	struct cursor c = {
		.pos = (void *)(long)ctx->data,
		.end = (void *)(long)ctx->data_end,
	};
	struct udphdr *udph;
	__u32 udp_len;
	int proto, reason;

	proto = parse_eth(&c);
	if (proto < 0)
		return REASON_MALFORMED;
	if (proto == ETH_P_IP)
		reason = parse_ipv4(&c);
	else if (proto == ETH_P_IPV6)
		reason = parse_ipv6(&c);
	else
		return REASON_PASSED;
	if (reason >= 0)
		return reason;

	udph = c.pos;
	if ((void *)(udph + 1) > c.end)
		return REASON_MALFORMED;
	if (udph->dest != cfg.port)
		return REASON_PASSED;
	udp_len = bpf_ntohs(udph->len);
	if (udp_len < sizeof(*udph) || udp_len > c.l4_len)
		return REASON_MALFORMED;
	if (udp_len - sizeof(*udph) < cfg.min_len)
		return REASON_TOO_SHORT;
	return REASON_STEERED;
}

SEC("xdp")
int p2pkp_steer(struct xdp_md *ctx)
{
	enum verdict_reason reason = classify(ctx);
	int action;

	if (reason != REASON_STEERED) {
		count(reason);
		return XDP_PASS;
	}
	action = bpf_redirect_map(&xsks, ctx->rx_queue_index, XDP_PASS);
	count(action == XDP_REDIRECT ? REASON_STEERED : REASON_NO_SOCKET);
	return action;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
