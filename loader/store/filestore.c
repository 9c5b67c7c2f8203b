// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The receiver's disk: begin (what to tell the sender about each file),
 * DIGEST verification and atomic publication beneath one output directory.
 * The partial directory, its locks, state and sums files are in
 * store_partial.c, paths beneath DIR in store_path.c, writes in
 * store_wbatch.c.
 *
 * Directories: begin creates them (mkdir -p) writable by us; finish applies
 * mode and mtime. Creating a child changes a directory's mtime, so the engine
 * must finish directories after everything inside them (deepest first).
 *
 * Files: parent directories are created (0755, less the umask) when the
 * file is published; a file and a directory never replace each other, even
 * with overwrite (EXISTS). Permission bits applied are mode & 01777: setuid
 * and setgid bits from the network are dropped.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/statvfs.h>

#include "filesum.h"
#include "log.h"
#include "store_priv.h"
#include "wire.h"

/* --- store ---------------------------------------------------------------- */

int p2pkp_store_open(const struct p2pkp_store_opts *opts, struct p2pkp_store **out)
{
	struct p2pkp_store *s;
	int err;

	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->partfd = -1;
	s->overwrite = opts->overwrite;
	s->fsync = opts->fsync;
	s->dir = strdup(opts->dir);
	if (!s->dir) {
		err = -ENOMEM;
		goto free_store;
	}
	s->dirfd = open(opts->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (s->dirfd < 0) {
		err = -errno;
		pr_warn("%s: cannot open output directory: %s\n", opts->dir, strerror(-err));
		goto free_dir;
	}
	/* An existing partial directory must be ours; a missing one is made when needed. */
	err = partdir_open(s, false);
	if (err)
		goto close_dir;
	if (s->partfd >= 0) {
		if (opts->partial_ttl_s)
			partdir_collect(s, opts->partial_ttl_s);
		partdir_release(s);
	}
	*out = s;
	return 0;

close_dir:
	close(s->dirfd);
free_dir:
	free(s->dir);
free_store:
	free(s);
	return err;
}

void p2pkp_store_close(struct p2pkp_store *s)
{
	if (!s)
		return;
	partdir_release(s);
	if (s->partfd >= 0)
		close(s->partfd);
	close(s->dirfd);
	free(s->dir);
	free(s);
}

/* --- begin ---------------------------------------------------------------- */

static int refuse(const char *name, __u16 *result, __u16 r, const char *why)
{
	pr_warn("%s: refused (%s): %s\n", name, p2pkp_result_name(r), why);
	*result = r;
	return 0;
}

static bool name_ok(const char *name, const char **why)
{
	size_t len = strlen(name), plen = strlen(P2PKP_PARTIAL_DIR);
	const char *c, *next;

	if (len > P2PKP_MAX_NAME) {
		*why = "name too long";
		return false;
	}
	if (p2pkp_name_check((const __u8 *)name, (__u32)len)) {
		*why = "unsafe name (absolute, empty, '.' or '..' component)";
		return false;
	}
	for (c = name; *c; c = next + !!*next) {
		next = strchrnul(c, '/');
		if (next - c > NAME_MAX) {
			*why = "a path component is longer than 255 bytes";
			return false;
		}
	}
	if (!strncmp(name, P2PKP_PARTIAL_DIR, plen) && (!name[plen] || name[plen] == '/')) {
		*why = "name inside the receiver's private " P2PKP_PARTIAL_DIR " directory";
		return false;
	}
	return true;
}

static __s64 stat_mtime_ns(const struct stat *st)
{
	return (__s64)st->st_mtim.tv_sec * 1000000000LL + st->st_mtim.tv_nsec;
}

/* Is the regular file base in pfd identical to d (size, mtime, then DIGEST)? */
static bool same_file(int pfd, const char *base, const struct p2pkp_rfile_desc *d,
		      const struct stat *st)
{
	__u8 digest[P2PKP_DIGEST_LEN];
	bool same;
	int fd;

	if ((__u64)st->st_size != d->size || stat_mtime_ns(st) != d->mtime_ns)
		return false;
	fd = openat(pfd, base, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return false;
	same = !p2pkp_file_digest(fd, d->size, d->block_size, 0, digest) &&
	       !memcmp(digest, d->digest, sizeof(digest));
	close(fd);
	return same;
}

/*
 * What is at the final name decides: nothing (OK), an identical file (HAVE),
 * or something else (EXISTS, or OK when it may be replaced).
 */
static int check_target(struct p2pkp_store *s, const struct p2pkp_rfile_desc *d, __u16 *result)
{
	const char *base;
	struct stat st;
	int pfd, err;

	pfd = store_open_parent(s, d->name, false, &base);
	if (pfd == -ENOENT) {
		*result = P2PKP_R_OK;
		return 0;
	}
	if (pfd < 0)
		return refuse(d->name, result, store_path_result(pfd), store_path_reason(pfd));
	err = fstatat(pfd, base, &st, AT_SYMLINK_NOFOLLOW) ? -errno : 0;
	*result = P2PKP_R_OK;
	if (err == -ENOENT)
		goto close_parent;
	if (err) {
		refuse(d->name, result, P2PKP_R_IO, strerror(-err));
		goto close_parent;
	}
	if (S_ISDIR(st.st_mode))
		refuse(d->name, result, P2PKP_R_EXISTS, "a directory exists under that name");
	else if (S_ISREG(st.st_mode) && same_file(pfd, base, d, &st))
		*result = P2PKP_R_HAVE;
	else if (!s->overwrite)
		refuse(d->name, result, P2PKP_R_EXISTS,
		       S_ISREG(st.st_mode)
			       ? "a different file exists (no --overwrite)"
			       : "something else exists under that name (no --overwrite)");
close_parent:
	close(pfd);
	return 0;
}

static int begin_dir(struct p2pkp_rfile *f, __u16 *result)
{
	const char *base;
	struct stat st;
	int pfd, err = 0;

	pfd = store_open_parent(f->s, f->name, true, &base);
	if (pfd < 0)
		goto refused;
	/* Writable by us until finish applies the announced mode. */
	if (mkdirat(pfd, base, (f->mode & MODE_BITS) | 0700) && errno != EEXIST)
		err = -errno;
	else if (fstatat(pfd, base, &st, AT_SYMLINK_NOFOLLOW))
		err = -errno;
	else if (!S_ISDIR(st.st_mode))
		err = -ENOTDIR;
	close(pfd);
	if (!err) {
		*result = P2PKP_R_OK;
		return 0;
	}
	pfd = err;
refused:
	if (pfd == -ENOTDIR)
		return refuse(f->name, result, P2PKP_R_EXISTS,
			      "something that is not a directory is in the way");
	return refuse(f->name, result, store_path_result(pfd), store_path_reason(pfd));
}

static void rfile_free(struct p2pkp_rfile *f)
{
	if (f->fd >= 0)
		close(f->fd); /* and so unlock */
	if (f->sums_fd >= 0)
		close(f->sums_fd);
	free(f->sums);
	p2pkp_bitmap_free(&f->held);
	free(f->name);
	free(f);
}

static struct p2pkp_rfile *rfile_new(struct p2pkp_store *s, const struct p2pkp_rfile_desc *d)
{
	struct p2pkp_rfile *f = calloc(1, sizeof(*f));

	if (!f)
		return NULL;
	f->name = strdup(d->name);
	if (!f->name) {
		free(f);
		return NULL;
	}
	f->s = s;
	f->fd = -1;
	f->sums_fd = -1;
	f->size = d->size;
	f->mode = d->mode;
	f->mtime_ns = d->mtime_ns;
	memcpy(f->digest, d->digest, sizeof(f->digest));
	f->block_size = d->block_size;
	f->is_dir = S_ISDIR(d->mode);
	partial_make_key(d, f->key);
	return f;
}

/* A file begin cannot keep track of is refused, not a failure of the store. */
static int cannot_track(struct p2pkp_rfile *f, __u16 *result, __u16 r, const char *why)
{
	pr_warn("%s: %llu bytes cannot be tracked: %s\n", f->name, (unsigned long long)f->size,
		why);
	*result = r;
	return 0;
}

static int begin_file(struct p2pkp_rfile *f, __u16 *result)
{
	__u64 n = f->size ? p2pkp_blocks(f->size, f->block_size) : 0;
	struct p2pkp_store *s = f->s;
	struct statvfs vfs;
	int err;

	/* Everything that can be refused without touching the disk is, first. */
	if (!fstatvfs(s->dirfd, &vfs) && vfs.f_frsize && f->size / vfs.f_frsize > vfs.f_blocks)
		return cannot_track(f, result, P2PKP_R_NO_SPACE, "larger than the file system");
	if (n <= SIZE_MAX / sizeof(*f->sums))
		f->sums = calloc(n ?: 1, sizeof(*f->sums));
	if (!f->sums)
		return cannot_track(f, result, P2PKP_R_NO_SPACE, "no memory for its block sums");
	if (p2pkp_bitmap_init(&f->held, n))
		return cannot_track(f, result, P2PKP_R_NO_SPACE, "no memory for its block bitmap");
	if (s->partfd < 0 && partdir_open(s, true))
		return refuse(f->name, result, P2PKP_R_IO, "no usable " P2PKP_PARTIAL_DIR);
	err = partial_open(f);
	if (!err) {
		*result = P2PKP_R_OK;
		return 0;
	}
	if (err == -EWOULDBLOCK) {
		pr_warn("%s: another session is writing this file\n", f->name);
		*result = P2PKP_R_LOCKED;
		return 0;
	}
	/* Ours (locked) if f->fd is open: keep what a resume would use, drop a fresh file. */
	if (f->fd >= 0 && !f->held.count) {
		partial_unlink(s, f->key, true);
		partdir_release(s);
	}
	switch (err) {
	case -ENOMEM:
		return cannot_track(f, result, P2PKP_R_NO_SPACE, "out of memory");
	case -EFBIG:
		return cannot_track(f, result, P2PKP_R_NO_SPACE, "too large for the file system");
	case -ENOSPC:
	case -EDQUOT:
		return refuse(f->name, result, P2PKP_R_NO_SPACE, "not enough space for the file");
	default:
		return refuse(f->name, result, P2PKP_R_IO, strerror(-err));
	}
}

int p2pkp_store_begin(struct p2pkp_store *s, const struct p2pkp_rfile_desc *d,
		      struct p2pkp_rfile **out, __u16 *result)
{
	struct p2pkp_rfile *f;
	const char *why;
	int err;

	*out = NULL;
	if (!d->name || (d->size && !d->block_size))
		return -EINVAL;
	if (!name_ok(d->name, &why))
		return refuse(d->name, result, P2PKP_R_BAD_NAME, why);
	if (!S_ISREG(d->mode) && !S_ISDIR(d->mode))
		return refuse(d->name, result, P2PKP_R_BAD_NAME,
			      "neither a regular file nor a directory");
	if (S_ISREG(d->mode)) {
		err = check_target(s, d, result);
		if (err || *result != P2PKP_R_OK) {
			if (!err && *result == P2PKP_R_HAVE) {
				char key[KEY_LEN + 1];

				partial_make_key(d, key);
				partial_remove_unused(s, key);
			}
			return err;
		}
	}
	f = rfile_new(s, d);
	if (!f)
		return -ENOMEM;
	err = f->is_dir ? begin_dir(f, result) : begin_file(f, result);
	if (err || *result != P2PKP_R_OK) {
		rfile_free(f);
		return err;
	}
	*out = f;
	return 0;
}

const struct p2pkp_bitmap *p2pkp_rfile_held(const struct p2pkp_rfile *f)
{
	return &f->held;
}

const char *p2pkp_rfile_name(const struct p2pkp_rfile *f)
{
	return f->name;
}

int p2pkp_rfile_error(const struct p2pkp_rfile *f)
{
	return f->error;
}

/* --- finish --------------------------------------------------------------- */

static void mtime_ts(__s64 ns, struct timespec ts[2])
{
	ts[0].tv_sec = 0;
	ts[0].tv_nsec = UTIME_OMIT;
	ts[1].tv_sec = (time_t)(ns / 1000000000LL);
	ts[1].tv_nsec = (long)(ns % 1000000000LL);
	if (ts[1].tv_nsec < 0) {
		ts[1].tv_nsec += 1000000000L;
		ts[1].tv_sec--;
	}
}

static int apply_attrs(int fd, __u32 mode, __s64 mtime_ns)
{
	struct timespec ts[2];

	mtime_ts(mtime_ns, ts);
	if (fchmod(fd, mode & MODE_BITS) || futimens(fd, ts))
		return -errno;
	return 0;
}

static int finish_warn(struct p2pkp_rfile *f, __u16 *result, __u16 r, const char *what, int err)
{
	pr_warn("%s: %s: %s\n", f->name, what, strerror(-err));
	*result = r;
	return 0;
}

static int finish_dir(struct p2pkp_rfile *f, __u16 *result)
{
	const char *base;
	int pfd, fd, err;

	pfd = store_open_parent(f->s, f->name, false, &base);
	if (pfd < 0)
		return finish_warn(f, result, store_path_result(pfd), "cannot open parent", pfd);
	fd = store_open_beneath(f->s, pfd, base, O_RDONLY | O_DIRECTORY, 0);
	if (fd < 0) {
		err = fd;
		goto close_parent;
	}
	err = apply_attrs(fd, f->mode, f->mtime_ns);
	if (!err && f->s->fsync && (fsync(fd) || fsync(pfd)))
		err = -errno;
	close(fd);
close_parent:
	close(pfd);
	if (err)
		return finish_warn(f, result, P2PKP_R_IO, "cannot set mode and mtime", err);
	*result = P2PKP_R_OK;
	return 0;
}

/* Move the verified partial to its final name; never follows a symlink there. */
static int publish(struct p2pkp_rfile *f, int pfd, const char *base)
{
	char fname[KEY_FILE_LEN];
	int partfd = f->s->partfd;

	snprintf(fname, sizeof(fname), "%s.part", f->key);
	if (f->s->overwrite)
		return renameat(partfd, fname, pfd, base) ? -errno : 0;
	if (!renameat2(partfd, fname, pfd, base, RENAME_NOREPLACE))
		return 0;
	if (errno != EINVAL && errno != ENOSYS)
		return -errno;
	/* No RENAME_NOREPLACE on this file system: link() never replaces either. */
	if (linkat(partfd, fname, pfd, base, 0))
		return -errno;
	unlinkat(partfd, fname, 0);
	return 0;
}

static void hex(const __u8 *b, char *out)
{
	int i;

	for (i = 0; i < P2PKP_DIGEST_LEN; i++)
		snprintf(out + 2 * i, 3, "%02x", b[i]);
}

/*
 * The DIGEST over the recorded sums is the digest of the data on disk,
 * without reading it back: each block's sum was checked against its payload
 * before the payload was written (by the caller of p2pkp_wbatch_add), resumed
 * blocks were re-read and checked against their sums at begin, and we hold
 * the only lock on the .part from begin to close, so no other session wrote
 * into it meanwhile.
 */
static int verify(struct p2pkp_rfile *f, __u16 *result)
{
	char got_hex[2 * P2PKP_DIGEST_LEN + 1], want_hex[2 * P2PKP_DIGEST_LEN + 1];
	__u8 got[P2PKP_DIGEST_LEN];

	p2pkp_digest_of(f->sums, f->held.nbits, got);
	if (!memcmp(got, f->digest, sizeof(got))) {
		*result = P2PKP_R_OK;
		return 0;
	}
	hex(got, got_hex);
	hex(f->digest, want_hex);
	pr_warn("%s: digest mismatch (got %s, announced %s): fetching it again\n", f->name, got_hex,
		want_hex);
	p2pkp_bitmap_clear(&f->held);
	memset(f->sums, 0, f->held.nbits * sizeof(*f->sums));
	f->dirty = true;
	/* Forget on disk too, so a resume does not trust the bad blocks. */
	partial_forget(f);
	*result = P2PKP_R_MISMATCH;
	return 0;
}

static int finish_file(struct p2pkp_rfile *f, __u16 *result)
{
	const char *base;
	int pfd, err;

	if (f->error) {
		pr_warn("%s: not complete after a write error: %s\n", f->name, strerror(-f->error));
		*result = P2PKP_R_IO;
		return 0;
	}
	if (!p2pkp_bitmap_complete(&f->held)) {
		*result = P2PKP_R_INCOMPLETE;
		return 0;
	}
	err = verify(f, result);
	if (err || *result != P2PKP_R_OK)
		return err;
	/* Always: a published name must not lead to data a crash can still lose. */
	if (fdatasync(f->fd))
		return finish_warn(f, result, P2PKP_R_IO, "cannot sync", -errno);
	err = apply_attrs(f->fd, f->mode, f->mtime_ns);
	if (err)
		return finish_warn(f, result, P2PKP_R_IO, "cannot set mode and mtime", err);
	if (f->s->fsync && fsync(f->fd))
		return finish_warn(f, result, P2PKP_R_IO, "cannot fsync", -errno);
	pfd = store_open_parent(f->s, f->name, true, &base);
	if (pfd < 0) {
		pr_warn("%s: cannot move into place: %s\n", f->name, store_path_reason(pfd));
		*result = store_path_result(pfd) == P2PKP_R_EXISTS ? P2PKP_R_EXISTS : P2PKP_R_IO;
		return 0;
	}
	err = publish(f, pfd, base);
	if (err) {
		close(pfd);
		if (err == -EEXIST)
			pr_warn("%s: refused (EXISTS): the name was taken while receiving\n",
				f->name);
		else
			pr_warn("%s: cannot move into place: %s\n", f->name, strerror(-err));
		*result = store_path_result(err) == P2PKP_R_EXISTS ? P2PKP_R_EXISTS : P2PKP_R_IO;
		return 0;
	}
	f->done = true;
	partial_unlink(f->s, f->key, false);
	partdir_release(f->s);
	if (f->s->fsync && fsync(pfd))
		err = -errno;
	close(pfd);
	if (err)
		return finish_warn(f, result, P2PKP_R_IO, "cannot fsync its directory", err);
	*result = P2PKP_R_OK;
	return 0;
}

int p2pkp_rfile_finish(struct p2pkp_rfile *f, __u16 *result)
{
	if (f->done) {
		*result = P2PKP_R_OK;
		return 0;
	}
	if (f->is_dir) {
		int err = finish_dir(f, result);

		f->done = !err && *result == P2PKP_R_OK;
		return err;
	}
	return finish_file(f, result);
}

void p2pkp_rfile_close(struct p2pkp_rfile *f)
{
	if (!f)
		return;
	/* Nothing held, nothing to resume: leave nothing behind (we hold the lock). */
	if (f->fd >= 0 && !f->done && !f->held.count) {
		partial_unlink(f->s, f->key, true);
		partdir_release(f->s);
	} else {
		p2pkp_rfile_save_state(f);
	}
	rfile_free(f);
}
