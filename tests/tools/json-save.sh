#!/bin/sh
# SPDX-License-Identifier: MIT
# Runs the tool as DP_JSON_RUN says (the tool, or DP_CLI_WRAPPER and the
# tool; see wrap_tool in tap.sh) and, when an argument is --json, keeps what
# it prints in DP_CLI_JSON_DIR/N.json and its arguments, one a line, in
# N.args, for tests/tools/schema.py to validate. Prints and exits as the tool.
# Usage: DP_JSON_RUN=... DP_CLI_JSON_DIR=DIR json-save.sh ARG...
for a in "$@"; do
	[ "$a" = --json ] && break
done
# shellcheck disable=SC2086 # DP_JSON_RUN is a command line, as DP_CLI_WRAPPER is
[ "${a:-}" = --json ] || exec $DP_JSON_RUN "$@"
base=$(mktemp "$DP_CLI_JSON_DIR/XXXXXXXX") || exit 2
printf '%s\n' "$@" >"$base.args"
# shellcheck disable=SC2086
$DP_JSON_RUN "$@" >"$base.json"
rc=$?
cat "$base.json"
exit $rc
