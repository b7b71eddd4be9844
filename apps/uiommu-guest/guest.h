/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * uiommu-guest: private declarations shared by the simulator's files.
 *
 * Object graph of one simulated VM (one process; --vms N forks N of them):
 *
 *   gvm                      one VM: control connection, guest RAM, vIOMMU
 *    |- gram                 guest RAM (memfd) + the guest's page allocator
 *    |- stream table         linear, in guest RAM (STE n at base + 64 n)
 *    `- gworker[q]           one thread per vCMDQ
 *         |- gq              the vCMDQ: ring in guest RAM, control page
 *         |- deferred frees  stage-1 table pages freed by unmap, released
 *         |                  to gram only after the next CMD_SYNC completes
 *         `- gdev[...]       the soft DMA engines this worker drives
 *              |- CD table   one CD (SSID 0) in guest RAM
 *              |- s1[2]      two stage-1 LPAE tables (ASID a / b) in guest RAM
 *              |- gdma       the engine's descriptor ring + register page
 *              `- IOVA window  allocator of buffer IOVAs
 *
 * The main thread of a VM owns the control connection: only it talks to
 * the manager (set-up, EVENTS_READ, STATS, teardown). Workers touch guest
 * RAM, their queue's control registers and their engines' register pages,
 * nothing else, so no lock is needed except around the page allocator and
 * the fault bookkeeping (atomics).
 */
#ifndef UIOMMU_GUEST_H
#define UIOMMU_GUEST_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "uiommu_client.h"
#include "uiommu_cmd.h"
#include "uiommu_pgtable.h"
#include "uiommu_soft_dma.h"
#include "uiommu_vcmdq.h"

/* ------------------------------------------------------------ limits */

#define G_PAGE 4096ULL
#define G_MAX_QUEUES 16          /* vCMDQs (worker threads) per VM */
#define G_MAX_DEVICES 63         /* soft DMA engines per VM (vSID 1..63) */
#define G_MAX_VMS 64             /* --vms */
#define G_RAM_GPA 0x80000000ULL  /* first guest-physical address of RAM */
#define G_STRTAB_LOG2 6          /* 64 STEs: vSIDs 0..63 */
#define G_S1_IAS 39              /* stage-1 input size (T0SZ 25) */
#define G_S1_OAS 40              /* stage-1 output size (IPS 40 bits) */
/* Buffer IOVA windows: device d uses [G_WIN_BASE + d * G_WIN_STRIDE, +size). */
#define G_WIN_BASE 0x4000000000ULL
#define G_WIN_STRIDE 0x100000000ULL
#define G_WIN_PAGES 65536u       /* 256 MiB of IOVA per device */
#define G_DMA_RING_LOG2 6        /* 64 descriptors = one 4 KiB page */
#define G_MAX_BATCH 256          /* --batch */
#define G_MAX_ERRORS 4           /* messages kept per VM */
#define G_ERR_LEN 240
/* Unmatched expected faults per VM before workers wait for EVENTS_READ. */
#define G_EVENTS_OUTSTANDING_MAX 512
/* Events the vIOMMU's ring holds (soft backend argument "evtq"). */
#define G_EVTQ_RECORDS 4096

/* ------------------------------------------------------------ options */

enum gwork {
	G_WORK_STRICT = 0,
	G_WORK_LAZY,
	G_WORK_CHURN,
	G_WORK_MIXED,
	G_WORK_STALE,
	G_WORK_MAX
};

enum gsync {
	G_SYNC_CONS = 0, /* CMD_SYNC CS=NONE, poll CONS */
	G_SYNC_MSI,      /* CMD_SYNC CS=IRQ to its own slot (Linux MSIPOLL) */
};

struct gopts {
	const char *socket;
	const char *name;
	const char *ready_file;
	unsigned int vms;
	unsigned int queues;
	unsigned int devices;
	unsigned int buf_size;
	unsigned int batch;
	unsigned int probe_every;
	unsigned int ring_log2;
	unsigned int ram_mb;
	uint64_t ops;            /* per queue; 0 when --duration is used */
	double duration_s;       /* 0 when --ops is used */
	double linger_s;
	uint64_t seed;
	enum gwork workload;
	enum gsync sync;
	bool json;
	bool no_huge;
	bool omit_tlbi;          /* deliberately broken driver (self-test) */
	unsigned int timeout_ms;
};

const char *gwork_name(enum gwork w);
const char *gsync_name(enum gsync s);

/* ------------------------------------------------------------ histogram */

/*
 * Log-linear histogram of nanosecond values: 64 sub-buckets per power of
 * two (relative error below 1.6 %), exact count, min, max and sum, so that
 * histograms of workers, VMs and processes merge exactly.
 */
#define GHIST_SUB_BITS 6
#define GHIST_SUB (1u << GHIST_SUB_BITS)
#define GHIST_BUCKETS ((64 - GHIST_SUB_BITS + 1) * GHIST_SUB)

struct ghist {
	uint64_t count, sum, min, max;
	uint64_t b[GHIST_BUCKETS];
};

void ghist_init(struct ghist *h);
void ghist_add(struct ghist *h, uint64_t v);
void ghist_merge(struct ghist *dst, const struct ghist *src);
/** Value at quantile q (0..1): an upper bound of the bucket, clamped to max. */
uint64_t ghist_quantile(const struct ghist *h, double q);

/* ------------------------------------------------------------ results */

/* Counters of a worker, a VM, and the whole run (all merge by addition). */
struct gstats {
	uint64_t ops;             /* workload operations completed */
	uint64_t dma_ok;          /* DMA descriptors completed and verified */
	uint64_t bytes_verified;  /* destination bytes compared with the source */
	uint64_t maps, unmaps;    /* buffers mapped / unmapped in stage 1 */
	uint64_t pages_mapped;
	uint64_t tlbi;            /* TLBI_* commands */
	uint64_t cfgi;            /* CFGI_* commands */
	uint64_t syncs;           /* CMD_SYNCs completed */
	uint64_t commands;        /* all commands written to vCMDQs */
	uint64_t probes;          /* DMAs to unmapped IOVAs */
	uint64_t faults_expected; /* descriptors that had to fault */
	uint64_t faults_seen;     /* ... and did, with the right IOVA */
	uint64_t events_expected; /* fault records that had to be reported */
	uint64_t events_seen;     /* ... and were (EVENTS_READ) */
	uint64_t events_lost;     /* the manager's "lost" count */
	uint64_t events_optional; /* records allowed, not required (C_BAD_STE) */
	uint64_t stale_landed;    /* DMA after unmap without TLBI still landed */
	uint64_t stale_faulted;   /* ... or faulted (entry evicted: legal) */
	uint64_t cd_swaps;        /* CD rewritten to the other table + CFGI_CD */
	uint64_t ste_bypass;      /* STE switched to bypass and back */
	uint64_t ste_abort;       /* STE switched to abort (engine halted) */
	uint64_t ste_invalid;     /* STE V=0 (C_BAD_STE) */
	uint64_t engine_restarts; /* engines re-enabled after a halt */
	uint64_t deferred_frees;  /* table pages released after a sync */
	uint64_t mgr_commands;    /* manager's count of commands consumed */
	uint64_t mgr_syncs;       /* manager's count of CMD_SYNCs */
	uint64_t mismatches;      /* anything that did not verify */
};

void gstats_add(struct gstats *dst, const struct gstats *src);

/* What one VM reports (lives in memory shared with the parent). */
struct gvm_result {
	int state;                /* 0 not started, 1 running, 2 finished */
	int status;               /* 0 ok, 1 verification failure, 2 set-up/run error */
	uint32_t vm_id, viommu_id;
	uint32_t vmid;
	uint32_t hugetlb;         /* guest RAM on hugetlbfs */
	double seconds;           /* workload wall time */
	struct gstats st;
	struct ghist inv_lat;     /* PROD write -> CONS past CMD_SYNC */
	struct ghist dma_lat;     /* doorbell -> descriptor status */
	uint32_t nerrors;
	char errors[G_MAX_ERRORS][G_ERR_LEN];
};

/* ------------------------------------------------------------ guest RAM */

struct gram {
	int fd;
	uint8_t *hva;
	uint64_t gpa, size;
	bool hugetlb;
	pthread_mutex_t lock;
	uint64_t *bitmap;        /* 1 bit per 4 KiB page, 1 = used */
	uint64_t npages, next, used;
};

int gram_create(struct gram *r, uint64_t gpa, uint64_t size, bool try_huge,
		char *why, size_t whylen);
void gram_destroy(struct gram *r);
/* Host pointer of [gpa, gpa + len), or NULL when not inside RAM. */
void *gram_ptr(const struct gram *r, uint64_t gpa, uint64_t len);
/* npages contiguous pages aligned to align_pages (a power of two). */
int gram_alloc(struct gram *r, uint64_t npages, uint64_t align_pages,
	       uint64_t *gpa);
void gram_free(struct gram *r, uint64_t gpa, uint64_t npages);

/* ------------------------------------------------------------ vCMDQ */

struct gworker;

struct gq {
	struct uiommu_vcmdq_prod p;
	struct uiommu_client_vcmdq cq;
	struct uiommu_cmd *ring;
	uint64_t ring_gpa;
	uint32_t index, log2;
	enum gsync sync;
	uint64_t timeout_ns;
	uint32_t pending;         /* commands written, not yet published */
	struct gworker *w;
};

int gq_init(struct gq *q, struct gworker *w, struct uiommu_cmd *ring,
	    uint64_t ring_gpa, uint32_t log2, enum gsync sync,
	    uint64_t timeout_ns);
/* Queue one command (flushes with a CMD_SYNC first if the ring is full). */
int gq_cmd(struct gq *q, const struct uiommu_cmd_info *ci);
/* Append CMD_SYNC, publish, wait for completion, then release deferred frees. */
int gq_sync(struct gq *q);

/* Command builders. */
void gcmd_tlbi_va(struct uiommu_cmd_info *ci, uint16_t asid, uint64_t va,
		  bool leaf);
void gcmd_tlbi_range(struct uiommu_cmd_info *ci, uint8_t op, uint16_t asid,
		     uint64_t first, uint64_t last);
void gcmd_tlbi_asid(struct uiommu_cmd_info *ci, uint16_t asid);
void gcmd_cfgi_ste(struct uiommu_cmd_info *ci, uint32_t vsid);
void gcmd_cfgi_cd(struct uiommu_cmd_info *ci, uint32_t vsid, uint32_t ssid);

/* ------------------------------------------------------------ soft DMA */

struct gdma {
	struct uiommu_soft_dma_regs *regs;
	struct uiommu_soft_dma_desc *ring;
	uint64_t ring_iova;
	uint32_t log2;
	uint32_t prod;
	uint64_t timeout_ns;
};

/* The written-back result of one descriptor. */
struct gdma_res {
	uint32_t code;       /* UIOMMU_SOFT_DMA_ST_* */
	uint32_t event;      /* SMMUv3 event ID of a fault, 0 if none */
	uint32_t done;
	uint64_t fault_iova;
	uint64_t ns;         /* doorbell to status */
};

int gdma_enable(struct gdma *d);
int gdma_disable(struct gdma *d);
/* Disable and enable again without touching cons: a halted engine
 * resumes at the descriptor it stopped on. */
int gdma_restart(struct gdma *d);
/* Submit one descriptor (does not wait). */
void gdma_submit(struct gdma *d, uint64_t src, uint64_t dst, uint32_t len,
		 uint64_t cookie);
/* Wait for the last submitted descriptor: 0, -EIO engine halted (*halt_err
 * set), -ETIMEDOUT. */
int gdma_wait(struct gdma *d, struct gdma_res *res, uint32_t *halt_err);
/* Submit and wait. */
int gdma_copy(struct gdma *d, uint64_t src, uint64_t dst, uint32_t len,
	      struct gdma_res *res, uint32_t *halt_err);

/* ------------------------------------------------------------ stage 1 */

struct gdev;

/* A device's stage-1 table in guest RAM (lib/pgtable over guest memory). */
struct gs1 {
	struct uiommu_pgtable *pt;
	uint16_t asid;
	struct uiommu_lpae_regs regs;
};

int gs1_create(struct gs1 *s, struct gworker *w, uint16_t asid);
void gs1_destroy(struct gs1 *s);
int gs1_map(struct gs1 *s, uint64_t iova, uint64_t gpa, uint64_t size,
	    uint32_t prot);
int gs1_unmap(struct gs1 *s, uint64_t iova, uint64_t size);
/* Write the CD of table @p s at cd_gpa (SSID 0). */
void gs1_write_cd(struct gram *ram, uint64_t cd_gpa, const struct gs1 *s);
/* STE of vSID: S1 translate with the CD table at cd_gpa / bypass / abort / V=0. */
enum gste_kind { G_STE_S1, G_STE_BYPASS, G_STE_ABORT, G_STE_INVALID };
void gste_write(struct gram *ram, uint64_t strtab_gpa, uint32_t vsid,
		enum gste_kind kind, uint64_t cd_gpa);
/* Release the table pages freed since the last completed CMD_SYNC. */
void gs1_release_deferred(struct gworker *w);

/* ------------------------------------------------------------ devices */

/* Kinds of fault records the simulator provokes and then expects. */
enum gev_kind {
	G_EV_TRANSLATION = 0, /* F_TRANSLATION: DMA to an unmapped IOVA */
	G_EV_PERMISSION,      /* F_PERMISSION: DMA write to a read-only IOVA */
	G_EV_BAD_STE,         /* C_BAD_STE: DMA of a device whose STE has V = 0 */
	G_EV_KINDS
};

/* The SMMUv3 event ID of a kind, and the kind of an ID (-1: none). */
uint8_t gev_id(enum gev_kind k);
int gev_kind_of(uint8_t id);

struct gdev {
	unsigned int index;       /* 0..devices-1 in the VM */
	uint32_t vsid;
	uint32_t dev_id;
	struct gdma dma;
	uint64_t cd_gpa;
	struct gs1 s1[2];
	unsigned int active;      /* table the CD points to */
	enum gste_kind ste;
	/* Static pages, identity-mapped (IOVA == GPA) in both tables. */
	uint64_t probe_src_gpa, probe_dst_gpa;
	/* IOVA window allocator (next fit, 1 bit per page). */
	uint64_t win_base;
	uint64_t win_bitmap[G_WIN_PAGES / 64];
	uint32_t win_next;
	/* Fault bookkeeping, matched by the VM's main thread (atomics). */
	uint64_t exp_events[G_EV_KINDS];
	uint64_t seen_events[G_EV_KINDS];
};

/* ------------------------------------------------------------ workers */

struct gvm;

struct gworker {
	struct gvm *vm;
	unsigned int index;
	pthread_t thread;
	bool started;
	struct gq q;
	struct gdev *devs[G_MAX_DEVICES];
	unsigned int ndevs;
	uint64_t rng;
	uint64_t deferred_head;   /* GPA list of freed table pages (0 = empty) */
	uint64_t deferred_n;
	struct gstats st;
	struct ghist inv_lat, dma_lat;
	uint8_t *scratch;         /* expected bytes of one buffer */
};

/* ------------------------------------------------------------ the VM */

struct gvm {
	const struct gopts *o;
	unsigned int index;           /* 0..vms-1 */
	struct uiommu_client *c;
	struct uiommu_msg_hello_reply hello;
	struct uiommu_client_viommu vi;
	struct gram ram;
	uint64_t strtab_gpa;
	unsigned int ndevs, nworkers;
	struct gdev devs[G_MAX_DEVICES];
	struct gworker workers[G_MAX_QUEUES];
	struct gvm_result *res;
	volatile int stop;            /* set on the first failure */
	int finished;                 /* workers done (atomic) */
	uint64_t deadline_ns;         /* --duration: when workers stop */
	int64_t outstanding;          /* expected events not yet seen (atomic) */
	pthread_mutex_t err_lock;
};

/* vm.c */
int gvm_run(const struct gopts *o, unsigned int index, struct gvm_result *res);
void gvm_fail(struct gvm *vm, int status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Expect one fault record of a kind for a device; throttles the caller
 * while too many are outstanding. */
void gvm_expect_event(struct gvm *vm, struct gdev *d, enum gev_kind k);

/* work.c */
void *gwork_thread(void *arg);

/* Set by SIGINT/SIGTERM: workers end their run as if the time was up. */
extern volatile int g_interrupted;

/* util */
uint64_t g_now_ns(void);
uint64_t g_rand(uint64_t *s);
void g_fill(uint8_t *p, size_t n, uint64_t *s);
/* Back off while waiting (yield, then short sleeps); *n starts at 0. */
void g_wait_step(unsigned int *n);

/* report.c */
void greport_text(FILE *f, const struct gopts *o,
		  const struct gvm_result *res, unsigned int n);
void greport_json(FILE *f, const struct gopts *o,
		  const struct gvm_result *res, unsigned int n);

#endif /* UIOMMU_GUEST_H */
