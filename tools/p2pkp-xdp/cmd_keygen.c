// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* keygen: a new pre-shared key for keyed sessions. */
#include <stddef.h>
#include <stdio.h>

#include "commands.h"
#include "keyfile.h"
#include "log.h"

struct keygen_cfg {
	const char *file;
};

static const struct p2pkp_option keygen_opts[] = {
	{.name = "file",
	 .type = P2PKP_OPT_STRING,
	 .offset = offsetof(struct keygen_cfg, file),
	 .metavar = "FILE",
	 .help = "Where to write the key (mode 0600; an existing file is never replaced)",
	 .positional = true,
	 .required = true},
	{.name = NULL},
};

static const struct p2pkp_cmd keygen_cmd = {
	.name = "keygen",
	.summary = "Write a new random pre-shared key to FILE. Give the same file to send and\n"
		   "recv with --key-file; keep it secret: whoever holds it can send files.",
	.opts = keygen_opts,
};

int cmd_keygen(int argc, char **argv)
{
	struct keygen_cfg cfg = {0};
	int ret = p2pkp_parse_or_exit(&keygen_cmd, argc, argv, &cfg);

	if (ret >= 0)
		return ret;
	if (keyfile_generate(cfg.file))
		return 1;
	pr_info("wrote a new key to %s\n", cfg.file);
	return 0;
}
