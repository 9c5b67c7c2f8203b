// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* load, unload and status: managing the steering program on a device. */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "commands.h"
#include "log.h"
#include "steer.h"

/* Debug messages include libbpf's and libxdp's (p2pkp_hook_lib_logging). */
#define OPT_VERBOSE(cfg_t) P2PKP_OPT_VERBOSE(cfg_t, "Print debug messages, also libbpf's")

#define OPT_DEV(cfg_t, is_required)                                                                \
	{                                                                                          \
		.name = "dev", .type = P2PKP_OPT_STRING, .offset = offsetof(cfg_t, dev),           \
		.metavar = "DEV", .help = "Network device", .positional = true,                    \
		.required = is_required                                                            \
	}

/* --- load ------------------------------------------------------------------- */

struct load_cfg {
	const char *dev;
	unsigned int port;
	int mode;
	bool verbose;
};

static const struct p2pkp_option load_opts[] = {
	OPT_DEV(struct load_cfg, true),
	{.name = "port",
	 .short_name = 'p',
	 .type = P2PKP_OPT_UINT,
	 .offset = offsetof(struct load_cfg, port),
	 .metavar = "PORT",
	 .help = "UDP port whose datagrams are steered (default 7471)",
	 .min = 1,
	 .max = 65535},
	P2PKP_OPT_XDP_MODE(struct load_cfg),
	OPT_VERBOSE(struct load_cfg),
	{.name = NULL},
};

static const struct p2pkp_cmd load_cmd = {
	.name = "load",
	.summary =
		"Attach the steering program to DEV: P2PKP datagrams go to AF_XDP sockets,\n"
		"everything else to the kernel stack. Loading again with the same port is a no-op.",
	.opts = load_opts,
};

int cmd_load(int argc, char **argv)
{
	struct load_cfg cfg = {.port = P2PKP_DEFAULT_PORT, .mode = XDP_MODE_UNSPEC};
	struct p2pkp_steer_info info;
	bool attached;
	int ret, err;

	ret = p2pkp_parse_or_exit(&load_cmd, argc, argv, &cfg);
	if (ret >= 0)
		return ret;
	p2pkp_apply_verbosity(cfg.verbose);
	if (!p2pkp_require_root("load", P2PKP_ROOT_FOR_XDP))
		return 1;
	err = p2pkp_steer_load(cfg.dev, cfg.port, cfg.mode, &attached);
	if (err == -EEXIST && !p2pkp_steer_find(cfg.dev, &info)) {
		pr_warn("%s: 'p2pkp-xdp unload %s' first to steer another port\n", cfg.dev,
			cfg.dev);
		p2pkp_steer_info_close(&info);
	}
	if (err)
		return 1;
	err = p2pkp_steer_find(cfg.dev, &info);
	if (err) {
		pr_warn("%s: steering program vanished after loading\n", cfg.dev);
		return 1;
	}
	pr_info("%s: steering program %u %s (%s mode%s), UDP port %u\n", cfg.dev, info.prog.prog_id,
		attached ? "loaded" : "already loaded", p2pkp_mode_name(info.prog.mode),
		info.prog.multiprog ? ", multiprog" : "", cfg.port);
	p2pkp_steer_info_close(&info);
	return 0;
}

/* --- unload ----------------------------------------------------------------- */

struct unload_cfg {
	const char *dev;
	bool verbose;
};

static const struct p2pkp_option unload_opts[] = {
	OPT_DEV(struct unload_cfg, true),
	OPT_VERBOSE(struct unload_cfg),
	{.name = NULL},
};

static const struct p2pkp_cmd unload_cmd = {
	.name = "unload",
	.summary = "Detach the steering program from DEV and remove its pins; other XDP\n"
		   "programs on DEV stay attached.",
	.opts = unload_opts,
};

int cmd_unload(int argc, char **argv)
{
	struct unload_cfg cfg = {0};
	int ret;

	ret = p2pkp_parse_or_exit(&unload_cmd, argc, argv, &cfg);
	if (ret >= 0)
		return ret;
	p2pkp_apply_verbosity(cfg.verbose);
	if (!p2pkp_require_root("unload", P2PKP_ROOT_FOR_XDP))
		return 1;
	if (p2pkp_steer_unload(cfg.dev))
		return 1;
	pr_info("%s: steering program unloaded\n", cfg.dev);
	return 0;
}

/* --- status ----------------------------------------------------------------- */

struct status_cfg {
	const char *dev;
	bool json;
	unsigned int interval;
	unsigned int count;
	bool verbose;
};

static const struct p2pkp_option status_opts[] = {
	OPT_DEV(struct status_cfg, false),
	{.name = "json",
	 .short_name = 'j',
	 .type = P2PKP_OPT_FLAG,
	 .offset = offsetof(struct status_cfg, json),
	 .help = "Print JSON, one object per line"},
	{.name = "interval",
	 .short_name = 'i',
	 .type = P2PKP_OPT_UINT,
	 .offset = offsetof(struct status_cfg, interval),
	 .metavar = "SEC",
	 .help = "Repeat every SEC seconds (needs DEV)",
	 .min = 1,
	 .max = 3600},
	{.name = "count",
	 .short_name = 'c',
	 .type = P2PKP_OPT_UINT,
	 .offset = offsetof(struct status_cfg, count),
	 .metavar = "N",
	 .help = "Stop after N reports (default 1; with --interval, 0 = until interrupted)",
	 .min = 0,
	 .max = 1000000},
	OPT_VERBOSE(struct status_cfg),
	{.name = NULL},
};

static const struct p2pkp_cmd status_cmd = {
	.name = "status",
	.summary = "Show the steering program on DEV (or on every device that has it): mode,\n"
		   "UDP port, program id and verdict counters. Exits 1 if DEV has no program.",
	.opts = status_opts,
};

struct counter_field {
	const char *name;
	size_t offset;
};

static const struct counter_field counter_fields[] = {
	{"steered", offsetof(struct p2pkp_steer_stats, steered)},
	{"passed", offsetof(struct p2pkp_steer_stats, passed)},
	{"too_short", offsetof(struct p2pkp_steer_stats, too_short)},
	{"fragments", offsetof(struct p2pkp_steer_stats, fragments)},
	{"no_socket", offsetof(struct p2pkp_steer_stats, no_socket)},
	{"malformed", offsetof(struct p2pkp_steer_stats, malformed)},
};

#define N_COUNTERS (sizeof(counter_fields) / sizeof(counter_fields[0]))

static __u64 counter_value(const struct p2pkp_steer_stats *s, const struct counter_field *f)
{
	return *(const __u64 *)((const char *)s + f->offset);
}

static void print_status_text(const struct p2pkp_steer_info *info,
			      const struct p2pkp_steer_stats *s)
{
	size_t i;

	printf("%s: prog %u, %s mode%s, UDP port %u\n", info->ifname, info->prog.prog_id,
	       p2pkp_mode_name(info->prog.mode), info->prog.multiprog ? " (multiprog)" : "",
	       ntohs(info->cfg.port));
	for (i = 0; i < N_COUNTERS; i++)
		printf("  %-10s %llu\n", counter_fields[i].name,
		       (unsigned long long)counter_value(s, &counter_fields[i]));
}

static void print_status_json(const struct p2pkp_steer_info *info,
			      const struct p2pkp_steer_stats *s)
{
	size_t i;

	printf("{\"dev\":\"%s\",\"loaded\":true,\"prog_id\":%u,\"mode\":\"%s\","
	       "\"multiprog\":%s,\"port\":%u,\"counters\":{",
	       info->ifname, info->prog.prog_id, p2pkp_mode_name(info->prog.mode),
	       info->prog.multiprog ? "true" : "false", ntohs(info->cfg.port));
	for (i = 0; i < N_COUNTERS; i++)
		printf("%s\"%s\":%llu", i ? "," : "", counter_fields[i].name,
		       (unsigned long long)counter_value(s, &counter_fields[i]));
	printf("}}\n");
}

static void print_not_loaded(const char *dev, bool json)
{
	if (json)
		printf("{\"dev\":\"%s\",\"loaded\":false}\n", dev);
	else
		printf("%s: the steering program is not loaded\n", dev);
}

/* Returns 0 if printed, -ENOENT if DEV has no steering program, other -errno. */
static int show_one(const char *dev, bool json)
{
	struct p2pkp_steer_stats sum;
	struct p2pkp_steer_info info;
	int err;

	err = p2pkp_steer_find(dev, &info);
	if (err)
		return err;
	err = p2pkp_steer_read_stats(&info, &sum);
	if (err) {
		pr_warn("%s: cannot read counters: %s\n", dev, strerror(-err));
		goto out_close;
	}
	if (json)
		print_status_json(&info, &sum);
	else
		print_status_text(&info, &sum);
out_close:
	p2pkp_steer_info_close(&info);
	return err;
}

static int show_all(bool json)
{
	struct if_nameindex *ifs = if_nameindex(), *i;
	int found = 0;

	if (!ifs) {
		pr_warn("status: cannot list devices: %s\n", strerror(errno));
		return 1;
	}
	for (i = ifs; i->if_index; i++)
		if (!show_one(i->if_name, json))
			found++;
	if_freenameindex(ifs);
	if (!found && !json)
		printf("the steering program is not loaded on any device\n");
	return 0;
}

static int watch_one(const struct status_cfg *cfg)
{
	unsigned int n;
	int err;

	p2pkp_install_stop_handler();
	for (n = 0; !p2pkp_stop_requested && (cfg->count == 0 || n < cfg->count); n++) {
		if (n)
			p2pkp_sleep_ns((__u64)cfg->interval * NSEC_PER_SEC);
		err = show_one(cfg->dev, cfg->json);
		if (err == -ENOENT)
			print_not_loaded(cfg->dev, cfg->json);
		if (err)
			return 1;
		fflush(stdout);
	}
	return 0;
}

int cmd_status(int argc, char **argv)
{
	struct status_cfg cfg = {.count = 1};
	int ret, err;

	ret = p2pkp_parse_or_exit(&status_cmd, argc, argv, &cfg);
	if (ret >= 0)
		return ret;
	p2pkp_apply_verbosity(cfg.verbose);
	if (!p2pkp_require_root("status", P2PKP_ROOT_FOR_XDP))
		return 1;
	if (!cfg.dev) {
		if (cfg.interval) {
			pr_warn("status: --interval needs DEV\n");
			return EXIT_USAGE;
		}
		return show_all(cfg.json);
	}
	if (cfg.interval)
		return watch_one(&cfg);
	err = show_one(cfg.dev, cfg.json);
	if (err == -ENOENT)
		print_not_loaded(cfg.dev, cfg.json);
	return err ? 1 : 0;
}
