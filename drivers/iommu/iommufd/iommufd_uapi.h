/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * The slice of the Linux iommufd and VFIO-cdev user ABI that uiommu uses.
 *
 * Written from the documented ABI (include/uapi/linux/iommufd.h,
 * include/uapi/linux/vfio.h and the selftest's iommufd_test.h) so that the
 * project never depends on the build host's kernel headers: a 6.1 build
 * host compiles the same backend that runs on a 6.17 kernel. Names carry an
 * `iofd_` / `IOFD_` prefix so that this header can never clash with the
 * kernel's own if some other file includes it; doc/iommufd-backend.md maps
 * each name to the kernel's.
 *
 * **Layout rules of the ABI.** Every iommufd argument struct starts with a
 * `u32 size` that the caller sets to sizeof(struct); the kernel accepts a
 * larger struct if the part it does not know is zero (else E2BIG) and
 * refuses one shorter than its minimum (EINVAL). 64-bit members are 8-byte
 * aligned on every architecture (the kernel's __aligned_u64), reproduced
 * here with IOFD_ALIGNED_U64. Each struct below is checked with
 * _Static_assert on its size and on the offset of every member, against
 * the numbers of the documented ABI; a wrong edit fails the build.
 *
 * **Versions.** Members and ioctls newer than the oldest kernel the
 * backend supports (6.8, the first with IOMMU_HWPT_INVALIDATE) are marked
 * with the release that added them. The backend detects them at run time:
 * an ioctl number the kernel does not know fails with ENOTTY, and the
 * feature is then reported absent; a struct larger than the kernel's is
 * accepted as long as the newer members are zero.
 *
 * Self-contained: libc only (the VM-test guest programs include it too).
 */
#ifndef UIOMMU_IOMMUFD_UAPI_H
#define UIOMMU_IOMMUFD_UAPI_H

#include <stddef.h>
#include <stdint.h>
#include <sys/ioctl.h>

#ifdef __cplusplus
extern "C" {
#endif

/** A 64-bit member aligned to 8 bytes on every ABI (kernel __aligned_u64). */
#define IOFD_ALIGNED_U64 uint64_t __attribute__((aligned(8)))

/** Checks one member's offset against the documented ABI. */
#define IOFD_OFF(type, member, off) \
	_Static_assert(offsetof(struct type, member) == (off), \
		       #type "." #member " is not at offset " #off)
/** Checks a struct's size against the documented ABI. */
#define IOFD_SIZE(type, sz) \
	_Static_assert(sizeof(struct type) == (sz), \
		       "sizeof(struct " #type ") is not " #sz)

/* ================================================================== */
/* ioctl numbers                                                       */
/* ================================================================== */

/** ioctl type of iommufd and of VFIO (both use ';'). */
#define IOFD_TYPE ';'
/** First iommufd command number. */
#define IOFD_CMD_BASE 0x80

/** iommufd command numbers (nr of _IO(';', nr)). */
enum iofd_cmd {
	IOFD_CMD_DESTROY = 0x80,              /**< 6.2 */
	IOFD_CMD_IOAS_ALLOC = 0x81,           /**< 6.2 */
	IOFD_CMD_IOAS_ALLOW_IOVAS = 0x82,     /**< 6.2 */
	IOFD_CMD_IOAS_COPY = 0x83,            /**< 6.2 */
	IOFD_CMD_IOAS_IOVA_RANGES = 0x84,     /**< 6.2 */
	IOFD_CMD_IOAS_MAP = 0x85,             /**< 6.2 */
	IOFD_CMD_IOAS_UNMAP = 0x86,           /**< 6.2 */
	IOFD_CMD_OPTION = 0x87,               /**< 6.2 */
	IOFD_CMD_VFIO_IOAS = 0x88,            /**< 6.2 */
	IOFD_CMD_HWPT_ALLOC = 0x89,           /**< 6.6 */
	IOFD_CMD_GET_HW_INFO = 0x8a,          /**< 6.6 */
	IOFD_CMD_HWPT_SET_DIRTY = 0x8b,       /**< 6.7 */
	IOFD_CMD_HWPT_GET_DIRTY_BITMAP = 0x8c,/**< 6.7 */
	IOFD_CMD_HWPT_INVALIDATE = 0x8d,      /**< 6.8 */
	IOFD_CMD_FAULT_QUEUE_ALLOC = 0x8e,    /**< 6.11 */
	IOFD_CMD_IOAS_MAP_FILE = 0x8f,        /**< 6.13 */
	IOFD_CMD_VIOMMU_ALLOC = 0x90,         /**< 6.13 */
	IOFD_CMD_VDEVICE_ALLOC = 0x91,        /**< 6.13 */
	IOFD_CMD_IOAS_CHANGE_PROCESS = 0x92,  /**< 6.13 */
	IOFD_CMD_VEVENTQ_ALLOC = 0x93,        /**< 6.15 */
	IOFD_CMD_HW_QUEUE_ALLOC = 0x94,       /**< 6.17 */
	/** Selftest multiplexer (CONFIG_IOMMUFD_TEST kernels only). */
	IOFD_CMD_TEST = IOFD_CMD_BASE + 32,
};

#define IOFD_IOCTL_DESTROY          _IO(IOFD_TYPE, IOFD_CMD_DESTROY)
#define IOFD_IOCTL_IOAS_ALLOC       _IO(IOFD_TYPE, IOFD_CMD_IOAS_ALLOC)
#define IOFD_IOCTL_IOAS_IOVA_RANGES _IO(IOFD_TYPE, IOFD_CMD_IOAS_IOVA_RANGES)
#define IOFD_IOCTL_IOAS_MAP         _IO(IOFD_TYPE, IOFD_CMD_IOAS_MAP)
#define IOFD_IOCTL_IOAS_MAP_FILE    _IO(IOFD_TYPE, IOFD_CMD_IOAS_MAP_FILE)
#define IOFD_IOCTL_IOAS_UNMAP       _IO(IOFD_TYPE, IOFD_CMD_IOAS_UNMAP)
#define IOFD_IOCTL_HWPT_ALLOC       _IO(IOFD_TYPE, IOFD_CMD_HWPT_ALLOC)
#define IOFD_IOCTL_GET_HW_INFO      _IO(IOFD_TYPE, IOFD_CMD_GET_HW_INFO)
#define IOFD_IOCTL_HWPT_INVALIDATE  _IO(IOFD_TYPE, IOFD_CMD_HWPT_INVALIDATE)
#define IOFD_IOCTL_VIOMMU_ALLOC     _IO(IOFD_TYPE, IOFD_CMD_VIOMMU_ALLOC)
#define IOFD_IOCTL_VDEVICE_ALLOC    _IO(IOFD_TYPE, IOFD_CMD_VDEVICE_ALLOC)
#define IOFD_IOCTL_TEST             _IO(IOFD_TYPE, IOFD_CMD_TEST)

/* ================================================================== */
/* Object lifetime and IOAS                                            */
/* ================================================================== */

/** IOMMU_DESTROY: destroy any object by ID. */
struct iofd_destroy {
	uint32_t size;
	uint32_t id;
};
IOFD_SIZE(iofd_destroy, 8);
IOFD_OFF(iofd_destroy, id, 4);

/** IOMMU_IOAS_ALLOC: a new, empty I/O address space. */
struct iofd_ioas_alloc {
	uint32_t size;
	uint32_t flags;          /**< must be 0 */
	uint32_t out_ioas_id;
};
IOFD_SIZE(iofd_ioas_alloc, 12);
IOFD_OFF(iofd_ioas_alloc, flags, 4);
IOFD_OFF(iofd_ioas_alloc, out_ioas_id, 8);

/** One inclusive IOVA range. */
struct iofd_iova_range {
	IOFD_ALIGNED_U64 start;
	IOFD_ALIGNED_U64 last;
};
IOFD_SIZE(iofd_iova_range, 16);
IOFD_OFF(iofd_iova_range, last, 8);

/** IOMMU_IOAS_IOVA_RANGES: usable IOVA holes (EMSGSIZE: array too small). */
struct iofd_ioas_iova_ranges {
	uint32_t size;
	uint32_t ioas_id;
	uint32_t num_iovas;      /**< in: array length; out: ranges */
	uint32_t reserved;
	IOFD_ALIGNED_U64 allowed_iovas;     /**< user pointer to the array */
	IOFD_ALIGNED_U64 out_iova_alignment;
};
IOFD_SIZE(iofd_ioas_iova_ranges, 32);
IOFD_OFF(iofd_ioas_iova_ranges, ioas_id, 4);
IOFD_OFF(iofd_ioas_iova_ranges, num_iovas, 8);
IOFD_OFF(iofd_ioas_iova_ranges, reserved, 12);
IOFD_OFF(iofd_ioas_iova_ranges, allowed_iovas, 16);
IOFD_OFF(iofd_ioas_iova_ranges, out_iova_alignment, 24);

/** IOAS map flags (IOMMU_IOAS_MAP and IOMMU_IOAS_MAP_FILE). */
#define IOFD_IOAS_MAP_FIXED_IOVA (1u << 0)
#define IOFD_IOAS_MAP_WRITEABLE  (1u << 1)
#define IOFD_IOAS_MAP_READABLE   (1u << 2)

/** IOMMU_IOAS_MAP: map user memory at an IOVA. */
struct iofd_ioas_map {
	uint32_t size;
	uint32_t flags;          /**< IOFD_IOAS_MAP_* */
	uint32_t ioas_id;
	uint32_t reserved;
	IOFD_ALIGNED_U64 user_va;
	IOFD_ALIGNED_U64 length;
	IOFD_ALIGNED_U64 iova;   /**< in with FIXED_IOVA, else out */
};
IOFD_SIZE(iofd_ioas_map, 40);
IOFD_OFF(iofd_ioas_map, flags, 4);
IOFD_OFF(iofd_ioas_map, ioas_id, 8);
IOFD_OFF(iofd_ioas_map, reserved, 12);
IOFD_OFF(iofd_ioas_map, user_va, 16);
IOFD_OFF(iofd_ioas_map, length, 24);
IOFD_OFF(iofd_ioas_map, iova, 32);

/** IOMMU_IOAS_MAP_FILE (6.13): map a range of a memfd. */
struct iofd_ioas_map_file {
	uint32_t size;
	uint32_t flags;          /**< IOFD_IOAS_MAP_* */
	uint32_t ioas_id;
	int32_t fd;
	IOFD_ALIGNED_U64 start;  /**< offset in the file */
	IOFD_ALIGNED_U64 length;
	IOFD_ALIGNED_U64 iova;
};
IOFD_SIZE(iofd_ioas_map_file, 40);
IOFD_OFF(iofd_ioas_map_file, flags, 4);
IOFD_OFF(iofd_ioas_map_file, ioas_id, 8);
IOFD_OFF(iofd_ioas_map_file, fd, 12);
IOFD_OFF(iofd_ioas_map_file, start, 16);
IOFD_OFF(iofd_ioas_map_file, length, 24);
IOFD_OFF(iofd_ioas_map_file, iova, 32);

/** IOMMU_IOAS_UNMAP: unmap whole areas; length returns bytes unmapped. */
struct iofd_ioas_unmap {
	uint32_t size;
	uint32_t ioas_id;
	IOFD_ALIGNED_U64 iova;
	IOFD_ALIGNED_U64 length;
};
IOFD_SIZE(iofd_ioas_unmap, 24);
IOFD_OFF(iofd_ioas_unmap, ioas_id, 4);
IOFD_OFF(iofd_ioas_unmap, iova, 8);
IOFD_OFF(iofd_ioas_unmap, length, 16);

/* ================================================================== */
/* Hardware page tables                                                */
/* ================================================================== */

/** HWPT allocation flags. */
#define IOFD_HWPT_ALLOC_NEST_PARENT    (1u << 0)
#define IOFD_HWPT_ALLOC_DIRTY_TRACKING (1u << 1)
#define IOFD_HWPT_FAULT_ID_VALID       (1u << 2)  /**< 6.11 */

/** HWPT data types (the vendor format of a nested stage-1). */
enum iofd_hwpt_data_type {
	IOFD_HWPT_DATA_NONE = 0,
	IOFD_HWPT_DATA_VTD_S1 = 1,
	IOFD_HWPT_DATA_ARM_SMMUV3 = 2,        /**< 6.13 */
	/** Selftest mock driver (CONFIG_IOMMUFD_TEST). */
	IOFD_HWPT_DATA_SELFTEST = 0xdead,
};

/** IOMMU_HWPT_ALLOC: paging HWPT from an IOAS, or nested from a parent. */
struct iofd_hwpt_alloc {
	uint32_t size;
	uint32_t flags;          /**< IOFD_HWPT_ALLOC_* */
	uint32_t dev_id;
	uint32_t pt_id;          /**< IOAS, parent HWPT or vIOMMU (6.13) */
	uint32_t out_hwpt_id;
	uint32_t reserved;
	uint32_t data_type;      /**< enum iofd_hwpt_data_type */
	uint32_t data_len;
	IOFD_ALIGNED_U64 data_uptr;
	uint32_t fault_id;       /**< 6.11 */
	uint32_t reserved2;      /**< 6.11 */
};
IOFD_SIZE(iofd_hwpt_alloc, 48);
IOFD_OFF(iofd_hwpt_alloc, flags, 4);
IOFD_OFF(iofd_hwpt_alloc, dev_id, 8);
IOFD_OFF(iofd_hwpt_alloc, pt_id, 12);
IOFD_OFF(iofd_hwpt_alloc, out_hwpt_id, 16);
IOFD_OFF(iofd_hwpt_alloc, reserved, 20);
IOFD_OFF(iofd_hwpt_alloc, data_type, 24);
IOFD_OFF(iofd_hwpt_alloc, data_len, 28);
IOFD_OFF(iofd_hwpt_alloc, data_uptr, 32);
IOFD_OFF(iofd_hwpt_alloc, fault_id, 40);
IOFD_OFF(iofd_hwpt_alloc, reserved2, 44);

/** VT-d stage-1 flags. */
#define IOFD_VTD_S1_SRE  (1u << 0)  /**< supervisor requests */
#define IOFD_VTD_S1_EAFE (1u << 1)  /**< extended access flag */
#define IOFD_VTD_S1_WPE  (1u << 2)  /**< write protect */

/** Vendor data IOFD_HWPT_DATA_VTD_S1. */
struct iofd_hwpt_vtd_s1 {
	IOFD_ALIGNED_U64 flags;
	IOFD_ALIGNED_U64 pgtbl_addr;  /**< GPA of the stage-1 root */
	uint32_t addr_width;          /**< 48 or 57 */
	uint32_t reserved;
};
IOFD_SIZE(iofd_hwpt_vtd_s1, 24);
IOFD_OFF(iofd_hwpt_vtd_s1, pgtbl_addr, 8);
IOFD_OFF(iofd_hwpt_vtd_s1, addr_width, 16);
IOFD_OFF(iofd_hwpt_vtd_s1, reserved, 20);

/** Vendor data IOFD_HWPT_DATA_ARM_SMMUV3: STE words 0-1, little-endian. */
struct iofd_hwpt_arm_smmuv3 {
	IOFD_ALIGNED_U64 ste[2];
};
IOFD_SIZE(iofd_hwpt_arm_smmuv3, 16);
IOFD_OFF(iofd_hwpt_arm_smmuv3, ste, 0);

/** Vendor data IOFD_HWPT_DATA_SELFTEST: initial value of the mock IOTLB. */
struct iofd_hwpt_selftest {
	uint32_t iotlb;
};
IOFD_SIZE(iofd_hwpt_selftest, 4);

/** Initial value of every mock IOTLB slot the selftest uses. */
#define IOFD_TEST_IOTLB_DEFAULT 0xbadbeefu
/** Mock nested domains cache slots 0..IOFD_TEST_IOTLB_ID_MAX. */
#define IOFD_TEST_IOTLB_ID_MAX 3u
/** Number of mock IOTLB slots. */
#define IOFD_TEST_IOTLB_NUM 4u

/* ================================================================== */
/* Hardware information                                                */
/* ================================================================== */

/** hw_info data types. */
enum iofd_hw_info_type {
	IOFD_HW_INFO_TYPE_NONE = 0,
	IOFD_HW_INFO_TYPE_INTEL_VTD = 1,
	IOFD_HW_INFO_TYPE_ARM_SMMUV3 = 2,     /**< 6.13 */
	IOFD_HW_INFO_TYPE_TEGRA241_CMDQV = 3, /**< 6.17 */
	/** Selftest mock driver. */
	IOFD_HW_INFO_TYPE_SELFTEST = 0xfeedbeef,
};

/** out_capabilities bits. */
#define IOFD_HW_CAP_DIRTY_TRACKING (1ULL << 0)
#define IOFD_HW_CAP_PCI_PASID_EXEC (1ULL << 1)
#define IOFD_HW_CAP_PCI_PASID_PRIV (1ULL << 2)

/** IOMMU_GET_HW_INFO: capabilities of the IOMMU behind a bound device. */
struct iofd_hw_info {
	uint32_t size;
	uint32_t flags;           /**< 0 (INPUT_TYPE flag: 6.17) */
	uint32_t dev_id;
	uint32_t data_len;        /**< in: buffer length; out: kernel's length */
	IOFD_ALIGNED_U64 data_uptr;
	uint32_t out_data_type;   /**< enum iofd_hw_info_type */
	uint8_t out_max_pasid_log2;
	uint8_t reserved[3];
	IOFD_ALIGNED_U64 out_capabilities;
};
IOFD_SIZE(iofd_hw_info, 40);
IOFD_OFF(iofd_hw_info, flags, 4);
IOFD_OFF(iofd_hw_info, dev_id, 8);
IOFD_OFF(iofd_hw_info, data_len, 12);
IOFD_OFF(iofd_hw_info, data_uptr, 16);
IOFD_OFF(iofd_hw_info, out_data_type, 24);
IOFD_OFF(iofd_hw_info, out_max_pasid_log2, 28);
IOFD_OFF(iofd_hw_info, reserved, 29);
IOFD_OFF(iofd_hw_info, out_capabilities, 32);

/** hw_info data of IOFD_HW_INFO_TYPE_INTEL_VTD. */
struct iofd_hw_info_vtd {
	uint32_t flags;
	uint32_t reserved;
	IOFD_ALIGNED_U64 cap_reg;
	IOFD_ALIGNED_U64 ecap_reg;
};
IOFD_SIZE(iofd_hw_info_vtd, 24);
IOFD_OFF(iofd_hw_info_vtd, cap_reg, 8);
IOFD_OFF(iofd_hw_info_vtd, ecap_reg, 16);

/** hw_info data of IOFD_HW_INFO_TYPE_ARM_SMMUV3. */
struct iofd_hw_info_arm_smmuv3 {
	uint32_t flags;
	uint32_t reserved;
	uint32_t idr[6];
	uint32_t iidr;
	uint32_t aidr;
};
IOFD_SIZE(iofd_hw_info_arm_smmuv3, 40);
IOFD_OFF(iofd_hw_info_arm_smmuv3, idr, 8);
IOFD_OFF(iofd_hw_info_arm_smmuv3, iidr, 32);
IOFD_OFF(iofd_hw_info_arm_smmuv3, aidr, 36);

/** hw_info data of IOFD_HW_INFO_TYPE_SELFTEST. */
struct iofd_hw_info_selftest {
	uint32_t flags;
	uint32_t test_reg;        /**< IOFD_HW_INFO_SELFTEST_REGVAL */
};
IOFD_SIZE(iofd_hw_info_selftest, 8);
IOFD_OFF(iofd_hw_info_selftest, test_reg, 4);
/** Value of the mock device's test_reg. */
#define IOFD_HW_INFO_SELFTEST_REGVAL 0xdeadbeefu

/** Largest hw_info data the backend reads (kernel tails are zeroed). */
#define IOFD_HW_INFO_DATA_MAX 64

/* ================================================================== */
/* Cache invalidation                                                  */
/* ================================================================== */

/** Invalidation data types (entry formats of IOMMU_HWPT_INVALIDATE). */
enum iofd_inv_data_type {
	IOFD_INV_DATA_VTD_S1 = 0,
	IOFD_INV_DATA_ARM_SMMUV3 = 1,         /**< 6.13, vIOMMU target */
	/** Selftest nested HWPT entries. */
	IOFD_INV_DATA_SELFTEST = 0xdeadbeef,
	/** A type the selftest driver refuses (negative tests). */
	IOFD_INV_DATA_SELFTEST_INVALID = 0xdadbeef,
};

/** IOMMU_HWPT_INVALIDATE: an array of entries, applied in order. */
struct iofd_hwpt_invalidate {
	uint32_t size;
	uint32_t hwpt_id;          /**< nested HWPT, or vIOMMU (6.13) */
	IOFD_ALIGNED_U64 data_uptr;
	uint32_t data_type;        /**< enum iofd_inv_data_type */
	uint32_t entry_len;
	uint32_t entry_num;        /**< in: entries; out: entries handled */
	uint32_t reserved;
};
IOFD_SIZE(iofd_hwpt_invalidate, 32);
IOFD_OFF(iofd_hwpt_invalidate, hwpt_id, 4);
IOFD_OFF(iofd_hwpt_invalidate, data_uptr, 8);
IOFD_OFF(iofd_hwpt_invalidate, data_type, 16);
IOFD_OFF(iofd_hwpt_invalidate, entry_len, 20);
IOFD_OFF(iofd_hwpt_invalidate, entry_num, 24);
IOFD_OFF(iofd_hwpt_invalidate, reserved, 28);

/** VT-d entry flag: only leaf entries changed. */
#define IOFD_VTD_INV_FLAGS_LEAF (1u << 0)
/** VT-d entry: npages = UINT64_MAX with addr = 0 invalidates everything. */
struct iofd_inv_vtd_s1 {
	IOFD_ALIGNED_U64 addr;     /**< 4 KiB aligned */
	IOFD_ALIGNED_U64 npages;
	uint32_t flags;            /**< IOFD_VTD_INV_FLAGS_* */
	uint32_t reserved;
};
IOFD_SIZE(iofd_inv_vtd_s1, 24);
IOFD_OFF(iofd_inv_vtd_s1, npages, 8);
IOFD_OFF(iofd_inv_vtd_s1, flags, 16);
IOFD_OFF(iofd_inv_vtd_s1, reserved, 20);

/** SMMUv3 entry (vIOMMU target): one raw command, little-endian. */
struct iofd_inv_arm_smmuv3 {
	IOFD_ALIGNED_U64 cmd[2];
};
IOFD_SIZE(iofd_inv_arm_smmuv3, 16);

/** Selftest entry flag: invalidate every slot (iotlb_id ignored). */
#define IOFD_TEST_INVALIDATE_FLAG_ALL (1u << 0)
/** Selftest entry. */
struct iofd_inv_selftest {
	uint32_t flags;            /**< IOFD_TEST_INVALIDATE_FLAG_* */
	uint32_t iotlb_id;         /**< 0..IOFD_TEST_IOTLB_ID_MAX */
};
IOFD_SIZE(iofd_inv_selftest, 8);
IOFD_OFF(iofd_inv_selftest, iotlb_id, 4);

/* ================================================================== */
/* vIOMMU and vDEVICE (6.13)                                           */
/* ================================================================== */

/** vIOMMU types. */
enum iofd_viommu_type {
	IOFD_VIOMMU_TYPE_DEFAULT = 0,
	IOFD_VIOMMU_TYPE_ARM_SMMUV3 = 1,
	IOFD_VIOMMU_TYPE_TEGRA241_CMDQV = 2,  /**< 6.17 */
};

/** IOMMU_VIOMMU_ALLOC: a vIOMMU on a nesting parent. */
struct iofd_viommu_alloc {
	uint32_t size;
	uint32_t flags;            /**< 0 */
	uint32_t type;             /**< enum iofd_viommu_type */
	uint32_t dev_id;
	uint32_t hwpt_id;          /**< the NEST_PARENT HWPT */
	uint32_t out_viommu_id;
	uint32_t data_len;         /**< 6.17 driver data; 0 here */
	uint32_t reserved;
	IOFD_ALIGNED_U64 data_uptr;/**< 6.17 */
};
IOFD_SIZE(iofd_viommu_alloc, 40);
IOFD_OFF(iofd_viommu_alloc, flags, 4);
IOFD_OFF(iofd_viommu_alloc, type, 8);
IOFD_OFF(iofd_viommu_alloc, dev_id, 12);
IOFD_OFF(iofd_viommu_alloc, hwpt_id, 16);
IOFD_OFF(iofd_viommu_alloc, out_viommu_id, 20);
IOFD_OFF(iofd_viommu_alloc, data_len, 24);
IOFD_OFF(iofd_viommu_alloc, data_uptr, 32);

/** IOMMU_VDEVICE_ALLOC: a device's virtual ID (vSID) on a vIOMMU. */
struct iofd_vdevice_alloc {
	uint32_t size;
	uint32_t viommu_id;
	uint32_t dev_id;
	uint32_t out_vdevice_id;
	IOFD_ALIGNED_U64 virt_id;
};
IOFD_SIZE(iofd_vdevice_alloc, 24);
IOFD_OFF(iofd_vdevice_alloc, viommu_id, 4);
IOFD_OFF(iofd_vdevice_alloc, dev_id, 8);
IOFD_OFF(iofd_vdevice_alloc, out_vdevice_id, 12);
IOFD_OFF(iofd_vdevice_alloc, virt_id, 16);

/* ================================================================== */
/* Selftest (CONFIG_IOMMUFD_TEST)                                      */
/* ================================================================== */

/** Selftest operations (iofd_test_cmd.op), in the kernel's order. */
enum iofd_test_op {
	IOFD_TEST_OP_ADD_RESERVED = 1,
	IOFD_TEST_OP_MOCK_DOMAIN = 2,
	IOFD_TEST_OP_MD_CHECK_MAP = 3,
	IOFD_TEST_OP_MD_CHECK_REFS = 4,
	IOFD_TEST_OP_CREATE_ACCESS = 5,
	IOFD_TEST_OP_DESTROY_ACCESS_PAGES = 6,
	IOFD_TEST_OP_ACCESS_PAGES = 7,
	IOFD_TEST_OP_ACCESS_RW = 8,
	IOFD_TEST_OP_SET_TEMP_MEMORY_LIMIT = 9,
	IOFD_TEST_OP_MOCK_DOMAIN_REPLACE = 10,
	IOFD_TEST_OP_ACCESS_REPLACE_IOAS = 11,
	IOFD_TEST_OP_MOCK_DOMAIN_FLAGS = 12,
	IOFD_TEST_OP_DIRTY = 13,
	IOFD_TEST_OP_MD_CHECK_IOTLB = 14,
};

/** Mock domain aperture (GPAs of a stage-2 IOAS must lie inside). */
#define IOFD_MOCK_APERTURE_START (1ULL << 24)
#define IOFD_MOCK_APERTURE_LAST  ((1ULL << 31) - 1)

/**
 * IOMMU_TEST_CMD. Only the members of the operations uiommu uses are
 * named; the union is as large as the kernel's largest member (dirty: 48
 * bytes), so `last` sits where the kernel expects it.
 */
struct iofd_test_cmd {
	uint32_t size;
	uint32_t op;               /**< enum iofd_test_op */
	uint32_t id;               /**< pt_id / device / HWPT the op targets */
	uint32_t reserved;
	union {
		struct {
			uint32_t out_stdev_id;  /**< selftest object: destroy it */
			uint32_t out_hwpt_id;   /**< attached HWPT */
			uint32_t out_idev_id;   /**< iommufd device ID */
		} mock_domain;
		struct {
			uint32_t pt_id;         /**< in: target; out: HWPT */
		} mock_domain_replace;
		struct {
			IOFD_ALIGNED_U64 iova;   /**< first IOVA */
			IOFD_ALIGNED_U64 length; /**< bytes */
			IOFD_ALIGNED_U64 uptr;   /**< caller's view of the pages */
		} check_map;
		struct {
			uint32_t id;            /**< IOTLB slot */
			uint32_t iotlb;         /**< expected value */
		} check_iotlb;
		/** Room of the kernel's largest union member. */
		IOFD_ALIGNED_U64 pad[6];
	};
	uint32_t last;
};
IOFD_SIZE(iofd_test_cmd, 72);
IOFD_OFF(iofd_test_cmd, op, 4);
IOFD_OFF(iofd_test_cmd, id, 8);
IOFD_OFF(iofd_test_cmd, reserved, 12);
IOFD_OFF(iofd_test_cmd, mock_domain.out_stdev_id, 16);
IOFD_OFF(iofd_test_cmd, mock_domain.out_hwpt_id, 20);
IOFD_OFF(iofd_test_cmd, mock_domain.out_idev_id, 24);
IOFD_OFF(iofd_test_cmd, mock_domain_replace.pt_id, 16);
IOFD_OFF(iofd_test_cmd, check_map.iova, 16);
IOFD_OFF(iofd_test_cmd, check_map.length, 24);
IOFD_OFF(iofd_test_cmd, check_map.uptr, 32);
IOFD_OFF(iofd_test_cmd, check_iotlb.id, 16);
IOFD_OFF(iofd_test_cmd, check_iotlb.iotlb, 20);
IOFD_OFF(iofd_test_cmd, last, 64);

/* ================================================================== */
/* VFIO device cdev (/dev/vfio/devices/vfioN)                          */
/* ================================================================== */

/** First VFIO ioctl number. */
#define IOFD_VFIO_BASE 100

/** VFIO_DEVICE_BIND_IOMMUFD (6.6): bind a cdev to an iommufd. */
struct iofd_vfio_bind_iommufd {
	uint32_t argsz;
	uint32_t flags;            /**< 0 */
	int32_t iommufd;
	uint32_t out_devid;
};
IOFD_SIZE(iofd_vfio_bind_iommufd, 16);
IOFD_OFF(iofd_vfio_bind_iommufd, flags, 4);
IOFD_OFF(iofd_vfio_bind_iommufd, iommufd, 8);
IOFD_OFF(iofd_vfio_bind_iommufd, out_devid, 12);
#define IOFD_VFIO_DEVICE_BIND_IOMMUFD _IO(IOFD_TYPE, IOFD_VFIO_BASE + 18)

/** VFIO_DEVICE_ATTACH_IOMMUFD_PT: attach (or replace) to an IOAS/HWPT. */
struct iofd_vfio_attach_pt {
	uint32_t argsz;
	uint32_t flags;            /**< 0 */
	uint32_t pt_id;            /**< in: IOAS or HWPT; out: HWPT */
};
IOFD_SIZE(iofd_vfio_attach_pt, 12);
IOFD_OFF(iofd_vfio_attach_pt, flags, 4);
IOFD_OFF(iofd_vfio_attach_pt, pt_id, 8);
#define IOFD_VFIO_DEVICE_ATTACH_PT _IO(IOFD_TYPE, IOFD_VFIO_BASE + 19)

/** VFIO_DEVICE_DETACH_IOMMUFD_PT: detach; the device then blocks DMA. */
struct iofd_vfio_detach_pt {
	uint32_t argsz;
	uint32_t flags;            /**< 0 */
};
IOFD_SIZE(iofd_vfio_detach_pt, 8);
IOFD_OFF(iofd_vfio_detach_pt, flags, 4);
#define IOFD_VFIO_DEVICE_DETACH_PT _IO(IOFD_TYPE, IOFD_VFIO_BASE + 20)

#ifdef __cplusplus
}
#endif

#endif /* UIOMMU_IOMMUFD_UAPI_H */
