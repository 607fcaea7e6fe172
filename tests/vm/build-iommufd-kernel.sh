#!/bin/sh
# SPDX-License-Identifier: MIT
# Builds the guest kernel with iommufd and the VFIO device cdev (Debian 12's
# own kernels have neither) from Debian's linux-source-6.12, into a cache, so
# a second run on the same machine does not rebuild:
#   apt-get download linux-source-6.12 (default sources, bookworm-security);
#   make tinyconfig; merge tests/vm/iommufd-kernel.config; olddefconfig;
#   make bzImage; make headers_install (the uapi headers the tests compile
#   against, to check the library's private definitions with).
# Usage: build-iommufd-kernel.sh [--print-include] [CACHE_DIR]
# Prints the kernel directory, CACHE_DIR/iommufd-VERSION-HASH, holding
# bzImage, include/ (uapi headers), the .config, release (what uname -r says
# in the guest) and stamp; with --print-include, its include/ directory.
# VERSION is the source package's, HASH the fragment's (sha256, 16 digits):
# the cache key. CACHE_DIR is run-in-guest's: $DP_VM_CACHE, by default
# $XDG_CACHE_HOME/libdirectpath/vm (~/.cache/...).
# Needs: apt, make, gcc, flex, bison, bc, rsync, xz-utils, libelf-dev,
# libssl-dev (build-aux/dev installs them); room in CACHE_DIR for the
# unpacked source (about 1.5 GB) while it builds.
# Exit status: 0 done, 77 it cannot be built here (says why), 1 error.
set -eu

me=build-iommufd-kernel.sh
here=$(cd "$(dirname "$0")" && pwd)
fragment=$here/iommufd-kernel.config
pkg=linux-source-6.12
say() { echo "$me: $*" >&2; }
die() { say "$*"; exit 1; }
cannot() { say "$*"; exit 77; }

print=
if [ "${1:-}" = --print-include ]; then
	print=/include
	shift
fi
[ $# -le 1 ] || { echo "usage: $me [--print-include] [CACHE_DIR]" >&2; exit 2; }
cache=${1:-${DP_VM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/libdirectpath/vm}}
for tool in apt-get apt-cache dpkg-deb tar xz make gcc flex bison bc rsync sha256sum flock perl; do
	command -v "$tool" >/dev/null 2>&1 ||
		cannot "$tool is missing (packages: gcc make flex bison bc rsync xz-utils libelf-dev libssl-dev)"
done
# A kernel build needs these headers too (objtool, and the signing tools).
for h in /usr/include/libelf.h /usr/include/openssl/ssl.h; do
	[ -f "$h" ] || cannot "$h is missing (packages: libelf-dev libssl-dev)"
done

mkdir -p "$cache"
cache=$(cd "$cache" && pwd)
exec 9>"$cache/.iommufd-lock" # one build at a time: parallel tests all start here
flock 9

hash=$(sha256sum "$fragment" | cut -c1-16)
candidate() {
	apt-cache policy "$pkg" 2>/dev/null | sed -n 's/^ *Candidate: //p'
}
apt_update() {
	[ "$(id -u)" -eq 0 ] || return 1
	say "running apt-get update"
	apt-get update -qq >&2
}
built() {
	[ -f "$1/bzImage" ] && [ -f "$1/release" ] && [ -f "$1/include/linux/iommufd.h" ]
}
# Apt's answer cannot have changed unless its lists have: a kernel used here
# since they last changed is still the one (each apt-cache call costs a second).
for dir in "$cache"/iommufd-*-"$hash"; do
	if built "$dir" && [ -z "$(find /var/lib/apt/lists -maxdepth 1 -name '*Packages*' \
		-newer "$dir" 2>/dev/null)" ]; then
		touch "$dir"
		echo "$dir$print"
		exit 0
	fi
done
# The candidate version; offline, the newest one built here.
version=$(candidate)
if [ -z "$version" ] || [ "$version" = "(none)" ]; then
	apt_update || true
	version=$(candidate)
fi
if [ -z "$version" ] || [ "$version" = "(none)" ]; then
	old=
	for dir in "$cache"/iommufd-*-"$hash"; do
		! built "$dir" || old=$dir
	done
	if [ -n "$old" ]; then
		say "apt knows no $pkg; using the cached $(basename "$old")"
		echo "$old$print"
		exit 0
	fi
	cannot "apt knows no $pkg (Debian 12's bookworm-security has it)"
fi
keyof() { echo "iommufd-$(echo "$1" | tr '~:' '__')-$hash"; }
key=$(keyof "$version")
out=$cache/$key
if built "$out"; then
	touch "$out" # in use: see the clean-up below
	echo "$out$print"
	exit 0
fi

# What a build that was killed left (the lock is ours: no build is running).
rm -rf "$cache"/build.* "$cache"/.stage-*
work=$(mktemp -d "$cache/build.XXXXXX")
dl=
cleanup() { rm -rf ${work:+"$work"} ${dl:+"$dl"}; }
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
start=$(date +%s)
say "building $pkg $version with $(basename "$fragment") (about 7 min on 2 cores)"

# apt downloads as the user _apt, which must be able to write the directory
# and reach it: a directory of its own under TMPDIR, as a cache under /root
# (mode 0700) is out of its reach. Where even that is not so, apt is told to
# download as root rather than to warn that it does.
dl=$(mktemp -d "${TMPDIR:-/tmp}/dp-linux-source.XXXXXX")
sandbox=
if [ "$(id -u)" -eq 0 ]; then
	if ! id _apt >/dev/null 2>&1 || ! chown _apt "$dl" || ! chmod 755 "$dl" ||
		! setpriv --reuid=_apt --regid="$(id -g _apt)" --clear-groups \
			test -w "$dl" -a -x "$dl" 2>/dev/null; then
		sandbox="-o APT::Sandbox::User=root"
	fi
fi
download() {
	# shellcheck disable=SC2086 # empty or one option
	(cd "$dl" && apt-get download -q $sandbox "$pkg=$version" >&2)
}
if ! download; then
	# A stale index names a file the mirror dropped: refresh once.
	apt_update || cannot "apt-get download $pkg=$version failed"
	version=$(candidate)
	key=$(keyof "$version")
	out=$cache/$key
	download || cannot "apt-get download $pkg=$version failed"
fi
deb=$(ls "$dl"/*.deb)
dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$work" --wildcards './usr/src/linux-source-*.tar.xz'
rm -rf "$dl"
dl=
tarball=$(ls "$work"/usr/src/linux-source-*.tar.xz)
tar -xJf "$tarball" -C "$work"
rm -f "$tarball"
src=$(ls -d "$work"/linux-source-*/)
jobs=$(nproc 2>/dev/null || echo 2)
(
	cd "$src"
	make -s ARCH=x86_64 tinyconfig >&2
	scripts/kconfig/merge_config.sh -m .config "$fragment" >/dev/null
	make -s ARCH=x86_64 olddefconfig >&2
	# Every line of the fragment must have survived olddefconfig.
	grep '^CONFIG_' "$fragment" | while IFS= read -r line; do
		grep -qxF "$line" .config || { echo "$me: olddefconfig dropped $line" >&2; exit 1; }
	done
	make -s ARCH=x86_64 -j"$jobs" bzImage >&2
	make -s ARCH=x86_64 kernelrelease >"$work/release"
	make -s ARCH=x86_64 headers_install INSTALL_HDR_PATH="$work/hdr" >&2
) || die "the kernel build failed"
stage=$cache/.stage-$key
rm -rf "$stage"
mkdir -p "$stage"
cp "$src/arch/x86/boot/bzImage" "$src/.config" "$work/release" "$stage/"
mv "$work/hdr/include" "$stage/include"
took=$(($(date +%s) - start))
echo "$pkg $version fragment $hash built in $took s on $jobs CPUs" >"$stage/stamp"
rm -rf "$out"
mv "$stage" "$out"
# Kernels of other versions or fragments that went unused for a week go.
find "$cache" -maxdepth 1 -name 'iommufd-*' ! -name "$key" -mtime +7 -exec rm -rf {} + || true
say "built $key ($(cat "$out/release")) in $took s"
# The kernel is in place: the build tree (the whole source; its removal took
# over a minute on a busy disk here) goes in the background, in a session of
# its own, while the tests go on; a removal cut short is finished by the next
# build.
exec 9>&-
setsid rm -rf "$work" </dev/null >/dev/null 2>&1 &
work=
echo "$out$print"
