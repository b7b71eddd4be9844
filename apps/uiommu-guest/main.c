/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * uiommu-guest: a VMM + guest simulator that drives a running uiommu-mgr
 * through the whole stack (control protocol, guest RAM, vIOMMU, stream
 * table, CDs, stage-1 tables in guest RAM, vCMDQs, soft DMA engines) and
 * verifies every byte of every DMA and every fault it provokes.
 *
 *     uiommu-guest --socket PATH [options]
 *
 * Design. This file parses the command line and runs the VMs: one VM in
 * this process, or with --vms N, N child processes (fork), each a separate
 * client of the manager with its own guest RAM, as separate VMMs would be.
 * Every VM writes its result into a slot of a shared anonymous mapping
 * created before the fork; the parent waits for all children, turns a
 * child that died into an error of that VM, merges the slots and prints
 * the summary (report.c). The process is not a DPDK application: it never
 * starts EAL.
 *
 * Exit status: 0 every DMA and every fault verified; 1 a verification
 * failed (a byte, a fault that did not happen or that was not reported,
 * counters that disagree); 2 the run could not be done (manager
 * unreachable, a set-up request refused, a timeout); 3 bad command line.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "guest.h"

#define EXIT_USAGE 3

volatile int g_interrupted;

static const char *const work_names[G_WORK_MAX] = {
	[G_WORK_STRICT] = "strict",
	[G_WORK_LAZY] = "lazy",
	[G_WORK_CHURN] = "churn",
	[G_WORK_MIXED] = "mixed",
	[G_WORK_STALE] = "stale",
};

const char *
gwork_name(enum gwork w)
{
	return w < G_WORK_MAX ? work_names[w] : "?";
}

const char *
gsync_name(enum gsync s)
{
	return s == G_SYNC_MSI ? "msi" : "cons";
}

static void
usage(FILE *f)
{
	fprintf(f,
"Usage: uiommu-guest --socket PATH [options]\n"
"\n"
"Simulate VMs (VMM and guest driver) on a running uiommu-mgr: guest RAM,\n"
"a vIOMMU on the soft backend, soft DMA engines, stage-1 tables in guest\n"
"RAM, vCMDQs; run a DMA workload and verify every byte and every fault.\n"
"\n"
"Options:\n"
"  --socket PATH       the manager's control socket (required)\n"
"  --vms N             VMs, one process each (default 1, max %u)\n"
"  --queues N          vCMDQs per VM, one worker thread each (default 1,\n"
"                      max %u)\n"
"  --devices N         soft DMA engines per VM, spread over the queues\n"
"                      (default: as many as queues; max %u)\n"
"  --buf-size BYTES    DMA buffer size, 1..%u; K and M suffixes\n"
"                      (default 4096); some transfers are shorter\n"
"  --ops N             operations per queue (default 1000)\n"
"  --duration S        run for S seconds instead of --ops\n"
"  --workload W        strict | lazy | churn | mixed | stale (default strict)\n"
"                        strict: map, DMA, unmap, TLBI_NH_VA + CMD_SYNC each\n"
"                        lazy:   unmap a batch, one range TLBI + CMD_SYNC\n"
"                        churn:  CD/STE changes with CFGI_CD/CFGI_STE\n"
"                        mixed:  a random choice of the three per operation\n"
"                        stale:  unmap without TLBI (DMA may still land, as\n"
"                                on hardware), then TLBI: DMA must fault\n"
"  --batch N           buffers per lazy flush (default 16, max %u)\n"
"  --probe-every N     protection probes on 1 in N operations on average\n"
"                      (DMA to unmapped/read-only IOVAs must fault);\n"
"                      0 = never (default 1: every operation)\n"
"  --sync cons|msi     CMD_SYNC completion: poll CONS (default), or\n"
"                      CS=IRQ writing its own slot (Linux MSI polling)\n"
"  --ring-log2 N       vCMDQ entries, log2 (default 8, %u..%u)\n"
"  --ram-mb N          guest RAM per VM in MiB (default 64)\n"
"  --no-huge           guest RAM on an ordinary memfd, not hugetlbfs\n"
"  --seed N            random seed (default: from the clock; printed)\n"
"  --timeout-ms N      longest wait for the manager (default 5000)\n"
"  --name NAME         VM name prefix given in HELLO (default \"guest\")\n"
"  --ready-file PATH   write the VM's layout (ids, vSIDs, IOVAs) as JSON\n"
"                      once set up (PATH.N per VM with --vms > 1)\n"
"  --linger S          keep the VMs alive S seconds after the workload\n"
"                      (for uiommu-ctl); SIGINT/SIGTERM end it\n"
"  --json              print the summary as JSON (stdout)\n"
"  --omit-tlbi         act as a broken driver: strict unmaps without the\n"
"                      TLBI (to show that the checks catch it: the run\n"
"                      must fail with exit status 1)\n"
"  --help              this text\n"
"\n"
"Exit status: 0 all verified; 1 verification failure (the message says\n"
"what mismatched); 2 could not run (manager unreachable, request refused,\n"
"timeout); 3 bad command line. See uiommu-guest(1).\n",
		G_MAX_VMS, G_MAX_QUEUES, G_MAX_DEVICES, UIOMMU_SOFT_DMA_MAX_LEN,
		G_MAX_BATCH, UIOMMU_VCMDQ_MIN_LOG2 + 1, UIOMMU_VCMDQ_MAX_LOG2);
}

static int
bad(const char *opt, const char *val, const char *why)
{
	fprintf(stderr, "uiommu-guest: invalid value '%s' for --%s: %s\n",
		val, opt, why);
	return EXIT_USAGE;
}

static int
parse_u64(const char *s, uint64_t min, uint64_t max, bool suffix,
	  uint64_t *out)
{
	unsigned long long v;
	char *end;

	if (s == NULL || *s == '\0' || *s == '-')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno != 0)
		return -EINVAL;
	if (suffix && (*end == 'k' || *end == 'K')) {
		v <<= 10;
		end++;
	} else if (suffix && (*end == 'm' || *end == 'M')) {
		v <<= 20;
		end++;
	}
	if (*end != '\0' || v < min || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

enum {
	O_SOCKET = 256, O_VMS, O_QUEUES, O_DEVICES, O_BUF, O_OPS, O_DURATION,
	O_WORKLOAD, O_BATCH, O_PROBE, O_SYNC, O_RING, O_RAM, O_NOHUGE,
	O_SEED, O_TIMEOUT, O_NAME, O_READY, O_LINGER, O_JSON, O_OMIT, O_HELP,
};

static const struct option long_opts[] = {
	{ "socket", required_argument, NULL, O_SOCKET },
	{ "vms", required_argument, NULL, O_VMS },
	{ "queues", required_argument, NULL, O_QUEUES },
	{ "devices", required_argument, NULL, O_DEVICES },
	{ "buf-size", required_argument, NULL, O_BUF },
	{ "ops", required_argument, NULL, O_OPS },
	{ "duration", required_argument, NULL, O_DURATION },
	{ "workload", required_argument, NULL, O_WORKLOAD },
	{ "batch", required_argument, NULL, O_BATCH },
	{ "probe-every", required_argument, NULL, O_PROBE },
	{ "sync", required_argument, NULL, O_SYNC },
	{ "ring-log2", required_argument, NULL, O_RING },
	{ "ram-mb", required_argument, NULL, O_RAM },
	{ "no-huge", no_argument, NULL, O_NOHUGE },
	{ "seed", required_argument, NULL, O_SEED },
	{ "timeout-ms", required_argument, NULL, O_TIMEOUT },
	{ "name", required_argument, NULL, O_NAME },
	{ "ready-file", required_argument, NULL, O_READY },
	{ "linger", required_argument, NULL, O_LINGER },
	{ "json", no_argument, NULL, O_JSON },
	{ "omit-tlbi", no_argument, NULL, O_OMIT },
	{ "help", no_argument, NULL, O_HELP },
	{ NULL, 0, NULL, 0 },
};

static int
parse_seconds(const char *s, double max, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno != 0 || end == s || *end != '\0' || !(v > 0) || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

static int
parse_args(int argc, char **argv, struct gopts *o)
{
	bool have_ops = false, have_dur = false, have_dev = false;
	uint64_t v;
	int opt;

	memset(o, 0, sizeof(*o));
	o->name = "guest";
	o->vms = 1;
	o->queues = 1;
	o->buf_size = 4096;
	o->batch = 16;
	o->probe_every = 1;
	o->ring_log2 = 8;
	o->ram_mb = 64;
	o->ops = 1000;
	o->timeout_ms = 5000;
	o->workload = G_WORK_STRICT;
	o->sync = G_SYNC_CONS;
	{
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		o->seed = ((uint64_t)ts.tv_sec * 1000000007ULL) ^
			  (uint64_t)ts.tv_nsec ^ ((uint64_t)getpid() << 20);
	}
	while ((opt = getopt_long(argc, argv, "h", long_opts, NULL)) != -1) {
		switch (opt) {
		case O_SOCKET:
			if (optarg[0] == '\0' || strlen(optarg) >= 108)
				return bad("socket", optarg, "empty or longer "
					   "than a Unix socket path");
			o->socket = optarg;
			break;
		case O_VMS:
			if (parse_u64(optarg, 1, G_MAX_VMS, false, &v))
				return bad("vms", optarg, "1..64");
			o->vms = (unsigned int)v;
			break;
		case O_QUEUES:
			if (parse_u64(optarg, 1, G_MAX_QUEUES, false, &v))
				return bad("queues", optarg, "1..16");
			o->queues = (unsigned int)v;
			break;
		case O_DEVICES:
			if (parse_u64(optarg, 1, G_MAX_DEVICES, false, &v))
				return bad("devices", optarg, "1..63");
			o->devices = (unsigned int)v;
			have_dev = true;
			break;
		case O_BUF:
			if (parse_u64(optarg, 1, UIOMMU_SOFT_DMA_MAX_LEN, true, &v))
				return bad("buf-size", optarg, "1..1M bytes");
			o->buf_size = (unsigned int)v;
			break;
		case O_OPS:
			if (parse_u64(optarg, 1, UINT64_MAX / 2, false, &v))
				return bad("ops", optarg, "a positive count");
			o->ops = v;
			have_ops = true;
			break;
		case O_DURATION:
			if (parse_seconds(optarg, 86400, &o->duration_s))
				return bad("duration", optarg,
					   "seconds, > 0 and <= 86400");
			have_dur = true;
			break;
		case O_WORKLOAD: {
			int k;

			for (k = 0; k < G_WORK_MAX; k++)
				if (strcmp(optarg, work_names[k]) == 0)
					break;
			if (k == G_WORK_MAX)
				return bad("workload", optarg, "strict, lazy, "
					   "churn, mixed or stale");
			o->workload = (enum gwork)k;
			break;
		}
		case O_BATCH:
			if (parse_u64(optarg, 1, G_MAX_BATCH, false, &v))
				return bad("batch", optarg, "1..256");
			o->batch = (unsigned int)v;
			break;
		case O_PROBE:
			if (parse_u64(optarg, 0, 1000000, false, &v))
				return bad("probe-every", optarg, "0..1000000");
			o->probe_every = (unsigned int)v;
			break;
		case O_SYNC:
			if (strcmp(optarg, "cons") == 0)
				o->sync = G_SYNC_CONS;
			else if (strcmp(optarg, "msi") == 0)
				o->sync = G_SYNC_MSI;
			else
				return bad("sync", optarg, "cons or msi");
			break;
		case O_RING:
			/* At least 4 entries: commands + CMD_SYNC. */
			if (parse_u64(optarg, UIOMMU_VCMDQ_MIN_LOG2 + 1,
				      UIOMMU_VCMDQ_MAX_LOG2, false, &v))
				return bad("ring-log2", optarg, "2..19");
			o->ring_log2 = (unsigned int)v;
			break;
		case O_RAM:
			if (parse_u64(optarg, 4, 65536, false, &v))
				return bad("ram-mb", optarg, "4..65536");
			o->ram_mb = (unsigned int)v;
			break;
		case O_NOHUGE:
			o->no_huge = true;
			break;
		case O_SEED:
			if (parse_u64(optarg, 0, UINT64_MAX, false, &v))
				return bad("seed", optarg, "an integer");
			o->seed = v;
			break;
		case O_TIMEOUT:
			if (parse_u64(optarg, 10, 3600000, false, &v))
				return bad("timeout-ms", optarg, "10..3600000");
			o->timeout_ms = (unsigned int)v;
			break;
		case O_NAME:
			if (optarg[0] == '\0' || strlen(optarg) > 24)
				return bad("name", optarg, "1..24 characters");
			o->name = optarg;
			break;
		case O_READY:
			if (optarg[0] == '\0' || strlen(optarg) > 400)
				return bad("ready-file", optarg, "a path");
			o->ready_file = optarg;
			break;
		case O_LINGER:
			if (parse_seconds(optarg, 86400, &o->linger_s))
				return bad("linger", optarg, "seconds, > 0");
			break;
		case O_JSON:
			o->json = true;
			break;
		case O_OMIT:
			o->omit_tlbi = true;
			break;
		case O_HELP:
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "uiommu-guest: unexpected argument '%s'\n",
			argv[optind]);
		return EXIT_USAGE;
	}
	if (o->socket == NULL) {
		fprintf(stderr, "uiommu-guest: --socket PATH is required (the "
			"manager's control socket, as given to uiommu-mgr "
			"--socket)\n");
		return EXIT_USAGE;
	}
	if (have_ops && have_dur) {
		fprintf(stderr, "uiommu-guest: give --ops or --duration, not "
			"both\n");
		return EXIT_USAGE;
	}
	if (have_dur)
		o->ops = 0;
	if (!have_dev)
		o->devices = o->queues;
	if (o->devices < o->queues) {
		fprintf(stderr, "uiommu-guest: --devices (%u) must be at least "
			"--queues (%u): each queue's worker drives its own "
			"devices\n", o->devices, o->queues);
		return EXIT_USAGE;
	}
	return 0;
}

static void
on_signal(int sig)
{
	(void)sig;
	g_interrupted = 1;
}

static void
install_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
}

/* Run the VMs as child processes; results land in res[]. */
static void
run_forked(const struct gopts *o, struct gvm_result *res)
{
	pid_t pids[G_MAX_VMS];

	for (unsigned int i = 0; i < o->vms; i++) {
		pids[i] = fork();
		if (pids[i] == 0) {
			fflush(stdout);
			_exit(gvm_run(o, i, &res[i]));
		}
		if (pids[i] < 0) {
			res[i].status = 2;
			res[i].nerrors = 1;
			snprintf(res[i].errors[0], G_ERR_LEN,
				 "fork: %s", strerror(errno));
		}
	}
	for (unsigned int i = 0; i < o->vms; i++) {
		int st;

		if (pids[i] <= 0)
			continue;
		while (waitpid(pids[i], &st, 0) < 0 && errno == EINTR)
			;
		if (WIFSIGNALED(st) ||
		    __atomic_load_n(&res[i].state, __ATOMIC_ACQUIRE) != 2) {
			res[i].status = 2;
			if (res[i].nerrors < G_MAX_ERRORS)
				snprintf(res[i].errors[res[i].nerrors],
					 G_ERR_LEN, "VM process %d died (%s)",
					 (int)pids[i], WIFSIGNALED(st) ?
					 strsignal(WTERMSIG(st)) :
					 "exit before finishing");
			res[i].nerrors++;
		}
	}
}

int
main(int argc, char **argv)
{
	struct gvm_result *res;
	struct gopts o;
	size_t sz;
	int rc, worst = 0;

	rc = parse_args(argc, argv, &o);
	if (rc != 0)
		return rc;
	install_signals();
	sz = sizeof(*res) * o.vms;
	res = mmap(NULL, sz, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
		   -1, 0);
	if (res == MAP_FAILED) {
		fprintf(stderr, "uiommu-guest: cannot allocate results: %s\n",
			strerror(errno));
		return 2;
	}
	if (o.vms == 1)
		gvm_run(&o, 0, &res[0]);
	else
		run_forked(&o, res);
	for (unsigned int i = 0; i < o.vms; i++)
		if (res[i].status > worst)
			worst = res[i].status;
	if (o.json)
		greport_json(stdout, &o, res, o.vms);
	else
		greport_text(stdout, &o, res, o.vms);
	fflush(stdout);
	munmap(res, sz);
	return worst;
}
