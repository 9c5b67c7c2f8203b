/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Building test frames byte by byte for the BPF fixture tables: a buffer,
 * appenders in network order, and the Ethernet header with VLAN tags that
 * every case starts with. Include after <cmocka.h>: a frame that outgrows
 * the buffer fails the test.
 */
#ifndef P2PKP_TEST_FRAME_BUILDER_H
#define P2PKP_TEST_FRAME_BUILDER_H

#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/types.h>
#include <stddef.h>
#include <string.h>

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

#endif /* P2PKP_TEST_FRAME_BUILDER_H */
