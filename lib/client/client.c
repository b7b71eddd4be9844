/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * VMM-side control-protocol client.
 *
 * One blocking Unix stream socket per connection, with SO_SNDTIMEO and
 * SO_RCVTIMEO set to the connection's timeout, so no call can hang on a
 * stuck manager. Each request gets the next request id; the reply must echo
 * it (the manager answers strictly in order, so a mismatch means the stream
 * is corrupt and the connection is marked broken rather than resynchronised).
 *
 * The reply buffer is one UIOMMU_PROTO_MAX_PAYLOAD block allocated with the
 * connection: replies are read whole (never more than the header announced,
 * so fds cannot be mistaken between messages), then copied out truncated to
 * the caller's buffer.
 *
 * Control regions: the first VCMDQ_CREATE or VDEVICE_ADD of a vIOMMU that
 * hands over the vIOMMU's control-region fd is mmapped once; later replies
 * for the same vIOMMU carry the same region, and their extra fds are
 * closed. The mapping is kept in a small per-connection table
 * (UIOMMU_MAX_VIOMMUS_PER_VM entries) and released on VIOMMU_DESTROY or close.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <rte_common.h>

#include "uiommu_client.h"
#include "uiommu_common.h"

/** A mapped control region of one vIOMMU. */
struct client_region {
	uint32_t viommu_id;
	int fd;         /* -1: slot free */
	void *base;
	uint64_t size;
};

struct uiommu_client {
	int fd;
	int broken;           /* a transport error happened */
	uint64_t next_req_id;
	int timeout_ms;
	struct client_region regions[UIOMMU_MAX_VIOMMUS_PER_VM];
	uint8_t buf[UIOMMU_PROTO_MAX_PAYLOAD]; /* reply payload */
};

static void
close_fds(int *fds, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++)
		if (fds[i] >= 0)
			close(fds[i]);
}

static uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void
copy_str(char *dst, size_t cap, const char *src)
{
	memset(dst, 0, cap);
	if (src != NULL)
		strncpy(dst, src, cap - 1);
}

static int
str_fits(const char *s, size_t cap)
{
	return s == NULL || strnlen(s, cap) < cap;
}

int
uiommu_client_connect(const char *path, int timeout_ms,
		      struct uiommu_client **out)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct timeval tv;
	struct uiommu_client *c;
	uint64_t deadline;
	int fd = -1, rc;

	if (path == NULL || out == NULL || timeout_ms <= 0)
		return -EINVAL;
	if (strlen(path) >= sizeof(sa.sun_path))
		return -EINVAL;
	strcpy(sa.sun_path, path);
	c = calloc(1, sizeof(*c));
	if (c == NULL)
		return -ENOMEM;
	deadline = now_ms() + (uint64_t)timeout_ms;
	for (;;) {
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0) {
			rc = -errno;
			goto err_free;
		}
		if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
			break;
		rc = -errno;
		close(fd);
		fd = -1;
		if (rc != -ENOENT && rc != -ECONNREFUSED && rc != -EAGAIN &&
		    rc != -EINTR)
			goto err_free;
		if (now_ms() >= deadline) {
			rc = -ETIMEDOUT;
			goto err_free;
		}
		usleep(10000);
	}
	tv.tv_sec = timeout_ms / 1000;
	tv.tv_usec = (timeout_ms % 1000) * 1000;
	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) != 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) != 0) {
		rc = -errno;
		goto err_close;
	}
	c->fd = fd;
	c->timeout_ms = timeout_ms;
	c->next_req_id = 1;
	for (unsigned int i = 0; i < RTE_DIM(c->regions); i++)
		c->regions[i].fd = -1;
	*out = c;
	return 0;

err_close:
	close(fd);
err_free:
	free(c);
	return rc;
}

static void
region_release(struct client_region *r)
{
	if (r->fd < 0)
		return;
	munmap(r->base, r->size);
	close(r->fd);
	r->fd = -1;
	r->base = NULL;
	r->size = 0;
}

void
uiommu_client_close(struct uiommu_client *c)
{
	if (c == NULL)
		return;
	for (unsigned int i = 0; i < RTE_DIM(c->regions); i++)
		region_release(&c->regions[i]);
	close(c->fd);
	free(c);
}

int
uiommu_client_fd(const struct uiommu_client *c)
{
	return c->fd;
}

static int
transport_err(struct uiommu_client *c, int err)
{
	c->broken = 1;
	if (err == -EAGAIN || err == -EWOULDBLOCK)
		return -ETIMEDOUT;
	return err;
}

/* Read exactly len bytes (len never exceeds what remains of the message). */
static int
recv_exact(struct uiommu_client *c, void *buf, size_t len, int *fds,
	   unsigned int *nfds)
{
	size_t got = 0;
	int overflow = 0;

	while (got < len) {
		ssize_t n = uiommu_proto_recv(c->fd, (uint8_t *)buf + got,
					      len - got, fds, nfds,
					      UIOMMU_PROTO_MAX_FDS, &overflow);

		if (n == 0)
			return -ECONNRESET;
		if (n < 0)
			return (int)n;
		got += (size_t)n;
	}
	return overflow ? -EPROTO : 0;
}

int
uiommu_client_request(struct uiommu_client *c, uint16_t type, const void *req,
		      uint32_t req_size, const int *fds, unsigned int nfds,
		      void *reply, uint32_t reply_cap, uint32_t *reply_len,
		      int *rfds, unsigned int *nrfds)
{
	struct uiommu_proto_hdr hdr, rh;
	int got_fds[UIOMMU_PROTO_MAX_FDS];
	unsigned int ngot = 0;
	uint64_t id;
	int rc;

	if (nrfds != NULL)
		*nrfds = 0;
	if (c == NULL || req_size > UIOMMU_PROTO_MAX_PAYLOAD ||
	    nfds > UIOMMU_PROTO_MAX_FDS || (req_size != 0 && req == NULL) ||
	    (nfds != 0 && fds == NULL))
		return -EINVAL;
	if (c->broken)
		return -ENOTCONN;
	id = c->next_req_id++;
	uiommu_proto_hdr_init(&hdr, type, 0, req_size, id);
	rc = uiommu_proto_send(c->fd, &hdr, req, fds, nfds);
	if (rc != 0)
		return transport_err(c, rc);
	rc = recv_exact(c, &rh, sizeof(rh), got_fds, &ngot);
	if (rc == 0 && (rh.magic != UIOMMU_PROTO_MAGIC ||
			rh.size > UIOMMU_PROTO_MAX_PAYLOAD))
		rc = -EPROTO;
	if (rc == 0)
		rc = recv_exact(c, c->buf, rh.size, got_fds, &ngot);
	if (rc == 0)
		rc = uiommu_proto_reply_check(&rh, type, id, c->buf);
	if (rc != 0) {
		close_fds(got_fds, ngot);
		return transport_err(c, rc);
	}
	if (reply != NULL)
		memcpy(reply, c->buf, RTE_MIN(reply_cap, rh.size));
	if (reply_len != NULL)
		*reply_len = rh.size;
	if (rfds != NULL) {
		memcpy(rfds, got_fds, ngot * sizeof(int));
		if (nrfds != NULL)
			*nrfds = ngot;
	} else {
		close_fds(got_fds, ngot);
	}
	return ((const struct uiommu_proto_reply *)c->buf)->result;
}

/* Request with a fixed-size reply and no fds either way. */
static int
simple_request(struct uiommu_client *c, uint16_t type, const void *req,
	       uint32_t req_size, void *reply, uint32_t reply_size)
{
	struct uiommu_proto_reply r;

	if (reply == NULL) {
		reply = &r;
		reply_size = sizeof(r);
	}
	return uiommu_client_request(c, type, req, req_size, NULL, 0, reply,
				     reply_size, NULL, NULL, NULL);
}

int
uiommu_client_hello(struct uiommu_client *c, uint32_t flags, const char *name,
		    uint64_t features, struct uiommu_msg_hello_reply *info)
{
	struct uiommu_msg_hello m = {
		.version = UIOMMU_PROTO_VERSION,
		.flags = flags,
		.features = features,
	};
	struct uiommu_msg_hello_reply rep;
	int rc;

	copy_str(m.name, sizeof(m.name), name);
	rc = simple_request(c, UIOMMU_MSG_HELLO, &m, sizeof(m), &rep,
			    sizeof(rep));
	if (rc == 0 && info != NULL)
		*info = rep;
	return rc;
}

int
uiommu_client_mem_add(struct uiommu_client *c, uint64_t gpa, uint64_t size,
		      int fd, uint64_t offset)
{
	struct uiommu_msg_mem_add m = {
		.gpa = gpa, .size = size, .offset = offset,
	};
	struct uiommu_proto_reply r;

	if (fd < 0 || fcntl(fd, F_GETFD) < 0)
		return -EBADF;
	return uiommu_client_request(c, UIOMMU_MSG_MEM_ADD, &m, sizeof(m), &fd,
				     1, &r, sizeof(r), NULL, NULL, NULL);
}

int
uiommu_client_mem_del(struct uiommu_client *c, uint64_t gpa, uint64_t size)
{
	struct uiommu_msg_mem_del m = { .gpa = gpa, .size = size };

	return simple_request(c, UIOMMU_MSG_MEM_DEL, &m, sizeof(m), NULL, 0);
}

int
uiommu_client_viommu_create(struct uiommu_client *c, const char *backend,
			    const char *args, struct uiommu_client_viommu *out)
{
	struct uiommu_msg_viommu_create m = { 0 };
	struct uiommu_msg_viommu_create_reply rep;
	int rc;

	if (!str_fits(backend, sizeof(m.backend)) ||
	    !str_fits(args, sizeof(m.args)))
		return -EINVAL;
	copy_str(m.backend, sizeof(m.backend), backend);
	copy_str(m.args, sizeof(m.args), args);
	rc = simple_request(c, UIOMMU_MSG_VIOMMU_CREATE, &m, sizeof(m), &rep,
			    sizeof(rep));
	if (rc == 0 && out != NULL) {
		out->id = rep.viommu_id;
		out->vmid = rep.vmid;
		out->caps = rep.caps;
	}
	return rc;
}

static struct client_region *
region_find(struct uiommu_client *c, uint32_t viommu_id)
{
	for (unsigned int i = 0; i < RTE_DIM(c->regions); i++)
		if (c->regions[i].fd >= 0 &&
		    c->regions[i].viommu_id == viommu_id)
			return &c->regions[i];
	return NULL;
}

int
uiommu_client_viommu_destroy(struct uiommu_client *c, uint32_t viommu_id)
{
	struct uiommu_msg_viommu_destroy m = { .viommu_id = viommu_id };
	struct client_region *r;
	int rc;

	rc = simple_request(c, UIOMMU_MSG_VIOMMU_DESTROY, &m, sizeof(m), NULL,
			    0);
	if (rc == 0) {
		r = region_find(c, viommu_id);
		if (r != NULL)
			region_release(r);
	}
	return rc;
}

/*
 * Adopt the control-region fd of a reply: map it the first time, check
 * that [off, off + len - 1] lies inside it, return the host pointer.
 * Takes ownership of fd in every case.
 */
static int
region_adopt(struct uiommu_client *c, uint32_t viommu_id, int fd,
	     uint64_t region_size, uint64_t off, uint64_t len, void **ptr)
{
	struct client_region *r = region_find(c, viommu_id);
	struct stat st;
	uint64_t last;
	void *base;

	if (region_size == 0 || region_size > SIZE_MAX ||
	    uiommu_range_last(off, len, &last) != 0 || last >= region_size) {
		close(fd);
		return -EPROTO;
	}
	if (r != NULL) {
		close(fd);
		if (r->size != region_size)
			return -EPROTO;
		*ptr = (uint8_t *)r->base + off;
		return 0;
	}
	if (fstat(fd, &st) != 0 || (uint64_t)st.st_size < region_size) {
		close(fd);
		return -EPROTO;
	}
	for (unsigned int i = 0; i < RTE_DIM(c->regions); i++) {
		if (c->regions[i].fd < 0) {
			r = &c->regions[i];
			break;
		}
	}
	if (r == NULL) {
		close(fd);
		return -ENOSPC;
	}
	base = mmap(NULL, region_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		    0);
	if (base == MAP_FAILED) {
		int rc = -errno;

		close(fd);
		return rc;
	}
	*r = (struct client_region){
		.viommu_id = viommu_id, .fd = fd, .base = base,
		.size = region_size,
	};
	*ptr = (uint8_t *)base + off;
	return 0;
}

int
uiommu_client_vdevice_add(struct uiommu_client *c, uint32_t viommu_id,
			  uint32_t vsid, const char *spec,
			  struct uiommu_client_vdevice *out)
{
	struct uiommu_msg_vdevice_add m = {
		.viommu_id = viommu_id, .vsid = vsid,
	};
	struct uiommu_msg_vdevice_add_reply rep;
	int rfds[UIOMMU_PROTO_MAX_FDS];
	unsigned int nrfds = 0, want, next = 0;
	void *regs = NULL;
	int rc, dev_fd = -1;

	if (spec == NULL || !str_fits(spec, sizeof(m.spec)))
		return -EINVAL;
	copy_str(m.spec, sizeof(m.spec), spec);
	rc = uiommu_client_request(c, UIOMMU_MSG_VDEVICE_ADD, &m, sizeof(m),
				   NULL, 0, &rep, sizeof(rep), NULL, rfds,
				   &nrfds);
	if (rc != 0) {
		close_fds(rfds, nrfds);
		return rc;
	}
	want = !!(rep.flags & UIOMMU_VDEVICE_F_REGS) +
	       !!(rep.flags & UIOMMU_VDEVICE_F_DEVFD);
	if (nrfds != want) {
		close_fds(rfds, nrfds);
		return -EPROTO;
	}
	if (rep.flags & UIOMMU_VDEVICE_F_REGS) {
		rc = region_adopt(c, viommu_id, rfds[next++], rep.region_size,
				  rep.regs_offset, rep.regs_size, &regs);
		if (rc != 0) {
			close_fds(rfds + next, nrfds - next);
			return rc;
		}
	}
	if (rep.flags & UIOMMU_VDEVICE_F_DEVFD)
		dev_fd = rfds[next++];
	if (out != NULL) {
		out->id = rep.dev_id;
		out->regs = regs;
		out->regs_offset = regs != NULL ? rep.regs_offset : 0;
		out->regs_size = regs != NULL ? rep.regs_size : 0;
		out->dev_fd = dev_fd;
	} else if (dev_fd >= 0) {
		close(dev_fd);
	}
	return 0;
}

int
uiommu_client_vdevice_del(struct uiommu_client *c, uint32_t viommu_id,
			  uint32_t dev_id)
{
	struct uiommu_msg_vdevice_del m = {
		.viommu_id = viommu_id, .dev_id = dev_id,
	};

	return simple_request(c, UIOMMU_MSG_VDEVICE_DEL, &m, sizeof(m), NULL, 0);
}

int
uiommu_client_strtab_set(struct uiommu_client *c, uint32_t viommu_id,
			 uint64_t base_gpa, uint32_t log2size)
{
	struct uiommu_msg_strtab_set m = {
		.viommu_id = viommu_id, .log2size = log2size,
		.base_gpa = base_gpa,
	};

	return simple_request(c, UIOMMU_MSG_STRTAB_SET, &m, sizeof(m), NULL, 0);
}

int
uiommu_client_vcmdq_create(struct uiommu_client *c, uint32_t viommu_id,
			   uint32_t index, uint32_t log2size, uint64_t base_gpa,
			   struct uiommu_client_vcmdq *out)
{
	struct uiommu_msg_vcmdq_create m = {
		.viommu_id = viommu_id, .index = index, .log2size = log2size,
		.base_gpa = base_gpa,
	};
	struct uiommu_msg_vcmdq_create_reply rep;
	int rfds[UIOMMU_PROTO_MAX_FDS];
	unsigned int nrfds = 0;
	struct client_region *r;
	void *regs;
	int rc;

	rc = uiommu_client_request(c, UIOMMU_MSG_VCMDQ_CREATE, &m, sizeof(m),
				   NULL, 0, &rep, sizeof(rep), NULL, rfds,
				   &nrfds);
	if (rc != 0) {
		close_fds(rfds, nrfds);
		return rc;
	}
	if (nrfds != 1) {
		close_fds(rfds, nrfds);
		return -EPROTO;
	}
	rc = region_adopt(c, viommu_id, rfds[0], rep.region_size,
			  rep.regs_offset, sizeof(struct uiommu_vcmdq_regs),
			  &regs);
	if (rc != 0)
		return rc;
	r = region_find(c, viommu_id);
	if (out != NULL) {
		out->regs = regs;
		out->regs_offset = rep.regs_offset;
		out->region_size = rep.region_size;
		out->region_fd = r->fd;
		out->lcore = rep.lcore;
	}
	return 0;
}

int
uiommu_client_vcmdq_destroy(struct uiommu_client *c, uint32_t viommu_id,
			    uint32_t index)
{
	struct uiommu_msg_vcmdq_destroy m = {
		.viommu_id = viommu_id, .index = index,
	};

	return simple_request(c, UIOMMU_MSG_VCMDQ_DESTROY, &m, sizeof(m), NULL,
			      0);
}

int
uiommu_client_stats(struct uiommu_client *c, uint32_t scope, uint32_t vm_id,
		    uint32_t viommu_id, uint32_t index,
		    struct uiommu_proto_stat *stats, unsigned int *n)
{
	struct uiommu_msg_stats m = {
		.scope = scope, .vm_id = vm_id, .viommu_id = viommu_id,
		.index = index,
	};
	const struct uiommu_msg_stats_reply *rep;
	uint32_t len = 0, cnt;
	int rc;

	if (n == NULL || (*n != 0 && stats == NULL))
		return -EINVAL;
	rc = uiommu_client_request(c, UIOMMU_MSG_STATS, &m, sizeof(m), NULL, 0,
				   NULL, 0, &len, NULL, NULL);
	if (rc != 0)
		return rc;
	/* The payload is still in c->buf: read it from there. */
	rep = (const struct uiommu_msg_stats_reply *)c->buf;
	if (rep->count > UIOMMU_PROTO_MAX_STATS ||
	    len != sizeof(*rep) + rep->count * sizeof(struct uiommu_proto_stat))
		return transport_err(c, -EPROTO);
	cnt = RTE_MIN(rep->count, *n);
	memcpy(stats, rep + 1, cnt * sizeof(*stats));
	for (uint32_t i = 0; i < cnt; i++)
		stats[i].name[sizeof(stats[i].name) - 1] = '\0';
	*n = cnt;
	return 0;
}

int
uiommu_client_stat_find(const struct uiommu_proto_stat *stats, unsigned int n,
			const char *name, uint64_t *value)
{
	for (unsigned int i = 0; i < n; i++) {
		if (strncmp(stats[i].name, name, sizeof(stats[i].name)) == 0) {
			*value = stats[i].value;
			return 0;
		}
	}
	return -ENOENT;
}

int
uiommu_client_events_read(struct uiommu_client *c, uint32_t viommu_id,
			  struct uiommu_proto_event *ev, unsigned int *n,
			  uint64_t *lost)
{
	struct uiommu_msg_events_read m = { .viommu_id = viommu_id };
	const struct uiommu_msg_events_reply *rep;
	uint32_t len = 0;
	int rc;

	if (n == NULL || ev == NULL)
		return -EINVAL;
	m.max = *n;
	rc = uiommu_client_request(c, UIOMMU_MSG_EVENTS_READ, &m, sizeof(m),
				   NULL, 0, NULL, 0, &len, NULL, NULL);
	if (rc != 0)
		return rc;
	rep = (const struct uiommu_msg_events_reply *)c->buf;
	if (rep->count > *n ||
	    len != sizeof(*rep) + rep->count * sizeof(struct uiommu_proto_event))
		return transport_err(c, -EPROTO);
	memcpy(ev, rep + 1, rep->count * sizeof(*ev));
	*n = rep->count;
	if (lost != NULL)
		*lost = rep->lost;
	return 0;
}

int
uiommu_client_translate(struct uiommu_client *c, uint32_t vm_id,
			uint32_t viommu_id, uint32_t vsid, uint64_t iova,
			uint32_t access, struct uiommu_msg_translate_reply *out)
{
	struct uiommu_msg_translate m = {
		.vm_id = vm_id, .viommu_id = viommu_id, .vsid = vsid,
		.access = access, .iova = iova,
	};
	struct uiommu_msg_translate_reply rep;
	int rc;

	rc = simple_request(c, UIOMMU_MSG_TRANSLATE, &m, sizeof(m), &rep,
			    sizeof(rep));
	if (rc == 0 && out != NULL)
		*out = rep;
	return rc;
}

int
uiommu_client_list(struct uiommu_client *c, uint32_t vm_id, uint32_t kinds,
		   uint32_t *cursor, struct uiommu_proto_list_entry *ent,
		   unsigned int *n, uint32_t *total)
{
	struct uiommu_msg_list m = { .vm_id = vm_id, .kinds = kinds };
	const struct uiommu_msg_list_reply *rep;
	uint32_t len = 0;
	int rc;

	if (cursor == NULL || n == NULL || ent == NULL)
		return -EINVAL;
	m.cursor = *cursor;
	m.max = *n;
	rc = uiommu_client_request(c, UIOMMU_MSG_LIST, &m, sizeof(m), NULL, 0,
				   NULL, 0, &len, NULL, NULL);
	if (rc != 0)
		return rc;
	rep = (const struct uiommu_msg_list_reply *)c->buf;
	if (rep->count > *n ||
	    len != sizeof(*rep) +
		   rep->count * sizeof(struct uiommu_proto_list_entry))
		return transport_err(c, -EPROTO);
	memcpy(ent, rep + 1, rep->count * sizeof(*ent));
	for (uint32_t i = 0; i < rep->count; i++)
		ent[i].name[sizeof(ent[i].name) - 1] = '\0';
	*n = rep->count;
	*cursor = rep->next_cursor;
	if (total != NULL)
		*total = rep->total;
	return 0;
}

int
uiommu_client_pt_dump(struct uiommu_client *c, struct uiommu_msg_pt_dump *req,
		      struct uiommu_msg_pt_dump_reply *head,
		      struct uiommu_proto_pt_entry *ent)
{
	const struct uiommu_msg_pt_dump_reply *rep;
	uint32_t len = 0;
	int rc;

	if (req == NULL || head == NULL || ent == NULL)
		return -EINVAL;
	rc = uiommu_client_request(c, UIOMMU_MSG_PT_DUMP, req, sizeof(*req),
				   NULL, 0, NULL, 0, &len, NULL, NULL);
	if (rc != 0)
		return rc;
	rep = (const struct uiommu_msg_pt_dump_reply *)c->buf;
	if (uiommu_proto_pt_dump_reply_check(rep, len, req->max) != 0)
		return transport_err(c, -EPROTO);
	/* Paging must make progress inside the range, or a caller that
	 * follows next could loop forever. */
	if ((rep->flags & UIOMMU_PT_DUMP_R_MORE) &&
	    (rep->next <= req->first || rep->next > req->last))
		return transport_err(c, -EPROTO);
	*head = *rep;
	memcpy(ent, rep + 1, rep->count * sizeof(*ent));
	if (rep->flags & UIOMMU_PT_DUMP_R_MORE)
		req->first = rep->next;
	return 0;
}

int
uiommu_client_memfd(const char *name, uint64_t size, uint32_t flags)
{
	unsigned int mflags = MFD_CLOEXEC;
	int fd, rc;

	if (name == NULL || size == 0 || size > (uint64_t)INT64_MAX ||
	    (flags & ~(UIOMMU_CLIENT_MEMFD_HUGETLB | UIOMMU_CLIENT_MEMFD_SEAL)))
		return -EINVAL;
	if (flags & UIOMMU_CLIENT_MEMFD_HUGETLB)
		mflags |= MFD_HUGETLB;
	/* Always sealable: the manager seals RAM against shrinking itself. */
	mflags |= MFD_ALLOW_SEALING;
	fd = memfd_create(name, mflags);
	if (fd < 0)
		return -errno;
	if (ftruncate(fd, (off_t)size) != 0)
		goto err;
	if ((flags & UIOMMU_CLIENT_MEMFD_SEAL) &&
	    fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW) != 0)
		goto err;
	return fd;
err:
	rc = -errno;
	close(fd);
	return rc;
}
