/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * VMM-side library: talk to a uiommu manager over its control socket.
 *
 * A VMM (or the guest simulator, or uiommu-ctl) connects, says HELLO, shares
 * guest RAM as file descriptors, creates a vIOMMU, its devices, its stream
 * table and its queues, and maps the queues' control page. Every call is a
 * synchronous request/reply (doc/protocol.md): it sends one message with a
 * fresh request id and waits for the reply with that id.
 *
 * **Errors.** Every function returns 0 or a negative errno. Two families:
 *  - the manager's answer, passed through unchanged (see doc/protocol.md
 *    for each message's list);
 *  - transport failures: -ETIMEDOUT (no reply within the connection's
 *    timeout), -ECONNRESET / -EPIPE (the manager went away), -EPROTO (the
 *    reply was malformed). After a transport failure the connection is
 *    unusable: later calls return -ENOTCONN until uiommu_client_close().
 *
 * **Threads.** A struct uiommu_client is not thread-safe; use one per
 * thread or serialize calls.
 *
 * **Mappings.** uiommu_client_vcmdq_create() and uiommu_client_vdevice_add()
 * map the vIOMMU's control region (once per vIOMMU) and return pointers into
 * it; the mapping lives until uiommu_client_viommu_destroy() of that vIOMMU
 * or uiommu_client_close(). The region's fd stays open in the client for as
 * long (uiommu_client_region_fd()), so a VMM can map it into its guest.
 */
#ifndef UIOMMU_CLIENT_H
#define UIOMMU_CLIENT_H

#include <stdint.h>

#include "uiommu_proto.h"
#include "uiommu_vcmdq.h"

#ifdef __cplusplus
extern "C" {
#endif

/** A connection to a manager (opaque). */
struct uiommu_client;

/** Default timeout of a connection, in milliseconds. */
#define UIOMMU_CLIENT_TIMEOUT_MS_DEFAULT 5000

/**
 * Connect to a manager's socket. Retries while the socket does not exist
 * yet or refuses connections (the manager may be starting) until the
 * timeout expires; the same timeout then bounds every later reply wait.
 *
 * @param path  socket path
 * @param timeout_ms  > 0, in milliseconds
 * @param[out] out  the connection
 * @return 0; -EINVAL bad argument or path too long; -ETIMEDOUT no manager
 *         accepted in time; -ENOMEM; other -errno of socket()/connect().
 */
int uiommu_client_connect(const char *path, int timeout_ms,
			  struct uiommu_client **out);

/**
 * Close the connection: the manager tears down every object of the VM.
 * Unmaps the control regions and closes the fds the client kept.
 *
 * @param c  connection, or NULL (nothing happens)
 */
void uiommu_client_close(struct uiommu_client *c);

/**
 * The connection's socket, for poll() or for tests that write raw bytes.
 * @param c  connection
 * @return the fd (owned by the connection).
 */
int uiommu_client_fd(const struct uiommu_client *c);

/**
 * Send HELLO. Must be the first request.
 *
 * @param c  connection
 * @param flags  UIOMMU_HELLO_F_* (UIOMMU_HELLO_F_ADMIN for inspection)
 * @param name  VMM name for logs (may be NULL; truncated to 31 bytes)
 * @param features  UIOMMU_FEAT_* the caller understands
 * @param[out] info  the manager's answer (version, vm id, granted
 *                   features, limits); may be NULL
 * @return 0; -EPROTONOSUPPORT protocol version refused; -EALREADY HELLO
 *         already done; -ENOSPC the manager serves its maximum of VMs;
 *         -EINVAL name unusable; transport errors.
 */
int uiommu_client_hello(struct uiommu_client *c, uint32_t flags,
			const char *name, uint64_t features,
			struct uiommu_msg_hello_reply *info);

/**
 * Register a guest RAM region: [gpa, gpa + size - 1] is the file @p fd at
 * @p offset. The fd is passed to the manager (the caller keeps its own).
 *
 * @param c  connection
 * @param gpa  4 KiB aligned
 * @param size  non-zero, 4 KiB multiple
 * @param fd  a memfd or hugetlbfs file, opened read-write
 * @param offset  4 KiB aligned
 * @return 0; -EINVAL alignment or zero size; -EOVERFLOW range wraps;
 *         -EEXIST overlaps a region; -ENOSPC too many regions; -ENODEV fd
 *         is not a regular file; -ENXIO fd shorter than offset + size;
 *         -EACCES not mappable read-write; -EPERM not sealed but sealing
 *         required; -EBADF bad fd (client side); transport errors.
 */
int uiommu_client_mem_add(struct uiommu_client *c, uint64_t gpa,
			  uint64_t size, int fd, uint64_t offset);

/**
 * Unregister a region added by uiommu_client_mem_add().
 * @param c  connection
 * @param gpa  as added
 * @param size  as added
 * @return 0; -ENOENT no such region; -EBUSY a vIOMMU exists; transport errors.
 */
int uiommu_client_mem_del(struct uiommu_client *c, uint64_t gpa,
			  uint64_t size);

/** What uiommu_client_viommu_create() returns. */
struct uiommu_client_viommu {
	uint32_t id;   /**< vIOMMU id */
	uint16_t vmid; /**< VMID chosen by the manager */
	uint64_t caps; /**< backend capabilities */
};

/**
 * Create a vIOMMU on a backend.
 *
 * @param c  connection
 * @param backend  backend name ("soft", "mock", ...) or NULL for the
 *                 manager's default
 * @param args  backend kvargs ("k=v,k=v") or NULL
 * @param[out] out  id, VMID and capabilities
 * @return 0; -ENOENT no such backend; -EINVAL malformed args or too long a
 *         string; -ENOSPC too many vIOMMUs in the VM or VMIDs; -ENOMEM;
 *         other errnos of the backend; transport errors.
 */
int uiommu_client_viommu_create(struct uiommu_client *c, const char *backend,
				const char *args,
				struct uiommu_client_viommu *out);

/**
 * Destroy a vIOMMU with its devices and queues; unmaps the client's view of
 * its control region.
 * @param c  connection
 * @param viommu_id  id
 * @return 0; -ENOENT no such vIOMMU; transport errors.
 */
int uiommu_client_viommu_destroy(struct uiommu_client *c, uint32_t viommu_id);

/** What uiommu_client_vdevice_add() returns. */
struct uiommu_client_vdevice {
	uint32_t id;     /**< device id */
	void *regs;      /**< the device's register page (mapped), or NULL */
	uint64_t regs_offset; /**< its offset in the control region */
	uint64_t regs_size;   /**< its size */
	int dev_fd;      /**< device fd handed over (the caller owns it), or -1 */
};

/**
 * Bind a device to a vSID.
 *
 * @param c  connection
 * @param viommu_id  owning vIOMMU
 * @param vsid  virtual stream ID (below 2^strtab log2size once set)
 * @param spec  device spec "backend:device" ("soft:dma0", "mock:0", ...);
 *              the prefix must be the vIOMMU's backend
 * @param[out] out  id, register page, device fd
 * @return 0; -ENOENT no such vIOMMU or device; -EEXIST vSID or device
 *         already bound; -ENOSPC too many devices; -EINVAL bad spec;
 *         backend errnos; transport errors.
 */
int uiommu_client_vdevice_add(struct uiommu_client *c, uint32_t viommu_id,
			      uint32_t vsid, const char *spec,
			      struct uiommu_client_vdevice *out);

/**
 * Unbind a device.
 * @param c  connection
 * @param viommu_id  owning vIOMMU
 * @param dev_id  from uiommu_client_vdevice_add()
 * @return 0; -ENOENT no such vIOMMU or device; transport errors.
 */
int uiommu_client_vdevice_del(struct uiommu_client *c, uint32_t viommu_id,
			      uint32_t dev_id);

/**
 * Tell the manager where the guest's linear stream table is.
 * @param c  connection
 * @param viommu_id  vIOMMU
 * @param base_gpa  64-byte aligned
 * @param log2size  log2 of STEs, 0..UIOMMU_MAX_STRTAB_LOG2
 * @return 0; -ENOENT no such vIOMMU; -EINVAL alignment or size;
 *         -EFAULT the table is not inside one RAM region; transport errors.
 */
int uiommu_client_strtab_set(struct uiommu_client *c, uint32_t viommu_id,
			     uint64_t base_gpa, uint32_t log2size);

/** What uiommu_client_vcmdq_create() returns. */
struct uiommu_client_vcmdq {
	struct uiommu_vcmdq_regs *regs; /**< this queue's registers (mapped) */
	uint64_t regs_offset;           /**< their offset in the control region */
	uint64_t region_size;           /**< size of the control region */
	int region_fd;                  /**< control region fd (owned by the client) */
	uint32_t lcore;                 /**< polling lcore serving the queue */
};

/**
 * Create a vCMDQ whose ring is 2^log2size commands at base_gpa, and map
 * its registers.
 *
 * @param c  connection
 * @param viommu_id  vIOMMU
 * @param index  queue index, < UIOMMU_MAX_VCMDQS
 * @param log2size  UIOMMU_VCMDQ_MIN_LOG2..UIOMMU_VCMDQ_MAX_LOG2
 * @param base_gpa  aligned to the ring size
 * @param[out] out  register pointer, region fd and offset, lcore
 * @return 0; -ENOENT no such vIOMMU; -EEXIST index in use; -EINVAL index,
 *         size or alignment; -EFAULT ring not inside one RAM region;
 *         -ENOMEM; -EPROTO the manager's region answer was inconsistent;
 *         transport errors.
 */
int uiommu_client_vcmdq_create(struct uiommu_client *c, uint32_t viommu_id,
			       uint32_t index, uint32_t log2size,
			       uint64_t base_gpa,
			       struct uiommu_client_vcmdq *out);

/**
 * Destroy a vCMDQ (its registers stay mapped with the region until the
 * vIOMMU is destroyed).
 * @param c  connection
 * @param viommu_id  vIOMMU
 * @param index  queue index
 * @return 0; -ENOENT no such queue; transport errors.
 */
int uiommu_client_vcmdq_destroy(struct uiommu_client *c, uint32_t viommu_id,
				uint32_t index);

/**
 * Carry a queue over to a new manager after a manager restart
 * (doc/hardening.md §6). The VMM re-created the VM on the new manager and
 * this queue with the same index, size and ring; @p dst are the new,
 * still disabled registers, @p src the registers the guest used with the
 * old manager (the VMM's mapping of the old control region, still valid).
 *
 * Copies PROD, and CONS without ERR (the last position the old manager
 * published: every command before it was applied); clears GERRORN (the
 * new manager's GERROR starts at 0); then, if the guest had the queue
 * enabled, sets CONFIG.EN last (release), so the new manager adopts CONS
 * and consumes the commands queued since, each once. A queue stopped on
 * an error is stopped again at the same command by the new manager, which
 * re-reads it. Remap the guest's register window to @p dst afterwards.
 *
 * @param dst  the new queue's registers (STATUS.ENABLE_OK must be 0)
 * @param src  the old queue's registers
 * @param log2size  the queue's size, UIOMMU_VCMDQ_MIN_LOG2..MAX_LOG2
 * @return 0; -EINVAL a pointer is NULL or log2size is out of range;
 *         -EBUSY @p dst is already enabled.
 */
int uiommu_client_vcmdq_restore(struct uiommu_vcmdq_regs *dst,
				const struct uiommu_vcmdq_regs *src,
				uint32_t log2size);

/**
 * Read an object's counters.
 *
 * @param c  connection
 * @param scope  enum uiommu_stats_scope
 * @param vm_id  0: own VM; admin: any
 * @param viommu_id  for VIOMMU and VCMDQ scopes
 * @param index  queue index (VCMDQ) or lcore id (LCORE)
 * @param[out] stats  room for *n counters
 * @param[in,out] n  capacity in, counters written out
 * @return 0; -ENOENT no such object; -EPERM scope or VM not allowed to
 *         this connection; -EOPNOTSUPP unknown scope; transport errors.
 *         A reply with more counters than *n is truncated to *n.
 */
int uiommu_client_stats(struct uiommu_client *c, uint32_t scope,
			uint32_t vm_id, uint32_t viommu_id, uint32_t index,
			struct uiommu_proto_stat *stats, unsigned int *n);

/**
 * Find a counter by name in a STATS answer.
 * @param stats  counters
 * @param n  count
 * @param name  counter name
 * @param[out] value  its value
 * @return 0; -ENOENT not present.
 */
int uiommu_client_stat_find(const struct uiommu_proto_stat *stats,
			    unsigned int n, const char *name, uint64_t *value);

/**
 * Pop fault records of a vIOMMU.
 * @param c  connection
 * @param viommu_id  vIOMMU
 * @param[out] ev  room for *n records
 * @param[in,out] n  capacity in (1..UIOMMU_PROTO_MAX_EVENTS), records out
 * @param[out] lost  records dropped since the last read; may be NULL
 * @return 0; -ENOENT no such vIOMMU; -EINVAL *n out of range;
 *         -EOPNOTSUPP the backend keeps no events; -EPERM admin
 *         connection (reading pops records); transport errors.
 */
int uiommu_client_events_read(struct uiommu_client *c, uint32_t viommu_id,
			      struct uiommu_proto_event *ev, unsigned int *n,
			      uint64_t *lost);

/**
 * Translate an IOVA as a device would access it (inspection).
 * @param c  connection
 * @param vm_id  0: own VM; admin: any
 * @param viommu_id  vIOMMU
 * @param vsid  device
 * @param iova  address
 * @param access  UIOMMU_XLATE_READ and/or UIOMMU_XLATE_WRITE
 * @param[out] out  stages, flags (fault record when UIOMMU_XLATE_F_FAULT)
 * @return 0 (also when the access faults: see out->flags); -ENOENT no such
 *         VM, vIOMMU or vSID; -EOPNOTSUPP the backend cannot translate;
 *         transport errors.
 */
int uiommu_client_translate(struct uiommu_client *c, uint32_t vm_id,
			    uint32_t viommu_id, uint32_t vsid, uint64_t iova,
			    uint32_t access,
			    struct uiommu_msg_translate_reply *out);

/**
 * Enumerate objects, a page at a time.
 * @param c  connection
 * @param vm_id  0: every VM visible (admin: all; VM: its own)
 * @param kinds  mask of 1 << enum uiommu_list_kind, 0 = all
 * @param[in,out] cursor  0 to start; the next page's cursor (0 when done)
 * @param[out] ent  room for *n entries
 * @param[in,out] n  capacity in (1..UIOMMU_PROTO_MAX_LIST), entries out
 * @param[out] total  objects matching right now; may be NULL
 * @return 0; -ENOENT no such VM; -EPERM another VM's objects asked by a VM
 *         connection; transport errors.
 */
int uiommu_client_list(struct uiommu_client *c, uint32_t vm_id,
		       uint32_t kinds, uint32_t *cursor,
		       struct uiommu_proto_list_entry *ent, unsigned int *n,
		       uint32_t *total);

/**
 * Dump page tables of a device (PT_DUMP), a page of entries at a time.
 *
 * Fill @p req (vm_id, viommu_id, vsid, table, flags, ssid, first, last,
 * max; rsvd 0) and call until head->flags lacks UIOMMU_PT_DUMP_R_MORE:
 * each successful call with more to come advances req->first to where the
 * next page starts (the reply's next, checked to lie after the old first
 * and within req->last, so following it always ends). A page may repeat
 * the table descriptors above its first entry.
 *
 * @param c  connection
 * @param[in,out] req  the request; req->first advanced when more follows
 * @param[out] head  the reply head: state, flags, ttb, tag, reads, count...
 * @param[out] ent  room for req->max entries (head->count written)
 * @return 0 (also when the device has no table in force: see
 *         head->state); -EINVAL bad arguments (also from the manager:
 *         first > last, max outside 4..UIOMMU_PROTO_MAX_PT_ENTRIES, ssid
 *         without SSV or with S2, non-zero rsvd); -EOPNOTSUPP unknown
 *         table or flag, or the backend cannot dump that table; -ENOENT
 *         no such VM, vIOMMU or vSID; -EPERM another VM's device on a VM
 *         connection; -EPROTO malformed reply; transport errors.
 */
int uiommu_client_pt_dump(struct uiommu_client *c,
			  struct uiommu_msg_pt_dump *req,
			  struct uiommu_msg_pt_dump_reply *head,
			  struct uiommu_proto_pt_entry *ent);

/**
 * Send any request and wait for its reply (the building block of every
 * call above; also for tests of the protocol itself).
 *
 * @param c  connection
 * @param type  message type (any value: the manager answers unknown ones)
 * @param req  payload, may be NULL when req_size is 0
 * @param req_size  payload bytes, <= UIOMMU_PROTO_MAX_PAYLOAD
 * @param fds  fds to pass, may be NULL
 * @param nfds  0..UIOMMU_PROTO_MAX_FDS
 * @param[out] reply  room for reply_cap bytes (starts with struct
 *                    uiommu_proto_reply), may be NULL
 * @param reply_cap  its size (a longer reply is truncated)
 * @param[out] reply_len  bytes the manager sent; may be NULL
 * @param[out] rfds  room for UIOMMU_PROTO_MAX_FDS fds received (the caller
 *                   owns them); NULL: received fds are closed
 * @param[out] nrfds  fds received; may be NULL
 * @return the reply's result (0 or a negative errno from the manager);
 *         -EINVAL bad arguments; transport errors.
 */
int uiommu_client_request(struct uiommu_client *c, uint16_t type,
			  const void *req, uint32_t req_size, const int *fds,
			  unsigned int nfds, void *reply, uint32_t reply_cap,
			  uint32_t *reply_len, int *rfds, unsigned int *nrfds);

/** uiommu_client_memfd(): back the memory with 2 MiB hugepages. */
#define UIOMMU_CLIENT_MEMFD_HUGETLB (1u << 0)
/** uiommu_client_memfd(): seal the size (F_SEAL_SHRINK | F_SEAL_GROW). */
#define UIOMMU_CLIENT_MEMFD_SEAL    (1u << 1)

/**
 * Create guest RAM suitable for uiommu_client_mem_add(): a memfd of @p size
 * bytes, optionally on hugepages and with its size sealed (what a manager
 * running with require_sealed_mem wants).
 *
 * @param name  memfd name (for /proc)
 * @param size  bytes, non-zero
 * @param flags  UIOMMU_CLIENT_MEMFD_*
 * @return the fd (>= 0); -EINVAL bad arguments; -errno of memfd_create(),
 *         ftruncate() or fcntl().
 */
int uiommu_client_memfd(const char *name, uint64_t size, uint32_t flags);

#ifdef __cplusplus
}
#endif

#endif /* UIOMMU_CLIENT_H */
