/* SPDX-License-Identifier: Apache-2.0 */
/*
 * An id map: pointers behind 64-bit ids that a hostile guest hands back to us.
 * An id is (generation << 32) | (slot index + 1); a slot's generation grows each
 * time it is freed, so a forged, stale or freed id finds nothing instead of a
 * wild or recycled pointer. Id 0 is never handed out. The first id of a new map
 * is 1 (FUSE_ROOT_ID when the root inode is added first).
 *
 * No locking: the owner serialises every call.
 */
#ifndef LIBKRUN_FS_IDMAP_H
#define LIBKRUN_FS_IDMAP_H

#include <stdint.h>

struct idmap_slot {
	void *ptr;          /* NULL: free */
	uint32_t gen;
	uint32_t next_free; /* free list link, IDMAP_NONE at its end */
};

struct idmap {
	struct idmap_slot *slots;
	uint32_t len, cap; /* slots in use or freed, slots allocated */
	uint32_t free_head;
	uint32_t count;    /* live entries */
};

#define IDMAP_NONE UINT32_MAX
#define IDMAP_INIT { .free_head = IDMAP_NONE }

/* Stores ptr (not NULL) under a fresh id. 0, -ENOMEM, or -ENFILE when full. */
int idmap_add(struct idmap *m, void *ptr, uint64_t *id);
/* The pointer stored under id, or NULL for any id not live. */
void *idmap_find(const struct idmap *m, uint64_t id);
/* Frees id's slot (a no-op for an id not live). */
void idmap_remove(struct idmap *m, uint64_t id);
/* The live pointer in slot idx (0 <= idx < len), or NULL. */
void *idmap_slot_ptr(const struct idmap *m, uint32_t idx);
/* Frees the slot array; the pointers are the owner's. */
void idmap_release(struct idmap *m);

#endif
