// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <linux/magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
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

#define BPFFS_ROOT "/sys/fs/bpf"

/* The maps p2pkp_steer_find opens, and where they go. */
static const struct p2pkp_map_slot steer_maps[] = {
	{P2PKP_XSKS_MAP_NAME, offsetof(struct p2pkp_steer_info, xsks_fd)},
	{P2PKP_STATS_MAP_NAME, offsetof(struct p2pkp_steer_info, stats_fd)},
	{P2PKP_RX_MAP_NAME, offsetof(struct p2pkp_steer_info, rx_fd)},
	{".rodata", offsetof(struct p2pkp_steer_info, cfg_fd)},
	{NULL, 0},
};

void p2pkp_steer_info_close(struct p2pkp_steer_info *info)
{
	p2pkp_xdp_maps_close(steer_maps, info);
	p2pkp_close_fd(&info->prog.prog_fd);
}

static int read_cfg(struct p2pkp_steer_info *info)
{
	__u32 key = 0;

	if (bpf_map_lookup_elem(info->cfg_fd, &key, &info->cfg))
		return -errno;
	if (info->cfg.version != P2PKP_STEER_CFG_VERSION) {
		pr_warn("%s: steering program has config version %u, this build knows %u\n",
			info->ifname, info->cfg.version, P2PKP_STEER_CFG_VERSION);
		return -EPROTO;
	}
	return 0;
}

int p2pkp_steer_find(const char *ifname, struct p2pkp_steer_info *info)
{
	int err;

	memset(info, 0, sizeof(*info));
	p2pkp_xdp_maps_init(steer_maps, info);
	snprintf(info->ifname, sizeof(info->ifname), "%s", ifname);
	err = p2pkp_xdp_find_maps(ifname, P2PKP_STEER_PROG_NAME, "steering maps", steer_maps, info,
				  &info->ifindex, &info->prog);
	if (!err)
		err = read_cfg(info);
	if (err)
		p2pkp_steer_info_close(info);
	return err;
}

/* Counter structs are all __u64 (p2pkp_shared.h): add them field by field. */
static void add_u64s(void *sum, const void *add, size_t len)
{
	__u64 *s = sum, v;
	size_t i;

	for (i = 0; i < len / sizeof(*s); i++) {
		memcpy(&v, (const char *)add + i * sizeof(v), sizeof(v));
		s[i] += v;
	}
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
	for (i = 0; i < ncpus; i++)
		add_u64s(sum, &percpu[i], sizeof(*sum));
out_free:
	free(percpu);
	return err;
}

/* The rx_stats entries, as the kernel lays out an mmapable array: whole pages. */
static size_t rx_stats_len(void)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	size_t len = sizeof(struct p2pkp_rx_stats) * P2PKP_MAX_QUEUES;

	return (len + page - 1) / page * page;
}

int p2pkp_steer_read_rx_stats(const struct p2pkp_steer_info *info, struct p2pkp_rx_stats *sum,
			      __u64 *no_socket)
{
	struct p2pkp_rx_stats q;
	__u32 key;

	memset(sum, 0, sizeof(*sum));
	for (key = 0; key < P2PKP_MAX_QUEUES; key++) {
		if (bpf_map_lookup_elem(info->rx_fd, &key, &q))
			return -errno;
		add_u64s(sum, &q, sizeof(*sum));
		if (no_socket)
			no_socket[key] = q.no_socket;
	}
	return 0;
}

struct p2pkp_rx_stats *p2pkp_steer_map_rx_stats(const struct p2pkp_steer_info *info, int *err)
{
	void *m = mmap(NULL, rx_stats_len(), PROT_READ | PROT_WRITE, MAP_SHARED, info->rx_fd, 0);

	if (m == MAP_FAILED) {
		*err = -errno;
		return NULL;
	}
	*err = 0;
	return m;
}

void p2pkp_steer_unmap_rx_stats(struct p2pkp_rx_stats *rx)
{
	if (rx)
		munmap(rx, rx_stats_len());
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

static const char *const pin_names[] = {P2PKP_XSKS_MAP_NAME, P2PKP_STATS_MAP_NAME,
					P2PKP_RX_MAP_NAME, "config"};

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
	int fds[] = {info->xsks_fd, info->stats_fd, info->rx_fd, info->cfg_fd};
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
	int err;

	if (!skel)
		return -errno;
	err = p2pkp_xdp_attach_libxdp(ifindex, skel->obj, P2PKP_STEER_PROG_NAME, mode);
	p2pkp_steer__destroy(skel);
	return err;
}

/* Plain single-program attach, for kernels or hosts where the dispatcher fails. */
static int attach_legacy(int ifindex, __u16 port_host, enum xdp_attach_mode mode)
{
	struct p2pkp_steer *skel = open_skel(port_host);
	enum xdp_attach_mode used;
	int err;

	if (!skel)
		return -errno;
	err = p2pkp_steer__load(skel);
	if (!err)
		err = p2pkp_xdp_attach_fd(ifindex, bpf_program__fd(skel->progs.p2pkp_steer), mode,
					  -1, &used);
	p2pkp_steer__destroy(skel);
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
			pr_warn("%s: steering program already loaded for port %u\n", ifname, have);
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
		return p2pkp_xdp_explain_attach_error(ifname, "steering program", true, mode, err);
	*attached = true;
	return pin_found(ifname);
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
	err = p2pkp_xdp_detach(ifname, info.ifindex, P2PKP_STEER_PROG_NAME, "steering program",
			       &info.prog);
	p2pkp_steer_info_close(&info);
	if (err)
		return err;
	if (bpffs_mounted())
		unpin(ifname);
	return 0;
}

/* --- for the AF_XDP transport -------------------------------------------------- */

int p2pkp_steer_ensure(const char *ifname, __u16 port_host, bool load,
		       struct p2pkp_steer_info *info, bool *attached, char *why, size_t whylen)
{
	int err;

	err = p2pkp_steer_find(ifname, info);
	if (err == -ENOENT && load) {
		err = p2pkp_steer_load(ifname, port_host, XDP_MODE_UNSPEC, attached);
		if (err) {
			snprintf(why, whylen, "cannot attach the steering program: %s",
				 strerror(-err));
			return err;
		}
		err = p2pkp_steer_find(ifname, info);
	}
	if (err == -ENOENT) {
		snprintf(why, whylen, "the steering program is not loaded on %s", ifname);
		return err;
	}
	if (err) {
		snprintf(why, whylen, "cannot inspect the steering program: %s", strerror(-err));
		return err;
	}
	if (ntohs(info->cfg.port) != port_host) {
		snprintf(why, whylen, "the steering program steers port %u, not %u",
			 ntohs(info->cfg.port), port_host);
		p2pkp_steer_info_close(info);
		return -EEXIST;
	}
	return 0;
}

int p2pkp_steer_map_socket(const struct p2pkp_steer_info *info, __u32 qid, int xsk_fd, char *why,
			   size_t whylen)
{
	int err;

	if (!bpf_map_update_elem(info->xsks_fd, &qid, &xsk_fd, 0))
		return 0;
	err = errno;
	snprintf(why, whylen, "cannot insert the socket of queue %u in the XSKMAP: %s", qid,
		 strerror(err));
	return -err;
}
