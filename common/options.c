// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "options.h"

#define MAX_OPTS 64

/* "p2pkp-xdp load", or just the program for a tool without subcommands. */
static const char *cmd_title(const struct p2pkp_cmd *cmd)
{
	static char title[96];

	snprintf(title, sizeof(title), "%s%s%s", cmd->prog ? cmd->prog : "p2pkp-xdp",
		 cmd->name[0] ? " " : "", cmd->name);
	return title;
}

static void *cfg_field(void *cfg, const struct p2pkp_option *opt)
{
	return (char *)cfg + opt->offset;
}

const char *p2pkp_enum_name(const struct p2pkp_enum_val *vals, int value)
{
	for (; vals && vals->name; vals++)
		if (vals->value == value)
			return vals->name;
	return "?";
}

static int parse_uint(const struct p2pkp_option *opt, const char *arg, unsigned int *out)
{
	unsigned long v;
	char *end;

	errno = 0;
	v = strtoul(arg, &end, 0);
	if (errno || end == arg || *end || arg[0] == '-' || v < opt->min || v > opt->max) {
		pr_warn("invalid value '%s' for %s%s: expected an integer from %u to %u\n", arg,
			opt->positional ? "" : "--", opt->name, opt->min, opt->max);
		return -EINVAL;
	}
	*out = (unsigned int)v;
	return 0;
}

static int parse_enum(const struct p2pkp_option *opt, const char *arg, int *out)
{
	const struct p2pkp_enum_val *e;

	for (e = opt->enum_vals; e->name; e++) {
		if (!strcmp(e->name, arg)) {
			*out = e->value;
			return 0;
		}
	}
	pr_warn("invalid value '%s' for --%s: expected one of", arg, opt->name);
	for (e = opt->enum_vals; e->name; e++)
		pr_warn(" %s", e->name);
	pr_warn("\n");
	return -EINVAL;
}

static int list_append(struct p2pkp_str_list *list, const char *arg)
{
	const char **v = realloc(list->v, (list->n + 1) * sizeof(*v));

	if (!v) {
		pr_warn("out of memory parsing options\n");
		return -ENOMEM;
	}
	v[list->n++] = arg;
	list->v = v;
	return 0;
}

static int store_value(const struct p2pkp_option *opt, const char *arg, void *cfg)
{
	void *field = cfg_field(cfg, opt);

	switch (opt->type) {
	case P2PKP_OPT_FLAG:
		*(bool *)field = true;
		return 0;
	case P2PKP_OPT_UINT:
		return parse_uint(opt, arg, field);
	case P2PKP_OPT_STRING:
		*(const char **)field = arg;
		return 0;
	case P2PKP_OPT_LIST:
		return list_append(field, arg);
	case P2PKP_OPT_ENUM:
		return parse_enum(opt, arg, field);
	}
	return -EINVAL;
}

static const struct p2pkp_option *find_long(const struct p2pkp_cmd *cmd, const char *name,
					    size_t len)
{
	const struct p2pkp_option *opt;

	for (opt = cmd->opts; opt->name; opt++)
		if (!opt->positional && strlen(opt->name) == len && !strncmp(opt->name, name, len))
			return opt;
	return NULL;
}

static const struct p2pkp_option *find_short(const struct p2pkp_cmd *cmd, char c)
{
	const struct p2pkp_option *opt;

	for (opt = cmd->opts; opt->name; opt++)
		if (!opt->positional && opt->short_name == c)
			return opt;
	return NULL;
}

static const struct p2pkp_option *nth_positional(const struct p2pkp_cmd *cmd, size_t n)
{
	const struct p2pkp_option *opt, *last = NULL;

	for (opt = cmd->opts; opt->name; opt++) {
		if (!opt->positional)
			continue;
		if (n-- == 0)
			return opt;
		last = opt;
	}
	/* A trailing list positional absorbs every further argument. */
	return last && last->type == P2PKP_OPT_LIST ? last : NULL;
}

/* Handles argv[*i], an option; may consume argv[*i + 1] as its value. */
static int parse_one_option(const struct p2pkp_cmd *cmd, int argc, char **argv, int *i, void *cfg,
			    bool *seen)
{
	const char *arg = argv[*i], *value = NULL;
	const struct p2pkp_option *opt;

	if (arg[1] == '-') {
		const char *eq = strchr(arg + 2, '=');
		size_t len = eq ? (size_t)(eq - arg - 2) : strlen(arg + 2);

		opt = find_long(cmd, arg + 2, len);
		if (eq)
			value = eq + 1;
	} else {
		opt = find_short(cmd, arg[1]);
		if (opt && arg[2])
			value = arg + 2;
	}
	if (!opt) {
		pr_warn("%s: unknown option '%s' (see '%s --help')\n", cmd_title(cmd), arg,
			cmd_title(cmd));
		return -EINVAL;
	}
	if (opt->type == P2PKP_OPT_FLAG) {
		if (value) {
			pr_warn("%s: option --%s takes no value\n", cmd_title(cmd), opt->name);
			return -EINVAL;
		}
	} else if (!value) {
		if (*i + 1 >= argc) {
			pr_warn("%s: option --%s needs a value (%s)\n", cmd_title(cmd), opt->name,
				opt->metavar ? opt->metavar : "VALUE");
			return -EINVAL;
		}
		value = argv[++*i];
	}
	seen[opt - cmd->opts] = true;
	return store_value(opt, value, cfg);
}

static bool is_help(const char *arg)
{
	return !strcmp(arg, "--help") || !strcmp(arg, "-h");
}

static int check_required(const struct p2pkp_cmd *cmd, const bool *seen)
{
	const struct p2pkp_option *opt;

	for (opt = cmd->opts; opt->name; opt++) {
		if (!opt->required || seen[opt - cmd->opts])
			continue;
		if (opt->positional)
			pr_warn("%s: missing %s (see '%s --help')\n", cmd_title(cmd), opt->metavar,
				cmd_title(cmd));
		else
			pr_warn("%s: missing required option --%s (see '%s --help')\n",
				cmd_title(cmd), opt->name, cmd_title(cmd));
		return -EINVAL;
	}
	return 0;
}

int p2pkp_parse_opts(const struct p2pkp_cmd *cmd, int argc, char **argv, void *cfg)
{
	bool seen[MAX_OPTS] = {false};
	bool options_done = false;
	size_t npos = 0;
	int i, err;

	for (i = 1; i < argc; i++) {
		const struct p2pkp_option *opt;
		const char *arg = argv[i];

		if (!options_done && is_help(arg)) {
			p2pkp_print_usage(cmd, stdout);
			return P2PKP_PARSE_HELP;
		}
		if (!options_done && !strcmp(arg, "--")) {
			options_done = true;
			continue;
		}
		if (!options_done && arg[0] == '-' && arg[1]) {
			err = parse_one_option(cmd, argc, argv, &i, cfg, seen);
			if (err)
				return err;
			continue;
		}
		opt = nth_positional(cmd, npos++);
		if (!opt) {
			pr_warn("%s: unexpected argument '%s' (see '%s --help')\n", cmd_title(cmd),
				arg, cmd_title(cmd));
			return -EINVAL;
		}
		seen[opt - cmd->opts] = true;
		err = store_value(opt, arg, cfg);
		if (err)
			return err;
	}
	return check_required(cmd, seen);
}

static void print_synopsis(const struct p2pkp_cmd *cmd, FILE *out)
{
	const struct p2pkp_option *opt;

	fprintf(out, "Usage: %s [options]", cmd_title(cmd));
	for (opt = cmd->opts; opt->name; opt++) {
		if (!opt->positional)
			continue;
		fprintf(out, opt->required ? " %s%s" : " [%s%s]", opt->metavar,
			opt->type == P2PKP_OPT_LIST ? "..." : "");
	}
	fprintf(out, "\n\n%s\n", cmd->summary);
}

static void print_option_line(const struct p2pkp_option *opt, FILE *out)
{
	char left[64], flag[8] = "    ";

	if (opt->short_name)
		snprintf(flag, sizeof(flag), "-%c, ", opt->short_name);
	if (opt->positional)
		snprintf(left, sizeof(left), "%s", opt->metavar);
	else if (opt->type == P2PKP_OPT_FLAG)
		snprintf(left, sizeof(left), "%s--%s", flag, opt->name);
	else
		snprintf(left, sizeof(left), "%s--%s %s", flag, opt->name,
			 opt->metavar ? opt->metavar : "VALUE");
	fprintf(out, "  %-26s %s", left, opt->help);
	if (opt->type == P2PKP_OPT_ENUM) {
		const struct p2pkp_enum_val *e;

		fprintf(out, " (");
		for (e = opt->enum_vals; e->name; e++)
			fprintf(out, "%s%s", e == opt->enum_vals ? "" : ", ", e->name);
		fprintf(out, ")");
	}
	if (opt->required && !opt->positional)
		fprintf(out, " [required]");
	fprintf(out, "\n");
}

void p2pkp_print_usage(const struct p2pkp_cmd *cmd, FILE *out)
{
	const struct p2pkp_option *opt;
	bool any_positional = false;

	print_synopsis(cmd, out);
	for (opt = cmd->opts; opt->name; opt++)
		any_positional |= opt->positional;
	if (any_positional) {
		fprintf(out, "\nArguments:\n");
		for (opt = cmd->opts; opt->name; opt++)
			if (opt->positional)
				print_option_line(opt, out);
	}
	fprintf(out, "\nOptions:\n");
	for (opt = cmd->opts; opt->name; opt++)
		if (!opt->positional)
			print_option_line(opt, out);
	fprintf(out, "  %-26s %s\n", "-h, --help", "Show this help");
}

void p2pkp_free_opts(const struct p2pkp_cmd *cmd, void *cfg)
{
	const struct p2pkp_option *opt;

	for (opt = cmd->opts; opt->name; opt++) {
		struct p2pkp_str_list *list;

		if (opt->type != P2PKP_OPT_LIST)
			continue;
		list = cfg_field(cfg, opt);
		free(list->v);
		list->v = NULL;
		list->n = 0;
	}
}
