/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * uiommu-bench: invalidation-latency and throughput benchmark.
 *
 * Flow: parse the benchmark's own options (everything after "--") before
 * EAL starts, so that usage errors and --help/--list cost nothing; start EAL
 * with the arguments before "--", adding --no-huge when the machine has no
 * free hugepage (and the user did not ask for hugepage memory explicitly);
 * take the main lcore and the first worker lcore of the EAL core list;
 * calibrate the TSC; run the selected scenarios (plus the baselines they are
 * compared with) in registry order; print the summary and write the
 * requested files.
 *
 * Every figure is a ratio against a baseline measured in the same run on
 * the same two cores (design §7): absolute numbers on a shared, often
 * virtual machine move from run to run, ratios much less.
 */
#include <errno.h>
#include <getopt.h>
#include <glob.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_launch.h>
#include <rte_lcore.h>

#include "bench.h"

#ifndef UIOMMU_BENCH_VERSION
#define UIOMMU_BENCH_VERSION "unknown"
#endif

/* Arguments added to EAL's at most (the --no-huge fallback). */
#define EXTRA_EAL_ARGS 2

struct options {
	const char *scenarios;	/* NULL: all */
	const char *json, *csv, *plot;
	uint64_t samples, warmup;
	unsigned int reps;
	bool samples_set, warmup_set, reps_set;
	bool quick, list;
};

static void
usage(FILE *f, const char *prog)
{
	fprintf(f,
"Usage: %s [EAL options] -- [options]\n"
"\n"
"Measures invalidation latency and throughput of uiommu against baselines\n"
"measured in the same run on the same two cores, and reports every figure\n"
"as a ratio to its baseline plus absolute ns and cycles (p50, p90, p99,\n"
"p99.9, max, mean) with the run's conditions.\n"
"\n"
"EAL options are DPDK's. Two lcores are used: the main lcore and the first\n"
"worker of the core list (-l 0-1); further lcores stay idle. Without a free\n"
"hugepage, --no-huge is added unless --socket-mem was given; with --no-huge,\n"
"--in-memory is passed to EAL as --no-shconf (DPDK refuses the pair).\n"
"A typical line: %s -l 0-1 --no-pci --in-memory --no-telemetry -- --json out.json\n"
"\n"
"Options (after --):\n"
"  -s, --scenario NAME[,NAME...]  scenarios to run (default: all); the\n"
"                         baselines they are compared with run too\n"
"  -n, --samples N        latency samples per variant (default %u; --quick %u);\n"
"                         a throughput repetition moves 4*N elements (at\n"
"                         least 64 bursts, a whole number of bursts)\n"
"  -w, --warmup N         untimed operations before each latency variant\n"
"                         (default %u; --quick %u)\n"
"      --reps N           timed repetitions per throughput variant, after one\n"
"                         untimed (default %u; --quick %u; at most %u)\n"
"      --json FILE        write one JSON object: conditions, results, targets\n"
"      --csv FILE         write one CSV row per scenario/variant\n"
"      --plot FILE        latency CDF of floor, trap and poll via gnuplot;\n"
"                         FILE must end in .svg or .png (skipped, with a\n"
"                         message, if gnuplot is not installed)\n"
"  -q, --quick            smoke-test sizes (and a %u ms TSC cross-check\n"
"                         instead of %u ms); numbers are not meaningful\n"
"      --list             list the scenarios and exit\n"
"  -h, --help             this text\n"
"\n"
"Scenarios:\n", prog, prog,
		BENCH_DEFAULT_SAMPLES, BENCH_QUICK_SAMPLES, BENCH_DEFAULT_WARMUP,
		BENCH_QUICK_WARMUP, BENCH_DEFAULT_REPS, BENCH_QUICK_REPS, BENCH_MAX_REPS,
		BENCH_QUICK_CALIB_MS, BENCH_CALIB_MS);
	for (unsigned int i = 0; i < bench_scenario_count(); i++) {
		const struct bench_scenario *sc = bench_scenario_at(i);

		fprintf(f, "  %-10s %s\n", sc->name, sc->summary);
	}
	fprintf(f,
"Scenarios that cannot run here say \"not yet available: <why>\" or\n"
"\"skipped: <why>\"; they count neither as results nor as failures.\n"
"\n"
"Exit status:\n"
"  0  every selected scenario ran, or reported itself not available\n"
"  1  a scenario failed (the others are still reported and written)\n"
"  2  usage error: bad option or value, unknown scenario, bad EAL arguments\n"
"  3  environment: EAL did not start, fewer than two lcores, no memory,\n"
"     TSC not calibrated\n"
"  4  --json, --csv or --plot could not be written (1 wins over 4)\n");
}

static void
list_scenarios(void)
{
	for (unsigned int i = 0; i < bench_scenario_count(); i++) {
		const struct bench_scenario *sc = bench_scenario_at(i);

		printf("%s\t%s\t%s\n", sc->name, sc->baseline ? sc->baseline : "-",
		       sc->summary);
	}
}

static int
parse_u64(const char *s, uint64_t lo, uint64_t hi, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (s == NULL || *s == '\0' || *s == '-')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < lo || v > hi)
		return -EINVAL;
	*out = v;
	return 0;
}

enum { OPT_JSON = 256, OPT_CSV, OPT_PLOT, OPT_REPS, OPT_LIST };

static int
parse_options(int argc, char **argv, struct options *o)
{
	static const struct option longopts[] = {
		{ "scenario", required_argument, NULL, 's' },
		{ "samples", required_argument, NULL, 'n' },
		{ "warmup", required_argument, NULL, 'w' },
		{ "reps", required_argument, NULL, OPT_REPS },
		{ "json", required_argument, NULL, OPT_JSON },
		{ "csv", required_argument, NULL, OPT_CSV },
		{ "plot", required_argument, NULL, OPT_PLOT },
		{ "quick", no_argument, NULL, 'q' },
		{ "list", no_argument, NULL, OPT_LIST },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	uint64_t v;
	int c;

	optind = 1;
	opterr = 1;
	while ((c = getopt_long(argc, argv, "s:n:w:qh", longopts, NULL)) != -1) {
		switch (c) {
		case 's':
			o->scenarios = optarg;
			break;
		case 'n':
			if (parse_u64(optarg, 1, BENCH_MAX_SAMPLES, &o->samples) != 0) {
				fprintf(stderr, "uiommu-bench: --samples needs 1..%u\n",
					BENCH_MAX_SAMPLES);
				return -EINVAL;
			}
			o->samples_set = true;
			break;
		case 'w':
			if (parse_u64(optarg, 0, BENCH_MAX_SAMPLES, &o->warmup) != 0) {
				fprintf(stderr, "uiommu-bench: --warmup needs 0..%u\n",
					BENCH_MAX_SAMPLES);
				return -EINVAL;
			}
			o->warmup_set = true;
			break;
		case OPT_REPS:
			if (parse_u64(optarg, 1, BENCH_MAX_REPS, &v) != 0) {
				fprintf(stderr, "uiommu-bench: --reps needs 1..%u\n",
					BENCH_MAX_REPS);
				return -EINVAL;
			}
			o->reps = (unsigned int)v;
			o->reps_set = true;
			break;
		case OPT_JSON:
			o->json = optarg;
			break;
		case OPT_CSV:
			o->csv = optarg;
			break;
		case OPT_PLOT:
			if (bench_plot_format(optarg) == 0) {
				fprintf(stderr, "uiommu-bench: --plot FILE must end in .svg or .png\n");
				return -EINVAL;
			}
			o->plot = optarg;
			break;
		case 'q':
			o->quick = true;
			break;
		case OPT_LIST:
			o->list = true;
			break;
		case 'h':
			return 1;
		default:
			return -EINVAL;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "uiommu-bench: unexpected argument '%s'\n", argv[optind]);
		return -EINVAL;
	}
	if (!o->samples_set)
		o->samples = o->quick ? BENCH_QUICK_SAMPLES : BENCH_DEFAULT_SAMPLES;
	if (!o->warmup_set)
		o->warmup = o->quick ? BENCH_QUICK_WARMUP : BENCH_DEFAULT_WARMUP;
	if (!o->reps_set)
		o->reps = o->quick ? BENCH_QUICK_REPS : BENCH_DEFAULT_REPS;
	return 0;
}

static unsigned long
free_hugepages(void)
{
	unsigned long total = 0;
	glob_t g;

	if (glob("/sys/kernel/mm/hugepages/hugepages-*/free_hugepages", 0, NULL, &g) != 0)
		return 0;
	for (size_t i = 0; i < g.gl_pathc; i++) {
		FILE *f = fopen(g.gl_pathv[i], "r");
		unsigned long n = 0;

		if (f == NULL)
			continue;
		if (fscanf(f, "%lu", &n) == 1)
			total += n;
		fclose(f);
	}
	globfree(&g);
	return total;
}

static bool
has_arg(int argc, char **argv, const char *name)
{
	size_t n = strlen(name);

	for (int i = 1; i < argc; i++)
		if (strncmp(argv[i], name, n) == 0 &&
		    (argv[i][n] == '\0' || argv[i][n] == '='))
			return true;
	return false;
}

static void
join_args(char *buf, size_t len, int argc, char **argv)
{
	size_t off = 0;

	buf[0] = '\0';
	for (int i = 0; i < argc && off < len; i++) {
		bool quote = strpbrk(argv[i], " \t\"'") != NULL || argv[i][0] == '\0';
		int n = snprintf(buf + off, len - off, quote ? "%s'%s'" : "%s%s",
				 i ? " " : "", argv[i]);

		if (n < 0)
			break;
		off += (size_t)n;
	}
}

/* Run the selected scenarios; returns how many failed. */
static unsigned int
run_scenarios(struct bench_ctx *ctx, const unsigned char *sel,
	      const struct bench_scenario **ran, unsigned int *n_ran)
{
	unsigned int failed = 0;

	*n_ran = 0;
	for (unsigned int i = 0; i < bench_scenario_count(); i++) {
		const struct bench_scenario *sc = bench_scenario_at(i);
		unsigned int before = ctx->set->n_res, notes = ctx->set->n_notes;
		int rc;

		if (sel[i] == 0)
			continue;
		ran[(*n_ran)++] = sc;
		fprintf(stderr, "uiommu-bench: running %s%s\n", sc->name,
			sel[i] == 2 ? " (baseline of a selected scenario)" : "");
		rc = sc->run(ctx);
		/* A scenario must leave the worker idle; make sure it is. */
		if (rte_eal_get_lcore_state(ctx->worker_lcore) != WAIT)
			rte_eal_wait_lcore(ctx->worker_lcore);
		if (rc < 0) {
			failed++;
			if (ctx->set->n_notes == notes)
				bench_set_failed(ctx->set, sc->name, rc, "run failed");
			fprintf(stderr, "uiommu-bench: %s failed: %s\n", sc->name,
				strerror(-rc));
		} else if (ctx->set->n_res == before && ctx->set->n_notes == notes) {
			failed++;
			bench_set_failed(ctx->set, sc->name, -EPROTO,
					 "produced neither a result nor a reason");
		}
	}
	return failed;
}

static int
write_outputs(const struct options *o, const struct bench_report *rep)
{
	int status = BENCH_EXIT_OK, rc;

	if (o->json != NULL && (rc = bench_report_json(o->json, rep)) != 0) {
		fprintf(stderr, "uiommu-bench: cannot write %s: %s\n", o->json, strerror(-rc));
		status = BENCH_EXIT_OUTPUT;
	}
	if (o->csv != NULL && (rc = bench_report_csv(o->csv, rep)) != 0) {
		fprintf(stderr, "uiommu-bench: cannot write %s: %s\n", o->csv, strerror(-rc));
		status = BENCH_EXIT_OUTPUT;
	}
	if (o->plot == NULL)
		return status;
	rc = bench_plot(o->plot, rep);
	if (rc == -ENOENT) {
		fprintf(stderr, "uiommu-bench: gnuplot is not installed (Debian: gnuplot-nox); "
			"plot %s skipped\n", o->plot);
	} else if (rc == -ENODATA) {
		fprintf(stderr, "uiommu-bench: no floor, trap or poll latency was measured; "
			"plot %s skipped\n", o->plot);
	} else if (rc != 0) {
		fprintf(stderr, "uiommu-bench: cannot draw %s: %s\n", o->plot, strerror(-rc));
		status = BENCH_EXIT_OUTPUT;
	} else {
		fprintf(stderr, "uiommu-bench: wrote %s\n", o->plot);
	}
	return status;
}

int
main(int argc, char **argv)
{
	const struct bench_scenario *ran[BENCH_MAX_SCENARIOS];
	unsigned char sel[BENCH_MAX_SCENARIOS];
	char *eal_argv[argc + EXTRA_EAL_ARGS + 1];
	struct bench_conditions cond;
	struct options opt = { 0 };
	struct bench_report rep;
	struct bench_ctx ctx;
	char bad[64] = "";
	int eal_argc = 0, app_argc, dashes = argc, rc, status;
	unsigned int n_ran, failed;
	bool no_huge;
	char **app_argv;
	char *no_app_args[2] = { argv[0], NULL };

	memset(&cond, 0, sizeof(cond));
	snprintf(cond.tool_version, sizeof(cond.tool_version), "%s", UIOMMU_BENCH_VERSION);
	join_args(cond.command_line, sizeof(cond.command_line), argc, argv);

	/* Split at "--": EAL's arguments before, ours after. */
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0) {
			dashes = i;
			break;
		}
	}
	for (int i = 1; i < dashes; i++) {
		if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
			usage(stdout, argv[0]);
			return BENCH_EXIT_OK;
		}
	}
	/* getopt needs a program name in app_argv[0]: reuse the "--" slot. */
	if (dashes < argc) {
		app_argv = &argv[dashes];
		app_argc = argc - dashes;
		app_argv[0] = argv[0];
	} else {
		app_argv = no_app_args;
		app_argc = 1;
	}
	rc = parse_options(app_argc, app_argv, &opt);
	if (rc == 1) {
		usage(stdout, argv[0]);
		return BENCH_EXIT_OK;
	}
	if (rc != 0) {
		fprintf(stderr, "Try '%s -- --help'.\n", argv[0]);
		return BENCH_EXIT_USAGE;
	}
	if (opt.list) {
		list_scenarios();
		return BENCH_EXIT_OK;
	}
	rc = bench_scenario_select(opt.scenarios, sel, sizeof(sel), bad, sizeof(bad));
	if (rc != 0) {
		if (rc == -ENOENT)
			fprintf(stderr, "uiommu-bench: unknown scenario '%s' (see --list)\n", bad);
		else
			fprintf(stderr, "uiommu-bench: empty --scenario list\n");
		return BENCH_EXIT_USAGE;
	}

	/*
	 * EAL arguments, with the --no-huge fallback. DPDK treats --no-huge
	 * as legacy memory, which it refuses together with --in-memory; with
	 * --no-huge, --in-memory's other effect (no shared runtime files) is
	 * --no-shconf, so that is what it becomes.
	 */
	no_huge = has_arg(dashes, argv, "--no-huge");
	if (!no_huge && free_hugepages() == 0 && !has_arg(dashes, argv, "--socket-mem")) {
		no_huge = true;
		cond.no_huge_fallback = true;
		fprintf(stderr, "uiommu-bench: no free hugepage: adding --no-huge\n");
	}
	for (int i = 0; i < dashes; i++) {
		if (no_huge && strcmp(argv[i], "--in-memory") == 0) {
			eal_argv[eal_argc++] = (char *)"--no-shconf";
			snprintf(cond.eal_adjust, sizeof(cond.eal_adjust),
				 "--in-memory replaced by --no-shconf (DPDK refuses it with --no-huge)");
			fprintf(stderr, "uiommu-bench: %s\n", cond.eal_adjust);
			continue;
		}
		eal_argv[eal_argc++] = argv[i];
	}
	if (cond.no_huge_fallback)
		eal_argv[eal_argc++] = (char *)"--no-huge";
	eal_argv[eal_argc] = NULL;
	rc = rte_eal_init(eal_argc, eal_argv);
	if (rc < 0) {
		fprintf(stderr, "uiommu-bench: EAL did not start: %s\n",
			rte_strerror(rte_errno));
		if (rte_errno == EINVAL) {
			fprintf(stderr, "(uiommu-bench's own options go after '--'; "
				"try '%s -- --help')\n", argv[0]);
			return BENCH_EXIT_USAGE;
		}
		return BENCH_EXIT_ENV;
	}

	memset(&ctx, 0, sizeof(ctx));
	ctx.main_lcore = rte_get_main_lcore();
	ctx.worker_lcore = rte_get_next_lcore(-1, 1, 0);
	if (ctx.worker_lcore >= RTE_MAX_LCORE) {
		fprintf(stderr, "uiommu-bench: needs two lcores (main + one worker), "
			"e.g. -l 0-1\n");
		rte_eal_cleanup();
		return BENCH_EXIT_ENV;
	}
	cond.main_lcore = ctx.main_lcore;
	cond.worker_lcore = ctx.worker_lcore;
	cond.samples = opt.samples;
	cond.warmup = opt.warmup;
	cond.reps = opt.reps;
	cond.quick = opt.quick;
	bench_conditions_collect(&cond);
	if (bench_tsc_calibrate(&cond, opt.quick ? BENCH_QUICK_CALIB_MS : BENCH_CALIB_MS) != 0 ||
	    cond.tsc_hz == 0) {
		fprintf(stderr, "uiommu-bench: the TSC could not be calibrated\n");
		rte_eal_cleanup();
		return BENCH_EXIT_ENV;
	}
	if (fabs(cond.tsc_dev_ppm) > BENCH_TSC_WARN_PPM)
		fprintf(stderr, "uiommu-bench: warning: EAL's TSC rate %llu Hz and the "
			"measured %.0f Hz differ by %.0f ppm; ns use the measured rate\n",
			(unsigned long long)cond.tsc_hz_eal, cond.tsc_hz_measured,
			cond.tsc_dev_ppm);

	ctx.socket = (int)rte_socket_id();
	ctx.samples = opt.samples;
	ctx.warmup = opt.warmup;
	ctx.reps = opt.reps;
	ctx.quick = opt.quick;
	ctx.tsc_hz = cond.tsc_hz;
	ctx.timeout_cycles = BENCH_TIMEOUT_S * cond.tsc_hz;
	ctx.set = bench_set_alloc(cond.tsc_hz);
	if (ctx.set == NULL) {
		fprintf(stderr, "uiommu-bench: out of memory\n");
		rte_eal_cleanup();
		return BENCH_EXIT_ENV;
	}

	failed = run_scenarios(&ctx, sel, ran, &n_ran);

	rep = (struct bench_report){ .cond = &cond, .set = ctx.set,
				     .scenarios = ran, .n_scenarios = n_ran };
	bench_report_text(stdout, &rep);
	fflush(stdout);
	status = write_outputs(&opt, &rep);
	if (failed > 0)
		status = BENCH_EXIT_FAILED;

	bench_set_free(ctx.set);
	rte_eal_cleanup();
	return status;
}
