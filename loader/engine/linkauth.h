/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * One keyed link's protection (docs/security.md): the handshake nonces, the
 * open key that seals the sender's OPEN, the two session keys once both
 * nonces are known, the next sequence number per key and the replay windows.
 * Both ends use it; role says which direction is theirs.
 */
#ifndef P2PKP_LINKAUTH_H
#define P2PKP_LINKAUTH_H

#include <stdbool.h>
#include <linux/types.h>

#include "auth.h"

enum p2pkp_link_role {
	P2PKP_ROLE_SENDER,
	P2PKP_ROLE_RECEIVER,
};

struct p2pkp_linkauth {
	enum p2pkp_link_role role;
	__u16 mode; /* P2PKP_AUTH_MAC or P2PKP_AUTH_ENCRYPT */
	__u64 linkid;
	__u8 ns[P2PKP_NONCE_LEN];
	__u8 nr[P2PKP_NONCE_LEN];
	struct p2pkp_sealer *open; /* seals (sender) or opens (receiver) OPEN */
	struct p2pkp_sealer *tx;   /* this end's direction; NULL until both nonces are known */
	struct p2pkp_sealer *rx;
	__u64 open_seq, tx_seq;
	struct p2pkp_replay open_win, rx_win;
};

/*
 * The sender's side of a new handshake: a fresh Ns and the open key. The
 * receiver's: Ns from a verified-to-be-parsed OPEN; its own Nr is drawn when
 * the OPEN checks (p2pkp_linkauth_accept). Returns 0 or -errno.
 */
int p2pkp_linkauth_start(struct p2pkp_linkauth *la, const __u8 psk[P2PKP_PSK_LEN], __u64 linkid,
			 __u16 mode, enum p2pkp_link_role role, const __u8 *ns);
/* Both nonces known (nr: the receiver's): derive the session keys. */
int p2pkp_linkauth_keys(struct p2pkp_linkauth *la, const __u8 psk[P2PKP_PSK_LEN],
			const __u8 nr[P2PKP_NONCE_LEN]);
/* Receiver: the OPEN checked; draw Nr and derive the session keys. */
int p2pkp_linkauth_accept(struct p2pkp_linkauth *la, const __u8 psk[P2PKP_PSK_LEN]);
/* Back to before the receiver's nonce: its answer did not check. */
void p2pkp_linkauth_drop_keys(struct p2pkp_linkauth *la);
void p2pkp_linkauth_free(struct p2pkp_linkauth *la);

/*
 * Seal the message of len bytes in buf (cap bytes) for the wire: with the
 * open key when open is set (the sender's OPEN; never encrypted), else with
 * this end's session key. Returns the datagram length or -errno.
 */
int p2pkp_linkauth_seal(struct p2pkp_linkauth *la, bool open, __u8 *buf, __u32 len, __u32 cap);
/*
 * Open a datagram of dlen bytes in place: with the open key (open set: an
 * OPEN, at the receiver) or the peer's session key; a sequence number seen
 * before is refused. Returns the message length or -EBADMSG.
 */
int p2pkp_linkauth_unseal(struct p2pkp_linkauth *la, bool open, __u8 *buf, __u32 dlen);

#endif /* P2PKP_LINKAUTH_H */
