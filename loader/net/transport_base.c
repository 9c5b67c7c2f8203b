// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* The part of a transport both backends fill the same way: device, MTU, local address. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "netpath.h"
#include "transport_priv.h"

int p2pkp_transport_init_base(struct p2pkp_transport *t, const struct p2pkp_transport_ops *ops,
			      const struct p2pkp_transport_opts *opts, char *why, size_t whylen)
{
	int err;

	t->ops = ops;
	t->opts = *opts;
	t->opts.ifname = NULL;
	if (opts->ifname) {
		if (snprintf(t->ifname, sizeof(t->ifname), "%s", opts->ifname) >=
		    (int)sizeof(t->ifname)) {
			snprintf(why, whylen, "device name too long");
			return -ENAMETOOLONG;
		}
		t->opts.ifname = t->ifname;
		err = p2pkp_dev_info(t->ifname, NULL, &t->mtu);
		if (err) {
			snprintf(why, whylen, "%s",
				 err == -ENODEV ? "no such device" : strerror(-err));
			return err;
		}
	}
	/* Either family: the device's IPv4 address, else its IPv6 one. */
	t->local.family = opts->family == AF_INET6 ? AF_INET6 : AF_INET;
	if (p2pkp_dev_addr(t->opts.ifname, t->local.family, &t->local.ip))
		return 0;
	if (opts->family == AF_UNSPEC && p2pkp_dev_addr(t->opts.ifname, AF_INET6, &t->local.ip)) {
		t->local.family = AF_INET6;
		return 0;
	}
	memset(&t->local.ip, 0, sizeof(t->local.ip));
	return 0;
}
