/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The guest's vCMDQ driver: queue commands, complete them with CMD_SYNC,
 * measure the invalidation latency.
 *
 * Design. Commands are written into the ring as they come (gq_cmd), not
 * published; gq_sync() appends a CMD_SYNC, publishes PROD once (release:
 * the ring entries first, label P1 of uiommu_vcmdq.h) and waits for the
 * completion of the CMD_SYNC:
 *  - G_SYNC_CONS: CMD_SYNC with CS = NONE; wait until CONS (acquire, P2)
 *    passes it;
 *  - G_SYNC_MSI: CMD_SYNC with CS = IRQ, MSIDATA = 0 and MSIADDR = the
 *    GPA of the CMD_SYNC's own slot, then spin until the first word of the
 *    slot reads 0 (acquire, pairs with the manager's release store D1):
 *    Linux's ARM_SMMU_OPT_MSIPOLL.
 * The time from just before the PROD store to seeing the completion is one
 * latency sample (clock_gettime, every sync). If the ring fills up before
 * the caller syncs, gq_cmd() syncs first, as a driver does when its queue
 * is full.
 *
 * Waits spin on the register (the manager busy-polls on another core),
 * then back off (g_wait_step: yield, then short sleeps), because simulator
 * threads may share a core with the manager's lcores. A wait longer than the timeout,
 * or a command error (GERROR toggled), is a failure of the run: the
 * simulator never writes an illegal command.
 */
#include <errno.h>
#include <sched.h>
#include <string.h>

#include <rte_byteorder.h>

#include "guest.h"

#define SPIN_BEFORE_YIELD 4096

int
gq_init(struct gq *q, struct gworker *w, struct uiommu_cmd *ring,
	uint64_t ring_gpa, uint32_t log2, enum gsync sync, uint64_t timeout_ns)
{
	uint64_t deadline = g_now_ns() + timeout_ns;
	unsigned int backoff = 0;
	int rc;

	q->w = w;
	q->ring = ring;
	q->ring_gpa = ring_gpa;
	q->log2 = log2;
	q->sync = sync;
	q->timeout_ns = timeout_ns;
	q->pending = 0;
	rc = uiommu_vcmdq_prod_init(&q->p, ring, log2, q->cq.regs);
	if (rc != 0)
		return rc;
	rc = uiommu_vcmdq_prod_enable(&q->p, 0);
	if (rc != 0)
		return rc;
	while (!uiommu_vcmdq_prod_enabled(&q->p)) {
		if (g_now_ns() > deadline)
			return -ETIMEDOUT;
		g_wait_step(&backoff);
	}
	return 0;
}

static void
queue_error(struct gq *q, int rc)
{
	uint32_t err = 0, cons = 0;

	if (rc == -ECANCELED)
		return; /* another thread failed first and said why */
	if (rc == -EIO && uiommu_vcmdq_prod_error_pending(&q->p, &err, &cons)) {
		gvm_fail(q->w->vm, 2, "vCMDQ %u stopped: CONS.ERR %u at index "
			 "0x%x (the simulator wrote no illegal command)",
			 q->index, err, cons);
	} else if (rc == -ETIMEDOUT) {
		gvm_fail(q->w->vm, 2, "vCMDQ %u: CMD_SYNC not completed within "
			 "%llu ms (is the manager polling?)", q->index,
			 (unsigned long long)(q->timeout_ns / 1000000));
	} else {
		gvm_fail(q->w->vm, 2, "vCMDQ %u: %s", q->index, strerror(-rc));
	}
}

/* Wait for CONS to reach target (CS = NONE). */
static int
wait_cons(struct gq *q, uint32_t target, uint64_t deadline)
{
	unsigned int backoff = 0;

	for (;;) {
		uint32_t err;
		int rc = uiommu_vcmdq_prod_wait(&q->p, target,
						SPIN_BEFORE_YIELD, &err);

		if (rc != -ETIMEDOUT)
			return rc;
		if (q->w->vm->stop)
			return -ECANCELED;
		if (g_now_ns() > deadline)
			return -ETIMEDOUT;
		g_wait_step(&backoff);
	}
}

/* Wait for the MSI write to the CMD_SYNC slot (CS = IRQ). */
static int
wait_msi(struct gq *q, const uint32_t *word, uint64_t deadline)
{
	unsigned int spins = 0, backoff = 0;

	/* Acquire: pairs with the manager's release store of MSIDATA (D1). */
	while (__atomic_load_n(word, __ATOMIC_ACQUIRE) != 0) {
		if (++spins < SPIN_BEFORE_YIELD)
			continue;
		spins = 0;
		if (uiommu_vcmdq_prod_error_pending(&q->p, NULL, NULL))
			return -EIO;
		if (q->w->vm->stop)
			return -ECANCELED;
		if (g_now_ns() > deadline)
			return -ETIMEDOUT;
		g_wait_step(&backoff);
	}
	return 0;
}

int
gq_sync(struct gq *q)
{
	struct uiommu_cmd_info ci;
	struct uiommu_cmd c;
	uint32_t slot, target;
	uint64_t t0, t1;
	int rc;

	memset(&ci, 0, sizeof(ci));
	ci.op = UIOMMU_CMD_SYNC;
	slot = uiommu_vcmdq_prod_index(&q->p) & ((1u << q->log2) - 1);
	if (q->sync == G_SYNC_MSI) {
		ci.cs = UIOMMU_CMD_SYNC_CS_IRQ;
		ci.msidata = 0;
		ci.msiaddr = q->ring_gpa + (uint64_t)slot * UIOMMU_CMD_SIZE;
	}
	rc = uiommu_cmd_encode(&ci, &c);
	if (rc != 0) {
		gvm_fail(q->w->vm, 2, "cannot encode CMD_SYNC: %d", rc);
		return rc;
	}
	/* gq_cmd() always leaves room for this CMD_SYNC. */
	if (uiommu_vcmdq_prod_space(&q->p) < 1 ||
	    uiommu_vcmdq_prod_write(&q->p, &c, 1) != 1) {
		gvm_fail(q->w->vm, 2, "vCMDQ %u: no room for CMD_SYNC", q->index);
		return -ENOSPC;
	}
	target = uiommu_vcmdq_prod_index(&q->p);
	t0 = g_now_ns();
	uiommu_vcmdq_prod_publish(&q->p);
	if (q->sync == G_SYNC_MSI)
		rc = wait_msi(q, (const uint32_t *)&q->ring[slot],
			      t0 + q->timeout_ns);
	else
		rc = wait_cons(q, target, t0 + q->timeout_ns);
	t1 = g_now_ns();
	if (rc != 0) {
		queue_error(q, rc);
		return rc;
	}
	ghist_add(&q->w->inv_lat, t1 - t0);
	q->w->st.syncs++;
	q->w->st.commands += q->pending + 1;
	q->pending = 0;
	/* Every command before the CMD_SYNC has taken effect: table pages
	 * unmapped before it can be reused. */
	gs1_release_deferred(q->w);
	return 0;
}

int
gq_cmd(struct gq *q, const struct uiommu_cmd_info *ci)
{
	struct uiommu_cmd c;
	int rc = uiommu_cmd_encode(ci, &c);

	if (rc != 0) {
		gvm_fail(q->w->vm, 2, "cannot encode %s: %d",
			 uiommu_cmd_name(ci->op), rc);
		return rc;
	}
	/* Keep one slot for the CMD_SYNC that will follow. */
	if (uiommu_vcmdq_prod_space(&q->p) < 2) {
		rc = gq_sync(q);
		if (rc != 0)
			return rc;
	}
	if (uiommu_vcmdq_prod_write(&q->p, &c, 1) != 1) {
		gvm_fail(q->w->vm, 2, "vCMDQ %u: ring full after a sync",
			 q->index);
		return -ENOSPC;
	}
	q->pending++;
	if (ci->op >= UIOMMU_CMD_TLBI_NH_ALL && ci->op <= UIOMMU_CMD_TLBI_NSNH_ALL)
		q->w->st.tlbi++;
	else if (ci->op >= UIOMMU_CMD_CFGI_STE && ci->op <= UIOMMU_CMD_CFGI_CD_ALL)
		q->w->st.cfgi++;
	return 0;
}

void
gcmd_tlbi_va(struct uiommu_cmd_info *ci, uint16_t asid, uint64_t va, bool leaf)
{
	memset(ci, 0, sizeof(*ci));
	ci->op = UIOMMU_CMD_TLBI_NH_VA;
	ci->asid = asid;
	ci->addr = va & ~(G_PAGE - 1);
	ci->leaf = leaf;
}

void
gcmd_tlbi_range(struct uiommu_cmd_info *ci, uint8_t op, uint16_t asid,
		uint64_t first, uint64_t last)
{
	uint64_t start = first & ~(G_PAGE - 1);
	uint64_t pages = (last - start) / G_PAGE + 1;
	unsigned int scale = 0;
	uint64_t num;

	/* Smallest SCALE such that (NUM + 1) << SCALE pages cover the span
	 * with NUM <= 31; the command may cover more (always safe). */
	while (scale < UIOMMU_CMD_TLBI_SCALE_MAX &&
	       ((pages + (1ULL << scale) - 1) >> scale) >
	       UIOMMU_CMD_TLBI_NUM_MAX + 1)
		scale++;
	num = ((pages + (1ULL << scale) - 1) >> scale) - 1;
	if (num > UIOMMU_CMD_TLBI_NUM_MAX)
		num = UIOMMU_CMD_TLBI_NUM_MAX;
	memset(ci, 0, sizeof(*ci));
	ci->op = op;
	if (op == UIOMMU_CMD_TLBI_NH_VA)
		ci->asid = asid;
	ci->addr = start;
	ci->tg = UIOMMU_CMD_TG_4K;
	ci->num = (uint8_t)num;
	ci->scale = (uint8_t)scale;
	ci->leaf = true;
}

void
gcmd_tlbi_asid(struct uiommu_cmd_info *ci, uint16_t asid)
{
	memset(ci, 0, sizeof(*ci));
	ci->op = UIOMMU_CMD_TLBI_NH_ASID;
	ci->asid = asid;
}

void
gcmd_cfgi_ste(struct uiommu_cmd_info *ci, uint32_t vsid)
{
	memset(ci, 0, sizeof(*ci));
	ci->op = UIOMMU_CMD_CFGI_STE;
	ci->sid = vsid;
	ci->leaf = true;
}

void
gcmd_cfgi_cd(struct uiommu_cmd_info *ci, uint32_t vsid, uint32_t ssid)
{
	memset(ci, 0, sizeof(*ci));
	ci->op = UIOMMU_CMD_CFGI_CD;
	ci->sid = vsid;
	ci->ssid = ssid;
	ci->leaf = true;
}
