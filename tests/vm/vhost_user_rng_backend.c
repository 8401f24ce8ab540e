/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A vhost-user backend for a virtio-rng device (virtio id 4, one queue), for
 * tests of the vhost-user frontend (QEMU docs/interop/vhost-user.rst).
 *   vhost_user_rng_backend SOCKET_PATH SERVED_LOG
 * Listens on SOCKET_PATH (removing a stale one), prints "LISTENING", serves
 * one connection and, when the frontend hangs up, prints
 * "vhost_user_rng_backend: served N bytes in M buffers" on stderr (M counts
 * used-ring entries, empty ones included) and exits 0.
 * The bytes put in guest buffers are the low bytes of successive xorshift64
 * (13, 7, 17) steps from the seed 0x9E3779B97F4A7C15; each is also appended,
 * in the same order, to SERVED_LOG (truncated at start), so a test can check
 * that what the guest read was served. A malformed ring entry gets a stderr
 * note and a used length of 0. Exits 1 on a setup or protocol error.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "devices/vhost_user/vu_proto.h"

#define PROG "vhost_user_rng_backend"
#define SEED 0x9E3779B97F4A7C15ull
#define VIRTIO_F_VERSION_1 32
#define MAX_QSIZE 32768u
#define MAX_BUF (64u << 10) /* bytes served into one descriptor, at most */
/* Split virtqueue flags (virtio 1.2 §2.7.5, §2.7.6). */
#define VIRTQ_DESC_F_NEXT 1
#define VIRTQ_DESC_F_WRITE 2
#define VIRTQ_DESC_F_INDIRECT 4
#define VIRTQ_AVAIL_F_NO_INTERRUPT 1

struct virtq_desc { uint64_t addr; uint32_t len; uint16_t flags, next; };
struct virtq_avail { uint16_t flags, idx, ring[]; };
struct virtq_used_elem { uint32_t id, len; };
struct virtq_used { uint16_t flags, idx; struct virtq_used_elem ring[]; };

struct region {
	uint64_t gpa, size, uva;
	uint8_t *host; /* the region's first byte, mmap_offset into the mapping */
	void *map;
	size_t maplen;
};

struct msg {
	struct vu_header hdr;
	union {
		uint64_t u64;
		struct vu_vring_state state;
		struct vu_vring_addr addr;
		struct vu_memory mem;
		struct vu_config cfg;
		uint8_t raw[4096];
	} p;
	int fds[VU_MAX_FDS]; /* -1 once a handler has taken one */
	unsigned nfds;
};

static struct {
	int sock, log;
	uint64_t features, protocol_features, rng, served, buffers;
	struct region mem[VU_MAX_REGIONS];
	unsigned nregions;
	/* The one queue. Buffers complete in order, so `next` is both the next
	 * avail entry to take and the next used entry to write. */
	int kick, call;
	uint32_t num;
	bool have_addr, enabled;
	uint64_t desc, avail, used; /* frontend virtual addresses */
	uint16_t next;
} vu = { .sock = -1, .log = -1, .kick = -1, .call = -1, .rng = SEED };

static struct { uint8_t *p; uint32_t len; } chain[MAX_QSIZE];
static uint8_t bytes[MAX_BUF];

__attribute__((format(printf, 1, 2))) static void note(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, PROG ": ");
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

#define bad(...) (note(__VA_ARGS__), -EPROTO)

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* Host pointer for [addr, addr + len) when it lies inside one region, looked
 * up by the frontend's virtual address (ring addresses) or by guest-physical
 * address (descriptor buffers): "Memory regions description". */
static void *xlate(uint64_t addr, uint64_t len, bool by_uva)
{
	for (unsigned i = 0; i < vu.nregions; i++) {
		const struct region *r = &vu.mem[i];
		uint64_t base = by_uva ? r->uva : r->gpa;

		if (addr >= base && len <= r->size && addr - base <= r->size - len)
			return r->host + (addr - base);
	}
	return NULL;
}

/* "Ring states": a ring runs once it has everything and, when
 * VHOST_USER_F_PROTOCOL_FEATURES was negotiated, was enabled. */
static bool started(void)
{
	bool enabled = vu.enabled || !(vu.features & (1ull << VU_F_PROTOCOL_FEATURES));

	return vu.kick >= 0 && vu.call >= 0 && vu.have_addr && vu.num && enabled;
}

static void fill(uint8_t *dst, uint32_t len)
{
	for (uint32_t i = 0; i < len; i++) {
		vu.rng ^= vu.rng << 13;
		vu.rng ^= vu.rng >> 7;
		vu.rng ^= vu.rng << 17;
		bytes[i] = (uint8_t)vu.rng;
	}
	memcpy(dst, bytes, len);
	if (write(vu.log, bytes, len) != (ssize_t)len) {
		note("write to the served log: %s", strerror(errno));
		_exit(1);
	}
}

/* Walks the chain from head (virtio 1.2 §2.7.5) and, only when all of it
 * checks out, fills its device-writable buffers; returns the bytes written. */
static uint32_t serve_chain(const struct virtq_desc *desc, uint16_t head)
{
	unsigned n = 0, steps = 0;
	uint32_t total = 0;

	for (uint32_t i = head;; steps++) {
		struct virtq_desc d;

		if (i >= vu.num)
			return note("descriptor index %u is past the ring size %u", i, vu.num), 0;
		if (steps == vu.num)
			return note("chain from head %u is longer than the ring (a loop?)", head), 0;
		memcpy(&d, &desc[i], sizeof(d));
		if (d.flags & VIRTQ_DESC_F_INDIRECT)
			return note("indirect descriptor at %u, a feature not offered", i), 0;
		if (d.flags & VIRTQ_DESC_F_WRITE) {
			uint32_t len = d.len < MAX_BUF ? d.len : MAX_BUF;
			uint8_t *p = xlate(d.addr, len, false);

			if (!p)
				return note("descriptor %u: buffer 0x%llx+%u is outside guest memory", i,
					    (unsigned long long)d.addr, len), 0;
			chain[n].p = p;
			chain[n++].len = len;
		}
		if (!(d.flags & VIRTQ_DESC_F_NEXT))
			break;
		i = d.next;
	}
	for (unsigned k = 0; k < n; k++) {
		fill(chain[k].p, chain[k].len);
		total += chain[k].len;
	}
	return total;
}

/* Serves every new avail entry (virtio 1.2 §2.7.13), then notifies unless
 * the driver asked not to (§2.7.10; no VIRTIO_F_EVENT_IDX here). */
static void process(void)
{
	const struct virtq_desc *desc = xlate(vu.desc, 16ull * vu.num, true);
	struct virtq_avail *avail = xlate(vu.avail, 4 + 2ull * vu.num, true);
	struct virtq_used *used = xlate(vu.used, 4 + 8ull * vu.num, true);
	bool any = false;

	if (!desc || !avail || !used || (uintptr_t)desc % 16 || (uintptr_t)avail % 2 ||
	    (uintptr_t)used % 4) {
		note("ring addresses are outside memory or misaligned");
		return;
	}
	for (;;) {
		uint16_t idx = __atomic_load_n(&avail->idx, __ATOMIC_ACQUIRE);

		if (idx == vu.next)
			break;
		if ((uint16_t)(idx - vu.next) > vu.num) {
			note("avail idx %u is more than %u ahead of %u", idx, vu.num, vu.next);
			break;
		}
		for (; vu.next != idx; vu.buffers++) {
			uint16_t head = __atomic_load_n(&avail->ring[vu.next % vu.num], __ATOMIC_RELAXED);
			struct virtq_used_elem *e = &used->ring[vu.next % vu.num];
			uint32_t len = 0;

			if (head < vu.num)
				len = serve_chain(desc, head);
			else
				note("avail head %u is past the ring size %u", head, vu.num);
			__atomic_store_n(&e->id, head, __ATOMIC_RELAXED);
			__atomic_store_n(&e->len, len, __ATOMIC_RELAXED);
			__atomic_store_n(&used->idx, ++vu.next, __ATOMIC_RELEASE);
			vu.served += len;
			any = true;
		}
	}
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (any && !(__atomic_load_n(&avail->flags, __ATOMIC_RELAXED) & VIRTQ_AVAIL_F_NO_INTERRUPT)) {
		uint64_t one = 1;

		if (write(vu.call, &one, sizeof(one)) != sizeof(one))
			note("call eventfd: %s", strerror(errno));
	}
}

/* Reads one message, its fds from the header's SCM_RIGHTS ("Message
 * format"); 1 with one, 0 on a hang-up between messages, -errno on error. */
static int read_msg(struct msg *m)
{
	size_t got = 0;

	m->nfds = 0;
	while (got < sizeof(m->hdr)) {
		union { char buf[CMSG_SPACE(VU_MAX_FDS * sizeof(int))]; struct cmsghdr align; } ctl;
		struct iovec iov = { (char *)&m->hdr + got, sizeof(m->hdr) - got };
		struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf,
				     .msg_controllen = sizeof(ctl.buf) };
		ssize_t n = recvmsg(vu.sock, &mh, MSG_CMSG_CLOEXEC);
		struct cmsghdr *c;

		if (n < 0 && errno == EINTR)
			continue;
		if (n == 0 && got == 0)
			return 0;
		if (n <= 0)
			return bad("reading a header: %s", n ? strerror(errno) : "hang-up inside it");
		c = CMSG_FIRSTHDR(&mh);
		if (c && c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
			size_t k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);

			if (m->nfds + k > VU_MAX_FDS)
				return bad("more than %d fds in a message", VU_MAX_FDS);
			memcpy(m->fds + m->nfds, CMSG_DATA(c), k * sizeof(int));
			m->nfds += (unsigned)k;
		}
		if (mh.msg_flags & MSG_CTRUNC)
			return bad("fds were cut off (more than %d)", VU_MAX_FDS);
		got += (size_t)n;
	}
	if ((m->hdr.flags & VU_VERSION_MASK) != VU_VERSION || m->hdr.flags & VU_FLAG_REPLY)
		return bad("request %u: flags 0x%x", m->hdr.request, m->hdr.flags);
	if (m->hdr.size > sizeof(m->p))
		return bad("request %u: payload of %u bytes", m->hdr.request, m->hdr.size);
	for (got = 0; got < m->hdr.size;) {
		ssize_t n = recv(vu.sock, m->p.raw + got, m->hdr.size - got, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return bad("reading a payload: %s", n ? strerror(errno) : "hang-up inside it");
		got += (size_t)n;
	}
	return 1;
}

static int reply(const struct msg *m, const void *payload, uint32_t size)
{
	struct vu_header h = { m->hdr.request, VU_VERSION | VU_FLAG_REPLY, size };
	struct iovec iov[2] = { { &h, sizeof(h) }, { (void *)payload, size } };
	struct msghdr mh = { .msg_iov = iov, .msg_iovlen = 2 };
	ssize_t n = sendmsg(vu.sock, &mh, MSG_NOSIGNAL);

	if (n != (ssize_t)(sizeof(h) + size))
		return bad("reply to %u: %s", m->hdr.request, n < 0 ? strerror(errno) : "short send");
	return 0;
}

static int reply_u64(const struct msg *m, uint64_t v)
{
	return reply(m, &v, sizeof(v));
}

/* SET_MEM_TABLE: each region's fd mapped whole up to mmap_offset + size. */
static int set_mem_table(struct msg *m)
{
	const struct vu_memory *t = &m->p.mem;

	if (m->hdr.size < 8 || t->nregions > VU_MAX_REGIONS ||
	    m->hdr.size < 8 + t->nregions * sizeof(t->regions[0]) || t->nregions != m->nfds)
		return bad("SET_MEM_TABLE: %u regions, %u fds, %u bytes", t->nregions, m->nfds,
			   m->hdr.size);
	for (unsigned i = 0; i < vu.nregions; i++)
		munmap(vu.mem[i].map, vu.mem[i].maplen);
	vu.nregions = 0;
	for (unsigned i = 0; i < t->nregions; i++) {
		const struct vu_mem_region *r = &t->regions[i];
		size_t len;
		void *map;

		if (!r->memory_size || r->mmap_offset > SIZE_MAX - r->memory_size)
			return bad("SET_MEM_TABLE: region %u is empty or too large", i);
		len = (size_t)(r->memory_size + r->mmap_offset);
		map = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, m->fds[i], 0);
		if (map == MAP_FAILED)
			return bad("SET_MEM_TABLE: mmap of region %u: %s", i, strerror(errno));
		close_fd(&m->fds[i]);
		vu.mem[vu.nregions++] = (struct region){ r->guest_phys_addr, r->memory_size,
							 r->userspace_addr, (uint8_t *)map + r->mmap_offset,
							 map, len };
	}
	return 0;
}

/* SET_VRING_KICK/CALL/ERR: the u64 names the queue and maybe "no fd". */
static int take_fd(struct msg *m, int *slot)
{
	bool nofd = m->p.u64 & VU_VRING_NOFD;

	if (m->p.u64 & VU_VRING_IDX_MASK)
		return bad("request %u: queue %u, only 0 exists", m->hdr.request,
			   (unsigned)(m->p.u64 & VU_VRING_IDX_MASK));
	if (m->nfds != (nofd ? 0u : 1u))
		return bad("request %u: %u fds with u64 0x%llx", m->hdr.request, m->nfds,
			   (unsigned long long)m->p.u64);
	close_fd(slot);
	*slot = nofd ? -1 : m->fds[0];
	m->fds[0] = -1;
	return 0;
}

/* Payload sizes of the fixed-size requests. */
static const uint8_t fixed_size[VU_RESET_DEVICE + 1] = {
	[VU_SET_FEATURES] = 8, [VU_SET_PROTOCOL_FEATURES] = 8, [VU_SET_VRING_KICK] = 8,
	[VU_SET_VRING_CALL] = 8, [VU_SET_VRING_ERR] = 8, [VU_SET_VRING_NUM] = 8,
	[VU_SET_VRING_BASE] = 8, [VU_GET_VRING_BASE] = 8, [VU_SET_VRING_ENABLE] = 8,
	[VU_SET_VRING_ADDR] = sizeof(struct vu_vring_addr),
};

/* One request ("Front-end message types"); 0 or -errno (fatal). */
static int handle(struct msg *m)
{
	uint32_t req = m->hdr.request, want = req <= VU_RESET_DEVICE ? fixed_size[req] : 0;
	/* Payloads that start with a queue index: vu_vring_state and vu_vring_addr. */
	bool ring = (req >= VU_SET_VRING_NUM && req <= VU_GET_VRING_BASE) || req == VU_SET_VRING_ENABLE;
	bool acked = vu.protocol_features & (1ull << VU_PROTOCOL_F_REPLY_ACK);
	uint64_t status = 0;
	int r = 0;

	if (want && m->hdr.size != want)
		return bad("request %u: payload of %u bytes, not %u", req, m->hdr.size, want);
	if (ring && m->p.state.index != 0)
		return bad("request %u: queue %u, only 0 exists", req, m->p.state.index);
	switch (req) {
	case VU_GET_FEATURES:
		return reply_u64(m, 1ull << VIRTIO_F_VERSION_1 | 1ull << VU_F_PROTOCOL_FEATURES);
	case VU_GET_PROTOCOL_FEATURES:
		return reply_u64(m, 1ull << VU_PROTOCOL_F_MQ | 1ull << VU_PROTOCOL_F_REPLY_ACK |
					    1ull << VU_PROTOCOL_F_CONFIG |
					    1ull << VU_PROTOCOL_F_RESET_DEVICE);
	case VU_GET_QUEUE_NUM:
		return reply_u64(m, 1);
	case VU_GET_CONFIG:
		/* virtio-rng has no config space: zeros. "back-end uses zero
		 * length of payload to indicate an error". */
		if (m->hdr.size < VU_CONFIG_HDR_SIZE)
			return bad("GET_CONFIG: payload of %u bytes", m->hdr.size);
		if (m->p.cfg.size > VU_MAX_CONFIG)
			return reply(m, NULL, 0);
		memset(m->p.cfg.region, 0, m->p.cfg.size);
		return reply(m, &m->p.cfg, VU_CONFIG_HDR_SIZE + m->p.cfg.size);
	case VU_GET_VRING_BASE: {
		/* "Stops the vring and returns the current descriptor index." */
		struct vu_vring_state s = { 0, vu.next };

		close_fd(&vu.kick);
		return reply(m, &s, sizeof(s));
	}
	case VU_SET_FEATURES:
		vu.features = m->p.u64;
		break;
	case VU_SET_PROTOCOL_FEATURES:
		vu.protocol_features = m->p.u64;
		acked = vu.protocol_features & (1ull << VU_PROTOCOL_F_REPLY_ACK);
		break;
	case VU_SET_OWNER: case VU_RESET_OWNER: case VU_SET_CONFIG:
		break;
	case VU_SET_MEM_TABLE:
		r = set_mem_table(m);
		break;
	case VU_SET_VRING_NUM:
		if (!m->p.state.num || m->p.state.num > MAX_QSIZE ||
		    (m->p.state.num & (m->p.state.num - 1)))
			return bad("SET_VRING_NUM: %u is not a power of 2 up to %u", m->p.state.num,
				   MAX_QSIZE);
		vu.num = m->p.state.num;
		break;
	case VU_SET_VRING_ADDR:
		vu.desc = m->p.addr.desc;
		vu.avail = m->p.addr.avail;
		vu.used = m->p.addr.used;
		vu.have_addr = true;
		break;
	case VU_SET_VRING_BASE:
		if (m->p.state.num > UINT16_MAX)
			return bad("SET_VRING_BASE: %u", m->p.state.num);
		vu.next = (uint16_t)m->p.state.num;
		break;
	case VU_SET_VRING_KICK:
		r = take_fd(m, &vu.kick);
		break;
	case VU_SET_VRING_CALL:
		r = take_fd(m, &vu.call);
		break;
	case VU_SET_VRING_ERR: {
		int fd = -1;

		r = take_fd(m, &fd);
		close_fd(&fd);
		break;
	}
	case VU_SET_VRING_ENABLE:
		if (m->p.state.num > 1)
			return bad("SET_VRING_ENABLE: %u", m->p.state.num);
		vu.enabled = m->p.state.num;
		break;
	case VU_RESET_DEVICE: /* the ring forgets all but memory */
		close_fd(&vu.kick);
		close_fd(&vu.call);
		vu.num = vu.next = 0;
		vu.have_addr = vu.enabled = false;
		break;
	default:
		note("request %u is not handled here", req);
		status = 1;
		acked = true;
	}
	if (r < 0)
		return r;
	if (acked && m->hdr.flags & VU_FLAG_NEED_REPLY)
		return reply_u64(m, status); /* "REPLY_ACK" */
	return 0;
}

static int serve(void)
{
	static struct msg m;

	for (;;) {
		bool was = started();
		struct pollfd p[2] = { { vu.sock, POLLIN, 0 }, { was ? vu.kick : -1, POLLIN, 0 } };
		int r;

		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			return bad("poll: %s", strerror(errno));
		}
		if (p[1].revents & POLLIN) {
			uint64_t v;

			if (read(vu.kick, &v, sizeof(v)) != sizeof(v))
				note("kick eventfd: %s", strerror(errno));
			process();
		}
		if (!p[0].revents)
			continue;
		r = read_msg(&m);
		if (r <= 0)
			return r;
		r = handle(&m);
		for (unsigned i = 0; i < m.nfds; i++)
			close_fd(&m.fds[i]);
		if (r < 0)
			return r;
		/* Rings start without waiting for a kick ("Ring states"). */
		if (!was && started())
			process();
	}
}

int main(int argc, char **argv)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	int lsock;

	if (argc != 3 || strlen(argv[1]) >= sizeof(addr.sun_path)) {
		fprintf(stderr, "usage: " PROG " SOCKET_PATH SERVED_LOG\n");
		return 1;
	}
	strcpy(addr.sun_path, argv[1]);
	vu.log = open(argv[2], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (vu.log < 0)
		return note("%s: %s", argv[2], strerror(errno)), 1;
	unlink(argv[1]);
	lsock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (lsock < 0 || bind(lsock, (struct sockaddr *)&addr, sizeof(addr)) < 0 ||
	    listen(lsock, 1) < 0)
		return note("listen on %s: %s", argv[1], strerror(errno)), 1;
	printf("LISTENING\n");
	fflush(stdout);
	vu.sock = accept4(lsock, NULL, NULL, SOCK_CLOEXEC);
	if (vu.sock < 0)
		return note("accept: %s", strerror(errno)), 1;
	close(lsock);
	if (serve() < 0)
		return 1;
	note("served %llu bytes in %llu buffers", (unsigned long long)vu.served,
	     (unsigned long long)vu.buffers);
	return 0;
}
