// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The sender's DATA (docs/protocol.md 7.3, 9 and 13): which blocks each
 * receiver still needs, runs of blocks read once with one preadv into the
 * frames and copied to every receiver that wants them, retransmissions
 * before new data, all within what the pacer allows.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "clock.h"
#include "log.h"
#include "send_priv.h"

#define TX_BATCH      1024		     /* messages per kick at most */
#define WAIT_STALL_NS (1000 * NSEC_PER_MSEC) /* new data waits this long for FILES answers */

/* --- file descriptors -------------------------------------------------------- */

/* An fd for file f from a small cache (retransmissions jump between files). */
static int file_fd(struct sender *s, __u32 f)
{
	struct fd_slot *victim = &s->fds[0];
	int i, fd;

	for (i = 0; i < FD_CACHE; i++) {
		if (s->fds[i].fd >= 0 && s->fds[i].file == f) {
			s->fds[i].used = ++s->fd_clock;
			return s->fds[i].fd;
		}
		if (s->fds[i].used < victim->used)
			victim = &s->fds[i];
	}
	fd = open(s->fl.v[f].path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		pr_warn("%s: cannot open: %s\n", s->fl.v[f].path, strerror(errno));
		return -errno;
	}
	if (victim->fd >= 0)
		close(victim->fd);
	*victim = (struct fd_slot){.file = f, .fd = fd, .used = ++s->fd_clock};
	return fd;
}

void snd_close_fds(struct sender *s)
{
	int i;

	for (i = 0; i < FD_CACHE; i++)
		if (s->fds[i].fd >= 0)
			close(s->fds[i].fd);
}

/* --- which blocks a receiver still needs ------------------------------------------------ */

/* Blocks of f the shared cursor has passed: sent once to every receiver that wanted them. */
__u64 snd_sent_upto(const struct sender *s, __u32 f)
{
	if (f < s->cur_file)
		return file_blocks(s, f);
	if (f > s->cur_file)
		return 0;
	return s->cur_block;
}

__u64 snd_resend_add(struct pfile *pf, __u64 start, __u64 end)
{
	__u64 before = pf->resend.total;

	if (start < end && p2pkp_rangeset_add(&pf->resend, start, end))
		return 0;
	return pf->resend.total - before;
}

static void resend_remove(struct pfile *pf, __u64 start, __u64 end)
{
	if (start < end)
		p2pkp_rangeset_remove(&pf->resend, start, end);
}

struct hole_news {
	struct pfile *pf;
	__u64 added;
};

static void add_hole(void *ctx, __u64 start, __u64 end)
{
	struct hole_news *h = ctx;

	h->added += snd_resend_add(h->pf, start, end);
}

/*
 * A hole the receiver reported: blocks resent within the last RTO may still be
 * on their way, so only the others are resent (docs/protocol.md 9).
 */
static void resend_hole(const struct peer *p, __u32 f, __u64 start, __u64 end, __u64 now,
			struct hole_news *h)
{
	__u64 since = now > p->rtt.rto_ns ? now - p->rtt.rto_ns : 0;

	if (start < end)
		p2pkp_inflight_settled(&p->inflight, f, start, end, since, add_hole, h);
}

/*
 * Fold a status report into the retransmission set (docs/protocol.md 9). With
 * tail set (a STATUS answer after VERIFY said INCOMPLETE, every hole listed),
 * blocks past SCAN_END that were sent are missing too.
 */
void snd_apply_status(struct sender *s, struct peer *p, const struct p2pkp_status *st, bool tail)
{
	__u64 sent, prev, now = p2pkp_now_ns();
	struct hole_news h = {0};
	struct p2pkp_range r;
	struct pfile *pf;
	__u32 i;

	p2pkp_ratectl_sample(&s->rate, &p->rate, st->received, st->rx_time_ns, st->rx_drops);
	if (st->file >= s->fl.n)
		return;
	pf = h.pf = &p->files[st->file];
	if (pf->state != PF_SEND && pf->state != PF_VERIFY)
		return;
	sent = snd_sent_upto(s, st->file);
	if (st->cum > pf->cum)
		pf->cum = st->cum;
	resend_remove(pf, 0, st->cum);
	prev = st->from;
	for (i = 0; i < st->nranges; i++) {
		p2pkp_status_range(st, i, &r);
		resend_remove(pf, prev, r.start);
		resend_hole(p, st->file, r.start, r.end < sent ? r.end : sent, now, &h);
		prev = r.end;
	}
	resend_remove(pf, prev, st->scan_end);
	if (tail && st->nranges < P2PKP_MAX_RANGES && st->scan_end < sent)
		resend_hole(p, st->file, st->scan_end, sent, now, &h);
	/* A full answer: more holes lie beyond it, ask for the next window. */
	if (tail && st->nranges == P2PKP_MAX_RANGES)
		snd_status_req(s, p, st->file, st->scan_end, now);
	if (h.added && st->file < p->resend_hint)
		p->resend_hint = st->file;
}

/* A file just became sendable: what the cursor already passed must be resent. */
void snd_start_file(struct sender *s, struct peer *p, __u32 f, __u64 cum)
{
	struct pfile *pf = &p->files[f];
	__u64 sent = snd_sent_upto(s, f);

	pf->cum = cum;
	pf->had_bytes =
		cum * s->block_size < s->fl.v[f].size ? cum * s->block_size : s->fl.v[f].size;
	snd_pfile_set(p, f, PF_SEND);
	if (sent > cum) {
		snd_resend_add(pf, cum, sent);
		if (f < p->resend_hint)
			p->resend_hint = f;
	}
}

/* --- DATA -------------------------------------------------------------------------- */

static bool peer_wants(const struct peer *p, __u32 f, __u64 b)
{
	const struct pfile *pf = &p->files[f];

	return (p->state == PEER_ACTIVE) && pf->state == PF_SEND && b >= pf->cum;
}

static __u32 block_len(const struct sender *s, __u32 f, __u64 b)
{
	__u64 left = s->fl.v[f].size - b * s->block_size;

	return left < s->block_size ? (__u32)left : s->block_size;
}

/* Start a DATA message to p in buf; returns where the payload goes, or NULL. */
static __u8 *begin_data(struct sender *s, struct peer *p, struct p2pkp_tx_buf *buf,
			struct p2pkp_enc *e, __u32 f, __u64 b, __u32 len)
{
	p2pkp_enc_init(e, buf->data, buf->cap);
	return p2pkp_build_data(e, s->linkid, ++p->data_seq, f, b * s->block_size, len);
}

/* Read blocks [b, b + n) of f, contiguous in the file, into iov with as few preadv as it takes. */
static int read_run(struct sender *s, __u32 f, __u64 b, struct iovec *iov, __u32 n)
{
	off_t off = (off_t)(b * s->block_size);
	int fd = file_fd(s, f);
	ssize_t got;

	if (fd < 0)
		return fd;
	while (n) {
		got = preadv(fd, iov, (int)n, off);
		if (got <= 0) {
			pr_warn("%s: %s at byte %lld\n", s->fl.v[f].path,
				got < 0 ? strerror(errno) : "file changed while sending",
				(long long)off);
			return got < 0 ? -errno : -EIO;
		}
		off += got;
		/* A short read: skip what arrived, go on with the rest. */
		while (n && (size_t)got >= iov->iov_len) {
			got -= (ssize_t)iov->iov_len;
			iov++;
			n--;
		}
		if (n && got) {
			iov->iov_base = (char *)iov->iov_base + got;
			iov->iov_len -= (size_t)got;
		}
	}
	return 0;
}

static void note_data_sent(struct sender *s, struct peer *p, __u32 len, bool retrans)
{
	p->res->data_msgs++;
	s->res->data_msgs++;
	p->res->data_bytes += len;
	s->res->data_bytes += len;
	s->sent_bytes += len;
	if (retrans) {
		p->res->retransmitted++;
		s->res->retransmitted++;
	}
}

/* Fails the file for every receiver: the sender itself cannot read it. */
static void fail_file_everywhere(struct sender *s, __u32 f)
{
	__u32 i;

	for (i = 0; i < s->npeers; i++)
		if (!pfile_final(&s->peer[i].files[f]))
			snd_pfile_set(&s->peer[i], f, PF_FAILED);
}

/* Start DATA for block b to p in a fresh frame; false if no frame is free. */
static bool start_data(struct sender *s, struct peer *p, __u32 f, __u64 b, struct data_msg *m)
{
	if (snd_get_txbuf(s, &m->buf))
		return false;
	m->len = block_len(s, f, b);
	m->payload = begin_data(s, p, &m->buf, &m->enc, f, b, m->len);
	m->seq = p->data_seq;
	m->file = f;
	m->block = b;
	if (m->payload)
		return true;
	p2pkp_tx_abandon(s->t, &m->buf);
	return false;
}

static int put_data(struct sender *s, struct peer *p, struct data_msg *m, bool retrans)
{
	const struct p2pkp_send_opts *o = s->o;

	/* A test's scripted loss: sent as far as the sender knows, gone on the wire. */
	if (o->test_drop_data &&
	    o->test_drop_data(o->test_drop_ctx, &p->addr, m->seq, m->file, m->block, retrans)) {
		p2pkp_tx_abandon(s->t, &m->buf);
		note_data_sent(s, p, m->len, retrans);
		return 1;
	}
	if (snd_put(s, p, &m->buf, (__u32)p2pkp_enc_finish(&m->enc))) {
		p2pkp_tx_abandon(s->t, &m->buf);
		return 0;
	}
	note_data_sent(s, p, m->len, retrans);
	return 1;
}

/*
 * Send blocks [b, b + n) of file f to every receiver in to[]: read once, with
 * one preadv straight into the first receiver's frames, and copied from there
 * into the others'. The first receiver's frames are queued last, so no flush
 * can recycle a frame that is still a copy source. Returns the DATA messages
 * queued, or -errno if the file cannot be read.
 */
static int send_run(struct sender *s, __u32 f, __u64 b, __u32 n, struct peer *const *to, __u32 nto,
		    bool retrans)
{
	struct data_msg *first = s->run_msgs;
	struct iovec iov[READ_BATCH];
	__u64 sums[READ_BATCH];
	struct data_msg copy;
	__u32 i, k, got;
	int err, queued = 0;

	for (got = 0; got < n && start_data(s, to[0], f, b + got, &first[got]); got++)
		iov[got] = (struct iovec){first[got].payload, first[got].len};
	if (!got)
		return 0;
	err = read_run(s, f, b, iov, got);
	if (err) {
		for (i = 0; i < got; i++)
			p2pkp_tx_abandon(s->t, &first[i].buf);
		fail_file_everywhere(s, f);
		return err;
	}
	/* The sum is taken while the block is still in cache from the read. */
	for (i = 0; i < got; i++) {
		sums[i] = p2pkp_block_sum((b + i) * s->block_size, first[i].payload, first[i].len);
		p2pkp_data_set_sum(first[i].buf.data, sums[i]);
	}
	for (k = 1; k < nto; k++) {
		for (i = 0; i < got && start_data(s, to[k], f, b + i, &copy); i++) {
			memcpy(copy.payload, first[i].payload, first[i].len);
			p2pkp_data_set_sum(copy.buf.data, sums[i]);
			queued += put_data(s, to[k], &copy, retrans);
		}
	}
	for (i = 0; i < got; i++)
		queued += put_data(s, to[0], &first[i], retrans);
	return queued;
}

/* Receivers that want block b of f as new data; their number. */
static __u32 wanting(const struct sender *s, __u32 f, __u64 b, struct peer **to)
{
	__u32 i, n = 0;

	for (i = 0; i < s->npeers; i++)
		if (peer_wants(&s->peer[i], f, b))
			to[n++] = (struct peer *)&s->peer[i];
	return n;
}

/* How many blocks from b on the same receivers want, up to max. */
static __u32 run_length(const struct sender *s, __u32 f, __u64 b, __u32 max, struct peer *const *to,
			__u32 nto)
{
	__u64 end = file_blocks(s, f);
	struct peer *next[P2PKP_MAX_RECEIVERS];
	__u32 n = 1;

	while (n < max && b + n < end && wanting(s, f, b + n, next) == nto &&
	       !memcmp(next, to, nto * sizeof(*to)))
		n++;
	return n;
}

/* One run of retransmissions for p, lowest file first; 0 if it has none. */
static int resend_some(struct sender *s, struct peer *p, __u32 budget, __u64 now)
{
	struct p2pkp_range r;
	__u32 f;
	int n;

	if (p->state != PEER_ACTIVE)
		return 0;
	for (f = p->resend_hint; f < s->fl.n; f++) {
		struct pfile *pf = &p->files[f];

		if ((pf->state != PF_SEND && pf->state != PF_VERIFY) || !pf->resend.n)
			continue;
		p->resend_hint = f;
		if (!p2pkp_rangeset_pop(&pf->resend, budget < READ_BATCH ? budget : READ_BATCH, &r))
			continue;
		n = send_run(s, f, r.start, (__u32)(r.end - r.start), &p, 1, true);
		if (n > 0)
			p2pkp_inflight_note(&p->inflight, f, r.start, r.start + (__u64)n, now);
		if (n >= 0 && (__u64)n < r.end - r.start)
			snd_resend_add(pf, r.start + (__u64)n, r.end); /* out of frames: later */
		return n;
	}
	p->resend_hint = s->fl.n;
	return 0;
}
/* True while a live receiver has not answered for the cursor's file (briefly). */
static bool cursor_waits(struct sender *s, __u64 now)
{
	__u32 i;

	if (now - s->cur_file_since_ns > WAIT_STALL_NS)
		return false;
	for (i = 0; i < s->npeers; i++) {
		const struct peer *p = &s->peer[i];

		if ((p->state == PEER_OPENING || p->state == PEER_ACTIVE) &&
		    p->files[s->cur_file].state == PF_WAIT)
			return true;
	}
	return false;
}

static void advance_cursor(struct sender *s, __u64 blocks, __u64 now)
{
	s->cur_block += blocks;
	if (s->cur_block < file_blocks(s, s->cur_file))
		return;
	s->cur_file++;
	s->cur_block = 0;
	s->cur_file_since_ns = now;
}

/* The next run of new blocks, at most budget messages: messages queued, 0 if none now. */
static int new_data_some(struct sender *s, __u32 budget, __u64 now)
{
	struct peer *to[P2PKP_MAX_RECEIVERS];
	__u32 nto, n, skipped = 0;
	int queued;

	while (s->cur_file < s->fl.n && skipped < 4096) {
		if (!file_blocks(s, s->cur_file)) {
			advance_cursor(s, 0, now);
			continue;
		}
		if (cursor_waits(s, now))
			return 0;
		nto = wanting(s, s->cur_file, s->cur_block, to);
		if (!nto) {
			advance_cursor(s, 1, now);
			skipped++;
			continue;
		}
		n = budget / nto ? budget / nto : 1;
		n = run_length(s, s->cur_file, s->cur_block, n < READ_BATCH ? n : READ_BATCH, to,
			       nto);
		queued = send_run(s, s->cur_file, s->cur_block, n, to, nto, false);
		if (queued > 0)
			advance_cursor(s, (__u64)queued / nto ? (__u64)queued / nto : 1, now);
		return queued;
	}
	return 0;
}

/*
 * Messages per batch: what the pacer's bucket holds (1 ms at the current
 * rate), within [TX_BATCH_MIN, TX_BATCH]. Large batches mean few kicks at
 * 10 Gbit/s; at a low --rate a fixed 1024 would go out as one burst every
 * few seconds.
 */
__u32 snd_tx_batch(const struct sender *s)
{
	__u64 n = s->pacer.burst_bytes / s->data_len;

	if (n < TX_BATCH_MIN)
		return TX_BATCH_MIN;
	return n > TX_BATCH ? TX_BATCH : (__u32)n;
}

/* Retransmissions first, then new data, while the pacer allows: one batch. Messages queued. */
__u32 snd_pump_data(struct sender *s, __u64 now)
{
	__u32 batch = snd_tx_batch(s);
	__u32 queued = 0, i, budget;
	__s64 avail;
	int n;

	while (queued < batch) {
		avail = p2pkp_pacer_avail(&s->pacer, now);
		if (avail < (__s64)s->data_len)
			break;
		budget = (__u32)(avail / s->data_len);
		if (budget > batch - queued)
			budget = batch - queued;
		n = 0;
		for (i = 0; i < s->npeers && n <= 0; i++)
			n = resend_some(s, &s->peer[(s->resend_rr + i) % s->npeers], budget, now);
		s->resend_rr++;
		if (n <= 0)
			n = new_data_some(s, budget, now);
		if (n <= 0)
			break;
		p2pkp_pacer_consume(&s->pacer, (__u32)n * s->data_len);
		p2pkp_ratectl_sent(&s->rate, (__u64)n * s->data_len);
		queued += (__u32)n;
	}
	return queued;
}
