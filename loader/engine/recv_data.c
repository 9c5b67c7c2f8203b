// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The receiver's data path (docs/protocol.md 14.1 and 14.2): DATA checked
 * and queued in the write batch with its frame held until the batch is
 * written; every other datagram dispatched to its session, or answered
 * UNKNOWN_LINK when there is none.
 */
#include <endian.h>
#include <errno.h>
#include <string.h>

#include "clock.h"
#include "log.h"
#include "recv_priv.h"

#define UNKNOWN_LINK_NS (1000 * NSEC_PER_MSEC)

/* --- DATA --------------------------------------------------------------------------- */

static void release_held(struct receiver *r)
{
	if (!r->nheld)
		return;
	p2pkp_rx_release(r->t, r->held, r->nheld);
	r->nheld = 0;
}

/* Write the batch, then give its frames back. */
void rcv_flush_batch(struct receiver *r)
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
	s->received += d->len;
	r->held[r->nheld++] = *rx;
	sl->dirty = sl->unsaved = true;
	if (p2pkp_wbatch_add(r->wb, sl->f, d->offset, d->payload, d->len, d->sum) == 1 ||
	    r->nheld == P2PKP_WBATCH_MAX)
		rcv_flush_batch(r);
	return true;
}

/* --- dispatch ------------------------------------------------------------------------ */

/* At most one answer a second to each peer without a session (no amplification). */
bool rcv_stranger_may_hear(struct receiver *r, const struct p2pkp_addr *from)
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
		return false;
	st->addr = *from;
	st->last_ns = now;
	return true;
}

static void tell_unknown_link(struct receiver *r, const struct p2pkp_msg *m,
			      const struct p2pkp_addr *from)
{
	/* A keyed receiver tells strangers nothing: they could not check it. */
	if (!r->o->psk && rcv_stranger_may_hear(r, from))
		rcv_send_result(r, from, m->linkid, 1, P2PKP_CMD_ABORT, P2PKP_FILE_NONE,
				P2PKP_R_UNKNOWN_LINK, NULL);
}

/*
 * Refuse a keyed-session OPEN with AUTH, unsealed (there is no key to seal it
 * with), at most once a second per peer and never larger than the OPEN.
 */
static void refuse_auth(struct receiver *r, const struct p2pkp_msg *m,
			const struct p2pkp_addr *from, __u32 req_len, const char *why)
{
	struct p2pkp_open_reply rep = {
		.result = P2PKP_R_AUTH, .ver_min = P2PKP_VERSION, .ver_max = P2PKP_VERSION};
	char name[P2PKP_ADDR_STRLEN];
	struct p2pkp_enc e;
	CTRL_BUF(buf);
	int len;

	if (!rcv_stranger_may_hear(r, from))
		return;
	pr_warn("%s: refused session: %s\n", p2pkp_addr_str(from, name, sizeof(name)), why);
	rep.text.ptr = (const __u8 *)why;
	rep.text.len = (__u32)strlen(why);
	p2pkp_enc_init(&e, buf, sizeof(buf));
	len = p2pkp_build_open_reply(&e, m->linkid, m->msgid, &rep);
	if (len > (int)req_len) {
		rep.text.len = 0;
		p2pkp_enc_init(&e, buf, sizeof(buf));
		len = p2pkp_build_open_reply(&e, m->linkid, m->msgid, &rep);
	}
	if (len <= (int)req_len)
		rcv_send_msg(r, from, buf, len);
}

/* A keyed OPEN at a receiver without a key: say so, so the sender need not time out. */
static void refuse_sealed_open(struct receiver *r, const struct p2pkp_rx_msg *rx)
{
	const struct p2pkp_hdr *h = (const struct p2pkp_hdr *)rx->data;
	__u32 mlen;
	struct p2pkp_msg m;

	if (rx->len < P2PKP_HDR_LEN || be16toh(h->command) != P2PKP_CMD_OPEN)
		return;
	mlen = be16toh(h->length);
	if (mlen < P2PKP_HDR_LEN || rx->len != p2pkp_sealed_len(mlen) ||
	    p2pkp_decode(rx->data, mlen, &m) || !m.u.open.auth)
		return;
	refuse_auth(r, &m, &rx->src, rx->len, "no key here");
}

/*
 * An OPEN to a keyed receiver: its seal must check with the open key its
 * own nonce gives (a retransmission: with the session's). A fresh one that
 * checks gets our nonce and the session keys in la. Message length or -EBADMSG.
 */
static int keyed_open(struct receiver *r, const struct p2pkp_rx_msg *rx, struct session *s,
		      struct p2pkp_linkauth *la)
{
	__u8 *data = (__u8 *)rx->data; /* ours until released: opened in place */
	const struct p2pkp_hdr *h = (const struct p2pkp_hdr *)data;
	__u32 mlen = be16toh(h->length);
	struct p2pkp_msg m;
	int n;

	if (mlen > rx->len || p2pkp_decode(data, mlen, &m))
		return -EBADMSG;
	if (!m.u.open.auth) {
		refuse_auth(r, &m, &rx->src, rx->len, "key required");
		return -EBADMSG;
	}
	if (s) {
		if (memcmp(s->auth.ns, m.u.open.nonce, sizeof(s->auth.ns)))
			return -EBADMSG; /* someone else's OPEN on this link */
		return p2pkp_linkauth_unseal(&s->auth, true, data, rx->len);
	}
	if (p2pkp_linkauth_start(la, r->o->psk, m.linkid, m.u.open.auth, P2PKP_ROLE_RECEIVER,
				 m.u.open.nonce))
		return -EBADMSG;
	n = p2pkp_linkauth_unseal(la, true, data, rx->len);
	if (n < 0)
		refuse_auth(r, &m, &rx->src, rx->len, "keys differ");
	else if (r->o->encrypt && m.u.open.auth != P2PKP_AUTH_ENCRYPT)
		refuse_auth(r, &m, &rx->src, rx->len, "--encrypt required");
	else if (!p2pkp_linkauth_accept(la, r->o->psk))
		return n;
	p2pkp_linkauth_free(la);
	return -EBADMSG;
}

/*
 * A keyed receiver opens every datagram before decoding it: a session's with
 * the session key, an OPEN with its open key. Returns the message length and
 * its session in *sp (NULL: none yet), or -EBADMSG: dropped and counted.
 */
static int keyed_msg(struct receiver *r, const struct p2pkp_rx_msg *rx, struct p2pkp_linkauth *la,
		     struct session **sp)
{
	const struct p2pkp_hdr *h = (const struct p2pkp_hdr *)rx->data;
	struct session *s;
	int n;

	if (rx->len < P2PKP_HDR_LEN)
		return -EBADMSG;
	s = *sp = rcv_find_session(r, be64toh(h->linkid), &rx->src);
	if (be16toh(h->command) == P2PKP_CMD_OPEN) {
		n = keyed_open(r, rx, s, la);
	} else if (!s) {
		n = -EBADMSG;
	} else {
		n = p2pkp_linkauth_unseal(&s->auth, false, (__u8 *)rx->data, rx->len);
		s->admitted |= n >= 0; /* it holds the key and saw our nonce */
	}
	if (n < 0)
		r->res->auth_failed++;
	return n;
}

static void answer_keepalive(struct receiver *r, const struct p2pkp_msg *m,
			     const struct p2pkp_addr *from)
{
	struct p2pkp_enc e;
	CTRL_BUF(buf);

	p2pkp_enc_init(&e, buf, sizeof(buf));
	rcv_send_msg(r, from, buf,
		     p2pkp_build_keepalive(&e, m->linkid, m->msgid,
					   P2PKP_CMD_KEEPALIVE | P2PKP_CMD_RESPONSE,
					   m->u.keepalive.timestamp_ns));
}

/* Returns true if the frame is held by the write batch. */
static bool handle_msg(struct receiver *r, const struct p2pkp_rx_msg *rx)
{
	struct p2pkp_linkauth la = {0}, *fresh = NULL;
	__u32 len = rx->len;
	struct session *s = NULL;
	struct p2pkp_msg m;
	int n;

	if (r->o->psk) {
		n = keyed_msg(r, rx, &la, &s); /* the session is looked up once, here */
		if (n < 0)
			return false;
		len = (__u32)n;
		fresh = la.tx ? &la : NULL;
	}
	if (p2pkp_decode(rx->data, len, &m)) {
		r->res->bad_msgs++;
		if (!r->o->psk)
			refuse_sealed_open(r, rx);
		p2pkp_linkauth_free(&la);
		return false;
	}
	if (!r->o->psk)
		s = rcv_find_session(r, m.linkid, &rx->src);
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
	rcv_flush_batch(r);
	if (m.command == P2PKP_CMD_OPEN)
		rcv_on_open(r, &m, &rx->src, fresh);
	else if (m.command == P2PKP_CMD_KEEPALIVE)
		answer_keepalive(r, &m, &rx->src);
	else if (m.command & P2PKP_CMD_RESPONSE)
		; /* answers to our ABORTs: nothing to do */
	else if (s)
		rcv_on_control(r, s, &m);
	else
		tell_unknown_link(r, &m, &rx->src);
	return false;
}

int rcv_receive(struct receiver *r, int timeout_ms)
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
