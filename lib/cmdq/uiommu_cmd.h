/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * SMMUv3 commands: bit-exact encode and decode.
 *
 * A command is 16 bytes: two little-endian 64-bit words exactly as they sit
 * in a guest's command queue (struct uiommu_cmd). The opcode is dword0[7:0].
 * struct uiommu_cmd_info is the decoded form: the opcode plus every field as
 * a named member.
 *
 * **Layouts.** Each opcode owns a fixed set of fields, placed at the bit
 * positions of the Arm SMMUv3 architecture (see doc/guest-contract.md for the
 * table). Every bit of a command that belongs to no field of its opcode is
 * reserved (RES0): uiommu_cmd_decode() refuses a command with any reserved
 * bit set, and refuses the reserved encodings CS = 3 (CMD_SYNC) and
 * RESP = 3 (PRI_RESP, RESUME). That is what makes the queue stop with
 * CERROR_ILL on a malformed guest command, as hardware does.
 *
 * **Decoded fields** that do not belong to the opcode are zero after
 * uiommu_cmd_decode(), and must be zero for uiommu_cmd_encode(); so
 * decode(encode(x)) == x for every valid x.
 *
 * **Addresses** (addr, msiaddr) are byte addresses: the bits below the
 * field's position are zero (addr: bits [11:0]; msiaddr: bits [1:0]).
 *
 * **Speed.** Decode is on the manager's fast path: one 256-entry table
 * indexed by the opcode holds the per-opcode field set and RES0 masks, and
 * field extraction is branch-free (cmdq_perf reports ns per decode).
 */
#ifndef UIOMMU_CMD_H
#define UIOMMU_CMD_H

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Size of one command queue entry, in bytes. */
#define UIOMMU_CMD_SIZE 16
/** log2 of UIOMMU_CMD_SIZE. */
#define UIOMMU_CMD_SIZE_SHIFT 4

/** A raw command: two little-endian words, as in guest memory. */
struct uiommu_cmd {
	uint64_t dw[2]; /**< dword0, dword1 (little-endian in memory) */
};

/** SMMUv3 command opcodes (dword0[7:0]). */
enum uiommu_cmd_op {
	UIOMMU_CMD_PREFETCH_CFG   = 0x01, /**< prefetch a stream's config */
	UIOMMU_CMD_CFGI_STE       = 0x03, /**< invalidate one STE */
	/** invalidate a range of STEs (CFGI_STE_RANGE); RANGE = 31 is "all" */
	UIOMMU_CMD_CFGI_ALL       = 0x04,
	UIOMMU_CMD_CFGI_CD        = 0x05, /**< invalidate one CD */
	UIOMMU_CMD_CFGI_CD_ALL    = 0x06, /**< invalidate all CDs of a stream */
	UIOMMU_CMD_TLBI_NH_ALL    = 0x10, /**< all stage-1 entries of a VMID */
	UIOMMU_CMD_TLBI_NH_ASID   = 0x11, /**< stage-1 entries of an ASID */
	UIOMMU_CMD_TLBI_NH_VA     = 0x12, /**< stage-1 entries by VA and ASID */
	UIOMMU_CMD_TLBI_NH_VAA    = 0x13, /**< stage-1 entries by VA, all ASIDs */
	UIOMMU_CMD_TLBI_EL2_ALL   = 0x20, /**< all EL2 entries */
	UIOMMU_CMD_TLBI_EL2_ASID  = 0x21, /**< EL2 entries of an ASID */
	UIOMMU_CMD_TLBI_EL2_VA    = 0x22, /**< EL2 entries by VA */
	UIOMMU_CMD_TLBI_S12_VMALL = 0x28, /**< stage-1 and -2 entries of a VMID */
	UIOMMU_CMD_TLBI_S2_IPA    = 0x2a, /**< stage-2 entries by IPA */
	UIOMMU_CMD_TLBI_NSNH_ALL  = 0x30, /**< all non-secure non-hyp entries */
	UIOMMU_CMD_ATC_INV        = 0x40, /**< device ATC invalidation */
	UIOMMU_CMD_PRI_RESP       = 0x41, /**< PRI page-request response */
	UIOMMU_CMD_RESUME         = 0x44, /**< resume a stalled transaction */
	UIOMMU_CMD_SYNC           = 0x46, /**< completion barrier */
};

/** CMD_SYNC completion signal (CS field). */
enum uiommu_cmd_sync_cs {
	UIOMMU_CMD_SYNC_CS_NONE = 0, /**< no signal: CONS passing it is completion */
	UIOMMU_CMD_SYNC_CS_IRQ  = 1, /**< MSI write of MSIDATA to MSIADDR */
	UIOMMU_CMD_SYNC_CS_SEV  = 2, /**< send event (CONS passing it) */
};

/** TLBI translation granule (TG field); 0 means a non-range TLBI. */
enum uiommu_cmd_tg {
	UIOMMU_CMD_TG_NONE = 0, /**< single address, no range */
	UIOMMU_CMD_TG_4K   = 1, /**< range in 4 KiB granules */
	UIOMMU_CMD_TG_16K  = 2, /**< range in 16 KiB granules */
	UIOMMU_CMD_TG_64K  = 3, /**< range in 64 KiB granules */
};

/** RANGE value of CFGI_ALL that covers every stream ID. */
#define UIOMMU_CMD_CFGI_RANGE_ALL 31
/** SIZE value of ATC_INV that covers the whole address space. */
#define UIOMMU_CMD_ATC_SIZE_ALL 52
/** Largest NUM of a range TLBI. */
#define UIOMMU_CMD_TLBI_NUM_MAX 31
/** Largest SCALE of a range TLBI. */
#define UIOMMU_CMD_TLBI_SCALE_MAX 31

/**
 * A decoded command. Fields that do not belong to @c op are zero.
 *
 * Which opcode owns which field (dwN[hi:lo] = bit position):
 *  - sid: dw0[63:32] — PREFETCH_CFG, CFGI_STE, CFGI_ALL, CFGI_CD,
 *    CFGI_CD_ALL, ATC_INV, PRI_RESP, RESUME
 *  - ssid: dw0[31:12] — CFGI_CD, ATC_INV, PRI_RESP
 *  - ssv: dw0[11] — ATC_INV, PRI_RESP
 *  - global: dw0[9] — ATC_INV
 *  - vmid: dw0[47:32] — TLBI_NH_ALL, TLBI_NH_ASID, TLBI_NH_VA, TLBI_NH_VAA,
 *    TLBI_S12_VMALL, TLBI_S2_IPA
 *  - asid: dw0[63:48] — TLBI_NH_ASID, TLBI_NH_VA, TLBI_EL2_ASID, TLBI_EL2_VA
 *  - num: dw0[16:12], scale: dw0[24:20], leaf: dw1[0], ttl: dw1[9:8],
 *    tg: dw1[11:10] — TLBI_NH_VA, TLBI_NH_VAA, TLBI_EL2_VA, TLBI_S2_IPA
 *    (leaf also CFGI_STE, CFGI_CD)
 *  - addr: dw1[63:12] — TLBI_NH_VA, TLBI_NH_VAA, TLBI_EL2_VA (VA),
 *    ATC_INV (ADDR); dw1[51:12] — TLBI_S2_IPA (IPA)
 *  - range: dw1[4:0] — CFGI_ALL
 *  - size: dw1[5:0] — ATC_INV
 *  - resp: dw1[13:12] — PRI_RESP; dw0[13:12] — RESUME
 *  - grpid: dw1[8:0] — PRI_RESP
 *  - stag: dw1[15:0] — RESUME
 *  - cs: dw0[13:12], msh: dw0[23:22], msiattr: dw0[27:24],
 *    msidata: dw0[63:32], msiaddr: dw1[51:2] — CMD_SYNC
 */
struct uiommu_cmd_info {
	uint8_t op;       /**< opcode, enum uiommu_cmd_op */
	uint8_t num;      /**< range TLBI: NUM, 0..31 */
	uint8_t scale;    /**< range TLBI: SCALE, 0..31 */
	uint8_t tg;       /**< TLBI: TG, enum uiommu_cmd_tg */
	uint8_t ttl;      /**< TLBI: TTL level hint, 0..3 (0: any level) */
	uint8_t size;     /**< ATC_INV: log2 of the span in 4 KiB pages, 0..63 */
	uint8_t range;    /**< CFGI_ALL: log2(stream IDs) - 1, 0..31 */
	uint8_t cs;       /**< CMD_SYNC: enum uiommu_cmd_sync_cs, 0..2 */
	uint8_t msh;      /**< CMD_SYNC: MSI shareability, 0..3 */
	uint8_t msiattr;  /**< CMD_SYNC: MSI memory attributes, 0..15 */
	uint8_t resp;     /**< PRI_RESP / RESUME: response code, 0..2 */
	bool ssv;         /**< substream ID valid */
	bool leaf;        /**< only leaf (last-level) entries */
	bool global;      /**< ATC_INV: global (all substreams) */
	uint16_t asid;    /**< address space ID */
	uint16_t vmid;    /**< VMID as the guest wrote it (never trusted) */
	uint16_t grpid;   /**< PRI_RESP: page request group, 0..511 */
	uint16_t stag;    /**< RESUME: stall tag */
	uint32_t sid;     /**< stream ID (virtual, as the guest wrote it) */
	uint32_t ssid;    /**< substream ID, 0..2^20-1 */
	uint32_t msidata; /**< CMD_SYNC: 32-bit MSI payload */
	uint32_t rsvd;    /**< zero */
	uint64_t addr;    /**< VA / IPA / ATC address, bits [11:0] zero */
	uint64_t msiaddr; /**< CMD_SYNC: MSI address, bits [1:0] zero, < 2^52 */
};

/**
 * Encode a command.
 *
 * @param info  decoded command; every field that does not belong to
 *              info->op must be zero
 * @param[out] out  the raw command (little-endian words)
 * @return 0; -EINVAL if a field is out of its range, has bits below its
 *         position set (addr, msiaddr), uses a reserved encoding (CS = 3,
 *         RESP = 3, rsvd != 0) or is set but does not belong to the opcode;
 *         -EOPNOTSUPP if info->op is not a known opcode.
 */
int uiommu_cmd_encode(const struct uiommu_cmd_info *info,
		      struct uiommu_cmd *out);

/**
 * Decode a command read from a guest queue (hostile input).
 *
 * Fast path: one table lookup, two mask tests, branch-free extraction.
 *
 * @param in  raw command (little-endian words); read once
 * @param[out] out  every member written; fields not of the opcode are zero.
 *                  On error its content is unspecified.
 * @return 0; -EOPNOTSUPP for an unknown opcode; -EINVAL if a reserved (RES0)
 *         bit of that opcode is set or a field holds a reserved encoding
 *         (CS = 3, RESP = 3).
 */
int uiommu_cmd_decode(const struct uiommu_cmd *in,
		      struct uiommu_cmd_info *out);

/**
 * Whether a guest may put this opcode on a vCMDQ (doc/guest-contract.md):
 * TLBI_NH_VA, TLBI_NH_VAA, TLBI_NH_ASID, TLBI_NH_ALL, TLBI_NSNH_ALL,
 * CFGI_STE, CFGI_ALL, CFGI_CD, CFGI_CD_ALL, ATC_INV, PREFETCH_CFG, CMD_SYNC.
 *
 * @param op  opcode (any 8-bit value)
 * @return true if allowed; false for every other opcode, known or not.
 */
bool uiommu_cmd_guest_allowed(uint8_t op);

/**
 * Name of an opcode for logs ("TLBI_NH_VA", ...).
 *
 * @param op  opcode (any 8-bit value)
 * @return a static string; "UNKNOWN" for an unknown opcode. Never NULL.
 */
const char *uiommu_cmd_name(uint8_t op);

/**
 * Address span of an address-based TLBI (TLBI_NH_VA, TLBI_NH_VAA,
 * TLBI_EL2_VA, TLBI_S2_IPA), as an inclusive range.
 *
 * Interpretation (also in doc/guest-contract.md):
 *  - TG = 0 (no range): the command invalidates every entry whose
 *    translation contains @c addr, at the level TTL hints or at any level;
 *    the span is [addr, addr]. NUM and SCALE are ignored.
 *  - TG != 0 (range): granule G = 4 KiB, 16 KiB, 64 KiB for TG = 1, 2, 3;
 *    the span is (NUM + 1) << SCALE granules starting at addr rounded down
 *    to G. A span that would run past 2^64 - 1 is clamped there (an
 *    over-invalidation, which is always safe). TTL only hints the level.
 *  In both cases every cached entry that overlaps [first, last] (leaf
 *  entries only when LEAF = 1) must be invalidated.
 *
 * @param info  a decoded command
 * @param[out] first  first address of the span
 * @param[out] last   last address of the span, inclusive
 * @return 0; -EINVAL if info->op is not an address-based TLBI.
 */
int uiommu_cmd_tlbi_span(const struct uiommu_cmd_info *info,
			 uint64_t *first, uint64_t *last);

/**
 * Address span of an ATC_INV: 2^SIZE 4 KiB pages, @c addr rounded down to
 * the span; SIZE >= 52 (UIOMMU_CMD_ATC_SIZE_ALL) covers [0, 2^64 - 1].
 *
 * @param info  a decoded ATC_INV
 * @param[out] first  first address of the span
 * @param[out] last   last address of the span, inclusive
 * @return 0; -EINVAL if info->op is not ATC_INV.
 */
int uiommu_cmd_atc_span(const struct uiommu_cmd_info *info,
			uint64_t *first, uint64_t *last);

/**
 * Stream IDs a CFGI_ALL (CFGI_STE_RANGE) covers: 2^(RANGE + 1) IDs, SID
 * rounded down to that count; RANGE = 31 covers every stream ID.
 *
 * @param info  a decoded CFGI_ALL
 * @param[out] first  first stream ID
 * @param[out] last   last stream ID, inclusive
 * @return 0; -EINVAL if info->op is not CFGI_ALL.
 */
int uiommu_cmd_cfgi_sid_span(const struct uiommu_cmd_info *info,
			     uint32_t *first, uint32_t *last);

#ifdef __cplusplus
}
#endif

#endif /* UIOMMU_CMD_H */
