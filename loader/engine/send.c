// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The sender (docs/protocol.md 13): one conversation per receiver, one shared
 * cursor over the files so each block is read once and sent to every
 * receiver that wants it, retransmissions before new data, one kick per
 * batch, paced by the loss the receivers report.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/uio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "clock.h"
#include "engine.h"
#include "filesum.h"
#include "filelist.h"
#include "log.h"
#include "pacer.h"
#include "ranges.h"
#include "reqs.h"
#include "wire.h"

#define RX_BATCH	 64
#define TX_BATCH	 1024 /* messages per kick at most */
#define TX_BATCH_MIN	 32   /* ...and at least, however low the rate */
#define FD_CACHE	 16
#define READ_BATCH	 1024			/* blocks per preadv: IOV_MAX */
#define WAIT_STALL_NS	 (1000 * NSEC_PER_MSEC) /* new data waits this long for FILES answers */
#define MISMATCH_RETRIES 2
#define CLOSE_TRIES	 6 /* CLOSE transmissions before a settled session ends anyway */
#define START_RATE_BPS	 (1000ull * 1000 * 1000)
#define PROGRESS_NS	 (250 * NSEC_PER_MSEC)

enum peer_state {
	PEER_OPENING,
	PEER_ACTIVE,
	PEER_CLOSING,
	PEER_DONE,
	PEER_FAILED,
};

enum pfile_state {
	PF_WAIT,   /* not answered yet */
	PF_SEND,   /* being sent */
	PF_VERIFY, /* every block sent; VERIFY outstanding */
	PF_DONE,
	PF_HAVE,
	PF_FAILED,
};

struct pfile {
	__u8 state;
	__u8 mismatch_retries;
	__u64 cum;	 /* blocks [0, cum) held, as last heard */
	__u64 had_bytes; /* held by the receiver before this session sent any */
	__u64 verify_after_ns;
	struct p2pkp_rangeset resend;
};

struct peer {
	struct p2pkp_addr addr;
	char name[P2PKP_ADDR_STRLEN];
	enum peer_state state;
	struct p2pkp_reqs reqs;
	struct p2pkp_rtt rtt;
	struct pfile *files;
	__u32 next_announce; /* next file index to put in a FILES request */
	__u32 data_seq;
	__u64 last_heard_ns;
	__u32 resend_hint; /* lowest file that may have blocks to resend */
	struct p2pkp_peer_result *res;
};

struct fd_slot {
	__u32 file;
	int fd;
	__u64 used;
};

/* One DATA message being built: its frame, its encoder, where its payload goes. */
struct data_msg {
	struct p2pkp_tx_buf buf;
	struct p2pkp_enc enc;
	__u8 *payload;
	__u32 len;
};

struct sender {
	const struct p2pkp_send_opts *o;
	struct p2pkp_transport *t;
	struct p2pkp_filelist fl;
	__u64 linkid;
	__u32 block_size;
	__u32 data_len; /* DATA message length of a full block */
	__u64 giveup_ns;
	struct peer peer[P2PKP_MAX_RECEIVERS];
	__u32 npeers;
	/* the shared cursor over new data */
	__u32 cur_file;
	__u64 cur_block;
	__u64 cur_file_since_ns;
	__u32 resend_rr; /* which receiver's retransmissions go first */
	struct fd_slot fds[FD_CACHE];
	__u64 fd_clock;
	struct p2pkp_pacer pacer;
	__u64 next_progress_ns;
	__u64 start_ns;
	__u64 sent_bytes;
	struct p2pkp_send_result *res;
	__u64 bad_msgs;
	/* Scratch too large for the stack, used by one call at a time. */
	struct p2pkp_files files_msg;
	struct p2pkp_send_progress progress;
	struct data_msg run_msgs[READ_BATCH];
};

/* --- files ------------------------------------------------------------------ */

static __u64 file_blocks(const struct sender *s, __u32 f)
{
	return p2pkp_blocks(s->fl.v[f].size, s->block_size);
}

static bool is_dir(const struct p2pkp_sfile *f)
{
	return S_ISDIR(f->mode);
}

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

static void close_fds(struct sender *s)
{
	int i;

	for (i = 0; i < FD_CACHE; i++)
		if (s->fds[i].fd >= 0)
			close(s->fds[i].fd);
}

/* The DIGEST of every file (its block sums at the session's block size), announced in FILES. */
static int digest_all(struct sender *s)
{
	__u32 i;
	int fd, err;

	for (i = 0; i < s->fl.n; i++) {
		struct p2pkp_sfile *f = &s->fl.v[i];

		if (is_dir(f))
			continue;
		fd = open(f->path, O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			err = -errno;
			pr_warn("%s: cannot open: %s\n", f->path, strerror(-err));
			return err;
		}
		err = p2pkp_file_digest(fd, f->size, s->block_size, 0, f->digest);
		close(fd);
		if (err) {
			pr_warn("%s: %s\n", f->path,
				err == -ENODATA ? "file shrank while reading" : strerror(-err));
			return err;
		}
	}
	return 0;
}

/* --- transmit helpers ------------------------------------------------------------ */

/* A TX buffer, flushing once to reap completions when none is free. */
static int get_txbuf(struct sender *s, struct p2pkp_tx_buf *buf)
{
	if (!p2pkp_tx_get(s->t, buf))
		return 0;
	p2pkp_tx_flush(s->t);
	return p2pkp_tx_get(s->t, buf);
}

static void send_bytes(struct sender *s, struct peer *p, const void *msg, __u32 len)
{
	struct p2pkp_tx_buf buf;

	if (get_txbuf(s, &buf))
		return; /* a request is retried on its timer; a response on the next request */
	memcpy(buf.data, msg, len);
	if (p2pkp_tx_put(s->t, &buf, len, &p->addr))
		p2pkp_tx_abandon(s->t, &buf);
}

static void transmit_req(struct sender *s, struct peer *p, struct p2pkp_req *req, __u64 now)
{
	send_bytes(s, p, req->buf, req->len);
	p2pkp_req_sent(req, &p->rtt, now);
}

/* --- peer outcome ------------------------------------------------------------------ */

static void peer_fail(struct peer *p, __u16 result, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void peer_fail(struct peer *p, __u16 result, const char *fmt, ...)
{
	va_list ap;

	if (p->state == PEER_DONE || p->state == PEER_FAILED)
		return;
	p->state = PEER_FAILED;
	p->res->ok = false;
	p->res->result = result;
	va_start(ap, fmt);
	vsnprintf(p->res->why, sizeof(p->res->why), fmt, ap);
	va_end(ap);
	pr_warn("%s: failed: %s\n", p->name, p->res->why);
}

static bool pfile_final(const struct pfile *pf)
{
	return pf->state == PF_DONE || pf->state == PF_HAVE || pf->state == PF_FAILED;
}

static void pfile_set(struct peer *p, __u32 f, enum pfile_state st)
{
	struct pfile *pf = &p->files[f];

	pf->state = st;
	if (st == PF_DONE)
		p->res->files_ok++;
	else if (st == PF_HAVE)
		p->res->files_have++;
	else if (st == PF_FAILED)
		p->res->files_failed++;
	if (pfile_final(pf))
		p2pkp_rangeset_free(&pf->resend);
}

/* --- requests ----------------------------------------------------------------------- */

static struct p2pkp_req *new_req(struct peer *p, __u16 command, __u32 file)
{
	struct p2pkp_req *req = p2pkp_reqs_new(&p->reqs, command);

	if (req)
		req->file = file;
	return req;
}

/* Store an encoded request (or drop the slot on an encoder error) and send it. */
static void finish_req(struct sender *s, struct peer *p, struct p2pkp_req *req, int len, __u64 now)
{
	if (len < 0) {
		pr_warn("%s: cannot encode %s: %s\n", p->name, p2pkp_cmd_name(req->command),
			p2pkp_strerror(len));
		p2pkp_reqs_done(&p->reqs, req);
		return;
	}
	req->len = (__u16)len;
	transmit_req(s, p, req, now);
}

static void send_open(struct sender *s, struct peer *p, __u64 now)
{
	struct p2pkp_open o = {
		.ver_min = P2PKP_VERSION_MIN,
		.ver_max = P2PKP_VERSION_MAX,
		.block_size = s->block_size,
		.file_count = s->fl.n,
		.total_bytes = s->fl.total_bytes,
	};
	struct p2pkp_req *req = new_req(p, P2PKP_CMD_OPEN, P2PKP_FILE_NONE);
	struct p2pkp_enc e;

	if (!req)
		return;
	p2pkp_enc_init(&e, req->buf, sizeof(req->buf));
	finish_req(s, p, req, p2pkp_build_open(&e, s->linkid, req->msgid, &o), now);
}

static void fill_file_info(const struct sender *s, __u32 f, struct p2pkp_file_info *fi)
{
	const struct p2pkp_sfile *sf = &s->fl.v[f];

	*fi = (struct p2pkp_file_info){
		.index = f,
		.mode = sf->mode,
		.size = sf->size,
		.mtime_ns = sf->mtime_ns,
		.name = {(const __u8 *)sf->name, (__u32)strlen(sf->name)},
	};
	memcpy(fi->digest, sf->digest, sizeof(fi->digest));
}

/* Bytes one FILE item takes (docs/protocol.md 7.2), for packing FILES requests. */
static __u32 file_item_len(const struct sender *s, __u32 f)
{
	return 8 + 8 + p2pkp_align8(4 + (__u32)strlen(s->fl.v[f].name)) + 16 + 8 + 16 +
	       p2pkp_align8(4 + P2PKP_DIGEST_LEN);
}

/* One FILES request with as many of the next files as fit. */
static void send_files(struct sender *s, struct peer *p, __u64 now)
{
	struct p2pkp_files *files = &s->files_msg;
	struct p2pkp_req *req;
	struct p2pkp_enc e;
	__u32 room = P2PKP_CTRL_MAX - P2PKP_HDR_LEN, f = p->next_announce;

	files->count = 0;
	while (f < s->fl.n && files->count < P2PKP_MAX_FILES_MSG && file_item_len(s, f) <= room) {
		room -= file_item_len(s, f);
		fill_file_info(s, f, &files->file[files->count++]);
		f++;
	}
	if (!files->count)
		return;
	req = new_req(p, P2PKP_CMD_FILES, p->next_announce);
	if (!req)
		return;
	p->next_announce = f;
	p2pkp_enc_init(&e, req->buf, sizeof(req->buf));
	finish_req(s, p, req, p2pkp_build_files(&e, s->linkid, req->msgid, files), now);
}

/* False when every request slot is busy: the caller tries again on a later pass. */
static bool send_file_req(struct sender *s, struct peer *p, __u16 command, __u32 f, __u64 now)
{
	struct p2pkp_req *req;
	struct p2pkp_enc e;

	if (p2pkp_reqs_pending(&p->reqs, command, f))
		return true;
	req = new_req(p, command, f);
	if (!req)
		return false;
	p2pkp_enc_init(&e, req->buf, sizeof(req->buf));
	finish_req(s, p, req, p2pkp_build_file_req(&e, s->linkid, req->msgid, command, f), now);
	return true;
}

/* STATUS for the window from block `from` on (0: from the receiver's CUM). */
static void send_status_req(struct sender *s, struct peer *p, __u32 f, __u64 from, __u64 now)
{
	struct p2pkp_req *req;
	struct p2pkp_enc e;

	if (p2pkp_reqs_pending(&p->reqs, P2PKP_CMD_STATUS, f))
		return;
	req = new_req(p, P2PKP_CMD_STATUS, f);
	if (!req)
		return; /* VERIFY is asked again after the RTO, and polls again */
	p2pkp_enc_init(&e, req->buf, sizeof(req->buf));
	finish_req(s, p, req, p2pkp_build_status_req(&e, s->linkid, req->msgid, f, from), now);
}

static bool send_result_req(struct sender *s, struct peer *p, __u16 command, __u16 result,
			    __u64 now)
{
	struct p2pkp_result_msg r = {.result = result, .file = P2PKP_FILE_NONE};
	struct p2pkp_req *req = new_req(p, command, P2PKP_FILE_NONE);
	struct p2pkp_enc e;

	if (!req)
		return false;
	p2pkp_enc_init(&e, req->buf, sizeof(req->buf));
	finish_req(s, p, req, p2pkp_build_result(&e, s->linkid, req->msgid, command, &r), now);
	return true;
}

/* --- which blocks a receiver still needs ------------------------------------------------ */

/* Blocks of f the shared cursor has passed: sent once to every receiver that wanted them. */
static __u64 sent_upto(const struct sender *s, __u32 f)
{
	if (f < s->cur_file)
		return file_blocks(s, f);
	if (f > s->cur_file)
		return 0;
	return s->cur_block;
}

static __u64 resend_add(struct pfile *pf, __u64 start, __u64 end)
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

/*
 * Fold a status report into the retransmission set (docs/protocol.md 9). With
 * tail set (a STATUS answer after VERIFY said INCOMPLETE, every hole listed),
 * blocks past SCAN_END that were sent are missing too.
 */
static void apply_status(struct sender *s, struct peer *p, const struct p2pkp_status *st, bool tail)
{
	struct pfile *pf;
	__u64 sent, prev, added = 0;
	struct p2pkp_range r;
	__u32 i;

	if (st->file >= s->fl.n)
		return;
	pf = &p->files[st->file];
	if (pf->state != PF_SEND && pf->state != PF_VERIFY)
		return;
	sent = sent_upto(s, st->file);
	if (st->cum > pf->cum)
		pf->cum = st->cum;
	resend_remove(pf, 0, st->cum);
	prev = st->from;
	for (i = 0; i < st->nranges; i++) {
		p2pkp_status_range(st, i, &r);
		resend_remove(pf, prev, r.start);
		added += resend_add(pf, r.start, r.end < sent ? r.end : sent);
		prev = r.end;
	}
	resend_remove(pf, prev, st->scan_end);
	if (tail && st->nranges < P2PKP_MAX_RANGES && st->scan_end < sent)
		added += resend_add(pf, st->scan_end, sent);
	/* A full answer: more holes lie beyond it, ask for the next window. */
	if (tail && st->nranges == P2PKP_MAX_RANGES)
		send_status_req(s, p, st->file, st->scan_end, p2pkp_now_ns());
	if (added) {
		p2pkp_pacer_note_lost(&s->pacer, added);
		if (st->file < p->resend_hint)
			p->resend_hint = st->file;
	}
}

/* A file just became sendable: what the cursor already passed must be resent. */
static void start_file(struct sender *s, struct peer *p, __u32 f, __u64 cum)
{
	struct pfile *pf = &p->files[f];
	__u64 sent = sent_upto(s, f);

	pf->cum = cum;
	pf->had_bytes =
		cum * s->block_size < s->fl.v[f].size ? cum * s->block_size : s->fl.v[f].size;
	pfile_set(p, f, PF_SEND);
	if (sent > cum) {
		resend_add(pf, cum, sent);
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
			pfile_set(&s->peer[i], f, PF_FAILED);
}

/* Start DATA for block b to p in a fresh frame; false if no frame is free. */
static bool start_data(struct sender *s, struct peer *p, __u32 f, __u64 b, struct data_msg *m)
{
	if (get_txbuf(s, &m->buf))
		return false;
	m->len = block_len(s, f, b);
	m->payload = begin_data(s, p, &m->buf, &m->enc, f, b, m->len);
	if (m->payload)
		return true;
	p2pkp_tx_abandon(s->t, &m->buf);
	return false;
}

static int put_data(struct sender *s, struct peer *p, struct data_msg *m, bool retrans)
{
	if (p2pkp_tx_put(s->t, &m->buf, (__u32)p2pkp_enc_finish(&m->enc), &p->addr)) {
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
static int resend_some(struct sender *s, struct peer *p, __u32 budget)
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
		if (n >= 0 && (__u64)n < r.end - r.start)
			resend_add(pf, r.start + (__u64)n, r.end); /* out of frames: later */
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
static __u32 tx_batch(const struct sender *s)
{
	__u64 n = s->pacer.burst_bytes / s->data_len;

	if (n < TX_BATCH_MIN)
		return TX_BATCH_MIN;
	return n > TX_BATCH ? TX_BATCH : (__u32)n;
}

/* Retransmissions first, then new data, while the pacer allows: one batch. Messages queued. */
static __u32 pump_data(struct sender *s, __u64 now)
{
	__u32 batch = tx_batch(s);
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
			n = resend_some(s, &s->peer[(s->resend_rr + i) % s->npeers], budget);
		s->resend_rr++;
		if (n <= 0)
			n = new_data_some(s, budget, now);
		if (n <= 0)
			break;
		p2pkp_pacer_consume(&s->pacer, (__u32)n * s->data_len);
		p2pkp_pacer_note_sent(&s->pacer, (__u64)n);
		queued += (__u32)n;
	}
	return queued;
}

/* --- per-receiver progress through files ---------------------------------------------------- */

static void check_files(struct sender *s, struct peer *p, __u64 now)
{
	bool all_final = true;
	__u32 f;

	for (f = 0; f < s->fl.n; f++) {
		struct pfile *pf = &p->files[f];

		if (!pfile_final(pf))
			all_final = false;
		if (pf->state != PF_SEND || pf->resend.n || sent_upto(s, f) < file_blocks(s, f) ||
		    now < pf->verify_after_ns)
			continue;
		if (!send_file_req(s, p, P2PKP_CMD_VERIFY, f, now))
			break; /* no free request slot: the rest wait for answers */
		pfile_set(p, f, PF_VERIFY);
	}
	if (all_final && p->state == PEER_ACTIVE && p->next_announce == s->fl.n &&
	    send_result_req(s, p, P2PKP_CMD_CLOSE, P2PKP_R_OK, now))
		p->state = PEER_CLOSING;
}

/* --- responses ----------------------------------------------------------------------- */

static void on_open_reply(struct sender *s, struct peer *p, const struct p2pkp_open_reply *r)
{
	if (r->result != P2PKP_R_OK) {
		peer_fail(p, r->result, "refused the session: %s%s%.*s",
			  p2pkp_result_name(r->result), r->text.len ? ": " : "", (int)r->text.len,
			  (const char *)r->text.ptr);
		return;
	}
	if (r->max_payload && r->max_payload < s->data_len) {
		peer_fail(p, P2PKP_R_MTU, "takes at most %u-byte datagrams, DATA is %u",
			  r->max_payload, s->data_len);
		return;
	}
	if (p->state == PEER_OPENING) {
		p->state = PEER_ACTIVE;
		p->next_announce = 0;
	}
}

static void on_file_state(struct sender *s, struct peer *p, const struct p2pkp_file_state *fs)
{
	struct pfile *pf;

	if (fs->index >= s->fl.n)
		return;
	pf = &p->files[fs->index];
	if (pf->state != PF_WAIT)
		return; /* a duplicate answer, or a re-open: keep what we know */
	switch (fs->result) {
	case P2PKP_R_OK:
		start_file(s, p, fs->index, fs->cum);
		break;
	case P2PKP_R_HAVE:
		pfile_set(p, fs->index, PF_HAVE);
		break;
	default:
		pr_warn("%s: refused %s: %s\n", p->name, s->fl.v[fs->index].name,
			p2pkp_result_name(fs->result));
		pfile_set(p, fs->index, PF_FAILED);
	}
}

static void on_verify_reply(struct sender *s, struct peer *p, const struct p2pkp_result_msg *r,
			    __u64 now)
{
	struct pfile *pf;

	if (r->file >= s->fl.n)
		return;
	pf = &p->files[r->file];
	if (pf->state != PF_VERIFY)
		return;
	switch (r->result) {
	case P2PKP_R_OK:
		pfile_set(p, r->file, PF_DONE);
		break;
	case P2PKP_R_IN_PROGRESS:
		pf->state = PF_SEND;
		pf->verify_after_ns = now + p->rtt.rto_ns;
		break;
	case P2PKP_R_INCOMPLETE:
		pf->state = PF_SEND;
		pf->verify_after_ns = now + p->rtt.rto_ns;
		send_status_req(s, p, r->file, 0, now);
		break;
	case P2PKP_R_MISMATCH:
		if (++pf->mismatch_retries > MISMATCH_RETRIES) {
			pr_warn("%s: %s: digest mismatch %d times, giving up on it\n", p->name,
				s->fl.v[r->file].name, pf->mismatch_retries);
			pfile_set(p, r->file, PF_FAILED);
			break;
		}
		pf->state = PF_SEND;
		pf->cum = 0;
		pf->had_bytes = 0;
		resend_add(pf, 0, file_blocks(s, r->file));
		if (r->file < p->resend_hint)
			p->resend_hint = r->file;
		break;
	default:
		pr_warn("%s: %s failed: %s\n", p->name, s->fl.v[r->file].name,
			p2pkp_result_name(r->result));
		pfile_set(p, r->file, PF_FAILED);
	}
}

/* The conversation is over: it succeeded if every file was verified or already there. */
static void close_done(struct peer *p, __u16 close_result)
{
	p->res->closed = true;
	p->res->close_result = close_result;
	if (p->res->files_failed || close_result != P2PKP_R_OK) {
		peer_fail(p, close_result == P2PKP_R_OK ? P2PKP_R_IO : close_result,
			  "%u of %u files failed (close: %s)", p->res->files_failed,
			  p->res->files_ok + p->res->files_have + p->res->files_failed,
			  p2pkp_result_name(close_result));
		return;
	}
	p->state = PEER_DONE;
	p->res->ok = true;
	p->res->result = P2PKP_R_OK;
}

static void on_close_reply(struct peer *p, const struct p2pkp_result_msg *r)
{
	if (p->state == PEER_CLOSING)
		close_done(p, r->result);
}

/* The receiver lost the session (it restarted): open it again, keep what is done. */
static void reopen(struct sender *s, struct peer *p, __u64 now)
{
	__u32 f, i;

	pr_info("%s: receiver lost the session; re-opening it\n", p->name);
	for (i = 0; i < P2PKP_REQ_MAX; i++)
		if (p->reqs.r[i].used)
			p2pkp_reqs_done(&p->reqs, &p->reqs.r[i]);
	for (f = 0; f < s->fl.n; f++) {
		struct pfile *pf = &p->files[f];

		if (pfile_final(pf))
			continue;
		p2pkp_rangeset_free(&pf->resend);
		pf->state = PF_WAIT;
	}
	p->state = PEER_OPENING;
	p->next_announce = 0;
	send_open(s, p, now);
}

static void on_response(struct sender *s, struct peer *p, const struct p2pkp_msg *m, __u64 now)
{
	__u16 cmd = m->command & ~P2PKP_CMD_RESPONSE;
	struct p2pkp_req *req = p2pkp_reqs_find(&p->reqs, m->msgid, cmd);
	__u32 i;

	if (!req)
		return; /* late or duplicated: already settled */
	p2pkp_req_answered(&p->reqs, req, &p->rtt, now);
	switch (cmd) {
	case P2PKP_CMD_OPEN:
		on_open_reply(s, p, &m->u.open_reply);
		break;
	case P2PKP_CMD_FILES:
		for (i = 0; i < m->u.files_reply.count; i++)
			on_file_state(s, p, &m->u.files_reply.state[i]);
		break;
	case P2PKP_CMD_STATUS:
		apply_status(s, p, &m->u.status, true);
		break;
	case P2PKP_CMD_VERIFY:
		on_verify_reply(s, p, &m->u.result, now);
		break;
	case P2PKP_CMD_CLOSE:
		on_close_reply(p, &m->u.result);
		break;
	default:
		break;
	}
}

static void answer(struct sender *s, struct peer *p, const struct p2pkp_msg *m)
{
	__u8 buf[64] __attribute__((aligned(8)));
	struct p2pkp_enc e;
	int len;

	p2pkp_enc_init(&e, buf, sizeof(buf));
	if (m->command == P2PKP_CMD_KEEPALIVE)
		len = p2pkp_build_keepalive(&e, m->linkid, m->msgid,
					    P2PKP_CMD_KEEPALIVE | P2PKP_CMD_RESPONSE,
					    m->u.keepalive.timestamp_ns);
	else
		len = p2pkp_build_empty(&e, m->linkid, m->msgid, m->command | P2PKP_CMD_RESPONSE);
	if (len > 0)
		send_bytes(s, p, buf, (__u32)len);
}

static void on_abort(struct sender *s, struct peer *p, const struct p2pkp_result_msg *r, __u64 now)
{
	if (r->file != P2PKP_FILE_NONE) {
		if (r->file < s->fl.n && !pfile_final(&p->files[r->file])) {
			pr_warn("%s: receiver gave up on %s: %s\n", p->name, s->fl.v[r->file].name,
				p2pkp_result_name(r->result));
			pfile_set(p, r->file, PF_FAILED);
		}
		return;
	}
	if (r->result == P2PKP_R_UNKNOWN_LINK) {
		/* While closing, every file is settled: the receiver closed already. */
		if (p->state == PEER_CLOSING)
			close_done(p, P2PKP_R_OK);
		else if (p->state == PEER_ACTIVE)
			reopen(s, p, now);
		return;
	}
	peer_fail(p, r->result, "receiver aborted: %s%s%.*s", p2pkp_result_name(r->result),
		  r->text.len ? ": " : "", (int)r->text.len, (const char *)r->text.ptr);
}

static struct peer *find_peer(struct sender *s, const struct p2pkp_addr *a)
{
	__u32 i;

	for (i = 0; i < s->npeers; i++)
		if (p2pkp_addr_equal(&s->peer[i].addr, a))
			return &s->peer[i];
	return NULL;
}

static void handle_msg(struct sender *s, const struct p2pkp_rx_msg *rx, __u64 now)
{
	struct p2pkp_msg m;
	struct peer *p = find_peer(s, &rx->src);

	if (!p || p2pkp_decode(rx->data, rx->len, &m) || m.linkid != s->linkid) {
		s->bad_msgs++;
		return;
	}
	p->last_heard_ns = now;
	if (p->state == PEER_DONE || p->state == PEER_FAILED)
		return;
	if (m.command & P2PKP_CMD_RESPONSE) {
		on_response(s, p, &m, now);
		return;
	}
	switch (m.command) {
	case P2PKP_CMD_REPORT:
		apply_status(s, p, &m.u.status, false);
		break;
	case P2PKP_CMD_KEEPALIVE:
		answer(s, p, &m);
		break;
	case P2PKP_CMD_ABORT:
		answer(s, p, &m);
		on_abort(s, p, &m.u.result, now);
		break;
	default:
		s->bad_msgs++;
	}
}

static void receive(struct sender *s, int timeout_ms)
{
	struct p2pkp_rx_msg msgs[RX_BATCH];
	int n, i;

	n = p2pkp_rx_burst(s->t, msgs, RX_BATCH, timeout_ms);
	if (n <= 0)
		return;
	for (i = 0; i < n; i++)
		handle_msg(s, &msgs[i], p2pkp_now_ns());
	p2pkp_rx_release(s->t, msgs, (__u32)n);
}

/* --- timers --------------------------------------------------------------------------- */

static void run_timers(struct sender *s, struct peer *p, __u64 now)
{
	__u32 i;

	if (p->state == PEER_DONE || p->state == PEER_FAILED)
		return;
	if (now - p->last_heard_ns > s->giveup_ns) {
		peer_fail(p, P2PKP_R_TIMEOUT, "no answer for %llu s",
			  (unsigned long long)(s->giveup_ns / NSEC_PER_SEC));
		return;
	}
	for (i = 0; i < P2PKP_REQ_MAX; i++) {
		struct p2pkp_req *req = &p->reqs.r[i];

		if (!req->used || !req->len || now < req->due_ns)
			continue;
		if (req->command == P2PKP_CMD_CLOSE && req->tries >= CLOSE_TRIES) {
			/* Every file is settled; only the goodbye went unanswered. */
			p2pkp_reqs_done(&p->reqs, req);
			close_done(p, P2PKP_R_OK);
			return;
		}
		transmit_req(s, p, req, now);
	}
	if (p->state == PEER_ACTIVE) {
		while (p->next_announce < s->fl.n && p->reqs.n < P2PKP_REQ_MAX / 2) {
			__u32 before = p->next_announce;

			send_files(s, p, now);
			if (p->next_announce == before)
				break;
		}
		check_files(s, p, now);
	}
}

/* --- progress ---------------------------------------------------------------------- */

static const char *const peer_state_names[] = {"opening", "sending", "closing", "done", "failed"};

static __u64 peer_acked_bytes(const struct sender *s, const struct peer *p)
{
	__u64 sum = 0, held;
	__u32 f;

	for (f = 0; f < s->fl.n; f++) {
		const struct pfile *pf = &p->files[f];

		if (pf->state == PF_DONE || pf->state == PF_HAVE) {
			sum += s->fl.v[f].size;
		} else if (pf->state == PF_SEND || pf->state == PF_VERIFY) {
			held = pf->cum * s->block_size;
			sum += held < s->fl.v[f].size ? held : s->fl.v[f].size;
		}
	}
	return sum;
}

static void report_progress(struct sender *s, __u64 now, bool final)
{
	struct p2pkp_send_progress *pr = &s->progress;
	__u32 i;

	if (!s->o->progress || (!final && now < s->next_progress_ns))
		return;
	s->next_progress_ns = now + PROGRESS_NS;
	pr->total_bytes = s->fl.total_bytes;
	pr->elapsed_ns = now - s->start_ns;
	pr->rate_bps = s->pacer.rate_bps;
	pr->sent_bytes = s->sent_bytes;
	pr->final = final;
	pr->npeers = s->npeers;
	for (i = 0; i < s->npeers; i++) {
		pr->peer[i].addr = s->peer[i].name;
		pr->peer[i].acked_bytes = peer_acked_bytes(s, &s->peer[i]);
		pr->peer[i].state = peer_state_names[s->peer[i].state];
	}
	s->o->progress(pr, s->o->progress_ctx);
}

/* --- the loop ---------------------------------------------------------------------- */

static bool all_peers_final(const struct sender *s)
{
	__u32 i;

	for (i = 0; i < s->npeers; i++)
		if (s->peer[i].state != PEER_DONE && s->peer[i].state != PEER_FAILED)
			return false;
	return true;
}

static bool data_pending(const struct sender *s)
{
	__u32 i;

	if (s->cur_file < s->fl.n)
		return true;
	for (i = 0; i < s->npeers; i++)
		if (s->peer[i].state == PEER_ACTIVE && s->peer[i].resend_hint < s->fl.n)
			return true;
	return false;
}

static void cancel_all(struct sender *s, __u64 now)
{
	__u32 i;

	for (i = 0; i < s->npeers; i++) {
		struct peer *p = &s->peer[i];

		if (p->state == PEER_DONE || p->state == PEER_FAILED)
			continue;
		send_result_req(s, p, P2PKP_CMD_ABORT, P2PKP_R_CANCELLED, now);
		peer_fail(p, P2PKP_R_CANCELLED, "cancelled");
	}
	p2pkp_tx_flush(s->t);
}

/* Until the pacer lets a whole batch go. */
static __u64 batch_wait_ns(struct sender *s)
{
	p2pkp_pacer_avail(&s->pacer, p2pkp_now_ns());
	return p2pkp_pacer_delay_ns(&s->pacer, tx_batch(s) * s->data_len);
}

static void run(struct sender *s)
{
	__u64 now = p2pkp_now_ns(), wait_ns;
	bool stalled = false;
	__u32 i;

	s->cur_file_since_ns = now;
	for (i = 0; i < s->npeers; i++)
		send_open(s, &s->peer[i], now);
	p2pkp_tx_flush(s->t);
	while (!all_peers_final(s)) {
		if (s->o->stop && *s->o->stop) {
			cancel_all(s, p2pkp_now_ns());
			break;
		}
		wait_ns = data_pending(s) ? batch_wait_ns(s) : 10 * NSEC_PER_MSEC;
		/* Data waits for answers (FILES), not for the pacer: wait for them, do not spin. */
		if (!wait_ns && stalled)
			wait_ns = NSEC_PER_MSEC;
		/* A whole batch goes at once: one read, one kick. */
		if (wait_ns && wait_ns < NSEC_PER_MSEC)
			p2pkp_sleep_ns(wait_ns);
		receive(s, wait_ns >= NSEC_PER_MSEC ? (int)(wait_ns / NSEC_PER_MSEC) : 0);
		now = p2pkp_now_ns();
		for (i = 0; i < s->npeers; i++)
			run_timers(s, &s->peer[i], now);
		stalled = !pump_data(s, now);
		p2pkp_pacer_adjust(&s->pacer, now);
		p2pkp_tx_flush(s->t);
		report_progress(s, now, false);
	}
	report_progress(s, p2pkp_now_ns(), true);
}

/* --- results ---------------------------------------------------------------------- */

/* What each receiver got, skipped and lost, by file, once the session is over. */
static void account_files(struct sender *s)
{
	for (__u32 i = 0; i < s->npeers; i++) {
		struct peer *p = &s->peer[i];
		struct p2pkp_peer_result *pr = p->res;

		for (__u32 f = 0; f < s->fl.n; f++) {
			const struct pfile *pf = &p->files[f];
			__u64 size = s->fl.v[f].size;

			if (pf->state == PF_HAVE) {
				pr->skipped_bytes += size;
			} else if (pf->state == PF_DONE) {
				pr->skipped_bytes += pf->had_bytes;
				pr->delivered_bytes += size - pf->had_bytes;
			} else if (pr->nfailed_named < P2PKP_FAILED_NAMES) {
				snprintf(pr->failed[pr->nfailed_named++], sizeof(pr->failed[0]),
					 "%s", s->fl.v[f].name);
			}
		}
		s->res->delivered_bytes += pr->delivered_bytes;
		s->res->skipped_bytes += pr->skipped_bytes;
	}
}

bool p2pkp_send_goodput_bps(const struct p2pkp_send_result *res, double *bps)
{
	if (!res->delivered_bytes || res->seconds <= 0)
		return false;
	*bps = (double)res->delivered_bytes * 8 / res->seconds;
	return true;
}

/* --- set-up ----------------------------------------------------------------------- */

static int choose_block_size(struct sender *s)
{
	__u32 max_msg = 0xffffffffu, m, i;

	for (i = 0; i < s->npeers; i++) {
		m = p2pkp_tx_max_msg(s->t, &s->peer[i].addr);
		if (m < max_msg)
			max_msg = m;
	}
	if (s->o->block_size) {
		if (s->o->block_size + P2PKP_DATA_OVERHEAD > max_msg) {
			pr_warn("block size %u does not fit the path: DATA would be %u bytes, at most "
				"%u fit\n",
				s->o->block_size, s->o->block_size + P2PKP_DATA_OVERHEAD, max_msg);
			return -EMSGSIZE;
		}
		s->block_size = s->o->block_size;
	} else {
		s->block_size = (max_msg - P2PKP_DATA_OVERHEAD) & ~7u;
		if (s->block_size > P2PKP_MAX_BLOCK_SIZE)
			s->block_size = P2PKP_MAX_BLOCK_SIZE & ~7u;
	}
	if (s->block_size < P2PKP_MIN_BLOCK_SIZE) {
		pr_warn("the path MTU leaves room for only %u-byte blocks (at least %u needed)\n",
			s->block_size, P2PKP_MIN_BLOCK_SIZE);
		return -EMSGSIZE;
	}
	s->data_len = s->block_size + P2PKP_DATA_OVERHEAD;
	return 0;
}

static int setup_peers(struct sender *s)
{
	__u64 now = p2pkp_now_ns();
	__u32 i;

	if (s->o->nto > P2PKP_MAX_RECEIVERS) {
		pr_warn("at most %d receivers per session\n", P2PKP_MAX_RECEIVERS);
		return -E2BIG;
	}
	s->npeers = (__u32)s->o->nto;
	s->res->npeers = s->npeers;
	for (i = 0; i < s->npeers; i++) {
		struct peer *p = &s->peer[i];

		p->addr = s->o->to[i];
		p2pkp_addr_str(&p->addr, p->name, sizeof(p->name));
		p->res = &s->res->peer[i];
		snprintf(p->res->addr, sizeof(p->res->addr), "%s", p->name);
		p2pkp_reqs_init(&p->reqs);
		p2pkp_rtt_init(&p->rtt);
		p->last_heard_ns = now;
		p->files = calloc(s->fl.n ? s->fl.n : 1, sizeof(*p->files));
		if (!p->files)
			return -ENOMEM;
		for (__u32 f = 0; f < s->fl.n; f++)
			p2pkp_rangeset_init(&p->files[f].resend);
	}
	return 0;
}

static void free_peers(struct sender *s)
{
	__u32 i, f;

	for (i = 0; i < s->npeers; i++) {
		if (!s->peer[i].files)
			continue;
		for (f = 0; f < s->fl.n; f++)
			p2pkp_rangeset_free(&s->peer[i].files[f].resend);
		free(s->peer[i].files);
	}
}

static int open_transport(struct sender *s)
{
	struct p2pkp_transport_opts topts = {
		.ifname = s->o->ifname,
		.port = s->o->port,
		.family = s->o->to[0].family,
		.backend = s->o->backend,
		.load_steering = true,
		.queue = -1,
	};
	__u32 i;

	for (i = 1; i < s->o->nto; i++) {
		if (s->o->to[i].family != topts.family) {
			pr_warn("all receivers of a session must be IPv4, or all IPv6\n");
			return -EINVAL;
		}
	}
	return p2pkp_transport_open(&topts, &s->t);
}

int p2pkp_send(const struct p2pkp_send_opts *o, struct p2pkp_send_result *res)
{
	struct sender *s;
	__u32 i;
	int err;

	memset(res, 0, sizeof(*res));
	if (!o->nto) {
		pr_warn("send: no receiver given\n");
		return -EINVAL;
	}
	s = calloc(1, sizeof(*s)); /* large: not on the stack */
	if (!s)
		return -ENOMEM;
	s->o = o;
	s->res = res;
	for (i = 0; i < FD_CACHE; i++)
		s->fds[i].fd = -1;
	s->giveup_ns = (o->giveup_ms ? o->giveup_ms : P2PKP_GIVEUP_MS) * NSEC_PER_MSEC;
	err = p2pkp_filelist_build(o->paths, o->npaths, &s->fl);
	if (err)
		goto out_free_sender;
	if (!s->fl.n) {
		pr_warn("send: nothing to send\n");
		err = -ENOENT;
		goto out_free_list;
	}
	while (!s->linkid)
		if (getrandom(&s->linkid, sizeof(s->linkid), 0) != sizeof(s->linkid))
			s->linkid = p2pkp_now_ns() ^ (__u64)getpid() << 32;
	err = open_transport(s);
	if (err)
		goto out_free_list;
	err = setup_peers(s);
	if (err)
		goto out_free_peers;
	err = choose_block_size(s);
	if (err)
		goto out_free_peers;
	err = digest_all(s);
	if (err)
		goto out_free_peers;
	pr_debug("session %016llx: %u files, %llu bytes, block %u, backend %s\n",
		 (unsigned long long)s->linkid, s->fl.n, (unsigned long long)s->fl.total_bytes,
		 s->block_size, p2pkp_transport_name(s->t));

	s->start_ns = p2pkp_now_ns();
	p2pkp_pacer_init(&s->pacer, o->start_rate_bps ? o->start_rate_bps : START_RATE_BPS,
			 o->max_rate_bps, (__u64)TX_BATCH_MIN * s->data_len, s->start_ns);
	run(s);

	res->bytes = s->fl.total_bytes;
	res->files = s->fl.n;
	res->seconds = (double)(p2pkp_now_ns() - s->start_ns) / NSEC_PER_SEC;
	res->final_rate_bps = s->pacer.rate_bps;
	account_files(s);
	if (s->bad_msgs)
		pr_debug("ignored %llu malformed or stray datagrams\n",
			 (unsigned long long)s->bad_msgs);
	p2pkp_transport_stats(s->t, &res->tstats);
	snprintf(res->backend, sizeof(res->backend), "%s", p2pkp_transport_name(s->t));
	err = 0;
	for (i = 0; i < s->npeers; i++)
		if (!res->peer[i].ok)
			err = 1;
out_free_peers:
	free_peers(s);
	close_fds(s);
	p2pkp_transport_close(s->t);
out_free_list:
	p2pkp_filelist_free(&s->fl);
out_free_sender:
	free(s);
	return err;
}
