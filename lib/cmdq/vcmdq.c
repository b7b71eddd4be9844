/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * vCMDQ: the shared command ring between a guest (producer) and the
 * manager (consumer), in the CMDQV logical-VCMDQ register layout.
 *
 * Consumer. The manager keeps private copies of everything it owns (CONS,
 * GERROR, enabled, stopped) and never reads them back from shared memory,
 * so a guest scribbling over CONS or GERROR only confuses itself. What it
 * must read from the guest (PROD, CONFIG, GERRORN, ring entries) is bounded
 * before use: PROD is masked to index+wrap and a PROD behind CONS counts as
 * "nothing available", so a poll never reports more than the ring size;
 * every slot index is masked into the ring; every 16-byte entry is loaded
 * exactly once into the caller's private buffer, which is what gets
 * decoded. A poll of an idle enabled queue costs one relaxed load of CONFIG
 * and one acquire load of PROD, both in the queue's register block.
 *
 * State machine (per queue, consumer side):
 *   disabled --CONFIG.EN=1--> enabled (adopt CONS from the register, which
 *   the guest may set while disabled; STATUS.ENABLE_OK=1)
 *   enabled --CONFIG.EN=0--> disabled (STATUS.ENABLE_OK=0)
 *   enabled --error()--> stopped (CONS.ERR set, GERROR toggled)
 *   stopped --GERRORN==GERROR--> enabled (CONS.ERR cleared, resume at CONS)
 * "stopped" is independent of "enabled": disabling does not acknowledge an
 * error, only GERRORN does, as with SMMUv3 GERROR.
 *
 * Producer. The guest side keeps a private PROD and a cached CONS; it
 * reloads CONS only when the cached value says the ring is too full.
 *
 * Memory ordering: labels C1..C6 (manager) and P1..P6 (guest) are listed in
 * uiommu_vcmdq.h; each barrier below names its partner.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <rte_branch_prediction.h>
#include <rte_common.h>
#include <rte_pause.h>

#include "uiommu_config.h"
#include "uiommu_vcmdq.h"

_Static_assert(offsetof(struct uiommu_vcmdq_regs, cons) ==
	       UIOMMU_VCMDQ_REG_CONS, "CONS offset");
_Static_assert(offsetof(struct uiommu_vcmdq_regs, prod) ==
	       UIOMMU_VCMDQ_REG_PROD, "PROD offset");
_Static_assert(offsetof(struct uiommu_vcmdq_regs, config) ==
	       UIOMMU_VCMDQ_REG_CONFIG, "CONFIG offset");
_Static_assert(offsetof(struct uiommu_vcmdq_regs, status) ==
	       UIOMMU_VCMDQ_REG_STATUS, "STATUS offset");
_Static_assert(offsetof(struct uiommu_vcmdq_regs, gerror) ==
	       UIOMMU_VCMDQ_REG_GERROR, "GERROR offset");
_Static_assert(offsetof(struct uiommu_vcmdq_regs, gerrorn) ==
	       UIOMMU_VCMDQ_REG_GERRORN, "GERRORN offset");
_Static_assert(sizeof(struct uiommu_vcmdq_regs) == UIOMMU_VCMDQ_REGS_STRIDE,
	       "register block stride");
_Static_assert(offsetof(struct uiommu_vcmdq_page, q[1]) ==
	       UIOMMU_VCMDQ_REGS_STRIDE, "queue 1 at 0x80");
_Static_assert(sizeof(struct uiommu_vcmdq_page) == UIOMMU_VCMDQ_PAGE_SIZE,
	       "control page size");
_Static_assert(UIOMMU_VCMDQ_PAGE_SIZE <= 16384,
	       "the control page is at most 16 KiB");
_Static_assert(UIOMMU_VCMDQS_PER_4K == 32, "32 queues per 4 KiB page");
_Static_assert(UIOMMU_VCMDQ_MAX_LOG2 < UIOMMU_VCMDQ_CONS_ERR_SHIFT,
	       "wrap bit must stay below CONS.ERR");
_Static_assert(UIOMMU_VCMDQ_MIN_LOG2 >= 1 &&
	       UIOMMU_VCMDQ_MIN_LOG2 <= UIOMMU_VCMDQ_MAX_LOG2,
	       "vCMDQ size limits");
_Static_assert(sizeof(struct uiommu_cmd) == UIOMMU_CMD_SIZE, "command size");
/* An idle poll touches the consumer state and the register line only. */
_Static_assert(sizeof(struct uiommu_vcmdq_cons) <= 64,
	       "consumer state fits one cache line");

static bool
log2size_ok(uint32_t log2size)
{
	return log2size >= UIOMMU_VCMDQ_MIN_LOG2 &&
	       log2size <= UIOMMU_VCMDQ_MAX_LOG2;
}

/* ---- consumer (manager) ---------------------------------------------- */

int
uiommu_vcmdq_cons_init(struct uiommu_vcmdq_cons *q,
		       const struct uiommu_cmd *ring, uint32_t log2size,
		       struct uiommu_vcmdq_regs *regs)
{
	if (q == NULL || ring == NULL || regs == NULL || !log2size_ok(log2size))
		return -EINVAL;
	memset(q, 0, sizeof(*q));
	q->ring = ring;
	q->regs = regs;
	q->log2size = log2size;
	q->mask = uiommu_vcmdq_ptr_mask(log2size);

	/* Reset to "disabled, no error"; the guest is not running the queue. */
	for (size_t i = 0; i < RTE_DIM(regs->rsvd); i++)
		__atomic_store_n(&regs->rsvd[i], 0, __ATOMIC_RELAXED);
	__atomic_store_n(&regs->prod, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&regs->config, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&regs->gerrorn, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&regs->gerror, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&regs->cons, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&regs->status, 0, __ATOMIC_RELAXED);
	return 0;
}

/*
 * CONFIG.EN differs from our state: acknowledge the change. Rare path.
 */
static void __rte_noinline
cons_config_change(struct uiommu_vcmdq_cons *q, uint32_t config)
{
	struct uiommu_vcmdq_regs *r = q->regs;

	q->avail = 0;
	if (config & UIOMMU_VCMDQ_CONFIG_EN) {
		/*
		 * C5: acquire fence after the relaxed load of CONFIG; pairs
		 * with P5, the guest's release store of CONFIG, so CONS/PROD
		 * values the guest set while disabled are visible now.
		 */
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		q->cons = __atomic_load_n(&r->cons, __ATOMIC_RELAXED) & q->mask;
		q->enabled = true;
		/* C6: release; pairs with P6, the guest's acquire of STATUS. */
		__atomic_store_n(&r->status, UIOMMU_VCMDQ_STATUS_ENABLE_OK,
				 __ATOMIC_RELEASE);
	} else {
		q->enabled = false;
		/*
		 * C6: release; pairs with P6, the guest's acquire load of
		 * STATUS: our last CONS store is visible before ENABLE_OK
		 * reads 0, so the guest may then rewrite CONS and PROD.
		 */
		__atomic_store_n(&r->status, 0, __ATOMIC_RELEASE);
	}
}

/*
 * Stopped on an error: resume if the guest acknowledged. Rare path.
 * @return true if the queue runs again.
 */
static bool __rte_noinline
cons_try_resume(struct uiommu_vcmdq_cons *q)
{
	struct uiommu_vcmdq_regs *r = q->regs;
	uint32_t gerrorn;

	/*
	 * C4: acquire; pairs with P4, the guest's release store of GERRORN,
	 * so its fix-up of the bad slot is visible before we re-read it.
	 */
	gerrorn = __atomic_load_n(&r->gerrorn, __ATOMIC_ACQUIRE);
	if ((gerrorn ^ q->gerror) & UIOMMU_VCMDQ_GERROR_CMDQ_ERR)
		return false;
	q->stopped = false;
	/* C2: release store of CONS (ERR cleared); pairs with P2. */
	__atomic_store_n(&r->cons, q->cons, __ATOMIC_RELEASE);
	return true;
}

uint32_t
uiommu_vcmdq_cons_poll(struct uiommu_vcmdq_cons *q, uint32_t budget)
{
	struct uiommu_vcmdq_regs *r = q->regs;
	uint32_t config, prod, used;

	config = __atomic_load_n(&r->config, __ATOMIC_RELAXED);
	if (unlikely(((config & UIOMMU_VCMDQ_CONFIG_EN) != 0) != q->enabled))
		cons_config_change(q, config);
	if (unlikely(!q->enabled))
		return 0;
	if (unlikely(q->stopped) && !cons_try_resume(q))
		return 0;

	/*
	 * C1: acquire load of PROD; pairs with P1, the guest's release store
	 * of PROD, so the ring entries before PROD are visible to peek().
	 */
	prod = __atomic_load_n(&r->prod, __ATOMIC_ACQUIRE);
	used = uiommu_vcmdq_ptr_used(prod, q->cons, q->log2size);
	if (unlikely(used > (1u << q->log2size))) {
		/* PROD behind CONS (or beyond full): nothing to consume. */
		q->n_bad_prod++;
		used = 0;
	}
	q->avail = RTE_MIN(used, budget);
	return q->avail;
}

uint32_t
uiommu_vcmdq_cons_peek(struct uiommu_vcmdq_cons *q, struct uiommu_cmd *dst,
		       uint32_t n)
{
	const uint32_t imask = (1u << q->log2size) - 1;
	const struct uiommu_cmd *ring = q->ring;
	uint32_t slot = q->cons & imask;

	n = RTE_MIN(n, q->avail);
	for (uint32_t i = 0; i < n; i++) {
		const struct uiommu_cmd *s = &ring[(slot + i) & imask];

		/* One load per word: the guest may rewrite the slot. */
		dst[i].dw[0] = __atomic_load_n(&s->dw[0], __ATOMIC_RELAXED);
		dst[i].dw[1] = __atomic_load_n(&s->dw[1], __ATOMIC_RELAXED);
	}
	return n;
}

uint32_t
uiommu_vcmdq_cons_advance(struct uiommu_vcmdq_cons *q, uint32_t n)
{
	n = RTE_MIN(n, q->avail);
	if (n == 0)
		return 0;
	q->cons = (q->cons + n) & q->mask;
	q->avail -= n;
	q->n_consumed += n;
	/*
	 * C2: release store of CONS; pairs with P2, the guest's acquire load
	 * of CONS: our reads of the slots, and whatever the caller did for
	 * the commands, happen before the guest sees the slots free.
	 */
	__atomic_store_n(&q->regs->cons, q->cons, __ATOMIC_RELEASE);
	return n;
}

int
uiommu_vcmdq_cons_error(struct uiommu_vcmdq_cons *q, uint32_t err)
{
	struct uiommu_vcmdq_regs *r = q->regs;

	if (err == 0 || err > (UIOMMU_VCMDQ_CONS_ERR_MASK >>
			       UIOMMU_VCMDQ_CONS_ERR_SHIFT))
		return -EINVAL;
	if (q->stopped)
		return 0;
	q->stopped = true;
	q->avail = 0;
	q->n_errors++;
	q->gerror ^= UIOMMU_VCMDQ_GERROR_CMDQ_ERR;
	/* C2: release store of CONS at the bad command, with ERR; pairs with P2. */
	__atomic_store_n(&r->cons,
			 q->cons | (err << UIOMMU_VCMDQ_CONS_ERR_SHIFT),
			 __ATOMIC_RELEASE);
	/*
	 * C3: release store of GERROR; pairs with P3, the guest's acquire load
	 * of GERROR: CONS and CONS.ERR above are visible once the toggle is.
	 */
	__atomic_store_n(&r->gerror, q->gerror, __ATOMIC_RELEASE);
	return 0;
}

/* ---- producer (guest) ------------------------------------------------ */

int
uiommu_vcmdq_prod_init(struct uiommu_vcmdq_prod *p, struct uiommu_cmd *ring,
		       uint32_t log2size, struct uiommu_vcmdq_regs *regs)
{
	if (p == NULL || ring == NULL || regs == NULL || !log2size_ok(log2size))
		return -EINVAL;
	memset(p, 0, sizeof(*p));
	p->ring = ring;
	p->regs = regs;
	p->log2size = log2size;
	p->mask = uiommu_vcmdq_ptr_mask(log2size);
	p->prod = __atomic_load_n(&regs->prod, __ATOMIC_RELAXED) & p->mask;
	p->cons = __atomic_load_n(&regs->cons, __ATOMIC_RELAXED) & p->mask;
	return 0;
}

/* Free entries according to p->cons; 0 if the pair is inconsistent. */
static uint32_t
prod_free(const struct uiommu_vcmdq_prod *p)
{
	uint32_t used = uiommu_vcmdq_ptr_used(p->prod, p->cons, p->log2size);
	uint32_t size = 1u << p->log2size;

	return used > size ? 0 : size - used;
}

/* Reload CONS (without ERR). */
static void
prod_load_cons(struct uiommu_vcmdq_prod *p)
{
	/*
	 * P2: acquire load of CONS; pairs with C2, the manager's release
	 * store of CONS: it has finished with the slots before CONS, and the
	 * commands before CONS have taken effect.
	 */
	p->cons = __atomic_load_n(&p->regs->cons, __ATOMIC_ACQUIRE) & p->mask;
}

uint32_t
uiommu_vcmdq_prod_space(struct uiommu_vcmdq_prod *p)
{
	prod_load_cons(p);
	return prod_free(p);
}

uint32_t
uiommu_vcmdq_prod_write(struct uiommu_vcmdq_prod *p,
			const struct uiommu_cmd *cmds, uint32_t n)
{
	const uint32_t size = 1u << p->log2size;
	uint32_t space = prod_free(p), slot, first;

	if (space < n)
		space = uiommu_vcmdq_prod_space(p);
	n = RTE_MIN(n, space);
	slot = p->prod & (size - 1);
	first = RTE_MIN(n, size - slot);
	memcpy(&p->ring[slot], cmds, (size_t)first * sizeof(*cmds));
	memcpy(&p->ring[0], cmds + first, (size_t)(n - first) * sizeof(*cmds));
	p->prod = (p->prod + n) & p->mask;
	return n;
}

void
uiommu_vcmdq_prod_publish(struct uiommu_vcmdq_prod *p)
{
	/*
	 * P1: release store of PROD; pairs with C1, the manager's acquire
	 * load of PROD: the entries written before are visible first.
	 */
	__atomic_store_n(&p->regs->prod, p->prod, __ATOMIC_RELEASE);
}

bool
uiommu_vcmdq_prod_error_pending(struct uiommu_vcmdq_prod *p, uint32_t *err,
				uint32_t *cons)
{
	struct uiommu_vcmdq_regs *r = p->regs;
	uint32_t gerror, gerrorn, c;

	/*
	 * P3: acquire load of GERROR; pairs with C3, the manager's release
	 * store of GERROR: CONS with ERR at the bad command is visible.
	 */
	gerror = __atomic_load_n(&r->gerror, __ATOMIC_ACQUIRE);
	gerrorn = __atomic_load_n(&r->gerrorn, __ATOMIC_RELAXED);
	if (!((gerror ^ gerrorn) & UIOMMU_VCMDQ_GERROR_CMDQ_ERR))
		return false;
	c = __atomic_load_n(&r->cons, __ATOMIC_RELAXED);
	if (err != NULL)
		*err = (c & UIOMMU_VCMDQ_CONS_ERR_MASK) >>
		       UIOMMU_VCMDQ_CONS_ERR_SHIFT;
	if (cons != NULL)
		*cons = c & p->mask;
	return true;
}

int
uiommu_vcmdq_prod_wait(struct uiommu_vcmdq_prod *p, uint32_t target,
		       uint64_t spin_limit, uint32_t *err)
{
	uint64_t spins = spin_limit ? spin_limit : 1;

	target &= p->mask;
	for (uint64_t i = 0; i < spins; i++) {
		uint32_t pending, outstanding;

		prod_load_cons(p);
		pending = uiommu_vcmdq_ptr_used(target, p->cons, p->log2size);
		outstanding = uiommu_vcmdq_ptr_used(p->prod, p->cons,
						    p->log2size);
		/* Reached, or passed (target no longer ahead of CONS). */
		if (pending == 0 || pending > outstanding)
			return 0;
		if (uiommu_vcmdq_prod_error_pending(p, err, NULL))
			return -EIO;
		rte_pause();
	}
	return -ETIMEDOUT;
}

void
uiommu_vcmdq_prod_fixup(struct uiommu_vcmdq_prod *p, uint32_t index,
			const struct uiommu_cmd *cmd)
{
	p->ring[index & ((1u << p->log2size) - 1)] = *cmd;
}

void
uiommu_vcmdq_prod_ack_error(struct uiommu_vcmdq_prod *p)
{
	struct uiommu_vcmdq_regs *r = p->regs;
	uint32_t gerror = __atomic_load_n(&r->gerror, __ATOMIC_ACQUIRE);

	/*
	 * P4: release store of GERRORN; pairs with C4, the manager's acquire
	 * load of GERRORN: a fix-up of the bad slot is visible before the
	 * manager reads the slot again.
	 */
	__atomic_store_n(&r->gerrorn, gerror, __ATOMIC_RELEASE);
}

bool
uiommu_vcmdq_prod_enabled(struct uiommu_vcmdq_prod *p)
{
	/* P6: acquire load of STATUS; pairs with C6. */
	return (__atomic_load_n(&p->regs->status, __ATOMIC_ACQUIRE) &
		UIOMMU_VCMDQ_STATUS_ENABLE_OK) != 0;
}

/* Spin until ENABLE_OK == want, at most spin_limit polls (0: no wait). */
static int
prod_wait_status(struct uiommu_vcmdq_prod *p, bool want, uint64_t spin_limit)
{
	for (uint64_t i = 0; i < spin_limit; i++) {
		if (uiommu_vcmdq_prod_enabled(p) == want)
			return 0;
		rte_pause();
	}
	return spin_limit == 0 ? 0 : -ETIMEDOUT;
}

int
uiommu_vcmdq_prod_enable(struct uiommu_vcmdq_prod *p, uint64_t spin_limit)
{
	struct uiommu_vcmdq_regs *r = p->regs;

	if (uiommu_vcmdq_prod_enabled(p))
		return -EBUSY;
	p->prod = 0;
	p->cons = 0;
	__atomic_store_n(&r->cons, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&r->prod, 0, __ATOMIC_RELAXED);
	/*
	 * P5: release store of CONFIG; pairs with C5, the manager's acquire
	 * fence after it sees CONFIG.EN: the CONS/PROD reset is visible.
	 */
	__atomic_store_n(&r->config, UIOMMU_VCMDQ_CONFIG_EN, __ATOMIC_RELEASE);
	return prod_wait_status(p, true, spin_limit);
}

int
uiommu_vcmdq_prod_disable(struct uiommu_vcmdq_prod *p, uint64_t spin_limit)
{
	/* P5: release store of CONFIG; pairs with C5 (see enable). */
	__atomic_store_n(&p->regs->config, 0, __ATOMIC_RELEASE);
	return prod_wait_status(p, false, spin_limit);
}
