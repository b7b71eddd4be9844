/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Helpers of the integration tests: start a real uiommu-mgr process, give
 * it guest RAM (a memfd this process maps too), set up VMs through
 * lib/client, drive queues with lib/cmdq's producer side, read counters.
 *
 * The manager binary comes from the UIOMMU_MGR environment variable (set
 * by test/integration/meson.build). Each manager gets its own temporary
 * directory for the socket and its own EAL file prefix, so tests run in
 * parallel. Nothing here asserts timing: waits are bounded by generous
 * deadlines only so that a broken manager fails the test instead of
 * hanging it.
 */
#ifndef IT_UTIL_H
#define IT_UTIL_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "uiommu_client.h"
#include "uiommu_cmd.h"
#include "uiommu_vcmdq.h"

/** Guest RAM of the tests: gpa base and size. */
#define IT_RAM_GPA   0x80000000ULL
#define IT_RAM_SIZE  (4ULL << 20)
/** Layout inside it: stream table, queue rings, MSI words. */
#define IT_STRTAB_GPA (IT_RAM_GPA + 0x0000)
#define IT_STRTAB_LOG2 4
#define IT_RING_GPA(i) (IT_RAM_GPA + 0x10000 + (uint64_t)(i) * 0x10000)
#define IT_MSI_GPA    (IT_RAM_GPA + 0x100000)
/** Deadline of every wait, in milliseconds. */
#define IT_DEADLINE_MS 8000

/** A manager process. */
struct it_mgr {
	pid_t pid;
	char dir[64];     /**< temporary directory we created, or "" */
	char sock[108];   /**< socket path */
	char prefix[64];  /**< EAL file prefix */
};

/** When true, it_mgr_start() leaves EAL telemetry on (default off). */
extern bool it_mgr_with_telemetry;

/** Path of the EAL telemetry socket of a file prefix. */
void it_telemetry_path(const char *prefix, char *buf, size_t len);

/** Remove the EAL runtime directory of a file prefix (best effort). */
void it_eal_dir_remove(const char *prefix);

/**
 * Start a manager: EAL "--no-pci --in-memory --no-huge -m 256
 * --no-telemetry -l LCORES --file-prefix UNIQUE", then "-- --socket PATH"
 * and the extra application arguments (NULL-terminated, may be NULL).
 * @return 0 once the socket accepts connections; negative errno otherwise.
 */
int it_mgr_start(struct it_mgr *m, const char *lcores,
		 const char *const *extra);

/**
 * it_mgr_start() with a socket path of the caller's (NULL: a fresh
 * temporary directory); the caller then owns the path.
 */
int it_mgr_start_at(struct it_mgr *m, const char *sock, const char *lcores,
		    const char *const *extra);

/**
 * Send a signal and wait for the manager to exit.
 * @return its exit status (0..255), 128 + signal if killed by one, or -1
 *         if it did not exit before the deadline (it is then SIGKILLed).
 */
int it_mgr_stop(struct it_mgr *m, int sig);

/**
 * Run the manager binary with arguments and return its exit status.
 * @return 0..255 (127: it could not be executed), 128 + signal if killed
 *         by one, or -1 if it could not be forked or did not exit before
 *         the deadline (then SIGKILLed); each failure is said on stderr.
 */
int it_mgr_run_status(const char *const *argv_tail);

/** Guest RAM: a memfd mapped here and shared with the manager. */
struct it_ram {
	int fd;
	uint8_t *hva;
	uint64_t gpa;
	uint64_t size;
};

/** Create and map guest RAM; @return 0 or negative errno. */
int it_ram_create(struct it_ram *r, uint64_t gpa, uint64_t size, bool seal);
/** Unmap and close. */
void it_ram_destroy(struct it_ram *r);
/** Host pointer of a GPA of the RAM. */
void *it_ram_ptr(const struct it_ram *r, uint64_t gpa);

/** A VM set up through lib/client. */
struct it_vm {
	struct uiommu_client *c;
	struct it_ram ram;
	struct uiommu_msg_hello_reply hello;
	struct uiommu_client_viommu vi;
};

/**
 * Connect, HELLO, share RAM, create a vIOMMU on @p backend and set the
 * stream table (all STEs zero).
 * @return 0 or the first failing call's errno.
 */
int it_vm_setup(struct it_vm *vm, const struct it_mgr *m, const char *name,
		const char *backend);
/** Close the connection and free the RAM. */
void it_vm_teardown(struct it_vm *vm);

/** Write a valid bypass STE (V=1, Config=4) for a vSID into the table. */
void it_vm_ste_bypass(struct it_vm *vm, uint32_t vsid);

/** A queue: the guest's producer side of a vCMDQ. */
struct it_q {
	struct uiommu_vcmdq_prod p;
	struct uiommu_client_vcmdq cq;
	uint32_t index;
};

/**
 * Create vCMDQ @p index of 2^log2 entries at IT_RING_GPA(index) and enable it.
 * @return 0 or negative errno.
 */
int it_q_create(struct it_vm *vm, uint32_t index, uint32_t log2,
		struct it_q *q);

/**
 * Write commands, publish PROD once, wait until CONS passes them all (or
 * an error stops the queue).
 * @return 0; -EIO stopped (err = CONS.ERR); -ETIMEDOUT; -ENOSPC ring too small.
 */
int it_q_run(struct it_q *q, const struct uiommu_cmd *cmds, uint32_t n,
	     uint32_t *err);

/** Wait (bounded) until CONS reaches @p target or an error stops the queue. */
int it_q_wait(struct it_q *q, uint32_t target, uint32_t *err);

/**
 * Wait (bounded) until a guest word holds @p v, as a guest waiting for a
 * CMD_SYNC's MSI write does. @return true when it does.
 */
bool it_wait_u32(const volatile uint32_t *p, uint32_t v);

/** Encode a command from its decoded form (aborts the test on failure). */
struct uiommu_cmd it_cmd(const struct uiommu_cmd_info *ci);
/** TLBI_NH_VA of one page. */
struct uiommu_cmd it_tlbi_va(uint16_t asid, uint64_t addr);
/** CMD_SYNC with CS=NONE. */
struct uiommu_cmd it_sync(void);
/** CMD_SYNC with CS=IRQ writing data to msiaddr. */
struct uiommu_cmd it_sync_msi(uint64_t msiaddr, uint32_t data);

/**
 * One named counter of an object, or UINT64_MAX when the STATS request
 * fails or the counter is absent.
 */
uint64_t it_stat(struct uiommu_client *c, uint32_t scope, uint32_t vm_id,
		 uint32_t viommu_id, uint32_t index, const char *name);

/**
 * it_stat() polled until it equals @p expect or the deadline passes
 * (counters a lcore bumps just after publishing CONS may lag a reply).
 * @return the last value read.
 */
uint64_t it_stat_eq(struct uiommu_client *c, uint32_t scope, uint32_t vm_id,
		    uint32_t viommu_id, uint32_t index, const char *name,
		    uint64_t expect);

/**
 * Objects the manager holds right now (admin LIST total over every kind),
 * or -errno.
 */
int it_count_objects(struct uiommu_client *admin);

/** Connect an admin connection; NULL on failure. */
struct uiommu_client *it_admin(const struct it_mgr *m);

/** Milliseconds of a monotonic clock. */
uint64_t it_now_ms(void);

#endif /* IT_UTIL_H */
