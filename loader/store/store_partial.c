// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The partial directory, DIR/.p2pkp-partial, is the receiver's own: created
 * 0700 when a file first needs it, refused unless it is a directory of ours
 * that nobody else may write, removed whenever it is left empty. For each
 * file being received it holds, all 0600:
 *
 *   <key>.part   the data at each block's offset. The one session writing
 *                it holds flock(LOCK_EX) on it from begin to close: a second
 *                session (process, or store in this process) gets LOCKED.
 *   <key>.state  identity and bitmap image of the blocks held (protocol.md
 *                14.3), saved only after the data it claims was fdatasync()ed.
 *   <key>.sums   BLOCK_SUM of every block, __be64 at 8 * block. Not synced:
 *                a resume re-reads every claimed block and checks it.
 *
 * <key> is a 64-bit FNV-1a hash of (name, size, mtime, digest, block size):
 * a new session announcing the same file finds its partial, a changed file
 * (or another block size) does not, and leaves the old one to the
 * collection of partials nobody touched for partial_ttl_s (store_dir.c).
 */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/file.h>
#include <sys/stat.h>

#include "filesum.h"
#include "log.h"
#include "store_priv.h"
#include "wire.h"

#define STATE_MAGIC   "P2PKPST2"
#define STATE_HDR_LEN (8 + 8 + 8 + P2PKP_DIGEST_LEN + 4 + 4) /* magic size mtime digest bs nlen */
#define LOCK_TRIES    4 /* reopens when the locked .part was renamed or removed meanwhile */

/* --- identity and state file ---------------------------------------------------- */

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

void partial_make_key(const struct p2pkp_rfile_desc *d, char *key)
{
	__u8 id[8 + 8 + P2PKP_DIGEST_LEN + 4];
	__u64 h;

	put_be(id, d->size, 8);
	put_be(id + 8, (__u64)d->mtime_ns, 8);
	memcpy(id + 16, d->digest, P2PKP_DIGEST_LEN);
	put_be(id + 16 + P2PKP_DIGEST_LEN, d->block_size, 4);
	h = fnv1a64(0xcbf29ce484222325ULL, d->name, strlen(d->name) + 1);
	h = fnv1a64(h, id, sizeof(id));
	snprintf(key, KEY_LEN + 1, "%016llx", (unsigned long long)h);
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
	memcpy(p + 24, f->digest, P2PKP_DIGEST_LEN);
	put_be(p + 24 + P2PKP_DIGEST_LEN, f->block_size, 4);
	put_be(p + 28 + P2PKP_DIGEST_LEN, nlen, 4);
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
 * Load the held blocks from <key>.state into f->held (replacing the empty
 * bitmap). 0, or -errno when there is no usable state.
 */
static int state_load(struct p2pkp_rfile *f)
{
	size_t hlen = state_hdr_size(f), len = 0;
	char fname[KEY_FILE_LEN];
	struct p2pkp_bitmap bm;
	void *buf = NULL;
	__u8 *hdr;
	int fd, err;

	store_key_file(f->key, ".state", fname);
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
	err = p2pkp_bitmap_load(&bm, (__u8 *)buf + hlen, len - hlen);
	if (err)
		goto free_hdr;
	if (bm.nbits != f->held.nbits) {
		p2pkp_bitmap_free(&bm);
		err = -EINVAL;
		goto free_hdr;
	}
	p2pkp_bitmap_free(&f->held);
	f->held = bm;
free_hdr:
	free(hdr);
free_buf:
	free(buf);
	return err;
}

int store_pwrite_all(int fd, const void *buf, size_t len, __u64 off)
{
	while (len) {
		ssize_t w = pwrite(fd, buf, len, (off_t)off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -errno;
		if (!w)
			return -EIO;
		buf = (const char *)buf + w;
		len -= (size_t)w;
		off += (__u64)w;
	}
	return 0;
}

/* Write buf as <key>.state: temporary file, fsync, rename over. */
static int state_write(struct p2pkp_rfile *f, const void *buf, size_t len)
{
	char tmp[KEY_FILE_LEN], fname[KEY_FILE_LEN];
	int fd, err;

	store_key_file(f->key, ".state.tmp", tmp);
	store_key_file(f->key, ".state", fname);
	fd = openat(f->s->partfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC,
		    PART_CREATE_MODE);
	if (fd < 0)
		return -errno;
	err = store_pwrite_all(fd, buf, len, 0);
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

/*
 * MISMATCH: no state may claim the bad blocks. The .sums file may keep
 * their old sums: nothing claims those blocks any more, and each block
 * written again records its new sum before a state can claim it.
 */
void partial_forget(struct p2pkp_rfile *f)
{
	char fname[KEY_FILE_LEN];

	store_key_file(f->key, ".state", fname);
	unlinkat(f->s->partfd, fname, 0);
}

/* --- opening a partial ------------------------------------------------------------ */

/* Recorded sums into f->sums; what the file lacks stays 0, "no sum". */
static void sums_load(struct p2pkp_rfile *f)
{
	size_t len = (size_t)f->held.nbits * sizeof(*f->sums), done = 0;

	while (done < len) {
		ssize_t r = pread(f->sums_fd, (char *)f->sums + done, len - done, (off_t)done);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		done += (size_t)r;
	}
}

/*
 * Resume trusts nothing local: every block the state claims is read again
 * and kept only if its BLOCK_SUM equals the sum recorded when it was written
 * (a crash may have lost a sum, which is never synced; a block changed on
 * disk no longer matches). A partial planted with data, sums and state that
 * agree with each other passes this check by design: its wrong blocks fail
 * the DIGEST at finish (MISMATCH), and the file is fetched again.
 */
static int resume_check(struct p2pkp_rfile *f, __u64 *dropped)
{
	__u64 n = f->held.nbits, window = P2PKP_FILESUM_WINDOW / f->block_size ?: 1;
	__u64 b, end, cnt, i;
	struct p2pkp_bitmap ok;
	__be64 *buf;
	int err;

	if (window > n)
		window = n;
	buf = malloc((window ?: 1) * sizeof(*buf));
	if (!buf)
		return -ENOMEM;
	err = p2pkp_bitmap_init(&ok, n);
	if (err)
		goto free_buf;
	b = p2pkp_bitmap_next_held(&f->held, 0);
	while (b < n) {
		end = p2pkp_bitmap_next_missing(&f->held, b);
		for (; b < end; b += cnt) {
			cnt = end - b < window ? end - b : window;
			err = p2pkp_file_block_sums(f->fd, f->size, f->block_size, b, cnt, 0, buf);
			if (err)
				goto free_ok;
			for (i = 0; i < cnt; i++) {
				if (f->sums[b + i] && buf[i] == f->sums[b + i])
					p2pkp_bitmap_set(&ok, b + i);
				else
					f->sums[b + i] = 0;
			}
		}
		b = p2pkp_bitmap_next_held(&f->held, end);
	}
	*dropped = f->held.count - ok.count;
	p2pkp_bitmap_free(&f->held);
	f->held = ok;
	free(buf);
	return 0;

free_ok:
	p2pkp_bitmap_free(&ok);
free_buf:
	free(buf);
	return err;
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

/*
 * Open <key>.part and become its one owner: the lock comes before anything
 * reads or changes the file. Then check that the inode locked is still the
 * one at that name: its previous owner may have published (renamed) it, or
 * a collection removed it, between our open and our lock. 0 (f->fd set),
 * -EWOULDBLOCK (a live session holds it), -errno.
 */
static int part_lock_open(struct p2pkp_rfile *f)
{
	struct p2pkp_store *s = f->s;
	char fname[KEY_FILE_LEN];
	bool remade = false;
	struct stat st, at;
	int tries, fd, err;

	store_key_file(f->key, ".part", fname);
	for (tries = 0; tries < LOCK_TRIES; tries++) {
		fd = openat(s->partfd, fname, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC,
			    PART_CREATE_MODE);
		if (fd < 0) {
			err = -errno;
			/* Another session removed the directory, empty, after we opened it. */
			if (err != -ENOENT || remade)
				return err;
			remade = true;
			err = partdir_open(s, true);
			if (err)
				return err;
			continue;
		}
		if (flock(fd, LOCK_EX | LOCK_NB) || fstat(fd, &st)) {
			err = -errno;
			close(fd);
			return err;
		}
		if (!fstatat(s->partfd, fname, &at, AT_SYMLINK_NOFOLLOW) &&
		    at.st_ino == st.st_ino && at.st_dev == st.st_dev) {
			if (!S_ISREG(st.st_mode)) {
				close(fd);
				return -EINVAL;
			}
			f->fd = fd;
			return 0;
		}
		close(fd);
	}
	return -EBUSY;
}

/*
 * Open and lock the partial file and resume from its state, or start it
 * over. f->held and f->sums are allocated (empty) by the caller.
 */
int partial_open(struct p2pkp_rfile *f)
{
	__u64 n = f->held.nbits, dropped = 0;
	char fname[KEY_FILE_LEN];
	struct stat st;
	int err;

	err = part_lock_open(f);
	if (err)
		return err;
	if (fstat(f->fd, &st))
		return -errno;
	if (!f->size)
		return ftruncate(f->fd, 0) ? -errno : 0;
	store_key_file(f->key, ".sums", fname);
	f->sums_fd = openat(f->s->partfd, fname, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC,
			    PART_CREATE_MODE);
	if (f->sums_fd < 0)
		return -errno;
	if ((__u64)st.st_size == f->size)
		err = state_load(f);
	else
		err = st.st_size ? -EINVAL : -ENOENT;
	if (!err) {
		sums_load(f);
		err = resume_check(f, &dropped);
		if (err)
			return err;
		if (dropped) {
			pr_info("%s: %llu resumed blocks do not match their recorded sums: fetching them again\n",
				f->name, (unsigned long long)dropped);
			f->dirty = true;
		}
		pr_debug("%s: resuming, %llu of %llu blocks held\n", f->name,
			 (unsigned long long)f->held.count, (unsigned long long)n);
		err = preallocate(f->fd, f->size);
		return err ?: preallocate(f->sums_fd, n * sizeof(*f->sums));
	}
	if (err == -ENOMEM)
		return err;
	if (err != -ENOENT)
		pr_debug("%s: resume state unusable (%s): starting over\n", f->name,
			 strerror(-err));
	/* Until the next save, no state may claim blocks of the old data. */
	partial_forget(f);
	if (ftruncate(f->fd, 0) || ftruncate(f->sums_fd, 0))
		return -errno;
	err = preallocate(f->fd, f->size);
	return err ?: preallocate(f->sums_fd, n * sizeof(*f->sums));
}
