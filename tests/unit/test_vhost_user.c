/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The vhost-user frontend (src/devices/vhost_user/) against a scripted fake
 * backend on a UNIX socket: what it asks at creation, what the guest may see
 * of the backend's features, what the backend gets at activation (memory as
 * memfds, ring addresses in our address space, kick and call fds), reset,
 * and backends that answer wrongly or not at all.
 */
#include "harness.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "devices/vhost_user/vhost_user.h"
#include "devices/vhost_user/vu_proto.h"
#include "logcap.h"
#include "vmm/evloop.h"
#include "vmm/gmem.h"

enum fake_mode { FAKE_OK, FAKE_WRONG_CODE, FAKE_WRONG_SIZE, FAKE_HANG_UP, FAKE_REFUSE_CONFIG,
		 FAKE_NACK_MEM };

#define FAKE_MAX_MSGS 64

struct fake_msg {
	uint32_t request, flags, size;
	uint8_t payload[300];
	int nfds;
	dev_t fd_dev[VU_MAX_FDS]; /* what each fd was (st_dev, st_ino), then closed */
	ino_t fd_ino[VU_MAX_FDS];
};

struct fake {
	char path[108];
	int listen_fd;
	enum fake_mode mode;
	uint64_t features, protocol, queue_num;
	pthread_t thread;
	struct fake_msg msg[FAKE_MAX_MSGS];
	int nmsg;
};

static int read_full(int fd, void *buf, size_t len)
{
	uint8_t *p = buf;

	while (len) {
		ssize_t n = read(fd, p, len);
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static void reply(int fd, uint32_t request, const void *payload, uint32_t size)
{
	struct vu_header h = { request, VU_VERSION | VU_FLAG_REPLY, size };

	/* MSG_NOSIGNAL: the frontend may have given up and closed already. */
	if (send(fd, &h, sizeof(h), MSG_NOSIGNAL) != sizeof(h) ||
	    (size && send(fd, payload, size, MSG_NOSIGNAL) != size))
		return;
}

static void fake_answer(struct fake *f, int c, struct fake_msg *m)
{
	uint64_t v = 0;

	switch (m->request) {
	case VU_GET_FEATURES:
		if (f->mode == FAKE_HANG_UP) {
			close(c);
			return;
		}
		v = f->features;
		if (f->mode == FAKE_WRONG_CODE)
			reply(c, VU_GET_PROTOCOL_FEATURES, &v, sizeof(v));
		else
			reply(c, VU_GET_FEATURES, &v, f->mode == FAKE_WRONG_SIZE ? 4 : sizeof(v));
		return;
	case VU_GET_PROTOCOL_FEATURES:
		reply(c, m->request, &f->protocol, sizeof(f->protocol));
		return;
	case VU_GET_QUEUE_NUM:
		reply(c, m->request, &f->queue_num, sizeof(f->queue_num));
		return;
	case VU_GET_CONFIG: {
		struct vu_config cfg;
		memcpy(&cfg, m->payload, VU_CONFIG_HDR_SIZE);
		for (uint32_t i = 0; i < cfg.size && i < VU_MAX_CONFIG; i++)
			cfg.region[i] = (uint8_t)(0xa0 + i);
		reply(c, m->request, &cfg,
		      f->mode == FAKE_REFUSE_CONFIG ? 0 : VU_CONFIG_HDR_SIZE + cfg.size);
		return;
	}
	case VU_GET_VRING_BASE: {
		struct vu_vring_state s;
		memcpy(&s, m->payload, sizeof(s));
		s.num = 42;
		reply(c, m->request, &s, sizeof(s));
		return;
	}
	default:
		if (m->flags & VU_FLAG_NEED_REPLY) {
			v = f->mode == FAKE_NACK_MEM && m->request == VU_SET_MEM_TABLE;
			reply(c, m->request, &v, sizeof(v));
		}
	}
}

static void *fake_run(void *arg)
{
	struct fake *f = arg;
	int c = accept(f->listen_fd, NULL, NULL);

	while (c >= 0 && f->nmsg < FAKE_MAX_MSGS) {
		struct fake_msg *m = &f->msg[f->nmsg];
		struct vu_header h;
		union {
			char buf[CMSG_SPACE(sizeof(int) * VU_MAX_FDS)];
			struct cmsghdr align;
		} ctl;
		struct iovec iov = { &h, sizeof(h) };
		struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf,
				     .msg_controllen = sizeof(ctl.buf) };

		if (recvmsg(c, &mh, MSG_WAITALL) != sizeof(h) || h.size > sizeof(m->payload) ||
		    read_full(c, m->payload, h.size) < 0)
			break;
		m->request = h.request, m->flags = h.flags, m->size = h.size;
		for (struct cmsghdr *cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm)) {
			int n = (int)((cm->cmsg_len - CMSG_LEN(0)) / sizeof(int));
			for (int i = 0; i < n && m->nfds < VU_MAX_FDS; i++) {
				int fd;
				struct stat st;
				memcpy(&fd, CMSG_DATA(cm) + i * sizeof(int), sizeof(int));
				if (fstat(fd, &st) == 0) {
					m->fd_dev[m->nfds] = st.st_dev;
					m->fd_ino[m->nfds] = st.st_ino;
				}
				m->nfds++;
				close(fd);
			}
		}
		f->nmsg++;
		fake_answer(f, c, m);
		if (f->mode == FAKE_HANG_UP && h.request == VU_GET_FEATURES)
			return NULL; /* closed in fake_answer */
	}
	if (c >= 0)
		close(c);
	return NULL;
}

static void fake_start(struct fake *f, enum fake_mode mode, uint64_t features, uint64_t protocol)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	memset(f, 0, sizeof(*f));
	f->mode = mode, f->features = features, f->protocol = protocol, f->queue_num = 2;
	snprintf(f->path, sizeof(f->path), "/tmp/test_vhost_user.%d.sock", getpid());
	unlink(f->path);
	memcpy(sa.sun_path, f->path, strlen(f->path) + 1);
	f->listen_fd = socket(AF_UNIX, SOCK_STREAM, 0);
	CHECK(f->listen_fd >= 0);
	CHECK_EQ(bind(f->listen_fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	CHECK_EQ(listen(f->listen_fd, 1), 0);
	CHECK_EQ(pthread_create(&f->thread, NULL, fake_run, f), 0);
}

/* Joins the backend thread (the frontend must have closed first). */
static void fake_stop(struct fake *f)
{
	pthread_join(f->thread, NULL);
	close(f->listen_fd);
	unlink(f->path);
}

static const struct fake_msg *fake_find(const struct fake *f, uint32_t request, int nth)
{
	for (int i = 0; i < f->nmsg; i++)
		if (f->msg[i].request == request && nth-- == 0)
			return &f->msg[i];
	return NULL;
}

#define ALL_PROTOCOL                                                                     \
	(1ULL << VU_PROTOCOL_F_MQ | 1ULL << VU_PROTOCOL_F_REPLY_ACK |                     \
	 1ULL << VU_PROTOCOL_F_CONFIG | 1ULL << VU_PROTOCOL_F_RESET_DEVICE | 1ULL << 5)

static void destroy_dev(struct virtio_dev *d)
{
	d->ops->destroy(d);
	free(d);
}

TEST(vhost_user_handshake_asks_owner_features_queues_and_config)
{
	/* Device bits 0 and 9, INDIRECT 28, EVENT_IDX 29, protocol 30, VERSION_1
	 * 32, ACCESS_PLATFORM 33, PACKED 34, NOTIFY_ON_EMPTY 24. */
	uint64_t backend = 1ULL << 0 | 1ULL << 9 | 1ULL << 24 | 1ULL << 28 | 1ULL << 29 |
			   1ULL << 30 | 1ULL << 32 | 1ULL << 33 | 1ULL << 34;
	struct evloop *loop = evloop_create();
	struct vhost_user_config cfg = { .device_type = 2, .name = "blk-test" };
	struct virtio_dev *d = NULL;
	struct fake f;

	fake_start(&f, FAKE_OK, backend, ALL_PROTOCOL);
	cfg.socket_path = f.path;
	CHECK_EQ(vhost_user_create(&cfg, loop, &d), 0);
	CHECK_EQ(d->ops->device_id, 2);
	CHECK_EQ(d->ops->num_queues, 2); /* GET_QUEUE_NUM's answer */
	CHECK_EQ(d->ops->queue_max_sizes[0], VHOST_USER_DEFAULT_QUEUE_SIZE);
	CHECK_EQ(d->ops->config_size, 60); /* blk's, which the backend served */
	CHECK(d->ops->external_notify);
	/* Only device bits and the split-ring transport bits reach the guest. */
	CHECK_EQ(d->ops->features(d), 1ULL << 0 | 1ULL << 9 | 1ULL << 28 | 1ULL << 29);
	uint8_t b[4];
	d->ops->config_read(d, 8, b, sizeof(b));
	CHECK_EQ(b[0], 0xa8);
	CHECK_EQ(b[3], 0xab);
	destroy_dev(d);
	fake_stop(&f);

	CHECK_EQ(f.msg[0].request, VU_SET_OWNER);
	CHECK_EQ(f.msg[1].request, VU_GET_FEATURES);
	CHECK_EQ(f.msg[2].request, VU_GET_PROTOCOL_FEATURES);
	const struct fake_msg *set = fake_find(&f, VU_SET_PROTOCOL_FEATURES, 0);
	CHECK(set);
	uint64_t agreed;
	memcpy(&agreed, set->payload, sizeof(agreed));
	CHECK_EQ(agreed, ALL_PROTOCOL & ~(1ULL << 5)); /* BACKEND_REQ never asked for */
	CHECK(fake_find(&f, VU_GET_QUEUE_NUM, 0));
	const struct fake_msg *gc = fake_find(&f, VU_GET_CONFIG, 1); /* the guest's read */
	CHECK(gc);
	struct vu_config asked;
	memcpy(&asked, gc->payload, VU_CONFIG_HDR_SIZE);
	CHECK_EQ(asked.offset, 0); /* always the whole config, as QEMU asks */
	CHECK_EQ(asked.size, 60);
	evloop_destroy(loop);
}

TEST(vhost_user_activation_hands_over_memory_rings_and_fds)
{
	struct evloop *loop = evloop_create();
	struct vhost_user_config cfg = { .device_type = 4, .num_queues = 2 };
	uint16_t sizes[] = { 64 };
	struct gmem_region r = { .gpa = 0, .size = 1 << 20 };
	struct gmem mem;
	struct virtio_dev *d = NULL;
	struct fake f;
	struct stat memst;

	cfg.queue_sizes = sizes, cfg.nsizes = 1;
	CHECK_EQ(gmem_create_shared(&mem, &r, 1), 0);
	CHECK_EQ(fstat(mem.fd, &memst), 0);
	fake_start(&f, FAKE_OK, 1ULL << 30 | 1ULL << 32, 1ULL << VU_PROTOCOL_F_REPLY_ACK);
	cfg.socket_path = f.path;
	CHECK_EQ(vhost_user_create(&cfg, loop, &d), 0);
	CHECK_EQ(d->ops->queue_max_sizes[1], 64); /* past the sizes: the last one */
	CHECK_EQ(d->ops->config_size, 0); /* no CONFIG protocol feature */
	d->mem = &mem;
	d->driver_features = 1ULL << 32;
	d->notify_fd[0] = d->notify_fd[1] = -1;
	/* Queue 0 active (the transport checked it), queue 1 never set up. */
	d->vq[0].active = true;
	d->vq[0].size = 64;
	d->vq[0].desc = (void *)(mem.base + 0x1000);
	d->vq[0].avail = (void *)(mem.base + 0x2000);
	d->vq[0].used = (void *)(mem.base + 0x3000);
	int kick = eventfd(0, 0);
	struct stat kickst;
	CHECK_EQ(fstat(kick, &kickst), 0);
	d->notify_fd[0] = kick;
	CHECK_EQ(d->ops->activate(d), 0);
	d->ops->reset(d);
	destroy_dev(d);
	fake_stop(&f);
	close(kick);

	const struct fake_msg *m = fake_find(&f, VU_SET_FEATURES, 0);
	uint64_t v;
	CHECK(m);
	memcpy(&v, m->payload, sizeof(v));
	CHECK_EQ(v, 1ULL << 32 | 1ULL << 30); /* the driver's, plus PROTOCOL_FEATURES */
	CHECK(m->flags & VU_FLAG_NEED_REPLY); /* REPLY_ACK agreed */
	m = fake_find(&f, VU_SET_MEM_TABLE, 0);
	CHECK(m);
	struct vu_memory mt;
	memcpy(&mt, m->payload, m->size);
	CHECK_EQ(m->size, 8 + sizeof(struct vu_mem_region));
	CHECK_EQ(mt.nregions, 1);
	CHECK_EQ(mt.regions[0].guest_phys_addr, 0);
	CHECK_EQ(mt.regions[0].memory_size, 1 << 20);
	CHECK_EQ(mt.regions[0].userspace_addr, (uintptr_t)mem.base);
	CHECK_EQ(mt.regions[0].mmap_offset, 0);
	CHECK_EQ(m->nfds, 1);
	CHECK(m->fd_dev[0] == memst.st_dev && m->fd_ino[0] == memst.st_ino); /* the memfd */
	m = fake_find(&f, VU_SET_VRING_ADDR, 0);
	CHECK(m);
	struct vu_vring_addr a;
	memcpy(&a, m->payload, sizeof(a));
	CHECK_EQ(a.index, 0);
	CHECK_EQ(a.desc, (uintptr_t)mem.base + 0x1000);
	CHECK_EQ(a.avail, (uintptr_t)mem.base + 0x2000);
	CHECK_EQ(a.used, (uintptr_t)mem.base + 0x3000);
	CHECK(!fake_find(&f, VU_SET_VRING_ADDR, 1)); /* queue 1 was not ready */
	m = fake_find(&f, VU_SET_VRING_KICK, 0);
	CHECK(m && m->nfds == 1);
	CHECK(m->fd_dev[0] == kickst.st_dev && m->fd_ino[0] == kickst.st_ino); /* the ioeventfd */
	m = fake_find(&f, VU_SET_VRING_CALL, 0);
	CHECK(m && m->nfds == 1);
	m = fake_find(&f, VU_SET_VRING_ENABLE, 0);
	CHECK(m);
	struct vu_vring_state st;
	memcpy(&st, m->payload, sizeof(st));
	CHECK(st.index == 0 && st.num == 1);
	/* Reset: disabled, then stopped with GET_VRING_BASE. */
	m = fake_find(&f, VU_SET_VRING_ENABLE, 1);
	CHECK(m);
	memcpy(&st, m->payload, sizeof(st));
	CHECK(st.index == 0 && st.num == 0);
	CHECK(fake_find(&f, VU_GET_VRING_BASE, 0));
	CHECK(!fake_find(&f, VU_GET_VRING_BASE, 1));
	gmem_destroy(&mem);
	evloop_destroy(loop);
}

TEST(vhost_user_activation_fails_when_the_backend_refuses_memory)
{
	struct evloop *loop = evloop_create();
	struct vhost_user_config cfg = { .device_type = 4, .num_queues = 1 };
	struct gmem_region r = { .gpa = 0, .size = 1 << 20 };
	struct gmem mem, priv;
	struct virtio_dev *d = NULL;
	struct fake f;
	struct logcap lc;

	CHECK_EQ(gmem_create_shared(&mem, &r, 1), 0);
	CHECK_EQ(gmem_create(&priv, &r, 1), 0);
	fake_start(&f, FAKE_NACK_MEM, 1ULL << 30 | 1ULL << 32, 1ULL << VU_PROTOCOL_F_REPLY_ACK);
	cfg.socket_path = f.path;
	CHECK_EQ(vhost_user_create(&cfg, loop, &d), 0);
	d->driver_features = 1ULL << 32;
	cap_start(&lc);
	d->mem = &priv; /* private RAM cannot be handed over: refused before sending */
	int r1 = d->ops->activate(d);
	d->mem = &mem;
	int r2 = d->ops->activate(d); /* the backend's nack */
	const char *log = cap_end(&lc);
	CHECK_EQ(r1, -EINVAL);
	CHECK_EQ(r2, -EIO);
	CHECK(strstr(log, "not shareable"));
	CHECK(strstr(log, "refused request 5"));
	destroy_dev(d);
	fake_stop(&f);
	gmem_destroy(&mem);
	gmem_destroy(&priv);
	evloop_destroy(loop);
}

static int create_against(enum fake_mode mode, uint64_t features, uint64_t protocol,
			  uint16_t nq, uint64_t backend_nq)
{
	struct evloop *loop = evloop_create();
	struct vhost_user_config cfg = { .device_type = 2, .num_queues = nq };
	struct virtio_dev *d = NULL;
	struct fake f;
	struct logcap lc;
	int r;

	fake_start(&f, mode, features, protocol);
	f.queue_num = backend_nq;
	cfg.socket_path = f.path;
	cap_start(&lc);
	r = vhost_user_create(&cfg, loop, &d);
	const char *log = cap_end(&lc);
	if (r == 0) {
		CHECK(d != NULL);
		CHECK_EQ(d->ops->config_size, mode == FAKE_REFUSE_CONFIG ? 0 : 60);
		destroy_dev(d);
	} else {
		CHECK(d == NULL);
		CHECK(*log); /* every failure is logged */
	}
	fake_stop(&f);
	evloop_destroy(loop);
	return r;
}

TEST(vhost_user_wrong_answers_fail_creation_cleanly)
{
	uint64_t feat = 1ULL << 30 | 1ULL << 32;
	uint64_t mq = 1ULL << VU_PROTOCOL_F_MQ | 1ULL << VU_PROTOCOL_F_CONFIG;

	CHECK_EQ(create_against(FAKE_WRONG_CODE, feat, mq, 1, 1), -EPROTO);
	CHECK_EQ(create_against(FAKE_WRONG_SIZE, feat, mq, 1, 1), -EPROTO);
	CHECK_EQ(create_against(FAKE_HANG_UP, feat, mq, 1, 1), -ECONNRESET);
	/* Queue counts the transport cannot hold, or none to be had. */
	CHECK_EQ(create_against(FAKE_OK, feat, mq, 0, 0), -EINVAL);
	CHECK_EQ(create_against(FAKE_OK, feat, mq, 0, 17), -EINVAL);
	CHECK_EQ(create_against(FAKE_OK, 1ULL << 32, 0, 0, 1), -EINVAL); /* no MQ to ask */
	/* A refused config is no config, not a failure. */
	CHECK_EQ(create_against(FAKE_REFUSE_CONFIG, feat, mq, 0, 1), 0);
	CHECK_EQ(create_against(FAKE_OK, feat, mq, 0, 16), 0);
}

TEST(vhost_user_no_backend_is_an_error)
{
	struct evloop *loop = evloop_create();
	struct vhost_user_config cfg = { .device_type = 4, .num_queues = 1,
					 .socket_path = "/nonexistent/vhost.sock" };
	struct virtio_dev *d = NULL;
	struct logcap lc;

	cap_start(&lc);
	int r = vhost_user_create(&cfg, loop, &d);
	const char *log = cap_end(&lc);
	CHECK_EQ(r, -ENOENT);
	CHECK(d == NULL);
	CHECK(strstr(log, "cannot connect to /nonexistent/vhost.sock"));
	evloop_destroy(loop);
}
