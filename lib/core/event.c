/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Events of a vIOMMU: those the core raises itself, merged with the
 * backend's.
 *
 * The core raises configuration events while dispatching CFGI_STE /
 * CFGI_ALL (C_BAD_STE for a guest STE that does not decode or that the
 * backend refuses, C_BAD_STREAMID for a vSID outside the stream table).
 * They go into a small single-producer single-consumer ring per vIOMMU:
 * the producer is the lcore that owns the vIOMMU's queues, the consumer
 * whoever calls uiommu_viommu_event_read() (one thread at a time). A full
 * ring drops the new event and counts it; the consumer learns how many were
 * lost. Records are built as an SMMUv3 would write them (event ID in
 * word 0 bits [7:0], StreamID in bits [63:32]).
 *
 * Memory ordering: E1 (push) release-store of head pairs with E2 (read)
 * acquire-load of head: the record is written before it is visible. E3
 * (read) release-store of tail pairs with E4 (push) acquire-load of tail:
 * the consumer has copied a slot before the producer reuses it.
 */
#include <stdlib.h>
#include <string.h>

#include <rte_byteorder.h>

#include "core_private.h"

#define EVQ_MASK (UIOMMU_CORE_EVTQ_ENTRIES - 1)
_Static_assert((UIOMMU_CORE_EVTQ_ENTRIES & EVQ_MASK) == 0,
	       "UIOMMU_CORE_EVTQ_ENTRIES is a power of two");

struct core_evq *
core_evq_alloc(void)
{
	if (uiommu_should_fail())
		return NULL;
	return calloc(1, sizeof(struct core_evq));
}

void
core_evq_free(struct core_evq *q)
{
	free(q);
}

void
core_evq_push(struct uiommu_viommu *v, uint8_t id, uint32_t vsid)
{
	struct core_evq *q = v->evq;
	struct uiommu_event *ev;
	/* E4: acquire; pairs with E3 in uiommu_viommu_event_read(). */
	uint32_t tail = __atomic_load_n(&q->tail, __ATOMIC_ACQUIRE);

	if (q->head - tail >= UIOMMU_CORE_EVTQ_ENTRIES) {
		CORE_STAT_ADD(q->lost, 1);
		return;
	}
	ev = &q->ev[q->head & EVQ_MASK];
	memset(ev, 0, sizeof(*ev));
	ev->id = id;
	ev->sid = vsid;
	ev->raw[0] = rte_cpu_to_le_64((uint64_t)id | ((uint64_t)vsid << 32));
	CORE_STAT_ADD(q->raised, 1);
	/* E1: release; pairs with E2 in uiommu_viommu_event_read(). */
	__atomic_store_n(&q->head, q->head + 1, __ATOMIC_RELEASE);
}

unsigned int
uiommu_viommu_event_read(struct uiommu_viommu *v, struct uiommu_event *ev,
			 unsigned int n, uint64_t *lost)
{
	struct core_evq *q;
	uint64_t blost = 0, l;
	unsigned int got = 0;
	uint32_t head, tail;
	int rc;

	if (v == NULL || (ev == NULL && n > 0))
		return 0;
	q = v->evq;
	/* E2: acquire; pairs with E1 in core_evq_push(). */
	head = __atomic_load_n(&q->head, __ATOMIC_ACQUIRE);
	tail = q->tail;
	while (got < n && tail != head) {
		ev[got++] = q->ev[tail & EVQ_MASK];
		tail++;
	}
	/* E3: release; pairs with E4 in core_evq_push(). */
	__atomic_store_n(&q->tail, tail, __ATOMIC_RELEASE);
	if (got < n && v->ops->event_read != NULL) {
		rc = v->ops->event_read(v->priv, ev + got, n - got, &blost);
		if (rc > 0)
			got += RTE_MIN((unsigned int)rc, n - got);
	}
	if (lost != NULL) {
		l = CORE_STAT_GET(q->lost);
		*lost = (l - q->lost_seen) + blost;
		q->lost_seen = l;
	}
	return got;
}
