// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Address strings, and path resolution inside private network namespaces.
 *
 * Network safety: the namespace tests first move this process into a new,
 * empty network namespace (unshare(CLONE_NEWNET)) and check that it really
 * moved before running any `ip` command. The peer lives in a second new
 * namespace held by a child process; the veth pair joins the two. Nothing is
 * ever configured in, or sent into, the namespace the test started in. Both
 * namespaces vanish when the processes exit.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <net/if.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <linux/capability.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <cmocka.h>

#include "netpath.h"

#define DEFAULT_PORT 7471

/* --- address strings ------------------------------------------------------------- */

struct good_addr {
	const char *in;
	int family;
	const char *ip; /* canonical form */
	__u16 port;
};

static const struct good_addr good_addrs[] = {
	{"10.1.0.2", AF_INET, "10.1.0.2", DEFAULT_PORT},
	{"10.1.0.2:9000", AF_INET, "10.1.0.2", 9000},
	{"0.0.0.0:1", AF_INET, "0.0.0.0", 1},
	{"255.255.255.255:65535", AF_INET, "255.255.255.255", 65535},
	{"10.1.0.2:007", AF_INET, "10.1.0.2", 7},
	{"[2001:db8::1]:9000", AF_INET6, "2001:db8::1", 9000},
	{"[2001:db8::1]", AF_INET6, "2001:db8::1", DEFAULT_PORT},
	{"[::1]:65535", AF_INET6, "::1", 65535},
	{"2001:db8::1", AF_INET6, "2001:db8::1", DEFAULT_PORT},
	/* Bare IPv6: the trailing group is address, never port. */
	{"2001:db8::1:80", AF_INET6, "2001:db8::1:80", DEFAULT_PORT},
	{"::", AF_INET6, "::", DEFAULT_PORT},
	{"::ffff:192.0.2.1", AF_INET6, "::ffff:192.0.2.1", DEFAULT_PORT},
	{"[fe80::1]:1234", AF_INET6, "fe80::1", 1234},
};

struct bad_addr {
	const char *in;
	const char *why; /* a substring of the reason */
};

static const struct bad_addr bad_addrs[] = {
	{"", "empty address"},
	{":80", "empty address"},
	{"[]:80", "empty address"},
	{"10.1.0.2:", "empty port"},
	{"10.1.0.2:0", "port 0"},
	{"10.1.0.2:65536", "larger than 65535"},
	{"10.1.0.2:99999999999999999999999", "larger than 65535"},
	{"10.1.0.2:80x", "not a decimal"},
	{"10.1.0.2:-1", "not a decimal"},
	{"10.1.0.2: 80", "not a decimal"},
	{"10.1.0.2:+80", "not a decimal"},
	{"10.1.2", "IPv4"},
	{"256.1.1.1", "IPv4"},
	{"10.1.0.2 ", "IPv4"},
	{"host.example", "IPv4"},
	{"host.example:80", "IPv4"},
	{"[2001:db8::1", "missing ']'"},
	{"[2001:db8::1]x", "unexpected text"},
	{"[2001:db8::1]80", "unexpected text"},
	{"[2001:db8::1]:", "empty port"},
	{"[2001:db8::1]:65536", "larger than 65535"},
	{"[10.1.0.2]:80", "IPv6"},
	{"2001:db8:::1", "IPv6"},
	{"fe80::1%eth0", "zone"},
	{"[fe80::1%eth0]:80", "zone"},
	{"[1111:2222:3333:4444:5555:6666:7777:8888:9999:aaaa:bbbb:cccc]", "too long"},
};

static void test_addr_parse_good(void **state)
{
	char buf[INET6_ADDRSTRLEN];
	struct p2pkp_addr a;
	const char *why;
	size_t i;

	for (i = 0; i < sizeof(good_addrs) / sizeof(good_addrs[0]); i++) {
		const struct good_addr *g = &good_addrs[i];

		why = NULL;
		memset(&a, 0xa5, sizeof(a));
		if (p2pkp_addr_parse(g->in, DEFAULT_PORT, &a, &why))
			fail_msg("\"%s\": rejected: %s", g->in, why);
		assert_int_equal(a.family, g->family);
		assert_string_equal(p2pkp_inaddr_str(a.family, &a.ip, buf, sizeof(buf)), g->ip);
		assert_int_equal(a.port, g->port);
	}
}

static void test_addr_parse_bad(void **state)
{
	struct p2pkp_addr a, untouched;
	const char *why;
	size_t i;

	memset(&untouched, 0x5a, sizeof(untouched));
	for (i = 0; i < sizeof(bad_addrs) / sizeof(bad_addrs[0]); i++) {
		const struct bad_addr *b = &bad_addrs[i];

		why = NULL;
		a = untouched;
		if (p2pkp_addr_parse(b->in, DEFAULT_PORT, &a, &why) != -EINVAL)
			fail_msg("\"%s\": accepted or wrong error", b->in);
		assert_non_null(why);
		if (!strstr(why, b->why))
			fail_msg("\"%s\": reason \"%s\" lacks \"%s\"", b->in, why, b->why);
		assert_memory_equal(&a, &untouched, sizeof(a));
	}
	assert_int_equal(p2pkp_addr_parse(NULL, 1, &a, NULL), -EINVAL);
	assert_int_equal(p2pkp_addr_parse("x", 1, &a, NULL), -EINVAL); /* why may be NULL */
}

static void test_inaddr_str_small_buffer(void **state)
{
	union p2pkp_inaddr ip;
	char buf[4];

	inet_pton(AF_INET, "10.1.0.2", &ip.v4);
	assert_string_equal(p2pkp_inaddr_str(AF_INET, &ip, buf, sizeof(buf)), "?");
}

/* --- private namespaces ----------------------------------------------------------- */

#define PEER_WAIT_MS 10000
#define PEER_LIFE_S  120 /* the peer exits by itself after this, whatever happens */
#define MAC_LOCAL    "02:00:00:00:09:01"
#define MAC_PEER     "02:00:00:00:09:02"
#define RESOLVE_MS   3000

static const __u8 mac_local[6] = {0x02, 0x00, 0x00, 0x00, 0x09, 0x01};
static const __u8 mac_peer[6] = {0x02, 0x00, 0x00, 0x00, 0x09, 0x02};

static struct {
	bool ready;
	char why[600];
	pid_t peer;
	int to_peer;   /* write end; closing it tells the peer to exit */
	int from_peer; /* read end */
} ns = {.peer = -1, .to_peer = -1, .from_peer = -1};

static bool wait_byte(int fd, int timeout_ms, char *c)
{
	struct pollfd pfd = {.fd = fd, .events = POLLIN};

	return poll(&pfd, 1, timeout_ms) == 1 && read(fd, c, 1) == 1;
}

static int run(const char *fmt, ...)
{
	char cmd[512];
	va_list ap;
	int rc;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	rc = system(cmd);
	if (rc)
		snprintf(ns.why, sizeof(ns.why), "\"%s\" failed (status %d)", cmd, rc);
	return rc;
}

/*
 * Linkwatch marks a link operational up to a second after carrier; until then
 * IPv6 neither solicits nor answers on it. A non-tentative link-local address
 * shows it is ready. Waits at most 5 s.
 */
#define WAIT_LINK_LOCAL(dev)                                                                       \
	"for i in $(seq 50); do ip -6 addr show dev " dev " scope link | grep -q fe80 && "         \
	"! ip -6 addr show dev " dev " scope link | grep -q tentative && exit 0; "                 \
	"sleep 0.1; done; exit 1"

/* The peer: its own namespace holding v1, answering ARP/ND until told to go. */
static void __attribute__((noreturn)) peer_main(int from_parent, int to_parent)
{
	char c = 'E';

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	alarm(PEER_LIFE_S);
	if (unshare(CLONE_NEWNET)) {
		(void)!write(to_parent, &c, 1);
		_exit(1);
	}
	c = 'R';
	(void)!write(to_parent, &c, 1);
	if (!wait_byte(from_parent, PEER_WAIT_MS, &c) || c != 'G')
		_exit(1);
	c = system("ip link set lo up && ip addr add 10.9.0.2/24 dev v1 && "
		   "ip addr add 10.9.0.3/24 dev v1 && "
		   "ip -6 addr add fd00:9::2/64 dev v1 nodad && "
		   "ip -6 addr add fd00:9::3/64 dev v1 nodad && "
		   "echo 0 >/proc/sys/net/ipv6/conf/v1/accept_dad && ip link set v1 up")
		    ? 'F'
		    : 'D';
	/* IPv6 answers only once the link is ready, signalled by the link-local address. */
	if (c == 'D')
		(void)!system(WAIT_LINK_LOCAL("v1"));
	(void)!write(to_parent, &c, 1);
	while (wait_byte(from_parent, PEER_LIFE_S * 1000, &c))
		;
	_exit(0);
}

/* Best effort: a failure only makes the test slower. */
static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

static bool same_netns(const struct stat *a)
{
	struct stat b;

	return stat("/proc/self/ns/net", &b) || (a->st_ino == b.st_ino && a->st_dev == b.st_dev);
}

static int start_peer(void)
{
	int p2c[2], c2p[2];
	char c = 0;

	if (pipe2(p2c, O_CLOEXEC) || pipe2(c2p, O_CLOEXEC)) {
		snprintf(ns.why, sizeof(ns.why), "pipe: %s", strerror(errno));
		return -1;
	}
	fflush(NULL);
	ns.peer = fork();
	if (ns.peer < 0) {
		snprintf(ns.why, sizeof(ns.why), "fork: %s", strerror(errno));
		return -1;
	}
	if (!ns.peer) {
		close(p2c[1]);
		close(c2p[0]);
		peer_main(p2c[0], c2p[1]);
	}
	close(p2c[0]);
	close(c2p[1]);
	ns.to_peer = p2c[1];
	ns.from_peer = c2p[0];
	if (!wait_byte(ns.from_peer, PEER_WAIT_MS, &c) || c != 'R') {
		snprintf(ns.why, sizeof(ns.why), "peer could not create its namespace");
		return -1;
	}
	return 0;
}

static int ns_setup(void **state)
{
	struct stat orig;
	char c = 0;

	if (geteuid() != 0) {
		snprintf(ns.why, sizeof(ns.why), "not root");
		return 0;
	}
	if (stat("/proc/self/ns/net", &orig)) {
		snprintf(ns.why, sizeof(ns.why), "/proc/self/ns/net: %s", strerror(errno));
		return 0;
	}
	if (unshare(CLONE_NEWNET)) {
		snprintf(ns.why, sizeof(ns.why), "unshare(CLONE_NEWNET): %s", strerror(errno));
		return 0;
	}
	/* Never run a single `ip` command unless we are provably elsewhere. */
	if (same_netns(&orig)) {
		snprintf(ns.why, sizeof(ns.why), "still in the original network namespace");
		return 0;
	}
	if (start_peer())
		return 0;
	if (run("ip link set lo up") ||
	    run("ip link add v0 address " MAC_LOCAL " type veth peer name v1 address " MAC_PEER
		" netns %d",
		(int)ns.peer) ||
	    run("ip addr add 10.9.0.1/24 dev v0") ||
	    run("ip -6 addr add fd00:9::1/64 dev v0 nodad"))
		return 0;
	/*
	 * The kernel sends no neighbour solicitation before the link-local
	 * address has passed DAD (a second or two after link-up); skip DAD here.
	 */
	write_file("/proc/sys/net/ipv6/conf/v0/accept_dad", "0");
	if (run("ip link set v0 up"))
		return 0;
	c = 'G';
	if (write(ns.to_peer, &c, 1) != 1 || !wait_byte(ns.from_peer, PEER_WAIT_MS, &c) ||
	    c != 'D') {
		snprintf(ns.why, sizeof(ns.why), "peer could not configure v1");
		return 0;
	}
	if (run("ip route add 10.20.0.0/16 via 10.9.0.2") ||
	    run("ip route add unreachable 10.30.0.0/16") ||
	    run("ip route add prohibit 10.31.0.0/16") ||
	    run("ip route add blackhole 10.32.0.0/16") ||
	    run("ip route add 10.40.0.0/16 via 10.9.0.99") ||
	    run("ip -6 route add fd00:20::/64 via fd00:9::2") ||
	    run("ip -6 route add unreachable fd00:30::/64"))
		return 0;
	/* v0 solicits from its link-local address: wait for it, as the peer did. */
	if (system(WAIT_LINK_LOCAL("v0")))
		print_message("# v0 has no link-local address yet; IPv6 tests may be slow\n");
	ns.ready = true;
	return 0;
}

static int ns_teardown(void **state)
{
	int status;

	if (ns.to_peer >= 0)
		close(ns.to_peer);
	if (ns.from_peer >= 0)
		close(ns.from_peer);
	if (ns.peer > 0) {
		kill(ns.peer, SIGKILL);
		waitpid(ns.peer, &status, 0);
	}
	return 0;
}

#define NEED_NS()                                                                                  \
	do {                                                                                       \
		if (!ns.ready) {                                                                   \
			print_message("# skip: %s\n", ns.why);                                     \
			skip();                                                                    \
		}                                                                                  \
	} while (0)

static int resolve(const char *addr, const char *dev, unsigned int timeout_ms,
		   struct p2pkp_peer_path *path, char *err, size_t errlen)
{
	struct p2pkp_addr a;

	assert_int_equal(p2pkp_addr_parse(addr, DEFAULT_PORT, &a, NULL), 0);
	err[0] = '\0';
	return p2pkp_path_resolve(a.family, &a.ip, dev, timeout_ms, path, err, errlen);
}

static void assert_path(const struct p2pkp_peer_path *p, const char *src, const char *dst,
			const char *nexthop)
{
	char buf[INET6_ADDRSTRLEN];

	assert_int_equal(p->ifindex, (int)if_nametoindex("v0"));
	assert_string_equal(p->ifname, "v0");
	assert_int_equal(p->mtu, 1500);
	assert_memory_equal(p->src_mac, mac_local, 6);
	assert_memory_equal(p->dst_mac, mac_peer, 6);
	assert_string_equal(p2pkp_inaddr_str(p->family, &p->src, buf, sizeof(buf)), src);
	assert_string_equal(p2pkp_inaddr_str(p->family, &p->dst, buf, sizeof(buf)), dst);
	assert_int_equal(p->nexthop_family, p->family);
	assert_string_equal(p2pkp_inaddr_str(p->family, &p->nexthop, buf, sizeof(buf)), nexthop);
}

static void expect_ok(const char *addr, const char *dev, const char *src, const char *nexthop)
{
	struct p2pkp_peer_path p;
	char err[256];
	int ret;

	ret = resolve(addr, dev, RESOLVE_MS, &p, err, sizeof(err));
	if (ret)
		fail_msg("%s: %d: %s", addr, ret, err);
	assert_path(&p, src, addr, nexthop);
}

static void expect_err(const char *addr, const char *dev, unsigned int timeout_ms, int want,
		       const char *msg)
{
	struct p2pkp_peer_path p;
	char err[256];
	int ret;

	memset(&p, 0x5a, sizeof(p));
	ret = resolve(addr, dev, timeout_ms, &p, err, sizeof(err));
	if (ret != want)
		fail_msg("%s: got %d (%s), want %d", addr, ret, err, want);
	if (!strstr(err, msg) || strchr(err, '\n'))
		fail_msg("%s: message \"%s\" lacks \"%s\"", addr, err, msg);
	assert_int_equal(((const unsigned char *)&p)[0], 0x5a); /* untouched on failure */
}

static void test_ns_v4_on_link(void **state)
{
	NEED_NS();
	expect_ok("10.9.0.2", NULL, "10.9.0.1", "10.9.0.2");
	expect_ok("10.9.0.2", "v0", "10.9.0.1", "10.9.0.2"); /* now cached */
}

static void test_ns_v4_via_gateway(void **state)
{
	struct p2pkp_peer_path p;
	char err[256];

	NEED_NS();
	expect_ok("10.20.1.1", NULL, "10.9.0.1", "10.9.0.2");
	expect_ok("10.20.255.7", "v0", "10.9.0.1", "10.9.0.2");
	/* The gateway's MAC is known now: no wait at all is needed. */
	assert_int_equal(resolve("10.20.3.3", NULL, 0, &p, err, sizeof(err)), 0);
	assert_path(&p, "10.9.0.1", "10.20.3.3", "10.9.0.2");
}

static void test_ns_v6_on_link(void **state)
{
	NEED_NS();
	expect_ok("fd00:9::2", NULL, "fd00:9::1", "fd00:9::2");
	expect_ok("fd00:9::2", "v0", "fd00:9::1", "fd00:9::2");
}

static void test_ns_v6_via_gateway(void **state)
{
	NEED_NS();
	expect_ok("fd00:20::5", NULL, "fd00:9::1", "fd00:9::2");
}

static long long mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void test_ns_neighbour_timeout(void **state)
{
	long long t0;

	NEED_NS();
	t0 = mono_ms();
	expect_err("10.9.0.77", NULL, 300, -ETIMEDOUT, "did not answer ARP within 300 ms");
	assert_in_range(mono_ms() - t0, 250, 2000);
	t0 = mono_ms();
	expect_err("fd00:9::77", NULL, 300, -ETIMEDOUT, "did not answer neighbour discovery");
	assert_in_range(mono_ms() - t0, 250, 2000);
	/* A gateway that does not answer: the message names it, not the destination. */
	expect_err("10.40.0.1", NULL, 100, -ETIMEDOUT, "next hop 10.9.0.99 on v0");
}

/* Drops CAP_NET_ADMIN from the effective set of this (child) process. */
static int drop_net_admin(void)
{
	struct __user_cap_header_struct hdr = {.version = _LINUX_CAPABILITY_VERSION_3};
	struct __user_cap_data_struct data[2];

	if (syscall(SYS_capget, &hdr, data))
		return -1;
	data[CAP_NET_ADMIN / 32].effective &= ~(1u << (CAP_NET_ADMIN % 32));
	return (int)syscall(SYS_capset, &hdr, data);
}

/* Without CAP_NET_ADMIN the NTF_USE request fails: the datagram fallback must resolve. */
static void test_ns_trigger_fallback(void **state)
{
	const char *addrs[] = {"10.9.0.3", "fd00:9::3"};
	struct p2pkp_peer_path p;
	struct p2pkp_addr a;
	int i, status = -1;
	pid_t pid;

	NEED_NS();
	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (!pid) {
		alarm(10);
		if (drop_net_admin())
			_exit(2);
		for (i = 0; i < 2; i++) {
			if (p2pkp_addr_parse(addrs[i], 1, &a, NULL) ||
			    p2pkp_path_resolve(a.family, &a.ip, NULL, RESOLVE_MS, &p, NULL, 0) ||
			    memcmp(p.dst_mac, mac_peer, 6))
				_exit(10 + i);
		}
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

static void test_ns_unreachable(void **state)
{
	NEED_NS();
	expect_err("192.0.2.1", NULL, 100, -ENETUNREACH, "no route");
	expect_err("2001:db8::1", NULL, 100, -ENETUNREACH, "no route");
	expect_err("10.30.0.1", NULL, 100, -EHOSTUNREACH, "unreachable");
	expect_err("10.31.0.1", NULL, 100, -EHOSTUNREACH, "prohibited");
	expect_err("10.32.0.1", NULL, 100, -EHOSTUNREACH, "blackhole");
	expect_err("fd00:30::1", NULL, 100, -EHOSTUNREACH, "unreachable");
}

static void test_ns_local_and_devices(void **state)
{
	struct p2pkp_peer_path p;
	union p2pkp_inaddr ip = {0};
	char err[128];

	NEED_NS();
	expect_err("10.9.0.1", NULL, 100, -ENODEV, "local address");
	expect_err("127.0.0.1", NULL, 100, -ENODEV, "local address");
	expect_err("::1", NULL, 100, -ENODEV, "local address");
	expect_err("fd00:9::1", NULL, 100, -ENODEV, "local address");
	expect_err("10.9.0.2", "nosuch0", 100, -ENODEV, "nosuch0: no such device");
	expect_err("10.9.0.2", "", 100, -ENODEV, "no such device");
	expect_err("10.9.0.2", "averyveryverylongname0", 100, -ENODEV, "no such device");
	assert_int_equal(p2pkp_path_resolve(AF_UNIX, &ip, NULL, 0, &p, err, sizeof(err)),
			 -EAFNOSUPPORT);
	assert_int_equal(p2pkp_path_resolve(AF_UNIX, &ip, NULL, 0, &p, NULL, 0), -EAFNOSUPPORT);
}

static void test_ns_dev_info(void **state)
{
	unsigned int mtu = 0;
	int ifindex = 0;

	NEED_NS();
	assert_int_equal(p2pkp_dev_info("v0", &ifindex, &mtu), 0);
	assert_int_equal(ifindex, (int)if_nametoindex("v0"));
	assert_int_equal(mtu, 1500);
	assert_int_equal(p2pkp_dev_info("lo", &ifindex, &mtu), 0);
	assert_int_equal(ifindex, 1);
	assert_int_equal(mtu, 65536);
	assert_int_equal(p2pkp_dev_info("v0", NULL, NULL), 0);
	assert_int_equal(p2pkp_dev_info("nosuch0", &ifindex, &mtu), -ENODEV);
	assert_int_equal(p2pkp_dev_info("", &ifindex, &mtu), -ENODEV);
	assert_int_equal(p2pkp_dev_info("averyveryverylongname0", &ifindex, &mtu), -ENODEV);
}

int main(void)
{
	/* One group: the namespaces are set up once, and tests skip if they could not be. */
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_addr_parse_good),
		cmocka_unit_test(test_addr_parse_bad),
		cmocka_unit_test(test_inaddr_str_small_buffer),
		cmocka_unit_test(test_ns_dev_info),
		cmocka_unit_test(test_ns_v4_on_link),
		cmocka_unit_test(test_ns_v4_via_gateway),
		cmocka_unit_test(test_ns_v6_on_link),
		cmocka_unit_test(test_ns_v6_via_gateway),
		cmocka_unit_test(test_ns_neighbour_timeout),
		cmocka_unit_test(test_ns_trigger_fallback),
		cmocka_unit_test(test_ns_unreachable),
		cmocka_unit_test(test_ns_local_and_devices),
	};

	return cmocka_run_group_tests_name("netpath", tests, ns_setup, ns_teardown);
}
