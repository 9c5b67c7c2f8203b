// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * libFuzzer harness for authenticated datagrams (common/auth.h). The input is
 * one datagram, copied to an exactly sized heap buffer, opened under a fixed
 * key with and without encryption: it must either fail with -EBADMSG or give
 * a message length whose sealed length is the datagram's. It is also sealed
 * as a message (its first bytes made a valid header): opening that must give
 * back exactly the input, and the same datagram must not open twice through
 * the replay window.
 */
#include <endian.h>
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_check.h"
#include "auth.h"
#include "p2pkp_shared.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_MSG 2048

static const __u8 key[P2PKP_KEY_LEN] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};

static void open_as_datagram(struct p2pkp_sealer *s, bool enc, const uint8_t *data, size_t size)
{
	__u8 *buf = malloc(size ? size : 1);
	__u64 seq;
	int len;

	CHECK(buf);
	memcpy(buf, data, size);
	len = p2pkp_unseal(s, buf, (__u32)size, &seq, enc);
	CHECK(len == -EBADMSG ||
	      (len >= (int)P2PKP_HDR_LEN && seq && p2pkp_sealed_len((__u32)len) == size));
	free(buf);
}

static void seal_and_open(struct p2pkp_sealer *s, bool enc, const uint8_t *data, size_t size)
{
	static __u8 buf[MAX_MSG + 8 + P2PKP_SEAL_LEN];
	struct p2pkp_hdr *h = (struct p2pkp_hdr *)buf;
	struct p2pkp_replay w = {0};
	__u64 seq = 0, want_seq = 1 + size;
	int n, len;

	if (size < P2PKP_HDR_LEN || size > MAX_MSG)
		return;
	memcpy(buf, data, size);
	h->length = htobe16((__u16)size);
	n = p2pkp_seal(s, want_seq, buf, (__u32)size, sizeof(buf), enc);
	CHECK(n == (int)p2pkp_sealed_len((__u32)size));
	len = p2pkp_unseal(s, buf, (__u32)n, &seq, enc);
	CHECK(len == (int)size && seq == want_seq);
	CHECK(!memcmp(buf + P2PKP_HDR_LEN, data + P2PKP_HDR_LEN, size - P2PKP_HDR_LEN));
	CHECK(p2pkp_replay_accept(&w, seq) && !p2pkp_replay_accept(&w, seq));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct p2pkp_sealer *s;

	if (!s) {
		s = p2pkp_sealer_new(key);
		CHECK(s);
	}
	open_as_datagram(s, false, data, size);
	open_as_datagram(s, true, data, size);
	seal_and_open(s, false, data, size);
	seal_and_open(s, true, data, size);
	return 0;
}
