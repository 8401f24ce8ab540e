/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A virtio-fs reset does not hang on a request stuck in the host. The share
 * holds a FUSE mount whose daemon (this test, holding /dev/fuse) never
 * answers, as a hung sshfs or NFS server would not: a LOOKUP of it blocks a
 * worker in a wait that only a fatal signal ends. The driver then resets the
 * device (status 0, through the mmio transport, as a vCPU does): the reset
 * must return within its bound, the device must serve again, and when the
 * stuck request finally ends (the connection aborted) its reply must not land
 * on the new queue. Before the fix the reset waited for good: alarm() ends
 * the program then, so the test fails instead of hanging the suite.
 *
 * Needs root (a FUSE mount, in a mount namespace of its own); skipped without.
 */
#include "harness.h"
#include "fake_transport.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/fuse.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "devices/fs/virtio_fs.h"
#include "vmm/evloop.h"

#define RAM 0x200000ULL
#define QSZ 16
#define REQQ 1
#define DESC 0x10000ULL /* the request queue's rings: desc, avail +0x1000, used +0x1800 */
#define BUF 0x100000ULL /* 4 KiB per descriptor */
#define HANG_LIMIT_S 20

struct rig {
	struct gmem mem;
	struct virtio_dev *d;
	struct evloop *loop;
	struct fake_notify n[2];
	uint16_t avail, seen, next;
	bool event_idx; /* kick only where avail_event asks (§2.7.10) */
	char dir[64], hung[96];
	int fuse_fd;
};

static void on_alarm(int sig)
{
	static const char msg[] = "test_fs_reset: still waiting after " "20" " s: the reset hangs\n";

	(void)sig;
	if (write(STDERR_FILENO, msg, sizeof(msg) - 1) < 0)
		_exit(2);
	_exit(1);
}

static long ms_since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - t0->tv_sec) * 1000 + (t.tv_nsec - t0->tv_nsec) / 1000000;
}

/* The driver side of §3.1.1 for the request queue only (hiprio stays off),
 * with VIRTIO_RING_F_EVENT_IDX or without. */
static void driver_up_with(struct rig *t, bool event_idx)
{
	const struct { uint64_t off; uint32_t v; } seq[] = {
		{ VIRTIO_MMIO_STATUS, 0 }, { VIRTIO_MMIO_STATUS, 3 },
		{ VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0 },
		{ VIRTIO_MMIO_DRIVER_FEATURES, event_idx ? 1u << VIRTIO_F_EVENT_IDX : 0 },
		{ VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1 }, { VIRTIO_MMIO_DRIVER_FEATURES, 1 },
		{ VIRTIO_MMIO_STATUS, 11 }, { VIRTIO_MMIO_QUEUE_SEL, REQQ },
		{ VIRTIO_MMIO_QUEUE_NUM, QSZ }, { VIRTIO_MMIO_QUEUE_DESC_LOW, (uint32_t)DESC },
		{ VIRTIO_MMIO_QUEUE_AVAIL_LOW, (uint32_t)DESC + 0x1000 },
		{ VIRTIO_MMIO_QUEUE_USED_LOW, (uint32_t)DESC + 0x1800 },
		{ VIRTIO_MMIO_QUEUE_READY, 1 }, { VIRTIO_MMIO_STATUS, 15 },
	};

	memset(gmem_ptr(&t->mem, DESC, 0x2000), 0, 0x2000);
	t->avail = t->seen = t->next = 0;
	for (size_t i = 0; i < sizeof(seq) / sizeof(seq[0]); i++)
		fake_mw(t->d, seq[i].off, seq[i].v);
	CHECK_EQ(fake_mr(t->d, VIRTIO_MMIO_STATUS), 15);
	t->event_idx = event_idx;
}

static void driver_up(struct rig *t)
{
	driver_up_with(t, false);
}

/* One request (header and arguments in a readable descriptor, 4 KiB of reply
 * room in a writable one), kicked. Returns its head. */
static uint16_t send(struct rig *t, uint32_t opcode, uint64_t unique, const void *arg,
		     uint32_t arg_len)
{
	struct virtq_desc_raw *desc = gmem_ptr(&t->mem, DESC, 16 * QSZ);
	uint16_t *avail = gmem_ptr(&t->mem, DESC + 0x1000, 4 + 2 * QSZ);
	struct fuse_in_header h = { .len = (uint32_t)sizeof(h) + arg_len, .opcode = opcode,
				    .unique = unique, .nodeid = FUSE_ROOT_ID };
	uint16_t head = t->next % QSZ, out = (uint16_t)((head + 1) % QSZ);
	uint64_t buf = BUF + (uint64_t)(t->next % 64) * 0x2000;

	t->next += 2;
	CHECK_EQ(gmem_write(&t->mem, buf, &h, sizeof(h)), 0);
	CHECK_EQ(gmem_write(&t->mem, buf + sizeof(h), arg, arg_len), 0);
	desc[head] = (struct virtq_desc_raw){ buf, h.len, VIRTQ_DESC_F_NEXT, out };
	desc[out] = (struct virtq_desc_raw){ buf + 0x1000, 0x1000, VIRTQ_DESC_F_WRITE, 0 };
	avail[2 + t->avail % QSZ] = head;
	__atomic_store_n(&avail[1], ++t->avail, __ATOMIC_RELEASE);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (t->event_idx) {
		/* avail_event follows the used ring's QSZ elements (§2.7.10):
		 * kick only if it lies in [old idx, new idx). */
		uint16_t *ev = gmem_ptr(&t->mem, DESC + 0x1800 + 4 + 8 * QSZ, 2);
		uint16_t want = __atomic_load_n(ev, __ATOMIC_RELAXED);

		if ((uint16_t)(t->avail - want - 1) >= 1)
			return head;
	}
	fake_mw(t->d, VIRTIO_MMIO_QUEUE_NOTIFY, REQQ);
	return head;
}

static uint16_t used_idx(struct rig *t)
{
	uint16_t *used = gmem_ptr(&t->mem, DESC + 0x1800, 4);

	return __atomic_load_n(&used[1], __ATOMIC_ACQUIRE);
}

/* The next used element's id, or -1 if none comes within ms. */
static int wait_used(struct rig *t, int ms)
{
	uint32_t *ring = gmem_ptr(&t->mem, DESC + 0x1804, 8 * QSZ);

	for (int i = 0; used_idx(t) == t->seen; i++) {
		if (i >= ms)
			return -1;
		usleep(1000);
	}
	return (int)ring[2 * (t->seen++ % QSZ)];
}

static int init_fs(struct rig *t, uint64_t unique)
{
	struct fuse_init_in in = { .major = FUSE_KERNEL_VERSION,
				   .minor = FUSE_KERNEL_MINOR_VERSION };
	uint16_t head = send(t, FUSE_INIT, unique, &in, sizeof(in));

	return wait_used(t, 5000) == head ? 0 : -1;
}

/* A private mount namespace (the mount goes with the process), then a FUSE
 * mount at t->hung served by nobody. */
static void mount_hung(struct rig *t)
{
	char opts[128];

	if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		SKIP("no mount namespace of our own: %s", strerror(errno));
	t->fuse_fd = open("/dev/fuse", O_RDWR | O_CLOEXEC);
	if (t->fuse_fd < 0)
		SKIP("/dev/fuse: %s", strerror(errno));
	snprintf(opts, sizeof(opts), "fd=%d,rootmode=40000,user_id=0,group_id=0", t->fuse_fd);
	if (mount("hung", t->hung, "fuse", MS_NOSUID | MS_NODEV, opts) < 0)
		SKIP("cannot mount a FUSE file system: %s", strerror(errno));
}

/* A share holding a hung FUSE mount, the device on it with 2 workers, the
 * driver up and FUSE_INIT answered; an alarm bounds the whole test. */
static void rig_up(struct rig *t, bool event_idx)
{
	const struct gmem_region reg[] = { { 0, RAM } };
	struct sigaction sa = { .sa_handler = on_alarm };

	snprintf(t->dir, sizeof(t->dir), "/tmp/test_fs_reset.XXXXXX");
	CHECK(mkdtemp(t->dir) != NULL);
	snprintf(t->hung, sizeof(t->hung), "%s/hung", t->dir);
	CHECK(mkdir(t->hung, 0755) == 0);
	mount_hung(t);
	sigaction(SIGALRM, &sa, NULL);
	alarm(HANG_LIMIT_S);

	CHECK_EQ(gmem_create(&t->mem, reg, 1), 0);
	t->loop = evloop_create();
	CHECK(t->loop);
	t->d = virtio_fs_create(&(struct virtio_fs_config){ "hung", t->dir, 2 });
	CHECK(t->d);
	t->d->mem = &t->mem;
	CHECK_EQ(pthread_mutex_init(&t->d->lock, NULL), 0);
	fake_wire_notifies(t->d, t->loop, t->n, 2);
	CHECK_EQ(evloop_start(t->loop), 0);
	driver_up_with(t, event_idx);
	CHECK_EQ(init_fs(t, 1), 0);
}

static void rig_down(struct rig *t)
{
	fake_unwire_notifies(t->d, t->loop, 2);
	t->d->ops->destroy(t->d);
	evloop_destroy(t->loop);
	pthread_mutex_destroy(&t->d->lock);
	free(t->d);
	gmem_destroy(&t->mem);
	umount2(t->hung, MNT_DETACH);
	rmdir(t->hung);
	rmdir(t->dir);
}

TEST(virtio_fs_reset_returns_while_a_request_hangs_in_the_host)
{
	struct rig t = { .fuse_fd = -1 };
	struct timespec t0;
	int head;
	long ms;

	rig_up(&t, false);

	send(&t, FUSE_LOOKUP, 2, "hung", 5);
	CHECK_EQ(wait_used(&t, 300), -1); /* a worker is stuck in the host */

	clock_gettime(CLOCK_MONOTONIC, &t0);
	fake_mw(t.d, VIRTIO_MMIO_STATUS, 0);
	ms = ms_since(&t0);
	CHECK_EQ(fake_mr(t.d, VIRTIO_MMIO_STATUS), 0);
	if (ms > 5000)
		harness_fail(__FILE__, __LINE__, "the reset took %ld ms", ms);

	/* The device serves again, on the worker that is not stuck. */
	driver_up(&t);
	CHECK_EQ(init_fs(&t, 3), 0);

	/* The stuck request ends (the connection aborted); its reply is dropped,
	 * not pushed on the new queue under its old head. */
	close(t.fuse_fd);
	usleep(300 * 1000);
	CHECK_EQ(used_idx(&t), t.seen);
	head = send(&t, FUSE_STATFS, 4, "", 0);
	CHECK_EQ(wait_used(&t, 5000), head);
	alarm(0);

	rig_down(&t);
}

/* With event_idx the driver kicks only where the device asked: a worker that
 * takes a chain and then hangs in the host must have asked for the next kick,
 * or the next request waits, unseen, behind the hung one. */
TEST(virtio_fs_with_event_idx_serves_a_request_while_another_hangs_in_the_host)
{
	struct rig t = { .fuse_fd = -1 };
	int head;

	rig_up(&t, true);
	usleep(100 * 1000); /* the worker looks again and finds the queue empty */

	send(&t, FUSE_LOOKUP, 2, "hung", 5);
	CHECK_EQ(wait_used(&t, 300), -1); /* a worker is stuck in the host */
	for (uint64_t u = 3; u < 6; u++) {
		head = send(&t, FUSE_STATFS, u, "", 0);
		CHECK_EQ(wait_used(&t, 5000), head);
	}
	alarm(0);

	close(t.fuse_fd); /* the stuck request ends */
	rig_down(&t);
}
