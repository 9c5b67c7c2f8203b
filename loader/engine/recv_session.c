// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The receiver's sessions (docs/protocol.md 14.1): keyed by (linkid,
 * sender), opened by OPEN within the limits this receiver accepts, ended
 * when closed, aborted or silent too long; and the messages a session sends.
 */
#include <endian.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>

#include "clock.h"
#include "log.h"
#include "recv_priv.h"

#define MAX_FILES (1u << 20)

/* --- sending ----------------------------------------------------------------------- */

/*
 * Send msg to to, sealed with la (NULL: unsealed). A keyed receiver seals
 * with the session's key; without a session it sends only refusals of OPEN.
 */
static void send_sealed(struct receiver *r, const struct p2pkp_addr *to, struct p2pkp_linkauth *la,
			const void *msg, int len)
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
	if (la)
		len = p2pkp_linkauth_seal(la, false, buf.data, (__u32)len, buf.cap);
	if (len < 0 || p2pkp_tx_put(r->t, &buf, (__u32)len, to))
		p2pkp_tx_abandon(r->t, &buf);
}

void rcv_send_msg(struct receiver *r, const struct p2pkp_addr *to, const void *msg, int len)
{
	const struct p2pkp_hdr *h = msg;
	struct session *s;

	if (len <= 0 || !r->o->psk) {
		send_sealed(r, to, NULL, msg, len);
		return;
	}
	s = rcv_find_session(r, be64toh(h->linkid), to);
	if (s && s->auth.tx)
		send_sealed(r, to, &s->auth, msg, len);
	else if (be16toh(h->command) == (P2PKP_CMD_OPEN | P2PKP_CMD_RESPONSE))
		send_sealed(r, to, NULL, msg, len); /* a refusal: the sender cannot check it */
}

void rcv_send_result(struct receiver *r, const struct p2pkp_addr *to, __u64 linkid, __u32 msgid,
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
	rcv_send_msg(r, to, buf, p2pkp_build_result(&e, linkid, msgid, command, &m));
}

/* A status report of file over the window from max(from, CUM) on. */
void rcv_send_status(struct receiver *r, struct session *s, __u32 msgid, __u16 command, __u32 file,
		     __u64 from)
{
	struct p2pkp_range ranges[P2PKP_MAX_RANGES];
	struct p2pkp_transport_stats ts;
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
	/* What arrived, on our clock: the sender's rate follows it (protocol.md 9.1). */
	p2pkp_transport_stats(r->t, &ts);
	st.received = s->received;
	st.rx_time_ns = p2pkp_now_ns();
	st.rx_drops = ts.rx_dropped;
	p2pkp_enc_init(&e, buf, sizeof(buf));
	rcv_send_msg(r, &s->peer, buf,
		     p2pkp_build_status(&e, s->linkid, msgid, command, &st, ranges));
}

/* --- sessions ---------------------------------------------------------------------- */

struct session *rcv_find_session(struct receiver *r, __u64 linkid, const struct p2pkp_addr *a)
{
	int i;

	for (i = 0; i < MAX_SESSIONS; i++)
		if (r->sess[i].used && r->sess[i].linkid == linkid &&
		    p2pkp_addr_equal(&r->sess[i].peer, a))
			return &r->sess[i];
	return NULL;
}

void rcv_save_states(struct session *s)
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
void rcv_forget_session(struct receiver *r, struct session *s, bool ok)
{
	bool admitted = s->admitted;

	free(s->slots);
	p2pkp_linkauth_free(&s->auth);
	memset(s, 0, sizeof(*s));
	/* Only a session that proved itself ends --once: OPEN alone is anyone's. */
	if (r->o->once && admitted) {
		r->finished = true;
		r->failed |= !ok;
	}
}

/*
 * Close the session's files (partial ones keep their state for resume) and
 * account for it. A closed session lingers to answer repeated CLOSEs.
 */
void rcv_end_session(struct receiver *r, struct session *s, bool ok, bool linger)
{
	__u32 i;

	rcv_save_states(s);
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
		rcv_forget_session(r, s, ok);
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

		if (!want.port)
			want.port = a->port; /* a host without a port: any of its ports */
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
	if (o->block_size + P2PKP_DATA_OVERHEAD + (o->auth ? P2PKP_SEAL_LEN : 0) >
	    p2pkp_tx_max_msg(r->t, from)) {
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

/*
 * OPEN (docs/protocol.md 14.1). la: a keyed OPEN that just checked, with the
 * session keys drawn; the new session takes it over, or the refusal is
 * sealed with it and it is freed.
 */
void rcv_on_open(struct receiver *r, const struct p2pkp_msg *m, const struct p2pkp_addr *from,
		 struct p2pkp_linkauth *la)
{
	struct p2pkp_open_reply rep = {
		.result = P2PKP_R_OK, .ver_min = P2PKP_VERSION, .ver_max = P2PKP_VERSION};
	struct session *s = rcv_find_session(r, m->linkid, from);
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
			} else if (la) {
				s->auth = *la; /* the session owns the keys now */
				memset(la, 0, sizeof(*la));
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
		la = s->auth.tx ? &s->auth : NULL;
	}
	if (la) {
		rep.keyed = true;
		memcpy(rep.nonce, la->nr, sizeof(rep.nonce));
	}
	p2pkp_enc_init(&e, buf, sizeof(buf));
	send_sealed(r, from, la, buf, p2pkp_build_open_reply(&e, m->linkid, m->msgid, &rep));
	if (la && (!s || la != &s->auth))
		p2pkp_linkauth_free(la);
}
