#!/bin/sh
# SPDX-License-Identifier: MIT
# Fetches Debian's current kernel for the VFIO guest (tests/vm/run-in-guest)
# into a cache, without installing it: `apt-get download` of the package that
# linux-image-amd64 depends on, then only vmlinuz and the modules the guest
# loads, dependencies worked out with `modinfo -F depends`.
# Usage: fetch-kernel.sh CACHE_DIR
# Prints the kernel directory (CACHE_DIR/linux-RELEASE) holding vmlinuz,
# modules/*.ko, modules.load (file names in load order) and nested.load (the
# same for NESTED's modules). Idempotent: a stamp names the package, version
# and module lists of the cached kernel.
# Exit status: 0 done, 77 the kernel or a tool cannot be had here, 1 error.
set -eu

# What the guest loads; dependencies come first in modules.load. A trailing
# '?' marks a module that newer kernels have folded into another.
MODULES="vfio vfio_iommu_type1 vfio_virqfd? vfio-pci kvm kvm-amd
	virtio_pci 9pnet_virtio 9p overlay uio_pci_generic pci-stub"
# What a guest nested in that one loads (tests/kvm/minivmm-linux.sh boots
# this kernel in minivmm): in modules/ too, listed in nested.load alone, as
# the VFIO guest must leave its NVMe without a driver.
NESTED="nvme"

me=fetch-kernel.sh
say() { echo "$me: $*" >&2; }
die() { say "$*"; exit 1; }
cannot() { say "$*"; exit 77; }

[ $# -eq 1 ] || { echo "usage: $me CACHE_DIR" >&2; exit 2; }
cache=$1

for tool in apt-get apt-cache dpkg-deb tar modinfo flock; do
	command -v "$tool" >/dev/null 2>&1 ||
		cannot "$tool is missing (packages: apt, dpkg, tar, kmod, util-linux)"
done

mkdir -p "$cache"
cache=$(cd "$cache" && pwd)
# One fetch at a time: parallel tests all start with this.
exec 9>"$cache/.lock"
flock 9

stamp=$cache/kernel.stamp
# shellcheck disable=SC2086,SC2116 # one line, one space between names
modules="modules=$(echo $MODULES)
nested=$(echo $NESTED)"
# Apt's answer cannot have changed unless its lists have: then skip asking
# (each apt-cache call rebuilds its cache here, a second or so).
if [ -f "$stamp" ] && [ "$(grep -c -xF "$modules" "$stamp")" -eq 2 ] &&
	[ -z "$(find /var/lib/apt/lists -maxdepth 1 -name '*Packages*' -newer "$stamp" 2>/dev/null)" ]; then
	dir=$(sed -n 's/^dir=//p' "$stamp")
	if [ -n "$dir" ] && [ -f "$cache/$dir/vmlinuz" ] && [ -f "$cache/$dir/modules.load" ] &&
		[ -f "$cache/$dir/nested.load" ]; then
		echo "$cache/$dir"
		exit 0
	fi
fi

# linux-image-amd64's dependency names the current kernel package.
resolve() {
	apt-cache depends linux-image-amd64 2>/dev/null |
		sed -n 's/^ *Depends: \(linux-image-[^ ]*\)$/\1/p' | head -n 1
}
apt_update() {
	[ "$(id -u)" -eq 0 ] || return 1
	say "running apt-get update"
	apt-get update -qq >&2
}
pkg=$(resolve)
if [ -z "$pkg" ]; then
	apt_update || true
	pkg=$(resolve)
fi
if [ -z "$pkg" ]; then
	# Offline with a cached kernel: use it rather than skip.
	if [ -f "$stamp" ]; then
		dir=$(sed -n 's/^dir=//p' "$stamp")
		if [ -n "$dir" ] && [ -f "$cache/$dir/modules.load" ]; then
			say "apt knows no linux-image-amd64; using the cached $dir"
			echo "$cache/$dir"
			exit 0
		fi
	fi
	cannot "apt knows no linux-image-amd64 (apt-get update as root, or a Debian apt source)"
fi
version=$(apt-cache policy "$pkg" | sed -n 's/^ *Candidate: //p')
if [ -z "$version" ] || [ "$version" = "(none)" ]; then
	cannot "apt has no candidate for $pkg"
fi
want="package=$pkg
version=$version
$modules"

if [ -f "$stamp" ] && [ "$(sed '/^dir=/d' "$stamp")" = "$want" ]; then
	dir=$(sed -n 's/^dir=//p' "$stamp")
	if [ -n "$dir" ] && [ -f "$cache/$dir/vmlinuz" ] && [ -f "$cache/$dir/modules.load" ] &&
		[ -f "$cache/$dir/nested.load" ]; then
		touch "$stamp" # checked against the current lists
		echo "$cache/$dir"
		exit 0
	fi
fi

work=$(mktemp -d "$cache/fetch.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work"
say "downloading $pkg $version"
# apt's sandbox user cannot write here when run as root: download as root.
sandbox=
[ "$(id -u)" -ne 0 ] || sandbox="-o APT::Sandbox::User=root"
# shellcheck disable=SC2086 # empty or one option
if ! apt-get download -q=2 $sandbox "$pkg=$version" >&2; then
	# A stale index names a file the mirror dropped: refresh once.
	apt_update || cannot "apt-get download $pkg failed"
	version=$(apt-cache policy "$pkg" | sed -n 's/^ *Candidate: //p')
	# shellcheck disable=SC2086
	apt-get download -q=2 $sandbox "$pkg=$version" >&2 ||
		cannot "apt-get download $pkg failed"
	want="package=$pkg
version=$version
$modules"
fi
set -- ./*.deb
[ -f "$1" ] || die "apt-get download left no .deb"
deb=$1

# Unpacked once to a plain tar, which GNU tar seeks through: each
# extraction below then costs nothing, where each would decompress it all.
dpkg-deb --fsys-tarfile "$deb" >data.tar || die "cannot read $deb"
rm -f "$deb"
tar -tf data.tar >list || die "cannot list $deb"
kernel=$(grep -m 1 '^\./boot/vmlinuz-' list) || die "$pkg has no /boot/vmlinuz-*"
release=${kernel#./boot/vmlinuz-}
moddir=./lib/modules/$release
# "canonical-name path" for every module file in the package.
awk -v dir="$moddir/kernel/" 'index($0, dir) == 1 && /\.ko(\.xz|\.zst|\.gz)?$/ {
	n = $0; sub(/.*\//, "", n); sub(/\.ko.*/, "", n); gsub(/-/, "_", n)
	print n, $0 }' list >modpaths
[ -s modpaths ] || die "$pkg has no modules under $moddir/kernel"

extract() {
	tar -xf data.tar "$@" || die "cannot extract $* from $deb"
}
extract "$kernel" "$moddir/modules.builtin"

# Decompresses a module in place and prints the plain .ko's path.
plain() {
	case $1 in
	*.ko.xz) xz -d "$1" || die "cannot unxz $1"; echo "${1%.xz}" ;;
	*.ko.zst) zstd -q -d --rm "$1" || die "cannot unzstd $1 (install zstd)"; echo "${1%.zst}" ;;
	*.ko.gz) gzip -d "$1" || die "cannot gunzip $1"; echo "${1%.gz}" ;;
	*) echo "$1" ;;
	esac
}

# The closure of MODULES under "depends", a batch of extractions per round.
mkdir deps
: >seen
todo="$MODULES $NESTED"
while [ -n "$(echo "$todo" | tr -d ' \t\n')" ]; do
	batch='' next=''
	for m in $todo; do
		optional=false
		case $m in *\?) optional=true m=${m%\?} ;; esac
		c=$(echo "$m" | tr - _)
		grep -qx "$c" seen && continue
		path=$(sed -n "s|^$c ||p" modpaths | head -n 1)
		if [ -z "$path" ]; then
			if sed 's|.*/||; s|\.ko.*||' "$moddir/modules.builtin" | tr - _ | grep -qx "$c"; then
				say "$m is built in"
			elif $optional; then
				say "$m is not in $release (optional)"
			else
				die "$pkg has no module $m"
			fi
			echo "$c" >>seen
			: >"deps/$c"
			continue
		fi
		echo "$c" >>seen
		echo "$c $path" >>found
		batch="$batch $path"
	done
	[ -n "$batch" ] || break
	# shellcheck disable=SC2086 # one word per path
	extract $batch
	for path in $batch; do
		ko=$(plain "$path")
		c=$(sed -n "s|^\([^ ]*\) $path$|\1|p" found)
		echo "$ko" >"file.$c"
		modinfo -F depends "$ko" | tr , '\n' | tr - _ | sed '/^$/d' >"deps/$c"
		next="$next $(cat "deps/$c")"
	done
	todo=$next
done

# Dependencies first, the rest in the order of the list.
visit() {
	case " $order " in *" $1 "*) return 0 ;; esac
	for d in $(cat "deps/$1"); do
		visit "$d"
	done
	order="$order $1"
}
# Copies the closure of the modules named in $2... into $out/modules and
# writes their file names, in load order, to $out/$1 (perhaps empty).
list() {
	load=$out/$1 order=
	shift
	: >"$load"
	for m in "$@"; do
		m=${m%\?}
		visit "$(echo "$m" | tr - _)"
	done
	for c in $order; do
		[ -f "file.$c" ] || continue # built in, or an absent optional module
		ko=$(cat "file.$c")
		cp "$ko" "$out/modules/"
		echo "${ko##*/}" >>"$load"
	done
}

out=linux-$release
mkdir -p "$out/modules"
cp "$kernel" "$out/vmlinuz"
# shellcheck disable=SC2086 # one word per module
list modules.load $MODULES
# shellcheck disable=SC2086
list nested.load $NESTED
echo "$release" >"$out/release"
echo "$pkg $version" >"$out/package"

# Replace the cached kernel; the stamp is written last.
rm -f "$stamp"
rm -rf "$cache"/linux-*
mv "$out" "$cache/$out"
printf '%s\ndir=%s\n' "$want" "$out" >"$stamp.new"
mv "$stamp.new" "$stamp"
say "cached $release: $(paste -sd ' ' "$cache/$out/modules.load")" \
	"(nested: $(paste -sd ' ' "$cache/$out/nested.load"))"
echo "$cache/$out"
