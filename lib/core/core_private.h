/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Private to lib/core: the object structs and the helpers shared by the
 * object files (core.c, vm.c, viommu.c, vdevice.c, vcmdq.c) and the fast
 * path (dispatch.c, event.c). Never installed.
 *
 * Locking. Every control-path entry point takes the core lock
 * (core_lock()/core_unlock(), one recursive process-wide mutex) and calls
 * only *_locked helpers inside. The fast path never takes it: what it reads
 * is changed only between the poller's vm_pause and vm_resume hooks
 * (core_pause()/core_resume()), or before the object is published.
 *
 * Field ownership, per struct below: "[C]" written by the control path
 * only (under the lock, with the VM paused when the fast path reads it),
 * "[F]" written by the fast path only (the owning lcore), "[R]" set at
 * creation and read-only afterwards.
 */
#ifndef UIOMMU_CORE_PRIVATE_H
#define UIOMMU_CORE_PRIVATE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/queue.h>

#include <rte_common.h>
#include <rte_debug.h>

#include "uiommu_backend.h"
#include "uiommu_core.h"
#include "uiommu_fail.h"
#include "uiommu_gmem.h"
#include "uiommu_iova.h"
#include "uiommu_log.h"
#include "uiommu_vcmdq.h"

extern int uiommu_logtype_core;
#define CORE_LOG(level, fmt, ...) \
	UIOMMU_LOG(level, uiommu_logtype_core, fmt, ##__VA_ARGS__)

/* ---- vDEVICE -------------------------------------------------------- */

struct uiommu_vdevice {
	struct uiommu_viommu *viommu;   /* [R] parent */
	void *priv;                     /* [R] backend device */
	uint32_t vsid;                  /* [R] guest stream ID */
	uint32_t slot;                  /* [R] register page slot */
	int fd;                         /* [R] backend's fd for the VMM, or -1 */
	bool has_regs;                  /* [R] the device uses its page */
	bool blocked;                   /* [F] no configuration applied */
	uint8_t ste_config;             /* [F] STE.Config last applied */
	uint64_t ste_updates;           /* [F] configurations applied */
	uint64_t ste_bad;               /* [F] guest STEs refused */
	char spec[UIOMMU_VDEVICE_SPEC_MAX]; /* [R] */
};

/* ---- core event ring (events the core raises itself) ----------------- */

/*
 * Single producer (the vIOMMU's lcore, in dispatch), single consumer
 * (uiommu_viommu_event_read). E1 producer release-store of head <-> E2
 * consumer acquire-load of head; E3 consumer release-store of tail <-> E4
 * producer acquire-load of tail.
 */
struct core_evq {
	uint32_t head;                  /* [F] next slot to write */
	uint32_t tail;                  /* consumer: next slot to read */
	uint64_t raised;                /* [F] events pushed */
	uint64_t lost;                  /* [F] events dropped, ring full */
	uint64_t lost_seen;             /* consumer: lost already reported */
	struct uiommu_event ev[UIOMMU_CORE_EVTQ_ENTRIES];
};

/* ---- vIOMMU ---------------------------------------------------------- */

struct uiommu_viommu {
	/*
	 * Hot, read by the dispatch of every queue of this vIOMMU: one cache
	 * line (checked in viommu.c), then the vSID table.
	 */
	const struct uiommu_backend_ops *ops;  /* [R] */
	void *priv;                            /* [R] backend vIOMMU */
	const struct uiommu_gmem *gmem;        /* [R] the VM's RAM */
	uint64_t strtab_gpa;                   /* [C] */
	uint32_t strtab_log2;                  /* [C] */
	uint32_t nr_vdev;                      /* [C] */
	uint16_t vmid;                         /* [R] */
	bool strtab_set;                       /* [C] */
	struct core_evq *evq;                  /* [R] */
	/* vSID table, compact, in creation order: vsid[i] names vdev[i]. */
	uint32_t vdev_vsid[UIOMMU_MAX_VDEVICES];        /* [C] */
	struct uiommu_vdevice *vdev[UIOMMU_MAX_VDEVICES]; /* [C] */

	/* Cold: control path only. */
	struct uiommu_vm *vm;                  /* [R] parent */
	uint32_t index;                        /* [R] slot in the VM */
	uint32_t nr_vcmdq;                     /* [C] */
	struct uiommu_vcmdq *vcmdq[UIOMMU_MAX_VCMDQS]; /* [C] by index */
	uint64_t slots_used;                   /* [C] register page slots */
	int ctrl_fd;                           /* [R] control region memfd */
	uint8_t *ctrl;                         /* [R] its mapping */
};

_Static_assert(UIOMMU_MAX_VDEVICES <= 64, "slots_used is one 64-bit word");

/* ---- vCMDQ ----------------------------------------------------------- */

/* Counters of the dispatch not kept by the ring consumer. [F] */
struct vcmdq_counters {
	uint64_t syncs;
	uint64_t batches;
	uint64_t backend_calls;
	uint64_t msi_writes;
	uint64_t msi_dropped;
	uint64_t busy_cycles;
	uint64_t idle_cycles;
};

struct uiommu_vcmdq {
	/*
	 * Cache line 0: the ring consumer (lib/cmdq): private CONS, avail,
	 * error state, consumed/error counters. The only private line an idle
	 * poll touches (plus the queue's register block in the control page).
	 */
	struct uiommu_vcmdq_cons cons __rte_cache_aligned;          /* [F] */
	/* Cache line 1: dispatch context and counters (busy passes only). */
	struct uiommu_viommu *viommu __rte_cache_aligned;           /* [R] */
	struct vcmdq_counters ctr;                                  /* [F] */
	/* Cold: identity, then the per-pass scratch (busy passes only). */
	uint32_t index __rte_cache_aligned;                         /* [R] */
	uint32_t log2size;                                          /* [R] */
	uint64_t base_gpa;                                          /* [R] */
	struct uiommu_cmd cmds[UIOMMU_BATCH_MAX];   /* [F] private copies */
	uint16_t inv_cmd[UIOMMU_BATCH_MAX];         /* [F] batch entry -> cmds[] */
	struct uiommu_inv batch[UIOMMU_BATCH_MAX];  /* [F] */
};

/* ---- VM -------------------------------------------------------------- */

struct uiommu_vm {
	struct uiommu_gmem gmem;               /* [C] read by the fast path */
	uint32_t id;                           /* [R] */
	char name[UIOMMU_VM_NAME_MAX];         /* [R] */
	struct uiommu_ioas *s2;                /* [C] stage-2 IOAS: GPA -> hva */
	struct uiommu_viommu *viommu[UIOMMU_MAX_VIOMMUS_PER_VM]; /* [C] */
	uint32_t nr_viommu;                    /* [C] */
	TAILQ_ENTRY(uiommu_vm) link;           /* [C] published VMs */
};

/* ---- core.c ---------------------------------------------------------- */

void core_lock(void);
void core_unlock(void);
/* Poller hooks (no-ops when none are registered). */
void core_pause(struct uiommu_vm *vm);
void core_resume(struct uiommu_vm *vm);
void core_retire_vcmdq(struct uiommu_vcmdq *q);
void core_retire_viommu(struct uiommu_viommu *v);
/* VMID bitmap. @return 0 with *vmid, -ENOSPC. */
int core_vmid_alloc(uint16_t *vmid);
void core_vmid_free(uint16_t vmid);
/* Global VM list. */
int core_vm_name_check(const char *name);
int core_vm_link(struct uiommu_vm *vm);
void core_vm_unlink(struct uiommu_vm *vm);
uint32_t core_vm_next_id(void);

/* ---- object files ---------------------------------------------------- */

/* viommu.c: map / unmap one region in a vIOMMU's stage-2. */
int viommu_s2_map(struct uiommu_viommu *v, const struct uiommu_gmem_region *r);
void viommu_s2_unmap(struct uiommu_viommu *v, const struct uiommu_gmem_region *r);
void viommu_destroy_locked(struct uiommu_viommu *v);
/* True when a vCMDQ ring or the stream table of v lies in [gpa, last]. */
bool viommu_uses_range(const struct uiommu_viommu *v, uint64_t gpa,
		       uint64_t last);
/* vdevice.c: unbind; pause the VM around it unless the caller did. */
void vdevice_del_locked(struct uiommu_vdevice *d, bool pause);
/* vcmdq.c */
void vcmdq_destroy_locked(struct uiommu_vcmdq *q);
/* event.c: raise an event from the fast path (the vIOMMU's lcore). */
void core_evq_push(struct uiommu_viommu *v, uint8_t id, uint32_t vsid);
struct core_evq *core_evq_alloc(void);
void core_evq_free(struct core_evq *q);

/* Relaxed counter update by the single writer (readers use relaxed loads). */
#define CORE_STAT_ADD(field, val) \
	__atomic_store_n(&(field), (field) + (val), __ATOMIC_RELAXED)
#define CORE_STAT_GET(field) __atomic_load_n(&(field), __ATOMIC_RELAXED)

#endif /* UIOMMU_CORE_PRIVATE_H */
