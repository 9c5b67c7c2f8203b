// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The receiver (docs/protocol.md 14): sessions keyed by (linkid, sender),
 * DATA written straight from the receive frames in pwritev batches (frames go
 * back to the kernel only after their batch is written), a REPORT per file
 * with news every report period, resume state saved every second, and every
 * request answered idempotently from the current state. This file sets the
 * receiver up, runs its timers and its loop; recv_session.c, recv_files.c
 * and recv_data.c hold the rest.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "log.h"
#include "recv_priv.h"

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
/* A closed session answers repeated CLOSEs this long (its answer may be lost). */
#define CLOSE_LINGER_NS (1000 * NSEC_PER_MSEC)

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
		rcv_send_status(r, s, ++s->report_seq, P2PKP_CMD_REPORT, f, 0);
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
				rcv_forget_session(r, s, s->close_ok);
			continue;
		}
		if (now - s->last_heard_ns >
		    s->broken * P2PKP_LINGER_MS * NSEC_PER_MSEC + r->giveup_ns) {
			if (s->broken) {
				rcv_end_session(r, s, false, false);
				continue;
			}
			pr_warn("%s: sender silent for %llu s; keeping the session %u s for a "
				"reconnect\n",
				s->name, (unsigned long long)(r->giveup_ns / NSEC_PER_SEC),
				P2PKP_LINGER_MS / 1000);
			s->broken = true;
			rcv_save_states(s);
			if (r->o->once) {
				rcv_end_session(r, s, false, false);
				continue;
			}
		}
		if (s->broken)
			continue;
		send_reports(r, s, now);
		if (now - s->last_save_ns >= SAVE_NS) {
			rcv_save_states(s);
			s->last_save_ns = now;
		}
	}
}

/* --- the loop ------------------------------------------------------------------------ */

/*
 * Stopped (a signal) or done: sessions still running are cut short, and their
 * senders told at once (ABORT CANCELLED) instead of sending into the void
 * until their timeout. With --once that session's failure is the run's; a
 * receiver serving until stopped exits 0, as daemons stopped on purpose do.
 */
static void end_all(struct receiver *r)
{
	struct session *s;
	int i;

	rcv_flush_batch(r);
	for (i = 0; i < MAX_SESSIONS; i++) {
		s = &r->sess[i];
		if (!s->used)
			continue;
		if (s->closed) {
			rcv_forget_session(r, s, s->close_ok);
			continue;
		}
		if (s->admitted) {
			rcv_send_result(r, &s->peer, s->linkid, 1, P2PKP_CMD_ABORT, P2PKP_FILE_NONE,
					P2PKP_R_CANCELLED, "receiver stopped");
		}
		rcv_end_session(r, s, false, false);
	}
}

/* Everything the backend holds now, up to DRAIN_MAX messages: how many. */
static __u32 drain(struct receiver *r)
{
	__u32 got = 0;
	int n;

	do {
		n = rcv_receive(r, 0);
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
			rcv_flush_batch(r);
		run_timers(r, now);
		p2pkp_tx_flush(r->t);
		if (got && r->nap_want > 1)
			p2pkp_sleep_ns(nap_ns(r, got, now));
		else /* idle: wait for the next message; timers need no more than 50 ms */
			rcv_receive(r, r->nheld ? 1 : IDLE_WAIT_MS);
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
		/* Without --from, senders of both families (a dual-stack socket). */
		.family = r->o->nfrom ? r->o->from[0].family : AF_UNSPEC,
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
