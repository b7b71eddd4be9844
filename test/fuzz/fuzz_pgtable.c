/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fuzz target "pgtable": arbitrary sequences of map / unmap / lookup on a
 * managed AArch64 LPAE table (lib/pgtable), stage 1 or stage 2, checked
 * against a naive model: a list of mapped ranges [iova, last] -> oa, prot.
 *
 * Table memory is the unit tests' fake guest RAM (pt_test_mem), whose
 * allocator can be told to fail the Nth allocation, so out-of-memory in
 * the middle of a map or of a block split is fuzzed too.
 *
 * Invariants:
 *  - map() returns the errno its arguments call for (alignment, size 0,
 *    wrap, beyond IAS/OAS, bad prot, overlap); on success the range is
 *    mapped; on -EEXIST exactly the pages before *mapped were mapped and
 *    the first page after them was already mapped; on -ENOMEM exactly
 *    [iova, iova + *mapped) was mapped;
 *  - unmap() removes exactly what was mapped in the range and reports its
 *    byte count; on -ENOMEM (a block split without memory) the block stays;
 *  - a full walk visits leaves of 4 KiB / 2 MiB / 1 GiB, each lying inside
 *    one mapped range with the linear output address and the permissions
 *    mapped, and their sizes add up to the model's; iova_to_phys() agrees
 *    with the model at sampled addresses;
 *  - tables never leak: after unmapping everything only the top table is
 *    left, and destroy returns every page.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <rte_common.h>

#include "fuzz.h"
#include "pt_test_mem.h"
#include "uiommu_pgtable.h"

#define SZ_4K (1ULL << 12)
#define SZ_2M (1ULL << 21)
#define SZ_1G (1ULL << 30)
#define MAX_RANGES 1024
#define MEM_BASE 0x80000000ULL
#define MEM_SIZE (8ULL << 20)

struct range {
	uint64_t iova, last, oa;
	uint32_t prot;
};

struct model {
	struct range r[MAX_RANGES];
	unsigned int n;
	unsigned int ias, oas;
	bool s2;
};

static struct pt_test_mem mem;

static bool
overlaps(uint64_t a, uint64_t b, uint64_t c, uint64_t d)
{
	return a <= d && c <= b;
}

/* Model: the range holding iova, or NULL. */
static const struct range *
m_find(const struct model *m, uint64_t iova)
{
	for (unsigned int i = 0; i < m->n; i++)
		if (iova >= m->r[i].iova && iova <= m->r[i].last)
			return &m->r[i];
	return NULL;
}

static void
m_add(struct model *m, uint64_t iova, uint64_t last, uint64_t oa, uint32_t prot)
{
	FZ_CHECK(m->n < MAX_RANGES);
	m->r[m->n++] = (struct range){ iova, last, oa, prot };
}

/* Remove [a, b] from the model; @return bytes removed. */
static uint64_t
m_remove(struct model *m, uint64_t a, uint64_t b)
{
	uint64_t bytes = 0;

	for (unsigned int i = 0; i < m->n; i++) {
		struct range x = m->r[i];

		if (!overlaps(a, b, x.iova, x.last))
			continue;
		bytes += RTE_MIN(b, x.last) - RTE_MAX(a, x.iova) + 1;
		m->r[i] = m->r[--m->n];
		if (x.iova < a)
			m_add(m, x.iova, a - 1, x.oa, x.prot);
		if (x.last > b)
			m_add(m, b + 1, x.last, x.oa + (b + 1 - x.iova), x.prot);
		i = (unsigned int)-1;   /* restart: the array changed */
	}
	return bytes;
}

static uint64_t
m_total(const struct model *m)
{
	uint64_t t = 0;

	for (unsigned int i = 0; i < m->n; i++)
		t += m->r[i].last - m->r[i].iova + 1;
	return t;
}

/* ---- walk check ------------------------------------------------------- */

struct walk_ctx {
	const struct model *m;
	uint64_t bytes;
	const struct range *hint;   /* leaves come in address order */
};

static uint32_t
prot_seen(const struct model *m, uint32_t prot)
{
	/* Stage 1 is always readable; stage 2 says both. */
	return m->s2 ? prot & (UIOMMU_PT_PROT_READ | UIOMMU_PT_PROT_WRITE) :
		       prot & UIOMMU_PT_PROT_WRITE;
}

static int
visit(void *arg, const struct uiommu_pt_visit *v)
{
	struct walk_ctx *w = arg;
	const struct range *r;

	if (v->kind != UIOMMU_PT_VISIT_LEAF)
		return 0;
	FZ_CHECK(v->size == SZ_4K || v->size == SZ_2M || v->size == SZ_1G);
	FZ_CHECK((v->iova & (v->size - 1)) == 0 && (v->oa & (v->size - 1)) == 0);
	/* The leaf is covered by model ranges (one, or several after a
	 * failed split), each with the leaf's linear output and permissions. */
	for (uint64_t pos = v->iova, end = v->iova + v->size - 1;;) {
		r = w->hint != NULL && pos >= w->hint->iova &&
		    pos <= w->hint->last ? w->hint : m_find(w->m, pos);
		w->hint = r;
		FZ_CHECKF(r != NULL, "leaf %#lx+%#lx: %#lx not in the model",
			  (unsigned long)v->iova, (unsigned long)v->size,
			  (unsigned long)pos);
		FZ_CHECK(v->oa + (pos - v->iova) == r->oa + (pos - r->iova));
		FZ_CHECK(prot_seen(w->m, v->prot) == prot_seen(w->m, r->prot));
		if (r->last >= end)
			break;
		pos = r->last + 1;
	}
	w->bytes += v->size;
	return 0;
}

static void
check_all(struct uiommu_pgtable *pt, const struct model *m, struct fz *f)
{
	struct walk_ctx w = { m, 0, NULL };
	const uint64_t top = m->ias == 64 ? UINT64_MAX : (1ULL << m->ias) - 1;

	FZ_CHECK(uiommu_pgtable_walk(pt, 0, top, visit, &w) == 0);
	FZ_CHECKF(w.bytes == m_total(m), "walk %#lx bytes, model %#lx",
		  (unsigned long)w.bytes, (unsigned long)m_total(m));
	for (unsigned int k = 0; k < 4; k++) {
		const struct range *r = m->n > 0 ? &m->r[fz_below(f, m->n)] : NULL;
		uint64_t iova = r != NULL && fz_chance(f, 200) ?
				r->iova + fz_u64(f) % (r->last - r->iova + 1) :
				fz_u64(f) & top;
		const struct range *x = m_find(m, iova);
		struct uiommu_pt_leaf leaf;
		int rc = uiommu_pgtable_iova_to_phys(pt, iova, &leaf);

		if (x == NULL) {
			FZ_CHECK(rc == -ENOENT);
		} else {
			FZ_CHECK(rc == 0 && leaf.oa == x->oa + (iova - x->iova));
		}
	}
}

/* ---- operations ------------------------------------------------------- */

static uint64_t
gen_size(struct fz *f)
{
	switch (fz_below(f, 8)) {
	case 0: return SZ_2M * (1 + fz_below(f, 4));
	case 1: return SZ_1G;
	case 2: return fz_rare(f, 64) ? fz_u64(f) : SZ_4K * fz_below(f, 3);
	default: return SZ_4K * (1 + fz_below(f, 600));
	}
}

static uint64_t
gen_addr(struct fz *f, unsigned int bits)
{
	const uint64_t top = bits >= 64 ? UINT64_MAX : (1ULL << bits) - 1;

	switch (fz_below(f, 8)) {
	case 0: return SZ_1G * fz_below(f, 4);
	case 1: return top - SZ_2M * fz_below(f, 4) + 1 - SZ_2M;
	case 2: return fz_rare(f, 64) ? fz_u64(f) : (fz_u64(f) & top & ~0xfffULL);
	default: return SZ_2M * fz_below(f, 8) + SZ_4K * fz_below(f, 1024);
	}
}

static void
op_map(struct uiommu_pgtable *pt, struct model *m, struct fz *f)
{
	const uint64_t iova = gen_addr(f, m->ias), oa = gen_addr(f, m->oas);
	const uint64_t size = gen_size(f);
	uint32_t prot = fz_rare(f, 16) ? fz_u8(f) :
			(UIOMMU_PT_PROT_READ | (fz_u8(f) & 1 ? UIOMMU_PT_PROT_WRITE : 0));
	bool e_inval = false, e_ovf = false, e_range = false, e_exist = false,
	     e_notsup = false;
	uint64_t last = 0, olast = 0, mapped = ~0ULL;
	int rc;

	if (fz_rare(f, 8))
		mem.fail_at = mem.allocs + 1 + fz_below(f, 4);
	if ((iova | oa | size) & 0xfff || size == 0)
		e_inval = true;
	if (prot & ~UIOMMU_PT_PROT_ALL)
		e_notsup = true;
	if (!(prot & (UIOMMU_PT_PROT_READ | UIOMMU_PT_PROT_WRITE)) ||
	    ((prot & UIOMMU_PT_PROT_CACHE) && (prot & UIOMMU_PT_PROT_MMIO)) ||
	    ((prot & UIOMMU_PT_PROT_EXEC) && (prot & UIOMMU_PT_PROT_NOEXEC)))
		e_inval = true;
	if (size == 0 || __builtin_add_overflow(iova, size - 1, &last) ||
	    __builtin_add_overflow(oa, size - 1, &olast))
		e_ovf = true;
	if (!e_ovf && ((m->ias < 64 && last >> m->ias) ||
		       (m->oas < 64 && olast >> m->oas)))
		e_range = true;
	for (unsigned int i = 0; !e_ovf && i < m->n; i++)
		e_exist |= overlaps(iova, last, m->r[i].iova, m->r[i].last);
	rc = uiommu_pgtable_map(pt, iova, oa, size, prot, &mapped);
	if (getenv("UIOMMU_FUZZ_TRACE") != NULL)
		fprintf(stderr, "map(%#lx, %#lx, %#lx, %#x) fail_at %lu: %d mapped %#lx\n",
			(unsigned long)iova, (unsigned long)oa, (unsigned long)size,
			prot, (unsigned long)mem.fail_at, rc, (unsigned long)mapped);
	mem.fail_at = 0;
	if (rc == 0) {
		FZ_CHECK(!e_inval && !e_ovf && !e_range && !e_exist && !e_notsup);
		m_add(m, iova, last, oa, prot);
		fz_stat("pgtable: map");
		return;
	}
	FZ_CHECK((!e_inval && !e_ovf && !e_range && !e_notsup) ||
		 (rc != -ENOMEM && rc != -EEXIST));
	if (rc == -ENOMEM) {
		/* [iova, iova + mapped) is mapped, nothing else. */
		FZ_CHECK(mapped < size && (mapped & 0xfff) == 0);
		for (unsigned int i = 0; mapped > 0 && i < m->n; i++)
			FZ_CHECK(!overlaps(iova, iova + mapped - 1, m->r[i].iova,
					   m->r[i].last));
		if (mapped > 0)
			m_add(m, iova, iova + mapped - 1, oa, prot);
		fz_stat("pgtable: map out of memory");
		return;
	}
	fz_stat("pgtable: map refused");
	if (rc == -EEXIST) {
		const struct range *x;

		FZ_CHECK(e_exist && mapped < size && (mapped & 0xfff) == 0);
		/* The first page at *mapped was mapped before; none before it. */
		x = m_find(m, iova + mapped);
		FZ_CHECK(x != NULL);
		for (unsigned int i = 0; i < m->n; i++)
			FZ_CHECK(mapped == 0 || !overlaps(iova, iova + mapped - 1,
							  m->r[i].iova, m->r[i].last));
		if (mapped > 0)
			m_add(m, iova, iova + mapped - 1, oa, prot);
		return;
	}
	FZ_CHECKF((rc == -EINVAL && e_inval) || (rc == -EOVERFLOW && e_ovf) ||
		  (rc == -ERANGE && e_range) || (rc == -EOPNOTSUPP && e_notsup),
		  "map(%#lx, %#lx, %#lx, %#x): %d", (unsigned long)iova,
		  (unsigned long)oa, (unsigned long)size, prot, rc);
}

/* Leaves found in [first, last] after a failed unmap. */
struct resync_ctx {
	struct range r[MAX_RANGES];
	uint32_t prot[MAX_RANGES];   /* decoded prot of the leaves */
	unsigned int n;
	uint64_t first, last;
};

static int
resync_visit(void *arg, const struct uiommu_pt_visit *v)
{
	struct resync_ctx *c = arg;
	uint64_t a, b;

	if (v->kind != UIOMMU_PT_VISIT_LEAF)
		return 0;
	a = RTE_MAX(v->iova, c->first);
	b = RTE_MIN(v->iova + v->size - 1, c->last);
	/* Leaves come in address order: coalesce contiguous ones. */
	if (c->n > 0 && c->r[c->n - 1].last + 1 == a &&
	    c->r[c->n - 1].oa + (a - c->r[c->n - 1].iova) ==
	    v->oa + (a - v->iova) && c->prot[c->n - 1] == v->prot) {
		c->r[c->n - 1].last = b;
		return 0;
	}
	FZ_CHECK(c->n < MAX_RANGES);
	c->prot[c->n] = v->prot;
	c->r[c->n++] = (struct range){ a, b, v->oa + (a - v->iova), 0 };
	return 0;
}

/*
 * After unmap() failed with -ENOMEM (a block it had to split stayed
 * whole): what is still mapped in [first, last] must be a subset of what
 * was, at the same addresses, and the bytes gone are the bytes reported.
 */
static void
resync(struct uiommu_pgtable *pt, struct model *m, uint64_t first,
       uint64_t last, uint64_t unmapped)
{
	static struct resync_ctx c;
	uint64_t before = 0, after = 0;

	c.n = 0;
	c.first = first;
	c.last = last;
	FZ_CHECK(uiommu_pgtable_walk(pt, first, last, resync_visit, &c) == 0);
	for (unsigned int i = 0; i < c.n; i++) {
		/* Still mapped: was mapped, at the same output. */
		for (uint64_t pos = c.r[i].iova;;) {
			const struct range *x = m_find(m, pos);

			FZ_CHECK(x != NULL &&
				 c.r[i].oa + (pos - c.r[i].iova) ==
				 x->oa + (pos - x->iova));
			if (pos == c.r[i].iova)
				c.r[i].prot = x->prot;
			if (x->last >= c.r[i].last)
				break;
			pos = x->last + 1;
		}
		after += c.r[i].last - c.r[i].iova + 1;
	}
	before = m_remove(m, first, last);
	FZ_CHECKF(before - after == unmapped, "unmap -ENOMEM: %#lx gone, "
		  "%#lx reported", (unsigned long)(before - after),
		  (unsigned long)unmapped);
	for (unsigned int i = 0; i < c.n; i++)
		m_add(m, c.r[i].iova, c.r[i].last, c.r[i].oa, c.r[i].prot);
}

static void
op_unmap(struct uiommu_pgtable *pt, struct model *m, struct fz *f)
{
	const struct range *r = m->n > 0 ? &m->r[fz_below(f, m->n)] : NULL;
	uint64_t iova, size, last, unmapped = ~0ULL;
	bool bad = false;
	int rc;

	if (r != NULL && fz_chance(f, 160)) {
		/* Part of a mapped range, often cutting a block. */
		uint64_t len = r->last - r->iova + 1;
		uint64_t off = (fz_u64(f) % len) & ~0xfffULL;

		iova = r->iova + off;
		size = (1 + fz_u64(f) % ((len - off) >> 12)) << 12;
	} else {
		iova = gen_addr(f, m->ias);
		size = gen_size(f);
	}
	if (fz_rare(f, 16))
		mem.fail_at = mem.allocs + 1;
	if ((iova | size) & 0xfff || size == 0 ||
	    __builtin_add_overflow(iova, size - 1, &last) ||
	    (m->ias < 64 && last >> m->ias))
		bad = true;
	rc = uiommu_pgtable_unmap(pt, iova, size, &unmapped);
	if (getenv("UIOMMU_FUZZ_TRACE") != NULL)
		fprintf(stderr, "unmap(%#lx, %#lx) fail_at %lu: %d unmapped %#lx\n",
			(unsigned long)iova, (unsigned long)size,
			(unsigned long)mem.fail_at, rc, (unsigned long)unmapped);
	mem.fail_at = 0;
	if (bad) {
		FZ_CHECKF(rc == -EINVAL || rc == -EOVERFLOW || rc == -ERANGE,
			  "unmap(%#lx, %#lx): %d", (unsigned long)iova,
			  (unsigned long)size, rc);
		fz_stat("pgtable: unmap refused");
		return;
	}
	if (rc == -ENOMEM) {
		/* What was removed before the failed split is reported. */
		FZ_CHECK((unmapped & 0xfff) == 0);
		fz_stat("pgtable: unmap out of memory");
		resync(pt, m, iova, last, unmapped);
		return;
	}
	FZ_CHECKF(rc == 0, "unmap(%#lx, %#lx): %d", (unsigned long)iova,
		  (unsigned long)size, rc);
	FZ_CHECKF(unmapped == m_remove(m, iova, last),
		  "unmapped %#lx", (unsigned long)unmapped);
	fz_stat("pgtable: unmap");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool init;
	struct uiommu_pgtable_cfg cfg;
	struct uiommu_pgtable *pt = NULL;
	static struct model m;
	struct fz f;
	unsigned int nops = 0, nchecks = 0;

	if (!init) {
		fz_quiet();
		FZ_CHECK(pt_test_mem_init(&mem, MEM_BASE, MEM_SIZE) == 0);
		init = true;
	}
	fz_init(&f, data, size);
	memset(&m, 0, sizeof(m));
	m.s2 = fz_u8(&f) & 1;
	m.ias = 25 + fz_below(&f, 24);
	m.oas = 32 + fz_below(&f, 17);
	cfg = (struct uiommu_pgtable_cfg){
		.format = m.s2 ? UIOMMU_PT_ARM_LPAE_S2_4K : UIOMMU_PT_ARM_LPAE_S1_4K,
		.ias = m.ias, .oas = m.oas,
		.pgsize_bitmap = fz_chance(&f, 200) ? 0 :
			UIOMMU_PT_PGSIZE_4K | (fz_u8(&f) & 1 ? UIOMMU_PT_PGSIZE_2M : 0),
		.mem_ops = &pt_test_mem_ops, .mem_ctx = &mem,
	};
	if (uiommu_pgtable_create(&cfg, &pt) != 0)
		return 0;       /* e.g. the top table above oas: refused, fine */
	while (!fz_empty(&f) && nops++ < 48) {
		switch (fz_below(&f, 4)) {
		case 0: case 1:
			op_map(pt, &m, &f);
			break;
		case 2:
			op_unmap(pt, &m, &f);
			break;
		default:
			if (nchecks++ < 4)
				check_all(pt, &m, &f);
			break;
		}
	}
	check_all(pt, &m, &f);
	/* Unmap everything: only the top table is left. */
	{
		const uint64_t top = (1ULL << m.ias) - 1;
		uint64_t unmapped = 0;
		struct uiommu_pgtable_info info;

		FZ_CHECK(uiommu_pgtable_unmap(pt, 0, top + 1, &unmapped) == 0);
		FZ_CHECK(unmapped == m_total(&m));
		uiommu_pgtable_info_get(pt, &info);
		FZ_CHECKF(info.tables == 1, "%lu tables left",
			  (unsigned long)info.tables);
	}
	uiommu_pgtable_destroy(pt);
	FZ_CHECKF(mem.in_use == 0, "%lu table allocations leaked",
		  (unsigned long)mem.in_use);
	return 0;
}
