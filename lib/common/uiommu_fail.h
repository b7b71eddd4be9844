/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Fault injection: fail the Nth allocation, mapping or backend call.
 *
 * Built in only with `-Dfault_injection=true`; otherwise
 * uiommu_should_fail() is a constant false and costs nothing. Every
 * object-creation and set-up path calls it before each resource it acquires,
 * and treats a true answer exactly as the real failure of that resource
 * (usually -ENOMEM). Tests sweep N = 1, 2, ... with uiommu_fail_nth_set()
 * until a run completes with no injected failure.
 */
#ifndef UIOMMU_FAIL_H
#define UIOMMU_FAIL_H

#include <stdbool.h>
#include <stdint.h>

#ifdef UIOMMU_FAULT_INJECTION
/**
 * Arm fault injection: the nth call to uiommu_should_fail() from now returns
 * true (once); 0 disarms.
 */
void uiommu_fail_nth_set(uint64_t nth);
/** Number of uiommu_should_fail() calls since the last uiommu_fail_nth_set(). */
uint64_t uiommu_fail_calls(void);
/** True when an injected failure has fired since the last arm. */
bool uiommu_fail_fired(void);
/** Ask whether this resource acquisition must fail. */
bool uiommu_should_fail(void);
#else
static inline bool uiommu_should_fail(void) { return false; }
#endif

#endif /* UIOMMU_FAIL_H */
