// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Loading, finding and reading the fault program on a device. */
#include <errno.h>
#include <stddef.h>
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

/* The maps fault_find opens, and where they go. */
static const struct p2pkp_map_slot fault_maps[] = {
	{FAULT_STATS_MAP, offsetof(struct fault_info, stats_fd)},
	{FAULT_RNG_MAP, offsetof(struct fault_info, rng_fd)},
	{".rodata", offsetof(struct fault_info, rodata_fd)},
	{NULL, 0},
};

void fault_info_close(struct fault_info *info)
{
	p2pkp_xdp_maps_close(fault_maps, info);
	p2pkp_close_fd(&info->prog.prog_fd);
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
			info->ifname, info->prog.prog_id);
		return -EPROTO;
	}
	if (bpf_map_lookup_elem(info->rodata_fd, &key, &ro))
		return -errno;
	info->params.match = ro.fault_all_ip ? FAULT_MATCH_IP : FAULT_MATCH_P2PKP;
	info->params.port = ro.fault_port;
	info->params.drop_ppm = ro.drop_ppm;
	info->params.corrupt_ppm = ro.corrupt_ppm;
	info->params.flags = ro.fault_flags;
	info->params.seed = ro.fault_seed;
	return 0;
}

int fault_find(const char *ifname, struct fault_info *info)
{
	int err;

	memset(info, 0, sizeof(*info));
	p2pkp_xdp_maps_init(fault_maps, info);
	snprintf(info->ifname, sizeof(info->ifname), "%s", ifname);
	err = p2pkp_xdp_find_maps(ifname, FAULT_PROG_NAME, "fault program's maps", fault_maps, info,
				  &info->ifindex, &info->prog);
	if (!err)
		err = read_params(info);
	if (err)
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

static int open_skel(const struct fault_params *params, struct p2pkp_fault **out)
{
	struct p2pkp_fault *skel;
	int err;

	skel = p2pkp_fault__open();
	if (!skel)
		return -errno;
	skel->rodata->fault_all_ip = params->match == FAULT_MATCH_IP;
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

int fault_load(const char *ifname, const struct fault_params *params, enum xdp_attach_mode mode,
	       bool *replaced)
{
	struct p2pkp_fault *skel = NULL;
	enum xdp_attach_mode used;
	struct fault_info old;
	int err, old_fd = -1;

	*replaced = false;
	err = fault_find(ifname, &old);
	if (err && err != -ENOENT)
		return err;
	if (err == -ENOENT && old.prog.attached_id) {
		pr_warn("%s: another XDP program (id %u) is attached; unload it first\n", ifname,
			old.prog.attached_id);
		return -EEXIST;
	}
	if (!err) {
		/* Replace atomically in the mode it has; a mode change needs a detach. */
		if (mode != XDP_MODE_UNSPEC && mode != old.prog.mode) {
			pr_warn("%s: the fault program is attached in %s mode; unload it first\n",
				ifname, p2pkp_mode_name(old.prog.mode));
			err = -EEXIST;
			goto out_close_old;
		}
		mode = old.prog.mode;
		old_fd = old.prog.prog_fd;
	}
	err = open_skel(params, &skel);
	if (err) {
		pr_warn("%s: cannot load the fault program: %s\n", ifname, strerror(-err));
		goto out_close_old;
	}
	err = p2pkp_xdp_attach_fd(old.ifindex, bpf_program__fd(skel->progs.p2pkp_fault), mode,
				  old_fd, &used);
	if (err)
		p2pkp_xdp_explain_attach_error(ifname, "fault program", false, used, err);
	else
		*replaced = old_fd >= 0;
	/* The attachment holds the program and its maps; the skeleton can go. */
	p2pkp_fault__destroy(skel);
out_close_old:
	fault_info_close(&old);
	return err;
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
	err = p2pkp_xdp_detach(ifname, info.ifindex, FAULT_PROG_NAME, "fault program", &info.prog);
	fault_info_close(&info);
	return err;
}
