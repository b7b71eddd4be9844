/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Scenario registry and --scenario selection.
 *
 * Scenarios register themselves from constructors (BENCH_SCENARIO_REGISTER),
 * so adding one touches no central table: the registry keeps them sorted by
 * their `order` field, which is also the run order. Baselines carry lower
 * orders than the scenarios compared with them, so a baseline is always
 * measured first in the same run.
 *
 * Selection closes the requested set under "needs baseline": asking for
 * `trap` also runs `floor`, asking for `scale` runs `poll` and `floor`.
 * The walk up the baseline chain is bounded by the registry size, so a
 * (mis-registered) cycle cannot loop.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"

static const struct bench_scenario *registry[BENCH_MAX_SCENARIOS];
static unsigned int n_registered;

void
bench_scenario_register(const struct bench_scenario *sc)
{
	unsigned int i;

	if (n_registered == BENCH_MAX_SCENARIOS || bench_scenario_find(sc->name)) {
		fprintf(stderr, "uiommu-bench: cannot register scenario %s\n",
			sc->name);
		abort();
	}
	for (i = n_registered; i > 0 && registry[i - 1]->order > sc->order; i--)
		registry[i] = registry[i - 1];
	registry[i] = sc;
	n_registered++;
}

unsigned int
bench_scenario_count(void)
{
	return n_registered;
}

const struct bench_scenario *
bench_scenario_at(unsigned int i)
{
	return i < n_registered ? registry[i] : NULL;
}

const struct bench_scenario *
bench_scenario_find(const char *name)
{
	for (unsigned int i = 0; i < n_registered; i++)
		if (strcmp(registry[i]->name, name) == 0)
			return registry[i];
	return NULL;
}

static int
index_of(const char *name)
{
	for (unsigned int i = 0; i < n_registered; i++)
		if (strcmp(registry[i]->name, name) == 0)
			return (int)i;
	return -1;
}

int
bench_scenario_select(const char *list, unsigned char *sel, unsigned int nsel,
		      char *bad, size_t badlen)
{
	char buf[512];
	char *tok, *save = NULL;
	int idx;

	if (nsel < n_registered)
		return -EINVAL;
	memset(sel, 0, nsel);
	if (list == NULL || strcmp(list, "all") == 0) {
		memset(sel, 1, n_registered);
		return 0;
	}
	if (strlen(list) >= sizeof(buf) || list[0] == '\0')
		return -EINVAL;
	strcpy(buf, list);
	for (tok = strtok_r(buf, ",", &save); tok != NULL;
	     tok = strtok_r(NULL, ",", &save)) {
		if (strcmp(tok, "all") == 0) {
			memset(sel, 1, n_registered);
			continue;
		}
		idx = index_of(tok);
		if (idx < 0) {
			if (bad != NULL)
				snprintf(bad, badlen, "%s", tok);
			return -ENOENT;
		}
		sel[idx] = 1;
	}
	/* Pull in baselines; each chain is at most n_registered long. */
	for (unsigned int i = 0; i < n_registered; i++) {
		const struct bench_scenario *sc = registry[i];

		if (sel[i] != 1)
			continue;
		for (unsigned int hop = 0; hop < n_registered && sc->baseline; hop++) {
			idx = index_of(sc->baseline);
			if (idx < 0)
				break;
			if (sel[idx] == 0)
				sel[idx] = 2;
			sc = registry[idx];
		}
	}
	for (unsigned int i = 0; i < n_registered; i++)
		if (sel[i] != 0)
			return 0;
	return -EINVAL;
}
