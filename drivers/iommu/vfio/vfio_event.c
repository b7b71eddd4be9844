/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vfio backend: the vIOMMU's event ring.
 *
 * Design. The vfio backend never sees a device transaction: the kernel's
 * IOMMU driver handles DMA faults (they show up in the host's kernel log,
 * e.g. "DMAR: ... fault addr"). What it reports is what it found while
 * shadowing: a context descriptor that cannot be used (C_BAD_CD,
 * F_CD_FETCH; raised when the configuration is read, since the backend
 * cannot wait for a transaction to use it) and a shadow it could not
 * complete (the implementation-defined MAP_LIMIT, WALK_LIMIT and MAP_ERROR
 * of uiommu_vfio.h). Records use the SMMUv3 layout for the fields they
 * have: word 0 = event ID [7:0] | StreamID (the vSID) [63:32], word 2 =
 * input address; word 1 carries the event's extra value (see
 * uiommu_vfio.h), word 3 the IPA of a CD fetch.
 *
 * The ring is bounded (VFIO_EVQ_SIZE records); a full ring drops the new
 * record and counts it, and the next reader learns how many were lost.
 * Producers are the refresh paths (lcore or control thread) and are rare;
 * the reader is the control thread; a spinlock is enough.
 */
#include <string.h>

#include "vfio_private.h"

void
vfio_evq_init(struct vfio_evq *q)
{
	rte_spinlock_init(&q->lock);
	q->head = 0;
	q->tail = 0;
	q->lost = 0;
}

void
vfio_event_raise(struct vfio_viommu *vi, uint8_t id, uint32_t vsid,
		 uint64_t addr, uint64_t info)
{
	struct vfio_evq *q = &vi->evq;
	struct uiommu_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.id = id;
	ev.sid = vsid;
	ev.input_addr = addr;
	ev.raw[0] = id | (uint64_t)vsid << 32;
	ev.raw[1] = info;
	ev.raw[2] = addr;
	if (id == UIOMMU_EVT_F_CD_FETCH) {
		ev.ipa = info;
		ev.raw[3] = info;
		ev.raw[1] = 0;
	}
	VSTAT_ADD(vi, events, 1);
	rte_spinlock_lock(&q->lock);
	if (q->tail - q->head >= VFIO_EVQ_SIZE) {
		q->lost++;
		rte_spinlock_unlock(&q->lock);
		VSTAT_ADD(vi, events_lost, 1);
		return;
	}
	q->ring[q->tail & (VFIO_EVQ_SIZE - 1)] = ev;
	q->tail++;
	rte_spinlock_unlock(&q->lock);
}

void
vfio_event_count(void *priv, uint64_t *recorded, uint64_t *dropped)
{
	const struct vfio_viommu *vi = priv;
	uint64_t raised = __atomic_load_n(&vi->st.events, __ATOMIC_RELAXED);

	*dropped = __atomic_load_n(&vi->st.events_lost, __ATOMIC_RELAXED);
	/* events counts every raise, events_lost the refused ones. */
	*recorded = raised >= *dropped ? raised - *dropped : 0;
}

int
vfio_event_read(void *priv, struct uiommu_event *ev, unsigned int n,
		uint64_t *lost)
{
	struct vfio_viommu *vi = priv;
	struct vfio_evq *q = &vi->evq;
	unsigned int got = 0;

	rte_spinlock_lock(&q->lock);
	while (got < n && q->head != q->tail) {
		ev[got++] = q->ring[q->head & (VFIO_EVQ_SIZE - 1)];
		q->head++;
	}
	if (lost != NULL)
		*lost = q->lost;
	q->lost = 0;
	rte_spinlock_unlock(&q->lock);
	return (int)got;
}
