/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The guest's driver for a soft DMA engine (drivers/iommu/soft,
 * uiommu_soft_dma.h): one descriptor ring in guest RAM, a register page
 * shared with the manager.
 *
 * Design. The ring lives at an IOVA equal to its GPA and is mapped so in
 * both of the device's stage-1 tables, so that it stays reachable whether
 * the STE says translate (S1) or bypass: the engine reads and writes its
 * descriptors through the IOMMU like any other DMA. The simulator keeps
 * one descriptor in flight per engine: fill the slot at prod with
 * status = 0, store prod with release ordering (the descriptor first),
 * then wait for the engine's status write-back (acquire) or for the engine
 * to halt (a descriptor fetch that faults, e.g. under an abort STE).
 *
 * Register accesses are single 32/64-bit little-endian loads and stores.
 */
#include <errno.h>
#include <sched.h>
#include <string.h>

#include <rte_byteorder.h>

#include "guest.h"

#define SPIN_BEFORE_YIELD 2048

static inline uint32_t
rd32(const uint32_t *r)
{
	return rte_le_to_cpu_32(__atomic_load_n(r, __ATOMIC_ACQUIRE));
}

static inline void
wr32(uint32_t *r, uint32_t v)
{
	__atomic_store_n(r, rte_cpu_to_le_32(v), __ATOMIC_RELEASE);
}

static inline void
wr64(uint64_t *r, uint64_t v)
{
	__atomic_store_n(r, rte_cpu_to_le_64(v), __ATOMIC_RELEASE);
}

/* Wait until (status & mask) == want. */
static int
wait_status(struct gdma *d, uint32_t mask, uint32_t want)
{
	uint64_t deadline = g_now_ns() + d->timeout_ns;

	while ((rd32(&d->regs->status) & mask) != want) {
		if (g_now_ns() > deadline)
			return -ETIMEDOUT;
		sched_yield();
	}
	return 0;
}

int
gdma_enable(struct gdma *d)
{
	if (rte_le_to_cpu_32(d->regs->magic) != UIOMMU_SOFT_DMA_MAGIC)
		return -ENODEV;
	wr32(&d->regs->ctrl, 0);
	if (wait_status(d, UIOMMU_SOFT_DMA_STATUS_ENABLED, 0) != 0)
		return -ETIMEDOUT;
	memset(d->ring, 0, sizeof(*d->ring) << d->log2);
	wr64(&d->regs->ring_base, d->ring_iova);
	wr32(&d->regs->ring_log2, d->log2);
	wr32(&d->regs->ssid, 0);
	wr32(&d->regs->cons, d->prod);
	wr32(&d->regs->prod, d->prod);
	/* Release: the configuration above is visible before ENABLE. */
	wr32(&d->regs->ctrl, UIOMMU_SOFT_DMA_CTRL_ENABLE);
	if (wait_status(d, UIOMMU_SOFT_DMA_STATUS_ENABLED,
			UIOMMU_SOFT_DMA_STATUS_ENABLED) != 0)
		return -ETIMEDOUT;
	if (rd32(&d->regs->status) & UIOMMU_SOFT_DMA_STATUS_HALTED)
		return -EIO;
	return 0;
}

int
gdma_disable(struct gdma *d)
{
	wr32(&d->regs->ctrl, 0);
	return wait_status(d, UIOMMU_SOFT_DMA_STATUS_ENABLED, 0);
}

static struct uiommu_soft_dma_desc *
slot_of(struct gdma *d, uint32_t idx)
{
	return &d->ring[idx & ((1u << d->log2) - 1)];
}

void
gdma_submit(struct gdma *d, uint64_t src, uint64_t dst, uint32_t len,
	    uint64_t cookie)
{
	struct uiommu_soft_dma_desc *s = slot_of(d, d->prod);

	s->src = rte_cpu_to_le_64(src);
	s->dst = rte_cpu_to_le_64(dst);
	s->len = rte_cpu_to_le_32(len);
	s->flags = 0;
	s->cookie = rte_cpu_to_le_64(cookie);
	s->done = 0;
	s->fault_iova = 0;
	__atomic_store_n(&s->status, 0, __ATOMIC_RELAXED);
	d->prod++;
	/* Release: the descriptor is complete before the doorbell. */
	wr32(&d->regs->prod, d->prod);
}

int
gdma_wait(struct gdma *d, struct gdma_res *res, uint32_t *halt_err)
{
	struct uiommu_soft_dma_desc *s = slot_of(d, d->prod - 1);
	uint64_t t0 = g_now_ns(), deadline = t0 + d->timeout_ns;
	unsigned int spins = 0, backoff = 0;
	uint32_t st;

	memset(res, 0, sizeof(*res));
	/* Acquire: pairs with the engine's release store of status. */
	while ((st = rte_le_to_cpu_32(__atomic_load_n(&s->status,
						      __ATOMIC_ACQUIRE))) == 0) {
		if (++spins < SPIN_BEFORE_YIELD)
			continue;
		spins = 0;
		if (rd32(&d->regs->status) & UIOMMU_SOFT_DMA_STATUS_HALTED) {
			if (halt_err != NULL)
				*halt_err = rd32(&d->regs->error);
			return -EIO;
		}
		if (g_now_ns() > deadline)
			return -ETIMEDOUT;
		g_wait_step(&backoff);
	}
	res->ns = g_now_ns() - t0;
	res->code = UIOMMU_SOFT_DMA_ST_CODE(st);
	res->event = UIOMMU_SOFT_DMA_ST_EVENT(st);
	res->done = rte_le_to_cpu_32(s->done);
	res->fault_iova = rte_le_to_cpu_64(s->fault_iova);
	return 0;
}

int
gdma_copy(struct gdma *d, uint64_t src, uint64_t dst, uint32_t len,
	  struct gdma_res *res, uint32_t *halt_err)
{
	gdma_submit(d, src, dst, len, d->prod);
	return gdma_wait(d, res, halt_err);
}

int
gdma_restart(struct gdma *d)
{
	int rc = gdma_disable(d);

	if (rc != 0)
		return rc;
	wr32(&d->regs->ctrl, UIOMMU_SOFT_DMA_CTRL_ENABLE);
	return wait_status(d, UIOMMU_SOFT_DMA_STATUS_ENABLED,
			   UIOMMU_SOFT_DMA_STATUS_ENABLED);
}
