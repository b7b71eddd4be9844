/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Streaming JSON writer.
 *
 * One bool per nesting level says whether the next value needs a comma;
 * keys are written only when the caller is inside an object (the caller's
 * contract, checked by the unit test that parses the output). Strings are
 * escaped: quote, backslash and every control character; other bytes pass
 * through, so UTF-8 labels such as "≤" stay readable.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>

#include "json.h"

void
bench_json_init(struct bench_json *j, FILE *f)
{
	j->f = f;
	j->depth = 0;
	j->need_comma[0] = false;
	j->overflow = false;
}

int
bench_json_fini(struct bench_json *j)
{
	if (j->depth != 0 || j->overflow)
		return -EINVAL;
	fputc('\n', j->f);
	if (fflush(j->f) != 0 || ferror(j->f))
		return -EIO;
	return 0;
}

static void
put_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++) {
		switch (*p) {
		case '"': fputs("\\\"", f); break;
		case '\\': fputs("\\\\", f); break;
		case '\n': fputs("\\n", f); break;
		case '\r': fputs("\\r", f); break;
		case '\t': fputs("\\t", f); break;
		default:
			if (*p < 0x20)
				fprintf(f, "\\u%04x", *p);
			else
				fputc(*p, f);
		}
	}
	fputc('"', f);
}

/* Comma, newline + indent, and the key if any. */
static void
prefix(struct bench_json *j, const char *key)
{
	if (j->need_comma[j->depth])
		fputc(',', j->f);
	j->need_comma[j->depth] = true;
	if (j->depth > 0) {
		fputc('\n', j->f);
		for (unsigned int i = 0; i < j->depth; i++)
			fputs("  ", j->f);
	}
	if (key != NULL) {
		put_string(j->f, key);
		fputs(": ", j->f);
	}
}

static void
open_level(struct bench_json *j, const char *key, char c)
{
	prefix(j, key);
	fputc(c, j->f);
	if (j->depth + 1 >= BENCH_JSON_DEPTH) {
		j->overflow = true;
		return;
	}
	j->depth++;
	j->need_comma[j->depth] = false;
}

static void
close_level(struct bench_json *j, char c)
{
	bool had = j->need_comma[j->depth];

	if (j->depth == 0) {
		j->overflow = true;
		return;
	}
	j->depth--;
	if (had) {
		fputc('\n', j->f);
		for (unsigned int i = 0; i < j->depth; i++)
			fputs("  ", j->f);
	}
	fputc(c, j->f);
}

void bench_json_obj_begin(struct bench_json *j, const char *key) { open_level(j, key, '{'); }
void bench_json_obj_end(struct bench_json *j) { close_level(j, '}'); }
void bench_json_arr_begin(struct bench_json *j, const char *key) { open_level(j, key, '['); }
void bench_json_arr_end(struct bench_json *j) { close_level(j, ']'); }

void
bench_json_str(struct bench_json *j, const char *key, const char *s)
{
	prefix(j, key);
	if (s == NULL)
		fputs("null", j->f);
	else
		put_string(j->f, s);
}

void
bench_json_u64(struct bench_json *j, const char *key, uint64_t v)
{
	prefix(j, key);
	fprintf(j->f, "%" PRIu64, v);
}

void
bench_json_i64(struct bench_json *j, const char *key, int64_t v)
{
	prefix(j, key);
	fprintf(j->f, "%" PRId64, v);
}

void
bench_json_num(struct bench_json *j, const char *key, double v)
{
	prefix(j, key);
	if (isfinite(v))
		fprintf(j->f, "%.10g", v);
	else
		fputs("null", j->f);
}

void
bench_json_bool(struct bench_json *j, const char *key, bool v)
{
	prefix(j, key);
	fputs(v ? "true" : "false", j->f);
}

void
bench_json_null(struct bench_json *j, const char *key)
{
	prefix(j, key);
	fputs("null", j->f);
}
