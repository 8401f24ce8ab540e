/* SPDX-License-Identifier: Apache-2.0 */
/*
 * virtio-net (src/devices/net/) behind the real virtio-mmio transport, with a
 * hostile driver (virtio_driver.h: registers, rings, kicks) on one side and a
 * hostile proxy on the other: the fuzzer holds the other end of the backend's
 * socketpair and writes any bytes into it.
 *
 * The first byte picks the backend (bit 0: datagram, else stream with length
 * prefixes) and the features asked for (bit 1: CSUM and GUEST_CSUM; with bit
 * 2 also every TSO and UFO offload, so TX super-frames are cut). Then ops:
 * virtio_driver.h's, then run_op's (proxy bytes then an RX kick, RX buffers,
 * a TX buffer of header and frame, the proxy reading what it was sent).
 * Checked: everything the device sends the proxy is framed, each frame 14 to
 * 65550 bytes (a stream's length prefixes are parsed across reads); every RX
 * completion is within its buffer (vq's used length checks); after the
 * driver's reset and the device's end nothing of it stays on the loop.
 */
#include "fuzz.h"

#include <errno.h>
#include <sys/socket.h>

#include "devices/net/net.h"
#include "virtio_driver.h"

/* CSUM, GUEST_CSUM and every TSO/UFO offload (devices/net/net.h). */
#define NET_ALL_OFFLOADS                                                                  \
	(1u << VIRTIO_NET_F_CSUM | 1u << VIRTIO_NET_F_GUEST_CSUM |                       \
	 1u << VIRTIO_NET_F_GUEST_TSO4 | 1u << VIRTIO_NET_F_GUEST_TSO6 |                 \
	 1u << VIRTIO_NET_F_GUEST_UFO | 1u << VIRTIO_NET_F_HOST_TSO4 |                   \
	 1u << VIRTIO_NET_F_HOST_TSO6 | 1u << VIRTIO_NET_F_HOST_UFO)

static struct evloop *loop;
static int peer = -1;
static bool dgram;
static uint64_t in_frame; /* stream: bytes of the current frame still to come */
static uint8_t prefix[4];
static unsigned int prefix_have;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	loop = vd_init_loop(1 << 20);
	return 0;
}

/* The proxy reads what the device sent and checks its framing. */
static void drain(void)
{
	static uint8_t buf[NETBE_FRAME_MAX + 16];
	ssize_t n;

	while ((n = recv(peer, buf, sizeof(buf), MSG_DONTWAIT)) > 0) {
		if (dgram) {
			FZ_CHECK(n >= NETBE_ETH_HLEN && n <= NETBE_FRAME_MAX);
			continue;
		}
		for (ssize_t i = 0; i < n;) {
			if (in_frame) {
				uint64_t k = (uint64_t)(n - i) < in_frame ? (uint64_t)(n - i) : in_frame;
				in_frame -= k;
				i += (ssize_t)k;
				continue;
			}
			prefix[prefix_have++] = buf[i++];
			if (prefix_have == 4) {
				in_frame = (uint64_t)prefix[0] << 24 | prefix[1] << 16 | prefix[2] << 8 |
					   prefix[3];
				FZ_CHECK(in_frame >= NETBE_ETH_HLEN && in_frame <= NETBE_FRAME_MAX);
				prefix_have = 0;
			}
		}
	}
}

static void run_op(struct fz *z)
{
	uint8_t op = fz_u8(z), hdr[NET_HDR_LEN], *tx;
	const uint8_t *p;
	size_t n;

	switch (op % 14) {
	case VD_NOPS: /* the proxy sends bytes (a stream's framing is the input's) */
		p = fz_block(z, 8192, &n);
		if (n)
			(void)send(peer, p, n, MSG_DONTWAIT | MSG_NOSIGNAL);
		vd_kick(NET_RXQ);
		break;
	case VD_NOPS + 1: { /* RX buffers of one size, kicked */
		static const uint32_t sizes[] = { 1530, 1530, 65562, 12, 100, 1, 4096, 0 };
		unsigned int k = 1 + fz_u8(z) % 8;
		uint32_t len = sizes[fz_u8(z) % 8];

		for (unsigned int i = 0; i < k; i++)
			vd_buffer(NET_RXQ, vd.region_size / 2, 0x1000, len, VIRTQ_DESC_F_WRITE, NULL);
		vd_kick(NET_RXQ);
		break;
	}
	case VD_NOPS + 2: /* one TX buffer: a header from the input, then a frame */
		tx = (uint8_t *)gmem_ptr(&vd.mem, vd.region_size / 4, 4096 + NET_HDR_LEN);
		for (unsigned int i = 0; i < NET_HDR_LEN; i++)
			hdr[i] = fz_u8(z);
		p = fz_block(z, 4096, &n);
		memcpy(tx, hdr, sizeof(hdr));
		if (n)
			memcpy(tx + NET_HDR_LEN, p, n);
		vd_buffer(NET_TXQ, vd.region_size / 4, 0, (uint32_t)(NET_HDR_LEN + n), 0, NULL);
		vd_kick(NET_TXQ);
		break;
	case VD_NOPS + 3:
		drain();
		break;
	default:
		vd_op(z, op % 14);
		break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz z = { data, size };
	uint8_t sel = fz_u8(&z);
	struct net_config cfg = { .mac = { 0x52, 0x54, 0, 1, 2, 3 } };
	struct virtio_dev *d;
	int sv[2], fd;

	dgram = sel & 1;
	in_frame = 0;
	prefix_have = 0;
	cfg.kind = dgram ? NETBE_DGRAM : NETBE_STREAM;
	cfg.features = sel & 2 ? (sel & 4 ? NET_ALL_OFFLOADS : 3) : 0;
	FZ_CHECK(socketpair(AF_UNIX, (dgram ? SOCK_DGRAM : SOCK_STREAM) | SOCK_CLOEXEC, 0,
			    sv) == 0);
	peer = sv[1];
	cfg.fd = fd = sv[0];
	FZ_CHECK(net_create(&cfg, loop, &d) == 0);
	vd_attach(d);
	while (!fz_empty(&z))
		run_op(&z);
	drain();
	vd_detach();
	d->ops->destroy(d);
	free(d);
	/* The loop outlives the device: its fd may not stay registered. */
	FZ_CHECK(evloop_del(loop, fd) == -ENOENT);
	close(peer);
	peer = -1;
	return 0;
}
