/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Test environment for the soft backend: a VM with three guest RAM regions
 * chosen so that stage 2 uses every leaf size, a vIOMMU of the soft backend
 * driven directly through its ops, and helpers that build the guest's
 * structures (stage-1 tables with lib/pgtable over guest-physical
 * addresses, CDs, STEs) in guest RAM, as a guest driver would.
 *
 *   region A  GPA 0x40000000, 1 GiB, host mapping 1 GiB aligned -> 1G leaf
 *   region B  GPA 0x100000000, 64 MiB, host 2 MiB aligned      -> 2M leaves
 *   region C  GPA 0x200000000, 8 MiB, host 4 KiB off 2 MiB     -> 4K leaves
 *   ENV_HOLE  GPA 0x300000000: not RAM, not mapped at stage 2
 */
#ifndef SOFT_ENV_H
#define SOFT_ENV_H

#include <stdbool.h>
#include <stdint.h>

#include "uiommu_backend.h"
#include "uiommu_gmem.h"
#include "uiommu_pgtable.h"
#include "uiommu_smmu.h"

#define SZ_4K (1ULL << 12)
#define SZ_2M (1ULL << 21)
#define SZ_1G (1ULL << 30)

#define ENV_RA_GPA  0x40000000ULL
#define ENV_RA_SIZE SZ_1G
#define ENV_RB_GPA  0x100000000ULL
#define ENV_RB_SIZE (64ULL << 20)
#define ENV_RC_GPA  0x200000000ULL
#define ENV_RC_SIZE (8ULL << 20)
#define ENV_HOLE_GPA 0x300000000ULL
#define ENV_NREGIONS 3

/* Allocation pools inside each region (the rest is for data buffers). */
#define ENV_POOL_SIZE (4ULL << 20)

struct soft_env {
	const struct uiommu_backend_ops *ops;
	struct uiommu_gmem gm;
	void *map[ENV_NREGIONS];
	uint64_t map_len[ENV_NREGIONS];
	uint8_t *hva[ENV_NREGIONS];
	uint64_t gpa[ENV_NREGIONS];
	uint64_t size[ENV_NREGIONS];
	uint64_t pool_next[ENV_NREGIONS];
	unsigned int rr;          /* round-robin region of table allocations */
	int table_region;         /* fixed region of guest tables, -1: rotate */
	uint32_t s2prot[ENV_NREGIONS];
	void *vi;
	uint16_t vmid;
	struct uiommu_pt_mem_ops gops;
};

/**
 * Map guest RAM, create a soft vIOMMU (args as for viommu_alloc) and map
 * every region at stage 2 with s2prot[i] (default read/write).
 */
int env_init(struct soft_env *e, const char *args);
/** As env_init() with per-region stage-2 permissions. */
int env_init_prot(struct soft_env *e, const char *args, const uint32_t prot[3]);
void env_fini(struct soft_env *e);

/** Allocate zeroed guest memory in region r's pool; returns its GPA. */
uint64_t env_galloc(struct soft_env *e, unsigned int r, uint64_t size,
		    uint64_t align);
/** Host pointer of guest memory (asserts it is RAM). */
void *env_gptr(struct soft_env *e, uint64_t gpa, uint64_t len);

/** A guest stage-1 table (lib/pgtable, tables in guest RAM, by GPA). */
struct uiommu_pgtable *env_s1_create(struct soft_env *e);
/** Map at stage 1 (UIOMMU_PT_PROT_*); asserts success. */
void env_s1_map(struct uiommu_pgtable *pt, uint64_t iova, uint64_t gpa,
		uint64_t size, uint32_t prot);
/** Guest-physical address of the stage-1 leaf descriptor of iova. */
uint64_t env_s1_pte_gpa(struct uiommu_pgtable *pt, uint64_t iova);

/** Write a CD (T0SZ 16, IPS 48 bits) at cd_gpa. */
void env_write_cd(struct soft_env *e, uint64_t cd_gpa, uint16_t asid,
		  uint64_t ttb0, bool affd);
/** Configure the device with a stage-1 STE (encoded and decoded). */
int env_set_ste_s1(struct soft_env *e, void *dev, uint64_t cdtab,
		   unsigned int s1cdmax, unsigned int s1dss);
/** Configure the device with an STE of the given config (V = 1). */
int env_set_ste_cfg(struct soft_env *e, void *dev, unsigned int config);

/** Allocate a device "dmaN" as vsid with its register page. */
void *env_dev(struct soft_env *e, const char *spec, uint32_t vsid,
	      void *regs);

/** One invalidation entry applied through the ops. */
int env_inv(struct soft_env *e, uint8_t op, uint16_t asid, uint64_t first,
	    uint64_t last, void *dev, uint32_t ssid);

/** Translate through the ops. */
int env_xlate(struct soft_env *e, void *dev, uint64_t iova, uint32_t access,
	      struct uiommu_xlate *x);

/** Pop every event; returns how many (up to max). */
int env_events(struct soft_env *e, struct uiommu_event *ev, unsigned int max,
	       uint64_t *lost);

/** Host address of a guest-physical address (reference stage 2). */
uint64_t env_ref_s2(struct soft_env *e, uint64_t gpa);

#endif /* SOFT_ENV_H */
