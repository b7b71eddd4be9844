/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Memory for page tables.
 *
 * Two things live here:
 *
 * 1. **struct uiommu_pt_mem_ops**, the interface through which the page-table
 *    code (lib/pgtable) obtains, frees and touches table memory. A table is
 *    named by a 64-bit *table address*: the value a hardware walker would
 *    find in a TTB register or in a table descriptor. For tables the manager
 *    owns that is a host virtual address; for tables written into a guest's
 *    RAM it is a guest-physical address, and to_ptr() turns it into a host
 *    pointer. The same page-table code therefore builds both.
 *
 * 2. **uiommu_tblmem**, a hugepage-backed allocator implementing those ops
 *    for manager-owned tables. Memory comes in chunks: from a DPDK memzone
 *    when EAL is running (socket-aware), else from mmap(MAP_HUGETLB), else
 *    from ordinary anonymous memory. Tables are carved from the chunks and
 *    recycled through per-size free lists; chunks are returned only by
 *    uiommu_tblmem_destroy(). Table address == host virtual address.
 *
 * Thread safety: one uiommu_tblmem may serve several page tables on several
 * threads; alloc/free take an internal spinlock (control path only).
 * to_ptr() is lock-free.
 */
#ifndef UIOMMU_TBLMEM_H
#define UIOMMU_TBLMEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * Where page-table memory comes from and how it is reached.
 *
 * All three callbacks run on the control path of the page-table owner
 * (map/unmap/create/destroy); to_ptr() also runs on lookups
 * (iova_to_phys, walk) and must then be lock-free and must not block.
 */
struct uiommu_pt_mem_ops {
	/**
	 * Allocate table memory.
	 *
	 * @param ctx    the mem_ctx given with these ops
	 * @param size   bytes, a power of two >= 8 (usually 4096; up to 65536
	 *               for a concatenated stage-2 top table)
	 * @param align  required alignment in bytes, a power of two
	 *               (the page-table code asks align == size)
	 * @param[out] addr  table address as the walker sees it (host VA or GPA)
	 * @return 0, or -ENOMEM when no memory is left.
	 *         The content is undefined: the page-table code clears it.
	 */
	int (*alloc)(void *ctx, size_t size, size_t align, uint64_t *addr);
	/**
	 * Free memory obtained from alloc() with the same size.
	 * Never fails. (0 can be a valid table address, e.g. a GPA.)
	 */
	void (*free)(void *ctx, uint64_t addr, size_t size);
	/**
	 * Host pointer to [addr, addr + size), or NULL when that range is not
	 * accessible (outside the memory this context manages).
	 */
	void *(*to_ptr)(void *ctx, uint64_t addr, size_t size);
	/**
	 * UIOMMU_PT_MEM_* hints (0 when unsure). Added after the three
	 * callbacks, so positional initialisers of older code stay valid.
	 */
	uint32_t flags;
};

/**
 * Hint in uiommu_pt_mem_ops.flags: every table address is the host pointer
 * (to_ptr(addr) == (void *)addr), so lookups may skip the to_ptr() call.
 * to_ptr() must still be provided.
 */
#define UIOMMU_PT_MEM_ADDR_IS_PTR (1u << 0)

/** Opaque hugepage-backed table allocator. */
struct uiommu_tblmem;

/** Where a uiommu_tblmem's chunks come from. */
enum uiommu_tblmem_source {
	UIOMMU_TBLMEM_SRC_NONE = 0,    /**< no chunk reserved yet */
	UIOMMU_TBLMEM_SRC_MEMZONE = 1, /**< DPDK memzones (EAL running) */
	UIOMMU_TBLMEM_SRC_HUGETLB = 2, /**< mmap(MAP_HUGETLB) 2 MiB pages */
	UIOMMU_TBLMEM_SRC_ANON = 3,    /**< anonymous 4 KiB pages (fallback) */
};

/** Usage counters of one allocator (a consistent snapshot). */
struct uiommu_tblmem_stats {
	uint64_t tables_in_use;  /**< allocations not yet freed */
	uint64_t bytes_in_use;   /**< sum of their sizes (after rounding) */
	uint64_t bytes_reserved; /**< sum of chunk sizes */
	uint64_t bytes_free;     /**< bytes on free lists */
	uint32_t chunks;         /**< chunks reserved */
	bool hugepage;           /**< every chunk is backed by hugepages */
	enum uiommu_tblmem_source source; /**< source of the last chunk */
};

/** Smallest block handed out; smaller requests are rounded up. */
#define UIOMMU_TBLMEM_MIN_SIZE 4096u
/** Largest single allocation (a 16-table concatenated stage-2 top). */
#define UIOMMU_TBLMEM_MAX_SIZE 65536u
/** Default chunk size (one 2 MiB hugepage). */
#define UIOMMU_TBLMEM_CHUNK_DEFAULT (2u << 20)

/**
 * Create a table allocator. No memory is reserved until the first alloc.
 *
 * @param name        short name, used for memzone names (copied; at most
 *                    15 characters are kept)
 * @param socket      NUMA socket for memzones/hugetlb pages, or -1 for any
 * @param chunk_size  bytes reserved at a time; 0 means
 *                    UIOMMU_TBLMEM_CHUNK_DEFAULT; rounded up to 2 MiB;
 *                    must be at most 1 GiB
 * @param[out] out    the allocator
 * @return 0; -EINVAL if name or out is NULL or chunk_size exceeds 1 GiB;
 *         -ENOMEM if the object cannot be allocated.
 */
int uiommu_tblmem_create(const char *name, int socket, size_t chunk_size,
			 struct uiommu_tblmem **out);

/**
 * Destroy an allocator and release all its chunks. Tables still in use
 * become invalid (a leak is logged). NULL is accepted.
 */
void uiommu_tblmem_destroy(struct uiommu_tblmem *tm);

/**
 * The memory ops of this allocator; pass the allocator itself as ctx.
 * alloc() rounds size up to a power of two of at least
 * UIOMMU_TBLMEM_MIN_SIZE and aligns the block to that rounded size; it
 * returns -ENOMEM when no chunk can be reserved, the block would exceed
 * UIOMMU_TBLMEM_MAX_SIZE, or align exceeds the rounded size. free() must
 * be given the size given to alloc().
 */
extern const struct uiommu_pt_mem_ops uiommu_tblmem_ops;

/**
 * Read the usage counters.
 *
 * @param tm   allocator
 * @param[out] st  counters
 */
void uiommu_tblmem_stats_get(struct uiommu_tblmem *tm,
			     struct uiommu_tblmem_stats *st);

/**
 * True when [addr, addr + size) lies inside one of the allocator's chunks.
 * For debugging and tests; takes the lock.
 */
bool uiommu_tblmem_contains(struct uiommu_tblmem *tm, uint64_t addr,
			    size_t size);

#ifdef __cplusplus
}
#endif

#endif /* UIOMMU_TBLMEM_H */
