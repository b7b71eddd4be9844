#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# The README's main job, run by `bash config/uiommu.sh run` after set-up and
# build (argument: the build directory):
#
#   1. start uiommu-mgr on the soft backend (EAL: lcores 0-1, no PCI,
#      in-memory; with --no-huge -m 512 when UIOMMU_NO_HUGE=1 or no 2 MiB
#      hugepage is free), wait for its control socket;
#   2. run uiommu-guest: two simulated VMs, each with two vCMDQs and three
#      soft DMA engines, a mixed workload (strict and lazy unmaps, CD/STE
#      changes) for a few seconds, every DMA verified byte for byte and every
#      provoked fault checked;
#   3. show the manager's counters with uiommu-ctl stats;
#   4. stop the manager with SIGTERM and exit with the guest's status
#      (0 = everything verified).
#
# Environment: UIOMMU_NO_HUGE=1 (no hugepages), UIOMMU_DEMO_SECONDS
# (workload length, default 5).
set -euo pipefail

BUILD=${1:?usage: demo.sh BUILD_DIR}
MGR=$BUILD/apps/uiommu-mgr/uiommu-mgr
GUEST=$BUILD/apps/uiommu-guest/uiommu-guest
CTL=$BUILD/apps/uiommu-ctl/uiommu-ctl
SECONDS_RUN=${UIOMMU_DEMO_SECONDS:-5}

say() { printf 'uiommu: %s\n' "$*"; }
die() { printf 'uiommu: error: %s\n' "$*" >&2; exit 2; }

for b in "$MGR" "$GUEST" "$CTL"; do
	[ -x "$b" ] || die "$b is not built (run: bash config/uiommu.sh build)"
done

RUN=$(mktemp -d /tmp/uiommu-demo.XXXXXX)
SOCK=$RUN/mgr.sock
MGR_PID=

cleanup() {
	if [ -n "$MGR_PID" ] && kill -0 "$MGR_PID" 2>/dev/null; then
		kill -TERM "$MGR_PID" 2>/dev/null || true
		wait "$MGR_PID" 2>/dev/null || true
	fi
	rm -rf "$RUN"
}
trap cleanup EXIT

# Memory: hugepages unless the set-up said no or none is free.
free_huge=$(cat /sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages 2>/dev/null || echo 0)
EAL=(-l 0-1 --no-pci --in-memory --file-prefix uiommu-demo
     --log-level=lib.eal:error)
GUEST_MEM=()
if [ "${UIOMMU_NO_HUGE:-0}" != 0 ] || [ "${free_huge:-0}" -eq 0 ]; then
	EAL+=(--no-huge -m 512)
	GUEST_MEM=(--no-huge)
	say "memory: no hugepages (UIOMMU_NO_HUGE=${UIOMMU_NO_HUGE:-0}, $free_huge free): EAL --no-huge -m 512, guest RAM on ordinary memfds"
else
	say "memory: $free_huge free 2 MiB hugepages: manager tables and guest RAM on hugetlbfs"
fi

say "starting uiommu-mgr (soft backend) on $SOCK"
"$MGR" "${EAL[@]}" -- --socket "$SOCK" --backend soft >"$RUN/mgr.log" 2>&1 &
MGR_PID=$!
for _ in $(seq 1 300); do
	[ -S "$SOCK" ] && break
	if ! kill -0 "$MGR_PID" 2>/dev/null; then
		cat "$RUN/mgr.log" >&2
		MGR_PID=
		die "uiommu-mgr exited before opening its socket (log above)"
	fi
	sleep 0.1
done
[ -S "$SOCK" ] || { cat "$RUN/mgr.log" >&2; die "uiommu-mgr did not open $SOCK within 30 s"; }
say "uiommu-mgr running (pid $MGR_PID)"

say "running uiommu-guest: 2 VMs x 2 vCMDQs x 3 soft DMA engines, mixed workload, ${SECONDS_RUN} s"
echo
set +e
"$GUEST" --socket "$SOCK" --vms 2 --queues 2 --devices 3 \
	--workload mixed --duration "$SECONDS_RUN" --buf-size 8K \
	"${GUEST_MEM[@]}"
guest_rc=$?
set -e
echo

say "manager counters (uiommu-ctl stats):"
"$CTL" --socket "$SOCK" stats || say "uiommu-ctl stats failed (exit $?)"
echo

say "stopping uiommu-mgr (SIGTERM)"
kill -TERM "$MGR_PID"
set +e
wait "$MGR_PID"
mgr_rc=$?
set -e
MGR_PID=
if [ "$mgr_rc" -ne 0 ]; then
	cat "$RUN/mgr.log" >&2
	say "uiommu-mgr exited with status $mgr_rc (log above)"
fi

case $guest_rc in
0) say "result: PASS: every DMA verified byte for byte, every expected fault seen and reported" ;;
1) say "result: FAIL: a verification failed (see the errors above)" ;;
*) say "result: FAIL: the simulation could not run (exit $guest_rc, see above)" ;;
esac
[ "$guest_rc" -ne 0 ] || [ "$mgr_rc" -eq 0 ] || guest_rc=2
exit "$guest_rc"
