// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * p2pkp-cryptobench: how fast this host authenticates (and encrypts) a DATA
 * datagram, per candidate AEAD of libcrypto and with the project's own
 * sealer (common/auth.h), next to the BLOCK_SUM every datagram already pays
 * for. One core, one line per construction and size, in GB/s of message
 * bytes. The choice in docs/security.md rests on its figures.
 *
 *   p2pkp-cryptobench [--ms MS] [--size BYTES ...]
 */
#include <endian.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "auth.h"
#include "blocksum.h"
#include "clock.h"
#include "cli.h"
#include "p2pkp_shared.h"

#define MAX_SIZE 9000
#define BATCH	 256

struct cfg {
	unsigned int ms;
	unsigned int size;
};

static const struct p2pkp_option opts[] = {
	{.name = "ms",
	 .type = P2PKP_OPT_UINT,
	 .offset = offsetof(struct cfg, ms),
	 .metavar = "MS",
	 .help = "time per measurement, ms (default 300)",
	 .min = 10,
	 .max = 60000},
	{.name = "size",
	 .type = P2PKP_OPT_UINT,
	 .offset = offsetof(struct cfg, size),
	 .metavar = "BYTES",
	 .help = "one message size instead of 1448 and 8968 (a DATA datagram at MTU 1500, 9000)",
	 .min = P2PKP_HDR_LEN,
	 .max = MAX_SIZE},
	{0},
};

static const struct p2pkp_cmd cmd = {
	.prog = "p2pkp-cryptobench",
	.name = "",
	.summary = "AEAD and block-sum speed of this host, one core",
	.opts = opts,
};

static __u8 msg[MAX_SIZE + 64] __attribute__((aligned(64)));
static __u8 out[MAX_SIZE + 64] __attribute__((aligned(64)));

/* One libcrypto AEAD: enc 0 authenticates the message only, 1 also encrypts it. */
static int evp_batch(EVP_CIPHER_CTX *ctx, int enc, __u32 len, __u64 *iv_ctr)
{
	__u8 iv[12] = {0}, tag[16];
	int outl, i;

	for (i = 0; i < BATCH; i++) {
		++*iv_ctr;
		memcpy(iv + 4, iv_ctr, sizeof(*iv_ctr));
		if (EVP_EncryptInit_ex(ctx, NULL, NULL, NULL, iv) != 1 ||
		    EVP_EncryptUpdate(ctx, enc ? out : NULL, &outl, msg, (int)len) != 1 ||
		    EVP_EncryptFinal_ex(ctx, out, &outl) != 1 ||
		    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, sizeof(tag), tag) != 1)
			return -1;
	}
	return 0;
}

/* GB/s of message bytes of one EVP AEAD. */
static double evp_rate(const EVP_CIPHER *c, int enc, __u32 len, unsigned int ms)
{
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	static const __u8 key[32] = {7};
	__u64 start, iv_ctr = 0, bytes = 0, end;

	if (!ctx || EVP_EncryptInit_ex(ctx, c, NULL, key, NULL) != 1) {
		EVP_CIPHER_CTX_free(ctx);
		return -1;
	}
	start = p2pkp_now_ns();
	end = start + (__u64)ms * NSEC_PER_MSEC;
	do {
		if (evp_batch(ctx, enc, len, &iv_ctr)) {
			EVP_CIPHER_CTX_free(ctx);
			return -1;
		}
		bytes += (__u64)BATCH * len;
	} while (p2pkp_now_ns() < end);
	EVP_CIPHER_CTX_free(ctx);
	return (double)bytes / (double)(p2pkp_now_ns() - start);
}

/* GB/s of the project's sealer, one message sealed per datagram as a sender does. */
static double sealer_rate(bool encrypt, __u32 len, unsigned int ms)
{
	static const __u8 key[P2PKP_KEY_LEN] = {9};
	struct p2pkp_sealer *s = p2pkp_sealer_new(key);
	struct p2pkp_hdr *h = (struct p2pkp_hdr *)msg;
	__u64 start, end, seq = 0, bytes = 0;
	int i;

	if (!s)
		return -1;
	h->length = htobe16((__u16)len);
	start = p2pkp_now_ns();
	end = start + (__u64)ms * NSEC_PER_MSEC;
	do {
		for (i = 0; i < BATCH; i++)
			if (p2pkp_seal(s, ++seq, msg, len, sizeof(msg), encrypt) < 0) {
				p2pkp_sealer_free(s);
				return -1;
			}
		bytes += (__u64)BATCH * len;
	} while (p2pkp_now_ns() < end);
	p2pkp_sealer_free(s);
	return (double)bytes / (double)(p2pkp_now_ns() - start);
}

static double blocksum_rate(__u32 len, unsigned int ms)
{
	__u64 start = p2pkp_now_ns(), end = start + (__u64)ms * NSEC_PER_MSEC, bytes = 0, acc = 0;
	int i;

	do {
		for (i = 0; i < BATCH; i++)
			acc += p2pkp_block_sum(bytes + (__u64)i, msg, len);
		bytes += (__u64)BATCH * len;
	} while (p2pkp_now_ns() < end);
	msg[0] = (__u8)acc; /* keep the sums from being optimised away */
	return (double)bytes / (double)(p2pkp_now_ns() - start);
}

static void report(const char *what, const char *mode, __u32 len, double gbs)
{
	if (gbs < 0)
		printf("%-26s %-9s %5u B: not available\n", what, mode, len);
	else
		printf("%-26s %-9s %5u B: %6.2f GB/s\n", what, mode, len, gbs);
}

static void run_size(__u32 len, unsigned int ms)
{
	const struct {
		const char *name;
		const EVP_CIPHER *(*cipher)(void);
	} aeads[] = {
		{"aes-128-gcm", EVP_aes_128_gcm},
		{"aes-256-gcm", EVP_aes_256_gcm},
		{"chacha20-poly1305", EVP_chacha20_poly1305},
	};
	size_t i;

	report("block sum (CRC-64, ISA-L)", "sum", len, blocksum_rate(len, ms));
	for (i = 0; i < sizeof(aeads) / sizeof(aeads[0]); i++) {
		report(aeads[i].name, "mac", len, evp_rate(aeads[i].cipher(), 0, len, ms));
		report(aeads[i].name, "encrypt", len, evp_rate(aeads[i].cipher(), 1, len, ms));
	}
	report("p2pkp sealer", "mac", len, sealer_rate(false, len, ms));
	report("p2pkp sealer", "encrypt", len, sealer_rate(true, len, ms));
}

int main(int argc, char **argv)
{
	struct cfg cfg = {.ms = 300};
	int rc = p2pkp_parse_or_exit(&cmd, argc, argv, &cfg);

	if (rc >= 0)
		return rc;
	memset(msg, 0x5a, sizeof(msg));
	if (cfg.size) {
		run_size(cfg.size, cfg.ms);
	} else {
		run_size(1448, cfg.ms);
		run_size(8968, cfg.ms);
	}
	return 0;
}
