// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The partial directory itself (layout: store_partial.c): its ownership
 * checks, its removal when empty, removing one key's files, and the
 * collection of partials nobody touched for partial_ttl_s.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/file.h>
#include <sys/stat.h>

#include "log.h"
#include "store_priv.h"

/* Everything a key may own; the .part last, so an interrupted removal leaves it collectable. */
static const char *const key_exts[] = {".state", ".state.tmp", ".sums", ".part"};

/* -EPERM with one line saying why, if st is not a directory only we may write. */
static int partdir_refuse(const struct p2pkp_store *s, const struct stat *st)
{
	const char *what;

	if (S_ISLNK(st->st_mode) || !S_ISDIR(st->st_mode)) {
		pr_warn("%s/%s is %s: refusing to use it\n", s->dir, P2PKP_PARTIAL_DIR,
			S_ISLNK(st->st_mode) ? "a symbolic link" : "not a directory");
		return -EPERM;
	}
	if (st->st_uid != geteuid()) {
		pr_warn("%s/%s is owned by uid %u, not by us (uid %u): refusing to use it\n",
			s->dir, P2PKP_PARTIAL_DIR, (unsigned int)st->st_uid,
			(unsigned int)geteuid());
		return -EPERM;
	}
	if (st->st_mode & S_IWOTH)
		what = "writable by others";
	else if (st->st_mode & S_IWGRP)
		what = "writable by its group";
	else
		return 0;
	pr_warn("%s/%s is %s (mode 0%o): refusing to use it\n", s->dir, P2PKP_PARTIAL_DIR, what,
		(unsigned int)(st->st_mode & 07777));
	return -EPERM;
}

/*
 * (Re)open DIR/.p2pkp-partial into s->partfd, creating it if create. The
 * checks are on the opened fd, so what is checked is what is used. 0 (with
 * partfd -1 if it does not exist and !create), -EPERM (not ours), -errno.
 */
int partdir_open(struct p2pkp_store *s, bool create)
{
	struct stat st;
	int fd, err;

	if (s->partfd >= 0)
		close(s->partfd);
	s->partfd = -1;
	if (create && mkdirat(s->dirfd, P2PKP_PARTIAL_DIR, PART_DIR_MODE) && errno != EEXIST) {
		err = -errno;
		pr_warn("%s/%s: cannot create: %s\n", s->dir, P2PKP_PARTIAL_DIR, strerror(-err));
		return err;
	}
	fd = openat(s->dirfd, P2PKP_PARTIAL_DIR, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		err = -errno;
		if (err == -ENOENT && !create)
			return 0;
		/* ELOOP, ENOTDIR or EACCES: say why in words when it is not ours. */
		if (!fstatat(s->dirfd, P2PKP_PARTIAL_DIR, &st, AT_SYMLINK_NOFOLLOW) &&
		    partdir_refuse(s, &st))
			return -EPERM;
		pr_warn("%s/%s: cannot open: %s\n", s->dir, P2PKP_PARTIAL_DIR, strerror(-err));
		return err;
	}
	if (fstat(fd, &st)) {
		err = -errno;
		close(fd);
		return err;
	}
	err = partdir_refuse(s, &st);
	if (err) {
		close(fd);
		return err;
	}
	s->partfd = fd;
	return 0;
}

/*
 * Remove the partial directory if it is empty, so a finished transfer
 * leaves nothing behind. While any partial is in it (ours or another
 * session's) rmdir fails, harmlessly. Another session may just have opened
 * it to create a partial: its create fails with ENOENT and it makes the
 * directory again (partial_open).
 */
void partdir_release(struct p2pkp_store *s)
{
	if (s->partfd < 0 || unlinkat(s->dirfd, P2PKP_PARTIAL_DIR, AT_REMOVEDIR))
		return;
	close(s->partfd);
	s->partfd = -1;
}

/* Is name one of a key's files? Then copy the key. */
static bool key_of(const char *name, char *key)
{
	size_t i;

	for (i = 0; i < KEY_LEN; i++)
		if (!name[i] || !strchr("0123456789abcdef", name[i]))
			return false;
	for (i = 0; i < sizeof(key_exts) / sizeof(key_exts[0]); i++) {
		if (!strcmp(name + KEY_LEN, key_exts[i])) {
			memcpy(key, name, KEY_LEN);
			key[KEY_LEN] = 0;
			return true;
		}
	}
	return false;
}

/* Was any file of key modified after cutoff (seconds, CLOCK_REALTIME)? */
static bool key_fresh(const struct p2pkp_store *s, const char *key, time_t cutoff)
{
	char fname[KEY_FILE_LEN];
	struct stat st;
	size_t i;

	for (i = 0; i < sizeof(key_exts) / sizeof(key_exts[0]); i++) {
		store_key_file(key, key_exts[i], fname);
		if (!fstatat(s->partfd, fname, &st, AT_SYMLINK_NOFOLLOW) && st.st_mtime > cutoff)
			return true;
	}
	return false;
}

void partial_unlink(struct p2pkp_store *s, const char *key, bool with_part)
{
	char fname[KEY_FILE_LEN];
	size_t i;

	for (i = 0; i < sizeof(key_exts) / sizeof(key_exts[0]); i++) {
		if (!with_part && !strcmp(key_exts[i], ".part"))
			continue;
		store_key_file(key, key_exts[i], fname);
		unlinkat(s->partfd, fname, 0);
	}
}

/*
 * Lock key's existing .part without waiting: its fd, or -1 if there is none,
 * a live session holds it, or the name no longer leads to the inode locked.
 */
static int lock_existing(struct p2pkp_store *s, const char *key)
{
	char fname[KEY_FILE_LEN];
	struct stat st, at;
	int fd;

	store_key_file(key, ".part", fname);
	fd = openat(s->partfd, fname, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return -1;
	if (flock(fd, LOCK_EX | LOCK_NB) || fstat(fd, &st) ||
	    fstatat(s->partfd, fname, &at, AT_SYMLINK_NOFOLLOW) || at.st_ino != st.st_ino ||
	    at.st_dev != st.st_dev) {
		close(fd);
		return -1;
	}
	return fd;
}

/* The partial of a file we have whole already: gone, unless a session is writing it. */
void partial_remove_unused(struct p2pkp_store *s, const char *key)
{
	int fd;

	if (s->partfd < 0)
		return;
	fd = lock_existing(s, key);
	if (fd < 0)
		return;
	partial_unlink(s, key, true);
	close(fd);
	partdir_release(s);
}

/* Remove key's files if untouched since cutoff and not locked. true if removed. */
static bool collect_key(struct p2pkp_store *s, const char *key, time_t cutoff)
{
	char fname[KEY_FILE_LEN];
	int fd;

	if (key_fresh(s, key, cutoff))
		return false;
	store_key_file(key, ".part", fname);
	fd = lock_existing(s, key);
	if (fd < 0 && !faccessat(s->partfd, fname, F_OK, AT_SYMLINK_NOFOLLOW))
		return false; /* a live session's, or changing hands right now */
	/* Touched between the look and the lock: in use again. */
	if (key_fresh(s, key, cutoff)) {
		if (fd >= 0)
			close(fd);
		return false;
	}
	/* Without a .part (a crash while publishing), never unlink one we have not locked. */
	partial_unlink(s, key, fd >= 0);
	if (fd >= 0)
		close(fd);
	return true;
}

static int cmp_key(const void *a, const void *b)
{
	return memcmp(a, b, KEY_LEN + 1);
}

/*
 * Remove the partials nobody touched for ttl_s seconds: files changed at
 * the sender, transfers given up. A partial whose .part is locked belongs
 * to a live session and stays, however old.
 */
void partdir_collect(struct p2pkp_store *s, __u64 ttl_s)
{
	char(*keys)[KEY_LEN + 1] = NULL, key[KEY_LEN + 1];
	time_t now = time(NULL), cutoff;
	size_t n = 0, cap = 0, i;
	struct dirent *de;
	DIR *d;
	int fd;

	if (ttl_s >= (__u64)now)
		return; /* nothing can be that old */
	cutoff = now - (time_t)ttl_s;
	fd = openat(s->partfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return;
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return;
	}
	while ((de = readdir(d))) {
		if (!key_of(de->d_name, key))
			continue;
		if (n == cap) {
			void *k = realloc(keys, (cap = cap ? 2 * cap : 16) * sizeof(*keys));

			if (!k)
				break;
			keys = k;
		}
		memcpy(keys[n++], key, sizeof(key));
	}
	closedir(d);
	if (!n)
		return;
	qsort(keys, n, sizeof(*keys), cmp_key);
	for (i = 0; i < n; i++) {
		if (i && !cmp_key(keys[i - 1], keys[i]))
			continue;
		if (collect_key(s, keys[i], cutoff))
			pr_info("%s/%s: removed partial %s, untouched for over %llu s\n", s->dir,
				P2PKP_PARTIAL_DIR, keys[i], (unsigned long long)ttl_s);
	}
	free(keys);
}
