// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * p2pkp-blast: pushes numbered, patterned P2PKP-shaped datagrams through the
 * transport and checks them on the other side. It proves both backends and
 * their interoperation, and is the raw-throughput baseline of the benchmark.
 *
 *   p2pkp-blast recv --dev DEV [--port P] [--backend B] --count N [--timeout S] [--idle S]
 *   p2pkp-blast send --dev DEV --to ADDR:PORT [--backend B] --count N [--size BYTES]
 *                    [--rate PPS]
 *
 * Message: struct p2pkp_hdr (linkid, msgid = sequence, command BLAST_CMD,
 * length), a 64-bit sequence number, then pattern bytes that depend on the
 * sequence, so a datagram delivered to the wrong place or altered is caught.
 */
#include <endian.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "cli.h"
#include "log.h"
#include "netpath.h"
#include "options.h"
#include "p2pkp_shared.h"
#include "steer.h"
#include "transport.h"

/* A command no P2PKP peer implements: a real receiver answers it as unknown. */
#define BLAST_CMD	   0x7ff0
#define BLAST_HDR	   (P2PKP_HDR_LEN + 8)
#define BLAST_MAX_SIZE	   9000
#define BLAST_DEFAULT_LINK 0x50325042ULL /* "P2PB" */
#define RX_BATCH	   64
#define RX_POLL_MS	   100
#define PATTERN_SPAN	   256

static __u8 pattern[PATTERN_SPAN + BLAST_MAX_SIZE];

static void init_pattern(void)
{
	size_t i;

	for (i = 0; i < sizeof(pattern); i++)
		pattern[i] = (__u8)(i * 7 + 1);
}

/* The pattern of sequence seq: a window into pattern[] that moves with seq. */
static const __u8 *pattern_of(__u64 seq)
{
	return pattern + (seq % PATTERN_SPAN);
}

static void print_stats_json(const struct p2pkp_transport_stats *st)
{
	printf("\"stats\":{\"rx_msgs\":%llu,\"rx_bytes\":%llu,\"tx_msgs\":%llu,\"tx_bytes\":%llu,"
	       "\"tx_kicks\":%llu,\"rx_wakeups\":%llu,\"rx_dropped\":%llu,\"tx_no_buf\":%llu,"
	       "\"rx_realigned\":%llu,\"rx_refused\":%llu}",
	       (unsigned long long)st->rx_msgs, (unsigned long long)st->rx_bytes,
	       (unsigned long long)st->tx_msgs, (unsigned long long)st->tx_bytes,
	       (unsigned long long)st->tx_kicks, (unsigned long long)st->rx_wakeups,
	       (unsigned long long)st->rx_dropped, (unsigned long long)st->tx_no_buf,
	       (unsigned long long)st->rx_realigned, (unsigned long long)st->rx_refused);
}

/* --- recv ------------------------------------------------------------------------ */

struct recv_cfg {
	const char *dev;
	unsigned int port;
	int backend;
	unsigned int count;
	unsigned int timeout;
	unsigned int idle;
	unsigned int frames;
	bool ipv6;
	bool zerocopy;
	bool json;
	bool verbose;
};

#define OPT_COMMON(cfg_t)                                                                          \
	{.name = "dev",                                                                            \
	 .short_name = 'd',                                                                        \
	 .type = P2PKP_OPT_STRING,                                                                 \
	 .offset = offsetof(cfg_t, dev),                                                           \
	 .metavar = "DEV",                                                                         \
	 .help = "Network device (required for xdp and auto)"},                                    \
		{.name = "backend",                                                                \
		 .short_name = 'b',                                                                \
		 .type = P2PKP_OPT_ENUM,                                                           \
		 .offset = offsetof(cfg_t, backend),                                               \
		 .metavar = "B",                                                                   \
		 .help = "Transport; auto is AF_XDP, else UDP sockets",                            \
		 .enum_vals = p2pkp_backend_vals},                                                 \
		{.name = "count",                                                                  \
		 .short_name = 'n',                                                                \
		 .type = P2PKP_OPT_UINT,                                                           \
		 .offset = offsetof(cfg_t, count),                                                 \
		 .metavar = "N",                                                                   \
		 .help = "Number of messages",                                                     \
		 .required = true,                                                                 \
		 .min = 1,                                                                         \
		 .max = 1000000000},                                                               \
		{.name = "frames",                                                                 \
		 .type = P2PKP_OPT_UINT,                                                           \
		 .offset = offsetof(cfg_t, frames),                                                \
		 .metavar = "F",                                                                   \
		 .help = "UMEM frames / socket buffers (default: the transport's)",                \
		 .min = 16,                                                                        \
		 .max = 1 << 18},                                                                  \
		{.name = "zerocopy",                                                               \
		 .type = P2PKP_OPT_FLAG,                                                           \
		 .offset = offsetof(cfg_t, zerocopy),                                              \
		 .help = "Ask AF_XDP for zero-copy (falls back to copy)"},                         \
		{.name = "json",                                                                   \
		 .short_name = 'j',                                                                \
		 .type = P2PKP_OPT_FLAG,                                                           \
		 .offset = offsetof(cfg_t, json),                                                  \
		 .help = "Print the summary as one JSON object"},                                  \
		P2PKP_OPT_VERBOSE(cfg_t, "Print debug messages")

static const struct p2pkp_option recv_opts[] = {
	OPT_COMMON(struct recv_cfg),
	{.name = "port",
	 .short_name = 'p',
	 .type = P2PKP_OPT_UINT,
	 .offset = offsetof(struct recv_cfg, port),
	 .metavar = "PORT",
	 .help = "UDP port to receive on (default 7471)",
	 .min = 1,
	 .max = 65535},
	{.name = "timeout",
	 .short_name = 't',
	 .type = P2PKP_OPT_UINT,
	 .offset = offsetof(struct recv_cfg, timeout),
	 .metavar = "SEC",
	 .help = "Give up after SEC seconds (default 10)",
	 .min = 1,
	 .max = 86400},
	{.name = "idle",
	 .type = P2PKP_OPT_UINT,
	 .offset = offsetof(struct recv_cfg, idle),
	 .metavar = "SEC",
	 .help = "Also stop once nothing arrived for SEC seconds after the first message "
		 "(for links allowed to lose some)",
	 .min = 1,
	 .max = 86400},
	{.name = "ipv6",
	 .short_name = '6',
	 .type = P2PKP_OPT_FLAG,
	 .offset = offsetof(struct recv_cfg, ipv6),
	 .help = "Expect IPv6 (aligns AF_XDP frames for IPv6 headers)"},
	{.name = NULL},
};

static const struct p2pkp_cmd recv_cmd = {
	.prog = "p2pkp-blast",
	.name = "recv",
	.summary = "Receive N blast messages, check each, print a summary. Exits 0 if all N\n"
		   "arrived intact within the timeout.",
	.opts = recv_opts,
};

struct rx_tally {
	__u64 linkid; /* of the first valid message; others are corrupt */
	__u64 received, duplicates, out_of_order, corrupt;
	__u64 max_seq_seen;
	bool any;
	double first, last;
	__u8 *seen; /* bitmap of N */
};

static bool msg_intact(const struct p2pkp_rx_msg *m, __u64 *seq)
{
	const struct p2pkp_hdr *h = (const void *)m->data;
	__u64 s;

	if (m->len < BLAST_HDR || be16toh(h->command) != BLAST_CMD || be16toh(h->length) != m->len)
		return false;
	memcpy(&s, m->data + P2PKP_HDR_LEN, 8);
	s = be64toh(s);
	if ((__u32)s != be32toh(h->msgid))
		return false;
	*seq = s;
	return !memcmp(m->data + BLAST_HDR, pattern_of(s), m->len - BLAST_HDR);
}

static void tally_one(struct rx_tally *t, const struct p2pkp_rx_msg *m, __u64 count)
{
	const struct p2pkp_hdr *h = (const void *)m->data;
	__u64 seq;

	if (!msg_intact(m, &seq) || seq >= count ||
	    (t->linkid && be64toh(h->linkid) != t->linkid)) {
		t->corrupt++;
		return;
	}
	t->linkid = be64toh(h->linkid);
	t->last = p2pkp_now_s();
	if (!t->any)
		t->first = t->last;
	if (t->seen[seq / 8] & (1u << (seq % 8))) {
		t->duplicates++;
		return;
	}
	t->seen[seq / 8] |= (__u8)(1u << (seq % 8));
	t->received++;
	if (t->any && seq < t->max_seq_seen)
		t->out_of_order++;
	if (!t->any || seq > t->max_seq_seen)
		t->max_seq_seen = seq;
	t->any = true;
}

/* The lowest sequence number that never arrived, or count if none is missing. */
static __u64 first_missing(const struct rx_tally *t, __u64 count)
{
	__u64 seq;

	for (seq = 0; seq < count; seq++)
		if (!(t->seen[seq / 8] & (1u << (seq % 8))))
			return seq;
	return count;
}

static void print_recv(const struct recv_cfg *cfg, const struct p2pkp_transport *tr,
		       const struct rx_tally *t, __u64 bytes, bool ok)
{
	struct p2pkp_transport_stats st;
	double secs = t->received > 1 ? t->last - t->first : 0;
	double pps = secs > 0 ? (double)(t->received - 1) / secs : 0;
	double gbps = secs > 0 ? (double)bytes * 8 / secs / 1e9 : 0;
	double sys = 0;

	p2pkp_transport_stats(tr, &st);
	if (st.rx_msgs)
		sys = (double)st.rx_wakeups / (double)st.rx_msgs;
	if (cfg->json) {
		printf("{\"role\":\"recv\",\"backend\":\"%s\",\"ok\":%s,\"count\":%u,"
		       "\"received\":%llu,\"missing\":%llu,\"duplicates\":%llu,\"out_of_order\":%llu,"
		       "\"corrupt\":%llu,\"seconds\":%.6f,\"pps\":%.0f,\"gbps\":%.4f,"
		       "\"syscalls_per_msg\":%.4f,\"first_missing\":%lld,",
		       p2pkp_transport_name(tr), ok ? "true" : "false", cfg->count,
		       (unsigned long long)t->received,
		       (unsigned long long)(cfg->count - t->received),
		       (unsigned long long)t->duplicates, (unsigned long long)t->out_of_order,
		       (unsigned long long)t->corrupt, secs, pps, gbps, sys,
		       t->received < cfg->count ? (long long)first_missing(t, cfg->count) : -1LL);
		print_stats_json(&st);
		printf("}\n");
		return;
	}
	printf("recv %s: %llu/%u received, %llu missing, %llu duplicate, %llu out of order, "
	       "%llu corrupt, %llu dropped; %.3f s, %.0f pps, %.3f Gbit/s, %.3f syscalls/msg\n",
	       p2pkp_transport_name(tr), (unsigned long long)t->received, cfg->count,
	       (unsigned long long)(cfg->count - t->received), (unsigned long long)t->duplicates,
	       (unsigned long long)t->out_of_order, (unsigned long long)t->corrupt,
	       (unsigned long long)st.rx_dropped, secs, pps, gbps, sys);
	if (t->received < cfg->count)
		printf("recv: first missing message: %llu\n",
		       (unsigned long long)first_missing(t, cfg->count));
}

static void receive_until_done(const struct recv_cfg *cfg, struct p2pkp_transport *tr,
			       struct rx_tally *t, __u64 *bytes)
{
	struct p2pkp_rx_msg msgs[RX_BATCH];
	double deadline = p2pkp_now_s() + cfg->timeout, last_rx = 0;
	int n, i;

	while (!p2pkp_stop_requested && t->received < cfg->count && p2pkp_now_s() < deadline) {
		n = p2pkp_rx_burst(tr, msgs, RX_BATCH, RX_POLL_MS);
		if (n < 0) {
			pr_warn("recv: %s\n", strerror(-n));
			return;
		}
		if (n > 0)
			last_rx = p2pkp_now_s();
		else if (cfg->idle && last_rx > 0 && p2pkp_now_s() - last_rx > cfg->idle)
			return;
		for (i = 0; i < n; i++) {
			tally_one(t, &msgs[i], cfg->count);
			*bytes += msgs[i].len;
		}
		p2pkp_rx_release(tr, msgs, (__u32)n);
	}
}

static int cmd_recv(int argc, char **argv)
{
	struct recv_cfg cfg = {
		.port = P2PKP_DEFAULT_PORT, .backend = P2PKP_BACKEND_AUTO, .timeout = 10};
	struct p2pkp_transport_opts opts = {0};
	struct p2pkp_transport *tr;
	struct rx_tally t = {0};
	__u64 bytes = 0;
	bool ok;
	int ret;

	ret = p2pkp_parse_or_exit(&recv_cmd, argc, argv, &cfg);
	if (ret >= 0)
		return ret;
	p2pkp_apply_verbosity(cfg.verbose);
	t.seen = calloc(cfg.count / 8 + 1, 1);
	if (!t.seen) {
		pr_warn("recv: out of memory\n");
		return 1;
	}
	opts = (struct p2pkp_transport_opts){
		.ifname = cfg.dev,
		.port = (__u16)cfg.port,
		.family = cfg.ipv6 ? AF_INET6 : AF_INET,
		.backend = cfg.backend,
		.frames = cfg.frames,
		.load_steering = true,
		.queue = -1,
		.zerocopy = cfg.zerocopy,
	};
	if (p2pkp_transport_open(&opts, &tr)) {
		free(t.seen);
		return 1;
	}
	pr_info("recv: listening on port %u (%s)\n", cfg.port, p2pkp_transport_name(tr));
	receive_until_done(&cfg, tr, &t, &bytes);
	ok = t.received == cfg.count && !t.corrupt;
	print_recv(&cfg, tr, &t, bytes, ok);
	p2pkp_transport_close(tr);
	free(t.seen);
	return ok ? 0 : 1;
}

/* --- send ------------------------------------------------------------------------ */

struct send_cfg {
	const char *dev;
	int backend;
	unsigned int count;
	unsigned int frames;
	bool zerocopy;
	bool json;
	bool verbose;
	const char *to;
	unsigned int size;
	unsigned int rate;
	unsigned int batch;
	unsigned int port;
	unsigned int timeout;
};

static const struct p2pkp_option send_opts[] = {
	OPT_COMMON(struct send_cfg),
	{.name = "to",
	 .type = P2PKP_OPT_STRING,
	 .offset = offsetof(struct send_cfg, to),
	 .metavar = "ADDR:PORT",
	 .help = "Receiver (port defaults to 7471)",
	 .required = true},
	{.name = "size",
	 .short_name = 's',
	 .type = P2PKP_OPT_UINT,
	 .offset = offsetof(struct send_cfg, size),
	 .metavar = "BYTES",
	 .help = "Message (UDP payload) size (default 1024)",
	 .min = BLAST_HDR,
	 .max = BLAST_MAX_SIZE},
	{.name = "rate",
	 .short_name = 'r',
	 .type = P2PKP_OPT_UINT,
	 .offset = offsetof(struct send_cfg, rate),
	 .metavar = "PPS",
	 .help = "Messages per second (default 0: as fast as possible)",
	 .min = 0,
	 .max = 100000000},
	{.name = "batch",
	 .type = P2PKP_OPT_UINT,
	 .offset = offsetof(struct send_cfg, batch),
	 .metavar = "N",
	 .help = "Messages per flush (default 32)",
	 .min = 1,
	 .max = 1024},
	{.name = "port",
	 .short_name = 'p',
	 .type = P2PKP_OPT_UINT,
	 .offset = offsetof(struct send_cfg, port),
	 .metavar = "PORT",
	 .help = "Local UDP port (default: any)",
	 .min = 0,
	 .max = 65535},
	{.name = "timeout",
	 .short_name = 't',
	 .type = P2PKP_OPT_UINT,
	 .offset = offsetof(struct send_cfg, timeout),
	 .metavar = "SEC",
	 .help = "Give up after SEC seconds (default 60)",
	 .min = 1,
	 .max = 86400},
	{.name = NULL},
};

static const struct p2pkp_cmd send_cmd = {
	.prog = "p2pkp-blast",
	.name = "send",
	.summary = "Send N blast messages of BYTES each to ADDR:PORT, at PPS if given.",
	.opts = send_opts,
};

static void fill_msg(__u8 *data, __u32 size, __u64 seq, __u64 linkid)
{
	struct p2pkp_hdr h = {
		.linkid = htobe64(linkid),
		.msgid = htobe32((__u32)seq),
		.command = htobe16(BLAST_CMD),
		.length = htobe16((__u16)size),
	};
	__u64 s = htobe64(seq);

	memcpy(data, &h, sizeof(h));
	memcpy(data + P2PKP_HDR_LEN, &s, 8);
	memcpy(data + BLAST_HDR, pattern_of(seq), size - BLAST_HDR);
}

static void sleep_until(double t)
{
	double d = t - p2pkp_now_s();

	if (d > 0)
		p2pkp_sleep_ns((__u64)(d * NSEC_PER_SEC));
}

/* Queues one message, flushing to free a buffer when all are in flight. */
static int send_one(struct p2pkp_transport *tr, const struct send_cfg *cfg,
		    const struct p2pkp_addr *to, __u64 seq, double deadline)
{
	struct p2pkp_tx_buf buf;
	int err;

	while ((err = p2pkp_tx_get(tr, &buf)) == -EAGAIN) {
		if (p2pkp_stop_requested || p2pkp_now_s() >= deadline)
			return -ETIMEDOUT;
		err = p2pkp_tx_flush(tr);
		if (err < 0)
			return err;
	}
	if (err)
		return err;
	if (cfg->size > buf.cap) {
		p2pkp_tx_abandon(tr, &buf);
		return -EMSGSIZE;
	}
	fill_msg(buf.data, cfg->size, seq, BLAST_DEFAULT_LINK);
	err = p2pkp_tx_put(tr, &buf, cfg->size, to);
	if (err)
		p2pkp_tx_abandon(tr, &buf);
	return err;
}

static int send_all(struct p2pkp_transport *tr, const struct send_cfg *cfg,
		    const struct p2pkp_addr *to, double *secs)
{
	double start = p2pkp_now_s(), deadline = start + cfg->timeout;
	__u64 seq;
	int err;

	for (seq = 0; seq < cfg->count; seq++) {
		if (cfg->rate && seq % cfg->batch == 0)
			sleep_until(start + (double)seq / cfg->rate);
		err = send_one(tr, cfg, to, seq, deadline);
		if (err)
			return err;
		if ((seq + 1) % cfg->batch == 0 || seq + 1 == cfg->count) {
			err = p2pkp_tx_flush(tr);
			if (err < 0)
				return err;
		}
	}
	*secs = p2pkp_now_s() - start;
	return 0;
}

static void print_send(const struct send_cfg *cfg, const struct p2pkp_transport *tr, double secs)
{
	struct p2pkp_transport_stats st;
	double pps = secs > 0 ? cfg->count / secs : 0;
	double gbps = pps * cfg->size * 8 / 1e9;
	double kicks = 0;

	p2pkp_transport_stats(tr, &st);
	if (st.tx_msgs)
		kicks = (double)st.tx_kicks / (double)st.tx_msgs;
	if (cfg->json) {
		printf("{\"role\":\"send\",\"backend\":\"%s\",\"count\":%u,\"size\":%u,\"rate\":%u,"
		       "\"seconds\":%.6f,\"pps\":%.0f,\"gbps\":%.4f,\"syscalls_per_msg\":%.4f,",
		       p2pkp_transport_name(tr), cfg->count, cfg->size, cfg->rate, secs, pps, gbps,
		       kicks);
		print_stats_json(&st);
		printf("}\n");
		return;
	}
	printf("send %s: %u x %u bytes in %.3f s, %.0f pps, %.3f Gbit/s, %.3f syscalls/msg\n",
	       p2pkp_transport_name(tr), cfg->count, cfg->size, secs, pps, gbps, kicks);
}

static int cmd_send(int argc, char **argv)
{
	struct send_cfg cfg = {
		.backend = P2PKP_BACKEND_AUTO, .size = 1024, .batch = 32, .timeout = 60};
	struct p2pkp_transport_opts opts;
	struct p2pkp_transport *tr;
	struct p2pkp_addr to;
	const char *why = NULL;
	double secs = 0;
	int ret, err;

	ret = p2pkp_parse_or_exit(&send_cmd, argc, argv, &cfg);
	if (ret >= 0)
		return ret;
	p2pkp_apply_verbosity(cfg.verbose);
	if (p2pkp_addr_parse(cfg.to, P2PKP_DEFAULT_PORT, &to, &why)) {
		pr_warn("send: invalid --to '%s': %s\n", cfg.to, why);
		return EXIT_USAGE;
	}
	opts = (struct p2pkp_transport_opts){
		.ifname = cfg.dev,
		.port = (__u16)cfg.port,
		.family = to.family,
		.backend = cfg.backend,
		.frames = cfg.frames,
		.load_steering = true,
		.queue = -1,
		.zerocopy = cfg.zerocopy,
	};
	if (p2pkp_transport_open(&opts, &tr))
		return 1;
	err = send_all(tr, &cfg, &to, &secs);
	if (err)
		pr_warn("send: %s\n", strerror(-err));
	else
		print_send(&cfg, tr, secs);
	p2pkp_transport_close(tr);
	return err ? 1 : 0;
}

/* --- main ------------------------------------------------------------------------- */

static const struct p2pkp_subcommand subcommands[] = {
	{"recv", "Receive and check the datagrams", cmd_recv},
	{"send", "Send the datagrams", cmd_send},
	{NULL, NULL, NULL},
};

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: p2pkp-blast recv|send [options]\n\n"
		"Blast numbered, patterned P2PKP-shaped datagrams through the transport\n"
		"and check them on arrival. 'p2pkp-blast COMMAND --help' lists the options.\n");
}

int main(int argc, char **argv)
{
	p2pkp_hook_lib_logging();
	init_pattern();
	p2pkp_install_stop_handler();
	return p2pkp_run_subcommand("p2pkp-blast", subcommands, usage, "recv or send", argc, argv);
}
