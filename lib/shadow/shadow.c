/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Shadow translation engine (the algorithm is described in uiommu_shadow.h).
 *
 * Design. The record of what the sink holds is a lib/iova IOAS: one area
 * per sink map, backing = host address, owner = log2 of the guest leaf
 * size the area is made of (bypass runs use 4 KiB). It answers the two
 * questions a refresh asks — which area holds an address (widening,
 * remainders) and which areas meet a range (the "have" list) — in
 * O(log n), and it is what makes "unmap exactly an earlier map" hold by
 * construction.
 *
 * A refresh builds two sorted, disjoint run lists in per-shadow scratch
 * arrays ("want" from the guest plus the remainders, "have" from the
 * record), marks the runs equal in both, and applies the difference. The
 * scratch arrays grow geometrically and are kept, so a steady state
 * allocates nothing; want never holds more than max_maps runs.
 *
 * Bounds. Every stage-1 walk goes through uiommu_lpae_walk(), whose reads
 * go through shadow_read_pte(): the descriptor must lie in guest RAM
 * readable at stage 2, and it is read once with acquire ordering (pairs
 * with the guest's release store that published it). Each walker call
 * covers at least one leaf or one empty table entry and is counted
 * against walk_max, so a refresh makes at most walk_max walker calls
 * whatever the guest's tables hold.
 *
 * Cost: O(walk calls + areas in range * log areas) plus one sink call per
 * changed run; an unchanged range costs no sink call.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_common.h>
#include <rte_debug.h>

#include "uiommu_backend.h"
#include "uiommu_fail.h"
#include "uiommu_iova.h"
#include "uiommu_lpae.h"
#include "uiommu_shadow.h"

#define PAGE_SHIFT 12
#define PAGE_MASK ((1ULL << PAGE_SHIFT) - 1)
#define NO_REGION 0xff
#define PROT_RW (UIOMMU_PROT_READ | UIOMMU_PROT_WRITE)

/* [iova, iova + len - 1] -> [hva, ...]: one sink mapping (or its plan). */
struct run {
	uint64_t iova;
	uint64_t len;
	uint64_t hva;
	uint32_t prot;       /* UIOMMU_PROT_* */
	uint8_t shift;       /* log2 of the guest leaf size */
	uint8_t region;      /* RAM region index; never coalesced across */
	uint8_t keep;        /* present in both lists */
};

struct uiommu_shadow {
	struct uiommu_shadow_cfg cfg;
	struct uiommu_ioas *rec;        /* what the sink holds */
	enum uiommu_shadow_mode mode;
	struct uiommu_shadow_s1 s1;
	struct run *want, *have;        /* refresh scratch */
	size_t want_cap, have_cap;
	struct uiommu_shadow_stats st;
};

/* The desired state being generated. */
struct gen {
	struct uiommu_shadow *sh;
	size_t n;            /* runs in sh->want */
	uint32_t steps;      /* walker calls made */
	int err;             /* first error: nothing described past it */
	uint64_t stop;       /* first IOVA not described (when err) */
};

/* What shadow_read_pte() needs. */
struct walk_ctx {
	const struct uiommu_shadow *sh;
	bool affd;
};

static int
vec_reserve(struct run **v, size_t *cap, size_t need)
{
	struct run *p;
	size_t ncap;

	if (need <= *cap)
		return 0;
	ncap = *cap != 0 ? *cap : 64;
	while (ncap < need)
		ncap *= 2;
	if (uiommu_should_fail())
		return -ENOMEM;
	p = realloc(*v, ncap * sizeof(**v));
	if (p == NULL)
		return -ENOMEM;
	*v = p;
	*cap = ncap;
	return 0;
}

static inline uint32_t
ioas_prot(uint32_t prot)
{
	return ((prot & UIOMMU_PROT_READ) ? UIOMMU_IOAS_MAP_READABLE : 0) |
	       ((prot & UIOMMU_PROT_WRITE) ? UIOMMU_IOAS_MAP_WRITEABLE : 0);
}

static inline uint32_t
prot_of(uint32_t ioas_flags)
{
	return ((ioas_flags & UIOMMU_IOAS_MAP_READABLE) ? UIOMMU_PROT_READ : 0) |
	       ((ioas_flags & UIOMMU_IOAS_MAP_WRITEABLE) ? UIOMMU_PROT_WRITE : 0);
}

static inline uint8_t
area_shift(const struct uiommu_ioas_area_info *ai)
{
	return (uint8_t)(uintptr_t)ai->owner;
}

/* Stage-2 permission of region i. */
static inline uint32_t
s2_prot(const struct uiommu_shadow *sh, uint32_t i)
{
	return sh->cfg.s2_prot != NULL ? sh->cfg.s2_prot[i] & PROT_RW : PROT_RW;
}

/* Index of the region holding [gpa, gpa + len - 1] whole, or -1. */
static int
region_of_gpa(const struct uiommu_gmem *gm, uint64_t gpa, uint64_t len)
{
	uint64_t last;

	if (len == 0 || __builtin_add_overflow(gpa, len - 1, &last))
		return -1;
	for (uint32_t i = 0; i < gm->nr; i++)
		if (gpa >= gm->r[i].gpa && last <= gm->r[i].last)
			return (int)i;
	return -1;
}

/* Index of the region whose host mapping holds hva, or NO_REGION. */
static uint8_t
region_of_hva(const struct uiommu_gmem *gm, uint64_t hva)
{
	for (uint32_t i = 0; i < gm->nr; i++) {
		const struct uiommu_gmem_region *r = &gm->r[i];
		uint64_t h = (uint64_t)(uintptr_t)r->hva;

		if (hva >= h && hva - h <= r->last - r->gpa)
			return (uint8_t)i;
	}
	return NO_REGION;
}

/* Read one guest descriptor: in RAM readable at stage 2, once, acquire. */
static int
shadow_read_pte(void *ctx, uint64_t table_addr, uint64_t byte_offset,
		uint64_t *pte)
{
	const struct walk_ctx *c = ctx;
	const struct uiommu_gmem *gm = c->sh->cfg.gmem;
	uint64_t gpa = table_addr + byte_offset, v;
	const uint64_t *p;
	int i;

	if ((byte_offset & 7) != 0 || byte_offset >= UIOMMU_LPAE_GRANULE)
		return -EINVAL;
	i = region_of_gpa(gm, gpa, sizeof(*p));
	if (i < 0 || !(s2_prot(c->sh, (uint32_t)i) & UIOMMU_PROT_READ))
		return -EFAULT;
	p = (const uint64_t *)(gm->r[i].hva + (gpa - gm->r[i].gpa));
	v = rte_le_to_cpu_64(__atomic_load_n(p, __ATOMIC_ACQUIRE));
	/* AFFD: the access flag reads as set (ignored outside leaves). */
	if (c->affd)
		v |= UIOMMU_LPAE_PTE_AF;
	*pte = v;
	return 0;
}

static void
walk_cfg(const struct uiommu_shadow *sh, struct walk_ctx *ctx,
	 struct uiommu_lpae_walk_cfg *cfg)
{
	ctx->sh = sh;
	ctx->affd = sh->s1.affd;
	memset(cfg, 0, sizeof(*cfg));
	cfg->stage = 1;
	cfg->ias = sh->s1.ias;
	cfg->tg = UIOMMU_LPAE_TG0_4K;
	cfg->sl0 = UIOMMU_LPAE_SL0_AUTO;
	cfg->oas = sh->s1.oas;
	cfg->ttb = sh->s1.ttb0;
	cfg->read_pte = shadow_read_pte;
	cfg->ctx = ctx;
}

static inline uint64_t
s1_top(const struct uiommu_shadow *sh)
{
	return (1ULL << sh->s1.ias) - 1;
}

/*
 * One walk: the span [*lo, *hi] of the leaf or of the empty entry holding
 * iova. @return 0 leaf, 1 empty span, -1 nothing translates at all (no
 * readable top table, bad configuration): there is no span to skip by.
 */
static int
walk_one(const struct uiommu_lpae_walk_cfg *cfg, unsigned int start,
	 uint64_t iova, struct uiommu_lpae_walk_result *res, uint64_t *lo,
	 uint64_t *hi)
{
	unsigned int lvl;
	uint64_t mask;

	if (uiommu_lpae_walk(cfg, iova, res) == 0) {
		mask = res->leaf_size - 1;
		*lo = iova & ~mask;
		*hi = iova | mask;
		return 0;
	}
	if (res->fault == UIOMMU_LPAE_FAULT_CONFIG || res->nreads == 0 ||
	    res->level < (int)start || res->level > 3)
		return -1;
	lvl = (unsigned int)res->level;
	/* An unreadable table: skip the whole entry that points to it. */
	if (res->fault == UIOMMU_LPAE_FAULT_WALK_EABT) {
		if (lvl == start)
			return -1;   /* the top table: nothing translates */
		lvl--;
	}
	mask = (1ULL << UIOMMU_LPAE_LVL_SHIFT(lvl)) - 1;
	*lo = iova & ~mask;
	*hi = iova | mask;
	return 1;
}

static void
gen_stop(struct gen *g, int err, uint64_t at)
{
	if (g->err == 0) {
		g->err = err;
		g->stop = at;
	}
}

/* Count one walker call; false (and the error set) past walk_max. */
static bool
gen_step(struct gen *g, uint64_t iova)
{
	if (g->steps >= g->sh->cfg.walk_max) {
		gen_stop(g, -E2BIG, iova);
		return false;
	}
	g->steps++;
	return true;
}

/* Append a run, merged into the previous one when contiguous and alike. */
static void
gen_push(struct gen *g, const struct run *r)
{
	struct uiommu_shadow *sh = g->sh;
	struct run *p;

	if (g->err != 0)
		return;
	if (g->n > 0 && !sh->cfg.no_coalesce) {
		p = &sh->want[g->n - 1];
		if (p->iova + p->len == r->iova && p->hva + p->len == r->hva &&
		    p->prot == r->prot && p->shift == r->shift &&
		    p->region == r->region) {
			p->len += r->len;
			return;
		}
	}
	/* More runs than the sink may hold: this cannot be mapped. */
	if (sh->cfg.max_maps != 0 && g->n >= sh->cfg.max_maps) {
		gen_stop(g, -ENOSPC, r->iova);
		return;
	}
	if (vec_reserve(&sh->want, &sh->want_cap, g->n + 1) != 0) {
		gen_stop(g, -ENOMEM, r->iova);
		return;
	}
	sh->want[g->n] = *r;
	sh->want[g->n].keep = 0;
	g->n++;
}

/* A piece [iova, last] -> hva: clipped to the sink's usable IOVA ranges. */
static void
gen_emit(struct gen *g, uint64_t iova, uint64_t last, uint64_t hva,
	 uint32_t prot, uint8_t shift, uint8_t region)
{
	const struct uiommu_shadow_cfg *c = &g->sh->cfg;
	struct run r = { .prot = prot, .shift = shift, .region = region };
	uint64_t covered = 0;

	if (c->iova_ranges == NULL || c->nr_iova_ranges == 0) {
		r.iova = iova;
		r.len = last - iova + 1;
		r.hva = hva;
		gen_push(g, &r);
		return;
	}
	for (uint32_t i = 0; i < c->nr_iova_ranges && g->err == 0; i++) {
		uint64_t s = RTE_MAX(iova, c->iova_ranges[i].start);
		uint64_t l = RTE_MIN(last, c->iova_ranges[i].last);

		if (s > l)
			continue;
		r.iova = s;
		r.len = l - s + 1;
		r.hva = hva + (s - iova);
		covered += r.len;
		gen_push(g, &r);
	}
	if (g->err == 0 && covered != last - iova + 1)
		g->sh->st.iova_excluded++;
}

/* Leaf [iova, last] -> GPA oa: through the RAM regions (sorted by GPA). */
static void
gen_leaf(struct gen *g, uint64_t iova, uint64_t last, uint64_t oa,
	 uint32_t prot, uint8_t shift)
{
	const struct uiommu_gmem *gm = g->sh->cfg.gmem;
	uint64_t span = last - iova, oa_last, covered = 0;

	if (__builtin_add_overflow(oa, span, &oa_last)) {
		g->sh->st.s2_misses++;
		return;
	}
	for (uint32_t i = 0; i < gm->nr && g->err == 0; i++) {
		const struct uiommu_gmem_region *r = &gm->r[i];
		uint64_t s = RTE_MAX(oa, r->gpa), l = RTE_MIN(oa_last, r->last);
		uint32_t p = prot & s2_prot(g->sh, i);

		if (s > l)
			continue;
		covered += l - s + 1;
		if (p == 0)
			continue;
		gen_emit(g, iova + (s - oa), iova + (l - oa),
			 (uint64_t)(uintptr_t)r->hva + (s - r->gpa), p, shift,
			 (uint8_t)i);
	}
	if (g->err == 0 && covered != span + 1)
		g->sh->st.s2_misses++;
}

/* What an unprivileged device access may do through a stage-1 leaf. */
static inline uint32_t
leaf_prot(unsigned int perm)
{
	if (!(perm & UIOMMU_LPAE_PERM_UNPRIV))
		return 0;
	return UIOMMU_PROT_READ |
	       ((perm & UIOMMU_LPAE_PERM_WRITE) ? UIOMMU_PROT_WRITE : 0);
}

/* Desired runs of the stage-1 over [a, b]. */
static void
gen_walk(struct gen *g, uint64_t a, uint64_t b)
{
	struct uiommu_lpae_walk_result res;
	struct uiommu_lpae_walk_cfg cfg;
	struct walk_ctx ctx;
	unsigned int start;
	uint64_t iova, lo, hi;
	int kind;

	walk_cfg(g->sh, &ctx, &cfg);
	if (uiommu_lpae_walk_geometry(&cfg, &start, NULL, NULL) != 0 ||
	    a > s1_top(g->sh))
		return;
	b = RTE_MIN(b, s1_top(g->sh));
	/* Each call moves past one leaf or empty entry; gen_step bounds it. */
	for (iova = a;;) {
		if (!gen_step(g, iova))
			return;
		kind = walk_one(&cfg, start, iova, &res, &lo, &hi);
		if (kind < 0)
			return;
		if (kind == 0) {
			uint64_t pf = RTE_MAX(lo, a), pl = RTE_MIN(hi, b);
			uint32_t prot = leaf_prot(res.perm);

			if (prot != 0)
				gen_leaf(g, pf, pl, res.leaf_oa + (pf - lo), prot,
					 (uint8_t)__builtin_ctzll(res.leaf_size));
		}
		if (g->err != 0 || hi >= b)
			return;
		iova = hi + 1;
	}
}

/* Desired runs of bypass over [a, b]: RAM at IOVA = GPA. */
static void
gen_bypass(struct gen *g, uint64_t a, uint64_t b)
{
	const struct uiommu_gmem *gm = g->sh->cfg.gmem;

	for (uint32_t i = 0; i < gm->nr && g->err == 0; i++) {
		const struct uiommu_gmem_region *r = &gm->r[i];
		uint64_t s = RTE_MAX(a, r->gpa), l = RTE_MIN(b, r->last);
		uint32_t p = s2_prot(g->sh, i);

		if (s <= l && p != 0)
			gen_emit(g, s, l,
				 (uint64_t)(uintptr_t)r->hva + (s - r->gpa), p,
				 PAGE_SHIFT, (uint8_t)i);
	}
}

/* Widen [*a, *b] to the current leaves (or empty entries) at its ends. */
static void
widen_current(struct gen *g, uint64_t *a, uint64_t *b)
{
	struct uiommu_lpae_walk_result res;
	struct uiommu_lpae_walk_cfg cfg;
	struct walk_ctx ctx;
	unsigned int start;
	uint64_t lo, hi;

	walk_cfg(g->sh, &ctx, &cfg);
	if (uiommu_lpae_walk_geometry(&cfg, &start, NULL, NULL) != 0)
		return;
	if (*a <= s1_top(g->sh) && gen_step(g, *a) &&
	    walk_one(&cfg, start, *a, &res, &lo, &hi) >= 0)
		*a = RTE_MIN(*a, lo);
	if (*b <= s1_top(g->sh) && gen_step(g, *b) &&
	    walk_one(&cfg, start, *b, &res, &lo, &hi) >= 0)
		*b = RTE_MAX(*b, hi);
}

/* Widen [*a, *b] to whole old leaves of the areas holding its ends. */
static void
widen_old(const struct uiommu_shadow *sh, uint64_t *a, uint64_t *b)
{
	struct uiommu_ioas_area_info ai;
	uint64_t mask;

	if (uiommu_ioas_lookup(sh->rec, *a, &ai) == 0) {
		mask = (1ULL << area_shift(&ai)) - 1;
		*a = RTE_MAX(ai.iova, *a & ~mask);
	}
	if (uiommu_ioas_lookup(sh->rec, *b, &ai) == 0) {
		mask = (1ULL << area_shift(&ai)) - 1;
		*b = RTE_MIN(ai.last, *b | mask);
	}
}

/* A remainder run: part [s, l] of a recorded area, kept as it is. */
static void
push_remainder(struct gen *g, const struct uiommu_ioas_area_info *ai,
	       uint64_t s, uint64_t l)
{
	uint64_t hva = ai->backing + (s - ai->iova);
	struct run r = {
		.iova = s, .len = l - s + 1, .hva = hva,
		.prot = prot_of(ai->prot), .shift = area_shift(ai),
		.region = region_of_hva(g->sh->cfg.gmem, hva),
	};

	gen_push(g, &r);
}

struct have_ctx {
	struct uiommu_shadow *sh;
	size_t n;
	int err;
};

static int
have_cb(const struct uiommu_ioas_area_info *ai, void *arg)
{
	struct have_ctx *h = arg;
	struct uiommu_shadow *sh = h->sh;

	if (vec_reserve(&sh->have, &sh->have_cap, h->n + 1) != 0) {
		h->err = -ENOMEM;
		return 1;
	}
	sh->have[h->n++] = (struct run){
		.iova = ai->iova, .len = ai->last - ai->iova + 1,
		.hva = ai->backing, .prot = prot_of(ai->prot),
		.shift = area_shift(ai), .region = NO_REGION,  /* not compared */
	};
	return 0;
}

static inline bool
run_equal(const struct run *x, const struct run *y)
{
	return x->iova == y->iova && x->len == y->len && x->hva == y->hva &&
	       x->prot == y->prot && x->shift == y->shift;
}

static void
report(struct uiommu_shadow *sh, int err, uint64_t iova)
{
	if (sh->cfg.ops->report != NULL)
		sh->cfg.ops->report(sh->cfg.ctx, err, iova);
}

static int
sink_unmap(struct uiommu_shadow *sh, const struct run *h)
{
	int rc = sh->cfg.ops->unmap(sh->cfg.ctx, h->iova, h->len);

	if (rc != 0) {
		sh->st.sink_errors++;
		return rc;     /* still recorded: a later refresh retries */
	}
	RTE_VERIFY(uiommu_ioas_unmap(sh->rec, h->iova, h->len, NULL) == 0);
	sh->st.unmaps++;
	return 0;
}

/* Map one run in the sink and record it; *told: the limit was reported. */
static int
sink_map(struct uiommu_shadow *sh, const struct run *w, bool *told)
{
	uint64_t iova = w->iova;
	int rc;

	if (sh->cfg.max_maps != 0 &&
	    uiommu_ioas_num_areas(sh->rec) >= sh->cfg.max_maps) {
		rc = -ENOSPC;
		goto limit;
	}
	rc = uiommu_ioas_map(sh->rec, w->hva, w->len, &iova,
			     UIOMMU_IOAS_MAP_FIXED_IOVA | ioas_prot(w->prot),
			     (void *)(uintptr_t)w->shift);
	if (rc == -ENOMEM)
		report(sh, rc, w->iova);
	if (rc != 0)
		return rc;
	rc = sh->cfg.ops->map(sh->cfg.ctx, w->iova, w->len, w->hva, w->prot);
	if (rc != 0) {
		sh->st.sink_errors++;
		RTE_VERIFY(uiommu_ioas_unmap(sh->rec, w->iova, w->len,
					     NULL) == 0);
		if (rc == -ENOSPC)
			goto limit;
		return rc;
	}
	sh->st.maps++;
	return 0;
limit:
	if (!*told) {
		*told = true;
		report(sh, -ENOSPC, w->iova);
	}
	return rc;
}

int
uiommu_shadow_refresh(struct uiommu_shadow *sh, uint64_t first, uint64_t last)
{
	struct gen g = { .sh = sh };
	struct have_ctx hc = { .sh = sh };
	struct uiommu_ioas_area_info left, right;
	bool has_left = false, has_right = false, told = false;
	uint64_t a, b, ef, el;
	size_t i, j;
	int rc_unmap = 0, rc_map = 0;

	if (sh == NULL || first > last)
		return -EINVAL;
	sh->st.refreshes++;
	a = first & ~PAGE_MASK;
	b = last | PAGE_MASK;

	/* 1. Whole old leaves, whole current leaves. */
	widen_old(sh, &a, &b);
	if (sh->mode == UIOMMU_SHADOW_S1)
		widen_current(&g, &a, &b);
	/* 2. Areas sticking out keep their outside part. */
	if (uiommu_ioas_lookup(sh->rec, a, &left) == 0 && left.iova < a)
		has_left = true;
	if (uiommu_ioas_lookup(sh->rec, b, &right) == 0 && right.last > b)
		has_right = true;
	ef = has_left ? left.iova : a;
	el = has_right ? right.last : b;

	/* 3. The desired state of [ef, el], in IOVA order. */
	if (has_left)
		push_remainder(&g, &left, left.iova, a - 1);
	if (sh->mode == UIOMMU_SHADOW_S1 && g.err == 0)
		gen_walk(&g, a, b);
	else if (sh->mode == UIOMMU_SHADOW_BYPASS)
		gen_bypass(&g, a, b);
	if (has_right)
		push_remainder(&g, &right, b + 1, right.last);
	sh->st.walk_steps += g.steps;

	/* 4. What is recorded there, and the diff. */
	(void)uiommu_ioas_foreach(sh->rec, ef, el, have_cb, &hc);
	if (hc.err != 0) {
		report(sh, hc.err, ef);
		return hc.err;       /* cannot list: change nothing */
	}
	for (i = 0; i < hc.n; i++)
		sh->have[i].keep = 0;
	for (i = 0, j = 0; i < hc.n && j < g.n;) {
		struct run *h = &sh->have[i], *w = &sh->want[j];

		if (run_equal(h, w)) {
			h->keep = 1;
			w->keep = 1;
			sh->st.kept++;
			i++;
			j++;
		} else if (h->iova <= w->iova) {
			i++;
		} else {
			j++;
		}
	}

	/* 5. Unmaps (always), then maps (unless an unmap failed). */
	for (i = 0; i < hc.n; i++) {
		int rc;

		if (sh->have[i].keep)
			continue;
		rc = sink_unmap(sh, &sh->have[i]);
		if (rc != 0 && rc_unmap == 0)
			rc_unmap = rc;
	}
	for (j = 0; j < g.n && rc_unmap == 0 && rc_map == 0; j++)
		if (!sh->want[j].keep)
			rc_map = sink_map(sh, &sh->want[j], &told);

	/* 6. Say why the state is incomplete. */
	if (g.err == -E2BIG || g.err == -ENOMEM ||
	    (g.err == -ENOSPC && !told))
		report(sh, g.err, g.stop);
	if (rc_unmap != 0)
		return rc_unmap;
	return g.err != 0 ? g.err : rc_map;
}

int
uiommu_shadow_configure(struct uiommu_shadow *sh, enum uiommu_shadow_mode mode,
			const struct uiommu_shadow_s1 *s1)
{
	if (sh == NULL || mode > UIOMMU_SHADOW_S1)
		return -EINVAL;
	if (mode == UIOMMU_SHADOW_S1) {
		if (s1 == NULL || s1->ias < 25 || s1->ias > 48 ||
		    s1->oas < 32 || s1->oas > 48)
			return -EINVAL;
		sh->s1 = *s1;
	}
	sh->mode = mode;
	return uiommu_shadow_refresh(sh, 0, UINT64_MAX);
}

int
uiommu_shadow_purge(struct uiommu_shadow *sh, uint64_t hva, uint64_t last)
{
	struct have_ctx hc = { .sh = sh };
	int rc = 0, r;

	if (sh == NULL || hva > last)
		return -EINVAL;
	(void)uiommu_ioas_foreach(sh->rec, 0, UINT64_MAX, have_cb, &hc);
	if (hc.err != 0)
		return hc.err;
	for (size_t i = 0; i < hc.n; i++) {
		const struct run *h = &sh->have[i];

		if (!uiommu_range_overlaps(h->hva, h->hva + h->len - 1, hva,
					   last))
			continue;
		r = sink_unmap(sh, h);
		if (r != 0 && rc == 0)
			rc = r;
	}
	return rc;
}

int
uiommu_shadow_foreach(const struct uiommu_shadow *sh, uint64_t first,
		      uint64_t last, uiommu_ioas_area_cb cb, void *arg)
{
	if (sh == NULL || cb == NULL)
		return -EINVAL;
	return uiommu_ioas_foreach(sh->rec, first, last, cb, arg);
}

int
uiommu_shadow_create(const struct uiommu_shadow_cfg *cfg,
		     struct uiommu_shadow **out)
{
	struct uiommu_shadow *sh;
	int rc;

	if (cfg == NULL || out == NULL || cfg->gmem == NULL || cfg->ops == NULL ||
	    cfg->ops->map == NULL || cfg->ops->unmap == NULL ||
	    cfg->walk_max > UIOMMU_SHADOW_WALK_MAX)
		return -EINVAL;
	if (uiommu_should_fail())
		return -ENOMEM;
	sh = calloc(1, sizeof(*sh));
	if (sh == NULL)
		return -ENOMEM;
	sh->cfg = *cfg;
	if (sh->cfg.walk_max == 0)
		sh->cfg.walk_max = UIOMMU_SHADOW_WALK_MAX;
	rc = uiommu_ioas_create(&sh->rec);
	if (rc != 0)
		goto err_free;
	if (cfg->max_maps != 0) {
		rc = uiommu_ioas_set_max_areas(sh->rec, cfg->max_maps);
		if (rc != 0)
			goto err_rec;
	}
	sh->mode = UIOMMU_SHADOW_ABORT;
	*out = sh;
	return 0;

err_rec:
	uiommu_ioas_destroy(sh->rec);
err_free:
	free(sh);
	return rc;
}

static int
unmap_cb(const struct uiommu_ioas_area_info *ai, void *arg)
{
	struct uiommu_shadow *sh = arg;

	if (sh->cfg.ops->unmap(sh->cfg.ctx, ai->iova,
			       ai->last - ai->iova + 1) != 0)
		sh->st.sink_errors++;
	else
		sh->st.unmaps++;
	return 0;
}

void
uiommu_shadow_destroy(struct uiommu_shadow *sh)
{
	if (sh == NULL)
		return;
	(void)uiommu_ioas_foreach(sh->rec, 0, UINT64_MAX, unmap_cb, sh);
	uiommu_ioas_destroy(sh->rec);
	free(sh->want);
	free(sh->have);
	free(sh);
}

uint64_t
uiommu_shadow_num_maps(const struct uiommu_shadow *sh)
{
	return sh != NULL ? uiommu_ioas_num_areas(sh->rec) : 0;
}

void
uiommu_shadow_stats_get(const struct uiommu_shadow *sh,
			struct uiommu_shadow_stats *st)
{
	*st = sh->st;
}
