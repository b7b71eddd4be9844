#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# vm-env.sh: prepares what the 'vm' test suite boots, outside the tree.
#
# Everything lands in one cache directory ($UIOMMU_VM_CACHE, default
# /var/cache/uiommu-vm) so repeated test runs rebuild nothing:
#
#   debian/<pkg>_<version>/    a Debian kernel package extracted with
#                              dpkg-deb -x (never installed): boot/vmlinuz-*
#                              and lib/modules/<kver>/
#   src/linux-source-<ver>/    Debian's linux-source-6.12 tree, unpacked
#   iommufd-kernel/<hash>/     a built bzImage + its .config; <hash> covers
#                              the config fragment and the source version
#   iommufd-kernel/build/      the kernel's O= build directory (reused)
#   initramfs/                 cached base initramfs images (mkinitramfs.sh)
#
# Subcommands (all idempotent, non-interactive):
#   deps                 apt-get install the host packages the suite needs
#   debian-kernel        download + extract the Debian kernel; prints its
#                        variables (see `env`)
#   build-kernel [--background]
#                        build the IOMMUFD kernel (slow: ~10-30 min on two
#                        shared cores; niced, -j2); --background detaches and
#                        prints the log path
#   kernel-status        says whether the IOMMUFD kernel for the current
#                        fragment is built, building, or missing
#   env debian|iommufd   prints shell assignments KERNEL=, KVER=, MODROOT=
#                        for the chosen kernel (exit 77 if not available)
#   all                  deps, debian-kernel, build-kernel
#
# Exit codes: 0 ok, 77 "cannot be provided here" (the test suite turns this
# into a meson skip), 1 other errors.
set -euo pipefail

CACHE=${UIOMMU_VM_CACHE:-/var/cache/uiommu-vm}
SELF_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
FRAGMENT=${UIOMMU_VM_KCONFIG:-$SELF_DIR/iommufd-kernel.config}
# Bump when the recipe below changes in a way that needs a rebuild.
RECIPE=1
SRC_PKG=linux-source-6.12
JOBS=${UIOMMU_VM_JOBS:-2}

export DEBIAN_FRONTEND=noninteractive

log() { echo "vm-env: $*" >&2; }
die() { echo "vm-env: error: $*" >&2; exit 1; }
skip() { echo "vm-env: SKIP: $*" >&2; exit 77; }

# Host packages: QEMU, initramfs tools, and the kernel build dependencies.
HOST_PKGS=(qemu-system-x86 busybox-static cpio kmod gzip xz-utils zstd
	coreutils util-linux
	make gcc libc6-dev bc bison flex libelf-dev libssl-dev dwarves
	python3 rsync "$SRC_PKG")

mkcache() {
	mkdir -p "$CACHE" || skip "cannot create cache dir $CACHE (set UIOMMU_VM_CACHE)"
	[ -w "$CACHE" ] || skip "cache dir $CACHE is not writable (set UIOMMU_VM_CACHE)"
}

# Run "$@" holding an exclusive lock named $1 in the cache.
with_lock() {
	local name=$1; shift
	mkcache
	exec {lockfd}>"$CACHE/.$name.lock"
	flock "$lockfd"
	"$@"
	local rc=$?
	exec {lockfd}>&-
	return $rc
}

missing_pkgs() {
	local p out=()
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
			grep -q 'install ok installed' || out+=("$p")
	done
	echo "${out[*]:-}"
}

cmd_deps() {
	local miss
	miss=$(missing_pkgs "${HOST_PKGS[@]}")
	if [ -z "$miss" ]; then
		log "host packages already installed"
		return 0
	fi
	[ "$(id -u)" = 0 ] || die "need root to install: $miss"
	log "installing: $miss"
	apt-get update -qq || log "apt-get update failed; trying with the current lists"
	# shellcheck disable=SC2086
	apt-get install -y -qq --no-install-recommends $miss >&2 ||
		die "apt-get install failed"
}

# --- Debian kernel ---------------------------------------------------------

# The kernel image package linux-image-amd64 points at, unless pinned.
debian_image_pkg() {
	if [ -n "${UIOMMU_VM_DEBIAN_KERNEL:-}" ]; then
		echo "$UIOMMU_VM_DEBIAN_KERNEL"
		return
	fi
	apt-cache depends linux-image-amd64 2>/dev/null |
		sed -n 's/^ *Depends: \(linux-image-[0-9].*-amd64\)$/\1/p' | head -n1
}

# Newest already-extracted Debian kernel in the cache (for offline reuse).
debian_cached_dir() {
	local d
	d=$(ls -d "$CACHE"/debian/*/.done 2>/dev/null | sort -V | tail -n1)
	[ -n "$d" ] && dirname "$d"
}

debian_fetch() {
	local pkg ver dir tmp deb memo="$CACHE/debian/.resolved"
	# apt-cache takes seconds on a busy machine: reuse the last answer
	# until the package lists change (apt-get update) or the pin does.
	if [ -s "$memo" ] && [ "$memo" -nt /var/lib/apt/lists ] &&
		[ "$(sed -n 1p "$memo")" = "pin=${UIOMMU_VM_DEBIAN_KERNEL:-}" ]; then
		dir=$(sed -n 2p "$memo")
		if [ -e "$dir/.done" ]; then
			echo "$dir"
			return 0
		fi
	fi
	pkg=$(debian_image_pkg)
	if [ -z "$pkg" ]; then
		dir=$(debian_cached_dir) || true
		[ -n "$dir" ] && { echo "$dir"; return 0; }
		skip "no Debian kernel package known to apt (run apt-get update)"
	fi
	ver=$(apt-cache policy "$pkg" 2>/dev/null | sed -n 's/^ *Candidate: //p')
	[ -n "$ver" ] && [ "$ver" != "(none)" ] ||
		skip "apt has no candidate for $pkg"
	dir="$CACHE/debian/${pkg}_$ver"
	if [ -e "$dir/.done" ]; then
		printf 'pin=%s\n%s\n' "${UIOMMU_VM_DEBIAN_KERNEL:-}" "$dir" >"$memo"
		echo "$dir"
		return 0
	fi
	log "downloading $pkg $ver (extracted, not installed)"
	tmp=$(mktemp -d "$CACHE/.dl.XXXXXX")
	if ! (cd "$tmp" && apt-get download -q -o APT::Sandbox::User=root "$pkg=$ver" >&2); then
		rm -rf "$tmp"
		dir=$(debian_cached_dir) || true
		[ -n "$dir" ] && { log "download failed; using cached $dir"; echo "$dir"; return 0; }
		skip "apt-get download $pkg failed (no network?)"
	fi
	deb=$(ls "$tmp"/*.deb)
	rm -rf "$dir"
	mkdir -p "$dir"
	dpkg-deb -x "$deb" "$dir" || { rm -rf "$tmp" "$dir"; die "dpkg-deb -x failed"; }
	rm -rf "$tmp"
	touch "$dir/.done"
	printf 'pin=%s\n%s\n' "${UIOMMU_VM_DEBIAN_KERNEL:-}" "$dir" >"$memo"
	log "extracted into $dir"
	echo "$dir"
}

debian_env() {
	local dir=$1 vmlinuz kver
	vmlinuz=$(ls "$dir"/boot/vmlinuz-* 2>/dev/null | head -n1)
	[ -n "$vmlinuz" ] || die "no vmlinuz in $dir"
	kver=${vmlinuz##*/vmlinuz-}
	echo "KERNEL=$vmlinuz"
	echo "KVER=$kver"
	echo "MODROOT=$dir"
	echo "KFLAVOUR=debian"
}

cmd_debian_kernel() {
	local dir
	dir=$(with_lock debian debian_fetch)
	debian_env "$dir"
}

# --- IOMMUFD kernel --------------------------------------------------------

src_version() {
	dpkg-query -W -f='${Version}' "$SRC_PKG" 2>/dev/null || true
}

kernel_hash() {
	local sv
	sv=$(src_version)
	[ -n "$sv" ] || { echo none; return; }
	{ echo "recipe=$RECIPE src=$SRC_PKG=$sv base=tinyconfig"; cat "$FRAGMENT"; } |
		sha256sum | cut -c1-16
}

kernel_dir() { echo "$CACHE/iommufd-kernel/$(kernel_hash)"; }

cmd_kernel_status() {
	local d
	d=$(kernel_dir)
	if [ -e "$d/bzImage" ]; then
		echo "built: $d/bzImage"
	elif [ -e "$CACHE/iommufd-kernel/.building" ] &&
		kill -0 "$(cat "$CACHE/iommufd-kernel/.building")" 2>/dev/null; then
		echo "building (log: $CACHE/iommufd-kernel/build.log)"
		return 1
	else
		echo "missing: run $0 build-kernel"
		return 1
	fi
}

kernel_build_locked() {
	local sv out src build tarball l
	sv=$(src_version)
	[ -n "$sv" ] || die "$SRC_PKG is not installed (run $0 deps)"
	out=$(kernel_dir)
	if [ -e "$out/bzImage" ]; then
		log "IOMMUFD kernel up to date: $out/bzImage"
		return 0
	fi
	tarball=$(ls /usr/src/linux-source-6.12.tar.* 2>/dev/null | head -n1)
	[ -n "$tarball" ] || die "no /usr/src/linux-source-6.12.tar.* (run $0 deps)"
	src="$CACHE/src/linux-source-6.12"
	if [ "$(cat "$src/.uiommu-version" 2>/dev/null)" != "$sv" ]; then
		log "unpacking $tarball ($sv)"
		rm -rf "$src"
		mkdir -p "$CACHE/src"
		nice -n 19 tar -C "$CACHE/src" -xf "$tarball"
		echo "$sv" >"$src/.uiommu-version"
	fi
	build="$CACHE/iommufd-kernel/build"
	mkdir -p "$build"
	echo $$ >"$CACHE/iommufd-kernel/.building"
	log "configuring (tinyconfig + $FRAGMENT)"
	make -s -C "$src" O="$build" tinyconfig >/dev/null
	"$src/scripts/kconfig/merge_config.sh" -m -O "$build" \
		"$build/.config" "$FRAGMENT" >/dev/null
	make -s -C "$src" O="$build" olddefconfig >/dev/null
	for l in $(grep -E '^CONFIG_[A-Z0-9_]+=' "$FRAGMENT"); do
		grep -qx "$l" "$build/.config" ||
			die "config option lost after olddefconfig: $l (missing dependency?)"
	done
	log "building bzImage with -j$JOBS, niced (log: $CACHE/iommufd-kernel/build.log)"
	local t0=$SECONDS
	if ! nice -n 19 make -C "$src" O="$build" -j"$JOBS" bzImage \
			>"$CACHE/iommufd-kernel/build.log" 2>&1; then
		rm -f "$CACHE/iommufd-kernel/.building"
		tail -n 30 "$CACHE/iommufd-kernel/build.log" >&2
		die "kernel build failed"
	fi
	mkdir -p "$out.tmp"
	cp "$build/arch/x86/boot/bzImage" "$out.tmp/bzImage"
	cp "$build/.config" "$out.tmp/config"
	make -s -C "$src" O="$build" kernelrelease >"$out.tmp/kernelrelease"
	rm -rf "$out"
	mv "$out.tmp" "$out"
	rm -f "$CACHE/iommufd-kernel/.building"
	log "IOMMUFD kernel built in $((SECONDS - t0)) s: $out/bzImage"
}

cmd_build_kernel() {
	if [ "${1:-}" = "--background" ]; then
		mkcache
		mkdir -p "$CACHE/iommufd-kernel"
		setsid nohup "$0" build-kernel </dev/null \
			>"$CACHE/iommufd-kernel/driver.log" 2>&1 &
		echo "vm-env: kernel build started in background (pid $!)"
		echo "vm-env: progress: $CACHE/iommufd-kernel/driver.log, build.log;" \
			"check with: $0 kernel-status"
		return 0
	fi
	with_lock kernel kernel_build_locked
}

cmd_env() {
	case "${1:-}" in
	debian)
		cmd_debian_kernel
		;;
	iommufd)
		local d
		d=$(kernel_dir)
		[ -e "$d/bzImage" ] ||
			skip "IOMMUFD kernel not built for this fragment; run: $0 build-kernel"
		echo "KERNEL=$d/bzImage"
		echo "KVER=$(cat "$d/kernelrelease")"
		echo "MODROOT="
		echo "KFLAVOUR=iommufd"
		;;
	*) die "usage: $0 env debian|iommufd" ;;
	esac
}

case "${1:-}" in
deps) cmd_deps ;;
debian-kernel) cmd_debian_kernel ;;
build-kernel) shift; cmd_build_kernel "$@" ;;
kernel-status) cmd_kernel_status ;;
env) shift; cmd_env "$@" ;;
all) cmd_deps; cmd_debian_kernel; cmd_build_kernel ;;
*)
	sed -n '3,/^set -euo/p' "$0" | sed -e '/^set -euo/d' -e 's/^# \{0,1\}//' >&2
	exit 1
	;;
esac
