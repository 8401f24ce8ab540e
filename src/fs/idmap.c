/* SPDX-License-Identifier: Apache-2.0 */
#include "fs/idmap.h"

#include <errno.h>
#include <stdlib.h>

/* Far more than the fds a process can hold (one per inode or handle). */
#define IDMAP_MAX_SLOTS (1u << 26)

static int idmap_slot_of(const struct idmap *m, uint64_t id, uint32_t *idx)
{
	uint32_t low = (uint32_t)id;

	if (low == 0 || low > m->len)
		return -1;
	*idx = low - 1;
	if (!m->slots[*idx].ptr || m->slots[*idx].gen != (uint32_t)(id >> 32))
		return -1;
	return 0;
}

int idmap_add(struct idmap *m, void *ptr, uint64_t *id)
{
	uint32_t idx;

	if (m->free_head != IDMAP_NONE) {
		idx = m->free_head;
		m->free_head = m->slots[idx].next_free;
	} else {
		if (m->len == m->cap) {
			uint32_t cap = m->cap ? m->cap * 2 : 64;
			struct idmap_slot *n;

			if (m->cap >= IDMAP_MAX_SLOTS)
				return -ENFILE;
			n = realloc(m->slots, (size_t)cap * sizeof(*n));
			if (!n)
				return -ENOMEM;
			m->slots = n;
			m->cap = cap;
		}
		idx = m->len++;
		m->slots[idx].gen = 0;
	}
	m->slots[idx].ptr = ptr;
	m->slots[idx].next_free = IDMAP_NONE;
	m->count++;
	*id = ((uint64_t)m->slots[idx].gen << 32) | (idx + 1);
	return 0;
}

void *idmap_find(const struct idmap *m, uint64_t id)
{
	uint32_t idx;

	return idmap_slot_of(m, id, &idx) ? NULL : m->slots[idx].ptr;
}

void idmap_remove(struct idmap *m, uint64_t id)
{
	uint32_t idx;

	if (idmap_slot_of(m, id, &idx))
		return;
	m->slots[idx].ptr = NULL;
	m->count--;
	/* A slot whose generation would wrap is retired, so that no id repeats. */
	if (m->slots[idx].gen == UINT32_MAX)
		return;
	m->slots[idx].gen++;
	m->slots[idx].next_free = m->free_head;
	m->free_head = idx;
}

void *idmap_slot_ptr(const struct idmap *m, uint32_t idx)
{
	return idx < m->len ? m->slots[idx].ptr : NULL;
}

void idmap_release(struct idmap *m)
{
	free(m->slots);
	*m = (struct idmap)IDMAP_INIT;
}
