/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Scenario "translate": the soft backend's translate op on an IOTLB hit and
 * on a nested-walk miss, against a chain of dependent loads of the same
 * depth. Design §7 item 6. Main lcore only.
 *
 * Set-up: the soft backend driven through its ops table (the backend SDK,
 * uiommu_backend_find("soft")), as the core would drive it: one vIOMMU
 * (VMID 7, "iotlb=64": 96 entries) over three guest RAM regions whose GPA
 * and host alignment make stage 2 use one leaf size each:
 *
 *   region  GPA          size     host alignment     stage-2 leaves
 *   1g      0x40000000   1 GiB    1 GiB              1 GiB (walk: 2 loads)
 *   2m      0x100000000  64 MiB   2 MiB              2 MiB (3 loads)
 *   4k      0x200000000  8 MiB    2 MiB + 4 KiB      4 KiB (4 loads)
 *
 * (anonymous MAP_NORESERVE memory: only the pages touched are committed).
 * Three soft devices (vSID 1..3, "dma0".."dma2"), each with a nested STE
 * (guest Config = stage-1 translate), its own CD and ASID and a 4-level
 * stage-1 table of 4 KiB leaves (T0SZ 16, lib/pgtable over GPAs) whose
 * tables, CD and data pages all lie in one region. The translate op runs
 * exactly what a device access runs, plus going RCU-online and -offline
 * around it (a seq_cst fence), and fills the inspection detail.
 *
 * Variants (32 translations per sample, ops_per_sample 32, as chase):
 *  - hit: device "1g", 8 pages in rotation, all in the IOTLB. A hit reads
 *    5 cache lines (doc/soft-iommu.md §4: device, configuration, vIOMMU,
 *    IOTLB header, IOTLB set) along a dependent chain of at most 5, so the
 *    baseline is chase/l1-d5.
 *  - miss-s2-1g, miss-s2-2m, miss-s2-4k: one device each, 1024 pages in
 *    rotation, far more than the 96-entry IOTLB, so every translation
 *    misses (the note gives the measured miss rate): a stage-1 walk of 4
 *    descriptors, each fetched through a stage-2 walk, then the stage-2
 *    walk of the output, then the IOTLB insert. Dependent descriptor loads:
 *    4 x (s2 + 1) + s2 = 14, 19, 24 for s2 = 2, 3, 4. The CD is cached
 *    (the CD cache) after the first translation. Tables stay warm: 1024
 *    pages use two leaf tables (16 KiB of PTEs) per device.
 *  - chain-d14, chain-d19, chain-d24: the baselines of the misses, a
 *    dependent-load chain of that depth measured like chase (64-byte
 *    lines in one random cycle, 16 KiB working set so it stays in L1; 32
 *    walks per sample), itself compared with chase/l1-d8 (its ratio shows
 *    the chain is serial: d24/d8 ~ 3). sc_chase.c stops at depth 8.
 * Every measured translation is checked: it must succeed and hit (hit) or
 * miss (miss-*) the IOTLB; the note reports the fraction.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "bench.h"
#include "uiommu_backend.h"
#include "uiommu_gmem.h"
#include "uiommu_pgtable.h"
#include "uiommu_smmu.h"

#define XL_PER_SAMPLE 32u
#define XL_NREG 3u
#define XL_HIT_PAGES 8u
#define XL_MISS_PAGES 1024u
#define XL_IOVA 0x10000000ULL
#define XL_VMID 7u
#define XL_POOL (6ULL << 20)	/* tables, CD and data pages of one device */
#define CHAIN_SET (16u * 1024u)

struct xl_region {
	const char *name;
	uint64_t gpa, size, align, off;
	unsigned int s2_loads;
	uint64_t leaf;		/* stage-2 leaf size this layout yields */
	void *map;
	uint64_t map_len;
	uint8_t *hva;
	uint64_t next;		/* bump allocator, GPA */
};

struct xl_env {
	const struct uiommu_backend_ops *ops;
	struct uiommu_gmem gm;
	struct xl_region r[XL_NREG];
	unsigned int nmapped;	/* regions mapped at stage 2 */
	void *vi;
	void *dev[XL_NREG];
	void *regs[XL_NREG];
	struct uiommu_pgtable *s1[XL_NREG];
	unsigned int cur;	/* region the pgtable allocator serves */
};

static const struct xl_region xl_layout[XL_NREG] = {
	{ "1g", 0x40000000ULL, 1ULL << 30, 1ULL << 30, 0, 2, 1ULL << 30, NULL, 0, NULL, 0 },
	{ "2m", 0x100000000ULL, 64ULL << 20, 2ULL << 20, 0, 3, 2ULL << 20, NULL, 0, NULL, 0 },
	{ "4k", 0x200000000ULL, 8ULL << 20, 2ULL << 20, 4096, 4, 4096, NULL, 0, NULL, 0 },
};

static uint64_t
reg_alloc(struct xl_region *r, uint64_t size, uint64_t align)
{
	uint64_t a = (r->next + align - 1) & ~(align - 1);

	if (a + size > r->gpa + XL_POOL)
		return 0;
	r->next = a + size;
	memset(r->hva + (a - r->gpa), 0, size);
	return a;
}

static int
pt_alloc(void *ctx, size_t size, size_t align, uint64_t *addr)
{
	struct xl_env *e = ctx;

	*addr = reg_alloc(&e->r[e->cur], size, align < 4096 ? 4096 : align);
	return *addr == 0 ? -ENOMEM : 0;
}

static void
pt_free(void *ctx, uint64_t addr, size_t size)
{
	(void)ctx;
	(void)addr;
	(void)size;
}

static void *
pt_to_ptr(void *ctx, uint64_t addr, size_t size)
{
	struct xl_env *e = ctx;

	return uiommu_gmem_ptr(&e->gm, addr, size);
}

static const struct uiommu_pt_mem_ops xl_mem_ops = {
	.alloc = pt_alloc, .free = pt_free, .to_ptr = pt_to_ptr,
};

static void
env_fini(struct xl_env *e)
{
	for (unsigned int i = 0; i < XL_NREG; i++) {
		if (e->dev[i] != NULL)
			e->ops->vdevice_free(e->dev[i]);
		uiommu_pgtable_destroy(e->s1[i]);
		free(e->regs[i]);
	}
	if (e->vi != NULL) {
		for (unsigned int i = 0; i < e->nmapped; i++)
			e->ops->s2_unmap(e->vi, e->r[i].gpa, e->r[i].size);
		e->ops->viommu_free(e->vi);
	}
	for (unsigned int i = 0; i < XL_NREG; i++)
		if (e->r[i].map != NULL)
			munmap(e->r[i].map, e->r[i].map_len);
	memset(e, 0, sizeof(*e));
}

/* One device in region i: tables, CD, pages, nested STE. */
static int
env_dev(struct xl_env *e, unsigned int i, char *why, size_t whylen)
{
	struct uiommu_pgtable_cfg pcfg = {
		.format = UIOMMU_PT_ARM_LPAE_S1_4K, .ias = 48, .oas = 48,
		.pgsize_bitmap = UIOMMU_PT_PGSIZE_4K,
		.mem_ops = &xl_mem_ops, .mem_ctx = e,
	};
	struct uiommu_cd_info cd = {
		.valid = 1, .t0sz = 16, .ips = 5, .aa64 = 1, .epd1 = 1,
		.asid = (uint16_t)(i + 1), .mair = UIOMMU_LPAE_MAIR_VALUE,
	};
	struct uiommu_ste_info ste = { .valid = 1, .config = UIOMMU_STE_CFG_S1 };
	struct uiommu_ste_info dec;
	struct uiommu_vdevice_out out;
	struct xl_region *r = &e->r[i];
	uint64_t raw[8], cdp, data;
	char spec[8];
	int rc;

	e->cur = i;
	rc = uiommu_pgtable_create(&pcfg, &e->s1[i]);
	cdp = reg_alloc(r, 64, 64);
	data = reg_alloc(r, (uint64_t)XL_MISS_PAGES * 4096, 4096);
	if (rc != 0 || cdp == 0 || data == 0) {
		snprintf(why, whylen, "stage-1 table or pages in region %s", r->name);
		return rc != 0 ? rc : -ENOMEM;
	}
	rc = uiommu_pgtable_map(e->s1[i], XL_IOVA, data, (uint64_t)XL_MISS_PAGES * 4096,
				UIOMMU_PT_PROT_READ | UIOMMU_PT_PROT_WRITE, NULL);
	if (rc != 0) {
		snprintf(why, whylen, "stage-1 map in region %s", r->name);
		return rc;
	}
	cd.ttb0 = uiommu_pgtable_root(e->s1[i]);
	uiommu_cd_encode(&cd, raw);
	memcpy(r->hva + (cdp - r->gpa), raw, sizeof(raw));
	e->regs[i] = aligned_alloc(4096, 4096);
	if (e->regs[i] == NULL)
		return -ENOMEM;
	memset(e->regs[i], 0, 4096);
	snprintf(spec, sizeof(spec), "dma%u", i);
	rc = e->ops->vdevice_alloc(e->vi, spec, i + 1, e->regs[i], &e->dev[i], &out);
	if (rc != 0) {
		e->dev[i] = NULL;
		snprintf(why, whylen, "vdevice_alloc %s", spec);
		return rc;
	}
	ste.s1ctxptr = cdp;
	uiommu_ste_encode(&ste, raw);
	rc = uiommu_ste_decode(raw, &dec);
	if (rc == 0)
		rc = e->ops->vdevice_set_ste(e->dev[i], &dec);
	if (rc != 0)
		snprintf(why, whylen, "nested STE of %s", spec);
	return rc;
}

static int
env_init(struct xl_env *e, char *why, size_t whylen)
{
	struct uiommu_viommu_cfg cfg;
	int rc;

	memset(e, 0, sizeof(*e));
	e->ops = uiommu_backend_find("soft");
	for (unsigned int i = 0; i < XL_NREG; i++) {
		struct xl_region *r = &e->r[i];
		uintptr_t base;

		*r = xl_layout[i];
		r->map_len = r->size + r->align + r->off;
		r->map = mmap(NULL, r->map_len, PROT_READ | PROT_WRITE,
			      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		if (r->map == MAP_FAILED) {
			r->map = NULL;
			snprintf(why, whylen, "mmap of region %s", r->name);
			rc = -ENOMEM;
			goto fail;
		}
		base = ((uintptr_t)r->map + r->align - 1) & ~(uintptr_t)(r->align - 1);
		r->hva = (uint8_t *)(base + r->off);
		r->next = r->gpa;
		rc = uiommu_gmem_add(&e->gm, r->gpa, r->size, r->hva, -1, 0);
		if (rc != 0) {
			snprintf(why, whylen, "guest memory region %s", r->name);
			goto fail;
		}
	}
	cfg = (struct uiommu_viommu_cfg){
		.vmid = XL_VMID, .vm_id = 1, .gmem = &e->gm, .args = "iotlb=64",
		.socket_id = -1,
	};
	rc = e->ops->viommu_alloc(&cfg, &e->vi);
	if (rc != 0) {
		e->vi = NULL;
		snprintf(why, whylen, "soft viommu_alloc");
		goto fail;
	}
	for (unsigned int i = 0; i < XL_NREG; i++) {
		rc = e->ops->s2_map(e->vi, e->r[i].gpa, e->r[i].hva, e->r[i].size,
				    UIOMMU_PROT_READ | UIOMMU_PROT_WRITE);
		if (rc != 0) {
			snprintf(why, whylen, "stage-2 map of region %s", e->r[i].name);
			goto fail;
		}
		e->nmapped++;
	}
	for (unsigned int i = 0; i < XL_NREG; i++) {
		rc = env_dev(e, i, why, whylen);
		if (rc != 0)
			goto fail;
	}
	return 0;
fail:
	env_fini(e);
	return rc;
}

struct xl_op {
	struct xl_env *e;
	void *dev;
	unsigned int pages;
	unsigned int next;
	uint64_t calls, hits, errors;
	uint64_t s2_leaf;	/* stage-2 leaf size the misses reported */
	uint64_t s2_other;	/* misses with another stage-2 leaf size */
};

static int
xl_translations(void *arg)
{
	struct xl_op *op = arg;
	struct uiommu_xlate x;

	for (unsigned int k = 0; k < XL_PER_SAMPLE; k++) {
		uint64_t iova = XL_IOVA + 4096ULL * op->next;

		if (++op->next == op->pages)
			op->next = 0;
		if (op->e->ops->translate(op->dev, iova, UIOMMU_ACCESS_READ, &x) != 0)
			op->errors++;
		op->hits += x.iotlb_hit;
		if (!x.iotlb_hit && x.s2.pgsize != op->s2_leaf)
			op->s2_other++;
	}
	op->calls += XL_PER_SAMPLE;
	return 0;
}

static int
xl_variant(struct bench_ctx *ctx, struct xl_env *e, const char *variant,
	   const char *baseline, unsigned int reg, unsigned int pages, bool hit)
{
	struct xl_op op = { .e = e, .dev = e->dev[reg], .pages = pages,
			    .s2_leaf = e->r[reg].leaf };
	struct bench_result *res;
	int rc;

	res = bench_set_add_latency(ctx->set, "translate", variant, baseline,
				    "translation", XL_PER_SAMPLE);
	if (res == NULL)
		return -errno;
	/* Warm: translate every page once (fills the IOTLB for hits). */
	for (unsigned int i = 0; i < pages; i += XL_PER_SAMPLE)
		(void)xl_translations(&op);
	op.calls = op.hits = op.errors = op.s2_other = 0;
	rc = bench_latency_loop(ctx, res, xl_translations, &op);
	if (rc == 0 && op.errors != 0)
		rc = -EFAULT;
	/* The depth claimed in the note depends on the stage-2 leaf size. */
	if (rc == 0 && !hit && op.s2_other != 0)
		rc = -EPROTO;
	if (rc != 0) {
		bench_set_drop(ctx->set, res);
		return rc;
	}
	if (hit)
		snprintf(res->note, sizeof(res->note),
			 "translate op, nested, %u pages in rotation; IOTLB hits %.2f %%; "
			 "5 lines", pages, 100.0 * (double)op.hits / (double)op.calls);
	else
		snprintf(res->note, sizeof(res->note),
			 "translate op, 4-level stage 1, stage-2 %s leaves (checked): %u "
			 "dependent descriptor loads; misses %.2f %%", e->r[reg].name,
			 4 * (e->r[reg].s2_loads + 1) + e->r[reg].s2_loads,
			 100.0 * (double)(op.calls - op.hits) / (double)op.calls);
	return 0;
}

/* ---- dependent-load chains deeper than sc_chase.c's 8 ---- */

struct chain_line {
	struct chain_line *next;
	char pad[64 - sizeof(void *)];
};

struct chain_op {
	struct chain_line *p;
	unsigned int depth;
};

static int
chain_walks(void *arg)
{
	struct chain_op *op = arg;
	struct chain_line *p = op->p;

	for (unsigned int w = 0; w < XL_PER_SAMPLE; w++)
		for (unsigned int d = 0; d < op->depth; d++)
			p = p->next;
	op->p = p;
	return 0;
}

/* One random cycle over n lines (Sattolo's shuffle, fixed seed). */
static void
chain_link(struct chain_line *l, unsigned int n)
{
	unsigned int *perm = malloc(n * sizeof(*perm));
	uint64_t x = 0x2545f4914f6cdd1dULL;

	if (perm == NULL) {	/* fall back to a sequential cycle */
		for (unsigned int i = 0; i < n; i++)
			l[i].next = &l[(i + 1) % n];
		return;
	}
	for (unsigned int i = 0; i < n; i++)
		perm[i] = i;
	for (unsigned int i = n - 1; i > 0; i--) {
		unsigned int j, t;

		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		j = (unsigned int)(x % i);
		t = perm[i];
		perm[i] = perm[j];
		perm[j] = t;
	}
	/* perm is one n-cycle: line i points to line perm[i]. */
	for (unsigned int i = 0; i < n; i++)
		l[i].next = &l[perm[i]];
	free(perm);
}

static int
chain_variant(struct bench_ctx *ctx, struct chain_line *lines, unsigned int depth)
{
	const unsigned int n = CHAIN_SET / sizeof(struct chain_line);
	struct chain_op op = { .p = lines, .depth = depth };
	char variant[BENCH_NAME_MAX];
	struct bench_result *res;
	int rc;

	snprintf(variant, sizeof(variant), "chain-d%u", depth);
	res = bench_set_add_latency(ctx->set, "translate", variant, "chase/l1-d8",
				    "walk", XL_PER_SAMPLE);
	if (res == NULL)
		return -errno;
	snprintf(res->note, sizeof(res->note),
		 "%u dependent loads over %u KiB (%u lines, random cycle); "
		 "%u walks per sample", depth, CHAIN_SET / 1024, n, XL_PER_SAMPLE);
	for (unsigned int i = 0; i < 2 * n; i++)
		op.p = op.p->next;
	rc = bench_latency_loop(ctx, res, chain_walks, &op);
	if (rc != 0)
		bench_set_drop(ctx->set, res);
	return rc;
}

static int
translate_run(struct bench_ctx *ctx)
{
	const struct uiommu_backend_ops *soft = uiommu_backend_find("soft");
	struct chain_line *lines;
	char why[128] = "translation failed";
	struct xl_env e;
	int rc;

	if (soft == NULL || soft->translate == NULL) {
		bench_set_unavailable(ctx->set, "translate", "skipped",
				      "the soft backend (translate op) is not built in");
		return 0;
	}
	lines = bench_shared_alloc(CHAIN_SET, 4096);
	if (lines == NULL) {
		bench_set_failed(ctx->set, "translate", -ENOMEM, "no memory");
		return -ENOMEM;
	}
	chain_link(lines, CHAIN_SET / sizeof(struct chain_line));
	rc = env_init(&e, why, sizeof(why));
	if (rc == 0)
		rc = xl_variant(ctx, &e, "hit", "chase/l1-d5", 0, XL_HIT_PAGES, true);
	for (unsigned int i = 0; i < XL_NREG && rc == 0; i++) {
		unsigned int depth = 4 * (e.r[i].s2_loads + 1) + e.r[i].s2_loads;
		char variant[BENCH_NAME_MAX], base[BENCH_REF_MAX];

		rc = chain_variant(ctx, lines, depth);
		snprintf(variant, sizeof(variant), "miss-s2-%s", e.r[i].name);
		snprintf(base, sizeof(base), "translate/chain-d%u", depth);
		if (rc == 0)
			rc = xl_variant(ctx, &e, variant, base, i, XL_MISS_PAGES, false);
	}
	env_fini(&e);
	bench_shared_free(lines);
	if (rc != 0)
		bench_set_failed(ctx->set, "translate", rc, "%s", why);
	return rc;
}

static const struct bench_scenario sc_translate = {
	.name = "translate",
	.summary = "soft IOTLB hit and nested-walk miss vs a dependent-load chain (baseline: chase)",
	.baseline = "chase",
	.order = 130,
	.plot = false,
	.run = translate_run,
};

BENCH_SCENARIO_REGISTER(sc_translate)
