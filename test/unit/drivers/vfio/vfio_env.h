/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Test environment of the vfio backend: guest RAM, a vfio vIOMMU driven
 * through its ops against the mock kernel (vfio_mock.h), and a guest
 * driver's view of each device: a stage-1 table built with lib/pgtable in
 * guest RAM (addressed by GPA), a CD, the STE.
 *
 *   region A  GPA 0x80000000, 64 MiB, host 2 MiB aligned; its last 16 MiB
 *             are the pool for guest tables and CDs
 *   region B  GPA 0x100000000, 16 MiB, host 2 MiB aligned
 *
 * Mock devices: 0000:00:03.0 (group 5), 0000:00:04.0 (group 6),
 * 0000:00:05.0 (group 6 too), 0000:00:06.0 (group 7).
 */
#ifndef VFIO_ENV_H
#define VFIO_ENV_H

#include <stdbool.h>
#include <stdint.h>

#include "uiommu_backend.h"
#include "uiommu_gmem.h"
#include "uiommu_pgtable.h"
#include "uiommu_smmu.h"
#include "vfio_mock.h"

#define SZ_4K (1ULL << 12)
#define SZ_2M (1ULL << 21)
#define SZ_1G (1ULL << 30)

#define ENV_RA_GPA  0x80000000ULL
#define ENV_RA_SIZE (64ULL << 20)
#define ENV_RB_GPA  0x100000000ULL
#define ENV_RB_SIZE (16ULL << 20)
#define ENV_POOL_GPA (ENV_RA_GPA + (48ULL << 20))
#define ENV_HOLE_GPA 0x200000000ULL   /* not RAM */

#define ENV_BDF0 "0000:00:03.0"
#define ENV_BDF1 "0000:00:04.0"
#define ENV_BDF1_SAME_GROUP "0000:00:05.0"
#define ENV_BDF2 "0000:00:06.0"
#define ENV_GROUP0 5
#define ENV_GROUP1 6
#define ENV_GROUP2 7

/* A guest stage-1 input size of 39 bits (T0SZ 25), output 40 bits. */
#define ENV_S1_IAS 39
#define ENV_S1_IPS 2

struct venv {
	const struct uiommu_backend_ops *ops;
	struct uiommu_gmem gm;
	void *map[2];
	uint64_t map_len[2];
	uint8_t *hva[2];
	uint64_t pool_next;
	void *vi;
	struct uiommu_pt_mem_ops gops;
};

struct vdev {
	void *priv;
	int fd;                     /* device fd from vdevice_alloc */
	unsigned int group;
	uint32_t vsid;
	struct uiommu_pgtable *pt;  /* the guest's stage 1 (NULL: none) */
	uint64_t cd_gpa;
	uint16_t asid;
};

/* Mock reset (default kernel), RAM, a vfio vIOMMU with args, stage 2. */
void env_init(struct venv *e, const char *args);
/* As env_init() without resetting or touching the mock configuration. */
int env_init_keep_mock(struct venv *e, const char *args);
void env_fini(struct venv *e);

/* Bind a device; returns vdevice_alloc's result. */
int env_dev(struct venv *e, struct vdev *d, const char *bdf,
	    unsigned int group, uint32_t vsid);
void env_dev_free(struct venv *e, struct vdev *d);

/* Give the device a guest stage-1 table and a CD with this ASID. */
void env_s1_create(struct venv *e, struct vdev *d, uint16_t asid);
/* set_ste with a stage-1 STE pointing at the device's CD. */
int env_ste_s1(struct venv *e, struct vdev *d);
/* set_ste with an STE of another Config (V = 1), or blocked (NULL). */
int env_ste_cfg(struct venv *e, struct vdev *d, unsigned int config);
int env_ste_none(struct venv *e, struct vdev *d);
/* Rewrite the device's CD (after CFGI_CD the backend re-reads it). */
void env_write_cd(struct venv *e, struct vdev *d, uint64_t ttb0, bool valid);

/* Guest stage-1 changes (no invalidation). */
void env_map(struct vdev *d, uint64_t iova, uint64_t gpa, uint64_t size,
	     uint32_t prot);
void env_unmap(struct vdev *d, uint64_t iova, uint64_t size);

/* One invalidation entry through the ops; *done when not NULL. */
int env_inv(struct venv *e, uint8_t op, uint16_t asid, uint64_t first,
	    uint64_t last, struct vdev *d, unsigned int *done);

/* Host address of guest RAM (asserts it is RAM). */
uint64_t env_hva(struct venv *e, uint64_t gpa);
/* Allocate zeroed pool memory; returns its GPA. */
uint64_t env_galloc(struct venv *e, uint64_t size, uint64_t align);
/* Host pointer to guest memory (asserts). */
void *env_gptr(struct venv *e, uint64_t gpa, uint64_t len);

/* The mock container of a device. */
int env_cont(const struct vdev *d);

/*
 * Page-by-page: the kernel's mapping of [first, last] equals the
 * translation of the guest's table (or bypass, when bypass) composed with
 * guest RAM. Returns the number of pages that differ (first few printed).
 */
unsigned int env_diff(struct venv *e, const struct vdev *d, uint64_t first,
		      uint64_t last, bool bypass);
/* The backend's shadow record equals the kernel's mappings, exactly. */
bool env_records_match(const struct vdev *d);

/* Pop events of the vIOMMU; returns how many. */
int env_events(struct venv *e, struct uiommu_event *ev, unsigned int max);

#endif /* VFIO_ENV_H */
