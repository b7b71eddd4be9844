/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Inspection requests: STATS, EVENTS_READ, TRANSLATE, LIST.
 *
 * Visibility rule: a VM connection sees its own VM only (vm_id 0 or its
 * own id; any other id is -EPERM, whether or not it exists, so a client
 * cannot even probe for others); an admin connection sees every VM and
 * names one by id (-ENOENT when no VM has it). Admin connections never
 * reach a mutating handler (server.c refuses them with -EPERM), and
 * EVENTS_READ counts as mutating because it pops records.
 *
 * Replies are built straight into the connection's transmit buffer; each
 * kind of reply has a fixed maximum count (UIOMMU_PROTO_MAX_STATS,
 * _MAX_EVENTS, _MAX_LIST) checked at compile time against the payload
 * limit, so a reply can never overflow.
 *
 * LIST walks the objects in a fixed order (connections in accept order;
 * per VM: the VM, its RAM regions, then per vIOMMU: the vIOMMU, its stream
 * table, its vDEVICEs, its vCMDQs) and pages with a cursor = the index in
 * that order. The order is stable while nothing changes; a page taken
 * while objects come and go may skip or repeat one, as any listing of live
 * state does.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_cycles.h>

#include "mgr_private.h"

/* ---------------------------------------------------------- visibility */

/* The VM connection a request may look at. */
static int
target_conn(struct mgr_conn *c, uint32_t vm_id, struct mgr_conn **out)
{
	struct mgr_conn *t;

	if (!c->admin) {
		if (vm_id != 0 && vm_id != c->vm_id)
			return -EPERM;
		*out = c;
		return 0;
	}
	t = mgr_conn_by_vm_id(c->m, vm_id);
	if (t == NULL)
		return -ENOENT;
	*out = t;
	return 0;
}

/* --------------------------------------------------------------- STATS */

struct stats_out {
	struct uiommu_proto_stat *s;
	uint32_t n;
};

static void
put(struct stats_out *o, const char *name, uint64_t v)
{
	if (o->n >= UIOMMU_PROTO_MAX_STATS)
		return;
	memset(o->s[o->n].name, 0, sizeof(o->s[o->n].name));
	snprintf(o->s[o->n].name, sizeof(o->s[o->n].name), "%s", name);
	o->s[o->n].value = v;
	o->n++;
}

static void
stats_acc(struct uiommu_vcmdq_stats *sum, const struct uiommu_vcmdq_stats *st)
{
	sum->commands += st->commands;
	sum->syncs += st->syncs;
	sum->batches += st->batches;
	sum->backend_calls += st->backend_calls;
	sum->errors += st->errors;
	sum->msi_writes += st->msi_writes;
	sum->msi_dropped += st->msi_dropped;
	sum->busy_cycles += st->busy_cycles;
	sum->idle_cycles += st->idle_cycles;
	sum->bad_prod += st->bad_prod;
}

static int
sum_queue(struct uiommu_vcmdq *q, void *arg)
{
	struct uiommu_vcmdq_stats st;

	uiommu_vcmdq_stats_get(q, &st);
	stats_acc(arg, &st);
	return 0;
}

void
mgr_viommu_queue_totals(struct uiommu_viommu *v, struct uiommu_vcmdq_stats *sum)
{
	memset(sum, 0, sizeof(*sum));
	uiommu_vcmdq_foreach(v, sum_queue, sum);
}

static void
put_queue_stats(struct stats_out *o, const struct uiommu_vcmdq_stats *st)
{
	put(o, "commands", st->commands);
	put(o, "syncs", st->syncs);
	put(o, "batches", st->batches);
	put(o, "backend_calls", st->backend_calls);
	put(o, "errors", st->errors);
	put(o, "msi_writes", st->msi_writes);
	put(o, "msi_dropped", st->msi_dropped);
	put(o, "busy_cycles", st->busy_cycles);
	put(o, "idle_cycles", st->idle_cycles);
	put(o, "bad_prod", st->bad_prod);
}

static void
put_lcore_stats(struct stats_out *o, const struct uiommu_poll_lcore_stats *l)
{
	put(o, "lcore", l->lcore_id);
	put(o, "running", l->running);
	put(o, "queues", l->nb_queues);
	put(o, "viommus", l->nb_viommus);
	put(o, "passes", l->passes);
	put(o, "busy_passes", l->busy_passes);
	put(o, "commands", l->commands);
	put(o, "backend_work", l->backend_work);
	put(o, "busy_cycles", l->busy_cycles);
	put(o, "idle_cycles", l->idle_cycles);
	put(o, "sleeps", l->sleeps);
	put(o, "set_updates", l->set_updates);
}

/* The mock backend's process-wide counters (tests read them via STATS). */
static void
put_mock_stats(struct stats_out *o)
{
	const struct uiommu_mock_state *ms = uiommu_mock_state();

	if (ms == NULL)
		return;
	put(o, "mock_invalidate_calls", ms->calls[UIOMMU_MOCK_INVALIDATE]);
	put(o, "mock_inv_total", ms->inv_total);
	put(o, "mock_set_ste_calls", ms->calls[UIOMMU_MOCK_SET_STE]);
	put(o, "mock_poll_calls", ms->calls[UIOMMU_MOCK_POLL]);
	put(o, "mock_live_viommus", ms->live_viommus);
	put(o, "mock_live_vdevices", ms->live_vdevices);
	put(o, "mock_live_s2_maps", ms->live_s2_maps);
	if (ms->nr_batches > 0)
		put(o, "mock_last_batch_len",
		    ms->batch_len[RTE_MIN(ms->nr_batches,
					  (uint32_t)RTE_DIM(ms->batch_len)) - 1]);
}

static int
stats_manager(struct uiommu_mgr *m, struct stats_out *o)
{
	uint64_t cmds = 0, busy = 0, idle = 0;

	for (uint32_t i = 0; i < uiommu_poll_nb_slots(m->poll); i++) {
		struct uiommu_poll_lcore_stats l;

		uiommu_poll_slot_stats(m->poll, i, &l);
		cmds += l.commands;
		busy += l.busy_cycles;
		idle += l.idle_cycles;
	}
	put(o, "connections", MGR_ST_GET(m, connections));
	put(o, "connections_now", MGR_ST_GET(m, connections_now));
	put(o, "vms", MGR_ST_GET(m, vms_now));
	put(o, "requests", MGR_ST_GET(m, requests));
	put(o, "request_errors", MGR_ST_GET(m, errors));
	put(o, "disconnects_bad", MGR_ST_GET(m, disconnects_bad));
	put(o, "refused", MGR_ST_GET(m, refused));
	put(o, "poll_lcores", uiommu_poll_is_inline(m->poll) ? 0 :
			       uiommu_poll_nb_slots(m->poll));
	put(o, "commands", cmds);
	put(o, "busy_cycles", busy);
	put(o, "idle_cycles", idle);
	put(o, "tsc_hz", rte_get_tsc_hz());
	put(o, "uptime_s", (rte_rdtsc() - m->start_tsc) / rte_get_tsc_hz());
	return 0;
}

static int
stats_vm(struct mgr_conn *t, struct stats_out *o)
{
	struct uiommu_vcmdq_stats sum = { 0 }, vs;
	struct uiommu_vm_info info;
	uint64_t nq = 0, nd = 0;

	uiommu_vm_info_get(t->vm, &info);
	for (unsigned int i = 0; i < RTE_DIM(t->viommus); i++) {
		struct uiommu_viommu_info vi;

		if (t->viommus[i].id == 0)
			continue;
		mgr_viommu_queue_totals(t->viommus[i].v, &vs);
		stats_acc(&sum, &vs);
		uiommu_viommu_info_get(t->viommus[i].v, &vi);
		nq += vi.nr_vcmdqs;
		nd += vi.nr_vdevices;
	}
	put(o, "vm_id", info.id);
	put(o, "pid", (uint64_t)t->pid);
	put(o, "regions", info.nr_regions);
	put(o, "ram_bytes", info.ram_bytes);
	put(o, "viommus", info.nr_viommus);
	put(o, "vdevices", nd);
	put(o, "vcmdqs", nq);
	put(o, "requests", __atomic_load_n(&t->requests, __ATOMIC_RELAXED));
	put(o, "request_errors", __atomic_load_n(&t->errors, __ATOMIC_RELAXED));
	put_queue_stats(o, &sum);
	return 0;
}

static int
stats_viommu(struct mgr_viommu *mv, struct uiommu_poll *p,
	     struct stats_out *o)
{
	struct uiommu_viommu_info vi;
	struct uiommu_vcmdq_stats sum;
	int lcore = uiommu_poll_viommu_lcore(p, mv->v);

	uiommu_viommu_info_get(mv->v, &vi);
	mgr_viommu_queue_totals(mv->v, &sum);
	put(o, "vmid", vi.vmid);
	put(o, "lcore", lcore >= 0 ? (uint64_t)lcore : UINT64_MAX);
	put(o, "vdevices", vi.nr_vdevices);
	put(o, "vcmdqs", vi.nr_vcmdqs);
	put(o, "strtab_set", vi.strtab_set);
	put(o, "strtab_log2", vi.strtab_log2);
	put(o, "events", vi.events);
	put(o, "events_lost", vi.events_lost);
	put_queue_stats(o, &sum);
	if (strcmp(mv->backend, "mock") == 0) {
		/*
		 * The mock's records are written by the polling lcore without
		 * synchronisation: take this VM off the lcores for the read
		 * (the grace period orders the lcore's writes before it).
		 */
		struct uiommu_vm *vm = uiommu_viommu_vm(mv->v);

		uiommu_poll_vm_pause(p, vm);
		put_mock_stats(o);
		uiommu_poll_vm_resume(p, vm);
	}
	return 0;
}

static int
stats_vcmdq(struct mgr_viommu *mv, uint32_t index, struct uiommu_poll *p,
	    struct stats_out *o)
{
	struct uiommu_vcmdq *q = uiommu_vcmdq_find(mv->v, index);
	struct uiommu_vcmdq_info qi;
	int lcore;

	if (q == NULL)
		return -ENOENT;
	uiommu_vcmdq_info_get(q, &qi);
	lcore = uiommu_poll_viommu_lcore(p, mv->v);
	put(o, "index", qi.index);
	put(o, "log2size", qi.log2size);
	put(o, "enabled", qi.enabled);
	put(o, "stopped", qi.stopped);
	put(o, "cons", qi.cons);
	put(o, "lcore", lcore >= 0 ? (uint64_t)lcore : UINT64_MAX);
	put_queue_stats(o, &qi.stats);
	return 0;
}

int
mgr_stats_collect(struct uiommu_mgr *m, struct mgr_conn *t, uint32_t scope,
		  uint32_t viommu_id, uint32_t index,
		  struct uiommu_proto_stat *out, uint32_t *n)
{
	struct stats_out o = { .s = out, .n = 0 };
	struct uiommu_poll_lcore_stats l;
	struct mgr_viommu *mv;
	int rc, slot;

	switch (scope) {
	case UIOMMU_STATS_MANAGER:
		rc = stats_manager(m, &o);
		break;
	case UIOMMU_STATS_LCORE:
		slot = uiommu_poll_lcore_slot(m->poll, index);
		if (slot < 0)
			return -ENOENT;
		uiommu_poll_slot_stats(m->poll, (uint32_t)slot, &l);
		put_lcore_stats(&o, &l);
		rc = 0;
		break;
	case UIOMMU_STATS_VM:
		if (t == NULL)
			return -ENOENT;
		rc = stats_vm(t, &o);
		break;
	case UIOMMU_STATS_VIOMMU:
	case UIOMMU_STATS_VCMDQ:
		mv = t != NULL ? mgr_viommu_lookup(t, viommu_id) : NULL;
		if (mv == NULL)
			return -ENOENT;
		if (scope == UIOMMU_STATS_VIOMMU)
			rc = stats_viommu(mv, m->poll, &o);
		else
			rc = stats_vcmdq(mv, index, m->poll, &o);
		break;
	default:
		return -EOPNOTSUPP;
	}
	if (rc == 0)
		*n = o.n;
	return rc;
}

int
mgr_handle_stats(struct mgr_conn *c, const void *req, const int *fds,
		 unsigned int nfds, struct mgr_reply *rep)
{
	const struct uiommu_msg_stats *r = req;
	struct uiommu_msg_stats_reply *h = (void *)rep->buf;
	struct mgr_conn *t = NULL;
	uint32_t n = 0;
	int rc;

	RTE_SET_USED(fds);
	RTE_SET_USED(nfds);
	if (r->scope == UIOMMU_STATS_MANAGER || r->scope == UIOMMU_STATS_LCORE) {
		if (!c->admin)
			return -EPERM;
	} else {
		rc = target_conn(c, r->vm_id, &t);
		if (rc != 0)
			return rc;
	}
	rc = mgr_stats_collect(c->m, t, r->scope, r->viommu_id, r->index,
			       (void *)(h + 1), &n);
	if (rc != 0)
		return rc;
	h->count = n;
	rep->len = sizeof(*h) + n * sizeof(struct uiommu_proto_stat);
	return 0;
}

/* --------------------------------------------------------- EVENTS_READ */

static void
event_to_proto(const struct uiommu_event *e, struct uiommu_proto_event *p)
{
	memset(p, 0, sizeof(*p));
	p->id = e->id;
	p->rnw = e->rnw;
	p->s2 = e->s2;
	p->class_ = e->class_;
	p->sid = e->sid;
	p->ssid = e->ssid;
	p->input_addr = e->input_addr;
	p->ipa = e->ipa;
	memcpy(p->raw, e->raw, sizeof(p->raw));
}

int
mgr_handle_events_read(struct mgr_conn *c, const void *req, const int *fds,
		       unsigned int nfds, struct mgr_reply *rep)
{
	const struct uiommu_msg_events_read *r = req;
	struct uiommu_msg_events_reply *h = (void *)rep->buf;
	struct uiommu_proto_event *out = (void *)(h + 1);
	struct mgr_viommu *mv = mgr_viommu_lookup(c, r->viommu_id);
	struct uiommu_event ev[32];
	uint32_t got = 0;
	uint64_t lost = 0;

	RTE_SET_USED(fds);
	RTE_SET_USED(nfds);
	if (mv == NULL)
		return -ENOENT;
	while (got < r->max) {
		unsigned int want = RTE_MIN(r->max - got, (uint32_t)RTE_DIM(ev));
		uint64_t l = 0;
		unsigned int n = uiommu_viommu_event_read(mv->v, ev, want, &l);

		lost += l;
		for (unsigned int i = 0; i < n; i++)
			event_to_proto(&ev[i], &out[got + i]);
		got += n;
		if (n < want)
			break;
	}
	h->count = got;
	h->lost = lost;
	rep->len = sizeof(*h) + got * sizeof(*out);
	return 0;
}

/* ----------------------------------------------------------- TRANSLATE */

static void
stage_to_proto(const struct uiommu_xlate_stage *s,
	       struct uiommu_proto_xlate_stage *p, bool hide_out)
{
	p->in = s->in;
	p->out = hide_out ? 0 : s->out;
	p->pgsize = s->pgsize;
	p->prot = s->prot;
	p->level = s->level;
	p->valid = s->valid;
	p->rsvd = 0;
}

int
mgr_handle_translate(struct mgr_conn *c, const void *req, const int *fds,
		     unsigned int nfds, struct mgr_reply *rep)
{
	const struct uiommu_msg_translate *r = req;
	struct uiommu_msg_translate_reply *o = (void *)rep->buf;
	struct uiommu_xlate x;
	struct uiommu_vdevice *d;
	struct mgr_viommu *mv;
	struct mgr_conn *t;
	uint32_t access = 0;
	int rc;

	RTE_SET_USED(fds);
	RTE_SET_USED(nfds);
	rc = target_conn(c, r->vm_id, &t);
	if (rc != 0)
		return rc;
	mv = mgr_viommu_lookup(t, r->viommu_id);
	if (mv == NULL)
		return -ENOENT;
	d = uiommu_vdevice_find(mv->v, r->vsid);
	if (d == NULL)
		return -ENOENT;
	if (r->access & UIOMMU_XLATE_READ)
		access |= UIOMMU_ACCESS_READ;
	if (r->access & UIOMMU_XLATE_WRITE)
		access |= UIOMMU_ACCESS_WRITE;
	memset(&x, 0, sizeof(x));
	rc = uiommu_vdevice_translate(d, r->iova, access, &x);
	if (rc != 0 && rc != -EFAULT)
		return rc;
	if (rc == -EFAULT) {
		o->flags |= UIOMMU_XLATE_F_FAULT;
		event_to_proto(&x.fault, &o->fault);
	}
	if (x.iotlb_hit)
		o->flags |= UIOMMU_XLATE_F_IOTLB_HIT;
	o->contig = rc == 0 ? x.contig : 0;
	stage_to_proto(&x.s1, &o->s1, false);
	/* Stage-2 output is a host address: never disclosed. */
	stage_to_proto(&x.s2, &o->s2, true);
	rep->len = sizeof(*o);
	return 0;
}

/* ---------------------------------------------------------------- LIST */

struct list_ctx {
	uint32_t kinds;
	uint32_t cursor;
	uint32_t max;
	uint32_t idx;        /* matching objects seen so far */
	uint32_t count;      /* entries written */
	struct uiommu_proto_list_entry *out;
	struct uiommu_poll *poll;
	uint32_t vm_id;
	uint32_t viommu_id;
};

static void
emit(struct list_ctx *l, const struct uiommu_proto_list_entry *e)
{
	if (!(l->kinds & (1u << e->kind)))
		return;
	if (l->idx >= l->cursor && l->count < l->max)
		l->out[l->count++] = *e;
	l->idx++;
}

static void
name_copy(char *dst, const char *src)
{
	size_t n = strnlen(src, UIOMMU_PROTO_LIST_NAME_LEN - 1);

	/* Truncation is intended: LIST names are labels. */
	memset(dst, 0, UIOMMU_PROTO_LIST_NAME_LEN);
	memcpy(dst, src, n);
}

static int
list_vdevice(struct uiommu_vdevice *d, void *arg)
{
	struct list_ctx *l = arg;
	struct uiommu_proto_list_entry e = { .kind = UIOMMU_LIST_VDEVICE };
	struct uiommu_vdevice_info di;

	uiommu_vdevice_info_get(d, &di);
	e.vm_id = l->vm_id;
	e.id = di.vsid;
	e.parent = l->viommu_id;
	e.a = di.vsid;
	e.b = di.blocked;
	e.c = di.ste_updates;
	e.d = di.ste_config;
	name_copy(e.name, di.spec);
	emit(l, &e);
	return 0;
}

static int
list_vcmdq(struct uiommu_vcmdq *q, void *arg)
{
	struct list_ctx *l = arg;
	struct uiommu_proto_list_entry e = { .kind = UIOMMU_LIST_VCMDQ };
	struct uiommu_vcmdq_info qi;
	int lcore = uiommu_poll_viommu_lcore(l->poll, uiommu_vcmdq_viommu(q));

	uiommu_vcmdq_info_get(q, &qi);
	e.vm_id = l->vm_id;
	e.id = qi.index;
	e.parent = l->viommu_id;
	e.a = qi.base_gpa;
	e.b = qi.log2size;
	e.c = qi.stats.commands;
	e.d = lcore >= 0 ? (uint32_t)lcore : UINT32_MAX;
	emit(l, &e);
	return 0;
}

static void
list_conn(struct list_ctx *l, struct mgr_conn *t)
{
	struct uiommu_proto_list_entry e = { .kind = UIOMMU_LIST_VM };
	const struct uiommu_gmem *gm = uiommu_vm_gmem(t->vm);
	struct uiommu_vm_info info;

	uiommu_vm_info_get(t->vm, &info);
	l->vm_id = t->vm_id;
	e.vm_id = t->vm_id;
	e.id = t->vm_id;
	e.a = (uint64_t)t->pid;
	e.b = info.nr_regions;
	e.c = info.ram_bytes;
	e.d = info.nr_viommus;
	name_copy(e.name, t->name);
	emit(l, &e);
	for (uint32_t i = 0; gm != NULL && i < gm->nr; i++) {
		e = (struct uiommu_proto_list_entry){
			.kind = UIOMMU_LIST_MEM, .vm_id = t->vm_id, .id = i,
			.a = gm->r[i].gpa, .b = gm->r[i].size,
			.c = gm->r[i].offset,
		};
		emit(l, &e);
	}
	for (unsigned int i = 0; i < RTE_DIM(t->viommus); i++) {
		const struct mgr_viommu *mv = &t->viommus[i];
		struct uiommu_viommu_info vi;
		int lcore;

		if (mv->id == 0)
			continue;
		uiommu_viommu_info_get(mv->v, &vi);
		lcore = uiommu_poll_viommu_lcore(l->poll, mv->v);
		e = (struct uiommu_proto_list_entry){
			.kind = UIOMMU_LIST_VIOMMU, .vm_id = t->vm_id,
			.id = mv->id, .parent = t->vm_id, .a = vi.vmid,
			.b = mv->caps, .c = vi.nr_vdevices,
			.d = lcore >= 0 ? (uint32_t)lcore : UINT32_MAX,
		};
		name_copy(e.name, mv->backend);
		emit(l, &e);
		if (vi.strtab_set) {
			e = (struct uiommu_proto_list_entry){
				.kind = UIOMMU_LIST_STRTAB, .vm_id = t->vm_id,
				.id = mv->id, .parent = mv->id,
				.a = vi.strtab_gpa, .b = vi.strtab_log2,
			};
			emit(l, &e);
		}
		l->viommu_id = mv->id;
		uiommu_vdevice_foreach(mv->v, list_vdevice, l);
		uiommu_vcmdq_foreach(mv->v, list_vcmdq, l);
	}
}

int
mgr_handle_list(struct mgr_conn *c, const void *req, const int *fds,
		unsigned int nfds, struct mgr_reply *rep)
{
	const struct uiommu_msg_list *r = req;
	struct uiommu_msg_list_reply *h = (void *)rep->buf;
	struct list_ctx l = {
		.kinds = r->kinds != 0 ? r->kinds : UIOMMU_LIST_ALL,
		.cursor = r->cursor,
		.max = r->max,
		.out = (void *)(h + 1),
		.poll = c->m->poll,
	};
	struct mgr_conn *t;

	RTE_SET_USED(fds);
	RTE_SET_USED(nfds);
	if (!c->admin || r->vm_id != 0) {
		int rc = target_conn(c, r->vm_id, &t);

		if (rc != 0)
			return rc;
		list_conn(&l, t);
	} else {
		TAILQ_FOREACH(t, &c->m->conns, next)
			if (t->vm != NULL)
				list_conn(&l, t);
	}
	h->count = l.count;
	h->total = l.idx;
	h->next_cursor = l.cursor + l.count < l.idx ? l.cursor + l.count : 0;
	rep->len = sizeof(*h) + l.count * sizeof(struct uiommu_proto_list_entry);
	return 0;
}

/* ---------------------------------------------------------- visibility */

int
mgr_target_conn(struct mgr_conn *c, uint32_t vm_id, struct mgr_conn **out)
{
	return target_conn(c, vm_id, out);
}
