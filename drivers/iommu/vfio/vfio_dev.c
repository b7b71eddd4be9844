/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vfio backend: vDEVICEs, each in its own VFIO container.
 *
 * Design. One container per vDEVICE: a container is one IOVA space, and
 * devices with different guest stage-1 tables (or one in bypass and one
 * translated) need different IOVA spaces. A container costs a file
 * descriptor and one kernel IOMMU domain per device, and each has its own
 * dma_entry_limit budget. Devices of one IOMMU group share the group's
 * domain and cannot be split; the kernel lets one process open a group
 * once, so a second vDEVICE in an already bound group is refused (-EBUSY).
 *
 * Binding ("vfio:0000:00:03.0"): parse the PCI address, find its group in
 * sysfs, open a container, attach the group, select VFIO_TYPE1v2_IOMMU,
 * read what the kernel offers (page sizes, IOVA ranges, DMA_AVAIL), and
 * get the device fd, which goes to the VMM (uiommu_vdevice_out.fd) so it
 * can program the device; the manager keeps the container and the group.
 * The new container is empty: the device starts blocked.
 *
 * Configuration (set_ste, from CFGI_STE): abort / V = 0 -> nothing mapped;
 * bypass -> every RAM region at IOVA = GPA (the guest never bypasses the
 * host's stage 2, here: its RAM regions); stage 1 -> the CD is read from
 * guest RAM (only CD 0 / transactions without substream: type1 has no
 * PASID), decoded with uiommu_cd_decode(), and the stage-1 tables it names
 * are shadowed (lib/shadow, with the container as its sink: vfio_shadow.c). A CD that cannot be read raises
 * F_CD_FETCH, one that does not decode (or has V = 0) raises C_BAD_CD,
 * both at configuration time, and the device maps nothing. S1CDMax > 0
 * with S1DSS = terminate maps nothing, with S1DSS = bypass is bypass.
 * Stage-2 and nested configurations are the host's: refused (-EINVAL).
 * A configuration change is one full refresh, so only what differs from
 * the old shadow reaches the kernel. When it fails (mapping or walk limit,
 * kernel error) the device is blocked and the error returned, as the SDK
 * requires; the guest sees CERROR_ILL at its CFGI_STE.
 *
 * Unbinding blocks first (unmaps everything): the VMM may keep the device
 * fd open, which keeps the group and the container alive in the kernel;
 * they must be empty by then.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_byteorder.h>

#include "uiommu_fail.h"
#include "vfio_private.h"

int
vfio_dev_block(struct vfio_dev *d)
{
	d->mode = VFIO_MODE_ABORT;
	return vshadow_configure(d);
}

/* Read and decode the CD of transactions without substream; set d->mode. */
static void
dev_load_cd(struct vfio_dev *d)
{
	const struct uiommu_ste_info *ste = &d->ste;
	struct vfio_viommu *vi = d->vi;
	struct uiommu_cd_info cd;
	const uint64_t *p;
	uint64_t raw[UIOMMU_CD_SIZE / 8];
	unsigned int oas;
	int i;

	d->mode = VFIO_MODE_ABORT;
	if (ste->s1cdmax > 0) {
		if (ste->s1dss == 0)           /* terminate */
			return;
		if (ste->s1dss == 1) {         /* bypass stage 1 */
			d->mode = VFIO_MODE_BYPASS;
			return;
		}
		if (ste->s1dss != 2)
			return;
	}
	i = vfio_s2_index(vi, ste->s1ctxptr, UIOMMU_CD_SIZE);
	if (i < 0 || !(vi->s2_prot[i] & UIOMMU_PROT_READ)) {
		VSTAT_ADD(vi, bad_cd, 1);
		vfio_event_raise(vi, UIOMMU_EVT_F_CD_FETCH, d->vsid, 0,
				 ste->s1ctxptr);
		return;
	}
	p = (const uint64_t *)(uintptr_t)
	    (vi->s2.r[i].hva + (ste->s1ctxptr - vi->s2.r[i].gpa));
	/* One load per word: only the private copy is decoded. */
	for (unsigned int w = 0; w < RTE_DIM(raw); w++)
		raw[w] = __atomic_load_n(&p[w], __ATOMIC_RELAXED);
	if (uiommu_cd_decode(raw, &cd) != 0 || !cd.valid) {
		VSTAT_ADD(vi, bad_cd, 1);
		vfio_event_raise(vi, UIOMMU_EVT_C_BAD_CD, d->vsid, 0, 0);
		return;
	}
	if (cd.epd0)                           /* every walk faults */
		return;
	/* An input size the 4 KiB walker cannot walk: nothing translates. */
	if (64 - cd.t0sz < 25 || 64 - cd.t0sz > 48)
		return;
	oas = RTE_MIN(uiommu_smmu_ips_bits(cd.ips), UIOMMU_LPAE_MAX_OAS);
	d->s1 = (struct vfio_s1cfg){
		.ttb0 = cd.ttb0,
		.asid = cd.asid,
		.ias = (uint8_t)(64 - cd.t0sz),
		.oas = (uint8_t)RTE_MAX(oas, 32u),
		.affd = cd.affd != 0,
	};
	d->mode = VFIO_MODE_S1;
}

int
vfio_dev_apply(struct vfio_dev *d)
{
	int rc;

	if (!d->have_ste)
		d->mode = VFIO_MODE_ABORT;
	else if (d->ste.config == UIOMMU_STE_CFG_BYPASS)
		d->mode = VFIO_MODE_BYPASS;
	else
		dev_load_cd(d);
	rc = vshadow_configure(d);
	if (rc != 0) {
		/* No half-applied configuration: block, report. */
		d->have_ste = false;
		(void)vfio_dev_block(d);
		VFIO_LOG(DEBUG, "%s (vSID 0x%x): configuration not applied (%s); blocked",
			 d->bdf, d->vsid, strerror(-rc));
	}
	return rc;
}

int
vfio_vdevice_set_ste(void *dev_priv, const struct uiommu_ste_info *ste)
{
	struct vfio_dev *d = dev_priv;

	d->have_ste = false;
	if (ste == NULL || !ste->valid || ste->config == UIOMMU_STE_CFG_ABORT)
		return vfio_dev_block(d);
	if (ste->config != UIOMMU_STE_CFG_BYPASS &&
	    ste->config != UIOMMU_STE_CFG_S1) {
		(void)vfio_dev_block(d);
		return -EINVAL;
	}
	d->ste = *ste;
	d->have_ste = true;
	return vfio_dev_apply(d);
}

int
vfio_vdevice_alloc(void *priv, const char *spec, uint32_t vsid, void *regs,
		   void **dev_priv, struct uiommu_vdevice_out *out)
{
	struct vfio_viommu *vi = priv;
	char bdf[VFIO_BDF_LEN];
	unsigned int group;
	struct vfio_dev *d;
	uint64_t limit;
	int rc;

	RTE_SET_USED(regs);
	if (vi == NULL || dev_priv == NULL || out == NULL)
		return -EINVAL;
	rc = vfio_sys_bdf_parse(spec, bdf);
	if (rc != 0)
		return rc;
	if (vi->nr_devs == UIOMMU_MAX_VDEVICES)
		return -ENOSPC;
	rc = vfio_sys_group_id(bdf, &group);
	if (rc != 0)
		return rc;
	if (uiommu_should_fail())
		return -ENOMEM;
	d = calloc(1, sizeof(*d));
	if (d == NULL)
		return -ENOMEM;
	d->vi = vi;
	d->vsid = vsid;
	d->group_id = group;
	d->container = d->group = d->device = -1;
	memcpy(d->bdf, bdf, sizeof(bdf));
	rc = uiommu_should_fail() ? -ENOMEM : vfio_sys_container_open(&d->container);
	if (rc != 0)
		goto err_free;
	rc = uiommu_should_fail() ? -ENOMEM :
	     vfio_sys_group_attach(group, d->container, &d->group);
	if (rc != 0)
		goto err_container;
	rc = vfio_sys_set_iommu(d->container);
	if (rc != 0)
		goto err_group;
	rc = vfio_sys_get_info(d->container, &d->kinfo);
	if (rc != 0)
		goto err_group;
	if (d->kinfo.pgsizes != 0 && !(d->kinfo.pgsizes & VFIO_PAGE)) {
		VFIO_LOG(ERR, "%s: the IOMMU cannot map 4 KiB pages (sizes 0x%"
			 PRIx64 ")", bdf, d->kinfo.pgsizes);
		rc = -EOPNOTSUPP;
		goto err_group;
	}
	if (d->kinfo.ranges_known && d->kinfo.nr_ranges == 0) {
		VFIO_LOG(ERR, "%s: the kernel reports no usable IOVA", bdf);
		rc = -EOPNOTSUPP;
		goto err_group;
	}
	limit = d->kinfo.avail_known ? d->kinfo.dma_avail : vi->kernel_limit;
	if (vi->args.max_maps != 0)
		limit = RTE_MIN(limit, vi->args.max_maps);
	if (limit == 0) {
		VFIO_LOG(ERR, "%s: the container may hold no mapping", bdf);
		rc = -ENOSPC;
		goto err_group;
	}
	d->max_maps = limit;
	/* The shadow engine, its sink this container (empty: blocked). */
	rc = vshadow_create(d);
	if (rc != 0)
		goto err_group;
	rc = uiommu_should_fail() ? -ENOMEM :
	     vfio_sys_device_fd(d->group, bdf, &d->device);
	if (rc != 0)
		goto err_shadow;
	vfio_hw_note(&d->kinfo);
	/* Publish. */
	d->mode = VFIO_MODE_ABORT;
	vi->devs[vi->nr_devs++] = d;
	out->fd = d->device;
	out->regs = NULL;
	*dev_priv = d;
	VFIO_LOG(INFO, "VMID %u vSID 0x%x: %s (group %u), page sizes 0x%" PRIx64
		 ", %u IOVA range(s), up to %" PRIu64 " mappings", vi->vmid, vsid,
		 bdf, group, d->kinfo.pgsizes, d->kinfo.nr_ranges, d->max_maps);
	return 0;

err_shadow:
	vshadow_destroy(d);
err_group:
	close(d->group);
err_container:
	close(d->container);
err_free:
	free(d);
	return rc;
}

void
vfio_vdevice_free(void *dev_priv)
{
	struct vfio_dev *d = dev_priv;
	struct vfio_viommu *vi;

	if (d == NULL)
		return;
	vi = d->vi;
	d->have_ste = false;
	if (vfio_dev_block(d) != 0)
		VFIO_LOG(ERR, "%s: mappings left in the container at unbind", d->bdf);
	for (uint32_t i = 0; i < vi->nr_devs; i++) {
		if (vi->devs[i] != d)
			continue;
		memmove(&vi->devs[i], &vi->devs[i + 1],
			(vi->nr_devs - i - 1) * sizeof(vi->devs[0]));
		vi->nr_devs--;
		break;
	}
	vshadow_destroy(d);
	close(d->device);
	close(d->group);
	close(d->container);
	free(d);
}
