/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * uiommu-mgr: the poll-mode IOMMU manager daemon.
 *
 *     uiommu-mgr [EAL options] -- --socket PATH [options]
 *
 * A DPDK EAL application: EAL options choose the cores (the main lcore runs
 * the control socket, the worker lcores poll queues), memory (--no-huge,
 * --in-memory work) and logging (--log-level=uiommu.mgr:debug). The
 * application options come after "--". Settings are taken, in increasing
 * priority, from built-in defaults, the --config ini file, then the
 * command line. SIGINT and SIGTERM stop the pollers, tear down every VM,
 * unlink the socket and exit 0. Exit codes are in doc/man/uiommu-mgr.1.
 *
 * "--help" after "--" is answered before EAL starts (so it works on a
 * machine without hugepages or DPDK privileges); "--help" among the EAL
 * options prints EAL's help followed by this program's.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_log.h>

#include "uiommu_mgr.h"

/** Exit codes (documented in doc/man/uiommu-mgr.1). */
enum {
	EXIT_OK = 0,        /* stopped by SIGINT/SIGTERM, or --help */
	EXIT_USAGE = 1,     /* bad command line */
	EXIT_EAL = 2,       /* rte_eal_init() failed */
	EXIT_CONFIG = 3,    /* bad configuration (file, value, backend, lcores) */
	EXIT_STARTUP = 4,   /* could not start (socket in use, bind, memory) */
	EXIT_RUNTIME = 5,   /* the control loop failed */
};

static struct uiommu_mgr *g_mgr;
static volatile sig_atomic_t g_stop_early;

static const char *prog_name = "uiommu-mgr";

static void
usage(FILE *f)
{
	fprintf(f,
"Usage: %s [EAL options] -- --socket PATH [options]\n"
"\n"
"Poll-mode userspace IOMMU manager. The EAL main lcore serves the control\n"
"socket; every other EAL lcore polls virtual command queues (with a single\n"
"lcore, queues are polled on the main lcore between socket events).\n"
"\n"
"Options (after \"--\"; the command line overrides --config):\n"
"  --socket PATH          control socket to create (required here or in\n"
"                         the config file's [manager] socket)\n"
"  --backend NAME         default backend for VIOMMU_CREATE (default: soft)\n"
"  --config FILE          ini file ([manager], [poll], [backend.NAME], [pin])\n"
"  --budget N             commands per queue per poll pass (default: %u)\n"
"  --vm-budget N|none     commands per VM per poll pass, all its queues on\n"
"                         the lcore together (default: %u)\n"
"  --vm-slice-ns N        busy time per VM per poll pass; 0 = no limit\n"
"                         (default: 0)\n"
"  --idle-sleep-us N      sleep N us per idle pass once idle long enough;\n"
"                         0 = always spin (default: 0)\n"
"  --idle-after-us N      idle time before sleeping starts (default: 1000)\n"
"  --lcores-poll LIST     polling lcores, e.g. 1,3-4 (default: all worker\n"
"                         lcores); must be EAL worker lcores\n"
"  --allow-unsealed-mem   accept guest RAM fds that cannot be sealed against\n"
"                         shrinking (trusted VMMs only: a VMM that truncates\n"
"                         such a file crashes the manager); by default the\n"
"                         manager seals RAM memfds itself and refuses others\n"
"  --require-sealed-mem   the default, kept for compatibility\n"
"  --help                 this text\n"
"\n"
"Exit status: 0 stopped by SIGINT/SIGTERM (or --help), 1 usage error,\n"
"2 EAL initialisation failed, 3 configuration error, 4 start-up failure,\n"
"5 runtime failure. See uiommu-mgr(1).\n",
		prog_name, UIOMMU_POLL_BUDGET_DEFAULT,
		UIOMMU_POLL_VM_BUDGET_DEFAULT);
}

static void
eal_usage_hook(const char *prgname)
{
	RTE_SET_USED(prgname);
	printf("\n");
	usage(stdout);
}

static void
on_signal(int sig)
{
	RTE_SET_USED(sig);
	if (g_mgr != NULL)
		uiommu_mgr_stop(g_mgr);
	else
		g_stop_early = 1;
}

static int
install_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGINT, &sa, NULL) != 0 ||
	    sigaction(SIGTERM, &sa, NULL) != 0)
		return -errno;
	sa.sa_handler = SIG_IGN;
	return sigaction(SIGPIPE, &sa, NULL) != 0 ? -errno : 0;
}

/*
 * DPDK 22.11 refuses --in-memory together with --no-huge (--no-huge turns
 * on legacy memory, which --in-memory rejects). Without hugepages, memory
 * is anonymous anyway; what --in-memory still means is "no shared runtime
 * files", which is --no-shconf. Rewrite the pair so that both documented
 * options can be given together.
 */
static void
eal_fix_in_memory(int argc, char **argv)
{
	int in_mem = -1;
	bool no_huge = false;

	for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++) {
		if (strcmp(argv[i], "--in-memory") == 0)
			in_mem = i;
		else if (strcmp(argv[i], "--no-huge") == 0)
			no_huge = true;
	}
	if (in_mem < 0 || !no_huge)
		return;
	argv[in_mem] = (char *)(uintptr_t)"--no-shconf";
	fprintf(stderr, "%s: --in-memory with --no-huge: using --no-shconf "
		"(EAL refuses the pair; memory is anonymous already)\n",
		prog_name);
}

/* True when the application arguments (after "--") ask for help. */
static bool
wants_help(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc; i++)
		if (strcmp(argv[i], "--") == 0)
			break;
	for (i++; i < argc; i++)
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
			return true;
	return false;
}

enum {
	OPT_SOCKET = 256,
	OPT_BACKEND,
	OPT_CONFIG,
	OPT_BUDGET,
	OPT_IDLE_SLEEP,
	OPT_IDLE_AFTER,
	OPT_VM_BUDGET,
	OPT_VM_SLICE,
	OPT_LCORES,
	OPT_SEALED,
	OPT_UNSEALED,
	OPT_HELP,
};

static const struct option long_opts[] = {
	{ "socket", required_argument, NULL, OPT_SOCKET },
	{ "backend", required_argument, NULL, OPT_BACKEND },
	{ "config", required_argument, NULL, OPT_CONFIG },
	{ "budget", required_argument, NULL, OPT_BUDGET },
	{ "idle-sleep-us", required_argument, NULL, OPT_IDLE_SLEEP },
	{ "idle-after-us", required_argument, NULL, OPT_IDLE_AFTER },
	{ "vm-budget", required_argument, NULL, OPT_VM_BUDGET },
	{ "vm-slice-ns", required_argument, NULL, OPT_VM_SLICE },
	{ "lcores-poll", required_argument, NULL, OPT_LCORES },
	{ "require-sealed-mem", no_argument, NULL, OPT_SEALED },
	{ "allow-unsealed-mem", no_argument, NULL, OPT_UNSEALED },
	{ "help", no_argument, NULL, OPT_HELP },
	{ NULL, 0, NULL, 0 },
};

static int
bad_value(const char *opt, const char *val)
{
	fprintf(stderr, "%s: invalid value '%s' for --%s\n", prog_name, val,
		opt);
	return EXIT_USAGE;
}

/*
 * Two passes: the first finds --config (loaded before anything else), the
 * second applies every other option over it.
 */
static int
parse_args(int argc, char **argv, struct uiommu_mgr_conf *conf)
{
	char err[256];
	int opt, rc;

	opterr = 0;
	optind = 0;
	while ((opt = getopt_long(argc, argv, "h", long_opts, NULL)) != -1) {
		if (opt != OPT_CONFIG)
			continue;
		rc = uiommu_mgr_conf_load(conf, optarg, err, sizeof(err));
		if (rc != 0) {
			fprintf(stderr, "%s: config: %s\n", prog_name, err);
			return EXIT_CONFIG;
		}
	}
	opterr = 1;
	optind = 0;
	while ((opt = getopt_long(argc, argv, "h", long_opts, NULL)) != -1) {
		switch (opt) {
		case OPT_SOCKET:
			if (optarg[0] == '\0' ||
			    strlen(optarg) >= sizeof(conf->socket_path))
				return bad_value("socket", optarg);
			strcpy(conf->socket_path, optarg);
			break;
		case OPT_BACKEND:
			if (optarg[0] == '\0' ||
			    strlen(optarg) >= sizeof(conf->backend))
				return bad_value("backend", optarg);
			strcpy(conf->backend, optarg);
			break;
		case OPT_CONFIG:
			break;
		case OPT_BUDGET:
			if (uiommu_mgr_parse_u32(optarg, UINT32_MAX,
						 &conf->poll.budget) != 0 ||
			    conf->poll.budget == 0 ||
			    conf->poll.budget > (1u << UIOMMU_VCMDQ_MAX_LOG2))
				return bad_value("budget", optarg);
			break;
		case OPT_IDLE_SLEEP:
			if (uiommu_mgr_parse_u32(optarg, 1000000,
						 &conf->poll.idle_sleep_us) != 0)
				return bad_value("idle-sleep-us", optarg);
			break;
		case OPT_IDLE_AFTER:
			if (uiommu_mgr_parse_u32(optarg, 1000000,
						 &conf->poll.idle_after_us) != 0)
				return bad_value("idle-after-us", optarg);
			break;
		case OPT_VM_BUDGET:
			if (uiommu_mgr_parse_vm_budget(optarg,
						       &conf->poll.vm_budget) != 0)
				return bad_value("vm-budget", optarg);
			break;
		case OPT_VM_SLICE:
			if (uiommu_mgr_parse_u32(optarg, UIOMMU_POLL_VM_SLICE_NS_MAX,
						 &conf->poll.vm_slice_ns) != 0)
				return bad_value("vm-slice-ns", optarg);
			break;
		case OPT_LCORES:
			if (uiommu_mgr_conf_lcores(conf, optarg) != 0)
				return bad_value("lcores-poll", optarg);
			break;
		case OPT_SEALED:
			conf->require_sealed_mem = true;
			break;
		case OPT_UNSEALED:
			conf->require_sealed_mem = false;
			break;
		case OPT_HELP:
		case 'h':
			usage(stdout);
			exit(EXIT_OK);
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "%s: unexpected argument '%s'\n", prog_name,
			argv[optind]);
		return EXIT_USAGE;
	}
	if (conf->socket_path[0] == '\0') {
		fprintf(stderr, "%s: --socket PATH is required\n", prog_name);
		return EXIT_USAGE;
	}
	return EXIT_OK;
}

/* Check the polling lcores against EAL's before creating anything. */
static int
check_lcores(const struct uiommu_mgr_conf *conf)
{
	for (uint32_t i = 0; i < conf->poll.nb_lcores; i++) {
		uint32_t l = conf->poll.lcores[i];

		if (l >= RTE_MAX_LCORE || !rte_lcore_is_enabled(l) ||
		    l == rte_get_main_lcore()) {
			fprintf(stderr, "%s: lcore %u is not an EAL worker "
				"lcore (check -l/--lcores)\n", prog_name, l);
			return EXIT_CONFIG;
		}
	}
	return EXIT_OK;
}

int
main(int argc, char **argv)
{
	struct uiommu_mgr_conf conf;
	int ret, rc;

	if (argc > 0 && argv[0] != NULL) {
		const char *slash = strrchr(argv[0], '/');

		prog_name = slash != NULL ? slash + 1 : argv[0];
	}
	if (wants_help(argc, argv)) {
		usage(stdout);
		return EXIT_OK;
	}
	rte_set_application_usage_hook(eal_usage_hook);
	eal_fix_in_memory(argc, argv);
	if (install_signals() != 0) {
		fprintf(stderr, "%s: cannot install signal handlers\n",
			prog_name);
		return EXIT_STARTUP;
	}
	ret = rte_eal_init(argc, argv);
	if (ret < 0) {
		fprintf(stderr, "%s: EAL initialisation failed: %s\n",
			prog_name, rte_strerror(rte_errno));
		return EXIT_EAL;
	}
	argc -= ret;
	argv += ret;
	uiommu_mgr_conf_init(&conf);
	rc = parse_args(argc, argv, &conf);
	if (rc == EXIT_OK)
		rc = check_lcores(&conf);
	if (rc != EXIT_OK)
		goto out_eal;
	ret = uiommu_mgr_create(&conf, &g_mgr);
	if (ret != 0) {
		fprintf(stderr, "%s: cannot start: %s\n", prog_name,
			strerror(-ret));
		rc = ret == -EINVAL || ret == -ENOENT ? EXIT_CONFIG :
							EXIT_STARTUP;
		goto out_eal;
	}
	if (g_stop_early)
		uiommu_mgr_stop(g_mgr);
	ret = uiommu_mgr_run(g_mgr);
	rc = ret == 0 ? EXIT_OK : EXIT_RUNTIME;
	uiommu_mgr_destroy(g_mgr);
	g_mgr = NULL;
out_eal:
	rte_eal_cleanup();
	return rc;
}
