// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The sender's file CRC-32: every split into thread segments must give
 * zlib's crc32() of the whole file, and a file shorter than announced fails.
 */
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
#include <zlib.h>

#include "filecrc.h"

struct crc_case {
	const char *name;
	__u64 size;
	unsigned int threads; /* 0: one per online CPU */
};

static const struct crc_case cases[] = {
	{"empty file", 0, 4},
	{"one byte", 1, 4},
	{"below the split size, 8 threads asked", P2PKP_FILECRC_SPLIT_MIN - 1, 8},
	{"one thread", 40u << 20, 1},
	{"two threads, odd size", (40u << 20) + 3, 2},
	{"three uneven segments", (48u << 20) + 12345, 3},
	{"more threads than allowed", 100u << 20, 64},
	{"one per CPU", (64u << 20) + 1, 0},
};

/* A temporary file of size pseudo-random bytes (fixed seed), unlinked at once. */
static int random_file(__u64 size, __u8 **data)
{
	char path[] = "/tmp/p2pkp-test-filecrc-XXXXXX";
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

static void crc_case(void **state)
{
	const struct crc_case *c = *state;
	__u8 *data;
	__u32 crc = 0xdeadbeef;
	int fd = random_file(c->size, &data);

	assert_int_equal(p2pkp_filecrc(fd, c->size, c->threads, &crc), 0);
	assert_int_equal(crc, (__u32)crc32(0L, data, (uInt)c->size));
	close(fd);
	free(data);
}

static void test_short_file(void **state)
{
	__u8 *data;
	__u32 crc;
	int fd = random_file(20u << 20, &data);

	/* Announced larger than it is: every thread layout notices. */
	assert_int_equal(p2pkp_filecrc(fd, 40u << 20, 1, &crc), -ENODATA);
	assert_int_equal(p2pkp_filecrc(fd, 40u << 20, 4, &crc), -ENODATA);
	close(fd);
	free(data);
}

static void test_bad_fd(void **state)
{
	__u32 crc;

	assert_int_equal(p2pkp_filecrc(-1, 1u << 20, 1, &crc), -EBADF);
	assert_int_equal(p2pkp_filecrc(-1, 64u << 20, 4, &crc), -EBADF);
}

int main(void)
{
	struct CMUnitTest tests[sizeof(cases) / sizeof(cases[0]) + 2];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		tests[i] =
			(struct CMUnitTest){cases[i].name, crc_case, NULL, NULL, (void *)&cases[i]};
	tests[i++] = (struct CMUnitTest)cmocka_unit_test(test_short_file);
	tests[i++] = (struct CMUnitTest)cmocka_unit_test(test_bad_fd);
	return _cmocka_run_group_tests("filecrc", tests, i, NULL, NULL);
}
