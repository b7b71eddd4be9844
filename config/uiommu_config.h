/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Build-time limits of uiommu.
 *
 * Every bound that protects the manager from a hostile guest or client is
 * here, in one place, so that a reviewer can see the worst case at a glance.
 * Runtime options may lower these values, never raise them.
 */
#ifndef UIOMMU_CONFIG_H
#define UIOMMU_CONFIG_H

/** VMs (client connections that registered memory) one manager serves. */
#define UIOMMU_MAX_VMS 64
/** Guest RAM regions per VM (MEM_ADD). */
#define UIOMMU_MAX_MEM_REGIONS 16
/** vIOMMUs per VM. */
#define UIOMMU_MAX_VIOMMUS_PER_VM 4
/** vDEVICEs per vIOMMU. */
#define UIOMMU_MAX_VDEVICES 64
/** vCMDQs per vIOMMU (a CMDQV VINTF hosts up to 128). */
#define UIOMMU_MAX_VCMDQS 128
/** Smallest and largest vCMDQ, as log2 of 16-byte entries. */
#define UIOMMU_VCMDQ_MIN_LOG2 1
#define UIOMMU_VCMDQ_MAX_LOG2 19
/** Largest guest stream table, as log2 of 64-byte STEs (SIDSIZE). */
#define UIOMMU_MAX_STRTAB_LOG2 16
/**
 * Largest linear CD table a guest STE may describe, as log2 of 64-byte CDs
 * (STE.S1CDMax); 10 = 1024 CDs = 64 KiB, as Linux's linear CD tables.
 */
#define UIOMMU_MAX_S1CDMAX 10
/** Commands one queue may consume in one poll pass before the lcore moves on. */
#define UIOMMU_POLL_BUDGET_DEFAULT 64
/**
 * Commands all the queues of one VM on one polling lcore may consume
 * together in one pass (the poll engine's fairness rule between VMs; see
 * doc/architecture.md, poll engine).
 */
#define UIOMMU_POLL_VM_BUDGET_DEFAULT 8
/** Commands the dispatcher gathers into one backend call at most. */
#define UIOMMU_BATCH_MAX 256
/** Polling lcores one manager may use. */
#define UIOMMU_MAX_POLL_LCORES 64
/** Soft IOTLB entries (power of two). */
#define UIOMMU_IOTLB_ENTRIES_DEFAULT 4096
/**
 * Threads that may translate through one soft IOTLB at the same time (RCU
 * reader slots; a translation waits for a free slot beyond this).
 */
#define UIOMMU_IOTLB_MAX_READERS 64
/** Soft event-ring records (power of two). */
#define UIOMMU_EVTQ_ENTRIES_DEFAULT 512
/** Events the core raises itself (C_BAD_STE on CFGI) kept per vIOMMU (power of two). */
#define UIOMMU_CORE_EVTQ_ENTRIES 64
/** Largest control-protocol message payload, in bytes. */
#define UIOMMU_PROTO_MAX_PAYLOAD 65536
/** File descriptors carried by one control message. */
#define UIOMMU_PROTO_MAX_FDS 8
/** Soft DMA engines one manager emulates. */
#define UIOMMU_MAX_SOFT_DEVICES 256
/** Descriptors one soft DMA engine executes per doorbell pass. */
#define UIOMMU_SOFT_DMA_BUDGET 32

/* IOAS (lib/iova). */
/** Page size of IOAS rules: largest IOAS alignment, allocation window
 *  [PAGE, UINT64_MAX - PAGE], backing in-page offset kept by allocation. */
#define UIOMMU_IOAS_PAGE_SIZE 4096ULL
/** Default cap on the alignment given to allocated IOVAs (a 2 MiB hugepage). */
#define UIOMMU_IOAS_ALLOC_ALIGN_MAX (2ULL << 20)
/** Areas one IOAS holds at most (about 110 bytes each with malloc's). */
#define UIOMMU_IOAS_MAX_AREAS (1ULL << 22)
/** Allowed ranges one IOAS holds at most. */
#define UIOMMU_IOAS_MAX_ALLOWED 4096
/** Reserved ranges one IOAS holds at most. */
#define UIOMMU_IOAS_MAX_RESERVED 4096
/** Holes an IOVA allocation may try and reject for alignment before it only
 *  takes holes that fit at any offset (bounds allocation to O(log n)). */
#define UIOMMU_IOAS_ALLOC_MISS_MAX 64

/* VFIO backend (drivers/iommu/vfio). */
/**
 * Stage-1 walker calls one shadow refresh may make (one invalidation of one
 * device, or one CFGI/set_ste): each call resolves one leaf or skips one
 * unmapped table entry. Beyond it the refresh fails visibly (-E2BIG, event,
 * counter). The backend argument walk_max may lower it.
 */
#define UIOMMU_VFIO_WALK_MAX (1u << 20)
/** VFIO type1 dma_entry_limit assumed when the kernel does not tell (its default). */
#define UIOMMU_VFIO_DMA_ENTRY_LIMIT_DEFAULT 65535u
/** Usable IOVA ranges kept per container (VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE). */
#define UIOMMU_VFIO_MAX_IOVA_RANGES 32u

/* Shadow engine (lib/shadow), used by backends that cannot nest. */
/**
 * Stage-1 walker calls one uiommu_shadow_refresh() may make (each resolves
 * one leaf or skips one empty table entry); beyond it the refresh stops
 * with -E2BIG and maps nothing past the IOVA it reached.
 */
#define UIOMMU_SHADOW_WALK_MAX (1u << 20)

/* Page-table dumps (PT_DUMP request, uiommu-ctl dump). */
/**
 * Guest descriptors one PT_DUMP request may read (each stage-1 descriptor
 * read through guest memory counts one; a walk reads at most 4). Beyond it
 * the reply stops early and says where to go on.
 */
#define UIOMMU_PT_DUMP_MAX_READS 4096u

#endif /* UIOMMU_CONFIG_H */
