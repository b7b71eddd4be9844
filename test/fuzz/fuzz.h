/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Shared helpers of uiommu's libFuzzer targets (test/fuzz).
 *
 * - struct fz: a cursor over the fuzzer's input that hands out integers
 *   and byte strings; past the end it yields zeros, so every target reads
 *   a fixed "shape" of input and short inputs are still meaningful.
 * - struct fz_mem: guest RAM between two PROT_NONE guard pages. A bounds
 *   bug that steps one byte out of a registered region faults at once,
 *   whatever ASan knows about the mapping.
 * - FZ_CHECK: an invariant; a violation prints where and aborts, which
 *   libFuzzer reports as a crash and saves the input.
 * - fz_quiet(): DPDK log level down to CRIT (hostile input is expected to
 *   be logged by the libraries; at millions of inputs that is noise), unless
 *   UIOMMU_FUZZ_VERBOSE is set.
 */
#ifndef UIOMMU_FUZZ_H
#define UIOMMU_FUZZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/** Abort (a libFuzzer crash) when an invariant does not hold. */
#define FZ_CHECK(cond) do { \
	if (!(cond)) { \
		fprintf(stderr, "%s:%d: invariant failed: %s\n", \
			__FILE__, __LINE__, #cond); \
		abort(); \
	} \
} while (0)

/** Same, with a printf-style explanation. */
#define FZ_CHECKF(cond, fmt, ...) do { \
	if (!(cond)) { \
		fprintf(stderr, "%s:%d: invariant failed: %s: " fmt "\n", \
			__FILE__, __LINE__, #cond, ##__VA_ARGS__); \
		abort(); \
	} \
} while (0)

/** Cursor over the input. */
struct fz {
	const uint8_t *p;
	size_t left;
};

static inline void
fz_init(struct fz *f, const uint8_t *data, size_t size)
{
	f->p = data;
	f->left = size;
}

static inline bool
fz_empty(const struct fz *f)
{
	return f->left == 0;
}

/** Copy n bytes of input into dst (zeros past the end). */
static inline void
fz_bytes(struct fz *f, void *dst, size_t n)
{
	size_t k = n < f->left ? n : f->left;

	memcpy(dst, f->p, k);
	memset((uint8_t *)dst + k, 0, n - k);
	f->p += k;
	f->left -= k;
}

static inline uint8_t
fz_u8(struct fz *f)
{
	uint8_t v;

	fz_bytes(f, &v, 1);
	return v;
}

static inline uint16_t
fz_u16(struct fz *f)
{
	uint16_t v;

	fz_bytes(f, &v, 2);
	return v;
}

static inline uint32_t
fz_u32(struct fz *f)
{
	uint32_t v;

	fz_bytes(f, &v, 4);
	return v;
}

static inline uint64_t
fz_u64(struct fz *f)
{
	uint64_t v;

	fz_bytes(f, &v, 8);
	return v;
}

/** A value in [0, n) (n > 0) from one byte, or two when n > 256. */
static inline uint32_t
fz_below(struct fz *f, uint32_t n)
{
	return (n <= 256 ? fz_u8(f) : fz_u16(f)) % n;
}

/** True with probability about k/256. */
static inline bool
fz_chance(struct fz *f, unsigned int k)
{
	return fz_u8(f) < k;
}

/**
 * True with probability about k/256, but false on the zeros past the end of
 * the input (for noise that should not dominate short inputs).
 */
static inline bool
fz_rare(struct fz *f, unsigned int k)
{
	return fz_u8(f) >= 256 - k;
}

/** Guest RAM with a PROT_NONE guard page on each side. */
struct fz_mem {
	uint8_t *base;   /**< first usable byte, 4 KiB aligned */
	size_t len;      /**< usable bytes */
	void *map;       /**< whole mapping, guards included */
	size_t map_len;
};

/**
 * Map len bytes (a multiple of 4 KiB) between two guard pages, aligned to
 * @p align (a power of two >= 4096) so that large leaves can be used.
 * Aborts on failure (fuzzer set-up).
 */
void fz_mem_init(struct fz_mem *m, size_t len, size_t align);

/** Unmap. */
void fz_mem_fini(struct fz_mem *m);

/** True when [p, p + len - 1] lies inside the usable part of m. */
static inline bool
fz_mem_holds(const struct fz_mem *m, const void *p, size_t len)
{
	uintptr_t a = (uintptr_t)p, b = (uintptr_t)m->base;

	return len != 0 && len <= m->len && a >= b && a - b <= m->len - len;
}

/** Fill with a canary pattern derived from @p seed. */
void fz_mem_canary_fill(const struct fz_mem *m, uint64_t seed);

/** True when the canary pattern of @p seed is intact. */
bool fz_mem_canary_ok(const struct fz_mem *m, uint64_t seed);

/** Lower DPDK's log level unless UIOMMU_FUZZ_VERBOSE is set. */
void fz_quiet(void);

/**
 * Count one event of the named kind (a string literal), e.g. a malformed
 * input tried. The counts are printed at exit as "fuzz-stat NAME COUNT"
 * lines (the figures of doc/hardening.md). At most 64 names.
 */
void fz_stat(const char *name);

#endif /* UIOMMU_FUZZ_H */
