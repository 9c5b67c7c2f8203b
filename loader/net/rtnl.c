// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* rtnetlink plumbing for the path resolver: one socket, one request at a time. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/socket.h>

#include "netpath_priv.h"

#define NL_RCV_TIMEOUT_S 2     /* the kernel answers at once; this only bounds a hang */
#define NL_MAX_RECVS	 65536 /* bound on datagrams read for one request */

int p2pkp_nl_open(struct nl **out)
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

void p2pkp_nl_close(struct nl *nl)
{
	mnl_socket_close(nl->sock);
	free(nl);
}

int p2pkp_nl_request(struct nl *nl, struct nlmsghdr *nlh, mnl_cb_t cb, void *data)
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

bool p2pkp_nl_attr_inaddr(const struct nlattr *attr, int family, union p2pkp_inaddr *addr)
{
	size_t alen = p2pkp_family_alen(family);

	if (mnl_attr_get_payload_len(attr) != alen)
		return false;
	memset(addr, 0, sizeof(*addr));
	memcpy(addr, mnl_attr_get_payload(attr), alen);
	return true;
}

struct nlmsghdr *p2pkp_nl_msg(__u32 *req, __u16 type, __u16 flags, size_t hdr_len)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(req);

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = flags;
	mnl_nlmsg_put_extra_header(nlh, hdr_len);
	return nlh;
}
