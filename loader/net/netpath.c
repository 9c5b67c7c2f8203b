// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Route, source address and device lookups over rtnetlink, so the sender can
 * build frames that the kernel stack would have built itself; the next hop's
 * MAC comes from neigh.c, the netlink plumbing from rtnl.c.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <linux/rtnetlink.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>

#include "netpath_priv.h"

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
	nlh = p2pkp_nl_msg(req, RTM_GETLINK, NLM_F_REQUEST, sizeof(*ifm));
	ifm = mnl_nlmsg_get_payload(nlh);
	ifm->ifi_family = AF_UNSPEC;
	ifm->ifi_index = name ? 0 : ifindex;
	if (name)
		mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	mnl_attr_put_u32(nlh, IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);

	memset(li, 0, sizeof(*li));
	err = p2pkp_nl_request(nl, nlh, link_cb, li);
	if (!err && !li->ifindex)
		err = -ENODEV;
	return err;
}

int p2pkp_dev_info(const char *ifname, int *ifindex, unsigned int *mtu)
{
	struct link_info li;
	struct nl *nl;
	int err;

	err = p2pkp_nl_open(&nl);
	if (err)
		return err;
	err = link_get(nl, 0, ifname, &li);
	if (!err) {
		if (ifindex)
			*ifindex = li.ifindex;
		if (mtu)
			*mtu = li.mtu;
	}
	p2pkp_nl_close(nl);
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
			ri->has_prefsrc = p2pkp_nl_attr_inaddr(attr, rtm->rtm_family, &ri->prefsrc);
			break;
		case RTA_GATEWAY:
			if (p2pkp_nl_attr_inaddr(attr, rtm->rtm_family, &ri->gw))
				ri->gw_family = rtm->rtm_family;
			break;
		case RTA_VIA: /* IPv4 route through an IPv6 gateway (RFC 5549) */
			via = mnl_attr_get_payload(attr);
			if (mnl_attr_get_payload_len(attr) ==
				    sizeof(*via) + p2pkp_family_alen(via->rtvia_family) &&
			    (via->rtvia_family == AF_INET || via->rtvia_family == AF_INET6)) {
				memset(&ri->gw, 0, sizeof(ri->gw));
				memcpy(&ri->gw, via->rtvia_addr,
				       p2pkp_family_alen(via->rtvia_family));
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

	nlh = p2pkp_nl_msg(req, RTM_GETROUTE, NLM_F_REQUEST, sizeof(*rtm));
	rtm = mnl_nlmsg_get_payload(nlh);
	rtm->rtm_family = (unsigned char)family;
	rtm->rtm_dst_len = (unsigned char)(p2pkp_family_alen(family) * 8);
	mnl_attr_put(nlh, RTA_DST, p2pkp_family_alen(family), dst);
	if (oif)
		mnl_attr_put_u32(nlh, RTA_OIF, (__u32)oif);

	memset(ri, 0, sizeof(*ri));
	return p2pkp_nl_request(nl, nlh, route_cb, ri);
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
	if (!local || !p2pkp_nl_attr_inaddr(local, pick->family, &a))
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

	nlh = p2pkp_nl_msg(req, RTM_GETADDR, NLM_F_REQUEST | NLM_F_DUMP, sizeof(*ifa));
	ifa = mnl_nlmsg_get_payload(nlh);
	ifa->ifa_family = (unsigned char)family;

	memset(pick, 0, sizeof(*pick));
	pick->family = family;
	pick->ifindex = ifindex;
	return p2pkp_nl_request(nl, nlh, addr_cb, pick);
}

/* --- the path --------------------------------------------------------------------- */

/* A path to dst to be filled in, its printable form, and an rtnetlink socket. */
static int path_begin(int family, const union p2pkp_inaddr *dst, struct p2pkp_peer_path *p,
		      char dst_str[INET6_ADDRSTRLEN], struct nl **nl, char *err, size_t errlen)
{
	int ret;

	if (family != AF_INET && family != AF_INET6) {
		p2pkp_set_err(err, errlen, "unsupported address family %d", family);
		return -EAFNOSUPPORT;
	}
	memset(p, 0, sizeof(*p));
	p->family = family;
	memcpy(&p->dst, dst, p2pkp_family_alen(family));
	p2pkp_inaddr_str(family, &p->dst, dst_str, INET6_ADDRSTRLEN);
	ret = p2pkp_nl_open(nl);
	if (ret)
		p2pkp_set_err(err, errlen, "%s: cannot open rtnetlink socket: %s", dst_str,
			      strerror(-ret));
	return ret;
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
		p2pkp_set_err(err, errlen, "%s: no route to network", dst_str);
		return -ENETUNREACH;
	case -EHOSTUNREACH:
	case -EACCES:
	case -EINVAL:
		p2pkp_set_err(err, errlen,
			      "%s: route is unreachable, prohibited or a blackhole (%s)", dst_str,
			      strerror(-ret));
		return -EHOSTUNREACH;
	default:
		p2pkp_set_err(err, errlen, "%s: route lookup failed: %s", dst_str, strerror(-ret));
		return ret;
	}
	if (!ri.found || !ri.oif) {
		p2pkp_set_err(err, errlen, "%s: route lookup returned no egress device", dst_str);
		return -EHOSTUNREACH;
	}
	switch (ri.type) {
	case RTN_UNICAST:
	case RTN_BROADCAST:
	case RTN_MULTICAST:
		break;
	case RTN_LOCAL:
	case RTN_ANYCAST:
		p2pkp_set_err(err, errlen, "%s is a local address of this host", dst_str);
		return -ENODEV;
	default:
		p2pkp_set_err(err, errlen,
			      "%s: route is unreachable, prohibited or a blackhole (type %u)",
			      dst_str, ri.type);
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
		p2pkp_set_err(err, errlen, "%s: egress device %d: %s", dst_str, path->ifindex,
			      strerror(-ret));
		return ret;
	}
	if (li.flags & IFF_LOOPBACK) {
		p2pkp_set_err(err, errlen, "%s: egress device %s is loopback", dst_str, li.name);
		return -ENODEV;
	}
	if (li.type != ARPHRD_ETHER || li.addr_len != P2PKP_ETH_ALEN) {
		p2pkp_set_err(err, errlen, "%s: egress device %s is not an Ethernet device",
			      dst_str, li.name);
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
		p2pkp_set_err(err, errlen, "%s: listing addresses of %s failed: %s", dst_str,
			      path->ifname, strerror(-ret));
		return ret;
	}
	if (!pick.found) {
		p2pkp_set_err(err, errlen, "%s: no usable IPv%c address on %s", dst_str,
			      path->family == AF_INET ? '4' : '6', path->ifname);
		return -EADDRNOTAVAIL;
	}
	path->src = pick.addr;
	return 0;
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

	ret = path_begin(family, dst, &p, dst_str, &nl, err, errlen);
	if (ret)
		return ret;
	if (dev) {
		ret = link_get(nl, 0, dev, &li);
		if (ret) {
			p2pkp_set_err(err, errlen, "%s: device %s: %s", dst_str, dev,
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
	ret = p2pkp_path_neigh(nl, &p, timeout_ms, dst_str, err, errlen);
	if (ret)
		goto out_close;
	*path = p;

out_close:
	p2pkp_nl_close(nl);
	return ret;
}

int p2pkp_path_device(int family, const union p2pkp_inaddr *dst, char *ifname, char *err,
		      size_t errlen)
{
	char dst_str[INET6_ADDRSTRLEN];
	struct p2pkp_peer_path p;
	bool has_src = false;
	struct nl *nl;
	int ret;

	ret = path_begin(family, dst, &p, dst_str, &nl, err, errlen);
	if (ret)
		return ret;
	ret = path_route(nl, &p, 0, &has_src, dst_str, err, errlen);
	if (!ret)
		ret = path_link(nl, &p, dst_str, err, errlen);
	if (!ret)
		memcpy(ifname, p.ifname, sizeof(p.ifname));
	p2pkp_nl_close(nl);
	return ret;
}
