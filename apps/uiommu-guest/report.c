/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The simulator's summary: a human text and a JSON document with the same
 * content (doc/guest-simulator.md lists every field).
 *
 * Design. The parent process merges the per-VM results (counters add,
 * histograms merge bucket by bucket) and prints once. Latencies are kept in
 * nanoseconds in JSON and shown in microseconds in the text. The verdict
 * line is last in the text so a person sees it first at the bottom of a
 * terminal; scripts read "result" and "exit_code" from the JSON.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "guest.h"

static const char *
status_name(int status)
{
	switch (status) {
	case 0:
		return "pass";
	case 1:
		return "mismatch";
	default:
		return "error";
	}
}

static int
worst_status(const struct gvm_result *res, unsigned int n)
{
	int s = 0;

	for (unsigned int i = 0; i < n; i++)
		if (res[i].status > s)
			s = res[i].status;
	return s;
}

static void
totals(const struct gvm_result *res, unsigned int n, struct gstats *st,
       struct ghist *inv, struct ghist *dma, double *secs)
{
	memset(st, 0, sizeof(*st));
	ghist_init(inv);
	ghist_init(dma);
	*secs = 0;
	for (unsigned int i = 0; i < n; i++) {
		gstats_add(st, &res[i].st);
		ghist_merge(inv, &res[i].inv_lat);
		ghist_merge(dma, &res[i].dma_lat);
		if (res[i].seconds > *secs)
			*secs = res[i].seconds;
	}
}

static void
lat_text(FILE *f, const char *what, const struct ghist *h)
{
	if (h->count == 0) {
		fprintf(f, "  %-22s no samples\n", what);
		return;
	}
	fprintf(f, "  %-22s n=%" PRIu64 "  p50 %.2f us  p90 %.2f us  "
		"p99 %.2f us  max %.2f us\n", what, h->count,
		ghist_quantile(h, 0.50) / 1e3, ghist_quantile(h, 0.90) / 1e3,
		ghist_quantile(h, 0.99) / 1e3, (double)h->max / 1e3);
}

void
greport_text(FILE *f, const struct gopts *o, const struct gvm_result *res,
	     unsigned int n)
{
	struct ghist *inv = calloc(2, sizeof(*inv)), *dma;
	struct gstats st;
	double secs;
	int worst = worst_status(res, n);

	if (inv == NULL)
		return;
	dma = inv + 1;
	totals(res, n, &st, inv, dma, &secs);
	fprintf(f, "uiommu-guest: workload %s, %u VM%s x %u queue%s x %u "
		"device%s, %u-byte buffers, sync %s, seed %" PRIu64 "\n",
		gwork_name(o->workload), o->vms, o->vms > 1 ? "s" : "",
		o->queues, o->queues > 1 ? "s" : "", o->devices,
		o->devices > 1 ? "s" : "", o->buf_size, gsync_name(o->sync),
		o->seed);
	for (unsigned int i = 0; i < n; i++)
		fprintf(f, "  vm %u: %s, vm_id %u, VMID %u, %" PRIu64 " ops in "
			"%.3f s, guest RAM %s\n", i, status_name(res[i].status),
			res[i].vm_id, res[i].vmid, res[i].st.ops,
			res[i].seconds, res[i].hugetlb ? "hugetlbfs" :
			"ordinary memfd");
	fprintf(f, "  %-22s %" PRIu64 " (%.0f/s)\n", "operations", st.ops,
		secs > 0 ? (double)st.ops / secs : 0.0);
	fprintf(f, "  %-22s %" PRIu64 " DMAs, %" PRIu64 " bytes compared "
		"byte for byte (plus poison around every buffer)\n",
		"verified", st.dma_ok, st.bytes_verified);
	fprintf(f, "  %-22s %" PRIu64 " buffers mapped, %" PRIu64 " unmapped, %"
		PRIu64 " pages; %" PRIu64 " table pages freed after a CMD_SYNC\n",
		"stage 1", st.maps, st.unmaps, st.pages_mapped,
		st.deferred_frees);
	fprintf(f, "  %-22s %" PRIu64 " written (%" PRIu64 " TLBI, %" PRIu64
		" CFGI, %" PRIu64 " CMD_SYNC); manager consumed %" PRIu64
		" (%" PRIu64 " CMD_SYNC)\n", "commands", st.commands, st.tlbi,
		st.cfgi, st.syncs, st.mgr_commands, st.mgr_syncs);
	fprintf(f, "  %-22s %" PRIu64 " faulting DMAs expected, %" PRIu64
		" faulted as required; fault records %" PRIu64 " expected "
		"(+%" PRIu64 " allowed), %" PRIu64 " read, %" PRIu64 " lost\n",
		"protection", st.faults_expected, st.faults_seen,
		st.events_expected, st.events_optional, st.events_seen,
		st.events_lost);
	if (o->workload == G_WORK_STALE)
		fprintf(f, "  %-22s after unmap without TLBI: %" PRIu64
			" DMAs landed (cached translation), %" PRIu64
			" faulted (evicted); after TLBI + CMD_SYNC all "
			"faulted\n", "stale TLB", st.stale_landed,
			st.stale_faulted);
	if (st.cd_swaps + st.ste_bypass + st.ste_abort + st.ste_invalid != 0)
		fprintf(f, "  %-22s %" PRIu64 " CD switches, STE bypass %"
			PRIu64 ", abort %" PRIu64 ", V=0 %" PRIu64
			", engine restarts %" PRIu64 "\n", "configuration",
			st.cd_swaps, st.ste_bypass, st.ste_abort,
			st.ste_invalid, st.engine_restarts);
	lat_text(f, "invalidation latency", inv);
	fprintf(f, "  %-22s (guest side: PROD write -> CMD_SYNC complete)\n",
		"");
	lat_text(f, "DMA latency", dma);
	for (unsigned int i = 0; i < n; i++)
		for (unsigned int e = 0; e < res[i].nerrors &&
		     e < G_MAX_ERRORS; e++)
			fprintf(f, "  error: vm %u: %s\n", i, res[i].errors[e]);
	fprintf(f, "result: %s\n", worst == 0 ? "PASS (every DMA verified, "
		"every expected fault seen)" : worst == 1 ?
		"FAIL (verification mismatch, see the errors above)" :
		"FAIL (could not run, see the errors above)");
	free(inv);
}

static void
json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

static void
json_stats(FILE *f, const struct gstats *st)
{
#define F(x) fprintf(f, "\"" #x "\": %" PRIu64 ", ", st->x)
	F(ops); F(dma_ok); F(bytes_verified); F(maps); F(unmaps);
	F(pages_mapped); F(tlbi); F(cfgi); F(syncs); F(commands);
	F(probes); F(faults_expected); F(faults_seen); F(events_expected);
	F(events_seen); F(events_lost); F(events_optional); F(stale_landed); F(stale_faulted);
	F(cd_swaps); F(ste_bypass); F(ste_abort); F(ste_invalid);
	F(engine_restarts); F(deferred_frees); F(mgr_commands);
	F(mgr_syncs);
#undef F
	fprintf(f, "\"mismatches\": %" PRIu64, st->mismatches);
}

static void
json_hist(FILE *f, const struct ghist *h)
{
	fprintf(f, "{\"count\": %" PRIu64 ", \"min\": %" PRIu64
		", \"p50\": %" PRIu64 ", \"p90\": %" PRIu64 ", \"p99\": %"
		PRIu64 ", \"p999\": %" PRIu64 ", \"max\": %" PRIu64
		", \"mean\": %.1f}", h->count, h->count ? h->min : 0,
		ghist_quantile(h, 0.5), ghist_quantile(h, 0.9),
		ghist_quantile(h, 0.99), ghist_quantile(h, 0.999), h->max,
		h->count ? (double)h->sum / (double)h->count : 0.0);
}

void
greport_json(FILE *f, const struct gopts *o, const struct gvm_result *res,
	     unsigned int n)
{
	struct ghist *inv = calloc(2, sizeof(*inv)), *dma;
	struct gstats st;
	double secs;
	int worst = worst_status(res, n);
	bool first = true;

	if (inv == NULL)
		return;
	dma = inv + 1;
	totals(res, n, &st, inv, dma, &secs);
	fprintf(f, "{\"tool\": \"uiommu-guest\", \"config\": {\"socket\": ");
	json_str(f, o->socket);
	fprintf(f, ", \"workload\": \"%s\", \"vms\": %u, \"queues\": %u, "
		"\"devices\": %u, \"buf_size\": %u, \"batch\": %u, "
		"\"probe_every\": %u, \"sync\": \"%s\", \"ring_log2\": %u, "
		"\"ops\": %" PRIu64 ", \"duration_s\": %.3f, \"seed\": %"
		PRIu64 "}, ", gwork_name(o->workload), o->vms, o->queues,
		o->devices, o->buf_size, o->batch, o->probe_every,
		gsync_name(o->sync), o->ring_log2, o->ops, o->duration_s,
		o->seed);
	fprintf(f, "\"result\": \"%s\", \"exit_code\": %d, \"seconds\": %.3f, "
		"\"totals\": {", status_name(worst), worst, secs);
	json_stats(f, &st);
	fprintf(f, "}, \"latency_ns\": {\"invalidation\": ");
	json_hist(f, inv);
	fprintf(f, ", \"dma\": ");
	json_hist(f, dma);
	fprintf(f, "}, \"vms\": [");
	for (unsigned int i = 0; i < n; i++) {
		fprintf(f, "%s{\"index\": %u, \"result\": \"%s\", \"vm_id\": %u,"
			" \"viommu_id\": %u, \"vmid\": %u, \"hugetlb\": %s, "
			"\"seconds\": %.3f, \"stats\": {", i ? ", " : "", i,
			status_name(res[i].status), res[i].vm_id,
			res[i].viommu_id, res[i].vmid,
			res[i].hugetlb ? "true" : "false", res[i].seconds);
		json_stats(f, &res[i].st);
		fprintf(f, "}, \"invalidation_ns\": ");
		json_hist(f, &res[i].inv_lat);
		fprintf(f, "}");
	}
	fprintf(f, "], \"errors\": [");
	for (unsigned int i = 0; i < n; i++)
		for (unsigned int e = 0; e < res[i].nerrors &&
		     e < G_MAX_ERRORS; e++) {
			char msg[G_ERR_LEN + 16];

			snprintf(msg, sizeof(msg), "vm %u: %s", i,
				 res[i].errors[e]);
			fprintf(f, "%s", first ? "" : ", ");
			json_str(f, msg);
			first = false;
		}
	fprintf(f, "]}\n");
	free(inv);
}
