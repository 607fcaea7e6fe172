#!/bin/sh
# SPDX-License-Identifier: MIT
# The admin tool on this machine's own /sys: options, exit codes, and that
# host, list and show agree with what sysfs says. TAP output.
# Usage: cli.sh PATH_TO_DIRECTPATH VERSION
# DP_CLI_WRAPPER, when set, is a command the tool runs under, e.g.
# "valgrind -q --leak-check=full --errors-for-leak-kinds=definite,indirect
# --error-exitcode=3": its errors change the exit status and fail the check.
set -u
# shellcheck source=tests/tools/tap.sh
. "$(dirname "$0")/tap.sh"
tool=$1 version=$2
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
tool=$(wrap_tool "$tool" "$tmp")
dc=$tmp/driverctl.d
mkdir "$dc" || exit 1

json_bdfs='import json, sys
for d in json.load(sys.stdin):
    print(d["bdf"])'

# Options and exit codes.
check "--version names tool and library versions" 0 "directpath $version (libdirectpath $version)" "$tool" --version
check "-V is --version" 0 "libdirectpath $version" "$tool" -V
check "version command" 0 "libdirectpath $version" "$tool" version
check "--help lists the commands" 0 "Commands:" "$tool" --help
check "--help names every command" 0 "unmark" "$tool" --help
check "--help documents exit codes" 0 "2 usage or I/O error" "$tool" -h
check "--help documents --driverctl-dir" 0 "--driverctl-dir DIR" "$tool" --help
check "list --help shows list's usage" 0 "Usage: directpath [OPTIONS] list [--json]" "$tool" list --help
check "help mark shows mark's options" 0 "--force" "$tool" help mark
check "mark --help shows --now" 0 "--now" "$tool" mark --help
check "help of an unknown command is a usage error" 2 'unknown command "frob"' "$tool" help frob
check "no command is a usage error" 2 "no command given" "$tool"
check "unknown command is a usage error" 2 'unknown command "frobnicate"' "$tool" frobnicate
check "unknown option is a usage error" 2 "Usage:" "$tool" --frobnicate
check "help goes to stdout, errors to stderr" 0 "" sh -c "\"$tool\" frobnicate 2>/dev/null | grep -q . && exit 1 || exit 0"
check "an option of another command is a usage error" 2 "list: unknown option --now" "$tool" list --now
check "--force does not apply to unmark" 2 "unmark: unknown option --force" "$tool" unmark --force 0000:00:00.0
check "show needs a BDF" 2 "show: a PCI address (BDF) is needed" "$tool" show
check "mark needs a BDF" 2 "mark: a PCI address (BDF) is needed" "$tool" mark
check "list takes no argument" 2 'list: unexpected argument "0000:00:00.0"' "$tool" list 0000:00:00.0
check "a malformed BDF is a usage error" 2 '"0000:zz:00.0" is not a PCI address' "$tool" show 0000:zz:00.0
check "function 8 is not a BDF" 2 "is not a PCI address" "$tool" show 0000:00:00.8
check "mark of a malformed BDF is a usage error" 2 "is not a PCI address" "$tool" mark --driverctl-dir "$dc" 03:00
check "a relative --driverctl-dir is refused with the library's reason" 2 "not an absolute path" "$tool" --driverctl-dir relative/dir list
check "--driverctl-dir needs its argument" 2 "Usage:" "$tool" list --driverctl-dir
check "a write error on stdout is an I/O error" 2 "cannot write the output" sh -c "\"$tool\" list >/dev/full"

# list against /sys/bus/pci/devices.
want=$(ls /sys/bus/pci/devices | LC_ALL=C sort)
out=$("$tool" list 2>"$tmp/err")
rc=$?
same "list exits 0 and prints nothing on stderr" "0:" "$rc:$(cat "$tmp/err")"
same "list has a header" "BDF ID CLASS DRIVER GROUP MARKED STATUS NAME" \
	"$(echo "$out" | head -n 1 | tr -s ' ')"
same "list shows one row per /sys/bus/pci/devices entry, in order" "$want" \
	"$(echo "$out" | tail -n +2 | cut -d ' ' -f 1)"
# Columns are aligned: every row starts its ID column where the header does.
col=$(echo "$out" | head -n 1 | awk '{ print index($0, " ID ") + 1 }')
bad=$(echo "$out" | tail -n +2 | awk -v c="$col" 'substr($0, c, 5) !~ /^[0-9a-f][0-9a-f][0-9a-f][0-9a-f]:$/')
same "list's columns are aligned" "" "$bad"
ids=$(for d in $want; do
	v=$(cat /sys/bus/pci/devices/$d/vendor) p=$(cat /sys/bus/pci/devices/$d/device)
	echo "$d ${v#0x}:${p#0x}"
done)
same "list shows each function's vendor:device IDs from sysfs" "$ids" \
	"$(echo "$out" | tail -n +2 | awk '{ print $1, $2 }')"
drivers=$(for d in $want; do
	if [ -e /sys/bus/pci/devices/$d/driver ]; then
		basename "$(readlink /sys/bus/pci/devices/$d/driver)"
	else
		echo -
	fi
done)
same "list shows each function's driver from sysfs" "$drivers" \
	"$(echo "$out" | tail -n +2 | awk '{ print $4 }')"

out=$("$tool" list --json 2>&1)
same "list --json parses, with the same BDFs" "$want" \
	"$(echo "$out" | python3 -c "$json_bdfs" 2>&1)"

# The host: no IOMMU unless /sys/class/iommu has one.
if [ -n "$(ls /sys/class/iommu 2>/dev/null)" ]; then
	check "host finds the IOMMU sysfs shows" 0 "IOMMU" "$tool" host
	iommu=present
else
	check "host says there is no IOMMU" 0 "no IOMMU: passthrough is not possible" "$tool" host
	out=$("$tool" host 2>&1)
	same "host's IOMMU line says none" "IOMMU none" "$(echo "$out" | grep -E '^IOMMU {2,}' | tr -s ' ')"
	out=$("$tool" list 2>&1)
	same "without an IOMMU nothing is eligible" "" \
		"$(echo "$out" | tail -n +2 | awk '$7 != "no-iommu" && $7 != "bridge" && $7 != "boot-vga"')"
	iommu=none
fi
hj=$("$tool" host --json 2>&1)
got=$(echo "$hj" | python3 -c 'import json, sys
h = json.load(sys.stdin)
print("none" if h["iommu"] == "none" else "present", h["kvm"] == (h["kvm_api_version"] == 12))' 2>&1)
same "host --json parses and agrees with sysfs" "$iommu True" "$got"
if [ -e /dev/kvm ]; then
	check "host says whether /dev/kvm is usable" 0 "KVM" "$tool" host
fi
lim=$(ulimit -l)
if [ "$lim" != unlimited ]; then
	got=$(echo "$hj" | python3 -c 'import json, sys; print(json.load(sys.stdin)["memlock_soft"] // 1024)')
	same "host --json gives RLIMIT_MEMLOCK in bytes" "$lim" "$got"
fi

# show of a real function.
first=$(echo "$want" | head -n 1)
if [ -n "$first" ]; then
	v=$(cat /sys/bus/pci/devices/$first/vendor) p=$(cat /sys/bus/pci/devices/$first/device)
	check "show of a real function names its IDs" 0 "vendor:device       ${v#0x}:${p#0x}" "$tool" show "$first"
	check "show accepts a BDF without domain" 0 "$first" "$tool" show "${first#0000:}"
	got=$("$tool" show --json "$first" | python3 -c 'import json, sys
d = json.load(sys.stdin)
print(d["bdf"], d["vendor_id"], d["device_id"], type(d["flags"]).__name__, type(d["bars"]).__name__)' 2>&1)
	same "show --json parses, with the IDs sysfs gives" "$first ${v#0x} ${p#0x} list list" "$got"
	check "-v keeps working" 0 "$first" "$tool" -v show "$first"
fi
# An address no machine here has: the highest domain, bus, device and function.
if [ ! -e /sys/bus/pci/devices/ffff:ff:1f.7 ]; then
	check "show of an absent function exits 2" 2 "ffff:ff:1f.7: no such PCI function" "$tool" show ffff:ff:1f.7
	check "mark of an absent function exits 2 and writes nothing" 2 "no such PCI function" \
		"$tool" --driverctl-dir "$dc" mark ffff:ff:1f.7
	same "the driverctl directory stays empty" "" "$(ls -A "$dc")"
fi

# A directory the caller cannot write: an I/O error, with the reason.
if [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null && [ -n "$first" ]; then
	ro=$tmp/readonly
	mkdir "$ro" && chmod 755 "$tmp" "$ro"
	check "mark into an unwritable directory exits 2 and says why" 2 "Permission denied" \
		setpriv --reuid=65534 --regid=65534 --clear-groups "$tool" --driverctl-dir "$ro" mark --force "$first"
	same "... and leaves nothing there" "" "$(ls -A "$ro")"
fi

echo "1..$n"
[ $failed -eq 0 ]
