/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Control-protocol misuse against a real manager process, while a second
 * VM keeps working (doc/hardening.md §3, rows P1-P9; the per-errno rows are
 * it_protocol.c's).
 *
 *  - rogue clients repeatedly send fds of the wrong kind, too many fds,
 *    truncated and oversized messages, half a message with an fd attached
 *    and then disconnect, half a header and then disconnect, a bad magic;
 *    afterwards the manager holds exactly the file descriptors it held
 *    before (/proc/<pid>/fd), and the objects of the good VM only;
 *  - a client that floods requests and never reads a reply does not block
 *    the manager: another client is answered and another VM's queue keeps
 *    completing meanwhile, and the flooder's VM goes when it closes.
 * Nothing here asserts time; waits are bounded only to fail instead of
 * hanging.
 */
#include <dirent.h>
#include <signal.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <rte_common.h>

#include "it_util.h"
#include "uiommu_ut.h"

static struct it_mgr mgr;
static unsigned long misuses;

static unsigned int
mgr_fds(void)
{
	char path[64];
	unsigned int n = 0;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/fd", (int)mgr.pid);
	d = opendir(path);
	if (d == NULL)
		return 0;
	while (readdir(d) != NULL)
		n++;
	closedir(d);
	return n;
}

static int
rogue_connect(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	UT_ASSERT_FATAL(fd >= 0);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", mgr.sock);
	UT_ASSERT_FATAL(connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0);
	return fd;
}

/* sendmsg of @p len bytes of @p buf with @p nfds fds; best effort. */
static void
rogue_send(int fd, const void *buf, size_t len, const int *fds,
	   unsigned int nfds)
{
	union {
		char b[CMSG_SPACE(sizeof(int) * 16)];
		struct cmsghdr align;
	} cm;
	struct iovec iov = { .iov_base = (void *)(uintptr_t)buf, .iov_len = len };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };

	if (nfds > 0) {
		struct cmsghdr *c;

		mh.msg_control = cm.b;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
		memcpy(CMSG_DATA(c), fds, sizeof(int) * nfds);
	}
	(void)sendmsg(fd, &mh, MSG_NOSIGNAL);
	misuses++;
}

static void
rogue_msg(int fd, uint16_t type, uint32_t claimed, const void *payload,
	  uint32_t sent, const int *fds, unsigned int nfds, uint64_t id)
{
	uint8_t buf[sizeof(struct uiommu_proto_hdr) + 512];
	struct uiommu_proto_hdr h;

	uiommu_proto_hdr_init(&h, type, 0, claimed, id);
	memcpy(buf, &h, sizeof(h));
	if (sent > 0)
		memcpy(buf + sizeof(h), payload, RTE_MIN(sent, 512u));
	rogue_send(fd, buf, sizeof(h) + RTE_MIN(sent, 512u), fds, nfds);
}

/* One round of every kind of misuse, each on its own connection. */
static void
misuse_round(int ram)
{
	struct uiommu_msg_hello hello = { .version = UIOMMU_PROTO_VERSION };
	struct uiommu_msg_mem_add ma = { .gpa = 0x1000000, .size = 1 << 20 };
	int p[2], sp[2], dir = open("/", O_RDONLY | O_DIRECTORY);
	int devnull = open("/dev/null", O_RDWR), many[12];
	int fd;

	UT_ASSERT_FATAL(pipe(p) == 0 && socketpair(AF_UNIX, SOCK_STREAM, 0, sp) == 0);
	UT_ASSERT_FATAL(dir >= 0 && devnull >= 0);
	for (unsigned int i = 0; i < RTE_DIM(many); i++)
		many[i] = devnull;
	snprintf(hello.name, sizeof(hello.name), "rogue");

	/* Wrong kinds of fd, too many fds, too few, then close. */
	fd = rogue_connect();
	rogue_msg(fd, UIOMMU_MSG_HELLO, sizeof(hello), &hello, sizeof(hello),
		  NULL, 0, 1);
	rogue_msg(fd, UIOMMU_MSG_MEM_ADD, sizeof(ma), &ma, sizeof(ma), &p[0], 1, 2);
	rogue_msg(fd, UIOMMU_MSG_MEM_ADD, sizeof(ma), &ma, sizeof(ma), &sp[0], 1, 3);
	rogue_msg(fd, UIOMMU_MSG_MEM_ADD, sizeof(ma), &ma, sizeof(ma), &dir, 1, 4);
	rogue_msg(fd, UIOMMU_MSG_MEM_ADD, sizeof(ma), &ma, sizeof(ma), &devnull, 1, 5);
	rogue_msg(fd, UIOMMU_MSG_MEM_ADD, sizeof(ma), &ma, sizeof(ma), many,
		  RTE_DIM(many), 6);
	rogue_msg(fd, UIOMMU_MSG_HELLO, sizeof(hello), &hello, sizeof(hello),
		  many, 3, 7);
	/* Truncated and oversized, fd attached. */
	rogue_msg(fd, UIOMMU_MSG_MEM_ADD, 8, &ma, 8, &ram, 1, 8);
	rogue_msg(fd, UIOMMU_MSG_MEM_ADD, UIOMMU_PROTO_MAX_PAYLOAD + 1, &ma,
		  sizeof(ma), &ram, 1, 9);
	close(fd);

	/* A real RAM fd with half a request, then gone. */
	fd = rogue_connect();
	rogue_msg(fd, UIOMMU_MSG_HELLO, sizeof(hello), &hello, sizeof(hello),
		  NULL, 0, 1);
	rogue_msg(fd, UIOMMU_MSG_MEM_ADD, sizeof(ma), &ma, sizeof(ma) / 2, &ram,
		  1, 2);
	close(fd);

	/* Half a header, with fds, then gone. */
	fd = rogue_connect();
	{
		struct uiommu_proto_hdr h;

		uiommu_proto_hdr_init(&h, UIOMMU_MSG_HELLO, 0, sizeof(hello), 1);
		rogue_send(fd, &h, sizeof(h) / 2, &ram, 1);
	}
	close(fd);

	/* A bad magic after a good RAM registration: dropped, VM gone. */
	fd = rogue_connect();
	rogue_msg(fd, UIOMMU_MSG_HELLO, sizeof(hello), &hello, sizeof(hello),
		  NULL, 0, 1);
	rogue_msg(fd, UIOMMU_MSG_MEM_ADD, sizeof(ma), &ma, sizeof(ma), &ram, 1, 2);
	{
		struct uiommu_proto_hdr h;

		uiommu_proto_hdr_init(&h, UIOMMU_MSG_LIST, 0, 0, 3);
		h.magic = 0xbadbadu;
		rogue_send(fd, &h, sizeof(h), &ram, 1);
	}
	close(fd);

	close(p[0]);
	close(p[1]);
	close(sp[0]);
	close(sp[1]);
	close(dir);
	close(devnull);
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

static bool
wait_fds(unsigned int want)
{
	uint64_t deadline = it_now_ms() + IT_DEADLINE_MS;

	while (mgr_fds() != want) {
		if (it_now_ms() > deadline) {
			printf("manager holds %u fds, %u before\n", mgr_fds(), want);
			return false;
		}
		usleep(2000);
	}
	return true;
}

/* The good VM's queue completes a TLBI + CMD_SYNC with an MSI. */
static bool
good_vm_works(struct it_vm *vm, struct it_q *q, uint32_t seq)
{
	struct uiommu_cmd c[2] = { it_tlbi_va(1, 0x1000),
				   it_sync_msi(IT_MSI_GPA, seq) };
	uint32_t err = 0;

	return it_q_run(q, c, 2, &err) == 0 &&
	       it_wait_u32(it_ram_ptr(&vm->ram, IT_MSI_GPA), seq);
}

static void
test_misuse_leaves_nothing(void)
{
	static const char *const extra[] = { "--backend", "mock", NULL };
	struct uiommu_client *admin;
	struct it_vm vm;
	struct it_q q;
	unsigned int fds0;
	int objs, ram;

	UT_ASSERT_FATAL(it_mgr_start(&mgr, "0-1", extra) == 0);
	UT_ASSERT_FATAL(it_vm_setup(&vm, &mgr, "good", "mock") == 0);
	UT_ASSERT_FATAL(it_q_create(&vm, 0, 8, &q) == 0);
	admin = it_admin(&mgr);
	UT_ASSERT_FATAL(admin != NULL);
	CU_ASSERT(good_vm_works(&vm, &q, 1));
	objs = it_count_objects(admin);
	fds0 = mgr_fds();
	UT_ASSERT_FATAL(fds0 > 0);
	ram = uiommu_client_memfd("rogue-ram", 1 << 20, 0);
	UT_ASSERT_FATAL(ram >= 0);
	for (uint32_t round = 0; round < 20; round++) {
		misuse_round(ram);
		CU_ASSERT(good_vm_works(&vm, &q, 100 + round));
	}
	close(ram);
	/* Everything the rogues brought is gone: objects and fds. */
	CU_ASSERT(wait_objects(admin, objs));
	CU_ASSERT(wait_fds(fds0));
	uiommu_client_close(admin);
	it_vm_teardown(&vm);
	CU_ASSERT_EQUAL(it_mgr_stop(&mgr, SIGTERM), 0);
	printf("misuse: %lu hostile messages, manager fds back to %u\n", misuses,
	       fds0);
}

static void
test_flooder_does_not_block(void)
{
	static const char *const extra[] = { "--backend", "mock", NULL };
	struct uiommu_msg_list l = { .max = 512 };
	struct uiommu_client *admin;
	struct it_vm vm, flood;
	struct it_q q;
	uint8_t buf[sizeof(struct uiommu_proto_hdr) + sizeof(l)];
	unsigned int sent = 0;
	int objs, ffd;

	UT_ASSERT_FATAL(it_mgr_start(&mgr, "0-1", extra) == 0);
	UT_ASSERT_FATAL(it_vm_setup(&vm, &mgr, "good", "mock") == 0);
	UT_ASSERT_FATAL(it_q_create(&vm, 0, 8, &q) == 0);
	admin = it_admin(&mgr);
	UT_ASSERT_FATAL(admin != NULL);
	objs = it_count_objects(admin);
	UT_ASSERT_FATAL(it_vm_setup(&flood, &mgr, "flood", "mock") == 0);
	ffd = uiommu_client_fd(flood.c);
	UT_ASSERT_FATAL(fcntl(ffd, F_SETFL, O_NONBLOCK) == 0);
	/* LIST requests (large replies) until the socket is full. */
	for (;;) {
		struct uiommu_proto_hdr h;
		ssize_t n;

		uiommu_proto_hdr_init(&h, UIOMMU_MSG_LIST, 0, sizeof(l), 1000 + sent);
		memcpy(buf, &h, sizeof(h));
		memcpy(buf + sizeof(h), &l, sizeof(l));
		n = send(ffd, buf, sizeof(buf), MSG_NOSIGNAL);
		if (n != (ssize_t)sizeof(buf))
			break;
		if (++sent % 64 == 0)
			usleep(1000);   /* let the manager fill its side */
		if (sent > 100000)
			break;
	}
	CU_ASSERT(sent > 0);
	/* The manager still serves everyone else. */
	for (uint32_t i = 0; i < 50; i++) {
		CU_ASSERT(good_vm_works(&vm, &q, 1 + i));
		CU_ASSERT(it_count_objects(admin) > objs);
	}
	it_vm_teardown(&flood);
	CU_ASSERT(wait_objects(admin, objs));
	CU_ASSERT(good_vm_works(&vm, &q, 1000));
	uiommu_client_close(admin);
	it_vm_teardown(&vm);
	CU_ASSERT_EQUAL(it_mgr_stop(&mgr, SIGTERM), 0);
	printf("flooder: %u unread requests queued\n", sent);
}

int
main(int argc, char **argv)
{
	static const struct ut_case cases[] = {
		UT_CASE(test_misuse_leaves_nothing),
		UT_CASE(test_flooder_does_not_block),
		UT_END
	};

	signal(SIGPIPE, SIG_IGN);
	return ut_main("isolation_misuse", cases, argc, argv);
}
