// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * libFuzzer harness for the P2PKP decoder. The input is one datagram, copied
 * to an exactly sized heap buffer so ASan catches any read past it. Beyond
 * "no crash", it checks the codec's own promises:
 *   - p2pkp_decode() returns 0 or one of the P2PKP_E_* codes;
 *   - a decoded message re-encodes, the result decodes, and encoding that
 *     again gives the same bytes (decode and encode agree);
 *   - zero-copy views point inside the datagram, DATA payloads 8-byte aligned.
 * The same input is also fed to the bitmap image loader (on-disk resume state
 * is just as untrusted), which must round-trip anything it accepts.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_check.h"
#include "ranges.h"
#include "wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static _Alignas(8) __u8 enc1[P2PKP_MSG_MAX + 8], enc2[P2PKP_MSG_MAX + 8];

static bool inside(const __u8 *p, __u32 len, const __u8 *buf, size_t size)
{
	return p >= buf && (size_t)(p - buf) + len <= size;
}

static void check_views(const struct p2pkp_msg *m, const __u8 *buf, size_t size)
{
	struct p2pkp_range r;

	switch (m->command) {
	case P2PKP_CMD_DATA:
		CHECK(inside(m->u.data.payload, m->u.data.len, buf, size));
		CHECK((m->u.data.payload - buf) % 8 == 0);
		(void)p2pkp_data_check(&m->u.data, P2PKP_DEFAULT_BLOCK_SIZE, 1ULL << 40);
		break;
	case P2PKP_CMD_REPORT:
	case P2PKP_CMD_STATUS | P2PKP_CMD_RESPONSE:
		CHECK(m->u.status.nranges <= P2PKP_MAX_RANGES);
		for (__u32 i = 0; i < m->u.status.nranges; i++) {
			p2pkp_status_range(&m->u.status, i, &r);
			CHECK(r.start < r.end && r.start >= m->u.status.cum &&
			      r.end <= m->u.status.scan_end);
		}
		break;
	case P2PKP_CMD_FILES:
		CHECK(m->u.files.count >= 1 && m->u.files.count <= P2PKP_MAX_FILES_MSG);
		for (__u32 i = 0; i < m->u.files.count; i++) {
			const struct p2pkp_bytes *n = &m->u.files.file[i].name;

			CHECK(inside(n->ptr, n->len, buf, size));
			CHECK(p2pkp_name_check(n->ptr, n->len) == 0);
		}
		break;
	}
}

/* decode -> encode -> decode -> encode: both encodings must be identical. */
static void check_round_trip(const struct p2pkp_msg *m)
{
	struct p2pkp_msg m2;
	struct p2pkp_enc e;
	int n1, n2;

	p2pkp_enc_init(&e, enc1, sizeof(enc1));
	n1 = p2pkp_build_msg(&e, m);
	CHECK(n1 >= (int)P2PKP_HDR_LEN);
	CHECK(p2pkp_decode(enc1, (size_t)n1, &m2) == 0);
	p2pkp_enc_init(&e, enc2, sizeof(enc2));
	n2 = p2pkp_build_msg(&e, &m2);
	CHECK(n2 == n1);
	CHECK(memcmp(enc1, enc2, (size_t)n1) == 0);
}

static void fuzz_bitmap_image(const __u8 *buf, size_t size)
{
	struct p2pkp_bitmap bm;
	__u8 *img;

	if (p2pkp_bitmap_load(&bm, buf, size))
		return;
	CHECK(p2pkp_bitmap_image_size(&bm) == size);
	img = malloc(size);
	CHECK(img);
	CHECK(p2pkp_bitmap_save(&bm, img, size) == (__s64)size);
	CHECK(memcmp(img, buf, size) == 0);
	free(img);
	p2pkp_bitmap_free(&bm);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct p2pkp_msg m;
	__u8 *buf;
	int rc;

	if (size > P2PKP_MSG_MAX + 8)
		return 0;
	buf = malloc(size ? size : 1); /* glibc/ASan malloc: 8-byte aligned */
	CHECK(buf);
	memcpy(buf, data, size);

	rc = p2pkp_decode(buf, size, &m);
	CHECK(rc <= 0 && rc > -P2PKP_E_COUNT);
	if (rc == 0) {
		CHECK(m.length >= P2PKP_HDR_LEN && m.length <= size);
		check_views(&m, buf, size);
		check_round_trip(&m);
	}
	fuzz_bitmap_image(buf, size);
	free(buf);
	return 0;
}
