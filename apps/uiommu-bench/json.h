/* SPDX-License-Identifier: BSD-3-Clause */
/**
 * @file
 * A minimal streaming JSON writer for uiommu-bench's reports.
 *
 * Keys and strings are escaped per RFC 8259; non-finite numbers are
 * written as null. The writer tracks nesting so commas are placed for the
 * caller; a key is passed inside objects and NULL inside arrays. Errors of
 * the underlying stream are sticky and reported by bench_json_fini().
 */
#ifndef BENCH_JSON_H
#define BENCH_JSON_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/** Deepest nesting the writer supports. */
#define BENCH_JSON_DEPTH 16

/** Writer state; initialise with bench_json_init(). */
struct bench_json {
	FILE *f;
	unsigned int depth;
	bool need_comma[BENCH_JSON_DEPTH];
	bool overflow;   /**< nesting exceeded BENCH_JSON_DEPTH */
};

/**
 * Start writing to a stream.
 * @param j  writer
 * @param f  stream
 */
void bench_json_init(struct bench_json *j, FILE *f);

/**
 * Finish: check nesting and the stream.
 * @param j  writer
 * @return 0, -EINVAL (unbalanced or too deep nesting), -EIO (stream error).
 */
int bench_json_fini(struct bench_json *j);

/**
 * Open an object.
 * @param j    writer
 * @param key  member name inside an object; NULL at top level or in an array
 */
void bench_json_obj_begin(struct bench_json *j, const char *key);

/**
 * Close the innermost object.
 * @param j  writer
 */
void bench_json_obj_end(struct bench_json *j);

/**
 * Open an array.
 * @param j    writer
 * @param key  as for bench_json_obj_begin()
 */
void bench_json_arr_begin(struct bench_json *j, const char *key);

/**
 * Close the innermost array.
 * @param j  writer
 */
void bench_json_arr_end(struct bench_json *j);

/**
 * Write a string.
 * @param j    writer
 * @param key  as for bench_json_obj_begin()
 * @param s    the string, or NULL to write null
 */
void bench_json_str(struct bench_json *j, const char *key, const char *s);

/**
 * Write an unsigned integer.
 * @param j    writer
 * @param key  as for bench_json_obj_begin()
 * @param v    value
 */
void bench_json_u64(struct bench_json *j, const char *key, uint64_t v);

/**
 * Write a signed integer.
 * @param j    writer
 * @param key  as for bench_json_obj_begin()
 * @param v    value
 */
void bench_json_i64(struct bench_json *j, const char *key, int64_t v);

/**
 * Write a number; NaN and infinities are written as null.
 * @param j    writer
 * @param key  as for bench_json_obj_begin()
 * @param v    value
 */
void bench_json_num(struct bench_json *j, const char *key, double v);

/**
 * Write a boolean.
 * @param j    writer
 * @param key  as for bench_json_obj_begin()
 * @param v    value
 */
void bench_json_bool(struct bench_json *j, const char *key, bool v);

/**
 * Write null.
 * @param j    writer
 * @param key  as for bench_json_obj_begin()
 */
void bench_json_null(struct bench_json *j, const char *key);

#endif /* BENCH_JSON_H */
