/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fake guest RAM with a GPA-addressed table allocator (see pt_test_mem.h).
 * First fit over a page map: slow but obviously correct, which is what a
 * test fixture should be.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "pt_test_mem.h"

int
pt_test_mem_init(struct pt_test_mem *m, uint64_t base, uint64_t size)
{
	memset(m, 0, sizeof(*m));
	if ((base | size) & 4095)
		return -EINVAL;
	m->buf = aligned_alloc(65536, size);
	m->used = calloc(size / 4096, 1);
	if (m->buf == NULL || m->used == NULL) {
		free(m->buf);
		free(m->used);
		return -ENOMEM;
	}
	/* Garbage, so that a missing clear shows. */
	memset(m->buf, 0xa5, size);
	m->base = base;
	m->size = size;
	m->npages = size / 4096;
	return 0;
}

void
pt_test_mem_fini(struct pt_test_mem *m)
{
	free(m->buf);
	free(m->used);
	memset(m, 0, sizeof(*m));
}

void *
pt_test_mem_ptr(struct pt_test_mem *m, uint64_t gpa, uint64_t len)
{
	if (gpa < m->base || len > m->size || gpa - m->base > m->size - len)
		return NULL;
	return m->buf + (gpa - m->base);
}

static int
tm_alloc(void *ctx, size_t size, size_t align, uint64_t *addr)
{
	struct pt_test_mem *m = ctx;
	uint64_t np = (size + 4095) / 4096;
	uint64_t step = align > 4096 ? align / 4096 : 1;

	m->allocs++;
	if (m->fail_at != 0 && m->allocs == m->fail_at)
		return -ENOMEM;
	/* base is 64 KiB aligned in every test, so page index alignment
	 * gives address alignment. */
	for (uint64_t p = 0; p + np <= m->npages; p += step) {
		uint64_t i;

		for (i = 0; i < np && !m->used[p + i]; i++)
			;
		if (i < np)
			continue;
		memset(&m->used[p], 1, np);
		m->in_use++;
		m->pages_in_use += np;
		*addr = m->base + p * 4096;
		return 0;
	}
	return -ENOMEM;
}

static void
tm_free(void *ctx, uint64_t addr, size_t size)
{
	struct pt_test_mem *m = ctx;
	uint64_t np = (size + 4095) / 4096;
	uint64_t p = (addr - m->base) / 4096;

	if (addr < m->base || p + np > m->npages)
		abort(); /* freeing something never allocated: a bug */
	for (uint64_t i = 0; i < np; i++) {
		if (!m->used[p + i])
			abort(); /* double free */
		m->used[p + i] = 0;
	}
	/* Poison, so a use after free shows. */
	memset(m->buf + p * 4096, 0x5a, np * 4096);
	m->in_use--;
	m->pages_in_use -= np;
}

static void *
tm_to_ptr(void *ctx, uint64_t addr, size_t size)
{
	struct pt_test_mem *m = ctx;
	void *p = pt_test_mem_ptr(m, addr, size);

	if (p == NULL)
		m->bad_ptr++;
	return p;
}

const struct uiommu_pt_mem_ops pt_test_mem_ops = {
	.alloc = tm_alloc,
	.free = tm_free,
	.to_ptr = tm_to_ptr,
};
