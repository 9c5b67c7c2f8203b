// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <linux/if_link.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "log.h"
#include "xdp_prog.h"

#define MAX_PROG_MAPS 8

static int lib_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	/* Their failures surface as our own one-line errors; details are debug. */
	p2pkp_vlog(P2PKP_LOG_DEBUG, fmt, ap);
	return 0;
}

static int libxdp_print(enum libxdp_print_level level, const char *fmt, va_list ap)
{
	p2pkp_vlog(P2PKP_LOG_DEBUG, fmt, ap);
	return 0;
}

void p2pkp_hook_lib_logging(void)
{
	libbpf_set_print(lib_print);
	libxdp_set_print(libxdp_print);
}

int p2pkp_ifindex(const char *ifname)
{
	unsigned int ifindex = if_nametoindex(ifname);

	if (!ifindex) {
		pr_warn("no such device: %s\n", ifname);
		return -ENODEV;
	}
	return (int)ifindex;
}

const char *p2pkp_mode_name(enum xdp_attach_mode mode)
{
	switch (mode) {
	case XDP_MODE_NATIVE:
		return "native";
	case XDP_MODE_SKB:
		return "skb";
	case XDP_MODE_HW:
		return "hw";
	default:
		return "auto";
	}
}

const struct p2pkp_enum_val p2pkp_xdp_mode_vals[] = {
	{"auto", XDP_MODE_UNSPEC},
	{"native", XDP_MODE_NATIVE},
	{"skb", XDP_MODE_SKB},
	{NULL, 0},
};

static __u32 mode_flags(enum xdp_attach_mode mode)
{
	switch (mode) {
	case XDP_MODE_NATIVE:
		return XDP_FLAGS_DRV_MODE;
	case XDP_MODE_SKB:
		return XDP_FLAGS_SKB_MODE;
	case XDP_MODE_HW:
		return XDP_FLAGS_HW_MODE;
	default:
		return 0;
	}
}

void p2pkp_close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* --- finding ------------------------------------------------------------------- */

/* Returns the program named name within mp (alone or in a dispatcher), or NULL. */
static struct xdp_program *find_in_multiprog(struct xdp_multiprog *mp, const char *name)
{
	struct xdp_program *prog;

	if (xdp_multiprog__is_legacy(mp)) {
		prog = xdp_multiprog__main_prog(mp);
		return prog && !strcmp(xdp_program__name(prog), name) ? prog : NULL;
	}
	for (prog = xdp_multiprog__next_prog(NULL, mp); prog;
	     prog = xdp_multiprog__next_prog(prog, mp))
		if (!strcmp(xdp_program__name(prog), name))
			return prog;
	return NULL;
}

static struct xdp_multiprog *get_multiprog(int ifindex)
{
	struct xdp_multiprog *mp = xdp_multiprog__get_from_ifindex(ifindex);

	return libxdp_get_error(mp) ? NULL : mp;
}

/* The id of whatever runs on the device: a lone program, or the dispatcher. */
static __u32 attached_id(struct xdp_multiprog *mp)
{
	struct xdp_program *prog = xdp_multiprog__main_prog(mp);

	if (!prog)
		prog = xdp_multiprog__hw_prog(mp);
	return prog ? xdp_program__id(prog) : 0;
}

/*
 * Finds the program named prog_name on ifindex, alone or in libxdp's
 * dispatcher: 0 with found->prog_fd open, -ENOENT if it is not there.
 */
static int find_prog(int ifindex, const char *prog_name, struct p2pkp_xdp_found *found)
{
	struct xdp_program *prog;
	struct xdp_multiprog *mp;
	int err = 0;

	memset(found, 0, sizeof(*found));
	found->prog_fd = -1;
	mp = get_multiprog(ifindex);
	if (!mp)
		return -ENOENT;
	found->attached_id = attached_id(mp);
	prog = find_in_multiprog(mp, prog_name);
	if (!prog) {
		err = -ENOENT;
		goto out_close_mp;
	}
	found->prog_id = xdp_program__id(prog);
	found->mode = xdp_multiprog__attach_mode(mp);
	found->multiprog = !xdp_multiprog__is_legacy(mp);
	found->prog_fd = bpf_prog_get_fd_by_id(found->prog_id);
	if (found->prog_fd < 0)
		err = -errno;
out_close_mp:
	xdp_multiprog__close(mp);
	return err;
}

/* --- maps ---------------------------------------------------------------------- */

static bool name_matches(const char *name, const char *want)
{
	size_t n = strlen(name), w = strlen(want);

	/* libbpf names .rodata after the object: "p2pkp_st.rodata". */
	if (want[0] == '.')
		return n >= w && !strcmp(name + n - w, want);
	return !strcmp(name, want);
}

static int *slot_fd(const struct p2pkp_map_slot *slot, void *base)
{
	return (int *)((char *)base + slot->fd_offset);
}

void p2pkp_xdp_maps_init(const struct p2pkp_map_slot *maps, void *base)
{
	for (; maps->name; maps++)
		*slot_fd(maps, base) = -1;
}

void p2pkp_xdp_maps_close(const struct p2pkp_map_slot *maps, void *base)
{
	for (; maps->name; maps++)
		p2pkp_close_fd(slot_fd(maps, base));
}

/* Keeps fd in the slot its map name selects; closes it otherwise. */
static void adopt_map_fd(const struct p2pkp_map_slot *maps, void *base, int fd)
{
	struct bpf_map_info minfo = {};
	__u32 len = sizeof(minfo);
	int *slot = NULL;

	if (!bpf_obj_get_info_by_fd(fd, &minfo, &len)) {
		for (; maps->name; maps++) {
			if (name_matches(minfo.name, maps->name)) {
				slot = slot_fd(maps, base);
				break;
			}
		}
	}
	if (slot && *slot < 0)
		*slot = fd;
	else
		close(fd);
}

static int open_maps(int prog_fd, const struct p2pkp_map_slot *maps, void *base)
{
	__u32 ids[MAX_PROG_MAPS], len, i;
	struct bpf_prog_info pinfo;
	int fd;

	memset(&pinfo, 0, sizeof(pinfo));
	pinfo.nr_map_ids = MAX_PROG_MAPS;
	pinfo.map_ids = (__u64)(unsigned long)ids;
	len = sizeof(pinfo);
	if (bpf_obj_get_info_by_fd(prog_fd, &pinfo, &len))
		return -errno;
	for (i = 0; i < pinfo.nr_map_ids && i < MAX_PROG_MAPS; i++) {
		fd = bpf_map_get_fd_by_id(ids[i]);
		if (fd < 0)
			return -errno;
		adopt_map_fd(maps, base, fd);
	}
	for (; maps->name; maps++)
		if (*slot_fd(maps, base) < 0)
			return -ENOENT;
	return 0;
}

int p2pkp_xdp_find_maps(const char *ifname, const char *prog_name, const char *what,
			const struct p2pkp_map_slot *maps, void *base, int *ifindex,
			struct p2pkp_xdp_found *found)
{
	int err;

	memset(found, 0, sizeof(*found));
	found->prog_fd = -1;
	err = p2pkp_ifindex(ifname);
	if (err < 0)
		return err;
	*ifindex = err;
	err = find_prog(*ifindex, prog_name, found);
	if (err)
		return err;
	err = open_maps(found->prog_fd, maps, base);
	if (err == -ENOENT)
		pr_warn("%s: program %u lacks the %s\n", ifname, found->prog_id, what);
	return err;
}

/* --- attach and detach --------------------------------------------------------- */

int p2pkp_xdp_attach_libxdp(int ifindex, struct bpf_object *obj, const char *prog_name,
			    enum xdp_attach_mode mode)
{
	DECLARE_LIBXDP_OPTS(xdp_program_opts, opts, .obj = obj, .prog_name = prog_name);
	struct xdp_program *prog;
	int err;

	prog = xdp_program__create(&opts);
	err = libxdp_get_error(prog);
	if (err)
		return err;
	err = xdp_program__attach(prog, ifindex, mode, 0);
	xdp_program__close(prog);
	return err;
}

static int attach_fd_once(int ifindex, int prog_fd, enum xdp_attach_mode mode, int old_fd)
{
	LIBBPF_OPTS(bpf_xdp_attach_opts, opts, .old_prog_fd = old_fd);
	__u32 flags = mode_flags(mode);

	/* Never replace a program we did not check; only the one we found. */
	flags |= old_fd >= 0 ? XDP_FLAGS_REPLACE : XDP_FLAGS_UPDATE_IF_NOEXIST;
	if (bpf_xdp_attach(ifindex, prog_fd, flags, old_fd >= 0 ? &opts : NULL))
		return -errno;
	return 0;
}

int p2pkp_xdp_attach_fd(int ifindex, int prog_fd, enum xdp_attach_mode mode, int old_fd,
			enum xdp_attach_mode *used)
{
	int err;

	*used = mode == XDP_MODE_UNSPEC ? XDP_MODE_NATIVE : mode;
	err = attach_fd_once(ifindex, prog_fd, *used, old_fd);
	/* Drivers without native XDP refuse it one way or the other. */
	if (mode == XDP_MODE_UNSPEC && (err == -EOPNOTSUPP || err == -EINVAL)) {
		*used = XDP_MODE_SKB;
		err = attach_fd_once(ifindex, prog_fd, *used, old_fd);
	}
	return err;
}

static int detach_found(int ifindex, const char *prog_name, const struct p2pkp_xdp_found *found)
{
	struct xdp_multiprog *mp;
	struct xdp_program *prog;
	int err;

	if (!found->multiprog) {
		LIBBPF_OPTS(bpf_xdp_attach_opts, opts, .old_prog_fd = found->prog_fd);

		if (bpf_xdp_detach(ifindex, XDP_FLAGS_REPLACE | mode_flags(found->mode), &opts))
			return -errno;
		return 0;
	}
	mp = get_multiprog(ifindex);
	if (!mp)
		return -ENOENT;
	prog = find_in_multiprog(mp, prog_name);
	err = prog ? xdp_program__detach(prog, ifindex, found->mode, 0) : -ENOENT;
	xdp_multiprog__close(mp);
	return err;
}

int p2pkp_xdp_detach(const char *ifname, int ifindex, const char *prog_name, const char *what,
		     const struct p2pkp_xdp_found *found)
{
	int err = detach_found(ifindex, prog_name, found);

	if (err)
		pr_warn("%s: cannot detach the %s: %s\n", ifname, what, strerror(-err));
	return err;
}

int p2pkp_xdp_explain_attach_error(const char *ifname, const char *what, bool shared,
				   enum xdp_attach_mode mode, int err)
{
	switch (err) {
	case -EEXIST:
	case -EBUSY:
		pr_warn("%s: another XDP program is attached%s; unload it first\n", ifname,
			shared ? " and cannot be shared" : "");
		break;
	case -EOPNOTSUPP:
		pr_warn("%s: XDP %s mode is not supported by this device or kernel\n", ifname,
			p2pkp_mode_name(mode));
		break;
	case -EPERM:
		pr_warn("%s: permission denied attaching XDP (needs CAP_NET_ADMIN and CAP_BPF)\n",
			ifname);
		break;
	default:
		pr_warn("%s: cannot attach the %s: %s\n", ifname, what, strerror(-err));
	}
	return err;
}
