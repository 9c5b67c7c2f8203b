// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * BLOCK_SUM and DIGEST against values computed outside this code: CRC-64/XZ
 * by a bit-wise reference (its check value is 0x995dc9bbdf1939fa) and XXH3-128
 * by xxhsum -H2. The streaming digest must equal the one-shot digest.
 */
#include <endian.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "blocksum.h"

struct sum_case {
	const char *name;
	__u64 offset;
	size_t len;
	int pattern; /* 0: "123456789"; 1: bytes 0..255 repeated, then zeros */
	__u64 want;
};

static const struct sum_case sum_cases[] = {
	{"check string at offset 0", 0, 9, 0, 0xecf36dfb73a6edf7ULL},
	{"empty payload at offset 0", 0, 0, 0, 0xb66a73654282cac0ULL},
	{"1400-byte block at offset 1400", 1400, 1400, 1, 0x60564b0d376de5b7ULL},
};

static void fill(__u8 *buf, const struct sum_case *c)
{
	if (c->pattern == 0) {
		memcpy(buf, "123456789", 9);
		return;
	}
	memset(buf, 0, c->len);
	for (size_t i = 0; i < 1280 && i < c->len; i++)
		buf[i] = (__u8)i;
}

static void test_block_sums(void **state)
{
	__u8 buf[1400];

	for (size_t i = 0; i < sizeof(sum_cases) / sizeof(sum_cases[0]); i++) {
		const struct sum_case *c = &sum_cases[i];

		fill(buf, c);
		print_message("  %s\n", c->name);
		assert_int_equal(p2pkp_block_sum(c->offset, buf, c->len), c->want);
	}
}

static void test_offset_is_covered(void **state)
{
	__u8 buf[64] = {1};

	assert_int_not_equal(p2pkp_block_sum(0, buf, sizeof(buf)),
			     p2pkp_block_sum(64, buf, sizeof(buf)));
}

/* xxhsum -H2 of the empty input and of the 16 bytes 00 01 .. 0f. */
static const __u8 empty_digest[P2PKP_DIGEST_LEN] = {0x99, 0xaa, 0x06, 0xd3, 0x01, 0x47, 0x98, 0xd8,
						    0x60, 0x01, 0xc3, 0x24, 0x46, 0x8d, 0x49, 0x7f};

static void test_digest_known(void **state)
{
	__u8 out[P2PKP_DIGEST_LEN];

	p2pkp_digest_of(NULL, 0, out);
	assert_memory_equal(out, empty_digest, sizeof(out));
}

static void test_digest_streaming(void **state)
{
	__be64 sums[1000];
	__u8 one[P2PKP_DIGEST_LEN], pieces[P2PKP_DIGEST_LEN];
	struct p2pkp_digest *d = p2pkp_digest_new();

	assert_non_null(d);
	for (int i = 0; i < 1000; i++)
		sums[i] = htobe64(p2pkp_block_sum((__u64)i * 8, &i, sizeof(i)));
	p2pkp_digest_of(sums, 1000, one);
	p2pkp_digest_add(d, sums, 1);
	p2pkp_digest_add(d, sums + 1, 600);
	p2pkp_digest_add(d, sums + 601, 0);
	p2pkp_digest_add(d, sums + 601, 399);
	p2pkp_digest_final(d, pieces);
	p2pkp_digest_free(d);
	assert_memory_equal(one, pieces, sizeof(one));
	/* One sum changed changes the digest. */
	sums[500] ^= htobe64(1);
	p2pkp_digest_of(sums, 1000, pieces);
	assert_memory_not_equal(one, pieces, sizeof(one));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_block_sums),
		cmocka_unit_test(test_offset_is_covered),
		cmocka_unit_test(test_digest_known),
		cmocka_unit_test(test_digest_streaming),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
