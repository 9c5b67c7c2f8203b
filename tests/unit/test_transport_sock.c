// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The socket backend over loopback, inside a private network namespace this
 * process creates (so nothing leaves it), and the address helpers.
 */
#include <endian.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>

#include "netns.h"
#include "p2pkp_shared.h"
#include "transport.h"

#define PORT	 7471
#define N_MSGS	 32
#define MSG_LEN	 200
#define FRAMES	 64 /* 32 receive and 32 send buffers */
#define WAIT_MS	 1000
#define MAX_WAIT 20 /* bursts, each waiting up to WAIT_MS */

static bool netns_ok;

/* A namespace of our own with only lo in it; tests skip where that is not permitted. */
static int group_setup(void **state)
{
	const char *why;

	netns_ok = !test_netns_enter(&why);
	return 0;
}

static struct p2pkp_transport *open_sock(int family, __u16 port)
{
	struct p2pkp_transport_opts opts = {
		.port = port,
		.family = family,
		.backend = P2PKP_BACKEND_SOCKET,
		.frames = FRAMES,
		.queue = -1,
	};
	struct p2pkp_transport *t = NULL;

	assert_int_equal(p2pkp_transport_open(&opts, &t), 0);
	assert_non_null(t);
	assert_string_equal(p2pkp_transport_name(t), "socket");
	return t;
}

static void loopback(int family, struct p2pkp_addr *a, __u16 port)
{
	memset(a, 0, sizeof(*a));
	a->family = family;
	a->port = port;
	if (family == AF_INET)
		a->ip.v4.s_addr = htonl(INADDR_LOOPBACK);
	else
		a->ip.v6 = in6addr_loopback;
}

static void fill(__u8 *p, __u32 len, __u32 seq)
{
	struct p2pkp_hdr h = {.linkid = htobe64(1), .msgid = htonl(seq), .length = htons(len)};
	__u32 i;

	memcpy(p, &h, sizeof(h));
	for (i = sizeof(h); i < len; i++)
		p[i] = (__u8)(seq + i);
}

static void check(const struct p2pkp_rx_msg *m, __u32 len, bool *seen)
{
	const struct p2pkp_hdr *h = (const void *)m->data;
	__u32 seq = ntohl(h->msgid), i;

	assert_int_equal(m->len, len);
	assert_int_equal((uintptr_t)m->data % 8, 0);
	assert_true(seq < N_MSGS);
	assert_false(seen[seq]);
	seen[seq] = true;
	for (i = sizeof(*h); i < len; i++)
		assert_int_equal(m->data[i], (__u8)(seq + i));
}

static void send_batch(struct p2pkp_transport *t, const struct p2pkp_addr *to, __u32 n)
{
	struct p2pkp_tx_buf buf;
	__u32 i;

	for (i = 0; i < n; i++) {
		assert_int_equal(p2pkp_tx_get(t, &buf), 0);
		assert_int_equal((uintptr_t)buf.data % 8, 0);
		assert_true(buf.cap >= MSG_LEN);
		fill(buf.data, MSG_LEN, i);
		assert_int_equal(p2pkp_tx_put(t, &buf, MSG_LEN, to), 0);
	}
	assert_int_equal(p2pkp_tx_flush(t), (int)n);
}

/* Receives n messages, holding them all before releasing, as the engine may. */
static void recv_batch(struct p2pkp_transport *t, __u32 n, const struct p2pkp_addr *from)
{
	struct p2pkp_rx_msg msgs[N_MSGS];
	bool seen[N_MSGS] = {false};
	__u32 got = 0, i, tries;
	int r;

	for (tries = 0; got < n && tries < MAX_WAIT; tries++) {
		r = p2pkp_rx_burst(t, msgs + got, n - got, WAIT_MS);
		assert_true(r >= 0);
		for (i = got; i < got + (__u32)r; i++) {
			check(&msgs[i], MSG_LEN, seen);
			assert_true(p2pkp_addr_equal(&msgs[i].src, from));
		}
		got += (__u32)r;
	}
	assert_int_equal(got, n);
	p2pkp_rx_release(t, msgs, got);
}

/* family's messages to a receiver opened for rx_family (AF_UNSPEC: either). */
static void roundtrip(int rx_family, int family)
{
	struct p2pkp_transport *rx, *tx;
	struct p2pkp_transport_stats st;
	struct p2pkp_addr to, from;
	int round;

	if (!netns_ok)
		skip();
	rx = open_sock(rx_family, PORT);
	tx = open_sock(family, 0);
	loopback(family, &to, PORT);
	p2pkp_transport_local(tx, &from);
	loopback(family, &from, from.port);
	assert_true(from.port != 0);
	/* Three rounds through 32 receive buffers: release must make them reusable. */
	for (round = 0; round < 3; round++) {
		send_batch(tx, &to, N_MSGS);
		recv_batch(rx, N_MSGS, &from);
	}
	p2pkp_transport_stats(rx, &st);
	assert_int_equal(st.rx_msgs, 3 * N_MSGS);
	assert_int_equal(st.rx_bytes, 3 * N_MSGS * MSG_LEN);
	assert_int_equal(st.rx_dropped, 0);
	assert_true(st.rx_wakeups >= 3);
	p2pkp_transport_stats(tx, &st);
	assert_int_equal(st.tx_msgs, 3 * N_MSGS);
	/* sendmmsg: one call per flush here. */
	assert_int_equal(st.tx_kicks, 3);
	p2pkp_transport_close(tx);
	p2pkp_transport_close(rx);
}

static void test_roundtrip_v4(void **state)
{
	roundtrip(AF_INET, AF_INET);
}

static void test_roundtrip_v6(void **state)
{
	roundtrip(AF_INET6, AF_INET6);
}

/* A receiver of either family (recv without --from) takes IPv4 and IPv6 senders alike. */
static void test_either_family_takes_v4(void **state)
{
	roundtrip(AF_UNSPEC, AF_INET);
}

static void test_either_family_takes_v6(void **state)
{
	roundtrip(AF_UNSPEC, AF_INET6);
}

static void test_rx_timeout_empty(void **state)
{
	struct p2pkp_rx_msg m;
	struct p2pkp_transport *t;

	if (!netns_ok)
		skip();
	t = open_sock(AF_INET, PORT);
	assert_int_equal(p2pkp_rx_burst(t, &m, 1, 0), 0);
	assert_int_equal(p2pkp_rx_burst(t, &m, 1, 20), 0);
	p2pkp_transport_close(t);
}

static void test_tx_exhaustion(void **state)
{
	struct p2pkp_tx_buf bufs[FRAMES], extra;
	struct p2pkp_transport_stats st;
	struct p2pkp_transport *t;
	struct p2pkp_addr to;
	__u32 n = 0, i;

	if (!netns_ok)
		skip();
	t = open_sock(AF_INET, 0);
	while (n < FRAMES && !p2pkp_tx_get(t, &bufs[n]))
		n++;
	assert_int_equal(n, FRAMES / 2);
	assert_int_equal(p2pkp_tx_get(t, &extra), -EAGAIN);
	p2pkp_transport_stats(t, &st);
	assert_int_equal(st.tx_no_buf, 2); /* the loop's last try and this one */
	/* Abandoned buffers come back; queued ones come back once flushed. */
	p2pkp_tx_abandon(t, &bufs[0]);
	assert_int_equal(p2pkp_tx_get(t, &extra), 0);
	assert_ptr_equal(extra.data, bufs[0].data);
	loopback(AF_INET, &to, PORT);
	for (i = 1; i < n; i++) {
		fill(bufs[i].data, MSG_LEN, i);
		assert_int_equal(p2pkp_tx_put(t, &bufs[i], MSG_LEN, &to), 0);
	}
	assert_int_equal(p2pkp_tx_get(t, &bufs[0]), -EAGAIN);
	assert_int_equal(p2pkp_tx_flush(t), (int)(n - 1));
	assert_int_equal(p2pkp_tx_get(t, &bufs[0]), 0);
	/* Larger than the cap is refused, and the buffer stays the caller's. */
	assert_int_equal(p2pkp_tx_put(t, &extra, extra.cap + 1, &to), -EMSGSIZE);
	p2pkp_tx_abandon(t, &extra);
	p2pkp_tx_abandon(t, &bufs[0]);
	p2pkp_transport_close(t);
}

static void test_port_in_use(void **state)
{
	struct p2pkp_transport_opts opts = {
		.port = PORT, .family = AF_INET, .backend = P2PKP_BACKEND_SOCKET, .queue = -1};
	struct p2pkp_transport *a, *b = NULL;

	if (!netns_ok)
		skip();
	a = open_sock(AF_INET, PORT);
	assert_int_equal(p2pkp_transport_open(&opts, &b), -EADDRINUSE);
	assert_null(b);
	p2pkp_transport_close(a);
}

struct addr_case {
	int family;
	const char *ip;
	__u16 port;
	const char *want;
};

static const struct addr_case addr_cases[] = {
	{AF_INET, "10.0.0.1", 7471, "10.0.0.1:7471"},
	{AF_INET, "0.0.0.0", 0, "0.0.0.0:0"},
	{AF_INET, "255.255.255.255", 65535, "255.255.255.255:65535"},
	{AF_INET6, "fd00::1", 7471, "[fd00::1]:7471"},
	{AF_INET6, "::", 1, "[::]:1"},
	{AF_INET6, "::ffff:10.0.0.1", 9, "[::ffff:10.0.0.1]:9"},
	{AF_INET6, "2001:db8:1234:5678:9abc:def0:1234:5678", 65535,
	 "[2001:db8:1234:5678:9abc:def0:1234:5678]:65535"},
};

static void test_addr_str(void **state)
{
	char buf[P2PKP_ADDR_STRLEN], small[8];
	struct p2pkp_addr a;
	size_t i;

	for (i = 0; i < sizeof(addr_cases) / sizeof(addr_cases[0]); i++) {
		memset(&a, 0, sizeof(a));
		a.family = addr_cases[i].family;
		a.port = addr_cases[i].port;
		assert_int_equal(inet_pton(a.family, addr_cases[i].ip, &a.ip), 1);
		assert_string_equal(p2pkp_addr_str(&a, buf, sizeof(buf)), addr_cases[i].want);
	}
	/* Longest possible IPv6 form with a port fits P2PKP_ADDR_STRLEN. */
	a.family = AF_INET6;
	a.port = 65535;
	inet_pton(AF_INET6, "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255", &a.ip);
	assert_string_not_equal(p2pkp_addr_str(&a, buf, sizeof(buf)), "?");
	assert_string_equal(p2pkp_addr_str(&a, small, sizeof(small)), "?");
	a.family = AF_UNIX;
	assert_string_equal(p2pkp_addr_str(&a, buf, sizeof(buf)), "?:65535");
}

static void test_addr_equal(void **state)
{
	struct p2pkp_addr a = {.family = AF_INET, .port = 1}, b;

	inet_pton(AF_INET, "10.0.0.1", &a.ip);
	b = a;
	assert_true(p2pkp_addr_equal(&a, &b));
	b.port = 2;
	assert_false(p2pkp_addr_equal(&a, &b));
	b = a;
	b.ip.v4.s_addr ^= htonl(1);
	assert_false(p2pkp_addr_equal(&a, &b));
	memset(&b, 0, sizeof(b));
	b.family = AF_INET6;
	b.port = 1;
	inet_pton(AF_INET6, "::ffff:10.0.0.1", &b.ip);
	assert_false(p2pkp_addr_equal(&a, &b)); /* families differ: not the same endpoint */
	a = b;
	assert_true(p2pkp_addr_equal(&a, &b));
	a.ip.v6.s6_addr[15] ^= 1;
	assert_false(p2pkp_addr_equal(&a, &b));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip_v4),
		cmocka_unit_test(test_roundtrip_v6),
		cmocka_unit_test(test_rx_timeout_empty),
		cmocka_unit_test(test_tx_exhaustion),
		cmocka_unit_test(test_port_in_use),
		cmocka_unit_test(test_addr_str),
		cmocka_unit_test(test_addr_equal),
		cmocka_unit_test(test_either_family_takes_v4),
		cmocka_unit_test(test_either_family_takes_v6),
	};

	return cmocka_run_group_tests(tests, group_setup, NULL);
}
