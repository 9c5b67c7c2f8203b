// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* xsk-probe IFNAME: which AF_XDP bind modes the running kernel accepts on
 * queue 0 of IFNAME.  Raw syscalls only (no libxdp), so it says what the
 * kernel does, not what a library falls back to.  Prints one line per mode:
 *   xsk <mode>: ok | no (<errno text>)
 * Exit 0 if at least copy mode binds, 1 otherwise, 2 on usage errors. */
#include <errno.h>
#include <linux/if_xdp.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#ifndef AF_XDP
#define AF_XDP 44
#endif
#ifndef SOL_XDP
#define SOL_XDP 283
#endif
#ifndef XDP_USE_SG
#define XDP_USE_SG (1 << 4) /* multi-buffer, Linux 6.6 */
#endif

#define NFRAMES 256
#define FRAME	4096

static int try_bind(unsigned int ifindex, __u16 flags, const char **why)
{
	struct xdp_umem_reg reg = {0};
	struct sockaddr_xdp sxdp = {0};
	int ring = NFRAMES / 2, fd, ok = -1;
	void *umem;

	*why = NULL;
	fd = socket(AF_XDP, SOCK_RAW, 0);
	if (fd < 0) {
		*why = strerror(errno);
		return -1;
	}
	umem = mmap(NULL, (size_t)NFRAMES * FRAME, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (umem == MAP_FAILED) {
		*why = strerror(errno);
		close(fd);
		return -1;
	}
	reg.addr = (__u64)(unsigned long)umem;
	reg.len = (__u64)NFRAMES * FRAME;
	reg.chunk_size = FRAME;
	sxdp.sxdp_family = AF_XDP;
	sxdp.sxdp_ifindex = ifindex;
	sxdp.sxdp_queue_id = 0;
	sxdp.sxdp_flags = flags;
	if (setsockopt(fd, SOL_XDP, XDP_UMEM_REG, &reg, sizeof(reg)) ||
	    setsockopt(fd, SOL_XDP, XDP_UMEM_FILL_RING, &ring, sizeof(ring)) ||
	    setsockopt(fd, SOL_XDP, XDP_UMEM_COMPLETION_RING, &ring, sizeof(ring)) ||
	    setsockopt(fd, SOL_XDP, XDP_RX_RING, &ring, sizeof(ring)) ||
	    setsockopt(fd, SOL_XDP, XDP_TX_RING, &ring, sizeof(ring)))
		*why = strerror(errno);
	else {
		/* A queue is released asynchronously after close(): EBUSY
		 * right after the previous probe is not an answer. */
		int tries = 40, r;

		while ((r = bind(fd, (struct sockaddr *)&sxdp, sizeof(sxdp))) && errno == EBUSY &&
		       --tries)
			usleep(50000);
		if (r)
			*why = strerror(errno);
		else
			ok = 0;
	}
	close(fd);
	munmap(umem, (size_t)NFRAMES * FRAME);
	return ok;
}

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		__u16 flags;
	} modes[] = {
		{"copy", XDP_COPY},
		{"copy+need_wakeup", XDP_COPY | XDP_USE_NEED_WAKEUP},
		{"copy+multi_buffer", XDP_COPY | XDP_USE_SG},
		{"zerocopy", XDP_ZEROCOPY},
	};
	unsigned int ifindex;
	int copy_ok = 0;
	size_t i;

	if (argc != 2) {
		fprintf(stderr, "usage: xsk-probe IFNAME\n");
		return 2;
	}
	ifindex = if_nametoindex(argv[1]);
	if (!ifindex) {
		fprintf(stderr, "xsk-probe: %s: %s\n", argv[1], strerror(errno));
		return 2;
	}
	for (i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		const char *why;
		int r = try_bind(ifindex, modes[i].flags, &why);

		printf("xsk %s: %s%s%s%s\n", modes[i].name, r ? "no" : "ok", why ? " (" : "",
		       why ? why : "", why ? ")" : "");
		if (i == 0 && r == 0)
			copy_ok = 1;
	}
	return copy_ok ? 0 : 1;
}
