#!/bin/sh
# SPDX-License-Identifier: MIT
# examples/k8s-device-plugin.py, the example orchestrator consumer, on the
# saved documents of tests/tools/k8s (the tool's JSON on the mkfakesys
# "basic" tree; tests/tools/k8s/make-fixtures.sh writes them): its output
# exactly, with the labels file and without; its refusals; and a live run on
# this machine's tool. TAP output.
# Usage: k8s-device-plugin.sh PLUGIN FIXTURES_DIR SCHEMA TOOL
set -u
# shellcheck source=tests/tools/tap.sh
. "$(dirname "$0")/tap.sh"
plugin=$1 fx=$2 schema=$3 tool=$4
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT

# The fixtures are what the tool prints: valid against the schema.
if python3 -c 'import jsonschema' 2>/dev/null; then
	same "the fixtures are valid documents of the schema" "" \
		"$(python3 "$(dirname "$0")/schema.py" files "$schema" "$fx"/*.json 2>&1 | grep -v '^ok ')"
else
	pass "# SKIP the fixtures against the schema: python3-jsonschema is not installed"
fi

same "labels: one resource a label, each device healthy or not, exactly" \
	"$(cat "$fx/expected-labels.json")" \
	"$(python3 "$plugin" --from "$fx" --labels "$fx/labels.conf" 2>&1)"
same "no labels: a resource per vendor:device of the marked functions, exactly" \
	"$(cat "$fx/expected-marked.json")" \
	"$(python3 "$plugin" --from "$fx" 2>&1)"

# A document of another major version is refused, not misread.
cp "$fx"/*.json "$tmp/"
sed 's/"schema_version": "1\.[0-9]*"/"schema_version": "2.0"/' "$fx/check-0000:00:14.0.json" >"$tmp/check-0000:00:14.0.json"
check "a check document of schema 2.0 is refused" 2 "schema_version 2.0, this script reads 1.x" \
	python3 "$plugin" --from "$tmp"
sed 's/"schema_version": "1\.[0-9]*"/"schema_version": "1.7"/' "$fx/check-0000:00:14.0.json" >"$tmp/check-0000:00:14.0.json"
same "a minor version above its own is read as 1.x" "$(cat "$fx/expected-marked.json")" \
	"$(python3 "$plugin" --from "$tmp" 2>&1)"
printf '[label x]\nvendor = 8086\n' >"$tmp/bad.conf"
check "a labels file with a key it does not know is refused, with its line" 2 "bad.conf:2: not a label line" \
	python3 "$plugin" --from "$fx" --labels "$tmp/bad.conf"

# Live, on this machine: it parses and advertises only functions list has.
printf '[label all]\nid = 8086:1237\n' >"$tmp/live.conf"
out=$(python3 "$plugin" --directpath "$tool" --labels "$tmp/live.conf" 2>&1)
same "live: a label run on this machine's tool gives one resource of listed functions" "ok" \
	"$(echo "$out" | python3 -c 'import json, subprocess, sys
r = json.load(sys.stdin)
bdfs = {d["bdf"] for d in json.loads(subprocess.run([sys.argv[1], "list", "--json"], capture_output=True, text=True).stdout)}
ok = [x["resourceName"] for x in r["resources"]] == ["directpath.io/all"] and \
     all(d["ID"] in bdfs and d["health"] in ("Healthy", "Unhealthy") for d in r["resources"][0]["devices"])
print("ok" if ok else r)' "$tool" 2>&1)"

echo "1..$n"
[ "$failed" -eq 0 ]
