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

#define TSI_VSOCK_PORT 0x54534900u /* the VMM's TSI service ("TSI\0") */
#define TSI_MAGIC 0x31495354u      /* "TSI1" */
#define TSI_SETUP_SIZE 32          /* guest -> VMM, first bytes of a stream */
#define TSI_INBOUND_SIZE 24        /* VMM -> guest, first bytes of a host client */

enum tsi_op {
	TSI_OP_CONNECT = 1,
	TSI_OP_LISTEN = 2,
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
 * number written, TSI_INBOUND_SIZE (0.0.0.0:0 for an address that is not IP). */
size_t tsi_wire_inbound(const void *sockaddr, uint32_t len, uint8_t *out);

#endif
