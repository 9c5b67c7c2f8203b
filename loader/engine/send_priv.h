/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The sender's private state and the functions its files share (send.c:
 * set-up, the loop, results; send_ctrl.c: requests, replies, timers;
 * send_data.c: DATA runs and retransmission). Not for use outside
 * loader/engine/: the interface is engine.h.
 */
#ifndef P2PKP_SEND_PRIV_H
#define P2PKP_SEND_PRIV_H

#include <stdbool.h>
#include <linux/types.h>

#include "engine.h"
#include "filelist.h"
#include "inflight.h"
#include "linkauth.h"
#include "pacer.h"
#include "ratectl.h"
#include "ranges.h"
#include "reqs.h"
#include "wire.h"

#define TX_BATCH_MIN 32 /* messages per kick at least, however low the rate */
#define FD_CACHE     16
#define READ_BATCH   1024 /* blocks per preadv: IOV_MAX */

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
	__u32 resend_hint;		/* lowest file that may have blocks to resend */
	struct p2pkp_inflight inflight; /* its recent retransmissions */
	struct p2pkp_linkauth auth;	/* keyed: the handshake and the session keys */
	__u32 auth_failed;		/* keyed: answers to OPEN whose seal did not check */
	struct p2pkp_peer_result *res;
	struct p2pkp_rate_peer rate; /* its delivery samples */
	bool straggler_said;	     /* told the operator it is far behind */
	__u64 below_min_since_ns;    /* under --min-rate since then, 0: not */
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
	__u32 seq; /* DATA sequence number, file and block: for opts->test_drop_data */
	__u32 file;
	__u64 block;
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
	struct p2pkp_ratectl rate;
	struct p2pkp_rate_peer *rate_peers[P2PKP_MAX_RECEIVERS];
	bool rate_active[P2PKP_MAX_RECEIVERS];
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

static inline __u64 file_blocks(const struct sender *s, __u32 f)
{
	return p2pkp_blocks(s->fl.v[f].size, s->block_size);
}

static inline bool pfile_final(const struct pfile *pf)
{
	return pf->state == PF_DONE || pf->state == PF_HAVE || pf->state == PF_FAILED;
}

/* send_ctrl.c */
int snd_get_txbuf(struct sender *s, struct p2pkp_tx_buf *buf);
int snd_put(struct sender *s, struct peer *p, struct p2pkp_tx_buf *buf, __u32 len);
void snd_peer_fail(struct peer *p, __u16 result, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void snd_pfile_set(struct peer *p, __u32 f, enum pfile_state st);
void snd_open(struct sender *s, struct peer *p, __u64 now);
void snd_status_req(struct sender *s, struct peer *p, __u32 f, __u64 from, __u64 now);
bool snd_result_req(struct sender *s, struct peer *p, __u16 command, __u16 result, __u64 now);
void snd_receive(struct sender *s, int timeout_ms);
void snd_run_timers(struct sender *s, struct peer *p, __u64 now);

/* send_data.c */
void snd_close_fds(struct sender *s);
__u64 snd_sent_upto(const struct sender *s, __u32 f);
__u64 snd_resend_add(struct pfile *pf, __u64 start, __u64 end);
void snd_apply_status(struct sender *s, struct peer *p, const struct p2pkp_status *st, bool tail);
void snd_start_file(struct sender *s, struct peer *p, __u32 f, __u64 cum);
__u32 snd_tx_batch(const struct sender *s);
__u32 snd_pump_data(struct sender *s, __u64 now);

#endif /* P2PKP_SEND_PRIV_H */
