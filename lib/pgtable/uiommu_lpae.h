/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * AArch64 LPAE (VMSAv8-64) translation tables, 4 KiB granule: descriptor
 * bits, register encodings and a read-only walker for tables the project
 * does not own.
 *
 * Geometry (4 KiB granule): levels 0..3 resolve input-address bits
 * [47:39], [38:30], [29:21], [20:12]; leaves are 1 GiB blocks (level 1),
 * 2 MiB blocks (level 2) and 4 KiB pages (level 3). A walk with an input
 * size of IAS bits starts at level 4 - ceil((IAS - 12) / 9). A stage-2 walk
 * may start one level lower with up to 16 concatenated top tables.
 *
 * **Hostile input.** uiommu_lpae_walk() treats every descriptor as hostile:
 * it reads at most one descriptor per level (at most 4 in all), never
 * recurses on guest data, allocates nothing, and only reads memory through
 * the caller's read_pte() callback, which decides what is readable. A table
 * pointing to itself simply ends at level 3 (where a table descriptor is a
 * page). Malformed descriptors produce the architecture's fault kind.
 */
#ifndef UIOMMU_LPAE_H
#define UIOMMU_LPAE_H

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** @name Geometry of the 4 KiB granule */
/**@{*/
#define UIOMMU_LPAE_GRANULE_SHIFT 12
#define UIOMMU_LPAE_GRANULE (1ULL << UIOMMU_LPAE_GRANULE_SHIFT)
#define UIOMMU_LPAE_BITS_PER_LEVEL 9
#define UIOMMU_LPAE_ENTRIES 512u          /**< descriptors per table */
#define UIOMMU_LPAE_MAX_LEVELS 4          /**< levels 0..3 */
#define UIOMMU_LPAE_MAX_CONCAT 16u        /**< stage-2 concatenated tables */
#define UIOMMU_LPAE_MIN_IAS 25u           /**< smallest input size supported */
#define UIOMMU_LPAE_MAX_IAS 48u           /**< largest input size (4K granule) */
#define UIOMMU_LPAE_MIN_OAS 32u           /**< smallest output size */
#define UIOMMU_LPAE_MAX_OAS 48u           /**< largest output size (no LPA2) */
/** log2 of the bytes one descriptor at @p lvl (0..3) maps: 39, 30, 21, 12. */
#define UIOMMU_LPAE_LVL_SHIFT(lvl) \
	(UIOMMU_LPAE_GRANULE_SHIFT + UIOMMU_LPAE_BITS_PER_LEVEL * (3 - (lvl)))
/**@}*/

/** @name Descriptor bits (architecture layout, both stages unless noted) */
/**@{*/
#define UIOMMU_LPAE_PTE_VALID      (1ULL << 0)
#define UIOMMU_LPAE_PTE_TYPE_MASK  (3ULL << 0)
#define UIOMMU_LPAE_PTE_TYPE_BLOCK (1ULL << 0) /**< levels 1-2 */
#define UIOMMU_LPAE_PTE_TYPE_TABLE (3ULL << 0) /**< levels 0-2 */
#define UIOMMU_LPAE_PTE_TYPE_PAGE  (3ULL << 0) /**< level 3 */
#define UIOMMU_LPAE_PTE_ATTRINDX_SHIFT 2       /**< S1 AttrIndx [4:2] */
#define UIOMMU_LPAE_PTE_ATTRINDX_MASK (7ULL << 2)
#define UIOMMU_LPAE_PTE_MEMATTR_SHIFT 2        /**< S2 MemAttr [5:2] */
#define UIOMMU_LPAE_PTE_MEMATTR_MASK (0xfULL << 2)
#define UIOMMU_LPAE_PTE_NS         (1ULL << 5)  /**< S1 non-secure */
#define UIOMMU_LPAE_PTE_AP_UNPRIV  (1ULL << 6)  /**< S1 AP[1]: EL0 access */
#define UIOMMU_LPAE_PTE_AP_RDONLY  (1ULL << 7)  /**< S1 AP[2]: read-only */
#define UIOMMU_LPAE_PTE_S2AP_READ  (1ULL << 6)  /**< S2AP[0]: read allowed */
#define UIOMMU_LPAE_PTE_S2AP_WRITE (1ULL << 7)  /**< S2AP[1]: write allowed */
#define UIOMMU_LPAE_PTE_SH_SHIFT   8            /**< SH [9:8] */
#define UIOMMU_LPAE_PTE_SH_MASK    (3ULL << 8)
#define UIOMMU_LPAE_PTE_SH_NS      (0ULL << 8)  /**< non-shareable */
#define UIOMMU_LPAE_PTE_SH_OS      (2ULL << 8)  /**< outer shareable */
#define UIOMMU_LPAE_PTE_SH_IS      (3ULL << 8)  /**< inner shareable */
#define UIOMMU_LPAE_PTE_AF         (1ULL << 10) /**< access flag */
#define UIOMMU_LPAE_PTE_NG         (1ULL << 11) /**< S1 not-global */
#define UIOMMU_LPAE_PTE_ADDR_MASK  0x0000fffffffff000ULL /**< OA [47:12] */
#define UIOMMU_LPAE_PTE_ADDR_HI_MASK 0x000f000000000000ULL /**< [51:48], RES0 here */
#define UIOMMU_LPAE_PTE_DBM        (1ULL << 51)
#define UIOMMU_LPAE_PTE_CONT       (1ULL << 52) /**< contiguous hint */
#define UIOMMU_LPAE_PTE_PXN        (1ULL << 53) /**< S1 PXN */
#define UIOMMU_LPAE_PTE_UXN        (1ULL << 54) /**< S1 UXN/XN; S2 XN[1] */
#define UIOMMU_LPAE_PTE_XN         (3ULL << 53) /**< XN [54:53] */
#define UIOMMU_LPAE_PTE_SW_MASK    (0xfULL << 55) /**< ignored by hardware */
/* Stage-1 table descriptors only (hierarchical attributes). */
#define UIOMMU_LPAE_TBL_PXNTABLE   (1ULL << 59)
#define UIOMMU_LPAE_TBL_UXNTABLE   (1ULL << 60)
#define UIOMMU_LPAE_TBL_AP_NOEL0   (1ULL << 61) /**< APTable[0] */
#define UIOMMU_LPAE_TBL_AP_RDONLY  (1ULL << 62) /**< APTable[1] */
#define UIOMMU_LPAE_TBL_NSTABLE    (1ULL << 63)
/**@}*/

/** @name Stage-1 memory attributes (MAIR indices and values) */
/**@{*/
#define UIOMMU_LPAE_MAIR_IDX_NC     0u /**< normal non-cacheable, 0x44 */
#define UIOMMU_LPAE_MAIR_IDX_CACHE  1u /**< normal WB RW-allocate, 0xff */
#define UIOMMU_LPAE_MAIR_IDX_DEV    2u /**< device nGnRE, 0x04 */
#define UIOMMU_LPAE_MAIR_IDX_INC_OCACHE 3u /**< inner NC, outer WB, 0xf4 */
#define UIOMMU_LPAE_MAIR_VALUE 0x00000000f404ff44ULL /**< MAIR for the above */
/**@}*/

/** @name Stage-2 MemAttr values */
/**@{*/
#define UIOMMU_LPAE_MEMATTR_CACHE 0xfu /**< normal, inner/outer WB */
#define UIOMMU_LPAE_MEMATTR_NC    0x5u /**< normal, non-cacheable */
#define UIOMMU_LPAE_MEMATTR_DEV   0x1u /**< device nGnRE */
/**@}*/

/** @name TCR/VTCR field encodings */
/**@{*/
#define UIOMMU_LPAE_TG0_4K  0u
#define UIOMMU_LPAE_TG0_64K 1u
#define UIOMMU_LPAE_TG0_16K 2u
#define UIOMMU_LPAE_RGN_NC   0u /**< IRGN/ORGN non-cacheable */
#define UIOMMU_LPAE_RGN_WBWA 1u /**< write-back, write-allocate */
#define UIOMMU_LPAE_RGN_WT   2u
#define UIOMMU_LPAE_RGN_WB   3u
#define UIOMMU_LPAE_SH_NS 0u
#define UIOMMU_LPAE_SH_OS 2u
#define UIOMMU_LPAE_SH_IS 3u
/**@}*/

/**
 * Register values describing one table, for building SMMUv3 CDs and STEs
 * (and the equivalent CPU registers). Fields are the architecture's
 * encodings; fields of the other stage are zero.
 */
struct uiommu_lpae_regs {
	unsigned int stage;      /**< 1 or 2 */
	unsigned int start_level; /**< level of the top table (0..3) */
	unsigned int concat;     /**< top tables concatenated (1..16; S2 only > 1) */
	unsigned int ias;        /**< input address bits */
	unsigned int oas;        /**< output address bits */
	uint64_t ttb;            /**< table base: TTB0 (S1) or S2TTB/VTTBR (S2) */
	/* Common TCR/VTCR fields. */
	unsigned int t0sz;       /**< 64 - ias */
	unsigned int tg0;        /**< granule: UIOMMU_LPAE_TG0_4K */
	unsigned int sh0;        /**< table-walk shareability */
	unsigned int irgn0;      /**< table-walk inner cacheability */
	unsigned int orgn0;      /**< table-walk outer cacheability */
	/* Stage-1 only. */
	unsigned int ips;        /**< TCR.IPS / CD.IPS encoding of oas */
	uint64_t mair;           /**< MAIR value matching the AttrIndx used */
	/* Stage-2 only. */
	unsigned int sl0;        /**< VTCR.SL0 (4K: 0 = L2, 1 = L1, 2 = L0) */
	unsigned int ps;         /**< VTCR.PS / STE.S2PS encoding of oas */
};

/**
 * Encode an output size in bits as TCR.IPS / VTCR.PS (32→0, 36→1, 40→2,
 * 42→3, 44→4, 48→5, 52→6). Sizes between two encodings round up.
 *
 * @param bits  output address bits, 1..52
 * @return the encoding, or -EINVAL when bits is 0 or above 52.
 */
int uiommu_lpae_bits_to_ps(unsigned int bits);

/**
 * Decode TCR.IPS / VTCR.PS into output address bits.
 *
 * @param ps  the 3-bit field
 * @return 32, 36, 40, 42, 44, 48 or 52; -EINVAL for the reserved value 7.
 */
int uiommu_lpae_ps_to_bits(unsigned int ps);

/** Fault kinds of uiommu_lpae_walk(), as SMMUv3 event types name them. */
enum uiommu_lpae_fault {
	UIOMMU_LPAE_FAULT_NONE = 0,
	/**
	 * Translation fault: invalid descriptor, block where the level has
	 * no block (level 0), reserved type at level 3, input address beyond
	 * the input size.
	 */
	UIOMMU_LPAE_FAULT_TRANSLATION = 1,
	/**
	 * Address size fault: TTB, table or output address with bits at or
	 * above the output size, or non-zero RES0 address bits (bits [51:48],
	 * or the bits below a block's size).
	 */
	UIOMMU_LPAE_FAULT_ADDR_SIZE = 2,
	/** Access flag fault: a leaf with AF == 0. */
	UIOMMU_LPAE_FAULT_ACCESS = 3,
	/** External abort on the walk: read_pte() failed (errno in result). */
	UIOMMU_LPAE_FAULT_WALK_EABT = 4,
	/**
	 * The walk configuration itself is invalid or unsupported (bad
	 * stage, granule, input size, SL0/T0SZ combination): a bad CD/STE.
	 */
	UIOMMU_LPAE_FAULT_CONFIG = 5,
};

/** Value of uiommu_lpae_walk_cfg.sl0 asking for the default start level. */
#define UIOMMU_LPAE_SL0_AUTO (-1)

/**
 * Where and how to walk. Every field may come from a guest.
 */
struct uiommu_lpae_walk_cfg {
	unsigned int stage;  /**< 1 or 2 */
	/**
	 * Input address bits (25..48). 0 means "derive from t0sz"
	 * (ias = 64 - t0sz).
	 */
	unsigned int ias;
	unsigned int t0sz;   /**< used only when ias == 0 */
	/**
	 * Granule as TG0 encodes it; only UIOMMU_LPAE_TG0_4K (0) is
	 * supported, others give -EOPNOTSUPP / FAULT_CONFIG.
	 */
	unsigned int tg;
	/**
	 * Stage 2 only: VTCR.SL0 / STE.S2SL0 (4K granule: 0 → level 2,
	 * 1 → level 1, 2 → level 0), or UIOMMU_LPAE_SL0_AUTO for the rule
	 * uiommu_pgtable uses (start at level 1 with concatenated tables
	 * where the walk would start at level 0 with at most 16 entries).
	 * Stage 1 always derives its start level from the input size.
	 */
	int sl0;
	/** Output address bits (32..48; 49..52 are treated as 48). */
	unsigned int oas;
	/**
	 * Top-table address. Bits below the top table's size (at least 64
	 * bytes) are ignored; bits at or above the output size give an
	 * address size fault.
	 */
	uint64_t ttb;
	/**
	 * Read one descriptor. table_addr is the address of the table that
	 * holds it (for a concatenated top: of the 4 KiB table among the
	 * concatenated ones); byte_offset is 8-aligned and below 4096, and
	 * table_addr + byte_offset never crosses a 4 KiB boundary, so one
	 * translation of the page containing table_addr is enough (nested
	 * walks). Must read the 64 bits single-copy atomically and
	 * with acquire ordering (pairs with the writer's release store that
	 * published the table). Returns 0, or a negative errno when the
	 * address cannot be read (outside RAM, a stage-2 fault when nested);
	 * the walk then ends with FAULT_WALK_EABT.
	 */
	int (*read_pte)(void *ctx, uint64_t table_addr, uint64_t byte_offset,
			uint64_t *pte);
	void *ctx;           /**< passed to read_pte */
};

/** @name Decoded permissions (uiommu_lpae_walk_result.perm) */
/**@{*/
#define UIOMMU_LPAE_PERM_READ   (1u << 0) /**< S1: privileged read (always); S2: S2AP read */
#define UIOMMU_LPAE_PERM_WRITE  (1u << 1) /**< S1: AP[2] clear; S2: S2AP write */
#define UIOMMU_LPAE_PERM_EXEC   (1u << 2) /**< S1: UXN clear; S2: XN == 0 */
#define UIOMMU_LPAE_PERM_UNPRIV (1u << 3) /**< S1: AP[1] set (unprivileged access) */
#define UIOMMU_LPAE_PERM_PEXEC  (1u << 4) /**< S1: PXN clear (privileged execute) */
/**@}*/

/** Outcome of one walk. */
struct uiommu_lpae_walk_result {
	uint64_t iova;      /**< the input address walked */
	enum uiommu_lpae_fault fault; /**< FAULT_NONE on success */
	int level;          /**< level of the leaf, or of the fault */
	int eabt_errno;     /**< read_pte()'s errno for FAULT_WALK_EABT */
	/* Valid on success: */
	uint64_t oa;        /**< output address of iova (leaf base + offset) */
	uint64_t leaf_oa;   /**< output address of the leaf's first byte */
	uint64_t leaf_size; /**< 4 KiB, 2 MiB or 1 GiB */
	unsigned int perm;  /**< UIOMMU_LPAE_PERM_*, table attributes applied */
	unsigned int attr;  /**< S1: AttrIndx; S2: MemAttr */
	unsigned int sh;    /**< SH field */
	bool ng;            /**< S1: nG bit */
	/* Valid on success and on faults after a descriptor was read: */
	uint64_t pte;       /**< last descriptor read (the leaf on success) */
	uint64_t table_addr; /**< table page holding pte */
	unsigned int nreads; /**< descriptors read (0..4) */
	uint64_t ptes[UIOMMU_LPAE_MAX_LEVELS]; /**< descriptors read, in order */
};

/**
 * Compute the start level and concatenation of a walk configuration
 * without walking.
 *
 * @param cfg  configuration (read_pte is not used)
 * @param[out] start_level  level of the top table
 * @param[out] concat       number of concatenated top tables (1..16)
 * @param[out] ias          effective input bits
 * @return 0; -EINVAL for a bad stage, input size, output size or SL0
 *         combination; -EOPNOTSUPP for a granule other than 4 KiB.
 */
int uiommu_lpae_walk_geometry(const struct uiommu_lpae_walk_cfg *cfg,
			      unsigned int *start_level, unsigned int *concat,
			      unsigned int *ias);

/**
 * Translate one input address by walking tables that may be hostile.
 *
 * Pure function of the memory read through cfg->read_pte: no allocation,
 * at most 4 descriptor reads, no recursion, no writes. @p res is always
 * filled (fault == FAULT_NONE exactly when 0 is returned).
 *
 * Stage-1 hierarchical table attributes (APTable, UXNTable, PXNTable) are
 * applied to the decoded permissions; NSTable is ignored. Permission
 * checking against an access is the caller's job (see perm).
 *
 * @param cfg   walk configuration
 * @param iova  input address
 * @param[out] res  translation or fault description
 * @return 0 when translated; -EFAULT when the walk faulted
 *         (TRANSLATION, ADDR_SIZE, ACCESS or WALK_EABT, see res->fault);
 *         -EINVAL for an invalid configuration (FAULT_CONFIG, or cfg/res
 *         NULL, or no read_pte); -EOPNOTSUPP for a granule other than
 *         4 KiB (FAULT_CONFIG).
 */
int uiommu_lpae_walk(const struct uiommu_lpae_walk_cfg *cfg, uint64_t iova,
		     struct uiommu_lpae_walk_result *res);

/** Short name of a fault kind ("translation", "addr_size", ...). */
const char *uiommu_lpae_fault_str(enum uiommu_lpae_fault fault);

/** What a dump entry describes (uiommu_lpae_dump()). */
enum uiommu_lpae_dump_kind {
	UIOMMU_LPAE_DUMP_TABLE = 1, /**< a table descriptor */
	UIOMMU_LPAE_DUMP_BLOCK = 2, /**< a block descriptor (level 1 or 2) */
	UIOMMU_LPAE_DUMP_PAGE = 3,  /**< a page descriptor (level 3) */
	/**
	 * A descriptor the walk cannot use (reserved type, address size,
	 * access flag) or a table that could not be read (WALK_EABT).
	 */
	UIOMMU_LPAE_DUMP_FAULT = 4,
};

/** One descriptor reported by uiommu_lpae_dump(). */
struct uiommu_lpae_dump_entry {
	enum uiommu_lpae_dump_kind kind;
	unsigned int level;  /**< level of the descriptor (of the table for WALK_EABT) */
	uint64_t iova;       /**< first input address it covers (may precede the dump's first) */
	uint64_t size;       /**< bytes of input it covers */
	/**
	 * TABLE: next-level table address; BLOCK/PAGE: output address of
	 * the leaf's first byte; FAULT: the table address that could not be
	 * read (WALK_EABT; the TTB for the top table), else the descriptor's
	 * address field.
	 */
	uint64_t oa;
	/** Raw descriptor as read; for WALK_EABT the table descriptor that
	 *  points to the unreadable table (0 for the top table). */
	uint64_t pte;
	unsigned int perm;   /**< BLOCK/PAGE: UIOMMU_LPAE_PERM_*, table attributes applied */
	unsigned int attr;   /**< BLOCK/PAGE: S1 AttrIndx, S2 MemAttr */
	enum uiommu_lpae_fault fault; /**< FAULT: why */
};

/**
 * Called for each dump entry, in increasing input order, tables before
 * what they hold.
 * @return 0 to continue; non-zero stops the dump and is returned by it.
 */
typedef int (*uiommu_lpae_dump_fn)(void *arg,
				   const struct uiommu_lpae_dump_entry *e);

/** Smallest max_entries of uiommu_lpae_dump(): one whole path. */
#define UIOMMU_LPAE_DUMP_MIN_ENTRIES UIOMMU_LPAE_MAX_LEVELS

/** Outcome of uiommu_lpae_dump(). */
struct uiommu_lpae_dump_res {
	bool more;            /**< stopped before the end of the range */
	bool read_limit;      /**< ...because of max_reads (else max_entries) */
	uint64_t next;        /**< when more: first input address not described */
	uint32_t entries;     /**< entries reported */
	uint32_t reads;       /**< read_pte() calls made */
	unsigned int start_level; /**< level of the top table */
	unsigned int ias;     /**< effective input bits */
};

/**
 * Report every table and leaf descriptor met over [first, last] (clamped
 * to the input size) of tables that may be hostile, as a sequence of
 * uiommu_lpae_walk() calls: no descriptor is read other than by that
 * walker through cfg->read_pte. A table descriptor is reported once, before
 * the first leaf under it; invalid descriptors (holes) are not reported;
 * a table read_pte() refuses is reported once as a WALK_EABT fault and its
 * span skipped without reading it.
 *
 * Bounded: at most max_reads read_pte() calls and max_entries entries;
 * only whole paths are reported (a path is at most 4 entries), so a call
 * always makes progress. When it stops early, res->more is set and
 * res->next is where the next call should start: the next call reports
 * again the table descriptors above res->next.
 *
 * @param cfg  walk configuration (as for uiommu_lpae_walk())
 * @param first  first input address of interest
 * @param last   last input address of interest, >= first
 * @param max_entries  most entries, >= UIOMMU_LPAE_DUMP_MIN_ENTRIES
 * @param max_reads  most read_pte() calls, >= UIOMMU_LPAE_MAX_LEVELS
 * @param fn   called per entry
 * @param arg  passed to fn
 * @param[out] res  outcome (always filled)
 * @return 0 (see res->more); -EINVAL (NULL argument, first > last, a limit
 *         too small, invalid configuration); -EOPNOTSUPP (granule other
 *         than 4 KiB); or fn's non-zero return.
 */
int uiommu_lpae_dump(const struct uiommu_lpae_walk_cfg *cfg, uint64_t first,
		     uint64_t last, uint32_t max_entries, uint32_t max_reads,
		     uiommu_lpae_dump_fn fn, void *arg,
		     struct uiommu_lpae_dump_res *res);

#ifdef __cplusplus
}
#endif

#endif /* UIOMMU_LPAE_H */
