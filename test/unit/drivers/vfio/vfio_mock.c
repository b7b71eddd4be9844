/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A scripted VFIO "kernel" (see vfio_mock.h).
 *
 * Design. Every object the mock hands out is a real file descriptor (a
 * memfd) so that the code under test can keep, pass and close it like the
 * real thing; a table indexed by fd number says which mock object each fd
 * is. Containers keep their mappings in a sorted array and apply type1v2's
 * rules, which is what makes the tests of the shadow meaningful: a
 * refresh that tried to split a mapping, map over one, or map past the
 * limit would be refused here as it would by Linux.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "uiommu_vfio_uapi.h"
#include "vfio_mock.h"

#define MOCK_MAX_FD 4096
#define MOCK_MAX_CONT 64
#define MOCK_MAX_GROUPS 64
#define MOCK_MAX_LOG 65536
#define PG 4096ULL

enum { K_NONE = 0, K_CONT, K_GROUP, K_DEVICE };

struct mfd {
	int kind;
	int id;             /* container number or group number */
};

struct mmapping {
	uint64_t iova, size, vaddr;
	uint32_t flags;
};

struct mcont {
	bool open;
	bool iommu_set;
	int groups;
	uint32_t used;
	struct mmapping *m;
	unsigned int n, cap;
};

struct mgroup {
	bool open;
	int container;      /* 0: none */
	int fd;
};

struct mdev {
	char bdf[16];
	unsigned int group;
};

static struct mock_cfg cfg;
static struct mfd fds[MOCK_MAX_FD];
static struct mcont conts[MOCK_MAX_CONT + 1];
static int nconts;
static struct mgroup groups[MOCK_MAX_GROUPS];
static struct mdev devs[MOCK_MAX_DEVICES];
static unsigned int ndevs;
static struct mock_call logbuf[MOCK_MAX_LOG];
static unsigned int nlog;

static void
cfg_defaults(void)
{
	memset(&cfg, 0, sizeof(cfg));
	cfg.api_version = 0;
	cfg.type1v2 = true;
	cfg.viable = true;
	cfg.pgsizes = (1ULL << 12) | (1ULL << 21) | (1ULL << 30);
	cfg.report_ranges = true;
	cfg.nr_ranges = 1;
	cfg.range_start[0] = 0;
	cfg.range_end[0] = (1ULL << 48) - 1;
	cfg.report_avail = true;
	cfg.entry_limit = 65535;
	cfg.sysfs_limit = 0;
}

void
mock_reset(void)
{
	for (int fd = 0; fd < MOCK_MAX_FD; fd++)
		if (fds[fd].kind != K_NONE)
			__real_close(fd);
	memset(fds, 0, sizeof(fds));
	for (int i = 0; i <= MOCK_MAX_CONT; i++)
		free(conts[i].m);
	memset(conts, 0, sizeof(conts));
	nconts = 0;
	memset(groups, 0, sizeof(groups));
	memset(devs, 0, sizeof(devs));
	ndevs = 0;
	nlog = 0;
	cfg_defaults();
}

struct mock_cfg *
mock_cfg(void)
{
	return &cfg;
}

void
mock_add_device(const char *bdf, unsigned int group)
{
	if (ndevs < MOCK_MAX_DEVICES && group < MOCK_MAX_GROUPS) {
		snprintf(devs[ndevs].bdf, sizeof(devs[ndevs].bdf), "%s", bdf);
		devs[ndevs].group = group;
		ndevs++;
	}
}

const struct mock_call *
mock_calls(unsigned int *n)
{
	*n = nlog;
	return logbuf;
}

void
mock_calls_clear(void)
{
	nlog = 0;
}

int
mock_group_container(unsigned int group)
{
	return group < MOCK_MAX_GROUPS ? groups[group].container : 0;
}

unsigned int
mock_nr_maps(int c)
{
	return c > 0 && c <= nconts ? conts[c].n : 0;
}

bool
mock_lookup(int c, uint64_t iova, uint64_t *vaddr, uint32_t *flags)
{
	if (c <= 0 || c > nconts)
		return false;
	for (unsigned int i = 0; i < conts[c].n; i++) {
		const struct mmapping *m = &conts[c].m[i];

		if (iova >= m->iova && iova - m->iova < m->size) {
			if (vaddr != NULL)
				*vaddr = m->vaddr + (iova - m->iova);
			if (flags != NULL)
				*flags = m->flags;
			return true;
		}
	}
	return false;
}

bool
mock_map_at(int c, unsigned int i, uint64_t *iova, uint64_t *size,
	    uint64_t *vaddr, uint32_t *flags)
{
	if (c <= 0 || c > nconts || i >= conts[c].n)
		return false;
	*iova = conts[c].m[i].iova;
	*size = conts[c].m[i].size;
	*vaddr = conts[c].m[i].vaddr;
	*flags = conts[c].m[i].flags;
	return true;
}

unsigned int
mock_open_fds(void)
{
	unsigned int n = 0;

	for (int fd = 0; fd < MOCK_MAX_FD; fd++)
		n += fds[fd].kind != K_NONE;
	return n;
}

bool
mock_is_device_fd(int fd)
{
	return fd >= 0 && fd < MOCK_MAX_FD && fds[fd].kind == K_DEVICE;
}

/* A real fd to stand for a mock object. */
static int
new_fd(int kind, int id)
{
	int fd = memfd_create("vfio-mock", MFD_CLOEXEC);

	if (fd < 0)
		return -1;
	if (fd >= MOCK_MAX_FD) {
		__real_close(fd);
		errno = EMFILE;
		return -1;
	}
	fds[fd].kind = kind;
	fds[fd].id = id;
	return fd;
}

static int
mock_open(const char *path, bool *handled)
{
	unsigned int g;
	char *end;

	*handled = true;
	if (strcmp(path, "/dev/vfio/vfio") == 0) {
		if (cfg.no_vfio || nconts == MOCK_MAX_CONT) {
			errno = ENOENT;
			return -1;
		}
		nconts++;
		memset(&conts[nconts], 0, sizeof(conts[nconts]));
		conts[nconts].open = true;
		return new_fd(K_CONT, nconts);
	}
	if (strncmp(path, "/dev/vfio/", 10) == 0) {
		int fd;

		g = (unsigned int)strtoul(path + 10, &end, 10);
		if (*end != '\0' || g >= MOCK_MAX_GROUPS || cfg.no_vfio) {
			errno = ENOENT;
			return -1;
		}
		for (unsigned int i = 0; i < ndevs; i++) {
			if (devs[i].group != g)
				continue;
			if (groups[g].open) {
				errno = EBUSY;
				return -1;
			}
			fd = new_fd(K_GROUP, (int)g);
			if (fd >= 0) {
				groups[g].open = true;
				groups[g].container = 0;
				groups[g].fd = fd;
			}
			return fd;
		}
		errno = ENOENT;
		return -1;
	}
	if (strcmp(path, "/sys/module/vfio_iommu_type1/parameters/dma_entry_limit") == 0) {
		char buf[32];
		int fd, n;

		if (cfg.sysfs_limit == 0) {
			errno = ENOENT;
			return -1;
		}
		fd = memfd_create("vfio-mock-sysfs", MFD_CLOEXEC);
		if (fd < 0)
			return -1;
		n = snprintf(buf, sizeof(buf), "%u\n", cfg.sysfs_limit);
		if (write(fd, buf, (size_t)n) != n ||
		    lseek(fd, 0, SEEK_SET) != 0) {
			__real_close(fd);
			errno = EIO;
			return -1;
		}
		return fd;
	}
	*handled = false;
	return -1;
}

int
__wrap_open(const char *path, int flags, ...)
{
	bool handled;
	mode_t mode = 0;
	va_list ap;
	int fd = mock_open(path, &handled);

	if (handled)
		return fd;
	if (flags & (O_CREAT | O_TMPFILE)) {
		va_start(ap, flags);
		mode = (mode_t)va_arg(ap, int);
		va_end(ap);
	}
	return __real_open(path, flags, mode);
}

int
__wrap_open64(const char *path, int flags, ...)
{
	bool handled;
	mode_t mode = 0;
	va_list ap;
	int fd = mock_open(path, &handled);

	if (handled)
		return fd;
	if (flags & (O_CREAT | O_TMPFILE)) {
		va_start(ap, flags);
		mode = (mode_t)va_arg(ap, int);
		va_end(ap);
	}
	return __real_open64(path, flags, mode);
}

static void
cont_drop(int c)
{
	free(conts[c].m);
	memset(&conts[c], 0, sizeof(conts[c]));
}

int
__wrap_close(int fd)
{
	if (fd >= 0 && fd < MOCK_MAX_FD) {
		struct mfd *f = &fds[fd];

		if (f->kind == K_GROUP) {
			struct mgroup *g = &groups[f->id];

			if (g->container != 0) {
				struct mcont *c = &conts[g->container];

				if (--c->groups == 0) {
					/* Last group gone: the domain is empty. */
					free(c->m);
					c->m = NULL;
					c->n = c->cap = 0;
					c->used = 0;
					c->iommu_set = false;
				}
			}
			g->open = false;
			g->container = 0;
		} else if (f->kind == K_CONT) {
			cont_drop(f->id);
		}
		f->kind = K_NONE;
	}
	return __real_close(fd);
}

ssize_t
__wrap_readlink(const char *path, char *buf, size_t size)
{
	static const char pre[] = "/sys/bus/pci/devices/";
	static const char post[] = "/iommu_group";
	char link[96];
	size_t plen = strlen(path), n;

	if (strncmp(path, pre, sizeof(pre) - 1) == 0 &&
	    plen > sizeof(pre) - 1 + sizeof(post) - 1 &&
	    strcmp(path + plen - (sizeof(post) - 1), post) == 0) {
		size_t blen = plen - (sizeof(pre) - 1) - (sizeof(post) - 1);

		for (unsigned int i = 0; i < ndevs; i++) {
			if (strlen(devs[i].bdf) != blen ||
			    strncmp(devs[i].bdf, path + sizeof(pre) - 1, blen) != 0)
				continue;
			snprintf(link, sizeof(link),
				 "../../../kernel/iommu_groups/%u", devs[i].group);
			n = strlen(link);
			if (n > size)
				n = size;
			memcpy(buf, link, n);
			return (ssize_t)n;
		}
		errno = ENOENT;
		return -1;
	}
	return __real_readlink(path, buf, size);
}

/* ---- containers ---- */

static bool
in_ranges(uint64_t iova, uint64_t last)
{
	for (uint32_t i = 0; i < cfg.nr_ranges; i++)
		if (iova >= cfg.range_start[i] && last <= cfg.range_end[i])
			return true;
	return false;
}

static int
do_map(int c, struct uiommu_vfio_dma_map *m)
{
	struct mcont *ct = &conts[c];
	struct mock_call *l = nlog < MOCK_MAX_LOG ? &logbuf[nlog++] : NULL;
	uint64_t last;
	unsigned int pos;
	int err = 0;

	if (l != NULL)
		*l = (struct mock_call){ .op = MOCK_OP_MAP, .container = c,
			.iova = m->iova, .size = m->size, .vaddr = m->vaddr,
			.flags = m->flags };
	if (m->argsz < sizeof(*m) || !ct->iommu_set)
		err = EINVAL;
	else if (m->size == 0 || ((m->iova | m->size | m->vaddr) & (PG - 1)) ||
		 !(m->flags & (UIOMMU_VFIO_DMA_MAP_FLAG_READ |
			       UIOMMU_VFIO_DMA_MAP_FLAG_WRITE)) ||
		 __builtin_add_overflow(m->iova, m->size - 1, &last))
		err = EINVAL;
	else if (!in_ranges(m->iova, last))
		err = EINVAL;
	if (err == 0) {
		for (pos = 0; pos < ct->n; pos++) {
			const struct mmapping *x = &ct->m[pos];

			if (x->iova <= last && m->iova <= x->iova + x->size - 1) {
				err = EEXIST;
				break;
			}
			if (x->iova > last)
				break;
		}
	}
	if (err == 0 && ct->used >= cfg.entry_limit)
		err = ENOSPC;
	if (err == 0 && ct->n == ct->cap) {
		unsigned int ncap = ct->cap ? ct->cap * 2 : 64;
		struct mmapping *p = realloc(ct->m, ncap * sizeof(*p));

		if (p == NULL)
			err = ENOMEM;
		else {
			ct->m = p;
			ct->cap = ncap;
		}
	}
	if (err != 0) {
		if (l != NULL)
			l->err = err;
		errno = err;
		return -1;
	}
	for (pos = 0; pos < ct->n && ct->m[pos].iova < m->iova; pos++)
		;
	memmove(&ct->m[pos + 1], &ct->m[pos], (ct->n - pos) * sizeof(ct->m[0]));
	ct->m[pos] = (struct mmapping){ .iova = m->iova, .size = m->size,
		.vaddr = m->vaddr, .flags = m->flags };
	ct->n++;
	ct->used++;
	return 0;
}

static int
do_unmap(int c, struct uiommu_vfio_dma_unmap *u)
{
	struct mcont *ct = &conts[c];
	struct mock_call *l = nlog < MOCK_MAX_LOG ? &logbuf[nlog++] : NULL;
	uint64_t last, removed = 0;
	unsigned int i, w;
	int err = 0;

	if (l != NULL)
		*l = (struct mock_call){ .op = MOCK_OP_UNMAP, .container = c,
			.iova = u->iova, .size = u->size };
	if (u->argsz < sizeof(*u) || u->flags != 0 || u->size == 0 ||
	    ((u->iova | u->size) & (PG - 1)) ||
	    __builtin_add_overflow(u->iova, u->size - 1, &last))
		err = EINVAL;
	/* type1v2: a mapping may not be split. */
	for (i = 0; err == 0 && i < ct->n; i++) {
		const struct mmapping *x = &ct->m[i];
		uint64_t xl = x->iova + x->size - 1;

		if (x->iova <= last && u->iova <= xl &&
		    (x->iova < u->iova || xl > last))
			err = EINVAL;
	}
	if (err != 0) {
		if (l != NULL)
			l->err = err;
		errno = err;
		return -1;
	}
	for (i = 0, w = 0; i < ct->n; i++) {
		const struct mmapping *x = &ct->m[i];

		if (x->iova >= u->iova && x->iova + x->size - 1 <= last) {
			removed += x->size;
			ct->used--;
			continue;
		}
		ct->m[w++] = *x;
	}
	ct->n = w;
	u->size = removed;
	if (l != NULL)
		l->unmapped = removed;
	return 0;
}

/* VFIO_IOMMU_GET_INFO as the kernel answers it. */
static int
do_info(int c, struct uiommu_vfio_iommu_info *info)
{
	uint8_t caps[512];
	uint32_t off = 0, need, base = sizeof(*info);
	struct uiommu_vfio_cap_header *prev = NULL;

	if (info->argsz < sizeof(*info) || !conts[c].iommu_set) {
		errno = EINVAL;
		return -1;
	}
	memset(caps, 0, sizeof(caps));
	if (cfg.report_ranges) {
		struct uiommu_vfio_cap_iova_range *r = (void *)caps;

		r->header.id = UIOMMU_VFIO_IOMMU_CAP_IOVA_RANGE;
		r->header.version = 1;
		r->nr_iovas = cfg.nr_ranges;
		for (uint32_t i = 0; i < cfg.nr_ranges; i++) {
			r->iova_ranges[i].start = cfg.range_start[i];
			r->iova_ranges[i].end = cfg.range_end[i];
		}
		prev = &r->header;
		off = sizeof(*r) + cfg.nr_ranges * sizeof(r->iova_ranges[0]);
	}
	if (cfg.report_avail) {
		struct uiommu_vfio_cap_dma_avail *a = (void *)(caps + off);

		if (prev != NULL)
			prev->next = base + off;
		a->header.id = UIOMMU_VFIO_IOMMU_CAP_DMA_AVAIL;
		a->header.version = 1;
		a->avail = cfg.entry_limit - conts[c].used;
		off += sizeof(*a);
		off = (off + 7) & ~7u;
	}
	need = base + off;
	info->flags = UIOMMU_VFIO_IOMMU_INFO_PGSIZES;
	info->iova_pgsizes = cfg.pgsizes;
	info->cap_offset = 0;
	if (off != 0) {
		info->flags |= UIOMMU_VFIO_IOMMU_INFO_CAPS;
		if (info->argsz < need) {
			info->argsz = need;
		} else {
			memcpy((uint8_t *)info + base, caps, off);
			info->cap_offset = base;
		}
	}
	return 0;
}

static int
mock_ioctl(int fd, unsigned long req, void *arg)
{
	struct mfd *f = &fds[fd];

	if (f->kind == K_CONT) {
		struct mcont *c = &conts[f->id];

		switch (req) {
		case UIOMMU_VFIO_GET_API_VERSION:
			return cfg.api_version;
		case UIOMMU_VFIO_CHECK_EXTENSION:
			return (uintptr_t)arg == UIOMMU_VFIO_TYPE1V2_IOMMU &&
			       cfg.type1v2 ? 1 : 0;
		case UIOMMU_VFIO_SET_IOMMU:
			if ((uintptr_t)arg != UIOMMU_VFIO_TYPE1V2_IOMMU ||
			    c->groups == 0 || c->iommu_set) {
				errno = EINVAL;
				return -1;
			}
			c->iommu_set = true;
			return 0;
		case UIOMMU_VFIO_IOMMU_GET_INFO:
			return do_info(f->id, arg);
		case UIOMMU_VFIO_IOMMU_MAP_DMA:
			return do_map(f->id, arg);
		case UIOMMU_VFIO_IOMMU_UNMAP_DMA:
			if (!c->iommu_set) {
				errno = EINVAL;
				return -1;
			}
			return do_unmap(f->id, arg);
		default:
			errno = ENOTTY;
			return -1;
		}
	}
	if (f->kind == K_GROUP) {
		struct mgroup *g = &groups[f->id];

		switch (req) {
		case UIOMMU_VFIO_GROUP_GET_STATUS: {
			struct uiommu_vfio_group_status *s = arg;

			s->flags = (cfg.viable ? UIOMMU_VFIO_GROUP_FLAGS_VIABLE : 0) |
				   (g->container ? UIOMMU_VFIO_GROUP_FLAGS_CONTAINER_SET : 0);
			return 0;
		}
		case UIOMMU_VFIO_GROUP_SET_CONTAINER: {
			int cfd = *(int *)arg;

			if (cfd < 0 || cfd >= MOCK_MAX_FD || fds[cfd].kind != K_CONT ||
			    g->container != 0 || !cfg.viable) {
				errno = EINVAL;
				return -1;
			}
			g->container = fds[cfd].id;
			conts[g->container].groups++;
			return 0;
		}
		case UIOMMU_VFIO_GROUP_GET_DEVICE_FD: {
			const char *bdf = arg;

			if (g->container == 0 || !conts[g->container].iommu_set) {
				errno = EINVAL;
				return -1;
			}
			for (unsigned int i = 0; i < ndevs; i++)
				if (devs[i].group == (unsigned int)f->id &&
				    strcmp(devs[i].bdf, bdf) == 0)
					return new_fd(K_DEVICE, f->id);
			errno = ENODEV;
			return -1;
		}
		default:
			errno = ENOTTY;
			return -1;
		}
	}
	errno = ENOTTY;
	return -1;
}

int
__wrap_ioctl(int fd, unsigned long req, ...)
{
	va_list ap;
	void *arg;

	va_start(ap, req);
	arg = va_arg(ap, void *);
	va_end(ap);
	if (fd >= 0 && fd < MOCK_MAX_FD && fds[fd].kind != K_NONE &&
	    fds[fd].kind != K_DEVICE)
		return mock_ioctl(fd, req, arg);
	return __real_ioctl(fd, req, arg);
}
