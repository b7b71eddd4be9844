/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Control protocol: framing, validation and socket I/O shared by the
 * manager and lib/client.
 *
 * Validation is table-driven: each request type has one row giving its
 * fixed payload size and the number of fds it carries, and a small per-type
 * function checking reserved fields, flags and strings. The manager calls
 * uiommu_proto_hdr_check() on every header and uiommu_proto_req_check() on
 * every payload before a handler sees it, so handlers only check semantics
 * (ids, ranges, ownership). Nothing here trusts a length from the wire: the
 * payload size is compared with the table, never used to index a structure.
 *
 * Framing of fds: the kernel attaches SCM_RIGHTS data to the bytes of the
 * sendmsg() that carried it, and a recvmsg() hands it over with the first of
 * those bytes. uiommu_proto_recv() therefore must never be asked for more
 * bytes than remain in the current message; the manager reads the header,
 * then exactly the payload, so every fd it receives belongs to the message
 * being read.
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "uiommu_proto.h"

/** Per-type rules. */
struct proto_rule {
	const char *name;
	uint32_t req_size;   /* exact request payload size */
	uint32_t reply_size; /* fixed part of a successful reply */
	uint8_t nfds;        /* exact fds with the request */
	int (*check)(const void *p);
};

static int
check_hello(const void *p)
{
	const struct uiommu_msg_hello *m = p;

	if (m->flags & ~UIOMMU_HELLO_F_MASK)
		return -EOPNOTSUPP;
	if (!uiommu_proto_str_ok(m->name, sizeof(m->name)))
		return -EINVAL;
	return 0;
}

static int
check_mem_add(const void *p)
{
	const struct uiommu_msg_mem_add *m = p;

	if (m->rsvd != 0)
		return -EINVAL;
	if (m->flags != 0)
		return -EOPNOTSUPP;
	return 0;
}

static int
check_viommu_create(const void *p)
{
	const struct uiommu_msg_viommu_create *m = p;

	if (m->rsvd != 0 ||
	    !uiommu_proto_str_ok(m->backend, sizeof(m->backend)) ||
	    !uiommu_proto_str_ok(m->args, sizeof(m->args)))
		return -EINVAL;
	if (m->flags != 0)
		return -EOPNOTSUPP;
	return 0;
}

static int
check_viommu_destroy(const void *p)
{
	const struct uiommu_msg_viommu_destroy *m = p;

	return m->rsvd != 0 ? -EINVAL : 0;
}

static int
check_vdevice_add(const void *p)
{
	const struct uiommu_msg_vdevice_add *m = p;

	return uiommu_proto_str_ok(m->spec, sizeof(m->spec)) ? 0 : -EINVAL;
}

static int
check_vcmdq_create(const void *p)
{
	const struct uiommu_msg_vcmdq_create *m = p;

	return m->rsvd != 0 ? -EINVAL : 0;
}

static int
check_stats(const void *p)
{
	const struct uiommu_msg_stats *m = p;

	return m->scope >= UIOMMU_STATS_SCOPE_MAX ? -EOPNOTSUPP : 0;
}

static int
check_events_read(const void *p)
{
	const struct uiommu_msg_events_read *m = p;

	return m->max == 0 || m->max > UIOMMU_PROTO_MAX_EVENTS ? -EINVAL : 0;
}

static int
check_translate(const void *p)
{
	const struct uiommu_msg_translate *m = p;

	if (m->access & ~(UIOMMU_XLATE_READ | UIOMMU_XLATE_WRITE))
		return -EOPNOTSUPP;
	return m->access == 0 ? -EINVAL : 0;
}

static int
check_list(const void *p)
{
	const struct uiommu_msg_list *m = p;

	if (m->kinds & ~UIOMMU_LIST_ALL)
		return -EOPNOTSUPP;
	return m->max == 0 || m->max > UIOMMU_PROTO_MAX_LIST ? -EINVAL : 0;
}

static int
check_pt_dump(const void *p)
{
	const struct uiommu_msg_pt_dump *m = p;

	if (m->flags & ~UIOMMU_PT_DUMP_F_MASK)
		return -EOPNOTSUPP;
	if (m->table != UIOMMU_PT_DUMP_TABLE_S1 &&
	    m->table != UIOMMU_PT_DUMP_TABLE_S2)
		return -EOPNOTSUPP;
	if (m->rsvd != 0 || m->first > m->last ||
	    m->max < UIOMMU_PROTO_MIN_PT_ENTRIES ||
	    m->max > UIOMMU_PROTO_MAX_PT_ENTRIES)
		return -EINVAL;
	/* A substream only with SSV, and only of a stage-1 table. */
	if ((!(m->flags & UIOMMU_PT_DUMP_F_SSV) && m->ssid != 0) ||
	    ((m->flags & UIOMMU_PT_DUMP_F_SSV) &&
	     m->table != UIOMMU_PT_DUMP_TABLE_S1))
		return -EINVAL;
	return 0;
}

#define RULE(t, n, req, rep, fds, fn) \
	[UIOMMU_MSG_##t] = { n, sizeof(struct req), sizeof(struct rep), fds, fn }

static const struct proto_rule rules[UIOMMU_MSG_TYPE_MAX] = {
	RULE(HELLO, "HELLO", uiommu_msg_hello, uiommu_msg_hello_reply, 0,
	     check_hello),
	RULE(MEM_ADD, "MEM_ADD", uiommu_msg_mem_add, uiommu_proto_reply, 1,
	     check_mem_add),
	RULE(MEM_DEL, "MEM_DEL", uiommu_msg_mem_del, uiommu_proto_reply, 0,
	     NULL),
	RULE(VIOMMU_CREATE, "VIOMMU_CREATE", uiommu_msg_viommu_create,
	     uiommu_msg_viommu_create_reply, 0, check_viommu_create),
	RULE(VIOMMU_DESTROY, "VIOMMU_DESTROY", uiommu_msg_viommu_destroy,
	     uiommu_proto_reply, 0, check_viommu_destroy),
	RULE(VDEVICE_ADD, "VDEVICE_ADD", uiommu_msg_vdevice_add,
	     uiommu_msg_vdevice_add_reply, 0, check_vdevice_add),
	RULE(VDEVICE_DEL, "VDEVICE_DEL", uiommu_msg_vdevice_del,
	     uiommu_proto_reply, 0, NULL),
	RULE(STRTAB_SET, "STRTAB_SET", uiommu_msg_strtab_set,
	     uiommu_proto_reply, 0, NULL),
	RULE(VCMDQ_CREATE, "VCMDQ_CREATE", uiommu_msg_vcmdq_create,
	     uiommu_msg_vcmdq_create_reply, 0, check_vcmdq_create),
	RULE(VCMDQ_DESTROY, "VCMDQ_DESTROY", uiommu_msg_vcmdq_destroy,
	     uiommu_proto_reply, 0, NULL),
	RULE(STATS, "STATS", uiommu_msg_stats, uiommu_msg_stats_reply, 0,
	     check_stats),
	RULE(EVENTS_READ, "EVENTS_READ", uiommu_msg_events_read,
	     uiommu_msg_events_reply, 0, check_events_read),
	RULE(TRANSLATE, "TRANSLATE", uiommu_msg_translate,
	     uiommu_msg_translate_reply, 0, check_translate),
	RULE(LIST, "LIST", uiommu_msg_list, uiommu_msg_list_reply, 0,
	     check_list),
	RULE(PT_DUMP, "PT_DUMP", uiommu_msg_pt_dump, uiommu_msg_pt_dump_reply,
	     0, check_pt_dump),
};

static const struct proto_rule *
rule_of(uint16_t type)
{
	if (type == 0 || type >= UIOMMU_MSG_TYPE_MAX)
		return NULL;
	return &rules[type];
}

int
uiommu_proto_str_ok(const char *s, size_t len)
{
	return memchr(s, '\0', len) != NULL;
}

const char *
uiommu_proto_type_name(uint16_t type)
{
	const struct proto_rule *r = rule_of(type);

	return r != NULL ? r->name : "UNKNOWN";
}

uint32_t
uiommu_proto_req_size(uint16_t type)
{
	const struct proto_rule *r = rule_of(type);

	return r != NULL ? r->req_size : 0;
}

uint32_t
uiommu_proto_reply_size(uint16_t type)
{
	const struct proto_rule *r = rule_of(type);

	return r != NULL ? r->reply_size : 0;
}

void
uiommu_proto_hdr_init(struct uiommu_proto_hdr *hdr, uint16_t type,
		      uint32_t flags, uint32_t size, uint64_t req_id)
{
	*hdr = (struct uiommu_proto_hdr){
		.magic = UIOMMU_PROTO_MAGIC,
		.version = UIOMMU_PROTO_VERSION,
		.type = type,
		.flags = flags,
		.size = size,
		.req_id = req_id,
	};
}

enum uiommu_proto_hdr_verdict
uiommu_proto_hdr_check(const struct uiommu_proto_hdr *hdr, int *err)
{
	*err = 0;
	if (hdr->magic != UIOMMU_PROTO_MAGIC)
		return UIOMMU_PROTO_HDR_FATAL;
	/*
	 * Size first: a payload we refuse to buffer is skipped, and every
	 * other rejection still consumes exactly hdr->size bytes, so the
	 * stream stays in step.
	 */
	if (hdr->size > UIOMMU_PROTO_MAX_PAYLOAD)
		*err = -EMSGSIZE;
	else if (hdr->version != UIOMMU_PROTO_VERSION)
		*err = -EPROTONOSUPPORT;
	else if (hdr->flags & UIOMMU_PROTO_F_REPLY)
		*err = -EINVAL;
	else if (hdr->flags & ~UIOMMU_PROTO_F_MASK)
		*err = -EOPNOTSUPP;
	else if (rule_of(hdr->type) == NULL)
		*err = -EOPNOTSUPP;
	return *err != 0 ? UIOMMU_PROTO_HDR_REJECT : UIOMMU_PROTO_HDR_OK;
}

int
uiommu_proto_req_check(uint16_t type, const void *payload, uint32_t size,
		       unsigned int nfds)
{
	const struct proto_rule *r = rule_of(type);

	if (r == NULL)
		return -EOPNOTSUPP;
	if (size != r->req_size || payload == NULL)
		return -EBADMSG;
	if (nfds != r->nfds)
		return -EBADF;
	return r->check != NULL ? r->check(payload) : 0;
}

int
uiommu_proto_reply_check(const struct uiommu_proto_hdr *hdr, uint16_t type,
			 uint64_t req_id, const void *payload)
{
	const struct uiommu_proto_reply *rep = payload;
	const struct proto_rule *r = rule_of(type);

	if (r == NULL || hdr->magic != UIOMMU_PROTO_MAGIC ||
	    hdr->version != UIOMMU_PROTO_VERSION ||
	    !(hdr->flags & UIOMMU_PROTO_F_REPLY) || hdr->type != type ||
	    hdr->req_id != req_id ||
	    hdr->size < sizeof(struct uiommu_proto_reply) ||
	    hdr->size > UIOMMU_PROTO_MAX_PAYLOAD || payload == NULL)
		return -EPROTO;
	if (rep->result > 0 || rep->result < -4095)
		return -EPROTO;
	if (rep->result == 0 && hdr->size < r->reply_size)
		return -EPROTO;
	return 0;
}

int
uiommu_proto_pt_dump_reply_check(const void *payload, uint32_t size,
				 uint32_t max)
{
	const struct uiommu_msg_pt_dump_reply *h = payload;
	const struct uiommu_proto_pt_entry *e;
	const uint32_t known = UIOMMU_PT_DUMP_R_MORE |
			       UIOMMU_PT_DUMP_R_READ_LIMIT |
			       UIOMMU_PT_DUMP_R_TTB_HIDDEN;

	if (payload == NULL || size < sizeof(*h) || h->r.result != 0 ||
	    h->count > max || h->count > UIOMMU_PROTO_MAX_PT_ENTRIES)
		return -EPROTO;
	/* count is bounded above: the product cannot overflow. */
	if (size != sizeof(*h) + h->count * sizeof(*e))
		return -EPROTO;
	if ((h->flags & ~known) || h->rsvd != 0 || h->r.rsvd != 0 ||
	    h->state > UIOMMU_PT_STATE_FAULT ||
	    (h->stage != 1 && h->stage != 2) ||
	    ((h->flags & UIOMMU_PT_DUMP_R_READ_LIMIT) &&
	     !(h->flags & UIOMMU_PT_DUMP_R_MORE)) ||
	    (h->state != UIOMMU_PT_STATE_TABLE && h->count != 0))
		return -EPROTO;
	e = (const struct uiommu_proto_pt_entry *)(h + 1);
	for (uint32_t i = 0; i < h->count; i++)
		if (e[i].kind < UIOMMU_PT_ENTRY_TABLE ||
		    e[i].kind > UIOMMU_PT_ENTRY_FAULT || e[i].level > 3 ||
		    e[i].size == 0 || e[i].rsvd != 0 ||
		    (e[i].flags & ~UIOMMU_PT_ENTRY_F_OUT_HIDDEN))
			return -EPROTO;
	return 0;
}

int
uiommu_proto_send(int fd, const struct uiommu_proto_hdr *hdr,
		  const void *payload, const int *fds, unsigned int nfds)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * UIOMMU_PROTO_MAX_FDS)];
		struct cmsghdr align;
	} cm;
	struct iovec iov[2];
	struct msghdr mh;
	size_t total = sizeof(*hdr) + hdr->size, sent = 0;

	if (nfds > UIOMMU_PROTO_MAX_FDS || (hdr->size != 0 && payload == NULL))
		return -EINVAL;
	while (sent < total) {
		ssize_t n;
		int niov = 0;

		memset(&mh, 0, sizeof(mh));
		if (sent < sizeof(*hdr)) {
			iov[niov].iov_base = (char *)hdr + sent;
			iov[niov++].iov_len = sizeof(*hdr) - sent;
			if (hdr->size != 0) {
				iov[niov].iov_base = (void *)(uintptr_t)payload;
				iov[niov++].iov_len = hdr->size;
			}
		} else {
			iov[niov].iov_base = (char *)(uintptr_t)payload +
					     (sent - sizeof(*hdr));
			iov[niov++].iov_len = total - sent;
		}
		mh.msg_iov = iov;
		mh.msg_iovlen = niov;
		if (sent == 0 && nfds > 0) {
			struct cmsghdr *c;

			memset(&cm, 0, sizeof(cm));
			mh.msg_control = cm.buf;
			mh.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
			c = CMSG_FIRSTHDR(&mh);
			c->cmsg_level = SOL_SOCKET;
			c->cmsg_type = SCM_RIGHTS;
			c->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
			memcpy(CMSG_DATA(c), fds, sizeof(int) * nfds);
		}
		n = sendmsg(fd, &mh, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		sent += (size_t)n;
	}
	return 0;
}

ssize_t
uiommu_proto_recv(int fd, void *buf, size_t len, int *fds, unsigned int *nfds,
		  unsigned int max_fds, int *fd_overflow)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * UIOMMU_PROTO_MAX_FDS)];
		struct cmsghdr align;
	} cm;
	struct iovec iov = { .iov_base = buf, .iov_len = len };
	struct msghdr mh = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cm.buf, .msg_controllen = sizeof(cm.buf),
	};
	struct cmsghdr *c;
	ssize_t n;

	do {
		n = recvmsg(fd, &mh, MSG_CMSG_CLOEXEC);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	if (mh.msg_flags & MSG_CTRUNC)
		*fd_overflow = 1;
	for (c = CMSG_FIRSTHDR(&mh); c != NULL; c = CMSG_NXTHDR(&mh, c)) {
		const unsigned char *data;
		size_t cnt;

		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		cnt = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		data = CMSG_DATA(c);
		for (size_t i = 0; i < cnt; i++) {
			int f;

			memcpy(&f, data + i * sizeof(int), sizeof(int));
			if (*nfds < max_fds) {
				fds[(*nfds)++] = f;
			} else {
				close(f);
				*fd_overflow = 1;
			}
		}
	}
	return n;
}
