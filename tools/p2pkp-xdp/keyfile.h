/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Pre-shared key files (docs/security.md): 32 random bytes written as 64 hex
 * digits and a newline, mode 0600. A key file that others may read is
 * refused, as ssh refuses such a private key.
 */
#ifndef P2PKP_KEYFILE_H
#define P2PKP_KEYFILE_H

#include <stdbool.h>
#include <linux/types.h>

#include "auth.h"

/* A new random key into path, which must not exist. 0, or -errno after one line saying why. */
int keyfile_generate(const char *path);
/* The key in path. 0, or -errno after one line saying why. */
int keyfile_load(const char *path, __u8 psk[P2PKP_PSK_LEN]);

/*
 * --key-file and --encrypt of command who: the key into psk and *out; without
 * one, *out is NULL and a warning line says what anyone on the network can
 * do (risk). 0, EXIT_USAGE (--encrypt without a key), or 1 (an unusable key file).
 */
int keyfile_options(const char *who, const char *file, bool encrypt, const char *risk,
		    __u8 psk[P2PKP_PSK_LEN], const __u8 **out);

#endif /* P2PKP_KEYFILE_H */
