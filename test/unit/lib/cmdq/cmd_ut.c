/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Tests of lib/cmdq/cmd.c: SMMUv3 command encode/decode.
 *
 * The reference here is independent of the implementation's masks: a table
 * of hand-computed raw words, one row per (opcode, field) with the field at
 * its largest value and every other field zero. From it the tests derive
 * the bits each opcode owns (the OR of its rows), so every other bit must be
 * rejected as RES0, one bit at a time.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <rte_byteorder.h>

#include "uiommu_cmd.h"
#include "uiommu_ut.h"

/* Which member of uiommu_cmd_info a row sets. */
enum fld {
	FLD_SID, FLD_SSID, FLD_SSV, FLD_GLOBAL, FLD_VMID, FLD_ASID, FLD_NUM,
	FLD_SCALE, FLD_LEAF, FLD_TTL, FLD_TG, FLD_ADDR, FLD_RANGE, FLD_SIZE,
	FLD_RESP, FLD_GRPID, FLD_STAG, FLD_CS, FLD_MSH, FLD_MSIATTR,
	FLD_MSIDATA, FLD_MSIADDR, FLD_COUNT
};

static const char *const fld_names[FLD_COUNT] = {
	"sid", "ssid", "ssv", "global", "vmid", "asid", "num", "scale", "leaf",
	"ttl", "tg", "addr", "range", "size", "resp", "grpid", "stag", "cs",
	"msh", "msiattr", "msidata", "msiaddr",
};

/* One hand-computed vector: op with one field at max. */
struct vec {
	uint8_t op;
	enum fld f;
	uint64_t max;      /* largest legal value of the field */
	uint64_t dw0, dw1; /* expected raw words */
};

static const struct vec vecs[] = {
	{ 0x01, FLD_SID, 0xffffffff, 0xffffffff00000001ULL, 0 },

	{ 0x03, FLD_SID, 0xffffffff, 0xffffffff00000003ULL, 0 },
	{ 0x03, FLD_LEAF, 1, 0x03, 0x1 },

	{ 0x04, FLD_SID, 0xffffffff, 0xffffffff00000004ULL, 0 },
	{ 0x04, FLD_RANGE, 31, 0x04, 0x1f },

	{ 0x05, FLD_SID, 0xffffffff, 0xffffffff00000005ULL, 0 },
	{ 0x05, FLD_SSID, 0xfffff, 0x00000000fffff005ULL, 0 },
	{ 0x05, FLD_LEAF, 1, 0x05, 0x1 },

	{ 0x06, FLD_SID, 0xffffffff, 0xffffffff00000006ULL, 0 },

	{ 0x10, FLD_VMID, 0xffff, 0x0000ffff00000010ULL, 0 },

	{ 0x11, FLD_VMID, 0xffff, 0x0000ffff00000011ULL, 0 },
	{ 0x11, FLD_ASID, 0xffff, 0xffff000000000011ULL, 0 },

	{ 0x12, FLD_VMID, 0xffff, 0x0000ffff00000012ULL, 0 },
	{ 0x12, FLD_ASID, 0xffff, 0xffff000000000012ULL, 0 },
	{ 0x12, FLD_NUM, 31, 0x000000000001f012ULL, 0 },
	{ 0x12, FLD_SCALE, 31, 0x0000000001f00012ULL, 0 },
	{ 0x12, FLD_LEAF, 1, 0x12, 0x1 },
	{ 0x12, FLD_TTL, 3, 0x12, 0x300 },
	{ 0x12, FLD_TG, 3, 0x12, 0xc00 },
	{ 0x12, FLD_ADDR, 0xfffffffffffff000ULL, 0x12, 0xfffffffffffff000ULL },

	{ 0x13, FLD_VMID, 0xffff, 0x0000ffff00000013ULL, 0 },
	{ 0x13, FLD_NUM, 31, 0x000000000001f013ULL, 0 },
	{ 0x13, FLD_SCALE, 31, 0x0000000001f00013ULL, 0 },
	{ 0x13, FLD_LEAF, 1, 0x13, 0x1 },
	{ 0x13, FLD_TTL, 3, 0x13, 0x300 },
	{ 0x13, FLD_TG, 3, 0x13, 0xc00 },
	{ 0x13, FLD_ADDR, 0xfffffffffffff000ULL, 0x13, 0xfffffffffffff000ULL },

	/* TLBI_EL2_ALL (0x20) has no field: see op_list. */

	{ 0x21, FLD_ASID, 0xffff, 0xffff000000000021ULL, 0 },

	{ 0x22, FLD_ASID, 0xffff, 0xffff000000000022ULL, 0 },
	{ 0x22, FLD_NUM, 31, 0x000000000001f022ULL, 0 },
	{ 0x22, FLD_SCALE, 31, 0x0000000001f00022ULL, 0 },
	{ 0x22, FLD_LEAF, 1, 0x22, 0x1 },
	{ 0x22, FLD_TTL, 3, 0x22, 0x300 },
	{ 0x22, FLD_TG, 3, 0x22, 0xc00 },
	{ 0x22, FLD_ADDR, 0xfffffffffffff000ULL, 0x22, 0xfffffffffffff000ULL },

	{ 0x28, FLD_VMID, 0xffff, 0x0000ffff00000028ULL, 0 },

	{ 0x2a, FLD_VMID, 0xffff, 0x0000ffff0000002aULL, 0 },
	{ 0x2a, FLD_NUM, 31, 0x000000000001f02aULL, 0 },
	{ 0x2a, FLD_SCALE, 31, 0x0000000001f0002aULL, 0 },
	{ 0x2a, FLD_LEAF, 1, 0x2a, 0x1 },
	{ 0x2a, FLD_TTL, 3, 0x2a, 0x300 },
	{ 0x2a, FLD_TG, 3, 0x2a, 0xc00 },
	{ 0x2a, FLD_ADDR, 0x000ffffffffff000ULL, 0x2a, 0x000ffffffffff000ULL },

	/* TLBI_NSNH_ALL (0x30) has no field. */

	{ 0x40, FLD_SID, 0xffffffff, 0xffffffff00000040ULL, 0 },
	{ 0x40, FLD_SSID, 0xfffff, 0x00000000fffff040ULL, 0 },
	{ 0x40, FLD_SSV, 1, 0x0000000000000840ULL, 0 },
	{ 0x40, FLD_GLOBAL, 1, 0x0000000000000240ULL, 0 },
	{ 0x40, FLD_SIZE, 63, 0x40, 0x3f },
	{ 0x40, FLD_ADDR, 0xfffffffffffff000ULL, 0x40, 0xfffffffffffff000ULL },

	{ 0x41, FLD_SID, 0xffffffff, 0xffffffff00000041ULL, 0 },
	{ 0x41, FLD_SSID, 0xfffff, 0x00000000fffff041ULL, 0 },
	{ 0x41, FLD_SSV, 1, 0x0000000000000841ULL, 0 },
	{ 0x41, FLD_RESP, 2, 0x41, 0x2000 },
	{ 0x41, FLD_GRPID, 0x1ff, 0x41, 0x1ff },

	{ 0x44, FLD_SID, 0xffffffff, 0xffffffff00000044ULL, 0 },
	{ 0x44, FLD_RESP, 2, 0x0000000000002044ULL, 0 },
	{ 0x44, FLD_STAG, 0xffff, 0x44, 0xffff },

	{ 0x46, FLD_CS, 2, 0x0000000000002046ULL, 0 },
	{ 0x46, FLD_MSH, 3, 0x0000000000c00046ULL, 0 },
	{ 0x46, FLD_MSIATTR, 15, 0x000000000f000046ULL, 0 },
	{ 0x46, FLD_MSIDATA, 0xffffffff, 0xffffffff00000046ULL, 0 },
	{ 0x46, FLD_MSIADDR, 0x000ffffffffffffcULL, 0x46,
	  0x000ffffffffffffcULL },
};

/* Every defined opcode, its name and whether a guest may use it. */
static const struct {
	uint8_t op;
	const char *name;
	bool guest;
} op_list[] = {
	{ 0x01, "PREFETCH_CFG", true },   { 0x03, "CFGI_STE", true },
	{ 0x04, "CFGI_ALL", true },       { 0x05, "CFGI_CD", true },
	{ 0x06, "CFGI_CD_ALL", true },    { 0x10, "TLBI_NH_ALL", true },
	{ 0x11, "TLBI_NH_ASID", true },   { 0x12, "TLBI_NH_VA", true },
	{ 0x13, "TLBI_NH_VAA", true },    { 0x20, "TLBI_EL2_ALL", false },
	{ 0x21, "TLBI_EL2_ASID", false }, { 0x22, "TLBI_EL2_VA", false },
	{ 0x28, "TLBI_S12_VMALL", false },{ 0x2a, "TLBI_S2_IPA", false },
	{ 0x30, "TLBI_NSNH_ALL", true },  { 0x40, "ATC_INV", true },
	{ 0x41, "PRI_RESP", false },      { 0x44, "RESUME", false },
	{ 0x46, "CMD_SYNC", true },
};

static int
op_known(unsigned int op)
{
	for (size_t i = 0; i < RTE_DIM(op_list); i++)
		if (op_list[i].op == op)
			return (int)i;
	return -1;
}

/* Set one member of info to v. */
static void
fld_set(struct uiommu_cmd_info *ci, enum fld f, uint64_t v)
{
	switch (f) {
	case FLD_SID: ci->sid = (uint32_t)v; break;
	case FLD_SSID: ci->ssid = (uint32_t)v; break;
	case FLD_SSV: ci->ssv = v != 0; break;
	case FLD_GLOBAL: ci->global = v != 0; break;
	case FLD_VMID: ci->vmid = (uint16_t)v; break;
	case FLD_ASID: ci->asid = (uint16_t)v; break;
	case FLD_NUM: ci->num = (uint8_t)v; break;
	case FLD_SCALE: ci->scale = (uint8_t)v; break;
	case FLD_LEAF: ci->leaf = v != 0; break;
	case FLD_TTL: ci->ttl = (uint8_t)v; break;
	case FLD_TG: ci->tg = (uint8_t)v; break;
	case FLD_ADDR: ci->addr = v; break;
	case FLD_RANGE: ci->range = (uint8_t)v; break;
	case FLD_SIZE: ci->size = (uint8_t)v; break;
	case FLD_RESP: ci->resp = (uint8_t)v; break;
	case FLD_GRPID: ci->grpid = (uint16_t)v; break;
	case FLD_STAG: ci->stag = (uint16_t)v; break;
	case FLD_CS: ci->cs = (uint8_t)v; break;
	case FLD_MSH: ci->msh = (uint8_t)v; break;
	case FLD_MSIATTR: ci->msiattr = (uint8_t)v; break;
	case FLD_MSIDATA: ci->msidata = (uint32_t)v; break;
	case FLD_MSIADDR: ci->msiaddr = v; break;
	default: break;
	}
}

/* Largest value the member's C type holds (for "field not owned" tests). */
static uint64_t
fld_type_max(enum fld f)
{
	switch (f) {
	case FLD_SSV: case FLD_GLOBAL: case FLD_LEAF: return 1;
	case FLD_VMID: case FLD_ASID: case FLD_GRPID: case FLD_STAG:
		return 0xffff;
	case FLD_SID: case FLD_SSID: case FLD_MSIDATA: return 0xffffffff;
	case FLD_ADDR: case FLD_MSIADDR: return UINT64_MAX;
	default: return 0xff;
	}
}

/* Member-wise equality (the struct has padding bytes). */
static int
info_eq(const struct uiommu_cmd_info *a, const struct uiommu_cmd_info *b)
{
	return a->op == b->op && a->num == b->num && a->scale == b->scale &&
	       a->tg == b->tg && a->ttl == b->ttl && a->size == b->size &&
	       a->range == b->range && a->cs == b->cs && a->msh == b->msh &&
	       a->msiattr == b->msiattr && a->resp == b->resp &&
	       a->ssv == b->ssv && a->leaf == b->leaf &&
	       a->global == b->global && a->asid == b->asid &&
	       a->vmid == b->vmid && a->grpid == b->grpid &&
	       a->stag == b->stag && a->sid == b->sid && a->ssid == b->ssid &&
	       a->msidata == b->msidata && a->rsvd == b->rsvd &&
	       a->addr == b->addr && a->msiaddr == b->msiaddr;
}

static struct uiommu_cmd
raw(uint64_t dw0, uint64_t dw1)
{
	struct uiommu_cmd c = {
		.dw = { rte_cpu_to_le_64(dw0), rte_cpu_to_le_64(dw1) } };

	return c;
}

static uint64_t
w0(const struct uiommu_cmd *c)
{
	return rte_le_to_cpu_64(c->dw[0]);
}

static uint64_t
w1(const struct uiommu_cmd *c)
{
	return rte_le_to_cpu_64(c->dw[1]);
}

/* OR of the max vectors of op: the words with every field at max. */
static void
max_words(uint8_t op, uint64_t *m0, uint64_t *m1)
{
	*m0 = op;
	*m1 = 0;
	for (size_t i = 0; i < RTE_DIM(vecs); i++) {
		if (vecs[i].op != op)
			continue;
		*m0 |= vecs[i].dw0;
		*m1 |= vecs[i].dw1;
	}
}

/*
 * Bits opcode op owns: the max vectors, plus the low bit of the 2-bit
 * fields whose largest legal value is 2 (CS, RESP: 3 is reserved).
 */
static void
owned_bits(uint8_t op, uint64_t *m0, uint64_t *m1)
{
	max_words(op, m0, m1);
	*m0 |= 0xff;
	if (op == 0x46 || op == 0x44)
		*m0 |= 1ULL << 12;
	if (op == 0x41)
		*m1 |= 1ULL << 12;
}

static void
test_cmd_field_min_max(void)
{
	/* Min: every field 0 encodes to the bare opcode. */
	for (size_t i = 0; i < RTE_DIM(op_list); i++) {
		struct uiommu_cmd_info ci = { .op = op_list[i].op }, back;
		struct uiommu_cmd c;

		CU_ASSERT_EQUAL_FATAL(uiommu_cmd_encode(&ci, &c), 0);
		CU_ASSERT_EQUAL(w0(&c), op_list[i].op);
		CU_ASSERT_EQUAL(w1(&c), 0);
		memset(&back, 0xa5, sizeof(back));
		CU_ASSERT_EQUAL_FATAL(uiommu_cmd_decode(&c, &back), 0);
		CU_ASSERT_EQUAL(info_eq(&ci, &back), 1);
	}
	/* Max: each field alone at its largest value, at its bit position. */
	for (size_t i = 0; i < RTE_DIM(vecs); i++) {
		const struct vec *v = &vecs[i];
		struct uiommu_cmd_info ci = { .op = v->op }, back;
		struct uiommu_cmd c, in = raw(v->dw0, v->dw1);

		fld_set(&ci, v->f, v->max);
		CU_ASSERT_EQUAL_FATAL(uiommu_cmd_encode(&ci, &c), 0);
		if (w0(&c) != v->dw0 || w1(&c) != v->dw1)
			fprintf(stderr, "op 0x%x %s: got %016llx %016llx\n",
				v->op, fld_names[v->f],
				(unsigned long long)w0(&c),
				(unsigned long long)w1(&c));
		CU_ASSERT_EQUAL(w0(&c), v->dw0);
		CU_ASSERT_EQUAL(w1(&c), v->dw1);
		memset(&back, 0x5a, sizeof(back));
		CU_ASSERT_EQUAL_FATAL(uiommu_cmd_decode(&in, &back), 0);
		CU_ASSERT_EQUAL(info_eq(&ci, &back), 1);
	}
}

static void
test_cmd_all_fields_max(void)
{
	/* All fields of an opcode at max at once: the rows OR together. */
	for (size_t i = 0; i < RTE_DIM(op_list); i++) {
		uint8_t op = op_list[i].op;
		struct uiommu_cmd_info ci = { .op = op }, back;
		struct uiommu_cmd c;
		uint64_t m0, m1;

		for (size_t j = 0; j < RTE_DIM(vecs); j++)
			if (vecs[j].op == op)
				fld_set(&ci, vecs[j].f, vecs[j].max);
		max_words(op, &m0, &m1);
		CU_ASSERT_EQUAL_FATAL(uiommu_cmd_encode(&ci, &c), 0);
		CU_ASSERT_EQUAL(w0(&c), m0);
		CU_ASSERT_EQUAL(w1(&c), m1);
		CU_ASSERT_EQUAL_FATAL(uiommu_cmd_decode(&c, &back), 0);
		CU_ASSERT_EQUAL(info_eq(&ci, &back), 1);
	}
}

static void
test_cmd_encode_out_of_range(void)
{
	/* One past max (where the C type allows it) is refused. */
	for (size_t i = 0; i < RTE_DIM(vecs); i++) {
		const struct vec *v = &vecs[i];
		struct uiommu_cmd_info ci = { .op = v->op };
		struct uiommu_cmd c;

		if (v->f == FLD_ADDR || v->f == FLD_MSIADDR ||
		    v->max >= fld_type_max(v->f))
			continue;
		fld_set(&ci, v->f, v->max + 1);
		CU_ASSERT_EQUAL(uiommu_cmd_encode(&ci, &c), -EINVAL);
	}
	/* Addresses: bits below the field, and above 2^52 where bounded. */
	{
		struct uiommu_cmd_info ci = { .op = UIOMMU_CMD_TLBI_NH_VA,
					      .addr = 0x1800 };
		struct uiommu_cmd c;

		CU_ASSERT_EQUAL(uiommu_cmd_encode(&ci, &c), -EINVAL);
		ci.op = UIOMMU_CMD_TLBI_S2_IPA;
		ci.addr = 1ULL << 52;
		CU_ASSERT_EQUAL(uiommu_cmd_encode(&ci, &c), -EINVAL);
		ci.op = UIOMMU_CMD_SYNC;
		ci.addr = 0;
		ci.msiaddr = 0x1002;
		CU_ASSERT_EQUAL(uiommu_cmd_encode(&ci, &c), -EINVAL);
		ci.msiaddr = 1ULL << 52;
		CU_ASSERT_EQUAL(uiommu_cmd_encode(&ci, &c), -EINVAL);
		ci.msiaddr = 0;
		ci.rsvd = 1;
		CU_ASSERT_EQUAL(uiommu_cmd_encode(&ci, &c), -EINVAL);
	}
	/* Reserved encodings. */
	{
		struct uiommu_cmd_info ci = { .op = UIOMMU_CMD_SYNC, .cs = 3 };
		struct uiommu_cmd c;

		CU_ASSERT_EQUAL(uiommu_cmd_encode(&ci, &c), -EINVAL);
		ci = (struct uiommu_cmd_info){ .op = UIOMMU_CMD_PRI_RESP,
					       .resp = 3 };
		CU_ASSERT_EQUAL(uiommu_cmd_encode(&ci, &c), -EINVAL);
		ci.op = UIOMMU_CMD_RESUME;
		CU_ASSERT_EQUAL(uiommu_cmd_encode(&ci, &c), -EINVAL);
	}
}

static void
test_cmd_encode_foreign_field(void)
{
	/* A field the opcode does not own must be zero. */
	for (size_t i = 0; i < RTE_DIM(op_list); i++) {
		uint8_t op = op_list[i].op;

		for (int f = 0; f < FLD_COUNT; f++) {
			struct uiommu_cmd_info ci = { .op = op };
			struct uiommu_cmd c;
			bool owned = false;

			for (size_t j = 0; j < RTE_DIM(vecs); j++)
				if (vecs[j].op == op && vecs[j].f == (enum fld)f)
					owned = true;
			if (owned)
				continue;
			fld_set(&ci, (enum fld)f, f == FLD_ADDR ? 0x1000 :
				f == FLD_MSIADDR ? 0x4 : 1);
			CU_ASSERT_EQUAL(uiommu_cmd_encode(&ci, &c), -EINVAL);
		}
	}
}

static void
test_cmd_res0_each_bit(void)
{
	for (size_t i = 0; i < RTE_DIM(op_list); i++) {
		uint8_t op = op_list[i].op;
		uint64_t m0, m1;

		owned_bits(op, &m0, &m1);
		for (unsigned int b = 8; b < 128; b++) {
			uint64_t bit = 1ULL << (b & 63);
			bool in0 = b < 64;
			struct uiommu_cmd c = raw(op | (in0 ? bit : 0),
						  in0 ? 0 : bit);
			struct uiommu_cmd_info ci;
			bool owned = in0 ? (m0 & bit) != 0 : (m1 & bit) != 0;
			int rc = uiommu_cmd_decode(&c, &ci);

			if (rc != (owned ? 0 : -EINVAL))
				fprintf(stderr, "op %s bit dw%u[%u]: rc %d\n",
					op_list[i].name, in0 ? 0 : 1, b & 63,
					rc);
			CU_ASSERT_EQUAL(rc, owned ? 0 : -EINVAL);
		}
	}
}

static void
test_cmd_reserved_values(void)
{
	struct uiommu_cmd_info ci;
	struct uiommu_cmd c;

	c = raw(0x46 | (3ULL << 12), 0);
	CU_ASSERT_EQUAL(uiommu_cmd_decode(&c, &ci), -EINVAL);
	c = raw(0x46 | (2ULL << 12), 0);
	CU_ASSERT_EQUAL(uiommu_cmd_decode(&c, &ci), 0);
	CU_ASSERT_EQUAL(ci.cs, UIOMMU_CMD_SYNC_CS_SEV);
	c = raw(0x41, 3ULL << 12);
	CU_ASSERT_EQUAL(uiommu_cmd_decode(&c, &ci), -EINVAL);
	c = raw(0x44 | (3ULL << 12), 0);
	CU_ASSERT_EQUAL(uiommu_cmd_decode(&c, &ci), -EINVAL);
	/* Bits 13:12 of a TLBI are NUM, not RESP/CS: 3 is fine there. */
	c = raw(0x12 | (3ULL << 12), 0);
	CU_ASSERT_EQUAL(uiommu_cmd_decode(&c, &ci), 0);
	CU_ASSERT_EQUAL(ci.num, 3);
	CU_ASSERT_EQUAL(ci.cs, 0);
	CU_ASSERT_EQUAL(ci.resp, 0);
}

static void
test_cmd_unknown_opcodes(void)
{
	unsigned long long seed = ut_seed();

	for (unsigned int op = 0; op < 256; op++) {
		int k = op_known(op);
		struct uiommu_cmd_info ci;
		struct uiommu_cmd c = raw(op, 0);

		if (k >= 0) {
			CU_ASSERT_STRING_EQUAL(uiommu_cmd_name((uint8_t)op),
					       op_list[k].name);
			CU_ASSERT_EQUAL(uiommu_cmd_guest_allowed((uint8_t)op),
					op_list[k].guest);
			CU_ASSERT_EQUAL(uiommu_cmd_decode(&c, &ci), 0);
			CU_ASSERT_EQUAL(ci.op, op);
			continue;
		}
		CU_ASSERT_STRING_EQUAL(uiommu_cmd_name((uint8_t)op), "UNKNOWN");
		CU_ASSERT_FALSE(uiommu_cmd_guest_allowed((uint8_t)op));
		CU_ASSERT_EQUAL(uiommu_cmd_decode(&c, &ci), -EOPNOTSUPP);
		for (int i = 0; i < 16; i++) {
			c = raw((ut_rand(&seed) & ~0xffULL) | op, ut_rand(&seed));
			CU_ASSERT_EQUAL(uiommu_cmd_decode(&c, &ci),
					-EOPNOTSUPP);
		}
		ci = (struct uiommu_cmd_info){ .op = (uint8_t)op };
		CU_ASSERT_EQUAL(uiommu_cmd_encode(&ci, &c), -EOPNOTSUPP);
	}
}

static void
test_cmd_random_round_trip(void)
{
	unsigned long long seed = ut_seed();
	unsigned int ok = 0;

	for (int i = 0; i < 200000; i++) {
		uint8_t op = op_list[ut_rand(&seed) % RTE_DIM(op_list)].op;
		uint64_t m0, m1, d0, d1;
		struct uiommu_cmd c, again;
		struct uiommu_cmd_info ci;
		int rc;

		owned_bits(op, &m0, &m1);
		d0 = ut_rand(&seed);
		d1 = ut_rand(&seed);
		/* Half the time only owned bits, else anything goes. */
		if (i & 1) {
			d0 &= m0;
			d1 &= m1;
		}
		d0 = (d0 & ~0xffULL) | op;
		c = raw(d0, d1);
		rc = uiommu_cmd_decode(&c, &ci);
		if ((d0 & ~m0) || (d1 & ~m1)) {
			CU_ASSERT_EQUAL(rc, -EINVAL);
			continue;
		}
		if (rc == -EINVAL) {
			/* Only reserved encodings may fail here. */
			CU_ASSERT_TRUE((op == 0x46 && ((d0 >> 12) & 3) == 3) ||
				       (op == 0x44 && ((d0 >> 12) & 3) == 3) ||
				       (op == 0x41 && ((d1 >> 12) & 3) == 3));
			continue;
		}
		CU_ASSERT_EQUAL_FATAL(rc, 0);
		CU_ASSERT_EQUAL_FATAL(uiommu_cmd_encode(&ci, &again), 0);
		CU_ASSERT_EQUAL(w0(&again), d0);
		CU_ASSERT_EQUAL(w1(&again), d1);
		ok++;
	}
	CU_ASSERT_TRUE(ok > 50000);
}

static void
test_cmd_linux_msipoll_sync(void)
{
	/* CMD_SYNC as Linux builds it for MSI polling: CS=IRQ, MSH=ISH,
	 * MSIATTR=OIWB, MSIDATA=0, MSIADDR = the slot itself. */
	struct uiommu_cmd_info ci = {
		.op = UIOMMU_CMD_SYNC, .cs = UIOMMU_CMD_SYNC_CS_IRQ,
		.msh = 3, .msiattr = 0xf, .msiaddr = 0x8000123450ULL };
	struct uiommu_cmd c;

	CU_ASSERT_EQUAL_FATAL(uiommu_cmd_encode(&ci, &c), 0);
	CU_ASSERT_EQUAL(w0(&c), 0x000000000fc01046ULL);
	CU_ASSERT_EQUAL(w1(&c), 0x0000008000123450ULL);
	/* The in-memory byte order is little-endian. */
	CU_ASSERT_EQUAL(((const uint8_t *)&c)[0], 0x46);
	CU_ASSERT_EQUAL(((const uint8_t *)&c)[1], 0x10);
	CU_ASSERT_EQUAL(((const uint8_t *)&c)[8], 0x50);
}

static void
test_cmd_tlbi_span(void)
{
	struct uiommu_cmd_info ci = { .op = UIOMMU_CMD_TLBI_NH_VA };
	uint64_t first, last;

	/* TG = 0: the single address, NUM/SCALE ignored. */
	ci.addr = 0x1234000;
	ci.num = 5;
	ci.scale = 3;
	CU_ASSERT_EQUAL(uiommu_cmd_tlbi_span(&ci, &first, &last), 0);
	CU_ASSERT_EQUAL(first, 0x1234000);
	CU_ASSERT_EQUAL(last, 0x1234000);

	/* 4 KiB granule, one page. */
	ci.tg = UIOMMU_CMD_TG_4K;
	ci.num = 0;
	ci.scale = 0;
	ci.addr = 0x5000;
	CU_ASSERT_EQUAL(uiommu_cmd_tlbi_span(&ci, &first, &last), 0);
	CU_ASSERT_EQUAL(first, 0x5000);
	CU_ASSERT_EQUAL(last, 0x5fff);

	/* (3 + 1) << 2 = 16 pages of 4 KiB. */
	ci.num = 3;
	ci.scale = 2;
	CU_ASSERT_EQUAL(uiommu_cmd_tlbi_span(&ci, &first, &last), 0);
	CU_ASSERT_EQUAL(first, 0x5000);
	CU_ASSERT_EQUAL(last, 0x14fff);

	/* 16 KiB granule: address rounded down to it. */
	ci.op = UIOMMU_CMD_TLBI_NH_VAA;
	ci.tg = UIOMMU_CMD_TG_16K;
	ci.num = 0;
	ci.scale = 0;
	ci.addr = 0x7000;
	CU_ASSERT_EQUAL(uiommu_cmd_tlbi_span(&ci, &first, &last), 0);
	CU_ASSERT_EQUAL(first, 0x4000);
	CU_ASSERT_EQUAL(last, 0x7fff);

	/* Largest range: 32 << 31 granules of 64 KiB = 2^52 bytes. */
	ci.op = UIOMMU_CMD_TLBI_S2_IPA;
	ci.tg = UIOMMU_CMD_TG_64K;
	ci.num = 31;
	ci.scale = 31;
	ci.addr = 0;
	CU_ASSERT_EQUAL(uiommu_cmd_tlbi_span(&ci, &first, &last), 0);
	CU_ASSERT_EQUAL(first, 0);
	CU_ASSERT_EQUAL(last, (1ULL << 52) - 1);

	/* Running past 2^64 - 1 is clamped. */
	ci.op = UIOMMU_CMD_TLBI_EL2_VA;
	ci.addr = 0xfffffffffff00000ULL;
	CU_ASSERT_EQUAL(uiommu_cmd_tlbi_span(&ci, &first, &last), 0);
	CU_ASSERT_EQUAL(first, 0xfffffffffff00000ULL);
	CU_ASSERT_EQUAL(last, UINT64_MAX);

	/* Not an address-based TLBI. */
	for (size_t i = 0; i < RTE_DIM(op_list); i++) {
		uint8_t op = op_list[i].op;
		struct uiommu_cmd_info o = { .op = op };
		int want = (op == 0x12 || op == 0x13 || op == 0x22 ||
			    op == 0x2a) ? 0 : -EINVAL;

		CU_ASSERT_EQUAL(uiommu_cmd_tlbi_span(&o, &first, &last), want);
	}
}

static void
test_cmd_tlbi_span_vs_naive(void)
{
	unsigned long long seed = ut_seed();

	for (int i = 0; i < 2000; i++) {
		struct uiommu_cmd_info ci = { .op = UIOMMU_CMD_TLBI_NH_VA };
		uint64_t first, last, g, n, start, end;

		ci.tg = (uint8_t)(1 + ut_rand(&seed) % 3);
		ci.num = (uint8_t)(ut_rand(&seed) % 32);
		ci.scale = (uint8_t)(ut_rand(&seed) % 6);
		ci.addr = (ut_rand(&seed) >> 20) << 12;
		CU_ASSERT_EQUAL_FATAL(uiommu_cmd_tlbi_span(&ci, &first, &last), 0);
		/* Naive: walk granule by granule. */
		g = ci.tg == 1 ? 4096 : ci.tg == 2 ? 16384 : 65536;
		start = ci.addr - ci.addr % g;
		end = start;
		for (n = 0; n < ((uint64_t)ci.num + 1) * (1ULL << ci.scale); n++)
			end += g;
		CU_ASSERT_EQUAL(first, start);
		CU_ASSERT_EQUAL(last, end - 1);
	}
}

static void
test_cmd_atc_cfgi_span(void)
{
	struct uiommu_cmd_info ci = { .op = UIOMMU_CMD_ATC_INV };
	uint64_t first, last;
	uint32_t sf, sl;

	ci.addr = 0x12345000;
	CU_ASSERT_EQUAL(uiommu_cmd_atc_span(&ci, &first, &last), 0);
	CU_ASSERT_EQUAL(first, 0x12345000);
	CU_ASSERT_EQUAL(last, 0x12345fff);
	ci.size = 4;
	CU_ASSERT_EQUAL(uiommu_cmd_atc_span(&ci, &first, &last), 0);
	CU_ASSERT_EQUAL(first, 0x12340000);
	CU_ASSERT_EQUAL(last, 0x1234ffff);
	ci.size = 51;
	ci.addr = 0xfffffffffffff000ULL;
	CU_ASSERT_EQUAL(uiommu_cmd_atc_span(&ci, &first, &last), 0);
	CU_ASSERT_EQUAL(first, 0x8000000000000000ULL);
	CU_ASSERT_EQUAL(last, UINT64_MAX);
	for (unsigned int s = UIOMMU_CMD_ATC_SIZE_ALL; s < 64; s++) {
		ci.size = (uint8_t)s;
		CU_ASSERT_EQUAL(uiommu_cmd_atc_span(&ci, &first, &last), 0);
		CU_ASSERT_EQUAL(first, 0);
		CU_ASSERT_EQUAL(last, UINT64_MAX);
	}
	ci.op = UIOMMU_CMD_TLBI_NH_VA;
	CU_ASSERT_EQUAL(uiommu_cmd_atc_span(&ci, &first, &last), -EINVAL);

	ci = (struct uiommu_cmd_info){ .op = UIOMMU_CMD_CFGI_ALL,
				       .range = 31, .sid = 0x1234 };
	CU_ASSERT_EQUAL(uiommu_cmd_cfgi_sid_span(&ci, &sf, &sl), 0);
	CU_ASSERT_EQUAL(sf, 0);
	CU_ASSERT_EQUAL(sl, 0xffffffffu);
	ci.range = 0;
	ci.sid = 5;
	CU_ASSERT_EQUAL(uiommu_cmd_cfgi_sid_span(&ci, &sf, &sl), 0);
	CU_ASSERT_EQUAL(sf, 4);
	CU_ASSERT_EQUAL(sl, 5);
	ci.range = 3;
	ci.sid = 0x1234;
	CU_ASSERT_EQUAL(uiommu_cmd_cfgi_sid_span(&ci, &sf, &sl), 0);
	CU_ASSERT_EQUAL(sf, 0x1230);
	CU_ASSERT_EQUAL(sl, 0x123f);
	ci.op = UIOMMU_CMD_CFGI_STE;
	CU_ASSERT_EQUAL(uiommu_cmd_cfgi_sid_span(&ci, &sf, &sl), -EINVAL);
}

static const struct ut_case cases[] = {
	UT_CASE(test_cmd_field_min_max),
	UT_CASE(test_cmd_all_fields_max),
	UT_CASE(test_cmd_encode_out_of_range),
	UT_CASE(test_cmd_encode_foreign_field),
	UT_CASE(test_cmd_res0_each_bit),
	UT_CASE(test_cmd_reserved_values),
	UT_CASE(test_cmd_unknown_opcodes),
	UT_CASE(test_cmd_random_round_trip),
	UT_CASE(test_cmd_linux_msipoll_sync),
	UT_CASE(test_cmd_tlbi_span),
	UT_CASE(test_cmd_tlbi_span_vs_naive),
	UT_CASE(test_cmd_atc_cfgi_span),
	UT_END
};

int
main(int argc, char **argv)
{
	return ut_main("cmd", cases, argc, argv);
}
