/* SPDX-License-Identifier: BSD-3-Clause */
/* AArch64 LPAE stage-1, 4 KiB granule: the generic algorithm instantiated
 * with the stage-1 attribute encoding (see fmt/arm_lpae.h). */
#define ARM_LPAE_STAGE 1
#define PT_NS(x) arm_lpae_s1_##x
#include "arm_lpae.h"
#include "pt_impl.h"
