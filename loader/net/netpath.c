// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Route, source address, device and neighbour lookups over rtnetlink, so the
 * sender can build frames that the kernel stack would have built itself.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <libmnl/libmnl.h>
#include <linux/rtnetlink.h>
#include <linux/neighbour.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>

#include "clock.h"
#include "log.h"
#include "netpath.h"

#define NL_BUF_SIZE	   32768 /* large enough for one dump batch or RTM_NEWLINK */
#define NL_REQ_WORDS	   128	 /* request buffer, 512 bytes, 4-byte aligned */
#define NL_RCV_TIMEOUT_S   2	 /* the kernel answers at once; this only bounds a hang */
#define NL_MAX_RECVS	   65536 /* bound on datagrams read for one request */
#define NEIGH_POLL_STEP_MS 10
#define NEIGH_RETRIGGER_MS 250 /* re-ask the kernel to probe at most this often */
#define DISCARD_PORT	   9   /* RFC 863: the fallback resolution trigger goes here */

/* The kernel's NUD_VALID (include/net/neighbour.h), not in the UAPI. */
#define P2PKP_NUD_VALID                                                                            \
	(NUD_PERMANENT | NUD_NOARP | NUD_REACHABLE | NUD_PROBE | NUD_STALE | NUD_DELAY)

struct nl {
	struct mnl_socket *sock;
	unsigned int portid;
	unsigned int seq;
	char buf[NL_BUF_SIZE];
};

struct link_info {
	int ifindex;
	unsigned int flags;  /* IFF_* */
	unsigned short type; /* ARPHRD_* */
	unsigned int mtu;
	size_t addr_len;
	__u8 addr[P2PKP_ETH_ALEN];
	char name[IF_NAMESIZE];
};

struct route_info {
	bool found;
	unsigned char type; /* RTN_* */
	int oif;
	bool has_prefsrc;
	union p2pkp_inaddr prefsrc;
	int gw_family; /* 0: no gateway, on-link */
	union p2pkp_inaddr gw;
};

struct addr_pick {
	int family;
	int ifindex;
	bool found;
	unsigned char scope; /* RT_SCOPE_* of the pick; lower is wider */
	union p2pkp_inaddr addr;
};

struct neigh_info {
	int family; /* what to match: family, ifindex, dst */
	int ifindex;
	union p2pkp_inaddr dst;
	bool found;
	__u16 state; /* NUD_* */
	size_t lladdr_len;
	__u8 lladdr[P2PKP_ETH_ALEN];
};

static size_t family_alen(int family)
{
	return family == AF_INET ? sizeof(struct in_addr) : sizeof(struct in6_addr);
}

__attribute__((format(printf, 3, 4))) static void set_err(char *err, size_t len, const char *fmt,
							  ...)
{
	va_list ap;

	if (!err || !len)
		return;
	va_start(ap, fmt);
	vsnprintf(err, len, fmt, ap);
	va_end(ap);
}

/* --- rtnetlink plumbing -------------------------------------------------------- */

static int nl_open(struct nl **out)
{
	struct timeval tv = {.tv_sec = NL_RCV_TIMEOUT_S};
	struct nl *nl;
	int err;

	nl = calloc(1, sizeof(*nl));
	if (!nl)
		return -ENOMEM;
	nl->sock = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
	if (!nl->sock) {
		err = -errno;
		goto err_free;
	}
	if (setsockopt(mnl_socket_get_fd(nl->sock), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) ||
	    mnl_socket_bind(nl->sock, 0, MNL_SOCKET_AUTOPID) < 0) {
		err = -errno;
		goto err_close;
	}
	nl->portid = mnl_socket_get_portid(nl->sock);
	nl->seq = (unsigned int)time(NULL);
	*out = nl;
	return 0;

err_close:
	mnl_socket_close(nl->sock);
err_free:
	free(nl);
	return err;
}

static void nl_close(struct nl *nl)
{
	mnl_socket_close(nl->sock);
	free(nl);
}

/*
 * Sends one request and feeds every reply to cb until the kernel's ACK (for
 * requests) or DONE (for dumps). Returns 0 or the kernel's negative errno.
 */
static int nl_request(struct nl *nl, struct nlmsghdr *nlh, mnl_cb_t cb, void *data)
{
	unsigned int seq = ++nl->seq;
	ssize_t n;
	int i, ret;

	if (!(nlh->nlmsg_flags & NLM_F_DUMP))
		nlh->nlmsg_flags |= NLM_F_ACK; /* so the end of the answer is marked */
	nlh->nlmsg_seq = seq;
	if (mnl_socket_sendto(nl->sock, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	for (i = 0; i < NL_MAX_RECVS; i++) {
		n = mnl_socket_recvfrom(nl->sock, nl->buf, sizeof(nl->buf));
		if (n < 0)
			return errno == EAGAIN || errno == EWOULDBLOCK ? -ETIME : -errno;
		ret = mnl_cb_run(nl->buf, (size_t)n, seq, nl->portid, cb, data);
		if (ret < 0)
			return errno ? -errno : -EIO;
		if (ret == MNL_CB_STOP)
			return 0;
	}
	return -EIO;
}

/* Copies an address attribute of family into *addr; false if it has another size. */
static bool attr_inaddr(const struct nlattr *attr, int family, union p2pkp_inaddr *addr)
{
	size_t alen = family_alen(family);

	if (mnl_attr_get_payload_len(attr) != alen)
		return false;
	memset(addr, 0, sizeof(*addr));
	memcpy(addr, mnl_attr_get_payload(attr), alen);
	return true;
}

/* --- links ---------------------------------------------------------------------- */

static int link_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct ifinfomsg *ifm = mnl_nlmsg_get_payload(nlh);
	struct link_info *li = data;
	const struct nlattr *attr;

	if (nlh->nlmsg_type != RTM_NEWLINK)
		return MNL_CB_OK;
	li->ifindex = ifm->ifi_index;
	li->flags = ifm->ifi_flags;
	li->type = ifm->ifi_type;
	mnl_attr_for_each(attr, nlh, sizeof(*ifm))
	{
		switch (mnl_attr_get_type(attr)) {
		case IFLA_IFNAME:
			if (mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) >= 0)
				snprintf(li->name, sizeof(li->name), "%s", mnl_attr_get_str(attr));
			break;
		case IFLA_MTU:
			if (mnl_attr_validate(attr, MNL_TYPE_U32) >= 0)
				li->mtu = mnl_attr_get_u32(attr);
			break;
		case IFLA_ADDRESS:
			li->addr_len = mnl_attr_get_payload_len(attr);
			if (li->addr_len == P2PKP_ETH_ALEN)
				memcpy(li->addr, mnl_attr_get_payload(attr), P2PKP_ETH_ALEN);
			break;
		}
	}
	return MNL_CB_OK;
}

/* Looks a device up by ifindex, or by name if name is non-NULL. */
static int link_get(struct nl *nl, int ifindex, const char *name, struct link_info *li)
{
	__u32 req[NL_REQ_WORDS];
	struct nlmsghdr *nlh;
	struct ifinfomsg *ifm;
	int err;

	if (name && (!*name || strlen(name) >= IF_NAMESIZE))
		return -ENODEV;
	nlh = mnl_nlmsg_put_header(req);
	nlh->nlmsg_type = RTM_GETLINK;
	nlh->nlmsg_flags = NLM_F_REQUEST;
	ifm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifm));
	ifm->ifi_family = AF_UNSPEC;
	ifm->ifi_index = name ? 0 : ifindex;
	if (name)
		mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	mnl_attr_put_u32(nlh, IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);

	memset(li, 0, sizeof(*li));
	err = nl_request(nl, nlh, link_cb, li);
	if (!err && !li->ifindex)
		err = -ENODEV;
	return err;
}

int p2pkp_dev_info(const char *ifname, int *ifindex, unsigned int *mtu)
{
	struct link_info li;
	struct nl *nl;
	int err;

	err = nl_open(&nl);
	if (err)
		return err;
	err = link_get(nl, 0, ifname, &li);
	if (!err) {
		if (ifindex)
			*ifindex = li.ifindex;
		if (mtu)
			*mtu = li.mtu;
	}
	nl_close(nl);
	return err;
}

/* --- routes ----------------------------------------------------------------------- */

static int route_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct rtmsg *rtm = mnl_nlmsg_get_payload(nlh);
	struct route_info *ri = data;
	const struct nlattr *attr;
	const struct rtvia *via;

	if (nlh->nlmsg_type != RTM_NEWROUTE || ri->found)
		return MNL_CB_OK;
	ri->found = true;
	ri->type = rtm->rtm_type;
	mnl_attr_for_each(attr, nlh, sizeof(*rtm))
	{
		switch (mnl_attr_get_type(attr)) {
		case RTA_OIF:
			if (mnl_attr_validate(attr, MNL_TYPE_U32) >= 0)
				ri->oif = (int)mnl_attr_get_u32(attr);
			break;
		case RTA_PREFSRC:
			ri->has_prefsrc = attr_inaddr(attr, rtm->rtm_family, &ri->prefsrc);
			break;
		case RTA_GATEWAY:
			if (attr_inaddr(attr, rtm->rtm_family, &ri->gw))
				ri->gw_family = rtm->rtm_family;
			break;
		case RTA_VIA: /* IPv4 route through an IPv6 gateway (RFC 5549) */
			via = mnl_attr_get_payload(attr);
			if (mnl_attr_get_payload_len(attr) ==
				    sizeof(*via) + family_alen(via->rtvia_family) &&
			    (via->rtvia_family == AF_INET || via->rtvia_family == AF_INET6)) {
				memset(&ri->gw, 0, sizeof(ri->gw));
				memcpy(&ri->gw, via->rtvia_addr, family_alen(via->rtvia_family));
				ri->gw_family = via->rtvia_family;
			}
			break;
		}
	}
	return MNL_CB_OK;
}

/* Asks the kernel which route a packet to dst would take (ip route get). */
static int route_get(struct nl *nl, int family, const union p2pkp_inaddr *dst, int oif,
		     struct route_info *ri)
{
	__u32 req[NL_REQ_WORDS];
	struct nlmsghdr *nlh;
	struct rtmsg *rtm;

	nlh = mnl_nlmsg_put_header(req);
	nlh->nlmsg_type = RTM_GETROUTE;
	nlh->nlmsg_flags = NLM_F_REQUEST;
	rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = (unsigned char)family;
	rtm->rtm_dst_len = (unsigned char)(family_alen(family) * 8);
	mnl_attr_put(nlh, RTA_DST, family_alen(family), dst);
	if (oif)
		mnl_attr_put_u32(nlh, RTA_OIF, (__u32)oif);

	memset(ri, 0, sizeof(*ri));
	return nl_request(nl, nlh, route_cb, ri);
}

/* --- addresses --------------------------------------------------------------------- */

static int addr_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct ifaddrmsg *ifa = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *attr, *local = NULL, *address = NULL;
	struct addr_pick *pick = data;
	union p2pkp_inaddr a;

	if (nlh->nlmsg_type != RTM_NEWADDR || ifa->ifa_family != pick->family ||
	    (int)ifa->ifa_index != pick->ifindex)
		return MNL_CB_OK;
	/* The primary, usable address of the widest scope wins. */
	if (ifa->ifa_flags & (IFA_F_SECONDARY | IFA_F_TENTATIVE | IFA_F_DADFAILED) ||
	    ifa->ifa_scope >= RT_SCOPE_HOST || (pick->found && ifa->ifa_scope >= pick->scope))
		return MNL_CB_OK;
	mnl_attr_for_each(attr, nlh, sizeof(*ifa))
	{
		if (mnl_attr_get_type(attr) == IFA_LOCAL)
			local = attr;
		else if (mnl_attr_get_type(attr) == IFA_ADDRESS)
			address = attr;
	}
	if (!local)
		local = address;
	if (!local || !attr_inaddr(local, pick->family, &a))
		return MNL_CB_OK;
	pick->addr = a;
	pick->scope = ifa->ifa_scope;
	pick->found = true;
	return MNL_CB_OK;
}

/* Picks the device's primary address of family (when the route names no source). */
static int addr_pick(struct nl *nl, int family, int ifindex, struct addr_pick *pick)
{
	__u32 req[NL_REQ_WORDS];
	struct nlmsghdr *nlh;
	struct ifaddrmsg *ifa;

	nlh = mnl_nlmsg_put_header(req);
	nlh->nlmsg_type = RTM_GETADDR;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	ifa->ifa_family = (unsigned char)family;

	memset(pick, 0, sizeof(*pick));
	pick->family = family;
	pick->ifindex = ifindex;
	return nl_request(nl, nlh, addr_cb, pick);
}

/* --- neighbours --------------------------------------------------------------------- */

static int neigh_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct ndmsg *ndm = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *attr, *lladdr = NULL;
	struct neigh_info *ni = data;
	union p2pkp_inaddr dst;
	bool match = false;

	if (nlh->nlmsg_type != RTM_NEWNEIGH || ni->found || ndm->ndm_family != ni->family ||
	    ndm->ndm_ifindex != ni->ifindex)
		return MNL_CB_OK;
	mnl_attr_for_each(attr, nlh, sizeof(*ndm))
	{
		if (mnl_attr_get_type(attr) == NDA_DST)
			match = attr_inaddr(attr, ni->family, &dst) &&
				!memcmp(&dst, &ni->dst, family_alen(ni->family));
		else if (mnl_attr_get_type(attr) == NDA_LLADDR)
			lladdr = attr;
	}
	if (!match)
		return MNL_CB_OK;
	ni->found = true;
	ni->state = ndm->ndm_state;
	if (lladdr) {
		ni->lladdr_len = mnl_attr_get_payload_len(lladdr);
		if (ni->lladdr_len == P2PKP_ETH_ALEN)
			memcpy(ni->lladdr, mnl_attr_get_payload(lladdr), P2PKP_ETH_ALEN);
	}
	return MNL_CB_OK;
}

static struct nlmsghdr *neigh_msg(__u32 *req, __u16 type, __u16 flags, const struct neigh_info *ni)
{
	struct nlmsghdr *nlh;
	struct ndmsg *ndm;

	nlh = mnl_nlmsg_put_header(req);
	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	ndm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ndm));
	ndm->ndm_family = (unsigned char)ni->family;
	ndm->ndm_ifindex = ni->ifindex;
	if (!(flags & NLM_F_DUMP))
		mnl_attr_put(nlh, NDA_DST, family_alen(ni->family), &ni->dst);
	return nlh;
}

/* Reads one neighbour entry; ni->found is false when there is none. */
static int neigh_get(struct nl *nl, struct neigh_info *ni)
{
	__u32 req[NL_REQ_WORDS];
	int err;

	ni->found = false;
	ni->state = NUD_NONE;
	ni->lladdr_len = 0;
	err = nl_request(nl, neigh_msg(req, RTM_GETNEIGH, 0, ni), neigh_cb, ni);
	if (err == -ENOENT)
		return 0;
	if (err != -EOPNOTSUPP && err != -EINVAL)
		return err;
	/* Kernels before 5.0 have no single-entry get: search a dump. */
	return nl_request(nl, neigh_msg(req, RTM_GETNEIGH, NLM_F_DUMP, ni), neigh_cb, ni);
}

/* Fallback trigger: a zero-length datagram to the discard port makes the stack resolve. */
static void neigh_poke_udp(const struct neigh_info *ni, const char *ifname)
{
	struct sockaddr_in6 sin6 = {.sin6_family = AF_INET6, .sin6_port = htons(DISCARD_PORT)};
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(DISCARD_PORT)};
	const struct sockaddr *sa = (const struct sockaddr *)&sin;
	socklen_t salen = sizeof(sin);
	int fd;

	if (ni->family == AF_INET6) {
		sin6.sin6_addr = ni->dst.v6;
		if (IN6_IS_ADDR_LINKLOCAL(&sin6.sin6_addr))
			sin6.sin6_scope_id = (__u32)ni->ifindex;
		sa = (const struct sockaddr *)&sin6;
		salen = sizeof(sin6);
	} else {
		sin.sin_addr = ni->dst.v4;
	}
	fd = socket(ni->family, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return;
	/* Best effort: keeps the datagram on the resolved device when allowed. */
	(void)setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, ifname, (socklen_t)strlen(ifname));
	(void)sendto(fd, "", 0, MSG_DONTWAIT, sa, salen);
	close(fd);
}

/*
 * Makes the kernel probe the neighbour: an NTF_USE entry update (needs
 * CAP_NET_ADMIN, sends nothing but ARP/ND), else a datagram to it.
 */
static void neigh_trigger(struct nl *nl, const struct neigh_info *ni, const char *ifname)
{
	__u32 req[NL_REQ_WORDS];
	struct nlmsghdr *nlh;
	struct ndmsg *ndm;
	int err;

	nlh = neigh_msg(req, RTM_NEWNEIGH, NLM_F_CREATE, ni);
	ndm = mnl_nlmsg_get_payload(nlh);
	ndm->ndm_state = NUD_NONE;
	ndm->ndm_flags = NTF_USE;
	err = nl_request(nl, nlh, neigh_cb, NULL);
	if (err) {
		pr_debug("neighbour probe request on %s failed (%s); sending a datagram instead",
			 ifname, strerror(-err));
		neigh_poke_udp(ni, ifname);
	}
}

/* Polls the neighbour table for a valid MAC, triggering resolution, for at most timeout_ms. */
static int neigh_resolve(struct nl *nl, struct neigh_info *ni, const char *ifname,
			 unsigned int timeout_ms)
{
	long long deadline = p2pkp_now_ms() + timeout_ms, last_trigger = 0, now, step;
	unsigned int i, max_polls = timeout_ms / NEIGH_POLL_STEP_MS + 2;
	bool triggered = false;
	int err;

	for (i = 0; i < max_polls; i++) {
		err = neigh_get(nl, ni);
		if (err)
			return err;
		if (ni->found && (ni->state & P2PKP_NUD_VALID) && ni->lladdr_len == P2PKP_ETH_ALEN)
			return 0;
		now = p2pkp_now_ms();
		/*
		 * INCOMPLETE means the kernel is already probing; anything else
		 * needs a nudge, even with no time to wait (a later call may win).
		 */
		if (!(ni->state & NUD_INCOMPLETE) &&
		    (!triggered || now - last_trigger >= NEIGH_RETRIGGER_MS)) {
			neigh_trigger(nl, ni, ifname);
			triggered = true;
			last_trigger = now;
		}
		if (now >= deadline)
			break;
		step = deadline - now < NEIGH_POLL_STEP_MS ? deadline - now : NEIGH_POLL_STEP_MS;
		/* An early wake-up only costs one more poll. */
		p2pkp_sleep_ns((__u64)step * NSEC_PER_MSEC);
	}
	return -ETIMEDOUT;
}

/* --- the path --------------------------------------------------------------------- */

static const char *neigh_state_str(const struct neigh_info *ni)
{
	if (!ni->found)
		return "none";
	if (ni->state & NUD_INCOMPLETE)
		return "INCOMPLETE";
	if (ni->state & NUD_FAILED)
		return "FAILED";
	return "no link-layer address";
}

/* Route lookup: fills ifindex, nexthop and (if the route has one) src. */
static int path_route(struct nl *nl, struct p2pkp_peer_path *path, int oif, bool *has_src,
		      const char *dst_str, char *err, size_t errlen)
{
	struct route_info ri;
	int ret;

	ret = route_get(nl, path->family, &path->dst, oif, &ri);
	switch (ret) {
	case 0:
		break;
	case -ENETUNREACH:
		set_err(err, errlen, "%s: no route to network", dst_str);
		return -ENETUNREACH;
	case -EHOSTUNREACH:
	case -EACCES:
	case -EINVAL:
		set_err(err, errlen, "%s: route is unreachable, prohibited or a blackhole (%s)",
			dst_str, strerror(-ret));
		return -EHOSTUNREACH;
	default:
		set_err(err, errlen, "%s: route lookup failed: %s", dst_str, strerror(-ret));
		return ret;
	}
	if (!ri.found || !ri.oif) {
		set_err(err, errlen, "%s: route lookup returned no egress device", dst_str);
		return -EHOSTUNREACH;
	}
	switch (ri.type) {
	case RTN_UNICAST:
	case RTN_BROADCAST:
	case RTN_MULTICAST:
		break;
	case RTN_LOCAL:
	case RTN_ANYCAST:
		set_err(err, errlen, "%s is a local address of this host", dst_str);
		return -ENODEV;
	default:
		set_err(err, errlen,
			"%s: route is unreachable, prohibited or a blackhole (type %u)", dst_str,
			ri.type);
		return -EHOSTUNREACH;
	}

	path->ifindex = ri.oif;
	*has_src = ri.has_prefsrc;
	if (ri.has_prefsrc)
		path->src = ri.prefsrc;
	path->nexthop_family = ri.gw_family ? ri.gw_family : path->family;
	path->nexthop = ri.gw_family ? ri.gw : path->dst;
	return 0;
}

/* Egress device: must be Ethernet; gives name, MAC and MTU. */
static int path_link(struct nl *nl, struct p2pkp_peer_path *path, const char *dst_str, char *err,
		     size_t errlen)
{
	struct link_info li;
	int ret;

	ret = link_get(nl, path->ifindex, NULL, &li);
	if (ret) {
		set_err(err, errlen, "%s: egress device %d: %s", dst_str, path->ifindex,
			strerror(-ret));
		return ret;
	}
	if (li.flags & IFF_LOOPBACK) {
		set_err(err, errlen, "%s: egress device %s is loopback", dst_str, li.name);
		return -ENODEV;
	}
	if (li.type != ARPHRD_ETHER || li.addr_len != P2PKP_ETH_ALEN) {
		set_err(err, errlen, "%s: egress device %s is not an Ethernet device", dst_str,
			li.name);
		return -ENODEV;
	}
	memcpy(path->src_mac, li.addr, P2PKP_ETH_ALEN);
	memcpy(path->ifname, li.name, sizeof(path->ifname));
	path->mtu = li.mtu;
	return 0;
}

static int path_source(struct nl *nl, struct p2pkp_peer_path *path, const char *dst_str, char *err,
		       size_t errlen)
{
	struct addr_pick pick;
	int ret;

	ret = addr_pick(nl, path->family, path->ifindex, &pick);
	if (ret) {
		set_err(err, errlen, "%s: listing addresses of %s failed: %s", dst_str,
			path->ifname, strerror(-ret));
		return ret;
	}
	if (!pick.found) {
		set_err(err, errlen, "%s: no usable IPv%c address on %s", dst_str,
			path->family == AF_INET ? '4' : '6', path->ifname);
		return -EADDRNOTAVAIL;
	}
	path->src = pick.addr;
	return 0;
}

static int path_neigh(struct nl *nl, struct p2pkp_peer_path *path, unsigned int timeout_ms,
		      const char *dst_str, char *err, size_t errlen)
{
	struct neigh_info ni = {
		.family = path->nexthop_family,
		.ifindex = path->ifindex,
		.dst = path->nexthop,
	};
	char nh_str[INET6_ADDRSTRLEN];
	int ret;

	ret = neigh_resolve(nl, &ni, path->ifname, timeout_ms);
	if (!ret) {
		memcpy(path->dst_mac, ni.lladdr, P2PKP_ETH_ALEN);
		return 0;
	}
	p2pkp_inaddr_str(ni.family, &ni.dst, nh_str, sizeof(nh_str));
	if (ret == -ETIMEDOUT)
		set_err(err, errlen, "%s: next hop %s on %s did not answer %s within %u ms (%s)",
			dst_str, nh_str, path->ifname,
			ni.family == AF_INET ? "ARP" : "neighbour discovery", timeout_ms,
			neigh_state_str(&ni));
	else
		set_err(err, errlen, "%s: neighbour lookup of %s on %s failed: %s", dst_str, nh_str,
			path->ifname, strerror(-ret));
	return ret;
}

int p2pkp_path_resolve(int family, const union p2pkp_inaddr *dst, const char *dev,
		       unsigned int timeout_ms, struct p2pkp_peer_path *path, char *err,
		       size_t errlen)
{
	char dst_str[INET6_ADDRSTRLEN];
	struct p2pkp_peer_path p;
	struct link_info li;
	bool has_src = false;
	struct nl *nl;
	int oif = 0, ret;

	if (family != AF_INET && family != AF_INET6) {
		set_err(err, errlen, "unsupported address family %d", family);
		return -EAFNOSUPPORT;
	}
	memset(&p, 0, sizeof(p));
	p.family = family;
	memcpy(&p.dst, dst, family_alen(family));
	p2pkp_inaddr_str(family, &p.dst, dst_str, sizeof(dst_str));

	ret = nl_open(&nl);
	if (ret) {
		set_err(err, errlen, "%s: cannot open rtnetlink socket: %s", dst_str,
			strerror(-ret));
		return ret;
	}
	if (dev) {
		ret = link_get(nl, 0, dev, &li);
		if (ret) {
			set_err(err, errlen, "%s: device %s: %s", dst_str, dev,
				ret == -ENODEV ? "no such device" : strerror(-ret));
			goto out_close;
		}
		oif = li.ifindex;
	}
	ret = path_route(nl, &p, oif, &has_src, dst_str, err, errlen);
	if (ret)
		goto out_close;
	ret = path_link(nl, &p, dst_str, err, errlen);
	if (ret)
		goto out_close;
	if (!has_src) {
		ret = path_source(nl, &p, dst_str, err, errlen);
		if (ret)
			goto out_close;
	}
	ret = path_neigh(nl, &p, timeout_ms, dst_str, err, errlen);
	if (ret)
		goto out_close;
	*path = p;

out_close:
	nl_close(nl);
	return ret;
}
