// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * A sender and a receiver engine in this one process, each in its own
 * thread, through the library API (engine.h) over the socket backend on
 * loopback, inside a private network namespace the process makes for itself
 * (tests skip where that is not permitted). The sender's test_drop_data hook
 * loses DATA by a script; the copy must still arrive byte for byte, every
 * loss must have been repaired by a retransmission, and each engine must stop
 * on its own flag alone.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <cmocka.h>

#include "clock.h"
#include "engine.h"
#include "log.h"
#include "netns.h"
#include "wire.h"

#define LOSS_PORT  7471
#define STOP_PORT  7472
#define BLOCK	   1024
#define BIG_SIZE   (700 * BLOCK + 333) /* a short last block */
#define TINY_SIZE  100		       /* one block: losing it is losing the whole file */
#define NBLOCKS	   (700 + 1 + 1)
#define GIVEUP_MS  5000 /* a broken test fails in seconds, not in the default 30 */
#define READY_MS   2000
#define WATCHDOG_S 20  /* a transfer that never ends is stopped, and fails */
#define BURST_FROM 300 /* first DATA seq of a lost burst... */
#define BURST_LEN  40  /* ...this long */
#define EVERY_NTH  37  /* and every Nth first transmission besides */

static bool netns_ok;
static const char *netns_why = "";
static char top[] = "/tmp/p2pkp-engine-XXXXXX";

/* Before any thread: threads made later share the namespace. */
static int group_setup(void **state)
{
	netns_ok = !test_netns_enter(&netns_why);
	if (!mkdtemp(top))
		return -1;
	p2pkp_log_set_level(P2PKP_LOG_WARN); /* session lines would bury cmocka's */
	return 0;
}

static int group_teardown(void **state)
{
	char cmd[sizeof(top) + 16];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", top);
	return system(cmd) ? -1 : 0;
}

static void need_netns(void)
{
	if (netns_ok)
		return;
	print_message("# skipped: %s\n", netns_why);
	skip();
}

/* --- files ---------------------------------------------------------------------- */

static void write_file(const char *path, size_t size, __u32 seed)
{
	__u8 *buf = malloc(size);
	size_t i;
	int fd;

	assert_non_null(buf);
	for (i = 0; i < size; i++) {
		seed = seed * 1103515245u + 12345u; /* any bytes that differ block to block */
		buf[i] = (__u8)(seed >> 16);
	}
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, buf, size), (ssize_t)size);
	close(fd);
	free(buf);
}

static void assert_same_file(const char *a, const char *b)
{
	struct stat sa, sb;
	__u8 *da, *db;
	int fa, fb;

	fa = open(a, O_RDONLY | O_CLOEXEC);
	fb = open(b, O_RDONLY | O_CLOEXEC);
	if (fa < 0 || fb < 0)
		fail_msg("%s or %s missing", a, b);
	assert_int_equal(fstat(fa, &sa), 0);
	assert_int_equal(fstat(fb, &sb), 0);
	assert_int_equal(sa.st_size, sb.st_size);
	da = malloc((size_t)sa.st_size + 1);
	db = malloc((size_t)sb.st_size + 1);
	assert_non_null(da);
	assert_non_null(db);
	assert_int_equal(read(fa, da, (size_t)sa.st_size), sa.st_size);
	assert_int_equal(read(fb, db, (size_t)sb.st_size), sb.st_size);
	if (memcmp(da, db, (size_t)sa.st_size))
		fail_msg("%s differs from %s", b, a);
	free(da);
	free(db);
	close(fa);
	close(fb);
}

static void make_dir(char *path, size_t len, const char *name)
{
	snprintf(path, len, "%s/%s", top, name);
	assert_int_equal(mkdir(path, 0700), 0);
}

/* --- the two engines --------------------------------------------------------------- */

struct recv_thread {
	pthread_t tid;
	struct p2pkp_recv_opts o;
	struct p2pkp_recv_result res;
	volatile sig_atomic_t stop;
	int rc;
	volatile int done; /* set by the thread as it returns */
};

static void *recv_main(void *arg)
{
	struct recv_thread *rt = arg;

	rt->rc = p2pkp_recv(&rt->o, &rt->res);
	__atomic_store_n(&rt->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

/* Has something bound the port (the receiver's transport is open)? */
static bool port_bound(__u16 port)
{
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(port)};
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	bool bound;

	assert_true(fd >= 0);
	bound = bind(fd, (struct sockaddr *)&sin, sizeof(sin)) && errno == EADDRINUSE;
	close(fd);
	return bound;
}

static void start_receiver(struct recv_thread *rt, __u16 port, const char *dir, bool once)
{
	__u64 deadline = p2pkp_now_ns() + READY_MS * NSEC_PER_MSEC;

	memset(rt, 0, sizeof(*rt));
	rt->o = (struct p2pkp_recv_opts){
		.ifname = "lo",
		.port = port,
		.dir = dir,
		.once = once,
		.backend = P2PKP_BACKEND_SOCKET,
		.giveup_ms = GIVEUP_MS,
		.stop = &rt->stop,
	};
	assert_int_equal(pthread_create(&rt->tid, NULL, recv_main, rt), 0);
	/* OPEN would be resent anyway; waiting keeps the loss script's arithmetic exact. */
	while (!port_bound(port) && !__atomic_load_n(&rt->done, __ATOMIC_ACQUIRE)) {
		if (p2pkp_now_ns() > deadline)
			fail_msg("receiver did not bind port %u", port);
		p2pkp_sleep_ns(NSEC_PER_MSEC);
	}
	assert_false(__atomic_load_n(&rt->done, __ATOMIC_ACQUIRE));
}

static void loopback(struct p2pkp_addr *a, __u16 port)
{
	memset(a, 0, sizeof(*a));
	a->family = AF_INET;
	a->port = port;
	a->ip.v4.s_addr = htonl(INADDR_LOOPBACK);
}

/* A sender of paths to the receiver at to, stopped by stop alone. */
static void sender_opts(struct p2pkp_send_opts *o, const struct p2pkp_addr *to,
			const char *const *paths, size_t npaths, volatile sig_atomic_t *stop)
{
	*o = (struct p2pkp_send_opts){
		.ifname = "lo",
		.to = to,
		.nto = 1,
		.paths = paths,
		.npaths = npaths,
		.backend = P2PKP_BACKEND_SOCKET,
		.block_size = BLOCK,
		.giveup_ms = GIVEUP_MS,
		.stop = stop,
	};
}

/* Sets both engines' stop flags if the test outlives WATCHDOG_S: a hang becomes a failure. */
struct watchdog {
	pthread_t tid;
	volatile sig_atomic_t *stop[2];
	volatile int over; /* the test is done: the watchdog returns */
};

static void *watchdog_main(void *arg)
{
	struct watchdog *w = arg;
	__u64 deadline = p2pkp_now_ns() + WATCHDOG_S * NSEC_PER_SEC;

	while (!__atomic_load_n(&w->over, __ATOMIC_ACQUIRE)) {
		if (p2pkp_now_ns() > deadline) {
			*w->stop[0] = 1;
			*w->stop[1] = 1;
			break;
		}
		p2pkp_sleep_ns(10 * NSEC_PER_MSEC);
	}
	return NULL;
}

static void watchdog_start(struct watchdog *w, volatile sig_atomic_t *a, volatile sig_atomic_t *b)
{
	*w = (struct watchdog){.stop = {a, b}};
	assert_int_equal(pthread_create(&w->tid, NULL, watchdog_main, w), 0);
}

static void watchdog_end(struct watchdog *w)
{
	__atomic_store_n(&w->over, 1, __ATOMIC_RELEASE);
	assert_int_equal(pthread_join(w->tid, NULL), 0);
}

/* --- the loss script ------------------------------------------------------------------ */

struct loss {
	__u32 tiny_file; /* index of the one-block file, whose only block is lost once */
	__u32 dropped;
	__u32 tiny_dropped;
	__u32 seen; /* DATA the sender put out, lost or not */
};

/*
 * First transmissions only: seq 1 and 2 (the very first blocks), a burst of
 * BURST_LEN, every EVERY_NTH, and the one block of the tiny file. The second
 * FILES answer may come after the first file's blocks went, so the tiny file
 * is found by file index, not by seq.
 */
static bool script_drop(void *ctx, const struct p2pkp_addr *to, __u32 seq, __u32 file, __u64 block,
			bool retrans)
{
	struct loss *l = ctx;
	bool drop;

	l->seen++;
	if (retrans)
		return false;
	drop = seq <= 2 || (seq >= BURST_FROM && seq < BURST_FROM + BURST_LEN) ||
	       seq % EVERY_NTH == 0 || (file == l->tiny_file && block == 0);
	l->dropped += drop;
	l->tiny_dropped += drop && file == l->tiny_file;
	return drop;
}

/* --- tests ------------------------------------------------------------------------ */

static void test_scripted_loss_is_repaired(void **state)
{
	char src[PATH_MAX], out[PATH_MAX], big[PATH_MAX + 16], tiny[PATH_MAX + 16];
	char got[PATH_MAX + 16], partial[PATH_MAX + 32];
	const char *paths[2] = {big, tiny};
	struct p2pkp_send_result *res;
	struct p2pkp_addr to;
	struct recv_thread rt;
	struct loss loss = {.tiny_file = 1};
	volatile sig_atomic_t stop = 0;
	struct watchdog wd;
	struct p2pkp_send_opts o;
	int rc;

	need_netns();
	make_dir(src, sizeof(src), "loss-src");
	make_dir(out, sizeof(out), "loss-out");
	snprintf(big, sizeof(big), "%s/big.bin", src);
	snprintf(tiny, sizeof(tiny), "%s/tiny.txt", src);
	write_file(big, BIG_SIZE, 1);
	write_file(tiny, TINY_SIZE, 2);
	res = calloc(1, sizeof(*res)); /* 64 peers' results: not on the stack */
	assert_non_null(res);

	start_receiver(&rt, LOSS_PORT, out, true);
	loopback(&to, LOSS_PORT);
	sender_opts(&o, &to, paths, 2, &stop);
	o.test_drop_data = script_drop;
	o.test_drop_ctx = &loss;
	watchdog_start(&wd, &stop, &rt.stop);
	rc = p2pkp_send(&o, res);
	if (rc) /* do not leave the receiver waiting for a session that will not come */
		rt.stop = 1;
	assert_int_equal(pthread_join(rt.tid, NULL), 0);
	watchdog_end(&wd);
	print_message("# %u of %u DATA lost by the script, %llu retransmitted, %.2f s\n",
		      loss.dropped, loss.seen, (unsigned long long)res->retransmitted,
		      res->seconds);

	assert_int_equal(rc, 0);
	assert_int_equal(res->npeers, 1);
	assert_true(res->peer[0].ok);
	assert_int_equal(res->peer[0].files_ok, 2);
	assert_int_equal(res->peer[0].files_failed, 0);
	assert_true(res->peer[0].closed);
	/* The script ran: every seq it names, the burst, every Nth, and the tiny file's block. */
	assert_true(loss.dropped >= 2 + BURST_LEN + NBLOCKS / EVERY_NTH);
	assert_int_equal(loss.tiny_dropped, 1);
	/* Each loss left a block missing that only a retransmission could fill. */
	assert_true(res->retransmitted >= loss.dropped);
	assert_true(res->data_msgs >= NBLOCKS + loss.dropped);
	assert_int_equal(res->data_msgs, loss.seen);
	assert_int_equal(res->delivered_bytes, BIG_SIZE + TINY_SIZE);

	assert_int_equal(rt.rc, 0);
	assert_int_equal(rt.res.sessions, 1);
	assert_int_equal(rt.res.files_ok, 2);
	assert_int_equal(rt.res.files_failed, 0);
	assert_int_equal(rt.res.bad_sums, 0);
	/* Duplicates are dropped before the disk: every byte written exactly once. */
	assert_int_equal(rt.res.bytes_written, BIG_SIZE + TINY_SIZE);

	snprintf(got, sizeof(got), "%s/big.bin", out);
	assert_same_file(big, got);
	snprintf(got, sizeof(got), "%s/tiny.txt", out);
	assert_same_file(tiny, got);
	snprintf(partial, sizeof(partial), "%s/.p2pkp-partial", out);
	assert_int_equal(access(partial, F_OK), -1); /* a finished transfer leaves only the files */
	free(res);
}

/*
 * Two engines, two flags: the sender's stop cancels only the sender (its
 * ABORT ends the receiver's session, not the receiver), and the receiver
 * then runs on until its own flag is set.
 */
static void test_stop_flags_are_independent(void **state)
{
	char src[PATH_MAX], out[PATH_MAX], file[PATH_MAX + 16];
	const char *paths[1] = {file};
	struct p2pkp_send_result *res;
	volatile sig_atomic_t stop = 1;
	struct p2pkp_send_opts o;
	struct p2pkp_addr to;
	struct recv_thread rt;
	int rc;

	need_netns();
	make_dir(src, sizeof(src), "stop-src");
	make_dir(out, sizeof(out), "stop-out");
	snprintf(file, sizeof(file), "%s/f.bin", src);
	write_file(file, 10 * BLOCK, 3);
	res = calloc(1, sizeof(*res));
	assert_non_null(res);

	start_receiver(&rt, STOP_PORT, out, false);
	loopback(&to, STOP_PORT);
	sender_opts(&o, &to, paths, 1, &stop);
	rc = p2pkp_send(&o, res);
	assert_int_equal(rc, 1);
	assert_false(res->peer[0].ok);
	assert_int_equal(res->peer[0].result, P2PKP_R_CANCELLED);

	/* Long enough for the ABORT to arrive and for the receiver to have ended, were it to. */
	p2pkp_sleep_ns(300 * NSEC_PER_MSEC);
	assert_false(__atomic_load_n(&rt.done, __ATOMIC_ACQUIRE));
	rt.stop = 1;
	assert_int_equal(pthread_join(rt.tid, NULL), 0);
	assert_int_equal(rt.rc, 0);
	assert_int_equal(rt.res.files_ok, 0);
	free(res);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_scripted_loss_is_repaired),
		cmocka_unit_test(test_stop_flags_are_independent),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
