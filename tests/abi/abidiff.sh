#!/bin/sh
# SPDX-License-Identifier: MIT
# ABI gate: the fresh library must be compatible with the committed baseline.
# Usage: abidiff.sh ABIDIFF BASELINE LIBRARY HEADERS_DIR SUPPRESSIONS
set -u
abidiff=$1 baseline=$2 lib=$3 headers=$4 supp=$5

if [ ! -f "$baseline" ]; then
	echo "no ABI baseline at $baseline" >&2
	exit 1
fi
"$abidiff" --no-added-syms --drop-private-types \
	--headers-dir2 "$headers" --suppressions "$supp" \
	"$baseline" "$lib"
rc=$?
# abidiff's exit status is a bit field: 4 = ABI change, 8 = incompatible change.
case $rc in
0) echo "ABI compatible with $(basename "$baseline")" ;;
*) echo "FAIL: abidiff exited $rc: the ABI changed incompatibly (an error in the tool itself is 1 or 2)" >&2 ;;
esac
exit $rc
