// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Steers P2PKP datagrams (UDP to the configured port, at least one P2PKP
 * header long) into the AF_XDP socket bound to the packet's RX queue, and
 * passes everything else to the kernel stack untouched. Every packet is
 * counted once, under the reason for its verdict.
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

/* Why a packet got its verdict; each maps to one counter. */
enum verdict_reason {
	REASON_STEERED,
	REASON_PASSED,
	REASON_TOO_SHORT,
	REASON_FRAGMENT,
	REASON_NO_SOCKET,
	REASON_MALFORMED,
};

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

/* Classifies the packet; REASON_STEERED means "redirect it". */
static __always_inline enum verdict_reason classify(struct xdp_md *ctx)
{
	struct udphdr *udph;
	__u32 payload_len;

	switch (parse_to_udp(ctx, cfg.port, &udph, &payload_len)) {
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
