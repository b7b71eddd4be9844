/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Tests of the SMMUv3 STE/CD codec (lib/core/smmu_cfg.c): encodings checked
 * against words computed by hand from the architecture's bit positions,
 * round trips, and every validation error.
 */
#include <string.h>

#include "uiommu_smmu.h"
#include "uiommu_ut.h"

/* A valid stage-1 STE and its hand-computed words. */
static void
ste_s1_sample(struct uiommu_ste_info *info)
{
	memset(info, 0, sizeof(*info));
	info->valid = 1;
	info->config = UIOMMU_STE_CFG_S1;
	info->s1cdmax = 3;
	info->s1dss = 2;
	info->eats = 1;
	info->s1ctxptr = 0x0000123456789ac0ULL;
}

/* V=1 | Config 0b101 << 1 | S1ContextPtr | S1CDMax 3 << 59 */
#define STE_S1_W0 0x1800123456789acbULL
/* S1DSS 2 | EATS 1 << 28 */
#define STE_S1_W1 0x0000000010000002ULL

static void
test_ste_encode_bits(void)
{
	struct uiommu_ste_info info;
	uint64_t raw[8];

	ste_s1_sample(&info);
	memset(raw, 0xa5, sizeof(raw));
	uiommu_ste_encode(&info, raw);
	CU_ASSERT_EQUAL(raw[0], STE_S1_W0);
	CU_ASSERT_EQUAL(raw[1], STE_S1_W1);
	for (int i = 2; i < 8; i++)
		CU_ASSERT_EQUAL(raw[i], 0);

	/* Abort and bypass: only V and Config. */
	memset(&info, 0, sizeof(info));
	info.valid = 1;
	info.config = UIOMMU_STE_CFG_BYPASS;
	uiommu_ste_encode(&info, raw);
	CU_ASSERT_EQUAL(raw[0], 0x9ULL);
	info.config = UIOMMU_STE_CFG_ABORT;
	uiommu_ste_encode(&info, raw);
	CU_ASSERT_EQUAL(raw[0], 0x1ULL);
	info.valid = 0;
	uiommu_ste_encode(&info, raw);
	CU_ASSERT_EQUAL(raw[0], 0);
}

static void
test_ste_decode_fields(void)
{
	uint64_t raw[8] = { STE_S1_W0, STE_S1_W1, 0x1234, 0x5678, 1, 2, 3, 4 };
	struct uiommu_ste_info info, ref;
	uint64_t again[8];

	CU_ASSERT_EQUAL(uiommu_ste_decode(raw, &info), 0);
	ste_s1_sample(&ref);
	CU_ASSERT_EQUAL(info.valid, 1);
	CU_ASSERT_EQUAL(info.config, UIOMMU_STE_CFG_S1);
	CU_ASSERT_EQUAL(info.s1fmt, 0);
	CU_ASSERT_EQUAL(info.s1cdmax, 3);
	CU_ASSERT_EQUAL(info.s1dss, 2);
	CU_ASSERT_EQUAL(info.eats, 1);
	CU_ASSERT_EQUAL(info.s1ctxptr, ref.s1ctxptr);
	/* Words 2..7 (stage 2, host-owned) are kept raw and ignored. */
	CU_ASSERT_EQUAL(memcmp(info.raw, raw, sizeof(raw)), 0);
	uiommu_ste_encode(&info, again);
	CU_ASSERT_EQUAL(again[0], raw[0]);
	CU_ASSERT_EQUAL(again[1], raw[1]);

	/* Nested config decodes its stage-1 fields too. */
	raw[0] = (STE_S1_W0 & ~UIOMMU_STE0_CFG_MASK) |
		 ((uint64_t)UIOMMU_STE_CFG_NESTED << UIOMMU_STE0_CFG_SHIFT);
	CU_ASSERT_EQUAL(uiommu_ste_decode(raw, &info), 0);
	CU_ASSERT_EQUAL(info.config, UIOMMU_STE_CFG_NESTED);
	CU_ASSERT_EQUAL(info.s1ctxptr, ref.s1ctxptr);
}

static void
test_ste_decode_invalid_and_ignored(void)
{
	uint64_t raw[8];
	struct uiommu_ste_info info;

	/* V = 0: everything else is ignored, even garbage. */
	memset(raw, 0xff, sizeof(raw));
	raw[0] &= ~UIOMMU_STE0_V;
	CU_ASSERT_EQUAL(uiommu_ste_decode(raw, &info), 0);
	CU_ASSERT_EQUAL(info.valid, 0);
	CU_ASSERT_EQUAL(info.s1ctxptr, 0);

	/* Bypass: stage-1 fields are ignored (S1Fmt 3, S1CDMax 31). */
	memset(raw, 0, sizeof(raw));
	raw[0] = 0x9ULL | (3ULL << UIOMMU_STE0_S1FMT_SHIFT) |
		 (31ULL << UIOMMU_STE0_S1CDMAX_SHIFT) | 0x1000;
	CU_ASSERT_EQUAL(uiommu_ste_decode(raw, &info), 0);
	CU_ASSERT_EQUAL(info.config, UIOMMU_STE_CFG_BYPASS);
	CU_ASSERT_EQUAL(info.s1fmt, 0);
	CU_ASSERT_EQUAL(info.s1cdmax, 0);
	CU_ASSERT_EQUAL(info.s1ctxptr, 0);

	/* The largest S1CDMax is accepted. */
	memset(raw, 0, sizeof(raw));
	raw[0] = 0xbULL | ((uint64_t)UIOMMU_MAX_S1CDMAX << UIOMMU_STE0_S1CDMAX_SHIFT);
	CU_ASSERT_EQUAL(uiommu_ste_decode(raw, &info), 0);
	CU_ASSERT_EQUAL(info.s1cdmax, UIOMMU_MAX_S1CDMAX);

	/* Word 1 fields with a meaning are accepted: S1CIR/COR/CSH, STALLD,
	 * STRW = EL2, SHCFG. */
	raw[1] = 0xfcULL | UIOMMU_STE1_S1STALLD | (2ULL << UIOMMU_STE1_STRW_SHIFT) |
		 (1ULL << UIOMMU_STE1_SHCFG_SHIFT);
	CU_ASSERT_EQUAL(uiommu_ste_decode(raw, &info), 0);
}

static void
test_ste_decode_errors(void)
{
	uint64_t base[8] = { STE_S1_W0, STE_S1_W1, 0, 0, 0, 0, 0, 0 };
	struct uiommu_ste_info info;
	uint64_t raw[8];
	int bit;

	/* Reserved Config values 0b001..0b011. */
	for (uint64_t cfg = 1; cfg <= 3; cfg++) {
		memcpy(raw, base, sizeof(raw));
		raw[0] = (raw[0] & ~UIOMMU_STE0_CFG_MASK) | (cfg << 1);
		CU_ASSERT_EQUAL(uiommu_ste_decode(raw, &info), -EINVAL);
	}
	/* RES0 bits [58:52] of word 0. */
	for (bit = 52; bit <= 58; bit++) {
		memcpy(raw, base, sizeof(raw));
		raw[0] |= 1ULL << bit;
		CU_ASSERT_EQUAL(uiommu_ste_decode(raw, &info), -EINVAL);
	}
	/* Word 1 bits outside the accepted fields. */
	for (bit = 8; bit < 64; bit++) {
		if (bit == 27 || bit == 28 || bit == 29 || bit == 30 ||
		    bit == 31 || bit == 44 || bit == 45)
			continue;
		memcpy(raw, base, sizeof(raw));
		raw[1] |= 1ULL << bit;
		CU_ASSERT_EQUAL(uiommu_ste_decode(raw, &info), -EINVAL);
	}
	/* Reserved values: S1DSS 3, EATS 3, STRW 1 and 3. */
	memcpy(raw, base, sizeof(raw));
	raw[1] |= 3;
	CU_ASSERT_EQUAL(uiommu_ste_decode(raw, &info), -EINVAL);
	memcpy(raw, base, sizeof(raw));
	raw[1] |= 3ULL << UIOMMU_STE1_EATS_SHIFT;
	CU_ASSERT_EQUAL(uiommu_ste_decode(raw, &info), -EINVAL);
	memcpy(raw, base, sizeof(raw));
	raw[1] |= 1ULL << UIOMMU_STE1_STRW_SHIFT;
	CU_ASSERT_EQUAL(uiommu_ste_decode(raw, &info), -EINVAL);
	memcpy(raw, base, sizeof(raw));
	raw[1] |= 3ULL << UIOMMU_STE1_STRW_SHIFT;
	CU_ASSERT_EQUAL(uiommu_ste_decode(raw, &info), -EINVAL);
	/* S1Fmt other than linear, with stage 1. */
	for (uint64_t fmt = 1; fmt <= 3; fmt++) {
		memcpy(raw, base, sizeof(raw));
		raw[0] |= fmt << UIOMMU_STE0_S1FMT_SHIFT;
		CU_ASSERT_EQUAL(uiommu_ste_decode(raw, &info), -EINVAL);
	}
	/* S1CDMax above the limit. */
	memcpy(raw, base, sizeof(raw));
	raw[0] = (raw[0] & ~(0x1fULL << UIOMMU_STE0_S1CDMAX_SHIFT)) |
		 ((uint64_t)(UIOMMU_MAX_S1CDMAX + 1) << UIOMMU_STE0_S1CDMAX_SHIFT);
	CU_ASSERT_EQUAL(uiommu_ste_decode(raw, &info), -EINVAL);
}

/* A valid CD and its hand-computed words. */
static void
cd_sample(struct uiommu_cd_info *info)
{
	memset(info, 0, sizeof(*info));
	info->valid = 1;
	info->t0sz = 16;
	info->ips = 5;
	info->epd1 = 1;
	info->aa64 = 1;
	info->affd = 1;
	info->asid = 0xbeef;
	info->ttb0 = 0x0000fedcba987000ULL;
	info->mair = 0x00000000f404ff44ULL;
}

/* T0SZ 16 | EPD1 | V | IPS 5 << 32 | AFFD (35) | AA64 (41) | ASID << 48 */
#define CD_W0 0xbeef020dc0000010ULL
#define CD_W1 0x0000fedcba987000ULL

static void
test_cd_encode_bits(void)
{
	struct uiommu_cd_info info;
	uint64_t raw[8];

	cd_sample(&info);
	memset(raw, 0x5a, sizeof(raw));
	uiommu_cd_encode(&info, raw);
	CU_ASSERT_EQUAL(raw[0], CD_W0);
	CU_ASSERT_EQUAL(raw[1], CD_W1);
	CU_ASSERT_EQUAL(raw[2], 0);
	CU_ASSERT_EQUAL(raw[3], 0x00000000f404ff44ULL);
	for (int i = 4; i < 8; i++)
		CU_ASSERT_EQUAL(raw[i], 0);
	info.epd0 = 1;
	info.epd1 = 0;
	uiommu_cd_encode(&info, raw);
	CU_ASSERT_EQUAL(raw[0], (CD_W0 & ~(1ULL << 30)) | (1ULL << 14));
}

static void
test_cd_decode_fields(void)
{
	uint64_t raw[8] = { CD_W0, CD_W1, 0x1111, 0x00000000f404ff44ULL,
			    0, 0, 0, 0 };
	struct uiommu_cd_info info, again;
	uint64_t enc[8];

	CU_ASSERT_EQUAL(uiommu_cd_decode(raw, &info), 0);
	CU_ASSERT_EQUAL(info.valid, 1);
	CU_ASSERT_EQUAL(info.t0sz, 16);
	CU_ASSERT_EQUAL(info.tg0, 0);
	CU_ASSERT_EQUAL(info.ips, 5);
	CU_ASSERT_EQUAL(info.epd0, 0);
	CU_ASSERT_EQUAL(info.epd1, 1);
	CU_ASSERT_EQUAL(info.aa64, 1);
	CU_ASSERT_EQUAL(info.affd, 1);
	CU_ASSERT_EQUAL(info.asid, 0xbeef);
	CU_ASSERT_EQUAL(info.ttb0, CD_W1);
	CU_ASSERT_EQUAL(info.mair, 0x00000000f404ff44ULL);
	uiommu_cd_encode(&info, enc);
	CU_ASSERT_EQUAL(uiommu_cd_decode(enc, &again), 0);
	CU_ASSERT_EQUAL(memcmp(&again.t0sz, &info.t0sz,
			       sizeof(info) - offsetof(struct uiommu_cd_info, t0sz)), 0);

	/* Ignored bits: NSCFG0/HAD0 (word 1 [1:0]), A/R/S, TTB1. */
	raw[1] |= 3;
	raw[0] |= UIOMMU_CD0_A | UIOMMU_CD0_R | UIOMMU_CD0_S;
	raw[2] = ~0ULL;
	CU_ASSERT_EQUAL(uiommu_cd_decode(raw, &info), 0);
	CU_ASSERT_EQUAL(info.ttb0, CD_W1);

	/* V = 0: rest ignored. */
	memset(raw, 0xff, sizeof(raw));
	raw[0] &= ~UIOMMU_CD0_V;
	CU_ASSERT_EQUAL(uiommu_cd_decode(raw, &info), 0);
	CU_ASSERT_EQUAL(info.valid, 0);
}

static int
cd_try(uint64_t w0, uint64_t w1)
{
	uint64_t raw[8] = { w0, w1, 0, 0, 0, 0, 0, 0 };
	struct uiommu_cd_info info;

	return uiommu_cd_decode(raw, &info);
}

static void
test_cd_decode_errors(void)
{
	uint64_t t0mask = UIOMMU_CD0_T0SZ_MASK;
	int bit;

	CU_ASSERT_EQUAL(cd_try(CD_W0, CD_W1), 0);
	/* AA64 clear. */
	CU_ASSERT_EQUAL(cd_try(CD_W0 & ~UIOMMU_CD0_AA64, CD_W1), -EINVAL);
	/* Granules other than 4 KiB, and the reserved one. */
	for (uint64_t tg = 1; tg <= 3; tg++)
		CU_ASSERT_EQUAL(cd_try(CD_W0 | (tg << UIOMMU_CD0_TG0_SHIFT), CD_W1),
				-EINVAL);
	/* T0SZ out of 16..39; the bounds themselves are accepted. */
	CU_ASSERT_EQUAL(cd_try((CD_W0 & ~t0mask) | 15, CD_W1), -EINVAL);
	CU_ASSERT_EQUAL(cd_try((CD_W0 & ~t0mask) | 40, CD_W1), -EINVAL);
	CU_ASSERT_EQUAL(cd_try((CD_W0 & ~t0mask) | 0, CD_W1), -EINVAL);
	CU_ASSERT_EQUAL(cd_try((CD_W0 & ~t0mask) | 63, CD_W1), -EINVAL);
	CU_ASSERT_EQUAL(cd_try((CD_W0 & ~t0mask) | 39, 0x1000), 0);
	/* IPS 52 and the reserved value. */
	for (uint64_t ips = 6; ips <= 7; ips++)
		CU_ASSERT_EQUAL(cd_try((CD_W0 & ~(7ULL << 32)) | (ips << 32), CD_W1),
				-EINVAL);
	/* Big-endian tables, hardware AF/dirty updates. */
	CU_ASSERT_EQUAL(cd_try(CD_W0 | UIOMMU_CD0_ENDI, CD_W1), -EINVAL);
	CU_ASSERT_EQUAL(cd_try(CD_W0 | UIOMMU_CD0_HA, CD_W1), -EINVAL);
	CU_ASSERT_EQUAL(cd_try(CD_W0 | UIOMMU_CD0_HD, CD_W1), -EINVAL);
	/* Word 1 features not implemented / RES0: bits 2, 3 and 52..63. */
	CU_ASSERT_EQUAL(cd_try(CD_W0, CD_W1 | 4), -EINVAL);
	CU_ASSERT_EQUAL(cd_try(CD_W0, CD_W1 | 8), -EINVAL);
	for (bit = 52; bit < 64; bit++)
		CU_ASSERT_EQUAL(cd_try(CD_W0, CD_W1 | (1ULL << bit)), -EINVAL);
	/* TTB0 alignment: a 48-bit walk starts with a 4 KiB table. */
	CU_ASSERT_EQUAL(cd_try(CD_W0, CD_W1 | 0x40), -EINVAL);
	CU_ASSERT_EQUAL(cd_try(CD_W0, CD_W1 | 0x800), -EINVAL);
	/* 40-bit input: a 2-entry top table, 64-byte minimum alignment. */
	CU_ASSERT_EQUAL(cd_try((CD_W0 & ~t0mask) | 24, 0x10040), 0);
	CU_ASSERT_EQUAL(cd_try((CD_W0 & ~t0mask) | 24, 0x10020), -EINVAL);
	/* 25-bit input: a 16-entry top table, 128-byte alignment. */
	CU_ASSERT_EQUAL(cd_try((CD_W0 & ~t0mask) | 39, 0x1080), 0);
	CU_ASSERT_EQUAL(cd_try((CD_W0 & ~t0mask) | 39, 0x1040), -EINVAL);
	/* TTB0 beyond the output size IPS gives (32 bits). */
	CU_ASSERT_EQUAL(cd_try(CD_W0 & ~(7ULL << 32), 1ULL << 32), -EINVAL);
	CU_ASSERT_EQUAL(cd_try(CD_W0 & ~(7ULL << 32), (1ULL << 32) - 4096), 0);
}

static void
test_ips_bits(void)
{
	static const unsigned int expect[8] = { 32, 36, 40, 42, 44, 48, 0, 0 };

	for (unsigned int i = 0; i < 8; i++)
		CU_ASSERT_EQUAL(uiommu_smmu_ips_bits(i), expect[i]);
	CU_ASSERT_EQUAL(uiommu_smmu_ips_bits(100), 0);
}

/* Every pattern decodes without crashing; an accepted one re-encodes to
 * the same decoded fields. */
static void
test_decode_random_total(void)
{
	unsigned long long seed = ut_seed();
	unsigned int ok_ste = 0, ok_cd = 0;

	for (int i = 0; i < 20000; i++) {
		uint64_t raw[8], enc[8];
		struct uiommu_ste_info s, s2;
		struct uiommu_cd_info c, c2;

		for (int j = 0; j < 8; j++)
			raw[j] = ut_rand(&seed) & ut_rand(&seed) & ut_rand(&seed);
		raw[0] |= 1ULL | (1ULL << 31) | UIOMMU_CD0_AA64;
		if (uiommu_ste_decode(raw, &s) == 0) {
			ok_ste++;
			uiommu_ste_encode(&s, enc);
			CU_ASSERT_EQUAL(uiommu_ste_decode(enc, &s2), 0);
			CU_ASSERT_EQUAL(s2.config, s.config);
			CU_ASSERT_EQUAL(s2.s1ctxptr, s.s1ctxptr);
			CU_ASSERT_EQUAL(s2.s1cdmax, s.s1cdmax);
			CU_ASSERT_EQUAL(s2.s1dss, s.s1dss);
		}
		if (uiommu_cd_decode(raw, &c) == 0 && c.valid) {
			ok_cd++;
			uiommu_cd_encode(&c, enc);
			CU_ASSERT_EQUAL(uiommu_cd_decode(enc, &c2), 0);
			CU_ASSERT_EQUAL(c2.ttb0, c.ttb0);
			CU_ASSERT_EQUAL(c2.asid, c.asid);
			CU_ASSERT_EQUAL(c2.t0sz, c.t0sz);
			CU_ASSERT_EQUAL(c2.ips, c.ips);
			CU_ASSERT_EQUAL(c2.epd0, c.epd0);
			CU_ASSERT_EQUAL(c2.affd, c.affd);
		}
	}
	printf("random: %u STEs and %u CDs accepted of 20000\n", ok_ste, ok_cd);
}

int
main(int argc, char **argv)
{
	static const struct ut_case cases[] = {
		UT_CASE(test_ste_encode_bits),
		UT_CASE(test_ste_decode_fields),
		UT_CASE(test_ste_decode_invalid_and_ignored),
		UT_CASE(test_ste_decode_errors),
		UT_CASE(test_cd_encode_bits),
		UT_CASE(test_cd_decode_fields),
		UT_CASE(test_cd_decode_errors),
		UT_CASE(test_ips_bits),
		UT_CASE(test_decode_random_total),
		UT_END
	};

	return ut_main("smmu_cfg", cases, argc, argv);
}
