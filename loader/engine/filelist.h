/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The sender's list of what to send: the PATH arguments walked recursively
 * into files and directories (empty ones included), each with the relative
 * name the receivers will use: the PATH's last component, then the path
 * below it, '/'-separated.
 */
#ifndef P2PKP_FILELIST_H
#define P2PKP_FILELIST_H

#include <stddef.h>
#include <linux/types.h>

#include "blocksum.h"

struct p2pkp_sfile {
	char *name; /* relative name on the wire */
	char *path; /* where to open it here */
	__u64 size; /* 0 for directories */
	__u32 mode; /* st_mode: S_IFREG or S_IFDIR plus permission bits */
	__s64 mtime_ns;
	__u8 digest[P2PKP_DIGEST_LEN]; /* filled by the sender once the block size is known */
};

struct p2pkp_filelist {
	struct p2pkp_sfile *v; /* directories before what they contain */
	__u32 n;
	__u64 total_bytes;
};

/*
 * Walk paths. Symlinks, devices, sockets and FIFOs are skipped with a
 * warning; an unreadable path, a name too long for the protocol, or two
 * entries with the same relative name fail with one clear line. 0 or -errno.
 */
int p2pkp_filelist_build(const char *const *paths, size_t npaths, struct p2pkp_filelist *out);
void p2pkp_filelist_free(struct p2pkp_filelist *fl);

#endif /* P2PKP_FILELIST_H */
