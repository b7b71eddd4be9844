/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fuzz target "walk": the hostile AArch64 LPAE walker of lib/pgtable
 * (uiommu_lpae_walk) over arbitrary table memory and configurations, alone
 * (stage 1 or stage 2) and nested (every stage-1 table address translated
 * by a stage-2 walk, then the output, as the soft backend does).
 *
 * Memory is 32 pages of "physical" space at address 0 (so small table
 * pointers land in it); the input writes descriptors into it — raw 64-bit
 * values, or table / block / page / invalid descriptors pointing at other
 * pages with random attribute bits — and picks the walk configuration
 * (stage, IAS or T0SZ, granule, SL0, OAS, TTB) and the addresses walked.
 *
 * Invariants:
 *  - bounded work: at most 4 descriptor reads per walk, and at most 24 for
 *    a nested translation (4 stage-1 reads, each behind a stage-2 walk of
 *    at most 4, then the final stage-2 walk); counted in read_pte();
 *  - every read is 8-byte aligned, inside one 4 KiB page, and goes only
 *    through read_pte() (the space is the only memory reachable);
 *  - result consistency: 0 exactly when fault == NONE; -EFAULT with a
 *    translation, address-size, access or external-abort fault; -EINVAL or
 *    -EOPNOTSUPP exactly when the configuration is refused (as
 *    uiommu_lpae_walk_geometry() says) and then nothing was read;
 *    nreads and ptes[] are what read_pte() returned, in order;
 *  - a translation is a 4 KiB, 2 MiB or 1 GiB leaf, aligned, whose output
 *    fits the output size, with oa = leaf_oa + offset in the leaf;
 *  - walking is a pure function: the same walk twice gives the same result.
 */
#include <errno.h>
#include <string.h>

#include <rte_common.h>

#include "fuzz.h"
#include "uiommu_lpae.h"

#define NPAGES 32u
#define SPACE  (NPAGES * 4096ULL)

struct space {
	uint64_t mem[NPAGES * 512];
	unsigned int reads;       /* read_pte() calls since reset */
	unsigned int limit;       /* most reads allowed */
	uint64_t log[32];         /* values returned, in order */
	/* nested: stage-1 reads go through this stage-2 walk */
	const struct uiommu_lpae_walk_cfg *s2;
	unsigned int s2_walks;
};

static struct space sp;

static int
read_pte(void *ctx, uint64_t table_addr, uint64_t off, uint64_t *pte)
{
	struct space *s = ctx;
	unsigned int idx;
	uint64_t a;

	FZ_CHECK((off & 7) == 0 && off < 4096);
	FZ_CHECKF((table_addr & 0xfff) + off < 4096,
		  "read crosses a page: table %#lx + %#lx",
		  (unsigned long)table_addr, (unsigned long)off);
	idx = s->reads++;
	FZ_CHECKF(s->reads <= s->limit, "%u reads, bound %u", s->reads,
		  s->limit);
	a = table_addr + off;
	if (s->s2 != NULL) {
		/* Nested: the table address is an IPA. */
		struct uiommu_lpae_walk_result r2;
		const struct uiommu_lpae_walk_cfg *s2 = s->s2;
		unsigned int before = s->reads;

		s->s2 = NULL;      /* stage-2 tables are read directly */
		s->s2_walks++;
		if (uiommu_lpae_walk(s2, a, &r2) != 0) {
			s->s2 = s2;
			return -EFAULT;
		}
		FZ_CHECK(s->reads - before <= UIOMMU_LPAE_MAX_LEVELS);
		s->s2 = s2;
		a = r2.oa;
	}
	if (a >= SPACE || (a & 7))
		return -EFAULT;
	*pte = __atomic_load_n(&s->mem[a / 8], __ATOMIC_ACQUIRE);
	if (idx < RTE_DIM(s->log))
		s->log[idx] = *pte;
	return 0;
}

/* Descriptor builders: the shapes a table can hold, with noise. */
static uint64_t
gen_desc(struct fz *f)
{
	const uint64_t page = fz_below(f, NPAGES + 2) * 4096ULL;
	uint64_t attrs = fz_u16(f);
	uint64_t hi = (uint64_t)fz_u8(f) << 51;       /* DBM..NSTable */

	switch (fz_below(f, 6)) {
	case 0:
		return fz_u64(f);                       /* anything */
	case 1:                                         /* table */
		return page | 3 | (hi & ~(1ULL << 52));
	case 2:                                         /* page (L3) */
		return page | 3 | (attrs & 0xffc) | hi;
	case 3:                                         /* block */
		return (fz_chance(f, 128) ? page & ~0x1fffffULL : page) | 1 |
		       (attrs & 0xffc) | hi;
	case 4:                                         /* invalid */
		return page & ~1ULL;
	default:                                        /* AF set, RW, S2 */
		return page | 3 | (1ULL << 10) | (3ULL << 6);
	}
}

static void
gen_cfg(struct fz *f, struct uiommu_lpae_walk_cfg *c, unsigned int stage)
{
	memset(c, 0, sizeof(*c));
	c->stage = fz_chance(f, 8) ? fz_below(f, 4) : stage;
	if (fz_chance(f, 128)) {
		c->ias = fz_chance(f, 220) ? 25 + fz_below(f, 24) : fz_below(f, 64);
	} else {
		c->ias = 0;
		c->t0sz = fz_chance(f, 220) ? 16 + fz_below(f, 24) : fz_below(f, 70);
	}
	c->tg = fz_chance(f, 16) ? fz_below(f, 4) : UIOMMU_LPAE_TG0_4K;
	c->sl0 = fz_chance(f, 128) ? UIOMMU_LPAE_SL0_AUTO :
				     (int)fz_below(f, 5) - 1;
	c->oas = fz_chance(f, 200) ? (unsigned int[]){ 32, 36, 40, 42, 44, 48,
						       52 }[fz_below(f, 7)] :
				     fz_below(f, 64);
	c->ttb = fz_chance(f, 200) ? fz_below(f, NPAGES) * 4096ULL +
				     (fz_chance(f, 32) ? 64ULL * fz_below(f, 64) : 0) :
				     fz_u64(f);
	c->read_pte = read_pte;
	c->ctx = &sp;
}

static uint64_t
gen_iova(struct fz *f)
{
	if (fz_chance(f, 64))
		return fz_u64(f);
	return ((uint64_t)fz_below(f, 512) << 39) |
	       ((uint64_t)fz_below(f, 512) << 30) |
	       ((uint64_t)fz_below(f, 512) << 21) |
	       ((uint64_t)fz_below(f, 512) << 12) | fz_below(f, 4096);
}

static unsigned int
eff_oas(unsigned int oas)
{
	return oas > 48 ? 48 : oas;
}

/* Check one result against the reads that produced it. */
static void
check_result(const struct uiommu_lpae_walk_cfg *c, uint64_t iova, int rc,
	     const struct uiommu_lpae_walk_result *r, unsigned int reads,
	     bool nested)
{
	unsigned int start, concat, ias;
	int grc = uiommu_lpae_walk_geometry(c, &start, &concat, &ias);

	FZ_CHECK(r->iova == iova);
	fz_stat(grc != 0 ? "walk: configuration refused" :
		rc == 0 ? (nested ? "walk: nested translation" : "walk: translation") :
		r->fault == UIOMMU_LPAE_FAULT_TRANSLATION ? "walk: translation fault" :
		r->fault == UIOMMU_LPAE_FAULT_ADDR_SIZE ? "walk: address size fault" :
		r->fault == UIOMMU_LPAE_FAULT_ACCESS ? "walk: access flag fault" :
		"walk: external abort (unreadable table)");
	if (grc != 0) {
		FZ_CHECKF(rc == grc, "geometry %d walk %d", grc, rc);
		FZ_CHECK(r->fault == UIOMMU_LPAE_FAULT_CONFIG);
		FZ_CHECK(reads == 0);
		return;
	}
	FZ_CHECK(start <= 3 && concat >= 1 && concat <= UIOMMU_LPAE_MAX_CONCAT);
	FZ_CHECK(r->nreads <= UIOMMU_LPAE_MAX_LEVELS);
	if (!nested) {
		FZ_CHECK(reads == r->nreads || (rc == -EFAULT &&
			 r->fault == UIOMMU_LPAE_FAULT_WALK_EABT &&
			 reads == r->nreads + 1));
		for (unsigned int i = 0; i < r->nreads; i++)
			FZ_CHECK(r->ptes[i] == sp.log[i]);
	}
	switch (rc) {
	case 0:
		FZ_CHECK(r->fault == UIOMMU_LPAE_FAULT_NONE);
		FZ_CHECK(r->leaf_size == (1ULL << 12) ||
			 r->leaf_size == (1ULL << 21) ||
			 r->leaf_size == (1ULL << 30));
		FZ_CHECK((r->leaf_oa & (r->leaf_size - 1)) == 0);
		FZ_CHECK(r->oa == r->leaf_oa + (iova & (r->leaf_size - 1)));
		FZ_CHECK(r->leaf_oa + r->leaf_size - 1 <
			 (1ULL << eff_oas(c->oas)));
		FZ_CHECK(r->level >= (int)start && r->level <= 3);
		FZ_CHECK(ias == 64 || (iova >> ias) == 0);
		FZ_CHECK(r->nreads >= 1 && r->nreads == (unsigned int)
			 (r->level - (int)start + 1));
		FZ_CHECK(r->pte == r->ptes[r->nreads - 1]);
		break;
	case -EFAULT:
		FZ_CHECK(r->fault == UIOMMU_LPAE_FAULT_TRANSLATION ||
			 r->fault == UIOMMU_LPAE_FAULT_ADDR_SIZE ||
			 r->fault == UIOMMU_LPAE_FAULT_ACCESS ||
			 r->fault == UIOMMU_LPAE_FAULT_WALK_EABT);
		if (r->fault == UIOMMU_LPAE_FAULT_WALK_EABT)
			FZ_CHECK(r->eabt_errno < 0);
		FZ_CHECK(uiommu_lpae_fault_str(r->fault) != NULL);
		break;
	default:
		FZ_CHECKF(false, "walk returned %d with a valid geometry", rc);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct uiommu_lpae_walk_cfg c1, c2;
	unsigned int mode, nrec;
	struct fz f;

	fz_init(&f, data, size);
	memset(sp.mem, 0, sizeof(sp.mem));
	mode = fz_below(&f, 3);          /* 0: S1, 1: S2, 2: nested */
	gen_cfg(&f, &c1, mode == 1 ? 2 : 1);
	gen_cfg(&f, &c2, 2);
	nrec = fz_below(&f, 256);
	for (unsigned int i = 0; i < nrec && !fz_empty(&f); i++) {
		unsigned int page = fz_below(&f, NPAGES);
		unsigned int idx = fz_below(&f, 512);

		sp.mem[page * 512 + idx] = gen_desc(&f);
	}
	while (!fz_empty(&f)) {
		struct uiommu_lpae_walk_result r, again;
		uint64_t iova = gen_iova(&f);
		unsigned int reads;
		int rc, rc2;

		sp.reads = 0;
		sp.s2_walks = 0;
		if (mode == 2) {
			/* Stage 1 with every table fetch through stage 2. */
			sp.limit = UIOMMU_LPAE_MAX_LEVELS *
				   (UIOMMU_LPAE_MAX_LEVELS + 1);
			sp.s2 = &c2;
			rc = uiommu_lpae_walk(&c1, iova, &r);
			sp.s2 = NULL;
			reads = sp.reads;
			FZ_CHECK(sp.s2_walks <= UIOMMU_LPAE_MAX_LEVELS);
			check_result(&c1, iova, rc, &r, reads, true);
			if (rc == 0) {
				/* The final stage-2 translation of the IPA. */
				struct uiommu_lpae_walk_result r2;

				sp.limit = reads + UIOMMU_LPAE_MAX_LEVELS;
				(void)uiommu_lpae_walk(&c2, r.oa, &r2);
				FZ_CHECK(sp.reads <= 24);
			}
			continue;
		}
		sp.limit = UIOMMU_LPAE_MAX_LEVELS;
		sp.s2 = NULL;
		rc = uiommu_lpae_walk(&c1, iova, &r);
		reads = sp.reads;
		check_result(&c1, iova, rc, &r, reads, false);
		sp.reads = 0;
		rc2 = uiommu_lpae_walk(&c1, iova, &again);
		FZ_CHECK(rc2 == rc && again.fault == r.fault &&
			 again.level == r.level && again.nreads == r.nreads);
		if (rc == 0)
			FZ_CHECK(again.oa == r.oa && again.perm == r.perm &&
				 again.leaf_size == r.leaf_size);
	}
	return 0;
}
