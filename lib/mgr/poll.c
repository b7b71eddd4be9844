/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Poll engine: polling lcores over vCMDQs and vIOMMUs, sets changed by RCU.
 *
 * Design. The control thread keeps the registry (which vIOMMU lives on
 * which slot, which queues belong to it, which VMs are paused). Each slot
 * (one polling lcore) reads only its published **set**: a flat array of
 * the vCMDQ pointers it polls, grouped by VM, followed by the vIOMMU
 * pointers whose backend poll() it calls, and one group descriptor per VM
 * (its first queue, its queue count, the queue to serve first). A pass
 * walks the array once; there is no lock, no branch on object state and no
 * indirection beyond the core's own.
 *
 * Fairness. A pass serves the VMs (groups) in order. An lcore serving a
 * single VM applies only the per-queue budget (nobody to be fair to, and
 * its batches stay as large as the queue budget allows). Within a VM, queues
 * are served from the group's `next`, wrapping around, each taking at most
 * the per-queue budget, and the VM's queues together at most vm_budget
 * commands (and, with vm_slice_ns, until their busy time in this pass
 * reaches the slice, checked after each queue that found work). When a
 * VM's turn ends on its limit, `next` moves to the queue after the last
 * one served, so every queue of a flooding VM leads in turn (the group
 * descriptor is the one part of a set the lcore writes). A quiet VM thus
 * waits at most one turn of each other VM on its lcore: vm_budget
 * commands, not budget x queues. Measured with `uiommu-bench --scenario
 * scale` (doc/benchmarks.md): a VM flooding 4 queues raised a quiet VM's
 * p99 round trip 13.6-45x with the per-queue budget alone (256 flood
 * commands per round trip), 1.3-2.0x with a per-VM budget of 8; the price
 * is smaller slices for a VM that streams while sharing its lcore (64-73 %
 * of its rate alone, tput/shared32).
 *
 * Clock. One rte_rdtsc() per pass, at its start (an RDTSC costs 25.6 TSC
 * cycles, 10 ns, on the benchmark machine; the loop used to read it twice);
 * the previous pass's duration is charged to busy or idle cycles then, and
 * a queue that found work is stamped after it (per-queue busy time and the
 * VM slice).
 *
 * Changing a set (add, remove, pause, resume) never writes the array the
 * lcore reads. Every slot owns two arrays of equal capacity: the published
 * one and a spare. The control thread fills the spare, publishes it (W1),
 * waits for a grace period (W2: every online lcore has reported a
 * quiescent state, i.e. has finished the pass that might still read the
 * old array) and keeps the old array as the new spare. A removal therefore
 * never allocates and never fails; only growth (an add beyond the
 * capacity) allocates, both arrays at once, before anything is changed.
 * When W2 returns, no lcore holds a pointer to anything that was only in
 * the old array: the core may free a retired queue or vIOMMU.
 *
 * Barriers (partners named):
 *  - W1 control thread: release-store of slot->set. Pairs with R1.
 *  - R1 lcore: acquire-load of slot->set at the start of a pass; the array
 *    contents written before W1 are visible.
 *  - Q1 lcore: rte_rcu_qsbr_quiescent() at the end of a pass (a release
 *    store of the lcore's counter): nothing read from the set survives it.
 *    Pairs with W2.
 *  - W2 control thread: rte_rcu_qsbr_synchronize() (acquire loads of the
 *    lcores' counters): returns after every online lcore passed Q1 or went
 *    offline (O1) since W1.
 *  - O1 lcore: rte_rcu_qsbr_thread_offline() before an idle sleep, and
 *    _online() after it; the set is re-read (R1) after coming back online.
 *  - S1 control thread release-store of slot->stop, S2 lcore relaxed load:
 *    only ends the loop; rte_eal_wait_lcore() provides the final ordering.
 *
 * Statistics. Per lcore: passes, busy passes, commands, backend work, TSC
 * cycles of busy and idle passes (idle includes back-off sleeps), sleeps.
 * Per queue, through uiommu_vcmdq_account(): busy cycles are measured, one
 * rte_rdtsc() after each queue that consumed commands, charging the time
 * since the previous stamp of the pass; idle cycles are the lcore's idle
 * time shared equally among its queues every 1024 passes (a per-queue
 * timestamp on empty queues would double the cost of scanning idle queues).
 *
 * Inline mode (no polling lcore): one slot driven by uiommu_poll_run_once()
 * on the control thread; a control operation never runs during a pass, so
 * the grace period is empty and the old array is reused at once.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_pause.h>
#include <rte_rcu_qsbr.h>

#include "mgr_private.h"
#include "uiommu_poll.h"

/** Largest per-queue budget accepted (one full ring of the largest size). */
#define POLL_BUDGET_MAX (1u << UIOMMU_VCMDQ_MAX_LOG2)
/** Passes between two apportionings of idle cycles to queues. */
#define POLL_IDLE_FLUSH_PASSES 1024

/** The queues of one VM in a set: ent[first, first + n). */
struct poll_grp {
	uint32_t first;
	uint32_t n;
	uint32_t next;      /* written by the lcore: queue served first */
	uint32_t rsvd;
};

/**
 * What one lcore reads: queues [0, nq) grouped by VM, then vIOMMUs
 * [nq, nq + nv); grp[0, ng) in the same allocation after ent[cap].
 */
struct poll_set {
	uint32_t nq;
	uint32_t nv;
	uint32_t ng;
	uint32_t cap;
	struct poll_grp *grp;
	void *ent[];
};

/** Per-pass limits, resolved from the configuration. */
struct poll_lim {
	uint32_t budget;     /* per queue */
	uint32_t vm_budget;  /* per VM; UINT32_MAX: none */
	uint64_t vm_slice;   /* TSC cycles per VM; UINT64_MAX: none */
};

/** One polling lcore. */
struct poll_slot {
	/* Read every pass by the lcore. */
	struct poll_set *set;       /* published (W1/R1) */
	uint32_t stop;              /* S1/S2 */
	uint32_t tid;               /* QSBR thread id = slot index */
	struct uiommu_poll *p;
	/* Written by the lcore only, read by anyone (relaxed atomics). */
	struct uiommu_poll_lcore_stats st;
	/* Control thread only. */
	struct poll_set *spare;     /* same capacity as set, unpublished */
	uint32_t nb_registered;     /* queues + vIOMMUs registered on the slot */
	uint32_t lcore_id;
	bool launched;
} __rte_cache_aligned;

/** Registry entry of a vIOMMU. */
struct poll_vi {
	struct uiommu_viommu *v;
	struct uiommu_vm *vm;
	uint32_t slot;
};

/** Registry entry of a vCMDQ. */
struct poll_q {
	struct uiommu_vcmdq *q;
	struct poll_vi *vi;
};

struct uiommu_poll {
	struct uiommu_poll_conf conf;
	/* [0]: an lcore serving one VM (per-queue budget only), [1]: more. */
	struct poll_lim lim[2];
	bool inline_mode;
	bool started;
	uint32_t nslots;
	uint32_t rr_next;
	uint64_t idle_after_tsc;
	struct poll_slot *slots;
	struct rte_rcu_qsbr *qsv;   /* NULL in inline mode */
	/* Registry, control thread only. */
	struct poll_vi **vis;
	uint32_t nvis, cap_vis;
	struct poll_q **qs;
	uint32_t nqs, cap_qs;
	struct uiommu_vm **paused;
	uint32_t npaused, cap_paused;
};

/* ------------------------------------------------------------ fast path */

static inline void
stat_add(uint64_t *c, uint64_t v)
{
	/* Single writer (the slot's lcore); readers use atomic loads. */
	__atomic_store_n(c, *c + v, __ATOMIC_RELAXED);
}

/* Share idle cycles among the set's queues (inside a read-side section). */
static void
idle_apportion(const struct poll_set *set, uint64_t idle)
{
	uint64_t share;

	if (set == NULL || set->nq == 0 || idle == 0)
		return;
	share = idle / set->nq;
	for (uint32_t i = 0; i < set->nq; i++)
		uiommu_vcmdq_account(set->ent[i], 0, share);
}

/*
 * One VM's turn: its queues from gr->next, wrapping, within the limits.
 * *tprev is the last TSC stamp of the pass; @return commands consumed.
 */
static inline uint64_t
grp_serve(struct poll_grp *gr, struct uiommu_vcmdq *const *qs,
	  const struct poll_lim *lim, uint64_t *tprev)
{
	const uint32_t n = gr->n;
	uint32_t left = lim->vm_budget, i = gr->next;
	uint64_t used = 0, cmds = 0;

	for (uint32_t k = 0; k < n; k++, i = i + 1 == n ? 0 : i + 1) {
		unsigned int c = uiommu_vcmdq_process(qs[i],
						      RTE_MIN(lim->budget, left));
		uint64_t t;

		if (likely(c == 0))
			continue;
		t = rte_rdtsc();
		uiommu_vcmdq_account(qs[i], t - *tprev, 0);
		used += t - *tprev;
		*tprev = t;
		cmds += c;
		left -= RTE_MIN(c, left);
		if (left == 0 || used >= lim->vm_slice) {
			/* Turn over: the next queue leads the next pass. */
			gr->next = i + 1 == n ? 0 : i + 1;
			break;
		}
	}
	return cmds;
}

/*
 * One pass over a set; the caller is inside a read-side section. lims[1]
 * applies when the set holds several VMs, lims[0] (no per-VM limit) when
 * it holds one: there is nobody to be fair to.
 */
static inline unsigned int
poll_pass(struct poll_slot *s, struct poll_set *set,
	  const struct poll_lim lims[2], uint64_t t0)
{
	uint64_t tprev = t0, cmds = 0, bw = 0;
	const struct poll_lim *lim;

	if (set == NULL)
		return 0;
	lim = &lims[set->ng > 1];
	for (uint32_t g = 0; g < set->ng; g++) {
		struct poll_grp *gr = &set->grp[g];

		cmds += grp_serve(gr, (struct uiommu_vcmdq *const *)
				  &set->ent[gr->first], lim, &tprev);
	}
	for (uint32_t i = set->nq; i < set->nq + set->nv; i++)
		bw += uiommu_viommu_poll(set->ent[i], lim->budget);
	if (cmds != 0)
		stat_add(&s->st.commands, cmds);
	if (bw != 0)
		stat_add(&s->st.backend_work, bw);
	return (unsigned int)RTE_MIN(cmds + bw, (uint64_t)UINT32_MAX);
}

static int
slot_loop(void *arg)
{
	struct poll_slot *s = arg;
	struct uiommu_poll *p = s->p;
	const struct poll_lim lim[2] = { p->lim[0], p->lim[1] };
	const uint32_t sleep_us = p->conf.idle_sleep_us;
	const struct poll_set *seen = NULL;
	uint64_t last_work, idle_acc = 0, passes = 0, tpass;
	bool busy = false;

	rte_rcu_qsbr_thread_online(p->qsv, s->tid);
	__atomic_store_n(&s->st.running, 1, __ATOMIC_RELAXED);
	tpass = last_work = rte_rdtsc();
	/* S2: relaxed; the loop only needs to end eventually. */
	while (!__atomic_load_n(&s->stop, __ATOMIC_RELAXED)) {
		/* The only clock read of an idle pass; it ends the last one. */
		uint64_t t0 = rte_rdtsc();
		/* R1: pairs with W1; the array contents are visible. */
		struct poll_set *set = __atomic_load_n(&s->set, __ATOMIC_ACQUIRE);
		unsigned int work;

		if (busy) {
			stat_add(&s->st.busy_cycles, t0 - tpass);
		} else {
			stat_add(&s->st.idle_cycles, t0 - tpass);
			idle_acc += t0 - tpass;
		}
		tpass = t0;
		work = poll_pass(s, set, lim, t0);
		if (set != seen) {
			/* Pointer compared only, never dereferenced. */
			seen = set;
			stat_add(&s->st.set_updates, 1);
			__atomic_store_n(&s->st.nb_queues,
					 set != NULL ? set->nq : 0,
					 __ATOMIC_RELAXED);
			__atomic_store_n(&s->st.nb_viommus,
					 set != NULL ? set->nv : 0,
					 __ATOMIC_RELAXED);
		}
		if (unlikely(++passes % POLL_IDLE_FLUSH_PASSES == 0)) {
			idle_apportion(set, idle_acc);
			idle_acc = 0;
		}
		/* Q1: pairs with W2; set and its objects are not used after. */
		rte_rcu_qsbr_quiescent(p->qsv, s->tid);
		stat_add(&s->st.passes, 1);
		busy = work != 0;
		if (busy) {
			stat_add(&s->st.busy_passes, 1);
			last_work = t0;
			continue;
		}
		if (sleep_us != 0 && t0 - last_work >= p->idle_after_tsc) {
			/* O1: offline while asleep, so grace periods need not
			 * wait for the sleep; the set is re-read after. */
			rte_rcu_qsbr_thread_offline(p->qsv, s->tid);
			rte_delay_us_sleep(sleep_us);
			rte_rcu_qsbr_thread_online(p->qsv, s->tid);
			stat_add(&s->st.sleeps, 1);
		} else {
			rte_pause();
		}
	}
	/* The last pass's cycles. */
	stat_add(busy ? &s->st.busy_cycles : &s->st.idle_cycles,
		 rte_rdtsc() - tpass);
	/* Last apportioning, inside a read-side section of its own. */
	idle_apportion(__atomic_load_n(&s->set, __ATOMIC_ACQUIRE), idle_acc);
	rte_rcu_qsbr_thread_offline(p->qsv, s->tid);
	__atomic_store_n(&s->st.running, 0, __ATOMIC_RELAXED);
	return 0;
}

unsigned int
uiommu_poll_run_once(struct uiommu_poll *p)
{
	struct poll_slot *s = &p->slots[0];
	uint64_t t0 = rte_rdtsc(), t1;
	unsigned int work;

	if (!p->inline_mode)
		return 0;
	work = poll_pass(s, s->set, p->lim, t0);
	t1 = rte_rdtsc();
	stat_add(&s->st.passes, 1);
	if (work != 0) {
		stat_add(&s->st.busy_passes, 1);
		stat_add(&s->st.busy_cycles, t1 - t0);
	} else {
		stat_add(&s->st.idle_cycles, t1 - t0);
	}
	return work;
}

/* ---------------------------------------------------------- control path */

static struct poll_set *
set_alloc(uint32_t cap)
{
	struct poll_set *set;

	if (uiommu_should_fail())
		return NULL;
	set = calloc(1, sizeof(*set) + (size_t)cap * sizeof(void *) +
		     (size_t)cap * sizeof(struct poll_grp));
	if (set == NULL)
		return NULL;
	set->cap = cap;
	set->grp = (struct poll_grp *)(void *)&set->ent[cap];
	return set;
}

static bool
vm_paused(const struct uiommu_poll *p, const struct uiommu_vm *vm)
{
	for (uint32_t i = 0; i < p->npaused; i++)
		if (p->paused[i] == vm)
			return true;
	return false;
}

/* W2: wait until no lcore can still read an array published before. */
static void
grace_period(struct uiommu_poll *p)
{
	if (p->qsv != NULL)
		rte_rcu_qsbr_synchronize(p->qsv, RTE_QSBR_THRID_INVALID);
}

/*
 * Fill the slot's spare from the registry, publish it and wait a grace
 * period. The spare's capacity always covers the registered entries, so
 * this never fails.
 */
static void
slot_publish(struct uiommu_poll *p, uint32_t slot)
{
	struct poll_slot *s = &p->slots[slot];
	struct poll_set *next = s->spare, *old = s->set;
	uint32_t n = 0;

	RTE_VERIFY(next != NULL && next->cap >= s->nb_registered);
	next->ng = 0;
	/* Queues grouped by VM, VMs in the order of their first vIOMMU. */
	for (uint32_t v = 0; v < p->nvis; v++) {
		const struct poll_vi *vi = p->vis[v];
		struct poll_grp *g = &next->grp[next->ng];
		bool seen = false;

		if (vi->slot != slot || vm_paused(p, vi->vm))
			continue;
		for (uint32_t w = 0; w < v && !seen; w++)
			seen = p->vis[w]->slot == slot && p->vis[w]->vm == vi->vm;
		if (seen)
			continue;
		g->first = n;
		for (uint32_t i = 0; i < p->nqs; i++) {
			const struct poll_q *e = p->qs[i];

			if (e->vi->slot == slot && e->vi->vm == vi->vm)
				next->ent[n++] = e->q;
		}
		g->n = n - g->first;
		g->next = 0;
		if (g->n != 0)
			next->ng++;
	}
	next->nq = n;
	for (uint32_t i = 0; i < p->nvis; i++) {
		const struct poll_vi *e = p->vis[i];

		if (e->slot == slot && !vm_paused(p, e->vm))
			next->ent[n++] = e->v;
	}
	next->nv = n - next->nq;
	/* W1: pairs with R1 in slot_loop(). */
	__atomic_store_n(&s->set, next, __ATOMIC_RELEASE);
	if (p->inline_mode) {
		__atomic_store_n(&s->st.nb_queues, next->nq, __ATOMIC_RELAXED);
		__atomic_store_n(&s->st.nb_viommus, next->nv, __ATOMIC_RELAXED);
	}
	grace_period(p);
	s->spare = old;
}

/*
 * Make room for one more entry on a slot: when the capacity is reached,
 * allocate both arrays larger (nothing changes if that fails), publish the
 * larger copy, and after the grace period free the small ones.
 */
static int
slot_reserve(struct uiommu_poll *p, uint32_t slot)
{
	struct poll_slot *s = &p->slots[slot];
	struct poll_set *a, *b, *old_set = s->set, *old_spare = s->spare;
	uint32_t cap;

	if (s->spare->cap > s->nb_registered)
		return 0;
	cap = s->spare->cap * 2;
	a = set_alloc(cap);
	if (a == NULL)
		return -ENOMEM;
	b = set_alloc(cap);
	if (b == NULL) {
		free(a);
		return -ENOMEM;
	}
	/* a becomes the published copy of the current contents. */
	a->nq = old_set->nq;
	a->nv = old_set->nv;
	a->ng = old_set->ng;
	memcpy(a->ent, old_set->ent, (size_t)(a->nq + a->nv) * sizeof(void *));
	/* Not memcpy: the lcore may be writing old_set's 'next' fields. */
	for (uint32_t g = 0; g < a->ng; g++)
		a->grp[g] = (struct poll_grp){
			.first = old_set->grp[g].first, .n = old_set->grp[g].n,
		};
	/* W1: pairs with R1. */
	__atomic_store_n(&s->set, a, __ATOMIC_RELEASE);
	grace_period(p);
	s->spare = b;
	free(old_set);
	free(old_spare);
	return 0;
}

static int
grow(void **arr, uint32_t *cap, uint32_t need, size_t elem)
{
	uint32_t ncap;
	void *n;

	if (need <= *cap)
		return 0;
	ncap = *cap != 0 ? *cap * 2 : 16;
	while (ncap < need)
		ncap *= 2;
	if (uiommu_should_fail())
		return -ENOMEM;
	n = realloc(*arr, (size_t)ncap * elem);
	if (n == NULL)
		return -ENOMEM;
	*arr = n;
	*cap = ncap;
	return 0;
}

static struct poll_vi *
vi_find(const struct uiommu_poll *p, const struct uiommu_viommu *v,
	uint32_t *idx)
{
	for (uint32_t i = 0; i < p->nvis; i++) {
		if (p->vis[i]->v == v) {
			if (idx != NULL)
				*idx = i;
			return p->vis[i];
		}
	}
	return NULL;
}

static struct poll_q *
q_find(const struct uiommu_poll *p, const struct uiommu_vcmdq *q,
       uint32_t *idx)
{
	for (uint32_t i = 0; i < p->nqs; i++) {
		if (p->qs[i]->q == q) {
			if (idx != NULL)
				*idx = i;
			return p->qs[i];
		}
	}
	return NULL;
}

int
uiommu_poll_lcore_slot(const struct uiommu_poll *p, uint32_t lcore)
{
	for (uint32_t i = 0; i < p->nslots; i++)
		if (p->slots[i].lcore_id == lcore)
			return (int)i;
	return -ENOENT;
}

int
uiommu_poll_viommu_add(struct uiommu_poll *p, struct uiommu_viommu *v,
		       int lcore, uint32_t *lcore_out)
{
	struct poll_vi *e;
	uint32_t slot;
	int rc;

	if (p == NULL || v == NULL)
		return -EINVAL;
	if (vi_find(p, v, NULL) != NULL)
		return -EEXIST;
	if (lcore >= 0) {
		rc = uiommu_poll_lcore_slot(p, (uint32_t)lcore);
		if (rc < 0)
			return -EINVAL;
		slot = (uint32_t)rc;
	} else {
		slot = p->rr_next++ % p->nslots;
	}
	rc = grow((void **)&p->vis, &p->cap_vis, p->nvis + 1, sizeof(*p->vis));
	if (rc == 0)
		rc = grow((void **)&p->paused, &p->cap_paused, p->nvis + 1,
			  sizeof(*p->paused));
	if (rc != 0)
		return rc;
	rc = slot_reserve(p, slot);
	if (rc != 0)
		return rc;
	if (uiommu_should_fail())
		return -ENOMEM;
	e = calloc(1, sizeof(*e));
	if (e == NULL)
		return -ENOMEM;
	/* Nothing can fail from here. */
	e->v = v;
	e->vm = uiommu_viommu_vm(v);
	e->slot = slot;
	p->vis[p->nvis++] = e;
	p->slots[slot].nb_registered++;
	slot_publish(p, slot);
	if (lcore_out != NULL)
		*lcore_out = p->slots[slot].lcore_id;
	return 0;
}

static void
q_remove_at(struct uiommu_poll *p, uint32_t idx)
{
	struct poll_q *e = p->qs[idx];

	p->slots[e->vi->slot].nb_registered--;
	memmove(&p->qs[idx], &p->qs[idx + 1],
		(p->nqs - idx - 1) * sizeof(p->qs[0]));
	p->nqs--;
	free(e);
}

void
uiommu_poll_viommu_del(struct uiommu_poll *p, struct uiommu_viommu *v)
{
	struct poll_vi *e;
	uint32_t idx, slot;

	if (p == NULL || v == NULL)
		return;
	e = vi_find(p, v, &idx);
	if (e == NULL)
		return;
	slot = e->slot;
	for (uint32_t i = p->nqs; i-- > 0;)
		if (p->qs[i]->vi == e)
			q_remove_at(p, i);
	memmove(&p->vis[idx], &p->vis[idx + 1],
		(p->nvis - idx - 1) * sizeof(p->vis[0]));
	p->nvis--;
	p->slots[slot].nb_registered--;
	/* The entry stays allocated until no lcore can read the old array. */
	slot_publish(p, slot);
	free(e);
}

int
uiommu_poll_vcmdq_add(struct uiommu_poll *p, struct uiommu_vcmdq *q,
		      uint32_t *lcore_out)
{
	struct poll_vi *vi;
	struct poll_q *e;
	int rc;

	if (p == NULL || q == NULL)
		return -EINVAL;
	if (q_find(p, q, NULL) != NULL)
		return -EEXIST;
	vi = vi_find(p, uiommu_vcmdq_viommu(q), NULL);
	if (vi == NULL)
		return -ENOENT;
	rc = grow((void **)&p->qs, &p->cap_qs, p->nqs + 1, sizeof(*p->qs));
	if (rc != 0)
		return rc;
	rc = slot_reserve(p, vi->slot);
	if (rc != 0)
		return rc;
	if (uiommu_should_fail())
		return -ENOMEM;
	e = calloc(1, sizeof(*e));
	if (e == NULL)
		return -ENOMEM;
	e->q = q;
	e->vi = vi;
	p->qs[p->nqs++] = e;
	p->slots[vi->slot].nb_registered++;
	slot_publish(p, vi->slot);
	if (lcore_out != NULL)
		*lcore_out = p->slots[vi->slot].lcore_id;
	return 0;
}

void
uiommu_poll_vcmdq_del(struct uiommu_poll *p, struct uiommu_vcmdq *q)
{
	struct poll_q *e;
	uint32_t idx, slot;

	if (p == NULL || q == NULL)
		return;
	e = q_find(p, q, &idx);
	if (e == NULL)
		return;
	slot = e->vi->slot;
	q_remove_at(p, idx);
	slot_publish(p, slot);
}

/* Republish every slot holding an object of vm. */
static void
vm_republish(struct uiommu_poll *p, const struct uiommu_vm *vm)
{
	for (uint32_t s = 0; s < p->nslots; s++) {
		bool hit = false;

		for (uint32_t i = 0; i < p->nvis && !hit; i++)
			hit = p->vis[i]->vm == vm && p->vis[i]->slot == s;
		if (hit)
			slot_publish(p, s);
	}
}

void
uiommu_poll_vm_pause(struct uiommu_poll *p, struct uiommu_vm *vm)
{
	bool has_objects = false;

	if (p == NULL || vm == NULL || vm_paused(p, vm))
		return;
	for (uint32_t i = 0; i < p->nvis && !has_objects; i++)
		has_objects = p->vis[i]->vm == vm;
	/* A VM with nothing registered has nothing to stop. */
	if (!has_objects)
		return;
	/*
	 * Never fails: the paused list was grown on the add path to hold one
	 * entry per registered vIOMMU, and every paused VM has one.
	 */
	RTE_VERIFY(p->npaused < p->cap_paused);
	p->paused[p->npaused++] = vm;
	vm_republish(p, vm);
}

void
uiommu_poll_vm_resume(struct uiommu_poll *p, struct uiommu_vm *vm)
{
	if (p == NULL || vm == NULL)
		return;
	for (uint32_t i = 0; i < p->npaused; i++) {
		if (p->paused[i] != vm)
			continue;
		p->paused[i] = p->paused[--p->npaused];
		vm_republish(p, vm);
		return;
	}
}

static void
hook_vm_pause(void *arg, struct uiommu_vm *vm)
{
	uiommu_poll_vm_pause(arg, vm);
}

static void
hook_vm_resume(void *arg, struct uiommu_vm *vm)
{
	uiommu_poll_vm_resume(arg, vm);
}

static void
hook_vcmdq_retire(void *arg, struct uiommu_vcmdq *q)
{
	uiommu_poll_vcmdq_del(arg, q);
}

static void
hook_viommu_retire(void *arg, struct uiommu_viommu *v)
{
	uiommu_poll_viommu_del(arg, v);
}

void
uiommu_poll_core_hooks(struct uiommu_poll *p, struct uiommu_core_hooks *hooks)
{
	*hooks = (struct uiommu_core_hooks){
		.vm_pause = hook_vm_pause,
		.vm_resume = hook_vm_resume,
		.vcmdq_retire = hook_vcmdq_retire,
		.viommu_retire = hook_viommu_retire,
		.arg = p,
	};
}

int
uiommu_poll_create(const struct uiommu_poll_conf *conf,
		   struct uiommu_poll **out)
{
	struct uiommu_poll *p;
	uint32_t nslots;
	size_t sz;
	int rc = -ENOMEM;

	if (conf == NULL || out == NULL || conf->budget == 0 ||
	    conf->budget > POLL_BUDGET_MAX ||
	    conf->vm_slice_ns > UIOMMU_POLL_VM_SLICE_NS_MAX ||
	    conf->nb_lcores > UIOMMU_MAX_POLL_LCORES)
		return -EINVAL;
	for (uint32_t i = 0; i < conf->nb_lcores; i++) {
		uint32_t l = conf->lcores[i];

		if (l >= RTE_MAX_LCORE || !rte_lcore_is_enabled(l) ||
		    l == rte_get_main_lcore())
			return -EINVAL;
		for (uint32_t j = 0; j < i; j++)
			if (conf->lcores[j] == l)
				return -EINVAL;
	}
	nslots = conf->nb_lcores != 0 ? conf->nb_lcores : 1;
	if (uiommu_should_fail())
		return -ENOMEM;
	p = calloc(1, sizeof(*p));
	if (p == NULL)
		return -ENOMEM;
	p->conf = *conf;
	p->lim[0] = (struct poll_lim){
		.budget = conf->budget, .vm_budget = UINT32_MAX,
		.vm_slice = UINT64_MAX,
	};
	p->lim[1] = p->lim[0];
	p->lim[1].vm_budget = conf->vm_budget == 0 ?
			      UIOMMU_POLL_VM_BUDGET_DEFAULT : conf->vm_budget;
	if (conf->vm_slice_ns != 0)
		p->lim[1].vm_slice = (uint64_t)conf->vm_slice_ns *
				     rte_get_tsc_hz() / 1000000000;
	p->inline_mode = conf->nb_lcores == 0;
	p->nslots = nslots;
	p->idle_after_tsc = (uint64_t)conf->idle_after_us * rte_get_tsc_hz() /
			    1000000;
	if (uiommu_should_fail())
		goto err_free;
	p->slots = rte_zmalloc("uiommu_poll_slots", sizeof(*p->slots) * nslots,
			       RTE_CACHE_LINE_SIZE);
	if (p->slots == NULL)
		goto err_free;
	for (uint32_t i = 0; i < nslots; i++) {
		struct poll_slot *s = &p->slots[i];

		s->p = p;
		s->tid = i;
		s->lcore_id = p->inline_mode ? rte_get_main_lcore() :
					       conf->lcores[i];
		s->st.lcore_id = s->lcore_id;
		s->set = set_alloc(8);
		s->spare = set_alloc(8);
		if (s->set == NULL || s->spare == NULL)
			goto err_slots;
	}
	if (!p->inline_mode) {
		sz = rte_rcu_qsbr_get_memsize(nslots);
		if (uiommu_should_fail())
			goto err_slots;
		p->qsv = rte_zmalloc("uiommu_poll_qsbr", sz,
				     RTE_CACHE_LINE_SIZE);
		if (p->qsv == NULL)
			goto err_slots;
		if (rte_rcu_qsbr_init(p->qsv, nslots) != 0) {
			rc = -EINVAL;
			goto err_qsv;
		}
		for (uint32_t i = 0; i < nslots; i++)
			rte_rcu_qsbr_thread_register(p->qsv, i);
	}
	*out = p;
	return 0;

err_qsv:
	rte_free(p->qsv);
err_slots:
	for (uint32_t i = 0; i < nslots; i++) {
		free(p->slots[i].set);
		free(p->slots[i].spare);
	}
	rte_free(p->slots);
err_free:
	free(p);
	return rc;
}

int
uiommu_poll_start(struct uiommu_poll *p)
{
	if (p->inline_mode || p->started)
		return 0;
	for (uint32_t i = 0; i < p->nslots; i++) {
		struct poll_slot *s = &p->slots[i];

		__atomic_store_n(&s->stop, 0, __ATOMIC_RELAXED);
		if (rte_eal_remote_launch(slot_loop, s, s->lcore_id) != 0) {
			uiommu_poll_stop(p);
			return -EBUSY;
		}
		s->launched = true;
	}
	p->started = true;
	return 0;
}

void
uiommu_poll_stop(struct uiommu_poll *p)
{
	if (p == NULL || p->inline_mode)
		return;
	for (uint32_t i = 0; i < p->nslots; i++)
		/* S1: pairs with S2. */
		__atomic_store_n(&p->slots[i].stop, 1, __ATOMIC_RELEASE);
	for (uint32_t i = 0; i < p->nslots; i++) {
		if (!p->slots[i].launched)
			continue;
		rte_eal_wait_lcore(p->slots[i].lcore_id);
		p->slots[i].launched = false;
	}
	p->started = false;
}

void
uiommu_poll_destroy(struct uiommu_poll *p)
{
	if (p == NULL)
		return;
	uiommu_poll_stop(p);
	for (uint32_t i = 0; i < p->nqs; i++)
		free(p->qs[i]);
	for (uint32_t i = 0; i < p->nvis; i++)
		free(p->vis[i]);
	free(p->qs);
	free(p->vis);
	free(p->paused);
	for (uint32_t i = 0; i < p->nslots; i++) {
		free(p->slots[i].set);
		free(p->slots[i].spare);
	}
	rte_free(p->slots);
	rte_free(p->qsv);
	free(p);
}

bool
uiommu_poll_is_inline(const struct uiommu_poll *p)
{
	return p->inline_mode;
}

uint32_t
uiommu_poll_nb_slots(const struct uiommu_poll *p)
{
	return p->nslots;
}

int
uiommu_poll_slot_stats(const struct uiommu_poll *p, uint32_t slot,
		       struct uiommu_poll_lcore_stats *st)
{
	const struct uiommu_poll_lcore_stats *src;

	if (slot >= p->nslots)
		return -ENOENT;
	src = &p->slots[slot].st;
#define LD(f) st->f = __atomic_load_n(&src->f, __ATOMIC_RELAXED)
	LD(lcore_id);
	LD(nb_queues);
	LD(nb_viommus);
	LD(running);
	LD(passes);
	LD(busy_passes);
	LD(commands);
	LD(backend_work);
	LD(busy_cycles);
	LD(idle_cycles);
	LD(sleeps);
	LD(set_updates);
#undef LD
	return 0;
}

int
uiommu_poll_viommu_lcore(struct uiommu_poll *p, const struct uiommu_viommu *v)
{
	const struct poll_vi *e = vi_find(p, v, NULL);

	return e != NULL ? (int)p->slots[e->slot].lcore_id : -ENOENT;
}
