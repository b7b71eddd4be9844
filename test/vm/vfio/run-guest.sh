#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
#
# run-guest.sh: runs inside the test guest (busybox sh, from /test/run.sh).
# Starts uiommu-mgr on the vfio backend (DPDK EAL without hugepages, PCI
# or shared files, one lcore: queues are polled inline between socket
# events), runs the guest driver vfio_shadow_edu against it, stops the
# manager with SIGTERM and prints its log. Exit status: the driver's, or 1
# when the manager did not stop cleanly.
SOCK=/tmp/uiommu.sock
LOG=/tmp/uiommu-mgr.log

echo "run-guest: starting uiommu-mgr (vfio backend)"
/test/bin/uiommu-mgr --no-huge --no-pci --in-memory -l 0 --no-telemetry \
	--log-level=uiommu.vfio:info -- --socket "$SOCK" --backend vfio \
	>"$LOG" 2>&1 &
MGR=$!

/test/bin/vfio_shadow_edu --socket "$SOCK" --bdf "$EDU_BDF" ${VFIO_EDU_ARGS:-}
rc=$?

kill -TERM "$MGR" 2>/dev/null
wait "$MGR"
mrc=$?
echo "run-guest: ---- uiommu-mgr log (exit $mrc) ----"
cat "$LOG"
echo "run-guest: ---- end of log ----"
if [ "$rc" -eq 0 ] && [ "$mrc" -ne 0 ]; then
	echo "run-guest: FAIL: uiommu-mgr exited with $mrc"
	rc=1
fi
exit "$rc"
