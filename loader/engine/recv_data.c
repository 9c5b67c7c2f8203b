// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The receiver's data path (docs/protocol.md 14.1 and 14.2): DATA checked
 * and queued in the write batch with its frame held until the batch is
 * written; every other datagram dispatched to its session, or answered
 * UNKNOWN_LINK when there is none.
 */
#include "clock.h"
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
	rcv_send_result(r, from, m->linkid, 1, P2PKP_CMD_ABORT, P2PKP_FILE_NONE,
			P2PKP_R_UNKNOWN_LINK, NULL);
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
	struct session *s;
	struct p2pkp_msg m;

	if (p2pkp_decode(rx->data, rx->len, &m)) {
		r->res->bad_msgs++;
		return false;
	}
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
		rcv_on_open(r, &m, &rx->src);
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
