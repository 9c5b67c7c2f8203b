// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * p2pkp-relay DEV_A DEV_B [--dup PCT] [--reorder PCT [--reorder-depth N]]
 *             [--drop PCT] [--seed N] [--duration S] [--json]
 *
 * Bridges two devices of a middle namespace (no addresses needed on them),
 * duplicating, reordering and dropping a seeded fraction of the P2PKP
 * datagrams that cross, and prints its counters when it stops.
 */
#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "log.h"
#include "options.h"
#include "p2pkp_shared.h"
#include "relay.h"

#define PROG "p2pkp-relay"

struct cli_cfg {
	const char *dev_a;
	const char *dev_b;
	unsigned int port;
	const char *drop;
	const char *dup;
	const char *reorder;
	unsigned int reorder_depth;
	unsigned int reorder_timeout_ms;
	const char *seed;
	unsigned int duration;
	int direction;
	bool finish_csum;
	bool json;
	bool verbose;
};

static const struct p2pkp_enum_val direction_vals[] = {
	{"both", RELAY_BOTH},
	{"forward", RELAY_FORWARD},
	{"reverse", RELAY_REVERSE},
	{NULL, 0},
};

static const struct p2pkp_option opts[] = {
	{.name = "dev_a",
	 .type = P2PKP_OPT_STRING,
	 .offset = offsetof(struct cli_cfg, dev_a),
	 .metavar = "DEV_A",
	 .help = "One side (e.g. the veth towards the sender)",
	 .positional = true,
	 .required = true},
	{.name = "dev_b",
	 .type = P2PKP_OPT_STRING,
	 .offset = offsetof(struct cli_cfg, dev_b),
	 .metavar = "DEV_B",
	 .help = "The other side (e.g. the veth towards the receivers)",
	 .positional = true,
	 .required = true},
	{.name = "port",
	 .short_name = 'p',
	 .type = P2PKP_OPT_UINT,
	 .offset = offsetof(struct cli_cfg, port),
	 .metavar = "PORT",
	 .help = "UDP destination port of the P2PKP datagrams (default 7471)",
	 .min = 1,
	 .max = 65535},
	{.name = "dup",
	 .type = P2PKP_OPT_STRING,
	 .offset = offsetof(struct cli_cfg, dup),
	 .metavar = "PCT",
	 .help = "Send PCT percent of them twice, decimals allowed (default 0)"},
	{.name = "reorder",
	 .short_name = 'r',
	 .type = P2PKP_OPT_STRING,
	 .offset = offsetof(struct cli_cfg, reorder),
	 .metavar = "PCT",
	 .help = "Hold PCT percent of them back behind later ones (default 0)"},
	{.name = "reorder-depth",
	 .type = P2PKP_OPT_UINT,
	 .offset = offsetof(struct cli_cfg, reorder_depth),
	 .metavar = "N",
	 .help = "A held datagram goes out after N later ones (default 3)",
	 .min = 1,
	 .max = 1000},
	{.name = "reorder-timeout",
	 .type = P2PKP_OPT_UINT,
	 .offset = offsetof(struct cli_cfg, reorder_timeout_ms),
	 .metavar = "MS",
	 .help = "... or after MS milliseconds, whichever comes first (default 50)",
	 .min = 1,
	 .max = 60000},
	{.name = "drop",
	 .short_name = 'd',
	 .type = P2PKP_OPT_STRING,
	 .offset = offsetof(struct cli_cfg, drop),
	 .metavar = "PCT",
	 .help = "Drop PCT percent of them (default 0)"},
	{.name = "seed",
	 .short_name = 's',
	 .type = P2PKP_OPT_STRING,
	 .offset = offsetof(struct cli_cfg, seed),
	 .metavar = "N",
	 .help = "Seed of the decisions (default 1)"},
	{.name = "direction",
	 .type = P2PKP_OPT_ENUM,
	 .offset = offsetof(struct cli_cfg, direction),
	 .metavar = "DIR",
	 .help = "Which way faults apply: forward is DEV_A to DEV_B",
	 .enum_vals = direction_vals},
	{.name = "finish-csum",
	 .type = P2PKP_OPT_FLAG,
	 .offset = offsetof(struct cli_cfg, finish_csum),
	 .help = "Complete checksums the sender left to offload (veth), as a NIC would"},
	{.name = "duration",
	 .short_name = 't',
	 .type = P2PKP_OPT_UINT,
	 .offset = offsetof(struct cli_cfg, duration),
	 .metavar = "SEC",
	 .help = "Stop after SEC seconds (default 0: at SIGINT or SIGTERM)",
	 .min = 0,
	 .max = 86400},
	{.name = "json",
	 .short_name = 'j',
	 .type = P2PKP_OPT_FLAG,
	 .offset = offsetof(struct cli_cfg, json),
	 .help = "Print the counters as one JSON object"},
	P2PKP_OPT_VERBOSE(struct cli_cfg, "Print debug messages"),
	{.name = NULL},
};

static const struct p2pkp_cmd cmd = {
	.prog = PROG,
	.name = "",
	.summary = "Relay frames between DEV_A and DEV_B as a transparent bridge (AF_PACKET), and\n"
		   "duplicate, reorder and drop a seeded fraction of the P2PKP datagrams (UDP to\n"
		   "PORT); all other frames, ARP and ND included, cross unchanged. The fractions\n"
		   "slice one draw per datagram, so they add up to at most 100. Counters go to\n"
		   "stdout when the relay stops.",
	.opts = opts,
};

static int to_params(const struct cli_cfg *cfg, struct relay_params *p)
{
	memset(p, 0, sizeof(*p));
	p->seed = 1;
	p->dev[0] = cfg->dev_a;
	p->dev[1] = cfg->dev_b;
	p->port = (__u16)cfg->port;
	p->reorder_depth = cfg->reorder_depth;
	p->reorder_timeout_ms = cfg->reorder_timeout_ms;
	p->duration_s = cfg->duration;
	p->direction = cfg->direction;
	p->finish_csum = cfg->finish_csum;
	if (p2pkp_parse_pct("drop", cfg->drop, &p->drop_ppm) ||
	    p2pkp_parse_pct("dup", cfg->dup, &p->dup_ppm) ||
	    p2pkp_parse_pct("reorder", cfg->reorder, &p->reorder_ppm) ||
	    p2pkp_parse_seed(cfg->seed, &p->seed))
		return -EINVAL;
	if ((__u64)p->drop_ppm + p->dup_ppm + p->reorder_ppm > RELAY_PPM) {
		pr_warn("--drop, --dup and --reorder add up to more than 100%%\n");
		return -EINVAL;
	}
	return 0;
}

struct counter_field {
	const char *name;
	size_t offset;
};

#define FIELD(f)                                                                                   \
	{                                                                                          \
#f, offsetof(struct relay_counters, f)                                             \
	}

static const struct counter_field fields[] = {
	{"rx_a", offsetof(struct relay_counters, rx[0])},
	{"rx_b", offsetof(struct relay_counters, rx[1])},
	FIELD(other),
	FIELD(p2pkp),
	FIELD(forwarded),
	FIELD(dropped),
	FIELD(duplicated),
	FIELD(reordered),
	FIELD(released_by_timeout),
	FIELD(hold_full),
	FIELD(tx),
	FIELD(tx_errors),
	FIELD(kernel_drops),
};

#define N_FIELDS (sizeof(fields) / sizeof(fields[0]))

static __u64 field_value(const struct relay_counters *c, const struct counter_field *f)
{
	return *(const __u64 *)((const char *)c + f->offset);
}

static void print_counters(const struct relay_params *p, const struct relay_counters *c, bool json)
{
	size_t i;

	if (json) {
		printf("{\"dev_a\":\"%s\",\"dev_b\":\"%s\",\"port\":%u,\"seed\":%" PRIu64
		       ",\"counters\":{",
		       p->dev[0], p->dev[1], p->port, (uint64_t)p->seed);
		for (i = 0; i < N_FIELDS; i++)
			printf("%s\"%s\":%llu", i ? "," : "", fields[i].name,
			       (unsigned long long)field_value(c, &fields[i]));
		printf("}}\n");
	} else {
		printf("%s <-> %s: UDP port %u, seed %" PRIu64 "\n", p->dev[0], p->dev[1], p->port,
		       (uint64_t)p->seed);
		for (i = 0; i < N_FIELDS; i++)
			printf("  %-20s %llu\n", fields[i].name,
			       (unsigned long long)field_value(c, &fields[i]));
	}
	fflush(stdout);
}

int main(int argc, char **argv)
{
	struct cli_cfg cfg = {
		.port = P2PKP_DEFAULT_PORT,
		.reorder_depth = 3,
		.reorder_timeout_ms = 50,
		.direction = RELAY_BOTH,
	};
	struct relay_counters counters;
	struct relay_params params;
	int err;

	err = p2pkp_parse_or_exit(&cmd, argc, argv, &cfg);
	if (err >= 0)
		return err;
	if (to_params(&cfg, &params))
		return EXIT_USAGE;
	p2pkp_apply_verbosity(cfg.verbose);
	if (!p2pkp_require_root(PROG, "packet sockets need CAP_NET_RAW"))
		return 1;
	p2pkp_install_stop_handler();
	err = relay_run(&params, &counters);
	if (err)
		return 1;
	print_counters(&params, &counters, cfg.json);
	return 0;
}
