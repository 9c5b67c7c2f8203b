// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <linux/if_link.h>
#include <linux/magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "log.h"
#include "steer.h"
/* After steer.h: the skeleton names struct p2pkp_steer_cfg. */
#include "p2pkp_steer.skel.h"

#define BPFFS_ROOT   "/sys/fs/bpf"
#define MAX_PROG_MAP 8

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

static void info_init(struct p2pkp_steer_info *info)
{
	memset(info, 0, sizeof(*info));
	info->prog_fd = info->xsks_fd = info->stats_fd = info->cfg_fd = -1;
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

void p2pkp_steer_info_close(struct p2pkp_steer_info *info)
{
	close_fd(&info->prog_fd);
	close_fd(&info->xsks_fd);
	close_fd(&info->stats_fd);
	close_fd(&info->cfg_fd);
}

static bool name_ends_with(const char *name, const char *suffix)
{
	size_t n = strlen(name), s = strlen(suffix);

	return n >= s && !strcmp(name + n - s, suffix);
}

/* Keeps fd in the slot its map name selects; closes it otherwise. */
static void adopt_map_fd(struct p2pkp_steer_info *info, int fd)
{
	struct bpf_map_info minfo = {};
	__u32 len = sizeof(minfo);
	int *slot = NULL;

	if (!bpf_obj_get_info_by_fd(fd, &minfo, &len)) {
		if (!strcmp(minfo.name, P2PKP_XSKS_MAP_NAME))
			slot = &info->xsks_fd;
		else if (!strcmp(minfo.name, P2PKP_STATS_MAP_NAME))
			slot = &info->stats_fd;
		else if (name_ends_with(minfo.name, ".rodata"))
			slot = &info->cfg_fd;
	}
	if (slot && *slot < 0)
		*slot = fd;
	else
		close(fd);
}

static int open_prog_maps(struct p2pkp_steer_info *info)
{
	__u32 ids[MAX_PROG_MAP], len, i;
	struct bpf_prog_info pinfo;
	int fd;

	memset(&pinfo, 0, sizeof(pinfo));
	pinfo.nr_map_ids = MAX_PROG_MAP;
	pinfo.map_ids = (__u64)(unsigned long)ids;
	len = sizeof(pinfo);
	if (bpf_obj_get_info_by_fd(info->prog_fd, &pinfo, &len))
		return -errno;
	for (i = 0; i < pinfo.nr_map_ids && i < MAX_PROG_MAP; i++) {
		fd = bpf_map_get_fd_by_id(ids[i]);
		if (fd < 0)
			return -errno;
		adopt_map_fd(info, fd);
	}
	if (info->xsks_fd < 0 || info->stats_fd < 0 || info->cfg_fd < 0) {
		pr_warn("%s: program %u lacks the steering maps\n", info->ifname, info->prog_id);
		return -ENOENT;
	}
	return 0;
}

static int read_cfg(struct p2pkp_steer_info *info)
{
	__u32 key = 0;

	if (bpf_map_lookup_elem(info->cfg_fd, &key, &info->cfg))
		return -errno;
	if (info->cfg.version != P2PKP_STEER_CFG_VERSION) {
		pr_warn("%s: steering program has config version %u, this tool knows %u\n",
			info->ifname, info->cfg.version, P2PKP_STEER_CFG_VERSION);
		return -EPROTO;
	}
	return 0;
}

/* Returns our program within mp (legacy or dispatcher), or NULL. */
static struct xdp_program *find_our_prog(struct xdp_multiprog *mp)
{
	struct xdp_program *prog;

	if (xdp_multiprog__is_legacy(mp)) {
		prog = xdp_multiprog__main_prog(mp);
		return prog && !strcmp(xdp_program__name(prog), P2PKP_STEER_PROG_NAME) ? prog
										       : NULL;
	}
	for (prog = xdp_multiprog__next_prog(NULL, mp); prog;
	     prog = xdp_multiprog__next_prog(prog, mp))
		if (!strcmp(xdp_program__name(prog), P2PKP_STEER_PROG_NAME))
			return prog;
	return NULL;
}

static struct xdp_multiprog *get_multiprog(int ifindex)
{
	struct xdp_multiprog *mp = xdp_multiprog__get_from_ifindex(ifindex);

	return libxdp_get_error(mp) ? NULL : mp;
}

int p2pkp_steer_find(const char *ifname, struct p2pkp_steer_info *info)
{
	struct xdp_program *prog;
	struct xdp_multiprog *mp;
	int err;

	info_init(info);
	err = p2pkp_ifindex(ifname);
	if (err < 0)
		return err;
	info->ifindex = err;
	snprintf(info->ifname, sizeof(info->ifname), "%s", ifname);

	mp = get_multiprog(info->ifindex);
	if (!mp)
		return -ENOENT;
	prog = find_our_prog(mp);
	if (!prog) {
		err = -ENOENT;
		goto out_close_mp;
	}
	info->prog_id = xdp_program__id(prog);
	info->mode = xdp_multiprog__attach_mode(mp);
	info->multiprog = !xdp_multiprog__is_legacy(mp);
	info->prog_fd = bpf_prog_get_fd_by_id(info->prog_id);
	if (info->prog_fd < 0) {
		err = -errno;
		goto out_close_mp;
	}
	err = open_prog_maps(info);
	if (!err)
		err = read_cfg(info);
	if (err)
		p2pkp_steer_info_close(info);
out_close_mp:
	xdp_multiprog__close(mp);
	return err;
}

int p2pkp_steer_read_stats(const struct p2pkp_steer_info *info, struct p2pkp_steer_stats *sum)
{
	int ncpus = libbpf_num_possible_cpus(), i;
	struct p2pkp_steer_stats *percpu;
	__u32 key = 0;
	int err = 0;

	if (ncpus < 0)
		return ncpus;
	percpu = calloc(ncpus, sizeof(*percpu));
	if (!percpu)
		return -ENOMEM;
	if (bpf_map_lookup_elem(info->stats_fd, &key, percpu)) {
		err = -errno;
		goto out_free;
	}
	memset(sum, 0, sizeof(*sum));
	for (i = 0; i < ncpus; i++) {
		sum->steered += percpu[i].steered;
		sum->passed += percpu[i].passed;
		sum->too_short += percpu[i].too_short;
		sum->fragments += percpu[i].fragments;
		sum->no_socket += percpu[i].no_socket;
		sum->malformed += percpu[i].malformed;
	}
out_free:
	free(percpu);
	return err;
}

/* --- pins ------------------------------------------------------------------- */

static bool bpffs_mounted(void)
{
	struct statfs st;

	return !statfs(BPFFS_ROOT, &st) && st.f_type == BPF_FS_MAGIC;
}

static int ensure_bpffs(void)
{
	if (bpffs_mounted())
		return 0;
	/* `ip netns exec` remounts /sys without a bpffs: bring one. */
	if (mount("bpf", BPFFS_ROOT, "bpf", 0, "mode=0700")) {
		pr_debug("cannot mount bpffs on %s: %s\n", BPFFS_ROOT, strerror(errno));
		return -errno;
	}
	return 0;
}

static int pin_dir(const char *ifname, char *buf, size_t len)
{
	if (snprintf(buf, len, "%s/%s", P2PKP_PIN_ROOT, ifname) >= (int)len)
		return -ENAMETOOLONG;
	return 0;
}

static const char *const pin_names[] = {P2PKP_XSKS_MAP_NAME, P2PKP_STATS_MAP_NAME, "config"};

static int pin_one(const char *dir, const char *name, int fd)
{
	char path[PATH_MAX];

	if (snprintf(path, sizeof(path), "%s/%s", dir, name) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	/* A pin left by an earlier load points at maps that are gone. */
	if (unlink(path) && errno != ENOENT)
		return -errno;
	if (bpf_obj_pin(fd, path))
		return -errno;
	return 0;
}

int p2pkp_steer_pin(const struct p2pkp_steer_info *info)
{
	int fds[] = {info->xsks_fd, info->stats_fd, info->cfg_fd};
	char dir[PATH_MAX];
	size_t i;
	int err;

	err = ensure_bpffs();
	if (err)
		return err;
	err = pin_dir(info->ifname, dir, sizeof(dir));
	if (err)
		return err;
	if ((mkdir(P2PKP_PIN_ROOT, 0700) && errno != EEXIST) ||
	    (mkdir(dir, 0700) && errno != EEXIST))
		return -errno;
	for (i = 0; i < sizeof(fds) / sizeof(fds[0]); i++) {
		err = pin_one(dir, pin_names[i], fds[i]);
		if (err)
			return err;
	}
	return 0;
}

static void unpin(const char *ifname)
{
	char dir[PATH_MAX], path[PATH_MAX + 16];
	size_t i;

	if (pin_dir(ifname, dir, sizeof(dir)))
		return;
	for (i = 0; i < sizeof(pin_names) / sizeof(pin_names[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, pin_names[i]);
		unlink(path);
	}
	rmdir(dir);
	rmdir(P2PKP_PIN_ROOT); /* only succeeds once no device is left */
}

/* --- attach and detach ------------------------------------------------------- */

static struct p2pkp_steer *open_skel(__u16 port_host)
{
	struct p2pkp_steer *skel = p2pkp_steer__open();

	if (!skel)
		return NULL;
	skel->rodata->cfg.port = htons(port_host);
	skel->rodata->cfg.min_len = P2PKP_HDR_LEN;
	skel->rodata->cfg.version = P2PKP_STEER_CFG_VERSION;
	return skel;
}

/* Through libxdp, so the program can share the device via the dispatcher. */
static int attach_libxdp(int ifindex, __u16 port_host, enum xdp_attach_mode mode)
{
	struct p2pkp_steer *skel = open_skel(port_host);
	struct xdp_program *prog;
	int err;

	if (!skel)
		return -errno;
	DECLARE_LIBXDP_OPTS(xdp_program_opts, opts, .obj = skel->obj,
			    .prog_name = P2PKP_STEER_PROG_NAME);
	prog = xdp_program__create(&opts);
	err = libxdp_get_error(prog);
	if (err)
		goto out_destroy_skel;
	err = xdp_program__attach(prog, ifindex, mode, 0);
	xdp_program__close(prog);
out_destroy_skel:
	p2pkp_steer__destroy(skel);
	return err;
}

static int attach_fd_mode(int ifindex, int prog_fd, enum xdp_attach_mode mode)
{
	__u32 flags = XDP_FLAGS_UPDATE_IF_NOEXIST | mode_flags(mode);

	if (bpf_xdp_attach(ifindex, prog_fd, flags, NULL))
		return -errno;
	return 0;
}

/* Plain single-program attach, for kernels or hosts where the dispatcher fails. */
static int attach_legacy(int ifindex, __u16 port_host, enum xdp_attach_mode mode)
{
	struct p2pkp_steer *skel = open_skel(port_host);
	int err, prog_fd;

	if (!skel)
		return -errno;
	err = p2pkp_steer__load(skel);
	if (err)
		goto out_destroy_skel;
	prog_fd = bpf_program__fd(skel->progs.p2pkp_steer);
	if (mode == XDP_MODE_UNSPEC) {
		err = attach_fd_mode(ifindex, prog_fd, XDP_MODE_NATIVE);
		if (err == -EOPNOTSUPP || err == -EINVAL)
			err = attach_fd_mode(ifindex, prog_fd, XDP_MODE_SKB);
	} else {
		err = attach_fd_mode(ifindex, prog_fd, mode);
	}
out_destroy_skel:
	p2pkp_steer__destroy(skel);
	return err;
}

static int explain_attach_error(const char *ifname, enum xdp_attach_mode mode, int err)
{
	switch (err) {
	case -EEXIST:
	case -EBUSY:
		pr_warn("%s: another XDP program is attached and cannot be shared; unload it first\n",
			ifname);
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
		pr_warn("%s: cannot attach the steering program: %s\n", ifname, strerror(-err));
	}
	return err;
}

static int pin_found(const char *ifname)
{
	struct p2pkp_steer_info info;
	int err;

	err = p2pkp_steer_find(ifname, &info);
	if (err)
		return err;
	if (p2pkp_steer_pin(&info))
		pr_debug("%s: maps not pinned (no usable bpffs)\n", ifname);
	p2pkp_steer_info_close(&info);
	return 0;
}

int p2pkp_steer_load(const char *ifname, __u16 port_host, enum xdp_attach_mode mode, bool *attached)
{
	struct p2pkp_steer_info info;
	int err;

	*attached = false;
	err = p2pkp_steer_find(ifname, &info);
	if (!err) {
		__u16 have = ntohs(info.cfg.port);

		p2pkp_steer_info_close(&info);
		if (have != port_host) {
			pr_warn("%s: steering program already loaded for port %u; unload it first\n",
				ifname, have);
			return -EEXIST;
		}
		return pin_found(ifname);
	}
	if (err != -ENOENT)
		return err;

	err = attach_libxdp(info.ifindex, port_host, mode);
	if (err) {
		pr_debug("%s: libxdp attach failed (%s); trying a plain attach\n", ifname,
			 strerror(-err));
		err = attach_legacy(info.ifindex, port_host, mode);
	}
	if (err)
		return explain_attach_error(ifname, mode, err);
	*attached = true;
	return pin_found(ifname);
}

static int detach_found(const struct p2pkp_steer_info *info)
{
	struct xdp_multiprog *mp;
	struct xdp_program *prog;
	int err;

	if (!info->multiprog) {
		DECLARE_LIBBPF_OPTS(bpf_xdp_attach_opts, opts, .old_prog_fd = info->prog_fd);

		if (bpf_xdp_detach(info->ifindex, XDP_FLAGS_REPLACE | mode_flags(info->mode),
				   &opts))
			return -errno;
		return 0;
	}
	mp = get_multiprog(info->ifindex);
	if (!mp)
		return -ENOENT;
	prog = find_our_prog(mp);
	err = prog ? xdp_program__detach(prog, info->ifindex, info->mode, 0) : -ENOENT;
	xdp_multiprog__close(mp);
	return err;
}

int p2pkp_steer_unload(const char *ifname)
{
	struct p2pkp_steer_info info;
	int err;

	err = p2pkp_steer_find(ifname, &info);
	if (err == -ENOENT && info.ifindex > 0)
		pr_warn("%s: the steering program is not loaded\n", ifname);
	if (err)
		return err;
	err = detach_found(&info);
	p2pkp_steer_info_close(&info);
	if (err) {
		pr_warn("%s: cannot detach the steering program: %s\n", ifname, strerror(-err));
		return err;
	}
	if (bpffs_mounted())
		unpin(ifname);
	return 0;
}
