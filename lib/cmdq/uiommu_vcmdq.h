/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * vCMDQ: a CMDQV-style virtual command queue in shared memory.
 *
 * A vCMDQ is an SMMUv3 command ring (2^log2size entries of 16 bytes) in
 * guest RAM plus one block of registers in a shared **control page**. The
 * register block copies the Tegra241 CMDQV VINTF page0 layout of a logical
 * VCMDQ: CONS 0x00, PROD 0x04, CONFIG 0x08, STATUS 0x0C, GERROR 0x10,
 * GERRORN 0x14, at a stride of 0x80 (struct uiommu_vcmdq_regs). A control
 * page of UIOMMU_MAX_VCMDQS queues is 16 KiB; one 4 KiB page holds the
 * registers of 32 queues. The queue base (CMDQV page1 BASE: addr[47:5] |
 * LOG2SIZE[4:0]) is not in the control page: it is set through the control
 * protocol (VCMDQ_CREATE), as QEMU traps page1.
 *
 * **Indices.** PROD and CONS hold index = bits [log2size-1:0] and
 * wrap = bit log2size. The ring is empty when index and wrap are equal,
 * full when the indices are equal and the wraps differ. CONS.ERR [30:24]
 * holds the command error (enum uiommu_vcmdq_cerror). The manager ignores
 * PROD bits above the wrap bit.
 *
 * **Who writes what.** The guest writes PROD, CONFIG, GERRORN and the ring
 * (and CONS only while the queue is disabled, i.e. STATUS.ENABLE_OK = 0).
 * The manager writes CONS, STATUS and GERROR, and never reads CONS or
 * GERROR back from shared memory while it owns them: it keeps its own copy.
 *
 * **Two sides.**
 *  - struct uiommu_vcmdq_cons: the manager (consumer), a busy-polling lcore
 *    facing a hostile guest. Every value read from shared memory is bounded
 *    before use: a poll never reports more than the ring size, every ring
 *    access is masked into the ring, and every entry is read once into a
 *    private copy.
 *  - struct uiommu_vcmdq_prod: the guest (producer), used by the guest
 *    simulator, tests and benchmarks.
 *
 * Each side is single-threaded: one consumer and one producer per queue.
 *
 * **Memory ordering** (labels used in vcmdq.c):
 *  - P1 guest release-store of PROD  <-> C1 manager acquire-load of PROD
 *    (ring entries written before PROD are seen by the manager).
 *  - C2 manager release-store of CONS <-> P2 guest acquire-load of CONS
 *    (the manager has finished reading the slots, and the effects of the
 *    commands before CONS are done, before the guest reuses them).
 *  - C3 manager release-store of GERROR <-> P3 guest acquire-load of GERROR
 *    (CONS.ERR and CONS at the bad command are visible first).
 *  - P4 guest release-store of GERRORN <-> C4 manager acquire-load of GERRORN
 *    (the guest's fix-up of the bad slot is visible before the manager
 *    reads it again).
 *  - P5 guest release-store of CONFIG <-> C5 manager acquire (fence) after
 *    seeing CONFIG.EN change (CONS/PROD set while disabled are visible).
 *  - C6 manager release-store of STATUS <-> P6 guest acquire-load of STATUS
 *    (on disable: the last CONS is visible before ENABLE_OK reads 0).
 */
#ifndef UIOMMU_VCMDQ_H
#define UIOMMU_VCMDQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "uiommu_config.h"
#include "uiommu_cmd.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Distance between two queues' register blocks in the control page. */
#define UIOMMU_VCMDQ_REGS_STRIDE 0x80
/** Queues whose registers fit in one 4 KiB page. */
#define UIOMMU_VCMDQS_PER_4K (4096 / UIOMMU_VCMDQ_REGS_STRIDE)
/** Size of a full control page (UIOMMU_MAX_VCMDQS queues). */
#define UIOMMU_VCMDQ_PAGE_SIZE (UIOMMU_MAX_VCMDQS * UIOMMU_VCMDQ_REGS_STRIDE)

/** Register offsets inside one queue's block (as CMDQV VINTF page0). */
#define UIOMMU_VCMDQ_REG_CONS    0x00
#define UIOMMU_VCMDQ_REG_PROD    0x04
#define UIOMMU_VCMDQ_REG_CONFIG  0x08
#define UIOMMU_VCMDQ_REG_STATUS  0x0c
#define UIOMMU_VCMDQ_REG_GERROR  0x10
#define UIOMMU_VCMDQ_REG_GERRORN 0x14

/** CONFIG.CMDQ_EN: the guest asks for the queue to run. */
#define UIOMMU_VCMDQ_CONFIG_EN     (1u << 0)
/** STATUS.ENABLE_OK: the manager acknowledges CONFIG.EN. */
#define UIOMMU_VCMDQ_STATUS_ENABLE_OK (1u << 0)
/** GERROR.CMDQ_ERR / GERRORN.CMDQ_ERR: toggled on a command error. */
#define UIOMMU_VCMDQ_GERROR_CMDQ_ERR  (1u << 0)
/** CONS.ERR field position and width: bits [30:24]. */
#define UIOMMU_VCMDQ_CONS_ERR_SHIFT 24
#define UIOMMU_VCMDQ_CONS_ERR_MASK  (0x7fu << UIOMMU_VCMDQ_CONS_ERR_SHIFT)

/** Queue base as CMDQV page1 BASE encodes it: addr[47:5] | LOG2SIZE[4:0]. */
#define UIOMMU_VCMDQ_BASE_ADDR_MASK 0x0000ffffffffffe0ULL
#define UIOMMU_VCMDQ_BASE_LOG2SIZE_MASK 0x1fULL

/** CONS.ERR command error codes (SMMUv3 CERROR_*). */
enum uiommu_vcmdq_cerror {
	UIOMMU_CERROR_NONE    = 0, /**< no error */
	UIOMMU_CERROR_ILL     = 1, /**< illegal command */
	UIOMMU_CERROR_ABT     = 2, /**< abort on command fetch */
	UIOMMU_CERROR_ATC_INV = 3, /**< ATC invalidation timeout */
};

/**
 * One queue's registers in the control page: the CMDQV logical VCMDQ page0
 * block. Naturally aligned 32-bit registers with no padding (checked by
 * _Static_assert in vcmdq.c), so the layout is fixed without
 * `__attribute__((packed))`, which would hide the alignment that atomic
 * accesses rely on.
 */
struct uiommu_vcmdq_regs {
	uint32_t cons;     /**< 0x00 CONS: wrap|index, ERR [30:24] (manager) */
	uint32_t prod;     /**< 0x04 PROD: wrap|index (guest) */
	uint32_t config;   /**< 0x08 CONFIG: CMDQ_EN bit 0 (guest) */
	uint32_t status;   /**< 0x0C STATUS: ENABLE_OK bit 0 (manager) */
	uint32_t gerror;   /**< 0x10 GERROR: CMDQ_ERR bit 0 (manager) */
	uint32_t gerrorn;  /**< 0x14 GERRORN: CMDQ_ERR bit 0 (guest) */
	uint32_t rsvd[26]; /**< 0x18..0x7F: reserved, reads 0 */
};

/** A control page: the registers of up to UIOMMU_MAX_VCMDQS queues. */
struct uiommu_vcmdq_page {
	struct uiommu_vcmdq_regs q[UIOMMU_MAX_VCMDQS]; /**< queue i at 0x80 * i */
};

/**
 * Mask of the index and wrap bits for a ring of 2^log2size entries.
 * @param log2size  log2 of the number of entries
 * @return (2 << log2size) - 1
 */
static inline uint32_t
uiommu_vcmdq_ptr_mask(uint32_t log2size)
{
	return (2u << log2size) - 1;
}

/**
 * Number of entries between cons and prod (both wrap|index values).
 * @param prod  producer value (bits above the wrap bit ignored)
 * @param cons  consumer value (bits above the wrap bit ignored)
 * @param log2size  log2 of the number of entries
 * @return prod - cons modulo 2^(log2size + 1): 0..2^log2size for a
 *         consistent pair; larger values mean PROD is behind CONS.
 */
static inline uint32_t
uiommu_vcmdq_ptr_used(uint32_t prod, uint32_t cons, uint32_t log2size)
{
	return (prod - cons) & uiommu_vcmdq_ptr_mask(log2size);
}

/**
 * The manager's (consumer's) view of one vCMDQ. Caller-owned storage; one
 * 64-byte cache line (checked in vcmdq.c), touched by every poll.
 */
struct uiommu_vcmdq_cons {
	const struct uiommu_cmd *ring;   /**< host pointer to the guest ring */
	struct uiommu_vcmdq_regs *regs;  /**< this queue's shared registers */
	uint32_t log2size;  /**< log2 of the number of entries */
	uint32_t mask;      /**< index + wrap bits */
	uint32_t cons;      /**< private CONS (wrap|index), never re-read */
	uint32_t avail;     /**< entries available since the last poll */
	uint32_t gerror;    /**< private GERROR value */
	bool enabled;       /**< ENABLE_OK given */
	bool stopped;       /**< stopped on an error, waiting for GERRORN */
	uint64_t n_consumed;  /**< commands consumed (advanced past) */
	uint64_t n_errors;    /**< errors raised */
	uint64_t n_bad_prod;  /**< polls that saw PROD behind CONS */
};

/**
 * Initialise the consumer side and reset the queue's registers to the
 * disabled state (all six registers 0). Call before the control page is
 * handed to the guest, or while the guest cannot use the queue.
 *
 * @param q  storage to initialise
 * @param ring  host address of the ring; the caller has checked that all
 *              2^log2size * 16 bytes lie inside the VM's registered RAM
 * @param log2size  log2 of the entries, UIOMMU_VCMDQ_MIN_LOG2 ..
 *                  UIOMMU_VCMDQ_MAX_LOG2
 * @param regs  this queue's register block in the control page
 * @return 0; -EINVAL if a pointer is NULL or log2size is out of range.
 */
int uiommu_vcmdq_cons_init(struct uiommu_vcmdq_cons *q,
			   const struct uiommu_cmd *ring, uint32_t log2size,
			   struct uiommu_vcmdq_regs *regs);

/**
 * Poll a queue: handle the CONFIG.EN handshake and a pending GERRORN
 * acknowledgement, then read PROD once (acquire) and return how many
 * commands can be consumed now.
 *
 * Nothing is consumed while the queue is disabled or stopped on an error.
 * A PROD behind CONS yields 0 (counted in n_bad_prod); PROD bits above the
 * wrap bit are ignored. The result never exceeds min(budget, ring size).
 *
 * @param q  the queue
 * @param budget  most commands the caller will take in this pass
 * @return number of commands available, 0..min(budget, 2^log2size).
 */
uint32_t uiommu_vcmdq_cons_poll(struct uiommu_vcmdq_cons *q, uint32_t budget);

/**
 * Copy out commands at CONS without consuming them. Each 16-byte entry is
 * read exactly once into @p dst; the caller decodes the copies only. At
 * most the count of the last poll (minus what was advanced since) is read.
 *
 * @param q  the queue
 * @param[out] dst  room for n commands
 * @param n  commands wanted
 * @return commands copied, min(n, available).
 */
uint32_t uiommu_vcmdq_cons_peek(struct uiommu_vcmdq_cons *q,
				struct uiommu_cmd *dst, uint32_t n);

/**
 * Consume n commands and publish CONS (release store; the guest may reuse
 * the slots and treats the commands as complete).
 *
 * @param q  the queue
 * @param n  commands to consume; clamped to the available count
 * @return commands consumed.
 */
uint32_t uiommu_vcmdq_cons_advance(struct uiommu_vcmdq_cons *q, uint32_t n);

/**
 * Stop the queue on the command at CONS: publish CONS with ERR = @p err,
 * toggle GERROR.CMDQ_ERR. The caller first advances past the good commands
 * before the bad one. The queue stays stopped until the guest makes
 * GERRORN.CMDQ_ERR equal to GERROR.CMDQ_ERR; the next poll then clears ERR
 * and resumes at CONS (re-reading the slot, which the guest may have fixed).
 * An error on a queue that is already stopped is ignored (the first stands).
 *
 * @param q  the queue
 * @param err  CONS.ERR code, 1..127 (normally UIOMMU_CERROR_ILL)
 * @return 0; -EINVAL if err is 0 or above 127.
 */
int uiommu_vcmdq_cons_error(struct uiommu_vcmdq_cons *q, uint32_t err);

/**
 * Current private CONS value (wrap|index) of the manager: the slot of the
 * next command to consume is (cons & (2^log2size - 1)).
 * @param q  the queue
 * @return CONS without ERR.
 */
static inline uint32_t
uiommu_vcmdq_cons_index(const struct uiommu_vcmdq_cons *q)
{
	return q->cons;
}

/**
 * Whether the queue is stopped on an error.
 * @param q  the queue
 * @return true while waiting for the guest's GERRORN acknowledgement.
 */
static inline bool
uiommu_vcmdq_cons_stopped(const struct uiommu_vcmdq_cons *q)
{
	return q->stopped;
}

/** The guest's (producer's) view of one vCMDQ. Caller-owned storage. */
struct uiommu_vcmdq_prod {
	struct uiommu_cmd *ring;         /**< the ring, 2^log2size entries */
	struct uiommu_vcmdq_regs *regs;  /**< this queue's shared registers */
	uint32_t log2size;  /**< log2 of the number of entries */
	uint32_t mask;      /**< index + wrap bits */
	uint32_t prod;      /**< private PROD: next slot to write (wrap|index) */
	uint32_t cons;      /**< CONS last read (without ERR) */
};

/**
 * Initialise the producer side. Does not touch the registers; call
 * uiommu_vcmdq_prod_enable() to start the queue.
 *
 * @param p  storage to initialise
 * @param ring  the ring, 2^log2size entries
 * @param log2size  UIOMMU_VCMDQ_MIN_LOG2 .. UIOMMU_VCMDQ_MAX_LOG2
 * @param regs  this queue's register block
 * @return 0; -EINVAL if a pointer is NULL or log2size is out of range.
 */
int uiommu_vcmdq_prod_init(struct uiommu_vcmdq_prod *p,
			   struct uiommu_cmd *ring, uint32_t log2size,
			   struct uiommu_vcmdq_regs *regs);

/**
 * Free entries: reads CONS (acquire) and returns 2^log2size minus the
 * entries written (published or not) and not yet consumed.
 * @param p  the queue
 * @return free entries, 0..2^log2size.
 */
uint32_t uiommu_vcmdq_prod_space(struct uiommu_vcmdq_prod *p);

/**
 * Copy commands into the ring at the private PROD and advance it. Nothing is
 * visible to the manager until uiommu_vcmdq_prod_publish().
 *
 * @param p  the queue
 * @param cmds  commands to write
 * @param n  number of commands
 * @return commands written, min(n, free space).
 */
uint32_t uiommu_vcmdq_prod_write(struct uiommu_vcmdq_prod *p,
				 const struct uiommu_cmd *cmds, uint32_t n);

/**
 * Publish the private PROD to the PROD register (release store).
 * @param p  the queue
 */
void uiommu_vcmdq_prod_publish(struct uiommu_vcmdq_prod *p);

/**
 * Private PROD value: one past the last command written.
 * @param p  the queue
 * @return wrap|index.
 */
static inline uint32_t
uiommu_vcmdq_prod_index(const struct uiommu_vcmdq_prod *p)
{
	return p->prod;
}

/**
 * Wait until CONS has reached or passed @p target (a wrap|index value
 * between the CONS and PROD of the call, e.g. uiommu_vcmdq_prod_index()
 * after writing a CMD_SYNC), or an error has been raised.
 *
 * @param p  the queue
 * @param target  wrap|index that CONS must reach
 * @param spin_limit  most polls of CONS before giving up (0 polls once)
 * @param[out] err  when -EIO: the CONS.ERR code; may be NULL
 * @return 0; -EIO if the queue stopped on an error (GERROR differs from
 *         GERRORN); -ETIMEDOUT after spin_limit polls.
 */
int uiommu_vcmdq_prod_wait(struct uiommu_vcmdq_prod *p, uint32_t target,
			   uint64_t spin_limit, uint32_t *err);

/**
 * Whether an error is pending (GERROR.CMDQ_ERR != GERRORN.CMDQ_ERR), and
 * where: reads GERROR (acquire), then CONS.
 *
 * @param p  the queue
 * @param[out] err  CONS.ERR when an error is pending; may be NULL
 * @param[out] cons  CONS (wrap|index) of the bad command; may be NULL
 * @return true if an error is pending.
 */
bool uiommu_vcmdq_prod_error_pending(struct uiommu_vcmdq_prod *p,
				     uint32_t *err, uint32_t *cons);

/**
 * Overwrite the ring slot at a wrap|index value (typically the bad command
 * at CONS, replaced by a CMD_SYNC as Linux does) before acknowledging.
 * @param p  the queue
 * @param index  wrap|index of the slot
 * @param cmd  the new command
 */
void uiommu_vcmdq_prod_fixup(struct uiommu_vcmdq_prod *p, uint32_t index,
			     const struct uiommu_cmd *cmd);

/**
 * Acknowledge an error: GERRORN = GERROR (release store). The manager then
 * clears CONS.ERR and resumes at CONS.
 * @param p  the queue
 */
void uiommu_vcmdq_prod_ack_error(struct uiommu_vcmdq_prod *p);

/**
 * Enable the queue: reset CONS and PROD to 0 (allowed while disabled), set
 * CONFIG.EN (release) and wait for STATUS.ENABLE_OK = 1. The queue must be
 * disabled (STATUS.ENABLE_OK = 0).
 *
 * @param p  the queue
 * @param spin_limit  most polls of STATUS before giving up; 0: do not
 *                    wait (check uiommu_vcmdq_prod_enabled() later)
 * @return 0; -EBUSY if ENABLE_OK was already 1; -ETIMEDOUT if the manager
 *         did not acknowledge within spin_limit polls.
 */
int uiommu_vcmdq_prod_enable(struct uiommu_vcmdq_prod *p, uint64_t spin_limit);

/**
 * Disable the queue: clear CONFIG.EN (release) and wait for
 * STATUS.ENABLE_OK = 0. Commands not consumed by then stay in the ring.
 *
 * @param p  the queue
 * @param spin_limit  most polls of STATUS before giving up; 0: do not
 *                    wait (check uiommu_vcmdq_prod_enabled() later)
 * @return 0; -ETIMEDOUT if the manager did not acknowledge in time.
 */
int uiommu_vcmdq_prod_disable(struct uiommu_vcmdq_prod *p,
			      uint64_t spin_limit);

/**
 * Read STATUS.ENABLE_OK (acquire).
 * @param p  the queue
 * @return true if the manager has acknowledged CONFIG.EN = 1.
 */
bool uiommu_vcmdq_prod_enabled(struct uiommu_vcmdq_prod *p);

#ifdef __cplusplus
}
#endif

#endif /* UIOMMU_VCMDQ_H */
