/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Whether the host owns an address, for TSI_DENY_HOST (policy.h): one
 * RTM_GETROUTE request over rtnetlink, the question `ip route get ADDR` asks,
 * answered by the routing of the VMM's own network namespace at this moment.
 * A "local" route means that a connect there reaches a socket of this host,
 * whatever interface the address is on; asking the routing rather than
 * listing the interfaces' addresses also covers addresses being added or
 * removed while the VM runs, and needs no privilege.
 */
#include <errno.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tsi/policy.h"

int tsi_route_local(const struct sockaddr *sa)
{
	struct {
		struct nlmsghdr nh;
		struct rtmsg rt;
		struct rtattr dst;
		uint8_t addr[16];
	} req = { 0 };
	/* The reply: a route message with a few attributes, or an error. */
	union {
		struct nlmsghdr nh;
		uint8_t bytes[1024];
	} rep;
	size_t alen = sa->sa_family == AF_INET ? 4 : 16;
	const struct nlmsghdr *nh = &rep.nh;
	ssize_t n;
	int fd, r;

	if (sa->sa_family == AF_INET)
		memcpy(req.addr, &((const struct sockaddr_in *)sa)->sin_addr, 4);
	else if (sa->sa_family == AF_INET6)
		memcpy(req.addr, &((const struct sockaddr_in6 *)sa)->sin6_addr, 16);
	else
		return -EAFNOSUPPORT;
	req.nh.nlmsg_len = (uint32_t)(NLMSG_LENGTH(sizeof(req.rt)) + RTA_LENGTH(alen));
	req.nh.nlmsg_type = RTM_GETROUTE;
	req.nh.nlmsg_flags = NLM_F_REQUEST;
	req.nh.nlmsg_seq = 1;
	req.rt.rtm_family = (uint8_t)sa->sa_family;
	req.rt.rtm_dst_len = (uint8_t)(alen * 8);
	req.dst.rta_type = RTA_DST;
	req.dst.rta_len = (unsigned short)RTA_LENGTH(alen);

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0)
		return -errno;
	if (send(fd, &req, req.nh.nlmsg_len, 0) < 0) {
		r = -errno;
		goto out;
	}
	/* rtnetlink answers a GET within send(): the reply is queued already. */
	n = recv(fd, &rep, sizeof(rep), MSG_DONTWAIT);
	if (n < 0) {
		r = -errno;
		goto out;
	}
	if (!NLMSG_OK(nh, (size_t)n)) {
		r = -EPROTO;
		goto out;
	}
	if (nh->nlmsg_type == NLMSG_ERROR) {
		const struct nlmsgerr *e = NLMSG_DATA(nh);

		r = nh->nlmsg_len >= NLMSG_LENGTH(sizeof(*e)) && e->error < 0 ? e->error : -EPROTO;
		/* No route at all: nothing local either. */
		if (r == -ENETUNREACH || r == -EHOSTUNREACH || r == -EAFNOSUPPORT)
			r = 0;
		goto out;
	}
	if (nh->nlmsg_type != RTM_NEWROUTE || nh->nlmsg_len < NLMSG_LENGTH(sizeof(struct rtmsg))) {
		r = -EPROTO;
		goto out;
	}
	r = ((const struct rtmsg *)NLMSG_DATA(nh))->rtm_type == RTN_LOCAL;
out:
	close(fd);
	return r;
}
