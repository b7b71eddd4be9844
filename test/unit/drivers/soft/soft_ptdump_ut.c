/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Soft backend page-table dumps (soft_dump.c), driven through the ops:
 *  - the guest's stage-1 tables of a nested device, read through stage 2,
 *    equal lib/pgtable's own walk of the same guest table (random
 *    mappings of every leaf size), whole and paged with small limits;
 *  - hostile guest tables: a table pointer outside RAM and a table behind
 *    a stage-2 hole are reported as WALK_EABT faults (never read), cyclic
 *    tables stay within the read bound, and no dump records an event;
 *  - the states of a device without a usable table (abort, bypass, bad
 *    STE, bad CD, bad substream, S1DSS bypass);
 *  - the vIOMMU's stage 2: leaves cover exactly the guest RAM regions with
 *    the leaf sizes their host alignment allows, host addresses hidden;
 *    "s2=off" has no table (BYPASS) and its stage-1 dump reads guest RAM
 *    directly.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "soft_env.h"
#include "uiommu_cmd.h"
#include "uiommu_ut.h"

#define PT_RW (UIOMMU_PT_PROT_READ | UIOMMU_PT_PROT_WRITE)
#define VSID 0x42
#define ASID 9
#define MAXE 100000u

static uint8_t regs0[4096] __attribute__((aligned(4096)));

struct ent_list {
	struct uiommu_pt_dump_entry *e;
	unsigned int n;
};

static void
list_init(struct ent_list *l)
{
	l->e = calloc(MAXE, sizeof(*l->e));
	UT_ASSERT_FATAL(l->e != NULL);
	l->n = 0;
}

static int
collect(void *arg, const struct uiommu_pt_dump_entry *e)
{
	struct ent_list *l = arg;

	UT_ASSERT_FATAL(l->n < MAXE);
	l->e[l->n++] = *e;
	return 0;
}

/* Reference entries of a guest table from lib/pgtable's walk. */
static int
ref_visit(void *arg, const struct uiommu_pt_visit *v)
{
	struct ent_list *l = arg;
	struct uiommu_pt_dump_entry e = {
		.in = v->iova, .size = v->size, .out = v->oa, .pte = v->pte,
		.level = (uint8_t)v->level,
	};

	if (v->kind == UIOMMU_PT_VISIT_TABLE) {
		e.kind = UIOMMU_PT_DUMP_TABLE;
	} else {
		e.kind = v->level == 3 ? UIOMMU_PT_DUMP_PAGE :
					 UIOMMU_PT_DUMP_BLOCK;
		/* Device (unprivileged) view of the leaf. */
		if (!(v->prot & UIOMMU_PT_PROT_PRIV)) {
			e.prot = UIOMMU_PROT_READ;
			if (v->prot & UIOMMU_PT_PROT_WRITE)
				e.prot |= UIOMMU_PROT_WRITE;
		}
		e.attr = (uint8_t)((v->pte & UIOMMU_LPAE_PTE_ATTRINDX_MASK) >>
				   UIOMMU_LPAE_PTE_ATTRINDX_SHIFT);
	}
	UT_ASSERT_FATAL(l->n < MAXE);
	l->e[l->n++] = e;
	return 0;
}

static bool
ent_eq(const struct uiommu_pt_dump_entry *a,
       const struct uiommu_pt_dump_entry *b)
{
	return a->kind == b->kind && a->level == b->level && a->in == b->in &&
	       a->size == b->size && a->out == b->out && a->pte == b->pte &&
	       a->prot == b->prot && a->attr == b->attr &&
	       a->out_hidden == b->out_hidden;
}

static int
dump_s1(struct soft_env *e, void *dev, uint64_t first, uint64_t last,
	uint32_t max_e, uint32_t max_r, struct ent_list *l,
	struct uiommu_pt_dump_res *res)
{
	struct uiommu_pt_dump_req req = {
		.first = first, .last = last, .max_entries = max_e,
		.max_reads = max_r,
	};

	memset(res, 0, sizeof(*res));
	return e->ops->vdevice_pt_dump(dev, &req, collect, l, res);
}

static int
dump_s2(struct soft_env *e, uint64_t first, uint64_t last, uint32_t max_e,
	struct ent_list *l, struct uiommu_pt_dump_res *res)
{
	struct uiommu_pt_dump_req req = {
		.first = first, .last = last, .max_entries = max_e,
		.max_reads = UIOMMU_PT_DUMP_MAX_READS,
	};

	memset(res, 0, sizeof(*res));
	return e->ops->viommu_pt_dump(e->vi, &req, collect, l, res);
}

static unsigned int
events_now(struct soft_env *e)
{
	struct uiommu_event ev[8];
	uint64_t lost = 0;

	return (unsigned int)env_events(e, ev, 8, &lost);
}

struct dev_s1 {
	void *dev;
	struct uiommu_pgtable *pt;
	uint64_t cd;
};

static void
dev_s1_setup(struct soft_env *e, struct dev_s1 *d)
{
	d->dev = env_dev(e, "dma0", VSID, regs0);
	d->pt = env_s1_create(e);
	d->cd = env_galloc(e, 0, 64, 64);
	env_write_cd(e, d->cd, ASID, uiommu_pgtable_root(d->pt), false);
	CU_ASSERT_EQUAL(env_set_ste_s1(e, d->dev, d->cd, 0, 0), 0);
}

static void
dev_s1_teardown(struct soft_env *e, struct dev_s1 *d)
{
	e->ops->vdevice_free(d->dev);
	uiommu_pgtable_destroy(d->pt);
}

/* Random stage-1 mappings of every leaf size onto guest RAM. */
static void
random_s1(struct soft_env *e, struct uiommu_pgtable *pt,
	  unsigned long long *seed)
{
	static const uint64_t sz[] = { SZ_4K, SZ_2M, SZ_1G };

	for (unsigned int k = 0; k < 60; k++) {
		uint64_t s = sz[ut_rand(seed) % 3], cnt = 1 + ut_rand(seed) % 3;
		uint64_t iova = (ut_rand(seed) % ((1ULL << 40) / s - cnt)) * s;
		uint64_t gpa = ENV_RA_GPA + (s == SZ_1G ? 0 :
			(ut_rand(seed) % (ENV_RA_SIZE / s - cnt)) * s);
		uint32_t prot = UIOMMU_PT_PROT_READ |
				(k & 1 ? UIOMMU_PT_PROT_WRITE : 0) |
				(k % 5 == 0 ? UIOMMU_PT_PROT_PRIV : 0);

		if (s == SZ_1G)
			cnt = 1;
		uiommu_pgtable_map(pt, iova, gpa, s * cnt, prot, NULL);
	}
	RTE_SET_USED(e);
}

static void
test_s1_matches_guest_table(void)
{
	unsigned long long seed = ut_seed();
	struct uiommu_pt_dump_res res;
	struct ent_list got, ref, paged;
	struct soft_env e;
	struct dev_s1 d;
	uint64_t at = 0;

	UT_ASSERT_FATAL(env_init(&e, NULL) == 0);
	dev_s1_setup(&e, &d);
	random_s1(&e, d.pt, &seed);
	list_init(&got);
	list_init(&ref);
	list_init(&paged);
	CU_ASSERT_EQUAL(uiommu_pgtable_walk(d.pt, 0, UINT64_MAX, ref_visit,
					    &ref), 0);
	CU_ASSERT_TRUE(ref.n > 10);
	/* Whole: the largest read bound, paged only by the reads. */
	for (unsigned int calls = 0;; calls++) {
		UT_ASSERT_FATAL(calls < 100000);
		CU_ASSERT_EQUAL(dump_s1(&e, d.dev, at, UINT64_MAX, MAXE,
					UIOMMU_PT_DUMP_MAX_READS, &got, &res), 0);
		CU_ASSERT_EQUAL(res.state, UIOMMU_PT_DUMP_ST_TABLE);
		CU_ASSERT_EQUAL(res.stage, 1);
		CU_ASSERT_EQUAL(res.tag, ASID);
		CU_ASSERT_EQUAL(res.ttb, uiommu_pgtable_root(d.pt));
		CU_ASSERT_EQUAL(res.ias, 48);
		CU_ASSERT_EQUAL(res.start_level, 0);
		CU_ASSERT_TRUE(res.reads <= UIOMMU_PT_DUMP_MAX_READS);
		if (!res.more)
			break;
		CU_ASSERT_TRUE(res.read_limit);
		UT_ASSERT_FATAL(res.next > at);
		at = res.next;
	}
	/* Tables repeat where a page began inside them: drop repeats. */
	{
		unsigned int j = 0, w = 0;

		for (unsigned int i = 0; i < got.n; i++) {
			bool dup = false;

			for (unsigned int k = 0; k < w && !dup; k++)
				dup = got.e[i].kind == UIOMMU_PT_DUMP_TABLE &&
				      ent_eq(&got.e[k], &got.e[i]);
			if (!dup)
				got.e[w++] = got.e[i];
		}
		got.n = w;
		CU_ASSERT_EQUAL(got.n, ref.n);
		for (; j < RTE_MIN(got.n, ref.n); j++)
			if (!ent_eq(&got.e[j], &ref.e[j])) {
				printf("entry %u: got kind %u L%u 0x%" PRIx64
				       " out 0x%" PRIx64 " prot %u, ref kind %u L%u "
				       "0x%" PRIx64 " out 0x%" PRIx64 " prot %u\n",
				       j, got.e[j].kind, got.e[j].level,
				       got.e[j].in, got.e[j].out, got.e[j].prot,
				       ref.e[j].kind, ref.e[j].level, ref.e[j].in,
				       ref.e[j].out, ref.e[j].prot);
				CU_FAIL("stage-1 dump differs from the table");
				break;
			}
	}
	/* Paged by entries: every page within bounds, leaves each once. */
	at = 0;
	for (unsigned int calls = 0;; calls++) {
		uint32_t max_e = 4 + (uint32_t)(ut_rand(&seed) % 9);
		unsigned int before = paged.n;

		UT_ASSERT_FATAL(calls < 100000);
		CU_ASSERT_EQUAL(dump_s1(&e, d.dev, at, UINT64_MAX, max_e,
					UIOMMU_PT_DUMP_MAX_READS, &paged,
					&res), 0);
		CU_ASSERT_TRUE(paged.n - before <= max_e);
		CU_ASSERT_EQUAL(res.entries, paged.n - before);
		if (!res.more)
			break;
		UT_ASSERT_FATAL(res.next > at);
		at = res.next;
	}
	{
		unsigned int leaves_ref = 0, leaves_got = 0;

		for (unsigned int i = 0; i < ref.n; i++)
			leaves_ref += ref.e[i].kind != UIOMMU_PT_DUMP_TABLE;
		for (unsigned int i = 0; i < paged.n; i++)
			leaves_got += paged.e[i].kind != UIOMMU_PT_DUMP_TABLE;
		CU_ASSERT_EQUAL(leaves_got, leaves_ref);
	}
	/* A dump is an inspection: no event. */
	CU_ASSERT_EQUAL(events_now(&e), 0);
	free(got.e);
	free(ref.e);
	free(paged.e);
	dev_s1_teardown(&e, &d);
	env_fini(&e);
}

#define TBL(a) ((a) | UIOMMU_LPAE_PTE_TYPE_TABLE)
#define PAGE(a) ((a) | UIOMMU_LPAE_PTE_TYPE_PAGE | UIOMMU_LPAE_PTE_AF | \
		 UIOMMU_LPAE_PTE_AP_UNPRIV)

static void
test_s1_hostile(void)
{
	uint64_t root, l1, l2, l3, data, cd, *t0, *t1, *t2, *t3;
	const uint32_t no_read_c[3] = {
		UIOMMU_PROT_READ | UIOMMU_PROT_WRITE,
		UIOMMU_PROT_READ | UIOMMU_PROT_WRITE, UIOMMU_PROT_WRITE,
	};
	struct uiommu_pt_dump_res res;
	struct ent_list l;
	struct soft_env e;
	uint64_t gc;
	void *dev;

	UT_ASSERT_FATAL(env_init_prot(&e, NULL, no_read_c) == 0);
	e.table_region = 0;
	dev = env_dev(&e, "dma0", VSID, regs0);
	root = env_galloc(&e, 0, SZ_4K, SZ_4K);
	l1 = env_galloc(&e, 0, SZ_4K, SZ_4K);
	l2 = env_galloc(&e, 0, SZ_4K, SZ_4K);
	l3 = env_galloc(&e, 0, SZ_4K, SZ_4K);
	data = env_galloc(&e, 0, SZ_4K, SZ_4K);
	gc = env_galloc(&e, 2, SZ_4K, SZ_4K);   /* region C: no stage-2 read */
	cd = env_galloc(&e, 0, 64, 64);
	t0 = env_gptr(&e, root, SZ_4K);
	t1 = env_gptr(&e, l1, SZ_4K);
	t2 = env_gptr(&e, l2, SZ_4K);
	t3 = env_gptr(&e, l3, SZ_4K);
	env_write_cd(&e, cd, ASID, root, false);
	CU_ASSERT_EQUAL(env_set_ste_s1(&e, dev, cd, 0, 0), 0);
	list_init(&l);

	t0[0] = TBL(l1);
	t1[0] = TBL(l2);
	t2[0] = TBL(l3);
	t3[0] = PAGE(data);
	t0[1] = TBL(ENV_HOLE_GPA);       /* not guest RAM */
	t0[2] = TBL(gc);                 /* RAM, but no stage-2 read */
	CU_ASSERT_EQUAL(dump_s1(&e, dev, 0, UINT64_MAX, 1000,
				UIOMMU_PT_DUMP_MAX_READS, &l, &res), 0);
	CU_ASSERT_FALSE(res.more);
	UT_ASSERT_FATAL(l.n == 8);
	CU_ASSERT_EQUAL(l.e[3].kind, UIOMMU_PT_DUMP_PAGE);
	CU_ASSERT_EQUAL(l.e[3].out, data);
	CU_ASSERT_EQUAL(l.e[3].prot, UIOMMU_PROT_READ | UIOMMU_PROT_WRITE);
	for (unsigned int i = 0; i < 2; i++) {
		const struct uiommu_pt_dump_entry *t = &l.e[4 + 2 * i];
		const struct uiommu_pt_dump_entry *f = &l.e[5 + 2 * i];
		uint64_t span = 1ULL << 39, in = (uint64_t)(i + 1) << 39;

		CU_ASSERT_TRUE(t->kind == UIOMMU_PT_DUMP_TABLE &&
			       t->level == 0 && t->in == in);
		CU_ASSERT_TRUE(f->kind == UIOMMU_PT_DUMP_FAULT &&
			       f->fault == UIOMMU_PT_DUMP_F_WALK_EABT &&
			       f->level == 1 && f->in == in && f->size == span);
		CU_ASSERT_EQUAL(f->out, i == 0 ? ENV_HOLE_GPA : gc);
	}
	CU_ASSERT_EQUAL(events_now(&e), 0);

	/* Self-reference at every level: bounded by the reads. */
	for (unsigned int i = 0; i < 512; i++)
		t0[i] = TBL(root) | UIOMMU_LPAE_PTE_AF |
			UIOMMU_LPAE_PTE_AP_UNPRIV;
	for (uint32_t max_r = 4; max_r <= 64; max_r *= 2) {
		l.n = 0;
		CU_ASSERT_EQUAL(dump_s1(&e, dev, 0, UINT64_MAX, 1000, max_r,
					&l, &res), 0);
		CU_ASSERT_TRUE(res.more && res.read_limit);
		CU_ASSERT_TRUE(res.reads <= max_r);
		CU_ASSERT_TRUE(res.next > 0);
		CU_ASSERT_TRUE(l.n >= 1 && l.n <= 4 * max_r);
	}
	CU_ASSERT_EQUAL(events_now(&e), 0);
	free(l.e);
	e.ops->vdevice_free(dev);
	env_fini(&e);
}

static void
test_s1_states(void)
{
	struct uiommu_pt_dump_req req = {
		.first = 0, .last = UINT64_MAX, .max_entries = 16,
		.max_reads = 64,
	};
	struct uiommu_pt_dump_res res;
	struct ent_list l;
	struct soft_env e;
	struct dev_s1 d;
	uint64_t *cdw;

	UT_ASSERT_FATAL(env_init(&e, NULL) == 0);
	list_init(&l);
	d.dev = env_dev(&e, "dma0", VSID, regs0);
	/* Never configured: blocked. */
	CU_ASSERT_EQUAL(dump_s1(&e, d.dev, 0, UINT64_MAX, 16, 64, &l, &res), 0);
	CU_ASSERT_EQUAL(res.state, UIOMMU_PT_DUMP_ST_ABORT);
	CU_ASSERT_EQUAL(l.n, 0);
	CU_ASSERT_EQUAL(env_set_ste_cfg(&e, d.dev, UIOMMU_STE_CFG_BYPASS), 0);
	CU_ASSERT_EQUAL(dump_s1(&e, d.dev, 0, UINT64_MAX, 16, 64, &l, &res), 0);
	CU_ASSERT_EQUAL(res.state, UIOMMU_PT_DUMP_ST_BYPASS);
	CU_ASSERT_EQUAL(e.ops->vdevice_set_ste(d.dev,
		&(struct uiommu_ste_info){ .valid = 0 }), 0);
	CU_ASSERT_EQUAL(dump_s1(&e, d.dev, 0, UINT64_MAX, 16, 64, &l, &res), 0);
	CU_ASSERT_EQUAL(res.state, UIOMMU_PT_DUMP_ST_BAD_STE);
	e.ops->vdevice_free(d.dev);

	dev_s1_setup(&e, &d);
	env_s1_map(d.pt, 0x5000, ENV_RA_GPA, SZ_4K, PT_RW);
	CU_ASSERT_EQUAL(dump_s1(&e, d.dev, 0, UINT64_MAX, 16, 64, &l, &res), 0);
	CU_ASSERT_EQUAL(res.state, UIOMMU_PT_DUMP_ST_TABLE);
	CU_ASSERT_EQUAL(l.n, 4);
	/* A substream on a stream without substreams. */
	req.ssv = true;
	req.ssid = 1;
	CU_ASSERT_EQUAL(e.ops->vdevice_pt_dump(d.dev, &req, collect, &l, &res), 0);
	CU_ASSERT_EQUAL(res.state, UIOMMU_PT_DUMP_ST_FAULT);
	CU_ASSERT_EQUAL(res.event, UIOMMU_EVT_C_BAD_SUBSTREAMID);
	/* An invalid CD (V = 0) after CFGI: C_BAD_CD. */
	cdw = env_gptr(&e, d.cd, 64);
	cdw[0] = 0;
	CU_ASSERT_EQUAL(env_inv(&e, UIOMMU_CMD_CFGI_CD_ALL, 0, 0, 0, d.dev, 0),
			0);
	l.n = 0;
	CU_ASSERT_EQUAL(dump_s1(&e, d.dev, 0, UINT64_MAX, 16, 64, &l, &res), 0);
	CU_ASSERT_EQUAL(res.state, UIOMMU_PT_DUMP_ST_FAULT);
	CU_ASSERT_EQUAL(res.event, UIOMMU_EVT_C_BAD_CD);
	CU_ASSERT_EQUAL(l.n, 0);
	/* A CD table outside RAM: the CD fetch faults at stage 2. */
	CU_ASSERT_EQUAL(env_set_ste_s1(&e, d.dev, ENV_HOLE_GPA, 0, 0), 0);
	CU_ASSERT_EQUAL(dump_s1(&e, d.dev, 0, UINT64_MAX, 16, 64, &l, &res), 0);
	CU_ASSERT_EQUAL(res.state, UIOMMU_PT_DUMP_ST_FAULT);
	CU_ASSERT_EQUAL(res.event, UIOMMU_EVT_F_TRANSLATION);
	/* S1DSS bypass without a substream: stage 1 bypassed. */
	env_write_cd(&e, d.cd, ASID, uiommu_pgtable_root(d.pt), false);
	CU_ASSERT_EQUAL(env_set_ste_s1(&e, d.dev, d.cd, 2, 1), 0);
	CU_ASSERT_EQUAL(dump_s1(&e, d.dev, 0, UINT64_MAX, 16, 64, &l, &res), 0);
	CU_ASSERT_EQUAL(res.state, UIOMMU_PT_DUMP_ST_BYPASS);
	/* ...and substream 0 selects CD 0. */
	req.ssid = 0;
	l.n = 0;
	CU_ASSERT_EQUAL(e.ops->vdevice_pt_dump(d.dev, &req, collect, &l, &res), 0);
	CU_ASSERT_EQUAL(res.state, UIOMMU_PT_DUMP_ST_TABLE);
	CU_ASSERT_EQUAL(l.n, 4);
	/* Nothing was recorded by any of it. */
	CU_ASSERT_EQUAL(events_now(&e), 0);
	free(l.e);
	dev_s1_teardown(&e, &d);
	env_fini(&e);
}

/* The vIOMMU's stage 2: leaves exactly cover the RAM regions. */
static void
test_s2_dump(void)
{
	static const uint64_t leaf[ENV_NREGIONS] = { SZ_1G, SZ_2M, SZ_4K };
	struct uiommu_pt_dump_res res;
	struct ent_list l;
	struct soft_env e;
	uint64_t at = 0, covered[ENV_NREGIONS] = { 0 };
	unsigned int calls = 0;

	UT_ASSERT_FATAL(env_init(&e, NULL) == 0);
	list_init(&l);
	for (;;) {
		unsigned int before = l.n;

		UT_ASSERT_FATAL(calls++ < 10000);
		CU_ASSERT_EQUAL(dump_s2(&e, at, UINT64_MAX, 64, &l, &res), 0);
		CU_ASSERT_EQUAL(res.state, UIOMMU_PT_DUMP_ST_TABLE);
		CU_ASSERT_EQUAL(res.stage, 2);
		CU_ASSERT_EQUAL(res.tag, e.vmid);
		CU_ASSERT_TRUE(res.ttb_hidden && res.ttb == 0);
		CU_ASSERT_TRUE(l.n - before <= 64);
		if (!res.more)
			break;
		UT_ASSERT_FATAL(res.next > at);
		at = res.next;
	}
	CU_ASSERT_TRUE(calls > 1);
	for (unsigned int i = 0; i < l.n; i++) {
		const struct uiommu_pt_dump_entry *x = &l.e[i];

		CU_ASSERT_TRUE(x->out_hidden && x->out == 0);
		CU_ASSERT_EQUAL(x->pte & UIOMMU_LPAE_PTE_ADDR_MASK, 0);
		if (x->kind == UIOMMU_PT_DUMP_TABLE)
			continue;
		CU_ASSERT_EQUAL(x->prot, UIOMMU_PROT_READ | UIOMMU_PROT_WRITE);
		for (unsigned int r = 0; r < ENV_NREGIONS; r++)
			if (x->in >= e.gpa[r] && x->in < e.gpa[r] + e.size[r]) {
				CU_ASSERT_EQUAL(x->size, leaf[r]);
				covered[r] += x->size;
			}
	}
	/* Tables repeat at page starts; leaves appear once: exact cover. */
	for (unsigned int r = 0; r < ENV_NREGIONS; r++)
		CU_ASSERT_EQUAL(covered[r], e.size[r]);
	/* A range inside region B only: its 2 MiB leaves there. */
	l.n = 0;
	CU_ASSERT_EQUAL(dump_s2(&e, ENV_RB_GPA + SZ_2M + 5, ENV_RB_GPA + 3 * SZ_2M,
				64, &l, &res), 0);
	CU_ASSERT_FALSE(res.more);
	UT_ASSERT_FATAL(l.n >= 3);
	CU_ASSERT_EQUAL(l.e[l.n - 3].in, ENV_RB_GPA + SZ_2M);
	CU_ASSERT_EQUAL(l.e[l.n - 1].in, ENV_RB_GPA + 3 * SZ_2M);
	/* Beyond the input size: nothing. */
	l.n = 0;
	CU_ASSERT_EQUAL(dump_s2(&e, 1ULL << 48, UINT64_MAX, 64, &l, &res), 0);
	CU_ASSERT_TRUE(l.n == 0 && !res.more);
	free(l.e);
	env_fini(&e);
}

/* "s2=off": no stage-2 table; stage 1 reads guest RAM directly. */
static void
test_no_stage2(void)
{
	struct uiommu_pt_dump_res res;
	struct ent_list l;
	struct soft_env e;
	struct dev_s1 d;

	UT_ASSERT_FATAL(env_init(&e, "s2=off") == 0);
	list_init(&l);
	CU_ASSERT_EQUAL(dump_s2(&e, 0, UINT64_MAX, 64, &l, &res), 0);
	CU_ASSERT_EQUAL(res.state, UIOMMU_PT_DUMP_ST_BYPASS);
	CU_ASSERT_EQUAL(l.n, 0);
	dev_s1_setup(&e, &d);
	env_s1_map(d.pt, 0x40000000, ENV_RB_GPA, SZ_2M, PT_RW);
	CU_ASSERT_EQUAL(dump_s1(&e, d.dev, 0, UINT64_MAX, 16, 64, &l, &res), 0);
	CU_ASSERT_EQUAL(res.state, UIOMMU_PT_DUMP_ST_TABLE);
	UT_ASSERT_FATAL(l.n == 3);
	CU_ASSERT_EQUAL(l.e[2].kind, UIOMMU_PT_DUMP_BLOCK);
	CU_ASSERT_EQUAL(l.e[2].out, ENV_RB_GPA);
	CU_ASSERT_EQUAL(l.e[2].size, SZ_2M);
	free(l.e);
	dev_s1_teardown(&e, &d);
	env_fini(&e);
}

int
main(int argc, char **argv)
{
	static const struct ut_case cases[] = {
		UT_CASE(test_s1_matches_guest_table),
		UT_CASE(test_s1_hostile),
		UT_CASE(test_s1_states),
		UT_CASE(test_s2_dump),
		UT_CASE(test_no_stage2),
		UT_END
	};

	return ut_main("soft_ptdump", cases, argc, argv);
}
