#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# uiommu set-up and the README's two commands.
#
#   bash config/uiommu.sh run    install, build, start a manager on the soft
#                                backend, drive it with a simulated guest and
#                                print the results
#   bash config/uiommu.sh test   install, build, run every test suite that
#                                belongs in CI and print "N passed, N failed"
#
# Other subcommands: deps (install Debian packages), hugepages (reserve),
# build. Every step is idempotent and non-interactive. Run as root (or with
# sudo available): packages and hugepages need it. Where no hugepage can be
# had, everything runs with EAL --no-huge and this script says so.
#
# Environment:
#   UIOMMU_BUILD      build directory            (default: build)
#   UIOMMU_HUGEPAGES  2 MiB pages to reserve     (default: 512)
#   UIOMMU_NO_HUGE=1  do not use hugepages at all
#   UIOMMU_TEST_STAGES  test stages to run: default, asan, vm, fuzz
#                      (default: "default asan vm fuzz"; vm and fuzz skip
#                      themselves when QEMU or clang cannot run)
set -euo pipefail

SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${UIOMMU_BUILD:-build}
case "$BUILD" in /*) ;; *) BUILD="$SRC/$BUILD" ;; esac
NR_HUGE=${UIOMMU_HUGEPAGES:-512}

PACKAGES=(libdpdk-dev dpdk-dev dpdk libnuma-dev meson ninja-build
	  libcunit1-dev pkg-config gcc clang libclang-rt-dev python3
	  gnuplot-nox)

say() { printf 'uiommu: %s\n' "$*"; }
die() { printf 'uiommu: error: %s\n' "$*" >&2; exit 1; }

as_root() {
	if [ "$(id -u)" -eq 0 ]; then
		"$@"
	elif command -v sudo >/dev/null 2>&1; then
		sudo -n "$@" || die "needs root for: $*  (run as root or configure sudo)"
	else
		die "needs root for: $*  (run as root)"
	fi
}

cmd_deps() {
	local missing=()
	for p in "${PACKAGES[@]}"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
			missing+=("$p")
	done
	if [ ${#missing[@]} -eq 0 ]; then
		say "packages: all ${#PACKAGES[@]} present"
		return 0
	fi
	say "installing: ${missing[*]}"
	as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
	as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
		--no-install-recommends "${missing[@]}" >/dev/null
}

free_hugepages() {
	cat /sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages 2>/dev/null || echo 0
}

cmd_hugepages() {
	if [ "${UIOMMU_NO_HUGE:-0}" != 0 ]; then
		say "hugepages: disabled by UIOMMU_NO_HUGE; running with --no-huge"
		return 0
	fi
	local have
	have=$(cat /proc/sys/vm/nr_hugepages 2>/dev/null || echo 0)
	if [ "$have" -lt "$NR_HUGE" ]; then
		as_root sh -c "echo $NR_HUGE > /proc/sys/vm/nr_hugepages" 2>/dev/null || true
	fi
	if ! grep -qs ' /dev/hugepages hugetlbfs ' /proc/mounts; then
		as_root mkdir -p /dev/hugepages 2>/dev/null || true
		as_root mount -t hugetlbfs nodev /dev/hugepages 2>/dev/null || true
	fi
	local free
	free=$(free_hugepages)
	if [ "$free" -ge 64 ] && grep -qs ' /dev/hugepages hugetlbfs ' /proc/mounts; then
		say "hugepages: $free free 2 MiB pages, hugetlbfs at /dev/hugepages"
	else
		say "hugepages: none could be reserved ($free free); everything runs with --no-huge"
		export UIOMMU_NO_HUGE=1
	fi
}

cmd_build() {
	local dir=${1:-$BUILD}
	shift || true
	if [ ! -f "$dir/build.ninja" ]; then
		meson setup "$dir" "$SRC" "$@" >/dev/null ||
			die "meson setup failed (see $dir/meson-logs/meson-log.txt)"
	fi
	ninja -C "$dir" >/dev/null || { ninja -C "$dir"; die "build failed"; }
	say "built in $dir"
}

# Print one line "N passed, N failed[, N skipped]" for a meson test log and
# add the counts to the running totals.
TOT_PASS=0 TOT_FAIL=0 TOT_SKIP=0
count_log() {
	local log=$1 counts
	counts=$(python3 - "$log" <<'PY'
import json, sys
p = f = s = 0
try:
    for line in open(sys.argv[1]):
        r = json.loads(line).get("result", "")
        if r in ("OK", "EXPECTEDFAIL"):
            p += 1
        elif r == "SKIP":
            s += 1
        else:
            f += 1
except FileNotFoundError:
    # meson did not run at all: count it, never let a stage vanish silently
    print("no test log " + sys.argv[1], file=sys.stderr)
    f += 1
print(p, f, s)
PY
)
	set -- $counts
	TOT_PASS=$((TOT_PASS + $1)) TOT_FAIL=$((TOT_FAIL + $2)) TOT_SKIP=$((TOT_SKIP + $3))
	say "stage totals: $1 passed, $2 failed, $3 skipped"
}

run_meson_test() {
	local dir=$1; shift
	# meson names the log after the test setup (testlog-vm.json, ...).
	rm -f "$dir"/meson-logs/testlog*.json
	meson test -C "$dir" --print-errorlogs "$@" || true
	local log
	log=$(ls -t "$dir"/meson-logs/testlog*.json 2>/dev/null | head -n 1)
	count_log "${log:-$dir/meson-logs/testlog.json}"
}

cmd_test() {
	cmd_deps
	cmd_hugepages
	local stages=${UIOMMU_TEST_STAGES:-default asan vm fuzz}
	for st in $stages; do
		case $st in
		default)
			say "== stage default: unit, integration, smoke"
			cmd_build "$BUILD"
			run_meson_test "$BUILD"
			;;
		asan)
			say "== stage asan: the same suites under ASan + UBSan"
			cmd_build "$BUILD-asan" -Db_sanitize=address,undefined \
				-Db_lundef=false -Dfault_injection=true
			ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
			UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
				run_meson_test "$BUILD-asan"
			;;
		vm)
			if [ -f "$SRC/test/vm/meson.build" ]; then
				say "== stage vm: real kernels in QEMU (TCG)"
				# QEMU, busybox, a Debian kernel and the IOMMUFD kernel,
				# cached outside the tree (the kernel build takes 10-25
				# minutes the first time). Tests skip, saying why, when
				# something cannot be had.
				bash "$SRC/test/vm/vm-env.sh" all ||
					say "vm environment incomplete; affected vm tests will skip"
				cmd_build "$BUILD"
				run_meson_test "$BUILD" --setup vm --suite vm
			fi
			;;
		fuzz)
			if [ -f "$SRC/test/fuzz/meson.build" ] && command -v clang >/dev/null; then
				say "== stage fuzz: libFuzzer targets, short budget"
				CC=clang cmd_build "$BUILD-fuzz" -Dfuzz=true \
					-Db_sanitize=address,undefined -Db_lundef=false
				run_meson_test "$BUILD-fuzz" --setup fuzz --suite fuzz
			fi
			;;
		*) die "unknown test stage '$st'" ;;
		esac
	done
	local line="$TOT_PASS passed, $TOT_FAIL failed"
	[ "$TOT_SKIP" -gt 0 ] && line="$line, $TOT_SKIP skipped"
	echo "$line"
	[ "$TOT_FAIL" -eq 0 ]
}

cmd_run() {
	cmd_deps
	cmd_hugepages
	cmd_build "$BUILD"
	exec bash "$SRC/config/demo.sh" "$BUILD"
}

case "${1:-}" in
deps) cmd_deps ;;
hugepages) cmd_hugepages ;;
build) cmd_deps; cmd_build "$BUILD" ;;
test) cmd_test ;;
run) cmd_run ;;
-h|--help|help|"")
	sed -n '3,26p' "$0" | sed 's/^# \{0,1\}//'
	[ -n "${1:-}" ] || exit 2
	;;
*) die "unknown command '$1' (try: run, test, deps, hugepages, build)" ;;
esac
