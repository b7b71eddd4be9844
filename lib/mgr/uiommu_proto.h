/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * The uiommu control protocol: what a VMM (or uiommu-ctl) and the manager
 * say to each other over the manager's Unix stream socket.
 *
 * doc/protocol.md is the normative description (byte layouts, the errno of
 * every failure of every message); this header is its C form, shared by the
 * manager (lib/mgr) and the VMM-side library (lib/client).
 *
 * **Framing.** Every message is a struct uiommu_proto_hdr followed by
 * exactly hdr.size payload bytes. File descriptors travel as SCM_RIGHTS
 * ancillary data attached to the first byte of the header (a sender passes
 * header, payload and fds in one sendmsg()); at most UIOMMU_PROTO_MAX_FDS
 * per message. All integers are in the host's byte order (the socket is
 * local); every structure has explicit padding, named rsvd, which a sender
 * sets to zero and a receiver refuses when it is not (-EINVAL), so that a
 * later version can give it a meaning.
 *
 * **Requests and replies.** The client sends requests; the manager answers
 * each one, in order, with a reply of the same type and request id and the
 * flag UIOMMU_PROTO_F_REPLY. A reply payload starts with struct
 * uiommu_proto_reply: result is 0 or a negative errno; type-specific data
 * follows only when result is 0. The manager never sends anything that is
 * not a reply.
 *
 * **Sessions.** The first request on a connection must be HELLO. A VM
 * connection (no UIOMMU_HELLO_F_ADMIN) owns one VM: the objects it creates
 * exist until it destroys them or disconnects. An admin connection
 * (uiommu-ctl) owns nothing and may only inspect (STATS, LIST, TRANSLATE,
 * PT_DUMP), any VM.
 *
 * **Strings** are fixed-size char arrays that must contain a NUL
 * (-EINVAL otherwise).
 */
#ifndef UIOMMU_PROTO_H
#define UIOMMU_PROTO_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "uiommu_config.h"

#ifdef __cplusplus
extern "C" {
#endif

/** First four bytes of every message: "UIOM" in memory order. */
#define UIOMMU_PROTO_MAGIC 0x4d4f4955u
/** Protocol version described by this header. */
#define UIOMMU_PROTO_VERSION 1

/** hdr.flags: the message is a reply (set by the manager only). */
#define UIOMMU_PROTO_F_REPLY (1u << 0)
/** Every header flag this version knows. */
#define UIOMMU_PROTO_F_MASK UIOMMU_PROTO_F_REPLY

/** Message header, 24 bytes. */
struct uiommu_proto_hdr {
	uint32_t magic;   /**< UIOMMU_PROTO_MAGIC */
	uint16_t version; /**< UIOMMU_PROTO_VERSION */
	uint16_t type;    /**< enum uiommu_proto_type */
	uint32_t flags;   /**< UIOMMU_PROTO_F_* */
	uint32_t size;    /**< payload bytes that follow, <= UIOMMU_PROTO_MAX_PAYLOAD */
	uint64_t req_id;  /**< chosen by the client, echoed in the reply */
};

/** Message types. */
enum uiommu_proto_type {
	UIOMMU_MSG_HELLO = 1,          /**< version and features; must come first */
	UIOMMU_MSG_MEM_ADD = 2,        /**< register a guest RAM region (1 fd) */
	UIOMMU_MSG_MEM_DEL = 3,        /**< unregister a guest RAM region */
	UIOMMU_MSG_VIOMMU_CREATE = 4,  /**< create a vIOMMU on a backend */
	UIOMMU_MSG_VIOMMU_DESTROY = 5, /**< destroy a vIOMMU and all it holds */
	UIOMMU_MSG_VDEVICE_ADD = 6,    /**< bind a device to a vSID */
	UIOMMU_MSG_VDEVICE_DEL = 7,    /**< unbind a device */
	UIOMMU_MSG_STRTAB_SET = 8,     /**< the guest's linear stream table */
	UIOMMU_MSG_VCMDQ_CREATE = 9,   /**< create a vCMDQ (replies 1 fd) */
	UIOMMU_MSG_VCMDQ_DESTROY = 10, /**< destroy a vCMDQ */
	UIOMMU_MSG_STATS = 11,         /**< counters of one object */
	UIOMMU_MSG_EVENTS_READ = 12,   /**< pop fault records of a vIOMMU */
	UIOMMU_MSG_TRANSLATE = 13,     /**< translate an IOVA (inspection) */
	UIOMMU_MSG_LIST = 14,          /**< enumerate objects (inspection) */
	UIOMMU_MSG_PT_DUMP = 15,       /**< dump a device's page tables (inspection) */
	UIOMMU_MSG_TYPE_MAX            /**< one past the last type */
};

/** Head of every reply payload. */
struct uiommu_proto_reply {
	int32_t result; /**< 0 or a negative errno */
	uint32_t rsvd;  /**< zero */
};

/* ---------------------------------------------------------------- HELLO */

/** HELLO flag: this is an admin (inspection) connection; it owns no VM. */
#define UIOMMU_HELLO_F_ADMIN (1u << 0)
/** Every HELLO flag this version knows. */
#define UIOMMU_HELLO_F_MASK UIOMMU_HELLO_F_ADMIN

/** Feature: vCMDQs (VCMDQ_CREATE/DESTROY). */
#define UIOMMU_FEAT_VCMDQ     (1ULL << 0)
/** Feature: fault records (EVENTS_READ). */
#define UIOMMU_FEAT_EVENTS    (1ULL << 1)
/** Feature: TRANSLATE. */
#define UIOMMU_FEAT_TRANSLATE (1ULL << 2)
/** Feature: STATS and LIST. */
#define UIOMMU_FEAT_INSPECT   (1ULL << 3)
/** Feature: the manager requires F_SEAL_SHRINK on guest RAM fds. */
#define UIOMMU_FEAT_SEALED_MEM (1ULL << 4)
/** Feature: PT_DUMP. */
#define UIOMMU_FEAT_PT_DUMP (1ULL << 5)
/** Every feature this version of the manager may grant. */
#define UIOMMU_FEAT_ALL (UIOMMU_FEAT_VCMDQ | UIOMMU_FEAT_EVENTS | \
			 UIOMMU_FEAT_TRANSLATE | UIOMMU_FEAT_INSPECT | \
			 UIOMMU_FEAT_SEALED_MEM | UIOMMU_FEAT_PT_DUMP)

/** Size of the name strings in HELLO. */
#define UIOMMU_PROTO_NAME_LEN 32

/** HELLO request, 48 bytes. */
struct uiommu_msg_hello {
	uint32_t version;  /**< UIOMMU_PROTO_VERSION */
	uint32_t flags;    /**< UIOMMU_HELLO_F_* */
	uint64_t features; /**< features the client understands */
	char name[UIOMMU_PROTO_NAME_LEN]; /**< VMM or VM name, for logs and LIST */
};

/** HELLO reply, 88 bytes. */
struct uiommu_msg_hello_reply {
	struct uiommu_proto_reply r; /**< result */
	uint32_t version;            /**< manager's protocol version */
	uint32_t vm_id;              /**< the connection's VM (0 for admin) */
	uint64_t features;           /**< granted: requested & supported, plus SEALED_MEM if required */
	uint32_t max_payload;        /**< UIOMMU_PROTO_MAX_PAYLOAD */
	uint32_t max_fds;            /**< UIOMMU_PROTO_MAX_FDS */
	uint32_t max_mem_regions;    /**< MEM_ADD regions per VM */
	uint32_t max_viommus;        /**< vIOMMUs per VM */
	uint32_t max_vdevices;       /**< vDEVICEs per vIOMMU */
	uint32_t max_vcmdqs;         /**< vCMDQs per vIOMMU */
	uint8_t vcmdq_min_log2;      /**< smallest vCMDQ, log2 entries */
	uint8_t vcmdq_max_log2;      /**< largest vCMDQ, log2 entries */
	uint8_t strtab_max_log2;     /**< largest stream table, log2 STEs */
	uint8_t rsvd0;               /**< zero */
	uint32_t poll_budget;        /**< commands per queue per poll pass */
	char server[UIOMMU_PROTO_NAME_LEN]; /**< "uiommu-mgr <version>" */
};

/* -------------------------------------------------------------- MEM_ADD */

/** MEM_ADD request, 32 bytes; carries exactly one fd (memfd, hugetlbfs file). */
struct uiommu_msg_mem_add {
	uint64_t gpa;    /**< first guest-physical address, 4 KiB aligned */
	uint64_t size;   /**< bytes, 4 KiB multiple, non-zero */
	uint64_t offset; /**< offset of gpa in the fd, 4 KiB aligned */
	uint32_t flags;  /**< zero (no flag defined) */
	uint32_t rsvd;   /**< zero */
};

/** MEM_DEL request, 16 bytes: exactly a region earlier added. */
struct uiommu_msg_mem_del {
	uint64_t gpa;  /**< as in MEM_ADD */
	uint64_t size; /**< as in MEM_ADD */
};

/* -------------------------------------------------------------- vIOMMU */

/** Length of a backend name. */
#define UIOMMU_PROTO_BACKEND_LEN 32
/** Length of a backend argument string (kvargs "k=v,k=v"). */
#define UIOMMU_PROTO_ARGS_LEN 256

/** VIOMMU_CREATE request, 296 bytes. */
struct uiommu_msg_viommu_create {
	char backend[UIOMMU_PROTO_BACKEND_LEN]; /**< "soft", "mock", ...; "" = manager default */
	uint32_t flags;                         /**< zero */
	uint32_t rsvd;                          /**< zero */
	char args[UIOMMU_PROTO_ARGS_LEN];       /**< backend kvargs, may be "" */
};

/** VIOMMU_CREATE reply, 24 bytes. */
struct uiommu_msg_viommu_create_reply {
	struct uiommu_proto_reply r; /**< result */
	uint32_t viommu_id;          /**< id for later requests, unique in the VM */
	uint16_t vmid;               /**< VMID the manager gave the vIOMMU */
	uint16_t rsvd;               /**< zero */
	uint64_t caps;               /**< backend capabilities (UIOMMU_HW_CAP_*) */
};

/** VIOMMU_DESTROY request, 8 bytes. */
struct uiommu_msg_viommu_destroy {
	uint32_t viommu_id; /**< from VIOMMU_CREATE */
	uint32_t rsvd;      /**< zero */
};

/* -------------------------------------------------------------- vDEVICE */

/** Size of the spec field ("soft:dma0", "mock:0", "vfio:0000:00:03.0");
 *  the manager accepts specs shorter than UIOMMU_VDEVICE_SPEC_MAX. */
#define UIOMMU_PROTO_SPEC_LEN 128

/** VDEVICE_ADD request, 136 bytes. */
struct uiommu_msg_vdevice_add {
	uint32_t viommu_id;               /**< owning vIOMMU */
	uint32_t vsid;                    /**< virtual stream ID */
	char spec[UIOMMU_PROTO_SPEC_LEN]; /**< "backend:device"; the prefix is the vIOMMU's backend */
};

/** VDEVICE_ADD reply flag: the device has a register page in the control region (fd 0). */
#define UIOMMU_VDEVICE_F_REGS  (1u << 0)
/** VDEVICE_ADD reply flag: a device fd follows (fd 1 if REGS, else fd 0). */
#define UIOMMU_VDEVICE_F_DEVFD (1u << 1)

/** VDEVICE_ADD reply, 40 bytes; carries 0, 1 or 2 fds as flags say. */
struct uiommu_msg_vdevice_add_reply {
	struct uiommu_proto_reply r; /**< result */
	uint32_t dev_id;             /**< id for VDEVICE_DEL, unique in the vIOMMU */
	uint32_t flags;              /**< UIOMMU_VDEVICE_F_* */
	uint64_t regs_offset;        /**< offset of the register page in the control region */
	uint64_t region_size;        /**< size of the control region (to mmap it whole) */
	uint64_t regs_size;          /**< size of the register page */
};

/** VDEVICE_DEL request, 8 bytes. */
struct uiommu_msg_vdevice_del {
	uint32_t viommu_id; /**< owning vIOMMU */
	uint32_t dev_id;    /**< from VDEVICE_ADD */
};

/* ---------------------------------------------------------- STRTAB_SET */

/** STRTAB_SET request, 16 bytes. */
struct uiommu_msg_strtab_set {
	uint32_t viommu_id; /**< owning vIOMMU */
	uint32_t log2size;  /**< log2 of the STE count, 0..UIOMMU_MAX_STRTAB_LOG2 */
	uint64_t base_gpa;  /**< 64-byte aligned; whole table inside one RAM region */
};

/* ---------------------------------------------------------------- vCMDQ */

/** VCMDQ_CREATE request, 24 bytes. */
struct uiommu_msg_vcmdq_create {
	uint32_t viommu_id; /**< owning vIOMMU */
	uint32_t index;     /**< queue index in the vIOMMU, < UIOMMU_MAX_VCMDQS */
	uint32_t log2size;  /**< log2 entries, UIOMMU_VCMDQ_MIN_LOG2..UIOMMU_VCMDQ_MAX_LOG2 */
	uint32_t rsvd;      /**< zero */
	uint64_t base_gpa;  /**< ring base, aligned to the ring size; ring inside one RAM region */
};

/** VCMDQ_CREATE reply, 32 bytes; carries one fd: the vIOMMU's control region. */
struct uiommu_msg_vcmdq_create_reply {
	struct uiommu_proto_reply r; /**< result */
	uint64_t regs_offset;        /**< offset of this queue's struct uiommu_vcmdq_regs in the region */
	uint64_t region_size;        /**< size of the control region (to mmap it whole) */
	uint32_t lcore;              /**< polling lcore serving the queue */
	uint32_t rsvd;               /**< zero */
};

/** VCMDQ_DESTROY request, 8 bytes. */
struct uiommu_msg_vcmdq_destroy {
	uint32_t viommu_id; /**< owning vIOMMU */
	uint32_t index;     /**< queue index */
};

/* ---------------------------------------------------------------- STATS */

/** STATS scopes. */
enum uiommu_stats_scope {
	UIOMMU_STATS_MANAGER = 0, /**< manager totals (admin only) */
	UIOMMU_STATS_VM = 1,      /**< one VM */
	UIOMMU_STATS_VIOMMU = 2,  /**< one vIOMMU */
	UIOMMU_STATS_VCMDQ = 3,   /**< one vCMDQ */
	UIOMMU_STATS_LCORE = 4,   /**< one polling lcore (index = lcore id; admin only) */
	UIOMMU_STATS_SCOPE_MAX    /**< one past the last scope */
};

/** STATS request, 16 bytes. */
struct uiommu_msg_stats {
	uint32_t scope;     /**< enum uiommu_stats_scope */
	uint32_t vm_id;     /**< 0: the caller's own VM; admin: any VM */
	uint32_t viommu_id; /**< VIOMMU, VCMDQ scopes */
	uint32_t index;     /**< VCMDQ: queue index; LCORE: lcore id */
};

/** Length of a counter name. */
#define UIOMMU_PROTO_STAT_NAME_LEN 24

/** One named counter, 32 bytes. */
struct uiommu_proto_stat {
	char name[UIOMMU_PROTO_STAT_NAME_LEN]; /**< e.g. "commands", NUL-terminated */
	uint64_t value;                        /**< counter value */
};

/** STATS reply head, 16 bytes, followed by count struct uiommu_proto_stat. */
struct uiommu_msg_stats_reply {
	struct uiommu_proto_reply r; /**< result */
	uint32_t count;              /**< counters that follow */
	uint32_t rsvd;               /**< zero */
};

/** Most counters one STATS reply carries. */
#define UIOMMU_PROTO_MAX_STATS 64

/* ---------------------------------------------------------- EVENTS_READ */

/** EVENTS_READ request, 8 bytes. */
struct uiommu_msg_events_read {
	uint32_t viommu_id; /**< owning vIOMMU */
	uint32_t max;       /**< most records wanted, 1..UIOMMU_PROTO_MAX_EVENTS */
};

/** One fault record, 64 bytes (decoded fields + SMMUv3 raw record). */
struct uiommu_proto_event {
	uint8_t id;          /**< SMMUv3 event id (UIOMMU_EVT_*) */
	uint8_t rnw;         /**< 1 read, 0 write */
	uint8_t s2;          /**< fault at stage 2 */
	uint8_t class_;      /**< 0 CD fetch, 1 TT fetch, 2 input address */
	uint32_t sid;        /**< vSID */
	uint32_t ssid;       /**< substream */
	uint32_t rsvd;       /**< zero */
	uint64_t input_addr; /**< faulting IOVA */
	uint64_t ipa;        /**< IPA of a stage-2 fault */
	uint64_t raw[4];     /**< the 32-byte SMMUv3 event record */
};

/** EVENTS_READ reply head, 24 bytes, followed by count records. */
struct uiommu_msg_events_reply {
	struct uiommu_proto_reply r; /**< result */
	uint32_t count;              /**< records that follow */
	uint32_t rsvd;               /**< zero */
	uint64_t lost;               /**< records dropped (ring full) since the last read */
};

/** Most records one EVENTS_READ returns. */
#define UIOMMU_PROTO_MAX_EVENTS 256

/* ------------------------------------------------------------ TRANSLATE */

/** TRANSLATE access: read. */
#define UIOMMU_XLATE_READ  (1u << 0)
/** TRANSLATE access: write. */
#define UIOMMU_XLATE_WRITE (1u << 1)

/** TRANSLATE request, 24 bytes. */
struct uiommu_msg_translate {
	uint32_t vm_id;     /**< 0: own VM; admin: any VM */
	uint32_t viommu_id; /**< vIOMMU of the device */
	uint32_t vsid;      /**< device, by vSID */
	uint32_t access;    /**< UIOMMU_XLATE_READ and/or _WRITE (non-zero) */
	uint64_t iova;      /**< address the device would access */
};

/** One stage of a translation, 32 bytes. */
struct uiommu_proto_xlate_stage {
	uint64_t in;     /**< input address */
	uint64_t out;    /**< output address */
	uint64_t pgsize; /**< leaf size */
	uint32_t prot;   /**< permissions granted (bit 0 read, bit 1 write) */
	uint8_t level;   /**< leaf level */
	uint8_t valid;   /**< 1 if the stage applied, 0 if bypassed */
	uint16_t rsvd;   /**< zero */
};

/** TRANSLATE reply flag: the answer came from the IOTLB. */
#define UIOMMU_XLATE_F_IOTLB_HIT (1u << 0)
/** TRANSLATE reply flag: the access faults; fault holds the record. */
#define UIOMMU_XLATE_F_FAULT     (1u << 1)

/** TRANSLATE reply, 152 bytes. Host addresses are never disclosed. */
struct uiommu_msg_translate_reply {
	struct uiommu_proto_reply r;      /**< result */
	uint32_t flags;                   /**< UIOMMU_XLATE_F_* */
	uint32_t rsvd;                    /**< zero */
	uint64_t contig;                  /**< bytes contiguous and equally permitted from iova */
	struct uiommu_proto_xlate_stage s1; /**< IOVA -> IPA */
	struct uiommu_proto_xlate_stage s2; /**< IPA -> host: in = IPA, out = 0 (host addresses never disclosed) */
	struct uiommu_proto_event fault;  /**< when UIOMMU_XLATE_F_FAULT */
};

/* ----------------------------------------------------------------- LIST */

/** LIST object kinds (also bit positions of the request's kinds mask). */
enum uiommu_list_kind {
	UIOMMU_LIST_VM = 0,      /**< a VM connection */
	UIOMMU_LIST_MEM = 1,     /**< a guest RAM region */
	UIOMMU_LIST_VIOMMU = 2,  /**< a vIOMMU */
	UIOMMU_LIST_VDEVICE = 3, /**< a vDEVICE */
	UIOMMU_LIST_VCMDQ = 4,   /**< a vCMDQ */
	UIOMMU_LIST_STRTAB = 5,  /**< a vIOMMU's stream table */
	UIOMMU_LIST_KIND_MAX     /**< one past the last kind */
};

/** LIST kinds mask that selects every kind. */
#define UIOMMU_LIST_ALL ((1u << UIOMMU_LIST_KIND_MAX) - 1)

/** LIST request, 16 bytes. */
struct uiommu_msg_list {
	uint32_t vm_id;  /**< 0: every VM visible to the caller; else that VM */
	uint32_t kinds;  /**< mask of 1 << enum uiommu_list_kind; 0 = all */
	uint32_t cursor; /**< 0 first, then the reply's next_cursor */
	uint32_t max;    /**< most entries wanted, 1..UIOMMU_PROTO_MAX_LIST */
};

/** Length of an entry's name. */
#define UIOMMU_PROTO_LIST_NAME_LEN 16

/**
 * One object, 64 bytes. Meaning of a, b, c, d by kind:
 *  - VM: a = client pid, b = RAM regions, c = RAM bytes, d = vIOMMUs; name = HELLO name
 *  - MEM: id = region index, a = gpa, b = size, c = fd offset
 *  - VIOMMU: a = VMID, b = caps, c = vDEVICEs, d = lcore; name = backend
 *  - VDEVICE: id = vSID, parent = viommu, a = vSID, b = blocked (0/1),
 *    c = STE updates applied, d = STE.Config in force; name = spec (truncated)
 *  - VCMDQ: id = index, parent = viommu, a = base gpa, b = log2size,
 *    c = commands consumed, d = lcore
 *  - STRTAB: id = parent = viommu, a = base gpa, b = log2size
 */
struct uiommu_proto_list_entry {
	uint16_t kind;   /**< enum uiommu_list_kind */
	uint16_t rsvd;   /**< zero */
	uint32_t vm_id;  /**< owning VM */
	uint32_t id;     /**< object id */
	uint32_t parent; /**< parent object id (vIOMMU for devices and queues) */
	uint64_t a;      /**< kind-specific */
	uint64_t b;      /**< kind-specific */
	uint64_t c;      /**< kind-specific */
	uint32_t d;      /**< kind-specific */
	uint32_t rsvd2;  /**< zero */
	char name[UIOMMU_PROTO_LIST_NAME_LEN]; /**< kind-specific, NUL-terminated */
};

/** LIST reply head, 24 bytes, followed by count entries. */
struct uiommu_msg_list_reply {
	struct uiommu_proto_reply r; /**< result */
	uint32_t count;              /**< entries that follow */
	uint32_t total;              /**< objects matching the request right now */
	uint32_t next_cursor;        /**< cursor for the next call; 0 when done */
	uint32_t rsvd;               /**< zero */
};

/** Most entries one LIST returns. */
#define UIOMMU_PROTO_MAX_LIST 512

/* -------------------------------------------------------------- PT_DUMP */

/** PT_DUMP table: the guest's stage-1 tables of the device's current CD. */
#define UIOMMU_PT_DUMP_TABLE_S1 1u
/** PT_DUMP table: the manager's stage-2 table of the device's vIOMMU. */
#define UIOMMU_PT_DUMP_TABLE_S2 2u

/** PT_DUMP flag: ssid is valid (stage 1: dump that substream's CD). */
#define UIOMMU_PT_DUMP_F_SSV (1u << 0)
/** Every PT_DUMP request flag this version knows. */
#define UIOMMU_PT_DUMP_F_MASK UIOMMU_PT_DUMP_F_SSV

/** PT_DUMP request, 48 bytes. */
struct uiommu_msg_pt_dump {
	uint32_t vm_id;     /**< 0: own VM; admin: any VM */
	uint32_t viommu_id; /**< vIOMMU of the device */
	uint32_t vsid;      /**< device, by vSID (for S2 too: its vIOMMU's table) */
	uint32_t ssid;      /**< substream, with UIOMMU_PT_DUMP_F_SSV; else 0 */
	uint32_t table;     /**< UIOMMU_PT_DUMP_TABLE_S1 or _S2 */
	uint32_t flags;     /**< UIOMMU_PT_DUMP_F_* */
	uint64_t first;     /**< first input address (IOVA for S1, IPA for S2) */
	uint64_t last;      /**< last input address, inclusive, >= first */
	uint32_t max;       /**< most entries, 4..UIOMMU_PROTO_MAX_PT_ENTRIES */
	uint32_t rsvd;      /**< zero */
};

/** Entry kinds (struct uiommu_proto_pt_entry.kind). */
enum uiommu_pt_entry_kind {
	UIOMMU_PT_ENTRY_TABLE = 1, /**< table descriptor */
	UIOMMU_PT_ENTRY_BLOCK = 2, /**< block descriptor (level 1 or 2) */
	UIOMMU_PT_ENTRY_PAGE = 3,  /**< page descriptor (level 3) */
	UIOMMU_PT_ENTRY_FAULT = 4, /**< descriptor or table the walk cannot use */
};

/** Fault kinds of a FAULT entry (struct uiommu_proto_pt_entry.fault). */
enum uiommu_pt_entry_fault {
	UIOMMU_PT_FAULT_TRANSLATION = 1, /**< reserved descriptor type */
	UIOMMU_PT_FAULT_ADDR_SIZE = 2,   /**< address beyond the output size */
	UIOMMU_PT_FAULT_ACCESS = 3,      /**< leaf with AF = 0 */
	UIOMMU_PT_FAULT_WALK_EABT = 4,   /**< table unreadable: outside RAM / stage-2 fault */
};

/** Entry flag: out is a host address, not disclosed (0; pte address bits 0). */
#define UIOMMU_PT_ENTRY_F_OUT_HIDDEN (1u << 0)

/** Entry permissions: a device may read through this leaf (at this stage). */
#define UIOMMU_PT_PROT_R (1u << 0)
/** Entry permissions: a device may write through this leaf (at this stage). */
#define UIOMMU_PT_PROT_W (1u << 1)

/** One descriptor, 48 bytes. */
struct uiommu_proto_pt_entry {
	uint64_t in;    /**< first input address covered (may precede first) */
	uint64_t size;  /**< bytes of input covered */
	uint64_t out;   /**< TABLE: next table; BLOCK/PAGE: output of in; FAULT: unreadable table or descriptor address */
	uint64_t pte;   /**< raw descriptor */
	uint32_t prot;  /**< BLOCK/PAGE: UIOMMU_PT_PROT_* */
	uint8_t level;  /**< level of the descriptor */
	uint8_t kind;   /**< enum uiommu_pt_entry_kind */
	uint8_t attr;   /**< BLOCK/PAGE: S1 AttrIndx, S2 MemAttr */
	uint8_t fault;  /**< FAULT: enum uiommu_pt_entry_fault */
	uint32_t flags; /**< UIOMMU_PT_ENTRY_F_* */
	uint32_t rsvd;  /**< zero */
};

/** What was found in place of (or about) the table (reply state). */
enum uiommu_pt_dump_reply_state {
	UIOMMU_PT_STATE_TABLE = 0,   /**< entries describe the table */
	UIOMMU_PT_STATE_ABORT = 1,   /**< the device is blocked: no table */
	UIOMMU_PT_STATE_BYPASS = 2,  /**< the stage is bypassed: no table */
	UIOMMU_PT_STATE_BAD_STE = 3, /**< the guest's STE is invalid */
	UIOMMU_PT_STATE_FAULT = 4,   /**< the CD cannot be used; event says how */
};

/** PT_DUMP reply flag: more entries follow from next (ask again). */
#define UIOMMU_PT_DUMP_R_MORE (1u << 0)
/** PT_DUMP reply flag: the reply stopped at the read bound (with MORE). */
#define UIOMMU_PT_DUMP_R_READ_LIMIT (1u << 1)
/** PT_DUMP reply flag: ttb is a host address, not disclosed (0). */
#define UIOMMU_PT_DUMP_R_TTB_HIDDEN (1u << 2)

/** PT_DUMP reply head, 48 bytes, followed by count entries. */
struct uiommu_msg_pt_dump_reply {
	struct uiommu_proto_reply r; /**< result */
	uint32_t count;              /**< entries that follow */
	uint32_t flags;              /**< UIOMMU_PT_DUMP_R_* */
	uint64_t next;               /**< with R_MORE: first input address not described */
	uint64_t ttb;                /**< top-table address (S1: IPA); 0 with R_TTB_HIDDEN */
	uint32_t reads;              /**< descriptors read for this reply */
	uint16_t tag;                /**< S1: CD.ASID; S2: VMID */
	uint8_t state;               /**< enum uiommu_pt_dump_reply_state */
	uint8_t event;               /**< STATE_FAULT: SMMUv3 event id */
	uint8_t stage;               /**< 1 or 2 */
	uint8_t ias;                 /**< input bits of the table */
	uint8_t oas;                 /**< output bits */
	uint8_t start_level;         /**< level of the top table */
	uint32_t rsvd;               /**< zero */
};

/** Most entries one PT_DUMP returns. */
#define UIOMMU_PROTO_MAX_PT_ENTRIES 1024
/** Fewest entries a PT_DUMP may ask for (one whole 4-level path). */
#define UIOMMU_PROTO_MIN_PT_ENTRIES 4

/**
 * Check a PT_DUMP reply payload (client side), after
 * uiommu_proto_reply_check() accepted it with result 0: count within the
 * request's max, size exactly head + count entries, flags known, state and
 * entry kinds known, reserved fields zero.
 *
 * @param payload  reply payload
 * @param size  payload bytes
 * @param max  the request's max
 * @return 0; -EPROTO when any check fails.
 */
int uiommu_proto_pt_dump_reply_check(const void *payload, uint32_t size,
				     uint32_t max);

/* ------------------------------------------------------------- layouts */

_Static_assert(sizeof(struct uiommu_proto_hdr) == 24, "hdr layout");
_Static_assert(offsetof(struct uiommu_proto_hdr, req_id) == 16, "hdr layout");
_Static_assert(sizeof(struct uiommu_proto_reply) == 8, "reply layout");
_Static_assert(sizeof(struct uiommu_msg_hello) == 48, "hello layout");
_Static_assert(sizeof(struct uiommu_msg_hello_reply) == 88, "hello reply layout");
_Static_assert(sizeof(struct uiommu_msg_mem_add) == 32, "mem_add layout");
_Static_assert(sizeof(struct uiommu_msg_mem_del) == 16, "mem_del layout");
_Static_assert(sizeof(struct uiommu_msg_viommu_create) == 296, "viommu_create layout");
_Static_assert(sizeof(struct uiommu_msg_viommu_create_reply) == 24, "viommu reply layout");
_Static_assert(sizeof(struct uiommu_msg_viommu_destroy) == 8, "viommu_destroy layout");
_Static_assert(sizeof(struct uiommu_msg_vdevice_add) == 136, "vdevice_add layout");
_Static_assert(sizeof(struct uiommu_msg_vdevice_add_reply) == 40, "vdevice reply layout");
_Static_assert(sizeof(struct uiommu_msg_vdevice_del) == 8, "vdevice_del layout");
_Static_assert(sizeof(struct uiommu_msg_strtab_set) == 16, "strtab layout");
_Static_assert(sizeof(struct uiommu_msg_vcmdq_create) == 24, "vcmdq_create layout");
_Static_assert(sizeof(struct uiommu_msg_vcmdq_create_reply) == 32, "vcmdq reply layout");
_Static_assert(sizeof(struct uiommu_msg_vcmdq_destroy) == 8, "vcmdq_destroy layout");
_Static_assert(sizeof(struct uiommu_msg_stats) == 16, "stats layout");
_Static_assert(sizeof(struct uiommu_proto_stat) == 32, "stat layout");
_Static_assert(sizeof(struct uiommu_msg_stats_reply) == 16, "stats reply layout");
_Static_assert(sizeof(struct uiommu_msg_events_read) == 8, "events layout");
_Static_assert(sizeof(struct uiommu_proto_event) == 64, "event layout");
_Static_assert(sizeof(struct uiommu_msg_events_reply) == 24, "events reply layout");
_Static_assert(sizeof(struct uiommu_msg_translate) == 24, "translate layout");
_Static_assert(sizeof(struct uiommu_proto_xlate_stage) == 32, "stage layout");
_Static_assert(sizeof(struct uiommu_msg_translate_reply) == 152, "translate reply layout");
_Static_assert(sizeof(struct uiommu_msg_list) == 16, "list layout");
_Static_assert(sizeof(struct uiommu_proto_list_entry) == 64, "list entry layout");
_Static_assert(sizeof(struct uiommu_msg_list_reply) == 24, "list reply layout");
_Static_assert(sizeof(struct uiommu_msg_pt_dump) == 48, "pt_dump layout");
_Static_assert(offsetof(struct uiommu_msg_pt_dump, first) == 24, "pt_dump layout");
_Static_assert(sizeof(struct uiommu_proto_pt_entry) == 48, "pt entry layout");
_Static_assert(offsetof(struct uiommu_proto_pt_entry, prot) == 32, "pt entry layout");
_Static_assert(sizeof(struct uiommu_msg_pt_dump_reply) == 48, "pt_dump reply layout");
_Static_assert(offsetof(struct uiommu_msg_pt_dump_reply, reads) == 32, "pt_dump reply layout");
_Static_assert(sizeof(struct uiommu_msg_stats_reply) +
	       UIOMMU_PROTO_MAX_STATS * sizeof(struct uiommu_proto_stat) <=
	       UIOMMU_PROTO_MAX_PAYLOAD, "STATS fits a message");
_Static_assert(sizeof(struct uiommu_msg_events_reply) +
	       UIOMMU_PROTO_MAX_EVENTS * sizeof(struct uiommu_proto_event) <=
	       UIOMMU_PROTO_MAX_PAYLOAD, "EVENTS_READ fits a message");
_Static_assert(sizeof(struct uiommu_msg_list_reply) +
	       UIOMMU_PROTO_MAX_LIST * sizeof(struct uiommu_proto_list_entry) <=
	       UIOMMU_PROTO_MAX_PAYLOAD, "LIST fits a message");
_Static_assert(sizeof(struct uiommu_msg_pt_dump_reply) +
	       UIOMMU_PROTO_MAX_PT_ENTRIES * sizeof(struct uiommu_proto_pt_entry) <=
	       UIOMMU_PROTO_MAX_PAYLOAD, "PT_DUMP fits a message");

/* ------------------------------------------------------------- helpers */

/** Disposition of a received header (uiommu_proto_hdr_check). */
enum uiommu_proto_hdr_verdict {
	UIOMMU_PROTO_HDR_OK = 0,      /**< read the payload and handle it */
	UIOMMU_PROTO_HDR_REJECT = 1,  /**< read (or skip) the payload, reply the errno */
	UIOMMU_PROTO_HDR_FATAL = 2,   /**< the stream is lost: disconnect */
};

/**
 * Check a request header received by the manager.
 *
 * @param hdr  the header as received
 * @param[out] err  for UIOMMU_PROTO_HDR_REJECT: the errno to reply
 *                  (-EPROTONOSUPPORT wrong version, -EMSGSIZE payload above
 *                  UIOMMU_PROTO_MAX_PAYLOAD, -EOPNOTSUPP unknown type or
 *                  flag, -EINVAL the REPLY flag on a request)
 * @return UIOMMU_PROTO_HDR_OK, _REJECT, or _FATAL (bad magic: the framing
 *         cannot be trusted any more).
 */
enum uiommu_proto_hdr_verdict
uiommu_proto_hdr_check(const struct uiommu_proto_hdr *hdr, int *err);

/**
 * Check a request payload and its fd count against its type's rules
 * (doc/protocol.md): exact size, reserved fields zero, strings terminated,
 * flags known, number of fds.
 *
 * @param type  the request type (already known valid by uiommu_proto_hdr_check)
 * @param payload  the payload bytes
 * @param size  payload size
 * @param nfds  file descriptors received with it
 * @return 0; -EBADMSG size wrong for the type (truncated or trailing bytes);
 *         -EINVAL a reserved field is non-zero or a string unterminated;
 *         -EOPNOTSUPP an unknown flag or type; -EBADF wrong number of fds.
 */
int uiommu_proto_req_check(uint16_t type, const void *payload, uint32_t size,
			   unsigned int nfds);

/**
 * Check a reply from the manager (client side): header magic, version,
 * REPLY flag, type and request id matching the request, payload at least
 * a struct uiommu_proto_reply, and for result 0 at least the type's fixed
 * reply size.
 *
 * @param hdr  reply header
 * @param type  type of the request
 * @param req_id  id of the request
 * @param payload  reply payload
 * @return 0; -EPROTO when any check fails.
 */
int uiommu_proto_reply_check(const struct uiommu_proto_hdr *hdr,
			     uint16_t type, uint64_t req_id,
			     const void *payload);

/**
 * Fixed size of a type's request payload.
 * @param type  message type
 * @return bytes, or 0 for an unknown type.
 */
uint32_t uiommu_proto_req_size(uint16_t type);

/**
 * Fixed size of a type's successful reply payload (for STATS, EVENTS_READ,
 * LIST and PT_DUMP: the head only; entries follow).
 * @param type  message type
 * @return bytes, or 0 for an unknown type.
 */
uint32_t uiommu_proto_reply_size(uint16_t type);

/**
 * Name of a message type for logs ("HELLO", "MEM_ADD", ...).
 * @param type  any value
 * @return a static string, "UNKNOWN" for an unknown type; never NULL.
 */
const char *uiommu_proto_type_name(uint16_t type);

/**
 * Whether a string field holds a NUL within its size.
 * @param s  the field
 * @param len  its size
 * @return 1 if terminated, 0 otherwise.
 */
int uiommu_proto_str_ok(const char *s, size_t len);

/**
 * Fill a header.
 * @param hdr  header to fill
 * @param type  message type
 * @param flags  UIOMMU_PROTO_F_*
 * @param size  payload size
 * @param req_id  request id
 */
void uiommu_proto_hdr_init(struct uiommu_proto_hdr *hdr, uint16_t type,
			   uint32_t flags, uint32_t size, uint64_t req_id);

/**
 * Send one message (header + payload + fds) with one sendmsg(); used on
 * blocking sockets (the client). Retries on EINTR and continues a partial
 * send (fds travel with the first byte only). Never raises SIGPIPE.
 *
 * @param fd  connected socket
 * @param hdr  header (hdr->size bytes of payload follow)
 * @param payload  payload, may be NULL when hdr->size is 0
 * @param fds  fds to pass, may be NULL when nfds is 0
 * @param nfds  0..UIOMMU_PROTO_MAX_FDS
 * @return 0; -EINVAL nfds too large; -EPIPE / -ECONNRESET peer gone;
 *         -EAGAIN the socket is non-blocking and full; other -errno of sendmsg.
 */
int uiommu_proto_send(int fd, const struct uiommu_proto_hdr *hdr,
		      const void *payload, const int *fds, unsigned int nfds);

/**
 * One recvmsg() of at most len bytes; fds received with it are appended
 * to fds[*nfds..] (those beyond max_fds are closed and reported).
 *
 * @param fd  socket
 * @param buf  destination
 * @param len  most bytes to read (the caller never asks past the current message)
 * @param fds  fd array
 * @param[in,out] nfds  fds in the array
 * @param max_fds  capacity of fds
 * @param[out] fd_overflow  set to 1 when fds were dropped (too many, or
 *                          the kernel truncated the control data)
 * @return bytes read (> 0); 0 on orderly EOF; -EAGAIN nothing to read on a
 *         non-blocking socket; other -errno of recvmsg.
 */
ssize_t uiommu_proto_recv(int fd, void *buf, size_t len, int *fds,
			  unsigned int *nfds, unsigned int max_fds,
			  int *fd_overflow);

#ifdef __cplusplus
}
#endif

#endif /* UIOMMU_PROTO_H */
