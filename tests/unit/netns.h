/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * For unit tests that need a network: a namespace of the process's own with
 * only lo in it, up, so nothing a test sends can leave it. Call before any
 * thread is made: threads made later share the namespace.
 */
#ifndef P2PKP_TEST_NETNS_H
#define P2PKP_TEST_NETNS_H

#include <errno.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

static inline int test_lo_up(void)
{
	struct ifreq ifr = {0};
	int fd, err = 0;

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "lo");
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0)
		err = -errno;
	ifr.ifr_flags |= IFF_UP;
	if (!err && ioctl(fd, SIOCSIFFLAGS, &ifr) < 0)
		err = -errno;
	close(fd);
	return err;
}

/* 0 inside the new namespace, or -errno and *why: the reason to skip. */
static inline int test_netns_enter(const char **why)
{
	int err;

	if (unshare(CLONE_NEWNET)) {
		*why = "cannot make a network namespace (needs CAP_SYS_ADMIN)";
		return -errno;
	}
	err = test_lo_up();
	if (err)
		*why = "cannot bring lo up in the new namespace";
	return err;
}

#endif /* P2PKP_TEST_NETNS_H */
