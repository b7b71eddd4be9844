/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fuzz target "ioas": arbitrary operation sequences on two IOASes
 * (lib/iova) checked against a naive model (sorted arrays of areas,
 * reserved and allowed ranges), as iommufd's IOAS rules in uiommu_iova.h
 * state them.
 *
 * For each call the model computes every errno the arguments justify; the
 * call must return 0 exactly when none applies, and otherwise one of them
 * (the order of the checks is the library's business) and leave the IOAS
 * unchanged. Allocation (map or copy without FIXED_IOVA) may also answer
 * -ENOSPC; what it returns must respect the placement rules: inside
 * [PAGE, 2^64 - 1 - PAGE] and the allowed ranges, clear of areas and
 * reserved ranges, aligned to the IOAS alignment, keeping the backing's
 * offset within a page. After every call: the area count, lookups at
 * sampled addresses, a foreach over a random window and the usable ranges
 * (iova_ranges) match the model.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <rte_common.h>

#include "fuzz.h"
#include "uiommu_iova.h"

#define PAGE UIOMMU_IOAS_PAGE_SIZE
#define RW (UIOMMU_IOAS_MAP_READABLE | UIOMMU_IOAS_MAP_WRITEABLE)
#define MAXA 128
#define MAXR 16
#define MAXW 4

struct marea {
	uint64_t start, last, backing;
	void *owner;
	uint32_t prot;
};

struct mres {
	uint64_t start, last;
	void *owner;
};

struct m {
	struct uiommu_ioas *ioas;
	struct marea a[MAXA];
	unsigned int na;
	struct mres r[MAXR];
	unsigned int nr;
	struct uiommu_range w[MAXW];  /* allowed, sorted */
	unsigned int nw;
	uint64_t align, max_areas;
};

static struct m ms[2];

static bool
ovl(uint64_t a, uint64_t b, uint64_t c, uint64_t d)
{
	return a <= d && c <= b;
}

static bool
hits_area(const struct m *m, uint64_t s, uint64_t l)
{
	for (unsigned int i = 0; i < m->na; i++)
		if (ovl(s, l, m->a[i].start, m->a[i].last))
			return true;
	return false;
}

static bool
hits_resv(const struct m *m, uint64_t s, uint64_t l)
{
	for (unsigned int i = 0; i < m->nr; i++)
		if (ovl(s, l, m->r[i].start, m->r[i].last))
			return true;
	return false;
}

static bool
hits_allowed(const struct m *m, uint64_t s, uint64_t l)
{
	for (unsigned int i = 0; i < m->nw; i++)
		if (ovl(s, l, m->w[i].start, m->w[i].last))
			return true;
	return false;
}

static bool
inside_allowed(const struct m *m, uint64_t s, uint64_t l)
{
	if (m->nw == 0)
		return true;
	for (unsigned int i = 0; i < m->nw; i++)
		if (s >= m->w[i].start && l <= m->w[i].last)
			return true;
	return false;
}

static void
m_add(struct m *m, uint64_t s, uint64_t l, uint64_t backing, void *owner,
      uint32_t prot)
{
	FZ_CHECK(m->na < MAXA);
	m->a[m->na++] = (struct marea){ s, l, backing, owner, prot };
}

static const struct marea *
m_at(const struct m *m, uint64_t iova)
{
	for (unsigned int i = 0; i < m->na; i++)
		if (iova >= m->a[i].start && iova <= m->a[i].last)
			return &m->a[i];
	return NULL;
}

/* ---- generators ------------------------------------------------------- */

static uint64_t
gen_addr(struct fz *f)
{
	switch (fz_below(f, 8)) {
	case 0: return fz_u64(f);
	case 1: return UINT64_MAX - PAGE * fz_below(f, 4) + 1 - PAGE;
	case 2: return fz_below(f, 4) * PAGE;
	case 3: return PAGE * fz_below(f, 64) + fz_below(f, 3);
	default: return PAGE * fz_below(f, 64);
	}
}

static uint64_t
gen_len(struct fz *f)
{
	switch (fz_below(f, 8)) {
	case 0: return fz_u64(f);
	case 1: return fz_below(f, 2) == 0 ? 0 : UINT64_MAX;
	case 2: return PAGE * fz_below(f, 4) + fz_below(f, 2);
	default: return PAGE * (1 + fz_below(f, 16));
	}
}

static uint32_t
gen_flags(struct fz *f)
{
	if (fz_rare(f, 8))
		return fz_u32(f);
	return (fz_u8(f) & (RW | UIOMMU_IOAS_MAP_FIXED_IOVA)) |
	       (fz_chance(f, 220) ? UIOMMU_IOAS_MAP_READABLE : 0);
}

/* ---- checks ----------------------------------------------------------- */

struct fe_ctx {
	const struct m *m;
	uint64_t first, last;
	unsigned int seen;
};

static int
fe_visit(const struct uiommu_ioas_area_info *info, void *arg)
{
	struct fe_ctx *c = arg;
	const struct marea *a = m_at(c->m, info->iova);

	FZ_CHECK(a != NULL && a->start == info->iova && a->last == info->last &&
		 a->backing == info->backing && a->owner == info->owner &&
		 a->prot == info->prot);
	FZ_CHECK(ovl(info->iova, info->last, c->first, c->last));
	c->seen++;
	return 0;
}

static int
cmp_range(const void *a, const void *b)
{
	const struct uiommu_range *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

static void
emit(const struct m *m, uint64_t a, uint64_t b, struct uiommu_range *out,
     unsigned int cap, unsigned int *n)
{
	if (m->nw == 0) {
		if (*n < cap)
			out[*n] = (struct uiommu_range){ a, b };
		(*n)++;
		return;
	}
	for (unsigned int i = 0; i < m->nw; i++) {
		uint64_t x = RTE_MAX(a, m->w[i].start), y = RTE_MIN(b, m->w[i].last);

		if (x > y)
			continue;
		if (*n < cap)
			out[*n] = (struct uiommu_range){ x, y };
		(*n)++;
	}
}

/* Usable ranges: [0, 2^64-1] minus reserved, intersected with allowed. */
static unsigned int
ref_ranges(const struct m *m, struct uiommu_range *out, unsigned int cap)
{
	struct uiommu_range r[MAXR];
	unsigned int n = 0;
	uint64_t pos = 0;

	for (unsigned int i = 0; i < m->nr; i++)
		r[i] = (struct uiommu_range){ m->r[i].start, m->r[i].last };
	qsort(r, m->nr, sizeof(r[0]), cmp_range);
	for (unsigned int i = 0; i < m->nr; i++) {
		if (r[i].last < pos)
			continue;
		if (r[i].start > pos)
			emit(m, pos, r[i].start - 1, out, cap, &n);
		if (r[i].last == UINT64_MAX)
			return n;
		pos = r[i].last + 1;
	}
	emit(m, pos, UINT64_MAX, out, cap, &n);
	return n;
}

static void
check(struct m *m, struct fz *f)
{
	struct uiommu_range got[64], want[64];
	struct uiommu_ioas_area_info info;
	struct fe_ctx c = { m, 0, 0, 0 };
	unsigned int nwant, expect = 0;
	uint32_t num = RTE_DIM(got);
	uint64_t align = 0;

	FZ_CHECK(uiommu_ioas_num_areas(m->ioas) == m->na);
	for (unsigned int k = 0; k < 3; k++) {
		const struct marea *a = m->na > 0 ? &m->a[fz_below(f, m->na)] : NULL;
		uint64_t iova = a != NULL && fz_chance(f, 160) ?
				a->start + fz_u64(f) % (a->last - a->start + 1) :
				gen_addr(f);
		const struct marea *x = m_at(m, iova);
		int rc = uiommu_ioas_lookup(m->ioas, iova, &info);

		FZ_CHECK(rc == (x != NULL ? 0 : -ENOENT));
		if (x != NULL)
			FZ_CHECK(info.iova == x->start && info.last == x->last &&
				 info.backing == x->backing);
	}
	c.first = gen_addr(f);
	c.last = gen_addr(f);
	if (c.first > c.last) {
		FZ_CHECK(uiommu_ioas_foreach(m->ioas, c.first, c.last, fe_visit,
					     &c) == -EINVAL);
	} else {
		FZ_CHECK(uiommu_ioas_foreach(m->ioas, c.first, c.last, fe_visit,
					     &c) == 0);
		for (unsigned int i = 0; i < m->na; i++)
			expect += ovl(m->a[i].start, m->a[i].last, c.first, c.last);
		FZ_CHECK(c.seen == expect);
	}
	nwant = ref_ranges(m, want, RTE_DIM(want));
	if (nwant <= RTE_DIM(want)) {
		FZ_CHECK(uiommu_ioas_iova_ranges(m->ioas, got, &num, &align) == 0);
		FZ_CHECKF(num == nwant, "%u usable ranges, model %u", num, nwant);
		FZ_CHECK(memcmp(got, want, num * sizeof(got[0])) == 0);
		FZ_CHECK(align == m->align);
	}
}

/* ---- operations ------------------------------------------------------- */

/* Placement rules of an allocated IOVA. */
static void
check_alloc(const struct m *m, uint64_t iova, uint64_t len, uint64_t backing)
{
	const uint64_t last = iova + len - 1;

	FZ_CHECK(iova >= PAGE && last >= iova && last <= UINT64_MAX - PAGE);
	FZ_CHECK(!hits_area(m, iova, last) && !hits_resv(m, iova, last));
	FZ_CHECK(inside_allowed(m, iova, last));
	FZ_CHECK(iova % m->align == 0);
	if (backing % PAGE != 0) {
		/* The backing's offset in its page is kept. */
		FZ_CHECK(iova % PAGE == backing % PAGE);
	} else {
		/* Aligned to min(pow2 >= length, lowest bit of backing, cap). */
		uint64_t a = 1;

		while (a < len && a < UIOMMU_IOAS_ALLOC_ALIGN_MAX)
			a <<= 1;
		if (backing != 0 && (backing & -backing) < a)
			a = backing & -backing;
		FZ_CHECKF(iova % a == 0, "iova %#lx len %#lx backing %#lx",
			  (unsigned long)iova, (unsigned long)len,
			  (unsigned long)backing);
	}
}

static void
op_map(struct m *m, struct fz *f)
{
	uint64_t backing = gen_addr(f), len = gen_len(f), iova = gen_addr(f);
	uint32_t flags = gen_flags(f);
	const bool fixed = flags & UIOMMU_IOAS_MAP_FIXED_IOVA;
	bool e_notsup = false, e_inval = false, e_ovf = false, e_exist = false,
	     e_nospc = false;
	void *owner = (void *)(uintptr_t)(1 + fz_below(f, 4));
	uint64_t tmp, in = iova;
	int rc;

	if (flags & ~(uint32_t)UIOMMU_IOAS_MAP_FLAGS_MASK)
		e_notsup = true;
	if (!(flags & RW) || len == 0 || len % m->align || backing % m->align)
		e_inval = true;
	if (len != 0 && __builtin_add_overflow(backing, len - 1, &tmp))
		e_ovf = true;
	if (fixed) {
		if (iova % m->align)
			e_inval = true;
		if (len != 0 && __builtin_add_overflow(iova, len - 1, &tmp)) {
			e_ovf = true;
		} else if (len != 0) {
			e_inval |= hits_resv(m, iova, tmp);
			e_exist |= hits_area(m, iova, tmp);
		}
	} else {
		if (len >= UINT64_MAX / 2)
			e_ovf = true;
		e_inval = true;   /* the capped alignment may be too small */
		e_nospc = true;
	}
	if (m->na >= m->max_areas)
		e_nospc = true;
	rc = uiommu_ioas_map(m->ioas, backing, len, &iova, flags, owner);
	if (rc == 0) {
		FZ_CHECK(!e_notsup && !e_ovf && !e_exist);
		FZ_CHECK(fixed ? !e_inval && iova == in : true);
		if (!fixed)
			check_alloc(m, iova, len, backing);
		FZ_CHECK(m->na < m->max_areas);
		m_add(m, iova, iova + len - 1, backing, owner, flags & RW);
		fz_stat(fixed ? "ioas: map fixed" : "ioas: map allocated");
		return;
	}
	FZ_CHECK(iova == in);
	FZ_CHECKF((rc == -EOPNOTSUPP && e_notsup) || (rc == -EINVAL && e_inval) ||
		  (rc == -EOVERFLOW && e_ovf) || (rc == -EEXIST && e_exist) ||
		  (rc == -ENOSPC && e_nospc),
		  "map(%#lx, %#lx, %#lx, %#x): %d", (unsigned long)backing,
		  (unsigned long)len, (unsigned long)in, flags, rc);
	fz_stat("ioas: map refused");
}

static void
op_unmap(struct m *m, struct fz *f)
{
	uint64_t iova, len, last, bytes = 0, unmapped = 1;
	bool partial = false, any = false;
	int rc;

	if (m->na > 0 && fz_chance(f, 128)) {
		const struct marea *a = &m->a[fz_below(f, m->na)];

		iova = a->start - (fz_chance(f, 200) ? 0 : fz_below(f, 2) * PAGE);
		len = a->last - iova + 1 + fz_below(f, 3) * PAGE;
	} else if (fz_rare(f, 16)) {
		iova = 0;
		len = UINT64_MAX;
	} else {
		iova = gen_addr(f);
		len = gen_len(f);
	}
	rc = uiommu_ioas_unmap(m->ioas, iova, len, &unmapped);
	if (len == 0) {
		FZ_CHECK(rc == -EINVAL);
		return;
	}
	if (__builtin_add_overflow(iova, len - 1, &last)) {
		FZ_CHECK(rc == -EOVERFLOW);
		return;
	}
	if (iova == 0 && len == UINT64_MAX)
		last = UINT64_MAX;        /* "everything" */
	for (unsigned int i = 0; i < m->na; i++) {
		if (!ovl(iova, last, m->a[i].start, m->a[i].last))
			continue;
		any = true;
		if (m->a[i].start < iova || m->a[i].last > last)
			partial = true;
	}
	if (!(iova == 0 && len == UINT64_MAX) && (!any || partial)) {
		FZ_CHECKF(rc == -ENOENT, "unmap: %d (any %d partial %d)", rc, any,
			  partial);
		FZ_CHECK(unmapped == 0);
		fz_stat("ioas: unmap refused");
		return;
	}
	FZ_CHECKF(rc == 0, "unmap(%#lx, %#lx): %d", (unsigned long)iova,
		  (unsigned long)len, rc);
	for (unsigned int i = 0; i < m->na; i++) {
		if (!ovl(iova, last, m->a[i].start, m->a[i].last))
			continue;
		{
			uint64_t l = m->a[i].last - m->a[i].start + 1;

			bytes = bytes > UINT64_MAX - l ? UINT64_MAX : bytes + l;
		}
		m->a[i--] = m->a[--m->na];
	}
	FZ_CHECK(unmapped == bytes);
	fz_stat("ioas: unmap");
}

static void
op_copy(struct m *dst, const struct m *src, struct fz *f)
{
	uint64_t s_iova, len, d_iova = gen_addr(f), in, last, pos;
	uint32_t flags = gen_flags(f);
	const bool fixed = flags & UIOMMU_IOAS_MAP_FIXED_IOVA;
	bool e_notsup = false, e_inval = false, e_ovf = false, e_exist = false,
	     e_noent = false, e_perm = false, e_nospc = false;
	struct marea pieces[MAXA];
	unsigned int np = 0;
	int rc;

	if (src->na > 0 && fz_chance(f, 200)) {
		const struct marea *a = &src->a[fz_below(f, src->na)];

		s_iova = a->start + (fz_chance(f, 128) ? 0 :
				     fz_u64(f) % (a->last - a->start + 1));
		len = fz_chance(f, 128) ? a->last - s_iova + 1 : gen_len(f);
	} else {
		s_iova = gen_addr(f);
		len = gen_len(f);
	}
	in = d_iova;
	if (flags & ~(uint32_t)UIOMMU_IOAS_MAP_FLAGS_MASK)
		e_notsup = true;
	if (!(flags & RW) || len == 0)
		e_inval = true;
	if (len != 0 && __builtin_add_overflow(s_iova, len - 1, &last)) {
		e_ovf = true;
	} else if (len != 0) {
		/* Source coverage, piece by piece. */
		for (pos = s_iova; np < MAXA;) {
			const struct marea *a = m_at(src, pos);
			uint64_t pl;

			if (a == NULL) {
				e_noent = true;
				break;
			}
			pl = RTE_MIN(a->last, last);
			pieces[np++] = (struct marea){ pos, pl,
				a->backing + (pos - a->start), a->owner,
				flags & RW };
			if ((flags & UIOMMU_IOAS_MAP_WRITEABLE) &&
			    !(a->prot & UIOMMU_IOAS_MAP_WRITEABLE))
				e_perm = true;
			if (pl == last)
				break;
			pos = pl + 1;
		}
	}
	for (unsigned int i = 0; i < np; i++)
		if ((pieces[i].last - pieces[i].start + 1) % dst->align ||
		    pieces[i].backing % dst->align)
			e_inval = true;
	if (fixed && !e_ovf && len != 0) {
		if (d_iova % dst->align)
			e_inval = true;
		if (__builtin_add_overflow(d_iova, len - 1, &last)) {
			e_ovf = true;
		} else {
			e_inval |= hits_resv(dst, d_iova, last);
			e_exist |= hits_area(dst, d_iova, last);
		}
	} else if (!fixed) {
		if (len >= UINT64_MAX / 2)
			e_ovf = true;
		e_inval = true;
		e_nospc = true;
	}
	if (dst->na + np > dst->max_areas)
		e_nospc = true;
	rc = uiommu_ioas_copy(dst->ioas, src->ioas, s_iova, len, &d_iova, flags);
	if (rc == 0) {
		FZ_CHECK(!e_notsup && !e_ovf && !e_exist && !e_noent && !e_perm);
		FZ_CHECK(fixed ? !e_inval && d_iova == in : true);
		if (!fixed)
			check_alloc(dst, d_iova, len, pieces[0].backing);
		for (unsigned int i = 0; i < np; i++) {
			struct marea p = pieces[i];
			uint64_t at = d_iova + (p.start - s_iova);

			m_add(dst, at, at + (p.last - p.start), p.backing, p.owner,
			      p.prot);
		}
		fz_stat("ioas: copy");
		return;
	}
	FZ_CHECK(d_iova == in);
	FZ_CHECKF((rc == -EOPNOTSUPP && e_notsup) || (rc == -EINVAL && e_inval) ||
		  (rc == -EOVERFLOW && e_ovf) || (rc == -EEXIST && e_exist) ||
		  (rc == -ENOENT && e_noent) || (rc == -EPERM && e_perm) ||
		  (rc == -ENOSPC && e_nospc),
		  "copy(%#lx, %#lx -> %#lx, %#x): %d", (unsigned long)s_iova,
		  (unsigned long)len, (unsigned long)in, flags, rc);
	fz_stat("ioas: copy refused");
}

static void
op_reserve(struct m *m, struct fz *f)
{
	uint64_t s = gen_addr(f), l = fz_chance(f, 200) ? s + gen_len(f) :
				      gen_addr(f);
	void *owner = (void *)(uintptr_t)(1 + fz_below(f, 3));
	int rc = uiommu_ioas_reserve(m->ioas, s, l, owner);

	if (s > l) {
		FZ_CHECK(rc == -EINVAL);
		return;
	}
	if (hits_area(m, s, l) || hits_allowed(m, s, l)) {
		FZ_CHECKF(rc == -EADDRINUSE, "reserve: %d", rc);
		return;
	}
	if (m->nr >= MAXR) {
		/* Our model is small; the library's limit is larger. */
		if (rc == 0)
			FZ_CHECK(uiommu_ioas_unreserve(m->ioas, owner) >= 1);
		for (unsigned int i = 0; rc == 0 && i < m->nr; i++)
			if (m->r[i].owner == owner)
				m->r[i--] = m->r[--m->nr];
		return;
	}
	FZ_CHECKF(rc == 0, "reserve(%#lx, %#lx): %d", (unsigned long)s,
		  (unsigned long)l, rc);
	m->r[m->nr++] = (struct mres){ s, l, owner };
	fz_stat("ioas: reserve");
}

static void
op_unreserve(struct m *m, struct fz *f)
{
	void *owner = (void *)(uintptr_t)(1 + fz_below(f, 3));
	unsigned int n = 0;

	for (unsigned int i = 0; i < m->nr; i++)
		if (m->r[i].owner == owner) {
			m->r[i--] = m->r[--m->nr];
			n++;
		}
	FZ_CHECK(uiommu_ioas_unreserve(m->ioas, owner) == n);
}

static void
op_allow(struct m *m, struct fz *f)
{
	struct uiommu_range r[MAXW];
	const unsigned int n = fz_below(f, MAXW + 1);
	bool e_inval = false, e_inuse = false;
	int rc;

	for (unsigned int i = 0; i < n; i++) {
		r[i].start = gen_addr(f);
		r[i].last = fz_chance(f, 200) ? r[i].start + gen_len(f) :
						gen_addr(f);
		if (r[i].start >= r[i].last)
			e_inval = true;
		for (unsigned int k = 0; k < i; k++)
			if (ovl(r[i].start, r[i].last, r[k].start, r[k].last))
				e_inval = true;
		if (hits_resv(m, r[i].start, r[i].last))
			e_inuse = true;
	}
	rc = uiommu_ioas_allow_iovas(m->ioas, r, n);
	if (!e_inval && !e_inuse) {
		FZ_CHECKF(rc == 0, "allow_iovas: %d", rc);
		memcpy(m->w, r, n * sizeof(r[0]));
		m->nw = n;
		qsort(m->w, n, sizeof(m->w[0]), cmp_range);
		fz_stat("ioas: allow_iovas");
	} else {
		FZ_CHECKF((rc == -EINVAL && e_inval) || (rc == -EADDRINUSE && e_inuse),
			  "allow_iovas: %d", rc);
	}
}

static void
op_align(struct m *m, struct fz *f)
{
	uint64_t a = fz_rare(f, 16) ? fz_u64(f) : 1ULL << fz_below(f, 14);
	bool e_inval = a == 0 || (a & (a - 1)) || a > PAGE, e_inuse = false;
	int rc;

	for (unsigned int i = 0; !e_inval && i < m->na; i++)
		if (m->a[i].start % a || (m->a[i].last - m->a[i].start + 1) % a ||
		    m->a[i].backing % a)
			e_inuse = true;
	rc = uiommu_ioas_set_alignment(m->ioas, a);
	if (e_inval) {
		FZ_CHECK(rc == -EINVAL);
	} else if (e_inuse) {
		FZ_CHECK(rc == -EADDRINUSE);
	} else {
		FZ_CHECK(rc == 0);
		m->align = a;
	}
	FZ_CHECK(uiommu_ioas_alignment(m->ioas) == m->align);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool init;
	unsigned int nops = 0;
	struct fz f;

	if (!init) {
		fz_quiet();
		init = true;
	}
	fz_init(&f, data, size);
	for (unsigned int i = 0; i < 2; i++) {
		memset(&ms[i], 0, sizeof(ms[i]));
		FZ_CHECK(uiommu_ioas_create(&ms[i].ioas) == 0);
		ms[i].align = 1;
		ms[i].max_areas = fz_chance(&f, 200) ? MAXA : 1 + fz_below(&f, 8);
		FZ_CHECK(uiommu_ioas_set_max_areas(ms[i].ioas, ms[i].max_areas) == 0);
	}
	while (!fz_empty(&f) && nops++ < 64) {
		const unsigned int k = fz_u8(&f);
		struct m *m = &ms[k & 1];

		switch ((k >> 1) % 9) {
		case 0: case 1: op_map(m, &f); break;
		case 2: op_unmap(m, &f); break;
		case 3: op_copy(m, &ms[fz_u8(&f) & 1], &f); break;
		case 4: op_reserve(m, &f); break;
		case 5: op_unreserve(m, &f); break;
		case 6: op_allow(m, &f); break;
		case 7: op_align(m, &f); break;
		default: check(m, &f); break;
		}
		if (m->na >= MAXA - 8)
			break;
	}
	for (unsigned int i = 0; i < 2; i++) {
		uint64_t bytes = 0, want = 0;

		check(&ms[i], &f);
		for (unsigned int k = 0; k < ms[i].na; k++) {
			uint64_t l = ms[i].a[k].last - ms[i].a[k].start + 1;

			want = want > UINT64_MAX - l ? UINT64_MAX : want + l;
		}
		FZ_CHECK(uiommu_ioas_unmap_all(ms[i].ioas, &bytes) == 0);
		FZ_CHECK(bytes == want);
		FZ_CHECK(uiommu_ioas_num_areas(ms[i].ioas) == 0);
		uiommu_ioas_destroy(ms[i].ioas);
	}
	return 0;
}
