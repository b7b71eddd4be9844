/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Dispatch: the fast path from a guest's vCMDQ to the backend.
 *
 * uiommu_vcmdq_process() is what a polling lcore calls for each queue on
 * each pass. It asks the ring consumer (lib/cmdq) how many commands are
 * available (at most the budget), then works in rounds of at most
 * UIOMMU_BATCH_MAX commands: each round copies its commands out of the
 * ring once (the guest may rewrite a slot at any time; only the private
 * copy is decoded) and walks them in order.
 *
 * Per command (everything in it is hostile):
 *  1. decode: an unknown opcode, a reserved bit set or a reserved encoding
 *     is illegal; so is an opcode a guest may not use (stage-2 and EL2
 *     TLBIs, PRI_RESP, RESUME: uiommu_cmd_guest_allowed());
 *  2. translate IDs: TLBIs get the vIOMMU's VMID, whatever the guest wrote
 *     (also rewritten in the raw copy handed to pass-through backends);
 *     TLBI_NSNH_ALL becomes TLBI_NH_ALL of this VMID; a vSID (ATC_INV,
 *     CFGI_*, PREFETCH_CFG) must name a vDEVICE of this vIOMMU — a vSID the
 *     VM does not own is illegal — and gives the backend device;
 *  3. batch: invalidations (TLBI_*, ATC_INV, CFGI_*) are appended to the
 *     queue's batch in order.
 *
 * **Batch rule.** The batch goes to the backend in one invalidate() call
 *  - at each CMD_SYNC (which completes only when the batch is applied),
 *  - before each CFGI_STE / CFGI_ALL (whose configuration change must not
 *    overtake the invalidations queued before it),
 *  - before an illegal command (the commands before it take effect),
 *  - when it holds UIOMMU_BATCH_MAX entries, and at the end of each round;
 *    so a batch never spans two passes and never outlives
 *    uiommu_vcmdq_process().
 *
 * **CFGI_STE / CFGI_ALL** re-read each named device's STE from the guest
 * stream table (through guest memory only), decode it and apply it with
 * vdevice_set_ste(). A guest STE that does not decode, a vSID outside the
 * stream table, or an STE the backend refuses (-EINVAL, -EOPNOTSUPP)
 * blocks the device and raises C_BAD_STE / C_BAD_STREAMID on the vIOMMU's
 * event ring: it is the guest's configuration error, not a queue error.
 * An STE with V = 0, or one that does not decode, reaches the backend as
 * an invalid STE (valid = 0, raw words as read), so that a backend that
 * sees transactions records C_BAD_STE for each, as SMMUv3 does; a device
 * without an STE (no stream table, vSID beyond it) is blocked with a NULL
 * STE, whose transactions abort silently (STE.Config = abort).
 * The CFGI itself then enters the batch so that backends drop cached
 * configuration (CDs, IOTLB entries tagged by the stream).
 *
 * **CMD_SYNC** publishes CONS past itself once everything before it was
 * applied; with CS=IRQ it then writes MSIDATA (32-bit little-endian) to
 * MSIADDR if [MSIADDR, MSIADDR + 3] lies in guest RAM, else drops the
 * write and counts it. CS=SEV and CS=NONE complete by CONS alone.
 *
 * **Errors.** An illegal command, or a backend failure on entry k of a
 * batch (or of set_ste with another errno), stops the queue: CONS
 * is published at exactly that command with CONS.ERR = CERROR_ILL and
 * GERROR toggled (uiommu_vcmdq_cons_error); nothing after it was applied.
 * The guest fixes or replaces the slot and writes GERRORN; the next pass
 * resumes there.
 *
 * **Cost.** No lock, no syscall, no allocation. An idle pass touches one
 * private cache line (the consumer, line 0 of struct uiommu_vcmdq) and the
 * queue's register line in the control page. A busy pass adds line 1 of
 * the queue (dispatch context and counters), the vIOMMU's dispatch line
 * (ops, priv, VMID, stream table, vSID count) and, for vSID commands, one
 * line of the vSID table per 16 devices; then the ring slots read, their
 * private copies and the batch entries, in proportion to the commands.
 *
 * Memory ordering: D1 the MSI write is a release store after CONS was
 * published (C2 in lib/cmdq); it pairs with the guest's acquire load of
 * the MSI word, which then also sees CONS and the effects of the commands
 * before the CMD_SYNC.
 */
#include <string.h>

#include <rte_byteorder.h>

#include "core_private.h"
#include "uiommu_cmd.h"
#include "uiommu_smmu.h"

/* VMID field of TLBI_NH_* commands: dword0 [47:32]. */
#define CMD0_VMID_SHIFT 32
#define CMD0_VMID_MASK  (0xffffULL << CMD0_VMID_SHIFT)

/* No command stops the round. */
#define NO_STOP UINT32_MAX

static inline struct uiommu_vdevice *
vdev_lookup(const struct uiommu_viommu *v, uint32_t vsid)
{
	const uint32_t n = v->nr_vdev;

	for (uint32_t i = 0; i < n; i++)
		if (v->vdev_vsid[i] == vsid)
			return v->vdev[i];
	return NULL;
}

/* Fill a batch entry with what every opcode shares. */
static inline void
inv_init(struct uiommu_inv *e, const struct uiommu_cmd *c,
	 const struct uiommu_cmd_info *ci, uint16_t vmid)
{
	e->op = ci->op;
	e->leaf = ci->leaf;
	e->ttl = ci->ttl;
	e->tg = ci->tg;
	e->asid = ci->asid;
	e->vmid = vmid;
	e->vsid = 0;
	e->ssid = 0;
	e->first = 0;
	e->last = 0;
	e->dev = NULL;
	e->raw[0] = c->dw[0];
	e->raw[1] = c->dw[1];
}

/* Overwrite the guest's VMID field in the raw copy with the vIOMMU's. */
static inline void
inv_force_raw_vmid(struct uiommu_inv *e, uint16_t vmid)
{
	uint64_t w = rte_le_to_cpu_64(e->raw[0]);

	w = (w & ~CMD0_VMID_MASK) | ((uint64_t)vmid << CMD0_VMID_SHIFT);
	e->raw[0] = rte_cpu_to_le_64(w);
}

/*
 * Hand the batch to the backend in one call.
 * @return NO_STOP when every entry was applied, else the cmds[] index of
 *         the command whose entry failed.
 */
static uint32_t
batch_flush(struct uiommu_vcmdq *q, const struct uiommu_viommu *v,
	    uint32_t *nb)
{
	const uint32_t n = *nb;
	unsigned int done = 0;
	int rc;

	if (n == 0)
		return NO_STOP;
	*nb = 0;
	CORE_STAT_ADD(q->ctr.batches, 1);
	CORE_STAT_ADD(q->ctr.backend_calls, 1);
	if (unlikely(v->ops->invalidate == NULL))
		return q->inv_cmd[0];
	rc = v->ops->invalidate(v->priv, q->batch, n, &done);
	if (likely(rc == 0))
		return NO_STOP;
	if (done >= n)
		done = n - 1;   /* a backend that fails must name an entry */
	return q->inv_cmd[done];
}

/*
 * Block a device whose configuration the guest got wrong; raise an event.
 * @p bad is the guest's STE as read, decoded as invalid (valid = 0), when
 * the STE itself is wrong: the backend then reports C_BAD_STE for each of
 * the device's transactions. NULL when there is no STE to speak of (no
 * stream table, vSID beyond it): the backend blocks silently.
 */
static void
ste_block(struct uiommu_vcmdq *q, struct uiommu_viommu *v,
	  struct uiommu_vdevice *d, uint8_t event,
	  const struct uiommu_ste_info *bad)
{
	if (v->ops->vdevice_set_ste != NULL) {
		CORE_STAT_ADD(q->ctr.backend_calls, 1);
		(void)v->ops->vdevice_set_ste(d->priv, bad);
	}
	__atomic_store_n(&d->blocked, true, __ATOMIC_RELAXED);
	__atomic_store_n(&d->ste_config, UIOMMU_STE_CFG_ABORT, __ATOMIC_RELAXED);
	CORE_STAT_ADD(d->ste_bad, 1);
	core_evq_push(v, event, d->vsid);
}

/*
 * Re-read a device's STE from the guest stream table and apply it.
 * @return 0 when applied or when the device was blocked for a guest error;
 *         the backend's negative errno for a failure that stops the queue.
 */
static int
ste_apply(struct uiommu_vcmdq *q, struct uiommu_viommu *v,
	  struct uiommu_vdevice *d)
{
	struct uiommu_ste_info info;
	const uint64_t *p;
	uint64_t raw[8];
	int rc;

	if (!v->strtab_set || ((uint64_t)d->vsid >> v->strtab_log2) != 0) {
		ste_block(q, v, d, UIOMMU_EVT_C_BAD_STREAMID, NULL);
		return 0;
	}
	p = uiommu_gmem_ptr(v->gmem, v->strtab_gpa +
			    (uint64_t)d->vsid * UIOMMU_STE_SIZE, UIOMMU_STE_SIZE);
	if (unlikely(p == NULL)) {
		/* Not possible while the table is registered; be safe. */
		ste_block(q, v, d, UIOMMU_EVT_C_BAD_STE, NULL);
		return 0;
	}
	/* One load per word: the copy is what gets decoded. */
	for (unsigned int i = 0; i < 8; i++)
		raw[i] = __atomic_load_n(&p[i], __ATOMIC_RELAXED);
	if (uiommu_ste_decode(raw, &info) != 0) {
		/* An illegal STE is an invalid one: the raw words, valid = 0. */
		memset(&info, 0, sizeof(info));
		memcpy(info.raw, raw, sizeof(info.raw));
		ste_block(q, v, d, UIOMMU_EVT_C_BAD_STE, &info);
		return 0;
	}
	if (v->ops->vdevice_set_ste == NULL) {
		ste_block(q, v, d, UIOMMU_EVT_C_BAD_STE, NULL);
		return 0;
	}
	CORE_STAT_ADD(q->ctr.backend_calls, 1);
	/* V = 0 reaches the backend as such (C_BAD_STE per transaction). */
	rc = v->ops->vdevice_set_ste(d->priv, &info);
	if (rc == -EINVAL || rc == -EOPNOTSUPP) {
		/* The backend cannot honour this configuration: blocked. */
		CORE_STAT_ADD(d->ste_bad, 1);
		__atomic_store_n(&d->blocked, true, __ATOMIC_RELAXED);
		__atomic_store_n(&d->ste_config, UIOMMU_STE_CFG_ABORT,
				 __ATOMIC_RELAXED);
		core_evq_push(v, UIOMMU_EVT_C_BAD_STE, d->vsid);
		return 0;
	}
	if (rc != 0) {
		/* The backend blocked the device (SDK contract); the queue stops. */
		__atomic_store_n(&d->blocked, true, __ATOMIC_RELAXED);
		return rc;
	}
	__atomic_store_n(&d->blocked,
			 !info.valid || info.config == UIOMMU_STE_CFG_ABORT,
			 __ATOMIC_RELAXED);
	__atomic_store_n(&d->ste_config, info.valid ? info.config :
			 UIOMMU_STE_CFG_ABORT, __ATOMIC_RELAXED);
	CORE_STAT_ADD(d->ste_updates, 1);
	return 0;
}

/* CMD_SYNC with CS=IRQ: the MSI-style completion write. */
static void
sync_msi_write(struct uiommu_vcmdq *q, const struct uiommu_viommu *v,
	       const struct uiommu_cmd_info *ci)
{
	uint32_t *p = uiommu_gmem_ptr(v->gmem, ci->msiaddr, sizeof(*p));

	if (p == NULL) {
		CORE_STAT_ADD(q->ctr.msi_dropped, 1);
		return;
	}
	/*
	 * D1: release store; pairs with the guest's acquire load of the MSI
	 * word: CONS (published before, C2) and every effect of the commands
	 * before the CMD_SYNC are visible once MSIDATA is.
	 */
	__atomic_store_n(p, rte_cpu_to_le_32(ci->msidata), __ATOMIC_RELEASE);
	CORE_STAT_ADD(q->ctr.msi_writes, 1);
}

/*
 * Dispatch the n commands copied into q->cmds (the commands at CONS).
 * @return commands consumed; *stop set when the queue stopped on an error.
 */
static uint32_t
dispatch_round(struct uiommu_vcmdq *q, struct uiommu_viommu *v, uint32_t n,
	       bool *stop)
{
	uint32_t done = 0, nb = 0, bad = NO_STOP, i;

	for (i = 0; i < n; i++) {
		const struct uiommu_cmd *c = &q->cmds[i];
		struct uiommu_cmd_info ci;
		struct uiommu_vdevice *d;
		struct uiommu_inv *e;
		uint32_t sfirst, slast;

		if (unlikely(uiommu_cmd_decode(c, &ci) != 0 ||
			     !uiommu_cmd_guest_allowed(ci.op)))
			goto illegal;
		switch (ci.op) {
		case UIOMMU_CMD_TLBI_NH_VA:
		case UIOMMU_CMD_TLBI_NH_VAA:
			e = &q->batch[nb];
			inv_init(e, c, &ci, v->vmid);
			inv_force_raw_vmid(e, v->vmid);
			(void)uiommu_cmd_tlbi_span(&ci, &e->first, &e->last);
			break;
		case UIOMMU_CMD_TLBI_NH_ASID:
		case UIOMMU_CMD_TLBI_NH_ALL:
			e = &q->batch[nb];
			inv_init(e, c, &ci, v->vmid);
			inv_force_raw_vmid(e, v->vmid);
			break;
		case UIOMMU_CMD_TLBI_NSNH_ALL:
			/* "Everything" of a guest is everything of its VMID. */
			e = &q->batch[nb];
			inv_init(e, c, &ci, v->vmid);
			e->op = UIOMMU_CMD_TLBI_NH_ALL;
			/* The raw copy too: a pass-through must not see NSNH. */
			e->raw[0] = rte_cpu_to_le_64(UIOMMU_CMD_TLBI_NH_ALL);
			e->raw[1] = 0;
			inv_force_raw_vmid(e, v->vmid);
			break;
		case UIOMMU_CMD_ATC_INV:
			d = vdev_lookup(v, ci.sid);
			if (unlikely(d == NULL))
				goto illegal;
			e = &q->batch[nb];
			inv_init(e, c, &ci, v->vmid);
			e->vsid = ci.sid;
			e->ssid = ci.ssid;
			e->dev = d->priv;
			(void)uiommu_cmd_atc_span(&ci, &e->first, &e->last);
			break;
		case UIOMMU_CMD_CFGI_CD:
		case UIOMMU_CMD_CFGI_CD_ALL:
			d = vdev_lookup(v, ci.sid);
			if (unlikely(d == NULL))
				goto illegal;
			e = &q->batch[nb];
			inv_init(e, c, &ci, v->vmid);
			e->vsid = ci.sid;
			e->ssid = ci.ssid;
			e->dev = d->priv;
			break;
		case UIOMMU_CMD_PREFETCH_CFG:
			if (unlikely(vdev_lookup(v, ci.sid) == NULL))
				goto illegal;
			continue;       /* accepted, no effect */
		case UIOMMU_CMD_CFGI_STE:
			d = vdev_lookup(v, ci.sid);
			if (unlikely(d == NULL))
				goto illegal;
			bad = batch_flush(q, v, &nb);
			if (bad != NO_STOP)
				goto out_stop;
			if (ste_apply(q, v, d) != 0) {
				bad = i;
				goto out_stop;
			}
			e = &q->batch[nb];
			inv_init(e, c, &ci, v->vmid);
			e->vsid = ci.sid;
			e->dev = d->priv;
			break;
		case UIOMMU_CMD_CFGI_ALL:
			bad = batch_flush(q, v, &nb);
			if (bad != NO_STOP)
				goto out_stop;
			(void)uiommu_cmd_cfgi_sid_span(&ci, &sfirst, &slast);
			/* Bounded by UIOMMU_MAX_VDEVICES, not by the range. */
			for (uint32_t j = 0; j < v->nr_vdev; j++) {
				if (v->vdev_vsid[j] < sfirst ||
				    v->vdev_vsid[j] > slast)
					continue;
				if (ste_apply(q, v, v->vdev[j]) != 0) {
					bad = i;
					goto out_stop;
				}
			}
			e = &q->batch[nb];
			inv_init(e, c, &ci, v->vmid);
			e->vsid = sfirst;
			e->first = sfirst;
			e->last = slast;
			break;
		case UIOMMU_CMD_SYNC:
			bad = batch_flush(q, v, &nb);
			if (bad != NO_STOP)
				goto out_stop;
			uiommu_vcmdq_cons_advance(&q->cons, i + 1 - done);
			done = i + 1;
			CORE_STAT_ADD(q->ctr.syncs, 1);
			if (ci.cs == UIOMMU_CMD_SYNC_CS_IRQ)
				sync_msi_write(q, v, &ci);
			continue;
		default:
			goto illegal;
		}
		q->inv_cmd[nb++] = (uint16_t)i;
		if (unlikely(nb == UIOMMU_BATCH_MAX)) {
			bad = batch_flush(q, v, &nb);
			if (bad != NO_STOP)
				goto out_stop;
		}
		continue;
illegal:
		/* What came before the illegal command takes effect. */
		bad = batch_flush(q, v, &nb);
		if (bad == NO_STOP)
			bad = i;
		goto out_stop;
	}
	bad = batch_flush(q, v, &nb);
	if (likely(bad == NO_STOP)) {
		uiommu_vcmdq_cons_advance(&q->cons, n - done);
		return n;
	}
out_stop:
	uiommu_vcmdq_cons_advance(&q->cons, bad - done);
	(void)uiommu_vcmdq_cons_error(&q->cons, UIOMMU_CERROR_ILL);
	*stop = true;
	return bad;
}

unsigned int
uiommu_vcmdq_process(struct uiommu_vcmdq *q, unsigned int budget)
{
	struct uiommu_viommu *v;
	uint32_t avail, total = 0;
	bool stop = false;

	avail = uiommu_vcmdq_cons_poll(&q->cons, budget);
	if (likely(avail == 0))
		return 0;
	v = q->viommu;
	while (avail > 0 && !stop) {
		uint32_t n = uiommu_vcmdq_cons_peek(&q->cons, q->cmds,
						    RTE_MIN(avail, (uint32_t)UIOMMU_BATCH_MAX));

		if (unlikely(n == 0))
			break;
		total += dispatch_round(q, v, n, &stop);
		avail -= n;
	}
	return total;
}
