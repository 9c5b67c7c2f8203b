// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * p2pkp-fault: drop and corrupt a fraction of P2PKP datagrams on a middle hop
 * with an XDP program, reproducibly (seeded), for the transfer tests; or drop
 * a fraction of every IPv4/IPv6 packet (--match ip), for benchmarks of any
 * protocol under loss.
 *
 *   p2pkp-fault load DEV [--match p2pkp|ip] [--port P] [--drop PCT] [--corrupt PCT]
 *                        [--fix-csum] [--seed N] [--mode auto|native|skb]
 *   p2pkp-fault unload DEV
 *   p2pkp-fault stats DEV [--json]
 */
#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "fault.h"
#include "log.h"
#include "options.h"
#include "p2pkp_shared.h"

#define PROG "p2pkp-fault"

#define OPT_DEV(cfg_t)                                                                             \
	{                                                                                          \
		.name = "dev", .type = P2PKP_OPT_STRING, .offset = offsetof(cfg_t, dev),           \
		.metavar = "DEV", .help = "Network device (the middle hop's ingress)",             \
		.positional = true, .required = true                                               \
	}

/* Debug messages include libbpf's and libxdp's (p2pkp_hook_lib_logging). */
#define OPT_VERBOSE(cfg_t) P2PKP_OPT_VERBOSE(cfg_t, "Print debug messages, also libbpf's")

/* --- load ------------------------------------------------------------------- */

struct load_cfg {
	const char *dev;
	int match;
	unsigned int port;
	const char *drop;
	const char *corrupt;
	bool fix_csum;
	const char *seed;
	int mode;
	bool verbose;
};

static const struct p2pkp_enum_val match_vals[] = {
	{"p2pkp", FAULT_MATCH_P2PKP},
	{"ip", FAULT_MATCH_IP},
	{NULL, 0},
};

static const struct p2pkp_option load_opts[] = {
	OPT_DEV(struct load_cfg),
	{.name = "match",
	 .type = P2PKP_OPT_ENUM,
	 .offset = offsetof(struct load_cfg, match),
	 .metavar = "WHAT",
	 .help = "Faulted packets: p2pkp = P2PKP datagrams to --port (default), ip = every "
		 "IPv4/IPv6 packet (--drop only)",
	 .enum_vals = match_vals},
	{.name = "port",
	 .short_name = 'p',
	 .type = P2PKP_OPT_UINT,
	 .offset = offsetof(struct load_cfg, port),
	 .metavar = "PORT",
	 .help = "UDP destination port of the P2PKP datagrams (default 7471)",
	 .min = 1,
	 .max = 65535},
	{.name = "drop",
	 .short_name = 'd',
	 .type = P2PKP_OPT_STRING,
	 .offset = offsetof(struct load_cfg, drop),
	 .metavar = "PCT",
	 .help = "Drop PCT percent of them, decimals allowed (default 0)"},
	{.name = "corrupt",
	 .short_name = 'c',
	 .type = P2PKP_OPT_STRING,
	 .offset = offsetof(struct load_cfg, corrupt),
	 .metavar = "PCT",
	 .help = "Flip one payload byte in PCT percent of them (default 0)"},
	{.name = "fix-csum",
	 .type = P2PKP_OPT_FLAG,
	 .offset = offsetof(struct load_cfg, fix_csum),
	 .help = "Fix the UDP checksum after corrupting, so only the protocol's CRC sees it"},
	{.name = "seed",
	 .short_name = 's',
	 .type = P2PKP_OPT_STRING,
	 .offset = offsetof(struct load_cfg, seed),
	 .metavar = "N",
	 .help = "Seed of the decisions: same seed, same packets, same faults (default 1)"},
	P2PKP_OPT_XDP_MODE(struct load_cfg),
	OPT_VERBOSE(struct load_cfg),
	{.name = NULL},
};

static const struct p2pkp_cmd load_cmd = {
	.prog = PROG,
	.name = "load",
	.summary =
		"Attach the fault program to DEV: of the P2PKP datagrams arriving there (or of\n"
		"every IPv4/IPv6 packet, with --match ip), drop and corrupt the given fractions,\n"
		"chosen by a seeded generator; pass all other traffic untouched. Loading again\n"
		"replaces the parameters (counters restart).",
	.opts = load_opts,
};

static int load_params(const struct load_cfg *cfg, struct fault_params *p)
{
	memset(p, 0, sizeof(*p));
	p->match = (enum fault_match)cfg->match;
	p->port = (__u16)cfg->port;
	p->seed = 1;
	p->flags = cfg->fix_csum ? P2PKP_FAULT_F_FIX_CSUM : 0;
	if (p2pkp_parse_pct("drop", cfg->drop, &p->drop_ppm) ||
	    p2pkp_parse_pct("corrupt", cfg->corrupt, &p->corrupt_ppm) ||
	    p2pkp_parse_seed(cfg->seed, &p->seed))
		return -EINVAL;
	/* Both slice one draw per datagram: together they cannot exceed all of them. */
	if (p->drop_ppm + p->corrupt_ppm > FAULT_PPM) {
		pr_warn("--drop and --corrupt add up to more than 100%%\n");
		return -EINVAL;
	}
	/* Only a P2PKP datagram has a payload the program knows how to flip. */
	if (p->match == FAULT_MATCH_IP && p->corrupt_ppm) {
		pr_warn("--corrupt needs --match p2pkp: --match ip only drops\n");
		return -EINVAL;
	}
	return 0;
}

/* "UDP port 7471" or "all IP packets", for the messages. */
static const char *match_desc(const struct fault_params *p)
{
	static char buf[32];

	if (p->match == FAULT_MATCH_IP)
		return "all IP packets";
	snprintf(buf, sizeof(buf), "UDP port %u", p->port);
	return buf;
}

static int cmd_load(int argc, char **argv)
{
	struct load_cfg cfg = {
		.match = FAULT_MATCH_P2PKP, .port = P2PKP_DEFAULT_PORT, .mode = XDP_MODE_UNSPEC};
	struct fault_params params;
	struct fault_info info;
	bool replaced;
	int ret;

	ret = p2pkp_parse_or_exit(&load_cmd, argc, argv, &cfg);
	if (ret >= 0)
		return ret;
	p2pkp_apply_verbosity(cfg.verbose);
	if (load_params(&cfg, &params))
		return EXIT_USAGE;
	if (!p2pkp_require_root(PROG " load", P2PKP_ROOT_FOR_XDP))
		return 1;
	if (fault_load(cfg.dev, &params, cfg.mode, &replaced))
		return 1;
	if (fault_find(cfg.dev, &info)) {
		pr_warn("%s: fault program vanished after loading\n", cfg.dev);
		return 1;
	}
	pr_info("%s: fault program %u %s (%s mode), %s, drop %g%%, corrupt %g%%%s, "
		"seed %" PRIu64 "\n",
		cfg.dev, info.prog.prog_id, replaced ? "replaced" : "loaded",
		p2pkp_mode_name(info.prog.mode), match_desc(&params), params.drop_ppm / 10000.0,
		params.corrupt_ppm / 10000.0,
		params.flags & P2PKP_FAULT_F_FIX_CSUM ? " (checksum fixed)" : "",
		(uint64_t)params.seed);
	fault_info_close(&info);
	return 0;
}

/* --- unload ----------------------------------------------------------------- */

struct dev_cfg {
	const char *dev;
	bool json;
	bool verbose;
};

static const struct p2pkp_option unload_opts[] = {
	OPT_DEV(struct dev_cfg),
	OPT_VERBOSE(struct dev_cfg),
	{.name = NULL},
};

static const struct p2pkp_cmd unload_cmd = {
	.prog = PROG,
	.name = "unload",
	.summary = "Detach the fault program from DEV.",
	.opts = unload_opts,
};

static int cmd_unload(int argc, char **argv)
{
	struct dev_cfg cfg = {0};
	int ret;

	ret = p2pkp_parse_or_exit(&unload_cmd, argc, argv, &cfg);
	if (ret >= 0)
		return ret;
	p2pkp_apply_verbosity(cfg.verbose);
	if (!p2pkp_require_root(PROG " unload", P2PKP_ROOT_FOR_XDP))
		return 1;
	if (fault_unload(cfg.dev))
		return 1;
	pr_info("%s: fault program unloaded\n", cfg.dev);
	return 0;
}

/* --- stats ------------------------------------------------------------------ */

static const struct p2pkp_option stats_opts[] = {
	OPT_DEV(struct dev_cfg),
	{.name = "json",
	 .short_name = 'j',
	 .type = P2PKP_OPT_FLAG,
	 .offset = offsetof(struct dev_cfg, json),
	 .help = "Print one JSON object"},
	OPT_VERBOSE(struct dev_cfg),
	{.name = NULL},
};

static const struct p2pkp_cmd stats_cmd = {
	.prog = PROG,
	.name = "stats",
	.summary = "Show the fault program on DEV: its parameters and counters (seen = passed +\n"
		   "dropped + corrupted; other = not matched). Exits 1 if it is not loaded.",
	.opts = stats_opts,
};

static void print_stats_text(const struct fault_info *info, const struct fault_counters *c)
{
	const struct fault_params *p = &info->params;
	unsigned int i;

	printf("%s: fault program %u, %s mode, %s, drop %g%%, corrupt %g%% (checksum "
	       "%s), seed %" PRIu64 "\n",
	       info->ifname, info->prog.prog_id, p2pkp_mode_name(info->prog.mode), match_desc(p),
	       p->drop_ppm / 10000.0, p->corrupt_ppm / 10000.0,
	       p->flags & P2PKP_FAULT_F_FIX_CSUM ? "fixed" : "stale", (uint64_t)p->seed);
	for (i = 0; i < c->n; i++)
		printf("  %-10s %llu\n", c->names[i], (unsigned long long)c->values[i]);
}

static void print_stats_json(const struct fault_info *info, const struct fault_counters *c)
{
	const struct fault_params *p = &info->params;
	unsigned int i;

	printf("{\"dev\":\"%s\",\"loaded\":true,\"prog_id\":%u,\"mode\":\"%s\",\"match\":\"%s\","
	       "\"port\":%u,\"drop_ppm\":%u,\"corrupt_ppm\":%u,\"fix_csum\":%s,\"seed\":%" PRIu64
	       ",\"counters\":{",
	       info->ifname, info->prog.prog_id, p2pkp_mode_name(info->prog.mode),
	       p2pkp_enum_name(match_vals, (int)p->match), p->port, p->drop_ppm, p->corrupt_ppm,
	       p->flags & P2PKP_FAULT_F_FIX_CSUM ? "true" : "false", (uint64_t)p->seed);
	for (i = 0; i < c->n; i++)
		printf("%s\"%s\":%llu", i ? "," : "", c->names[i],
		       (unsigned long long)c->values[i]);
	printf("}}\n");
}

static int cmd_stats(int argc, char **argv)
{
	struct fault_counters counters;
	struct dev_cfg cfg = {0};
	struct fault_info info;
	int ret, err;

	ret = p2pkp_parse_or_exit(&stats_cmd, argc, argv, &cfg);
	if (ret >= 0)
		return ret;
	p2pkp_apply_verbosity(cfg.verbose);
	if (!p2pkp_require_root(PROG " stats", P2PKP_ROOT_FOR_XDP))
		return 1;
	err = fault_find(cfg.dev, &info);
	if (err == -ENOENT) {
		if (cfg.json)
			printf("{\"dev\":\"%s\",\"loaded\":false}\n", cfg.dev);
		else
			pr_warn("%s: the fault program is not loaded\n", cfg.dev);
	}
	if (err)
		return 1;
	err = fault_read_counters(&info, &counters);
	if (err)
		pr_warn("%s: cannot read the counters: %s\n", cfg.dev, strerror(-err));
	else if (cfg.json)
		print_stats_json(&info, &counters);
	else
		print_stats_text(&info, &counters);
	fault_info_close(&info);
	return err ? 1 : 0;
}

/* --- dispatch --------------------------------------------------------------- */

static const struct p2pkp_subcommand subcommands[] = {
	{"load", "Attach the fault program to a device (or change its parameters)", cmd_load},
	{"unload", "Detach the fault program from a device", cmd_unload},
	{"stats", "Show the parameters and counters of the fault program", cmd_stats},
	{NULL, NULL, NULL},
};

static void usage(FILE *out)
{
	const struct p2pkp_subcommand *c;

	fprintf(out,
		"Usage: " PROG " COMMAND [options]\n\n"
		"Drop and corrupt a seeded fraction of P2PKP datagrams (or drop a fraction of\n"
		"every IPv4/IPv6 packet) with XDP, for tests and benchmarks.\n\n"
		"Commands:\n");
	for (c = subcommands; c->name; c++)
		fprintf(out, "  %-8s %s\n", c->name, c->summary);
	fprintf(out, "\nRun '" PROG " COMMAND --help' for the options of a command.\n");
}

int main(int argc, char **argv)
{
	p2pkp_hook_lib_logging();
	return p2pkp_run_subcommand(PROG, subcommands, usage, NULL, argc, argv);
}
