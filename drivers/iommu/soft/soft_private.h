/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Soft backend: private objects shared by its .c files. Never installed.
 *
 * Object graph and who may touch what:
 *
 *   soft_viommu (one per vIOMMU; control thread creates/destroys)
 *     |- s2       stage-2 LPAE table (lib/pgtable over uiommu_tblmem),
 *     |           changed on the control thread only, walked lock-free
 *     |- tlb      IOTLB; its QSBR variable is the RCU domain of the whole
 *     |           vIOMMU: every translation runs inside a reader bracket
 *     |- evtq     event ring (spinlock; faults are rare)
 *     `- devs[]   the stream table: one soft_dev per vDEVICE, published
 *                 with release stores, freed after a grace period
 *   soft_dev
 *     |- cfg      the STE in force (RCU pointer to an immutable soft_cfg,
 *     |           whose CD cache slots are the only mutable part)
 *     `- dma      the copy engine (soft_dma.c), run by poll()
 */
#ifndef SOFT_PRIVATE_H
#define SOFT_PRIVATE_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_common.h>
#include <rte_spinlock.h>

#include "uiommu_backend.h"
#include "uiommu_gmem.h"
#include "uiommu_iotlb.h"
#include "uiommu_lpae.h"
#include "uiommu_pgtable.h"
#include "uiommu_smmu.h"
#include "uiommu_soft_dma.h"
#include "uiommu_tblmem.h"

extern int uiommu_logtype_soft;

/** Translation mode of one stream (the physical STE). */
enum soft_mode {
	SOFT_MODE_ABORT = 0,   /* terminate, no event */
	SOFT_MODE_BAD_STE,     /* guest STE invalid: C_BAD_STE per access */
	SOFT_MODE_BYPASS,      /* IOVA is a guest-physical address */
	SOFT_MODE_S1,          /* stage 1 only (vIOMMU without stage 2) */
	SOFT_MODE_S2,          /* stage 2 only (guest bypass) */
	SOFT_MODE_NESTED,      /* stage 1 then stage 2 */
};

/* CD cache: direct-mapped by SSID, per stream. */
#define SOFT_CD_SLOTS 8u

#define SOFT_CD_TAG_VALID (1ULL << 31)

/*
 * One cached, decoded CD. Two words read under the slot's sequence lock:
 *   w0 = TTB0 (bits [47:4]) | ASID << 48
 *   w1 = SSID | VALID << 31 | IAS << 32 | OAS << 40 | EPD0 << 48 | AFFD << 49
 */
struct soft_cd_slot {
	uint32_t seq;
	uint32_t rsvd;
	uint64_t w0;
	uint64_t w1;
} __rte_aligned(32);

/** The CD fields a walk uses. */
struct soft_cd {
	uint64_t ttb0;
	uint16_t asid;
	uint8_t ias, oas;
	uint8_t epd0, affd;
};

/** The configuration of one stream, immutable once published. */
struct soft_cfg {
	uint8_t mode;                 /* enum soft_mode */
	uint8_t is_static;            /* shared abort/bad-STE object, never freed */
	uint8_t s1cdmax;              /* log2 of CDs in the table */
	uint8_t s1dss;                /* substream-less behaviour */
	uint64_t s1ctxptr;            /* IPA of the CD table */
	struct soft_cd_slot cd[SOFT_CD_SLOTS];
};

/* Private state of a copy engine (the register page is shared). */
struct soft_dma {
	struct uiommu_soft_dma_regs *regs;
	rte_spinlock_t lock;      /* one poller at a time */
	bool enabled;             /* latched configuration valid */
	bool halted;
	uint64_t base;
	uint32_t log2;
	uint32_t cons;
	bool ssv;
	uint32_t ssid;
};

struct soft_viommu;

struct soft_dev {
	/* Read on every translation (first cache line). */
	struct soft_cfg *cfg;     /* RCU pointer */
	struct soft_viommu *vi;
	uint32_t vsid;
	unsigned int index;       /* slot in vi->devs */
	unsigned int dma_id;      /* N of "dmaN" */
	struct soft_dma dma __rte_cache_aligned;
};

/* Bounded event ring with lost-event accounting. */
struct soft_evtq {
	rte_spinlock_t lock;
	uint32_t size;            /* power of two */
	uint32_t head, tail;      /* free-running */
	uint64_t lost;            /* dropped since the last read */
	uint64_t recorded;        /* ever accepted */
	uint64_t dropped;         /* ever dropped */
	struct uiommu_event *ring;
};

struct soft_viommu {
	/* Read on every translation (first cache line). */
	uint16_t vmid;
	bool s2_enabled;          /* false: args "s2=off", stage 2 = guest RAM */
	struct uiommu_iotlb *tlb;
	const struct uiommu_gmem *gmem;
	/* Read on IOTLB misses. */
	struct uiommu_lpae_walk_cfg s2_walk;
	struct uiommu_pgtable *s2;
	struct uiommu_tblmem *tblmem;
	uint32_t vm_id;
	unsigned int poll_next;   /* round-robin start of poll() */
	uint64_t dev_mask;        /* bit i: devs[i] is set (release stores) */
	/* Written by invalidations and faults. */
	uint64_t cfg_gen __rte_cache_aligned; /* CD cache invalidation generation */
	uint64_t atc_inv;         /* counters (relaxed) */
	uint64_t prefetch;
	uint64_t cd_fetches;
	struct soft_evtq evtq;
	struct soft_dev *devs[UIOMMU_MAX_VDEVICES] __rte_cache_aligned;
};

/* Result of an internal translation. */
struct soft_xl {
	uint64_t hva;             /* host address of the IOVA */
	uint64_t contig;          /* bytes from hva with the same translation */
	uint32_t perm;            /* UIOMMU_PROT_* granted */
	bool hit;                 /* served by the IOTLB */
};

/* Walk details for inspection (NULL on the DMA path). */
struct soft_xl_detail {
	struct uiommu_xlate_stage s1, s2;
};

/* Context of soft_s1_read_pte(): one stage-1 walk of a stream. */
struct soft_s1_walk_ctx {
	struct soft_viommu *vi;
	bool nested;         /* table addresses are IPAs: stage 2 applies */
	bool affd;           /* CD.AFFD: the access flag reads as set */
	bool s2_fault;       /* a table fetch faulted at stage 2 */
	uint8_t s2_evt;      /* its event ID */
	uint64_t fetch_ipa;  /* IPA of the last (or faulting) table fetch */
};

/* A stream's stage-1 context as a translation would use it (dumps). */
struct soft_s1_info {
	uint8_t state;       /* enum uiommu_pt_dump_state */
	uint8_t event;       /* UIOMMU_PT_DUMP_ST_FAULT: the access's event */
	bool nested;         /* stage 2 applies to table fetches */
	struct soft_cd cd;   /* UIOMMU_PT_DUMP_ST_TABLE: the CD in force */
};

/* soft_xlate.c; access: UIOMMU_ACCESS_READ/WRITE, with UIOMMU_ACCESS_PROBE
 * the fault is returned in *fault but not pushed to the event queue. */
int soft_translate(struct soft_dev *dev, bool ssv, uint32_t ssid,
		   uint64_t iova, uint32_t access, struct soft_xl *xl,
		   struct soft_xl_detail *detail, struct uiommu_event *fault);
void soft_cd_cache_drop(struct soft_viommu *vi, struct soft_cfg *cfg,
			bool all, uint32_t ssid);
void soft_cfg_gen_bump(struct soft_viommu *vi);
/* read_pte of a stage-1 walk (ctx: struct soft_s1_walk_ctx): through stage
 * 2 when nested, bounds-checked against guest RAM, one acquire load. */
int soft_s1_read_pte(void *ctx, uint64_t table_addr, uint64_t byte_offset,
		     uint64_t *pte);
/* The stage-1 context of a stream for substream ssid (when ssv), as a
 * translation would select it; records no event. Call inside an IOTLB
 * reader bracket. @return 0 (out->state says what was found). */
int soft_s1_context(struct soft_dev *dev, bool ssv, uint32_t ssid,
		    struct soft_s1_info *out);

/* soft_dump.c: the backend's vdevice_pt_dump and viommu_pt_dump ops. */
int soft_vdevice_pt_dump(void *dev_priv, const struct uiommu_pt_dump_req *req,
			 uiommu_pt_dump_cb cb, void *arg,
			 struct uiommu_pt_dump_res *res);
int soft_viommu_pt_dump(void *priv, const struct uiommu_pt_dump_req *req,
			uiommu_pt_dump_cb cb, void *arg,
			struct uiommu_pt_dump_res *res);

/* soft_evtq.c */
int soft_evtq_init(struct soft_evtq *q, uint32_t size);
void soft_evtq_fini(struct soft_evtq *q);
void soft_evtq_push(struct soft_evtq *q, const struct uiommu_event *ev);
int soft_evtq_read(struct soft_evtq *q, struct uiommu_event *ev,
		   unsigned int n, uint64_t *lost);
void soft_evtq_count(struct soft_evtq *q, uint64_t *recorded,
		     uint64_t *dropped);
void soft_event_encode(struct uiommu_event *ev, bool ssv);

/* soft_inv.c */
int soft_invalidate(void *priv, const struct uiommu_inv *batch,
		    unsigned int n, unsigned int *done);

/* soft_dma.c */
void soft_dma_init(struct soft_dma *dma, void *regs);
unsigned int soft_dma_poll(struct soft_dev *dev, unsigned int budget,
			   unsigned int reader);
unsigned int soft_poll(void *priv, unsigned int budget);

#endif /* SOFT_PRIVATE_H */
