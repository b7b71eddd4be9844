/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * uiommu-bench internal API: scenarios, results, targets, the two-lcore
 * harness and the outputs.
 *
 * **Adding a scenario** is one file and one line:
 *  1. `sc_<name>.c` defines a `static const struct bench_scenario` and
 *     registers it with BENCH_SCENARIO_REGISTER();
 *  2. one line adds the file to `scenario_sources` in meson.build.
 *
 * A scenario's run() measures and records its results in ctx->set:
 *  - latency: bench_set_add_latency(), then bench_hist_record() of one
 *    sample per operation batch (cycles, measured with bench_tsc_begin()/
 *    bench_tsc_end()); bench_latency_loop() does warm-up and sampling;
 *  - throughput: bench_set_add_rate(), then bench_result_add_rep() once per
 *    repetition with the operations per second it achieved.
 * Every result names its baseline as "scenario/variant" ("" for a root
 * baseline); the report prints the ratio to it (p50 for latency, the median
 * repetition for rates) as the headline.
 * A scenario that cannot run here calls bench_set_unavailable() and returns
 * 0; it then has no results and is listed as "not yet available" or
 * "skipped", never as a measurement. A negative return is a failure (exit
 * code 1).
 *
 * **Targets** (design §7 goals) are ratios between two results, or an
 * absolute bound in ns; they are evaluated to MET, MISSED or n.a. (a result
 * they need is missing). A subject or reference whose variant part is the
 * wildcard "*" (written trap/<star> here only because C comments cannot
 * hold it) means the best variant of that scenario for the metric: the
 * lowest latency or the highest rate.
 */
#ifndef BENCH_H
#define BENCH_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#if !defined(__x86_64__) && !defined(__i386__)
#include <rte_cycles.h>
#endif

#include "hist.h"

/** Longest scenario or variant name, with its NUL. */
#define BENCH_NAME_MAX 32
/** Longest "scenario/variant" reference, with its NUL. */
#define BENCH_REF_MAX (2 * BENCH_NAME_MAX)
/** Results one run may hold. */
#define BENCH_MAX_RESULTS 128
/** Scenarios that may be registered. */
#define BENCH_MAX_SCENARIOS 32
/** Repetitions one throughput result may hold. */
#define BENCH_MAX_REPS 64
/** Unavailable/failed scenario notes one run may hold. */
#define BENCH_MAX_NOTES BENCH_MAX_SCENARIOS

/** Default latency samples per variant. */
#define BENCH_DEFAULT_SAMPLES 200000u
/** Default warm-up operations per variant. */
#define BENCH_DEFAULT_WARMUP 20000u
/** Default throughput repetitions. */
#define BENCH_DEFAULT_REPS 11u
/** --quick: samples, warm-up and repetitions. */
#define BENCH_QUICK_SAMPLES 2000u
#define BENCH_QUICK_WARMUP 200u
#define BENCH_QUICK_REPS 3u
/** Largest --samples / --warmup accepted. */
#define BENCH_MAX_SAMPLES 100000000u
/** TSC cross-check interval, ms (normal and --quick). */
#define BENCH_CALIB_MS 200u
#define BENCH_QUICK_CALIB_MS 20u
/** EAL and measured TSC rates differing by more than this (ppm) are reported. */
#define BENCH_TSC_WARN_PPM 10000.0
/** Longest any wait for the other lcore may take before a scenario fails, s. */
#define BENCH_TIMEOUT_S 2u

/** Exit codes (documented in --help and uiommu-bench(1)). */
enum bench_exit {
	BENCH_EXIT_OK = 0,      /**< every scenario ran or was not available */
	BENCH_EXIT_FAILED = 1,  /**< a scenario failed; the others are reported */
	BENCH_EXIT_USAGE = 2,   /**< bad option, scenario name or EAL argument */
	BENCH_EXIT_ENV = 3,     /**< EAL, lcores or memory not usable */
	BENCH_EXIT_OUTPUT = 4,  /**< --json/--csv/--plot could not be written */
};

/** What a result measures. */
enum bench_kind {
	BENCH_KIND_LATENCY, /**< a histogram of cycles per sample */
	BENCH_KIND_RATE,    /**< operations per second, per repetition */
};

/** A number read from a result. */
enum bench_metric {
	BENCH_P50, BENCH_P90, BENCH_P99, BENCH_P999, BENCH_MAX, BENCH_MEAN,
	BENCH_MIN,
	BENCH_RATE, /**< median repetition's operations per second */
};

/** One measured variant of a scenario. */
struct bench_result {
	char scenario[BENCH_NAME_MAX];  /**< "trap" */
	char variant[BENCH_NAME_MAX];   /**< "eventfd" */
	char baseline[BENCH_REF_MAX];   /**< "floor/rtt"; "" for a root baseline */
	char unit[BENCH_NAME_MAX];      /**< "round trip", "walk", "element" */
	char note[128];                 /**< conditions of this variant, may be "" */
	enum bench_kind kind;
	struct bench_hist *hist;        /**< latency: cycles per sample */
	unsigned int ops_per_sample;    /**< latency: operations timed per sample */
	double rates[BENCH_MAX_REPS];   /**< rate: operations/s per repetition */
	unsigned int n_rates;
	uint64_t ops_per_rep;           /**< rate: operations per repetition */
};

/** A scenario that produced no results, and why. */
struct bench_note {
	char scenario[BENCH_NAME_MAX];
	char status[24];   /**< "not yet available", "skipped" or "failed" */
	char why[256];
	int err;           /**< failed: the negative errno; else 0 */
};

/** All results of one run. */
struct bench_set {
	uint64_t tsc_hz;                        /**< for cycles -> ns */
	struct bench_result res[BENCH_MAX_RESULTS];
	unsigned int n_res;
	struct bench_note notes[BENCH_MAX_NOTES]; /**< unavailable and failed */
	unsigned int n_notes;
};

/** How a target compares. */
enum bench_cmp {
	BENCH_AT_MOST,  /**< value <= bound */
	BENCH_AT_LEAST, /**< value >= bound */
};

/** A design goal, evaluated on the results of a run. */
struct bench_target {
	const char *label;           /**< "poll p50 ≤ 2× floor p50" */
	const char *subject;         /**< "poll/rtt", or a wildcard variant */
	enum bench_metric metric;    /**< of the subject */
	const char *reference;       /**< NULL: the bound is absolute (ns or ops/s) */
	enum bench_metric ref_metric;
	enum bench_cmp cmp;
	double bound;                /**< on subject/reference, or absolute */
};

/** Outcome of a target. */
enum bench_target_status { BENCH_TARGET_NA, BENCH_TARGET_MET, BENCH_TARGET_MISSED };

/** A target's evaluation. */
struct bench_target_outcome {
	enum bench_target_status status;
	double value;    /**< the ratio (or absolute value) compared; NAN if n.a. */
	char why[160];   /**< n.a.: what was missing */
};

/** Conditions of the run, printed and written with the results. */
struct bench_conditions {
	char tool_version[16];
	char command_line[1024];
	char cpu_model[128];
	unsigned int online_cpus;
	bool hypervisor;           /**< "hypervisor" CPU flag: running in a VM */
	bool invariant_tsc;        /**< constant_tsc and nonstop_tsc (x86) */
	unsigned int main_lcore, worker_lcore;
	int main_cpu, worker_cpu;  /**< OS CPU numbers; -1 unknown */
	int main_core_id, worker_core_id;  /**< topology core_id; -1 unknown */
	int main_pkg, worker_pkg;  /**< physical_package_id; -1 unknown */
	int smt_siblings;          /**< 1 yes, 0 no, -1 unknown */
	unsigned int lcores_given; /**< lcores in the EAL core list */
	bool hugepages;            /**< EAL memory is hugepage-backed */
	bool no_huge_fallback;     /**< --no-huge was added because none was free */
	char eal_adjust[96];       /**< how EAL's arguments were changed, or "" */
	char dpdk_version[64];
	char kernel[256];
	char date[32];             /**< UTC, ISO 8601 */
	char governor[32];         /**< cpufreq governor of the main CPU, or "" */
	double loadavg1;           /**< 1-minute load average at start; <0 unknown */
	uint64_t tsc_hz_eal;       /**< rte_get_tsc_hz() */
	double tsc_hz_measured;    /**< TSC ticks / CLOCK_MONOTONIC_RAW */
	double tsc_dev_ppm;        /**< (measured - eal) / eal, ppm */
	uint64_t tsc_hz;           /**< the rate used for ns */
	char tsc_source[16];       /**< which rate ns use: "measured" */
	char clocksource[32];      /**< the kernel's current clocksource, or "" */
	unsigned int calib_ms;     /**< cross-check interval */
	uint64_t timer_overhead;   /**< p50 cycles of an empty begin/end pair */
	uint64_t samples, warmup;  /**< per latency variant */
	unsigned int reps;         /**< per throughput variant */
	bool quick;
};

/** The measuring context handed to a scenario. */
struct bench_ctx {
	unsigned int main_lcore;    /**< the lcore run() is called on */
	unsigned int worker_lcore;  /**< the one worker lcore */
	int socket;                 /**< NUMA socket of the main lcore */
	uint64_t samples;           /**< latency samples per variant */
	uint64_t warmup;            /**< warm-up operations per variant */
	unsigned int reps;          /**< throughput repetitions per variant */
	bool quick;
	uint64_t tsc_hz;
	uint64_t timeout_cycles;    /**< bound on any wait for the other lcore */
	struct bench_set *set;      /**< where results go */
};

/** A registered scenario. */
struct bench_scenario {
	const char *name;       /**< "floor" */
	const char *summary;    /**< one line for --help */
	const char *baseline;   /**< scenario run with it (NULL: root baseline) */
	unsigned int order;     /**< run and listing order; baselines first */
	bool plot;              /**< its latency results go into the CDF plot */
	const struct bench_target *targets;
	unsigned int n_targets;
	/**
	 * Measure. @return 0 (results or unavailability recorded), or a
	 * negative errno on failure (a note with the reason should be set).
	 */
	int (*run)(struct bench_ctx *ctx);
};

/* ---- registry (registry.c) ---- */

/**
 * Register a scenario (from a constructor: BENCH_SCENARIO_REGISTER).
 * Aborts on a duplicate name or a full registry: both are build errors.
 * @param sc  scenario with static storage
 */
void bench_scenario_register(const struct bench_scenario *sc);

/** Register `sc` (a static const struct bench_scenario) at load time. */
#define BENCH_SCENARIO_REGISTER(sc) \
	static void __attribute__((constructor, used)) bench_register_##sc(void) \
	{ bench_scenario_register(&(sc)); }

/** @return the number of registered scenarios. */
unsigned int bench_scenario_count(void);

/**
 * @param i  index < bench_scenario_count(), in run order
 * @return the i-th scenario.
 */
const struct bench_scenario *bench_scenario_at(unsigned int i);

/**
 * @param name  scenario name
 * @return the scenario or NULL.
 */
const struct bench_scenario *bench_scenario_find(const char *name);

/**
 * Turn a --scenario list into a selection, adding every baseline that a
 * selected scenario needs (transitively).
 * @param list      comma-separated names, or "all" (NULL means all)
 * @param[out] sel  sel[i] is 1 if scenario i was asked for, 2 if it was
 *                  pulled in as a baseline, 0 if not run
 * @param nsel      entries in sel (>= bench_scenario_count())
 * @param[out] bad  on -ENOENT, the unknown name (may be NULL)
 * @param badlen    size of bad
 * @return 0, -ENOENT (unknown name), -EINVAL (empty list or entry).
 */
int bench_scenario_select(const char *list, unsigned char *sel, unsigned int nsel,
			  char *bad, size_t badlen);

/* ---- results (result.c) ---- */

/**
 * Allocate an empty result set.
 * @param tsc_hz  TSC rate used to convert cycles to ns
 * @return the set, or NULL with errno = ENOMEM.
 */
struct bench_set *bench_set_alloc(uint64_t tsc_hz);

/**
 * Free a set and every histogram in it.
 * @param set  set or NULL
 */
void bench_set_free(struct bench_set *set);

/**
 * Add a latency result with an empty histogram.
 * @param set, scenario, variant  where and what
 * @param baseline        "scenario/variant" or "" (root)
 * @param unit            what one operation is ("round trip")
 * @param ops_per_sample  operations timed together per sample (>= 1)
 * @return the result, or NULL with errno = EINVAL (name too long,
 *         ops_per_sample 0), EEXIST (same scenario/variant), ENOSPC (set
 *         full), ENOMEM.
 */
struct bench_result *bench_set_add_latency(struct bench_set *set,
		const char *scenario, const char *variant, const char *baseline,
		const char *unit, unsigned int ops_per_sample);

/**
 * Add a throughput result with no repetition yet.
 * @param set, scenario, variant, baseline, unit  as bench_set_add_latency()
 * @param ops_per_rep  operations in each repetition
 * @return the result, or NULL with errno = EINVAL, EEXIST, ENOSPC.
 */
struct bench_result *bench_set_add_rate(struct bench_set *set,
		const char *scenario, const char *variant, const char *baseline,
		const char *unit, uint64_t ops_per_rep);

/**
 * Record one repetition of a throughput result.
 * @param res   a BENCH_KIND_RATE result
 * @param rate  operations per second (finite, > 0)
 * @return 0, -EINVAL (not a rate result, or bad rate), -ENOSPC (full).
 */
int bench_result_add_rep(struct bench_result *res, double rate);

/**
 * Drop a result (e.g. a scenario that fails part-way drops what it added).
 * @param set  set
 * @param res  a result of set, or NULL
 */
void bench_set_drop(struct bench_set *set, struct bench_result *res);

/**
 * Note that a scenario produced no results because it is not available
 * here. Printed as "<status>: <why>".
 * @param set       set
 * @param scenario  name
 * @param status    "not yet available" or "skipped"
 * @param fmt       why, printf-style
 */
void bench_set_unavailable(struct bench_set *set, const char *scenario,
			   const char *status, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/**
 * Note that a scenario failed.
 * @param set, scenario  as bench_set_unavailable()
 * @param err  negative errno
 * @param fmt  what failed, printf-style
 */
void bench_set_failed(struct bench_set *set, const char *scenario, int err,
		      const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/**
 * @param set  set
 * @param scenario  name
 * @return the note of a scenario, or NULL.
 */
const struct bench_note *bench_set_note(const struct bench_set *set,
					const char *scenario);

/**
 * Find a result by "scenario/variant"; a variant "*" picks the best one.
 * @param set     set
 * @param ref     reference
 * @param metric  used to choose the best variant for a wildcard
 * @return the result, or NULL.
 */
const struct bench_result *bench_set_find(const struct bench_set *set,
		const char *ref, enum bench_metric metric);

/**
 * A number of a result. Latency metrics are in cycles per operation
 * (sample value / ops_per_sample); BENCH_RATE in operations per second.
 * @param res     result
 * @param metric  which number
 * @param[out] v  the value
 * @return 0, -EINVAL (metric does not apply to the kind), -ENOENT (no data).
 */
int bench_result_metric(const struct bench_result *res, enum bench_metric metric,
			double *v);

/**
 * Ratio of a result to its baseline: metric(res) / metric(baseline). For
 * BENCH_RATE, > 1 means faster than the baseline; for latency, > 1 slower.
 * @param set     set holding the baseline
 * @param res     result
 * @param metric  which number (both must be of res's kind)
 * @param[out] r  the ratio
 * @return 0, -ENOENT (root baseline, or baseline not measured), -EINVAL
 *         (metric does not apply or baseline of another kind), -EDOM
 *         (baseline value is 0).
 */
int bench_result_ratio(const struct bench_set *set, const struct bench_result *res,
		       enum bench_metric metric, double *r);

/**
 * Evaluate a target.
 * @param set  results
 * @param t    target
 * @param[out] out  status, value compared and, if n.a., why
 */
void bench_target_eval(const struct bench_set *set, const struct bench_target *t,
		       struct bench_target_outcome *out);

/** @return "MET", "MISSED" or "n.a.". */
const char *bench_target_status_str(enum bench_target_status s);

/** @return "p50", "p99.9", "rate", ... */
const char *bench_metric_name(enum bench_metric m);

/**
 * Cycles to nanoseconds at the set's TSC rate.
 * @param set     set
 * @param cycles  cycles
 * @return ns.
 */
double bench_set_ns(const struct bench_set *set, double cycles);

/* ---- timing (tsc.c) ---- */

/** Read the TSC, ordered after every earlier instruction. */
static inline uint64_t
bench_tsc_begin(void)
{
#if defined(__x86_64__) || defined(__i386__)
	uint32_t lo, hi;

	__asm__ volatile("lfence\n\trdtsc\n\tlfence" : "=a"(lo), "=d"(hi) : : "memory");
	return ((uint64_t)hi << 32) | lo;
#else
	uint64_t t;

	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	t = rte_rdtsc();
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return t;
#endif
}

/** Read the TSC at the end of a timed region (same fences). */
static inline uint64_t
bench_tsc_end(void)
{
	return bench_tsc_begin();
}

/**
 * Cross-check rte_get_tsc_hz() against CLOCK_MONOTONIC_RAW and measure the
 * cost of an empty bench_tsc_begin()/bench_tsc_end() pair; fills the tsc_*
 * fields, calib_ms and timer_overhead of c.
 * @param c   conditions
 * @param ms  cross-check interval
 * @return 0, -EIO (the clock could not be read or the TSC did not advance).
 */
int bench_tsc_calibrate(struct bench_conditions *c, unsigned int ms);

/* ---- conditions (cond.c) ---- */

/**
 * Fill the machine facts of c (CPU, lcores' CPUs and topology, memory,
 * DPDK, kernel, date, governor, load). Needs EAL initialised.
 * @param c  conditions (main_lcore/worker_lcore already set)
 */
void bench_conditions_collect(struct bench_conditions *c);

/* ---- two-lcore harness (pair.c) ---- */

/**
 * Run fn(arg) on the worker lcore.
 * @param ctx  context
 * @param fn   worker body; its return value comes back from bench_worker_wait()
 * @param arg  its argument
 * @return 0, -EBUSY (worker not idle).
 */
int bench_worker_start(struct bench_ctx *ctx, int (*fn)(void *), void *arg);

/**
 * Wait for the worker body to return.
 * @param ctx  context
 * @return the body's return value.
 */
int bench_worker_wait(struct bench_ctx *ctx);

/**
 * Memory shared by the two lcores: hugepage memory from rte_zmalloc on the
 * main lcore's socket when possible, else ordinary aligned memory.
 * @param size   bytes
 * @param align  power of two >= 64
 * @return zeroed memory, or NULL.
 */
void *bench_shared_alloc(size_t size, size_t align);

/**
 * Free memory from bench_shared_alloc().
 * @param p  pointer or NULL
 */
void bench_shared_free(void *p);

/**
 * One timed operation of bench_latency_loop().
 * @param arg  the loop's argument
 * @return 0, or a negative errno that stops the loop.
 */
typedef int (*bench_op_fn)(void *arg);

/**
 * Warm up with ctx->warmup calls of op, then record ctx->samples calls, each
 * timed with bench_tsc_begin()/bench_tsc_end(), into res's histogram.
 * @param ctx  context
 * @param res  latency result
 * @param op   operation
 * @param arg  its argument
 * @return 0 or op's first error.
 */
int bench_latency_loop(struct bench_ctx *ctx, struct bench_result *res,
		       bench_op_fn op, void *arg);

/* ---- outputs (report_*.c, plot.c) ---- */

/** What the reports need besides the results. */
struct bench_report {
	const struct bench_conditions *cond;
	const struct bench_set *set;
	/** scenarios that ran, in order (for targets and not-measured lines) */
	const struct bench_scenario *const *scenarios;
	unsigned int n_scenarios;
};

/**
 * Print the human summary (conditions, tables, ratios, targets).
 * @param f  stream
 * @param r  report
 */
void bench_report_text(FILE *f, const struct bench_report *r);

/**
 * Write the JSON document.
 * @param path  file
 * @param r     report
 * @return 0 or a negative errno from the file system.
 */
int bench_report_json(const char *path, const struct bench_report *r);

/**
 * Write the CSV table, one row per scenario/variant.
 * @param path  file
 * @param r     report
 * @return 0 or a negative errno from the file system.
 */
int bench_report_csv(const char *path, const struct bench_report *r);

/**
 * Draw the latency CDF of the plotted scenarios with gnuplot.
 * @param path  output, ending in .svg or .png
 * @param r     report
 * @return 0, -ENOENT (gnuplot is not installed: the caller says so and goes
 *         on), -EINVAL (bad extension), -ENODATA (nothing to plot), -EIO
 *         (gnuplot failed), or another negative errno from the file system.
 */
int bench_plot(const char *path, const struct bench_report *r);

/**
 * @param path  file name
 * @return 1 for ".svg", 2 for ".png" (case-insensitive), 0 otherwise.
 */
int bench_plot_format(const char *path);

#endif /* BENCH_H */
