// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The sender (docs/protocol.md 13): one conversation per receiver, one shared
 * cursor over the files so each block is read once and sent to every
 * receiver that wants it, retransmissions before new data, one kick per
 * batch, paced by the loss the receivers report. This file sets a session
 * up, runs its loop and accounts for it; send_ctrl.c holds the requests and
 * replies, send_data.c the DATA.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "clock.h"
#include "filesum.h"
#include "log.h"
#include "send_priv.h"

#define START_RATE_BPS (1000ull * 1000 * 1000)
#define PROGRESS_NS    (250 * NSEC_PER_MSEC)

/* --- files ------------------------------------------------------------------ */

static bool is_dir(const struct p2pkp_sfile *f)
{
	return S_ISDIR(f->mode);
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
	pr->rate_bps = s->rate.rate_bps;
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
		snd_result_req(s, p, P2PKP_CMD_ABORT, P2PKP_R_CANCELLED, now);
		snd_peer_fail(p, P2PKP_R_CANCELLED, "cancelled");
	}
	p2pkp_tx_flush(s->t);
}

/* Until the pacer lets a whole batch go. */
static __u64 batch_wait_ns(struct sender *s)
{
	p2pkp_pacer_avail(&s->pacer, p2pkp_now_ns());
	return p2pkp_pacer_delay_ns(&s->pacer, snd_tx_batch(s) * s->data_len);
}

/* Is p still being sent data (new blocks or repairs)? */
static bool peer_taking_data(const struct sender *s, const struct peer *p)
{
	if (p->state != PEER_ACTIVE)
		return false;
	for (__u32 f = 0; f < s->fl.n; f++)
		if (p->files[f].state == PF_SEND)
			return true;
	return false;
}

/* Say once that p no longer sets the rate; fail it if it stays under the minimum rate. */
static void check_peer_pace(struct sender *s, struct peer *p, __u64 now)
{
	const __u64 mbit = 1000 * 1000;

	if (p->rate.straggler && !p->straggler_said) {
		pr_info("%s: takes %llu Mbit/s, far behind the others (%llu): it no longer sets the "
			"rate\n",
			p->name, (unsigned long long)(p->rate.bw_bps / mbit),
			(unsigned long long)(s->rate.best_bps / mbit));
		p->straggler_said = true;
	}
	if (!s->o->min_rate_bps || p->state != PEER_ACTIVE || !p->rate.bw_bps)
		return;
	if (p->rate.bw_bps >= s->o->min_rate_bps) {
		p->below_min_since_ns = 0;
		return;
	}
	if (!p->below_min_since_ns)
		p->below_min_since_ns = now;
	else if (now - p->below_min_since_ns >= P2PKP_RATE_SLOW_NS)
		snd_peer_fail(p, P2PKP_R_TIMEOUT,
			      "takes %llu Mbit/s, below the minimum rate of %llu",
			      (unsigned long long)(p->rate.bw_bps / mbit),
			      (unsigned long long)(s->o->min_rate_bps / mbit));
}

/* Once per controller interval: the rate from what the receivers took (ratectl.h). */
static void adjust_rate(struct sender *s, __u64 now)
{
	__u32 i;

	if (now - s->rate.interval_start_ns < P2PKP_RATE_INTERVAL_NS)
		return;
	for (i = 0; i < s->npeers; i++)
		s->rate_active[i] = peer_taking_data(s, &s->peer[i]);
	if (!p2pkp_ratectl_adjust(&s->rate, s->rate_peers, s->rate_active, s->npeers, now))
		return;
	p2pkp_pacer_set_rate(&s->pacer, s->rate.pacing_bps);
	pr_debug("rate %llu Mbit/s (paced at %llu): bottleneck %llu, best receiver %llu (%s)\n",
		 (unsigned long long)(s->rate.rate_bps / 1000000),
		 (unsigned long long)(s->rate.pacing_bps / 1000000),
		 (unsigned long long)(s->rate.btl_bps / 1000000),
		 (unsigned long long)(s->rate.best_bps / 1000000),
		 s->rate.mode == P2PKP_RATE_STARTUP ? "startup" : "probing");
	for (i = 0; i < s->npeers; i++)
		check_peer_pace(s, &s->peer[i], now);
}

static void run(struct sender *s)
{
	__u64 now = p2pkp_now_ns(), wait_ns;
	bool stalled = false;
	__u32 i;

	s->cur_file_since_ns = now;
	for (i = 0; i < s->npeers; i++)
		snd_open(s, &s->peer[i], now);
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
		snd_receive(s, wait_ns >= NSEC_PER_MSEC ? (int)(wait_ns / NSEC_PER_MSEC) : 0);
		now = p2pkp_now_ns();
		for (i = 0; i < s->npeers; i++)
			snd_run_timers(s, &s->peer[i], now);
		stalled = !snd_pump_data(s, now);
		adjust_rate(s, now);
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
	/* A keyed DATA carries the seal's trailer too. */
	__u32 overhead = P2PKP_DATA_OVERHEAD + (s->o->psk ? P2PKP_SEAL_LEN : 0);
	__u32 max_msg = 0xffffffffu, m, i;

	for (i = 0; i < s->npeers; i++) {
		m = p2pkp_tx_max_msg(s->t, &s->peer[i].addr);
		if (m < max_msg)
			max_msg = m;
	}
	if (s->o->block_size) {
		if (s->o->block_size + overhead > max_msg) {
			pr_warn("block size %u does not fit the path: DATA would be %u bytes, at most "
				"%u fit\n",
				s->o->block_size, s->o->block_size + overhead, max_msg);
			return -EMSGSIZE;
		}
		s->block_size = s->o->block_size;
	} else {
		s->block_size = (max_msg - overhead) & ~7u;
		if (s->block_size > P2PKP_MAX_BLOCK_SIZE)
			s->block_size = P2PKP_MAX_BLOCK_SIZE & ~7u;
	}
	if (s->block_size < P2PKP_MIN_BLOCK_SIZE) {
		pr_warn("the path MTU leaves room for only %u-byte blocks (at least %u needed)\n",
			s->block_size, P2PKP_MIN_BLOCK_SIZE);
		return -EMSGSIZE;
	}
	s->data_len = s->block_size + overhead;
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
		s->rate_peers[i] = &p->rate;
		snprintf(p->res->addr, sizeof(p->res->addr), "%s", p->name);
		p2pkp_reqs_init(&p->reqs);
		p2pkp_rtt_init(&p->rtt);
		p->last_heard_ns = now;
		p->files = calloc(s->fl.n ? s->fl.n : 1, sizeof(*p->files));
		if (!p->files)
			return -ENOMEM;
		for (__u32 f = 0; f < s->fl.n; f++)
			p2pkp_rangeset_init(&p->files[f].resend);
		if (s->o->psk) {
			int err = p2pkp_linkauth_start(&p->auth, s->o->psk, s->linkid,
						       s->o->encrypt ? P2PKP_AUTH_ENCRYPT
								     : P2PKP_AUTH_MAC,
						       P2PKP_ROLE_SENDER, NULL);

			if (err)
				return err;
		}
	}
	return 0;
}

static void free_peers(struct sender *s)
{
	__u32 i, f;

	for (i = 0; i < s->npeers; i++) {
		p2pkp_linkauth_free(&s->peer[i].auth);
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
	p2pkp_ratectl_init(&s->rate, o->fixed_rate_bps ?: o->start_rate_bps ?: START_RATE_BPS,
			   o->max_rate_bps, o->fixed_rate_bps != 0, s->data_len, s->start_ns);
	p2pkp_pacer_init(&s->pacer, s->rate.pacing_bps, (__u64)TX_BATCH_MIN * s->data_len,
			 s->start_ns);
	run(s);

	res->bytes = s->fl.total_bytes;
	res->files = s->fl.n;
	res->seconds = (double)(p2pkp_now_ns() - s->start_ns) / NSEC_PER_SEC;
	res->final_rate_bps = s->rate.rate_bps;
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
	snd_close_fds(s);
	p2pkp_transport_close(s->t);
out_free_list:
	p2pkp_filelist_free(&s->fl);
out_free_sender:
	free(s);
	return err;
}
