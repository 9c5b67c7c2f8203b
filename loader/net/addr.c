// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Addresses as every part of loader/net names them: parsing and printing,
 * comparing, converting to and from sockaddr, and a device's own address.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <ifaddrs.h>
#include <stdio.h>
#include <string.h>

#include "addr.h"

bool p2pkp_addr_equal(const struct p2pkp_addr *a, const struct p2pkp_addr *b)
{
	if (a->family != b->family || a->port != b->port)
		return false;
	if (a->family == AF_INET)
		return a->ip.v4.s_addr == b->ip.v4.s_addr;
	if (a->family == AF_INET6)
		return !memcmp(&a->ip.v6, &b->ip.v6, sizeof(a->ip.v6));
	return false;
}

const char *p2pkp_addr_str(const struct p2pkp_addr *a, char *buf, size_t len)
{
	char ip[INET6_ADDRSTRLEN];
	int n;

	if (!buf || !len)
		return "?";
	if (!inet_ntop(a->family, &a->ip, ip, sizeof(ip)))
		n = snprintf(buf, len, "?:%u", a->port);
	else if (a->family == AF_INET6)
		n = snprintf(buf, len, "[%s]:%u", ip, a->port);
	else
		n = snprintf(buf, len, "%s:%u", ip, a->port);
	return n < 0 || (size_t)n >= len ? "?" : buf;
}

void p2pkp_addr_from_sockaddr(const struct sockaddr_storage *ss, struct p2pkp_addr *a)
{
	const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)ss;
	const struct sockaddr_in *s4 = (const struct sockaddr_in *)ss;

	memset(a, 0, sizeof(*a));
	if (ss->ss_family == AF_INET) {
		a->family = AF_INET;
		a->ip.v4 = s4->sin_addr;
		a->port = ntohs(s4->sin_port);
	} else if (ss->ss_family == AF_INET6 && IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr)) {
		/* A dual-stack socket's IPv4 peer: the same peer the AF_XDP side sees. */
		a->family = AF_INET;
		memcpy(&a->ip.v4, &s6->sin6_addr.s6_addr[12], 4);
		a->port = ntohs(s6->sin6_port);
	} else if (ss->ss_family == AF_INET6) {
		a->family = AF_INET6;
		a->ip.v6 = s6->sin6_addr;
		a->port = ntohs(s6->sin6_port);
	}
}

socklen_t p2pkp_addr_to_sockaddr(const struct p2pkp_addr *a, int sock_family,
				 struct sockaddr_storage *ss)
{
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;

	memset(ss, 0, sizeof(*ss));
	if (sock_family == AF_INET && a->family == AF_INET) {
		s4->sin_family = AF_INET;
		s4->sin_addr = a->ip.v4;
		s4->sin_port = htons(a->port);
		return sizeof(*s4);
	}
	if (sock_family != AF_INET6)
		return 0;
	s6->sin6_family = AF_INET6;
	s6->sin6_port = htons(a->port);
	if (a->family == AF_INET6) {
		s6->sin6_addr = a->ip.v6;
	} else if (a->family == AF_INET) {
		s6->sin6_addr.s6_addr[10] = 0xff;
		s6->sin6_addr.s6_addr[11] = 0xff;
		memcpy(&s6->sin6_addr.s6_addr[12], &a->ip.v4, 4);
	} else {
		return 0;
	}
	return sizeof(*s6);
}

bool p2pkp_dev_addr(const char *ifname, int family, union p2pkp_inaddr *out)
{
	struct ifaddrs *ifa, *i;
	bool found = false;

	if (!ifname || getifaddrs(&ifa))
		return false;
	for (i = ifa; i && !found; i = i->ifa_next) {
		if (!i->ifa_addr || i->ifa_addr->sa_family != family || strcmp(i->ifa_name, ifname))
			continue;
		if (family == AF_INET) {
			out->v4 = ((struct sockaddr_in *)i->ifa_addr)->sin_addr;
			found = true;
		} else if (!IN6_IS_ADDR_LINKLOCAL(
				   &((struct sockaddr_in6 *)i->ifa_addr)->sin6_addr)) {
			/* Link-local needs a zone the wire format has no room for. */
			out->v6 = ((struct sockaddr_in6 *)i->ifa_addr)->sin6_addr;
			found = true;
		}
	}
	freeifaddrs(ifa);
	return found;
}

const char *p2pkp_inaddr_str(int family, const union p2pkp_inaddr *addr, char *buf, size_t len)
{
	if (!inet_ntop(family, addr, buf, (socklen_t)len))
		return "?";
	return buf;
}

/* --- address strings --------------------------------------------------------- */

static int parse_fail(const char **why, const char *msg)
{
	if (why)
		*why = msg;
	return -EINVAL;
}

static int parse_port(const char *s, __u16 *port, const char **why)
{
	unsigned long v = 0;
	const char *p;

	if (!*s)
		return parse_fail(why, "empty port after ':'");
	for (p = s; *p; p++) {
		if (*p < '0' || *p > '9')
			return parse_fail(why, "port is not a decimal number");
		v = v * 10 + (unsigned long)(*p - '0');
		if (v > 65535)
			return parse_fail(why, "port is larger than 65535");
	}
	if (!v)
		return parse_fail(why, "port 0 is not allowed");
	*port = (__u16)v;
	return 0;
}

/*
 * Splits str into its host part (into host, cap bytes), its port (or
 * default_port) and the family its form implies (brackets or colons: IPv6).
 */
static int split_addr(const char *str, __u16 default_port, char *host, size_t cap,
		      struct p2pkp_addr *a, const char **why)
{
	const char *start = str, *port = NULL, *colon, *close;
	size_t hlen;

	*a = (struct p2pkp_addr){.family = AF_INET, .port = default_port};
	if (!str || !*str)
		return parse_fail(why, "empty address");
	if (str[0] == '[') {
		close = strchr(str, ']');
		if (!close)
			return parse_fail(why, "missing ']' after IPv6 address");
		if (close[1] == ':')
			port = close + 2;
		else if (close[1])
			return parse_fail(why, "unexpected text after ']' (expected ':PORT')");
		a->family = AF_INET6;
		start = str + 1;
		hlen = (size_t)(close - start);
	} else {
		colon = strchr(str, ':');
		if (colon && strchr(colon + 1, ':')) {
			a->family = AF_INET6; /* bare IPv6: every colon is the address's */
			hlen = strlen(str);
		} else if (colon) {
			port = colon + 1;
			hlen = (size_t)(colon - str);
		} else {
			hlen = strlen(str);
		}
	}
	if (!hlen)
		return parse_fail(why, "empty address");
	if (hlen >= cap)
		return parse_fail(why, "address too long");
	memcpy(host, start, hlen);
	host[hlen] = '\0';
	if (strchr(host, '%'))
		return parse_fail(why, "IPv6 zone suffix ('%') not supported");
	return port ? parse_port(port, &a->port, why) : 0;
}

int p2pkp_addr_parse(const char *str, __u16 default_port, struct p2pkp_addr *out, const char **why)
{
	char host[INET6_ADDRSTRLEN];
	struct p2pkp_addr a;
	int err;

	err = split_addr(str, default_port, host, sizeof(host), &a, why);
	if (err)
		return err;
	if (inet_pton(a.family, host, &a.ip) != 1)
		return parse_fail(why, a.family == AF_INET ? "not a numeric IPv4 address"
							   : "not a numeric IPv6 address");
	*out = a;
	return 0;
}

int p2pkp_addr_resolve(const char *str, __u16 default_port, struct p2pkp_addr *out,
		       const char **why)
{
	struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_DGRAM};
	struct addrinfo *res, *ai;
	char host[256];
	struct p2pkp_addr a;
	int err;

	if (!p2pkp_addr_parse(str, default_port, out, why))
		return 0;
	err = split_addr(str, default_port, host, sizeof(host), &a, why);
	if (err)
		return err;
	/* Brackets, colons, or only digits and dots: meant as numeric; *why says why not. */
	if (str[0] == '[' || a.family == AF_INET6 || strspn(host, "0123456789.") == strlen(host))
		return -EINVAL;
	if (getaddrinfo(host, NULL, &hints, &res))
		return parse_fail(why, "no such host (not a numeric address, and name lookup "
				       "found none)");
	err = parse_fail(why, "the host has no IPv4 or IPv6 address");
	for (ai = res; ai; ai = ai->ai_next) {
		if (ai->ai_family == AF_INET) {
			a.family = AF_INET;
			memcpy(&a.ip, &((struct sockaddr_in *)ai->ai_addr)->sin_addr, 4);
		} else if (ai->ai_family == AF_INET6) {
			a.family = AF_INET6;
			memcpy(&a.ip, &((struct sockaddr_in6 *)ai->ai_addr)->sin6_addr, 16);
		} else {
			continue;
		}
		*out = a;
		err = 0;
		break;
	}
	freeaddrinfo(res);
	return err;
}
