#!/bin/sh
# SPDX-License-Identifier: MIT
# A downstream consumer: install into a DESTDIR, then build and run a program
# against that install with nothing but pkg-config's answers.
# Usage: consumer.sh BUILD_ROOT PREFIX LIBDIR MANDIR VERSION SOURCE.c SYMFILE|- [CFLAGS]
# CFLAGS: what the build's own code gets that a consumer must share (sanitizers).
# With a SYMFILE, every exported name must have an installed man3 page.
set -eu
build=$1 prefix=$2 libdir=$3 mandir=$4 version=$5 src=$6 symfile=$7 extra=${8:-}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

meson install -C "$build" --no-rebuild --quiet --destdir "$tmp/root" >"$tmp/install.log" 2>&1 ||
	{ cat "$tmp/install.log"; exit 1; }

case $libdir in /*) ;; *) libdir=$prefix/$libdir ;; esac
case $mandir in /*) ;; *) mandir=$prefix/$mandir ;; esac
# The staged root first; the system's own .pc files (pciaccess) stay reachable.
PKG_CONFIG_PATH=$tmp/root$libdir/pkgconfig
PKG_CONFIG_SYSROOT_DIR=$tmp/root
export PKG_CONFIG_PATH PKG_CONFIG_SYSROOT_DIR
case $(pkg-config --path libdirectpath) in
"$tmp/root"*) ;;
*) echo "FAIL: pkg-config found libdirectpath outside the staged install"; exit 1 ;;
esac

got=$(pkg-config --modversion libdirectpath)
[ "$got" = "$version" ] || { echo "FAIL: pkg-config says version $got, want $version"; exit 1; }
echo "pkg-config --modversion libdirectpath: $got"

cflags=$(pkg-config --cflags libdirectpath)
libs=$(pkg-config --libs libdirectpath)
echo "cflags: $cflags"
echo "libs: $libs"
# shellcheck disable=SC2086 # word splitting of pkg-config output is intended
${CC:-cc} -std=c11 -Wall -Werror $extra $cflags "$src" $libs -o "$tmp/consumer"

out=$(LD_LIBRARY_PATH=$tmp/root$libdir "$tmp/consumer")
echo "$out"
case $out in
*"libdirectpath $version"*) ;;
*) echo "FAIL: the consumer did not report version $version"; exit 1 ;;
esac
# The program must have run against the installed copy, not the build tree.
LD_LIBRARY_PATH=$tmp/root$libdir ldd "$tmp/consumer" | grep -q "$tmp/root$libdir/libdirectpath.so.1" ||
	{ echo "FAIL: the consumer did not resolve the installed libdirectpath.so.1"; exit 1; }

# The man pages came with it: the overview, the tool and each exported name.
if [ "$symfile" != - ]; then
	for page in man7/directpath.7 man8/directpath.8; do
		[ -f "$tmp/root$mandir/$page" ] || { echo "FAIL: $page not installed"; exit 1; }
	done
	missing=0
	# shellcheck disable=SC2013 # one symbol a line, no spaces
	for sym in $(sed -n 's/^[[:space:]]*\(dp_[a-z0-9_]*\);.*/\1/p' "$symfile"); do
		if [ ! -e "$tmp/root$mandir/man3/$sym.3" ]; then
			echo "FAIL: no man page installed as man3/$sym.3"
			missing=$((missing + 1))
		fi
	done
	[ "$missing" -eq 0 ] || exit 1
	echo "man pages installed for every export"
fi
echo "PASS"
