/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Latency CDF plot through gnuplot.
 *
 * The plotted series are the latency results of scenarios registered with
 * `plot = true` (floor, trap, and poll once it exists). For each series a
 * data file holds one point per non-empty histogram bucket: x = the bucket's
 * upper bound in ns per operation (clamped to the maximum, as percentiles
 * are), y = the fraction of samples at or below it. The data files and a
 * gnuplot script go to a fresh directory under $TMPDIR (or /tmp); gnuplot is
 * started with posix_spawnp (no shell, so no quoting of user paths beyond
 * gnuplot's own single-quoted strings), and the directory is removed after.
 * The terminal follows the output's extension: svg, or pngcairo falling
 * back to the libgd png terminal where cairo is not built in.
 *
 * A missing gnuplot is not an error of the run: -ENOENT tells the caller to
 * say so and skip the plot.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"

extern char **environ;

/* Series drawn at most; more would not be readable. */
#define PLOT_MAX_SERIES 12

int
bench_plot_format(const char *path)
{
	size_t n = strlen(path);

	if (n > 4 && strcasecmp(path + n - 4, ".svg") == 0)
		return 1;
	if (n > 4 && strcasecmp(path + n - 4, ".png") == 0)
		return 2;
	return 0;
}

static bool
in_plot(const struct bench_report *rep, const char *scenario)
{
	for (unsigned int s = 0; s < rep->n_scenarios; s++)
		if (rep->scenarios[s]->plot &&
		    strcmp(rep->scenarios[s]->name, scenario) == 0)
			return true;
	return false;
}

/* A gnuplot single-quoted string: '' stands for one quote. */
static void
put_quoted(FILE *f, const char *s)
{
	fputc('\'', f);
	for (; *s != '\0'; s++) {
		if (*s == '\'')
			fputc('\'', f);
		fputc(*s, f);
	}
	fputc('\'', f);
}

static int
write_series(const char *path, const struct bench_set *set,
	     const struct bench_result *res)
{
	const struct bench_hist *h = res->hist;
	FILE *f = fopen(path, "w");
	uint64_t seen = 0;
	int rc = 0;

	if (f == NULL)
		return -errno;
	fprintf(f, "# %s/%s: ns per %s, cumulative fraction\n", res->scenario,
		res->variant, res->unit);
	for (unsigned int i = bench_hist_next(h, 0); i < BENCH_HIST_BUCKETS;
	     i = bench_hist_next(h, i + 1)) {
		uint64_t x = bench_hist_bucket_high(i);

		if (x > h->max)
			x = h->max;
		seen += h->counts[i];
		fprintf(f, "%.3f %.9f\n",
			bench_set_ns(set, (double)x / res->ops_per_sample),
			(double)seen / (double)h->count);
	}
	if (fflush(f) != 0 || ferror(f))
		rc = -EIO;
	if (fclose(f) != 0 && rc == 0)
		rc = -EIO;
	return rc;
}

static int
write_script(const char *script, const char *out, int fmt,
	     char data[][PATH_MAX], const struct bench_result *const *series,
	     unsigned int n, const struct bench_report *rep)
{
	FILE *f = fopen(script, "w");
	char title[512];
	int rc = 0;

	if (f == NULL)
		return -errno;
	if (fmt == 1) {
		fputs("set terminal svg size 1000,650 dynamic enhanced font 'sans,12'\n", f);
	} else {
		fputs("if (strstrt(GPVAL_TERMINALS, 'pngcairo') > 0) {\n"
		      "  set terminal pngcairo size 1000,650 enhanced font 'sans,11'\n"
		      "} else {\n"
		      "  set terminal png size 1000,650\n"
		      "}\n", f);
	}
	fputs("set output ", f);
	put_quoted(f, out);
	fputc('\n', f);
	snprintf(title, sizeof(title), "uiommu-bench round-trip latency CDF: %s, %s, %s",
		 rep->cond->cpu_model, rep->cond->hugepages ? "hugepages" : "no hugepages",
		 rep->cond->date);
	fputs("set title ", f);
	put_quoted(f, title);
	fputs(" noenhanced\n"
	      "set xlabel 'latency per operation (ns, log scale; k = 10^3, M = 10^6)'\n"
	      "set ylabel 'fraction of samples <= x'\n"
	      "set logscale x 10\n"
	      "set format x '%.0s%c'\n"
	      "set yrange [0:1]\n"
	      "set grid xtics ytics mxtics\n"
	      "set key right bottom noenhanced\n"
	      "plot ", f);
	for (unsigned int i = 0; i < n; i++) {
		char name[BENCH_REF_MAX];

		snprintf(name, sizeof(name), "%s/%s", series[i]->scenario,
			 series[i]->variant);
		if (i > 0)
			fputs(", \\\n     ", f);
		put_quoted(f, data[i]);
		fputs(" using 1:2 with steps linewidth 2 title ", f);
		put_quoted(f, name);
	}
	fputc('\n', f);
	if (fflush(f) != 0 || ferror(f))
		rc = -EIO;
	if (fclose(f) != 0 && rc == 0)
		rc = -EIO;
	return rc;
}

static int
run_gnuplot(const char *script)
{
	char *argv[] = { (char *)"gnuplot", (char *)script, NULL };
	posix_spawn_file_actions_t fa;
	pid_t pid;
	int st, rc;

	if (posix_spawn_file_actions_init(&fa) != 0)
		return -ENOMEM;
	/* gnuplot's stdout is not ours to fill: the summary goes there. */
	posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
	rc = posix_spawnp(&pid, "gnuplot", &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (rc != 0)
		return rc == ENOENT ? -ENOENT : -rc;
	while (waitpid(pid, &st, 0) < 0) {
		if (errno != EINTR)
			return -errno;
	}
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -EIO;
}

int
bench_plot(const char *path, const struct bench_report *rep)
{
	const struct bench_result *series[PLOT_MAX_SERIES];
	char data[PLOT_MAX_SERIES][PATH_MAX];
	char dir[PATH_MAX], script[PATH_MAX];
	const char *tmp = getenv("TMPDIR");
	int fmt = bench_plot_format(path);
	unsigned int n = 0, written = 0;
	bool script_written = false;
	int rc = 0;

	if (fmt == 0)
		return -EINVAL;
	for (unsigned int i = 0; i < rep->set->n_res && n < PLOT_MAX_SERIES; i++) {
		const struct bench_result *res = &rep->set->res[i];

		if (res->kind == BENCH_KIND_LATENCY && res->hist->count > 0 &&
		    in_plot(rep, res->scenario))
			series[n++] = res;
	}
	if (n == 0)
		return -ENODATA;
	if (tmp == NULL || tmp[0] == '\0')
		tmp = "/tmp";
	if ((size_t)snprintf(dir, sizeof(dir), "%s/uiommu-bench-XXXXXX", tmp) >= sizeof(dir))
		return -ENAMETOOLONG;
	if (mkdtemp(dir) == NULL)
		return -errno;
	for (; written < n; written++) {
		if ((size_t)snprintf(data[written], sizeof(data[written]), "%s/series%u.dat",
				     dir, written) >= sizeof(data[written])) {
			rc = -ENAMETOOLONG;
			goto out_files;
		}
		rc = write_series(data[written], rep->set, series[written]);
		if (rc != 0) {
			written++;
			goto out_files;
		}
	}
	if ((size_t)snprintf(script, sizeof(script), "%s/cdf.gp", dir) >= sizeof(script)) {
		rc = -ENAMETOOLONG;
		goto out_files;
	}
	script_written = true;
	rc = write_script(script, path, fmt, data, series, n, rep);
	if (rc == 0)
		rc = run_gnuplot(script);
out_files:
	if (script_written)
		unlink(script);
	for (unsigned int i = 0; i < written; i++)
		unlink(data[i]);
	rmdir(dir);
	return rc;
}
