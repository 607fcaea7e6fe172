#!/bin/sh
# SPDX-License-Identifier: MIT
# Builds the initramfs of the Linux guest nested in the VFIO test guest
# (tests/kvm/minivmm-linux.sh): a static busybox, tests/vm/nested-init as
# /init, the modules of KERNEL_DIR/nested.load (nvme and its dependencies,
# from fetch-kernel.sh) under /modules, and ROM as /rom.bin for the init to
# compare the device's ROM with.
# Usage: mk-nested-initrd.sh KERNEL_DIR ROM BUSYBOX OUTPUT
# Writes OUTPUT, an uncompressed newc cpio (the nested guest is slow to
# decompress and it is small). Exit status: 0 done, 1 error.
set -eu

me=mk-nested-initrd.sh
here=$(cd "$(dirname "$0")" && pwd)
[ $# -eq 4 ] || { echo "usage: $me KERNEL_DIR ROM BUSYBOX OUTPUT" >&2; exit 2; }
kdir=$1 rom=$2 busybox=$3 out=$4

die() { echo "$me: $*" >&2; exit 1; }
[ -f "$kdir/nested.load" ] || die "$kdir has no nested.load (fetch-kernel.sh too old?)"
[ -f "$rom" ] || die "no ROM image $rom"
[ -x "$busybox" ] || die "no busybox $busybox"

stage=$(mktemp -d "${TMPDIR:-/tmp}/nested-initrd.XXXXXX")
trap 'rm -rf "$stage"' EXIT
mkdir "$stage/bin" "$stage/modules"
cp "$busybox" "$stage/bin/busybox"
cp "$here/nested-init" "$stage/init"
chmod 755 "$stage/bin/busybox" "$stage/init"
cp "$kdir/nested.load" "$stage/modules/"
while read -r ko; do
	cp "$kdir/modules/$ko" "$stage/modules/" || die "no $ko in $kdir/modules"
done <"$kdir/nested.load"
cp "$rom" "$stage/rom.bin"
(cd "$stage" && find . -mindepth 1 | LC_ALL=C sort |
	cpio -o -H newc -R 0:0 --quiet) >"$out.tmp" || die "cpio failed"
mv "$out.tmp" "$out"
