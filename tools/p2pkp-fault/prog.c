// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Loading, finding and reading the fault program on a device. */
#include <errno.h>
#include <linux/if_link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "fault.h"
#include "log.h"
#include "p2pkp_fault.skel.h"

#define MAX_PROG_MAPS 8

const char *fault_mode_name(enum fault_mode mode)
{
	switch (mode) {
	case FAULT_MODE_NATIVE:
		return "native";
	case FAULT_MODE_SKB:
		return "skb";
	default:
		return "auto";
	}
}

int fault_ifindex(const char *ifname)
{
	unsigned int ifindex = if_nametoindex(ifname);

	if (!ifindex) {
		pr_warn("no such device: %s\n", ifname);
		return -ENODEV;
	}
	return (int)ifindex;
}

static __u32 mode_flags(enum fault_mode mode)
{
	return mode == FAULT_MODE_SKB ? XDP_FLAGS_SKB_MODE : XDP_FLAGS_DRV_MODE;
}

static __u64 splitmix64(__u64 *state)
{
	__u64 z = (*state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/*
 * Each CPU gets its own stream derived from the seed, so that two CPUs never
 * make the same decisions in lockstep; a flow pinned to one CPU (as veth and
 * RSS do) sees the same sequence on every run.
 */
static int seed_rng(int rng_fd, __u64 seed)
{
	int ncpus = libbpf_num_possible_cpus(), i, err = 0;
	__u64 *states, s = seed;
	__u32 key = 0;

	if (ncpus < 0)
		return ncpus;
	states = calloc((size_t)ncpus, sizeof(*states));
	if (!states)
		return -ENOMEM;
	for (i = 0; i < ncpus; i++)
		states[i] = splitmix64(&s);
	if (bpf_map_update_elem(rng_fd, &key, states, 0))
		err = -errno;
	free(states);
	return err;
}

static void info_init(struct fault_info *info)
{
	memset(info, 0, sizeof(*info));
	info->prog_fd = info->stats_fd = info->rodata_fd = info->rng_fd = -1;
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

void fault_info_close(struct fault_info *info)
{
	close_fd(&info->prog_fd);
	close_fd(&info->stats_fd);
	close_fd(&info->rodata_fd);
	close_fd(&info->rng_fd);
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);

	return n >= k && !strcmp(s + n - k, suffix);
}

/* Keeps fd in the slot its map name selects; closes it otherwise. */
static void adopt_map_fd(struct fault_info *info, int fd)
{
	struct bpf_map_info minfo = {};
	__u32 len = sizeof(minfo);
	int *slot = NULL;

	if (!bpf_obj_get_info_by_fd(fd, &minfo, &len)) {
		if (!strcmp(minfo.name, FAULT_STATS_MAP))
			slot = &info->stats_fd;
		else if (!strcmp(minfo.name, FAULT_RNG_MAP))
			slot = &info->rng_fd;
		else if (ends_with(minfo.name, ".rodata"))
			slot = &info->rodata_fd;
	}
	if (slot && *slot < 0)
		*slot = fd;
	else
		close(fd);
}

static int open_prog_maps(struct fault_info *info)
{
	__u32 ids[MAX_PROG_MAPS], len, i;
	struct bpf_prog_info pinfo;
	int fd;

	memset(&pinfo, 0, sizeof(pinfo));
	pinfo.nr_map_ids = MAX_PROG_MAPS;
	pinfo.map_ids = (__u64)(unsigned long)ids;
	len = sizeof(pinfo);
	if (bpf_obj_get_info_by_fd(info->prog_fd, &pinfo, &len))
		return -errno;
	for (i = 0; i < pinfo.nr_map_ids && i < MAX_PROG_MAPS; i++) {
		fd = bpf_map_get_fd_by_id(ids[i]);
		if (fd < 0)
			return -errno;
		adopt_map_fd(info, fd);
	}
	if (info->stats_fd < 0 || info->rodata_fd < 0 || info->rng_fd < 0) {
		pr_warn("%s: program %u lacks the fault program's maps\n", info->ifname,
			info->prog_id);
		return -ENOENT;
	}
	return 0;
}

static int read_params(struct fault_info *info)
{
	struct p2pkp_fault__rodata ro;
	struct bpf_map_info minfo = {};
	__u32 len = sizeof(minfo), key = 0;

	/* Another build of the program may lay its .rodata out differently. */
	if (bpf_obj_get_info_by_fd(info->rodata_fd, &minfo, &len))
		return -errno;
	if (minfo.value_size != sizeof(ro)) {
		pr_warn("%s: fault program %u was built from other sources than this tool\n",
			info->ifname, info->prog_id);
		return -EPROTO;
	}
	if (bpf_map_lookup_elem(info->rodata_fd, &key, &ro))
		return -errno;
	info->params.port = ro.fault_port;
	info->params.drop_ppm = ro.drop_ppm;
	info->params.corrupt_ppm = ro.corrupt_ppm;
	info->params.flags = ro.fault_flags;
	info->params.seed = ro.fault_seed;
	return 0;
}

/* Which program is attached, and how: 0 and *prog_id = 0 when none. */
static int query_attached(int ifindex, __u32 *prog_id, enum fault_mode *mode)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);

	if (bpf_xdp_query(ifindex, 0, &q))
		return -errno;
	*prog_id = q.prog_id;
	*mode = q.attach_mode == XDP_ATTACHED_SKB ? FAULT_MODE_SKB : FAULT_MODE_NATIVE;
	return 0;
}

static bool is_fault_prog(int prog_fd)
{
	struct bpf_prog_info pinfo = {};
	__u32 len = sizeof(pinfo);

	return !bpf_obj_get_info_by_fd(prog_fd, &pinfo, &len) &&
	       !strcmp(pinfo.name, FAULT_PROG_NAME);
}

int fault_find(const char *ifname, struct fault_info *info)
{
	int err;

	info_init(info);
	err = fault_ifindex(ifname);
	if (err < 0)
		return err;
	info->ifindex = err;
	snprintf(info->ifname, sizeof(info->ifname), "%s", ifname);

	err = query_attached(info->ifindex, &info->prog_id, &info->mode);
	if (err)
		return err;
	if (!info->prog_id)
		return -ENOENT;
	info->prog_fd = bpf_prog_get_fd_by_id(info->prog_id);
	if (info->prog_fd < 0)
		return -errno;
	if (!is_fault_prog(info->prog_fd)) {
		err = -ENOENT;
		goto out_close;
	}
	err = open_prog_maps(info);
	if (!err)
		err = read_params(info);
	if (!err)
		return 0;
out_close:
	fault_info_close(info);
	return err;
}

/* Sums the per-CPU struct, member by member, naming each from the map's BTF. */
static int sum_by_btf(const struct btf *btf, __u32 value_type_id, const __u8 *percpu,
		      size_t value_size, int ncpus, struct fault_counters *out)
{
	const struct btf_type *t = btf__type_by_id(btf, value_type_id);
	const struct btf_member *m;
	int i, c;

	if (!t || !btf_is_struct(t))
		return -EPROTO;
	memset(out, 0, sizeof(*out));
	for (i = 0, m = btf_members(t); i < btf_vlen(t) && i < FAULT_MAX_COUNTERS; i++, m++) {
		size_t off = btf_member_bit_offset(t, (__u32)i) / 8;

		if (off + sizeof(__u64) > value_size)
			return -EPROTO;
		snprintf(out->names[i], sizeof(out->names[i]), "%s",
			 btf__name_by_offset(btf, m->name_off));
		for (c = 0; c < ncpus; c++) {
			__u64 v;

			memcpy(&v, percpu + (size_t)c * value_size + off, sizeof(v));
			out->values[i] += v;
		}
		out->n++;
	}
	return 0;
}

int fault_read_counters(const struct fault_info *info, struct fault_counters *out)
{
	int ncpus = libbpf_num_possible_cpus(), err;
	struct bpf_map_info minfo = {};
	__u32 len = sizeof(minfo), key = 0;
	struct btf *btf;
	__u8 *percpu;
	size_t vsize;

	if (ncpus < 0)
		return ncpus;
	if (bpf_obj_get_info_by_fd(info->stats_fd, &minfo, &len))
		return -errno;
	if (!minfo.btf_id)
		return -EPROTO;
	/* Per-CPU values are laid out in 8-byte aligned slots. */
	vsize = (minfo.value_size + 7) & ~(size_t)7;
	percpu = calloc((size_t)ncpus, vsize);
	if (!percpu)
		return -ENOMEM;
	if (bpf_map_lookup_elem(info->stats_fd, &key, percpu)) {
		err = -errno;
		goto out_free;
	}
	btf = btf__load_from_kernel_by_id(minfo.btf_id);
	if (!btf) {
		err = -errno;
		goto out_free;
	}
	err = sum_by_btf(btf, minfo.btf_value_type_id, percpu, vsize, ncpus, out);
	btf__free(btf);
out_free:
	free(percpu);
	return err;
}

static int attach_fd(int ifindex, int prog_fd, enum fault_mode mode, int old_fd)
{
	LIBBPF_OPTS(bpf_xdp_attach_opts, opts, .old_prog_fd = old_fd);
	__u32 flags = mode_flags(mode);

	/* Never replace a program we did not check; only the one we found. */
	flags |= old_fd >= 0 ? XDP_FLAGS_REPLACE : XDP_FLAGS_UPDATE_IF_NOEXIST;
	if (bpf_xdp_attach(ifindex, prog_fd, flags, old_fd >= 0 ? &opts : NULL))
		return -errno;
	return 0;
}

static int attach_mode_fallback(int ifindex, int prog_fd, enum fault_mode mode, int old_fd,
				enum fault_mode *used)
{
	int err;

	*used = mode == FAULT_MODE_AUTO ? FAULT_MODE_NATIVE : mode;
	err = attach_fd(ifindex, prog_fd, *used, old_fd);
	if (mode == FAULT_MODE_AUTO && (err == -EOPNOTSUPP || err == -EINVAL)) {
		*used = FAULT_MODE_SKB;
		err = attach_fd(ifindex, prog_fd, *used, old_fd);
	}
	return err;
}

static int open_skel(const struct fault_params *params, struct p2pkp_fault **out)
{
	struct p2pkp_fault *skel;
	int err;

	skel = p2pkp_fault__open();
	if (!skel)
		return -errno;
	skel->rodata->fault_port = params->port;
	skel->rodata->drop_ppm = params->drop_ppm;
	skel->rodata->corrupt_ppm = params->corrupt_ppm;
	skel->rodata->fault_flags = params->flags;
	skel->rodata->fault_seed = params->seed;
	err = p2pkp_fault__load(skel);
	if (!err)
		err = seed_rng(bpf_map__fd(skel->maps.fault_rng), params->seed);
	if (err) {
		p2pkp_fault__destroy(skel);
		return err;
	}
	*out = skel;
	return 0;
}

static int explain_attach_error(const char *ifname, enum fault_mode mode, int err)
{
	switch (err) {
	case -EEXIST:
	case -EBUSY:
		pr_warn("%s: another XDP program is attached; unload it first\n", ifname);
		break;
	case -EOPNOTSUPP:
		pr_warn("%s: XDP %s mode is not supported by this device or kernel\n", ifname,
			fault_mode_name(mode));
		break;
	case -EPERM:
		pr_warn("%s: permission denied attaching XDP (needs CAP_NET_ADMIN and CAP_BPF)\n",
			ifname);
		break;
	default:
		pr_warn("%s: cannot attach the fault program: %s\n", ifname, strerror(-err));
	}
	return err;
}

int fault_load(const char *ifname, const struct fault_params *params, enum fault_mode mode,
	       bool *replaced)
{
	struct p2pkp_fault *skel = NULL;
	struct fault_info old;
	enum fault_mode used;
	int err, old_fd = -1;

	*replaced = false;
	err = fault_find(ifname, &old);
	if (err && err != -ENOENT)
		return err;
	if (err == -ENOENT && old.prog_id) {
		pr_warn("%s: another XDP program (id %u) is attached; unload it first\n", ifname,
			old.prog_id);
		return -EEXIST;
	}
	if (!err) {
		/* Replace atomically in the mode it has; a mode change needs a detach. */
		if (mode != FAULT_MODE_AUTO && mode != old.mode) {
			pr_warn("%s: the fault program is attached in %s mode; unload it first\n",
				ifname, fault_mode_name(old.mode));
			err = -EEXIST;
			goto out_close_old;
		}
		mode = old.mode;
		old_fd = old.prog_fd;
	}
	err = open_skel(params, &skel);
	if (err) {
		pr_warn("%s: cannot load the fault program: %s\n", ifname, strerror(-err));
		goto out_close_old;
	}
	err = attach_mode_fallback(old.ifindex, bpf_program__fd(skel->progs.p2pkp_fault), mode,
				   old_fd, &used);
	if (err)
		explain_attach_error(ifname, used, err);
	else
		*replaced = old_fd >= 0;
	/* The attachment holds the program and its maps; the skeleton can go. */
	p2pkp_fault__destroy(skel);
out_close_old:
	fault_info_close(&old);
	return err;
}

/* Detaches exactly the program found, not whatever replaced it meanwhile. */
static int detach_found(const struct fault_info *info)
{
	LIBBPF_OPTS(bpf_xdp_attach_opts, opts, .old_prog_fd = info->prog_fd);

	if (bpf_xdp_detach(info->ifindex, XDP_FLAGS_REPLACE | mode_flags(info->mode), &opts))
		return -errno;
	return 0;
}

int fault_unload(const char *ifname)
{
	struct fault_info info;
	int err;

	err = fault_find(ifname, &info);
	if (err == -ENOENT && info.ifindex > 0)
		pr_warn("%s: the fault program is not loaded\n", ifname);
	if (err)
		return err;
	err = detach_found(&info);
	if (err)
		pr_warn("%s: cannot detach the fault program: %s\n", ifname, strerror(-err));
	fault_info_close(&info);
	return err;
}
