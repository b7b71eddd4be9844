/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Software IOTLB: set-associative cache of final translations.
 *
 * Layout. The IOTLB is an array of 2^k sets, each exactly one 64-byte cache
 * line:
 *
 *     uint32 seq    sequence lock: even = stable, odd = a writer owns the set
 *     uint32 next   round-robin victim way
 *     uint64 rsvd
 *     way[3] { uint64 key; uint64 val; }
 *
 * key = leaf IOVA [47:12] | ASID << 48 | size code << 2 | has-ASID << 1 | 1
 * val = leaf host address [47:12] | VMID << 48 | permissions [1:0]
 *
 * A key of 0 is an empty way. The set of a translation is a Fibonacci hash
 * of (IOVA >> leaf shift, size code, ASID, VMID); leaf sizes that were never
 * inserted are not probed (size_mask), so with 4 KiB pages only a lookup
 * touches one IOTLB cache line (the set) plus the IOTLB header line.
 *
 * Writers. Inserts (from any translating thread) and invalidations own a
 * set by moving seq from even to odd with a CAS and release it with a store
 * of seq + 2 (release). An insert that finds the set owned gives up (the
 * entry is a cache: not inserting is always correct); an invalidation spins
 * until it owns the set (owners hold it for a few stores only).
 *
 * Readers (lookup) are lock-free: seqlock read of the set (R1 load-acquire
 * seq, relaxed loads of the ways, R2 acquire fence, reload seq); a set that
 * is being written or changed during the read is retried a bounded number of
 * times and then reported as a miss, which again is always correct.
 *
 * Invalidation protocol (the hardware rule: after completion no new access
 * uses a removed entry):
 *
 *   I1  gen++ (seq_cst RMW) and a seq_cst fence;
 *   I2  every candidate set: remove matching ways under the set's seq lock;
 *   I3  uiommu_iotlb_sync(): wait for a QSBR grace period.
 *
 * I3 without readers. A reader takes a slot bit (RMW on slots[]) before its
 * seq_cst fence in rte_rcu_qsbr_thread_online() and its first lookup;
 * uiommu_iotlb_sync() does a seq_cst fence after I2 and then loads
 * slots[] (acquire). Store-buffering again: either that load sees the
 * slot taken (and the grace period is waited for), or the reader's
 * lookups see I2's removals; a slot seen free was released by a reader
 * that is done (release RMW in offline, acquire load here). So with every
 * slot free the grace period is skipped: rte_rcu_qsbr_synchronize() reads
 * the counter line of each of the UIOMMU_IOTLB_MAX_READERS registered
 * readers even when all are offline. The soft backend's invalidations run
 * on the polling lcore with no reader online (its DMA engines run on the
 * same lcore, between passes), so this is their common case: one TLBI +
 * CMD_SYNC consumed on one core went from 111 to 60-74 ns (uiommu-bench
 * tput/inline-sync1), a batch of 8 from 35-36 to 29-31 ns per TLBI
 * (inline-sync8); see doc/benchmarks.md, "Before and after".
 *
 * An access that looked the old entry up before I2 is in a read-side
 * critical section (the reader is online and has not reported quiescent),
 * so I3 waits for it to finish. A walk that read the tables before the
 * owner changed them may insert its (stale) result after I2 scanned the
 * set; inserts therefore follow
 *
 *   W1  g = gen (acquire) before the walk;
 *   W2  write the entry (set seq lock);
 *   W3  seq_cst fence (pairs with I1's fence);
 *   W4  if gen != g, remove the entry again.
 *
 * Store-buffering argument: W2 -> W3 -> W4 and I1 -> I2 each have a seq_cst
 * fence between the store and the load, so either I2 sees the entry W2
 * wrote (and removes it) or W4 sees the incremented gen (and removes it).
 * W1..W4 happen inside the walker's read-side critical section, so by the
 * end of I3 the stale entry is gone. A walk that starts after I1 (W1 reads
 * the new gen, synchronising with I1) sees the tables as they were when the
 * invalidation was issued.
 *
 * Range invalidation probes the sets of every page of the range for each
 * leaf size in use when that is fewer probes than sets; otherwise (and for
 * "any ASID", ASID, VMID and "all") it scans every set, skipping quickly the
 * sets with no matching way (seqlock read, then lock only when needed).
 */
#include <stdlib.h>
#include <string.h>

#include <rte_common.h>
#include <rte_pause.h>
#include <rte_rcu_qsbr.h>

#include "uiommu_fail.h"
#include "uiommu_iotlb.h"
#include "uiommu_log.h"

RTE_LOG_REGISTER_SUFFIX(uiommu_logtype_iotlb, iotlb, NOTICE);

#define IOTLB_WAYS 3
#define IOTLB_MAX_ENTRIES (1u << 24)
#define IOTLB_READ_TRIES 4

#define KEY_VALID      (1ULL << 0)
#define KEY_HAS_ASID   (1ULL << 1)
#define KEY_SIZE_SHIFT 2
#define KEY_SIZE_MASK  (3ULL << KEY_SIZE_SHIFT)
#define KEY_ASID_SHIFT 48
#define ADDR_MASK      0x0000fffffffff000ULL
#define VAL_VMID_SHIFT 48
#define VAL_PERM_MASK  3ULL

#define NR_SIZES 3
static const unsigned int size_shift[NR_SIZES] = { 12, 21, 30 };

struct iotlb_way {
	uint64_t key;
	uint64_t val;
};

struct iotlb_set {
	uint32_t seq;
	uint32_t next;
	uint64_t rsvd;
	struct iotlb_way way[IOTLB_WAYS];
} __rte_aligned(64);

_Static_assert(sizeof(struct iotlb_set) == 64, "a set is one cache line");

struct uiommu_iotlb {
	/* Read by every lookup: one line, written only by the first insert of
	 * a new leaf size. */
	struct iotlb_set *sets;
	uint32_t set_mask;
	uint32_t set_bits;
	uint32_t size_mask;       /* bit i: leaf size i was inserted once */
	/* Written by invalidations. */
	uint64_t gen __rte_cache_aligned;
	/* Reader slots: bit set = slot taken. */
	uint64_t slots[(UIOMMU_IOTLB_MAX_READERS + 63) / 64] __rte_cache_aligned;
	struct rte_rcu_qsbr *qsbr;
	struct uiommu_iotlb_stats stats __rte_cache_aligned;
};

static inline void
stat_add(const uint64_t *ctr, uint64_t n)
{
	__atomic_fetch_add((uint64_t *)(uintptr_t)ctr, n, __ATOMIC_RELAXED);
}

static inline uint32_t
set_index(const struct uiommu_iotlb *tlb, uint16_t vmid, uint64_t tagged_asid,
	  unsigned int size_code, uint64_t iova)
{
	uint64_t x = (iova >> size_shift[size_code]) ^
		     ((uint64_t)size_code << 62) ^
		     (tagged_asid << 40) ^ ((uint64_t)vmid << 24);

	x *= 0x9e3779b97f4a7c15ULL;
	if (unlikely(tlb->set_bits == 0))
		return 0;
	return (uint32_t)(x >> (64 - tlb->set_bits)) & tlb->set_mask;
}

static inline uint64_t
make_key(uint64_t leaf_iova, int32_t asid, unsigned int size_code)
{
	uint64_t k = (leaf_iova & ADDR_MASK) | KEY_VALID |
		     ((uint64_t)size_code << KEY_SIZE_SHIFT);

	if (asid != UIOMMU_IOTLB_NO_ASID)
		k |= KEY_HAS_ASID | ((uint64_t)(uint16_t)asid << KEY_ASID_SHIFT);
	return k;
}

/* Tagged ASID used by the hash: 0x10000 for "no ASID". */
static inline uint64_t
hash_asid(int32_t asid)
{
	return asid == UIOMMU_IOTLB_NO_ASID ? 0x10000 : (uint64_t)(uint16_t)asid;
}

static inline uint16_t
val_vmid(uint64_t val)
{
	return (uint16_t)(val >> VAL_VMID_SHIFT);
}

static inline int
size_code_of(uint64_t size)
{
	for (int i = 0; i < NR_SIZES; i++)
		if (size == (1ULL << size_shift[i]))
			return i;
	return -1;
}

int
uiommu_iotlb_create(unsigned int entries, struct uiommu_iotlb **out)
{
	struct uiommu_iotlb *tlb;
	unsigned int nsets, bits;
	size_t qsz;
	void *mem;

	if (out == NULL)
		return -EINVAL;
	if (entries == 0)
		entries = UIOMMU_IOTLB_ENTRIES_DEFAULT;
	if (!uiommu_is_pow2_u64(entries) || entries > IOTLB_MAX_ENTRIES)
		return -EINVAL;
	nsets = (unsigned int)rte_align32pow2((entries + IOTLB_WAYS - 1) /
					      IOTLB_WAYS);
	bits = (unsigned int)rte_log2_u32(nsets);

	if (uiommu_should_fail() ||
	    posix_memalign(&mem, RTE_CACHE_LINE_SIZE, sizeof(*tlb)) != 0)
		return -ENOMEM;
	tlb = mem;
	memset(tlb, 0, sizeof(*tlb));
	tlb->set_mask = nsets - 1;
	tlb->set_bits = bits;

	if (uiommu_should_fail() ||
	    posix_memalign(&mem, RTE_CACHE_LINE_SIZE,
			   (size_t)nsets * sizeof(struct iotlb_set)) != 0)
		goto err_tlb;
	tlb->sets = mem;
	memset(tlb->sets, 0, (size_t)nsets * sizeof(struct iotlb_set));

	qsz = rte_rcu_qsbr_get_memsize(UIOMMU_IOTLB_MAX_READERS);
	if (uiommu_should_fail() ||
	    posix_memalign(&mem, RTE_CACHE_LINE_SIZE, qsz) != 0)
		goto err_sets;
	tlb->qsbr = mem;
	if (rte_rcu_qsbr_init(tlb->qsbr, UIOMMU_IOTLB_MAX_READERS) != 0)
		goto err_qsbr;
	for (unsigned int i = 0; i < UIOMMU_IOTLB_MAX_READERS; i++)
		rte_rcu_qsbr_thread_register(tlb->qsbr, i);
	*out = tlb;
	return 0;

err_qsbr:
	free(tlb->qsbr);
err_sets:
	free(tlb->sets);
err_tlb:
	free(tlb);
	return -ENOMEM;
}

void
uiommu_iotlb_destroy(struct uiommu_iotlb *tlb)
{
	if (tlb == NULL)
		return;
	free(tlb->qsbr);
	free(tlb->sets);
	free(tlb);
}

unsigned int
uiommu_iotlb_capacity(const struct uiommu_iotlb *tlb)
{
	return (tlb->set_mask + 1) * IOTLB_WAYS;
}

int
uiommu_iotlb_reader_online(struct uiommu_iotlb *tlb, unsigned int *id)
{
	for (unsigned int w = 0; w < RTE_DIM(tlb->slots); w++) {
		uint64_t cur = __atomic_load_n(&tlb->slots[w], __ATOMIC_RELAXED);

		while (~cur != 0) {
			unsigned int bit = (unsigned int)__builtin_ctzll(~cur);
			unsigned int slot = w * 64 + bit;

			if (slot >= UIOMMU_IOTLB_MAX_READERS)
				break;
			if (__atomic_compare_exchange_n(&tlb->slots[w], &cur,
							cur | (1ULL << bit), false,
							__ATOMIC_ACQUIRE,
							__ATOMIC_RELAXED)) {
				/* Ends with a seq_cst fence: lookups below
				 * cannot be reordered before the reader is
				 * seen online (pairs with the writer's fence
				 * in uiommu_iotlb_sync()). */
				rte_rcu_qsbr_thread_online(tlb->qsbr, slot);
				*id = slot;
				return 0;
			}
		}
	}
	return -EBUSY;
}

void
uiommu_iotlb_reader_quiescent(struct uiommu_iotlb *tlb, unsigned int id)
{
	rte_rcu_qsbr_quiescent(tlb->qsbr, id);
}

void
uiommu_iotlb_reader_offline(struct uiommu_iotlb *tlb, unsigned int id)
{
	/* Release store: every use of translated addresses happens before. */
	rte_rcu_qsbr_thread_offline(tlb->qsbr, id);
	__atomic_fetch_and(&tlb->slots[id / 64], ~(1ULL << (id % 64)),
			   __ATOMIC_RELEASE);
}

/* Seqlock read of one set looking for key/vmid. */
static inline bool
set_find(struct iotlb_set *set, uint64_t key, uint16_t vmid, uint64_t *val)
{
	for (unsigned int t = 0; t < IOTLB_READ_TRIES; t++) {
		/* R1: pairs with the writer's release of seq (set_unlock). */
		uint32_t s1 = __atomic_load_n(&set->seq, __ATOMIC_ACQUIRE);
		bool found = false;
		uint64_t v = 0;

		if (unlikely(s1 & 1)) {
			rte_pause();
			continue;
		}
		for (unsigned int w = 0; w < IOTLB_WAYS; w++) {
			uint64_t k = __atomic_load_n(&set->way[w].key,
						     __ATOMIC_RELAXED);
			uint64_t x = __atomic_load_n(&set->way[w].val,
						     __ATOMIC_RELAXED);

			if (k == key && val_vmid(x) == vmid) {
				found = true;
				v = x;
			}
		}
		/* R2: the way loads above complete before seq is reloaded. */
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		if (likely(__atomic_load_n(&set->seq, __ATOMIC_RELAXED) == s1)) {
			*val = v;
			return found;
		}
	}
	return false;
}

bool
uiommu_iotlb_lookup(struct uiommu_iotlb *tlb, uint16_t vmid, int32_t asid,
		    uint64_t iova, struct uiommu_iotlb_hit *hit)
{
	uint32_t sizes = __atomic_load_n(&tlb->size_mask, __ATOMIC_RELAXED);
	uint64_t hasid = hash_asid(asid);

	if (unlikely(iova >> UIOMMU_IOTLB_ADDR_BITS))
		return false;
	for (unsigned int sc = 0; sizes != 0; sc++, sizes >>= 1) {
		uint64_t size, leaf, val;
		struct iotlb_set *set;

		if (!(sizes & 1))
			continue;
		size = 1ULL << size_shift[sc];
		leaf = iova & ~(size - 1);
		set = &tlb->sets[set_index(tlb, vmid, hasid, sc, iova)];
		if (set_find(set, make_key(leaf, asid, sc), vmid, &val)) {
			hit->leaf_iova = leaf;
			hit->size = size;
			hit->perm = (uint32_t)(val & VAL_PERM_MASK);
			hit->hva = (val & ADDR_MASK) + (iova - leaf);
			return true;
		}
	}
	return false;
}

uint64_t
uiommu_iotlb_gen(const struct uiommu_iotlb *tlb)
{
	/* W1: pairs with I1's increment. */
	return __atomic_load_n(&tlb->gen, __ATOMIC_ACQUIRE);
}

static inline bool
set_trylock(struct iotlb_set *set, uint32_t *seq)
{
	uint32_t s = __atomic_load_n(&set->seq, __ATOMIC_RELAXED);

	if (s & 1)
		return false;
	/* Acquire: the previous owner's way stores are visible to us. */
	if (!__atomic_compare_exchange_n(&set->seq, &s, s + 1, false,
					 __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
		return false;
	*seq = s;
	return true;
}

static inline uint32_t
set_lock(struct iotlb_set *set)
{
	uint32_t s;

	while (!set_trylock(set, &s))
		rte_pause();
	return s;
}

static inline void
set_unlock(struct iotlb_set *set, uint32_t s)
{
	/* Release: way stores before the even seq (pairs with R1). */
	__atomic_store_n(&set->seq, s + 2, __ATOMIC_RELEASE);
}

static inline void
way_write(struct iotlb_way *w, uint64_t key, uint64_t val)
{
	__atomic_store_n(&w->val, val, __ATOMIC_RELAXED);
	__atomic_store_n(&w->key, key, __ATOMIC_RELAXED);
}

int
uiommu_iotlb_insert(struct uiommu_iotlb *tlb,
		    const struct uiommu_iotlb_fill *fill, uint64_t gen)
{
	int sc = size_code_of(fill->size);
	uint64_t leaf, hva_leaf, key, val;
	struct iotlb_set *set;
	unsigned int w, victim;
	uint32_t s;

	if (sc < 0 || fill->perm == 0 ||
	    (fill->perm & ~(UIOMMU_IOTLB_PERM_READ | UIOMMU_IOTLB_PERM_WRITE)) ||
	    (fill->asid != UIOMMU_IOTLB_NO_ASID &&
	     (fill->asid < 0 || fill->asid > 0xffff)))
		return -EINVAL;
	leaf = fill->iova & ~(fill->size - 1);
	if (fill->hva < fill->iova - leaf)
		return -EINVAL;
	hva_leaf = fill->hva - (fill->iova - leaf);
	if ((leaf | hva_leaf) >> UIOMMU_IOTLB_ADDR_BITS ||
	    (hva_leaf & ~ADDR_MASK))
		return -EINVAL;
	key = make_key(leaf, fill->asid, (unsigned int)sc);
	val = hva_leaf | ((uint64_t)fill->vmid << VAL_VMID_SHIFT) | fill->perm;

	if (!(__atomic_load_n(&tlb->size_mask, __ATOMIC_RELAXED) & (1u << sc)))
		__atomic_fetch_or(&tlb->size_mask, 1u << sc, __ATOMIC_RELAXED);
	set = &tlb->sets[set_index(tlb, fill->vmid, hash_asid(fill->asid),
				   (unsigned int)sc, fill->iova)];
	if (!set_trylock(set, &s)) {
		stat_add(&tlb->stats.insert_busy, 1);
		return -EBUSY;
	}
	victim = IOTLB_WAYS;
	for (w = 0; w < IOTLB_WAYS; w++) {
		if (set->way[w].key == key &&
		    val_vmid(set->way[w].val) == fill->vmid) {
			victim = w;
			break;
		}
		if (set->way[w].key == 0 && victim == IOTLB_WAYS)
			victim = w;
	}
	if (victim == IOTLB_WAYS) {
		victim = set->next % IOTLB_WAYS;
		set->next = (victim + 1) % IOTLB_WAYS;
		stat_add(&tlb->stats.evictions, 1);
	}
	/* W2 */
	way_write(&set->way[victim], key, val);
	set_unlock(set, s);
	stat_add(&tlb->stats.inserts, 1);

	/* W3: pairs with I1's fence (store-buffering, see the file comment). */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	/* W4 */
	if (likely(__atomic_load_n(&tlb->gen, __ATOMIC_RELAXED) == gen))
		return 0;
	s = set_lock(set);
	if (set->way[victim].key == key && set->way[victim].val == val)
		way_write(&set->way[victim], 0, 0);
	set_unlock(set, s);
	stat_add(&tlb->stats.insert_raced, 1);
	return -EAGAIN;
}

/* What an invalidation removes. */
struct inv_match {
	uint16_t vmid;
	bool all;            /* every entry */
	bool vmid_only;      /* every entry of vmid */
	bool any_asid;       /* with range: every ASID-tagged entry */
	bool by_range;
	uint16_t asid;
	uint64_t first, last;
};

static inline bool
way_matches(const struct inv_match *m, uint64_t key, uint64_t val)
{
	uint64_t size, leaf;

	if (key == 0)
		return false;
	if (m->all)
		return true;
	if (val_vmid(val) != m->vmid)
		return false;
	if (m->vmid_only)
		return true;
	if (!(key & KEY_HAS_ASID))
		return false;
	if (!m->any_asid && (uint16_t)(key >> KEY_ASID_SHIFT) != m->asid)
		return false;
	if (!m->by_range)
		return true;
	size = 1ULL << size_shift[(key & KEY_SIZE_MASK) >> KEY_SIZE_SHIFT];
	leaf = key & ADDR_MASK;
	return uiommu_range_overlaps(leaf, leaf + size - 1, m->first, m->last);
}

/* Remove matching ways of one set. */
static unsigned int
set_invalidate(struct iotlb_set *set, const struct inv_match *m)
{
	unsigned int n = 0, w;
	uint32_t s;

	/* Fast skip: a stable set with no matching way needs no lock. A set
	 * being written, or changing under us, is handled under the lock. */
	for (unsigned int t = 0; t < IOTLB_READ_TRIES; t++) {
		uint32_t s1 = __atomic_load_n(&set->seq, __ATOMIC_ACQUIRE);
		bool any = false;

		if (s1 & 1)
			break;
		for (w = 0; w < IOTLB_WAYS; w++) {
			uint64_t k = __atomic_load_n(&set->way[w].key,
						     __ATOMIC_RELAXED);
			uint64_t v = __atomic_load_n(&set->way[w].val,
						     __ATOMIC_RELAXED);

			any |= way_matches(m, k, v);
		}
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		if (__atomic_load_n(&set->seq, __ATOMIC_RELAXED) == s1) {
			if (!any)
				return 0;
			break;
		}
	}
	s = set_lock(set);
	for (w = 0; w < IOTLB_WAYS; w++) {
		if (way_matches(m, set->way[w].key, set->way[w].val)) {
			way_write(&set->way[w], 0, 0);
			n++;
		}
	}
	set_unlock(set, s);
	return n;
}

static unsigned int
invalidate(struct uiommu_iotlb *tlb, const struct inv_match *m)
{
	uint32_t sizes;
	unsigned int n = 0;
	uint64_t probes = 0;

	/* I1: pairs with W3 (see the file comment). */
	__atomic_fetch_add(&tlb->gen, 1, __ATOMIC_SEQ_CST);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);

	sizes = __atomic_load_n(&tlb->size_mask, __ATOMIC_RELAXED);
	if (m->by_range && !m->any_asid) {
		for (unsigned int sc = 0; sc < NR_SIZES; sc++)
			if (sizes & (1u << sc))
				probes += ((m->last >> size_shift[sc]) -
					   (m->first >> size_shift[sc])) + 1;
	}
	if (m->by_range && !m->any_asid && probes <= (uint64_t)tlb->set_mask + 1 &&
	    m->first < (1ULL << UIOMMU_IOTLB_ADDR_BITS)) {
		uint64_t last = RTE_MIN(m->last,
					(1ULL << UIOMMU_IOTLB_ADDR_BITS) - 1);

		/* I2, by probing: every leaf size, every leaf of the range. */
		for (unsigned int sc = 0; sc < NR_SIZES; sc++) {
			uint64_t size = 1ULL << size_shift[sc];
			uint64_t a = m->first & ~(size - 1);

			if (!(sizes & (1u << sc)))
				continue;
			for (;;) {
				n += set_invalidate(&tlb->sets[set_index(tlb,
						m->vmid, m->asid, sc, a)], m);
				if (last - a < size)
					break;
				a += size;
			}
		}
	} else {
		/* I2, by scanning every set. */
		for (uint32_t i = 0; i <= tlb->set_mask; i++)
			n += set_invalidate(&tlb->sets[i], m);
		stat_add(&tlb->stats.full_scans, 1);
	}
	/* An atomic RMW only when something was removed. */
	if (n != 0)
		stat_add(&tlb->stats.invalidated, n);
	return n;
}

unsigned int
uiommu_iotlb_inv_va(struct uiommu_iotlb *tlb, uint16_t vmid, uint16_t asid,
		    uint64_t first, uint64_t last, uint32_t flags)
{
	struct inv_match m = {
		.vmid = vmid, .asid = asid, .first = first, .last = last,
		.by_range = true,
		.any_asid = !!(flags & UIOMMU_IOTLB_INV_ANY_ASID),
	};

	if (first > last)
		return 0;
	return invalidate(tlb, &m);
}

unsigned int
uiommu_iotlb_inv_asid(struct uiommu_iotlb *tlb, uint16_t vmid, uint16_t asid)
{
	struct inv_match m = { .vmid = vmid, .asid = asid };

	return invalidate(tlb, &m);
}

unsigned int
uiommu_iotlb_inv_vmid(struct uiommu_iotlb *tlb, uint16_t vmid)
{
	struct inv_match m = { .vmid = vmid, .vmid_only = true };

	return invalidate(tlb, &m);
}

unsigned int
uiommu_iotlb_inv_all(struct uiommu_iotlb *tlb)
{
	struct inv_match m = { .all = true };

	return invalidate(tlb, &m);
}

void
uiommu_iotlb_sync(struct uiommu_iotlb *tlb)
{
	/* I3. The fence orders the way stores of I2 before the token update
	 * and the loads of the readers' counters inside synchronize (pairs
	 * with the seq_cst fence of rte_rcu_qsbr_thread_online()). */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	stat_add(&tlb->stats.syncs, 1);
	/* No slot taken: no reader to wait for (file comment, "I3 without
	 * readers"). Acquire: pairs with the release RMW of reader_offline. */
	for (unsigned int w = 0; w < RTE_DIM(tlb->slots); w++)
		if (__atomic_load_n(&tlb->slots[w], __ATOMIC_ACQUIRE) != 0) {
			rte_rcu_qsbr_synchronize(tlb->qsbr,
						 RTE_QSBR_THRID_INVALID);
			return;
		}
}

void
uiommu_iotlb_stats_get(const struct uiommu_iotlb *tlb,
		       struct uiommu_iotlb_stats *st)
{
	st->inserts = __atomic_load_n(&tlb->stats.inserts, __ATOMIC_RELAXED);
	st->evictions = __atomic_load_n(&tlb->stats.evictions, __ATOMIC_RELAXED);
	st->insert_busy = __atomic_load_n(&tlb->stats.insert_busy, __ATOMIC_RELAXED);
	st->insert_raced = __atomic_load_n(&tlb->stats.insert_raced, __ATOMIC_RELAXED);
	st->invalidated = __atomic_load_n(&tlb->stats.invalidated, __ATOMIC_RELAXED);
	st->full_scans = __atomic_load_n(&tlb->stats.full_scans, __ATOMIC_RELAXED);
	st->syncs = __atomic_load_n(&tlb->stats.syncs, __ATOMIC_RELAXED);
}
