// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Authenticated datagrams (common/auth.h, docs/security.md). The expected
 * keys and sealed datagrams were computed outside this code, with Python's
 * `cryptography` (HKDF-SHA256 and AESGCM) from the inputs below, so the test
 * checks the construction the document states, not the code against itself.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "auth.h"

#define LINKID 0x0123456789abcdefull

static const char open_key_hex[] =
	"82f44eacb11156827b5c2f51c253adaf4d8f930b5c39bd4223e1b3980904474b";
static const char s2r_hex[] = "309efff28dd8e32875fa24b3dd3d8e0d4ceb524749e87c07fc340d25da0864fb";
static const char r2s_hex[] = "be27bccacf890c9f1c4685d22c0a619acfa6500d7a9f60b1f315de495e34a9c0";
/* KEEPALIVE, msgid 7, length 21 (one 5-byte item), sealed with s2r under sequence number 5. */
static const char msg_hex[] = "0123456789abcdef0000000700090015000200052a";
static const char mac_hex[] = "0123456789abcdef0000000700090015000200052a00000000000000000000050e"
			      "91011a1636ba3907df32f07d0ef6e1";
static const char enc_hex[] = "0123456789abcdef0000000700090015e73fb2b5ea4622e40000000000000005a2"
			      "75780f1cf60044c98f806627959468";

static size_t unhex(const char *hex, __u8 *out)
{
	size_t i, n = strlen(hex) / 2;

	for (i = 0; i < n; i++) {
		unsigned int v;

		assert_int_equal(sscanf(hex + 2 * i, "%2x", &v), 1);
		out[i] = (__u8)v;
	}
	return n;
}

static void inputs(__u8 psk[P2PKP_PSK_LEN], __u8 ns[P2PKP_NONCE_LEN], __u8 nr[P2PKP_NONCE_LEN])
{
	for (int i = 0; i < 32; i++) {
		psk[i] = (__u8)i;
		ns[i] = (__u8)(0xa0 + i % 16);
		nr[i] = (__u8)(0x50 + i);
	}
}

static void test_keys_match_the_vectors(void **state)
{
	__u8 psk[P2PKP_PSK_LEN], ns[P2PKP_NONCE_LEN], nr[P2PKP_NONCE_LEN];
	__u8 key[P2PKP_KEY_LEN], s2r[P2PKP_KEY_LEN], r2s[P2PKP_KEY_LEN], want[P2PKP_KEY_LEN];

	inputs(psk, ns, nr);
	assert_int_equal(p2pkp_derive_open_key(psk, LINKID, ns, key), 0);
	unhex(open_key_hex, want);
	assert_memory_equal(key, want, sizeof(want));
	assert_int_equal(p2pkp_derive_session_keys(psk, LINKID, ns, nr, s2r, r2s), 0);
	unhex(s2r_hex, want);
	assert_memory_equal(s2r, want, sizeof(want));
	unhex(r2s_hex, want);
	assert_memory_equal(r2s, want, sizeof(want));
	/* Another session, same nonces: other keys. */
	assert_int_equal(p2pkp_derive_session_keys(psk, LINKID + 1, ns, nr, key, r2s), 0);
	assert_memory_not_equal(key, s2r, sizeof(key));
}

/* Seal the vector message both ways, compare with the vectors, open them again. */
static void seal_case(bool encrypt, const char *want_hex)
{
	__u8 key[P2PKP_KEY_LEN], msg[128], want[128], buf[128];
	struct p2pkp_sealer *s;
	size_t len, want_len;
	__u64 seq = 0;

	unhex(s2r_hex, key);
	len = unhex(msg_hex, msg);
	want_len = unhex(want_hex, want);
	s = p2pkp_sealer_new(key);
	assert_non_null(s);
	memset(buf, 0xee, sizeof(buf)); /* padding must come out zero whatever was there */
	memcpy(buf, msg, len);
	assert_int_equal(p2pkp_sealed_len((__u32)len), want_len);
	assert_int_equal(p2pkp_seal(s, 5, buf, (__u32)len, sizeof(buf), encrypt), (int)want_len);
	assert_memory_equal(buf, want, want_len);
	assert_int_equal(p2pkp_unseal(s, buf, (__u32)want_len, &seq, encrypt), (int)len);
	assert_int_equal(seq, 5);
	assert_memory_equal(buf, msg, len);
	p2pkp_sealer_free(s);
}

static void test_mac_only_matches_the_vector(void **state)
{
	seal_case(false, mac_hex);
}

static void test_encrypted_matches_the_vector(void **state)
{
	seal_case(true, enc_hex);
}

/* Any one changed bit, anywhere in the datagram, and it does not open. */
static void test_every_bit_counts(void **state)
{
	__u8 key[P2PKP_KEY_LEN], sealed[128], buf[128];
	struct p2pkp_sealer *s;
	size_t n, i;
	int bit, mode;
	__u64 seq;

	unhex(s2r_hex, key);
	for (mode = 0; mode < 2; mode++) {
		s = p2pkp_sealer_new(key);
		n = unhex(mode ? enc_hex : mac_hex, sealed);
		for (i = 0; i < n; i++) {
			for (bit = 0; bit < 8; bit++) {
				memcpy(buf, sealed, n);
				buf[i] ^= (__u8)(1 << bit);
				if (p2pkp_unseal(s, buf, (__u32)n, &seq, mode) != -EBADMSG)
					fail_msg("mode %d: byte %zu bit %d flipped, still opens",
						 mode, i, bit);
			}
		}
		p2pkp_sealer_free(s);
	}
}

/* Wrong key, wrong direction, wrong length, truncated, padded, sequence number 0. */
static void test_what_does_not_open(void **state)
{
	__u8 key[P2PKP_KEY_LEN], other[P2PKP_KEY_LEN], sealed[160], buf[160];
	struct p2pkp_sealer *s, *wrong;
	__u64 seq;
	size_t n;

	unhex(s2r_hex, key);
	unhex(r2s_hex, other);
	n = unhex(mac_hex, sealed);
	s = p2pkp_sealer_new(key);
	wrong = p2pkp_sealer_new(other);
	memcpy(buf, sealed, n);
	assert_int_equal(p2pkp_unseal(wrong, buf, (__u32)n, &seq, false), -EBADMSG);
	memcpy(buf, sealed, n);
	assert_int_equal(p2pkp_unseal(s, buf, (__u32)n - 1, &seq, false), -EBADMSG);
	memcpy(buf, sealed, n);
	buf[n] = 0;
	assert_int_equal(p2pkp_unseal(s, buf, (__u32)n + 8, &seq, false), -EBADMSG);
	assert_int_equal(p2pkp_unseal(s, buf, 8, &seq, false), -EBADMSG);
	/* The sealer refuses sequence number 0 and a buffer too small. */
	memcpy(buf, sealed, 21);
	assert_int_equal(p2pkp_seal(s, 0, buf, 21, sizeof(buf), false), -EINVAL);
	assert_int_equal(p2pkp_seal(s, 1, buf, 21, 47, false), -ENOSPC);
	/* Sealed without encryption, opened as if encrypted (or the reverse): no. */
	memcpy(buf, sealed, n);
	assert_int_equal(p2pkp_unseal(s, buf, (__u32)n, &seq, true), -EBADMSG);
	p2pkp_sealer_free(s);
	p2pkp_sealer_free(wrong);
}

struct replay_step {
	__u64 seq;
	bool accept;
};

/* A table of arrivals and whether each is new. */
static void test_replay_window(void **state)
{
	static const struct replay_step steps[] = {
		{0, false},   {1, true},     {1, false},   {3, true},	 {2, true},
		{2, false},   {1000, true},  {5, true},	   {5, false},	 {1023, true},
		{1024, true}, {1, false},    {4000, true}, {3000, true}, {2976, false},
		{2977, true}, {4000, false}, {9000, true}, {8000, true}, {7976, false},
		{8999, true}, {9000, false},
	};
	struct p2pkp_replay w;
	size_t i;

	memset(&w, 0, sizeof(w));
	for (i = 0; i < sizeof(steps) / sizeof(steps[0]); i++)
		if (p2pkp_replay_accept(&w, steps[i].seq) != steps[i].accept)
			fail_msg("step %zu: sequence number %llu %s", i,
				 (unsigned long long)steps[i].seq,
				 steps[i].accept ? "refused" : "accepted");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_keys_match_the_vectors),
		cmocka_unit_test(test_mac_only_matches_the_vector),
		cmocka_unit_test(test_encrypted_matches_the_vector),
		cmocka_unit_test(test_every_bit_counts),
		cmocka_unit_test(test_what_does_not_open),
		cmocka_unit_test(test_replay_window),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
