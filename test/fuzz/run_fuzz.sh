#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
#
# Run one libFuzzer target for a fixed time over its committed seed corpus
# (the 'fuzz' suite). Usage:
#
#   run_fuzz.sh TARGET_EXE NAME SEED_DIR WORK_DIR [libFuzzer options...]
#
# New inputs go to WORK_DIR/corpus/NAME (in the build tree, never into the
# source tree); crashes, leaks and timeouts to WORK_DIR/artifacts/NAME/.
# Environment:
#   UIOMMU_FUZZ_TIME   seconds per target (default 20)
#   UIOMMU_FUZZ_JOBS   libFuzzer -jobs/-workers (default 1)
# The last lines printed are libFuzzer's final statistics (executions,
# coverage, features), which doc/hardening.md quotes.
set -eu

exe=$1 name=$2 seeds=$3 work=$4
shift 4
time=${UIOMMU_FUZZ_TIME:-20}
corpus="$work/corpus/$name"
art="$work/artifacts/$name"
mkdir -p "$corpus" "$art"

# Keep the working corpus but start from the seeds too (merged by libFuzzer).
set -- -max_total_time="$time" -print_final_stats=1 -timeout=10 \
	-rss_limit_mb=3072 -artifact_prefix="$art/" "$@" "$corpus"
[ -d "$seeds" ] && set -- "$@" "$seeds"

: "${ASAN_OPTIONS:=detect_leaks=1:abort_on_error=1:allocator_may_return_null=1}"
: "${UBSAN_OPTIONS:=halt_on_error=1:abort_on_error=1:print_stacktrace=1}"
export ASAN_OPTIONS UBSAN_OPTIONS

log="$work/$name.log"
status=0
"$exe" "$@" >"$log" 2>&1 || status=$?
# The whole log when it failed; the statistics either way.
if [ "$status" -ne 0 ]; then
	cat "$log"
	echo "fuzz $name: FAILED (exit $status); reproducer in $art/" >&2
	exit 1
fi
grep -E '^#[0-9]+[[:space:]]+(INITED|DONE)|^stat::|^fuzz-stat ' "$log" || true
echo "fuzz $name: OK after ${time}s"
