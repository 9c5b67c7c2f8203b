// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Recognises P2PKP datagrams in Ethernet frames by the same rule as the XDP
 * programs: unfragmented UDP over IPv4 or IPv6 (up to two VLAN tags, up to
 * four IPv6 extension headers) to the configured port, with a payload at
 * least one P2PKP header long.
 */
#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <stddef.h>
#include <string.h>

#include "p2pkp_shared.h"
#include "relay.h"

#define UDP_HLEN 8

static __u16 be16_at(const __u8 *p)
{
	return (__u16)(p[0] << 8 | p[1]);
}

/* Offset of the L3 header, with its EtherType in *proto; 0 if truncated. */
static size_t skip_l2(const __u8 *f, size_t len, __u16 *proto)
{
	size_t off = ETH_HLEN;
	int i;

	if (len < ETH_HLEN)
		return 0;
	*proto = be16_at(f + 12);
	for (i = 0; i < P2PKP_MAX_VLAN_TAGS; i++) {
		if (*proto != ETH_P_8021Q && *proto != ETH_P_8021AD)
			break;
		if (off + 4 > len)
			return 0;
		*proto = be16_at(f + off + 2);
		off += 4;
	}
	return off;
}

/* Offset of the UDP header behind IPv4; *l4_len from the IP header. 0 if none. */
static size_t ipv4_udp(const __u8 *f, size_t len, size_t off, size_t *l4_len)
{
	size_t hlen, tot;

	if (off + 20 > len || f[off] >> 4 != 4)
		return 0;
	hlen = (size_t)(f[off] & 0xf) * 4;
	tot = be16_at(f + off + 2);
	if (hlen < 20 || tot < hlen || off + tot > len)
		return 0;
	if (be16_at(f + off + 6) & 0x3fff) /* MF or a fragment offset */
		return 0;
	if (f[off + 9] != IPPROTO_UDP)
		return 0;
	*l4_len = tot - hlen;
	return off + hlen;
}

static size_t ipv6_udp(const __u8 *f, size_t len, size_t off, size_t *l4_len)
{
	size_t plen, ext;
	__u8 next;
	int i;

	if (off + 40 > len || f[off] >> 4 != 6)
		return 0;
	plen = be16_at(f + off + 4);
	if (off + 40 + plen > len)
		return 0;
	next = f[off + 6];
	off += 40;
	for (i = 0; i < P2PKP_MAX_IPV6_EXT_HDRS; i++) {
		if (next != IPPROTO_HOPOPTS && next != IPPROTO_ROUTING && next != IPPROTO_DSTOPTS)
			break;
		if (off + 2 > len)
			return 0;
		ext = ((size_t)f[off + 1] + 1) * 8;
		if (ext > plen)
			return 0;
		plen -= ext;
		next = f[off];
		off += ext;
	}
	if (next != IPPROTO_UDP)
		return 0;
	*l4_len = plen;
	return off;
}

bool relay_is_p2pkp(const __u8 *frame, size_t len, __u16 port)
{
	size_t off, l4_len = 0, udp_len;
	__u16 proto = 0;

	off = skip_l2(frame, len, &proto);
	if (!off)
		return false;
	if (proto == ETH_P_IP)
		off = ipv4_udp(frame, len, off, &l4_len);
	else if (proto == ETH_P_IPV6)
		off = ipv6_udp(frame, len, off, &l4_len);
	else
		return false;
	if (!off || off + UDP_HLEN > len || be16_at(frame + off + 2) != port)
		return false;
	udp_len = be16_at(frame + off + 4);
	return udp_len <= l4_len && udp_len >= UDP_HLEN + P2PKP_HDR_LEN;
}
