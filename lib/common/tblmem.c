/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Hugepage-backed memory for manager-owned page tables.
 *
 * Design: memory is reserved in chunks (2 MiB by default, one hugepage) and
 * never returned before destroy, so a table address stays valid for the
 * allocator's lifetime and lookups need no lock. A chunk comes from, in
 * order of preference:
 *   1. a DPDK memzone, when EAL is running (rte_lcore_count() > 0):
 *      socket-aware, hugepage-backed unless EAL runs with --no-huge;
 *   2. mmap(MAP_HUGETLB) of 2 MiB pages, bound to the socket with libnuma;
 *   3. anonymous 4 KiB pages (so everything works on a laptop).
 * Blocks are powers of two from 4 KiB to 64 KiB, aligned to their size.
 * Each size has a LIFO free list threaded through the free blocks
 * themselves; a new block is carved from the current chunk at the next
 * aligned offset, and the alignment gap is cut into blocks and put on the
 * free lists, so nothing is lost to padding. Table address == host VA.
 *
 * Locking: one spinlock guards the chunk list, the free lists and the
 * counters (alloc/free/stats run on control paths); to_ptr() is an
 * identity and takes no lock.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <numa.h>
#include <rte_common.h>
#include <rte_lcore.h>
#include <rte_memzone.h>
#include <rte_spinlock.h>

#include "uiommu_common.h"
#include "uiommu_fail.h"
#include "uiommu_log.h"
#include "uiommu_tblmem.h"

#define TM_MIN_ORDER 12u                 /* 4 KiB */
#define TM_MAX_ORDER 16u                 /* 64 KiB */
#define TM_NORDERS (TM_MAX_ORDER - TM_MIN_ORDER + 1)
#define TM_HUGE_SIZE (2u << 20)
#define TM_MAX_CHUNK (1ULL << 30)

extern int uiommu_logtype_common;

struct tm_chunk {
	struct tm_chunk *next;
	uint8_t *base;
	size_t size;
	size_t used;                     /* carve offset */
	enum uiommu_tblmem_source src;
	const struct rte_memzone *mz;    /* SRC_MEMZONE only */
	bool hugepage;
};

/* A free block stores the link to the next free block of its size. */
struct tm_free {
	struct tm_free *next;
};

struct uiommu_tblmem {
	char name[16];
	int socket;
	size_t chunk_size;
	rte_spinlock_t lock;             /* guards everything below */
	struct tm_chunk *chunks;         /* newest (the one carved) first */
	struct tm_free *free_list[TM_NORDERS];
	uint64_t tables_in_use;
	uint64_t bytes_in_use;
	uint64_t bytes_reserved;
	uint64_t bytes_free;
	uint32_t nchunks;
	bool all_huge;
	enum uiommu_tblmem_source last_src;
};

/* Process-wide counter making memzone names unique. */
static uint32_t tm_mz_seq;

int
uiommu_tblmem_create(const char *name, int socket, size_t chunk_size,
		     struct uiommu_tblmem **out)
{
	struct uiommu_tblmem *tm;

	if (name == NULL || out == NULL || chunk_size > TM_MAX_CHUNK)
		return -EINVAL;
	if (chunk_size == 0)
		chunk_size = UIOMMU_TBLMEM_CHUNK_DEFAULT;
	chunk_size = RTE_ALIGN_CEIL(chunk_size, (size_t)TM_HUGE_SIZE);

	if (uiommu_should_fail())
		return -ENOMEM;
	tm = calloc(1, sizeof(*tm));
	if (tm == NULL)
		return -ENOMEM;
	snprintf(tm->name, sizeof(tm->name), "%s", name);
	tm->socket = socket;
	tm->chunk_size = chunk_size;
	tm->all_huge = true;
	rte_spinlock_init(&tm->lock);
	*out = tm;
	return 0;
}

static void
chunk_release(struct tm_chunk *c)
{
	if (c->src == UIOMMU_TBLMEM_SRC_MEMZONE)
		rte_memzone_free(c->mz);
	else
		munmap(c->base, c->size);
	free(c);
}

void
uiommu_tblmem_destroy(struct uiommu_tblmem *tm)
{
	struct tm_chunk *c, *next;

	if (tm == NULL)
		return;
	if (tm->tables_in_use != 0)
		UIOMMU_LOG(WARNING, uiommu_logtype_common,
			   "%s: %" PRIu64 " tables still in use", tm->name,
			   tm->tables_in_use);
	for (c = tm->chunks; c != NULL; c = next) {
		next = c->next;
		chunk_release(c);
	}
	free(tm);
}

/* Reserve chunk memory from the best source available. Lock held. */
static int
chunk_reserve(struct uiommu_tblmem *tm, struct tm_chunk *c)
{
	size_t size = tm->chunk_size;
	void *p;

	if (rte_lcore_count() > 0) {
		char mzname[RTE_MEMZONE_NAMESIZE];
		uint32_t seq = __atomic_fetch_add(&tm_mz_seq, 1,
						  __ATOMIC_RELAXED);
		const struct rte_memzone *mz;

		snprintf(mzname, sizeof(mzname), "uiommu_tbl_%.8s_%u",
			 tm->name, seq);
		mz = rte_memzone_reserve_aligned(mzname, size,
				tm->socket < 0 ? SOCKET_ID_ANY : tm->socket,
				RTE_MEMZONE_2MB | RTE_MEMZONE_SIZE_HINT_ONLY,
				TM_HUGE_SIZE);
		if (mz == NULL && tm->socket >= 0)
			mz = rte_memzone_reserve_aligned(mzname, size,
					SOCKET_ID_ANY,
					RTE_MEMZONE_SIZE_HINT_ONLY,
					TM_HUGE_SIZE);
		if (mz != NULL) {
			c->base = mz->addr;
			c->size = size;
			c->mz = mz;
			c->src = UIOMMU_TBLMEM_SRC_MEMZONE;
			c->hugepage = mz->hugepage_sz >= TM_HUGE_SIZE;
			return 0;
		}
	}

	p = mmap(NULL, size, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB, -1, 0);
	if (p != MAP_FAILED) {
		c->src = UIOMMU_TBLMEM_SRC_HUGETLB;
		c->hugepage = true;
	} else {
		p = mmap(NULL, size, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			return -ENOMEM;
		c->src = UIOMMU_TBLMEM_SRC_ANON;
		c->hugepage = false;
	}
	/* Before first touch: place the pages on the asked socket. */
	if (tm->socket >= 0 && numa_available() >= 0 &&
	    tm->socket <= numa_max_node())
		numa_tonode_memory(p, size, tm->socket);
	c->base = p;
	c->size = size;
	return 0;
}

static void
free_push(struct uiommu_tblmem *tm, void *blk, unsigned int order)
{
	struct tm_free *f = blk;

	f->next = tm->free_list[order - TM_MIN_ORDER];
	tm->free_list[order - TM_MIN_ORDER] = f;
	tm->bytes_free += 1ULL << order;
}

/* Cut [from, to) of a chunk (offsets, 4 KiB multiples) into free blocks
 * aligned, by address, to their size. */
static void
free_gap(struct uiommu_tblmem *tm, struct tm_chunk *c, size_t from, size_t to)
{
	while (from < to) {
		uintptr_t a = (uintptr_t)(c->base + from);
		unsigned int order = TM_MAX_ORDER;

		while ((a & ((1ULL << order) - 1)) != 0 ||
		       (1ULL << order) > to - from)
			order--;
		free_push(tm, c->base + from, order);
		from += 1ULL << order;
	}
}

/* Carve a block of 2^order bytes from the newest chunk, or NULL. */
static void *
chunk_carve(struct uiommu_tblmem *tm, unsigned int order)
{
	struct tm_chunk *c = tm->chunks;
	size_t blk = (size_t)1 << order, off;
	uintptr_t base;

	if (c == NULL)
		return NULL;
	/* Align the address, not the offset: anonymous chunks are only
	 * 4 KiB aligned. */
	base = (uintptr_t)c->base;
	off = RTE_ALIGN_CEIL(base + c->used, blk) - base;
	if (off > c->size || blk > c->size - off)
		return NULL;
	free_gap(tm, c, c->used, off);
	c->used = off + blk;
	return c->base + off;
}

static int
chunk_add(struct uiommu_tblmem *tm)
{
	struct tm_chunk *c, *old = tm->chunks;
	int rc;

	if (uiommu_should_fail())
		return -ENOMEM;
	c = calloc(1, sizeof(*c));
	if (c == NULL)
		return -ENOMEM;
	rc = chunk_reserve(tm, c);
	if (rc != 0) {
		free(c);
		return rc;
	}
	/* The old chunk's tail is no longer carved: recycle it. */
	if (old != NULL) {
		free_gap(tm, old, old->used, old->size);
		old->used = old->size;
	}
	c->next = old;
	tm->chunks = c;
	tm->nchunks++;
	tm->bytes_reserved += c->size;
	tm->all_huge = tm->all_huge && c->hugepage;
	tm->last_src = c->src;
	return 0;
}

static unsigned int
size_order(size_t size)
{
	unsigned int order = TM_MIN_ORDER;

	while (order <= TM_MAX_ORDER && ((size_t)1 << order) < size)
		order++;
	return order;
}

static int
tm_alloc(void *ctx, size_t size, size_t align, uint64_t *addr)
{
	struct uiommu_tblmem *tm = ctx;
	unsigned int order;
	void *blk;

	if (tm == NULL || addr == NULL || size == 0)
		return -ENOMEM;
	/* Blocks are aligned to their size, which must cover align. */
	order = size_order(size);
	if (order > TM_MAX_ORDER || align > (1ULL << order))
		return -ENOMEM;

	rte_spinlock_lock(&tm->lock);
	blk = tm->free_list[order - TM_MIN_ORDER];
	if (blk != NULL) {
		tm->free_list[order - TM_MIN_ORDER] =
			((struct tm_free *)blk)->next;
		tm->bytes_free -= 1ULL << order;
	} else {
		blk = chunk_carve(tm, order);
		if (blk == NULL && chunk_add(tm) == 0)
			blk = chunk_carve(tm, order);
	}
	if (blk != NULL) {
		tm->tables_in_use++;
		tm->bytes_in_use += 1ULL << order;
	}
	rte_spinlock_unlock(&tm->lock);
	if (blk == NULL)
		return -ENOMEM;
	*addr = (uint64_t)(uintptr_t)blk;
	return 0;
}

static void
tm_free(void *ctx, uint64_t addr, size_t size)
{
	struct uiommu_tblmem *tm = ctx;
	unsigned int order = size_order(size);

	if (tm == NULL || addr == 0 || order > TM_MAX_ORDER)
		return;
	rte_spinlock_lock(&tm->lock);
	free_push(tm, (void *)(uintptr_t)addr, order);
	tm->tables_in_use--;
	tm->bytes_in_use -= 1ULL << order;
	rte_spinlock_unlock(&tm->lock);
}

static void *
tm_to_ptr(void *ctx, uint64_t addr, size_t size)
{
	RTE_SET_USED(ctx);
	RTE_SET_USED(size);
	return (void *)(uintptr_t)addr;
}

const struct uiommu_pt_mem_ops uiommu_tblmem_ops = {
	.alloc = tm_alloc,
	.free = tm_free,
	.to_ptr = tm_to_ptr,
	.flags = UIOMMU_PT_MEM_ADDR_IS_PTR,
};

void
uiommu_tblmem_stats_get(struct uiommu_tblmem *tm, struct uiommu_tblmem_stats *st)
{
	if (st == NULL)
		return;
	memset(st, 0, sizeof(*st));
	if (tm == NULL)
		return;
	rte_spinlock_lock(&tm->lock);
	st->tables_in_use = tm->tables_in_use;
	st->bytes_in_use = tm->bytes_in_use;
	st->bytes_reserved = tm->bytes_reserved;
	st->bytes_free = tm->bytes_free;
	st->chunks = tm->nchunks;
	st->hugepage = tm->nchunks > 0 && tm->all_huge;
	st->source = tm->last_src;
	rte_spinlock_unlock(&tm->lock);
}

bool
uiommu_tblmem_contains(struct uiommu_tblmem *tm, uint64_t addr, size_t size)
{
	bool found = false;

	if (tm == NULL || size == 0)
		return false;
	rte_spinlock_lock(&tm->lock);
	for (struct tm_chunk *c = tm->chunks; c != NULL && !found; c = c->next) {
		uint64_t b = (uint64_t)(uintptr_t)c->base;

		found = addr >= b && addr - b < c->size && size <= c->size - (addr - b);
	}
	rte_spinlock_unlock(&tm->lock);
	return found;
}
