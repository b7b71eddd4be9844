/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * iommufd backend: measurement of IOMMU_HWPT_INVALIDATE (uiommu_iommufd.h).
 *
 * Design. The backend turns each batch of guest invalidations into one
 * IOMMU_HWPT_INVALIDATE whose array holds one entry per command, so what a
 * benchmark wants is the fixed cost of the call and the cost of one more
 * entry. They are measured on the one nested IOMMU every
 * CONFIG_IOMMUFD_TEST kernel has, the selftest mock: a private iommufd
 * context (its own open of the device) with an IOAS, a mock device, a nest
 * parent and a selftest nested HWPT. The mock's invalidation copies each
 * entry in and clears a slot, so the numbers are the kernel's iommufd path
 * (copy-in, dispatch, per-entry copy), not any hardware queue.
 *
 * Numbers from a kernel that does not honour the request are worthless,
 * so the semantics are checked first, on the same HWPT: a refused second
 * entry gives EINVAL with entry_num 1 and clears exactly the first slot
 * (IOMMU_TEST_OP_MD_CHECK_IOTLB). Every timed call must handle all its
 * entries.
 *
 * libc only: the libc-only guest tool test/vm/iommufd/iommufd_inv_bench
 * compiles this same file. No allocation but the sample array.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "iommufd_uapi.h"
#include "uiommu_iommufd.h"

struct cost_ctx {
	int fd;
	uint32_t nested;
};

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static int
xioctl(int fd, unsigned long req, void *arg)
{
	return ioctl(fd, req, arg) == 0 ? 0 : -errno;
}

/* IOAS, mock device, nest parent, nested HWPT, device on it. */
static int
cost_setup(struct cost_ctx *c)
{
	struct iofd_ioas_alloc ia = { .size = sizeof(ia) };
	struct iofd_test_cmd md = { .size = sizeof(md),
				    .op = IOFD_TEST_OP_MOCK_DOMAIN };
	struct iofd_hwpt_alloc pa = { .size = sizeof(pa),
				      .flags = IOFD_HWPT_ALLOC_NEST_PARENT };
	struct iofd_hwpt_selftest data = { .iotlb = IOFD_TEST_IOTLB_DEFAULT };
	struct iofd_hwpt_alloc na = { .size = sizeof(na),
				      .data_type = IOFD_HWPT_DATA_SELFTEST,
				      .data_len = sizeof(data),
				      .data_uptr = (uint64_t)(uintptr_t)&data };
	struct iofd_test_cmd rp = { .size = sizeof(rp),
				    .op = IOFD_TEST_OP_MOCK_DOMAIN_REPLACE };
	int rc;

	if ((rc = xioctl(c->fd, IOFD_IOCTL_IOAS_ALLOC, &ia)) != 0)
		return rc;
	md.id = ia.out_ioas_id;
	if ((rc = xioctl(c->fd, IOFD_IOCTL_TEST, &md)) != 0)
		return rc;
	pa.dev_id = md.mock_domain.out_idev_id;
	pa.pt_id = ia.out_ioas_id;
	if ((rc = xioctl(c->fd, IOFD_IOCTL_HWPT_ALLOC, &pa)) != 0)
		return rc;
	na.dev_id = md.mock_domain.out_idev_id;
	na.pt_id = pa.out_hwpt_id;
	if ((rc = xioctl(c->fd, IOFD_IOCTL_HWPT_ALLOC, &na)) != 0)
		return rc;
	c->nested = na.out_hwpt_id;
	rp.id = md.mock_domain.out_stdev_id;
	rp.mock_domain_replace.pt_id = c->nested;
	return xioctl(c->fd, IOFD_IOCTL_TEST, &rp);
}

static int
cost_inv(const struct cost_ctx *c, const struct iofd_inv_selftest *e,
	 uint32_t n, uint32_t *done)
{
	struct iofd_hwpt_invalidate inv = {
		.size = sizeof(inv), .hwpt_id = c->nested,
		.data_uptr = (uint64_t)(uintptr_t)e,
		.data_type = IOFD_INV_DATA_SELFTEST,
		.entry_len = sizeof(*e), .entry_num = n,
	};
	int rc = xioctl(c->fd, IOFD_IOCTL_HWPT_INVALIDATE, &inv);

	*done = inv.entry_num;
	return rc;
}

static bool
slot_is(const struct cost_ctx *c, uint32_t slot, uint32_t val)
{
	struct iofd_test_cmd t = { .size = sizeof(t),
				   .op = IOFD_TEST_OP_MD_CHECK_IOTLB,
				   .id = c->nested };

	t.check_iotlb.id = slot;
	t.check_iotlb.iotlb = val;
	return xioctl(c->fd, IOFD_IOCTL_TEST, &t) == 0;
}

/* A refused 2nd entry: EINVAL, entry_num 1, exactly slot 1 cleared. */
static int
cost_check(const struct cost_ctx *c)
{
	const struct iofd_inv_selftest e[2] = { { 0, 1 }, { 0, 9 } };
	uint32_t done = 0;

	if (cost_inv(c, e, 2, &done) != -EINVAL || done != 1 ||
	    !slot_is(c, 0, IOFD_TEST_IOTLB_DEFAULT) || !slot_is(c, 1, 0) ||
	    !slot_is(c, 2, IOFD_TEST_IOTLB_DEFAULT) ||
	    !slot_is(c, 3, IOFD_TEST_IOTLB_DEFAULT))
		return -EIO;
	return 0;
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static uint64_t
pct(const uint64_t *s, unsigned int n, unsigned int p)
{
	uint64_t i = ((uint64_t)(n - 1) * p + 50) / 100;

	return s[i];
}

static int
cost_run(const struct cost_ctx *c, uint32_t entry_num, unsigned int iters,
	 uint64_t *s, struct uiommu_iommufd_inv_cost *out)
{
	struct iofd_inv_selftest e[UIOMMU_IOMMUFD_INV_COST_MAX_ENTRIES];
	uint32_t done;
	int rc;

	for (uint32_t k = 0; k < entry_num; k++)
		e[k] = (struct iofd_inv_selftest){ 0, k % IOFD_TEST_IOTLB_NUM };
	for (unsigned int i = 0; i < iters / 10; i++)
		(void)cost_inv(c, e, entry_num, &done);
	for (unsigned int i = 0; i < iters; i++) {
		uint64_t t0 = now_ns();

		rc = cost_inv(c, e, entry_num, &done);
		s[i] = now_ns() - t0;
		if (rc != 0)
			return rc;
		if (done != entry_num)
			return -EIO;
	}
	qsort(s, iters, sizeof(*s), cmp_u64);
	out->entry_num = entry_num;
	out->iters = iters;
	out->p50_ns = pct(s, iters, 50);
	out->p90_ns = pct(s, iters, 90);
	out->p99_ns = pct(s, iters, 99);
	out->max_ns = s[iters - 1];
	return 0;
}

int
uiommu_iommufd_inv_cost(const char *dev, const uint32_t *entries,
			unsigned int n, unsigned int iters,
			struct uiommu_iommufd_inv_cost *out)
{
	struct cost_ctx c;
	uint64_t *s;
	int rc;

	if (entries == NULL || out == NULL || n == 0 || iters < 10 ||
	    iters > 1000000)
		return -EINVAL;
	for (unsigned int i = 0; i < n; i++)
		if (entries[i] > UIOMMU_IOMMUFD_INV_COST_MAX_ENTRIES)
			return -EINVAL;
	s = calloc(iters, sizeof(*s));
	if (s == NULL)
		return -ENOMEM;
	c.fd = open(dev != NULL ? dev : "/dev/iommu", O_RDWR | O_CLOEXEC);
	if (c.fd < 0) {
		rc = -errno;
		goto out_free;
	}
	rc = cost_setup(&c);
	if (rc == 0)
		rc = cost_check(&c);
	for (unsigned int i = 0; i < n && rc == 0; i++)
		rc = cost_run(&c, entries[i], iters, s, &out[i]);
	close(c.fd);     /* releases every object */
out_free:
	free(s);
	return rc;
}
