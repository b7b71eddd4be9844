/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Writes the JSON and CSV reports of a synthetic run, for check_outputs.py.
 *
 * Usage: bench_emit OUT.json OUT.csv
 *
 * Every number is chosen so that check_outputs.py can state the expected
 * value by hand (constant histograms, simple rates, a 2 GHz TSC), and the
 * strings carry every character JSON and CSV must escape.
 */
#include <stdio.h>
#include <string.h>

#include "bench.h"

/* Quote, backslash, comma, newline, tab, a control byte and UTF-8. */
#define NASTY "a \"quoted\", back\\slash,\nnew line\ttab \x01 ≤×"

static const struct bench_target poll_targets[] = {
	{ "poll p50 ≤ 2× floor p50", "poll/rtt", BENCH_P50, "floor/rtt", BENCH_P50,
	  BENCH_AT_MOST, 2.0 },
};
static const struct bench_target trap_targets[] = {
	{ "trap ≥ 5× floor", "trap/*", BENCH_P50, "floor/rtt", BENCH_P50,
	  BENCH_AT_LEAST, 5.0 },
	{ "trap ≥ 20× floor", "trap/*", BENCH_P50, "floor/rtt", BENCH_P50,
	  BENCH_AT_LEAST, 20.0 },
};
static const struct bench_scenario sc[] = {
	{ .name = "floor", .summary = "", .order = 1 },
	{ .name = "trap", .summary = "", .baseline = "floor", .order = 2,
	  .targets = trap_targets, .n_targets = 2 },
	{ .name = "ring", .summary = "", .order = 3 },
	{ .name = "chase", .summary = "", .order = 4 },
	{ .name = "poll", .summary = "", .baseline = "floor", .order = 5,
	  .targets = poll_targets, .n_targets = 1 },
	{ .name = "kernel", .summary = "", .baseline = "trap", .order = 6 },
};

static struct bench_result *
lat(struct bench_set *set, const char *s, const char *v, const char *b,
    uint64_t cycles, unsigned int ops)
{
	struct bench_result *r = bench_set_add_latency(set, s, v, b, "round trip", ops);

	if (r != NULL)
		bench_hist_record_n(r->hist, cycles, 1000);
	return r;
}

int
main(int argc, char **argv)
{
	const struct bench_scenario *ran[6];
	struct bench_conditions c;
	struct bench_report rep;
	struct bench_result *r, *b1, *b32;
	struct bench_set *set;
	int rc;

	if (argc != 3) {
		fprintf(stderr, "usage: %s OUT.json OUT.csv\n", argv[0]);
		return 2;
	}
	memset(&c, 0, sizeof(c));
	snprintf(c.tool_version, sizeof(c.tool_version), "test");
	snprintf(c.command_line, sizeof(c.command_line), "uiommu-bench -- --json 'x y'");
	snprintf(c.cpu_model, sizeof(c.cpu_model), "%s", NASTY);
	c.online_cpus = 2;
	c.main_lcore = 0;
	c.worker_lcore = 1;
	c.main_cpu = 0;
	c.worker_cpu = 1;
	c.main_core_id = c.worker_core_id = c.main_pkg = c.worker_pkg = -1;
	c.smt_siblings = -1;
	snprintf(c.dpdk_version, sizeof(c.dpdk_version), "DPDK 22.11.0");
	snprintf(c.kernel, sizeof(c.kernel), "Linux");
	snprintf(c.date, sizeof(c.date), "2000-01-01T00:00:00Z");
	c.loadavg1 = -1.0;	/* unknown: null */
	c.tsc_hz_eal = 2000000000;
	c.tsc_hz_measured = 2000100000.0;
	c.tsc_dev_ppm = 50.0;
	c.tsc_hz = 2000000000;
	snprintf(c.tsc_source, sizeof(c.tsc_source), "measured");
	c.samples = 1000;
	c.reps = 3;

	set = bench_set_alloc(c.tsc_hz);
	if (set == NULL)
		return 1;
	r = lat(set, "floor", "rtt", "", 100, 1);
	if (r == NULL)
		return 1;
	snprintf(r->note, sizeof(r->note), "%s", NASTY);
	if (lat(set, "trap", "eventfd", "floor/rtt", 1000, 1) == NULL ||
	    lat(set, "trap", "futex", "floor/rtt", 800, 1) == NULL ||
	    lat(set, "chase", "l1-d1", "", 3200, 32) == NULL)
		return 1;
	b1 = bench_set_add_rate(set, "ring", "b1", "", "element", 1000);
	b32 = bench_set_add_rate(set, "ring", "b32", "ring/b1", "element", 1000);
	if (b1 == NULL || b32 == NULL ||
	    bench_result_add_rep(b1, 3e6) || bench_result_add_rep(b1, 1e6) ||
	    bench_result_add_rep(b1, 2e6) || bench_result_add_rep(b32, 8e6))
		return 1;
	bench_set_unavailable(set, "poll", "not yet available", "needs %s", "lib/cmdq");
	bench_set_unavailable(set, "kernel", "skipped", "no /dev/iommu");

	for (int i = 0; i < 6; i++)
		ran[i] = &sc[i];
	rep = (struct bench_report){ .cond = &c, .set = set, .scenarios = ran,
				     .n_scenarios = 6 };
	rc = bench_report_json(argv[1], &rep);
	if (rc == 0)
		rc = bench_report_csv(argv[2], &rep);
	/* The text report must not crash on the same input. */
	bench_report_text(stdout, &rep);
	bench_set_free(set);
	return rc == 0 ? 0 : 1;
}
