/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * The manager: control-socket server + poll engine + telemetry.
 *
 * A manager listens on a Unix stream socket (doc/protocol.md). Each VM
 * connection owns one core VM and the objects it creates through the
 * protocol; when the connection ends, for whatever reason, everything it
 * owned is destroyed. Admin connections only inspect.
 *
 * **Threads.** uiommu_mgr_run() is the control thread: it runs on the
 * caller's thread (normally the EAL main lcore) and serves every socket
 * with epoll, never blocking on one client (non-blocking sockets, bounded
 * work per wake-up, replies buffered when the client does not read). The
 * polling lcores (uiommu_poll.h) run the fast path. With no polling lcore,
 * the control thread also polls the queues between socket events (inline
 * mode, logged at start).
 *
 * **Lifecycle.** uiommu_mgr_conf_init() → (uiommu_mgr_conf_load(),
 * field edits) → uiommu_mgr_create() → uiommu_mgr_run() until
 * uiommu_mgr_stop() (async-signal-safe, e.g. from SIGTERM) →
 * uiommu_mgr_destroy(), which stops the pollers, tears down every VM and
 * unlinks the socket.
 */
#ifndef UIOMMU_MGR_H
#define UIOMMU_MGR_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/un.h>

#include "uiommu_config.h"
#include "uiommu_poll.h"
#include "uiommu_proto.h"

#ifdef __cplusplus
extern "C" {
#endif

/** A manager (opaque). */
struct uiommu_mgr;

/** Backends whose default arguments a configuration may set. */
#define UIOMMU_MGR_MAX_BACKEND_ARGS 8
/** VM-name to lcore pins a configuration may hold. */
#define UIOMMU_MGR_MAX_PINS 64

/** Default backend arguments of one backend (config [backend.NAME]). */
struct uiommu_mgr_backend_args {
	char backend[UIOMMU_PROTO_BACKEND_LEN]; /**< backend name */
	char args[UIOMMU_PROTO_ARGS_LEN];       /**< kvargs "k=v,k=v" */
};

/** Placement of one VM's vIOMMUs (config [pin]). */
struct uiommu_mgr_pin {
	char vm_name[UIOMMU_PROTO_NAME_LEN]; /**< HELLO name */
	uint32_t lcore;                      /**< EAL lcore id */
};

/** Manager configuration. */
struct uiommu_mgr_conf {
	char socket_path[sizeof(((struct sockaddr_un *)0)->sun_path)]; /**< control socket */
	uint32_t socket_mode;    /**< permissions of the socket file (default 0600) */
	char backend[UIOMMU_PROTO_BACKEND_LEN]; /**< default backend ("soft") */
	bool require_sealed_mem; /**< MEM_ADD fds must carry F_SEAL_SHRINK, or accept it from the manager (default true) */
	uint32_t max_vms;        /**< VM connections, 1..UIOMMU_MAX_VMS */
	bool telemetry;          /**< register /uiommu/... telemetry commands */
	uint32_t hello_timeout_ms; /**< close connections silent this long before HELLO */
	struct uiommu_poll_conf poll; /**< budget, idle policy, lcores */
	bool poll_all_workers;   /**< poll.lcores empty: use every worker lcore */
	uint32_t nb_backend_args;                                   /**< entries used */
	struct uiommu_mgr_backend_args backend_args[UIOMMU_MGR_MAX_BACKEND_ARGS]; /**< defaults */
	uint32_t nb_pins;                                  /**< entries used */
	struct uiommu_mgr_pin pins[UIOMMU_MGR_MAX_PINS];   /**< VM placement */
};

/**
 * Default configuration: no socket path, backend "soft", budget
 * UIOMMU_POLL_BUDGET_DEFAULT, no idle sleep (idle_after_us 1000 if
 * enabled), every worker lcore polls, max_vms UIOMMU_MAX_VMS, telemetry on,
 * socket mode 0600, sealed memory not required, HELLO timeout 10 s.
 * @param conf  filled
 */
void uiommu_mgr_conf_init(struct uiommu_mgr_conf *conf);

/**
 * Apply an ini file (rte_cfgfile) over a configuration. Sections and keys
 * (doc/manager.md, config/uiommu-mgr.ini.example):
 *  - [manager] socket, socket_mode, backend, require_sealed_mem, max_vms,
 *    telemetry, hello_timeout_ms
 *  - [poll] lcores, budget, vm_budget, vm_slice_ns, idle_sleep_us,
 *    idle_after_us
 *  - [backend.NAME] key = value ... : default kvargs of backend NAME
 *  - [pin] VMNAME = LCORE
 * Unknown sections or keys are errors (a typo must not go unnoticed).
 *
 * @param conf  configuration to update
 * @param path  ini file
 * @param[out] err  a message naming the offending entry; may be NULL
 * @param errlen  size of err
 * @return 0; -ENOENT unreadable file; -EINVAL malformed file, unknown key
 *         or bad value; -E2BIG too many sections of a kind or a value too
 *         long.
 */
int uiommu_mgr_conf_load(struct uiommu_mgr_conf *conf, const char *path,
			 char *err, size_t errlen);

/**
 * Parse an lcore list ("1,3-5") into conf->poll.lcores (and clear
 * poll_all_workers).
 * @param conf  configuration
 * @param list  the list
 * @return 0; -EINVAL malformed or an id >= RTE_MAX_LCORE; -E2BIG more
 *         than UIOMMU_MAX_POLL_LCORES.
 */
int uiommu_mgr_conf_lcores(struct uiommu_mgr_conf *conf, const char *list);

/**
 * Parse an unsigned decimal number for an option, refusing junk,
 * negative values and values above max.
 * @param s  text
 * @param max  largest value accepted
 * @param[out] out  value
 * @return 0; -EINVAL not a number in [0, max].
 */
int uiommu_mgr_parse_u32(const char *s, uint32_t max, uint32_t *out);

/**
 * Parse a per-VM budget for an option: "none" (no per-VM limit,
 * UIOMMU_POLL_VM_BUDGET_NONE) or a number of commands, 1 or more.
 * @param s  text
 * @param[out] out  value
 * @return 0; -EINVAL anything else (0 included).
 */
int uiommu_mgr_parse_vm_budget(const char *s, uint32_t *out);

/**
 * Merge backend arguments: the configuration's defaults for @p backend,
 * overridden key by key by the client's @p args (both kvargs strings).
 * @param conf  configuration (defaults)
 * @param backend  backend name
 * @param args  client's arguments, may be NULL or ""
 * @param[out] out  merged "k=v,..." string
 * @param outlen  size of out
 * @return 0; -EINVAL malformed kvargs; -E2BIG the result does not fit.
 */
int uiommu_mgr_args_merge(const struct uiommu_mgr_conf *conf,
			  const char *backend, const char *args, char *out,
			  size_t outlen);

/**
 * Create a manager: validate the configuration, check the default backend
 * exists, create the poll engine, register core hooks and telemetry, bind
 * and listen on the socket (refusing a path where a live manager answers;
 * a stale socket file is replaced). Must be called after rte_eal_init().
 * Only one manager may exist per process (the core's hooks and the
 * telemetry commands are process-wide).
 *
 * @param conf  configuration (copied)
 * @param[out] out  the manager
 * @return 0; -EINVAL bad configuration; -ENOENT unknown default backend;
 *         -EADDRINUSE a manager already serves the path; -EBUSY a manager
 *         exists in this process; -ENOMEM; other -errno of socket/bind/listen.
 */
int uiommu_mgr_create(const struct uiommu_mgr_conf *conf,
		      struct uiommu_mgr **out);

/**
 * Serve until uiommu_mgr_stop(): start the pollers and run the control
 * loop on the calling thread.
 * @param m  manager
 * @return 0 after a stop; -EBUSY a polling lcore could not be launched;
 *         -errno of epoll_wait on an unrecoverable error.
 */
int uiommu_mgr_run(struct uiommu_mgr *m);

/**
 * Ask uiommu_mgr_run() to return. Async-signal-safe (an atomic store and
 * a write() to an eventfd); may be called before run (run then returns at
 * once).
 * @param m  manager
 */
void uiommu_mgr_stop(struct uiommu_mgr *m);

/**
 * Stop the pollers, close every connection (destroying its VM), unlink the
 * socket, free the manager.
 * @param m  manager, or NULL
 */
void uiommu_mgr_destroy(struct uiommu_mgr *m);

/**
 * Serve one round of the control loop: wait at most timeout_ms for socket
 * events and handle them (tests that drive a manager in-process).
 * @param m  manager
 * @param timeout_ms  0 to not wait; a negative or larger value waits at
 *                    most 100 ms (the HELLO deadline is checked between
 *                    waits)
 * @return number of events handled (>= 0); -errno of epoll_wait.
 */
int uiommu_mgr_serve_once(struct uiommu_mgr *m, int timeout_ms);

/** Counters of the whole manager. */
struct uiommu_mgr_stats {
	uint64_t connections;     /**< connections accepted */
	uint64_t connections_now; /**< connections open */
	uint64_t vms_now;         /**< VM connections open */
	uint64_t requests;        /**< requests answered */
	uint64_t errors;          /**< requests answered with an errno */
	uint64_t disconnects_bad; /**< connections dropped for a broken stream */
	uint64_t refused;         /**< connections refused (too many) */
};

/**
 * Read the manager's counters.
 * @param m  manager
 * @param[out] st  filled
 */
void uiommu_mgr_stats_get(const struct uiommu_mgr *m,
			  struct uiommu_mgr_stats *st);

/**
 * The manager's poll engine (for stats).
 * @param m  manager
 * @return the engine.
 */
struct uiommu_poll *uiommu_mgr_poll(const struct uiommu_mgr *m);

#ifdef __cplusplus
}
#endif

#endif /* UIOMMU_MGR_H */
