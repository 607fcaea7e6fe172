#!/bin/sh
# SPDX-License-Identifier: MIT
# Writes the ABI baseline from a fresh build: run as `meson compile -C build abi-baseline`.
# Only after a release adds symbols compatibly (the abi suite passes), never
# to paper over a break.
set -eu
lib=$1 headers=$2 out=$3
abidw --no-corpus-path --no-comp-dir-path --short-locs --type-id-style hash \
	--drop-private-types --headers-dir "$headers" --out-file "$out" "$lib"
echo "wrote $out"
