/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fault-injection sweep through the manager (built with
 * -Dfault_injection=true only): the manager (lib/mgr) runs in this process,
 * serving its socket with uiommu_mgr_serve_once(), so that injection can be
 * armed around it (the manager process offers no way to arm it remotely).
 *
 *  - uiommu_mgr_create() fails on each of its resource acquisitions in
 *    turn: a clean errno, no fd left open, and the next create succeeds;
 *  - a client session (HELLO, MEM_ADD, VIOMMU_CREATE, STRTAB_SET,
 *    VDEVICE_ADD, VCMDQ_CREATE, then close) runs with the Nth acquisition
 *    of the manager side failing, for every N until the session completes:
 *    the failing request is answered with a clean errno (-ENOMEM or
 *    -ENOSPC), or the connection itself could not be set up; once the
 *    client is gone every object and fd it caused is gone; and a whole new
 *    session then succeeds on the same manager.
 * It prints the number of faults injected.
 */
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <rte_common.h>
#include <rte_log.h>

#include "uiommu_client.h"
#include "uiommu_core.h"
#include "uiommu_fail.h"
#include "uiommu_mgr.h"
#include "uiommu_ut.h"

#define RAM_GPA  0x40000000ULL
#define RAM_SIZE (2ULL << 20)

static char dir[64], sock[108];
static unsigned long faults;

static unsigned int
open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	unsigned int n = 0;

	if (d == NULL)
		return 0;
	while (readdir(d) != NULL)
		n++;
	closedir(d);
	return n;
}

static void
conf_fill(struct uiommu_mgr_conf *conf)
{
	uiommu_mgr_conf_init(conf);
	snprintf(conf->socket_path, sizeof(conf->socket_path), "%s", sock);
	snprintf(conf->backend, sizeof(conf->backend), "mock");
	conf->telemetry = false;
}

static void
test_mgr_create_sweep(void)
{
	struct uiommu_mgr_conf conf;
	unsigned int n, fds0 = open_fds();

	conf_fill(&conf);
	for (n = 1; n < 200; n++) {
		struct uiommu_mgr *m = NULL;
		int rc;

		uiommu_fail_nth_set(n);
		rc = uiommu_mgr_create(&conf, &m);
		if (!uiommu_fail_fired()) {
			uiommu_fail_nth_set(0);
			CU_ASSERT_EQUAL(rc, 0);
			uiommu_mgr_destroy(m);
			break;
		}
		uiommu_fail_nth_set(0);
		faults++;
		CU_ASSERT(rc == -ENOMEM || rc == -ENOSPC);
		if (rc == 0)
			uiommu_mgr_destroy(m);
		CU_ASSERT_EQUAL(open_fds(), fds0);
		CU_ASSERT_EQUAL(access(sock, F_OK), -1);
	}
	CU_ASSERT(n < 200);
	printf("  uiommu_mgr_create: %u faults injected\n", n - 1);
}

/* ---- a client session in its own thread ------------------------------ */

struct session {
	int ram;
	volatile bool done;
	int rc;              /* first error, 0 when complete */
	const char *where;
};

#define STEP(s, call, name) do { \
	int r_ = (call); \
	if (r_ != 0) { \
		(s)->rc = r_; \
		(s)->where = (name); \
		goto out; \
	} \
} while (0)

static void *
session_run(void *arg)
{
	struct session *s = arg;
	struct uiommu_client *c = NULL;
	struct uiommu_msg_hello_reply hr;
	struct uiommu_client_viommu vi;
	struct uiommu_client_vdevice dev;
	struct uiommu_client_vcmdq q;

	s->rc = 0;
	STEP(s, uiommu_client_connect(sock, 5000, &c), "connect");
	STEP(s, uiommu_client_hello(c, 0, "swept", UIOMMU_FEAT_ALL, &hr), "HELLO");
	STEP(s, uiommu_client_mem_add(c, RAM_GPA, RAM_SIZE, s->ram, 0), "MEM_ADD");
	STEP(s, uiommu_client_viommu_create(c, "mock", NULL, &vi), "VIOMMU_CREATE");
	STEP(s, uiommu_client_strtab_set(c, vi.id, RAM_GPA, 4), "STRTAB_SET");
	STEP(s, uiommu_client_vdevice_add(c, vi.id, 1, "mock:1", &dev),
	     "VDEVICE_ADD");
	STEP(s, uiommu_client_vcmdq_create(c, vi.id, 0, 8, RAM_GPA + 0x10000, &q),
	     "VCMDQ_CREATE");
out:
	uiommu_client_close(c);
	__atomic_store_n(&s->done, true, __ATOMIC_RELEASE);
	return NULL;
}

static int
count_vm(struct uiommu_vm *vm, void *arg)
{
	RTE_SET_USED(vm);
	(*(unsigned int *)arg)++;
	return 0;
}

static void
serve_until_closed(struct uiommu_mgr *m, uint64_t want_conns)
{
	struct uiommu_mgr_stats st;

	for (int i = 0; i < 500; i++) {
		(void)uiommu_mgr_serve_once(m, 10);
		uiommu_mgr_stats_get(m, &st);
		if (st.connections_now == want_conns)
			return;
	}
}

static void
test_session_sweep(void)
{
	const struct uiommu_mock_state *ms = uiommu_mock_state();
	struct uiommu_mgr_conf conf;
	struct uiommu_mgr *m;
	unsigned int n, fds0, by_faults = 0;
	int ram;

	conf_fill(&conf);
	UT_ASSERT_FATAL(uiommu_mgr_create(&conf, &m) == 0);
	ram = uiommu_client_memfd("failnth-ram", RAM_SIZE, 0);
	UT_ASSERT_FATAL(ram >= 0);
	/* Without injection the session completes. */
	{
		struct session warm = { .ram = ram };
		pthread_t t;

		UT_ASSERT_FATAL(pthread_create(&t, NULL, session_run, &warm) == 0);
		while (!__atomic_load_n(&warm.done, __ATOMIC_ACQUIRE))
			(void)uiommu_mgr_serve_once(m, 10);
		pthread_join(t, NULL);
		UT_ASSERT_FATAL(warm.rc == 0);
		serve_until_closed(m, 0);
	}
	fds0 = open_fds();
	for (n = 1; n < 500; n++) {
		struct session s = { .ram = ram };
		unsigned int vms = 0;
		pthread_t t;
		bool fired;

		uiommu_fail_nth_set(n);
		UT_ASSERT_FATAL(pthread_create(&t, NULL, session_run, &s) == 0);
		while (!__atomic_load_n(&s.done, __ATOMIC_ACQUIRE))
			(void)uiommu_mgr_serve_once(m, 10);
		pthread_join(t, NULL);
		fired = uiommu_fail_fired();
		uiommu_fail_nth_set(0);
		serve_until_closed(m, 0);
		if (!fired) {
			CU_ASSERT_EQUAL(s.rc, 0);
			break;
		}
		faults++;
		by_faults++;
		if (s.rc != -ENOMEM && s.rc != -ENOSPC && s.rc != -ECONNRESET &&
		    s.rc != -EPIPE)
			printf("  failure %u: %s -> %d\n", n, s.where, s.rc);
		/* A clean errno, or (a failure while accepting) no connection. */
		CU_ASSERT(s.rc == -ENOMEM || s.rc == -ENOSPC ||
			  s.rc == -ECONNRESET || s.rc == -EPIPE);
		/* Everything of the session is gone. */
		(void)uiommu_vm_foreach(count_vm, &vms);
		CU_ASSERT_EQUAL(vms, 0);
		CU_ASSERT(ms->live_viommus == 0 && ms->live_vdevices == 0 &&
			  ms->live_s2_maps == 0);
		CU_ASSERT_EQUAL(open_fds(), fds0);
		/* The manager still serves a new VM. */
		{
			struct session again = { .ram = ram };
			pthread_t t2;

			UT_ASSERT_FATAL(pthread_create(&t2, NULL, session_run,
						       &again) == 0);
			while (!__atomic_load_n(&again.done, __ATOMIC_ACQUIRE))
				(void)uiommu_mgr_serve_once(m, 10);
			pthread_join(t2, NULL);
			CU_ASSERT_EQUAL(again.rc, 0);
			serve_until_closed(m, 0);
		}
	}
	CU_ASSERT(n < 500);
	printf("  client session: %u faults injected\n", by_faults);
	close(ram);
	uiommu_mgr_destroy(m);
}

int
main(int argc, char **argv)
{
	static const struct ut_case cases[] = {
		UT_CASE(test_mgr_create_sweep),
		UT_CASE(test_session_sweep),
		UT_END
	};
	int rc;

	UT_ASSERT_FATAL(ut_eal_init("0") == 0);
	rte_log_set_global_level(RTE_LOG_CRIT);
	snprintf(dir, sizeof(dir), "/tmp/uiommu-failnth-XXXXXX");
	UT_ASSERT_FATAL(mkdtemp(dir) != NULL);
	snprintf(sock, sizeof(sock), "%s/mgr.sock", dir);
	rc = ut_main("failnth_mgr", cases, argc, argv);
	unlink(sock);
	rmdir(dir);
	printf("faults injected: %lu\n", faults);
	return rc;
}
