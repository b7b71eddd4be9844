/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * uiommu-ctl: private declarations shared by the CLI's files.
 *
 * Every subcommand runs on one admin connection (HELLO with
 * UIOMMU_HELLO_F_ADMIN): it may look at every VM but change nothing.
 * Output is either text for a person or, with --json, one JSON document on
 * stdout written through the small writer in jw.c.
 */
#ifndef UIOMMU_CTL_H
#define UIOMMU_CTL_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "uiommu_client.h"

/* Exit codes (doc/man/uiommu-ctl.1). */
enum {
	CTL_OK = 0,          /* done */
	CTL_REFUSED = 1,     /* the manager refused a request (no such VM...) */
	CTL_UNREACHABLE = 2, /* no manager at the socket, or it went away */
	CTL_USAGE = 3,       /* bad command line */
	CTL_FAULT = 4,       /* translate: the access faults */
};

/* ---------------------------------------------------------- JSON writer */

#define JW_MAX_DEPTH 16

struct jw {
	FILE *f;
	int depth;
	bool first[JW_MAX_DEPTH];
};

void jw_init(struct jw *j, FILE *f);
/* key is NULL inside arrays. */
void jw_obj(struct jw *j, const char *key);
void jw_obj_end(struct jw *j);
void jw_arr(struct jw *j, const char *key);
void jw_arr_end(struct jw *j);
void jw_u64(struct jw *j, const char *key, uint64_t v);
void jw_i64(struct jw *j, const char *key, int64_t v);
void jw_str(struct jw *j, const char *key, const char *s);
void jw_bool(struct jw *j, const char *key, bool v);
/* Finish the document (newline). */
void jw_done(struct jw *j);

/* ---------------------------------------------------------- context */

struct ctl {
	const char *socket;
	bool json;
	int timeout_ms;
	int64_t viommu;          /* --viommu, -1 when not given */
	uint32_t access;         /* --access for translate/dump */
	uint64_t max_pages;      /* --max-pages for dump */
	uint32_t table;          /* --table for dump: UIOMMU_PT_DUMP_TABLE_S1/_S2 */
	bool ssv;                /* --ssid given */
	uint32_t ssid;           /* --ssid for dump */
	uint64_t max_entries;    /* --max-entries for dump */
	struct uiommu_client *c;
	struct jw j;
};

/* A snapshot of every object (LIST, all pages). */
struct ctl_objs {
	struct uiommu_proto_list_entry *e;
	unsigned int n, cap;
};

/* Print a refused request and return CTL_REFUSED or CTL_UNREACHABLE. */
int ctl_err(const char *what, int rc);
int ctl_objs_load(struct ctl *x, uint32_t vm_id, struct ctl_objs *o);
void ctl_objs_free(struct ctl_objs *o);
/* Parse a number (decimal or 0x hex); returns false if malformed. */
bool ctl_parse_u64(const char *s, uint64_t *v);
/* Find the vIOMMU of a vSID in a VM (--viommu wins); CTL_* code. */
int ctl_find_viommu(struct ctl *x, uint32_t vm_id, uint32_t vsid,
		    uint32_t *viommu_id);
const char *ctl_kind_name(unsigned int kind);
/* Parse "VM VSID" (argv[0], argv[1]) and find the vIOMMU; CTL_* code. */
int ctl_target(struct ctl *x, char **argv, uint32_t *vm, uint32_t *vsid,
	       uint32_t *viommu);
/* The device's spec and guest STE address (from LIST) into the output. */
void ctl_dump_config(struct ctl *x, uint32_t vm, uint32_t vi, uint32_t vsid);
/* Name of an SMMUv3 event id ("F_TRANSLATION", ...). */
const char *ctl_event_name(uint8_t id);
/* dump's fallback: runs of [start, end] found by TRANSLATE page by page. */
int ctl_dump_by_translate(struct ctl *x, uint32_t vm, uint32_t vi,
			  uint32_t vsid, uint64_t start, uint64_t end);

/* Subcommands; argv holds only the subcommand's operands. */
int ctl_cmd_list(struct ctl *x, int argc, char **argv);
int ctl_cmd_stats(struct ctl *x, int argc, char **argv);
int ctl_cmd_events(struct ctl *x, int argc, char **argv);
int ctl_cmd_translate(struct ctl *x, int argc, char **argv);
int ctl_cmd_dump(struct ctl *x, int argc, char **argv);

/* STATS of one object into the writer / text (shared by list and stats). */
int ctl_stats_emit(struct ctl *x, const char *key, uint32_t scope,
		   uint32_t vm_id, uint32_t viommu_id, uint32_t index,
		   const char *indent);

#endif /* UIOMMU_CTL_H */
