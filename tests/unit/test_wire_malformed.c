// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Malformed input, one table row per case: the bytes of a datagram and the
 * exact error p2pkp_decode() must return for them. A few well-formed rows
 * ("ok ...") sit next to the cases they bracket, so a check that rejects too
 * much fails here too.
 *
 * Rows give the items in hex after a standard header (linkid LINK, msgid 1,
 * the row's command, length = 16 + item bytes), or with RAW the whole
 * datagram. Rows too long to write out are made by a generator.
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

#define RAW	 1 /* items is the whole datagram */
#define MISALIGN 2 /* decode from an address that is not 8-byte aligned */

#define HDR(cmd, len) "9e3779b97f4a7c15 00000001 " cmd " " len " "

/* Item snippets; a trailing "p" means padded to 8 bytes (not the last item). */
#define TS	       "0017 000c 00000000 00000001 "
#define TSp	       TS "00000000 "
#define FI0	       "0009 0008 00000000 "
#define FI1	       "0009 0008 00000001 "
#define OFFp	       "0011 000c 00000000 00000000 00000000 "
#define PL8	       "0012 0010 00000000 4142434445464748 "
#define SUMp	       "001a 000c 00000000 00000000 00000000 "
#define RES(v)	       "0002 0006 " v " "
#define RESp(v)	       RES(v) "0000 "
#define VERp(min, max) "0001 0008 " min " " max " "
#define TBp	       "0006 000c 00000000 00a00018 00000000 "
#define BSp(v)	       "0004 0008 " v " "
#define FC(v)	       "0005 0008 " v " "
#define OPEN_REST      TBp BSp("00000578") FC("00000002")
#define OPEN_OK	       VERp("0001", "0001") OPEN_REST
#define CUMp(v)	       "0013 000c 00000000 " v " 00000000 "
#define SCANp(v)       "0014 000c 00000000 " v " 00000000 "
#define STATUS_HEAD    FI0 CUMp("00000010") SCANp("00000100")
#define FROM(v)	       "0018 000c 00000000 " v " "
#define FROMp(v)       FROM(v) "00000000 "
#define R(a, b)	       "00000000 " a " 00000000 " b " "
#define MISSING1(r)    "0015 0014 " r
#define MISSING2(r, s) "0015 0024 " r s

/* FILE with a 4-byte-or-shorter NAME item (padded to 8) and a zero DIGEST: itemlen 0x54. */
#define FILE_WITH(name, mode)                                                                      \
	"800f 0054 00000000 " FI0 name "000b 000c 00000000 00000001 00000000 "                     \
	"000c 0008 " mode " 000d 000c 00000000 00000000 00000000 "                                 \
	"0019 0014 00000000 00000000 00000000 00000000 "
#define NAME_A "000a 0005 61000000 "

/* FILE_STATE: index 0, OK, cum, held: itemlen 0x34. */
#define FSTATE(cum, held)                                                                          \
	"8010 0034 00000000 " FI0 RESp("0000") CUMp(cum) "0016 000c 00000000 " held " "

/* n nested unknown items (0x8100), the innermost holding an 8-byte unknown scalar. */
#define NEST3 "8100 0020 00000000 8100 0018 00000000 8100 0010 00000000 0101 0008 00000000 "
#define NEST4                                                                                      \
	"8100 0028 00000000 8100 0020 00000000 8100 0018 00000000 8100 0010 00000000 "             \
	"0101 0008 00000000 "

struct mcase {
	const char *name;
	__u16 cmd;
	const char *items;
	int expect;
	unsigned int flags;
	size_t (*gen)(__u8 *buf, size_t cap);
};

/* --- Generators for rows too long to write out ------------------------------------- */

static size_t finish_gen(struct p2pkp_enc *e)
{
	int n = p2pkp_enc_finish(e);

	assert_true(n > 0);
	return (size_t)n;
}

static size_t gen_text(__u8 *buf, size_t cap, __u32 len)
{
	char text[P2PKP_MAX_TEXT + 1];
	struct p2pkp_enc e;

	memset(text, 'x', sizeof(text));
	p2pkp_enc_init(&e, buf, (__u32)cap);
	p2pkp_enc_begin(&e, 0x9e3779b97f4a7c15ULL, 1, P2PKP_CMD_CLOSE);
	p2pkp_enc_put_u16(&e, P2PKP_IT_RESULT, 0);
	p2pkp_enc_put_bytes(&e, P2PKP_IT_TEXT, text, len);
	return finish_gen(&e);
}

static size_t gen_text_256(__u8 *buf, size_t cap)
{
	return gen_text(buf, cap, 256);
}

static size_t gen_text_257(__u8 *buf, size_t cap)
{
	return gen_text(buf, cap, 257);
}

static size_t gen_files(__u8 *buf, size_t cap, unsigned int n, __u32 name_len)
{
	static char name[P2PKP_MAX_NAME + 1];
	struct p2pkp_enc e;

	memset(name, 'n', sizeof(name));
	p2pkp_enc_init(&e, buf, (__u32)cap);
	p2pkp_enc_begin(&e, 0x9e3779b97f4a7c15ULL, 1, P2PKP_CMD_FILES);
	for (unsigned int i = 0; i < n; i++) {
		p2pkp_enc_begin_nested(&e, P2PKP_IT_FILE);
		p2pkp_enc_put_u32(&e, P2PKP_IT_FILE_INDEX, i);
		p2pkp_enc_put_bytes(&e, P2PKP_IT_NAME, name, name_len);
		p2pkp_enc_put_u64(&e, P2PKP_IT_SIZE, 1);
		p2pkp_enc_put_u32(&e, P2PKP_IT_MODE, 0644);
		p2pkp_enc_put_u64(&e, P2PKP_IT_MTIME, 0);
		p2pkp_enc_put_bytes(&e, P2PKP_IT_DIGEST, (__u8[P2PKP_DIGEST_LEN]){0},
				    P2PKP_DIGEST_LEN);
		p2pkp_enc_end_nested(&e);
	}
	return finish_gen(&e);
}

static size_t gen_files_16(__u8 *buf, size_t cap)
{
	return gen_files(buf, cap, 16, 8);
}

static size_t gen_files_17(__u8 *buf, size_t cap)
{
	return gen_files(buf, cap, 17, 8);
}

static size_t gen_name_1024(__u8 *buf, size_t cap)
{
	return gen_files(buf, cap, 1, 1024);
}

static size_t gen_name_1025(__u8 *buf, size_t cap)
{
	return gen_files(buf, cap, 1, 1025);
}

static size_t gen_ranges(__u8 *buf, size_t cap, __u32 n)
{
	__u8 raw[16 * (P2PKP_MAX_RANGES + 1)];
	struct p2pkp_enc e;

	for (__u32 i = 0; i < n; i++) {
		p2pkp_put_be64(raw + 16 * i, 10 + 3 * (__u64)i);
		p2pkp_put_be64(raw + 16 * i + 8, 11 + 3 * (__u64)i);
	}
	p2pkp_enc_init(&e, buf, (__u32)cap);
	p2pkp_enc_begin(&e, 0x9e3779b97f4a7c15ULL, 1, P2PKP_CMD_REPORT);
	p2pkp_enc_put_u32(&e, P2PKP_IT_FILE_INDEX, 0);
	p2pkp_enc_put_u64(&e, P2PKP_IT_CUM, 0);
	p2pkp_enc_put_u64(&e, P2PKP_IT_SCAN_END, 1000);
	p2pkp_enc_put_bytes(&e, P2PKP_IT_MISSING, raw, 16 * n);
	return finish_gen(&e);
}

static size_t gen_ranges_64(__u8 *buf, size_t cap)
{
	return gen_ranges(buf, cap, 64);
}

static size_t gen_ranges_65(__u8 *buf, size_t cap)
{
	return gen_ranges(buf, cap, 65);
}

/* --- The table ------------------------------------------------------------------------- */

#define KA P2PKP_CMD_KEEPALIVE
#define ROW(name, cmd, items, expect)                                                              \
	{                                                                                          \
		name, cmd, items, expect, 0, NULL                                                  \
	}
#define ROWF(name, cmd, items, expect, flags)                                                      \
	{                                                                                          \
		name, cmd, items, expect, flags, NULL                                              \
	}
#define GEN(name, expect, fn)                                                                      \
	{                                                                                          \
		name, 0, NULL, expect, 0, fn                                                       \
	}

static const struct mcase cases[] = {
	/* Header and datagram framing. */
	ROWF("empty datagram", 0, "", P2PKP_E_SHORT, RAW),
	ROWF("15-byte datagram", 0, "9e3779b97f4a7c15 00000001 0009 00", P2PKP_E_SHORT, RAW),
	ROWF("length 0", 0, HDR("0009", "0000"), P2PKP_E_MSG_LEN, RAW),
	ROWF("length 15", 0, HDR("0009", "000f"), P2PKP_E_MSG_LEN, RAW),
	ROWF("length past datagram", 0, HDR("0009", "0018"), P2PKP_E_TRUNCATED, RAW),
	ROWF("length 28 in 27 bytes", 0, HDR("0009", "001c") "0017 000c 00000000 000000",
	     P2PKP_E_TRUNCATED, RAW),
	ROWF("ok padded datagram", 0, HDR("0009", "001c") TS "00000000", 0, RAW),
	ROWF("ok unpadded datagram", 0, HDR("0009", "001c") TS, 0, RAW),
	ROWF("datagram past padding", 0, HDR("0009", "001c") TS "00000000 00", P2PKP_E_TRAILING,
	     RAW),
	ROWF("8 bytes after empty message", 0, HDR("0009", "0010") "00000000 00000000",
	     P2PKP_E_TRAILING, RAW),
	ROWF("non-zero datagram padding", 0, HDR("0009", "001c") TS "00000100", P2PKP_E_PADDING,
	     RAW),
	ROWF("linkid 0", 0, "0000000000000000 00000001 0009 0010", P2PKP_E_LINKID, RAW),
	ROWF("misaligned buffer", KA, TS, P2PKP_E_ALIGN, MISALIGN),

	/* Item framing. */
	ROW("2 stray bytes", KA, "0000", P2PKP_E_ITEM_HDR),
	ROW("3 stray bytes", KA, "000000", P2PKP_E_ITEM_HDR),
	ROW("stray bytes after item", KA, TSp "0100", P2PKP_E_ITEM_HDR),
	ROW("itemlen 0", KA, "0100 0000", P2PKP_E_ITEM_LEN),
	ROW("itemlen 3", KA, "0100 0003", P2PKP_E_ITEM_LEN),
	ROW("nested itemlen 4", KA, "8100 0004", P2PKP_E_ITEM_LEN),
	ROW("payload itemlen 6", P2PKP_CMD_DATA, "0012 0006 00000000 " FI1 OFFp SUMp PL8,
	    P2PKP_E_ITEM_LEN),
	ROW("ref itemlen 6", P2PKP_CMD_OPEN, "4008 0006 00000000 " OPEN_OK, P2PKP_E_ITEM_LEN),
	ROW("item past message", KA, "0017 000d 00000000 00000001", P2PKP_E_ITEM_OVERRUN),
	ROW("item past nested parent", KA, "8101 0010 00000000 0101 000c 00000000",
	    P2PKP_E_ITEM_OVERRUN),
	ROW("message longer than last item", KA, TSp, P2PKP_E_SLACK),
	ROW("nested longer than last child", KA, "8101 000f 00000000 0101 0005 41000000 " TS,
	    P2PKP_E_SLACK),
	ROW("ok nested exact", KA, "8101 000d 00000000 0101 0005 41000000 " TS, 0),
	ROW("non-zero gap between items", KA, "0100 0005 41000100 " TS, P2PKP_E_PADDING),
	ROW("non-zero nested pad word", KA, "8100 0008 00000001", P2PKP_E_PADDING),
	ROW("non-zero payload pad word", P2PKP_CMD_DATA,
	    FI1 OFFp "0012 0010 00000001 4142434445464748", P2PKP_E_PADDING),
	ROW("ok depth 4", KA, NEST3, 0),
	ROW("depth 5", KA, NEST4, P2PKP_E_DEPTH),
	ROW("ref with half a linkid", P2PKP_CMD_OPEN,
	    "4008 000c 00000000 00000001 00000000 " OPEN_OK, P2PKP_E_REF_LEN),
	ROW("ref with no linkid", P2PKP_CMD_OPEN, "4008 0008 00000000 " OPEN_OK, P2PKP_E_REF_LEN),

	/* Commands. */
	ROW("command 0", 0x0000, "", P2PKP_E_UNKNOWN_CMD),
	ROW("command 0x000a", 0x000a, "", P2PKP_E_UNKNOWN_CMD),
	ROW("command 0x7fff", 0x7fff, "", P2PKP_E_UNKNOWN_CMD),
	ROW("DATA response", P2PKP_CMD_DATA | P2PKP_CMD_RESPONSE, "", P2PKP_E_UNKNOWN_CMD),
	ROW("REPORT response", P2PKP_CMD_REPORT | P2PKP_CMD_RESPONSE, "", P2PKP_E_UNKNOWN_CMD),

	/* Which items, how many. */
	ROW("ok unknown item skipped", KA, "0100 0008 00000000 " TS, 0),
	ROW("ok unknown nested item skipped", KA, "8100 0010 00000000 0101 0008 00000000 " TS, 0),
	ROW("unknown critical item", KA, "2100 0008 00000000 " TS, P2PKP_E_UNKNOWN_CRITICAL),
	ROW("known item with critical bit", KA, "2017 000c 00000000 00000001", P2PKP_E_ITEM_FLAGS),
	ROW("FILE without nested bit", P2PKP_CMD_FILES, "000f 0008 00000000", P2PKP_E_ITEM_FLAGS),
	ROW("PAYLOAD in KEEPALIVE", KA, PL8, P2PKP_E_UNEXPECTED),
	ROW("FILE_INDEX in CLOSE", P2PKP_CMD_CLOSE, FI0 RES("0000"), P2PKP_E_UNEXPECTED),
	ROW("PAYLOAD inside FILE", P2PKP_CMD_FILES, "800f 0018 00000000 " PL8, P2PKP_E_UNEXPECTED),
	ROW("duplicate TIMESTAMP", KA, TSp TS, P2PKP_E_DUPLICATE),
	ROW("duplicate FILE_INDEX in DATA", P2PKP_CMD_DATA, FI1 FI1 OFFp SUMp PL8,
	    P2PKP_E_DUPLICATE),
	ROW("ok DATA items reversed", P2PKP_CMD_DATA, PL8 SUMp OFFp FI1, 0),
	ROW("DATA without BLOCK_SUM", P2PKP_CMD_DATA, FI1 OFFp PL8, P2PKP_E_MISSING),
	ROW("BLOCK_SUM of 4 bytes", P2PKP_CMD_DATA, FI1 OFFp "001a 0008 00000000 " PL8,
	    P2PKP_E_ITEM_SIZE),
	ROW("DATA without PAYLOAD", P2PKP_CMD_DATA, FI1 "0011 000c 00000000 00000000",
	    P2PKP_E_MISSING),
	ROW("STATUS without FILE_INDEX", P2PKP_CMD_STATUS, "", P2PKP_E_MISSING),
	ROW("FILES without FILE", P2PKP_CMD_FILES, "", P2PKP_E_MISSING),
	ROW("FILE without DIGEST", P2PKP_CMD_FILES,
	    "800f 003c 00000000 " FI0 NAME_A "000b 000c 00000000 00000001 00000000 "
	    "000c 0008 000001a4 000d 000c 00000000 00000000",
	    P2PKP_E_MISSING),
	ROW("OPEN without VERSION", P2PKP_CMD_OPEN, OPEN_REST, P2PKP_E_MISSING),
	ROW("ABORT without RESULT", P2PKP_CMD_ABORT, FI0, P2PKP_E_MISSING),
	GEN("ok FILES 16 entries", 0, gen_files_16),
	GEN("FILES 17 entries", P2PKP_E_TOO_MANY, gen_files_17),
	GEN("ok 64 ranges", 0, gen_ranges_64),
	GEN("65 ranges", P2PKP_E_TOO_MANY, gen_ranges_65),

	/* Sizes. */
	ROW("TIMESTAMP of 4 bytes", KA, "0017 0008 00000001", P2PKP_E_ITEM_SIZE),
	ROW("VERSION of 2 bytes", P2PKP_CMD_OPEN, "0001 0006 0001 0000 " OPEN_REST,
	    P2PKP_E_ITEM_SIZE),
	ROW("RESULT of 4 bytes", P2PKP_CMD_CLOSE, "0002 0008 00000000", P2PKP_E_ITEM_SIZE),
	ROW("MISSING of 8 bytes", P2PKP_CMD_REPORT, STATUS_HEAD "0015 000c 00000000 00000014",
	    P2PKP_E_ITEM_SIZE),
	ROW("RESUME_OF with 2 linkids", P2PKP_CMD_OPEN,
	    "4008 0018 00000000 1111111111111111 2222222222222222 " OPEN_OK, P2PKP_E_ITEM_SIZE),

	/* Values. */
	ROW("ok OPEN", P2PKP_CMD_OPEN, OPEN_OK, 0),
	ROW("VERSION 0..1", P2PKP_CMD_OPEN, VERp("0000", "0001") OPEN_REST, P2PKP_E_VALUE),
	ROW("VERSION 2..1", P2PKP_CMD_OPEN, VERp("0002", "0001") OPEN_REST, P2PKP_E_VALUE),
	ROW("BLOCK_SIZE 100", P2PKP_CMD_OPEN,
	    VERp("0001", "0001") TBp BSp("00000064") FC("00000002"), P2PKP_E_VALUE),
	ROW("BLOCK_SIZE 65488", P2PKP_CMD_OPEN,
	    VERp("0001", "0001") TBp BSp("0000ffd0") FC("00000002"), P2PKP_E_VALUE),
	ROW("FILE_COUNT 0", P2PKP_CMD_OPEN, VERp("0001", "0001") TBp BSp("00000578") FC("00000000"),
	    P2PKP_E_VALUE),
	ROW("RESUME_OF linkid 0", P2PKP_CMD_OPEN, "4008 0010 00000000 0000000000000000 " OPEN_OK,
	    P2PKP_E_VALUE),
	ROW("ABORT with result OK", P2PKP_CMD_ABORT, RES("0000"), P2PKP_E_VALUE),
	ROW("DATA to file 0xffffffff", P2PKP_CMD_DATA, "0009 0008 ffffffff " OFFp SUMp PL8,
	    P2PKP_E_VALUE),
	ROW("MODE of a symlink", P2PKP_CMD_FILES, FILE_WITH(NAME_A, "0000a1ff"), P2PKP_E_VALUE),
	ROW("directory with a size", P2PKP_CMD_FILES, FILE_WITH(NAME_A, "000041ed"), P2PKP_E_VALUE),
	ROW("ok MODE of a regular file with S_IFREG", P2PKP_CMD_FILES,
	    FILE_WITH(NAME_A, "000081a4"), 0),
	ROW("FILE_STATE cum > held", P2PKP_CMD_FILES | P2PKP_CMD_RESPONSE,
	    FSTATE("00000002", "00000001"), P2PKP_E_VALUE),
	ROW("ok FILE_STATE", P2PKP_CMD_FILES | P2PKP_CMD_RESPONSE, FSTATE("00000001", "00000002"),
	    0),
	ROW("VERIFY response without file", P2PKP_CMD_VERIFY | P2PKP_CMD_RESPONSE, RES("0000"),
	    P2PKP_E_MISSING),
	ROW("CUM > SCAN_END", P2PKP_CMD_REPORT, FI0 CUMp("00000200") "0014 000c 00000000 00000100",
	    P2PKP_E_VALUE),

	/* Names and text. */
	ROW("ok FILE", P2PKP_CMD_FILES, FILE_WITH(NAME_A, "000001a4"), 0),
	ROW("absolute name", P2PKP_CMD_FILES, FILE_WITH("000a 0006 2f610000 ", "000001a4"),
	    P2PKP_E_NAME),
	ROW("name with ..", P2PKP_CMD_FILES, FILE_WITH("000a 0008 612f2e2e ", "000001a4"),
	    P2PKP_E_NAME),
	ROW("name .", P2PKP_CMD_FILES, FILE_WITH("000a 0005 2e000000 ", "000001a4"), P2PKP_E_NAME),
	ROW("empty name", P2PKP_CMD_FILES, FILE_WITH("000a 0004 00000000 ", "000001a4"),
	    P2PKP_E_NAME),
	ROW("name with NUL", P2PKP_CMD_FILES, FILE_WITH("000a 0007 61006200 ", "000001a4"),
	    P2PKP_E_NAME),
	ROW("name with //", P2PKP_CMD_FILES, FILE_WITH("000a 0008 612f2f62 ", "000001a4"),
	    P2PKP_E_NAME),
	ROW("name ending in /", P2PKP_CMD_FILES, FILE_WITH("000a 0006 612f0000 ", "000001a4"),
	    P2PKP_E_NAME),
	GEN("ok name 1024 bytes", 0, gen_name_1024),
	GEN("name 1025 bytes", P2PKP_E_NAME, gen_name_1025),
	ROW("TEXT with NUL", P2PKP_CMD_CLOSE, RESp("0000") "0003 0007 410042", P2PKP_E_TEXT),
	GEN("ok TEXT 256 bytes", 0, gen_text_256),
	GEN("TEXT 257 bytes", P2PKP_E_TEXT, gen_text_257),

	/* Ranges (window [16, 256)). */
	ROW("ok ranges", P2PKP_CMD_REPORT,
	    STATUS_HEAD MISSING2(R("00000014", "0000001e"), R("0000001f", "00000028")), 0),
	ROW("ranges unsorted", P2PKP_CMD_REPORT,
	    STATUS_HEAD MISSING2(R("00000028", "00000032"), R("00000014", "0000001e")),
	    P2PKP_E_RANGES),
	ROW("ranges touching", P2PKP_CMD_REPORT,
	    STATUS_HEAD MISSING2(R("00000014", "0000001e"), R("0000001e", "00000028")),
	    P2PKP_E_RANGES),
	ROW("ranges overlapping", P2PKP_CMD_REPORT,
	    STATUS_HEAD MISSING2(R("00000014", "0000001e"), R("00000016", "00000028")),
	    P2PKP_E_RANGES),
	ROW("empty range", P2PKP_CMD_REPORT, STATUS_HEAD MISSING1(R("00000014", "00000014")),
	    P2PKP_E_RANGES),
	ROW("range below CUM", P2PKP_CMD_REPORT, STATUS_HEAD MISSING1(R("00000008", "00000014")),
	    P2PKP_E_RANGES),
	ROW("FROM below CUM", P2PKP_CMD_REPORT,
	    FI0 CUMp("00000010") FROMp("00000008") "0014 000c 00000000 00000100", P2PKP_E_VALUE),
	ROW("FROM past SCAN_END", P2PKP_CMD_REPORT,
	    FI0 CUMp("00000010") FROMp("00000200") "0014 000c 00000000 00000100", P2PKP_E_VALUE),
	ROW("range below FROM", P2PKP_CMD_REPORT,
	    FI0 CUMp("00000010") FROMp("00000020") SCANp("00000100")
		    MISSING1(R("00000014", "0000001e")),
	    P2PKP_E_RANGES),
	ROW("ok range above FROM", P2PKP_CMD_REPORT,
	    FI0 CUMp("00000010") FROMp("00000020") SCANp("00000100")
		    MISSING1(R("00000020", "00000028")),
	    0),
	ROW("ok STATUS with FROM", P2PKP_CMD_STATUS, FI0 FROM("00000020"), 0),
	ROW("FROM in VERIFY", P2PKP_CMD_VERIFY, FI0 FROM("00000020"), P2PKP_E_UNEXPECTED),
	ROW("range past SCAN_END", P2PKP_CMD_REPORT,
	    STATUS_HEAD MISSING1(R("000000fa", "0000012c")), P2PKP_E_RANGES),

	/* Payload. */
	ROW("ok DATA", P2PKP_CMD_DATA, FI1 OFFp SUMp PL8, 0),
	ROW("empty payload", P2PKP_CMD_DATA, FI1 OFFp SUMp "0012 0008 00000000", P2PKP_E_PAYLOAD),
	ROW("offset + length overflows", P2PKP_CMD_DATA,
	    FI1 "0011 000c fffffffffffffffc 00000000 " SUMp PL8, P2PKP_E_PAYLOAD),
};
#define N_CASES (sizeof(cases) / sizeof(cases[0]))

static size_t unhex(const char *s, __u8 *out, size_t cap)
{
	size_t n = 0;
	int hi = -1;

	for (; *s; s++) {
		int v = 0;

		if (*s == ' ')
			continue;
		if (*s >= '0' && *s <= '9')
			v = *s - '0';
		else if (*s >= 'a' && *s <= 'f')
			v = *s - 'a' + 10;
		else
			fail_msg("bad hex digit '%c'", *s);
		if (hi < 0) {
			hi = v;
			continue;
		}
		assert_true(n < cap);
		out[n++] = (__u8)(hi << 4 | v);
		hi = -1;
	}
	if (hi >= 0)
		fail_msg("odd number of hex digits");
	return n;
}

/* The row's datagram into buf (8-byte aligned); returns its length. */
static size_t make_datagram(const struct mcase *c, __u8 *buf, size_t cap)
{
	size_t n;

	if (c->gen)
		return c->gen(buf, cap);
	if (c->flags & RAW)
		return unhex(c->items, buf, cap);
	n = P2PKP_HDR_LEN + unhex(c->items, buf + P2PKP_HDR_LEN, cap - P2PKP_HDR_LEN);
	p2pkp_put_be64(buf, 0x9e3779b97f4a7c15ULL);
	p2pkp_put_be32(buf + 8, 1);
	p2pkp_put_be16(buf + 12, c->cmd);
	p2pkp_put_be16(buf + 14, (__u16)n);
	return n;
}

static void test_case(void **state)
{
	const struct mcase *c = *state;
	_Alignas(8) __u8 buf[4096 + 8];
	struct p2pkp_msg m;
	size_t n;
	int rc;

	memset(buf, 0xa5, sizeof(buf)); /* nothing may read past the datagram's bytes */
	n = make_datagram(c, buf, 4096);
	if (c->flags & MISALIGN) {
		memmove(buf + 1, buf, n);
		rc = p2pkp_decode(buf + 1, n, &m);
	} else {
		rc = p2pkp_decode(buf, n, &m);
	}
	if (rc != c->expect)
		fail_msg("%s: got %s (%d), want %s (%d)", c->name, p2pkp_strerror(rc), rc,
			 p2pkp_strerror(c->expect), c->expect);
}

/* Every error code the decoder can return is exercised by some row. */
static void test_coverage(void **state)
{
	static const int decode_errors[] = {
		P2PKP_E_SHORT,	      P2PKP_E_ALIGN,	   P2PKP_E_MSG_LEN,
		P2PKP_E_TRUNCATED,    P2PKP_E_TRAILING,	   P2PKP_E_PADDING,
		P2PKP_E_LINKID,	      P2PKP_E_ITEM_HDR,	   P2PKP_E_ITEM_LEN,
		P2PKP_E_ITEM_OVERRUN, P2PKP_E_SLACK,	   P2PKP_E_DEPTH,
		P2PKP_E_REF_LEN,      P2PKP_E_UNKNOWN_CMD, P2PKP_E_UNKNOWN_CRITICAL,
		P2PKP_E_ITEM_FLAGS,   P2PKP_E_UNEXPECTED,  P2PKP_E_DUPLICATE,
		P2PKP_E_MISSING,      P2PKP_E_ITEM_SIZE,   P2PKP_E_VALUE,
		P2PKP_E_NAME,	      P2PKP_E_TEXT,	   P2PKP_E_TOO_MANY,
		P2PKP_E_RANGES,	      P2PKP_E_PAYLOAD,
	};
	size_t bad = 0;

	for (size_t i = 0; i < sizeof(decode_errors) / sizeof(decode_errors[0]); i++) {
		size_t j;

		for (j = 0; j < N_CASES && cases[j].expect != decode_errors[i]; j++)
			;
		if (j == N_CASES)
			fail_msg("no row expects %s", p2pkp_strerror(decode_errors[i]));
	}
	for (size_t j = 0; j < N_CASES; j++)
		bad += cases[j].expect != 0;
	assert_true(bad >= 40);
}

int main(void)
{
	struct CMUnitTest tests[N_CASES + 1];

	for (size_t i = 0; i < N_CASES; i++) {
		tests[i] =
			(struct CMUnitTest)cmocka_unit_test_prestate(test_case, (void *)&cases[i]);
		tests[i].name = cases[i].name;
	}
	tests[N_CASES] = (struct CMUnitTest)cmocka_unit_test(test_coverage);
	tests[N_CASES].name = "every decode error has a row";
	return _cmocka_run_group_tests("test_wire_malformed", tests, N_CASES + 1, NULL, NULL);
}
