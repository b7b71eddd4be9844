/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of lib/mgr/config.c: numbers, lcore lists, the ini file
 * (every section, unknown keys and sections, bad values) and backend
 * argument merging.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_common.h>
#include <rte_lcore.h>

#include "uiommu_mgr.h"
#include "uiommu_ut.h"

static char tmpdir[] = "/tmp/uiommu-cfg-ut-XXXXXX";

static const char *
write_ini(const char *name, const char *text)
{
	static char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	f = fopen(path, "w");
	UT_ASSERT_FATAL(f != NULL);
	fputs(text, f);
	fclose(f);
	return path;
}

static void
test_parse_u32(void)
{
	uint32_t v = 7;

	CU_ASSERT_EQUAL(uiommu_mgr_parse_u32("0", 10, &v), 0);
	CU_ASSERT_EQUAL(v, 0);
	CU_ASSERT_EQUAL(uiommu_mgr_parse_u32("10", 10, &v), 0);
	CU_ASSERT_EQUAL(v, 10);
	CU_ASSERT_EQUAL(uiommu_mgr_parse_u32("0x10", 100, &v), 0);
	CU_ASSERT_EQUAL(v, 16);
	CU_ASSERT_EQUAL(uiommu_mgr_parse_u32("11", 10, &v), -EINVAL);
	CU_ASSERT_EQUAL(uiommu_mgr_parse_u32("-1", 10, &v), -EINVAL);
	CU_ASSERT_EQUAL(uiommu_mgr_parse_u32(" 1", 10, &v), -EINVAL);
	CU_ASSERT_EQUAL(uiommu_mgr_parse_u32("1x", 10, &v), -EINVAL);
	CU_ASSERT_EQUAL(uiommu_mgr_parse_u32("", 10, &v), -EINVAL);
	CU_ASSERT_EQUAL(uiommu_mgr_parse_u32(NULL, 10, &v), -EINVAL);
	CU_ASSERT_EQUAL(uiommu_mgr_parse_u32("99999999999999999999",
					     UINT32_MAX, &v), -EINVAL);
	CU_ASSERT_EQUAL(uiommu_mgr_parse_u32("4294967295", UINT32_MAX, &v), 0);
	CU_ASSERT_EQUAL(v, UINT32_MAX);
	/* Per-VM budgets: "none" or 1 and more; 0 and junk refused. */
	CU_ASSERT_EQUAL(uiommu_mgr_parse_vm_budget("none", &v), 0);
	CU_ASSERT_EQUAL(v, UIOMMU_POLL_VM_BUDGET_NONE);
	CU_ASSERT_EQUAL(uiommu_mgr_parse_vm_budget("8", &v), 0);
	CU_ASSERT_EQUAL(v, 8);
	CU_ASSERT_EQUAL(uiommu_mgr_parse_vm_budget("0", &v), -EINVAL);
	CU_ASSERT_EQUAL(uiommu_mgr_parse_vm_budget("4294967295", &v), -EINVAL);
	CU_ASSERT_EQUAL(uiommu_mgr_parse_vm_budget("nonE", &v), -EINVAL);
	CU_ASSERT_EQUAL(uiommu_mgr_parse_vm_budget(NULL, &v), -EINVAL);
	CU_ASSERT_EQUAL(v, 8);
}

static void
test_lcore_list(void)
{
	struct uiommu_mgr_conf c;
	char big[512];
	size_t len = 0;

	uiommu_mgr_conf_init(&c);
	CU_ASSERT(c.poll_all_workers);
	CU_ASSERT_EQUAL(uiommu_mgr_conf_lcores(&c, "1,3-5"), 0);
	CU_ASSERT_FALSE(c.poll_all_workers);
	CU_ASSERT_EQUAL(c.poll.nb_lcores, 4);
	CU_ASSERT_EQUAL(c.poll.lcores[0], 1);
	CU_ASSERT_EQUAL(c.poll.lcores[1], 3);
	CU_ASSERT_EQUAL(c.poll.lcores[3], 5);
	CU_ASSERT_EQUAL(uiommu_mgr_conf_lcores(&c, "7"), 0);
	CU_ASSERT_EQUAL(c.poll.nb_lcores, 1);
	/* Failures leave the previous list alone. */
	CU_ASSERT_EQUAL(uiommu_mgr_conf_lcores(&c, "5-3"), -EINVAL);
	CU_ASSERT_EQUAL(uiommu_mgr_conf_lcores(&c, "1,"), 0);
	CU_ASSERT_EQUAL(uiommu_mgr_conf_lcores(&c, ",1"), -EINVAL);
	CU_ASSERT_EQUAL(uiommu_mgr_conf_lcores(&c, "1-"), -EINVAL);
	CU_ASSERT_EQUAL(uiommu_mgr_conf_lcores(&c, "a"), -EINVAL);
	CU_ASSERT_EQUAL(uiommu_mgr_conf_lcores(&c, "1;2"), -EINVAL);
	CU_ASSERT_EQUAL(uiommu_mgr_conf_lcores(&c, ""), -EINVAL);
	CU_ASSERT_EQUAL(uiommu_mgr_conf_lcores(&c, "100000"), -EINVAL);
	CU_ASSERT_EQUAL(c.poll.nb_lcores, 1);
	CU_ASSERT_EQUAL(c.poll.lcores[0], 1);
	/* More lcores than a manager may poll with. */
	for (unsigned int i = 0; i <= UIOMMU_MAX_POLL_LCORES &&
	     i < RTE_MAX_LCORE; i++)
		len += (size_t)snprintf(big + len, sizeof(big) - len, "%s%u",
					i ? "," : "", i);
	if (UIOMMU_MAX_POLL_LCORES < RTE_MAX_LCORE) {
		CU_ASSERT_EQUAL(uiommu_mgr_conf_lcores(&c, big), -E2BIG);
	}
}

static void
test_ini_good(void)
{
	struct uiommu_mgr_conf c;
	char err[128];
	const char *p = write_ini("good.ini",
		"; comment\n"
		"[manager]\n"
		"socket = /run/x.sock\n"
		"socket_mode = 0660\n"
		"backend = mock\n"
		"require_sealed_mem = no\n"
		"max_vms = 8\n"
		"telemetry = off\n"
		"[poll]\n"
		"lcores = 2-3\n"
		"budget = 32\n"
		"vm_budget = 12\n"
		"vm_slice_ns = 500\n"
		"idle_sleep_us = 50\n"
		"idle_after_us = 200\n"
		"[backend.soft]\n"
		"iotlb = 1024\n"
		"evtq = 64\n"
		"[pin]\n"
		"db-vm = 3\n"
		"web = 2\n");

	uiommu_mgr_conf_init(&c);
	CU_ASSERT(c.require_sealed_mem); /* safe by default */
	CU_ASSERT_EQUAL(uiommu_mgr_conf_load(&c, p, err, sizeof(err)), 0);
	CU_ASSERT_STRING_EQUAL(c.socket_path, "/run/x.sock");
	CU_ASSERT_EQUAL(c.socket_mode, 0660);
	CU_ASSERT_STRING_EQUAL(c.backend, "mock");
	CU_ASSERT_FALSE(c.require_sealed_mem);
	CU_ASSERT_EQUAL(c.max_vms, 8);
	CU_ASSERT_FALSE(c.telemetry);
	CU_ASSERT_EQUAL(c.poll.nb_lcores, 2);
	CU_ASSERT_EQUAL(c.poll.lcores[0], 2);
	CU_ASSERT_EQUAL(c.poll.budget, 32);
	CU_ASSERT_EQUAL(c.poll.vm_budget, 12);
	CU_ASSERT_EQUAL(c.poll.vm_slice_ns, 500);
	CU_ASSERT_EQUAL(c.poll.idle_sleep_us, 50);
	CU_ASSERT_EQUAL(c.poll.idle_after_us, 200);
	CU_ASSERT_EQUAL(c.nb_backend_args, 1);
	CU_ASSERT_STRING_EQUAL(c.backend_args[0].backend, "soft");
	CU_ASSERT_STRING_EQUAL(c.backend_args[0].args, "iotlb=1024,evtq=64");
	CU_ASSERT_EQUAL(c.nb_pins, 2);
	CU_ASSERT_STRING_EQUAL(c.pins[0].vm_name, "db-vm");
	CU_ASSERT_EQUAL(c.pins[0].lcore, 3);
	CU_ASSERT_EQUAL(c.pins[1].lcore, 2);
}

static void
expect_bad(const char *text, int rc, const char *needle)
{
	struct uiommu_mgr_conf c;
	char err[256];
	const char *p = write_ini("bad.ini", text);

	uiommu_mgr_conf_init(&c);
	CU_ASSERT_EQUAL(uiommu_mgr_conf_load(&c, p, err, sizeof(err)), rc);
	/* The message names the culprit. */
	CU_ASSERT_PTR_NOT_NULL(strstr(err, needle));
}

static void
test_ini_bad(void)
{
	struct uiommu_mgr_conf c;
	char err[128];

	expect_bad("[manager]\nsockett = /x\n", -EINVAL, "sockett");
	expect_bad("[managerx]\nsocket = /x\n", -EINVAL, "managerx");
	expect_bad("[poll]\nbudget = 0\n", -EINVAL, "budget");
	expect_bad("[poll]\nbudget = 10000000\n", -EINVAL, "budget");
	expect_bad("[poll]\nbudget = twelve\n", -EINVAL, "twelve");
	expect_bad("[poll]\nvm_budget = 0\n", -EINVAL, "vm_budget");
	expect_bad("[poll]\nvm_budget = few\n", -EINVAL, "few");
	expect_bad("[poll]\nvm_slice_ns = 2000000000\n", -EINVAL, "vm_slice");
	expect_bad("[poll]\nlcores = 3-1\n", -EINVAL, "lcores");
	expect_bad("[poll]\nidle_sleep_us = 2000000\n", -EINVAL, "idle_sleep");
	expect_bad("[manager]\nmax_vms = 0\n", -EINVAL, "max_vms");
	expect_bad("[manager]\nmax_vms = 100000\n", -EINVAL, "max_vms");
	expect_bad("[manager]\nrequire_sealed_mem = maybe\n", -EINVAL,
		   "maybe");
	expect_bad("[manager]\nsocket_mode = 01777\n", -EINVAL, "socket_mode");
	expect_bad("[pin]\nvm = lots\n", -EINVAL, "lots");
	expect_bad("[backend.]\nx = 1\n", -EINVAL, "backend.");
	expect_bad("[backend.soft]\nx = 1,y=2\n", -EINVAL, "backend.soft");
	uiommu_mgr_conf_init(&c);
	CU_ASSERT_EQUAL(uiommu_mgr_conf_load(&c, "/nonexistent/x.ini", err,
					     sizeof(err)), -ENOENT);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "/nonexistent/x.ini"));
	/* "lcores = all" restores the default. */
	uiommu_mgr_conf_init(&c);
	CU_ASSERT_EQUAL(uiommu_mgr_conf_lcores(&c, "1"), 0);
	CU_ASSERT_EQUAL(uiommu_mgr_conf_load(&c, write_ini("all.ini",
				"[poll]\nlcores = all\n"), err, sizeof(err)), 0);
	CU_ASSERT(c.poll_all_workers);
	CU_ASSERT_EQUAL(c.poll.nb_lcores, 0);
}

static void
test_args_merge(void)
{
	struct uiommu_mgr_conf c;
	char out[UIOMMU_PROTO_ARGS_LEN], small[8];
	char err[64];

	uiommu_mgr_conf_init(&c);
	CU_ASSERT_EQUAL(uiommu_mgr_conf_load(&c, write_ini("args.ini",
				"[backend.soft]\na = 1\nb = 2\n"), err,
				sizeof(err)), 0);
	/* No client args: the defaults. */
	CU_ASSERT_EQUAL(uiommu_mgr_args_merge(&c, "soft", NULL, out,
					      sizeof(out)), 0);
	CU_ASSERT_STRING_EQUAL(out, "a=1,b=2");
	/* Client keys override, new keys are added. */
	CU_ASSERT_EQUAL(uiommu_mgr_args_merge(&c, "soft", "b=9,c=3", out,
					      sizeof(out)), 0);
	CU_ASSERT_STRING_EQUAL(out, "a=1,b=9,c=3");
	/* Another backend has no defaults. */
	CU_ASSERT_EQUAL(uiommu_mgr_args_merge(&c, "mock", "x=1", out,
					      sizeof(out)), 0);
	CU_ASSERT_STRING_EQUAL(out, "x=1");
	CU_ASSERT_EQUAL(uiommu_mgr_args_merge(&c, "mock", "", out,
					      sizeof(out)), 0);
	CU_ASSERT_STRING_EQUAL(out, "");
	/* Flag-style keys are kvargs too. */
	CU_ASSERT_EQUAL(uiommu_mgr_args_merge(&c, "mock", "x=1,y", out,
					      sizeof(out)), 0);
	CU_ASSERT_STRING_EQUAL(out, "x=1,y");
	/* Malformed strings, which rte_kvargs alone would accept. */
	static const char *const bad[] = {
		"=1", "a=1,,b", ",a=1", "a=1,", "a==1", "a b=1", "a=b c",
		"k\x01=1", ","
	};
	for (unsigned int i = 0; i < RTE_DIM(bad); i++) {
		CU_ASSERT_EQUAL(uiommu_mgr_args_merge(&c, "soft", bad[i], out,
						      sizeof(out)), -EINVAL);
		CU_ASSERT_STRING_EQUAL(out, "");
	}
	CU_ASSERT_EQUAL(uiommu_mgr_args_merge(&c, "soft", "c=3", small,
					      sizeof(small)), -E2BIG);
	CU_ASSERT_STRING_EQUAL(small, "");
}

/* The shipped example configuration loads as documented. */
static void
test_example_file(void)
{
	const char *p = getenv("UIOMMU_EXAMPLE_INI");
	struct uiommu_mgr_conf c;
	char err[128];

	if (p == NULL) {
		printf("UIOMMU_EXAMPLE_INI not set: skipped\n");
		return;
	}
	uiommu_mgr_conf_init(&c);
	CU_ASSERT_EQUAL(uiommu_mgr_conf_load(&c, p, err, sizeof(err)), 0);
	CU_ASSERT_STRING_EQUAL(c.socket_path, "/run/uiommu/mgr.sock");
	CU_ASSERT_STRING_EQUAL(c.backend, "soft");
	CU_ASSERT(c.poll_all_workers);
	CU_ASSERT_EQUAL(c.poll.budget, UIOMMU_POLL_BUDGET_DEFAULT);
	CU_ASSERT_EQUAL(c.poll.vm_budget, UIOMMU_POLL_VM_BUDGET_DEFAULT);
	CU_ASSERT_EQUAL(c.poll.vm_slice_ns, 0);
	CU_ASSERT_EQUAL(c.hello_timeout_ms, 10000);
}

static const struct ut_case cases[] = {
	UT_CASE(test_parse_u32),
	UT_CASE(test_lcore_list),
	UT_CASE(test_ini_good),
	UT_CASE(test_ini_bad),
	UT_CASE(test_args_merge),
	UT_CASE(test_example_file),
	UT_END
};

int
main(int argc, char **argv)
{
	int rc;

	if (mkdtemp(tmpdir) == NULL)
		return 1;
	rc = ut_main("mgr_config", cases, argc, argv);
	unlink(write_ini("good.ini", ""));
	unlink(write_ini("bad.ini", ""));
	unlink(write_ini("all.ini", ""));
	unlink(write_ini("args.ini", ""));
	rmdir(tmpdir);
	return rc;
}
