/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The "mock" backend: a recorder with scripted failures, for tests.
 *
 * It implements every op of struct uiommu_backend_ops without hardware:
 * it counts each call, remembers every invalidation entry and every batch
 * size in call order (so a test can assert "one backend call per batch",
 * where the batch boundaries fell, and which VMID/device each entry
 * carried), tracks live objects (so a test can assert that destroy paths
 * released everything), and fails the Nth call of an op on request — for
 * invalidate() the Nth *entry*, applying the ones before it as the SDK
 * contract says. Devices are "mock:N", N < UIOMMU_MOCK_MAX_DEVICES, each
 * bindable once. translate() treats the IOVA as a guest-physical address
 * (stage-1 bypass) and resolves it through the VM's RAM; an address
 * outside RAM faults with F_TRANSLATION. Events are whatever a test pushed
 * with uiommu_mock_event_push().
 *
 * Being part of the library, it is registered in every program; it is
 * harmless there (nothing creates a mock vIOMMU unless asked to). Its
 * records are process-global and unsynchronised: tests drive it from one
 * thread, or read the records after the poller stopped.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core_private.h"

#define MOCK_EVQ 16

struct mock_viommu {
	uint16_t vmid;
	const struct uiommu_gmem *gmem;
	uint32_t ev_head, ev_tail;
	struct uiommu_event ev[MOCK_EVQ];
};

struct mock_dev {
	struct mock_viommu *mv;
	uint32_t n;
	uint32_t vsid;
};

struct mock_fail {
	uint64_t nth;   /* 1-based call (entry) that fails; 0 = disarmed */
	uint64_t seen;  /* calls (entries) since armed */
	int err;
};

static struct uiommu_mock_state st;
static struct mock_fail fail[UIOMMU_MOCK_NR_OPS];
static bool bound[UIOMMU_MOCK_MAX_DEVICES];

void
uiommu_mock_reset(void)
{
	memset(&st, 0, sizeof(st));
	memset(fail, 0, sizeof(fail));
}

const struct uiommu_mock_state *
uiommu_mock_state(void)
{
	return &st;
}

int
uiommu_mock_fail(enum uiommu_mock_op op, uint64_t nth, int err)
{
	if ((unsigned int)op >= UIOMMU_MOCK_NR_OPS || err >= 0 ||
	    op == UIOMMU_MOCK_VIOMMU_FREE || op == UIOMMU_MOCK_S2_UNMAP ||
	    op == UIOMMU_MOCK_VDEVICE_FREE)
		return -EINVAL;
	fail[op] = (struct mock_fail){ .nth = nth, .seen = 0, .err = err };
	return 0;
}

/* Count a call of op; @return the scripted error or 0. */
static int
mock_call(enum uiommu_mock_op op)
{
	struct mock_fail *f = &fail[op];

	st.calls[op]++;
	if (f->nth == 0)
		return 0;
	if (++f->seen != f->nth)
		return 0;
	f->nth = 0;
	return f->err;
}

static int
mock_hw_info(struct uiommu_hw_info *info)
{
	memset(info, 0, sizeof(*info));
	snprintf(info->name, sizeof(info->name), "mock");
	snprintf(info->model, sizeof(info->model), "recording mock backend");
	info->caps = UIOMMU_HW_CAP_NESTING | UIOMMU_HW_CAP_FMT_LPAE |
		     UIOMMU_HW_CAP_RANGE_INV | UIOMMU_HW_CAP_TRANSLATE;
	info->pgsize_bitmap = 4096;
	info->ias = 48;
	info->oas = 48;
	info->max_vdevices = UIOMMU_MOCK_MAX_DEVICES;
	return 0;
}

static int
mock_viommu_alloc(const struct uiommu_viommu_cfg *cfg, void **priv)
{
	struct mock_viommu *mv;
	int rc = mock_call(UIOMMU_MOCK_VIOMMU_ALLOC);

	if (rc != 0)
		return rc;
	mv = calloc(1, sizeof(*mv));
	if (mv == NULL)
		return -ENOMEM;
	mv->vmid = cfg->vmid;
	mv->gmem = cfg->gmem;
	st.last_vmid = cfg->vmid;
	st.live_viommus++;
	*priv = mv;
	return 0;
}

static void
mock_viommu_free(void *priv)
{
	(void)mock_call(UIOMMU_MOCK_VIOMMU_FREE);
	st.live_viommus--;
	free(priv);
}

static int
mock_s2_map(void *priv, uint64_t gpa, void *hva, uint64_t len, uint32_t prot)
{
	int rc = mock_call(UIOMMU_MOCK_S2_MAP);

	RTE_SET_USED(priv);
	RTE_SET_USED(gpa);
	RTE_SET_USED(hva);
	RTE_SET_USED(len);
	RTE_SET_USED(prot);
	if (rc == 0)
		st.live_s2_maps++;
	return rc;
}

static void
mock_s2_unmap(void *priv, uint64_t gpa, uint64_t len)
{
	RTE_SET_USED(priv);
	RTE_SET_USED(gpa);
	RTE_SET_USED(len);
	(void)mock_call(UIOMMU_MOCK_S2_UNMAP);
	st.live_s2_maps--;
}

static int
mock_vdevice_alloc(void *priv, const char *spec, uint32_t vsid, void *regs,
		   void **dev_priv, struct uiommu_vdevice_out *out)
{
	struct mock_dev *d;
	unsigned long n;
	char *end;
	int rc = mock_call(UIOMMU_MOCK_VDEVICE_ALLOC);

	if (rc != 0)
		return rc;
	if (spec[0] < '0' || spec[0] > '9')
		return -ENOENT;
	n = strtoul(spec, &end, 10);
	if (*end != '\0' || n >= UIOMMU_MOCK_MAX_DEVICES)
		return -ENOENT;
	if (bound[n])
		return -EBUSY;
	d = calloc(1, sizeof(*d));
	if (d == NULL)
		return -ENOMEM;
	d->mv = priv;
	d->n = (uint32_t)n;
	d->vsid = vsid;
	bound[n] = true;
	st.live_vdevices++;
	out->fd = -1;
	out->regs = regs;   /* the mock "uses" its register page */
	*dev_priv = d;
	return 0;
}

static void
mock_vdevice_free(void *dev_priv)
{
	struct mock_dev *d = dev_priv;

	(void)mock_call(UIOMMU_MOCK_VDEVICE_FREE);
	bound[d->n] = false;
	st.live_vdevices--;
	free(d);
}

static int
mock_vdevice_set_ste(void *dev_priv, const struct uiommu_ste_info *ste)
{
	const struct mock_dev *d = dev_priv;
	int rc = mock_call(UIOMMU_MOCK_SET_STE);

	if (st.nr_ste < RTE_DIM(st.ste))
		st.ste[st.nr_ste++] = (struct uiommu_mock_ste_rec){
			.vsid = d->vsid,
			.blocked = ste == NULL || !ste->valid,
			.invalid = ste != NULL && !ste->valid,
			.config = ste != NULL ? ste->config : 0,
		};
	return rc;
}

static int
mock_invalidate(void *priv, const struct uiommu_inv *batch, unsigned int n,
		unsigned int *done)
{
	struct mock_fail *f = &fail[UIOMMU_MOCK_INVALIDATE];
	unsigned int k = n;
	int rc = 0;

	RTE_SET_USED(priv);
	st.calls[UIOMMU_MOCK_INVALIDATE]++;
	if (st.nr_batches < RTE_DIM(st.batch_len))
		st.batch_len[st.nr_batches++] = n;
	if (f->nth != 0 && f->nth - f->seen <= n) {
		k = (unsigned int)(f->nth - f->seen - 1);
		rc = f->err;
		f->nth = 0;
	} else {
		f->seen += n;
	}
	for (unsigned int i = 0; i < k; i++)
		if (st.nr_inv < UIOMMU_MOCK_LOG_MAX)
			st.inv[st.nr_inv++] = batch[i];
	st.inv_total += k;
	*done = k;
	return rc;
}

static int
mock_translate(void *dev_priv, uint64_t iova, uint32_t access,
	       struct uiommu_xlate *out)
{
	const struct mock_dev *d = dev_priv;
	void *p;
	int rc = mock_call(UIOMMU_MOCK_TRANSLATE);

	if (rc != 0)
		return rc;
	p = uiommu_gmem_ptr(d->mv->gmem, iova, 1);
	if (p == NULL) {
		out->fault.id = UIOMMU_EVT_F_TRANSLATION;
		out->fault.sid = d->vsid;
		out->fault.input_addr = iova;
		out->fault.rnw = !(access & UIOMMU_ACCESS_WRITE);
		return -EFAULT;
	}
	out->hva = (uint64_t)(uintptr_t)p;
	out->contig = 4096 - (iova & 4095);
	out->s2 = (struct uiommu_xlate_stage){
		.in = iova, .out = out->hva, .pgsize = 4096,
		.prot = UIOMMU_PROT_READ | UIOMMU_PROT_WRITE, .level = 3,
		.valid = 1,
	};
	return 0;
}

static int
mock_event_read(void *priv, struct uiommu_event *ev, unsigned int n,
		uint64_t *lost)
{
	struct mock_viommu *mv = priv;
	unsigned int got = 0;

	(void)mock_call(UIOMMU_MOCK_EVENT_READ);
	while (got < n && mv->ev_tail != mv->ev_head)
		ev[got++] = mv->ev[mv->ev_tail++ % MOCK_EVQ];
	*lost = 0;
	return (int)got;
}

static unsigned int
mock_poll(void *priv, unsigned int budget)
{
	RTE_SET_USED(priv);
	RTE_SET_USED(budget);
	(void)mock_call(UIOMMU_MOCK_POLL);
	return 0;
}

static const struct uiommu_backend_ops mock_ops = {
	.name = "mock",
	.hw_info = mock_hw_info,
	.viommu_alloc = mock_viommu_alloc,
	.viommu_free = mock_viommu_free,
	.s2_map = mock_s2_map,
	.s2_unmap = mock_s2_unmap,
	.vdevice_alloc = mock_vdevice_alloc,
	.vdevice_free = mock_vdevice_free,
	.vdevice_set_ste = mock_vdevice_set_ste,
	.invalidate = mock_invalidate,
	.translate = mock_translate,
	.event_read = mock_event_read,
	.poll = mock_poll,
};

UIOMMU_BACKEND_REGISTER(mock_ops)

int
uiommu_mock_event_push(struct uiommu_viommu *v, const struct uiommu_event *ev)
{
	struct mock_viommu *mv;

	if (v == NULL || ev == NULL || v->ops != &mock_ops)
		return -EINVAL;
	mv = v->priv;
	if (mv->ev_head - mv->ev_tail >= MOCK_EVQ)
		return -ENOSPC;
	mv->ev[mv->ev_head++ % MOCK_EVQ] = *ev;
	return 0;
}
