// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Paths beneath the output directory, resolved without following symbolic
 * links (openat2 RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS, or a component walk
 * with O_NOFOLLOW where openat2 is missing), as protocol.md 7.2 requires: a
 * link inside DIR can neither lead a write out of it nor be written through.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <linux/openat2.h>

#include "log.h"
#include "store_priv.h"
#include "wire.h"

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
int store_open_beneath(struct p2pkp_store *s, int dirfd, const char *path, int flags, mode_t mode)
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
	return store_open_beneath(s, cur, comp, O_RDONLY | O_DIRECTORY, 0);
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
int store_open_parent(struct p2pkp_store *s, const char *name, bool create, const char **base)
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
	fd = store_open_beneath(s, s->dirfd, dir, O_RDONLY | O_DIRECTORY, 0);
	if (fd == -ENOENT && create)
		fd = mkdir_beneath(s, dir);
	free(dir);
	return fd;
}

/* The result a failed path operation means for the sender. */
__u16 store_path_result(int err)
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

const char *store_path_reason(int err)
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
