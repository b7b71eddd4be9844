/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Poll engine: the polling lcores that drive vCMDQs and backends.
 *
 * Each polling lcore owns a set of vIOMMUs; a vIOMMU's vCMDQs and its
 * backend poll() all run on its lcore (the core's threading contract). A
 * pass of an lcore calls uiommu_vcmdq_process(q, budget) on each of its
 * queues, then uiommu_viommu_poll(v, budget) on each of its vIOMMUs, then
 * reports a quiescent state to DPDK's rte_rcu QSBR. The per-queue budget
 * bounds what one queue may take from the others in a pass.
 *
 * **Fairness between VMs.** The queues of an lcore are served VM by VM.
 * On an lcore that serves more than one VM, the queues of one VM together
 * consume at most vm_budget commands per pass (and, when vm_slice_ns is
 * set, stop once they have been busy that long in the pass); the VM's
 * queue that leads the next pass rotates when its turn ends on a limit, so
 * its queues share the VM's budget in turn. A quiet VM therefore waits at
 * most one limited turn of each other VM on its lcore, whatever their
 * number of queues. An lcore with a single VM applies the per-queue budget
 * only.
 *
 * The control thread changes the sets (add/remove a vIOMMU or a vCMDQ,
 * pause a VM) without any lock on the fast path: it builds a new array for
 * the lcore, publishes it with a release store, waits for every lcore to
 * report a quiescent state (rte_rcu_qsbr_synchronize) and only then frees
 * the old array or lets the core free a retired object. poll.c labels the
 * barriers.
 *
 * **Inline mode.** With no polling lcore (a manager given a single core),
 * the engine has one slot served by the caller's thread through
 * uiommu_poll_run_once(), interleaved with the control socket. Control
 * operations then never overlap a pass, so no RCU wait is needed.
 *
 * **Idle policy.** An lcore whose pass found no work spins with
 * rte_pause(). When idle_sleep_us is non-zero and the lcore has found no
 * work for idle_after_us, it goes RCU-offline and sleeps idle_sleep_us per
 * pass (rte_delay_us_sleep) until work appears. Off by default: sleeping
 * trades latency for CPU.
 *
 * **Threads.** Every function except uiommu_poll_run_once() and the stats
 * readers is control-path: call from one control thread only (the core's
 * hooks, installed with uiommu_poll_core_hooks(), run there too).
 */
#ifndef UIOMMU_POLL_H
#define UIOMMU_POLL_H

#include <stdbool.h>
#include <stdint.h>

#include "uiommu_config.h"
#include "uiommu_core.h"

#ifdef __cplusplus
extern "C" {
#endif

/** A poll engine (opaque). */
struct uiommu_poll;

/** uiommu_poll_conf.vm_budget: no per-VM limit (only the per-queue one). */
#define UIOMMU_POLL_VM_BUDGET_NONE UINT32_MAX
/** Largest uiommu_poll_conf.vm_slice_ns accepted (one second). */
#define UIOMMU_POLL_VM_SLICE_NS_MAX 1000000000u

/** Poll engine configuration. */
struct uiommu_poll_conf {
	uint32_t budget;        /**< commands per queue per pass, 1..UIOMMU_BATCH_MAX * 16 */
	/**
	 * Commands per VM per pass, all its queues on the lcore together;
	 * 0 = UIOMMU_POLL_VM_BUDGET_DEFAULT, UIOMMU_POLL_VM_BUDGET_NONE = no
	 * limit. A queue still takes at most @c budget.
	 */
	uint32_t vm_budget;
	/**
	 * Busy time per VM per pass, ns, checked after each of its queues that
	 * found work (a turn ends after the call that reached it); 0 = no
	 * limit; at most UIOMMU_POLL_VM_SLICE_NS_MAX.
	 */
	uint32_t vm_slice_ns;
	uint32_t idle_sleep_us; /**< sleep per idle pass once idle long enough; 0 = never */
	uint32_t idle_after_us; /**< idle time before sleeping starts */
	uint32_t nb_lcores;     /**< polling lcores; 0 = inline mode */
	uint32_t lcores[UIOMMU_MAX_POLL_LCORES]; /**< EAL worker lcore ids */
};

/** Counters of one polling lcore (monotonic, read lock-free). */
struct uiommu_poll_lcore_stats {
	uint32_t lcore_id;    /**< EAL lcore id */
	uint32_t nb_queues;   /**< queues in its current set */
	uint32_t nb_viommus;  /**< vIOMMUs in its current set */
	uint32_t running;     /**< 1 while its loop runs */
	uint64_t passes;      /**< passes over its set */
	uint64_t busy_passes; /**< passes that found work */
	uint64_t commands;    /**< commands consumed */
	uint64_t backend_work;/**< units of work returned by uiommu_viommu_poll() */
	uint64_t busy_cycles; /**< TSC cycles of passes with work */
	uint64_t idle_cycles; /**< TSC cycles of passes without work (sleep included) */
	uint64_t sleeps;      /**< idle back-off sleeps */
	uint64_t set_updates; /**< new sets this lcore picked up */
};

/**
 * Create a poll engine (not started).
 * @param conf  configuration (copied)
 * @param[out] out  the engine
 * @return 0; -EINVAL a value out of range (budget, vm_slice_ns), an lcore
 *         that is not an enabled EAL worker lcore or listed twice; -ENOMEM.
 */
int uiommu_poll_create(const struct uiommu_poll_conf *conf,
		       struct uiommu_poll **out);

/**
 * Launch the loop on every polling lcore (no-op in inline mode).
 * @param p  engine
 * @return 0; -EBUSY an lcore is busy with something else (nothing launched).
 */
int uiommu_poll_start(struct uiommu_poll *p);

/**
 * Stop the loops and wait for them to return. Idempotent; objects stay
 * registered (a later start resumes them).
 * @param p  engine
 */
void uiommu_poll_stop(struct uiommu_poll *p);

/**
 * Destroy an engine (stopping it first). Every object should have been
 * removed; remaining registrations are dropped.
 * @param p  engine, or NULL
 */
void uiommu_poll_destroy(struct uiommu_poll *p);

/**
 * Fill core hooks that route the core's quiescence requests to this engine
 * (vm_pause/resume, vcmdq_retire, viommu_retire). Register them with
 * uiommu_core_hooks_set().
 * @param p  engine
 * @param[out] hooks  filled
 */
void uiommu_poll_core_hooks(struct uiommu_poll *p,
			    struct uiommu_core_hooks *hooks);

/**
 * Give a vIOMMU to an lcore: its uiommu_viommu_poll() starts running there,
 * and its queues will be placed there.
 * @param p  engine
 * @param v  the vIOMMU
 * @param lcore  EAL lcore id of one of the engine's lcores, or -1 to pick
 *               round-robin
 * @param[out] lcore_out  lcore chosen; may be NULL
 * @return 0; -EEXIST already added; -EINVAL lcore not one of the engine's;
 *         -ENOMEM.
 */
int uiommu_poll_viommu_add(struct uiommu_poll *p, struct uiommu_viommu *v,
			   int lcore, uint32_t *lcore_out);

/**
 * Remove a vIOMMU (and any queue of it still registered) and wait until no
 * lcore can touch it. Unknown vIOMMUs are ignored. Never fails.
 * @param p  engine
 * @param v  the vIOMMU
 */
void uiommu_poll_viommu_del(struct uiommu_poll *p, struct uiommu_viommu *v);

/**
 * Start polling a vCMDQ on its vIOMMU's lcore.
 * @param p  engine
 * @param q  the vCMDQ (its vIOMMU added before)
 * @param[out] lcore_out  lcore serving it; may be NULL
 * @return 0; -ENOENT its vIOMMU is not added; -EEXIST already added; -ENOMEM.
 */
int uiommu_poll_vcmdq_add(struct uiommu_poll *p, struct uiommu_vcmdq *q,
			  uint32_t *lcore_out);

/**
 * Stop polling a vCMDQ and wait until no lcore is inside
 * uiommu_vcmdq_process() on it. Unknown queues are ignored. Never fails.
 * @param p  engine
 * @param q  the vCMDQ
 */
void uiommu_poll_vcmdq_del(struct uiommu_poll *p, struct uiommu_vcmdq *q);

/**
 * Take every object of a VM out of the lcores' sets and wait for
 * quiescence; pauses do not nest.
 * @param p  engine
 * @param vm  the VM
 */
void uiommu_poll_vm_pause(struct uiommu_poll *p, struct uiommu_vm *vm);

/**
 * Put a paused VM's objects back.
 * @param p  engine
 * @param vm  the VM
 */
void uiommu_poll_vm_resume(struct uiommu_poll *p, struct uiommu_vm *vm);

/**
 * Inline mode: run one pass over the inline set on the calling thread.
 * @param p  engine
 * @return units of work done (commands + backend work).
 */
unsigned int uiommu_poll_run_once(struct uiommu_poll *p);

/**
 * Whether the engine runs inline (no polling lcore).
 * @param p  engine
 * @return true in inline mode.
 */
bool uiommu_poll_is_inline(const struct uiommu_poll *p);

/**
 * Number of lcore slots (1 in inline mode).
 * @param p  engine
 * @return slots.
 */
uint32_t uiommu_poll_nb_slots(const struct uiommu_poll *p);

/**
 * Counters of a slot (lock-free; each counter read atomically).
 * @param p  engine
 * @param slot  0..uiommu_poll_nb_slots() - 1
 * @param[out] st  filled
 * @return 0; -ENOENT no such slot.
 */
int uiommu_poll_slot_stats(const struct uiommu_poll *p, uint32_t slot,
			   struct uiommu_poll_lcore_stats *st);

/**
 * Slot of an EAL lcore id.
 * @param p  engine
 * @param lcore  lcore id
 * @return slot (>= 0); -ENOENT not a polling lcore of the engine.
 */
int uiommu_poll_lcore_slot(const struct uiommu_poll *p, uint32_t lcore);

/**
 * Lcore serving a vIOMMU.
 * @param p  engine
 * @param v  the vIOMMU
 * @return EAL lcore id (>= 0); -ENOENT not added.
 */
int uiommu_poll_viommu_lcore(struct uiommu_poll *p,
			     const struct uiommu_viommu *v);

#ifdef __cplusplus
}
#endif

#endif /* UIOMMU_POLL_H */
