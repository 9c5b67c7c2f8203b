/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The receiver's side of the disk: files land under one output directory.
 * While incomplete a file lives in DIR/.p2pkp-partial/ (the receiver's own:
 * 0700, refused if anyone else could write it) with a state file (the bitmap
 * image of ranges.h) and the sums of the blocks held, which make it
 * resumable; one session at a time writes it (flock: others get LOCKED). It
 * appears under its final name only after the DIGEST over its block sums
 * matched, by an atomic rename, with its mode and mtime set. Names are
 * checked and resolved beneath DIR: absolute names, "..", and symlinks that
 * would lead out of DIR are refused.
 *
 * Writes are batched: payloads are queued straight from the receive frames
 * and written with one pwritev() per contiguous run; the caller gives the
 * frames back only after the batch is flushed.
 */
#ifndef P2PKP_FILESTORE_H
#define P2PKP_FILESTORE_H

#include <stdbool.h>
#include <sys/uio.h>
#include <linux/types.h>

#include "blocksum.h"
#include "ranges.h"

#define P2PKP_PARTIAL_DIR ".p2pkp-partial"

struct p2pkp_store_opts {
	const char *dir;     /* output directory; must exist */
	bool overwrite;	     /* replace an existing different file */
	bool fsync;	     /* make each file durable before it is reported complete */
	__u64 partial_ttl_s; /* at open, remove partials untouched this long; 0: never */
};

/* What the sender announced about one entry. */
struct p2pkp_rfile_desc {
	const char *name; /* relative, '/'-separated, NUL-terminated */
	__u64 size;
	__u32 mode; /* st_mode: S_IFREG or S_IFDIR plus permission bits */
	__s64 mtime_ns;
	__u8 digest[P2PKP_DIGEST_LEN]; /* DIGEST over the block sums (blocksum.h) */
	__u32 block_size;
};

struct p2pkp_store;
struct p2pkp_rfile;

/*
 * Open the store of opts->dir. -EPERM (one pr_warn line says why) if
 * DIR/.p2pkp-partial exists and is a symlink, not a directory, not ours, or
 * writable by group or others; other -errno if DIR cannot be opened.
 */
int p2pkp_store_open(const struct p2pkp_store_opts *opts, struct p2pkp_store **out);
void p2pkp_store_close(struct p2pkp_store *s);

/*
 * Get ready to receive d. *result (enum p2pkp_result) says what to tell the
 * sender: OK (send it; *out is set, with whatever an earlier attempt left
 * held and still matches its recorded sums on disk), HAVE (a file of the
 * same size and mtime whose DIGEST matches is already there: nothing to do),
 * LOCKED (another session, of this process or another, is writing this
 * file; nothing was touched), EXISTS, BAD_NAME, NO_SPACE (also for a size
 * that cannot be tracked: larger than the file system, out of memory for its
 * sums), IO (refused; one pr_warn line says why). Directories and empty files
 * complete at once with OK and need only p2pkp_rfile_finish().
 * Resuming reads back the blocks held, once: begin takes time in proportion.
 * Returns 0, or -errno for failures of the store itself (-EINVAL, -ENOMEM).
 */
int p2pkp_store_begin(struct p2pkp_store *s, const struct p2pkp_rfile_desc *d,
		      struct p2pkp_rfile **out, __u16 *result);
/* Blocks held so far; complete when every block of the file is held. */
const struct p2pkp_bitmap *p2pkp_rfile_held(const struct p2pkp_rfile *f);
const char *p2pkp_rfile_name(const struct p2pkp_rfile *f);

/*
 * Verify and publish a file whose blocks are all held: the DIGEST over the
 * recorded block sums must equal the announced one (nothing is read back);
 * on a match fdatasync (fsync if asked), set mode and mtime, rename into place
 * and drop the state and sums files. *result: OK, MISMATCH (every block
 * forgotten: it must be fetched again), INCOMPLETE, EXISTS, IO. Returns 0 or
 * -errno.
 */
int p2pkp_rfile_finish(struct p2pkp_rfile *f, __u16 *result);
/* Write the resume state (atomically); cheap enough to call every second. */
int p2pkp_rfile_save_state(struct p2pkp_rfile *f);
/*
 * Save state if incomplete, close (releasing the lock), free. The partial
 * file stays for resume, unless it holds no block at all.
 */
void p2pkp_rfile_close(struct p2pkp_rfile *f);

/* A batch of payload writes, at most P2PKP_WBATCH_MAX payloads. */
#define P2PKP_WBATCH_MAX 1024 /* IOV_MAX: a whole batch fits one pwritev */

struct p2pkp_wbatch_stats {
	__u64 writes;	  /* pwritev() calls */
	__u64 payloads;	  /* payloads written */
	__u64 bytes;	  /* bytes written */
	__u64 duplicates; /* payloads for blocks already held: not written */
};

struct p2pkp_wbatch;

struct p2pkp_wbatch *p2pkp_wbatch_new(void);
void p2pkp_wbatch_free(struct p2pkp_wbatch *wb);
/*
 * Queue one block: offset must be block-aligned and len the block's length.
 * The caller has checked sum == p2pkp_block_sum(offset, data, len); the sum
 * is recorded when the block is written. Returns 1 if the batch is now full
 * (flush it), 0 if queued, -EINVAL. For a published file (finished OK) it
 * queues nothing, counts a duplicate and returns 0: late copies are normal.
 */
int p2pkp_wbatch_add(struct p2pkp_wbatch *wb, struct p2pkp_rfile *f, __u64 offset, const void *data,
		     __u32 len, __u64 sum);
/*
 * Write everything queued, coalescing contiguous blocks of a file into one
 * pwritev(), record their sums, then mark them held. Blocks of a file
 * published meanwhile are duplicates. On a write error (ENOSPC, EIO) the file is
 * marked failed and the error returned; the other files' writes still happen.
 * After it returns, the queued data pointers are no longer used.
 */
int p2pkp_wbatch_flush(struct p2pkp_wbatch *wb);
/* -errno of the first write error of f, or 0. */
int p2pkp_rfile_error(const struct p2pkp_rfile *f);
void p2pkp_wbatch_stats(const struct p2pkp_wbatch *wb, struct p2pkp_wbatch_stats *st);

#endif /* P2PKP_FILESTORE_H */
