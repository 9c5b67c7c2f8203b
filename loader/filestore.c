// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The receiver's disk: partial files, resume state, batched writes, CRC
 * verification and atomic publication beneath one output directory.
 *
 * Layout: DIR/.p2pkp-partial/<key>.part holds the data at each block's
 * offset, <key>.state its identity and bitmap image (docs/protocol.md 14.3).
 * <key> is a 64-bit FNV-1a hash of (name, size, mtime, crc32), so a new
 * session announcing the same file finds its partial and a changed file does
 * not; the block size is checked against the state, not hashed, so a new
 * block size reuses and resets the same partial instead of orphaning it.
 *
 * Every path beneath DIR is resolved without following symbolic links
 * (openat2 RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS, or a component walk with
 * O_NOFOLLOW where openat2 is missing), as protocol.md 7.2 requires: a link
 * inside DIR can neither lead a write out of it nor be written through.
 *
 * Directories: begin creates them (mkdir -p) writable by us; finish applies
 * mode and mtime. Creating a child changes a directory's mtime, so the engine
 * must finish directories after everything inside them (deepest first).
 *
 * Files: parent directories are created (0755, less the umask) when the
 * file is published; a file and a directory never replace each other, even
 * with overwrite (EXISTS). Permission bits applied are mode & 01777: setuid
 * and setgid bits from the network are dropped.
 *
 * Partials of files that changed at the sender stay in the partial
 * directory until removed by hand: nothing collects them yet.
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
#include <sys/syscall.h>
#include <sys/uio.h>
#include <linux/openat2.h>
#include <libdeflate.h>

#include "filestore.h"
#include "log.h"
#include "wire.h"

#define STATE_MAGIC	 "P2PKPST1"
#define STATE_HDR_LEN	 (8 + 8 + 8 + 4 + 4 + 4) /* magic size mtime crc bs namelen */
#define READBACK_BUF	 (8 << 20)		 /* few reads per GiB when verifying */
#define CATCH_UP_MAX	 (1 << 20)		 /* read back per write batch, at most */
#define KEY_LEN		 16			 /* hex digits of a 64-bit hash */
#define KEY_FILE_LEN	 (KEY_LEN + sizeof(".state.tmp"))
#define MODE_BITS	 01777 /* permissions and sticky; no setuid/setgid */
#define DIR_CREATE_MODE	 0755
#define PART_CREATE_MODE 0600

struct p2pkp_store {
	int dirfd;  /* the output directory */
	int partfd; /* DIR/.p2pkp-partial */
	bool overwrite;
	bool fsync;
	bool no_openat2; /* openat2 said ENOSYS once: walk components */
	char *buf;	 /* read-back buffer for CRCs */
};

struct p2pkp_rfile {
	struct p2pkp_store *s;
	char *name;
	__u64 size;
	__u32 mode;
	__s64 mtime_ns;
	__u32 crc32;
	__u32 block_size;
	bool is_dir;
	bool dirty;	/* held changed since the state was saved */
	bool done;	/* published: nothing left in the partial directory */
	int fd;		/* the .part file, -1 for directories */
	int error;	/* first write error, -errno */
	__u64 crc_upto; /* bytes [0, crc_upto) were written in order, and their CRC-32 is... */
	__u32 crc_run;	/* ...this, so verify() reads back only the rest */
	char key[KEY_LEN + 1];
	struct p2pkp_bitmap held;
};

struct wb_ent {
	struct p2pkp_rfile *f;
	__u64 offset;
	const void *data;
	__u32 len;
};

struct p2pkp_wbatch {
	__u32 n;
	struct p2pkp_wbatch_stats st;
	struct wb_ent e[P2PKP_WBATCH_MAX];
	__u16 order[P2PKP_WBATCH_MAX];
	struct iovec iov[P2PKP_WBATCH_MAX];
};

_Static_assert(P2PKP_WBATCH_MAX <= IOV_MAX, "one pwritev must take a whole batch");
_Static_assert(P2PKP_WBATCH_MAX <= 65536, "order[] is __u16");

/* --- paths beneath DIR ---------------------------------------------------- */

static int sys_openat2(int dirfd, const char *path, int flags, mode_t mode)
{
	struct open_how how = {
		.flags = (__u64)flags,
		.mode = (flags & O_CREAT) ? mode : 0,
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
	};
	long fd = syscall(SYS_openat2, dirfd, path, &how, sizeof(how));

	return fd < 0 ? -errno : (int)fd;
}

/* One component, not following it; a symlink gives ELOOP whatever flags say. */
static int open_comp(int cur, const char *comp, int flags, mode_t mode)
{
	struct stat st;
	int fd = openat(cur, comp, flags | O_NOFOLLOW, mode);

	if (fd >= 0)
		return fd;
	fd = -errno;
	/* With O_DIRECTORY a symlink may say ENOTDIR: say ELOOP like openat2. */
	if (fd == -ENOTDIR && !fstatat(cur, comp, &st, AT_SYMLINK_NOFOLLOW) && S_ISLNK(st.st_mode))
		fd = -ELOOP;
	return fd;
}

/* Fallback: one component at a time, none of them a symlink. */
static int walk_open(int dirfd, const char *path, int flags, mode_t mode)
{
	char comp[NAME_MAX + 1];
	const char *p = path, *slash;
	int cur = dirfd, fd;

	while ((slash = strchr(p, '/'))) {
		size_t n = (size_t)(slash - p);

		if (n > NAME_MAX) {
			fd = -ENAMETOOLONG;
			goto close_cur;
		}
		memcpy(comp, p, n);
		comp[n] = 0;
		fd = open_comp(cur, comp, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
		if (fd < 0)
			goto close_cur;
		if (cur != dirfd)
			close(cur);
		cur = fd;
		p = slash + 1;
	}
	fd = open_comp(cur, p, flags, mode);
close_cur:
	if (cur != dirfd)
		close(cur);
	return fd;
}

/* open path beneath dirfd, following no symlink; fd or -errno (ELOOP: a symlink). */
static int open_beneath(struct p2pkp_store *s, int dirfd, const char *path, int flags, mode_t mode)
{
	int fd;

	flags |= O_CLOEXEC | O_NOFOLLOW;
	if (!s->no_openat2) {
		fd = sys_openat2(dirfd, path, flags, mode);
		/* ENOTDIR may mean a symlink where a directory was wanted: ask the walk. */
		if (fd != -ENOSYS && fd != -ENOTDIR)
			return fd;
		if (fd == -ENOTDIR)
			return walk_open(dirfd, path, flags, mode);
		pr_debug("openat2 not available: resolving names component by component\n");
		s->no_openat2 = true;
	}
	return walk_open(dirfd, path, flags, mode);
}

/* One step of mkdir -p: create comp in cur if missing, open it. fd or -errno. */
static int mkdir_comp(struct p2pkp_store *s, int cur, const char *comp)
{
	if (mkdirat(cur, comp, DIR_CREATE_MODE) && errno != EEXIST)
		return -errno;
	return open_beneath(s, cur, comp, O_RDONLY | O_DIRECTORY, 0);
}

/* mkdir -p of dir (relative to s->dirfd); returns an fd of it or -errno. */
static int mkdir_beneath(struct p2pkp_store *s, char *dir)
{
	int cur = s->dirfd, fd = -ENOENT;
	char *p = dir, *slash;

	for (; p; p = slash ? slash + 1 : NULL) {
		slash = strchr(p, '/');
		if (slash)
			*slash = 0;
		fd = mkdir_comp(s, cur, p);
		if (slash)
			*slash = '/';
		if (cur != s->dirfd)
			close(cur);
		if (fd < 0)
			return fd;
		cur = fd;
	}
	return fd;
}

/*
 * Open the directory that holds name (creating it if create), and point
 * *base at the last component. fd (never s->dirfd itself: a dup) or -errno.
 */
static int open_parent(struct p2pkp_store *s, const char *name, bool create, const char **base)
{
	const char *slash = strrchr(name, '/');
	char *dir;
	int fd;

	if (!slash) {
		*base = name;
		fd = fcntl(s->dirfd, F_DUPFD_CLOEXEC, 0);
		return fd < 0 ? -errno : fd;
	}
	*base = slash + 1;
	dir = strndup(name, (size_t)(slash - name));
	if (!dir)
		return -ENOMEM;
	fd = open_beneath(s, s->dirfd, dir, O_RDONLY | O_DIRECTORY, 0);
	if (fd == -ENOENT && create)
		fd = mkdir_beneath(s, dir);
	free(dir);
	return fd;
}

/* The result a failed path operation means for the sender. */
static __u16 path_result(int err)
{
	switch (err) {
	case -ELOOP:
	case -EXDEV:
	case -ENAMETOOLONG:
		return P2PKP_R_BAD_NAME;
	case -ENOTDIR:
	case -EEXIST:
	case -EISDIR:
	case -ENOTEMPTY:
		return P2PKP_R_EXISTS;
	case -ENOSPC:
	case -EDQUOT:
		return P2PKP_R_NO_SPACE;
	default:
		return P2PKP_R_IO;
	}
}

static const char *path_reason(int err)
{
	switch (err) {
	case -ELOOP:
	case -EXDEV:
		return "the path goes through a symbolic link";
	case -ENOTDIR:
		return "a path component exists and is not a directory";
	default:
		return strerror(-err);
	}
}

/* --- identity and state file ---------------------------------------------- */

static __u64 fnv1a64(__u64 h, const void *buf, size_t n)
{
	const __u8 *p = buf;

	while (n--) {
		h ^= *p++;
		h *= 0x100000001b3ULL;
	}
	return h;
}

static void put_be(__u8 *p, __u64 v, int bytes)
{
	while (bytes--) {
		p[bytes] = (__u8)v;
		v >>= 8;
	}
}

static void make_key(const struct p2pkp_rfile_desc *d, char *key)
{
	__u8 id[20];
	__u64 h;

	put_be(id, d->size, 8);
	put_be(id + 8, (__u64)d->mtime_ns, 8);
	put_be(id + 16, d->crc32, 4);
	h = fnv1a64(0xcbf29ce484222325ULL, d->name, strlen(d->name) + 1);
	h = fnv1a64(h, id, sizeof(id));
	snprintf(key, KEY_LEN + 1, "%016llx", (unsigned long long)h);
}

static void key_file(const struct p2pkp_rfile *f, const char *ext, char *out)
{
	snprintf(out, KEY_FILE_LEN, "%s%s", f->key, ext);
}

static size_t state_hdr_size(const struct p2pkp_rfile *f)
{
	return STATE_HDR_LEN + strlen(f->name);
}

static void state_hdr_fill(const struct p2pkp_rfile *f, __u8 *p)
{
	size_t nlen = strlen(f->name);

	memcpy(p, STATE_MAGIC, 8);
	put_be(p + 8, f->size, 8);
	put_be(p + 16, (__u64)f->mtime_ns, 8);
	put_be(p + 24, f->crc32, 4);
	put_be(p + 28, f->block_size, 4);
	put_be(p + 32, nlen, 4);
	memcpy(p + STATE_HDR_LEN, f->name, nlen);
}

static int read_all(int fd, void **out, size_t *len)
{
	struct stat st;
	size_t done = 0;
	void *buf;

	if (fstat(fd, &st))
		return -errno;
	if (st.st_size <= 0 || st.st_size > (1LL << 32))
		return -EINVAL;
	buf = malloc((size_t)st.st_size);
	if (!buf)
		return -ENOMEM;
	while (done < (size_t)st.st_size) {
		ssize_t r = read(fd, (char *)buf + done, (size_t)st.st_size - done);

		if (r <= 0) {
			free(buf);
			return r ? -errno : -EINVAL;
		}
		done += (size_t)r;
	}
	*out = buf;
	*len = done;
	return 0;
}

/*
 * Load the held blocks from <key>.state into f->held. 0, or -errno when
 * there is no usable state (the file then starts over).
 */
static int state_load(struct p2pkp_rfile *f)
{
	char fname[KEY_FILE_LEN];
	size_t hlen = state_hdr_size(f), len = 0;
	void *buf = NULL;
	__u8 *hdr;
	int fd, err;

	key_file(f, ".state", fname);
	fd = openat(f->s->partfd, fname, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	err = read_all(fd, &buf, &len);
	close(fd);
	if (err)
		return err;
	hdr = malloc(hlen);
	if (!hdr) {
		err = -ENOMEM;
		goto free_buf;
	}
	state_hdr_fill(f, hdr);
	err = -EINVAL;
	if (len < hlen || memcmp(buf, hdr, hlen))
		goto free_hdr;
	err = p2pkp_bitmap_load(&f->held, (__u8 *)buf + hlen, len - hlen);
	if (err)
		goto free_hdr;
	if (f->held.nbits != p2pkp_blocks(f->size, f->block_size)) {
		p2pkp_bitmap_free(&f->held);
		err = -EINVAL;
	}
free_hdr:
	free(hdr);
free_buf:
	free(buf);
	return err;
}

static int write_all(int fd, const void *buf, size_t len)
{
	while (len) {
		ssize_t w = write(fd, buf, len);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		buf = (const char *)buf + w;
		len -= (size_t)w;
	}
	return 0;
}

/* Write buf as <key>.state: temporary file, fsync, rename over. */
static int state_write(struct p2pkp_rfile *f, const void *buf, size_t len)
{
	char tmp[KEY_FILE_LEN], fname[KEY_FILE_LEN];
	int fd, err;

	key_file(f, ".state.tmp", tmp);
	key_file(f, ".state", fname);
	fd = openat(f->s->partfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC,
		    PART_CREATE_MODE);
	if (fd < 0)
		return -errno;
	err = write_all(fd, buf, len);
	if (!err && fsync(fd))
		err = -errno;
	close(fd);
	if (!err && renameat(f->s->partfd, tmp, f->s->partfd, fname))
		err = -errno;
	if (err)
		unlinkat(f->s->partfd, tmp, 0);
	return err;
}

int p2pkp_rfile_save_state(struct p2pkp_rfile *f)
{
	size_t hlen, cap;
	__s64 ilen;
	__u8 *buf;
	int err;

	if (f->is_dir || f->done || !f->dirty || !f->held.nbits)
		return 0;
	/* The state must never claim a block that is not on disk. */
	if (fdatasync(f->fd))
		return -errno;
	hlen = state_hdr_size(f);
	cap = hlen + p2pkp_bitmap_image_size(&f->held);
	buf = malloc(cap);
	if (!buf)
		return -ENOMEM;
	state_hdr_fill(f, buf);
	ilen = p2pkp_bitmap_save(&f->held, buf + hlen, cap - hlen);
	if (ilen < 0) {
		err = (int)ilen;
		goto free_buf;
	}
	err = state_write(f, buf, hlen + (size_t)ilen);
	if (!err)
		f->dirty = false;
	else
		pr_warn("%s: cannot save resume state: %s\n", f->name, strerror(-err));
free_buf:
	free(buf);
	return err;
}

static void partial_remove_state(struct p2pkp_rfile *f)
{
	char fname[KEY_FILE_LEN];

	key_file(f, ".state", fname);
	unlinkat(f->s->partfd, fname, 0);
}

static void partial_remove(struct p2pkp_store *s, const char *key)
{
	char fname[KEY_FILE_LEN];

	snprintf(fname, sizeof(fname), "%s.part", key);
	unlinkat(s->partfd, fname, 0);
	snprintf(fname, sizeof(fname), "%s.state", key);
	unlinkat(s->partfd, fname, 0);
}

/* --- store ---------------------------------------------------------------- */

int p2pkp_store_open(const struct p2pkp_store_opts *opts, struct p2pkp_store **out)
{
	struct p2pkp_store *s;
	int err;

	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->overwrite = opts->overwrite;
	s->fsync = opts->fsync;
	s->buf = malloc(READBACK_BUF);
	if (!s->buf) {
		err = -ENOMEM;
		goto free_store;
	}
	s->dirfd = open(opts->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (s->dirfd < 0) {
		err = -errno;
		pr_warn("%s: cannot open output directory: %s\n", opts->dir, strerror(-err));
		goto free_buf;
	}
	if (mkdirat(s->dirfd, P2PKP_PARTIAL_DIR, 0700) && errno != EEXIST) {
		err = -errno;
		pr_warn("%s/%s: cannot create: %s\n", opts->dir, P2PKP_PARTIAL_DIR, strerror(-err));
		goto close_dir;
	}
	s->partfd = openat(s->dirfd, P2PKP_PARTIAL_DIR,
			   O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (s->partfd < 0) {
		err = -errno;
		pr_warn("%s/%s: cannot open (must be a directory, not a symlink): %s\n", opts->dir,
			P2PKP_PARTIAL_DIR, strerror(-err));
		goto close_dir;
	}
	*out = s;
	return 0;

close_dir:
	close(s->dirfd);
free_buf:
	free(s->buf);
free_store:
	free(s);
	return err;
}

void p2pkp_store_close(struct p2pkp_store *s)
{
	if (!s)
		return;
	close(s->partfd);
	close(s->dirfd);
	free(s->buf);
	free(s);
}

/* --- begin ---------------------------------------------------------------- */

static int refuse(const struct p2pkp_rfile_desc *d, __u16 *result, __u16 r, const char *why)
{
	pr_warn("%s: refused (%s): %s\n", d->name, p2pkp_result_name(r), why);
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

/*
 * CRC-32 (zlib's polynomial, computed by libdeflate's carry-less multiply:
 * 4x zlib here) of bytes [off, size) of fd, continuing from *crc; -errno on a
 * read error or short file.
 */
static int crc_fd(struct p2pkp_store *s, int fd, __u64 off, __u64 size, __u32 *crc)
{
	__u32 c = *crc;

	while (off < size) {
		size_t want = size - off < READBACK_BUF ? (size_t)(size - off) : READBACK_BUF;
		ssize_t r = pread(fd, s->buf, want, (off_t)off);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return r ? -errno : -EIO;
		c = libdeflate_crc32(c, s->buf, (size_t)r);
		off += (__u64)r;
	}
	*crc = c;
	return 0;
}

static __s64 stat_mtime_ns(const struct stat *st)
{
	return (__s64)st->st_mtim.tv_sec * 1000000000LL + st->st_mtim.tv_nsec;
}

/* Is the regular file base in pfd identical to d (size, mtime, then CRC)? */
static bool same_file(struct p2pkp_store *s, int pfd, const char *base,
		      const struct p2pkp_rfile_desc *d, const struct stat *st)
{
	__u32 crc = 0;
	bool same;
	int fd;

	if ((__u64)st->st_size != d->size || stat_mtime_ns(st) != d->mtime_ns)
		return false;
	fd = openat(pfd, base, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return false;
	same = !crc_fd(s, fd, 0, d->size, &crc) && crc == d->crc32;
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

	pfd = open_parent(s, d->name, false, &base);
	if (pfd == -ENOENT) {
		*result = P2PKP_R_OK;
		return 0;
	}
	if (pfd < 0)
		return refuse(d, result, path_result(pfd), path_reason(pfd));
	err = fstatat(pfd, base, &st, AT_SYMLINK_NOFOLLOW) ? -errno : 0;
	*result = P2PKP_R_OK;
	if (err == -ENOENT)
		goto close_parent;
	if (err) {
		refuse(d, result, P2PKP_R_IO, strerror(-err));
		goto close_parent;
	}
	if (S_ISDIR(st.st_mode))
		refuse(d, result, P2PKP_R_EXISTS, "a directory exists under that name");
	else if (S_ISREG(st.st_mode) && same_file(s, pfd, base, d, &st))
		*result = P2PKP_R_HAVE;
	else if (!s->overwrite)
		refuse(d, result, P2PKP_R_EXISTS,
		       S_ISREG(st.st_mode)
			       ? "a different file exists (no --overwrite)"
			       : "something else exists under that name (no --overwrite)");
close_parent:
	close(pfd);
	return 0;
}

/* Reserve the file's size now so that a full disk shows at begin, not mid-transfer. */
static int preallocate(int fd, __u64 size)
{
	if (ftruncate(fd, (off_t)size))
		return -errno;
	if (size && fallocate(fd, 0, 0, (off_t)size)) {
		if (errno == ENOSPC || errno == EDQUOT)
			return -ENOSPC;
		/* EOPNOTSUPP and friends: the sparse file from ftruncate will do. */
	}
	return 0;
}

/* Open the partial file and resume from its state, or start it over. */
static int open_partial(struct p2pkp_rfile *f)
{
	char fname[KEY_FILE_LEN];
	struct stat st;
	int err;

	key_file(f, ".part", fname);
	f->fd = openat(f->s->partfd, fname, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC,
		       PART_CREATE_MODE);
	if (f->fd < 0)
		return -errno;
	if (fstat(f->fd, &st))
		return -errno;
	if (!f->size) {
		err = p2pkp_bitmap_init(&f->held, 0);
		return err ?: ftruncate(f->fd, 0) ? -errno : 0;
	}
	if ((__u64)st.st_size == f->size)
		err = state_load(f);
	else
		err = st.st_size ? -EINVAL : -ENOENT;
	if (!err) {
		pr_debug("%s: resuming, %llu of %llu blocks held\n", f->name,
			 (unsigned long long)f->held.count, (unsigned long long)f->held.nbits);
		return preallocate(f->fd, f->size);
	}
	if (err == -ENOMEM)
		return err;
	if (err != -ENOENT)
		pr_debug("%s: resume state unusable (%s): starting over\n", f->name,
			 strerror(-err));
	/* Until the next save, no state may claim blocks of the old data. */
	partial_remove_state(f);
	err = p2pkp_bitmap_init(&f->held, p2pkp_blocks(f->size, f->block_size));
	if (err)
		return err;
	if (ftruncate(f->fd, 0))
		return -errno;
	return preallocate(f->fd, f->size);
}

static int begin_dir(struct p2pkp_rfile *f, __u16 *result)
{
	const char *base;
	struct stat st;
	int pfd, err = 0;

	pfd = open_parent(f->s, f->name, true, &base);
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
		return refuse(&(struct p2pkp_rfile_desc){.name = f->name}, result, P2PKP_R_EXISTS,
			      "something that is not a directory is in the way");
	return refuse(&(struct p2pkp_rfile_desc){.name = f->name}, result, path_result(pfd),
		      path_reason(pfd));
}

static void rfile_free(struct p2pkp_rfile *f)
{
	if (f->fd >= 0)
		close(f->fd);
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
	f->size = d->size;
	f->mode = d->mode;
	f->mtime_ns = d->mtime_ns;
	f->crc32 = d->crc32;
	f->block_size = d->block_size;
	f->is_dir = S_ISDIR(d->mode);
	make_key(d, f->key);
	return f;
}

static int begin_file(struct p2pkp_rfile *f, __u16 *result)
{
	const struct p2pkp_rfile_desc d = {.name = f->name};
	int err = open_partial(f);

	if (!err) {
		*result = P2PKP_R_OK;
		return 0;
	}
	if (err == -ENOMEM)
		return err;
	/* Keep what a resume would use; drop a fresh preallocated file. */
	if (!f->held.count)
		partial_remove(f->s, f->key);
	if (err == -ENOSPC)
		return refuse(&d, result, P2PKP_R_NO_SPACE, "not enough space for the file");
	return refuse(&d, result, P2PKP_R_IO, strerror(-err));
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
		return refuse(d, result, P2PKP_R_BAD_NAME, why);
	if (!S_ISREG(d->mode) && !S_ISDIR(d->mode))
		return refuse(d, result, P2PKP_R_BAD_NAME,
			      "neither a regular file nor a directory");
	if (S_ISREG(d->mode)) {
		err = check_target(s, d, result);
		if (err || *result != P2PKP_R_OK) {
			if (!err && *result == P2PKP_R_HAVE) {
				char key[KEY_LEN + 1];

				make_key(d, key);
				partial_remove(s, key);
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

	pfd = open_parent(f->s, f->name, false, &base);
	if (pfd < 0)
		return finish_warn(f, result, path_result(pfd), "cannot open parent", pfd);
	fd = open_beneath(f->s, pfd, base, O_RDONLY | O_DIRECTORY, 0);
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

	key_file(f, ".part", fname);
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

static int verify(struct p2pkp_rfile *f, __u16 *result)
{
	__u32 crc = f->crc_run;
	int err;

	if (fdatasync(f->fd))
		return finish_warn(f, result, P2PKP_R_IO, "cannot sync", -errno);
	err = crc_fd(f->s, f->fd, f->crc_upto, f->size, &crc);
	if (err)
		return finish_warn(f, result, P2PKP_R_IO, "cannot read back", err);
	if (crc == f->crc32) {
		*result = P2PKP_R_OK;
		return 0;
	}
	pr_warn("%s: CRC32 mismatch (got %08x, announced %08x): fetching it again\n", f->name, crc,
		f->crc32);
	p2pkp_bitmap_clear(&f->held);
	f->crc_upto = 0;
	f->crc_run = 0;
	f->dirty = true;
	/* Forget on disk too, so a resume does not trust the bad blocks. */
	partial_remove_state(f);
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
	err = apply_attrs(f->fd, f->mode, f->mtime_ns);
	if (err)
		return finish_warn(f, result, P2PKP_R_IO, "cannot set mode and mtime", err);
	if (f->s->fsync && fsync(f->fd))
		return finish_warn(f, result, P2PKP_R_IO, "cannot fsync", -errno);
	pfd = open_parent(f->s, f->name, true, &base);
	if (pfd < 0) {
		pr_warn("%s: cannot move into place: %s\n", f->name, path_reason(pfd));
		*result = path_result(pfd) == P2PKP_R_EXISTS ? P2PKP_R_EXISTS : P2PKP_R_IO;
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
		*result = path_result(err) == P2PKP_R_EXISTS ? P2PKP_R_EXISTS : P2PKP_R_IO;
		return 0;
	}
	f->done = true;
	partial_remove_state(f);
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
	p2pkp_rfile_save_state(f);
	rfile_free(f);
}

/* --- batched writes ------------------------------------------------------- */

struct p2pkp_wbatch *p2pkp_wbatch_new(void)
{
	return calloc(1, sizeof(struct p2pkp_wbatch));
}

void p2pkp_wbatch_free(struct p2pkp_wbatch *wb)
{
	free(wb);
}

void p2pkp_wbatch_stats(const struct p2pkp_wbatch *wb, struct p2pkp_wbatch_stats *st)
{
	*st = wb->st;
}

int p2pkp_wbatch_add(struct p2pkp_wbatch *wb, struct p2pkp_rfile *f, __u64 offset, const void *data,
		     __u32 len)
{
	struct wb_ent *e;

	if (!f || f->is_dir || f->done || f->fd < 0 || !f->block_size || offset >= f->size ||
	    offset % f->block_size ||
	    (__u64)len != (f->size - offset < f->block_size ? f->size - offset : f->block_size))
		return -EINVAL;
	/* The caller was told to flush: a misuse, not a bad block. */
	if (wb->n >= P2PKP_WBATCH_MAX)
		return -ENOBUFS;
	e = &wb->e[wb->n];
	e->f = f;
	e->offset = offset;
	e->data = data;
	e->len = len;
	wb->order[wb->n] = (__u16)wb->n;
	wb->n++;
	return wb->n == P2PKP_WBATCH_MAX;
}

static bool ent_before(const struct wb_ent *a, const struct wb_ent *b)
{
	if (a->f != b->f)
		return (uintptr_t)a->f < (uintptr_t)b->f;
	return a->offset < b->offset;
}

/* Insertion sort: payloads mostly arrive in order, so this is nearly linear. */
static void sort_batch(struct p2pkp_wbatch *wb)
{
	__u32 i, j;

	for (i = 1; i < wb->n; i++) {
		__u16 k = wb->order[i];

		for (j = i; j > 0 && ent_before(&wb->e[k], &wb->e[wb->order[j - 1]]); j--)
			wb->order[j] = wb->order[j - 1];
		wb->order[j] = k;
	}
}

/* pwritev the whole run, resuming after short writes. 0 or -errno. */
static int pwritev_all(int fd, struct iovec *iov, int cnt, __u64 off)
{
	while (cnt > 0) {
		ssize_t w = pwritev(fd, iov, cnt, (off_t)off);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (!w)
			return -EIO;
		off += (__u64)w;
		while (cnt > 0 && (size_t)w >= iov->iov_len) {
			w -= (ssize_t)iov->iov_len;
			iov++;
			cnt--;
		}
		if (cnt > 0) {
			iov->iov_base = (char *)iov->iov_base + w;
			iov->iov_len -= (size_t)w;
		}
	}
	return 0;
}

/* Carry the in-order CRC over a run just written, if the run starts where it stopped. */
static void crc_forward(struct p2pkp_wbatch *wb, __u32 from, __u32 to)
{
	struct p2pkp_rfile *f = wb->e[wb->order[from]].f;
	__u32 i;

	if (wb->e[wb->order[from]].offset != f->crc_upto)
		return;
	for (i = from; i < to; i++) {
		const struct wb_ent *e = &wb->e[wb->order[i]];

		f->crc_run = libdeflate_crc32(f->crc_run, e->data, e->len);
		f->crc_upto += e->len;
	}
}

/*
 * When a hole at crc_upto is filled, the blocks behind it that came early are
 * read back now, at most CATCH_UP_MAX per batch while data still flows, rather
 * than all at once in verify(). Bounded, because retransmissions arrive as many
 * short runs: a large read per run slowed the receiver into more loss. A failed
 * read leaves them to verify().
 */
static void crc_catch_up(struct p2pkp_rfile *f)
{
	__u64 b = f->crc_upto / f->block_size, end;
	ssize_t r;

	if (f->crc_upto >= f->size || f->crc_upto % f->block_size ||
	    !p2pkp_bitmap_test(&f->held, b))
		return;
	end = p2pkp_bitmap_next_missing(&f->held, b) * f->block_size;
	if (end > f->size)
		end = f->size;
	if (end - f->crc_upto > CATCH_UP_MAX)
		end = f->crc_upto + CATCH_UP_MAX;
	r = pread(f->fd, f->s->buf, (size_t)(end - f->crc_upto), (off_t)f->crc_upto);
	if (r <= 0)
		return;
	f->crc_run = libdeflate_crc32(f->crc_run, f->s->buf, (size_t)r);
	f->crc_upto += (__u64)r;
}

/* Write the run order[from, to) (one file, contiguous) and mark it held. */
static int write_run(struct p2pkp_wbatch *wb, __u32 from, __u32 to)
{
	struct wb_ent *first = &wb->e[wb->order[from]];
	struct p2pkp_rfile *f = first->f;
	__u64 bytes = 0;
	__u32 i, cnt = to - from;
	int err;

	for (i = 0; i < cnt; i++) {
		struct wb_ent *e = &wb->e[wb->order[from + i]];

		wb->iov[i].iov_base = (void *)e->data;
		wb->iov[i].iov_len = e->len;
		bytes += e->len;
	}
	wb->st.writes++;
	err = pwritev_all(f->fd, wb->iov, (int)cnt, first->offset);
	if (err) {
		if (!f->error)
			pr_warn("%s: write failed: %s\n", f->name, strerror(-err));
		f->error = f->error ?: err;
		return err;
	}
	crc_forward(wb, from, to);
	p2pkp_bitmap_set_range(&f->held, first->offset / f->block_size,
			       first->offset / f->block_size + cnt);
	f->dirty = true;
	wb->st.payloads += cnt;
	wb->st.bytes += bytes;
	return 0;
}

/*
 * Should e be written? Not for a failed file, nor a duplicate: a block held
 * already, or the same block as last (entries are sorted, so an in-batch
 * duplicate follows the copy that was kept).
 */
static bool ent_wanted(struct p2pkp_wbatch *wb, const struct wb_ent *e, const struct wb_ent *last)
{
	if (e->f->error || e->f->done)
		return false;
	if (p2pkp_bitmap_test(&e->f->held, e->offset / e->f->block_size) ||
	    (last && last->f == e->f && last->offset == e->offset)) {
		wb->st.duplicates++;
		return false;
	}
	return true;
}

int p2pkp_wbatch_flush(struct p2pkp_wbatch *wb)
{
	__u32 i, run = 0, kept = 0;
	int err, first_err = 0;

	sort_batch(wb);
	for (i = 0; i < wb->n; i++) {
		const struct wb_ent *last = kept ? &wb->e[wb->order[kept - 1]] : NULL;

		if (ent_wanted(wb, &wb->e[wb->order[i]], last))
			wb->order[kept++] = wb->order[i];
	}
	for (i = 1; i <= kept; i++) {
		const struct wb_ent *a = &wb->e[wb->order[i - 1]];
		const struct wb_ent *b = i < kept ? &wb->e[wb->order[i]] : NULL;

		if (b && b->f == a->f && b->offset == a->offset + a->len)
			continue;
		err = write_run(wb, run, i);
		if (err && !first_err)
			first_err = err;
		run = i;
	}
	if (kept)
		crc_catch_up(wb->e[wb->order[kept - 1]].f);
	wb->n = 0;
	return first_err;
}
