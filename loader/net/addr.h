/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* A UDP endpoint, as the transport, the path resolver and the engine name peers. */
#ifndef P2PKP_ADDR_H
#define P2PKP_ADDR_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>
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

bool p2pkp_addr_equal(const struct p2pkp_addr *a, const struct p2pkp_addr *b);
/* "10.0.0.1:7471", "[fd00::1]:7471"; buf of at least P2PKP_ADDR_STRLEN. */
#define P2PKP_ADDR_STRLEN 56
const char *p2pkp_addr_str(const struct p2pkp_addr *a, char *buf, size_t len);
/* Formats addr (without port) into buf; returns buf, or "?" if it does not fit. */
const char *p2pkp_inaddr_str(int family, const union p2pkp_inaddr *addr, char *buf, size_t len);

/*
 * Parses str as "A.B.C.D", "A.B.C.D:PORT", "[V6]", "[V6]:PORT" or a bare IPv6
 * address (no port then). A missing port becomes default_port. Returns 0, or
 * -EINVAL with *why (if why is non-NULL) set to a static one-line reason.
 * Only numeric addresses: no host names, no "%zone" suffixes.
 */
int p2pkp_addr_parse(const char *str, __u16 default_port, struct p2pkp_addr *out, const char **why);
/*
 * As p2pkp_addr_parse(), and a host name ("host.example:7471") is looked up
 * (getaddrinfo: /etc/hosts, DNS), its first IPv4 or IPv6 address taken.
 */
int p2pkp_addr_resolve(const char *str, __u16 default_port, struct p2pkp_addr *out,
		       const char **why);

/* sockaddr <-> p2pkp_addr; IPv4-mapped IPv6 addresses come out as AF_INET. */
void p2pkp_addr_from_sockaddr(const struct sockaddr_storage *ss, struct p2pkp_addr *a);
/* Fills ss for sending from a socket of sock_family; length, or 0 if impossible. */
socklen_t p2pkp_addr_to_sockaddr(const struct p2pkp_addr *a, int sock_family,
				 struct sockaddr_storage *ss);

/* The first address of family on ifname, or false. */
bool p2pkp_dev_addr(const char *ifname, int family, union p2pkp_inaddr *out);

#endif /* P2PKP_ADDR_H */
