/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * uiommu-ctl: inspect a running uiommu-mgr.
 *
 *     uiommu-ctl [--socket PATH] [--json] COMMAND [ARGS]
 *
 * Design. One admin connection per run (HELLO with UIOMMU_HELLO_F_ADMIN):
 * it can read every VM's objects and counters and translate addresses,
 * and can change nothing (the manager refuses every mutating request on
 * it). This file parses the global options, connects, dispatches to the
 * subcommand (list.c, stats.c, xlate.c, dump.c) and maps errors to exit codes and
 * to messages that say what to do. The tool is not a DPDK application.
 */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ctl.h"

#define DEFAULT_SOCKET "/run/uiommu/mgr.sock"

static void
usage(FILE *f)
{
	fprintf(f,
"Usage: uiommu-ctl [options] COMMAND [ARGS]\n"
"\n"
"Inspect a running uiommu-mgr (read-only admin connection).\n"
"\n"
"Commands:\n"
"  list [VM]                 VMs, RAM regions, vIOMMUs, stream tables,\n"
"                            vDEVICEs and vCMDQs, with their counters\n"
"  stats [VM [VIOMMU [Q]]]   counters: the manager and its polling lcores;\n"
"                            a VM; a vIOMMU; one vCMDQ\n"
"  events [VM]               fault-record counters of every vIOMMU (the\n"
"                            records themselves are read by the VM)\n"
"  translate VM VSID IOVA    translate IOVA as the device VSID of VM would\n"
"                            access it; show stage 1 and stage 2\n"
"  dump VM VSID [ADDR [LEN]] the device's page tables over [ADDR, ADDR+LEN)\n"
"                            (default: all), descriptor by descriptor:\n"
"                            the guest's stage 1 (default) or, with\n"
"                            --table s2, the manager's stage 2\n"
"\n"
"Options:\n"
"  --socket PATH      manager socket (default $UIOMMU_SOCKET, else\n"
"                     " DEFAULT_SOCKET ")\n"
"  --json             one JSON document on stdout\n"
"  --viommu ID        vIOMMU of the device (default: the one with VSID)\n"
"  --access r|w|rw    access to translate (default r)\n"
"  --table s1|s2      dump: guest stage-1 tables of the device's CD (s1,\n"
"                     default) or the vIOMMU's stage-2 table (s2)\n"
"  --ssid N           dump: the CD of substream N (stage 1)\n"
"  --max-entries N    dump: stop after about N entries (default 65536)\n"
"  --max-pages N      dump, when the manager cannot dump tables and dump\n"
"                     translates page by page instead: most translations\n"
"                     asked (default 65536)\n"
"  --timeout-ms N     connect and reply timeout (default 2000)\n"
"  --help             this text\n"
"\n"
"Numbers are decimal or 0x-prefixed hex. VM is the manager's vm_id (see\n"
"\"list\").\n"
"\n"
"Exit status: 0 done; 1 the manager refused the request (e.g. no such VM\n"
"or device); 2 no manager at the socket; 3 bad command line; 4 translate:\n"
"the access faults. See uiommu-ctl(1).\n");
}

int
ctl_err(const char *what, int rc)
{
	const char *hint = "";

	switch (rc) {
	case -ENOENT:
		hint = " (no such object: see \"uiommu-ctl list\")";
		break;
	case -EPERM:
		hint = " (not allowed on an admin connection)";
		break;
	case -EOPNOTSUPP:
		hint = " (the backend or manager does not support it)";
		break;
	case -ETIMEDOUT:
	case -ECONNRESET:
	case -EPIPE:
	case -ENOTCONN:
	case -EPROTO:
		fprintf(stderr, "uiommu-ctl: %s: %s (the manager stopped "
			"answering)\n", what, strerror(-rc));
		return CTL_UNREACHABLE;
	default:
		break;
	}
	fprintf(stderr, "uiommu-ctl: %s: %s%s\n", what, strerror(-rc), hint);
	return CTL_REFUSED;
}

bool
ctl_parse_u64(const char *s, uint64_t *v)
{
	unsigned long long x;
	char *end;

	if (s == NULL || *s == '\0' || *s == '-')
		return false;
	errno = 0;
	x = strtoull(s, &end, 0);
	if (errno != 0 || *end != '\0')
		return false;
	*v = x;
	return true;
}

enum { O_SOCKET = 256, O_JSON, O_VIOMMU, O_ACCESS, O_MAXPAGES, O_TIMEOUT,
       O_HELP, O_TABLE, O_SSID, O_MAXENTRIES };

static const struct option long_opts[] = {
	{ "socket", required_argument, NULL, O_SOCKET },
	{ "json", no_argument, NULL, O_JSON },
	{ "viommu", required_argument, NULL, O_VIOMMU },
	{ "access", required_argument, NULL, O_ACCESS },
	{ "max-pages", required_argument, NULL, O_MAXPAGES },
	{ "timeout-ms", required_argument, NULL, O_TIMEOUT },
	{ "help", no_argument, NULL, O_HELP },
	{ "table", required_argument, NULL, O_TABLE },
	{ "ssid", required_argument, NULL, O_SSID },
	{ "max-entries", required_argument, NULL, O_MAXENTRIES },
	{ NULL, 0, NULL, 0 },
};

static const struct {
	const char *name;
	int (*fn)(struct ctl *x, int argc, char **argv);
} cmds[] = {
	{ "list", ctl_cmd_list },
	{ "stats", ctl_cmd_stats },
	{ "events", ctl_cmd_events },
	{ "translate", ctl_cmd_translate },
	{ "dump", ctl_cmd_dump },
};

/* Parse options; "+": stop at the first operand. @return -1 or an exit code. */
static int
parse_opts(struct ctl *x, int argc, char **argv, const char *optstring)
{
	uint64_t v;
	int opt;

	optind = 0; /* glibc: full re-initialisation (second pass) */
	while ((opt = getopt_long(argc, argv, optstring, long_opts,
				  NULL)) != -1) {
		switch (opt) {
		case O_SOCKET:
			x->socket = optarg;
			break;
		case O_JSON:
			x->json = true;
			break;
		case O_VIOMMU:
			if (!ctl_parse_u64(optarg, &v) || v > UINT32_MAX) {
				fprintf(stderr, "uiommu-ctl: bad --viommu '%s'\n",
					optarg);
				return CTL_USAGE;
			}
			x->viommu = (int64_t)v;
			break;
		case O_ACCESS:
			if (strcmp(optarg, "r") == 0)
				x->access = UIOMMU_XLATE_READ;
			else if (strcmp(optarg, "w") == 0)
				x->access = UIOMMU_XLATE_WRITE;
			else if (strcmp(optarg, "rw") == 0)
				x->access = UIOMMU_XLATE_READ |
					    UIOMMU_XLATE_WRITE;
			else {
				fprintf(stderr, "uiommu-ctl: --access takes r, "
					"w or rw\n");
				return CTL_USAGE;
			}
			break;
		case O_MAXPAGES:
			if (!ctl_parse_u64(optarg, &x->max_pages) ||
			    x->max_pages == 0 || x->max_pages > (1u << 24)) {
				fprintf(stderr, "uiommu-ctl: --max-pages takes "
					"1..16777216\n");
				return CTL_USAGE;
			}
			break;
		case O_TIMEOUT:
			if (!ctl_parse_u64(optarg, &v) || v == 0 || v > 600000) {
				fprintf(stderr, "uiommu-ctl: --timeout-ms takes "
					"1..600000\n");
				return CTL_USAGE;
			}
			x->timeout_ms = (int)v;
			break;
		case O_TABLE:
			if (strcmp(optarg, "s1") == 0)
				x->table = UIOMMU_PT_DUMP_TABLE_S1;
			else if (strcmp(optarg, "s2") == 0)
				x->table = UIOMMU_PT_DUMP_TABLE_S2;
			else {
				fprintf(stderr, "uiommu-ctl: --table takes s1 "
					"or s2\n");
				return CTL_USAGE;
			}
			break;
		case O_SSID:
			if (!ctl_parse_u64(optarg, &v) || v > UINT32_MAX) {
				fprintf(stderr, "uiommu-ctl: bad --ssid '%s'\n",
					optarg);
				return CTL_USAGE;
			}
			x->ssv = true;
			x->ssid = (uint32_t)v;
			break;
		case O_MAXENTRIES:
			if (!ctl_parse_u64(optarg, &x->max_entries) ||
			    x->max_entries == 0 ||
			    x->max_entries > (1u << 24)) {
				fprintf(stderr, "uiommu-ctl: --max-entries takes "
					"1..16777216\n");
				return CTL_USAGE;
			}
			break;
		case O_HELP:
		case 'h':
			usage(stdout);
			exit(CTL_OK);
		default:
			usage(stderr);
			return CTL_USAGE;
		}
	}
	return -1;
}

int
main(int argc, char **argv)
{
	struct uiommu_msg_hello_reply hello;
	struct stat sb;
	struct ctl x;
	int rc, sub_argc;
	char **sub_argv;
	unsigned int i;

	memset(&x, 0, sizeof(x));
	x.socket = getenv("UIOMMU_SOCKET");
	if (x.socket == NULL || x.socket[0] == '\0')
		x.socket = DEFAULT_SOCKET;
	x.timeout_ms = 2000;
	x.viommu = -1;
	x.access = UIOMMU_XLATE_READ;
	x.max_pages = 65536;
	x.table = UIOMMU_PT_DUMP_TABLE_S1;
	x.max_entries = 65536;
	/* Options before the command... */
	rc = parse_opts(&x, argc, argv, "+h");
	if (rc >= 0)
		return rc;
	if (optind >= argc) {
		fprintf(stderr, "uiommu-ctl: no command given (list, stats, "
			"events, translate, dump; --help)\n");
		return CTL_USAGE;
	}
	/* ...and after it (getopt moves the operands to the end). */
	sub_argc = argc - optind;
	sub_argv = argv + optind;
	rc = parse_opts(&x, sub_argc, sub_argv, "h");
	if (rc >= 0)
		return rc;
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++)
		if (strcmp(sub_argv[0], cmds[i].name) == 0)
			break;
	if (i == sizeof(cmds) / sizeof(cmds[0])) {
		fprintf(stderr, "uiommu-ctl: unknown command '%s' (list, "
			"stats, events, translate, dump; --help)\n",
			sub_argv[0]);
		return CTL_USAGE;
	}
	if (stat(x.socket, &sb) != 0 || !S_ISSOCK(sb.st_mode)) {
		fprintf(stderr, "uiommu-ctl: no manager socket at %s (%s); "
			"start uiommu-mgr with --socket %s, or give --socket "
			"or $UIOMMU_SOCKET\n", x.socket,
			errno != 0 && stat(x.socket, &sb) != 0 ?
			strerror(errno) : "not a socket", x.socket);
		return CTL_UNREACHABLE;
	}
	rc = uiommu_client_connect(x.socket, x.timeout_ms, &x.c);
	if (rc != 0) {
		fprintf(stderr, "uiommu-ctl: no manager at %s: %s (start "
			"uiommu-mgr with --socket %s, or give --socket)\n",
			x.socket, strerror(-rc), x.socket);
		return CTL_UNREACHABLE;
	}
	rc = uiommu_client_hello(x.c, UIOMMU_HELLO_F_ADMIN, "uiommu-ctl",
				 UIOMMU_FEAT_ALL, &hello);
	if (rc != 0) {
		rc = ctl_err("HELLO", rc);
		goto out;
	}
	if (!(hello.features & UIOMMU_FEAT_INSPECT)) {
		fprintf(stderr, "uiommu-ctl: the manager does not offer "
			"inspection (features 0x%llx)\n",
			(unsigned long long)hello.features);
		rc = CTL_REFUSED;
		goto out;
	}
	jw_init(&x.j, stdout);
	rc = cmds[i].fn(&x, sub_argc - optind, sub_argv + optind);
out:
	uiommu_client_close(x.c);
	return rc;
}
