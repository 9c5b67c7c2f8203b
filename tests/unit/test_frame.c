// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Frame building and parsing, checked byte by byte against the RFCs and an
 * independent, deliberately naive checksum implementation.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <stdio.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <cmocka.h>

#include "frame.h"

#define BUF_SIZE 4096
#define SPORT	 40000
#define DPORT	 7471
#define IP_ID	 0x1234

static const uint8_t MAC_SRC[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x01};
static const uint8_t MAC_DST[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x02};

/* --- reference implementation: one big-endian word at a time ---------------- */

static uint32_t ref_sum(const uint8_t *p, size_t len, uint32_t sum)
{
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	return sum;
}

static uint16_t ref_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

/* The checksum an IPv4 header (with its checksum field zeroed) must carry. */
static uint16_t ref_ip_csum(const uint8_t *ip, size_t ihl)
{
	uint8_t tmp[60];

	memcpy(tmp, ip, ihl);
	tmp[10] = tmp[11] = 0;
	return (uint16_t)~ref_fold(ref_sum(tmp, ihl, 0));
}

/* The UDP checksum of a datagram, from a pseudo-header laid out in memory. */
static uint16_t ref_udp_csum(int family, const uint8_t *src, const uint8_t *dst, const uint8_t *udp,
			     size_t ulen)
{
	uint8_t ph[40] = {0};
	uint8_t tmp[BUF_SIZE];
	size_t alen = family == AF_INET ? 4 : 16, phlen;
	uint16_t c;

	memcpy(ph, src, alen);
	memcpy(ph + alen, dst, alen);
	if (family == AF_INET) {
		ph[9] = 17;
		ph[10] = (uint8_t)(ulen >> 8);
		ph[11] = (uint8_t)ulen;
		phlen = 12;
	} else {
		ph[34] = (uint8_t)(ulen >> 8);
		ph[35] = (uint8_t)ulen;
		ph[39] = 17;
		phlen = 40;
	}
	memcpy(tmp, udp, ulen);
	tmp[6] = tmp[7] = 0;
	c = (uint16_t)~ref_fold(ref_sum(tmp, ulen, ref_sum(ph, phlen, 0)));
	return c ? c : 0xffff;
}

static uint16_t be16_at(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void put_be16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* --- fixtures ---------------------------------------------------------------- */

static void make_path(int family, struct p2pkp_peer_path *path)
{
	memset(path, 0, sizeof(*path));
	path->family = family;
	path->nexthop_family = family;
	memcpy(path->src_mac, MAC_SRC, 6);
	memcpy(path->dst_mac, MAC_DST, 6);
	if (family == AF_INET) {
		inet_pton(AF_INET, "192.0.2.1", &path->src.v4);
		inet_pton(AF_INET, "198.51.100.7", &path->dst.v4);
	} else {
		inet_pton(AF_INET6, "2001:db8::1", &path->src.v6);
		inet_pton(AF_INET6, "2001:db8:ffff::2", &path->dst.v6);
	}
	path->nexthop = path->dst;
}

static void fill_payload(uint8_t *p, size_t len, unsigned int seed)
{
	size_t i;

	for (i = 0; i < len; i++)
		p[i] = (uint8_t)(seed * 131 + i * 7 + (i >> 8) * 13);
}

/* Builds a valid frame into buf; returns its length. */
static size_t build(int family, uint8_t *buf, size_t plen)
{
	struct p2pkp_peer_path path;
	int n;

	make_path(family, &path);
	memset(buf, 0xee, BUF_SIZE);
	fill_payload(buf + p2pkp_frame_hdr_len(family), plen, (unsigned int)plen);
	n = p2pkp_frame_build(buf, BUF_SIZE, &path, SPORT, DPORT, IP_ID, plen);
	assert_int_equal(n, (int)(p2pkp_frame_hdr_len(family) + plen));
	return (size_t)n;
}

static void assert_parse(const uint8_t *buf, size_t len, enum p2pkp_frame_err want,
			 struct p2pkp_frame_info *info)
{
	enum p2pkp_frame_err got = p2pkp_frame_parse(buf, len, info);

	if (got != want)
		fail_msg("parse: got %d (%s), want %d (%s)", got, p2pkp_frame_strerror(got), want,
			 p2pkp_frame_strerror(want));
}

/* --- checksum helpers ---------------------------------------------------------- */

static void test_csum_partial_matches_reference(void **state)
{
	uint8_t buf[600];
	uint32_t init[] = {0, 1, 0xffff, 0x12345678, 0xfffffffe};
	size_t len, i;

	fill_payload(buf, sizeof(buf), 3);
	for (len = 0; len <= sizeof(buf); len++) {
		for (i = 0; i < sizeof(init) / sizeof(init[0]); i++) {
			uint16_t got = p2pkp_csum_fold(p2pkp_csum_partial(buf, len, init[i]));
			uint16_t want = ref_fold(ref_sum(buf, len, ref_fold(init[i])));

			/* 0 and 0xffff are the same number in ones' complement. */
			if (got != want && !(got % 0xffff == 0 && want % 0xffff == 0))
				fail_msg("len %zu init %#x: got %#x want %#x", len, init[i], got,
					 want);
		}
	}
	/* Unaligned start. */
	for (len = 0; len < 64; len++)
		assert_int_equal(p2pkp_csum_fold(p2pkp_csum_partial(buf + 1, len, 0)),
				 ref_fold(ref_sum(buf + 1, len, 0)));
}

static void test_csum_pieces_add_up(void **state)
{
	uint8_t buf[301];
	size_t cut;

	fill_payload(buf, sizeof(buf), 9);
	for (cut = 0; cut < sizeof(buf); cut += 2) {
		uint32_t a = p2pkp_csum_partial(buf, cut, 0);
		uint32_t b = p2pkp_csum_partial(buf + cut, sizeof(buf) - cut, 0);

		assert_int_equal(p2pkp_csum_fold(p2pkp_csum_add(a, b)),
				 p2pkp_csum_fold(p2pkp_csum_partial(buf, sizeof(buf), 0)));
	}
}

static void test_csum_rfc1071_example(void **state)
{
	/* RFC 1071 section 3: words 0001 f203 f4f5 f6f7 sum to ddf2. */
	const uint8_t data[] = {0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};

	assert_int_equal(p2pkp_csum_fold(p2pkp_csum_partial(data, sizeof(data), 0)), 0xddf2);
	assert_int_equal(ntohs(p2pkp_csum_finish(p2pkp_csum_partial(data, sizeof(data), 0))),
			 0x220d);
}

static void test_csum_pseudo(void **state)
{
	struct in6_addr s6, d6;
	uint8_t ph[40] = {0};
	__be32 s4 = htonl(0xc0000201), d4 = htonl(0xc6336407);

	memcpy(ph, &s4, 4);
	memcpy(ph + 4, &d4, 4);
	ph[9] = 17;
	put_be16(ph + 10, 1480);
	assert_int_equal(p2pkp_csum_fold(p2pkp_csum_pseudo_v4(s4, d4, 17, 1480)),
			 ref_fold(ref_sum(ph, 12, 0)));

	inet_pton(AF_INET6, "2001:db8::1", &s6);
	inet_pton(AF_INET6, "fe80::abcd:1234", &d6);
	memset(ph, 0, sizeof(ph));
	memcpy(ph, &s6, 16);
	memcpy(ph + 16, &d6, 16);
	put_be16(ph + 34, 1480);
	ph[39] = 17;
	assert_int_equal(p2pkp_csum_fold(p2pkp_csum_pseudo_v6(&s6, &d6, 17, 1480)),
			 ref_fold(ref_sum(ph, 40, 0)));
}

/* --- building -------------------------------------------------------------------- */

static const size_t payload_lens[] = {0, 1, 2, 7, 255, 1000, 1471, 1472};

static void test_hdr_len(void **state)
{
	assert_int_equal(p2pkp_frame_hdr_len(AF_INET), 42);
	assert_int_equal(p2pkp_frame_hdr_len(AF_INET6), 62);
	assert_int_equal(p2pkp_frame_hdr_len(AF_UNIX), 0);
}

static void check_eth(const uint8_t *f, uint16_t type)
{
	assert_memory_equal(f, MAC_DST, 6);
	assert_memory_equal(f + 6, MAC_SRC, 6);
	assert_int_equal(be16_at(f + 12), type);
}

static void check_udp(int family, const uint8_t *f, const uint8_t *src, const uint8_t *dst,
		      size_t plen)
{
	const uint8_t *udp = f + p2pkp_frame_hdr_len(family) - 8;

	assert_int_equal(be16_at(udp), SPORT);
	assert_int_equal(be16_at(udp + 2), DPORT);
	assert_int_equal(be16_at(udp + 4), 8 + plen);
	assert_int_equal(be16_at(udp + 6), ref_udp_csum(family, src, dst, udp, 8 + plen));
}

static void check_roundtrip(int family, const uint8_t *f, size_t len, size_t plen)
{
	struct p2pkp_peer_path path;
	struct p2pkp_frame_info info;

	make_path(family, &path);
	assert_parse(f, len, P2PKP_FRAME_OK, &info);
	assert_int_equal(info.family, family);
	assert_memory_equal(&info.src, &path.src, family == AF_INET ? 4 : 16);
	assert_memory_equal(&info.dst, &path.dst, family == AF_INET ? 4 : 16);
	assert_int_equal(info.sport, SPORT);
	assert_int_equal(info.dport, DPORT);
	assert_int_equal(info.vlan_id, 0);
	assert_true(info.csum_valid);
	assert_false(info.csum_zero);
	assert_ptr_equal(info.payload, f + p2pkp_frame_hdr_len(family));
	assert_int_equal(info.payload_len, plen);
}

/* The incremental variant must produce the same bytes from a precomputed sum. */
static void check_build_sum(int family, const uint8_t *f, size_t len, size_t plen)
{
	static uint8_t copy[BUF_SIZE];
	struct p2pkp_peer_path path;
	size_t hl = p2pkp_frame_hdr_len(family);
	__u32 sum;
	int n;

	make_path(family, &path);
	memset(copy, 0, sizeof(copy));
	memcpy(copy + hl, f + hl, plen);
	sum = p2pkp_csum_partial(f + hl, plen, 0);
	n = p2pkp_frame_build_sum(copy, sizeof(copy), &path, SPORT, DPORT, IP_ID, plen, sum);
	assert_int_equal(n, (int)len);
	assert_memory_equal(copy, f, len);
}

static void test_build_ipv4(void **state)
{
	static uint8_t f[BUF_SIZE];
	struct p2pkp_peer_path path;
	size_t i, len, plen;
	const uint8_t *ip = f + 14;

	make_path(AF_INET, &path);
	for (i = 0; i < sizeof(payload_lens) / sizeof(payload_lens[0]); i++) {
		plen = payload_lens[i];
		len = build(AF_INET, f, plen);
		check_eth(f, 0x0800);
		assert_int_equal(ip[0], 0x45);			  /* version 4, IHL 5 */
		assert_int_equal(ip[1], 0);			  /* DSCP/ECN */
		assert_int_equal(be16_at(ip + 2), 20 + 8 + plen); /* total length */
		assert_int_equal(be16_at(ip + 4), IP_ID);
		assert_int_equal(be16_at(ip + 6), 0x4000); /* DF, offset 0 */
		assert_int_equal(ip[8], 64);		   /* TTL */
		assert_int_equal(ip[9], 17);		   /* UDP */
		assert_int_equal(be16_at(ip + 10), ref_ip_csum(ip, 20));
		assert_memory_equal(ip + 12, &path.src.v4, 4);
		assert_memory_equal(ip + 16, &path.dst.v4, 4);
		check_udp(AF_INET, f, ip + 12, ip + 16, plen);
		check_roundtrip(AF_INET, f, len, plen);
		check_build_sum(AF_INET, f, len, plen);
	}
}

static void test_build_ipv6(void **state)
{
	static uint8_t f[BUF_SIZE];
	struct p2pkp_peer_path path;
	size_t i, len, plen;
	const uint8_t *ip = f + 14;

	make_path(AF_INET6, &path);
	for (i = 0; i < sizeof(payload_lens) / sizeof(payload_lens[0]); i++) {
		plen = payload_lens[i];
		len = build(AF_INET6, f, plen);
		check_eth(f, 0x86dd);
		assert_int_equal(ip[0], 0x60); /* version 6, traffic class 0 */
		assert_int_equal(ip[1], 0);    /* flow label 0 */
		assert_int_equal(be16_at(ip + 2), 0);
		assert_int_equal(be16_at(ip + 4), 8 + plen); /* payload length */
		assert_int_equal(ip[6], 17);		     /* next header UDP */
		assert_int_equal(ip[7], 64);		     /* hop limit */
		assert_memory_equal(ip + 8, &path.src.v6, 16);
		assert_memory_equal(ip + 24, &path.dst.v6, 16);
		check_udp(AF_INET6, f, ip + 8, ip + 24, plen);
		check_roundtrip(AF_INET6, f, len, plen);
		check_build_sum(AF_INET6, f, len, plen);
	}
}

/* A payload whose UDP checksum computes to 0 must be sent as 0xffff and still verify. */
static void test_build_zero_csum_sent_as_ffff(void **state)
{
	static uint8_t f[BUF_SIZE];
	int families[] = {AF_INET, AF_INET6};
	struct p2pkp_frame_info info;
	struct p2pkp_peer_path path;
	size_t hl, plen = 64, i, len;
	uint8_t *udp, *last;
	uint16_t word;

	for (i = 0; i < 2; i++) {
		make_path(families[i], &path);
		hl = p2pkp_frame_hdr_len(families[i]);
		udp = f + hl - 8;
		last = f + hl + plen - 2;
		len = build(families[i], f, plen);
		/* Choose the last payload word so the whole sum is 0xffff. */
		put_be16(last, 0);
		put_be16(udp + 6, 0);
		word = (uint16_t)~ref_fold(
			ref_sum(udp, 8 + plen, 0) +
			ref_fold(families[i] == AF_INET
					 ? p2pkp_csum_pseudo_v4(path.src.v4.s_addr,
								path.dst.v4.s_addr, 17,
								(__u32)(8 + plen))
					 : p2pkp_csum_pseudo_v6(&path.src.v6, &path.dst.v6, 17,
								(__u32)(8 + plen))));
		put_be16(last, word);
		assert_int_equal(p2pkp_frame_build(f, BUF_SIZE, &path, SPORT, DPORT, IP_ID, plen),
				 (int)len);
		assert_int_equal(be16_at(udp + 6), 0xffff);
		assert_parse(f, len, P2PKP_FRAME_OK, &info);
		assert_true(info.csum_valid);
	}
}

static void test_build_errors(void **state)
{
	static uint8_t f[BUF_SIZE];
	struct p2pkp_peer_path path;

	make_path(AF_INET, &path);
	assert_int_equal(p2pkp_frame_build(f, 41, &path, 1, 2, 0, 0), -EMSGSIZE);
	assert_int_equal(p2pkp_frame_build(f, 42, &path, 1, 2, 0, 0), 42);
	assert_int_equal(p2pkp_frame_build(f, 100, &path, 1, 2, 0, 59), -EMSGSIZE);
	assert_int_equal(p2pkp_frame_build(f, 100, &path, 1, 2, 0, 58), 100);
	assert_int_equal(
		p2pkp_frame_build_sum(f, 70000, &path, 1, 2, 0, P2PKP_FRAME_MAX_PAYLOAD_V4 + 1, 0),
		-EMSGSIZE);
	assert_int_equal(p2pkp_frame_build_sum(f, (size_t)-1, &path, 1, 2, 0, (size_t)-1, 0),
			 -EMSGSIZE);
	make_path(AF_INET6, &path);
	assert_int_equal(p2pkp_frame_build(f, 61, &path, 1, 2, 0, 0), -EMSGSIZE);
	assert_int_equal(
		p2pkp_frame_build_sum(f, 70000, &path, 1, 2, 0, P2PKP_FRAME_MAX_PAYLOAD_V6 + 1, 0),
		-EMSGSIZE);
	path.family = AF_UNIX;
	assert_int_equal(p2pkp_frame_build(f, BUF_SIZE, &path, 1, 2, 0, 0), -EAFNOSUPPORT);
}

/* --- parsing: frames that are fine but unusual ------------------------------------- */

/* Inserts n bytes at off, moving the rest of the frame back. */
static void insert(uint8_t *f, size_t *len, size_t off, const uint8_t *bytes, size_t n)
{
	memmove(f + off + n, f + off, *len - off);
	memcpy(f + off, bytes, n);
	*len += n;
}

static void fix_ip4_csum(uint8_t *f, size_t l3)
{
	put_be16(f + l3 + 10, ref_ip_csum(f + l3, (f[l3] & 0xf) * 4u));
}

static void test_parse_vlan(void **state)
{
	static uint8_t f[BUF_SIZE];
	const uint8_t qtag[] = {0x81, 0x00, 0x20, 0x64};  /* PCP 1, VID 100 */
	const uint8_t adtag[] = {0x88, 0xa8, 0x00, 0x0a}; /* VID 10 */
	struct p2pkp_frame_info info;
	size_t len = build(AF_INET, f, 100);

	insert(f, &len, 12, qtag, 4);
	assert_parse(f, len, P2PKP_FRAME_OK, &info);
	assert_int_equal(info.vlan_id, 100);
	assert_int_equal(info.payload_len, 100);
	assert_ptr_equal(info.payload, f + 46);

	insert(f, &len, 12, adtag, 4);
	assert_parse(f, len, P2PKP_FRAME_OK, &info);
	assert_int_equal(info.vlan_id, 10);
	assert_ptr_equal(info.payload, f + 50);

	len = build(AF_INET6, f, 10);
	insert(f, &len, 12, qtag, 4);
	assert_parse(f, len, P2PKP_FRAME_OK, &info);
	assert_int_equal(info.family, AF_INET6);
	assert_int_equal(info.vlan_id, 100);
}

static void test_parse_ipv4_options_and_padding(void **state)
{
	static uint8_t f[BUF_SIZE];
	const uint8_t nops[4] = {1, 1, 1, 0}; /* NOP NOP NOP EOL */
	struct p2pkp_frame_info info;
	size_t len = build(AF_INET, f, 3);

	insert(f, &len, 34, nops, 4);
	f[14] = 0x46;
	put_be16(f + 16, (uint16_t)(be16_at(f + 16) + 4));
	fix_ip4_csum(f, 14);
	/* Ethernet pads short frames to 60 bytes: trailing bytes beyond the IP length. */
	memset(f + len, 0xaa, 60 - len);
	assert_parse(f, 60, P2PKP_FRAME_OK, &info);
	assert_int_equal(info.payload_len, 3);
	assert_ptr_equal(info.payload, f + 14 + 24 + 8);
	assert_true(info.csum_valid);
}

static void test_parse_ipv4_zero_csum(void **state)
{
	static uint8_t f[BUF_SIZE];
	struct p2pkp_frame_info info;
	size_t len = build(AF_INET, f, 33);

	put_be16(f + 40, 0);
	assert_parse(f, len, P2PKP_FRAME_OK, &info);
	assert_true(info.csum_zero);
	assert_true(info.csum_valid);
	/* With no checksum, corrupt payload is not detectable at this layer. */
	f[50] ^= 0xff;
	assert_parse(f, len, P2PKP_FRAME_OK, &info);
}

static void test_parse_ipv6_ext_headers(void **state)
{
	static uint8_t f[BUF_SIZE];
	/* Hop-by-hop (next: dest opts), 8 bytes; dest opts (next: UDP), 16 bytes. */
	const uint8_t hbh[8] = {60, 0, 1, 4, 0, 0, 0, 0};
	const uint8_t dst[16] = {17, 1, 1, 12, 0};
	struct p2pkp_frame_info info;
	size_t len = build(AF_INET6, f, 21);

	insert(f, &len, 54, dst, sizeof(dst));
	insert(f, &len, 54, hbh, sizeof(hbh));
	f[20] = 0; /* next header: hop-by-hop */
	put_be16(f + 18, (uint16_t)(be16_at(f + 18) + 24));
	assert_parse(f, len, P2PKP_FRAME_OK, &info);
	assert_int_equal(info.payload_len, 21);
	assert_ptr_equal(info.payload, f + 14 + 40 + 24 + 8);
	assert_true(info.csum_valid);
}

/* --- parsing: the malformed-frame table -------------------------------------------- */

struct bad_frame {
	const char *name;
	int family;
	size_t plen;
	/* Damages a valid frame in place; may change *len. */
	void (*mutate)(uint8_t *f, size_t *len);
	enum p2pkp_frame_err want;
};

#define L3 14 /* IP header offset in an untagged frame */

static void cut_13(uint8_t *f, size_t *len)
{
	*len = 13;
}
static void cut_in_ip(uint8_t *f, size_t *len)
{
	*len = L3 + (f[L3] >> 4 == 4 ? 19 : 39);
}
static void cut_in_udp(uint8_t *f, size_t *len)
{
	*len = L3 + (f[L3] >> 4 == 4 ? 20 : 40) + 5;
}
static void cut_in_payload(uint8_t *f, size_t *len)
{
	*len -= 1;
}
static void vlan_cut(uint8_t *f, size_t *len)
{
	put_be16(f + 12, 0x8100);
	*len = 16;
}
static void ethertype_arp(uint8_t *f, size_t *len)
{
	put_be16(f + 12, 0x0806);
}
static void three_vlan_tags(uint8_t *f, size_t *len)
{
	const uint8_t tag[4] = {0x81, 0x00, 0x00, 0x01};

	insert(f, len, 12, tag, 4);
	insert(f, len, 12, tag, 4);
	insert(f, len, 12, tag, 4);
}
static void swap_version(uint8_t *f, size_t *len)
{
	f[L3] = (uint8_t)((f[L3] >> 4 == 4 ? 0x60 : 0x40) | (f[L3] & 0xf));
}
static void ihl_4(uint8_t *f, size_t *len)
{
	f[L3] = 0x44;
}
static void ihl_15(uint8_t *f, size_t *len)
{
	f[L3] = 0x4f;
}
static void ip4_totlen_short(uint8_t *f, size_t *len)
{
	put_be16(f + L3 + 2, 19);
	fix_ip4_csum(f, L3);
}
static void ip4_totlen_long(uint8_t *f, size_t *len)
{
	put_be16(f + L3 + 2, (uint16_t)(be16_at(f + L3 + 2) + 1));
	fix_ip4_csum(f, L3);
}
static void ip4_csum_bad(uint8_t *f, size_t *len)
{
	f[L3 + 10] ^= 0x01;
}
static void ip4_ttl_changed(uint8_t *f, size_t *len)
{
	f[L3 + 8] = 63; /* header changed without fixing the checksum */
}
static void ip4_more_fragments(uint8_t *f, size_t *len)
{
	put_be16(f + L3 + 6, 0x2000);
	fix_ip4_csum(f, L3);
}
static void ip4_frag_offset(uint8_t *f, size_t *len)
{
	put_be16(f + L3 + 6, 0x4000 | 185);
	fix_ip4_csum(f, L3);
}
static void ip4_tcp(uint8_t *f, size_t *len)
{
	f[L3 + 9] = 6;
	fix_ip4_csum(f, L3);
}
static void ip4_totlen_no_udp(uint8_t *f, size_t *len)
{
	put_be16(f + L3 + 2, 20 + 7);
	fix_ip4_csum(f, L3);
}
static void udp_len_7(uint8_t *f, size_t *len)
{
	size_t l4 = L3 + (f[L3] >> 4 == 4 ? 20 : 40);

	put_be16(f + l4 + 4, 7);
}
static void udp_len_0(uint8_t *f, size_t *len)
{
	size_t l4 = L3 + (f[L3] >> 4 == 4 ? 20 : 40);

	put_be16(f + l4 + 4, 0);
}
static void udp_len_beyond_ip(uint8_t *f, size_t *len)
{
	size_t l4 = L3 + (f[L3] >> 4 == 4 ? 20 : 40);

	put_be16(f + l4 + 4, (uint16_t)(be16_at(f + l4 + 4) + 1));
	f[*len] = 0; /* the byte is there, but outside the IP packet */
	*len += 1;
}
static void payload_flip(uint8_t *f, size_t *len)
{
	f[*len - 1] ^= 0x40;
}
static void udp_csum_flip(uint8_t *f, size_t *len)
{
	size_t l4 = L3 + (f[L3] >> 4 == 4 ? 20 : 40);

	f[l4 + 6] ^= 0x80;
}
static void udp_port_changed(uint8_t *f, size_t *len)
{
	size_t l4 = L3 + (f[L3] >> 4 == 4 ? 20 : 40);

	f[l4 + 1] ^= 0x01; /* source port */
}
static void udp_csum_zero(uint8_t *f, size_t *len)
{
	put_be16(f + L3 + 40 + 6, 0);
}
static void ip4_src_changed(uint8_t *f, size_t *len)
{
	f[L3 + 12] ^= 0x01; /* pseudo-header covers it; the IP header sum is fixed */
	fix_ip4_csum(f, L3);
}
static void ip6_src_changed(uint8_t *f, size_t *len)
{
	f[L3 + 8] ^= 0x01;
}
static void ip6_plen_long(uint8_t *f, size_t *len)
{
	put_be16(f + L3 + 4, (uint16_t)(be16_at(f + L3 + 4) + 1));
}
static void ip6_plen_no_udp(uint8_t *f, size_t *len)
{
	put_be16(f + L3 + 4, 7);
}
static void ip6_fragment_hdr(uint8_t *f, size_t *len)
{
	f[L3 + 6] = 44;
}
static void ip6_tcp(uint8_t *f, size_t *len)
{
	f[L3 + 6] = 6;
}
static void ip6_hbh_truncated(uint8_t *f, size_t *len)
{
	f[L3 + 6] = 0;	      /* hop-by-hop... */
	f[L3 + 40 + 1] = 255; /* ...claiming 2 KiB */
}
static void ip6_ext_loop(uint8_t *f, size_t *len)
{
	uint8_t dst[8] = {60, 0, 1, 4};
	int i;

	for (i = 0; i < 9; i++)
		insert(f, len, L3 + 40, dst, sizeof(dst));
	f[L3 + 6] = 60;
	put_be16(f + L3 + 4, (uint16_t)(be16_at(f + L3 + 4) + 72));
}

static const struct bad_frame bad_frames[] = {
	{"v4 truncated in Ethernet", AF_INET, 10, cut_13, P2PKP_FRAME_TRUNC_ETH},
	{"v4 truncated in VLAN tag", AF_INET, 10, vlan_cut, P2PKP_FRAME_TRUNC_ETH},
	{"v4 EtherType ARP", AF_INET, 10, ethertype_arp, P2PKP_FRAME_NOT_IP},
	{"v4 three VLAN tags", AF_INET, 10, three_vlan_tags, P2PKP_FRAME_NOT_IP},
	{"v4 truncated in IP header", AF_INET, 10, cut_in_ip, P2PKP_FRAME_TRUNC_IP},
	{"v4 truncated in UDP header", AF_INET, 10, cut_in_udp, P2PKP_FRAME_TRUNC_IP},
	{"v4 truncated in payload", AF_INET, 10, cut_in_payload, P2PKP_FRAME_TRUNC_IP},
	{"v4 version 6", AF_INET, 10, swap_version, P2PKP_FRAME_BAD_VERSION},
	{"v4 IHL 4", AF_INET, 10, ihl_4, P2PKP_FRAME_BAD_IHL},
	{"v4 IHL 15 past the frame", AF_INET, 0, ihl_15, P2PKP_FRAME_TRUNC_IP},
	{"v4 total length < IHL", AF_INET, 10, ip4_totlen_short, P2PKP_FRAME_BAD_IP_LEN},
	{"v4 total length > frame", AF_INET, 10, ip4_totlen_long, P2PKP_FRAME_TRUNC_IP},
	{"v4 header checksum flipped", AF_INET, 10, ip4_csum_bad, P2PKP_FRAME_BAD_IP_CSUM},
	{"v4 header changed", AF_INET, 10, ip4_ttl_changed, P2PKP_FRAME_BAD_IP_CSUM},
	{"v4 more fragments", AF_INET, 10, ip4_more_fragments, P2PKP_FRAME_FRAGMENT},
	{"v4 fragment offset", AF_INET, 10, ip4_frag_offset, P2PKP_FRAME_FRAGMENT},
	{"v4 TCP", AF_INET, 10, ip4_tcp, P2PKP_FRAME_NOT_UDP},
	{"v4 IP payload < UDP header", AF_INET, 10, ip4_totlen_no_udp, P2PKP_FRAME_TRUNC_UDP},
	{"v4 UDP length 7", AF_INET, 10, udp_len_7, P2PKP_FRAME_BAD_UDP_LEN},
	{"v4 UDP length beyond IP", AF_INET, 10, udp_len_beyond_ip, P2PKP_FRAME_BAD_UDP_LEN},
	{"v4 payload bit flipped", AF_INET, 1472, payload_flip, P2PKP_FRAME_BAD_UDP_CSUM},
	{"v4 odd payload bit flipped", AF_INET, 1, payload_flip, P2PKP_FRAME_BAD_UDP_CSUM},
	{"v4 UDP checksum flipped", AF_INET, 10, udp_csum_flip, P2PKP_FRAME_BAD_UDP_CSUM},
	{"v4 UDP port changed", AF_INET, 10, udp_port_changed, P2PKP_FRAME_BAD_UDP_CSUM},
	{"v4 source address changed", AF_INET, 10, ip4_src_changed, P2PKP_FRAME_BAD_UDP_CSUM},
	{"v6 truncated in Ethernet", AF_INET6, 10, cut_13, P2PKP_FRAME_TRUNC_ETH},
	{"v6 truncated in IP header", AF_INET6, 10, cut_in_ip, P2PKP_FRAME_TRUNC_IP},
	{"v6 truncated in UDP header", AF_INET6, 10, cut_in_udp, P2PKP_FRAME_TRUNC_IP},
	{"v6 truncated in payload", AF_INET6, 10, cut_in_payload, P2PKP_FRAME_TRUNC_IP},
	{"v6 version 4", AF_INET6, 10, swap_version, P2PKP_FRAME_BAD_VERSION},
	{"v6 payload length > frame", AF_INET6, 10, ip6_plen_long, P2PKP_FRAME_TRUNC_IP},
	{"v6 payload < UDP header", AF_INET6, 10, ip6_plen_no_udp, P2PKP_FRAME_TRUNC_UDP},
	{"v6 fragment header", AF_INET6, 10, ip6_fragment_hdr, P2PKP_FRAME_FRAGMENT},
	{"v6 TCP", AF_INET6, 10, ip6_tcp, P2PKP_FRAME_NOT_UDP},
	{"v6 extension header past the packet", AF_INET6, 10, ip6_hbh_truncated,
	 P2PKP_FRAME_TRUNC_IP},
	{"v6 too many extension headers", AF_INET6, 10, ip6_ext_loop, P2PKP_FRAME_NOT_UDP},
	{"v6 UDP length 0 (jumbogram)", AF_INET6, 10, udp_len_0, P2PKP_FRAME_BAD_UDP_LEN},
	{"v6 UDP length beyond IP", AF_INET6, 10, udp_len_beyond_ip, P2PKP_FRAME_BAD_UDP_LEN},
	{"v6 zero UDP checksum", AF_INET6, 10, udp_csum_zero, P2PKP_FRAME_ZERO_UDP_CSUM},
	{"v6 payload bit flipped", AF_INET6, 1472, payload_flip, P2PKP_FRAME_BAD_UDP_CSUM},
	{"v6 odd payload bit flipped", AF_INET6, 7, payload_flip, P2PKP_FRAME_BAD_UDP_CSUM},
	{"v6 UDP checksum flipped", AF_INET6, 10, udp_csum_flip, P2PKP_FRAME_BAD_UDP_CSUM},
	{"v6 source address changed", AF_INET6, 10, ip6_src_changed, P2PKP_FRAME_BAD_UDP_CSUM},
};

#define N_BAD (sizeof(bad_frames) / sizeof(bad_frames[0]))

static void test_bad_frame(void **state)
{
	const struct bad_frame *bf = *state;
	static uint8_t f[BUF_SIZE];
	struct p2pkp_frame_info info;
	size_t len = build(bf->family, f, bf->plen);

	bf->mutate(f, &len);
	assert_parse(f, len, bf->want, &info);
	if (bf->want == P2PKP_FRAME_BAD_UDP_CSUM || bf->want == P2PKP_FRAME_ZERO_UDP_CSUM) {
		/* The caller may still count who sent it. */
		assert_int_equal(info.family, bf->family);
		assert_int_equal(info.dport, DPORT);
		assert_false(info.csum_valid);
	}
}

static void test_parse_every_truncation(void **state)
{
	static uint8_t f[BUF_SIZE];
	int families[] = {AF_INET, AF_INET6};
	struct p2pkp_frame_info info;
	size_t len, cut, i;

	for (i = 0; i < 2; i++) {
		len = build(families[i], f, 9);
		for (cut = 0; cut < len; cut++)
			assert_int_not_equal(p2pkp_frame_parse(f, cut, &info), P2PKP_FRAME_OK);
		assert_parse(f, len, P2PKP_FRAME_OK, &info);
	}
}

static void test_strerror(void **state)
{
	int e;

	for (e = 0; e < P2PKP_FRAME_ERR_MAX; e++)
		assert_non_null(p2pkp_frame_strerror((enum p2pkp_frame_err)e));
	assert_string_equal(p2pkp_frame_strerror(P2PKP_FRAME_ERR_MAX), "unknown frame error");
}

int main(void)
{
	static const struct CMUnitTest fixed[] = {
		cmocka_unit_test(test_csum_partial_matches_reference),
		cmocka_unit_test(test_csum_pieces_add_up),
		cmocka_unit_test(test_csum_rfc1071_example),
		cmocka_unit_test(test_csum_pseudo),
		cmocka_unit_test(test_hdr_len),
		cmocka_unit_test(test_build_ipv4),
		cmocka_unit_test(test_build_ipv6),
		cmocka_unit_test(test_build_zero_csum_sent_as_ffff),
		cmocka_unit_test(test_build_errors),
		cmocka_unit_test(test_parse_vlan),
		cmocka_unit_test(test_parse_ipv4_options_and_padding),
		cmocka_unit_test(test_parse_ipv4_zero_csum),
		cmocka_unit_test(test_parse_ipv6_ext_headers),
		cmocka_unit_test(test_parse_every_truncation),
		cmocka_unit_test(test_strerror),
	};
	enum { N_FIXED = sizeof(fixed) / sizeof(fixed[0]) };
	static struct CMUnitTest tests[N_FIXED + N_BAD];
	size_t i;

	memcpy(tests, fixed, sizeof(fixed));
	/* One named test per malformed frame, so a failure says which. */
	for (i = 0; i < N_BAD; i++) {
		tests[N_FIXED + i] = (struct CMUnitTest){
			.name = bad_frames[i].name,
			.test_func = test_bad_frame,
			.initial_state = (void *)&bad_frames[i],
		};
	}
	return _cmocka_run_group_tests("frame", tests, N_FIXED + N_BAD, NULL, NULL);
}
