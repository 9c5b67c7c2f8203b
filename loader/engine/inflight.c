// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Retransmissions still on their way: see inflight.h. */
#include <stdlib.h>

#include "inflight.h"

void p2pkp_inflight_note(struct p2pkp_inflight *q, __u32 file, __u64 start, __u64 end, __u64 now_ns)
{
	if (start >= end)
		return;
	q->r[q->next] = (struct p2pkp_inflight_run){
		.start = start, .end = end, .sent_ns = now_ns, .file = file};
	q->next = (q->next + 1) % P2PKP_INFLIGHT_MAX;
	if (q->n < P2PKP_INFLIGHT_MAX)
		q->n++;
}

static int by_start(const void *a, const void *b)
{
	const struct p2pkp_inflight_run *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

__u64 p2pkp_inflight_settled(const struct p2pkp_inflight *q, __u32 file, __u64 start, __u64 end,
			     __u64 since_ns, p2pkp_inflight_fn fn, void *ctx)
{
	struct p2pkp_inflight_run cover[P2PKP_INFLIGHT_MAX];
	const struct p2pkp_inflight_run *run;
	__u64 at = start, skipped = 0;
	__u32 i, n = 0;

	/* Newest first: runs are noted in time order, so stop at the first older one. */
	for (i = 1; i <= q->n && start < end; i++) {
		run = &q->r[(q->next + P2PKP_INFLIGHT_MAX - i) % P2PKP_INFLIGHT_MAX];
		if (run->sent_ns < since_ns)
			break;
		if (run->file == file && run->start < end && run->end > start)
			cover[n++] = *run;
	}
	qsort(cover, n, sizeof(cover[0]), by_start);
	for (i = 0; i < n && at < end; i++) {
		if (cover[i].end <= at)
			continue;
		if (cover[i].start > at)
			fn(ctx, at, cover[i].start);
		else
			cover[i].start = at;
		skipped += (cover[i].end < end ? cover[i].end : end) - cover[i].start;
		at = cover[i].end;
	}
	if (at < end)
		fn(ctx, at, end);
	return skipped;
}
