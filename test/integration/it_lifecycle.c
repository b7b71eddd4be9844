/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Integration: the uiommu-mgr process itself.
 *
 * Shutdown on SIGTERM and SIGINT with VMs and running queues (exit 0,
 * socket unlinked), a configuration file applied (budget, backend
 * arguments, placement pins, VM limit, HELLO timeout), a stale socket file
 * replaced, and the telemetry commands. it_cli.c covers the command line.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <rte_common.h>

#include "it_util.h"
#include "uiommu_ut.h"

static void
busy_vm(const struct it_mgr *m, struct it_vm *vm, struct it_q *q)
{
	struct uiommu_cmd c[3];
	uint32_t err = 0;

	UT_ASSERT_FATAL(it_vm_setup(vm, m, "busy", "mock") == 0);
	UT_ASSERT_FATAL(uiommu_client_vdevice_add(vm->c, vm->vi.id, 1, "mock:1",
						  NULL) == 0);
	UT_ASSERT_FATAL(it_q_create(vm, 0, 4, q) == 0);
	c[0] = it_tlbi_va(1, 0x1000);
	c[1] = it_tlbi_va(1, 0x2000);
	c[2] = it_sync();
	UT_ASSERT_FATAL(it_q_run(q, c, 3, &err) == 0);
}

static void
stop_with(int sig)
{
	static const char *const extra[] = { "--backend", "mock", NULL };
	struct it_mgr m;
	struct it_vm vm;
	struct it_q q;
	char sock[sizeof(m.sock)];
	int rc, probe;

	UT_ASSERT_FATAL(it_mgr_start(&m, "0-1", extra) == 0);
	busy_vm(&m, &vm, &q);
	snprintf(sock, sizeof(sock), "%s", m.sock);
	/* A request still works just before the signal. */
	CU_ASSERT_EQUAL(it_stat(vm.c, UIOMMU_STATS_VM, 0, 0, 0, "viommus"), 1);
	probe = kill(m.pid, sig);
	CU_ASSERT_EQUAL(probe, 0);
	/* it_mgr_stop() sends the signal again (harmless) and waits. */
	rc = it_mgr_stop(&m, sig);
	CU_ASSERT_EQUAL(rc, 0);
	/* The socket file is gone, and the VM's connection was closed. */
	CU_ASSERT_NOT_EQUAL(access(sock, F_OK), 0);
	CU_ASSERT(it_stat(vm.c, UIOMMU_STATS_VM, 0, 0, 0, "viommus") ==
		  UINT64_MAX);
	it_vm_teardown(&vm);
}

static void
test_sigterm_exits_zero(void)
{
	stop_with(SIGTERM);
}

static void
test_sigint_exits_zero(void)
{
	stop_with(SIGINT);
}

/* A stale socket file (no one listening) is replaced. */
static void
test_stale_socket_replaced(void)
{
	char dir[] = "/tmp/uiommu-it-stale-XXXXXX";
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	const char *args[32];
	struct uiommu_client *admin;
	struct it_mgr m;
	int fd, n = 0;

	UT_ASSERT_FATAL(mkdtemp(dir) != NULL);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/stale.sock", dir);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	UT_ASSERT_FATAL(fd >= 0);
	UT_ASSERT_FATAL(bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0);
	close(fd);      /* the file stays, nobody listens */
	args[n++] = "--backend";
	args[n++] = "mock";
	args[n] = NULL;
	UT_ASSERT_FATAL(it_mgr_start_at(&m, sa.sun_path, "0-1", args) == 0);
	UT_ASSERT_FATAL(uiommu_client_connect(sa.sun_path, IT_DEADLINE_MS,
					      &admin) == 0);
	CU_ASSERT_EQUAL(uiommu_client_hello(admin, UIOMMU_HELLO_F_ADMIN, "x", 0,
					    NULL), 0);
	uiommu_client_close(admin);
	CU_ASSERT_EQUAL(it_mgr_stop(&m, SIGTERM), 0);
	CU_ASSERT_NOT_EQUAL(access(sa.sun_path, F_OK), 0);
	rmdir(dir);
}

/* The ini file is applied: budget, backend defaults, pins. */
static void
test_config_file(void)
{
	char dir[] = "/tmp/uiommu-it-cfg-XXXXXX";
	char cfg[128];
	const char *extra[8];
	struct uiommu_client_vcmdq q;
	struct it_mgr m;
	struct it_vm vm;
	FILE *f;

	UT_ASSERT_FATAL(mkdtemp(dir) != NULL);
	snprintf(cfg, sizeof(cfg), "%s/mgr.ini", dir);
	f = fopen(cfg, "w");
	UT_ASSERT_FATAL(f != NULL);
	fprintf(f, "; test configuration\n"
		   "[manager]\nbackend = mock\nmax_vms = 2\n"
		   "hello_timeout_ms = 300\n"
		   "[poll]\nlcores = 1\nbudget = 48\nidle_sleep_us = 10\n"
		   "idle_after_us = 100\n"
		   "[backend.mock]\nverbose = 0\n"
		   "[pin]\npinned = 1\n");
	fclose(f);
	extra[0] = "--config";
	extra[1] = cfg;
	extra[2] = NULL;
	UT_ASSERT_FATAL(it_mgr_start(&m, "0-1", extra) == 0);
	/* Backend defaults are merged with (empty) client args. */
	UT_ASSERT_FATAL(it_vm_setup(&vm, &m, "pinned", "") == 0);
	CU_ASSERT_EQUAL(vm.hello.poll_budget, 48);
	CU_ASSERT_EQUAL(uiommu_client_vcmdq_create(vm.c, vm.vi.id, 0, 4,
						   IT_RING_GPA(0), &q), 0);
	CU_ASSERT_EQUAL(q.lcore, 1);
	/* max_vms = 2: a third VM is refused; an admin still gets in. */
	{
		struct uiommu_client *c2, *c3, *admin;

		UT_ASSERT_FATAL(uiommu_client_connect(m.sock, IT_DEADLINE_MS,
						      &c2) == 0);
		UT_ASSERT_FATAL(uiommu_client_connect(m.sock, IT_DEADLINE_MS,
						      &c3) == 0);
		CU_ASSERT_EQUAL(uiommu_client_hello(c2, 0, "two", 0, NULL), 0);
		CU_ASSERT_EQUAL(uiommu_client_hello(c3, 0, "three", 0, NULL),
				-ENOSPC);
		admin = it_admin(&m);
		CU_ASSERT_PTR_NOT_NULL(admin);
		uiommu_client_close(admin);
		/*
		 * c3 never completed HELLO: after hello_timeout_ms the
		 * manager hangs up on it.
		 */
		{
			uint64_t d = it_now_ms() + IT_DEADLINE_MS;
			int rc;

			do {
				usleep(50000);
				rc = uiommu_client_hello(c3, 0, "three", 0,
							 NULL);
			} while (rc == -ENOSPC && it_now_ms() < d);
			CU_ASSERT(rc == -ECONNRESET || rc == -EPIPE);
		}
		uiommu_client_close(c3);
		uiommu_client_close(c2);
	}
	it_vm_teardown(&vm);
	CU_ASSERT_EQUAL(it_mgr_stop(&m, SIGTERM), 0);
	unlink(cfg);
	rmdir(dir);
}

/* Send one telemetry command; return the reply (static buffer) or NULL. */
static const char *
telemetry(int fd, const char *cmd)
{
	static char buf[16384];
	ssize_t n;

	if (send(fd, cmd, strlen(cmd), 0) < 0)
		return NULL;
	n = recv(fd, buf, sizeof(buf) - 1, 0);
	if (n <= 0)
		return NULL;
	buf[n] = '\0';
	return buf;
}

/* The /uiommu/... commands answer through DPDK's telemetry socket. */
static void
test_telemetry(void)
{
	static const char *const extra[] = { "--backend", "mock", NULL };
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char cmd[64], want[64], hello[4096];
	const char *r;
	struct it_mgr m;
	struct it_vm vm;
	struct it_q q;
	int fd;

	it_mgr_with_telemetry = true;
	UT_ASSERT_FATAL(it_mgr_start(&m, "0-1", extra) == 0);
	it_mgr_with_telemetry = false;
	busy_vm(&m, &vm, &q);
	it_telemetry_path(m.prefix, sa.sun_path, sizeof(sa.sun_path));
	fd = socket(AF_UNIX, SOCK_SEQPACKET, 0);
	UT_ASSERT_FATAL(fd >= 0);
	UT_ASSERT_FATAL(connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0);
	/* The server greets first. */
	CU_ASSERT(recv(fd, hello, sizeof(hello), 0) > 0);
	r = telemetry(fd, "/uiommu/vms");
	UT_ASSERT_FATAL(r != NULL);
	snprintf(want, sizeof(want), "[%u]", vm.hello.vm_id);
	CU_ASSERT_PTR_NOT_NULL(strstr(r, want));
	snprintf(cmd, sizeof(cmd), "/uiommu/queue,%u,%u,0", vm.hello.vm_id,
		 vm.vi.id);
	r = telemetry(fd, cmd);
	UT_ASSERT_FATAL(r != NULL);
	CU_ASSERT_PTR_NOT_NULL(strstr(r, "\"commands\":3"));
	snprintf(want, sizeof(want), "\"%u/%u/0\"", vm.hello.vm_id, vm.vi.id);
	r = telemetry(fd, "/uiommu/queues");
	CU_ASSERT(r != NULL && strstr(r, want) != NULL);
	r = telemetry(fd, "/uiommu/info");
	CU_ASSERT(r != NULL && strstr(r, "\"mode\":\"lcores\"") != NULL);
	r = telemetry(fd, "/uiommu/lcore,1");
	CU_ASSERT(r != NULL && strstr(r, "\"passes\"") != NULL);
	/* Bad parameters get an error answer, not a crash. */
	r = telemetry(fd, "/uiommu/vm,abc");
	CU_ASSERT(r != NULL && strstr(r, "null") != NULL);
	close(fd);
	it_vm_teardown(&vm);
	CU_ASSERT_EQUAL(it_mgr_stop(&m, SIGTERM), 0);
}

static const struct ut_case cases[] = {
	UT_CASE(test_sigterm_exits_zero),
	UT_CASE(test_sigint_exits_zero),
	UT_CASE(test_stale_socket_replaced),
	UT_CASE(test_config_file),
	UT_CASE(test_telemetry),
	UT_END
};

int
main(int argc, char **argv)
{
	int rc;

	signal(SIGPIPE, SIG_IGN);
	rc = ut_main("it_lifecycle", cases, argc, argv);
	return rc;
}
