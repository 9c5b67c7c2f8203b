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
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "options.h"
#include "p2pkp_shared.h"
#include "relay.h"

#define PROG	   "p2pkp-relay"
#define EXIT_USAGE 2

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
	{.name = "verbose",
	 .short_name = 'v',
	 .type = P2PKP_OPT_FLAG,
	 .offset = offsetof(struct cli_cfg, verbose),
	 .help = "Print debug messages"},
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

/* "10", "0.5", "30%": a percentage with decimals, as parts per million. */
static int parse_pct(const char *opt, const char *arg, __u32 *ppm)
{
	char *end;
	double v;

	*ppm = 0;
	if (!arg)
		return 0;
	errno = 0;
	v = strtod(arg, &end);
	if (*end == '%')
		end++;
	/* v == v rejects NaN without libm. */
	if (errno || end == arg || *end || v != v || v < 0 || v > 100) {
		pr_warn("invalid value '%s' for --%s: expected a percentage from 0 to 100\n", arg,
			opt);
		return -EINVAL;
	}
	*ppm = (__u32)(v * (RELAY_PPM / 100) + 0.5);
	return 0;
}

static int parse_seed(const char *arg, __u64 *seed)
{
	unsigned long long v;
	char *end;

	*seed = 1;
	if (!arg)
		return 0;
	errno = 0;
	v = strtoull(arg, &end, 0);
	if (errno || end == arg || *end || arg[0] == '-') {
		pr_warn("invalid value '%s' for --seed: expected an integer from 0 to 2^64-1\n",
			arg);
		return -EINVAL;
	}
	*seed = v;
	return 0;
}

static int to_params(const struct cli_cfg *cfg, struct relay_params *p)
{
	memset(p, 0, sizeof(*p));
	p->dev[0] = cfg->dev_a;
	p->dev[1] = cfg->dev_b;
	p->port = (__u16)cfg->port;
	p->reorder_depth = cfg->reorder_depth;
	p->reorder_timeout_ms = cfg->reorder_timeout_ms;
	p->duration_s = cfg->duration;
	p->direction = cfg->direction;
	p->finish_csum = cfg->finish_csum;
	if (parse_pct("drop", cfg->drop, &p->drop_ppm) || parse_pct("dup", cfg->dup, &p->dup_ppm) ||
	    parse_pct("reorder", cfg->reorder, &p->reorder_ppm) || parse_seed(cfg->seed, &p->seed))
		return -EINVAL;
	if ((__u64)p->drop_ppm + p->dup_ppm + p->reorder_ppm > RELAY_PPM) {
		pr_warn("--drop, --dup and --reorder add up to more than 100%%\n");
		return -EINVAL;
	}
	return 0;
}

static void on_signal(int sig)
{
	relay_stop = 1;
}

/* Without SA_RESTART, so that poll() returns at once. */
static void install_signals(void)
{
	struct sigaction sa = {.sa_handler = on_signal};

	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
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

	err = p2pkp_parse_opts(&cmd, argc, argv, &cfg);
	if (err == P2PKP_PARSE_HELP)
		return 0;
	if (err || to_params(&cfg, &params))
		return EXIT_USAGE;
	if (cfg.verbose)
		p2pkp_log_set_level(P2PKP_LOG_DEBUG);
	if (geteuid() != 0) {
		pr_warn(PROG ": must be run as root (packet sockets need CAP_NET_RAW)\n");
		return 1;
	}
	install_signals();
	err = relay_run(&params, &counters);
	if (err)
		return 1;
	print_counters(&params, &counters, cfg.json);
	return 0;
}
