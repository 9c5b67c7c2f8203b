/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * One option table per subcommand drives both parsing and --help, as in
 * xdp-tools: the table names each option, its type, where it lands in the
 * command's config struct, and its help text.
 */
#ifndef P2PKP_OPTIONS_H
#define P2PKP_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

enum p2pkp_opt_type {
	P2PKP_OPT_FLAG,	  /* bool, set when present */
	P2PKP_OPT_UINT,	  /* unsigned int within [min, max] */
	P2PKP_OPT_STRING, /* const char *, last one wins */
	P2PKP_OPT_LIST,	  /* struct p2pkp_str_list, repeatable / trailing positionals */
	P2PKP_OPT_ENUM,	  /* int, one of enum_vals */
};

struct p2pkp_enum_val {
	const char *name;
	int value;
};

/* A growable list of argv strings (not copied: they live as long as argv). */
struct p2pkp_str_list {
	const char **v;
	size_t n;
};

struct p2pkp_option {
	const char *name; /* long name, or the metavar's name for positionals */
	char short_name;  /* 0 if none */
	enum p2pkp_opt_type type;
	size_t offset; /* offsetof() into the command's config struct */
	const char *metavar;
	const char *help;
	bool positional;
	bool required;
	unsigned int min, max;			/* P2PKP_OPT_UINT bounds */
	const struct p2pkp_enum_val *enum_vals; /* P2PKP_OPT_ENUM, NULL-name terminated */
};

struct p2pkp_cmd {
	const char *prog; /* the program, for messages and the synopsis (NULL: "p2pkp-xdp") */
	const char *name; /* the subcommand, or "" for a tool without subcommands */
	const char *summary;
	const struct p2pkp_option *opts; /* terminated by an entry with name == NULL */
};

#define P2PKP_PARSE_HELP 1 /* p2pkp_parse_opts(): --help was given and printed */

/*
 * Parse argv (argv[0] is the subcommand name) into cfg, which the caller has
 * filled with defaults. Returns 0, P2PKP_PARSE_HELP, or -EINVAL after one
 * line on stderr naming the problem.
 */
int p2pkp_parse_opts(const struct p2pkp_cmd *cmd, int argc, char **argv, void *cfg);
void p2pkp_print_usage(const struct p2pkp_cmd *cmd, FILE *out);
/* Release the arrays of every P2PKP_OPT_LIST in cfg. */
void p2pkp_free_opts(const struct p2pkp_cmd *cmd, void *cfg);
const char *p2pkp_enum_name(const struct p2pkp_enum_val *vals, int value);

#endif /* P2PKP_OPTIONS_H */
