/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Soft DMA engine: the guest-visible contract of the soft backend's copy
 * engine (vDEVICE spec "dmaN").
 *
 * **Register page.** One 4 KiB page (struct uiommu_soft_dma_regs), shared
 * between the manager and the VMM/guest. Every field is a little-endian
 * naturally aligned 32- or 64-bit word accessed single-copy atomically. The
 * guest writes ctrl, ring_base, ring_log2, ssid and prod; the engine writes
 * everything marked RO. cons may be set by the guest only while the engine
 * is disabled (it is latched on enable).
 *
 * **Life cycle.**
 *  1. With ctrl.ENABLE clear, the guest sets ring_base (IOVA of the ring,
 *     64-byte aligned), ring_log2 (ring of 2^ring_log2 descriptors),
 *     ssid (SSV in bit 31, substream ID in bits [19:0]) and cons = prod.
 *  2. The guest sets ctrl.ENABLE. At its next poll the engine latches
 *     ring_base, ring_log2, ssid and cons, checks them, and sets
 *     status.ENABLED (or status.HALTED with error = ERR_RING_CFG).
 *  3. To submit, the guest fills descriptors at indices cons..prod-1 (mod
 *     ring size) with status = 0, then writes prod (release ordering: the
 *     descriptors first). Indices are free-running 32-bit counters.
 *  4. The engine executes descriptors in order, writes back each one's
 *     status, done and fault_iova, and then advances cons (release: a guest
 *     that sees cons past a descriptor sees its status).
 *  5. Clearing ctrl.ENABLE stops the engine at its next poll (status and
 *     error are cleared); setting it again restarts from step 2.
 *
 * **Halts.** The engine stops processing (status.HALTED, cons left at the
 * descriptor concerned, error and error_iova set) when:
 *  - ERR_RING_CFG: ring_log2 > UIOMMU_SOFT_DMA_RING_MAX_LOG2, ring_base not
 *    64-byte aligned or the ring wraps past 2^64, reserved ssid bits set;
 *  - ERR_PROD: prod - cons (mod 2^32) exceeds the ring size;
 *  - ERR_FETCH: reading the descriptor at IOVA error_iova faulted;
 *  - ERR_WRITEBACK: the descriptor's slot is not writable (checked before
 *    the descriptor is executed, so nothing was copied).
 * Faults are also recorded as SMMUv3 events on the vIOMMU's event queue.
 * The guest recovers by clearing and setting ctrl.ENABLE.
 *
 * **Descriptors** (struct uiommu_soft_dma_desc, 64 bytes) live in guest
 * memory and are read and written THROUGH the IOMMU, with the engine's
 * stream (and substream) identity, like any DMA of the device.
 *
 * **Copy semantics and the partial-write rule.** A descriptor copies len
 * bytes from IOVA src to IOVA dst, in order of increasing address, in
 * chunks: each chunk starts at src + done / dst + done and ends at the end
 * of the current translation (page or block) of src or dst, whichever
 * comes first. Before a chunk is copied both its source (read) and
 * destination (write) are translated; if either faults the descriptor ends
 * with status SRC_FAULT or DST_FAULT, fault_iova = the IOVA that faulted
 * (src + done or dst + done), and done = bytes copied: exactly the bytes
 * [0, done) of the destination were written, nothing at or after dst +
 * done. Overlapping src and dst ranges are copied chunk by chunk (each
 * chunk as by memmove). Status OK means done == len.
 *
 * **Bounds.** len must be 1..UIOMMU_SOFT_DMA_MAX_LEN, flags must be 0, and
 * neither range may wrap past 2^64, else status BAD_DESC with done = 0.
 * At most UIOMMU_SOFT_DMA_BUDGET descriptors run per engine per poll.
 */
#ifndef UIOMMU_SOFT_DMA_H
#define UIOMMU_SOFT_DMA_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** regs.magic: "UDMA" in little-endian byte order. */
#define UIOMMU_SOFT_DMA_MAGIC 0x414d4455u
/** regs.version of this layout. */
#define UIOMMU_SOFT_DMA_VERSION 1u
/** Largest ring: 2^16 descriptors (4 MiB). */
#define UIOMMU_SOFT_DMA_RING_MAX_LOG2 16u
/** Largest descriptor length in bytes (1 MiB). */
#define UIOMMU_SOFT_DMA_MAX_LEN (1u << 20)

/** regs.ctrl bits (guest). */
#define UIOMMU_SOFT_DMA_CTRL_ENABLE (1u << 0)
/** regs.status bits (engine). */
#define UIOMMU_SOFT_DMA_STATUS_ENABLED (1u << 0)
#define UIOMMU_SOFT_DMA_STATUS_HALTED  (1u << 1)
/** regs.ssid: substream valid flag and SSID field. */
#define UIOMMU_SOFT_DMA_SSID_SSV  (1u << 31)
#define UIOMMU_SOFT_DMA_SSID_MASK 0x000fffffu

/** regs.error: why the engine halted. */
enum uiommu_soft_dma_error {
	UIOMMU_SOFT_DMA_ERR_NONE = 0,
	UIOMMU_SOFT_DMA_ERR_RING_CFG = 1,  /**< bad ring_base/ring_log2/ssid */
	UIOMMU_SOFT_DMA_ERR_PROD = 2,      /**< prod beyond the ring */
	UIOMMU_SOFT_DMA_ERR_FETCH = 3,     /**< descriptor read faulted */
	UIOMMU_SOFT_DMA_ERR_WRITEBACK = 4, /**< descriptor slot not writable */
};

/** The register page. */
struct uiommu_soft_dma_regs {
	uint32_t magic;       /**< 0x00 RO UIOMMU_SOFT_DMA_MAGIC */
	uint32_t version;     /**< 0x04 RO UIOMMU_SOFT_DMA_VERSION */
	uint32_t ctrl;        /**< 0x08 RW UIOMMU_SOFT_DMA_CTRL_* */
	uint32_t status;      /**< 0x0c RO UIOMMU_SOFT_DMA_STATUS_* */
	uint64_t ring_base;   /**< 0x10 RW ring IOVA, 64-byte aligned */
	uint32_t ring_log2;   /**< 0x18 RW log2 of ring entries */
	uint32_t ssid;        /**< 0x1c RW SSV | SSID */
	uint32_t prod;        /**< 0x20 RW producer index (doorbell) */
	uint32_t cons;        /**< 0x24 RO consumer index (RW while disabled) */
	uint32_t error;       /**< 0x28 RO enum uiommu_soft_dma_error */
	uint32_t rsvd0;       /**< 0x2c */
	uint64_t error_iova;  /**< 0x30 RO IOVA of a ring fault */
	uint64_t desc_ok;     /**< 0x38 RO descriptors completed with OK */
	uint64_t desc_err;    /**< 0x40 RO descriptors completed with an error */
	uint64_t bytes;       /**< 0x48 RO bytes copied */
	uint64_t halts;       /**< 0x50 RO times the engine halted */
	uint8_t rsvd[4096 - 0x58]; /**< reserved, zero */
};

_Static_assert(sizeof(struct uiommu_soft_dma_regs) == 4096, "one page");
_Static_assert(offsetof(struct uiommu_soft_dma_regs, ring_base) == 0x10, "layout");
_Static_assert(offsetof(struct uiommu_soft_dma_regs, prod) == 0x20, "layout");
_Static_assert(offsetof(struct uiommu_soft_dma_regs, cons) == 0x24, "layout");
_Static_assert(offsetof(struct uiommu_soft_dma_regs, error_iova) == 0x30, "layout");
_Static_assert(offsetof(struct uiommu_soft_dma_regs, halts) == 0x50, "layout");

/** Descriptor status codes (status bits [7:0]). */
enum uiommu_soft_dma_status {
	UIOMMU_SOFT_DMA_ST_PENDING = 0,   /**< not executed (guest writes 0) */
	UIOMMU_SOFT_DMA_ST_OK = 1,        /**< all len bytes copied */
	UIOMMU_SOFT_DMA_ST_BAD_DESC = 2,  /**< bad len, flags or wrapping range */
	UIOMMU_SOFT_DMA_ST_SRC_FAULT = 3, /**< reading src faulted */
	UIOMMU_SOFT_DMA_ST_DST_FAULT = 4, /**< writing dst faulted */
};
/** status bits [7:0]: enum uiommu_soft_dma_status. */
#define UIOMMU_SOFT_DMA_ST_CODE(st) ((st) & 0xffu)
/**
 * status bits [15:8]: SMMUv3 event ID of a fault (F_TRANSLATION, ...), or
 * 0 when the access was terminated without an event (STE abort).
 */
#define UIOMMU_SOFT_DMA_ST_EVENT(st) (((st) >> 8) & 0xffu)

/** One descriptor (64 bytes, in guest memory, addressed by IOVA). */
struct uiommu_soft_dma_desc {
	uint64_t src;        /**< 0x00 source IOVA */
	uint64_t dst;        /**< 0x08 destination IOVA */
	uint32_t len;        /**< 0x10 bytes, 1..UIOMMU_SOFT_DMA_MAX_LEN */
	uint32_t flags;      /**< 0x14 must be 0 */
	uint64_t cookie;     /**< 0x18 the guest's, never touched */
	uint32_t status;     /**< 0x20 written back: code | event ID << 8 */
	uint32_t done;       /**< 0x24 written back: bytes copied */
	uint64_t fault_iova; /**< 0x28 written back: IOVA that faulted, or 0 */
	uint64_t rsvd[2];    /**< 0x30 ignored */
};

_Static_assert(sizeof(struct uiommu_soft_dma_desc) == 64, "64-byte descriptor");
_Static_assert(offsetof(struct uiommu_soft_dma_desc, len) == 0x10, "layout");
_Static_assert(offsetof(struct uiommu_soft_dma_desc, status) == 0x20, "layout");
_Static_assert(offsetof(struct uiommu_soft_dma_desc, fault_iova) == 0x28, "layout");

/** Offset of the written-back part of a descriptor. */
#define UIOMMU_SOFT_DMA_DESC_WB_OFFSET 0x20u
/** Bytes of the written-back part (status, done, fault_iova). */
#define UIOMMU_SOFT_DMA_DESC_WB_SIZE 16u

#ifdef __cplusplus
}
#endif

#endif /* UIOMMU_SOFT_DMA_H */
