// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <libdeflate.h>
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>
#include <zlib.h>

#include "filecrc.h"

/* Half an L2: each read lands in cache for the CRC that follows it. */
#define CHUNK (1u << 20)

struct segment {
	int fd;
	__u64 off, len;
	__u32 crc;
	int err;
};

static void sum_segment(struct segment *sg)
{
	__u8 *buf = malloc(CHUNK);
	__u64 off = sg->off, end = sg->off + sg->len;
	__u32 crc = 0;
	ssize_t n;

	if (!buf) {
		sg->err = -ENOMEM;
		return;
	}
	while (off < end) {
		n = pread(sg->fd, buf, end - off < CHUNK ? (size_t)(end - off) : CHUNK, (off_t)off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			sg->err = n ? -errno : -ENODATA;
			break;
		}
		crc = libdeflate_crc32(crc, buf, (size_t)n);
		off += (__u64)n;
	}
	free(buf);
	sg->crc = crc;
}

static void *segment_thread(void *arg)
{
	sum_segment(arg);
	return NULL;
}

static unsigned int threads_for(__u64 size, unsigned int nthreads)
{
	long cpus;

	if (!nthreads) {
		cpus = sysconf(_SC_NPROCESSORS_ONLN);
		nthreads = cpus > 0 ? (unsigned int)cpus : 1;
	}
	if (nthreads > P2PKP_FILECRC_MAX_THREADS)
		nthreads = P2PKP_FILECRC_MAX_THREADS;
	while (nthreads > 1 && size / nthreads < P2PKP_FILECRC_SPLIT_MIN / 2)
		nthreads--;
	return nthreads;
}

int p2pkp_filecrc(int fd, __u64 size, unsigned int nthreads, __u32 *crc)
{
	struct segment sg[P2PKP_FILECRC_MAX_THREADS];
	pthread_t tid[P2PKP_FILECRC_MAX_THREADS];
	unsigned int n = threads_for(size, nthreads), started, i;
	int err = 0;

	for (i = 0; i < n; i++)
		sg[i] = (struct segment){
			.fd = fd,
			.off = size / n * i,
			.len = i + 1 < n ? size / n : size - size / n * i,
		};
	/* Segment 0 is ours; a thread that cannot start leaves its segment to us too. */
	for (started = 1; started < n; started++)
		if (pthread_create(&tid[started], NULL, segment_thread, &sg[started]))
			break;
	sum_segment(&sg[0]);
	for (i = started; i < n; i++)
		sum_segment(&sg[i]);
	for (i = 1; i < started; i++)
		pthread_join(tid[i], NULL);
	*crc = 0;
	for (i = 0; i < n; i++) {
		if (sg[i].err && !err)
			err = sg[i].err;
		*crc = i ? (__u32)crc32_combine(*crc, sg[i].crc, (z_off_t)sg[i].len) : sg[i].crc;
	}
	return err;
}
