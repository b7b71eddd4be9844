/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Tests of the soft backend's translation: stream modes, the nested walk
 * against the composition of two flat reference maps (every leaf size at
 * each stage), stale-TLB behaviour, permission faults at each stage, bad
 * configurations and hostile tables, fault records and their raw encoding,
 * the event ring's overflow accounting, and the invalidate op.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "soft_env.h"
#include "uiommu_cmd.h"
#include "uiommu_soft_dma.h"
#include "uiommu_ut.h"

#define RD UIOMMU_ACCESS_READ
#define WR UIOMMU_ACCESS_WRITE
#define PT_RW (UIOMMU_PT_PROT_READ | UIOMMU_PT_PROT_WRITE)
#define VSID 0x42
#define ASID 5
#define ANY (-1)
#define NO_IPA UINT64_MAX

static uint8_t regs0[4096] __attribute__((aligned(4096)));
static uint8_t regs1[4096] __attribute__((aligned(4096)));

/* Expect a fault with the given record (class/ipa ANY / NO_IPA: unchecked). */
static void
expect_fault_at(struct soft_env *e, void *dev, uint64_t iova, uint32_t acc,
		uint8_t id, int s2, int cls, uint64_t ipa, int line)
{
	struct uiommu_xlate x;
	struct uiommu_event ev;
	uint64_t lost = 0;
	int rc = env_xlate(e, dev, iova, acc, &x);
	int n;

	if (rc != -EFAULT || x.fault.id != id)
		printf("line %d: iova 0x%" PRIx64 ": rc %d fault 0x%x, want 0x%x\n",
		       line, iova, rc, x.fault.id, id);
	CU_ASSERT_EQUAL(rc, -EFAULT);
	CU_ASSERT_EQUAL(x.fault.id, id);
	n = env_events(e, &ev, 1, &lost);
	if (id == 0) {
		CU_ASSERT_EQUAL(n, 0);
		return;
	}
	CU_ASSERT_EQUAL(n, 1);
	if (n != 1)
		return;
	if (ev.s2 != s2 || (cls != ANY && ev.class_ != cls) ||
	    (ipa != NO_IPA && ev.ipa != ipa))
		printf("line %d: event s2 %u class %u ipa 0x%" PRIx64 "\n", line,
		       ev.s2, ev.class_, ev.ipa);
	CU_ASSERT_EQUAL(ev.id, id);
	CU_ASSERT_EQUAL(ev.s2, s2);
	if (cls != ANY)
		CU_ASSERT_EQUAL(ev.class_, cls);
	if (ipa != NO_IPA)
		CU_ASSERT_EQUAL(ev.ipa, ipa);
	CU_ASSERT_EQUAL(ev.sid, VSID);
	CU_ASSERT_EQUAL(ev.rnw, !(acc & WR));
	CU_ASSERT_EQUAL(ev.raw[0] & 0xff, id);
	CU_ASSERT_EQUAL(ev.raw[0] >> 32, VSID);
	if (id >= UIOMMU_EVT_F_TRANSLATION && id <= UIOMMU_EVT_F_PERMISSION) {
		CU_ASSERT_EQUAL(ev.input_addr, iova);
		CU_ASSERT_EQUAL(ev.raw[2], iova);
		CU_ASSERT_EQUAL(!!(ev.raw[1] & (1ULL << 39)), s2);
		CU_ASSERT_EQUAL(!!(ev.raw[1] & (1ULL << 35)), !(acc & WR));
		CU_ASSERT_EQUAL((ev.raw[1] >> 40) & 3, ev.class_);
		if (s2)
			CU_ASSERT_EQUAL(ev.raw[3], ev.ipa & 0x000ffffffffff000ULL);
	}
}
#define expect_fault(e, d, iova, acc, id, s2, cls, ipa) \
	expect_fault_at(e, d, iova, acc, id, s2, cls, ipa, __LINE__)

static uint64_t
expect_ok_at(struct soft_env *e, void *dev, uint64_t iova, uint32_t acc,
	     int line)
{
	struct uiommu_xlate x;
	int rc = env_xlate(e, dev, iova, acc, &x);

	if (rc != 0)
		printf("line %d: iova 0x%" PRIx64 " rc %d fault 0x%x s2 %u class %u\n",
		       line, iova, rc, x.fault.id, x.fault.s2, x.fault.class_);
	CU_ASSERT_EQUAL(rc, 0);
	return rc == 0 ? x.hva : 0;
}
#define expect_ok(e, d, iova, acc) expect_ok_at(e, d, iova, acc, __LINE__)

/* A nested device with a stage-1 table and a CD at index 0. */
struct nested {
	void *dev;
	struct uiommu_pgtable *pt;
	uint64_t cdtab;
};

static void
nested_setup(struct soft_env *e, struct nested *n, bool affd)
{
	n->dev = env_dev(e, "dma0", VSID, regs0);
	n->pt = env_s1_create(e);
	n->cdtab = env_galloc(e, 0, 64, 64);
	env_write_cd(e, n->cdtab, ASID, uiommu_pgtable_root(n->pt), affd);
	CU_ASSERT_EQUAL(env_set_ste_s1(e, n->dev, n->cdtab, 0, 0), 0);
}

static void
nested_teardown(struct soft_env *e, struct nested *n)
{
	e->ops->vdevice_free(n->dev);
	uiommu_pgtable_destroy(n->pt);
}

/* ---- basics ---- */

static void
test_soft_hw_info(void)
{
	const struct uiommu_backend_ops *ops = uiommu_backend_find("soft");
	struct uiommu_hw_info info;

	UT_ASSERT_FATAL(ops != NULL);
	CU_ASSERT_EQUAL(ops->hw_info(&info), 0);
	CU_ASSERT_STRING_EQUAL(info.name, "soft");
	CU_ASSERT_EQUAL(info.caps, UIOMMU_HW_CAP_NESTING | UIOMMU_HW_CAP_FMT_LPAE |
			UIOMMU_HW_CAP_TRANSLATE | UIOMMU_HW_CAP_SOFT_DMA |
			UIOMMU_HW_CAP_RANGE_INV);
	CU_ASSERT_EQUAL(info.pgsize_bitmap, SZ_4K | SZ_2M | SZ_1G);
	CU_ASSERT_EQUAL(info.ias, 48);
	CU_ASSERT_EQUAL(info.oas, 48);
	CU_ASSERT_EQUAL(ops->hw_info(NULL), -EINVAL);
}

static void
test_soft_viommu_args(void)
{
	static const char *const bad[] = {
		"iotlb=3", "iotlb=", "evtq=0", "bogus=1", "s2=maybe", "iotlb",
	};
	struct soft_env e;

	for (unsigned int i = 0; i < RTE_DIM(bad); i++)
		CU_ASSERT_EQUAL(env_init(&e, bad[i]), -EINVAL);
	CU_ASSERT_EQUAL(env_init(&e, "iotlb=64,evtq=8,s2=on"), 0);
	env_fini(&e);
}

static void
test_soft_vdevice_alloc(void)
{
	static const char *const bad[] = {
		"dma", "dmax", "dma-1", "dma256", "foo0", "dma1x", "",
	};
	struct uiommu_soft_dma_regs *r = (void *)regs0;
	struct uiommu_vdevice_out out;
	struct soft_env e;
	void *dev, *d2;

	UT_ASSERT_FATAL(env_init(&e, NULL) == 0);
	for (unsigned int i = 0; i < RTE_DIM(bad); i++)
		CU_ASSERT_EQUAL(e.ops->vdevice_alloc(e.vi, bad[i], 1, regs0, &dev,
						     &out), -EINVAL);
	CU_ASSERT_EQUAL(e.ops->vdevice_alloc(e.vi, NULL, 1, regs0, &dev, &out),
			-EINVAL);
	CU_ASSERT_EQUAL(e.ops->vdevice_alloc(e.vi, "dma0", 1, NULL, &dev, &out),
			-EINVAL);
	memset(regs0, 0xee, sizeof(regs0));
	CU_ASSERT_EQUAL(e.ops->vdevice_alloc(e.vi, "dma255", 1, regs0, &dev,
					     &out), 0);
	CU_ASSERT_PTR_EQUAL(out.regs, regs0);
	CU_ASSERT_EQUAL(out.fd, -1);
	CU_ASSERT_EQUAL(r->magic, UIOMMU_SOFT_DMA_MAGIC);
	CU_ASSERT_EQUAL(r->version, UIOMMU_SOFT_DMA_VERSION);
	CU_ASSERT_EQUAL(r->ctrl, 0);
	CU_ASSERT_EQUAL(e.ops->vdevice_alloc(e.vi, "dma255", 2, regs1, &d2, &out),
			-EEXIST);
	CU_ASSERT_EQUAL(e.ops->vdevice_alloc(e.vi, "dma3", 1, regs1, &d2, &out),
			-EEXIST);
	/* A new device is blocked: abort, no event. */
	expect_fault_at(&e, dev, 0x1000, RD, 0, 0, ANY, NO_IPA, __LINE__);
	CU_ASSERT_EQUAL(e.ops->vdevice_alloc(e.vi, "dma3", 2, regs1, &d2, &out), 0);
	e.ops->vdevice_free(dev);
	e.ops->vdevice_free(d2);
	e.ops->vdevice_free(NULL);
	env_fini(&e);
}

static void
test_soft_nested_basic_and_record(void)
{
	struct soft_env e;
	struct nested n;
	struct uiommu_xlate x;
	uint64_t gpa, iova = 0x10000000;

	UT_ASSERT_FATAL(env_init(&e, NULL) == 0);
	nested_setup(&e, &n, false);
	gpa = env_galloc(&e, 2, SZ_4K, SZ_4K);
	env_s1_map(n.pt, iova, gpa, SZ_4K, PT_RW);

	CU_ASSERT_EQUAL(env_xlate(&e, n.dev, iova + 0x123, RD | WR, &x), 0);
	CU_ASSERT_EQUAL(x.hva, env_ref_s2(&e, gpa) + 0x123);
	CU_ASSERT_EQUAL(x.contig, SZ_4K - 0x123);
	CU_ASSERT_FALSE(x.iotlb_hit);
	CU_ASSERT_TRUE(x.s1.valid);
	CU_ASSERT_EQUAL(x.s1.in, iova + 0x123);
	CU_ASSERT_EQUAL(x.s1.out, gpa + 0x123);
	CU_ASSERT_EQUAL(x.s1.pgsize, SZ_4K);
	CU_ASSERT_EQUAL(x.s1.level, 3);
	CU_ASSERT_TRUE(x.s2.valid);
	CU_ASSERT_EQUAL(x.s2.in, gpa + 0x123);
	CU_ASSERT_EQUAL(x.s2.pgsize, SZ_4K); /* region C: 4 KiB leaves */
	CU_ASSERT_EQUAL(env_xlate(&e, n.dev, iova + 8, RD, &x), 0);
	CU_ASSERT_TRUE(x.iotlb_hit);
	CU_ASSERT_EQUAL(x.hva, env_ref_s2(&e, gpa) + 8);

	/* Unmapped IOVA: stage-1 translation fault, record checked word by
	 * word against the SMMUv3 layout. */
	{
		struct uiommu_event ev;
		uint64_t lost = 7;

		CU_ASSERT_EQUAL(env_xlate(&e, n.dev, 0x20000000, WR, &x), -EFAULT);
		CU_ASSERT_EQUAL(env_events(&e, &ev, 1, &lost), 1);
		CU_ASSERT_EQUAL(lost, 0);
		CU_ASSERT_EQUAL(ev.raw[0], 0x10ULL | ((uint64_t)VSID << 32));
		CU_ASSERT_EQUAL(ev.raw[1], 2ULL << 40); /* write, S2=0, CLASS=IN */
		CU_ASSERT_EQUAL(ev.raw[2], 0x20000000);
		CU_ASSERT_EQUAL(ev.raw[3], 0);
		CU_ASSERT_EQUAL(x.fault.id, ev.id);
		CU_ASSERT_EQUAL(x.fault.input_addr, ev.input_addr);
		CU_ASSERT_EQUAL(memcmp(x.fault.raw, ev.raw, sizeof(ev.raw)), 0);
	}
	/* Bad access flags. */
	CU_ASSERT_EQUAL(env_xlate(&e, n.dev, iova, 0, &x), -EINVAL);
	CU_ASSERT_EQUAL(env_xlate(&e, n.dev, iova, UIOMMU_ACCESS_PROBE, &x),
			-EINVAL);                       /* a probe of nothing */
	CU_ASSERT_EQUAL(env_xlate(&e, n.dev, iova, RD | (1u << 3), &x), -EINVAL);

	/* An inspection (PROBE): the same fault comes back, none is recorded;
	 * a mapped page translates as for an access. */
	{
		struct uiommu_event ev;
		uint64_t lost = 0;

		CU_ASSERT_EQUAL(env_xlate(&e, n.dev, 0x20000000,
					  WR | UIOMMU_ACCESS_PROBE, &x), -EFAULT);
		CU_ASSERT_EQUAL(x.fault.id, UIOMMU_EVT_F_TRANSLATION);
		CU_ASSERT_EQUAL(x.fault.input_addr, 0x20000000);
		CU_ASSERT_EQUAL(x.fault.raw[0], 0x10ULL | ((uint64_t)VSID << 32));
		CU_ASSERT_EQUAL(env_events(&e, &ev, 1, &lost), 0);
		CU_ASSERT_EQUAL(lost, 0);
		CU_ASSERT_EQUAL(env_xlate(&e, n.dev, iova + 8,
					  RD | UIOMMU_ACCESS_PROBE, &x), 0);
		CU_ASSERT_EQUAL(x.hva, env_ref_s2(&e, gpa) + 8);
		/* The DMA path still records it. */
		CU_ASSERT_EQUAL(env_xlate(&e, n.dev, 0x20000000, WR, &x), -EFAULT);
		CU_ASSERT_EQUAL(env_events(&e, &ev, 1, &lost), 1);
	}
	CU_ASSERT_EQUAL(env_xlate(&e, n.dev, iova, 4, &x), -EINVAL);
	nested_teardown(&e, &n);
	env_fini(&e);
}

/* ---- randomized nested walk vs composition of flat maps ---- */

struct s1map {
	uint64_t iova, gpa, size;
	uint32_t prot;
};

#define MAXMAPS 256

static uint64_t
s2_leaf_size(uint64_t gpa)
{
	if (gpa >= ENV_RA_GPA && gpa < ENV_RA_GPA + ENV_RA_SIZE)
		return SZ_1G;
	if (gpa >= ENV_RB_GPA && gpa < ENV_RB_GPA + ENV_RB_SIZE)
		return SZ_2M;
	return SZ_4K;
}

static uint64_t
pick_target(unsigned long long *seed, uint64_t size)
{
	unsigned int r = (unsigned int)(ut_rand(seed) % 8);

	if (size == SZ_1G) /* A whole, B partly RAM, or a hole */
		return r < 4 ? ENV_RA_GPA : r < 7 ? ENV_RB_GPA & ~(SZ_1G - 1) :
		       ENV_HOLE_GPA;
	if (r == 7)
		return ENV_HOLE_GPA + (ut_rand(seed) % 64) * size;
	if (r < 3) /* region A, past the allocation pool */
		return ENV_RA_GPA + ENV_POOL_SIZE +
		       RTE_ALIGN_CEIL((ut_rand(seed) % (ENV_RA_SIZE / 2)), size);
	if (r < 5)
		return ENV_RB_GPA + ENV_POOL_SIZE +
		       (ut_rand(seed) % ((ENV_RB_SIZE - ENV_POOL_SIZE) / size - 1)) * size;
	if (size == SZ_2M)
		return ENV_RC_GPA + (ut_rand(seed) % (ENV_RC_SIZE / SZ_2M)) * SZ_2M;
	return ENV_RC_GPA + ENV_POOL_SIZE +
	       (ut_rand(seed) % ((ENV_RC_SIZE - ENV_POOL_SIZE) / SZ_4K)) * SZ_4K;
}

static const struct s1map *
ref_s1(const struct s1map *m, unsigned int nm, uint64_t iova)
{
	for (unsigned int i = 0; i < nm; i++)
		if (m[i].size != 0 && iova >= m[i].iova &&
		    iova - m[i].iova < m[i].size)
			return &m[i];
	return NULL;
}

static void
check_against_reference(struct soft_env *e, struct nested *n,
			const struct s1map *m, unsigned int nm, uint64_t iova,
			uint32_t acc, unsigned int *counts)
{
	const struct s1map *r = ref_s1(m, nm, iova);
	struct uiommu_xlate x;
	uint64_t ipa, hva, sz;

	if (r == NULL) {
		expect_fault(e, n->dev, iova, acc, UIOMMU_EVT_F_TRANSLATION, 0, 2, NO_IPA);
		counts[0]++;
		return;
	}
	if ((r->prot & UIOMMU_PT_PROT_PRIV) ||
	    ((acc & WR) && !(r->prot & UIOMMU_PT_PROT_WRITE))) {
		expect_fault(e, n->dev, iova, acc, UIOMMU_EVT_F_PERMISSION, 0, 2, NO_IPA);
		counts[1]++;
		return;
	}
	ipa = r->gpa + (iova - r->iova);
	hva = env_ref_s2(e, ipa);
	if (hva == 0) {
		expect_fault(e, n->dev, iova, acc, UIOMMU_EVT_F_TRANSLATION, 1, 2, ipa);
		counts[2]++;
		return;
	}
	CU_ASSERT_EQUAL(env_xlate(e, n->dev, iova, acc, &x), 0);
	CU_ASSERT_EQUAL(x.hva, hva);
	sz = RTE_MIN(r->size, s2_leaf_size(ipa));
	CU_ASSERT_EQUAL(x.contig, sz - (iova & (sz - 1)));
	if (!x.iotlb_hit) {
		CU_ASSERT_EQUAL(x.s1.pgsize, r->size);
		CU_ASSERT_EQUAL(x.s2.pgsize, s2_leaf_size(ipa));
		CU_ASSERT_EQUAL(x.s1.out, ipa);
	}
	counts[3]++;
}

static void
test_soft_nested_random_vs_composition(void)
{
	static const uint64_t sizes[3] = { SZ_4K, SZ_2M, SZ_1G };
	unsigned long long seed = ut_seed();
	struct s1map m[MAXMAPS];
	unsigned int nm = 0, counts[4] = { 0 };
	uint64_t next = SZ_1G;
	struct soft_env e;
	struct nested n;

	UT_ASSERT_FATAL(env_init(&e, "iotlb=256") == 0);
	nested_setup(&e, &n, false);
	memset(m, 0, sizeof(m));
	while (nm < MAXMAPS) {
		uint64_t size = sizes[ut_rand(&seed) % 3 == 0 ? 2 - (ut_rand(&seed) % 8 != 0) :
				      ut_rand(&seed) % 2];
		uint32_t prot = UIOMMU_PT_PROT_READ;

		if (ut_rand(&seed) % 4 != 0)
			prot |= UIOMMU_PT_PROT_WRITE;
		if (ut_rand(&seed) % 16 == 0)
			prot |= UIOMMU_PT_PROT_PRIV;
		next = RTE_ALIGN_CEIL(next, size) + (ut_rand(&seed) % 3) * size;
		m[nm] = (struct s1map){ .iova = next, .gpa = pick_target(&seed, size),
					.size = size, .prot = prot };
		env_s1_map(n.pt, m[nm].iova, m[nm].gpa, size, prot);
		next += size;
		nm++;
	}
	for (int round = 0; round < 2; round++) {
		for (int q = 0; q < 4000; q++) {
			const struct s1map *r = &m[ut_rand(&seed) % nm];
			uint64_t iova;
			uint32_t acc = ut_rand(&seed) % 2 ? RD : WR;

			if (r->size == 0 || ut_rand(&seed) % 8 == 0)
				iova = ut_rand(&seed) % next; /* anywhere */
			else
				iova = r->iova + ut_rand(&seed) % r->size;
			check_against_reference(&e, &n, m, nm, iova, acc, counts);
			if (ut_rand(&seed) % 4 == 0) /* again: IOTLB hit path */
				check_against_reference(&e, &n, m, nm, iova, acc, counts);
		}
		/* Unmap a third of the mappings, invalidating each range. */
		for (unsigned int i = 0; i < nm; i++) {
			if (m[i].size == 0 || ut_rand(&seed) % 3 != 0)
				continue;
			CU_ASSERT_EQUAL(uiommu_pgtable_unmap(n.pt, m[i].iova, m[i].size,
							     NULL), 0);
			CU_ASSERT_EQUAL(env_inv(&e, UIOMMU_CMD_TLBI_NH_VA, ASID, m[i].iova,
						m[i].iova + m[i].size - 1, NULL, 0), 0);
			m[i].size = 0;
		}
	}
	printf("unmapped %u, s1 perm %u, s2 unmapped %u, translated %u\n",
	       counts[0], counts[1], counts[2], counts[3]);
	CU_ASSERT(counts[0] > 0 && counts[1] > 0 && counts[2] > 0 && counts[3] > 0);
	nested_teardown(&e, &n);
	env_fini(&e);
}

/* ---- stale TLB ---- */

static void
test_soft_stale_tlb(void)
{
	struct soft_env e;
	struct nested n;
	uint64_t iova = 0x7000000, p1, p2, pte_gpa, *pte, old;

	UT_ASSERT_FATAL(env_init(&e, NULL) == 0);
	nested_setup(&e, &n, false);
	p1 = env_galloc(&e, 0, SZ_4K, SZ_4K);
	p2 = env_galloc(&e, 1, SZ_4K, SZ_4K);
	env_s1_map(n.pt, iova, p1, SZ_4K, PT_RW);
	CU_ASSERT_EQUAL(expect_ok(&e, n.dev, iova, RD), env_ref_s2(&e, p1));

	/* The guest rewrites the PTE without invalidating. */
	pte_gpa = env_s1_pte_gpa(n.pt, iova);
	pte = env_gptr(&e, pte_gpa, 8);
	old = *pte;
	__atomic_store_n(pte, (old & ~UIOMMU_LPAE_PTE_ADDR_MASK) | p2,
			 __ATOMIC_RELEASE);
	CU_ASSERT_EQUAL(expect_ok(&e, n.dev, iova, RD), env_ref_s2(&e, p1));
	/* Invalidating another ASID or another range does not help. */
	CU_ASSERT_EQUAL(env_inv(&e, UIOMMU_CMD_TLBI_NH_VA, ASID + 1, iova,
				iova + SZ_4K - 1, NULL, 0), 0);
	CU_ASSERT_EQUAL(env_inv(&e, UIOMMU_CMD_TLBI_NH_VA, ASID, iova + SZ_4K,
				iova + 2 * SZ_4K - 1, NULL, 0), 0);
	CU_ASSERT_EQUAL(expect_ok(&e, n.dev, iova, RD), env_ref_s2(&e, p1));
	/* The right invalidation: the new page. */
	CU_ASSERT_EQUAL(env_inv(&e, UIOMMU_CMD_TLBI_NH_VA, ASID, iova,
				iova + SZ_4K - 1, NULL, 0), 0);
	CU_ASSERT_EQUAL(expect_ok(&e, n.dev, iova, RD), env_ref_s2(&e, p2));
	/* Unmap without invalidation: still translates; then the fault. */
	CU_ASSERT_EQUAL(uiommu_pgtable_unmap(n.pt, iova, SZ_4K, NULL), 0);
	CU_ASSERT_EQUAL(expect_ok(&e, n.dev, iova, RD), env_ref_s2(&e, p2));
	CU_ASSERT_EQUAL(env_inv(&e, UIOMMU_CMD_TLBI_NH_VAA, 0, iova, iova, NULL, 0), 0);
	expect_fault(&e, n.dev, iova, RD, UIOMMU_EVT_F_TRANSLATION, 0, 2, NO_IPA);
	nested_teardown(&e, &n);
	env_fini(&e);
}

/* ---- permissions ---- */

static void
test_soft_permission_faults(void)
{
	const uint32_t prot[3] = {
		UIOMMU_PROT_READ | UIOMMU_PROT_WRITE, UIOMMU_PROT_READ,
		UIOMMU_PROT_READ | UIOMMU_PROT_WRITE,
	};
	uint64_t ro_gpa, rw_gpa;
	struct soft_env e;
	struct nested n;

	UT_ASSERT_FATAL(env_init_prot(&e, NULL, prot) == 0);
	nested_setup(&e, &n, false);
	rw_gpa = env_galloc(&e, 2, SZ_4K, SZ_4K);
	ro_gpa = ENV_RB_GPA + ENV_POOL_SIZE;
	/* Stage 1 read-only. */
	env_s1_map(n.pt, 0x100000, rw_gpa, SZ_4K, UIOMMU_PT_PROT_READ);
	CU_ASSERT(expect_ok(&e, n.dev, 0x100000, RD) != 0);
	expect_fault(&e, n.dev, 0x100010, WR, UIOMMU_EVT_F_PERMISSION, 0, 2, NO_IPA);
	/* Stage 1 privileged only: a device access is unprivileged. */
	env_s1_map(n.pt, 0x200000, rw_gpa, SZ_4K, PT_RW | UIOMMU_PT_PROT_PRIV);
	expect_fault(&e, n.dev, 0x200000, RD, UIOMMU_EVT_F_PERMISSION, 0, 2, NO_IPA);
	/* Stage 2 read-only (region B). */
	env_s1_map(n.pt, 0x300000, ro_gpa, SZ_4K, PT_RW);
	CU_ASSERT_EQUAL(expect_ok(&e, n.dev, 0x300000, RD), env_ref_s2(&e, ro_gpa));
	expect_fault(&e, n.dev, 0x300008, WR, UIOMMU_EVT_F_PERMISSION, 1, 2, ro_gpa + 8);
	/* A cached read translation does not grant a write. */
	CU_ASSERT(expect_ok(&e, n.dev, 0x300008, RD) != 0);
	expect_fault(&e, n.dev, 0x300008, WR, UIOMMU_EVT_F_PERMISSION, 1, 2, ro_gpa + 8);
	nested_teardown(&e, &n);
	env_fini(&e);

	/* Stage 2 write-only region holding the stage-1 root: the table
	 * fetch is a stage-2 permission fault of class TT. */
	{
		const uint32_t wo[3] = {
			UIOMMU_PROT_READ | UIOMMU_PROT_WRITE,
			UIOMMU_PROT_READ | UIOMMU_PROT_WRITE, UIOMMU_PROT_WRITE,
		};
		uint64_t root, cd;
		void *dev;

		UT_ASSERT_FATAL(env_init_prot(&e, NULL, wo) == 0);
		dev = env_dev(&e, "dma0", VSID, regs0);
		root = env_galloc(&e, 2, SZ_4K, SZ_4K);
		cd = env_galloc(&e, 1, 64, 64);
		env_write_cd(&e, cd, ASID, root, false);
		CU_ASSERT_EQUAL(env_set_ste_s1(&e, dev, cd, 0, 0), 0);
		expect_fault(&e, dev, 0x1000, RD, UIOMMU_EVT_F_PERMISSION, 1, 1, root);
		/* The CD itself in the write-only region: class CD. */
		cd = env_galloc(&e, 2, 64, 64);
		CU_ASSERT_EQUAL(env_set_ste_s1(&e, dev, cd, 0, 0), 0);
		expect_fault(&e, dev, 0x1000, RD, UIOMMU_EVT_F_PERMISSION, 1, 0, cd);
		e.ops->vdevice_free(dev);
		env_fini(&e);
	}
}

/* ---- bad configurations ---- */

static void
write_cd_words(struct soft_env *e, uint64_t gpa, uint64_t w0, uint64_t w1)
{
	uint64_t *p = env_gptr(e, gpa, 64);

	memset(p, 0, 64);
	p[0] = w0;
	p[1] = w1;
}

static void
test_soft_bad_configurations(void)
{
	struct soft_env e;
	struct nested n;
	uint64_t root, gpa, w0;

	UT_ASSERT_FATAL(env_init(&e, NULL) == 0);
	nested_setup(&e, &n, false);
	root = uiommu_pgtable_root(n.pt);
	gpa = env_galloc(&e, 0, SZ_4K, SZ_4K);
	env_s1_map(n.pt, 0x5000, gpa, SZ_4K, PT_RW);
	CU_ASSERT(expect_ok(&e, n.dev, 0x5000, RD) != 0);

	/* STE V = 0: C_BAD_STE on every access. */
	{
		struct uiommu_ste_info ste = { .valid = 0 };
		struct uiommu_event ev;
		struct uiommu_xlate x;
		uint64_t lost = 0;

		CU_ASSERT_EQUAL(e.ops->vdevice_set_ste(n.dev, &ste), 0);
		expect_fault(&e, n.dev, 0x5000, RD, UIOMMU_EVT_C_BAD_STE, 0, ANY, NO_IPA);
		expect_fault(&e, n.dev, 0x6000, WR, UIOMMU_EVT_C_BAD_STE, 0, ANY, NO_IPA);
		/* Inspected, not transacted: no record. */
		CU_ASSERT_EQUAL(env_xlate(&e, n.dev, 0x5000,
					  RD | UIOMMU_ACCESS_PROBE, &x), -EFAULT);
		CU_ASSERT_EQUAL(x.fault.id, UIOMMU_EVT_C_BAD_STE);
		CU_ASSERT_EQUAL(env_events(&e, &ev, 1, &lost), 0);
	}
	/* A guest may not supply stage 2: refused, device blocked. */
	CU_ASSERT_EQUAL(env_set_ste_cfg(&e, n.dev, UIOMMU_STE_CFG_S2), -EINVAL);
	expect_fault(&e, n.dev, 0x5000, RD, 0, 0, ANY, NO_IPA);
	CU_ASSERT_EQUAL(env_set_ste_cfg(&e, n.dev, UIOMMU_STE_CFG_NESTED), -EINVAL);
	expect_fault(&e, n.dev, 0x5000, RD, 0, 0, ANY, NO_IPA);
	/* Abort config and "no STE": terminated without an event. */
	CU_ASSERT_EQUAL(env_set_ste_cfg(&e, n.dev, UIOMMU_STE_CFG_ABORT), 0);
	expect_fault(&e, n.dev, 0x5000, RD, 0, 0, ANY, NO_IPA);
	CU_ASSERT_EQUAL(e.ops->vdevice_set_ste(n.dev, NULL), 0);
	expect_fault(&e, n.dev, 0x5000, RD, 0, 0, ANY, NO_IPA);
	CU_ASSERT_EQUAL(e.ops->vdevice_set_ste(NULL, NULL), -EINVAL);

	/* Back to a good STE. */
	CU_ASSERT_EQUAL(env_set_ste_s1(&e, n.dev, n.cdtab, 0, 0), 0);
	CU_ASSERT(expect_ok(&e, n.dev, 0x5000, RD) != 0);

	/* CD not valid, and CDs with illegal fields: C_BAD_CD. The STE is
	 * re-applied each time so the CD is fetched again. */
	w0 = 16 | UIOMMU_CD0_V | (5ULL << 32) | UIOMMU_CD0_AA64 |
	     ((uint64_t)ASID << 48);
	{
		const uint64_t bad[][2] = {
			{ w0 & ~UIOMMU_CD0_V, root },           /* V = 0 */
			{ (w0 & ~0x3fULL) | 10, root },         /* T0SZ 10 */
			{ w0 & ~UIOMMU_CD0_AA64, root },        /* AArch32 */
			{ w0 | (1ULL << 6), root },             /* 64K granule */
			{ w0 | UIOMMU_CD0_ENDI, root },         /* big endian */
			{ w0 | UIOMMU_CD0_HA, root },           /* HTTU */
			{ w0, root | (1ULL << 60) },            /* reserved */
			{ w0, root | 0x80 },                    /* misaligned */
			{ w0 | (7ULL << 32), root },            /* IPS reserved */
		};

		for (unsigned int i = 0; i < RTE_DIM(bad); i++) {
			write_cd_words(&e, n.cdtab, bad[i][0], bad[i][1]);
			CU_ASSERT_EQUAL(env_set_ste_s1(&e, n.dev, n.cdtab, 0, 0), 0);
			expect_fault(&e, n.dev, 0x5000, RD, UIOMMU_EVT_C_BAD_CD, 0, ANY,
				     NO_IPA);
		}
		/* EPD0: walks disabled, a translation fault. */
		write_cd_words(&e, n.cdtab, w0 | UIOMMU_CD0_EPD0, root);
		CU_ASSERT_EQUAL(env_set_ste_s1(&e, n.dev, n.cdtab, 0, 0), 0);
		expect_fault(&e, n.dev, 0x5000, RD, UIOMMU_EVT_F_TRANSLATION, 0, 2, NO_IPA);
		/* The same words, valid: works (and the A bit is not AFFD). */
		write_cd_words(&e, n.cdtab, w0 | UIOMMU_CD0_A | UIOMMU_CD0_R, root);
		CU_ASSERT_EQUAL(env_set_ste_s1(&e, n.dev, n.cdtab, 0, 0), 0);
		CU_ASSERT_EQUAL(expect_ok(&e, n.dev, 0x5000, RD), env_ref_s2(&e, gpa));
	}
	/* CD pointer outside RAM: the CD fetch faults at stage 2. */
	CU_ASSERT_EQUAL(env_set_ste_s1(&e, n.dev, ENV_HOLE_GPA + 0x40, 0, 0), 0);
	expect_fault(&e, n.dev, 0x5000, RD, UIOMMU_EVT_F_TRANSLATION, 1, 0,
		     ENV_HOLE_GPA + 0x40);
	/* CD pointer far beyond the stage-2 input size. */
	CU_ASSERT_EQUAL(env_set_ste_s1(&e, n.dev, 0x000ffffffffff000ULL, 0, 0), 0);
	expect_fault(&e, n.dev, 0x5000, RD, UIOMMU_EVT_F_TRANSLATION, 1, 0, NO_IPA);
	/* TTB0 outside RAM: the first table fetch faults at stage 2 (TT). */
	env_write_cd(&e, n.cdtab, ASID + 9, ENV_HOLE_GPA, false);
	CU_ASSERT_EQUAL(env_set_ste_s1(&e, n.dev, n.cdtab, 0, 0), 0);
	expect_fault(&e, n.dev, 0x5000, RD, UIOMMU_EVT_F_TRANSLATION, 1, 1,
		     ENV_HOLE_GPA);
	nested_teardown(&e, &n);
	env_fini(&e);
}

/* ---- hostile tables (hand-written descriptors) ---- */

#define TBL(gpa) ((gpa) | 3ULL)
#define PAGE(gpa) ((gpa) | 3ULL | UIOMMU_LPAE_PTE_AF | UIOMMU_LPAE_PTE_AP_UNPRIV)

static uint64_t
idx_iova(unsigned int i0, unsigned int i1, unsigned int i2, unsigned int i3)
{
	return ((uint64_t)i0 << 39) | ((uint64_t)i1 << 30) |
	       ((uint64_t)i2 << 21) | ((uint64_t)i3 << 12);
}

static void
test_soft_hostile_tables(void)
{
	unsigned long long seed = ut_seed();
	uint64_t root, l1, l2, l3, data, cd, *t0, *t1, *t2, *t3;
	struct soft_env e;
	void *dev;

	UT_ASSERT_FATAL(env_init(&e, NULL) == 0);
	dev = env_dev(&e, "dma0", VSID, regs0);
	root = env_galloc(&e, 2, SZ_4K, SZ_4K);
	l1 = env_galloc(&e, 1, SZ_4K, SZ_4K);
	l2 = env_galloc(&e, 0, SZ_4K, SZ_4K);
	l3 = env_galloc(&e, 2, SZ_4K, SZ_4K);
	data = env_galloc(&e, 0, SZ_4K, SZ_4K);
	cd = env_galloc(&e, 1, 64, 64);
	t0 = env_gptr(&e, root, SZ_4K);
	t1 = env_gptr(&e, l1, SZ_4K);
	t2 = env_gptr(&e, l2, SZ_4K);
	t3 = env_gptr(&e, l3, SZ_4K);
	env_write_cd(&e, cd, ASID, root, false);
	CU_ASSERT_EQUAL(env_set_ste_s1(&e, dev, cd, 0, 0), 0);

	/* A well-formed chain for index (0,0,0,0). */
	t0[0] = TBL(l1);
	t1[0] = TBL(l2);
	t2[0] = TBL(l3);
	t3[0] = PAGE(data);
	CU_ASSERT_EQUAL(expect_ok(&e, dev, 0x10, RD), env_ref_s2(&e, data) + 0x10);

	/* A table pointer outside RAM (level 1 table): stage-2 fault on the
	 * fetch of the level-1 descriptor, class TT, IPA = its address. */
	t0[1] = TBL(ENV_HOLE_GPA);
	expect_fault(&e, dev, idx_iova(1, 3, 0, 0), RD, UIOMMU_EVT_F_TRANSLATION, 1,
		     1, ENV_HOLE_GPA + 3 * 8);
	/* A table pointer above the stage-1 output size: address size. */
	t0[4] = TBL(1ULL << 48);
	expect_fault(&e, dev, idx_iova(4, 0, 0, 0), RD, UIOMMU_EVT_F_ADDR_SIZE, 0,
		     ANY, NO_IPA);

	/* Self-reference: root[5] -> root. Index 5 at every level reads
	 * root[5] four times; at level 3 it is a page (of the root) without
	 * AF: an access-flag fault, after exactly four reads. */
	t0[5] = TBL(root);
	expect_fault(&e, dev, idx_iova(5, 5, 5, 5), RD, UIOMMU_EVT_F_ACCESS, 0, 2,
		     NO_IPA);
	/* Two-table loop: root[6] -> l1, l1[6] -> root. */
	t0[6] = TBL(l1);
	t1[6] = TBL(root);
	expect_fault(&e, dev, idx_iova(6, 6, 6, 6), RD, UIOMMU_EVT_F_ACCESS, 0, 2,
		     NO_IPA);
	/* With AFFD the self-referencing walk ends on the root page, which
	 * the descriptor does not grant to unprivileged accesses. */
	env_write_cd(&e, cd, ASID, root, true);
	CU_ASSERT_EQUAL(env_set_ste_s1(&e, dev, cd, 0, 0), 0);
	expect_fault(&e, dev, idx_iova(5, 5, 5, 5), RD, UIOMMU_EVT_F_PERMISSION, 0, 2,
		     NO_IPA);
	/* ... and one that does maps the table page itself: the guest sees
	 * its own table, which is guest RAM. */
	t0[7] = TBL(root) | UIOMMU_LPAE_PTE_AP_UNPRIV;
	CU_ASSERT_EQUAL(expect_ok(&e, dev, idx_iova(7, 7, 7, 7) + 8, RD),
			env_ref_s2(&e, root) + 8);
	env_write_cd(&e, cd, ASID, root, false);
	CU_ASSERT_EQUAL(env_set_ste_s1(&e, dev, cd, 0, 0), 0);

	/* Reserved bits and encodings. */
	t3[1] = PAGE(data) | (1ULL << 49);     /* OA bits [51:48] */
	expect_fault(&e, dev, idx_iova(0, 0, 0, 1), RD, UIOMMU_EVT_F_ADDR_SIZE, 0, 2,
		     NO_IPA);
	t3[2] = (data | 1ULL | UIOMMU_LPAE_PTE_AF); /* level-3 type 0b01 */
	expect_fault(&e, dev, idx_iova(0, 0, 0, 2), RD, UIOMMU_EVT_F_TRANSLATION, 0,
		     2, NO_IPA);
	t0[8] = (SZ_1G * 0) | 1ULL | UIOMMU_LPAE_PTE_AF; /* level-0 block */
	expect_fault(&e, dev, idx_iova(8, 0, 0, 0), RD, UIOMMU_EVT_F_TRANSLATION, 0,
		     2, NO_IPA);
	t2[3] = (data | 1ULL | UIOMMU_LPAE_PTE_AF | UIOMMU_LPAE_PTE_AP_UNPRIV);
	/* a 2 MiB block whose OA is not 2 MiB aligned */
	expect_fault(&e, dev, idx_iova(0, 0, 3, 0), RD, UIOMMU_EVT_F_ADDR_SIZE, 0, 2,
		     NO_IPA);
	/* Address beyond the 48-bit input: translation fault. */
	expect_fault(&e, dev, 1ULL << 48, RD, UIOMMU_EVT_F_TRANSLATION, 0, 2, NO_IPA);
	expect_fault(&e, dev, UINT64_MAX, RD, UIOMMU_EVT_F_TRANSLATION, 0, 2, NO_IPA);

	/* Garbage: random descriptors in all four tables, random accesses.
	 * Every answer is a fault or a host address inside guest RAM. */
	for (int round = 0; round < 200; round++) {
		uint64_t *t[4] = { t0, t1, t2, t3 };
		const uint64_t targets[5] = { root, l1, l2, l3, data };

		for (int i = 0; i < 32; i++) {
			uint64_t v = ut_rand(&seed);

			if (ut_rand(&seed) % 2)
				v = (v & ~UIOMMU_LPAE_PTE_ADDR_MASK) |
				    targets[ut_rand(&seed) % 5];
			t[ut_rand(&seed) % 4][ut_rand(&seed) % 8] = v;
		}
		if (round % 50 == 0)
			CU_ASSERT_EQUAL(env_inv(&e, UIOMMU_CMD_TLBI_NH_ALL, 0, 0, 0,
						NULL, 0), 0);
		for (int i = 0; i < 50; i++) {
			struct uiommu_xlate x;
			uint64_t iova = idx_iova((unsigned int)(ut_rand(&seed) % 8),
						 (unsigned int)(ut_rand(&seed) % 8),
						 (unsigned int)(ut_rand(&seed) % 8),
						 (unsigned int)(ut_rand(&seed) % 8)) |
					(ut_rand(&seed) & 0xfff);
			int rc = env_xlate(&e, dev, iova, ut_rand(&seed) % 2 ? RD : WR,
					   &x);

			CU_ASSERT(rc == 0 || rc == -EFAULT);
			if (rc == 0) {
				bool in = false;

				for (unsigned int r = 0; r < ENV_NREGIONS; r++)
					in |= x.hva >= (uint64_t)(uintptr_t)e.hva[r] &&
					      x.hva - (uint64_t)(uintptr_t)e.hva[r] +
					      x.contig <= e.size[r];
				CU_ASSERT_TRUE(in);
			}
		}
		{
			struct uiommu_event ev[64];
			uint64_t lost;

			while (env_events(&e, ev, 64, &lost) > 0)
				;
		}
	}
	e.ops->vdevice_free(dev);
	env_fini(&e);
}

/* ---- substreams ---- */

static void
test_soft_substreams(void)
{
	struct soft_env e;
	struct nested n;
	uint64_t cdtab, gpa;

	UT_ASSERT_FATAL(env_init(&e, NULL) == 0);
	nested_setup(&e, &n, false);
	gpa = env_galloc(&e, 0, SZ_4K, SZ_4K);
	env_s1_map(n.pt, 0x9000, gpa, SZ_4K, PT_RW);
	/* A CD table of 4; CD 0 is the one with the table. */
	cdtab = env_galloc(&e, 1, 4 * 64, 64);
	env_write_cd(&e, cdtab, ASID, uiommu_pgtable_root(n.pt), false);
	/* S1DSS terminate: a transaction without substream is refused. */
	CU_ASSERT_EQUAL(env_set_ste_s1(&e, n.dev, cdtab, 2, 0), 0);
	expect_fault(&e, n.dev, 0x9000, RD, UIOMMU_EVT_F_STREAM_DISABLED, 0, ANY,
		     NO_IPA);
	/* S1DSS bypass: stage 1 skipped, stage 2 still applies. */
	CU_ASSERT_EQUAL(env_set_ste_s1(&e, n.dev, cdtab, 2, 1), 0);
	CU_ASSERT_EQUAL(expect_ok(&e, n.dev, gpa + 4, RD), env_ref_s2(&e, gpa) + 4);
	expect_fault(&e, n.dev, ENV_HOLE_GPA, RD, UIOMMU_EVT_F_TRANSLATION, 1, 2,
		     ENV_HOLE_GPA);
	/* S1DSS substream 0: CD 0. */
	CU_ASSERT_EQUAL(env_set_ste_s1(&e, n.dev, cdtab, 2, 2), 0);
	CU_ASSERT_EQUAL(expect_ok(&e, n.dev, 0x9004, RD), env_ref_s2(&e, gpa) + 4);
	nested_teardown(&e, &n);
	env_fini(&e);
}

/* ---- event ring overflow ---- */

static void
test_soft_event_overflow(void)
{
	struct uiommu_event ev[16];
	struct soft_env e;
	struct nested n;
	uint64_t lost = 0;
	struct uiommu_xlate x;

	UT_ASSERT_FATAL(env_init(&e, "evtq=4") == 0);
	nested_setup(&e, &n, false);
	for (uint64_t i = 0; i < 10; i++)
		CU_ASSERT_EQUAL(env_xlate(&e, n.dev, 0x1000 * (i + 1), RD, &x), -EFAULT);
	CU_ASSERT_EQUAL(env_events(&e, ev, 16, &lost), 4);
	CU_ASSERT_EQUAL(lost, 6);
	for (uint64_t i = 0; i < 4; i++) /* the oldest are kept */
		CU_ASSERT_EQUAL(ev[i].input_addr, 0x1000 * (i + 1));
	CU_ASSERT_EQUAL(env_events(&e, ev, 16, &lost), 0);
	CU_ASSERT_EQUAL(lost, 0);
	CU_ASSERT_EQUAL(env_xlate(&e, n.dev, 0x77000, WR, &x), -EFAULT);
	CU_ASSERT_EQUAL(env_events(&e, ev, 1, &lost), 1);
	CU_ASSERT_EQUAL(ev[0].input_addr, 0x77000);
	CU_ASSERT_EQUAL(lost, 0);
	/* Reading fewer than are queued leaves the rest. */
	for (uint64_t i = 0; i < 3; i++)
		env_xlate(&e, n.dev, 0x1000 * (i + 1), RD, &x);
	CU_ASSERT_EQUAL(env_events(&e, ev, 2, &lost), 2);
	CU_ASSERT_EQUAL(env_events(&e, ev, 2, &lost), 1);
	CU_ASSERT_EQUAL(ev[0].input_addr, 0x3000);
	CU_ASSERT_EQUAL(e.ops->event_read(e.vi, NULL, 1, &lost), -EINVAL);
	nested_teardown(&e, &n);
	env_fini(&e);
}

/* ---- the invalidate op ---- */

static bool
is_hit(struct soft_env *e, void *dev, uint64_t iova)
{
	struct uiommu_xlate x;

	return env_xlate(e, dev, iova, RD, &x) == 0 && x.iotlb_hit;
}

static void
test_soft_invalidate_batch(void)
{
	struct soft_env e;
	struct nested n;
	struct uiommu_inv b[4];
	unsigned int done;
	uint64_t gpa;

	UT_ASSERT_FATAL(env_init(&e, NULL) == 0);
	nested_setup(&e, &n, false);
	gpa = env_galloc(&e, 0, 4 * SZ_4K, SZ_4K);
	env_s1_map(n.pt, 0x40000, gpa, 4 * SZ_4K, PT_RW);
	for (uint64_t i = 0; i < 4; i++)
		expect_ok(&e, n.dev, 0x40000 + i * SZ_4K, RD);
	CU_ASSERT_TRUE(is_hit(&e, n.dev, 0x40000));

	memset(b, 0, sizeof(b));
	b[0] = (struct uiommu_inv){ .op = UIOMMU_CMD_TLBI_NH_VA, .asid = ASID,
				    .vmid = e.vmid, .first = 0x40000, .last = 0x40fff };
	b[1] = (struct uiommu_inv){ .op = UIOMMU_CMD_TLBI_S2_IPA, .vmid = e.vmid };
	b[2] = (struct uiommu_inv){ .op = UIOMMU_CMD_TLBI_NH_ALL, .vmid = e.vmid };
	done = 99;
	CU_ASSERT_EQUAL(e.ops->invalidate(e.vi, b, 3, &done), -EOPNOTSUPP);
	CU_ASSERT_EQUAL(done, 1);
	CU_ASSERT_FALSE(is_hit(&e, n.dev, 0x40000));   /* entry 0 applied */
	CU_ASSERT_TRUE(is_hit(&e, n.dev, 0x41000));    /* entry 2 was not */

	b[0].first = 0x42000;
	b[0].last = 0x41000;
	CU_ASSERT_EQUAL(e.ops->invalidate(e.vi, b, 1, &done), -EINVAL);
	CU_ASSERT_EQUAL(done, 0);
	CU_ASSERT_EQUAL(e.ops->invalidate(e.vi, b, 0, &done), 0);
	CU_ASSERT_EQUAL(done, 0);
	CU_ASSERT_EQUAL(e.ops->invalidate(e.vi, NULL, 1, &done), -EINVAL);

	/* Accepted without effect on translations. */
	b[0] = (struct uiommu_inv){ .op = UIOMMU_CMD_ATC_INV, .dev = n.dev };
	b[1] = (struct uiommu_inv){ .op = UIOMMU_CMD_PREFETCH_CFG, .dev = n.dev };
	b[2] = (struct uiommu_inv){ .op = UIOMMU_CMD_SYNC };
	CU_ASSERT_EQUAL(e.ops->invalidate(e.vi, b, 3, &done), 0);
	CU_ASSERT_EQUAL(done, 3);
	CU_ASSERT_TRUE(is_hit(&e, n.dev, 0x41000));

	/* By ASID (another ASID: kept), then NSNH_ALL. */
	CU_ASSERT_EQUAL(env_inv(&e, UIOMMU_CMD_TLBI_NH_ASID, ASID + 1, 0, 0, NULL, 0), 0);
	CU_ASSERT_TRUE(is_hit(&e, n.dev, 0x41000));
	CU_ASSERT_EQUAL(env_inv(&e, UIOMMU_CMD_TLBI_NH_ASID, ASID, 0, 0, NULL, 0), 0);
	CU_ASSERT_FALSE(is_hit(&e, n.dev, 0x41000));
	CU_ASSERT_TRUE(is_hit(&e, n.dev, 0x41000));
	CU_ASSERT_EQUAL(env_inv(&e, UIOMMU_CMD_TLBI_NSNH_ALL, 0, 0, 0, NULL, 0), 0);
	CU_ASSERT_FALSE(is_hit(&e, n.dev, 0x41000));
	nested_teardown(&e, &n);
	env_fini(&e);
}

static void
test_soft_cd_cache_and_cfgi(void)
{
	static const uint8_t ops[] = {
		UIOMMU_CMD_CFGI_CD, UIOMMU_CMD_CFGI_CD_ALL, UIOMMU_CMD_CFGI_STE,
		UIOMMU_CMD_CFGI_ALL,
	};
	struct uiommu_pgtable *pt2;
	uint64_t g1, g2;
	struct soft_env e;
	struct nested n;

	UT_ASSERT_FATAL(env_init(&e, NULL) == 0);
	nested_setup(&e, &n, false);
	pt2 = env_s1_create(&e);
	g1 = env_galloc(&e, 0, SZ_4K, SZ_4K);
	g2 = env_galloc(&e, 1, SZ_4K, SZ_4K);
	env_s1_map(n.pt, 0x8000, g1, SZ_4K, PT_RW);
	env_s1_map(pt2, 0x8000, g2, SZ_4K, PT_RW);
	/* CD 0 (ASID 5, first table) is fetched and cached. */
	CU_ASSERT_EQUAL(expect_ok(&e, n.dev, 0x8000, RD), env_ref_s2(&e, g1));

	for (unsigned int i = 0; i < RTE_DIM(ops); i++) {
		bool to2 = (i % 2) == 0;
		uint16_t asid = (uint16_t)(ASID + 1 + i);

		/* The guest rewrites the CD (new ASID, other tables)... */
		env_write_cd(&e, n.cdtab, asid,
			     uiommu_pgtable_root(to2 ? pt2 : n.pt), false);
		/* ...the cached CD is still used... */
		CU_ASSERT_EQUAL(expect_ok(&e, n.dev, 0x8000, RD),
				env_ref_s2(&e, to2 ? g1 : g2));
		/* ...until the CFGI (dev given for all but CFGI_ALL). */
		CU_ASSERT_EQUAL(env_inv(&e, ops[i], 0, 0, 0,
					ops[i] == UIOMMU_CMD_CFGI_ALL ? NULL : n.dev,
					0), 0);
		CU_ASSERT_EQUAL(expect_ok(&e, n.dev, 0x8000, RD),
				env_ref_s2(&e, to2 ? g2 : g1));
	}
	/* CFGI_CD of another SSID leaves the cached CD 0 alone; a CFGI with
	 * no device drops every device's CDs. */
	env_write_cd(&e, n.cdtab, ASID + 20, uiommu_pgtable_root(pt2), false);
	CU_ASSERT_EQUAL(env_inv(&e, UIOMMU_CMD_CFGI_CD, 0, 0, 0, n.dev, 3), 0);
	CU_ASSERT_EQUAL(expect_ok(&e, n.dev, 0x8000, RD), env_ref_s2(&e, g1));
	CU_ASSERT_EQUAL(env_inv(&e, UIOMMU_CMD_CFGI_CD, 0, 0, 0, NULL, 0), 0);
	CU_ASSERT_EQUAL(expect_ok(&e, n.dev, 0x8000, RD), env_ref_s2(&e, g2));
	uiommu_pgtable_destroy(pt2);
	nested_teardown(&e, &n);
	env_fini(&e);
}

/* ---- stage-2-only streams and stage-2 unmap ---- */

static void
test_soft_s2_only_and_s2_unmap(void)
{
	struct soft_env e;
	struct nested n;
	struct uiommu_xlate x;
	uint64_t gb = ENV_RB_GPA + ENV_POOL_SIZE + 0x1234;
	void *dev2;

	UT_ASSERT_FATAL(env_init(&e, NULL) == 0);
	nested_setup(&e, &n, false);
	dev2 = env_dev(&e, "dma1", VSID + 1, regs1);
	/* Guest bypass: IOVA = IPA through stage 2. */
	CU_ASSERT_EQUAL(env_set_ste_cfg(&e, dev2, UIOMMU_STE_CFG_BYPASS), 0);
	CU_ASSERT_EQUAL(env_xlate(&e, dev2, gb, RD | WR, &x), 0);
	CU_ASSERT_EQUAL(x.hva, env_ref_s2(&e, gb));
	CU_ASSERT_EQUAL(x.contig, SZ_2M - (gb & (SZ_2M - 1)));
	CU_ASSERT_EQUAL(x.s2.pgsize, SZ_2M);
	CU_ASSERT_FALSE(x.s1.valid);
	CU_ASSERT_EQUAL(env_xlate(&e, dev2, gb, RD, &x), 0);
	CU_ASSERT_TRUE(x.iotlb_hit);
	CU_ASSERT_EQUAL(env_xlate(&e, dev2, ENV_HOLE_GPA, RD, &x), -EFAULT);
	CU_ASSERT_EQUAL(x.fault.id, UIOMMU_EVT_F_TRANSLATION);
	CU_ASSERT_EQUAL(x.fault.s2, 1);
	CU_ASSERT_EQUAL(x.fault.ipa, ENV_HOLE_GPA);
	CU_ASSERT_EQUAL(x.fault.sid, VSID + 1);

	/* Nested device reaching region B. */
	env_s1_map(n.pt, 0x3000000, gb & ~(SZ_4K - 1), SZ_4K, PT_RW);
	CU_ASSERT(expect_ok(&e, n.dev, 0x3000000, RD) != 0);
	CU_ASSERT_TRUE(is_hit(&e, n.dev, 0x3000000));

	/* Unmapping region B at stage 2 leaves nothing cached. */
	e.ops->s2_unmap(e.vi, ENV_RB_GPA, ENV_RB_SIZE);
	CU_ASSERT_EQUAL(env_xlate(&e, dev2, gb, RD, &x), -EFAULT);
	CU_ASSERT_EQUAL(x.fault.s2, 1);
	CU_ASSERT_EQUAL(env_xlate(&e, n.dev, 0x3000000, RD, &x), -EFAULT);
	CU_ASSERT_EQUAL(x.fault.id, UIOMMU_EVT_F_TRANSLATION);
	CU_ASSERT_EQUAL(x.fault.s2, 1); /* output, or a table that was in B */
	/* Map it again read-only. */
	CU_ASSERT_EQUAL(e.ops->s2_map(e.vi, ENV_RB_GPA, e.hva[1], ENV_RB_SIZE,
				      UIOMMU_PROT_READ), 0);
	CU_ASSERT_EQUAL(env_xlate(&e, dev2, gb, RD, &x), 0);
	CU_ASSERT_EQUAL(env_xlate(&e, dev2, gb, WR, &x), -EFAULT);
	CU_ASSERT_EQUAL(x.fault.id, UIOMMU_EVT_F_PERMISSION);
	/* s2_map argument checks. */
	CU_ASSERT_EQUAL(e.ops->s2_map(e.vi, 0x1001, e.hva[1], SZ_4K,
				      UIOMMU_PROT_READ), -EINVAL);
	CU_ASSERT_EQUAL(e.ops->s2_map(e.vi, 0x1000, e.hva[1], 0, UIOMMU_PROT_READ),
			-EINVAL);
	CU_ASSERT_EQUAL(e.ops->s2_map(e.vi, 0x1000, e.hva[1], SZ_4K, 0), -EINVAL);
	CU_ASSERT_EQUAL(e.ops->s2_map(e.vi, 0x1000, e.hva[1], SZ_4K,
				      0x10 | UIOMMU_PROT_READ), -EOPNOTSUPP);
	CU_ASSERT_EQUAL(e.ops->s2_map(e.vi, UINT64_MAX - 4095, e.hva[1], 8192,
				      UIOMMU_PROT_READ), -EOVERFLOW);
	CU_ASSERT_EQUAL(e.ops->s2_map(e.vi, ENV_RB_GPA, e.hva[1], SZ_4K,
				      UIOMMU_PROT_READ), -EEXIST);
	{
		struct uiommu_event ev[64];
		uint64_t lost;

		while (env_events(&e, ev, 64, &lost) > 0)
			;
	}
	e.ops->vdevice_free(dev2);
	nested_teardown(&e, &n);
	env_fini(&e);
}

/* ---- a vIOMMU without stage 2 ---- */

static void
test_soft_no_stage2(void)
{
	struct soft_env e;
	struct nested n;
	struct uiommu_xlate x;
	uint64_t gpa;
	void *dev2;

	UT_ASSERT_FATAL(env_init(&e, "s2=off") == 0);
	nested_setup(&e, &n, false);
	gpa = env_galloc(&e, 2, 2 * SZ_4K, SZ_4K);
	/* Stage 1 only: the output is a guest-physical address. */
	env_s1_map(n.pt, 0x6000, gpa, 2 * SZ_4K, PT_RW);
	CU_ASSERT_EQUAL(env_xlate(&e, n.dev, 0x6010, WR, &x), 0);
	CU_ASSERT_EQUAL(x.hva, env_ref_s2(&e, gpa) + 0x10);
	CU_ASSERT_TRUE(x.s1.valid);
	CU_ASSERT_FALSE(x.s2.valid);
	CU_ASSERT_TRUE(is_hit(&e, n.dev, 0x6000));
	/* Output outside RAM: terminated, no event (no SMMU fault). */
	env_s1_map(n.pt, 0xa000, ENV_HOLE_GPA, SZ_4K, PT_RW);
	expect_fault(&e, n.dev, 0xa000, RD, 0, 0, ANY, NO_IPA);
	/* TTB0 outside RAM: external abort on the walk. */
	env_write_cd(&e, n.cdtab, ASID, ENV_HOLE_GPA, false);
	CU_ASSERT_EQUAL(env_set_ste_s1(&e, n.dev, n.cdtab, 0, 0), 0);
	expect_fault(&e, n.dev, 0x6000 + idx_iova(2, 0, 0, 0), RD,
		     UIOMMU_EVT_F_WALK_EABT, 0, 1, ENV_HOLE_GPA + 2 * 8);
	/* CD outside RAM: F_CD_FETCH with the fetch address. */
	CU_ASSERT_EQUAL(env_set_ste_s1(&e, n.dev, ENV_HOLE_GPA + 0x80, 0, 0), 0);
	CU_ASSERT_EQUAL(env_xlate(&e, n.dev, 0x6000, RD, &x), -EFAULT);
	CU_ASSERT_EQUAL(x.fault.id, UIOMMU_EVT_F_CD_FETCH);
	{
		struct uiommu_event ev;
		uint64_t lost;

		CU_ASSERT_EQUAL(env_events(&e, &ev, 1, &lost), 1);
		CU_ASSERT_EQUAL(ev.raw[0], UIOMMU_EVT_F_CD_FETCH | ((uint64_t)VSID << 32));
		CU_ASSERT_EQUAL(ev.raw[3], ENV_HOLE_GPA + 0x80);
	}
	/* Bypass: IOVA is guest-physical. */
	dev2 = env_dev(&e, "dma1", VSID + 1, regs1);
	CU_ASSERT_EQUAL(env_set_ste_cfg(&e, dev2, UIOMMU_STE_CFG_BYPASS), 0);
	CU_ASSERT_EQUAL(env_xlate(&e, dev2, ENV_RC_GPA + 5, RD | WR, &x), 0);
	CU_ASSERT_EQUAL(x.hva, env_ref_s2(&e, ENV_RC_GPA + 5));
	CU_ASSERT_EQUAL(x.contig, ENV_RC_SIZE - 5);
	CU_ASSERT_EQUAL(env_xlate(&e, dev2, ENV_HOLE_GPA, RD, &x), -EFAULT);
	CU_ASSERT_EQUAL(x.fault.id, 0);
	e.ops->vdevice_free(dev2);
	nested_teardown(&e, &n);
	env_fini(&e);
}

#ifdef UIOMMU_FAULT_INJECTION
#include "uiommu_fail.h"

/* Fail every resource acquisition of the set-up paths in turn. */
static void
test_soft_fail_nth(void)
{
	for (uint64_t nth = 1; nth < 64; nth++) {
		struct soft_env e;
		int rc;

		uiommu_fail_nth_set(nth);
		rc = env_init(&e, NULL);
		if (rc == 0) {
			struct nested n;

			n.dev = NULL;
			if (e.ops->vdevice_alloc(e.vi, "dma0", 1, regs0, &n.dev,
						 NULL) == 0) {
				rc = env_set_ste_cfg(&e, n.dev, UIOMMU_STE_CFG_BYPASS);
				CU_ASSERT(rc == 0 || rc == -ENOMEM);
				e.ops->vdevice_free(n.dev);
			}
			env_fini(&e);
		} else {
			CU_ASSERT_EQUAL(rc, -ENOMEM);
		}
		if (!uiommu_fail_fired())
			break;
	}
	uiommu_fail_nth_set(0);
}
#endif

int
main(int argc, char **argv)
{
	static const struct ut_case cases[] = {
		UT_CASE(test_soft_hw_info),
		UT_CASE(test_soft_viommu_args),
		UT_CASE(test_soft_vdevice_alloc),
		UT_CASE(test_soft_nested_basic_and_record),
		UT_CASE(test_soft_nested_random_vs_composition),
		UT_CASE(test_soft_stale_tlb),
		UT_CASE(test_soft_permission_faults),
		UT_CASE(test_soft_bad_configurations),
		UT_CASE(test_soft_hostile_tables),
		UT_CASE(test_soft_substreams),
		UT_CASE(test_soft_event_overflow),
		UT_CASE(test_soft_invalidate_batch),
		UT_CASE(test_soft_cd_cache_and_cfgi),
		UT_CASE(test_soft_s2_only_and_s2_unmap),
		UT_CASE(test_soft_no_stage2),
#ifdef UIOMMU_FAULT_INJECTION
		UT_CASE(test_soft_fail_nth),
#endif
		UT_END
	};

	return ut_main("soft_xlate", cases, argc, argv);
}
