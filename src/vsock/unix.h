/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The host UNIX-socket endpoints of krun_add_vsock_port[2] on the muxer:
 *   connect mode: a guest connect() to (CID 2, port) connects the stream socket
 *                 at path, and the guest's connection is refused (RST) if that fails;
 *   listen mode:  the VMM binds and listens at path (which must not exist),
 *                 and each host client arrives in the guest as a connection to port.
 */
#ifndef LIBKRUN_VSOCK_UNIX_H
#define LIBKRUN_VSOCK_UNIX_H

#include <stdbool.h>
#include <stdint.h>

struct vsock_mux;

struct vsock_port_cfg {
	uint32_t port;
	bool listen;
	char *path; /* shorter than sun_path (checked by the API) */
};

/* Adds every port to m. 0, or -errno (-EEXIST: a listen path exists, or a
 * port twice), logged; ports added before the failure stay added. */
int vsock_unix_add_ports(struct vsock_mux *m, const struct vsock_port_cfg *ports, unsigned int n);

#endif
