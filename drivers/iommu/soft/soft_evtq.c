/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Soft backend event queue: SMMUv3 event records on a bounded ring.
 *
 * Design. Any translating thread may fault, so the ring has several
 * producers; event_read() is the single consumer. Faults are rare and a
 * record is 88 bytes, so one spinlock around a power-of-two array is the
 * simplest correct choice; the fast path (IOTLB hits) never takes it. When
 * the ring is full the new record is dropped and counted, as an SMMUv3
 * drops events while its event queue is full and raises the overflow flag;
 * event_read() returns the number dropped since the previous read, so the
 * consumer can report lost events (iommufd's LOST_EVENTS header).
 *
 * Record encoding (soft_event_encode, SMMUv3 event queue layout, 32 bytes):
 *   dword0: [7:0] event ID, [11] SSV, [31:12] SubstreamID, [63:32] StreamID
 *   dword1: [35] RnW, [39] S2, [41:40] CLASS      (translation faults)
 *   dword2: InputAddr [63:0]                       (translation faults)
 *   dword3: IPA [51:12]                            (stage-2 faults)
 *           FetchAddr [51:3]                       (F_WALK_EABT, F_CD_FETCH)
 * C_BAD_STE, C_BAD_SUBSTREAMID, C_BAD_CD and F_STREAM_DISABLED carry
 * dword0 only. StreamID is the vSID, as the guest names the device.
 */
#include <stdlib.h>
#include <string.h>

#include <rte_byteorder.h>

#include "soft_private.h"
#include "uiommu_fail.h"

#define EVT0_SSV        (1ULL << 11)
#define EVT0_SSID_SHIFT 12
#define EVT0_SSID_MASK  0xfffffULL
#define EVT0_SID_SHIFT  32
#define EVT1_RNW        (1ULL << 35)
#define EVT1_S2         (1ULL << 39)
#define EVT1_CLASS_SHIFT 40
#define EVT3_IPA_MASK   0x000ffffffffff000ULL
#define EVT3_FETCH_MASK 0x000ffffffffffff8ULL

int
soft_evtq_init(struct soft_evtq *q, uint32_t size)
{
	memset(q, 0, sizeof(*q));
	if (!uiommu_is_pow2_u64(size))
		return -EINVAL;
	if (uiommu_should_fail())
		return -ENOMEM;
	q->ring = calloc(size, sizeof(*q->ring));
	if (q->ring == NULL)
		return -ENOMEM;
	q->size = size;
	rte_spinlock_init(&q->lock);
	return 0;
}

void
soft_evtq_fini(struct soft_evtq *q)
{
	free(q->ring);
	q->ring = NULL;
}

void
soft_evtq_push(struct soft_evtq *q, const struct uiommu_event *ev)
{
	rte_spinlock_lock(&q->lock);
	if (q->tail - q->head >= q->size) {
		q->lost++;
		q->dropped++;
	} else {
		q->ring[q->tail & (q->size - 1)] = *ev;
		q->tail++;
		q->recorded++;
	}
	rte_spinlock_unlock(&q->lock);
}

int
soft_evtq_read(struct soft_evtq *q, struct uiommu_event *ev, unsigned int n,
	       uint64_t *lost)
{
	unsigned int i;

	rte_spinlock_lock(&q->lock);
	for (i = 0; i < n && q->head != q->tail; i++, q->head++)
		ev[i] = q->ring[q->head & (q->size - 1)];
	if (lost != NULL)
		*lost = q->lost;
	q->lost = 0;
	rte_spinlock_unlock(&q->lock);
	return (int)i;
}

void
soft_evtq_count(struct soft_evtq *q, uint64_t *recorded, uint64_t *dropped)
{
	rte_spinlock_lock(&q->lock);
	*recorded = q->recorded;
	*dropped = q->dropped;
	rte_spinlock_unlock(&q->lock);
}

void
soft_event_encode(struct uiommu_event *ev, bool ssv)
{
	uint64_t w[4] = {0};

	w[0] = ev->id | ((uint64_t)ev->sid << EVT0_SID_SHIFT);
	if (ssv)
		w[0] |= EVT0_SSV |
			((uint64_t)(ev->ssid & EVT0_SSID_MASK) << EVT0_SSID_SHIFT);
	switch (ev->id) {
	case UIOMMU_EVT_F_TRANSLATION:
	case UIOMMU_EVT_F_ADDR_SIZE:
	case UIOMMU_EVT_F_ACCESS:
	case UIOMMU_EVT_F_PERMISSION:
		w[1] = (ev->rnw ? EVT1_RNW : 0) | (ev->s2 ? EVT1_S2 : 0) |
		       ((uint64_t)(ev->class_ & 3) << EVT1_CLASS_SHIFT);
		w[2] = ev->input_addr;
		if (ev->s2)
			w[3] = ev->ipa & EVT3_IPA_MASK;
		break;
	case UIOMMU_EVT_F_WALK_EABT:
		w[1] = (ev->rnw ? EVT1_RNW : 0) | (ev->s2 ? EVT1_S2 : 0) |
		       ((uint64_t)(ev->class_ & 3) << EVT1_CLASS_SHIFT);
		w[2] = ev->input_addr;
		w[3] = ev->ipa & EVT3_FETCH_MASK;
		break;
	case UIOMMU_EVT_F_CD_FETCH:
		w[3] = ev->ipa & EVT3_FETCH_MASK;
		break;
	default:
		break;
	}
	for (unsigned int i = 0; i < 4; i++)
		ev->raw[i] = rte_cpu_to_le_64(w[i]);
}
