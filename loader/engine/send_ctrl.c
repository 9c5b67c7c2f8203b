// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The sender's control conversation with each receiver (docs/protocol.md 7
 * and 13): requests and their retransmission, the receivers' replies and
 * requests, and the per-receiver timers that move files to VERIFY and the
 * session to CLOSE.
 */
#include <endian.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "clock.h"
#include "log.h"
#include "send_priv.h"

#define RX_BATCH	 64
#define MISMATCH_RETRIES 2
#define CLOSE_TRIES	 6 /* CLOSE transmissions before a settled session ends anyway */

#define UNRESOLVED_OPENS 3 /* OPENs unsent for want of a neighbour before giving up */

/* --- transmit helpers ------------------------------------------------------------ */

/* A TX buffer, flushing once to reap completions when none is free. */
int snd_get_txbuf(struct sender *s, struct p2pkp_tx_buf *buf)
{
	if (!p2pkp_tx_get(s->t, buf))
		return 0;
	p2pkp_tx_flush(s->t);
	return p2pkp_tx_get(s->t, buf);
}

/*
 * Queue the message of len bytes in buf for p, sealed on a keyed link (an
 * OPEN with the open key, anything else with the session key). 0, or -errno
 * with the buffer still the caller's.
 */
int snd_put(struct sender *s, struct peer *p, struct p2pkp_tx_buf *buf, __u32 len)
{
	const struct p2pkp_hdr *h = (const struct p2pkp_hdr *)buf->data;
	int n = (int)len;

	if (s->o->psk) {
		n = p2pkp_linkauth_seal(&p->auth, be16toh(h->command) == P2PKP_CMD_OPEN, buf->data,
					len, buf->cap);
		if (n < 0)
			return n;
	}
	return p2pkp_tx_put(s->t, buf, (__u32)n, &p->addr);
}

/* 0, or why msg could not be queued (the caller retries or gives up). */
static int send_bytes(struct sender *s, struct peer *p, const void *msg, __u32 len)
{
	struct p2pkp_tx_buf buf;
	int err;

	if (snd_get_txbuf(s, &buf))
		return -EAGAIN; /* a request is retried on its timer; a response on the next */
	memcpy(buf.data, msg, len);
	err = snd_put(s, p, &buf, len);
	if (err)
		p2pkp_tx_abandon(s->t, &buf);
	return err;
}

/* No route, a local or loopback destination, no address to send from: retrying cannot help. */
static bool path_error_is_final(int err)
{
	return err == -ENODEV || err == -ENETUNREACH || err == -EHOSTUNREACH ||
	       err == -EADDRNOTAVAIL || err == -EAFNOSUPPORT;
}

static void transmit_req(struct sender *s, struct peer *p, struct p2pkp_req *req, __u64 now)
{
	int err = send_bytes(s, p, req->buf, req->len);

	p2pkp_req_sent(req, &p->rtt, now);
	if (req->command != P2PKP_CMD_OPEN || !err || err == -EAGAIN)
		return;
	/* Nobody can answer an OPEN that never left: say why now, not after --timeout. */
	if (path_error_is_final(err))
		snd_peer_fail(p, P2PKP_R_IO, "cannot send to it: %s", strerror(-err));
	else if (err == -ETIMEDOUT && req->tries >= UNRESOLVED_OPENS)
		snd_peer_fail(p, P2PKP_R_TIMEOUT, "no %s answer from it or its next hop",
			      p->addr.family == AF_INET ? "ARP" : "neighbour discovery");
}

/* --- peer outcome ------------------------------------------------------------------ */

void snd_peer_fail(struct peer *p, __u16 result, const char *fmt, ...)
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

void snd_pfile_set(struct peer *p, __u32 f, enum pfile_state st)
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

void snd_open(struct sender *s, struct peer *p, __u64 now)
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
	if (s->o->psk) {
		o.auth = p->auth.mode;
		memcpy(o.nonce, p->auth.ns, sizeof(o.nonce));
	}
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
void snd_status_req(struct sender *s, struct peer *p, __u32 f, __u64 from, __u64 now)
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

bool snd_result_req(struct sender *s, struct peer *p, __u16 command, __u16 result, __u64 now)
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

/* --- per-receiver progress through files ---------------------------------------------------- */

static void check_files(struct sender *s, struct peer *p, __u64 now)
{
	bool all_final = true;
	__u32 f;

	for (f = 0; f < s->fl.n; f++) {
		struct pfile *pf = &p->files[f];

		if (!pfile_final(pf))
			all_final = false;
		if (pf->state != PF_SEND || pf->resend.n ||
		    snd_sent_upto(s, f) < file_blocks(s, f) || now < pf->verify_after_ns)
			continue;
		if (!send_file_req(s, p, P2PKP_CMD_VERIFY, f, now))
			break; /* no free request slot: the rest wait for answers */
		snd_pfile_set(p, f, PF_VERIFY);
	}
	if (all_final && p->state == PEER_ACTIVE && p->next_announce == s->fl.n &&
	    snd_result_req(s, p, P2PKP_CMD_CLOSE, P2PKP_R_OK, now))
		p->state = PEER_CLOSING;
}

/* --- responses ----------------------------------------------------------------------- */

static void on_open_reply(struct sender *s, struct peer *p, const struct p2pkp_open_reply *r)
{
	if (r->result == P2PKP_R_AUTH) {
		snd_peer_fail(p, r->result, "authentication failed: the receiver says %.*s",
			      (int)r->text.len, (const char *)r->text.ptr);
		return;
	}
	if (r->result != P2PKP_R_OK) {
		snd_peer_fail(p, r->result, "refused the session: %s%s%.*s",
			      p2pkp_result_name(r->result), r->text.len ? ": " : "",
			      (int)r->text.len, (const char *)r->text.ptr);
		return;
	}
	if (r->max_payload && r->max_payload < s->data_len) {
		snd_peer_fail(p, P2PKP_R_MTU, "takes at most %u-byte datagrams, DATA is %u",
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
		snd_start_file(s, p, fs->index, fs->cum);
		break;
	case P2PKP_R_HAVE:
		snd_pfile_set(p, fs->index, PF_HAVE);
		break;
	default:
		pr_warn("%s: refused %s: %s\n", p->name, s->fl.v[fs->index].name,
			p2pkp_result_name(fs->result));
		snd_pfile_set(p, fs->index, PF_FAILED);
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
		snd_pfile_set(p, r->file, PF_DONE);
		break;
	case P2PKP_R_IN_PROGRESS:
		pf->state = PF_SEND;
		pf->verify_after_ns = now + p->rtt.rto_ns;
		break;
	case P2PKP_R_INCOMPLETE:
		pf->state = PF_SEND;
		pf->verify_after_ns = now + p->rtt.rto_ns;
		snd_status_req(s, p, r->file, 0, now);
		break;
	case P2PKP_R_MISMATCH:
		if (++pf->mismatch_retries > MISMATCH_RETRIES) {
			pr_warn("%s: %s: digest mismatch %d times, giving up on it\n", p->name,
				s->fl.v[r->file].name, pf->mismatch_retries);
			snd_pfile_set(p, r->file, PF_FAILED);
			break;
		}
		pf->state = PF_SEND;
		pf->cum = 0;
		pf->had_bytes = 0;
		snd_resend_add(pf, 0, file_blocks(s, r->file));
		if (r->file < p->resend_hint)
			p->resend_hint = r->file;
		break;
	default:
		pr_warn("%s: %s failed: %s\n", p->name, s->fl.v[r->file].name,
			p2pkp_result_name(r->result));
		snd_pfile_set(p, r->file, PF_FAILED);
	}
}

/* The conversation is over: it succeeded if every file was verified or already there. */
static void close_done(struct peer *p, __u16 close_result)
{
	p->res->closed = true;
	p->res->close_result = close_result;
	if (p->res->files_failed || close_result != P2PKP_R_OK) {
		snd_peer_fail(p, close_result == P2PKP_R_OK ? P2PKP_R_IO : close_result,
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
	snd_open(s, p, now);
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
		snd_apply_status(s, p, &m->u.status, true);
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
		send_bytes(s, p, buf, (__u32)len); /* lost: the peer asks again */
}

static void on_abort(struct sender *s, struct peer *p, const struct p2pkp_result_msg *r, __u64 now)
{
	if (r->file != P2PKP_FILE_NONE) {
		if (r->file < s->fl.n && !pfile_final(&p->files[r->file])) {
			pr_warn("%s: receiver gave up on %s: %s\n", p->name, s->fl.v[r->file].name,
				p2pkp_result_name(r->result));
			snd_pfile_set(p, r->file, PF_FAILED);
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
	snd_peer_fail(p, r->result, "receiver aborted: %s%s%.*s", p2pkp_result_name(r->result),
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

/*
 * The receiver's answer to a keyed OPEN: its nonce gives the session keys,
 * whose seal on this very answer proves it holds the key. An unsealed
 * refusal cannot be checked; it is believed only for failing the peer with
 * AUTH (one who can spoof it could as well drop the answers). Returns the
 * message length or -EBADMSG.
 */
static int keyed_open_reply(struct sender *s, struct peer *p, __u8 *data, __u32 len)
{
	const struct p2pkp_hdr *h = (const struct p2pkp_hdr *)data;
	__u32 mlen = be16toh(h->length);
	struct p2pkp_msg m;
	int n;

	if (len < P2PKP_HDR_LEN || be16toh(h->command) != (P2PKP_CMD_OPEN | P2PKP_CMD_RESPONSE) ||
	    mlen > len || p2pkp_decode(data, mlen, &m) || m.linkid != s->linkid)
		return -EBADMSG;
	if (!m.u.open_reply.keyed) {
		if (m.u.open_reply.result == P2PKP_R_AUTH && p->state == PEER_OPENING &&
		    p2pkp_reqs_find(&p->reqs, m.msgid, P2PKP_CMD_OPEN))
			on_open_reply(s, p, &m.u.open_reply);
		return -EBADMSG;
	}
	if (p2pkp_linkauth_keys(&p->auth, s->o->psk, m.u.open_reply.nonce))
		return -EBADMSG;
	n = p2pkp_linkauth_unseal(&p->auth, false, data, len);
	if (n < 0) {
		/* Forged or damaged: forget its keys and wait for the real answer. */
		p2pkp_linkauth_drop_keys(&p->auth);
		p->auth_failed++;
	}
	return n;
}

/* A datagram's message on a keyed link: checked and opened in place. Length or -EBADMSG. */
static int keyed_msg(struct sender *s, struct peer *p, const struct p2pkp_rx_msg *rx)
{
	__u8 *data = (__u8 *)rx->data; /* ours until released: opened in place */

	if (!p->auth.rx)
		return keyed_open_reply(s, p, data, rx->len);
	return p2pkp_linkauth_unseal(&p->auth, false, data, rx->len);
}

static void handle_msg(struct sender *s, const struct p2pkp_rx_msg *rx, __u64 now)
{
	struct peer *p = find_peer(s, &rx->src);
	__u32 len = rx->len;
	struct p2pkp_msg m;
	int n;

	if (p && s->o->psk) {
		n = keyed_msg(s, p, rx);
		if (n < 0) {
			s->bad_msgs++;
			return;
		}
		len = (__u32)n;
	}
	if (!p || p2pkp_decode(rx->data, len, &m) || m.linkid != s->linkid) {
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
		snd_apply_status(s, p, &m.u.status, false);
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

void snd_receive(struct sender *s, int timeout_ms)
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

void snd_run_timers(struct sender *s, struct peer *p, __u64 now)
{
	__u32 i;

	if (p->state == PEER_DONE || p->state == PEER_FAILED)
		return;
	if (now - p->last_heard_ns > s->giveup_ns) {
		if (p->auth_failed)
			snd_peer_fail(p, P2PKP_R_AUTH,
				      "authentication failed: no answer in %llu s checked (%u did "
				      "not)",
				      (unsigned long long)(s->giveup_ns / NSEC_PER_SEC),
				      p->auth_failed);
		else
			snd_peer_fail(p, P2PKP_R_TIMEOUT, "no answer for %llu s",
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
