// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Authenticated datagrams: see auth.h and docs/security.md. */
#include <endian.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>

#include "auth.h"
#include "p2pkp_shared.h"

#define IV_LEN 12 /* GCM: 4 zero bytes, then the sequence number */

struct p2pkp_sealer {
	EVP_CIPHER_CTX *ctx;
};

/* HKDF-SHA256 (RFC 5869) of the PSK with salt and info into out. */
static int hkdf(const __u8 psk[P2PKP_PSK_LEN], const __u8 *salt, size_t salt_len, const __u8 *info,
		size_t info_len, __u8 *out, size_t out_len)
{
	OSSL_PARAM params[5], *p = params;
	EVP_KDF_CTX *kctx;
	EVP_KDF *kdf;
	int ok;

	kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
	if (!kdf)
		return -ENOSYS;
	kctx = EVP_KDF_CTX_new(kdf);
	EVP_KDF_free(kdf);
	if (!kctx)
		return -ENOMEM;
	*p++ = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)"SHA256", 0);
	*p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void *)psk, P2PKP_PSK_LEN);
	*p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, (void *)salt, salt_len);
	*p++ = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, (void *)info, info_len);
	*p = OSSL_PARAM_construct_end();
	ok = EVP_KDF_derive(kctx, out, out_len, params) == 1;
	EVP_KDF_CTX_free(kctx);
	return ok ? 0 : -EIO;
}

/* info = label, then the linkid, big-endian: keys of one session serve no other. */
static size_t kdf_info(__u8 *info, const char *label, __u64 linkid)
{
	__be64 linkid_be = htobe64(linkid);
	size_t n = strlen(label);

	memcpy(info, label, n);
	memcpy(info + n, &linkid_be, sizeof(linkid_be));
	return n + sizeof(linkid_be);
}

int p2pkp_derive_open_key(const __u8 psk[P2PKP_PSK_LEN], __u64 linkid,
			  const __u8 ns[P2PKP_NONCE_LEN], __u8 key[P2PKP_KEY_LEN])
{
	__u8 info[64];
	size_t n = kdf_info(info, "p2pkp v2 open", linkid);

	return hkdf(psk, ns, P2PKP_NONCE_LEN, info, n, key, P2PKP_KEY_LEN);
}

int p2pkp_derive_session_keys(const __u8 psk[P2PKP_PSK_LEN], __u64 linkid,
			      const __u8 ns[P2PKP_NONCE_LEN], const __u8 nr[P2PKP_NONCE_LEN],
			      __u8 s2r[P2PKP_KEY_LEN], __u8 r2s[P2PKP_KEY_LEN])
{
	__u8 salt[2 * P2PKP_NONCE_LEN], info[64], okm[2 * P2PKP_KEY_LEN];
	size_t n = kdf_info(info, "p2pkp v2 session", linkid);
	int err;

	memcpy(salt, ns, P2PKP_NONCE_LEN);
	memcpy(salt + P2PKP_NONCE_LEN, nr, P2PKP_NONCE_LEN);
	err = hkdf(psk, salt, sizeof(salt), info, n, okm, sizeof(okm));
	if (!err) {
		memcpy(s2r, okm, P2PKP_KEY_LEN);
		memcpy(r2s, okm + P2PKP_KEY_LEN, P2PKP_KEY_LEN);
	}
	OPENSSL_cleanse(okm, sizeof(okm));
	return err;
}

struct p2pkp_sealer *p2pkp_sealer_new(const __u8 key[P2PKP_KEY_LEN])
{
	struct p2pkp_sealer *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->ctx = EVP_CIPHER_CTX_new();
	if (!s->ctx)
		goto err_free;
	/* The key schedule once; each datagram sets only its IV. */
	if (EVP_CipherInit_ex(s->ctx, EVP_aes_256_gcm(), NULL, key, NULL, -1) != 1)
		goto err_ctx;
	return s;

err_ctx:
	EVP_CIPHER_CTX_free(s->ctx);
err_free:
	free(s);
	return NULL;
}

void p2pkp_sealer_free(struct p2pkp_sealer *s)
{
	if (!s)
		return;
	EVP_CIPHER_CTX_free(s->ctx);
	free(s);
}

/*
 * One pass of GCM over a padded message of plen bytes: the header (all of it
 * without encrypt) as authenticated data, the items encrypted or decrypted
 * in place. enc: 1 seal, 0 open.
 */
static int gcm_pass(struct p2pkp_sealer *s, int enc, bool encrypt, __u64 seq, __u8 *buf, __u32 plen)
{
	__u32 aad = encrypt ? P2PKP_HDR_LEN : plen;
	__u8 iv[IV_LEN] = {0};
	__be64 seq_be = htobe64(seq);
	int outl;

	memcpy(iv + 4, &seq_be, sizeof(seq_be));
	if (EVP_CipherInit_ex(s->ctx, NULL, NULL, NULL, iv, enc) != 1 ||
	    EVP_CipherUpdate(s->ctx, NULL, &outl, buf, (int)aad) != 1)
		return -EIO;
	if (plen > aad &&
	    EVP_CipherUpdate(s->ctx, buf + aad, &outl, buf + aad, (int)(plen - aad)) != 1)
		return -EIO;
	return 0;
}

int p2pkp_seal(struct p2pkp_sealer *s, __u64 seq, __u8 *buf, __u32 len, __u32 cap, bool encrypt)
{
	__u32 plen = (len + 7) & ~7u;
	__be64 seq_be = htobe64(seq);
	int outl;

	if (!seq || len < P2PKP_HDR_LEN)
		return -EINVAL;
	if (p2pkp_sealed_len(len) > cap)
		return -ENOSPC;
	memset(buf + len, 0, plen - len);
	if (gcm_pass(s, 1, encrypt, seq, buf, plen) ||
	    EVP_CipherFinal_ex(s->ctx, NULL, &outl) != 1 ||
	    EVP_CIPHER_CTX_ctrl(s->ctx, EVP_CTRL_GCM_GET_TAG, P2PKP_TAG_LEN, buf + plen + 8) != 1)
		return -EIO;
	memcpy(buf + plen, &seq_be, sizeof(seq_be));
	return (int)(plen + P2PKP_SEAL_LEN);
}

int p2pkp_unseal(struct p2pkp_sealer *s, __u8 *buf, __u32 dlen, __u64 *seq, bool encrypt)
{
	const struct p2pkp_hdr *h = (const struct p2pkp_hdr *)buf;
	__u32 len, plen;
	__be64 seq_be;
	int outl;

	if (dlen < P2PKP_HDR_LEN + P2PKP_SEAL_LEN)
		return -EBADMSG;
	len = be16toh(h->length);
	plen = (len + 7) & ~7u;
	if (len < P2PKP_HDR_LEN || dlen != p2pkp_sealed_len(len))
		return -EBADMSG;
	memcpy(&seq_be, buf + plen, sizeof(seq_be));
	*seq = be64toh(seq_be);
	if (!*seq || gcm_pass(s, 0, encrypt, *seq, buf, plen) ||
	    EVP_CIPHER_CTX_ctrl(s->ctx, EVP_CTRL_GCM_SET_TAG, P2PKP_TAG_LEN, buf + plen + 8) != 1 ||
	    EVP_CipherFinal_ex(s->ctx, NULL, &outl) != 1)
		return -EBADMSG;
	return (int)len;
}

bool p2pkp_replay_accept(struct p2pkp_replay *w, __u64 seq)
{
	__u64 bit = 1ull << (seq % 64), s;
	__u64 *word = &w->bits[(seq / 64) % (P2PKP_REPLAY_BITS / 64)];

	if (!seq)
		return false;
	if (seq > w->top) {
		/* Slide: the slots of the numbers skipped over are free again. */
		if (seq - w->top >= P2PKP_REPLAY_BITS)
			memset(w->bits, 0, sizeof(w->bits));
		else
			for (s = w->top + 1; s < seq; s++)
				w->bits[(s / 64) % (P2PKP_REPLAY_BITS / 64)] &= ~(1ull << (s % 64));
		w->top = seq;
		*word |= bit;
		return true;
	}
	if (w->top - seq >= P2PKP_REPLAY_BITS || (*word & bit))
		return false;
	*word |= bit;
	return true;
}
