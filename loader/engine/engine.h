/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The transfer engine: one sender to N receivers (docs/protocol.md 13 and
 * 14), over the transport of transport.h. Each side is one event loop.
 */
#ifndef P2PKP_ENGINE_H
#define P2PKP_ENGINE_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

#include "transport.h"

#define P2PKP_MAX_RECEIVERS 64

struct p2pkp_send_progress {
	__u64 total_bytes; /* file bytes in the session */
	__u64 elapsed_ns;
	__u64 rate_bps;	  /* current pacing rate */
	__u64 sent_bytes; /* payload bytes sent, all receivers, retransmissions included */
	bool final;
	__u32 npeers;
	struct {
		const char *addr;
		__u64 acked_bytes; /* held by the receiver, as last reported */
		const char *state; /* "opening", "sending", "closing", "done", "failed" */
	} peer[P2PKP_MAX_RECEIVERS];
};

struct p2pkp_send_opts {
	const char *ifname;
	__u16 port; /* local UDP port (host order) */
	const struct p2pkp_addr *to;
	size_t nto;
	const char *const *paths;
	size_t npaths;
	enum p2pkp_backend backend;
	__u64 max_rate_bps;   /* 0: no ceiling */
	__u64 start_rate_bps; /* 0: default */
	__u64 fixed_rate_bps; /* non-zero: exactly this rate, no adaptation */
	__u64 min_rate_bps;   /* non-zero: fail a receiver that takes less for 3 s */
	__u32 block_size;     /* 0: from the path MTU */
	__u32 giveup_ms;      /* 0: P2PKP_GIVEUP_MS */
	/* Called about every 250 ms while the session runs, and once at the end. */
	void (*progress)(const struct p2pkp_send_progress *p, void *ctx);
	void *progress_ctx;
	volatile sig_atomic_t *stop; /* set by a signal handler: cancel */
	const __u8 *psk;	     /* P2PKP_PSK_LEN bytes: keyed sessions; NULL: none */
	bool encrypt;		     /* keyed: encrypt the items, not only authenticate */
	/*
	 * Test hook, NULL outside tests: asked for every DATA datagram just
	 * before it is queued (seq: its DATA sequence number toward that
	 * receiver, from 1, resends included). True makes the datagram vanish
	 * as if lost on the wire: it is counted as sent and never transmitted.
	 * Lets a test script its losses without touching the transport.
	 */
	bool (*test_drop_data)(void *ctx, const struct p2pkp_addr *to, __u32 seq, __u32 file,
			       __u64 block, bool retrans);
	void *test_drop_ctx;
};

#define P2PKP_FAILED_NAMES 8 /* failed files named per receiver; files_failed counts all */

struct p2pkp_peer_result {
	char addr[P2PKP_ADDR_STRLEN];
	bool ok;
	__u16 result;  /* enum p2pkp_result of the conversation */
	char why[160]; /* empty when ok */
	__u32 files_ok, files_have, files_failed;
	__u64 data_msgs;       /* DATA sent to this receiver, retransmissions included */
	__u64 retransmitted;   /* of those, retransmissions */
	__u64 data_bytes;      /* payload bytes of those DATA */
	__u64 delivered_bytes; /* bytes of verified files this session actually moved */
	__u64 skipped_bytes;   /* bytes the receiver already had (HAVE, resumed blocks) */
	bool closed;	       /* it answered CLOSE ... */
	__u16 close_result;    /* ... with this */
	__u32 nfailed_named;
	char failed[P2PKP_FAILED_NAMES][256]; /* names of failed files, maybe cut short */
};

struct p2pkp_send_result {
	__u64 bytes; /* file bytes in the session */
	__u32 files;
	double seconds;
	__u64 data_msgs;
	__u64 retransmitted;
	__u64 data_bytes;      /* payload bytes sent as DATA, all receivers */
	__u64 delivered_bytes; /* sum of the receivers' delivered_bytes */
	__u64 skipped_bytes;   /* sum of the receivers' skipped_bytes */
	__u64 final_rate_bps;
	struct p2pkp_transport_stats tstats;
	char backend[8];
	__u32 npeers;
	struct p2pkp_peer_result peer[P2PKP_MAX_RECEIVERS];
};

/* Runs the whole session. 0 if every receiver succeeded, 1 if any failed, -errno on setup. */
int p2pkp_send(const struct p2pkp_send_opts *opts, struct p2pkp_send_result *res);

/*
 * Goodput of a finished session in bit/s: bytes moved and verified, all
 * receivers, over the session's time. false when nothing was moved (every
 * file was there already, or nothing was verified): there is no figure then.
 */
bool p2pkp_send_goodput_bps(const struct p2pkp_send_result *res, double *bps);

struct p2pkp_recv_opts {
	const char *ifname;
	__u16 port;
	const char *dir;
	bool once; /* return after one session ends */
	bool overwrite;
	bool fsync;
	__u64 partial_ttl_s;	       /* collect partials untouched this long at start; 0: never */
	const struct p2pkp_addr *from; /* accept only these senders (port 0: any port) */
	size_t nfrom;
	enum p2pkp_backend backend;
	__u32 giveup_ms; /* 0: P2PKP_GIVEUP_MS */
	volatile sig_atomic_t *stop;
	const __u8 *psk; /* P2PKP_PSK_LEN bytes: only keyed sessions; NULL: no key */
	bool encrypt;	 /* keyed: refuse sessions that do not encrypt */
};

struct p2pkp_recv_result {
	__u32 sessions; /* sessions closed */
	double seconds; /* sessions' durations, OPEN to end, summed */
	__u32 files_ok, files_failed;
	__u64 bytes_written;
	__u64 writes; /* pwritev calls */
	__u64 duplicates;
	__u64 bad_msgs;	   /* malformed or unexpected datagrams dropped */
	__u64 bad_sums;	   /* DATA whose BLOCK_SUM did not match its payload: dropped */
	__u64 auth_failed; /* keyed: datagrams without a valid seal, dropped */
	struct p2pkp_transport_stats tstats;
	char backend[8];
};

/*
 * Serves sessions until *stop, or with once until one session ends.
 * 0: success (with once: that session delivered every file), 1: a session failed,
 * -errno on setup.
 */
int p2pkp_recv(const struct p2pkp_recv_opts *opts, struct p2pkp_recv_result *res);

#endif /* P2PKP_ENGINE_H */
