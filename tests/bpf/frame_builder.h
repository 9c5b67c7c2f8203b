/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Building test frames byte by byte for the BPF fixture tables: a buffer,
 * appenders in network order, the Ethernet header with VLAN tags that every
 * case starts with, IPv4/IPv6 (with extension headers) and UDP headers, and
 * the UDP checksum (loader/net/frame.c's sums). Headers are appended with
 * their length fields open, so that a case can get them wrong on purpose;
 * set_ipv4_len()/set_ipv6_len() fill them once the rest is built. Include
 * after <cmocka.h>: a frame that outgrows the buffer fails the test.
 */
#ifndef P2PKP_TEST_FRAME_BUILDER_H
#define P2PKP_TEST_FRAME_BUILDER_H

#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/types.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include "frame.h"

#define MAX_FRAME 512

/* What follows the Ethernet header. */
enum l3 {
	L3_IPV4,
	L3_IPV6,
	L3_ARP,
};

struct frame {
	__u8 b[MAX_FRAME];
	size_t len;
	size_t l3_off, udp_off, payload_off; /* where the headers start, if recorded */
	size_t payload_len;
};

static inline void put(struct frame *f, const void *p, size_t n)
{
	assert_true(f->len + n <= sizeof(f->b));
	memcpy(f->b + f->len, p, n);
	f->len += n;
}

static inline void put_be16(struct frame *f, __u16 v)
{
	__be16 be = htons(v);

	put(f, &be, 2);
}

static inline void put_zeros(struct frame *f, size_t n)
{
	assert_true(f->len + n <= sizeof(f->b));
	memset(f->b + f->len, 0, n);
	f->len += n;
}

static inline void set_be16(__u8 *b, size_t off, __u16 v)
{
	__be16 be = htons(v);

	memcpy(b + off, &be, 2);
}

static inline __u16 get_be16(const __u8 *b, size_t off)
{
	__be16 be;

	memcpy(&be, b + off, 2);
	return ntohs(be);
}

/* MACs, vlan_tags tags (802.1ad outer when 2 or more), then l3's EtherType. */
static inline void put_eth(struct frame *f, enum l3 l3, int vlan_tags)
{
	static const __u8 macs[12] = {2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1};
	__u16 proto = l3 == L3_IPV4 ? ETH_P_IP : l3 == L3_IPV6 ? ETH_P_IPV6 : ETH_P_ARP;
	int i;

	put(f, macs, sizeof(macs));
	for (i = 0; i < vlan_tags; i++) {
		put_be16(f, i == 0 && vlan_tags > 1 ? ETH_P_8021AD : ETH_P_8021Q);
		put_be16(f, 100 + i); /* TCI of the tag that follows */
	}
	put_be16(f, proto);
}

/* IPv4, 10.0.0.1 to 10.0.0.2, with opt_words words of zeroed options; returns its offset. */
static inline size_t put_ipv4(struct frame *f, __u8 proto, __u16 frag_off, int opt_words)
{
	size_t ip = f->len, hlen = 20 + 4 * (size_t)opt_words;

	f->l3_off = ip;
	put_zeros(f, hlen);
	f->b[ip] = (__u8)(4 << 4 | hlen / 4);
	set_be16(f->b, ip + 6, frag_off);
	f->b[ip + 8] = 64;
	f->b[ip + 9] = proto;
	memcpy(f->b + ip + 12, "\x0a\x00\x00\x01\x0a\x00\x00\x02", 8);
	return ip;
}

/* Total length: everything after ip so far, plus delta. */
static inline void set_ipv4_len(struct frame *f, size_t ip, int delta)
{
	set_be16(f->b, ip + 2, (__u16)(f->len - ip + delta));
}

/*
 * IPv6, fd00::1 to fd00::2; returns its offset. The next header field is
 * left for put_ipv6_ext() and set_ipv6_next(), starting from ip + 6.
 */
static inline size_t put_ipv6(struct frame *f)
{
	size_t ip = f->len;

	f->l3_off = ip;
	put_zeros(f, 40);
	f->b[ip] = 0x60;
	f->b[ip + 7] = 64;
	f->b[ip + 8] = 0xfd;
	f->b[ip + 23] = 1;
	f->b[ip + 24] = 0xfd;
	f->b[ip + 39] = 2;
	return ip;
}

/*
 * An 8-byte extension header of type: *next_at, where the header before
 * names its next header, gets type and moves to this header's own field.
 */
static inline void put_ipv6_ext(struct frame *f, size_t *next_at, __u8 type)
{
	f->b[*next_at] = type;
	*next_at = f->len;
	put_zeros(f, 8); /* next header, length 0 (8 bytes), options */
}

static inline void set_ipv6_next(struct frame *f, size_t next_at, __u8 proto)
{
	f->b[next_at] = proto;
}

/* Payload length: everything after the fixed header so far, plus delta. */
static inline void set_ipv6_len(struct frame *f, size_t ip, int delta)
{
	set_be16(f->b, ip + 4, (__u16)(f->len - ip - 40 + delta));
}

/*
 * UDP from port 40000 to dport, its length field len_delta off the truth for
 * the payload bytes that are to follow; checksum zero. Returns its offset.
 */
static inline size_t put_udp(struct frame *f, __u16 dport, int payload, int len_delta)
{
	f->udp_off = f->len;
	put_be16(f, 40000);
	put_be16(f, dport);
	put_be16(f, (__u16)(8 + payload + len_delta));
	put_be16(f, 0);
	return f->udp_off;
}

/* Sum over pseudo-header and UDP datagram, folded; 0xffff when the checksum is valid. */
static inline __u16 udp_sum(const struct frame *f, bool v6)
{
	size_t udp_len = get_be16(f->b, f->udp_off + 4);
	struct in6_addr s6, d6;
	__be32 s4, d4;
	__u32 sum;

	/* Copied out: the addresses sit at any alignment in the frame. */
	if (v6) {
		memcpy(&s6, f->b + f->l3_off + 8, 16);
		memcpy(&d6, f->b + f->l3_off + 24, 16);
		sum = p2pkp_csum_pseudo_v6(&s6, &d6, IPPROTO_UDP, (__u32)udp_len);
	} else {
		memcpy(&s4, f->b + f->l3_off + 12, 4);
		memcpy(&d4, f->b + f->l3_off + 16, 4);
		sum = p2pkp_csum_pseudo_v4(s4, d4, IPPROTO_UDP, (__u32)udp_len);
	}
	return p2pkp_csum_fold(p2pkp_csum_partial(f->b + f->udp_off, udp_len, sum));
}

/* Makes the UDP checksum valid (a computed zero goes out as 0xffff, RFC 768). */
static inline void set_udp_csum(struct frame *f, bool v6)
{
	__u16 csum;

	set_be16(f->b, f->udp_off + 6, 0);
	csum = (__u16)~udp_sum(f, v6);
	set_be16(f->b, f->udp_off + 6, csum ? csum : 0xffff);
}

#endif /* P2PKP_TEST_FRAME_BUILDER_H */
