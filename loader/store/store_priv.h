/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Inside the receiver's file store (filestore.h), shared by its parts:
 * filestore.c (open, begin, finish, publication), store_path.c (names
 * beneath DIR), store_dir.c (the partial directory and its collection),
 * store_partial.c (keys, locks, state and sums files, resume) and
 * store_wbatch.c (batched writes).
 */
#ifndef P2PKP_STORE_PRIV_H
#define P2PKP_STORE_PRIV_H

#include <stdbool.h>
#include <stdio.h>
#include <linux/types.h>

#include "blocksum.h"
#include "filestore.h"
#include "ranges.h"

#define KEY_LEN		 16 /* hex digits of a 64-bit hash */
#define KEY_FILE_LEN	 (KEY_LEN + sizeof(".state.tmp"))
#define MODE_BITS	 01777 /* permissions and sticky; no setuid/setgid */
#define DIR_CREATE_MODE	 0755
#define PART_CREATE_MODE 0600
#define PART_DIR_MODE	 0700

struct p2pkp_store {
	int dirfd;  /* the output directory */
	int partfd; /* DIR/.p2pkp-partial, checked ours; -1 while it does not exist */
	char *dir;  /* for messages */
	bool overwrite;
	bool fsync;
	bool no_openat2; /* openat2 said ENOSYS once: walk components */
};

struct p2pkp_rfile {
	struct p2pkp_store *s;
	char *name;
	__u64 size;
	__u32 mode;
	__s64 mtime_ns;
	__u8 digest[P2PKP_DIGEST_LEN];
	__u32 block_size;
	bool is_dir;
	bool dirty;   /* held changed since the state was saved */
	bool done;    /* published: never written again, nothing left in the partial directory */
	int fd;	      /* the .part file, flock()ed until close; -1 for directories */
	int sums_fd;  /* the .sums file, -1 for directories and empty files */
	int error;    /* first write error, -errno */
	__be64 *sums; /* recorded BLOCK_SUM of each block, as in the .sums file */
	char key[KEY_LEN + 1];
	struct p2pkp_bitmap held;
};

/* store_path.c: every path beneath DIR, never through a symbolic link. */
int store_open_beneath(struct p2pkp_store *s, int dirfd, const char *path, int flags, mode_t mode);
int store_open_parent(struct p2pkp_store *s, const char *name, bool create, const char **base);
__u16 store_path_result(int err);
const char *store_path_reason(int err);

/* store_dir.c: the partial directory, and removing a key's files from it. */
int partdir_open(struct p2pkp_store *s, bool create);
void partdir_release(struct p2pkp_store *s);
void partdir_collect(struct p2pkp_store *s, __u64 ttl_s);
void partial_unlink(struct p2pkp_store *s, const char *key, bool with_part);
void partial_remove_unused(struct p2pkp_store *s, const char *key);

/* store_partial.c: one file's partial. */
void partial_make_key(const struct p2pkp_rfile_desc *d, char *key);
int partial_open(struct p2pkp_rfile *f);
void partial_forget(struct p2pkp_rfile *f);

/* The name of key's file with extension ext (".part", ".state", ...). */
static inline void store_key_file(const char *key, const char *ext, char *out)
{
	snprintf(out, KEY_FILE_LEN, "%s%s", key, ext);
}

/* 0 or -errno, resuming after short writes and EINTR. */
int store_pwrite_all(int fd, const void *buf, size_t len, __u64 off);

#endif /* P2PKP_STORE_PRIV_H */
