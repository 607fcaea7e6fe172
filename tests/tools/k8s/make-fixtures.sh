#!/bin/sh
# SPDX-License-Identifier: MIT
# Writes the fixtures of tests/tools/k8s-device-plugin.sh into DIR: the
# tool's list, show and check documents on the mkfakesys "basic" tree, with
# 00:14.0, 03:00.0, 03:00.1 and 05:10.0 marked and 00:14.0 and 05:10.0 bound
# to vfio-pci. Needs root (a private mount namespace). Then, by hand: keep
# the show documents the labels need, and write expected-*.json from the
# plugin's output once its every line has been checked.
# Usage: make-fixtures.sh PATH_TO_DIRECTPATH PATH_TO_MKFAKESYS DATA_DIR DIR
set -eu
tool=$1 mk=$2 data=$3 out=$4
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
"$mk" basic "$root/basic" >/dev/null
export tool root out data
# shellcheck disable=SC2016 # the inner shell expands them
unshare -m sh -ec '
mount --make-rprivate /
mount --bind "$root/basic" /sys
dc=$root/dc
mkdir -p "$dc" "$root/run" "$root/conf"
dp() { "$tool" --driverctl-dir "$dc" --run-dir "$root/run" --config-dir "$root/conf" --data-dir "$data" "$@"; }
for b in 0000:03:00.0 0000:03:00.1 0000:05:10.0 0000:00:14.0; do echo vfio-pci >"$dc/pci-$b"; done
for b in 0000:05:10.0 0000:00:14.0; do ln -sfn ../../../bus/pci/drivers/vfio-pci "/sys/bus/pci/devices/$b/driver"; done
dp list --json >"$out/list.json"
for b in $(python3 -c "import json, sys; [print(d[\"bdf\"]) for d in json.load(open(sys.argv[1]))]" "$out/list.json"); do
	dp check --devices "$b" --hw-version 7 --memory 1G --json >"$out/check-$b.json" || [ $? -eq 1 ]
	dp show --json "$b" >"$out/show-$b.json"
done
'
