/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of lib/mgr/proto.c: header verdicts, per-type request
 * validation (sizes, fds, reserved fields, flags, strings), reply checks,
 * and framing with SCM_RIGHTS over a socketpair.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <rte_common.h>

#include "uiommu_proto.h"
#include "uiommu_ut.h"

static void
test_hdr_check(void)
{
	struct uiommu_proto_hdr h;
	int err;

	uiommu_proto_hdr_init(&h, UIOMMU_MSG_HELLO, 0, 48, 7);
	CU_ASSERT_EQUAL(h.magic, UIOMMU_PROTO_MAGIC);
	CU_ASSERT_EQUAL(h.version, UIOMMU_PROTO_VERSION);
	CU_ASSERT_EQUAL(h.req_id, 7);
	CU_ASSERT_EQUAL(uiommu_proto_hdr_check(&h, &err), UIOMMU_PROTO_HDR_OK);
	CU_ASSERT_EQUAL(err, 0);

	h.magic ^= 1;
	CU_ASSERT_EQUAL(uiommu_proto_hdr_check(&h, &err),
			UIOMMU_PROTO_HDR_FATAL);
	h.magic = UIOMMU_PROTO_MAGIC;

	h.size = UIOMMU_PROTO_MAX_PAYLOAD + 1;
	CU_ASSERT_EQUAL(uiommu_proto_hdr_check(&h, &err),
			UIOMMU_PROTO_HDR_REJECT);
	CU_ASSERT_EQUAL(err, -EMSGSIZE);
	/* Oversize wins over every other fault (the payload is skipped). */
	h.version = 9;
	h.type = 999;
	CU_ASSERT_EQUAL(uiommu_proto_hdr_check(&h, &err),
			UIOMMU_PROTO_HDR_REJECT);
	CU_ASSERT_EQUAL(err, -EMSGSIZE);
	h.size = UIOMMU_PROTO_MAX_PAYLOAD;
	CU_ASSERT_EQUAL(uiommu_proto_hdr_check(&h, &err),
			UIOMMU_PROTO_HDR_REJECT);
	CU_ASSERT_EQUAL(err, -EPROTONOSUPPORT);
	h.version = UIOMMU_PROTO_VERSION;
	CU_ASSERT_EQUAL(uiommu_proto_hdr_check(&h, &err),
			UIOMMU_PROTO_HDR_REJECT);
	CU_ASSERT_EQUAL(err, -EOPNOTSUPP);
	h.type = 0;
	uiommu_proto_hdr_check(&h, &err);
	CU_ASSERT_EQUAL(err, -EOPNOTSUPP);
	h.type = UIOMMU_MSG_TYPE_MAX;
	uiommu_proto_hdr_check(&h, &err);
	CU_ASSERT_EQUAL(err, -EOPNOTSUPP);
	h.type = UIOMMU_MSG_LIST;
	h.flags = UIOMMU_PROTO_F_REPLY;
	uiommu_proto_hdr_check(&h, &err);
	CU_ASSERT_EQUAL(err, -EINVAL);
	h.flags = 1u << 5;
	uiommu_proto_hdr_check(&h, &err);
	CU_ASSERT_EQUAL(err, -EOPNOTSUPP);
	h.flags = 0;
	CU_ASSERT_EQUAL(uiommu_proto_hdr_check(&h, &err), UIOMMU_PROTO_HDR_OK);
}

/* Every type: exact size only, exact fd count only. */
static void
test_req_sizes_and_fds(void)
{
	static uint8_t buf[4096];

	for (uint16_t t = 1; t < UIOMMU_MSG_TYPE_MAX; t++) {
		uint32_t sz = uiommu_proto_req_size(t);
		unsigned int fds = t == UIOMMU_MSG_MEM_ADD ? 1 : 0;
		int rc;

		UT_ASSERT_FATAL(sz > 0 && sz <= sizeof(buf));
		CU_ASSERT(uiommu_proto_reply_size(t) >=
			  sizeof(struct uiommu_proto_reply));
		CU_ASSERT_STRING_NOT_EQUAL(uiommu_proto_type_name(t), "UNKNOWN");
		memset(buf, 0, sizeof(buf));
		/* Zeroed payloads: strings are terminated, fields zero. */
		rc = uiommu_proto_req_check(t, buf, sz, fds);
		/* Zero "max" fields are out of range for these three. */
		if (t == UIOMMU_MSG_EVENTS_READ || t == UIOMMU_MSG_LIST ||
		    t == UIOMMU_MSG_TRANSLATE) {
			CU_ASSERT_EQUAL(rc, -EINVAL);
		} else if (t == UIOMMU_MSG_PT_DUMP) {
			/* Table 0 names no table (ptdump_ut.c has the rest). */
			CU_ASSERT_EQUAL(rc, -EOPNOTSUPP);
		} else {
			CU_ASSERT_EQUAL(rc, 0);
		}
		CU_ASSERT_EQUAL(uiommu_proto_req_check(t, buf, sz - 1, fds),
				-EBADMSG);
		CU_ASSERT_EQUAL(uiommu_proto_req_check(t, buf, sz + 1, fds),
				-EBADMSG);
		CU_ASSERT_EQUAL(uiommu_proto_req_check(t, buf, 0, fds),
				-EBADMSG);
		CU_ASSERT_EQUAL(uiommu_proto_req_check(t, NULL, sz, fds),
				-EBADMSG);
		CU_ASSERT_EQUAL(uiommu_proto_req_check(t, buf, sz, fds + 1),
				-EBADF);
		if (fds > 0) {
			CU_ASSERT_EQUAL(uiommu_proto_req_check(t, buf, sz, 0),
					-EBADF);
		}
	}
	CU_ASSERT_EQUAL(uiommu_proto_req_size(0), 0);
	CU_ASSERT_EQUAL(uiommu_proto_req_size(UIOMMU_MSG_TYPE_MAX), 0);
	CU_ASSERT_EQUAL(uiommu_proto_req_check(0, buf, 8, 0), -EOPNOTSUPP);
	CU_ASSERT_EQUAL(uiommu_proto_req_check(500, buf, 8, 0), -EOPNOTSUPP);
	CU_ASSERT_STRING_EQUAL(uiommu_proto_type_name(500), "UNKNOWN");
}

static void
test_req_fields(void)
{
	struct uiommu_msg_hello h = { .version = 1 };
	struct uiommu_msg_mem_add ma = { .gpa = 0 };
	struct uiommu_msg_viommu_create vc = { .backend = "soft" };
	struct uiommu_msg_viommu_destroy vd = { .viommu_id = 1 };
	struct uiommu_msg_vdevice_add va = { .spec = "mock:0" };
	struct uiommu_msg_vcmdq_create qc = { .log2size = 4 };
	struct uiommu_msg_stats st = { .scope = UIOMMU_STATS_VCMDQ };
	struct uiommu_msg_events_read er = { .max = UIOMMU_PROTO_MAX_EVENTS };
	struct uiommu_msg_translate tr = { .access = UIOMMU_XLATE_READ };
	struct uiommu_msg_list li = { .max = UIOMMU_PROTO_MAX_LIST,
				      .kinds = UIOMMU_LIST_ALL };

#define CHECK(t, m, n) uiommu_proto_req_check(t, &(m), sizeof(m), n)
	CU_ASSERT_EQUAL(CHECK(UIOMMU_MSG_HELLO, h, 0), 0);
	h.flags = UIOMMU_HELLO_F_ADMIN;
	CU_ASSERT_EQUAL(CHECK(UIOMMU_MSG_HELLO, h, 0), 0);
	h.flags = 2;
	CU_ASSERT_EQUAL(CHECK(UIOMMU_MSG_HELLO, h, 0), -EOPNOTSUPP);
	h.flags = 0;
	memset(h.name, 'n', sizeof(h.name));
	CU_ASSERT_EQUAL(CHECK(UIOMMU_MSG_HELLO, h, 0), -EINVAL);
	h.name[sizeof(h.name) - 1] = '\0';
	CU_ASSERT_EQUAL(CHECK(UIOMMU_MSG_HELLO, h, 0), 0);

	CU_ASSERT_EQUAL(CHECK(UIOMMU_MSG_MEM_ADD, ma, 1), 0);
	ma.rsvd = 1;
	CU_ASSERT_EQUAL(CHECK(UIOMMU_MSG_MEM_ADD, ma, 1), -EINVAL);
	ma.rsvd = 0;
	ma.flags = 1;
	CU_ASSERT_EQUAL(CHECK(UIOMMU_MSG_MEM_ADD, ma, 1), -EOPNOTSUPP);

	CU_ASSERT_EQUAL(CHECK(UIOMMU_MSG_VIOMMU_CREATE, vc, 0), 0);
	memset(vc.args, 'a', sizeof(vc.args));
	CU_ASSERT_EQUAL(CHECK(UIOMMU_MSG_VIOMMU_CREATE, vc, 0), -EINVAL);
	memset(vc.args, 0, sizeof(vc.args));
	memset(vc.backend, 'b', sizeof(vc.backend));
	CU_ASSERT_EQUAL(CHECK(UIOMMU_MSG_VIOMMU_CREATE, vc, 0), -EINVAL);
	memset(vc.backend, 0, sizeof(vc.backend));
	vc.flags = 4;
	CU_ASSERT_EQUAL(CHECK(UIOMMU_MSG_VIOMMU_CREATE, vc, 0), -EOPNOTSUPP);
	vc.flags = 0;
	vc.rsvd = 4;
	CU_ASSERT_EQUAL(CHECK(UIOMMU_MSG_VIOMMU_CREATE, vc, 0), -EINVAL);

	CU_ASSERT_EQUAL(CHECK(UIOMMU_MSG_VIOMMU_DESTROY, vd, 0), 0);
	vd.rsvd = 1;
	CU_ASSERT_EQUAL(CHECK(UIOMMU_MSG_VIOMMU_DESTROY, vd, 0), -EINVAL);

	CU_ASSERT_EQUAL(CHECK(UIOMMU_MSG_VDEVICE_ADD, va, 0), 0);
	memset(va.spec, 's', sizeof(va.spec));
	CU_ASSERT_EQUAL(CHECK(UIOMMU_MSG_VDEVICE_ADD, va, 0), -EINVAL);

	CU_ASSERT_EQUAL(CHECK(UIOMMU_MSG_VCMDQ_CREATE, qc, 0), 0);
	qc.rsvd = 1;
	CU_ASSERT_EQUAL(CHECK(UIOMMU_MSG_VCMDQ_CREATE, qc, 0), -EINVAL);

	CU_ASSERT_EQUAL(CHECK(UIOMMU_MSG_STATS, st, 0), 0);
	st.scope = UIOMMU_STATS_SCOPE_MAX;
	CU_ASSERT_EQUAL(CHECK(UIOMMU_MSG_STATS, st, 0), -EOPNOTSUPP);

	CU_ASSERT_EQUAL(CHECK(UIOMMU_MSG_EVENTS_READ, er, 0), 0);
	er.max++;
	CU_ASSERT_EQUAL(CHECK(UIOMMU_MSG_EVENTS_READ, er, 0), -EINVAL);

	CU_ASSERT_EQUAL(CHECK(UIOMMU_MSG_TRANSLATE, tr, 0), 0);
	tr.access |= UIOMMU_XLATE_WRITE;
	CU_ASSERT_EQUAL(CHECK(UIOMMU_MSG_TRANSLATE, tr, 0), 0);
	tr.access = 4;
	CU_ASSERT_EQUAL(CHECK(UIOMMU_MSG_TRANSLATE, tr, 0), -EOPNOTSUPP);

	CU_ASSERT_EQUAL(CHECK(UIOMMU_MSG_LIST, li, 0), 0);
	li.kinds = 0;
	CU_ASSERT_EQUAL(CHECK(UIOMMU_MSG_LIST, li, 0), 0);
	li.kinds = 1u << UIOMMU_LIST_KIND_MAX;
	CU_ASSERT_EQUAL(CHECK(UIOMMU_MSG_LIST, li, 0), -EOPNOTSUPP);
	li.kinds = 0;
	li.max = UIOMMU_PROTO_MAX_LIST + 1;
	CU_ASSERT_EQUAL(CHECK(UIOMMU_MSG_LIST, li, 0), -EINVAL);
#undef CHECK
	CU_ASSERT(uiommu_proto_str_ok("a\0b", 3));
	CU_ASSERT_FALSE(uiommu_proto_str_ok("abc", 3));
}

static void
test_reply_check(void)
{
	uint8_t payload[256] = { 0 };
	struct uiommu_proto_reply *r = (void *)payload;
	struct uiommu_proto_hdr h;

	uiommu_proto_hdr_init(&h, UIOMMU_MSG_VIOMMU_CREATE,
			      UIOMMU_PROTO_F_REPLY,
			      sizeof(struct uiommu_msg_viommu_create_reply), 5);
	CU_ASSERT_EQUAL(uiommu_proto_reply_check(&h, UIOMMU_MSG_VIOMMU_CREATE,
						 5, payload), 0);
	/* Wrong id, type, missing REPLY flag, bad magic. */
	CU_ASSERT_EQUAL(uiommu_proto_reply_check(&h, UIOMMU_MSG_VIOMMU_CREATE,
						 6, payload), -EPROTO);
	CU_ASSERT_EQUAL(uiommu_proto_reply_check(&h, UIOMMU_MSG_HELLO, 5,
						 payload), -EPROTO);
	h.flags = 0;
	CU_ASSERT_EQUAL(uiommu_proto_reply_check(&h, UIOMMU_MSG_VIOMMU_CREATE,
						 5, payload), -EPROTO);
	h.flags = UIOMMU_PROTO_F_REPLY;
	h.magic = 0;
	CU_ASSERT_EQUAL(uiommu_proto_reply_check(&h, UIOMMU_MSG_VIOMMU_CREATE,
						 5, payload), -EPROTO);
	h.magic = UIOMMU_PROTO_MAGIC;
	/* A success shorter than the type's reply is malformed ... */
	h.size = sizeof(*r);
	CU_ASSERT_EQUAL(uiommu_proto_reply_check(&h, UIOMMU_MSG_VIOMMU_CREATE,
						 5, payload), -EPROTO);
	/* ... an error needs only the head ... */
	r->result = -ENOENT;
	CU_ASSERT_EQUAL(uiommu_proto_reply_check(&h, UIOMMU_MSG_VIOMMU_CREATE,
						 5, payload), 0);
	/* ... and a positive or absurd result is not an errno. */
	r->result = 3;
	CU_ASSERT_EQUAL(uiommu_proto_reply_check(&h, UIOMMU_MSG_VIOMMU_CREATE,
						 5, payload), -EPROTO);
	r->result = -100000;
	CU_ASSERT_EQUAL(uiommu_proto_reply_check(&h, UIOMMU_MSG_VIOMMU_CREATE,
						 5, payload), -EPROTO);
	h.size = 4;
	r->result = 0;
	CU_ASSERT_EQUAL(uiommu_proto_reply_check(&h, UIOMMU_MSG_VIOMMU_CREATE,
						 5, payload), -EPROTO);
}

static bool
same_file(int a, int b)
{
	struct stat sa, sb;

	return fstat(a, &sa) == 0 && fstat(b, &sb) == 0 &&
	       sa.st_ino == sb.st_ino && sa.st_dev == sb.st_dev;
}

/* Framing: payload and fds arrive together; reads never cross messages. */
static void
test_send_recv_fds(void)
{
	struct uiommu_msg_mem_add m = { .gpa = 0x1000, .size = 0x2000 };
	struct uiommu_proto_hdr h, got;
	struct uiommu_msg_mem_add gm;
	int sv[2], fds[UIOMMU_PROTO_MAX_FDS], rfd[UIOMMU_PROTO_MAX_FDS + 4];
	unsigned int nr = 0;
	int ovf = 0, memfd;
	ssize_t n;

	UT_ASSERT_FATAL(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
	memfd = open("/dev/null", O_RDONLY);
	UT_ASSERT_FATAL(memfd >= 0);
	for (unsigned int i = 0; i < RTE_DIM(fds); i++)
		fds[i] = memfd;
	uiommu_proto_hdr_init(&h, UIOMMU_MSG_MEM_ADD, 0, sizeof(m), 1);
	CU_ASSERT_EQUAL(uiommu_proto_send(sv[0], &h, &m, fds, 1), 0);
	/* A second message right behind it, with two fds. */
	h.req_id = 2;
	CU_ASSERT_EQUAL(uiommu_proto_send(sv[0], &h, &m, fds, 2), 0);
	CU_ASSERT_EQUAL(uiommu_proto_send(sv[0], &h, &m, fds,
					  UIOMMU_PROTO_MAX_FDS + 1), -EINVAL);

	n = uiommu_proto_recv(sv[1], &got, sizeof(got), rfd, &nr, RTE_DIM(rfd),
			      &ovf);
	CU_ASSERT_EQUAL(n, (ssize_t)sizeof(got));
	CU_ASSERT_EQUAL(got.req_id, 1);
	CU_ASSERT_EQUAL(nr, 1);
	n = uiommu_proto_recv(sv[1], &gm, sizeof(gm), rfd, &nr, RTE_DIM(rfd),
			      &ovf);
	CU_ASSERT_EQUAL(n, (ssize_t)sizeof(gm));
	CU_ASSERT_EQUAL(gm.size, 0x2000);
	/* Reading exactly one message gave exactly its fd. */
	CU_ASSERT_EQUAL(nr, 1);
	CU_ASSERT(same_file(rfd[0], memfd));
	n = uiommu_proto_recv(sv[1], &got, sizeof(got), rfd, &nr, RTE_DIM(rfd),
			      &ovf);
	CU_ASSERT_EQUAL(n, (ssize_t)sizeof(got));
	CU_ASSERT_EQUAL(got.req_id, 2);
	CU_ASSERT_EQUAL(nr, 3);
	CU_ASSERT_EQUAL(ovf, 0);
	n = uiommu_proto_recv(sv[1], &gm, sizeof(gm), rfd, &nr, RTE_DIM(rfd),
			      &ovf);
	CU_ASSERT_EQUAL(n, (ssize_t)sizeof(gm));
	for (unsigned int i = 0; i < nr; i++)
		close(rfd[i]);
	nr = 0;

	/* More fds than the receiver holds: extra ones closed, reported. */
	h.req_id = 3;
	CU_ASSERT_EQUAL(uiommu_proto_send(sv[0], &h, &m, fds, 4), 0);
	n = uiommu_proto_recv(sv[1], &got, sizeof(got), rfd, &nr, 2, &ovf);
	CU_ASSERT_EQUAL(n, (ssize_t)sizeof(got));
	CU_ASSERT_EQUAL(nr, 2);
	CU_ASSERT_EQUAL(ovf, 1);
	n = uiommu_proto_recv(sv[1], &gm, sizeof(gm), rfd, &nr, 2, &ovf);
	for (unsigned int i = 0; i < nr; i++)
		close(rfd[i]);

	/* EOF and EAGAIN. */
	close(sv[0]);
	nr = 0;
	CU_ASSERT_EQUAL(uiommu_proto_recv(sv[1], &got, sizeof(got), rfd, &nr,
					  RTE_DIM(rfd), &ovf), 0);
	close(sv[1]);
	UT_ASSERT_FATAL(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0,
				   sv) == 0);
	CU_ASSERT_EQUAL(uiommu_proto_recv(sv[1], &got, sizeof(got), rfd, &nr,
					  RTE_DIM(rfd), &ovf), -EAGAIN);
	/* Sending to a closed peer is -EPIPE, never SIGPIPE. */
	close(sv[1]);
	CU_ASSERT_EQUAL(uiommu_proto_send(sv[0], &h, &m, NULL, 0), -EPIPE);
	close(sv[0]);
	close(memfd);
}

static const struct ut_case cases[] = {
	UT_CASE(test_hdr_check),
	UT_CASE(test_req_sizes_and_fds),
	UT_CASE(test_req_fields),
	UT_CASE(test_reply_check),
	UT_CASE(test_send_recv_fds),
	UT_END
};

int
main(int argc, char **argv)
{
	return ut_main("mgr_proto", cases, argc, argv);
}
