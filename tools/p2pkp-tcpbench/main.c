// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * p2pkp-tcpbench: the benchmark's TCP baseline. The sender pushes a file with
 * sendfile(2) over one or more TCP connections per receiver; the receiver
 * lands it with recv(2)+pwrite(2), or with splice(2) through a pipe.
 *
 *   p2pkp-tcpbench send --to ADDR:PORT [--to ...] [--streams N] [--timeout S] FILE
 *   p2pkp-tcpbench recv --out FILE [--port P] [--streams N] [--splice] [--timeout S]
 *
 * With --streams N, each receiver gets N connections carrying N contiguous
 * ranges of the file. Every connection starts with a 24-byte header: the
 * magic "P2PKTCPB", then the range's offset and length (64-bit, big-endian).
 * Both sides print one JSON object on stdout at the end.
 */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "cli.h"
#include "log.h"
#include "netpath.h"
#include "options.h"
#include "steer.h"

#define TCPB_MAGIC	  "P2PKTCPB"
#define TCPB_HDR_LEN	  24
#define TCPB_DEFAULT_PORT 7472
#define TCPB_MAX_STREAMS  64
#define TCPB_MAX_CONNS	  256
#define RECV_BUF	  (1u << 20)
#define PIPE_SIZE	  (1u << 20)
#define SENDFILE_CHUNK	  (1u << 30)
#define DEFAULT_TIMEOUT_S 60

/* Bounds every blocking send/recv/connect on fd by secs. */
static int set_timeouts(int fd, unsigned int secs)
{
	struct timeval tv = {.tv_sec = secs};

	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)))
		return -errno;
	return 0;
}

/* Writes or reads exactly len bytes of a header; 0 or a negative errno. */
static int send_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EPIPE;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int recv_all(int fd, void *buf, size_t len)
{
	char *p = buf;

	while (len) {
		ssize_t n = recv(fd, p, len, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -ECONNRESET;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* --- send ------------------------------------------------------------------------ */

struct send_cfg {
	struct p2pkp_str_list to;
	struct p2pkp_str_list file;
	unsigned int streams;
	unsigned int timeout;
	bool verbose;
};

static const struct p2pkp_option send_opts[] = {
	{.name = "to",
	 .short_name = 't',
	 .type = P2PKP_OPT_LIST,
	 .offset = offsetof(struct send_cfg, to),
	 .metavar = "ADDR:PORT",
	 .help = "A receiver (port default 7472); repeat for more, each gets the whole file",
	 .required = true},
	{.name = "streams",
	 .short_name = 's',
	 .type = P2PKP_OPT_UINT,
	 .offset = offsetof(struct send_cfg, streams),
	 .metavar = "N",
	 .help = "TCP connections per receiver, each carrying 1/N of the file (default 1)",
	 .min = 1,
	 .max = TCPB_MAX_STREAMS},
	{.name = "timeout",
	 .type = P2PKP_OPT_UINT,
	 .offset = offsetof(struct send_cfg, timeout),
	 .metavar = "SEC",
	 .help = "Fail a connection that cannot connect or send for SEC seconds (default 60)",
	 .min = 1,
	 .max = 86400},
	{.name = "verbose",
	 .short_name = 'v',
	 .type = P2PKP_OPT_FLAG,
	 .offset = offsetof(struct send_cfg, verbose),
	 .help = "Print debug messages"},
	{.name = "FILE",
	 .type = P2PKP_OPT_LIST,
	 .offset = offsetof(struct send_cfg, file),
	 .metavar = "FILE",
	 .help = "The file to send",
	 .positional = true,
	 .required = true},
	{.name = NULL},
};

static const struct p2pkp_cmd send_cmd = {
	.prog = "p2pkp-tcpbench",
	.name = "send",
	.summary = "Send FILE to every receiver over TCP with sendfile(2), then print one JSON\n"
		   "object: bytes, seconds, connections. Exits 0 if every connection delivered\n"
		   "its range and the receiver closed it.",
	.opts = send_opts,
};

struct conn {
	/* in */
	struct p2pkp_addr to;
	const char *path;
	__u64 off, len;
	unsigned int timeout;
	/* out */
	__u64 sent;
	__u64 calls;
	int err;
	const char *what;
};

/* Waits for the receiver's close, so "done" means the data was read, not just queued. */
static int wait_peer_close(int fd)
{
	char c;
	ssize_t n;

	shutdown(fd, SHUT_WR);
	do
		n = recv(fd, &c, 1, 0);
	while (n < 0 && errno == EINTR);
	return n < 0 ? -errno : 0;
}

static int conn_run(struct conn *c)
{
	struct sockaddr_storage ss;
	socklen_t sl = p2pkp_addr_to_sockaddr(&c->to, c->to.family, &ss);
	__u8 hdr[TCPB_HDR_LEN];
	__u64 be;
	off_t off = (off_t)c->off;
	int fd, sock, err;

	c->what = "open";
	fd = open(c->path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	c->what = "socket";
	sock = socket(c->to.family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (sock < 0) {
		err = -errno;
		goto out_file;
	}
	err = set_timeouts(sock, c->timeout);
	if (err)
		goto out;
	c->what = "connect";
	if (connect(sock, (struct sockaddr *)&ss, sl)) {
		err = -errno;
		goto out;
	}
	memcpy(hdr, TCPB_MAGIC, 8);
	be = htobe64(c->off);
	memcpy(hdr + 8, &be, 8);
	be = htobe64(c->len);
	memcpy(hdr + 16, &be, 8);
	c->what = "header";
	err = send_all(sock, hdr, sizeof(hdr));
	if (err)
		goto out;
	c->what = "sendfile";
	while (c->sent < c->len) {
		__u64 want = c->len - c->sent;
		ssize_t n = sendfile(sock, fd, &off, want > SENDFILE_CHUNK ? SENDFILE_CHUNK : want);

		c->calls++;
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			err = n < 0 ? -errno : -EIO;
			goto out;
		}
		c->sent += (__u64)n;
	}
	c->what = "close";
	err = wait_peer_close(sock);
out:
	close(sock);
out_file:
	close(fd);
	return err;
}

static void *conn_thread(void *arg)
{
	struct conn *c = arg;

	c->err = conn_run(c);
	return NULL;
}

static int send_file(const struct send_cfg *cfg, const struct p2pkp_addr *to, size_t nto,
		     __u64 size, double *secs, __u64 *sent)
{
	size_t nconn = nto * cfg->streams, i;
	struct conn *conns = calloc(nconn, sizeof(*conns));
	pthread_t *tids = calloc(nconn, sizeof(*tids));
	__u64 span = size / cfg->streams;
	double t0 = p2pkp_now_s();
	int err = 0;

	if (!conns || !tids) {
		free(conns);
		free(tids);
		return -ENOMEM;
	}
	for (i = 0; i < nconn; i++) {
		unsigned int s = (unsigned int)(i % cfg->streams);

		conns[i] = (struct conn){
			.to = to[i / cfg->streams],
			.path = cfg->file.v[0],
			.off = span * s,
			.len = s + 1 == cfg->streams ? size - span * s : span,
			.timeout = cfg->timeout,
		};
		if (pthread_create(&tids[i], NULL, conn_thread, &conns[i])) {
			conns[i].err = -EAGAIN;
			conns[i].what = "thread";
			tids[i] = 0;
		}
	}
	*sent = 0;
	for (i = 0; i < nconn; i++) {
		char ip[INET6_ADDRSTRLEN];

		if (tids[i])
			pthread_join(tids[i], NULL);
		*sent += conns[i].sent;
		if (conns[i].err && !err) {
			err = conns[i].err;
			pr_warn("p2pkp-tcpbench send: %s:%u: %s: %s\n",
				p2pkp_inaddr_str(conns[i].to.family, &conns[i].to.ip, ip,
						 sizeof(ip)),
				conns[i].to.port, conns[i].what, strerror(-err));
		}
	}
	*secs = p2pkp_now_s() - t0;
	free(conns);
	free(tids);
	return err;
}

static int cmd_send(int argc, char **argv)
{
	struct send_cfg cfg = {.streams = 1, .timeout = DEFAULT_TIMEOUT_S};
	struct p2pkp_addr *to = NULL;
	struct stat st;
	const char *why;
	double secs = 0;
	__u64 sent = 0;
	int ret, err;
	size_t i;

	ret = p2pkp_parse_or_exit(&send_cmd, argc, argv, &cfg);
	if (ret >= 0)
		goto out;
	if (cfg.verbose)
		p2pkp_log_set_level(P2PKP_LOG_DEBUG);
	ret = EXIT_USAGE;
	if (cfg.file.n != 1) {
		pr_warn("p2pkp-tcpbench send: exactly one FILE, got %zu\n", cfg.file.n);
		goto out;
	}
	if (cfg.to.n * cfg.streams > TCPB_MAX_CONNS) {
		pr_warn("p2pkp-tcpbench send: at most %u connections in all\n", TCPB_MAX_CONNS);
		goto out;
	}
	if (stat(cfg.file.v[0], &st) || !S_ISREG(st.st_mode)) {
		pr_warn("p2pkp-tcpbench send: %s: not a readable regular file\n", cfg.file.v[0]);
		goto out;
	}
	to = calloc(cfg.to.n, sizeof(*to));
	if (!to) {
		ret = 1;
		goto out;
	}
	for (i = 0; i < cfg.to.n; i++) {
		if (p2pkp_addr_parse(cfg.to.v[i], TCPB_DEFAULT_PORT, &to[i], &why)) {
			pr_warn("p2pkp-tcpbench send: invalid --to '%s': %s\n", cfg.to.v[i], why);
			goto out;
		}
	}
	err = send_file(&cfg, to, cfg.to.n, (__u64)st.st_size, &secs, &sent);
	printf("{\"result\":\"%s\",\"file_bytes\":%llu,\"bytes\":%llu,\"seconds\":%.6f,"
	       "\"connections\":%zu,\"goodput_bps\":%.0f}\n",
	       err ? "failed" : "ok", (unsigned long long)st.st_size, (unsigned long long)sent,
	       secs, cfg.to.n * cfg.streams, secs > 0 ? (double)sent * 8 / secs : 0.0);
	ret = err ? 1 : 0;
out:
	free(to);
	p2pkp_free_opts(&send_cmd, &cfg);
	return ret;
}

/* --- recv ------------------------------------------------------------------------ */

struct recv_cfg {
	const char *out;
	unsigned int port;
	unsigned int streams;
	unsigned int timeout;
	bool splice;
	bool verbose;
};

static const struct p2pkp_option recv_opts[] = {
	{.name = "out",
	 .short_name = 'o',
	 .type = P2PKP_OPT_STRING,
	 .offset = offsetof(struct recv_cfg, out),
	 .metavar = "FILE",
	 .help = "Where the received file lands (created or truncated)",
	 .required = true},
	{.name = "port",
	 .short_name = 'p',
	 .type = P2PKP_OPT_UINT,
	 .offset = offsetof(struct recv_cfg, port),
	 .metavar = "PORT",
	 .help = "TCP port to listen on, all addresses (default 7472)",
	 .min = 1,
	 .max = 65535},
	{.name = "streams",
	 .short_name = 's',
	 .type = P2PKP_OPT_UINT,
	 .offset = offsetof(struct recv_cfg, streams),
	 .metavar = "N",
	 .help = "Connections to accept, as the sender's --streams (default 1)",
	 .min = 1,
	 .max = TCPB_MAX_STREAMS},
	{.name = "splice",
	 .type = P2PKP_OPT_FLAG,
	 .offset = offsetof(struct recv_cfg, splice),
	 .help = "Move data socket -> pipe -> file with splice(2) instead of recv+write"},
	{.name = "timeout",
	 .type = P2PKP_OPT_UINT,
	 .offset = offsetof(struct recv_cfg, timeout),
	 .metavar = "SEC",
	 .help = "Give up when no connection arrives or data stalls for SEC seconds (default 60)",
	 .min = 1,
	 .max = 86400},
	{.name = "verbose",
	 .short_name = 'v',
	 .type = P2PKP_OPT_FLAG,
	 .offset = offsetof(struct recv_cfg, verbose),
	 .help = "Print debug messages"},
	{.name = NULL},
};

static const struct p2pkp_cmd recv_cmd = {
	.prog = "p2pkp-tcpbench",
	.name = "recv",
	.summary = "Accept --streams connections from one sender, write what they carry to FILE,\n"
		   "print one JSON object (bytes, seconds, data syscalls) and exit. Prints\n"
		   "\"listening on\" on stderr once connections can arrive.",
	.opts = recv_opts,
};

struct rconn {
	int sock, fd;
	bool splice;
	__u64 off, len, got, calls;
	int err;
	const char *what;
};

static int rconn_header(struct rconn *r)
{
	__u8 hdr[TCPB_HDR_LEN];
	__u64 be;
	int err;

	r->what = "header";
	err = recv_all(r->sock, hdr, sizeof(hdr));
	if (err)
		return err;
	if (memcmp(hdr, TCPB_MAGIC, 8))
		return -EPROTO;
	memcpy(&be, hdr + 8, 8);
	r->off = be64toh(be);
	memcpy(&be, hdr + 16, 8);
	r->len = be64toh(be);
	return 0;
}

static int rconn_copy(struct rconn *r)
{
	char *buf = malloc(RECV_BUF);
	int err = 0;

	if (!buf)
		return -ENOMEM;
	r->what = "recv";
	while (r->got < r->len) {
		__u64 want = r->len - r->got;
		ssize_t n = recv(r->sock, buf, want < RECV_BUF ? want : RECV_BUF, 0), w;
		char *p = buf;

		r->calls++;
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			err = n < 0 ? -errno : -ECONNRESET;
			break;
		}
		while (n > 0) {
			w = pwrite(r->fd, p, (size_t)n, (off_t)(r->off + r->got));
			r->calls++;
			if (w < 0 && errno == EINTR)
				continue;
			if (w <= 0) {
				r->what = "write";
				err = w < 0 ? -errno : -EIO;
				goto out;
			}
			p += w;
			n -= w;
			r->got += (__u64)w;
		}
	}
out:
	free(buf);
	return err;
}

static int rconn_splice(struct rconn *r)
{
	int pfd[2], err = 0;
	__u64 inpipe = 0;

	if (pipe2(pfd, O_CLOEXEC))
		return -errno;
	fcntl(pfd[1], F_SETPIPE_SZ, PIPE_SIZE); /* best effort: the default 64 KiB also works */
	while (r->got < r->len) {
		__u64 want = r->len - r->got - inpipe;
		loff_t off = (loff_t)(r->off + r->got);
		ssize_t n;

		if (want) {
			r->what = "splice in";
			n = splice(r->sock, NULL, pfd[1], NULL, want < PIPE_SIZE ? want : PIPE_SIZE,
				   SPLICE_F_MOVE | SPLICE_F_MORE);
			r->calls++;
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0) {
				err = n < 0 ? -errno : -ECONNRESET;
				break;
			}
			inpipe += (__u64)n;
		}
		r->what = "splice out";
		n = splice(pfd[0], NULL, r->fd, &off, inpipe, SPLICE_F_MOVE);
		r->calls++;
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			err = n < 0 ? -errno : -EIO;
			break;
		}
		inpipe -= (__u64)n;
		r->got += (__u64)n;
	}
	close(pfd[0]);
	close(pfd[1]);
	return err;
}

static void *rconn_thread(void *arg)
{
	struct rconn *r = arg;

	r->err = rconn_header(r);
	if (!r->err)
		r->err = r->splice ? rconn_splice(r) : rconn_copy(r);
	return NULL;
}

static int listen_on(unsigned int port, unsigned int timeout)
{
	struct sockaddr_in6 sa = {.sin6_family = AF_INET6, .sin6_port = htons((__u16)port)};
	int one = 1, zero = 0, fd;

	fd = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) || listen(fd, TCPB_MAX_STREAMS)) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}

/* Accepts one connection within timeout seconds; the socket or a negative errno. */
static int accept_one(int lfd, unsigned int timeout)
{
	struct pollfd p = {.fd = lfd, .events = POLLIN};
	int n, fd;

	do
		n = poll(&p, 1, (int)timeout * 1000);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	if (n == 0)
		return -ETIMEDOUT;
	fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (set_timeouts(fd, timeout)) {
		close(fd);
		return -errno;
	}
	return fd;
}

static int recv_file(const struct recv_cfg *cfg, int lfd, int fd, double *secs, __u64 *got,
		     __u64 *calls)
{
	struct rconn conns[TCPB_MAX_STREAMS] = {0};
	pthread_t tids[TCPB_MAX_STREAMS] = {0};
	double t0 = 0;
	unsigned int i, n = 0;
	int err = 0;

	for (i = 0; i < cfg->streams; i++) {
		int s = accept_one(lfd, cfg->timeout);

		if (s < 0) {
			err = s;
			pr_warn("p2pkp-tcpbench recv: accept: %s\n", strerror(-err));
			break;
		}
		if (!i)
			t0 = p2pkp_now_s();
		conns[i] = (struct rconn){.sock = s, .fd = fd, .splice = cfg->splice};
		if (pthread_create(&tids[i], NULL, rconn_thread, &conns[i])) {
			close(s);
			err = -EAGAIN;
			break;
		}
		n++;
	}
	*got = *calls = 0;
	for (i = 0; i < n; i++) {
		pthread_join(tids[i], NULL);
		close(conns[i].sock);
		*got += conns[i].got;
		*calls += conns[i].calls;
		if (conns[i].err && !err) {
			err = conns[i].err;
			pr_warn("p2pkp-tcpbench recv: connection %u: %s: %s\n", i, conns[i].what,
				strerror(-err));
		}
	}
	*secs = t0 ? p2pkp_now_s() - t0 : 0;
	return err;
}

static int cmd_recv(int argc, char **argv)
{
	struct recv_cfg cfg = {
		.port = TCPB_DEFAULT_PORT, .streams = 1, .timeout = DEFAULT_TIMEOUT_S};
	__u64 got = 0, calls = 0;
	double secs = 0;
	int ret, lfd, fd, err;

	ret = p2pkp_parse_or_exit(&recv_cmd, argc, argv, &cfg);
	if (ret >= 0)
		return ret;
	if (cfg.verbose)
		p2pkp_log_set_level(P2PKP_LOG_DEBUG);
	fd = open(cfg.out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		pr_warn("p2pkp-tcpbench recv: %s: %s\n", cfg.out, strerror(errno));
		return 1;
	}
	lfd = listen_on(cfg.port, cfg.timeout);
	if (lfd < 0) {
		pr_warn("p2pkp-tcpbench recv: listen on port %u: %s\n", cfg.port, strerror(-lfd));
		close(fd);
		return 1;
	}
	fprintf(stderr, "p2pkp-tcpbench recv: listening on port %u\n", cfg.port);
	err = recv_file(&cfg, lfd, fd, &secs, &got, &calls);
	close(lfd);
	if (close(fd) && !err)
		err = -errno;
	printf("{\"result\":\"%s\",\"bytes\":%llu,\"seconds\":%.6f,\"connections\":%u,"
	       "\"data_syscalls\":%llu,\"mode\":\"%s\"}\n",
	       err ? "failed" : "ok", (unsigned long long)got, secs, cfg.streams,
	       (unsigned long long)calls, cfg.splice ? "splice" : "recv+write");
	return err ? 1 : 0;
}

/* --- main ------------------------------------------------------------------------- */

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: p2pkp-tcpbench recv|send [options]\n\n"
		"The benchmark's TCP baseline: sendfile(2) on the sender, recv+write or\n"
		"splice on the receiver. 'p2pkp-tcpbench COMMAND --help' lists the options.\n");
}

static const struct p2pkp_subcommand subcommands[] = {
	{"recv", "Receive one file over TCP", cmd_recv},
	{"send", "Send one file over TCP to each receiver", cmd_send},
	{NULL, NULL, NULL},
};

int main(int argc, char **argv)
{
	p2pkp_hook_lib_logging();
	return p2pkp_run_subcommand("p2pkp-tcpbench", subcommands, usage, "recv or send", argc,
				    argv);
}
