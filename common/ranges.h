/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Block bookkeeping for status reports (docs/protocol.md, "Status reports").
 *
 * Receiver: struct p2pkp_bitmap, one bit per block of a file, with two summary
 * levels (word full / word non-empty) so finding the next hole or the next
 * held block skips 4096 blocks per summary word: a report over a file of
 * millions of blocks costs microseconds. It saves to and loads from a
 * self-checking byte image, the on-disk state that makes resume possible.
 *
 * Sender: struct p2pkp_rangeset, a sorted array of disjoint, non-touching
 * ranges (blocks to resend, merged from every receiver's reports).
 *
 * All block numbers and ranges are host order; a range is [start, end).
 */
#ifndef P2PKP_RANGES_H
#define P2PKP_RANGES_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#include "wire.h" /* struct p2pkp_range */

struct p2pkp_bitmap {
	__u64 nbits;  /* blocks in the file */
	__u64 count;  /* blocks held */
	__u64 cum;    /* first block not held (nbits when complete) */
	__u64 high;   /* one past the highest block held, 0 if none */
	__u64 nwords; /* words in bits */
	__u64 *bits;  /* bit b set: block b held */
	__u64 *full;  /* bit w set: bits[w] is all ones */
	__u64 *any;   /* bit w set: bits[w] is not zero */
};

/* Empty bitmap for nbits blocks. 0, or -ENOMEM. nbits may be 0. */
int p2pkp_bitmap_init(struct p2pkp_bitmap *bm, __u64 nbits);
void p2pkp_bitmap_free(struct p2pkp_bitmap *bm);
/* Forget every block (CRC mismatch: the file is fetched again). */
void p2pkp_bitmap_clear(struct p2pkp_bitmap *bm);
/* Mark block b held: 1 if new, 0 if already held (a duplicate), -ERANGE. */
int p2pkp_bitmap_set(struct p2pkp_bitmap *bm, __u64 b);
/* Mark [start, end) held: number newly held, or -ERANGE. */
__s64 p2pkp_bitmap_set_range(struct p2pkp_bitmap *bm, __u64 start, __u64 end);
bool p2pkp_bitmap_test(const struct p2pkp_bitmap *bm, __u64 b);
static inline bool p2pkp_bitmap_complete(const struct p2pkp_bitmap *bm)
{
	return bm->count == bm->nbits;
}
/* First block >= from not held, or nbits. */
__u64 p2pkp_bitmap_next_missing(const struct p2pkp_bitmap *bm, __u64 from);
/* First block >= from held, or nbits. */
__u64 p2pkp_bitmap_next_held(const struct p2pkp_bitmap *bm, __u64 from);

/*
 * Fill a status report: the missing ranges in [from, bm->high), at most max of
 * them, into out. *scan_end is where the report's knowledge stops: bm->high
 * when every hole fit, else the start of the first hole left out (every block
 * between the last listed range and it is held). from is usually bm->cum.
 * Returns the number of ranges written.
 */
__u32 p2pkp_bitmap_missing(const struct p2pkp_bitmap *bm, __u64 from, struct p2pkp_range *out,
			   __u32 max, __u64 *scan_end);

/*
 * Persistent image (docs/protocol.md, "Receiver state on disk"): magic
 * "P2PKPBM1", __be64 nbits, __be64 count, the words as __be64, then an FNV-1a
 * 64 checksum (__be64) of everything before it.
 */
size_t p2pkp_bitmap_image_size(const struct p2pkp_bitmap *bm);
/* Bytes written, or -ENOSPC. */
__s64 p2pkp_bitmap_save(const struct p2pkp_bitmap *bm, void *buf, size_t cap);
/* Load an image into bm (initialised by this call): 0, -EINVAL (corrupt), -ENOMEM. */
int p2pkp_bitmap_load(struct p2pkp_bitmap *bm, const void *buf, size_t len);

struct p2pkp_rangeset {
	struct p2pkp_range *r; /* sorted, disjoint, never touching */
	__u32 n, cap;
	__u64 total; /* blocks covered */
};

void p2pkp_rangeset_init(struct p2pkp_rangeset *rs);
void p2pkp_rangeset_free(struct p2pkp_rangeset *rs);
/* Add [start, end), merging with what it overlaps or touches. 0, -EINVAL, -ENOMEM. */
int p2pkp_rangeset_add(struct p2pkp_rangeset *rs, __u64 start, __u64 end);
/* Remove [start, end), splitting a range if needed. 0, -EINVAL, -ENOMEM. */
int p2pkp_rangeset_remove(struct p2pkp_rangeset *rs, __u64 start, __u64 end);
bool p2pkp_rangeset_contains(const struct p2pkp_rangeset *rs, __u64 b);
/* Take up to max blocks from the lowest range into *out: 1, or 0 if empty. */
int p2pkp_rangeset_pop(struct p2pkp_rangeset *rs, __u64 max, struct p2pkp_range *out);
/* The gaps of rs inside [from, to), at most max, into out; returns how many. */
__u32 p2pkp_rangeset_gaps(const struct p2pkp_rangeset *rs, __u64 from, __u64 to,
			  struct p2pkp_range *out, __u32 max);

#endif /* P2PKP_RANGES_H */
