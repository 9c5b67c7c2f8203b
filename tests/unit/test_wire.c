// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Codec round trips for every command (build, decode, compare, build again:
 * same bytes), the encoder's own contract (alignment, zero padding, sticky
 * errors, limits) and the helper functions.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "wire.h"

#define LINK 0x0123456789abcdefULL
#define RSP  P2PKP_CMD_RESPONSE
#define TXT(s)                                                                                     \
	{                                                                                          \
		(const __u8 *)(s), sizeof(s) - 1                                                   \
	}

static const __u8 payload_1400[1400] = {1, 2, 3, [1399] = 0xee};
static __u8 ranges_max[16 * P2PKP_MAX_RANGES];
static const __u8 ranges_from[16] = {0, 0, 0, 0, 0, 0, 0x02, 0x58, 0, 0, 0, 0, 0, 0, 0x02, 0x62};
static char text_max[P2PKP_MAX_TEXT + 1];

/* --- Round trips ---------------------------------------------------------------------- */

struct rt {
	const char *name;
	struct p2pkp_msg msg;
};

#define DIGEST_FF                                                                                  \
	{                                                                                          \
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,      \
			0xff, 0xff, 0xff                                                           \
	}

static struct rt rts[] = {
	{"OPEN minimal", {LINK, 1, P2PKP_CMD_OPEN, 0, .u.open = {1, 1, 1400, 1, 0, 0, {0}}}},
	{"OPEN full",
	 {LINK, UINT32_MAX, P2PKP_CMD_OPEN, 0,
	  .u.open = {1, 7, P2PKP_MAX_BLOCK_SIZE, UINT32_MAX - 1, UINT64_MAX, UINT64_MAX,
		     TXT("sender on host-a")}}},
	{"OPEN response",
	 {LINK, 1, P2PKP_CMD_OPEN | RSP, 0, .u.open_reply = {P2PKP_R_OK, 1, 1, 8952, {0}}}},
	{"OPEN response refused",
	 {LINK, 1, P2PKP_CMD_OPEN | RSP, 0,
	  .u.open_reply = {P2PKP_R_VERSION, 2, 3, 0, TXT("speaks 2..3")}}},
	{"FILES one",
	 {LINK, 2, P2PKP_CMD_FILES, 0, .u.files = {1, {{0, 0, 0, INT64_MIN, {0}, TXT("a")}}}}},
	{"FILES many",
	 {LINK, 2, P2PKP_CMD_FILES, 0,
	  .u.files = {3,
		      {{0, 07777, UINT64_MAX, INT64_MAX, DIGEST_FF, TXT("dir/sub/file.bin")},
		       {1, 0600, 1, -1, {1}, TXT(".hidden/x")},
		       {P2PKP_FILE_NONE - 1, 0644, 1400, 0, {2}, TXT("a b/\xc3\xa9t\xc3\xa9")}}}}},
	{"FILES response",
	 {LINK, 2, P2PKP_CMD_FILES | RSP, 0,
	  .u.files_reply = {3,
			    {{0, P2PKP_R_OK, 0, 0},
			     {1, P2PKP_R_EXISTS, 0, 0},
			     {2, P2PKP_R_OK, UINT64_MAX, UINT64_MAX}}}}},
	{"DATA one byte",
	 {LINK, 3, P2PKP_CMD_DATA, 0, .u.data = {0, 1400 * 7, 1, payload_1400, 1}}},
	{"DATA full block",
	 {LINK, 3, P2PKP_CMD_DATA, 0,
	  .u.data = {5, 0, UINT64_MAX, payload_1400, sizeof(payload_1400)}}},
	{"STATUS", {LINK, 4, P2PKP_CMD_STATUS, 0, .u.file_req = {9, 0}}},
	{"STATUS from", {LINK, 4, P2PKP_CMD_STATUS, 0, .u.file_req = {9, 5000}}},
	{"STATUS response from",
	 {LINK, 4, P2PKP_CMD_STATUS | RSP, 0, .u.status = {1, 100, 1000, 1, ranges_from, 500}}},
	{"STATUS response no holes",
	 {LINK, 4, P2PKP_CMD_STATUS | RSP, 0, .u.status = {1, 100, 100, 0, NULL}}},
	{"STATUS response 64 holes",
	 {LINK, 4, P2PKP_CMD_STATUS | RSP, 0,
	  .u.status = {1, 0, 1000, P2PKP_MAX_RANGES, ranges_max}}},
	{"REPORT", {LINK, 1, P2PKP_CMD_REPORT, 0, .u.status = {0, 0, 0, 0, NULL}}},
	{"REPORT 64 holes",
	 {LINK, 1, P2PKP_CMD_REPORT, 0, .u.status = {2, 0, 1000, P2PKP_MAX_RANGES, ranges_max}}},
	{"VERIFY", {LINK, 5, P2PKP_CMD_VERIFY, 0, .u.file_req = {0}}},
	{"VERIFY response",
	 {LINK, 5, P2PKP_CMD_VERIFY | RSP, 0,
	  .u.result = {P2PKP_R_MISMATCH, 3, TXT("crc 0x1 != 0x2")}}},
	{"CLOSE",
	 {LINK, 6, P2PKP_CMD_CLOSE, 0,
	  .u.result = {P2PKP_R_CANCELLED, P2PKP_FILE_NONE, TXT("interrupted")}}},
	{"CLOSE response",
	 {LINK, 6, P2PKP_CMD_CLOSE | RSP, 0,
	  .u.result = {P2PKP_R_INCOMPLETE, P2PKP_FILE_NONE, {0}}}},
	{"ABORT session",
	 {LINK, 7, P2PKP_CMD_ABORT, 0, .u.result = {P2PKP_R_UNKNOWN_LINK, P2PKP_FILE_NONE, {0}}}},
	{"ABORT file (max text)",
	 {LINK, 7, P2PKP_CMD_ABORT, 0,
	  .u.result = {P2PKP_R_IO, 4, {(const __u8 *)text_max, P2PKP_MAX_TEXT}}}},
	{"ABORT response", {LINK, 7, P2PKP_CMD_ABORT | RSP, 0, .u.keepalive = {0}}},
	{"KEEPALIVE", {LINK, 8, P2PKP_CMD_KEEPALIVE, 0, .u.keepalive = {0}}},
	{"KEEPALIVE response",
	 {LINK, 8, P2PKP_CMD_KEEPALIVE | RSP, 0, .u.keepalive = {UINT64_MAX}}},
};
#define N_RTS (sizeof(rts) / sizeof(rts[0]))

static void assert_bytes_equal(struct p2pkp_bytes a, struct p2pkp_bytes b)
{
	assert_int_equal(a.len, b.len);
	if (a.len)
		assert_memory_equal(a.ptr, b.ptr, a.len);
}

static void assert_result_equal(const struct p2pkp_result_msg *a, const struct p2pkp_result_msg *b)
{
	assert_int_equal(a->result, b->result);
	assert_int_equal(a->file, b->file);
	assert_bytes_equal(a->text, b->text);
}

/* Field by field, for the views whose equality is not obvious from bytes. */
static void assert_msg_equal(const struct p2pkp_msg *a, const struct p2pkp_msg *b)
{
	assert_true(a->linkid == b->linkid);
	assert_int_equal(a->msgid, b->msgid);
	assert_int_equal(a->command, b->command);
	switch (a->command) {
	case P2PKP_CMD_OPEN:
		assert_int_equal(a->u.open.ver_min, b->u.open.ver_min);
		assert_int_equal(a->u.open.ver_max, b->u.open.ver_max);
		assert_int_equal(a->u.open.block_size, b->u.open.block_size);
		assert_int_equal(a->u.open.file_count, b->u.open.file_count);
		assert_true(a->u.open.total_bytes == b->u.open.total_bytes);
		assert_true(a->u.open.resume_of == b->u.open.resume_of);
		assert_bytes_equal(a->u.open.text, b->u.open.text);
		break;
	case P2PKP_CMD_OPEN | RSP:
		assert_int_equal(a->u.open_reply.result, b->u.open_reply.result);
		assert_int_equal(a->u.open_reply.ver_min, b->u.open_reply.ver_min);
		assert_int_equal(a->u.open_reply.ver_max, b->u.open_reply.ver_max);
		assert_int_equal(a->u.open_reply.max_payload, b->u.open_reply.max_payload);
		assert_bytes_equal(a->u.open_reply.text, b->u.open_reply.text);
		break;
	case P2PKP_CMD_FILES:
		assert_int_equal(a->u.files.count, b->u.files.count);
		for (__u32 i = 0; i < a->u.files.count; i++) {
			const struct p2pkp_file_info *x = &a->u.files.file[i],
						     *y = &b->u.files.file[i];

			assert_int_equal(x->index, y->index);
			assert_int_equal(x->mode, y->mode);
			assert_true(x->size == y->size);
			assert_true(x->mtime_ns == y->mtime_ns);
			assert_memory_equal(x->digest, y->digest, sizeof(x->digest));
			assert_bytes_equal(x->name, y->name);
		}
		break;
	case P2PKP_CMD_FILES | RSP:
		assert_int_equal(a->u.files_reply.count, b->u.files_reply.count);
		assert_memory_equal(a->u.files_reply.state, b->u.files_reply.state,
				    a->u.files_reply.count * sizeof(a->u.files_reply.state[0]));
		break;
	case P2PKP_CMD_DATA:
		assert_int_equal(a->u.data.file, b->u.data.file);
		assert_true(a->u.data.offset == b->u.data.offset);
		assert_true(a->u.data.sum == b->u.data.sum);
		assert_int_equal(a->u.data.len, b->u.data.len);
		assert_memory_equal(a->u.data.payload, b->u.data.payload, a->u.data.len);
		break;
	case P2PKP_CMD_REPORT:
	case P2PKP_CMD_STATUS | RSP:
		assert_int_equal(a->u.status.file, b->u.status.file);
		assert_true(a->u.status.cum == b->u.status.cum);
		assert_true(a->u.status.scan_end == b->u.status.scan_end);
		assert_int_equal(a->u.status.nranges, b->u.status.nranges);
		/* Decoded FROM defaults to CUM. */
		assert_true(
			a->u.status.from ==
			(b->u.status.from > b->u.status.cum ? b->u.status.from : b->u.status.cum));
		if (a->u.status.nranges)
			assert_memory_equal(a->u.status.ranges, b->u.status.ranges,
					    16 * a->u.status.nranges);
		break;
	case P2PKP_CMD_STATUS:
	case P2PKP_CMD_VERIFY:
		assert_int_equal(a->u.file_req.file, b->u.file_req.file);
		assert_true(a->u.file_req.from == b->u.file_req.from);
		break;
	case P2PKP_CMD_VERIFY | RSP:
	case P2PKP_CMD_CLOSE:
	case P2PKP_CMD_CLOSE | RSP:
	case P2PKP_CMD_ABORT:
		assert_result_equal(&a->u.result, &b->u.result);
		break;
	case P2PKP_CMD_KEEPALIVE:
	case P2PKP_CMD_KEEPALIVE | RSP:
		assert_true(a->u.keepalive.timestamp_ns == b->u.keepalive.timestamp_ns);
		break;
	}
}

static void test_round_trip(void **state)
{
	const struct rt *t = *state;
	_Alignas(8) __u8 buf[P2PKP_MSG_MAX + 1], again[P2PKP_MSG_MAX + 1];
	struct p2pkp_msg m;
	struct p2pkp_enc e;
	int n, rc;

	memset(buf, 0xff, sizeof(buf)); /* the encoder must zero every padding byte */
	p2pkp_enc_init(&e, buf, sizeof(buf));
	n = p2pkp_build_msg(&e, &t->msg);
	assert_true(n >= (int)P2PKP_HDR_LEN);

	rc = p2pkp_decode(buf, (size_t)n, &m);
	if (rc)
		fail_msg("%s: decode: %s", t->name, p2pkp_strerror(rc));
	assert_int_equal(m.length, n);
	assert_msg_equal(&m, &t->msg);

	/* Also valid when sent padded to 8 bytes. */
	memset(buf + n, 0, p2pkp_align8((__u32)n) - (__u32)n);
	assert_int_equal(p2pkp_decode(buf, p2pkp_align8((__u32)n), &m), 0);

	p2pkp_enc_init(&e, again, sizeof(again));
	assert_int_equal(p2pkp_build_msg(&e, &m), n);
	assert_memory_equal(again, buf, (size_t)n);
}

/* --- Encoder contract ------------------------------------------------------------------ */

static void test_data_payload_aligned(void **state)
{
	_Alignas(8) __u8 buf[2048];
	struct p2pkp_msg m;
	struct p2pkp_enc e;

	for (__u32 len = 1; len <= 1400; len += 37) {
		__u8 *p;
		int n;

		p2pkp_enc_init(&e, buf, sizeof(buf));
		p = p2pkp_build_data(&e, LINK, len, 1, 1400ULL * len, len);
		assert_non_null(p);
		assert_int_equal(p - buf, P2PKP_DATA_OVERHEAD);
		memset(p, (int)len, len);
		n = p2pkp_enc_finish(&e);
		assert_int_equal(n, P2PKP_DATA_OVERHEAD + len);
		assert_int_equal(p2pkp_decode(buf, (size_t)n, &m), 0);
		assert_ptr_equal(m.u.data.payload, p);
		assert_int_equal(m.u.data.len, len);
		assert_true(m.u.data.offset == 1400ULL * len);
	}
}

static void test_data_default_fits_mtu(void **state)
{
	assert_true(P2PKP_DATA_OVERHEAD + P2PKP_DEFAULT_BLOCK_SIZE <= 1500 - 40 - 8);
	assert_int_equal(p2pkp_block_size_for_mtu(1500, true), 1384);
	assert_int_equal(p2pkp_block_size_for_mtu(1500, false), 1408);
	assert_int_equal(p2pkp_block_size_for_mtu(1280, true), 1168);
	assert_int_equal(p2pkp_block_size_for_mtu(1280, false), 1184);
	assert_int_equal(p2pkp_block_size_for_mtu(9000, true), 8888);
	assert_int_equal(p2pkp_block_size_for_mtu(9000, false), 8904);
	assert_int_equal(p2pkp_block_size_for_mtu(300, true), 0);
	assert_int_equal(p2pkp_block_size_for_mtu(100000, false), P2PKP_MAX_BLOCK_SIZE & ~7u);
}

static void test_set_payload_len(void **state)
{
	_Alignas(8) __u8 buf[2048];
	struct p2pkp_msg m;
	struct p2pkp_enc e;
	__u8 *p;

	p2pkp_enc_init(&e, buf, sizeof(buf));
	p = p2pkp_build_data(&e, LINK, 1, 0, 0, 1400);
	assert_non_null(p);
	memset(p, 'z', 1400);
	assert_int_equal(p2pkp_enc_set_payload_len(&e, 100), 0);
	assert_int_equal(p2pkp_enc_finish(&e), P2PKP_DATA_OVERHEAD + 100);
	assert_int_equal(p2pkp_decode(buf, P2PKP_DATA_OVERHEAD + 100, &m), 0);
	assert_int_equal(m.u.data.len, 100);
	/* Growing back is not allowed. */
	assert_int_equal(p2pkp_enc_set_payload_len(&e, 101), P2PKP_E_ARG);
}

static void test_nothing_after_payload(void **state)
{
	_Alignas(8) __u8 buf[256];
	struct p2pkp_enc e;

	p2pkp_enc_init(&e, buf, sizeof(buf));
	assert_non_null(p2pkp_build_data(&e, LINK, 1, 0, 0, 8));
	assert_int_equal(p2pkp_enc_put_u32(&e, P2PKP_IT_FILE_INDEX, 1), P2PKP_E_ENC_STATE);
	assert_int_equal(p2pkp_enc_finish(&e), P2PKP_E_ENC_STATE); /* sticky */
}

static void test_nospace_sticky(void **state)
{
	_Alignas(8) __u8 buf[40];
	struct p2pkp_enc e;

	p2pkp_enc_init(&e, buf, sizeof(buf));
	assert_int_equal(p2pkp_enc_begin(&e, LINK, 1, P2PKP_CMD_KEEPALIVE), 0);
	assert_int_equal(p2pkp_enc_put_u64(&e, P2PKP_IT_TIMESTAMP, 1), 0); /* ends at 28 */
	assert_int_equal(p2pkp_enc_put_u64(&e, P2PKP_IT_TIMESTAMP, 2), P2PKP_E_NOSPACE);
	assert_int_equal(p2pkp_enc_put_u16(&e, P2PKP_IT_RESULT, 0), P2PKP_E_NOSPACE);
	assert_int_equal(p2pkp_enc_finish(&e), P2PKP_E_NOSPACE);

	p2pkp_enc_init(&e, buf, 15);
	assert_int_equal(p2pkp_enc_begin(&e, LINK, 1, P2PKP_CMD_KEEPALIVE), P2PKP_E_NOSPACE);
	assert_null(p2pkp_build_data(&e, LINK, 1, 0, 0, 8));
}

static void test_message_max(void **state)
{
	static _Alignas(8) __u8 buf[P2PKP_MSG_MAX + 16];
	static __u8 blob[P2PKP_MSG_MAX];
	struct p2pkp_msg m;
	struct p2pkp_enc e;
	/* One unknown item filling the message to exactly 65535 bytes. */
	__u32 fill = P2PKP_MSG_MAX - P2PKP_HDR_LEN - P2PKP_ITEM_HDR_LEN;

	p2pkp_enc_init(&e, buf, sizeof(buf));
	p2pkp_enc_begin(&e, LINK, 1, P2PKP_CMD_KEEPALIVE);
	assert_int_equal(p2pkp_enc_put_bytes(&e, 0x0100, blob, fill), 0);
	assert_int_equal(p2pkp_enc_finish(&e), P2PKP_MSG_MAX);
	assert_int_equal(p2pkp_decode(buf, P2PKP_MSG_MAX, &m), 0);

	p2pkp_enc_init(&e, buf, sizeof(buf));
	p2pkp_enc_begin(&e, LINK, 1, P2PKP_CMD_KEEPALIVE);
	assert_int_equal(p2pkp_enc_put_bytes(&e, 0x0100, blob, fill + 1), P2PKP_E_NOSPACE);
}

static void test_encoder_misuse(void **state)
{
	_Alignas(8) __u8 buf[512];
	const __u64 ref = 1;
	struct p2pkp_enc e;

	p2pkp_enc_init(&e, buf, sizeof(buf));
	assert_int_equal(p2pkp_enc_put_u16(&e, P2PKP_IT_RESULT, 0), P2PKP_E_ENC_STATE);

	p2pkp_enc_init(&e, buf + 4, sizeof(buf) - 4);
	assert_int_equal(p2pkp_enc_begin(&e, LINK, 1, P2PKP_CMD_KEEPALIVE), P2PKP_E_ALIGN);

	p2pkp_enc_init(&e, buf, sizeof(buf));
	assert_int_equal(p2pkp_enc_begin(&e, 0, 1, P2PKP_CMD_KEEPALIVE), P2PKP_E_LINKID);

	p2pkp_enc_init(&e, buf, sizeof(buf));
	p2pkp_enc_begin(&e, LINK, 1, P2PKP_CMD_KEEPALIVE);
	assert_int_equal(p2pkp_enc_begin(&e, LINK, 1, P2PKP_CMD_KEEPALIVE), P2PKP_E_ENC_STATE);

	p2pkp_enc_init(&e, buf, sizeof(buf));
	p2pkp_enc_begin(&e, LINK, 1, P2PKP_CMD_FILES);
	assert_int_equal(p2pkp_enc_end_nested(&e), P2PKP_E_ENC_STATE);

	p2pkp_enc_init(&e, buf, sizeof(buf));
	p2pkp_enc_begin(&e, LINK, 1, P2PKP_CMD_FILES);
	p2pkp_enc_begin_nested(&e, P2PKP_IT_FILE);
	assert_int_equal(p2pkp_enc_finish(&e), P2PKP_E_ENC_STATE);

	/* Flagged ids only through their own calls. */
	p2pkp_enc_init(&e, buf, sizeof(buf));
	p2pkp_enc_begin(&e, LINK, 1, P2PKP_CMD_FILES);
	assert_int_equal(p2pkp_enc_put_u32(&e, P2PKP_IT_FILE, 1), P2PKP_E_ARG);
	p2pkp_enc_init(&e, buf, sizeof(buf));
	p2pkp_enc_begin(&e, LINK, 1, P2PKP_CMD_DATA);
	assert_int_equal(p2pkp_enc_put_bytes(&e, P2PKP_IT_PAYLOAD, "x", 1), P2PKP_E_ARG);
	p2pkp_enc_init(&e, buf, sizeof(buf));
	p2pkp_enc_begin(&e, LINK, 1, P2PKP_CMD_FILES);
	assert_int_equal(p2pkp_enc_begin_nested(&e, P2PKP_IT_NAME), P2PKP_E_ARG);
	p2pkp_enc_init(&e, buf, sizeof(buf));
	p2pkp_enc_begin(&e, LINK, 1, P2PKP_CMD_OPEN);
	assert_int_equal(p2pkp_enc_put_refs(&e, P2PKP_IT_FILE_INDEX, &ref, 1), P2PKP_E_ARG);
	p2pkp_enc_init(&e, buf, sizeof(buf));
	p2pkp_enc_begin(&e, LINK, 1, P2PKP_CMD_OPEN);
	assert_int_equal(p2pkp_enc_put_refs(&e, P2PKP_IT_RESUME_OF, &ref, 0), P2PKP_E_ARG);
}

static void test_encoder_depth(void **state)
{
	_Alignas(8) __u8 buf[512];
	struct p2pkp_msg m;
	struct p2pkp_enc e;
	int n;

	p2pkp_enc_init(&e, buf, sizeof(buf));
	p2pkp_enc_begin(&e, LINK, 1, P2PKP_CMD_KEEPALIVE);
	assert_int_equal(p2pkp_enc_begin_nested(&e, 0x8100), 0);
	assert_int_equal(p2pkp_enc_begin_nested(&e, 0x8100), 0);
	assert_int_equal(p2pkp_enc_begin_nested(&e, 0x8100), 0);
	assert_int_equal(p2pkp_enc_put_u16(&e, 0x0101, 7), 0); /* depth 4 */
	/* A fourth level would hold items at depth 5. */
	assert_int_equal(p2pkp_enc_begin_nested(&e, 0x8100), P2PKP_E_ENC_STATE);

	p2pkp_enc_init(&e, buf, sizeof(buf));
	p2pkp_enc_begin(&e, LINK, 1, P2PKP_CMD_KEEPALIVE);
	for (int i = 0; i < 3; i++)
		p2pkp_enc_begin_nested(&e, 0x8100);
	p2pkp_enc_put_u16(&e, 0x0101, 7);
	for (int i = 0; i < 3; i++)
		p2pkp_enc_end_nested(&e);
	n = p2pkp_enc_finish(&e);
	assert_true(n > 0);
	assert_int_equal(p2pkp_decode(buf, (size_t)n, &m), 0);
}

static void test_builders_refuse_bad_input(void **state)
{
	_Alignas(8) __u8 buf[4096];
	struct p2pkp_files f = {1, {{0, 0644, 1, 0, {0}, TXT("../etc/passwd")}}};
	struct p2pkp_result_msg r = {P2PKP_R_OK, P2PKP_FILE_NONE, {(const __u8 *)"a\0b", 3}};
	struct p2pkp_status st = {.scan_end = 10, .nranges = P2PKP_MAX_RANGES + 1};
	struct p2pkp_range rg[P2PKP_MAX_RANGES + 1] = {{0}};
	struct p2pkp_enc e;

	p2pkp_enc_init(&e, buf, sizeof(buf));
	assert_int_equal(p2pkp_build_files(&e, LINK, 1, &f), P2PKP_E_NAME);
	f.count = 0;
	p2pkp_enc_init(&e, buf, sizeof(buf));
	assert_int_equal(p2pkp_build_files(&e, LINK, 1, &f), P2PKP_E_ARG);
	f.count = P2PKP_MAX_FILES_MSG + 1;
	p2pkp_enc_init(&e, buf, sizeof(buf));
	assert_int_equal(p2pkp_build_files(&e, LINK, 1, &f), P2PKP_E_ARG);

	p2pkp_enc_init(&e, buf, sizeof(buf));
	assert_int_equal(p2pkp_build_result(&e, LINK, 1, P2PKP_CMD_CLOSE, &r), P2PKP_E_TEXT);
	r.text.len = 0;
	r.file = 3;
	p2pkp_enc_init(&e, buf, sizeof(buf));
	assert_int_equal(p2pkp_build_result(&e, LINK, 1, P2PKP_CMD_CLOSE, &r), P2PKP_E_ARG);
	r.file = P2PKP_FILE_NONE;
	p2pkp_enc_init(&e, buf, sizeof(buf));
	assert_int_equal(p2pkp_build_result(&e, LINK, 1, P2PKP_CMD_VERIFY | RSP, &r), P2PKP_E_ARG);
	p2pkp_enc_init(&e, buf, sizeof(buf));
	assert_int_equal(p2pkp_build_result(&e, LINK, 1, P2PKP_CMD_DATA, &r), P2PKP_E_ARG);

	p2pkp_enc_init(&e, buf, sizeof(buf));
	assert_int_equal(p2pkp_build_status(&e, LINK, 1, P2PKP_CMD_REPORT, &st, rg),
			 P2PKP_E_TOO_MANY);
	st.nranges = 0;
	p2pkp_enc_init(&e, buf, sizeof(buf));
	assert_int_equal(p2pkp_build_status(&e, LINK, 1, P2PKP_CMD_STATUS, &st, rg), P2PKP_E_ARG);

	p2pkp_enc_init(&e, buf, sizeof(buf));
	assert_null(p2pkp_build_data(&e, LINK, 1, 0, 0, 0));
	assert_int_equal(e.err, P2PKP_E_PAYLOAD);

	p2pkp_enc_init(&e, buf, sizeof(buf));
	assert_int_equal(p2pkp_build_file_req(&e, LINK, 1, P2PKP_CMD_CLOSE, 0), P2PKP_E_ARG);
	p2pkp_enc_init(&e, buf, sizeof(buf));
	assert_int_equal(p2pkp_build_keepalive(&e, LINK, 1, P2PKP_CMD_OPEN, 0), P2PKP_E_ARG);
}

/* --- Decoder details ---------------------------------------------------------------------- */

static void test_iterator_walks_items(void **state)
{
	_Alignas(8) __u8 buf[256];
	struct p2pkp_item_view it;
	struct p2pkp_iter iter;
	struct p2pkp_msg m;
	struct p2pkp_enc e;
	static const __u16 want[] = {P2PKP_IT_FILE_INDEX, P2PKP_IT_OFFSET, P2PKP_IT_BLOCK_SUM,
				     P2PKP_IT_PAYLOAD};
	int n, i = 0;

	p2pkp_enc_init(&e, buf, sizeof(buf));
	memcpy(p2pkp_build_data(&e, LINK, 1, 2, 1400, 3), "abc", 3);
	n = p2pkp_enc_finish(&e);
	assert_int_equal(p2pkp_msg_check(buf, (size_t)n, &m), 0);
	p2pkp_iter_msg(&iter, buf, m.length);
	while (p2pkp_iter_next(&iter, &it) > 0) {
		assert_true(i < 4);
		assert_int_equal(it.itemid, want[i]);
		assert_int_equal(it.off % 8, 0);
		i++;
	}
	assert_int_equal(i, 4);
	assert_int_equal(it.len, 3);
	assert_memory_equal(it.data, "abc", 3);
}

static void test_status_range_accessor(void **state)
{
	_Alignas(8) __u8 buf[512];
	struct p2pkp_range rg[3] = {{5, 6}, {10, 20}, {1ULL << 40, (1ULL << 40) + 7}};
	struct p2pkp_status st = {.file = 7, .cum = 5, .scan_end = (1ULL << 40) + 9, .nranges = 3};
	struct p2pkp_range r;
	struct p2pkp_msg m;
	struct p2pkp_enc e;
	int n;

	p2pkp_enc_init(&e, buf, sizeof(buf));
	n = p2pkp_build_status(&e, LINK, 1, P2PKP_CMD_REPORT, &st, rg);
	assert_true(n > 0);
	assert_int_equal(p2pkp_decode(buf, (size_t)n, &m), 0);
	assert_int_equal(m.u.status.nranges, 3);
	for (__u32 i = 0; i < 3; i++) {
		p2pkp_status_range(&m.u.status, i, &r);
		assert_true(r.start == rg[i].start && r.end == rg[i].end);
	}
}

static void test_absent_optionals(void **state)
{
	_Alignas(8) __u8 buf[256];
	struct p2pkp_result_msg r = {P2PKP_R_IO, P2PKP_FILE_NONE, {0}};
	struct p2pkp_msg m;
	struct p2pkp_enc e;
	int n;

	p2pkp_enc_init(&e, buf, sizeof(buf));
	n = p2pkp_build_result(&e, LINK, 1, P2PKP_CMD_ABORT, &r);
	assert_int_equal(p2pkp_decode(buf, (size_t)n, &m), 0);
	assert_int_equal(m.u.result.file, P2PKP_FILE_NONE);
	assert_null(m.u.result.text.ptr);

	r.result = P2PKP_R_OK;
	p2pkp_enc_init(&e, buf, sizeof(buf));
	n = p2pkp_build_result(&e, LINK, 1, P2PKP_CMD_CLOSE, &r);
	assert_int_equal(n, 16 + 6);
	assert_int_equal(p2pkp_decode(buf, (size_t)n, &m), 0);
	assert_int_equal(m.u.result.file, P2PKP_FILE_NONE);
}

/* --- Helpers ---------------------------------------------------------------------------------- */

static void test_names(void **state)
{
	static const struct {
		const char *name;
		int ok;
	} t[] = {
		{"a", 1},    {"a/b/c", 1}, {".hidden", 1}, {"a/.b", 1},	  {"..a", 1},
		{"a..", 1},  {"a/...", 1}, {"", 0},	   {"/", 0},	  {"/a", 0},
		{"a/", 0},   {"a//b", 0},  {".", 0},	   {"..", 0},	  {"a/.", 0},
		{"a/..", 0}, {"./a", 0},   {"../a", 0},	   {"a/../b", 0}, {"a/./b", 0},
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		int rc = p2pkp_name_check((const __u8 *)t[i].name, (__u32)strlen(t[i].name));

		if ((rc == 0) != t[i].ok)
			fail_msg("name \"%s\": got %s", t[i].name, p2pkp_strerror(rc));
	}
	assert_int_equal(p2pkp_name_check((const __u8 *)"a\0b", 3), P2PKP_E_NAME);
}

static void test_data_check(void **state)
{
	struct p2pkp_data_view d = {0, 0, 0, payload_1400, 1400};

	assert_int_equal(p2pkp_data_check(&d, 1400, 3000), 0);
	d.offset = 1400;
	assert_int_equal(p2pkp_data_check(&d, 1400, 3000), 0);
	d.offset = 2800;
	assert_int_equal(p2pkp_data_check(&d, 1400, 3000), P2PKP_E_PAYLOAD); /* last block is 200 */
	d.len = 200;
	assert_int_equal(p2pkp_data_check(&d, 1400, 3000), 0);
	d.offset = 4200;
	assert_int_equal(p2pkp_data_check(&d, 1400, 3000), P2PKP_E_PAYLOAD); /* past the end */
	d.offset = 700;
	assert_int_equal(p2pkp_data_check(&d, 1400, 3000), P2PKP_E_VALUE); /* not on a block */
	assert_int_equal(p2pkp_blocks(0, 1400), 0);
	assert_int_equal(p2pkp_blocks(1, 1400), 1);
	assert_int_equal(p2pkp_blocks(2800, 1400), 2);
	assert_int_equal(p2pkp_blocks(10485760, 1400), 7490);
}

static void test_names_of_codes(void **state)
{
	for (int i = 0; i < P2PKP_E_COUNT; i++) {
		const char *a = p2pkp_strerror(-i);

		assert_true(i == 0 ? !strcmp(a, "OK") : !strncmp(a, "E_", 2) && strcmp(a, "E_?"));
		for (int j = 0; j < i; j++)
			assert_string_not_equal(a, p2pkp_strerror(-j));
	}
	assert_string_equal(p2pkp_strerror(-P2PKP_E_COUNT), "E_?");
	assert_string_equal(p2pkp_strerror(1), "E_?");
	assert_string_equal(p2pkp_strerror(P2PKP_E_TRUNCATED), "E_TRUNCATED");
	assert_string_equal(p2pkp_result_name(P2PKP_R_BUSY), "BUSY");
	assert_string_equal(p2pkp_result_name(999), "?");
	assert_string_equal(p2pkp_cmd_name(P2PKP_CMD_DATA), "DATA");
	assert_string_equal(p2pkp_cmd_name(P2PKP_CMD_OPEN | RSP), "OPEN");
	assert_string_equal(p2pkp_cmd_name(0x7777), "?");
	assert_string_equal(p2pkp_item_name(P2PKP_IT_PAYLOAD), "PAYLOAD");
	assert_string_equal(p2pkp_item_name(P2PKP_IT_FILE), "FILE");
	assert_string_equal(p2pkp_item_name(0x0100), "?");
}

static void test_header_layout(void **state)
{
	_Alignas(8) __u8 buf[64];
	const struct p2pkp_hdr *h = (const void *)buf;
	struct p2pkp_enc e;

	p2pkp_enc_init(&e, buf, sizeof(buf));
	assert_int_equal(p2pkp_build_keepalive(&e, LINK, 0x01020304, P2PKP_CMD_KEEPALIVE, 0), 16);
	/* The shared header struct the XDP program reads matches the encoder. */
	assert_true(be64toh(h->linkid) == LINK);
	assert_int_equal(be32toh(h->msgid), 0x01020304);
	assert_int_equal(be16toh(h->command), P2PKP_CMD_KEEPALIVE);
	assert_int_equal(be16toh(h->length), 16);
}

int main(void)
{
	struct CMUnitTest tests[N_RTS + 32];
	size_t n = 0;

	memset(text_max, 't', sizeof(text_max));
	for (__u32 i = 0; i < P2PKP_MAX_RANGES; i++) {
		p2pkp_put_be64(ranges_max + 16 * i, 10 * (__u64)i + 1);
		p2pkp_put_be64(ranges_max + 16 * i + 8, 10 * (__u64)i + 5);
	}
	for (size_t i = 0; i < N_RTS; i++) {
		tests[n] = (struct CMUnitTest)cmocka_unit_test_prestate(test_round_trip, &rts[i]);
		tests[n++].name = rts[i].name;
	}
	const struct CMUnitTest more[] = {
		cmocka_unit_test(test_data_payload_aligned),
		cmocka_unit_test(test_data_default_fits_mtu),
		cmocka_unit_test(test_set_payload_len),
		cmocka_unit_test(test_nothing_after_payload),
		cmocka_unit_test(test_nospace_sticky),
		cmocka_unit_test(test_message_max),
		cmocka_unit_test(test_encoder_misuse),
		cmocka_unit_test(test_encoder_depth),
		cmocka_unit_test(test_builders_refuse_bad_input),
		cmocka_unit_test(test_iterator_walks_items),
		cmocka_unit_test(test_status_range_accessor),
		cmocka_unit_test(test_absent_optionals),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_data_check),
		cmocka_unit_test(test_names_of_codes),
		cmocka_unit_test(test_header_layout),
	};
	for (size_t i = 0; i < sizeof(more) / sizeof(more[0]); i++)
		tests[n++] = more[i];
	return _cmocka_run_group_tests("test_wire", tests, n, NULL, NULL);
}
