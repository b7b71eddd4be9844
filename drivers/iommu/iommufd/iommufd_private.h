/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * iommufd backend: private structures shared by its files (never installed).
 *
 * Object map (the backend's view; kernel object IDs are per /dev/iommu fd):
 *
 *   struct iofd_viommu (one per uiommu vIOMMU, one /dev/iommu fd)
 *     ioas_id      stage-2 IOAS: guest RAM at IOVA = GPA (IOAS_MAP[_FILE])
 *     abort_ioas   empty IOAS, the "blocked" target of selftest devices
 *     parent_id    HWPT_PAGING with NEST_PARENT over ioas_id (first device)
 *     kviommu_id   kernel vIOMMU on parent_id (SMMUv3 on 6.13+), or 0
 *     s1[]         nested HWPTs (struct iofd_s1), shared by the devices
 *                  whose guest configuration is identical
 *     dev[]        bound devices (struct iofd_dev)
 *
 *   struct iofd_dev (one per vDEVICE)
 *     kind         selftest mock device or VFIO cdev
 *     dev_id       iommufd device ID (HWPT_ALLOC, GET_HW_INFO, vDEVICE)
 *     vdevice_id   kernel vDEVICE (virt_id = vSID) when kviommu_id != 0
 *     s1           the nested HWPT the device is attached to, or NULL
 *
 * Locking: none. Control ops run on the control thread, set_ste and
 * invalidate on the vIOMMU's polling lcore, never concurrently (the core's
 * pause contract, uiommu_backend.h).
 */
#ifndef IOMMUFD_PRIVATE_H
#define IOMMUFD_PRIVATE_H

#include <stdbool.h>
#include <stdint.h>

#include "uiommu_backend.h"
#include "uiommu_config.h"
#include "uiommu_log.h"
#include "iommufd_uapi.h"

extern int uiommu_logtype_iommufd;
#define IOFD_LOG(level, ...) UIOMMU_LOG(level, uiommu_logtype_iommufd, __VA_ARGS__)

/** Default iommufd character device. */
#define IOFD_DEV_PATH_DEFAULT "/dev/iommu"
/** Longest device path accepted in "dev=" and cdev specs. */
#define IOFD_PATH_MAX 128
/** Largest vendor data of a nested HWPT (VT-d: 24 bytes). */
#define IOFD_HWPT_DATA_MAX 32
/** Largest invalidation entry (VT-d: 24 bytes). */
#define IOFD_INV_ENTRY_MAX 24

/** Whether the running kernel has an optional ioctl (detected on first use). */
enum iofd_feat {
	IOFD_FEAT_UNKNOWN = 0,  /**< not tried yet */
	IOFD_FEAT_YES,          /**< the kernel accepted it once */
	IOFD_FEAT_NO,           /**< the kernel answered ENOTTY */
};

/** How the vIOMMU realises the guest's stage-1. */
enum iofd_mode {
	IOFD_MODE_UNDECIDED = 0,  /**< no device bound yet */
	IOFD_MODE_NESTED,         /**< HWPT_NESTED on a NEST_PARENT */
	IOFD_MODE_SHADOW,         /**< stage-1 composed into a shadow IOAS */
};

/** The IOMMU behind a device, parsed from IOMMU_GET_HW_INFO. */
struct iofd_hw {
	uint32_t type;            /**< IOFD_HW_INFO_TYPE_* */
	uint64_t kcaps;           /**< kernel out_capabilities */
	uint8_t max_pasid_log2;   /**< PASID bits */
	bool nesting;             /**< the hardware can walk a guest stage-1 */
	uint32_t hwpt_data_type;  /**< vendor format of HWPT_NESTED */
	uint32_t inv_data_type;   /**< invalidation entry format */
	uint32_t inv_entry_len;   /**< bytes per invalidation entry */
	uint32_t viommu_type;     /**< kernel vIOMMU type, 0 when none is used */
	uint64_t caps;            /**< UIOMMU_HW_CAP_* */
	uint64_t pgsize_bitmap;   /**< stage-2 page sizes, 0 if unknown */
	uint8_t ias, oas;         /**< address bits, 0 if unknown */
	char model[64];           /**< for hw_info().model */
};

/** Kind of a bound device. */
enum iofd_dev_kind {
	IOFD_DEV_MOCK,            /**< IOMMU_TEST_OP_MOCK_DOMAIN device */
	IOFD_DEV_CDEV,            /**< VFIO device cdev bound to the iommufd */
};

/** What a device is attached to (for logs and tests). */
enum iofd_attach {
	IOFD_ATTACH_BLOCKED = 0,  /**< no translation: DMA aborts */
	IOFD_ATTACH_S2,           /**< nest parent / stage-2 IOAS (guest bypass) */
	IOFD_ATTACH_NESTED,       /**< a nested HWPT */
	IOFD_ATTACH_SHADOW,       /**< a shadow IOAS */
};

struct iofd_viommu;

/** A nested HWPT, shared by devices with identical guest configuration. */
struct iofd_s1 {
	uint32_t hwpt_id;                 /**< kernel HWPT_NESTED */
	uint32_t refs;                    /**< devices attached */
	uint32_t data_type;               /**< IOFD_HWPT_DATA_* */
	uint32_t data_len;                /**< bytes of data[] */
	uint64_t key[2];                  /**< sanitized STE words 0-1 */
	uint8_t data[IOFD_HWPT_DATA_MAX]; /**< vendor data as allocated */
};

/** A bound device. */
struct iofd_dev {
	struct iofd_viommu *vi;   /**< owner */
	enum iofd_dev_kind kind;  /**< mock or cdev */
	uint32_t vsid;            /**< guest stream ID */
	int dev_fd;               /**< cdev fd, -1 for mock */
	uint32_t dev_id;          /**< iommufd device ID */
	uint32_t stdev_id;        /**< selftest object (mock), 0 otherwise */
	uint32_t vdevice_id;      /**< kernel vDEVICE, 0 when none */
	enum iofd_attach attach;  /**< current attachment */
	struct iofd_s1 *s1;       /**< when attach == IOFD_ATTACH_NESTED */
	void *shadow;             /**< shadow (IOFD_ATTACH_SHADOW), iommufd_shadow.c */
	uint32_t slot;            /**< index in vi->dev[] */
};

/** Counters (control thread and the vIOMMU's lcore; read for tests). */
struct iofd_stats {
	uint64_t inv_ioctls;      /**< IOMMU_HWPT_INVALIDATE calls */
	uint64_t inv_entries;     /**< entries handed to the kernel */
	uint64_t inv_failed;      /**< calls that failed */
	uint64_t inv_skipped;     /**< batch entries with no kernel effect */
	uint64_t hwpt_nested;     /**< nested HWPTs allocated */
	uint64_t attach;          /**< attach/replace/detach calls */
};

/** One vIOMMU of the backend. */
struct iofd_viommu {
	int fd;                   /**< /dev/iommu */
	uint16_t vmid;            /**< manager's VMID (logs) */
	const struct uiommu_gmem *gmem; /**< the VM's RAM */
	uint32_t ioas_id;         /**< stage-2 IOAS, IOVA = GPA */
	uint32_t abort_ioas;      /**< empty IOAS (blocked mock devices), 0 until needed */
	uint32_t parent_id;       /**< NEST_PARENT HWPT, 0 until the first device */
	uint32_t kviommu_id;      /**< kernel vIOMMU, 0 when none */
	enum iofd_mode mode;      /**< decided at the first device */
	bool force_shadow;        /**< args "nesting=off" */
	bool inv_probed;          /**< invalidation type probed with entry_num 0 */
	enum iofd_feat map_file;  /**< IOMMU_IOAS_MAP_FILE */
	enum iofd_feat viommu;    /**< IOMMU_VIOMMU_ALLOC */
	struct iofd_hw hw;        /**< hardware of the devices (valid once mode set) */
	uint32_t nr_dev;          /**< devices bound */
	struct iofd_dev *dev[UIOMMU_MAX_VDEVICES];  /**< by slot, NULL = free */
	struct iofd_s1 *s1[UIOMMU_MAX_VDEVICES];    /**< nested HWPTs, NULL = free */
	struct iofd_stats st;     /**< counters */
	/** Fast-path scratch: the request array of one kernel call. */
	uint64_t req[UIOMMU_BATCH_MAX * IOFD_INV_ENTRY_MAX / 8];
	/** Batch index of each request entry. */
	uint16_t map[UIOMMU_BATCH_MAX];
	char path[IOFD_PATH_MAX]; /**< device path opened */
};

/* ---------------------------------------------------------------- ioctl */

/**
 * ioctl() on an iommufd or VFIO cdev fd.
 * @return 0, or the negative errno the kernel returned.
 */
int iofd_ioctl(int fd, unsigned long req, void *arg);

/**
 * IOMMU_DESTROY of an object; errors are logged, never returned (destroy
 * paths cannot fail).
 */
void iofd_destroy(int fd, uint32_t id);

/* ------------------------------------------------------------ hardware */

/**
 * Parse IOMMU_GET_HW_INFO output into what the backend needs.
 * @param type   out_data_type
 * @param data   the vendor data the kernel wrote (zero-filled tail)
 * @param len    bytes the kernel reported in data_len
 * @param kcaps  out_capabilities
 * @param[out] out  filled; unknown types give a non-nesting description
 * @return 0; -EINVAL (out NULL, or data NULL with len != 0), -EOVERFLOW
 *         (len larger than IOFD_HW_INFO_DATA_MAX).
 */
int iofd_hw_parse(uint32_t type, const void *data, uint32_t len,
		  uint64_t kcaps, struct iofd_hw *out);

/**
 * Read and parse the hardware information of a bound device.
 * @return 0; -ENOTTY (kernel without GET_HW_INFO: parsed as type NONE is
 *         left to the caller), or the kernel's errno.
 */
int iofd_hw_query(int fd, uint32_t dev_id, struct iofd_hw *out);

/** Remember the last hardware seen (reported by the hw_info op). */
void iofd_hw_remember(const struct iofd_hw *hw, bool viommu_obj);

/** The backend's hw_info op. */
int iofd_hw_info(struct uiommu_hw_info *info);

/* -------------------------------------------------------------- devices */

/** vdevice_alloc op. */
int iofd_vdevice_alloc(void *priv, const char *spec, uint32_t vsid,
		       void *regs, void **dev_priv,
		       struct uiommu_vdevice_out *out);
/** vdevice_free op. */
void iofd_vdevice_free(void *dev_priv);

/**
 * Attach (or replace) a device to an IOAS or HWPT.
 * @return 0 or the kernel's negative errno.
 */
int iofd_dev_attach(struct iofd_dev *d, uint32_t pt_id);

/**
 * Block a device's DMA (cdev: detach; mock: the empty abort IOAS) and drop
 * its nested HWPT reference. Errors are logged; the device is then left
 * wherever the kernel kept it.
 */
void iofd_dev_block(struct iofd_dev *d);

/* --------------------------------------------------------------- nested */

/** vdevice_set_ste op. */
int iofd_vdevice_set_ste(void *dev_priv, const struct uiommu_ste_info *ste);

/**
 * Build the vendor data of a nested HWPT for a guest STE (S1 / nested).
 * @param vi   the vIOMMU (hardware type; guest memory for VT-d CDs)
 * @param ste  validated guest STE
 * @param[out] s1  data_type, data_len, data[] and key[] filled
 * @return 0; -EINVAL (the configuration cannot be expressed: CD outside
 *         RAM or invalid for VT-d), -EOPNOTSUPP (no nested format).
 */
int iofd_s1_build(const struct iofd_viommu *vi,
		  const struct uiommu_ste_info *ste, struct iofd_s1 *s1);

/** Drop one device reference of a nested HWPT; destroys it at zero. */
void iofd_s1_put(struct iofd_viommu *vi, struct iofd_s1 *s1);

/** Decide the vIOMMU's mode from the first device's hardware. */
int iofd_nest_setup(struct iofd_viommu *vi, struct iofd_dev *d);

/* --------------------------------------------------------- invalidation */

/**
 * Convert a batch into one kernel request array.
 * @param type     IOFD_INV_DATA_* of the target
 * @param batch    the core's batch
 * @param n        entries, <= UIOMMU_BATCH_MAX
 * @param s1       per-HWPT target: device-scoped entries (ATC_INV, CFGI_CD*)
 *                 are kept only for devices attached to s1; NULL for a
 *                 vIOMMU target (the kernel translates vSIDs)
 * @param[out] req   room for n entries of the type's size
 * @param[out] map   batch index of each request entry
 * @return entries written (0..n); entries with no kernel effect (CFGI_STE,
 *         CFGI_ALL) are skipped.
 */
unsigned int iofd_inv_build(uint32_t type, const struct uiommu_inv *batch,
			    unsigned int n, const struct iofd_s1 *s1,
			    void *req, uint16_t *map);

/** Bytes per entry of an invalidation type, 0 if unknown. */
uint32_t iofd_inv_entry_len(uint32_t type);

/** invalidate op. */
int iofd_invalidate(void *priv, const struct uiommu_inv *batch,
		    unsigned int n, unsigned int *done);

/* --------------------------------------------------------------- shadow */

/** Turn a device's S1 configuration into a shadow IOAS (shadow mode). */
int iofd_shadow_attach(struct iofd_dev *d, const struct uiommu_ste_info *ste);
/** Release a device's shadow context. Never fails. */
void iofd_shadow_detach(struct iofd_dev *d);
/** Apply a batch in shadow mode. Same contract as invalidate(). */
int iofd_shadow_invalidate(struct iofd_viommu *vi,
			   const struct uiommu_inv *batch, unsigned int n,
			   unsigned int *done);

#endif /* IOMMUFD_PRIVATE_H */
