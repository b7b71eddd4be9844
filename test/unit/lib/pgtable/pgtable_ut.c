/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Tests of lib/pgtable managed tables (pgtable.c + the LPAE format
 * instances): a matrix over stage x IAS x page sizes with random map/unmap
 * sequences checked against a flat per-4K reference map, edges of the
 * address space, exact errnos, block splitting, freeing of emptied tables,
 * descriptor bit-exactness against hand-computed values, register values,
 * flush callbacks, partial progress on errors, and lookups racing with
 * updates. Tables live in a fake guest RAM addressed by GPA (pt_test_mem),
 * so table address != host pointer throughout.
 */
#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_common.h>

#include "pt_test_mem.h"
#include "uiommu_fail.h"
#include "uiommu_pgtable.h"
#include "uiommu_ut.h"

#define SZ_4K 0x1000ULL
#define SZ_2M 0x200000ULL
#define SZ_1G 0x40000000ULL
#define RAM_BASE 0x40000000ULL   /* GPA of the fake RAM: fits oas 32 */
#define RAM_SIZE (32ULL << 20)

static const uint32_t RW = UIOMMU_PT_PROT_READ | UIOMMU_PT_PROT_WRITE;

/* ---- fixture ------------------------------------------------------------ */

struct fx {
	struct pt_test_mem mem;
	struct uiommu_pgtable *pt;
	unsigned int stage;
};

static int
fx_create(struct fx *f, enum uiommu_pt_format fmt, unsigned int ias,
	  unsigned int oas, uint64_t bitmap)
{
	struct uiommu_pgtable_cfg cfg = {
		.format = fmt,
		.ias = ias,
		.oas = oas,
		.pgsize_bitmap = bitmap,
		.mem_ops = &pt_test_mem_ops,
	};

	memset(f, 0, sizeof(*f));
	UT_ASSERT_FATAL(pt_test_mem_init(&f->mem, RAM_BASE, RAM_SIZE) == 0);
	cfg.mem_ctx = &f->mem;
	f->stage = fmt == UIOMMU_PT_ARM_LPAE_S2_4K ? 2 : 1;
	return uiommu_pgtable_create(&cfg, &f->pt);
}

static void
fx_destroy(struct fx *f)
{
	uiommu_pgtable_destroy(f->pt);
	f->pt = NULL;
	/* Every table went back to the allocator. */
	CU_ASSERT_EQUAL(f->mem.in_use, 0);
	CU_ASSERT_EQUAL(f->mem.bad_ptr, 0);
	pt_test_mem_fini(&f->mem);
}

static uint64_t
pt_tables(const struct uiommu_pgtable *pt)
{
	struct uiommu_pgtable_info info;

	uiommu_pgtable_info_get(pt, &info);
	return info.tables;
}

/* What iova_to_phys must report for a map() prot. */
static uint32_t
exp_prot(unsigned int stage, uint32_t prot)
{
	uint32_t r = 0;

	if (stage == 1) {
		r |= UIOMMU_PT_PROT_READ;
		r |= prot & (UIOMMU_PT_PROT_WRITE | UIOMMU_PT_PROT_PRIV);
	} else {
		r |= prot & (UIOMMU_PT_PROT_READ | UIOMMU_PT_PROT_WRITE);
	}
	r |= (prot & UIOMMU_PT_PROT_NOEXEC) ? UIOMMU_PT_PROT_NOEXEC :
					      UIOMMU_PT_PROT_EXEC;
	r |= prot & (UIOMMU_PT_PROT_CACHE | UIOMMU_PT_PROT_MMIO);
	return r;
}

/* ---- flat reference: one slot per 4 KiB page of a window --------------- */

struct ref {
	uint64_t wbase;   /* first iova of the window */
	uint64_t npages;
	uint64_t *v;      /* 0 or (oa | prot << 1 | 1) */
	uint64_t mapped;  /* pages mapped */
};

static void
ref_init(struct ref *r, uint64_t wbase, uint64_t wsize)
{
	r->wbase = wbase;
	r->npages = wsize / SZ_4K;
	r->v = calloc(r->npages, sizeof(uint64_t));
	r->mapped = 0;
	UT_ASSERT_FATAL(r->v != NULL);
}

static void
ref_fini(struct ref *r)
{
	free(r->v);
}

static uint64_t *
ref_slot(struct ref *r, uint64_t iova)
{
	UT_ASSERT_FATAL(iova >= r->wbase && (iova - r->wbase) / SZ_4K < r->npages);
	return &r->v[(iova - r->wbase) / SZ_4K];
}

/* State of a full-table check through the walk visitor. */
struct check {
	struct ref *ref;
	unsigned int stage;
	uint64_t pages;        /* pages seen in leaves */
	uint64_t tables;       /* table descriptors seen */
	bool open[5];          /* a child table at this level is open */
	uint64_t kids[5];      /* entries seen in it */
	unsigned int bad;      /* mismatches */
	unsigned int empty;    /* empty tables seen */
	uint64_t last_iova;    /* ordering */
	bool any;
};

static void
check_close(struct check *c, unsigned int from_level)
{
	for (unsigned int l = from_level; l < 5; l++) {
		if (c->open[l] && c->kids[l] == 0)
			c->empty++;
		c->open[l] = false;
	}
}

static int
check_visit(void *arg, const struct uiommu_pt_visit *v)
{
	struct check *c = arg;

	check_close(c, v->level + 1);
	c->kids[v->level]++;
	if (c->any && v->iova < c->last_iova)
		c->bad++;
	c->any = true;
	c->last_iova = v->iova;
	if (v->kind == UIOMMU_PT_VISIT_TABLE) {
		/* A table descriptor has nothing but address and type. */
		if (v->pte != (v->oa | 3))
			c->bad++;
		c->tables++;
		c->open[v->level + 1] = true;
		c->kids[v->level + 1] = 0;
		return 0;
	}
	for (uint64_t off = 0; off < v->size; off += SZ_4K) {
		uint64_t want = *ref_slot(c->ref, v->iova + off);
		uint64_t oa = v->oa + off;

		if (want == 0 || (want & ~0xfffULL) != oa ||
		    exp_prot(c->stage, (uint32_t)((want >> 1) & 0x7f)) != v->prot) {
			c->bad++;
			break;
		}
	}
	c->pages += v->size / SZ_4K;
	return 0;
}

/* Compare the whole table with the reference, and check invariants. */
static void
full_check(struct fx *f, struct ref *r)
{
	struct check c = { .ref = r, .stage = f->stage };
	int rc;

	rc = uiommu_pgtable_walk(f->pt, 0, UINT64_MAX, check_visit, &c);
	CU_ASSERT_EQUAL(rc, 0);
	check_close(&c, 0);
	CU_ASSERT_EQUAL(c.bad, 0);
	CU_ASSERT_EQUAL(c.empty, 0);
	CU_ASSERT_EQUAL(c.pages, r->mapped);
	/* Tables seen + the top == tables allocated == allocator's count. */
	CU_ASSERT_EQUAL(c.tables + 1, pt_tables(f->pt));
	CU_ASSERT_EQUAL(f->mem.in_use, pt_tables(f->pt));
}

/* Check one page with iova_to_phys and with the hostile walker. */
static void
probe(struct fx *f, struct ref *r, uint64_t iova)
{
	struct uiommu_lpae_walk_cfg wc;
	struct uiommu_lpae_walk_result wr;
	struct uiommu_pt_leaf leaf;
	uint64_t want;
	int rc, wrc;

	if (iova < r->wbase || (iova - r->wbase) / SZ_4K >= r->npages)
		return;
	want = *ref_slot(r, iova & ~(SZ_4K - 1));
	rc = uiommu_pgtable_iova_to_phys(f->pt, iova, &leaf);
	CU_ASSERT_EQUAL(uiommu_pgtable_lpae_walk_cfg(f->pt, &wc), 0);
	wrc = uiommu_lpae_walk(&wc, iova, &wr);
	if (want == 0) {
		CU_ASSERT_EQUAL(rc, -ENOENT);
		CU_ASSERT_EQUAL(wrc, -EFAULT);
		CU_ASSERT_EQUAL(wr.fault, UIOMMU_LPAE_FAULT_TRANSLATION);
		return;
	}
	CU_ASSERT_EQUAL_FATAL(rc, 0);
	CU_ASSERT_EQUAL(leaf.oa, (want & ~0xfffULL) | (iova & 0xfff));
	CU_ASSERT_EQUAL(leaf.prot,
			exp_prot(f->stage, (uint32_t)((want >> 1) & 0x7f)));
	CU_ASSERT_EQUAL(wrc, 0);
	CU_ASSERT_EQUAL(wr.oa, leaf.oa);
	CU_ASSERT_EQUAL(wr.leaf_size, leaf.size);
	CU_ASSERT_EQUAL((unsigned int)wr.level, leaf.level);
	CU_ASSERT_EQUAL(wr.pte, leaf.pte);
}

/* ---- random sequences --------------------------------------------------- */

static uint64_t
rnd(unsigned long long *s, uint64_t n)
{
	return n == 0 ? 0 : ut_rand(s) % n;
}

static uint32_t
rnd_prot(unsigned long long *s)
{
	static const uint32_t rw[] = {
		UIOMMU_PT_PROT_READ, UIOMMU_PT_PROT_WRITE,
		UIOMMU_PT_PROT_READ | UIOMMU_PT_PROT_WRITE,
	};
	static const uint32_t mem[] = {
		0, UIOMMU_PT_PROT_CACHE, UIOMMU_PT_PROT_MMIO,
	};
	uint32_t p = rw[rnd(s, 3)] | mem[rnd(s, 3)];

	if (rnd(s, 2))
		p |= UIOMMU_PT_PROT_PRIV;
	if (rnd(s, 3) == 0)
		p |= UIOMMU_PT_PROT_NOEXEC;
	return p;
}

static void
do_random_map(struct fx *f, struct ref *r, uint64_t bitmap, unsigned int oas,
	      unsigned long long *s)
{
	uint64_t wsize = r->npages * SZ_4K, align, size, iova, oa, first, mapped;
	uint32_t prot = rnd_prot(s);
	unsigned int k = (unsigned int)rnd(s, 20);
	int rc, want_rc;

	if (k < 12) {
		align = SZ_4K;
		size = (1 + rnd(s, 32)) * SZ_4K;
	} else if (k < 19 || wsize < 2 * SZ_1G || !(bitmap & SZ_1G)) {
		align = SZ_2M;
		size = (1 + rnd(s, 2)) * SZ_2M + rnd(s, 3) * SZ_4K;
	} else {
		align = SZ_1G;
		size = SZ_1G + rnd(s, 2) * SZ_2M;
	}
	if (size > wsize)
		size = wsize;
	iova = r->wbase + rnd(s, (wsize - size) / align + 1) * align;
	/* Output: usually as aligned as the input, sometimes only 4K. */
	oa = rnd(s, ((1ULL << oas) - size) / align) * align;
	if (rnd(s, 4) == 0)
		oa += rnd(s, 512) * SZ_4K;
	if (oa + size > (1ULL << oas))
		oa = 0;

	first = iova;
	while (first < iova + size && *ref_slot(r, first) == 0)
		first += SZ_4K;
	want_rc = first < iova + size ? -EEXIST : 0;

	rc = uiommu_pgtable_map(f->pt, iova, oa, size, prot, &mapped);
	CU_ASSERT_EQUAL(rc, want_rc);
	CU_ASSERT_EQUAL(mapped, first - iova);
	for (uint64_t off = 0; off < mapped; off += SZ_4K) {
		*ref_slot(r, iova + off) = (oa + off) | ((uint64_t)prot << 1) | 1;
		r->mapped++;
	}
	probe(f, r, iova);
	probe(f, r, iova + size - SZ_4K);
	probe(f, r, iova - SZ_4K);
	probe(f, r, iova + size);
	probe(f, r, first);
}

static void
do_random_unmap(struct fx *f, struct ref *r, unsigned long long *s)
{
	uint64_t wsize = r->npages * SZ_4K, size, iova, want = 0, unmapped;
	unsigned int k = (unsigned int)rnd(s, 10);
	int rc;

	if (k < 6)
		size = (1 + rnd(s, 64)) * SZ_4K;
	else if (k < 9)
		size = (1 + rnd(s, 3)) * SZ_2M;
	else
		size = (1 + rnd(s, 2)) * SZ_1G;
	if (size > wsize)
		size = wsize;
	iova = r->wbase + rnd(s, (wsize - size) / SZ_4K + 1) * SZ_4K;
	for (uint64_t off = 0; off < size; off += SZ_4K) {
		uint64_t *slot = ref_slot(r, iova + off);

		if (*slot != 0) {
			want += SZ_4K;
			*slot = 0;
			r->mapped--;
		}
	}
	rc = uiommu_pgtable_unmap(f->pt, iova, size, &unmapped);
	CU_ASSERT_EQUAL(rc, 0);
	CU_ASSERT_EQUAL(unmapped, want);
	probe(f, r, iova);
	probe(f, r, iova + size - SZ_4K);
	probe(f, r, iova - SZ_4K);
	probe(f, r, iova + size);
}

/* Map the first and the last page of the address space, check, unmap. */
static void
edge_pages(struct fx *f, unsigned int ias, unsigned int oas)
{
	uint64_t top = (1ULL << ias) - SZ_4K, oa_top = (1ULL << oas) - SZ_4K;
	struct uiommu_pt_leaf leaf;
	uint64_t n;

	CU_ASSERT_EQUAL(uiommu_pgtable_map(f->pt, 0, oa_top, SZ_4K, RW, &n), 0);
	CU_ASSERT_EQUAL(uiommu_pgtable_map(f->pt, top, 0, SZ_4K, RW, &n), 0);
	CU_ASSERT_EQUAL(uiommu_pgtable_iova_to_phys(f->pt, 0x123, &leaf), 0);
	CU_ASSERT_EQUAL(leaf.oa, oa_top + 0x123);
	CU_ASSERT_EQUAL(uiommu_pgtable_iova_to_phys(f->pt, top + 0xfff, &leaf), 0);
	CU_ASSERT_EQUAL(leaf.oa, 0xfff);
	CU_ASSERT_EQUAL(leaf.size, SZ_4K);
	/* One page past the end. */
	CU_ASSERT_EQUAL(uiommu_pgtable_map(f->pt, top, 0, 2 * SZ_4K, RW, &n), -ERANGE);
	CU_ASSERT_EQUAL(uiommu_pgtable_iova_to_phys(f->pt, top + SZ_4K, &leaf),
			-ERANGE);
	CU_ASSERT_EQUAL(uiommu_pgtable_map(f->pt, SZ_4K, oa_top, 2 * SZ_4K, RW, &n),
			-ERANGE);
	CU_ASSERT_EQUAL(uiommu_pgtable_unmap(f->pt, 0, SZ_4K, &n), 0);
	CU_ASSERT_EQUAL(n, SZ_4K);
	CU_ASSERT_EQUAL(uiommu_pgtable_unmap(f->pt, top, SZ_4K, &n), 0);
	CU_ASSERT_EQUAL(n, SZ_4K);
	CU_ASSERT_EQUAL(pt_tables(f->pt), 1);
}

static void
run_case(enum uiommu_pt_format fmt, unsigned int ias, unsigned int oas,
	 uint64_t bitmap, bool at_top, unsigned int nops,
	 unsigned long long *seed)
{
	uint64_t space = 1ULL << ias, wsize = space < 4 * SZ_1G ? space : 4 * SZ_1G;
	uint64_t unmapped;
	struct ref r;
	struct fx f;

	UT_ASSERT_FATAL(fx_create(&f, fmt, ias, oas, bitmap) == 0);
	edge_pages(&f, ias, oas);
	ref_init(&r, at_top ? space - wsize : 0, wsize);
	for (unsigned int i = 0; i < nops; i++) {
		if (rnd(seed, 3) != 0)
			do_random_map(&f, &r, bitmap, oas, seed);
		else
			do_random_unmap(&f, &r, seed);
		if (i % 64 == 63)
			full_check(&f, &r);
	}
	full_check(&f, &r);
	/* Unmapping everything frees every table but the top. */
	CU_ASSERT_EQUAL(uiommu_pgtable_unmap(f.pt, 0, space, &unmapped), 0);
	CU_ASSERT_EQUAL(unmapped, r.mapped * SZ_4K);
	CU_ASSERT_EQUAL(pt_tables(f.pt), 1);
	CU_ASSERT_EQUAL(f.mem.in_use, 1);
	ref_fini(&r);
	fx_destroy(&f);
}

static void
test_pgtable_matrix_random(void)
{
	static const unsigned int ias_list[] = { 32, 39, 40, 44, 48 };
	static const unsigned int oas_list[] = { 40, 48, 32, 44 };
	static const uint64_t bitmaps[] = {
		UIOMMU_PT_PGSIZE_4K,
		UIOMMU_PT_PGSIZE_4K | UIOMMU_PT_PGSIZE_2M,
		UIOMMU_PT_PGSIZE_LPAE_4K,
	};
	unsigned long long seed = ut_seed();
	unsigned int n = 0;

	for (unsigned int st = 1; st <= 2; st++)
		for (unsigned int i = 0; i < RTE_DIM(ias_list); i++)
			for (unsigned int b = 0; b < RTE_DIM(bitmaps); b++, n++)
				run_case(st == 1 ? UIOMMU_PT_ARM_LPAE_S1_4K :
						   UIOMMU_PT_ARM_LPAE_S2_4K,
					 ias_list[i], oas_list[n % RTE_DIM(oas_list)],
					 bitmaps[b], (n & 1) != 0, 250, &seed);
}

/* ---- leaf size choice against a brute-force reference ------------------- */

struct leaf_ent {
	uint64_t iova, oa, size;
};

struct leaf_list {
	struct leaf_ent *e;
	unsigned int n, cap;
};

static int
collect_leaf(void *arg, const struct uiommu_pt_visit *v)
{
	struct leaf_list *l = arg;

	if (v->kind != UIOMMU_PT_VISIT_LEAF)
		return 0;
	if (l->n == l->cap)
		return -ENOSPC;
	l->e[l->n].iova = v->iova;
	l->e[l->n].oa = v->oa;
	l->e[l->n].size = v->size;
	l->n++;
	return 0;
}

static void
test_pgtable_map_best_pgsize(void)
{
	static const uint64_t sizes[] = { SZ_1G, SZ_2M, SZ_4K };
	unsigned long long seed = ut_seed();

	for (unsigned int t = 0; t < 100; t++) {
		uint64_t bitmap = UIOMMU_PT_PGSIZE_4K;
		uint64_t iova, oa, size, cur, o, rem, mapped;
		struct leaf_list got = { .n = 0 };
		unsigned int nexp = 0;
		bool ok = true;
		struct fx f;

		if (rnd(&seed, 4) != 0)
			bitmap |= UIOMMU_PT_PGSIZE_2M;
		if (rnd(&seed, 2) != 0)
			bitmap |= UIOMMU_PT_PGSIZE_1G;
		UT_ASSERT_FATAL(fx_create(&f, t & 1 ? UIOMMU_PT_ARM_LPAE_S2_4K :
					  UIOMMU_PT_ARM_LPAE_S1_4K, 40, 40,
					  bitmap) == 0);
		/* Alignments chosen to hit every case. */
		iova = rnd(&seed, 8) * SZ_1G + rnd(&seed, 3) * SZ_2M * rnd(&seed, 2) +
		       rnd(&seed, 3) * SZ_4K * rnd(&seed, 2);
		oa = rnd(&seed, 8) * SZ_1G + rnd(&seed, 3) * SZ_2M * rnd(&seed, 2) +
		     rnd(&seed, 3) * SZ_4K * rnd(&seed, 2);
		size = (rnd(&seed, 4) == 0) * SZ_1G + rnd(&seed, 4) * SZ_2M +
		       (1 + rnd(&seed, 3)) * SZ_4K;
		got.cap = (unsigned int)(size / SZ_4K);
		got.e = calloc(got.cap, sizeof(*got.e));
		UT_ASSERT_FATAL(got.e != NULL);
		CU_ASSERT_EQUAL(uiommu_pgtable_map(f.pt, iova, oa, size,
						   RW, &mapped), 0);
		CU_ASSERT_EQUAL(mapped, size);
		CU_ASSERT_EQUAL(uiommu_pgtable_walk(f.pt, 0, UINT64_MAX,
						    collect_leaf, &got), 0);
		/* Reference: the largest allowed size that fits, greedily. */
		for (cur = iova, o = oa, rem = size; rem != 0 && ok; nexp++) {
			uint64_t s = SZ_4K;

			for (unsigned int i = 0; i < RTE_DIM(sizes); i++)
				if ((bitmap & sizes[i]) && cur % sizes[i] == 0 &&
				    o % sizes[i] == 0 && rem >= sizes[i]) {
					s = sizes[i];
					break;
				}
			ok = nexp < got.n && got.e[nexp].iova == cur &&
			     got.e[nexp].oa == o && got.e[nexp].size == s;
			cur += s;
			o += s;
			rem -= s;
		}
		CU_ASSERT_TRUE(ok);
		CU_ASSERT_EQUAL(nexp, got.n);
		free(got.e);
		fx_destroy(&f);
	}
}

/* ---- exact errnos ------------------------------------------------------- */

static void
test_pgtable_create_errors(void)
{
	struct uiommu_pgtable_cfg cfg = {
		.format = UIOMMU_PT_ARM_LPAE_S1_4K, .ias = 48, .oas = 48,
		.mem_ops = &pt_test_mem_ops,
	};
	struct uiommu_pt_mem_ops no_free = pt_test_mem_ops;
	struct uiommu_pgtable *pt = NULL;
	struct pt_test_mem m;

	UT_ASSERT_FATAL(pt_test_mem_init(&m, RAM_BASE, RAM_SIZE) == 0);
	cfg.mem_ctx = &m;
	CU_ASSERT_EQUAL(uiommu_pgtable_create(NULL, &pt), -EINVAL);
	CU_ASSERT_EQUAL(uiommu_pgtable_create(&cfg, NULL), -EINVAL);
	cfg.format = 0;
	CU_ASSERT_EQUAL(uiommu_pgtable_create(&cfg, &pt), -EOPNOTSUPP);
	cfg.format = 99;
	CU_ASSERT_EQUAL(uiommu_pgtable_create(&cfg, &pt), -EOPNOTSUPP);
	cfg.format = UIOMMU_PT_ARM_LPAE_S2_4K;
	cfg.ias = 24;
	CU_ASSERT_EQUAL(uiommu_pgtable_create(&cfg, &pt), -EINVAL);
	cfg.ias = 49;
	CU_ASSERT_EQUAL(uiommu_pgtable_create(&cfg, &pt), -EINVAL);
	cfg.ias = 40;
	cfg.oas = 31;
	CU_ASSERT_EQUAL(uiommu_pgtable_create(&cfg, &pt), -EINVAL);
	cfg.oas = 49;
	CU_ASSERT_EQUAL(uiommu_pgtable_create(&cfg, &pt), -EINVAL);
	cfg.oas = 40;
	cfg.pgsize_bitmap = UIOMMU_PT_PGSIZE_2M;
	CU_ASSERT_EQUAL(uiommu_pgtable_create(&cfg, &pt), -EINVAL);
	cfg.pgsize_bitmap = UIOMMU_PT_PGSIZE_4K | (1ULL << 14);
	CU_ASSERT_EQUAL(uiommu_pgtable_create(&cfg, &pt), -EINVAL);
	cfg.pgsize_bitmap = 0;
	cfg.prot_default = 1u << 20;
	CU_ASSERT_EQUAL(uiommu_pgtable_create(&cfg, &pt), -EINVAL);
	cfg.prot_default = 0;
	cfg.flags = 1u << 7;
	CU_ASSERT_EQUAL(uiommu_pgtable_create(&cfg, &pt), -EINVAL);
	cfg.flags = 0;
	no_free.free = NULL;
	cfg.mem_ops = &no_free;
	CU_ASSERT_EQUAL(uiommu_pgtable_create(&cfg, &pt), -EINVAL);
	cfg.mem_ops = NULL;
	CU_ASSERT_EQUAL(uiommu_pgtable_create(&cfg, &pt), -EINVAL);
	cfg.mem_ops = &pt_test_mem_ops;
	/* The top table cannot be allocated. */
	m.fail_at = m.allocs + 1;
	CU_ASSERT_EQUAL(uiommu_pgtable_create(&cfg, &pt), -ENOMEM);
	m.fail_at = 0;
	CU_ASSERT_EQUAL(m.in_use, 0);
	/* Tables would lie beyond oas: RAM at 1 GiB, oas 32 fits; at 2^33 not. */
	pt_test_mem_fini(&m);
	UT_ASSERT_FATAL(pt_test_mem_init(&m, 1ULL << 33, 1 << 20) == 0);
	cfg.mem_ctx = &m;
	cfg.oas = 32;
	CU_ASSERT_EQUAL(uiommu_pgtable_create(&cfg, &pt), -ERANGE);
	CU_ASSERT_EQUAL(m.in_use, 0);
	cfg.oas = 34;
	CU_ASSERT_EQUAL(uiommu_pgtable_create(&cfg, &pt), 0);
	uiommu_pgtable_destroy(pt);
	CU_ASSERT_EQUAL(m.in_use, 0);
	uiommu_pgtable_destroy(NULL);
	pt_test_mem_fini(&m);
}

static void
test_pgtable_map_errors(void)
{
	uint64_t n = 77;
	struct fx f;

	UT_ASSERT_FATAL(fx_create(&f, UIOMMU_PT_ARM_LPAE_S1_4K, 39, 40, 0) == 0);
	CU_ASSERT_EQUAL(uiommu_pgtable_map(NULL, 0, 0, SZ_4K, RW, &n), -EINVAL);
	CU_ASSERT_EQUAL(n, 0);
	/* Malformed. */
	CU_ASSERT_EQUAL(uiommu_pgtable_map(f.pt, 0, 0, 0, RW, &n), -EINVAL);
	CU_ASSERT_EQUAL(uiommu_pgtable_map(f.pt, 0x800, 0, SZ_4K, RW, &n), -EINVAL);
	CU_ASSERT_EQUAL(uiommu_pgtable_map(f.pt, 0, 0x10, SZ_4K, RW, &n), -EINVAL);
	CU_ASSERT_EQUAL(uiommu_pgtable_map(f.pt, 0, 0, SZ_4K + 1, RW, &n), -EINVAL);
	CU_ASSERT_EQUAL(uiommu_pgtable_map(f.pt, 0, 0, SZ_4K, 0, &n), -EINVAL);
	CU_ASSERT_EQUAL(uiommu_pgtable_map(f.pt, 0, 0, SZ_4K,
					   UIOMMU_PT_PROT_NOEXEC, &n), -EINVAL);
	CU_ASSERT_EQUAL(uiommu_pgtable_map(f.pt, 0, 0, SZ_4K, RW |
					   UIOMMU_PT_PROT_CACHE | UIOMMU_PT_PROT_MMIO,
					   &n), -EINVAL);
	CU_ASSERT_EQUAL(uiommu_pgtable_map(f.pt, 0, 0, SZ_4K, RW |
					   UIOMMU_PT_PROT_EXEC | UIOMMU_PT_PROT_NOEXEC,
					   &n), -EINVAL);
	/* Unknown flag. */
	CU_ASSERT_EQUAL(uiommu_pgtable_map(f.pt, 0, 0, SZ_4K, RW | (1u << 9), &n),
			-EOPNOTSUPP);
	/* Wrapping past 2^64, for the input and the output. */
	CU_ASSERT_EQUAL(uiommu_pgtable_map(f.pt, UINT64_MAX - SZ_4K + 1, 0,
					   2 * SZ_4K, RW, &n), -EOVERFLOW);
	CU_ASSERT_EQUAL(uiommu_pgtable_map(f.pt, 0, UINT64_MAX - SZ_4K + 1,
					   2 * SZ_4K, RW, &n), -EOVERFLOW);
	/* Beyond ias / oas. */
	CU_ASSERT_EQUAL(uiommu_pgtable_map(f.pt, 1ULL << 39, 0, SZ_4K, RW, &n),
			-ERANGE);
	CU_ASSERT_EQUAL(uiommu_pgtable_map(f.pt, (1ULL << 39) - SZ_4K, 0,
					   2 * SZ_4K, RW, &n), -ERANGE);
	CU_ASSERT_EQUAL(uiommu_pgtable_map(f.pt, 0, 1ULL << 40, SZ_4K, RW, &n),
			-ERANGE);
	CU_ASSERT_EQUAL(uiommu_pgtable_map(f.pt, 0, (1ULL << 40) - SZ_4K,
					   2 * SZ_4K, RW, &n), -ERANGE);
	CU_ASSERT_EQUAL(pt_tables(f.pt), 1);

	/* Unmap and lookups. */
	CU_ASSERT_EQUAL(uiommu_pgtable_unmap(NULL, 0, SZ_4K, &n), -EINVAL);
	CU_ASSERT_EQUAL(uiommu_pgtable_unmap(f.pt, 0, 0, &n), -EINVAL);
	CU_ASSERT_EQUAL(uiommu_pgtable_unmap(f.pt, 0x10, SZ_4K, &n), -EINVAL);
	CU_ASSERT_EQUAL(uiommu_pgtable_unmap(f.pt, 0, 0x10, &n), -EINVAL);
	CU_ASSERT_EQUAL(uiommu_pgtable_unmap(f.pt, UINT64_MAX - SZ_4K + 1,
					     2 * SZ_4K, &n), -EOVERFLOW);
	CU_ASSERT_EQUAL(uiommu_pgtable_unmap(f.pt, 1ULL << 39, SZ_4K, &n), -ERANGE);
	/* Nothing mapped: success, nothing unmapped. */
	n = 5;
	CU_ASSERT_EQUAL(uiommu_pgtable_unmap(f.pt, 0, 1ULL << 39, &n), 0);
	CU_ASSERT_EQUAL(n, 0);
	CU_ASSERT_EQUAL(uiommu_pgtable_iova_to_phys(f.pt, 0, NULL), -ENOENT);
	CU_ASSERT_EQUAL(uiommu_pgtable_iova_to_phys(f.pt, 1ULL << 39, NULL), -ERANGE);
	CU_ASSERT_EQUAL(uiommu_pgtable_iova_to_phys(NULL, 0, NULL), -EINVAL);
	CU_ASSERT_EQUAL(uiommu_pgtable_walk(f.pt, 0, 10, NULL, NULL), -EINVAL);
	CU_ASSERT_EQUAL(uiommu_pgtable_walk(f.pt, 10, 0, collect_leaf, NULL),
			-EINVAL);
	CU_ASSERT_EQUAL(uiommu_pgtable_walk(f.pt, 1ULL << 39, UINT64_MAX,
					    collect_leaf, NULL), -ERANGE);
	fx_destroy(&f);
}

/* Overlap: -EEXIST with exact partial progress, nothing else changed. */
static void
test_pgtable_map_overlap(void)
{
	const uint64_t x = 0x12340000000ULL & ((1ULL << 44) - 1) & ~(SZ_1G - 1);
	struct uiommu_pt_leaf leaf;
	uint64_t n;
	struct fx f;

	UT_ASSERT_FATAL(fx_create(&f, UIOMMU_PT_ARM_LPAE_S2_4K, 44, 44, 0) == 0);
	CU_ASSERT_EQUAL(uiommu_pgtable_map(f.pt, x + 2 * SZ_4K, 0x5000, SZ_4K,
					   RW, &n), 0);
	/* Pages x, x+4K free, x+8K taken. */
	CU_ASSERT_EQUAL(uiommu_pgtable_map(f.pt, x, 0x100000, 4 * SZ_4K, RW, &n),
			-EEXIST);
	CU_ASSERT_EQUAL(n, 2 * SZ_4K);
	CU_ASSERT_EQUAL(uiommu_pgtable_iova_to_phys(f.pt, x + SZ_4K, &leaf), 0);
	CU_ASSERT_EQUAL(leaf.oa, 0x101000);
	CU_ASSERT_EQUAL(uiommu_pgtable_iova_to_phys(f.pt, x + 2 * SZ_4K, &leaf), 0);
	CU_ASSERT_EQUAL(leaf.oa, 0x5000);
	CU_ASSERT_EQUAL(uiommu_pgtable_iova_to_phys(f.pt, x + 3 * SZ_4K, &leaf),
			-ENOENT);
	/* A 2M leaf over a table that holds pages: goes down, stops at x. */
	CU_ASSERT_EQUAL(uiommu_pgtable_map(f.pt, x, 0x200000, SZ_2M, RW, &n),
			-EEXIST);
	CU_ASSERT_EQUAL(n, 0);
	/* A 4K page inside a 1G block. */
	CU_ASSERT_EQUAL(uiommu_pgtable_map(f.pt, x + SZ_1G, SZ_1G, SZ_1G, RW, &n), 0);
	CU_ASSERT_EQUAL(uiommu_pgtable_map(f.pt, x + SZ_1G + 7 * SZ_2M, 0, SZ_4K,
					   RW, &n), -EEXIST);
	CU_ASSERT_EQUAL(n, 0);
	CU_ASSERT_EQUAL(uiommu_pgtable_iova_to_phys(f.pt, x + SZ_1G + 7 * SZ_2M,
						    &leaf), 0);
	CU_ASSERT_EQUAL(leaf.size, SZ_1G);
	CU_ASSERT_EQUAL(leaf.oa, SZ_1G + 7 * SZ_2M);
	/* Free prefix before a block: mapped exactly up to it. */
	CU_ASSERT_EQUAL(uiommu_pgtable_map(f.pt, x + SZ_1G - SZ_2M, 0x800000,
					   2 * SZ_2M, RW, &n), -EEXIST);
	CU_ASSERT_EQUAL(n, SZ_2M);
	CU_ASSERT_EQUAL(uiommu_pgtable_iova_to_phys(f.pt, x + SZ_1G - SZ_4K, &leaf),
			0);
	CU_ASSERT_EQUAL(leaf.size, SZ_2M);
	fx_destroy(&f);
}

/* ---- split and free ----------------------------------------------------- */

static void
test_pgtable_unmap_split_block(void)
{
	const uint32_t prot = UIOMMU_PT_PROT_READ | UIOMMU_PT_PROT_CACHE |
			      UIOMMU_PT_PROT_NOEXEC;
	const uint64_t iova = SZ_1G, oa = 4 * SZ_1G;
	const uint64_t hole = iova + 5 * SZ_2M + 3 * SZ_4K;
	struct uiommu_pt_leaf leaf, before;
	uint64_t n;
	struct fx f;

	for (unsigned int st = 1; st <= 2; st++) {
		UT_ASSERT_FATAL(fx_create(&f, st == 1 ? UIOMMU_PT_ARM_LPAE_S1_4K :
					  UIOMMU_PT_ARM_LPAE_S2_4K, 39, 40, 0) == 0);
		CU_ASSERT_EQUAL(uiommu_pgtable_map(f.pt, iova, oa, SZ_1G, prot, &n), 0);
		CU_ASSERT_EQUAL(pt_tables(f.pt), 1);
		CU_ASSERT_EQUAL(uiommu_pgtable_iova_to_phys(f.pt, iova, &before), 0);
		CU_ASSERT_EQUAL(before.size, SZ_1G);
		CU_ASSERT_EQUAL(before.level, 1);

		CU_ASSERT_EQUAL(uiommu_pgtable_unmap(f.pt, hole, SZ_4K, &n), 0);
		CU_ASSERT_EQUAL(n, SZ_4K);
		/* 1G → 2M blocks, the one holding the hole → 4K pages. */
		CU_ASSERT_EQUAL(pt_tables(f.pt), 3);
		CU_ASSERT_EQUAL(uiommu_pgtable_iova_to_phys(f.pt, hole, &leaf), -ENOENT);
		CU_ASSERT_EQUAL(uiommu_pgtable_iova_to_phys(f.pt, hole - SZ_4K, &leaf), 0);
		CU_ASSERT_EQUAL(leaf.size, SZ_4K);
		CU_ASSERT_EQUAL(leaf.oa, oa + (hole - SZ_4K - iova));
		CU_ASSERT_EQUAL(leaf.prot, exp_prot(st, prot));
		/* Same attributes, other type and address only. */
		CU_ASSERT_EQUAL(leaf.pte & ~(UIOMMU_LPAE_PTE_ADDR_MASK | 3),
				before.pte & ~(UIOMMU_LPAE_PTE_ADDR_MASK | 3));
		CU_ASSERT_EQUAL(uiommu_pgtable_iova_to_phys(f.pt, hole + SZ_4K, &leaf), 0);
		CU_ASSERT_EQUAL(leaf.oa, oa + (hole + SZ_4K - iova));
		CU_ASSERT_EQUAL(uiommu_pgtable_iova_to_phys(f.pt, iova + SZ_1G - 1,
							    &leaf), 0);
		CU_ASSERT_EQUAL(leaf.size, SZ_2M);
		CU_ASSERT_EQUAL(leaf.level, 2);
		CU_ASSERT_EQUAL(leaf.oa, oa + SZ_1G - 1);
		/* Unmap across a 2M block boundary: one more split. */
		CU_ASSERT_EQUAL(uiommu_pgtable_unmap(f.pt, iova + 9 * SZ_2M - SZ_4K,
						     2 * SZ_4K, &n), 0);
		CU_ASSERT_EQUAL(n, 2 * SZ_4K);
		CU_ASSERT_EQUAL(pt_tables(f.pt), 5);
		/* Remove the rest: every table but the top is freed. */
		CU_ASSERT_EQUAL(uiommu_pgtable_unmap(f.pt, iova, SZ_1G, &n), 0);
		CU_ASSERT_EQUAL(n, SZ_1G - 3 * SZ_4K);
		CU_ASSERT_EQUAL(pt_tables(f.pt), 1);
		CU_ASSERT_EQUAL(f.mem.in_use, 1);
		fx_destroy(&f);
	}
}

static void
test_pgtable_unmap_frees_tables(void)
{
	uint64_t n, base = 0x7f0000000000ULL;
	struct fx f;

	UT_ASSERT_FATAL(fx_create(&f, UIOMMU_PT_ARM_LPAE_S1_4K, 48, 48, 0) == 0);
	CU_ASSERT_EQUAL(f.mem.in_use, 1);
	/* 4K pages spread over many tables, unmapped page by page. */
	for (unsigned int i = 0; i < 64; i++)
		CU_ASSERT_EQUAL(uiommu_pgtable_map(f.pt, base + i * (SZ_2M + SZ_4K),
						   i * SZ_4K, SZ_4K, RW, &n), 0);
	/* Top (L0) + one L1 + one L2 + 64 L3 (distinct 2M regions). */
	CU_ASSERT_EQUAL(pt_tables(f.pt), 1 + 1 + 1 + 64);
	CU_ASSERT_EQUAL(f.mem.in_use, pt_tables(f.pt));
	for (unsigned int k = 0; k < 64; k++) {
		unsigned int i = (k * 37) % 64; /* a permutation of 0..63 */

		CU_ASSERT_EQUAL(uiommu_pgtable_unmap(f.pt, base + i * (SZ_2M + SZ_4K),
						     SZ_4K, &n), 0);
		CU_ASSERT_EQUAL(n, SZ_4K);
		CU_ASSERT_EQUAL(pt_tables(f.pt), k == 63 ? 1 : 1 + 2 + 63 - k);
	}
	CU_ASSERT_EQUAL(f.mem.in_use, 1);
	/* A table is not freed while one entry remains. */
	CU_ASSERT_EQUAL(uiommu_pgtable_map(f.pt, base, 0, 2 * SZ_4K, RW, &n), 0);
	CU_ASSERT_EQUAL(uiommu_pgtable_unmap(f.pt, base, SZ_4K, &n), 0);
	CU_ASSERT_EQUAL(pt_tables(f.pt), 4);
	CU_ASSERT_EQUAL(uiommu_pgtable_unmap(f.pt, base + SZ_4K, SZ_4K, &n), 0);
	CU_ASSERT_EQUAL(pt_tables(f.pt), 1);
	fx_destroy(&f);
}

/* Allocation failures leave a consistent table with exact progress. */
static void
test_pgtable_nomem(void)
{
	struct uiommu_pt_leaf leaf;
	uint64_t n;
	struct fx f;

	UT_ASSERT_FATAL(fx_create(&f, UIOMMU_PT_ARM_LPAE_S1_4K, 48, 48, 0) == 0);
	/* First page needs L1, L2, L3 tables: fail the second. */
	f.mem.fail_at = f.mem.allocs + 2;
	CU_ASSERT_EQUAL(uiommu_pgtable_map(f.pt, SZ_2M - 2 * SZ_4K, 0, 4 * SZ_4K,
					   RW, &n), -ENOMEM);
	CU_ASSERT_EQUAL(n, 0);
	CU_ASSERT_EQUAL(f.mem.in_use, 1);
	CU_ASSERT_EQUAL(pt_tables(f.pt), 1);
	/* Across a 2M boundary: fail the second L3 table. */
	f.mem.fail_at = f.mem.allocs + 4;
	CU_ASSERT_EQUAL(uiommu_pgtable_map(f.pt, SZ_2M - 2 * SZ_4K, 0, 4 * SZ_4K,
					   RW, &n), -ENOMEM);
	CU_ASSERT_EQUAL(n, 2 * SZ_4K);
	CU_ASSERT_EQUAL(uiommu_pgtable_iova_to_phys(f.pt, SZ_2M - SZ_4K, &leaf), 0);
	CU_ASSERT_EQUAL(leaf.oa, SZ_4K);
	CU_ASSERT_EQUAL(uiommu_pgtable_iova_to_phys(f.pt, SZ_2M, &leaf), -ENOENT);
	CU_ASSERT_EQUAL(pt_tables(f.pt), 4);
	CU_ASSERT_EQUAL(f.mem.in_use, 4);
	/* Splitting a block needs a table: the block stays whole. */
	f.mem.fail_at = 0;
	CU_ASSERT_EQUAL(uiommu_pgtable_map(f.pt, SZ_1G, 0, SZ_2M, RW, &n), 0);
	f.mem.fail_at = f.mem.allocs + 1;
	CU_ASSERT_EQUAL(uiommu_pgtable_unmap(f.pt, SZ_1G + SZ_4K, SZ_4K, &n),
			-ENOMEM);
	CU_ASSERT_EQUAL(n, 0);
	CU_ASSERT_EQUAL(uiommu_pgtable_iova_to_phys(f.pt, SZ_1G + SZ_4K, &leaf), 0);
	CU_ASSERT_EQUAL(leaf.size, SZ_2M);
	f.mem.fail_at = 0;
	CU_ASSERT_EQUAL(uiommu_pgtable_unmap(f.pt, 0, 1ULL << 48, &n), 0);
	CU_ASSERT_EQUAL(n, 2 * SZ_4K + SZ_2M);
	CU_ASSERT_EQUAL(f.mem.in_use, 1);
	fx_destroy(&f);
}

/* ---- descriptor bits and registers ------------------------------------- */

static uint64_t
raw_pte(struct fx *f, uint64_t table, unsigned int idx)
{
	uint64_t *p = pt_test_mem_ptr(&f->mem, table + idx * 8, 8);

	UT_ASSERT_FATAL(p != NULL);
	return *p;
}

static void
test_pgtable_descriptor_bits(void)
{
	struct uiommu_pt_leaf leaf;
	uint64_t n, l1, l2, l3;
	struct fx f;

	/* Stage 1, ias 39: top = level 1 (512 entries). */
	UT_ASSERT_FATAL(fx_create(&f, UIOMMU_PT_ARM_LPAE_S1_4K, 39, 40, 0) == 0);
	CU_ASSERT_EQUAL(uiommu_pgtable_map(f.pt, 0x1000, 0x12345000, SZ_4K,
					   RW | UIOMMU_PT_PROT_CACHE, &n), 0);
	CU_ASSERT_EQUAL(uiommu_pgtable_iova_to_phys(f.pt, 0x1000, &leaf), 0);
	/* page 0b11 | AttrIndx 1 <<2 | AP[1] UNPRIV 0x40 | SH IS 0x300 |
	 * AF 0x400 | nG 0x800 */
	CU_ASSERT_EQUAL(leaf.pte, 0x12345f47ULL);
	CU_ASSERT_EQUAL(leaf.level, 3);
	/* The table descriptors on the way: address | 0b11, nothing else. */
	l1 = raw_pte(&f, uiommu_pgtable_root(f.pt), 0);
	CU_ASSERT_EQUAL(l1 & 0xfff, 3);
	CU_ASSERT_EQUAL(l1 >> 48, 0);
	l2 = raw_pte(&f, l1 & UIOMMU_LPAE_PTE_ADDR_MASK, 0);
	CU_ASSERT_EQUAL(l2 & 0xfff, 3);
	l3 = raw_pte(&f, l2 & UIOMMU_LPAE_PTE_ADDR_MASK, 1);
	CU_ASSERT_EQUAL(l3, 0x12345f47ULL);
	/* Table addresses are GPAs in the fake RAM, not host pointers. */
	CU_ASSERT_TRUE((l2 & UIOMMU_LPAE_PTE_ADDR_MASK) >= RAM_BASE &&
		       (l2 & UIOMMU_LPAE_PTE_ADDR_MASK) < RAM_BASE + RAM_SIZE);

	/* Read-only, privileged, no-exec device 2M block:
	 * block 0b01 | AttrIndx 2 << 2 | RDONLY 0x80 | SH OS 0x200 | AF | nG |
	 * XN 0b11 << 53 */
	CU_ASSERT_EQUAL(uiommu_pgtable_map(f.pt, 0x200000, 0x40000000, SZ_2M,
					   UIOMMU_PT_PROT_READ | UIOMMU_PT_PROT_PRIV |
					   UIOMMU_PT_PROT_NOEXEC | UIOMMU_PT_PROT_MMIO,
					   &n), 0);
	CU_ASSERT_EQUAL(uiommu_pgtable_iova_to_phys(f.pt, 0x3fffff, &leaf), 0);
	CU_ASSERT_EQUAL(leaf.pte, 0x0060000040000e89ULL);
	CU_ASSERT_EQUAL(leaf.prot, UIOMMU_PT_PROT_READ | UIOMMU_PT_PROT_PRIV |
				   UIOMMU_PT_PROT_NOEXEC | UIOMMU_PT_PROT_MMIO);
	CU_ASSERT_EQUAL(leaf.oa, 0x401fffffULL);
	/* Write-only asks for RW at stage 1, non-cacheable: AttrIndx 0. */
	CU_ASSERT_EQUAL(uiommu_pgtable_map(f.pt, 0x2000, 0x3000, SZ_4K,
					   UIOMMU_PT_PROT_WRITE, &n), 0);
	CU_ASSERT_EQUAL(uiommu_pgtable_iova_to_phys(f.pt, 0x2000, &leaf), 0);
	CU_ASSERT_EQUAL(leaf.pte, 0x3000ULL | 3 | 0x40 | 0x200 | 0x400 | 0x800);
	fx_destroy(&f);

	/* Stage 2: 1G block RW cacheable: block | MemAttr 0xf << 2 |
	 * S2AP 0b11 << 6 | SH IS | AF = 0x7fd */
	UT_ASSERT_FATAL(fx_create(&f, UIOMMU_PT_ARM_LPAE_S2_4K, 40, 40, 0) == 0);
	CU_ASSERT_EQUAL(uiommu_pgtable_map(f.pt, 0x40000000, 0x80000000, SZ_1G,
					   RW | UIOMMU_PT_PROT_CACHE, &n), 0);
	CU_ASSERT_EQUAL(uiommu_pgtable_iova_to_phys(f.pt, 0x40000000, &leaf), 0);
	CU_ASSERT_EQUAL(leaf.pte, 0x800007fdULL);
	CU_ASSERT_EQUAL(leaf.level, 1);
	/* In the concatenated top (2 tables at level 1): index 1. */
	CU_ASSERT_EQUAL(raw_pte(&f, uiommu_pgtable_root(f.pt), 1), 0x800007fdULL);
	/* Read-only non-cacheable page: page | MemAttr 0x5 << 2 | S2AP read |
	 * SH OS | AF = 0x657; iova 2^39 + 4K goes to the second table. */
	CU_ASSERT_EQUAL(uiommu_pgtable_map(f.pt, (1ULL << 39) + SZ_4K, 0x7000,
					   SZ_4K, UIOMMU_PT_PROT_READ, &n), 0);
	CU_ASSERT_EQUAL(uiommu_pgtable_iova_to_phys(f.pt, (1ULL << 39) + SZ_4K,
						    &leaf), 0);
	CU_ASSERT_EQUAL(leaf.pte, 0x7657ULL);
	CU_ASSERT_EQUAL(leaf.prot, UIOMMU_PT_PROT_READ | UIOMMU_PT_PROT_EXEC);
	l1 = raw_pte(&f, uiommu_pgtable_root(f.pt), 512);
	CU_ASSERT_EQUAL(l1 & 0xfff, 3);
	/* Write-only device, no exec: MemAttr 1 | S2AP write | SH OS | AF |
	 * XN */
	CU_ASSERT_EQUAL(uiommu_pgtable_map(f.pt, 0x9000, 0x9000, SZ_4K,
					   UIOMMU_PT_PROT_WRITE | UIOMMU_PT_PROT_MMIO |
					   UIOMMU_PT_PROT_NOEXEC, &n), 0);
	CU_ASSERT_EQUAL(uiommu_pgtable_iova_to_phys(f.pt, 0x9000, &leaf), 0);
	CU_ASSERT_EQUAL(leaf.pte, 0x0060000000009687ULL);
	fx_destroy(&f);
}

/* Geometry and register values, computed by hand from §7.1. */
static void
test_pgtable_geometry_regs(void)
{
	static const struct {
		enum uiommu_pt_format fmt;
		unsigned int ias, oas;
		unsigned int start, concat, entries, sl0, ps;
	} g[] = {
		{ UIOMMU_PT_ARM_LPAE_S1_4K, 48, 48, 0, 1, 512, 0, 5 },
		{ UIOMMU_PT_ARM_LPAE_S1_4K, 44, 44, 0, 1, 32, 0, 4 },
		{ UIOMMU_PT_ARM_LPAE_S1_4K, 40, 40, 0, 1, 2, 0, 2 },
		{ UIOMMU_PT_ARM_LPAE_S1_4K, 39, 42, 1, 1, 512, 0, 3 },
		{ UIOMMU_PT_ARM_LPAE_S1_4K, 32, 32, 1, 1, 4, 0, 0 },
		{ UIOMMU_PT_ARM_LPAE_S1_4K, 25, 36, 2, 1, 16, 0, 1 },
		{ UIOMMU_PT_ARM_LPAE_S2_4K, 48, 48, 0, 1, 512, 2, 5 },
		{ UIOMMU_PT_ARM_LPAE_S2_4K, 44, 40, 0, 1, 32, 2, 2 },
		{ UIOMMU_PT_ARM_LPAE_S2_4K, 43, 40, 1, 16, 8192, 1, 2 },
		{ UIOMMU_PT_ARM_LPAE_S2_4K, 42, 40, 1, 8, 4096, 1, 2 },
		{ UIOMMU_PT_ARM_LPAE_S2_4K, 40, 40, 1, 2, 1024, 1, 2 },
		{ UIOMMU_PT_ARM_LPAE_S2_4K, 39, 48, 1, 1, 512, 1, 5 },
		{ UIOMMU_PT_ARM_LPAE_S2_4K, 32, 33, 1, 1, 4, 1, 1 },
		{ UIOMMU_PT_ARM_LPAE_S2_4K, 30, 32, 2, 1, 512, 0, 0 },
	};

	for (unsigned int i = 0; i < RTE_DIM(g); i++) {
		struct uiommu_pgtable_info info;
		struct uiommu_lpae_regs regs;
		struct fx f;

		UT_ASSERT_FATAL(fx_create(&f, g[i].fmt, g[i].ias, g[i].oas, 0) == 0);
		uiommu_pgtable_info_get(f.pt, &info);
		CU_ASSERT_EQUAL(info.start_level, g[i].start);
		CU_ASSERT_EQUAL(info.concat, g[i].concat);
		CU_ASSERT_EQUAL(info.top_size, g[i].entries * 8 < 64 ? 64 :
					       g[i].entries * 8);
		CU_ASSERT_EQUAL(info.levels, 4 - g[i].start);
		CU_ASSERT_EQUAL(info.root, uiommu_pgtable_root(f.pt));
		CU_ASSERT_EQUAL(uiommu_pgtable_lpae_regs(f.pt, &regs), 0);
		CU_ASSERT_EQUAL(regs.t0sz, 64 - g[i].ias);
		CU_ASSERT_EQUAL(regs.tg0, 0);
		CU_ASSERT_EQUAL(regs.start_level, g[i].start);
		CU_ASSERT_EQUAL(regs.concat, g[i].concat);
		CU_ASSERT_EQUAL(regs.ttb, uiommu_pgtable_root(f.pt));
		CU_ASSERT_EQUAL(regs.sh0, UIOMMU_LPAE_SH_OS);
		CU_ASSERT_EQUAL(regs.irgn0, UIOMMU_LPAE_RGN_NC);
		if (g[i].fmt == UIOMMU_PT_ARM_LPAE_S1_4K) {
			CU_ASSERT_EQUAL(regs.stage, 1);
			CU_ASSERT_EQUAL(regs.ips, g[i].ps);
			CU_ASSERT_EQUAL(regs.mair, 0xf404ff44ULL);
		} else {
			CU_ASSERT_EQUAL(regs.stage, 2);
			CU_ASSERT_EQUAL(regs.sl0, g[i].sl0);
			CU_ASSERT_EQUAL(regs.ps, g[i].ps);
		}
		fx_destroy(&f);
	}
	/* Coherent walks. */
	{
		struct uiommu_pgtable_cfg cfg = {
			.format = UIOMMU_PT_ARM_LPAE_S1_4K, .ias = 48, .oas = 48,
			.mem_ops = &pt_test_mem_ops,
			.flags = UIOMMU_PT_CFG_COHERENT_WALK,
		};
		struct uiommu_lpae_regs regs;
		struct uiommu_pgtable *pt;
		struct pt_test_mem m;

		UT_ASSERT_FATAL(pt_test_mem_init(&m, RAM_BASE, 1 << 20) == 0);
		cfg.mem_ctx = &m;
		CU_ASSERT_EQUAL(uiommu_pgtable_create(&cfg, &pt), 0);
		CU_ASSERT_EQUAL(uiommu_pgtable_lpae_regs(pt, &regs), 0);
		CU_ASSERT_EQUAL(regs.sh0, 3);
		CU_ASSERT_EQUAL(regs.irgn0, 1);
		CU_ASSERT_EQUAL(regs.orgn0, 1);
		uiommu_pgtable_destroy(pt);
		pt_test_mem_fini(&m);
	}
	CU_ASSERT_EQUAL(uiommu_lpae_bits_to_ps(32), 0);
	CU_ASSERT_EQUAL(uiommu_lpae_bits_to_ps(41), 3);
	CU_ASSERT_EQUAL(uiommu_lpae_bits_to_ps(48), 5);
	CU_ASSERT_EQUAL(uiommu_lpae_bits_to_ps(52), 6);
	CU_ASSERT_EQUAL(uiommu_lpae_bits_to_ps(53), -EINVAL);
	CU_ASSERT_EQUAL(uiommu_lpae_ps_to_bits(4), 44);
	CU_ASSERT_EQUAL(uiommu_lpae_ps_to_bits(7), -EINVAL);
}

/* prot_default is ORed into each map. */
static void
test_pgtable_prot_default(void)
{
	struct uiommu_pgtable_cfg cfg = {
		.format = UIOMMU_PT_ARM_LPAE_S2_4K, .ias = 40, .oas = 40,
		.mem_ops = &pt_test_mem_ops,
		.prot_default = UIOMMU_PT_PROT_CACHE,
	};
	struct uiommu_pgtable *pt;
	struct uiommu_pt_leaf leaf;
	struct pt_test_mem m;
	uint64_t n;

	UT_ASSERT_FATAL(pt_test_mem_init(&m, RAM_BASE, 1 << 20) == 0);
	cfg.mem_ctx = &m;
	CU_ASSERT_EQUAL(uiommu_pgtable_create(&cfg, &pt), 0);
	CU_ASSERT_EQUAL(uiommu_pgtable_map(pt, 0, 0, SZ_4K, UIOMMU_PT_PROT_READ, &n), 0);
	CU_ASSERT_EQUAL(uiommu_pgtable_iova_to_phys(pt, 0, &leaf), 0);
	CU_ASSERT_TRUE(leaf.prot & UIOMMU_PT_PROT_CACHE);
	/* MMIO cannot be combined with a CACHE default. */
	CU_ASSERT_EQUAL(uiommu_pgtable_map(pt, SZ_4K, 0, SZ_4K, UIOMMU_PT_PROT_READ |
					   UIOMMU_PT_PROT_MMIO, &n), -EINVAL);
	uiommu_pgtable_destroy(pt);
	CU_ASSERT_EQUAL(m.in_use, 0);
	pt_test_mem_fini(&m);
}

/* ---- flush callbacks ---------------------------------------------------- */

struct flush_log {
	struct fx *f;
	unsigned int nleaf, nwalk;
	uint64_t leaf_iova[8], leaf_size[8], leaf_gran[8];
	uint64_t walk_iova[8], walk_size[8];
	uint64_t watch_table;  /* must still be allocated in walk() */
	bool watch_ok;
};

static void
log_leaf(void *cookie, uint64_t iova, uint64_t size, uint64_t granule)
{
	struct flush_log *l = cookie;

	if (l->nleaf < 8) {
		l->leaf_iova[l->nleaf] = iova;
		l->leaf_size[l->nleaf] = size;
		l->leaf_gran[l->nleaf] = granule;
	}
	l->nleaf++;
}

static void
log_walk(void *cookie, uint64_t iova, uint64_t size)
{
	struct flush_log *l = cookie;
	uint64_t page = (l->watch_table - RAM_BASE) / SZ_4K;

	if (l->nwalk < 8) {
		l->walk_iova[l->nwalk] = iova;
		l->walk_size[l->nwalk] = size;
	}
	l->nwalk++;
	/* The unhooked L3 table is not freed yet when its flush runs. */
	if (size == SZ_2M)
		l->watch_ok = l->f->mem.used[page] != 0;
}

static int
find_l3_table(void *arg, const struct uiommu_pt_visit *v)
{
	if (v->kind == UIOMMU_PT_VISIT_TABLE && v->level == 2) {
		*(uint64_t *)arg = v->oa;
		return 1;
	}
	return 0;
}

static void
test_pgtable_flush_ops(void)
{
	static const struct uiommu_pt_flush_ops fops = {
		.leaf = log_leaf, .walk = log_walk,
	};
	struct uiommu_pgtable_cfg cfg = {
		.format = UIOMMU_PT_ARM_LPAE_S1_4K, .ias = 39, .oas = 40,
		.mem_ops = &pt_test_mem_ops, .flush_ops = &fops,
	};
	struct flush_log log = { .nleaf = 0 };
	const uint64_t x = 3 * SZ_1G + 4 * SZ_2M;
	struct fx f;
	uint64_t n;

	memset(&f, 0, sizeof(f));
	UT_ASSERT_FATAL(pt_test_mem_init(&f.mem, RAM_BASE, RAM_SIZE) == 0);
	cfg.mem_ctx = &f.mem;
	cfg.flush_cookie = &log;
	log.f = &f;
	CU_ASSERT_EQUAL(uiommu_pgtable_create(&cfg, &f.pt), 0);
	/* 512 pages: one L3 table (no 2M leaf: oa is not 2M aligned). */
	CU_ASSERT_EQUAL(uiommu_pgtable_map(f.pt, x, SZ_4K, SZ_2M, RW, &n), 0);
	CU_ASSERT_EQUAL(log.nleaf + log.nwalk, 0);
	CU_ASSERT_EQUAL(uiommu_pgtable_walk(f.pt, 0, UINT64_MAX, find_l3_table,
					    &log.watch_table), 1);
	/* Partial unmap: one leaf run, no table freed. */
	CU_ASSERT_EQUAL(uiommu_pgtable_unmap(f.pt, x, 4 * SZ_4K, &n), 0);
	CU_ASSERT_EQUAL(log.nleaf, 1);
	CU_ASSERT_EQUAL(log.leaf_iova[0], x);
	CU_ASSERT_EQUAL(log.leaf_size[0], 4 * SZ_4K);
	CU_ASSERT_EQUAL(log.leaf_gran[0], SZ_4K);
	CU_ASSERT_EQUAL(log.nwalk, 0);
	/* The rest: one leaf run, then the L3 and L2 tables unhooked. */
	CU_ASSERT_EQUAL(uiommu_pgtable_unmap(f.pt, x, SZ_2M, &n), 0);
	CU_ASSERT_EQUAL(n, SZ_2M - 4 * SZ_4K);
	CU_ASSERT_EQUAL(log.nleaf, 2);
	CU_ASSERT_EQUAL(log.leaf_iova[1], x + 4 * SZ_4K);
	CU_ASSERT_EQUAL(log.leaf_size[1], SZ_2M - 4 * SZ_4K);
	CU_ASSERT_EQUAL(log.nwalk, 2);
	CU_ASSERT_EQUAL(log.walk_iova[0], x);
	CU_ASSERT_EQUAL(log.walk_size[0], SZ_2M);
	CU_ASSERT_EQUAL(log.walk_iova[1], 3 * SZ_1G);
	CU_ASSERT_EQUAL(log.walk_size[1], SZ_1G);
	CU_ASSERT_TRUE(log.watch_ok);
	/* A split keeps the translation: not reported as removed. */
	CU_ASSERT_EQUAL(uiommu_pgtable_map(f.pt, x, 0, SZ_2M, RW, &n), 0);
	CU_ASSERT_EQUAL(uiommu_pgtable_unmap(f.pt, x + SZ_4K, SZ_4K, &n), 0);
	CU_ASSERT_EQUAL(log.nleaf, 3);
	CU_ASSERT_EQUAL(log.leaf_iova[2], x + SZ_4K);
	CU_ASSERT_EQUAL(log.leaf_size[2], SZ_4K);
	fx_destroy(&f);
}

/* ---- lookups racing with updates ---------------------------------------- */

struct race {
	struct uiommu_pgtable *pt;
	volatile int stop;
	uint64_t base;
	unsigned int nregions;
	uint64_t lookups, bad;
};

/* Stable pages: the first page of each 2M region, never unmapped. */
static void *
race_reader(void *arg)
{
	struct race *r = arg;
	struct uiommu_lpae_walk_cfg wc;
	unsigned int i = 0;

	uiommu_pgtable_lpae_walk_cfg(r->pt, &wc);
	while (!__atomic_load_n(&r->stop, __ATOMIC_ACQUIRE)) {
		uint64_t iova = r->base + (uint64_t)i * SZ_2M;
		struct uiommu_lpae_walk_result wr;
		struct uiommu_pt_leaf leaf;

		if (uiommu_pgtable_iova_to_phys(r->pt, iova + 0x10, &leaf) != 0 ||
		    leaf.oa != iova + 0x10)
			r->bad++;
		if (uiommu_lpae_walk(&wc, iova + 0x20, &wr) != 0 ||
		    wr.oa != iova + 0x20)
			r->bad++;
		__atomic_store_n(&r->lookups, r->lookups + 1, __ATOMIC_RELEASE);
		i = (i + 1) % r->nregions;
	}
	return NULL;
}

static void
test_pgtable_concurrent_lookup(void)
{
	struct race r = { .base = 0x100000000ULL, .nregions = 16 };
	unsigned long long seed = ut_seed();
	pthread_t th;
	uint64_t n;
	struct fx f;

	UT_ASSERT_FATAL(fx_create(&f, UIOMMU_PT_ARM_LPAE_S2_4K, 40, 40, 0) == 0);
	r.pt = f.pt;
	/* Identity maps; each region starts as one 2M block. */
	CU_ASSERT_EQUAL(uiommu_pgtable_map(f.pt, r.base, r.base,
					   r.nregions * SZ_2M, RW, &n), 0);
	UT_ASSERT_FATAL(pthread_create(&th, NULL, race_reader, &r) == 0);
	/* Start changing the table only once the reader runs. */
	while (__atomic_load_n(&r.lookups, __ATOMIC_ACQUIRE) == 0)
		sched_yield();
	for (unsigned int it = 0; it < 4000; it++) {
		unsigned int reg = (unsigned int)rnd(&seed, r.nregions);
		uint64_t start = r.base + reg * SZ_2M;
		uint64_t off = (1 + rnd(&seed, 511)) * SZ_4K;
		uint64_t len = (1 + rnd(&seed, (SZ_2M - off) / SZ_4K)) * SZ_4K;

		/* Split, punch, refill: the first page never changes. */
		CU_ASSERT_EQUAL(uiommu_pgtable_unmap(f.pt, start + off, len, &n), 0);
		CU_ASSERT_EQUAL(uiommu_pgtable_map(f.pt, start + off, start + off,
						   len, RW, &n), 0);
	}
	__atomic_store_n(&r.stop, 1, __ATOMIC_RELEASE);
	pthread_join(th, NULL);
	CU_ASSERT_EQUAL(r.bad, 0);
	CU_ASSERT_TRUE(r.lookups > 0);
	printf("concurrent lookups: %" PRIu64 "\n", r.lookups);
	fx_destroy(&f);
}

/* ---- fault injection ---------------------------------------------------- */

/*
 * One set-up sequence (create, map across tables, split a block); returns
 * the first error. Whatever fails, the table stays consistent: the
 * allocator's count equals the table's, mapped prefixes translate.
 */
static int
fail_sequence(struct pt_test_mem *m)
{
	struct uiommu_pgtable_cfg cfg = {
		.format = UIOMMU_PT_ARM_LPAE_S1_4K, .ias = 48, .oas = 48,
		.mem_ops = &pt_test_mem_ops, .mem_ctx = m,
	};
	struct uiommu_pgtable *pt;
	struct uiommu_pt_leaf leaf;
	uint64_t n = 0;
	int rc;

	rc = uiommu_pgtable_create(&cfg, &pt);
	if (rc != 0) {
		CU_ASSERT_EQUAL(m->in_use, 0);
		return rc;
	}
	rc = uiommu_pgtable_map(pt, SZ_1G - 2 * SZ_4K, 0, 4 * SZ_4K, RW, &n);
	CU_ASSERT_EQUAL(m->in_use, pt_tables(pt));
	if (n != 0)
		CU_ASSERT_EQUAL(uiommu_pgtable_iova_to_phys(pt, SZ_1G - 2 * SZ_4K +
							    n - SZ_4K, &leaf), 0);
	if (n != 4 * SZ_4K)
		CU_ASSERT_EQUAL(uiommu_pgtable_iova_to_phys(pt, SZ_1G - 2 * SZ_4K + n,
							    &leaf), -ENOENT);
	if (rc == 0) {
		rc = uiommu_pgtable_map(pt, 4 * SZ_1G, 0, SZ_1G, RW, &n);
		if (rc == 0) {
			rc = uiommu_pgtable_unmap(pt, 4 * SZ_1G + SZ_4K, SZ_4K, &n);
			CU_ASSERT_EQUAL(uiommu_pgtable_iova_to_phys(pt, 4 * SZ_1G,
								    &leaf), 0);
		}
		CU_ASSERT_EQUAL(m->in_use, pt_tables(pt));
	}
	uiommu_pgtable_destroy(pt);
	CU_ASSERT_EQUAL(m->in_use, 0);
	return rc;
}

static void
test_pgtable_fail_nth(void)
{
	struct pt_test_mem m;

	UT_ASSERT_FATAL(pt_test_mem_init(&m, RAM_BASE, RAM_SIZE) == 0);
#ifdef UIOMMU_FAULT_INJECTION
	for (uint64_t nth = 1; nth < 100; nth++) {
		int rc;

		uiommu_fail_nth_set(nth);
		rc = fail_sequence(&m);
		if (!uiommu_fail_fired()) {
			CU_ASSERT_EQUAL(rc, 0);
			break;
		}
		CU_ASSERT_EQUAL(rc, -ENOMEM);
	}
	uiommu_fail_nth_set(0);
#endif
	/* Without injection the sequence succeeds. */
	CU_ASSERT_EQUAL(fail_sequence(&m), 0);
	pt_test_mem_fini(&m);
}

static const struct ut_case cases[] = {
	UT_CASE(test_pgtable_create_errors),
	UT_CASE(test_pgtable_map_errors),
	UT_CASE(test_pgtable_map_overlap),
	UT_CASE(test_pgtable_descriptor_bits),
	UT_CASE(test_pgtable_geometry_regs),
	UT_CASE(test_pgtable_prot_default),
	UT_CASE(test_pgtable_map_best_pgsize),
	UT_CASE(test_pgtable_unmap_split_block),
	UT_CASE(test_pgtable_unmap_frees_tables),
	UT_CASE(test_pgtable_nomem),
	UT_CASE(test_pgtable_flush_ops),
	UT_CASE(test_pgtable_concurrent_lookup),
	UT_CASE(test_pgtable_fail_nth),
	UT_CASE(test_pgtable_matrix_random),
	UT_END
};

int
main(int argc, char **argv)
{
	return ut_main("pgtable", cases, argc, argv);
}
