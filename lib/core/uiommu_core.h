/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * uiommu core: the object model (VM, vIOMMU, vDEVICE, vCMDQ) and the
 * dispatch of guest commands.
 *
 * **Objects** (iommufd's vocabulary, design §2):
 *  - **VM** (struct uiommu_vm): one client's guest. Owns the guest RAM
 *    regions (struct uiommu_gmem, the only way to touch guest memory) and a
 *    stage-2 IOAS mirroring them (GPA -> host VA).
 *  - **vIOMMU** (struct uiommu_viommu): the slice of one backend IOMMU given
 *    to the VM: a VMID allocated by the manager (unique per manager), the
 *    backend's stage-2 domain holding every RAM region, the guest's stream
 *    table (base GPA, log2 size), its vDEVICEs and vCMDQs, and a shared
 *    **control region** (a memfd) that the VMM maps into the guest.
 *  - **vDEVICE** (struct uiommu_vdevice): vSID -> backend device.
 *  - **vCMDQ** (struct uiommu_vcmdq): an SMMUv3 command ring in guest RAM
 *    plus its register block in the control region.
 *
 * Ownership is a strict tree: a VM owns its vIOMMUs, a vIOMMU its vDEVICEs
 * and vCMDQs. Destroying a parent destroys its children. Every destroy
 * accepts NULL and never fails.
 *
 * **Creation is two-phase** (as iommufd): an object is built hidden, every
 * resource it needs is acquired (each guarded by uiommu_should_fail()), and
 * it is published into its parent only once nothing can fail any more. A
 * failed create leaves no trace.
 *
 * **Control region** of a vIOMMU (offsets from the start of the memfd):
 *  - [0, UIOMMU_VCMDQ_PAGE_SIZE): the vCMDQ control page (struct
 *    uiommu_vcmdq_page, CMDQV VINTF page0 layout, queue i at 0x80 * i);
 *  - then one 4 KiB register page per vDEVICE slot, slot s at
 *    UIOMMU_CTRL_DEV_OFFSET + 4096 * s (soft DMA engines' doorbells).
 *
 * **Threading contract.**
 *  - *Control path*: every function not listed below. They serialise on one
 *    process-wide core lock, so they may be called from any thread (the
 *    control thread, a telemetry thread); the intended caller is the
 *    manager's one control thread. They may block and allocate.
 *  - *Fast path*: uiommu_vcmdq_process() and uiommu_viommu_poll() run on the
 *    polling lcore that owns the vIOMMU. **All vCMDQs of one vIOMMU and its
 *    uiommu_viommu_poll() must be driven by the same lcore** (the backend
 *    sees one fast-path caller per vIOMMU, and the per-vIOMMU event ring has
 *    one producer). They take no lock, make no syscall, allocate nothing.
 *    uiommu_vcmdq_stats_get() and uiommu_vcmdq_account() are lock-free too.
 *    uiommu_viommu_event_read() is lock-free and may be called from any
 *    one thread at a time per vIOMMU.
 *  - *Quiescence*: the fast path reads state that the control path changes
 *    (guest RAM regions, the vSID table, the stream table) and control
 *    operations must not run concurrently with the backend's fast path on
 *    the same vIOMMU. The core does not know the lcores; the poller (lib/mgr)
 *    registers struct uiommu_core_hooks with uiommu_core_hooks_set():
 *     - vm_pause(vm) / vm_resume(vm) bracket every control operation that
 *       changes what the fast path of @p vm reads (MEM_ADD/DEL, VDEVICE
 *       ADD/DEL, SET_STRTAB). When vm_pause returns, no thread may be inside
 *       or enter uiommu_vcmdq_process() / uiommu_viommu_poll() on an object
 *       of @p vm until vm_resume. The core never nests pauses.
 *     - vcmdq_retire(q) is called before a vCMDQ is freed (by
 *       uiommu_vcmdq_destroy or a cascading destroy); viommu_retire(v)
 *       before a vIOMMU is freed, after all its queues were retired. When
 *       the hook returns, no thread may be inside or ever again enter a
 *       fast-path function on that object (the poller unlinks it from its
 *       lcore's list and waits for a quiescent state, e.g. rte_rcu QSBR).
 *    Hooks are called with the core lock held: they must not call back into
 *    the core's control path. With no hooks registered (unit tests, single
 *    thread) the calls are skipped.
 *  - *Backend ops*: the core calls a backend's control ops (viommu_alloc,
 *    s2_map, vdevice_alloc, ...) on the control thread with the VM paused
 *    when the vIOMMU may be polled; it calls invalidate() **and
 *    vdevice_set_ste()** (for CFGI_STE / CFGI_ALL) from the dispatch, on the
 *    vIOMMU's lcore.
 *
 * **Fault injection**: every create path calls uiommu_should_fail() before
 * each resource it acquires (memory, fd, mapping, VMID, backend object,
 * stage-2 map); an injected failure returns -ENOMEM (-ENOSPC for the VMID)
 * and unwinds like the real one.
 *
 * **Errors**: negative errno, one meaning each (uiommu_common.h).
 */
#ifndef UIOMMU_CORE_H
#define UIOMMU_CORE_H

#include <stdbool.h>
#include <stdint.h>

#include "uiommu_common.h"
#include "uiommu_backend.h"
#include "uiommu_vcmdq.h"

#ifdef __cplusplus
extern "C" {
#endif

struct uiommu_vm;
struct uiommu_viommu;
struct uiommu_vdevice;
struct uiommu_vcmdq;

/** Longest VM name, including the terminating NUL. */
#define UIOMMU_VM_NAME_MAX 32
/** Longest vDEVICE spec ("backend:device"), including the NUL. */
#define UIOMMU_VDEVICE_SPEC_MAX 64
/** Size of one vDEVICE register page in the control region. */
#define UIOMMU_CTRL_DEV_PAGE_SIZE 4096
/** Offset of the vCMDQ control page in the control region. */
#define UIOMMU_CTRL_VCMDQ_OFFSET 0
/** Offset of the first vDEVICE register page in the control region. */
#define UIOMMU_CTRL_DEV_OFFSET UIOMMU_VCMDQ_PAGE_SIZE
/** Size of a vIOMMU's control region. */
#define UIOMMU_CTRL_SIZE \
	(UIOMMU_CTRL_DEV_OFFSET + \
	 (uint64_t)UIOMMU_MAX_VDEVICES * UIOMMU_CTRL_DEV_PAGE_SIZE)
/** Largest VMID the manager hands out (VMID 0 is never used). */
#define UIOMMU_VMID_MAX 0xffff

/* ------------------------------------------------------------------ */
/* Quiescence hooks (see the threading contract above)                 */
/* ------------------------------------------------------------------ */

/** How the core asks the poller to stop touching objects. */
struct uiommu_core_hooks {
	/** Stop all fast-path work on @p vm; return once quiescent. */
	void (*vm_pause)(void *arg, struct uiommu_vm *vm);
	/** Fast-path work on @p vm may resume. */
	void (*vm_resume)(void *arg, struct uiommu_vm *vm);
	/** @p q is about to be freed: stop polling it for good; return once no
	 *  thread is or can be inside uiommu_vcmdq_process(q). */
	void (*vcmdq_retire)(void *arg, struct uiommu_vcmdq *q);
	/** @p v is about to be freed: stop calling uiommu_viommu_poll(v) for
	 *  good; return once no thread is or can be inside it. */
	void (*viommu_retire)(void *arg, struct uiommu_viommu *v);
	/** Opaque argument passed to every hook. */
	void *arg;
};

/**
 * Register the poller's quiescence hooks (replacing earlier ones).
 * @param hooks  copied; NULL removes them. Individual members may be NULL.
 * @return 0.
 */
int uiommu_core_hooks_set(const struct uiommu_core_hooks *hooks);

/* ------------------------------------------------------------------ */
/* VM                                                                  */
/* ------------------------------------------------------------------ */

/**
 * Create a VM (no memory, no vIOMMU yet).
 * @param name  unique, 1..UIOMMU_VM_NAME_MAX-1 characters
 * @param[out] out  the VM
 * @return 0; -EINVAL (name NULL, empty or too long, out NULL), -EEXIST (a VM
 *         of that name exists), -ENOSPC (UIOMMU_MAX_VMS reached), -ENOMEM.
 */
int uiommu_vm_create(const char *name, struct uiommu_vm **out);

/**
 * Destroy a VM and everything it holds: vIOMMUs (their vCMDQs and vDEVICEs
 * first, each retired through the hooks), stage-2 maps, RAM mappings and
 * fds. Never fails.
 * @param vm  the VM, or NULL (no-op)
 */
void uiommu_vm_destroy(struct uiommu_vm *vm);

/**
 * Add a guest RAM region backed by a file: validate, mmap it MAP_SHARED,
 * record it in the VM's guest memory and stage-2 IOAS, and map it into the
 * stage-2 of every vIOMMU of the VM. All or nothing.
 *
 * @param vm  the VM
 * @param gpa  first guest-physical address, 4 KiB aligned
 * @param size  bytes, non-zero, multiple of 4 KiB
 * @param fd  a regular file (memfd, hugetlbfs, tmpfs) of at least
 *            offset + size bytes; the core dup()s it (the caller keeps its fd)
 * @param offset  offset of the region in the file, 4 KiB aligned
 * @return 0; -EINVAL (vm NULL, misaligned, size 0, not a regular file,
 *         file too small), -EOVERFLOW (gpa + size - 1 or offset + size wraps),
 *         -EBADF (fd not open), -EEXIST (overlaps a region), -ENOSPC
 *         (UIOMMU_MAX_MEM_REGIONS reached), -ENOMEM, or the errno of mmap
 *         or of a backend's s2_map.
 */
int uiommu_vm_mem_add(struct uiommu_vm *vm, uint64_t gpa, uint64_t size,
		      int fd, uint64_t offset);

/**
 * Add a guest RAM region backed by memory the caller already mapped (tests,
 * embedded use). The caller keeps @p hva mapped until the region is deleted
 * or the VM destroyed. Same checks and effects as uiommu_vm_mem_add().
 * @param vm  the VM
 * @param gpa  first guest-physical address, 4 KiB aligned
 * @param size  bytes, non-zero, multiple of 4 KiB
 * @param hva  host address of the region, 4 KiB aligned
 * @return 0; -EINVAL (vm or hva NULL, misaligned, size 0), -EOVERFLOW,
 *         -EEXIST, -ENOSPC, -ENOMEM, or a backend's s2_map errno.
 */
int uiommu_vm_mem_add_hva(struct uiommu_vm *vm, uint64_t gpa, uint64_t size,
			  void *hva);

/**
 * Remove the region that starts at @p gpa with exactly @p size bytes: unmap
 * it from every vIOMMU's stage-2, from the IOAS, munmap it, close its fd.
 * @param vm  the VM
 * @param gpa  first guest-physical address of the region
 * @param size  its size
 * @return 0; -EINVAL (vm NULL), -ENOENT (no such region), -EBUSY (a vCMDQ
 *         ring or a stream table lies in it).
 */
int uiommu_vm_mem_del(struct uiommu_vm *vm, uint64_t gpa, uint64_t size);

/**
 * The VM's guest memory (read-only view, valid while the VM lives).
 * @param vm  the VM
 * @return the region set.
 */
const struct uiommu_gmem *uiommu_vm_gmem(const struct uiommu_vm *vm);

/** What the introspection of a VM reports. */
struct uiommu_vm_info {
	uint32_t id;                     /**< manager-wide VM id */
	char name[UIOMMU_VM_NAME_MAX];   /**< name given at creation */
	uint32_t nr_regions;             /**< RAM regions */
	uint64_t ram_bytes;              /**< total RAM registered */
	uint32_t nr_viommus;             /**< published vIOMMUs */
};

/**
 * Describe a VM.
 * @param vm  the VM
 * @param[out] info  filled
 * @return 0; -EINVAL if an argument is NULL.
 */
int uiommu_vm_info_get(const struct uiommu_vm *vm, struct uiommu_vm_info *info);

/* ------------------------------------------------------------------ */
/* vIOMMU                                                              */
/* ------------------------------------------------------------------ */

/**
 * Create a vIOMMU of @p vm on a backend: allocate a VMID, the backend's
 * vIOMMU, map every RAM region into its stage-2, create the control region.
 * Published last.
 * @param vm  the VM
 * @param backend  registered backend name ("soft", "vfio", "iommufd", "mock")
 * @param args  backend arguments (kvargs string) or NULL
 * @param[out] out  the vIOMMU
 * @return 0; -EINVAL (NULL argument), -ENOENT (no such backend),
 *         -EOPNOTSUPP (the backend lacks viommu_alloc or s2_map), -ENOSPC
 *         (UIOMMU_MAX_VIOMMUS_PER_VM reached or no VMID left), -ENOMEM, or
 *         the errno of a backend op or of memfd_create/ftruncate/mmap.
 */
int uiommu_viommu_create(struct uiommu_vm *vm, const char *backend,
			 const char *args, struct uiommu_viommu **out);

/**
 * Destroy a vIOMMU: its vCMDQs (retired first), its vDEVICEs, its stage-2
 * maps, the backend vIOMMU, the control region; releases the VMID.
 * @param v  the vIOMMU, or NULL (no-op)
 */
void uiommu_viommu_destroy(struct uiommu_viommu *v);

/**
 * Set (or replace) the guest's linear stream table. The whole table,
 * 2^log2size STEs of 64 bytes, must lie inside one RAM region. STEs are read
 * only on CFGI_STE / CFGI_ALL.
 * @param v  the vIOMMU
 * @param base_gpa  GPA of STE 0, 64-byte aligned
 * @param log2size  log2 of the number of STEs, 0..UIOMMU_MAX_STRTAB_LOG2
 * @return 0; -EINVAL (v NULL, misaligned, log2size too large or too small
 *         for an existing vDEVICE's vSID), -EOVERFLOW (the table wraps), -EFAULT
 *         (not wholly inside one RAM region).
 */
int uiommu_viommu_set_strtab(struct uiommu_viommu *v, uint64_t base_gpa,
			     uint32_t log2size);

/**
 * Forget the stream table (CFGI_STE then blocks the device and raises
 * C_BAD_STREAMID). Never fails.
 * @param v  the vIOMMU
 */
void uiommu_viommu_clear_strtab(struct uiommu_viommu *v);

/**
 * The control region, to pass to the VMM by SCM_RIGHTS. The fd stays owned
 * by the vIOMMU (the receiver gets its own copy).
 * @param v  the vIOMMU
 * @param[out] fd  memfd of the control region
 * @param[out] size  its size (UIOMMU_CTRL_SIZE)
 * @return 0; -EINVAL if an argument is NULL.
 */
int uiommu_viommu_ctrl_fd(const struct uiommu_viommu *v, int *fd,
			  uint64_t *size);

/**
 * The manager's own mapping of the control region (tests, the guest
 * simulator when it runs in-process).
 * @param v  the vIOMMU
 * @return host address of offset 0 of the control region.
 */
void *uiommu_viommu_ctrl_base(const struct uiommu_viommu *v);

/**
 * The VMID the manager gave the vIOMMU.
 * @param v  the vIOMMU
 * @return VMID, 1..UIOMMU_VMID_MAX.
 */
uint16_t uiommu_viommu_vmid(const struct uiommu_viommu *v);

/**
 * The VM a vIOMMU belongs to.
 * @param v  the vIOMMU
 * @return its VM.
 */
struct uiommu_vm *uiommu_viommu_vm(const struct uiommu_viommu *v);

/**
 * Fast path: the backend's own polled work for this vIOMMU (soft: DMA
 * engines whose doorbell rang). Call on the lcore that owns the vIOMMU.
 * @param v  the vIOMMU
 * @param budget  most units of work
 * @return units of work done (0 when the backend has no poll op).
 */
unsigned int uiommu_viommu_poll(struct uiommu_viommu *v, unsigned int budget);

/**
 * Pop events of a vIOMMU: first those the core raised itself (C_BAD_STE,
 * C_BAD_STREAMID on CFGI), then the backend's (faults). Lock-free; one
 * caller at a time per vIOMMU.
 * @param v  the vIOMMU
 * @param[out] ev  room for n events
 * @param n  events wanted
 * @param[out] lost  events dropped (ring full) since the last call; may be NULL
 * @return events popped, 0..n.
 */
unsigned int uiommu_viommu_event_read(struct uiommu_viommu *v,
				      struct uiommu_event *ev, unsigned int n,
				      uint64_t *lost);

/** What the introspection of a vIOMMU reports. */
struct uiommu_viommu_info {
	uint32_t vm_id;           /**< VM id */
	uint32_t index;           /**< slot in the VM (0..UIOMMU_MAX_VIOMMUS_PER_VM-1) */
	uint16_t vmid;            /**< VMID */
	char backend[32];         /**< backend name */
	bool strtab_set;          /**< a stream table is registered */
	uint64_t strtab_gpa;      /**< its base */
	uint32_t strtab_log2;     /**< its log2 size */
	uint32_t nr_vdevices;     /**< published vDEVICEs */
	uint32_t nr_vcmdqs;       /**< published vCMDQs */
	/**
	 * Event records raised for the vIOMMU, read or not: those the core
	 * raises (C_BAD_STE / C_BAD_STREAMID at a CFGI) plus the backend's
	 * (device faults: translation faults, C_BAD_STE of an invalid STE,
	 * the vfio backend's MAP_LIMIT, ...; backends with an event_count op).
	 */
	uint64_t events;
	uint64_t events_lost;     /**< records dropped, ring full (core + backend) */
};

/**
 * Describe a vIOMMU.
 * @param v  the vIOMMU
 * @param[out] info  filled
 * @return 0; -EINVAL if an argument is NULL.
 */
int uiommu_viommu_info_get(const struct uiommu_viommu *v,
			   struct uiommu_viommu_info *info);

/**
 * Dump the vIOMMU's stage-2 table (the manager's, GPA -> host), same rules
 * as uiommu_vdevice_pt_dump() (req->ssv must be false). Host addresses are
 * never reported: entries come with out_hidden, res with ttb_hidden. A
 * vIOMMU without a stage-2 table of its own is res->state BYPASS.
 * @param v  the vIOMMU
 * @param req  range and limits
 * @param cb  called per entry (non-zero stops the dump)
 * @param arg  passed to cb
 * @param[out] res  outcome
 * @return 0; -EINVAL (as uiommu_vdevice_pt_dump(), or ssv set);
 *         -EOPNOTSUPP (the backend's stage 2 is not a table it can dump,
 *         e.g. the kernel's); cb's non-zero return; or the backend's errno.
 */
int uiommu_viommu_pt_dump(struct uiommu_viommu *v,
			  const struct uiommu_pt_dump_req *req,
			  uiommu_pt_dump_cb cb, void *arg,
			  struct uiommu_pt_dump_res *res);

/* ------------------------------------------------------------------ */
/* vDEVICE                                                             */
/* ------------------------------------------------------------------ */

/** A vDEVICE as reported by uiommu_vdevice_add() and introspection. */
struct uiommu_vdevice_info {
	uint32_t vsid;                        /**< guest stream ID */
	char spec[UIOMMU_VDEVICE_SPEC_MAX];   /**< "backend:device" */
	int fd;                  /**< device fd for the VMM (vfio), or -1; owned by the backend */
	bool has_regs;           /**< the device uses a register page */
	uint64_t regs_offset;    /**< its offset in the control region */
	bool blocked;            /**< no valid configuration applied (abort) */
	uint8_t ste_config;      /**< STE.Config last applied (enum uiommu_ste_config) */
	uint64_t ste_updates;    /**< configurations applied (CFGI_STE, CFGI_ALL) */
	uint64_t ste_bad;        /**< guest STEs refused (device blocked) */
};

/**
 * Bind a backend device to a vSID of the vIOMMU. The device starts blocked
 * until the guest configures it (CFGI_STE).
 * @param v  the vIOMMU
 * @param vsid  guest stream ID: unique in the vIOMMU, below 2^log2size of
 *              the stream table when one is set
 * @param spec  "backend:device", e.g. "soft:dma0", "mock:0",
 *              "vfio:0000:00:03.0"; the prefix must be the vIOMMU's backend
 * @param[out] out  fd and register page to hand to the VMM; may be NULL
 * @param[out] vdev  the vDEVICE; may be NULL
 * @return 0; -EINVAL (malformed spec, wrong backend prefix, vsid outside the
 *         stream table), -EEXIST (vsid in use), -ENOSPC (UIOMMU_MAX_VDEVICES
 *         reached), -EOPNOTSUPP (backend lacks vdevice_alloc), -ENOMEM, or
 *         the backend's errno (-ENOENT: no such device, -EBUSY: in use).
 */
int uiommu_vdevice_add(struct uiommu_viommu *v, uint32_t vsid,
		       const char *spec, struct uiommu_vdevice_info *out,
		       struct uiommu_vdevice **vdev);

/**
 * Unbind the vDEVICE of a vSID (blocked, then freed by the backend).
 * @param v  the vIOMMU
 * @param vsid  guest stream ID
 * @return 0; -EINVAL (v NULL), -ENOENT (no vDEVICE with that vSID).
 */
int uiommu_vdevice_del(struct uiommu_viommu *v, uint32_t vsid);

/**
 * Find the vDEVICE of a vSID.
 * @param v  the vIOMMU
 * @param vsid  guest stream ID
 * @return the vDEVICE, or NULL.
 */
struct uiommu_vdevice *uiommu_vdevice_find(const struct uiommu_viommu *v,
					   uint32_t vsid);

/**
 * Describe a vDEVICE.
 * @param d  the vDEVICE
 * @param[out] info  filled
 * @return 0; -EINVAL if an argument is NULL.
 */
int uiommu_vdevice_info_get(const struct uiommu_vdevice *d,
			    struct uiommu_vdevice_info *info);

/**
 * Translate a device access through the backend (inspection: uiommu-ctl).
 * It is a probe, not a transaction: the backend is called with
 * UIOMMU_ACCESS_PROBE, so a fault comes back in out->fault and is recorded
 * nowhere (no event on the vIOMMU's queue); only the backend's caches
 * (IOTLB) may change.
 * @param d  the vDEVICE
 * @param iova  address the device would access
 * @param access  UIOMMU_ACCESS_READ and/or UIOMMU_ACCESS_WRITE
 * @param[out] out  result; out->fault filled on -EFAULT
 * @return 0; -EINVAL (NULL argument, access 0 or unknown bits),
 *         -EOPNOTSUPP (backend lacks translate), -EFAULT (the access faults),
 *         or the backend's errno.
 */
int uiommu_vdevice_translate(struct uiommu_vdevice *d, uint64_t iova,
			     uint32_t access, struct uiommu_xlate *out);

/**
 * Dump the guest stage-1 tables the device translates through now
 * (inspection: PT_DUMP). The backend reads every guest descriptor through
 * guest memory with bounds checks, at most req->max_reads of them, and
 * calls @p cb at most req->max_entries times, whole paths only; when it
 * stops early res->more is set and res->next is where to go on. A device
 * without a stage-1 table in force is a success: res->state says why
 * (ABORT, BYPASS, BAD_STE, FAULT with res->event) and no entry is
 * reported. Records no event.
 * @param d  the vDEVICE
 * @param req  range, limits, substream
 * @param cb  called per entry (non-zero stops the dump)
 * @param arg  passed to cb
 * @param[out] res  outcome
 * @return 0; -EINVAL (NULL argument, first > last, a limit below
 *         UIOMMU_PT_DUMP_MIN_ENTRIES or max_reads above
 *         UIOMMU_PT_DUMP_MAX_READS, ssid without ssv); -EOPNOTSUPP
 *         (the backend cannot dump); cb's non-zero return; or the
 *         backend's errno.
 */
int uiommu_vdevice_pt_dump(struct uiommu_vdevice *d,
			   const struct uiommu_pt_dump_req *req,
			   uiommu_pt_dump_cb cb, void *arg,
			   struct uiommu_pt_dump_res *res);

/* ------------------------------------------------------------------ */
/* vCMDQ                                                               */
/* ------------------------------------------------------------------ */

/**
 * Create a vCMDQ: ring of 2^log2size 16-byte commands at @p base_gpa, its
 * registers (disabled: all zero) at *ctrl_offset in the control region.
 * The guest starts it through CONFIG.EN (lib/cmdq handshake).
 * @param v  the vIOMMU
 * @param index  queue index, < UIOMMU_MAX_VCMDQS, not in use
 * @param log2size  UIOMMU_VCMDQ_MIN_LOG2..UIOMMU_VCMDQ_MAX_LOG2
 * @param base_gpa  ring base, aligned to the ring size (16 << log2size)
 * @param[out] out  the vCMDQ
 * @param[out] ctrl_offset  offset of its register block in the control
 *                          region; may be NULL
 * @return 0; -EINVAL (index or log2size out of range, misaligned base,
 *         out NULL), -EEXIST (index in use), -EOVERFLOW (the ring wraps),
 *         -EFAULT (the ring is not wholly inside one RAM region), -ENOMEM.
 */
int uiommu_vcmdq_create(struct uiommu_viommu *v, uint32_t index,
			uint32_t log2size, uint64_t base_gpa,
			struct uiommu_vcmdq **out, uint64_t *ctrl_offset);

/**
 * Destroy a vCMDQ (retired through the hooks first). Its registers are
 * reset to the disabled state. Never fails.
 * @param q  the vCMDQ, or NULL (no-op)
 */
void uiommu_vcmdq_destroy(struct uiommu_vcmdq *q);

/**
 * The vCMDQ of an index.
 * @param v  the vIOMMU
 * @param index  queue index
 * @return the vCMDQ, or NULL.
 */
struct uiommu_vcmdq *uiommu_vcmdq_find(const struct uiommu_viommu *v,
				       uint32_t index);

/**
 * The vIOMMU a vCMDQ belongs to (to place all its queues on one lcore).
 * @param q  the vCMDQ
 * @return its vIOMMU.
 */
struct uiommu_viommu *uiommu_vcmdq_viommu(const struct uiommu_vcmdq *q);

/** Per-queue statistics (monotonic counters). */
struct uiommu_vcmdq_stats {
	uint64_t commands;      /**< commands consumed and applied */
	uint64_t syncs;         /**< CMD_SYNCs completed */
	uint64_t batches;       /**< invalidation batches handed to the backend */
	uint64_t backend_calls; /**< backend calls (invalidate + set_ste) */
	uint64_t errors;        /**< queue errors raised (CERROR_ILL) */
	uint64_t msi_writes;    /**< CMD_SYNC MSI writes done */
	uint64_t msi_dropped;   /**< CMD_SYNC MSI writes dropped (outside RAM) */
	uint64_t busy_cycles;   /**< poller-accounted cycles with work */
	uint64_t idle_cycles;   /**< poller-accounted cycles without work */
	uint64_t bad_prod;      /**< polls that saw PROD behind CONS */
};

/**
 * Read a queue's statistics (lock-free, any thread; each counter is read
 * atomically, the set is not a snapshot).
 * @param q  the vCMDQ
 * @param[out] st  filled
 */
void uiommu_vcmdq_stats_get(const struct uiommu_vcmdq *q,
			    struct uiommu_vcmdq_stats *st);

/** What the introspection of a vCMDQ reports. */
struct uiommu_vcmdq_info {
	uint32_t index;          /**< queue index */
	uint32_t log2size;       /**< log2 of entries */
	uint64_t base_gpa;       /**< ring base */
	uint64_t ctrl_offset;    /**< register block in the control region */
	bool enabled;            /**< ENABLE_OK given */
	bool stopped;            /**< stopped on an error */
	uint32_t cons;           /**< manager's CONS (wrap|index) */
	struct uiommu_vcmdq_stats stats; /**< counters */
};

/**
 * Describe a vCMDQ.
 * @param q  the vCMDQ
 * @param[out] info  filled
 * @return 0; -EINVAL if an argument is NULL.
 */
int uiommu_vcmdq_info_get(const struct uiommu_vcmdq *q,
			  struct uiommu_vcmdq_info *info);

/**
 * Fast path: consume up to @p budget commands of a queue (the one function
 * a polling lcore calls per queue per pass). See dispatch.c for the rules:
 *  - each command is read once, decoded and validated as hostile input;
 *    VMIDs are forced to the vIOMMU's, vSIDs translated to backend devices;
 *  - consecutive invalidations are gathered into one batch (at most
 *    UIOMMU_BATCH_MAX) and handed to the backend in one invalidate() call;
 *    a batch is flushed at each CMD_SYNC, before each CFGI_STE / CFGI_ALL,
 *    before an illegal command, and at the end of each round of at most
 *    UIOMMU_BATCH_MAX commands (so at the end of the pass): it never spans
 *    two passes;
 *  - batch entries (struct uiommu_inv): TLBI_NSNH_ALL arrives as
 *    TLBI_NH_ALL; vmid is always the vIOMMU's (also written into raw[0]
 *    of TLBI_NH_*); ATC_INV/CFGI_STE/CFGI_CD/CFGI_CD_ALL carry vsid and
 *    dev; CFGI_ALL carries its stream-ID span in first/last (vsid = first)
 *    and dev = NULL;
 *  - CMD_SYNC publishes CONS past itself once everything before it was
 *    applied, then (CS=IRQ) writes MSIDATA to MSIADDR if that lies in RAM;
 *  - an illegal command or a backend failure stops the queue with CONS at
 *    exactly that command, CONS.ERR = CERROR_ILL, GERROR toggled; nothing
 *    after it is applied; the guest resumes it with GERRORN.
 * Also performs the CONFIG.EN handshake and GERRORN acknowledgement.
 * @param q  the vCMDQ
 * @param budget  most commands to consume (0 only runs the handshakes)
 * @return commands consumed (CONS advanced by), 0..budget.
 */
unsigned int uiommu_vcmdq_process(struct uiommu_vcmdq *q, unsigned int budget);

/**
 * Fast path: add poller-measured cycles to a queue's statistics (the
 * poller's busy/idle accounting hook). Call on the queue's lcore.
 * @param q  the vCMDQ
 * @param busy  cycles spent in passes that consumed commands
 * @param idle  cycles spent in passes that found nothing
 */
void uiommu_vcmdq_account(struct uiommu_vcmdq *q, uint64_t busy, uint64_t idle);

/* ------------------------------------------------------------------ */
/* Iteration (introspection, telemetry, ctl)                           */
/* ------------------------------------------------------------------ */

/**
 * Callbacks for iteration. Called with the core lock held, published
 * objects only; return non-zero to stop. A callback may
 * call the *_info_get()/find functions and nested iterators, never a
 * create or destroy.
 */
typedef int (*uiommu_vm_iter_cb)(struct uiommu_vm *vm, void *arg);
/** @see uiommu_vm_iter_cb */
typedef int (*uiommu_viommu_iter_cb)(struct uiommu_viommu *v, void *arg);
/** @see uiommu_vm_iter_cb */
typedef int (*uiommu_vdevice_iter_cb)(struct uiommu_vdevice *d, void *arg);
/** @see uiommu_vm_iter_cb */
typedef int (*uiommu_vcmdq_iter_cb)(struct uiommu_vcmdq *q, void *arg);

/**
 * Call @p cb for every VM.
 * @param cb  callback
 * @param arg  passed to cb
 * @return 0 after visiting all, the first non-zero value cb returned, or
 *         -EINVAL if cb is NULL.
 */
int uiommu_vm_foreach(uiommu_vm_iter_cb cb, void *arg);

/**
 * Call @p cb for every vIOMMU of a VM, in slot order.
 * @param vm  the VM
 * @param cb  callback
 * @param arg  passed to cb
 * @return 0 after visiting all, the first non-zero value cb returned, or
 *         -EINVAL if an argument is NULL.
 */
int uiommu_viommu_foreach(struct uiommu_vm *vm, uiommu_viommu_iter_cb cb,
			  void *arg);

/**
 * Call @p cb for every vDEVICE of a vIOMMU, in creation order.
 * @param v  the vIOMMU
 * @param cb  callback
 * @param arg  passed to cb
 * @return 0 after visiting all, the first non-zero value cb returned, or
 *         -EINVAL if an argument is NULL.
 */
int uiommu_vdevice_foreach(struct uiommu_viommu *v, uiommu_vdevice_iter_cb cb,
			   void *arg);

/**
 * Call @p cb for every vCMDQ of a vIOMMU, in index order.
 * @param v  the vIOMMU
 * @param cb  callback
 * @param arg  passed to cb
 * @return 0 after visiting all, the first non-zero value cb returned, or
 *         -EINVAL if an argument is NULL.
 */
int uiommu_vcmdq_foreach(struct uiommu_viommu *v, uiommu_vcmdq_iter_cb cb,
			 void *arg);

/* ------------------------------------------------------------------ */
/* The mock backend (tests of every library)                           */
/* ------------------------------------------------------------------ */

/**
 * The "mock" backend is part of the library: it records every call and
 * every invalidation batch, and can be told to fail. Devices are
 * "mock:N" with N < UIOMMU_MOCK_MAX_DEVICES; "mock:N" is refused with
 * -EBUSY while bound, any other name with -ENOENT. Records are global to
 * the process (tests are single-threaded on the control path); the fast
 * path appends to them without locks, so read them on the lcore or after
 * the poller stopped.
 */
#define UIOMMU_MOCK_MAX_DEVICES 64
/** Invalidation entries the mock remembers (later ones are only counted). */
#define UIOMMU_MOCK_LOG_MAX 4096

/** Mock backend operations that can be counted or told to fail. */
enum uiommu_mock_op {
	UIOMMU_MOCK_VIOMMU_ALLOC,
	UIOMMU_MOCK_VIOMMU_FREE,
	UIOMMU_MOCK_S2_MAP,
	UIOMMU_MOCK_S2_UNMAP,
	UIOMMU_MOCK_VDEVICE_ALLOC,
	UIOMMU_MOCK_VDEVICE_FREE,
	UIOMMU_MOCK_SET_STE,
	UIOMMU_MOCK_INVALIDATE,
	UIOMMU_MOCK_TRANSLATE,
	UIOMMU_MOCK_EVENT_READ,
	UIOMMU_MOCK_POLL,
	UIOMMU_MOCK_NR_OPS,
};

/** One recorded set_ste call. */
struct uiommu_mock_ste_rec {
	uint32_t vsid;     /**< device's vSID */
	bool blocked;      /**< called with ste == NULL or ste->valid == 0 */
	bool invalid;      /**< called with ste->valid == 0 (a guest STE error) */
	uint8_t config;    /**< STE.Config when not blocked */
};

/** Everything the mock recorded since the last uiommu_mock_reset(). */
struct uiommu_mock_state {
	uint64_t calls[UIOMMU_MOCK_NR_OPS];   /**< calls per op */
	uint64_t live_viommus;                /**< allocated - freed */
	uint64_t live_vdevices;               /**< allocated - freed */
	uint64_t live_s2_maps;                /**< mapped - unmapped */
	uint16_t last_vmid;                   /**< VMID of the last viommu_alloc */
	/** Invalidation entries in call order (first UIOMMU_MOCK_LOG_MAX). */
	struct uiommu_inv inv[UIOMMU_MOCK_LOG_MAX];
	uint32_t nr_inv;                      /**< entries recorded in inv[] */
	uint64_t inv_total;                   /**< entries applied, all calls */
	/** Batch sizes of invalidate() calls, in order (first 1024). */
	uint32_t batch_len[1024];
	uint32_t nr_batches;                  /**< batch sizes recorded */
	/** set_ste calls in order (first 256). */
	struct uiommu_mock_ste_rec ste[256];
	uint32_t nr_ste;                      /**< set_ste calls recorded */
};

/**
 * Clear every record and every scripted failure.
 */
void uiommu_mock_reset(void);

/**
 * The mock's records (valid until the next reset).
 * @return the state.
 */
const struct uiommu_mock_state *uiommu_mock_state(void);

/**
 * Script a failure: the @p nth call (1-based, counted from now) of @p op
 * returns @p err. For UIOMMU_MOCK_INVALIDATE, @p nth counts batch
 * entries across calls: the call holding that entry applies the entries
 * before it, reports them in *done and returns @p err. One failure may be
 * armed per op; nth = 0 disarms.
 * @param op  the operation
 * @param nth  1-based index of the failing call (entry for invalidate)
 * @param err  negative errno to return
 * @return 0; -EINVAL (op out of range, err >= 0, or op cannot fail:
 *         the free/unmap ops).
 */
int uiommu_mock_fail(enum uiommu_mock_op op, uint64_t nth, int err);

/**
 * Push an event into a mock vIOMMU's backend event ring (read back through
 * uiommu_viommu_event_read()).
 * @param v  a vIOMMU of the mock backend
 * @param ev  the event
 * @return 0; -EINVAL (not a mock vIOMMU), -ENOSPC (ring full).
 */
int uiommu_mock_event_push(struct uiommu_viommu *v,
			   const struct uiommu_event *ev);

#ifdef __cplusplus
}
#endif

#endif /* UIOMMU_CORE_H */
