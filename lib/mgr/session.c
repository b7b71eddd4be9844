/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Session requests: the messages that create and destroy a connection's
 * objects (HELLO, MEM_ADD/DEL, VIOMMU_CREATE/DESTROY, VDEVICE_ADD/DEL,
 * STRTAB_SET, VCMDQ_CREATE/DESTROY).
 *
 * Every handler receives a payload whose size, reserved fields, strings
 * and fd count were already checked (proto.c); what is left is meaning:
 * ids must name objects of *this* connection (another VM's objects are
 * simply not found, so one client can never reach another's), ranges and
 * sizes are re-checked by the core, and file descriptors are inspected
 * before the core maps them, so that each kind of bad fd gets its own
 * errno. A handler either completes or leaves nothing behind (objects are
 * destroyed again when a later step fails), and the connection's table of
 * vIOMMUs is updated only once nothing can fail.
 *
 * Placement: a new vIOMMU goes to the lcore the configuration pins its VM's
 * HELLO name to, or round-robin; its queues follow it (core contract).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mgr_private.h"

struct mgr_viommu *
mgr_viommu_lookup(struct mgr_conn *c, uint32_t id)
{
	if (id == 0)
		return NULL;
	for (unsigned int i = 0; i < RTE_DIM(c->viommus); i++)
		if (c->viommus[i].id == id)
			return &c->viommus[i];
	return NULL;
}

void
mgr_session_teardown(struct mgr_conn *c)
{
	if (c->vm == NULL)
		return;
	/* The core retires every queue and vIOMMU through the poll engine. */
	uiommu_vm_destroy(c->vm);
	c->vm = NULL;
	memset(c->viommus, 0, sizeof(c->viommus));
	MGR_ST_SUB(c->m, vms_now, 1);
}

static uint32_t
vm_count(const struct uiommu_mgr *m)
{
	return (uint32_t)MGR_ST_GET(m, vms_now);
}

int
mgr_handle_hello(struct mgr_conn *c, const void *req, const int *fds,
		 unsigned int nfds, struct mgr_reply *rep)
{
	const struct uiommu_msg_hello *h = req;
	struct uiommu_msg_hello_reply *r = (void *)rep->buf;
	struct uiommu_mgr *m = c->m;
	char vmname[UIOMMU_VM_NAME_MAX];
	struct uiommu_vm_info info;
	int rc;

	RTE_SET_USED(fds);
	RTE_SET_USED(nfds);
	if (h->version != UIOMMU_PROTO_VERSION)
		return -EPROTONOSUPPORT;
	snprintf(c->name, sizeof(c->name), "%s",
		 h->name[0] != '\0' ? h->name : "vm");
	c->admin = !!(h->flags & UIOMMU_HELLO_F_ADMIN);
	if (!c->admin) {
		if (vm_count(m) >= m->conf.max_vms)
			return -ENOSPC;
		/* Core VM names are unique: prefix the connection number. */
		snprintf(vmname, sizeof(vmname), "%u.%.20s", c->id, c->name);
		rc = uiommu_vm_create(vmname, &c->vm);
		if (rc != 0)
			return rc;
		uiommu_vm_info_get(c->vm, &info);
		c->vm_id = info.id;
		MGR_ST_ADD(m, vms_now, 1);
	}
	c->hello_done = true;
	c->features = (h->features & UIOMMU_FEAT_ALL & ~UIOMMU_FEAT_SEALED_MEM);
	if (m->conf.require_sealed_mem)
		c->features |= UIOMMU_FEAT_SEALED_MEM;
	r->version = UIOMMU_PROTO_VERSION;
	r->vm_id = c->vm_id;
	r->features = c->features;
	r->max_payload = UIOMMU_PROTO_MAX_PAYLOAD;
	r->max_fds = UIOMMU_PROTO_MAX_FDS;
	r->max_mem_regions = UIOMMU_MAX_MEM_REGIONS;
	r->max_viommus = UIOMMU_MAX_VIOMMUS_PER_VM;
	r->max_vdevices = UIOMMU_MAX_VDEVICES;
	r->max_vcmdqs = UIOMMU_MAX_VCMDQS;
	r->vcmdq_min_log2 = UIOMMU_VCMDQ_MIN_LOG2;
	r->vcmdq_max_log2 = UIOMMU_VCMDQ_MAX_LOG2;
	r->strtab_max_log2 = UIOMMU_MAX_STRTAB_LOG2;
	r->poll_budget = m->conf.poll.budget;
	snprintf(r->server, sizeof(r->server), "uiommu-mgr %s",
		 UIOMMU_MGR_VERSION);
	rep->len = sizeof(*r);
	MGR_LOG(INFO, "connection %u: HELLO %s'%s' vm %u", c->id,
		c->admin ? "admin " : "", c->name, c->vm_id);
	return 0;
}

/*
 * Inspect a guest RAM fd before the core maps it. Each failure has its own
 * errno so that a VMM learns exactly what is wrong.
 */
static int
mem_fd_check(const struct uiommu_mgr *m, int fd, uint64_t offset,
	     uint64_t size)
{
	struct stat st;
	uint64_t end;
	int fl, seals;

	if (fstat(fd, &st) != 0)
		return -EBADF;
	if (!S_ISREG(st.st_mode))
		return -ENODEV;
	if (__builtin_add_overflow(offset, size, &end))
		return -EOVERFLOW;
	if ((uint64_t)st.st_size < end)
		return -ENXIO;
	fl = fcntl(fd, F_GETFL);
	if (fl < 0 || (fl & O_ACCMODE) != O_RDWR)
		return -EACCES;
	/*
	 * A file that can shrink under the manager's mapping would make the
	 * next access to that guest RAM raise SIGBUS in the manager, taking
	 * every VM down. So RAM must be sealed against shrinking: a memfd that
	 * allows sealing is sealed here (F_SEAL_SHRINK only: the VMM may still
	 * grow it); one that cannot be sealed (no MFD_ALLOW_SEALING, or not a
	 * memfd) is refused unless the operator trusts the VMMs
	 * (--allow-unsealed-mem).
	 */
	seals = fcntl(fd, F_GET_SEALS);
	if (seals >= 0 && !(seals & F_SEAL_SHRINK) &&
	    fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK) == 0)
		seals |= F_SEAL_SHRINK;
	if (seals < 0 || !(seals & F_SEAL_SHRINK)) {
		if (m->conf.require_sealed_mem)
			return -EPERM;
		MGR_LOG(WARNING, "guest RAM fd cannot be sealed against shrinking; "
			"a client that truncates it can crash the manager");
	}
	return 0;
}

int
mgr_handle_mem_add(struct mgr_conn *c, const void *req, const int *fds,
		   unsigned int nfds, struct mgr_reply *rep)
{
	const struct uiommu_msg_mem_add *r = req;
	uint64_t last;
	int rc;

	RTE_SET_USED(nfds);
	RTE_SET_USED(rep);
	/* Shape first (no fd access for a malformed request). */
	rc = uiommu_range_last(r->gpa, r->size, &last);
	if (rc != 0)
		return rc;
	if ((r->gpa | r->size | r->offset) & 4095)
		return -EINVAL;
	rc = mem_fd_check(c->m, fds[0], r->offset, r->size);
	if (rc != 0)
		return rc;
	return uiommu_vm_mem_add(c->vm, r->gpa, r->size, fds[0], r->offset);
}

int
mgr_handle_mem_del(struct mgr_conn *c, const void *req, const int *fds,
		   unsigned int nfds, struct mgr_reply *rep)
{
	const struct uiommu_msg_mem_del *r = req;

	RTE_SET_USED(fds);
	RTE_SET_USED(nfds);
	RTE_SET_USED(rep);
	return uiommu_vm_mem_del(c->vm, r->gpa, r->size);
}

/* Configured lcore of this connection's VM, or -1. */
static int
pinned_lcore(const struct mgr_conn *c)
{
	const struct uiommu_mgr_conf *conf = &c->m->conf;

	for (uint32_t i = 0; i < conf->nb_pins; i++)
		if (strcmp(conf->pins[i].vm_name, c->name) == 0)
			return (int)conf->pins[i].lcore;
	return -1;
}

int
mgr_handle_viommu_create(struct mgr_conn *c, const void *req, const int *fds,
			 unsigned int nfds, struct mgr_reply *rep)
{
	const struct uiommu_msg_viommu_create *r = req;
	struct uiommu_msg_viommu_create_reply *o = (void *)rep->buf;
	const struct uiommu_backend_ops *ops;
	char args[UIOMMU_PROTO_ARGS_LEN];
	struct uiommu_hw_info hw = { .caps = 0 };
	struct mgr_viommu *slot = NULL;
	struct uiommu_viommu *v;
	const char *backend;
	int rc;

	RTE_SET_USED(fds);
	RTE_SET_USED(nfds);
	backend = r->backend[0] != '\0' ? r->backend : c->m->conf.backend;
	ops = uiommu_backend_find(backend);
	if (ops == NULL)
		return -ENOENT;
	for (unsigned int i = 0; i < RTE_DIM(c->viommus) && slot == NULL; i++)
		if (c->viommus[i].id == 0)
			slot = &c->viommus[i];
	if (slot == NULL)
		return -ENOSPC;
	rc = uiommu_mgr_args_merge(&c->m->conf, backend, r->args, args,
				   sizeof(args));
	if (rc != 0)
		return -EINVAL;
	if (ops->hw_info != NULL)
		ops->hw_info(&hw);
	rc = uiommu_viommu_create(c->vm, backend, args[0] != '\0' ? args : NULL,
				  &v);
	if (rc != 0)
		return rc;
	rc = uiommu_poll_viommu_add(c->m->poll, v, pinned_lcore(c), NULL);
	if (rc == -EINVAL) {
		MGR_LOG(WARNING, "vm '%s': pinned lcore unusable, placing "
			"round-robin", c->name);
		rc = uiommu_poll_viommu_add(c->m->poll, v, -1, NULL);
	}
	if (rc != 0) {
		uiommu_viommu_destroy(v);
		return rc;
	}
	/* Nothing fails from here: publish in the connection's table. */
	if (++c->next_viommu_id == 0)
		c->next_viommu_id = 1;
	while (mgr_viommu_lookup(c, c->next_viommu_id) != NULL)
		c->next_viommu_id++;
	slot->id = c->next_viommu_id;
	slot->v = v;
	slot->caps = hw.caps;
	snprintf(slot->backend, sizeof(slot->backend), "%s", backend);
	o->viommu_id = slot->id;
	o->vmid = uiommu_viommu_vmid(v);
	o->caps = hw.caps;
	rep->len = sizeof(*o);
	return 0;
}

int
mgr_handle_viommu_destroy(struct mgr_conn *c, const void *req,
			  const int *fds, unsigned int nfds,
			  struct mgr_reply *rep)
{
	const struct uiommu_msg_viommu_destroy *r = req;
	struct mgr_viommu *mv = mgr_viommu_lookup(c, r->viommu_id);

	RTE_SET_USED(fds);
	RTE_SET_USED(nfds);
	RTE_SET_USED(rep);
	if (mv == NULL)
		return -ENOENT;
	uiommu_viommu_destroy(mv->v);
	memset(mv, 0, sizeof(*mv));
	return 0;
}

int
mgr_handle_vdevice_add(struct mgr_conn *c, const void *req, const int *fds,
		       unsigned int nfds, struct mgr_reply *rep)
{
	const struct uiommu_msg_vdevice_add *r = req;
	struct uiommu_msg_vdevice_add_reply *o = (void *)rep->buf;
	struct mgr_viommu *mv = mgr_viommu_lookup(c, r->viommu_id);
	struct uiommu_vdevice_info info;
	uint64_t region_size;
	int rc, ctrl_fd;

	RTE_SET_USED(fds);
	RTE_SET_USED(nfds);
	if (mv == NULL)
		return -ENOENT;
	if (strlen(r->spec) >= UIOMMU_VDEVICE_SPEC_MAX || r->spec[0] == '\0')
		return -EINVAL;
	rc = uiommu_viommu_ctrl_fd(mv->v, &ctrl_fd, &region_size);
	if (rc != 0)
		return rc;
	rc = uiommu_vdevice_add(mv->v, r->vsid, r->spec, &info, NULL);
	if (rc != 0)
		return rc;
	o->dev_id = r->vsid;
	if (info.has_regs) {
		o->flags |= UIOMMU_VDEVICE_F_REGS;
		o->regs_offset = info.regs_offset;
		o->region_size = region_size;
		o->regs_size = UIOMMU_CTRL_DEV_PAGE_SIZE;
		rep->fds[rep->nfds++] = ctrl_fd;
	}
	if (info.fd >= 0) {
		o->flags |= UIOMMU_VDEVICE_F_DEVFD;
		rep->fds[rep->nfds++] = info.fd;
	}
	rep->len = sizeof(*o);
	return 0;
}

int
mgr_handle_vdevice_del(struct mgr_conn *c, const void *req, const int *fds,
		       unsigned int nfds, struct mgr_reply *rep)
{
	const struct uiommu_msg_vdevice_del *r = req;
	struct mgr_viommu *mv = mgr_viommu_lookup(c, r->viommu_id);

	RTE_SET_USED(fds);
	RTE_SET_USED(nfds);
	RTE_SET_USED(rep);
	if (mv == NULL)
		return -ENOENT;
	return uiommu_vdevice_del(mv->v, r->dev_id);
}

int
mgr_handle_strtab_set(struct mgr_conn *c, const void *req, const int *fds,
		      unsigned int nfds, struct mgr_reply *rep)
{
	const struct uiommu_msg_strtab_set *r = req;
	struct mgr_viommu *mv = mgr_viommu_lookup(c, r->viommu_id);

	RTE_SET_USED(fds);
	RTE_SET_USED(nfds);
	RTE_SET_USED(rep);
	if (mv == NULL)
		return -ENOENT;
	return uiommu_viommu_set_strtab(mv->v, r->base_gpa, r->log2size);
}

int
mgr_handle_vcmdq_create(struct mgr_conn *c, const void *req, const int *fds,
			unsigned int nfds, struct mgr_reply *rep)
{
	const struct uiommu_msg_vcmdq_create *r = req;
	struct uiommu_msg_vcmdq_create_reply *o = (void *)rep->buf;
	struct mgr_viommu *mv = mgr_viommu_lookup(c, r->viommu_id);
	uint64_t off = 0, region_size;
	struct uiommu_vcmdq *q;
	uint32_t lcore = 0;
	int rc, ctrl_fd;

	RTE_SET_USED(fds);
	RTE_SET_USED(nfds);
	if (mv == NULL)
		return -ENOENT;
	rc = uiommu_viommu_ctrl_fd(mv->v, &ctrl_fd, &region_size);
	if (rc != 0)
		return rc;
	rc = uiommu_vcmdq_create(mv->v, r->index, r->log2size, r->base_gpa, &q,
				 &off);
	if (rc != 0)
		return rc;
	rc = uiommu_poll_vcmdq_add(c->m->poll, q, &lcore);
	if (rc != 0) {
		uiommu_vcmdq_destroy(q);
		return rc;
	}
	o->regs_offset = off;
	o->region_size = region_size;
	o->lcore = lcore;
	rep->fds[rep->nfds++] = ctrl_fd;
	rep->len = sizeof(*o);
	return 0;
}

int
mgr_handle_vcmdq_destroy(struct mgr_conn *c, const void *req, const int *fds,
			 unsigned int nfds, struct mgr_reply *rep)
{
	const struct uiommu_msg_vcmdq_destroy *r = req;
	struct mgr_viommu *mv = mgr_viommu_lookup(c, r->viommu_id);
	struct uiommu_vcmdq *q;

	RTE_SET_USED(fds);
	RTE_SET_USED(nfds);
	RTE_SET_USED(rep);
	if (mv == NULL)
		return -ENOENT;
	q = uiommu_vcmdq_find(mv->v, r->index);
	if (q == NULL)
		return -ENOENT;
	uiommu_vcmdq_destroy(q);
	return 0;
}
