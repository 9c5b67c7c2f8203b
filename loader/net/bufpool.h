/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* A fixed set of equal, aligned buffers with a free stack; no allocation after init. */
#ifndef P2PKP_BUFPOOL_H
#define P2PKP_BUFPOOL_H

#include <stddef.h>
#include <linux/types.h>

/* Payload buffers start on this boundary (cache line; P2PKP wants 8). */
#define P2PKP_BUF_ALIGN 64

struct p2pkp_bufpool {
	__u8 *mem;
	size_t mem_len;
	__u32 buf_size; /* multiple of P2PKP_BUF_ALIGN */
	__u32 count;
	__u32 nfree;
	__u32 *free; /* indices, top at nfree - 1 */
};

int p2pkp_bufpool_init(struct p2pkp_bufpool *p, __u32 count, __u32 buf_size);
void p2pkp_bufpool_fini(struct p2pkp_bufpool *p);

static inline __u8 *p2pkp_bufpool_buf(const struct p2pkp_bufpool *p, __u32 idx)
{
	return p->mem + (size_t)idx * p->buf_size;
}

/* An index, or -1 when every buffer is lent out. */
static inline long p2pkp_bufpool_get(struct p2pkp_bufpool *p)
{
	return p->nfree ? (long)p->free[--p->nfree] : -1;
}

static inline void p2pkp_bufpool_put(struct p2pkp_bufpool *p, __u32 idx)
{
	if (idx < p->count && p->nfree < p->count)
		p->free[p->nfree++] = idx;
}

#endif /* P2PKP_BUFPOOL_H */
