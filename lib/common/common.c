/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Shared plumbing: the common log type and the fault-injection counter.
 *
 * Fault injection is a single process-wide countdown. It is armed by a test
 * on the control path and read by set-up paths only, never the fast path, so
 * relaxed atomics are enough: the test that arms it also waits for the call
 * it aimed at.
 */
#include <stdint.h>

#include <rte_log.h>

#include "uiommu_common.h"
#include "uiommu_fail.h"
#include "uiommu_log.h"

RTE_LOG_REGISTER_SUFFIX(uiommu_logtype_common, common, NOTICE);

#ifdef UIOMMU_FAULT_INJECTION
static uint64_t fail_countdown;
static uint64_t fail_calls;
static bool fail_fired;

void
uiommu_fail_nth_set(uint64_t nth)
{
	__atomic_store_n(&fail_calls, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&fail_fired, false, __ATOMIC_RELAXED);
	__atomic_store_n(&fail_countdown, nth, __ATOMIC_RELAXED);
}

uint64_t
uiommu_fail_calls(void)
{
	return __atomic_load_n(&fail_calls, __ATOMIC_RELAXED);
}

bool
uiommu_fail_fired(void)
{
	return __atomic_load_n(&fail_fired, __ATOMIC_RELAXED);
}

bool
uiommu_should_fail(void)
{
	uint64_t left;

	__atomic_fetch_add(&fail_calls, 1, __ATOMIC_RELAXED);
	left = __atomic_load_n(&fail_countdown, __ATOMIC_RELAXED);
	if (left == 0)
		return false;
	if (__atomic_sub_fetch(&fail_countdown, 1, __ATOMIC_RELAXED) != 0)
		return false;
	__atomic_store_n(&fail_fired, true, __ATOMIC_RELAXED);
	return true;
}
#endif
