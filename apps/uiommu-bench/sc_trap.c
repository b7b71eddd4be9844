/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Scenario "trap": the floor's request/response handed over by a syscall
 * wake-up instead of polling — the least a VM exit + ioctl path costs.
 *
 * Two variants, each one sample = one **round trip** timed on the main lcore:
 *
 *  - eventfd: two blocking eventfds. Main: write(req), read(resp). Worker:
 *    read(req), write(resp). Both sides sleep in the kernel between
 *    messages; every hand-over is a syscall plus a wake-up of a sleeping
 *    thread on the other CPU.
 *  - futex: two 32-bit words in separate lines. Main stores the request
 *    sequence number and always calls FUTEX_WAKE (a trapping guest always
 *    exits), then waits with FUTEX_WAIT until the response word equals it.
 *    The worker FUTEX_WAITs on the request word, answers by storing the
 *    number and calling FUTEX_WAKE. Private futexes; a wait returns at once
 *    (EAGAIN) if the word already changed, which is the usual futex
 *    protocol, so a sample never sleeps on a stale value.
 *
 *  - cmdq-eventfd: the poll scenario's commands (TLBI_NH_VA + CMD_SYNC in
 *    a vCMDQ of a bench VM, soft backend, warm IOTLB; bench_vm.c) handed
 *    over by a syscall instead of polling. The guest writes both commands,
 *    starts the timer, stores PROD, writes the request eventfd and blocks
 *    reading the response eventfd; the manager thread on the worker blocks
 *    in read() of the request eventfd, then calls uiommu_vcmdq_process()
 *    until the queue is empty (the same call the polling lcore makes) and
 *    writes the response eventfd; the guest checks that CONS passed the
 *    CMD_SYNC and stops the timer. This is what a VM exit + ioctl path
 *    costs at the least for the same work, and the variant the poll
 *    scenario's "same commands" target reads.
 *
 * Stop: the main lcore sets `stop` and wakes the worker one last time.
 * Every futex wait has a timeout, and both sides give up after
 * bench_vm_timeout(ctx) (at least BENCH_VM_STALL_S: the shared machines
 * stall a vCPU for seconds at times); the eventfd worker is only ever
 * blocked in read(), which the stop message ends.
 */
#include <errno.h>
#include <linux/futex.h>
#include <stdalign.h>
#include <stdio.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <rte_cycles.h>

#include "bench.h"
#include "bench_vm.h"

/* Futex wait timeout: wakes up to check stop and the overall bound. */
#define TRAP_WAIT_NS 100000000L
/* cmdq-eventfd: pages of the bench VM's device and ring size, as poll. */
#define TRAP_PAGES 64u
#define TRAP_RING_LOG2 8u

struct trap_shared {
	alignas(128) uint32_t req;	/* futex: request sequence */
	alignas(128) uint32_t resp;	/* futex: response sequence */
	alignas(128) uint32_t stop;
	int req_fd, resp_fd;		/* eventfd variant */
	uint64_t timeout_cycles;
};

struct trap_op {
	struct trap_shared *sh;
	uint32_t seq;
};

/* cmdq-eventfd: what the manager thread needs. */
struct trap_cmdq {
	struct trap_shared *sh;
	struct uiommu_vcmdq *q;
	uint64_t passes;	/* process() calls, for the note */
	uint64_t wakeups;
};

static long
futex(uint32_t *uaddr, int op, uint32_t val, const struct timespec *ts)
{
	return syscall(SYS_futex, uaddr, op, val, ts, NULL, 0);
}

static int
efd_write(int fd)
{
	uint64_t one = 1;

	for (;;) {
		if (write(fd, &one, sizeof(one)) == (ssize_t)sizeof(one))
			return 0;
		if (errno != EINTR)
			return -errno;
	}
}

static int
efd_read(int fd)
{
	uint64_t v;

	for (;;) {
		if (read(fd, &v, sizeof(v)) == (ssize_t)sizeof(v))
			return 0;
		if (errno != EINTR)
			return -errno;
	}
}

static int
eventfd_worker(void *arg)
{
	struct trap_shared *sh = arg;
	int rc;

	for (;;) {
		rc = efd_read(sh->req_fd);
		if (rc != 0)
			return rc;
		/* T2: pairs with the main lcore's release store T1 of stop. */
		if (__atomic_load_n(&sh->stop, __ATOMIC_ACQUIRE))
			return 0;
		rc = efd_write(sh->resp_fd);
		if (rc != 0)
			return rc;
	}
}

static int
eventfd_roundtrip(void *arg)
{
	struct trap_op *op = arg;
	int rc = efd_write(op->sh->req_fd);

	return rc != 0 ? rc : efd_read(op->sh->resp_fd);
}

static int
futex_worker(void *arg)
{
	struct trap_shared *sh = arg;
	struct timespec ts = { .tv_sec = 0, .tv_nsec = TRAP_WAIT_NS };
	uint32_t last = 0, v;
	uint64_t idle_since = rte_rdtsc();

	for (;;) {
		/* T4: pairs with the main lcore's release store T3 of req. */
		v = __atomic_load_n(&sh->req, __ATOMIC_ACQUIRE);
		if (__atomic_load_n(&sh->stop, __ATOMIC_ACQUIRE))
			return 0;
		if (v == last) {
			if (futex(&sh->req, FUTEX_WAIT_PRIVATE, last, &ts) != 0 &&
			    errno != EAGAIN && errno != EINTR && errno != ETIMEDOUT)
				return -errno;
			if (rte_rdtsc() - idle_since > sh->timeout_cycles)
				return -ETIMEDOUT;
			continue;
		}
		last = v;
		/* T5: release; pairs with the main lcore's acquire load T6. */
		__atomic_store_n(&sh->resp, v, __ATOMIC_RELEASE);
		if (futex(&sh->resp, FUTEX_WAKE_PRIVATE, 1, NULL) < 0)
			return -errno;
		idle_since = rte_rdtsc();
	}
}

static int
futex_roundtrip(void *arg)
{
	struct trap_op *op = arg;
	struct trap_shared *sh = op->sh;
	struct timespec ts = { .tv_sec = 0, .tv_nsec = TRAP_WAIT_NS };
	uint32_t seq = ++op->seq, v;
	uint64_t t0 = 0;

	/* T3: release; the worker's acquire load T4 sees the request. */
	__atomic_store_n(&sh->req, seq, __ATOMIC_RELEASE);
	if (futex(&sh->req, FUTEX_WAKE_PRIVATE, 1, NULL) < 0)
		return -errno;
	/* T6: pairs with the worker's release store T5. */
	while ((v = __atomic_load_n(&sh->resp, __ATOMIC_ACQUIRE)) != seq) {
		if (futex(&sh->resp, FUTEX_WAIT_PRIVATE, v, &ts) != 0 &&
		    errno != EAGAIN && errno != EINTR && errno != ETIMEDOUT)
			return -errno;
		if (t0 == 0)
			t0 = rte_rdtsc();
		else if (rte_rdtsc() - t0 > sh->timeout_cycles)
			return -ETIMEDOUT;
	}
	return 0;
}

static void
stop_worker(struct trap_shared *sh, bool use_eventfd)
{
	/* T1: release; pairs with the worker's acquire load T2. */
	__atomic_store_n(&sh->stop, 1, __ATOMIC_RELEASE);
	if (use_eventfd) {
		(void)efd_write(sh->req_fd);
	} else {
		__atomic_store_n(&sh->req, sh->req + 1, __ATOMIC_RELEASE);
		(void)futex(&sh->req, FUTEX_WAKE_PRIVATE, 1, NULL);
	}
}

static int
run_variant(struct bench_ctx *ctx, struct trap_shared *sh, bool use_eventfd)
{
	const char *variant = use_eventfd ? "eventfd" : "futex";
	struct trap_op op = { .sh = sh };
	struct bench_result *res;
	int rc, wrc;

	res = bench_set_add_latency(ctx->set, "trap", variant, "floor/rtt",
				    "round trip", 1);
	if (res == NULL)
		return -errno;
	snprintf(res->note, sizeof(res->note), "%s",
		 use_eventfd ? "blocking eventfd write+read each way" :
			       "FUTEX_WAKE always issued; FUTEX_WAIT until answered");
	sh->stop = 0;
	sh->req = sh->resp = 0;
	rc = bench_worker_start(ctx, use_eventfd ? eventfd_worker : futex_worker, sh);
	if (rc != 0) {
		bench_set_drop(ctx->set, res);
		return rc;
	}
	rc = bench_latency_loop(ctx, res, use_eventfd ? eventfd_roundtrip :
				futex_roundtrip, &op);
	stop_worker(sh, use_eventfd);
	wrc = bench_worker_wait(ctx);
	if (rc == 0)
		rc = wrc;
	if (rc != 0)
		bench_set_drop(ctx->set, res);
	return rc;
}

static int
cmdq_worker(void *arg)
{
	struct trap_cmdq *tc = arg;
	struct trap_shared *sh = tc->sh;
	int rc;

	for (;;) {
		unsigned int rounds = 0;

		rc = efd_read(sh->req_fd);
		if (rc != 0)
			return rc;
		/* T2: pairs with the main lcore's release store T1 of stop. */
		if (__atomic_load_n(&sh->stop, __ATOMIC_ACQUIRE))
			return 0;
		tc->wakeups++;
		/* Drain the queue; bounded: a ring never holds more than
		 * 2^TRAP_RING_LOG2 commands, and each call takes at least one. */
		do {
			tc->passes++;
		} while (uiommu_vcmdq_process(tc->q, UIOMMU_POLL_BUDGET_DEFAULT) != 0 &&
			 ++rounds <= (1u << TRAP_RING_LOG2));
		rc = efd_write(sh->resp_fd);
		if (rc != 0)
			return rc;
	}
}

/* Inside the timed window, after the PROD store: the syscall hand-over. */
static int
cmdq_kick(void *arg)
{
	struct trap_cmdq *tc = arg;
	int rc = efd_write(tc->sh->req_fd);

	return rc != 0 ? rc : efd_read(tc->sh->resp_fd);
}

static int
run_cmdq_variant(struct bench_ctx *ctx, struct trap_shared *sh)
{
	const struct bench_vm_conf conf = {
		.name = "bench-trap", .nviommus = 1, .nqueues = 1,
		.ring_log2 = TRAP_RING_LOG2, .s1_pages = TRAP_PAGES,
	};
	struct trap_cmdq tc = { .sh = sh };
	struct bench_result *res;
	struct bench_vm *vm;
	char why[128] = "";
	int rc, wrc;

	rc = bench_vm_create(&conf, &vm, why, sizeof(why));
	if (rc != 0) {
		fprintf(stderr, "trap/cmdq-eventfd: set-up: %s\n", why);
		return rc;
	}
	tc.q = vm->q[0].q;
	res = bench_set_add_latency(ctx->set, "trap", "cmdq-eventfd", "floor/rtt",
				    "round trip", 1);
	if (res == NULL) {
		rc = -errno;
		goto out_vm;
	}
	sh->stop = 0;
	rc = bench_worker_start(ctx, cmdq_worker, &tc);
	if (rc != 0)
		goto out_res;
	rc = bench_vq_rtt_loop(ctx, res, &vm->q[0], TRAP_PAGES, NULL, cmdq_kick, &tc);
	stop_worker(sh, true);
	wrc = bench_worker_wait(ctx);
	if (rc == 0)
		rc = wrc;
	if (rc != 0)
		goto out_res;
	snprintf(res->note, sizeof(res->note),
		 "poll's TLBI_NH_VA + CMD_SYNC; PROD, then eventfd each way; "
		 "manager drains the queue (%.1f process calls/wake-up)",
		 tc.wakeups ? (double)tc.passes / (double)tc.wakeups : 0.0);
	bench_vm_destroy(vm);
	return 0;
out_res:
	bench_set_drop(ctx->set, res);
out_vm:
	bench_vm_destroy(vm);
	return rc;
}

static int
trap_run(struct bench_ctx *ctx)
{
	struct trap_shared *sh;
	int rc;

	sh = bench_shared_alloc(sizeof(*sh), 128);
	if (sh == NULL) {
		rc = -ENOMEM;
		bench_set_failed(ctx->set, "trap", rc, "no memory for the shared lines");
		return rc;
	}
	/* The stall-tolerant bound of bench_vm.h: a futex waiter must not
	 * give up on a partner whose vCPU is only stalled by the host. */
	sh->timeout_cycles = bench_vm_timeout(ctx);
	sh->req_fd = eventfd(0, EFD_CLOEXEC);
	if (sh->req_fd < 0) {
		rc = -errno;
		goto out_sh;
	}
	sh->resp_fd = eventfd(0, EFD_CLOEXEC);
	if (sh->resp_fd < 0) {
		rc = -errno;
		goto out_req;
	}
	rc = run_variant(ctx, sh, true);
	if (rc == 0)
		rc = run_variant(ctx, sh, false);
	if (rc == 0)
		rc = run_cmdq_variant(ctx, sh);
	close(sh->resp_fd);
out_req:
	close(sh->req_fd);
out_sh:
	bench_shared_free(sh);
	if (rc != 0)
		bench_set_failed(ctx->set, "trap", rc, "syscall hand-over failed");
	return rc;
}

static const struct bench_scenario sc_trap = {
	.name = "trap",
	.summary = "the round trip (bare, or poll's vCMDQ commands) handed over by eventfd or futex wake-ups (baseline: floor)",
	.baseline = "floor",
	.order = 20,
	.plot = true,
	.run = trap_run,
};

BENCH_SCENARIO_REGISTER(sc_trap)
