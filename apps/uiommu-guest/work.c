/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Workloads: what a guest driver does with its IOMMU, and the checks that
 * every DMA did exactly what the mappings allowed.
 *
 * Design. One worker thread per vCMDQ drives its own devices; each
 * operation picks one of them. Buffers are made of guest pages taken one
 * by one from the allocator (so they are scattered in guest-physical
 * memory, as a real driver's are) and mapped at consecutive IOVAs of the
 * device's window; the data starts at a random offset in the first page.
 * Every DMA is checked byte for byte: the destination range equals the
 * source, and every other byte of the destination pages still holds the
 * poison written before (no overrun, no write elsewhere).
 *
 *  strict  per buffer: map src (read-only) and dst, DMA, verify, unmap,
 *          TLBI_NH_VA per page (one range TLBI for large buffers) and
 *          CMD_SYNC: the Linux DMA-API strict pattern.
 *  lazy    map, DMA and verify a batch of buffers, unmap them all, then
 *          one range TLBI per device and one CMD_SYNC (flush queue).
 *  churn   configuration changes: rewrite the CD to the device's other
 *          table (CFGI_CD + TLBI_NH_ASID), switch the STE to bypass and
 *          back, to abort, or to V = 0 (CFGI_STE each time), checking that
 *          DMA follows the configuration in force after each CMD_SYNC.
 *  mixed   a random choice among the three above for every operation.
 *  stale   the dedicated stale-TLB check: DMA to a buffer, unmap it
 *          WITHOUT invalidating, DMA again (as on hardware the cached
 *          translation may still be used: counted as landed or, when the
 *          entry was evicted, faulted), then TLBI + CMD_SYNC: from then on
 *          every DMA to the old IOVA must fault.
 *
 * Protection probes (every --probe-every operations): after unmap and
 * invalidation, a DMA to the old destination IOVA, or from the old source
 * IOVA, must end with DST_FAULT / SRC_FAULT, F_TRANSLATION, the right
 * fault IOVA and done = 0, and must leave the old destination bytes
 * unchanged; and, before the unmap, a DMA write into the read-only source
 * mapping must fault with F_PERMISSION without changing it. Each such
 * fault must also come back as exactly one record from EVENTS_READ (the
 * VM's main thread matches them: gvm_expect_event()).
 *
 * Nothing a worker does is timed except the CMD_SYNC round trips (cmdq.c)
 * and the DMA round trips (dma.c), which only feed histograms.
 */
#include <errno.h>
#include <inttypes.h>
#include <sched.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>

#include "guest.h"
#include "uiommu_backend.h"

/* A DMA buffer: guest pages mapped at consecutive IOVAs. */
struct gbuf {
	uint64_t iova;      /* IOVA of the first page */
	uint32_t npages;
	uint32_t off;       /* data offset in the first page */
	uint32_t len;       /* data bytes */
	int table;          /* stage-1 table it is mapped in, -1 if none */
	uint64_t *gpa;      /* its guest pages */
	struct gdev *dev;
};

/* Per-worker buffer storage (src/dst pairs of a lazy batch). */
struct gslots {
	struct gbuf src[G_MAX_BATCH], dst[G_MAX_BATCH];
	uint64_t *pages;    /* 2 * G_MAX_BATCH * max_pages */
	uint32_t max_pages;
};

#define VERIFY_FAIL 1

static int
wfail(struct gworker *w, struct gdev *d, const char *what, const char *fmt,
      ...) __attribute__((format(printf, 4, 5)));

static int
wfail(struct gworker *w, struct gdev *d, const char *what, const char *fmt,
      ...)
{
	char msg[160];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	w->st.mismatches++;
	gvm_fail(w->vm, VERIFY_FAIL, "queue %u vSID %u op %" PRIu64 " (%s): %s",
		 w->index, d != NULL ? d->vsid : 0, w->st.ops, what, msg);
	return -1;
}

/* ---------------------------------------------------------- IOVA window */

static bool
win_used(const struct gdev *d, uint32_t i)
{
	return (d->win_bitmap[i / 64] >> (i % 64)) & 1;
}

static void
win_set(struct gdev *d, uint32_t i, bool used)
{
	if (used)
		d->win_bitmap[i / 64] |= 1ULL << (i % 64);
	else
		d->win_bitmap[i / 64] &= ~(1ULL << (i % 64));
}

/* Next fit, with one unused guard page after each buffer. */
static int
win_alloc(struct gdev *d, uint32_t npages, uint64_t *iova)
{
	uint32_t need = npages + 1, i = d->win_next, scanned = 0;

	while (scanned < G_WIN_PAGES) {
		uint32_t k;

		if (i + need > G_WIN_PAGES) {
			scanned += G_WIN_PAGES - i;
			i = 0;
			continue;
		}
		for (k = 0; k < need; k++)
			if (win_used(d, i + k))
				break;
		if (k == need) {
			for (k = 0; k < npages; k++)
				win_set(d, i + k, true);
			*iova = d->win_base + (uint64_t)i * G_PAGE;
			d->win_next = i + need;
			return 0;
		}
		scanned += k + 1;
		i += k + 1;
	}
	return -ENOSPC;
}

static void
win_free(struct gdev *d, uint64_t iova, uint32_t npages)
{
	uint32_t first = (uint32_t)((iova - d->win_base) / G_PAGE);

	for (uint32_t k = 0; k < npages; k++)
		win_set(d, first + k, false);
}

/* ---------------------------------------------------------- buffers */

static uint8_t *
buf_at(struct gworker *w, const struct gbuf *b, uint64_t k, uint64_t *avail)
{
	uint64_t pos = (uint64_t)b->off + k;
	uint64_t in = pos % G_PAGE;

	*avail = G_PAGE - in;
	return gram_ptr(&w->vm->ram, b->gpa[pos / G_PAGE] + in, *avail);
}

static uint64_t
buf_dma(const struct gbuf *b)
{
	return b->iova + b->off;
}

/* Allocate pages and IOVAs for len bytes at a random offset. */
static int
buf_alloc(struct gworker *w, struct gdev *d, struct gbuf *b, uint32_t len,
	  bool random_off)
{
	uint32_t off = random_off ? (uint32_t)(g_rand(&w->rng) % G_PAGE) : 0;
	uint32_t np = (uint32_t)((off + (uint64_t)len + G_PAGE - 1) / G_PAGE);
	int rc;

	b->dev = d;
	b->off = off;
	b->len = len;
	b->npages = 0;
	b->table = -1;
	rc = win_alloc(d, np, &b->iova);
	if (rc != 0)
		return wfail(w, d, "alloc", "IOVA window full");
	for (uint32_t i = 0; i < np; i++) {
		rc = gram_alloc(&w->vm->ram, 1, 1, &b->gpa[i]);
		if (rc != 0) {
			for (uint32_t k = 0; k < i; k++)
				gram_free(&w->vm->ram, b->gpa[k], 1);
			win_free(d, b->iova, np);
			gvm_fail(w->vm, 2, "guest RAM exhausted: raise --ram-mb "
				 "or lower --buf-size/--batch");
			return -1;
		}
	}
	b->npages = np;
	return 0;
}

static void
buf_free(struct gworker *w, struct gbuf *b)
{
	for (uint32_t i = 0; i < b->npages; i++)
		gram_free(&w->vm->ram, b->gpa[i], 1);
	if (b->npages != 0)
		win_free(b->dev, b->iova, b->npages);
	b->npages = 0;
}

/* Fill every page with poison, then (src) the data range with random bytes. */
static void
buf_fill(struct gworker *w, struct gbuf *b, uint8_t poison, bool data)
{
	for (uint32_t i = 0; i < b->npages; i++)
		memset(gram_ptr(&w->vm->ram, b->gpa[i], G_PAGE), poison,
		       G_PAGE);
	if (!data)
		return;
	for (uint64_t k = 0; k < b->len;) {
		uint64_t avail, n;
		uint8_t *p = buf_at(w, b, k, &avail);

		n = b->len - k < avail ? b->len - k : avail;
		g_fill(p, n, &w->rng);
		k += n;
	}
}

/* Map the pages at consecutive IOVAs (runs of consecutive GPAs at once). */
static int
buf_map(struct gworker *w, struct gbuf *b, unsigned int table, uint32_t prot)
{
	struct gs1 *s = &b->dev->s1[table];

	for (uint32_t i = 0; i < b->npages;) {
		uint32_t n = 1;
		int rc;

		while (i + n < b->npages && b->gpa[i + n] == b->gpa[i] + n * G_PAGE)
			n++;
		rc = gs1_map(s, b->iova + (uint64_t)i * G_PAGE, b->gpa[i],
			     (uint64_t)n * G_PAGE, prot);
		if (rc != 0) {
			if (i != 0)
				gs1_unmap(s, b->iova, (uint64_t)i * G_PAGE);
			if (rc == -ENOMEM) {
				gvm_fail(w->vm, 2, "guest RAM exhausted by "
					 "stage-1 tables: raise --ram-mb");
				return -1;
			}
			return wfail(w, b->dev, "map", "stage-1 map of 0x%" PRIx64
				     " failed: %s", b->iova, strerror(-rc));
		}
		i += n;
	}
	w->st.maps++;
	w->st.pages_mapped += b->npages;
	b->table = (int)table;
	return 0;
}

static int
buf_unmap(struct gworker *w, struct gbuf *b)
{
	int rc;

	if (b->table < 0)
		return 0;
	rc = gs1_unmap(&b->dev->s1[b->table], b->iova,
		       (uint64_t)b->npages * G_PAGE);
	if (rc != 0)
		return wfail(w, b->dev, "unmap", "stage-1 unmap of 0x%" PRIx64
			     " failed: %s", b->iova, strerror(-rc));
	w->st.unmaps++;
	return 0;
}

/* Queue the invalidation of a buffer's IOVAs: one TLBI per page, or one
 * range TLBI when the buffer is large. */
static int
buf_tlbi(struct gworker *w, const struct gbuf *b, int table)
{
	struct uiommu_cmd_info ci;
	uint16_t asid = b->dev->s1[table].asid;
	int rc = 0;

	if (b->npages > 8) {
		gcmd_tlbi_range(&ci, UIOMMU_CMD_TLBI_NH_VA, asid, b->iova,
				b->iova + (uint64_t)b->npages * G_PAGE - 1);
		return gq_cmd(&w->q, &ci);
	}
	for (uint32_t i = 0; i < b->npages && rc == 0; i++) {
		gcmd_tlbi_va(&ci, asid, b->iova + (uint64_t)i * G_PAGE, true);
		rc = gq_cmd(&w->q, &ci);
	}
	return rc;
}

/* Every byte of b's pages outside its data range still holds the poison. */
static int
check_outside(struct gworker *w, const struct gbuf *b, uint8_t poison,
	      const char *what)
{
	uint64_t first = b->off, end = (uint64_t)b->off + b->len;

	for (uint32_t pg = 0; pg < b->npages; pg++) {
		const uint8_t *p = gram_ptr(&w->vm->ram, b->gpa[pg], G_PAGE);
		uint64_t base = (uint64_t)pg * G_PAGE;

		for (uint64_t i = 0; i < G_PAGE; i++) {
			uint64_t pos = base + i;

			if (pos >= first && pos < end)
				continue;
			if (p[i] != poison)
				return wfail(w, b->dev, what,
					"byte %" PRIu64 " of page %u, outside "
					"the %u-byte transfer, was written "
					"(0x%02x, poison 0x%02x)", i, pg,
					b->len, p[i], poison);
		}
	}
	return 0;
}

/*
 * Compare dst's data with src's; then dst's other bytes with the poison.
 * @return 0, or -1 after reporting the first difference.
 */
static int
buf_verify(struct gworker *w, const struct gbuf *src, const struct gbuf *dst,
	   uint8_t poison, const char *what)
{
	uint64_t k = 0, len = dst->len;

	while (k < len) {
		uint64_t a1, a2, n;
		const uint8_t *s = buf_at(w, src, k, &a1);
		const uint8_t *t = buf_at(w, dst, k, &a2);

		n = len - k;
		n = n < a1 ? n : a1;
		n = n < a2 ? n : a2;
		if (memcmp(s, t, n) != 0) {
			for (uint64_t i = 0; i < n; i++)
				if (s[i] != t[i])
					return wfail(w, dst->dev, what,
						"byte %" PRIu64 " of %" PRIu64
						" differs: expected 0x%02x, "
						"found 0x%02x (IOVA 0x%" PRIx64
						")", k + i, len, s[i], t[i],
						buf_dma(dst) + k + i);
		}
		k += n;
	}
	return check_outside(w, dst, poison, what);
}

/* Gather a buffer's data bytes into out (len bytes). */
static void
buf_read(struct gworker *w, const struct gbuf *b, uint8_t *out)
{
	for (uint64_t k = 0; k < b->len;) {
		uint64_t avail, n;
		const uint8_t *p = buf_at(w, b, k, &avail);

		n = b->len - k < avail ? b->len - k : avail;
		memcpy(out + k, p, n);
		k += n;
	}
}

/* A buffer's data equals bytes[] and its other bytes the poison. */
static int
buf_equal(struct gworker *w, const struct gbuf *b, const uint8_t *bytes,
	  uint8_t poison, const char *what)
{
	for (uint64_t k = 0; k < b->len;) {
		uint64_t avail, n;
		const uint8_t *p = buf_at(w, b, k, &avail);

		n = b->len - k < avail ? b->len - k : avail;
		if (memcmp(p, bytes + k, n) != 0)
			return wfail(w, b->dev, what, "data at IOVA 0x%" PRIx64
				     " + %" PRIu64 " changed", buf_dma(b), k);
		k += n;
	}
	return check_outside(w, b, poison, what);
}

/* Every byte of a buffer's pages equals v. */
static int
buf_check_all(struct gworker *w, const struct gbuf *b, uint8_t v,
	      const char *what)
{
	for (uint32_t pg = 0; pg < b->npages; pg++) {
		const uint8_t *p = gram_ptr(&w->vm->ram, b->gpa[pg], G_PAGE);

		for (uint64_t i = 0; i < G_PAGE; i++)
			if (p[i] != v)
				return wfail(w, b->dev, what, "byte %" PRIu64
					     " of page %u changed to 0x%02x "
					     "(expected 0x%02x): a DMA that "
					     "had to fault wrote memory", i,
					     pg, p[i], v);
	}
	return 0;
}

/* ---------------------------------------------------------- DMA + checks */

static int
dma(struct gworker *w, struct gdev *d, uint64_t src, uint64_t dst,
    uint32_t len, struct gdma_res *res, const char *what)
{
	uint32_t herr = 0;
	int rc = gdma_copy(&d->dma, src, dst, len, res, &herr);

	if (rc == -EIO)
		return wfail(w, d, what, "engine halted (error %u) on a "
			     "descriptor ring that is mapped", herr);
	if (rc != 0) {
		gvm_fail(w->vm, 2, "queue %u vSID %u: DMA did not complete "
			 "within the timeout (is the manager polling?)",
			 w->index, d->vsid);
		return -1;
	}
	ghist_add(&w->dma_lat, res->ns);
	return 0;
}

/* DMA src -> dst that must succeed, then verify. */
static int
dma_ok(struct gworker *w, const struct gbuf *src, const struct gbuf *dst,
       uint8_t poison, const char *what)
{
	struct gdma_res r;

	if (dma(w, dst->dev, buf_dma(src), buf_dma(dst), dst->len, &r, what))
		return -1;
	if (r.code != UIOMMU_SOFT_DMA_ST_OK || r.done != dst->len)
		return wfail(w, dst->dev, what, "DMA of %u bytes 0x%" PRIx64
			     " -> 0x%" PRIx64 " failed: status %u event 0x%x "
			     "done %u fault IOVA 0x%" PRIx64, dst->len,
			     buf_dma(src), buf_dma(dst), r.code, r.event,
			     r.done, r.fault_iova);
	if (buf_verify(w, src, dst, poison, what) != 0)
		return -1;
	w->st.dma_ok++;
	w->st.bytes_verified += dst->len;
	return 0;
}

/*
 * A DMA that must fault: status code, event, fault IOVA and done = 0 are
 * checked, and the fault record is expected from EVENTS_READ.
 */
static int
dma_fault(struct gworker *w, struct gdev *d, uint64_t src, uint64_t dst,
	  uint32_t len, uint32_t code, enum gev_kind kind, const char *what)
{
	uint64_t want_iova = code == UIOMMU_SOFT_DMA_ST_SRC_FAULT ? src : dst;
	struct gdma_res r;

	w->st.probes++;
	w->st.faults_expected++;
	if (dma(w, d, src, dst, len, &r, what))
		return -1;
	if (r.code == UIOMMU_SOFT_DMA_ST_OK)
		return wfail(w, d, what, "DMA 0x%" PRIx64 " -> 0x%" PRIx64
			     " had to fault at IOVA 0x%" PRIx64 " but landed "
			     "(%u bytes copied): the IOMMU still translates "
			     "it (a missing or ineffective invalidation?)",
			     src, dst, want_iova, r.done);
	if (r.code != code || r.event != gev_id(kind) || r.done != 0 ||
	    r.fault_iova != want_iova)
		return wfail(w, d, what, "DMA 0x%" PRIx64 " -> 0x%" PRIx64
			     " had to fault (status %u, event 0x%x, IOVA 0x%"
			     PRIx64 ", done 0) but ended with status %u, "
			     "event 0x%x, IOVA 0x%" PRIx64 ", done %u", src,
			     dst, code, gev_id(kind), want_iova, r.code,
			     r.event, r.fault_iova, r.done);
	w->st.faults_seen++;
	gvm_expect_event(w->vm, d, kind);
	return 0;
}

/* Static probe pages of a device as buffers. */
static void
probe_buf(struct gdev *d, struct gbuf *b, uint64_t *gpa, bool src)
{
	*gpa = src ? d->probe_src_gpa : d->probe_dst_gpa;
	b->iova = *gpa;  /* identity-mapped */
	b->npages = 1;
	b->off = 0;
	b->len = (uint32_t)G_PAGE;
	b->table = -1;
	b->gpa = gpa;
	b->dev = d;
}

static bool
probe_due(struct gworker *w)
{
	unsigned int every = w->vm->o->probe_every;

	return every != 0 && g_rand(&w->rng) % every == 0;
}

/* Write into the read-only source mapping: F_PERMISSION, and the source
 * still equals its verified copy in dst. */
static int
probe_perm(struct gworker *w, const struct gbuf *src, const struct gbuf *dst,
	   uint8_t poison)
{
	struct gdev *d = src->dev;
	uint32_t len = src->len < G_PAGE ? src->len : (uint32_t)G_PAGE;

	if (dma_fault(w, d, d->probe_src_gpa, buf_dma(src), len,
		      UIOMMU_SOFT_DMA_ST_DST_FAULT, G_EV_PERMISSION,
		      "write to read-only IOVA"))
		return -1;
	return buf_verify(w, dst, src, (uint8_t)~poison,
			  "read-only buffer after faulting write");
}

/*
 * After unmap + invalidation: DMA to the old dst and from the old src must
 * fault; the old dst bytes (still the verified copy of src) must stay.
 */
static int
probe_unmapped(struct gworker *w, const struct gbuf *src,
	       const struct gbuf *dst, uint8_t poison)
{
	struct gdev *d = dst->dev;
	struct gbuf pd;
	uint64_t pd_gpa;
	uint32_t len = dst->len < G_PAGE ? dst->len : (uint32_t)G_PAGE;

	if (dma_fault(w, d, d->probe_src_gpa, buf_dma(dst), len,
		      UIOMMU_SOFT_DMA_ST_DST_FAULT, G_EV_TRANSLATION,
		      "DMA to unmapped IOVA"))
		return -1;
	if (buf_verify(w, src, dst, poison, "old buffer after faulting DMA"))
		return -1;
	probe_buf(d, &pd, &pd_gpa, false);
	memset(gram_ptr(&w->vm->ram, pd_gpa, G_PAGE), poison, G_PAGE);
	if (dma_fault(w, d, buf_dma(src), d->probe_dst_gpa, len,
		      UIOMMU_SOFT_DMA_ST_SRC_FAULT, G_EV_TRANSLATION,
		      "DMA from unmapped IOVA"))
		return -1;
	return buf_check_all(w, &pd, poison, "probe page after faulting DMA");
}

/* ---------------------------------------------------------- workloads */

static struct gdev *
pick_dev(struct gworker *w)
{
	return w->devs[g_rand(&w->rng) % w->ndevs];
}

static uint32_t
pick_len(struct gworker *w)
{
	uint32_t max = w->vm->o->buf_size;

	/* Mostly the full size, sometimes shorter (odd lengths too). */
	if (g_rand(&w->rng) % 4 == 0)
		return 1 + (uint32_t)(g_rand(&w->rng) % max);
	return max;
}

/* Allocate, map, fill a src/dst pair in the device's active table. */
static int
pair_setup(struct gworker *w, struct gdev *d, struct gbuf *src,
	   struct gbuf *dst, uint32_t len, uint8_t poison)
{
	if (buf_alloc(w, d, src, len, true))
		return -1;
	if (buf_alloc(w, d, dst, len, true)) {
		buf_free(w, src);
		return -1;
	}
	buf_fill(w, src, (uint8_t)~poison, true);
	buf_fill(w, dst, poison, false);
	if (buf_map(w, src, d->active, UIOMMU_PT_PROT_READ) ||
	    buf_map(w, dst, d->active, UIOMMU_PT_PROT_READ | UIOMMU_PT_PROT_WRITE)) {
		buf_unmap(w, src);
		return -1;
	}
	return 0;
}

static int
op_strict(struct gworker *w, struct gslots *sl)
{
	struct gdev *d = pick_dev(w);
	struct gbuf *src = &sl->src[0], *dst = &sl->dst[0];
	uint8_t poison = (uint8_t)g_rand(&w->rng);
	bool probe = probe_due(w);

	if (pair_setup(w, d, src, dst, pick_len(w), poison))
		return -1;
	if (dma_ok(w, src, dst, poison, "strict DMA"))
		return -1;
	if (probe && probe_perm(w, src, dst, poison))
		return -1;
	if (buf_unmap(w, src) || buf_unmap(w, dst))
		return -1;
	/* --omit-tlbi: the bug this simulator exists to catch. */
	if (!w->vm->o->omit_tlbi &&
	    (buf_tlbi(w, src, src->table) || buf_tlbi(w, dst, dst->table)))
		return -1;
	if (gq_sync(&w->q))
		return -1;
	if (probe && probe_unmapped(w, src, dst, poison))
		return -1;
	buf_free(w, src);
	buf_free(w, dst);
	w->st.ops++;
	return 0;
}

static int
op_lazy(struct gworker *w, struct gslots *sl, uint64_t budget)
{
	unsigned int n = w->vm->o->batch;
	uint8_t poison[G_MAX_BATCH];
	uint64_t lo[G_MAX_DEVICES], hi[G_MAX_DEVICES];
	int lo_table[G_MAX_DEVICES];
	struct uiommu_cmd_info ci;

	if (n > budget)
		n = (unsigned int)budget;
	for (unsigned int i = 0; i < w->ndevs; i++) {
		lo[i] = UINT64_MAX;
		hi[i] = 0;
		lo_table[i] = -1;
	}
	for (unsigned int i = 0; i < n; i++) {
		struct gdev *d = pick_dev(w);

		poison[i] = (uint8_t)g_rand(&w->rng);
		if (pair_setup(w, d, &sl->src[i], &sl->dst[i], pick_len(w),
			       poison[i]))
			return -1;
		if (dma_ok(w, &sl->src[i], &sl->dst[i], poison[i], "lazy DMA"))
			return -1;
	}
	/* Unmap everything, no invalidation yet. */
	for (unsigned int i = 0; i < n; i++) {
		struct gbuf *bufs[2] = { &sl->src[i], &sl->dst[i] };

		for (unsigned int k = 0; k < 2; k++) {
			struct gbuf *b = bufs[k];
			unsigned int di;
			uint64_t last = b->iova + (uint64_t)b->npages * G_PAGE - 1;

			for (di = 0; di < w->ndevs; di++)
				if (w->devs[di] == b->dev)
					break;
			if (buf_unmap(w, b))
				return -1;
			if (b->iova < lo[di])
				lo[di] = b->iova;
			if (last > hi[di])
				hi[di] = last;
			lo_table[di] = b->table;
		}
	}
	/* One range invalidation per device, one CMD_SYNC. */
	for (unsigned int di = 0; di < w->ndevs; di++) {
		if (lo_table[di] < 0)
			continue;
		gcmd_tlbi_range(&ci, UIOMMU_CMD_TLBI_NH_VA,
				w->devs[di]->s1[lo_table[di]].asid, lo[di],
				hi[di]);
		if (gq_cmd(&w->q, &ci))
			return -1;
	}
	if (gq_sync(&w->q))
		return -1;
	for (unsigned int i = 0; i < n; i++) {
		if (probe_due(w) &&
		    probe_unmapped(w, &sl->src[i], &sl->dst[i], poison[i]))
			return -1;
		buf_free(w, &sl->src[i]);
		buf_free(w, &sl->dst[i]);
	}
	w->st.ops += n;
	return 0;
}

/* Rewrite the CD to the other table, with X mapped differently in each. */
static int
churn_cd(struct gworker *w, struct gdev *d, struct gslots *sl)
{
	struct gbuf *pa = &sl->dst[0], *pb = &sl->dst[1], ps;
	unsigned int a = d->active, b = 1 - a;
	uint8_t poison = (uint8_t)g_rand(&w->rng);
	uint32_t len = pick_len(w);
	uint64_t *pb_store = sl->dst[1].gpa;
	struct uiommu_cmd_info ci;
	uint8_t first[G_PAGE];
	uint64_t ps_gpa;

	if (len > G_PAGE)
		len = (uint32_t)G_PAGE;
	probe_buf(d, &ps, &ps_gpa, true);
	ps.len = len;
	if (buf_alloc(w, d, pa, len, true))
		return -1;
	/* The same IOVAs, other pages, in the other table. */
	*pb = *pa;
	pb->gpa = pb_store;
	for (uint32_t i = 0; i < pa->npages; i++)
		if (gram_alloc(&w->vm->ram, 1, 1, &pb->gpa[i]) != 0) {
			gvm_fail(w->vm, 2, "guest RAM exhausted");
			return -1;
		}
	buf_fill(w, pa, poison, false);
	buf_fill(w, pb, poison, false);
	if (buf_map(w, pa, a, UIOMMU_PT_PROT_READ | UIOMMU_PT_PROT_WRITE) ||
	    buf_map(w, pb, b, UIOMMU_PT_PROT_READ | UIOMMU_PT_PROT_WRITE))
		return -1;
	g_fill(gram_ptr(&w->vm->ram, ps_gpa, G_PAGE), G_PAGE, &w->rng);
	if (dma_ok(w, &ps, pa, poison, "DMA before CD switch") ||
	    buf_check_all(w, pb, poison, "other table's page before switch"))
		return -1;
	buf_read(w, pa, first);
	/* Switch the CD to table b. */
	gs1_write_cd(&w->vm->ram, d->cd_gpa, &d->s1[b]);
	gcmd_cfgi_cd(&ci, d->vsid, 0);
	if (gq_cmd(&w->q, &ci))
		return -1;
	gcmd_tlbi_asid(&ci, d->s1[b].asid);
	if (gq_cmd(&w->q, &ci) || gq_sync(&w->q))
		return -1;
	d->active = b;
	w->st.cd_swaps++;
	/* New data must land in table b's pages; table a's keep the old copy. */
	g_fill(gram_ptr(&w->vm->ram, ps_gpa, G_PAGE), G_PAGE, &w->rng);
	if (dma_ok(w, &ps, pb, poison, "DMA after CD switch"))
		return -1;
	/* Table a's pages still hold the first copy: the CD change was
	 * honoured for the whole transfer. */
	if (buf_equal(w, pa, first, poison, "old table's pages after CD switch"))
		return -1;
	if (buf_unmap(w, pa) || buf_unmap(w, pb) ||
	    buf_tlbi(w, pa, (int)a) || buf_tlbi(w, pb, (int)b) ||
	    gq_sync(&w->q))
		return -1;
	if (probe_due(w) &&
	    dma_fault(w, d, d->probe_src_gpa, buf_dma(pb), len,
		      UIOMMU_SOFT_DMA_ST_DST_FAULT, G_EV_TRANSLATION,
		      "DMA to unmapped IOVA after CD switch"))
		return -1;
	for (uint32_t i = 0; i < pb->npages; i++)
		gram_free(&w->vm->ram, pb->gpa[i], 1);
	buf_free(w, pa);
	return 0;
}

static int
set_ste(struct gworker *w, struct gdev *d, enum gste_kind k)
{
	struct uiommu_cmd_info ci;

	gste_write(&w->vm->ram, w->vm->strtab_gpa, d->vsid, k, d->cd_gpa);
	d->ste = k;
	gcmd_cfgi_ste(&ci, d->vsid);
	if (gq_cmd(&w->q, &ci))
		return -1;
	return gq_sync(&w->q);
}

/* STE bypass: IOVA = GPA; back to S1: the same GPAs fault. */
static int
churn_bypass(struct gworker *w, struct gdev *d)
{
	struct gbuf s, t;
	uint64_t sg, tg;
	uint8_t poison = (uint8_t)g_rand(&w->rng);
	uint32_t len = pick_len(w);
	int rc = -1;

	if (len > G_PAGE)
		len = (uint32_t)G_PAGE;
	if (gram_alloc(&w->vm->ram, 1, 1, &sg) != 0)
		return gvm_fail(w->vm, 2, "guest RAM exhausted"), -1;
	if (gram_alloc(&w->vm->ram, 1, 1, &tg) != 0) {
		gram_free(&w->vm->ram, sg, 1);
		return gvm_fail(w->vm, 2, "guest RAM exhausted"), -1;
	}
	s = (struct gbuf){ .iova = sg, .npages = 1, .len = len, .table = -1,
			   .gpa = &sg, .dev = d };
	t = (struct gbuf){ .iova = tg, .npages = 1, .len = len, .table = -1,
			   .gpa = &tg, .dev = d };
	buf_fill(w, &s, (uint8_t)~poison, true);
	buf_fill(w, &t, poison, false);
	if (set_ste(w, d, G_STE_BYPASS))
		goto out;
	if (dma_ok(w, &s, &t, poison, "DMA with bypass STE"))
		goto out;
	if (set_ste(w, d, G_STE_S1))
		goto out;
	w->st.ste_bypass++;
	buf_fill(w, &t, poison, false);
	/* The GPAs are not mapped in stage 1: the source read faults. */
	if (dma_fault(w, d, sg, tg, len, UIOMMU_SOFT_DMA_ST_SRC_FAULT,
		      G_EV_TRANSLATION, "GPA as IOVA after bypass -> S1") ||
	    buf_check_all(w, &t, poison, "DMA after bypass -> S1"))
		goto out;
	rc = 0;
out:
	gram_free(&w->vm->ram, sg, 1);
	gram_free(&w->vm->ram, tg, 1);
	return rc;
}

/* STE abort or V = 0: the engine cannot even fetch its descriptor and
 * halts; with S1 restored and the engine restarted, the same descriptor
 * runs and lands. */
static int
churn_block(struct gworker *w, struct gdev *d, bool invalid)
{
	struct gbuf ps, pd;
	uint64_t ps_gpa, pd_gpa;
	uint8_t poison = (uint8_t)g_rand(&w->rng);
	struct gdma_res r;
	uint32_t herr = 0;
	int rc;

	probe_buf(d, &ps, &ps_gpa, true);
	probe_buf(d, &pd, &pd_gpa, false);
	g_fill(gram_ptr(&w->vm->ram, ps_gpa, G_PAGE), G_PAGE, &w->rng);
	memset(gram_ptr(&w->vm->ram, pd_gpa, G_PAGE), poison, G_PAGE);
	if (set_ste(w, d, invalid ? G_STE_INVALID : G_STE_ABORT))
		return -1;
	gdma_submit(&d->dma, ps_gpa, pd_gpa, (uint32_t)G_PAGE, 0);
	rc = gdma_wait(&d->dma, &r, &herr);
	if (rc == 0)
		return wfail(w, d, invalid ? "STE V=0" : "STE abort",
			     "the engine ran a descriptor (status %u) while "
			     "its STE blocks all traffic", r.code);
	if (rc != -EIO) {
		gvm_fail(w->vm, 2, "vSID %u: engine neither halted nor ran "
			 "within the timeout", d->vsid);
		return -1;
	}
	if (herr != UIOMMU_SOFT_DMA_ERR_FETCH)
		return wfail(w, d, "blocked STE", "engine halted with error "
			     "%u, expected %u (descriptor fetch)", herr,
			     UIOMMU_SOFT_DMA_ERR_FETCH);
	if (invalid)
		gvm_expect_event(w->vm, d, G_EV_BAD_STE);
	if (buf_check_all(w, &pd, poison, "blocked STE"))
		return -1;
	if (set_ste(w, d, G_STE_S1))
		return -1;
	if (gdma_restart(&d->dma) != 0) {
		gvm_fail(w->vm, 2, "vSID %u: engine did not restart", d->vsid);
		return -1;
	}
	w->st.engine_restarts++;
	rc = gdma_wait(&d->dma, &r, &herr);
	if (rc != 0 || r.code != UIOMMU_SOFT_DMA_ST_OK)
		return wfail(w, d, "STE restored", "the held descriptor did "
			     "not complete (rc %d, status %u, halt %u)", rc,
			     r.code, herr);
	ghist_add(&w->dma_lat, r.ns);
	if (buf_verify(w, &ps, &pd, poison, "STE restored"))
		return -1;
	w->st.dma_ok++;
	w->st.bytes_verified += pd.len;
	if (invalid)
		w->st.ste_invalid++;
	else
		w->st.ste_abort++;
	return 0;
}

static int
op_churn(struct gworker *w, struct gslots *sl)
{
	struct gdev *d = pick_dev(w);
	unsigned int r = (unsigned int)(g_rand(&w->rng) % 100);
	int rc;

	if (r < 55)
		rc = churn_cd(w, d, sl);
	else if (r < 75)
		rc = churn_bypass(w, d);
	else
		rc = churn_block(w, d, r >= 90);
	if (rc == 0)
		w->st.ops++;
	return rc;
}

static int
op_stale(struct gworker *w, struct gslots *sl)
{
	struct gdev *d = pick_dev(w);
	struct gbuf *src = &sl->src[0], *dst = &sl->dst[0];
	uint8_t poison = (uint8_t)g_rand(&w->rng);
	uint32_t len = pick_len(w);
	struct gdma_res r;
	int table;

	if (len > G_PAGE)
		len = (uint32_t)G_PAGE;
	if (buf_alloc(w, d, src, len, false) || buf_alloc(w, d, dst, len, false))
		return -1;
	buf_fill(w, src, (uint8_t)~poison, true);
	buf_fill(w, dst, poison, false);
	if (buf_map(w, src, d->active, UIOMMU_PT_PROT_READ) ||
	    buf_map(w, dst, d->active, UIOMMU_PT_PROT_READ | UIOMMU_PT_PROT_WRITE))
		return -1;
	if (dma_ok(w, src, dst, poison, "stale: first DMA"))
		return -1;
	/* Unmap WITHOUT invalidation. */
	table = dst->table;
	if (buf_unmap(w, dst))
		return -1;
	buf_fill(w, src, (uint8_t)~poison, true);
	if (dma(w, d, buf_dma(src), buf_dma(dst), len, &r, "stale DMA"))
		return -1;
	if (r.code == UIOMMU_SOFT_DMA_ST_OK) {
		/* The cached translation was used, as hardware may. */
		if (buf_verify(w, src, dst, poison, "stale DMA"))
			return -1;
		w->st.stale_landed++;
		w->st.dma_ok++;
		w->st.bytes_verified += len;
	} else if (r.code == UIOMMU_SOFT_DMA_ST_DST_FAULT &&
		   r.event == gev_id(G_EV_TRANSLATION) && r.done == 0) {
		w->st.stale_faulted++;
		gvm_expect_event(w->vm, d, G_EV_TRANSLATION);
	} else {
		return wfail(w, d, "stale DMA", "unexpected status %u event "
			     "0x%x done %u", r.code, r.event, r.done);
	}
	/* Invalidate: from now on the old IOVA must fault. */
	if (buf_tlbi(w, dst, table) || gq_sync(&w->q))
		return -1;
	dst->table = -1;
	{
		/* What dst holds now: the copy of src (landed) or the first
		 * copy (faulted); keep it to compare after the probe. */
		uint8_t keep[G_PAGE];

		buf_read(w, dst, keep);
		buf_fill(w, src, (uint8_t)~poison, true);
		if (dma_fault(w, d, buf_dma(src), buf_dma(dst), len,
			      UIOMMU_SOFT_DMA_ST_DST_FAULT, G_EV_TRANSLATION,
			      "DMA after unmap + TLBI") ||
		    buf_equal(w, dst, keep, poison, "DMA after unmap + TLBI"))
			return -1;
	}
	if (buf_unmap(w, src) || buf_tlbi(w, src, src->table) ||
	    gq_sync(&w->q))
		return -1;
	buf_free(w, src);
	buf_free(w, dst);
	w->st.ops++;
	return 0;
}

/* ---------------------------------------------------------- the thread */

static bool
keep_going(struct gworker *w, uint64_t target)
{
	struct gvm *vm = w->vm;

	if (vm->stop || g_interrupted)
		return false;
	if (target != 0)
		return w->st.ops < target;
	return g_now_ns() < vm->deadline_ns;
}

void *
gwork_thread(void *arg)
{
	struct gworker *w = arg;
	const struct gopts *o = w->vm->o;
	uint64_t target = o->ops;
	struct gslots *sl;
	int rc = 0;

	/* Short sleeps in g_wait_step() should be short. */
	prctl(PR_SET_TIMERSLACK, 1000UL, 0UL, 0UL, 0UL);
	sl = calloc(1, sizeof(*sl));
	if (sl == NULL) {
		gvm_fail(w->vm, 2, "out of memory");
		goto out;
	}
	sl->max_pages = (uint32_t)((G_PAGE - 1 + o->buf_size + G_PAGE - 1) /
				   G_PAGE) + 1;
	sl->pages = calloc((size_t)2 * G_MAX_BATCH * sl->max_pages,
			   sizeof(uint64_t));
	if (sl->pages == NULL) {
		gvm_fail(w->vm, 2, "out of memory");
		goto out;
	}
	for (unsigned int i = 0; i < G_MAX_BATCH; i++) {
		sl->src[i].gpa = sl->pages + (size_t)(2 * i) * sl->max_pages;
		sl->dst[i].gpa = sl->pages + (size_t)(2 * i + 1) * sl->max_pages;
	}

	while (rc == 0 && keep_going(w, target)) {
		enum gwork k = o->workload;

		if (k == G_WORK_MIXED) {
			unsigned int r = (unsigned int)(g_rand(&w->rng) % 100);

			k = r < 50 ? G_WORK_STRICT : r < 75 ? G_WORK_LAZY :
			    G_WORK_CHURN;
		}
		switch (k) {
		case G_WORK_STRICT:
			rc = op_strict(w, sl);
			break;
		case G_WORK_LAZY:
			rc = op_lazy(w, sl, target != 0 ? target - w->st.ops :
				     o->batch);
			break;
		case G_WORK_CHURN:
			rc = op_churn(w, sl);
			break;
		case G_WORK_STALE:
			rc = op_stale(w, sl);
			break;
		default:
			rc = -1;
			break;
		}
	}
out:
	if (sl != NULL)
		free(sl->pages);
	free(sl);
	__atomic_fetch_add(&w->vm->finished, 1, __ATOMIC_RELEASE);
	return NULL;
}
