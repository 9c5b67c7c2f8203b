// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Steers P2PKP datagrams (UDP to the configured port, at least one P2PKP
 * header long) into the AF_XDP socket bound to the packet's RX queue, and
 * passes everything else to the kernel stack untouched. Every packet is
 * counted once, under its family (IPv4, IPv6, other) and the reason for its
 * verdict.
 */
#include <linux/bpf.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "p2pkp_shared.h"
#include "parse.bpf.h"

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

/*
 * One entry per RX queue, written mostly by the process whose AF_XDP socket
 * serves the queue, through an mmap of the map; the program only adds the
 * rare no_socket count, which also makes the map one of the program's, so
 * that user space finds it beside the others.
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, P2PKP_MAX_QUEUES);
	__type(key, __u32);
	__type(value, struct p2pkp_rx_stats);
} rx_stats SEC(".maps");

/* Why a packet got its verdict; each maps to one counter. */
enum verdict_reason {
	REASON_STEERED,
	REASON_PASSED,
	REASON_TOO_SHORT,
	REASON_FRAGMENT,
	REASON_NO_SOCKET,
	REASON_MALFORMED,
};

static __always_inline void count(enum verdict_reason reason, __u32 fam)
{
	struct p2pkp_steer_verdicts *v;
	struct p2pkp_steer_stats *s;
	__u32 key = 0;

	s = bpf_map_lookup_elem(&stats, &key);
	if (!s || fam >= P2PKP_NFAMS)
		return;
	v = &s->fam[fam];
	switch (reason) {
	case REASON_STEERED:
		v->steered++;
		break;
	case REASON_PASSED:
		v->passed++;
		break;
	case REASON_TOO_SHORT:
		v->too_short++;
		break;
	case REASON_FRAGMENT:
		v->fragments++;
		break;
	case REASON_NO_SOCKET:
		v->no_socket++;
		break;
	case REASON_MALFORMED:
		v->malformed++;
		break;
	}
}

/* The queue's own count of datagrams that found no socket (several CPUs may add). */
static __always_inline void count_queue_no_socket(struct xdp_md *ctx)
{
	__u32 queue = ctx->rx_queue_index;
	struct p2pkp_rx_stats *q = bpf_map_lookup_elem(&rx_stats, &queue);

	if (q)
		__sync_fetch_and_add(&q->no_socket, 1);
}

/* Classifies the packet; REASON_STEERED means "redirect it". */
static __always_inline enum verdict_reason classify(struct xdp_md *ctx, __u32 *fam)
{
	struct udphdr *udph;
	__u32 payload_len;

	switch (parse_to_udp_fam(ctx, cfg.port, &udph, &payload_len, fam)) {
	case PARSE_OK:
		break;
	case PARSE_FRAGMENT:
		return REASON_FRAGMENT;
	case PARSE_MALFORMED:
		return REASON_MALFORMED;
	default:
		return REASON_PASSED;
	}
	if (payload_len < cfg.min_len)
		return REASON_TOO_SHORT;
	return REASON_STEERED;
}

SEC("xdp")
int p2pkp_steer(struct xdp_md *ctx)
{
	__u32 fam = P2PKP_FAM_OTHER;
	enum verdict_reason reason = classify(ctx, &fam);
	int action;

	if (reason != REASON_STEERED) {
		count(reason, fam);
		return XDP_PASS;
	}
	action = bpf_redirect_map(&xsks, ctx->rx_queue_index, XDP_PASS);
	if (action == XDP_REDIRECT) {
		count(REASON_STEERED, fam);
	} else {
		count(REASON_NO_SOCKET, fam);
		count_queue_no_socket(ctx);
	}
	return action;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
