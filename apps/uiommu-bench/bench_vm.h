/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * uiommu-bench: an in-process "bench VM" for the uiommu scenarios (poll,
 * trap/cmdq-eventfd, tput, scale), and the manager side that drives it.
 *
 * **Guest side.** bench_vm_create() builds, through the public core API
 * (uiommu_core.h), what a VMM plus a guest driver would: one VM whose guest
 * RAM is a single region from bench_shared_alloc() (the floor's allocator),
 * soft-backend vIOMMUs with their vCMDQs (rings in guest RAM, registers in
 * the vIOMMU's control region), and optionally, on the first vIOMMU, one
 * nested soft device (vSID 1, "soft:dma0"): a linear stream table, a CD and
 * a 4-level stage-1 table in guest RAM mapping `s1_pages` pages, configured
 * with CFGI_STE + CMD_SYNC through queue 0 like a guest driver does, and
 * the IOTLB warmed by translating every mapped page, so that the
 * TLBI_NH_VA commands the scenarios send find entries to remove. Every
 * queue is enabled (CONFIG.EN handshake). All of this runs on the main
 * lcore before the manager side starts (the core's set-up functions are
 * the control path; the queues are then handed to the worker lcore, and
 * rte_eal_remote_launch orders the two).
 *
 * **Manager side.** Two kinds, both on the bench's worker lcore:
 *  - BENCH_MGR_ENGINE: the manager's real poll engine (lib/mgr,
 *    uiommu_poll_*), one polling lcore = the worker; each pass calls
 *    uiommu_vcmdq_process(q, budget) for every queue and
 *    uiommu_viommu_poll() for every vIOMMU, reports an RCU quiescent state,
 *    keeps its statistics and pauses after an idle pass. This is exactly
 *    the uiommu-mgr fast path, without the control socket.
 *  - BENCH_MGR_BARE: the same calls of uiommu_vcmdq_process() over the same
 *    queues in a bare loop, no uiommu_viommu_poll(), no statistics, no RCU,
 *    and (optionally) no pause: a diagnostic that isolates the cost of
 *    processing the commands from the engine's bookkeeping.
 *  - BENCH_MGR_BARE_PREFETCH: the bare loop that, after a pass without
 *    work, prefetches the ring line of each queue's next command: an
 *    experiment for a possible engine change.
 */
#ifndef BENCH_VM_H
#define BENCH_VM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bench.h"
#include "uiommu_core.h"
#include "uiommu_vcmdq.h"

/** First guest-physical address of a bench VM's RAM. */
#define BENCH_VM_RAM_GPA 0x40000000ULL
/** First IOVA of the nested device's stage-1 mappings. */
#define BENCH_VM_IOVA_BASE 0x10000000ULL
/** vSID of the nested device. */
#define BENCH_VM_VSID 1u
/** ASID of its context descriptor. */
#define BENCH_VM_ASID 5u
/** log2 of the stream table entries (64 STEs, one page). */
#define BENCH_VM_STRTAB_LOG2 6u
/** Largest number of queues one bench VM may have. */
#define BENCH_VM_MAX_QUEUES (UIOMMU_MAX_VIOMMUS_PER_VM * UIOMMU_MAX_VCMDQS)

/**
 * Shortest bound on any wait for the other lcore in the uiommu scenarios,
 * seconds. Longer than BENCH_TIMEOUT_S: on this project's shared virtual
 * machines one floor round trip once took 11 s (a vCPU stalled by the
 * host), and a waiter must not declare the other side dead when it is only
 * stalled.
 */
#define BENCH_VM_STALL_S 30u

/**
 * The wait bound of the uiommu scenarios.
 * @param ctx  context
 * @return max(ctx->timeout_cycles, BENCH_VM_STALL_S seconds) in cycles.
 */
static inline uint64_t
bench_vm_timeout(const struct bench_ctx *ctx)
{
	uint64_t stall = (uint64_t)BENCH_VM_STALL_S * ctx->tsc_hz;

	return ctx->timeout_cycles > stall ? ctx->timeout_cycles : stall;
}

/** What bench_vm_create() builds. */
struct bench_vm_conf {
	const char *name;          /**< unique VM name */
	unsigned int nviommus;     /**< 1..UIOMMU_MAX_VIOMMUS_PER_VM */
	unsigned int nqueues;      /**< total queues, spread over the vIOMMUs in
				    *   order (vIOMMU i holds queues
				    *   [i*UIOMMU_MAX_VCMDQS, ...)) */
	unsigned int ring_log2;    /**< log2 of each queue's entries */
	unsigned int s1_pages;     /**< 0: no nested device; else pages mapped */
};

/** One queue of a bench VM: the core object and the guest's producer. */
struct bench_vq {
	struct uiommu_vcmdq *q;     /**< the manager's queue */
	struct uiommu_vcmdq_prod p; /**< the guest's producer state */
};

/** A bench VM. */
struct bench_vm {
	struct uiommu_vm *vm;
	struct uiommu_viommu *vi[UIOMMU_MAX_VIOMMUS_PER_VM];
	unsigned int nvi;
	struct bench_vq *q;         /**< nq queues */
	unsigned int nq;
	/** Queues handed to the manager by bench_mgr_start(): the first
	 *  mgr_nq (bench_vm_create sets nq; the scale scenario lowers it),
	 *  with the vIOMMUs that hold them. */
	unsigned int mgr_nq;
	uint8_t *ram;               /**< host address of GPA BENCH_VM_RAM_GPA */
	uint64_t ram_size;
	uint64_t ram_next;          /**< bump allocator (GPA) */
	struct uiommu_vdevice *dev; /**< nested device, or NULL */
	struct uiommu_pgtable *s1;  /**< its stage-1 table, or NULL */
	unsigned int s1_pages;
	uint64_t iotlb_warm;        /**< translations that warmed the IOTLB */
};

/**
 * Build a bench VM (see the file comment). Main lcore, manager not running.
 * @param c       what to build
 * @param[out] out the VM
 * @param why     on failure, what failed (may be NULL)
 * @param whylen  size of why
 * @return 0; -EINVAL (bad conf), -ENOMEM, or the errno of the core call
 *         that failed (named in why).
 */
int bench_vm_create(const struct bench_vm_conf *c, struct bench_vm **out,
		    char *why, size_t whylen);

/**
 * Destroy a bench VM (the manager must have stopped touching it).
 * @param b  VM or NULL
 */
void bench_vm_destroy(struct bench_vm *b);

/**
 * The raw TLBI_NH_VA the scenarios send: ASID BENCH_VM_ASID, leaf, one
 * 4 KiB page at IOVA BENCH_VM_IOVA_BASE + 4096 * (page % pages).
 * @param page   page number
 * @param pages  pages it rotates over (>= 1)
 * @param[out] cmd  the command
 * @return 0 or the encoder's errno.
 */
int bench_cmd_tlbi(unsigned int page, unsigned int pages, struct uiommu_cmd *cmd);

/**
 * The raw CMD_SYNC the scenarios send (CS = NONE: completion is CONS).
 * @param[out] cmd  the command
 * @return 0 or the encoder's errno.
 */
int bench_cmd_sync(struct uiommu_cmd *cmd);

/**
 * Wait (spinning with the guest helper, which pauses between polls) until
 * the queue's CONS reaches @p target, for at most timeout_cycles.
 * @param vq              queue
 * @param target          wrap|index CONS must reach
 * @param timeout_cycles  bound
 * @return 0; -EIO (the queue stopped on an error); -ETIMEDOUT.
 */
int bench_vq_wait(struct bench_vq *vq, uint32_t target, uint64_t timeout_cycles);

/** Kind of manager side. */
enum bench_mgr_kind {
	BENCH_MGR_ENGINE, /**< lib/mgr's poll engine on the worker lcore */
	BENCH_MGR_BARE,   /**< bare uiommu_vcmdq_process() loop (diagnostic) */
	/** bare loop that prefetches each queue's next ring line when idle
	 *  (an experiment, see bench_vm.c) */
	BENCH_MGR_BARE_PREFETCH,
};

/** A running manager side. */
struct bench_mgr;

/**
 * The engine's per-pass limits (struct uiommu_poll_conf's fields of the
 * same names; 0 in vm_budget or vm_slice_ns means the engine's default,
 * as for uiommu-mgr).
 */
struct bench_mgr_lim {
	unsigned int budget;      /**< commands per queue per pass */
	unsigned int vm_budget;   /**< commands per VM per pass */
	unsigned int vm_slice_ns; /**< busy ns per VM per pass */
};

/**
 * Start the manager side on the worker lcore over the first mgr_nq queues
 * of each VM (and, for the engine, the vIOMMUs holding them), VMs in the
 * order given.
 * @param ctx     bench context (worker lcore)
 * @param kind    engine or bare loop
 * @param lim     per-pass limits (the bare loops use lim->budget only)
 * @param pause   BENCH_MGR_BARE: rte_pause() after a pass without work
 * @param vms     VMs
 * @param nvms    how many
 * @param[out] out the manager
 * @return 0; -ENOMEM; -EBUSY (worker busy); or the engine's errno.
 */
int bench_mgr_start(struct bench_ctx *ctx, enum bench_mgr_kind kind,
		    const struct bench_mgr_lim *lim, bool pause,
		    struct bench_vm *const *vms, unsigned int nvms,
		    struct bench_mgr **out);

/** What a manager side measured about itself (durations on the worker's
 *  own TSC, never compared with the main lcore's clock). */
struct bench_mgr_out {
	/** Bare loops: durations in cycles of the uiommu_vcmdq_process()
	 *  calls that consumed commands, each bracketed by two rte_rdtsc();
	 *  merged into it. NULL: not collected. */
	struct bench_hist *work;
	/** Engine: cycles and number of its passes that found no work (the
	 *  engine's own counters, idle back-off included), added to. */
	uint64_t idle_cycles, idle_passes;
};

/**
 * Stop the manager side and wait for the worker lcore.
 * @param m  manager or NULL
 * @param[out] out  what the side measured about itself (see struct
 *             bench_mgr_out); may be NULL
 * @return 0, or the worker's error (bare loop).
 */
int bench_mgr_stop(struct bench_mgr *m, struct bench_mgr_out *out);

/** One guest round trip on a queue (see bench_rtt_once()). */
struct bench_rtt {
	struct bench_vq *vq;          /**< the queue */
	unsigned int pages;           /**< TLBI pages rotated over; 0: no TLBI */
	uint64_t seq;                 /**< round trips done (rotates the page) */
	int (*before)(void *arg);     /**< untimed hook before each, or NULL */
	int (*kick)(void *arg);       /**< timed hook after the PROD store, or NULL */
	void *arg;                    /**< argument of the hooks */
	uint64_t timeout_cycles;      /**< bound on the wait for CONS */
};

/**
 * One round trip, timed on the main lcore from just before the PROD store
 * to seeing CONS pass the CMD_SYNC. The commands (one TLBI_NH_VA whose page
 * rotates over r->pages, then one CMD_SYNC; with pages 0 the CMD_SYNC
 * alone) are written into the ring before the timer starts; r->before runs
 * before that, untimed; r->kick right after the PROD store, timed.
 * @param r  round trip state
 * @param[out] cycles  the time
 * @return 0, -EIO (queue error), -ETIMEDOUT, -ENOSPC (ring full), or a
 *         hook's error.
 */
int bench_rtt_once(struct bench_rtt *r, uint64_t *cycles);

/** One variant of an interleaved measurement (bench_interleave()). */
struct bench_ilv {
	struct bench_result *res;  /**< where its samples go */
	/** Start its other-lcore side, or NULL. @return 0 or a negative errno. */
	int (*start)(struct bench_ctx *ctx, void *arg);
	/** Stop it, or NULL. @return 0 or the worker's error. */
	int (*stop)(struct bench_ctx *ctx, void *arg);
	/** One operation, timed by itself. @return 0 or a negative errno. */
	int (*sample)(void *arg, uint64_t *cycles);
	void *arg;                 /**< argument of the three */
};

/** Blocks each variant's samples are split into by bench_interleave(). */
#define BENCH_ILV_ROUNDS 20u

/**
 * Measure variants interleaved: BENCH_ILV_ROUNDS rounds, each running every
 * variant in turn for a block (start, warmup / rounds untimed operations,
 * samples / rounds timed ones, stop), so that all variants see the same
 * conditions: the two vCPUs of this virtual machine move between faster
 * and slower placements during a run (the floor's round trip was seen at
 * 70, 110, 250 and 400 ns within minutes), and variants measured one
 * after the other would be compared across placements.
 * @param ctx  context (samples, warmup)
 * @param v    variants
 * @param n    how many
 * @return 0 or the first error (every started side is stopped).
 */
int bench_interleave(struct bench_ctx *ctx, struct bench_ilv *v, unsigned int n);

/** A manager side measured with round trips, as an interleaved variant. */
struct bench_mgr_var {
	enum bench_mgr_kind kind;  /**< manager kind */
	struct bench_mgr_lim lim;  /**< per-pass limits */
	bool pause;                /**< BENCH_MGR_BARE: pause when idle */
	struct bench_vm **vms;     /**< VMs it serves (first one's queue 0 is timed) */
	unsigned int nvms;
	struct bench_rtt rtt;      /**< the round trip (vq, pages, hooks) */
	struct bench_mgr_out out;  /**< accumulated over its blocks */
	struct bench_mgr *mgr;     /**< while started */
};

/**
 * bench_ilv.start for a struct bench_mgr_var: bench_mgr_start() with its
 * settings; also sets its round trip's wait bound (bench_vm_timeout()).
 * @param ctx  context
 * @param arg  the struct bench_mgr_var
 * @return 0 or bench_mgr_start()'s errno.
 */
int bench_mgr_var_start(struct bench_ctx *ctx, void *arg);

/**
 * bench_ilv.stop for a struct bench_mgr_var: bench_mgr_stop(), adding what
 * the side measured about itself to mv->out.
 * @param ctx  context
 * @param arg  the struct bench_mgr_var
 * @return 0 or the worker's error.
 */
int bench_mgr_var_stop(struct bench_ctx *ctx, void *arg);

/**
 * bench_ilv.sample for a struct bench_mgr_var: bench_rtt_once().
 * @param arg  the struct bench_mgr_var
 * @param[out] cycles  the round trip
 * @return as bench_rtt_once().
 */
int bench_mgr_var_sample(void *arg, uint64_t *cycles);

/**
 * The floor's cache-line ping-pong (sc_floor.c's protocol: one 64-bit word
 * alone in a 128-byte block, odd request 2k+1, answer 2k+2, no pause on
 * either side), as an interleaved variant, so that a scenario can compare
 * itself with a floor measured in the same blocks.
 */
struct bench_pp {
	uint64_t *word;             /**< the shared line */
	uint64_t seq;
	uint64_t timeout_cycles;
};

/**
 * bench_ilv.start for a struct bench_pp: allocate the line
 * (bench_shared_alloc) and start the answering side on the worker.
 * @param ctx  context
 * @param arg  the struct bench_pp
 * @return 0; -ENOMEM; -EBUSY (worker busy).
 */
int bench_pp_start(struct bench_ctx *ctx, void *arg);

/**
 * bench_ilv.stop for a struct bench_pp: stop the worker, free the line.
 * @param ctx  context
 * @param arg  the struct bench_pp
 * @return 0 or the worker's -ETIMEDOUT (no request within its bound).
 */
int bench_pp_stop(struct bench_ctx *ctx, void *arg);

/**
 * bench_ilv.sample for a struct bench_pp: one round trip, timed from just
 * before the request store to seeing the answer.
 * @param arg  the struct bench_pp
 * @param[out] cycles  the round trip
 * @return 0; -ETIMEDOUT (no answer within bench_vm_timeout()).
 */
int bench_pp_sample(void *arg, uint64_t *cycles);

/**
 * Measure one round trip per sample into @p res: warm-up, then samples,
 * each timed on the main lcore from just before the PROD store to seeing
 * CONS pass the CMD_SYNC. The commands (one TLBI_NH_VA whose page rotates
 * over @p pages, then one CMD_SYNC; with @p pages 0 the CMD_SYNC alone)
 * are written into the ring before the timer starts.
 * @param ctx    context (warmup, samples, timeout)
 * @param res    latency result
 * @param vq     the queue
 * @param pages  pages the TLBI rotates over; 0: no TLBI
 * @param before hook run before each round trip, untimed (the flood
 *               scenario tops up the other VM's queues there), or NULL
 * @param kick   hook run inside the timed window right after the PROD
 *               store (the trap variant's syscall hand-over), or NULL
 * @param arg    argument of both hooks; a non-zero return of either stops
 *               the loop with that value
 * @return 0, -EIO (queue error), -ETIMEDOUT, -ENOSPC (ring full), or a
 *         hook's error.
 */
int bench_vq_rtt_loop(struct bench_ctx *ctx, struct bench_result *res,
		      struct bench_vq *vq, unsigned int pages,
		      int (*before)(void *arg), int (*kick)(void *arg),
		      void *arg);

#endif /* BENCH_VM_H */
