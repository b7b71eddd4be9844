/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Logging through rte_log.
 *
 * Each library and driver registers its own log type, named
 * `uiommu.<name>` (for example `uiommu.core`), so that
 * `--log-level=uiommu.core:debug` works as for any DPDK component.
 * A library declares its type once in one .c file:
 *
 *     RTE_LOG_REGISTER_SUFFIX(uiommu_logtype_core, core, NOTICE);
 *
 * and logs with UIOMMU_LOG(ERR, uiommu_logtype_core, "fmt", ...).
 * Logging is for the control path; the fast path counts instead.
 */
#ifndef UIOMMU_LOG_H
#define UIOMMU_LOG_H

#include <rte_log.h>

/** Log one line (a newline is appended) at an rte_log level name. */
#define UIOMMU_LOG(level, type, fmt, ...) \
	rte_log(RTE_LOG_##level, (type), "%s: " fmt "\n", __func__, \
		##__VA_ARGS__)

#endif /* UIOMMU_LOG_H */
