/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Backend SDK: what a physical (or emulated) IOMMU driver implements.
 *
 * A backend is one `const struct uiommu_backend_ops` registered by name from
 * a constructor (UIOMMU_BACKEND_REGISTER). An op that is NULL means the
 * backend does not support it and the core answers -EOPNOTSUPP.
 *
 * Object levels, as in iommufd:
 *  - **vIOMMU** (viommu_alloc/free): the slice of the IOMMU given to one VM:
 *    its VMID (chosen by the manager, unique per manager) and its stage-2
 *    (GPA -> host) domain, which the core fills with s2_map for every guest
 *    RAM region — at creation for regions already registered and on every
 *    later MEM_ADD.
 *  - **vDEVICE** (vdevice_alloc/free): a device as the guest names it (vSID)
 *    bound to a backend device named by a spec string (`dma0`,
 *    `0000:00:03.0`, ...). The device starts blocked (abort) until the guest
 *    configures it.
 *  - **nested configuration** (vdevice_set_ste): the guest's STE for the
 *    device, already read from guest RAM and validated by the core; the
 *    backend reads CDs itself through the vIOMMU's guest memory when it needs
 *    them (soft: lazily, cached until CFGI_CD; vfio: to shadow; iommufd: the
 *    kernel does).
 *
 * Threading: the control-path ops (alloc/free/s2_map) run on the manager's
 * control thread. vdevice_set_ste() runs either there or, for a guest's
 * CFGI_STE/CFGI_ALL, on the polling lcore from the dispatcher.
 * invalidate() and poll() run on the polling lcore
 * that owns the vIOMMU's queues; a vIOMMU's queues all live on one lcore, so
 * a backend sees one fast-path caller per vIOMMU. Control ops on a vIOMMU
 * never run concurrently with its fast-path ops (the core pauses the vIOMMU's
 * lcore work around them). translate() may run on any thread (soft: it is
 * the DMA path) and must follow the hardware invalidation rule (see the soft
 * driver's design note).
 */
#ifndef UIOMMU_BACKEND_H
#define UIOMMU_BACKEND_H

#include <stdint.h>

#include <rte_common.h>

#include "uiommu_common.h"
#include "uiommu_gmem.h"
#include "uiommu_smmu.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Capabilities a backend reports (hw_info). */
struct uiommu_hw_info {
	char name[32];              /**< backend name */
	char model[64];             /**< what it drives ("soft SMMUv3", "VFIO type1 on DMAR") */
	uint64_t caps;              /**< UIOMMU_HW_CAP_* */
	uint64_t pgsize_bitmap;     /**< page sizes the stage-2 domain supports */
	uint8_t ias, oas;           /**< input / output address bits */
	uint32_t max_vdevices;      /**< devices per vIOMMU, 0 = no limit beyond the core's */
	uint64_t max_mappings;      /**< e.g. VFIO dma_entry_limit; 0 = none */
	uint32_t hw_info_type;      /**< iommufd's IOMMU_HW_INFO_TYPE_*, 0 if none */
};

#define UIOMMU_HW_CAP_NESTING      (1ULL << 0) /**< hardware walks guest stage-1 */
#define UIOMMU_HW_CAP_SHADOW       (1ULL << 1) /**< stage-1 emulated by shadowing */
#define UIOMMU_HW_CAP_FMT_LPAE     (1ULL << 2) /**< AArch64 LPAE tables */
#define UIOMMU_HW_CAP_FMT_X86_64   (1ULL << 3) /**< x86-64 / VT-d first-stage tables */
#define UIOMMU_HW_CAP_RANGE_INV    (1ULL << 4) /**< range invalidation (RIL) */
#define UIOMMU_HW_CAP_HW_QUEUE     (1ULL << 5) /**< hardware guest queues (CMDQV) */
#define UIOMMU_HW_CAP_TRANSLATE    (1ULL << 6) /**< translate() available */
#define UIOMMU_HW_CAP_SOFT_DMA     (1ULL << 7) /**< emulated DMA devices */
#define UIOMMU_HW_CAP_VIOMMU_OBJ   (1ULL << 8) /**< kernel vIOMMU/vDEVICE objects */

/** Stage-2 mapping permissions. */
#define UIOMMU_PROT_READ  (1u << 0)
#define UIOMMU_PROT_WRITE (1u << 1)

/** What the core tells a backend about a new vIOMMU. */
struct uiommu_viommu_cfg {
	uint16_t vmid;                 /**< manager-chosen, unique per manager */
	uint32_t vm_id;                /**< manager's VM id (for logs, events) */
	const struct uiommu_gmem *gmem;/**< the VM's RAM; valid for the vIOMMU's life */
	const char *args;              /**< backend arguments (kvargs string) or NULL */
	int socket_id;                 /**< NUMA node for the vIOMMU's memory */
};

/** Result of vdevice_alloc for things the VMM must receive. */
struct uiommu_vdevice_out {
	int fd;            /**< a device fd to hand to the VMM (vfio), or -1 */
	void *regs;        /**< the device's register page used (soft DMA), or NULL */
};

/**
 * One invalidation, decoded and translated by the core. VMID is the
 * vIOMMU's (forced, never the guest's); `dev` is the backend device of the
 * command's vSID for ATC_INV/CFGI (NULL otherwise). `raw` is the command as
 * the guest wrote it (little-endian), for backends that pass commands
 * through to a kernel that translates IDs itself (iommufd vIOMMU).
 */
struct uiommu_inv {
	uint8_t op;        /**< SMMUv3 opcode (UIOMMU_CMD_OP_*) */
	uint8_t leaf;      /**< leaf-only hint */
	uint8_t ttl;       /**< translation-table level hint (0 = none) */
	uint8_t tg;        /**< translation granule code of a range TLBI (0 = none) */
	uint16_t asid;     /**< for TLBI_NH_VA / TLBI_NH_ASID */
	uint16_t vmid;     /**< the vIOMMU's VMID */
	uint32_t vsid;     /**< guest stream ID (ATC_INV, CFGI); for CFGI_ALL the
			    *   first vSID of the span, whose [first, last]
			    *   fields then hold the vSID span */
	uint32_t ssid;     /**< substream (ATC_INV, CFGI_CD) */
	uint64_t first;    /**< first address covered (TLBI_NH_VA[A], ATC_INV) */
	uint64_t last;     /**< last address covered, inclusive */
	void *dev;         /**< backend device private data, or NULL */
	uint64_t raw[2];   /**< guest's command words */
};

/** An SMMUv3 event record, decoded (the raw 32 bytes are in raw[]). */
struct uiommu_event {
	uint8_t id;          /**< UIOMMU_EVT_* */
	uint8_t rnw;         /**< 1 read, 0 write */
	uint8_t s2;          /**< fault at stage 2 */
	uint8_t class_;      /**< 0 CD fetch, 1 TT fetch, 2 input address */
	uint32_t sid;        /**< vSID as the guest names the device */
	uint32_t ssid;       /**< substream */
	uint64_t input_addr; /**< IOVA that faulted */
	uint64_t ipa;        /**< IPA of a stage-2 fault */
	uint64_t raw[4];     /**< record as an SMMUv3 would write it */
};

/** SMMUv3 event IDs (reference iommufd.md §1.3). */
enum uiommu_event_id {
	UIOMMU_EVT_C_BAD_STREAMID = 0x02,
	UIOMMU_EVT_C_BAD_STE = 0x04,
	UIOMMU_EVT_F_STREAM_DISABLED = 0x06,
	UIOMMU_EVT_C_BAD_SUBSTREAMID = 0x08,
	UIOMMU_EVT_F_CD_FETCH = 0x09,
	UIOMMU_EVT_C_BAD_CD = 0x0a,
	UIOMMU_EVT_F_WALK_EABT = 0x0b,
	UIOMMU_EVT_F_TRANSLATION = 0x10,
	UIOMMU_EVT_F_ADDR_SIZE = 0x11,
	UIOMMU_EVT_F_ACCESS = 0x12,
	UIOMMU_EVT_F_PERMISSION = 0x13,
	UIOMMU_EVT_F_CFG_CONFLICT = 0x21,
};

/** Access type for translate(). */
#define UIOMMU_ACCESS_READ  (1u << 0)
#define UIOMMU_ACCESS_WRITE (1u << 1)
/**
 * translate() flag: an inspection, not a device transaction. A fault is
 * returned in out->fault as usual but recorded nowhere (no event-queue
 * record, no counter); only caches (IOTLB) may change. Given with READ
 * and/or WRITE.
 */
#define UIOMMU_ACCESS_PROBE (1u << 2)

/** One stage of a translation, for inspection (uiommu-ctl translate). */
struct uiommu_xlate_stage {
	uint64_t in, out;     /**< input and output address */
	uint64_t pgsize;      /**< leaf size */
	uint32_t prot;        /**< UIOMMU_PROT_* granted */
	uint8_t level;        /**< leaf level */
	uint8_t valid;        /**< stage applied (0: bypassed) */
};

/** Result of translate(). */
struct uiommu_xlate {
	uint64_t hva;                   /**< host address of the byte */
	uint64_t contig;                /**< bytes from hva that are contiguous and equally permitted */
	struct uiommu_xlate_stage s1;   /**< IOVA -> IPA */
	struct uiommu_xlate_stage s2;   /**< IPA -> host */
	uint8_t iotlb_hit;              /**< served from the IOTLB */
	struct uiommu_event fault;      /**< filled when the call returns -EFAULT */
};

/* ------------------------------------------------------------------ */
/* Page-table dumps (inspection: PT_DUMP, uiommu-ctl dump)             */
/* ------------------------------------------------------------------ */

/** What a dump entry describes. */
enum uiommu_pt_dump_kind {
	UIOMMU_PT_DUMP_TABLE = 1, /**< a table descriptor */
	UIOMMU_PT_DUMP_BLOCK = 2, /**< a block descriptor */
	UIOMMU_PT_DUMP_PAGE = 3,  /**< a page descriptor (smallest leaf) */
	UIOMMU_PT_DUMP_FAULT = 4, /**< a descriptor or table the walk cannot use */
};

/** Why a FAULT entry faults (the LPAE walker's fault kinds). */
enum uiommu_pt_dump_fault {
	UIOMMU_PT_DUMP_F_NONE = 0,
	UIOMMU_PT_DUMP_F_TRANSLATION = 1, /**< reserved descriptor type */
	UIOMMU_PT_DUMP_F_ADDR_SIZE = 2,   /**< address beyond the output size, RES0 bits */
	UIOMMU_PT_DUMP_F_ACCESS = 3,      /**< leaf with AF = 0 */
	UIOMMU_PT_DUMP_F_WALK_EABT = 4,   /**< the table could not be read (outside RAM, stage-2 fault) */
};

/** One descriptor of a dump. */
struct uiommu_pt_dump_entry {
	uint64_t in;     /**< first input address covered (may precede req.first) */
	uint64_t size;   /**< bytes of input covered */
	/**
	 * TABLE: next-level table address; BLOCK/PAGE: output address of
	 * the leaf's first byte; FAULT: the table address that could not be
	 * read (WALK_EABT), else the descriptor's address field. 0 when
	 * out_hidden.
	 */
	uint64_t out;
	uint64_t pte;    /**< raw descriptor (address bits cleared when out_hidden) */
	uint32_t prot;   /**< BLOCK/PAGE: UIOMMU_PROT_* a device access gets at this stage */
	uint8_t level;   /**< level of the descriptor */
	uint8_t kind;    /**< enum uiommu_pt_dump_kind */
	uint8_t attr;    /**< BLOCK/PAGE: stage-1 AttrIndx, stage-2 MemAttr */
	uint8_t fault;   /**< FAULT: enum uiommu_pt_dump_fault */
	bool out_hidden; /**< out is a host address: not disclosed */
};

/** What a dump found in place of (or about) the table. */
enum uiommu_pt_dump_state {
	UIOMMU_PT_DUMP_ST_TABLE = 0,   /**< entries describe the table */
	UIOMMU_PT_DUMP_ST_ABORT = 1,   /**< device blocked: no table in force */
	UIOMMU_PT_DUMP_ST_BYPASS = 2,  /**< this stage is bypassed: no table */
	UIOMMU_PT_DUMP_ST_BAD_STE = 3, /**< the guest's STE is invalid */
	UIOMMU_PT_DUMP_ST_FAULT = 4,   /**< the context (CD) cannot be used: see event */
};

/** A dump request, checked by the core. */
struct uiommu_pt_dump_req {
	uint64_t first;        /**< first input address */
	uint64_t last;         /**< last input address, >= first */
	uint32_t max_entries;  /**< most entries, >= UIOMMU_PT_DUMP_MIN_ENTRIES */
	uint32_t max_reads;    /**< most guest descriptor reads, >= UIOMMU_PT_DUMP_MIN_ENTRIES */
	bool ssv;              /**< stage 1: ssid is valid */
	uint32_t ssid;         /**< stage 1: substream (when ssv) */
};

/** Outcome of a dump (filled by the backend; zeroed by the core first). */
struct uiommu_pt_dump_res {
	uint8_t state;        /**< enum uiommu_pt_dump_state */
	uint8_t event;        /**< ST_FAULT: SMMUv3 event id (C_BAD_CD, F_CD_FETCH, ...) */
	uint8_t stage;        /**< 1 or 2 */
	uint8_t ias, oas;     /**< input / output bits of the table */
	uint8_t start_level;  /**< level of the top table */
	uint16_t tag;         /**< stage 1: CD.ASID; stage 2: VMID */
	uint64_t ttb;         /**< top-table address (stage 1: IPA); 0 when ttb_hidden */
	bool ttb_hidden;      /**< the top table is in host memory: not disclosed */
	bool more;            /**< stopped before req.last */
	bool read_limit;      /**< ...because of max_reads */
	uint64_t next;        /**< when more: first input address not described */
	uint32_t entries;     /**< entries reported */
	uint32_t reads;       /**< descriptors read */
};

/** Smallest max_entries / max_reads of a dump (one whole 4-level path). */
#define UIOMMU_PT_DUMP_MIN_ENTRIES 4u

/**
 * Dump callback: called per entry, in increasing input order, tables
 * before what they hold. @return 0 to continue; non-zero stops the dump.
 */
typedef int (*uiommu_pt_dump_cb)(void *arg,
				 const struct uiommu_pt_dump_entry *e);

/** Backend operations. NULL means -EOPNOTSUPP. */
struct uiommu_backend_ops {
	/** Unique name: "soft", "vfio", "iommufd", "mock". */
	const char *name;
	/** Report capabilities; may be called before any vIOMMU exists. */
	int (*hw_info)(struct uiommu_hw_info *info);
	/** Create the vIOMMU slice; *priv is passed to every later op. */
	int (*viommu_alloc)(const struct uiommu_viommu_cfg *cfg, void **priv);
	/** Destroy a vIOMMU; every vDEVICE was freed before. Never fails. */
	void (*viommu_free)(void *priv);
	/** Map [gpa, gpa+len-1] -> hva in the vIOMMU's stage-2. */
	int (*s2_map)(void *priv, uint64_t gpa, void *hva, uint64_t len,
		      uint32_t prot);
	/** Unmap exactly a range earlier mapped by s2_map. Never fails. */
	void (*s2_unmap)(void *priv, uint64_t gpa, uint64_t len);
	/**
	 * Bind a device (spec without the "backend:" prefix) as vSID. @p regs is
	 * a zeroed 4 KiB page shared with the VMM that the device may use as its
	 * register page (report it in out->regs). The device starts blocked.
	 */
	int (*vdevice_alloc)(void *priv, const char *spec, uint32_t vsid,
			     void *regs, void **dev_priv,
			     struct uiommu_vdevice_out *out);
	/** Unbind; the device is blocked first. Never fails. */
	void (*vdevice_free)(void *dev_priv);
	/**
	 * Apply the guest's STE to the device (CFGI_STE, CFGI_ALL). Three cases:
	 *  - ste == NULL: the manager blocks the device; there is no guest STE
	 *    to speak of (no stream table, vSID beyond it, STE unreadable).
	 *    Its transactions are terminated without an event, as for
	 *    STE.Config = abort. A new vDEVICE (never configured) is in this
	 *    state too.
	 *  - ste->valid == 0: the guest's STE is invalid: V = 0, or it did not
	 *    decode (then ste->raw holds the words as read and every other
	 *    field is 0). The device is blocked; a backend that sees the
	 *    device's transactions records C_BAD_STE for each one (SMMUv3).
	 *  - otherwise: an STE validated by uiommu_ste_decode().
	 * Must not leave the device on a stale configuration: on failure the
	 * device is blocked (abort) and the error returned.
	 */
	int (*vdevice_set_ste)(void *dev_priv, const struct uiommu_ste_info *ste);
	/**
	 * Apply a batch of invalidations in order, in one call. On return *done
	 * is the number of entries that took effect; the return value is 0 when
	 * all did, otherwise the negative errno of entry *done, and nothing
	 * after it was applied.
	 */
	int (*invalidate)(void *priv, const struct uiommu_inv *batch,
			  unsigned int n, unsigned int *done);
	/**
	 * Translate a device access (soft and inspection). -EFAULT fills
	 * out->fault; the fault is also recorded on the event queue like any
	 * transaction's, unless access has UIOMMU_ACCESS_PROBE.
	 */
	int (*translate)(void *dev_priv, uint64_t iova, uint32_t access,
			 struct uiommu_xlate *out);
	/** Pop up to n events of this vIOMMU. @return number popped; *lost set to events dropped since last call. */
	int (*event_read)(void *priv, struct uiommu_event *ev, unsigned int n,
			  uint64_t *lost);
	/**
	 * Fast-path work of the vIOMMU (soft: run DMA engines whose doorbell
	 * rang), called by the polling lcore. @return units of work done.
	 */
	unsigned int (*poll)(void *priv, unsigned int budget);
	/**
	 * Optional: the event records of this vIOMMU's backend queue since
	 * viommu_alloc (monotonic): *recorded taken into the queue (read or
	 * not), *dropped refused because it was full. May run on any thread,
	 * concurrently with the fast path. The core adds them to its own
	 * (uiommu_viommu_info.events / events_lost).
	 */
	void (*event_count)(void *priv, uint64_t *recorded, uint64_t *dropped);
	/**
	 * Optional: dump the guest's stage-1 tables the device uses now (the
	 * CD of req->ssid, or of the default substream), as the device's
	 * translation would read them: every descriptor through guest memory
	 * with bounds checks, at most req->max_reads of them, at most
	 * req->max_entries callbacks, whole paths only (res->more, res->next
	 * when it stops early). A device with no stage-1 table in force is a
	 * success with res->state saying why and no entry. Control thread,
	 * core lock held; records no event.
	 * @return 0; -EINVAL; or cb's non-zero return.
	 */
	int (*vdevice_pt_dump)(void *dev_priv,
			       const struct uiommu_pt_dump_req *req,
			       uiommu_pt_dump_cb cb, void *arg,
			       struct uiommu_pt_dump_res *res);
	/**
	 * Optional: dump the vIOMMU's stage-2 table (the manager's), same
	 * rules; host addresses are reported hidden (out_hidden,
	 * ttb_hidden). A vIOMMU without a stage-2 table of its own is
	 * res->state BYPASS.
	 */
	int (*viommu_pt_dump)(void *priv, const struct uiommu_pt_dump_req *req,
			      uiommu_pt_dump_cb cb, void *arg,
			      struct uiommu_pt_dump_res *res);
};

/**
 * rte_kvargs handler for a backend argument that is "on" or "off".
 * @param key     the argument's name (unused)
 * @param value   its value
 * @param opaque  a bool set to true for "on", false for "off"
 * @return 0, or -EINVAL for any other value (or none).
 */
int uiommu_backend_arg_onoff(const char *key, const char *value, void *opaque);

/** Register a backend (from a constructor). */
void uiommu_backend_register(const struct uiommu_backend_ops *ops);

/** Find a registered backend by name, or NULL. */
const struct uiommu_backend_ops *uiommu_backend_find(const char *name);

/** Iterate over backends: returns the i-th registered, NULL past the end. */
const struct uiommu_backend_ops *uiommu_backend_at(unsigned int i);

/** Register a backend ops table at program start. */
#define UIOMMU_BACKEND_REGISTER(ops) \
	RTE_INIT(uiommu_backend_register_##ops) \
	{ \
		uiommu_backend_register(&(ops)); \
	}

#ifdef __cplusplus
}
#endif

#endif /* UIOMMU_BACKEND_H */
