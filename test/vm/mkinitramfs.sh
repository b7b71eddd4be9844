#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
#
# mkinitramfs.sh: busybox initramfs images for the 'vm' test guests.
#
# An image is made of two gzip'd newc cpio archives that the kernel unpacks
# one after the other (concatenated initrds are part of the initramfs
# format), so the slow-to-build, rarely-changing part is cached apart from
# the part each test brings:
#
#   base     busybox (static), /init, and the kernel modules needed for VFIO
#            with every dependency resolved from modules.dep, in load order.
#            Cached under $UIOMMU_VM_CACHE/initramfs/, keyed by a hash of
#            this script, the kernel release and the module list.
#   payload  the test: /test/run.sh (the command to run) plus any project
#            binaries, shared objects and directories, each ELF file's
#            shared libraries resolved with ldd and copied to the same path.
#
# Usage:
#   mkinitramfs.sh base [-o OUT] [--modroot DIR --kver KVER] [--module M]...
#       Without -o the image is cached and its path printed on stdout.
#       --modroot is the root holding lib/modules/KVER (an extracted kernel
#       .deb); without it (a kernel with everything built in) no modules are
#       included. Default modules: vfio vfio_iommu_type1 vfio-pci, plus
#       iommufd and virtio_iommu when the kernel has them as modules.
#   mkinitramfs.sh payload -o OUT --cmd 'COMMAND' [--bin PATH[:DEST]]...
#       [--tree DIR:DEST]... [--file SRC:DEST]...
#       --bin copies an ELF executable or shared object (DEST defaults to
#       /test/bin/<name>) and its libraries; --tree copies a directory and
#       the libraries of every ELF file inside; --file copies a file as is.
#       COMMAND runs from /init through `sh -c` with cwd /test, PATH
#       including /test/bin, and the variables of /run/uiommu-vm.env.
#
# The /init contract (what a test can rely on in the guest):
#   - /proc, /sys, /dev (devtmpfs), /tmp and /run (tmpfs) mounted; hugetlbfs
#     on /dev/hugepages with uiommu.hugepages=N 2 MiB pages (kernel cmdline);
#   - modules loaded in dependency order; NAME.param=value words on the
#     kernel command line are passed to insmod for module NAME;
#   - every QEMU edu device (PCI 1234:11e8) bound to vfio-pci through
#     driver_override; /run/uiommu-vm.env exports EDU_BDF and EDU_GROUP
#     (the first one) and EDU_COUNT;
#   - the result line `UIOMMU-VM-RESULT: rc=N` on the console, then
#     `poweroff -f`. Anything failing before the test gives rc=200+.
set -euo pipefail

CACHE=${UIOMMU_VM_CACHE:-/var/cache/uiommu-vm}
SELF=$(readlink -f "${BASH_SOURCE[0]}")
DEFAULT_MODULES=(vfio vfio_iommu_type1 vfio-pci)
OPTIONAL_MODULES=(iommufd virtio_iommu)

die() { echo "mkinitramfs: error: $*" >&2; exit 1; }
skip() { echo "mkinitramfs: SKIP: $*" >&2; exit 77; }

find_busybox() {
	local b
	for b in /bin/busybox /usr/bin/busybox; do
		if [ -x "$b" ] && ! ldd "$b" >/dev/null 2>&1; then
			echo "$b"
			return 0
		fi
	done
	skip "no static busybox (apt-get install busybox-static, or test/vm/vm-env.sh deps)"
}

# pack DIR OUT: newc cpio of DIR, gzip'd, written atomically.
pack() {
	local dir=$1 out=$2
	mkdir -p "$(dirname "$out")"
	(cd "$dir" && find . -mindepth 1 | LC_ALL=C sort |
		cpio --quiet -o -H newc -R 0:0) | gzip -1 >"$out.tmp.$$"
	mv "$out.tmp.$$" "$out"
}

# --- ELF + shared library copying -------------------------------------------

is_elf() { [ "$(head -c4 "$1" 2>/dev/null | od -An -c | tr -d ' ')" = '177ELF' ]; }

# copy_libs ROOT FILE: copies FILE's shared libraries (ldd) under ROOT.
copy_libs() {
	local root=$1 f=$2 lib
	# ldd prints "name => /path (addr)" or "/path (addr)"; static: no paths.
	for lib in $(ldd "$f" 2>/dev/null | grep -o '/[^ ]*' || true); do
		[ -e "$lib" ] || continue
		[ -e "$root$lib" ] && continue
		mkdir -p "$root$(dirname "$lib")"
		cp -L "$lib" "$root$lib"
	done
}

copy_elf() {
	local root=$1 src=$2 dest=$3
	[ -e "$src" ] || die "no such file: $src"
	mkdir -p "$root$(dirname "$dest")"
	cp -L "$src" "$root$dest"
	chmod +x "$root$dest" 2>/dev/null || true
	is_elf "$src" && copy_libs "$root" "$src"
	return 0
}

# --- modules ----------------------------------------------------------------

# Resolves module names to .ko paths (relative to lib/modules/KVER) in load
# order: dependencies first, each once.
declare -A MOD_SEEN=()
MOD_ORDER=()
mod_path() {
	local dep=$1 name=$2 n
	n=${name//-/_}
	awk -F: -v n="$n" '{
		p = $1; sub(/.*\//, "", p); sub(/\.ko(\.(xz|gz|zst))?$/, "", p);
		gsub(/-/, "_", p);
		if (p == n) { print $1; exit }
	}' "$dep"
}
mod_visit() {
	local dep=$1 path=$2 d
	[ -n "${MOD_SEEN[$path]:-}" ] && return 0
	MOD_SEEN[$path]=1
	for d in $(awk -F: -v p="$path" '$1 == p { print $2; exit }' "$dep"); do
		mod_visit "$dep" "$d"
	done
	MOD_ORDER+=("$path")
}

add_modules() {
	local root=$1 modroot=$2 kver=$3; shift 3
	local mdir="$modroot/lib/modules/$kver" dep m p src out name
	[ -d "$mdir" ] || die "no $mdir"
	dep="$mdir/modules.dep"
	if [ ! -s "$dep" ] || [ "$dep" -ot "$mdir/modules.order" ]; then
		depmod -b "$modroot" "$kver" || die "depmod -b $modroot $kver failed"
	fi
	for m in "$@"; do
		p=$(mod_path "$dep" "$m")
		if [ -z "$p" ]; then
			if grep -q "/${m//-/[-_]}\.ko" "$mdir/modules.builtin" 2>/dev/null; then
				continue
			fi
			case " ${OPTIONAL_MODULES[*]} " in
			*" $m "*) continue ;;
			esac
			die "module $m not found for $kver"
		fi
		mod_visit "$dep" "$p"
	done
	mkdir -p "$root/lib/modules"
	: >"$root/etc/uiommu-vm/modules"
	for p in "${MOD_ORDER[@]}"; do
		src="$mdir/$p"
		name=${p##*/}
		case "$name" in
		*.ko.xz) out=${name%.xz}; xz -dc "$src" >"$root/lib/modules/$out" ;;
		*.ko.zst) out=${name%.zst}; zstd -qdc "$src" >"$root/lib/modules/$out" ;;
		*.ko.gz) out=${name%.gz}; gzip -dc "$src" >"$root/lib/modules/$out" ;;
		*) out=$name; cp "$src" "$root/lib/modules/$out" ;;
		esac
		echo "$out" >>"$root/etc/uiommu-vm/modules"
	done
}

write_init() {
	cat >"$1/init" <<'INIT'
#!/bin/sh
# uiommu vm test guest init (generated by test/vm/mkinitramfs.sh).
export PATH=/test/bin:/bin:/sbin:/usr/bin:/usr/sbin
mount -t devtmpfs devtmpfs /dev 2>/dev/null
exec </dev/console >/dev/console 2>&1
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t tmpfs tmpfs /tmp
mount -t tmpfs tmpfs /run
mkdir -p /dev/hugepages /dev/pts
echo "UIOMMU-VM-INIT: kernel $(uname -r), up $(cut -d' ' -f1 /proc/uptime) s"

finish() {
	echo "UIOMMU-VM-RESULT: rc=$1"
	sync
	poweroff -f
	sleep 5
	echo o >/proc/sysrq-trigger 2>/dev/null
	exit "$1"
}

cmdline=$(cat /proc/cmdline)
param() { # param NAME: value of NAME=... on the kernel command line
	for w in $cmdline; do
		case "$w" in "$1="*) echo "${w#*=}"; return 0 ;; esac
	done
	return 1
}

# Modules in dependency order, with their parameters from the command line.
if [ -s /etc/uiommu-vm/modules ]; then
	for ko in $(cat /etc/uiommu-vm/modules); do
		name=$(echo "${ko%.ko}" | tr - _)
		args=
		for w in $cmdline; do
			w2=$(echo "${w%%=*}" | tr - _)
			case "$w2" in "$name".*) args="$args ${w2#$name.}=${w#*=}" ;; esac
		done
		# shellcheck disable=SC2086
		insmod "/lib/modules/$ko" $args || finish 201
	done
fi

if grep -q hugetlbfs /proc/filesystems; then
	mount -t hugetlbfs nodev /dev/hugepages
	n=$(param uiommu.hugepages) &&
		echo "$n" >/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages
fi

# Bind every edu device to vfio-pci.
: >/run/uiommu-vm.env
count=0
for d in /sys/bus/pci/devices/*; do
	[ "$(cat "$d/vendor")" = 0x1234 ] && [ "$(cat "$d/device")" = 0x11e8 ] || continue
	bdf=${d##*/}
	if [ -e "$d/driver" ]; then
		echo "$bdf" >"$d/driver/unbind" || finish 202
	fi
	echo vfio-pci >"$d/driver_override" || finish 203
	echo "$bdf" >/sys/bus/pci/drivers_probe
	if [ ! -e "$d/iommu_group" ]; then
		echo "UIOMMU-VM-INIT: $bdf has no IOMMU group (no IOMMU?)"
	fi
	[ "$(basename "$(readlink "$d/driver")")" = vfio-pci ] || {
		echo "UIOMMU-VM-INIT: $bdf did not bind to vfio-pci"; finish 204; }
	if [ $count = 0 ]; then
		echo "export EDU_BDF=$bdf" >>/run/uiommu-vm.env
		echo "export EDU_GROUP=$(basename "$(readlink "$d/iommu_group")")" \
			>>/run/uiommu-vm.env
	fi
	count=$((count + 1))
done
echo "export EDU_COUNT=$count" >>/run/uiommu-vm.env
. /run/uiommu-vm.env

echo "UIOMMU-VM-INIT: edu devices: $count${EDU_BDF:+ (first $EDU_BDF, group $EDU_GROUP)}," \
	"test starts at $(cut -d' ' -f1 /proc/uptime) s"
if [ -x /test/run.sh ]; then
	cd /test && /test/run.sh
	rc=$?
else
	echo "UIOMMU-VM-INIT: no /test/run.sh in the initramfs"
	rc=205
fi
echo "UIOMMU-VM-INIT: test done at $(cut -d' ' -f1 /proc/uptime) s"
finish $rc
INIT
	chmod +x "$1/init"
}

# --- subcommands ------------------------------------------------------------

cmd_base() {
	local out="" modroot="" kver="" mods=() bb root key
	while [ $# -gt 0 ]; do
		case "$1" in
		-o) out=$2; shift 2 ;;
		--modroot) modroot=$2; shift 2 ;;
		--kver) kver=$2; shift 2 ;;
		--module) mods+=("$2"); shift 2 ;;
		*) die "base: unknown argument $1" ;;
		esac
	done
	[ ${#mods[@]} -gt 0 ] || mods=("${DEFAULT_MODULES[@]}" "${OPTIONAL_MODULES[@]}")
	if [ -n "$modroot" ] && [ -z "$kver" ]; then
		die "base: --modroot needs --kver"
	fi
	bb=$(find_busybox)
	if [ -z "$out" ]; then
		key=$({ sha256sum "$SELF" "$bb"; echo "$modroot $kver ${mods[*]}"; } |
			sha256sum | cut -c1-16)
		out="$CACHE/initramfs/base-${kver:-builtin}-$key.cpio.gz"
		if [ -s "$out" ]; then
			echo "$out"
			return 0
		fi
		mkdir -p "$CACHE/initramfs" ||
			skip "cannot create $CACHE/initramfs (set UIOMMU_VM_CACHE)"
	fi
	root=$(mktemp -d)
	trap 'rm -rf "$root"' RETURN
	mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,dev,proc,sys,tmp,run,etc/uiommu-vm,lib/modules,test/bin}
	mkdir -p "$root/var"
	ln -s ../run "$root/var/run"
	ln -s ../tmp "$root/var/tmp"
	cp "$bb" "$root/bin/busybox"
	# One symlink per applet, skipping names the image already has.
	local a
	for a in $("$bb" --list-full); do
		[ -e "$root/$a" ] || ln -s /bin/busybox "$root/$a"
	done
	mknod -m 600 "$root/dev/console" c 5 1 2>/dev/null || true
	if [ -n "$modroot" ]; then
		add_modules "$root" "$modroot" "$kver" "${mods[@]}"
	else
		: >"$root/etc/uiommu-vm/modules"
	fi
	write_init "$root"
	pack "$root" "$out"
	echo "$out"
}

cmd_payload() {
	local out="" cmd="" root spec src dest f
	local bins=() trees=() files=()
	while [ $# -gt 0 ]; do
		case "$1" in
		-o) out=$2; shift 2 ;;
		--cmd) cmd=$2; shift 2 ;;
		--bin) bins+=("$2"); shift 2 ;;
		--tree) trees+=("$2"); shift 2 ;;
		--file) files+=("$2"); shift 2 ;;
		*) die "payload: unknown argument $1" ;;
		esac
	done
	[ -n "$out" ] || die "payload: -o OUT is required"
	[ -n "$cmd" ] || die "payload: --cmd is required"
	root=$(mktemp -d)
	trap 'rm -rf "$root"' RETURN
	mkdir -p "$root/test/bin"
	for spec in ${bins[@]+"${bins[@]}"}; do
		src=${spec%%:*}
		dest=${spec#*:}
		[ "$dest" = "$spec" ] && dest=/test/bin/$(basename "$src")
		copy_elf "$root" "$src" "$dest"
	done
	for spec in ${trees[@]+"${trees[@]}"}; do
		src=${spec%%:*}
		dest=${spec#*:}
		[ -d "$src" ] && [ "$dest" != "$spec" ] || die "--tree wants DIR:DEST ($spec)"
		mkdir -p "$root$dest"
		cp -a "$src/." "$root$dest/"
		while IFS= read -r -d '' f; do
			is_elf "$f" && copy_libs "$root" "$f"
		done < <(find "$src" -type f -print0)
	done
	for spec in ${files[@]+"${files[@]}"}; do
		src=${spec%%:*}
		dest=${spec#*:}
		[ "$dest" != "$spec" ] || die "--file wants SRC:DEST ($spec)"
		mkdir -p "$root$(dirname "$dest")"
		cp -L "$src" "$root$dest"
	done
	# The command goes verbatim into its own file, run by busybox sh.
	printf '%s\n' "$cmd" >"$root/test/cmd.sh"
	{
		echo '#!/bin/sh'
		echo '# generated by test/vm/mkinitramfs.sh payload'
		echo '. /run/uiommu-vm.env'
		echo 'exec sh /test/cmd.sh'
	} >"$root/test/run.sh"
	chmod +x "$root/test/run.sh"
	pack "$root" "$out"
	echo "$out"
}

case "${1:-}" in
base) shift; cmd_base "$@" ;;
payload) shift; cmd_payload "$@" ;;
*)
	sed -n '3,/^set -euo/p' "$0" | sed -e '/^set -euo/d' -e 's/^# \{0,1\}//' >&2
	exit 1
	;;
esac
