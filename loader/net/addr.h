/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* A UDP endpoint, as the transport, the path resolver and the engine name peers. */
#ifndef P2PKP_ADDR_H
#define P2PKP_ADDR_H

#include <netinet/in.h>
#include <linux/types.h>

/* An IPv4 or IPv6 address in network byte order; a family field beside it says which. */
union p2pkp_inaddr {
	struct in_addr v4;
	struct in6_addr v6;
};

struct p2pkp_addr {
	int family; /* AF_INET or AF_INET6 */
	union p2pkp_inaddr ip;
	__u16 port; /* host order */
};

#endif /* P2PKP_ADDR_H */
