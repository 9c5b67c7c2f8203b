// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <endian.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

#include "filesum.h"
#include "wire.h"

/* About half an L2 per read: each block is summed while it is still in cache. */
#define CHUNK (1u << 20)

/* Blocks [first, first + count) of the file, summed into out[0..count). */
struct slice {
	int fd;
	__u64 size;
	__u32 bs;
	__u64 first, count;
	__be64 *out;
	int err;
};

static int pread_full(int fd, __u8 *buf, size_t len, __u64 off)
{
	while (len) {
		ssize_t r = pread(fd, buf, len, (off_t)off);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (!r)
			return -ENODATA;
		buf += r;
		len -= (size_t)r;
		off += (__u64)r;
	}
	return 0;
}

static void sum_slice(struct slice *sl)
{
	__u64 per = CHUNK / sl->bs ?: 1, b = sl->first, end = sl->first + sl->count;
	__u8 *buf = malloc(per * sl->bs);

	if (!buf) {
		sl->err = -ENOMEM;
		return;
	}
	while (b < end) {
		__u64 nb = end - b < per ? end - b : per, off = b * sl->bs, i;
		__u64 len = sl->size - off < nb * sl->bs ? sl->size - off : nb * sl->bs;

		sl->err = pread_full(sl->fd, buf, (size_t)len, off);
		if (sl->err)
			break;
		for (i = 0; i < nb; i++) {
			__u64 boff = i * sl->bs;
			__u64 blen = len - boff < sl->bs ? len - boff : sl->bs;

			sl->out[b - sl->first + i] =
				htobe64(p2pkp_block_sum(off + boff, buf + boff, (size_t)blen));
		}
		b += nb;
	}
	free(buf);
}

static void *slice_thread(void *arg)
{
	sum_slice(arg);
	return NULL;
}

static unsigned int threads_for(__u64 bytes, __u64 blocks, unsigned int nthreads)
{
	long cpus;

	if (!nthreads) {
		cpus = sysconf(_SC_NPROCESSORS_ONLN);
		nthreads = cpus > 0 ? (unsigned int)cpus : 1;
	}
	if (nthreads > P2PKP_FILESUM_MAX_THREADS)
		nthreads = P2PKP_FILESUM_MAX_THREADS;
	while (nthreads > 1 &&
	       (bytes / nthreads < P2PKP_FILESUM_SPLIT_MIN / 2 || blocks < nthreads))
		nthreads--;
	return nthreads;
}

int p2pkp_file_block_sums(int fd, __u64 size, __u32 block_size, __u64 first, __u64 count,
			  unsigned int nthreads, __be64 *out)
{
	struct slice sl[P2PKP_FILESUM_MAX_THREADS];
	pthread_t tid[P2PKP_FILESUM_MAX_THREADS];
	unsigned int n, started, i;
	__u64 nblocks, bytes, per;
	int err = 0;

	if (!block_size)
		return -EINVAL;
	nblocks = p2pkp_blocks(size, block_size);
	if (first > nblocks || count > nblocks - first)
		return -EINVAL;
	if (!count)
		return 0;
	/* Only the file's last block may be short; (first + count) * block_size could overflow. */
	bytes = (first + count == nblocks ? size : (first + count) * block_size) -
		first * block_size;
	n = threads_for(bytes, count, nthreads);
	per = count / n;
	for (i = 0; i < n; i++)
		sl[i] = (struct slice){
			.fd = fd,
			.size = size,
			.bs = block_size,
			.first = first + per * i,
			.count = i + 1 < n ? per : count - per * i,
			.out = out + per * i,
		};
	/* Slice 0 is ours; a thread that cannot start leaves its slice to us too. */
	for (started = 1; started < n; started++)
		if (pthread_create(&tid[started], NULL, slice_thread, &sl[started]))
			break;
	sum_slice(&sl[0]);
	for (i = started; i < n; i++)
		sum_slice(&sl[i]);
	for (i = 1; i < started; i++)
		pthread_join(tid[i], NULL);
	for (i = 0; i < n && !err; i++)
		err = sl[i].err;
	return err;
}

int p2pkp_file_digest(int fd, __u64 size, __u32 block_size, unsigned int nthreads,
		      __u8 out[P2PKP_DIGEST_LEN])
{
	struct p2pkp_digest *dg;
	__u64 nblocks, window, b;
	__be64 *sums;
	int err = 0;

	if (!size) {
		p2pkp_digest_of(NULL, 0, out);
		return 0;
	}
	if (!block_size)
		return -EINVAL;
	nblocks = p2pkp_blocks(size, block_size);
	window = P2PKP_FILESUM_WINDOW / block_size ?: 1;
	if (window > nblocks)
		window = nblocks;
	sums = malloc(window * sizeof(*sums));
	if (!sums)
		return -ENOMEM;
	dg = p2pkp_digest_new();
	if (!dg) {
		err = -ENOMEM;
		goto free_sums;
	}
	/* Threads sum a window; this thread feeds it to the digest in order. */
	for (b = 0; b < nblocks && !err; b += window) {
		__u64 cnt = nblocks - b < window ? nblocks - b : window;

		err = p2pkp_file_block_sums(fd, size, block_size, b, cnt, nthreads, sums);
		if (!err)
			p2pkp_digest_add(dg, sums, cnt);
	}
	if (!err)
		p2pkp_digest_final(dg, out);
	p2pkp_digest_free(dg);
free_sums:
	free(sums);
	return err;
}
