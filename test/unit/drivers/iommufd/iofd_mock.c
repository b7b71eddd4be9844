/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Scripted ioctl() for the iommufd backend tests (see iofd_mock.h).
 *
 * Argument sizes: iommufd and VFIO structs start with their own size
 * (size / argsz), so a call is recorded as min(that size, the struct's
 * documented size): a zero-size feature probe records 4 bytes and never
 * reads past the caller's buffer.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "iofd_mock.h"
#include "iommufd_uapi.h"

int __real_ioctl(int fd, unsigned long req, ...);
int __wrap_ioctl(int fd, unsigned long req, ...);

#define MAX_STEPS 128
#define MAX_RECS 128

static struct {
	int armed;
	unsigned int n, next, errors, nrec;
	struct mock_step steps[MAX_STEPS];
	struct mock_rec recs[MAX_RECS];
} m;

void
mock_script(const struct mock_step *steps, unsigned int n)
{
	if (n > MAX_STEPS)
		abort();
	memset(&m, 0, sizeof(m));
	if (n != 0)
		memcpy(m.steps, steps, n * sizeof(*steps));
	m.n = n;
	m.armed = 1;
}

void
mock_off(void)
{
	m.armed = 0;
}

unsigned int
mock_nr_calls(void)
{
	return m.nrec;
}

const struct mock_rec *
mock_call(unsigned int i)
{
	return i < m.nrec ? &m.recs[i] : NULL;
}

unsigned int
mock_errors(void)
{
	return m.errors;
}

int
mock_done(void)
{
	if (m.next != m.n || m.errors != 0) {
		fprintf(stderr, "mock: %u of %u steps consumed, %u mismatches\n",
			m.next, m.n, m.errors);
		return 0;
	}
	return 1;
}

const char *
mock_dev_path(void)
{
	static char path[64];
	int fd;

	if (path[0] != '\0')
		return path;
	snprintf(path, sizeof(path), "/tmp/iofd_ut_dev.XXXXXX");
	fd = mkstemp(path);
	if (fd < 0)
		abort();
	close(fd);
	return path;
}

/* Documented size of each request's argument. */
static uint32_t
arg_size(unsigned long req)
{
	switch (req) {
	case IOFD_IOCTL_DESTROY: return sizeof(struct iofd_destroy);
	case IOFD_IOCTL_IOAS_ALLOC: return sizeof(struct iofd_ioas_alloc);
	case IOFD_IOCTL_IOAS_MAP: return sizeof(struct iofd_ioas_map);
	case IOFD_IOCTL_IOAS_MAP_FILE: return sizeof(struct iofd_ioas_map_file);
	case IOFD_IOCTL_IOAS_UNMAP: return sizeof(struct iofd_ioas_unmap);
	case IOFD_IOCTL_HWPT_ALLOC: return sizeof(struct iofd_hwpt_alloc);
	case IOFD_IOCTL_GET_HW_INFO: return sizeof(struct iofd_hw_info);
	case IOFD_IOCTL_HWPT_INVALIDATE: return sizeof(struct iofd_hwpt_invalidate);
	case IOFD_IOCTL_VIOMMU_ALLOC: return sizeof(struct iofd_viommu_alloc);
	case IOFD_IOCTL_VDEVICE_ALLOC: return sizeof(struct iofd_vdevice_alloc);
	case IOFD_IOCTL_TEST: return sizeof(struct iofd_test_cmd);
	case IOFD_VFIO_DEVICE_BIND_IOMMUFD: return sizeof(struct iofd_vfio_bind_iommufd);
	case IOFD_VFIO_DEVICE_ATTACH_PT: return sizeof(struct iofd_vfio_attach_pt);
	case IOFD_VFIO_DEVICE_DETACH_PT: return sizeof(struct iofd_vfio_detach_pt);
	default: return 4;
	}
}

static void
record(struct mock_rec *r, int fd, unsigned long req, void *arg)
{
	uint32_t size, len = arg_size(req);

	r->req = req;
	r->fd = fd;
	memcpy(&size, arg, sizeof(size));
	if (size < len)
		len = size < 4 ? 4 : size;
	r->arg_len = len;
	memcpy(r->arg, arg, len);
	if (req == IOFD_IOCTL_HWPT_ALLOC && len == sizeof(struct iofd_hwpt_alloc)) {
		const struct iofd_hwpt_alloc *a = arg;

		if (a->data_uptr != 0 && a->data_len <= sizeof(r->data)) {
			memcpy(r->data, (const void *)(uintptr_t)a->data_uptr,
			       a->data_len);
			r->data_len = a->data_len;
		}
	} else if (req == IOFD_IOCTL_HWPT_INVALIDATE &&
		   len == sizeof(struct iofd_hwpt_invalidate)) {
		const struct iofd_hwpt_invalidate *v = arg;
		uint64_t bytes = (uint64_t)v->entry_len * v->entry_num;

		if (v->data_uptr != 0 && bytes <= sizeof(r->data)) {
			memcpy(r->data, (const void *)(uintptr_t)v->data_uptr,
			       bytes);
			r->data_len = (uint32_t)bytes;
		}
	}
}

/* The kernel's side effects of a successful (or partial) call. */
static void
answer(const struct mock_step *s, unsigned long req, void *arg, uint32_t len)
{
	if (len < arg_size(req))
		return;
	switch (req) {
	case IOFD_IOCTL_IOAS_ALLOC:
		((struct iofd_ioas_alloc *)arg)->out_ioas_id = s->id;
		break;
	case IOFD_IOCTL_HWPT_ALLOC:
		((struct iofd_hwpt_alloc *)arg)->out_hwpt_id = s->id;
		break;
	case IOFD_IOCTL_VIOMMU_ALLOC:
		((struct iofd_viommu_alloc *)arg)->out_viommu_id = s->id;
		break;
	case IOFD_IOCTL_VDEVICE_ALLOC:
		((struct iofd_vdevice_alloc *)arg)->out_vdevice_id = s->id;
		break;
	case IOFD_VFIO_DEVICE_BIND_IOMMUFD:
		((struct iofd_vfio_bind_iommufd *)arg)->out_devid = s->id;
		break;
	case IOFD_IOCTL_TEST: {
		struct iofd_test_cmd *c = arg;

		if (c->op == IOFD_TEST_OP_MOCK_DOMAIN) {
			c->mock_domain.out_stdev_id = s->id;
			c->mock_domain.out_idev_id = s->id2;
			c->mock_domain.out_hwpt_id = s->id + 100;
		}
		break;
	}
	case IOFD_IOCTL_GET_HW_INFO: {
		struct iofd_hw_info *h = arg;
		uint32_t n = s->hw_len < h->data_len ? s->hw_len : h->data_len;

		if (n != 0 && h->data_uptr != 0)
			memcpy((void *)(uintptr_t)h->data_uptr, s->hw_data, n);
		h->out_data_type = s->hw_type;
		h->data_len = s->hw_len;
		break;
	}
	case IOFD_IOCTL_HWPT_INVALIDATE:
		if (s->entry_num >= 0)
			((struct iofd_hwpt_invalidate *)arg)->entry_num =
				(uint32_t)s->entry_num;
		break;
	default:
		break;
	}
}

int
__wrap_ioctl(int fd, unsigned long req, ...)
{
	const struct mock_step *s;
	struct mock_rec *r;
	va_list ap;
	void *arg;

	va_start(ap, req);
	arg = va_arg(ap, void *);
	va_end(ap);
	if (!m.armed)
		return __real_ioctl(fd, req, arg);
	if (m.nrec < MAX_RECS) {
		r = &m.recs[m.nrec++];
		record(r, fd, req, arg);
	} else {
		m.errors++;
		errno = ENOTTY;
		return -1;
	}
	if (m.next >= m.n || m.steps[m.next].req != req) {
		fprintf(stderr, "mock: unexpected ioctl 0x%lx (call %u, step %u "
			"expects 0x%lx)\n", req, m.nrec - 1, m.next,
			m.next < m.n ? m.steps[m.next].req : 0UL);
		m.errors++;
		errno = ENOTTY;
		return -1;
	}
	s = &m.steps[m.next++];
	if (s->err == 0 || req == IOFD_IOCTL_HWPT_INVALIDATE)
		answer(s, req, arg, r->arg_len);
	if (s->err != 0) {
		errno = s->err;
		return -1;
	}
	return 0;
}
