/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * iommufd backend: devices (vDEVICEs) and their attachment.
 *
 * Design. A device spec (after the "iommufd:" prefix) names one of:
 *  - "mock": a selftest mock device (CONFIG_IOMMUFD_TEST kernels), created
 *    with IOMMU_TEST_OP_MOCK_DOMAIN on the vIOMMU's empty "abort" IOAS, so
 *    that it starts blocked: its only mapping is nothing. The kernel binds
 *    it to our iommufd and returns its device ID;
 *  - a PCI address "DDDD:BB:DD.F" (or "BB:DD.F"): its VFIO cdev is found in
 *    /sys/bus/pci/devices/<bdf>/vfio-dev/vfioN and opened as
 *    /dev/vfio/devices/vfioN;
 *  - an absolute cdev path ("/dev/vfio/devices/vfio0").
 * A cdev is bound with VFIO_DEVICE_BIND_IOMMUFD and left detached, which
 * blocks its DMA, until the guest configures it.
 *
 * The first device of a vIOMMU decides the vIOMMU's mode from its
 * IOMMU_GET_HW_INFO (iofd_nest_setup()): nesting (a NEST_PARENT HWPT over
 * the stage-2 IOAS, plus a kernel vIOMMU for SMMUv3) or shadowing. Later
 * devices must sit behind the same kind of IOMMU (a vIOMMU is one
 * physical IOMMU's slice). With a kernel vIOMMU each device also gets a
 * vDEVICE whose virtual ID is its vSID, so that the kernel translates the
 * vSIDs of the guest's raw ATC_INV / CFGI_CD commands.
 *
 * Attachment changes go through iofd_dev_attach() (cdev: ATTACH_PT, which
 * replaces atomically; mock: MOCK_DOMAIN_REPLACE) and iofd_dev_block()
 * (cdev: DETACH_PT; mock: replace onto the abort IOAS). A device is never
 * left without an attachment it did not ask for: a new target is attached
 * before the old one is released.
 *
 * Teardown (vdevice_free) blocks the device, destroys its vDEVICE, then the
 * device itself (mock: the selftest object; cdev: close, which unbinds).
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "iommufd_private.h"
#include "uiommu_fail.h"

/* Spec of a PCI function: "DDDD:BB:DD.F" with hex digits, or "BB:DD.F". */
static bool
bdf_normalize(const char *spec, char out[16])
{
	static const char pat[] = "xxxx:xx:xx.x";
	const char *s = spec;
	char tmp[16];

	if (strlen(spec) == 7) {
		snprintf(tmp, sizeof(tmp), "0000:%s", spec);
		s = tmp;
	}
	if (strlen(s) != sizeof(pat) - 1)
		return false;
	for (size_t i = 0; i < sizeof(pat) - 1; i++) {
		if (pat[i] == 'x' ? !isxdigit((unsigned char)s[i]) : s[i] != pat[i])
			return false;
	}
	/* The function number is 0..7. */
	if (s[11] < '0' || s[11] > '7')
		return false;
	for (size_t i = 0; i < sizeof(pat); i++)
		out[i] = (char)tolower((unsigned char)s[i]);
	return true;
}

/* /dev/vfio/devices/vfioN of a PCI function bound to vfio-pci. */
static int
cdev_of_bdf(const char *bdf, char *path, size_t len)
{
	char dir[96];
	struct dirent *e;
	DIR *d;
	int rc = -ENOENT;

	snprintf(dir, sizeof(dir), "/sys/bus/pci/devices/%s/vfio-dev", bdf);
	d = opendir(dir);
	if (d == NULL)
		return -ENOENT;
	/* One entry at most; bounded by the directory anyway. */
	while ((e = readdir(d)) != NULL) {
		if (strncmp(e->d_name, "vfio", 4) != 0)
			continue;
		if ((size_t)snprintf(path, len, "/dev/vfio/devices/%s",
				     e->d_name) < len)
			rc = 0;
		break;
	}
	closedir(d);
	return rc;
}

int
iofd_dev_attach(struct iofd_dev *d, uint32_t pt_id)
{
	struct iofd_viommu *vi = d->vi;
	int rc;

	vi->st.attach++;
	if (d->kind == IOFD_DEV_MOCK) {
		struct iofd_test_cmd c = {
			.size = sizeof(c), .op = IOFD_TEST_OP_MOCK_DOMAIN_REPLACE,
			.id = d->stdev_id,
		};

		c.mock_domain_replace.pt_id = pt_id;
		rc = iofd_ioctl(vi->fd, IOFD_IOCTL_TEST, &c);
	} else {
		struct iofd_vfio_attach_pt a = {
			.argsz = sizeof(a), .pt_id = pt_id,
		};

		rc = iofd_ioctl(d->dev_fd, IOFD_VFIO_DEVICE_ATTACH_PT, &a);
	}
	if (rc != 0)
		IOFD_LOG(ERR, "vsid %" PRIu32 ": attach to %" PRIu32 ": %s",
			 d->vsid, pt_id, strerror(-rc));
	return rc;
}

/* Put the device where no DMA translates; no reference is dropped here. */
static int
dev_block_hw(struct iofd_dev *d)
{
	struct iofd_viommu *vi = d->vi;

	if (d->kind == IOFD_DEV_MOCK)
		return iofd_dev_attach(d, vi->abort_ioas);
	struct iofd_vfio_detach_pt dt = { .argsz = sizeof(dt) };

	vi->st.attach++;
	return iofd_ioctl(d->dev_fd, IOFD_VFIO_DEVICE_DETACH_PT, &dt);
}

void
iofd_dev_block(struct iofd_dev *d)
{
	int rc = 0;

	if (d->attach != IOFD_ATTACH_BLOCKED)
		rc = dev_block_hw(d);
	if (rc != 0)
		IOFD_LOG(ERR, "vsid %" PRIu32 ": cannot block DMA: %s", d->vsid,
			 strerror(-rc));
	if (d->s1 != NULL) {
		iofd_s1_put(d->vi, d->s1);
		d->s1 = NULL;
	}
	if (d->shadow != NULL)
		iofd_shadow_detach(d);
	d->attach = IOFD_ATTACH_BLOCKED;
}

/* The empty IOAS mock devices sit on while blocked. */
static int
abort_ioas_get(struct iofd_viommu *vi)
{
	struct iofd_ioas_alloc ia = { .size = sizeof(ia) };
	int rc;

	if (vi->abort_ioas != 0)
		return 0;
	if (uiommu_should_fail())
		return -ENOMEM;
	rc = iofd_ioctl(vi->fd, IOFD_IOCTL_IOAS_ALLOC, &ia);
	if (rc == 0)
		vi->abort_ioas = ia.out_ioas_id;
	return rc;
}

static int
mock_create(struct iofd_viommu *vi, struct iofd_dev *d)
{
	struct iofd_test_cmd c = {
		.size = sizeof(c), .op = IOFD_TEST_OP_MOCK_DOMAIN,
	};
	int rc;

	rc = abort_ioas_get(vi);
	if (rc != 0)
		return rc;
	if (uiommu_should_fail())
		return -ENOMEM;
	c.id = vi->abort_ioas;
	rc = iofd_ioctl(vi->fd, IOFD_IOCTL_TEST, &c);
	if (rc != 0) {
		IOFD_LOG(ERR, "IOMMU_TEST_OP_MOCK_DOMAIN: %s%s", strerror(-rc),
			 rc == -ENOTTY ? " (kernel without CONFIG_IOMMUFD_TEST)" : "");
		return rc;
	}
	d->stdev_id = c.mock_domain.out_stdev_id;
	d->dev_id = c.mock_domain.out_idev_id;
	return 0;
}

static int
cdev_open(struct iofd_viommu *vi, struct iofd_dev *d, const char *path)
{
	struct iofd_vfio_bind_iommufd b = {
		.argsz = sizeof(b), .iommufd = vi->fd,
	};
	int rc;

	if (uiommu_should_fail())
		return -ENOMEM;
	d->dev_fd = open(path, O_RDWR | O_CLOEXEC);
	if (d->dev_fd < 0) {
		rc = -errno;
		IOFD_LOG(ERR, "open %s: %s", path, strerror(-rc));
		return rc;
	}
	rc = iofd_ioctl(d->dev_fd, IOFD_VFIO_DEVICE_BIND_IOMMUFD, &b);
	if (rc != 0) {
		IOFD_LOG(ERR, "%s: VFIO_DEVICE_BIND_IOMMUFD: %s", path,
			 strerror(-rc));
		close(d->dev_fd);
		d->dev_fd = -1;
		return rc;
	}
	d->dev_id = b.out_devid;
	return 0;
}

/* Create the backing device of a spec. */
static int
dev_create(struct iofd_viommu *vi, struct iofd_dev *d, const char *spec)
{
	char path[IOFD_PATH_MAX];
	char bdf[16];
	int rc;

	if (strcmp(spec, "mock") == 0) {
		d->kind = IOFD_DEV_MOCK;
		return mock_create(vi, d);
	}
	d->kind = IOFD_DEV_CDEV;
	if (spec[0] == '/') {
		if (strlen(spec) >= sizeof(path))
			return -EINVAL;
		snprintf(path, sizeof(path), "%s", spec);
	} else if (bdf_normalize(spec, bdf)) {
		rc = cdev_of_bdf(bdf, path, sizeof(path));
		if (rc != 0) {
			IOFD_LOG(ERR, "%s: no VFIO cdev (bound to vfio-pci, "
				 "CONFIG_VFIO_DEVICE_CDEV?)", bdf);
			return rc;
		}
	} else {
		return -EINVAL;
	}
	return cdev_open(vi, d, path);
}

static void
dev_destroy(struct iofd_viommu *vi, struct iofd_dev *d)
{
	if (d->kind == IOFD_DEV_MOCK)
		iofd_destroy(vi->fd, d->stdev_id);
	else if (d->dev_fd >= 0)
		close(d->dev_fd);
}

int
iofd_vdevice_alloc(void *priv, const char *spec, uint32_t vsid, void *regs,
		   void **dev_priv, struct uiommu_vdevice_out *out)
{
	struct iofd_viommu *vi = priv;
	bool first = false;
	struct iofd_hw hw;
	struct iofd_dev *d;
	uint32_t slot;
	int rc;

	RTE_SET_USED(regs);
	if (vi == NULL || spec == NULL || dev_priv == NULL)
		return -EINVAL;
	for (slot = 0; slot < UIOMMU_MAX_VDEVICES; slot++)
		if (vi->dev[slot] == NULL)
			break;
	if (slot == UIOMMU_MAX_VDEVICES)
		return -ENOSPC;
	if (uiommu_should_fail())
		return -ENOMEM;
	d = calloc(1, sizeof(*d));
	if (d == NULL)
		return -ENOMEM;
	d->vi = vi;
	d->vsid = vsid;
	d->dev_fd = -1;
	d->slot = slot;

	rc = dev_create(vi, d, spec);
	if (rc != 0)
		goto err_free;

	rc = iofd_hw_query(vi->fd, d->dev_id, &hw);
	if (rc == -ENOTTY || rc == -EOPNOTSUPP)
		rc = iofd_hw_parse(IOFD_HW_INFO_TYPE_NONE, NULL, 0, 0, &hw);
	if (rc != 0) {
		IOFD_LOG(ERR, "vsid %" PRIu32 ": IOMMU_GET_HW_INFO: %s", vsid,
			 strerror(-rc));
		goto err_dev;
	}
	if (vi->mode == IOFD_MODE_UNDECIDED) {
		vi->hw = hw;
		rc = iofd_nest_setup(vi, d);
		if (rc != 0)
			goto err_dev;
		first = true;
	} else if (hw.type != vi->hw.type) {
		IOFD_LOG(ERR, "vsid %" PRIu32 ": behind another kind of IOMMU "
			 "(hw_info type 0x%" PRIx32 ", vIOMMU has 0x%" PRIx32 ")",
			 vsid, hw.type, vi->hw.type);
		rc = -EOPNOTSUPP;
		goto err_dev;
	}

	if (vi->kviommu_id != 0) {
		struct iofd_vdevice_alloc va = {
			.size = sizeof(va), .viommu_id = vi->kviommu_id,
			.dev_id = d->dev_id, .virt_id = vsid,
		};

		if (uiommu_should_fail()) {
			rc = -ENOMEM;
			goto err_setup;
		}
		rc = iofd_ioctl(vi->fd, IOFD_IOCTL_VDEVICE_ALLOC, &va);
		if (rc != 0) {
			IOFD_LOG(ERR, "vsid %" PRIu32 ": IOMMU_VDEVICE_ALLOC: %s",
				 vsid, strerror(-rc));
			goto err_setup;
		}
		d->vdevice_id = va.out_vdevice_id;
	}

	/* Publish: nothing fails past this point. */
	vi->dev[slot] = d;
	vi->nr_dev++;
	iofd_hw_remember(&vi->hw, vi->kviommu_id != 0);
	if (out != NULL) {
		out->fd = d->dev_fd;
		out->regs = NULL;
	}
	*dev_priv = d;
	IOFD_LOG(INFO, "vmid %u: vsid %" PRIu32 " = %s, device %" PRIu32
		 " (%s)", vi->vmid, vsid, spec, d->dev_id, vi->hw.model);
	return 0;

err_setup:
	if (first) {
		iofd_destroy(vi->fd, vi->kviommu_id);
		iofd_destroy(vi->fd, vi->parent_id);
		vi->kviommu_id = 0;
		vi->parent_id = 0;
		vi->mode = IOFD_MODE_UNDECIDED;
	}
err_dev:
	dev_destroy(vi, d);
err_free:
	free(d);
	return rc;
}

void
iofd_vdevice_free(void *dev_priv)
{
	struct iofd_dev *d = dev_priv;
	struct iofd_viommu *vi;

	if (d == NULL)
		return;
	vi = d->vi;
	iofd_dev_block(d);
	iofd_destroy(vi->fd, d->vdevice_id);
	dev_destroy(vi, d);
	vi->dev[d->slot] = NULL;
	vi->nr_dev--;
	free(d);
}
