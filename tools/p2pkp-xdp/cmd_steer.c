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

/* A counter: its name in the output and where it sits in its struct. */
struct counter_field {
	const char *name;
	size_t offset;
};

#define VERDICT(f)                                                                                 \
	{                                                                                          \
#f, offsetof(struct p2pkp_steer_verdicts, f)                                       \
	}
#define RX_VERDICT(f)                                                                              \
	{                                                                                          \
#f, offsetof(struct p2pkp_rx_verdicts, f)                                          \
	}

static const struct counter_field steer_fields[] = {
	VERDICT(steered),   VERDICT(passed),	VERDICT(too_short),
	VERDICT(fragments), VERDICT(no_socket), VERDICT(malformed),
};

static const struct counter_field rx_fields[] = {
	RX_VERDICT(accepted),  RX_VERDICT(realigned),  RX_VERDICT(malformed), RX_VERDICT(bad_csum),
	RX_VERDICT(fragments), RX_VERDICT(wrong_port), RX_VERDICT(too_short),
};

static const struct counter_field kernel_fields[] = {
	{"dropped", offsetof(struct p2pkp_rx_stats, kernel_dropped)},
	{"ring_full", offsetof(struct p2pkp_rx_stats, kernel_ring_full)},
	{"fill_empty", offsetof(struct p2pkp_rx_stats, kernel_fill_empty)},
	{"invalid", offsetof(struct p2pkp_rx_stats, kernel_invalid)},
};

#define N_FIELDS(a) (sizeof(a) / sizeof((a)[0]))

/* Output names of the families, in P2PKP_FAM_* order. */
static const char *const fam_names[P2PKP_NFAMS] = {"ipv4", "ipv6", "other"};

/* What status reads from a device: the program's verdicts and the sockets' counters. */
struct status_counters {
	struct p2pkp_steer_stats steer;
	struct p2pkp_rx_stats rx;
	__u64 no_socket[P2PKP_MAX_QUEUES]; /* by RX queue */
};

static __u64 field(const void *base, const struct counter_field *f)
{
	__u64 v;

	memcpy(&v, (const char *)base + f->offset, sizeof(v));
	return v;
}

static __u64 steer_total(const struct p2pkp_steer_stats *s, const struct counter_field *f)
{
	__u64 sum = 0;

	for (int i = 0; i < P2PKP_NFAMS; i++)
		sum += field(&s->fam[i], f);
	return sum;
}

/* One table: a row per counter, a column per family (after the total, if with_total). */
static void print_table(const char *title, const struct counter_field *fields, size_t n,
			const void *fam0, size_t fam_size, bool with_total)
{
	size_t i;
	int j;

	printf("  %-11s%s", title, with_total ? "      total" : "");
	for (j = 0; j < P2PKP_NFAMS; j++)
		printf(" %10s", fam_names[j]);
	printf("\n");
	for (i = 0; i < n; i++) {
		__u64 sum = 0;

		for (j = 0; j < P2PKP_NFAMS; j++)
			sum += field((const char *)fam0 + j * fam_size, &fields[i]);
		printf("  %-11s", fields[i].name);
		if (with_total)
			printf(" %10llu", (unsigned long long)sum);
		for (j = 0; j < P2PKP_NFAMS; j++)
			printf(" %10llu", (unsigned long long)field(
						  (const char *)fam0 + j * fam_size, &fields[i]));
		printf("\n");
	}
}

static void print_status_text(const struct p2pkp_steer_info *info, const struct status_counters *c)
{
	size_t i;

	printf("%s: prog %u, %s mode%s, UDP port %u\n", info->ifname, info->prog.prog_id,
	       p2pkp_mode_name(info->prog.mode), info->prog.multiprog ? " (multiprog)" : "",
	       ntohs(info->cfg.port));
	print_table("program", steer_fields, N_FIELDS(steer_fields), &c->steer.fam[0],
		    sizeof(c->steer.fam[0]), true);
	print_table("sockets", rx_fields, N_FIELDS(rx_fields), &c->rx.fam[0], sizeof(c->rx.fam[0]),
		    false);
	printf("  kernel    ");
	for (i = 0; i < N_FIELDS(kernel_fields); i++)
		printf(" %s %llu", kernel_fields[i].name,
		       (unsigned long long)field(&c->rx, &kernel_fields[i]));
	printf("\n");
	for (i = 0; i < P2PKP_MAX_QUEUES; i++)
		if (c->no_socket[i])
			printf("  queue %zu: %llu datagrams found no socket\n", i,
			       (unsigned long long)c->no_socket[i]);
}

/* "name":value pairs of one struct, comma-separated. */
static void print_json_fields(const struct counter_field *fields, size_t n, const void *base)
{
	for (size_t i = 0; i < n; i++)
		printf("%s\"%s\":%llu", i ? "," : "", fields[i].name,
		       (unsigned long long)field(base, &fields[i]));
}

static void print_status_json(const struct p2pkp_steer_info *info, const struct status_counters *c)
{
	size_t i;
	int j;
	bool first = true;

	printf("{\"dev\":\"%s\",\"loaded\":true,\"prog_id\":%u,\"mode\":\"%s\","
	       "\"multiprog\":%s,\"port\":%u,\"counters\":{",
	       info->ifname, info->prog.prog_id, p2pkp_mode_name(info->prog.mode),
	       info->prog.multiprog ? "true" : "false", ntohs(info->cfg.port));
	/* All families together, as before counters were kept per family. */
	for (i = 0; i < N_FIELDS(steer_fields); i++)
		printf("%s\"%s\":%llu", i ? "," : "", steer_fields[i].name,
		       (unsigned long long)steer_total(&c->steer, &steer_fields[i]));
	for (j = 0; j < P2PKP_NFAMS; j++) {
		printf(",\"%s\":{", fam_names[j]);
		print_json_fields(steer_fields, N_FIELDS(steer_fields), &c->steer.fam[j]);
		printf("}");
	}
	printf("},\"sockets\":{");
	for (j = 0; j < P2PKP_NFAMS; j++) {
		printf("\"%s\":{", fam_names[j]);
		print_json_fields(rx_fields, N_FIELDS(rx_fields), &c->rx.fam[j]);
		printf("},");
	}
	printf("\"kernel\":{");
	print_json_fields(kernel_fields, N_FIELDS(kernel_fields), &c->rx);
	printf("},\"no_socket_by_queue\":{");
	for (i = 0; i < P2PKP_MAX_QUEUES; i++) {
		if (!c->no_socket[i])
			continue;
		printf("%s\"%zu\":%llu", first ? "" : ",", i, (unsigned long long)c->no_socket[i]);
		first = false;
	}
	printf("}}}\n");
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
	struct p2pkp_steer_info info;
	struct status_counters c;
	int err;

	err = p2pkp_steer_find(dev, &info);
	if (err)
		return err;
	err = p2pkp_steer_read_stats(&info, &c.steer);
	if (!err)
		err = p2pkp_steer_read_rx_stats(&info, &c.rx, c.no_socket);
	if (err) {
		pr_warn("%s: cannot read counters: %s\n", dev, strerror(-err));
		goto out_close;
	}
	if (json)
		print_status_json(&info, &c);
	else
		print_status_text(&info, &c);
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
