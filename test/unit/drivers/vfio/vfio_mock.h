/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A scripted VFIO "kernel" for the vfio backend's unit tests.
 *
 * The test executables are linked with -Wl,--wrap for open, open64, close,
 * ioctl and readlink, so every such call made by the backend (and by
 * anything else linked into the test) lands here first. Calls on the
 * paths and fds the mock owns are answered by the mock; everything else
 * goes to the real libc function.
 *
 * What is emulated:
 *  - sysfs: /sys/bus/pci/devices/<bdf>/iommu_group for the scripted
 *    devices, and /sys/module/vfio_iommu_type1/parameters/dma_entry_limit
 *    when a value is scripted;
 *  - /dev/vfio/vfio (containers) and /dev/vfio/<N> (groups, opened once at
 *    a time, as the kernel does), group status, SET_CONTAINER, SET_IOMMU
 *    (type1v2 only, needs a group), GET_DEVICE_FD (a real memfd);
 *  - VFIO_IOMMU_GET_INFO with its capability chain (page sizes, IOVA
 *    ranges, DMA_AVAIL), honouring argsz the way the kernel does;
 *  - type1v2 MAP_DMA / UNMAP_DMA semantics: EEXIST on overlap, EINVAL
 *    outside the IOVA ranges or when an unmap would split a mapping,
 *    ENOSPC past the container's entry limit, unmap of a hole = 0 bytes.
 * Every MAP_DMA / UNMAP_DMA is logged (also the refused ones) so that
 * tests can check the exact sequence; the mapping state of each container
 * can be queried page by page.
 */
#ifndef VFIO_MOCK_H
#define VFIO_MOCK_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#define MOCK_MAX_RANGES 8
#define MOCK_MAX_DEVICES 8

/* What the mock kernel offers; mock_reset() sets the defaults below. */
struct mock_cfg {
	bool no_vfio;             /* /dev/vfio/vfio missing (default false) */
	int api_version;          /* 0 */
	bool type1v2;             /* true */
	bool viable;              /* groups viable (true) */
	uint64_t pgsizes;         /* 4K | 2M | 1G */
	bool report_ranges;       /* IOVA_RANGE capability (true) */
	uint32_t nr_ranges;       /* 1: [0, 2^48 - 1] */
	uint64_t range_start[MOCK_MAX_RANGES];
	uint64_t range_end[MOCK_MAX_RANGES];
	bool report_avail;        /* DMA_AVAIL capability (true) */
	uint32_t entry_limit;     /* mappings per container (65535) */
	uint32_t sysfs_limit;     /* dma_entry_limit file content, 0: absent */
};

/* One logged MAP_DMA or UNMAP_DMA. */
struct mock_call {
	int op;                   /* MOCK_OP_MAP or MOCK_OP_UNMAP */
	int container;            /* container number (1, 2, ... per reset) */
	uint64_t iova, size, vaddr;
	uint32_t flags;
	int err;                  /* 0 or the errno the mock answered */
	uint64_t unmapped;        /* bytes an UNMAP removed */
};
#define MOCK_OP_MAP 1
#define MOCK_OP_UNMAP 2

/* Reset everything (closes nothing: tests close their objects first). */
void mock_reset(void);
/* The configuration, to change before the backend opens anything. */
struct mock_cfg *mock_cfg(void);
/* Declare a PCI device in an IOMMU group. */
void mock_add_device(const char *bdf, unsigned int group);

/* Calls logged since the last mock_calls_clear(). */
const struct mock_call *mock_calls(unsigned int *n);
void mock_calls_clear(void);

/* Container number of the container group N is attached to, or 0. */
int mock_group_container(unsigned int group);
/* Mappings held by container c. */
unsigned int mock_nr_maps(int c);
/* Translation of one IOVA in container c: true with vaddr and flags. */
bool mock_lookup(int c, uint64_t iova, uint64_t *vaddr, uint32_t *flags);
/* The i-th mapping of container c (sorted by IOVA). */
bool mock_map_at(int c, unsigned int i, uint64_t *iova, uint64_t *size,
		 uint64_t *vaddr, uint32_t *flags);
/* Open mock fds of any kind (to check nothing leaks). */
unsigned int mock_open_fds(void);
/* Whether fd is a device fd the mock handed out. */
bool mock_is_device_fd(int fd);

/* The wrapped libc functions (-Wl,--wrap). */
int __wrap_open(const char *path, int flags, ...);
int __wrap_open64(const char *path, int flags, ...);
int __wrap_close(int fd);
int __wrap_ioctl(int fd, unsigned long req, ...);
ssize_t __wrap_readlink(const char *path, char *buf, size_t size);
int __real_open(const char *path, int flags, ...);
int __real_open64(const char *path, int flags, ...);
int __real_close(int fd);
int __real_ioctl(int fd, unsigned long req, ...);
ssize_t __real_readlink(const char *path, char *buf, size_t size);

#endif /* VFIO_MOCK_H */
