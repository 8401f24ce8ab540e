/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The guest's network interfaces (virtio-net, issue 19): each one the VMM
 * named in a "net_dhcp" record is brought up and configured by DHCP (dhcp.h):
 * address, netmask, default route, and the name servers into
 * /etc/resolv.conf where that file can be written. The others are left down,
 * for the workload to set up (lo is up already, setup_loopback).
 *
 * The exchange runs on a packet socket (AF_PACKET, ETH_P_IP): the interface
 * has no address to send from, and a server may answer to the offered
 * address by unicast, which no UDP socket would receive yet.
 */
#include "dhcp.h"
#include "init.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <net/route.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define DHCP_TRIES 4
#define DHCP_WAIT_MS 1000 /* per try */

static void set_sin(struct sockaddr *sa, uint32_t addr)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_addr.s_addr = addr };
	memcpy(sa, &sin, sizeof(sin));
}

/* Brings ifname up; fills its MAC and index. 0 or -1 (logged). */
static int link_up(int s, const char *ifname, uint8_t mac[6], int *ifindex)
{
	struct ifreq ifr = { 0 };

	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	if (ioctl(s, SIOCGIFINDEX, &ifr) < 0) {
		init_log("no network interface %s: %m", ifname);
		return -1;
	}
	*ifindex = ifr.ifr_ifindex;
	if (ioctl(s, SIOCGIFHWADDR, &ifr) < 0) {
		init_log("%s: no MAC address: %m", ifname);
		return -1;
	}
	memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
	if (ioctl(s, SIOCGIFFLAGS, &ifr) < 0)
		return init_log("%s: SIOCGIFFLAGS: %m", ifname), -1;
	ifr.ifr_flags |= IFF_UP;
	if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0)
		return init_log("cannot bring %s up: %m", ifname), -1;
	return 0;
}

/* Sends pkt until an answer of type want comes (or a NAK). 0 or -1. */
static int exchange(int ps, int ifindex, const uint8_t *pkt, size_t len, uint32_t xid,
		    const uint8_t mac[6], int want, struct dhcp_lease *l)
{
	struct sockaddr_ll to = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_IP),
				  .sll_ifindex = ifindex, .sll_halen = 6 };
	uint8_t in[1600];

	memset(to.sll_addr, 0xff, 6);
	for (int t = 0; t < DHCP_TRIES; t++) {
		struct timespec end, now;

		if (sendto(ps, pkt, len, 0, (struct sockaddr *)&to, sizeof(to)) < 0)
			init_log("DHCP: send: %m");
		clock_gettime(CLOCK_MONOTONIC, &end);
		end.tv_sec += DHCP_WAIT_MS / 1000;
		for (;;) {
			struct pollfd p = { ps, POLLIN, 0 };
			long ms;
			ssize_t n;

			clock_gettime(CLOCK_MONOTONIC, &now);
			ms = (end.tv_sec - now.tv_sec) * 1000 + (end.tv_nsec - now.tv_nsec) / 1000000;
			if (ms <= 0 || poll(&p, 1, (int)ms) <= 0)
				break;
			n = recv(ps, in, sizeof(in), 0);
			if (n <= 0)
				continue;
			int type = dhcp_parse(in, (size_t)n, xid, mac, l);
			if (type == want)
				return 0;
			if (type == DHCP_NAK)
				return init_log("DHCP: the server refused (NAK)"), -1;
		}
	}
	init_log("DHCP: no answer after %d tries", DHCP_TRIES);
	return -1;
}

static int add_route(int s, const char *ifname, uint32_t dst, uint32_t mask, uint32_t gw)
{
	struct rtentry rt = { .rt_flags = RTF_UP, .rt_dev = (char *)ifname };

	set_sin(&rt.rt_dst, dst);
	set_sin(&rt.rt_genmask, mask);
	set_sin(&rt.rt_gateway, gw);
	if (gw)
		rt.rt_flags |= RTF_GATEWAY;
	if (mask == 0xffffffff)
		rt.rt_flags |= RTF_HOST;
	return ioctl(s, SIOCADDRT, &rt) < 0 && errno != EEXIST ? -1 : 0;
}

static int configure(int s, const char *ifname, const struct dhcp_lease *l)
{
	struct ifreq ifr = { 0 };

	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	/* The server's MTU (passt offers 65520: fewer, bigger frames); the
	 * device may refuse it, and its own MTU still works. */
	if (l->mtu) {
		ifr.ifr_mtu = l->mtu;
		if (ioctl(s, SIOCSIFMTU, &ifr) < 0)
			init_log("%s: MTU %u from DHCP: %m", ifname, l->mtu);
	}
	set_sin(&ifr.ifr_addr, l->addr);
	if (ioctl(s, SIOCSIFADDR, &ifr) < 0)
		return init_log("%s: SIOCSIFADDR: %m", ifname), -1;
	if (l->mask) {
		set_sin(&ifr.ifr_netmask, l->mask);
		if (ioctl(s, SIOCSIFNETMASK, &ifr) < 0)
			return init_log("%s: SIOCSIFNETMASK: %m", ifname), -1;
	}
	if (!l->router)
		return 0;
	/* A router outside the subnet (RFC 3442 allows it) needs a route to itself. */
	if (l->mask && (l->router & l->mask) != (l->addr & l->mask) &&
	    add_route(s, ifname, l->router, 0xffffffff, 0) < 0)
		init_log("%s: no route to the router: %m", ifname);
	if (add_route(s, ifname, 0, 0, l->router) < 0)
		return init_log("%s: no default route: %m", ifname), -1;
	return 0;
}

/* Only where writable: a read-only root keeps the resolver it has. */
static void write_resolv(const struct dhcp_lease *l)
{
	char line[64];
	int fd;

	if (!l->ndns)
		return;
	fd = open("/etc/resolv.conf", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		init_log("/etc/resolv.conf not written: %m");
		return;
	}
	for (unsigned int i = 0; i < l->ndns; i++) {
		struct in_addr a = { l->dns[i] };
		int n = snprintf(line, sizeof(line), "nameserver %s\n", inet_ntoa(a));
		if (write(fd, line, (size_t)n) != n)
			init_log("/etc/resolv.conf: %m");
	}
	close(fd);
}

static int dhcp_configure(int s, const char *ifname)
{
	uint8_t mac[6], pkt[DHCP_PKT_MAX];
	struct dhcp_lease offer, ack;
	int ifindex, ps, r = -1;
	uint32_t xid;
	size_t len;

	if (link_up(s, ifname, mac, &ifindex) < 0)
		return -1;
	ps = socket(AF_PACKET, SOCK_DGRAM | SOCK_CLOEXEC, htons(ETH_P_IP));
	struct sockaddr_ll ll = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_IP),
				  .sll_ifindex = ifindex };
	if (ps < 0 || bind(ps, (struct sockaddr *)&ll, sizeof(ll)) < 0) {
		init_log("DHCP on %s: packet socket: %m", ifname);
		goto out;
	}
	/* Unique enough per boot and interface: the MAC's low bytes and the time. */
	xid = (uint32_t)time(NULL) ^ ((uint32_t)mac[3] << 16 | (uint32_t)mac[4] << 8 | mac[5]);
	len = dhcp_build(pkt, sizeof(pkt), DHCP_DISCOVER, xid, mac, 0, 0);
	if (exchange(ps, ifindex, pkt, len, xid, mac, DHCP_OFFER, &offer) < 0)
		goto out;
	len = dhcp_build(pkt, sizeof(pkt), DHCP_REQUEST, xid, mac, offer.addr, offer.server);
	if (exchange(ps, ifindex, pkt, len, xid, mac, DHCP_ACK, &ack) < 0 || !ack.addr)
		goto out;
	r = configure(s, ifname, &ack);
	if (r == 0)
		write_resolv(&ack);
out:
	if (ps >= 0)
		close(ps);
	return r;
}

void setup_network(const struct config *cfg)
{
	int s;

	if (!cfg->nnet_dhcp)
		return;
	s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0) {
		init_log("no network setup (socket: %m)");
		return;
	}
	for (size_t i = 0; i < cfg->nnet_dhcp; i++)
		if (dhcp_configure(s, cfg->net_dhcp[i]) < 0)
			init_log("%s stays unconfigured", cfg->net_dhcp[i]);
	close(s);
}
