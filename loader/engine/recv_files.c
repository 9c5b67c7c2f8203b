// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The receiver's files and control requests (docs/protocol.md 7 and 14):
 * FILES begins each file in the store (or finds it there, or resumes it),
 * VERIFY publishes a complete one, STATUS, CLOSE and ABORT answered from the
 * current state, so every request may be repeated.
 */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "log.h"
#include "recv_priv.h"

/* --- files ------------------------------------------------------------------------- */

static void slot_fail(struct session *s, struct slot *sl, __u16 result)
{
	if (sl->state == SLOT_FAILED)
		return;
	sl->state = SLOT_FAILED;
	sl->result = result;
	s->files_failed++;
}

static void begin_file(struct receiver *r, struct session *s, const struct p2pkp_file_info *fi)
{
	struct slot *sl = &s->slots[fi->index];
	char name[P2PKP_MAX_NAME + 1];
	struct p2pkp_rfile_desc d = {
		.name = name,
		.size = fi->size,
		.mode = fi->mode,
		.mtime_ns = fi->mtime_ns,
		.block_size = s->block_size,
	};
	__u16 result = P2PKP_R_IO;

	memcpy(d.digest, fi->digest, sizeof(d.digest));
	memcpy(name, fi->name.ptr, fi->name.len);
	name[fi->name.len] = '\0';
	sl->size = fi->size;
	sl->is_dir = S_ISDIR(fi->mode);
	if (p2pkp_store_begin(r->store, &d, &sl->f, &result) || result != P2PKP_R_OK) {
		sl->f = NULL;
		if (result == P2PKP_R_HAVE) {
			sl->state = SLOT_HAVE;
			sl->result = P2PKP_R_HAVE;
			s->files_ok++;
			return;
		}
		slot_fail(s, sl, result);
		return;
	}
	sl->state = SLOT_RECV;
	sl->result = P2PKP_R_OK;
}

static void on_files(struct receiver *r, struct session *s, const struct p2pkp_msg *m)
{
	struct p2pkp_files_reply *rep = &r->files_reply;
	struct p2pkp_enc e;
	CTRL_BUF(buf);
	__u32 i;

	rep->count = 0;
	for (i = 0; i < m->u.files.count; i++) {
		const struct p2pkp_file_info *fi = &m->u.files.file[i];
		struct p2pkp_file_state *fs = &rep->state[rep->count++];
		struct slot *sl;

		fs->index = fi->index;
		if (fi->index >= s->file_count) {
			fs->result = P2PKP_R_PROTOCOL;
			fs->cum = fs->held = 0;
			continue;
		}
		sl = &s->slots[fi->index];
		if (sl->state == SLOT_NONE)
			begin_file(r, s, fi);
		fs->result = sl->result;
		fs->cum = fs->held = 0;
		if (sl->state == SLOT_RECV) {
			fs->cum = p2pkp_rfile_held(sl->f)->cum;
			fs->held = p2pkp_rfile_held(sl->f)->count;
		}
	}
	p2pkp_enc_init(&e, buf, sizeof(buf));
	rcv_send_msg(r, &s->peer, buf, p2pkp_build_files_reply(&e, s->linkid, m->msgid, rep));
}

/* Verify and publish a file whose blocks are all held; the VERIFY answer. */
static __u16 finish_file(struct session *s, struct slot *sl)
{
	__u16 result = P2PKP_R_IO;

	if (p2pkp_rfile_finish(sl->f, &result) && result == P2PKP_R_OK)
		result = P2PKP_R_IO;
	switch (result) {
	case P2PKP_R_OK:
		sl->state = SLOT_COMPLETE;
		sl->result = P2PKP_R_OK;
		s->files_ok++;
		s->bytes += sl->size;
		break;
	case P2PKP_R_MISMATCH:
		pr_warn("%s: %s: digest mismatch, fetching it again\n", s->name,
			p2pkp_rfile_name(sl->f));
		sl->dirty = true;
		break;
	case P2PKP_R_INCOMPLETE:
		sl->dirty = true;
		break;
	default:
		slot_fail(s, sl, result);
	}
	return result;
}

static __u16 verify_answer(struct session *s, __u32 file)
{
	struct slot *sl = &s->slots[file];
	int err;

	switch (sl->state) {
	case SLOT_COMPLETE:
	case SLOT_HAVE:
		return P2PKP_R_OK;
	case SLOT_FAILED:
		return sl->result;
	case SLOT_NONE:
		return P2PKP_R_INCOMPLETE;
	default:
		break;
	}
	err = p2pkp_rfile_error(sl->f);
	if (err) {
		slot_fail(s, sl, err == -ENOSPC ? P2PKP_R_NO_SPACE : P2PKP_R_IO);
		return sl->result;
	}
	if (!p2pkp_bitmap_complete(p2pkp_rfile_held(sl->f)))
		return P2PKP_R_INCOMPLETE;
	return finish_file(s, sl);
}

static void on_verify(struct receiver *r, struct session *s, const struct p2pkp_msg *m)
{
	__u32 file = m->u.file_req.file;
	__u16 result;

	if (file >= s->file_count) {
		rcv_send_result(r, &s->peer, s->linkid, m->msgid, m->command | P2PKP_CMD_RESPONSE,
				file, P2PKP_R_PROTOCOL, "no such file index");
		return;
	}
	result = verify_answer(s, file);
	rcv_send_result(r, &s->peer, s->linkid, m->msgid, m->command | P2PKP_CMD_RESPONSE, file,
			result, NULL);
}

static bool session_ok(const struct session *s)
{
	__u32 i;

	for (i = 0; i < s->file_count; i++)
		if (s->slots[i].state != SLOT_COMPLETE && s->slots[i].state != SLOT_HAVE)
			return false;
	return true;
}

/* Directories get their final mtime once their contents have landed. */
static void finish_dirs(struct session *s)
{
	__u16 result;
	__u32 i;

	for (i = s->file_count; i-- > 0;)
		if (s->slots[i].is_dir && s->slots[i].f)
			p2pkp_rfile_finish(s->slots[i].f, &result);
}

static void on_close(struct receiver *r, struct session *s, const struct p2pkp_msg *m)
{
	bool ok;

	if (s->closed) {
		rcv_send_result(r, &s->peer, s->linkid, m->msgid, m->command | P2PKP_CMD_RESPONSE,
				P2PKP_FILE_NONE, s->close_ok ? P2PKP_R_OK : P2PKP_R_INCOMPLETE,
				NULL);
		return;
	}
	ok = session_ok(s);

	finish_dirs(s);
	rcv_send_result(r, &s->peer, s->linkid, m->msgid, m->command | P2PKP_CMD_RESPONSE,
			P2PKP_FILE_NONE, ok ? P2PKP_R_OK : P2PKP_R_INCOMPLETE, NULL);
	rcv_end_session(r, s, ok && m->u.result.result == P2PKP_R_OK, true);
}

static void on_abort(struct receiver *r, struct session *s, const struct p2pkp_msg *m)
{
	const struct p2pkp_result_msg *a = &m->u.result;

	rcv_send_result(r, &s->peer, s->linkid, m->msgid, m->command | P2PKP_CMD_RESPONSE,
			P2PKP_FILE_NONE, P2PKP_R_OK, NULL);
	if (a->file != P2PKP_FILE_NONE) {
		if (a->file < s->file_count)
			slot_fail(s, &s->slots[a->file], a->result);
		return;
	}
	pr_warn("%s: sender aborted the session: %s\n", s->name, p2pkp_result_name(a->result));
	rcv_end_session(r, s, false, false);
}

void rcv_on_control(struct receiver *r, struct session *s, const struct p2pkp_msg *m)
{
	switch (m->command) {
	case P2PKP_CMD_FILES:
		s->admitted = true; /* keyless: a session that announces files is a real one */
		on_files(r, s, m);
		break;
	case P2PKP_CMD_STATUS:
		if (m->u.file_req.file < s->file_count)
			rcv_send_status(r, s, m->msgid, P2PKP_CMD_STATUS | P2PKP_CMD_RESPONSE,
					m->u.file_req.file, m->u.file_req.from);
		break;
	case P2PKP_CMD_VERIFY:
		on_verify(r, s, m);
		break;
	case P2PKP_CMD_CLOSE:
		on_close(r, s, m);
		break;
	case P2PKP_CMD_ABORT:
		on_abort(r, s, m);
		break;
	default:
		r->res->bad_msgs++;
	}
}
