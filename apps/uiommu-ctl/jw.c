/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A minimal streaming JSON writer: objects, arrays, strings, integers,
 * booleans; commas and escaping handled here so callers only say what.
 *
 * Design. A stack of "first element" flags (one per open container) is
 * all the state: every value first writes a comma unless it is the first
 * of its container, then its key when inside an object. Depth is bounded
 * (JW_MAX_DEPTH); output of deeper levels is a programming error and is
 * clamped rather than overflowing.
 */
#include <inttypes.h>

#include "ctl.h"

void
jw_init(struct jw *j, FILE *f)
{
	j->f = f;
	j->depth = 0;
	j->first[0] = true;
}

static void
put_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; s != NULL && *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20 || c >= 0x7f)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

static void
prefix(struct jw *j, const char *key)
{
	if (!j->first[j->depth])
		fputs(", ", j->f);
	j->first[j->depth] = false;
	if (key != NULL) {
		put_str(j->f, key);
		fputs(": ", j->f);
	}
}

static void
open_c(struct jw *j, const char *key, char c)
{
	prefix(j, key);
	fputc(c, j->f);
	if (j->depth < JW_MAX_DEPTH - 1)
		j->depth++;
	j->first[j->depth] = true;
}

static void
close_c(struct jw *j, char c)
{
	fputc(c, j->f);
	if (j->depth > 0)
		j->depth--;
}

void
jw_obj(struct jw *j, const char *key)
{
	open_c(j, key, '{');
}

void
jw_obj_end(struct jw *j)
{
	close_c(j, '}');
}

void
jw_arr(struct jw *j, const char *key)
{
	open_c(j, key, '[');
}

void
jw_arr_end(struct jw *j)
{
	close_c(j, ']');
}

void
jw_u64(struct jw *j, const char *key, uint64_t v)
{
	prefix(j, key);
	fprintf(j->f, "%" PRIu64, v);
}

void
jw_i64(struct jw *j, const char *key, int64_t v)
{
	prefix(j, key);
	fprintf(j->f, "%" PRId64, v);
}

void
jw_str(struct jw *j, const char *key, const char *s)
{
	prefix(j, key);
	put_str(j->f, s);
}

void
jw_bool(struct jw *j, const char *key, bool v)
{
	prefix(j, key);
	fputs(v ? "true" : "false", j->f);
}

void
jw_done(struct jw *j)
{
	fputc('\n', j->f);
	fflush(j->f);
}
