// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Packet in, verdict and counter out: the steering program run through
 * BPF_PROG_TEST_RUN over a fixture table (katran style). Each case builds one
 * frame, runs it, and checks the verdict and that exactly the expected
 * counter of the expected family moved by one (and, for no_socket, the
 * queue's count in rx_stats).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_ether.h>
#include <linux/if_link.h>
#include <linux/in.h>
#include <net/if.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cmocka.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <xdp/xsk.h>

#include "p2pkp_shared.h"
#include "p2pkp_steer.skel.h"
#include "frame_builder.h"

#define TEST_PORT 7471
#define MAX_EXT	  6

enum counter {
	C_STEERED,
	C_PASSED,
	C_TOO_SHORT,
	C_FRAGMENTS,
	C_NO_SOCKET,
	C_MALFORMED,
	N_COUNTERS,
};

static const char *const counter_names[N_COUNTERS] = {
	"steered", "passed", "too_short", "fragments", "no_socket", "malformed",
};
static const char *const fam_names[P2PKP_NFAMS] = {"ipv4", "ipv6", "other"};

/* Every counter of every family, and rx_stats' no_socket of queue 0. */
struct counts {
	__u64 c[P2PKP_NFAMS][N_COUNTERS];
	__u64 queue0_no_socket;
};

/* One fixture: how to build the frame, and what the program must do with it. */
struct steer_case {
	const char *name;
	enum l3 l3;
	int vlan_tags;	     /* 0..3; 802.1ad outer when 2 or more */
	int ipv4_opt_words;  /* IPv4 options, in 32-bit words (IHL - 5) */
	int ipv4_ihl;	     /* override IHL when non-zero */
	__u16 ipv4_frag_off; /* host order, flags + offset */
	int ipv4_version;    /* override version when non-zero */
	int n_ext;	     /* IPv6 extension headers, */
	__u8 ext[MAX_EXT];   /* their types in order */
	__u8 l4_proto;	     /* default UDP */
	__u16 dport;	     /* default TEST_PORT */
	int payload;	     /* UDP payload bytes */
	int udp_len_delta;   /* added to the true UDP length */
	int ip_len_delta;    /* added to the true IP total/payload length */
	int truncate;	     /* cut the frame to this many bytes when non-zero */
	int pad;	     /* link-layer padding after the IP datagram */
	__u16 ethertype;     /* override the innermost EtherType when non-zero */
	__u32 want_action;
	enum counter want;
	bool want_other; /* counted under "other", not under l3's family */
};

static const struct steer_case cases[] = {
	{"ipv4 p2pkp datagram", L3_IPV4, .payload = 64, .want_action = XDP_PASS,
	 .want = C_NO_SOCKET},
	{"ipv4 exact header length", L3_IPV4, .payload = 16, .want_action = XDP_PASS,
	 .want = C_NO_SOCKET},
	{"ipv4 runt p2pkp header (15 B)", L3_IPV4, .payload = 15, .want_action = XDP_PASS,
	 .want = C_TOO_SHORT},
	{"ipv4 empty udp payload", L3_IPV4, .payload = 0, .want_action = XDP_PASS,
	 .want = C_TOO_SHORT},
	{"ipv4 wrong port", L3_IPV4, .dport = 53, .payload = 64, .want_action = XDP_PASS,
	 .want = C_PASSED},
	{"ipv4 tcp to the port", L3_IPV4, .l4_proto = IPPROTO_TCP, .payload = 64,
	 .want_action = XDP_PASS, .want = C_PASSED},
	{"ipv4 with options (IHL 8)", L3_IPV4, .ipv4_opt_words = 3, .payload = 64,
	 .want_action = XDP_PASS, .want = C_NO_SOCKET},
	{"ipv4 max options (IHL 15)", L3_IPV4, .ipv4_opt_words = 10, .payload = 64,
	 .want_action = XDP_PASS, .want = C_NO_SOCKET},
	{"ipv4 IHL below 5", L3_IPV4, .ipv4_ihl = 4, .payload = 64, .want_action = XDP_PASS,
	 .want = C_MALFORMED},
	{"ipv4 wrong version nibble", L3_IPV4, .ipv4_version = 6, .payload = 64,
	 .want_action = XDP_PASS, .want = C_MALFORMED},
	{"ipv4 first fragment (MF)", L3_IPV4, .ipv4_frag_off = 0x2000, .payload = 64,
	 .want_action = XDP_PASS, .want = C_FRAGMENTS},
	{"ipv4 later fragment (offset)", L3_IPV4, .ipv4_frag_off = 0x00b9, .payload = 64,
	 .want_action = XDP_PASS, .want = C_FRAGMENTS},
	{"ipv4 DF is not a fragment", L3_IPV4, .ipv4_frag_off = 0x4000, .payload = 64,
	 .want_action = XDP_PASS, .want = C_NO_SOCKET},
	{"ipv4 total length past frame", L3_IPV4, .payload = 64, .ip_len_delta = 1,
	 .want_action = XDP_PASS, .want = C_MALFORMED},
	{"ipv4 total length below IHL", L3_IPV4, .payload = 64, .ip_len_delta = -80,
	 .want_action = XDP_PASS, .want = C_MALFORMED},
	{"ipv4 udp length past IP", L3_IPV4, .payload = 64, .udp_len_delta = 1,
	 .want_action = XDP_PASS, .want = C_MALFORMED},
	{"ipv4 udp length below 8", L3_IPV4, .payload = 64, .udp_len_delta = -70,
	 .want_action = XDP_PASS, .want = C_MALFORMED},
	{"ipv4 udp length hides payload", L3_IPV4, .payload = 64, .udp_len_delta = -60,
	 .want_action = XDP_PASS, .want = C_TOO_SHORT},
	{"ipv4 ethernet padding allowed", L3_IPV4, .payload = 16, .pad = 20,
	 .want_action = XDP_PASS, .want = C_NO_SOCKET},
	{"ethernet header only", L3_IPV4, .payload = 64, .truncate = 14, .want_action = XDP_PASS,
	 .want = C_MALFORMED},
	{"truncated ipv4 header", L3_IPV4, .payload = 64, .truncate = 14 + 12,
	 .want_action = XDP_PASS, .want = C_MALFORMED},
	{"truncated ipv4 options", L3_IPV4, .ipv4_opt_words = 4, .payload = 64, .truncate = 14 + 28,
	 .want_action = XDP_PASS, .want = C_MALFORMED},
	{"truncated udp header", L3_IPV4, .payload = 0, .truncate = 14 + 20 + 4,
	 .want_action = XDP_PASS, .want = C_MALFORMED},
	{"truncated p2pkp payload", L3_IPV4, .payload = 64, .truncate = 14 + 20 + 8 + 10,
	 .want_action = XDP_PASS, .want = C_MALFORMED},
	{"802.1Q tagged", L3_IPV4, .vlan_tags = 1, .payload = 64, .want_action = XDP_PASS,
	 .want = C_NO_SOCKET},
	{"QinQ 802.1ad + 802.1Q", L3_IPV4, .vlan_tags = 2, .payload = 64, .want_action = XDP_PASS,
	 .want = C_NO_SOCKET},
	{"three vlan tags are not parsed", L3_IPV4, .vlan_tags = 3, .payload = 64,
	 .want_action = XDP_PASS, .want = C_PASSED, .want_other = true},
	{"truncated vlan tag", L3_IPV4, .vlan_tags = 1, .payload = 64, .truncate = 16,
	 .want_action = XDP_PASS, .want = C_MALFORMED, .want_other = true},
	{"arp", L3_ARP, .want_action = XDP_PASS, .want = C_PASSED, .want_other = true},
	{"802.1Q-tagged arp", L3_ARP, .vlan_tags = 1, .want_action = XDP_PASS, .want = C_PASSED,
	 .want_other = true},
	{"ipv6 p2pkp datagram", L3_IPV6, .payload = 64, .want_action = XDP_PASS,
	 .want = C_NO_SOCKET},
	{"ipv6 runt p2pkp header", L3_IPV6, .payload = 8, .want_action = XDP_PASS,
	 .want = C_TOO_SHORT},
	{"ipv6 wrong port", L3_IPV6, .dport = 7472, .payload = 64, .want_action = XDP_PASS,
	 .want = C_PASSED},
	{"ipv6 hop-by-hop", L3_IPV6, .n_ext = 1, .ext = {IPPROTO_HOPOPTS}, .payload = 64,
	 .want_action = XDP_PASS, .want = C_NO_SOCKET},
	{"ipv6 hop-by-hop, routing, dest-opts", L3_IPV6, .n_ext = 3,
	 .ext = {IPPROTO_HOPOPTS, IPPROTO_ROUTING, IPPROTO_DSTOPTS}, .payload = 64,
	 .want_action = XDP_PASS, .want = C_NO_SOCKET},
	{"ipv6 five extension headers", L3_IPV6, .n_ext = 5,
	 .ext = {IPPROTO_HOPOPTS, IPPROTO_DSTOPTS, IPPROTO_ROUTING, IPPROTO_DSTOPTS,
		 IPPROTO_DSTOPTS},
	 .payload = 64, .want_action = XDP_PASS, .want = C_PASSED},
	{"ipv6 fragment header", L3_IPV6, .n_ext = 1, .ext = {IPPROTO_FRAGMENT}, .payload = 64,
	 .want_action = XDP_PASS, .want = C_FRAGMENTS},
	{"ipv6 dest-opts then fragment", L3_IPV6, .n_ext = 2,
	 .ext = {IPPROTO_DSTOPTS, IPPROTO_FRAGMENT}, .payload = 64, .want_action = XDP_PASS,
	 .want = C_FRAGMENTS},
	{"ipv6 tcp", L3_IPV6, .l4_proto = IPPROTO_TCP, .payload = 64, .want_action = XDP_PASS,
	 .want = C_PASSED},
	{"ipv6 payload length past frame", L3_IPV6, .payload = 64, .ip_len_delta = 1,
	 .want_action = XDP_PASS, .want = C_MALFORMED},
	{"ipv6 extension past payload length", L3_IPV6, .n_ext = 1, .ext = {IPPROTO_HOPOPTS},
	 .payload = 0, .ip_len_delta = -16, .want_action = XDP_PASS, .want = C_MALFORMED},
	{"ipv6 udp length past payload", L3_IPV6, .payload = 64, .udp_len_delta = 8,
	 .want_action = XDP_PASS, .want = C_MALFORMED},
	{"truncated ipv6 header", L3_IPV6, .payload = 64, .truncate = 14 + 30,
	 .want_action = XDP_PASS, .want = C_MALFORMED},
	{"truncated ipv6 extension", L3_IPV6, .n_ext = 1, .ext = {IPPROTO_HOPOPTS}, .payload = 64,
	 .truncate = 14 + 40 + 1, .want_action = XDP_PASS, .want = C_MALFORMED},
	{"ipv6 in QinQ", L3_IPV6, .vlan_tags = 2, .payload = 64, .want_action = XDP_PASS,
	 .want = C_NO_SOCKET},
	/* Each IPv6 reason under the IPv6 family, as its IPv4 twin above is under IPv4. */
	{"ipv6 exact header length", L3_IPV6, .payload = 16, .want_action = XDP_PASS,
	 .want = C_NO_SOCKET},
	{"ipv6 empty udp payload", L3_IPV6, .payload = 0, .want_action = XDP_PASS,
	 .want = C_TOO_SHORT},
	{"ipv6 udp length hides payload", L3_IPV6, .payload = 64, .udp_len_delta = -60,
	 .want_action = XDP_PASS, .want = C_TOO_SHORT},
	{"ipv6 udp length below 8", L3_IPV6, .payload = 64, .udp_len_delta = -70,
	 .want_action = XDP_PASS, .want = C_MALFORMED},
	{"ipv6 ethernet padding allowed", L3_IPV6, .payload = 16, .pad = 20,
	 .want_action = XDP_PASS, .want = C_NO_SOCKET},
	{"ipv6 ethernet header only", L3_IPV6, .payload = 64, .truncate = 14,
	 .want_action = XDP_PASS, .want = C_MALFORMED},
	{"ipv6 truncated udp header", L3_IPV6, .payload = 0, .truncate = 14 + 40 + 4,
	 .want_action = XDP_PASS, .want = C_MALFORMED},
	{"ipv6 truncated p2pkp payload", L3_IPV6, .payload = 64, .truncate = 14 + 40 + 8 + 10,
	 .want_action = XDP_PASS, .want = C_MALFORMED},
	{"ipv6 icmpv6 (neighbour discovery)", L3_IPV6, .l4_proto = IPPROTO_ICMPV6, .payload = 24,
	 .want_action = XDP_PASS, .want = C_PASSED},
	{"ipv6 in 802.1Q", L3_IPV6, .vlan_tags = 1, .payload = 64, .want_action = XDP_PASS,
	 .want = C_NO_SOCKET},
	{"truncated vlan tag before ipv6", L3_IPV6, .vlan_tags = 1, .payload = 64, .truncate = 16,
	 .want_action = XDP_PASS, .want = C_MALFORMED, .want_other = true},
	{"ipv6 version nibble under the ipv4 ethertype", L3_IPV6, .ethertype = ETH_P_IP,
	 .payload = 64, .want_action = XDP_PASS, .want = C_MALFORMED},
	{"ipv4 under the ipv6 ethertype", L3_IPV4, .ethertype = ETH_P_IPV6, .payload = 64,
	 .want_action = XDP_PASS, .want = C_MALFORMED},
};

#define N_CASES (sizeof(cases) / sizeof(cases[0]))

/* --- frame builder -------------------------------------------------------- */

static __u8 l4_proto(const struct steer_case *c)
{
	return c->l4_proto ? c->l4_proto : IPPROTO_UDP;
}

static void build_l4(struct frame *f, const struct steer_case *c)
{
	if (l4_proto(c) != IPPROTO_UDP) {
		put_zeros(f, 20 + (size_t)c->payload); /* a TCP header's worth */
		return;
	}
	put_udp(f, c->dport ? c->dport : TEST_PORT, c->payload, c->udp_len_delta);
	put_zeros(f, (size_t)c->payload);
}

static void build_ipv4(struct frame *f, const struct steer_case *c)
{
	size_t ip = put_ipv4(f, l4_proto(c), c->ipv4_frag_off, c->ipv4_opt_words);
	int ihl = c->ipv4_ihl ? c->ipv4_ihl : 5 + c->ipv4_opt_words;
	int version = c->ipv4_version ? c->ipv4_version : 4;

	f->b[ip] = (__u8)(version << 4 | ihl);
	build_l4(f, c);
	set_ipv4_len(f, ip, c->ip_len_delta);
}

static void build_ipv6(struct frame *f, const struct steer_case *c)
{
	size_t ip = put_ipv6(f), next_at = ip + 6;
	int i;

	for (i = 0; i < c->n_ext; i++)
		put_ipv6_ext(f, &next_at, c->ext[i]);
	set_ipv6_next(f, next_at, l4_proto(c));
	build_l4(f, c);
	set_ipv6_len(f, ip, c->ip_len_delta);
}

static void build_frame(struct frame *f, const struct steer_case *c)
{
	memset(f, 0, sizeof(*f));
	put_eth(f, c->l3, c->vlan_tags);
	if (c->l3 == L3_IPV4)
		build_ipv4(f, c);
	else if (c->l3 == L3_IPV6)
		build_ipv6(f, c);
	else
		put_zeros(f, 28); /* an ARP body */
	put_zeros(f, (size_t)c->pad);
	if (c->ethertype) /* the innermost EtherType ends where the IP header starts */
		set_be16(f->b, f->l3_off - 2, c->ethertype);
	if (c->truncate)
		f->len = (size_t)c->truncate;
}

/* The family the case's packet must be counted under. */
static int case_fam(const struct steer_case *c)
{
	__u16 type = c->ethertype;

	if (c->want_other)
		return P2PKP_FAM_OTHER;
	if (!type)
		return c->l3 == L3_IPV6 ? P2PKP_FAM_IPV6 : P2PKP_FAM_IPV4;
	return type == ETH_P_IPV6 ? P2PKP_FAM_IPV6 : P2PKP_FAM_IPV4;
}

/* --- running --------------------------------------------------------------- */

struct fixture {
	struct p2pkp_steer *skel;
};

static struct fixture fx;

static int setup_skel(void **state)
{
	fx.skel = p2pkp_steer__open();
	if (!fx.skel)
		return -1;
	fx.skel->rodata->cfg.port = htons(TEST_PORT);
	if (p2pkp_steer__load(fx.skel)) {
		p2pkp_steer__destroy(fx.skel);
		fx.skel = NULL;
		return -1;
	}
	return 0;
}

static int teardown_skel(void **state)
{
	p2pkp_steer__destroy(fx.skel);
	return 0;
}

static void read_counters(struct counts *out)
{
	int ncpus = libbpf_num_possible_cpus(), i, j;
	struct p2pkp_steer_stats *percpu;
	struct p2pkp_rx_stats q0;
	__u32 key = 0;

	assert_true(ncpus > 0);
	percpu = calloc((size_t)ncpus, sizeof(*percpu));
	assert_non_null(percpu);
	assert_int_equal(bpf_map_lookup_elem(bpf_map__fd(fx.skel->maps.stats), &key, percpu), 0);
	memset(out, 0, sizeof(*out));
	for (i = 0; i < ncpus; i++) {
		for (j = 0; j < P2PKP_NFAMS; j++) {
			const struct p2pkp_steer_verdicts *v = &percpu[i].fam[j];

			out->c[j][C_STEERED] += v->steered;
			out->c[j][C_PASSED] += v->passed;
			out->c[j][C_TOO_SHORT] += v->too_short;
			out->c[j][C_FRAGMENTS] += v->fragments;
			out->c[j][C_NO_SOCKET] += v->no_socket;
			out->c[j][C_MALFORMED] += v->malformed;
		}
	}
	free(percpu);
	assert_int_equal(bpf_map_lookup_elem(bpf_map__fd(fx.skel->maps.rx_stats), &key, &q0), 0);
	out->queue0_no_socket = q0.no_socket;
}

/* Exactly one counter, want of family fam, moved by one; and queue 0's no_socket with it. */
static void check_moved(const char *name, const struct counts *before, const struct counts *after,
			int fam, enum counter want)
{
	int i, j;

	for (j = 0; j < P2PKP_NFAMS; j++) {
		for (i = 0; i < N_COUNTERS; i++) {
			__u64 expect = before->c[j][i] + (j == fam && i == (int)want ? 1 : 0);

			if (after->c[j][i] != expect)
				fail_msg("%s: %s %s is %llu, expected %llu", name, fam_names[j],
					 counter_names[i], (unsigned long long)after->c[j][i],
					 (unsigned long long)expect);
		}
	}
	if (after->queue0_no_socket != before->queue0_no_socket + (want == C_NO_SOCKET))
		fail_msg("%s: queue 0 no_socket is %llu, expected %llu", name,
			 (unsigned long long)after->queue0_no_socket,
			 (unsigned long long)(before->queue0_no_socket + (want == C_NO_SOCKET)));
}

static __u32 run_frame(const struct frame *f)
{
	DECLARE_LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = f->b, .data_size_in = (__u32)f->len,
			    .repeat = 1);
	int err = bpf_prog_test_run_opts(bpf_program__fd(fx.skel->progs.p2pkp_steer), &opts);

	assert_int_equal(err, 0);
	return opts.retval;
}

static void run_case(void **state)
{
	const struct steer_case *c = *state;
	struct counts before, after;
	struct frame f;

	build_frame(&f, c);
	read_counters(&before);
	assert_int_equal(run_frame(&f), c->want_action);
	read_counters(&after);
	check_moved(c->name, &before, &after, case_fam(c), c->want);
}

/* With a socket bound on queue 0, the same datagram is redirected and counted steered. */
static int bring_up_lo(void)
{
	struct ifreq ifr = {.ifr_name = "lo"};
	int fd = socket(AF_INET, SOCK_DGRAM, 0), err = 0;

	if (fd < 0)
		return -errno;
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) ||
	    (ifr.ifr_flags |= IFF_UP, ioctl(fd, SIOCSIFFLAGS, &ifr)))
		err = -errno;
	close(fd);
	return err;
}

static void steered_with_socket(void **state)
{
	static const struct steer_case cs[] = {
		{"bound, ipv4", L3_IPV4, .payload = 64},
		{"bound, ipv6", L3_IPV6, .payload = 64},
	};
	struct xsk_socket_config xcfg = {
		.rx_size = 64,
		.tx_size = 64,
		.libxdp_flags = XSK_LIBXDP_FLAGS__INHIBIT_PROG_LOAD,
		.bind_flags = XDP_COPY,
	};
	struct xsk_ring_prod fill, tx;
	struct xsk_ring_cons comp, rx;
	struct xsk_socket *xsk = NULL;
	struct xsk_umem *umem = NULL;
	struct counts before, after;
	struct xsk_umem_config ucfg = {.fill_size = 64, .comp_size = 64, .frame_size = 4096};
	void *area = NULL;
	__u32 key = 0;
	int fd;
	struct frame f;

	/* A private network namespace: the socket binds to its own loopback. */
	if (unshare(CLONE_NEWNET) || bring_up_lo())
		skip();
	assert_int_equal(posix_memalign(&area, 4096, 64 * 4096), 0);
	assert_int_equal(xsk_umem__create(&umem, area, 64 * 4096, &fill, &comp, &ucfg), 0);
	if (xsk_socket__create(&xsk, "lo", 0, umem, &rx, &tx, &xcfg)) {
		xsk_umem__delete(umem);
		free(area);
		skip();
	}
	fd = xsk_socket__fd(xsk);
	assert_int_equal(bpf_map_update_elem(bpf_map__fd(fx.skel->maps.xsks), &key, &fd, 0), 0);

	for (size_t i = 0; i < sizeof(cs) / sizeof(cs[0]); i++) {
		build_frame(&f, &cs[i]);
		read_counters(&before);
		assert_int_equal(run_frame(&f), XDP_REDIRECT);
		read_counters(&after);
		check_moved(cs[i].name, &before, &after, case_fam(&cs[i]), C_STEERED);
	}

	bpf_map_delete_elem(bpf_map__fd(fx.skel->maps.xsks), &key);
	xsk_socket__delete(xsk);
	xsk_umem__delete(umem);
	free(area);
}

static int quiet_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	return level == LIBBPF_WARN ? vfprintf(stderr, fmt, ap) : 0;
}

int main(void)
{
	struct CMUnitTest tests[N_CASES + 1];
	size_t i;

	libbpf_set_print(quiet_print);
	for (i = 0; i < N_CASES; i++) {
		tests[i] =
			(struct CMUnitTest)cmocka_unit_test_prestate(run_case, (void *)&cases[i]);
		tests[i].name = cases[i].name;
	}
	tests[N_CASES] = (struct CMUnitTest)cmocka_unit_test(steered_with_socket);
	tests[N_CASES].name = "ipv4 and ipv6 p2pkp datagrams with a bound AF_XDP socket";
	return _cmocka_run_group_tests("steer_prog", tests, N_CASES + 1, setup_skel, teardown_skel);
}
