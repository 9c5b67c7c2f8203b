/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* Human and JSON output shared by the subcommands. */
#ifndef P2PKP_OUTPUT_H
#define P2PKP_OUTPUT_H

#include <stdio.h>
#include <linux/types.h>

/* s as a JSON string literal, quotes included. */
void json_string(FILE *out, const char *s);
/* "1.5 GiB", "812 KiB": into buf. */
const char *human_bytes(__u64 bytes, char *buf, size_t len);
/* "1.20 Gbit/s": into buf. */
const char *human_rate(double bps, char *buf, size_t len);
/* "500M", "2.5G", "1000000": bits per second. 0, or -EINVAL. */
int parse_rate(const char *s, __u64 *bps);

#endif /* P2PKP_OUTPUT_H */
