// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* p2pkp-xdp: the command dispatcher. Each subcommand owns its option table. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "log.h"
#include "steer.h"

struct subcommand {
	const char *name;
	const char *summary;
	int (*main)(int argc, char **argv);
};

static const struct subcommand subcommands[] = {
	{"load", "Attach the steering program to a device", cmd_load},
	{"unload", "Detach the steering program from a device", cmd_unload},
	{"status", "Show the steering program and its counters", cmd_status},
	{"send", "Send files and directories to one or more receivers", cmd_send},
	{"recv", "Receive files from senders", cmd_recv},
	{NULL, NULL, NULL},
};

static void usage(FILE *out)
{
	const struct subcommand *c;

	fprintf(out, "Usage: p2pkp-xdp COMMAND [options]\n\n"
		     "Copy files from one host to many over UDP, steered by XDP into AF_XDP.\n\n"
		     "Commands:\n");
	for (c = subcommands; c->name; c++)
		fprintf(out, "  %-10s %s\n", c->name, c->summary);
	fprintf(out, "\nRun 'p2pkp-xdp COMMAND --help' for the options of a command.\n"
		     "  -V, --version  Print the version\n  -h, --help     Show this help\n");
}

volatile sig_atomic_t stop_requested;

static void on_stop_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

void install_stop_handler(void)
{
	struct sigaction sa = {.sa_handler = on_stop_signal};

	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

int parse_or_exit(const struct p2pkp_cmd *cmd, int argc, char **argv, void *cfg)
{
	int err = p2pkp_parse_opts(cmd, argc, argv, cfg);

	if (err == P2PKP_PARSE_HELP)
		return 0;
	if (err)
		return EXIT_USAGE;
	return -1;
}

bool require_root(const char *cmdname)
{
	if (geteuid() == 0)
		return true;
	pr_warn("%s: must be run as root (XDP needs CAP_NET_ADMIN and CAP_BPF)\n", cmdname);
	return false;
}

void apply_verbosity(bool verbose)
{
	if (verbose)
		p2pkp_log_set_level(P2PKP_LOG_DEBUG);
}

int main(int argc, char **argv)
{
	const struct subcommand *c;

	p2pkp_hook_lib_logging();
	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V")) {
		printf("p2pkp-xdp %s\n", P2PKP_VERSION_STRING);
		return 0;
	}
	for (c = subcommands; c->name; c++)
		if (!strcmp(argv[1], c->name))
			return c->main(argc - 1, argv + 1);
	pr_warn("p2pkp-xdp: unknown command '%s' (see 'p2pkp-xdp --help')\n", argv[1]);
	return EXIT_USAGE;
}
