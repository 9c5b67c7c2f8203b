// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Block bookkeeping: the bitmap (with its summaries, report building and
 * on-disk image) and the range set, each also checked against a plain
 * one-bool-per-block model under random operations (fixed seeds, so a
 * failure replays).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ranges.h"

static __u64 rng_state;

static __u64 rnd(void)
{
	/* xorshift64*: deterministic, good enough to pick positions */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dULL;
}

static __u64 rnd_below(__u64 n)
{
	return n ? rnd() % n : 0;
}

/* --- Bitmap ------------------------------------------------------------------------- */

static void test_bitmap_basics(void **state)
{
	struct p2pkp_bitmap bm;

	assert_int_equal(p2pkp_bitmap_init(&bm, 130), 0);
	assert_true(bm.cum == 0 && bm.high == 0 && bm.count == 0);
	assert_int_equal(p2pkp_bitmap_set(&bm, 1), 1);
	assert_int_equal(p2pkp_bitmap_set(&bm, 1), 0); /* duplicate */
	assert_true(bm.cum == 0 && bm.high == 2 && bm.count == 1);
	assert_int_equal(p2pkp_bitmap_set(&bm, 0), 1);
	assert_true(bm.cum == 2);
	assert_int_equal(p2pkp_bitmap_set(&bm, 130), -ERANGE);
	assert_true(p2pkp_bitmap_test(&bm, 1));
	assert_false(p2pkp_bitmap_test(&bm, 2));
	assert_false(p2pkp_bitmap_test(&bm, 1000));
	assert_int_equal(p2pkp_bitmap_set_range(&bm, 0, 130), 128);
	assert_true(p2pkp_bitmap_complete(&bm));
	assert_true(bm.cum == 130 && bm.high == 130);
	assert_int_equal(p2pkp_bitmap_set_range(&bm, 5, 131), -ERANGE);
	assert_int_equal(p2pkp_bitmap_set_range(&bm, 6, 5), -ERANGE);
	assert_true(p2pkp_bitmap_next_missing(&bm, 0) == 130);
	p2pkp_bitmap_clear(&bm);
	assert_true(bm.count == 0 && bm.cum == 0 && p2pkp_bitmap_next_held(&bm, 0) == 130);
	p2pkp_bitmap_free(&bm);

	/* An empty file is complete from the start. */
	assert_int_equal(p2pkp_bitmap_init(&bm, 0), 0);
	assert_true(p2pkp_bitmap_complete(&bm));
	assert_int_equal(p2pkp_bitmap_set(&bm, 0), -ERANGE);
	p2pkp_bitmap_free(&bm);
}

/* Holes far apart in a big file: the summaries must skip to them. */
static void test_bitmap_big_sparse(void **state)
{
	const __u64 n = 10 * 1000 * 1000;
	static const __u64 holes[] = {0, 4095, 4096, 262143, 262144, 5000000, 9999999};
	struct p2pkp_range out[16];
	struct p2pkp_bitmap bm;
	__u64 scan_end;
	__u32 k;

	assert_int_equal(p2pkp_bitmap_init(&bm, n), 0);
	assert_int_equal(p2pkp_bitmap_set_range(&bm, 0, n), (__s64)n);
	for (size_t i = 0; i < sizeof(holes) / sizeof(holes[0]); i++) {
		__u64 w = holes[i] / 64;

		/* Clear one bit through the image, the only way to drop a block but clear(). */
		bm.bits[w] &= ~(1ULL << (holes[i] % 64));
	}
	{
		size_t size = p2pkp_bitmap_image_size(&bm);
		__u8 *img = malloc(size);
		struct p2pkp_bitmap back;

		assert_non_null(img);
		bm.count -= sizeof(holes) / sizeof(holes[0]);
		assert_int_equal(p2pkp_bitmap_save(&bm, img, size), (__s64)size);
		assert_int_equal(p2pkp_bitmap_load(&back, img, size), 0);
		free(img);
		p2pkp_bitmap_free(&bm);
		bm = back;
	}
	assert_true(bm.cum == 0 && bm.high == n - 1);
	for (size_t i = 0; i < sizeof(holes) / sizeof(holes[0]); i++) {
		__u64 from = i ? holes[i - 1] + 1 : 0;

		assert_true(p2pkp_bitmap_next_missing(&bm, from) == holes[i]);
	}
	assert_true(p2pkp_bitmap_next_held(&bm, 4095) == 4097);

	k = p2pkp_bitmap_missing(&bm, bm.cum, out, 16, &scan_end);
	/* 9999999 is at high, so not a hole yet: nothing above it was received. */
	assert_int_equal(k, 4);
	assert_true(out[0].start == 0 && out[0].end == 1);
	assert_true(out[1].start == 4095 && out[1].end == 4097);
	assert_true(out[2].start == 262143 && out[2].end == 262145);
	assert_true(out[3].start == 5000000 && out[3].end == 5000001);
	assert_true(scan_end == n - 1);

	k = p2pkp_bitmap_missing(&bm, bm.cum, out, 2, &scan_end);
	assert_int_equal(k, 2);
	assert_true(scan_end == 262143); /* start of the first hole left out */
	p2pkp_bitmap_free(&bm);
}

static void test_bitmap_missing_small(void **state)
{
	struct p2pkp_range out[8];
	struct p2pkp_bitmap bm;
	__u64 scan_end;
	__u32 k;

	assert_int_equal(p2pkp_bitmap_init(&bm, 100), 0);
	k = p2pkp_bitmap_missing(&bm, 0, out, 8, &scan_end);
	assert_int_equal(k, 0);
	assert_true(scan_end == 0);

	p2pkp_bitmap_set_range(&bm, 0, 10);
	p2pkp_bitmap_set_range(&bm, 20, 30);
	p2pkp_bitmap_set(&bm, 50);
	k = p2pkp_bitmap_missing(&bm, bm.cum, out, 8, &scan_end);
	assert_int_equal(k, 2);
	assert_true(out[0].start == 10 && out[0].end == 20);
	assert_true(out[1].start == 30 && out[1].end == 50);
	assert_true(scan_end == 51 && bm.cum == 10);

	/* A window further on: what a STATUS with FROM asks for. */
	k = p2pkp_bitmap_missing(&bm, 40, out, 8, &scan_end);
	assert_int_equal(k, 1);
	assert_true(out[0].start == 40 && out[0].end == 50 && scan_end == 51);
	k = p2pkp_bitmap_missing(&bm, 60, out, 8, &scan_end);
	assert_int_equal(k, 0);
	assert_true(scan_end == 60);

	k = p2pkp_bitmap_missing(&bm, bm.cum, out, 0, &scan_end);
	assert_int_equal(k, 0);
	assert_true(scan_end == 10);

	p2pkp_bitmap_set_range(&bm, 0, 100);
	k = p2pkp_bitmap_missing(&bm, bm.cum, out, 8, &scan_end);
	assert_int_equal(k, 0);
	assert_true(scan_end == 100 && bm.cum == 100);
	p2pkp_bitmap_free(&bm);
}

/* FNV-1a 64, as the image's trailer: lets a test forge a well-checksummed image. */
static __u64 fnv(const __u8 *p, size_t n)
{
	__u64 h = 0xcbf29ce484222325ULL;

	while (n--) {
		h ^= *p++;
		h *= 0x100000001b3ULL;
	}
	return h;
}

static void reseal(__u8 *img, size_t size)
{
	p2pkp_put_be64(img + size - 8, fnv(img, size - 8));
}

static void test_bitmap_image(void **state)
{
	struct p2pkp_bitmap bm, back;
	__u8 img[64];
	size_t size;

	assert_int_equal(p2pkp_bitmap_init(&bm, 70), 0);
	p2pkp_bitmap_set(&bm, 3);
	p2pkp_bitmap_set(&bm, 69);
	size = p2pkp_bitmap_image_size(&bm);
	assert_int_equal(size, 24 + 16 + 8);
	assert_int_equal(p2pkp_bitmap_save(&bm, img, size - 1), -ENOSPC);
	assert_int_equal(p2pkp_bitmap_save(&bm, img, sizeof(img)), (__s64)size);
	assert_memory_equal(img, "P2PKPBM1", 8);

	assert_int_equal(p2pkp_bitmap_load(&back, img, size), 0);
	assert_true(back.nbits == 70 && back.count == 2 && back.cum == 0 && back.high == 70);
	assert_true(p2pkp_bitmap_test(&back, 3) && p2pkp_bitmap_test(&back, 69));
	p2pkp_bitmap_free(&back);

	/* Every way an image can be wrong is refused, and nothing leaks. */
	assert_int_equal(p2pkp_bitmap_load(&back, img, size - 1), -EINVAL);
	assert_int_equal(p2pkp_bitmap_load(&back, img, 8), -EINVAL);
	img[30] ^= 1; /* a bit flipped: checksum */
	assert_int_equal(p2pkp_bitmap_load(&back, img, size), -EINVAL);
	img[30] ^= 1;
	img[0] = 'X'; /* magic */
	reseal(img, size);
	assert_int_equal(p2pkp_bitmap_load(&back, img, size), -EINVAL);
	img[0] = 'P';
	p2pkp_put_be64(img + 16, 3); /* count disagrees with the bits */
	reseal(img, size);
	assert_int_equal(p2pkp_bitmap_load(&back, img, size), -EINVAL);
	p2pkp_put_be64(img + 16, 3);
	img[24 + 8] |= 0x80; /* bit 127 set, past nbits (bits are big-endian words) */
	reseal(img, size);
	assert_int_equal(p2pkp_bitmap_load(&back, img, size), -EINVAL);
	p2pkp_put_be64(img + 8, 1ULL << 62); /* nbits that the size cannot hold */
	reseal(img, size);
	assert_int_equal(p2pkp_bitmap_load(&back, img, size), -EINVAL);
	p2pkp_bitmap_free(&bm);
}

/* Model: one bool per block. */
static void check_against_model(const struct p2pkp_bitmap *bm, const bool *model, __u64 n)
{
	struct p2pkp_range out[P2PKP_MAX_RANGES];
	__u64 count = 0, cum = n, high = 0, scan_end, pos;
	__u32 k, max;

	for (__u64 b = 0; b < n; b++) {
		assert_int_equal(p2pkp_bitmap_test(bm, b), model[b]);
		count += model[b];
		if (!model[b] && cum == n)
			cum = b;
		if (model[b])
			high = b + 1;
	}
	assert_true(bm->count == count && bm->cum == cum && bm->high == high);

	for (int i = 0; i < 20; i++) {
		__u64 from = rnd_below(n + 2), m = from, h = from;

		while (m < n && model[m])
			m++;
		while (h < n && !model[h])
			h++;
		assert_true(p2pkp_bitmap_next_missing(bm, from) == (m < n ? m : n));
		assert_true(p2pkp_bitmap_next_held(bm, from) == (h < n ? h : n));
	}

	/* The report lists exactly the model's holes below high, cut at max. */
	max = (__u32)rnd_below(P2PKP_MAX_RANGES + 1);
	k = p2pkp_bitmap_missing(bm, cum, out, max, &scan_end);
	pos = cum;
	for (__u32 i = 0; i < k; i++) {
		while (pos < high && model[pos])
			pos++;
		assert_true(out[i].start == pos);
		while (pos < high && !model[pos])
			pos++;
		assert_true(out[i].end == pos);
	}
	while (pos < high && model[pos])
		pos++;
	if (k < max || pos >= high)
		assert_true(scan_end == (high > cum ? high : cum));
	else
		assert_true(scan_end == pos);
	for (__u64 b = cum; b < scan_end; b++) {
		bool listed = false;

		for (__u32 i = 0; i < k; i++)
			listed |= b >= out[i].start && b < out[i].end;
		assert_int_equal(listed, !model[b]);
	}
}

static void test_bitmap_random(void **state)
{
	static const __u64 sizes[] = {1, 63, 64, 65, 127, 4095, 4096, 4097, 9000, 300000};

	rng_state = 0x9e3779b97f4a7c15ULL;
	for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		__u64 n = sizes[s];
		bool *model = calloc(n, sizeof(bool));
		struct p2pkp_bitmap bm;

		assert_non_null(model);
		assert_int_equal(p2pkp_bitmap_init(&bm, n), 0);
		for (int round = 0; round < 12; round++) {
			int ops = 1 + (int)rnd_below(n < 200 ? n : 200);

			for (int op = 0; op < ops; op++) {
				if (rnd_below(4)) {
					__u64 b = rnd_below(n);
					int rc = p2pkp_bitmap_set(&bm, b);

					assert_int_equal(rc, !model[b]);
					model[b] = true;
				} else {
					__u64 a = rnd_below(n + 1);
					/* Mostly short ranges, so holes survive. */
					__u64 len = rnd_below(rnd_below(8) ? 150 : n - a + 1);
					__u64 z = a + len < n ? a + len : n;
					__s64 want = 0;

					for (__u64 b = a; b < z; b++) {
						want += !model[b];
						model[b] = true;
					}
					assert_int_equal(p2pkp_bitmap_set_range(&bm, a, z), want);
				}
			}
			check_against_model(&bm, model, n);

			if (round == 6) { /* through the image and back */
				size_t size = p2pkp_bitmap_image_size(&bm);
				__u8 *img = malloc(size);
				struct p2pkp_bitmap back;

				assert_non_null(img);
				assert_int_equal(p2pkp_bitmap_save(&bm, img, size), (__s64)size);
				assert_int_equal(p2pkp_bitmap_load(&back, img, size), 0);
				free(img);
				p2pkp_bitmap_free(&bm);
				bm = back;
				check_against_model(&bm, model, n);
			}
			if (round == 9) {
				p2pkp_bitmap_clear(&bm);
				memset(model, 0, n * sizeof(bool));
				check_against_model(&bm, model, n);
			}
		}
		p2pkp_bitmap_free(&bm);
		free(model);
	}
}

/* --- Range set ------------------------------------------------------------------------ */

static void assert_ranges(const struct p2pkp_rangeset *rs, const struct p2pkp_range *want, __u32 n)
{
	assert_int_equal(rs->n, n);
	for (__u32 i = 0; i < n; i++)
		if (rs->r[i].start != want[i].start || rs->r[i].end != want[i].end)
			fail_msg("range %u: [%llu, %llu) want [%llu, %llu)", i,
				 (unsigned long long)rs->r[i].start,
				 (unsigned long long)rs->r[i].end,
				 (unsigned long long)want[i].start,
				 (unsigned long long)want[i].end);
}

static void test_rangeset_basics(void **state)
{
	struct p2pkp_rangeset rs;
	struct p2pkp_range r, gaps[8];

	p2pkp_rangeset_init(&rs);
	assert_int_equal(p2pkp_rangeset_pop(&rs, 10, &r), 0);
	assert_int_equal(p2pkp_rangeset_add(&rs, 10, 20), 0);
	assert_int_equal(p2pkp_rangeset_add(&rs, 30, 40), 0);
	assert_int_equal(p2pkp_rangeset_add(&rs, 5, 5), 0); /* empty: nothing */
	assert_int_equal(p2pkp_rangeset_add(&rs, 6, 5), -EINVAL);
	assert_ranges(&rs, (struct p2pkp_range[]){{10, 20}, {30, 40}}, 2);
	assert_int_equal(p2pkp_rangeset_add(&rs, 20, 25), 0); /* touching merges */
	assert_ranges(&rs, (struct p2pkp_range[]){{10, 25}, {30, 40}}, 2);
	assert_int_equal(p2pkp_rangeset_add(&rs, 24, 31), 0); /* bridges both */
	assert_ranges(&rs, (struct p2pkp_range[]){{10, 40}}, 1);
	assert_true(rs.total == 30);
	assert_int_equal(p2pkp_rangeset_remove(&rs, 15, 17), 0); /* splits */
	assert_ranges(&rs, (struct p2pkp_range[]){{10, 15}, {17, 40}}, 2);
	assert_true(p2pkp_rangeset_contains(&rs, 10) && !p2pkp_rangeset_contains(&rs, 15));
	assert_true(!p2pkp_rangeset_contains(&rs, 40) && p2pkp_rangeset_contains(&rs, 39));
	assert_true(!p2pkp_rangeset_contains(&rs, UINT64_MAX));
	assert_int_equal(p2pkp_rangeset_gaps(&rs, 0, 50, gaps, 8), 3);
	assert_true(gaps[0].start == 0 && gaps[0].end == 10);
	assert_true(gaps[1].start == 15 && gaps[1].end == 17);
	assert_true(gaps[2].start == 40 && gaps[2].end == 50);
	assert_int_equal(p2pkp_rangeset_gaps(&rs, 12, 20, gaps, 8), 1);
	assert_true(gaps[0].start == 15 && gaps[0].end == 17);
	assert_int_equal(p2pkp_rangeset_pop(&rs, 3, &r), 1);
	assert_true(r.start == 10 && r.end == 13);
	assert_int_equal(p2pkp_rangeset_pop(&rs, 0, &r), 1); /* 0: the whole range */
	assert_true(r.start == 13 && r.end == 15);
	assert_int_equal(p2pkp_rangeset_remove(&rs, 0, 100), 0);
	assert_int_equal(rs.n, 0);
	assert_true(rs.total == 0);
	p2pkp_rangeset_free(&rs);
}

static void test_rangeset_random(void **state)
{
	const __u64 n = 3000;
	bool model[3000];
	struct p2pkp_rangeset rs;

	rng_state = 0x2545f4914f6cdd1dULL;
	memset(model, 0, sizeof(model));
	p2pkp_rangeset_init(&rs);
	for (int op = 0; op < 20000; op++) {
		__u64 a = rnd_below(n), z = a + rnd_below(op % 7 ? 20 : 400);
		int kind = (int)rnd_below(10);

		if (z > n)
			z = n;
		if (kind < 5) {
			assert_int_equal(p2pkp_rangeset_add(&rs, a, z), 0);
			for (__u64 b = a; b < z; b++)
				model[b] = true;
		} else if (kind < 9) {
			assert_int_equal(p2pkp_rangeset_remove(&rs, a, z), 0);
			for (__u64 b = a; b < z; b++)
				model[b] = false;
		} else {
			struct p2pkp_range r;
			__u64 first = 0;

			while (first < n && !model[first])
				first++;
			if (p2pkp_rangeset_pop(&rs, 5, &r)) {
				assert_true(r.start == first && r.end > r.start &&
					    r.end - r.start <= 5);
				for (__u64 b = r.start; b < r.end; b++) {
					assert_true(model[b]);
					model[b] = false;
				}
			} else {
				assert_true(first == n);
			}
		}
		if (op % 97)
			continue;
		/* Invariants: sorted, disjoint, not touching, total right, same bits. */
		{
			__u64 total = 0;
			struct p2pkp_range gaps[64];
			__u32 k;
			__u64 pos = 0;

			for (__u32 i = 0; i < rs.n; i++) {
				assert_true(rs.r[i].start < rs.r[i].end);
				if (i)
					assert_true(rs.r[i].start > rs.r[i - 1].end);
				total += rs.r[i].end - rs.r[i].start;
			}
			assert_true(total == rs.total);
			for (__u64 b = 0; b < n; b++)
				assert_int_equal(p2pkp_rangeset_contains(&rs, b), model[b]);
			k = p2pkp_rangeset_gaps(&rs, 0, n, gaps, 64);
			for (__u32 i = 0; i < k; i++) {
				while (pos < n && model[pos])
					pos++;
				assert_true(gaps[i].start == pos);
				while (pos < n && !model[pos])
					pos++;
				assert_true(gaps[i].end == pos);
			}
		}
	}
	p2pkp_rangeset_free(&rs);
}

/* Reports feed the sender's set: holes added, the rest of the window removed. */
static void test_report_into_rangeset(void **state)
{
	struct p2pkp_range out[P2PKP_MAX_RANGES];
	struct p2pkp_bitmap bm;
	struct p2pkp_rangeset todo;
	__u64 scan_end, cum;
	__u32 k;

	assert_int_equal(p2pkp_bitmap_init(&bm, 1000), 0);
	for (__u64 b = 0; b < 1000; b++)
		if (b % 7)
			p2pkp_bitmap_set(&bm, b);
	p2pkp_rangeset_init(&todo);
	cum = bm.cum;
	while (cum < bm.nbits) {
		k = p2pkp_bitmap_missing(&bm, cum, out, 10, &scan_end);
		assert_true(k <= 10);
		assert_int_equal(p2pkp_rangeset_remove(&todo, cum, scan_end), 0);
		for (__u32 i = 0; i < k; i++)
			assert_int_equal(p2pkp_rangeset_add(&todo, out[i].start, out[i].end), 0);
		if (scan_end == cum)
			break;
		cum = scan_end;
	}
	assert_true(todo.total == 143); /* 0, 7, ..., 994 */
	assert_int_equal(todo.n, 143);
	p2pkp_rangeset_free(&todo);
	p2pkp_bitmap_free(&bm);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bitmap_basics),
		cmocka_unit_test(test_bitmap_big_sparse),
		cmocka_unit_test(test_bitmap_missing_small),
		cmocka_unit_test(test_bitmap_image),
		cmocka_unit_test(test_bitmap_random),
		cmocka_unit_test(test_rangeset_basics),
		cmocka_unit_test(test_rangeset_random),
		cmocka_unit_test(test_report_into_rangeset),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
