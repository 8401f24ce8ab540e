/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A DHCPv4 client's messages (RFC 2131, options RFC 2132), as bytes: no
 * sockets here, so the unit tests build and parse them on the host. init/net.c
 * sends them in IPv4/UDP over a packet socket, as the interface has no address
 * yet. Every reply is untrusted: lengths are checked before each read.
 */
#ifndef KRUN_INIT_DHCP_H
#define KRUN_INIT_DHCP_H

#include <stddef.h>
#include <stdint.h>

#define DHCP_DISCOVER 1
#define DHCP_OFFER 2
#define DHCP_REQUEST 3
#define DHCP_ACK 5
#define DHCP_NAK 6

#define DHCP_MAX_DNS 3
#define DHCP_MTU_MIN 68 /* RFC 2132 §5.1 */
#define DHCP_PKT_MAX 576 /* RFC 2131's minimum datagram every client must take */

/* What an OFFER or ACK says; addresses in network byte order, 0 if absent. */
struct dhcp_lease {
	uint32_t addr, mask, router, server;
	uint32_t dns[DHCP_MAX_DNS];
	unsigned int ndns;
	uint16_t mtu; /* option 26, 0 if absent or below DHCP_MTU_MIN */
};

/*
 * An IPv4 packet from 0.0.0.0:68 to 255.255.255.255:67 holding a DISCOVER or
 * (with req_ip and server, network order) a REQUEST from mac, xid. The BROADCAST
 * flag asks for the answer broadcast, as the client has no address to take a
 * unicast one. Returns its length (<= cap), or 0 if cap is too small.
 */
size_t dhcp_build(uint8_t *pkt, size_t cap, int type, uint32_t xid, const uint8_t mac[6],
		  uint32_t req_ip, uint32_t server);

/*
 * Checks an IPv4 packet as an answer to xid for mac (IPv4, UDP to port 68, a
 * BOOTREPLY with the magic cookie, lengths consistent) and fills *l from its
 * options. Returns the DHCP message type, or -1 if it is not such an answer.
 */
int dhcp_parse(const uint8_t *pkt, size_t len, uint32_t xid, const uint8_t mac[6],
	       struct dhcp_lease *l);

#endif
