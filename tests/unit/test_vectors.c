// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Golden vectors, checked both ways: each message built by the encoder must
 * equal tests/vectors/NAME.hex byte for byte, and decoding the file must give
 * back the same message. docs/protocol.md must show every vector verbatim.
 *
 * P2PKP_VECTORS_WRITE=1 rewrites the .hex files (annotated) from the encoder
 * and stops there: files just written prove nothing, so review them with git
 * diff and run again. The values that come from the checksums (BLOCK_SUM of
 * the hello payload, DIGEST of README) were computed outside this code, by a
 * bit-wise CRC-64/XZ and xxhsum -H2, and are checked against common/blocksum.
 * P2PKP_VECTORS_DIR overrides tests/vectors, P2PKP_DOCS the spec path.
 */
#include <endian.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "auth.h"
#include "blocksum.h"
#include "wire.h"

#define BE64(x)                                                                                    \
	(__u8)((__u64)(x) >> 56), (__u8)((__u64)(x) >> 48), (__u8)((__u64)(x) >> 40),              \
		(__u8)((__u64)(x) >> 32), (__u8)((__u64)(x) >> 24), (__u8)((__u64)(x) >> 16),      \
		(__u8)((__u64)(x) >> 8), (__u8)(x)
#define BYTES(s)                                                                                   \
	{                                                                                          \
		(const __u8 *)(s), sizeof(s) - 1                                                   \
	}

#define LINK	 0x9e3779b97f4a7c15ULL /* the session of every example */
#define OLD_LINK 0x2545f4914f6cdd1dULL /* an earlier, interrupted session */
#define RSP	 P2PKP_CMD_RESPONSE

static const char hello[] = "P2PKP says hello world!\n"; /* README, 24 bytes */
#define HELLO_SUM 0x4a0487fe0a9f13b8ULL			 /* BLOCK_SUM at offset 0 */
/* DIGEST of README: XXH3-128 of HELLO_SUM, big-endian. */
#define README_DIGEST                                                                              \
	{                                                                                          \
		0xbb, 0x61, 0x71, 0x08, 0x42, 0xc6, 0x00, 0x4c, 0xef, 0x96, 0xdd, 0x2d, 0x23,      \
			0xc1, 0xe2, 0xcc                                                           \
	}
/* Any 16 bytes: the vector is about the encoding, not the disk image. */
#define DISK_DIGEST                                                                                \
	{                                                                                          \
		0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef, 0xfe, 0xdc, 0xba, 0x98, 0x76,      \
			0x54, 0x32, 0x10                                                           \
	}

/* The handshake nonces of tests/unit/test_auth.c. */
#define NONCE_S                                                                                    \
	{                                                                                          \
		0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7, 0xa8, 0xa9, 0xaa, 0xab, 0xac,      \
			0xad, 0xae, 0xaf, 0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7, 0xa8,    \
			0xa9, 0xaa, 0xab, 0xac, 0xad, 0xae, 0xaf                                   \
	}
#define NONCE_R                                                                                    \
	{                                                                                          \
		0x50, 0x51, 0x52, 0x53, 0x54, 0x55, 0x56, 0x57, 0x58, 0x59, 0x5a, 0x5b, 0x5c,      \
			0x5d, 0x5e, 0x5f, 0x60, 0x61, 0x62, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68,    \
			0x69, 0x6a, 0x6b, 0x6c, 0x6d, 0x6e, 0x6f                                   \
	}

static const __u8 status_ranges[] = {BE64(1100), BE64(1124), BE64(1500), BE64(1600)};
static const __u8 report_ranges[] = {BE64(7100), BE64(7164)};
static const __u8 from_ranges[] = {BE64(1800), BE64(1810), BE64(2000), BE64(2048)};

struct vector {
	const char *name;
	const char *what;
	/* Built by hand instead of p2pkp_build_msg (e.g. carries an unknown item). */
	int (*build)(struct p2pkp_enc *e, const struct p2pkp_msg *m);
	struct p2pkp_msg msg;
};

/* KEEPALIVE carrying an unknown, non-critical item: a receiver skips it. */
static int build_unknown_item(struct p2pkp_enc *e, const struct p2pkp_msg *m)
{
	p2pkp_enc_begin(e, m->linkid, m->msgid, m->command);
	p2pkp_enc_put_string(e, 0x0100, "v2 hint");
	p2pkp_enc_put_u64(e, P2PKP_IT_TIMESTAMP, m->u.keepalive.timestamp_ns);
	return p2pkp_enc_finish(e);
}

static const struct vector vectors[] = {
	{"01-open",
	 "OPEN: sender proposes version 2, 1384-byte blocks, 2 files",
	 NULL,
	 {LINK, 1, P2PKP_CMD_OPEN, 0,
	  .u.open = {2, 2, 1384, 2, 10485784, 0, BYTES("p2pkp-xdp sender")}}},
	{"02-open-reply",
	 "OPEN response: accepted, version 2, receiver takes 1472-byte datagrams",
	 NULL,
	 {LINK, 1, P2PKP_CMD_OPEN | RSP, 0, .u.open_reply = {P2PKP_R_OK, 2, 2, 1472, {0}}}},
	{"03-open-refused",
	 "OPEN response: refused, BUSY, with a reason",
	 NULL,
	 {LINK, 1, P2PKP_CMD_OPEN | RSP, 0,
	  .u.open_reply = {P2PKP_R_BUSY, 2, 2, 0, BYTES("receiving another session")}}},
	{"04-open-resume",
	 "OPEN of a new session that resumes an earlier one (REF item)",
	 NULL,
	 {LINK, 1, P2PKP_CMD_OPEN, 0, .u.open = {2, 2, 1384, 2, 10485784, OLD_LINK, {0}}}},
	{"05-files",
	 "FILES: announce both files",
	 NULL,
	 {LINK, 2, P2PKP_CMD_FILES, 0,
	  .u.files = {2,
		      {{0, 0644, 10485760, 1700000000123456789LL, DISK_DIGEST,
			BYTES("images/disk.qcow2")},
		       {1, 0444, 24, 1700000000000000000LL, README_DIGEST, BYTES("README")}}}}},
	{"06-files-reply",
	 "FILES response: file 0 accepted, 1500 blocks already held; file 1 already complete",
	 NULL,
	 {LINK, 2, P2PKP_CMD_FILES | RSP, 0,
	  .u.files_reply = {2, {{0, P2PKP_R_OK, 1024, 1500}, {1, P2PKP_R_HAVE, 1, 1}}}}},
	{"07-data",
	 "DATA: the whole of file 1 (one short block), payload 8-byte aligned at 64",
	 NULL,
	 {LINK, 3, P2PKP_CMD_DATA, 0,
	  .u.data = {1, 0, HELLO_SUM, (const __u8 *)hello, sizeof(hello) - 1}}},
	{"08-status",
	 "STATUS: sender polls file 0",
	 NULL,
	 {LINK, 4, P2PKP_CMD_STATUS, 0, .u.file_req = {0}}},
	{"09-status-reply",
	 "STATUS response: file 0 held below 1024, two holes below 1700",
	 NULL,
	 {LINK, 4, P2PKP_CMD_STATUS | RSP, 0, .u.status = {0, 1024, 1700, 2, status_ranges}}},
	{"10-report",
	 "REPORT: receiver's periodic status, one hole, and what it received",
	 NULL,
	 {LINK, 1, P2PKP_CMD_REPORT, 0,
	  .u.status = {0, 7000, 7490, 1, report_ranges, 0, 9691536, 86400123456789, 3}}},
	{"11-verify",
	 "VERIFY: sender has sent every block of file 1",
	 NULL,
	 {LINK, 5, P2PKP_CMD_VERIFY, 0, .u.file_req = {1}}},
	{"12-verify-reply",
	 "VERIFY response: file 1 verified and in place",
	 NULL,
	 {LINK, 5, P2PKP_CMD_VERIFY | RSP, 0, .u.result = {P2PKP_R_OK, 1, {0}}}},
	{"13-close",
	 "CLOSE: the sender ends the session, all files done",
	 NULL,
	 {LINK, 6, P2PKP_CMD_CLOSE, 0, .u.result = {P2PKP_R_OK, P2PKP_FILE_NONE, {0}}}},
	{"14-close-reply",
	 "CLOSE response: every file verified",
	 NULL,
	 {LINK, 6, P2PKP_CMD_CLOSE | RSP, 0,
	  .u.result = {P2PKP_R_OK, P2PKP_FILE_NONE, BYTES("2 files verified")}}},
	{"15-abort",
	 "ABORT from a receiver: file 0 cannot be written",
	 NULL,
	 {LINK, 2, P2PKP_CMD_ABORT, 0,
	  .u.result = {P2PKP_R_NO_SPACE, 0, BYTES("No space left on device")}}},
	{"16-abort-reply",
	 "ABORT response: acknowledged (header only)",
	 NULL,
	 {LINK, 2, P2PKP_CMD_ABORT | RSP, 0, .u.keepalive = {0}}},
	{"17-keepalive",
	 "KEEPALIVE with the sender's clock",
	 NULL,
	 {LINK, 7, P2PKP_CMD_KEEPALIVE, 0, .u.keepalive = {1700000000000000000ULL}}},
	{"18-keepalive-reply",
	 "KEEPALIVE response: the clock echoed",
	 NULL,
	 {LINK, 7, P2PKP_CMD_KEEPALIVE | RSP, 0, .u.keepalive = {1700000000000000000ULL}}},
	{"19-unknown-item",
	 "KEEPALIVE with an unknown non-critical item 0x0100: skipped",
	 build_unknown_item,
	 {LINK, 8, P2PKP_CMD_KEEPALIVE, 0, .u.keepalive = {1700000000000000000ULL}}},
	{"20-status-from",
	 "STATUS asking for file 0 from block 1700 on (past the first report)",
	 NULL,
	 {LINK, 9, P2PKP_CMD_STATUS, 0, .u.file_req = {0, 1700}}},
	{"21-status-reply-from",
	 "STATUS response: window [1700, 2100), two holes in it",
	 NULL,
	 {LINK, 9, P2PKP_CMD_STATUS | RSP, 0, .u.status = {0, 1024, 2100, 2, from_ranges, 1700}}},
	{"22-open-keyed",
	 "OPEN of a keyed session: AUTH 1 (authenticated, not encrypted) and the sender's NONCE",
	 NULL,
	 {LINK, 1, P2PKP_CMD_OPEN, 0,
	  .u.open = {2, 2, 1360, 2, 10485784, 0, {0}, P2PKP_AUTH_MAC, NONCE_S}}},
	{"23-open-reply-keyed",
	 "OPEN response of a keyed session: accepted, with the receiver's NONCE",
	 NULL,
	 {LINK, 1, P2PKP_CMD_OPEN | RSP, 0,
	  .u.open_reply = {P2PKP_R_OK, 2, 2, 1472, {0}, true, NONCE_R}}},
	{"24-open-refused-auth",
	 "OPEN response: refused, AUTH (the sender has no key), short enough never to exceed the OPEN",
	 NULL,
	 {LINK, 1, P2PKP_CMD_OPEN | RSP, 0,
	  .u.open_reply = {P2PKP_R_AUTH, 2, 2, 0, BYTES("key required")}}},
};
#define N_VECTORS (sizeof(vectors) / sizeof(vectors[0]))

static const char *vectors_dir(void)
{
	const char *d = getenv("P2PKP_VECTORS_DIR");

	return d && *d ? d : "tests/vectors";
}

static void vector_path(char *buf, size_t cap, const struct vector *v)
{
	snprintf(buf, cap, "%s/%s.hex", vectors_dir(), v->name);
}

static char *read_text(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf;
	long n;

	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = calloc(1, (size_t)n + 1);
	if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	return buf;
}

/* Hex bytes with "#" comments to binary, as the Makefile does with sed and xxd -r -p. */
static size_t parse_hex(const char *text, __u8 *out, size_t cap)
{
	size_t n = 0;
	int hi = -1;

	for (const char *p = text; *p; p++) {
		int v;

		if (*p == '#') {
			while (*p && *p != '\n')
				p++;
			if (!*p)
				break;
			continue;
		}
		if (*p >= '0' && *p <= '9')
			v = *p - '0';
		else if (*p >= 'a' && *p <= 'f')
			v = *p - 'a' + 10;
		else if (*p >= 'A' && *p <= 'F')
			v = *p - 'A' + 10;
		else
			continue;
		if (hi < 0) {
			hi = v;
		} else {
			assert_true(n < cap);
			out[n++] = (__u8)(hi << 4 | v);
			hi = -1;
		}
	}
	assert_int_equal(hi, -1);
	return n;
}

static int build_vector(const struct vector *v, __u8 *buf, __u32 cap)
{
	struct p2pkp_enc e;

	p2pkp_enc_init(&e, buf, cap);
	return v->build ? v->build(&e, &v->msg) : p2pkp_build_msg(&e, &v->msg);
}

/* --- Writer: annotated hex, one 8-byte row per line ---------------------------------- */

static void hex_rows(FILE *f, const __u8 *msg, __u32 from, __u32 to, const char *comment)
{
	for (__u32 off = from; off < to; off += 8) {
		char line[32];
		int k = 0;

		for (__u32 i = off; i < to && i < off + 8; i++)
			k += snprintf(line + k, sizeof(line) - (size_t)k, "%s%02x",
				      i > off ? " " : "", msg[i]);
		if (off == from && comment)
			fprintf(f, "%-23s  # %s\n", line, comment);
		else
			fprintf(f, "%s\n", line);
	}
}

static void describe_value(char *buf, size_t cap, const struct p2pkp_item_view *it)
{
	unsigned int type = it->itemid & P2PKP_ITEM_TYPE;

	buf[0] = 0;
	if (type == (P2PKP_IT_NAME & P2PKP_ITEM_TYPE) || type == P2PKP_IT_TEXT ||
	    it->itemid == 0x0100) {
		snprintf(buf, cap, " \"%.*s\"", (int)(it->len < 40 ? it->len : 40),
			 (const char *)it->data);
		return;
	}
	if (type == P2PKP_IT_VERSION) {
		snprintf(buf, cap, " = %u..%u", p2pkp_get_be16(it->data),
			 p2pkp_get_be16(it->data + 2));
		return;
	}
	if (it->itemid == P2PKP_IT_MISSING || it->itemid == P2PKP_IT_PAYLOAD ||
	    (it->itemid & P2PKP_ITEM_NESTED)) {
		snprintf(buf, cap, ", %u bytes", it->len);
		return;
	}
	if (it->len == 2)
		snprintf(buf, cap, " = %u", p2pkp_get_be16(it->data));
	else if (it->len == 4 && type == P2PKP_IT_MODE)
		snprintf(buf, cap, " = 0%o", p2pkp_get_be32(it->data));
	else if (it->len == 4)
		snprintf(buf, cap, " = %u (0x%x)", p2pkp_get_be32(it->data),
			 p2pkp_get_be32(it->data));
	else if (it->len == 8)
		snprintf(buf, cap, " = %llu (0x%llx)", (unsigned long long)p2pkp_get_be64(it->data),
			 (unsigned long long)p2pkp_get_be64(it->data));
}

static void hex_items(FILE *f, struct p2pkp_iter *it, __u32 mlen, int depth)
{
	struct p2pkp_item_view item;

	while (p2pkp_iter_next(it, &item) > 0) {
		char c[160], val[80];
		__u32 end = p2pkp_align8(item.off + item.itemlen);

		describe_value(val, sizeof(val), &item);
		snprintf(c, sizeof(c), "%*s%s 0x%04x len %u%s", depth * 2, "",
			 p2pkp_item_name(item.itemid), item.itemid, item.itemlen, val);
		if (item.itemid & P2PKP_ITEM_NESTED) {
			struct p2pkp_iter child;

			hex_rows(f, it->msg, item.off, item.off + 8, c);
			p2pkp_iter_nested(&child, it->msg, &item);
			hex_items(f, &child, mlen, depth + 1);
		} else {
			hex_rows(f, it->msg, item.off, end < mlen ? end : mlen, c);
		}
	}
}

static void write_vector(const struct vector *v, const __u8 *msg, __u32 mlen)
{
	char path[512], c[128];
	struct p2pkp_iter it;
	__u16 cmd = p2pkp_get_be16(msg + 12);
	FILE *f;

	vector_path(path, sizeof(path), v);
	f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f, "# P2PKP v2 golden vector %s: %s\n", v->name, v->what);
	snprintf(c, sizeof(c), "linkid 0x%016llx", (unsigned long long)p2pkp_get_be64(msg));
	hex_rows(f, msg, 0, 8, c);
	snprintf(c, sizeof(c), "msgid %u, command 0x%04x %s%s, length %u", p2pkp_get_be32(msg + 8),
		 cmd, p2pkp_cmd_name(cmd), cmd & RSP ? " response" : "", mlen);
	hex_rows(f, msg, 8, 16, c);
	p2pkp_iter_msg(&it, msg, mlen);
	hex_items(f, &it, mlen, 0);
	fclose(f);
}

/* --- Tests ---------------------------------------------------------------------------- */

static int setup_write(void **state)
{
	const char *w = getenv("P2PKP_VECTORS_WRITE");
	_Alignas(8) __u8 buf[2048];

	if (!w || strcmp(w, "1"))
		return 0;
	for (size_t i = 0; i < N_VECTORS; i++) {
		int n = build_vector(&vectors[i], buf, sizeof(buf));

		if (n < 0)
			return -1;
		write_vector(&vectors[i], buf, (__u32)n);
	}
	fprintf(stderr, "vectors written to %s: review them (git diff), then run again\n",
		vectors_dir());
	exit(1); /* comparing the encoder with what it just wrote would prove nothing */
}

static size_t load_vector(const struct vector *v, __u8 *buf, size_t cap)
{
	char path[512];
	char *text;
	size_t n;

	vector_path(path, sizeof(path), v);
	text = read_text(path);
	if (!text)
		fail_msg("cannot read %s", path);
	n = parse_hex(text, buf, cap);
	free(text);
	return n;
}

/* Encoder -> file: the bytes built from the struct are the file's bytes. */
static void test_encode(void **state)
{
	const struct vector *v = *state;
	_Alignas(8) __u8 built[2048], file[2048];
	int n = build_vector(v, built, sizeof(built));
	size_t fn = load_vector(v, file, sizeof(file));

	assert_true(n > 0);
	assert_int_equal((size_t)n, fn);
	assert_memory_equal(built, file, fn);
}

/* File -> decoder: the file decodes to the struct it was built from. */
static void test_decode(void **state)
{
	const struct vector *v = *state;
	_Alignas(8) __u8 file[2048], again[2048];
	size_t fn = load_vector(v, file, sizeof(file));
	struct p2pkp_msg m;
	struct p2pkp_enc e;
	int rc;

	rc = p2pkp_decode(file, fn, &m);
	assert_int_equal(rc, 0);
	assert_true(m.linkid == v->msg.linkid);
	assert_int_equal(m.msgid, v->msg.msgid);
	assert_int_equal(m.command, v->msg.command);
	assert_int_equal(m.length, fn);
	if (m.command == P2PKP_CMD_DATA) {
		assert_int_equal(m.u.data.len, v->msg.u.data.len);
		assert_memory_equal(m.u.data.payload, v->msg.u.data.payload, m.u.data.len);
		assert_int_equal((m.u.data.payload - file) % 8, 0);
		assert_true(m.u.data.sum == v->msg.u.data.sum);
	}
	if (v->build) {
		assert_true(m.u.keepalive.timestamp_ns == v->msg.u.keepalive.timestamp_ns);
		return;
	}
	/* Every decoded field is re-encoded: equal bytes mean equal messages. */
	p2pkp_enc_init(&e, again, sizeof(again));
	rc = p2pkp_build_msg(&e, &m);
	assert_int_equal(rc, (int)fn);
	assert_memory_equal(again, file, fn);
}

/* The checksum values in the vectors are what common/blocksum computes. */
static void test_checksum_values(void **state)
{
	static const __u8 readme[P2PKP_DIGEST_LEN] = README_DIGEST;
	__be64 sum_be = htobe64(HELLO_SUM);
	__u8 digest[P2PKP_DIGEST_LEN];

	assert_true(p2pkp_block_sum(0, hello, sizeof(hello) - 1) == HELLO_SUM);
	p2pkp_digest_of(&sum_be, 1, digest);
	assert_memory_equal(digest, readme, sizeof(digest));
}

/* The spec shows every vector file verbatim. */
static void test_in_spec(void **state)
{
	const struct vector *v = *state;
	const char *docs = getenv("P2PKP_DOCS");
	char path[512], *spec, *text;

	vector_path(path, sizeof(path), v);
	text = read_text(path);
	spec = read_text(docs && *docs ? docs : "docs/protocol.md");
	assert_non_null(text);
	assert_non_null(spec);
	if (!strstr(spec, text))
		fail_msg("docs/protocol.md does not show %s verbatim", path);
	free(text);
	free(spec);
}

int main(void)
{
	struct CMUnitTest tests[3 * N_VECTORS + 1];
	size_t n = 0;

	for (size_t i = 0; i < N_VECTORS; i++) {
		struct CMUnitTest t[] = {
			cmocka_unit_test_prestate(test_encode, (void *)&vectors[i]),
			cmocka_unit_test_prestate(test_decode, (void *)&vectors[i]),
			cmocka_unit_test_prestate(test_in_spec, (void *)&vectors[i]),
		};

		for (size_t j = 0; j < 3; j++) {
			tests[n] = t[j];
			tests[n++].name = NULL;
		}
	}
	/* Names: "encode 01-open" and so on, so TAP lines say which vector failed. */
	static char names[3 * N_VECTORS][64];
	for (size_t i = 0; i < n; i++) {
		static const char *const kind[] = {"encode", "decode", "in spec"};

		snprintf(names[i], sizeof(names[i]), "%s %s", kind[i % 3], vectors[i / 3].name);
		tests[i].name = names[i];
	}
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_checksum_values);
	return _cmocka_run_group_tests("test_vectors", tests, n, setup_write, NULL);
}
