/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * Inside the path resolver: the rtnetlink plumbing (rtnl.c) that the route,
 * device and address lookups (netpath.c) and the neighbour resolution
 * (neigh.c) share.
 */
#ifndef P2PKP_NETPATH_PRIV_H
#define P2PKP_NETPATH_PRIV_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <libmnl/libmnl.h>

#include "netpath.h"

#define NL_BUF_SIZE  32768 /* large enough for one dump batch or RTM_NEWLINK */
#define NL_REQ_WORDS 128   /* request buffer, 512 bytes, 4-byte aligned */

struct nl {
	struct mnl_socket *sock;
	unsigned int portid;
	unsigned int seq;
	char buf[NL_BUF_SIZE];
};

static inline size_t p2pkp_family_alen(int family)
{
	return family == AF_INET ? sizeof(struct in_addr) : sizeof(struct in6_addr);
}

/* A one-line message into err, when the caller gave room for one. */
__attribute__((format(printf, 3, 4))) static inline void p2pkp_set_err(char *err, size_t len,
								       const char *fmt, ...)
{
	va_list ap;

	if (!err || !len)
		return;
	va_start(ap, fmt);
	vsnprintf(err, len, fmt, ap);
	va_end(ap);
}

/* rtnl.c */
int p2pkp_nl_open(struct nl **out);
void p2pkp_nl_close(struct nl *nl);
/*
 * Sends one request and feeds every reply to cb until the kernel's ACK (for
 * requests) or DONE (for dumps). Returns 0 or the kernel's negative errno.
 */
int p2pkp_nl_request(struct nl *nl, struct nlmsghdr *nlh, mnl_cb_t cb, void *data);
/*
 * Starts a request of type in req (NL_REQ_WORDS words, 4-byte aligned) with
 * flags, followed by a zeroed protocol header of hdr_len bytes, which
 * mnl_nlmsg_get_payload() returns.
 */
struct nlmsghdr *p2pkp_nl_msg(__u32 *req, __u16 type, __u16 flags, size_t hdr_len);
/* Copies an address attribute of family into *addr; false if it has another size. */
bool p2pkp_nl_attr_inaddr(const struct nlattr *attr, int family, union p2pkp_inaddr *addr);

/* neigh.c */
/*
 * The next hop's MAC into path->dst_mac, asking the kernel to resolve it
 * (ARP/ND) and waiting at most timeout_ms; 0, or -errno with a line in err.
 */
int p2pkp_path_neigh(struct nl *nl, struct p2pkp_peer_path *path, unsigned int timeout_ms,
		     const char *dst_str, char *err, size_t errlen);

#endif /* P2PKP_NETPATH_PRIV_H */
