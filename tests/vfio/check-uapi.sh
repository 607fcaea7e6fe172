#!/bin/sh
# SPDX-License-Identifier: MIT
# lib/iommufd-uapi.h against the kernel's own uapi headers: uapi-layout.c
# built twice, against the system's headers (Debian 12's 6.1 has no
# iommufd: the library's definitions) and with the iommufd guest kernel's
# headers first (build-iommufd-kernel.sh, cached), must print the same
# sizes, offsets and numbers.
# Usage: check-uapi.sh CC LIBDIR SOURCE BUILD_SCRIPT
# Exit status: 0 the same, 1 different, 77 the kernel's headers cannot be had (says why).
set -u
[ $# -eq 4 ] || { echo "usage: check-uapi.sh CC LIBDIR SOURCE BUILD_SCRIPT" >&2; exit 2; }
cc=$1 libdir=$2 src=$3 build=$4
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM

inc=$(sh "$build" --print-include </dev/null)
rc=$?
if [ $rc -eq 77 ]; then
	echo "check-uapi: SKIP: the iommufd kernel's headers cannot be had here (build-iommufd-kernel.sh says why above)"
	exit 77
fi
[ $rc -eq 0 ] || { echo "check-uapi: build-iommufd-kernel.sh failed (exit $rc)"; exit 1; }
[ -f "$inc/linux/iommufd.h" ] || { echo "check-uapi: $inc has no linux/iommufd.h"; exit 1; }

$cc -std=c11 -Wall -Werror -I"$libdir" -o "$tmp/system" "$src" || exit 1
$cc -std=c11 -Wall -Werror -I"$inc" -I"$libdir" -o "$tmp/kernel" "$src" || exit 1
"$tmp/system" >"$tmp/system.out" || exit 1
"$tmp/kernel" >"$tmp/kernel.out" || exit 1
grep '^#' "$tmp/system.out"
grep '^#' "$tmp/kernel.out" | sed 's/^#/# with the kernel headers: /'
# The second build must take the kernel's definitions, or it compares nothing.
if grep -q "library's definitions" "$tmp/kernel.out"; then
	echo "check-uapi: with $inc first, the library's definitions were still used"
	exit 1
fi
if ! grep -q "library's definitions" "$tmp/system.out"; then
	echo "check-uapi: note: the system's headers have all of it; the comparison is of two system layouts"
fi
if ! diff -u "$tmp/system.out" "$tmp/kernel.out" | grep -v '^[-+]#' | grep '^[-+][^-+]'; then
	n=$(grep -vc '^#' "$tmp/system.out")
	echo "check-uapi: $n sizes, offsets and numbers agree with $inc"
	exit 0
fi
echo "check-uapi: lib/iommufd-uapi.h differs from the kernel's headers (above)"
exit 1
