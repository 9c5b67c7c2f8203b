// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The option table: argv in, config (or a refusal) out, and --help from the same table. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "log.h"
#include "options.h"

struct cfg {
	const char *dev;
	unsigned int port;
	int mode;
	bool json;
	struct p2pkp_str_list to;
	struct p2pkp_str_list paths;
};

static const struct p2pkp_enum_val modes[] = {
	{"auto", 0},
	{"native", 1},
	{"skb", 2},
	{NULL, 0},
};

static const struct p2pkp_option opts[] = {
	{.name = "dev",
	 .short_name = 'd',
	 .type = P2PKP_OPT_STRING,
	 .offset = offsetof(struct cfg, dev),
	 .metavar = "DEV",
	 .help = "Device",
	 .required = true},
	{.name = "port",
	 .short_name = 'p',
	 .type = P2PKP_OPT_UINT,
	 .offset = offsetof(struct cfg, port),
	 .metavar = "PORT",
	 .help = "Port",
	 .min = 1,
	 .max = 65535},
	{.name = "mode",
	 .type = P2PKP_OPT_ENUM,
	 .offset = offsetof(struct cfg, mode),
	 .metavar = "MODE",
	 .help = "Mode",
	 .enum_vals = modes},
	{.name = "json",
	 .short_name = 'j',
	 .type = P2PKP_OPT_FLAG,
	 .offset = offsetof(struct cfg, json),
	 .help = "JSON"},
	{.name = "to",
	 .short_name = 't',
	 .type = P2PKP_OPT_LIST,
	 .offset = offsetof(struct cfg, to),
	 .metavar = "ADDR",
	 .help = "Receiver"},
	{.name = "path",
	 .type = P2PKP_OPT_LIST,
	 .offset = offsetof(struct cfg, paths),
	 .metavar = "PATH",
	 .help = "Paths",
	 .positional = true},
	{.name = NULL},
};

static const struct p2pkp_cmd cmd = {
	.prog = "tool", .name = "try", .summary = "A test.", .opts = opts};

struct parse_case {
	const char *name;
	const char *argv[8]; /* after the command name, NULL-terminated */
	int want;	     /* 0, P2PKP_PARSE_HELP or -EINVAL */
	const char *dev;
	unsigned int port;
	int mode;
	bool json;
	size_t nto, npaths;
	const char *last_path;
};

static const struct parse_case cases[] = {
	{.name = "long options",
	 .argv = {"--dev", "eth0", "--port", "9", "--mode", "skb"},
	 .dev = "eth0",
	 .port = 9,
	 .mode = 2},
	{.name = "equals form",
	 .argv = {"--dev=eth1", "--port=65535"},
	 .dev = "eth1",
	 .port = 65535},
	{.name = "short options joined and apart",
	 .argv = {"-deth2", "-p", "7"},
	 .dev = "eth2",
	 .port = 7},
	{.name = "flag", .argv = {"-d", "x", "--json"}, .dev = "x", .port = 7471, .json = true},
	{.name = "repeatable list",
	 .argv = {"-d", "x", "-t", "a", "--to", "b", "--to=c"},
	 .dev = "x",
	 .port = 7471,
	 .nto = 3},
	{.name = "positionals in any place",
	 .argv = {"p1", "-d", "x", "p2", "p3"},
	 .dev = "x",
	 .port = 7471,
	 .npaths = 3,
	 .last_path = "p3"},
	{.name = "-- ends options",
	 .argv = {"-d", "x", "--", "--json"},
	 .dev = "x",
	 .port = 7471,
	 .npaths = 1,
	 .last_path = "--json"},
	{.name = "an error before --help wins", .argv = {"--bogus", "--help"}, .want = -EINVAL},
	{.name = "help", .argv = {"--help"}, .want = P2PKP_PARSE_HELP},
	{.name = "unknown long option", .argv = {"-d", "x", "--bogus"}, .want = -EINVAL},
	{.name = "unknown short option", .argv = {"-d", "x", "-q"}, .want = -EINVAL},
	{.name = "missing value", .argv = {"-d"}, .want = -EINVAL},
	{.name = "flag with a value", .argv = {"-d", "x", "--json=1"}, .want = -EINVAL},
	{.name = "port 0 below range", .argv = {"-d", "x", "--port", "0"}, .want = -EINVAL},
	{.name = "port above range", .argv = {"-d", "x", "--port", "65536"}, .want = -EINVAL},
	{.name = "negative number", .argv = {"-d", "x", "--port", "-1"}, .want = -EINVAL},
	{.name = "number with junk", .argv = {"-d", "x", "--port", "12ab"}, .want = -EINVAL},
	{.name = "enum value unknown", .argv = {"-d", "x", "--mode", "turbo"}, .want = -EINVAL},
	{.name = "required option missing", .argv = {"--json"}, .want = -EINVAL},
};

#define N_CASES (sizeof(cases) / sizeof(cases[0]))

static void parse_case(void **state)
{
	const struct parse_case *c = *state;
	struct cfg cfg = {.port = 7471};
	char *argv[10] = {"try"};
	int argc = 1, err;

	while (c->argv[argc - 1])
		argv[argc] = (char *)c->argv[argc - 1], argc++;
	err = p2pkp_parse_opts(&cmd, argc, argv, &cfg);
	assert_int_equal(err, c->want);
	if (!err) {
		assert_string_equal(cfg.dev, c->dev);
		assert_int_equal(cfg.port, c->port);
		assert_int_equal(cfg.mode, c->mode);
		assert_int_equal(cfg.json, c->json);
		assert_int_equal(cfg.to.n, c->nto);
		assert_int_equal(cfg.paths.n, c->npaths);
		if (c->last_path)
			assert_string_equal(cfg.paths.v[cfg.paths.n - 1], c->last_path);
	}
	p2pkp_free_opts(&cmd, &cfg);
	assert_null(cfg.to.v);
	assert_int_equal(cfg.paths.n, 0);
}

/* --help is written from the table: every option, its metavar and its values. */
static void help_from_table(void **state)
{
	char *text = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&text, &len);

	(void)state;
	assert_non_null(out);
	p2pkp_print_usage(&cmd, out);
	fclose(out);
	assert_non_null(strstr(text, "Usage: tool try [options] [PATH...]"));
	assert_non_null(strstr(text, "-d, --dev DEV"));
	assert_non_null(strstr(text, "[required]"));
	assert_non_null(strstr(text, "--mode MODE"));
	assert_non_null(strstr(text, "(auto, native, skb)"));
	assert_non_null(strstr(text, "-j, --json"));
	assert_non_null(strstr(text, "-h, --help"));
	free(text);
}

static void enum_names(void **state)
{
	(void)state;
	assert_string_equal(p2pkp_enum_name(modes, 2), "skb");
	assert_string_equal(p2pkp_enum_name(modes, 9), "?");
}

int main(void)
{
	struct CMUnitTest tests[N_CASES + 2];
	size_t i;

	p2pkp_log_set_level(P2PKP_LOG_WARN);
	for (i = 0; i < N_CASES; i++) {
		tests[i] =
			(struct CMUnitTest)cmocka_unit_test_prestate(parse_case, (void *)&cases[i]);
		tests[i].name = cases[i].name;
	}
	tests[N_CASES] = (struct CMUnitTest)cmocka_unit_test(help_from_table);
	tests[N_CASES + 1] = (struct CMUnitTest)cmocka_unit_test(enum_names);
	return _cmocka_run_group_tests("options", tests, N_CASES + 2, NULL, NULL);
}
