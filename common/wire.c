// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * P2PKP v1 codec. The encoder writes into the caller's buffer and never
 * allocates; the decoder validates structure first (p2pkp_msg_check), then
 * fills a per-command view from a table of allowed items, so adding an item
 * is a table row, not new parsing code.
 */
#include <stdint.h>

#include "wire.h"

/* --- Names -------------------------------------------------------------------- */

static const char *const err_names[P2PKP_E_COUNT] = {
	"OK",		"E_SHORT",	"E_ALIGN",	  "E_MSG_LEN",
	"E_TRUNCATED",	"E_TRAILING",	"E_PADDING",	  "E_LINKID",
	"E_ITEM_HDR",	"E_ITEM_LEN",	"E_ITEM_OVERRUN", "E_SLACK",
	"E_DEPTH",	"E_REF_LEN",	"E_UNKNOWN_CMD",  "E_UNKNOWN_CRITICAL",
	"E_ITEM_FLAGS", "E_UNEXPECTED", "E_DUPLICATE",	  "E_MISSING",
	"E_ITEM_SIZE",	"E_VALUE",	"E_NAME",	  "E_TEXT",
	"E_TOO_MANY",	"E_RANGES",	"E_PAYLOAD",	  "E_NOSPACE",
	"E_ENC_STATE",	"E_ARG",
};

const char *p2pkp_strerror(int err)
{
	if (err > 0 || err <= -P2PKP_E_COUNT)
		return "E_?";
	return err_names[-err];
}

static const char *const result_names[] = {
	"OK",	       "REFUSED",      "VERSION", "MTU",       "NO_SPACE",
	"EXISTS",      "BAD_NAME",     "IO",	  "MISMATCH",  "INCOMPLETE",
	"IN_PROGRESS", "UNKNOWN_LINK", "TIMEOUT", "CANCELLED", "PROTOCOL",
	"UNSUPPORTED", "HAVE",	       "BUSY",	  "LOCKED",    "AUTH",
};

const char *p2pkp_result_name(unsigned int result)
{
	if (result >= sizeof(result_names) / sizeof(result_names[0]))
		return "?";
	return result_names[result];
}

static const char *const cmd_names[] = {
	"?", "OPEN", "FILES", "DATA", "STATUS", "REPORT", "VERIFY", "CLOSE", "ABORT", "KEEPALIVE",
};

const char *p2pkp_cmd_name(unsigned int command)
{
	command &= ~P2PKP_CMD_RESPONSE;
	if (command >= sizeof(cmd_names) / sizeof(cmd_names[0]))
		return "?";
	return cmd_names[command];
}

/* Indexed by item type; the full itemid (flags included) each type must have. */
static const struct {
	const char *name;
	__u16 itemid;
} item_defs[] = {
	[0x01] = {"VERSION", P2PKP_IT_VERSION},
	[0x02] = {"RESULT", P2PKP_IT_RESULT},
	[0x03] = {"TEXT", P2PKP_IT_TEXT},
	[0x04] = {"BLOCK_SIZE", P2PKP_IT_BLOCK_SIZE},
	[0x05] = {"FILE_COUNT", P2PKP_IT_FILE_COUNT},
	[0x06] = {"TOTAL_BYTES", P2PKP_IT_TOTAL_BYTES},
	[0x07] = {"MAX_PAYLOAD", P2PKP_IT_MAX_PAYLOAD},
	[0x08] = {"RESUME_OF", P2PKP_IT_RESUME_OF},
	[0x09] = {"FILE_INDEX", P2PKP_IT_FILE_INDEX},
	[0x0a] = {"NAME", P2PKP_IT_NAME},
	[0x0b] = {"SIZE", P2PKP_IT_SIZE},
	[0x0c] = {"MODE", P2PKP_IT_MODE},
	[0x0d] = {"MTIME", P2PKP_IT_MTIME},
	[0x0f] = {"FILE", P2PKP_IT_FILE},
	[0x10] = {"FILE_STATE", P2PKP_IT_FILE_STATE},
	[0x11] = {"OFFSET", P2PKP_IT_OFFSET},
	[0x12] = {"PAYLOAD", P2PKP_IT_PAYLOAD},
	[0x13] = {"CUM", P2PKP_IT_CUM},
	[0x14] = {"SCAN_END", P2PKP_IT_SCAN_END},
	[0x15] = {"MISSING", P2PKP_IT_MISSING},
	[0x16] = {"HELD", P2PKP_IT_HELD},
	[0x17] = {"TIMESTAMP", P2PKP_IT_TIMESTAMP},
	[0x18] = {"FROM", P2PKP_IT_FROM},
	[0x19] = {"DIGEST", P2PKP_IT_DIGEST},
	[0x1a] = {"BLOCK_SUM", P2PKP_IT_BLOCK_SUM},
	[0x1b] = {"RECEIVED", P2PKP_IT_RECEIVED},
	[0x1c] = {"RX_TIME", P2PKP_IT_RX_TIME},
	[0x1d] = {"RX_DROPS", P2PKP_IT_RX_DROPS},
	[0x1e] = {"NONCE", P2PKP_IT_NONCE},
	[0x1f] = {"AUTH", P2PKP_IT_AUTH},
};
#define N_ITEM_DEFS (sizeof(item_defs) / sizeof(item_defs[0]))

const char *p2pkp_item_name(unsigned int itemid)
{
	unsigned int type = itemid & P2PKP_ITEM_TYPE;

	if (type >= N_ITEM_DEFS || !item_defs[type].name)
		return "?";
	return item_defs[type].name;
}

/* --- Small helpers -------------------------------------------------------------- */

static bool all_zero(const __u8 *p, __u32 n)
{
	for (__u32 i = 0; i < n; i++)
		if (p[i])
			return false;
	return true;
}

/* Items whose data starts 8 bytes in: 4 zero bytes follow the header. */
static bool has_pad_hdr(__u16 itemid)
{
	return (itemid & (P2PKP_ITEM_NESTED | P2PKP_ITEM_REF)) || itemid == P2PKP_IT_PAYLOAD;
}

/* --- Encoder -------------------------------------------------------------------- */

void p2pkp_enc_init(struct p2pkp_enc *e, void *buf, __u32 cap)
{
	memset(e, 0, sizeof(*e));
	e->buf = buf;
	e->cap = cap < P2PKP_MSG_MAX ? cap : P2PKP_MSG_MAX;
}

static int enc_fail(struct p2pkp_enc *e, int err)
{
	if (!e->err)
		e->err = err;
	return e->err;
}

int p2pkp_enc_begin(struct p2pkp_enc *e, __u64 linkid, __u32 msgid, __u16 command)
{
	if (e->err)
		return e->err;
	if (e->begun)
		return enc_fail(e, P2PKP_E_ENC_STATE);
	if ((uintptr_t)e->buf & (P2PKP_ALIGN - 1))
		return enc_fail(e, P2PKP_E_ALIGN);
	if (e->cap < P2PKP_HDR_LEN)
		return enc_fail(e, P2PKP_E_NOSPACE);
	if (!linkid)
		return enc_fail(e, P2PKP_E_LINKID);
	p2pkp_put_be64(e->buf, linkid);
	p2pkp_put_be32(e->buf + 8, msgid);
	p2pkp_put_be16(e->buf + 12, command);
	p2pkp_put_be16(e->buf + 14, 0);
	e->off = P2PKP_HDR_LEN;
	e->begun = true;
	return 0;
}

/*
 * Start an item of hdr + len bytes at the next aligned offset, zeroing the
 * padding before it (frames are reused) and the pad word of 8-byte headers.
 * Returns where its data goes.
 */
static __u8 *enc_item(struct p2pkp_enc *e, __u16 itemid, __u32 hdr, __u32 len)
{
	__u32 start, total;

	if (e->err)
		return NULL;
	if (!e->begun || e->payload) {
		enc_fail(e, P2PKP_E_ENC_STATE);
		return NULL;
	}
	start = p2pkp_align8(e->off);
	total = hdr + len;
	if (len > P2PKP_MSG_MAX || start + total > e->cap) {
		enc_fail(e, P2PKP_E_NOSPACE);
		return NULL;
	}
	memset(e->buf + e->off, 0, start - e->off);
	p2pkp_put_be16(e->buf + start, itemid);
	p2pkp_put_be16(e->buf + start + 2, (__u16)total);
	if (hdr == P2PKP_ITEM_PAD_HDR)
		p2pkp_put_be32(e->buf + start + 4, 0);
	e->off = start + total;
	return e->buf + start + hdr;
}

/* Plain items only: flagged or PAYLOAD ids need their own layout. */
static __u8 *enc_plain(struct p2pkp_enc *e, __u16 itemid, __u32 len)
{
	if (has_pad_hdr(itemid)) {
		enc_fail(e, P2PKP_E_ARG);
		return NULL;
	}
	return enc_item(e, itemid, P2PKP_ITEM_HDR_LEN, len);
}

int p2pkp_enc_put_u16(struct p2pkp_enc *e, __u16 itemid, __u16 v)
{
	__u8 *p = enc_plain(e, itemid, 2);

	if (p)
		p2pkp_put_be16(p, v);
	return e->err;
}

int p2pkp_enc_put_u32(struct p2pkp_enc *e, __u16 itemid, __u32 v)
{
	__u8 *p = enc_plain(e, itemid, 4);

	if (p)
		p2pkp_put_be32(p, v);
	return e->err;
}

int p2pkp_enc_put_u64(struct p2pkp_enc *e, __u16 itemid, __u64 v)
{
	__u8 *p = enc_plain(e, itemid, 8);

	if (p)
		p2pkp_put_be64(p, v);
	return e->err;
}

int p2pkp_enc_put_bytes(struct p2pkp_enc *e, __u16 itemid, const void *data, __u32 len)
{
	__u8 *p = enc_plain(e, itemid, len);

	if (p && len)
		memcpy(p, data, len);
	return e->err;
}

int p2pkp_enc_put_string(struct p2pkp_enc *e, __u16 itemid, const char *s)
{
	size_t n = strlen(s);

	if (n > P2PKP_MSG_MAX)
		return enc_fail(e, P2PKP_E_NOSPACE);
	return p2pkp_enc_put_bytes(e, itemid, s, (__u32)n);
}

int p2pkp_enc_put_refs(struct p2pkp_enc *e, __u16 itemid, const __u64 *linkids, __u32 n)
{
	__u8 *p;

	if ((itemid & (P2PKP_ITEM_REF | P2PKP_ITEM_NESTED)) != P2PKP_ITEM_REF || !n ||
	    n > P2PKP_MSG_MAX / 8)
		return enc_fail(e, P2PKP_E_ARG);
	p = enc_item(e, itemid, P2PKP_ITEM_PAD_HDR, n * 8);
	for (__u32 i = 0; p && i < n; i++)
		p2pkp_put_be64(p + 8 * i, linkids[i]);
	return e->err;
}

int p2pkp_enc_begin_nested(struct p2pkp_enc *e, __u16 itemid)
{
	__u8 *p;

	if (!(itemid & P2PKP_ITEM_NESTED))
		return enc_fail(e, P2PKP_E_ARG);
	/* Children of the new item sit at depth e->depth + 2. */
	if (e->depth + 2 > P2PKP_MAX_DEPTH)
		return enc_fail(e, P2PKP_E_ENC_STATE);
	p = enc_item(e, itemid, P2PKP_ITEM_PAD_HDR, 0);
	if (p)
		e->nest[e->depth++] = (__u32)(p - e->buf) - P2PKP_ITEM_PAD_HDR;
	return e->err;
}

int p2pkp_enc_end_nested(struct p2pkp_enc *e)
{
	__u32 start;

	if (e->err)
		return e->err;
	if (!e->depth)
		return enc_fail(e, P2PKP_E_ENC_STATE);
	start = e->nest[--e->depth];
	p2pkp_put_be16(e->buf + start + 2, (__u16)(e->off - start));
	return 0;
}

void *p2pkp_enc_reserve_payload(struct p2pkp_enc *e, __u32 len)
{
	__u8 *p = enc_item(e, P2PKP_IT_PAYLOAD, P2PKP_ITEM_PAD_HDR, len);

	if (p)
		e->payload = (__u32)(p - e->buf) - P2PKP_ITEM_PAD_HDR;
	return p;
}

int p2pkp_enc_set_payload_len(struct p2pkp_enc *e, __u32 len)
{
	if (e->err)
		return e->err;
	if (!e->payload)
		return enc_fail(e, P2PKP_E_ENC_STATE);
	if (e->payload + P2PKP_ITEM_PAD_HDR + len > e->off)
		return enc_fail(e, P2PKP_E_ARG);
	e->off = e->payload + P2PKP_ITEM_PAD_HDR + len;
	p2pkp_put_be16(e->buf + e->payload + 2, (__u16)(P2PKP_ITEM_PAD_HDR + len));
	return 0;
}

int p2pkp_enc_finish(struct p2pkp_enc *e)
{
	if (e->err)
		return e->err;
	if (!e->begun || e->depth)
		return enc_fail(e, P2PKP_E_ENC_STATE);
	p2pkp_put_be16(e->buf + 14, (__u16)e->off);
	return (int)e->off;
}

/* --- Structural decoding ----------------------------------------------------------- */

void p2pkp_iter_msg(struct p2pkp_iter *it, const void *buf, __u32 msg_len)
{
	it->msg = buf;
	it->off = P2PKP_HDR_LEN;
	it->end = msg_len;
}

void p2pkp_iter_nested(struct p2pkp_iter *it, const void *buf, const struct p2pkp_item_view *parent)
{
	it->msg = buf;
	it->off = parent->off + P2PKP_ITEM_PAD_HDR;
	it->end = parent->off + parent->itemlen;
}

/*
 * One item: every length is checked against the container before it is used,
 * so this is safe on raw input. Also checks the padding after the item and
 * that the container ends exactly where its last item does.
 */
int p2pkp_iter_next(struct p2pkp_iter *it, struct p2pkp_item_view *item)
{
	const __u8 *p = it->msg + it->off;
	__u32 hdr = P2PKP_ITEM_HDR_LEN, iend, next;
	__u16 id, len;

	if (it->off >= it->end)
		return 0;
	if (it->end - it->off < P2PKP_ITEM_HDR_LEN)
		return P2PKP_E_ITEM_HDR;
	id = p2pkp_get_be16(p);
	len = p2pkp_get_be16(p + 2);
	if (len < P2PKP_ITEM_HDR_LEN)
		return P2PKP_E_ITEM_LEN;
	if (len > it->end - it->off)
		return P2PKP_E_ITEM_OVERRUN;
	if (has_pad_hdr(id)) {
		hdr = P2PKP_ITEM_PAD_HDR;
		if (len < hdr)
			return P2PKP_E_ITEM_LEN;
		if (!all_zero(p + P2PKP_ITEM_HDR_LEN, 4))
			return P2PKP_E_PADDING;
	}
	if ((id & (P2PKP_ITEM_REF | P2PKP_ITEM_NESTED)) == P2PKP_ITEM_REF &&
	    (len == hdr || (len - hdr) % 8))
		return P2PKP_E_REF_LEN;

	iend = it->off + len;
	next = p2pkp_align8(iend);
	if (next >= it->end) {
		if (iend != it->end)
			return P2PKP_E_SLACK;
	} else if (!all_zero(it->msg + iend, next - iend)) {
		return P2PKP_E_PADDING;
	}

	item->itemid = id;
	item->itemlen = len;
	item->data = p + hdr;
	item->len = len - hdr;
	item->off = it->off;
	it->off = next;
	return 1;
}

/* Items at depth `depth`; nested items recurse, bounded by P2PKP_MAX_DEPTH. */
static int check_items(struct p2pkp_iter *it, unsigned int depth)
{
	struct p2pkp_item_view item;
	struct p2pkp_iter child;
	int rc;

	while ((rc = p2pkp_iter_next(it, &item)) > 0) {
		if (!(item.itemid & P2PKP_ITEM_NESTED))
			continue;
		if (depth >= P2PKP_MAX_DEPTH)
			return P2PKP_E_DEPTH;
		p2pkp_iter_nested(&child, it->msg, &item);
		rc = check_items(&child, depth + 1);
		if (rc)
			return rc;
	}
	return rc;
}

int p2pkp_msg_check(const void *buf, size_t len, struct p2pkp_msg *msg)
{
	const __u8 *p = buf;
	struct p2pkp_iter it;
	__u32 mlen;
	int rc;

	if (!buf || len < P2PKP_HDR_LEN)
		return P2PKP_E_SHORT;
	if ((uintptr_t)buf & (P2PKP_ALIGN - 1))
		return P2PKP_E_ALIGN;
	mlen = p2pkp_get_be16(p + 14);
	if (mlen < P2PKP_HDR_LEN)
		return P2PKP_E_MSG_LEN;
	if (mlen > len)
		return P2PKP_E_TRUNCATED;
	if (len > p2pkp_align8(mlen))
		return P2PKP_E_TRAILING;
	if (!all_zero(p + mlen, (__u32)len - mlen))
		return P2PKP_E_PADDING;
	if (!p2pkp_get_be64(p))
		return P2PKP_E_LINKID;

	p2pkp_iter_msg(&it, buf, mlen);
	rc = check_items(&it, 1);
	if (rc)
		return rc;

	msg->linkid = p2pkp_get_be64(p);
	msg->msgid = p2pkp_get_be32(p + 8);
	msg->command = p2pkp_get_be16(p + 12);
	msg->length = (__u16)mlen;
	return 0;
}

/* --- Typed decoding: per-command tables of allowed items ------------------------- */

enum kind {
	K_U16,
	K_U32,
	K_U64,
	K_VERSION,
	K_TEXT,
	K_NAME,
	K_REF1,
	K_RANGES,
	K_PAYLOAD,
	K_DIGEST,
	K_NONCE,
	K_FILE,
	K_FILE_STATE,
};

#define F_MAND	 1 /* must be present */
#define F_REPEAT 2 /* may appear more than once */

struct field {
	__u16 itemid;
	__u8 kind;
	__u8 flags;
	__u16 off; /* of the destination in the view */
};

struct schema {
	const struct field *fields;
	__u8 nfields;
	__u16 view_size;
	__u32 file_none_off; /* view offset set to P2PKP_FILE_NONE first, or 0 */
	int (*check)(void *view);
};

static int decode_items(struct p2pkp_iter *it, const struct schema *s, void *view);

/* An item the schema does not list: skip it, or say why it is an error. */
static int unlisted_item(__u16 itemid)
{
	unsigned int type = itemid & P2PKP_ITEM_TYPE;

	if (type < N_ITEM_DEFS && item_defs[type].name)
		return item_defs[type].itemid == itemid ? P2PKP_E_UNEXPECTED : P2PKP_E_ITEM_FLAGS;
	return (itemid & P2PKP_ITEM_CRITICAL) ? P2PKP_E_UNKNOWN_CRITICAL : 0;
}

static int decode_text(const struct p2pkp_item_view *item, struct p2pkp_bytes *b)
{
	if (item->len > P2PKP_MAX_TEXT || memchr(item->data, 0, item->len))
		return P2PKP_E_TEXT;
	b->ptr = item->data;
	b->len = item->len;
	return 0;
}

static int decode_name(const struct p2pkp_item_view *item, struct p2pkp_bytes *b)
{
	int rc = p2pkp_name_check(item->data, item->len);

	if (rc)
		return rc;
	b->ptr = item->data;
	b->len = item->len;
	return 0;
}

static const struct schema file_schema, file_state_schema;

/* Nested entries (FILE, FILE_STATE) go into an array: count, then entries. */
static int decode_entry(struct p2pkp_iter *parent, const struct p2pkp_item_view *item,
			const struct schema *s, __u32 *count, void *entries)
{
	struct p2pkp_iter child;
	void *entry;
	int rc;

	if (*count >= P2PKP_MAX_FILES_MSG)
		return P2PKP_E_TOO_MANY;
	entry = (__u8 *)entries + (size_t)*count * s->view_size;
	p2pkp_iter_nested(&child, parent->msg, item);
	rc = decode_items(&child, s, entry);
	if (rc)
		return rc;
	(*count)++;
	return 0;
}

static int decode_field(struct p2pkp_iter *it, const struct field *f,
			const struct p2pkp_item_view *item, __u8 *view)
{
	void *dst = view + f->off;
	static const __u8 fixed_len[] = {
		[K_U16] = 2,	 [K_U32] = 4,  [K_U64] = 8,
		[K_VERSION] = 4, [K_REF1] = 8, [K_DIGEST] = P2PKP_DIGEST_LEN,
		[K_NONCE] = 32};
	__u16 v16;
	__u32 v32;
	__u64 v64;

	if (f->kind < sizeof(fixed_len) && fixed_len[f->kind] && item->len != fixed_len[f->kind])
		return P2PKP_E_ITEM_SIZE;

	switch (f->kind) {
	case K_U16:
		v16 = p2pkp_get_be16(item->data);
		memcpy(dst, &v16, sizeof(v16));
		return 0;
	case K_U32:
		v32 = p2pkp_get_be32(item->data);
		memcpy(dst, &v32, sizeof(v32));
		return 0;
	case K_U64:
		v64 = p2pkp_get_be64(item->data);
		memcpy(dst, &v64, sizeof(v64));
		return 0;
	case K_VERSION: {
		__u16 v[2] = {p2pkp_get_be16(item->data), p2pkp_get_be16(item->data + 2)};

		memcpy(dst, v, sizeof(v));
		return 0;
	}
	case K_DIGEST:
		memcpy(dst, item->data, P2PKP_DIGEST_LEN);
		return 0;
	case K_NONCE:
		memcpy(dst, item->data, 32);
		return 0;
	case K_TEXT:
		return decode_text(item, dst);
	case K_NAME:
		return decode_name(item, dst);
	case K_REF1:
		v64 = p2pkp_get_be64(item->data);
		if (!v64)
			return P2PKP_E_VALUE;
		memcpy(dst, &v64, sizeof(v64));
		return 0;
	case K_RANGES: {
		struct p2pkp_status *st = dst;

		if (!item->len || item->len % 16)
			return P2PKP_E_ITEM_SIZE;
		if (item->len / 16 > P2PKP_MAX_RANGES)
			return P2PKP_E_TOO_MANY;
		st->ranges = item->data;
		st->nranges = item->len / 16;
		return 0;
	}
	case K_PAYLOAD: {
		struct p2pkp_data_view *d = dst;

		if (!item->len)
			return P2PKP_E_PAYLOAD;
		d->payload = item->data;
		d->len = item->len;
		return 0;
	}
	case K_FILE: {
		struct p2pkp_files *fs = dst;

		return decode_entry(it, item, &file_schema, &fs->count, fs->file);
	}
	case K_FILE_STATE: {
		struct p2pkp_files_reply *fr = dst;

		return decode_entry(it, item, &file_state_schema, &fr->count, fr->state);
	}
	}
	return P2PKP_E_ARG; /* unreachable: every kind is handled */
}

static int decode_items(struct p2pkp_iter *it, const struct schema *s, void *view)
{
	struct p2pkp_item_view item;
	__u32 seen = 0, mand = 0;
	unsigned int i;
	int rc;

	memset(view, 0, s->view_size);
	if (s->file_none_off) {
		__u32 none = P2PKP_FILE_NONE;

		memcpy((__u8 *)view + s->file_none_off, &none, sizeof(none));
	}
	for (i = 0; i < s->nfields; i++)
		if (s->fields[i].flags & F_MAND)
			mand |= 1u << i;

	while ((rc = p2pkp_iter_next(it, &item)) > 0) {
		for (i = 0; i < s->nfields; i++)
			if (s->fields[i].itemid == item.itemid)
				break;
		if (i == s->nfields) {
			rc = unlisted_item(item.itemid);
			if (rc)
				return rc;
			continue;
		}
		if ((seen & (1u << i)) && !(s->fields[i].flags & F_REPEAT))
			return P2PKP_E_DUPLICATE;
		seen |= 1u << i;
		rc = decode_field(it, &s->fields[i], &item, view);
		if (rc)
			return rc;
	}
	if (rc)
		return rc;
	if ((seen & mand) != mand)
		return P2PKP_E_MISSING;
	return s->check ? s->check(view) : 0;
}

/* Value checks, run once all items of a container are in. */

static int check_version(__u16 min, __u16 max)
{
	return min >= 1 && min <= max ? 0 : P2PKP_E_VALUE;
}

static bool nonce_absent(const __u8 nonce[32])
{
	return all_zero(nonce, 32);
}

static int check_open(void *view)
{
	const struct p2pkp_open *o = view;

	if (check_version(o->ver_min, o->ver_max))
		return P2PKP_E_VALUE;
	if (o->block_size < P2PKP_MIN_BLOCK_SIZE || o->block_size > P2PKP_MAX_BLOCK_SIZE)
		return P2PKP_E_VALUE;
	if (!o->file_count)
		return P2PKP_E_VALUE;
	/* AUTH and NONCE come together (a zero nonce is taken as absent). */
	if (o->auth > 2 || !o->auth != nonce_absent(o->nonce))
		return P2PKP_E_VALUE;
	return 0;
}

static int check_open_reply(void *view)
{
	struct p2pkp_open_reply *r = view;

	r->keyed = !nonce_absent(r->nonce);
	return check_version(r->ver_min, r->ver_max);
}

/* MODE: permission bits, and the type of a regular file (or none) or a directory. */
static bool mode_valid(__u32 mode)
{
	__u32 type = mode & ~07777u;

	return type == 0 || type == P2PKP_MODE_REG || type == P2PKP_MODE_DIR;
}

static int check_file(void *view)
{
	static const __u8 zero[P2PKP_DIGEST_LEN];
	const struct p2pkp_file_info *f = view;

	if (f->index == P2PKP_FILE_NONE || !mode_valid(f->mode))
		return P2PKP_E_VALUE;
	if ((f->mode & ~07777u) == P2PKP_MODE_DIR &&
	    (f->size || memcmp(f->digest, zero, sizeof(zero))))
		return P2PKP_E_VALUE;
	return 0;
}

static int check_file_state(void *view)
{
	const struct p2pkp_file_state *fs = view;

	if (fs->index == P2PKP_FILE_NONE || fs->cum > fs->held)
		return P2PKP_E_VALUE;
	return 0;
}

static int check_data(void *view)
{
	const struct p2pkp_data_view *d = view;

	if (d->file == P2PKP_FILE_NONE)
		return P2PKP_E_VALUE;
	if (d->offset > UINT64_MAX - d->len)
		return P2PKP_E_PAYLOAD;
	return 0;
}

static int check_status(void *view)
{
	struct p2pkp_status *st = view;
	struct p2pkp_range r;
	__u64 prev_end = 0;

	/* FROM absent: the window starts at CUM. */
	if (!st->from)
		st->from = st->cum;
	if (st->file == P2PKP_FILE_NONE || st->from < st->cum || st->from > st->scan_end)
		return P2PKP_E_VALUE;
	/* Sorted, disjoint and not touching (they would be one range), in the window. */
	for (__u32 i = 0; i < st->nranges; i++) {
		p2pkp_status_range(st, i, &r);
		if (r.start < st->from || r.start >= r.end || r.end > st->scan_end)
			return P2PKP_E_RANGES;
		if (i && r.start <= prev_end)
			return P2PKP_E_RANGES;
		prev_end = r.end;
	}
	return 0;
}

static int check_file_req(void *view)
{
	const struct p2pkp_file_req *fr = view;

	return fr->file == P2PKP_FILE_NONE ? P2PKP_E_VALUE : 0;
}

static int check_abort(void *view)
{
	const struct p2pkp_result_msg *r = view;

	return r->result == P2PKP_R_OK ? P2PKP_E_VALUE : 0;
}

static int check_verify_reply(void *view)
{
	const struct p2pkp_result_msg *r = view;

	return r->file == P2PKP_FILE_NONE ? P2PKP_E_VALUE : 0;
}

#define FLD(id, kind, flags, type, member)                                                         \
	{                                                                                          \
		id, kind, flags, offsetof(type, member)                                            \
	}
#define SCHEMA(arr, type, chk)                                                                     \
	{                                                                                          \
		arr, sizeof(arr) / sizeof(arr[0]), sizeof(type), 0, chk                            \
	}

static const struct field open_fields[] = {
	FLD(P2PKP_IT_VERSION, K_VERSION, F_MAND, struct p2pkp_open, ver_min),
	FLD(P2PKP_IT_BLOCK_SIZE, K_U32, F_MAND, struct p2pkp_open, block_size),
	FLD(P2PKP_IT_FILE_COUNT, K_U32, F_MAND, struct p2pkp_open, file_count),
	FLD(P2PKP_IT_TOTAL_BYTES, K_U64, F_MAND, struct p2pkp_open, total_bytes),
	FLD(P2PKP_IT_RESUME_OF, K_REF1, 0, struct p2pkp_open, resume_of),
	FLD(P2PKP_IT_TEXT, K_TEXT, 0, struct p2pkp_open, text),
	FLD(P2PKP_IT_AUTH, K_U16, 0, struct p2pkp_open, auth),
	FLD(P2PKP_IT_NONCE, K_NONCE, 0, struct p2pkp_open, nonce),
};

static const struct field open_reply_fields[] = {
	FLD(P2PKP_IT_RESULT, K_U16, F_MAND, struct p2pkp_open_reply, result),
	FLD(P2PKP_IT_VERSION, K_VERSION, F_MAND, struct p2pkp_open_reply, ver_min),
	FLD(P2PKP_IT_MAX_PAYLOAD, K_U32, 0, struct p2pkp_open_reply, max_payload),
	FLD(P2PKP_IT_TEXT, K_TEXT, 0, struct p2pkp_open_reply, text),
	FLD(P2PKP_IT_NONCE, K_NONCE, 0, struct p2pkp_open_reply, nonce),
};

static const struct field file_fields[] = {
	FLD(P2PKP_IT_FILE_INDEX, K_U32, F_MAND, struct p2pkp_file_info, index),
	FLD(P2PKP_IT_NAME, K_NAME, F_MAND, struct p2pkp_file_info, name),
	FLD(P2PKP_IT_SIZE, K_U64, F_MAND, struct p2pkp_file_info, size),
	FLD(P2PKP_IT_MODE, K_U32, F_MAND, struct p2pkp_file_info, mode),
	FLD(P2PKP_IT_MTIME, K_U64, F_MAND, struct p2pkp_file_info, mtime_ns),
	FLD(P2PKP_IT_DIGEST, K_DIGEST, F_MAND, struct p2pkp_file_info, digest),
};

static const struct field files_fields[] = {
	{P2PKP_IT_FILE, K_FILE, F_MAND | F_REPEAT, 0},
};

static const struct field file_state_fields[] = {
	FLD(P2PKP_IT_FILE_INDEX, K_U32, F_MAND, struct p2pkp_file_state, index),
	FLD(P2PKP_IT_RESULT, K_U16, F_MAND, struct p2pkp_file_state, result),
	FLD(P2PKP_IT_CUM, K_U64, F_MAND, struct p2pkp_file_state, cum),
	FLD(P2PKP_IT_HELD, K_U64, F_MAND, struct p2pkp_file_state, held),
};

static const struct field files_reply_fields[] = {
	{P2PKP_IT_FILE_STATE, K_FILE_STATE, F_MAND | F_REPEAT, 0},
};

static const struct field data_fields[] = {
	FLD(P2PKP_IT_FILE_INDEX, K_U32, F_MAND, struct p2pkp_data_view, file),
	FLD(P2PKP_IT_OFFSET, K_U64, F_MAND, struct p2pkp_data_view, offset),
	FLD(P2PKP_IT_BLOCK_SUM, K_U64, F_MAND, struct p2pkp_data_view, sum),
	{P2PKP_IT_PAYLOAD, K_PAYLOAD, F_MAND, 0},
};

static const struct field status_fields[] = {
	FLD(P2PKP_IT_FILE_INDEX, K_U32, F_MAND, struct p2pkp_status, file),
	FLD(P2PKP_IT_CUM, K_U64, F_MAND, struct p2pkp_status, cum),
	FLD(P2PKP_IT_FROM, K_U64, 0, struct p2pkp_status, from),
	FLD(P2PKP_IT_SCAN_END, K_U64, F_MAND, struct p2pkp_status, scan_end),
	{P2PKP_IT_MISSING, K_RANGES, 0, 0},
	FLD(P2PKP_IT_RECEIVED, K_U64, 0, struct p2pkp_status, received),
	FLD(P2PKP_IT_RX_TIME, K_U64, 0, struct p2pkp_status, rx_time_ns),
	FLD(P2PKP_IT_RX_DROPS, K_U64, 0, struct p2pkp_status, rx_drops),
};

static const struct field file_req_fields[] = {
	FLD(P2PKP_IT_FILE_INDEX, K_U32, F_MAND, struct p2pkp_file_req, file),
};

/* STATUS request: FROM moves the window past the first P2PKP_MAX_RANGES holes. */
static const struct field status_req_fields[] = {
	FLD(P2PKP_IT_FILE_INDEX, K_U32, F_MAND, struct p2pkp_file_req, file),
	FLD(P2PKP_IT_FROM, K_U64, 0, struct p2pkp_file_req, from),
};

/* VERIFY response: the file it answers for is mandatory. */
static const struct field verify_reply_fields[] = {
	FLD(P2PKP_IT_FILE_INDEX, K_U32, F_MAND, struct p2pkp_result_msg, file),
	FLD(P2PKP_IT_RESULT, K_U16, F_MAND, struct p2pkp_result_msg, result),
	FLD(P2PKP_IT_TEXT, K_TEXT, 0, struct p2pkp_result_msg, text),
};

/* CLOSE and its response: session-wide, no file. */
static const struct field close_fields[] = {
	FLD(P2PKP_IT_RESULT, K_U16, F_MAND, struct p2pkp_result_msg, result),
	FLD(P2PKP_IT_TEXT, K_TEXT, 0, struct p2pkp_result_msg, text),
};

/* ABORT: the whole session, or one file when FILE_INDEX is given. */
static const struct field abort_fields[] = {
	FLD(P2PKP_IT_FILE_INDEX, K_U32, 0, struct p2pkp_result_msg, file),
	FLD(P2PKP_IT_RESULT, K_U16, F_MAND, struct p2pkp_result_msg, result),
	FLD(P2PKP_IT_TEXT, K_TEXT, 0, struct p2pkp_result_msg, text),
};

static const struct field keepalive_fields[] = {
	FLD(P2PKP_IT_TIMESTAMP, K_U64, 0, struct p2pkp_keepalive, timestamp_ns),
};

static const struct field no_fields[1]; /* ABORT response: header only */

static const struct schema file_schema = SCHEMA(file_fields, struct p2pkp_file_info, check_file);
static const struct schema file_state_schema =
	SCHEMA(file_state_fields, struct p2pkp_file_state, check_file_state);

static const struct schema s_open = SCHEMA(open_fields, struct p2pkp_open, check_open);
static const struct schema s_open_reply =
	SCHEMA(open_reply_fields, struct p2pkp_open_reply, check_open_reply);
static const struct schema s_files = SCHEMA(files_fields, struct p2pkp_files, NULL);
static const struct schema s_files_reply =
	SCHEMA(files_reply_fields, struct p2pkp_files_reply, NULL);
static const struct schema s_data = SCHEMA(data_fields, struct p2pkp_data_view, check_data);
static const struct schema s_status = SCHEMA(status_fields, struct p2pkp_status, check_status);
static const struct schema s_file_req =
	SCHEMA(file_req_fields, struct p2pkp_file_req, check_file_req);
static const struct schema s_status_req =
	SCHEMA(status_req_fields, struct p2pkp_file_req, check_file_req);
static const struct schema s_verify_reply = {
	verify_reply_fields, 3, sizeof(struct p2pkp_result_msg),
	offsetof(struct p2pkp_result_msg, file), check_verify_reply};
static const struct schema s_close = {close_fields, 2, sizeof(struct p2pkp_result_msg),
				      offsetof(struct p2pkp_result_msg, file), NULL};
static const struct schema s_abort = {abort_fields, 3, sizeof(struct p2pkp_result_msg),
				      offsetof(struct p2pkp_result_msg, file), check_abort};
static const struct schema s_abort_reply = {no_fields, 0, 0, 0, NULL};
static const struct schema s_keepalive = SCHEMA(keepalive_fields, struct p2pkp_keepalive, NULL);

/* [command][is response]; NULL: no such message. */
static const struct schema *const cmd_schemas[][2] = {
	[P2PKP_CMD_OPEN] = {&s_open, &s_open_reply},
	[P2PKP_CMD_FILES] = {&s_files, &s_files_reply},
	[P2PKP_CMD_DATA] = {&s_data, NULL},
	[P2PKP_CMD_STATUS] = {&s_status_req, &s_status},
	[P2PKP_CMD_REPORT] = {&s_status, NULL},
	[P2PKP_CMD_VERIFY] = {&s_file_req, &s_verify_reply},
	[P2PKP_CMD_CLOSE] = {&s_close, &s_close},
	[P2PKP_CMD_ABORT] = {&s_abort, &s_abort_reply},
	[P2PKP_CMD_KEEPALIVE] = {&s_keepalive, &s_keepalive},
};

int p2pkp_decode(const void *buf, size_t len, struct p2pkp_msg *msg)
{
	const struct schema *s = NULL;
	struct p2pkp_iter it;
	unsigned int cmd;
	int rc;

	rc = p2pkp_msg_check(buf, len, msg);
	if (rc)
		return rc;
	cmd = msg->command & ~P2PKP_CMD_RESPONSE;
	if (cmd < sizeof(cmd_schemas) / sizeof(cmd_schemas[0]))
		s = cmd_schemas[cmd][!!(msg->command & P2PKP_CMD_RESPONSE)];
	if (!s)
		return P2PKP_E_UNKNOWN_CMD;
	p2pkp_iter_msg(&it, buf, msg->length);
	return decode_items(&it, s, &msg->u);
}

void p2pkp_status_range(const struct p2pkp_status *st, __u32 i, struct p2pkp_range *r)
{
	r->start = p2pkp_get_be64(st->ranges + 16 * (size_t)i);
	r->end = p2pkp_get_be64(st->ranges + 16 * (size_t)i + 8);
}

/* --- Semantic helpers ---------------------------------------------------------------- */

int p2pkp_name_check(const __u8 *name, __u32 len)
{
	__u32 i, start = 0;

	if (!len || len > P2PKP_MAX_NAME || name[0] == '/')
		return P2PKP_E_NAME;
	for (i = 0; i <= len; i++) {
		__u32 n;

		if (i < len && name[i] == 0)
			return P2PKP_E_NAME;
		if (i < len && name[i] != '/')
			continue;
		/* Component [start, i): not empty, not "." or "..". */
		n = i - start;
		if (!n || (n == 1 && name[start] == '.') ||
		    (n == 2 && name[start] == '.' && name[start + 1] == '.'))
			return P2PKP_E_NAME;
		start = i + 1;
	}
	return 0;
}

int p2pkp_data_check(const struct p2pkp_data_view *d, __u32 block_size, __u64 file_size)
{
	__u64 want;

	if (!block_size || d->offset % block_size)
		return P2PKP_E_VALUE;
	if (d->offset >= file_size)
		return P2PKP_E_PAYLOAD;
	want = file_size - d->offset < block_size ? file_size - d->offset : block_size;
	return d->len == want ? 0 : P2PKP_E_PAYLOAD;
}

__u32 p2pkp_block_size_for_mtu(__u32 mtu, bool ipv6)
{
	__u32 hdrs = (ipv6 ? 40 : 20) + 8 + P2PKP_DATA_OVERHEAD;
	__u32 bs;

	if (mtu < hdrs + P2PKP_MIN_BLOCK_SIZE)
		return 0;
	bs = (mtu - hdrs) & ~7u;
	return bs > P2PKP_MAX_BLOCK_SIZE ? P2PKP_MAX_BLOCK_SIZE & ~7u : bs;
}

/* --- Typed builders -------------------------------------------------------------------- */

static int put_version(struct p2pkp_enc *e, __u16 min, __u16 max)
{
	__u8 v[4];

	p2pkp_put_be16(v, min);
	p2pkp_put_be16(v + 2, max);
	return p2pkp_enc_put_bytes(e, P2PKP_IT_VERSION, v, sizeof(v));
}

/* Optional TEXT: left out when empty, refused when it would not decode. */
static int put_text(struct p2pkp_enc *e, const struct p2pkp_bytes *t)
{
	if (!t->len)
		return e->err;
	if (t->len > P2PKP_MAX_TEXT || memchr(t->ptr, 0, t->len))
		return enc_fail(e, P2PKP_E_TEXT);
	return p2pkp_enc_put_bytes(e, P2PKP_IT_TEXT, t->ptr, t->len);
}

int p2pkp_build_open(struct p2pkp_enc *e, __u64 linkid, __u32 msgid, const struct p2pkp_open *o)
{
	p2pkp_enc_begin(e, linkid, msgid, P2PKP_CMD_OPEN);
	put_version(e, o->ver_min, o->ver_max);
	p2pkp_enc_put_u32(e, P2PKP_IT_BLOCK_SIZE, o->block_size);
	p2pkp_enc_put_u32(e, P2PKP_IT_FILE_COUNT, o->file_count);
	p2pkp_enc_put_u64(e, P2PKP_IT_TOTAL_BYTES, o->total_bytes);
	if (o->resume_of)
		p2pkp_enc_put_refs(e, P2PKP_IT_RESUME_OF, &o->resume_of, 1);
	put_text(e, &o->text);
	if (o->auth) {
		p2pkp_enc_put_u16(e, P2PKP_IT_AUTH, o->auth);
		p2pkp_enc_put_bytes(e, P2PKP_IT_NONCE, o->nonce, sizeof(o->nonce));
	}
	return p2pkp_enc_finish(e);
}

int p2pkp_build_open_reply(struct p2pkp_enc *e, __u64 linkid, __u32 msgid,
			   const struct p2pkp_open_reply *r)
{
	p2pkp_enc_begin(e, linkid, msgid, P2PKP_CMD_OPEN | P2PKP_CMD_RESPONSE);
	p2pkp_enc_put_u16(e, P2PKP_IT_RESULT, r->result);
	put_version(e, r->ver_min, r->ver_max);
	if (r->max_payload)
		p2pkp_enc_put_u32(e, P2PKP_IT_MAX_PAYLOAD, r->max_payload);
	put_text(e, &r->text);
	if (r->keyed)
		p2pkp_enc_put_bytes(e, P2PKP_IT_NONCE, r->nonce, sizeof(r->nonce));
	return p2pkp_enc_finish(e);
}

static void put_file(struct p2pkp_enc *e, const struct p2pkp_file_info *f)
{
	if (p2pkp_name_check(f->name.ptr, f->name.len)) {
		enc_fail(e, P2PKP_E_NAME);
		return;
	}
	p2pkp_enc_begin_nested(e, P2PKP_IT_FILE);
	p2pkp_enc_put_u32(e, P2PKP_IT_FILE_INDEX, f->index);
	p2pkp_enc_put_bytes(e, P2PKP_IT_NAME, f->name.ptr, f->name.len);
	p2pkp_enc_put_u64(e, P2PKP_IT_SIZE, f->size);
	p2pkp_enc_put_u32(e, P2PKP_IT_MODE, f->mode);
	p2pkp_enc_put_u64(e, P2PKP_IT_MTIME, (__u64)f->mtime_ns);
	p2pkp_enc_put_bytes(e, P2PKP_IT_DIGEST, f->digest, P2PKP_DIGEST_LEN);
	p2pkp_enc_end_nested(e);
}

int p2pkp_build_files(struct p2pkp_enc *e, __u64 linkid, __u32 msgid, const struct p2pkp_files *f)
{
	p2pkp_enc_begin(e, linkid, msgid, P2PKP_CMD_FILES);
	if (!f->count || f->count > P2PKP_MAX_FILES_MSG)
		enc_fail(e, P2PKP_E_ARG);
	for (__u32 i = 0; !e->err && i < f->count; i++)
		put_file(e, &f->file[i]);
	return p2pkp_enc_finish(e);
}

int p2pkp_build_files_reply(struct p2pkp_enc *e, __u64 linkid, __u32 msgid,
			    const struct p2pkp_files_reply *r)
{
	p2pkp_enc_begin(e, linkid, msgid, P2PKP_CMD_FILES | P2PKP_CMD_RESPONSE);
	if (!r->count || r->count > P2PKP_MAX_FILES_MSG)
		enc_fail(e, P2PKP_E_ARG);
	for (__u32 i = 0; !e->err && i < r->count; i++) {
		const struct p2pkp_file_state *s = &r->state[i];

		p2pkp_enc_begin_nested(e, P2PKP_IT_FILE_STATE);
		p2pkp_enc_put_u32(e, P2PKP_IT_FILE_INDEX, s->index);
		p2pkp_enc_put_u16(e, P2PKP_IT_RESULT, s->result);
		p2pkp_enc_put_u64(e, P2PKP_IT_CUM, s->cum);
		p2pkp_enc_put_u64(e, P2PKP_IT_HELD, s->held);
		p2pkp_enc_end_nested(e);
	}
	return p2pkp_enc_finish(e);
}

void *p2pkp_build_data(struct p2pkp_enc *e, __u64 linkid, __u32 msgid, __u32 file, __u64 offset,
		       __u32 len)
{
	p2pkp_enc_begin(e, linkid, msgid, P2PKP_CMD_DATA);
	p2pkp_enc_put_u32(e, P2PKP_IT_FILE_INDEX, file);
	p2pkp_enc_put_u64(e, P2PKP_IT_OFFSET, offset);
	p2pkp_enc_put_u64(e, P2PKP_IT_BLOCK_SUM, 0);
	if (!len) {
		enc_fail(e, P2PKP_E_PAYLOAD);
		return NULL;
	}
	return p2pkp_enc_reserve_payload(e, len);
}

int p2pkp_build_status(struct p2pkp_enc *e, __u64 linkid, __u32 msgid, __u16 command,
		       const struct p2pkp_status *st, const struct p2pkp_range *ranges)
{
	__u8 *p;

	p2pkp_enc_begin(e, linkid, msgid, command);
	if (command != P2PKP_CMD_REPORT && command != (P2PKP_CMD_STATUS | P2PKP_CMD_RESPONSE))
		enc_fail(e, P2PKP_E_ARG);
	if (st->nranges > P2PKP_MAX_RANGES)
		enc_fail(e, P2PKP_E_TOO_MANY);
	p2pkp_enc_put_u32(e, P2PKP_IT_FILE_INDEX, st->file);
	p2pkp_enc_put_u64(e, P2PKP_IT_CUM, st->cum);
	if (st->from > st->cum)
		p2pkp_enc_put_u64(e, P2PKP_IT_FROM, st->from);
	p2pkp_enc_put_u64(e, P2PKP_IT_SCAN_END, st->scan_end);
	if (st->nranges && !e->err) {
		p = enc_plain(e, P2PKP_IT_MISSING, 16 * st->nranges);
		for (__u32 i = 0; p && i < st->nranges; i++) {
			p2pkp_put_be64(p + 16 * i, ranges[i].start);
			p2pkp_put_be64(p + 16 * i + 8, ranges[i].end);
		}
	}
	if (st->rx_time_ns) {
		p2pkp_enc_put_u64(e, P2PKP_IT_RECEIVED, st->received);
		p2pkp_enc_put_u64(e, P2PKP_IT_RX_TIME, st->rx_time_ns);
		p2pkp_enc_put_u64(e, P2PKP_IT_RX_DROPS, st->rx_drops);
	}
	return p2pkp_enc_finish(e);
}

int p2pkp_build_file_req(struct p2pkp_enc *e, __u64 linkid, __u32 msgid, __u16 command, __u32 file)
{
	p2pkp_enc_begin(e, linkid, msgid, command);
	if (command != P2PKP_CMD_STATUS && command != P2PKP_CMD_VERIFY)
		enc_fail(e, P2PKP_E_ARG);
	p2pkp_enc_put_u32(e, P2PKP_IT_FILE_INDEX, file);
	return p2pkp_enc_finish(e);
}

int p2pkp_build_status_req(struct p2pkp_enc *e, __u64 linkid, __u32 msgid, __u32 file, __u64 from)
{
	p2pkp_enc_begin(e, linkid, msgid, P2PKP_CMD_STATUS);
	p2pkp_enc_put_u32(e, P2PKP_IT_FILE_INDEX, file);
	if (from)
		p2pkp_enc_put_u64(e, P2PKP_IT_FROM, from);
	return p2pkp_enc_finish(e);
}

int p2pkp_build_result(struct p2pkp_enc *e, __u64 linkid, __u32 msgid, __u16 command,
		       const struct p2pkp_result_msg *r)
{
	bool with_file =
		command == (P2PKP_CMD_VERIFY | P2PKP_CMD_RESPONSE) || command == P2PKP_CMD_ABORT;

	p2pkp_enc_begin(e, linkid, msgid, command);
	if (!with_file && (command & ~P2PKP_CMD_RESPONSE) != P2PKP_CMD_CLOSE)
		enc_fail(e, P2PKP_E_ARG);
	if (!with_file && r->file != P2PKP_FILE_NONE)
		enc_fail(e, P2PKP_E_ARG);
	if (command == (P2PKP_CMD_VERIFY | P2PKP_CMD_RESPONSE) && r->file == P2PKP_FILE_NONE)
		enc_fail(e, P2PKP_E_ARG);
	if (r->file != P2PKP_FILE_NONE)
		p2pkp_enc_put_u32(e, P2PKP_IT_FILE_INDEX, r->file);
	p2pkp_enc_put_u16(e, P2PKP_IT_RESULT, r->result);
	put_text(e, &r->text);
	return p2pkp_enc_finish(e);
}

int p2pkp_build_empty(struct p2pkp_enc *e, __u64 linkid, __u32 msgid, __u16 command)
{
	p2pkp_enc_begin(e, linkid, msgid, command);
	return p2pkp_enc_finish(e);
}

int p2pkp_build_keepalive(struct p2pkp_enc *e, __u64 linkid, __u32 msgid, __u16 command,
			  __u64 timestamp_ns)
{
	p2pkp_enc_begin(e, linkid, msgid, command);
	if ((command & ~P2PKP_CMD_RESPONSE) != P2PKP_CMD_KEEPALIVE)
		enc_fail(e, P2PKP_E_ARG);
	if (timestamp_ns)
		p2pkp_enc_put_u64(e, P2PKP_IT_TIMESTAMP, timestamp_ns);
	return p2pkp_enc_finish(e);
}

int p2pkp_build_msg(struct p2pkp_enc *e, const struct p2pkp_msg *m)
{
	struct p2pkp_range ranges[P2PKP_MAX_RANGES];
	const struct p2pkp_status *st = &m->u.status;
	__u8 *p;

	switch (m->command) {
	case P2PKP_CMD_OPEN:
		return p2pkp_build_open(e, m->linkid, m->msgid, &m->u.open);
	case P2PKP_CMD_OPEN | P2PKP_CMD_RESPONSE:
		return p2pkp_build_open_reply(e, m->linkid, m->msgid, &m->u.open_reply);
	case P2PKP_CMD_FILES:
		return p2pkp_build_files(e, m->linkid, m->msgid, &m->u.files);
	case P2PKP_CMD_FILES | P2PKP_CMD_RESPONSE:
		return p2pkp_build_files_reply(e, m->linkid, m->msgid, &m->u.files_reply);
	case P2PKP_CMD_DATA:
		p = p2pkp_build_data(e, m->linkid, m->msgid, m->u.data.file, m->u.data.offset,
				     m->u.data.len);
		if (p) {
			memcpy(p, m->u.data.payload, m->u.data.len);
			p2pkp_data_set_sum(e->buf, m->u.data.sum);
		}
		return p2pkp_enc_finish(e);
	case P2PKP_CMD_REPORT:
	case P2PKP_CMD_STATUS | P2PKP_CMD_RESPONSE:
		if (st->nranges > P2PKP_MAX_RANGES)
			return enc_fail(e, P2PKP_E_TOO_MANY);
		for (__u32 i = 0; i < st->nranges; i++)
			p2pkp_status_range(st, i, &ranges[i]);
		return p2pkp_build_status(e, m->linkid, m->msgid, m->command, st, ranges);
	case P2PKP_CMD_STATUS:
		return p2pkp_build_status_req(e, m->linkid, m->msgid, m->u.file_req.file,
					      m->u.file_req.from);
	case P2PKP_CMD_VERIFY:
		return p2pkp_build_file_req(e, m->linkid, m->msgid, m->command, m->u.file_req.file);
	case P2PKP_CMD_VERIFY | P2PKP_CMD_RESPONSE:
	case P2PKP_CMD_CLOSE:
	case P2PKP_CMD_CLOSE | P2PKP_CMD_RESPONSE:
	case P2PKP_CMD_ABORT:
		return p2pkp_build_result(e, m->linkid, m->msgid, m->command, &m->u.result);
	case P2PKP_CMD_ABORT | P2PKP_CMD_RESPONSE:
		return p2pkp_build_empty(e, m->linkid, m->msgid, m->command);
	case P2PKP_CMD_KEEPALIVE:
	case P2PKP_CMD_KEEPALIVE | P2PKP_CMD_RESPONSE:
		return p2pkp_build_keepalive(e, m->linkid, m->msgid, m->command,
					     m->u.keepalive.timestamp_ns);
	}
	return enc_fail(e, P2PKP_E_ARG);
}
