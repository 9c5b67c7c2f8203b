// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The receiver (docs/protocol.md 14): sessions keyed by (linkid, sender),
 * DATA written straight from the receive frames in pwritev batches (frames go
 * back to the kernel only after their batch is written), a REPORT per file
 * with news every report period, resume state saved every second, and every
 * request answered idempotently from the current state.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>

#include "clock.h"
#include "engine.h"
#include "filestore.h"
#include "log.h"
#include "wire.h"

#define RX_BATCH     256
#define MAX_SESSIONS 16
#define MAX_FILES    (1u << 20)
/*
 * A batch waits at most this for company: writing on every wakeup gives one
 * or two payloads per pwritev; waiting a little gives a hundred.
 */
#define FLUSH_AGE_NS	 (500 * 1000ull)
#define NAP_MIN_NS	 (50 * 1000ull)
#define NAP_MAX_NS	 (2 * NSEC_PER_MSEC)
#define DRAIN_MAX	 4096 /* messages per wake-up before the timers get a turn */
#define IDLE_WAIT_MS	 P2PKP_REPORT_MS
#define REPORT_NS	 (P2PKP_REPORT_MS * NSEC_PER_MSEC)
#define REPORT_IDLE_NS	 (1000 * NSEC_PER_MSEC)
#define SAVE_NS		 (1000 * NSEC_PER_MSEC)
#define REPORTS_PER_TICK 8
#define UNKNOWN_LINK_NS	 (1000 * NSEC_PER_MSEC)
#define MAX_STRANGERS	 16
/* A closed session answers repeated CLOSEs this long (its answer may be lost). */
#define CLOSE_LINGER_NS (1000 * NSEC_PER_MSEC)

enum slot_state {
	SLOT_NONE,     /* not announced yet */
	SLOT_RECV,     /* accepted, blocks arriving */
	SLOT_COMPLETE, /* verified and in place */
	SLOT_HAVE,     /* an identical file was already there */
	SLOT_FAILED,   /* refused or failed: result says why */
};

struct slot {
	__u8 state;
	__u16 result;
	bool is_dir;
	bool dirty;   /* blocks arrived since the last REPORT */
	bool unsaved; /* blocks arrived since the state was last saved */
	__u64 size;
	struct p2pkp_rfile *f;
};

struct session {
	bool used;
	bool broken;
	bool closed;   /* CLOSE answered: lingering for repeats */
	bool close_ok; /* what the CLOSE answer said */
	__u64 closed_ns;
	__u64 linkid;
	struct p2pkp_addr peer;
	char name[P2PKP_ADDR_STRLEN];
	__u32 block_size;
	__u32 file_count;
	__u64 total_bytes;
	struct slot *slots;
	__u32 report_seq;
	__u32 report_cursor; /* round-robin over files with news */
	__u64 last_heard_ns;
	__u64 last_report_ns;
	__u64 last_save_ns;
	__u64 start_ns;
	__u64 bytes;
	__u32 files_ok, files_failed;
};

/* Senders we told UNKNOWN_LINK, to say it at most once a second each. */
struct stranger {
	struct p2pkp_addr addr;
	__u64 last_ns;
};

struct receiver {
	const struct p2pkp_recv_opts *o;
	struct p2pkp_transport *t;
	struct p2pkp_store *store;
	struct p2pkp_wbatch *wb;
	struct p2pkp_rx_msg held[P2PKP_WBATCH_MAX]; /* frames whose data is in wb */
	struct p2pkp_files_reply files_reply;	    /* scratch for on_files() */
	__u32 nheld;
	__u64 batch_since_ns;
	__u32 nap_want; /* messages a nap waits for: a write batch, if the backend holds it */
	__u64 wake_ns;	/* when the last drain began */
	struct session sess[MAX_SESSIONS];
	struct stranger strangers[MAX_STRANGERS];
	__u64 giveup_ns;
	struct p2pkp_recv_result *res;
	bool finished; /* --once: a session ended */
	bool failed;   /* --once: and it failed */
};

/* --- sending ----------------------------------------------------------------------- */

static void send_msg(struct receiver *r, const struct p2pkp_addr *to, const void *msg, int len)
{
	struct p2pkp_tx_buf buf;

	if (len <= 0)
		return;
	if (p2pkp_tx_get(r->t, &buf)) {
		p2pkp_tx_flush(r->t);
		if (p2pkp_tx_get(r->t, &buf))
			return; /* the peer retries its request */
	}
	memcpy(buf.data, msg, (size_t)len);
	if (p2pkp_tx_put(r->t, &buf, (__u32)len, to))
		p2pkp_tx_abandon(r->t, &buf);
}

/* Encodes into a stack buffer big enough for any control message. */
#define CTRL_BUF(name) __u8 name[P2PKP_CTRL_MAX] __attribute__((aligned(8)))

static void send_result(struct receiver *r, const struct p2pkp_addr *to, __u64 linkid, __u32 msgid,
			__u16 command, __u32 file, __u16 result, const char *text)
{
	struct p2pkp_result_msg m = {.result = result, .file = file};
	struct p2pkp_enc e;
	CTRL_BUF(buf);

	if (text) {
		m.text.ptr = (const __u8 *)text;
		m.text.len = (__u32)strnlen(text, P2PKP_MAX_TEXT);
	}
	p2pkp_enc_init(&e, buf, sizeof(buf));
	send_msg(r, to, buf, p2pkp_build_result(&e, linkid, msgid, command, &m));
}

/* A status report of file over the window from max(from, CUM) on. */
static void send_status(struct receiver *r, struct session *s, __u32 msgid, __u16 command,
			__u32 file, __u64 from)
{
	struct p2pkp_range ranges[P2PKP_MAX_RANGES];
	const struct p2pkp_bitmap *bm;
	struct p2pkp_status st = {.file = file};
	struct slot *sl = &s->slots[file];
	struct p2pkp_enc e;
	CTRL_BUF(buf);

	if (sl->state == SLOT_RECV) {
		bm = p2pkp_rfile_held(sl->f);
		st.cum = bm->cum;
		st.nranges =
			p2pkp_bitmap_missing(bm, bm->cum, ranges, P2PKP_MAX_RANGES, &st.scan_end);
		if (st.scan_end < st.cum)
			st.scan_end = st.cum;
	} else {
		/* Complete, or nothing to hold: everything counts as held. */
		st.cum = st.from = st.scan_end = p2pkp_blocks(sl->size, s->block_size);
	}
	p2pkp_enc_init(&e, buf, sizeof(buf));
	send_msg(r, &s->peer, buf, p2pkp_build_status(&e, s->linkid, msgid, command, &st, ranges));
}

/* --- sessions ---------------------------------------------------------------------- */

static struct session *find_session(struct receiver *r, __u64 linkid, const struct p2pkp_addr *a)
{
	int i;

	for (i = 0; i < MAX_SESSIONS; i++)
		if (r->sess[i].used && r->sess[i].linkid == linkid &&
		    p2pkp_addr_equal(&r->sess[i].peer, a))
			return &r->sess[i];
	return NULL;
}

static void save_states(struct session *s)
{
	__u32 i;

	for (i = 0; i < s->file_count; i++) {
		struct slot *sl = &s->slots[i];

		if (sl->state == SLOT_RECV && sl->unsaved) {
			p2pkp_rfile_save_state(sl->f);
			sl->unsaved = false;
		}
	}
}

/* Forget a session for good; with --once, that ends the run. */
static void forget_session(struct receiver *r, struct session *s, bool ok)
{
	free(s->slots);
	memset(s, 0, sizeof(*s));
	if (r->o->once) {
		r->finished = true;
		r->failed |= !ok;
	}
}

/*
 * Close the session's files (partial ones keep their state for resume) and
 * account for it. A closed session lingers to answer repeated CLOSEs.
 */
static void end_session(struct receiver *r, struct session *s, bool ok, bool linger)
{
	__u32 i;

	save_states(s);
	for (i = 0; i < s->file_count; i++)
		if (s->slots[i].f)
			p2pkp_rfile_close(s->slots[i].f);
	pr_info("%s: session %016llx %s: %u files verified, %u failed, %llu bytes in %.2f s\n",
		s->name, (unsigned long long)s->linkid, ok ? "complete" : "ended incomplete",
		s->files_ok, s->files_failed, (unsigned long long)s->bytes,
		(double)(p2pkp_now_ns() - s->start_ns) / NSEC_PER_SEC);
	r->res->sessions++;
	r->res->seconds += (double)(p2pkp_now_ns() - s->start_ns) / NSEC_PER_SEC;
	r->res->files_ok += s->files_ok;
	r->res->files_failed += s->files_failed;
	if (!linger) {
		forget_session(r, s, ok);
		return;
	}
	free(s->slots);
	s->slots = NULL;
	s->file_count = 0;
	s->closed = true;
	s->close_ok = ok;
	s->closed_ns = p2pkp_now_ns();
}

static bool sender_allowed(const struct receiver *r, const struct p2pkp_addr *a)
{
	size_t i;

	if (!r->o->nfrom)
		return true;
	for (i = 0; i < r->o->nfrom; i++) {
		struct p2pkp_addr want = r->o->from[i];

		want.port = a->port; /* --from names hosts, not ports */
		if (p2pkp_addr_equal(&want, a))
			return true;
	}
	return false;
}

static __u16 check_open(struct receiver *r, const struct p2pkp_addr *from,
			const struct p2pkp_open *o, const char **why)
{
	struct statvfs vfs;

	if (o->ver_min > P2PKP_VERSION || o->ver_max < P2PKP_VERSION) {
		*why = "only protocol version 2 is spoken here";
		return P2PKP_R_VERSION;
	}
	if (o->block_size + P2PKP_DATA_OVERHEAD > p2pkp_tx_max_msg(r->t, from)) {
		*why = "DATA of this block size does not fit this link's MTU";
		return P2PKP_R_MTU;
	}
	if (o->file_count > MAX_FILES) {
		*why = "too many files in one session";
		return P2PKP_R_REFUSED;
	}
	if (!statvfs(r->o->dir, &vfs) && o->total_bytes / vfs.f_frsize > (__u64)vfs.f_bavail) {
		*why = "not enough free space in the output directory";
		return P2PKP_R_NO_SPACE;
	}
	return P2PKP_R_OK;
}

static struct session *new_session(struct receiver *r, const struct p2pkp_msg *m,
				   const struct p2pkp_addr *from)
{
	struct session *s = NULL;
	int i;

	for (i = 0; i < MAX_SESSIONS && !s; i++)
		if (!r->sess[i].used)
			s = &r->sess[i];
	if (!s)
		return NULL;
	s->slots = calloc(m->u.open.file_count ? m->u.open.file_count : 1, sizeof(*s->slots));
	if (!s->slots)
		return NULL;
	s->used = true;
	s->linkid = m->linkid;
	s->peer = *from;
	p2pkp_addr_str(from, s->name, sizeof(s->name));
	s->block_size = m->u.open.block_size;
	s->file_count = m->u.open.file_count;
	s->total_bytes = m->u.open.total_bytes;
	s->start_ns = s->last_heard_ns = s->last_report_ns = s->last_save_ns = p2pkp_now_ns();
	pr_info("%s: session %016llx: %u files, %llu bytes\n", s->name,
		(unsigned long long)s->linkid, s->file_count, (unsigned long long)s->total_bytes);
	return s;
}

static void on_open(struct receiver *r, const struct p2pkp_msg *m, const struct p2pkp_addr *from)
{
	struct p2pkp_open_reply rep = {
		.result = P2PKP_R_OK, .ver_min = P2PKP_VERSION, .ver_max = P2PKP_VERSION};
	struct session *s = find_session(r, m->linkid, from);
	const char *why = "refused";
	struct p2pkp_enc e;
	CTRL_BUF(buf);

	if (!s) {
		if (!sender_allowed(r, from)) {
			rep.result = P2PKP_R_REFUSED;
			why = "sender not allowed (--from)";
		} else {
			rep.result = check_open(r, from, &m->u.open, &why);
		}
		if (rep.result == P2PKP_R_OK) {
			s = new_session(r, m, from);
			if (!s) {
				rep.result = P2PKP_R_BUSY;
				why = "too many sessions";
			}
		}
		if (rep.result != P2PKP_R_OK) {
			char name[P2PKP_ADDR_STRLEN];

			pr_warn("%s: refused session: %s\n",
				p2pkp_addr_str(from, name, sizeof(name)), why);
			rep.ver_min = rep.ver_max = P2PKP_VERSION;
			rep.text.ptr = (const __u8 *)why;
			rep.text.len = (__u32)strlen(why);
		}
	}
	if (s) {
		s->broken = false;
		rep.max_payload = p2pkp_tx_max_msg(r->t, from);
	}
	p2pkp_enc_init(&e, buf, sizeof(buf));
	send_msg(r, from, buf, p2pkp_build_open_reply(&e, m->linkid, m->msgid, &rep));
}

/* --- files ------------------------------------------------------------------------- */

static void slot_fail(struct session *s, struct slot *sl, __u16 result)
{
	if (sl->state == SLOT_FAILED)
		return;
	sl->state = SLOT_FAILED;
	sl->result = result;
	s->files_failed++;
}

static void begin_file(struct receiver *r, struct session *s, const struct p2pkp_file_info *fi)
{
	struct slot *sl = &s->slots[fi->index];
	char name[P2PKP_MAX_NAME + 1];
	struct p2pkp_rfile_desc d = {
		.name = name,
		.size = fi->size,
		.mode = fi->mode,
		.mtime_ns = fi->mtime_ns,
		.block_size = s->block_size,
	};
	__u16 result = P2PKP_R_IO;

	memcpy(d.digest, fi->digest, sizeof(d.digest));
	memcpy(name, fi->name.ptr, fi->name.len);
	name[fi->name.len] = '\0';
	sl->size = fi->size;
	sl->is_dir = S_ISDIR(fi->mode);
	if (p2pkp_store_begin(r->store, &d, &sl->f, &result) || result != P2PKP_R_OK) {
		sl->f = NULL;
		if (result == P2PKP_R_HAVE) {
			sl->state = SLOT_HAVE;
			sl->result = P2PKP_R_HAVE;
			s->files_ok++;
			return;
		}
		slot_fail(s, sl, result);
		return;
	}
	sl->state = SLOT_RECV;
	sl->result = P2PKP_R_OK;
}

static void on_files(struct receiver *r, struct session *s, const struct p2pkp_msg *m)
{
	struct p2pkp_files_reply *rep = &r->files_reply;
	struct p2pkp_enc e;
	CTRL_BUF(buf);
	__u32 i;

	rep->count = 0;
	for (i = 0; i < m->u.files.count; i++) {
		const struct p2pkp_file_info *fi = &m->u.files.file[i];
		struct p2pkp_file_state *fs = &rep->state[rep->count++];
		struct slot *sl;

		fs->index = fi->index;
		if (fi->index >= s->file_count) {
			fs->result = P2PKP_R_PROTOCOL;
			fs->cum = fs->held = 0;
			continue;
		}
		sl = &s->slots[fi->index];
		if (sl->state == SLOT_NONE)
			begin_file(r, s, fi);
		fs->result = sl->result;
		fs->cum = fs->held = 0;
		if (sl->state == SLOT_RECV) {
			fs->cum = p2pkp_rfile_held(sl->f)->cum;
			fs->held = p2pkp_rfile_held(sl->f)->count;
		}
	}
	p2pkp_enc_init(&e, buf, sizeof(buf));
	send_msg(r, &s->peer, buf, p2pkp_build_files_reply(&e, s->linkid, m->msgid, rep));
}

/* Verify and publish a file whose blocks are all held; the VERIFY answer. */
static __u16 finish_file(struct session *s, struct slot *sl)
{
	__u16 result = P2PKP_R_IO;

	if (p2pkp_rfile_finish(sl->f, &result) && result == P2PKP_R_OK)
		result = P2PKP_R_IO;
	switch (result) {
	case P2PKP_R_OK:
		sl->state = SLOT_COMPLETE;
		sl->result = P2PKP_R_OK;
		s->files_ok++;
		s->bytes += sl->size;
		break;
	case P2PKP_R_MISMATCH:
		pr_warn("%s: %s: digest mismatch, fetching it again\n", s->name,
			p2pkp_rfile_name(sl->f));
		sl->dirty = true;
		break;
	case P2PKP_R_INCOMPLETE:
		sl->dirty = true;
		break;
	default:
		slot_fail(s, sl, result);
	}
	return result;
}

static __u16 verify_answer(struct session *s, __u32 file)
{
	struct slot *sl = &s->slots[file];
	int err;

	switch (sl->state) {
	case SLOT_COMPLETE:
	case SLOT_HAVE:
		return P2PKP_R_OK;
	case SLOT_FAILED:
		return sl->result;
	case SLOT_NONE:
		return P2PKP_R_INCOMPLETE;
	default:
		break;
	}
	err = p2pkp_rfile_error(sl->f);
	if (err) {
		slot_fail(s, sl, err == -ENOSPC ? P2PKP_R_NO_SPACE : P2PKP_R_IO);
		return sl->result;
	}
	if (!p2pkp_bitmap_complete(p2pkp_rfile_held(sl->f)))
		return P2PKP_R_INCOMPLETE;
	return finish_file(s, sl);
}

static void on_verify(struct receiver *r, struct session *s, const struct p2pkp_msg *m)
{
	__u32 file = m->u.file_req.file;
	__u16 result;

	if (file >= s->file_count) {
		send_result(r, &s->peer, s->linkid, m->msgid, m->command | P2PKP_CMD_RESPONSE, file,
			    P2PKP_R_PROTOCOL, "no such file index");
		return;
	}
	result = verify_answer(s, file);
	send_result(r, &s->peer, s->linkid, m->msgid, m->command | P2PKP_CMD_RESPONSE, file, result,
		    NULL);
}

static bool session_ok(const struct session *s)
{
	__u32 i;

	for (i = 0; i < s->file_count; i++)
		if (s->slots[i].state != SLOT_COMPLETE && s->slots[i].state != SLOT_HAVE)
			return false;
	return true;
}

/* Directories get their final mtime once their contents have landed. */
static void finish_dirs(struct session *s)
{
	__u16 result;
	__u32 i;

	for (i = s->file_count; i-- > 0;)
		if (s->slots[i].is_dir && s->slots[i].f)
			p2pkp_rfile_finish(s->slots[i].f, &result);
}

static void on_close(struct receiver *r, struct session *s, const struct p2pkp_msg *m)
{
	bool ok;

	if (s->closed) {
		send_result(r, &s->peer, s->linkid, m->msgid, m->command | P2PKP_CMD_RESPONSE,
			    P2PKP_FILE_NONE, s->close_ok ? P2PKP_R_OK : P2PKP_R_INCOMPLETE, NULL);
		return;
	}
	ok = session_ok(s);

	finish_dirs(s);
	send_result(r, &s->peer, s->linkid, m->msgid, m->command | P2PKP_CMD_RESPONSE,
		    P2PKP_FILE_NONE, ok ? P2PKP_R_OK : P2PKP_R_INCOMPLETE, NULL);
	end_session(r, s, ok && m->u.result.result == P2PKP_R_OK, true);
}

static void on_abort(struct receiver *r, struct session *s, const struct p2pkp_msg *m)
{
	const struct p2pkp_result_msg *a = &m->u.result;

	send_result(r, &s->peer, s->linkid, m->msgid, m->command | P2PKP_CMD_RESPONSE,
		    P2PKP_FILE_NONE, P2PKP_R_OK, NULL);
	if (a->file != P2PKP_FILE_NONE) {
		if (a->file < s->file_count)
			slot_fail(s, &s->slots[a->file], a->result);
		return;
	}
	pr_warn("%s: sender aborted the session: %s\n", s->name, p2pkp_result_name(a->result));
	end_session(r, s, false, false);
}

/* --- DATA --------------------------------------------------------------------------- */

static void release_held(struct receiver *r)
{
	if (!r->nheld)
		return;
	p2pkp_rx_release(r->t, r->held, r->nheld);
	r->nheld = 0;
}

/* Write the batch, then give its frames back. */
static void flush_batch(struct receiver *r)
{
	if (!r->nheld)
		return;
	p2pkp_wbatch_flush(r->wb);
	release_held(r);
}

/* Queue the payload; true if the frame is now held by the batch. */
static bool on_data(struct receiver *r, struct session *s, const struct p2pkp_msg *m,
		    const struct p2pkp_rx_msg *rx)
{
	const struct p2pkp_data_view *d = &m->u.data;
	struct slot *sl;

	if (d->file >= s->file_count) {
		r->res->bad_msgs++;
		return false;
	}
	sl = &s->slots[d->file];
	if (sl->state != SLOT_RECV || p2pkp_data_check(d, s->block_size, sl->size) != P2PKP_E_OK) {
		if (sl->state != SLOT_COMPLETE && sl->state != SLOT_HAVE)
			r->res->bad_msgs++;
		else
			r->res->duplicates++;
		return false;
	}
	if (p2pkp_bitmap_test(p2pkp_rfile_held(sl->f), d->offset / s->block_size)) {
		r->res->duplicates++;
		return false;
	}
	/* Nothing reaches the disk unchecked: a bad block stays missing and is asked again. */
	if (p2pkp_block_sum(d->offset, d->payload, d->len) != d->sum) {
		r->res->bad_sums++;
		return false;
	}
	if (!r->nheld)
		r->batch_since_ns = p2pkp_now_ns();
	r->held[r->nheld++] = *rx;
	sl->dirty = sl->unsaved = true;
	if (p2pkp_wbatch_add(r->wb, sl->f, d->offset, d->payload, d->len, d->sum) == 1 ||
	    r->nheld == P2PKP_WBATCH_MAX)
		flush_batch(r);
	return true;
}

/* --- dispatch ------------------------------------------------------------------------ */

static void tell_unknown_link(struct receiver *r, const struct p2pkp_msg *m,
			      const struct p2pkp_addr *from)
{
	struct stranger *st = &r->strangers[0];
	__u64 now = p2pkp_now_ns();
	int i;

	for (i = 0; i < MAX_STRANGERS; i++) {
		if (p2pkp_addr_equal(&r->strangers[i].addr, from)) {
			st = &r->strangers[i];
			break;
		}
		if (r->strangers[i].last_ns < st->last_ns)
			st = &r->strangers[i];
	}
	if (p2pkp_addr_equal(&st->addr, from) && now - st->last_ns < UNKNOWN_LINK_NS)
		return;
	st->addr = *from;
	st->last_ns = now;
	send_result(r, from, m->linkid, 1, P2PKP_CMD_ABORT, P2PKP_FILE_NONE, P2PKP_R_UNKNOWN_LINK,
		    NULL);
}

static void answer_keepalive(struct receiver *r, const struct p2pkp_msg *m,
			     const struct p2pkp_addr *from)
{
	struct p2pkp_enc e;
	CTRL_BUF(buf);

	p2pkp_enc_init(&e, buf, sizeof(buf));
	send_msg(r, from, buf,
		 p2pkp_build_keepalive(&e, m->linkid, m->msgid,
				       P2PKP_CMD_KEEPALIVE | P2PKP_CMD_RESPONSE,
				       m->u.keepalive.timestamp_ns));
}

static void on_control(struct receiver *r, struct session *s, const struct p2pkp_msg *m)
{
	switch (m->command) {
	case P2PKP_CMD_FILES:
		on_files(r, s, m);
		break;
	case P2PKP_CMD_STATUS:
		if (m->u.file_req.file < s->file_count)
			send_status(r, s, m->msgid, P2PKP_CMD_STATUS | P2PKP_CMD_RESPONSE,
				    m->u.file_req.file, m->u.file_req.from);
		break;
	case P2PKP_CMD_VERIFY:
		on_verify(r, s, m);
		break;
	case P2PKP_CMD_CLOSE:
		on_close(r, s, m);
		break;
	case P2PKP_CMD_ABORT:
		on_abort(r, s, m);
		break;
	default:
		r->res->bad_msgs++;
	}
}

/* Returns true if the frame is held by the write batch. */
static bool handle_msg(struct receiver *r, const struct p2pkp_rx_msg *rx)
{
	struct session *s;
	struct p2pkp_msg m;

	if (p2pkp_decode(rx->data, rx->len, &m)) {
		r->res->bad_msgs++;
		return false;
	}
	s = find_session(r, m.linkid, &rx->src);
	if (s && s->closed && m.command != P2PKP_CMD_CLOSE)
		return false; /* late traffic of a finished session */
	if (s)
		s->last_heard_ns = p2pkp_now_ns();
	if (m.command == P2PKP_CMD_DATA) {
		if (s)
			return on_data(r, s, &m, rx);
		tell_unknown_link(r, &m, &rx->src);
		return false;
	}
	/* Control decisions see every block received so far. */
	flush_batch(r);
	if (m.command == P2PKP_CMD_OPEN)
		on_open(r, &m, &rx->src);
	else if (m.command == P2PKP_CMD_KEEPALIVE)
		answer_keepalive(r, &m, &rx->src);
	else if (m.command & P2PKP_CMD_RESPONSE)
		; /* answers to our ABORTs: nothing to do */
	else if (s)
		on_control(r, s, &m);
	else
		tell_unknown_link(r, &m, &rx->src);
	return false;
}

static int receive(struct receiver *r, int timeout_ms)
{
	struct p2pkp_rx_msg msgs[RX_BATCH], done[RX_BATCH];
	__u32 ndone = 0;
	int n, i;

	n = p2pkp_rx_burst(r->t, msgs, RX_BATCH, timeout_ms);
	for (i = 0; i < n; i++)
		if (!handle_msg(r, &msgs[i]))
			done[ndone++] = msgs[i];
	if (ndone)
		p2pkp_rx_release(r->t, done, ndone);
	return n;
}

/* --- timers ------------------------------------------------------------------------- */

/* REPORTs for up to REPORTS_PER_TICK files with news, round-robin. */
static void send_reports(struct receiver *r, struct session *s, __u64 now)
{
	__u32 sent = 0, i, f;
	bool idle = now - s->last_report_ns >= REPORT_IDLE_NS;

	if (now - s->last_report_ns < REPORT_NS)
		return;
	for (i = 0; i < s->file_count && sent < REPORTS_PER_TICK; i++) {
		f = (s->report_cursor + i) % s->file_count;
		if (s->slots[f].state != SLOT_RECV || (!s->slots[f].dirty && !idle))
			continue;
		s->slots[f].dirty = false;
		send_status(r, s, ++s->report_seq, P2PKP_CMD_REPORT, f, 0);
		sent++;
		s->report_cursor = f + 1;
	}
	s->last_report_ns = now;
}

static void run_timers(struct receiver *r, __u64 now)
{
	int i;

	for (i = 0; i < MAX_SESSIONS; i++) {
		struct session *s = &r->sess[i];

		if (!s->used)
			continue;
		if (s->closed) {
			if (now - s->closed_ns > CLOSE_LINGER_NS)
				forget_session(r, s, s->close_ok);
			continue;
		}
		if (now - s->last_heard_ns >
		    s->broken * P2PKP_LINGER_MS * NSEC_PER_MSEC + r->giveup_ns) {
			if (s->broken) {
				end_session(r, s, false, false);
				continue;
			}
			pr_warn("%s: sender silent for %llu s; keeping the session %u s for a "
				"reconnect\n",
				s->name, (unsigned long long)(r->giveup_ns / NSEC_PER_SEC),
				P2PKP_LINGER_MS / 1000);
			s->broken = true;
			save_states(s);
			if (r->o->once) {
				end_session(r, s, false, false);
				continue;
			}
		}
		if (s->broken)
			continue;
		send_reports(r, s, now);
		if (now - s->last_save_ns >= SAVE_NS) {
			save_states(s);
			s->last_save_ns = now;
		}
	}
}

/* --- the loop ------------------------------------------------------------------------ */

static void end_all(struct receiver *r)
{
	int i;

	flush_batch(r);
	for (i = 0; i < MAX_SESSIONS; i++)
		if (r->sess[i].used && r->sess[i].closed)
			forget_session(r, &r->sess[i], r->sess[i].close_ok);
		else if (r->sess[i].used)
			end_session(r, &r->sess[i], false, false);
}

/* Everything the backend holds now, up to DRAIN_MAX messages: how many. */
static __u32 drain(struct receiver *r)
{
	__u32 got = 0;
	int n;

	do {
		n = receive(r, 0);
		if (n > 0)
			got += (__u32)n;
	} while (n == RX_BATCH && got < DRAIN_MAX);
	return got;
}

/*
 * While data flows, sleep until about nap_want messages have arrived instead
 * of waking in poll() for every few: one nap and one pwritev per write batch.
 * The rate is what the last drain found over the time since the one before.
 */
static __u64 nap_ns(const struct receiver *r, __u32 got, __u64 now)
{
	__u64 ns = (now - r->wake_ns) * r->nap_want / got;

	if (ns < NAP_MIN_NS)
		return NAP_MIN_NS;
	return ns > NAP_MAX_NS ? NAP_MAX_NS : ns;
}

static void run(struct receiver *r)
{
	__u64 now = p2pkp_now_ns(), began;
	__u32 got;

	r->wake_ns = now;
	while (!r->finished && !(r->o->stop && *r->o->stop)) {
		began = p2pkp_now_ns();
		got = drain(r);
		now = p2pkp_now_ns();
		if (r->nheld && now - r->batch_since_ns >= FLUSH_AGE_NS)
			flush_batch(r);
		run_timers(r, now);
		p2pkp_tx_flush(r->t);
		if (got && r->nap_want > 1)
			p2pkp_sleep_ns(nap_ns(r, got, now));
		else /* idle: wait for the next message; timers need no more than 50 ms */
			receive(r, r->nheld ? 1 : IDLE_WAIT_MS);
		r->wake_ns = began;
	}
	end_all(r);
	p2pkp_tx_flush(r->t);
}

static int open_all(struct receiver *r)
{
	struct p2pkp_store_opts sopts = {
		.dir = r->o->dir,
		.overwrite = r->o->overwrite,
		.fsync = r->o->fsync,
		.partial_ttl_s = r->o->partial_ttl_s,
	};
	struct p2pkp_transport_opts topts = {
		.ifname = r->o->ifname,
		.port = r->o->port,
		.family = r->o->nfrom ? r->o->from[0].family : AF_INET,
		.backend = r->o->backend,
		.load_steering = true,
		.queue = -1,
	};
	int err;

	err = p2pkp_store_open(&sopts, &r->store);
	if (err)
		return err;
	r->wb = p2pkp_wbatch_new();
	if (!r->wb) {
		err = -ENOMEM;
		goto out_close_store;
	}
	err = p2pkp_transport_open(&topts, &r->t);
	if (err)
		goto out_free_batch;
	/* A quarter of what the backend buffers: naps may misjudge the rate fourfold. */
	r->nap_want = p2pkp_rx_depth(r->t) / 4;
	if (r->nap_want > P2PKP_WBATCH_MAX)
		r->nap_want = P2PKP_WBATCH_MAX;
	return 0;
out_free_batch:
	p2pkp_wbatch_free(r->wb);
out_close_store:
	p2pkp_store_close(r->store);
	return err;
}

int p2pkp_recv(const struct p2pkp_recv_opts *o, struct p2pkp_recv_result *res)
{
	struct p2pkp_wbatch_stats ws;
	struct receiver *r;
	int err;

	memset(res, 0, sizeof(*res));
	r = calloc(1, sizeof(*r)); /* large: not on the stack */
	if (!r)
		return -ENOMEM;
	r->o = o;
	r->res = res;
	r->giveup_ns = (o->giveup_ms ? o->giveup_ms : P2PKP_GIVEUP_MS) * NSEC_PER_MSEC;
	err = open_all(r);
	if (err)
		goto out_free_receiver;
	pr_info("receiving on %s port %u (%s) into %s\n", o->ifname, o->port,
		p2pkp_transport_name(r->t), o->dir);
	run(r);
	p2pkp_wbatch_stats(r->wb, &ws);
	res->bytes_written = ws.bytes;
	res->writes = ws.writes;
	res->duplicates += ws.duplicates;
	p2pkp_transport_stats(r->t, &res->tstats);
	snprintf(res->backend, sizeof(res->backend), "%s", p2pkp_transport_name(r->t));
	p2pkp_transport_close(r->t);
	p2pkp_wbatch_free(r->wb);
	p2pkp_store_close(r->store);
	err = r->failed ? 1 : 0;
out_free_receiver:
	free(r);
	return err;
}
