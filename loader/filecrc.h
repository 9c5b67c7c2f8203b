/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The CRC-32 (zlib's) of a whole file, as the sender announces it in FILES.
 * Large files are cut into segments that threads sum in parallel, combined
 * with zlib's crc32_combine(): the pre-pass is serial time before any data
 * goes out, and at start-up the other CPUs are idle.
 */
#ifndef P2PKP_FILECRC_H
#define P2PKP_FILECRC_H

#include <linux/types.h>

/* Files below this are summed by the caller's thread alone. */
#define P2PKP_FILECRC_SPLIT_MIN	  (16u << 20)
#define P2PKP_FILECRC_MAX_THREADS 8

/*
 * CRC-32 of bytes [0, size) of fd with up to nthreads threads (0: one per
 * online CPU, at most P2PKP_FILECRC_MAX_THREADS). 0, or -errno on a read
 * error, -ENODATA if the file is shorter than size.
 */
int p2pkp_filecrc(int fd, __u64 size, unsigned int nthreads, __u32 *crc);

#endif /* P2PKP_FILECRC_H */
