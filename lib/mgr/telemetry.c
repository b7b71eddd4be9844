/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * rte_telemetry commands, so that `dpdk-telemetry.py` (or any client of
 * DPDK's telemetry socket) can inspect a running manager:
 *
 *   /uiommu/info                     configuration and mode
 *   /uiommu/stats                    manager totals
 *   /uiommu/vms                      VM ids
 *   /uiommu/vm,VM                    one VM's counters (+ viommu_ids)
 *   /uiommu/viommu,VM,VIOMMU         one vIOMMU's counters
 *   /uiommu/queues[,VM]              queues as "VM/VIOMMU/INDEX" strings
 *   /uiommu/queue,VM,VIOMMU,INDEX    one queue's counters
 *   /uiommu/lcores                   polling lcore ids
 *   /uiommu/lcore,LCORE              one polling lcore's counters
 *
 * Callbacks run on DPDK's telemetry thread: each takes the manager lock
 * (mgr_private.h), so it sees connections and objects in a consistent
 * state, and uses the same counter collection as the STATS message. DPDK
 * 22.11 cannot unregister a command and passes no argument to callbacks:
 * the commands are registered once per process and find the manager
 * through a pointer that mgr_telemetry_detach() clears (they then answer
 * -ENODEV).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_telemetry.h>

#include "mgr_private.h"

static pthread_mutex_t tel_lock = PTHREAD_MUTEX_INITIALIZER;
static struct uiommu_mgr *tel_mgr;
static bool tel_registered;

/* Lock and return the manager (tel_lock held on success). */
static struct uiommu_mgr *
tel_get(void)
{
	pthread_mutex_lock(&tel_lock);
	if (tel_mgr == NULL) {
		pthread_mutex_unlock(&tel_lock);
		return NULL;
	}
	pthread_mutex_lock(&tel_mgr->lock);
	return tel_mgr;
}

static void
tel_put(struct uiommu_mgr *m)
{
	pthread_mutex_unlock(&m->lock);
	pthread_mutex_unlock(&tel_lock);
}

/* Parse "a,b,c" into up to n unsigned numbers; returns count or -EINVAL. */
static int
tel_params(const char *params, uint32_t *v, int n)
{
	char buf[128], *save = NULL, *tok;
	int k = 0;

	if (params == NULL || *params == '\0')
		return 0;
	if (strlen(params) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, params);
	for (tok = strtok_r(buf, ",", &save); tok != NULL;
	     tok = strtok_r(NULL, ",", &save)) {
		if (k == n || uiommu_mgr_parse_u32(tok, UINT32_MAX, &v[k]) != 0)
			return -EINVAL;
		k++;
	}
	return k;
}

static int
tel_stats_dict(struct uiommu_mgr *m, struct mgr_conn *t, uint32_t scope,
	       uint32_t viommu_id, uint32_t index, struct rte_tel_data *d)
{
	struct uiommu_proto_stat st[UIOMMU_PROTO_MAX_STATS];
	uint32_t n = 0;
	int rc;

	rc = mgr_stats_collect(m, t, scope, viommu_id, index, st, &n);
	if (rc != 0)
		return rc;
	rte_tel_data_start_dict(d);
	for (uint32_t i = 0; i < n; i++)
		rte_tel_data_add_dict_u64(d, st[i].name, st[i].value);
	return 0;
}

static int
tel_info(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct uiommu_mgr *m = tel_get();
	struct rte_tel_data *lc;

	RTE_SET_USED(cmd);
	RTE_SET_USED(params);
	if (m == NULL)
		return -ENODEV;
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_string(d, "version", UIOMMU_MGR_VERSION);
	rte_tel_data_add_dict_string(d, "socket", m->conf.socket_path);
	rte_tel_data_add_dict_string(d, "backend", m->conf.backend);
	rte_tel_data_add_dict_string(d, "mode", uiommu_poll_is_inline(m->poll) ?
				     "inline" : "lcores");
	rte_tel_data_add_dict_u64(d, "budget", m->conf.poll.budget);
	rte_tel_data_add_dict_u64(d, "vm_budget", m->conf.poll.vm_budget);
	rte_tel_data_add_dict_u64(d, "vm_slice_ns", m->conf.poll.vm_slice_ns);
	rte_tel_data_add_dict_u64(d, "idle_sleep_us", m->conf.poll.idle_sleep_us);
	rte_tel_data_add_dict_u64(d, "idle_after_us", m->conf.poll.idle_after_us);
	rte_tel_data_add_dict_u64(d, "max_vms", m->conf.max_vms);
	rte_tel_data_add_dict_u64(d, "require_sealed_mem",
				  m->conf.require_sealed_mem);
	lc = rte_tel_data_alloc();
	if (lc != NULL) {
		rte_tel_data_start_array(lc, RTE_TEL_U64_VAL);
		for (uint32_t i = 0; i < m->conf.poll.nb_lcores; i++)
			rte_tel_data_add_array_u64(lc, m->conf.poll.lcores[i]);
		rte_tel_data_add_dict_container(d, "poll_lcores", lc, 0);
	}
	tel_put(m);
	return 0;
}

static int
tel_stats(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct uiommu_mgr *m = tel_get();
	int rc;

	RTE_SET_USED(cmd);
	RTE_SET_USED(params);
	if (m == NULL)
		return -ENODEV;
	rc = tel_stats_dict(m, NULL, UIOMMU_STATS_MANAGER, 0, 0, d);
	tel_put(m);
	return rc;
}

static int
tel_vms(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct uiommu_mgr *m = tel_get();
	struct mgr_conn *c;

	RTE_SET_USED(cmd);
	RTE_SET_USED(params);
	if (m == NULL)
		return -ENODEV;
	rte_tel_data_start_array(d, RTE_TEL_U64_VAL);
	TAILQ_FOREACH(c, &m->conns, next)
		if (c->vm != NULL)
			rte_tel_data_add_array_u64(d, c->vm_id);
	tel_put(m);
	return 0;
}

static int
tel_vm(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct uiommu_mgr *m;
	struct rte_tel_data *ids;
	struct mgr_conn *t;
	uint32_t v[1];
	int rc;

	RTE_SET_USED(cmd);
	if (tel_params(params, v, 1) != 1)
		return -EINVAL;
	m = tel_get();
	if (m == NULL)
		return -ENODEV;
	t = mgr_conn_by_vm_id(m, v[0]);
	rc = tel_stats_dict(m, t, UIOMMU_STATS_VM, 0, 0, d);
	if (rc == 0) {
		rte_tel_data_add_dict_string(d, "name", t->name);
		ids = rte_tel_data_alloc();
		if (ids != NULL) {
			rte_tel_data_start_array(ids, RTE_TEL_U64_VAL);
			for (unsigned int i = 0; i < RTE_DIM(t->viommus); i++)
				if (t->viommus[i].id != 0)
					rte_tel_data_add_array_u64(ids,
							t->viommus[i].id);
			rte_tel_data_add_dict_container(d, "viommu_ids", ids, 0);
		}
	}
	tel_put(m);
	return rc;
}

static int
tel_viommu(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct uiommu_mgr *m;
	uint32_t v[2];
	int rc;

	RTE_SET_USED(cmd);
	if (tel_params(params, v, 2) != 2)
		return -EINVAL;
	m = tel_get();
	if (m == NULL)
		return -ENODEV;
	rc = tel_stats_dict(m, mgr_conn_by_vm_id(m, v[0]), UIOMMU_STATS_VIOMMU,
			    v[1], 0, d);
	tel_put(m);
	return rc;
}

struct tel_q_ctx {
	struct rte_tel_data *d;
	uint32_t vm_id;
	uint32_t viommu_id;
};

static int
tel_queue_name(struct uiommu_vcmdq *q, void *arg)
{
	struct tel_q_ctx *x = arg;
	struct uiommu_vcmdq_info qi;
	char name[48];

	uiommu_vcmdq_info_get(q, &qi);
	snprintf(name, sizeof(name), "%u/%u/%u", x->vm_id, x->viommu_id,
		 qi.index);
	rte_tel_data_add_array_string(x->d, name);
	return 0;
}

static int
tel_queues(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct uiommu_mgr *m;
	struct mgr_conn *c;
	uint32_t v[1] = { 0 };
	int np;

	RTE_SET_USED(cmd);
	np = tel_params(params, v, 1);
	if (np < 0)
		return -EINVAL;
	m = tel_get();
	if (m == NULL)
		return -ENODEV;
	rte_tel_data_start_array(d, RTE_TEL_STRING_VAL);
	TAILQ_FOREACH(c, &m->conns, next) {
		if (c->vm == NULL || (np == 1 && c->vm_id != v[0]))
			continue;
		for (unsigned int i = 0; i < RTE_DIM(c->viommus); i++) {
			struct tel_q_ctx x = {
				.d = d, .vm_id = c->vm_id,
				.viommu_id = c->viommus[i].id,
			};

			if (c->viommus[i].id != 0)
				uiommu_vcmdq_foreach(c->viommus[i].v,
						     tel_queue_name, &x);
		}
	}
	tel_put(m);
	return 0;
}

static int
tel_queue(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct uiommu_mgr *m;
	uint32_t v[3];
	int rc;

	RTE_SET_USED(cmd);
	if (tel_params(params, v, 3) != 3)
		return -EINVAL;
	m = tel_get();
	if (m == NULL)
		return -ENODEV;
	rc = tel_stats_dict(m, mgr_conn_by_vm_id(m, v[0]), UIOMMU_STATS_VCMDQ,
			    v[1], v[2], d);
	tel_put(m);
	return rc;
}

static int
tel_lcores(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct uiommu_mgr *m = tel_get();

	RTE_SET_USED(cmd);
	RTE_SET_USED(params);
	if (m == NULL)
		return -ENODEV;
	rte_tel_data_start_array(d, RTE_TEL_U64_VAL);
	for (uint32_t i = 0; i < uiommu_poll_nb_slots(m->poll); i++) {
		struct uiommu_poll_lcore_stats st;

		uiommu_poll_slot_stats(m->poll, i, &st);
		rte_tel_data_add_array_u64(d, st.lcore_id);
	}
	tel_put(m);
	return 0;
}

static int
tel_lcore(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct uiommu_mgr *m;
	uint32_t v[1];
	int rc;

	RTE_SET_USED(cmd);
	if (tel_params(params, v, 1) != 1)
		return -EINVAL;
	m = tel_get();
	if (m == NULL)
		return -ENODEV;
	rc = tel_stats_dict(m, NULL, UIOMMU_STATS_LCORE, 0, v[0], d);
	tel_put(m);
	return rc;
}

static const struct {
	const char *cmd;
	telemetry_cb fn;
	const char *help;
} tel_cmds[] = {
	{ "/uiommu/info", tel_info,
	  "uiommu manager configuration and mode. No parameters" },
	{ "/uiommu/stats", tel_stats,
	  "uiommu manager totals. No parameters" },
	{ "/uiommu/vms", tel_vms, "uiommu VM ids. No parameters" },
	{ "/uiommu/vm", tel_vm, "uiommu VM counters. Parameters: vm id" },
	{ "/uiommu/viommu", tel_viommu,
	  "uiommu vIOMMU counters. Parameters: vm id, viommu id" },
	{ "/uiommu/queues", tel_queues,
	  "uiommu vCMDQs as vm/viommu/index. Parameters: [vm id]" },
	{ "/uiommu/queue", tel_queue,
	  "uiommu vCMDQ counters. Parameters: vm id, viommu id, index" },
	{ "/uiommu/lcores", tel_lcores,
	  "uiommu polling lcores. No parameters" },
	{ "/uiommu/lcore", tel_lcore,
	  "uiommu polling lcore counters. Parameters: lcore id" },
};

int
mgr_telemetry_attach(struct uiommu_mgr *m)
{
	int rc = 0;

	pthread_mutex_lock(&tel_lock);
	if (!tel_registered) {
		for (unsigned int i = 0; i < RTE_DIM(tel_cmds) && rc == 0; i++)
			rc = rte_telemetry_register_cmd(tel_cmds[i].cmd,
							tel_cmds[i].fn,
							tel_cmds[i].help);
		/* Commands registered before a failure stay (harmless). */
		tel_registered = rc == 0;
	}
	if (rc == 0)
		tel_mgr = m;
	pthread_mutex_unlock(&tel_lock);
	if (rc != 0)
		MGR_LOG(ERR, "telemetry registration failed: %d", rc);
	return rc;
}

void
mgr_telemetry_detach(struct uiommu_mgr *m)
{
	pthread_mutex_lock(&tel_lock);
	if (tel_mgr == m)
		tel_mgr = NULL;
	pthread_mutex_unlock(&tel_lock);
}
