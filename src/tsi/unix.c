/* SPDX-License-Identifier: Apache-2.0 */
/*
 * TSI's AF_UNIX service: a guest stream connect() to a path its kernel
 * allow-lists (vsock.tsi_unix, from krun_allow_tsi_unix_path) arrives here as
 * a stream whose first 128 bytes are {magic, op 4, 3 zero bytes, the path,
 * NUL-padded}. The path must be one the caller allow-listed, compared here
 * again, byte for byte: the guest cannot name another. Then the VMM connects
 * a host UNIX stream socket to it and the bytes flow as for TCP.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "tsi/priv.h"
#include "tsi/wire.h"
#include "util/log.h"

struct tsi_unix {
	unsigned int n;
	char paths[][TSI_UNIX_PATH_MAX];
};

static int unix_setup(void *arg, uint32_t guest_port, const uint8_t *hdr, struct vsock_setup *out)
{
	const struct tsi_unix *u = arg;
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	const char *path = (const char *)hdr + 8;
	size_t len = strnlen(path, TSI_UNIX_PATH_MAX);
	unsigned int i;
	int fd;

	if (hdr[0] != (TSI_MAGIC & 0xff) || hdr[1] != ((TSI_MAGIC >> 8) & 0xff) ||
	    hdr[2] != ((TSI_MAGIC >> 16) & 0xff) || hdr[3] != TSI_MAGIC >> 24 ||
	    hdr[4] != TSI_OP_UNIX || len == 0 || len == TSI_UNIX_PATH_MAX)
		return -EPROTO;
	for (i = 0; i < u->n; i++)
		if (!strcmp(u->paths[i], path))
			break;
	if (i == u->n) {
		log_debug("tsi: guest port %u: UNIX path not allowed", guest_port);
		return -EACCES;
	}
	memcpy(sa.sun_path, path, len + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int r = errno == EAGAIN ? -ECONNREFUSED : -errno;

		log_debug("tsi: guest port %u: connecting %s: %s", guest_port, path, strerror(-r));
		close(fd);
		return r;
	}
	out->fd = fd;
	return 0;
}

static const struct vsock_service_ops tsi_unix_ops = {
	.setup_len = TSI_UNIX_SETUP_SIZE,
	.setup = unix_setup,
	.release = tsi_release,
};

int tsi_unix_service_add(struct vsock_mux *m, const char *const *paths, unsigned int n)
{
	struct tsi_unix *u = calloc(1, sizeof(*u) + n * sizeof(u->paths[0]));

	if (!u)
		return -ENOMEM;
	for (unsigned int i = 0; i < n; i++) {
		if (strlen(paths[i]) >= TSI_UNIX_PATH_MAX) {
			free(u);
			return -ENAMETOOLONG;
		}
		strcpy(u->paths[u->n++], paths[i]);
	}
	return vsock_mux_add_service(m, TSI_UNIX_VSOCK_PORT, &tsi_unix_ops, u);
}
