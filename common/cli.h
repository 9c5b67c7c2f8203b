/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * What every command-line tool's main does the same way: parse or exit,
 * refuse to run without root, -v, and stop on SIGINT/SIGTERM. Plain C with
 * no libbpf, so that the fuzzers can link every common/ source.
 */
#ifndef P2PKP_CLI_H
#define P2PKP_CLI_H

#include <linux/types.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "options.h"

/* Exit codes: 0 success, 1 the operation failed, 2 the command line was wrong. */
#define EXIT_USAGE 2

/* Set by SIGINT, SIGTERM or SIGHUP once p2pkp_install_stop_handler() ran. */
extern volatile sig_atomic_t p2pkp_stop_requested;
/* Without SA_RESTART, so a wait in an event loop returns at once. */
void p2pkp_install_stop_handler(void);

/*
 * Parse argv for cmd; returns -1 to go on, or the exit code to return now:
 * 0 after --help, EXIT_USAGE after the parser's one-line error.
 */
int p2pkp_parse_or_exit(const struct p2pkp_cmd *cmd, int argc, char **argv, void *cfg);
/*
 * Unless running as root, one line "WHO: must be run as root (WHY)" and
 * false; why names the privileges the tool needs.
 */
bool p2pkp_require_root(const char *who, const char *why);
#define P2PKP_ROOT_FOR_XDP "XDP needs CAP_NET_ADMIN and CAP_BPF"
/* -v: debug messages on. */
void p2pkp_apply_verbosity(bool verbose);
/* The -v/--verbose entry of an option table, for a bool cfg_t.verbose. */
#define P2PKP_OPT_VERBOSE(cfg_t, help_text)                                                        \
	{                                                                                          \
		.name = "verbose", .short_name = 'v', .type = P2PKP_OPT_FLAG,                      \
		.offset = offsetof(cfg_t, verbose), .help = help_text                              \
	}

/* --key-file FILE and --encrypt of a cfg_t with key_file and encrypt. */
#define P2PKP_OPT_KEY_FILE(cfg_t, help_text)                                                       \
	{                                                                                          \
		.name = "key-file", .short_name = 'k', .type = P2PKP_OPT_STRING,                   \
		.offset = offsetof(cfg_t, key_file), .metavar = "FILE", .help = help_text          \
	}
#define P2PKP_OPT_ENCRYPT(cfg_t, help_text)                                                        \
	{                                                                                          \
		.name = "encrypt", .type = P2PKP_OPT_FLAG, .offset = offsetof(cfg_t, encrypt),     \
		.help = help_text                                                                  \
	}

#define P2PKP_PPM 1000000U /* parts per million: all of them */

/*
 * --opt PCT: "10", "0.5", "30%", a percentage with decimals, as parts per
 * million; 0 when arg is NULL. -EINVAL after one line naming --opt.
 */
int p2pkp_parse_pct(const char *opt, const char *arg, __u32 *ppm);
/* --seed N: any 64-bit integer; *seed is left alone when arg is NULL. */
int p2pkp_parse_seed(const char *arg, __u64 *seed);

/* One COMMAND of a "PROG COMMAND [options]" tool. */
struct p2pkp_subcommand {
	const char *name;
	const char *summary;
	int (*main)(int argc, char **argv);
};

/*
 * Run the subcommand argv[1] names, from a table ending with a NULL name, and
 * return its exit code. No command prints usage to stderr (EXIT_USAGE),
 * -h/--help to stdout (0); an unknown one gets one line ending with hint, by
 * default "see 'PROG --help'".
 */
int p2pkp_run_subcommand(const char *prog, const struct p2pkp_subcommand *cmds,
			 void (*usage)(FILE *out), const char *hint, int argc, char **argv);

#endif /* P2PKP_CLI_H */
