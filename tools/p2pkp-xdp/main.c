// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* p2pkp-xdp: the command dispatcher. Each subcommand owns its option table. */
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "log.h"
#include "steer.h"

static const struct p2pkp_subcommand subcommands[] = {
	{"load", "Attach the steering program to a device", cmd_load},
	{"unload", "Detach the steering program from a device", cmd_unload},
	{"status", "Show the steering program and its counters", cmd_status},
	{"send", "Send files and directories to one or more receivers", cmd_send},
	{"recv", "Receive files from senders", cmd_recv},
	{"keygen", "Write a new pre-shared key for keyed sessions", cmd_keygen},
	{NULL, NULL, NULL},
};

static void usage(FILE *out)
{
	const struct p2pkp_subcommand *c;

	fprintf(out, "Usage: p2pkp-xdp COMMAND [options]\n\n"
		     "Copy files from one host to many over UDP, steered by XDP into AF_XDP.\n\n"
		     "Commands:\n");
	for (c = subcommands; c->name; c++)
		fprintf(out, "  %-10s %s\n", c->name, c->summary);
	fprintf(out, "\nRun 'p2pkp-xdp COMMAND --help' for the options of a command.\n"
		     "  -V, --version  Print the version\n  -h, --help     Show this help\n");
}

int main(int argc, char **argv)
{
	p2pkp_hook_lib_logging();
	/* Before the subcommands, which see argv[1] as their name. */
	if (argc >= 2 && (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V"))) {
		printf("p2pkp-xdp %s\n", P2PKP_VERSION_STRING);
		return 0;
	}
	return p2pkp_run_subcommand("p2pkp-xdp", subcommands, usage, NULL, argc, argv);
}
