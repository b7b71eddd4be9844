/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of lib/shadow against a naive reference.
 *
 * The guest is a flat model: page -> (GPA, writable) for a window of
 * pages, written into real AArch64 LPAE stage-1 tables (4 KiB granule,
 * 39-bit input, levels 1-3) in a guest RAM region. The sink is a fake
 * host IOMMU that keeps its mappings in a list, refuses any map that
 * overlaps a mapping and any unmap that does not name one exactly, and
 * can be told to fail. After each refresh of everything the guest
 * changed, every page of the window must translate in the sink exactly as
 * the model says (host address and permissions) — and, before the
 * refresh, exactly as it did (a stale translation stays until
 * invalidated, as in hardware).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "uiommu_ut.h"
#include "uiommu_backend.h"
#include "uiommu_shadow.h"

#define RAM_GPA   0x40000000ULL
#define RAM_SIZE  (8ULL << 20)
#define TBL_GPA   RAM_GPA                       /* tables: first 1 MiB */
#define DATA_GPA  (RAM_GPA + (1ULL << 20))      /* pages the model maps */
#define WIN_IOVA  0x200000ULL                   /* window of IOVAs */
#define WIN_PAGES 64
#define PG 4096ULL

#define D_VALID  (1ULL << 0)
#define D_TABLE  (1ULL << 1)
#define D_AF     (1ULL << 10)
#define D_UNPRIV (1ULL << 6)
#define D_RO     (1ULL << 7)

static struct uiommu_gmem g_gm;
static uint8_t *g_ram;
static uint64_t g_next_tbl;

/* ---- the fake sink ---- */
struct smap {
	uint64_t iova, len, hva;
	uint32_t prot;
};
static struct {
	struct smap m[4096];
	unsigned int n;
	unsigned int calls, bad;
	unsigned int fail_map_at, fail_unmap_at;   /* 1-based call to fail */
} sk;

static int
sink_map(void *ctx, uint64_t iova, uint64_t len, uint64_t hva, uint32_t prot)
{
	RTE_SET_USED(ctx);
	sk.calls++;
	if (sk.fail_map_at != 0 && --sk.fail_map_at == 0)
		return -EIO;
	for (unsigned int i = 0; i < sk.n; i++)
		if (iova <= sk.m[i].iova + sk.m[i].len - 1 &&
		    sk.m[i].iova <= iova + len - 1)
			sk.bad++;
	if (sk.n == RTE_DIM(sk.m) || len == 0 || prot == 0)
		sk.bad++;
	else
		sk.m[sk.n++] = (struct smap){ iova, len, hva, prot };
	return 0;
}

static int
sink_unmap(void *ctx, uint64_t iova, uint64_t len)
{
	RTE_SET_USED(ctx);
	sk.calls++;
	if (sk.fail_unmap_at != 0 && --sk.fail_unmap_at == 0)
		return -EIO;
	for (unsigned int i = 0; i < sk.n; i++) {
		if (sk.m[i].iova == iova && sk.m[i].len == len) {
			sk.m[i] = sk.m[--sk.n];
			return 0;
		}
	}
	sk.bad++;
	return -ENOENT;
}

static const struct uiommu_shadow_ops sink_ops = {
	.map = sink_map, .unmap = sink_unmap,
};

/* Where the sink sends one IOVA: host address and prot, or prot 0. */
static uint32_t
sink_xlate(uint64_t iova, uint64_t *hva)
{
	for (unsigned int i = 0; i < sk.n; i++) {
		if (iova >= sk.m[i].iova && iova - sk.m[i].iova < sk.m[i].len) {
			*hva = sk.m[i].hva + (iova - sk.m[i].iova);
			return sk.m[i].prot;
		}
	}
	return 0;
}

/* ---- the guest: model + LPAE tables ---- */
struct mpage {
	bool valid;
	bool ro;
	uint64_t gpa;
};
static struct mpage model[WIN_PAGES];

static uint64_t *
gptr(uint64_t gpa)
{
	return (uint64_t *)(g_ram + (gpa - RAM_GPA));
}

static void
ram_init(void)
{
	if (g_ram == NULL) {
		g_ram = aligned_alloc(PG, RAM_SIZE);
		UT_ASSERT_FATAL(g_ram != NULL);
	}
	memset(g_ram, 0, RAM_SIZE);
	g_gm.nr = 1;
	g_gm.r[0] = (struct uiommu_gmem_region){
		.gpa = RAM_GPA, .last = RAM_GPA + RAM_SIZE - 1, .hva = g_ram,
		.size = RAM_SIZE, .fd = -1,
	};
	g_next_tbl = TBL_GPA + PG;   /* TBL_GPA is the level-1 table */
	memset(model, 0, sizeof(model));
	memset(&sk, 0, sizeof(sk));
}

/* The level-3 entry of an IOVA, creating tables on the way. */
static uint64_t *
l3_entry(uint64_t iova)
{
	uint64_t tbl = TBL_GPA;

	for (unsigned int lvl = 1; lvl < 3; lvl++) {
		unsigned int shift = 12 + 9 * (3 - lvl);
		uint64_t *e = gptr(tbl) + ((iova >> shift) & 511);

		if (!(*e & D_VALID)) {
			UT_ASSERT_FATAL(g_next_tbl < DATA_GPA);
			*e = g_next_tbl | D_TABLE | D_VALID;
			g_next_tbl += PG;
		}
		tbl = *e & 0x0000fffffffff000ULL;
	}
	return gptr(tbl) + ((iova >> 12) & 511);
}

static void
guest_set(unsigned int page, bool valid, uint64_t gpa, bool ro)
{
	uint64_t *e = l3_entry(WIN_IOVA + page * PG);

	model[page] = (struct mpage){ valid, ro, gpa };
	__atomic_store_n(e, valid ? (gpa | D_TABLE | D_VALID | D_AF | D_UNPRIV |
				     (ro ? D_RO : 0)) : 0, __ATOMIC_RELEASE);
}

/* Every window page translates in the sink as the model says. */
static bool
sink_matches_model(void)
{
	for (unsigned int p = 0; p < WIN_PAGES; p++) {
		uint64_t hva = 0;
		uint32_t prot = sink_xlate(WIN_IOVA + p * PG, &hva);
		uint32_t want = 0;
		uint64_t want_hva = 0;

		if (model[p].valid && model[p].gpa >= RAM_GPA &&
		    model[p].gpa - RAM_GPA < RAM_SIZE) {
			want = UIOMMU_PROT_READ |
			       (model[p].ro ? 0 : UIOMMU_PROT_WRITE);
			want_hva = (uint64_t)(uintptr_t)gptr(model[p].gpa);
		}
		if (prot != want || (want != 0 && hva != want_hva)) {
			fprintf(stderr, "page %u: sink prot %u hva %#lx, model "
				"prot %u hva %#lx\n", p, prot, (unsigned long)hva,
				want, (unsigned long)want_hva);
			return false;
		}
	}
	return true;
}

static struct uiommu_shadow *
shadow_new(uint32_t walk_max, uint64_t max_maps, bool no_coalesce)
{
	struct uiommu_shadow_cfg cfg = {
		.gmem = &g_gm, .ops = &sink_ops, .walk_max = walk_max,
		.max_maps = max_maps, .no_coalesce = no_coalesce,
	};
	struct uiommu_shadow *sh = NULL;

	UT_ASSERT_FATAL(uiommu_shadow_create(&cfg, &sh) == 0);
	return sh;
}

static const struct uiommu_shadow_s1 s1ctx = {
	.ttb0 = TBL_GPA, .ias = 39, .oas = 48,
};

/* ------------------------------------------------------------- tests */

static void
test_shadow_create_args(void)
{
	struct uiommu_shadow_cfg cfg = { .gmem = &g_gm, .ops = &sink_ops };
	struct uiommu_shadow_ops half = { .map = sink_map };
	struct uiommu_shadow *sh = NULL;

	ram_init();
	CU_ASSERT_EQUAL(uiommu_shadow_create(NULL, &sh), -EINVAL);
	cfg.walk_max = UIOMMU_SHADOW_WALK_MAX + 1;
	CU_ASSERT_EQUAL(uiommu_shadow_create(&cfg, &sh), -EINVAL);
	cfg.walk_max = 0;
	cfg.ops = &half;
	CU_ASSERT_EQUAL(uiommu_shadow_create(&cfg, &sh), -EINVAL);
	CU_ASSERT_PTR_NULL(sh);
	sh = shadow_new(0, 0, false);
	CU_ASSERT_EQUAL(uiommu_shadow_configure(sh, 7, NULL), -EINVAL);
	CU_ASSERT_EQUAL(uiommu_shadow_configure(sh, UIOMMU_SHADOW_S1, NULL),
			-EINVAL);
	CU_ASSERT_EQUAL(uiommu_shadow_refresh(sh, 2, 1), -EINVAL);
	uiommu_shadow_destroy(sh);
	uiommu_shadow_destroy(NULL);
	CU_ASSERT_EQUAL(sk.calls, 0);
}

static void
test_shadow_bypass_abort(void)
{
	struct uiommu_shadow *sh;
	uint64_t hva = 0;

	ram_init();
	sh = shadow_new(0, 0, false);
	CU_ASSERT_EQUAL(uiommu_shadow_configure(sh, UIOMMU_SHADOW_BYPASS, NULL), 0);
	/* One coalesced mapping of the whole region at IOVA = GPA. */
	CU_ASSERT_EQUAL(sk.n, 1);
	CU_ASSERT_EQUAL(sink_xlate(RAM_GPA + 0x1234, &hva),
			UIOMMU_PROT_READ | UIOMMU_PROT_WRITE);
	CU_ASSERT_EQUAL(hva, (uint64_t)(uintptr_t)g_ram + 0x1234);
	CU_ASSERT_EQUAL(sink_xlate(RAM_GPA - 1, &hva), 0);
	/* Refreshing an unchanged state costs no sink call. */
	sk.calls = 0;
	CU_ASSERT_EQUAL(uiommu_shadow_refresh(sh, RAM_GPA + PG, RAM_GPA + PG), 0);
	CU_ASSERT_EQUAL(sk.calls, 0);
	CU_ASSERT_EQUAL(uiommu_shadow_configure(sh, UIOMMU_SHADOW_ABORT, NULL), 0);
	CU_ASSERT_EQUAL(sk.n, 0);
	CU_ASSERT_EQUAL(uiommu_shadow_num_maps(sh), 0);
	CU_ASSERT_EQUAL(sk.bad, 0);
	uiommu_shadow_destroy(sh);
}

static void
test_shadow_s1_coalesce_and_perm(void)
{
	struct uiommu_shadow *sh;

	ram_init();
	for (unsigned int p = 0; p < 4; p++)
		guest_set(p, true, DATA_GPA + p * PG, false);
	guest_set(4, true, DATA_GPA + 4 * PG, true);     /* read-only */
	guest_set(6, true, DATA_GPA + 9 * PG, false);
	/* A privileged-only leaf: a device gets nothing. */
	*l3_entry(WIN_IOVA + 8 * PG) = (DATA_GPA + 8 * PG) | D_TABLE | D_VALID |
				       D_AF;
	sh = shadow_new(0, 0, false);
	CU_ASSERT_EQUAL(uiommu_shadow_configure(sh, UIOMMU_SHADOW_S1, &s1ctx), 0);
	CU_ASSERT(sink_matches_model());
	/* pages 0-3 (one run), 4 (RO), 6: three mappings. */
	CU_ASSERT_EQUAL(sk.n, 3);
	CU_ASSERT_EQUAL(uiommu_shadow_num_maps(sh), 3);
	CU_ASSERT_EQUAL(sk.bad, 0);
	uiommu_shadow_destroy(sh);
	CU_ASSERT_EQUAL(sk.n, 0);
	CU_ASSERT_EQUAL(sk.bad, 0);
}

static void
test_shadow_stale_until_refresh_split(void)
{
	struct uiommu_shadow *sh;
	struct mpage old;
	uint64_t hva = 0;

	ram_init();
	for (unsigned int p = 0; p < 4; p++)
		guest_set(p, true, DATA_GPA + p * PG, false);
	sh = shadow_new(0, 0, false);
	CU_ASSERT_EQUAL(uiommu_shadow_configure(sh, UIOMMU_SHADOW_S1, &s1ctx), 0);
	CU_ASSERT_EQUAL(sk.n, 1);

	/* Unmap page 1 in the guest: stale until invalidated. */
	old = model[1];
	guest_set(1, false, 0, false);
	CU_ASSERT_EQUAL(sink_xlate(WIN_IOVA + PG, &hva), UIOMMU_PROT_READ |
			UIOMMU_PROT_WRITE);
	CU_ASSERT_EQUAL(hva, (uint64_t)(uintptr_t)gptr(old.gpa));
	/* The TLBI of page 1 splits the coalesced run: [0], [2, 3]. */
	CU_ASSERT_EQUAL(uiommu_shadow_refresh(sh, WIN_IOVA + PG,
					      WIN_IOVA + 2 * PG - 1), 0);
	CU_ASSERT(sink_matches_model());
	CU_ASSERT_EQUAL(sk.n, 2);

	/* Remap page 2 elsewhere: the TLBI of page 2 only. */
	guest_set(2, true, DATA_GPA + 40 * PG, true);
	CU_ASSERT_EQUAL(uiommu_shadow_refresh(sh, WIN_IOVA + 2 * PG,
					      WIN_IOVA + 2 * PG), 0);
	CU_ASSERT(sink_matches_model());
	CU_ASSERT_EQUAL(sk.bad, 0);
	uiommu_shadow_destroy(sh);
}

static void
test_shadow_random_vs_model(void)
{
	unsigned long long seed = ut_seed();
	struct uiommu_shadow *sh;

	for (int variant = 0; variant < 2; variant++) {
		ram_init();
		sh = shadow_new(0, 0, variant == 1);
		CU_ASSERT_EQUAL(uiommu_shadow_configure(sh, UIOMMU_SHADOW_S1,
							&s1ctx), 0);
		for (int it = 0; it < 400; it++) {
			unsigned int p = (unsigned int)(ut_rand(&seed) % WIN_PAGES);
			unsigned int k = (unsigned int)(ut_rand(&seed) % 8);
			uint64_t gpa;

			/* Mostly neighbours of the previous page: coalescing. */
			if (k < 5)
				gpa = DATA_GPA + p * PG;
			else if (k == 5)
				gpa = RAM_GPA + RAM_SIZE + p * PG; /* outside RAM */
			else
				gpa = DATA_GPA + (ut_rand(&seed) % 512) * PG;
			guest_set(p, k != 7, gpa, (ut_rand(&seed) & 3) == 0);
			uint64_t first = WIN_IOVA + p * PG, last = first + PG - 1;

			if (ut_rand(&seed) % 16 == 0) {
				first = 0;
				last = UINT64_MAX;
			}
			CU_ASSERT_EQUAL(uiommu_shadow_refresh(sh, first, last), 0);
			if (!sink_matches_model()) {
				CU_FAIL("sink differs from the model");
				break;
			}
		}
		CU_ASSERT_EQUAL(sk.bad, 0);
		uiommu_shadow_destroy(sh);
		CU_ASSERT_EQUAL(sk.n, 0);
	}
}

static void
test_shadow_hostile_tables(void)
{
	struct uiommu_shadow_stats st;
	struct uiommu_shadow *sh;
	uint64_t *l1;

	ram_init();
	guest_set(0, true, DATA_GPA, false);
	/* A level-1 entry pointing outside RAM, one pointing at itself. */
	l1 = gptr(TBL_GPA);
	l1[5] = 0x7000000000ULL | D_TABLE | D_VALID;
	l1[6] = TBL_GPA | D_TABLE | D_VALID;
	/* A leaf whose output is beyond RAM. */
	guest_set(3, true, RAM_GPA + RAM_SIZE, false);
	sh = shadow_new(0, 0, false);
	CU_ASSERT_EQUAL(uiommu_shadow_configure(sh, UIOMMU_SHADOW_S1, &s1ctx), 0);
	CU_ASSERT(sink_matches_model());
	uiommu_shadow_stats_get(sh, &st);
	CU_ASSERT(st.s2_misses >= 1);
	CU_ASSERT_EQUAL(sk.bad, 0);
	uiommu_shadow_destroy(sh);

	/* A top table outside RAM: nothing translates. */
	struct uiommu_shadow_s1 bad = s1ctx;
	bad.ttb0 = 0x10000000000ULL;
	sh = shadow_new(0, 0, false);
	CU_ASSERT_EQUAL(uiommu_shadow_configure(sh, UIOMMU_SHADOW_S1, &bad), 0);
	CU_ASSERT_EQUAL(sk.n, 0);
	uiommu_shadow_destroy(sh);
}

static void
test_shadow_limits(void)
{
	struct uiommu_shadow *sh;

	ram_init();
	for (unsigned int p = 0; p < 8; p++)
		guest_set(p, true, DATA_GPA + 2 * p * PG, false); /* no coalescing */
	/* Walk budget: a full refresh needs more than 4 walker calls. */
	sh = shadow_new(4, 0, false);
	CU_ASSERT_EQUAL(uiommu_shadow_configure(sh, UIOMMU_SHADOW_S1, &s1ctx),
			-E2BIG);
	uiommu_shadow_destroy(sh);
	/* Mapping budget. */
	sh = shadow_new(0, 5, false);
	CU_ASSERT_EQUAL(uiommu_shadow_configure(sh, UIOMMU_SHADOW_S1, &s1ctx),
			-ENOSPC);
	CU_ASSERT(uiommu_shadow_num_maps(sh) <= 5);
	uiommu_shadow_destroy(sh);
	CU_ASSERT_EQUAL(sk.n, 0);
	CU_ASSERT_EQUAL(sk.bad, 0);
}

static void
test_shadow_sink_failures(void)
{
	struct uiommu_shadow *sh;

	ram_init();
	for (unsigned int p = 0; p < 3; p++)
		guest_set(p, true, DATA_GPA + 2 * p * PG, false);
	sh = shadow_new(0, 0, false);
	/* The second map fails: the error is returned, the rest skipped. */
	sk.fail_map_at = 2;
	CU_ASSERT_EQUAL(uiommu_shadow_configure(sh, UIOMMU_SHADOW_S1, &s1ctx),
			-EIO);
	CU_ASSERT_EQUAL(sk.n, 1);
	CU_ASSERT_EQUAL(uiommu_shadow_num_maps(sh), 1);
	/* The next refresh completes it. */
	CU_ASSERT_EQUAL(uiommu_shadow_refresh(sh, 0, UINT64_MAX), 0);
	CU_ASSERT(sink_matches_model());
	/* A failed unmap keeps the record; no new map collides; retried. */
	guest_set(0, false, 0, false);
	guest_set(1, false, 0, false);
	sk.fail_unmap_at = 1;
	CU_ASSERT_EQUAL(uiommu_shadow_refresh(sh, 0, UINT64_MAX), -EIO);
	CU_ASSERT_EQUAL(uiommu_shadow_refresh(sh, 0, UINT64_MAX), 0);
	CU_ASSERT(sink_matches_model());
	CU_ASSERT_EQUAL(sk.bad, 0);
	uiommu_shadow_destroy(sh);
	CU_ASSERT_EQUAL(sk.n, 0);
}

/* ---- the optional hooks: report, IOVA ranges, stage-2 permissions ---- */
static struct {
	unsigned int n;
	int err[8];
	uint64_t iova[8];
} rp;

static void
sink_report(void *ctx, int err, uint64_t iova)
{
	RTE_SET_USED(ctx);
	if (rp.n < RTE_DIM(rp.err)) {
		rp.err[rp.n] = err;
		rp.iova[rp.n] = iova;
	}
	rp.n++;
}

static const struct uiommu_shadow_ops sink_ops_report = {
	.map = sink_map, .unmap = sink_unmap, .report = sink_report,
};

static struct uiommu_shadow *
shadow_new_cfg(struct uiommu_shadow_cfg *cfg)
{
	struct uiommu_shadow *sh = NULL;

	cfg->gmem = &g_gm;
	if (cfg->ops == NULL)
		cfg->ops = &sink_ops_report;
	UT_ASSERT_FATAL(uiommu_shadow_create(cfg, &sh) == 0);
	memset(&rp, 0, sizeof(rp));
	return sh;
}

/*
 * A change inside a coalesced run, invalidated by page: only that page is
 * walked again; the rest of the run is kept as it was (remainders), even
 * a page the guest changed without invalidating it (stale, as hardware).
 */
static void
test_shadow_remainders(void)
{
	struct uiommu_shadow_stats st0, st1;
	struct uiommu_shadow *sh;
	uint64_t hva = 0, old5;

	ram_init();
	for (unsigned int p = 0; p < WIN_PAGES; p++)
		guest_set(p, true, DATA_GPA + p * PG, false);
	sh = shadow_new(0, 0, false);
	CU_ASSERT_EQUAL(uiommu_shadow_configure(sh, UIOMMU_SHADOW_S1, &s1ctx), 0);
	CU_ASSERT_EQUAL(sk.n, 1);
	old5 = (uint64_t)(uintptr_t)gptr(DATA_GPA + 5 * PG);
	/* Pages 2 and 5 move; only page 2 is invalidated. */
	guest_set(2, true, DATA_GPA + 200 * PG, false);
	guest_set(5, true, DATA_GPA + 300 * PG, false);
	uiommu_shadow_stats_get(sh, &st0);
	CU_ASSERT_EQUAL(uiommu_shadow_refresh(sh, WIN_IOVA + 2 * PG,
					      WIN_IOVA + 2 * PG), 0);
	uiommu_shadow_stats_get(sh, &st1);
	/* The run goes; [0, 1], [2], [3, 63] come back: 1 unmap, 3 maps. */
	CU_ASSERT_EQUAL(st1.unmaps - st0.unmaps, 1);
	CU_ASSERT_EQUAL(st1.maps - st0.maps, 3);
	CU_ASSERT_EQUAL(sk.n, 3);
	/* The cost does not grow with the run: two widening walks + one. */
	CU_ASSERT(st1.walk_steps - st0.walk_steps <= 3);
	CU_ASSERT_EQUAL(sink_xlate(WIN_IOVA + 2 * PG, &hva),
			UIOMMU_PROT_READ | UIOMMU_PROT_WRITE);
	CU_ASSERT_EQUAL(hva, (uint64_t)(uintptr_t)gptr(DATA_GPA + 200 * PG));
	CU_ASSERT_NOT_EQUAL(sink_xlate(WIN_IOVA + 5 * PG, &hva), 0);
	CU_ASSERT_EQUAL(hva, old5);                 /* not invalidated yet */
	CU_ASSERT_EQUAL(uiommu_shadow_refresh(sh, WIN_IOVA + 5 * PG,
					      WIN_IOVA + 5 * PG), 0);
	CU_ASSERT(sink_matches_model());
	CU_ASSERT_EQUAL(sk.bad, 0);
	uiommu_shadow_destroy(sh);
	CU_ASSERT_EQUAL(sk.n, 0);
}

/* The sink's IOVA ranges clip, the stage-2 permissions are ANDed in. */
static void
test_shadow_iova_ranges_s2_prot(void)
{
	const struct uiommu_range ranges[] = {
		{ 0, RAM_GPA + 2 * PG - 1 },
		{ RAM_GPA + 4 * PG, UINT64_MAX },
	};
	uint32_t prot[1] = { UIOMMU_PROT_READ };
	struct uiommu_shadow_cfg cfg;
	struct uiommu_shadow_stats st;
	struct uiommu_shadow *sh;
	uint64_t hva = 0;

	ram_init();
	memset(&cfg, 0, sizeof(cfg));
	cfg.iova_ranges = ranges;
	cfg.nr_iova_ranges = RTE_DIM(ranges);
	sh = shadow_new_cfg(&cfg);
	CU_ASSERT_EQUAL(uiommu_shadow_configure(sh, UIOMMU_SHADOW_BYPASS, NULL), 0);
	/* Bypass of the region around the hole: two mappings. */
	CU_ASSERT_EQUAL(sk.n, 2);
	CU_ASSERT_NOT_EQUAL(sink_xlate(RAM_GPA + PG, &hva), 0);
	CU_ASSERT_EQUAL(sink_xlate(RAM_GPA + 2 * PG, &hva), 0);
	CU_ASSERT_EQUAL(sink_xlate(RAM_GPA + 3 * PG, &hva), 0);
	CU_ASSERT_NOT_EQUAL(sink_xlate(RAM_GPA + 4 * PG, &hva), 0);
	uiommu_shadow_stats_get(sh, &st);
	CU_ASSERT_EQUAL(st.iova_excluded, 1);
	uiommu_shadow_destroy(sh);

	/* A read-only region: bypass and a RW leaf both map read-only. */
	ram_init();
	guest_set(0, true, DATA_GPA, false);
	memset(&cfg, 0, sizeof(cfg));
	cfg.s2_prot = prot;
	sh = shadow_new_cfg(&cfg);
	CU_ASSERT_EQUAL(uiommu_shadow_configure(sh, UIOMMU_SHADOW_BYPASS, NULL), 0);
	CU_ASSERT_EQUAL(sink_xlate(RAM_GPA, &hva), UIOMMU_PROT_READ);
	CU_ASSERT_EQUAL(uiommu_shadow_configure(sh, UIOMMU_SHADOW_S1, &s1ctx), 0);
	CU_ASSERT_EQUAL(sk.n, 1);
	CU_ASSERT_EQUAL(sink_xlate(WIN_IOVA, &hva), UIOMMU_PROT_READ);
	/* Not readable at stage 2: the tables cannot be read, nothing maps. */
	prot[0] = 0;
	CU_ASSERT_EQUAL(uiommu_shadow_refresh(sh, 0, UINT64_MAX), 0);
	CU_ASSERT_EQUAL(sk.n, 0);
	CU_ASSERT_EQUAL(sk.bad, 0);
	uiommu_shadow_destroy(sh);
}

/* Limits are reported once each, with where; purge and foreach. */
static void
test_shadow_report_purge(void)
{
	struct uiommu_shadow_cfg cfg;
	struct uiommu_shadow *sh;
	uint64_t h0;

	ram_init();
	for (unsigned int p = 0; p < 8; p++)
		guest_set(p, true, DATA_GPA + 2 * p * PG, false); /* no coalescing */
	memset(&cfg, 0, sizeof(cfg));
	cfg.max_maps = 5;
	sh = shadow_new_cfg(&cfg);
	CU_ASSERT_EQUAL(uiommu_shadow_configure(sh, UIOMMU_SHADOW_S1, &s1ctx),
			-ENOSPC);
	CU_ASSERT_EQUAL(rp.n, 1);
	CU_ASSERT_EQUAL(rp.err[0], -ENOSPC);
	CU_ASSERT_EQUAL(rp.iova[0], WIN_IOVA + 5 * PG);   /* the sixth run */
	CU_ASSERT_EQUAL(uiommu_shadow_num_maps(sh), 5);
	uiommu_shadow_destroy(sh);

	memset(&cfg, 0, sizeof(cfg));
	cfg.walk_max = 4;
	sh = shadow_new_cfg(&cfg);
	CU_ASSERT_EQUAL(uiommu_shadow_configure(sh, UIOMMU_SHADOW_S1, &s1ctx),
			-E2BIG);
	CU_ASSERT_EQUAL(rp.n, 1);
	CU_ASSERT_EQUAL(rp.err[0], -E2BIG);
	uiommu_shadow_destroy(sh);

	/* Purge: the mappings of host pages 3..4 of the data go. */
	memset(&cfg, 0, sizeof(cfg));
	sh = shadow_new_cfg(&cfg);
	CU_ASSERT_EQUAL(uiommu_shadow_configure(sh, UIOMMU_SHADOW_S1, &s1ctx), 0);
	CU_ASSERT_EQUAL(rp.n, 0);
	CU_ASSERT_EQUAL(sk.n, 8);
	h0 = (uint64_t)(uintptr_t)gptr(DATA_GPA);
	CU_ASSERT_EQUAL(uiommu_shadow_purge(sh, h0 + 3 * PG, h0 + 5 * PG - 1), 0);
	CU_ASSERT_EQUAL(sk.n, 7);      /* only page 2's (host page 4) */
	CU_ASSERT_EQUAL(uiommu_shadow_num_maps(sh), 7);
	CU_ASSERT_EQUAL(uiommu_shadow_purge(sh, 2, 1), -EINVAL);
	CU_ASSERT_EQUAL(uiommu_shadow_foreach(sh, 0, UINT64_MAX, NULL, NULL),
			-EINVAL);
	/* A refresh brings it back. */
	CU_ASSERT_EQUAL(uiommu_shadow_refresh(sh, 0, UINT64_MAX), 0);
	CU_ASSERT(sink_matches_model());
	CU_ASSERT_EQUAL(sk.bad, 0);
	uiommu_shadow_destroy(sh);
}

int
main(int argc, char **argv)
{
	static const struct ut_case cases[] = {
		UT_CASE(test_shadow_create_args),
		UT_CASE(test_shadow_bypass_abort),
		UT_CASE(test_shadow_s1_coalesce_and_perm),
		UT_CASE(test_shadow_stale_until_refresh_split),
		UT_CASE(test_shadow_random_vs_model),
		UT_CASE(test_shadow_hostile_tables),
		UT_CASE(test_shadow_limits),
		UT_CASE(test_shadow_sink_failures),
		UT_CASE(test_shadow_remainders),
		UT_CASE(test_shadow_iova_ranges_s2_prot),
		UT_CASE(test_shadow_report_purge),
		UT_END
	};
	int rc = ut_main("shadow", cases, argc, argv);

	free(g_ram);
	return rc;
}
