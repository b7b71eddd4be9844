/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of lib/client against a scripted fake manager (a thread on a
 * Unix socket in a temporary directory): request framing, reply checks,
 * errno pass-through, transport failures (wrong id, silence, hang-up) that
 * break the connection, control-region mapping, and the memfd helper.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <rte_common.h>

#include "uiommu_client.h"
#include "uiommu_ut.h"

enum action {
	A_REPLY,     /* reply with result, payload and fds of the step */
	A_WRONG_ID,  /* reply with another request id */
	A_SILENT,    /* never reply */
	A_CLOSE,     /* hang up */
};

struct step {
	enum action action;
	int32_t result;
	uint8_t payload[512];   /* after the reply head */
	uint32_t len;           /* bytes of payload to send (after the head) */
	int fd;                 /* fd to pass, or -1 */
};

static struct {
	char dir[64];
	char path[108];
	int listen_fd;
	pthread_t thr;
	struct step steps[16];
	unsigned int nsteps;
	/* what the server saw */
	struct uiommu_proto_hdr last_hdr;
	uint8_t last_payload[UIOMMU_PROTO_MAX_PAYLOAD];
	unsigned int last_nfds;
} srv;

static int
recv_all(int fd, void *buf, size_t len, unsigned int *nfds)
{
	int fds[UIOMMU_PROTO_MAX_FDS];
	unsigned int n = 0;
	size_t got = 0;
	int ovf = 0;

	while (got < len) {
		ssize_t r = uiommu_proto_recv(fd, (uint8_t *)buf + got,
					      len - got, fds, &n, RTE_DIM(fds),
					      &ovf);

		if (r <= 0)
			return -1;
		got += (size_t)r;
	}
	for (unsigned int i = 0; i < n; i++)
		close(fds[i]);
	*nfds += n;
	return 0;
}

static void *
server(void *arg)
{
	int c = accept(srv.listen_fd, NULL, NULL);

	RTE_SET_USED(arg);
	if (c < 0)
		return NULL;
	for (unsigned int i = 0; i < srv.nsteps; i++) {
		const struct step *s = &srv.steps[i];
		uint8_t out[sizeof(struct uiommu_proto_reply) + 512];
		struct uiommu_proto_reply r = { .result = s->result };
		struct uiommu_proto_hdr h;

		srv.last_nfds = 0;
		if (recv_all(c, &srv.last_hdr, sizeof(h), &srv.last_nfds) != 0 ||
		    recv_all(c, srv.last_payload, srv.last_hdr.size,
			     &srv.last_nfds) != 0)
			break;
		if (s->action == A_CLOSE)
			break;
		if (s->action == A_SILENT) {
			char b;

			/* Wait for the client to give up and close. */
			while (recv(c, &b, 1, 0) > 0)
				;
			break;
		}
		memcpy(out, &r, sizeof(r));
		memcpy(out + sizeof(r), s->payload, s->len);
		uiommu_proto_hdr_init(&h, srv.last_hdr.type,
				      UIOMMU_PROTO_F_REPLY, sizeof(r) + s->len,
				      srv.last_hdr.req_id +
				      (s->action == A_WRONG_ID));
		uiommu_proto_send(c, &h, out, &s->fd, s->fd >= 0 ? 1 : 0);
	}
	close(c);
	return NULL;
}

static struct uiommu_client *
start(const struct step *steps, unsigned int n)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct uiommu_client *c;

	memcpy(srv.steps, steps, n * sizeof(*steps));
	srv.nsteps = n;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", srv.path);
	unlink(srv.path);
	srv.listen_fd = socket(AF_UNIX, SOCK_STREAM, 0);
	UT_ASSERT_FATAL(srv.listen_fd >= 0);
	UT_ASSERT_FATAL(bind(srv.listen_fd, (struct sockaddr *)&sa,
			     sizeof(sa)) == 0);
	UT_ASSERT_FATAL(listen(srv.listen_fd, 4) == 0);
	UT_ASSERT_FATAL(pthread_create(&srv.thr, NULL, server, NULL) == 0);
	UT_ASSERT_FATAL(uiommu_client_connect(srv.path, 500, &c) == 0);
	return c;
}

static void
finish(struct uiommu_client *c)
{
	uiommu_client_close(c);
	pthread_join(srv.thr, NULL);
	close(srv.listen_fd);
	unlink(srv.path);
}

static struct step
reply(int32_t result, const void *payload, uint32_t len, int fd)
{
	struct step s = { .action = A_REPLY, .result = result, .len = len,
			  .fd = fd };

	if (len > 0)
		memcpy(s.payload, (const uint8_t *)payload +
		       sizeof(struct uiommu_proto_reply), len);
	return s;
}

static void
test_connect_errors(void)
{
	struct uiommu_client *c = NULL;
	char longpath[200];

	memset(longpath, 'p', sizeof(longpath) - 1);
	longpath[sizeof(longpath) - 1] = '\0';
	CU_ASSERT_EQUAL(uiommu_client_connect(longpath, 100, &c), -EINVAL);
	CU_ASSERT_EQUAL(uiommu_client_connect(srv.path, 0, &c), -EINVAL);
	CU_ASSERT_EQUAL(uiommu_client_connect(NULL, 100, &c), -EINVAL);
	/* Nobody there: retried until the timeout. */
	CU_ASSERT_EQUAL(uiommu_client_connect(srv.path, 100, &c), -ETIMEDOUT);
	CU_ASSERT_PTR_NULL(c);
	uiommu_client_close(NULL);
}

static void
test_hello_and_errno(void)
{
	struct uiommu_msg_hello_reply hr = { .version = 1, .vm_id = 5,
					     .features = 3 };
	struct step steps[3];
	struct uiommu_msg_hello_reply info;
	const struct uiommu_msg_hello *sent;
	struct uiommu_client *c;

	steps[0] = reply(0, &hr, sizeof(hr) - sizeof(struct uiommu_proto_reply),
			 -1);
	steps[1] = reply(-ENOENT, NULL, 0, -1);
	steps[2] = reply(0, NULL, 0, -1);
	c = start(steps, 3);
	CU_ASSERT_EQUAL(uiommu_client_hello(c, UIOMMU_HELLO_F_ADMIN, "abc",
					    UIOMMU_FEAT_VCMDQ, &info), 0);
	sent = (const void *)srv.last_payload;
	CU_ASSERT_EQUAL(srv.last_hdr.type, UIOMMU_MSG_HELLO);
	CU_ASSERT_EQUAL(srv.last_hdr.size, sizeof(*sent));
	CU_ASSERT_EQUAL(sent->version, UIOMMU_PROTO_VERSION);
	CU_ASSERT_EQUAL(sent->flags, UIOMMU_HELLO_F_ADMIN);
	CU_ASSERT_EQUAL(sent->features, UIOMMU_FEAT_VCMDQ);
	CU_ASSERT_STRING_EQUAL(sent->name, "abc");
	CU_ASSERT_EQUAL(info.vm_id, 5);
	CU_ASSERT_EQUAL(info.features, 3);
	/* The manager's errno comes back unchanged; the link stays up. */
	CU_ASSERT_EQUAL(uiommu_client_viommu_destroy(c, 9), -ENOENT);
	CU_ASSERT_EQUAL(uiommu_client_strtab_set(c, 1, 0x1000, 4), 0);
	CU_ASSERT_EQUAL(srv.last_hdr.type, UIOMMU_MSG_STRTAB_SET);
	/* Each request got a fresh id. */
	CU_ASSERT_EQUAL(srv.last_hdr.req_id, 3);
	finish(c);
}

static void
test_transport_failures(void)
{
	struct step wrong = { .action = A_WRONG_ID, .fd = -1 };
	struct step silent = { .action = A_SILENT, .fd = -1 };
	struct step hangup = { .action = A_CLOSE, .fd = -1 };
	struct uiommu_client *c;

	c = start(&wrong, 1);
	CU_ASSERT_EQUAL(uiommu_client_mem_del(c, 0, 4096), -EPROTO);
	CU_ASSERT_EQUAL(uiommu_client_mem_del(c, 0, 4096), -ENOTCONN);
	finish(c);

	c = start(&silent, 1);
	CU_ASSERT_EQUAL(uiommu_client_mem_del(c, 0, 4096), -ETIMEDOUT);
	CU_ASSERT_EQUAL(uiommu_client_mem_del(c, 0, 4096), -ENOTCONN);
	finish(c);

	c = start(&hangup, 1);
	CU_ASSERT_EQUAL(uiommu_client_mem_del(c, 0, 4096), -ECONNRESET);
	finish(c);
}

static void
test_mem_add_fd(void)
{
	struct step ok = reply(0, NULL, 0, -1);
	struct uiommu_client *c;
	int fd = uiommu_client_memfd("ut", 8192, 0);

	UT_ASSERT_FATAL(fd >= 0);
	c = start(&ok, 1);
	CU_ASSERT_EQUAL(uiommu_client_mem_add(c, 0x1000, 8192, -1, 0), -EBADF);
	CU_ASSERT_EQUAL(uiommu_client_mem_add(c, 0x1000, 8192, 1000, 0),
			-EBADF);
	CU_ASSERT_EQUAL(uiommu_client_mem_add(c, 0x1000, 8192, fd, 0), 0);
	CU_ASSERT_EQUAL(srv.last_hdr.type, UIOMMU_MSG_MEM_ADD);
	CU_ASSERT_EQUAL(srv.last_nfds, 1);
	finish(c);
	close(fd);
}

static void
test_vcmdq_region(void)
{
	struct uiommu_msg_vcmdq_create_reply r = {
		.regs_offset = 0x100, .region_size = 65536, .lcore = 3,
	};
	const uint32_t head = sizeof(struct uiommu_proto_reply);
	struct uiommu_client_vcmdq q1, q2, q3;
	struct step steps[6];
	struct uiommu_client *c;
	uint8_t *srv_map;
	int fd = uiommu_client_memfd("region", 65536, 0);

	UT_ASSERT_FATAL(fd >= 0);
	srv_map = mmap(NULL, 65536, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	UT_ASSERT_FATAL(srv_map != MAP_FAILED);
	steps[0] = reply(0, &r, sizeof(r) - head, fd);
	r.regs_offset = 0x180;
	steps[1] = reply(0, &r, sizeof(r) - head, fd);
	r.regs_offset = 65536;             /* outside the region */
	steps[2] = reply(0, &r, sizeof(r) - head, fd);
	r.regs_offset = 0;
	r.region_size = 1 << 20;          /* larger than the fd */
	steps[3] = reply(0, &r, sizeof(r) - head, fd);
	r.region_size = 65536;
	steps[4] = reply(0, &r, sizeof(r) - head, -1);   /* no fd */
	c = start(steps, 5);
	CU_ASSERT_EQUAL(uiommu_client_vcmdq_create(c, 1, 0, 4, 0x1000, &q1), 0);
	CU_ASSERT_EQUAL(q1.lcore, 3);
	CU_ASSERT_EQUAL(q1.regs_offset, 0x100);
	CU_ASSERT(q1.region_fd >= 0);
	/* The registers are the shared page: writes meet. */
	q1.regs->prod = 0x1234;
	CU_ASSERT_EQUAL(((struct uiommu_vcmdq_regs *)(srv_map + 0x100))->prod,
			0x1234);
	/* Same vIOMMU: the mapping is reused. */
	CU_ASSERT_EQUAL(uiommu_client_vcmdq_create(c, 1, 1, 4, 0x2000, &q2), 0);
	CU_ASSERT_PTR_EQUAL((uint8_t *)q2.regs - 0x180,
			    (uint8_t *)q1.regs - 0x100);
	CU_ASSERT_EQUAL(q2.region_fd, q1.region_fd);
	/* Inconsistent answers (on another vIOMMU) are refused. */
	CU_ASSERT_EQUAL(uiommu_client_vcmdq_create(c, 2, 0, 4, 0x1000, &q3),
			-EPROTO);
	CU_ASSERT_EQUAL(uiommu_client_vcmdq_create(c, 2, 0, 4, 0x1000, &q3),
			-EPROTO);
	CU_ASSERT_EQUAL(uiommu_client_vcmdq_create(c, 2, 0, 4, 0x1000, &q3),
			-EPROTO);
	finish(c);
	munmap(srv_map, 65536);
	close(fd);
}

static void
test_stats_parsing(void)
{
	uint8_t buf[sizeof(struct uiommu_msg_stats_reply) +
		    2 * sizeof(struct uiommu_proto_stat)] = { 0 };
	struct uiommu_msg_stats_reply *h = (void *)buf;
	struct uiommu_proto_stat *e = (void *)(h + 1), out[4];
	const uint32_t head = sizeof(struct uiommu_proto_reply);
	struct step steps[2];
	struct uiommu_client *c;
	unsigned int n = RTE_DIM(out);
	uint64_t v = 0;

	h->count = 2;
	snprintf(e[0].name, sizeof(e[0].name), "commands");
	e[0].value = 42;
	snprintf(e[1].name, sizeof(e[1].name), "syncs");
	e[1].value = 7;
	steps[0] = reply(0, buf, sizeof(buf) - head, -1);
	h->count = 3;   /* says 3, carries 2 */
	steps[1] = reply(0, buf, sizeof(buf) - head, -1);
	c = start(steps, 2);
	CU_ASSERT_EQUAL(uiommu_client_stats(c, UIOMMU_STATS_VM, 0, 0, 0, out,
					    &n), 0);
	CU_ASSERT_EQUAL(n, 2);
	CU_ASSERT_EQUAL(uiommu_client_stat_find(out, n, "syncs", &v), 0);
	CU_ASSERT_EQUAL(v, 7);
	CU_ASSERT_EQUAL(uiommu_client_stat_find(out, n, "nope", &v), -ENOENT);
	n = RTE_DIM(out);
	CU_ASSERT_EQUAL(uiommu_client_stats(c, UIOMMU_STATS_VM, 0, 0, 0, out,
					    &n), -EPROTO);
	finish(c);
}

static void
test_memfd_helper(void)
{
	int fd, seals;

	CU_ASSERT_EQUAL(uiommu_client_memfd("x", 0, 0), -EINVAL);
	CU_ASSERT_EQUAL(uiommu_client_memfd(NULL, 4096, 0), -EINVAL);
	CU_ASSERT_EQUAL(uiommu_client_memfd("x", 4096, 1u << 7), -EINVAL);
	fd = uiommu_client_memfd("x", 4096, UIOMMU_CLIENT_MEMFD_SEAL);
	UT_ASSERT_FATAL(fd >= 0);
	seals = fcntl(fd, F_GET_SEALS);
	CU_ASSERT(seals & F_SEAL_SHRINK);
	CU_ASSERT(seals & F_SEAL_GROW);
	CU_ASSERT_NOT_EQUAL(ftruncate(fd, 0), 0);
	close(fd);
	fd = uiommu_client_memfd("x", 4096, 0);
	UT_ASSERT_FATAL(fd >= 0);
	CU_ASSERT_EQUAL(ftruncate(fd, 8192), 0);
	close(fd);
}

static const struct ut_case cases[] = {
	UT_CASE(test_connect_errors),
	UT_CASE(test_hello_and_errno),
	UT_CASE(test_transport_failures),
	UT_CASE(test_mem_add_fd),
	UT_CASE(test_vcmdq_region),
	UT_CASE(test_stats_parsing),
	UT_CASE(test_memfd_helper),
	UT_END
};

int
main(int argc, char **argv)
{
	int rc;

	snprintf(srv.dir, sizeof(srv.dir), "/tmp/uiommu-client-ut-XXXXXX");
	if (mkdtemp(srv.dir) == NULL)
		return 1;
	snprintf(srv.path, sizeof(srv.path), "%s/s.sock", srv.dir);
	rc = ut_main("client", cases, argc, argv);
	unlink(srv.path);
	rmdir(srv.dir);
	return rc;
}
