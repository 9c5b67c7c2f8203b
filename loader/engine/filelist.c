// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The sender's list of entries: PATH arguments walked depth first, each
 * directory's entries in bytewise name order, a directory before what it
 * holds, so the list is the same on every run and receivers can create
 * directories before their files.
 *
 * Names: a PATH contributes its last component ("dir/" and "dir" are the
 * same: trailing slashes are ignored), then the path below it. A PATH whose
 * last component names no directory of its own, "." ".." or "/", contributes
 * its contents only, as `cp -r . DEST` does. A PATH that is itself a symlink
 * is followed (the user named it); symlinks met inside a walk are skipped.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "filelist.h"
#include "log.h"
#include "wire.h"

/* What a walk needs besides the list it fills. */
struct walk {
	struct p2pkp_filelist *fl;
	__u32 cap;
};

static __s64 mtime_ns(const struct stat *st)
{
	return (__s64)st->st_mtim.tv_sec * 1000000000LL + st->st_mtim.tv_nsec;
}

static char *join(const char *a, const char *b)
{
	char *s;

	if (!*a)
		return strdup(b);
	if (asprintf(&s, "%s%s%s", a, a[strlen(a) - 1] == '/' ? "" : "/", b) < 0)
		return NULL;
	return s;
}

/* Append one entry; takes ownership of name and path (even on failure). */
static int add_entry(struct walk *w, char *name, char *path, const struct stat *st)
{
	struct p2pkp_filelist *fl = w->fl;
	struct p2pkp_sfile *e;
	size_t len;

	if (!name || !path)
		goto nomem;
	len = strlen(name);
	if (len > P2PKP_MAX_NAME || p2pkp_name_check((const __u8 *)name, (__u32)len)) {
		pr_warn("%s: name %s for the receivers (%zu bytes; at most %d, no empty, '.' or "
			"'..' component)\n",
			path, len > P2PKP_MAX_NAME ? "too long" : "unusable", len, P2PKP_MAX_NAME);
		free(name);
		free(path);
		return -ENAMETOOLONG;
	}
	if (fl->n == w->cap) {
		__u32 cap = w->cap ? w->cap * 2 : 64;
		struct p2pkp_sfile *v = realloc(fl->v, cap * sizeof(*v));

		if (!v)
			goto nomem;
		fl->v = v;
		w->cap = cap;
	}
	e = &fl->v[fl->n++];
	e->name = name;
	e->path = path;
	e->mode = st->st_mode;
	e->size = S_ISREG(st->st_mode) ? (__u64)st->st_size : 0;
	e->mtime_ns = mtime_ns(st);
	memset(e->digest, 0, sizeof(e->digest));
	fl->total_bytes += e->size;
	return 0;

nomem:
	free(name);
	free(path);
	return -ENOMEM;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The names in directory fd (consumed), sorted; "." and ".." left out. */
static int read_names(int fd, const char *path, char ***out, size_t *n)
{
	size_t cap = 0, cnt = 0;
	char **v = NULL, **nv;
	struct dirent *de;
	int err = 0;
	DIR *d;

	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return -errno;
	}
	for (errno = 0; (de = readdir(d)); errno = 0) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (cnt == cap) {
			cap = cap ? cap * 2 : 32;
			nv = realloc(v, cap * sizeof(*v));
			if (!nv) {
				err = -ENOMEM;
				goto free_names;
			}
			v = nv;
		}
		v[cnt] = strdup(de->d_name);
		if (!v[cnt]) {
			err = -ENOMEM;
			goto free_names;
		}
		cnt++;
	}
	if (errno) {
		err = -errno;
		goto free_names;
	}
	closedir(d);
	if (cnt)
		qsort(v, cnt, sizeof(*v), cmp_str);
	*out = v;
	*n = cnt;
	return 0;

free_names:
	while (cnt)
		free(v[--cnt]);
	free(v);
	closedir(d);
	return err;
}

static int walk_dir(struct walk *w, int dfd, const char *path, const char *name);

/* One entry of a directory: add it, recurse into directories, skip the rest. */
static int walk_child(struct walk *w, int dfd, const char *dpath, const char *dname,
		      const char *child)
{
	char *path = join(dpath, child), *name;
	struct stat st;
	int fd, err;

	if (!path)
		return -ENOMEM;
	if (fstatat(dfd, child, &st, AT_SYMLINK_NOFOLLOW)) {
		err = -errno;
		pr_warn("%s: %s\n", path, strerror(-err));
		goto free_path;
	}
	if (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode)) {
		pr_warn("%s: skipped: %s\n", path,
			S_ISLNK(st.st_mode) ? "symbolic link" : "not a regular file or directory");
		err = 0;
		goto free_path;
	}
	if (S_ISREG(st.st_mode) && faccessat(dfd, child, R_OK, AT_EACCESS)) {
		err = -errno;
		pr_warn("%s: %s\n", path, strerror(-err));
		goto free_path;
	}
	name = join(dname, child);
	if (!S_ISDIR(st.st_mode))
		return add_entry(w, name, path, &st);
	fd = openat(dfd, child, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		err = -errno;
		pr_warn("%s: %s\n", path, strerror(-err));
		free(name);
		goto free_path;
	}
	err = add_entry(w, name, strdup(path), &st);
	if (!err)
		err = walk_dir(w, fd, path, w->fl->v[w->fl->n - 1].name);
	else
		close(fd);
free_path:
	free(path);
	return err;
}

/* Add what directory fd (consumed) holds; its entries are named dname/... */
static int walk_dir(struct walk *w, int fd, const char *path, const char *dname)
{
	char **names = NULL;
	size_t n = 0, i;
	int err;
	/* v may move while we add: keep our own copy of the prefix. */
	char *prefix = strdup(dname);

	if (!prefix) {
		close(fd);
		return -ENOMEM;
	}
	err = read_names(dup(fd), path, &names, &n);
	if (err) {
		if (err != -ENOMEM)
			pr_warn("%s: cannot read directory: %s\n", path, strerror(-err));
		goto close_dir;
	}
	for (i = 0; i < n && !err; i++)
		err = walk_child(w, fd, path, prefix, names[i]);
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
close_dir:
	close(fd);
	free(prefix);
	return err;
}

/*
 * The name a PATH argument gives its entry: its last component, trailing
 * slashes ignored; "" when that is ".", ".." or nothing (the root).
 */
static char *arg_name(const char *path)
{
	size_t end = strlen(path), start;

	while (end > 1 && path[end - 1] == '/')
		end--;
	start = end;
	while (start && path[start - 1] != '/')
		start--;
	if ((end - start == 1 && path[start] == '.') ||
	    (end - start == 2 && path[start] == '.' && path[start + 1] == '.') ||
	    (end - start == 1 && path[start] == '/'))
		return strdup("");
	return strndup(path + start, end - start);
}

static int walk_arg(struct walk *w, const char *path)
{
	char *name = arg_name(path);
	struct stat st;
	int fd, err;

	if (!name)
		return -ENOMEM;
	if (stat(path, &st)) {
		err = -errno;
		goto warn;
	}
	if (S_ISREG(st.st_mode)) {
		if (access(path, R_OK)) {
			err = -errno;
			goto warn;
		}
		return add_entry(w, name, strdup(path), &st);
	}
	if (!S_ISDIR(st.st_mode)) {
		pr_warn("%s: skipped: not a regular file or directory\n", path);
		free(name);
		return 0;
	}
	fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		err = -errno;
		goto warn;
	}
	if (*name) {
		err = add_entry(w, name, strdup(path), &st);
		if (err) {
			close(fd);
			return err;
		}
		name = NULL;
	}
	err = walk_dir(w, fd, path, name ? name : w->fl->v[w->fl->n - 1].name);
	free(name);
	return err;

warn:
	pr_warn("%s: %s\n", path, strerror(-err));
	free(name);
	return err;
}

static int cmp_entry_name(const void *a, const void *b)
{
	const struct p2pkp_sfile *x = *(const struct p2pkp_sfile *const *)a;
	const struct p2pkp_sfile *y = *(const struct p2pkp_sfile *const *)b;

	return strcmp(x->name, y->name);
}

/* Two entries with one name would overwrite each other on the receivers. */
static int check_duplicates(const struct p2pkp_filelist *fl)
{
	const struct p2pkp_sfile **v;
	int err = 0;
	__u32 i;

	if (fl->n < 2)
		return 0;
	v = malloc(fl->n * sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (i = 0; i < fl->n; i++)
		v[i] = &fl->v[i];
	qsort(v, fl->n, sizeof(*v), cmp_entry_name);
	for (i = 1; i < fl->n && !err; i++) {
		if (strcmp(v[i - 1]->name, v[i]->name))
			continue;
		pr_warn("%s and %s: both would be received as %s\n", v[i - 1]->path, v[i]->path,
			v[i]->name);
		err = -EEXIST;
	}
	free(v);
	return err;
}

int p2pkp_filelist_build(const char *const *paths, size_t npaths, struct p2pkp_filelist *out)
{
	struct walk w = {.fl = out};
	size_t i;
	int err = 0;

	memset(out, 0, sizeof(*out));
	for (i = 0; i < npaths && !err; i++)
		err = walk_arg(&w, paths[i]);
	if (!err)
		err = check_duplicates(out);
	if (err)
		p2pkp_filelist_free(out);
	return err;
}

void p2pkp_filelist_free(struct p2pkp_filelist *fl)
{
	__u32 i;

	for (i = 0; i < fl->n; i++) {
		free(fl->v[i].name);
		free(fl->v[i].path);
	}
	free(fl->v);
	memset(fl, 0, sizeof(*fl));
}
