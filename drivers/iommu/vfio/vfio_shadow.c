/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vfio backend: the shadow of a device's translation in its VFIO container.
 *
 * Design. VFIO type1 has one translation per container, IOVA -> process
 * memory, and no nesting. A device's effective translation (guest stage 1,
 * then stage 2 = guest RAM regions) is therefore flattened into the
 * container: IOVA -> host address of the guest page its stage-1 leaf names.
 * The backend keeps an exact record of what it installed: the device's
 * shadow IOAS (lib/iova), one area per VFIO_IOMMU_MAP_DMA, whose owner
 * cookie is the log2 of the guest leaf size the area is made of. Since
 * type1v2 can only unmap whole earlier mappings, every unmap names exactly
 * one area.
 *
 * One operation does all the work: vshadow_refresh(d, first, last) makes
 * the container agree with the guest's current translation over
 * [first, last] (everything, for a configuration change):
 *
 *  1. Widen. A TLBI by address drops every cached leaf containing the
 *     address, so the range grows to whole leaves at both ends: whole old
 *     leaves (the area's leaf size) and whole current leaves (one walk at
 *     each end; for an unmapped end, the whole span of the empty entry).
 *  2. Remainders. An area that sticks out of the widened range (a
 *     coalesced run of several leaves) cannot be split by the kernel: its
 *     outside part is kept as it was, as a "remainder" run placed before
 *     (or after) the desired runs.
 *  3. Desired state. Walk the guest's stage 1 over the range with the
 *     hostile walker uiommu_lpae_walk() (every descriptor read through
 *     guest RAM with bounds checks, vshadow_read_pte), one call per leaf or
 *     per empty table entry, at most walk_max calls; turn each leaf's
 *     output (a GPA range) into host ranges through the stage-2 regions,
 *     clip them to the IOVA ranges the kernel accepts, and coalesce
 *     neighbours that are contiguous in IOVA and host address, with the
 *     same permissions, leaf size and region, into runs. In bypass mode the
 *     desired state is every RAM region at IOVA = GPA; blocked: nothing.
 *  4. Diff. The current state is the list of areas meeting the range. Both
 *     lists are sorted and disjoint; a run present in both, identical
 *     (IOVA, length, host address, permissions, leaf size), is kept; every
 *     other current area is unmapped, every other desired run is mapped.
 *     Nothing that did not change is touched, so a refresh of an unchanged
 *     range costs no system call at all.
 *  5. Apply, unmaps first (freeing mapping slots and never colliding with
 *     new maps), then maps in IOVA order.
 *
 * Limits, visible failures. A container holds at most max_maps mappings
 * (the kernel's dma_entry_limit / DMA_AVAIL, or less by argument). A map
 * that would exceed it, or that the kernel refuses with ENOSPC, stops the
 * maps: MAP_LIMIT event, limit_errors counter, -ENOSPC. A walk that needs
 * more than walk_max calls stops there: WALK_LIMIT event, counter,
 * -E2BIG; the desired state beyond that IOVA is unknown, so everything
 * mapped beyond it is unmapped. Unmaps always run, even after a failure:
 * a refresh never leaves behind a mapping the guest removed (what it may
 * leave out is a mapping the guest added, which faults, visibly).
 *
 * Cost: O(walk calls + areas in range * log areas) plus one system call
 * per changed run. The scratch arrays are per vIOMMU (one refresh at a
 * time per vIOMMU), grown on demand, never beyond max_maps entries.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_byteorder.h>

#include "vfio_private.h"

/* The desired state being generated. */
struct vgen {
	struct vfio_dev *d;
	struct vfio_viommu *vi;
	size_t n;            /* runs in vi->want */
	uint64_t steps;      /* walker calls */
	int err;             /* first error; the state from stop on is unknown */
	uint64_t stop;       /* first IOVA not described (valid when err) */
};

/* What read_pte needs. */
struct vwalk_ctx {
	const struct vfio_viommu *vi;
	bool affd;
};

/* Monotonic nanoseconds, for the time counters (vDSO, no system call). */
static inline uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static inline uint32_t
prot_to_ioas(uint32_t prot)
{
	return ((prot & UIOMMU_PROT_READ) ? UIOMMU_IOAS_MAP_READABLE : 0) |
	       ((prot & UIOMMU_PROT_WRITE) ? UIOMMU_IOAS_MAP_WRITEABLE : 0);
}

static inline uint32_t
prot_from_ioas(uint32_t p)
{
	return ((p & UIOMMU_IOAS_MAP_READABLE) ? UIOMMU_PROT_READ : 0) |
	       ((p & UIOMMU_IOAS_MAP_WRITEABLE) ? UIOMMU_PROT_WRITE : 0);
}

static inline unsigned int
area_shift(const struct uiommu_ioas_area_info *a)
{
	return (unsigned int)(uintptr_t)a->owner;
}

static int
vec_reserve(struct vfio_run **v, size_t *cap, size_t need)
{
	struct vfio_run *p;
	size_t ncap;

	if (need <= *cap)
		return 0;
	ncap = *cap != 0 ? *cap : 64;
	while (ncap < need)
		ncap *= 2;
	p = realloc(*v, ncap * sizeof(**v));
	if (p == NULL)
		return -ENOMEM;
	*v = p;
	*cap = ncap;
	return 0;
}

/*
 * read_pte of the shadow walk: the table address is a GPA; the descriptor
 * must lie in a stage-2 region readable at stage 2. One acquire load.
 */
int
vshadow_read_pte(void *ctx, uint64_t table_addr, uint64_t byte_offset,
		 uint64_t *pte)
{
	const struct vwalk_ctx *c = ctx;
	const struct vfio_viommu *vi = c->vi;
	uint64_t gpa = table_addr + byte_offset, v;
	int i;

	if ((byte_offset & 7) != 0 || byte_offset >= UIOMMU_LPAE_GRANULE)
		return -EINVAL;
	i = vfio_s2_index(vi, gpa, 8);
	if (i < 0 || !(vi->s2[i].prot & UIOMMU_PROT_READ))
		return -EFAULT;
	v = __atomic_load_n((const uint64_t *)(uintptr_t)
			    (vi->s2[i].hva + (gpa - vi->s2[i].gpa)),
			    __ATOMIC_ACQUIRE);
	v = rte_le_to_cpu_64(v);
	/* CD.AFFD: the access flag reads as set (bit 10 is ignored in table
	 * and invalid descriptors, so this only affects leaves). */
	if (c->affd)
		v |= UIOMMU_LPAE_PTE_AF;
	*pte = v;
	return 0;
}

static void
gen_stop(struct vgen *g, int err, uint64_t at)
{
	if (g->err == 0) {
		g->err = err;
		g->stop = at;
	}
}

/* Append a run, merging it into the previous one when contiguous. */
static void
gen_push(struct vgen *g, const struct vfio_run *r)
{
	struct vfio_viommu *vi = g->vi;

	if (g->err != 0)
		return;
	if (g->n > 0 && vi->args.coalesce) {
		struct vfio_run *p = &vi->want[g->n - 1];

		if (p->iova + p->len == r->iova && p->hva + p->len == r->hva &&
		    p->prot == r->prot && p->leaf_shift == r->leaf_shift &&
		    p->region == r->region) {
			p->len += r->len;
			return;
		}
	}
	/* More runs than the container may hold: this cannot be mapped. */
	if (g->n >= g->d->max_maps) {
		gen_stop(g, -ENOSPC, r->iova);
		return;
	}
	if (vec_reserve(&vi->want, &vi->want_cap, g->n + 1) != 0) {
		gen_stop(g, -ENOMEM, r->iova);
		return;
	}
	vi->want[g->n] = *r;
	vi->want[g->n].keep = 0;
	g->n++;
}

/* A piece [iova, last] -> hva: clip it to the kernel's usable IOVA ranges. */
static void
gen_emit(struct vgen *g, uint64_t iova, uint64_t last, uint64_t hva,
	 uint32_t prot, uint8_t shift, uint8_t region)
{
	const struct vfio_kinfo *ki = &g->d->kinfo;
	uint64_t covered = 0;
	struct vfio_run r = {
		.prot = prot, .leaf_shift = shift, .region = region,
	};

	if (!ki->ranges_known) {
		r.iova = iova;
		r.len = last - iova + 1;
		r.hva = hva;
		gen_push(g, &r);
		return;
	}
	for (uint32_t i = 0; i < ki->nr_ranges && g->err == 0; i++) {
		uint64_t s = RTE_MAX(iova, ki->ranges[i].start);
		uint64_t l = RTE_MIN(last, ki->ranges[i].last);

		if (s > l)
			continue;
		r.iova = s;
		r.len = l - s + 1;
		r.hva = hva + (s - iova);
		covered += r.len;
		gen_push(g, &r);
	}
	if (g->err == 0 && covered != last - iova + 1)
		VSTAT_ADD(g->vi, iova_excluded, 1);
}

/*
 * A stage-1 leaf piece [iova, last] -> GPA oa: through the stage-2
 * regions (sorted by GPA, so the pieces come out in IOVA order).
 */
static void
gen_leaf(struct vgen *g, uint64_t iova, uint64_t last, uint64_t oa,
	 uint32_t prot, uint8_t shift)
{
	const struct vfio_viommu *vi = g->vi;
	uint64_t span = last - iova, oa_last, covered = 0;

	if (__builtin_add_overflow(oa, span, &oa_last)) {
		g->d->s2_miss = true;
		VSTAT_ADD(g->vi, s2_misses, 1);
		return;
	}
	for (uint32_t i = 0; i < vi->nr_s2 && g->err == 0; i++) {
		const struct vfio_s2 *r = &vi->s2[i];
		uint64_t s = RTE_MAX(oa, r->gpa);
		uint64_t l = RTE_MIN(oa_last, r->last);
		uint32_t p = prot & r->prot;

		if (s > l)
			continue;
		covered += l - s + 1;
		if (p == 0)
			continue;
		gen_emit(g, iova + (s - oa), iova + (l - oa),
			 r->hva + (s - r->gpa), p, shift, (uint8_t)i);
	}
	if (g->err == 0 && covered != span + 1) {
		g->d->s2_miss = true;
		VSTAT_ADD(g->vi, s2_misses, 1);
	}
}

/* What a device (an unprivileged data access) may do through a leaf. */
static inline uint32_t
s1_prot(unsigned int perm)
{
	uint32_t p;

	if (!(perm & UIOMMU_LPAE_PERM_UNPRIV))
		return 0;
	p = UIOMMU_PROT_READ;
	if (perm & UIOMMU_LPAE_PERM_WRITE)
		p |= UIOMMU_PROT_WRITE;
	return p;
}

static void
walk_cfg_init(const struct vfio_dev *d, struct vwalk_ctx *ctx,
	      struct uiommu_lpae_walk_cfg *cfg)
{
	ctx->vi = d->vi;
	ctx->affd = d->s1.affd;
	memset(cfg, 0, sizeof(*cfg));
	cfg->stage = 1;
	cfg->ias = d->s1.ias;
	cfg->tg = UIOMMU_LPAE_TG0_4K;
	cfg->sl0 = UIOMMU_LPAE_SL0_AUTO;
	cfg->oas = d->s1.oas;
	cfg->ttb = d->s1.ttb0;
	cfg->read_pte = vshadow_read_pte;
	cfg->ctx = ctx;
}

static inline uint64_t
s1_top(const struct vfio_dev *d)
{
	return d->s1.ias >= 64 ? UINT64_MAX : (1ULL << d->s1.ias) - 1;
}

/* Count one walker call; false (and the error set) past walk_max. */
static inline bool
gen_step(struct vgen *g, uint64_t iova)
{
	if (g->steps >= g->vi->args.walk_max) {
		gen_stop(g, -E2BIG, iova);
		return false;
	}
	g->steps++;
	return true;
}

/*
 * One walk: the span [*lo, *hi] of the leaf or empty entry holding iova.
 * Returns 0 with a leaf, 1 with an empty span, -1 when nothing at all
 * translates (no readable root, bad TTB: nothing to skip by).
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
	if (res->nreads == 0 || res->fault == UIOMMU_LPAE_FAULT_CONFIG ||
	    res->level < (int)start || res->level > 3)
		return -1;
	lvl = (unsigned int)res->level;
	/* A table that cannot be read: the whole entry pointing to it. */
	if (res->fault == UIOMMU_LPAE_FAULT_WALK_EABT && lvl > start)
		lvl--;
	mask = (1ULL << UIOMMU_LPAE_LVL_SHIFT(lvl)) - 1;
	*lo = iova & ~mask;
	*hi = iova | mask;
	return 1;
}

/* Desired runs of stage 1 over [a, b] (within the input size). */
static void
gen_walk(struct vgen *g, uint64_t a, uint64_t b)
{
	struct uiommu_lpae_walk_result res;
	struct uiommu_lpae_walk_cfg cfg;
	struct vwalk_ctx ctx;
	unsigned int start;
	uint64_t iova, lo, hi;
	int kind;

	walk_cfg_init(g->d, &ctx, &cfg);
	if (uiommu_lpae_walk_geometry(&cfg, &start, NULL, NULL) != 0)
		return;
	if (a > s1_top(g->d))
		return;
	b = RTE_MIN(b, s1_top(g->d));
	iova = a;
	/* Bounded by walk_max (gen_step); each call moves past one span. */
	for (;;) {
		if (!gen_step(g, iova))
			return;
		kind = walk_one(&cfg, start, iova, &res, &lo, &hi);
		if (kind < 0)
			return;
		if (kind == 0) {
			uint64_t pf = RTE_MAX(lo, a), pl = RTE_MIN(hi, b);
			uint32_t prot = s1_prot(res.perm);

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
gen_bypass(struct vgen *g, uint64_t a, uint64_t b)
{
	const struct vfio_viommu *vi = g->vi;

	for (uint32_t i = 0; i < vi->nr_s2 && g->err == 0; i++) {
		const struct vfio_s2 *r = &vi->s2[i];
		uint64_t s = RTE_MAX(a, r->gpa), l = RTE_MIN(b, r->last);

		if (s <= l)
			gen_emit(g, s, l, r->hva + (s - r->gpa), r->prot,
				 VFIO_PAGE_SHIFT, (uint8_t)i);
	}
}

/* Widen [*a, *b] to whole current leaves (stage 1). */
static void
widen_current(struct vgen *g, uint64_t *a, uint64_t *b)
{
	struct uiommu_lpae_walk_result res;
	struct uiommu_lpae_walk_cfg cfg;
	struct vwalk_ctx ctx;
	unsigned int start;
	uint64_t lo, hi;

	walk_cfg_init(g->d, &ctx, &cfg);
	if (uiommu_lpae_walk_geometry(&cfg, &start, NULL, NULL) != 0)
		return;
	if (*a <= s1_top(g->d) && gen_step(g, *a) &&
	    walk_one(&cfg, start, *a, &res, &lo, &hi) >= 0)
		*a = RTE_MIN(*a, lo);
	if (*b <= s1_top(g->d) && gen_step(g, *b) &&
	    walk_one(&cfg, start, *b, &res, &lo, &hi) >= 0)
		*b = RTE_MAX(*b, hi);
}

/* Widen [*a, *b] to whole leaves of the areas holding its ends. */
static void
widen_old(const struct vfio_dev *d, uint64_t *a, uint64_t *b)
{
	struct uiommu_ioas_area_info ai;
	uint64_t mask;

	if (uiommu_ioas_lookup(d->shadow, *a, &ai) == 0) {
		mask = (1ULL << area_shift(&ai)) - 1;
		*a = RTE_MAX(ai.iova, *a & ~mask);
	}
	if (uiommu_ioas_lookup(d->shadow, *b, &ai) == 0) {
		mask = (1ULL << area_shift(&ai)) - 1;
		*b = RTE_MIN(ai.last, *b | mask);
	}
}

/* A remainder run: part [s, l] of an existing area. */
static void
push_remainder(struct vgen *g, const struct uiommu_ioas_area_info *ai,
	       uint64_t s, uint64_t l)
{
	uint64_t hva = ai->backing + (s - ai->iova);
	int region = vfio_s2_index_hva(g->vi, hva);
	struct vfio_run r = {
		.iova = s, .len = l - s + 1, .hva = hva,
		.prot = prot_from_ioas(ai->prot),
		.leaf_shift = (uint8_t)area_shift(ai),
		.region = region < 0 ? VFIO_NO_REGION : (uint8_t)region,
	};

	gen_push(g, &r);
}

struct have_ctx {
	struct vfio_viommu *vi;
	size_t n;
	int err;
};

static int
have_cb(const struct uiommu_ioas_area_info *ai, void *arg)
{
	struct have_ctx *h = arg;
	struct vfio_viommu *vi = h->vi;

	if (vec_reserve(&vi->have, &vi->have_cap, h->n + 1) != 0) {
		h->err = -ENOMEM;
		return 1;
	}
	vi->have[h->n++] = (struct vfio_run){
		.iova = ai->iova, .len = ai->last - ai->iova + 1,
		.hva = ai->backing, .prot = prot_from_ioas(ai->prot),
		.leaf_shift = (uint8_t)area_shift(ai),
		.region = VFIO_NO_REGION,   /* not compared */
	};
	return 0;
}

static inline bool
run_equal(const struct vfio_run *x, const struct vfio_run *y)
{
	return x->iova == y->iova && x->len == y->len && x->hva == y->hva &&
	       x->prot == y->prot && x->leaf_shift == y->leaf_shift;
}

/* Unmap one area from the kernel and from the record. */
static int
unmap_area(struct vfio_dev *d, const struct vfio_run *h)
{
	struct vfio_viommu *vi = d->vi;
	uint64_t un = 0, t0 = now_ns();
	int rc;

	rc = vfio_sys_unmap(d->container, h->iova, h->len, &un);
	if (rc != 0) {
		vfio_event_raise(vi, UIOMMU_VFIO_EVT_MAP_ERROR, d->vsid, h->iova,
				 (uint64_t)-rc);
		if (vfio_log_rare(VSTAT_ADD(vi, kernel_errors, 1)))
			VFIO_LOG(ERR, "%s: UNMAP_DMA [0x%" PRIx64 ", +0x%"
				 PRIx64 "]: %s", d->bdf, h->iova, h->len,
				 strerror(-rc));
		return -EIO;
	}
	if (un != h->len &&
	    vfio_log_rare(VSTAT_ADD(vi, kernel_errors, 1))) {
		/* The kernel disagrees with the record; the record goes. */
		VFIO_LOG(WARNING, "%s: UNMAP_DMA [0x%" PRIx64 ", +0x%" PRIx64
			 "] removed 0x%" PRIx64 " bytes", d->bdf, h->iova,
			 h->len, un);
	}
	RTE_VERIFY(uiommu_ioas_unmap(d->shadow, h->iova, h->len, NULL) == 0);
	VSTAT_ADD(vi, unmap_calls, 1);
	VSTAT_ADD(vi, unmap_ns, now_ns() - t0);
	VSTAT_ADD(vi, unmap_bytes, un);
	VSTAT_SUB(vi, live_maps, 1);
	return 0;
}

/* The mapping limit was reached at iova. */
static void
limit_hit(struct vfio_dev *d, uint64_t iova, bool *raised)
{
	struct vfio_viommu *vi = d->vi;
	uint64_t live = uiommu_ioas_num_areas(d->shadow);

	if (*raised)
		return;
	*raised = true;
	vfio_event_raise(vi, UIOMMU_VFIO_EVT_MAP_LIMIT, d->vsid, iova,
			 live | (RTE_MIN(d->max_maps, UINT32_MAX) << 32));
	if (vfio_log_rare(VSTAT_ADD(vi, limit_errors, 1)))
		VFIO_LOG(ERR, "%s (vSID 0x%x): mapping limit %" PRIu64
			 " reached at IOVA 0x%" PRIx64, d->bdf, d->vsid,
			 d->max_maps, iova);
}

/* Map one desired run in the kernel and record it. */
static int
map_run(struct vfio_dev *d, const struct vfio_run *w, bool *raised)
{
	struct vfio_viommu *vi = d->vi;
	uint64_t live = uiommu_ioas_num_areas(d->shadow), iova = w->iova, t0;
	int rc;

	if (live >= d->max_maps) {
		limit_hit(d, w->iova, raised);
		return -ENOSPC;
	}
	/* Room to list every area in a later refresh. */
	if (vec_reserve(&vi->have, &vi->have_cap, live + 1) != 0)
		goto nomem;
	rc = uiommu_ioas_map(d->shadow, w->hva, w->len, &iova,
			     UIOMMU_IOAS_MAP_FIXED_IOVA | prot_to_ioas(w->prot),
			     (void *)(uintptr_t)w->leaf_shift);
	if (rc == -ENOMEM)
		goto nomem;
	if (rc != 0) {
		/* Runs and areas are disjoint by construction. */
		if (vfio_log_rare(VSTAT_ADD(vi, kernel_errors, 1)))
			VFIO_LOG(ERR, "%s: shadow record refused run 0x%"
				 PRIx64 ": %d", d->bdf, w->iova, rc);
		return -EIO;
	}
	t0 = now_ns();
	rc = vfio_sys_map(d->container, w->iova, w->len, w->hva, w->prot);
	if (rc != 0) {
		RTE_VERIFY(uiommu_ioas_unmap(d->shadow, w->iova, w->len,
					     NULL) == 0);
		if (rc == -ENOSPC) {
			limit_hit(d, w->iova, raised);
			return -ENOSPC;
		}
		vfio_event_raise(vi, UIOMMU_VFIO_EVT_MAP_ERROR, d->vsid, w->iova,
				 (uint64_t)-rc);
		if (vfio_log_rare(VSTAT_ADD(vi, kernel_errors, 1)))
			VFIO_LOG(ERR, "%s: MAP_DMA [0x%" PRIx64 ", +0x%"
				 PRIx64 "]: %s", d->bdf, w->iova, w->len,
				 strerror(-rc));
		return -EIO;
	}
	VSTAT_ADD(vi, map_calls, 1);
	VSTAT_ADD(vi, map_ns, now_ns() - t0);
	VSTAT_ADD(vi, map_bytes, w->len);
	VSTAT_ADD(vi, live_maps, 1);
	return 0;
nomem:
	if (vfio_log_rare(VSTAT_ADD(vi, alloc_errors, 1)))
		VFIO_LOG(ERR, "%s: out of memory for the shadow record",
			 d->bdf);
	return -ENOMEM;
}

int
vshadow_refresh(struct vfio_dev *d, uint64_t first, uint64_t last)
{
	struct vfio_viommu *vi = d->vi;
	struct vgen g = { .d = d, .vi = vi };
	struct uiommu_ioas_area_info left, right;
	struct have_ctx hc = { .vi = vi };
	bool has_left = false, has_right = false, raised = false;
	uint64_t a, b, ef, el, t0 = now_ns();
	size_t i, j;
	int rc = 0, rc_unmap = 0, rc_map = 0;

	if (first > last)
		return -EINVAL;
	VSTAT_ADD(vi, refreshes, 1);
	a = first & ~VFIO_PAGE_MASK;
	b = last | VFIO_PAGE_MASK;
	if (a == 0 && b == UINT64_MAX && d->mode == VFIO_MODE_S1)
		d->s2_miss = false;     /* recomputed by this full walk */

	/* 1. Widen to whole old and current leaves. */
	widen_old(d, &a, &b);
	if (d->mode == VFIO_MODE_S1)
		widen_current(&g, &a, &b);
	/* 2. Areas sticking out keep their outside part. */
	if (uiommu_ioas_lookup(d->shadow, a, &left) == 0 && left.iova < a)
		has_left = true;
	if (uiommu_ioas_lookup(d->shadow, b, &right) == 0 && right.last > b)
		has_right = true;
	ef = has_left ? left.iova : a;
	el = has_right ? right.last : b;

	/* 3. Desired state of [ef, el], in IOVA order. */
	if (has_left)
		push_remainder(&g, &left, left.iova, a - 1);
	if (d->mode == VFIO_MODE_S1 && g.err == 0)
		gen_walk(&g, a, b);
	else if (d->mode == VFIO_MODE_BYPASS)
		gen_bypass(&g, a, b);
	if (has_right)
		push_remainder(&g, &right, b + 1, right.last);
	VSTAT_ADD(vi, walk_steps, g.steps);

	/* 4. Current state, then the diff (both sorted and disjoint). */
	(void)uiommu_ioas_foreach(d->shadow, ef, el, have_cb, &hc);
	if (hc.err != 0) {
		/* Cannot list what is mapped: change nothing. */
		VSTAT_ADD(vi, alloc_errors, 1);
		VSTAT_ADD(vi, refresh_ns, now_ns() - t0);
		return hc.err;
	}
	for (i = 0, j = 0; i < hc.n && j < g.n;) {
		struct vfio_run *h = &vi->have[i], *w = &vi->want[j];

		if (run_equal(h, w)) {
			h->keep = 1;
			w->keep = 1;
			VSTAT_ADD(vi, runs_kept, 1);
			i++;
			j++;
		} else if (h->iova <= w->iova) {
			h->keep = 0;
			i++;
		} else {
			j++;
		}
	}
	for (; i < hc.n; i++)
		vi->have[i].keep = 0;

	/* 5. Unmaps (always, even after an error), then maps. */
	for (i = 0; i < hc.n; i++) {
		if (!vi->have[i].keep && unmap_area(d, &vi->have[i]) != 0 &&
		    rc_unmap == 0)
			rc_unmap = -EIO;
	}
	for (j = 0; j < g.n && rc_unmap == 0; j++) {
		if (vi->want[j].keep)
			continue;
		rc_map = map_run(d, &vi->want[j], &raised);
		if (rc_map != 0)
			break;
	}

	/* 6. Say why the state is incomplete. */
	if (g.err == -E2BIG) {
		vfio_event_raise(vi, UIOMMU_VFIO_EVT_WALK_LIMIT, d->vsid, g.stop,
				 vi->args.walk_max);
		if (vfio_log_rare(VSTAT_ADD(vi, walk_limit_errors, 1)))
			VFIO_LOG(ERR, "%s (vSID 0x%x): stage-1 walk stopped "
				 "after %u calls at IOVA 0x%" PRIx64, d->bdf,
				 d->vsid, vi->args.walk_max, g.stop);
	} else if (g.err == -ENOSPC) {
		limit_hit(d, g.stop, &raised);
	} else if (g.err == -ENOMEM) {
		VSTAT_ADD(vi, alloc_errors, 1);
	}
	if (rc_unmap != 0)
		rc = rc_unmap;
	else if (g.err != 0)
		rc = g.err;
	else
		rc = rc_map;
	VSTAT_ADD(vi, refresh_ns, now_ns() - t0);
	return rc;
}

/* Unmap every area whose host memory lies in [hva, last]. */
int
vshadow_purge_hva(struct vfio_dev *d, uint64_t hva, uint64_t last)
{
	struct vfio_viommu *vi = d->vi;
	struct have_ctx hc = { .vi = vi };
	int rc = 0;

	(void)uiommu_ioas_foreach(d->shadow, 0, UINT64_MAX, have_cb, &hc);
	if (hc.err != 0)
		return hc.err;
	for (size_t i = 0; i < hc.n; i++) {
		const struct vfio_run *h = &vi->have[i];

		if (!uiommu_range_overlaps(h->hva, h->hva + h->len - 1, hva,
					   last))
			continue;
		if (unmap_area(d, h) != 0 && rc == 0)
			rc = -EIO;
	}
	return rc;
}
