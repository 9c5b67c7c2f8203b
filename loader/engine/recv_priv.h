/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The receiver's private state and the functions its files share (recv.c:
 * set-up, timers, the loop; recv_session.c: sessions and what they send;
 * recv_files.c: files, VERIFY and the other control requests; recv_data.c:
 * DATA and dispatch). Not for use outside loader/engine/: the interface is
 * engine.h.
 */
#ifndef P2PKP_RECV_PRIV_H
#define P2PKP_RECV_PRIV_H

#include <stdbool.h>
#include <linux/types.h>

#include "engine.h"
#include "filestore.h"
#include "linkauth.h"
#include "wire.h"

#define RX_BATCH      256
#define MAX_SESSIONS  16
#define MAX_STRANGERS 16

/* Encodes into a stack buffer big enough for any control message. */
#define CTRL_BUF(name) __u8 name[P2PKP_CTRL_MAX] __attribute__((aligned(8)))

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
	__u64 received; /* DATA payload bytes accepted (RECEIVED in REPORTs) */
	__u32 files_ok, files_failed;
	struct p2pkp_linkauth auth; /* keyed: its handshake and keys */
	bool admitted; /* keyed: the sender proved its key and our nonce; else: it sent FILES */
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

/* recv_session.c */
void rcv_send_msg(struct receiver *r, const struct p2pkp_addr *to, const void *msg, int len);
void rcv_send_result(struct receiver *r, const struct p2pkp_addr *to, __u64 linkid, __u32 msgid,
		     __u16 command, __u32 file, __u16 result, const char *text);
void rcv_send_status(struct receiver *r, struct session *s, __u32 msgid, __u16 command, __u32 file,
		     __u64 from);
struct session *rcv_find_session(struct receiver *r, __u64 linkid, const struct p2pkp_addr *a);
void rcv_save_states(struct session *s);
void rcv_forget_session(struct receiver *r, struct session *s, bool ok);
void rcv_end_session(struct receiver *r, struct session *s, bool ok, bool linger);
void rcv_on_open(struct receiver *r, const struct p2pkp_msg *m, const struct p2pkp_addr *from,
		 struct p2pkp_linkauth *la);
bool rcv_stranger_may_hear(struct receiver *r, const struct p2pkp_addr *from);

/* recv_files.c */
void rcv_on_control(struct receiver *r, struct session *s, const struct p2pkp_msg *m);

/* recv_data.c */
void rcv_flush_batch(struct receiver *r);
int rcv_receive(struct receiver *r, int timeout_ms);

#endif /* P2PKP_RECV_PRIV_H */
