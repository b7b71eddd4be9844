/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Control-socket server: listening socket, epoll loop, per-connection
 * framing, dispatch, and the manager's lifecycle.
 *
 * Design. One control thread serves every client with epoll over
 * non-blocking sockets, so a slow or hostile client can delay the others by
 * at most one bounded request (MGR_MSGS_PER_WAKE per wake-up, each handler
 * bounded by the protocol's limits). A connection is a small state machine:
 *
 *     RX_HDR --24 bytes--> check --OK/REJECT--> RX_PAYLOAD --size bytes--> handle
 *                                 \--oversized--> RX_SKIP --size bytes--> reply -EMSGSIZE
 *                                 \--bad magic--> disconnect
 *
 * It never asks recvmsg() for more than what remains of the current message,
 * so the SCM_RIGHTS fds it receives always belong to that message
 * (proto.c). A reply is built in the connection's transmit buffer and sent
 * at once; if the socket is full, the rest waits for EPOLLOUT and the
 * connection is not read meanwhile (one request in flight per client,
 * bounded memory, no blocking).
 *
 * Closing a connection — EOF, error, a broken stream, or shutdown — tears
 * down its VM through the core, which retires every queue from the pollers
 * first (core hooks → poll engine), so other VMs never notice.
 *
 * Inline mode (no polling lcore): uiommu_mgr_run() alternates slices of at
 * most MGR_INLINE_SLICE_US of queue polling with a non-blocking epoll
 * round; with nothing to poll it blocks in epoll.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_tailq.h>
#include <rte_lcore.h>

#include "mgr_private.h"

RTE_LOG_REGISTER_SUFFIX(uiommu_logtype_mgr, mgr, NOTICE);

/* epoll tags: the listening socket and the stop eventfd are told apart
 * from connections by these sentinel pointers. */
static char tag_listen;
static char tag_stop;

/** Only one manager per process: the core hooks and telemetry are global. */
static struct uiommu_mgr *the_mgr;

struct handler_row {
	mgr_handler_fn fn;
	bool mutates;   /* refused to admin connections */
};

static const struct handler_row handlers[UIOMMU_MSG_TYPE_MAX] = {
	[UIOMMU_MSG_HELLO] = { mgr_handle_hello, false },
	[UIOMMU_MSG_MEM_ADD] = { mgr_handle_mem_add, true },
	[UIOMMU_MSG_MEM_DEL] = { mgr_handle_mem_del, true },
	[UIOMMU_MSG_VIOMMU_CREATE] = { mgr_handle_viommu_create, true },
	[UIOMMU_MSG_VIOMMU_DESTROY] = { mgr_handle_viommu_destroy, true },
	[UIOMMU_MSG_VDEVICE_ADD] = { mgr_handle_vdevice_add, true },
	[UIOMMU_MSG_VDEVICE_DEL] = { mgr_handle_vdevice_del, true },
	[UIOMMU_MSG_STRTAB_SET] = { mgr_handle_strtab_set, true },
	[UIOMMU_MSG_VCMDQ_CREATE] = { mgr_handle_vcmdq_create, true },
	[UIOMMU_MSG_VCMDQ_DESTROY] = { mgr_handle_vcmdq_destroy, true },
	[UIOMMU_MSG_STATS] = { mgr_handle_stats, false },
	/* Reading events pops them: that changes the VM's state. */
	[UIOMMU_MSG_EVENTS_READ] = { mgr_handle_events_read, true },
	[UIOMMU_MSG_TRANSLATE] = { mgr_handle_translate, false },
	[UIOMMU_MSG_LIST] = { mgr_handle_list, false },
	[UIOMMU_MSG_PT_DUMP] = { mgr_handle_pt_dump, false },
};

/* ------------------------------------------------------------ connections */

static void
conn_close_fds(struct mgr_conn *c)
{
	for (unsigned int i = 0; i < c->nfds; i++)
		close(c->fds[i]);
	c->nfds = 0;
	c->fd_overflow = 0;
}

static void
conn_close(struct uiommu_mgr *m, struct mgr_conn *c, const char *why)
{
	MGR_LOG(INFO, "connection %u (pid %d, %s%s) closed: %s", c->id,
		(int)c->pid, c->admin ? "admin " : "", c->name, why);
	epoll_ctl(m->epoll_fd, EPOLL_CTL_DEL, c->fd, NULL);
	pthread_mutex_lock(&m->lock);
	TAILQ_REMOVE(&m->conns, c, next);
	mgr_session_teardown(c);
	MGR_ST_SUB(m, connections_now, 1);
	pthread_mutex_unlock(&m->lock);
	conn_close_fds(c);
	close(c->fd);
	free(c->payload);
	free(c->tx);
	free(c);
}

static int
conn_events(struct uiommu_mgr *m, struct mgr_conn *c, uint32_t ev)
{
	struct epoll_event e = { .events = ev, .data.ptr = c };

	return epoll_ctl(m->epoll_fd, EPOLL_CTL_MOD, c->fd, &e) == 0 ? 0 : -errno;
}

/*
 * Push the transmit buffer. @return 1 all sent, 0 socket full (wait for
 * EPOLLOUT), -errno the connection is dead.
 */
static int
conn_flush(struct mgr_conn *c)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * UIOMMU_PROTO_MAX_FDS)];
		struct cmsghdr align;
	} cm;

	while (c->tx_off < c->tx_len) {
		struct iovec iov = {
			.iov_base = c->tx + c->tx_off,
			.iov_len = c->tx_len - c->tx_off,
		};
		struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
		ssize_t n;

		/* fds travel with the first byte of the reply only. */
		if (c->tx_off == 0 && c->tx_nfds > 0) {
			struct cmsghdr *cmh;

			memset(&cm, 0, sizeof(cm));
			mh.msg_control = cm.buf;
			mh.msg_controllen = CMSG_SPACE(sizeof(int) * c->tx_nfds);
			cmh = CMSG_FIRSTHDR(&mh);
			cmh->cmsg_level = SOL_SOCKET;
			cmh->cmsg_type = SCM_RIGHTS;
			cmh->cmsg_len = CMSG_LEN(sizeof(int) * c->tx_nfds);
			memcpy(CMSG_DATA(cmh), c->tx_fds,
			       sizeof(int) * c->tx_nfds);
		}
		n = sendmsg(c->fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return 0;
			return -errno;
		}
		c->tx_off += (size_t)n;
	}
	c->tx_len = 0;
	c->tx_off = 0;
	c->tx_nfds = 0;
	return 1;
}

/* Build and send the reply to the current request. */
static int
conn_reply(struct mgr_conn *c, int result, struct mgr_reply *rep)
{
	struct uiommu_proto_hdr *h = (struct uiommu_proto_hdr *)c->tx;
	struct uiommu_proto_reply *r = (struct uiommu_proto_reply *)(h + 1);
	uint32_t len = sizeof(*r);

	if (result == 0 && rep != NULL) {
		RTE_VERIFY(rep->len >= sizeof(*r) &&
			   rep->len <= UIOMMU_PROTO_MAX_PAYLOAD);
		len = rep->len;
		c->tx_nfds = rep->nfds;
		memcpy(c->tx_fds, rep->fds, sizeof(int) * rep->nfds);
	} else {
		c->tx_nfds = 0;
	}
	r->result = result;
	r->rsvd = 0;
	uiommu_proto_hdr_init(h, c->hdr.type, UIOMMU_PROTO_F_REPLY, len,
			      c->hdr.req_id);
	c->tx_len = sizeof(*h) + len;
	c->tx_off = 0;
	__atomic_fetch_add(&c->requests, 1, __ATOMIC_RELAXED);
	MGR_ST_ADD(c->m, requests, 1);
	if (result != 0) {
		__atomic_fetch_add(&c->errors, 1, __ATOMIC_RELAXED);
		MGR_ST_ADD(c->m, errors, 1);
		MGR_LOG(DEBUG, "connection %u: %s (req %" PRIu64 ") -> %d",
			c->id, uiommu_proto_type_name(c->hdr.type),
			c->hdr.req_id, result);
	}
	return conn_flush(c);
}

/* Decide and run the request held in c->hdr / c->payload. */
static int
conn_dispatch(struct uiommu_mgr *m, struct mgr_conn *c)
{
	const struct handler_row *row = NULL;
	struct mgr_reply rep = { 0 };
	uint16_t type = c->hdr.type;
	int rc = c->rx_err;

	if (rc == 0 && c->fd_overflow)
		rc = -EBADF;
	if (rc == 0)
		rc = uiommu_proto_req_check(type, c->payload, c->hdr.size,
					    c->nfds);
	if (rc == 0) {
		row = &handlers[type];
		if (!c->hello_done && type != UIOMMU_MSG_HELLO)
			rc = -EPROTO;
		else if (c->hello_done && type == UIOMMU_MSG_HELLO)
			rc = -EALREADY;
		else if (c->admin && row->mutates)
			rc = -EPERM;
	}
	if (rc == 0) {
		rep.buf = c->tx + sizeof(struct uiommu_proto_hdr);
		rep.cap = UIOMMU_PROTO_MAX_PAYLOAD;
		rep.len = sizeof(struct uiommu_proto_reply);
		memset(rep.buf, 0, uiommu_proto_reply_size(type));
		pthread_mutex_lock(&m->lock);
		rc = row->fn(c, c->payload, c->fds, c->nfds, &rep);
		pthread_mutex_unlock(&m->lock);
	}
	/* Received fds were dup()ed by whoever keeps them. */
	conn_close_fds(c);
	return conn_reply(c, rc, &rep);
}

/*
 * Read and handle up to MGR_MSGS_PER_WAKE messages.
 * @return 0 keep the connection, 1 closed.
 */
static int
conn_read(struct uiommu_mgr *m, struct mgr_conn *c)
{
	static uint8_t skip_buf[4096];
	unsigned int handled = 0;

	while (handled < MGR_MSGS_PER_WAKE && c->tx_len == 0) {
		enum uiommu_proto_hdr_verdict v;
		uint8_t *dst;
		size_t want;
		ssize_t n;
		int rc;

		switch (c->rx) {
		case MGR_RX_HDR:
			dst = (uint8_t *)&c->hdr + c->hdr_got;
			want = sizeof(c->hdr) - c->hdr_got;
			break;
		case MGR_RX_PAYLOAD:
			dst = c->payload + c->pay_got;
			want = c->hdr.size - c->pay_got;
			break;
		default:
			dst = skip_buf;
			want = RTE_MIN(sizeof(skip_buf),
				       c->hdr.size - c->pay_got);
			break;
		}
		if (want > 0) {
			n = uiommu_proto_recv(c->fd, dst, want, c->fds,
					      &c->nfds, UIOMMU_PROTO_MAX_FDS,
					      &c->fd_overflow);
			if (n == -EAGAIN || n == -EWOULDBLOCK)
				return 0;
			if (n == 0) {
				conn_close(m, c, c->rx == MGR_RX_HDR &&
					   c->hdr_got == 0 ? "peer closed" :
					   "peer closed mid-message");
				return 1;
			}
			if (n < 0) {
				conn_close(m, c, strerror((int)-n));
				return 1;
			}
			if (c->rx == MGR_RX_HDR)
				c->hdr_got += (size_t)n;
			else
				c->pay_got += (size_t)n;
		}
		if (c->rx == MGR_RX_HDR) {
			if (c->hdr_got < sizeof(c->hdr))
				continue;
			v = uiommu_proto_hdr_check(&c->hdr, &c->rx_err);
			if (v == UIOMMU_PROTO_HDR_FATAL) {
				MGR_ST_ADD(m, disconnects_bad, 1);
				conn_close(m, c, "bad magic: stream lost");
				return 1;
			}
			c->pay_got = 0;
			c->rx = c->rx_err == -EMSGSIZE ? MGR_RX_SKIP :
							  MGR_RX_PAYLOAD;
			if (c->hdr.size != 0)
				continue;
		} else if (c->pay_got < c->hdr.size) {
			continue;
		}
		/* A whole message is in. */
		c->rx = MGR_RX_HDR;
		c->hdr_got = 0;
		handled++;
		rc = conn_dispatch(m, c);
		if (rc < 0) {
			conn_close(m, c, "reply failed");
			return 1;
		}
		if (rc == 0) {
			c->tx_wait = true;
			if (conn_events(m, c, EPOLLOUT | EPOLLRDHUP) != 0) {
				conn_close(m, c, "epoll");
				return 1;
			}
		}
	}
	return 0;
}

static uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Close connections that never said HELLO (they hold a slot for nothing). */
static void
conn_reap(struct uiommu_mgr *m)
{
	uint64_t now = now_ms();
	struct mgr_conn *c, *tmp;

	if (now - m->last_reap_ms < MGR_EPOLL_MAX_WAIT_MS)
		return;
	m->last_reap_ms = now;
	RTE_TAILQ_FOREACH_SAFE(c, &m->conns, next, tmp)
		if (!c->hello_done &&
		    now - c->accept_ms > m->conf.hello_timeout_ms)
			conn_close(m, c, "no HELLO in time");
}

static void
conn_accept(struct uiommu_mgr *m)
{
	for (unsigned int i = 0; i < MGR_ACCEPTS_PER_WAKE; i++) {
		struct ucred cred = { .pid = 0 };
		socklen_t clen = sizeof(cred);
		struct epoll_event ev;
		struct mgr_conn *c;
		int fd;

		fd = accept4(m->listen_fd, NULL, NULL,
			     SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0)
			return;
		if (MGR_ST_GET(m, connections_now) >=
		    (uint64_t)m->conf.max_vms + UIOMMU_MGR_MAX_ADMIN_CONNS) {
			MGR_ST_ADD(m, refused, 1);
			MGR_LOG(WARNING, "too many connections: refusing one");
			close(fd);
			continue;
		}
		c = uiommu_should_fail() ? NULL : calloc(1, sizeof(*c));
		if (c == NULL)
			goto err_fd;
		c->payload = malloc(UIOMMU_PROTO_MAX_PAYLOAD);
		c->tx = malloc(sizeof(struct uiommu_proto_hdr) +
			       UIOMMU_PROTO_MAX_PAYLOAD);
		if (c->payload == NULL || c->tx == NULL)
			goto err_conn;
		c->m = m;
		c->fd = fd;
		c->id = ++m->next_conn_id;
		c->accept_ms = now_ms();
		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &clen) == 0) {
			c->pid = cred.pid;
			c->uid = cred.uid;
		}
		ev.events = EPOLLIN | EPOLLRDHUP;
		ev.data.ptr = c;
		if (epoll_ctl(m->epoll_fd, EPOLL_CTL_ADD, fd, &ev) != 0)
			goto err_conn;
		pthread_mutex_lock(&m->lock);
		TAILQ_INSERT_TAIL(&m->conns, c, next);
		MGR_ST_ADD(m, connections, 1);
		MGR_ST_ADD(m, connections_now, 1);
		pthread_mutex_unlock(&m->lock);
		MGR_LOG(INFO, "connection %u from pid %d", c->id, (int)c->pid);
		continue;
err_conn:
		free(c->payload);
		free(c->tx);
		free(c);
err_fd:
		MGR_LOG(ERR, "cannot set up a connection: out of memory");
		close(fd);
	}
}

static void
conn_event(struct uiommu_mgr *m, struct mgr_conn *c, uint32_t ev)
{
	int rc;

	if (c->tx_wait) {
		if (ev & (EPOLLERR | EPOLLHUP)) {
			conn_close(m, c, "hang-up with a reply pending");
			return;
		}
		rc = conn_flush(c);
		if (rc < 0) {
			conn_close(m, c, "reply failed");
			return;
		}
		if (rc == 0)
			return;
		c->tx_wait = false;
		if (conn_events(m, c, EPOLLIN | EPOLLRDHUP) != 0) {
			conn_close(m, c, "epoll");
			return;
		}
	}
	if (ev & EPOLLERR) {
		conn_close(m, c, "socket error");
		return;
	}
	/* Read what is there (EOF is seen by the read). */
	if (ev & (EPOLLIN | EPOLLHUP | EPOLLRDHUP))
		conn_read(m, c);
}

int
uiommu_mgr_serve_once(struct uiommu_mgr *m, int timeout_ms)
{
	struct epoll_event ev[16];
	int n;

	if (timeout_ms < 0 || timeout_ms > MGR_EPOLL_MAX_WAIT_MS)
		timeout_ms = MGR_EPOLL_MAX_WAIT_MS;
	n = epoll_wait(m->epoll_fd, ev, RTE_DIM(ev), timeout_ms);
	if (n < 0)
		return errno == EINTR ? 0 : -errno;
	for (int i = 0; i < n; i++) {
		void *tag = ev[i].data.ptr;

		if (tag == &tag_stop) {
			uint64_t v;

			if (read(m->stop_fd, &v, sizeof(v)) < 0)
				MGR_LOG(DEBUG, "stop eventfd already drained");
		} else if (tag == &tag_listen) {
			conn_accept(m);
		} else {
			/*
			 * A connection appears at most once per batch and is
			 * only ever closed while handling its own event, so
			 * the pointer is valid here.
			 */
			conn_event(m, tag, ev[i].events);
		}
	}
	conn_reap(m);
	return n;
}

/* ------------------------------------------------------------ lifecycle */

static int
listen_socket(struct uiommu_mgr *m)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	const char *path = m->conf.socket_path;
	struct stat st;
	int fd, rc;

	if (path[0] == '\0' || strlen(path) >= sizeof(sa.sun_path))
		return -EINVAL;
	strcpy(sa.sun_path, path);
	if (lstat(path, &st) == 0) {
		int probe;

		if (!S_ISSOCK(st.st_mode)) {
			MGR_LOG(ERR, "%s exists and is not a socket", path);
			return -EADDRINUSE;
		}
		probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (probe < 0)
			return -errno;
		rc = connect(probe, (struct sockaddr *)&sa, sizeof(sa));
		close(probe);
		if (rc == 0) {
			MGR_LOG(ERR, "a manager already serves %s", path);
			return -EADDRINUSE;
		}
		MGR_LOG(NOTICE, "replacing stale socket %s", path);
		unlink(path);
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		rc = -errno;
		goto err_close;
	}
	m->socket_created = true;
	if (chmod(path, m->conf.socket_mode) != 0 || listen(fd, 64) != 0) {
		rc = -errno;
		goto err_unlink;
	}
	m->listen_fd = fd;
	return 0;

err_unlink:
	unlink(path);
	m->socket_created = false;
err_close:
	close(fd);
	return rc;
}

/* Resolve the polling lcores: the configured list, or every worker. */
static int
resolve_lcores(struct uiommu_mgr_conf *conf)
{
	unsigned int l;

	if (!conf->poll_all_workers)
		return 0;
	conf->poll.nb_lcores = 0;
	RTE_LCORE_FOREACH_WORKER(l) {
		if (conf->poll.nb_lcores == UIOMMU_MAX_POLL_LCORES)
			break;
		conf->poll.lcores[conf->poll.nb_lcores++] = l;
	}
	return 0;
}

int
uiommu_mgr_create(const struct uiommu_mgr_conf *conf, struct uiommu_mgr **out)
{
	struct uiommu_core_hooks hooks;
	struct epoll_event ev;
	struct uiommu_mgr *m;
	int rc;

	if (conf == NULL || out == NULL || conf->max_vms == 0 ||
	    conf->max_vms > UIOMMU_MAX_VMS ||
	    conf->hello_timeout_ms < UIOMMU_MGR_HELLO_TIMEOUT_MIN ||
	    conf->hello_timeout_ms > UIOMMU_MGR_HELLO_TIMEOUT_MAX ||
	    conf->poll.budget == 0 || conf->poll.budget > UIOMMU_MGR_BUDGET_MAX ||
	    conf->poll.vm_slice_ns > UIOMMU_POLL_VM_SLICE_NS_MAX ||
	    conf->poll.idle_sleep_us > UIOMMU_MGR_SLEEP_US_MAX ||
	    conf->poll.idle_after_us > UIOMMU_MGR_SLEEP_US_MAX)
		return -EINVAL;
	if (the_mgr != NULL)
		return -EBUSY;
	if (uiommu_backend_find(conf->backend) == NULL) {
		MGR_LOG(ERR, "default backend '%s' is not registered",
			conf->backend);
		return -ENOENT;
	}
	if (uiommu_should_fail())
		return -ENOMEM;
	m = calloc(1, sizeof(*m));
	if (m == NULL)
		return -ENOMEM;
	m->conf = *conf;
	m->listen_fd = -1;
	m->epoll_fd = -1;
	m->stop_fd = -1;
	TAILQ_INIT(&m->conns);
	pthread_mutex_init(&m->lock, NULL);
	resolve_lcores(&m->conf);
	for (uint32_t i = 0; i < m->conf.nb_pins; i++) {
		bool ok = false;

		for (uint32_t j = 0; j < m->conf.poll.nb_lcores; j++)
			ok |= m->conf.poll.lcores[j] == m->conf.pins[i].lcore;
		if (!ok) {
			MGR_LOG(ERR, "pin %s = %u: not a polling lcore",
				m->conf.pins[i].vm_name, m->conf.pins[i].lcore);
			rc = -EINVAL;
			goto err_free;
		}
	}
	rc = uiommu_poll_create(&m->conf.poll, &m->poll);
	if (rc != 0) {
		MGR_LOG(ERR, "poll engine: %s", strerror(-rc));
		goto err_free;
	}
	m->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	m->stop_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (m->epoll_fd < 0 || m->stop_fd < 0) {
		rc = -errno;
		goto err_fds;
	}
	ev.events = EPOLLIN;
	ev.data.ptr = &tag_stop;
	if (epoll_ctl(m->epoll_fd, EPOLL_CTL_ADD, m->stop_fd, &ev) != 0) {
		rc = -errno;
		goto err_fds;
	}
	rc = listen_socket(m);
	if (rc != 0) {
		MGR_LOG(ERR, "cannot listen on %s: %s", m->conf.socket_path,
			strerror(-rc));
		goto err_fds;
	}
	ev.events = EPOLLIN;
	ev.data.ptr = &tag_listen;
	if (epoll_ctl(m->epoll_fd, EPOLL_CTL_ADD, m->listen_fd, &ev) != 0) {
		rc = -errno;
		goto err_listen;
	}
	if (m->conf.telemetry) {
		rc = mgr_telemetry_attach(m);
		if (rc != 0)
			goto err_listen;
	}
	/* Published: the core may now call into the poll engine. */
	uiommu_poll_core_hooks(m->poll, &hooks);
	uiommu_core_hooks_set(&hooks);
	m->start_tsc = rte_rdtsc();
	the_mgr = m;
	if (uiommu_poll_is_inline(m->poll))
		MGR_LOG(NOTICE, "no worker lcore: polling queues inline on the "
			"main lcore %u, between socket events",
			rte_get_main_lcore());
	else
		MGR_LOG(NOTICE, "%u polling lcore(s), budget %u, VM budget %u, "
			"VM slice %u ns, idle sleep %u us after %u us",
			m->conf.poll.nb_lcores, m->conf.poll.budget,
			m->conf.poll.vm_budget, m->conf.poll.vm_slice_ns,
			m->conf.poll.idle_sleep_us, m->conf.poll.idle_after_us);
	MGR_LOG(NOTICE, "listening on %s (default backend %s)",
		m->conf.socket_path, m->conf.backend);
	*out = m;
	return 0;

err_listen:
	close(m->listen_fd);
	if (m->socket_created)
		unlink(m->conf.socket_path);
err_fds:
	if (m->epoll_fd >= 0)
		close(m->epoll_fd);
	if (m->stop_fd >= 0)
		close(m->stop_fd);
	uiommu_poll_destroy(m->poll);
err_free:
	pthread_mutex_destroy(&m->lock);
	free(m);
	return rc;
}

void
uiommu_mgr_stop(struct uiommu_mgr *m)
{
	uint64_t one = 1;

	if (m == NULL)
		return;
	m->stop = 1;
	/* Wake epoll_wait; async-signal-safe. */
	if (write(m->stop_fd, &one, sizeof(one)) < 0)
		m->stop = 1;
}

static bool
inline_has_work(struct uiommu_mgr *m)
{
	struct uiommu_poll_lcore_stats st;

	if (uiommu_poll_slot_stats(m->poll, 0, &st) != 0)
		return false;
	return st.nb_queues + st.nb_viommus > 0;
}

int
uiommu_mgr_run(struct uiommu_mgr *m)
{
	const uint64_t hz = rte_get_tsc_hz();
	const uint64_t slice = hz * MGR_INLINE_SLICE_US / 1000000;
	const uint64_t idle_after = hz * m->conf.poll.idle_after_us / 1000000;
	const bool inl = uiommu_poll_is_inline(m->poll);
	uint64_t last_work = rte_rdtsc();
	int rc;

	rc = uiommu_poll_start(m->poll);
	if (rc != 0) {
		MGR_LOG(ERR, "cannot launch the polling lcores: %s",
			strerror(-rc));
		return rc;
	}
	while (!m->stop) {
		int timeout = -1;

		if (inl && inline_has_work(m)) {
			uint64_t t0 = rte_rdtsc(), now;
			unsigned int work = 0;

			do {
				work += uiommu_poll_run_once(m->poll);
				now = rte_rdtsc();
			} while (now - t0 < slice && !m->stop);
			if (work != 0)
				last_work = now;
			timeout = 0;
			if (work == 0 && m->conf.poll.idle_sleep_us != 0 &&
			    now - last_work >= idle_after)
				/* epoll's granularity is 1 ms: round up. */
				timeout = (int)((m->conf.poll.idle_sleep_us +
						 999) / 1000);
		}
		rc = uiommu_mgr_serve_once(m, timeout);
		if (rc < 0) {
			MGR_LOG(ERR, "epoll_wait: %s", strerror(-rc));
			uiommu_poll_stop(m->poll);
			return rc;
		}
	}
	MGR_LOG(NOTICE, "stopping");
	uiommu_poll_stop(m->poll);
	return 0;
}

void
uiommu_mgr_destroy(struct uiommu_mgr *m)
{
	struct mgr_conn *c;

	if (m == NULL)
		return;
	uiommu_poll_stop(m->poll);
	while ((c = TAILQ_FIRST(&m->conns)) != NULL)
		conn_close(m, c, "manager shutting down");
	uiommu_core_hooks_set(NULL);
	mgr_telemetry_detach(m);
	the_mgr = NULL;
	close(m->listen_fd);
	if (m->socket_created)
		unlink(m->conf.socket_path);
	close(m->epoll_fd);
	close(m->stop_fd);
	uiommu_poll_destroy(m->poll);
	pthread_mutex_destroy(&m->lock);
	MGR_LOG(NOTICE, "stopped");
	free(m);
}

void
uiommu_mgr_stats_get(const struct uiommu_mgr *m, struct uiommu_mgr_stats *st)
{
	st->connections = MGR_ST_GET(m, connections);
	st->connections_now = MGR_ST_GET(m, connections_now);
	st->vms_now = MGR_ST_GET(m, vms_now);
	st->requests = MGR_ST_GET(m, requests);
	st->errors = MGR_ST_GET(m, errors);
	st->disconnects_bad = MGR_ST_GET(m, disconnects_bad);
	st->refused = MGR_ST_GET(m, refused);
}

struct uiommu_poll *
uiommu_mgr_poll(const struct uiommu_mgr *m)
{
	return m->poll;
}

struct mgr_conn *
mgr_conn_by_vm_id(struct uiommu_mgr *m, uint32_t vm_id)
{
	struct mgr_conn *c;

	if (vm_id == 0)
		return NULL;
	TAILQ_FOREACH(c, &m->conns, next)
		if (c->vm != NULL && c->vm_id == vm_id)
			return c;
	return NULL;
}
