// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Block sums and DIGEST of a file on disk: every split into thread slices
 * and digest windows must give p2pkp_digest_of() over the block sums computed
 * one block at a time, and a file shorter than announced fails.
 */
#include <endian.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "filesum.h"
#include "wire.h"

struct sum_case {
	const char *name;
	__u64 size;
	__u32 block_size;
	unsigned int threads; /* 0: one per online CPU */
};

static const struct sum_case cases[] = {
	{"empty file", 0, 1024, 4},
	{"one byte", 1, 1024, 4},
	{"one short block", 1000, 1024, 1},
	{"exact blocks", 64 * 1024, 1024, 2},
	{"below the split size, 8 threads asked", P2PKP_FILESUM_SPLIT_MIN - 1, 1400, 8},
	{"one thread", 40u << 20, 8192, 1},
	{"two threads, short last block", (40u << 20) + 3, 1472, 2},
	{"three uneven slices", (48u << 20) + 12345, 4000, 3},
	{"more threads than allowed", 100u << 20, 9000, 64},
	{"several windows, one per CPU", (2 * P2PKP_FILESUM_WINDOW) + 77, 1000, 0},
	{"blocks larger than a read chunk", (20u << 20) + 5, 3u << 20, 4},
	{"tiny blocks", 3u << 20, 64, 2},
};

/* A temporary file of size pseudo-random bytes (fixed seed), unlinked at once. */
static int random_file(__u64 size, __u8 **data)
{
	char path[] = "/tmp/p2pkp-test-filesum-XXXXXX";
	__u64 i, x = 0x9e3779b97f4a7c15ull;
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	unlink(path);
	*data = malloc(size ? size : 1);
	assert_non_null(*data);
	for (i = 0; i < size; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		(*data)[i] = (__u8)x;
	}
	assert_int_equal(pwrite(fd, *data, size, 0), (ssize_t)size);
	return fd;
}

/* The reference: one block at a time, straight from the definition. */
static __be64 *ref_sums(const __u8 *data, __u64 size, __u32 bs, __u64 *n)
{
	__be64 *sums;
	__u64 b;

	*n = p2pkp_blocks(size, bs);
	sums = malloc((*n ? *n : 1) * sizeof(*sums));
	assert_non_null(sums);
	for (b = 0; b < *n; b++) {
		__u64 off = b * bs, len = size - off < bs ? size - off : bs;

		sums[b] = htobe64(p2pkp_block_sum(off, data + off, (size_t)len));
	}
	return sums;
}

static void sum_case(void **state)
{
	const struct sum_case *c = *state;
	__u8 got[P2PKP_DIGEST_LEN], want[P2PKP_DIGEST_LEN];
	__u64 n, first, cnt;
	__be64 *sums, *part;
	__u8 *data;
	int fd = random_file(c->size, &data);

	sums = ref_sums(data, c->size, c->block_size, &n);
	p2pkp_digest_of(sums, n, want);
	memset(got, 0xa5, sizeof(got));
	assert_int_equal(p2pkp_file_digest(fd, c->size, c->block_size, c->threads, got), 0);
	assert_memory_equal(got, want, sizeof(want));

	/* A range that starts and ends mid-file, as the store's resume check asks. */
	first = n / 3;
	cnt = n - first - (n > 2);
	part = malloc((cnt ? cnt : 1) * sizeof(*part));
	assert_non_null(part);
	assert_int_equal(
		p2pkp_file_block_sums(fd, c->size, c->block_size, first, cnt, c->threads, part), 0);
	if (cnt)
		assert_memory_equal(part, sums + first, cnt * sizeof(*part));
	free(part);
	free(sums);
	close(fd);
	free(data);
}

static void test_short_file(void **state)
{
	__u8 *data, dg[P2PKP_DIGEST_LEN];
	__be64 sum;
	int fd = random_file(20u << 20, &data);

	/* Announced larger than it is: every thread layout notices. */
	assert_int_equal(p2pkp_file_digest(fd, 40u << 20, 1024, 1, dg), -ENODATA);
	assert_int_equal(p2pkp_file_digest(fd, 40u << 20, 1024, 4, dg), -ENODATA);
	/* One byte short, in the last block only. */
	assert_int_equal(p2pkp_file_digest(fd, (20u << 20) + 1, 1024, 2, dg), -ENODATA);
	assert_int_equal(p2pkp_file_block_sums(fd, (20u << 20) + 1, 1024, 20u << 10, 1, 1, &sum),
			 -ENODATA);
	close(fd);
	free(data);
}

static void test_bad_args(void **state)
{
	__u8 dg[P2PKP_DIGEST_LEN];
	__be64 sums[4];

	assert_int_equal(p2pkp_file_digest(-1, 1u << 20, 1024, 1, dg), -EBADF);
	assert_int_equal(p2pkp_file_digest(-1, 64u << 20, 1024, 4, dg), -EBADF);
	assert_int_equal(p2pkp_file_digest(-1, 10, 0, 1, dg), -EINVAL);
	/* Blocks past the end of the file. */
	assert_int_equal(p2pkp_file_block_sums(-1, 4096, 1024, 3, 2, 1, sums), -EINVAL);
	assert_int_equal(p2pkp_file_block_sums(-1, 4096, 1024, 5, 0, 1, sums), -EINVAL);
	assert_int_equal(p2pkp_file_block_sums(-1, 4096, 1024, 4, 0, 1, sums), 0);
}

int main(void)
{
	struct CMUnitTest tests[sizeof(cases) / sizeof(cases[0]) + 2];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		tests[i] =
			(struct CMUnitTest){cases[i].name, sum_case, NULL, NULL, (void *)&cases[i]};
	tests[i++] = (struct CMUnitTest)cmocka_unit_test(test_short_file);
	tests[i++] = (struct CMUnitTest)cmocka_unit_test(test_bad_args);
	return _cmocka_run_group_tests("filesum", tests, i, NULL, NULL);
}
