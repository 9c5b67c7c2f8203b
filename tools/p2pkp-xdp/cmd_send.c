// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* send: files and directory trees to one or more receivers. */
#include <errno.h>
#include <openssl/crypto.h>
#include <net/if.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "engine.h"
#include "keyfile.h"
#include "log.h"
#include "netpath.h"
#include "output.h"
#include "wire.h"

struct send_cfg {
	const char *dev;
	struct p2pkp_str_list to;
	struct p2pkp_str_list paths;
	unsigned int port;
	const char *rate;
	const char *fixed_rate;
	const char *min_rate;
	unsigned int block_size;
	int backend;
	unsigned int timeout;
	const char *key_file;
	bool encrypt;
	bool json;
	bool verbose;
};

static const struct p2pkp_option send_opts[] = {
	{.name = "dev",
	 .short_name = 'd',
	 .type = P2PKP_OPT_STRING,
	 .offset = offsetof(struct send_cfg, dev),
	 .metavar = "DEV",
	 .help = "Network device to send through (default: the one the routes to the receivers "
		 "use)"},
	{.name = "to",
	 .short_name = 't',
	 .type = P2PKP_OPT_LIST,
	 .offset = offsetof(struct send_cfg, to),
	 .metavar = "ADDR[:PORT]",
	 .help = "A receiver; repeat for more (IPv6: [ADDR]:PORT)",
	 .required = true},
	{.name = "port",
	 .short_name = 'p',
	 .type = P2PKP_OPT_UINT,
	 .offset = offsetof(struct send_cfg, port),
	 .metavar = "PORT",
	 .help = "Local UDP port, and the receivers' when ADDR has none (default 7471)",
	 .min = 1,
	 .max = 65535},
	{.name = "rate",
	 .short_name = 'r',
	 .type = P2PKP_OPT_STRING,
	 .offset = offsetof(struct send_cfg, rate),
	 .metavar = "RATE",
	 .help = "Most bits per second to send, all receivers together (e.g. 800M, 2G); "
		 "default: as fast as the receivers keep up"},
	{.name = "fixed-rate",
	 .type = P2PKP_OPT_STRING,
	 .offset = offsetof(struct send_cfg, fixed_rate),
	 .metavar = "RATE",
	 .help = "Send at exactly RATE, without adapting to the receivers (for a link you know)"},
	{.name = "min-rate",
	 .type = P2PKP_OPT_STRING,
	 .offset = offsetof(struct send_cfg, min_rate),
	 .metavar = "RATE",
	 .help = "Fail a receiver that takes less than RATE for 3 s (default: serve every "
		 "receiver; one far behind the others no longer sets the rate)"},
	{.name = "block-size",
	 .short_name = 'b',
	 .type = P2PKP_OPT_UINT,
	 .offset = offsetof(struct send_cfg, block_size),
	 .metavar = "BYTES",
	 .help = "Bytes of file per datagram (default: the largest the path MTU allows)",
	 .min = P2PKP_MIN_BLOCK_SIZE,
	 .max = P2PKP_MAX_BLOCK_SIZE},
	{.name = "backend",
	 .type = P2PKP_OPT_ENUM,
	 .offset = offsetof(struct send_cfg, backend),
	 .metavar = "KIND",
	 .help = "Datagram path; auto uses AF_XDP where it can",
	 .enum_vals = p2pkp_backend_vals},
	{.name = "timeout",
	 .type = P2PKP_OPT_UINT,
	 .offset = offsetof(struct send_cfg, timeout),
	 .metavar = "SEC",
	 .help = "Declare a silent receiver failed after SEC seconds (default 30)",
	 .min = 1,
	 .max = 86400},
	P2PKP_OPT_KEY_FILE(
		struct send_cfg,
		"Pre-shared key (from keygen): authenticate every datagram; receivers need the same key"),
	P2PKP_OPT_ENCRYPT(struct send_cfg,
			  "With --key-file: encrypt the data too, not only authenticate it"),
	{.name = "json",
	 .short_name = 'j',
	 .type = P2PKP_OPT_FLAG,
	 .offset = offsetof(struct send_cfg, json),
	 .help = "Print a JSON summary at the end"},
	P2PKP_OPT_VERBOSE(struct send_cfg, "Print debug messages"),
	{.name = "path",
	 .type = P2PKP_OPT_LIST,
	 .offset = offsetof(struct send_cfg, paths),
	 .metavar = "PATH",
	 .help = "Files and directories to send (directories recursively)",
	 .positional = true,
	 .required = true},
	{.name = NULL},
};

static const struct p2pkp_cmd send_cmd = {
	.name = "send",
	.summary =
		"Send files and directory trees to every receiver at once. Exits 0 only when\n"
		"every receiver has verified every file; a progress line is drawn on a terminal.",
	.opts = send_opts,
};

static int parse_receivers(const struct send_cfg *cfg, struct p2pkp_addr *to)
{
	const char *why;
	size_t i;

	if (cfg->to.n > P2PKP_MAX_RECEIVERS) {
		pr_warn("send: at most %d receivers (--to)\n", P2PKP_MAX_RECEIVERS);
		return -E2BIG;
	}
	for (i = 0; i < cfg->to.n; i++) {
		if (p2pkp_addr_resolve(cfg->to.v[i], (__u16)cfg->port, &to[i], &why)) {
			pr_warn("send: bad receiver '%s': %s%s\n", cfg->to.v[i], why,
				strchr(cfg->to.v[i], '%') ? "; name the device with --dev" : "");
			return -EINVAL;
		}
		/* The same receiver twice would be one session counted as two. */
		for (size_t k = 0; k < i; k++) {
			if (p2pkp_addr_equal(&to[k], &to[i])) {
				pr_warn("send: receiver '%s' is given twice (as '%s')\n",
					cfg->to.v[i], cfg->to.v[k]);
				return -EINVAL;
			}
		}
	}
	return 0;
}

/* The progress line: totals, rate, ETA, and each receiver's share. */
static void draw_progress(const struct p2pkp_send_progress *p, void *ctx)
{
	char done[32], total[32], rate[32];
	__u64 min_acked = p->total_bytes, eta;
	double secs = (double)p->elapsed_ns / 1e9, frac;
	__u32 i;

	(void)ctx;
	for (i = 0; i < p->npeers; i++)
		if (p->peer[i].acked_bytes < min_acked)
			min_acked = p->peer[i].acked_bytes;
	frac = p->total_bytes ? (double)min_acked / (double)p->total_bytes : 1;
	eta = frac > 0.01 && secs > 0 ? (__u64)(secs / frac - secs) : 0;
	fprintf(stderr, "\r\033[K%s / %s %5.1f%%  %s  ETA %llu:%02llu ",
		human_bytes(min_acked, done, sizeof(done)),
		human_bytes(p->total_bytes, total, sizeof(total)), frac * 100,
		human_rate(secs > 0 ? (double)p->sent_bytes * 8 / secs : 0, rate, sizeof(rate)),
		(unsigned long long)eta / 60, (unsigned long long)eta % 60);
	for (i = 0; i < p->npeers && i < 4; i++)
		fprintf(stderr, " | %s %.0f%% %s", p->peer[i].addr,
			p->total_bytes
				? 100.0 * (double)p->peer[i].acked_bytes / (double)p->total_bytes
				: 100.0,
			p->peer[i].state);
	if (p->npeers > 4)
		fprintf(stderr, " | +%u more", p->npeers - 4);
	if (p->final)
		fputc('\n', stderr);
	fflush(stderr);
}

/* Parse a rate option given as text; 0 and nothing to do when it was not given. */
static int rate_opt(const char *name, const char *text, __u64 *bps)
{
	if (!text || !parse_rate(text, bps))
		return 0;
	pr_warn("send: bad --%s '%s': expected bits per second from 100k to 1000G, e.g. 800M\n",
		name, text);
	return -EINVAL;
}

/* The goodput as a JSON value: null when nothing was moved. */
static void json_goodput(const struct p2pkp_send_result *r)
{
	double bps;

	if (p2pkp_send_goodput_bps(r, &bps))
		printf("%.0f", bps);
	else
		printf("null");
}

static void json_failed_names(const struct p2pkp_peer_result *p)
{
	printf("[");
	for (__u32 k = 0; k < p->nfailed_named; k++) {
		printf("%s", k ? "," : "");
		json_string(stdout, p->failed[k]);
	}
	printf("]");
}

static void print_json(const struct p2pkp_send_result *r, int status)
{
	__u32 i;

	printf("{\"result\":\"%s\",\"backend\":\"%s\",\"files\":%u,\"bytes\":%llu,"
	       "\"data_bytes\":%llu,\"delivered_bytes\":%llu,\"skipped_bytes\":%llu,"
	       "\"seconds\":%.3f,\"goodput_bps\":",
	       status ? "failed" : "ok", r->backend, r->files, (unsigned long long)r->bytes,
	       (unsigned long long)r->data_bytes, (unsigned long long)r->delivered_bytes,
	       (unsigned long long)r->skipped_bytes, r->seconds);
	json_goodput(r);
	printf(",\"data_msgs\":%llu,\"retransmitted\":%llu,"
	       "\"retransmit_fraction\":%.6f,\"final_rate_bps\":%llu,\"tx_kicks\":%llu,"
	       "\"receivers\":[",
	       (unsigned long long)r->data_msgs, (unsigned long long)r->retransmitted,
	       r->data_msgs ? (double)r->retransmitted / (double)r->data_msgs : 0,
	       (unsigned long long)r->final_rate_bps, (unsigned long long)r->tstats.tx_kicks);
	for (i = 0; i < r->npeers; i++) {
		const struct p2pkp_peer_result *p = &r->peer[i];

		printf("%s{\"addr\":", i ? "," : "");
		json_string(stdout, p->addr);
		printf(",\"ok\":%s,\"result\":\"%s\",\"close\":", p->ok ? "true" : "false",
		       p2pkp_result_name(p->result));
		if (p->closed)
			printf("\"%s\"", p2pkp_result_name(p->close_result));
		else
			printf("null");
		printf(",\"files_ok\":%u,\"files_have\":%u,\"files_failed\":%u,"
		       "\"data_msgs\":%llu,\"retransmitted\":%llu,\"data_bytes\":%llu,"
		       "\"delivered_bytes\":%llu,\"skipped_bytes\":%llu,\"failed\":",
		       p->files_ok, p->files_have, p->files_failed,
		       (unsigned long long)p->data_msgs, (unsigned long long)p->retransmitted,
		       (unsigned long long)p->data_bytes, (unsigned long long)p->delivered_bytes,
		       (unsigned long long)p->skipped_bytes);
		json_failed_names(p);
		printf(",\"error\":");
		json_string(stdout, p->why);
		printf("}");
	}
	printf("]}\n");
}

static void print_summary(const struct p2pkp_send_result *r)
{
	char bytes[32], moved[32], skipped[32], rate[32] = "no goodput: nothing moved";
	__u32 i, k, ok = 0;
	double bps;

	for (i = 0; i < r->npeers; i++) {
		const struct p2pkp_peer_result *p = &r->peer[i];

		if (p->ok) {
			ok++;
			continue;
		}
		pr_warn("%s: %s\n", p->addr, p->why);
		for (k = 0; k < p->nfailed_named; k++)
			pr_warn("%s:   not delivered: %s\n", p->addr, p->failed[k]);
	}
	if (p2pkp_send_goodput_bps(r, &bps))
		human_rate(bps, rate, sizeof(rate));
	pr_info("%u files (%s) in %.2f s: moved %s, skipped %s already there, %s; "
		"%llu of %llu datagrams retransmitted; %u of %u receivers ok\n",
		r->files, human_bytes(r->bytes, bytes, sizeof(bytes)), r->seconds,
		human_bytes(r->delivered_bytes, moved, sizeof(moved)),
		human_bytes(r->skipped_bytes, skipped, sizeof(skipped)), rate,
		(unsigned long long)r->retransmitted, (unsigned long long)r->data_msgs, ok,
		r->npeers);
}

/*
 * Without --dev: the device the routing table sends every receiver through,
 * into dev (IF_NAMESIZE bytes). 0, or -errno after one line saying why.
 */
static int route_device(const struct p2pkp_addr *to, size_t n, char *dev)
{
	char err[160], other[IF_NAMESIZE];
	size_t i;

	for (i = 0; i < n; i++) {
		int ret = p2pkp_path_device(to[i].family, &to[i].ip, i ? other : dev, err,
					    sizeof(err));

		if (ret) {
			pr_warn("send: %s\n", err);
			return ret;
		}
		if (i && strcmp(dev, other)) {
			pr_warn("send: the receivers are reached through %s and %s; name one with "
				"--dev\n",
				dev, other);
			return -EINVAL;
		}
	}
	return 0;
}

/* 1 when a receiver failed, EXIT_AUTH when one failed authentication. */
static int exit_code(const struct p2pkp_send_result *r)
{
	for (__u32 i = 0; i < r->npeers; i++)
		if (!r->peer[i].ok && r->peer[i].result == P2PKP_R_AUTH)
			return EXIT_AUTH;
	return 1;
}

int cmd_send(int argc, char **argv)
{
	static struct p2pkp_send_result res; /* large */
	struct send_cfg cfg = {.port = P2PKP_DEFAULT_PORT, .backend = P2PKP_BACKEND_AUTO};
	struct p2pkp_addr to[P2PKP_MAX_RECEIVERS];
	struct p2pkp_send_opts o = {0};
	char route_dev[IF_NAMESIZE];
	__u8 psk[P2PKP_PSK_LEN];
	int ret, err;

	ret = p2pkp_parse_or_exit(&send_cmd, argc, argv, &cfg);
	if (ret >= 0)
		goto out_free_opts;
	p2pkp_apply_verbosity(cfg.verbose);
	ret = EXIT_USAGE;
	if (rate_opt("rate", cfg.rate, &o.max_rate_bps) ||
	    rate_opt("fixed-rate", cfg.fixed_rate, &o.fixed_rate_bps) ||
	    rate_opt("min-rate", cfg.min_rate, &o.min_rate_bps))
		goto out_free_opts;
	if (o.fixed_rate_bps && o.max_rate_bps) {
		pr_warn("send: --fixed-rate and --rate exclude each other\n");
		goto out_free_opts;
	}
	if (parse_receivers(&cfg, to))
		goto out_free_opts;
	ret = 1;
	if (!p2pkp_require_root("send", P2PKP_ROOT_FOR_XDP))
		goto out_free_opts;
	ret = keyfile_options("send", cfg.key_file, cfg.encrypt,
			      "receivers cannot tell this sender from anyone else, and the files "
			      "travel in clear",
			      psk, &o.psk);
	if (ret)
		goto out_free_opts;
	ret = 1;
	o.encrypt = cfg.encrypt;
	if (!cfg.dev && route_device(to, cfg.to.n, route_dev))
		goto out_free_opts;
	o.ifname = cfg.dev ? cfg.dev : route_dev;
	o.port = (__u16)cfg.port;
	o.to = to;
	o.nto = cfg.to.n;
	o.paths = cfg.paths.v;
	o.npaths = cfg.paths.n;
	o.backend = cfg.backend;
	o.block_size = cfg.block_size;
	o.giveup_ms = cfg.timeout * 1000;
	o.stop = &p2pkp_stop_requested;
	if (isatty(STDERR_FILENO) && !cfg.json)
		o.progress = draw_progress;
	p2pkp_install_stop_handler();
	err = p2pkp_send(&o, &res);
	if (err < 0)
		goto out_free_opts;
	if (cfg.json)
		print_json(&res, err);
	else
		print_summary(&res);
	ret = err ? exit_code(&res) : 0;
out_free_opts:
	OPENSSL_cleanse(psk, sizeof(psk));
	p2pkp_free_opts(&send_cmd, &cfg);
	return ret;
}
