/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * iommufd backend: the vIOMMU object, its stage-2 IOAS, and the ops table.
 *
 * Design. One uiommu vIOMMU is one open /dev/iommu (its own object-ID
 * namespace, so two VMs can never name each other's objects) holding one
 * IOAS: the VM's stage 2. Every guest RAM region the core hands to s2_map()
 * is mapped at IOVA = GPA (FIXED_IOVA). When the region's memfd is known —
 * the region is already published in the VM's guest memory, which is the
 * normal order since MEM_ADD precedes VIOMMU_CREATE — IOMMU_IOAS_MAP_FILE
 * maps the file itself (the pin does not depend on our mapping and survives
 * a live update); otherwise, or on a kernel older than 6.13 (ENOTTY, which
 * is then remembered for the fd), IOMMU_IOAS_MAP maps the host VA.
 *
 * Everything that needs a device waits for the first vdevice_alloc(): the
 * NEST_PARENT HWPT over the IOAS, the kernel vIOMMU, the choice between
 * nesting and shadowing (iommufd_nested.c). Until then the IOAS has no
 * domain, which only pins pages and costs no IOMMU work.
 *
 * Destruction mirrors creation: vDEVICEs are gone (the core frees them
 * first), then the kernel vIOMMU, the nest parent, the IOASes, and last the
 * fd, whose close would release anything left anyway. Nothing here fails.
 *
 * Arguments (kvargs): dev=PATH (default /dev/iommu), nesting=auto|off
 * (off forces the shadow fallback), map_file=auto|off.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_common.h>
#include <rte_kvargs.h>

#include "iommufd_private.h"
#include "uiommu_fail.h"

RTE_LOG_REGISTER_SUFFIX(uiommu_logtype_iommufd, iommufd, NOTICE);

int
iofd_ioctl(int fd, unsigned long req, void *arg)
{
	if (ioctl(fd, req, arg) != 0)
		return -errno;
	return 0;
}

void
iofd_destroy(int fd, uint32_t id)
{
	struct iofd_destroy d = { .size = sizeof(d), .id = id };
	int rc;

	if (id == 0)
		return;
	rc = iofd_ioctl(fd, IOFD_IOCTL_DESTROY, &d);
	if (rc != 0)
		IOFD_LOG(ERR, "IOMMU_DESTROY of object %" PRIu32 ": %s", id,
			 strerror(-rc));
}

/* ---- arguments ---- */

struct iofd_args {
	char path[IOFD_PATH_MAX];
	bool nesting;
	bool map_file;
};

static int
arg_path(const char *key, const char *value, void *opaque)
{
	struct iofd_args *a = opaque;

	RTE_SET_USED(key);
	if (value == NULL || value[0] != '/' ||
	    strlen(value) >= sizeof(a->path))
		return -EINVAL;
	snprintf(a->path, sizeof(a->path), "%s", value);
	return 0;
}

static int
arg_auto_off(const char *key, const char *value, void *opaque)
{
	bool *out = opaque;

	RTE_SET_USED(key);
	if (value != NULL && strcmp(value, "auto") == 0)
		*out = true;
	else if (value != NULL && strcmp(value, "off") == 0)
		*out = false;
	else
		return -EINVAL;
	return 0;
}

static int
parse_args(const char *args, struct iofd_args *a)
{
	static const char *const keys[] = { "dev", "nesting", "map_file", NULL };
	struct rte_kvargs *kv;
	int rc = 0;

	snprintf(a->path, sizeof(a->path), "%s", IOFD_DEV_PATH_DEFAULT);
	a->nesting = true;
	a->map_file = true;
	if (args == NULL || args[0] == '\0')
		return 0;
	kv = rte_kvargs_parse(args, keys);
	if (kv == NULL)
		return -EINVAL;
	if (rte_kvargs_process(kv, "dev", arg_path, a) < 0 ||
	    rte_kvargs_process(kv, "nesting", arg_auto_off, &a->nesting) < 0 ||
	    rte_kvargs_process(kv, "map_file", arg_auto_off, &a->map_file) < 0)
		rc = -EINVAL;
	rte_kvargs_free(kv);
	return rc;
}

/* ---- vIOMMU ---- */

static int
iofd_viommu_alloc(const struct uiommu_viommu_cfg *cfg, void **priv)
{
	struct iofd_ioas_alloc ia = { .size = sizeof(ia) };
	struct iofd_viommu *vi;
	struct iofd_args a;
	int rc;

	if (cfg == NULL || priv == NULL || cfg->gmem == NULL)
		return -EINVAL;
	rc = parse_args(cfg->args, &a);
	if (rc != 0)
		return rc;
	if (uiommu_should_fail())
		return -ENOMEM;
	vi = calloc(1, sizeof(*vi));
	if (vi == NULL)
		return -ENOMEM;
	vi->vmid = cfg->vmid;
	vi->gmem = cfg->gmem;
	vi->force_shadow = !a.nesting;
	vi->map_file = a.map_file ? IOFD_FEAT_UNKNOWN : IOFD_FEAT_NO;
	snprintf(vi->path, sizeof(vi->path), "%s", a.path);

	if (uiommu_should_fail()) {
		rc = -ENOMEM;
		goto err_free;
	}
	vi->fd = open(vi->path, O_RDWR | O_CLOEXEC);
	if (vi->fd < 0) {
		rc = -errno;
		IOFD_LOG(ERR, "open %s: %s", vi->path, strerror(-rc));
		goto err_free;
	}
	if (uiommu_should_fail()) {
		rc = -ENOMEM;
		goto err_close;
	}
	rc = iofd_ioctl(vi->fd, IOFD_IOCTL_IOAS_ALLOC, &ia);
	if (rc != 0) {
		IOFD_LOG(ERR, "IOMMU_IOAS_ALLOC on %s: %s", vi->path,
			 strerror(-rc));
		goto err_close;
	}
	vi->ioas_id = ia.out_ioas_id;
	IOFD_LOG(INFO, "vmid %u: %s fd %d, stage-2 IOAS %" PRIu32, vi->vmid,
		 vi->path, vi->fd, vi->ioas_id);
	*priv = vi;
	return 0;

err_close:
	close(vi->fd);
err_free:
	free(vi);
	return rc;
}

static void
iofd_viommu_free(void *priv)
{
	struct iofd_viommu *vi = priv;

	if (vi == NULL)
		return;
	/* vDEVICEs, devices and their shadows were freed by the core before. */
	iofd_destroy(vi->fd, vi->kviommu_id);
	iofd_destroy(vi->fd, vi->parent_id);
	iofd_destroy(vi->fd, vi->abort_ioas);
	iofd_destroy(vi->fd, vi->ioas_id);
	IOFD_LOG(DEBUG, "vmid %u: %" PRIu64 " invalidation ioctls, %" PRIu64
		 " entries, %" PRIu64 " failed", vi->vmid, vi->st.inv_ioctls,
		 vi->st.inv_entries, vi->st.inv_failed);
	close(vi->fd);
	free(vi);
}

/* ---- stage 2 ---- */

/* The memfd behind [gpa, gpa + len - 1] when it is a published region. */
static const struct uiommu_gmem_region *
region_of(const struct iofd_viommu *vi, uint64_t gpa, const void *hva,
	  uint64_t len)
{
	const struct uiommu_gmem *gm = vi->gmem;

	for (uint32_t i = 0; i < gm->nr; i++) {
		const struct uiommu_gmem_region *r = &gm->r[i];

		if (r->gpa == gpa && r->size == len && r->hva == hva &&
		    r->fd >= 0)
			return r;
	}
	return NULL;
}

static uint32_t
map_flags(uint32_t prot)
{
	uint32_t f = IOFD_IOAS_MAP_FIXED_IOVA;

	if (prot & UIOMMU_PROT_READ)
		f |= IOFD_IOAS_MAP_READABLE;
	if (prot & UIOMMU_PROT_WRITE)
		f |= IOFD_IOAS_MAP_WRITEABLE;
	return f;
}

static int
iofd_s2_map(void *priv, uint64_t gpa, void *hva, uint64_t len, uint32_t prot)
{
	struct iofd_viommu *vi = priv;
	const struct uiommu_gmem_region *r;
	uint64_t last;
	int rc;

	if (vi == NULL || hva == NULL || (prot & ~(UIOMMU_PROT_READ |
						    UIOMMU_PROT_WRITE)) != 0)
		return -EINVAL;
	rc = uiommu_range_last(gpa, len, &last);
	if (rc != 0)
		return rc;
	if (uiommu_should_fail())
		return -ENOMEM;
	r = vi->map_file != IOFD_FEAT_NO ? region_of(vi, gpa, hva, len) : NULL;
	if (r != NULL) {
		struct iofd_ioas_map_file mf = {
			.size = sizeof(mf), .flags = map_flags(prot),
			.ioas_id = vi->ioas_id, .fd = r->fd, .start = r->offset,
			.length = len, .iova = gpa,
		};

		rc = iofd_ioctl(vi->fd, IOFD_IOCTL_IOAS_MAP_FILE, &mf);
		if (rc == 0) {
			vi->map_file = IOFD_FEAT_YES;
			return 0;
		}
		if (rc != -ENOTTY) {
			IOFD_LOG(ERR, "IOAS_MAP_FILE gpa 0x%" PRIx64 " len 0x%"
				 PRIx64 ": %s", gpa, len, strerror(-rc));
			return rc;
		}
		IOFD_LOG(INFO, "kernel lacks IOMMU_IOAS_MAP_FILE: mapping by VA");
		vi->map_file = IOFD_FEAT_NO;
	}
	struct iofd_ioas_map m = {
		.size = sizeof(m), .flags = map_flags(prot),
		.ioas_id = vi->ioas_id, .user_va = (uint64_t)(uintptr_t)hva,
		.length = len, .iova = gpa,
	};

	rc = iofd_ioctl(vi->fd, IOFD_IOCTL_IOAS_MAP, &m);
	if (rc != 0)
		IOFD_LOG(ERR, "IOAS_MAP gpa 0x%" PRIx64 " len 0x%" PRIx64 ": %s",
			 gpa, len, strerror(-rc));
	return rc;
}

static void
iofd_s2_unmap(void *priv, uint64_t gpa, uint64_t len)
{
	struct iofd_viommu *vi = priv;
	struct iofd_ioas_unmap u = {
		.size = sizeof(u), .ioas_id = vi->ioas_id, .iova = gpa,
		.length = len,
	};
	int rc;

	rc = iofd_ioctl(vi->fd, IOFD_IOCTL_IOAS_UNMAP, &u);
	if (rc != 0)
		IOFD_LOG(ERR, "IOAS_UNMAP gpa 0x%" PRIx64 " len 0x%" PRIx64
			 ": %s", gpa, len, strerror(-rc));
	else if (u.length != len)
		IOFD_LOG(ERR, "IOAS_UNMAP gpa 0x%" PRIx64 ": 0x%" PRIx64
			 " bytes unmapped, 0x%" PRIx64 " expected", gpa,
			 (uint64_t)u.length, len);
}

static const struct uiommu_backend_ops iommufd_ops = {
	.name = "iommufd",
	.hw_info = iofd_hw_info,
	.viommu_alloc = iofd_viommu_alloc,
	.viommu_free = iofd_viommu_free,
	.s2_map = iofd_s2_map,
	.s2_unmap = iofd_s2_unmap,
	.vdevice_alloc = iofd_vdevice_alloc,
	.vdevice_free = iofd_vdevice_free,
	.vdevice_set_ste = iofd_vdevice_set_ste,
	.invalidate = iofd_invalidate,
};

UIOMMU_BACKEND_REGISTER(iommufd_ops)
