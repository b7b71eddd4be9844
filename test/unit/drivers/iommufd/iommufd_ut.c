/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests of the iommufd backend, without a kernel.
 *
 * The backend is driven through its ops table (uiommu_backend_find) with a
 * hand-made guest memory; every ioctl it makes goes to the scripted mock
 * (iofd_mock.h, linked with --wrap=ioctl), which plays the kernel. Each
 * test checks the exact sequence of ioctls and the exact bytes of their
 * argument structs and request arrays, the handling of partial failure
 * (entry_num), and the ENOTTY feature-detection paths. The pure functions
 * (hw_info parsing, request-array building) are tested directly.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "uiommu_ut.h"
#include "uiommu_backend.h"
#include "uiommu_cmd.h"
#include "iommufd_private.h"
#include "uiommu_iommufd.h"
#include "iofd_mock.h"

#define RAM_GPA  0x1000000ULL   /* inside the mock aperture */
#define RAM_SIZE 0x200000ULL
#define STRTAB_GPA (RAM_GPA + 0x10000)
#define CD_GPA   (RAM_GPA + 0x20000)
#define CD2_GPA  (RAM_GPA + 0x21000)

/* Object IDs the scripted kernel hands out. */
enum { ID_IOAS = 1, ID_ABORT = 2, ID_STDEV = 3, ID_IDEV = 4, ID_PARENT = 5,
       ID_NESTED = 6, ID_NESTED2 = 7, ID_KVIOMMU = 8, ID_VDEV = 9 };

static struct uiommu_gmem g_gm;
static uint8_t *g_ram;
static int g_memfd = -1;

static const struct iofd_hw_info_selftest hw_test = {
	.test_reg = IOFD_HW_INFO_SELFTEST_REGVAL,
};
static const struct iofd_hw_info_arm_smmuv3 hw_smmu = {
	.idr = { 0x3, 0, 0, 1u << 10, 0, (1u << 4) | 5 },
};

static const struct uiommu_backend_ops *
be(void)
{
	const struct uiommu_backend_ops *o = uiommu_backend_find("iommufd");

	UT_ASSERT_FATAL(o != NULL);
	return o;
}

/* One RAM region backed by a memfd, published (fd known). */
static void
ram_init(void)
{
	if (g_ram != NULL)
		return;
	g_memfd = memfd_create("iofd_ut", MFD_CLOEXEC);
	UT_ASSERT_FATAL(g_memfd >= 0);
	UT_ASSERT_FATAL(ftruncate(g_memfd, RAM_SIZE) == 0);
	g_ram = mmap(NULL, RAM_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED,
		     g_memfd, 0);
	UT_ASSERT_FATAL(g_ram != MAP_FAILED);
	g_gm.nr = 1;
	g_gm.r[0] = (struct uiommu_gmem_region){
		.gpa = RAM_GPA, .last = RAM_GPA + RAM_SIZE - 1, .hva = g_ram,
		.size = RAM_SIZE, .fd = g_memfd, .offset = 0,
	};
}

static struct iofd_viommu *
viommu_new(const char *extra)
{
	static const struct mock_step s[] = { MOCK_OK(IOFD_IOCTL_IOAS_ALLOC, ID_IOAS) };
	char args[256];
	struct uiommu_viommu_cfg cfg = { .vmid = 7, .gmem = &g_gm, .args = args };
	void *priv = NULL;

	ram_init();
	snprintf(args, sizeof(args), "dev=%s%s%s", mock_dev_path(),
		 extra ? "," : "", extra ? extra : "");
	mock_script(s, 1);
	UT_ASSERT_FATAL(be()->viommu_alloc(&cfg, &priv) == 0);
	UT_ASSERT_FATAL(mock_done());
	return priv;
}

static void
viommu_del(struct iofd_viommu *vi, unsigned int ndestroy)
{
	struct mock_step s[8];

	for (unsigned int i = 0; i < ndestroy; i++)
		s[i] = (struct mock_step)MOCK_OK(IOFD_IOCTL_DESTROY, 0);
	mock_script(s, ndestroy);
	be()->viommu_free(vi);
	CU_ASSERT(mock_done());
	mock_off();
}

/* Bind "iommufd:mock" as the vIOMMU's first device (selftest kernel). */
static struct iofd_dev *
mock_dev_new(struct iofd_viommu *vi, uint32_t vsid)
{
	struct mock_step s[] = {
		MOCK_OK(IOFD_IOCTL_IOAS_ALLOC, ID_ABORT),
		{ .req = IOFD_IOCTL_TEST, .id = ID_STDEV, .id2 = ID_IDEV,
		  .entry_num = -1 },
		{ .req = IOFD_IOCTL_GET_HW_INFO, .hw_type = IOFD_HW_INFO_TYPE_SELFTEST,
		  .hw_data = &hw_test, .hw_len = sizeof(hw_test), .entry_num = -1 },
		MOCK_ERR(IOFD_IOCTL_HWPT_INVALIDATE, EINVAL),  /* known ioctl */
		MOCK_OK(IOFD_IOCTL_HWPT_ALLOC, ID_PARENT),
	};
	struct uiommu_vdevice_out out = { .fd = -2 };
	void *dp = NULL;

	mock_script(s, RTE_DIM(s));
	UT_ASSERT_FATAL(be()->vdevice_alloc(vi, "mock", vsid, NULL, &dp, &out) == 0);
	UT_ASSERT_FATAL(mock_done());
	CU_ASSERT_EQUAL(out.fd, -1);
	CU_ASSERT_PTR_NULL(out.regs);
	return dp;
}

/* A guest STE: V, Config, S1ContextPtr, plus fields the kernel refuses. */
static void
ste_make(struct uiommu_ste_info *ste, unsigned int cfg, uint64_t cd_gpa)
{
	uint64_t raw[8] = {0};

	raw[0] = UIOMMU_STE0_V | ((uint64_t)cfg << UIOMMU_STE0_CFG_SHIFT) |
		 (cd_gpa & UIOMMU_STE0_S1CTXPTR_MASK);
	/* S1DSS = 1 and S1CIR = 1 (allowed); STRW = 2, SHCFG = 1 (not). */
	raw[1] = 1ULL | (1ULL << UIOMMU_STE1_S1CIR_SHIFT) |
		 (2ULL << UIOMMU_STE1_STRW_SHIFT) |
		 (1ULL << UIOMMU_STE1_SHCFG_SHIFT);
	raw[2] = 0x1234;   /* stage-2 words: the host's, never passed on */
	UT_ASSERT_FATAL(uiommu_ste_decode(raw, ste) == 0);
}

static struct uiommu_inv
inv_va(uint64_t va, bool leaf)
{
	struct uiommu_inv e = { .op = UIOMMU_CMD_TLBI_NH_VA, .leaf = leaf,
				.asid = 3, .vmid = 7, .first = va, .last = va };

	e.raw[0] = UIOMMU_CMD_TLBI_NH_VA | (7ULL << 32) | (3ULL << 48);
	e.raw[1] = va | (leaf ? 1 : 0);
	return e;
}

static struct uiommu_inv
inv_op(uint8_t op, void *dev)
{
	struct uiommu_inv e = { .op = op, .vmid = 7, .dev = dev, .vsid = 5 };

	e.raw[0] = op | (5ULL << 32);
	e.raw[1] = 0;
	return e;
}

/* ------------------------------------------------------------ hw_info */

static void
test_hw_parse_selftest(void)
{
	struct iofd_hw hw;

	CU_ASSERT_EQUAL(iofd_hw_parse(IOFD_HW_INFO_TYPE_SELFTEST, &hw_test,
				      sizeof(hw_test), 0, &hw), 0);
	CU_ASSERT(hw.nesting);
	CU_ASSERT_EQUAL(hw.hwpt_data_type, IOFD_HWPT_DATA_SELFTEST);
	CU_ASSERT_EQUAL(hw.inv_data_type, IOFD_INV_DATA_SELFTEST);
	CU_ASSERT_EQUAL(hw.inv_entry_len, 8);
	CU_ASSERT_EQUAL(hw.viommu_type, 0);
	CU_ASSERT(hw.caps & UIOMMU_HW_CAP_NESTING);
	CU_ASSERT(strstr(hw.model, "deadbeef") != NULL);
}

static void
test_hw_parse_vtd(void)
{
	struct iofd_hw_info_vtd v = {
		/* MGAW 47 -> 48 bits; SLLPS 2M + 1G. */
		.cap_reg = (47ULL << 16) | (3ULL << 34),
		.ecap_reg = (1ULL << 26) | (1ULL << 43) | (1ULL << 47),
	};
	struct iofd_hw hw;

	CU_ASSERT_EQUAL(iofd_hw_parse(IOFD_HW_INFO_TYPE_INTEL_VTD, &v, sizeof(v),
				      IOFD_HW_CAP_DIRTY_TRACKING, &hw), 0);
	CU_ASSERT(hw.nesting);
	CU_ASSERT_EQUAL(hw.hwpt_data_type, IOFD_HWPT_DATA_VTD_S1);
	CU_ASSERT_EQUAL(hw.inv_data_type, IOFD_INV_DATA_VTD_S1);
	CU_ASSERT_EQUAL(hw.inv_entry_len, 24);
	CU_ASSERT_EQUAL(hw.ias, 48);
	CU_ASSERT_EQUAL(hw.pgsize_bitmap, (1ULL << 12) | (1ULL << 21) | (1ULL << 30));
	CU_ASSERT(hw.caps & UIOMMU_HW_CAP_FMT_X86_64);
	CU_ASSERT_EQUAL(hw.kcaps, IOFD_HW_CAP_DIRTY_TRACKING);
	/* QEMU's emulated VT-d: no NEST bit -> shadow. */
	v.ecap_reg &= ~(1ULL << 26);
	CU_ASSERT_EQUAL(iofd_hw_parse(IOFD_HW_INFO_TYPE_INTEL_VTD, &v, sizeof(v),
				      0, &hw), 0);
	CU_ASSERT(!hw.nesting);
	CU_ASSERT(hw.caps & UIOMMU_HW_CAP_SHADOW);
	CU_ASSERT(!(hw.caps & UIOMMU_HW_CAP_NESTING));
}

static void
test_hw_parse_smmuv3(void)
{
	struct iofd_hw_info_arm_smmuv3 s = hw_smmu;
	struct iofd_hw hw;

	CU_ASSERT_EQUAL(iofd_hw_parse(IOFD_HW_INFO_TYPE_ARM_SMMUV3, &s, sizeof(s),
				      0, &hw), 0);
	CU_ASSERT(hw.nesting);
	CU_ASSERT_EQUAL(hw.viommu_type, IOFD_VIOMMU_TYPE_ARM_SMMUV3);
	CU_ASSERT_EQUAL(hw.inv_data_type, IOFD_INV_DATA_ARM_SMMUV3);
	CU_ASSERT_EQUAL(hw.inv_entry_len, 16);
	CU_ASSERT_EQUAL(hw.oas, 48);
	CU_ASSERT(hw.caps & UIOMMU_HW_CAP_RANGE_INV);
	CU_ASSERT(hw.caps & UIOMMU_HW_CAP_FMT_LPAE);
	CU_ASSERT_EQUAL(hw.pgsize_bitmap, (1ULL << 12) | (1ULL << 21) | (1ULL << 30));
	s.idr[0] = 0x1;   /* S2P only */
	CU_ASSERT_EQUAL(iofd_hw_parse(IOFD_HW_INFO_TYPE_ARM_SMMUV3, &s, sizeof(s),
				      0, &hw), 0);
	CU_ASSERT(!hw.nesting);
}

static void
test_hw_parse_unknown_and_short(void)
{
	uint8_t big[IOFD_HW_INFO_DATA_MAX + 1] = {0};
	struct iofd_hw hw;

	CU_ASSERT_EQUAL(iofd_hw_parse(0x1234, NULL, 0, 0, &hw), 0);
	CU_ASSERT(!hw.nesting);
	CU_ASSERT(hw.caps & UIOMMU_HW_CAP_SHADOW);
	CU_ASSERT_EQUAL(hw.inv_entry_len, 0);
	/* A VT-d answer too short to hold CAP/ECAP cannot nest. */
	CU_ASSERT_EQUAL(iofd_hw_parse(IOFD_HW_INFO_TYPE_INTEL_VTD, big, 8, 0, &hw), 0);
	CU_ASSERT(!hw.nesting);
	CU_ASSERT_EQUAL(iofd_hw_parse(IOFD_HW_INFO_TYPE_SELFTEST, big,
				      sizeof(big), 0, &hw), -EOVERFLOW);
	CU_ASSERT_EQUAL(iofd_hw_parse(IOFD_HW_INFO_TYPE_SELFTEST, NULL, 4, 0, &hw),
			-EINVAL);
	CU_ASSERT_EQUAL(iofd_hw_parse(0, NULL, 0, 0, NULL), -EINVAL);
}

/* ------------------------------------------------- request-array building */

static void
test_inv_build_selftest_bytes(void)
{
	struct iofd_s1 s1 = {0}, other = {0};
	struct iofd_dev on = { .attach = IOFD_ATTACH_NESTED, .s1 = &s1 };
	struct iofd_dev off = { .attach = IOFD_ATTACH_NESTED, .s1 = &other };
	struct uiommu_inv b[8];
	struct iofd_inv_selftest req[8];
	uint16_t map[8];
	unsigned int k;

	b[0] = inv_va(0x1000, false);                    /* slot 1 */
	b[1] = inv_va(0x3fff, true);                     /* page 3 */
	b[2] = inv_va(0x2000, false);
	b[2].last = 0x3fff;                              /* two pages: ALL */
	b[3] = inv_op(UIOMMU_CMD_CFGI_STE, &on);         /* skipped */
	b[4] = inv_op(UIOMMU_CMD_TLBI_NH_ASID, NULL);    /* ALL */
	b[5] = inv_op(UIOMMU_CMD_ATC_INV, &off);         /* other HWPT: skipped */
	b[6] = inv_op(UIOMMU_CMD_CFGI_CD, &on);          /* ALL */
	b[7] = inv_va(0x9000ULL << 32, false);           /* page > u32: clamped */
	memset(req, 0xa5, sizeof(req));
	k = iofd_inv_build(IOFD_INV_DATA_SELFTEST, b, 8, &s1, req, map);
	CU_ASSERT_EQUAL(k, 6);
	const struct iofd_inv_selftest want[6] = {
		{ 0, 1 }, { 0, 3 }, { IOFD_TEST_INVALIDATE_FLAG_ALL, 0 },
		{ IOFD_TEST_INVALIDATE_FLAG_ALL, 0 },
		{ IOFD_TEST_INVALIDATE_FLAG_ALL, 0 }, { 0, UINT32_MAX },
	};
	const uint16_t want_map[6] = { 0, 1, 2, 4, 6, 7 };

	CU_ASSERT_EQUAL(memcmp(req, want, sizeof(want)), 0);
	CU_ASSERT_EQUAL(memcmp(map, want_map, sizeof(want_map)), 0);
	/* The untouched tail was not written. */
	CU_ASSERT_EQUAL(((uint8_t *)req)[sizeof(want)], 0xa5);
}

static void
test_inv_build_vtd_bytes(void)
{
	struct iofd_s1 s1 = {0};
	struct iofd_dev on = { .attach = IOFD_ATTACH_NESTED, .s1 = &s1 };
	struct uiommu_inv b[5];
	struct iofd_inv_vtd_s1 req[5];
	uint16_t map[5];

	b[0] = inv_va(0x5123, true);
	b[1] = inv_va(0x10000, false);
	b[1].last = 0x2ffff;
	b[2] = inv_op(UIOMMU_CMD_TLBI_NH_ALL, NULL);
	b[3] = inv_op(UIOMMU_CMD_ATC_INV, &on);
	b[3].first = 0;
	b[3].last = UINT64_MAX;
	b[4] = inv_op(UIOMMU_CMD_CFGI_ALL, NULL);        /* skipped */
	memset(req, 0xa5, sizeof(req));
	CU_ASSERT_EQUAL(iofd_inv_build(IOFD_INV_DATA_VTD_S1, b, 5, &s1, req, map), 4);
	const struct iofd_inv_vtd_s1 want[4] = {
		{ .addr = 0x5000, .npages = 1, .flags = IOFD_VTD_INV_FLAGS_LEAF },
		{ .addr = 0x10000, .npages = 0x20, .flags = 0 },
		{ .addr = 0, .npages = UINT64_MAX, .flags = 0 },
		{ .addr = 0, .npages = UINT64_MAX, .flags = 0 },
	};

	CU_ASSERT_EQUAL(memcmp(req, want, sizeof(want)), 0);
	CU_ASSERT_EQUAL(map[3], 3);
}

static void
test_inv_build_smmuv3_raw(void)
{
	struct iofd_dev dev = { .attach = IOFD_ATTACH_NESTED };
	struct uiommu_inv b[4];
	struct iofd_inv_arm_smmuv3 req[4];
	uint16_t map[4];

	b[0] = inv_op(UIOMMU_CMD_CFGI_STE, &dev);   /* set_ste did it: skipped */
	b[1] = inv_va(0x7000, true);
	b[2] = inv_op(UIOMMU_CMD_ATC_INV, &dev);    /* vIOMMU: always kept */
	b[3] = inv_op(UIOMMU_CMD_TLBI_NH_ALL, NULL);
	CU_ASSERT_EQUAL(iofd_inv_build(IOFD_INV_DATA_ARM_SMMUV3, b, 4, NULL,
				       req, map), 3);
	for (unsigned int i = 0; i < 3; i++) {
		CU_ASSERT_EQUAL(map[i], i + 1);
		CU_ASSERT_EQUAL(req[i].cmd[0], b[i + 1].raw[0]);
		CU_ASSERT_EQUAL(req[i].cmd[1], b[i + 1].raw[1]);
	}
	/* An unknown type builds nothing. */
	CU_ASSERT_EQUAL(iofd_inv_build(0x77, b, 4, NULL, req, map), 0);
}

/* ------------------------------------------------ vIOMMU and stage 2 */

static void
test_viommu_alloc_args(void)
{
	struct uiommu_viommu_cfg cfg = { .vmid = 1, .gmem = &g_gm };
	struct iofd_viommu *vi;
	void *priv = NULL;

	ram_init();
	cfg.args = "dev=relative/path";
	CU_ASSERT_EQUAL(be()->viommu_alloc(&cfg, &priv), -EINVAL);
	cfg.args = "nesting=maybe";
	CU_ASSERT_EQUAL(be()->viommu_alloc(&cfg, &priv), -EINVAL);
	cfg.args = "dev=/nonexistent/iommu";
	CU_ASSERT_EQUAL(be()->viommu_alloc(&cfg, &priv), -ENOENT);
	CU_ASSERT_PTR_NULL(priv);

	vi = viommu_new("nesting=off");
	CU_ASSERT(vi->force_shadow);
	const struct iofd_ioas_alloc *ia = (const void *)mock_call(0)->arg;
	CU_ASSERT_EQUAL(mock_call(0)->req, IOFD_IOCTL_IOAS_ALLOC);
	CU_ASSERT_EQUAL(ia->size, sizeof(*ia));
	CU_ASSERT_EQUAL(ia->flags, 0);
	CU_ASSERT_EQUAL(vi->ioas_id, ID_IOAS);
	viommu_del(vi, 1);
}

static void
test_s2_map_file_then_enotty(void)
{
	struct iofd_viommu *vi = viommu_new(NULL);
	struct mock_step s[] = {
		MOCK_OK(IOFD_IOCTL_IOAS_MAP_FILE, 0),
	};

	/* The published region: mapped by file. */
	mock_script(s, 1);
	CU_ASSERT_EQUAL(be()->s2_map(vi, RAM_GPA, g_ram, RAM_SIZE,
				     UIOMMU_PROT_READ | UIOMMU_PROT_WRITE), 0);
	CU_ASSERT(mock_done());
	const struct iofd_ioas_map_file want = {
		.size = sizeof(want),
		.flags = IOFD_IOAS_MAP_FIXED_IOVA | IOFD_IOAS_MAP_READABLE |
			 IOFD_IOAS_MAP_WRITEABLE,
		.ioas_id = ID_IOAS, .fd = g_memfd, .start = 0,
		.length = RAM_SIZE, .iova = RAM_GPA,
	};
	CU_ASSERT_EQUAL(memcmp(mock_call(0)->arg, &want, sizeof(want)), 0);
	viommu_del(vi, 1);

	/* A kernel without MAP_FILE (6.12): ENOTTY, then by VA, remembered. */
	vi = viommu_new(NULL);
	struct mock_step s2[] = {
		MOCK_ERR(IOFD_IOCTL_IOAS_MAP_FILE, ENOTTY),
		MOCK_OK(IOFD_IOCTL_IOAS_MAP, 0),
		MOCK_OK(IOFD_IOCTL_IOAS_MAP, 0),
	};
	mock_script(s2, RTE_DIM(s2));
	CU_ASSERT_EQUAL(be()->s2_map(vi, RAM_GPA, g_ram, RAM_SIZE,
				     UIOMMU_PROT_READ), 0);
	CU_ASSERT_EQUAL(vi->map_file, IOFD_FEAT_NO);
	CU_ASSERT_EQUAL(be()->s2_map(vi, RAM_GPA, g_ram, RAM_SIZE,
				     UIOMMU_PROT_READ | UIOMMU_PROT_WRITE), 0);
	CU_ASSERT(mock_done());
	const struct iofd_ioas_map wm = {
		.size = sizeof(wm),
		.flags = IOFD_IOAS_MAP_FIXED_IOVA | IOFD_IOAS_MAP_READABLE,
		.ioas_id = ID_IOAS, .user_va = (uint64_t)(uintptr_t)g_ram,
		.length = RAM_SIZE, .iova = RAM_GPA,
	};
	CU_ASSERT_EQUAL(memcmp(mock_call(1)->arg, &wm, sizeof(wm)), 0);

	/* An unpublished region (no fd known) goes by VA; errors pass through. */
	struct mock_step s3[] = {
		MOCK_ERR(IOFD_IOCTL_IOAS_MAP, EEXIST),
		MOCK_OK(IOFD_IOCTL_IOAS_UNMAP, 0),
	};
	vi->map_file = IOFD_FEAT_UNKNOWN;
	mock_script(s3, RTE_DIM(s3));
	CU_ASSERT_EQUAL(be()->s2_map(vi, RAM_GPA + RAM_SIZE, g_ram, 0x1000,
				     UIOMMU_PROT_READ), -EEXIST);
	CU_ASSERT_EQUAL(be()->s2_map(vi, RAM_GPA, g_ram, 0, UIOMMU_PROT_READ),
			-EINVAL);
	CU_ASSERT_EQUAL(be()->s2_map(vi, UINT64_MAX, g_ram, 0x2000,
				     UIOMMU_PROT_READ), -EOVERFLOW);
	be()->s2_unmap(vi, RAM_GPA, RAM_SIZE);
	CU_ASSERT(mock_done());
	const struct iofd_ioas_unmap wu = {
		.size = sizeof(wu), .ioas_id = ID_IOAS, .iova = RAM_GPA,
		.length = RAM_SIZE,
	};
	CU_ASSERT_EQUAL(memcmp(mock_call(1)->arg, &wu, sizeof(wu)), 0);
	viommu_del(vi, 1);
}

/* ----------------------------------------------- devices and nesting */

static void
test_mock_device_nested_setup(void)
{
	struct iofd_viommu *vi = viommu_new(NULL);
	struct iofd_dev *d = mock_dev_new(vi, 5);
	struct uiommu_hw_info info;

	/* MOCK_DOMAIN on the empty abort IOAS: the device starts blocked. */
	const struct iofd_test_cmd *tc = (const void *)mock_call(1)->arg;
	CU_ASSERT_EQUAL(tc->size, sizeof(*tc));
	CU_ASSERT_EQUAL(tc->op, IOFD_TEST_OP_MOCK_DOMAIN);
	CU_ASSERT_EQUAL(tc->id, ID_ABORT);
	const struct iofd_hw_info *hi = (const void *)mock_call(2)->arg;
	CU_ASSERT_EQUAL(hi->dev_id, ID_IDEV);
	CU_ASSERT_EQUAL(hi->data_len, IOFD_HW_INFO_DATA_MAX);
	/* Probe of HWPT_INVALIDATE with a zero size. */
	CU_ASSERT_EQUAL(mock_call(3)->arg_len, 4);
	const struct iofd_hwpt_alloc want = {
		.size = sizeof(want), .flags = IOFD_HWPT_ALLOC_NEST_PARENT,
		.dev_id = ID_IDEV, .pt_id = ID_IOAS,
	};
	CU_ASSERT_EQUAL(memcmp(mock_call(4)->arg, &want, sizeof(want)), 0);
	CU_ASSERT_EQUAL(vi->mode, IOFD_MODE_NESTED);
	CU_ASSERT_EQUAL(vi->parent_id, ID_PARENT);
	CU_ASSERT_EQUAL(vi->kviommu_id, 0);
	CU_ASSERT_EQUAL(d->attach, IOFD_ATTACH_BLOCKED);
	CU_ASSERT_EQUAL(d->dev_id, ID_IDEV);

	CU_ASSERT_EQUAL(be()->hw_info(&info), 0);
	CU_ASSERT_STRING_EQUAL(info.name, "iommufd");
	CU_ASSERT(info.caps & UIOMMU_HW_CAP_NESTING);
	CU_ASSERT_EQUAL(info.hw_info_type, IOFD_HW_INFO_TYPE_SELFTEST);

	/* Free: already blocked, so only the selftest object goes. */
	struct mock_step f[] = { MOCK_OK(IOFD_IOCTL_DESTROY, 0) };
	mock_script(f, 1);
	be()->vdevice_free(d);
	CU_ASSERT(mock_done());
	CU_ASSERT_EQUAL(((const struct iofd_destroy *)mock_call(0)->arg)->id,
			ID_STDEV);
	/* vIOMMU: parent, abort IOAS, IOAS. */
	viommu_del(vi, 3);
	CU_ASSERT_EQUAL(((const struct iofd_destroy *)mock_call(0)->arg)->id,
			ID_PARENT);
	CU_ASSERT_EQUAL(((const struct iofd_destroy *)mock_call(1)->arg)->id,
			ID_ABORT);
	CU_ASSERT_EQUAL(((const struct iofd_destroy *)mock_call(2)->arg)->id,
			ID_IOAS);
}

static void
test_set_ste_nested_share_replace(void)
{
	struct iofd_viommu *vi = viommu_new(NULL);
	struct iofd_dev *d = mock_dev_new(vi, 5), *d2;
	struct uiommu_ste_info ste, ste2, byp;

	ste_make(&ste, UIOMMU_STE_CFG_NESTED, CD_GPA);
	struct mock_step s[] = {
		MOCK_OK(IOFD_IOCTL_HWPT_ALLOC, ID_NESTED),
		MOCK_OK(IOFD_IOCTL_HWPT_INVALIDATE, 0),     /* entry_num 0 probe */
		MOCK_OK(IOFD_IOCTL_TEST, 0),                /* replace */
	};
	mock_script(s, RTE_DIM(s));
	CU_ASSERT_EQUAL(be()->vdevice_set_ste(d, &ste), 0);
	CU_ASSERT(mock_done());
	const struct iofd_hwpt_alloc *ha = (const void *)mock_call(0)->arg;
	CU_ASSERT_EQUAL(ha->flags, 0);
	CU_ASSERT_EQUAL(ha->dev_id, ID_IDEV);
	CU_ASSERT_EQUAL(ha->pt_id, ID_PARENT);
	CU_ASSERT_EQUAL(ha->data_type, IOFD_HWPT_DATA_SELFTEST);
	CU_ASSERT_EQUAL(ha->data_len, sizeof(struct iofd_hwpt_selftest));
	const uint32_t iotlb = IOFD_TEST_IOTLB_DEFAULT;
	CU_ASSERT_EQUAL(mock_call(0)->data_len, 4);
	CU_ASSERT_EQUAL(memcmp(mock_call(0)->data, &iotlb, 4), 0);
	const struct iofd_hwpt_invalidate *pr = (const void *)mock_call(1)->arg;
	CU_ASSERT_EQUAL(pr->hwpt_id, ID_NESTED);
	CU_ASSERT_EQUAL(pr->entry_num, 0);
	CU_ASSERT_EQUAL(pr->data_type, IOFD_INV_DATA_SELFTEST);
	const struct iofd_test_cmd *rp = (const void *)mock_call(2)->arg;
	CU_ASSERT_EQUAL(rp->op, IOFD_TEST_OP_MOCK_DOMAIN_REPLACE);
	CU_ASSERT_EQUAL(rp->id, ID_STDEV);
	CU_ASSERT_EQUAL(rp->mock_domain_replace.pt_id, ID_NESTED);
	CU_ASSERT_EQUAL(d->attach, IOFD_ATTACH_NESTED);
	CU_ASSERT_EQUAL(d->s1->refs, 1);

	/* The same STE again: nothing to do, no ioctl. */
	mock_script(NULL, 0);
	CU_ASSERT_EQUAL(be()->vdevice_set_ste(d, &ste), 0);
	CU_ASSERT_EQUAL(mock_nr_calls(), 0);

	/* A second device, same configuration: shares the HWPT. */
	struct mock_step s2[] = {
		{ .req = IOFD_IOCTL_TEST, .id = ID_STDEV + 20, .id2 = ID_IDEV + 20,
		  .entry_num = -1 },
		{ .req = IOFD_IOCTL_GET_HW_INFO, .hw_type = IOFD_HW_INFO_TYPE_SELFTEST,
		  .hw_data = &hw_test, .hw_len = sizeof(hw_test), .entry_num = -1 },
		MOCK_OK(IOFD_IOCTL_TEST, 0),
	};
	void *dp = NULL;
	mock_script(s2, RTE_DIM(s2));
	CU_ASSERT_EQUAL(be()->vdevice_alloc(vi, "mock", 6, NULL, &dp, NULL), 0);
	d2 = dp;
	CU_ASSERT_EQUAL(be()->vdevice_set_ste(d2, &ste), 0);
	CU_ASSERT(mock_done());
	CU_ASSERT_PTR_EQUAL(d2->s1, d->s1);
	CU_ASSERT_EQUAL(d->s1->refs, 2);

	/* d moves to another CD table: a new HWPT, attached before release. */
	ste_make(&ste2, UIOMMU_STE_CFG_S1, CD2_GPA);
	struct mock_step s3[] = {
		MOCK_OK(IOFD_IOCTL_HWPT_ALLOC, ID_NESTED2),
		MOCK_OK(IOFD_IOCTL_TEST, 0),
	};
	mock_script(s3, RTE_DIM(s3));
	CU_ASSERT_EQUAL(be()->vdevice_set_ste(d, &ste2), 0);
	CU_ASSERT(mock_done());
	CU_ASSERT_EQUAL(d->s1->hwpt_id, ID_NESTED2);
	CU_ASSERT_EQUAL(d2->s1->refs, 1);

	/* Bypass: the nest parent; the last user of HWPT 7 destroys it. */
	byp = ste;
	byp.config = UIOMMU_STE_CFG_BYPASS;
	struct mock_step s4[] = {
		MOCK_OK(IOFD_IOCTL_TEST, 0),
		MOCK_OK(IOFD_IOCTL_DESTROY, 0),
	};
	mock_script(s4, RTE_DIM(s4));
	CU_ASSERT_EQUAL(be()->vdevice_set_ste(d, &byp), 0);
	CU_ASSERT(mock_done());
	CU_ASSERT_EQUAL(((const struct iofd_test_cmd *)mock_call(0)->arg)
			->mock_domain_replace.pt_id, ID_PARENT);
	CU_ASSERT_EQUAL(((const struct iofd_destroy *)mock_call(1)->arg)->id,
			ID_NESTED2);
	CU_ASSERT_EQUAL(d->attach, IOFD_ATTACH_S2);

	/* Abort: replaced onto the abort IOAS. */
	struct mock_step s5[] = { MOCK_OK(IOFD_IOCTL_TEST, 0) };
	mock_script(s5, 1);
	CU_ASSERT_EQUAL(be()->vdevice_set_ste(d, NULL), 0);
	CU_ASSERT(mock_done());
	CU_ASSERT_EQUAL(((const struct iofd_test_cmd *)mock_call(0)->arg)
			->mock_domain_replace.pt_id, ID_ABORT);
	CU_ASSERT_EQUAL(d->attach, IOFD_ATTACH_BLOCKED);

	/* Free d2 (block, drop HWPT 6, destroy object) and d. */
	struct mock_step s6[] = {
		MOCK_OK(IOFD_IOCTL_TEST, 0), MOCK_OK(IOFD_IOCTL_DESTROY, 0),
		MOCK_OK(IOFD_IOCTL_DESTROY, 0), MOCK_OK(IOFD_IOCTL_DESTROY, 0),
	};
	mock_script(s6, RTE_DIM(s6));
	be()->vdevice_free(d2);
	be()->vdevice_free(d);
	CU_ASSERT(mock_done());
	CU_ASSERT_EQUAL(((const struct iofd_destroy *)mock_call(1)->arg)->id,
			ID_NESTED);
	viommu_del(vi, 3);
}

static void
test_set_ste_failure_blocks(void)
{
	struct iofd_viommu *vi = viommu_new(NULL);
	struct iofd_dev *d = mock_dev_new(vi, 5);
	struct uiommu_ste_info ste;

	ste_make(&ste, UIOMMU_STE_CFG_S1, CD_GPA);
	/* The kernel refuses the vendor data (EIO): the STE is bad. */
	struct mock_step s[] = { MOCK_ERR(IOFD_IOCTL_HWPT_ALLOC, EIO) };
	mock_script(s, 1);
	CU_ASSERT_EQUAL(be()->vdevice_set_ste(d, &ste), -EINVAL);
	CU_ASSERT(mock_done());
	CU_ASSERT_EQUAL(d->attach, IOFD_ATTACH_BLOCKED);

	/* The invalidation type is refused at the probe: HWPT dropped. */
	struct mock_step s2[] = {
		MOCK_OK(IOFD_IOCTL_HWPT_ALLOC, ID_NESTED),
		MOCK_ERR(IOFD_IOCTL_HWPT_INVALIDATE, EOPNOTSUPP),
		MOCK_OK(IOFD_IOCTL_DESTROY, 0),
	};
	mock_script(s2, RTE_DIM(s2));
	CU_ASSERT_EQUAL(be()->vdevice_set_ste(d, &ste), -EOPNOTSUPP);
	CU_ASSERT(mock_done());
	CU_ASSERT_EQUAL(d->attach, IOFD_ATTACH_BLOCKED);

	/* Nested, then the replace to a new HWPT fails: blocked, both freed. */
	struct mock_step s3[] = {
		MOCK_OK(IOFD_IOCTL_HWPT_ALLOC, ID_NESTED),
		MOCK_OK(IOFD_IOCTL_HWPT_INVALIDATE, 0),
		MOCK_OK(IOFD_IOCTL_TEST, 0),
		MOCK_OK(IOFD_IOCTL_HWPT_ALLOC, ID_NESTED2),
		MOCK_ERR(IOFD_IOCTL_TEST, ENOMEM),       /* replace fails */
		MOCK_OK(IOFD_IOCTL_DESTROY, 0),          /* HWPT 7 */
		MOCK_OK(IOFD_IOCTL_TEST, 0),             /* block */
		MOCK_OK(IOFD_IOCTL_DESTROY, 0),          /* HWPT 6 */
	};
	struct uiommu_ste_info ste2;
	ste_make(&ste2, UIOMMU_STE_CFG_S1, CD2_GPA);
	mock_script(s3, RTE_DIM(s3));
	CU_ASSERT_EQUAL(be()->vdevice_set_ste(d, &ste), 0);
	CU_ASSERT_EQUAL(be()->vdevice_set_ste(d, &ste2), -ENOMEM);
	CU_ASSERT(mock_done());
	CU_ASSERT_EQUAL(d->attach, IOFD_ATTACH_BLOCKED);
	CU_ASSERT_PTR_NULL(d->s1);
	for (unsigned int i = 0; i < UIOMMU_MAX_VDEVICES; i++)
		CU_ASSERT_PTR_NULL(vi->s1[i]);

	struct mock_step f[] = { MOCK_OK(IOFD_IOCTL_DESTROY, 0) };
	mock_script(f, 1);
	be()->vdevice_free(d);
	CU_ASSERT(mock_done());
	viommu_del(vi, 3);
}

/* ------------------------------------------------------ invalidation */

static void
test_invalidate_one_ioctl_and_partial(void)
{
	struct iofd_viommu *vi = viommu_new(NULL);
	struct iofd_dev *d = mock_dev_new(vi, 5);
	struct uiommu_ste_info ste;
	struct uiommu_inv b[4];
	unsigned int done = 99;

	ste_make(&ste, UIOMMU_STE_CFG_S1, CD_GPA);
	struct mock_step s[] = {
		MOCK_OK(IOFD_IOCTL_HWPT_ALLOC, ID_NESTED),
		MOCK_OK(IOFD_IOCTL_HWPT_INVALIDATE, 0),
		MOCK_OK(IOFD_IOCTL_TEST, 0),
	};
	mock_script(s, RTE_DIM(s));
	UT_ASSERT_FATAL(be()->vdevice_set_ste(d, &ste) == 0);

	/* Four entries, CFGI_STE first (skipped): one ioctl of three. */
	b[0] = inv_op(UIOMMU_CMD_CFGI_STE, d);
	b[1] = inv_va(0x1000, false);
	b[2] = inv_va(0x2000, false);
	b[3] = inv_op(UIOMMU_CMD_TLBI_NH_ALL, NULL);
	struct mock_step s2[] = { MOCK_OK(IOFD_IOCTL_HWPT_INVALIDATE, 0) };
	mock_script(s2, 1);
	CU_ASSERT_EQUAL(be()->invalidate(vi, b, 4, &done), 0);
	CU_ASSERT_EQUAL(done, 4);
	CU_ASSERT(mock_done());
	const struct iofd_hwpt_invalidate *inv = (const void *)mock_call(0)->arg;
	CU_ASSERT_EQUAL(inv->size, sizeof(*inv));
	CU_ASSERT_EQUAL(inv->hwpt_id, ID_NESTED);
	CU_ASSERT_EQUAL(inv->data_type, IOFD_INV_DATA_SELFTEST);
	CU_ASSERT_EQUAL(inv->entry_len, 8);
	CU_ASSERT_EQUAL(inv->entry_num, 3);
	CU_ASSERT_EQUAL(inv->reserved, 0);
	const struct iofd_inv_selftest want[3] = {
		{ 0, 1 }, { 0, 2 }, { IOFD_TEST_INVALIDATE_FLAG_ALL, 0 },
	};
	CU_ASSERT_EQUAL(mock_call(0)->data_len, sizeof(want));
	CU_ASSERT_EQUAL(memcmp(mock_call(0)->data, want, sizeof(want)), 0);

	/* The kernel handles one entry, fails the second: batch index 2. */
	b[2] = inv_va(0x9000, false);
	struct mock_step s3[] = {
		{ .req = IOFD_IOCTL_HWPT_INVALIDATE, .err = EINVAL, .entry_num = 1 },
	};
	mock_script(s3, 1);
	done = 99;
	CU_ASSERT_EQUAL(be()->invalidate(vi, b, 4, &done), -EINVAL);
	CU_ASSERT_EQUAL(done, 2);
	CU_ASSERT(mock_done());
	CU_ASSERT_EQUAL(vi->st.inv_failed, 1);

	/* Failure on the very first entry: nothing done. */
	struct mock_step s4[] = {
		{ .req = IOFD_IOCTL_HWPT_INVALIDATE, .err = EOPNOTSUPP, .entry_num = 0 },
	};
	mock_script(s4, 1);
	CU_ASSERT_EQUAL(be()->invalidate(vi, &b[1], 3, &done), -EOPNOTSUPP);
	CU_ASSERT_EQUAL(done, 0);
	CU_ASSERT(mock_done());

	/* A kernel that claims success but handled fewer: -EIO at that entry. */
	struct mock_step s5[] = {
		{ .req = IOFD_IOCTL_HWPT_INVALIDATE, .entry_num = 2 },
	};
	mock_script(s5, 1);
	CU_ASSERT_EQUAL(be()->invalidate(vi, &b[1], 3, &done), -EIO);
	CU_ASSERT_EQUAL(done, 2);
	CU_ASSERT(mock_done());

	/* Only skipped entries: no ioctl at all. */
	mock_script(NULL, 0);
	CU_ASSERT_EQUAL(be()->invalidate(vi, b, 1, &done), 0);
	CU_ASSERT_EQUAL(done, 1);
	CU_ASSERT_EQUAL(mock_nr_calls(), 0);

	struct mock_step f[] = {
		MOCK_OK(IOFD_IOCTL_TEST, 0), MOCK_OK(IOFD_IOCTL_DESTROY, 0),
		MOCK_OK(IOFD_IOCTL_DESTROY, 0),
	};
	mock_script(f, RTE_DIM(f));
	be()->vdevice_free(d);
	CU_ASSERT(mock_done());
	viommu_del(vi, 3);
}

static void
test_invalidate_no_device(void)
{
	struct iofd_viommu *vi = viommu_new(NULL);
	struct uiommu_inv b = inv_va(0x1000, false);
	unsigned int done = 0;

	mock_script(NULL, 0);
	CU_ASSERT_EQUAL(be()->invalidate(vi, &b, 1, &done), 0);
	CU_ASSERT_EQUAL(done, 1);
	CU_ASSERT_EQUAL(mock_nr_calls(), 0);
	viommu_del(vi, 1);
}

/* ---------------------------------------------- feature detection */

static void
test_enotty_invalidate_falls_back_to_shadow(void)
{
	struct iofd_viommu *vi = viommu_new(NULL);
	struct mock_step s[] = {
		MOCK_OK(IOFD_IOCTL_IOAS_ALLOC, ID_ABORT),
		{ .req = IOFD_IOCTL_TEST, .id = ID_STDEV, .id2 = ID_IDEV,
		  .entry_num = -1 },
		{ .req = IOFD_IOCTL_GET_HW_INFO, .hw_type = IOFD_HW_INFO_TYPE_SELFTEST,
		  .hw_data = &hw_test, .hw_len = sizeof(hw_test), .entry_num = -1 },
		MOCK_ERR(IOFD_IOCTL_HWPT_INVALIDATE, ENOTTY),  /* 6.6/6.7 kernel */
	};
	struct uiommu_ste_info ste, byp;
	struct uiommu_inv b = inv_va(0x1000, false);
	unsigned int done = 0;
	void *dp = NULL;
	struct iofd_dev *d;

	mock_script(s, RTE_DIM(s));
	CU_ASSERT_EQUAL(be()->vdevice_alloc(vi, "mock", 5, NULL, &dp, NULL), 0);
	CU_ASSERT(mock_done());
	d = dp;
	CU_ASSERT_EQUAL(vi->mode, IOFD_MODE_SHADOW);
	CU_ASSERT_EQUAL(vi->parent_id, 0);
	CU_ASSERT(vi->hw.caps & UIOMMU_HW_CAP_SHADOW);

	/* Guest bypass in shadow mode: the stage-2 IOAS itself. */
	ste_make(&ste, UIOMMU_STE_CFG_S1, CD_GPA);
	byp = ste;
	byp.config = UIOMMU_STE_CFG_BYPASS;
	struct mock_step s2[] = { MOCK_OK(IOFD_IOCTL_TEST, 0) };
	mock_script(s2, 1);
	CU_ASSERT_EQUAL(be()->vdevice_set_ste(d, &byp), 0);
	CU_ASSERT(mock_done());
	CU_ASSERT_EQUAL(((const struct iofd_test_cmd *)mock_call(0)->arg)
			->mock_domain_replace.pt_id, ID_IOAS);
	CU_ASSERT_EQUAL(d->attach, IOFD_ATTACH_S2);

	/* Invalidations have no kernel effect here. */
	mock_script(NULL, 0);
	CU_ASSERT_EQUAL(be()->invalidate(vi, &b, 1, &done), 0);
	CU_ASSERT_EQUAL(done, 1);
	CU_ASSERT_EQUAL(mock_nr_calls(), 0);

	struct mock_step f[] = {
		MOCK_OK(IOFD_IOCTL_TEST, 0), MOCK_OK(IOFD_IOCTL_DESTROY, 0),
	};
	mock_script(f, RTE_DIM(f));
	be()->vdevice_free(d);
	CU_ASSERT(mock_done());
	viommu_del(vi, 2);
}

static void
test_enotty_test_cmd_and_bad_specs(void)
{
	struct iofd_viommu *vi = viommu_new(NULL);
	void *dp = NULL;

	/* A kernel without CONFIG_IOMMUFD_TEST: "mock" cannot exist. */
	struct mock_step s[] = {
		MOCK_OK(IOFD_IOCTL_IOAS_ALLOC, ID_ABORT),
		MOCK_ERR(IOFD_IOCTL_TEST, ENOTTY),
	};
	mock_script(s, RTE_DIM(s));
	CU_ASSERT_EQUAL(be()->vdevice_alloc(vi, "mock", 5, NULL, &dp, NULL),
			-ENOTTY);
	CU_ASSERT(mock_done());
	CU_ASSERT_PTR_NULL(dp);
	CU_ASSERT_EQUAL(vi->nr_dev, 0);

	mock_script(NULL, 0);
	CU_ASSERT_EQUAL(be()->vdevice_alloc(vi, "dma0", 5, NULL, &dp, NULL),
			-EINVAL);
	CU_ASSERT_EQUAL(be()->vdevice_alloc(vi, "0000:00:03.9", 5, NULL, &dp,
					    NULL), -EINVAL);
	CU_ASSERT_EQUAL(be()->vdevice_alloc(vi, "0000:zz:03.0", 5, NULL, &dp,
					    NULL), -EINVAL);
	/* Well-formed but not bound to vfio-pci here. */
	CU_ASSERT_EQUAL(be()->vdevice_alloc(vi, "ff:1f.7", 5, NULL, &dp, NULL),
			-ENOENT);
	CU_ASSERT_EQUAL(mock_nr_calls(), 0);
	viommu_del(vi, 2);
}

/* SMMUv3 behind a VFIO cdev: kernel vIOMMU, vDEVICE, raw commands. */
static void
test_cdev_smmuv3_viommu(void)
{
	struct iofd_viommu *vi = viommu_new(NULL);
	struct mock_step s[] = {
		MOCK_OK(IOFD_VFIO_DEVICE_BIND_IOMMUFD, ID_IDEV),
		{ .req = IOFD_IOCTL_GET_HW_INFO, .hw_type = IOFD_HW_INFO_TYPE_ARM_SMMUV3,
		  .hw_data = &hw_smmu, .hw_len = sizeof(hw_smmu), .entry_num = -1 },
		MOCK_ERR(IOFD_IOCTL_HWPT_INVALIDATE, EINVAL),
		MOCK_OK(IOFD_IOCTL_HWPT_ALLOC, ID_PARENT),
		MOCK_OK(IOFD_IOCTL_VIOMMU_ALLOC, ID_KVIOMMU),
		MOCK_OK(IOFD_IOCTL_VDEVICE_ALLOC, ID_VDEV),
	};
	struct uiommu_vdevice_out out = { .fd = -2 };
	struct uiommu_ste_info ste;
	struct uiommu_inv b[3];
	unsigned int done = 0;
	void *dp = NULL;
	struct iofd_dev *d;

	mock_script(s, RTE_DIM(s));
	CU_ASSERT_EQUAL(be()->vdevice_alloc(vi, mock_dev_path(), 0x42, NULL, &dp,
					    &out), 0);
	CU_ASSERT(mock_done());
	d = dp;
	CU_ASSERT(out.fd >= 0);
	CU_ASSERT_EQUAL(out.fd, d->dev_fd);
	const struct iofd_vfio_bind_iommufd *bi = (const void *)mock_call(0)->arg;
	CU_ASSERT_EQUAL(bi->argsz, sizeof(*bi));
	CU_ASSERT_EQUAL(bi->iommufd, vi->fd);
	CU_ASSERT_EQUAL(mock_call(0)->fd, d->dev_fd);
	const struct iofd_viommu_alloc va = {
		.size = sizeof(va), .type = IOFD_VIOMMU_TYPE_ARM_SMMUV3,
		.dev_id = ID_IDEV, .hwpt_id = ID_PARENT,
	};
	CU_ASSERT_EQUAL(memcmp(mock_call(4)->arg, &va, sizeof(va)), 0);
	const struct iofd_vdevice_alloc vd = {
		.size = sizeof(vd), .viommu_id = ID_KVIOMMU, .dev_id = ID_IDEV,
		.virt_id = 0x42,
	};
	CU_ASSERT_EQUAL(memcmp(mock_call(5)->arg, &vd, sizeof(vd)), 0);
	CU_ASSERT_EQUAL(d->vdevice_id, ID_VDEV);

	/* Nested on the vIOMMU with STE words 0-1, reduced. */
	ste_make(&ste, UIOMMU_STE_CFG_NESTED, CD_GPA);
	struct mock_step s2[] = {
		MOCK_OK(IOFD_IOCTL_HWPT_ALLOC, ID_NESTED),
		MOCK_OK(IOFD_IOCTL_HWPT_INVALIDATE, 0),
		MOCK_OK(IOFD_VFIO_DEVICE_ATTACH_PT, 0),
	};
	mock_script(s2, RTE_DIM(s2));
	CU_ASSERT_EQUAL(be()->vdevice_set_ste(d, &ste), 0);
	CU_ASSERT(mock_done());
	const struct iofd_hwpt_alloc *ha = (const void *)mock_call(0)->arg;
	CU_ASSERT_EQUAL(ha->pt_id, ID_KVIOMMU);
	CU_ASSERT_EQUAL(ha->data_type, IOFD_HWPT_DATA_ARM_SMMUV3);
	const struct iofd_hwpt_arm_smmuv3 wd = { .ste = {
		UIOMMU_STE0_V | (5ULL << UIOMMU_STE0_CFG_SHIFT) | CD_GPA,
		1ULL | (1ULL << UIOMMU_STE1_S1CIR_SHIFT),
	} };
	CU_ASSERT_EQUAL(mock_call(0)->data_len, sizeof(wd));
	CU_ASSERT_EQUAL(memcmp(mock_call(0)->data, &wd, sizeof(wd)), 0);
	CU_ASSERT_EQUAL(((const struct iofd_hwpt_invalidate *)mock_call(1)->arg)
			->hwpt_id, ID_KVIOMMU);
	const struct iofd_vfio_attach_pt *at = (const void *)mock_call(2)->arg;
	CU_ASSERT_EQUAL(at->argsz, sizeof(*at));
	CU_ASSERT_EQUAL(at->pt_id, ID_NESTED);

	/* Raw commands to the vIOMMU, one ioctl. */
	b[0] = inv_va(0x4000, true);
	b[1] = inv_op(UIOMMU_CMD_CFGI_STE, d);
	b[2] = inv_op(UIOMMU_CMD_CFGI_CD, d);
	struct mock_step s3[] = { MOCK_OK(IOFD_IOCTL_HWPT_INVALIDATE, 0) };
	mock_script(s3, 1);
	CU_ASSERT_EQUAL(be()->invalidate(vi, b, 3, &done), 0);
	CU_ASSERT_EQUAL(done, 3);
	CU_ASSERT(mock_done());
	const struct iofd_hwpt_invalidate *inv = (const void *)mock_call(0)->arg;
	CU_ASSERT_EQUAL(inv->hwpt_id, ID_KVIOMMU);
	CU_ASSERT_EQUAL(inv->data_type, IOFD_INV_DATA_ARM_SMMUV3);
	CU_ASSERT_EQUAL(inv->entry_len, 16);
	CU_ASSERT_EQUAL(inv->entry_num, 2);
	const uint64_t wr[4] = { b[0].raw[0], b[0].raw[1], b[2].raw[0], b[2].raw[1] };
	CU_ASSERT_EQUAL(memcmp(mock_call(0)->data, wr, sizeof(wr)), 0);

	/* Free: detach, HWPT, vDEVICE; close. Then vIOMMU, parent, IOAS. */
	struct mock_step f[] = {
		MOCK_OK(IOFD_VFIO_DEVICE_DETACH_PT, 0),
		MOCK_OK(IOFD_IOCTL_DESTROY, 0), MOCK_OK(IOFD_IOCTL_DESTROY, 0),
	};
	mock_script(f, RTE_DIM(f));
	be()->vdevice_free(d);
	CU_ASSERT(mock_done());
	CU_ASSERT_EQUAL(((const struct iofd_destroy *)mock_call(1)->arg)->id,
			ID_NESTED);
	CU_ASSERT_EQUAL(((const struct iofd_destroy *)mock_call(2)->arg)->id,
			ID_VDEV);
	viommu_del(vi, 3);
	CU_ASSERT_EQUAL(((const struct iofd_destroy *)mock_call(0)->arg)->id,
			ID_KVIOMMU);
}

/* A 6.8-6.12 kernel with an SMMUv3: no vIOMMU ioctl, so no nesting. */
static void
test_enotty_viommu_smmuv3_shadow(void)
{
	struct iofd_viommu *vi = viommu_new(NULL);
	struct mock_step s[] = {
		MOCK_OK(IOFD_VFIO_DEVICE_BIND_IOMMUFD, ID_IDEV),
		{ .req = IOFD_IOCTL_GET_HW_INFO, .hw_type = IOFD_HW_INFO_TYPE_ARM_SMMUV3,
		  .hw_data = &hw_smmu, .hw_len = sizeof(hw_smmu), .entry_num = -1 },
		MOCK_ERR(IOFD_IOCTL_HWPT_INVALIDATE, EINVAL),
		MOCK_OK(IOFD_IOCTL_HWPT_ALLOC, ID_PARENT),
		MOCK_ERR(IOFD_IOCTL_VIOMMU_ALLOC, ENOTTY),
		MOCK_OK(IOFD_IOCTL_DESTROY, 0),              /* the parent */
	};
	void *dp = NULL;

	mock_script(s, RTE_DIM(s));
	CU_ASSERT_EQUAL(be()->vdevice_alloc(vi, mock_dev_path(), 1, NULL, &dp,
					    NULL), 0);
	CU_ASSERT(mock_done());
	CU_ASSERT_EQUAL(vi->mode, IOFD_MODE_SHADOW);
	CU_ASSERT_EQUAL(vi->viommu, IOFD_FEAT_NO);
	CU_ASSERT_EQUAL(vi->parent_id, 0);
	CU_ASSERT_EQUAL(vi->kviommu_id, 0);

	/* A second device of another kind of IOMMU is refused, cleaned up. */
	struct mock_step s2[] = {
		{ .req = IOFD_IOCTL_TEST, .id = ID_STDEV, .id2 = ID_IDEV + 1,
		  .entry_num = -1 },
		{ .req = IOFD_IOCTL_GET_HW_INFO, .hw_type = IOFD_HW_INFO_TYPE_SELFTEST,
		  .hw_data = &hw_test, .hw_len = sizeof(hw_test), .entry_num = -1 },
		MOCK_OK(IOFD_IOCTL_DESTROY, 0),
	};
	void *dp2 = NULL;
	vi->abort_ioas = ID_ABORT;
	mock_script(s2, RTE_DIM(s2));
	CU_ASSERT_EQUAL(be()->vdevice_alloc(vi, "mock", 2, NULL, &dp2, NULL),
			-EOPNOTSUPP);
	CU_ASSERT(mock_done());
	CU_ASSERT_EQUAL(vi->nr_dev, 1);

	mock_script(NULL, 0);
	be()->vdevice_free(dp);       /* blocked already, cdev: close only */
	CU_ASSERT(mock_done());
	viommu_del(vi, 2);
}

/* ------------------------------------------------------- shadow mode */

#define S1_TBL  (RAM_GPA + 0x40000)    /* level 1, 2, 3 tables */
#define S1_DATA (RAM_GPA + 0x100000)
#define S1_IOVA 0x3000000ULL

/* A 39-bit 4 KiB stage-1 with pages 0..n-1 of S1_IOVA -> S1_DATA + i. */
static uint64_t *
s1_tables(unsigned int n)
{
	uint64_t *l1 = (uint64_t *)(g_ram + (S1_TBL - RAM_GPA));
	uint64_t *l2 = l1 + 512, *l3 = l1 + 1024;
	struct uiommu_cd_info cd = { .valid = 1, .t0sz = 25, .ips = 5,
				     .aa64 = 1, .asid = 1, .ttb0 = S1_TBL };
	uint64_t raw[8];

	memset(l1, 0, 3 * 4096);
	l1[(S1_IOVA >> 30) & 511] = (S1_TBL + 0x1000) | 3;
	l2[(S1_IOVA >> 21) & 511] = (S1_TBL + 0x2000) | 3;
	for (unsigned int i = 0; i < n; i++)
		l3[((S1_IOVA >> 12) & 511) + i] =
			(S1_DATA + i * 0x1000ULL) | 3 | (1u << 10) | (1u << 6);
	uiommu_cd_encode(&cd, raw);
	memcpy(g_ram + (CD_GPA - RAM_GPA), raw, sizeof(raw));
	return l3 + ((S1_IOVA >> 12) & 511);
}

static void
test_shadow_mode_ioas(void)
{
	struct iofd_viommu *vi = viommu_new("nesting=off");
	struct mock_step s[] = {
		MOCK_OK(IOFD_IOCTL_IOAS_ALLOC, ID_ABORT),
		{ .req = IOFD_IOCTL_TEST, .id = ID_STDEV, .id2 = ID_IDEV,
		  .entry_num = -1 },
		{ .req = IOFD_IOCTL_GET_HW_INFO, .hw_type = IOFD_HW_INFO_TYPE_SELFTEST,
		  .hw_data = &hw_test, .hw_len = sizeof(hw_test), .entry_num = -1 },
	};
	struct uiommu_ste_info ste;
	struct uiommu_inv b[2];
	unsigned int done = 0;
	uint64_t *l3;
	void *dp = NULL;
	struct iofd_dev *d;

	mock_script(s, RTE_DIM(s));
	CU_ASSERT_EQUAL(be()->vdevice_alloc(vi, "mock", 5, NULL, &dp, NULL), 0);
	CU_ASSERT(mock_done());
	d = dp;
	CU_ASSERT_EQUAL(vi->mode, IOFD_MODE_SHADOW);

	/* S1: shadow IOAS built (3 contiguous pages: one map), then attach. */
	l3 = s1_tables(3);
	ste_make(&ste, UIOMMU_STE_CFG_S1, CD_GPA);
	struct mock_step s2[] = {
		MOCK_OK(IOFD_IOCTL_IOAS_ALLOC, 20),
		MOCK_OK(IOFD_IOCTL_IOAS_MAP, 0),
		MOCK_OK(IOFD_IOCTL_TEST, 0),
	};
	mock_script(s2, RTE_DIM(s2));
	CU_ASSERT_EQUAL(be()->vdevice_set_ste(d, &ste), 0);
	CU_ASSERT(mock_done());
	const struct iofd_ioas_map wm = {
		.size = sizeof(wm),
		.flags = IOFD_IOAS_MAP_FIXED_IOVA | IOFD_IOAS_MAP_READABLE |
			 IOFD_IOAS_MAP_WRITEABLE,
		.ioas_id = 20,
		.user_va = (uint64_t)(uintptr_t)(g_ram + (S1_DATA - RAM_GPA)),
		.length = 3 * 4096, .iova = S1_IOVA,
	};
	CU_ASSERT_EQUAL(memcmp(mock_call(1)->arg, &wm, sizeof(wm)), 0);
	CU_ASSERT_EQUAL(((const struct iofd_test_cmd *)mock_call(2)->arg)
			->mock_domain_replace.pt_id, 20);
	CU_ASSERT_EQUAL(d->attach, IOFD_ATTACH_SHADOW);

	/* The guest unmaps page 1 and invalidates it: the run is split. */
	l3[1] = 0;
	b[0] = inv_va(S1_IOVA + 0x1000, true);
	b[1] = inv_op(UIOMMU_CMD_CFGI_STE, d);
	struct mock_step s3[] = {
		{ .req = IOFD_IOCTL_IOAS_UNMAP, .entry_num = -1 },
		MOCK_OK(IOFD_IOCTL_IOAS_MAP, 0),
		MOCK_OK(IOFD_IOCTL_IOAS_MAP, 0),
	};
	mock_script(s3, RTE_DIM(s3));
	CU_ASSERT_EQUAL(be()->invalidate(vi, b, 2, &done), 0);
	CU_ASSERT_EQUAL(done, 2);
	CU_ASSERT(mock_done());
	const struct iofd_ioas_unmap *un = (const void *)mock_call(0)->arg;
	CU_ASSERT_EQUAL(un->iova, S1_IOVA);
	CU_ASSERT_EQUAL(un->length, 3 * 4096);
	CU_ASSERT_EQUAL(((const struct iofd_ioas_map *)mock_call(1)->arg)->iova,
			S1_IOVA);
	CU_ASSERT_EQUAL(((const struct iofd_ioas_map *)mock_call(2)->arg)->iova,
			S1_IOVA + 0x2000);

	/* A failing kernel map stops the batch at that entry. */
	l3[1] = (S1_DATA + 0x5000) | 3 | (1u << 10) | (1u << 6);
	b[0] = inv_op(UIOMMU_CMD_TLBI_NH_ALL, NULL);
	b[1] = inv_va(S1_IOVA, false);
	struct mock_step s4[] = { MOCK_ERR(IOFD_IOCTL_IOAS_MAP, ENOMEM) };
	mock_script(s4, RTE_DIM(s4));
	CU_ASSERT_EQUAL(be()->invalidate(vi, b, 2, &done), -ENOMEM);
	CU_ASSERT_EQUAL(done, 0);
	CU_ASSERT(mock_done());

	/* Free: block (abort IOAS), one DESTROY of the shadow IOAS, object. */
	struct mock_step f[] = {
		MOCK_OK(IOFD_IOCTL_TEST, 0), MOCK_OK(IOFD_IOCTL_DESTROY, 0),
		MOCK_OK(IOFD_IOCTL_DESTROY, 0),
	};
	mock_script(f, RTE_DIM(f));
	be()->vdevice_free(d);
	CU_ASSERT(mock_done());
	CU_ASSERT_EQUAL(((const struct iofd_destroy *)mock_call(1)->arg)->id, 20);
	viommu_del(vi, 2);
}

/* --------------------------------------- invalidation-cost measurement */

static void
test_inv_cost_args_and_sequence(void)
{
	struct uiommu_iommufd_inv_cost r[2];
	const uint32_t sizes[2] = { 0, 3 };
	const uint32_t big = UIOMMU_IOMMUFD_INV_COST_MAX_ENTRIES + 1;
	struct mock_step s[64];
	unsigned int n = 0;

	CU_ASSERT_EQUAL(uiommu_iommufd_inv_cost(NULL, sizes, 2, 9, r), -EINVAL);
	CU_ASSERT_EQUAL(uiommu_iommufd_inv_cost(NULL, &big, 1, 10, r), -EINVAL);
	CU_ASSERT_EQUAL(uiommu_iommufd_inv_cost("/nonexistent/iommu", sizes, 2,
						10, r), -ENOENT);

	s[n++] = (struct mock_step)MOCK_OK(IOFD_IOCTL_IOAS_ALLOC, ID_IOAS);
	s[n++] = (struct mock_step){ .req = IOFD_IOCTL_TEST, .id = ID_STDEV,
				     .id2 = ID_IDEV, .entry_num = -1 };
	s[n++] = (struct mock_step)MOCK_OK(IOFD_IOCTL_HWPT_ALLOC, ID_PARENT);
	s[n++] = (struct mock_step)MOCK_OK(IOFD_IOCTL_HWPT_ALLOC, ID_NESTED);
	s[n++] = (struct mock_step)MOCK_OK(IOFD_IOCTL_TEST, 0);   /* replace */
	/* The semantics check: refused 2nd entry, then 4 slot checks. */
	s[n++] = (struct mock_step){ .req = IOFD_IOCTL_HWPT_INVALIDATE,
				     .err = EINVAL, .entry_num = 1 };
	for (int i = 0; i < 4; i++)
		s[n++] = (struct mock_step)MOCK_OK(IOFD_IOCTL_TEST, 0);
	/* Each size: 1 warm-up + 10 timed calls. */
	for (int i = 0; i < 22; i++)
		s[n++] = (struct mock_step)MOCK_OK(IOFD_IOCTL_HWPT_INVALIDATE, 0);
	mock_script(s, n);
	CU_ASSERT_EQUAL(uiommu_iommufd_inv_cost(mock_dev_path(), sizes, 2, 10, r),
			0);
	CU_ASSERT(mock_done());
	CU_ASSERT_EQUAL(r[0].entry_num, 0);
	CU_ASSERT_EQUAL(r[1].entry_num, 3);
	CU_ASSERT_EQUAL(r[1].iters, 10);
	CU_ASSERT(r[1].p50_ns <= r[1].p90_ns && r[1].p90_ns <= r[1].p99_ns &&
		  r[1].p99_ns <= r[1].max_ns);
	/* The nested HWPT is of the selftest type; the timed array is exact. */
	CU_ASSERT_EQUAL(((const struct iofd_hwpt_alloc *)mock_call(3)->arg)
			->data_type, IOFD_HWPT_DATA_SELFTEST);
	const struct iofd_inv_selftest want[3] = { { 0, 0 }, { 0, 1 }, { 0, 2 } };
	const struct mock_rec *last = mock_call(mock_nr_calls() - 1);
	CU_ASSERT_EQUAL(((const struct iofd_hwpt_invalidate *)last->arg)
			->entry_num, 3);
	CU_ASSERT_EQUAL(memcmp(last->data, want, sizeof(want)), 0);
	const struct iofd_test_cmd *chk = (const void *)mock_call(7)->arg;
	CU_ASSERT_EQUAL(chk->op, IOFD_TEST_OP_MD_CHECK_IOTLB);
	CU_ASSERT_EQUAL(chk->check_iotlb.id, 1);
	CU_ASSERT_EQUAL(chk->check_iotlb.iotlb, 0);
	mock_off();
}

static void
test_inv_cost_refuses_bad_kernel(void)
{
	struct uiommu_iommufd_inv_cost r;
	const uint32_t one = 1;
	/* A kernel claiming both entries of the refused pair were handled. */
	struct mock_step s[] = {
		MOCK_OK(IOFD_IOCTL_IOAS_ALLOC, ID_IOAS),
		{ .req = IOFD_IOCTL_TEST, .id = ID_STDEV, .id2 = ID_IDEV,
		  .entry_num = -1 },
		MOCK_OK(IOFD_IOCTL_HWPT_ALLOC, ID_PARENT),
		MOCK_OK(IOFD_IOCTL_HWPT_ALLOC, ID_NESTED),
		MOCK_OK(IOFD_IOCTL_TEST, 0),
		{ .req = IOFD_IOCTL_HWPT_INVALIDATE, .err = EINVAL, .entry_num = 2 },
	};
	/* No selftest in the kernel. */
	struct mock_step s2[] = {
		MOCK_OK(IOFD_IOCTL_IOAS_ALLOC, ID_IOAS),
		MOCK_ERR(IOFD_IOCTL_TEST, ENOTTY),
	};

	mock_script(s, RTE_DIM(s));
	CU_ASSERT_EQUAL(uiommu_iommufd_inv_cost(mock_dev_path(), &one, 1, 10, &r),
			-EIO);
	CU_ASSERT(mock_done());
	mock_script(s2, RTE_DIM(s2));
	CU_ASSERT_EQUAL(uiommu_iommufd_inv_cost(mock_dev_path(), &one, 1, 10, &r),
			-ENOTTY);
	CU_ASSERT(mock_done());
	mock_off();
}

int
main(int argc, char **argv)
{
	static const struct ut_case cases[] = {
		UT_CASE(test_hw_parse_selftest),
		UT_CASE(test_hw_parse_vtd),
		UT_CASE(test_hw_parse_smmuv3),
		UT_CASE(test_hw_parse_unknown_and_short),
		UT_CASE(test_inv_build_selftest_bytes),
		UT_CASE(test_inv_build_vtd_bytes),
		UT_CASE(test_inv_build_smmuv3_raw),
		UT_CASE(test_viommu_alloc_args),
		UT_CASE(test_s2_map_file_then_enotty),
		UT_CASE(test_mock_device_nested_setup),
		UT_CASE(test_set_ste_nested_share_replace),
		UT_CASE(test_set_ste_failure_blocks),
		UT_CASE(test_invalidate_one_ioctl_and_partial),
		UT_CASE(test_invalidate_no_device),
		UT_CASE(test_enotty_invalidate_falls_back_to_shadow),
		UT_CASE(test_enotty_test_cmd_and_bad_specs),
		UT_CASE(test_cdev_smmuv3_viommu),
		UT_CASE(test_enotty_viommu_smmuv3_shadow),
		UT_CASE(test_shadow_mode_ioas),
		UT_CASE(test_inv_cost_args_and_sequence),
		UT_CASE(test_inv_cost_refuses_bad_kernel),
		UT_END
	};
	int rc = ut_main("iommufd", cases, argc, argv);

	unlink(mock_dev_path());
	return rc;
}
