/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Range dump of AArch64 LPAE tables that may be hostile (a guest's
 * stage-1): every table and leaf descriptor met over [first, last], level
 * by level, for inspection (uiommu-ctl dump, the PT_DUMP request).
 *
 * Design: there is no second walker. The dump is a loop of single-address
 * walks by uiommu_lpae_walk() (at most 4 descriptor reads each, every read
 * through the caller's read_pte, which alone decides what is readable),
 * stepping from one input address to the first address after the leaf, the
 * hole or the unreadable table the walk ended in. Each walk reports the
 * descriptors it read: the table descriptors of its path (each reported
 * once, the first time the dump enters its span) and then the leaf, or the
 * descriptor that made the walk fault. Invalid descriptors are holes and
 * are skipped without a report; so is the span of a table that cannot be
 * read (reported once as a WALK_EABT fault, never read). After a hole, the
 * following descriptors of the same table page are read one by one
 * through the same read_pte (never across the page, as the walker itself
 * reads) while they are invalid, so that an empty entry costs one read,
 * not one walk; the first one that is not invalid is left to the next
 * walk, which alone interprets descriptors.
 *
 * Bounds: the loop stops before a walk that could take the descriptor reads
 * past max_reads (a walk reads at most UIOMMU_LPAE_MAX_LEVELS), and before
 * reporting a path that does not fit in max_entries (a path is at most
 * UIOMMU_LPAE_MAX_LEVELS entries). Both limits are at least that, so every
 * call makes progress, and the address where it stopped is returned for
 * the next call. The input address strictly increases from one walk to the
 * next, so no table content, cyclic or not, can make the loop revisit an
 * address. A table that points back to an ancestor is walked like any
 * other table (the walker ends at level 3 whatever it reads) and costs
 * reads, never more than max_reads.
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "uiommu_lpae.h"

/* The caller's configuration, with its reads counted. */
struct dump_ctx {
	const struct uiommu_lpae_walk_cfg *cfg;
	uint32_t reads;
};

static int
dump_read_pte(void *ctx, uint64_t table_addr, uint64_t byte_offset,
	      uint64_t *pte)
{
	struct dump_ctx *d = ctx;

	d->reads++;
	return d->cfg->read_pte(d->cfg->ctx, table_addr, byte_offset, pte);
}

/* Input span [*lo, *hi] of a descriptor at lvl covering iova. */
static void
span_of(unsigned int lvl, uint64_t iova, uint64_t top_last, uint64_t *lo,
	uint64_t *hi)
{
	unsigned int shift = UIOMMU_LPAE_LVL_SHIFT(lvl);
	uint64_t mask = (1ULL << shift) - 1;

	*lo = iova & ~mask;
	*hi = (iova | mask) > top_last ? top_last : (iova | mask);
}

/*
 * Input span of a whole table at lvl (512 descriptors) covering iova: the
 * span of the descriptor pointing to it, or one page of the top table.
 */
static void
table_span(unsigned int lvl, uint64_t iova, uint64_t top_last, uint64_t *lo,
	   uint64_t *hi)
{
	unsigned int shift = UIOMMU_LPAE_LVL_SHIFT(lvl) +
			     UIOMMU_LPAE_BITS_PER_LEVEL;
	uint64_t mask;

	if (shift >= 64) {
		*lo = 0;
		*hi = top_last;
		return;
	}
	mask = (1ULL << shift) - 1;
	*lo = iova & ~mask;
	*hi = (iova | mask) > top_last ? top_last : (iova | mask);
}

/*
 * After a hole (an invalid descriptor at lvl, read from table page
 * w->table_addr), read the following descriptors of the same table page
 * through read_pte, one read each, while they are invalid too: a sparse
 * table costs one read per empty entry instead of one walk. Stops at the
 * end of the page, at the first descriptor that is not invalid (the next
 * walk decides what it is), at a read that fails (the next walk reports
 * it), at last, or when a further read would leave less than one walk of
 * the read bound. @return the end of the holes (>= hi).
 */
static uint64_t
skip_holes(const struct uiommu_lpae_walk_cfg *wcfg, struct dump_ctx *d,
	   const struct uiommu_lpae_walk_result *w, unsigned int lvl,
	   uint64_t iova, uint64_t hi, uint64_t last, uint64_t top_last,
	   uint32_t max_reads)
{
	unsigned int shift = UIOMMU_LPAE_LVL_SHIFT(lvl);
	/* The walker's byte offset in the page (the top included: its
	 * index bits above the page are the page's own). */
	uint64_t byte = ((iova >> shift) & (UIOMMU_LPAE_ENTRIES - 1)) * 8;

	while (hi < last && hi < top_last &&
	       byte + 8 < UIOMMU_LPAE_GRANULE &&
	       d->reads + 1 + UIOMMU_LPAE_MAX_LEVELS <= max_reads) {
		uint64_t pte = 0;

		byte += 8;
		if (wcfg->read_pte(wcfg->ctx, w->table_addr, byte, &pte) != 0 ||
		    (pte & UIOMMU_LPAE_PTE_VALID))
			break;
		hi = hi + (1ULL << shift) > top_last ? top_last :
		     hi + (1ULL << shift);
	}
	return hi;
}

int
uiommu_lpae_dump(const struct uiommu_lpae_walk_cfg *cfg, uint64_t first,
		 uint64_t last, uint32_t max_entries, uint32_t max_reads,
		 uiommu_lpae_dump_fn fn, void *arg,
		 struct uiommu_lpae_dump_res *res)
{
	struct uiommu_lpae_dump_entry pend[UIOMMU_LPAE_MAX_LEVELS];
	uint64_t marked[UIOMMU_LPAE_MAX_LEVELS];
	bool mark_ok[UIOMMU_LPAE_MAX_LEVELS] = { false };
	struct uiommu_lpae_walk_cfg wcfg;
	struct dump_ctx dctx;
	unsigned int start, ias;
	uint64_t top_last, iova;
	int rc;

	if (res == NULL)
		return -EINVAL;
	memset(res, 0, sizeof(*res));
	if (cfg == NULL || cfg->read_pte == NULL || fn == NULL ||
	    first > last || max_entries < UIOMMU_LPAE_DUMP_MIN_ENTRIES ||
	    max_reads < UIOMMU_LPAE_MAX_LEVELS)
		return -EINVAL;
	rc = uiommu_lpae_walk_geometry(cfg, &start, NULL, &ias);
	if (rc != 0)
		return rc;
	res->start_level = start;
	res->ias = ias;
	top_last = ias >= 64 ? UINT64_MAX : (1ULL << ias) - 1;
	if (first > top_last)
		return 0;
	if (last > top_last)
		last = top_last;

	wcfg = *cfg;
	dctx = (struct dump_ctx){ .cfg = cfg, .reads = 0 };
	wcfg.read_pte = dump_read_pte;
	wcfg.ctx = &dctx;

	iova = first;
	for (;;) {
		struct uiommu_lpae_walk_result w;
		unsigned int n = 0, ntbl, lvl, i;
		uint64_t lo, hi;
		bool leaf, hole = false;

		/* A walk reads at most one descriptor per level. */
		if (dctx.reads + UIOMMU_LPAE_MAX_LEVELS > max_reads) {
			res->more = true;
			res->read_limit = true;
			res->next = iova;
			break;
		}
		leaf = uiommu_lpae_walk(&wcfg, iova, &w) == 0;
		if (!leaf && w.fault == UIOMMU_LPAE_FAULT_CONFIG) {
			rc = -EINVAL;
			break;
		}
		/*
		 * The descriptors read: tables first. On success the last is
		 * the leaf; on a fault after a read, the last is the one that
		 * faulted; on WALK_EABT every read one is a table.
		 */
		if (leaf || w.fault != UIOMMU_LPAE_FAULT_WALK_EABT)
			ntbl = w.nreads > 0 ? w.nreads - 1 : 0;
		else
			ntbl = w.nreads;
		for (i = 0; i < ntbl; i++) {
			lvl = start + i;
			span_of(lvl, iova, top_last, &lo, &hi);
			if (mark_ok[lvl] && marked[lvl] == lo)
				continue;
			pend[n++] = (struct uiommu_lpae_dump_entry){
				.kind = UIOMMU_LPAE_DUMP_TABLE, .level = lvl,
				.iova = lo, .size = hi - lo + 1,
				.oa = w.ptes[i] & UIOMMU_LPAE_PTE_ADDR_MASK,
				.pte = w.ptes[i],
			};
		}
		lvl = (unsigned int)w.level;
		if (leaf) {
			span_of(lvl, iova, top_last, &lo, &hi);
			pend[n++] = (struct uiommu_lpae_dump_entry){
				.kind = lvl == 3 ? UIOMMU_LPAE_DUMP_PAGE :
						   UIOMMU_LPAE_DUMP_BLOCK,
				.level = lvl, .iova = lo, .size = hi - lo + 1,
				.oa = w.leaf_oa, .pte = w.pte, .perm = w.perm,
				.attr = w.attr,
			};
		} else if (w.fault == UIOMMU_LPAE_FAULT_WALK_EABT ||
			   w.nreads == 0) {
			/* The table at lvl (or the top's TTB) is unusable:
			 * its whole span, never read. */
			table_span(lvl, iova, top_last, &lo, &hi);
			pend[n++] = (struct uiommu_lpae_dump_entry){
				.kind = UIOMMU_LPAE_DUMP_FAULT, .level = lvl,
				.iova = lo, .size = hi - lo + 1,
				.oa = w.nreads == 0 ? cfg->ttb : w.table_addr,
				.pte = w.nreads > 0 ? w.ptes[w.nreads - 1] : 0,
				.fault = w.fault,
			};
		} else {
			span_of(lvl, iova, top_last, &lo, &hi);
			/* An invalid descriptor is a hole: nothing to say. */
			if (w.fault != UIOMMU_LPAE_FAULT_TRANSLATION ||
			    (w.pte & UIOMMU_LPAE_PTE_VALID))
				pend[n++] = (struct uiommu_lpae_dump_entry){
					.kind = UIOMMU_LPAE_DUMP_FAULT,
					.level = lvl, .iova = lo,
					.size = hi - lo + 1,
					.oa = w.pte & UIOMMU_LPAE_PTE_ADDR_MASK,
					.pte = w.pte, .fault = w.fault,
				};
			else
				hole = true;
		}
		/* Whole paths only: stop before one that does not fit. */
		if (res->entries + n > max_entries) {
			res->more = true;
			res->next = iova;
			break;
		}
		for (i = 0; i < n; i++) {
			if (pend[i].kind == UIOMMU_LPAE_DUMP_TABLE) {
				mark_ok[pend[i].level] = true;
				marked[pend[i].level] = pend[i].iova;
			}
			rc = fn(arg, &pend[i]);
			res->entries++;
			if (rc != 0)
				break;
		}
		if (rc != 0)
			break;
		/* hi is the end of the leaf, hole or unreadable span. */
		if (hole)
			hi = skip_holes(&wcfg, &dctx, &w, lvl, iova, hi, last,
					top_last, max_reads);
		if (hi >= last)
			break;
		iova = hi + 1;
	}
	res->reads = dctx.reads;
	return rc;
}
