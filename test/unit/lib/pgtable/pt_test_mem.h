/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Test fixture: a fake "guest RAM" for page-table tests. A malloc'd buffer
 * is addressed by guest-physical addresses starting at `base` (so a table
 * address is never the host pointer), with a page-granular first-fit
 * allocator implementing struct uiommu_pt_mem_ops, counters, and a
 * fault-injection knob (fail the Nth allocation).
 */
#ifndef PT_TEST_MEM_H
#define PT_TEST_MEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "uiommu_pgtable.h"

struct pt_test_mem {
	uint8_t *buf;          /* host memory, page aligned */
	uint64_t base;         /* GPA of buf[0] */
	uint64_t size;         /* bytes */
	uint8_t *used;         /* one byte per page */
	uint64_t npages;
	uint64_t in_use;       /* allocations outstanding */
	uint64_t pages_in_use;
	uint64_t allocs;       /* allocations attempted */
	uint64_t fail_at;      /* fail the allocation with this number (1-based), 0 = never */
	uint64_t bad_ptr;      /* to_ptr calls outside the buffer */
};

extern const struct uiommu_pt_mem_ops pt_test_mem_ops;

/* Create a fake RAM of `size` bytes at GPA `base` (both page aligned). */
int pt_test_mem_init(struct pt_test_mem *m, uint64_t base, uint64_t size);
void pt_test_mem_fini(struct pt_test_mem *m);
/* Host pointer of a GPA range or NULL. */
void *pt_test_mem_ptr(struct pt_test_mem *m, uint64_t gpa, uint64_t len);

#endif /* PT_TEST_MEM_H */
