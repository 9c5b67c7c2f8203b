/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The sender's network path: everything needed to build Ethernet/IP/UDP
 * frames to one receiver by hand, looked up in the kernel's routing and
 * neighbour tables over rtnetlink (libmnl). Resolution is not a hot path: it
 * runs once per receiver at the start of a transfer.
 */
#ifndef P2PKP_NETPATH_H
#define P2PKP_NETPATH_H

#include <stddef.h>
#include <net/if.h>
#include <netinet/in.h>
#include <linux/types.h>

#include "addr.h"

#define P2PKP_ETH_ALEN 6

/* Default bound on waiting for ARP/ND, in milliseconds. */
#define P2PKP_NEIGH_TIMEOUT_MS 1000

/*
 * Where frames to one receiver go. Addresses are in network byte order (as in
 * struct in_addr / in6_addr), MACs in wire order.
 */
struct p2pkp_peer_path {
	int family;	  /* AF_INET or AF_INET6: of src and dst */
	int ifindex;	  /* egress device */
	unsigned int mtu; /* egress device MTU (IP packet size, Ethernet header excluded) */
	char ifname[IF_NAMESIZE];
	__u8 src_mac[P2PKP_ETH_ALEN]; /* the egress device's address */
	__u8 dst_mac[P2PKP_ETH_ALEN]; /* the next hop's address */
	union p2pkp_inaddr src;	      /* route's preferred source, or the device's address */
	union p2pkp_inaddr dst;	      /* the receiver */
	int nexthop_family; /* usually == family; AF_INET6 for IPv4 routes via IPv6 gateways */
	union p2pkp_inaddr nexthop; /* gateway, or dst itself when on-link */
};

/*
 * Looks up a device by name: its ifindex and MTU (either may be NULL).
 * Returns 0, -ENODEV if there is no such device, or another negative errno.
 */
int p2pkp_dev_info(const char *ifname, int *ifindex, unsigned int *mtu);

/*
 * Resolves the path to dst (family AF_INET or AF_INET6), optionally forcing
 * the egress device dev (NULL: let the routing table choose). If the next
 * hop's MAC is not known yet, asks the kernel to resolve it (ARP/ND) and polls
 * the neighbour table for at most timeout_ms.
 *
 * Returns 0 and fills *path, or a negative errno, with a one-line message in
 * err (if non-NULL) suitable for pr_warn("%s", err):
 *   -ENETUNREACH   no route to dst
 *   -EHOSTUNREACH  route exists but is unreachable/prohibit/blackhole
 *   -ENODEV        dev does not exist, dst is a local address, or the egress
 *                  device is loopback or not Ethernet
 *   -EADDRNOTAVAIL no source address of dst's family on the egress device
 *   -ETIMEDOUT     the next hop did not answer ARP/ND within timeout_ms
 *   -EAFNOSUPPORT  family is not AF_INET or AF_INET6
 *   other          netlink failures (-errno of the socket call)
 */
int p2pkp_path_resolve(int family, const union p2pkp_inaddr *dst, const char *dev,
		       unsigned int timeout_ms, struct p2pkp_peer_path *path, char *err,
		       size_t errlen);

/*
 * The egress device the routing table picks for dst, into ifname (IFNAMSIZ
 * bytes): route and device only, no neighbour lookup. Same errors as
 * p2pkp_path_resolve() but -ETIMEDOUT.
 */
int p2pkp_path_device(int family, const union p2pkp_inaddr *dst, char *ifname, char *err,
		      size_t errlen);

#endif /* P2PKP_NETPATH_H */
