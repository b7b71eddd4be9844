/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Scenario "kernel": what the kernel's own IOMMU paths cost, where the
 * machine has them. Design §7 item 7. Main lcore only.
 *
 * Measured (with /dev/vfio/vfio and a viable VFIO group, e.g. inside the
 * `vm` suite's guests, where vfio-pci owns QEMU's edu device):
 *  - kernel/map:     VFIO_IOMMU_MAP_DMA of one 4 KiB page (pins the page,
 *                    writes the IOMMU page table);
 *  - kernel/unmap:   VFIO_IOMMU_UNMAP_DMA of that page (clears the entry,
 *                    invalidates the IOTLB, unpins) — the kernel's
 *                    per-entry invalidation path;
 *  - kernel/unmap64: one VFIO_IOMMU_UNMAP_DMA over 64 pages that were
 *                    mapped by 64 separate calls (one batched
 *                    invalidation); one sample is the whole call.
 * Each sample is one ioctl, timed on the main lcore; map and unmap
 * alternate on a rotating page of a 64-page buffer. Samples are capped at
 * KERNEL_MAX_SAMPLES (KERNEL_MAX_SAMPLES / 64 for unmap64): an ioctl takes
 * microseconds, so --samples would take minutes. Baseline trap/futex (the
 * cheapest syscall hand-over measured in the same run).
 *
 * The container is VFIO_TYPE1v2_IOMMU on a group given by
 * UIOMMU_BENCH_VFIO_GROUP (a number, or a path), else EDU_GROUP (what the
 * vm suite's /init exports), else the first viable group under /dev/vfio.
 * IOVAs come from the container's usable IOVA ranges (VFIO_IOMMU_GET_INFO
 * capability chain), at or above 1 MiB.
 *
 * With /dev/iommu, IOMMU_HWPT_INVALIDATE is timed by the iommufd backend's
 * own measurement, uiommu_iommufd_inv_cost() (uiommu_iommufd.h: a selftest
 * nested HWPT, so it needs a CONFIG_IOMMUFD_TEST kernel), with 1, 32 and
 * 256 entries per call. That function returns percentiles, not samples,
 * so these are rate results: kernel/hwpt-invN, entries per second at the
 * median call, one repetition per call of the function (KERNEL_INV_ITERS
 * calls each, a fresh HWPT every time), ctx->reps repetitions; the note
 * gives the last repetition's p50 and p99 per call. hwpt-inv32 and
 * hwpt-inv256 are compared with hwpt-inv1 (the gain of batching).
 *
 * Without /dev/vfio/vfio and /dev/iommu (this project's build machines) the
 * scenario is skipped; a part that cannot run (no viable group, no
 * CONFIG_IOMMUFD_TEST) is skipped with its reason when the other ran.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "bench.h"
#include "uiommu_iommufd.h"
#include "uiommu_vfio_uapi.h"

#define KERNEL_PAGES 64u
#define KERNEL_MAX_SAMPLES 20000u
#define KERNEL_MIN_IOVA (1ULL << 20)
#define KERNEL_INFO_BUF 4096u
#define KERNEL_INV_ITERS 1000u
#define KERNEL_INV_SIZES 3u

struct kvfio {
	int container, group;
	uint8_t *buf;
	uint64_t iova;
	char group_path[288];
};

static int
xioctl(int fd, unsigned long req, void *arg)
{
	int rc;

	do {
		rc = ioctl(fd, req, arg);
	} while (rc < 0 && errno == EINTR);
	return rc < 0 ? -errno : rc;
}

/* Open a group path and keep it if viable. */
static int
group_try(const char *path)
{
	struct uiommu_vfio_group_status st = { .argsz = sizeof(st) };
	int fd = open(path, O_RDWR | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	if (xioctl(fd, UIOMMU_VFIO_GROUP_GET_STATUS, &st) != 0 ||
	    !(st.flags & UIOMMU_VFIO_GROUP_FLAGS_VIABLE)) {
		close(fd);
		return -ENODEV;
	}
	return fd;
}

static int
group_find(struct kvfio *k)
{
	const char *env = getenv("UIOMMU_BENCH_VFIO_GROUP");
	struct dirent *de;
	DIR *d;

	if (env == NULL || env[0] == '\0')
		env = getenv("EDU_GROUP");
	if (env != NULL && env[0] != '\0') {
		if (env[0] == '/')
			snprintf(k->group_path, sizeof(k->group_path), "%s", env);
		else
			snprintf(k->group_path, sizeof(k->group_path), "/dev/vfio/%s", env);
		return group_try(k->group_path);
	}
	d = opendir("/dev/vfio");
	if (d == NULL)
		return -errno;
	while ((de = readdir(d)) != NULL) {
		int fd;

		if (de->d_name[0] < '0' || de->d_name[0] > '9')
			continue;
		snprintf(k->group_path, sizeof(k->group_path), "/dev/vfio/%s", de->d_name);
		fd = group_try(k->group_path);
		if (fd >= 0) {
			closedir(d);
			return fd;
		}
	}
	closedir(d);
	return -ENODEV;
}

/* First usable IOVA window of KERNEL_PAGES pages at or above 1 MiB. */
static int
iova_pick(struct kvfio *k)
{
	uint8_t *buf = calloc(1, KERNEL_INFO_BUF);
	struct uiommu_vfio_iommu_info *info = (void *)buf;
	const uint64_t need = (uint64_t)KERNEL_PAGES * 4096;
	uint32_t off;
	int rc;

	if (buf == NULL)
		return -ENOMEM;
	info->argsz = KERNEL_INFO_BUF;
	rc = xioctl(k->container, UIOMMU_VFIO_IOMMU_GET_INFO, info);
	k->iova = 0;
	if (rc != 0 || !(info->flags & UIOMMU_VFIO_IOMMU_INFO_CAPS) ||
	    info->argsz > KERNEL_INFO_BUF) {
		/* No range list: 1 GiB is usable on every IOMMU we know. */
		k->iova = 1ULL << 30;
		free(buf);
		return 0;
	}
	/* Bounded walk of the capability chain inside the buffer. */
	for (off = info->cap_offset; off != 0 && k->iova == 0;) {
		struct uiommu_vfio_cap_header *h = (void *)(buf + off);

		if (off < sizeof(*info) || off + sizeof(*h) > KERNEL_INFO_BUF ||
		    (off & 3) != 0)
			break;
		if (h->id == UIOMMU_VFIO_IOMMU_CAP_IOVA_RANGE &&
		    off + sizeof(struct uiommu_vfio_cap_iova_range) <= KERNEL_INFO_BUF) {
			struct uiommu_vfio_cap_iova_range *c = (void *)h;

			for (uint32_t i = 0; i < c->nr_iovas; i++) {
				const struct uiommu_vfio_iova_range *r = &c->iova_ranges[i];
				uint64_t start;

				if ((uint8_t *)(r + 1) > buf + KERNEL_INFO_BUF)
					break;
				start = r->start < KERNEL_MIN_IOVA ? KERNEL_MIN_IOVA : r->start;
				start = (start + 4095) & ~4095ULL;
				if (start <= r->end && r->end - start >= need - 1) {
					k->iova = start;
					break;
				}
			}
		}
		if (h->next <= off)
			break;
		off = h->next;
	}
	free(buf);
	if (k->iova == 0)
		k->iova = 1ULL << 30;
	return 0;
}

static int
kvfio_open(struct kvfio *k, char *why, size_t whylen)
{
	int rc;

	k->container = k->group = -1;
	k->buf = NULL;
	k->group = group_find(k);
	if (k->group < 0) {
		rc = k->group;
		snprintf(why, whylen, "no viable VFIO group (bind a device to vfio-pci, "
			 "or set UIOMMU_BENCH_VFIO_GROUP)");
		return rc;
	}
	k->container = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);
	if (k->container < 0) {
		snprintf(why, whylen, "open /dev/vfio/vfio: %s", strerror(errno));
		return -errno;
	}
	if (xioctl(k->container, UIOMMU_VFIO_GET_API_VERSION, NULL) != UIOMMU_VFIO_API_VERSION ||
	    xioctl(k->container, UIOMMU_VFIO_CHECK_EXTENSION,
		   (void *)(uintptr_t)UIOMMU_VFIO_TYPE1V2_IOMMU) <= 0) {
		snprintf(why, whylen, "VFIO type1v2 not supported");
		return -EOPNOTSUPP;
	}
	rc = xioctl(k->group, UIOMMU_VFIO_GROUP_SET_CONTAINER, &k->container);
	if (rc == 0)
		rc = ioctl(k->container, UIOMMU_VFIO_SET_IOMMU,
			   (unsigned long)UIOMMU_VFIO_TYPE1V2_IOMMU) < 0 ? -errno : 0;
	if (rc != 0) {
		snprintf(why, whylen, "attaching %.64s to a type1v2 container: %s",
			 k->group_path, strerror(-rc));
		return rc;
	}
	k->buf = mmap(NULL, (size_t)KERNEL_PAGES * 4096, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (k->buf == MAP_FAILED) {
		k->buf = NULL;
		snprintf(why, whylen, "no memory");
		return -ENOMEM;
	}
	return iova_pick(k);
}

static void
kvfio_close(struct kvfio *k)
{
	if (k->buf != NULL)
		munmap(k->buf, (size_t)KERNEL_PAGES * 4096);
	if (k->group >= 0)
		close(k->group);	/* also detaches it from the container */
	if (k->container >= 0)
		close(k->container);
}

static int
kmap(struct kvfio *k, unsigned int page)
{
	struct uiommu_vfio_dma_map m = {
		.argsz = sizeof(m),
		.flags = UIOMMU_VFIO_DMA_MAP_FLAG_READ | UIOMMU_VFIO_DMA_MAP_FLAG_WRITE,
		.vaddr = (uint64_t)(uintptr_t)(k->buf + 4096ULL * page),
		.iova = k->iova + 4096ULL * page, .size = 4096,
	};

	return xioctl(k->container, UIOMMU_VFIO_IOMMU_MAP_DMA, &m);
}

static int
kunmap(struct kvfio *k, unsigned int page, unsigned int pages)
{
	struct uiommu_vfio_dma_unmap u = {
		.argsz = sizeof(u), .iova = k->iova + 4096ULL * page,
		.size = 4096ULL * pages,
	};
	int rc = xioctl(k->container, UIOMMU_VFIO_IOMMU_UNMAP_DMA, &u);

	return rc == 0 && u.size != 4096ULL * pages ? -EIO : rc;
}

static int
vfio_measure(struct bench_ctx *ctx, struct kvfio *k)
{
	uint64_t n = ctx->samples < KERNEL_MAX_SAMPLES ? ctx->samples : KERNEL_MAX_SAMPLES;
	uint64_t warm = ctx->warmup < n / 10 ? ctx->warmup : n / 10;
	uint64_t nb = n / KERNEL_PAGES ? n / KERNEL_PAGES : 1;
	struct bench_result *rm, *ru, *rb;
	int rc = 0;

	rm = bench_set_add_latency(ctx->set, "kernel", "map", "trap/futex", "ioctl", 1);
	ru = bench_set_add_latency(ctx->set, "kernel", "unmap", "trap/futex", "ioctl", 1);
	rb = bench_set_add_latency(ctx->set, "kernel", "unmap64", "trap/futex",
				   "ioctl (64 pages)", 1);
	if (rm == NULL || ru == NULL || rb == NULL) {
		rc = -ENOMEM;
		goto fail;
	}
	for (uint64_t i = 0; i < warm + n && rc == 0; i++) {
		unsigned int page = (unsigned int)(i % KERNEL_PAGES);
		uint64_t t0, t1, t2;

		t0 = bench_tsc_begin();
		rc = kmap(k, page);
		t1 = bench_tsc_end();
		if (rc != 0)
			break;
		rc = kunmap(k, page, 1);
		t2 = bench_tsc_end();
		if (rc == 0 && i >= warm) {
			bench_hist_record(rm->hist, t1 - t0);
			bench_hist_record(ru->hist, t2 - t1);
		}
	}
	for (uint64_t i = 0; i < nb && rc == 0; i++) {
		uint64_t t0, t1;

		for (unsigned int p = 0; p < KERNEL_PAGES && rc == 0; p++)
			rc = kmap(k, p);
		if (rc != 0)
			break;
		t0 = bench_tsc_begin();
		rc = kunmap(k, 0, KERNEL_PAGES);
		t1 = bench_tsc_end();
		if (rc == 0)
			bench_hist_record(rb->hist, t1 - t0);
	}
	if (rc != 0)
		goto fail;
	snprintf(rm->note, sizeof(rm->note), "VFIO_IOMMU_MAP_DMA, 4 KiB, type1v2 on %.40s; "
		 "%llu samples", k->group_path, (unsigned long long)n);
	snprintf(ru->note, sizeof(ru->note), "VFIO_IOMMU_UNMAP_DMA, 4 KiB (one entry); "
		 "%llu samples", (unsigned long long)n);
	snprintf(rb->note, sizeof(rb->note), "VFIO_IOMMU_UNMAP_DMA of %u pages mapped by "
		 "%u calls; %llu samples", KERNEL_PAGES, KERNEL_PAGES,
		 (unsigned long long)nb);
	return 0;
fail:
	bench_set_drop(ctx->set, rb);
	bench_set_drop(ctx->set, ru);
	bench_set_drop(ctx->set, rm);
	return rc;
}

/* IOMMU_HWPT_INVALIDATE through the iommufd backend's measurement. */
static int
inv_measure(struct bench_ctx *ctx, char *why, size_t whylen)
{
	static const uint32_t sizes[KERNEL_INV_SIZES] = { 1, 32, 256 };
	struct uiommu_iommufd_inv_cost out[KERNEL_INV_SIZES];
	struct bench_result *res[KERNEL_INV_SIZES] = { NULL };
	unsigned int iters = ctx->quick ? 10u : KERNEL_INV_ITERS;
	int rc = 0;

	for (unsigned int r = 0; r < ctx->reps && rc == 0; r++) {
		rc = uiommu_iommufd_inv_cost(NULL, sizes, KERNEL_INV_SIZES, iters, out);
		if (rc == -ENOENT || rc == -ENOTTY) {
			snprintf(why, whylen, "IOMMU_HWPT_INVALIDATE not timed: %s",
				 rc == -ENOENT ? "no iommufd device" :
				 "the kernel lacks CONFIG_IOMMUFD_TEST (selftest HWPT)");
			rc = r == 0 ? 1 : -EIO;	/* 1: not available here */
			break;
		}
		for (unsigned int k = 0; k < KERNEL_INV_SIZES && rc == 0; k++) {
			if (res[k] == NULL) {
				char variant[BENCH_NAME_MAX];

				snprintf(variant, sizeof(variant), "hwpt-inv%u", sizes[k]);
				res[k] = bench_set_add_rate(ctx->set, "kernel", variant,
							    k == 0 ? "" : "kernel/hwpt-inv1",
							    "entry", (uint64_t)iters * sizes[k]);
				if (res[k] == NULL) {
					rc = -errno;
					break;
				}
			}
			if (out[k].p50_ns == 0)
				out[k].p50_ns = 1;
			rc = bench_result_add_rep(res[k], (double)sizes[k] * 1e9 /
						  (double)out[k].p50_ns);
			snprintf(res[k]->note, sizeof(res[k]->note),
				 "IOMMU_HWPT_INVALIDATE, %u entries, selftest nested HWPT; "
				 "per call p50 %llu ns, p99 %llu ns (%u calls)", sizes[k],
				 (unsigned long long)out[k].p50_ns,
				 (unsigned long long)out[k].p99_ns, iters);
		}
	}
	if (rc != 0)
		for (unsigned int k = KERNEL_INV_SIZES; k-- > 0;)
			bench_set_drop(ctx->set, res[k]);
	return rc;
}

static int
kernel_run(struct bench_ctx *ctx)
{
	bool iommufd = access("/dev/iommu", F_OK) == 0;
	bool vfio = access("/dev/vfio/vfio", F_OK) == 0;
	char why_inv[160] = "", why_vfio[160] = "";
	bool inv_done = false, vfio_done = false;
	struct kvfio k;
	int rc;

	if (!iommufd && !vfio) {
		bench_set_unavailable(ctx->set, "kernel", "skipped",
				      "neither /dev/iommu nor /dev/vfio/vfio exists here");
		return 0;
	}
	if (iommufd) {
		rc = inv_measure(ctx, why_inv, sizeof(why_inv));
		if (rc < 0) {
			bench_set_failed(ctx->set, "kernel", rc, "IOMMU_HWPT_INVALIDATE: %s",
					 strerror(-rc));
			return rc;
		}
		inv_done = rc == 0;
	} else {
		snprintf(why_inv, sizeof(why_inv), "no /dev/iommu");
	}
	if (vfio) {
		rc = kvfio_open(&k, why_vfio, sizeof(why_vfio));
		if (rc == 0) {
			rc = vfio_measure(ctx, &k);
			if (rc != 0) {
				kvfio_close(&k);
				bench_set_failed(ctx->set, "kernel", rc,
						 "VFIO map/unmap on %.64s: %s",
						 k.group_path, strerror(-rc));
				return rc;
			}
			vfio_done = true;
		}
		kvfio_close(&k);
	} else {
		snprintf(why_vfio, sizeof(why_vfio), "no /dev/vfio/vfio");
	}
	if (!inv_done && !vfio_done)
		bench_set_unavailable(ctx->set, "kernel", "skipped", "%.120s; %.120s",
				      why_inv, why_vfio);
	else if (!inv_done || !vfio_done)
		fprintf(stderr, "uiommu-bench: kernel: part not measured: %s\n",
			!inv_done ? why_inv : why_vfio);
	return 0;
}

static const struct bench_scenario sc_kernel = {
	.name = "kernel",
	.summary = "VFIO map/unmap per 4 KiB and 64-page unmap; IOMMU_HWPT_INVALIDATE per 1/32/256 entries (baseline: trap)",
	.baseline = "trap",
	.order = 140,
	.plot = false,
	.run = kernel_run,
};

BENCH_SCENARIO_REGISTER(sc_kernel)
