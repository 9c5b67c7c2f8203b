// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The receiver's disk side: names and symlinks beneath the output directory,
 * batched and coalesced writes, DIGEST verification over the recorded block
 * sums, resume (which re-checks the disk), one owner per partial (LOCKED),
 * the partial directory's ownership and collection, publication policy
 * (OK / HAVE / EXISTS), attributes, and a full disk. Every test works in its
 * own directory under a mkdtemp() root in /tmp.
 */
#include <dirent.h>
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <cmocka.h>

#include "blocksum.h"
#include "filestore.h"
#include "log.h"
#include "wire.h"

#define BS	 1024
#define MTIME_NS 1700000000123456789LL

static char root[] = "/tmp/p2pkp-test-filestore-XXXXXX";
static mode_t umask_now;

/* Per test: DIR (the output directory) and OUTSIDE (must stay untouched). */
struct env {
	char dir[256];
	char outside[256];
	struct p2pkp_store *s;
};

/* --- helpers ---------------------------------------------------------------- */

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

static void rm_rf(const char *path)
{
	nftw(path, rm_one, 32, FTW_DEPTH | FTW_PHYS);
}

static int setup(void **state)
{
	static unsigned int seq;
	struct p2pkp_store_opts o = {0};
	struct env *e = calloc(1, sizeof(*e));

	assert_non_null(e);
	seq++;
	snprintf(e->dir, sizeof(e->dir), "%s/%u-dir", root, seq);
	snprintf(e->outside, sizeof(e->outside), "%s/%u-outside", root, seq);
	assert_int_equal(mkdir(e->dir, 0755), 0);
	assert_int_equal(mkdir(e->outside, 0755), 0);
	o.dir = e->dir;
	assert_int_equal(p2pkp_store_open(&o, &e->s), 0);
	*state = e;
	return 0;
}

static int teardown(void **state)
{
	struct env *e = *state;

	p2pkp_store_close(e->s);
	rm_rf(e->dir);
	rm_rf(e->outside);
	free(e);
	return 0;
}

static void reopen(struct env *e, bool overwrite, bool do_fsync)
{
	struct p2pkp_store_opts o = {.dir = e->dir, .overwrite = overwrite, .fsync = do_fsync};

	p2pkp_store_close(e->s);
	assert_int_equal(p2pkp_store_open(&o, &e->s), 0);
}

static __u8 *pattern(size_t len, unsigned int seed)
{
	__u8 *p = malloc(len ? len : 1);
	size_t i;

	assert_non_null(p);
	for (i = 0; i < len; i++) {
		seed = seed * 1103515245u + 12345u;
		p[i] = (__u8)(seed >> 16);
	}
	return p;
}

static __u64 nblocks(__u64 size)
{
	return p2pkp_blocks(size, BS);
}

static __u32 blen(__u64 size, __u64 b)
{
	return (__u32)(size - b * BS < BS ? size - b * BS : BS);
}

/* BLOCK_SUM of block b of data, as the engine checks it before the write. */
static __u64 bsum(const __u8 *data, __u64 size, __u64 b)
{
	return p2pkp_block_sum(b * BS, data + b * BS, blen(size, b));
}

/* The DIGEST a sender announces for data in BS blocks. */
static void digest_of_data(const __u8 *data, __u64 size, __u8 *out)
{
	__u64 b, n = nblocks(size);
	__be64 *sums = malloc((n ? n : 1) * sizeof(*sums));

	assert_non_null(sums);
	for (b = 0; b < n; b++)
		sums[b] = htobe64(bsum(data, size, b));
	p2pkp_digest_of(sums, n, out);
	free(sums);
}

static struct p2pkp_rfile_desc desc(const char *name, const __u8 *data, __u64 size)
{
	struct p2pkp_rfile_desc d = {
		.name = name,
		.size = size,
		.mode = S_IFREG | 0644,
		.mtime_ns = MTIME_NS,
		.block_size = BS,
	};

	digest_of_data(data, size, d.digest);
	return d;
}

/* Queue the blocks in order[] (flushing when full), then flush. */
static int send_blocks(struct p2pkp_wbatch *wb, struct p2pkp_rfile *f, const __u8 *data, __u64 size,
		       const __u64 *order, size_t n)
{
	int rc, err = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		__u64 b = order[i];

		rc = p2pkp_wbatch_add(wb, f, b * BS, data + b * BS, blen(size, b),
				      bsum(data, size, b));
		assert_true(rc == 0 || rc == 1);
		if (rc == 1 && (rc = p2pkp_wbatch_flush(wb)) && !err)
			err = rc;
	}
	rc = p2pkp_wbatch_flush(wb);
	return err ?: rc;
}

static int send_range(struct p2pkp_wbatch *wb, struct p2pkp_rfile *f, const __u8 *data, __u64 size,
		      __u64 from, __u64 to)
{
	__u64 *order = malloc((to - from + 1) * sizeof(*order));
	__u64 b;
	int err;

	assert_non_null(order);
	for (b = from; b < to; b++)
		order[b - from] = b;
	err = send_blocks(wb, f, data, size, order, to - from);
	free(order);
	return err;
}

static void assert_file_is(const char *dir, const char *name, const __u8 *data, __u64 size)
{
	char path[1600];
	struct stat st;
	__u8 *got;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_RDONLY | O_NOFOLLOW);
	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_size, size);
	got = malloc(size + 1);
	assert_non_null(got);
	assert_int_equal(pread(fd, got, size, 0), size);
	assert_memory_equal(got, data, size);
	free(got);
	close(fd);
}

static bool exists_at(const char *dir, const char *name)
{
	char path[1600];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return !lstat(path, &st);
}

/* Entries in a directory, "." and ".." aside. */
static int count_entries(const char *dir)
{
	struct dirent *de;
	int n = 0;
	DIR *d = opendir(dir);

	if (!d)
		return -1;
	while ((de = readdir(d)))
		n += strcmp(de->d_name, ".") && strcmp(de->d_name, "..");
	closedir(d);
	return n;
}

/* Path of the one file ending in ext in DIR/.p2pkp-partial, into out. */
static bool partial_file(const struct env *e, const char *ext, char *out, size_t cap)
{
	char pdir[300];
	struct dirent *de;
	bool found = false;
	DIR *d;

	snprintf(pdir, sizeof(pdir), "%s/%s", e->dir, P2PKP_PARTIAL_DIR);
	d = opendir(pdir);
	if (!d)
		return false;
	while ((de = readdir(d))) {
		size_t n = strlen(de->d_name);

		if (n > strlen(ext) && !strcmp(de->d_name + n - strlen(ext), ext)) {
			snprintf(out, cap, "%s/%s", pdir, de->d_name);
			found = true;
		}
	}
	closedir(d);
	return found;
}

/* Receive a whole file in order and publish it; returns the finish result. */
static __u16 receive(struct env *e, const struct p2pkp_rfile_desc *d, const __u8 *data)
{
	struct p2pkp_wbatch *wb = p2pkp_wbatch_new();
	struct p2pkp_rfile *f;
	__u16 r = 0xffff;

	assert_non_null(wb);
	assert_int_equal(p2pkp_store_begin(e->s, d, &f, &r), 0);
	assert_int_equal(r, P2PKP_R_OK);
	assert_int_equal(send_range(wb, f, data, d->size, 0, nblocks(d->size)), 0);
	assert_int_equal(p2pkp_rfile_finish(f, &r), 0);
	p2pkp_rfile_close(f);
	p2pkp_wbatch_free(wb);
	return r;
}

/* --- names ------------------------------------------------------------------ */

struct name_case {
	const char *name;
	__u16 result;
};

static char long_name[P2PKP_MAX_NAME + 2];
static char long_component[300];

static const struct name_case name_cases[] = {
	{"plain", P2PKP_R_OK},
	{"dir/sub/file", P2PKP_R_OK},
	{"with space and ünïcödé ✓", P2PKP_R_OK},
	{".hidden", P2PKP_R_OK},
	{"..dots", P2PKP_R_OK},
	{".p2pkp-partialx", P2PKP_R_OK},
	{"/etc/passwd", P2PKP_R_BAD_NAME},
	{"../x", P2PKP_R_BAD_NAME},
	{"a/../../x", P2PKP_R_BAD_NAME},
	{"a/..", P2PKP_R_BAD_NAME},
	{"..", P2PKP_R_BAD_NAME},
	{".", P2PKP_R_BAD_NAME},
	{"a//b", P2PKP_R_BAD_NAME},
	{"a/./b", P2PKP_R_BAD_NAME},
	{"a/", P2PKP_R_BAD_NAME},
	{"", P2PKP_R_BAD_NAME},
	{P2PKP_PARTIAL_DIR, P2PKP_R_BAD_NAME},
	{P2PKP_PARTIAL_DIR "/x.part", P2PKP_R_BAD_NAME},
	{long_name, P2PKP_R_BAD_NAME},
	{long_component, P2PKP_R_BAD_NAME},
};

static void check_names(struct env *e, const struct name_case *cases, size_t n)
{
	const __u8 data[] = "hello";
	size_t i;

	for (i = 0; i < n; i++) {
		struct p2pkp_rfile_desc d = desc(cases[i].name, data, sizeof(data));
		struct p2pkp_rfile *f = (void *)1;
		__u16 r = 0xffff;

		assert_int_equal(p2pkp_store_begin(e->s, &d, &f, &r), 0);
		if (r != cases[i].result)
			fail_msg("name \"%.60s\": result %u, expected %u", cases[i].name, r,
				 cases[i].result);
		if (r != P2PKP_R_OK) {
			assert_null(f);
			continue;
		}
		p2pkp_rfile_close(f);
		assert_int_equal(receive(e, &d, data), P2PKP_R_OK);
		assert_file_is(e->dir, cases[i].name, data, sizeof(data));
	}
	assert_int_equal(count_entries(e->outside), 0);
}

static void test_names(void **state)
{
	check_names(*state, name_cases, sizeof(name_cases) / sizeof(name_cases[0]));
}

/* DIR/link -> OUTSIDE: nothing may go through it, nor through a link inside DIR. */
static void check_symlink_escape(struct env *e)
{
	static const char *const refused[] = {"link/file", "link/sub/file", "inlink/file"};
	const __u8 data[] = "payload";
	char path[600], real[600];
	size_t i;

	snprintf(path, sizeof(path), "%s/link", e->dir);
	assert_int_equal(symlink(e->outside, path), 0);
	snprintf(real, sizeof(real), "%s/real", e->dir);
	assert_int_equal(mkdir(real, 0755), 0);
	snprintf(path, sizeof(path), "%s/inlink", e->dir);
	assert_int_equal(symlink("real", path), 0);

	for (i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		struct p2pkp_rfile_desc d = desc(refused[i], data, sizeof(data));
		struct p2pkp_rfile *f;
		__u16 r = 0xffff;

		assert_int_equal(p2pkp_store_begin(e->s, &d, &f, &r), 0);
		if (r != P2PKP_R_BAD_NAME)
			fail_msg("%s: result %u, expected BAD_NAME", refused[i], r);
		assert_null(f);
		/* As a directory entry too. */
		d.mode = S_IFDIR | 0755;
		d.size = 0;
		assert_int_equal(p2pkp_store_begin(e->s, &d, &f, &r), 0);
		assert_int_equal(r, P2PKP_R_BAD_NAME);
	}
	assert_int_equal(count_entries(e->outside), 0);
	assert_int_equal(count_entries(real), 0);
}

static void test_symlink_escape(void **state)
{
	check_symlink_escape(*state);
}

/* A symlink at the final name is never followed: EXISTS, or replaced itself. */
static void test_symlink_final_name(void **state)
{
	struct env *e = *state;
	const __u8 data[] = "new content", old[] = "victim";
	struct p2pkp_rfile_desc d = desc("target", data, sizeof(data));
	char victim[600], link[600];
	struct p2pkp_rfile *f;
	struct stat st;
	__u16 r;
	int fd;

	snprintf(victim, sizeof(victim), "%s/victim", e->outside);
	fd = open(victim, O_CREAT | O_WRONLY, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, old, sizeof(old)), sizeof(old));
	close(fd);
	snprintf(link, sizeof(link), "%s/target", e->dir);
	assert_int_equal(symlink(victim, link), 0);

	assert_int_equal(p2pkp_store_begin(e->s, &d, &f, &r), 0);
	assert_int_equal(r, P2PKP_R_EXISTS);
	assert_null(f);

	reopen(e, true, false);
	assert_int_equal(receive(e, &d, data), P2PKP_R_OK);
	assert_int_equal(lstat(link, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_file_is(e->dir, "target", data, sizeof(data));
	assert_file_is(e->outside, "victim", old, sizeof(old));
}

/* --- writes ------------------------------------------------------------------- */

static void test_coalesce_out_of_order(void **state)
{
	struct env *e = *state;
	const __u64 size = 64 * BS + 100, n = nblocks(size); /* short last block */
	__u8 *data = pattern(size, 1);
	struct p2pkp_rfile_desc d = desc("ooo.bin", data, size);
	struct p2pkp_wbatch *wb = p2pkp_wbatch_new();
	struct p2pkp_wbatch_stats st;
	struct p2pkp_rfile *f;
	__u64 order[200], b;
	size_t cnt = 0;
	__u16 r;

	/* Odd blocks descending, then even ascending, then a third of them again. */
	for (b = n; b-- > 0;)
		if (b & 1)
			order[cnt++] = b;
	for (b = 0; b < n; b++)
		if (!(b & 1))
			order[cnt++] = b;
	for (b = 0; b < n; b += 3)
		order[cnt++] = b;

	assert_int_equal(p2pkp_store_begin(e->s, &d, &f, &r), 0);
	assert_int_equal(r, P2PKP_R_OK);
	assert_int_equal(p2pkp_bitmap_complete(p2pkp_rfile_held(f)), false);
	assert_int_equal(send_blocks(wb, f, data, size, order, cnt), 0);
	p2pkp_wbatch_stats(wb, &st);
	assert_int_equal(st.payloads, n);
	assert_int_equal(st.duplicates, cnt - n);
	assert_int_equal(st.bytes, size);
	assert_true(st.writes < st.payloads);
	print_message("# out of order: %llu payloads in %llu pwritev (%.1f per call)\n",
		      (unsigned long long)st.payloads, (unsigned long long)st.writes,
		      (double)st.payloads / (double)st.writes);
	assert_true(p2pkp_bitmap_complete(p2pkp_rfile_held(f)));
	/* Everything again: all duplicates, nothing written. */
	assert_int_equal(send_range(wb, f, data, size, 0, n), 0);
	p2pkp_wbatch_stats(wb, &st);
	assert_int_equal(st.payloads, n);
	assert_int_equal(st.duplicates, cnt - n + n);

	assert_int_equal(p2pkp_rfile_finish(f, &r), 0);
	assert_int_equal(r, P2PKP_R_OK);
	p2pkp_rfile_close(f);
	assert_file_is(e->dir, "ooo.bin", data, size);
	assert_int_equal(count_entries(e->dir), 1); /* the file: .p2pkp-partial went empty */
	p2pkp_wbatch_free(wb);
	free(data);
}

static double per_write(const struct p2pkp_wbatch_stats *a, const struct p2pkp_wbatch_stats *b)
{
	return (double)(b->payloads - a->payloads) / (double)(b->writes - a->writes);
}

/*
 * Streams: in order, then with one block in 100 lost and resent after the
 * rest. Runs are cut by the losses and by batch boundaries only.
 */
static void test_coalesce_stream(void **state)
{
	struct env *e = *state;
	const __u64 n = 4000, size = n * BS;
	__u8 *data = pattern(size, 2);
	struct p2pkp_rfile_desc d = desc("inorder.bin", data, size);
	struct p2pkp_wbatch *wb = p2pkp_wbatch_new();
	__u64 *order = malloc(n * sizeof(*order)), b;
	struct p2pkp_wbatch_stats st0, st1, st2;
	struct p2pkp_rfile *f;
	size_t cnt = 0;
	__u16 r;

	assert_non_null(order);
	p2pkp_wbatch_stats(wb, &st0);
	for (b = 0; b < n; b++)
		if (b % 100 != 37)
			order[cnt++] = b;
	for (b = 37; b < n; b += 100)
		order[cnt++] = b;
	assert_int_equal(p2pkp_store_begin(e->s, &d, &f, &r), 0);
	assert_int_equal(send_range(wb, f, data, size, 0, n), 0);
	p2pkp_wbatch_stats(wb, &st1);
	print_message("# in order: %llu payloads in %llu pwritev (%.1f per call)\n",
		      (unsigned long long)st1.payloads, (unsigned long long)st1.writes,
		      per_write(&st0, &st1));
	assert_true(per_write(&st0, &st1) >= 200);
	p2pkp_rfile_close(f);

	d.name = "lossy.bin";
	assert_int_equal(p2pkp_store_begin(e->s, &d, &f, &r), 0);
	assert_int_equal(send_blocks(wb, f, data, size, order, cnt), 0);
	p2pkp_wbatch_stats(wb, &st2);
	print_message("# 1%% lost and resent: %llu payloads in %llu pwritev (%.1f per call)\n",
		      (unsigned long long)(st2.payloads - st1.payloads),
		      (unsigned long long)(st2.writes - st1.writes), per_write(&st1, &st2));
	assert_int_equal(st2.payloads - st1.payloads, n);
	assert_true(per_write(&st1, &st2) >= 30);
	assert_int_equal(p2pkp_rfile_finish(f, &r), 0);
	assert_int_equal(r, P2PKP_R_OK);
	p2pkp_rfile_close(f);
	assert_file_is(e->dir, "lossy.bin", data, size);
	free(order);
	p2pkp_wbatch_free(wb);
	free(data);
}

static void test_wbatch_rejects(void **state)
{
	struct env *e = *state;
	const __u64 size = 3 * BS + 10;
	__u8 *data = pattern(size, 3);
	struct p2pkp_rfile_desc d = desc("r.bin", data, size);
	struct p2pkp_wbatch *wb = p2pkp_wbatch_new();
	struct p2pkp_rfile *f;
	int i, rc = 0;
	__u16 r;

	assert_int_equal(p2pkp_store_begin(e->s, &d, &f, &r), 0);
	assert_int_equal(p2pkp_wbatch_add(wb, f, 1, data, BS, 0), -EINVAL);	 /* unaligned */
	assert_int_equal(p2pkp_wbatch_add(wb, f, 0, data, BS - 1, 0), -EINVAL);	 /* short */
	assert_int_equal(p2pkp_wbatch_add(wb, f, 3 * BS, data, BS, 0), -EINVAL); /* last is 10 */
	assert_int_equal(p2pkp_wbatch_add(wb, f, 4 * BS, data, 10, 0), -EINVAL); /* past end */
	assert_int_equal(p2pkp_wbatch_add(wb, NULL, 0, data, BS, 0), -EINVAL);
	for (i = 0; i < P2PKP_WBATCH_MAX; i++) {
		rc = p2pkp_wbatch_add(wb, f, 0, data, BS, bsum(data, size, 0));
		if (rc)
			break;
	}
	assert_int_equal(rc, 1);
	assert_int_equal(i, P2PKP_WBATCH_MAX - 1);
	assert_int_equal(p2pkp_wbatch_flush(wb), 0);
	assert_int_equal(p2pkp_rfile_held(f)->count, 1);
	p2pkp_rfile_close(f);
	p2pkp_wbatch_free(wb);
	free(data);
}

/* --- verification and resume ----------------------------------------------------- */

static void test_digest_mismatch(void **state)
{
	struct env *e = *state;
	const __u64 size = 10 * BS;
	__u8 *data = pattern(size, 4);
	struct p2pkp_rfile_desc d = desc("bad.bin", data, size);
	struct p2pkp_wbatch *wb = p2pkp_wbatch_new();
	struct p2pkp_rfile *f;
	char path[600];
	__u16 r;

	d.digest[0] ^= 1;
	assert_int_equal(p2pkp_store_begin(e->s, &d, &f, &r), 0);
	assert_int_equal(p2pkp_rfile_finish(f, &r), 0);
	assert_int_equal(r, P2PKP_R_INCOMPLETE);
	assert_int_equal(send_range(wb, f, data, size, 0, 10), 0);
	assert_int_equal(p2pkp_rfile_save_state(f), 0);
	assert_true(partial_file(e, ".state", path, sizeof(path)));
	assert_int_equal(p2pkp_rfile_finish(f, &r), 0);
	assert_int_equal(r, P2PKP_R_MISMATCH);
	assert_int_equal(p2pkp_rfile_held(f)->count, 0);
	assert_false(exists_at(e->dir, "bad.bin"));
	/* Fetched again, still wrong: same answer, never published. */
	assert_int_equal(send_range(wb, f, data, size, 0, 10), 0);
	assert_int_equal(p2pkp_rfile_finish(f, &r), 0);
	assert_int_equal(r, P2PKP_R_MISMATCH);
	p2pkp_rfile_close(f);
	assert_false(exists_at(e->dir, "bad.bin"));
	/* A new session must not trust the blocks either. */
	assert_int_equal(p2pkp_store_begin(e->s, &d, &f, &r), 0);
	assert_int_equal(r, P2PKP_R_OK);
	assert_int_equal(p2pkp_rfile_held(f)->count, 0);
	p2pkp_rfile_close(f);
	p2pkp_wbatch_free(wb);
	free(data);
}

/* Receive the first half of d, then close: the partial stays. */
static void receive_half(struct env *e, const struct p2pkp_rfile_desc *d, const __u8 *data)
{
	struct p2pkp_wbatch *wb = p2pkp_wbatch_new();
	struct p2pkp_rfile *f;
	__u64 order[64], b, n = nblocks(d->size);
	size_t cnt = 0;
	__u16 r;

	for (b = 0; b < n; b += 2) /* every other block: the bitmap has holes */
		order[cnt++] = b;
	assert_int_equal(p2pkp_store_begin(e->s, d, &f, &r), 0);
	assert_int_equal(r, P2PKP_R_OK);
	assert_int_equal(send_blocks(wb, f, data, d->size, order, cnt), 0);
	p2pkp_rfile_close(f);
	p2pkp_wbatch_free(wb);
}

static void test_resume(void **state)
{
	struct env *e = *state;
	const __u64 size = 20 * BS + 1, n = nblocks(size);
	__u8 *data = pattern(size, 5);
	struct p2pkp_rfile_desc d = desc("sub/resume.bin", data, size);
	struct p2pkp_wbatch *wb = p2pkp_wbatch_new();
	const struct p2pkp_bitmap *held;
	struct p2pkp_wbatch_stats st;
	struct p2pkp_rfile *f;
	char path[600];
	__u64 b;
	__u16 r;

	receive_half(e, &d, data);
	assert_true(partial_file(e, ".part", path, sizeof(path)));
	assert_true(partial_file(e, ".state", path, sizeof(path)));
	assert_false(exists_at(e->dir, "sub/resume.bin"));

	/* A new store, as a new session would have. */
	reopen(e, false, false);
	assert_int_equal(p2pkp_store_begin(e->s, &d, &f, &r), 0);
	assert_int_equal(r, P2PKP_R_OK);
	held = p2pkp_rfile_held(f);
	assert_int_equal(held->count, (n + 1) / 2);
	for (b = 0; b < n; b++)
		assert_int_equal(p2pkp_bitmap_test(held, b), !(b & 1));
	assert_int_equal(send_range(wb, f, data, size, 0, n), 0);
	p2pkp_wbatch_stats(wb, &st);
	assert_int_equal(st.payloads, n / 2);
	assert_int_equal(st.duplicates, (n + 1) / 2);
	assert_int_equal(p2pkp_rfile_finish(f, &r), 0);
	assert_int_equal(r, P2PKP_R_OK);
	p2pkp_rfile_close(f);
	assert_file_is(e->dir, "sub/resume.bin", data, size);
	/* Published: nothing left, not even the partial directory. */
	assert_false(exists_at(e->dir, P2PKP_PARTIAL_DIR));
	p2pkp_wbatch_free(wb);
	free(data);
}

static void corrupt_state(struct env *e)
{
	char path[600];
	__u8 c;
	int fd;

	assert_true(partial_file(e, ".state", path, sizeof(path)));
	fd = open(path, O_RDWR);
	assert_true(fd >= 0);
	assert_int_equal(pread(fd, &c, 1, 60), 1);
	c ^= 0x40;
	assert_int_equal(pwrite(fd, &c, 1, 60), 1);
	close(fd);
}

static void truncate_state(struct env *e)
{
	char path[600];

	assert_true(partial_file(e, ".state", path, sizeof(path)));
	assert_int_equal(truncate(path, 20), 0);
}

static void test_resume_refused(void **state)
{
	struct env *e = *state;
	const __u64 size = 16 * BS;
	__u8 *data = pattern(size, 6);
	struct p2pkp_rfile_desc d = desc("r.bin", data, size);
	struct p2pkp_rfile_desc changed;
	struct p2pkp_rfile *f;
	__u16 r;
	int i;

	for (i = 0; i < 4; i++) {
		receive_half(e, &d, data);
		changed = d;
		switch (i) {
		case 0:
			changed.mtime_ns++; /* the file changed: a new partial */
			break;
		case 1:
			changed.block_size = 2 * BS; /* blocks cut elsewhere: a new partial */
			break;
		case 2:
			corrupt_state(e);
			break;
		case 3:
			truncate_state(e);
			break;
		}
		assert_int_equal(p2pkp_store_begin(e->s, &changed, &f, &r), 0);
		assert_int_equal(r, P2PKP_R_OK);
		if (p2pkp_rfile_held(f)->count != 0)
			fail_msg("case %d: %llu blocks held, expected a fresh start", i,
				 (unsigned long long)p2pkp_rfile_held(f)->count);
		p2pkp_rfile_close(f);
		/* State corrupt: the old partial was reset too; a new identity left it alone. */
		assert_int_equal(p2pkp_store_begin(e->s, &d, &f, &r), 0);
		assert_int_equal(p2pkp_rfile_held(f)->count, i <= 1 ? 8 : 0);
		p2pkp_rfile_close(f);
	}
	assert_int_equal(receive(e, &d, data), P2PKP_R_OK);
	assert_file_is(e->dir, "r.bin", data, size);
	free(data);
}

/* --- publication policy and attributes -------------------------------------------- */

static void write_file(const char *dir, const char *name, const __u8 *data, size_t len, __s64 mtime)
{
	struct timespec ts[2] = {{0, UTIME_OMIT}, {mtime / 1000000000LL, mtime % 1000000000LL}};
	char path[600];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_CREAT | O_TRUNC | O_WRONLY, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	assert_int_equal(futimens(fd, ts), 0);
	close(fd);
}

static void test_exists_have_overwrite(void **state)
{
	struct env *e = *state;
	const __u64 size = 5 * BS;
	__u8 *data = pattern(size, 7), *other = pattern(size, 8);
	struct p2pkp_rfile_desc d = desc("f.bin", data, size);
	struct p2pkp_rfile *f;
	char path[600];
	__u16 r;

	/* Identical: HAVE. */
	write_file(e->dir, "f.bin", data, size, MTIME_NS);
	assert_int_equal(p2pkp_store_begin(e->s, &d, &f, &r), 0);
	assert_int_equal(r, P2PKP_R_HAVE);
	assert_null(f);
	/* Same size and mtime, different bytes: EXISTS. */
	write_file(e->dir, "f.bin", other, size, MTIME_NS);
	assert_int_equal(p2pkp_store_begin(e->s, &d, &f, &r), 0);
	assert_int_equal(r, P2PKP_R_EXISTS);
	/* Same bytes, other mtime: EXISTS. */
	write_file(e->dir, "f.bin", data, size, MTIME_NS + 1);
	assert_int_equal(p2pkp_store_begin(e->s, &d, &f, &r), 0);
	assert_int_equal(r, P2PKP_R_EXISTS);
	/* Overwrite: replaced. */
	reopen(e, true, false);
	write_file(e->dir, "f.bin", other, size, MTIME_NS);
	assert_int_equal(receive(e, &d, data), P2PKP_R_OK);
	assert_file_is(e->dir, "f.bin", data, size);
	/* ...and now it is there: HAVE even with overwrite. */
	assert_int_equal(p2pkp_store_begin(e->s, &d, &f, &r), 0);
	assert_int_equal(r, P2PKP_R_HAVE);
	/* A directory in the way: EXISTS even with overwrite. */
	snprintf(path, sizeof(path), "%s/adir", e->dir);
	assert_int_equal(mkdir(path, 0755), 0);
	d.name = "adir";
	assert_int_equal(p2pkp_store_begin(e->s, &d, &f, &r), 0);
	assert_int_equal(r, P2PKP_R_EXISTS);
	/* A file where a directory is needed, for a file and for a directory. */
	d.name = "f.bin/below";
	assert_int_equal(p2pkp_store_begin(e->s, &d, &f, &r), 0);
	assert_int_equal(r, P2PKP_R_EXISTS);
	d.mode = S_IFDIR | 0755;
	assert_int_equal(p2pkp_store_begin(e->s, &d, &f, &r), 0);
	assert_int_equal(r, P2PKP_R_EXISTS);
	d.name = "f.bin";
	assert_int_equal(p2pkp_store_begin(e->s, &d, &f, &r), 0);
	assert_int_equal(r, P2PKP_R_EXISTS);
	free(other);
	free(data);
}

/* The name is taken while the file was being received: EXISTS, partial kept. */
static void test_exists_at_publish(void **state)
{
	struct env *e = *state;
	const __u64 size = 2 * BS;
	__u8 *data = pattern(size, 9);
	struct p2pkp_rfile_desc d = desc("late.bin", data, size);
	struct p2pkp_wbatch *wb = p2pkp_wbatch_new();
	struct p2pkp_rfile *f;
	__u16 r;

	assert_int_equal(p2pkp_store_begin(e->s, &d, &f, &r), 0);
	assert_int_equal(send_range(wb, f, data, size, 0, 2), 0);
	write_file(e->dir, "late.bin", (const __u8 *)"x", 1, 0);
	assert_int_equal(p2pkp_rfile_finish(f, &r), 0);
	assert_int_equal(r, P2PKP_R_EXISTS);
	p2pkp_rfile_close(f);
	assert_file_is(e->dir, "late.bin", (const __u8 *)"x", 1);
	p2pkp_wbatch_free(wb);
	free(data);
}

static void assert_attrs(const char *dir, const char *name, mode_t mode, __s64 mtime)
{
	char path[600];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	assert_int_equal(lstat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, mode);
	assert_int_equal((__s64)st.st_mtim.tv_sec * 1000000000LL + st.st_mtim.tv_nsec, mtime);
}

static void test_dirs_empty_and_attrs(void **state)
{
	struct env *e = *state;
	const __u64 size = 3 * BS + 7;
	__u8 *data = pattern(size, 10);
	struct p2pkp_rfile_desc top = {.name = "top", .mode = S_IFDIR | 0750, .mtime_ns = 1000};
	struct p2pkp_rfile_desc sub = {.name = "top/ro", .mode = S_IFDIR | 0555, .mtime_ns = 2000};
	struct p2pkp_rfile_desc empty = desc("top/ro/empty", data, 0);
	struct p2pkp_rfile_desc file = desc("top/ro/file", data, size);
	struct p2pkp_rfile_desc deep = {.name = "a/b/c", .mode = S_IFDIR | 0700, .mtime_ns = -5};
	struct p2pkp_rfile *ft, *fs, *fe, *fd;
	__u16 r;

	reopen(e, false, true); /* with fsync: same results */
	empty.mode = S_IFREG | 0600;
	file.mode = S_IFREG | 0640;
	file.mtime_ns = 1234567890123456789LL;
	assert_int_equal(p2pkp_store_begin(e->s, &top, &ft, &r), 0);
	assert_int_equal(r, P2PKP_R_OK);
	assert_true(p2pkp_bitmap_complete(p2pkp_rfile_held(ft)));
	assert_int_equal(p2pkp_store_begin(e->s, &sub, &fs, &r), 0);
	assert_int_equal(r, P2PKP_R_OK);
	assert_int_equal(p2pkp_store_begin(e->s, &empty, &fe, &r), 0);
	assert_int_equal(r, P2PKP_R_OK);
	assert_true(p2pkp_bitmap_complete(p2pkp_rfile_held(fe)));
	assert_int_equal(p2pkp_rfile_finish(fe, &r), 0);
	assert_int_equal(r, P2PKP_R_OK);
	p2pkp_rfile_close(fe);
	assert_int_equal(receive(e, &file, data), P2PKP_R_OK);
	/* Directories last, deepest first. */
	assert_int_equal(p2pkp_rfile_finish(fs, &r), 0);
	assert_int_equal(r, P2PKP_R_OK);
	assert_int_equal(p2pkp_rfile_finish(ft, &r), 0);
	assert_int_equal(r, P2PKP_R_OK);
	p2pkp_rfile_close(fs);
	p2pkp_rfile_close(ft);
	/* Parents created on the way, mode and mtime only for the announced one. */
	assert_int_equal(p2pkp_store_begin(e->s, &deep, &fd, &r), 0);
	assert_int_equal(r, P2PKP_R_OK);
	assert_int_equal(p2pkp_rfile_finish(fd, &r), 0);
	p2pkp_rfile_close(fd);

	assert_file_is(e->dir, "top/ro/empty", data, 0);
	assert_file_is(e->dir, "top/ro/file", data, size);
	assert_attrs(e->dir, "top/ro/empty", 0600, MTIME_NS);
	assert_attrs(e->dir, "top/ro/file", 0640, 1234567890123456789LL);
	assert_attrs(e->dir, "top/ro", 0555, 2000);
	assert_attrs(e->dir, "top", 0750, 1000);
	assert_attrs(e->dir, "a/b/c", 0700, -5);
	{
		char path[600];
		struct stat st;

		snprintf(path, sizeof(path), "%s/a/b", e->dir);
		assert_int_equal(lstat(path, &st), 0);
		assert_true(S_ISDIR(st.st_mode));
		assert_int_equal(st.st_mode & 07777, 0755 & ~(__u32)umask_now);
	}
	free(data);
}

/* --- one owner, resume re-check, sums, huge sizes --------------------------------- */

static __u8 *slurp(const char *path, size_t *len)
{
	struct stat st;
	__u8 *buf;
	int fd = open(path, O_RDONLY);

	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	buf = malloc((size_t)st.st_size + 1);
	assert_non_null(buf);
	assert_int_equal(pread(fd, buf, (size_t)st.st_size, 0), st.st_size);
	close(fd);
	*len = (size_t)st.st_size;
	return buf;
}

/* The .part, .state and .sums of the one partial, as bytes. */
struct partial_image {
	__u8 *b[3];
	size_t len[3];
};

static const char *const image_exts[] = {".part", ".state", ".sums"};

static void partial_snapshot(const struct env *e, struct partial_image *im)
{
	char path[600];
	int i;

	for (i = 0; i < 3; i++) {
		assert_true(partial_file(e, image_exts[i], path, sizeof(path)));
		im->b[i] = slurp(path, &im->len[i]);
	}
}

static void partial_image_free(struct partial_image *im)
{
	int i;

	for (i = 0; i < 3; i++)
		free(im->b[i]);
}

static void assert_partial_unchanged(const struct env *e, const struct partial_image *im)
{
	struct partial_image now;
	int i;

	partial_snapshot(e, &now);
	for (i = 0; i < 3; i++) {
		if (now.len[i] != im->len[i] || memcmp(now.b[i], im->b[i], im->len[i]))
			fail_msg("the %s file changed", image_exts[i]);
	}
	partial_image_free(&now);
}

static void assert_mode(const char *path, mode_t mode)
{
	struct stat st;

	assert_int_equal(lstat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, mode);
}

/*
 * Two sessions on one --out dir and one file: the second is LOCKED, whether
 * it is another store (another session), the same store, or another
 * process, and the owner's partial is untouched; once the owner closes, the
 * other resumes it.
 */
static void test_locked(void **state)
{
	struct env *e = *state;
	const __u64 size = 16 * BS;
	__u8 *data = pattern(size, 20);
	struct p2pkp_rfile_desc d = desc("locked.bin", data, size);
	struct p2pkp_store_opts o = {.dir = e->dir};
	struct p2pkp_wbatch *wb = p2pkp_wbatch_new();
	struct partial_image before;
	struct p2pkp_rfile *f, *g;
	struct p2pkp_store *s2;
	char path[600];
	int status;
	pid_t pid;
	__u16 r;

	assert_int_equal(p2pkp_store_begin(e->s, &d, &f, &r), 0);
	assert_int_equal(r, P2PKP_R_OK);
	assert_int_equal(send_range(wb, f, data, size, 0, 8), 0);
	assert_int_equal(p2pkp_rfile_save_state(f), 0);
	snprintf(path, sizeof(path), "%s/%s", e->dir, P2PKP_PARTIAL_DIR);
	assert_mode(path, 0700);
	assert_true(partial_file(e, ".part", path, sizeof(path)));
	assert_mode(path, 0600);
	partial_snapshot(e, &before);

	assert_int_equal(p2pkp_store_open(&o, &s2), 0);
	g = (void *)1;
	assert_int_equal(p2pkp_store_begin(s2, &d, &g, &r), 0);
	assert_int_equal(r, P2PKP_R_LOCKED);
	assert_null(g);
	assert_int_equal(p2pkp_store_begin(e->s, &d, &g, &r), 0);
	assert_int_equal(r, P2PKP_R_LOCKED);
	/* Another receiver process, as in the bug that truncated a live partial. */
	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (!pid) {
		struct p2pkp_store *s3;
		struct p2pkp_rfile *h;
		__u16 r3 = 0xffff;

		if (p2pkp_store_open(&o, &s3) || p2pkp_store_begin(s3, &d, &h, &r3))
			_exit(2);
		_exit(r3 == P2PKP_R_LOCKED ? 0 : 1);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	/* HAVE elsewhere must not remove it either: same identity, file in place. */
	assert_partial_unchanged(e, &before);
	partial_image_free(&before);

	p2pkp_rfile_close(f);
	assert_int_equal(p2pkp_store_begin(s2, &d, &g, &r), 0);
	assert_int_equal(r, P2PKP_R_OK);
	assert_int_equal(p2pkp_rfile_held(g)->count, 8);
	/* Now the first store is the one locked out. */
	assert_int_equal(p2pkp_store_begin(e->s, &d, &f, &r), 0);
	assert_int_equal(r, P2PKP_R_LOCKED);
	assert_int_equal(send_range(wb, g, data, size, 0, 16), 0);
	assert_int_equal(p2pkp_rfile_finish(g, &r), 0);
	assert_int_equal(r, P2PKP_R_OK);
	p2pkp_rfile_close(g);
	p2pkp_store_close(s2);
	assert_file_is(e->dir, "locked.bin", data, size);
	assert_false(exists_at(e->dir, P2PKP_PARTIAL_DIR));
	p2pkp_wbatch_free(wb);
	free(data);
}

enum partdir_kind { PD_SYMLINK, PD_FILE, PD_MODE, PD_OTHER_UID };

struct partdir_case {
	const char *what;
	enum partdir_kind kind;
	mode_t mode;
	int err;
};

static const struct partdir_case partdir_cases[] = {
	{"a symlink to a directory of ours", PD_SYMLINK, 0700, -EPERM},
	{"a regular file", PD_FILE, 0600, -EPERM},
	{"world-writable", PD_MODE, 0777, -EPERM},
	{"world-writable and sticky", PD_MODE, 01777, -EPERM},
	{"writable by others, not its group", PD_MODE, 0757, -EPERM},
	{"group-writable", PD_MODE, 0770, -EPERM},
	{"owned by uid 65534", PD_OTHER_UID, 0700, -EPERM},
	{"ours, 0700", PD_MODE, 0700, 0},
	{"ours, 0755: others may read, not write", PD_MODE, 0755, 0},
};

/* DIR/.p2pkp-partial made by someone else: store open and begin refuse it. */
static void test_partdir_refused(void **state)
{
	struct env *e = *state;
	const __u8 data[] = "payload";
	struct p2pkp_rfile_desc d = desc("x.bin", data, sizeof(data));
	struct p2pkp_store_opts o = {.dir = e->dir};
	char pdir[600], target[600];
	struct p2pkp_store *s2;
	struct p2pkp_rfile *f;
	size_t i;
	__u16 r;
	int fd;

	snprintf(pdir, sizeof(pdir), "%s/%s", e->dir, P2PKP_PARTIAL_DIR);
	snprintf(target, sizeof(target), "%s/target", e->outside);
	for (i = 0; i < sizeof(partdir_cases) / sizeof(partdir_cases[0]); i++) {
		const struct partdir_case *c = &partdir_cases[i];

		if (c->kind == PD_OTHER_UID && geteuid() != 0) {
			print_message("# %s: skipped, needs root for chown\n", c->what);
			continue;
		}
		rm_rf(pdir);
		switch (c->kind) {
		case PD_SYMLINK:
			assert_int_equal(mkdir(target, 0700), 0);
			assert_int_equal(symlink(target, pdir), 0);
			break;
		case PD_FILE:
			fd = open(pdir, O_CREAT | O_WRONLY, c->mode);
			assert_true(fd >= 0);
			close(fd);
			break;
		case PD_MODE:
		case PD_OTHER_UID:
			assert_int_equal(mkdir(pdir, 0700), 0);
			assert_int_equal(chmod(pdir, c->mode), 0);
			if (c->kind == PD_OTHER_UID)
				assert_int_equal(chown(pdir, 65534, 65534), 0);
			break;
		}
		s2 = NULL;
		if (p2pkp_store_open(&o, &s2) != c->err)
			fail_msg("%s: store open did not return %d", c->what, c->err);
		p2pkp_store_close(s2);
		/* A store opened before it appeared refuses it when a file needs it. */
		assert_int_equal(p2pkp_store_begin(e->s, &d, &f, &r), 0);
		if (r != (c->err ? P2PKP_R_IO : P2PKP_R_OK))
			fail_msg("%s: begin said %u", c->what, r);
		p2pkp_rfile_close(f);
		if (c->kind == PD_SYMLINK) {
			assert_int_equal(count_entries(target), 0);
			rm_rf(target);
		}
	}
	assert_int_equal(count_entries(e->outside), 0);
}

/*
 * Another session removes the partial directory (left empty) while this
 * store has it open: the next create fails with ENOENT, and the store makes
 * the directory again instead of refusing the file.
 */
static void test_partdir_recreated(void **state)
{
	struct env *e = *state;
	const __u64 size = 3 * BS;
	__u8 *data = pattern(size, 29);
	struct p2pkp_rfile_desc a = desc("a.bin", data, size), b = desc("b.bin", data, size);
	struct p2pkp_store_opts o = {.dir = e->dir};
	struct p2pkp_store *s2;
	struct p2pkp_rfile *f, *g;
	__u16 r;

	assert_int_equal(p2pkp_store_begin(e->s, &a, &f, &r), 0);
	assert_int_equal(r, P2PKP_R_OK);
	assert_int_equal(p2pkp_store_open(&o, &s2), 0); /* has the directory open now */
	p2pkp_rfile_close(f);				/* nothing held: partial and directory go */
	assert_false(exists_at(e->dir, P2PKP_PARTIAL_DIR));
	assert_int_equal(p2pkp_store_begin(s2, &b, &g, &r), 0);
	assert_int_equal(r, P2PKP_R_OK);
	assert_true(exists_at(e->dir, P2PKP_PARTIAL_DIR "/"));
	p2pkp_rfile_close(g);
	p2pkp_store_close(s2);
	assert_int_equal(receive(e, &b, data), P2PKP_R_OK);
	assert_file_is(e->dir, "b.bin", data, size);
	free(data);
}

/* Flip one byte of the .part at off, behind the store's back. */
static void poke_part(const struct env *e, __u64 off)
{
	char path[600];
	__u8 c;
	int fd;

	assert_true(partial_file(e, ".part", path, sizeof(path)));
	fd = open(path, O_RDWR);
	assert_true(fd >= 0);
	assert_int_equal(pread(fd, &c, 1, (off_t)off), 1);
	c ^= 0x5a;
	assert_int_equal(pwrite(fd, &c, 1, (off_t)off), 1);
	close(fd);
}

/*
 * Resume trusts nothing local: blocks changed on disk since they were
 * written, or without a recorded sum, are fetched again; a planted partial
 * whose data, sums and state agree but are not the announced file passes
 * that check, and the DIGEST at finish catches it.
 */
static void test_resume_rechecks(void **state)
{
	struct env *e = *state;
	const __u64 size = 20 * BS + 9, n = nblocks(size);
	__u8 *data = pattern(size, 21), *wrong = pattern(size, 22);
	struct p2pkp_rfile_desc d = desc("re.bin", data, size);
	struct p2pkp_wbatch *wb = p2pkp_wbatch_new();
	const struct p2pkp_bitmap *held;
	struct p2pkp_rfile *f;
	char path[600];
	__u64 b;
	__u16 r;

	/* Blocks 2 and 20 (the short last one) changed on disk. */
	receive_half(e, &d, data);
	poke_part(e, 2 * BS + 5);
	poke_part(e, 20 * BS + 8);
	reopen(e, false, false);
	assert_int_equal(p2pkp_store_begin(e->s, &d, &f, &r), 0);
	assert_int_equal(r, P2PKP_R_OK);
	held = p2pkp_rfile_held(f);
	assert_int_equal(held->count, (n + 1) / 2 - 2);
	for (b = 0; b < n; b++)
		if (p2pkp_bitmap_test(held, b) != (!(b & 1) && b != 2 && b != 20))
			fail_msg("block %llu: held %d", (unsigned long long)b,
				 p2pkp_bitmap_test(held, b));
	p2pkp_rfile_close(f);
	/* The state was saved without them. */
	assert_int_equal(p2pkp_store_begin(e->s, &d, &f, &r), 0);
	assert_int_equal(p2pkp_rfile_held(f)->count, (n + 1) / 2 - 2);
	p2pkp_rfile_close(f);
	/* Sums lost (never synced; a crash): nothing is trusted. */
	assert_true(partial_file(e, ".sums", path, sizeof(path)));
	assert_int_equal(unlink(path), 0);
	assert_int_equal(p2pkp_store_begin(e->s, &d, &f, &r), 0);
	assert_int_equal(p2pkp_rfile_held(f)->count, 0);
	p2pkp_rfile_close(f);

	/* Planted: data, sums and state agree with each other, not with d. */
	receive_half(e, &d, wrong);
	reopen(e, false, false);
	assert_int_equal(p2pkp_store_begin(e->s, &d, &f, &r), 0);
	assert_int_equal(p2pkp_rfile_held(f)->count, (n + 1) / 2);
	assert_int_equal(send_range(wb, f, data, size, 0, n), 0);
	assert_int_equal(p2pkp_rfile_finish(f, &r), 0);
	assert_int_equal(r, P2PKP_R_MISMATCH);
	assert_false(exists_at(e->dir, "re.bin"));
	assert_int_equal(p2pkp_rfile_held(f)->count, 0);
	/* Fetched again: right this time. */
	assert_int_equal(send_range(wb, f, data, size, 0, n), 0);
	assert_int_equal(p2pkp_rfile_finish(f, &r), 0);
	assert_int_equal(r, P2PKP_R_OK);
	p2pkp_rfile_close(f);
	assert_file_is(e->dir, "re.bin", data, size);
	p2pkp_wbatch_free(wb);
	free(wrong);
	free(data);
}

struct sums_case {
	const char *name;
	int bad_block; /* whose recorded sum is wrong; -1: none */
	__u16 result;
};

static const struct sums_case sums_cases[] = {
	{"sums.ok", -1, P2PKP_R_OK},
	{"sums.first", 0, P2PKP_R_MISMATCH},
	{"sums.middle", 3, P2PKP_R_MISMATCH},
	{"sums.last", 6, P2PKP_R_MISMATCH},
};

/* finish decides on the recorded sums: one wrong sum is a MISMATCH. */
static void test_sums_decide(void **state)
{
	struct env *e = *state;
	const __u64 size = 6 * BS + 1, n = nblocks(size);
	__u8 *data = pattern(size, 23);
	struct p2pkp_wbatch *wb = p2pkp_wbatch_new();
	struct p2pkp_rfile *f;
	size_t i;
	__u64 b;
	__u16 r;

	for (i = 0; i < sizeof(sums_cases) / sizeof(sums_cases[0]); i++) {
		const struct sums_case *c = &sums_cases[i];
		struct p2pkp_rfile_desc d = desc(c->name, data, size);

		assert_int_equal(p2pkp_store_begin(e->s, &d, &f, &r), 0);
		for (b = 0; b < n; b++) {
			__u64 sum = bsum(data, size, b) ^ ((int)b == c->bad_block);

			assert_int_equal(
				p2pkp_wbatch_add(wb, f, b * BS, data + b * BS, blen(size, b), sum),
				0);
		}
		assert_int_equal(p2pkp_wbatch_flush(wb), 0);
		assert_int_equal(p2pkp_rfile_finish(f, &r), 0);
		if (r != c->result)
			fail_msg("%s: finish said %u, expected %u", c->name, r, c->result);
		assert_int_equal(exists_at(e->dir, c->name), c->result == P2PKP_R_OK);
		p2pkp_rfile_close(f);
	}
	p2pkp_wbatch_free(wb);
	free(data);
}

#ifndef __SANITIZE_ADDRESS__
/* Run the huge begin in a child whose address space is limited. */
static int huge_child(const struct env *e, __u64 size, __u32 bs)
{
	struct p2pkp_rfile_desc d = {.name = "huge.bin", .size = size, .mode = S_IFREG | 0644};
	unsigned long pages = 0;
	struct rlimit rl;
	struct p2pkp_rfile *f;
	__u16 r = 0xffff;
	FILE *fp;

	d.block_size = bs;
	fp = fopen("/proc/self/statm", "r");
	if (!fp || fscanf(fp, "%lu", &pages) != 1)
		return 10;
	fclose(fp);
	rl.rlim_cur = rl.rlim_max = pages * (unsigned long)sysconf(_SC_PAGESIZE) + (64ul << 20);
	if (setrlimit(RLIMIT_AS, &rl))
		return 11;
	if (p2pkp_store_begin(e->s, &d, &f, &r))
		return 12;
	return r == P2PKP_R_NO_SPACE ? 0 : 13;
}
#endif

/*
 * A declared size that cannot be tracked is refused, never OK, and leaves
 * nothing on disk: larger than the file system, or (in a child with little
 * address space) too many blocks for memory.
 */
static void test_huge_size(void **state)
{
	struct env *e = *state;
	struct p2pkp_rfile_desc d = {
		.name = "huge.bin",
		.size = INT64_MAX,
		.mode = S_IFREG | 0644,
		.block_size = 256,
	};
	struct p2pkp_rfile *f = (void *)1;
	__u16 r = 0xffff;

	assert_int_equal(p2pkp_store_begin(e->s, &d, &f, &r), 0);
	if (r != P2PKP_R_NO_SPACE && r != P2PKP_R_IO)
		fail_msg("2^63-1 bytes: result %u", r);
	assert_null(f);
	assert_int_equal(count_entries(e->dir), 0);

#ifdef __SANITIZE_ADDRESS__
	print_message("# out of memory: skipped under ASan (it reserves the address space)\n");
#else
	{
		/* Half the file system in 16-byte blocks: sums need a quarter of it. */
		struct statvfs vfs;
		int status;
		pid_t pid;

		assert_int_equal(statvfs(e->dir, &vfs), 0);
		fflush(NULL);
		pid = fork();
		assert_true(pid >= 0);
		if (!pid)
			_exit(huge_child(e, (__u64)vfs.f_blocks * vfs.f_frsize / 2, 16));
		assert_int_equal(waitpid(pid, &status, 0), pid);
		assert_true(WIFEXITED(status));
		assert_int_equal(WEXITSTATUS(status), 0);
		assert_int_equal(count_entries(e->dir), 0);
	}
#endif
}

/* --- collection, late data, HAVE ------------------------------------------------------ */

/* Path of the .part of the given size, into out. */
static bool part_of_size(const struct env *e, __u64 size, char *out, size_t cap)
{
	char pdir[300];
	struct dirent *de;
	struct stat st;
	bool found = false;
	DIR *d;

	snprintf(pdir, sizeof(pdir), "%s/%s", e->dir, P2PKP_PARTIAL_DIR);
	d = opendir(pdir);
	if (!d)
		return false;
	while ((de = readdir(d)) && !found) {
		size_t n = strlen(de->d_name);

		if (n < 5 || strcmp(de->d_name + n - 5, ".part"))
			continue;
		snprintf(out, cap, "%s/%s", pdir, de->d_name);
		found = !stat(out, &st) && (__u64)st.st_size == size;
	}
	closedir(d);
	return found;
}

/* Set the mtime of every file of the partial whose .part is part to secs ago. */
static void age_partial(const char *part, time_t secs)
{
	const char *base = strrchr(part, '/') + 1;
	char pdir[600], path[900];
	struct timespec ts[2];
	struct dirent *de;
	int n = 0;
	DIR *d;

	snprintf(pdir, sizeof(pdir), "%.*s", (int)(base - part - 1), part);
	ts[0].tv_sec = ts[1].tv_sec = time(NULL) - secs;
	ts[0].tv_nsec = ts[1].tv_nsec = 0;
	d = opendir(pdir);
	assert_non_null(d);
	while ((de = readdir(d))) {
		if (strncmp(de->d_name, base, 16))
			continue;
		snprintf(path, sizeof(path), "%s/%s", pdir, de->d_name);
		assert_int_equal(utimensat(AT_FDCWD, path, ts, AT_SYMLINK_NOFOLLOW), 0);
		n++;
	}
	closedir(d);
	assert_true(n >= 3); /* .part, .state, .sums */
}

/*
 * At open, partials untouched for longer than partial_ttl_s are removed,
 * unless locked by a live session; the partial directory goes when empty.
 */
static void test_collect(void **state)
{
	struct env *e = *state;
	const __u64 old_size = 8 * BS, fresh_size = 9 * BS, locked_size = 10 * BS;
	__u8 *data = pattern(locked_size, 24);
	struct p2pkp_rfile_desc old = desc("old.bin", data, old_size);
	struct p2pkp_rfile_desc fresh = desc("fresh.bin", data, fresh_size);
	struct p2pkp_rfile_desc locked = desc("locked.bin", data, locked_size);
	struct p2pkp_store_opts o = {.dir = e->dir, .partial_ttl_s = 3600};
	struct p2pkp_wbatch *wb = p2pkp_wbatch_new();
	struct p2pkp_store *s2;
	struct p2pkp_rfile *f;
	char path[600], pdir[600];
	__u16 r;

	snprintf(pdir, sizeof(pdir), "%s/%s", e->dir, P2PKP_PARTIAL_DIR);
	receive_half(e, &old, data);
	receive_half(e, &fresh, data);
	assert_int_equal(p2pkp_store_begin(e->s, &locked, &f, &r), 0);
	assert_int_equal(send_range(wb, f, data, locked_size, 0, 3), 0);
	assert_int_equal(p2pkp_rfile_save_state(f), 0);
	assert_true(part_of_size(e, old_size, path, sizeof(path)));
	age_partial(path, 7200);
	assert_true(part_of_size(e, locked_size, path, sizeof(path)));
	age_partial(path, 7200);
	assert_int_equal(count_entries(pdir), 9);

	/* ttl 0: nothing collected. */
	o.partial_ttl_s = 0;
	assert_int_equal(p2pkp_store_open(&o, &s2), 0);
	p2pkp_store_close(s2);
	assert_int_equal(count_entries(pdir), 9);

	o.partial_ttl_s = 3600;
	assert_int_equal(p2pkp_store_open(&o, &s2), 0);
	assert_false(part_of_size(e, old_size, path, sizeof(path)));
	assert_true(part_of_size(e, fresh_size, path, sizeof(path)));
	assert_true(part_of_size(e, locked_size, path, sizeof(path)));
	assert_int_equal(count_entries(pdir), 6);
	p2pkp_store_close(s2);

	/* Unlocked now, still old: collected. */
	p2pkp_rfile_close(f);
	assert_int_equal(p2pkp_store_open(&o, &s2), 0);
	assert_false(part_of_size(e, locked_size, path, sizeof(path)));
	assert_int_equal(count_entries(pdir), 3);
	/* The last partial published: the directory goes too. */
	assert_int_equal(p2pkp_store_begin(s2, &fresh, &f, &r), 0);
	assert_int_equal(p2pkp_rfile_held(f)->count, 5);
	assert_int_equal(send_range(wb, f, data, fresh_size, 0, 9), 0);
	assert_int_equal(p2pkp_rfile_finish(f, &r), 0);
	assert_int_equal(r, P2PKP_R_OK);
	assert_false(exists_at(e->dir, P2PKP_PARTIAL_DIR));
	p2pkp_rfile_close(f);
	p2pkp_store_close(s2);
	assert_int_equal(count_entries(e->dir), 1);
	/* A store that only ever saw an empty partial directory removes it. */
	assert_int_equal(mkdir(pdir, 0700), 0);
	reopen(e, false, false);
	assert_false(exists_at(e->dir, P2PKP_PARTIAL_DIR));
	p2pkp_wbatch_free(wb);
	free(data);
}

/* DATA that arrives after publication never reaches the published file. */
static void test_data_after_publish(void **state)
{
	struct env *e = *state;
	const __u64 size = 4 * BS, n = nblocks(size);
	__u8 *data = pattern(size, 25), *other = pattern(size, 26);
	struct p2pkp_rfile_desc d = desc("pub.bin", data, size);
	struct p2pkp_wbatch *wb = p2pkp_wbatch_new();
	struct p2pkp_wbatch_stats st0, st1;
	struct p2pkp_rfile *f;
	__u64 b;
	__u16 r;

	assert_int_equal(p2pkp_store_begin(e->s, &d, &f, &r), 0);
	assert_int_equal(send_range(wb, f, data, size, 0, n - 1), 0);
	/* Queued before finish, flushed after it. */
	assert_int_equal(p2pkp_wbatch_add(wb, f, (n - 1) * BS, data + (n - 1) * BS,
					  blen(size, n - 1), bsum(data, size, n - 1)),
			 0);
	assert_int_equal(p2pkp_wbatch_flush(wb), 0);
	assert_int_equal(p2pkp_wbatch_add(wb, f, 0, other, BS, bsum(other, size, 0)), 0);
	assert_int_equal(p2pkp_rfile_finish(f, &r), 0);
	assert_int_equal(r, P2PKP_R_OK);
	p2pkp_wbatch_stats(wb, &st0);
	assert_int_equal(p2pkp_wbatch_flush(wb), 0);
	/* And after it. */
	for (b = 0; b < n; b++)
		assert_int_equal(p2pkp_wbatch_add(wb, f, b * BS, other + b * BS, blen(size, b),
						  bsum(other, size, b)),
				 0);
	assert_int_equal(p2pkp_wbatch_flush(wb), 0);
	p2pkp_wbatch_stats(wb, &st1);
	assert_int_equal(st1.payloads, st0.payloads);
	assert_int_equal(st1.duplicates - st0.duplicates, n + 1);
	assert_int_equal(p2pkp_rfile_finish(f, &r), 0);
	assert_int_equal(r, P2PKP_R_OK);
	p2pkp_rfile_close(f);
	assert_file_is(e->dir, "pub.bin", data, size);
	p2pkp_wbatch_free(wb);
	free(other);
	free(data);
}

struct have_case {
	const char *what;
	unsigned int disk_seed; /* content on disk; the announced file is seed 27 */
	__s64 mtime_delta;
	bool digest_other_bs; /* announced DIGEST computed over 2 * BS blocks */
	bool overwrite;
	__u16 result;
};

static const struct have_case have_cases[] = {
	{"identical", 27, 0, false, false, P2PKP_R_HAVE},
	{"same size and mtime, other bytes", 28, 0, false, false, P2PKP_R_EXISTS},
	{"same bytes, other mtime", 27, 1, false, false, P2PKP_R_EXISTS},
	{"same bytes, digest of other blocks", 27, 0, true, false, P2PKP_R_EXISTS},
	{"same size and mtime, other bytes, overwrite", 28, 0, false, true, P2PKP_R_OK},
	{"identical, overwrite", 27, 0, false, true, P2PKP_R_HAVE},
};

/* HAVE only when size, mtime and the DIGEST of the bytes on disk all match. */
static void test_have_digest(void **state)
{
	struct env *e = *state;
	const __u64 size = 7 * BS + 3;
	__u8 *data = pattern(size, 27);
	size_t i;

	for (i = 0; i < sizeof(have_cases) / sizeof(have_cases[0]); i++) {
		const struct have_case *c = &have_cases[i];
		__u8 *disk = pattern(size, c->disk_seed);
		struct p2pkp_rfile_desc d = desc("have.bin", data, size);
		struct p2pkp_rfile *f;
		__u16 r;

		if (c->digest_other_bs) {
			/* The same bytes cut in 2 * BS blocks: sums over other ranges. */
			__u64 b, n = p2pkp_blocks(size, 2 * BS);
			__be64 sums[8];

			for (b = 0; b < n; b++)
				sums[b] = htobe64(p2pkp_block_sum(
					b * 2 * BS, data + b * 2 * BS,
					size - b * 2 * BS < 2 * BS ? size - b * 2 * BS : 2 * BS));
			p2pkp_digest_of(sums, n, d.digest);
		}
		reopen(e, c->overwrite, false);
		write_file(e->dir, "have.bin", disk, size, MTIME_NS + c->mtime_delta);
		assert_int_equal(p2pkp_store_begin(e->s, &d, &f, &r), 0);
		if (r != c->result)
			fail_msg("%s: result %u, expected %u", c->what, r, c->result);
		p2pkp_rfile_close(f);
		free(disk);
	}
	free(data);
}

/* --- full disk -------------------------------------------------------------------- */

static void fill_fs(const char *dir)
{
	static __u8 chunk[4096];
	char path[600];
	int fd;

	snprintf(path, sizeof(path), "%s/filler", dir);
	fd = open(path, O_CREAT | O_WRONLY, 0644);
	assert_true(fd >= 0);
	while (write(fd, chunk, sizeof(chunk)) > 0)
		;
	close(fd);
}

static void test_enospc(void **state)
{
	struct env *e = *state;
	const __u64 big = 256 * 1024, size = 16 * BS, small = 2 * BS;
	__u8 *data = pattern(big, 11);
	struct p2pkp_rfile_desc dbig = desc("big.bin", data, big);
	struct p2pkp_rfile_desc d = desc("f.bin", data, size);
	struct p2pkp_rfile_desc d2 = desc("g.bin", data, small);
	struct p2pkp_wbatch *wb = p2pkp_wbatch_new();
	struct p2pkp_rfile *f, *g;
	char path[600];
	__u64 b;
	__u16 r;
	int fd;

	if (geteuid() != 0 || unshare(CLONE_NEWNS) ||
	    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) ||
	    mount("tmpfs", e->dir, "tmpfs", 0, "size=64k")) {
		p2pkp_wbatch_free(wb);
		free(data);
		skip();
	}
	reopen(e, false, false);
	/* Larger than the file system: refused at once, nothing left behind. */
	assert_int_equal(p2pkp_store_begin(e->s, &dbig, &f, &r), 0);
	assert_int_equal(r, P2PKP_R_NO_SPACE);
	assert_false(partial_file(e, ".part", path, sizeof(path)));

	/* Fits, but its space is taken after begin (a hole punched, then filled). */
	assert_int_equal(p2pkp_store_begin(e->s, &d, &f, &r), 0);
	assert_int_equal(r, P2PKP_R_OK);
	assert_true(partial_file(e, ".part", path, sizeof(path)));
	fd = open(path, O_RDWR);
	assert_true(fd >= 0);
	assert_int_equal(fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0, size), 0);
	close(fd);
	assert_int_equal(p2pkp_store_begin(e->s, &d2, &g, &r), 0);
	assert_int_equal(r, P2PKP_R_OK);
	fill_fs(e->dir);

	/* Both files in one batch: f fails, g is still written. */
	for (b = 0; b < nblocks(size); b++) {
		assert_int_equal(
			p2pkp_wbatch_add(wb, f, b * BS, data + b * BS, BS, bsum(data, big, b)), 0);
		if (b < nblocks(small))
			assert_int_equal(p2pkp_wbatch_add(wb, g, b * BS, data + b * BS, BS,
							  bsum(data, big, b)),
					 0);
	}
	assert_int_equal(p2pkp_wbatch_flush(wb), -ENOSPC);
	assert_int_equal(p2pkp_rfile_error(f), -ENOSPC);
	assert_int_equal(p2pkp_rfile_error(g), 0);
	assert_true(p2pkp_bitmap_complete(p2pkp_rfile_held(g)));
	assert_false(p2pkp_bitmap_complete(p2pkp_rfile_held(f)));
	assert_int_equal(p2pkp_rfile_finish(f, &r), 0);
	assert_int_equal(r, P2PKP_R_IO);
	assert_false(exists_at(e->dir, "f.bin"));
	p2pkp_rfile_close(f);
	p2pkp_rfile_close(g);

	p2pkp_store_close(e->s);
	e->s = NULL;
	assert_int_equal(umount(e->dir), 0);
	reopen(e, false, false);
	p2pkp_wbatch_free(wb);
	free(data);
}

/* --- without openat2 ------------------------------------------------------------- */

#ifdef __x86_64__
/* Make openat2 fail with ENOSYS, as on kernels before 5.6. */
static int deny_openat2(void)
{
	struct sock_filter filter[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_openat2, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = {.len = sizeof(filter) / sizeof(filter[0]), .filter = filter};

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		return -errno;
	return syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) ? -errno : 0;
}
#endif

/*
 * The name table and symlink escape again, with openat2 gone. Runs in a
 * forked child (a seccomp filter cannot be removed), so without cmocka's
 * asserts: returns the number of wrong answers.
 */
static int child_checks(struct env *e)
{
	static const char *const escapes[] = {"link/file", "link/sub/file"};
	const __u8 data[] = "hello";
	struct p2pkp_wbatch *wb = p2pkp_wbatch_new();
	struct p2pkp_rfile *f;
	char path[600];
	int bad = 0;
	size_t i;
	__u16 r;

	snprintf(path, sizeof(path), "%s/link", e->dir);
	if (!wb || symlink(e->outside, path))
		return 100;
	for (i = 0; i < sizeof(name_cases) / sizeof(name_cases[0]) + 2; i++) {
		bool esc = i >= sizeof(name_cases) / sizeof(name_cases[0]);
		const char *name = esc ? escapes[i - sizeof(name_cases) / sizeof(name_cases[0])]
				       : name_cases[i].name;
		__u16 want = esc ? P2PKP_R_BAD_NAME : name_cases[i].result;
		struct p2pkp_rfile_desc d = desc(name, data, sizeof(data));

		if (p2pkp_store_begin(e->s, &d, &f, &r) || r != want) {
			fprintf(stderr, "# without openat2: \"%.60s\": result %u, expected %u\n",
				name, r, want);
			bad++;
			continue;
		}
		if (r != P2PKP_R_OK)
			continue;
		if (p2pkp_wbatch_add(wb, f, 0, data, sizeof(data),
				     p2pkp_block_sum(0, data, sizeof(data))) != 0 ||
		    p2pkp_wbatch_flush(wb) || p2pkp_rfile_finish(f, &r) || r != P2PKP_R_OK) {
			fprintf(stderr, "# without openat2: %s: not received\n", name);
			bad++;
		}
		p2pkp_rfile_close(f);
	}
	p2pkp_wbatch_free(wb);
	return bad;
}

static void test_without_openat2(void **state)
{
#ifdef __x86_64__
	struct env *e = *state;
	int status;
	pid_t pid;

	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (!pid) {
		struct p2pkp_store_opts o = {.dir = e->dir};
		struct p2pkp_store *s;

		if (deny_openat2() || syscall(SYS_openat2, AT_FDCWD, ".", NULL, 0) != -1 ||
		    errno != ENOSYS)
			_exit(3);
		/* Failures here longjmp into the child's copy of cmocka: exit then. */
		p2pkp_store_close(e->s);
		if (p2pkp_store_open(&o, &s))
			_exit(4);
		e->s = s;
		_exit(child_checks(e));
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_file_is(e->dir, "dir/sub/file", (const __u8 *)"hello", 6);
	assert_int_equal(count_entries(e->outside), 0);
#else
	skip();
#endif
}

static int group_setup(void **state)
{
	memset(long_name, 'n', sizeof(long_name) - 1);
	memset(long_component, 'c', sizeof(long_component) - 1);
	long_component[0] = 'd';
	long_component[1] = '/';
	umask_now = umask(022);
	umask(umask_now);
	if (getenv("P2PKP_DEBUG"))
		p2pkp_log_set_level(P2PKP_LOG_DEBUG);
	return mkdtemp(root) ? 0 : -1;
}

static int group_teardown(void **state)
{
	rm_rf(root);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_names, setup, teardown),
		cmocka_unit_test_setup_teardown(test_symlink_escape, setup, teardown),
		cmocka_unit_test_setup_teardown(test_symlink_final_name, setup, teardown),
		cmocka_unit_test_setup_teardown(test_coalesce_out_of_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_coalesce_stream, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wbatch_rejects, setup, teardown),
		cmocka_unit_test_setup_teardown(test_digest_mismatch, setup, teardown),
		cmocka_unit_test_setup_teardown(test_resume, setup, teardown),
		cmocka_unit_test_setup_teardown(test_resume_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_exists_have_overwrite, setup, teardown),
		cmocka_unit_test_setup_teardown(test_exists_at_publish, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dirs_empty_and_attrs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_locked, setup, teardown),
		cmocka_unit_test_setup_teardown(test_partdir_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_partdir_recreated, setup, teardown),
		cmocka_unit_test_setup_teardown(test_resume_rechecks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sums_decide, setup, teardown),
		cmocka_unit_test_setup_teardown(test_huge_size, setup, teardown),
		cmocka_unit_test_setup_teardown(test_collect, setup, teardown),
		cmocka_unit_test_setup_teardown(test_data_after_publish, setup, teardown),
		cmocka_unit_test_setup_teardown(test_have_digest, setup, teardown),
		cmocka_unit_test_setup_teardown(test_enospc, setup, teardown),
		cmocka_unit_test_setup_teardown(test_without_openat2, setup, teardown),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
