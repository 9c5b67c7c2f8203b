/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Finding, attaching and detaching one of our XDP programs on a device, by
 * program name. The program attached to the device is the source of truth:
 * its maps are opened through the program's own map ids, so a tool needs no
 * pins to find them. Shared by the steering program (steer.c) and the fault
 * injection tool (tools/p2pkp-fault).
 */
#ifndef P2PKP_XDP_PROG_H
#define P2PKP_XDP_PROG_H

#include <linux/types.h>
#include <stdbool.h>
#include <stddef.h>
#include <xdp/libxdp.h>

#include "options.h"

struct bpf_object;

/*
 * A map a program uses, by name, and the int in the caller's info struct its
 * fd goes to (offsetof, as in the option tables); tables end with a NULL name.
 */
struct p2pkp_map_slot {
	const char *name; /* the map's name, or a name suffix starting with '.' (".rodata") */
	size_t fd_offset;
};

/* A program as found on a device. */
struct p2pkp_xdp_found {
	__u32 prog_id;	   /* ours; 0 when it is not attached */
	__u32 attached_id; /* what is attached, ours or not (a dispatcher...); 0 if nothing */
	enum xdp_attach_mode mode; /* XDP_MODE_NATIVE, XDP_MODE_SKB or XDP_MODE_HW */
	bool multiprog;		   /* attached through libxdp's dispatcher */
	int prog_fd;		   /* ours, or -1 */
};

/* Send libbpf's and libxdp's messages through pr_debug. */
void p2pkp_hook_lib_logging(void);

/* Resolve a device name; one clear message and -ENODEV if it does not exist. */
int p2pkp_ifindex(const char *ifname);

const char *p2pkp_mode_name(enum xdp_attach_mode mode);

/* --mode auto|native|skb, into an int cfg_t.mode holding an enum xdp_attach_mode. */
extern const struct p2pkp_enum_val p2pkp_xdp_mode_vals[];
#define P2PKP_OPT_XDP_MODE(cfg_t)                                                                  \
	{                                                                                          \
		.name = "mode", .short_name = 'm', .type = P2PKP_OPT_ENUM,                         \
		.offset = offsetof(cfg_t, mode), .metavar = "MODE",                                \
		.help = "XDP attach mode; auto tries native, then skb",                            \
		.enum_vals = p2pkp_xdp_mode_vals                                                   \
	}

/*
 * The common part of finding one of our programs: resolve ifname into
 * *ifindex, find prog_name there into *found, and open the maps it uses into
 * the fds of base the table names (maps no slot wants are not kept). 0,
 * -ENODEV, -ENOENT if the program is not there (found->attached_id still
 * tells what is) or lacks a map (after a message naming what), other -errno.
 * On error the caller closes found->prog_fd and the slots.
 */
int p2pkp_xdp_find_maps(const char *ifname, const char *prog_name, const char *what,
			const struct p2pkp_map_slot *maps, void *base, int *ifindex,
			struct p2pkp_xdp_found *found);
/* Mark every slot of base closed (-1), before p2pkp_xdp_find_maps. */
void p2pkp_xdp_maps_init(const struct p2pkp_map_slot *maps, void *base);
void p2pkp_xdp_maps_close(const struct p2pkp_map_slot *maps, void *base);
/* Close *fd if open and mark it closed. */
void p2pkp_close_fd(int *fd);

/*
 * Attach prog_name of an opened, not loaded, object through libxdp, so that
 * it can share the device through the dispatcher. libxdp may load the object
 * as a dispatcher extension: a plain attach needs a fresh object.
 */
int p2pkp_xdp_attach_libxdp(int ifindex, struct bpf_object *obj, const char *prog_name,
			    enum xdp_attach_mode mode);
/*
 * Attach a loaded program alone with bpf_xdp_attach, in mode, or native and
 * then skb for XDP_MODE_UNSPEC; *used gets the mode tried last. With
 * old_fd >= 0 it atomically replaces exactly that program, otherwise it only
 * attaches to a device without a program.
 */
int p2pkp_xdp_attach_fd(int ifindex, int prog_fd, enum xdp_attach_mode mode, int old_fd,
			enum xdp_attach_mode *used);
/*
 * Detach exactly the program found by p2pkp_xdp_find_maps, not whatever
 * replaced it meanwhile; on failure one line naming what ("steering
 * program") on ifname, and -errno.
 */
int p2pkp_xdp_detach(const char *ifname, int ifindex, const char *prog_name, const char *what,
		     const struct p2pkp_xdp_found *found);

/*
 * One line explaining why attaching what ("steering program") to ifname
 * failed; shared tells that libxdp's dispatcher was tried. Returns err.
 */
int p2pkp_xdp_explain_attach_error(const char *ifname, const char *what, bool shared,
				   enum xdp_attach_mode mode, int err);

#endif /* P2PKP_XDP_PROG_H */
