/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * SMMUv3 stream table entry and context descriptor codec.
 *
 * Design. A guest writes 64-byte STEs and CDs into its RAM; the manager
 * copies them (uiommu_gmem_read) and hands the private copy to the decoders
 * here. Decoding is a pure function of the 8 words: no pointer in them is
 * followed, nothing is cached, and every bit pattern yields either a
 * filled-in info structure or -EINVAL, which the caller reports as the event
 * a real SMMU would record (C_BAD_STE for an STE, C_BAD_CD for a CD).
 *
 * What is accepted, word by word (the bit masks are in uiommu_smmu.h):
 *
 *  STE (V = 0: every other field is IGNORED, as in the architecture; the
 *  decode succeeds with valid = 0 and the user of the STE raises C_BAD_STE
 *  when a transaction arrives):
 *   - word 0: Config 0b001..0b011 are reserved and rejected. Bits [58:52]
 *     are RES0 and rejected when set. For Config with stage 1 enabled
 *     (S1 translate, nested): S1Fmt must be 0 (linear CD table);
 *     S1CDMax must not exceed UIOMMU_MAX_S1CDMAX; S1ContextPtr is 64-byte
 *     aligned by construction of its field. For abort/bypass/stage-2 only,
 *     the stage-1 fields are ignored (decoded as zero).
 *   - word 1: only S1DSS, S1CIR, S1COR, S1CSH, S1STALLD, EATS, STRW and
 *     SHCFG may be non-zero; any other bit is rejected. The reserved values
 *     S1DSS = 3, EATS = 3, STRW = 1 and STRW = 3 are rejected.
 *   - words 2..7: stage-2 configuration and implementation-defined words.
 *     The host owns stage 2 and ignores them (they stay in raw[]).
 *
 *  CD (V = 0: decoded with valid = 0, every other field ignored; using such
 *  a CD raises C_BAD_CD):
 *   - word 0: AA64 must be set; TG0 must be 0 (4 KiB granule); T0SZ must be
 *     16..39 (an input size of 48..25 bits, what a 4 KiB walk can start);
 *     IPS must encode 32..48 bits; ENDI (big-endian tables), HA and HD
 *     (hardware access/dirty updates) are not implemented and rejected.
 *   - word 1: TTB0 [51:4] must lie below the output size IPS gives and be
 *     aligned to the size of the top-level table of the walk T0SZ
 *     describes (at least 64 bytes, as the architecture's BADDR rule).
 *     NSCFG0 (bit 0, Secure streams only) and HAD0 (bit 1, hierarchical
 *     attributes are never disabled here) are IGNORED; every other bit
 *     (E0PD0, HAFT, PnCH, EPAN, HWU, SKL0, RES0) selects a feature the
 *     model does not implement and is rejected.
 *   - AFFD (word 0 bit 35) disables access-flag faults; A, R, S (fault
 *     behaviour), ASET, TBI0, WXN, UWXN, PAN and the TTB1 fields are
 *     accepted and have no effect (faults always abort and are recorded).
 *   - word 2 (TTB1) is ignored: the model walks TTB0 only and an input
 *     address outside the TTB0 range is a translation fault.
 *   - word 3 is the MAIR; words 4..7 are ignored.
 */
#include <string.h>

#include <rte_byteorder.h>

#include "uiommu_smmu.h"

/* STE word 0: bits that are RES0 between S1ContextPtr and S1CDMax. */
#define STE0_RES0_MASK 0x07f0000000000000ULL
#define STE0_S1CDMAX_MASK (0x1fULL << UIOMMU_STE0_S1CDMAX_SHIFT)
/* STE word 1: fields with a meaning in this model (everything else RES0). */
#define STE1_S1CIR_MASK (3ULL << UIOMMU_STE1_S1CIR_SHIFT)
#define STE1_S1COR_MASK (3ULL << UIOMMU_STE1_S1COR_SHIFT)
#define STE1_S1CSH_MASK (3ULL << UIOMMU_STE1_S1CSH_SHIFT)
#define STE1_EATS_MASK (3ULL << UIOMMU_STE1_EATS_SHIFT)
#define STE1_STRW_MASK (3ULL << UIOMMU_STE1_STRW_SHIFT)
#define STE1_SHCFG_MASK (3ULL << UIOMMU_STE1_SHCFG_SHIFT)
#define STE1_KNOWN_MASK (UIOMMU_STE1_S1DSS_MASK | STE1_S1CIR_MASK | \
			 STE1_S1COR_MASK | STE1_S1CSH_MASK | \
			 UIOMMU_STE1_S1STALLD | STE1_EATS_MASK | \
			 STE1_STRW_MASK | STE1_SHCFG_MASK)

/* CD word 0 fields. */
#define CD0_TG0_MASK (3ULL << UIOMMU_CD0_TG0_SHIFT)
#define CD0_IPS_MASK (7ULL << UIOMMU_CD0_IPS_SHIFT)
/* CD word 1 bits ignored: NSCFG0 and HAD0. */
#define CD1_IGNORED_MASK 0x3ULL

/* 4 KiB granule: input sizes a walk can describe. */
#define CD_T0SZ_MIN 16u
#define CD_T0SZ_MAX 39u

static inline uint64_t
field(uint64_t w, unsigned int shift, uint64_t mask)
{
	return (w >> shift) & mask;
}

static bool
ste_config_reserved(unsigned int cfg)
{
	return cfg >= 1 && cfg <= 3;
}

static bool
ste_config_has_s1(unsigned int cfg)
{
	return cfg == UIOMMU_STE_CFG_S1 || cfg == UIOMMU_STE_CFG_NESTED;
}

int
uiommu_ste_decode(const uint64_t raw[8], struct uiommu_ste_info *info)
{
	uint64_t w[8];
	unsigned int cfg, dss, eats, strw;

	for (unsigned int i = 0; i < 8; i++)
		w[i] = rte_le_to_cpu_64(raw[i]);
	memset(info, 0, sizeof(*info));
	memcpy(info->raw, raw, sizeof(info->raw));
	if (!(w[0] & UIOMMU_STE0_V))
		return 0;

	cfg = (unsigned int)field(w[0], UIOMMU_STE0_CFG_SHIFT, 7);
	if (ste_config_reserved(cfg) || (w[0] & STE0_RES0_MASK))
		return -EINVAL;
	if (w[1] & ~STE1_KNOWN_MASK)
		return -EINVAL;
	dss = (unsigned int)(w[1] & UIOMMU_STE1_S1DSS_MASK);
	eats = (unsigned int)field(w[1], UIOMMU_STE1_EATS_SHIFT, 3);
	strw = (unsigned int)field(w[1], UIOMMU_STE1_STRW_SHIFT, 3);
	if (dss == 3 || eats == 3 || strw == 1 || strw == 3)
		return -EINVAL;

	info->valid = 1;
	info->config = (uint8_t)cfg;
	info->eats = (uint8_t)eats;
	if (!ste_config_has_s1(cfg))
		return 0;
	info->s1fmt = (uint8_t)field(w[0], UIOMMU_STE0_S1FMT_SHIFT, 3);
	info->s1cdmax = (uint8_t)field(w[0], UIOMMU_STE0_S1CDMAX_SHIFT, 0x1f);
	if (info->s1fmt != 0 || info->s1cdmax > UIOMMU_MAX_S1CDMAX)
		return -EINVAL;
	info->s1dss = (uint8_t)dss;
	info->s1ctxptr = w[0] & UIOMMU_STE0_S1CTXPTR_MASK;
	return 0;
}

void
uiommu_ste_encode(const struct uiommu_ste_info *info, uint64_t raw[8])
{
	uint64_t w[8] = {0};

	if (info->valid)
		w[0] |= UIOMMU_STE0_V;
	w[0] |= ((uint64_t)info->config << UIOMMU_STE0_CFG_SHIFT) &
		UIOMMU_STE0_CFG_MASK;
	w[0] |= ((uint64_t)info->s1fmt << UIOMMU_STE0_S1FMT_SHIFT) &
		UIOMMU_STE0_S1FMT_MASK;
	w[0] |= info->s1ctxptr & UIOMMU_STE0_S1CTXPTR_MASK;
	w[0] |= ((uint64_t)info->s1cdmax << UIOMMU_STE0_S1CDMAX_SHIFT) &
		STE0_S1CDMAX_MASK;
	w[1] |= (uint64_t)info->s1dss & UIOMMU_STE1_S1DSS_MASK;
	w[1] |= ((uint64_t)info->eats << UIOMMU_STE1_EATS_SHIFT) &
		STE1_EATS_MASK;
	for (unsigned int i = 0; i < 8; i++)
		raw[i] = rte_cpu_to_le_64(w[i]);
}

/* Bytes of the top-level table of a 4 KiB-granule stage-1 walk of ias bits. */
static uint64_t
cd_top_table_bytes(unsigned int ias)
{
	unsigned int levels = (ias - 12 + 8) / 9;
	unsigned int top_bits = ias - (12 + 9 * (levels - 1));
	uint64_t bytes = 8ULL << top_bits;

	return bytes < 64 ? 64 : bytes;
}

int
uiommu_cd_decode(const uint64_t raw[8], struct uiommu_cd_info *info)
{
	uint64_t w[8];
	unsigned int t0sz, tg0, ips;
	uint64_t ttb0;

	for (unsigned int i = 0; i < 8; i++)
		w[i] = rte_le_to_cpu_64(raw[i]);
	memset(info, 0, sizeof(*info));
	memcpy(info->raw, raw, sizeof(info->raw));
	if (!(w[0] & UIOMMU_CD0_V))
		return 0;

	t0sz = (unsigned int)(w[0] & UIOMMU_CD0_T0SZ_MASK);
	tg0 = (unsigned int)field(w[0], UIOMMU_CD0_TG0_SHIFT, 3);
	ips = (unsigned int)field(w[0], UIOMMU_CD0_IPS_SHIFT, 7);
	ttb0 = w[1] & UIOMMU_CD1_TTB0_MASK;
	if (!(w[0] & UIOMMU_CD0_AA64) || tg0 != 0 ||
	    t0sz < CD_T0SZ_MIN || t0sz > CD_T0SZ_MAX ||
	    uiommu_smmu_ips_bits(ips) == 0 ||
	    (w[0] & (UIOMMU_CD0_ENDI | UIOMMU_CD0_HA | UIOMMU_CD0_HD)) ||
	    (w[1] & ~(UIOMMU_CD1_TTB0_MASK | CD1_IGNORED_MASK)) ||
	    (ttb0 >> uiommu_smmu_ips_bits(ips)) != 0 ||
	    (ttb0 & (cd_top_table_bytes(64 - t0sz) - 1)))
		return -EINVAL;

	info->valid = 1;
	info->t0sz = (uint8_t)t0sz;
	info->tg0 = (uint8_t)tg0;
	info->ips = (uint8_t)ips;
	info->epd0 = !!(w[0] & UIOMMU_CD0_EPD0);
	info->epd1 = !!(w[0] & UIOMMU_CD0_EPD1);
	info->aa64 = 1;
	info->affd = !!(w[0] & UIOMMU_CD0_AFFD);
	info->asid = (uint16_t)(w[0] >> UIOMMU_CD0_ASID_SHIFT);
	info->ttb0 = ttb0;
	info->mair = w[3];
	return 0;
}

void
uiommu_cd_encode(const struct uiommu_cd_info *info, uint64_t raw[8])
{
	uint64_t w[8] = {0};

	w[0] |= (uint64_t)info->t0sz & UIOMMU_CD0_T0SZ_MASK;
	w[0] |= ((uint64_t)info->tg0 << UIOMMU_CD0_TG0_SHIFT) & CD0_TG0_MASK;
	if (info->epd0)
		w[0] |= UIOMMU_CD0_EPD0;
	if (info->epd1)
		w[0] |= UIOMMU_CD0_EPD1;
	if (info->valid)
		w[0] |= UIOMMU_CD0_V;
	w[0] |= ((uint64_t)info->ips << UIOMMU_CD0_IPS_SHIFT) & CD0_IPS_MASK;
	if (info->aa64)
		w[0] |= UIOMMU_CD0_AA64;
	if (info->affd)
		w[0] |= UIOMMU_CD0_AFFD;
	w[0] |= (uint64_t)info->asid << UIOMMU_CD0_ASID_SHIFT;
	w[1] = info->ttb0 & UIOMMU_CD1_TTB0_MASK;
	w[3] = info->mair;
	for (unsigned int i = 0; i < 8; i++)
		raw[i] = rte_cpu_to_le_64(w[i]);
}

unsigned int
uiommu_smmu_ips_bits(unsigned int ips)
{
	static const uint8_t bits[8] = { 32, 36, 40, 42, 44, 48, 0, 0 };

	return ips < 8 ? bits[ips] : 0;
}
