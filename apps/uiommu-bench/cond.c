/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Run conditions: the facts a reader needs to judge a figure.
 *
 * These machines are shared and often virtual, so every report carries the
 * CPU model, whether a hypervisor is present, which CPUs the two lcores
 * landed on and whether they are SMT siblings or in different packages,
 * hugepages or not, DPDK and kernel versions, the cpufreq governor, the load
 * average at start and the date. Everything is read from /proc and /sys; a
 * fact that cannot be read is reported as unknown, never guessed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_lcore.h>
#include <rte_version.h>

#include "bench.h"

static void
chomp(char *s)
{
	size_t n = strlen(s);

	while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == ' ' || s[n - 1] == '\t'))
		s[--n] = '\0';
}

/* First line of a small file, or "" if it cannot be read. */
static void
read_line(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");

	buf[0] = '\0';
	if (f == NULL)
		return;
	if (fgets(buf, (int)len, f) == NULL)
		buf[0] = '\0';
	fclose(f);
	chomp(buf);
}

/* An integer from /sys/devices/system/cpu/cpu<cpu>/topology/<name>, or -1. */
static int
read_topo(int cpu, const char *name)
{
	char path[128], buf[64];

	if (cpu < 0)
		return -1;
	snprintf(path, sizeof(path), "/sys/devices/system/cpu/cpu%d/topology/%s",
		 cpu, name);
	read_line(path, buf, sizeof(buf));
	return buf[0] != '\0' ? atoi(buf) : -1;
}

static bool
has_flag(const char *flags, const char *flag)
{
	size_t n = strlen(flag);

	for (const char *p = strstr(flags, flag); p != NULL; p = strstr(p + 1, flag))
		if ((p == flags || p[-1] == ' ' || p[-1] == '\t') &&
		    (p[n] == ' ' || p[n] == '\n' || p[n] == '\0'))
			return true;
	return false;
}

static void
cpuinfo(struct bench_conditions *c)
{
	char line[4096];
	FILE *f = fopen("/proc/cpuinfo", "r");
	bool flags_seen = false;

	snprintf(c->cpu_model, sizeof(c->cpu_model), "unknown");
	if (f == NULL)
		return;
	while (fgets(line, sizeof(line), f) != NULL) {
		char *colon = strchr(line, ':');
		const char *val;

		if (colon == NULL)
			continue;
		val = colon + 1;
		while (*val == ' ')
			val++;
		if (strncmp(line, "model name", 10) == 0 ||
		    (strncmp(line, "Hardware", 8) == 0 &&
		     strcmp(c->cpu_model, "unknown") == 0)) {
			snprintf(c->cpu_model, sizeof(c->cpu_model), "%s", val);
			chomp(c->cpu_model);
		} else if (!flags_seen && strncmp(line, "flags", 5) == 0) {
			flags_seen = true;
			c->hypervisor = has_flag(val, "hypervisor");
			c->invariant_tsc = has_flag(val, "constant_tsc") &&
					   has_flag(val, "nonstop_tsc");
		}
		if (strcmp(c->cpu_model, "unknown") != 0 && flags_seen)
			break;
	}
	fclose(f);
}

static void
topology(struct bench_conditions *c)
{
	char path[128], sib[128];
	const char *p;

	c->main_cpu = (int)rte_lcore_to_cpu_id((int)c->main_lcore);
	c->worker_cpu = (int)rte_lcore_to_cpu_id((int)c->worker_lcore);
	c->main_core_id = read_topo(c->main_cpu, "core_id");
	c->worker_core_id = read_topo(c->worker_cpu, "core_id");
	c->main_pkg = read_topo(c->main_cpu, "physical_package_id");
	c->worker_pkg = read_topo(c->worker_cpu, "physical_package_id");
	c->smt_siblings = -1;
	if (c->main_cpu < 0 || c->worker_cpu < 0)
		return;
	snprintf(path, sizeof(path),
		 "/sys/devices/system/cpu/cpu%d/topology/thread_siblings_list", c->main_cpu);
	read_line(path, sib, sizeof(sib));
	if (sib[0] == '\0')
		return;
	/* The list is "a,b" or "a-b"; look for the worker's number in it. */
	c->smt_siblings = 0;
	for (p = sib; *p != '\0';) {
		char *end;
		long lo = strtol(p, &end, 10), hi = lo;

		if (end == p)
			break;
		if (*end == '-')
			hi = strtol(end + 1, &end, 10);
		if (c->worker_cpu >= lo && c->worker_cpu <= hi)
			c->smt_siblings = 1;
		if (*end != ',')
			break;
		p = end + 1;
	}
}

void
bench_conditions_collect(struct bench_conditions *c)
{
	struct utsname u;
	time_t now = time(NULL);
	struct tm tm;
	double load[1];
	char path[128];

	cpuinfo(c);
	topology(c);
	c->online_cpus = (unsigned int)sysconf(_SC_NPROCESSORS_ONLN);
	c->lcores_given = rte_lcore_count();
	c->hugepages = rte_eal_has_hugepages() != 0;
	snprintf(c->dpdk_version, sizeof(c->dpdk_version), "%s", rte_version());
	if (uname(&u) == 0)
		snprintf(c->kernel, sizeof(c->kernel), "%s %s %s", u.sysname,
			 u.release, u.machine);
	else
		snprintf(c->kernel, sizeof(c->kernel), "unknown");
	if (gmtime_r(&now, &tm) != NULL)
		strftime(c->date, sizeof(c->date), "%Y-%m-%dT%H:%M:%SZ", &tm);
	snprintf(path, sizeof(path),
		 "/sys/devices/system/cpu/cpu%d/cpufreq/scaling_governor",
		 c->main_cpu < 0 ? 0 : c->main_cpu);
	read_line(path, c->governor, sizeof(c->governor));
	c->loadavg1 = getloadavg(load, 1) == 1 ? load[0] : -1.0;
	read_line("/sys/devices/system/clocksource/clocksource0/current_clocksource",
		  c->clocksource, sizeof(c->clocksource));
}
