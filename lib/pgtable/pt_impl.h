/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The generic page-table algorithm, compiled once per format instance.
 *
 * Include after a format header (fmt/<name>.h) that implements the
 * primitives of pt_common.h and after defining PT_NS(). Defines the
 * instance's const struct pt_fmt_ops PT_NS(ops).
 *
 * Design: every operation is a loop over the descriptors of one table that
 * the range [iova, last] touches, recursing into child tables; the parent
 * clamps the range to the child's span, so a loop never leaves its table,
 * and recursion depth is the number of levels (at most 4). These are the
 * project's own tables: the hostile-input walker is separate
 * (uiommu_lpae_walk()).
 *
 * Invariants:
 *  - every table below the top holds at least one valid descriptor
 *    (unmap frees a table as soon as it becomes empty; map publishes a new
 *    table only once something was written into it);
 *  - a new table is filled while private and published with one release
 *    store (W1, pt_publish) that pairs with the lookups' acquire loads
 *    (R1, pt_load); lookups never see a half-built table;
 *  - a block being split is replaced by a complete table of next-level
 *    leaves with the same output and attributes, so a concurrent lookup
 *    sees the same translation before and after.
 */
#ifndef PT_NS
#error "define PT_NS() before including pt_impl.h"
#endif

/* Descriptors in the table at lvl (the top may differ). */
static inline unsigned int
PT_NS(nent)(const struct uiommu_pgtable *pt, unsigned int lvl)
{
	return lvl == pt->start_level ? pt->top_entries : 1u << PT_ITEMS_LG2;
}

/* --- flush helpers ------------------------------------------------------ */

/* A run of removed leaves, reported in one flush callback. */
struct PT_NS(run) {
	uint64_t iova;
	uint64_t size;
	uint64_t granule;
};

static void
PT_NS(run_flush)(struct uiommu_pgtable *pt, struct PT_NS(run) *run)
{
	const struct uiommu_pt_flush_ops *f = pt->cfg.flush_ops;

	if (run->size != 0 && f != NULL && f->leaf != NULL)
		f->leaf(pt->cfg.flush_cookie, run->iova, run->size, run->granule);
	run->size = 0;
}

static void
PT_NS(run_add)(struct uiommu_pgtable *pt, struct PT_NS(run) *run,
	       uint64_t iova, uint64_t size)
{
	if (run->size != 0 && run->granule == size &&
	    run->iova + run->size == iova) {
		run->size += size;
		return;
	}
	PT_NS(run_flush)(pt, run);
	run->iova = iova;
	run->size = size;
	run->granule = size;
}

static void
PT_NS(walk_flush)(struct uiommu_pgtable *pt, uint64_t iova, uint64_t size)
{
	const struct uiommu_pt_flush_ops *f = pt->cfg.flush_ops;

	if (f != NULL && f->walk != NULL)
		f->walk(pt->cfg.flush_cookie, iova, size);
}

/* --- map ---------------------------------------------------------------- */

static int PT_NS(map_tbl)(struct uiommu_pgtable *pt, unsigned int lvl,
			  uint64_t *tbl, uint64_t iova, uint64_t last,
			  uint64_t oa, uint64_t attrs, uint64_t *mapped);

/*
 * The slot at lvl is empty and [iova, last] needs a table below it: build
 * the child privately, map into it, and publish it (W1) if anything was
 * mapped. On an error part-way the mapped prefix is still published, so
 * *mapped stays exact; an empty child is freed instead.
 */
static int
PT_NS(map_new)(struct uiommu_pgtable *pt, unsigned int lvl, uint64_t *slot,
	       uint64_t iova, uint64_t last, uint64_t oa, uint64_t attrs,
	       uint64_t *mapped)
{
	uint64_t addr, *child, before = *mapped;
	int rc;

	rc = pt_table_alloc(pt, PT_TABLE_SIZE, &addr, &child);
	if (rc != 0)
		return rc;
	rc = PT_NS(map_tbl)(pt, lvl + 1, child, iova, last, oa, attrs, mapped);
	if (*mapped == before) {
		pt_table_free(pt, addr, PT_TABLE_SIZE);
		return rc;
	}
	/* W1: the child is complete; pairs with R1 in lookups. */
	pt_publish(slot, pt_mk_table(addr));
	return rc;
}

/* Map [iova, last] (within this table's span) into tbl at lvl. */
static int
PT_NS(map_tbl)(struct uiommu_pgtable *pt, unsigned int lvl, uint64_t *tbl,
	       uint64_t iova, uint64_t last, uint64_t oa, uint64_t attrs,
	       uint64_t *mapped)
{
	unsigned int shift = pt_lvl_shift(lvl);
	uint64_t span = 1ULL << shift;
	unsigned int nent = PT_NS(nent)(pt, lvl);
	unsigned int idx = PT_INDEX(iova, shift, nent);
	bool leaf_size_ok = pt_can_leaf(lvl) &&
			    (pt->cfg.pgsize_bitmap & span) != 0;
	uint64_t cur = iova;
	int rc;

	for (; idx < nent; idx++) {
		uint64_t eb = cur & ~(span - 1);
		uint64_t el = eb + (span - 1);
		uint64_t e = last < el ? last : el;
		uint64_t cur_oa = oa + (cur - iova);
		uint64_t pte = pt_load(&tbl[idx]);

		if (!pt_entry_valid(pte) && leaf_size_ok && cur == eb &&
		    e == el && (cur_oa & (span - 1)) == 0) {
			/* W1: a leaf; pairs with R1. */
			pt_publish(&tbl[idx], pt_mk_leaf(cur_oa, lvl, attrs));
			*mapped += span;
		} else if (!pt_entry_valid(pte)) {
			rc = PT_NS(map_new)(pt, lvl, &tbl[idx], cur, e, cur_oa,
					    attrs, mapped);
			if (rc != 0)
				return rc;
		} else if (pt_entry_is_table(pte, lvl)) {
			/*
			 * Something is mapped below (tables are never
			 * empty): go down with smaller leaves, so that on
			 * -EEXIST *mapped is exactly the free prefix.
			 */
			uint64_t *child = pt_table_ptr(pt, pt_entry_addr(pte),
						       PT_TABLE_SIZE);

			if (child == NULL)
				return -EFAULT;
			rc = PT_NS(map_tbl)(pt, lvl + 1, child, cur, e, cur_oa,
					    attrs, mapped);
			if (rc != 0)
				return rc;
		} else {
			return -EEXIST; /* a block covers part of the range */
		}
		if (e == last)
			return 0;
		cur = e + 1;
	}
	return 0;
}

static int
PT_NS(map)(struct uiommu_pgtable *pt, uint64_t iova, uint64_t last,
	   uint64_t oa, uint32_t prot, uint64_t *mapped)
{
	uint64_t *top = pt_table_ptr(pt, pt->root, pt->top_size);

	if (top == NULL)
		return -EFAULT;
	return PT_NS(map_tbl)(pt, pt->start_level, top, iova, last, oa,
			      pt_prot_attrs(prot), mapped);
}

/* --- unmap -------------------------------------------------------------- */

/*
 * Replace the block pte in *slot (level lvl) by a table of next-level
 * leaves translating exactly like it, and publish it (W1).
 */
static int
PT_NS(split)(struct uiommu_pgtable *pt, unsigned int lvl, uint64_t *slot,
	     uint64_t pte, uint64_t **child_out)
{
	unsigned int cl = lvl + 1;
	uint64_t cspan = 1ULL << pt_lvl_shift(cl);
	uint64_t oa = pt_entry_addr(pte), attrs = pt_leaf_attrs(pte);
	uint64_t addr, *child;
	int rc;

	rc = pt_table_alloc(pt, PT_TABLE_SIZE, &addr, &child);
	if (rc != 0)
		return rc;
	for (unsigned int i = 0; i < (1u << PT_ITEMS_LG2); i++)
		pt_store_private(&child[i],
				 pt_mk_leaf(oa + (uint64_t)i * cspan, cl, attrs));
	/* W1: the complete replacement table; pairs with R1. */
	pt_publish(slot, pt_mk_table(addr));
	*child_out = child;
	return 0;
}

/*
 * Unmap what lies in [iova, last] (within this table's span). *emptied is
 * set when this call cleared descriptors and left the table empty.
 */
static int
PT_NS(unmap_tbl)(struct uiommu_pgtable *pt, unsigned int lvl, uint64_t *tbl,
		 uint64_t iova, uint64_t last, uint64_t *unmapped,
		 bool *emptied)
{
	unsigned int shift = pt_lvl_shift(lvl);
	uint64_t span = 1ULL << shift;
	unsigned int nent = PT_NS(nent)(pt, lvl);
	unsigned int idx = PT_INDEX(iova, shift, nent);
	unsigned int hint = idx;
	struct PT_NS(run) run = { 0, 0, 0 };
	bool cleared = false;
	uint64_t cur = iova;
	int rc = 0;

	for (; idx < nent; idx++) {
		uint64_t eb = cur & ~(span - 1);
		uint64_t el = eb + (span - 1);
		uint64_t e = last < el ? last : el;
		uint64_t pte = pt_load(&tbl[idx]);

		if (!pt_entry_valid(pte)) {
			/* hole: nothing to do */
		} else if (!pt_entry_is_table(pte, lvl)) {
			if (cur == eb && e == el) {
				pt_publish(&tbl[idx], 0);
				*unmapped += span;
				cleared = true;
				hint = idx;
				PT_NS(run_add)(pt, &run, eb, span);
			} else {
				uint64_t *child;
				bool ce = false;

				rc = PT_NS(split)(pt, lvl, &tbl[idx], pte, &child);
				if (rc != 0)
					break;
				/* The child keeps the part outside [cur, e]. */
				rc = PT_NS(unmap_tbl)(pt, lvl + 1, child, cur, e,
						      unmapped, &ce);
				if (rc != 0)
					break;
			}
		} else {
			uint64_t caddr = pt_entry_addr(pte);
			uint64_t *child = pt_table_ptr(pt, caddr, PT_TABLE_SIZE);
			bool ce = false;

			if (child == NULL) {
				rc = -EFAULT;
				break;
			}
			rc = PT_NS(unmap_tbl)(pt, lvl + 1, child, cur, e,
					      unmapped, &ce);
			if (ce) {
				pt_publish(&tbl[idx], 0);
				PT_NS(run_flush)(pt, &run);
				PT_NS(walk_flush)(pt, eb, span);
				pt_table_free(pt, caddr, PT_TABLE_SIZE);
				cleared = true;
				hint = idx;
			}
			if (rc != 0)
				break;
		}
		if (e == last)
			break;
		cur = e + 1;
	}
	PT_NS(run_flush)(pt, &run);
	/* On error a block or table stays in this table: never empty. */
	if (rc == 0 && cleared)
		*emptied = pt_table_empty(tbl, nent, hint);
	return rc;
}

static int
PT_NS(unmap)(struct uiommu_pgtable *pt, uint64_t iova, uint64_t last,
	     uint64_t *unmapped)
{
	uint64_t *top = pt_table_ptr(pt, pt->root, pt->top_size);
	bool emptied = false;

	if (top == NULL)
		return -EFAULT;
	/* The top table stays even when emptied. */
	return PT_NS(unmap_tbl)(pt, pt->start_level, top, iova, last, unmapped,
				&emptied);
}

/* --- lookups ------------------------------------------------------------ */

static int
PT_NS(iova_to_phys)(const struct uiommu_pgtable *pt, uint64_t iova,
		    struct uiommu_pt_leaf *out)
{
	unsigned int lvl = pt->start_level;
	unsigned int nent = pt->top_entries;
	const uint64_t *tbl = pt_table_ptr(pt, pt->root, pt->top_size);

	/* Bounded: the level increases each step; at the last level every
	 * valid descriptor is a leaf. */
	while (tbl != NULL) {
		unsigned int shift = pt_lvl_shift(lvl);
		/* R1: pairs with W1 of the writer. */
		uint64_t pte = pt_load(&tbl[PT_INDEX(iova, shift, nent)]);

		if (!pt_entry_valid(pte))
			return -ENOENT;
		if (!pt_entry_is_table(pte, lvl)) {
			uint64_t size = 1ULL << shift;

			if (out != NULL) {
				out->leaf_iova = iova & ~(size - 1);
				out->leaf_oa = pt_entry_addr(pte);
				out->oa = out->leaf_oa | (iova & (size - 1));
				out->size = size;
				out->prot = pt_leaf_prot(pte);
				out->level = lvl;
				out->pte = pte;
			}
			return 0;
		}
		lvl++;
		nent = 1u << PT_ITEMS_LG2;
		tbl = pt_table_ptr(pt, pt_entry_addr(pte), PT_TABLE_SIZE);
	}
	return -EFAULT;
}

static int
PT_NS(walk_tbl)(const struct uiommu_pgtable *pt, unsigned int lvl,
		uint64_t tbl_addr, const uint64_t *tbl, uint64_t first,
		uint64_t last, uiommu_pt_visitor_t visitor, void *arg)
{
	unsigned int shift = pt_lvl_shift(lvl);
	uint64_t span = 1ULL << shift;
	unsigned int nent = PT_NS(nent)(pt, lvl);
	unsigned int idx = PT_INDEX(first, shift, nent);
	uint64_t cur = first;
	int rc;

	for (; idx < nent; idx++) {
		uint64_t eb = cur & ~(span - 1);
		uint64_t el = eb + (span - 1);
		uint64_t e = last < el ? last : el;
		uint64_t pte = pt_load(&tbl[idx]); /* R1 */

		if (pt_entry_valid(pte)) {
			struct uiommu_pt_visit v = {
				.level = lvl,
				.iova = eb,
				.size = span,
				.pte = pte,
				.table_addr = tbl_addr,
				.index = idx,
				.oa = pt_entry_addr(pte),
			};

			if (pt_entry_is_table(pte, lvl)) {
				const uint64_t *child =
					pt_table_ptr(pt, v.oa, PT_TABLE_SIZE);

				v.kind = UIOMMU_PT_VISIT_TABLE;
				rc = visitor(arg, &v);
				if (rc != 0)
					return rc;
				if (child == NULL)
					return -EFAULT;
				rc = PT_NS(walk_tbl)(pt, lvl + 1, v.oa, child,
						     cur, e, visitor, arg);
			} else {
				v.kind = UIOMMU_PT_VISIT_LEAF;
				v.prot = pt_leaf_prot(pte);
				rc = visitor(arg, &v);
			}
			if (rc != 0)
				return rc;
		}
		if (e == last)
			break;
		cur = e + 1;
	}
	return 0;
}

static int
PT_NS(walk)(const struct uiommu_pgtable *pt, uint64_t first, uint64_t last,
	    uiommu_pt_visitor_t visitor, void *arg)
{
	const uint64_t *top = pt_table_ptr(pt, pt->root, pt->top_size);

	if (top == NULL)
		return -EFAULT;
	return PT_NS(walk_tbl)(pt, pt->start_level, pt->root, top, first, last,
			       visitor, arg);
}

/* --- teardown ----------------------------------------------------------- */

static void
PT_NS(free_tbl)(struct uiommu_pgtable *pt, unsigned int lvl, uint64_t *tbl)
{
	unsigned int nent = PT_NS(nent)(pt, lvl);

	for (unsigned int i = 0; i < nent; i++) {
		uint64_t pte = tbl[i];
		uint64_t *child;

		if (!pt_entry_valid(pte) || !pt_entry_is_table(pte, lvl))
			continue;
		child = pt_table_ptr(pt, pt_entry_addr(pte), PT_TABLE_SIZE);
		if (child != NULL)
			PT_NS(free_tbl)(pt, lvl + 1, child);
		pt_table_free(pt, pt_entry_addr(pte), PT_TABLE_SIZE);
	}
}

static void
PT_NS(free_all)(struct uiommu_pgtable *pt)
{
	uint64_t *top = pt_table_ptr(pt, pt->root, pt->top_size);

	if (top != NULL)
		PT_NS(free_tbl)(pt, pt->start_level, top);
}

const struct pt_fmt_ops PT_NS(ops) = {
	.map = PT_NS(map),
	.unmap = PT_NS(unmap),
	.iova_to_phys = PT_NS(iova_to_phys),
	.walk = PT_NS(walk),
	.free_all = PT_NS(free_all),
};
