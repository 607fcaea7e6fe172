#!/bin/sh
# SPDX-License-Identifier: MIT
# The fuzz suite's timed run of one libFuzzer target:
#   run-fuzz.sh FUZZER SECONDS ARTIFACT_DIR CORPUS_DIR...
# fuzzes from a temporary copy of the corpora (the tree is never written) for
# SECONDS; a crashing input is printed in hex and kept in ARTIFACT_DIR, from
# where it belongs in tests/fuzz/regress/<target>/ once understood.
set -eu
fuzzer=$1 seconds=$2 artifacts=$3
shift 3
tmp=$(mktemp -d "${TMPDIR:-/tmp}/dp-fuzz.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM
mkdir "$tmp/corpus" "$tmp/crash"
for d in "$@"; do
	[ -d "$d" ] && find "$d" -maxdepth 1 -type f -exec cp {} "$tmp/corpus/" \;
done
rc=0
"$fuzzer" -max_total_time="$seconds" -rss_limit_mb=1024 -timeout=10 -error_exitcode=1 \
	-print_final_stats=1 -artifact_prefix="$tmp/crash/" "$tmp/corpus" || rc=$?
for f in "$tmp"/crash/*; do
	[ -f "$f" ] || continue
	mkdir -p "$artifacts"
	cp "$f" "$artifacts/"
	echo "== input that failed, kept as $artifacts/${f##*/}:"
	od -A d -t x1z -v "$f" | head -64
done
exit $rc
