/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fuzz target "cmd": the SMMUv3 command codec (lib/cmdq) against an
 * independent reading of the guest contract.
 *
 * Input: any number of 16-byte commands. For each:
 *  - uiommu_cmd_decode() answers 0, -EOPNOTSUPP or -EINVAL only, and
 *    -EOPNOTSUPP exactly for opcodes outside the SMMUv3 set;
 *  - it accepts the command exactly when no bit outside the opcode's fields
 *    is set and no reserved encoding (CS = 3, RESP = 3) is used, where the
 *    field masks below are written from doc/guest-contract.md §4.2, not
 *    taken from the library;
 *  - an accepted command re-encodes to the same 16 bytes;
 *  - uiommu_cmd_guest_allowed() matches the contract's allowed list;
 *  - the spans of address TLBIs, ATC_INV and CFGI_ALL match a 128-bit
 *    computation of the contract's formulas (first <= last always).
 */
#include <errno.h>
#include <stdint.h>

#include "fuzz.h"
#include "uiommu_cmd.h"

#define B(hi, lo) ((~0ULL >> (63 - (hi))) & ~((1ULL << (lo)) - 1))

/* Field masks per opcode (dw0 includes the opcode byte). */
struct layout {
	bool known;
	bool allowed;
	uint64_t dw0, dw1;
};

static struct layout lay[256];

#define SID B(63, 32)
#define SSID B(31, 12)
#define VMID B(47, 32)
#define ASID B(63, 48)
#define SCALE_NUM (B(24, 20) | B(16, 12))
#define VA_TG_TTL_LEAF (B(63, 12) | B(11, 10) | B(9, 8) | B(0, 0))

static void
lay_set(uint8_t op, bool allowed, uint64_t dw0, uint64_t dw1)
{
	lay[op] = (struct layout){ true, allowed, dw0 | B(7, 0), dw1 };
}

static void
lay_init(void)
{
	lay_set(UIOMMU_CMD_PREFETCH_CFG, true, SID, 0);
	lay_set(UIOMMU_CMD_CFGI_STE, true, SID, B(0, 0));
	lay_set(UIOMMU_CMD_CFGI_ALL, true, SID, B(4, 0));
	lay_set(UIOMMU_CMD_CFGI_CD, true, SID | SSID, B(0, 0));
	lay_set(UIOMMU_CMD_CFGI_CD_ALL, true, SID, 0);
	lay_set(UIOMMU_CMD_TLBI_NH_ALL, true, VMID, 0);
	lay_set(UIOMMU_CMD_TLBI_NH_ASID, true, ASID | VMID, 0);
	lay_set(UIOMMU_CMD_TLBI_NH_VA, true, ASID | VMID | SCALE_NUM,
		VA_TG_TTL_LEAF);
	lay_set(UIOMMU_CMD_TLBI_NH_VAA, true, VMID | SCALE_NUM, VA_TG_TTL_LEAF);
	lay_set(UIOMMU_CMD_TLBI_EL2_ALL, false, 0, 0);
	lay_set(UIOMMU_CMD_TLBI_EL2_ASID, false, ASID, 0);
	lay_set(UIOMMU_CMD_TLBI_EL2_VA, false, ASID | SCALE_NUM, VA_TG_TTL_LEAF);
	lay_set(UIOMMU_CMD_TLBI_S12_VMALL, false, VMID, 0);
	lay_set(UIOMMU_CMD_TLBI_S2_IPA, false, VMID | SCALE_NUM,
		B(51, 12) | B(11, 10) | B(9, 8) | B(0, 0));
	lay_set(UIOMMU_CMD_TLBI_NSNH_ALL, true, 0, 0);
	lay_set(UIOMMU_CMD_ATC_INV, true, SID | SSID | B(11, 11) | B(9, 9),
		B(63, 12) | B(5, 0));
	lay_set(UIOMMU_CMD_PRI_RESP, false, SID | SSID | B(11, 11),
		B(13, 12) | B(8, 0));
	lay_set(UIOMMU_CMD_RESUME, false, SID | B(13, 12), B(15, 0));
	lay_set(UIOMMU_CMD_SYNC, true, B(63, 32) | B(27, 24) | B(23, 22) |
		B(13, 12), B(51, 2));
}

static int
ref_decode_rc(const struct uiommu_cmd *c)
{
	const uint8_t op = (uint8_t)c->dw[0];
	const struct layout *l = &lay[op];

	if (!l->known)
		return -EOPNOTSUPP;
	if ((c->dw[0] & ~l->dw0) != 0 || (c->dw[1] & ~l->dw1) != 0)
		return -EINVAL;
	if (op == UIOMMU_CMD_SYNC && ((c->dw[0] >> 12) & 3) == 3)
		return -EINVAL;
	if (op == UIOMMU_CMD_RESUME && ((c->dw[0] >> 12) & 3) == 3)
		return -EINVAL;
	if (op == UIOMMU_CMD_PRI_RESP && ((c->dw[1] >> 12) & 3) == 3)
		return -EINVAL;
	return 0;
}

static void
check_spans(const struct uiommu_cmd *c, const struct uiommu_cmd_info *ci)
{
	uint64_t first = 1, last = 0;
	uint32_t sf = 1, sl = 0;

	switch (ci->op) {
	case UIOMMU_CMD_TLBI_NH_VA:
	case UIOMMU_CMD_TLBI_NH_VAA:
	case UIOMMU_CMD_TLBI_EL2_VA:
	case UIOMMU_CMD_TLBI_S2_IPA: {
		const uint64_t addr = ci->op == UIOMMU_CMD_TLBI_S2_IPA ?
				      (c->dw[1] & B(51, 12)) : (c->dw[1] & B(63, 12));

		FZ_CHECK(ci->addr == addr);
		FZ_CHECK(uiommu_cmd_tlbi_span(ci, &first, &last) == 0);
		FZ_CHECK(first <= last);
		if (ci->tg == 0) {
			FZ_CHECK(first == addr && last == addr);
		} else {
			const unsigned int gshift = 12 + 2 * (ci->tg - 1u);
			const uint64_t f = addr & ~((1ULL << gshift) - 1);
			unsigned __int128 end = (unsigned __int128)f +
				((((unsigned __int128)ci->num + 1) << ci->scale)
				 << gshift) - 1;
			uint64_t l = end > UINT64_MAX ? UINT64_MAX : (uint64_t)end;

			FZ_CHECKF(first == f && last == l,
				  "tlbi span [%#lx, %#lx] want [%#lx, %#lx]",
				  (unsigned long)first, (unsigned long)last,
				  (unsigned long)f, (unsigned long)l);
		}
		break;
	}
	case UIOMMU_CMD_ATC_INV:
		FZ_CHECK(uiommu_cmd_atc_span(ci, &first, &last) == 0);
		if (ci->size >= UIOMMU_CMD_ATC_SIZE_ALL) {
			FZ_CHECK(first == 0 && last == UINT64_MAX);
		} else {
			const uint64_t span = 4096ULL << ci->size;

			FZ_CHECK(first == (ci->addr & ~(span - 1)));
			FZ_CHECK(last == first + (span - 1));
		}
		break;
	case UIOMMU_CMD_CFGI_ALL:
		FZ_CHECK(uiommu_cmd_cfgi_sid_span(ci, &sf, &sl) == 0);
		if (ci->range == UIOMMU_CMD_CFGI_RANGE_ALL) {
			FZ_CHECK(sf == 0 && sl == UINT32_MAX);
		} else {
			const uint64_t n = 2ULL << ci->range;

			FZ_CHECK(sf == (ci->sid & ~(uint32_t)(n - 1)));
			FZ_CHECK((uint64_t)sl == (uint64_t)sf + n - 1);
		}
		break;
	default:
		/* Span helpers refuse every other opcode. */
		FZ_CHECK(uiommu_cmd_tlbi_span(ci, &first, &last) == -EINVAL);
		FZ_CHECK(uiommu_cmd_atc_span(ci, &first, &last) == -EINVAL);
		FZ_CHECK(uiommu_cmd_cfgi_sid_span(ci, &sf, &sl) == -EINVAL);
		break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool init;
	struct fz f;

	if (!init) {
		lay_init();
		fz_quiet();
		init = true;
	}
	fz_init(&f, data, size);
	do {
		struct uiommu_cmd c, re;
		struct uiommu_cmd_info ci;
		const uint8_t op = f.left > 0 ? f.p[0] : 0;
		int rc, want;

		c.dw[0] = fz_u64(&f);
		c.dw[1] = fz_u64(&f);
		FZ_CHECK(uiommu_cmd_name(op) != NULL);
		FZ_CHECK(uiommu_cmd_guest_allowed(op) == lay[op].allowed);
		rc = uiommu_cmd_decode(&c, &ci);
		want = ref_decode_rc(&c);
		FZ_CHECKF(rc == want, "decode %#018lx %#018lx: %d, contract says %d",
			  (unsigned long)c.dw[0], (unsigned long)c.dw[1], rc, want);
		if (rc != 0) {
			fz_stat(rc == -EOPNOTSUPP ? "unknown opcode" :
				"reserved bit or encoding");
			continue;
		}
		fz_stat(lay[op].allowed ? "decoded, allowed on a vCMDQ" :
			"decoded, illegal on a vCMDQ");
		FZ_CHECK(ci.op == op && ci.rsvd == 0);
		FZ_CHECK(uiommu_cmd_encode(&ci, &re) == 0);
		FZ_CHECKF(re.dw[0] == c.dw[0] && re.dw[1] == c.dw[1],
			  "re-encode %#018lx %#018lx -> %#018lx %#018lx",
			  (unsigned long)c.dw[0], (unsigned long)c.dw[1],
			  (unsigned long)re.dw[0], (unsigned long)re.dw[1]);
		check_spans(&c, &ci);
	} while (!fz_empty(&f));
	return 0;
}
