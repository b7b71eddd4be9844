/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Integration: several VMs on one manager, and clients that die.
 *
 *  - two VM connections are isolated: one VM's garbage commands stop only
 *    its own queue, while the other's queue keeps completing; ids are per
 *    connection (the same numeric id names each one's own objects), and a
 *    VM can neither inspect nor reach the other;
 *  - a client process killed with SIGKILL (with queues running) has its
 *    whole VM torn down: the admin LIST count returns to zero, and the
 *    backend devices it held can be bound again;
 *  - a client dying in the middle of a message is cleaned up the same way.
 */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <rte_common.h>

#include "it_util.h"
#include "uiommu_ut.h"

static struct it_mgr mgr;
static bool mgr_up;

static void
mgr_up_or_die(void)
{
	static const char *const extra[] = {
		"--backend", "mock", "--idle-sleep-us", "50",
		"--idle-after-us", "2000", NULL
	};

	if (mgr_up)
		return;
	UT_ASSERT_FATAL(it_mgr_start(&mgr, "0-1", extra) == 0);
	mgr_up = true;
}

static bool
wait_objects(struct uiommu_client *admin, int want)
{
	uint64_t deadline = it_now_ms() + IT_DEADLINE_MS;

	while (it_count_objects(admin) != want) {
		if (it_now_ms() > deadline)
			return false;
		usleep(2000);
	}
	return true;
}

static void
test_two_vms_isolated(void)
{
	struct uiommu_cmd_info atc_b = { .op = UIOMMU_CMD_ATC_INV, .sid = 2 };
	struct uiommu_proto_stat st[4];
	unsigned int n = RTE_DIM(st);
	struct uiommu_cmd garbage[32], good[8];
	unsigned long long seed = ut_seed();
	uint32_t err = 0;
	struct it_vm a, b;
	struct it_q qa, qb;

	mgr_up_or_die();
	UT_ASSERT_FATAL(it_vm_setup(&a, &mgr, "vm-a", "mock") == 0);
	UT_ASSERT_FATAL(it_vm_setup(&b, &mgr, "vm-b", "mock") == 0);
	CU_ASSERT_NOT_EQUAL(a.hello.vm_id, b.hello.vm_id);
	CU_ASSERT_NOT_EQUAL(a.vi.vmid, b.vi.vmid);
	/* Same protocol id in both connections, different objects. */
	CU_ASSERT_EQUAL(a.vi.id, b.vi.id);
	UT_ASSERT_FATAL(uiommu_client_vdevice_add(a.c, a.vi.id, 1, "mock:10",
						  NULL) == 0);
	UT_ASSERT_FATAL(uiommu_client_vdevice_add(b.c, b.vi.id, 2, "mock:11",
						  NULL) == 0);
	/* A backend device is bound once, whichever VM asks. */
	CU_ASSERT_EQUAL(uiommu_client_vdevice_add(a.c, a.vi.id, 3, "mock:11",
						  NULL), -EBUSY);
	UT_ASSERT_FATAL(it_q_create(&a, 0, 6, &qa) == 0);
	UT_ASSERT_FATAL(it_q_create(&b, 0, 6, &qb) == 0);

	/* A: random words, then B's vSID, which A does not own. */
	for (unsigned int i = 0; i < RTE_DIM(garbage); i++) {
		garbage[i].dw[0] = ut_rand(&seed);
		garbage[i].dw[1] = ut_rand(&seed);
	}
	garbage[0] = it_cmd(&atc_b);
	CU_ASSERT_EQUAL(it_q_run(&qa, garbage, RTE_DIM(garbage), &err), -EIO);
	CU_ASSERT_EQUAL(err, UIOMMU_CERROR_ILL);

	/* B, meanwhile, works: its own vSID, TLBIs, syncs, many rounds. */
	for (unsigned int round = 0; round < 50; round++) {
		good[0] = it_tlbi_va(1, 0x1000ULL * (round + 1));
		good[1] = it_cmd(&atc_b);
		good[2] = it_sync();
		UT_ASSERT_FATAL(it_q_run(&qb, good, 3, &err) == 0);
	}
	CU_ASSERT_FALSE(uiommu_vcmdq_prod_error_pending(&qb.p, NULL, NULL));
	CU_ASSERT_EQUAL(it_stat(b.c, UIOMMU_STATS_VCMDQ, 0, b.vi.id, 0,
				"errors"), 0);
	CU_ASSERT_EQUAL(it_stat_eq(b.c, UIOMMU_STATS_VCMDQ, 0, b.vi.id, 0,
				   "commands", 150), 150);
	/* A is still stopped on its first bad command. */
	CU_ASSERT(uiommu_vcmdq_prod_error_pending(&qa.p, NULL, NULL));
	CU_ASSERT_EQUAL(it_stat(a.c, UIOMMU_STATS_VCMDQ, 0, a.vi.id, 0,
				"commands"), 0);

	/* Neither may look at the other. */
	CU_ASSERT_EQUAL(uiommu_client_stats(a.c, UIOMMU_STATS_VM,
					    b.hello.vm_id, 0, 0, st, &n),
			-EPERM);
	n = RTE_DIM(st);
	CU_ASSERT_EQUAL(uiommu_client_stats(a.c, UIOMMU_STATS_MANAGER, 0, 0, 0,
					    st, &n), -EPERM);

	/* A destroys "its" vIOMMU 1: B's vIOMMU 1 is untouched. */
	CU_ASSERT_EQUAL(uiommu_client_viommu_destroy(a.c, a.vi.id), 0);
	good[0] = it_tlbi_va(1, 0x1000);
	good[1] = it_sync();
	CU_ASSERT_EQUAL(it_q_run(&qb, good, 2, &err), 0);
	CU_ASSERT_EQUAL(uiommu_client_viommu_destroy(b.c, b.vi.id), 0);
	it_vm_teardown(&a);
	it_vm_teardown(&b);
}

/* Child: set up a VM with running queues, report, then wait to be killed. */
static void
child_vm(const char *sock, int ready_fd, bool mid_message)
{
	struct it_mgr m;
	struct uiommu_cmd c[2];
	struct it_vm vm;
	struct it_q q[2];
	uint32_t err;
	char ok = 'y';

	memset(&m, 0, sizeof(m));
	snprintf(m.sock, sizeof(m.sock), "%s", sock);
	if (it_vm_setup(&vm, &m, "doomed", "mock") != 0 ||
	    uiommu_client_vdevice_add(vm.c, vm.vi.id, 5, "mock:20",
				      NULL) != 0 ||
	    it_q_create(&vm, 0, 4, &q[0]) != 0 ||
	    it_q_create(&vm, 1, 4, &q[1]) != 0)
		ok = 'n';
	c[0] = it_tlbi_va(1, 0x1000);
	c[1] = it_sync();
	if (ok == 'y' && it_q_run(&q[0], c, 2, &err) != 0)
		ok = 'n';
	if (mid_message) {
		/* Half a header: the manager is left mid-message. */
		uint32_t magic = UIOMMU_PROTO_MAGIC;

		if (send(uiommu_client_fd(vm.c), &magic, sizeof(magic), 0) !=
		    sizeof(magic))
			ok = 'n';
	} else if (ok == 'y') {
		/* Leave commands in flight when the kill comes. */
		uiommu_vcmdq_prod_write(&q[1].p, c, 2);
		uiommu_vcmdq_prod_publish(&q[1].p);
	}
	if (write(ready_fd, &ok, 1) != 1)
		_exit(2);
	for (;;)
		pause();
}

static void
kill_client_case(bool mid_message)
{
	struct uiommu_client *admin;
	int fds[2], status;
	char ok = 0;
	pid_t pid;

	mgr_up_or_die();
	admin = it_admin(&mgr);
	UT_ASSERT_FATAL(admin != NULL);
	UT_ASSERT_FATAL(wait_objects(admin, 0));
	UT_ASSERT_FATAL(pipe(fds) == 0);
	pid = fork();
	UT_ASSERT_FATAL(pid >= 0);
	if (pid == 0) {
		close(fds[0]);
		child_vm(mgr.sock, fds[1], mid_message);
		_exit(0);
	}
	close(fds[1]);
	CU_ASSERT_EQUAL(read(fds[0], &ok, 1), 1);
	close(fds[0]);
	CU_ASSERT_EQUAL(ok, 'y');
	/* VM, RAM, vIOMMU, stream table, vDEVICE, two vCMDQs. */
	CU_ASSERT_EQUAL(it_count_objects(admin), 7);
	CU_ASSERT_EQUAL(it_stat(admin, UIOMMU_STATS_MANAGER, 0, 0, 0, "vms"), 1);
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	CU_ASSERT(wait_objects(admin, 0));
	CU_ASSERT_EQUAL(it_stat(admin, UIOMMU_STATS_MANAGER, 0, 0, 0, "vms"), 0);
	uiommu_client_close(admin);

	/* Its backend device was released: another VM can bind it. */
	{
		struct it_vm vm;

		UT_ASSERT_FATAL(it_vm_setup(&vm, &mgr, "heir", "mock") == 0);
		CU_ASSERT_EQUAL(uiommu_client_vdevice_add(vm.c, vm.vi.id, 5,
							  "mock:20", NULL), 0);
		it_vm_teardown(&vm);
	}
}

static void
test_killed_client_torn_down(void)
{
	kill_client_case(false);
}

static void
test_killed_mid_message_torn_down(void)
{
	kill_client_case(true);
}

/* Many VMs come and go; the survivors keep working. */
static void
test_churn(void)
{
	struct uiommu_client *admin;
	struct uiommu_cmd c[2];
	struct it_vm keep, tmp;
	uint32_t err = 0;
	struct it_q q, tq;

	mgr_up_or_die();
	UT_ASSERT_FATAL(it_vm_setup(&keep, &mgr, "keeper", "mock") == 0);
	UT_ASSERT_FATAL(it_q_create(&keep, 0, 4, &q) == 0);
	c[0] = it_tlbi_va(9, 0x9000);
	c[1] = it_sync();
	for (unsigned int i = 0; i < 10; i++) {
		UT_ASSERT_FATAL(it_vm_setup(&tmp, &mgr, "transient",
					    "mock") == 0);
		UT_ASSERT_FATAL(it_q_create(&tmp, 0, 4, &tq) == 0);
		CU_ASSERT_EQUAL(it_q_run(&tq, c, 2, &err), 0);
		it_vm_teardown(&tmp);
		CU_ASSERT_EQUAL(it_q_run(&q, c, 2, &err), 0);
	}
	it_vm_teardown(&keep);
	admin = it_admin(&mgr);
	UT_ASSERT_FATAL(admin != NULL);
	CU_ASSERT(wait_objects(admin, 0));
	uiommu_client_close(admin);
}

static void
test_shutdown(void)
{
	if (!mgr_up)
		return;
	CU_ASSERT_EQUAL(it_mgr_stop(&mgr, SIGTERM), 0);
	mgr_up = false;
}

static const struct ut_case cases[] = {
	UT_CASE(test_two_vms_isolated),
	UT_CASE(test_killed_client_torn_down),
	UT_CASE(test_killed_mid_message_torn_down),
	UT_CASE(test_churn),
	UT_CASE(test_shutdown),
	UT_END
};

int
main(int argc, char **argv)
{
	int rc = ut_main("it_isolation", cases, argc, argv);

	if (mgr_up)
		it_mgr_stop(&mgr, SIGKILL);
	return rc;
}
