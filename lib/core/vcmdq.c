/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vCMDQ objects: creation, destruction and introspection. The dispatch of
 * their commands is in dispatch.c.
 *
 * A vCMDQ is a guest ring (2^log2size 16-byte commands in guest RAM) plus
 * its register block at 0x80 * index in the vIOMMU's control page. As on
 * CMDQV (HW_QUEUE_ALLOC), the ring must be aligned to its size and lie
 * wholly inside one RAM region; the core then keeps a plain host pointer to
 * it, which is why MEM_DEL of that region is refused while the queue lives.
 * The registers are reset to "disabled" (all zero) at creation and again at
 * destruction, so a guest sees ENABLE_OK drop when its queue goes away.
 *
 * The struct is laid out for the poller (see core_private.h): line 0 is the
 * ring consumer, the only private line an idle poll touches; line 1 holds
 * the dispatch context and counters; the per-pass scratch (command copies,
 * the invalidation batch) follows and is touched only by busy passes.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "core_private.h"

_Static_assert(offsetof(struct uiommu_vcmdq, viommu) % RTE_CACHE_LINE_SIZE == 0,
	       "dispatch context starts a cache line");
_Static_assert(offsetof(struct uiommu_vcmdq, index) -
	       offsetof(struct uiommu_vcmdq, viommu) <= RTE_CACHE_LINE_SIZE,
	       "dispatch context and counters fit one cache line");
_Static_assert(UIOMMU_BATCH_MAX <= UINT16_MAX, "inv_cmd holds a command index");

static struct uiommu_vcmdq_regs *
vcmdq_regs(const struct uiommu_viommu *v, uint32_t index)
{
	struct uiommu_vcmdq_page *page =
		(struct uiommu_vcmdq_page *)(void *)(v->ctrl +
						     UIOMMU_CTRL_VCMDQ_OFFSET);

	return &page->q[index];
}

int
uiommu_vcmdq_create(struct uiommu_viommu *v, uint32_t index, uint32_t log2size,
		    uint64_t base_gpa, struct uiommu_vcmdq **out,
		    uint64_t *ctrl_offset)
{
	struct uiommu_vcmdq *q;
	uint64_t size, last;
	const void *ring;
	int rc;

	if (v == NULL || out == NULL || index >= UIOMMU_MAX_VCMDQS ||
	    log2size < UIOMMU_VCMDQ_MIN_LOG2 || log2size > UIOMMU_VCMDQ_MAX_LOG2)
		return -EINVAL;
	size = (uint64_t)UIOMMU_CMD_SIZE << log2size;
	if (base_gpa & (size - 1))
		return -EINVAL;
	rc = uiommu_range_last(base_gpa, size, &last);
	if (rc != 0)
		return rc;
	core_lock();
	if (v->vcmdq[index] != NULL) {
		rc = -EEXIST;
		goto out_unlock;
	}
	ring = uiommu_gmem_ptr(v->gmem, base_gpa, size);
	if (ring == NULL) {
		rc = -EFAULT;
		goto out_unlock;
	}
	if (uiommu_should_fail()) {
		rc = -ENOMEM;
		goto out_unlock;
	}
	if (posix_memalign((void **)&q, RTE_CACHE_LINE_SIZE, sizeof(*q)) != 0) {
		rc = -ENOMEM;
		goto out_unlock;
	}
	memset(q, 0, sizeof(*q));
	q->viommu = v;
	q->index = index;
	q->log2size = log2size;
	q->base_gpa = base_gpa;
	RTE_VERIFY(uiommu_vcmdq_cons_init(&q->cons, ring, log2size,
					  vcmdq_regs(v, index)) == 0);
	/* Publish. */
	v->vcmdq[index] = q;
	v->nr_vcmdq++;
	*out = q;
	if (ctrl_offset != NULL)
		*ctrl_offset = UIOMMU_CTRL_VCMDQ_OFFSET +
			       (uint64_t)index * UIOMMU_VCMDQ_REGS_STRIDE;
	CORE_LOG(INFO, "VM %u vIOMMU %u: vCMDQ %u, 2^%u entries at 0x%" PRIx64,
		 v->vm->id, v->index, index, log2size, base_gpa);
out_unlock:
	core_unlock();
	return rc;
}

void
vcmdq_destroy_locked(struct uiommu_vcmdq *q)
{
	struct uiommu_viommu *v = q->viommu;

	RTE_VERIFY(v->vcmdq[q->index] == q);
	v->vcmdq[q->index] = NULL;
	v->nr_vcmdq--;
	core_retire_vcmdq(q);
	/* Registers back to "disabled" (the ring pointer is still valid). */
	RTE_VERIFY(uiommu_vcmdq_cons_init(&q->cons, q->cons.ring, q->log2size,
					  vcmdq_regs(v, q->index)) == 0);
	free(q);
}

void
uiommu_vcmdq_destroy(struct uiommu_vcmdq *q)
{
	if (q == NULL)
		return;
	core_lock();
	vcmdq_destroy_locked(q);
	core_unlock();
}

struct uiommu_vcmdq *
uiommu_vcmdq_find(const struct uiommu_viommu *v, uint32_t index)
{
	struct uiommu_vcmdq *q;

	if (v == NULL || index >= UIOMMU_MAX_VCMDQS)
		return NULL;
	core_lock();
	q = v->vcmdq[index];
	core_unlock();
	return q;
}

struct uiommu_viommu *
uiommu_vcmdq_viommu(const struct uiommu_vcmdq *q)
{
	return q != NULL ? q->viommu : NULL;
}

void
uiommu_vcmdq_stats_get(const struct uiommu_vcmdq *q,
		       struct uiommu_vcmdq_stats *st)
{
	st->commands = CORE_STAT_GET(q->cons.n_consumed);
	st->errors = CORE_STAT_GET(q->cons.n_errors);
	st->bad_prod = CORE_STAT_GET(q->cons.n_bad_prod);
	st->syncs = CORE_STAT_GET(q->ctr.syncs);
	st->batches = CORE_STAT_GET(q->ctr.batches);
	st->backend_calls = CORE_STAT_GET(q->ctr.backend_calls);
	st->msi_writes = CORE_STAT_GET(q->ctr.msi_writes);
	st->msi_dropped = CORE_STAT_GET(q->ctr.msi_dropped);
	st->busy_cycles = CORE_STAT_GET(q->ctr.busy_cycles);
	st->idle_cycles = CORE_STAT_GET(q->ctr.idle_cycles);
}

void
uiommu_vcmdq_account(struct uiommu_vcmdq *q, uint64_t busy, uint64_t idle)
{
	CORE_STAT_ADD(q->ctr.busy_cycles, busy);
	CORE_STAT_ADD(q->ctr.idle_cycles, idle);
}

int
uiommu_vcmdq_info_get(const struct uiommu_vcmdq *q,
		      struct uiommu_vcmdq_info *info)
{
	if (q == NULL || info == NULL)
		return -EINVAL;
	memset(info, 0, sizeof(*info));
	core_lock();
	info->index = q->index;
	info->log2size = q->log2size;
	info->base_gpa = q->base_gpa;
	info->ctrl_offset = UIOMMU_CTRL_VCMDQ_OFFSET +
			    (uint64_t)q->index * UIOMMU_VCMDQ_REGS_STRIDE;
	info->enabled = CORE_STAT_GET(q->cons.enabled);
	info->stopped = CORE_STAT_GET(q->cons.stopped);
	info->cons = CORE_STAT_GET(q->cons.cons);
	uiommu_vcmdq_stats_get(q, &info->stats);
	core_unlock();
	return 0;
}

int
uiommu_vcmdq_foreach(struct uiommu_viommu *v, uiommu_vcmdq_iter_cb cb,
		     void *arg)
{
	int rc = 0;

	if (v == NULL || cb == NULL)
		return -EINVAL;
	core_lock();
	for (uint32_t i = 0; i < UIOMMU_MAX_VCMDQS && rc == 0; i++)
		if (v->vcmdq[i] != NULL)
			rc = cb(v->vcmdq[i], arg);
	core_unlock();
	return rc;
}
