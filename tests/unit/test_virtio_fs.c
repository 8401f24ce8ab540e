/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The virtio-fs device (src/devices/fs/) driven through the mmio transport as
 * Linux's virtio_fs driver drives it: config space, FUSE requests on the
 * request queue served by the worker pool, FORGET on hiprio, hostile chains,
 * many requests at once, and a reset with requests in flight; with and without
 * VIRTIO_F_EVENT_IDX (virtio 1.2 §2.7.10).
 */
#include "harness.h"
#include "fake_transport.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/fuse.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "devices/fs/virtio_fs.h"
#include "vmm/evloop.h"

#define NQ 2
#define QSZ 64
#define HIPRIO 0
#define REQQ 1
#define RING(q) (0x10000ULL + (q) * 0x2000ULL)
#define BUF(i) (0x100000ULL + (uint64_t)(i) * 0x2000ULL) /* 8 KiB per descriptor */
#define RAM 0x400000ULL

struct drv {
	struct gmem mem;
	struct virtio_dev *d;
	struct evloop *loop;
	struct fake_notify n[NQ];
	uint16_t avail[NQ], used_seen[NQ];
	uint16_t next_desc; /* descriptors handed out of BUF space, never reused */
	bool event_idx;     /* the driver accepts VIRTIO_F_EVENT_IDX */
	unsigned int kicks; /* notifications the driver sent */
	char dir[64];
};

static void mw(struct drv *t, uint64_t off, uint32_t v)
{
	fake_mw(t->d, off, v);
}

static uint32_t mr(struct drv *t, uint64_t off)
{
	return fake_mr(t->d, off);
}

static void bringup(struct drv *t)
{
	memset(gmem_ptr(&t->mem, RING(0), NQ * 0x2000), 0, NQ * 0x2000);
	memset(t->avail, 0, sizeof(t->avail));
	memset(t->used_seen, 0, sizeof(t->used_seen));
	mw(t, VIRTIO_MMIO_STATUS, 0);
	CHECK_EQ(mr(t, VIRTIO_MMIO_DEVICE_ID), 26);
	mw(t, VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	mw(t, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
	/* Nothing but VERSION_1 and EVENT_IDX. */
	CHECK_EQ(mr(t, VIRTIO_MMIO_DEVICE_FEATURES), 1u << VIRTIO_F_EVENT_IDX);
	mw(t, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
	mw(t, VIRTIO_MMIO_DRIVER_FEATURES, t->event_idx ? 1u << VIRTIO_F_EVENT_IDX : 0);
	mw(t, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
	mw(t, VIRTIO_MMIO_DRIVER_FEATURES, 1);
	mw(t, VIRTIO_MMIO_STATUS, 1 | 2 | VIRTIO_STATUS_FEATURES_OK);
	CHECK(mr(t, VIRTIO_MMIO_STATUS) & VIRTIO_STATUS_FEATURES_OK);
	for (uint16_t q = 0; q < NQ; q++) {
		mw(t, VIRTIO_MMIO_QUEUE_SEL, q);
		CHECK_EQ(mr(t, VIRTIO_MMIO_QUEUE_NUM_MAX), VIRTIO_FS_QUEUE_SIZE);
		mw(t, VIRTIO_MMIO_QUEUE_NUM, QSZ);
		mw(t, VIRTIO_MMIO_QUEUE_DESC_LOW, (uint32_t)RING(q));
		mw(t, VIRTIO_MMIO_QUEUE_AVAIL_LOW, (uint32_t)RING(q) + 0x1000);
		mw(t, VIRTIO_MMIO_QUEUE_USED_LOW, (uint32_t)RING(q) + 0x1800);
		mw(t, VIRTIO_MMIO_QUEUE_READY, 1);
	}
	mw(t, VIRTIO_MMIO_STATUS, 1 | 2 | 8 | VIRTIO_STATUS_DRIVER_OK);
	CHECK_EQ(mr(t, VIRTIO_MMIO_STATUS), 15);
}

static void setup_features(struct drv *t, unsigned int workers, bool event_idx)
{
	const struct gmem_region reg[] = { { 0, RAM } };

	memset(t, 0, sizeof(*t));
	t->event_idx = event_idx;
	snprintf(t->dir, sizeof(t->dir), "/tmp/test_virtio_fs.XXXXXX");
	CHECK(mkdtemp(t->dir) != NULL);
	CHECK_EQ(gmem_create(&t->mem, reg, 1), 0);
	t->loop = evloop_create();
	CHECK(t->loop);
	t->d = virtio_fs_create(&(struct virtio_fs_config){ "myfs", t->dir, workers });
	CHECK(t->d);
	t->d->mem = &t->mem;
	CHECK_EQ(pthread_mutex_init(&t->d->lock, NULL), 0);
	fake_wire_notifies(t->d, t->loop, t->n, NQ);
	CHECK_EQ(evloop_start(t->loop), 0);
	bringup(t);
}

static void setup(struct drv *t, unsigned int workers)
{
	setup_features(t, workers, false);
}

static void teardown(struct drv *t)
{
	fake_unwire_notifies(t->d, t->loop, NQ);
	t->d->ops->destroy(t->d);
	evloop_destroy(t->loop);
	pthread_mutex_destroy(&t->d->lock);
	free(t->d);
	gmem_destroy(&t->mem);
	rmdir(t->dir);
}

/* The device's avail_event: the u16 after the used ring's elements. */
static uint16_t avail_event(struct drv *t, uint16_t q)
{
	uint16_t *ev = gmem_ptr(&t->mem, RING(q) + 0x1800 + 4 + 8 * QSZ, 2);
	return __atomic_load_n(ev, __ATOMIC_ACQUIRE);
}

/* Puts a chain of segments on q: seg_len[i] bytes each, the first nread
 * readable (filled from `in`), the rest writable. Returns the head. Kicks. */
static uint16_t post(struct drv *t, uint16_t q, const void *in, const uint32_t *seg_len,
		     unsigned int nseg, unsigned int nread, bool kick)
{
	struct virtq_desc_raw *desc = gmem_ptr(&t->mem, RING(q), 16 * QSZ);
	uint16_t *avail = gmem_ptr(&t->mem, RING(q) + 0x1000, 4 + 2 * QSZ);
	uint16_t head = t->next_desc % QSZ;
	size_t off = 0;

	for (unsigned int s = 0; s < nseg; s++) {
		uint16_t i = (uint16_t)((head + s) % QSZ);
		uint64_t buf = BUF(t->next_desc % 128);
		t->next_desc++;
		if (s < nread) {
			CHECK_EQ(gmem_write(&t->mem, buf, (const char *)in + off, seg_len[s]), 0);
			off += seg_len[s];
		}
		desc[i] = (struct virtq_desc_raw){ buf, seg_len[s],
			(uint16_t)((s >= nread ? VIRTQ_DESC_F_WRITE : 0) |
				   (s + 1 < nseg ? VIRTQ_DESC_F_NEXT : 0)),
			(uint16_t)((i + 1) % QSZ) };
	}
	avail[2 + t->avail[q] % QSZ] = head;
	__atomic_store_n(&avail[1], ++t->avail[q], __ATOMIC_RELEASE);
	/* With EVENT_IDX a kick is due only when the new index passes the
	 * device's avail_event, as Linux's virtqueue_kick_prepare decides. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (kick && t->event_idx) {
		uint16_t old = (uint16_t)(t->avail[q] - 1);
		kick = (uint16_t)(t->avail[q] - avail_event(t, q) - 1) <
		       (uint16_t)(t->avail[q] - old);
	}
	if (kick) {
		t->kicks++;
		mw(t, VIRTIO_MMIO_QUEUE_NOTIFY, q);
	}
	return head;
}

static uint16_t used_idx(struct drv *t, uint16_t q)
{
	uint16_t *used = gmem_ptr(&t->mem, RING(q) + 0x1800, 4);
	return __atomic_load_n(&used[1], __ATOMIC_ACQUIRE);
}

static bool wait_used(struct drv *t, uint16_t q, uint32_t *id, uint32_t *len, int ms)
{
	uint32_t *ring = gmem_ptr(&t->mem, RING(q) + 0x1804, 8 * QSZ);

	for (int i = 0; used_idx(t, q) == t->used_seen[q]; i++) {
		if (i >= ms * 10)
			return false;
		usleep(100);
	}
	*id = ring[2 * (t->used_seen[q] % QSZ)];
	*len = ring[2 * (t->used_seen[q] % QSZ) + 1];
	t->used_seen[q]++;
	return true;
}

/* The writable segment of a chain: the one after its readable ones. */
static void *reply_of(struct drv *t, uint16_t head_desc_index)
{
	struct virtq_desc_raw *desc = gmem_ptr(&t->mem, RING(REQQ), 16 * QSZ);
	uint16_t i = head_desc_index;

	while (!(desc[i].flags & VIRTQ_DESC_F_WRITE))
		i = desc[i].next;
	return gmem_ptr(&t->mem, desc[i].addr, desc[i].len);
}

struct init_req {
	struct fuse_in_header h;
	struct fuse_init_in in;
};

static uint16_t post_init(struct drv *t, uint64_t unique)
{
	struct init_req r = {
		.h = { .len = sizeof(r), .opcode = FUSE_INIT, .unique = unique },
		.in = { .major = FUSE_KERNEL_VERSION, .minor = FUSE_KERNEL_MINOR_VERSION,
			.max_readahead = 1 << 20 },
	};
	const uint32_t segs[] = { sizeof(r.h), sizeof(r.in), 4096 };

	return post(t, REQQ, &r, segs, 3, 2, true);
}

TEST(virtio_fs_config_space_holds_the_tag_and_one_request_queue)
{
	struct drv t;
	uint8_t cfg[40];

	setup(&t, 2);
	for (unsigned int i = 0; i < sizeof(cfg); i += 4) {
		uint32_t v = mr(&t, VIRTIO_MMIO_CONFIG + i);
		memcpy(cfg + i, &v, 4);
	}
	CHECK(memcmp(cfg, "myfs\0\0\0", 8) == 0);
	CHECK(cfg[35] == 0);
	CHECK_EQ(cfg[36] | cfg[37] << 8 | cfg[38] << 16 | cfg[39] << 24, 1);
	mw(&t, VIRTIO_MMIO_CONFIG, 0x41414141); /* read-only: ignored */
	CHECK_EQ(mr(&t, VIRTIO_MMIO_CONFIG), 0x7366796d); /* "myfs" */
	teardown(&t);
}

TEST(virtio_fs_answers_fuse_init_on_the_request_queue)
{
	struct drv t;
	uint32_t id, len;
	uint16_t head;

	setup(&t, 2);
	head = post_init(&t, 7);
	CHECK(wait_used(&t, REQQ, &id, &len, 5000));
	CHECK_EQ(id, head);
	CHECK_EQ(len, sizeof(struct fuse_out_header) + sizeof(struct fuse_init_out));
	const struct fuse_out_header *oh = reply_of(&t, head);
	const struct fuse_init_out *io = (const void *)(oh + 1);
	CHECK_EQ(oh->error, 0);
	CHECK_EQ(oh->unique, 7);
	CHECK_EQ(io->major, FUSE_KERNEL_VERSION);
	CHECK_EQ(io->max_write, 1u << 20);
	teardown(&t);
}

TEST(virtio_fs_serves_many_requests_at_once_and_forget_on_hiprio)
{
	struct drv t;
	uint32_t id, len;
	bool seen[40] = { false };

	setup(&t, 4);
	post_init(&t, 1);
	CHECK(wait_used(&t, REQQ, &id, &len, 5000));
	struct {
		struct fuse_in_header h;
		struct fuse_getattr_in in;
	} g = { .h = { .len = sizeof(g), .opcode = FUSE_GETATTR, .nodeid = FUSE_ROOT_ID } };
	const uint32_t segs[] = { sizeof(g), 256 };
	for (unsigned int i = 0; i < 20; i++) {
		g.h.unique = 100 + i;
		post(&t, REQQ, &g, segs, 2, 1, i == 19); /* one kick for all */
	}
	for (unsigned int i = 0; i < 20; i++) {
		CHECK(wait_used(&t, REQQ, &id, &len, 5000));
		CHECK_EQ(len, sizeof(struct fuse_out_header) + sizeof(struct fuse_attr_out));
		const struct fuse_out_header *oh = reply_of(&t, (uint16_t)id);
		CHECK_EQ(oh->error, 0);
		CHECK(oh->unique >= 100 && oh->unique < 120 && !seen[oh->unique - 100]);
		seen[oh->unique - 100] = true;
	}
	/* FORGET has no reply: its chain comes back with length 0. */
	struct {
		struct fuse_in_header h;
		struct fuse_forget_in in;
	} f = { .h = { .len = sizeof(f), .opcode = FUSE_FORGET, .unique = 500, .nodeid = 12345 },
		.in = { .nlookup = 1 } };
	const uint32_t fseg[] = { sizeof(f) };
	uint16_t head = post(&t, HIPRIO, &f, fseg, 1, 1, true);
	CHECK(wait_used(&t, HIPRIO, &id, &len, 5000));
	CHECK_EQ(id, head);
	CHECK_EQ(len, 0);
	teardown(&t);
}

/* With EVENT_IDX the driver kicks only past avail_event: each request waited
 * for one at a time still gets a kick the device acts on (the worker that
 * served the last found the ring empty and asked for the next), and a burst
 * posted while no worker looks needs only the kick that starts it. */
TEST(virtio_fs_with_event_idx_serves_every_request_on_the_kicks_it_asked_for)
{
	struct drv t;
	uint32_t id, len;
	unsigned int kicks;

	setup_features(&t, 3, true);
	struct {
		struct fuse_in_header h;
		struct fuse_getattr_in in;
	} g = { .h = { .len = sizeof(g), .opcode = FUSE_GETATTR, .nodeid = FUSE_ROOT_ID } };
	const uint32_t segs[] = { sizeof(g), 256 };
	post_init(&t, 1);
	CHECK(wait_used(&t, REQQ, &id, &len, 5000));
	for (unsigned int i = 0; i < 30; i++) {
		g.h.unique = 100 + i;
		post(&t, REQQ, &g, segs, 2, 1, true);
		CHECK(wait_used(&t, REQQ, &id, &len, 5000));
		CHECK_EQ(len, sizeof(struct fuse_out_header) + sizeof(struct fuse_attr_out));
		CHECK_EQ(((const struct fuse_out_header *)reply_of(&t, (uint16_t)id))->unique,
			 100 + i);
		/* The worker asks for the next kick once it finds the ring empty. */
		for (int w = 0; avail_event(&t, REQQ) != t.avail[REQQ] && w < 50000; w++)
			usleep(100);
		CHECK_EQ(avail_event(&t, REQQ), t.avail[REQQ]);
	}
	kicks = t.kicks;
	for (unsigned int i = 0; i < 20; i++) {
		g.h.unique = 200 + i;
		post(&t, REQQ, &g, segs, 2, 1, true);
	}
	for (unsigned int i = 0; i < 20; i++)
		CHECK(wait_used(&t, REQQ, &id, &len, 5000));
	CHECK(t.kicks - kicks >= 1 && t.kicks - kicks <= 20);
	teardown(&t);
}

TEST(virtio_fs_completes_hostile_chains_without_a_reply_and_keeps_serving)
{
	struct drv t;
	uint32_t id, len;
	struct virtq_desc_raw *desc;
	uint16_t head;

	setup(&t, 2);
	/* No writable segment: nowhere to put a reply. */
	struct init_req r = { .h = { .len = sizeof(r), .opcode = FUSE_INIT, .unique = 3 } };
	const uint32_t ro[] = { sizeof(r) };
	head = post(&t, REQQ, &r, ro, 1, 1, true);
	CHECK(wait_used(&t, REQQ, &id, &len, 5000));
	CHECK_EQ(id, head);
	CHECK_EQ(len, 0);
	/* A header whose len lies (larger than the bytes sent). */
	r.h.len = 1u << 30;
	const uint32_t segs[] = { sizeof(r), 256 };
	head = post(&t, REQQ, &r, segs, 2, 1, true);
	CHECK(wait_used(&t, REQQ, &id, &len, 5000));
	CHECK_EQ(len, sizeof(struct fuse_out_header));
	CHECK_EQ(((const struct fuse_out_header *)reply_of(&t, head))->error, -EINVAL);
	/* A descriptor outside guest RAM: the queue completes it with length 0. */
	head = post(&t, REQQ, &r, segs, 2, 1, false);
	desc = gmem_ptr(&t.mem, RING(REQQ), 16 * QSZ);
	desc[(head + 1) % QSZ].addr = RAM - 16;
	mw(&t, VIRTIO_MMIO_QUEUE_NOTIFY, REQQ);
	CHECK(wait_used(&t, REQQ, &id, &len, 5000));
	CHECK_EQ(id, head);
	CHECK_EQ(len, 0);
	/* Still serving. */
	head = post_init(&t, 9);
	CHECK(wait_used(&t, REQQ, &id, &len, 5000));
	CHECK_EQ(id, head);
	CHECK_EQ(((const struct fuse_out_header *)reply_of(&t, head))->error, 0);
	teardown(&t);
}

TEST(virtio_fs_reset_with_requests_in_flight_then_serves_again)
{
	struct drv t;
	uint32_t id, len;
	uint16_t head;

	setup(&t, 4);
	for (unsigned int round = 0; round < 20; round++) {
		for (unsigned int i = 0; i < 8; i++)
			post_init(&t, 1000 + i);
		mw(&t, VIRTIO_MMIO_STATUS, 0); /* waits for requests in flight */
		CHECK_EQ(mr(&t, VIRTIO_MMIO_STATUS), 0);
		t.next_desc = 0;
		bringup(&t);
	}
	head = post_init(&t, 77);
	CHECK(wait_used(&t, REQQ, &id, &len, 5000));
	CHECK_EQ(id, head);
	CHECK_EQ(((const struct fuse_out_header *)reply_of(&t, head))->unique, 77);
	teardown(&t);
}

/* Waits for the reply to the chain at head; its FUSE error (0 or -errno). */
static int32_t reply_error(struct drv *t, uint16_t head)
{
	uint32_t id, len;

	CHECK(wait_used(t, REQQ, &id, &len, 5000));
	CHECK_EQ(id, head);
	CHECK(len >= sizeof(struct fuse_out_header));
	return ((const struct fuse_out_header *)reply_of(t, head))->error;
}

/* LOOKUP of name in the root; *nodeid gets the answer's node id. */
static int32_t lookup(struct drv *t, const char *name, uint64_t *nodeid)
{
	struct {
		struct fuse_in_header h;
		char name[8];
	} l = { .h = { .opcode = FUSE_LOOKUP, .unique = 40, .nodeid = FUSE_ROOT_ID } };
	uint32_t segs[2];
	uint16_t head;
	int32_t err;

	/* The name ends the request: its NUL is the request's last byte. */
	l.h.len = (uint32_t)(sizeof(l.h) + strlen(name) + 1);
	snprintf(l.name, sizeof(l.name), "%s", name);
	segs[0] = l.h.len;
	segs[1] = 512;
	head = post(t, REQQ, &l, segs, 2, 1, true);
	err = reply_error(t, head);
	*nodeid = ((const struct fuse_entry_out *)((const struct fuse_out_header *)
						    reply_of(t, head) + 1))->nodeid;
	return err;
}

static int32_t getattr(struct drv *t, uint64_t nodeid)
{
	struct {
		struct fuse_in_header h;
		struct fuse_getattr_in in;
	} g = { .h = { .len = sizeof(g), .opcode = FUSE_GETATTR, .unique = 41,
		       .nodeid = nodeid } };
	const uint32_t segs[] = { sizeof(g), 256 };

	return reply_error(t, post(t, REQQ, &g, segs, 2, 1, true));
}

/* A device reset ends the FUSE session as DESTROY does (virtio 1.2 §2.4: the
 * device goes back to its initial state): the driver that brings it up again
 * gets its INIT answered, and node ids of the last session mean nothing. A
 * driver reset without unmounting (a crashed guest kernel's kexec, a driver
 * unbind) used to find the share answering INIT with EIO for good. */
TEST(virtio_fs_reset_ends_the_fuse_session_and_a_new_init_is_served)
{
	char path[96];
	struct drv t;
	uint64_t node, again;
	int fd;

	setup(&t, 2);
	snprintf(path, sizeof(path), "%s/f", t.dir);
	fd = open(path, O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
	CHECK(fd >= 0);
	close(fd);
	CHECK_EQ(reply_error(&t, post_init(&t, 1)), 0);
	CHECK_EQ(reply_error(&t, post_init(&t, 2)), -EIO); /* a second INIT, same session */
	CHECK_EQ(lookup(&t, "f", &node), 0);
	CHECK(node != FUSE_ROOT_ID);
	CHECK_EQ(getattr(&t, node), 0);

	t.next_desc = 0;
	bringup(&t); /* status 0 first: the reset */
	CHECK_EQ(getattr(&t, FUSE_ROOT_ID), -EIO); /* nothing before INIT */
	CHECK_EQ(reply_error(&t, post_init(&t, 3)), 0);
	CHECK_EQ(getattr(&t, node), -ESTALE); /* the last session's id, forgotten */
	CHECK_EQ(lookup(&t, "f", &again), 0);
	CHECK_EQ(getattr(&t, again), 0);
	CHECK_EQ(unlink(path), 0);
	teardown(&t);
}

TEST(virtio_fs_create_refuses_bad_tags_and_missing_directories)
{
	char tag[40];

	memset(tag, 'a', 37);
	tag[37] = '\0';
	CHECK(virtio_fs_create(&(struct virtio_fs_config){ tag, "/tmp", 1 }) == NULL);
	CHECK(virtio_fs_create(&(struct virtio_fs_config){ "", "/tmp", 1 }) == NULL);
	CHECK(virtio_fs_create(&(struct virtio_fs_config){ "t", "/tmp", 0 }) == NULL);
	CHECK(virtio_fs_create(&(struct virtio_fs_config){ "t", "/nonexistent", 1 }) == NULL);
}
