/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Integration: the control protocol against hostile clients.
 *
 * Every malformed request gets its errno (doc/protocol.md) and leaves the
 * connection usable; a stream with a bad magic is disconnected and its VM
 * torn down; other connections never notice. Requests are sent either
 * through uiommu_client_request() (well-framed, bad content) or as raw
 * bytes on a plain socket (bad framing).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <rte_common.h>

#include "it_util.h"
#include "uiommu_backend.h"
#include "uiommu_smmu.h"
#include "uiommu_ut.h"

static struct it_mgr mgr;
static bool mgr_up;

static void
mgr_up_or_die(void)
{
	static const char *const extra[] = {
		"--backend", "mock", "--idle-sleep-us", "100",
		"--idle-after-us", "1000", NULL
	};

	if (mgr_up)
		return;
	UT_ASSERT_FATAL(it_mgr_start(&mgr, "0-1", extra) == 0);
	mgr_up = true;
}

/* ------------------------------------------------------------ raw I/O */

static int
raw_connect(const struct it_mgr *m)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	UT_ASSERT_FATAL(fd >= 0);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", m->sock);
	UT_ASSERT_FATAL(connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0);
	return fd;
}

static int
raw_send(int fd, const void *buf, size_t len)
{
	const uint8_t *p = buf;

	while (len > 0) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);

		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Read exactly len bytes with a deadline; 0 ok, -1 EOF/error/timeout. */
static int
raw_recv(int fd, void *buf, size_t len)
{
	uint64_t deadline = it_now_ms() + IT_DEADLINE_MS;
	uint8_t *p = buf;

	while (len > 0) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		ssize_t n;

		if (it_now_ms() > deadline ||
		    poll(&pfd, 1, 100) < 0)
			return -1;
		if (!(pfd.revents & (POLLIN | POLLHUP)))
			continue;
		n = recv(fd, p, len, 0);
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/*
 * Read one reply; check its framing against the request; return its result
 * (or INT32_MIN when the reply is missing or malformed).
 */
static int
raw_reply(int fd, uint16_t type, uint64_t req_id)
{
	static uint8_t payload[UIOMMU_PROTO_MAX_PAYLOAD];
	struct uiommu_proto_hdr h;
	struct uiommu_proto_reply r;

	if (raw_recv(fd, &h, sizeof(h)) != 0)
		return INT32_MIN;
	if (h.magic != UIOMMU_PROTO_MAGIC || h.type != type ||
	    h.req_id != req_id || !(h.flags & UIOMMU_PROTO_F_REPLY) ||
	    h.size < sizeof(r) || h.size > sizeof(payload) ||
	    raw_recv(fd, payload, h.size) != 0)
		return INT32_MIN;
	memcpy(&r, payload, sizeof(r));
	return r.result;
}

/* Send a header (possibly lying) and len payload bytes; return the result. */
static int
raw_call(int fd, const struct uiommu_proto_hdr *h, const void *payload,
	 size_t len)
{
	if (raw_send(fd, h, sizeof(*h)) != 0 ||
	    (len > 0 && raw_send(fd, payload, len) != 0))
		return INT32_MIN;
	return raw_reply(fd, h->type, h->req_id);
}

static int
raw_hello(int fd, uint64_t req_id)
{
	struct uiommu_msg_hello m = { .version = UIOMMU_PROTO_VERSION };
	struct uiommu_proto_hdr h;

	snprintf(m.name, sizeof(m.name), "raw");
	uiommu_proto_hdr_init(&h, UIOMMU_MSG_HELLO, 0, sizeof(m), req_id);
	return raw_call(fd, &h, &m, sizeof(m));
}

/* True when the peer closed the connection (EOF within the deadline). */
static bool
raw_closed(int fd)
{
	uint64_t deadline = it_now_ms() + IT_DEADLINE_MS;
	char b;

	while (it_now_ms() < deadline) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };

		if (poll(&pfd, 1, 100) > 0) {
			ssize_t n = recv(fd, &b, 1, MSG_DONTWAIT);

			return n == 0 || (n < 0 && errno == ECONNRESET);
		}
	}
	return false;
}

/* --------------------------------------------------------------- cases */

static struct uiommu_client *
connect_only(void)
{
	struct uiommu_client *c;

	UT_ASSERT_FATAL(uiommu_client_connect(mgr.sock, IT_DEADLINE_MS, &c) == 0);
	return c;
}

static void
test_hello_rules(void)
{
	struct uiommu_msg_hello h = { .version = UIOMMU_PROTO_VERSION };
	struct uiommu_msg_list l = { .max = 1 };
	struct uiommu_msg_hello_reply rep;
	struct uiommu_client *c;

	mgr_up_or_die();
	c = connect_only();
	/* Anything before HELLO. */
	CU_ASSERT_EQUAL(uiommu_client_request(c, UIOMMU_MSG_LIST, &l, sizeof(l),
					      NULL, 0, NULL, 0, NULL, NULL,
					      NULL), -EPROTO);
	h.version = 2;
	CU_ASSERT_EQUAL(uiommu_client_request(c, UIOMMU_MSG_HELLO, &h,
					      sizeof(h), NULL, 0, NULL, 0,
					      NULL, NULL, NULL),
			-EPROTONOSUPPORT);
	h.version = UIOMMU_PROTO_VERSION;
	h.flags = 0x80;
	CU_ASSERT_EQUAL(uiommu_client_request(c, UIOMMU_MSG_HELLO, &h,
					      sizeof(h), NULL, 0, NULL, 0,
					      NULL, NULL, NULL), -EOPNOTSUPP);
	h.flags = 0;
	memset(h.name, 'x', sizeof(h.name));   /* no NUL */
	CU_ASSERT_EQUAL(uiommu_client_request(c, UIOMMU_MSG_HELLO, &h,
					      sizeof(h), NULL, 0, NULL, 0,
					      NULL, NULL, NULL), -EINVAL);
	/* Unknown feature bits are not granted, not refused. */
	CU_ASSERT_EQUAL(uiommu_client_hello(c, 0, "ok", ~0ULL, &rep), 0);
	CU_ASSERT_EQUAL(rep.features & ~UIOMMU_FEAT_ALL, 0);
	CU_ASSERT_EQUAL(rep.max_fds, UIOMMU_PROTO_MAX_FDS);
	CU_ASSERT_EQUAL(rep.max_payload, UIOMMU_PROTO_MAX_PAYLOAD);
	CU_ASSERT_EQUAL(uiommu_client_hello(c, 0, "again", 0, NULL), -EALREADY);
	uiommu_client_close(c);
}

static void
test_header_errors(void)
{
	struct uiommu_proto_hdr h;
	uint8_t pad[16] = { 0 };
	int fd;

	mgr_up_or_die();
	fd = raw_connect(&mgr);
	uiommu_proto_hdr_init(&h, 99, 0, 0, 11);
	CU_ASSERT_EQUAL(raw_call(fd, &h, NULL, 0), -EOPNOTSUPP);
	uiommu_proto_hdr_init(&h, 0, 0, 16, 12);
	CU_ASSERT_EQUAL(raw_call(fd, &h, pad, 16), -EOPNOTSUPP);
	uiommu_proto_hdr_init(&h, UIOMMU_MSG_LIST, 0, 0, 13);
	h.version = 7;
	CU_ASSERT_EQUAL(raw_call(fd, &h, NULL, 0), -EPROTONOSUPPORT);
	uiommu_proto_hdr_init(&h, UIOMMU_MSG_LIST, UIOMMU_PROTO_F_REPLY, 0, 14);
	CU_ASSERT_EQUAL(raw_call(fd, &h, NULL, 0), -EINVAL);
	uiommu_proto_hdr_init(&h, UIOMMU_MSG_LIST, 0x100, 0, 15);
	CU_ASSERT_EQUAL(raw_call(fd, &h, NULL, 0), -EOPNOTSUPP);
	/* Still in step: a HELLO works and is answered with its own id. */
	CU_ASSERT_EQUAL(raw_hello(fd, 16), 0);
	close(fd);
}

static void
test_size_errors(void)
{
	struct uiommu_proto_hdr h;
	uint8_t *big;
	int fd;

	mgr_up_or_die();
	big = calloc(1, UIOMMU_PROTO_MAX_PAYLOAD + 4096);
	UT_ASSERT_FATAL(big != NULL);
	fd = raw_connect(&mgr);
	CU_ASSERT_EQUAL(raw_hello(fd, 1), 0);
	/* Truncated: MEM_DEL needs 16 bytes. */
	uiommu_proto_hdr_init(&h, UIOMMU_MSG_MEM_DEL, 0, 8, 2);
	CU_ASSERT_EQUAL(raw_call(fd, &h, big, 8), -EBADMSG);
	/* Trailing bytes. */
	uiommu_proto_hdr_init(&h, UIOMMU_MSG_MEM_DEL, 0, 17, 3);
	CU_ASSERT_EQUAL(raw_call(fd, &h, big, 17), -EBADMSG);
	/* Empty payload where one is needed. */
	uiommu_proto_hdr_init(&h, UIOMMU_MSG_LIST, 0, 0, 4);
	CU_ASSERT_EQUAL(raw_call(fd, &h, NULL, 0), -EBADMSG);
	/* Oversized: skipped whole, answered, stream still in step. */
	uiommu_proto_hdr_init(&h, UIOMMU_MSG_LIST, 0,
			      UIOMMU_PROTO_MAX_PAYLOAD + 4096, 5);
	CU_ASSERT_EQUAL(raw_call(fd, &h, big, UIOMMU_PROTO_MAX_PAYLOAD + 4096),
			-EMSGSIZE);
	{
		struct uiommu_msg_list l = { .max = 4 };

		uiommu_proto_hdr_init(&h, UIOMMU_MSG_LIST, 0, sizeof(l), 6);
		CU_ASSERT_EQUAL(raw_call(fd, &h, &l, sizeof(l)), 0);
	}
	/* A header split in pieces is reassembled. */
	{
		struct uiommu_msg_list l = { .max = 4 };
		const uint8_t *p = (const uint8_t *)&h;

		uiommu_proto_hdr_init(&h, UIOMMU_MSG_LIST, 0, sizeof(l), 7);
		for (size_t i = 0; i < sizeof(h); i++) {
			CU_ASSERT_EQUAL(raw_send(fd, p + i, 1), 0);
			usleep(200);
		}
		CU_ASSERT_EQUAL(raw_send(fd, &l, sizeof(l)), 0);
		CU_ASSERT_EQUAL(raw_reply(fd, UIOMMU_MSG_LIST, 7), 0);
	}
	close(fd);
	free(big);
}

static int
mem_add_fds(struct uiommu_client *c, uint64_t gpa, uint64_t size,
	    uint64_t off, const int *fds, unsigned int nfds)
{
	struct uiommu_msg_mem_add m = { .gpa = gpa, .size = size,
					.offset = off };

	return uiommu_client_request(c, UIOMMU_MSG_MEM_ADD, &m, sizeof(m), fds,
				     nfds, NULL, 0, NULL, NULL, NULL);
}

/* Send nfds fds with a message (raw; more than the client allows). */
static int
raw_call_fds(int fd, const struct uiommu_proto_hdr *h, const void *payload,
	     const int *fds, unsigned int nfds)
{
	char cbuf[CMSG_SPACE(sizeof(int) * 16)];
	struct iovec iov[2] = {
		{ .iov_base = (void *)(uintptr_t)h, .iov_len = sizeof(*h) },
		{ .iov_base = (void *)(uintptr_t)payload, .iov_len = h->size },
	};
	struct msghdr mh = {
		.msg_iov = iov, .msg_iovlen = 2,
		.msg_control = cbuf, .msg_controllen = CMSG_SPACE(sizeof(int) * nfds),
	};
	struct cmsghdr *cm;

	memset(cbuf, 0, sizeof(cbuf));
	cm = CMSG_FIRSTHDR(&mh);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
	memcpy(CMSG_DATA(cm), fds, sizeof(int) * nfds);
	if (sendmsg(fd, &mh, MSG_NOSIGNAL) != (ssize_t)(sizeof(*h) + h->size))
		return INT32_MIN;
	return raw_reply(fd, h->type, h->req_id);
}

static void
test_fd_errors(void)
{
	struct uiommu_msg_mem_add m = { .gpa = IT_RAM_GPA, .size = 1 << 20 };
	struct uiommu_msg_list l = { .max = 4 };
	struct uiommu_proto_hdr h;
	struct uiommu_client *c;
	int ram, small, ro, dir, p[2], sp[2], many[10], fd;
	char path[64];

	mgr_up_or_die();
	c = connect_only();
	UT_ASSERT_FATAL(uiommu_client_hello(c, 0, "fds", 0, NULL) == 0);
	ram = uiommu_client_memfd("ram", 1 << 20, 0);
	small = uiommu_client_memfd("small", 4096, 0);
	UT_ASSERT_FATAL(ram >= 0 && small >= 0);
	UT_ASSERT_FATAL(pipe(p) == 0 && socketpair(AF_UNIX, SOCK_STREAM, 0,
						   sp) == 0);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", ram);
	ro = open(path, O_RDONLY);
	dir = open("/", O_RDONLY | O_DIRECTORY);
	UT_ASSERT_FATAL(ro >= 0 && dir >= 0);

	/* Missing, extra, and unexpected fds. */
	CU_ASSERT_EQUAL(mem_add_fds(c, IT_RAM_GPA, 1 << 20, 0, NULL, 0), -EBADF);
	{
		int two[2] = { ram, ram };

		CU_ASSERT_EQUAL(mem_add_fds(c, IT_RAM_GPA, 1 << 20, 0, two, 2),
				-EBADF);
	}
	CU_ASSERT_EQUAL(uiommu_client_request(c, UIOMMU_MSG_LIST, &l, sizeof(l),
					      &ram, 1, NULL, 0, NULL, NULL,
					      NULL), -EBADF);
	/* More fds than a message may carry (raw: the client refuses). */
	fd = raw_connect(&mgr);
	CU_ASSERT_EQUAL(raw_hello(fd, 1), 0);
	for (unsigned int i = 0; i < RTE_DIM(many); i++)
		many[i] = ram;
	uiommu_proto_hdr_init(&h, UIOMMU_MSG_MEM_ADD, 0, sizeof(m), 2);
	CU_ASSERT_EQUAL(raw_call_fds(fd, &h, &m, many, RTE_DIM(many)), -EBADF);
	/* ... and the connection is still usable after it. */
	uiommu_proto_hdr_init(&h, UIOMMU_MSG_MEM_ADD, 0, sizeof(m), 3);
	CU_ASSERT_EQUAL(raw_call_fds(fd, &h, &m, &ram, 1), 0);
	close(fd);

	/* fds of the wrong kind. */
	CU_ASSERT_EQUAL(mem_add_fds(c, IT_RAM_GPA, 1 << 20, 0, &p[0], 1),
			-ENODEV);
	CU_ASSERT_EQUAL(mem_add_fds(c, IT_RAM_GPA, 1 << 20, 0, &sp[0], 1),
			-ENODEV);
	CU_ASSERT_EQUAL(mem_add_fds(c, IT_RAM_GPA, 1 << 20, 0, &dir, 1),
			-ENODEV);
	CU_ASSERT_EQUAL(mem_add_fds(c, IT_RAM_GPA, 1 << 20, 0, &ro, 1),
			-EACCES);
	/* Not mappable: the file is shorter than offset + size. */
	CU_ASSERT_EQUAL(mem_add_fds(c, IT_RAM_GPA, 1 << 20, 0, &small, 1),
			-ENXIO);
	CU_ASSERT_EQUAL(mem_add_fds(c, IT_RAM_GPA, 1 << 20, 4096, &ram, 1),
			-ENXIO);
	/* None of that left anything behind. */
	CU_ASSERT_EQUAL(mem_add_fds(c, IT_RAM_GPA, 1 << 20, 0, &ram, 1), 0);

	close(ram);
	close(small);
	close(ro);
	close(dir);
	close(p[0]);
	close(p[1]);
	close(sp[0]);
	close(sp[1]);
	uiommu_client_close(c);
}

static void
test_region_errors(void)
{
	struct uiommu_client *c;
	struct uiommu_client_viommu vi;
	struct uiommu_client_vcmdq q;
	int fd;

	mgr_up_or_die();
	c = connect_only();
	UT_ASSERT_FATAL(uiommu_client_hello(c, 0, "regions", 0, NULL) == 0);
	fd = uiommu_client_memfd("ram", 1 << 20, 0);
	UT_ASSERT_FATAL(fd >= 0);
	CU_ASSERT_EQUAL(uiommu_client_mem_add(c, IT_RAM_GPA + 1, 4096, fd, 0),
			-EINVAL);
	CU_ASSERT_EQUAL(uiommu_client_mem_add(c, IT_RAM_GPA, 0, fd, 0), -EINVAL);
	CU_ASSERT_EQUAL(uiommu_client_mem_add(c, IT_RAM_GPA, 4096, fd, 100),
			-EINVAL);
	CU_ASSERT_EQUAL(uiommu_client_mem_add(c, ~0ULL - 4095, 8192, fd, 0),
			-EOVERFLOW);
	CU_ASSERT_EQUAL(uiommu_client_mem_add(c, IT_RAM_GPA, 1ULL << 62, fd, 0),
			-ENXIO);
	CU_ASSERT_EQUAL(uiommu_client_mem_add(c, IT_RAM_GPA, 64 << 10, fd, 0),
			0);
	/* Overlaps, partially and wholly. */
	CU_ASSERT_EQUAL(uiommu_client_mem_add(c, IT_RAM_GPA + 4096, 64 << 10, fd,
					      0), -EEXIST);
	CU_ASSERT_EQUAL(uiommu_client_mem_add(c, IT_RAM_GPA, 64 << 10, fd, 0),
			-EEXIST);
	/* Fill the region table; one more is refused. */
	for (unsigned int i = 1; i < UIOMMU_MAX_MEM_REGIONS; i++)
		CU_ASSERT_EQUAL(uiommu_client_mem_add(c, IT_RAM_GPA +
						      i * (64 << 10),
						      64 << 10, fd,
						      i * (64 << 10)), 0);
	CU_ASSERT_EQUAL(uiommu_client_mem_add(c, 0, 4096, fd, 0), -ENOSPC);
	CU_ASSERT_EQUAL(uiommu_client_mem_del(c, 0x1000, 4096), -ENOENT);
	CU_ASSERT_EQUAL(uiommu_client_mem_del(c, IT_RAM_GPA, 4096), -ENOENT);

	/* Queue bases and stream tables outside RAM; absurd sizes. */
	UT_ASSERT_FATAL(uiommu_client_viommu_create(c, "mock", NULL, &vi) == 0);
	CU_ASSERT_EQUAL(uiommu_client_vcmdq_create(c, vi.id, 0, 4, 0x1000, &q),
			-EFAULT);
	/* A ring past the end of RAM, and one spanning two regions. */
	CU_ASSERT_EQUAL(uiommu_client_vcmdq_create(c, vi.id, 0, 12,
						   IT_RAM_GPA + (1 << 20), &q),
			-EFAULT);
	CU_ASSERT_EQUAL(uiommu_client_vcmdq_create(c, vi.id, 0, 13, IT_RAM_GPA,
						   &q), -EFAULT);
	CU_ASSERT_EQUAL(uiommu_client_vcmdq_create(c, vi.id, 0, 31, IT_RAM_GPA,
						   &q), -EINVAL);
	CU_ASSERT_EQUAL(uiommu_client_vcmdq_create(c, vi.id, 0, 0, IT_RAM_GPA,
						   &q), -EINVAL);
	CU_ASSERT_EQUAL(uiommu_client_vcmdq_create(c, vi.id, UIOMMU_MAX_VCMDQS,
						   4, IT_RAM_GPA, &q), -EINVAL);
	CU_ASSERT_EQUAL(uiommu_client_vcmdq_create(c, vi.id, 0, 4,
						   IT_RAM_GPA + 16, &q), -EINVAL);
	CU_ASSERT_EQUAL(uiommu_client_strtab_set(c, vi.id, 0x2000, 4), -EFAULT);
	CU_ASSERT_EQUAL(uiommu_client_strtab_set(c, vi.id, IT_RAM_GPA, 31),
			-EINVAL);
	CU_ASSERT_EQUAL(uiommu_client_strtab_set(c, vi.id, IT_RAM_GPA + 8, 2),
			-EINVAL);
	/* Good ones, then a duplicate index and a busy region. */
	CU_ASSERT_EQUAL(uiommu_client_vcmdq_create(c, vi.id, 0, 4, IT_RAM_GPA,
						   &q), 0);
	CU_ASSERT_EQUAL(uiommu_client_vcmdq_create(c, vi.id, 0, 4,
						   IT_RAM_GPA + 4096, &q),
			-EEXIST);
	CU_ASSERT_EQUAL(uiommu_client_mem_del(c, IT_RAM_GPA, 64 << 10), -EBUSY);
	CU_ASSERT_EQUAL(uiommu_client_vcmdq_destroy(c, vi.id, 0), 0);
	CU_ASSERT_EQUAL(uiommu_client_mem_del(c, IT_RAM_GPA, 64 << 10), 0);
	close(fd);
	uiommu_client_close(c);
}

static void
test_object_errors(void)
{
	struct uiommu_msg_vcmdq_create vq = { .log2size = 4,
					      .base_gpa = IT_RAM_GPA };
	struct uiommu_msg_mem_add ma = { .gpa = 0, .size = 4096, .flags = 1 };
	struct uiommu_msg_translate tr = { .viommu_id = 1, .vsid = 1 };
	struct uiommu_msg_events_read er = { .viommu_id = 1 };
	struct uiommu_msg_stats st = { .scope = 9 };
	struct uiommu_msg_list l = { .max = 0 };
	struct uiommu_client_viommu vi, extra;
	struct uiommu_proto_event ev[4];
	unsigned int n = RTE_DIM(ev);
	char args[300];
	struct it_vm vm;

	mgr_up_or_die();
	UT_ASSERT_FATAL(it_vm_setup(&vm, &mgr, "objects", "mock") == 0);
	vi = vm.vi;
	CU_ASSERT_EQUAL(uiommu_client_viommu_create(vm.c, "nosuch", NULL,
						    &extra), -ENOENT);
	CU_ASSERT_EQUAL(uiommu_client_viommu_create(vm.c, "mock", "a=1,,=",
						    &extra), -EINVAL);
	memset(args, 'a', sizeof(args) - 1);
	args[sizeof(args) - 1] = '\0';
	CU_ASSERT_EQUAL(uiommu_client_viommu_create(vm.c, "mock", args, &extra),
			-EINVAL);
	/* Unknown ids. */
	CU_ASSERT_EQUAL(uiommu_client_vdevice_add(vm.c, 77, 1, "mock:0", NULL),
			-ENOENT);
	CU_ASSERT_EQUAL(uiommu_client_strtab_set(vm.c, 77, IT_RAM_GPA, 2),
			-ENOENT);
	CU_ASSERT_EQUAL(uiommu_client_vcmdq_destroy(vm.c, 77, 0), -ENOENT);
	CU_ASSERT_EQUAL(uiommu_client_viommu_destroy(vm.c, 0), -ENOENT);
	/* Device specs. */
	CU_ASSERT_EQUAL(uiommu_client_vdevice_add(vm.c, vi.id, 1, "nope", NULL),
			-EINVAL);
	CU_ASSERT_EQUAL(uiommu_client_vdevice_add(vm.c, vi.id, 1, "soft:dma0",
						  NULL), -EINVAL);
	CU_ASSERT_EQUAL(uiommu_client_vdevice_add(vm.c, vi.id, 1, "mock:999",
						  NULL), -ENOENT);
	CU_ASSERT_EQUAL(uiommu_client_vdevice_add(vm.c, vi.id, 1, "mock:30",
						  NULL), 0);
	CU_ASSERT_EQUAL(uiommu_client_vdevice_add(vm.c, vi.id, 1, "mock:31",
						  NULL), -EEXIST);
	/* A vSID beyond the stream table (2^IT_STRTAB_LOG2 STEs). */
	CU_ASSERT_EQUAL(uiommu_client_vdevice_add(vm.c, vi.id,
						  1u << IT_STRTAB_LOG2,
						  "mock:31", NULL), -EINVAL);
	/* Reserved fields and unknown flags. */
	vq.viommu_id = vi.id;
	vq.rsvd = 1;
	CU_ASSERT_EQUAL(uiommu_client_request(vm.c, UIOMMU_MSG_VCMDQ_CREATE,
					      &vq, sizeof(vq), NULL, 0, NULL,
					      0, NULL, NULL, NULL), -EINVAL);
	CU_ASSERT_EQUAL(uiommu_client_request(vm.c, UIOMMU_MSG_MEM_ADD, &ma,
					      sizeof(ma), &vm.ram.fd, 1, NULL,
					      0, NULL, NULL, NULL),
			-EOPNOTSUPP);
	CU_ASSERT_EQUAL(uiommu_client_request(vm.c, UIOMMU_MSG_STATS, &st,
					      sizeof(st), NULL, 0, NULL, 0,
					      NULL, NULL, NULL), -EOPNOTSUPP);
	CU_ASSERT_EQUAL(uiommu_client_request(vm.c, UIOMMU_MSG_LIST, &l,
					      sizeof(l), NULL, 0, NULL, 0,
					      NULL, NULL, NULL), -EINVAL);
	CU_ASSERT_EQUAL(uiommu_client_request(vm.c, UIOMMU_MSG_EVENTS_READ, &er,
					      sizeof(er), NULL, 0, NULL, 0,
					      NULL, NULL, NULL), -EINVAL);
	CU_ASSERT_EQUAL(uiommu_client_request(vm.c, UIOMMU_MSG_TRANSLATE, &tr,
					      sizeof(tr), NULL, 0, NULL, 0,
					      NULL, NULL, NULL), -EINVAL);
	tr.access = 0x10;
	CU_ASSERT_EQUAL(uiommu_client_request(vm.c, UIOMMU_MSG_TRANSLATE, &tr,
					      sizeof(tr), NULL, 0, NULL, 0,
					      NULL, NULL, NULL), -EOPNOTSUPP);
	CU_ASSERT_EQUAL(uiommu_client_events_read(vm.c, 77, ev, &n, NULL),
			-ENOENT);
	/* vIOMMUs per VM are bounded. */
	for (unsigned int i = 1; i < UIOMMU_MAX_VIOMMUS_PER_VM; i++)
		CU_ASSERT_EQUAL(uiommu_client_viommu_create(vm.c, "mock", NULL,
							    &extra), 0);
	CU_ASSERT_EQUAL(uiommu_client_viommu_create(vm.c, "mock", NULL, &extra),
			-ENOSPC);
	/* The VM still works after all of that. */
	{
		struct uiommu_cmd c[2];
		uint32_t err;
		struct it_q q;

		UT_ASSERT_FATAL(it_q_create(&vm, 0, 4, &q) == 0);
		c[0] = it_tlbi_va(1, 0x1000);
		c[1] = it_sync();
		CU_ASSERT_EQUAL(it_q_run(&q, c, 2, &err), 0);
	}
	it_vm_teardown(&vm);
}

/* Admin connections inspect everything and change nothing. */
static void
test_admin_rules(void)
{
	struct uiommu_proto_list_entry e[8];
	struct uiommu_client *admin;
	struct uiommu_client_viommu vi;
	struct uiommu_proto_event ev[1];
	unsigned int n = RTE_DIM(e);
	uint32_t cursor = 0;
	struct it_vm vm;

	mgr_up_or_die();
	UT_ASSERT_FATAL(it_vm_setup(&vm, &mgr, "watched", "mock") == 0);
	admin = it_admin(&mgr);
	UT_ASSERT_FATAL(admin != NULL);
	CU_ASSERT_EQUAL(uiommu_client_mem_add(admin, 0, 4096, vm.ram.fd, 0),
			-EPERM);
	CU_ASSERT_EQUAL(uiommu_client_viommu_create(admin, "mock", NULL, &vi),
			-EPERM);
	CU_ASSERT_EQUAL(uiommu_client_viommu_destroy(admin, vm.vi.id), -EPERM);
	n = 1;
	CU_ASSERT_EQUAL(uiommu_client_events_read(admin, vm.vi.id, ev, &n,
						  NULL), -EPERM);
	/* It sees the VM (by id) ... */
	n = RTE_DIM(e);
	CU_ASSERT_EQUAL(uiommu_client_list(admin, vm.hello.vm_id, 0, &cursor, e,
					   &n, NULL), 0);
	CU_ASSERT(n >= 3);
	CU_ASSERT_EQUAL(it_stat(admin, UIOMMU_STATS_VM, vm.hello.vm_id, 0, 0,
				"viommus"), 1);
	CU_ASSERT_EQUAL(it_stat(admin, UIOMMU_STATS_VIOMMU, vm.hello.vm_id,
				vm.vi.id, 0, "vmid"), vm.vi.vmid);
	/* ... but not one that does not exist. */
	n = RTE_DIM(e);
	cursor = 0;
	CU_ASSERT_EQUAL(uiommu_client_list(admin, 0x7fff0000, 0, &cursor, e, &n,
					   NULL), -ENOENT);
	/* A VM connection cannot list another VM, nor the admin's "VM 0". */
	n = RTE_DIM(e);
	cursor = 0;
	CU_ASSERT_EQUAL(uiommu_client_list(vm.c, vm.hello.vm_id + 1000, 0,
					   &cursor, e, &n, NULL), -EPERM);
	uiommu_client_close(admin);
	it_vm_teardown(&vm);
}

/* CFGI_STE on a broken STE raises C_BAD_STE; EVENTS_READ pops it. */
static void
test_events_and_translate(void)
{
	struct uiommu_msg_translate_reply tr;
	struct uiommu_proto_event ev[4];
	struct uiommu_cmd_info cfgi = { .op = UIOMMU_CMD_CFGI_STE, .sid = 3 };
	struct uiommu_cmd c[2];
	uint64_t *ste, lost = 0;
	unsigned int n;
	uint32_t err = 0;
	struct it_vm vm;
	struct it_q q;
	bool got = false;

	mgr_up_or_die();
	UT_ASSERT_FATAL(it_vm_setup(&vm, &mgr, "events", "mock") == 0);
	UT_ASSERT_FATAL(uiommu_client_vdevice_add(vm.c, vm.vi.id, 3, "mock:40",
						  NULL) == 0);
	UT_ASSERT_FATAL(it_q_create(&vm, 0, 4, &q) == 0);
	/* STE of vSID 3: V=1 with a reserved Config value (0b001). */
	ste = it_ram_ptr(&vm.ram, IT_STRTAB_GPA + 3 * 64);
	memset(ste, 0, 64);
	ste[0] = UIOMMU_STE0_V | (1ULL << UIOMMU_STE0_CFG_SHIFT);
	c[0] = it_cmd(&cfgi);
	c[1] = it_sync();
	/* A guest configuration error is not a queue error. */
	CU_ASSERT_EQUAL(it_q_run(&q, c, 2, &err), 0);
	for (uint64_t d = it_now_ms() + IT_DEADLINE_MS; !got && it_now_ms() < d;) {
		n = RTE_DIM(ev);
		UT_ASSERT_FATAL(uiommu_client_events_read(vm.c, vm.vi.id, ev, &n,
							  &lost) == 0);
		for (unsigned int i = 0; i < n; i++)
			if (ev[i].id == UIOMMU_EVT_C_BAD_STE && ev[i].sid == 3)
				got = true;
	}
	CU_ASSERT(got);
	/* Popped: a second read finds nothing. */
	n = RTE_DIM(ev);
	CU_ASSERT_EQUAL(uiommu_client_events_read(vm.c, vm.vi.id, ev, &n,
						  &lost), 0);
	CU_ASSERT_EQUAL(n, 0);

	/* The mock translates IOVA = GPA: inside RAM it maps, outside it faults. */
	CU_ASSERT_EQUAL(uiommu_client_translate(vm.c, 0, vm.vi.id, 3,
						IT_RAM_GPA + 0x1234,
						UIOMMU_XLATE_READ, &tr), 0);
	CU_ASSERT_EQUAL(tr.flags & UIOMMU_XLATE_F_FAULT, 0);
	CU_ASSERT_EQUAL(tr.s2.out, 0);         /* host address never disclosed */
	CU_ASSERT_EQUAL(uiommu_client_translate(vm.c, 0, vm.vi.id, 3, 0x10,
						UIOMMU_XLATE_WRITE, &tr), 0);
	CU_ASSERT(tr.flags & UIOMMU_XLATE_F_FAULT);
	CU_ASSERT_EQUAL(tr.fault.id, UIOMMU_EVT_F_TRANSLATION);
	CU_ASSERT_EQUAL(uiommu_client_translate(vm.c, 0, vm.vi.id, 4, 0x10,
						UIOMMU_XLATE_READ, &tr), -ENOENT);
	it_vm_teardown(&vm);
}

/* Bad magic: that connection is dropped with its VM; others carry on. */
static void
test_bad_magic_disconnects(void)
{
	struct uiommu_client *admin;
	struct uiommu_proto_hdr h;
	struct it_vm bystander;
	struct uiommu_cmd c[2];
	uint32_t err = 0;
	struct it_q q;
	int fd;

	mgr_up_or_die();
	admin = it_admin(&mgr);
	UT_ASSERT_FATAL(admin != NULL);
	UT_ASSERT_FATAL(it_vm_setup(&bystander, &mgr, "bystander",
				    "mock") == 0);
	UT_ASSERT_FATAL(it_q_create(&bystander, 0, 4, &q) == 0);
	fd = raw_connect(&mgr);
	CU_ASSERT_EQUAL(raw_hello(fd, 1), 0);
	CU_ASSERT_EQUAL(it_stat_eq(admin, UIOMMU_STATS_MANAGER, 0, 0, 0, "vms",
				   2), 2);
	uiommu_proto_hdr_init(&h, UIOMMU_MSG_LIST, 0, 0, 2);
	h.magic = 0x12345678;
	CU_ASSERT_EQUAL(raw_send(fd, &h, sizeof(h)), 0);
	CU_ASSERT(raw_closed(fd));
	close(fd);
	CU_ASSERT_EQUAL(it_stat_eq(admin, UIOMMU_STATS_MANAGER, 0, 0, 0, "vms",
				   1), 1);
	CU_ASSERT(it_stat(admin, UIOMMU_STATS_MANAGER, 0, 0, 0,
			  "disconnects_bad") >= 1);
	c[0] = it_tlbi_va(1, 0x1000);
	c[1] = it_sync();
	CU_ASSERT_EQUAL(it_q_run(&q, c, 2, &err), 0);
	it_vm_teardown(&bystander);
	uiommu_client_close(admin);
}

/* A manager that requires sealed RAM refuses an unsealed memfd. */
/*
 * Guest RAM must not be able to shrink under the manager's mapping (the
 * next access would be a SIGBUS in the manager). By default the manager
 * seals a sealable memfd itself and refuses an fd it cannot seal;
 * --allow-unsealed-mem (trusted VMMs) accepts it.
 */
static void
test_sealed_memory(void)
{
	static const char *const trusting[] = {
		"--backend", "mock", "--allow-unsealed-mem", NULL
	};
	struct uiommu_msg_hello_reply rep;
	struct uiommu_client *c;
	struct it_mgr loose;
	struct it_ram sealable;
	int unsealable, seals;

	/* The shared manager of this file runs with the default policy. */
	UT_ASSERT_FATAL(mgr_up);
	UT_ASSERT_FATAL(uiommu_client_connect(mgr.sock, IT_DEADLINE_MS, &c) == 0);
	UT_ASSERT_FATAL(uiommu_client_hello(c, 0, "sealed", 0, &rep) == 0);
	CU_ASSERT(rep.features & UIOMMU_FEAT_SEALED_MEM);
	unsealable = memfd_create("no-sealing", MFD_CLOEXEC);
	UT_ASSERT_FATAL(unsealable >= 0 && ftruncate(unsealable, 1 << 20) == 0);
	CU_ASSERT_EQUAL(uiommu_client_mem_add(c, 0, 1 << 20, unsealable, 0),
			-EPERM);
	/* Sealable but not sealed: the manager seals it against shrinking. */
	UT_ASSERT_FATAL(it_ram_create(&sealable, 0, 1 << 20, false) == 0);
	CU_ASSERT_EQUAL(fcntl(sealable.fd, F_GET_SEALS) & F_SEAL_SHRINK, 0);
	CU_ASSERT_EQUAL(uiommu_client_mem_add(c, 0, 1 << 20, sealable.fd, 0), 0);
	seals = fcntl(sealable.fd, F_GET_SEALS);
	CU_ASSERT(seals >= 0 && (seals & F_SEAL_SHRINK));
	CU_ASSERT_NOT_EQUAL(ftruncate(sealable.fd, 4096), 0);
	CU_ASSERT_EQUAL(errno, EPERM);
	CU_ASSERT_EQUAL(ftruncate(sealable.fd, 2 << 20), 0); /* growing is fine */
	uiommu_client_close(c);
	it_ram_destroy(&sealable);

	/* A manager told to trust its VMMs accepts the unsealable fd. */
	UT_ASSERT_FATAL(it_mgr_start(&loose, "0", trusting) == 0);
	UT_ASSERT_FATAL(uiommu_client_connect(loose.sock, IT_DEADLINE_MS,
					      &c) == 0);
	UT_ASSERT_FATAL(uiommu_client_hello(c, 0, "trusted", 0, &rep) == 0);
	CU_ASSERT_FALSE(rep.features & UIOMMU_FEAT_SEALED_MEM);
	CU_ASSERT_EQUAL(uiommu_client_mem_add(c, 0, 1 << 20, unsealable, 0), 0);
	uiommu_client_close(c);
	close(unsealable);
	CU_ASSERT_EQUAL(it_mgr_stop(&loose, SIGTERM), 0);
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
	UT_CASE(test_hello_rules),
	UT_CASE(test_header_errors),
	UT_CASE(test_size_errors),
	UT_CASE(test_fd_errors),
	UT_CASE(test_region_errors),
	UT_CASE(test_object_errors),
	UT_CASE(test_admin_rules),
	UT_CASE(test_events_and_translate),
	UT_CASE(test_bad_magic_disconnects),
	UT_CASE(test_sealed_memory),
	UT_CASE(test_shutdown),
	UT_END
};

int
main(int argc, char **argv)
{
	int rc;

	signal(SIGPIPE, SIG_IGN);
	rc = ut_main("it_protocol", cases, argc, argv);
	if (mgr_up)
		it_mgr_stop(&mgr, SIGKILL);
	return rc;
}
