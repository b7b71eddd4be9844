#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# run-qemu.sh: boots a kernel + initramfs made by mkinitramfs.sh in a QEMU
# q35 guest under TCG and returns the guest test's exit code.
#
# The guest always runs under TCG: on the build machines /dev/kvm exists but
# a KVM guest hangs right after the BIOS, so KVM is never tried.
#
# Usage: run-qemu.sh --kernel FILE --initrd FILE [--initrd FILE]...
#            [--iommu vtd|virtio|none] [--append 'WORDS'] [--timeout SEC]
#            [--log FILE] [--mem SIZE] [--smp N] [--edu N]
#
#   --iommu vtd     (default) emulated Intel VT-d: -device intel-iommu with
#                   interrupt remapping and caching mode; intel_iommu=on
#   --iommu virtio  -device virtio-iommu-pci, intel_iommu=off, unsafe
#                   interrupts allowed for vfio type1 and iommufd (no IRQ
#                   remapping behind virtio-iommu)
#   --iommu none    no IOMMU at all
#   Several --initrd files are concatenated (the kernel unpacks each).
#   The serial console goes to --log (default: a temp file, printed on
#   failure). --timeout (default 300 s) is a hard limit on QEMU.
#
# Exit status: the N of the guest's `UIOMMU-VM-RESULT: rc=N` line; 77 (meson
# "skip") when QEMU is missing or cannot start at all; 124 on timeout; 1
# when the guest ended without a result line.
set -euo pipefail

QEMU=${UIOMMU_VM_QEMU:-qemu-system-x86_64}
kernel="" initrds=() iommu=vtd append="" timeout=300 log="" mem=1G smp=2 edu=1

die() { echo "run-qemu: error: $*" >&2; exit 1; }
skip() { echo "run-qemu: SKIP: $*" >&2; exit 77; }

while [ $# -gt 0 ]; do
	case "$1" in
	--kernel) kernel=$2; shift 2 ;;
	--initrd) initrds+=("$2"); shift 2 ;;
	--iommu) iommu=$2; shift 2 ;;
	--append) append=$2; shift 2 ;;
	--timeout) timeout=$2; shift 2 ;;
	--log) log=$2; shift 2 ;;
	--mem) mem=$2; shift 2 ;;
	--smp) smp=$2; shift 2 ;;
	--edu) edu=$2; shift 2 ;;
	*) die "unknown argument $1 (see the header of $0)" ;;
	esac
done
[ -n "$kernel" ] && [ ${#initrds[@]} -gt 0 ] || die "--kernel and --initrd are required"
[ -r "$kernel" ] || skip "kernel $kernel not readable"
command -v "$QEMU" >/dev/null ||
	skip "$QEMU not found (apt-get install qemu-system-x86, or test/vm/vm-env.sh deps)"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cat "${initrds[@]}" >"$work/initrd"
[ -n "$log" ] || log="$work/console.log"
: >"$log"

cmdline="console=ttyS0 panic=-1 quiet loglevel=4 no_timer_check"
devices=()
case "$iommu" in
vtd)
	devices+=(-device "intel-iommu,intremap=on,caching-mode=on")
	cmdline+=" intel_iommu=on"
	;;
virtio)
	devices+=(-device virtio-iommu-pci)
	cmdline+=" intel_iommu=off vfio_iommu_type1.allow_unsafe_interrupts=1"
	cmdline+=" iommufd.allow_unsafe_interrupts=1"
	;;
none) ;;
*) die "--iommu must be vtd, virtio or none" ;;
esac
for _ in $(seq 1 "$edu"); do
	devices+=(-device edu)
done
[ -n "$append" ] && cmdline+=" $append"

args=(-accel tcg -cpu max -M q35 -m "$mem" -smp "$smp"
	"${devices[@]}"
	-kernel "$kernel" -initrd "$work/initrd" -append "$cmdline"
	-net none -nographic -serial "file:$log" -monitor none -no-reboot)
echo "run-qemu: $QEMU ${args[*]}" >&2

t0=$(date +%s.%N)
set +e
timeout -k 10 "$timeout" "$QEMU" "${args[@]}" </dev/null >"$work/qemu.out" 2>&1
qrc=$?
set -e
t1=$(date +%s.%N)
elapsed=$(echo "$t1 - $t0" | bc)

result=$(grep -a -o 'UIOMMU-VM-RESULT: rc=[0-9]*' "$log" | tail -n1 || true)
show_log() {
	echo "run-qemu: ---- QEMU output ----" >&2
	cat "$work/qemu.out" >&2
	echo "run-qemu: ---- guest console (last 80 lines of $log) ----" >&2
	tail -n 80 "$log" | tr -d '\r' >&2
}

if [ -z "$result" ]; then
	if [ $qrc -ne 0 ] && [ $qrc -ne 124 ] && [ $qrc -ne 137 ] && [ ! -s "$log" ]; then
		cat "$work/qemu.out" >&2
		skip "QEMU could not start (exit $qrc)"
	fi
	show_log
	if [ $qrc -eq 124 ] || [ $qrc -eq 137 ]; then
		echo "run-qemu: FAIL: timeout after $timeout s" >&2
		exit 124
	fi
	echo "run-qemu: FAIL: the guest ended without a result line (QEMU exit $qrc)" >&2
	exit 1
fi
rc=${result##*rc=}
# Console output of the guest goes to our stdout so test logs carry it.
tr -d '\r' <"$log"
echo "run-qemu: guest result rc=$rc; boot+test took $(printf '%.1f' "$elapsed") s wall" \
	"(TCG, iommu=$iommu)" >&2
exit "$rc"
