/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * One simulated VM: the VMM's set-up through the control protocol, the
 * guest driver's set-up of its IOMMU, the workers, fault-record matching
 * and the final cross-checks.
 *
 * Design. gvm_run() is what a VMM plus its guest kernel do, in order:
 *  1. guest RAM (ram.c), HELLO, MEM_ADD;
 *  2. VIOMMU_CREATE on the soft backend (with a fault-record ring large
 *     enough for the workload), the stream table in guest RAM and
 *     STRTAB_SET, one VDEVICE_ADD "soft:dmaN" per device (vSID N + 1), one
 *     VCMDQ_CREATE per queue, each ring in guest RAM;
 *  3. as the guest driver: per device a CD table, two stage-1 tables with
 *     the descriptor ring and two probe pages identity-mapped, the CD and
 *     an S1 STE, then CFGI_STE + CFGI_CD + CMD_SYNC on the device's queue,
 *     and the engine enabled;
 *  4. the workers run (work.c) while this thread, the only user of the
 *     control connection, drains EVENTS_READ and matches every record to a
 *     fault a worker provoked (per device and kind); workers are throttled
 *     when too many expected records are still unseen, so the ring never
 *     overflows;
 *  5. at the end every expected record must have been seen (no more, no
 *     fewer, none lost), and the manager's count of consumed commands and
 *     CMD_SYNCs per queue (STATS) must equal what the guest wrote;
 *  6. closing the connection tears the VM down in the manager.
 * Failures are recorded in the VM's result (shared with the parent
 * process) with a message, and stop every worker.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "guest.h"
#include "uiommu_backend.h"

#define EVENTS_BATCH 256
#define FINAL_WAIT_NS (3ULL * 1000000000ULL)

uint8_t
gev_id(enum gev_kind k)
{
	switch (k) {
	case G_EV_TRANSLATION:
		return UIOMMU_EVT_F_TRANSLATION;
	case G_EV_PERMISSION:
		return UIOMMU_EVT_F_PERMISSION;
	case G_EV_BAD_STE:
		return UIOMMU_EVT_C_BAD_STE;
	default:
		return 0;
	}
}

int
gev_kind_of(uint8_t id)
{
	for (int k = 0; k < G_EV_KINDS; k++)
		if (gev_id((enum gev_kind)k) == id)
			return k;
	return -1;
}

void
gvm_fail(struct gvm *vm, int status, const char *fmt, ...)
{
	struct gvm_result *res = vm->res;
	char msg[G_ERR_LEN];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	pthread_mutex_lock(&vm->err_lock);
	if (status > res->status)
		res->status = status;
	if (res->nerrors < G_MAX_ERRORS)
		snprintf(res->errors[res->nerrors], G_ERR_LEN, "%s", msg);
	res->nerrors++;
	pthread_mutex_unlock(&vm->err_lock);
	fprintf(stderr, "uiommu-guest: vm %u: %s\n", vm->index, msg);
	vm->stop = 1;
}

/*
 * C_BAD_STE for a V = 0 STE is allowed, not required: the guest contract
 * (doc/guest-contract.md section 9) only says the device is blocked, and
 * SMMUv3 records C_BAD_STE for such transactions; the simulator accepts
 * either (see doc/guest-simulator.md).
 */
static bool
kind_optional(enum gev_kind k)
{
	return k == G_EV_BAD_STE;
}

void
gvm_expect_event(struct gvm *vm, struct gdev *d, enum gev_kind k)
{
	uint64_t deadline = 0;

	__atomic_fetch_add(&d->exp_events[k], 1, __ATOMIC_RELAXED);
	if (kind_optional(k))
		return;
	__atomic_fetch_add(&vm->outstanding, 1, __ATOMIC_RELAXED);
	/* Throttle: let the main thread catch up with EVENTS_READ. */
	while (__atomic_load_n(&vm->outstanding, __ATOMIC_RELAXED) >
	       G_EVENTS_OUTSTANDING_MAX && !vm->stop) {
		if (deadline == 0)
			deadline = g_now_ns() + FINAL_WAIT_NS;
		if (g_now_ns() > deadline) {
			gvm_fail(vm, 1, "%" PRId64 " expected fault records "
				 "not reported by EVENTS_READ",
				 __atomic_load_n(&vm->outstanding,
						 __ATOMIC_RELAXED));
			return;
		}
		usleep(100);
	}
}

static struct gdev *
dev_by_vsid(struct gvm *vm, uint32_t vsid)
{
	for (unsigned int i = 0; i < vm->ndevs; i++)
		if (vm->devs[i].vsid == vsid)
			return &vm->devs[i];
	return NULL;
}

/* One EVENTS_READ; @return records read, or -1 on failure. */
static int
drain_events(struct gvm *vm)
{
	static __thread struct uiommu_proto_event ev[EVENTS_BATCH];
	unsigned int n = EVENTS_BATCH;
	uint64_t lost = 0;
	int rc = uiommu_client_events_read(vm->c, vm->vi.id, ev, &n, &lost);

	if (rc != 0) {
		gvm_fail(vm, 2, "EVENTS_READ failed: %s", strerror(-rc));
		return -1;
	}
	vm->res->st.events_lost += lost;
	for (unsigned int i = 0; i < n; i++) {
		struct gdev *d = dev_by_vsid(vm, ev[i].sid);
		int k = gev_kind_of(ev[i].id);

		if (d == NULL || k < 0) {
			gvm_fail(vm, 1, "unexpected fault record: event 0x%x "
				 "vSID %u IOVA 0x%" PRIx64 " (no such device "
				 "or a kind the workload never provokes)",
				 ev[i].id, ev[i].sid, ev[i].input_addr);
			continue;
		}
		__atomic_fetch_add(&d->seen_events[k], 1, __ATOMIC_RELAXED);
		if (!kind_optional((enum gev_kind)k))
			__atomic_fetch_sub(&vm->outstanding, 1,
					   __ATOMIC_RELAXED);
		vm->res->st.events_seen++;
	}
	if (lost != 0)
		gvm_fail(vm, 1, "%" PRIu64 " fault records lost (event ring "
			 "full)", lost);
	return (int)n;
}

/* ---------------------------------------------------------- set-up */

static int
setup_device(struct gvm *vm, struct gworker *w, struct gdev *d)
{
	struct uiommu_client_vdevice vd;
	char spec[32];
	uint64_t ring_gpa;
	int rc;

	d->vsid = d->index + 1;
	d->win_base = G_WIN_BASE + (uint64_t)d->index * G_WIN_STRIDE;
	snprintf(spec, sizeof(spec), "soft:dma%u", d->index);
	rc = uiommu_client_vdevice_add(vm->c, vm->vi.id, d->vsid, spec, &vd);
	if (rc != 0) {
		gvm_fail(vm, 2, "VDEVICE_ADD %s (vSID %u): %s", spec, d->vsid,
			 strerror(-rc));
		return rc;
	}
	if (vd.dev_fd >= 0)
		close(vd.dev_fd);
	if (vd.regs == NULL || vd.regs_size < sizeof(struct uiommu_soft_dma_regs)) {
		gvm_fail(vm, 2, "%s has no register page", spec);
		return -ENODEV;
	}
	d->dev_id = vd.id;
	d->dma.regs = vd.regs;
	d->dma.log2 = G_DMA_RING_LOG2;
	d->dma.timeout_ns = (uint64_t)vm->o->timeout_ms * 1000000ULL;
	if (gram_alloc(&vm->ram, 1, 1, &d->cd_gpa) ||
	    gram_alloc(&vm->ram, 1, 1, &ring_gpa) ||
	    gram_alloc(&vm->ram, 1, 1, &d->probe_src_gpa) ||
	    gram_alloc(&vm->ram, 1, 1, &d->probe_dst_gpa)) {
		gvm_fail(vm, 2, "guest RAM exhausted at set-up");
		return -ENOMEM;
	}
	memset(gram_ptr(&vm->ram, d->cd_gpa, G_PAGE), 0, G_PAGE);
	d->dma.ring = gram_ptr(&vm->ram, ring_gpa, G_PAGE);
	d->dma.ring_iova = ring_gpa;
	for (unsigned int t = 0; t < 2; t++) {
		struct gs1 *s = &d->s1[t];

		rc = gs1_create(s, w, (uint16_t)(2 * d->index + 1 + t));
		if (rc == 0)
			rc = gs1_map(s, ring_gpa, ring_gpa, G_PAGE,
				     UIOMMU_PT_PROT_READ | UIOMMU_PT_PROT_WRITE);
		if (rc == 0)
			rc = gs1_map(s, d->probe_src_gpa, d->probe_src_gpa,
				     G_PAGE, UIOMMU_PT_PROT_READ);
		if (rc == 0)
			rc = gs1_map(s, d->probe_dst_gpa, d->probe_dst_gpa,
				     G_PAGE, UIOMMU_PT_PROT_READ |
				     UIOMMU_PT_PROT_WRITE);
		if (rc != 0) {
			gvm_fail(vm, 2, "stage-1 table of vSID %u: %s",
				 d->vsid, strerror(-rc));
			return rc;
		}
	}
	d->active = 0;
	gs1_write_cd(&vm->ram, d->cd_gpa, &d->s1[0]);
	gste_write(&vm->ram, vm->strtab_gpa, d->vsid, G_STE_S1, d->cd_gpa);
	d->ste = G_STE_S1;
	w->devs[w->ndevs++] = d;
	return 0;
}

static int
setup_queue(struct gvm *vm, struct gworker *w)
{
	uint32_t log2 = vm->o->ring_log2;
	uint64_t bytes = (uint64_t)UIOMMU_CMD_SIZE << log2;
	uint64_t pages = (bytes + G_PAGE - 1) / G_PAGE;
	uint64_t gpa;
	int rc;

	/* The ring is aligned to its size (whole pages when smaller). */
	if (gram_alloc(&vm->ram, pages, pages, &gpa) != 0) {
		gvm_fail(vm, 2, "guest RAM exhausted by vCMDQ rings");
		return -ENOMEM;
	}
	memset(gram_ptr(&vm->ram, gpa, pages * G_PAGE), 0, pages * G_PAGE);
	w->q.index = w->index;
	rc = uiommu_client_vcmdq_create(vm->c, vm->vi.id, w->index, log2, gpa,
					&w->q.cq);
	if (rc != 0) {
		gvm_fail(vm, 2, "VCMDQ_CREATE %u (2^%u entries): %s", w->index,
			 log2, strerror(-rc));
		return rc;
	}
	rc = gq_init(&w->q, w, gram_ptr(&vm->ram, gpa, bytes), gpa, log2,
		     vm->o->sync, (uint64_t)vm->o->timeout_ms * 1000000ULL);
	if (rc != 0)
		gvm_fail(vm, 2, "vCMDQ %u did not enable: %s", w->index,
			 strerror(-rc));
	return rc;
}

/* Make the manager read the STEs and CDs, then start the engines. */
static int
setup_activate(struct gvm *vm, struct gworker *w)
{
	struct uiommu_cmd_info ci;

	for (unsigned int i = 0; i < w->ndevs; i++) {
		gcmd_cfgi_ste(&ci, w->devs[i]->vsid);
		if (gq_cmd(&w->q, &ci))
			return -1;
		gcmd_cfgi_cd(&ci, w->devs[i]->vsid, 0);
		if (gq_cmd(&w->q, &ci))
			return -1;
	}
	if (gq_sync(&w->q))
		return -1;
	for (unsigned int i = 0; i < w->ndevs; i++) {
		int rc = gdma_enable(&w->devs[i]->dma);

		if (rc != 0) {
			gvm_fail(vm, 2, "engine of vSID %u did not enable: %s",
				 w->devs[i]->vsid, strerror(-rc));
			return -1;
		}
	}
	return 0;
}

/* The VM's layout as JSON; phase "running" after set-up, "linger" once
 * the workload and its checks are done (--linger). */
static void
write_ready_file(struct gvm *vm, const char *phase)
{
	const struct gopts *o = vm->o;
	char path[512], tmp[540];
	FILE *f;

	if (o->ready_file == NULL)
		return;
	if (o->vms > 1)
		snprintf(path, sizeof(path), "%s.%u", o->ready_file, vm->index);
	else
		snprintf(path, sizeof(path), "%s", o->ready_file);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "w");
	if (f == NULL) {
		gvm_fail(vm, 2, "cannot write %s: %s", tmp, strerror(errno));
		return;
	}
	fprintf(f, "{\"phase\": \"%s\", \"status\": %d, \"vm\": %u, "
		"\"vm_id\": %u, \"viommu_id\": %u, "
		"\"vmid\": %u, \"pid\": %d, \"ram_gpa\": %" PRIu64
		", \"ram_size\": %" PRIu64 ", \"queues\": %u, \"devices\": [",
		phase, vm->res->status, vm->index, vm->hello.vm_id, vm->vi.id,
		vm->vi.vmid, (int)getpid(), vm->ram.gpa, vm->ram.size, vm->nworkers);
	for (unsigned int i = 0; i < vm->ndevs; i++) {
		struct gdev *d = &vm->devs[i];

		fprintf(f, "%s{\"vsid\": %u, \"spec\": \"soft:dma%u\", "
			"\"ring_iova\": %" PRIu64 ", \"probe_src_iova\": %"
			PRIu64 ", \"probe_dst_iova\": %" PRIu64
			", \"window\": %" PRIu64 ", \"window_size\": %" PRIu64
			"}", i ? ", " : "", d->vsid, d->index,
			d->dma.ring_iova, d->probe_src_gpa, d->probe_dst_gpa,
			d->win_base, (uint64_t)(G_WIN_PAGES * G_PAGE));
	}
	fprintf(f, "]}\n");
	if (fclose(f) != 0 || rename(tmp, path) != 0)
		gvm_fail(vm, 2, "cannot write %s: %s", path, strerror(errno));
}

static int
setup(struct gvm *vm)
{
	const struct gopts *o = vm->o;
	char why[160], name[UIOMMU_PROTO_NAME_LEN], args[64];
	int rc;

	rc = gram_create(&vm->ram, G_RAM_GPA, (uint64_t)o->ram_mb << 20,
			 !o->no_huge, why, sizeof(why));
	if (rc != 0) {
		gvm_fail(vm, 2, "cannot create %u MiB of guest RAM: %s",
			 o->ram_mb, why);
		return rc;
	}
	vm->res->hugetlb = vm->ram.hugetlb;
	if (!vm->ram.hugetlb && !o->no_huge)
		fprintf(stderr, "uiommu-guest: vm %u: no hugetlbfs memory for "
			"guest RAM (%s); using an ordinary memfd\n", vm->index,
			why);
	rc = uiommu_client_connect(o->socket, (int)o->timeout_ms, &vm->c);
	if (rc != 0) {
		gvm_fail(vm, 2, "cannot connect to %s: %s (is uiommu-mgr "
			 "running with --socket %s?)", o->socket,
			 strerror(-rc), o->socket);
		return rc;
	}
	snprintf(name, sizeof(name), "%s-%u", o->name, vm->index);
	rc = uiommu_client_hello(vm->c, 0, name, UIOMMU_FEAT_ALL, &vm->hello);
	if (rc != 0) {
		gvm_fail(vm, 2, "HELLO refused: %s", strerror(-rc));
		return rc;
	}
	if (!(vm->hello.features & UIOMMU_FEAT_VCMDQ) ||
	    !(vm->hello.features & UIOMMU_FEAT_EVENTS)) {
		gvm_fail(vm, 2, "the manager does not grant vCMDQs and events "
			 "(features 0x%" PRIx64 ")", vm->hello.features);
		return -EOPNOTSUPP;
	}
	vm->res->vm_id = vm->hello.vm_id;
	rc = uiommu_client_mem_add(vm->c, vm->ram.gpa, vm->ram.size,
				   vm->ram.fd, 0);
	if (rc != 0) {
		gvm_fail(vm, 2, "MEM_ADD of %" PRIu64 " MiB: %s",
			 vm->ram.size >> 20, strerror(-rc));
		return rc;
	}
	snprintf(args, sizeof(args), "evtq=%u", G_EVTQ_RECORDS);
	rc = uiommu_client_viommu_create(vm->c, "soft", args, &vm->vi);
	if (rc != 0) {
		gvm_fail(vm, 2, "VIOMMU_CREATE on the soft backend: %s",
			 strerror(-rc));
		return rc;
	}
	vm->res->viommu_id = vm->vi.id;
	vm->res->vmid = vm->vi.vmid;
	if (gram_alloc(&vm->ram, 1, 1, &vm->strtab_gpa) != 0)
		return -ENOMEM;
	memset(gram_ptr(&vm->ram, vm->strtab_gpa, G_PAGE), 0, G_PAGE);
	rc = uiommu_client_strtab_set(vm->c, vm->vi.id, vm->strtab_gpa,
				      G_STRTAB_LOG2);
	if (rc != 0) {
		gvm_fail(vm, 2, "STRTAB_SET: %s", strerror(-rc));
		return rc;
	}
	for (unsigned int q = 0; q < vm->nworkers; q++) {
		struct gworker *w = &vm->workers[q];

		w->vm = vm;
		w->index = q;
		w->rng = o->seed ^ (0x9e3779b97f4a7c15ULL * (vm->index + 1)) ^
			 ((uint64_t)(q + 1) << 32);
		ghist_init(&w->inv_lat);
		ghist_init(&w->dma_lat);
		rc = setup_queue(vm, w);
		if (rc != 0)
			return rc;
	}
	for (unsigned int i = 0; i < vm->ndevs; i++) {
		vm->devs[i].index = i;
		rc = setup_device(vm, &vm->workers[i % vm->nworkers],
				  &vm->devs[i]);
		if (rc != 0)
			return rc;
	}
	for (unsigned int q = 0; q < vm->nworkers; q++)
		if (setup_activate(vm, &vm->workers[q]) != 0)
			return -EIO;
	return 0;
}

/* ---------------------------------------------------------- checks */

/* Wait until every expected record was read (bounded), then compare. */
static void
check_events(struct gvm *vm)
{
	uint64_t deadline = g_now_ns() + FINAL_WAIT_NS;

	while (__atomic_load_n(&vm->outstanding, __ATOMIC_RELAXED) > 0 &&
	       g_now_ns() < deadline) {
		if (drain_events(vm) < 0)
			return;
		usleep(1000);
	}
	/* A last read: nothing more may come. */
	if (drain_events(vm) < 0)
		return;
	for (unsigned int i = 0; i < vm->ndevs; i++) {
		struct gdev *d = &vm->devs[i];

		for (int k = 0; k < G_EV_KINDS; k++) {
			if (kind_optional((enum gev_kind)k)) {
				vm->res->st.events_optional += d->exp_events[k];
				if (d->seen_events[k] > d->exp_events[k])
					gvm_fail(vm, 1, "vSID %u: %" PRIu64
						 " C_BAD_STE records for %"
						 PRIu64 " blocked DMAs",
						 d->vsid, d->seen_events[k],
						 d->exp_events[k]);
				continue;
			}
			vm->res->st.events_expected += d->exp_events[k];
			if (d->exp_events[k] != d->seen_events[k])
				gvm_fail(vm, 1, "vSID %u: %" PRIu64 " fault "
					 "records of event 0x%x expected, %"
					 PRIu64 " reported by EVENTS_READ",
					 d->vsid, d->exp_events[k],
					 gev_id((enum gev_kind)k),
					 d->seen_events[k]);
		}
	}
}

/* The manager consumed exactly what the guest wrote, queue by queue. */
static void
check_mgr_counts(struct gvm *vm)
{
	for (unsigned int q = 0; q < vm->nworkers; q++) {
		struct gworker *w = &vm->workers[q];
		struct uiommu_proto_stat st[UIOMMU_PROTO_MAX_STATS];
		uint64_t deadline = g_now_ns() + FINAL_WAIT_NS;
		uint64_t cmds = 0, syncs = 0;

		for (;;) {
			unsigned int n = UIOMMU_PROTO_MAX_STATS;
			int rc = uiommu_client_stats(vm->c, UIOMMU_STATS_VCMDQ,
						     0, vm->vi.id, q, st, &n);

			if (rc != 0) {
				gvm_fail(vm, 2, "STATS of vCMDQ %u: %s", q,
					 strerror(-rc));
				return;
			}
			if (uiommu_client_stat_find(st, n, "commands", &cmds) ||
			    uiommu_client_stat_find(st, n, "syncs", &syncs)) {
				gvm_fail(vm, 2, "STATS of vCMDQ %u lacks "
					 "\"commands\" or \"syncs\"", q);
				return;
			}
			/* Counters may trail CONS by a moment. */
			if ((cmds == w->st.commands && syncs == w->st.syncs) ||
			    g_now_ns() > deadline)
				break;
			usleep(1000);
		}
		vm->res->st.mgr_commands += cmds;
		vm->res->st.mgr_syncs += syncs;
		if (cmds != w->st.commands || syncs != w->st.syncs)
			gvm_fail(vm, 1, "vCMDQ %u: the guest wrote %" PRIu64
				 " commands (%" PRIu64 " CMD_SYNC), the "
				 "manager consumed %" PRIu64 " (%" PRIu64 ")",
				 q, w->st.commands, w->st.syncs, cmds, syncs);
	}
}

/* ---------------------------------------------------------- run */

static void
teardown(struct gvm *vm)
{
	/* Closing the connection destroys the VM's objects in the manager
	 * (engines included); only then are the guest's tables freed. */
	uiommu_client_close(vm->c);
	vm->c = NULL;
	for (unsigned int i = 0; i < vm->ndevs; i++) {
		gs1_destroy(&vm->devs[i].s1[0]);
		gs1_destroy(&vm->devs[i].s1[1]);
	}
	for (unsigned int q = 0; q < vm->nworkers; q++)
		if (vm->workers[q].vm != NULL)
			gs1_release_deferred(&vm->workers[q]);
	gram_destroy(&vm->ram);
}

static void
collect(struct gvm *vm)
{
	for (unsigned int q = 0; q < vm->nworkers; q++) {
		struct gworker *w = &vm->workers[q];

		gstats_add(&vm->res->st, &w->st);
		ghist_merge(&vm->res->inv_lat, &w->inv_lat);
		ghist_merge(&vm->res->dma_lat, &w->dma_lat);
	}
}

int
gvm_run(const struct gopts *o, unsigned int index, struct gvm_result *res)
{
	struct gvm *vm = calloc(1, sizeof(*vm));
	uint64_t t0, t1;
	int rc;

	memset(res, 0, sizeof(*res));
	ghist_init(&res->inv_lat);
	ghist_init(&res->dma_lat);
	__atomic_store_n(&res->state, 1, __ATOMIC_RELEASE);
	if (vm == NULL) {
		res->status = 2;
		snprintf(res->errors[0], G_ERR_LEN, "out of memory");
		res->nerrors = 1;
		goto done;
	}
	vm->o = o;
	vm->index = index;
	vm->res = res;
	vm->ram.fd = -1;
	vm->ndevs = o->devices;
	vm->nworkers = o->queues;
	pthread_mutex_init(&vm->err_lock, NULL);

	rc = setup(vm);
	if (rc == 0 && !vm->stop) {
		write_ready_file(vm, "running");
		t0 = g_now_ns();
		vm->deadline_ns = t0 + (uint64_t)(o->duration_s * 1e9);
		for (unsigned int q = 0; q < vm->nworkers; q++) {
			struct gworker *w = &vm->workers[q];

			if (pthread_create(&w->thread, NULL, gwork_thread, w)) {
				gvm_fail(vm, 2, "cannot start worker %u", q);
				break;
			}
			w->started = true;
		}
		/* Drain fault records while the workers run. */
		while (__atomic_load_n(&vm->finished, __ATOMIC_ACQUIRE) <
		       (int)vm->nworkers && !vm->stop) {
			bool started_all = true;

			for (unsigned int q = 0; q < vm->nworkers; q++)
				started_all &= vm->workers[q].started;
			if (!started_all)
				break;
			if (drain_events(vm) <= 0)
				usleep(500);
		}
		for (unsigned int q = 0; q < vm->nworkers; q++)
			if (vm->workers[q].started)
				pthread_join(vm->workers[q].thread, NULL);
		t1 = g_now_ns();
		res->seconds = (double)(t1 - t0) / 1e9;
		collect(vm);
		if (!vm->stop) {
			check_events(vm);
			check_mgr_counts(vm);
		}
		if (o->linger_s > 0) {
			uint64_t end;

			write_ready_file(vm, "linger");
			end = g_now_ns() + (uint64_t)(o->linger_s * 1e9);
			while (g_now_ns() < end && !g_interrupted)
				usleep(10000);
		}
	}
	teardown(vm);
	pthread_mutex_destroy(&vm->err_lock);
	free(vm);
done:
	__atomic_store_n(&res->state, 2, __ATOMIC_RELEASE);
	return res->status;
}
