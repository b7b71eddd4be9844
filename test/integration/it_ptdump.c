/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Integration: PT_DUMP through a real manager and lib/client.
 *
 * A VM connection builds stage-1 tables in its guest RAM with lib/pgtable
 * (GPA-addressed, as a guest driver would), writes a CD and a stage-1 STE
 * and tells the manager with CFGI_STE on a vCMDQ. Then:
 *  - the dump of the device's stage 1 equals lib/pgtable's walk of the
 *    same table, whole and paged four entries at a time (every page within
 *    its bound, the cursor always moving forward);
 *  - the stage-2 dump covers exactly the guest RAM, host addresses hidden;
 *  - the visibility rule: the VM itself and an admin connection may dump,
 *    another VM may not (-EPERM), unknown objects are -ENOENT, malformed
 *    requests get their errno;
 *  - a guest table pointer outside RAM is a WALK_EABT entry, records no
 *    event, and leaves the manager serving;
 *  - a blocked device reports state ABORT; a backend without dumps (mock)
 *    answers -EOPNOTSUPP;
 *  - uiommu-ctl dump uses PT_DUMP on soft and falls back to TRANSLATE
 *    page by page on mock.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include <rte_common.h>

#include "it_util.h"
#include "uiommu_backend.h"
#include "uiommu_pgtable.h"
#include "uiommu_smmu.h"
#include "uiommu_ut.h"

#define CD_GPA    (IT_RAM_GPA + 0x180000)
#define POOL_GPA  (IT_RAM_GPA + 0x200000)
#define POOL_SIZE 0x80000ULL
#define DATA_GPA  (IT_RAM_GPA + 0x300000)
#define HOLE_GPA  0x300000000ULL
#define VSID 1
#define ASID 7
#define MAXE 4096u

static struct it_mgr mgr;
static bool mgr_up;

static void
mgr_up_or_die(void)
{
	static const char *const extra[] = {
		"--backend", "soft", "--idle-sleep-us", "100",
		"--idle-after-us", "1000", NULL
	};

	if (mgr_up)
		return;
	UT_ASSERT_FATAL(it_mgr_start(&mgr, "0-1", extra) == 0);
	mgr_up = true;
}

/* ---- guest tables in the VM's RAM ------------------------------------- */

struct gpool {
	struct it_ram *ram;
	uint64_t next;
};

static int
g_alloc(void *ctx, size_t size, size_t align, uint64_t *addr)
{
	struct gpool *p = ctx;
	uint64_t a = RTE_ALIGN_CEIL(p->next, (uint64_t)align);

	if (a + size > POOL_GPA + POOL_SIZE)
		return -ENOMEM;
	p->next = a + size;
	*addr = a;
	return 0;
}

static void
g_free(void *ctx, uint64_t addr, size_t size)
{
	RTE_SET_USED(ctx);
	RTE_SET_USED(addr);
	RTE_SET_USED(size);
}

static void *
g_to_ptr(void *ctx, uint64_t addr, size_t size)
{
	struct gpool *p = ctx;

	if (addr < p->ram->gpa || size > p->ram->size ||
	    addr - p->ram->gpa > p->ram->size - size)
		return NULL;
	return it_ram_ptr(p->ram, addr);
}

static const struct uiommu_pt_mem_ops g_ops = {
	.alloc = g_alloc, .free = g_free, .to_ptr = g_to_ptr,
};

/* A soft VM whose device VSID translates through a guest stage-1 table. */
struct s1vm {
	struct it_vm vm;
	struct gpool pool;
	struct uiommu_pgtable *pt;
	struct it_q q;
};

static void
s1vm_setup(struct s1vm *s, const char *name)
{
	struct uiommu_pgtable_cfg cfg = {
		.format = UIOMMU_PT_ARM_LPAE_S1_4K, .ias = 48, .oas = 48,
		.mem_ops = &g_ops,
	};
	struct uiommu_cmd_info cfgi = { .op = UIOMMU_CMD_CFGI_STE, .sid = VSID };
	struct uiommu_cd_info cd = {
		.valid = 1, .t0sz = 16, .ips = 5, .aa64 = 1, .epd1 = 1,
		.asid = ASID, .mair = UIOMMU_LPAE_MAIR_VALUE,
	};
	struct uiommu_ste_info ste = {
		.valid = 1, .config = UIOMMU_STE_CFG_S1, .s1ctxptr = CD_GPA,
	};
	struct uiommu_client_vdevice dev;
	struct uiommu_cmd c[2];
	uint64_t raw[8];
	uint32_t err = 0;

	mgr_up_or_die();
	memset(s, 0, sizeof(*s));
	UT_ASSERT_FATAL(it_vm_setup(&s->vm, &mgr, name, "soft") == 0);
	UT_ASSERT_FATAL(uiommu_client_vdevice_add(s->vm.c, s->vm.vi.id, VSID,
						  "soft:dma0", &dev) == 0);
	s->pool = (struct gpool){ .ram = &s->vm.ram, .next = POOL_GPA };
	cfg.mem_ctx = &s->pool;
	UT_ASSERT_FATAL(uiommu_pgtable_create(&cfg, &s->pt) == 0);
	/* Pages, a read-only 2 MiB block, and a privileged-only page. */
	UT_ASSERT_FATAL(uiommu_pgtable_map(s->pt, 0x10000000, DATA_GPA,
					   0x3000, UIOMMU_PT_PROT_READ |
					   UIOMMU_PT_PROT_WRITE, NULL) == 0);
	UT_ASSERT_FATAL(uiommu_pgtable_map(s->pt, 0x40000000, POOL_GPA,
					   0x200000, UIOMMU_PT_PROT_READ,
					   NULL) == 0);
	UT_ASSERT_FATAL(uiommu_pgtable_map(s->pt, 0x7f0000000000ULL,
					   DATA_GPA + 0x10000, 0x1000,
					   UIOMMU_PT_PROT_READ |
					   UIOMMU_PT_PROT_PRIV, NULL) == 0);
	cd.ttb0 = uiommu_pgtable_root(s->pt);
	uiommu_cd_encode(&cd, raw);
	memcpy(it_ram_ptr(&s->vm.ram, CD_GPA), raw, sizeof(raw));
	uiommu_ste_encode(&ste, raw);
	memcpy(it_ram_ptr(&s->vm.ram, IT_STRTAB_GPA + 64 * VSID), raw,
	       sizeof(raw));
	UT_ASSERT_FATAL(it_q_create(&s->vm, 0, 4, &s->q) == 0);
	c[0] = it_cmd(&cfgi);
	c[1] = it_sync();
	UT_ASSERT_FATAL(it_q_run(&s->q, c, 2, &err) == 0);
}

static void
s1vm_teardown(struct s1vm *s)
{
	/* The tables live in the VM's RAM: free them while it is mapped. */
	uiommu_pgtable_destroy(s->pt);
	it_vm_teardown(&s->vm);
}

/* ---- reference and collection ------------------------------------------ */

struct elist {
	struct uiommu_proto_pt_entry *e;
	unsigned int n;
};

static void
elist_init(struct elist *l)
{
	l->e = calloc(MAXE, sizeof(*l->e));
	UT_ASSERT_FATAL(l->e != NULL);
	l->n = 0;
}

static int
ref_visit(void *arg, const struct uiommu_pt_visit *v)
{
	struct elist *l = arg;
	struct uiommu_proto_pt_entry *e;

	UT_ASSERT_FATAL(l->n < MAXE);
	e = &l->e[l->n++];
	memset(e, 0, sizeof(*e));
	e->in = v->iova;
	e->size = v->size;
	e->out = v->oa;
	e->pte = v->pte;
	e->level = (uint8_t)v->level;
	if (v->kind == UIOMMU_PT_VISIT_TABLE) {
		e->kind = UIOMMU_PT_ENTRY_TABLE;
		return 0;
	}
	e->kind = v->level == 3 ? UIOMMU_PT_ENTRY_PAGE : UIOMMU_PT_ENTRY_BLOCK;
	if (!(v->prot & UIOMMU_PT_PROT_PRIV))
		e->prot = UIOMMU_PT_PROT_R |
			  (v->prot & UIOMMU_PT_PROT_WRITE ? UIOMMU_PT_PROT_W : 0);
	e->attr = (uint8_t)((v->pte & UIOMMU_LPAE_PTE_ATTRINDX_MASK) >>
			    UIOMMU_LPAE_PTE_ATTRINDX_SHIFT);
	return 0;
}

static bool
same(const struct uiommu_proto_pt_entry *a,
     const struct uiommu_proto_pt_entry *b)
{
	return a->kind == b->kind && a->level == b->level && a->in == b->in &&
	       a->size == b->size && a->out == b->out && a->pte == b->pte &&
	       a->prot == b->prot && a->attr == b->attr && a->flags == b->flags;
}

static struct uiommu_msg_pt_dump
req_of(uint32_t vm_id, uint32_t viommu_id, uint32_t table, uint32_t max)
{
	struct uiommu_msg_pt_dump r = {
		.vm_id = vm_id, .viommu_id = viommu_id, .vsid = VSID,
		.table = table, .first = 0, .last = UINT64_MAX, .max = max,
	};

	return r;
}

/*
 * Page through a whole dump with the client; every reply within its
 * bounds and the cursor strictly moving. @return the last head.
 */
static struct uiommu_msg_pt_dump_reply
dump_all(struct uiommu_client *c, struct uiommu_msg_pt_dump req,
	 struct elist *out, unsigned int *requests)
{
	struct uiommu_proto_pt_entry *page = calloc(
		UIOMMU_PROTO_MAX_PT_ENTRIES, sizeof(*page));
	struct uiommu_msg_pt_dump_reply h;

	UT_ASSERT_FATAL(page != NULL);
	*requests = 0;
	for (;;) {
		uint64_t before = req.first;

		UT_ASSERT_FATAL(++*requests < 100000);
		memset(&h, 0, sizeof(h));
		UT_ASSERT_FATAL(uiommu_client_pt_dump(c, &req, &h, page) == 0);
		CU_ASSERT_TRUE(h.count <= req.max);
		CU_ASSERT_TRUE(h.reads <= UIOMMU_PT_DUMP_MAX_READS);
		for (uint32_t i = 0; i < h.count; i++) {
			UT_ASSERT_FATAL(out->n < MAXE);
			out->e[out->n++] = page[i];
		}
		if (!(h.flags & UIOMMU_PT_DUMP_R_MORE))
			break;
		UT_ASSERT_FATAL(req.first > before);
	}
	free(page);
	return h;
}

/* Keep the first occurrence of each table entry (pages repeat them). */
static void
dedupe_tables(struct elist *l)
{
	unsigned int w = 0;

	for (unsigned int i = 0; i < l->n; i++) {
		bool dup = false;

		for (unsigned int k = 0; k < w && !dup; k++)
			dup = l->e[i].kind == UIOMMU_PT_ENTRY_TABLE &&
			      same(&l->e[k], &l->e[i]);
		if (!dup)
			l->e[w++] = l->e[i];
	}
	l->n = w;
}

/* ---- tests -------------------------------------------------------------- */

static void
test_s1_matches_guest_table(void)
{
	struct uiommu_msg_pt_dump_reply h;
	struct elist ref, got, paged;
	unsigned int requests;
	struct s1vm s;

	s1vm_setup(&s, "ptdump-s1");
	elist_init(&ref);
	elist_init(&got);
	elist_init(&paged);
	CU_ASSERT_EQUAL(uiommu_pgtable_walk(s.pt, 0, UINT64_MAX, ref_visit,
					    &ref), 0);
	UT_ASSERT_FATAL(ref.n >= 8);
	h = dump_all(s.vm.c, req_of(0, s.vm.vi.id, UIOMMU_PT_DUMP_TABLE_S1,
				    UIOMMU_PROTO_MAX_PT_ENTRIES), &got,
		     &requests);
	CU_ASSERT_EQUAL(h.state, UIOMMU_PT_STATE_TABLE);
	CU_ASSERT_EQUAL(h.stage, 1);
	CU_ASSERT_EQUAL(h.tag, ASID);
	CU_ASSERT_EQUAL(h.ttb, uiommu_pgtable_root(s.pt));
	CU_ASSERT_EQUAL(h.ias, 48);
	CU_ASSERT_EQUAL(h.start_level, 0);
	CU_ASSERT_FALSE(h.flags & UIOMMU_PT_DUMP_R_TTB_HIDDEN);
	dedupe_tables(&got);
	CU_ASSERT_EQUAL(got.n, ref.n);
	for (unsigned int i = 0; i < RTE_MIN(got.n, ref.n); i++)
		CU_ASSERT_TRUE(same(&got.e[i], &ref.e[i]));
	/* Four entries at a time: same entries, more requests. */
	dump_all(s.vm.c, req_of(0, s.vm.vi.id, UIOMMU_PT_DUMP_TABLE_S1, 4),
		 &paged, &requests);
	CU_ASSERT_TRUE(requests > 2);
	dedupe_tables(&paged);
	CU_ASSERT_EQUAL(paged.n, ref.n);
	for (unsigned int i = 0; i < RTE_MIN(paged.n, ref.n); i++)
		CU_ASSERT_TRUE(same(&paged.e[i], &ref.e[i]));
	/* A sub-range: the leaves there, with the tables above them. */
	{
		struct uiommu_msg_pt_dump r = req_of(0, s.vm.vi.id,
			UIOMMU_PT_DUMP_TABLE_S1, 64);
		struct elist sub;

		elist_init(&sub);
		r.first = 0x10001000;
		r.last = 0x10001fff;
		dump_all(s.vm.c, r, &sub, &requests);
		UT_ASSERT_FATAL(sub.n == 4);
		CU_ASSERT_EQUAL(sub.e[3].kind, UIOMMU_PT_ENTRY_PAGE);
		CU_ASSERT_EQUAL(sub.e[3].in, 0x10001000);
		CU_ASSERT_EQUAL(sub.e[3].out, DATA_GPA + 0x1000);
		CU_ASSERT_EQUAL(sub.e[3].prot, UIOMMU_PT_PROT_R | UIOMMU_PT_PROT_W);
		free(sub.e);
	}
	free(ref.e);
	free(got.e);
	free(paged.e);
	s1vm_teardown(&s);
}

static void
test_s2_covers_ram(void)
{
	struct uiommu_msg_pt_dump_reply h;
	unsigned int requests;
	uint64_t covered = 0;
	struct elist got;
	struct s1vm s;

	s1vm_setup(&s, "ptdump-s2");
	elist_init(&got);
	h = dump_all(s.vm.c, req_of(0, s.vm.vi.id, UIOMMU_PT_DUMP_TABLE_S2, 8),
		     &got, &requests);
	CU_ASSERT_EQUAL(h.state, UIOMMU_PT_STATE_TABLE);
	CU_ASSERT_EQUAL(h.stage, 2);
	CU_ASSERT_EQUAL(h.tag, s.vm.vi.vmid);
	CU_ASSERT_TRUE((h.flags & UIOMMU_PT_DUMP_R_TTB_HIDDEN) && h.ttb == 0);
	for (unsigned int i = 0; i < got.n; i++) {
		const struct uiommu_proto_pt_entry *e = &got.e[i];

		CU_ASSERT_TRUE((e->flags & UIOMMU_PT_ENTRY_F_OUT_HIDDEN) &&
			       e->out == 0);
		CU_ASSERT_EQUAL(e->pte & UIOMMU_LPAE_PTE_ADDR_MASK, 0);
		if (e->kind == UIOMMU_PT_ENTRY_TABLE)
			continue;
		CU_ASSERT_TRUE(e->in >= IT_RAM_GPA &&
			       e->in + e->size <= IT_RAM_GPA + IT_RAM_SIZE);
		CU_ASSERT_EQUAL(e->prot, UIOMMU_PT_PROT_R | UIOMMU_PT_PROT_W);
		covered += e->size;
	}
	CU_ASSERT_EQUAL(covered, IT_RAM_SIZE);
	free(got.e);
	s1vm_teardown(&s);
}

static int
raw_pt_dump(struct uiommu_client *c, const struct uiommu_msg_pt_dump *r)
{
	return uiommu_client_request(c, UIOMMU_MSG_PT_DUMP, r, sizeof(*r),
				     NULL, 0, NULL, 0, NULL, NULL, NULL);
}

static void
test_visibility_and_errors(void)
{
	struct uiommu_proto_pt_entry ent[8];
	struct uiommu_msg_pt_dump_reply h;
	struct uiommu_msg_pt_dump r;
	struct uiommu_client *admin;
	struct s1vm s;
	struct it_vm other;
	uint32_t vm_id;

	s1vm_setup(&s, "ptdump-vis");
	vm_id = s.vm.hello.vm_id;
	admin = it_admin(&mgr);
	UT_ASSERT_FATAL(admin != NULL);
	/* The VM by its own id, the admin by the VM's id. */
	r = req_of(vm_id, s.vm.vi.id, UIOMMU_PT_DUMP_TABLE_S1, 8);
	CU_ASSERT_EQUAL(uiommu_client_pt_dump(s.vm.c, &r, &h, ent), 0);
	r = req_of(vm_id, s.vm.vi.id, UIOMMU_PT_DUMP_TABLE_S1, 8);
	CU_ASSERT_EQUAL(uiommu_client_pt_dump(admin, &r, &h, ent), 0);
	CU_ASSERT_EQUAL(h.state, UIOMMU_PT_STATE_TABLE);
	CU_ASSERT_TRUE(h.count > 0);
	r = req_of(vm_id, s.vm.vi.id, UIOMMU_PT_DUMP_TABLE_S2, 8);
	CU_ASSERT_EQUAL(uiommu_client_pt_dump(admin, &r, &h, ent), 0);
	/* Another VM may not look, whether or not the id exists. */
	UT_ASSERT_FATAL(it_vm_setup(&other, &mgr, "ptdump-other", "soft") == 0);
	r = req_of(vm_id, s.vm.vi.id, UIOMMU_PT_DUMP_TABLE_S1, 8);
	CU_ASSERT_EQUAL(uiommu_client_pt_dump(other.c, &r, &h, ent), -EPERM);
	r.vm_id = 999999;
	CU_ASSERT_EQUAL(uiommu_client_pt_dump(other.c, &r, &h, ent), -EPERM);
	/* Unknown objects. */
	CU_ASSERT_EQUAL(uiommu_client_pt_dump(admin, &r, &h, ent), -ENOENT);
	r = req_of(0, s.vm.vi.id + 100, UIOMMU_PT_DUMP_TABLE_S1, 8);
	CU_ASSERT_EQUAL(uiommu_client_pt_dump(s.vm.c, &r, &h, ent), -ENOENT);
	r = req_of(0, s.vm.vi.id, UIOMMU_PT_DUMP_TABLE_S1, 8);
	r.vsid = 9;
	CU_ASSERT_EQUAL(uiommu_client_pt_dump(s.vm.c, &r, &h, ent), -ENOENT);
	/* An admin's vm_id 0 names no VM. */
	r = req_of(0, s.vm.vi.id, UIOMMU_PT_DUMP_TABLE_S1, 8);
	CU_ASSERT_EQUAL(uiommu_client_pt_dump(admin, &r, &h, ent), -ENOENT);
	/* Malformed requests, answered and harmless. */
	r = req_of(0, s.vm.vi.id, 3, 8);
	CU_ASSERT_EQUAL(raw_pt_dump(s.vm.c, &r), -EOPNOTSUPP);
	r = req_of(0, s.vm.vi.id, UIOMMU_PT_DUMP_TABLE_S1, 3);
	CU_ASSERT_EQUAL(raw_pt_dump(s.vm.c, &r), -EINVAL);
	r = req_of(0, s.vm.vi.id, UIOMMU_PT_DUMP_TABLE_S1,
		   UIOMMU_PROTO_MAX_PT_ENTRIES + 1);
	CU_ASSERT_EQUAL(raw_pt_dump(s.vm.c, &r), -EINVAL);
	r = req_of(0, s.vm.vi.id, UIOMMU_PT_DUMP_TABLE_S1, 8);
	r.first = 2;
	r.last = 1;
	CU_ASSERT_EQUAL(raw_pt_dump(s.vm.c, &r), -EINVAL);
	r = req_of(0, s.vm.vi.id, UIOMMU_PT_DUMP_TABLE_S1, 8);
	r.rsvd = 1;
	CU_ASSERT_EQUAL(raw_pt_dump(s.vm.c, &r), -EINVAL);
	r = req_of(0, s.vm.vi.id, UIOMMU_PT_DUMP_TABLE_S2, 8);
	r.flags = UIOMMU_PT_DUMP_F_SSV;
	CU_ASSERT_EQUAL(raw_pt_dump(s.vm.c, &r), -EINVAL);
	r.flags = 1u << 4;
	CU_ASSERT_EQUAL(raw_pt_dump(s.vm.c, &r), -EOPNOTSUPP);
	CU_ASSERT_EQUAL(uiommu_client_request(s.vm.c, UIOMMU_MSG_PT_DUMP, &r,
					      sizeof(r) - 8, NULL, 0, NULL, 0,
					      NULL, NULL, NULL), -EBADMSG);
	/* The connection still works. */
	r = req_of(0, s.vm.vi.id, UIOMMU_PT_DUMP_TABLE_S1, 8);
	CU_ASSERT_EQUAL(uiommu_client_pt_dump(s.vm.c, &r, &h, ent), 0);
	it_vm_teardown(&other);
	uiommu_client_close(admin);
	s1vm_teardown(&s);
}

static int
find_l1(void *arg, const struct uiommu_pt_visit *v)
{
	uint64_t *gpa = arg;

	/* The level-1 table descriptor of IOVA 0x10000000 (in the L1 page). */
	if (v->kind == UIOMMU_PT_VISIT_TABLE && v->level == 1)
		*gpa = v->table_addr + (uint64_t)v->index * 8;
	return 0;
}

static void
test_hostile_pointer(void)
{
	struct uiommu_proto_pt_entry ent[64];
	struct uiommu_proto_event ev[4];
	struct uiommu_msg_pt_dump_reply h;
	struct uiommu_msg_pt_dump r;
	uint64_t desc_gpa = 0, *desc, saved;
	unsigned int n = 4;
	bool found = false;
	struct s1vm s;

	s1vm_setup(&s, "ptdump-hostile");
	CU_ASSERT_EQUAL(uiommu_pgtable_walk(s.pt, 0x10000000, 0x10000000,
					    find_l1, &desc_gpa), 0);
	UT_ASSERT_FATAL(desc_gpa != 0);
	desc = it_ram_ptr(&s.vm.ram, desc_gpa);
	saved = *desc;
	/* The guest points its level-1 table descriptor outside its RAM. */
	__atomic_store_n(desc, HOLE_GPA | UIOMMU_LPAE_PTE_TYPE_TABLE,
			 __ATOMIC_RELEASE);
	r = req_of(0, s.vm.vi.id, UIOMMU_PT_DUMP_TABLE_S1, 64);
	r.first = 0;
	r.last = (1ULL << 39) - 1;
	CU_ASSERT_EQUAL(uiommu_client_pt_dump(s.vm.c, &r, &h, ent), 0);
	CU_ASSERT_FALSE(h.flags & UIOMMU_PT_DUMP_R_MORE);
	for (uint32_t i = 0; i < h.count; i++)
		if (ent[i].kind == UIOMMU_PT_ENTRY_FAULT) {
			CU_ASSERT_EQUAL(ent[i].fault, UIOMMU_PT_FAULT_WALK_EABT);
			CU_ASSERT_EQUAL(ent[i].out, HOLE_GPA);
			CU_ASSERT_EQUAL(ent[i].level, 2);
			CU_ASSERT_EQUAL(ent[i].in, 0);
			CU_ASSERT_EQUAL(ent[i].size, 1ULL << 30);
			found = true;
		}
	CU_ASSERT_TRUE(found);
	/* The 2 MiB block at 0x40000000 is under another L1 entry: intact. */
	found = false;
	for (uint32_t i = 0; i < h.count; i++)
		found |= ent[i].kind == UIOMMU_PT_ENTRY_BLOCK &&
			 ent[i].in == 0x40000000 && ent[i].out == POOL_GPA &&
			 ent[i].prot == UIOMMU_PT_PROT_R;
	CU_ASSERT_TRUE(found);
	/* A dump records nothing; the manager still serves. */
	CU_ASSERT_EQUAL(uiommu_client_events_read(s.vm.c, s.vm.vi.id, ev, &n,
						  NULL), 0);
	CU_ASSERT_EQUAL(n, 0);
	CU_ASSERT_EQUAL(it_stat(s.vm.c, UIOMMU_STATS_VIOMMU, 0, s.vm.vi.id, 0,
				"events"), 0);
	*desc = saved;
	s1vm_teardown(&s);
}

static void
test_blocked_and_unsupported(void)
{
	struct uiommu_proto_pt_entry ent[8];
	struct uiommu_client_vdevice dev;
	struct uiommu_msg_pt_dump_reply h;
	struct uiommu_msg_pt_dump r;
	struct it_vm vm;

	mgr_up_or_die();
	/* A soft device nobody configured: blocked, no table. */
	UT_ASSERT_FATAL(it_vm_setup(&vm, &mgr, "ptdump-blocked", "soft") == 0);
	UT_ASSERT_FATAL(uiommu_client_vdevice_add(vm.c, vm.vi.id, VSID,
						  "soft:dma0", &dev) == 0);
	r = req_of(0, vm.vi.id, UIOMMU_PT_DUMP_TABLE_S1, 8);
	CU_ASSERT_EQUAL(uiommu_client_pt_dump(vm.c, &r, &h, ent), 0);
	CU_ASSERT_EQUAL(h.state, UIOMMU_PT_STATE_ABORT);
	CU_ASSERT_EQUAL(h.count, 0);
	it_vm_teardown(&vm);
	/* The mock backend has no dump: -EOPNOTSUPP for both tables. */
	UT_ASSERT_FATAL(it_vm_setup(&vm, &mgr, "ptdump-mock", "mock") == 0);
	UT_ASSERT_FATAL(uiommu_client_vdevice_add(vm.c, vm.vi.id, VSID,
						  "mock:0", &dev) == 0);
	r = req_of(0, vm.vi.id, UIOMMU_PT_DUMP_TABLE_S1, 8);
	CU_ASSERT_EQUAL(uiommu_client_pt_dump(vm.c, &r, &h, ent), -EOPNOTSUPP);
	r = req_of(0, vm.vi.id, UIOMMU_PT_DUMP_TABLE_S2, 8);
	CU_ASSERT_EQUAL(uiommu_client_pt_dump(vm.c, &r, &h, ent), -EOPNOTSUPP);
	CU_ASSERT_TRUE(vm.hello.features & UIOMMU_FEAT_PT_DUMP);
	it_vm_teardown(&vm);
}

/*
 * uiommu-ctl (next to uiommu-mgr in the build tree, or $UIOMMU_CTL) prints
 * with --json; @return its exit status, output in out[cap].
 */
static int
run_ctl(const char *args, char *out, size_t cap)
{
	const char *mgr_path = getenv("UIOMMU_MGR"), *ctl = getenv("UIOMMU_CTL");
	char path[512], cmd[1024];
	size_t got = 0;
	FILE *f;
	int st;

	if (ctl == NULL) {
		const char *slash;

		if (mgr_path == NULL)
			return -1;
		/* <build>/apps/uiommu-mgr/uiommu-mgr -> <build>/apps/uiommu-ctl/uiommu-ctl */
		slash = strrchr(mgr_path, '/');
		if (slash == NULL)
			return -1;
		snprintf(path, sizeof(path), "%.*s/../uiommu-ctl/uiommu-ctl",
			 (int)(slash - mgr_path), mgr_path);
		ctl = path;
	}
	snprintf(cmd, sizeof(cmd), "%s --socket %s --json %s 2>/dev/null", ctl,
		 mgr.sock, args);
	f = popen(cmd, "r");
	if (f == NULL)
		return -1;
	while (got + 1 < cap) {
		size_t n = fread(out + got, 1, cap - 1 - got, f);

		if (n == 0)
			break;
		got += n;
	}
	out[got] = '\0';
	st = pclose(f);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* uiommu-ctl dump: PT_DUMP on soft; TRANSLATE page by page on mock. */
static void
test_ctl_dump_fallback(void)
{
	struct uiommu_client_vdevice dev;
	static char out[1 << 16];
	char args[128];
	struct it_vm vm;
	struct s1vm s;

	s1vm_setup(&s, "ptdump-ctl");
	snprintf(args, sizeof(args), "dump %u %u 0x10000000 0x3000",
		 s.vm.hello.vm_id, VSID);
	CU_ASSERT_EQUAL(run_ctl(args, out, sizeof(out)), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "\"method\": \"pt_dump\""));
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "\"kind\": \"page\""));
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "\"complete\": true"));
	s1vm_teardown(&s);

	UT_ASSERT_FATAL(it_vm_setup(&vm, &mgr, "ptdump-ctl-mock", "mock") == 0);
	UT_ASSERT_FATAL(uiommu_client_vdevice_add(vm.c, vm.vi.id, VSID,
						  "mock:1", &dev) == 0);
	snprintf(args, sizeof(args), "dump %u %u 0x%llx 0x2000",
		 vm.hello.vm_id, VSID, (unsigned long long)IT_RAM_GPA);
	CU_ASSERT_EQUAL(run_ctl(args, out, sizeof(out)), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "\"method\": \"translate\""));
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "\"runs\""));
	it_vm_teardown(&vm);
}

static const struct ut_case cases[] = {
	UT_CASE(test_s1_matches_guest_table),
	UT_CASE(test_s2_covers_ram),
	UT_CASE(test_visibility_and_errors),
	UT_CASE(test_hostile_pointer),
	UT_CASE(test_blocked_and_unsupported),
	UT_CASE(test_ctl_dump_fallback),
	UT_END
};

int
main(int argc, char **argv)
{
	int rc;

	signal(SIGPIPE, SIG_IGN);
	rc = ut_main("it_ptdump", cases, argc, argv);
	/* A clean exit: the dumps left nothing the manager trips on. */
	if (mgr_up && it_mgr_stop(&mgr, SIGTERM) != 0 && rc == 0)
		rc = 1;
	return rc;
}
