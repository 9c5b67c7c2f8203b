/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Authenticated datagrams of P2PKP with a pre-shared key (docs/security.md):
 * session keys derived from the PSK and both sides' fresh nonces with
 * HKDF-SHA256, and a 24-byte trailer on every datagram, the 64-bit sequence
 * number and the AES-256-GCM tag. Without encryption the whole message is
 * authenticated data; with it, the 16-byte header stays clear (it names the
 * session) and the items are encrypted in place.
 *
 * Primitives come from OpenSSL's libcrypto (AES-256-GCM was the fastest AEAD
 * on the test host, docs/security.md). Sequence numbers and lengths are host
 * order in these functions and big-endian on the wire.
 */
#ifndef P2PKP_AUTH_H
#define P2PKP_AUTH_H

#include <stdbool.h>
#include <linux/types.h>

#define P2PKP_PSK_LEN	  32 /* the pre-shared key */
#define P2PKP_NONCE_LEN	  32 /* each side's handshake nonce */
#define P2PKP_KEY_LEN	  32 /* one direction's AES-256-GCM key */
#define P2PKP_TAG_LEN	  16
#define P2PKP_SEAL_LEN	  (8 + P2PKP_TAG_LEN) /* trailer: sequence number, tag */
#define P2PKP_REPLAY_BITS 1024		      /* sequence numbers a receiver tells apart */

/* What a session's keys protect: every datagram, and with ENCRYPT its items too. */
enum p2pkp_auth_mode {
	P2PKP_AUTH_NONE = 0,
	P2PKP_AUTH_MAC = 1,
	P2PKP_AUTH_ENCRYPT = 2,
};

/*
 * The key that seals a sender's OPEN, from the PSK, the session and the
 * sender's nonce alone: it proves the sender holds the PSK, not that the OPEN
 * is fresh (the session keys, which need the receiver's nonce, prove that).
 */
int p2pkp_derive_open_key(const __u8 psk[P2PKP_PSK_LEN], __u64 linkid,
			  const __u8 ns[P2PKP_NONCE_LEN], __u8 key[P2PKP_KEY_LEN]);
/* The two directions' keys of a session: sender to receiver, receiver to sender. */
int p2pkp_derive_session_keys(const __u8 psk[P2PKP_PSK_LEN], __u64 linkid,
			      const __u8 ns[P2PKP_NONCE_LEN], const __u8 nr[P2PKP_NONCE_LEN],
			      __u8 s2r[P2PKP_KEY_LEN], __u8 r2s[P2PKP_KEY_LEN]);

/* One direction's key, ready to seal or open; never used with a sequence number twice. */
struct p2pkp_sealer;

struct p2pkp_sealer *p2pkp_sealer_new(const __u8 key[P2PKP_KEY_LEN]);
void p2pkp_sealer_free(struct p2pkp_sealer *s);

/* Bytes a message of len bytes takes on the wire, sealed: padded to 8, then the trailer. */
static inline __u32 p2pkp_sealed_len(__u32 len)
{
	return ((len + 7) & ~7u) + P2PKP_SEAL_LEN;
}

/*
 * Seals the message of len bytes at buf (its header's length says len) under
 * sequence number seq (> 0): zero padding to 8, then the trailer; with
 * encrypt, the items encrypted in place. buf holds cap bytes. Returns the
 * datagram's length, or -ENOSPC, -EINVAL, -EIO.
 */
int p2pkp_seal(struct p2pkp_sealer *s, __u64 seq, __u8 *buf, __u32 len, __u32 cap, bool encrypt);

/*
 * Checks the datagram of dlen bytes at buf: its length must be the sealed
 * length of the message its header announces, and the tag must verify (with
 * encrypt the items are decrypted in place). Returns the message length and
 * its sequence number in *seq, or -EBADMSG. Nothing is trusted before it
 * returns: a failed check leaves buf undefined.
 */
int p2pkp_unseal(struct p2pkp_sealer *s, __u8 *buf, __u32 dlen, __u64 *seq, bool encrypt);

/* Which sequence numbers arrived: a sliding window of P2PKP_REPLAY_BITS. */
struct p2pkp_replay {
	__u64 top; /* highest accepted, 0: none yet */
	__u64 bits[P2PKP_REPLAY_BITS / 64];
};

/* True if seq (> 0) is new: not seen and not older than the window. Records it. */
bool p2pkp_replay_accept(struct p2pkp_replay *w, __u64 seq);

#endif /* P2PKP_AUTH_H */
