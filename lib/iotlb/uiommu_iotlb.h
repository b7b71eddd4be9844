/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Software IOTLB: a tagged cache of final (IOVA -> host address)
 * translations for an emulated IOMMU.
 *
 * **What an entry holds.** One leaf of a completed translation: the host
 * address of the leaf's first byte, the permissions granted by every stage
 * combined, and the leaf size (4 KiB, 2 MiB or 1 GiB). Entries are tagged by
 * VMID, ASID (or "no ASID" for stage-2-only translations), leaf size and
 * the leaf's first IOVA. As in hardware, an entry stays until it is
 * invalidated or evicted: a change of the tables it was built from is not
 * seen until the owner of the tables invalidates.
 *
 * **Organisation.** Sets of 3 ways, each set one 64-byte cache line (a
 * 16-byte header with the set's sequence counter, then three 16-byte
 * entries). The set of a translation is a Fibonacci hash of (VMID, ASID,
 * leaf size, IOVA / leaf size). A lookup probes one set per leaf size in
 * use (4 KiB first): a hit on the first probed size touches exactly one
 * cache line of the IOTLB. Eviction is round-robin within a set.
 *
 * **Concurrency.** Lookups and inserts may run on any number of threads;
 * invalidations may run on other threads at the same time. The rule is the
 * hardware one: once an invalidation has *completed* (uiommu_iotlb_sync()
 * returned after it), no access that starts afterwards uses an entry it
 * removed. Threads that translate are RCU readers of the IOTLB
 * (DPDK rte_rcu QSBR): they bracket their accesses with
 * uiommu_iotlb_reader_online() / uiommu_iotlb_reader_offline() and report
 * uiommu_iotlb_reader_quiescent() between accesses. Invalidation marks
 * entries invalid under the set's sequence lock; uiommu_iotlb_sync() then
 * waits for every reader to pass a quiescent state, so no access that read
 * an old entry is still running. A walk racing with an invalidation cannot
 * re-insert a stale entry: inserts carry the invalidation generation read
 * before the walk and undo themselves when it changed (see iotlb.c).
 */
#ifndef UIOMMU_IOTLB_H
#define UIOMMU_IOTLB_H

#include <stdbool.h>
#include <stdint.h>

#include "uiommu_common.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Permissions an entry grants. */
#define UIOMMU_IOTLB_PERM_READ  (1u << 0)
#define UIOMMU_IOTLB_PERM_WRITE (1u << 1)

/** ASID value meaning "no ASID" (a stage-2-only translation). */
#define UIOMMU_IOTLB_NO_ASID (-1)

/** Addresses the IOTLB can tag: IOVAs and host addresses below 2^48. */
#define UIOMMU_IOTLB_ADDR_BITS 48

/** Opaque IOTLB. */
struct uiommu_iotlb;

/** A translation to cache. */
struct uiommu_iotlb_fill {
	uint16_t vmid;   /**< VMID tag */
	int32_t asid;    /**< ASID tag 0..65535, or UIOMMU_IOTLB_NO_ASID */
	uint64_t iova;   /**< any input address inside the leaf */
	uint64_t hva;    /**< host address of @c iova */
	uint64_t size;   /**< leaf size: 4 KiB, 2 MiB or 1 GiB */
	uint32_t perm;   /**< UIOMMU_IOTLB_PERM_*, non-zero */
};

/** A lookup hit. */
struct uiommu_iotlb_hit {
	uint64_t hva;       /**< host address of the looked-up IOVA */
	uint64_t leaf_iova; /**< first IOVA of the leaf */
	uint64_t size;      /**< leaf size */
	uint32_t perm;      /**< UIOMMU_IOTLB_PERM_* */
};

/** Counters (relaxed, approximate while readers run). */
struct uiommu_iotlb_stats {
	uint64_t inserts;       /**< entries written */
	uint64_t evictions;     /**< valid entries overwritten by an insert */
	uint64_t insert_busy;   /**< inserts skipped: the set was being written */
	uint64_t insert_raced;  /**< inserts undone: an invalidation ran meanwhile */
	uint64_t invalidated;   /**< entries removed by invalidations */
	uint64_t full_scans;    /**< invalidations that scanned every set */
	uint64_t syncs;         /**< grace periods waited for */
};

/**
 * Create an IOTLB.
 *
 * @param entries  minimum number of translations it can hold, a power of
 *                 two (0: UIOMMU_IOTLB_ENTRIES_DEFAULT); the capacity is
 *                 3 x the next power of two >= entries / 3 sets
 * @param[out] out the IOTLB
 * @return 0; -EINVAL when out is NULL or entries is not a power of two or
 *         above 2^24; -ENOMEM when memory is missing.
 */
int uiommu_iotlb_create(unsigned int entries, struct uiommu_iotlb **out);

/**
 * Destroy an IOTLB. No reader may be online. NULL is accepted.
 *
 * @param tlb  IOTLB or NULL
 */
void uiommu_iotlb_destroy(struct uiommu_iotlb *tlb);

/**
 * Number of translations the IOTLB holds at most.
 *
 * @param tlb  IOTLB
 * @return 3 x the number of sets (>= the entries asked at creation).
 */
unsigned int uiommu_iotlb_capacity(const struct uiommu_iotlb *tlb);

/**
 * Become an RCU reader: take a reader slot and go online. Call before
 * translating; stay online while using the host addresses obtained.
 *
 * @param tlb  IOTLB
 * @param[out] id  reader slot, for quiescent/offline
 * @return 0; -EBUSY when all UIOMMU_IOTLB_MAX_READERS slots are taken.
 */
int uiommu_iotlb_reader_online(struct uiommu_iotlb *tlb, unsigned int *id);

/**
 * Report a quiescent state: the reader no longer uses anything it
 * translated before this call. Cheap (one store); call between accesses.
 *
 * @param tlb  IOTLB
 * @param id   slot from uiommu_iotlb_reader_online()
 */
void uiommu_iotlb_reader_quiescent(struct uiommu_iotlb *tlb, unsigned int id);

/**
 * Go offline and release the reader slot. The reader must not use host
 * addresses it translated any more.
 *
 * @param tlb  IOTLB
 * @param id   slot from uiommu_iotlb_reader_online()
 */
void uiommu_iotlb_reader_offline(struct uiommu_iotlb *tlb, unsigned int id);

/**
 * Look up the translation of one IOVA.
 *
 * @param tlb   IOTLB
 * @param vmid  VMID tag
 * @param asid  ASID tag, or UIOMMU_IOTLB_NO_ASID
 * @param iova  input address
 * @param[out] hit  the translation on a hit
 * @return true on a hit.
 */
bool uiommu_iotlb_lookup(struct uiommu_iotlb *tlb, uint16_t vmid,
			 int32_t asid, uint64_t iova,
			 struct uiommu_iotlb_hit *hit);

/**
 * Invalidation generation: read it before walking the tables for a miss
 * and pass it to uiommu_iotlb_insert().
 *
 * @param tlb  IOTLB
 * @return the number of invalidations started so far (acquire load).
 */
uint64_t uiommu_iotlb_gen(const struct uiommu_iotlb *tlb);

/**
 * Cache a translation obtained by a walk that started after @p gen was
 * read. If an invalidation started since, the entry is not kept (the walk
 * may have read tables that changed).
 *
 * @param tlb   IOTLB
 * @param fill  the translation
 * @param gen   uiommu_iotlb_gen() read before the walk
 * @return 0 when cached; -EINVAL when the translation cannot be tagged
 *         (size, alignment, addresses at or above 2^48, ASID, perm);
 *         -EBUSY when another thread was writing the set (not cached);
 *         -EAGAIN when an invalidation ran meanwhile (not kept).
 */
int uiommu_iotlb_insert(struct uiommu_iotlb *tlb,
			const struct uiommu_iotlb_fill *fill, uint64_t gen);

/** uiommu_iotlb_inv_va() flag: match every ASID (TLBI_NH_VAA). */
#define UIOMMU_IOTLB_INV_ANY_ASID (1u << 0)
/** uiommu_iotlb_inv_va() flag: leaf-only hint (no walk cache here: no effect). */
#define UIOMMU_IOTLB_INV_LEAF     (1u << 1)

/**
 * Remove the ASID-tagged entries of a VMID whose leaf overlaps
 * [first, last]. Takes effect for new lookups at once; call
 * uiommu_iotlb_sync() to complete it.
 *
 * @param tlb    IOTLB
 * @param vmid   VMID
 * @param asid   ASID (ignored with UIOMMU_IOTLB_INV_ANY_ASID)
 * @param first  first IOVA
 * @param last   last IOVA (inclusive, >= first)
 * @param flags  UIOMMU_IOTLB_INV_*
 * @return number of entries removed.
 */
unsigned int uiommu_iotlb_inv_va(struct uiommu_iotlb *tlb, uint16_t vmid,
				 uint16_t asid, uint64_t first, uint64_t last,
				 uint32_t flags);

/**
 * Remove the entries of one ASID of a VMID (TLBI_NH_ASID). Complete it with
 * uiommu_iotlb_sync().
 *
 * @param tlb   IOTLB
 * @param vmid  VMID
 * @param asid  ASID
 * @return number of entries removed.
 */
unsigned int uiommu_iotlb_inv_asid(struct uiommu_iotlb *tlb, uint16_t vmid,
				   uint16_t asid);

/**
 * Remove every entry of a VMID, with or without ASID (TLBI_NH_ALL, stage-2
 * changes). Complete it with uiommu_iotlb_sync().
 *
 * @param tlb   IOTLB
 * @param vmid  VMID
 * @return number of entries removed.
 */
unsigned int uiommu_iotlb_inv_vmid(struct uiommu_iotlb *tlb, uint16_t vmid);

/**
 * Remove every entry. Complete it with uiommu_iotlb_sync().
 *
 * @param tlb  IOTLB
 * @return number of entries removed.
 */
unsigned int uiommu_iotlb_inv_all(struct uiommu_iotlb *tlb);

/**
 * Complete the invalidations issued so far: wait until every online reader
 * has reported a quiescent state or gone offline. With no reader slot
 * taken it returns after one full fence and one load (no grace period to
 * wait for). Must not be called by a thread that is itself an online
 * reader of this IOTLB.
 *
 * @param tlb  IOTLB
 */
void uiommu_iotlb_sync(struct uiommu_iotlb *tlb);

/**
 * Read the counters.
 *
 * @param tlb  IOTLB
 * @param[out] st  counters
 */
void uiommu_iotlb_stats_get(const struct uiommu_iotlb *tlb,
			    struct uiommu_iotlb_stats *st);

#ifdef __cplusplus
}
#endif

#endif /* UIOMMU_IOTLB_H */
