// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Bitmap and range-set bookkeeping for P2PKP status reports and resume.
 * Plain C, no libraries: the fuzzers link it directly.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ranges.h"

#define WORD_BITS 64

static const __u8 bm_magic[8] = {'P', '2', 'P', 'K', 'P', 'B', 'M', '1'};
#define BM_IMAGE_HDR 24 /* magic, nbits, count */
#define BM_IMAGE_TRL 8	/* checksum */

static __u64 min_u64(__u64 a, __u64 b)
{
	return a < b ? a : b;
}

/* Bits [lo, 64) of a word. lo < 64. */
static __u64 mask_from(unsigned int lo)
{
	return ~0ULL << lo;
}

/* --- Bitmap ------------------------------------------------------------------------ */

static __u64 words_for(__u64 nbits)
{
	return nbits / WORD_BITS + (nbits % WORD_BITS != 0);
}

int p2pkp_bitmap_init(struct p2pkp_bitmap *bm, __u64 nbits)
{
	__u64 nwords = words_for(nbits), nsum = words_for(nwords);

	memset(bm, 0, sizeof(*bm));
	if (nwords > SIZE_MAX / sizeof(__u64))
		return -ENOMEM;
	/* calloc(0) may return NULL: always keep one word. */
	bm->bits = calloc(nwords ? nwords : 1, sizeof(__u64));
	bm->full = calloc(nsum ? nsum : 1, sizeof(__u64));
	bm->any = calloc(nsum ? nsum : 1, sizeof(__u64));
	if (!bm->bits || !bm->full || !bm->any) {
		p2pkp_bitmap_free(bm);
		return -ENOMEM;
	}
	bm->nbits = nbits;
	bm->nwords = nwords;
	return 0;
}

void p2pkp_bitmap_free(struct p2pkp_bitmap *bm)
{
	free(bm->bits);
	free(bm->full);
	free(bm->any);
	memset(bm, 0, sizeof(*bm));
}

void p2pkp_bitmap_clear(struct p2pkp_bitmap *bm)
{
	__u64 nsum = words_for(bm->nwords);

	memset(bm->bits, 0, (bm->nwords ? bm->nwords : 1) * sizeof(__u64));
	memset(bm->full, 0, (nsum ? nsum : 1) * sizeof(__u64));
	memset(bm->any, 0, (nsum ? nsum : 1) * sizeof(__u64));
	bm->count = bm->cum = bm->high = 0;
}

bool p2pkp_bitmap_test(const struct p2pkp_bitmap *bm, __u64 b)
{
	if (b >= bm->nbits)
		return false;
	return bm->bits[b / WORD_BITS] >> (b % WORD_BITS) & 1;
}

/*
 * First word index >= from whose summary bit is 1 (or 0 when invert) in
 * sum, or nwords. Summary bits past nwords are 0, hence the final bound.
 */
static __u64 next_word(const __u64 *sum, bool invert, __u64 from, __u64 nwords)
{
	__u64 s, x;

	if (from >= nwords)
		return nwords;
	s = from / WORD_BITS;
	x = (invert ? ~sum[s] : sum[s]) & mask_from(from % WORD_BITS);
	while (!x) {
		if (++s >= words_for(nwords))
			return nwords;
		x = invert ? ~sum[s] : sum[s];
	}
	return min_u64(s * WORD_BITS + (__u64)__builtin_ctzll(x), nwords);
}

__u64 p2pkp_bitmap_next_missing(const struct p2pkp_bitmap *bm, __u64 from)
{
	__u64 w, x;

	if (from >= bm->nbits)
		return bm->nbits;
	w = from / WORD_BITS;
	x = ~bm->bits[w] & mask_from(from % WORD_BITS);
	if (!x) {
		w = next_word(bm->full, true, w + 1, bm->nwords);
		if (w == bm->nwords)
			return bm->nbits;
		x = ~bm->bits[w];
	}
	/* Bits past nbits are 0, so the last word may point past the end. */
	return min_u64(w * WORD_BITS + (__u64)__builtin_ctzll(x), bm->nbits);
}

__u64 p2pkp_bitmap_next_held(const struct p2pkp_bitmap *bm, __u64 from)
{
	__u64 w, x;

	if (from >= bm->nbits)
		return bm->nbits;
	w = from / WORD_BITS;
	x = bm->bits[w] & mask_from(from % WORD_BITS);
	if (!x) {
		w = next_word(bm->any, false, w + 1, bm->nwords);
		if (w == bm->nwords)
			return bm->nbits;
		x = bm->bits[w];
	}
	return w * WORD_BITS + (__u64)__builtin_ctzll(x);
}

/* Bring the summaries of word w up to date after it changed. */
static void update_summary(struct p2pkp_bitmap *bm, __u64 w)
{
	__u64 bit = 1ULL << (w % WORD_BITS);

	if (bm->bits[w])
		bm->any[w / WORD_BITS] |= bit;
	else
		bm->any[w / WORD_BITS] &= ~bit;
	if (bm->bits[w] == ~0ULL)
		bm->full[w / WORD_BITS] |= bit;
	else
		bm->full[w / WORD_BITS] &= ~bit;
}

int p2pkp_bitmap_set(struct p2pkp_bitmap *bm, __u64 b)
{
	__u64 w, m;

	if (b >= bm->nbits)
		return -ERANGE;
	w = b / WORD_BITS;
	m = 1ULL << (b % WORD_BITS);
	if (bm->bits[w] & m)
		return 0;
	bm->bits[w] |= m;
	update_summary(bm, w);
	bm->count++;
	if (b >= bm->high)
		bm->high = b + 1;
	if (b == bm->cum)
		bm->cum = p2pkp_bitmap_next_missing(bm, b + 1);
	return 1;
}

__s64 p2pkp_bitmap_set_range(struct p2pkp_bitmap *bm, __u64 start, __u64 end)
{
	__u64 added = 0;

	if (start > end || end > bm->nbits)
		return -ERANGE;
	if (start == end)
		return 0;
	for (__u64 w = start / WORD_BITS; w <= (end - 1) / WORD_BITS; w++) {
		__u64 lo = w == start / WORD_BITS ? start % WORD_BITS : 0;
		__u64 hi = w == (end - 1) / WORD_BITS ? (end - 1) % WORD_BITS : WORD_BITS - 1;
		__u64 m = mask_from((unsigned int)lo) & (~0ULL >> (WORD_BITS - 1 - hi));

		added += (__u64)__builtin_popcountll(m & ~bm->bits[w]);
		bm->bits[w] |= m;
		update_summary(bm, w);
	}
	bm->count += added;
	if (end > bm->high)
		bm->high = end;
	if (bm->cum >= start && bm->cum < end)
		bm->cum = p2pkp_bitmap_next_missing(bm, end);
	return (__s64)added;
}

__u32 p2pkp_bitmap_missing(const struct p2pkp_bitmap *bm, __u64 from, struct p2pkp_range *out,
			   __u32 max, __u64 *scan_end)
{
	__u64 pos = from > bm->cum ? from : bm->cum;
	__u32 n = 0;

	while (pos < bm->high) {
		__u64 s = p2pkp_bitmap_next_missing(bm, pos);

		if (s >= bm->high)
			break;
		if (n == max) {
			*scan_end = s;
			return n;
		}
		/* Block high - 1 is held, so the hole ends at or before high. */
		out[n].start = s;
		out[n].end = p2pkp_bitmap_next_held(bm, s);
		pos = out[n++].end;
	}
	*scan_end = bm->high > from ? bm->high : from;
	return n;
}

/* --- Bitmap image --------------------------------------------------------------------- */

static __u64 fnv1a64(const __u8 *p, size_t n)
{
	__u64 h = 0xcbf29ce484222325ULL;

	for (size_t i = 0; i < n; i++) {
		h ^= p[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

size_t p2pkp_bitmap_image_size(const struct p2pkp_bitmap *bm)
{
	return BM_IMAGE_HDR + (size_t)bm->nwords * 8 + BM_IMAGE_TRL;
}

__s64 p2pkp_bitmap_save(const struct p2pkp_bitmap *bm, void *buf, size_t cap)
{
	size_t size = p2pkp_bitmap_image_size(bm);
	__u8 *p = buf;

	if (cap < size)
		return -ENOSPC;
	memcpy(p, bm_magic, sizeof(bm_magic));
	p2pkp_put_be64(p + 8, bm->nbits);
	p2pkp_put_be64(p + 16, bm->count);
	for (__u64 w = 0; w < bm->nwords; w++)
		p2pkp_put_be64(p + BM_IMAGE_HDR + 8 * w, bm->bits[w]);
	p2pkp_put_be64(p + size - BM_IMAGE_TRL, fnv1a64(p, size - BM_IMAGE_TRL));
	return (__s64)size;
}

/* Recompute count-derived fields (summaries, cum, high) after a raw load. */
static void bitmap_rebuild(struct p2pkp_bitmap *bm)
{
	for (__u64 w = 0; w < bm->nwords; w++)
		update_summary(bm, w);
	bm->high = 0;
	for (__u64 w = bm->nwords; w-- > 0;) {
		if (bm->bits[w]) {
			bm->high = w * WORD_BITS + WORD_BITS - (__u64)__builtin_clzll(bm->bits[w]);
			break;
		}
	}
	bm->cum = p2pkp_bitmap_next_missing(bm, 0);
}

int p2pkp_bitmap_load(struct p2pkp_bitmap *bm, const void *buf, size_t len)
{
	const __u8 *p = buf;
	__u64 nbits, count, got = 0;
	int rc;

	memset(bm, 0, sizeof(*bm));
	if (len < BM_IMAGE_HDR + BM_IMAGE_TRL || memcmp(p, bm_magic, sizeof(bm_magic)))
		return -EINVAL;
	nbits = p2pkp_get_be64(p + 8);
	count = p2pkp_get_be64(p + 16);
	/* Size check before anything is allocated from nbits. */
	if (words_for(nbits) != (len - BM_IMAGE_HDR - BM_IMAGE_TRL) / 8 ||
	    (len - BM_IMAGE_HDR - BM_IMAGE_TRL) % 8)
		return -EINVAL;
	if (p2pkp_get_be64(p + len - BM_IMAGE_TRL) != fnv1a64(p, len - BM_IMAGE_TRL))
		return -EINVAL;
	rc = p2pkp_bitmap_init(bm, nbits);
	if (rc)
		return rc;
	for (__u64 w = 0; w < bm->nwords; w++) {
		bm->bits[w] = p2pkp_get_be64(p + BM_IMAGE_HDR + 8 * w);
		got += (__u64)__builtin_popcountll(bm->bits[w]);
	}
	/* No bit past the end, and the count must agree. */
	if ((nbits % WORD_BITS && bm->bits[bm->nwords - 1] & mask_from(nbits % WORD_BITS)) ||
	    got != count) {
		p2pkp_bitmap_free(bm);
		return -EINVAL;
	}
	bm->count = count;
	bitmap_rebuild(bm);
	return 0;
}

/* --- Range set ------------------------------------------------------------------------- */

void p2pkp_rangeset_init(struct p2pkp_rangeset *rs)
{
	memset(rs, 0, sizeof(*rs));
}

void p2pkp_rangeset_free(struct p2pkp_rangeset *rs)
{
	free(rs->r);
	memset(rs, 0, sizeof(*rs));
}

static int reserve(struct p2pkp_rangeset *rs, __u32 need)
{
	struct p2pkp_range *r;
	__u32 cap;

	if (need <= rs->cap)
		return 0;
	if (need > UINT32_MAX / 2)
		return -ENOMEM;
	cap = rs->cap ? rs->cap : 16;
	while (cap < need)
		cap *= 2;
	r = realloc(rs->r, (size_t)cap * sizeof(*r));
	if (!r)
		return -ENOMEM;
	rs->r = r;
	rs->cap = cap;
	return 0;
}

/* First index whose range ends at or after x (n if none). */
static __u32 first_end_ge(const struct p2pkp_rangeset *rs, __u64 x)
{
	__u32 lo = 0, hi = rs->n;

	while (lo < hi) {
		__u32 mid = lo + (hi - lo) / 2;

		if (rs->r[mid].end >= x)
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}

/* First index whose range starts after x (n if none). */
static __u32 first_start_gt(const struct p2pkp_rangeset *rs, __u64 x)
{
	__u32 lo = 0, hi = rs->n;

	while (lo < hi) {
		__u32 mid = lo + (hi - lo) / 2;

		if (rs->r[mid].start > x)
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}

/* Replace ranges [i, j) by the k ranges in with (capacity already reserved). */
static void splice(struct p2pkp_rangeset *rs, __u32 i, __u32 j, const struct p2pkp_range *with,
		   __u32 k)
{
	for (__u32 x = i; x < j; x++)
		rs->total -= rs->r[x].end - rs->r[x].start;
	memmove(&rs->r[i + k], &rs->r[j], (size_t)(rs->n - j) * sizeof(rs->r[0]));
	for (__u32 x = 0; x < k; x++) {
		rs->r[i + x] = with[x];
		rs->total += with[x].end - with[x].start;
	}
	rs->n = rs->n - (j - i) + k;
}

int p2pkp_rangeset_add(struct p2pkp_rangeset *rs, __u64 start, __u64 end)
{
	struct p2pkp_range m = {start, end};
	__u32 i, j;

	if (start > end)
		return -EINVAL;
	if (start == end)
		return 0;
	/* [i, j): the ranges that overlap or touch [start, end). */
	i = first_end_ge(rs, start);
	j = first_start_gt(rs, end);
	if (i == j && reserve(rs, rs->n + 1))
		return -ENOMEM;
	if (i < j) {
		m.start = rs->r[i].start < start ? rs->r[i].start : start;
		m.end = rs->r[j - 1].end > end ? rs->r[j - 1].end : end;
	}
	splice(rs, i, j, &m, 1);
	return 0;
}

int p2pkp_rangeset_remove(struct p2pkp_rangeset *rs, __u64 start, __u64 end)
{
	struct p2pkp_range keep[2];
	__u32 i, j, k = 0;

	if (start > end)
		return -EINVAL;
	if (start == end)
		return 0;
	/* [i, j): the ranges that overlap [start, end). */
	i = first_end_ge(rs, start + 1);
	j = first_start_gt(rs, end - 1);
	if (i >= j)
		return 0;
	if (rs->r[i].start < start)
		keep[k++] = (struct p2pkp_range){rs->r[i].start, start};
	if (rs->r[j - 1].end > end)
		keep[k++] = (struct p2pkp_range){end, rs->r[j - 1].end};
	if (rs->n - (j - i) + k > rs->n && reserve(rs, rs->n + 1))
		return -ENOMEM;
	splice(rs, i, j, keep, k);
	return 0;
}

bool p2pkp_rangeset_contains(const struct p2pkp_rangeset *rs, __u64 b)
{
	__u32 i;

	if (b == UINT64_MAX)
		return false;
	i = first_end_ge(rs, b + 1);
	return i < rs->n && rs->r[i].start <= b;
}

int p2pkp_rangeset_pop(struct p2pkp_rangeset *rs, __u64 max, struct p2pkp_range *out)
{
	struct p2pkp_range *r;

	if (!rs->n)
		return 0;
	r = &rs->r[0];
	out->start = r->start;
	out->end = max && r->end - r->start > max ? r->start + max : r->end;
	rs->total -= out->end - out->start;
	if (out->end == r->end) {
		memmove(&rs->r[0], &rs->r[1], (size_t)(rs->n - 1) * sizeof(rs->r[0]));
		rs->n--;
	} else {
		r->start = out->end;
	}
	return 1;
}

__u32 p2pkp_rangeset_gaps(const struct p2pkp_rangeset *rs, __u64 from, __u64 to,
			  struct p2pkp_range *out, __u32 max)
{
	__u64 pos = from;
	__u32 n = 0;

	if (from >= to || from == UINT64_MAX)
		return 0;
	for (__u32 i = first_end_ge(rs, from + 1); i < rs->n && rs->r[i].start < to; i++) {
		if (rs->r[i].start > pos) {
			if (n == max)
				return n;
			out[n++] = (struct p2pkp_range){pos, rs->r[i].start};
		}
		if (rs->r[i].end > pos)
			pos = rs->r[i].end;
	}
	if (pos < to && n < max)
		out[n++] = (struct p2pkp_range){pos, to};
	return n;
}
