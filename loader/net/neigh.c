// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Neighbour resolution for the path resolver: read the next hop's entry from
 * the kernel's neighbour table, and while it has no valid MAC make the kernel
 * probe (ARP/ND) and poll again, for a bounded time.
 */
#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <linux/rtnetlink.h>
#include <linux/neighbour.h>

#include "clock.h"
#include "log.h"
#include "netpath_priv.h"

#define NEIGH_POLL_STEP_MS 10
#define NEIGH_RETRIGGER_MS 250 /* re-ask the kernel to probe at most this often */
#define DISCARD_PORT	   9   /* RFC 863: the fallback resolution trigger goes here */

/* The kernel's NUD_VALID (include/net/neighbour.h), not in the UAPI. */
#define P2PKP_NUD_VALID                                                                            \
	(NUD_PERMANENT | NUD_NOARP | NUD_REACHABLE | NUD_PROBE | NUD_STALE | NUD_DELAY)

struct neigh_info {
	int family; /* what to match: family, ifindex, dst */
	int ifindex;
	union p2pkp_inaddr dst;
	bool found;
	__u16 state; /* NUD_* */
	size_t lladdr_len;
	__u8 lladdr[P2PKP_ETH_ALEN];
};

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
			match = p2pkp_nl_attr_inaddr(attr, ni->family, &dst) &&
				!memcmp(&dst, &ni->dst, p2pkp_family_alen(ni->family));
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

	nlh = p2pkp_nl_msg(req, type, NLM_F_REQUEST | flags, sizeof(*ndm));
	ndm = mnl_nlmsg_get_payload(nlh);
	ndm->ndm_family = (unsigned char)ni->family;
	ndm->ndm_ifindex = ni->ifindex;
	if (!(flags & NLM_F_DUMP))
		mnl_attr_put(nlh, NDA_DST, p2pkp_family_alen(ni->family), &ni->dst);
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
	err = p2pkp_nl_request(nl, neigh_msg(req, RTM_GETNEIGH, 0, ni), neigh_cb, ni);
	if (err == -ENOENT)
		return 0;
	if (err != -EOPNOTSUPP && err != -EINVAL)
		return err;
	/* Kernels before 5.0 have no single-entry get: search a dump. */
	return p2pkp_nl_request(nl, neigh_msg(req, RTM_GETNEIGH, NLM_F_DUMP, ni), neigh_cb, ni);
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
	err = p2pkp_nl_request(nl, nlh, neigh_cb, NULL);
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

int p2pkp_path_neigh(struct nl *nl, struct p2pkp_peer_path *path, unsigned int timeout_ms,
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
		p2pkp_set_err(err, errlen,
			      "%s: next hop %s on %s did not answer %s within %u ms (%s)", dst_str,
			      nh_str, path->ifname,
			      ni.family == AF_INET ? "ARP" : "neighbour discovery", timeout_ms,
			      neigh_state_str(&ni));
	else
		p2pkp_set_err(err, errlen, "%s: neighbour lookup of %s on %s failed: %s", dst_str,
			      nh_str, path->ifname, strerror(-ret));
	return ret;
}
