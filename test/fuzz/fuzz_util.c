/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Helpers shared by the fuzz targets (see fuzz.h): guarded guest RAM,
 * canaries, quiet logging. Set-up failures abort: a fuzzer that cannot set
 * up must not report inputs as interesting.
 */
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>

#include <rte_common.h>
#include <rte_log.h>

#include "fuzz.h"

#define GUARD 4096u

void
fz_mem_init(struct fz_mem *m, size_t len, size_t align)
{
	uintptr_t start;
	uint8_t *map;

	if (align < GUARD)
		align = GUARD;
	m->map_len = len + align + 2 * GUARD;
	map = mmap(NULL, m->map_len, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (map == MAP_FAILED) {
		perror("fuzz: mmap");
		abort();
	}
	start = ((uintptr_t)map + GUARD + align - 1) & ~(uintptr_t)(align - 1);
	m->map = map;
	m->base = (uint8_t *)start;
	m->len = len;
	/* Everything outside [base, base + len) is a guard. */
	if (start - (uintptr_t)map > 0 &&
	    mprotect(map, start - (uintptr_t)map, PROT_NONE) != 0)
		abort();
	if (mprotect(m->base + len, (size_t)((uintptr_t)map + m->map_len -
					     (start + len)), PROT_NONE) != 0)
		abort();
}

void
fz_mem_fini(struct fz_mem *m)
{
	if (m->map != NULL)
		munmap(m->map, m->map_len);
	memset(m, 0, sizeof(*m));
}

static inline uint64_t
canary(uint64_t seed, size_t i)
{
	uint64_t x = seed ^ (i * 0x9e3779b97f4a7c15ULL);

	x ^= x >> 29;
	x *= 0xbf58476d1ce4e5b9ULL;
	return x ^ (x >> 32);
}

void
fz_mem_canary_fill(const struct fz_mem *m, uint64_t seed)
{
	uint64_t *w = (uint64_t *)(void *)m->base;

	for (size_t i = 0; i < m->len / 8; i++)
		w[i] = canary(seed, i);
}

bool
fz_mem_canary_ok(const struct fz_mem *m, uint64_t seed)
{
	const uint64_t *w = (const uint64_t *)(const void *)m->base;

	for (size_t i = 0; i < m->len / 8; i++)
		if (w[i] != canary(seed, i))
			return false;
	return true;
}

static struct {
	const char *name;
	uint64_t n;
} stats[64];
static unsigned int nstats;

static void
stats_print(void)
{
	for (unsigned int i = 0; i < nstats; i++)
		fprintf(stderr, "fuzz-stat %s %llu\n", stats[i].name,
			(unsigned long long)stats[i].n);
}

void
fz_stat(const char *name)
{
	unsigned int i;

	for (i = 0; i < nstats; i++)
		if (stats[i].name == name || strcmp(stats[i].name, name) == 0)
			break;
	if (i == nstats) {
		if (nstats == RTE_DIM(stats))
			return;
		if (nstats == 0)
			atexit(stats_print);
		stats[nstats++].name = name;
	}
	stats[i].n++;
}

void
fz_quiet(void)
{
	if (getenv("UIOMMU_FUZZ_VERBOSE") == NULL)
		rte_log_set_global_level(RTE_LOG_CRIT);
}
