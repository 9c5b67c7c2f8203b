// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* A keyed link's protection: see linkauth.h. */
#include <endian.h>
#include <errno.h>
#include <string.h>
#include <sys/random.h>

#include <openssl/crypto.h>

#include "linkauth.h"
#include "p2pkp_shared.h"
#include "wire.h"

static int random_nonce(__u8 n[P2PKP_NONCE_LEN])
{
	return getrandom(n, P2PKP_NONCE_LEN, 0) == P2PKP_NONCE_LEN ? 0 : -EIO;
}

int p2pkp_linkauth_start(struct p2pkp_linkauth *la, const __u8 psk[P2PKP_PSK_LEN], __u64 linkid,
			 __u16 mode, enum p2pkp_link_role role, const __u8 *ns)
{
	__u8 key[P2PKP_KEY_LEN];
	int err;

	p2pkp_linkauth_free(la);
	la->role = role;
	la->mode = mode;
	la->linkid = linkid;
	if (ns)
		memcpy(la->ns, ns, P2PKP_NONCE_LEN);
	else if ((err = random_nonce(la->ns)))
		return err;
	err = p2pkp_derive_open_key(psk, linkid, la->ns, key);
	if (!err) {
		la->open = p2pkp_sealer_new(key);
		err = la->open ? 0 : -ENOMEM;
	}
	OPENSSL_cleanse(key, sizeof(key));
	return err;
}

int p2pkp_linkauth_keys(struct p2pkp_linkauth *la, const __u8 psk[P2PKP_PSK_LEN],
			const __u8 nr[P2PKP_NONCE_LEN])
{
	__u8 s2r[P2PKP_KEY_LEN], r2s[P2PKP_KEY_LEN];
	bool sender = la->role == P2PKP_ROLE_SENDER;
	int err;

	memcpy(la->nr, nr, P2PKP_NONCE_LEN);
	err = p2pkp_derive_session_keys(psk, la->linkid, la->ns, la->nr, s2r, r2s);
	if (!err) {
		la->tx = p2pkp_sealer_new(sender ? s2r : r2s);
		la->rx = p2pkp_sealer_new(sender ? r2s : s2r);
		err = la->tx && la->rx ? 0 : -ENOMEM;
	}
	OPENSSL_cleanse(s2r, sizeof(s2r));
	OPENSSL_cleanse(r2s, sizeof(r2s));
	return err;
}

int p2pkp_linkauth_accept(struct p2pkp_linkauth *la, const __u8 psk[P2PKP_PSK_LEN])
{
	__u8 nr[P2PKP_NONCE_LEN];
	int err = random_nonce(nr);

	return err ? err : p2pkp_linkauth_keys(la, psk, nr);
}

void p2pkp_linkauth_drop_keys(struct p2pkp_linkauth *la)
{
	p2pkp_sealer_free(la->tx);
	p2pkp_sealer_free(la->rx);
	la->tx = la->rx = NULL;
	la->tx_seq = 0;
	memset(&la->rx_win, 0, sizeof(la->rx_win));
}

void p2pkp_linkauth_free(struct p2pkp_linkauth *la)
{
	p2pkp_sealer_free(la->open);
	p2pkp_sealer_free(la->tx);
	p2pkp_sealer_free(la->rx);
	memset(la, 0, sizeof(*la));
}

/* OPEN and its answer carry the nonces the keys come from: never encrypted. */
static bool encrypts(const struct p2pkp_linkauth *la, const __u8 *buf)
{
	const struct p2pkp_hdr *h = (const struct p2pkp_hdr *)buf;

	return la->mode == P2PKP_AUTH_ENCRYPT &&
	       (be16toh(h->command) & ~P2PKP_CMD_RESPONSE) != P2PKP_CMD_OPEN;
}

int p2pkp_linkauth_seal(struct p2pkp_linkauth *la, bool open, __u8 *buf, __u32 len, __u32 cap)
{
	struct p2pkp_sealer *s = open ? la->open : la->tx;

	if (!s)
		return -ENOKEY;
	return p2pkp_seal(s, open ? ++la->open_seq : ++la->tx_seq, buf, len, cap,
			  encrypts(la, buf));
}

int p2pkp_linkauth_unseal(struct p2pkp_linkauth *la, bool open, __u8 *buf, __u32 dlen)
{
	struct p2pkp_sealer *s = open ? la->open : la->rx;
	__u64 seq;
	int len;

	if (!s)
		return -EBADMSG;
	if (dlen < P2PKP_HDR_LEN)
		return -EBADMSG;
	len = p2pkp_unseal(s, buf, dlen, &seq, encrypts(la, buf));
	if (len < 0)
		return len;
	/* Counted only once the tag checked: forgeries cannot move the window. */
	if (!p2pkp_replay_accept(open ? &la->open_win : &la->rx_win, seq))
		return -EBADMSG;
	return len;
}
