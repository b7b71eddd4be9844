/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * A scripted ioctl() for the iommufd backend's unit tests.
 *
 * The test binary is linked with `-Wl,--wrap=ioctl`, so every ioctl() the
 * backend makes (it is linked statically into the test) lands in
 * __wrap_ioctl(). While a script is armed (mock_script()), each call must
 * match the next script step's request number; the step then says how the
 * "kernel" answers: an errno, output IDs, hw_info data, an entry_num to
 * write back. Every call is also recorded with a copy of its argument
 * struct and of the user data it points to (HWPT_ALLOC vendor data,
 * HWPT_INVALIDATE request arrays), so tests assert on the exact bytes
 * after the fact. A call that does not match the script (or comes after
 * its end) fails with ENOTTY and counts in mock_errors(); mock_done()
 * checks that the whole script was consumed and nothing went wrong.
 * With no script armed, calls go to the real ioctl().
 */
#ifndef IOFD_MOCK_H
#define IOFD_MOCK_H

#include <stddef.h>
#include <stdint.h>

/** One expected call and the kernel's answer. */
struct mock_step {
	unsigned long req;       /**< expected request (IOFD_IOCTL_*, ...) */
	int err;                 /**< positive errno to fail with; 0 succeeds */
	uint32_t id;             /**< output ID (out_*_id; MOCK_DOMAIN: stdev) */
	uint32_t id2;            /**< MOCK_DOMAIN: out_idev_id */
	uint32_t hw_type;        /**< GET_HW_INFO: out_data_type */
	const void *hw_data;     /**< GET_HW_INFO: vendor data written */
	uint32_t hw_len;         /**< GET_HW_INFO: its length */
	int entry_num;           /**< HWPT_INVALIDATE: written back if >= 0
				  *   (steps built by MOCK_* macros use -1:
				  *   all entries handled) */
};

/** A step that succeeds and returns an ID. */
#define MOCK_OK(r, i) { .req = (r), .id = (i), .entry_num = -1 }
/** A step that fails with errno e. */
#define MOCK_ERR(r, e) { .req = (r), .err = (e), .entry_num = -1 }

/** A recorded call. */
struct mock_rec {
	unsigned long req;       /**< request */
	int fd;                  /**< fd it was made on */
	uint32_t arg_len;        /**< bytes of arg[] copied */
	uint8_t arg[80];         /**< the argument struct as passed (input) */
	uint32_t data_len;       /**< bytes of data[] copied */
	uint8_t data[256 * 24];  /**< data the arg points to (input) */
};

/** Arm a script of n steps (copied) and clear the record. */
void mock_script(const struct mock_step *steps, unsigned int n);

/** Disarm: later calls go to the real ioctl(). */
void mock_off(void);

/** Calls recorded since mock_script(). */
unsigned int mock_nr_calls(void);

/** The i-th recorded call (NULL past the end). */
const struct mock_rec *mock_call(unsigned int i);

/** Calls that did not match the script. */
unsigned int mock_errors(void);

/** 1 when every step was consumed and no call mismatched; else 0 (printed). */
int mock_done(void);

/** Path of a plain temporary file standing in for /dev/iommu. */
const char *mock_dev_path(void);

#endif /* IOFD_MOCK_H */
