/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vfio backend: the kernel interface. Every system call the backend makes
 * is in this file, so that it reads as a list of what the kernel is asked
 * and what each answer means to the rest of the backend.
 *
 * Design. A device spec is a PCI address; it is parsed strictly (it comes
 * from a client) before it is used to build any path, so no spec can name a
 * file outside /sys/bus/pci/devices/<bdf>/. The device's IOMMU group is the
 * last component of that directory's iommu_group link, also parsed
 * strictly. A container is /dev/vfio/vfio, checked for the API version and
 * VFIO_TYPE1v2_IOMMU; a group is /dev/vfio/<N>, which must be viable (all
 * its devices bound to VFIO) and not yet in a container. The
 * VFIO_IOMMU_GET_INFO answer, a capability chain written by the kernel, is
 * still walked with bounds: offsets must move forward inside the buffer and
 * at most 64 links are followed.
 *
 * Errors: kernel errnos are translated to the project's meanings where the
 * meaning is clear (no VFIO: -ENODEV; no such device or group: -ENOENT;
 * group or device in use: -EBUSY; not allowed: -EPERM); anything else the
 * kernel refuses during set-up is -EIO, logged with the kernel's errno.
 * vfio_sys_map() and vfio_sys_unmap() return the kernel's -errno unchanged:
 * their caller decides (the mapping limit is -ENOSPC).
 */
#include <ctype.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "vfio_private.h"

#define VFIO_CONTAINER_PATH "/dev/vfio/vfio"
#define VFIO_GROUP_PATH_FMT "/dev/vfio/%u"
#define VFIO_PCI_SYSFS_FMT "/sys/bus/pci/devices/%s/iommu_group"
#define VFIO_ENTRY_LIMIT_PATH \
	"/sys/module/vfio_iommu_type1/parameters/dma_entry_limit"

/* Capability-chain links followed at most. */
#define VFIO_MAX_CAPS 64
/* Largest VFIO_IOMMU_GET_INFO answer accepted. */
#define VFIO_INFO_MAX (64u * 1024)
/* First VFIO_IOMMU_GET_INFO buffer (enough for a few dozen ranges). */
#define VFIO_INFO_FIRST 1024u

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)tolower((unsigned char)c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Parse exactly n hex digits at s into *v. */
static bool
hexn(const char *s, unsigned int n, unsigned int *v)
{
	*v = 0;
	for (unsigned int i = 0; i < n; i++) {
		int h = hexval(s[i]);

		if (h < 0)
			return false;
		*v = *v * 16 + (unsigned int)h;
	}
	return true;
}

/*
 * "DDDD:BB:DD.F" or "BB:DD.F" (domain 0), hex digits of either case; the
 * canonical lower-case, domain-qualified form (sysfs's) goes to bdf.
 * Returns 0 or -EINVAL.
 */
int
vfio_sys_bdf_parse(const char *spec, char bdf[VFIO_BDF_LEN])
{
	unsigned int dom = 0, bus, dev, fn;
	const char *s = spec;
	size_t len;

	if (spec == NULL)
		return -EINVAL;
	len = strnlen(spec, VFIO_BDF_LEN);
	if (len == 12) {
		if (!hexn(s, 4, &dom) || s[4] != ':')
			return -EINVAL;
		s += 5;
	} else if (len != 7) {
		return -EINVAL;
	}
	if (!hexn(s, 2, &bus) || s[2] != ':' || !hexn(s + 3, 2, &dev) ||
	    s[5] != '.' || s[6] < '0' || s[6] > '7' || s[7] != '\0' ||
	    dev > 0x1f)
		return -EINVAL;
	fn = (unsigned int)(s[6] - '0');
	snprintf(bdf, VFIO_BDF_LEN, "%04x:%02x:%02x.%u", dom, bus, dev, fn);
	return 0;
}

/*
 * IOMMU group number of a PCI device: the last component of the
 * iommu_group link. Returns 0, -ENOENT (no such device, or it has no IOMMU
 * group), -EIO (an unexpected link).
 */
int
vfio_sys_group_id(const char *bdf, unsigned int *group)
{
	char path[96], link[PATH_MAX];
	const char *base;
	unsigned long v;
	char *end;
	ssize_t n;

	snprintf(path, sizeof(path), VFIO_PCI_SYSFS_FMT, bdf);
	n = readlink(path, link, sizeof(link) - 1);
	if (n < 0) {
		VFIO_LOG(ERR, "%s: no IOMMU group (%s)", bdf, strerror(errno));
		return -ENOENT;
	}
	link[n] = '\0';
	base = strrchr(link, '/');
	base = base != NULL ? base + 1 : link;
	if (!isdigit((unsigned char)base[0]) || strlen(base) > 9)
		goto bad;
	errno = 0;
	v = strtoul(base, &end, 10);
	if (errno != 0 || *end != '\0')
		goto bad;
	*group = (unsigned int)v;
	return 0;
bad:
	VFIO_LOG(ERR, "%s: unexpected iommu_group link '%s'", bdf, link);
	return -EIO;
}

/* Translate an errno of open() on a VFIO node. */
static int
open_errno(int e, int missing)
{
	switch (e) {
	case ENOENT:
	case ENXIO:
	case ENODEV:
		return missing;
	case EBUSY:
		return -EBUSY;
	case EACCES:
	case EPERM:
		return -EPERM;
	case ENOMEM:
		return -ENOMEM;
	default:
		return -EIO;
	}
}

/*
 * Open a container and check that it speaks VFIO API 0 with type1v2.
 * Returns 0, -ENODEV (no VFIO), -EPERM, -EOPNOTSUPP (API or type1v2
 * missing), -EIO.
 */
int
vfio_sys_container_open(int *fd)
{
	int c, rc;

	c = open(VFIO_CONTAINER_PATH, O_RDWR | O_CLOEXEC);
	if (c < 0) {
		rc = open_errno(errno, -ENODEV);
		VFIO_LOG(ERR, "open %s: %s", VFIO_CONTAINER_PATH,
			 strerror(errno));
		return rc;
	}
	rc = ioctl(c, UIOMMU_VFIO_GET_API_VERSION);
	if (rc != UIOMMU_VFIO_API_VERSION) {
		VFIO_LOG(ERR, "VFIO API version %d, expected %d", rc,
			 UIOMMU_VFIO_API_VERSION);
		close(c);
		return -EOPNOTSUPP;
	}
	rc = ioctl(c, UIOMMU_VFIO_CHECK_EXTENSION,
		   (unsigned long)UIOMMU_VFIO_TYPE1V2_IOMMU);
	if (rc != 1) {
		VFIO_LOG(ERR, "VFIO container without VFIO_TYPE1v2_IOMMU");
		close(c);
		return -EOPNOTSUPP;
	}
	*fd = c;
	return 0;
}

/*
 * Open group N and put it in the container. Returns 0, -ENOENT (no such
 * group node), -EBUSY (opened elsewhere, not viable, already in a
 * container), -EPERM, -EIO.
 */
int
vfio_sys_group_attach(unsigned int group, int container, int *gfd)
{
	struct uiommu_vfio_group_status gs = { .argsz = sizeof(gs) };
	char path[32];
	int g, rc;

	snprintf(path, sizeof(path), VFIO_GROUP_PATH_FMT, group);
	g = open(path, O_RDWR | O_CLOEXEC);
	if (g < 0) {
		rc = open_errno(errno, -ENOENT);
		VFIO_LOG(ERR, "open %s: %s", path, strerror(errno));
		return rc;
	}
	if (ioctl(g, UIOMMU_VFIO_GROUP_GET_STATUS, &gs) != 0) {
		VFIO_LOG(ERR, "%s: VFIO_GROUP_GET_STATUS: %s", path,
			 strerror(errno));
		rc = -EIO;
		goto err;
	}
	if (!(gs.flags & UIOMMU_VFIO_GROUP_FLAGS_VIABLE)) {
		VFIO_LOG(ERR, "%s: not viable (a device of the group is not bound to vfio)",
			 path);
		rc = -EBUSY;
		goto err;
	}
	if (gs.flags & UIOMMU_VFIO_GROUP_FLAGS_CONTAINER_SET) {
		VFIO_LOG(ERR, "%s: already in a container", path);
		rc = -EBUSY;
		goto err;
	}
	if (ioctl(g, UIOMMU_VFIO_GROUP_SET_CONTAINER, &container) != 0) {
		VFIO_LOG(ERR, "%s: VFIO_GROUP_SET_CONTAINER: %s", path,
			 strerror(errno));
		rc = errno == EBUSY ? -EBUSY : -EIO;
		goto err;
	}
	*gfd = g;
	return 0;
err:
	close(g);
	return rc;
}

/* Select type1v2 for a container holding a group. Returns 0 or -EIO. */
int
vfio_sys_set_iommu(int container)
{
	if (ioctl(container, UIOMMU_VFIO_SET_IOMMU,
		  (unsigned long)UIOMMU_VFIO_TYPE1V2_IOMMU) != 0) {
		VFIO_LOG(ERR, "VFIO_SET_IOMMU(TYPE1v2): %s", strerror(errno));
		return -EIO;
	}
	return 0;
}

static int
range_cmp(const void *a, const void *b)
{
	const struct uiommu_range *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

/* Copy the IOVA ranges of one capability (bounded by the buffer). */
static void
parse_ranges(const uint8_t *buf, uint32_t size, uint32_t off,
	     struct vfio_kinfo *ki)
{
	const struct uiommu_vfio_cap_iova_range *c =
		(const struct uiommu_vfio_cap_iova_range *)(buf + off);
	uint32_t room, n;

	if (size - off < sizeof(*c))
		return;
	room = (size - off - (uint32_t)sizeof(*c)) /
	       (uint32_t)sizeof(c->iova_ranges[0]);
	n = c->nr_iovas < room ? c->nr_iovas : room;
	ki->ranges_known = true;
	ki->nr_ranges = 0;
	for (uint32_t i = 0; i < n; i++) {
		const struct uiommu_vfio_iova_range *r = &c->iova_ranges[i];

		if (r->start > r->end)
			continue;
		if (ki->nr_ranges == UIOMMU_VFIO_MAX_IOVA_RANGES) {
			VFIO_LOG(WARNING, "more than %u IOVA ranges: the rest is not used",
				 UIOMMU_VFIO_MAX_IOVA_RANGES);
			break;
		}
		ki->ranges[ki->nr_ranges].start = r->start;
		ki->ranges[ki->nr_ranges].last = r->end;
		ki->nr_ranges++;
	}
	qsort(ki->ranges, ki->nr_ranges, sizeof(ki->ranges[0]), range_cmp);
}

/* Walk the capability chain of a VFIO_IOMMU_GET_INFO answer. */
static void
parse_caps(const uint8_t *buf, uint32_t size, uint32_t off,
	   struct vfio_kinfo *ki)
{
	const struct uiommu_vfio_cap_header *h;

	for (unsigned int n = 0; off != 0 && n < VFIO_MAX_CAPS; n++) {
		if (off < sizeof(struct uiommu_vfio_iommu_info) ||
		    off > size - sizeof(*h) || (off & 3) != 0)
			break;
		h = (const struct uiommu_vfio_cap_header *)(buf + off);
		if (h->id == UIOMMU_VFIO_IOMMU_CAP_IOVA_RANGE) {
			parse_ranges(buf, size, off, ki);
		} else if (h->id == UIOMMU_VFIO_IOMMU_CAP_DMA_AVAIL &&
			   size - off >= sizeof(struct uiommu_vfio_cap_dma_avail)) {
			const struct uiommu_vfio_cap_dma_avail *a =
				(const struct uiommu_vfio_cap_dma_avail *)h;

			ki->avail_known = true;
			ki->dma_avail = a->avail;
		}
		if (h->next != 0 && h->next <= off)
			break;  /* links only go forward */
		off = h->next;
	}
}

/*
 * VFIO_IOMMU_GET_INFO with its capability chain (IOVA ranges, DMA_AVAIL).
 * Returns 0, -ENOMEM, -EIO.
 */
int
vfio_sys_get_info(int container, struct vfio_kinfo *ki)
{
	struct uiommu_vfio_iommu_info *info;
	uint32_t size = VFIO_INFO_FIRST;
	uint8_t *buf;
	int rc = -EIO;

	memset(ki, 0, sizeof(*ki));
	for (unsigned int attempt = 0; attempt < 2; attempt++) {
		buf = calloc(1, size);
		if (buf == NULL)
			return -ENOMEM;
		info = (struct uiommu_vfio_iommu_info *)(void *)buf;
		info->argsz = size;
		if (ioctl(container, UIOMMU_VFIO_IOMMU_GET_INFO, info) != 0) {
			VFIO_LOG(ERR, "VFIO_IOMMU_GET_INFO: %s", strerror(errno));
			free(buf);
			return -EIO;
		}
		if (info->argsz <= size)
			break;
		/* The chain needs more room: ask once more with that size. */
		if (info->argsz > VFIO_INFO_MAX || attempt == 1) {
			VFIO_LOG(ERR, "VFIO_IOMMU_GET_INFO wants %u bytes",
				 info->argsz);
			free(buf);
			return -EIO;
		}
		size = info->argsz;
		free(buf);
	}
	if (info->flags & UIOMMU_VFIO_IOMMU_INFO_PGSIZES)
		ki->pgsizes = info->iova_pgsizes;
	if (info->flags & UIOMMU_VFIO_IOMMU_INFO_CAPS)
		parse_caps(buf, info->argsz < size ? info->argsz : size,
			   info->cap_offset, ki);
	rc = 0;
	free(buf);
	return rc;
}

/*
 * The device's fd, from its group. Returns 0, -ENOENT (not in this group),
 * -EBUSY, -EIO.
 */
int
vfio_sys_device_fd(int group, const char *bdf, int *fd)
{
	int d = ioctl(group, UIOMMU_VFIO_GROUP_GET_DEVICE_FD, bdf);

	if (d < 0) {
		VFIO_LOG(ERR, "%s: VFIO_GROUP_GET_DEVICE_FD: %s", bdf,
			 strerror(errno));
		if (errno == ENODEV || errno == EINVAL || errno == ENOENT)
			return -ENOENT;
		return errno == EBUSY ? -EBUSY : -EIO;
	}
	*fd = d;
	return 0;
}

/*
 * vfio_iommu_type1's dma_entry_limit module parameter.
 * Returns 0 with *limit set, or -ENOENT when it cannot be read.
 */
int
vfio_sys_dma_entry_limit(uint64_t *limit)
{
	char buf[32];
	unsigned long long v;
	char *end;
	ssize_t n;
	int fd;

	fd = open(VFIO_ENTRY_LIMIT_PATH, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -ENOENT;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -ENOENT;
	buf[n] = '\0';
	errno = 0;
	v = strtoull(buf, &end, 10);
	if (errno != 0 || end == buf || (*end != '\0' && *end != '\n') ||
	    v == 0)
		return -ENOENT;
	*limit = v;
	return 0;
}

/* VFIO_IOMMU_MAP_DMA. Returns 0 or the kernel's -errno. */
int
vfio_sys_map(int container, uint64_t iova, uint64_t len, uint64_t vaddr,
	     uint32_t prot)
{
	struct uiommu_vfio_dma_map m = {
		.argsz = sizeof(m),
		.vaddr = vaddr,
		.iova = iova,
		.size = len,
	};

	if (prot & UIOMMU_PROT_READ)
		m.flags |= UIOMMU_VFIO_DMA_MAP_FLAG_READ;
	if (prot & UIOMMU_PROT_WRITE)
		m.flags |= UIOMMU_VFIO_DMA_MAP_FLAG_WRITE;
	return ioctl(container, UIOMMU_VFIO_IOMMU_MAP_DMA, &m) == 0 ? 0 : -errno;
}

/* VFIO_IOMMU_UNMAP_DMA. Returns 0 (bytes in *unmapped) or the kernel's -errno. */
int
vfio_sys_unmap(int container, uint64_t iova, uint64_t len, uint64_t *unmapped)
{
	struct uiommu_vfio_dma_unmap u = {
		.argsz = sizeof(u),
		.iova = iova,
		.size = len,
	};

	if (ioctl(container, UIOMMU_VFIO_IOMMU_UNMAP_DMA, &u) != 0)
		return -errno;
	*unmapped = u.size;
	return 0;
}
