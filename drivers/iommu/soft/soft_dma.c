/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Soft DMA engine: a copy engine driven by a descriptor ring in guest
 * memory, emulated on the polling lcore (poll op).
 *
 * Design. The guest contract (register page, descriptor, status codes, the
 * partial-write rule) is in uiommu_soft_dma.h. Everything the guest wrote is
 * read once into private variables and checked before use; every guest
 * memory access, descriptors included, is a device access translated by
 * soft_translate() with the engine's stream and substream, so faults are
 * recorded as the IOMMU would record them. Work is bounded: a poll runs at
 * most UIOMMU_SOFT_DMA_BUDGET descriptors per engine (and the caller's
 * budget in all), a descriptor copies at most UIOMMU_SOFT_DMA_MAX_LEN bytes
 * in chunks that never cross a translation boundary.
 *
 * Concurrency. soft_poll() first checks, without a lock or a reader slot,
 * whether any engine has something to do (its enable bit changed, or its
 * doorbell moved past cons): the backend SDK guarantees one poller per
 * vIOMMU and no control op concurrently with it, so the devices it reads
 * stay allocated. Only then does it hold one IOTLB reader slot for its pass
 * and report a quiescent state after each descriptor (no host address
 * translated for a previous descriptor is used afterwards), so an
 * invalidation completing on another thread waits at most for the
 * descriptor in flight. An engine is run by one poller at a time (trylock);
 * the registers it writes are published with release stores, the doorbell
 * is read with an acquire load (pairs with the guest's release of prod
 * after writing the descriptors).
 */
#include <string.h>

#include <rte_byteorder.h>

#include "soft_private.h"

_Static_assert(UIOMMU_MAX_VDEVICES <= 64, "the device mask is one word");

static inline uint64_t
min_u64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

static inline uint32_t
reg_read32(const uint32_t *r)
{
	return rte_le_to_cpu_32(__atomic_load_n(r, __ATOMIC_RELAXED));
}

static inline uint64_t
reg_read64(const uint64_t *r)
{
	return rte_le_to_cpu_64(__atomic_load_n(r, __ATOMIC_RELAXED));
}

static inline void
reg_write32(uint32_t *r, uint32_t v)
{
	__atomic_store_n(r, rte_cpu_to_le_32(v), __ATOMIC_RELEASE);
}

static inline void
reg_write64(uint64_t *r, uint64_t v)
{
	__atomic_store_n(r, rte_cpu_to_le_64(v), __ATOMIC_RELEASE);
}

static inline void
reg_add64(uint64_t *r, uint64_t n)
{
	reg_write64(r, reg_read64(r) + n);
}

void
soft_dma_init(struct soft_dma *dma, void *regs)
{
	memset(dma, 0, sizeof(*dma));
	rte_spinlock_init(&dma->lock);
	dma->regs = regs;
	memset(regs, 0, sizeof(*dma->regs));
	reg_write32(&dma->regs->version, UIOMMU_SOFT_DMA_VERSION);
	reg_write32(&dma->regs->magic, UIOMMU_SOFT_DMA_MAGIC);
}

static void
engine_halt(struct soft_dma *dma, enum uiommu_soft_dma_error err,
	    uint64_t iova)
{
	struct uiommu_soft_dma_regs *regs = dma->regs;

	dma->halted = true;
	reg_write64(&regs->error_iova, iova);
	reg_write32(&regs->error, err);
	reg_add64(&regs->halts, 1);
	reg_write32(&regs->status, UIOMMU_SOFT_DMA_STATUS_ENABLED |
				   UIOMMU_SOFT_DMA_STATUS_HALTED);
}

/* Latch and check the configuration when the guest enables the engine. */
static void
engine_enable(struct soft_dma *dma)
{
	struct uiommu_soft_dma_regs *regs = dma->regs;
	uint64_t base = reg_read64(&regs->ring_base);
	uint32_t log2 = reg_read32(&regs->ring_log2);
	uint32_t ssid = reg_read32(&regs->ssid);
	uint64_t last;

	dma->enabled = true;
	dma->halted = false;
	dma->base = base;
	dma->log2 = log2;
	dma->cons = reg_read32(&regs->cons);
	dma->ssv = !!(ssid & UIOMMU_SOFT_DMA_SSID_SSV);
	dma->ssid = ssid & UIOMMU_SOFT_DMA_SSID_MASK;
	reg_write32(&regs->error, UIOMMU_SOFT_DMA_ERR_NONE);
	reg_write64(&regs->error_iova, 0);
	if (log2 > UIOMMU_SOFT_DMA_RING_MAX_LOG2 ||
	    (base & (sizeof(struct uiommu_soft_dma_desc) - 1)) ||
	    uiommu_range_last(base, sizeof(struct uiommu_soft_dma_desc) << log2,
			      &last) != 0 ||
	    (ssid & ~(UIOMMU_SOFT_DMA_SSID_SSV | UIOMMU_SOFT_DMA_SSID_MASK))) {
		engine_halt(dma, UIOMMU_SOFT_DMA_ERR_RING_CFG, base);
		return;
	}
	reg_write32(&regs->status, UIOMMU_SOFT_DMA_STATUS_ENABLED);
}

static void
engine_disable(struct soft_dma *dma)
{
	dma->enabled = false;
	dma->halted = false;
	reg_write32(&dma->regs->error, UIOMMU_SOFT_DMA_ERR_NONE);
	reg_write32(&dma->regs->status, 0);
}

static inline uint32_t
st_fault(enum uiommu_soft_dma_status code, const struct uiommu_event *ev)
{
	return (uint32_t)code | ((uint32_t)ev->id << 8);
}

/* Execute one descriptor (private copy). Returns the status word. */
static uint32_t
desc_execute(struct soft_dev *dev, const struct uiommu_soft_dma_desc *d,
	     uint32_t *done_out, uint64_t *fault_iova, uint64_t *bytes)
{
	struct soft_dma *dma = &dev->dma;
	uint64_t src = rte_le_to_cpu_64(d->src);
	uint64_t dst = rte_le_to_cpu_64(d->dst);
	uint32_t len = rte_le_to_cpu_32(d->len);
	uint32_t flags = rte_le_to_cpu_32(d->flags);
	uint64_t last, done = 0;

	*done_out = 0;
	*fault_iova = 0;
	if (flags != 0 || len == 0 || len > UIOMMU_SOFT_DMA_MAX_LEN ||
	    uiommu_range_last(src, len, &last) != 0 ||
	    uiommu_range_last(dst, len, &last) != 0)
		return UIOMMU_SOFT_DMA_ST_BAD_DESC;

	/* Each iteration copies at least one byte: at most len + 1 passes,
	 * in practice one per page of src or dst. */
	while (done < len) {
		struct uiommu_event ev;
		struct soft_xl s, t;
		uint64_t chunk;

		if (soft_translate(dev, dma->ssv, dma->ssid, src + done,
				   UIOMMU_ACCESS_READ, &s, NULL, &ev) != 0) {
			*fault_iova = src + done;
			*done_out = (uint32_t)done;
			return st_fault(UIOMMU_SOFT_DMA_ST_SRC_FAULT, &ev);
		}
		if (soft_translate(dev, dma->ssv, dma->ssid, dst + done,
				   UIOMMU_ACCESS_WRITE, &t, NULL, &ev) != 0) {
			*fault_iova = dst + done;
			*done_out = (uint32_t)done;
			return st_fault(UIOMMU_SOFT_DMA_ST_DST_FAULT, &ev);
		}
		chunk = min_u64(min_u64((uint64_t)len - done, s.contig),
				t.contig);
		memmove((void *)(uintptr_t)t.hva,
			(const void *)(uintptr_t)s.hva, chunk);
		done += chunk;
		*bytes += chunk;
	}
	*done_out = (uint32_t)done;
	return UIOMMU_SOFT_DMA_ST_OK;
}

/* Run one descriptor at ring index cons. @return false when halted. */
static bool
desc_run(struct soft_dev *dev)
{
	struct soft_dma *dma = &dev->dma;
	struct uiommu_soft_dma_regs *regs = dma->regs;
	uint64_t iova = dma->base + (uint64_t)(dma->cons & ((1u << dma->log2) - 1)) *
				    sizeof(struct uiommu_soft_dma_desc);
	uint64_t words[sizeof(struct uiommu_soft_dma_desc) / 8];
	struct uiommu_soft_dma_desc d;
	const uint64_t *src;
	uint64_t *wb, fault_iova, bytes = 0;
	uint32_t status, done;
	struct soft_xl r, w;

	/* The ring was checked not to wrap (engine_enable), and a 64-byte
	 * aligned descriptor never crosses a page: one translation each. */
	if (soft_translate(dev, dma->ssv, dma->ssid, iova, UIOMMU_ACCESS_READ,
			   &r, NULL, NULL) != 0) {
		engine_halt(dma, UIOMMU_SOFT_DMA_ERR_FETCH, iova);
		return false;
	}
	if (soft_translate(dev, dma->ssv, dma->ssid,
			   iova + UIOMMU_SOFT_DMA_DESC_WB_OFFSET,
			   UIOMMU_ACCESS_WRITE, &w, NULL, NULL) != 0) {
		engine_halt(dma, UIOMMU_SOFT_DMA_ERR_WRITEBACK,
			    iova + UIOMMU_SOFT_DMA_DESC_WB_OFFSET);
		return false;
	}
	/* Private copy: the guest may rewrite the descriptor meanwhile. */
	src = (const uint64_t *)(uintptr_t)r.hva;
	for (unsigned int i = 0; i < RTE_DIM(words); i++)
		words[i] = __atomic_load_n(&src[i], __ATOMIC_RELAXED);
	memcpy(&d, words, sizeof(d));

	status = desc_execute(dev, &d, &done, &fault_iova, &bytes);

	wb = (uint64_t *)(uintptr_t)w.hva;
	__atomic_store_n(&wb[1], rte_cpu_to_le_64(fault_iova), __ATOMIC_RELAXED);
	/* Status word last, with release: a guest polling status sees done
	 * and fault_iova. */
	__atomic_store_n((uint32_t *)wb + 1, rte_cpu_to_le_32(done),
			 __ATOMIC_RELAXED);
	__atomic_store_n((uint32_t *)wb, rte_cpu_to_le_32(status),
			 __ATOMIC_RELEASE);

	if (UIOMMU_SOFT_DMA_ST_CODE(status) == UIOMMU_SOFT_DMA_ST_OK)
		reg_add64(&regs->desc_ok, 1);
	else
		reg_add64(&regs->desc_err, 1);
	reg_add64(&regs->bytes, bytes);
	dma->cons++;
	/* Release: the write-back above is visible before cons moves. */
	reg_write32(&regs->cons, dma->cons);
	return true;
}

unsigned int
soft_dma_poll(struct soft_dev *dev, unsigned int budget, unsigned int reader)
{
	struct soft_dma *dma = &dev->dma;
	struct uiommu_soft_dma_regs *regs = dma->regs;
	unsigned int n, ran = 0;
	uint32_t prod, pending;

	if (!rte_spinlock_trylock(&dma->lock))
		return 0;
	if (!(reg_read32(&regs->ctrl) & UIOMMU_SOFT_DMA_CTRL_ENABLE)) {
		if (dma->enabled)
			engine_disable(dma);
		goto out;
	}
	if (!dma->enabled)
		engine_enable(dma);
	if (dma->halted)
		goto out;
	/* Acquire: pairs with the guest's release store of prod. */
	prod = rte_le_to_cpu_32(__atomic_load_n(&regs->prod, __ATOMIC_ACQUIRE));
	pending = prod - dma->cons;
	if (pending > (1u << dma->log2)) {
		engine_halt(dma, UIOMMU_SOFT_DMA_ERR_PROD, 0);
		goto out;
	}
	n = (unsigned int)min_u64(min_u64(pending, budget),
				  UIOMMU_SOFT_DMA_BUDGET);
	while (ran < n) {
		bool ok = desc_run(dev);

		uiommu_iotlb_reader_quiescent(dev->vi->tlb, reader);
		if (!ok)
			break;
		ran++;
	}
out:
	rte_spinlock_unlock(&dma->lock);
	return ran;
}

/* Whether an engine has something to do: its enable bit changed, or
 * (enabled, not halted) its doorbell is past cons. */
static bool
dma_pending(const struct soft_dev *dev)
{
	const struct soft_dma *dma = &dev->dma;
	const struct uiommu_soft_dma_regs *regs = dma->regs;
	bool en = __atomic_load_n(&dma->enabled, __ATOMIC_RELAXED);

	/*
	 * Relaxed loads, no lock: the private fields are written by this
	 * vIOMMU's one poller (the caller), and a stale guest register only
	 * delays its own work to the next poll; soft_dma_poll() re-reads all
	 * of it under the engine lock.
	 */
	if (((reg_read32(&regs->ctrl) & UIOMMU_SOFT_DMA_CTRL_ENABLE) != 0) != en)
		return true;
	if (!en || __atomic_load_n(&dma->halted, __ATOMIC_RELAXED))
		return false;
	return reg_read32(&regs->prod) !=
	       __atomic_load_n(&dma->cons, __ATOMIC_RELAXED);
}

/* Whether any engine of the mask has something to do. */
static bool
poll_pending(struct soft_viommu *vi, uint64_t mask)
{
	while (mask != 0) {
		unsigned int slot = (unsigned int)__builtin_ctzll(mask);
		/* Pairs with the release store publishing the device. */
		const struct soft_dev *dev = __atomic_load_n(&vi->devs[slot],
							     __ATOMIC_ACQUIRE);

		mask &= mask - 1;
		if (dev != NULL && dma_pending(dev))
			return true;
	}
	return false;
}

/* Run the engines of the mask in slot order while budget is left. */
static unsigned int
poll_run(struct soft_viommu *vi, uint64_t mask, unsigned int budget,
	 unsigned int reader)
{
	unsigned int work = 0;

	while (mask != 0 && work < budget) {
		unsigned int slot = (unsigned int)__builtin_ctzll(mask);
		/* Pairs with the release store publishing the device. */
		struct soft_dev *dev = __atomic_load_n(&vi->devs[slot],
						       __ATOMIC_ACQUIRE);

		mask &= mask - 1;
		if (dev != NULL)
			work += soft_dma_poll(dev, budget - work, reader);
	}
	return work;
}

/*
 * The poll op. An idle vIOMMU costs one load of the device mask and, per
 * soft DMA device, its doorbell line and its private state: no IOTLB
 * reader bracket (two atomic RMWs and a full fence) and no walk over the
 * 64 device slots. That bracket and walk were most of the poll engine's
 * idle pass: 75-171 ns before, about 28 ns after (pause excluded; the
 * engine's own counters in `uiommu-bench --scenario poll`, see
 * doc/benchmarks.md, "Before and after the fast-path work").
 */
unsigned int
soft_poll(void *priv, unsigned int budget)
{
	struct soft_viommu *vi = priv;
	uint64_t mask, lo;
	unsigned int reader, work, start;

	/* Pairs with the release RMWs in vdevice_alloc/free. */
	mask = __atomic_load_n(&vi->dev_mask, __ATOMIC_ACQUIRE);
	if (budget == 0 || mask == 0 || !poll_pending(vi, mask))
		return 0;
	if (uiommu_iotlb_reader_online(vi->tlb, &reader) != 0)
		return 0;
	/* Round-robin: start at slot poll_next, wrap around. */
	start = __atomic_load_n(&vi->poll_next, __ATOMIC_RELAXED) %
		UIOMMU_MAX_VDEVICES;
	lo = mask & ((1ULL << start) - 1);
	work = poll_run(vi, mask & ~lo, budget, reader);
	work += poll_run(vi, lo, budget - RTE_MIN(work, budget), reader);
	__atomic_store_n(&vi->poll_next, (start + 1) % UIOMMU_MAX_VDEVICES,
			 __ATOMIC_RELAXED);
	uiommu_iotlb_reader_offline(vi->tlb, reader);
	return work;
}
