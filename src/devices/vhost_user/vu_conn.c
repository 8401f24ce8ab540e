/* SPDX-License-Identifier: Apache-2.0 */
/* vhost-user messages, frontend side; the contract is in vu_conn.h. */
#include "devices/vhost_user/vu_conn.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "util/log.h"

/* Largest reply we ever wait for: GET_CONFIG's header plus its region. */
#define VU_REPLY_MAX (VU_CONFIG_HDR_SIZE + VU_MAX_CONFIG)

static int conn_fail(struct vu_conn *c, const char *what, int r)
{
	if (!c->failed)
		log_error("vhost-user %s: %s: %s; the device stops working", c->name, what,
			  strerror(-r));
	c->failed = true;
	return r;
}

void vu_conn_init(struct vu_conn *c, int fd, const char *name)
{
	*c = (struct vu_conn){ .fd = fd, .name = name ? name : "device" };
}

int vu_conn_open(struct vu_conn *c, const char *path, const char *name)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd, r;

	vu_conn_init(c, -1, name);
	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		r = -errno;
		log_error("vhost-user %s: cannot connect to %s: %s", c->name, path, strerror(-r));
		close(fd);
		return r;
	}
	c->fd = fd;
	return 0;
}

void vu_conn_close(struct vu_conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	c->failed = true;
}

/* One message: the header and payload in one sendmsg, the fds beside them. */
static int conn_send(struct vu_conn *c, uint32_t request, uint32_t flags, const void *payload,
		     uint32_t size, const int *fds, unsigned int nfds)
{
	struct vu_header h = { .request = request, .flags = VU_VERSION | flags, .size = size };
	struct iovec iov[2] = { { &h, sizeof(h) }, { (void *)payload, size } };
	union {
		char buf[CMSG_SPACE(sizeof(int) * VU_MAX_FDS)];
		struct cmsghdr align;
	} ctl;
	struct msghdr msg = { .msg_iov = iov, .msg_iovlen = size ? 2 : 1 };
	size_t total = sizeof(h) + size;
	ssize_t n;

	if (c->failed || c->fd < 0)
		return -ENOTCONN;
	if (nfds > VU_MAX_FDS)
		return -EINVAL;
	if (nfds) {
		memset(&ctl, 0, sizeof(ctl));
		msg.msg_control = ctl.buf;
		msg.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
		struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
		memcpy(CMSG_DATA(cm), fds, sizeof(int) * nfds);
	}
	do
		n = sendmsg(c->fd, &msg, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return conn_fail(c, "send", -errno);
	/* A stream socket takes a small message whole or not at all in practice;
	 * a short write would leave the stream out of step: give up on it. */
	if ((size_t)n != total)
		return conn_fail(c, "send", -EIO);
	return 0;
}

/* Exactly len bytes, each wait bounded. */
static int conn_read(struct vu_conn *c, void *buf, size_t len)
{
	uint8_t *p = buf;

	while (len) {
		struct pollfd pfd = { .fd = c->fd, .events = POLLIN };
		int pr = poll(&pfd, 1, VU_REPLY_TIMEOUT_MS);
		if (pr < 0 && errno == EINTR)
			continue;
		if (pr < 0)
			return -errno;
		if (pr == 0)
			return -ETIMEDOUT;
		ssize_t n = recv(c->fd, p, len, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -ECONNRESET;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* The reply to request: the header checked, then exactly *size payload bytes
 * (the reply's size must be want, or, with allow_other, at most VU_REPLY_MAX:
 * *got then says what came). recv takes no ancillary data, so any fds a
 * backend sends with a reply are closed by the kernel, never installed here. */
static int conn_reply(struct vu_conn *c, uint32_t request, void *out, uint32_t want,
		      bool allow_other, uint32_t *got)
{
	struct vu_header h;
	uint8_t sink[VU_REPLY_MAX];
	int r = conn_read(c, &h, sizeof(h));

	if (r < 0)
		return conn_fail(c, "reply", r);
	if (h.request != request || (h.flags & VU_VERSION_MASK) != VU_VERSION ||
	    !(h.flags & VU_FLAG_REPLY)) {
		log_error("vhost-user %s: reply %u (flags 0x%x) to request %u", c->name,
			  h.request, h.flags, request);
		return conn_fail(c, "reply", -EPROTO);
	}
	if (h.size != want && !(allow_other && h.size <= VU_REPLY_MAX)) {
		log_error("vhost-user %s: reply to request %u has %u bytes, not %u", c->name,
			  request, h.size, want);
		return conn_fail(c, "reply", -EPROTO);
	}
	r = conn_read(c, h.size == want ? out : sink, h.size);
	if (r < 0)
		return conn_fail(c, "reply", r);
	if (got)
		*got = h.size;
	return 0;
}

int vu_conn_set(struct vu_conn *c, uint32_t request, const void *payload, uint32_t size,
		const int *fds, unsigned int nfds)
{
	uint64_t ack;
	int r = conn_send(c, request, c->reply_ack ? VU_FLAG_NEED_REPLY : 0, payload, size, fds,
			  nfds);

	if (r < 0 || !c->reply_ack)
		return r;
	r = conn_reply(c, request, &ack, sizeof(ack), false, NULL);
	if (r < 0)
		return r;
	if (ack) {
		log_error("vhost-user %s: the backend refused request %u", c->name, request);
		return -EIO;
	}
	return 0;
}

int vu_conn_set_u64(struct vu_conn *c, uint32_t request, uint64_t v)
{
	return vu_conn_set(c, request, &v, sizeof(v), NULL, 0);
}

int vu_conn_set_vring_fd(struct vu_conn *c, uint32_t request, unsigned int index, int fd)
{
	uint64_t v = index & VU_VRING_IDX_MASK;

	return vu_conn_set(c, request, &v, sizeof(v), &fd, 1);
}

int vu_conn_get_u64(struct vu_conn *c, uint32_t request, uint64_t *v)
{
	int r = conn_send(c, request, 0, NULL, 0, NULL, 0);

	return r < 0 ? r : conn_reply(c, request, v, sizeof(*v), false, NULL);
}

int vu_conn_get_vring_base(struct vu_conn *c, unsigned int index, uint32_t *num)
{
	struct vu_vring_state s = { .index = index };
	int r = conn_send(c, VU_GET_VRING_BASE, 0, &s, sizeof(s), NULL, 0);

	if (r < 0)
		return r;
	r = conn_reply(c, VU_GET_VRING_BASE, &s, sizeof(s), false, NULL);
	if (r == 0 && s.index != index)
		return conn_fail(c, "GET_VRING_BASE reply", -EPROTO);
	if (r == 0)
		*num = s.num;
	return r;
}

int vu_conn_get_config(struct vu_conn *c, uint32_t size, uint8_t *out)
{
	struct vu_config cfg = { .offset = 0, .size = size };
	uint32_t len = VU_CONFIG_HDR_SIZE + size, got = 0;
	int r;

	if (size > VU_MAX_CONFIG)
		return -EINVAL;
	r = conn_send(c, VU_GET_CONFIG, 0, &cfg, len, NULL, 0);
	if (r < 0)
		return r;
	/* "A vhost-user back-end ... replies with a zero-length payload" (or any
	 * other size) on failure; only the exact size is an answer. */
	r = conn_reply(c, VU_GET_CONFIG, &cfg, len, true, &got);
	if (r < 0)
		return r;
	if (got != len || cfg.size != size)
		return -EIO;
	memcpy(out, cfg.region, size);
	return 0;
}
