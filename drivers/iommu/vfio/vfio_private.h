/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vfio backend: private objects shared by its .c files. Never installed.
 *
 * Object graph:
 *
 *   vfio_viommu (one per vIOMMU; control thread creates/destroys)
 *     |- s2, s2_prot  the guest RAM regions given by s2_map (GPA -> host
 *     |             VA, with their permissions), sorted by GPA: the
 *     |             "stage 2" every shadow goes through
 *     |- devs[]     its devices
 *     `- evq        event ring (MAP_LIMIT, WALK_LIMIT, C_BAD_CD, ...)
 *   vfio_dev (one per vDEVICE = one VFIO container = one IOVA space)
 *     |- container, group, device   file descriptors (device fd also
 *     |                             handed to the VMM)
 *     |- kinfo      what the kernel told about the container
 *     |- shadow     the lib/shadow engine whose sink is the container
 *     |             (VFIO_IOMMU_MAP_DMA / UNMAP_DMA, vfio_shadow.c); its
 *     |             record has one area per MAP_DMA
 *     `- mode, s1   what the guest configured (abort, bypass, stage 1)
 *
 * Threading: control ops (alloc/free/s2_map/s2_unmap) run on the control
 * thread with the VM's fast path paused; set_ste and invalidate run on the
 * vIOMMU's polling lcore (or on the control thread). The core never runs
 * them concurrently for one vIOMMU, so a vIOMMU and its devices have one
 * user at a time and need no lock. Counters are read from other threads
 * (telemetry), so they are updated with relaxed atomics.
 */
#ifndef VFIO_PRIVATE_H
#define VFIO_PRIVATE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/queue.h>

#include <rte_common.h>
#include <rte_spinlock.h>

#include "uiommu_backend.h"
#include "uiommu_gmem.h"
#include "uiommu_iova.h"
#include "uiommu_log.h"
#include "uiommu_lpae.h"
#include "uiommu_shadow.h"
#include "uiommu_smmu.h"
#include "uiommu_vfio.h"
#include "uiommu_vfio_uapi.h"

extern int uiommu_logtype_vfio;

#define VFIO_LOG(level, fmt, ...) \
	UIOMMU_LOG(level, uiommu_logtype_vfio, fmt, ##__VA_ARGS__)

#define VFIO_PAGE_SHIFT 12
#define VFIO_PAGE (1ULL << VFIO_PAGE_SHIFT)
#define VFIO_PAGE_MASK (VFIO_PAGE - 1)

/* Longest "DDDD:BB:DD.F" plus NUL. */
#define VFIO_BDF_LEN 13

/* Event ring records per vIOMMU (power of two). */
#define VFIO_EVQ_SIZE UIOMMU_EVTQ_ENTRIES_DEFAULT

/* What the kernel reported about one container (VFIO_IOMMU_GET_INFO). */
struct vfio_kinfo {
	uint64_t pgsizes;            /* iova_pgsizes, 0 if not reported */
	bool ranges_known;           /* IOVA_RANGE capability present */
	bool avail_known;            /* DMA_AVAIL capability present */
	uint32_t nr_ranges;          /* usable IOVA ranges kept */
	uint32_t dma_avail;          /* mappings the container may create */
	struct uiommu_range ranges[UIOMMU_VFIO_MAX_IOVA_RANGES]; /* sorted */
};

/* Backend arguments. */
struct vfio_args {
	uint32_t walk_max;           /* walker calls per refresh */
	uint64_t max_maps;           /* 0: the kernel's limit */
	bool coalesce;               /* merge contiguous leaves */
};

/* How the guest configured a device. */
enum vfio_mode {
	VFIO_MODE_ABORT = 0,         /* nothing mapped */
	VFIO_MODE_BYPASS,            /* IOVA = GPA over every RAM region */
	VFIO_MODE_S1,                /* stage 1 shadowed */
};

/* The CD fields a shadow walk uses. */
struct vfio_s1cfg {
	uint64_t ttb0;
	uint16_t asid;
	uint8_t ias, oas;
	bool affd;
};

/* Counter update: one writer at a time, readers anywhere; returns the old value. */
#define VSTAT_ADD(vi, field, n) \
	__atomic_fetch_add(&(vi)->st.field, (uint64_t)(n), __ATOMIC_RELAXED)

/*
 * The guest can make errors happen at will on the fast path: they are
 * counted always, logged only when the count reaches a power of two
 * (1, 2, 4, ...), so a flood costs a logarithmic number of lines.
 */
static inline bool
vfio_log_rare(uint64_t old_count)
{
	return rte_is_power_of_2(old_count + 1);
}
#define VSTAT_SUB(vi, field, n) \
	__atomic_fetch_sub(&(vi)->st.field, (uint64_t)(n), __ATOMIC_RELAXED)

/* Event ring (spinlock: producers are rare, the reader is the control thread). */
struct vfio_evq {
	rte_spinlock_t lock;
	uint32_t head, tail;         /* free-running */
	uint64_t lost;               /* dropped since the last read */
	struct uiommu_event ring[VFIO_EVQ_SIZE];
};

struct vfio_viommu;

struct vfio_dev {
	struct vfio_viommu *vi;
	uint32_t vsid;
	unsigned int group_id;
	char bdf[VFIO_BDF_LEN];
	int container, group, device;
	struct vfio_kinfo kinfo;
	uint64_t max_maps;           /* mappings this container may hold */
	struct uiommu_shadow *shadow;/* the shadow engine; sink = container */
	struct uiommu_shadow_stats seen; /* engine counters already summed */
	enum vfio_mode mode;
	struct vfio_s1cfg s1;        /* valid in VFIO_MODE_S1 */
	bool have_ste;               /* ste holds the configuration in force */
	bool s2_miss;                /* a walk met a leaf outside guest RAM */
	struct uiommu_ste_info ste;  /* for CFGI_CD re-reads */
};

struct vfio_viommu {
	TAILQ_ENTRY(vfio_viommu) next; /* process-wide list (totals) */
	uint16_t vmid;
	uint32_t vm_id;
	struct vfio_args args;
	uint64_t kernel_limit;       /* dma_entry_limit (or the default) */
	struct uiommu_gmem s2;       /* RAM regions (fd -1: not owned) */
	uint32_t s2_prot[UIOMMU_MAX_MEM_REGIONS]; /* UIOMMU_PROT_*, per s2.r[] */
	uint32_t nr_devs;
	struct vfio_dev *devs[UIOMMU_MAX_VDEVICES];
	struct uiommu_vfio_stats st;
	struct vfio_evq evq;
};

/* ---- vfio_sys.c: the kernel interface ---- */
int vfio_sys_bdf_parse(const char *spec, char bdf[VFIO_BDF_LEN]);
int vfio_sys_group_id(const char *bdf, unsigned int *group);
int vfio_sys_container_open(int *fd);
int vfio_sys_group_attach(unsigned int group, int container, int *gfd);
int vfio_sys_set_iommu(int container);
int vfio_sys_get_info(int container, struct vfio_kinfo *ki);
int vfio_sys_device_fd(int group, const char *bdf, int *fd);
int vfio_sys_dma_entry_limit(uint64_t *limit);
int vfio_sys_map(int container, uint64_t iova, uint64_t len, uint64_t vaddr,
		 uint32_t prot);
int vfio_sys_unmap(int container, uint64_t iova, uint64_t len,
		   uint64_t *unmapped);

/* ---- vfio_viommu.c ---- */
int vfio_s2_index(const struct vfio_viommu *vi, uint64_t gpa, uint64_t len);
void vfio_hw_note(const struct vfio_kinfo *ki);

/* ---- vfio_shadow.c: lib/shadow over the container ---- */
int vshadow_create(struct vfio_dev *d);
void vshadow_destroy(struct vfio_dev *d);
int vshadow_configure(struct vfio_dev *d);
int vshadow_refresh(struct vfio_dev *d, uint64_t first, uint64_t last);
int vshadow_purge_hva(struct vfio_dev *d, uint64_t hva, uint64_t last);

/* ---- vfio_dev.c ---- */
int vfio_dev_apply(struct vfio_dev *d);
int vfio_dev_block(struct vfio_dev *d);
int vfio_vdevice_alloc(void *priv, const char *spec, uint32_t vsid,
		       void *regs, void **dev_priv,
		       struct uiommu_vdevice_out *out);
void vfio_vdevice_free(void *dev_priv);
int vfio_vdevice_set_ste(void *dev_priv, const struct uiommu_ste_info *ste);

/* ---- vfio_inv.c ---- */
int vfio_invalidate(void *priv, const struct uiommu_inv *batch,
		    unsigned int n, unsigned int *done);

/* ---- vfio_event.c ---- */
void vfio_evq_init(struct vfio_evq *q);
void vfio_event_raise(struct vfio_viommu *vi, uint8_t id, uint32_t vsid,
		      uint64_t addr, uint64_t info);
int vfio_event_read(void *priv, struct uiommu_event *ev, unsigned int n,
		    uint64_t *lost);
void vfio_event_count(void *priv, uint64_t *recorded, uint64_t *dropped);

#endif /* VFIO_PRIVATE_H */
