/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The TSI wire format between the guest kernel's TSI sockets (kernel/patches,
 * net/vmw_vsock/tsi.c) and the VMM; docs/tsi.md has the whole protocol. All
 * integers little endian except ports, which are in network order as in a
 * sockaddr. Every header the guest sends is checked here before use.
 */
#ifndef LIBKRUN_TSI_WIRE_H
#define LIBKRUN_TSI_WIRE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define TSI_VSOCK_PORT 0x54534900u     /* TCP: streams ("TSI\0") */
#define TSI_UDP_VSOCK_PORT 0x54534901u /* UDP: SEQPACKET connections */
#define TSI_UNIX_VSOCK_PORT 0x54534902u /* AF_UNIX streams to allow-listed paths */
#define TSI_UNIX_SETUP_SIZE 128         /* magic, op 4, 3 zero bytes, path */
#define TSI_UNIX_PATH_MAX 108           /* sun_path, NUL included */
#define TSI_MAGIC 0x31495354u      /* "TSI1" */
#define TSI_SETUP_SIZE 32          /* guest -> VMM, first bytes of a stream */
#define TSI_INBOUND_SIZE 24        /* VMM -> guest, first bytes of a host client */
#define TSI_DGRAM_HDR_SIZE 24      /* before each UDP payload, both ways */
#define TSI_UDP_PAYLOAD_MAX 65535
#define TSI_UDP_MSG_MAX (TSI_DGRAM_HDR_SIZE + TSI_UDP_PAYLOAD_MAX)

enum tsi_op {
	TSI_OP_CONNECT = 1,
	TSI_OP_LISTEN = 2,
	TSI_OP_UDP = 3, /* open a UDP socket, bound to the address given */
	TSI_OP_UNIX = 4, /* connect an allow-listed host UNIX socket (unix.c) */
};

/* A checked setup header. */
struct tsi_setup {
	enum tsi_op op;
	struct sockaddr_storage addr; /* AF_INET or AF_INET6, port set */
	socklen_t addr_len;
	uint32_t vsock_port; /* LISTEN: the guest's vsock port for host clients */
	uint32_t backlog;    /* LISTEN: clamped to 1..4096 */
};

/* Parses TSI_SETUP_SIZE bytes: 0, or -EPROTO (magic, op), -EAFNOSUPPORT
 * (family), -EINVAL (port 0 for CONNECT). */
int tsi_wire_parse_setup(const uint8_t *b, struct tsi_setup *out);

/* The first bytes of a host client's stream, naming its address: the
 * number written, TSI_INBOUND_SIZE (0.0.0.0:0 for an address that is not IP).
 * The same 24 bytes name a UDP datagram's source (VMM -> guest) or
 * destination (guest -> VMM) before its payload. */
size_t tsi_wire_inbound(const void *sockaddr, uint32_t len, uint8_t *out);

/* Parses the address header of a guest's UDP message (len bytes in all):
 * 0, -EPROTO (short, magic), -EAFNOSUPPORT, -EINVAL (port 0, IPv4 tail). */
int tsi_wire_parse_dgram(const uint8_t *b, size_t len, struct sockaddr_storage *sa,
			 socklen_t *salen);

#endif
