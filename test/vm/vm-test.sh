#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# vm-test.sh: one 'vm' suite test, start to end: pick the kernel, get the
# cached base initramfs, pack the test payload, boot, return the result.
#
# Usage: vm-test.sh --kernel debian|iommufd [--iommu vtd|virtio|none]
#            [--bin FILE[:DEST]]... [--tree DIR:DEST]... [--file SRC:DEST]...
#            [--timeout SEC] [--append 'WORDS'] [--edu N] [--mem SIZE]
#            --cmd 'COMMAND'
#
#   --kernel debian   Debian's stock kernel (downloaded + extracted once
#                     into the cache); VFIO modules go in the initramfs
#   --kernel iommufd  the project's IOMMUFD kernel, built beforehand with
#                     `test/vm/vm-env.sh build-kernel` (skips otherwise)
#   The remaining options go to mkinitramfs.sh payload and run-qemu.sh.
#
# Exit status: the guest test's exit code; 77 (skip) when QEMU, busybox or a
# kernel cannot be had on this machine.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
flavour="" iommu=vtd cmd="" timeout=300 payload_args=() qemu_args=()

die() { echo "vm-test: error: $*" >&2; exit 1; }
skip() { echo "vm-test: SKIP: $*" >&2; exit 77; }

while [ $# -gt 0 ]; do
	case "$1" in
	--kernel) flavour=$2; shift 2 ;;
	--iommu) iommu=$2; shift 2 ;;
	--cmd) cmd=$2; shift 2 ;;
	--timeout) timeout=$2; shift 2 ;;
	--bin|--tree|--file) payload_args+=("$1" "$2"); shift 2 ;;
	--append|--edu|--mem|--smp) qemu_args+=("$1" "$2"); shift 2 ;;
	*) die "unknown argument $1 (see the header of $0)" ;;
	esac
done
[ -n "$flavour" ] && [ -n "$cmd" ] || die "--kernel and --cmd are required"

t0=$SECONDS
command -v "${UIOMMU_VM_QEMU:-qemu-system-x86_64}" >/dev/null ||
	skip "${UIOMMU_VM_QEMU:-qemu-system-x86_64} not found (run: $HERE/vm-env.sh deps)"
command -v cpio >/dev/null || skip "cpio not installed (run: $HERE/vm-env.sh deps)"

# The kernel: KERNEL=, KVER=, MODROOT= (77 propagates as a skip).
set +e
envs=$("$HERE/vm-env.sh" env "$flavour")
rc=$?
set -e
[ $rc -eq 0 ] || exit $rc
eval "$envs"

base_args=()
[ -n "$MODROOT" ] && base_args=(--modroot "$MODROOT" --kver "$KVER")
set +e
base=$("$HERE/mkinitramfs.sh" base ${base_args[@]+"${base_args[@]}"})
rc=$?
set -e
[ $rc -eq 0 ] || exit $rc

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$HERE/mkinitramfs.sh" payload -o "$work/payload.cpio.gz" --cmd "$cmd" \
	${payload_args[@]+"${payload_args[@]}"} >/dev/null
echo "vm-test: kernel $KVER ($flavour), base $base, prepared in $((SECONDS - t0)) s" >&2

set +e
"$HERE/run-qemu.sh" --kernel "$KERNEL" --initrd "$base" \
	--initrd "$work/payload.cpio.gz" --iommu "$iommu" --timeout "$timeout" \
	${qemu_args[@]+"${qemu_args[@]}"}
rc=$?
set -e
echo "vm-test: rc=$rc, $((SECONDS - t0)) s in all" >&2
exit $rc
