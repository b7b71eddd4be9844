/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fuzz target "proto": a manager (lib/mgr) runs in the fuzzer's process,
 * serving its control socket with uiommu_mgr_serve_once(); the input is a
 * script of clients talking to it.
 *
 * Up to three connections send, in any order: well-framed requests of any
 * type whose payload is plausible (a real HELLO, RAM in a memfd, "mock"
 * vIOMMUs and devices, queues in that RAM, ...) or random, with the wrong
 * size, reserved bits, bad strings, unknown flags; headers with a bad
 * magic, version, flag, type or an oversized length; raw bytes; file
 * descriptors of every kind (memfd, pipe, socket, directory, /dev/null),
 * too few or too many; half a message followed by a close. Between steps
 * the manager serves its sockets and the replies are read.
 *
 * Invariants:
 *  - every reply is well framed (magic, version, REPLY flag, a known type,
 *    size within the limit, result 0 or a negative errno, the reply size of
 *    its type on success); on a connection whose stream we kept in step,
 *    replies come in request order with the request's type and id, and a
 *    complete request with a good magic is always answered;
 *  - the manager's view and the core's agree: as many VMs in lib/core as
 *    VM connections in the manager, after every step;
 *  - when every client is gone, everything is gone: no VM, no backend
 *    object (mock counters), no connection, and no file descriptor of the
 *    process beyond those it had before the input (fds received with
 *    requests, RAM and control-region fds all closed); LeakSanitizer
 *    checks the memory.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <rte_common.h>
#include <rte_eal.h>
#include <rte_log.h>

#include "fuzz.h"
#include "uiommu_core.h"
#include "uiommu_mgr.h"
#include "uiommu_proto.h"

#define NCONN 3
#define RAM_SIZE (2ULL << 20)
#define MAX_STEPS 48
#define MAX_PENDING 64

struct conn {
	int fd;                  /* -1 when closed */
	bool in_step;            /* stream framing known to be intact */
	uint64_t next_id;
	struct { uint16_t type; uint64_t id; } pending[MAX_PENDING];
	unsigned int npending;
	uint8_t rx[UIOMMU_PROTO_MAX_PAYLOAD + sizeof(struct uiommu_proto_hdr)];
	size_t rx_len;
};

static struct uiommu_mgr *mgr;
static char sock_path[108];
static char sock_dir[64];
static int ram_fd = -1;
static struct conn conns[NCONN];

/* ---- set-up ----------------------------------------------------------- */

static void
cleanup(void)
{
	uiommu_mgr_destroy(mgr);
	if (sock_dir[0] != '\0')
		rmdir(sock_dir);
}

static void
setup(void)
{
	char prefix[64], *argv[16];
	struct uiommu_mgr_conf conf;
	int argc = 0;

	snprintf(prefix, sizeof(prefix), "--file-prefix=fzproto%d", (int)getpid());
	argv[argc++] = (char *)"fuzz_proto";
	argv[argc++] = (char *)"-l";
	argv[argc++] = (char *)"0";
	argv[argc++] = (char *)"--no-huge";
	argv[argc++] = (char *)"-m";
	argv[argc++] = (char *)"256";
	argv[argc++] = (char *)"--no-shconf";
	argv[argc++] = (char *)"--no-pci";
	argv[argc++] = (char *)"--no-telemetry";
	argv[argc++] = (char *)"--log-level=*:error";
	argv[argc++] = prefix;
	argv[argc] = NULL;
	FZ_CHECK(rte_eal_init(argc, argv) >= 0);
	fz_quiet();
	snprintf(sock_dir, sizeof(sock_dir), "/tmp/uiommu-fzproto-XXXXXX");
	FZ_CHECK(mkdtemp(sock_dir) != NULL);
	snprintf(sock_path, sizeof(sock_path), "%s/mgr.sock", sock_dir);
	uiommu_mgr_conf_init(&conf);
	snprintf(conf.socket_path, sizeof(conf.socket_path), "%s", sock_path);
	snprintf(conf.backend, sizeof(conf.backend), "mock");
	conf.telemetry = false;
	FZ_CHECK(uiommu_mgr_create(&conf, &mgr) == 0);
	ram_fd = memfd_create("fzproto-ram", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	FZ_CHECK(ram_fd >= 0 && ftruncate(ram_fd, RAM_SIZE) == 0);
	for (unsigned int i = 0; i < NCONN; i++)
		conns[i].fd = -1;
	atexit(cleanup);
}

static unsigned int
open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	unsigned int n = 0;

	FZ_CHECK(d != NULL);
	while (readdir(d) != NULL)
		n++;
	closedir(d);
	return n;
}

/* ---- the manager's side ----------------------------------------------- */

static int
count_vm(struct uiommu_vm *vm, void *arg)
{
	(void)vm;
	(*(unsigned int *)arg)++;
	return 0;
}

static void
serve(void)
{
	struct uiommu_mgr_stats st;
	unsigned int vms = 0;

	for (unsigned int i = 0; i < 16; i++)
		if (uiommu_mgr_serve_once(mgr, 0) <= 0)
			break;
	uiommu_mgr_stats_get(mgr, &st);
	(void)uiommu_vm_foreach(count_vm, &vms);
	FZ_CHECKF(st.vms_now == vms, "manager has %lu VM connections, core %u VMs",
		  (unsigned long)st.vms_now, vms);
}

/* ---- the clients' side ------------------------------------------------ */

static void
conn_close(struct conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	c->npending = 0;
	c->rx_len = 0;
}

static void
conn_open(struct conn *c)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	conn_close(c);
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	FZ_CHECK(c->fd >= 0);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock_path);
	FZ_CHECK(connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)) == 0);
	FZ_CHECK(fcntl(c->fd, F_SETFL, O_NONBLOCK) == 0);
	c->in_step = true;
	c->next_id = 1;
}

/* Check one reply against what we sent. */
static void
check_reply(struct conn *c, const struct uiommu_proto_hdr *h, const uint8_t *p)
{
	const struct uiommu_proto_reply *r = (const void *)p;

	FZ_CHECK(h->magic == UIOMMU_PROTO_MAGIC);
	FZ_CHECK(h->version == UIOMMU_PROTO_VERSION);
	FZ_CHECK(h->flags == UIOMMU_PROTO_F_REPLY);
	FZ_CHECK(h->size >= sizeof(*r) && h->size <= UIOMMU_PROTO_MAX_PAYLOAD);
	FZ_CHECKF(r->result <= 0 && r->rsvd == 0, "result %d", r->result);
	if (r->result == 0) {
		FZ_CHECK(h->type >= UIOMMU_MSG_HELLO && h->type < UIOMMU_MSG_TYPE_MAX);
		FZ_CHECK(h->size >= uiommu_proto_reply_size(h->type));
		fz_stat("proto: request accepted");
	} else {
		FZ_CHECK(h->size == sizeof(*r));
		fz_stat("proto: request refused");
	}
	if (!c->in_step)
		return;
	FZ_CHECKF(c->npending > 0, "reply %lu to nothing", (unsigned long)h->req_id);
	FZ_CHECKF(h->req_id == c->pending[0].id && h->type == c->pending[0].type,
		  "reply %u/%lu, expected %u/%lu", h->type,
		  (unsigned long)h->req_id, c->pending[0].type,
		  (unsigned long)c->pending[0].id);
	memmove(&c->pending[0], &c->pending[1],
		--c->npending * sizeof(c->pending[0]));
}

/* Read and check every reply available; close the fds they carry. */
static void
conn_drain(struct conn *c)
{
	for (;;) {
		struct uiommu_proto_hdr h;
		int fds[UIOMMU_PROTO_MAX_FDS];
		unsigned int nfds = 0;
		int overflow = 0;
		ssize_t n;

		if (c->fd < 0)
			return;
		n = uiommu_proto_recv(c->fd, c->rx + c->rx_len,
				      sizeof(c->rx) - c->rx_len, fds, &nfds,
				      RTE_DIM(fds), &overflow);
		for (unsigned int i = 0; i < nfds; i++)
			close(fds[i]);
		FZ_CHECK(overflow == 0);
		if (n == -EAGAIN)
			break;
		if (n <= 0) {
			/* The manager closed us: only for a broken stream. */
			FZ_CHECKF(!c->in_step || c->npending == 0 || n < 0,
				  "closed with %u requests unanswered", c->npending);
			conn_close(c);
			return;
		}
		c->rx_len += (size_t)n;
		/* Consume every complete reply. */
		while (c->rx_len >= sizeof(h)) {
			memcpy(&h, c->rx, sizeof(h));
			FZ_CHECK(h.size <= UIOMMU_PROTO_MAX_PAYLOAD);
			if (c->rx_len < sizeof(h) + h.size)
				break;
			check_reply(c, &h, c->rx + sizeof(h));
			c->rx_len -= sizeof(h) + h.size;
			memmove(c->rx, c->rx + sizeof(h) + h.size, c->rx_len);
		}
	}
}

/* An fd of some kind to attach; *own set when the caller must close it. */
static int
gen_fd(struct fz *f, bool *own)
{
	int p[2], fd = -1;

	*own = true;
	switch (fz_below(f, 6)) {
	case 0: case 1:
		*own = false;
		return ram_fd;
	case 2:
		if (pipe(p) != 0)
			return -1;
		close(p[1]);
		return p[0];
	case 3:
		if (socketpair(AF_UNIX, SOCK_STREAM, 0, p) != 0)
			return -1;
		close(p[1]);
		return p[0];
	case 4:
		fd = open("/", O_RDONLY | O_DIRECTORY);
		return fd;
	default:
		fd = open("/dev/null", O_RDWR);
		return fd;
	}
}

/* A plausible payload of a type (the fields a real client would send). */
static void
gen_payload(struct fz *f, uint16_t type, uint8_t *p, uint32_t size)
{
	const uint32_t vid = 1 + fz_below(f, 3);

	memset(p, 0, size);
	if (fz_rare(f, 24) || size < uiommu_proto_req_size(type)) {
		fz_bytes(f, p, size);
		return;
	}
	switch (type) {
	case UIOMMU_MSG_HELLO: {
		struct uiommu_msg_hello *m = (void *)p;

		m->version = fz_rare(f, 8) ? fz_u32(f) : UIOMMU_PROTO_VERSION;
		m->flags = fz_rare(f, 32) ? UIOMMU_HELLO_F_ADMIN :
			   fz_rare(f, 8) ? fz_u32(f) : 0;
		m->features = fz_chance(f, 200) ? UIOMMU_FEAT_ALL &
			      ~UIOMMU_FEAT_SEALED_MEM : fz_u64(f);
		snprintf(m->name, sizeof(m->name), "fz%u", fz_u8(f));
		if (fz_rare(f, 8))
			memset(m->name, 'x', sizeof(m->name));
		break;
	}
	case UIOMMU_MSG_MEM_ADD: {
		struct uiommu_msg_mem_add *m = (void *)p;

		m->gpa = fz_chance(f, 200) ? 0x40000000ULL * (1 + fz_below(f, 3)) :
			 fz_u64(f);
		m->size = fz_chance(f, 200) ? RAM_SIZE >> fz_below(f, 3) : fz_u64(f);
		m->offset = fz_chance(f, 220) ? 0 : fz_u64(f);
		m->flags = fz_rare(f, 8) ? fz_u32(f) : 0;
		break;
	}
	case UIOMMU_MSG_MEM_DEL: {
		struct uiommu_msg_mem_del *m = (void *)p;

		m->gpa = 0x40000000ULL * (1 + fz_below(f, 3));
		m->size = RAM_SIZE >> fz_below(f, 3);
		break;
	}
	case UIOMMU_MSG_VIOMMU_CREATE: {
		struct uiommu_msg_viommu_create *m = (void *)p;
		static const char *const b[] = { "mock", "", "soft", "nope" };

		snprintf(m->backend, sizeof(m->backend), "%s",
			 b[fz_chance(f, 200) ? 0 : fz_below(f, 4)]);
		if (fz_rare(f, 16))
			fz_bytes(f, m->args, 16);
		m->flags = fz_rare(f, 8) ? fz_u32(f) : 0;
		break;
	}
	case UIOMMU_MSG_VIOMMU_DESTROY:
	case UIOMMU_MSG_EVENTS_READ: {
		uint32_t *w = (void *)p;

		w[0] = vid;
		w[1] = type == UIOMMU_MSG_EVENTS_READ ? fz_below(f, 300) : 0;
		break;
	}
	case UIOMMU_MSG_VDEVICE_ADD: {
		struct uiommu_msg_vdevice_add *m = (void *)p;

		m->viommu_id = vid;
		m->vsid = fz_below(f, 20);
		snprintf(m->spec, sizeof(m->spec), "mock:%u", fz_below(f, 70));
		break;
	}
	case UIOMMU_MSG_VDEVICE_DEL:
	case UIOMMU_MSG_VCMDQ_DESTROY: {
		uint32_t *w = (void *)p;

		w[0] = vid;
		w[1] = fz_below(f, 20);
		break;
	}
	case UIOMMU_MSG_STRTAB_SET: {
		struct uiommu_msg_strtab_set *m = (void *)p;

		m->viommu_id = vid;
		m->log2size = fz_below(f, 18);
		m->base_gpa = 0x40000000ULL + 64ULL * fz_below(f, 1024);
		break;
	}
	case UIOMMU_MSG_VCMDQ_CREATE: {
		struct uiommu_msg_vcmdq_create *m = (void *)p;

		m->viommu_id = vid;
		m->index = fz_below(f, 130);
		m->log2size = fz_below(f, 21);
		m->base_gpa = 0x40000000ULL + 0x10000ULL * fz_below(f, 40);
		break;
	}
	default: {
		/* STATS, TRANSLATE, LIST: small ids and counts. */
		uint32_t *w = (void *)p;

		for (uint32_t i = 0; i < size / 4; i++)
			w[i] = fz_below(f, 6);
		break;
	}
	}
	if (size > 0 && fz_rare(f, 12)) {
		/* One flipped bit anywhere (reserved fields included). */
		unsigned int bit = fz_below(f, size * 8);

		p[bit / 8] ^= (uint8_t)(1u << (bit % 8));
	}
}

static void
act_send(struct fz *f, struct conn *c)
{
	static uint8_t msg[sizeof(struct uiommu_proto_hdr) + 4096];
	struct uiommu_proto_hdr h;
	uint16_t type = fz_chance(f, 240) ? 1 + fz_below(f, UIOMMU_MSG_TYPE_MAX - 1) :
			fz_u16(f);
	uint32_t size = uiommu_proto_req_size(type), sent;
	int fds[UIOMMU_PROTO_MAX_FDS + 2];
	bool own[RTE_DIM(fds)], framed = true;
	unsigned int nfds = 0, want_fds;
	struct msghdr mh = { 0 };
	struct iovec iov;
	union {
		char buf[CMSG_SPACE(sizeof(fds))];
		struct cmsghdr align;
	} cm;
	ssize_t n;

	if (c->fd < 0)
		conn_open(c);
	if (c->npending == 0 && c->next_id == 1 && fz_chance(f, 200))
		type = UIOMMU_MSG_HELLO;
	if (fz_rare(f, 24))
		size = fz_below(f, 600);         /* truncated or trailing */
	uiommu_proto_hdr_init(&h, type, 0, size, c->next_id++);
	if (fz_rare(f, 6))
		h.magic ^= 1u << fz_below(f, 32);
	if (fz_rare(f, 6))
		h.version = fz_u16(f);
	if (fz_rare(f, 6))
		h.flags = fz_u32(f);
	if (fz_rare(f, 4))
		h.size = UIOMMU_PROTO_MAX_PAYLOAD + 1 + fz_below(f, 1000);
	if (size > 4096)
		size = 4096;
	memcpy(msg, &h, sizeof(h));
	gen_payload(f, type, msg + sizeof(h), size);
	want_fds = type == UIOMMU_MSG_MEM_ADD && fz_chance(f, 220) ? 1 : 0;
	if (fz_rare(f, 24))
		want_fds = fz_below(f, RTE_DIM(fds) + 1);
	for (unsigned int i = 0; i < want_fds; i++) {
		int fd = i == 0 && type == UIOMMU_MSG_MEM_ADD && fz_chance(f, 200) ?
			 (own[nfds] = false, ram_fd) : gen_fd(f, &own[nfds]);

		if (fd >= 0)
			fds[nfds++] = fd;
	}
	/* The whole message, or only a part of it (then maybe a close). */
	sent = (uint32_t)sizeof(h) + (h.size <= size ? h.size : size);
	if (fz_rare(f, 8))
		sent = fz_below(f, sent + 1);
	iov.iov_base = msg;
	iov.iov_len = sent;
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	if (nfds > 0) {
		struct cmsghdr *cmh;

		mh.msg_control = cm.buf;
		mh.msg_controllen = CMSG_SPACE(nfds * sizeof(int));
		cmh = CMSG_FIRSTHDR(&mh);
		cmh->cmsg_level = SOL_SOCKET;
		cmh->cmsg_type = SCM_RIGHTS;
		cmh->cmsg_len = CMSG_LEN(nfds * sizeof(int));
		memcpy(CMSG_DATA(cmh), fds, nfds * sizeof(int));
	}
	n = sent == 0 ? 0 : sendmsg(c->fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
	for (unsigned int i = 0; i < nfds; i++)
		if (own[i])
			close(fds[i]);
	if (n < 0) {
		/* Peer gone or socket full: our framing is lost either way. */
		c->in_step = false;
		return;
	}
	if ((size_t)n < sizeof(h) || h.magic != UIOMMU_PROTO_MAGIC)
		framed = false;
	if (framed && h.size > UIOMMU_PROTO_MAX_PAYLOAD) {
		/* The manager discards the oversized payload, then replies:
		 * send the rest so the stream stays in step. */
		uint32_t left = h.size - (uint32_t)(n - (ssize_t)sizeof(h));
		static uint8_t zeros[8192];

		while (left > 0) {
			ssize_t k = send(c->fd, zeros, RTE_MIN(left, (uint32_t)sizeof(zeros)),
					 MSG_NOSIGNAL | MSG_DONTWAIT);

			if (k <= 0) {
				serve();
				conn_drain(c);
				if (c->fd < 0)
					return;
				continue;
			}
			left -= (uint32_t)k;
		}
		n = (ssize_t)sizeof(h) + h.size;
	}
	if (!framed || (size_t)n != sizeof(h) + h.size) {
		c->in_step = false;     /* garbage or an incomplete message */
		fz_stat("proto: malformed stream (bad magic or partial message)");
		return;
	}
	if (c->in_step) {
		FZ_CHECK(c->npending < MAX_PENDING);
		c->pending[c->npending].type = type;
		c->pending[c->npending].id = h.req_id;
		c->npending++;
	}
	fz_stat("proto: request sent");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned int fds0;
	const struct uiommu_mock_state *ms;
	struct uiommu_mgr_stats st;
	struct fz f;

	if (mgr == NULL)
		setup();
	/* libFuzzer opens fds between inputs (its symbolizer's pipes): the
	 * count is taken per input. */
	fds0 = open_fds();
	fz_init(&f, data, size);
	for (unsigned int step = 0; step < MAX_STEPS && !fz_empty(&f); step++) {
		struct conn *c = &conns[fz_below(&f, NCONN)];
		unsigned int k = fz_below(&f, 16);

		if (k < 11) {
			act_send(&f, c);
		} else if (k < 12) {
			/* Raw bytes: the framing is lost for good. */
			uint8_t raw[64];
			unsigned int n = 1 + fz_below(&f, sizeof(raw));

			if (c->fd < 0)
				conn_open(c);
			fz_bytes(&f, raw, n);
			(void)send(c->fd, raw, n, MSG_NOSIGNAL | MSG_DONTWAIT);
			c->in_step = false;
		} else if (k < 13) {
			/* A client that disconnects, maybe mid-request. */
			conn_close(c);
			fz_stat("proto: client disconnected");
		}
		serve();
		for (unsigned int i = 0; i < NCONN; i++)
			conn_drain(&conns[i]);
		/* Complete, in-step requests are answered by now. */
		for (unsigned int i = 0; i < NCONN; i++)
			FZ_CHECKF(conns[i].fd < 0 || !conns[i].in_step ||
				  conns[i].npending == 0,
				  "conn %u: %u requests unanswered", i,
				  conns[i].npending);
	}
	/* Every client leaves: every object goes. */
	for (unsigned int i = 0; i < NCONN; i++)
		conn_close(&conns[i]);
	for (unsigned int i = 0; i < 64; i++) {
		serve();
		uiommu_mgr_stats_get(mgr, &st);
		if (st.connections_now == 0)
			break;
	}
	uiommu_mgr_stats_get(mgr, &st);
	FZ_CHECKF(st.connections_now == 0 && st.vms_now == 0,
		  "%lu connections, %lu VMs left", (unsigned long)st.connections_now,
		  (unsigned long)st.vms_now);
	ms = uiommu_mock_state();
	FZ_CHECK(ms->live_viommus == 0 && ms->live_vdevices == 0 &&
		 ms->live_s2_maps == 0);
	FZ_CHECKF(open_fds() == fds0, "%u fds open, %u before", open_fds(), fds0);
	return 0;
}
