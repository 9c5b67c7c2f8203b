// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The buffer pool both transport backends draw their socket buffers from. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "bufpool.h"

int p2pkp_bufpool_init(struct p2pkp_bufpool *p, __u32 count, __u32 buf_size)
{
	__u32 i;

	memset(p, 0, sizeof(*p));
	p->buf_size = (buf_size + P2PKP_BUF_ALIGN - 1) & ~(__u32)(P2PKP_BUF_ALIGN - 1);
	p->count = count;
	p->mem_len = (size_t)count * p->buf_size;
	/* mmap: page-aligned, and untouched pages cost nothing until used. */
	p->mem = mmap(NULL, p->mem_len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p->mem == MAP_FAILED) {
		p->mem = NULL;
		return -errno;
	}
	p->free = calloc(count, sizeof(*p->free));
	if (!p->free) {
		munmap(p->mem, p->mem_len);
		p->mem = NULL;
		return -ENOMEM;
	}
	/* Lowest index on top, so a quiet transport keeps reusing the same buffers. */
	for (i = 0; i < count; i++)
		p->free[i] = count - 1 - i;
	p->nfree = count;
	return 0;
}

void p2pkp_bufpool_fini(struct p2pkp_bufpool *p)
{
	if (p->mem)
		munmap(p->mem, p->mem_len);
	free(p->free);
	memset(p, 0, sizeof(*p));
}
