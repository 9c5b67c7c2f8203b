/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Per-block integrity of P2PKP v2 (docs/protocol.md, "Block sums and file
 * digest"): every DATA block carries BLOCK_SUM, the CRC-64/XZ of its offset
 * and payload, checked before the payload is written; a file's DIGEST is the
 * XXH3-128 of its block sums in block order. Both sides derive the file's
 * check from the sums they already have, so neither reads the data twice.
 *
 * CRC-64 comes from ISA-L (runtime-dispatched, > 20 GB/s here); XXH3 from
 * libxxhash. Sums are host-order __u64 in memory and big-endian in digests,
 * state files and on the wire.
 */
#ifndef P2PKP_BLOCKSUM_H
#define P2PKP_BLOCKSUM_H

#include <stddef.h>
#include <linux/types.h>

#define P2PKP_DIGEST_LEN 16

/* BLOCK_SUM of the block at byte offset (host order) of its file. */
__u64 p2pkp_block_sum(__u64 offset, const void *payload, size_t len);

/* DIGEST over n big-endian block sums laid out back to back (n may be 0). */
void p2pkp_digest_of(const __be64 *sums_be, __u64 n, __u8 out[P2PKP_DIGEST_LEN]);

/* The same digest fed a piece at a time, for sums that never sit in one array. */
struct p2pkp_digest;

struct p2pkp_digest *p2pkp_digest_new(void);
void p2pkp_digest_add(struct p2pkp_digest *d, const __be64 *sums_be, __u64 n);
void p2pkp_digest_final(struct p2pkp_digest *d, __u8 out[P2PKP_DIGEST_LEN]);
void p2pkp_digest_free(struct p2pkp_digest *d);

#endif /* P2PKP_BLOCKSUM_H */
