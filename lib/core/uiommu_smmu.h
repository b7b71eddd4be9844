/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * SMMUv3 configuration structures as the guest writes them: the 64-byte
 * stream table entry (STE) and the 64-byte context descriptor (CD), with
 * encode, decode and validation.
 *
 * Bit positions follow the Arm SMMUv3 architecture (as used by Linux's
 * arm-smmu-v3 driver). Decoding is total: any 64 bytes a guest writes decode
 * to either a configuration or an error, never to undefined behaviour, and
 * the error says which SMMUv3 event a real SMMU would raise
 * (C_BAD_STE / C_BAD_CD). Guest structures are read with
 * uiommu_gmem_read(): the decoder works on a private copy, never on memory
 * the guest can change underneath it.
 */
#ifndef UIOMMU_SMMU_H
#define UIOMMU_SMMU_H

#include <stdint.h>

#include "uiommu_common.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Size of an STE and of a CD, in bytes. */
#define UIOMMU_STE_SIZE 64
#define UIOMMU_CD_SIZE 64

/* STE word 0 */
#define UIOMMU_STE0_V            (1ULL << 0)
#define UIOMMU_STE0_CFG_SHIFT    1        /**< Config [3:1] */
#define UIOMMU_STE0_CFG_MASK     (7ULL << 1)
#define UIOMMU_STE0_S1FMT_SHIFT  4        /**< S1Fmt [5:4] */
#define UIOMMU_STE0_S1FMT_MASK   (3ULL << 4)
#define UIOMMU_STE0_S1CTXPTR_MASK 0x000ffffffffffFC0ULL /**< S1ContextPtr [51:6] */
#define UIOMMU_STE0_S1CDMAX_SHIFT 59      /**< S1CDMax [63:59] */
/* STE word 1 */
#define UIOMMU_STE1_S1DSS_MASK   (3ULL << 0)   /**< S1DSS [1:0] */
#define UIOMMU_STE1_S1CIR_SHIFT  2             /**< S1CIR [3:2] */
#define UIOMMU_STE1_S1COR_SHIFT  4             /**< S1COR [5:4] */
#define UIOMMU_STE1_S1CSH_SHIFT  6             /**< S1CSH [7:6] */
#define UIOMMU_STE1_S1STALLD     (1ULL << 27)
#define UIOMMU_STE1_EATS_SHIFT   28            /**< EATS [29:28] */
#define UIOMMU_STE1_STRW_SHIFT   30            /**< STRW [31:30] */
#define UIOMMU_STE1_SHCFG_SHIFT  44            /**< SHCFG [45:44] */
/* STE word 2 */
#define UIOMMU_STE2_S2VMID_MASK  0xffffULL     /**< S2VMID [15:0] */
#define UIOMMU_STE2_VTCR_SHIFT   32            /**< VTCR [50:32] */
#define UIOMMU_STE2_S2AA64       (1ULL << 51)
#define UIOMMU_STE2_S2ENDI       (1ULL << 52)
#define UIOMMU_STE2_S2PTW        (1ULL << 54)
#define UIOMMU_STE2_S2R          (1ULL << 58)
/* STE word 3 */
#define UIOMMU_STE3_S2TTB_MASK   0x000ffffffffffff0ULL /**< S2TTB [51:4] */

/** STE.Config values. */
enum uiommu_ste_config {
	UIOMMU_STE_CFG_ABORT = 0,   /**< 0b000: abort all traffic */
	UIOMMU_STE_CFG_BYPASS = 4,  /**< 0b100: stage-1 and stage-2 bypass */
	UIOMMU_STE_CFG_S1 = 5,      /**< 0b101: stage-1 translate, stage-2 bypass */
	UIOMMU_STE_CFG_S2 = 6,      /**< 0b110: stage-2 only */
	UIOMMU_STE_CFG_NESTED = 7,  /**< 0b111: stage-1 then stage-2 */
};

/* CD word 0 */
#define UIOMMU_CD0_T0SZ_MASK     0x3fULL        /**< T0SZ [5:0] */
#define UIOMMU_CD0_TG0_SHIFT     6              /**< TG0 [7:6]: 0=4K 1=64K 2=16K */
#define UIOMMU_CD0_IRGN0_SHIFT   8              /**< IRGN0 [9:8] */
#define UIOMMU_CD0_ORGN0_SHIFT   10             /**< ORGN0 [11:10] */
#define UIOMMU_CD0_SH0_SHIFT     12             /**< SH0 [13:12] */
#define UIOMMU_CD0_EPD0          (1ULL << 14)
#define UIOMMU_CD0_ENDI          (1ULL << 15)
#define UIOMMU_CD0_EPD1          (1ULL << 30)
#define UIOMMU_CD0_V             (1ULL << 31)
#define UIOMMU_CD0_IPS_SHIFT     32             /**< IPS [34:32] */
#define UIOMMU_CD0_AFFD          (1ULL << 35)   /**< access-flag fault disable */
#define UIOMMU_CD0_TBI0          (1ULL << 38)
#define UIOMMU_CD0_AA64          (1ULL << 41)
#define UIOMMU_CD0_HD            (1ULL << 42)
#define UIOMMU_CD0_HA            (1ULL << 43)
#define UIOMMU_CD0_S             (1ULL << 44)
#define UIOMMU_CD0_R             (1ULL << 45)
#define UIOMMU_CD0_A             (1ULL << 46)
#define UIOMMU_CD0_ASET          (1ULL << 47)
#define UIOMMU_CD0_ASID_SHIFT    48             /**< ASID [63:48] */
/* CD word 1 */
#define UIOMMU_CD1_TTB0_MASK     0x000ffffffffffff0ULL /**< TTB0 [51:4] */
/* CD word 3: MAIR */

/** A decoded, validated stream table entry. */
struct uiommu_ste_info {
	uint64_t raw[8];          /**< the 64 bytes as read (little-endian words) */
	uint8_t valid;            /**< STE.V */
	uint8_t config;           /**< enum uiommu_ste_config */
	uint8_t s1fmt;            /**< 0 linear CD table (only one supported) */
	uint8_t s1cdmax;          /**< log2 of the number of CDs (0: one CD, SSIDs unused) */
	uint8_t s1dss;            /**< default substream behaviour */
	uint8_t eats;             /**< ATS enable */
	uint64_t s1ctxptr;        /**< GPA of the CD table (64-byte aligned) */
};

/** A decoded, validated context descriptor. */
struct uiommu_cd_info {
	uint64_t raw[8];     /**< the 64 bytes as read */
	uint8_t valid;       /**< CD.V */
	uint8_t t0sz;        /**< input size = 64 - t0sz */
	uint8_t tg0;         /**< granule: 0 = 4 KiB (the one supported) */
	uint8_t ips;         /**< output size code: 0=32 1=36 2=40 3=42 4=44 5=48 bits */
	uint8_t epd0, epd1;  /**< walks disabled for TTB0 / TTB1 */
	uint8_t aa64;        /**< AArch64 format (required) */
	uint8_t affd;        /**< AFFD (bit 35): access-flag fault disable */
	uint16_t asid;       /**< address-space ID */
	uint64_t ttb0;       /**< GPA of the stage-1 root table */
	uint64_t mair;       /**< memory attribute indirection */
};

/**
 * Decode and validate an STE (8 little-endian words). Fields a guest may not
 * use in a nested configuration (stage-2 words, which the host owns, or
 * reserved bits) are ignored or rejected as documented per field.
 * @return 0 with @p info filled; -EINVAL (C_BAD_STE: a reserved Config value,
 *         S1Fmt other than linear, S1CDMax above the limit, misaligned
 *         context pointer).
 */
int uiommu_ste_decode(const uint64_t raw[8], struct uiommu_ste_info *info);

/** Encode an STE for a guest (simulator, tests); raw[] fully written. */
void uiommu_ste_encode(const struct uiommu_ste_info *info, uint64_t raw[8]);

/**
 * Decode and validate a CD (8 little-endian words).
 * @return 0 with @p info filled; -EINVAL (C_BAD_CD: T0SZ out of 16..39 for
 *         4 KiB, a granule other than 4 KiB, AA64 clear, IPS reserved,
 *         TTB0 misaligned for the start level).
 */
int uiommu_cd_decode(const uint64_t raw[8], struct uiommu_cd_info *info);

/** Encode a CD for a guest (simulator, tests); raw[] fully written. */
void uiommu_cd_encode(const struct uiommu_cd_info *info, uint64_t raw[8]);

/** Output-address bits for a CD.IPS / STE VTCR.PS code (32..48), 0 if reserved. */
unsigned int uiommu_smmu_ips_bits(unsigned int ips);

#ifdef __cplusplus
}
#endif

#endif /* UIOMMU_SMMU_H */
