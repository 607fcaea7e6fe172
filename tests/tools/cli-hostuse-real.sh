#!/bin/sh
# SPDX-License-Identifier: MIT
# What the host loses, on this machine: show (text and --json) and check of
# every PCI function run without error, and the function holding the root
# filesystem (found here from /proc/self/mountinfo and sysfs, through dm/md
# slaves) gets host-boot-filesystem. Exits 77, saying why, when the root
# filesystem is on no PCI device.
# Usage: cli-hostuse-real.sh PATH_TO_DIRECTPATH [DATA_DIR]
# DP_CLI_WRAPPER, when set, is a command the tool runs under (see cli.sh).
set -u
tool=$1
data=${2:-$(cd "$(dirname "$0")/../../data" && pwd)}
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
if [ -n "${DP_CLI_WRAPPER:-}" ]; then
	printf '#!/bin/sh\nexec %s "%s" "$@"\n' "$DP_CLI_WRAPPER" "$tool" >"$tmp/directpath"
	chmod 755 "$tmp/directpath"
	tool=$tmp/directpath
fi
dp() { "$tool" --data-dir "$data" --driverctl-dir "$tmp/driverctl.d" --run-dir "$tmp/run" "$@"; }
failed=0
fail() { echo "FAIL: $*"; failed=1; }

# The PCI function (last PCI address in the sysfs path) of block device
# MAJ:MIN, or of the first of its slaves that has one (LVM, RAID).
pci_of_block() {
	p=$(readlink -f "/sys/dev/block/$1") || return 1
	bdf=$(echo "$p" | tr '/' '\n' | grep -E '^[0-9a-f]{4,}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]$' | tail -n 1)
	if [ -n "$bdf" ]; then
		echo "$bdf"
		return 0
	fi
	for s in "$p"/slaves/*; do
		[ -e "$s/dev" ] || continue
		pci_of_block "$(cat "$s/dev")" && return 0
	done
	return 1
}

for d in /sys/bus/pci/devices/*; do
	bdf=${d##*/}
	dp show "$bdf" >"$tmp/show.out" 2>&1 || fail "show $bdf: exit $?: $(cat "$tmp/show.out")"
	grep -q "^  host use " "$tmp/show.out" || fail "show $bdf: no host use part: $(cat "$tmp/show.out")"
	dp show --json "$bdf" >"$tmp/show.json" 2>"$tmp/show.err" ||
		fail "show --json $bdf: exit $?: $(cat "$tmp/show.err")"
	python3 -c 'import json, sys; h = json.load(open(sys.argv[1]))["host_use"]; assert isinstance(h["usb"], list)' \
		"$tmp/show.json" || fail "show --json $bdf: no host_use object"
	dp check --devices "$bdf" --hw-version 7 --memory 1G --json >"$tmp/check.json" 2>"$tmp/check.err"
	rc=$?
	[ $rc -le 1 ] || fail "check $bdf: exit $rc: $(cat "$tmp/check.err")"
	python3 -c 'import json, sys; json.load(open(sys.argv[1]))' "$tmp/check.json" ||
		fail "check --json $bdf: not JSON"
	echo "# $bdf: show, show --json and check (exit $rc) ran"
done

root=$(awk '$5 == "/" { dev = $3 } END { print dev }' /proc/self/mountinfo)
case $root in
"" | 0:*)
	echo "SKIP: the root filesystem's device number (${root:-none}) is no block device"
	[ $failed -eq 0 ] && exit 77 || exit 1 ;;
esac
if ! ctl=$(pci_of_block "$root"); then
	echo "SKIP: the root filesystem ($root) is on no PCI device"
	[ $failed -eq 0 ] && exit 77 || exit 1
fi
echo "# the root filesystem ($root) is on $ctl"
dp check --devices "$ctl" --hw-version 7 --memory 1G --json >"$tmp/root.json" 2>&1
rc=$?
[ $rc -eq 1 ] || fail "check of $ctl: exit $rc, want 1 (denied)"
python3 -c 'import json, sys
r = json.load(open(sys.argv[1]))
f = [f for f in r["findings"] if f["name"] == "host-boot-filesystem" and f["subject"] == sys.argv[2]]
assert f, "no host-boot-filesystem finding for " + sys.argv[2]
assert f[0]["severity"] == "error" and f[0]["rule"] == "host_boot_filesystem", f[0]
assert "the host'"'"'s / (on " in f[0]["message"], f[0]["message"]
print("# " + f[0]["message"])' "$tmp/root.json" "$ctl" || fail "check of $ctl: $(cat "$tmp/root.json")"
dp show "$ctl" >"$tmp/show.out" 2>&1
grep -q "mounted on /\(,\| \|$\)" "$tmp/show.out" || fail "show $ctl does not list the root mount: $(cat "$tmp/show.out")"
[ $failed -eq 0 ] && echo "PASS" || exit 1
