/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * Build-time limits of uiommu.
 *
 * Every bound that protects the manager from a hostile guest or client is
 * here, in one place, so that a reviewer can see the worst case at a glance.
 * Runtime options may lower these values, never raise them.
 */
#ifndef UIOMMU_CONFIG_H
#define UIOMMU_CONFIG_H

/** VMs (client connections that registered memory) one manager serves. */
#define UIOMMU_MAX_VMS 64
/** Guest RAM regions per VM (MEM_ADD). */
#define UIOMMU_MAX_MEM_REGIONS 16
/** vIOMMUs per VM. */
#define UIOMMU_MAX_VIOMMUS_PER_VM 4
/** vDEVICEs per vIOMMU. */
#define UIOMMU_MAX_VDEVICES 64
/** vCMDQs per vIOMMU (a CMDQV VINTF hosts up to 128). */
#define UIOMMU_MAX_VCMDQS 128
/** Smallest and largest vCMDQ, as log2 of 16-byte entries. */
#define UIOMMU_VCMDQ_MIN_LOG2 1
#define UIOMMU_VCMDQ_MAX_LOG2 19
/** Largest guest stream table, as log2 of 64-byte STEs (SIDSIZE). */
#define UIOMMU_MAX_STRTAB_LOG2 16
/** Commands one queue may consume in one poll pass before the lcore moves on. */
#define UIOMMU_POLL_BUDGET_DEFAULT 64
/** Commands the dispatcher gathers into one backend call at most. */
#define UIOMMU_BATCH_MAX 256
/** Polling lcores one manager may use. */
#define UIOMMU_MAX_POLL_LCORES 64
/** Soft IOTLB entries (power of two). */
#define UIOMMU_IOTLB_ENTRIES_DEFAULT 4096
/** Soft event-ring records (power of two). */
#define UIOMMU_EVTQ_ENTRIES_DEFAULT 512
/** Largest control-protocol message payload, in bytes. */
#define UIOMMU_PROTO_MAX_PAYLOAD 65536
/** File descriptors carried by one control message. */
#define UIOMMU_PROTO_MAX_FDS 8
/** Soft DMA engines one manager emulates. */
#define UIOMMU_MAX_SOFT_DEVICES 256
/** Descriptors one soft DMA engine executes per doorbell pass. */
#define UIOMMU_SOFT_DMA_BUDGET 32

#endif /* UIOMMU_CONFIG_H */
