/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * lib/mgr private header: the manager's and connections' structures, shared
 * by server.c (sockets, framing), session.c (requests that create and
 * destroy), inspect.c (STATS, EVENTS_READ, TRANSLATE, LIST), ptdump.c
 * (PT_DUMP) and telemetry.c. Never installed.
 *
 * Locking: m->lock protects the connection list and every connection's
 * object table. The control thread holds it while it handles a request or
 * opens/closes a connection; telemetry callbacks (DPDK's telemetry thread)
 * hold it while they read. Lock order: m->lock, then the core's lock (taken
 * inside core calls), then nothing: the core's hooks into the poll engine
 * run on the control thread and take no lock.
 */
#ifndef MGR_PRIVATE_H
#define MGR_PRIVATE_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/queue.h>
#include <sys/types.h>

#include "uiommu_common.h"
#include "uiommu_core.h"
#include "uiommu_fail.h"
#include "uiommu_log.h"
#include "uiommu_mgr.h"
#include "uiommu_poll.h"
#include "uiommu_proto.h"

/** lib/mgr's log type (uiommu.mgr). */
extern int uiommu_logtype_mgr;
#define MGR_LOG(level, fmt, ...) \
	UIOMMU_LOG(level, uiommu_logtype_mgr, fmt, ##__VA_ARGS__)

/** Version string reported in HELLO (the project's meson version). */
#define UIOMMU_MGR_VERSION "0.1.0"
/** Largest per-queue budget accepted from configuration. */
#define UIOMMU_MGR_BUDGET_MAX (1u << UIOMMU_VCMDQ_MAX_LOG2)
/** Longest idle sleep / idle delay accepted, in microseconds. */
#define UIOMMU_MGR_SLEEP_US_MAX 1000000u
/** Bounds of hello_timeout_ms. */
#define UIOMMU_MGR_HELLO_TIMEOUT_MIN 100u
#define UIOMMU_MGR_HELLO_TIMEOUT_MAX 3600000u
/** Entries one configuration section may hold. */
#define UIOMMU_MGR_CONF_MAX_ENTRIES 128
/** Admin connections served beyond max_vms VM connections. */
#define UIOMMU_MGR_MAX_ADMIN_CONNS 16
/** Messages handled per connection per wake-up (fairness between clients). */
#define MGR_MSGS_PER_WAKE 8
/** Connections accepted per wake-up of the listening socket. */
#define MGR_ACCEPTS_PER_WAKE 16
/** Longest epoll wait, so that the HELLO deadline is enforced. */
#define MGR_EPOLL_MAX_WAIT_MS 100
/** Inline mode: longest stretch of queue polling between socket checks. */
#define MGR_INLINE_SLICE_US 50

/** A vIOMMU as a connection knows it. */
struct mgr_viommu {
	uint32_t id;                  /* protocol id; 0 = free slot */
	struct uiommu_viommu *v;
	uint64_t caps;                /* backend hw_info caps */
	char backend[UIOMMU_PROTO_BACKEND_LEN];
};

/** Receive state of a connection. */
enum mgr_rx_state {
	MGR_RX_HDR,      /* reading the 24-byte header */
	MGR_RX_PAYLOAD,  /* reading hdr.size payload bytes */
	MGR_RX_SKIP,     /* discarding an oversized payload */
};

/** One client connection. */
struct mgr_conn {
	TAILQ_ENTRY(mgr_conn) next;
	struct uiommu_mgr *m;
	int fd;
	uint32_t id;                 /* connection number, for logs */
	uint64_t accept_ms;          /* monotonic time of accept() */
	pid_t pid;                   /* peer (SO_PEERCRED) */
	uid_t uid;
	bool hello_done;
	bool admin;
	uint64_t features;
	char name[UIOMMU_PROTO_NAME_LEN];
	struct uiommu_vm *vm;        /* VM connections after HELLO */
	uint32_t vm_id;
	uint32_t next_viommu_id;
	struct mgr_viommu viommus[UIOMMU_MAX_VIOMMUS_PER_VM];
	/* receive */
	enum mgr_rx_state rx;
	struct uiommu_proto_hdr hdr;
	size_t hdr_got;
	uint8_t *payload;            /* UIOMMU_PROTO_MAX_PAYLOAD bytes */
	size_t pay_got;
	int rx_err;                  /* errno decided at header time, or 0 */
	int fds[UIOMMU_PROTO_MAX_FDS];
	unsigned int nfds;
	int fd_overflow;
	/* transmit */
	uint8_t *tx;                 /* header + UIOMMU_PROTO_MAX_PAYLOAD */
	size_t tx_len;
	size_t tx_off;
	int tx_fds[UIOMMU_PROTO_MAX_FDS]; /* borrowed (owned by core objects) */
	unsigned int tx_nfds;
	bool tx_wait;                /* waiting for EPOLLOUT */
	/* counters (relaxed atomics: telemetry reads them) */
	uint64_t requests;
	uint64_t errors;
};

TAILQ_HEAD(mgr_conn_list, mgr_conn);

struct uiommu_mgr {
	struct uiommu_mgr_conf conf;
	pthread_mutex_t lock;
	int listen_fd;
	int epoll_fd;
	int stop_fd;                 /* eventfd written by uiommu_mgr_stop() */
	volatile int stop;           /* set by uiommu_mgr_stop() */
	bool socket_created;         /* we own the socket file */
	struct uiommu_poll *poll;
	struct mgr_conn_list conns;
	uint32_t next_conn_id;
	uint64_t start_tsc;
	uint64_t last_reap_ms;
	struct uiommu_mgr_stats st;
};

/*
 * Manager counters: written by the control thread, read by telemetry and
 * STATS; relaxed atomics (single writer, readers want no tearing only).
 */
#define MGR_ST_ADD(m, f, v) __atomic_fetch_add(&(m)->st.f, (v), __ATOMIC_RELAXED)
#define MGR_ST_SUB(m, f, v) __atomic_fetch_sub(&(m)->st.f, (v), __ATOMIC_RELAXED)
#define MGR_ST_GET(m, f) __atomic_load_n(&(m)->st.f, __ATOMIC_RELAXED)

/** What a request handler produces. */
struct mgr_reply {
	uint8_t *buf;       /* payload area; starts with struct uiommu_proto_reply */
	uint32_t cap;       /* UIOMMU_PROTO_MAX_PAYLOAD */
	uint32_t len;       /* payload bytes on success (>= reply head) */
	int fds[UIOMMU_PROTO_MAX_FDS]; /* borrowed fds to pass */
	unsigned int nfds;
};

/**
 * A request handler: the payload passed uiommu_proto_req_check(); fds are
 * those received (closed by the caller afterwards). Returns 0 with rep->len
 * set, or a negative errno (rep ignored).
 */
typedef int (*mgr_handler_fn)(struct mgr_conn *c, const void *req,
			      const int *fds, unsigned int nfds,
			      struct mgr_reply *rep);

/* session.c */
int mgr_handle_hello(struct mgr_conn *c, const void *req, const int *fds,
		     unsigned int nfds, struct mgr_reply *rep);
int mgr_handle_mem_add(struct mgr_conn *c, const void *req, const int *fds,
		       unsigned int nfds, struct mgr_reply *rep);
int mgr_handle_mem_del(struct mgr_conn *c, const void *req, const int *fds,
		       unsigned int nfds, struct mgr_reply *rep);
int mgr_handle_viommu_create(struct mgr_conn *c, const void *req,
			     const int *fds, unsigned int nfds,
			     struct mgr_reply *rep);
int mgr_handle_viommu_destroy(struct mgr_conn *c, const void *req,
			      const int *fds, unsigned int nfds,
			      struct mgr_reply *rep);
int mgr_handle_vdevice_add(struct mgr_conn *c, const void *req,
			   const int *fds, unsigned int nfds,
			   struct mgr_reply *rep);
int mgr_handle_vdevice_del(struct mgr_conn *c, const void *req,
			   const int *fds, unsigned int nfds,
			   struct mgr_reply *rep);
int mgr_handle_strtab_set(struct mgr_conn *c, const void *req,
			  const int *fds, unsigned int nfds,
			  struct mgr_reply *rep);
int mgr_handle_vcmdq_create(struct mgr_conn *c, const void *req,
			    const int *fds, unsigned int nfds,
			    struct mgr_reply *rep);
int mgr_handle_vcmdq_destroy(struct mgr_conn *c, const void *req,
			     const int *fds, unsigned int nfds,
			     struct mgr_reply *rep);
/** Destroy everything a connection owns (its VM); never fails. */
void mgr_session_teardown(struct mgr_conn *c);
/** The connection's vIOMMU of a protocol id, or NULL. */
struct mgr_viommu *mgr_viommu_lookup(struct mgr_conn *c, uint32_t id);

/* inspect.c */
int mgr_handle_stats(struct mgr_conn *c, const void *req, const int *fds,
		     unsigned int nfds, struct mgr_reply *rep);
int mgr_handle_events_read(struct mgr_conn *c, const void *req,
			   const int *fds, unsigned int nfds,
			   struct mgr_reply *rep);
int mgr_handle_translate(struct mgr_conn *c, const void *req, const int *fds,
			 unsigned int nfds, struct mgr_reply *rep);
int mgr_handle_list(struct mgr_conn *c, const void *req, const int *fds,
		    unsigned int nfds, struct mgr_reply *rep);
/**
 * Counters of one object into out[UIOMMU_PROTO_MAX_STATS]: scope MANAGER
 * and LCORE (index = lcore id) ignore t; VM, VIOMMU, VCMDQ need the target
 * VM connection t (visibility is the caller's business).
 * @return 0 (*n set); -ENOENT no such object; -EOPNOTSUPP bad scope.
 */
int mgr_stats_collect(struct uiommu_mgr *m, struct mgr_conn *t,
		      uint32_t scope, uint32_t viommu_id, uint32_t index,
		      struct uiommu_proto_stat *out, uint32_t *n);
/** Sum of the counters of every queue of a vIOMMU. */
void mgr_viommu_queue_totals(struct uiommu_viommu *v,
			     struct uiommu_vcmdq_stats *sum);
/** The VM connection whose VM has this id, or NULL. */
struct mgr_conn *mgr_conn_by_vm_id(struct uiommu_mgr *m, uint32_t vm_id);
/**
 * The VM connection a request of c may look at (the visibility rule of
 * inspect.c): a VM connection its own (vm_id 0 or its id), an admin
 * connection any VM by id.
 * @return 0 (*out set); -EPERM another VM on a VM connection; -ENOENT
 *         (admin) no VM has that id.
 */
int mgr_target_conn(struct mgr_conn *c, uint32_t vm_id, struct mgr_conn **out);

/* ptdump.c */
int mgr_handle_pt_dump(struct mgr_conn *c, const void *req, const int *fds,
		       unsigned int nfds, struct mgr_reply *rep);

/* telemetry.c */
/** Register the /uiommu/... commands (once per process) and point them at m. */
int mgr_telemetry_attach(struct uiommu_mgr *m);
/** Detach the commands from m (they answer "no manager" afterwards). */
void mgr_telemetry_detach(struct uiommu_mgr *m);

#endif /* MGR_PRIVATE_H */
