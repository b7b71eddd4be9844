/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vfio backend test environment (see vfio_env.h).
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include "uiommu_cmd.h"
#include "uiommu_ut.h"
#include "vfio_env.h"
#include "vfio_private.h"

static const uint64_t reg_gpa[2] = { ENV_RA_GPA, ENV_RB_GPA };
static const uint64_t reg_size[2] = { ENV_RA_SIZE, ENV_RB_SIZE };

static int
g_alloc(void *ctx, size_t size, size_t align, uint64_t *addr)
{
	*addr = env_galloc(ctx, size, align);
	return *addr == 0 ? -ENOMEM : 0;
}

static void
g_free(void *ctx, uint64_t addr, size_t size)
{
	RTE_SET_USED(ctx);
	RTE_SET_USED(addr);
	RTE_SET_USED(size);
}

static void *
g_to_ptr(void *ctx, uint64_t addr, size_t size)
{
	struct venv *e = ctx;

	return uiommu_gmem_ptr(&e->gm, addr, size);
}

int
env_init_keep_mock(struct venv *e, const char *args)
{
	struct uiommu_viommu_cfg cfg;
	int rc;

	memset(e, 0, sizeof(*e));
	e->ops = uiommu_backend_find("vfio");
	UT_ASSERT_FATAL(e->ops != NULL);
	for (unsigned int i = 0; i < 2; i++) {
		uint64_t len = reg_size[i] + SZ_2M;
		uint8_t *m = mmap(NULL, len, PROT_READ | PROT_WRITE,
				  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
				  -1, 0);

		UT_ASSERT_FATAL(m != MAP_FAILED);
		e->map[i] = m;
		e->map_len[i] = len;
		e->hva[i] = (uint8_t *)(uintptr_t)
			    RTE_ALIGN_CEIL((uint64_t)(uintptr_t)m, SZ_2M);
		UT_ASSERT_FATAL(uiommu_gmem_add(&e->gm, reg_gpa[i], reg_size[i],
						e->hva[i], -1, 0) == 0);
	}
	e->pool_next = ENV_POOL_GPA;
	e->gops.alloc = g_alloc;
	e->gops.free = g_free;
	e->gops.to_ptr = g_to_ptr;
	memset(&cfg, 0, sizeof(cfg));
	cfg.vmid = 9;
	cfg.vm_id = 1;
	cfg.gmem = &e->gm;
	cfg.args = args;
	rc = e->ops->viommu_alloc(&cfg, &e->vi);
	if (rc != 0)
		return rc;
	for (unsigned int i = 0; i < 2; i++)
		UT_ASSERT_FATAL(e->ops->s2_map(e->vi, reg_gpa[i], e->hva[i],
					       reg_size[i], UIOMMU_PROT_READ |
					       UIOMMU_PROT_WRITE) == 0);
	return 0;
}

void
env_init(struct venv *e, const char *args)
{
	mock_reset();
	mock_add_device(ENV_BDF0, ENV_GROUP0);
	mock_add_device(ENV_BDF1, ENV_GROUP1);
	mock_add_device(ENV_BDF1_SAME_GROUP, ENV_GROUP1);
	mock_add_device(ENV_BDF2, ENV_GROUP2);
	UT_ASSERT_FATAL(env_init_keep_mock(e, args) == 0);
}

void
env_fini(struct venv *e)
{
	if (e->vi != NULL) {
		for (unsigned int i = 0; i < 2; i++)
			e->ops->s2_unmap(e->vi, reg_gpa[i], reg_size[i]);
		e->ops->viommu_free(e->vi);
	}
	for (unsigned int i = 0; i < 2; i++)
		if (e->map[i] != NULL)
			munmap(e->map[i], e->map_len[i]);
	CU_ASSERT_EQUAL(mock_open_fds(), 0);
	memset(e, 0, sizeof(*e));
}

int
env_dev(struct venv *e, struct vdev *d, const char *bdf, unsigned int group,
	uint32_t vsid)
{
	struct uiommu_vdevice_out out = { .fd = -1 };
	int rc;

	memset(d, 0, sizeof(*d));
	d->group = group;
	d->vsid = vsid;
	d->fd = -1;
	rc = e->ops->vdevice_alloc(e->vi, bdf, vsid, NULL, &d->priv, &out);
	if (rc == 0)
		d->fd = out.fd;
	return rc;
}

void
env_dev_free(struct venv *e, struct vdev *d)
{
	if (d->priv != NULL)
		e->ops->vdevice_free(d->priv);
	uiommu_pgtable_destroy(d->pt);
	memset(d, 0, sizeof(*d));
}

uint64_t
env_galloc(struct venv *e, uint64_t size, uint64_t align)
{
	uint64_t a = RTE_ALIGN_CEIL(e->pool_next, align);

	if (a + size > ENV_RA_GPA + ENV_RA_SIZE)
		return 0;
	e->pool_next = a + size;
	memset(env_gptr(e, a, size), 0, size);
	return a;
}

void *
env_gptr(struct venv *e, uint64_t gpa, uint64_t len)
{
	void *p = uiommu_gmem_ptr(&e->gm, gpa, len);

	UT_ASSERT_FATAL(p != NULL);
	return p;
}

uint64_t
env_hva(struct venv *e, uint64_t gpa)
{
	return (uint64_t)(uintptr_t)env_gptr(e, gpa, 1);
}

void
env_write_cd(struct venv *e, struct vdev *d, uint64_t ttb0, bool valid)
{
	struct uiommu_cd_info cd;
	uint64_t raw[8];

	memset(&cd, 0, sizeof(cd));
	cd.valid = valid;
	cd.t0sz = 64 - ENV_S1_IAS;
	cd.tg0 = 0;
	cd.ips = ENV_S1_IPS;
	cd.aa64 = 1;
	cd.asid = d->asid;
	cd.ttb0 = ttb0;
	cd.mair = UIOMMU_LPAE_MAIR_VALUE;
	uiommu_cd_encode(&cd, raw);
	memcpy(env_gptr(e, d->cd_gpa, UIOMMU_CD_SIZE), raw, sizeof(raw));
}

void
env_s1_create(struct venv *e, struct vdev *d, uint16_t asid)
{
	struct uiommu_pgtable_cfg cfg;

	memset(&cfg, 0, sizeof(cfg));
	cfg.format = UIOMMU_PT_ARM_LPAE_S1_4K;
	cfg.ias = ENV_S1_IAS;
	cfg.oas = 40;
	cfg.pgsize_bitmap = UIOMMU_PT_PGSIZE_LPAE_4K;
	cfg.mem_ops = &e->gops;
	cfg.mem_ctx = e;
	UT_ASSERT_FATAL(uiommu_pgtable_create(&cfg, &d->pt) == 0);
	d->asid = asid;
	d->cd_gpa = env_galloc(e, UIOMMU_CD_SIZE, 64);
	UT_ASSERT_FATAL(d->cd_gpa != 0);
	env_write_cd(e, d, uiommu_pgtable_root(d->pt), true);
}

int
env_ste_s1(struct venv *e, struct vdev *d)
{
	struct uiommu_ste_info ste;

	memset(&ste, 0, sizeof(ste));
	ste.valid = 1;
	ste.config = UIOMMU_STE_CFG_S1;
	ste.s1ctxptr = d->cd_gpa;
	return e->ops->vdevice_set_ste(d->priv, &ste);
}

int
env_ste_cfg(struct venv *e, struct vdev *d, unsigned int config)
{
	struct uiommu_ste_info ste;

	memset(&ste, 0, sizeof(ste));
	ste.valid = 1;
	ste.config = (uint8_t)config;
	ste.s1ctxptr = d->cd_gpa;
	return e->ops->vdevice_set_ste(d->priv, &ste);
}

int
env_ste_none(struct venv *e, struct vdev *d)
{
	return e->ops->vdevice_set_ste(d->priv, NULL);
}

void
env_map(struct vdev *d, uint64_t iova, uint64_t gpa, uint64_t size,
	uint32_t prot)
{
	UT_ASSERT_FATAL(uiommu_pgtable_map(d->pt, iova, gpa, size, prot,
					   NULL) == 0);
}

void
env_unmap(struct vdev *d, uint64_t iova, uint64_t size)
{
	UT_ASSERT_FATAL(uiommu_pgtable_unmap(d->pt, iova, size, NULL) == 0);
}

int
env_inv(struct venv *e, uint8_t op, uint16_t asid, uint64_t first,
	uint64_t last, struct vdev *d, unsigned int *done)
{
	struct uiommu_inv inv;
	unsigned int dn = 0;
	int rc;

	memset(&inv, 0, sizeof(inv));
	inv.op = op;
	inv.asid = asid;
	inv.vmid = 9;
	inv.first = first;
	inv.last = last;
	inv.dev = d != NULL ? d->priv : NULL;
	inv.vsid = d != NULL ? d->vsid : 0;
	rc = e->ops->invalidate(e->vi, &inv, 1, &dn);
	if (done != NULL)
		*done = dn;
	return rc;
}

int
env_cont(const struct vdev *d)
{
	return mock_group_container(d->group);
}

unsigned int
env_diff(struct venv *e, const struct vdev *d, uint64_t first, uint64_t last,
	 bool bypass)
{
	unsigned int bad = 0;
	int c = env_cont(d);

	for (uint64_t iova = first & ~(SZ_4K - 1); iova <= last; iova += SZ_4K) {
		uint64_t want_va = 0, got_va = 0;
		uint32_t want_fl = 0, got_fl = 0;
		bool want = false, got;

		if (bypass) {
			void *p = uiommu_gmem_ptr(&e->gm, iova, SZ_4K);

			if (p != NULL) {
				want = true;
				want_va = (uint64_t)(uintptr_t)p;
				want_fl = UIOMMU_VFIO_DMA_MAP_FLAG_READ |
					  UIOMMU_VFIO_DMA_MAP_FLAG_WRITE;
			}
		} else if (d->pt != NULL) {
			struct uiommu_pt_leaf lf;

			if (uiommu_pgtable_iova_to_phys(d->pt, iova, &lf) == 0 &&
			    !(lf.prot & UIOMMU_PT_PROT_PRIV)) {
				void *p = uiommu_gmem_ptr(&e->gm, lf.oa, SZ_4K);

				if (p != NULL) {
					want = true;
					want_va = (uint64_t)(uintptr_t)p;
					want_fl = UIOMMU_VFIO_DMA_MAP_FLAG_READ |
						  ((lf.prot & UIOMMU_PT_PROT_WRITE) ?
						   UIOMMU_VFIO_DMA_MAP_FLAG_WRITE : 0);
				}
			}
		}
		got = mock_lookup(c, iova, &got_va, &got_fl);
		if (want != got || (want && (want_va != got_va ||
					     want_fl != got_fl))) {
			if (bad < 5)
				printf("  iova 0x%" PRIx64 ": want %d 0x%" PRIx64
				       "/%x, kernel %d 0x%" PRIx64 "/%x\n", iova,
				       want, want_va, want_fl, got, got_va, got_fl);
			bad++;
		}
		if (iova + SZ_4K < iova)
			break;
	}
	return bad;
}

struct rec_ctx {
	int c;
	unsigned int i;
	bool ok;
};

static int
rec_cb(const struct uiommu_ioas_area_info *ai, void *arg)
{
	struct rec_ctx *r = arg;
	uint64_t iova, size, va;
	uint32_t fl, want_fl;

	if (!mock_map_at(r->c, r->i++, &iova, &size, &va, &fl)) {
		r->ok = false;
		return 1;
	}
	want_fl = ((ai->prot & UIOMMU_IOAS_MAP_READABLE) ?
		   UIOMMU_VFIO_DMA_MAP_FLAG_READ : 0) |
		  ((ai->prot & UIOMMU_IOAS_MAP_WRITEABLE) ?
		   UIOMMU_VFIO_DMA_MAP_FLAG_WRITE : 0);
	if (iova != ai->iova || size != ai->last - ai->iova + 1 ||
	    va != ai->backing || fl != want_fl) {
		printf("  record [0x%" PRIx64 ", 0x%" PRIx64 "] vs kernel [0x%"
		       PRIx64 ", +0x%" PRIx64 "]\n", ai->iova, ai->last, iova, size);
		r->ok = false;
		return 1;
	}
	return 0;
}

bool
env_records_match(const struct vdev *d)
{
	const struct vfio_dev *vd = d->priv;
	struct rec_ctx r = { .c = env_cont(d), .ok = true };

	uiommu_shadow_foreach(vd->shadow, 0, UINT64_MAX, rec_cb, &r);
	return r.ok && r.i == mock_nr_maps(r.c) &&
	       uiommu_shadow_num_maps(vd->shadow) == mock_nr_maps(r.c);
}

int
env_events(struct venv *e, struct uiommu_event *ev, unsigned int max)
{
	uint64_t lost = 0;

	return e->ops->event_read(e->vi, ev, max, &lost);
}
