// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <endian.h>
#include <isa-l/crc64.h>
#include <stdlib.h>
#include <xxhash.h>

#include "blocksum.h"

__u64 p2pkp_block_sum(__u64 offset, const void *payload, size_t len)
{
	__be64 off_be = htobe64(offset);
	__u64 crc;

	/* ISA-L's reflected ECMA CRC with seed 0 is CRC-64/XZ; seeds chain. */
	crc = crc64_ecma_refl(0, (const unsigned char *)&off_be, sizeof(off_be));
	return crc64_ecma_refl(crc, payload, len);
}

static void canonical(XXH128_hash_t h, __u8 out[P2PKP_DIGEST_LEN])
{
	XXH128_canonical_t c;

	XXH128_canonicalFromHash(&c, h); /* big-endian: high 64 bits first */
	for (int i = 0; i < P2PKP_DIGEST_LEN; i++)
		out[i] = c.digest[i];
}

void p2pkp_digest_of(const __be64 *sums_be, __u64 n, __u8 out[P2PKP_DIGEST_LEN])
{
	canonical(XXH3_128bits(sums_be, (size_t)n * sizeof(*sums_be)), out);
}

struct p2pkp_digest {
	XXH3_state_t *st;
};

struct p2pkp_digest *p2pkp_digest_new(void)
{
	struct p2pkp_digest *d = calloc(1, sizeof(*d));

	if (!d)
		return NULL;
	d->st = XXH3_createState();
	if (!d->st) {
		free(d);
		return NULL;
	}
	XXH3_128bits_reset(d->st);
	return d;
}

void p2pkp_digest_add(struct p2pkp_digest *d, const __be64 *sums_be, __u64 n)
{
	XXH3_128bits_update(d->st, sums_be, (size_t)n * sizeof(*sums_be));
}

void p2pkp_digest_final(struct p2pkp_digest *d, __u8 out[P2PKP_DIGEST_LEN])
{
	canonical(XXH3_128bits_digest(d->st), out);
}

void p2pkp_digest_free(struct p2pkp_digest *d)
{
	if (!d)
		return;
	XXH3_freeState(d->st);
	free(d);
}
