/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Soft backend: an emulated SMMUv3-like nested IOMMU (the embedded default).
 *
 * Design. One soft_viommu per vIOMMU holds the VM's slice of the emulated
 * SMMU: its VMID, a stage-2 LPAE table (GPA -> host virtual address of
 * guest RAM) that the manager owns in hugepage memory (lib/pgtable over a
 * per-vIOMMU uiommu_tblmem), an IOTLB, an event queue and the stream table
 * of its vDEVICEs. A vDEVICE "dmaN" is a soft DMA copy engine
 * (soft_dma.c) whose register page is the page the core shares with the
 * VMM. Translation is in soft_xlate.c, invalidation in soft_inv.c,
 * page-table dumps (inspection) in soft_dump.c.
 *
 * Stream configuration. A device starts blocked (abort). The guest STE
 * given to vdevice_set_ste() selects the physical mode:
 *   V = 0            -> BAD_STE (C_BAD_STE on every access)
 *   Config abort     -> ABORT
 *   Config bypass    -> S2 (the guest bypasses its stage 1; the host's
 *                       stage 2 still applies)
 *   Config S1        -> NESTED (guest CD + host stage 2)
 *   Config S2/nested -> refused (-EINVAL, device blocked): stage 2 is the
 *                       host's
 * A vIOMMU created with args "s2=off" has no stage 2: guest-physical
 * addresses are checked against the registered RAM directly, bypass is
 * BYPASS and S1 is stage 1 only. Other args: "iotlb=<entries>" (a power of
 * two) and "evtq=<records>" (a power of two).
 *
 * Lifetime and concurrency. Control ops (alloc/free/s2_map/s2_unmap/
 * vdevice_*) run on the control thread; translate and poll may run on
 * other threads concurrently. Every structure a translation reads is
 * published with a release store and retired only after a grace period of
 * the vIOMMU's RCU domain (the IOTLB's QSBR variable): configurations
 * (set_ste), devices (vdevice_free), stage-2 tables emptied by s2_unmap
 * (flush_ops.walk), and, after s2_unmap, every IOTLB entry and cached CD
 * of the vIOMMU, so that once s2_unmap returns no access reaches the
 * unmapped memory.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_kvargs.h>

#include "soft_private.h"
#include "uiommu_fail.h"
#include "uiommu_log.h"

RTE_LOG_REGISTER_SUFFIX(uiommu_logtype_soft, soft, NOTICE);

#define SOFT_IAS 48u
#define SOFT_OAS 48u
#define SOFT_PGSIZES (UIOMMU_PT_PGSIZE_4K | UIOMMU_PT_PGSIZE_2M | \
		      UIOMMU_PT_PGSIZE_1G)

/* Shared, read-only configurations of blocked and bad-STE streams. */
static struct soft_cfg soft_cfg_abort = {
	.mode = SOFT_MODE_ABORT, .is_static = 1,
};
static struct soft_cfg soft_cfg_bad_ste = {
	.mode = SOFT_MODE_BAD_STE, .is_static = 1,
};

/* Zeroed, cache-line aligned memory (the objects have aligned members). */
static void *
soft_zalloc(size_t size)
{
	void *p;

	if (uiommu_should_fail() ||
	    posix_memalign(&p, RTE_CACHE_LINE_SIZE, size) != 0)
		return NULL;
	memset(p, 0, size);
	return p;
}

static int
soft_hw_info(struct uiommu_hw_info *info)
{
	if (info == NULL)
		return -EINVAL;
	memset(info, 0, sizeof(*info));
	snprintf(info->name, sizeof(info->name), "soft");
	snprintf(info->model, sizeof(info->model),
		 "emulated SMMUv3 (nested, LPAE 4K, soft DMA)");
	info->caps = UIOMMU_HW_CAP_NESTING | UIOMMU_HW_CAP_FMT_LPAE |
		     UIOMMU_HW_CAP_TRANSLATE | UIOMMU_HW_CAP_SOFT_DMA |
		     UIOMMU_HW_CAP_RANGE_INV;
	info->pgsize_bitmap = SOFT_PGSIZES;
	info->ias = SOFT_IAS;
	info->oas = SOFT_OAS;
	info->max_vdevices = UIOMMU_MAX_VDEVICES;
	return 0;
}

/* ---- arguments ---- */

struct soft_args {
	unsigned int iotlb;
	unsigned int evtq;
	bool s2;
};

static int
arg_pow2(const char *key, const char *value, void *opaque)
{
	unsigned int *out = opaque;
	unsigned long v;
	char *end;

	RTE_SET_USED(key);
	if (value == NULL)
		return -EINVAL;
	v = strtoul(value, &end, 0);
	if (*end != '\0' || !uiommu_is_pow2_u64(v) || v > (1UL << 24))
		return -EINVAL;
	*out = (unsigned int)v;
	return 0;
}

static int
parse_args(const char *args, struct soft_args *a)
{
	static const char *const keys[] = { "iotlb", "evtq", "s2", NULL };
	struct rte_kvargs *kv;
	int rc = 0;

	a->iotlb = UIOMMU_IOTLB_ENTRIES_DEFAULT;
	a->evtq = UIOMMU_EVTQ_ENTRIES_DEFAULT;
	a->s2 = true;
	if (args == NULL || args[0] == '\0')
		return 0;
	kv = rte_kvargs_parse(args, keys);
	if (kv == NULL)
		return -EINVAL;
	if (rte_kvargs_process(kv, "iotlb", arg_pow2, &a->iotlb) != 0 ||
	    rte_kvargs_process(kv, "evtq", arg_pow2, &a->evtq) != 0 ||
	    rte_kvargs_process(kv, "s2", uiommu_backend_arg_onoff, &a->s2) != 0)
		rc = -EINVAL;
	rte_kvargs_free(kv);
	return rc;
}

/* ---- stage 2 ---- */

/* Tables emptied by an unmap are freed when this returns: wait until no
 * translation can still be walking them. */
static void
s2_flush_walk(void *cookie, uint64_t iova, uint64_t size)
{
	struct soft_viommu *vi = cookie;

	RTE_SET_USED(iova);
	RTE_SET_USED(size);
	uiommu_iotlb_sync(vi->tlb);
}

static const struct uiommu_pt_flush_ops s2_flush_ops = {
	.walk = s2_flush_walk,
};

static int
soft_s2_map(void *priv, uint64_t gpa, void *hva, uint64_t len, uint32_t prot)
{
	struct soft_viommu *vi = priv;
	uint64_t last, mapped = 0, h = (uint64_t)(uintptr_t)hva;
	uint32_t ptprot = 0;
	int rc;

	if (!vi->s2_enabled)
		return 0;
	rc = uiommu_range_last(gpa, len, &last);
	if (rc != 0)
		return rc;
	if (uiommu_range_last(h, len, &last) != 0)
		return -EOVERFLOW;
	if (((gpa | h | len) & (UIOMMU_LPAE_GRANULE - 1)) || hva == NULL ||
	    (prot & (UIOMMU_PROT_READ | UIOMMU_PROT_WRITE)) == 0)
		return -EINVAL;
	if (prot & ~(UIOMMU_PROT_READ | UIOMMU_PROT_WRITE))
		return -EOPNOTSUPP;
	if (prot & UIOMMU_PROT_READ)
		ptprot |= UIOMMU_PT_PROT_READ;
	if (prot & UIOMMU_PROT_WRITE)
		ptprot |= UIOMMU_PT_PROT_WRITE;
	if (uiommu_should_fail())
		return -ENOMEM;
	rc = uiommu_pgtable_map(vi->s2, gpa, h, len, ptprot, &mapped);
	if (rc != 0 && mapped != 0)
		uiommu_pgtable_unmap(vi->s2, gpa, mapped, NULL);
	return rc;
}

static void
soft_s2_unmap(void *priv, uint64_t gpa, uint64_t len)
{
	struct soft_viommu *vi = priv;
	int rc;

	if (!vi->s2_enabled)
		goto flush;
	rc = uiommu_pgtable_unmap(vi->s2, gpa, len, NULL);
	if (rc != 0)
		UIOMMU_LOG(ERR, uiommu_logtype_soft,
			   "vmid %u: stage-2 unmap [0x%" PRIx64 " +0x%" PRIx64
			   "] failed: %d", vi->vmid, gpa, len, rc);
flush:
	/* Everything cached may hold the unmapped memory: combined IOTLB
	 * entries and CDs read through stage 2. */
	soft_cfg_gen_bump(vi);
	for (unsigned int i = 0; i < UIOMMU_MAX_VDEVICES; i++)
		if (vi->devs[i] != NULL)
			soft_cd_cache_drop(vi, vi->devs[i]->cfg, true, 0);
	uiommu_iotlb_inv_vmid(vi->tlb, vi->vmid);
	uiommu_iotlb_sync(vi->tlb);
}

/* ---- vIOMMU ---- */

static void
soft_viommu_free(void *priv)
{
	struct soft_viommu *vi = priv;

	if (vi == NULL)
		return;
	uiommu_pgtable_destroy(vi->s2);
	uiommu_tblmem_destroy(vi->tblmem);
	uiommu_iotlb_destroy(vi->tlb);
	soft_evtq_fini(&vi->evtq);
	free(vi);
}

static int
soft_viommu_alloc(const struct uiommu_viommu_cfg *cfg, void **priv)
{
	struct uiommu_pgtable_cfg ptcfg;
	struct soft_viommu *vi;
	struct soft_args args;
	char name[32];
	int rc;

	if (cfg == NULL || priv == NULL || cfg->gmem == NULL)
		return -EINVAL;
	rc = parse_args(cfg->args, &args);
	if (rc != 0)
		return rc;
	vi = soft_zalloc(sizeof(*vi));
	if (vi == NULL)
		return -ENOMEM;
	vi->vmid = cfg->vmid;
	vi->vm_id = cfg->vm_id;
	vi->gmem = cfg->gmem;
	vi->s2_enabled = args.s2;

	rc = soft_evtq_init(&vi->evtq, args.evtq);
	if (rc != 0)
		goto err_vi;
	rc = uiommu_iotlb_create(args.iotlb, &vi->tlb);
	if (rc != 0)
		goto err_evtq;
	if (vi->s2_enabled) {
		snprintf(name, sizeof(name), "s2v%u", vi->vmid);
		rc = uiommu_tblmem_create(name, cfg->socket_id, 0, &vi->tblmem);
		if (rc != 0)
			goto err_tlb;
		memset(&ptcfg, 0, sizeof(ptcfg));
		ptcfg.format = UIOMMU_PT_ARM_LPAE_S2_4K;
		ptcfg.ias = SOFT_IAS;
		ptcfg.oas = SOFT_OAS;
		ptcfg.pgsize_bitmap = SOFT_PGSIZES;
		ptcfg.mem_ops = &uiommu_tblmem_ops;
		ptcfg.mem_ctx = vi->tblmem;
		ptcfg.flush_ops = &s2_flush_ops;
		ptcfg.flush_cookie = vi;
		ptcfg.prot_default = UIOMMU_PT_PROT_CACHE;
		ptcfg.flags = UIOMMU_PT_CFG_COHERENT_WALK;
		rc = uiommu_pgtable_create(&ptcfg, &vi->s2);
		if (rc != 0)
			goto err_tblmem;
		rc = uiommu_pgtable_lpae_walk_cfg(vi->s2, &vi->s2_walk);
		if (rc != 0)
			goto err_pt;
	}
	*priv = vi;
	return 0;

err_pt:
	uiommu_pgtable_destroy(vi->s2);
err_tblmem:
	uiommu_tblmem_destroy(vi->tblmem);
err_tlb:
	uiommu_iotlb_destroy(vi->tlb);
err_evtq:
	soft_evtq_fini(&vi->evtq);
err_vi:
	free(vi);
	return rc;
}

/* ---- vDEVICE ---- */

static int
parse_spec(const char *spec, unsigned int *id)
{
	unsigned long v;
	char *end;

	if (spec == NULL || strncmp(spec, "dma", 3) != 0 ||
	    spec[3] < '0' || spec[3] > '9')
		return -EINVAL;
	v = strtoul(spec + 3, &end, 10);
	if (*end != '\0' || v >= UIOMMU_MAX_SOFT_DEVICES)
		return -EINVAL;
	*id = (unsigned int)v;
	return 0;
}

/* Replace the stream's configuration and retire the old one. */
static void
dev_cfg_replace(struct soft_dev *dev, struct soft_cfg *cfg)
{
	struct soft_cfg *old = dev->cfg;

	/* Release: the configuration is complete before it is seen. */
	__atomic_store_n(&dev->cfg, cfg, __ATOMIC_RELEASE);
	if (old == NULL || old->is_static)
		return;
	uiommu_iotlb_sync(dev->vi->tlb);
	free(old);
}

static int
soft_vdevice_alloc(void *priv, const char *spec, uint32_t vsid, void *regs,
		   void **dev_priv, struct uiommu_vdevice_out *out)
{
	struct soft_viommu *vi = priv;
	struct soft_dev *dev;
	unsigned int id, slot = UIOMMU_MAX_VDEVICES;
	int rc;

	if (vi == NULL || dev_priv == NULL || regs == NULL)
		return -EINVAL;
	rc = parse_spec(spec, &id);
	if (rc != 0)
		return rc;
	for (unsigned int i = 0; i < UIOMMU_MAX_VDEVICES; i++) {
		struct soft_dev *d = vi->devs[i];

		if (d == NULL) {
			if (slot == UIOMMU_MAX_VDEVICES)
				slot = i;
			continue;
		}
		if (d->dma_id == id || d->vsid == vsid)
			return -EEXIST;
	}
	if (slot == UIOMMU_MAX_VDEVICES)
		return -ENOSPC;
	dev = soft_zalloc(sizeof(*dev));
	if (dev == NULL)
		return -ENOMEM;
	dev->vi = vi;
	dev->vsid = vsid;
	dev->index = slot;
	dev->dma_id = id;
	dev->cfg = &soft_cfg_abort;
	soft_dma_init(&dev->dma, regs);
	if (out != NULL) {
		out->fd = -1;
		out->regs = regs;
	}
	/* Publish last: pairs with the acquire loads in soft_poll() and the
	 * invalidation path. */
	__atomic_store_n(&vi->devs[slot], dev, __ATOMIC_RELEASE);
	/* After the pointer: poll() reads the mask, then the pointer. */
	__atomic_fetch_or(&vi->dev_mask, 1ULL << slot, __ATOMIC_RELEASE);
	*dev_priv = dev;
	return 0;
}

static void
soft_vdevice_free(void *dev_priv)
{
	struct soft_dev *dev = dev_priv;
	struct soft_viommu *vi;

	if (dev == NULL)
		return;
	vi = dev->vi;
	__atomic_fetch_and(&vi->dev_mask, ~(1ULL << dev->index),
			   __ATOMIC_RELEASE);
	__atomic_store_n(&vi->devs[dev->index], NULL, __ATOMIC_RELEASE);
	dev_cfg_replace(dev, &soft_cfg_abort);
	/* No poller or translation still holds the device. */
	uiommu_iotlb_sync(vi->tlb);
	free(dev);
}

static int
soft_vdevice_set_ste(void *dev_priv, const struct uiommu_ste_info *ste)
{
	struct soft_dev *dev = dev_priv;
	struct soft_viommu *vi;
	struct soft_cfg *cfg;
	uint8_t mode;

	if (dev == NULL)
		return -EINVAL;
	vi = dev->vi;
	if (ste == NULL) {
		dev_cfg_replace(dev, &soft_cfg_abort);
		return 0;
	}
	if (!ste->valid) {
		dev_cfg_replace(dev, &soft_cfg_bad_ste);
		return 0;
	}
	switch (ste->config) {
	case UIOMMU_STE_CFG_ABORT:
		dev_cfg_replace(dev, &soft_cfg_abort);
		return 0;
	case UIOMMU_STE_CFG_BYPASS:
		mode = vi->s2_enabled ? SOFT_MODE_S2 : SOFT_MODE_BYPASS;
		break;
	case UIOMMU_STE_CFG_S1:
		mode = vi->s2_enabled ? SOFT_MODE_NESTED : SOFT_MODE_S1;
		if (ste->s1fmt != 0 || ste->s1cdmax > UIOMMU_MAX_S1CDMAX ||
		    ste->s1dss > 2)
			goto bad;
		break;
	default:
		goto bad;
	}
	cfg = soft_zalloc(sizeof(*cfg));
	if (cfg == NULL)
		goto nomem;
	cfg->mode = mode;
	cfg->s1cdmax = ste->s1cdmax;
	cfg->s1dss = ste->s1dss;
	cfg->s1ctxptr = ste->s1ctxptr;
	dev_cfg_replace(dev, cfg);
	return 0;

nomem:
	dev_cfg_replace(dev, &soft_cfg_abort);
	return -ENOMEM;
bad:
	dev_cfg_replace(dev, &soft_cfg_abort);
	return -EINVAL;
}

/* ---- fast-path ops ---- */

static int
soft_translate_op(void *dev_priv, uint64_t iova, uint32_t access,
		  struct uiommu_xlate *out)
{
	struct soft_dev *dev = dev_priv;
	struct soft_xl_detail detail;
	struct soft_xl xl;
	unsigned int reader;
	int rc;

	if (dev == NULL || out == NULL ||
	    (access & (UIOMMU_ACCESS_READ | UIOMMU_ACCESS_WRITE)) == 0 ||
	    (access & ~(UIOMMU_ACCESS_READ | UIOMMU_ACCESS_WRITE |
			UIOMMU_ACCESS_PROBE)))
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	memset(&detail, 0, sizeof(detail));
	rc = uiommu_iotlb_reader_online(dev->vi->tlb, &reader);
	if (rc != 0)
		return rc;
	rc = soft_translate(dev, false, 0, iova, access, &xl, &detail,
			    &out->fault);
	uiommu_iotlb_reader_offline(dev->vi->tlb, reader);
	if (rc != 0)
		return rc;
	out->hva = xl.hva;
	out->contig = xl.contig;
	out->iotlb_hit = xl.hit;
	out->s1 = detail.s1;
	out->s2 = detail.s2;
	return 0;
}

static int
soft_event_read(void *priv, struct uiommu_event *ev, unsigned int n,
		uint64_t *lost)
{
	struct soft_viommu *vi = priv;

	if (vi == NULL || (ev == NULL && n != 0))
		return -EINVAL;
	return soft_evtq_read(&vi->evtq, ev, n, lost);
}

static void
soft_event_count(void *priv, uint64_t *recorded, uint64_t *dropped)
{
	struct soft_viommu *vi = priv;

	soft_evtq_count(&vi->evtq, recorded, dropped);
}

static const struct uiommu_backend_ops soft_ops = {
	.name = "soft",
	.hw_info = soft_hw_info,
	.viommu_alloc = soft_viommu_alloc,
	.viommu_free = soft_viommu_free,
	.s2_map = soft_s2_map,
	.s2_unmap = soft_s2_unmap,
	.vdevice_alloc = soft_vdevice_alloc,
	.vdevice_free = soft_vdevice_free,
	.vdevice_set_ste = soft_vdevice_set_ste,
	.invalidate = soft_invalidate,
	.translate = soft_translate_op,
	.event_read = soft_event_read,
	.poll = soft_poll,
	.event_count = soft_event_count,
	.vdevice_pt_dump = soft_vdevice_pt_dump,
	.viommu_pt_dump = soft_viommu_pt_dump,
};

UIOMMU_BACKEND_REGISTER(soft_ops)
