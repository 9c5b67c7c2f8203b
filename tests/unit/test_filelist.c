// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The sender's walk of PATH arguments: names, order, what is skipped and
 * what is refused, checked on a tree built under a mkdtemp() root in /tmp.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <cmocka.h>

#include "filelist.h"
#include "wire.h"

static char root[] = "/tmp/p2pkp-test-filelist-XXXXXX";

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

static const char *at(const char *rel)
{
	static char buf[4][4096];
	static unsigned int i;

	i = (i + 1) % 4;
	snprintf(buf[i], sizeof(buf[i]), "%s/%s", root, rel);
	return buf[i];
}

static void mk_dir(const char *rel, mode_t mode, __s64 mtime)
{
	struct timespec ts[2] = {{0, UTIME_OMIT}, {mtime / 1000000000LL, mtime % 1000000000LL}};

	assert_int_equal(mkdir(at(rel), 0700), 0);
	assert_int_equal(chmod(at(rel), mode), 0);
	if (mtime)
		assert_int_equal(utimensat(AT_FDCWD, at(rel), ts, 0), 0);
}

static void mk_file(const char *rel, size_t size, mode_t mode, __s64 mtime)
{
	struct timespec ts[2] = {{0, UTIME_OMIT}, {mtime / 1000000000LL, mtime % 1000000000LL}};
	char buf[256];
	int fd;

	memset(buf, 'x', sizeof(buf));
	fd = open(at(rel), O_CREAT | O_WRONLY | O_TRUNC, mode);
	assert_true(fd >= 0);
	while (size) {
		size_t n = size < sizeof(buf) ? size : sizeof(buf);

		assert_int_equal(write(fd, buf, n), (ssize_t)n);
		size -= n;
	}
	assert_int_equal(fchmod(fd, mode), 0);
	assert_int_equal(futimens(fd, ts), 0);
	close(fd);
}

/*
 * src/
 *   a.txt  empty/  fifo  link -> a.txt  nested/deep/x  "with space.bin"  "ünï ✓.txt"
 * other/a.txt, alink -> src/a.txt
 */
static int group_setup(void **state)
{
	if (!mkdtemp(root))
		return -1;
	mk_dir("src", 0750, 1600000000000000001LL);
	mk_file("src/a.txt", 10, 0644, 1500000000123456789LL);
	mk_dir("src/empty", 0700, 1400000000000000000LL);
	if (mkfifo(at("src/fifo"), 0644) || symlink("a.txt", at("src/link")))
		return -1;
	mk_dir("src/nested", 0755, 0);
	mk_dir("src/nested/deep", 0755, 0);
	mk_file("src/nested/deep/x", 3, 0600, 1000);
	mk_file("src/with space.bin", 1000, 0640, 2000);
	mk_file("src/ünï ✓.txt", 0, 0444, 3000);
	mk_dir("other", 0755, 0);
	mk_file("other/a.txt", 5, 0644, 4000);
	if (symlink("src/a.txt", at("alink")))
		return -1;
	/* Creating the entries changed src's mtime: set it last. */
	{
		struct timespec ts[2] = {{0, UTIME_OMIT}, {1600000000, 1}};

		return utimensat(AT_FDCWD, at("src"), ts, 0);
	}
}

static int group_teardown(void **state)
{
	nftw(root, rm_one, 32, FTW_DEPTH | FTW_PHYS);
	return 0;
}

struct want {
	const char *name;
	const char *path; /* relative to root */
	__u64 size;
	__u32 mode;
	__s64 mtime_ns; /* 0: not checked */
};

static void check_list(const char *const *args, size_t nargs, const struct want *w, size_t n,
		       __u64 total)
{
	const char *paths[4];
	struct p2pkp_filelist fl;
	size_t i;

	for (i = 0; i < nargs; i++)
		paths[i] = args[i][0] == '/' ? args[i] : strdup(at(args[i]));
	assert_int_equal(p2pkp_filelist_build(paths, nargs, &fl), 0);
	for (i = 0; i < fl.n && i < n; i++) {
		const struct p2pkp_sfile *e = &fl.v[i];

		if (strcmp(e->name, w[i].name))
			fail_msg("entry %zu: \"%s\", expected \"%s\"", i, e->name, w[i].name);
		assert_string_equal(e->path, at(w[i].path));
		assert_int_equal(e->size, w[i].size);
		assert_int_equal(e->mode, w[i].mode);
		if (w[i].mtime_ns)
			assert_int_equal(e->mtime_ns, w[i].mtime_ns);
		assert_true(!memcmp(e->digest, (__u8[P2PKP_DIGEST_LEN]){0}, P2PKP_DIGEST_LEN));
	}
	assert_int_equal(fl.n, n);
	assert_int_equal(fl.total_bytes, total);
	p2pkp_filelist_free(&fl);
	assert_null(fl.v);
	for (i = 0; i < nargs; i++)
		if (args[i][0] != '/')
			free((void *)paths[i]);
}

static const struct want src_tree[] = {
	{"src", "src", 0, S_IFDIR | 0750, 1600000000000000001LL},
	{"src/a.txt", "src/a.txt", 10, S_IFREG | 0644, 1500000000123456789LL},
	{"src/empty", "src/empty", 0, S_IFDIR | 0700, 1400000000000000000LL},
	{"src/nested", "src/nested", 0, S_IFDIR | 0755, 0},
	{"src/nested/deep", "src/nested/deep", 0, S_IFDIR | 0755, 0},
	{"src/nested/deep/x", "src/nested/deep/x", 3, S_IFREG | 0600, 1000},
	{"src/with space.bin", "src/with space.bin", 1000, S_IFREG | 0640, 2000},
	{"src/ünï ✓.txt", "src/ünï ✓.txt", 0, S_IFREG | 0444, 3000},
};

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* Directories first, bytewise order, symlink and FIFO skipped. */
static void test_tree(void **state)
{
	static const char *const args[] = {"src"};

	check_list(args, 1, src_tree, N(src_tree), 1013);
}

/* "src/" names like "src"; the local paths keep what was typed. */
static void test_trailing_slash(void **state)
{
	static const char *const args[] = {"src/"};
	struct want w[N(src_tree)];
	char paths[N(src_tree)][64];
	size_t i;

	w[0] = src_tree[0];
	w[0].path = "src/";
	for (i = 1; i < N(src_tree); i++) {
		w[i] = src_tree[i];
		snprintf(paths[i], sizeof(paths[i]), "src/%s", src_tree[i].path + 4);
		w[i].path = paths[i];
	}
	check_list(args, 1, w, N(w), 1013);
}

/* "src/." gives the contents only, without a "src" prefix. */
static void test_dot_gives_contents(void **state)
{
	static const char *const args[] = {"src/."};
	struct want w[N(src_tree) - 1];
	char paths[N(src_tree)][64];
	size_t i;

	for (i = 1; i < N(src_tree); i++) {
		w[i - 1] = src_tree[i];
		w[i - 1].name = src_tree[i].name + 4;
		snprintf(paths[i], sizeof(paths[i]), "src/./%s", src_tree[i].path + 4);
		w[i - 1].path = paths[i];
	}
	check_list(args, 1, w, N(w), 1013);
}

/* A file argument is one entry; a symlink argument is followed. */
static void test_file_args(void **state)
{
	static const char *const args[] = {"src/nested/deep/x", "alink", "other"};
	static const struct want w[] = {
		{"x", "src/nested/deep/x", 3, S_IFREG | 0600, 1000},
		{"alink", "alink", 10, S_IFREG | 0644, 1500000000123456789LL},
		{"other", "other", 0, S_IFDIR | 0755, 0},
		{"other/a.txt", "other/a.txt", 5, S_IFREG | 0644, 4000},
	};

	check_list(args, N(args), w, N(w), 18);
}

struct bad_case {
	const char *args[3];
	int err;
};

static void test_refused(void **state)
{
	static const struct bad_case cases[] = {
		{{"src/a.txt", "other/a.txt"}, -EEXIST}, /* both "a.txt" */
		{{"src", "src/"}, -EEXIST},
		{{"src/nested", "src/."}, -EEXIST}, /* "nested" from both */
		{{"missing"}, -ENOENT},
		{{"src", "missing"}, -ENOENT},
	};
	size_t i, j;

	for (i = 0; i < N(cases); i++) {
		const char *paths[3];
		struct p2pkp_filelist fl;
		size_t n = 0;

		for (j = 0; j < 3 && cases[i].args[j]; j++)
			paths[n++] = strdup(at(cases[i].args[j]));
		if (p2pkp_filelist_build(paths, n, &fl) != cases[i].err)
			fail_msg("case %zu: expected %d", i, cases[i].err);
		assert_int_equal(fl.n, 0);
		assert_null(fl.v);
		for (j = 0; j < n; j++)
			free((void *)paths[j]);
	}
}

/* Names longer than the protocol's 1024 bytes are refused, not truncated. */
static void test_name_too_long(void **state)
{
	char rel[2048] = "long", comp[201];
	struct p2pkp_filelist fl;
	const char *paths[1];
	int i;

	memset(comp, 'L', sizeof(comp) - 1);
	comp[sizeof(comp) - 1] = 0;
	mk_dir("long", 0755, 0);
	for (i = 0; i < 4; i++) { /* "long" + 4 * 201 = 808 bytes: fine */
		strcat(rel, "/");
		strcat(rel, comp);
		mk_dir(rel, 0755, 0);
	}
	paths[0] = strdup(at("long"));
	assert_int_equal(p2pkp_filelist_build(paths, 1, &fl), 0);
	assert_int_equal(fl.n, 5);
	assert_true(strlen(fl.v[4].name) <= P2PKP_MAX_NAME);
	p2pkp_filelist_free(&fl);
	strcat(rel, "/");
	strcat(rel, comp); /* 1009 */
	mk_dir(rel, 0755, 0);
	strcat(rel, "/f23456789012345678"); /* 1028 */
	mk_file(rel, 1, 0644, 0);
	assert_int_equal(p2pkp_filelist_build(paths, 1, &fl), -ENAMETOOLONG);
	assert_int_equal(fl.n, 0);
	free((void *)paths[0]);
}

/* The root of the file system and "." name their contents. */
static void test_cwd_dot(void **state)
{
	static const char *const args[] = {"."};
	char cwd[4096];
	struct p2pkp_filelist fl;
	size_t i;

	assert_non_null(getcwd(cwd, sizeof(cwd)));
	assert_int_equal(chdir(at("other")), 0);
	assert_int_equal(p2pkp_filelist_build(args, 1, &fl), 0);
	assert_int_equal(chdir(cwd), 0);
	assert_int_equal(fl.n, 1);
	assert_string_equal(fl.v[0].name, "a.txt");
	assert_string_equal(fl.v[0].path, "./a.txt");
	for (i = 0; i < fl.n; i++)
		assert_true(fl.v[i].name[0] != '/');
	p2pkp_filelist_free(&fl);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tree),
		cmocka_unit_test(test_trailing_slash),
		cmocka_unit_test(test_dot_gives_contents),
		cmocka_unit_test(test_file_args),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_name_too_long),
		cmocka_unit_test(test_cwd_dot),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
