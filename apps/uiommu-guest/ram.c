/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Guest RAM and the guest's page allocator.
 *
 * Design. Guest RAM is one memfd, on hugetlbfs (memfd_create with
 * MFD_HUGETLB, 2 MiB pages) when the machine has free hugepages, else an
 * ordinary memfd; the caller is told which and why. Its size is sealed
 * (F_SEAL_SHRINK | F_SEAL_GROW), as the manager requires by default (RAM
 * that cannot shrink under its mapping). The simulator maps it once, shared; the
 * manager maps the same fd after MEM_ADD, so both see the same bytes.
 *
 * Everything the guest builds for the IOMMU (stream table, CDs, stage-1
 * tables, vCMDQ rings, DMA descriptor rings, data buffers) is carved out of
 * this RAM by a tiny allocator: one bit per 4 KiB page, next-fit search
 * for a run of free pages with the requested alignment, a mutex because
 * several worker threads allocate. It is the "guest kernel's page
 * allocator" of the simulation; its bookkeeping lives in the simulator, as
 * a real kernel's struct page array lives outside the pages it describes.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "guest.h"

#define HUGE_2M (2ULL << 20)

static int
ram_map(struct gram *r, uint64_t size, uint32_t flags, char *why,
	size_t whylen)
{
	int fd = uiommu_client_memfd("uiommu-guest-ram", size,
				     flags | UIOMMU_CLIENT_MEMFD_SEAL);
	void *p;

	if (fd < 0) {
		snprintf(why, whylen, "memfd: %s", strerror(-fd));
		return fd;
	}
	/* Hugetlb: populate, so that missing pages fail here rather than
	 * with SIGBUS in the middle of the workload. */
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED |
		 ((flags & UIOMMU_CLIENT_MEMFD_HUGETLB) ? MAP_POPULATE : 0),
		 fd, 0);
	if (p == MAP_FAILED) {
		int rc = -errno;

		snprintf(why, whylen, "mmap: %s", strerror(errno));
		close(fd);
		return rc;
	}
	r->fd = fd;
	r->hva = p;
	return 0;
}

int
gram_create(struct gram *r, uint64_t gpa, uint64_t size, bool try_huge,
	    char *why, size_t whylen)
{
	int rc = -EINVAL;

	memset(r, 0, sizeof(*r));
	r->fd = -1;
	why[0] = '\0';
	size = (size + HUGE_2M - 1) & ~(HUGE_2M - 1);
	if (size == 0 || (gpa & (HUGE_2M - 1)))
		return -EINVAL;
	if (try_huge) {
		rc = ram_map(r, size, UIOMMU_CLIENT_MEMFD_HUGETLB, why, whylen);
		if (rc == 0)
			r->hugetlb = true;
	} else {
		snprintf(why, whylen, "hugepages not requested");
	}
	if (rc != 0) {
		char first[128];

		snprintf(first, sizeof(first), "%s", why);
		rc = ram_map(r, size, 0, why, whylen);
		if (rc != 0)
			return rc;
		snprintf(why, whylen, "%s", first);
	}
	r->gpa = gpa;
	r->size = size;
	r->npages = size / G_PAGE;
	r->bitmap = calloc((r->npages + 63) / 64, sizeof(uint64_t));
	if (r->bitmap == NULL) {
		gram_destroy(r);
		return -ENOMEM;
	}
	pthread_mutex_init(&r->lock, NULL);
	return 0;
}

void
gram_destroy(struct gram *r)
{
	if (r == NULL)
		return;
	if (r->hva != NULL)
		munmap(r->hva, r->size != 0 ? r->size :
		       (r->npages != 0 ? r->npages * G_PAGE : 0));
	if (r->fd >= 0)
		close(r->fd);
	free(r->bitmap);
	r->bitmap = NULL;
	r->hva = NULL;
	r->fd = -1;
}

void *
gram_ptr(const struct gram *r, uint64_t gpa, uint64_t len)
{
	if (gpa < r->gpa || len > r->size || gpa - r->gpa > r->size - len)
		return NULL;
	return r->hva + (gpa - r->gpa);
}

static bool
page_used(const struct gram *r, uint64_t i)
{
	return (r->bitmap[i / 64] >> (i % 64)) & 1;
}

static void
page_set(struct gram *r, uint64_t i, bool used)
{
	if (used)
		r->bitmap[i / 64] |= 1ULL << (i % 64);
	else
		r->bitmap[i / 64] &= ~(1ULL << (i % 64));
}

/* First run of n free pages at an aligned index >= from, below limit. */
static bool
find_run(const struct gram *r, uint64_t from, uint64_t limit, uint64_t n,
	 uint64_t align, uint64_t *out)
{
	uint64_t i = (from + align - 1) & ~(align - 1);

	while (i + n <= limit) {
		uint64_t k;

		for (k = 0; k < n; k++)
			if (page_used(r, i + k))
				break;
		if (k == n) {
			*out = i;
			return true;
		}
		/* Restart after the used page, aligned. */
		i = (i + k + 1 + align - 1) & ~(align - 1);
	}
	return false;
}

int
gram_alloc(struct gram *r, uint64_t npages, uint64_t align_pages,
	   uint64_t *gpa)
{
	uint64_t idx;
	bool ok;

	if (npages == 0 || align_pages == 0 ||
	    (align_pages & (align_pages - 1)) || npages > r->npages)
		return -EINVAL;
	pthread_mutex_lock(&r->lock);
	ok = find_run(r, r->next, r->npages, npages, align_pages, &idx) ||
	     find_run(r, 0, r->npages, npages, align_pages, &idx);
	if (ok) {
		for (uint64_t k = 0; k < npages; k++)
			page_set(r, idx + k, true);
		r->used += npages;
		r->next = idx + npages < r->npages ? idx + npages : 0;
	}
	pthread_mutex_unlock(&r->lock);
	if (!ok)
		return -ENOMEM;
	*gpa = r->gpa + idx * G_PAGE;
	return 0;
}

void
gram_free(struct gram *r, uint64_t gpa, uint64_t npages)
{
	uint64_t idx;

	if (gpa < r->gpa || (gpa - r->gpa) % G_PAGE != 0)
		return;
	idx = (gpa - r->gpa) / G_PAGE;
	if (idx + npages > r->npages)
		return;
	pthread_mutex_lock(&r->lock);
	for (uint64_t k = 0; k < npages; k++) {
		if (page_used(r, idx + k)) {
			page_set(r, idx + k, false);
			r->used--;
		}
	}
	pthread_mutex_unlock(&r->lock);
}
