// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Batched writes: payloads are queued straight from the receive frames,
 * sorted by file and offset, and written with one pwritev() per contiguous
 * run; each run's block sums are then recorded (memory and .sums file)
 * and its blocks marked held.
 */
#include <endian.h>
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>

#include "log.h"
#include "store_priv.h"

struct wb_ent {
	struct p2pkp_rfile *f;
	__u64 offset;
	const void *data;
	__u32 len;
	__u64 sum; /* BLOCK_SUM, checked by the caller */
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
		     __u32 len, __u64 sum)
{
	struct wb_ent *e;

	if (!f || f->is_dir || f->fd < 0 || !f->block_size || offset >= f->size ||
	    offset % f->block_size ||
	    (__u64)len != (f->size - offset < f->block_size ? f->size - offset : f->block_size))
		return -EINVAL;
	/* Late copies of a published file's blocks: its fd is the published file now. */
	if (f->done) {
		wb->st.duplicates++;
		return 0;
	}
	/* The caller was told to flush: a misuse, not a bad block. */
	if (wb->n >= P2PKP_WBATCH_MAX)
		return -ENOBUFS;
	e = &wb->e[wb->n];
	e->f = f;
	e->offset = offset;
	e->data = data;
	e->len = len;
	e->sum = sum;
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

/* Write the run order[from, to) (one file, contiguous) and mark it held. */
static int write_run(struct p2pkp_wbatch *wb, __u32 from, __u32 to)
{
	struct wb_ent *first = &wb->e[wb->order[from]];
	struct p2pkp_rfile *f = first->f;
	__u64 bytes = 0, b0 = first->offset / f->block_size;
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
	/* Sums only of blocks written: a block is never marked held without its sum. */
	for (i = 0; i < cnt; i++)
		f->sums[b0 + i] = htobe64(wb->e[wb->order[from + i]].sum);
	err = store_pwrite_all(f->sums_fd, &f->sums[b0], cnt * sizeof(*f->sums),
			       b0 * sizeof(*f->sums));
	if (err) {
		if (!f->error)
			pr_warn("%s: cannot record block sums: %s\n", f->name, strerror(-err));
		f->error = f->error ?: err;
		return err;
	}
	p2pkp_bitmap_set_range(&f->held, b0, b0 + cnt);
	f->dirty = true;
	wb->st.payloads += cnt;
	wb->st.bytes += bytes;
	return 0;
}

/*
 * Should e be written? Not for a failed file, nor a duplicate: a block held
 * already (every block of a published file is), or the same block as last (entries are sorted, so an in-batch
 * duplicate follows the copy that was kept).
 */
static bool ent_wanted(struct p2pkp_wbatch *wb, const struct wb_ent *e, const struct wb_ent *last)
{
	if (e->f->error)
		return false;
	if (e->f->done || p2pkp_bitmap_test(&e->f->held, e->offset / e->f->block_size) ||
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
	wb->n = 0;
	return first_err;
}
