// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Fault injection for the middle hop of a test network: drops and corrupts a
 * configured fraction of P2PKP datagrams (UDP to the configured port, at least
 * one P2PKP header long) and passes everything else untouched. With
 * fault_all_ip set, every IPv4 and IPv6 packet is a candidate for loss instead
 * (any protocol, port or length: a lossy link for TCP and other tools alike).
 *
 * Decisions come from a splitmix64 generator whose per-CPU state userspace
 * seeds, not from bpf_get_prandom_u32(), so that a run can be repeated: the
 * same seed and the same packets give the same drops and the same flipped
 * bytes. Every matching packet consumes exactly one draw, whatever its fate.
 */
#include <linux/bpf.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "p2pkp_shared.h"
#include "parse.bpf.h"

#define PPM 1000000ULL
/*
 * Corruption hits the first MAX_FLIP_SPAN payload bytes: the verifier only
 * tracks packet pointers whose variable offset stays below 64 KiB, and the
 * headers before the payload already have a variable length.
 */
#define MAX_FLIP_SPAN 0x3fff

/*
 * Load-time configuration, set through the skeleton's rodata. Plain scalars,
 * so the skeleton needs no shared struct definition. drop_ppm + corrupt_ppm
 * must not exceed one million: both slice the same draw.
 */
const volatile __u16 fault_port = P2PKP_DEFAULT_PORT; /* host order */
const volatile __u32 drop_ppm = 0;
const volatile __u32 corrupt_ppm = 0;
const volatile __u32 fault_flags = 0;
/* Non-zero: match every IPv4/IPv6 packet, not only P2PKP datagrams; never corrupt. */
const volatile __u32 fault_all_ip = 0;
/*
 * Informational: userspace seeds fault_rng. Kept last, so that .rodata has no
 * tail padding: prog.c tells another build by its size, against the skeleton's.
 */
const volatile __u64 fault_seed = 0;

/*
 * Per-CPU counters. Userspace reads the member names from the map's BTF, so
 * `p2pkp-fault stats` needs no copy of this layout; every member is a __u64.
 * seen = passed + dropped + corrupted; other counts everything not matched
 * (not P2PKP; with fault_all_ip, not IP).
 */
struct fault_stats {
	__u64 seen;
	__u64 passed;
	__u64 dropped;
	__u64 corrupted;
	__u64 other;
};

enum fault_counter {
	FAULT_SEEN,
	FAULT_PASSED,
	FAULT_DROPPED,
	FAULT_CORRUPTED,
	FAULT_OTHER,
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct fault_stats);
} fault_stats SEC(".maps");

/* splitmix64 state, one per CPU, written by userspace before attaching. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} fault_rng SEC(".maps");

static __always_inline void count(enum fault_counter c)
{
	struct fault_stats *s;
	__u32 key = 0;

	s = bpf_map_lookup_elem(&fault_stats, &key);
	if (!s)
		return;
	switch (c) {
	case FAULT_SEEN:
		s->seen++;
		break;
	case FAULT_PASSED:
		s->passed++;
		break;
	case FAULT_DROPPED:
		s->dropped++;
		break;
	case FAULT_CORRUPTED:
		s->corrupted++;
		break;
	case FAULT_OTHER:
		s->other++;
		break;
	}
}

static __always_inline __u64 splitmix64(__u64 *state)
{
	__u64 z = (*state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/*
 * Returns the UDP header of a P2PKP datagram and its payload length, or NULL.
 * Fragments, malformed packets and runts are not P2PKP datagrams here: they
 * all pass untouched as "other".
 */
static __always_inline struct udphdr *find_p2pkp(struct xdp_md *ctx, __u32 *payload_len)
{
	struct udphdr *udph;

	if (parse_to_udp(ctx, bpf_htons(fault_port), &udph, payload_len) != PARSE_OK)
		return NULL;
	if (*payload_len < P2PKP_HDR_LEN)
		return NULL;
	return udph;
}

/*
 * An IPv4 or IPv6 packet (EtherType behind up to two VLAN tags, the fixed IP
 * header whole), of any protocol: what fault_all_ip matches.
 */
static __always_inline int is_ip(struct xdp_md *ctx)
{
	struct cursor c;
	int proto;

	cursor_init(&c, ctx);
	proto = parse_eth(&c);
	if (proto == ETH_P_IP)
		return c.pos + sizeof(struct iphdr) <= c.end;
	if (proto == ETH_P_IPV6)
		return c.pos + sizeof(struct ipv6hdr) <= c.end;
	return 0;
}

/*
 * RFC 1624 incremental update for one changed byte. Its offset within the UDP
 * header+payload decides whether it is the high or the low byte of its
 * 16-bit word.
 */
static __always_inline void fix_udp_csum(struct udphdr *udph, __u32 udp_off, __u8 old, __u8 new)
{
	__u32 old_w = udp_off & 1 ? old : (__u32)old << 8;
	__u32 new_w = udp_off & 1 ? new : (__u32) new << 8;
	__u32 sum;
	__u16 csum;

	/* Zero means "no checksum" over IPv4; there is nothing to keep right. */
	if (!udph->check)
		return;
	sum = (~bpf_ntohs(udph->check) & 0xffff) + (~old_w & 0xffff) + new_w;
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	csum = ~sum & 0xffff;
	udph->check = bpf_htons(csum ? csum : 0xffff);
}

/* Flips one byte of the payload, chosen by the upper half of the draw. */
static __always_inline void corrupt(struct xdp_md *ctx, struct udphdr *udph, __u32 payload_len,
				    __u64 draw)
{
	void *end = (void *)(long)ctx->data_end;
	__u8 mask = (draw >> 48) & 0xff;
	__u32 pos, span;
	__u8 *p, old;

	span = payload_len < MAX_FLIP_SPAN ? payload_len : MAX_FLIP_SPAN;
	pos = (((draw >> 32) & 0xffff) * span) >> 16;
	/*
	 * pos < span already, but the 6.1 verifier loses the bounds of a product
	 * and then refuses the packet pointer: the mask restores them, and asm
	 * keeps clang from dropping it as redundant.
	 */
	asm volatile("%0 &= %1" : "+r"(pos) : "i"(MAX_FLIP_SPAN));
	/* XOR with a non-zero mask: the byte is guaranteed to change. */
	if (!mask)
		mask = 0xff;
	p = (__u8 *)(udph + 1) + pos;
	if ((void *)(p + 1) > end)
		return;
	old = *p;
	*p = old ^ mask;
	if (fault_flags & P2PKP_FAULT_F_FIX_CSUM)
		fix_udp_csum(udph, sizeof(*udph) + pos, old, old ^ mask);
}

SEC("xdp")
int p2pkp_fault(struct xdp_md *ctx)
{
	__u32 key = 0, payload_len = 0, slot;
	struct udphdr *udph = NULL;
	__u64 *state, draw;

	if (!fault_all_ip)
		udph = find_p2pkp(ctx, &payload_len);
	if (fault_all_ip ? !is_ip(ctx) : !udph) {
		count(FAULT_OTHER);
		return XDP_PASS;
	}
	count(FAULT_SEEN);
	state = bpf_map_lookup_elem(&fault_rng, &key);
	if (!state) {
		count(FAULT_PASSED);
		return XDP_PASS;
	}
	draw = splitmix64(state);
	/* The low half, scaled to [0, 1e6), picks the slice: drop, corrupt, pass. */
	slot = ((draw & 0xffffffffULL) * PPM) >> 32;
	if (slot < drop_ppm) {
		count(FAULT_DROPPED);
		return XDP_DROP;
	}
	/* Corruption needs a UDP payload: with fault_all_ip there is none to flip. */
	if (slot < drop_ppm + corrupt_ppm && udph) {
		corrupt(ctx, udph, payload_len, draw);
		count(FAULT_CORRUPTED);
		return XDP_PASS;
	}
	count(FAULT_PASSED);
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
