/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The frontend's end of one vhost-user connection: requests out, replies in
 * (vu_proto.h has the wire format). Synchronous, as QEMU's frontend is: each
 * call sends one message and, where the request has a reply or REPLY_ACK was
 * negotiated, waits for it.
 *
 * The backend is another process. It is configured by the caller, not the
 * guest, but it may still be broken or gone: every reply is checked (request
 * code, reply flag, exact size) before use, a wait lasts at most
 * VU_REPLY_TIMEOUT_MS, and a connection that ever failed stays failed
 * (-ENOTCONN), so that a half-read message is never taken for the next reply.
 *
 * Threads: one caller at a time (the device's lock serialises them).
 */
#ifndef LIBKRUN_DEVICES_VHOST_USER_VU_CONN_H
#define LIBKRUN_DEVICES_VHOST_USER_VU_CONN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "devices/vhost_user/vu_proto.h"

#define VU_REPLY_TIMEOUT_MS 10000

struct vu_conn {
	int fd;
	bool failed;
	bool reply_ack; /* VU_PROTOCOL_F_REPLY_ACK negotiated */
	const char *name; /* for logs */
};

/* Connects to the backend's socket at path. 0 or -errno (logged). */
int vu_conn_open(struct vu_conn *c, const char *path, const char *name);
/* Also for a socket already connected (tests): takes fd. */
void vu_conn_init(struct vu_conn *c, int fd, const char *name);
void vu_conn_close(struct vu_conn *c);

/* A request without a reply of its own; with REPLY_ACK, waits for the ack and
 * returns -EIO if the backend says it failed. fds (nfds <= VU_MAX_FDS) go
 * with it. 0 or -errno. */
int vu_conn_set(struct vu_conn *c, uint32_t request, const void *payload, uint32_t size,
		const int *fds, unsigned int nfds);
int vu_conn_set_u64(struct vu_conn *c, uint32_t request, uint64_t v);
/* SET_VRING_KICK/CALL: the u64 with the queue index, and the fd. */
int vu_conn_set_vring_fd(struct vu_conn *c, uint32_t request, unsigned int index, int fd);

/* GET_FEATURES, GET_PROTOCOL_FEATURES, GET_QUEUE_NUM: a u64 reply. */
int vu_conn_get_u64(struct vu_conn *c, uint32_t request, uint64_t *v);

/* GET_VRING_BASE: stops the ring; *num is the next avail index it would take. */
int vu_conn_get_vring_base(struct vu_conn *c, unsigned int index, uint32_t *num);

/* GET_CONFIG for bytes [0, size) of the device config (size <= VU_MAX_CONFIG).
 * A backend signals failure with a reply of another size: -EIO. */
int vu_conn_get_config(struct vu_conn *c, uint32_t size, uint8_t *out);

#endif
