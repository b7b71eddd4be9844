/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Queue state across a manager restart (doc/hardening.md §6).
 *
 * The control region is the manager's memfd: when the manager dies, its
 * registers live on only in the VMM's mapping, while the ring is in guest
 * RAM and survives untouched. A new manager creates new, disabled
 * registers. The guest contract already lets whoever drives a disabled
 * queue set CONS and PROD and then set CONFIG.EN, whereupon the manager
 * adopts CONS (doc/guest-contract.md §3); that is all a restart needs:
 *  - CONS (index and wrap, ERR dropped) is the old manager's commit point:
 *    it published CONS only after the commands before it took effect, so
 *    nothing before it is replayed, and everything from it to PROD is
 *    consumed once by the new manager. (A manager killed between applying
 *    a batch and publishing CONS leaves those commands to be applied again:
 *    invalidations and CMD_SYNC are idempotent.)
 *  - GERRORN is cleared because the new manager's private GERROR starts at
 *    0; if the old queue was stopped on an error, the new manager re-reads
 *    the same slot and stops there again, so no illegal command is ever
 *    consumed and the guest still sees GERROR != GERRORN.
 * Memory ordering: R1 acquire loads of the old registers pair with the
 * guest's release stores (P1, P4, P5); R2 the release store of CONFIG pairs
 * with the new manager's acquire fence after it sees CONFIG.EN (C5), so
 * CONS and PROD written before are visible to it.
 */
#include <errno.h>

#include "uiommu_client.h"

int
uiommu_client_vcmdq_restore(struct uiommu_vcmdq_regs *dst,
			    const struct uiommu_vcmdq_regs *src,
			    uint32_t log2size)
{
	uint32_t mask, cons, prod, config;

	if (dst == NULL || src == NULL || log2size < UIOMMU_VCMDQ_MIN_LOG2 ||
	    log2size > UIOMMU_VCMDQ_MAX_LOG2)
		return -EINVAL;
	if (__atomic_load_n(&dst->status, __ATOMIC_ACQUIRE) &
	    UIOMMU_VCMDQ_STATUS_ENABLE_OK)
		return -EBUSY;
	mask = uiommu_vcmdq_ptr_mask(log2size);
	/* R1: acquire; pairs with the guest's release stores of PROD/CONFIG. */
	prod = __atomic_load_n(&src->prod, __ATOMIC_ACQUIRE);
	cons = __atomic_load_n(&src->cons, __ATOMIC_ACQUIRE) & mask;
	config = __atomic_load_n(&src->config, __ATOMIC_ACQUIRE);
	__atomic_store_n(&dst->cons, cons, __ATOMIC_RELAXED);
	__atomic_store_n(&dst->prod, prod, __ATOMIC_RELAXED);
	__atomic_store_n(&dst->gerrorn, 0, __ATOMIC_RELAXED);
	if (config & UIOMMU_VCMDQ_CONFIG_EN)
		/* R2: release; pairs with the manager's C5 acquire fence. */
		__atomic_store_n(&dst->config, UIOMMU_VCMDQ_CONFIG_EN,
				 __ATOMIC_RELEASE);
	return 0;
}
