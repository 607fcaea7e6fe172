#!/bin/sh
# SPDX-License-Identifier: MIT
# The admin tool's skeleton: --version, --help, and its documented exit codes.
# Usage: cli.sh PATH_TO_DIRECTPATH VERSION
set -u
tool=$1 version=$2
n=0 failed=0

check() { # description, expected exit status, expected output pattern, command...
	desc=$1 want_rc=$2 pattern=$3
	shift 3
	n=$((n + 1))
	out=$("$@" 2>&1)
	rc=$?
	case $out in
	*$pattern*) match=1 ;;
	*) match=0 ;;
	esac
	if [ "$rc" -eq "$want_rc" ] && [ $match -eq 1 ]; then
		echo "ok $n - $desc"
	else
		echo "not ok $n - $desc (exit $rc, want $want_rc; output: $out)"
		failed=$((failed + 1))
	fi
}

check "--version names tool and library versions" 0 "directpath $version (libdirectpath $version)" "$tool" --version
check "-V is --version" 0 "libdirectpath $version" "$tool" -V
check "version command" 0 "libdirectpath $version" "$tool" version
check "--help lists the commands" 0 "Commands:" "$tool" --help
check "--help documents exit codes" 0 "2 usage or I/O error" "$tool" -h
check "no command is a usage error" 2 "no command given" "$tool"
check "unknown command is a usage error" 2 'unknown command "frobnicate"' "$tool" frobnicate
check "unknown option is a usage error" 2 "Usage:" "$tool" --frobnicate
check "help goes to stdout, errors to stderr" 0 "" sh -c "\"$tool\" frobnicate 2>/dev/null | grep -q . && exit 1 || exit 0"
echo "1..$n"
[ $failed -eq 0 ]
