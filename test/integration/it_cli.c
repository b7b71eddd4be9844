/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Integration: the uiommu-mgr command line. --help answered without EAL,
 * and the exit status of every documented failure (doc/man/uiommu-mgr.1):
 * usage errors 1, EAL failure 2, configuration errors 3, a socket served
 * by a live manager 4 (which keeps serving).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <rte_common.h>

#include "it_util.h"
#include "uiommu_ut.h"

/* EAL arguments of a quick, private manager (exit-code checks). */
#define EAL_ARGS(tag) "--no-pci", "--in-memory", "--no-huge", "-m", "256", \
	"--no-telemetry", "-l", "0-1", "--file-prefix", prefix_of(tag), \
	"--log-level=lib.eal:error"

/* A file prefix unique to this process; its directory removed at exit. */
static const char *
prefix_of(const char *tag)
{
	static char bufs[16][48];
	static unsigned int n;
	char *b = bufs[n++ % RTE_DIM(bufs)];

	snprintf(b, sizeof(bufs[0]), "%s_%d", tag, (int)getpid());
	return b;
}

static void
prefixes_cleanup(void)
{
	static const char *const tags[] = {
		"it_exit_a", "it_exit_b", "it_exit_c", "it_exit_d",
		"it_exit_e", "it_exit_f", "it_exit_g", "it_exit_h",
		"it_exit_i",
	};

	for (unsigned int i = 0; i < RTE_DIM(tags); i++)
		it_eal_dir_remove(prefix_of(tags[i]));
}

/*
 * Run the manager with @p argv: its exit status must be @p want. On a
 * mismatch the assertion names the case and the status seen (-1: it did
 * not exit before the deadline or could not be forked; 127: $UIOMMU_MGR
 * could not be executed; 128 + N: killed by signal N).
 */
#define EXPECT_STATUS(argv, want) \
	expect_status(#argv, (argv), (want), __LINE__)

static void
expect_status(const char *name, const char *const *argv, int want, int line)
{
	char msg[160];
	int got = it_mgr_run_status(argv);

	snprintf(msg, sizeof(msg), "exit status of case '%s': %d, expected %d",
		 name, got, want);
	if (got != want)
		fprintf(stderr, "it_cli line %d: %s\n", line, msg);
	CU_assertImplementation(got == want, (unsigned int)line, msg,
				__FILE__, "", CU_FALSE);
}

static void
test_help(void)
{
	static const char *const help[] = { "--", "--help", NULL };
	static const char *const h[] = { "--", "-h", NULL };

	/* Answered before EAL starts: no EAL option needed. */
	EXPECT_STATUS(help, 0);
	EXPECT_STATUS(h, 0);
}

static void
test_exit_codes(void)
{
	char dir[] = "/tmp/uiommu-it-exit-XXXXXX";
	char sock[128], cfg[128], bad_cfg[128];
	FILE *f;

	UT_ASSERT_FATAL(mkdtemp(dir) != NULL);
	snprintf(sock, sizeof(sock), "%s/s.sock", dir);
	snprintf(cfg, sizeof(cfg), "%s/missing.ini", dir);
	snprintf(bad_cfg, sizeof(bad_cfg), "%s/bad.ini", dir);
	f = fopen(bad_cfg, "w");
	UT_ASSERT_FATAL(f != NULL);
	fprintf(f, "[manager]\nsocket = %s\nno_such_key = 1\n", sock);
	fclose(f);
	{
		/* Usage errors: 1. */
		const char *const unknown[] = { EAL_ARGS("it_exit_a"), "--",
						"--socket", sock, "--bogus",
						NULL };
		const char *const nosock[] = { EAL_ARGS("it_exit_b"), "--",
					       NULL };
		const char *const budget[] = { EAL_ARGS("it_exit_c"), "--",
					       "--socket", sock, "--budget",
					       "0", NULL };
		const char *const junk[] = { EAL_ARGS("it_exit_d"), "--",
					     "--socket", sock,
					     "--idle-sleep-us", "12x", NULL };

		EXPECT_STATUS(unknown, 1);
		EXPECT_STATUS(nosock, 1);
		EXPECT_STATUS(budget, 1);
		EXPECT_STATUS(junk, 1);
	}
	{
		/* EAL failure: 2. */
		const char *const eal[] = { "--no-such-eal-option", "--",
					    "--socket", sock, NULL };

		EXPECT_STATUS(eal, 2);
	}
	{
		/* Configuration errors: 3. */
		const char *const lcore[] = { EAL_ARGS("it_exit_e"), "--",
					      "--socket", sock,
					      "--lcores-poll", "5", NULL };
		const char *const missing[] = { EAL_ARGS("it_exit_f"), "--",
						"--config", cfg, NULL };
		const char *const badkey[] = { EAL_ARGS("it_exit_g"), "--",
					       "--config", bad_cfg, NULL };
		const char *const backend[] = { EAL_ARGS("it_exit_h"), "--",
						"--socket", sock, "--backend",
						"nosuch", NULL };

		EXPECT_STATUS(lcore, 3);
		EXPECT_STATUS(missing, 3);
		EXPECT_STATUS(badkey, 3);
		EXPECT_STATUS(backend, 3);
	}
	/* Nothing was left behind. */
	CU_ASSERT_NOT_EQUAL(access(sock, F_OK), 0);
	unlink(bad_cfg);
	rmdir(dir);
}

/* A live manager's socket is not taken over: the second exits 4. */
static void
test_socket_in_use(void)
{
	static const char *const extra[] = { "--backend", "mock", NULL };
	struct it_mgr m;

	UT_ASSERT_FATAL(it_mgr_start(&m, "0-1", extra) == 0);
	{
		const char *const second[] = { EAL_ARGS("it_exit_i"), "--",
					       "--socket", m.sock, "--backend",
					       "mock", NULL };

		EXPECT_STATUS(second, 4);
	}
	/* The first one is unaffected and still serves. */
	{
		struct uiommu_client *admin = it_admin(&m);

		CU_ASSERT_PTR_NOT_NULL(admin);
		uiommu_client_close(admin);
	}
	CU_ASSERT_EQUAL(it_mgr_stop(&m, SIGTERM), 0);
}

static const struct ut_case cases[] = {
	UT_CASE(test_help),
	UT_CASE(test_exit_codes),
	UT_CASE(test_socket_in_use),
	UT_END
};

int
main(int argc, char **argv)
{
	int rc;

	signal(SIGPIPE, SIG_IGN);
	rc = ut_main("it_cli", cases, argc, argv);
	prefixes_cleanup();
	return rc;
}
