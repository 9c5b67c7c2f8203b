// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* recv: serve sessions, writing files under one directory. */
#include <errno.h>
#include <openssl/crypto.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "commands.h"
#include "engine.h"
#include "keyfile.h"
#include "log.h"
#include "netpath.h"
#include "p2pkp_shared.h"

#define MAX_FROM 64

struct recv_cfg {
	const char *dev;
	unsigned int port;
	const char *out;
	bool once;
	struct p2pkp_str_list from;
	bool overwrite;
	bool fsync;
	int backend;
	unsigned int timeout;
	unsigned int partial_ttl;
	const char *key_file;
	bool encrypt;
	bool json;
	bool verbose;
};

static const struct p2pkp_option recv_opts[] = {
	{.name = "dev",
	 .short_name = 'd',
	 .type = P2PKP_OPT_STRING,
	 .offset = offsetof(struct recv_cfg, dev),
	 .metavar = "DEV",
	 .help = "Network device to receive on",
	 .required = true},
	{.name = "port",
	 .short_name = 'p',
	 .type = P2PKP_OPT_UINT,
	 .offset = offsetof(struct recv_cfg, port),
	 .metavar = "PORT",
	 .help = "UDP port to receive on (default 7471)",
	 .min = 1,
	 .max = 65535},
	{.name = "out",
	 .short_name = 'o',
	 .type = P2PKP_OPT_STRING,
	 .offset = offsetof(struct recv_cfg, out),
	 .metavar = "DIR",
	 .help = "Directory the files land in (default: the current directory)"},
	{.name = "once",
	 .short_name = '1',
	 .type = P2PKP_OPT_FLAG,
	 .offset = offsetof(struct recv_cfg, once),
	 .help = "Exit after one session: 0 if it delivered every file"},
	{.name = "from",
	 .short_name = 'f',
	 .type = P2PKP_OPT_LIST,
	 .offset = offsetof(struct recv_cfg, from),
	 .metavar = "ADDR[:PORT]",
	 .help = "Accept sessions only from this sender (and port); repeat for more. A filter, "
		 "not authentication: see --key-file"},
	{.name = "overwrite",
	 .type = P2PKP_OPT_FLAG,
	 .offset = offsetof(struct recv_cfg, overwrite),
	 .help = "Replace existing files that differ (default: refuse them)"},
	{.name = "fsync",
	 .type = P2PKP_OPT_FLAG,
	 .offset = offsetof(struct recv_cfg, fsync),
	 .help = "Make every file durable before reporting it complete"},
	{.name = "backend",
	 .type = P2PKP_OPT_ENUM,
	 .offset = offsetof(struct recv_cfg, backend),
	 .metavar = "KIND",
	 .help = "Datagram path; auto uses AF_XDP where it can",
	 .enum_vals = p2pkp_backend_vals},
	{.name = "timeout",
	 .type = P2PKP_OPT_UINT,
	 .offset = offsetof(struct recv_cfg, timeout),
	 .metavar = "SEC",
	 .help = "Consider a silent sender gone after SEC seconds (default 30)",
	 .min = 1,
	 .max = 86400},
	{.name = "partial-ttl",
	 .type = P2PKP_OPT_UINT,
	 .offset = offsetof(struct recv_cfg, partial_ttl),
	 .metavar = "DAYS",
	 .help = "At start, remove partial files untouched for DAYS days (default 7; 0: keep)",
	 .max = 36500},
	P2PKP_OPT_KEY_FILE(struct recv_cfg,
			   "Pre-shared key (from keygen): only peers holding it are accepted"),
	P2PKP_OPT_ENCRYPT(struct recv_cfg,
			  "With --key-file: accept only sessions that encrypt their data"),
	{.name = "json",
	 .short_name = 'j',
	 .type = P2PKP_OPT_FLAG,
	 .offset = offsetof(struct recv_cfg, json),
	 .help = "Print a JSON summary on exit"},
	P2PKP_OPT_VERBOSE(struct recv_cfg, "Print debug messages"),
	{.name = NULL},
};

static const struct p2pkp_cmd recv_cmd = {
	.name = "recv",
	.summary =
		"Receive files into DIR. A file appears under its name only once every block\n"
		"passed its checksum and the file its digest; until then it waits, resumable, in\n"
		"DIR/.p2pkp-partial/ (the receiver's own: mode 0700). Serves sessions until\n"
		"SIGINT, SIGTERM or SIGHUP, or with --once until one session ends.",
	.opts = recv_opts,
};

static int parse_senders(const struct recv_cfg *cfg, struct p2pkp_addr *from)
{
	const char *why;
	size_t i;

	if (cfg->from.n > MAX_FROM) {
		pr_warn("recv: at most %d --from addresses\n", MAX_FROM);
		return -E2BIG;
	}
	for (i = 0; i < cfg->from.n; i++) {
		if (p2pkp_addr_parse(cfg->from.v[i], 0, &from[i], &why)) {
			pr_warn("recv: bad --from '%s': %s%s\n", cfg->from.v[i], why,
				strchr(cfg->from.v[i], '%') ? "; name the device with --dev" : "");
			return -EINVAL;
		}
	}
	return 0;
}

static bool is_directory(const char *path)
{
	struct stat st;

	if (stat(path, &st)) {
		pr_warn("recv: output directory %s: %s\n", path, strerror(errno));
		return false;
	}
	if (!S_ISDIR(st.st_mode)) {
		pr_warn("recv: output %s is not a directory\n", path);
		return false;
	}
	return true;
}

static void print_json(const struct p2pkp_recv_result *r, int status)
{
	printf("{\"result\":\"%s\",\"backend\":\"%s\",\"sessions\":%u,\"seconds\":%.3f,"
	       "\"files_ok\":%u,\"files_failed\":%u,\"bytes_written\":%llu,\"writes\":%llu,"
	       "\"payloads_per_write\":%.1f,\"duplicates\":%llu,\"bad_msgs\":%llu,"
	       "\"bad_sums\":%llu,\"auth_failed\":%llu,\"rx_msgs\":%llu,\"rx_dropped\":%llu,"
	       "\"rx_refused\":%llu}\n",
	       status ? "failed" : "ok", r->backend, r->sessions, r->seconds, r->files_ok,
	       r->files_failed, (unsigned long long)r->bytes_written, (unsigned long long)r->writes,
	       r->writes ? (double)r->tstats.rx_msgs / (double)r->writes : 0,
	       (unsigned long long)r->duplicates, (unsigned long long)r->bad_msgs,
	       (unsigned long long)r->bad_sums, (unsigned long long)r->auth_failed,
	       (unsigned long long)r->tstats.rx_msgs, (unsigned long long)r->tstats.rx_dropped,
	       (unsigned long long)r->tstats.rx_refused);
}

int cmd_recv(int argc, char **argv)
{
	struct recv_cfg cfg = {.port = P2PKP_DEFAULT_PORT,
			       .out = ".",
			       .backend = P2PKP_BACKEND_AUTO,
			       .partial_ttl = 7};
	struct p2pkp_addr from[MAX_FROM];
	struct p2pkp_recv_result res;
	struct p2pkp_recv_opts o = {0};
	__u8 psk[P2PKP_PSK_LEN];
	int ret, err;

	ret = p2pkp_parse_or_exit(&recv_cmd, argc, argv, &cfg);
	if (ret >= 0)
		goto out_free_opts;
	p2pkp_apply_verbosity(cfg.verbose);
	ret = EXIT_USAGE;
	if (parse_senders(&cfg, from))
		goto out_free_opts;
	ret = 1;
	if (!is_directory(cfg.out) || !p2pkp_require_root("recv", P2PKP_ROOT_FOR_XDP))
		goto out_free_opts;
	ret = keyfile_options("recv", cfg.key_file, cfg.encrypt,
			      "anyone on the network can write files into the output directory",
			      psk, &o.psk);
	if (ret)
		goto out_free_opts;
	ret = 1;
	o.encrypt = cfg.encrypt;
	o.ifname = cfg.dev;
	o.port = (__u16)cfg.port;
	o.dir = cfg.out;
	o.once = cfg.once;
	o.overwrite = cfg.overwrite;
	o.fsync = cfg.fsync;
	o.partial_ttl_s = (__u64)cfg.partial_ttl * 86400;
	o.from = from;
	o.nfrom = cfg.from.n;
	o.backend = cfg.backend;
	o.giveup_ms = cfg.timeout * 1000;
	o.stop = &p2pkp_stop_requested;
	p2pkp_install_stop_handler();
	err = p2pkp_recv(&o, &res);
	if (err < 0)
		goto out_free_opts;
	if (cfg.json)
		print_json(&res, err);
	ret = err ? 1 : 0;
out_free_opts:
	OPENSSL_cleanse(psk, sizeof(psk));
	p2pkp_free_opts(&recv_cmd, &cfg);
	return ret;
}
