/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Block sums and DIGEST (blocksum.h) of a file on disk: what the sender
 * announces in FILES, what the receiver compares before answering HAVE, and
 * what it re-checks resumed blocks with. Large ranges are cut into slices of
 * whole blocks that threads sum in parallel; the digest is fed window by
 * window in block order, so memory stays bounded whatever the file's size.
 */
#ifndef P2PKP_FILESUM_H
#define P2PKP_FILESUM_H

#include <linux/types.h>

#include "blocksum.h"

/* Ranges below this are summed by the caller's thread alone. */
#define P2PKP_FILESUM_SPLIT_MIN	  (16u << 20)
#define P2PKP_FILESUM_MAX_THREADS 8
/* Bytes of blocks summed per digest window (at least one block). */
#define P2PKP_FILESUM_WINDOW (64u << 20)

/*
 * BLOCK_SUM of blocks [first, first + count) of a file of size bytes cut in
 * block_size blocks, read from fd, into out[0..count) as big-endian, with up
 * to nthreads threads (0: one per online CPU, at most
 * P2PKP_FILESUM_MAX_THREADS). 0, -EINVAL (a block past the end, block_size
 * 0), -ENOMEM, -ENODATA if the file is shorter than size, or -errno of a read.
 */
int p2pkp_file_block_sums(int fd, __u64 size, __u32 block_size, __u64 first, __u64 count,
			  unsigned int nthreads, __be64 *out);

/*
 * DIGEST of bytes [0, size) of fd cut in block_size blocks: exactly
 * p2pkp_digest_of() over every block's sum, for any thread count. block_size
 * may be 0 only when size is 0. Errors as p2pkp_file_block_sums().
 */
int p2pkp_file_digest(int fd, __u64 size, __u32 block_size, unsigned int nthreads,
		      __u8 out[P2PKP_DIGEST_LEN]);

#endif /* P2PKP_FILESUM_H */
