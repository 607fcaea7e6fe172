#!/bin/sh
# SPDX-License-Identifier: MIT
# The build tree's admin tool under "meson devenv" reads the source tree's
# data (the compatibility list), not the installed data directory's.
# Usage: devenv.sh MESON BUILD_DIR DATA_DIR
set -u
meson=$1 build=$2 data=$3
n=$(ls "$data"/compat.d/*.list | xargs cat | grep -c '^[0-9a-f*]')
out=$(cd / && env -u DIRECTPATH_DATA_DIR "$meson" devenv -C "$build" directpath policy 2>&1) || {
	echo "meson devenv ... directpath policy failed: $out"
	exit 1
}
want="# Compatibility list: $n entries from $data/compat.d/*.list;"
if ! printf '%s\n' "$out" | grep -qxF "$want"; then
	echo "want the line: $want"
	echo "got: $out"
	exit 1
fi
echo "ok: $want"
