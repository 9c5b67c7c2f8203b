/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * P2PKP version 2 wire format: constants, byte-order helpers, a
 * non-allocating encoder that writes straight into a caller's buffer (a UMEM
 * frame), and a strict decoder that returns zero-copy views into the datagram.
 * docs/protocol.md is the specification; this header follows it.
 *
 * Every function that touches wire bytes converts explicitly: wire fields are
 * big-endian (network byte order), every value in a struct below is host
 * order unless its type says __be.
 */
#ifndef P2PKP_WIRE_H
#define P2PKP_WIRE_H

#include <endian.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>
#include <linux/types.h>

#include "blocksum.h"
#include "p2pkp_shared.h"

/* --- Limits and defaults (docs/protocol.md, "Limits") ----------------------- */

#define P2PKP_VERSION	  2 /* the only version this code speaks */
#define P2PKP_VERSION_MIN 2
#define P2PKP_VERSION_MAX 2

#define P2PKP_ALIGN	    8	  /* messages and items start 8-byte aligned */
#define P2PKP_MSG_MAX	    65535 /* largest logical message length */
#define P2PKP_ITEM_HDR_LEN  4	  /* itemid + itemlen */
#define P2PKP_ITEM_PAD_HDR  8	  /* item header + 4 zero bytes: nested, ref, payload */
#define P2PKP_MAX_DEPTH	    4	  /* item nesting levels; v1 uses 2 */
#define P2PKP_MAX_RANGES    64	  /* missing ranges in one status report */
#define P2PKP_MAX_FILES_MSG 16	  /* FILE / FILE_STATE entries in one message */
#define P2PKP_MAX_NAME	    1024  /* bytes in a relative file name */
#define P2PKP_MAX_TEXT	    256	  /* bytes in a human-readable TEXT item */
#define P2PKP_CTRL_MAX	    1200  /* control messages fit any IPv6 path (1280) */

/* DATA: header 16 + FILE_INDEX 8 + OFFSET 16 + BLOCK_SUM 16 + PAYLOAD header 8. */
#define P2PKP_DATA_OVERHEAD	 64
#define P2PKP_DATA_SUM_OFF	 44   /* where p2pkp_build_data() puts BLOCK_SUM's value */
#define P2PKP_DEFAULT_BLOCK_SIZE 1384 /* 1448-byte DATA fits IPv4 and IPv6 at MTU 1500 */
#define P2PKP_MIN_BLOCK_SIZE	 256
#define P2PKP_MAX_BLOCK_SIZE	 (P2PKP_MSG_MAX - P2PKP_DATA_OVERHEAD)

/* File types in MODE, as in st_mode: a directory has SIZE 0 and an all-zero DIGEST. */
#define P2PKP_MODE_REG 0100000u
#define P2PKP_MODE_DIR 0040000u

/* File index meaning "no file" in optional FILE_INDEX fields. */
#define P2PKP_FILE_NONE 0xffffffffu

/* --- Timers, milliseconds (docs/protocol.md, "Timers") ---------------------- */

#define P2PKP_RTO_INIT_MS	200    /* first retransmission of a request */
#define P2PKP_RTO_MAX_MS	2000   /* backoff doubles up to this */
#define P2PKP_KEEPALIVE_MS	1000   /* send KEEPALIVE after this much silence */
#define P2PKP_REPORT_MS		50     /* receiver REPORT period while data flows */
#define P2PKP_GIVEUP_MS		30000  /* peer silent this long: link broken */
#define P2PKP_LINGER_MS		60000  /* receiver keeps a silent session in memory */
#define P2PKP_VERIFY_TIMEOUT_MS 600000 /* VERIFY may answer IN_PROGRESS this long */

/* --- Commands --------------------------------------------------------------- */

#define P2PKP_CMD_RESPONSE 0x8000u /* bit 15 of command */

enum p2pkp_command {
	P2PKP_CMD_OPEN = 0x0001,      /* S->R request: session parameters */
	P2PKP_CMD_FILES = 0x0002,     /* S->R request: announce files */
	P2PKP_CMD_DATA = 0x0003,      /* S->R, no response: one block */
	P2PKP_CMD_STATUS = 0x0004,    /* S->R request: poll a file's status */
	P2PKP_CMD_REPORT = 0x0005,    /* R->S, no response: unsolicited status */
	P2PKP_CMD_VERIFY = 0x0006,    /* S->R request: file fully sent, verify it */
	P2PKP_CMD_CLOSE = 0x0007,     /* S->R request: end of session */
	P2PKP_CMD_ABORT = 0x0008,     /* either way, request: give up (session or file) */
	P2PKP_CMD_KEEPALIVE = 0x0009, /* either way, request: liveness, RTT */
};

/* --- Items -------------------------------------------------------------------- */

#define P2PKP_ITEM_NESTED   0x8000u /* bit 15: data is a list of items */
#define P2PKP_ITEM_REF	    0x4000u /* bit 14: data holds linkid references */
#define P2PKP_ITEM_CRITICAL 0x2000u /* bit 13: receiver must understand it */
#define P2PKP_ITEM_TYPE	    0x1fffu /* bits 0-12: item type */

/* Full itemid values as they appear on the wire, flags included. */
enum p2pkp_item {
	P2PKP_IT_VERSION = 0x0001,     /* __be16 min, __be16 max */
	P2PKP_IT_RESULT = 0x0002,      /* __be16 enum p2pkp_result */
	P2PKP_IT_TEXT = 0x0003,	       /* UTF-8, no NUL, <= P2PKP_MAX_TEXT */
	P2PKP_IT_BLOCK_SIZE = 0x0004,  /* __be32 bytes */
	P2PKP_IT_FILE_COUNT = 0x0005,  /* __be32 */
	P2PKP_IT_TOTAL_BYTES = 0x0006, /* __be64 */
	P2PKP_IT_MAX_PAYLOAD = 0x0007, /* __be32 largest UDP payload accepted */
	P2PKP_IT_RESUME_OF = 0x4008,   /* REF: 4 zero bytes, __be64 earlier linkid */
	P2PKP_IT_FILE_INDEX = 0x0009,  /* __be32 */
	P2PKP_IT_NAME = 0x000a,	       /* relative path bytes */
	P2PKP_IT_SIZE = 0x000b,	       /* __be64 bytes */
	P2PKP_IT_MODE = 0x000c,	       /* __be32 permission bits (07777) */
	P2PKP_IT_MTIME = 0x000d,       /* __be64 signed ns since the epoch */
	P2PKP_IT_FILE = 0x800f,	       /* NESTED: one announced file */
	P2PKP_IT_FILE_STATE = 0x8010,  /* NESTED: receiver's answer for one file */
	P2PKP_IT_OFFSET = 0x0011,      /* __be64 byte offset in the file */
	P2PKP_IT_PAYLOAD = 0x0012,     /* 4 zero bytes, then file data */
	P2PKP_IT_CUM = 0x0013,	       /* __be64: every block below is held */
	P2PKP_IT_SCAN_END = 0x0014,    /* __be64: report covers [CUM, SCAN_END) */
	P2PKP_IT_MISSING = 0x0015,     /* n x (__be64 start, __be64 end) */
	P2PKP_IT_HELD = 0x0016,	       /* __be64 blocks held in total */
	P2PKP_IT_TIMESTAMP = 0x0017,   /* __be64 sender's clock, ns (echoed) */
	P2PKP_IT_FROM = 0x0018,	       /* __be64: status window starts here, not at CUM */
	P2PKP_IT_DIGEST = 0x0019,      /* 16 bytes: XXH3-128 of the file's block sums */
	P2PKP_IT_BLOCK_SUM = 0x001a,   /* __be64: CRC-64/XZ of a DATA block's offset and payload */
	P2PKP_IT_RECEIVED = 0x001b,    /* __be64: DATA payload bytes accepted in the session */
	P2PKP_IT_RX_TIME = 0x001c,     /* __be64: the receiver's clock, ns, when it reported */
	P2PKP_IT_RX_DROPS = 0x001d,    /* __be64: datagrams its kernel dropped for it so far */
	P2PKP_IT_NONCE = 0x201e,       /* CRITICAL: 32 bytes, a keyed session's handshake nonce */
	P2PKP_IT_AUTH = 0x201f,	       /* CRITICAL: __be16 enum p2pkp_auth_mode of the session */
};

/* --- Result codes carried in RESULT items --------------------------------------- */

enum p2pkp_result {
	P2PKP_R_OK = 0,
	P2PKP_R_REFUSED = 1,	   /* policy: receiver does not want it */
	P2PKP_R_VERSION = 2,	   /* no common protocol version */
	P2PKP_R_MTU = 3,	   /* DATA of this block size would not fit */
	P2PKP_R_NO_SPACE = 4,	   /* not enough room on the receiver */
	P2PKP_R_EXISTS = 5,	   /* a different file exists there */
	P2PKP_R_BAD_NAME = 6,	   /* unsafe or unusable name */
	P2PKP_R_IO = 7,		   /* local I/O error */
	P2PKP_R_MISMATCH = 8,	   /* all blocks held, digest differs: refetching */
	P2PKP_R_INCOMPLETE = 9,	   /* blocks still missing: poll STATUS */
	P2PKP_R_IN_PROGRESS = 10,  /* verification running: ask again */
	P2PKP_R_UNKNOWN_LINK = 11, /* no session with this linkid: re-OPEN */
	P2PKP_R_TIMEOUT = 12,	   /* peer gave up waiting */
	P2PKP_R_CANCELLED = 13,	   /* operator interrupted */
	P2PKP_R_PROTOCOL = 14,	   /* peer broke the protocol */
	P2PKP_R_UNSUPPORTED = 15,  /* unknown command or critical item */
	P2PKP_R_HAVE = 16,	   /* identical file already complete: skip it */
	P2PKP_R_BUSY = 17,	   /* receiver at capacity: retry later */
	P2PKP_R_LOCKED = 18,	   /* another session is writing this file */
	P2PKP_R_AUTH = 19,	   /* no key, another key, or the other protection mode */
};

/* --- Codec errors: negative, one per distinct failure ----------------------------- */

enum p2pkp_err {
	P2PKP_E_OK = 0,
	P2PKP_E_SHORT = -1,		/* datagram shorter than the header */
	P2PKP_E_ALIGN = -2,		/* message not 8-byte aligned in memory */
	P2PKP_E_MSG_LEN = -3,		/* header length below 16 */
	P2PKP_E_TRUNCATED = -4,		/* header length past the datagram */
	P2PKP_E_TRAILING = -5,		/* bytes past the padded message */
	P2PKP_E_PADDING = -6,		/* a padding or reserved byte is not zero */
	P2PKP_E_LINKID = -7,		/* linkid 0 */
	P2PKP_E_ITEM_HDR = -8,		/* partial item header at end of container */
	P2PKP_E_ITEM_LEN = -9,		/* itemlen smaller than its header */
	P2PKP_E_ITEM_OVERRUN = -10,	/* item extends past its container */
	P2PKP_E_SLACK = -11,		/* container longer than its last item */
	P2PKP_E_DEPTH = -12,		/* nesting deeper than P2PKP_MAX_DEPTH */
	P2PKP_E_REF_LEN = -13,		/* referenced data not whole linkids */
	P2PKP_E_UNKNOWN_CMD = -14,	/* command not defined (or bad direction) */
	P2PKP_E_UNKNOWN_CRITICAL = -15, /* unknown item with the critical bit */
	P2PKP_E_ITEM_FLAGS = -16,	/* known type with wrong flag bits */
	P2PKP_E_UNEXPECTED = -17,	/* known item not allowed here */
	P2PKP_E_DUPLICATE = -18,	/* single-valued item given twice */
	P2PKP_E_MISSING = -19,		/* mandatory item absent */
	P2PKP_E_ITEM_SIZE = -20,	/* item data has the wrong length */
	P2PKP_E_VALUE = -21,		/* value out of its allowed range */
	P2PKP_E_NAME = -22,		/* file name empty, absolute, or with .. / NUL */
	P2PKP_E_TEXT = -23,		/* text too long or with NUL */
	P2PKP_E_TOO_MANY = -24,		/* more entries or ranges than allowed */
	P2PKP_E_RANGES = -25,		/* ranges empty, unsorted, or outside window */
	P2PKP_E_PAYLOAD = -26,		/* DATA payload empty, too big, or overflows */
	P2PKP_E_NOSPACE = -27,		/* encoder: buffer too small */
	P2PKP_E_ENC_STATE = -28,	/* encoder: call out of order */
	P2PKP_E_ARG = -29,		/* encoder: invalid argument */
};
#define P2PKP_E_COUNT 30 /* number of codes including OK */

/* Stable short name of a codec error ("E_TRUNCATED"), or "E_?" if unknown. */
const char *p2pkp_strerror(int err);
/* Name of a RESULT code ("OK", "MISMATCH"), or "?" if unknown. */
const char *p2pkp_result_name(unsigned int result);
/* Name of a command, response bit ignored ("DATA"), or "?" if unknown. */
const char *p2pkp_cmd_name(unsigned int command);
/* Name of an item type, flag bits ignored ("PAYLOAD"), or "?" if unknown. */
const char *p2pkp_item_name(unsigned int itemid);

/* --- Byte order: explicit big-endian loads and stores, any alignment --------- */

static inline void p2pkp_put_be16(void *p, __u16 v)
{
	__be16 x = (__be16)htobe16(v);

	memcpy(p, &x, sizeof(x));
}

static inline void p2pkp_put_be32(void *p, __u32 v)
{
	__be32 x = (__be32)htobe32(v);

	memcpy(p, &x, sizeof(x));
}

static inline void p2pkp_put_be64(void *p, __u64 v)
{
	__be64 x = (__be64)htobe64(v);

	memcpy(p, &x, sizeof(x));
}

static inline __u16 p2pkp_get_be16(const void *p)
{
	__be16 x;

	memcpy(&x, p, sizeof(x));
	return be16toh((__u16)x);
}

static inline __u32 p2pkp_get_be32(const void *p)
{
	__be32 x;

	memcpy(&x, p, sizeof(x));
	return be32toh((__u32)x);
}

static inline __u64 p2pkp_get_be64(const void *p)
{
	__be64 x;

	memcpy(&x, p, sizeof(x));
	return be64toh((__u64)x);
}

/* Next 8-byte boundary at or after off: where the next item/message starts. */
static inline __u32 p2pkp_align8(__u32 off)
{
	return (off + 7u) & ~7u;
}

/* --- Encoder ------------------------------------------------------------------- */

/*
 * Writes one message into buf[0, cap). buf must be 8-byte aligned (a UMEM
 * frame at the transport's aligned message offset). Errors are sticky: after
 * the first failure every call is a no-op and p2pkp_enc_finish() returns it,
 * so builders check once at the end.
 */
struct p2pkp_enc {
	__u8 *buf;
	__u32 cap;
	__u32 off;		     /* logical end of what is written */
	__u32 nest[P2PKP_MAX_DEPTH]; /* start of each open nested item */
	__u32 payload;		     /* start of the last reserved payload item, 0 if none */
	__u8 depth;		     /* open nested items */
	bool begun;
	int err; /* first error, or 0 */
};

void p2pkp_enc_init(struct p2pkp_enc *e, void *buf, __u32 cap);
/* Write the header; length is filled in by p2pkp_enc_finish(). */
int p2pkp_enc_begin(struct p2pkp_enc *e, __u64 linkid, __u32 msgid, __u16 command);
/* Scalar items: 4-byte header then the big-endian value. */
int p2pkp_enc_put_u16(struct p2pkp_enc *e, __u16 itemid, __u16 v);
int p2pkp_enc_put_u32(struct p2pkp_enc *e, __u16 itemid, __u32 v);
int p2pkp_enc_put_u64(struct p2pkp_enc *e, __u16 itemid, __u64 v);
/* Opaque bytes (names, text, raw arrays) copied after the item header. */
int p2pkp_enc_put_bytes(struct p2pkp_enc *e, __u16 itemid, const void *data, __u32 len);
int p2pkp_enc_put_string(struct p2pkp_enc *e, __u16 itemid, const char *s);
/* REF item (bit 14): 4 zero bytes, then the linkids as __be64. */
int p2pkp_enc_put_refs(struct p2pkp_enc *e, __u16 itemid, const __u64 *linkids, __u32 n);
/* Nested item (bit 15): header, 4 zero bytes, children until end_nested. */
int p2pkp_enc_begin_nested(struct p2pkp_enc *e, __u16 itemid);
int p2pkp_enc_end_nested(struct p2pkp_enc *e);
/*
 * Reserve a PAYLOAD item of len bytes and return where its data goes, at an
 * 8-byte aligned offset from the message start; the caller reads the file
 * straight into it. NULL on error (see e->err). Nothing may follow it.
 */
void *p2pkp_enc_reserve_payload(struct p2pkp_enc *e, __u32 len);
/* Shrink the payload just reserved to len bytes (a short read). */
int p2pkp_enc_set_payload_len(struct p2pkp_enc *e, __u32 len);
/* Close the message: write its length. Returns bytes to send, or an error. */
int p2pkp_enc_finish(struct p2pkp_enc *e);

/* --- Decoded views (host order; pointers point into the datagram) ------------- */

struct p2pkp_bytes {
	const __u8 *ptr; /* NULL and 0 when the item is absent */
	__u32 len;
};

/* A half-open range [start, end) of block numbers. */
struct p2pkp_range {
	__u64 start;
	__u64 end;
};

struct p2pkp_open {
	__u16 ver_min, ver_max;
	__u32 block_size;
	__u32 file_count;
	__u64 total_bytes;
	__u64 resume_of;	 /* earlier linkid being resumed, 0 if none */
	struct p2pkp_bytes text; /* optional: sender description */
	__u16 auth;		 /* keyed: P2PKP_AUTH_MAC or _ENCRYPT (auth.h); 0: no key */
	__u8 nonce[32];		 /* keyed: the sender's handshake nonce */
};

struct p2pkp_open_reply {
	__u16 result;		 /* enum p2pkp_result */
	__u16 ver_min, ver_max;	 /* chosen version (min == max) or, refused, receiver's range */
	__u32 max_payload;	 /* largest UDP payload the receiver takes, 0 if not said */
	struct p2pkp_bytes text; /* optional */
	bool keyed;		 /* NONCE present: the receiver's handshake nonce */
	__u8 nonce[32];
};

struct p2pkp_file_info {
	__u32 index;
	__u32 mode;
	__u64 size;
	__s64 mtime_ns;
	__u8 digest[P2PKP_DIGEST_LEN]; /* common/blocksum.h */
	struct p2pkp_bytes name;       /* relative, validated by p2pkp_name_check() */
};

struct p2pkp_files {
	__u32 count;
	struct p2pkp_file_info file[P2PKP_MAX_FILES_MSG];
};

struct p2pkp_file_state {
	__u32 index;
	__u16 result; /* OK = send it, HAVE = skip it, else refused */
	__u64 cum;    /* blocks [0, cum) are held */
	__u64 held;   /* blocks held in total; > cum: poll STATUS for the gaps */
};

struct p2pkp_files_reply {
	__u32 count;
	struct p2pkp_file_state state[P2PKP_MAX_FILES_MSG];
};

/* DATA: zero-copy, payload points into the frame, 8-byte aligned from message start. */
struct p2pkp_data_view {
	__u32 file;
	__u64 offset;
	__u64 sum; /* BLOCK_SUM as sent: check with p2pkp_block_sum() before use */
	const __u8 *payload;
	__u32 len;
};

/*
 * REPORT and STATUS response. The window is [from, scan_end): blocks in it not
 * in a range are held. Fewer than P2PKP_MAX_RANGES ranges: no block at or
 * above scan_end is held.
 */
struct p2pkp_status {
	__u32 file;
	__u64 cum;	    /* every block below is held */
	__u64 scan_end;	    /* end of the window */
	__u32 nranges;	    /* missing ranges, sorted, disjoint, within the window */
	const __u8 *ranges; /* wire form; read with p2pkp_status_range() */
	__u64 from;	    /* start of the window; decoded: cum if absent; sent only if > cum */
	/* Delivery, for the sender's rate: all three sent when rx_time_ns != 0. */
	__u64 received;	  /* DATA payload bytes accepted in this session, all files */
	__u64 rx_time_ns; /* the receiver's monotonic clock when it reported */
	__u64 rx_drops;	  /* datagrams the receiver's kernel dropped, since it started */
};

/* STATUS and VERIFY requests. */
struct p2pkp_file_req {
	__u32 file;
	__u64 from; /* STATUS only: report from this block on; 0 = from CUM */
};

/* VERIFY response, CLOSE and its response, ABORT. */
struct p2pkp_result_msg {
	__u16 result;
	__u32 file; /* P2PKP_FILE_NONE when absent */
	struct p2pkp_bytes text;
};

/* KEEPALIVE and its response. */
struct p2pkp_keepalive {
	__u64 timestamp_ns; /* 0 when absent */
};

struct p2pkp_msg {
	__u64 linkid;
	__u32 msgid;
	__u16 command; /* including P2PKP_CMD_RESPONSE */
	__u16 length;  /* logical length */
	union {
		struct p2pkp_open open;
		struct p2pkp_open_reply open_reply;
		struct p2pkp_files files;
		struct p2pkp_files_reply files_reply;
		struct p2pkp_data_view data;
		struct p2pkp_status status;
		struct p2pkp_file_req file_req;
		struct p2pkp_result_msg result;
		struct p2pkp_keepalive keepalive;
	} u;
};

/* --- Decoder ------------------------------------------------------------------- */

/*
 * Raw item, as the iterator yields it. data/len exclude the 4-byte header
 * and, for nested, referenced-data and PAYLOAD items, the 4 zero bytes after it.
 */
struct p2pkp_item_view {
	__u16 itemid;
	__u16 itemlen; /* as on the wire, header included */
	const __u8 *data;
	__u32 len;
	__u32 off; /* of the item, from the message start */
};

/* Walks the items of one container; safe on unvalidated input. */
struct p2pkp_iter {
	const __u8 *msg; /* message start: alignment is relative to it */
	__u32 off;	 /* next item */
	__u32 end;	 /* logical end of the container */
};

/*
 * Check the header and the whole item tree of the datagram buf[0, len):
 * lengths, padding, alignment, depth. On success fills the header fields of
 * msg (the union is left alone) and returns 0; else a P2PKP_E_* code.
 */
int p2pkp_msg_check(const void *buf, size_t len, struct p2pkp_msg *msg);
/* Iterator over the top-level items of a message whose length is msg_len. */
void p2pkp_iter_msg(struct p2pkp_iter *it, const void *buf, __u32 msg_len);
/* Iterator over the children of a nested item. */
void p2pkp_iter_nested(struct p2pkp_iter *it, const void *buf,
		       const struct p2pkp_item_view *parent);
/* 1 and *item filled, 0 at the end, or a P2PKP_E_* code. */
int p2pkp_iter_next(struct p2pkp_iter *it, struct p2pkp_item_view *item);

/*
 * Full decode: p2pkp_msg_check(), then the command's items into msg->u with
 * every mandatory item, size and value checked. Never allocates, never reads
 * outside buf[0, len), and zeroes only the union member it fills.
 */
int p2pkp_decode(const void *buf, size_t len, struct p2pkp_msg *msg);

/* Range i (< st->nranges) of a decoded status report, host order. */
void p2pkp_status_range(const struct p2pkp_status *st, __u32 i, struct p2pkp_range *r);

/* 0 if name is a safe relative path (docs/protocol.md, "Names"), else P2PKP_E_NAME. */
int p2pkp_name_check(const __u8 *name, __u32 len);

/*
 * Session-level check of a decoded DATA against the announced file: offset on
 * a block boundary, payload a full block except the last, inside the file.
 */
int p2pkp_data_check(const struct p2pkp_data_view *d, __u32 block_size, __u64 file_size);

/* Blocks in a file of size bytes: ceil(size / block_size). */
static inline __u64 p2pkp_blocks(__u64 size, __u32 block_size)
{
	return size / block_size + (size % block_size != 0);
}

/* Largest block size whose DATA fits a link MTU (IPv4 or IPv6 + UDP). */
__u32 p2pkp_block_size_for_mtu(__u32 mtu, bool ipv6);

/* --- Typed builders: begin, items, finish. Return bytes or P2PKP_E_* --------- */

int p2pkp_build_open(struct p2pkp_enc *e, __u64 linkid, __u32 msgid, const struct p2pkp_open *o);
int p2pkp_build_open_reply(struct p2pkp_enc *e, __u64 linkid, __u32 msgid,
			   const struct p2pkp_open_reply *r);
int p2pkp_build_files(struct p2pkp_enc *e, __u64 linkid, __u32 msgid, const struct p2pkp_files *f);
int p2pkp_build_files_reply(struct p2pkp_enc *e, __u64 linkid, __u32 msgid,
			    const struct p2pkp_files_reply *r);
/*
 * DATA header and items, BLOCK_SUM 0; returns where len payload bytes go
 * (8-byte aligned from the message start) or NULL. Fill it, set the sum with
 * p2pkp_data_set_sum(), then p2pkp_enc_finish().
 */
void *p2pkp_build_data(struct p2pkp_enc *e, __u64 linkid, __u32 msgid, __u32 file, __u64 offset,
		       __u32 len);
/* Fill in BLOCK_SUM of a DATA message built by p2pkp_build_data(), once its payload is in. */
static inline void p2pkp_data_set_sum(void *msg, __u64 sum)
{
	p2pkp_put_be64((__u8 *)msg + P2PKP_DATA_SUM_OFF, sum);
}

/* REPORT (command P2PKP_CMD_REPORT) or STATUS response (P2PKP_CMD_STATUS | RESPONSE). */
int p2pkp_build_status(struct p2pkp_enc *e, __u64 linkid, __u32 msgid, __u16 command,
		       const struct p2pkp_status *st, const struct p2pkp_range *ranges);
/* STATUS or VERIFY request. */
int p2pkp_build_file_req(struct p2pkp_enc *e, __u64 linkid, __u32 msgid, __u16 command, __u32 file);
/* STATUS request asking for the window from block `from` on (0: from CUM). */
int p2pkp_build_status_req(struct p2pkp_enc *e, __u64 linkid, __u32 msgid, __u32 file, __u64 from);
/* VERIFY response, CLOSE, CLOSE response or ABORT; file may be P2PKP_FILE_NONE. */
int p2pkp_build_result(struct p2pkp_enc *e, __u64 linkid, __u32 msgid, __u16 command,
		       const struct p2pkp_result_msg *r);
/* ABORT response: header only. */
int p2pkp_build_empty(struct p2pkp_enc *e, __u64 linkid, __u32 msgid, __u16 command);
/* KEEPALIVE or its response; timestamp 0 leaves the item out. */
int p2pkp_build_keepalive(struct p2pkp_enc *e, __u64 linkid, __u32 msgid, __u16 command,
			  __u64 timestamp_ns);

/*
 * Any message from its decoded form (DATA copies the payload from the view):
 * what p2pkp_decode() fills, this writes back byte for byte.
 */
int p2pkp_build_msg(struct p2pkp_enc *e, const struct p2pkp_msg *m);

#endif /* P2PKP_WIRE_H */
