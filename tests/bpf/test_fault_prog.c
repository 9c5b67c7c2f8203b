// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The fault program run through BPF_PROG_TEST_RUN. A fixture table (katran
 * style) pairs a frame and a configuration with the verdict, the counter that
 * must move and what may change in the frame; property tests then check that
 * corruption changes exactly one payload byte, that decisions repeat for a
 * seed, and that the rates match the configured fractions. Cases marked
 * all_ip run the program as `--match ip` loads it: every IPv4/IPv6 packet.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <sched.h>
#include <linux/if_ether.h>
#include <linux/if_link.h>
#include <linux/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "p2pkp_shared.h"
#include "p2pkp_fault.skel.h"
#include "frame_builder.h"

#define TEST_PORT  7471
#define PCT(x)	   ((__u32)((x)*10000))
#define ETH_LEN	   14
#define N_COUNTERS 5
#define MAX_CPUS   4096

enum counter {
	C_SEEN,
	C_PASSED,
	C_DROPPED,
	C_CORRUPTED,
	C_OTHER,
};

/* Members of the program's struct fault_stats, found through its BTF. */
static const char *const counter_names[N_COUNTERS] = {
	"seen", "passed", "dropped", "corrupted", "other",
};

/* What the program may do to the frame. */
enum change {
	SAME,	       /* output identical to input */
	ONE_BYTE,      /* one UDP payload byte differs, checksum field untouched */
	ONE_BYTE_CSUM, /* one payload byte differs and the UDP checksum is valid again */
};

struct fault_case {
	const char *name;
	enum l3 l3;
	int vlan_tags;
	int ipv6_hop;	     /* a hop-by-hop extension header before UDP */
	__u16 ipv4_frag_off; /* host order, flags + offset */
	__u8 l4_proto;	     /* default UDP */
	__u16 dport;	     /* default TEST_PORT */
	int payload;	     /* UDP payload bytes */
	int pad;	     /* link-layer padding after the IP datagram */
	int truncate;	     /* cut the frame to this many bytes when non-zero */
	bool zero_csum;	     /* IPv4 UDP without a checksum */
	bool all_ip;	     /* fault_all_ip: match every IPv4/IPv6 packet */
	__u32 drop_ppm, corrupt_ppm, flags;
	__u32 want_action;
	enum counter want;
	enum change change;
};

static const struct fault_case cases[] = {
	{"ipv4 p2pkp, no faults configured", L3_IPV4, .payload = 64, .want_action = XDP_PASS,
	 .want = C_PASSED, .change = SAME},
	{"ipv4 p2pkp, drop 100%", L3_IPV4, .payload = 64, .drop_ppm = PCT(100),
	 .want_action = XDP_DROP, .want = C_DROPPED},
	{"ipv6 p2pkp, drop 100%", L3_IPV6, .payload = 64, .drop_ppm = PCT(100),
	 .want_action = XDP_DROP, .want = C_DROPPED},
	{"ipv6 hop-by-hop p2pkp, drop 100%", L3_IPV6, .ipv6_hop = 1, .payload = 64,
	 .drop_ppm = PCT(100), .want_action = XDP_DROP, .want = C_DROPPED},
	{"802.1Q p2pkp, drop 100%", L3_IPV4, .vlan_tags = 1, .payload = 64, .drop_ppm = PCT(100),
	 .want_action = XDP_DROP, .want = C_DROPPED},
	{"QinQ ipv6 p2pkp, drop 100%", L3_IPV6, .vlan_tags = 2, .payload = 64, .drop_ppm = PCT(100),
	 .want_action = XDP_DROP, .want = C_DROPPED},
	{"ipv4 exact p2pkp header, drop 100%", L3_IPV4, .payload = 16, .drop_ppm = PCT(100),
	 .want_action = XDP_DROP, .want = C_DROPPED},
	{"ipv4 other udp port untouched", L3_IPV4, .dport = 53, .payload = 64, .drop_ppm = PCT(50),
	 .corrupt_ppm = PCT(50), .want_action = XDP_PASS, .want = C_OTHER},
	{"ipv6 other udp port untouched", L3_IPV6, .dport = 7472, .payload = 64,
	 .drop_ppm = PCT(100), .want_action = XDP_PASS, .want = C_OTHER},
	{"ipv4 tcp to the port untouched", L3_IPV4, .l4_proto = IPPROTO_TCP, .payload = 64,
	 .drop_ppm = PCT(100), .want_action = XDP_PASS, .want = C_OTHER},
	{"ipv4 icmp untouched", L3_IPV4, .l4_proto = IPPROTO_ICMP, .payload = 64,
	 .corrupt_ppm = PCT(100), .want_action = XDP_PASS, .want = C_OTHER},
	{"arp untouched", L3_ARP, .drop_ppm = PCT(100), .want_action = XDP_PASS, .want = C_OTHER},
	{"ipv4 runt p2pkp payload untouched", L3_IPV4, .payload = 15, .drop_ppm = PCT(100),
	 .want_action = XDP_PASS, .want = C_OTHER},
	{"ipv4 fragment untouched", L3_IPV4, .ipv4_frag_off = 0x2000, .payload = 64,
	 .drop_ppm = PCT(100), .want_action = XDP_PASS, .want = C_OTHER},
	{"truncated udp header untouched", L3_IPV4, .payload = 64, .truncate = ETH_LEN + 20 + 4,
	 .drop_ppm = PCT(100), .want_action = XDP_PASS, .want = C_OTHER},
	{"truncated payload untouched", L3_IPV4, .payload = 64, .truncate = ETH_LEN + 20 + 8 + 10,
	 .corrupt_ppm = PCT(100), .want_action = XDP_PASS, .want = C_OTHER},
	{"ipv4 corrupt 100%, stale checksum", L3_IPV4, .payload = 64, .corrupt_ppm = PCT(100),
	 .want_action = XDP_PASS, .want = C_CORRUPTED, .change = ONE_BYTE},
	{"ipv4 corrupt 100%, fixed checksum", L3_IPV4, .payload = 64, .corrupt_ppm = PCT(100),
	 .flags = P2PKP_FAULT_F_FIX_CSUM, .want_action = XDP_PASS, .want = C_CORRUPTED,
	 .change = ONE_BYTE_CSUM},
	{"ipv4 odd payload, fixed checksum", L3_IPV4, .payload = 77, .corrupt_ppm = PCT(100),
	 .flags = P2PKP_FAULT_F_FIX_CSUM, .want_action = XDP_PASS, .want = C_CORRUPTED,
	 .change = ONE_BYTE_CSUM},
	{"ipv4 no checksum stays zero", L3_IPV4, .payload = 64, .zero_csum = true,
	 .corrupt_ppm = PCT(100), .flags = P2PKP_FAULT_F_FIX_CSUM, .want_action = XDP_PASS,
	 .want = C_CORRUPTED, .change = ONE_BYTE},
	{"ipv6 corrupt 100%, stale checksum", L3_IPV6, .payload = 64, .corrupt_ppm = PCT(100),
	 .want_action = XDP_PASS, .want = C_CORRUPTED, .change = ONE_BYTE},
	{"ipv6 corrupt 100%, fixed checksum", L3_IPV6, .payload = 200, .corrupt_ppm = PCT(100),
	 .flags = P2PKP_FAULT_F_FIX_CSUM, .want_action = XDP_PASS, .want = C_CORRUPTED,
	 .change = ONE_BYTE_CSUM},
	{"ipv4 corrupt spares ethernet padding", L3_IPV4, .payload = 16, .pad = 30,
	 .corrupt_ppm = PCT(100), .flags = P2PKP_FAULT_F_FIX_CSUM, .want_action = XDP_PASS,
	 .want = C_CORRUPTED, .change = ONE_BYTE_CSUM},
	{"drop wins over corrupt at 100%", L3_IPV4, .payload = 64, .drop_ppm = PCT(100),
	 .want_action = XDP_DROP, .want = C_DROPPED},
	/* --match ip: any protocol, port or length; what is not IP passes. */
	{"all-ip: ipv4 tcp, drop 100%", L3_IPV4, .l4_proto = IPPROTO_TCP, .payload = 64,
	 .all_ip = true, .drop_ppm = PCT(100), .want_action = XDP_DROP, .want = C_DROPPED},
	{"all-ip: ipv6 tcp, drop 100%", L3_IPV6, .l4_proto = IPPROTO_TCP, .payload = 64,
	 .all_ip = true, .drop_ppm = PCT(100), .want_action = XDP_DROP, .want = C_DROPPED},
	{"all-ip: ipv4 other udp port, drop 100%", L3_IPV4, .dport = 53, .payload = 64,
	 .all_ip = true, .drop_ppm = PCT(100), .want_action = XDP_DROP, .want = C_DROPPED},
	{"all-ip: ipv4 runt udp, drop 100%", L3_IPV4, .payload = 1, .all_ip = true,
	 .drop_ppm = PCT(100), .want_action = XDP_DROP, .want = C_DROPPED},
	{"all-ip: ipv4 fragment, drop 100%", L3_IPV4, .ipv4_frag_off = 0x2000, .payload = 64,
	 .all_ip = true, .drop_ppm = PCT(100), .want_action = XDP_DROP, .want = C_DROPPED},
	{"all-ip: QinQ ipv6 icmp, drop 100%", L3_IPV6, .vlan_tags = 2, .l4_proto = IPPROTO_ICMPV6,
	 .payload = 32, .all_ip = true, .drop_ppm = PCT(100), .want_action = XDP_DROP,
	 .want = C_DROPPED},
	{"all-ip: ipv4 tcp, no faults configured", L3_IPV4, .l4_proto = IPPROTO_TCP, .payload = 64,
	 .all_ip = true, .want_action = XDP_PASS, .want = C_PASSED, .change = SAME},
	{"all-ip: corrupt never applies", L3_IPV4, .payload = 64, .all_ip = true,
	 .corrupt_ppm = PCT(100), .flags = P2PKP_FAULT_F_FIX_CSUM, .want_action = XDP_PASS,
	 .want = C_PASSED, .change = SAME},
	{"all-ip: arp untouched", L3_ARP, .all_ip = true, .drop_ppm = PCT(100),
	 .want_action = XDP_PASS, .want = C_OTHER},
	{"all-ip: truncated ipv4 header untouched", L3_IPV4, .payload = 64,
	 .truncate = ETH_LEN + 19, .all_ip = true, .drop_ppm = PCT(100), .want_action = XDP_PASS,
	 .want = C_OTHER},
	{"all-ip: truncated ipv6 header untouched", L3_IPV6, .payload = 64,
	 .truncate = ETH_LEN + 39, .all_ip = true, .drop_ppm = PCT(100), .want_action = XDP_PASS,
	 .want = C_OTHER},
};

#define N_CASES (sizeof(cases) / sizeof(cases[0]))

/* --- frame builder -------------------------------------------------------- */

static __u8 l4_proto(const struct fault_case *c)
{
	return c->l4_proto ? c->l4_proto : IPPROTO_UDP;
}

static void build_l4(struct frame *f, const struct fault_case *c)
{
	size_t i;

	if (l4_proto(c) != IPPROTO_UDP) {
		f->udp_off = f->len;
		put_zeros(f, 20 + (size_t)c->payload);
		return;
	}
	put_udp(f, c->dport ? c->dport : TEST_PORT, c->payload, 0);
	f->payload_off = f->len;
	f->payload_len = (size_t)c->payload;
	/* A recognisable pattern, so a flipped byte shows where it was. */
	for (i = 0; i < f->payload_len; i++) {
		__u8 v = (__u8)(i * 7 + 3);

		put(f, &v, 1);
	}
}

static void build_ipv4(struct frame *f, const struct fault_case *c)
{
	size_t ip = put_ipv4(f, l4_proto(c), c->ipv4_frag_off, 0);

	build_l4(f, c);
	set_ipv4_len(f, ip, 0);
}

static void build_ipv6(struct frame *f, const struct fault_case *c)
{
	size_t ip = put_ipv6(f), next_at = ip + 6;

	if (c->ipv6_hop)
		put_ipv6_ext(f, &next_at, IPPROTO_HOPOPTS);
	set_ipv6_next(f, next_at, l4_proto(c));
	build_l4(f, c);
	set_ipv6_len(f, ip, 0);
}

static void build_frame(struct frame *f, const struct fault_case *c)
{
	memset(f, 0, sizeof(*f));
	put_eth(f, c->l3, c->vlan_tags);
	if (c->l3 == L3_IPV4)
		build_ipv4(f, c);
	else if (c->l3 == L3_IPV6)
		build_ipv6(f, c);
	else
		put_zeros(f, 28); /* an ARP body */
	if (c->l3 != L3_ARP && !c->zero_csum && l4_proto(c) == IPPROTO_UDP)
		set_udp_csum(f, c->l3 == L3_IPV6);
	put_zeros(f, (size_t)c->pad);
	if (c->truncate)
		f->len = (size_t)c->truncate;
}

/* --- running --------------------------------------------------------------- */

static struct p2pkp_fault *skel;
static size_t counter_offsets[N_COUNTERS];
static size_t stats_size;

static int quiet_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	return level == LIBBPF_WARN ? vfprintf(stderr, fmt, ap) : 0;
}

/* Where each counter lives in the map value, from the map's BTF. */
static void resolve_counters(void)
{
	const struct btf *btf = bpf_object__btf(skel->obj);
	const struct btf_member *m;
	const struct btf_type *t;
	int i, j;

	t = btf__type_by_id(btf, bpf_map__btf_value_type_id(skel->maps.fault_stats));
	assert_non_null(t);
	assert_true(btf_is_struct(t));
	stats_size = t->size;
	for (i = 0; i < N_COUNTERS; i++) {
		for (j = 0, m = btf_members(t); j < btf_vlen(t); j++, m++)
			if (!strcmp(btf__name_by_offset(btf, m->name_off), counter_names[i]))
				break;
		if (j == btf_vlen(t))
			fail_msg("counter %s missing from the program's BTF", counter_names[i]);
		counter_offsets[i] = btf_member_bit_offset(t, (__u32)j) / 8;
	}
}

/* Seed every CPU with the same state, so the CPU the test runs on does not matter. */
static void seed_rng(__u64 state)
{
	int ncpus = libbpf_num_possible_cpus(), i;
	__u64 *v;
	__u32 key = 0;

	assert_true(ncpus > 0 && ncpus <= MAX_CPUS);
	v = calloc((size_t)ncpus, sizeof(*v));
	assert_non_null(v);
	for (i = 0; i < ncpus; i++)
		v[i] = state;
	assert_int_equal(bpf_map_update_elem(bpf_map__fd(skel->maps.fault_rng), &key, v, 0), 0);
	free(v);
}

static void load_prog_match(bool all_ip, __u32 drop, __u32 corrupt, __u32 flags, __u64 seed)
{
	p2pkp_fault__destroy(skel);
	skel = p2pkp_fault__open();
	assert_non_null(skel);
	skel->rodata->fault_all_ip = all_ip;
	skel->rodata->fault_port = TEST_PORT;
	skel->rodata->drop_ppm = drop;
	skel->rodata->corrupt_ppm = corrupt;
	skel->rodata->fault_flags = flags;
	skel->rodata->fault_seed = seed;
	assert_int_equal(p2pkp_fault__load(skel), 0);
	resolve_counters();
	seed_rng(seed);
}

static void load_prog(__u32 drop, __u32 corrupt, __u32 flags, __u64 seed)
{
	load_prog_match(false, drop, corrupt, flags, seed);
}

static void read_counters(__u64 out[N_COUNTERS])
{
	int ncpus = libbpf_num_possible_cpus(), i, j;
	__u32 key = 0;
	__u8 *percpu;

	percpu = calloc((size_t)ncpus, stats_size);
	assert_non_null(percpu);
	assert_int_equal(bpf_map_lookup_elem(bpf_map__fd(skel->maps.fault_stats), &key, percpu), 0);
	for (i = 0; i < N_COUNTERS; i++) {
		out[i] = 0;
		for (j = 0; j < ncpus; j++) {
			__u64 v;

			memcpy(&v, percpu + (size_t)j * stats_size + counter_offsets[i], sizeof(v));
			out[i] += v;
		}
	}
	free(percpu);
}

/* Runs f once; returns the verdict and leaves the output frame in out. */
static __u32 run_frame(const struct frame *f, struct frame *out)
{
	DECLARE_LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = f->b, .data_size_in = (__u32)f->len,
			    .data_out = out->b, .data_size_out = sizeof(out->b), .repeat = 1);
	int err = bpf_prog_test_run_opts(bpf_program__fd(skel->progs.p2pkp_fault), &opts);

	assert_int_equal(err, 0);
	/* Same layout as the input: the program never moves headers. */
	out->l3_off = f->l3_off;
	out->udp_off = f->udp_off;
	out->payload_off = f->payload_off;
	out->payload_len = f->payload_len;
	out->len = opts.data_size_out;
	return opts.retval;
}

/* Index of the one byte that differs, -1 if none; fails if more than one. */
static int only_difference(const struct frame *a, const struct frame *b, const char *name)
{
	int diff = -1;
	size_t i;

	assert_int_equal(a->len, b->len);
	for (i = 0; i < a->len; i++) {
		if (a->b[i] == b->b[i])
			continue;
		if (diff >= 0)
			fail_msg("%s: bytes %d and %zu both changed", name, diff, i);
		diff = (int)i;
	}
	return diff;
}

/* Same as only_difference, ignoring the UDP checksum field. */
static int payload_difference(const struct frame *in, const struct frame *out, const char *name)
{
	struct frame tmp = *out;

	memcpy(tmp.b + in->udp_off + 6, in->b + in->udp_off + 6, 2);
	return only_difference(in, &tmp, name);
}

static void check_change(const struct fault_case *c, const struct frame *in,
			 const struct frame *out)
{
	bool v6 = c->l3 == L3_IPV6;
	int pos = -1;

	switch (c->change) {
	case SAME:
		if (c->want_action == XDP_PASS)
			assert_int_equal(only_difference(in, out, c->name), -1);
		return;
	case ONE_BYTE:
		pos = only_difference(in, out, c->name);
		break;
	case ONE_BYTE_CSUM:
		pos = payload_difference(in, out, c->name);
		assert_int_equal(udp_sum(out, v6), 0xffff);
		break;
	}
	if (pos < (int)in->payload_off || pos >= (int)(in->payload_off + in->payload_len))
		fail_msg("%s: byte %d changed, outside the payload [%zu, %zu)", c->name, pos,
			 in->payload_off, in->payload_off + in->payload_len);
	if (c->change == ONE_BYTE && !c->zero_csum)
		assert_int_not_equal(udp_sum(out, v6), 0xffff); /* stale: the receiver sees it */
	if (c->zero_csum)
		assert_int_equal(get_be16(out->b, out->udp_off + 6), 0);
}

static void run_case(void **state)
{
	const struct fault_case *c = *state;
	__u64 before[N_COUNTERS], after[N_COUNTERS];
	struct frame in, out;
	int i;

	load_prog_match(c->all_ip, c->drop_ppm, c->corrupt_ppm, c->flags, 1);
	build_frame(&in, c);
	if (c->l3 != L3_ARP && !c->truncate && !c->zero_csum &&
	    (!c->l4_proto || c->l4_proto == IPPROTO_UDP))
		assert_int_equal(udp_sum(&in, c->l3 == L3_IPV6), 0xffff); /* builder sanity */
	read_counters(before);
	assert_int_equal(run_frame(&in, &out), c->want_action);
	read_counters(after);
	for (i = 0; i < N_COUNTERS; i++) {
		__u64 want = before[i] + (i == (int)c->want);

		if (i == C_SEEN && c->want != C_OTHER)
			want++;
		if (after[i] != want)
			fail_msg("%s: counter %s is %llu, expected %llu", c->name, counter_names[i],
				 (unsigned long long)after[i], (unsigned long long)want);
	}
	check_change(c, &in, &out);
}

/* --- properties ------------------------------------------------------------ */

#define N_RUNS 1000

static const struct fault_case plain_v4 = {"plain", L3_IPV4, .payload = 64};

/* Runs n copies of the frame; verdicts[i] is 1 for a drop, 0 for a pass. */
static unsigned int run_many(const struct fault_case *c, __u8 *verdicts, unsigned int n)
{
	struct frame in, out;
	unsigned int i, drops = 0;

	build_frame(&in, c);
	for (i = 0; i < n; i++) {
		verdicts[i] = run_frame(&in, &out) == XDP_DROP;
		drops += verdicts[i];
	}
	return drops;
}

static void same_seed_same_decisions(void **state)
{
	__u8 a[N_RUNS], b[N_RUNS], other[N_RUNS];
	unsigned int da, db;

	load_prog(PCT(10), 0, 0, 42);
	da = run_many(&plain_v4, a, N_RUNS);
	load_prog(PCT(10), 0, 0, 42);
	db = run_many(&plain_v4, b, N_RUNS);
	assert_int_equal(da, db);
	assert_memory_equal(a, b, N_RUNS);
	/* 10% +- 3% of 1000. */
	if (da < 70 || da > 130)
		fail_msg("10%% drop dropped %u of %d", da, N_RUNS);

	load_prog(PCT(10), 0, 0, 43);
	run_many(&plain_v4, other, N_RUNS);
	assert_memory_not_equal(a, other, N_RUNS);
}

/* Reseeding the same loaded program restarts the same sequence. */
static void reseed_restarts_sequence(void **state)
{
	__u8 a[N_RUNS], b[N_RUNS];

	load_prog(PCT(30), 0, 0, 7);
	run_many(&plain_v4, a, N_RUNS);
	seed_rng(7);
	run_many(&plain_v4, b, N_RUNS);
	assert_memory_equal(a, b, N_RUNS);
}

static void rates_match_configuration(void **state)
{
	__u64 before[N_COUNTERS], after[N_COUNTERS], seen;
	struct frame in, out;
	unsigned int i, n = 5000;
	double drop, corrupt;

	load_prog(PCT(20), PCT(5), 0, 1234);
	build_frame(&in, &plain_v4);
	read_counters(before);
	for (i = 0; i < n; i++)
		run_frame(&in, &out);
	read_counters(after);
	seen = after[C_SEEN] - before[C_SEEN];
	assert_int_equal(seen, n);
	assert_int_equal(after[C_PASSED] - before[C_PASSED] + after[C_DROPPED] - before[C_DROPPED] +
				 after[C_CORRUPTED] - before[C_CORRUPTED],
			 seen);
	drop = (double)(after[C_DROPPED] - before[C_DROPPED]) / n;
	corrupt = (double)(after[C_CORRUPTED] - before[C_CORRUPTED]) / n;
	if (drop < 0.17 || drop > 0.23 || corrupt < 0.03 || corrupt > 0.07)
		fail_msg("drop %.3f (want 0.20), corrupt %.3f (want 0.05)", drop, corrupt);
}

/* --match ip takes one draw per IP packet: TCP segments are lost at the configured rate. */
static void all_ip_rate_over_tcp(void **state)
{
	static const struct fault_case tcp = {"tcp", L3_IPV4, .l4_proto = IPPROTO_TCP,
					      .payload = 100};
	__u8 v[N_RUNS];
	unsigned int drops;

	load_prog_match(true, PCT(10), 0, 0, 42);
	drops = run_many(&tcp, v, N_RUNS);
	/* 10% +- 3% of 1000. */
	if (drops < 70 || drops > 130)
		fail_msg("10%% drop of TCP segments dropped %u of %d", drops, N_RUNS);
}

/* Every flip stays inside the payload, and every payload byte gets flipped. */
static void corruption_covers_payload(void **state)
{
	static const struct fault_case c = {"spread", L3_IPV4, .payload = 50, .pad = 10};
	unsigned int hits[64] = {0};
	struct frame in, out;
	int i, pos;

	load_prog(0, PCT(100), P2PKP_FAULT_F_FIX_CSUM, 99);
	build_frame(&in, &c);
	for (i = 0; i < 2000; i++) {
		assert_int_equal(run_frame(&in, &out), XDP_PASS);
		pos = payload_difference(&in, &out, c.name) - (int)in.payload_off;
		if (pos < 0 || pos >= c.payload)
			fail_msg("flip at payload offset %d of %d", pos, c.payload);
		assert_int_equal(udp_sum(&out, false), 0xffff);
		hits[pos]++;
	}
	for (i = 0; i < c.payload; i++)
		if (!hits[i])
			fail_msg("payload byte %d never flipped in 2000 runs", i);
}

static int teardown(void **state)
{
	p2pkp_fault__destroy(skel);
	skel = NULL;
	return 0;
}

/*
 * The generator's state is per CPU and BPF_PROG_TEST_RUN runs on the caller's
 * CPU: a test that moved between CPUs would compare two different sequences.
 */
static void pin_to_one_cpu(void)
{
	cpu_set_t set;
	int cpu = sched_getcpu();

	CPU_ZERO(&set);
	CPU_SET(cpu < 0 ? 0 : cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		fprintf(stderr, "# cannot pin to one CPU: %s\n", strerror(errno));
}

int main(void)
{
	static const struct {
		void (*fn)(void **);
		const char *name;
	} props[] = {
		{same_seed_same_decisions, "same seed, same 1000 decisions; 10% drop within 3%"},
		{reseed_restarts_sequence, "reseeding restarts the sequence"},
		{rates_match_configuration, "20% drop and 5% corrupt over 5000 datagrams"},
		{corruption_covers_payload, "corruption hits every payload byte and only those"},
		{all_ip_rate_over_tcp, "all-ip: 10% drop of 1000 TCP segments"},
	};
	struct CMUnitTest tests[N_CASES + sizeof(props) / sizeof(props[0])];
	size_t i, n = 0;

	libbpf_set_print(quiet_print);
	pin_to_one_cpu();
	for (i = 0; i < N_CASES; i++, n++) {
		tests[n] =
			(struct CMUnitTest)cmocka_unit_test_prestate(run_case, (void *)&cases[i]);
		tests[n].name = cases[i].name;
	}
	for (i = 0; i < sizeof(props) / sizeof(props[0]); i++, n++) {
		tests[n] = (struct CMUnitTest)cmocka_unit_test(props[i].fn);
		tests[n].name = props[i].name;
	}
	return _cmocka_run_group_tests("fault_prog", tests, n, NULL, teardown);
}
