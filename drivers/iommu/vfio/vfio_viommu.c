/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vfio backend: the ops table, the vIOMMU and its stage 2.
 *
 * Design. VFIO type1 gives one IOVA space per container, and two devices
 * whose guest stage-1 tables differ need two IOVA spaces. So a vIOMMU is
 * not a kernel object here: it is the VM's set of RAM regions (its "stage
 * 2", given by s2_map as GPA -> host address), its devices and its event
 * ring, and every vDEVICE gets its own container (vfio_dev.c). What would
 * be a stage-2 map elsewhere is the input of every device's shadow:
 *  - a bypass device maps the RAM regions at IOVA = GPA;
 *  - a stage-1 device maps IOVA -> the host address of the GPA its guest
 *    leaf names (vfio_shadow.c).
 * So s2_map maps the new region into bypass devices, and re-walks a
 * stage-1 device only if an earlier walk met a leaf outside RAM (that leaf
 * may now translate); s2_unmap removes every mapping whose host memory lies
 * in the region, from every device, before the core unmaps the memory.
 *
 * hw_info reports what type1 offers: no nesting, stage 1 emulated by
 * shadowing (caps SHADOW | FMT_LPAE | RANGE_INV), the page sizes and IOVA
 * width the kernel reported for the most recent container (0 before the
 * first device is bound: hw_info may run before any container exists), and
 * max_mappings = the kernel's dma_entry_limit (or its default, 65535).
 *
 * Counters are kept per vIOMMU; freed vIOMMUs add theirs to a process
 * total, so uiommu_vfio_stats_total() and the telemetry command
 * /uiommu/vfio cover the whole life of the process.
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_kvargs.h>
#include <rte_telemetry.h>

#include "uiommu_fail.h"
#include "vfio_private.h"

RTE_LOG_REGISTER_SUFFIX(uiommu_logtype_vfio, vfio, NOTICE);

/* Every vfio vIOMMU of the process, and the totals of the freed ones. */
static pthread_mutex_t vfio_list_lock = PTHREAD_MUTEX_INITIALIZER;
static TAILQ_HEAD(, vfio_viommu) vfio_list = TAILQ_HEAD_INITIALIZER(vfio_list);
static struct uiommu_vfio_stats vfio_retired;

/* Facts of the most recent container, for hw_info. */
static uint64_t vfio_last_pgsizes;
static uint64_t vfio_last_iova_max;

void
vfio_hw_note(const struct vfio_kinfo *ki)
{
	uint64_t max = 0;

	for (uint32_t i = 0; i < ki->nr_ranges; i++)
		max = RTE_MAX(max, ki->ranges[i].last);
	__atomic_store_n(&vfio_last_pgsizes, ki->pgsizes, __ATOMIC_RELAXED);
	__atomic_store_n(&vfio_last_iova_max, max, __ATOMIC_RELAXED);
}

static uint64_t
kernel_entry_limit(void)
{
	uint64_t v;

	if (vfio_sys_dma_entry_limit(&v) == 0)
		return v;
	return UIOMMU_VFIO_DMA_ENTRY_LIMIT_DEFAULT;
}

static int
vfio_hw_info(struct uiommu_hw_info *info)
{
	uint64_t max;

	if (info == NULL)
		return -EINVAL;
	memset(info, 0, sizeof(*info));
	snprintf(info->name, sizeof(info->name), "vfio");
	snprintf(info->model, sizeof(info->model),
		 "VFIO type1v2, stage 1 shadowed (LPAE 4K)");
	info->caps = UIOMMU_HW_CAP_SHADOW | UIOMMU_HW_CAP_FMT_LPAE |
		     UIOMMU_HW_CAP_RANGE_INV;
	info->pgsize_bitmap = __atomic_load_n(&vfio_last_pgsizes,
					      __ATOMIC_RELAXED);
	max = __atomic_load_n(&vfio_last_iova_max, __ATOMIC_RELAXED);
	info->ias = max == 0 ? 0 : (uint8_t)(64 - __builtin_clzll(max));
	info->oas = info->ias;
	info->max_vdevices = UIOMMU_MAX_VDEVICES;
	info->max_mappings = kernel_entry_limit();
	return 0;
}

/* ---- stage 2 ---- */

/* Index of the region holding [gpa, gpa + len - 1] whole, or -1. */
int
vfio_s2_index(const struct vfio_viommu *vi, uint64_t gpa, uint64_t len)
{
	uint64_t last;

	if (len == 0 || __builtin_add_overflow(gpa, len - 1, &last))
		return -1;
	for (uint32_t i = 0; i < vi->s2.nr; i++)
		if (gpa >= vi->s2.r[i].gpa && last <= vi->s2.r[i].last)
			return (int)i;
	return -1;
}

static void
s2_remove(struct vfio_viommu *vi, uint32_t i)
{
	memmove(&vi->s2.r[i], &vi->s2.r[i + 1],
		(vi->s2.nr - i - 1) * sizeof(vi->s2.r[0]));
	memmove(&vi->s2_prot[i], &vi->s2_prot[i + 1],
		(vi->s2.nr - i - 1) * sizeof(vi->s2_prot[0]));
	vi->s2.nr--;
}

static int
vfio_s2_map(void *priv, uint64_t gpa, void *hva, uint64_t len, uint32_t prot)
{
	struct vfio_viommu *vi = priv;
	uint64_t h = (uint64_t)(uintptr_t)hva, last, hlast;
	uint32_t i, pos;
	int rc = 0;

	rc = uiommu_range_last(gpa, len, &last);
	if (rc != 0)
		return rc;
	if (uiommu_range_last(h, len, &hlast) != 0)
		return -EOVERFLOW;
	if (((gpa | h | len) & VFIO_PAGE_MASK) != 0 || hva == NULL ||
	    (prot & (UIOMMU_PROT_READ | UIOMMU_PROT_WRITE)) == 0)
		return -EINVAL;
	if (prot & ~(UIOMMU_PROT_READ | UIOMMU_PROT_WRITE))
		return -EOPNOTSUPP;
	for (i = 0; i < vi->s2.nr; i++)
		if (uiommu_range_overlaps(gpa, last, vi->s2.r[i].gpa,
					  vi->s2.r[i].last))
			return -EEXIST;
	if (vi->s2.nr == UIOMMU_MAX_MEM_REGIONS)
		return -ENOSPC;
	for (pos = 0; pos < vi->s2.nr && vi->s2.r[pos].gpa < gpa; pos++)
		;
	memmove(&vi->s2.r[pos + 1], &vi->s2.r[pos],
		(vi->s2.nr - pos) * sizeof(vi->s2.r[0]));
	memmove(&vi->s2_prot[pos + 1], &vi->s2_prot[pos],
		(vi->s2.nr - pos) * sizeof(vi->s2_prot[0]));
	vi->s2.r[pos] = (struct uiommu_gmem_region){
		.gpa = gpa, .last = last, .hva = hva, .size = len, .fd = -1,
	};
	vi->s2_prot[pos] = prot;
	vi->s2.nr++;

	for (i = 0; i < vi->nr_devs && rc == 0; i++) {
		struct vfio_dev *d = vi->devs[i];

		if (d->mode == VFIO_MODE_BYPASS)
			rc = vshadow_refresh(d, gpa, last);
		else if (d->mode == VFIO_MODE_S1 && d->s2_miss)
			rc = vshadow_refresh(d, 0, UINT64_MAX);
	}
	if (rc != 0) {
		/* Leave no mapping of the region behind. */
		for (i = 0; i < vi->nr_devs; i++)
			(void)vshadow_purge_hva(vi->devs[i], h, hlast);
		s2_remove(vi, pos);
	}
	return rc;
}

static void
vfio_s2_unmap(void *priv, uint64_t gpa, uint64_t len)
{
	struct vfio_viommu *vi = priv;
	uint64_t last, hva;
	uint32_t i;

	if (uiommu_range_last(gpa, len, &last) != 0)
		return;
	for (i = 0; i < vi->s2.nr; i++)
		if (vi->s2.r[i].gpa == gpa && vi->s2.r[i].last == last)
			break;
	if (i == vi->s2.nr) {
		VFIO_LOG(WARNING, "VMID %u: s2_unmap of an unknown range 0x%" PRIx64,
			 vi->vmid, gpa);
		return;
	}
	hva = (uint64_t)(uintptr_t)vi->s2.r[i].hva;
	for (uint32_t k = 0; k < vi->nr_devs; k++) {
		struct vfio_dev *d = vi->devs[k];

		if (vshadow_purge_hva(d, hva, hva + (last - gpa)) != 0)
			VFIO_LOG(ERR, "VMID %u: a mapping of RAM 0x%" PRIx64
				 " could not be removed (pages stay pinned)",
				 vi->vmid, gpa);
		/* Leaves into the region now miss: re-walk if it returns. */
		if (d->mode == VFIO_MODE_S1)
			d->s2_miss = true;
	}
	s2_remove(vi, i);
}

/* ---- arguments ---- */

static int
arg_u64(const char *key, const char *value, void *opaque)
{
	uint64_t *out = opaque;
	unsigned long long v;
	char *end;

	RTE_SET_USED(key);
	if (value == NULL || value[0] < '0' || value[0] > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(value, &end, 0);
	if (errno != 0 || *end != '\0' || v == 0)
		return -EINVAL;
	*out = v;
	return 0;
}

static int
parse_args(const char *args, struct vfio_args *a)
{
	static const char *const keys[] = {
		"walk_max", "max_maps", "coalesce", NULL,
	};
	uint64_t walk = UIOMMU_VFIO_WALK_MAX, maps = 0;
	struct rte_kvargs *kv;
	int rc = 0;

	a->walk_max = UIOMMU_VFIO_WALK_MAX;
	a->max_maps = 0;
	a->coalesce = true;
	if (args == NULL || args[0] == '\0')
		return 0;
	kv = rte_kvargs_parse(args, keys);
	if (kv == NULL)
		return -EINVAL;
	if (rte_kvargs_process(kv, "walk_max", arg_u64, &walk) != 0 ||
	    rte_kvargs_process(kv, "max_maps", arg_u64, &maps) != 0 ||
	    rte_kvargs_process(kv, "coalesce", uiommu_backend_arg_onoff, &a->coalesce) != 0 ||
	    walk > UIOMMU_VFIO_WALK_MAX || maps > UINT32_MAX)
		rc = -EINVAL;
	rte_kvargs_free(kv);
	a->walk_max = (uint32_t)walk;
	a->max_maps = maps;
	return rc;
}

/* ---- vIOMMU ---- */

static int
vfio_viommu_alloc(const struct uiommu_viommu_cfg *cfg, void **priv)
{
	struct vfio_viommu *vi;
	struct vfio_args a;
	int rc, fd;

	if (cfg == NULL || priv == NULL)
		return -EINVAL;
	rc = parse_args(cfg->args, &a);
	if (rc != 0)
		return rc;
	/* VFIO must be there: the devices' containers will need it. */
	if (uiommu_should_fail())
		return -ENOMEM;
	rc = vfio_sys_container_open(&fd);
	if (rc != 0)
		return rc;
	close(fd);
	if (uiommu_should_fail())
		return -ENOMEM;
	vi = calloc(1, sizeof(*vi));
	if (vi == NULL)
		return -ENOMEM;
	vi->vmid = cfg->vmid;
	vi->vm_id = cfg->vm_id;
	vi->args = a;
	vi->kernel_limit = kernel_entry_limit();
	vfio_evq_init(&vi->evq);
	/* Publish (nothing can fail from here on). */
	pthread_mutex_lock(&vfio_list_lock);
	TAILQ_INSERT_TAIL(&vfio_list, vi, next);
	pthread_mutex_unlock(&vfio_list_lock);
	*priv = vi;
	VFIO_LOG(INFO, "VMID %u: vfio vIOMMU (walk_max %u, max_maps %" PRIu64
		 ", kernel limit %" PRIu64 ", coalesce %s)", vi->vmid,
		 a.walk_max, a.max_maps, vi->kernel_limit,
		 a.coalesce ? "on" : "off");
	return 0;
}

_Static_assert(sizeof(struct uiommu_vfio_stats) % sizeof(uint64_t) == 0,
	       "the counters are read and summed as an array of uint64_t");

static void
stats_read(const struct uiommu_vfio_stats *s, struct uiommu_vfio_stats *out)
{
	const uint64_t *src = (const uint64_t *)s;
	uint64_t *dst = (uint64_t *)out;

	for (size_t i = 0; i < sizeof(*s) / sizeof(uint64_t); i++)
		dst[i] = __atomic_load_n(&src[i], __ATOMIC_RELAXED);
}

static void
stats_add(struct uiommu_vfio_stats *acc, const struct uiommu_vfio_stats *s)
{
	uint64_t *dst = (uint64_t *)acc;
	const uint64_t *src = (const uint64_t *)s;

	for (size_t i = 0; i < sizeof(*s) / sizeof(uint64_t); i++)
		dst[i] += src[i];
}

static void
vfio_viommu_free(void *priv)
{
	struct vfio_viommu *vi = priv;
	struct uiommu_vfio_stats st;

	if (vi == NULL)
		return;
	RTE_VERIFY(vi->nr_devs == 0);
	pthread_mutex_lock(&vfio_list_lock);
	TAILQ_REMOVE(&vfio_list, vi, next);
	stats_read(&vi->st, &st);
	st.live_maps = 0;
	stats_add(&vfio_retired, &st);
	pthread_mutex_unlock(&vfio_list_lock);
	VFIO_LOG(INFO, "VMID %u: %" PRIu64 " MAP_DMA (%.1f us each), %" PRIu64
		 " UNMAP_DMA (%.1f us each), %" PRIu64 " refreshes (%.1f us each, "
		 "%" PRIu64 " walk steps), %" PRIu64 " runs kept; errors: limit %"
		 PRIu64 ", walk %" PRIu64 ", kernel %" PRIu64, vi->vmid,
		 st.map_calls, st.map_calls ? st.map_ns / 1e3 / st.map_calls : 0.0,
		 st.unmap_calls,
		 st.unmap_calls ? st.unmap_ns / 1e3 / st.unmap_calls : 0.0,
		 st.refreshes,
		 st.refreshes ? st.refresh_ns / 1e3 / st.refreshes : 0.0,
		 st.walk_steps, st.runs_kept, st.limit_errors,
		 st.walk_limit_errors, st.kernel_errors);
	free(vi);
}

int
uiommu_vfio_stats_get(const void *viommu_priv, struct uiommu_vfio_stats *st)
{
	if (viommu_priv == NULL || st == NULL)
		return -EINVAL;
	stats_read(&((const struct vfio_viommu *)viommu_priv)->st, st);
	return 0;
}

int
uiommu_vfio_stats_total(struct uiommu_vfio_stats *st)
{
	struct uiommu_vfio_stats one;
	struct vfio_viommu *vi;

	if (st == NULL)
		return -EINVAL;
	pthread_mutex_lock(&vfio_list_lock);
	*st = vfio_retired;
	TAILQ_FOREACH(vi, &vfio_list, next) {
		stats_read(&vi->st, &one);
		stats_add(st, &one);
	}
	pthread_mutex_unlock(&vfio_list_lock);
	return 0;
}

/* /uiommu/vfio: the process totals. */
static int
tel_vfio(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct uiommu_vfio_stats st;

	RTE_SET_USED(cmd);
	RTE_SET_USED(params);
	uiommu_vfio_stats_total(&st);
	rte_tel_data_start_dict(d);
#define TEL_U64(f) rte_tel_data_add_dict_u64(d, #f, st.f)
	TEL_U64(map_calls);
	TEL_U64(unmap_calls);
	TEL_U64(map_bytes);
	TEL_U64(unmap_bytes);
	TEL_U64(live_maps);
	TEL_U64(refreshes);
	TEL_U64(walk_steps);
	TEL_U64(runs_kept);
	TEL_U64(limit_errors);
	TEL_U64(walk_limit_errors);
	TEL_U64(kernel_errors);
	TEL_U64(alloc_errors);
	TEL_U64(iova_excluded);
	TEL_U64(s2_misses);
	TEL_U64(bad_cd);
	TEL_U64(events);
	TEL_U64(events_lost);
	TEL_U64(map_ns);
	TEL_U64(unmap_ns);
	TEL_U64(refresh_ns);
#undef TEL_U64
	return 0;
}

RTE_INIT(vfio_telemetry_init)
{
	rte_telemetry_register_cmd("/uiommu/vfio", tel_vfio,
		"vfio backend counters, summed over the process. No parameters.");
}

static const struct uiommu_backend_ops vfio_ops = {
	.name = "vfio",
	.hw_info = vfio_hw_info,
	.viommu_alloc = vfio_viommu_alloc,
	.viommu_free = vfio_viommu_free,
	.s2_map = vfio_s2_map,
	.s2_unmap = vfio_s2_unmap,
	.vdevice_alloc = vfio_vdevice_alloc,
	.vdevice_free = vfio_vdevice_free,
	.vdevice_set_ste = vfio_vdevice_set_ste,
	.invalidate = vfio_invalidate,
	.event_read = vfio_event_read,
	.event_count = vfio_event_count,
};

UIOMMU_BACKEND_REGISTER(vfio_ops);
