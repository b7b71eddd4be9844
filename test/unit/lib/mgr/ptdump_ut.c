/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of the PT_DUMP message (lib/mgr/proto.c, uiommu_proto.h):
 * layout and limits, request validation (every field's rule and its
 * errno), the client-side reply check (sizes, counts, flags, kinds,
 * states, reserved fields), and a request and a full-size reply framed
 * over a socketpair and decoded on the other side.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <rte_common.h>

#include "uiommu_proto.h"
#include "uiommu_ut.h"

static struct uiommu_msg_pt_dump
good_req(void)
{
	struct uiommu_msg_pt_dump m = {
		.vm_id = 1, .viommu_id = 2, .vsid = 3,
		.table = UIOMMU_PT_DUMP_TABLE_S1,
		.first = 0x1000, .last = 0x1fffff, .max = 64,
	};

	return m;
}

static int
chk(const struct uiommu_msg_pt_dump *m)
{
	return uiommu_proto_req_check(UIOMMU_MSG_PT_DUMP, m, sizeof(*m), 0);
}

static void
test_layout(void)
{
	struct uiommu_proto_hdr h;
	int err;

	CU_ASSERT_EQUAL(UIOMMU_MSG_PT_DUMP, 15);
	CU_ASSERT_EQUAL(UIOMMU_MSG_TYPE_MAX, 16);
	CU_ASSERT_EQUAL(uiommu_proto_req_size(UIOMMU_MSG_PT_DUMP), 48);
	CU_ASSERT_EQUAL(uiommu_proto_reply_size(UIOMMU_MSG_PT_DUMP), 48);
	CU_ASSERT_STRING_EQUAL(uiommu_proto_type_name(UIOMMU_MSG_PT_DUMP),
			       "PT_DUMP");
	CU_ASSERT_EQUAL(offsetof(struct uiommu_msg_pt_dump, table), 16);
	CU_ASSERT_EQUAL(offsetof(struct uiommu_msg_pt_dump, last), 32);
	CU_ASSERT_EQUAL(offsetof(struct uiommu_msg_pt_dump, max), 40);
	CU_ASSERT_EQUAL(offsetof(struct uiommu_proto_pt_entry, out), 16);
	CU_ASSERT_EQUAL(offsetof(struct uiommu_proto_pt_entry, pte), 24);
	CU_ASSERT_EQUAL(offsetof(struct uiommu_proto_pt_entry, level), 36);
	CU_ASSERT_EQUAL(offsetof(struct uiommu_proto_pt_entry, flags), 40);
	CU_ASSERT_EQUAL(offsetof(struct uiommu_msg_pt_dump_reply, next), 16);
	CU_ASSERT_EQUAL(offsetof(struct uiommu_msg_pt_dump_reply, ttb), 24);
	CU_ASSERT_EQUAL(offsetof(struct uiommu_msg_pt_dump_reply, state), 38);
	CU_ASSERT_EQUAL(offsetof(struct uiommu_msg_pt_dump_reply, start_level),
			43);
	/* The largest reply fits a message; one more entry would not fit
	 * the limit the protocol promises (MAX entries). */
	CU_ASSERT_TRUE(sizeof(struct uiommu_msg_pt_dump_reply) +
		       UIOMMU_PROTO_MAX_PT_ENTRIES *
		       sizeof(struct uiommu_proto_pt_entry) <=
		       UIOMMU_PROTO_MAX_PAYLOAD);
	CU_ASSERT_TRUE(UIOMMU_FEAT_ALL & UIOMMU_FEAT_PT_DUMP);
	/* The header of a PT_DUMP request is accepted. */
	uiommu_proto_hdr_init(&h, UIOMMU_MSG_PT_DUMP, 0, 48, 1);
	CU_ASSERT_EQUAL(uiommu_proto_hdr_check(&h, &err), UIOMMU_PROTO_HDR_OK);
	CU_ASSERT_EQUAL(err, 0);
}

static void
test_req_check(void)
{
	struct uiommu_msg_pt_dump m = good_req();
	uint8_t big[sizeof(m) + 8];

	CU_ASSERT_EQUAL(chk(&m), 0);
	m.table = UIOMMU_PT_DUMP_TABLE_S2;
	CU_ASSERT_EQUAL(chk(&m), 0);
	/* Size is exact; no fd. */
	CU_ASSERT_EQUAL(uiommu_proto_req_check(UIOMMU_MSG_PT_DUMP, &m,
					       sizeof(m) - 1, 0), -EBADMSG);
	memset(big, 0, sizeof(big));
	memcpy(big, &m, sizeof(m));
	CU_ASSERT_EQUAL(uiommu_proto_req_check(UIOMMU_MSG_PT_DUMP, big,
					       sizeof(big), 0), -EBADMSG);
	CU_ASSERT_EQUAL(uiommu_proto_req_check(UIOMMU_MSG_PT_DUMP, &m,
					       sizeof(m), 1), -EBADF);
	/* Unknown table or flag. */
	for (uint32_t t = 0; t < 8; t++) {
		m = good_req();
		m.table = t;
		CU_ASSERT_EQUAL(chk(&m), t == 1 || t == 2 ? 0 : -EOPNOTSUPP);
	}
	m = good_req();
	m.flags = 1u << 1;
	CU_ASSERT_EQUAL(chk(&m), -EOPNOTSUPP);
	/* Reserved, range, max. */
	m = good_req();
	m.rsvd = 1;
	CU_ASSERT_EQUAL(chk(&m), -EINVAL);
	m = good_req();
	m.first = m.last + 1;
	CU_ASSERT_EQUAL(chk(&m), -EINVAL);
	m.first = m.last;
	CU_ASSERT_EQUAL(chk(&m), 0);
	m.first = 0;
	m.last = UINT64_MAX;
	CU_ASSERT_EQUAL(chk(&m), 0);
	for (uint32_t max = 0; max < 8; max++) {
		m.max = max;
		CU_ASSERT_EQUAL(chk(&m), max >= UIOMMU_PROTO_MIN_PT_ENTRIES ?
				0 : -EINVAL);
	}
	m.max = UIOMMU_PROTO_MAX_PT_ENTRIES;
	CU_ASSERT_EQUAL(chk(&m), 0);
	m.max = UIOMMU_PROTO_MAX_PT_ENTRIES + 1;
	CU_ASSERT_EQUAL(chk(&m), -EINVAL);
	m.max = UINT32_MAX;
	CU_ASSERT_EQUAL(chk(&m), -EINVAL);
	/* A substream: only with SSV, only at stage 1. */
	m = good_req();
	m.ssid = 5;
	CU_ASSERT_EQUAL(chk(&m), -EINVAL);
	m.flags = UIOMMU_PT_DUMP_F_SSV;
	CU_ASSERT_EQUAL(chk(&m), 0);
	m.ssid = 0;
	CU_ASSERT_EQUAL(chk(&m), 0);
	m.table = UIOMMU_PT_DUMP_TABLE_S2;
	CU_ASSERT_EQUAL(chk(&m), -EINVAL);
}

/* A reply buffer with n entries, all well formed. */
static uint8_t *
make_reply(uint32_t n, uint32_t *size)
{
	struct uiommu_msg_pt_dump_reply *h;
	struct uiommu_proto_pt_entry *e;
	uint8_t *buf;

	*size = (uint32_t)(sizeof(*h) + n * sizeof(*e));
	buf = calloc(1, UIOMMU_PROTO_MAX_PAYLOAD + sizeof(*e));
	UT_ASSERT_FATAL(buf != NULL);
	h = (void *)buf;
	e = (void *)(h + 1);
	h->count = n;
	h->stage = 1;
	h->state = UIOMMU_PT_STATE_TABLE;
	h->flags = UIOMMU_PT_DUMP_R_MORE;
	h->next = 0x200000;
	for (uint32_t i = 0; i < n; i++) {
		e[i].kind = (uint8_t)(1 + i % 4);
		e[i].level = (uint8_t)(i % 4);
		e[i].in = (uint64_t)i << 12;
		e[i].size = 4096;
	}
	return buf;
}

static void
test_reply_check(void)
{
	struct uiommu_msg_pt_dump_reply *h;
	struct uiommu_proto_pt_entry *e;
	uint32_t size;
	uint8_t *buf;

	buf = make_reply(10, &size);
	h = (void *)buf;
	e = (void *)(h + 1);
	CU_ASSERT_EQUAL(uiommu_proto_pt_dump_reply_check(buf, size, 10), 0);
	/* More entries than asked for. */
	CU_ASSERT_EQUAL(uiommu_proto_pt_dump_reply_check(buf, size, 9), -EPROTO);
	/* Size not exactly head + count entries. */
	CU_ASSERT_EQUAL(uiommu_proto_pt_dump_reply_check(buf, size - 1, 10),
			-EPROTO);
	CU_ASSERT_EQUAL(uiommu_proto_pt_dump_reply_check(buf, size + 48, 10),
			-EPROTO);
	CU_ASSERT_EQUAL(uiommu_proto_pt_dump_reply_check(buf, 47, 10), -EPROTO);
	CU_ASSERT_EQUAL(uiommu_proto_pt_dump_reply_check(NULL, size, 10),
			-EPROTO);
	/* A count that would overflow a 32-bit product is refused first. */
	h->count = 0x80000000u;
	CU_ASSERT_EQUAL(uiommu_proto_pt_dump_reply_check(buf, size, UINT32_MAX),
			-EPROTO);
	h->count = 10;
	/* Flags: unknown, READ_LIMIT without MORE. */
	h->flags |= 1u << 7;
	CU_ASSERT_EQUAL(uiommu_proto_pt_dump_reply_check(buf, size, 10), -EPROTO);
	h->flags = UIOMMU_PT_DUMP_R_READ_LIMIT;
	CU_ASSERT_EQUAL(uiommu_proto_pt_dump_reply_check(buf, size, 10), -EPROTO);
	h->flags = UIOMMU_PT_DUMP_R_READ_LIMIT | UIOMMU_PT_DUMP_R_MORE |
		   UIOMMU_PT_DUMP_R_TTB_HIDDEN;
	CU_ASSERT_EQUAL(uiommu_proto_pt_dump_reply_check(buf, size, 10), 0);
	/* States and stages. */
	h->state = UIOMMU_PT_STATE_FAULT + 1;
	CU_ASSERT_EQUAL(uiommu_proto_pt_dump_reply_check(buf, size, 10), -EPROTO);
	h->state = UIOMMU_PT_STATE_ABORT;   /* no table, yet entries */
	CU_ASSERT_EQUAL(uiommu_proto_pt_dump_reply_check(buf, size, 10), -EPROTO);
	h->state = UIOMMU_PT_STATE_TABLE;
	h->stage = 3;
	CU_ASSERT_EQUAL(uiommu_proto_pt_dump_reply_check(buf, size, 10), -EPROTO);
	h->stage = 2;
	h->rsvd = 1;
	CU_ASSERT_EQUAL(uiommu_proto_pt_dump_reply_check(buf, size, 10), -EPROTO);
	h->rsvd = 0;
	h->r.result = -ENOENT;
	CU_ASSERT_EQUAL(uiommu_proto_pt_dump_reply_check(buf, size, 10), -EPROTO);
	h->r.result = 0;
	/* Entries. */
	for (uint32_t i = 0; i < 6; i++) {
		struct uiommu_proto_pt_entry save = e[7];

		switch (i) {
		case 0: e[7].kind = 0; break;
		case 1: e[7].kind = UIOMMU_PT_ENTRY_FAULT + 1; break;
		case 2: e[7].level = 4; break;
		case 3: e[7].size = 0; break;
		case 4: e[7].rsvd = 1; break;
		default: e[7].flags = 1u << 1; break;
		}
		CU_ASSERT_EQUAL(uiommu_proto_pt_dump_reply_check(buf, size, 10),
				-EPROTO);
		e[7] = save;
	}
	e[7].flags = UIOMMU_PT_ENTRY_F_OUT_HIDDEN;
	CU_ASSERT_EQUAL(uiommu_proto_pt_dump_reply_check(buf, size, 10), 0);
	free(buf);
	/* An empty answer of a device without a table. */
	buf = make_reply(0, &size);
	h = (void *)buf;
	h->state = UIOMMU_PT_STATE_BYPASS;
	h->flags = 0;
	CU_ASSERT_EQUAL(uiommu_proto_pt_dump_reply_check(buf, size, 4), 0);
	free(buf);
	/* The largest reply. */
	buf = make_reply(UIOMMU_PROTO_MAX_PT_ENTRIES, &size);
	CU_ASSERT_TRUE(size <= UIOMMU_PROTO_MAX_PAYLOAD);
	CU_ASSERT_EQUAL(uiommu_proto_pt_dump_reply_check(buf, size,
			UIOMMU_PROTO_MAX_PT_ENTRIES), 0);
	free(buf);
}

/* Read exactly len bytes from a blocking socket. */
static void
read_all(int fd, void *buf, size_t len)
{
	unsigned int nfds = 0;
	int ov = 0, fds[UIOMMU_PROTO_MAX_FDS];
	size_t got = 0;

	while (got < len) {
		ssize_t n = uiommu_proto_recv(fd, (uint8_t *)buf + got,
					      len - got, fds, &nfds,
					      RTE_DIM(fds), &ov);

		UT_ASSERT_FATAL(n > 0);
		got += (size_t)n;
	}
	CU_ASSERT_EQUAL(nfds, 0);
}

/* A request and a full reply through a socket, decoded on the far side. */
static void
test_framing(void)
{
	struct uiommu_msg_pt_dump m = good_req(), gm;
	struct uiommu_proto_hdr h, gh;
	uint32_t size;
	uint8_t *reply, *got;
	int sv[2], err;

	UT_ASSERT_FATAL(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
	/* Request: client to manager. */
	m.flags = UIOMMU_PT_DUMP_F_SSV;
	m.ssid = 3;
	uiommu_proto_hdr_init(&h, UIOMMU_MSG_PT_DUMP, 0, sizeof(m), 42);
	CU_ASSERT_EQUAL(uiommu_proto_send(sv[0], &h, &m, NULL, 0), 0);
	read_all(sv[1], &gh, sizeof(gh));
	CU_ASSERT_EQUAL(uiommu_proto_hdr_check(&gh, &err), UIOMMU_PROTO_HDR_OK);
	UT_ASSERT_FATAL(gh.size == sizeof(gm));
	read_all(sv[1], &gm, sizeof(gm));
	CU_ASSERT_EQUAL(uiommu_proto_req_check(gh.type, &gm, gh.size, 0), 0);
	CU_ASSERT_EQUAL(memcmp(&gm, &m, sizeof(m)), 0);
	/* Reply: the largest one, manager to client; a sender on a
	 * stream socket may need several writes, so read concurrently. */
	reply = make_reply(UIOMMU_PROTO_MAX_PT_ENTRIES, &size);
	got = calloc(1, UIOMMU_PROTO_MAX_PAYLOAD);
	UT_ASSERT_FATAL(got != NULL);
	uiommu_proto_hdr_init(&h, UIOMMU_MSG_PT_DUMP, UIOMMU_PROTO_F_REPLY,
			      size, 42);
	{
		int bufsz = 1 << 20;

		setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &bufsz, sizeof(bufsz));
		setsockopt(sv[1], SOL_SOCKET, SO_RCVBUF, &bufsz, sizeof(bufsz));
	}
	CU_ASSERT_EQUAL(uiommu_proto_send(sv[1], &h, reply, NULL, 0), 0);
	read_all(sv[0], &gh, sizeof(gh));
	UT_ASSERT_FATAL(gh.size == size);
	read_all(sv[0], got, gh.size);
	CU_ASSERT_EQUAL(uiommu_proto_reply_check(&gh, UIOMMU_MSG_PT_DUMP, 42,
						 got), 0);
	CU_ASSERT_EQUAL(uiommu_proto_pt_dump_reply_check(got, gh.size,
			UIOMMU_PROTO_MAX_PT_ENTRIES), 0);
	CU_ASSERT_EQUAL(memcmp(got, reply, size), 0);
	/* A reply shorter than the PT_DUMP head is refused by the generic
	 * check when it claims success. */
	gh.size = 40;
	CU_ASSERT_EQUAL(uiommu_proto_reply_check(&gh, UIOMMU_MSG_PT_DUMP, 42,
						 got), -EPROTO);
	free(reply);
	free(got);
	close(sv[0]);
	close(sv[1]);
}

static const struct ut_case cases[] = {
	UT_CASE(test_layout),
	UT_CASE(test_req_check),
	UT_CASE(test_reply_check),
	UT_CASE(test_framing),
	UT_END,
};

int
main(int argc, char **argv)
{
	return ut_main("mgr_ptdump", cases, argc, argv);
}
