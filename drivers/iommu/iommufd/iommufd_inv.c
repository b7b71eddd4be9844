/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * iommufd backend: batched invalidation through IOMMU_HWPT_INVALIDATE.
 *
 * Design. The core hands over a batch: every invalidation a guest queued
 * up to a CMD_SYNC (at most UIOMMU_BATCH_MAX), decoded, with the vIOMMU's
 * VMID forced and vSIDs resolved, plus the guest's raw command words. The
 * batch becomes ONE kernel request array per target and ONE ioctl:
 *  - a kernel vIOMMU (SMMUv3, 6.13+): the raw 128-bit commands themselves
 *    (IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3); the kernel rewrites the
 *    VMID and translates the vSIDs of ATC_INV / CFGI_CD through the
 *    vDEVICEs. One ioctl per batch, whatever the number of devices;
 *  - otherwise each nested HWPT (per-HWPT invalidation, 6.8+), with
 *    entries in the vendor format: VT-d {addr, npages, flags} or the
 *    selftest {flags, iotlb_id}. TLBIs apply to every stage-1 of the VM,
 *    so every nested HWPT of the vIOMMU gets them; device-scoped commands
 *    (ATC_INV, CFGI_CD, CFGI_CD_ALL) only the HWPT of their device.
 *    Devices with identical configuration share a HWPT, so the usual case
 *    (one stage-1 address space per VM) is again one ioctl per batch.
 * CFGI_STE and CFGI_ALL have already been applied by vdevice_set_ste()
 * (the kernel rejects them as invalidations) and are skipped; every other
 * batch entry maps to exactly one request entry, and map[] remembers the
 * batch index of each request entry.
 *
 * Conversions (entry -> request):
 *   op                  SMMUv3 (vIOMMU)  VT-d                  selftest
 *   TLBI_NH_VA[A]       raw              {first, pages, LEAF}  one page: id = page
 *                                                              else FLAG_ALL
 *   TLBI_NH_ASID/_ALL   raw              {0, U64_MAX}          FLAG_ALL
 *   ATC_INV             raw              {first, pages}        FLAG_ALL
 *   CFGI_CD[_ALL]       raw              {0, U64_MAX}          FLAG_ALL
 * (TLBI_NSNH_ALL reaches us as TLBI_NH_ALL.) The selftest mock caches 4
 * "IOTLB" slots; a one-page TLBI of page P invalidates slot P, and the mock
 * kernel refuses P > 3 (EINVAL): this is the selftest's model of a
 * hardware-rejected command, used to prove partial failure end to end.
 *
 * Partial failure. The kernel applies entries in order and writes back in
 * entry_num how many it handled, even on error. A failure at request
 * entry k is reported at batch index map[k]: *done = map[k] (every batch
 * entry before it took effect) and the kernel's errno is returned; the core
 * then stops the guest's queue at that command with CERROR_ILL. With
 * several per-HWPT targets they are issued in order and the first failure
 * stops; an earlier target may then have applied entries past the failing
 * one — an early invalidation, which is always safe.
 *
 * Fast path: no allocation, no lock, no log; one syscall per target.
 */
#include <errno.h>
#include <string.h>

#include "iommufd_private.h"
#include "uiommu_cmd.h"

#define PAGE_SHIFT_4K 12

uint32_t
iofd_inv_entry_len(uint32_t type)
{
	switch (type) {
	case IOFD_INV_DATA_VTD_S1:
		return sizeof(struct iofd_inv_vtd_s1);
	case IOFD_INV_DATA_ARM_SMMUV3:
		return sizeof(struct iofd_inv_arm_smmuv3);
	case IOFD_INV_DATA_SELFTEST:
		return sizeof(struct iofd_inv_selftest);
	default:
		return 0;
	}
}

/* Scope of a batch entry. */
enum scope { SCOPE_NONE, SCOPE_VM, SCOPE_DEV };

static inline enum scope
entry_scope(uint8_t op)
{
	switch (op) {
	case UIOMMU_CMD_TLBI_NH_VA:
	case UIOMMU_CMD_TLBI_NH_VAA:
	case UIOMMU_CMD_TLBI_NH_ASID:
	case UIOMMU_CMD_TLBI_NH_ALL:
	case UIOMMU_CMD_TLBI_NSNH_ALL:
		return SCOPE_VM;
	case UIOMMU_CMD_ATC_INV:
	case UIOMMU_CMD_CFGI_CD:
	case UIOMMU_CMD_CFGI_CD_ALL:
		return SCOPE_DEV;
	default:
		return SCOPE_NONE;    /* CFGI_STE, CFGI_ALL: done by set_ste */
	}
}

static inline bool
is_va_tlbi(uint8_t op)
{
	return op == UIOMMU_CMD_TLBI_NH_VA || op == UIOMMU_CMD_TLBI_NH_VAA;
}

static inline void
conv_selftest(const struct uiommu_inv *e, struct iofd_inv_selftest *t)
{
	uint64_t page = e->first >> PAGE_SHIFT_4K;

	if (is_va_tlbi(e->op) && page == (e->last >> PAGE_SHIFT_4K)) {
		t->flags = 0;
		t->iotlb_id = page > UINT32_MAX ? UINT32_MAX : (uint32_t)page;
	} else {
		t->flags = IOFD_TEST_INVALIDATE_FLAG_ALL;
		t->iotlb_id = 0;
	}
}

static inline void
conv_vtd(const struct uiommu_inv *e, struct iofd_inv_vtd_s1 *v)
{
	const bool ranged = is_va_tlbi(e->op) || e->op == UIOMMU_CMD_ATC_INV;

	v->reserved = 0;
	v->flags = (is_va_tlbi(e->op) && e->leaf) ? IOFD_VTD_INV_FLAGS_LEAF : 0;
	if (!ranged || (e->first == 0 && e->last == UINT64_MAX)) {
		v->addr = 0;
		v->npages = UINT64_MAX;
		v->flags = 0;
		return;
	}
	v->addr = e->first & ~((1ULL << PAGE_SHIFT_4K) - 1);
	v->npages = (e->last >> PAGE_SHIFT_4K) - (e->first >> PAGE_SHIFT_4K) + 1;
}

unsigned int
iofd_inv_build(uint32_t type, const struct uiommu_inv *batch, unsigned int n,
	       const struct iofd_s1 *s1, void *req, uint16_t *map)
{
	unsigned int k = 0;

	if (iofd_inv_entry_len(type) == 0)
		return 0;
	for (unsigned int i = 0; i < n; i++) {
		const struct uiommu_inv *e = &batch[i];
		const enum scope sc = entry_scope(e->op);

		if (sc == SCOPE_NONE)
			continue;
		if (sc == SCOPE_DEV && s1 != NULL) {
			const struct iofd_dev *d = e->dev;

			if (d == NULL || d->attach != IOFD_ATTACH_NESTED ||
			    d->s1 != s1)
				continue;
		}
		switch (type) {
		case IOFD_INV_DATA_SELFTEST:
			conv_selftest(e, (struct iofd_inv_selftest *)req + k);
			break;
		case IOFD_INV_DATA_VTD_S1:
			conv_vtd(e, (struct iofd_inv_vtd_s1 *)req + k);
			break;
		default: {  /* IOFD_INV_DATA_ARM_SMMUV3 */
			struct iofd_inv_arm_smmuv3 *a =
				(struct iofd_inv_arm_smmuv3 *)req + k;

			a->cmd[0] = e->raw[0];
			a->cmd[1] = e->raw[1];
			break;
		}
		}
		map[k++] = (uint16_t)i;
	}
	return k;
}

/* One kernel call for one target. */
static int
inv_issue(struct iofd_viommu *vi, uint32_t target, const struct iofd_s1 *s1,
	  const struct uiommu_inv *batch, unsigned int n, unsigned int *done)
{
	struct iofd_hwpt_invalidate inv = {
		.size = sizeof(inv), .hwpt_id = target,
		.data_uptr = (uint64_t)(uintptr_t)vi->req,
		.data_type = vi->hw.inv_data_type,
		.entry_len = vi->hw.inv_entry_len,
	};
	unsigned int k, idx;
	int rc;

	k = iofd_inv_build(vi->hw.inv_data_type, batch, n, s1, vi->req, vi->map);
	vi->st.inv_skipped += n - k;
	if (k == 0)
		return 0;
	inv.entry_num = k;
	vi->st.inv_ioctls++;
	rc = iofd_ioctl(vi->fd, IOFD_IOCTL_HWPT_INVALIDATE, &inv);
	if (rc == 0 && inv.entry_num == k) {
		vi->st.inv_entries += k;
		return 0;
	}
	/* entry_num is what the kernel handled; the next one failed. */
	idx = inv.entry_num < k ? inv.entry_num : k - 1;
	vi->st.inv_entries += idx;
	vi->st.inv_failed++;
	*done = vi->map[idx];
	return rc != 0 ? rc : -EIO;
}

int
iofd_invalidate(void *priv, const struct uiommu_inv *batch, unsigned int n,
		unsigned int *done)
{
	struct iofd_viommu *vi = priv;
	int rc;

	*done = 0;
	if (n == 0)
		return 0;
	if (n > UIOMMU_BATCH_MAX)
		return -EINVAL;
	switch (vi->mode) {
	case IOFD_MODE_SHADOW:
		return iofd_shadow_invalidate(vi, batch, n, done);
	case IOFD_MODE_NESTED:
		break;
	default:
		*done = n;      /* no device: nothing can be cached */
		return 0;
	}
	if (vi->kviommu_id != 0) {
		rc = inv_issue(vi, vi->kviommu_id, NULL, batch, n, done);
		if (rc != 0)
			return rc;
	} else {
		for (unsigned int i = 0; i < UIOMMU_MAX_VDEVICES; i++) {
			const struct iofd_s1 *s1 = vi->s1[i];

			if (s1 == NULL)
				continue;
			rc = inv_issue(vi, s1->hwpt_id, s1, batch, n, done);
			if (rc != 0)
				return rc;
		}
	}
	*done = n;
	return 0;
}
