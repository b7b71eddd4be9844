/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Tests of lib/iotlb: tagging, insert validation, exact invalidation by
 * VA range / ASID / VMID / all, a randomized comparison against a no-cache
 * reference (with eviction under pressure), and a two-thread check of the
 * invalidation-completion rule (a reader always online, or online only
 * around each access so that syncs often take the no-reader shortcut).
 */
#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <string.h>

#include "uiommu_iotlb.h"
#include "uiommu_ut.h"

#define SZ_4K (1ULL << 12)
#define SZ_2M (1ULL << 21)
#define SZ_1G (1ULL << 30)
#define RW (UIOMMU_IOTLB_PERM_READ | UIOMMU_IOTLB_PERM_WRITE)

static int
put(struct uiommu_iotlb *tlb, uint16_t vmid, int32_t asid, uint64_t iova,
    uint64_t hva, uint64_t size, uint32_t perm)
{
	struct uiommu_iotlb_fill f = {
		.vmid = vmid, .asid = asid, .iova = iova, .hva = hva,
		.size = size, .perm = perm,
	};

	return uiommu_iotlb_insert(tlb, &f, uiommu_iotlb_gen(tlb));
}

static bool
get(struct uiommu_iotlb *tlb, uint16_t vmid, int32_t asid, uint64_t iova,
    uint64_t *hva)
{
	struct uiommu_iotlb_hit h;

	if (!uiommu_iotlb_lookup(tlb, vmid, asid, iova, &h))
		return false;
	if (hva != NULL)
		*hva = h.hva;
	return true;
}

static void
test_iotlb_create_errors(void)
{
	struct uiommu_iotlb *tlb = NULL;

	CU_ASSERT_EQUAL(uiommu_iotlb_create(100, &tlb), -EINVAL);
	CU_ASSERT_EQUAL(uiommu_iotlb_create(1u << 25, &tlb), -EINVAL);
	CU_ASSERT_EQUAL(uiommu_iotlb_create(64, NULL), -EINVAL);
	CU_ASSERT_EQUAL(uiommu_iotlb_create(0, &tlb), 0);
	CU_ASSERT(uiommu_iotlb_capacity(tlb) >= UIOMMU_IOTLB_ENTRIES_DEFAULT);
	uiommu_iotlb_destroy(tlb);
	CU_ASSERT_EQUAL(uiommu_iotlb_create(1, &tlb), 0);
	CU_ASSERT(uiommu_iotlb_capacity(tlb) >= 1);
	uiommu_iotlb_destroy(tlb);
	uiommu_iotlb_destroy(NULL);
}

static void
test_iotlb_tags_and_sizes(void)
{
	struct uiommu_iotlb *tlb;
	struct uiommu_iotlb_hit h;
	uint64_t hva;

	UT_ASSERT_FATAL(uiommu_iotlb_create(64, &tlb) == 0);
	CU_ASSERT_EQUAL(put(tlb, 1, 5, 0x12345678, 0x7f0000001678, SZ_4K,
			    UIOMMU_IOTLB_PERM_READ), 0);
	CU_ASSERT_TRUE(uiommu_iotlb_lookup(tlb, 1, 5, 0x12345abc, &h));
	CU_ASSERT_EQUAL(h.hva, 0x7f0000001abc);
	CU_ASSERT_EQUAL(h.leaf_iova, 0x12345000);
	CU_ASSERT_EQUAL(h.size, SZ_4K);
	CU_ASSERT_EQUAL(h.perm, UIOMMU_IOTLB_PERM_READ);
	/* Other tags miss: VMID, ASID, no-ASID, neighbouring page. */
	CU_ASSERT_FALSE(get(tlb, 2, 5, 0x12345000, NULL));
	CU_ASSERT_FALSE(get(tlb, 1, 6, 0x12345000, NULL));
	CU_ASSERT_FALSE(get(tlb, 1, UIOMMU_IOTLB_NO_ASID, 0x12345000, NULL));
	CU_ASSERT_FALSE(get(tlb, 1, 5, 0x12346000, NULL));
	CU_ASSERT_FALSE(get(tlb, 1, 5, 0x12344fff, NULL));

	/* 2 MiB and 1 GiB leaves: any address inside hits. */
	CU_ASSERT_EQUAL(put(tlb, 1, UIOMMU_IOTLB_NO_ASID, 0x40212345,
			    0x7f0000212345, SZ_2M, RW), 0);
	CU_ASSERT_TRUE(get(tlb, 1, UIOMMU_IOTLB_NO_ASID, 0x40200000, &hva));
	CU_ASSERT_EQUAL(hva, 0x7f0000200000);
	CU_ASSERT_TRUE(get(tlb, 1, UIOMMU_IOTLB_NO_ASID, 0x403fffff, &hva));
	CU_ASSERT_EQUAL(hva, 0x7f00003fffff);
	CU_ASSERT_FALSE(get(tlb, 1, UIOMMU_IOTLB_NO_ASID, 0x40400000, NULL));
	CU_ASSERT_FALSE(get(tlb, 1, 0, 0x40200000, NULL));
	CU_ASSERT_EQUAL(put(tlb, 3, 0, 0x80000000ULL, 0x7f0040000000, SZ_1G,
			    RW), 0);
	CU_ASSERT_TRUE(get(tlb, 3, 0, 0xbfffffffULL, &hva));
	CU_ASSERT_EQUAL(hva, 0x7f007fffffff);

	/* Re-inserting the same leaf replaces it. */
	CU_ASSERT_EQUAL(put(tlb, 1, 5, 0x12345000, 0x7f0000009000, SZ_4K, RW), 0);
	CU_ASSERT_TRUE(uiommu_iotlb_lookup(tlb, 1, 5, 0x12345010, &h));
	CU_ASSERT_EQUAL(h.hva, 0x7f0000009010);
	CU_ASSERT_EQUAL(h.perm, RW);
	uiommu_iotlb_destroy(tlb);
}

static void
test_iotlb_insert_errors(void)
{
	struct uiommu_iotlb *tlb;
	uint64_t gen;
	struct uiommu_iotlb_fill f = {
		.vmid = 1, .asid = 1, .iova = 0x1000, .hva = 0x2000,
		.size = SZ_4K, .perm = RW,
	};

	UT_ASSERT_FATAL(uiommu_iotlb_create(64, &tlb) == 0);
	f.size = 8192;
	CU_ASSERT_EQUAL(uiommu_iotlb_insert(tlb, &f, uiommu_iotlb_gen(tlb)), -EINVAL);
	f.size = SZ_4K;
	f.perm = 0;
	CU_ASSERT_EQUAL(uiommu_iotlb_insert(tlb, &f, uiommu_iotlb_gen(tlb)), -EINVAL);
	f.perm = 4;
	CU_ASSERT_EQUAL(uiommu_iotlb_insert(tlb, &f, uiommu_iotlb_gen(tlb)), -EINVAL);
	f.perm = RW;
	f.asid = 0x10000;
	CU_ASSERT_EQUAL(uiommu_iotlb_insert(tlb, &f, uiommu_iotlb_gen(tlb)), -EINVAL);
	f.asid = -2;
	CU_ASSERT_EQUAL(uiommu_iotlb_insert(tlb, &f, uiommu_iotlb_gen(tlb)), -EINVAL);
	f.asid = 1;
	f.iova = 1ULL << 48;
	CU_ASSERT_EQUAL(uiommu_iotlb_insert(tlb, &f, uiommu_iotlb_gen(tlb)), -EINVAL);
	f.iova = 0x1000;
	f.hva = 1ULL << 48;
	CU_ASSERT_EQUAL(uiommu_iotlb_insert(tlb, &f, uiommu_iotlb_gen(tlb)), -EINVAL);
	f.hva = 0x2010; /* page offset differs from the IOVA's */
	CU_ASSERT_EQUAL(uiommu_iotlb_insert(tlb, &f, uiommu_iotlb_gen(tlb)), -EINVAL);
	f.hva = 0x2000;
	f.size = SZ_2M; /* host address not 4 KiB aligned at the leaf start */
	f.iova = 0x201000;
	f.hva = 0x800;
	CU_ASSERT_EQUAL(uiommu_iotlb_insert(tlb, &f, uiommu_iotlb_gen(tlb)), -EINVAL);
	CU_ASSERT_FALSE(get(tlb, 1, 1, 0x1000, NULL));

	/* A walk that raced with an invalidation is not kept. */
	f = (struct uiommu_iotlb_fill){ .vmid = 1, .asid = 1, .iova = 0x1000,
					.hva = 0x2000, .size = SZ_4K, .perm = RW };
	gen = uiommu_iotlb_gen(tlb);
	uiommu_iotlb_inv_asid(tlb, 9, 9);
	CU_ASSERT_EQUAL(uiommu_iotlb_insert(tlb, &f, gen), -EAGAIN);
	CU_ASSERT_FALSE(get(tlb, 1, 1, 0x1000, NULL));
	CU_ASSERT_EQUAL(uiommu_iotlb_insert(tlb, &f, uiommu_iotlb_gen(tlb)), 0);
	CU_ASSERT_TRUE(get(tlb, 1, 1, 0x1000, NULL));
	uiommu_iotlb_destroy(tlb);
}

static void
test_iotlb_invalidate_exact(void)
{
	struct uiommu_iotlb *tlb;

	UT_ASSERT_FATAL(uiommu_iotlb_create(256, &tlb) == 0);
	/* A, B, F: vmid 1 asid 1; C: asid 2; D: vmid 2; E: no ASID. */
	CU_ASSERT_EQUAL(put(tlb, 1, 1, 0x1000, 0xa000, SZ_4K, RW), 0);        /* A */
	CU_ASSERT_EQUAL(put(tlb, 1, 1, 0x200000, 0x400000, SZ_2M, RW), 0);    /* B */
	CU_ASSERT_EQUAL(put(tlb, 1, 2, 0x1000, 0xc000, SZ_4K, RW), 0);        /* C */
	CU_ASSERT_EQUAL(put(tlb, 2, 1, 0x1000, 0xd000, SZ_4K, RW), 0);        /* D */
	CU_ASSERT_EQUAL(put(tlb, 1, UIOMMU_IOTLB_NO_ASID, 0x1000, 0xe000, SZ_4K, RW), 0); /* E */
	CU_ASSERT_EQUAL(put(tlb, 1, 1, SZ_1G, 2 * SZ_1G, SZ_1G, RW), 0);      /* F */

	CU_ASSERT_EQUAL(uiommu_iotlb_inv_va(tlb, 1, 1, 0x2000, 0x1fffff, 0), 0);
	CU_ASSERT_EQUAL(uiommu_iotlb_inv_va(tlb, 1, 1, 0x1000, 0x1fff, 0), 1);
	CU_ASSERT_FALSE(get(tlb, 1, 1, 0x1000, NULL));
	CU_ASSERT_TRUE(get(tlb, 1, 2, 0x1000, NULL));
	CU_ASSERT_TRUE(get(tlb, 1, 1, 0x200000, NULL));
	/* The last page of a 2 MiB leaf removes the leaf. */
	CU_ASSERT_EQUAL(uiommu_iotlb_inv_va(tlb, 1, 1, 0x3ff000, 0x3fffff,
					    UIOMMU_IOTLB_INV_LEAF), 1);
	CU_ASSERT_FALSE(get(tlb, 1, 1, 0x200000, NULL));
	/* Any ASID: C goes, E (no ASID) and D (vmid 2) stay. */
	CU_ASSERT_EQUAL(uiommu_iotlb_inv_va(tlb, 1, 0, 0x1000, 0x1000,
					    UIOMMU_IOTLB_INV_ANY_ASID), 1);
	CU_ASSERT_FALSE(get(tlb, 1, 2, 0x1000, NULL));
	CU_ASSERT_TRUE(get(tlb, 1, UIOMMU_IOTLB_NO_ASID, 0x1000, NULL));
	CU_ASSERT_TRUE(get(tlb, 2, 1, 0x1000, NULL));
	/* By ASID: F. */
	CU_ASSERT_TRUE(get(tlb, 1, 1, SZ_1G + 5, NULL));
	CU_ASSERT_EQUAL(uiommu_iotlb_inv_asid(tlb, 1, 1), 1);
	CU_ASSERT_FALSE(get(tlb, 1, 1, SZ_1G + 5, NULL));
	/* By VMID: E (no ASID) goes, D stays. */
	CU_ASSERT_EQUAL(uiommu_iotlb_inv_vmid(tlb, 1), 1);
	CU_ASSERT_FALSE(get(tlb, 1, UIOMMU_IOTLB_NO_ASID, 0x1000, NULL));
	CU_ASSERT_TRUE(get(tlb, 2, 1, 0x1000, NULL));
	CU_ASSERT_EQUAL(uiommu_iotlb_inv_all(tlb), 1);
	CU_ASSERT_FALSE(get(tlb, 2, 1, 0x1000, NULL));

	/* A whole-space range (full scan) and an empty range. */
	CU_ASSERT_EQUAL(put(tlb, 1, 1, 0xfffffffff000ULL, 0x5000, SZ_4K, RW), 0);
	CU_ASSERT_EQUAL(uiommu_iotlb_inv_va(tlb, 1, 1, 5, 4, 0), 0);
	CU_ASSERT_TRUE(get(tlb, 1, 1, 0xfffffffff000ULL, NULL));
	CU_ASSERT_EQUAL(uiommu_iotlb_inv_va(tlb, 1, 1, 0, UINT64_MAX, 0), 1);
	CU_ASSERT_FALSE(get(tlb, 1, 1, 0xfffffffff000ULL, NULL));
	uiommu_iotlb_sync(tlb); /* no reader: returns at once */
	uiommu_iotlb_destroy(tlb);
}

/* ---- randomized comparison with a no-cache reference ---- */

#define R_VMIDS 2
#define R_ASIDS 4
#define R_REGIONS 4
static const int32_t r_asid[R_ASIDS] = { UIOMMU_IOTLB_NO_ASID, 0, 1, 7 };

struct r_key {
	uint64_t size;     /* 0: unmapped */
	uint32_t version;
};

static struct r_key ref[R_VMIDS][R_ASIDS][R_REGIONS];

/* The reference translation: host address encodes key and version. */
static bool
ref_translate(unsigned int v, unsigned int a, uint64_t iova, uint64_t *hva,
	      uint64_t *size, uint32_t *perm)
{
	const struct r_key *k = &ref[v][a][iova >> 30];
	uint64_t leaf;

	if (k->size == 0)
		return false;
	leaf = iova & ~(k->size - 1);
	*hva = ((uint64_t)(k->version & 0x7ff) << 35) |
	       ((uint64_t)(v * R_ASIDS + a) << 32) | (leaf & 0xffffffffULL);
	*hva += iova - leaf;
	*size = k->size;
	*perm = k->version % 3 + 1;
	return true;
}

static void
random_invalidate_key(struct uiommu_iotlb *tlb, unsigned long long *seed,
		      unsigned int v, unsigned int a, unsigned int r)
{
	uint16_t vmid = (uint16_t)(v + 1);
	uint64_t first = (uint64_t)r << 30, last = first + SZ_1G - 1;
	unsigned int how = (unsigned int)(ut_rand(seed) % 6);

	if (r_asid[a] == UIOMMU_IOTLB_NO_ASID && how < 4)
		how = 4; /* VA/ASID invalidations do not cover no-ASID entries */
	switch (how) {
	case 0:
		uiommu_iotlb_inv_va(tlb, vmid, (uint16_t)r_asid[a], first, last, 0);
		break;
	case 1:
		uiommu_iotlb_inv_va(tlb, vmid, (uint16_t)r_asid[a],
				    first - (r > 0 ? ut_rand(seed) % 2 : 0) * SZ_2M,
				    last + (ut_rand(seed) % 2) * SZ_4K,
				    UIOMMU_IOTLB_INV_LEAF);
		break;
	case 2:
		uiommu_iotlb_inv_va(tlb, vmid, 0, first, last,
				    UIOMMU_IOTLB_INV_ANY_ASID);
		break;
	case 3:
		uiommu_iotlb_inv_asid(tlb, vmid, (uint16_t)r_asid[a]);
		break;
	case 4:
		uiommu_iotlb_inv_vmid(tlb, vmid);
		break;
	default:
		uiommu_iotlb_inv_all(tlb);
		break;
	}
}

static void
run_random(unsigned int entries, unsigned int ops)
{
	static const uint64_t sizes[4] = { 0, SZ_4K, SZ_2M, SZ_1G };
	unsigned long long seed = ut_seed() ^ entries;
	unsigned int hits = 0, misses = 0, bad = 0;
	struct uiommu_iotlb_stats st;
	struct uiommu_iotlb *tlb;

	UT_ASSERT_FATAL(uiommu_iotlb_create(entries, &tlb) == 0);
	memset(ref, 0, sizeof(ref));
	for (unsigned int op = 0; op < ops; op++) {
		unsigned int v = (unsigned int)(ut_rand(&seed) % R_VMIDS);
		unsigned int a = (unsigned int)(ut_rand(&seed) % R_ASIDS);
		unsigned int r = (unsigned int)(ut_rand(&seed) % R_REGIONS);
		unsigned int kind = (unsigned int)(ut_rand(&seed) % 100);
		/* Few distinct pages per region, so that hits happen. */
		uint64_t iova = ((uint64_t)r << 30) |
				((ut_rand(&seed) % 3) << 21) |
				((ut_rand(&seed) % 6) << 12) |
				(ut_rand(&seed) & 0xfff);

		if (kind < 85) {
			struct uiommu_iotlb_hit h;
			uint64_t hva = 0, size = 0;
			uint32_t perm = 0;
			bool mapped = ref_translate(v, a, iova, &hva, &size, &perm);

			if (uiommu_iotlb_lookup(tlb, (uint16_t)(v + 1), r_asid[a],
						iova, &h)) {
				hits++;
				if (!mapped || h.hva != hva || h.size != size ||
				    h.perm != perm)
					bad++;
			} else {
				struct uiommu_iotlb_fill f = {
					.vmid = (uint16_t)(v + 1), .asid = r_asid[a],
					.iova = iova, .hva = hva, .size = size,
					.perm = perm,
				};

				misses++;
				if (!mapped)
					continue;
				CU_ASSERT_EQUAL(uiommu_iotlb_insert(tlb, &f,
						uiommu_iotlb_gen(tlb)), 0);
				CU_ASSERT_TRUE(uiommu_iotlb_lookup(tlb,
						(uint16_t)(v + 1), r_asid[a], iova, &h) &&
					       h.hva == hva);
			}
		} else if (kind < 96) {
			/* Change a key's mapping, then invalidate it. */
			ref[v][a][r].size = sizes[ut_rand(&seed) % 4];
			ref[v][a][r].version++;
			random_invalidate_key(tlb, &seed, v, a, r);
		} else {
			/* Unrelated invalidation: changes nothing visible. */
			random_invalidate_key(tlb, &seed,
					      (unsigned int)(ut_rand(&seed) % R_VMIDS),
					      (unsigned int)(ut_rand(&seed) % R_ASIDS),
					      (unsigned int)(ut_rand(&seed) % R_REGIONS));
		}
	}
	uiommu_iotlb_stats_get(tlb, &st);
	printf("entries %u (capacity %u): %u hits, %u misses, %" PRIu64
	       " evictions, %" PRIu64 " invalidated\n", entries,
	       uiommu_iotlb_capacity(tlb), hits, misses, st.evictions,
	       st.invalidated);
	CU_ASSERT_EQUAL(bad, 0);
	CU_ASSERT(hits > 0);
	uiommu_iotlb_destroy(tlb);
}

static void
test_iotlb_random_vs_reference(void)
{
	run_random(4096, 200000);
}

static void
test_iotlb_random_eviction_pressure(void)
{
	struct uiommu_iotlb_stats st;
	struct uiommu_iotlb *tlb;

	/* A tiny IOTLB: 6 entries for 96 keys x 18 pages. */
	run_random(4, 200000);
	/* Eviction itself: fill far beyond capacity, every hit still right. */
	UT_ASSERT_FATAL(uiommu_iotlb_create(16, &tlb) == 0);
	for (uint64_t p = 0; p < 1000; p++)
		CU_ASSERT_EQUAL(put(tlb, 1, 1, p << 12, (p + 7) << 12, SZ_4K, RW), 0);
	uiommu_iotlb_stats_get(tlb, &st);
	CU_ASSERT(st.evictions >= 1000 - uiommu_iotlb_capacity(tlb));
	for (uint64_t p = 0; p < 1000; p++) {
		uint64_t hva;

		if (get(tlb, 1, 1, (p << 12) | 0x123, &hva))
			CU_ASSERT_EQUAL(hva, ((p + 7) << 12) | 0x123);
	}
	uiommu_iotlb_destroy(tlb);
}

/* ---- concurrency: completion rule ---- */

#define C_IOVA 0x40000000ULL
#define C_VERSIONS 3000

static struct uiommu_iotlb *c_tlb;
static uint64_t c_current;   /* version the "tables" map now */
static uint64_t c_completed; /* versions < this were invalidated and synced */
static int c_stop;
static uint64_t c_violations, c_hits, c_lookups;
/* C_BRACKET: the reader goes online/offline around every access, so the
 * owner's sync often finds no reader slot taken (no grace period). */
#define C_BRACKET 1u
static unsigned int c_mode;

static uint64_t
c_hva(uint64_t version)
{
	return 0x100000000000ULL + (version << 21);
}

static void *
c_reader(void *arg)
{
	unsigned int id;

	RTE_SET_USED(arg);
	if (!(c_mode & C_BRACKET))
		UT_ASSERT_FATAL(uiommu_iotlb_reader_online(c_tlb, &id) == 0);
	while (!__atomic_load_n(&c_stop, __ATOMIC_ACQUIRE)) {
		uint64_t done;
		struct uiommu_iotlb_hit h;

		if (c_mode & C_BRACKET)
			UT_ASSERT_FATAL(uiommu_iotlb_reader_online(c_tlb, &id) == 0);
		/* Versions below 'done' were invalidated and the
		 * invalidation completed before this access started. */
		done = __atomic_load_n(&c_completed, __ATOMIC_ACQUIRE);

		/* Every 4th access refills as if it had missed (another
		 * thread's walk), so walks overlap the owner's updates. */
		__atomic_store_n(&c_lookups, c_lookups + 1, __ATOMIC_RELEASE);
		if ((c_lookups & 3) != 0 &&
		    uiommu_iotlb_lookup(c_tlb, 1, 3, C_IOVA + 0x10, &h)) {
			uint64_t ver = (h.hva - 0x10 - 0x100000000000ULL) >> 21;

			c_hits++;
			if (ver < done)
				__atomic_fetch_add(&c_violations, 1, __ATOMIC_RELAXED);
		} else {
			uint64_t gen = uiommu_iotlb_gen(c_tlb);
			uint64_t ver = __atomic_load_n(&c_current, __ATOMIC_ACQUIRE);
			struct uiommu_iotlb_fill f = {
				.vmid = 1, .asid = 3, .iova = C_IOVA,
				.hva = c_hva(ver), .size = SZ_4K, .perm = RW,
			};

			/* A walk takes time: widen the race window. */
			for (volatile int spin = 0; spin < 300; spin++)
				;
			uiommu_iotlb_insert(c_tlb, &f, gen);
		}
		if (c_mode & C_BRACKET)
			uiommu_iotlb_reader_offline(c_tlb, id);
		else
			uiommu_iotlb_reader_quiescent(c_tlb, id);
	}
	if (!(c_mode & C_BRACKET))
		uiommu_iotlb_reader_offline(c_tlb, id);
	return NULL;
}

static void
concurrent_invalidation(unsigned int mode, uint64_t versions)
{
	struct uiommu_iotlb_stats st;
	pthread_t t;

	c_mode = mode;
	UT_ASSERT_FATAL(uiommu_iotlb_create(64, &c_tlb) == 0);
	c_current = 0;
	c_completed = 0;
	c_stop = 0;
	c_violations = c_hits = c_lookups = 0;
	UT_ASSERT_FATAL(pthread_create(&t, NULL, c_reader, NULL) == 0);
	for (uint64_t v = 1; v <= versions; v++) {
		uint64_t seen = __atomic_load_n(&c_lookups, __ATOMIC_ACQUIRE);

		/* Let the reader make progress (the machine may be loaded). */
		for (int w = 0; w < 100000 &&
		     __atomic_load_n(&c_lookups, __ATOMIC_ACQUIRE) < seen + 8; w++)
			sched_yield();
		/* The owner changes its tables, then invalidates. */
		__atomic_store_n(&c_current, v, __ATOMIC_RELEASE);
		uiommu_iotlb_inv_va(c_tlb, 1, 3, C_IOVA, C_IOVA + SZ_4K - 1, 0);
		uiommu_iotlb_sync(c_tlb);
		__atomic_store_n(&c_completed, v, __ATOMIC_RELEASE);
		/* The owner's own check, right after completion. */
		{
			struct uiommu_iotlb_hit h;

			if (uiommu_iotlb_lookup(c_tlb, 1, 3, C_IOVA, &h) &&
			    ((h.hva - 0x100000000000ULL) >> 21) < v)
				__atomic_fetch_add(&c_violations, 1, __ATOMIC_RELAXED);
		}
		for (volatile int spin = 0; spin < 2000; spin++)
			;
	}
	__atomic_store_n(&c_stop, 1, __ATOMIC_RELEASE);
	pthread_join(t, NULL);
	uiommu_iotlb_stats_get(c_tlb, &st);
	printf("mode %u: %" PRIu64 " lookups, %" PRIu64 " hits, %" PRIu64
	       " inserts undone by a racing invalidation, %" PRIu64
	       " violations\n", mode, c_lookups, c_hits, st.insert_raced,
	       c_violations);
	CU_ASSERT_EQUAL(c_violations, 0);
	CU_ASSERT(c_lookups > 0);
	CU_ASSERT_EQUAL(st.syncs, versions);
	uiommu_iotlb_destroy(c_tlb);
}

static void
test_iotlb_concurrent_invalidation(void)
{
	concurrent_invalidation(0, C_VERSIONS);
}

/* Readers coming and going: syncs that find no slot taken skip the wait. */
static void
test_iotlb_concurrent_bracketed(void)
{
	concurrent_invalidation(C_BRACKET, C_VERSIONS);
}

static void
test_iotlb_reader_slots(void)
{
	unsigned int ids[UIOMMU_IOTLB_MAX_READERS], extra;
	struct uiommu_iotlb *tlb;

	UT_ASSERT_FATAL(uiommu_iotlb_create(64, &tlb) == 0);
	for (unsigned int i = 0; i < UIOMMU_IOTLB_MAX_READERS; i++)
		CU_ASSERT_EQUAL(uiommu_iotlb_reader_online(tlb, &ids[i]), 0);
	CU_ASSERT_EQUAL(uiommu_iotlb_reader_online(tlb, &extra), -EBUSY);
	uiommu_iotlb_reader_offline(tlb, ids[5]);
	CU_ASSERT_EQUAL(uiommu_iotlb_reader_online(tlb, &extra), 0);
	CU_ASSERT_EQUAL(extra, ids[5]);
	ids[5] = extra;
	for (unsigned int i = 0; i < UIOMMU_IOTLB_MAX_READERS; i++)
		uiommu_iotlb_reader_offline(tlb, ids[i]);
	uiommu_iotlb_sync(tlb); /* everyone offline: returns */
	uiommu_iotlb_destroy(tlb);
}

int
main(int argc, char **argv)
{
	static const struct ut_case cases[] = {
		UT_CASE(test_iotlb_create_errors),
		UT_CASE(test_iotlb_tags_and_sizes),
		UT_CASE(test_iotlb_insert_errors),
		UT_CASE(test_iotlb_invalidate_exact),
		UT_CASE(test_iotlb_random_vs_reference),
		UT_CASE(test_iotlb_random_eviction_pressure),
		UT_CASE(test_iotlb_reader_slots),
		UT_CASE(test_iotlb_concurrent_invalidation),
		UT_CASE(test_iotlb_concurrent_bracketed),
		UT_END
	};

	return ut_main("iotlb", cases, argc, argv);
}
