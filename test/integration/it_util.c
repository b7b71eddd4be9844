/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Integration-test helpers (see it_util.h). The manager runs as a child
 * process (fork + execv of $UIOMMU_MGR, which meson sets; run by hand, the
 * manager of the build tree the test binary belongs to); this process
 * never starts EAL.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <rte_common.h>

#include "it_util.h"
#include "uiommu_smmu.h"
#include "uiommu_ut.h"

static unsigned int mgr_seq;
bool it_mgr_with_telemetry;

uint64_t
it_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/*
 * $UIOMMU_MGR, else the build tree's manager: this binary is
 * <build>/test/integration[/<dir>]/<test>, the manager
 * <build>/apps/uiommu-mgr/uiommu-mgr.
 */
static const char *
mgr_path(void)
{
	static char path[4096];
	const char *p = getenv("UIOMMU_MGR");
	char self[4000], *cut;
	ssize_t n;

	if (p != NULL)
		return p;
	if (path[0] != '\0')
		return path;
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0)
		return "uiommu-mgr";
	self[n] = '\0';
	cut = strstr(self, "/test/integration/");
	if (cut == NULL)
		return "uiommu-mgr";
	*cut = '\0';
	snprintf(path, sizeof(path), "%s/apps/uiommu-mgr/uiommu-mgr", self);
	return path;
}

static pid_t
spawn(char **argv)
{
	pid_t pid = fork();

	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);

		/* Quiet stdout; keep stderr for the test log. */
		if (null >= 0)
			dup2(null, STDOUT_FILENO);
		execv(argv[0], argv);
		fprintf(stderr, "it_util: cannot execute %s: %s (set UIOMMU_MGR)\n",
			argv[0], strerror(errno));
		_exit(127);
	}
	if (pid < 0)
		fprintf(stderr, "it_util: fork: %s\n", strerror(errno));
	return pid;
}

int
it_mgr_start(struct it_mgr *m, const char *lcores, const char *const *extra)
{
	return it_mgr_start_at(m, NULL, lcores, extra);
}

int
it_mgr_start_at(struct it_mgr *m, const char *sock, const char *lcores,
		const char *const *extra)
{
	char lc[32];
	char *argv[48];
	struct uiommu_client *c;
	int argc = 0, rc;

	memset(m, 0, sizeof(*m));
	if (sock != NULL) {
		snprintf(m->sock, sizeof(m->sock), "%s", sock);
	} else {
		snprintf(m->dir, sizeof(m->dir), "/tmp/uiommu-it-XXXXXX");
		if (mkdtemp(m->dir) == NULL)
			return -errno;
		snprintf(m->sock, sizeof(m->sock), "%s/mgr.sock", m->dir);
	}
	snprintf(m->prefix, sizeof(m->prefix), "uiommu_it_%d_%u", (int)getpid(),
		 ++mgr_seq);
	snprintf(lc, sizeof(lc), "%s", lcores != NULL ? lcores : "0-1");
	argv[argc++] = (char *)mgr_path();
	argv[argc++] = (char *)"--no-pci";
	argv[argc++] = (char *)"--in-memory";
	argv[argc++] = (char *)"--no-huge";
	argv[argc++] = (char *)"-m";
	argv[argc++] = (char *)"256";
	if (!it_mgr_with_telemetry)
		argv[argc++] = (char *)"--no-telemetry";
	argv[argc++] = (char *)"-l";
	argv[argc++] = lc;
	argv[argc++] = (char *)"--file-prefix";
	argv[argc++] = m->prefix;
	argv[argc++] = (char *)"--log-level=lib.eal:error";
	argv[argc++] = (char *)"--";
	argv[argc++] = (char *)"--socket";
	argv[argc++] = m->sock;
	for (int i = 0; extra != NULL && extra[i] != NULL && argc < 46; i++)
		argv[argc++] = (char *)extra[i];
	argv[argc] = NULL;
	m->pid = spawn(argv);
	if (m->pid < 0)
		return -errno;
	/* Retry while the socket does not exist yet; notice an early exit. */
	for (uint64_t deadline = it_now_ms() + IT_DEADLINE_MS;;) {
		int status;

		rc = uiommu_client_connect(m->sock, 100, &c);
		if (rc == 0)
			break;
		if (waitpid(m->pid, &status, WNOHANG) == m->pid) {
			fprintf(stderr, "uiommu-mgr exited early (status 0x%x)\n",
				status);
			m->pid = 0;
			if (m->dir[0] != '\0')
				rmdir(m->dir);
			return -ECHILD;
		}
		if (it_now_ms() > deadline) {
			it_mgr_stop(m, SIGKILL);
			return rc;
		}
	}
	uiommu_client_close(c);
	return 0;
}

int
it_mgr_stop(struct it_mgr *m, int sig)
{
	uint64_t deadline = it_now_ms() + IT_DEADLINE_MS;
	int status, rc = -1;

	if (m->pid <= 0)
		return -1;
	kill(m->pid, sig);
	for (;;) {
		pid_t w = waitpid(m->pid, &status, WNOHANG);

		if (w == m->pid) {
			rc = WIFEXITED(status) ? WEXITSTATUS(status) :
			     WIFSIGNALED(status) ? 128 + WTERMSIG(status) : -1;
			break;
		}
		if (w < 0 || it_now_ms() > deadline) {
			kill(m->pid, SIGKILL);
			waitpid(m->pid, &status, 0);
			break;
		}
		usleep(5000);
	}
	m->pid = 0;
	it_eal_dir_remove(m->prefix);
	if (m->dir[0] != '\0') {
		unlink(m->sock);
		rmdir(m->dir);
	}
	return rc;
}

/* EAL's runtime directory: /var/run/dpdk for root, else XDG's. */
static void
eal_dir(const char *prefix, char *buf, size_t len)
{
	const char *xdg = getenv("XDG_RUNTIME_DIR");

	if (getuid() != 0 && xdg != NULL)
		snprintf(buf, len, "%s/dpdk/%s", xdg, prefix);
	else
		snprintf(buf, len, "/var/run/dpdk/%s", prefix);
}

void
it_telemetry_path(const char *prefix, char *buf, size_t len)
{
	char dir[200];

	eal_dir(prefix, dir, sizeof(dir));
	snprintf(buf, len, "%s/dpdk_telemetry.v2", dir);
}

void
it_eal_dir_remove(const char *prefix)
{
	char path[256];

	it_telemetry_path(prefix, path, sizeof(path));
	unlink(path);
	eal_dir(prefix, path, sizeof(path));
	rmdir(path);
}

int
it_mgr_run_status(const char *const *argv_tail)
{
	uint64_t deadline = it_now_ms() + IT_DEADLINE_MS;
	char *argv[48];
	int argc = 0, status;
	pid_t pid;

	argv[argc++] = (char *)mgr_path();
	for (int i = 0; argv_tail[i] != NULL && argc < 47; i++)
		argv[argc++] = (char *)argv_tail[i];
	argv[argc] = NULL;
	pid = spawn(argv);
	if (pid < 0)
		return -1;
	for (;;) {
		pid_t w = waitpid(pid, &status, WNOHANG);

		if (w == pid)
			return WIFEXITED(status) ? WEXITSTATUS(status) :
			       128 + WTERMSIG(status);
		if (w < 0 || it_now_ms() > deadline) {
			fprintf(stderr, "it_util: %s %s: %s; killed\n", argv[0],
				argv_tail[0] != NULL ? argv_tail[0] : "",
				w < 0 ? strerror(errno) :
				"still running at the deadline");
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			return -1;
		}
		usleep(5000);
	}
}

int
it_ram_create(struct it_ram *r, uint64_t gpa, uint64_t size, bool seal)
{
	int fd = uiommu_client_memfd("it-ram", size,
				     seal ? UIOMMU_CLIENT_MEMFD_SEAL : 0);

	if (fd < 0)
		return fd;
	r->hva = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (r->hva == MAP_FAILED) {
		int rc = -errno;

		close(fd);
		return rc;
	}
	r->fd = fd;
	r->gpa = gpa;
	r->size = size;
	return 0;
}

void
it_ram_destroy(struct it_ram *r)
{
	if (r->hva != NULL && r->hva != MAP_FAILED)
		munmap(r->hva, r->size);
	if (r->fd > 0)
		close(r->fd);
	r->hva = NULL;
	r->fd = -1;
}

void *
it_ram_ptr(const struct it_ram *r, uint64_t gpa)
{
	UT_ASSERT_FATAL(gpa >= r->gpa && gpa - r->gpa < r->size);
	return r->hva + (gpa - r->gpa);
}

int
it_vm_setup(struct it_vm *vm, const struct it_mgr *m, const char *name,
	    const char *backend)
{
	int rc;

	memset(vm, 0, sizeof(*vm));
	vm->ram.fd = -1;
	rc = uiommu_client_connect(m->sock, IT_DEADLINE_MS, &vm->c);
	if (rc != 0)
		return rc;
	rc = uiommu_client_hello(vm->c, 0, name, UIOMMU_FEAT_ALL, &vm->hello);
	if (rc != 0)
		return rc;
	rc = it_ram_create(&vm->ram, IT_RAM_GPA, IT_RAM_SIZE, true);
	if (rc != 0)
		return rc;
	rc = uiommu_client_mem_add(vm->c, IT_RAM_GPA, IT_RAM_SIZE, vm->ram.fd,
				   0);
	if (rc != 0)
		return rc;
	rc = uiommu_client_viommu_create(vm->c, backend, NULL, &vm->vi);
	if (rc != 0)
		return rc;
	return uiommu_client_strtab_set(vm->c, vm->vi.id, IT_STRTAB_GPA,
					IT_STRTAB_LOG2);
}

void
it_vm_teardown(struct it_vm *vm)
{
	uiommu_client_close(vm->c);
	vm->c = NULL;
	it_ram_destroy(&vm->ram);
}

void
it_vm_ste_bypass(struct it_vm *vm, uint32_t vsid)
{
	struct uiommu_ste_info info = { .valid = 1,
					.config = UIOMMU_STE_CFG_BYPASS };
	uint64_t raw[8];

	uiommu_ste_encode(&info, raw);
	memcpy(it_ram_ptr(&vm->ram, IT_STRTAB_GPA + (uint64_t)vsid * 64), raw,
	       sizeof(raw));
}

int
it_q_create(struct it_vm *vm, uint32_t index, uint32_t log2, struct it_q *q)
{
	uint64_t deadline = it_now_ms() + IT_DEADLINE_MS;
	int rc;

	memset(q, 0, sizeof(*q));
	q->index = index;
	memset(it_ram_ptr(&vm->ram, IT_RING_GPA(index)), 0, 16u << log2);
	rc = uiommu_client_vcmdq_create(vm->c, vm->vi.id, index, log2,
					IT_RING_GPA(index), &q->cq);
	if (rc != 0)
		return rc;
	rc = uiommu_vcmdq_prod_init(&q->p, it_ram_ptr(&vm->ram,
						      IT_RING_GPA(index)),
				    log2, q->cq.regs);
	if (rc != 0)
		return rc;
	rc = uiommu_vcmdq_prod_enable(&q->p, 0);
	if (rc != 0)
		return rc;
	while (!uiommu_vcmdq_prod_enabled(&q->p)) {
		if (it_now_ms() > deadline)
			return -ETIMEDOUT;
		sched_yield();
	}
	return 0;
}

int
it_q_wait(struct it_q *q, uint32_t target, uint32_t *err)
{
	uint64_t deadline = it_now_ms() + IT_DEADLINE_MS;

	for (;;) {
		int rc = uiommu_vcmdq_prod_wait(&q->p, target, 10000, err);

		if (rc != -ETIMEDOUT)
			return rc;
		if (it_now_ms() > deadline)
			return -ETIMEDOUT;
		sched_yield();
	}
}

int
it_q_run(struct it_q *q, const struct uiommu_cmd *cmds, uint32_t n,
	 uint32_t *err)
{
	if (uiommu_vcmdq_prod_space(&q->p) < n)
		return -ENOSPC;
	if (uiommu_vcmdq_prod_write(&q->p, cmds, n) != n)
		return -ENOSPC;
	uiommu_vcmdq_prod_publish(&q->p);
	return it_q_wait(q, uiommu_vcmdq_prod_index(&q->p), err);
}

bool
it_wait_u32(const volatile uint32_t *p, uint32_t v)
{
	uint64_t deadline = it_now_ms() + IT_DEADLINE_MS;

	while (__atomic_load_n(p, __ATOMIC_ACQUIRE) != v) {
		if (it_now_ms() > deadline)
			return false;
		sched_yield();
	}
	return true;
}

struct uiommu_cmd
it_cmd(const struct uiommu_cmd_info *ci)
{
	struct uiommu_cmd c;

	UT_ASSERT_FATAL(uiommu_cmd_encode(ci, &c) == 0);
	return c;
}

struct uiommu_cmd
it_tlbi_va(uint16_t asid, uint64_t addr)
{
	struct uiommu_cmd_info ci = {
		.op = UIOMMU_CMD_TLBI_NH_VA, .asid = asid, .addr = addr,
	};

	return it_cmd(&ci);
}

struct uiommu_cmd
it_sync(void)
{
	struct uiommu_cmd_info ci = { .op = UIOMMU_CMD_SYNC };

	return it_cmd(&ci);
}

struct uiommu_cmd
it_sync_msi(uint64_t msiaddr, uint32_t data)
{
	struct uiommu_cmd_info ci = {
		.op = UIOMMU_CMD_SYNC, .cs = UIOMMU_CMD_SYNC_CS_IRQ,
		.msiaddr = msiaddr, .msidata = data,
	};

	return it_cmd(&ci);
}

uint64_t
it_stat(struct uiommu_client *c, uint32_t scope, uint32_t vm_id,
	uint32_t viommu_id, uint32_t index, const char *name)
{
	struct uiommu_proto_stat st[UIOMMU_PROTO_MAX_STATS];
	unsigned int n = UIOMMU_PROTO_MAX_STATS;
	uint64_t v;

	if (uiommu_client_stats(c, scope, vm_id, viommu_id, index, st, &n) != 0)
		return UINT64_MAX;
	if (uiommu_client_stat_find(st, n, name, &v) != 0)
		return UINT64_MAX;
	return v;
}

uint64_t
it_stat_eq(struct uiommu_client *c, uint32_t scope, uint32_t vm_id,
	   uint32_t viommu_id, uint32_t index, const char *name,
	   uint64_t expect)
{
	uint64_t deadline = it_now_ms() + IT_DEADLINE_MS, v;

	for (;;) {
		v = it_stat(c, scope, vm_id, viommu_id, index, name);
		if (v == expect || it_now_ms() > deadline)
			return v;
		usleep(1000);
	}
}

int
it_count_objects(struct uiommu_client *admin)
{
	struct uiommu_proto_list_entry e[4];
	unsigned int n = RTE_DIM(e);
	uint32_t cursor = 0, total = 0;
	int rc;

	rc = uiommu_client_list(admin, 0, 0, &cursor, e, &n, &total);
	return rc != 0 ? rc : (int)total;
}

struct uiommu_client *
it_admin(const struct it_mgr *m)
{
	struct uiommu_client *c;

	if (uiommu_client_connect(m->sock, IT_DEADLINE_MS, &c) != 0)
		return NULL;
	if (uiommu_client_hello(c, UIOMMU_HELLO_F_ADMIN, "it-admin",
				UIOMMU_FEAT_ALL, NULL) != 0) {
		uiommu_client_close(c);
		return NULL;
	}
	return c;
}
