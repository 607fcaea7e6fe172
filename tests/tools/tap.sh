# SPDX-License-Identifier: MIT
# TAP helpers for the admin tool's shell tests; sourced, not run.
# n and failed count the checks; the caller prints the plan "1..$n" at the end.
n=0 failed=0

pass() { n=$((n + 1)); echo "ok $n - $1"; }
fail() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"; shift; for l in "$@"; do echo "# $l"; done; }

# description, expected exit status, expected output pattern, command...
check() {
	desc=$1 want_rc=$2 pattern=$3
	shift 3
	out=$("$@" 2>&1)
	rc=$?
	case $out in
	*"$pattern"*) match=1 ;;
	*) match=0 ;;
	esac
	if [ "$rc" -eq "$want_rc" ] && [ $match -eq 1 ]; then
		pass "$desc"
	else
		fail "$desc" "exit $rc, want $want_rc; want output with: $pattern" "output: $out"
	fi
}

# description, expected, actual
same() {
	if [ "$2" = "$3" ]; then
		pass "$1"
	else
		fail "$1" "want: $(echo "$2" | tr '\n' ' ')" "got:  $(echo "$3" | tr '\n' ' ')"
	fi
}

# With DP_CLI_WRAPPER set (e.g. valgrind), prints a script in DIR that runs
# the tool under it, else the tool itself: wrap_tool TOOL DIR
# With DP_CLI_JSON_DIR set (tests/tools/schema.py), the script also keeps
# every --json output there (tests/tools/json-save.sh).
wrap_tool() {
	if [ -n "${DP_CLI_JSON_DIR:-}" ]; then
		printf '#!/bin/sh\nDP_JSON_RUN='\''%s %s'\'' exec "%s/json-save.sh" "$@"\n' \
			"${DP_CLI_WRAPPER:-}" "$1" "$(cd "$(dirname "$0")" && pwd)" >"$2/directpath"
		chmod 755 "$2/directpath"
		echo "$2/directpath"
	elif [ -n "${DP_CLI_WRAPPER:-}" ]; then
		printf '#!/bin/sh\nexec %s "%s" "$@"\n' "$DP_CLI_WRAPPER" "$1" >"$2/directpath"
		chmod 755 "$2/directpath"
		echo "$2/directpath"
	else
		echo "$1"
	fi
}

# Reads check --json on stdin and prints the verdict and every finding but
# feature-lost as NAME:SUBJECT:SEVERITY, in the report's order: a line that
# pins down what a check found, and that fails to print if the JSON is bad.
report_summary() {
	python3 -c 'import json, sys
r = json.load(sys.stdin)
print(" ".join(["allowed" if r["allowed"] is True else "denied"] +
               [f["name"] + ":" + f["subject"] + ":" + f["severity"]
                for f in r["findings"] if f["name"] != "feature-lost"]))'
}

# Reads check --json on stdin and prints each lost feature as
# FEATURE:ENABLED:DEVICE,DEVICE...
report_losses() {
	python3 -c 'import json, sys
r = json.load(sys.stdin)
print(" ".join(l["feature"] + ":" + str(l["enabled"]).lower() + ":" + ",".join(l["devices"])
               for l in r["lost_features"]))'
}

# The rule lines of a policy file, without comments: policy_rules < FILE
policy_rules() {
	grep -v '^#'
}
