// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "log.h"

volatile sig_atomic_t p2pkp_stop_requested;

static void on_stop_signal(int sig)
{
	(void)sig;
	p2pkp_stop_requested = 1;
}

void p2pkp_install_stop_handler(void)
{
	struct sigaction sa = {.sa_handler = on_stop_signal};

	sigemptyset(&sa.sa_mask);
	/* A closed terminal (SIGHUP) must clean up too: detach, save partials. */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
}

int p2pkp_parse_or_exit(const struct p2pkp_cmd *cmd, int argc, char **argv, void *cfg)
{
	int err = p2pkp_parse_opts(cmd, argc, argv, cfg);

	if (err == P2PKP_PARSE_HELP)
		return 0;
	if (err)
		return EXIT_USAGE;
	return -1;
}

bool p2pkp_require_root(const char *who, const char *why)
{
	if (geteuid() == 0)
		return true;
	pr_warn("%s: must be run as root (%s)\n", who, why);
	return false;
}

void p2pkp_apply_verbosity(bool verbose)
{
	if (verbose)
		p2pkp_log_set_level(P2PKP_LOG_DEBUG);
}

int p2pkp_parse_pct(const char *opt, const char *arg, __u32 *ppm)
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
	/* v == v rejects NaN without libm: the tools and fuzzers link without it. */
	if (errno || end == arg || *end || v != v || v < 0 || v > 100) {
		pr_warn("invalid value '%s' for --%s: expected a percentage from 0 to 100\n", arg,
			opt);
		return -EINVAL;
	}
	/* Rounded by hand, for the same reason. */
	*ppm = (__u32)(v * (P2PKP_PPM / 100) + 0.5);
	return 0;
}

int p2pkp_parse_seed(const char *arg, __u64 *seed)
{
	unsigned long long v;
	char *end;

	if (!arg)
		return 0;
	errno = 0;
	v = strtoull(arg, &end, 0);
	/* strtoull accepts "-1" as 2^64-1: a seed is never negative. */
	if (errno || end == arg || *end || arg[0] == '-') {
		pr_warn("invalid value '%s' for --seed: expected an integer from 0 to 2^64-1\n",
			arg);
		return -EINVAL;
	}
	*seed = v;
	return 0;
}

int p2pkp_run_subcommand(const char *prog, const struct p2pkp_subcommand *cmds,
			 void (*usage)(FILE *out), const char *hint, int argc, char **argv)
{
	const struct p2pkp_subcommand *c;

	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		usage(stdout);
		return 0;
	}
	for (c = cmds; c->name; c++)
		if (!strcmp(argv[1], c->name))
			return c->main(argc - 1, argv + 1);
	if (hint)
		pr_warn("%s: unknown command '%s' (%s)\n", prog, argv[1], hint);
	else
		pr_warn("%s: unknown command '%s' (see '%s --help')\n", prog, argv[1], prog);
	return EXIT_USAGE;
}
