/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Tests of the core's page-table dump wrappers (lib/core/ptdump.c):
 * request checks (each refused before the backend is called), a backend
 * without the ops (-EOPNOTSUPP, result zeroed), results passed through from
 * a real backend (soft: a blocked device, the vIOMMU's stage 2 over the
 * VM's RAM), the entry count the core keeps, and a callback that stops.
 */
#include <stdlib.h>
#include <string.h>

#include "uiommu_core.h"
#include "uiommu_ut.h"

#define RAM_GPA  0x80000000ULL
#define RAM_SIZE (4ULL << 20)

struct counter {
	unsigned int n;
	uint64_t leaf_bytes;
	int stop_at;          /* return non-zero at this entry (0: never) */
};

static int
count_cb(void *arg, const struct uiommu_pt_dump_entry *e)
{
	struct counter *c = arg;

	c->n++;
	if (e->kind != UIOMMU_PT_DUMP_TABLE)
		c->leaf_bytes += e->size;
	return c->stop_at != 0 && (int)c->n == c->stop_at ? -ECANCELED : 0;
}

struct env {
	struct uiommu_vm *vm;
	struct uiommu_viommu *v;
	struct uiommu_vdevice *d;
	void *ram;
};

static void
env_up(struct env *e, const char *name, const char *backend,
       const char *spec)
{
	memset(e, 0, sizeof(*e));
	e->ram = aligned_alloc(4096, RAM_SIZE);
	UT_ASSERT_FATAL(e->ram != NULL);
	memset(e->ram, 0, RAM_SIZE);
	UT_ASSERT_FATAL(uiommu_vm_create(name, &e->vm) == 0);
	UT_ASSERT_FATAL(uiommu_vm_mem_add_hva(e->vm, RAM_GPA, RAM_SIZE,
					      e->ram) == 0);
	UT_ASSERT_FATAL(uiommu_viommu_create(e->vm, backend, NULL, &e->v) == 0);
	UT_ASSERT_FATAL(uiommu_vdevice_add(e->v, 1, spec, NULL, &e->d) == 0);
}

static void
env_down(struct env *e)
{
	uiommu_vm_destroy(e->vm);
	free(e->ram);
}

static struct uiommu_pt_dump_req
good(void)
{
	struct uiommu_pt_dump_req r = {
		.first = 0, .last = UINT64_MAX, .max_entries = 64,
		.max_reads = UIOMMU_PT_DUMP_MAX_READS,
	};

	return r;
}

static void
test_request_checks(void)
{
	struct uiommu_pt_dump_req r;
	struct uiommu_pt_dump_res res;
	struct counter c = { 0 };
	struct env e;

	env_up(&e, "ptd-checks", "soft", "soft:dma0");
	r = good();
	CU_ASSERT_EQUAL(uiommu_vdevice_pt_dump(NULL, &r, count_cb, &c, &res),
			-EINVAL);
	CU_ASSERT_EQUAL(uiommu_vdevice_pt_dump(e.d, NULL, count_cb, &c, &res),
			-EINVAL);
	CU_ASSERT_EQUAL(uiommu_vdevice_pt_dump(e.d, &r, NULL, &c, &res),
			-EINVAL);
	CU_ASSERT_EQUAL(uiommu_vdevice_pt_dump(e.d, &r, count_cb, &c, NULL),
			-EINVAL);
	CU_ASSERT_EQUAL(uiommu_viommu_pt_dump(NULL, &r, count_cb, &c, &res),
			-EINVAL);
	r.first = 2;
	r.last = 1;
	CU_ASSERT_EQUAL(uiommu_vdevice_pt_dump(e.d, &r, count_cb, &c, &res),
			-EINVAL);
	r = good();
	r.max_entries = UIOMMU_PT_DUMP_MIN_ENTRIES - 1;
	CU_ASSERT_EQUAL(uiommu_viommu_pt_dump(e.v, &r, count_cb, &c, &res),
			-EINVAL);
	r = good();
	r.max_reads = UIOMMU_PT_DUMP_MIN_ENTRIES - 1;
	CU_ASSERT_EQUAL(uiommu_vdevice_pt_dump(e.d, &r, count_cb, &c, &res),
			-EINVAL);
	r.max_reads = UIOMMU_PT_DUMP_MAX_READS + 1;
	CU_ASSERT_EQUAL(uiommu_vdevice_pt_dump(e.d, &r, count_cb, &c, &res),
			-EINVAL);
	r = good();
	r.ssid = 3;
	CU_ASSERT_EQUAL(uiommu_vdevice_pt_dump(e.d, &r, count_cb, &c, &res),
			-EINVAL);
	r.ssv = true;
	CU_ASSERT_EQUAL(uiommu_viommu_pt_dump(e.v, &r, count_cb, &c, &res),
			-EINVAL);
	CU_ASSERT_EQUAL(c.n, 0);
	/* A substream of a blocked device: fine, nothing in force. */
	CU_ASSERT_EQUAL(uiommu_vdevice_pt_dump(e.d, &r, count_cb, &c, &res), 0);
	CU_ASSERT_EQUAL(res.state, UIOMMU_PT_DUMP_ST_ABORT);
	CU_ASSERT_EQUAL(res.stage, 1);
	CU_ASSERT_EQUAL(res.entries, 0);
	CU_ASSERT_EQUAL(c.n, 0);
	env_down(&e);
}

static void
test_backend_without_dump(void)
{
	struct uiommu_pt_dump_req r = good();
	struct uiommu_pt_dump_res res;
	struct counter c = { 0 };
	struct env e;

	env_up(&e, "ptd-mock", "mock", "mock:0");
	memset(&res, 0xa5, sizeof(res));
	CU_ASSERT_EQUAL(uiommu_vdevice_pt_dump(e.d, &r, count_cb, &c, &res),
			-EOPNOTSUPP);
	CU_ASSERT_EQUAL(res.state, 0);
	CU_ASSERT_EQUAL(res.entries, 0);
	CU_ASSERT_FALSE(res.more);
	CU_ASSERT_EQUAL(uiommu_viommu_pt_dump(e.v, &r, count_cb, &c, &res),
			-EOPNOTSUPP);
	CU_ASSERT_EQUAL(c.n, 0);
	env_down(&e);
}

static void
test_stage2_through_core(void)
{
	struct uiommu_pt_dump_req r = good();
	struct uiommu_pt_dump_res res;
	struct counter c = { 0 };
	struct env e;

	env_up(&e, "ptd-s2", "soft", "soft:dma0");
	/* 4 KiB host alignment: up to 1024 pages and their tables. */
	r.max_entries = 2048;
	CU_ASSERT_EQUAL(uiommu_viommu_pt_dump(e.v, &r, count_cb, &c, &res), 0);
	CU_ASSERT_EQUAL(res.state, UIOMMU_PT_DUMP_ST_TABLE);
	CU_ASSERT_EQUAL(res.stage, 2);
	CU_ASSERT_EQUAL(res.tag, uiommu_viommu_vmid(e.v));
	CU_ASSERT_TRUE(res.ttb_hidden);
	CU_ASSERT_FALSE(res.more);
	CU_ASSERT_EQUAL(res.entries, c.n);
	CU_ASSERT_EQUAL(c.leaf_bytes, RAM_SIZE);
	/* Paged at the smallest bound: the same leaves, in more calls. */
	{
		struct counter p = { 0 };
		unsigned int calls = 0;

		r.max_entries = UIOMMU_PT_DUMP_MIN_ENTRIES;
		r.first = 0;
		for (;;) {
			unsigned int before = p.n;

			UT_ASSERT_FATAL(++calls < 10000);
			CU_ASSERT_EQUAL(uiommu_viommu_pt_dump(e.v, &r, count_cb,
							      &p, &res), 0);
			CU_ASSERT_TRUE(p.n - before <= r.max_entries);
			CU_ASSERT_EQUAL(res.entries, p.n - before);
			if (!res.more)
				break;
			UT_ASSERT_FATAL(res.next > r.first);
			r.first = res.next;
		}
		CU_ASSERT_TRUE(calls > 1);
		CU_ASSERT_EQUAL(p.leaf_bytes, RAM_SIZE);
	}
	/* A callback that stops: its value comes back. */
	r = good();
	c = (struct counter){ .stop_at = 2 };
	CU_ASSERT_EQUAL(uiommu_viommu_pt_dump(e.v, &r, count_cb, &c, &res),
			-ECANCELED);
	CU_ASSERT_EQUAL(c.n, 2);
	env_down(&e);
}

int
main(int argc, char **argv)
{
	static const struct ut_case cases[] = {
		UT_CASE(test_request_checks),
		UT_CASE(test_backend_without_dump),
		UT_CASE(test_stage2_through_core),
		UT_END
	};

	return ut_main("core_ptdump", cases, argc, argv);
}
