/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Backend registry.
 *
 * Backends register from constructors (UIOMMU_BACKEND_REGISTER), before
 * main() and before any thread exists, so the table needs no lock: it is
 * written only during start-up and read-only afterwards. A duplicate name is
 * a programming error and is refused with a log line.
 */
#include <string.h>

#include "uiommu_backend.h"
#include "uiommu_log.h"

#define MAX_BACKENDS 16

static const struct uiommu_backend_ops *backends[MAX_BACKENDS];
static unsigned int nr_backends;

RTE_LOG_REGISTER_SUFFIX(uiommu_logtype_backend, backend, NOTICE);

void
uiommu_backend_register(const struct uiommu_backend_ops *ops)
{
	if (ops == NULL || ops->name == NULL || nr_backends >= MAX_BACKENDS ||
	    uiommu_backend_find(ops->name) != NULL) {
		UIOMMU_LOG(ERR, uiommu_logtype_backend,
			   "cannot register backend %s",
			   ops != NULL && ops->name != NULL ? ops->name : "?");
		return;
	}
	backends[nr_backends++] = ops;
}

const struct uiommu_backend_ops *
uiommu_backend_find(const char *name)
{
	if (name == NULL)
		return NULL;
	for (unsigned int i = 0; i < nr_backends; i++)
		if (strcmp(backends[i]->name, name) == 0)
			return backends[i];
	return NULL;
}

int
uiommu_backend_arg_onoff(const char *key, const char *value, void *opaque)
{
	bool *out = opaque;

	RTE_SET_USED(key);
	if (value != NULL && strcmp(value, "on") == 0)
		*out = true;
	else if (value != NULL && strcmp(value, "off") == 0)
		*out = false;
	else
		return -EINVAL;
	return 0;
}

const struct uiommu_backend_ops *
uiommu_backend_at(unsigned int i)
{
	return i < nr_backends ? backends[i] : NULL;
}
