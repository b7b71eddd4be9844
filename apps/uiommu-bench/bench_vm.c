/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Bench VM: the guest and manager sides of the uiommu scenarios, built in
 * one process (see bench_vm.h for what is built and why).
 *
 * Guest RAM layout (one region at BENCH_VM_RAM_GPA, bump-allocated, every
 * object aligned to its size or to 4 KiB):
 *   stream table (64 STEs, 4 KiB) | CD (one page) | rings (each aligned to
 *   its size) | stage-1 tables (4 KiB each) | data pages (s1_pages)
 * The stage-1 table is built by lib/pgtable over guest-physical addresses
 * (its mem ops allocate from the bump allocator and reach the tables
 * through the VM's guest memory), exactly as a guest driver's table.
 *
 * Set-up is done on the main lcore with the manager side not running: the
 * guest enables every queue and writes CFGI_STE + CMD_SYNC, and this file
 * calls uiommu_vcmdq_process() inline to answer (the same function the
 * manager runs), bounded by a pass count.
 *
 * The rest: the manager sides on the worker lcore (lib/mgr's engine, or
 * the bare loops), one guest round trip (bench_rtt_once), the interleaver
 * that alternates variants block by block (bench_interleave), and a copy
 * of the floor's ping-pong to interleave with (bench_pp).
 *
 * False sharing is the trap of every two-lcore measurement here: a worker
 * loop copies what it needs from a struct the main lcore writes (the
 * ping-pong's word pointer, the prefetch loop's ring pointers) into
 * locals or a private array, else each round trip pays one more line
 * transfer (measured: +45 % on the ping-pong before the copy).
 *
 * Barriers: the bare loops stop on `stop` (S1 main release store, S2
 * worker acquire load); rte_eal_wait_lcore() orders everything after it.
 * The ping-pong's F1..F4 are sc_floor.c's.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_lcore.h>
#include <rte_pause.h>
#include <rte_prefetch.h>

#include "bench_vm.h"
#include "uiommu_cmd.h"
#include "uiommu_gmem.h"
#include "uiommu_pgtable.h"
#include "uiommu_poll.h"
#include "uiommu_smmu.h"

/* Passes of inline processing allowed for one set-up step. */
#define SETUP_PASSES 100000u
/* Queue polls per call of the guest helper between two clock checks. */
#define WAIT_SPINS 256u

static void __attribute__((format(printf, 3, 4)))
say(char *why, size_t whylen, const char *fmt, ...)
{
	va_list ap;

	if (why == NULL || whylen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(why, whylen, fmt, ap);
	va_end(ap);
}

/* Bump allocation of guest RAM; returns the GPA or 0. */
static uint64_t
ram_alloc(struct bench_vm *b, uint64_t size, uint64_t align)
{
	uint64_t off = (b->ram_next + align - 1) & ~(align - 1);

	if (off > b->ram_size || size > b->ram_size - off)
		return 0;
	b->ram_next = off + size;
	memset(b->ram + off, 0, size);
	return BENCH_VM_RAM_GPA + off;
}

static void *
ram_ptr(struct bench_vm *b, uint64_t gpa)
{
	return b->ram + (gpa - BENCH_VM_RAM_GPA);
}

/* lib/pgtable memory ops over guest RAM (table address = GPA). */
static int
pt_alloc(void *ctx, size_t size, size_t align, uint64_t *addr)
{
	*addr = ram_alloc(ctx, size, align < 4096 ? 4096 : align);
	return *addr == 0 ? -ENOMEM : 0;
}

static void
pt_free(void *ctx, uint64_t addr, size_t size)
{
	(void)ctx;
	(void)addr;
	(void)size;
}

static void *
pt_to_ptr(void *ctx, uint64_t addr, size_t size)
{
	struct bench_vm *b = ctx;

	return uiommu_gmem_ptr(uiommu_vm_gmem(b->vm), addr, size);
}

static const struct uiommu_pt_mem_ops pt_mem_ops = {
	.alloc = pt_alloc, .free = pt_free, .to_ptr = pt_to_ptr,
};

int
bench_cmd_tlbi(unsigned int page, unsigned int pages, struct uiommu_cmd *cmd)
{
	struct uiommu_cmd_info ci = {
		.op = UIOMMU_CMD_TLBI_NH_VA,
		.asid = BENCH_VM_ASID,
		.leaf = true,
		.addr = BENCH_VM_IOVA_BASE + 4096ULL * (page % (pages ? pages : 1)),
	};

	return uiommu_cmd_encode(&ci, cmd);
}

int
bench_cmd_sync(struct uiommu_cmd *cmd)
{
	struct uiommu_cmd_info ci = {
		.op = UIOMMU_CMD_SYNC, .cs = UIOMMU_CMD_SYNC_CS_NONE,
	};

	return uiommu_cmd_encode(&ci, cmd);
}

int
bench_vq_wait(struct bench_vq *vq, uint32_t target, uint64_t timeout_cycles)
{
	uint64_t t0 = 0;

	for (;;) {
		int rc = uiommu_vcmdq_prod_wait(&vq->p, target, WAIT_SPINS, NULL);

		if (rc != -ETIMEDOUT)
			return rc;
		if (t0 == 0)
			t0 = rte_rdtsc();
		else if (rte_rdtsc() - t0 > timeout_cycles)
			return -ETIMEDOUT;
	}
}

/* Set-up only: answer as the manager would, on this thread. */
static int
inline_until(struct bench_vm *b, unsigned int qi, uint32_t target)
{
	struct bench_vq *vq = &b->q[qi];

	for (unsigned int pass = 0; pass < SETUP_PASSES; pass++) {
		int rc;

		(void)uiommu_vcmdq_process(vq->q, UIOMMU_POLL_BUDGET_DEFAULT);
		rc = uiommu_vcmdq_prod_wait(&vq->p, target, 0, NULL);
		if (rc != -ETIMEDOUT)
			return rc;
	}
	return -ETIMEDOUT;
}

/* Enable every queue: the guest asks, inline passes acknowledge. */
static int
enable_queues(struct bench_vm *b)
{
	for (unsigned int i = 0; i < b->nq; i++)
		if (uiommu_vcmdq_prod_enable(&b->q[i].p, 0) != 0)
			return -EBUSY;
	for (unsigned int i = 0; i < b->nq; i++) {
		unsigned int pass = 0;

		while (!uiommu_vcmdq_prod_enabled(&b->q[i].p)) {
			if (++pass > SETUP_PASSES)
				return -ETIMEDOUT;
			(void)uiommu_vcmdq_process(b->q[i].q, 1);
		}
	}
	return 0;
}

/* The nested device: STE, CD, stage-1 table, CFGI_STE, IOTLB warm-up. */
static int
nested_dev(struct bench_vm *b, unsigned int pages, char *why, size_t whylen)
{
	struct uiommu_pgtable_cfg pcfg = {
		.format = UIOMMU_PT_ARM_LPAE_S1_4K, .ias = 48, .oas = 48,
		.mem_ops = &pt_mem_ops, .mem_ctx = b,
	};
	struct uiommu_ste_info ste = {
		.valid = 1, .config = UIOMMU_STE_CFG_S1,
	};
	struct uiommu_cd_info cd = {
		.valid = 1, .t0sz = 16, .ips = 5, .aa64 = 1, .epd1 = 1,
		.asid = BENCH_VM_ASID, .mair = UIOMMU_LPAE_MAIR_VALUE,
	};
	struct uiommu_cmd_info cfgi = {
		.op = UIOMMU_CMD_CFGI_STE, .sid = BENCH_VM_VSID, .leaf = true,
	};
	struct uiommu_vdevice_info info;
	struct uiommu_cmd cmds[2];
	uint64_t strtab, cdp, data;
	int rc;

	strtab = ram_alloc(b, UIOMMU_STE_SIZE << BENCH_VM_STRTAB_LOG2, 4096);
	cdp = ram_alloc(b, 4096, 4096);
	if (strtab == 0 || cdp == 0)
		goto nomem;
	rc = uiommu_viommu_set_strtab(b->vi[0], strtab, BENCH_VM_STRTAB_LOG2);
	if (rc != 0) {
		say(why, whylen, "uiommu_viommu_set_strtab");
		return rc;
	}
	rc = uiommu_vdevice_add(b->vi[0], BENCH_VM_VSID, "soft:dma0", NULL, &b->dev);
	if (rc != 0) {
		say(why, whylen, "uiommu_vdevice_add soft:dma0");
		return rc;
	}
	rc = uiommu_pgtable_create(&pcfg, &b->s1);
	if (rc != 0) {
		say(why, whylen, "stage-1 table in guest RAM");
		return rc;
	}
	data = ram_alloc(b, (uint64_t)pages * 4096, 4096);
	if (data == 0)
		goto nomem;
	rc = uiommu_pgtable_map(b->s1, BENCH_VM_IOVA_BASE, data,
				(uint64_t)pages * 4096,
				UIOMMU_PT_PROT_READ | UIOMMU_PT_PROT_WRITE, NULL);
	if (rc != 0) {
		say(why, whylen, "stage-1 map");
		return rc;
	}
	cd.ttb0 = uiommu_pgtable_root(b->s1);
	uiommu_cd_encode(&cd, ram_ptr(b, cdp));
	ste.s1ctxptr = cdp;
	uiommu_ste_encode(&ste, ram_ptr(b, strtab + UIOMMU_STE_SIZE * BENCH_VM_VSID));
	/* The guest driver's CFGI_STE + CMD_SYNC on queue 0. */
	if (uiommu_cmd_encode(&cfgi, &cmds[0]) != 0 || bench_cmd_sync(&cmds[1]) != 0) {
		say(why, whylen, "encoding CFGI_STE");
		return -EINVAL;
	}
	if (uiommu_vcmdq_prod_write(&b->q[0].p, cmds, 2) != 2) {
		say(why, whylen, "queue 0 full");
		return -ENOSPC;
	}
	uiommu_vcmdq_prod_publish(&b->q[0].p);
	rc = inline_until(b, 0, uiommu_vcmdq_prod_index(&b->q[0].p));
	if (rc == 0)
		rc = uiommu_vdevice_info_get(b->dev, &info);
	if (rc != 0 || info.blocked) {
		say(why, whylen, "CFGI_STE did not configure the device");
		return rc != 0 ? rc : -EINVAL;
	}
	/* Warm the IOTLB: one entry per mapped page. */
	for (unsigned int i = 0; i < pages; i++) {
		struct uiommu_xlate x;

		rc = uiommu_vdevice_translate(b->dev, BENCH_VM_IOVA_BASE + 4096ULL * i,
					      UIOMMU_ACCESS_READ, &x);
		if (rc != 0) {
			say(why, whylen, "translate of a mapped page failed");
			return rc;
		}
		b->iotlb_warm++;
	}
	b->s1_pages = pages;
	return 0;
nomem:
	say(why, whylen, "guest RAM too small");
	return -ENOMEM;
}

int
bench_vm_create(const struct bench_vm_conf *c, struct bench_vm **out,
		char *why, size_t whylen)
{
	uint64_t ring_bytes, ram;
	struct bench_vm *b;
	int rc;

	if (c == NULL || out == NULL || c->nviommus == 0 ||
	    c->nviommus > UIOMMU_MAX_VIOMMUS_PER_VM || c->nqueues == 0 ||
	    c->nqueues > c->nviommus * UIOMMU_MAX_VCMDQS ||
	    c->ring_log2 < UIOMMU_VCMDQ_MIN_LOG2 || c->ring_log2 > 16) {
		say(why, whylen, "bad bench VM configuration");
		return -EINVAL;
	}
	ring_bytes = (uint64_t)UIOMMU_CMD_SIZE << c->ring_log2;
	if (ring_bytes < 4096)
		ring_bytes = ring_bytes < 64 ? 64 : ring_bytes;
	/* Tables, CD, stream table, slack; rings; data pages. */
	ram = 64 * 4096 + (uint64_t)c->nqueues * ((ring_bytes + 4095) & ~4095ULL) +
	      (uint64_t)c->s1_pages * 4096;
	ram = (ram + (1ULL << 20) - 1) & ~((1ULL << 20) - 1);
	b = calloc(1, sizeof(*b));
	if (b == NULL)
		return -ENOMEM;
	b->q = calloc(c->nqueues, sizeof(*b->q));
	b->ram = bench_shared_alloc(ram, 4096);
	if (b->q == NULL || b->ram == NULL) {
		say(why, whylen, "no memory for %llu bytes of guest RAM",
		    (unsigned long long)ram);
		rc = -ENOMEM;
		goto fail;
	}
	b->ram_size = ram;
	rc = uiommu_vm_create(c->name, &b->vm);
	if (rc != 0) {
		say(why, whylen, "uiommu_vm_create %s", c->name);
		b->vm = NULL;
		goto fail;
	}
	rc = uiommu_vm_mem_add_hva(b->vm, BENCH_VM_RAM_GPA, ram, b->ram);
	if (rc != 0) {
		say(why, whylen, "uiommu_vm_mem_add_hva");
		goto fail;
	}
	for (unsigned int i = 0; i < c->nviommus; i++) {
		rc = uiommu_viommu_create(b->vm, "soft", NULL, &b->vi[i]);
		if (rc != 0) {
			say(why, whylen, "uiommu_viommu_create soft");
			goto fail;
		}
		b->nvi++;
	}
	for (unsigned int i = 0; i < c->nqueues; i++) {
		struct uiommu_viommu *v = b->vi[i / UIOMMU_MAX_VCMDQS];
		uint64_t gpa = ram_alloc(b, (uint64_t)UIOMMU_CMD_SIZE << c->ring_log2,
					 (uint64_t)UIOMMU_CMD_SIZE << c->ring_log2);
		uint64_t off;
		uint8_t *ctrl;

		if (gpa == 0) {
			say(why, whylen, "guest RAM too small for the rings");
			rc = -ENOMEM;
			goto fail;
		}
		rc = uiommu_vcmdq_create(v, i % UIOMMU_MAX_VCMDQS, c->ring_log2, gpa,
					 &b->q[i].q, &off);
		if (rc != 0) {
			say(why, whylen, "uiommu_vcmdq_create %u", i);
			goto fail;
		}
		b->nq++;
		ctrl = uiommu_viommu_ctrl_base(v);
		rc = uiommu_vcmdq_prod_init(&b->q[i].p, ram_ptr(b, gpa), c->ring_log2,
					    (struct uiommu_vcmdq_regs *)(ctrl + off));
		if (rc != 0) {
			say(why, whylen, "uiommu_vcmdq_prod_init");
			goto fail;
		}
	}
	rc = enable_queues(b);
	if (rc != 0) {
		say(why, whylen, "queue enable handshake");
		goto fail;
	}
	if (c->s1_pages != 0) {
		rc = nested_dev(b, c->s1_pages, why, whylen);
		if (rc != 0)
			goto fail;
	}
	b->mgr_nq = b->nq;
	*out = b;
	return 0;
fail:
	bench_vm_destroy(b);
	return rc;
}

void
bench_vm_destroy(struct bench_vm *b)
{
	if (b == NULL)
		return;
	/* The table reaches guest RAM through the VM: free it first. The VM
	 * then takes its vIOMMUs, queues and device with it. */
	uiommu_pgtable_destroy(b->s1);
	uiommu_vm_destroy(b->vm);
	bench_shared_free(b->ram);
	free(b->q);
	free(b);
}

/* ------------------------------------------------------------ manager */

/* What the prefetching loop needs of a queue: copied from the guest's
 * producer state, whose line the main lcore writes on every command. */
struct mgr_pf {
	const struct uiommu_cmd *ring;
	const uint32_t *cons;	/* the queue's CONS register */
	uint32_t mask;		/* ring entries - 1 */
};

struct bench_mgr {
	struct bench_ctx *ctx;
	enum bench_mgr_kind kind;
	struct uiommu_poll *engine;
	/* Bare loops. */
	struct uiommu_vcmdq **qs;
	struct mgr_pf *pf;	/* ring and registers, for the prefetch */
	unsigned int nq;
	unsigned int budget;
	struct bench_mgr_lim lim;
	bool pause;
	uint32_t stop;
	bool launched;
	struct bench_hist *work_hist;	/* bare loop: cycles of calls with work */
};

static int
bare_loop(void *arg)
{
	struct bench_mgr *m = arg;
	struct uiommu_vcmdq *const *qs = m->qs;
	const unsigned int nq = m->nq, budget = m->budget;
	const bool pause = m->pause;
	struct bench_hist *h = m->work_hist;

	/* S2: pairs with S1 in bench_mgr_stop(). */
	while (!__atomic_load_n(&m->stop, __ATOMIC_ACQUIRE)) {
		unsigned int work = 0;

		for (unsigned int i = 0; i < nq; i++) {
			/* A duration on this core's TSC only, never compared
			 * with the main lcore's clock. */
			uint64_t t0 = rte_rdtsc();
			unsigned int n = uiommu_vcmdq_process(qs[i], budget);

			if (n != 0) {
				bench_hist_record(h, rte_rdtsc() - t0);
				work += n;
			}
		}
		if (work == 0 && pause)
			rte_pause();
	}
	return 0;
}

/*
 * The bare loop plus, after a pass without work, a prefetch of the ring
 * line holding the next command of every queue (the slot at CONS, read
 * from the queue's own published CONS): the line the guest writes before
 * PROD is then requested while the manager waits, not after it saw PROD.
 * An experiment for the engine (doc/benchmarks.md), not what it does.
 */
static int
prefetch_loop(void *arg)
{
	struct bench_mgr *m = arg;
	struct uiommu_vcmdq *const *qs = m->qs;
	const struct mgr_pf *pf = m->pf;
	const unsigned int nq = m->nq, budget = m->budget;

	/* S2: pairs with S1 in bench_mgr_stop(). */
	while (!__atomic_load_n(&m->stop, __ATOMIC_ACQUIRE)) {
		unsigned int work = 0;

		for (unsigned int i = 0; i < nq; i++)
			work += uiommu_vcmdq_process(qs[i], budget);
		if (work != 0)
			continue;
		for (unsigned int i = 0; i < nq; i++) {
			uint32_t c = __atomic_load_n(pf[i].cons, __ATOMIC_RELAXED);

			rte_prefetch0(&pf[i].ring[c & pf[i].mask]);
		}
	}
	return 0;
}

static int
engine_start(struct bench_mgr *m, struct bench_vm *const *vms, unsigned int nvms)
{
	struct uiommu_poll_conf conf = {
		.budget = m->budget, .vm_budget = m->lim.vm_budget,
		.vm_slice_ns = m->lim.vm_slice_ns, .nb_lcores = 1,
		.lcores = { m->ctx->worker_lcore },
	};
	int rc;

	rc = uiommu_poll_create(&conf, &m->engine);
	if (rc != 0) {
		m->engine = NULL;
		return rc;
	}
	for (unsigned int v = 0; v < nvms; v++) {
		unsigned int nvi = (vms[v]->mgr_nq + UIOMMU_MAX_VCMDQS - 1) /
				   UIOMMU_MAX_VCMDQS;

		for (unsigned int i = 0; i < nvi && i < vms[v]->nvi; i++) {
			rc = uiommu_poll_viommu_add(m->engine, vms[v]->vi[i],
						    (int)m->ctx->worker_lcore, NULL);
			if (rc != 0)
				return rc;
		}
		for (unsigned int i = 0; i < vms[v]->mgr_nq; i++) {
			rc = uiommu_poll_vcmdq_add(m->engine, vms[v]->q[i].q, NULL);
			if (rc != 0)
				return rc;
		}
	}
	return uiommu_poll_start(m->engine);
}

int
bench_mgr_start(struct bench_ctx *ctx, enum bench_mgr_kind kind,
		const struct bench_mgr_lim *lim, bool pause,
		struct bench_vm *const *vms, unsigned int nvms,
		struct bench_mgr **out)
{
	struct bench_mgr *m;
	unsigned int n = 0;
	int rc;

	m = calloc(1, sizeof(*m));
	if (m == NULL)
		return -ENOMEM;
	m->ctx = ctx;
	m->kind = kind;
	m->budget = lim->budget;
	m->lim = *lim;
	m->pause = pause;
	if (kind == BENCH_MGR_ENGINE) {
		rc = engine_start(m, vms, nvms);
		if (rc != 0) {
			uiommu_poll_destroy(m->engine);
			free(m);
			return rc;
		}
		*out = m;
		return 0;
	}
	for (unsigned int v = 0; v < nvms; v++)
		n += vms[v]->mgr_nq;
	m->qs = calloc(n ? n : 1, sizeof(*m->qs));
	m->pf = calloc(n ? n : 1, sizeof(*m->pf));
	m->work_hist = bench_hist_alloc();
	if (m->qs == NULL || m->pf == NULL || m->work_hist == NULL) {
		bench_hist_free(m->work_hist);
		free(m->pf);
		free(m->qs);
		free(m);
		return -ENOMEM;
	}
	for (unsigned int v = 0; v < nvms; v++)
		for (unsigned int i = 0; i < vms[v]->mgr_nq; i++) {
			const struct uiommu_vcmdq_prod *p = &vms[v]->q[i].p;

			m->pf[m->nq] = (struct mgr_pf){
				.ring = p->ring, .cons = &p->regs->cons,
				.mask = (1u << p->log2size) - 1,
			};
			m->qs[m->nq++] = vms[v]->q[i].q;
		}
	rc = bench_worker_start(ctx, kind == BENCH_MGR_BARE_PREFETCH ?
				prefetch_loop : bare_loop, m);
	if (rc != 0) {
		bench_hist_free(m->work_hist);
		free(m->pf);
		free(m->qs);
		free(m);
		return rc;
	}
	m->launched = true;
	*out = m;
	return 0;
}

int
bench_mgr_stop(struct bench_mgr *m, struct bench_mgr_out *out)
{
	int rc = 0;

	if (m == NULL)
		return 0;
	if (m->kind == BENCH_MGR_ENGINE) {
		struct uiommu_poll_lcore_stats st;

		uiommu_poll_stop(m->engine);
		if (out != NULL && uiommu_poll_slot_stats(m->engine, 0, &st) == 0) {
			out->idle_cycles += st.idle_cycles;
			out->idle_passes += st.passes - st.busy_passes;
		}
		uiommu_poll_destroy(m->engine);
	} else if (m->launched) {
		/* S1: pairs with S2 in bare_loop(). */
		__atomic_store_n(&m->stop, 1, __ATOMIC_RELEASE);
		rc = bench_worker_wait(m->ctx);
		if (out != NULL && out->work != NULL)
			bench_hist_merge(out->work, m->work_hist);
	}
	bench_hist_free(m->work_hist);
	free(m->pf);
	free(m->qs);
	free(m);
	return rc;
}

/* ------------------------------------------------------------ round trip */

int
bench_rtt_once(struct bench_rtt *r, uint64_t *cycles)
{
	struct bench_vq *vq = r->vq;
	struct uiommu_cmd cmds[2];
	uint32_t target, n = r->pages != 0 ? 2 : 1;
	uint64_t t0, t1;
	int rc;

	if (r->before != NULL) {
		rc = r->before(r->arg);
		if (rc != 0)
			return rc;
	}
	rc = bench_cmd_sync(&cmds[1]);
	if (rc == 0 && r->pages != 0)
		rc = bench_cmd_tlbi((unsigned int)r->seq, r->pages, &cmds[0]);
	if (rc != 0)
		return rc;
	r->seq++;
	if (uiommu_vcmdq_prod_write(&vq->p, &cmds[2 - n], n) != n)
		return -ENOSPC;
	target = uiommu_vcmdq_prod_index(&vq->p);
	t0 = bench_tsc_begin();
	uiommu_vcmdq_prod_publish(&vq->p);
	rc = r->kick != NULL ? r->kick(r->arg) : 0;
	if (rc == 0)
		rc = bench_vq_wait(vq, target, r->timeout_cycles);
	t1 = bench_tsc_end();
	*cycles = t1 - t0;
	return rc;
}

int
bench_vq_rtt_loop(struct bench_ctx *ctx, struct bench_result *res,
		  struct bench_vq *vq, unsigned int pages,
		  int (*before)(void *arg), int (*kick)(void *arg), void *arg)
{
	struct bench_rtt r = {
		.vq = vq, .pages = pages, .before = before, .kick = kick,
		.arg = arg, .timeout_cycles = bench_vm_timeout(ctx),
	};

	for (uint64_t i = 0; i < ctx->warmup + ctx->samples; i++) {
		uint64_t c;
		int rc = bench_rtt_once(&r, &c);

		if (rc != 0)
			return rc;
		if (i >= ctx->warmup)
			bench_hist_record(res->hist, c);
	}
	return 0;
}

/* ------------------------------------------------------------ interleave */

int
bench_interleave(struct bench_ctx *ctx, struct bench_ilv *v, unsigned int n)
{
	uint64_t rounds = ctx->samples < BENCH_ILV_ROUNDS ? ctx->samples : BENCH_ILV_ROUNDS;
	uint64_t warm = ctx->warmup / (rounds ? rounds : 1);
	uint64_t done = 0;
	int rc = 0;

	if (warm == 0)
		warm = 1;
	for (uint64_t r = 0; r < rounds && rc == 0; r++) {
		/* Blocks of equal size but for the remainder, spread so the
		 * total is exactly ctx->samples. */
		uint64_t block = (ctx->samples * (r + 1)) / rounds - done;

		for (unsigned int k = 0; k < n && rc == 0; k++) {
			int src;

			if (v[k].start != NULL) {
				rc = v[k].start(ctx, v[k].arg);
				if (rc != 0)
					break;
			}
			for (uint64_t i = 0; i < warm + block && rc == 0; i++) {
				uint64_t c;

				rc = v[k].sample(v[k].arg, &c);
				if (rc == 0 && i >= warm)
					bench_hist_record(v[k].res->hist, c);
			}
			src = v[k].stop != NULL ? v[k].stop(ctx, v[k].arg) : 0;
			if (rc == 0)
				rc = src;
		}
		done += block;
	}
	return rc;
}

int
bench_mgr_var_start(struct bench_ctx *ctx, void *arg)
{
	struct bench_mgr_var *mv = arg;

	mv->rtt.timeout_cycles = bench_vm_timeout(ctx);
	return bench_mgr_start(ctx, mv->kind, &mv->lim, mv->pause, mv->vms,
			       mv->nvms, &mv->mgr);
}

int
bench_mgr_var_stop(struct bench_ctx *ctx, void *arg)
{
	struct bench_mgr_var *mv = arg;
	int rc = bench_mgr_stop(mv->mgr, &mv->out);

	(void)ctx;
	mv->mgr = NULL;
	return rc;
}

int
bench_mgr_var_sample(void *arg, uint64_t *cycles)
{
	struct bench_mgr_var *mv = arg;

	return bench_rtt_once(&mv->rtt, cycles);
}

/* ------------------------------------------------------------ ping-pong */

#define PP_STOP UINT64_MAX

static int
pp_worker(void *arg)
{
	const struct bench_pp *pp = arg;
	/* Copied once: the main lcore writes pp->seq in the same line, and a
	 * load of pp->word per spin would add a line transfer per round trip
	 * that the floor does not have. */
	uint64_t *const word = pp->word;
	const uint64_t timeout = pp->timeout_cycles;
	uint64_t answered = 0, v, last = rte_rdtsc();
	unsigned int spins = 0;

	for (;;) {
		/* F2: pairs with the release store F1 of bench_pp_sample(). */
		v = __atomic_load_n(word, __ATOMIC_ACQUIRE);
		if (v == PP_STOP)
			return 0;
		if ((v & 1) != 0 && v != answered) {
			answered = v + 1;
			/* F3: release; pairs with the acquire load F4. */
			__atomic_store_n(word, answered, __ATOMIC_RELEASE);
			spins = 0;
			last = rte_rdtsc();
			continue;
		}
		if ((++spins & 0xffff) == 0 && rte_rdtsc() - last > timeout)
			return -ETIMEDOUT;
	}
}

int
bench_pp_start(struct bench_ctx *ctx, void *arg)
{
	struct bench_pp *pp = arg;
	int rc;

	pp->word = bench_shared_alloc(128, 128);
	if (pp->word == NULL)
		return -ENOMEM;
	pp->seq = 0;
	pp->timeout_cycles = bench_vm_timeout(ctx);
	rc = bench_worker_start(ctx, pp_worker, pp);
	if (rc != 0) {
		bench_shared_free(pp->word);
		pp->word = NULL;
	}
	return rc;
}

int
bench_pp_stop(struct bench_ctx *ctx, void *arg)
{
	struct bench_pp *pp = arg;
	int rc;

	if (pp->word == NULL)
		return 0;
	__atomic_store_n(pp->word, PP_STOP, __ATOMIC_RELEASE);
	rc = bench_worker_wait(ctx);
	bench_shared_free(pp->word);
	pp->word = NULL;
	return rc;
}

int
bench_pp_sample(void *arg, uint64_t *cycles)
{
	struct bench_pp *pp = arg;
	uint64_t req = 2 * ++pp->seq + 1, t0, t1, tw = 0;
	unsigned int spins = 0;

	t0 = bench_tsc_begin();
	/* F1: release; the worker's acquire load F2 sees the request. */
	__atomic_store_n(pp->word, req, __ATOMIC_RELEASE);
	/* F4: pairs with the worker's release store F3. */
	while (__atomic_load_n(pp->word, __ATOMIC_ACQUIRE) != req + 1) {
		if ((++spins & 0xffff) == 0) {
			if (tw == 0)
				tw = rte_rdtsc();
			else if (rte_rdtsc() - tw > pp->timeout_cycles)
				return -ETIMEDOUT;
		}
	}
	t1 = bench_tsc_end();
	*cycles = t1 - t0;
	return 0;
}
