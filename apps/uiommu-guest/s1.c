/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Stage 1 as a guest driver builds it: LPAE tables, context descriptors
 * and stream table entries, all in guest RAM, addressed by GPA.
 *
 * Design. Each device has two stage-1 tables (two "domains", ASIDs a and
 * b); its single CD (SSID 0) points at one of them. The tables are
 * lib/pgtable managed tables whose memory ops allocate 4 KiB pages from the
 * guest's page allocator and name them by guest-physical address, so the
 * manager's nested walk reads exactly what the guest wrote (through its
 * stage 2). to_ptr() turns a GPA into the simulator's pointer into guest
 * RAM.
 *
 * Freeing table pages. lib/pgtable frees a table as soon as an unmap
 * leaves it empty. A real driver must not reuse such a page before the
 * IOMMU has forgotten it (the walk may have cached it), so, like Linux's
 * gather free-list, pages freed by unmap are parked on the worker's
 * deferred list and only returned to the allocator after the worker's next
 * CMD_SYNC has completed (gs1_release_deferred, called by gq_sync). The
 * list is threaded through the freed pages themselves: word 0 of each holds
 * the GPA of the next one, a value with bit 0 clear, i.e. an invalid
 * descriptor should anything still walk the page.
 *
 * Writes to CDs and STEs are done word by word with release ordering on
 * word 0 (which holds V), and the manager reads them only after the
 * CFGI_CD / CFGI_STE that follows, as on hardware.
 */
#include <errno.h>
#include <string.h>

#include <rte_byteorder.h>

#include "guest.h"
#include "uiommu_smmu.h"

static int
s1_alloc(void *ctx, size_t size, size_t align, uint64_t *addr)
{
	struct gworker *w = ctx;
	uint64_t pages = (size + G_PAGE - 1) / G_PAGE;
	uint64_t apages = align > G_PAGE ? align / G_PAGE : 1;

	return gram_alloc(&w->vm->ram, pages, apages, addr);
}

static void
s1_free(void *ctx, uint64_t addr, size_t size)
{
	struct gworker *w = ctx;
	uint64_t *p = gram_ptr(&w->vm->ram, addr, G_PAGE);

	if (p == NULL || size > G_PAGE)
		return;
	/* Park the page: its word 0 links to the previous head. */
	__atomic_store_n(p, rte_cpu_to_le_64(w->deferred_head),
			 __ATOMIC_RELAXED);
	w->deferred_head = addr;
	w->deferred_n++;
}

static void *
s1_to_ptr(void *ctx, uint64_t addr, size_t size)
{
	struct gworker *w = ctx;

	return gram_ptr(&w->vm->ram, addr, size);
}

static const struct uiommu_pt_mem_ops s1_mem_ops = {
	.alloc = s1_alloc,
	.free = s1_free,
	.to_ptr = s1_to_ptr,
};

void
gs1_release_deferred(struct gworker *w)
{
	uint64_t gpa = w->deferred_head;
	uint64_t n = 0;

	/* Bounded by the count of parked pages. */
	while (n < w->deferred_n) {
		uint64_t *p = gram_ptr(&w->vm->ram, gpa, G_PAGE);
		uint64_t next;

		if (p == NULL)
			break;
		next = rte_le_to_cpu_64(__atomic_load_n(p, __ATOMIC_RELAXED));
		gram_free(&w->vm->ram, gpa, 1);
		gpa = next;
		n++;
	}
	w->st.deferred_frees += n;
	w->deferred_head = 0;
	w->deferred_n = 0;
}

int
gs1_create(struct gs1 *s, struct gworker *w, uint16_t asid)
{
	struct uiommu_pgtable_cfg cfg;
	int rc;

	memset(s, 0, sizeof(*s));
	memset(&cfg, 0, sizeof(cfg));
	cfg.format = UIOMMU_PT_ARM_LPAE_S1_4K;
	cfg.ias = G_S1_IAS;
	cfg.oas = G_S1_OAS;
	cfg.pgsize_bitmap = UIOMMU_PT_PGSIZE_4K | UIOMMU_PT_PGSIZE_2M;
	cfg.mem_ops = &s1_mem_ops;
	cfg.mem_ctx = w;
	cfg.prot_default = UIOMMU_PT_PROT_CACHE;
	cfg.flags = UIOMMU_PT_CFG_COHERENT_WALK;
	rc = uiommu_pgtable_create(&cfg, &s->pt);
	if (rc != 0)
		return rc;
	rc = uiommu_pgtable_lpae_regs(s->pt, &s->regs);
	if (rc != 0) {
		uiommu_pgtable_destroy(s->pt);
		s->pt = NULL;
		return rc;
	}
	s->asid = asid;
	return 0;
}

void
gs1_destroy(struct gs1 *s)
{
	if (s == NULL)
		return;
	uiommu_pgtable_destroy(s->pt);
	s->pt = NULL;
}

int
gs1_map(struct gs1 *s, uint64_t iova, uint64_t gpa, uint64_t size,
	uint32_t prot)
{
	uint64_t mapped = 0;
	int rc = uiommu_pgtable_map(s->pt, iova, gpa, size, prot, &mapped);

	/* All or nothing, as the DMA API wants. */
	if (rc != 0 && mapped != 0)
		uiommu_pgtable_unmap(s->pt, iova, mapped, NULL);
	return rc;
}

int
gs1_unmap(struct gs1 *s, uint64_t iova, uint64_t size)
{
	uint64_t unmapped = 0;
	int rc = uiommu_pgtable_unmap(s->pt, iova, size, &unmapped);

	if (rc == 0 && unmapped != size)
		return -ENOENT;
	return rc;
}

/* Store 8 words: words 1..7 first, then word 0 (V) with release. */
static void
write_words(uint64_t *dst, const uint64_t raw[8])
{
	for (unsigned int i = 1; i < 8; i++)
		__atomic_store_n(&dst[i], raw[i], __ATOMIC_RELAXED);
	__atomic_store_n(&dst[0], raw[0], __ATOMIC_RELEASE);
}

void
gs1_write_cd(struct gram *ram, uint64_t cd_gpa, const struct gs1 *s)
{
	struct uiommu_cd_info cd;
	uint64_t raw[8];
	uint64_t *dst = gram_ptr(ram, cd_gpa, UIOMMU_CD_SIZE);

	if (dst == NULL)
		return;
	memset(&cd, 0, sizeof(cd));
	cd.valid = 1;
	cd.t0sz = (uint8_t)s->regs.t0sz;
	cd.tg0 = (uint8_t)s->regs.tg0;
	cd.ips = (uint8_t)s->regs.ips;
	cd.epd0 = 0;
	cd.epd1 = 1;
	cd.aa64 = 1;
	cd.asid = s->asid;
	cd.ttb0 = s->regs.ttb;
	cd.mair = s->regs.mair;
	uiommu_cd_encode(&cd, raw);
	write_words(dst, raw);
}

void
gste_write(struct gram *ram, uint64_t strtab_gpa, uint32_t vsid,
	   enum gste_kind kind, uint64_t cd_gpa)
{
	struct uiommu_ste_info ste;
	uint64_t raw[8];
	uint64_t *dst = gram_ptr(ram, strtab_gpa + (uint64_t)vsid *
				 UIOMMU_STE_SIZE, UIOMMU_STE_SIZE);

	if (dst == NULL)
		return;
	memset(&ste, 0, sizeof(ste));
	switch (kind) {
	case G_STE_S1:
		ste.valid = 1;
		ste.config = UIOMMU_STE_CFG_S1;
		ste.s1fmt = 0;
		ste.s1cdmax = 0;
		ste.s1ctxptr = cd_gpa;
		break;
	case G_STE_BYPASS:
		ste.valid = 1;
		ste.config = UIOMMU_STE_CFG_BYPASS;
		break;
	case G_STE_ABORT:
		ste.valid = 1;
		ste.config = UIOMMU_STE_CFG_ABORT;
		break;
	case G_STE_INVALID:
		break;
	}
	uiommu_ste_encode(&ste, raw);
	write_words(dst, raw);
}
