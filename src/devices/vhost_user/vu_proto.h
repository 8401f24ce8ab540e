/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The vhost-user protocol's wire format (QEMU docs/interop/vhost-user.rst):
 * messages on a UNIX stream socket, a 12-byte header then a payload of
 * header.size bytes, file descriptors as SCM_RIGHTS on the header's sendmsg.
 * Only what the frontend in this folder (and the test backend in tests/vm/)
 * uses is named here. Little-endian, as every host we run on.
 */
#ifndef LIBKRUN_DEVICES_VHOST_USER_VU_PROTO_H
#define LIBKRUN_DEVICES_VHOST_USER_VU_PROTO_H

#include <stdint.h>

/* Front-end requests ("Front-end message types"). */
enum vu_request {
	VU_GET_FEATURES = 1,
	VU_SET_FEATURES = 2,
	VU_SET_OWNER = 3,
	VU_RESET_OWNER = 4,
	VU_SET_MEM_TABLE = 5,
	VU_SET_VRING_NUM = 8,
	VU_SET_VRING_ADDR = 9,
	VU_SET_VRING_BASE = 10,
	VU_GET_VRING_BASE = 11,
	VU_SET_VRING_KICK = 12,
	VU_SET_VRING_CALL = 13,
	VU_SET_VRING_ERR = 14,
	VU_GET_PROTOCOL_FEATURES = 15,
	VU_SET_PROTOCOL_FEATURES = 16,
	VU_GET_QUEUE_NUM = 17,
	VU_SET_VRING_ENABLE = 18,
	VU_GET_CONFIG = 24,
	VU_SET_CONFIG = 25,
	VU_RESET_DEVICE = 34,
};

/* Header flags: the version in bits 0-1, then reply and need-reply. */
#define VU_VERSION 0x1u
#define VU_VERSION_MASK 0x3u
#define VU_FLAG_REPLY (1u << 2)
#define VU_FLAG_NEED_REPLY (1u << 3)

/* Virtio feature bit that says the protocol features exist ("Protocol features"). */
#define VU_F_PROTOCOL_FEATURES 30

/* Protocol feature bits. */
#define VU_PROTOCOL_F_MQ 0
#define VU_PROTOCOL_F_REPLY_ACK 3
#define VU_PROTOCOL_F_CONFIG 9
#define VU_PROTOCOL_F_RESET_DEVICE 13

/* SET_VRING_KICK/CALL/ERR's u64: the queue index in bits 0-7; bit 8 says no
 * fd follows (polling mode, which this frontend never asks for). */
#define VU_VRING_IDX_MASK 0xffu
#define VU_VRING_NOFD (1u << 8)

#define VU_MAX_FDS 8     /* fds in one message ("Memory regions description") */
#define VU_MAX_REGIONS 8 /* regions in SET_MEM_TABLE */
#define VU_MAX_CONFIG 256 /* what GET_CONFIG's payload may hold (the spec's bound) */

struct vu_header {
	uint32_t request;
	uint32_t flags;
	uint32_t size; /* payload bytes after the header */
};

struct vu_vring_state {
	uint32_t index;
	uint32_t num;
};

/* Ring addresses are the frontend's virtual addresses (userspace_addr space). */
struct vu_vring_addr {
	uint32_t index;
	uint32_t flags; /* bit 0: log; never set here */
	uint64_t desc;
	uint64_t used;
	uint64_t avail;
	uint64_t log;
};

struct vu_mem_region {
	uint64_t guest_phys_addr;
	uint64_t memory_size;
	uint64_t userspace_addr;
	uint64_t mmap_offset; /* into this region's fd */
};

struct vu_memory {
	uint32_t nregions;
	uint32_t padding;
	struct vu_mem_region regions[VU_MAX_REGIONS];
};

struct vu_config {
	uint32_t offset;
	uint32_t size;
	uint32_t flags;
	uint8_t region[VU_MAX_CONFIG];
};

#define VU_CONFIG_HDR_SIZE 12u /* offset, size, flags before region */

#endif
