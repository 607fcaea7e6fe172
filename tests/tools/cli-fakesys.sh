#!/bin/sh
# SPDX-License-Identifier: MIT
# The admin tool on synthetic /sys trees (mkfakesys presets), bind-mounted
# over /sys in a private mount namespace: eligibility hints, show, and mark
# and unmark with their driverctl files and refusals. TAP output.
# Usage: cli-fakesys.sh PATH_TO_DIRECTPATH PATH_TO_MKFAKESYS
# DP_CLI_WRAPPER, when set, is a command the tool runs under (see cli.sh).
set -u
# shellcheck source=tests/tools/tap.sh
. "$(dirname "$0")/tap.sh"
tool=$1 mkfakesys=$2

# A TAP skip: meson (1.0) counts "1..0 # SKIP" as skipped but exit 77 under
# protocol 'tap' as an error, so the plan line says it and the status is 0.
skip() {
	echo "1..0 # SKIP $1"
	exit 0
}

if [ -z "${DP_CLI_FAKESYS:-}" ]; then
	[ "$(id -u)" -eq 0 ] || skip "needs root to mount a synthetic /sys"
	[ -x "$mkfakesys" ] || skip "mkfakesys ($mkfakesys) is not built"
	unshare -m true 2>/dev/null || skip "unshare -m is not permitted here"
	root=$(mktemp -d) || exit 1
	trap 'rm -rf "$root"' EXIT
	for preset in basic noiommu; do
		if ! "$mkfakesys" "$preset" "$root/$preset" >"$root/mkfakesys.log" 2>&1; then
			echo "Bail out! mkfakesys $preset failed: $(cat "$root/mkfakesys.log")"
			exit 1
		fi
	done
	# The checks run in a mount namespace of their own; mounts die with it.
	DP_CLI_FAKESYS=$root unshare -m sh "$0" "$@"
	exit $?
fi

root=$DP_CLI_FAKESYS
if ! mount --make-rprivate / || ! mount --bind "$root/basic" /sys; then
	echo "Bail out! cannot bind-mount the synthetic tree over /sys"
	exit 1
fi
dc=$root/driverctl.d
mkdir "$dc" || exit 1
tool=$(wrap_tool "$tool" "$root")
dp() { "$tool" --driverctl-dir "$dc" "$@"; }

# A field of one function in list --json: json_field BDF KEY
json_field() {
	dp list --json | python3 -c 'import json, sys
for d in json.load(sys.stdin):
    if d["bdf"] == sys.argv[1]:
        print(d[sys.argv[2]])' "$1" "$2"
}

# The STATUS column of one function in list: list_status BDF
list_status() {
	dp list | awk -v b="$1" '$1 == b { print $7 }'
}

file_of() { cat "$1" 2>/dev/null || echo "(absent)"; }

# driver_override as the kernel means it: "(null)" and empty are both unset.
override_of() {
	v=$(cat "$1") || return
	case $v in
	"(null)" | "") echo "(unset)" ;;
	*) echo "$v" ;;
	esac
}

nic=0000:03:00.0 sibling=0000:03:00.1 usb=0000:00:14.0 bridge=0000:00:1c.0
vga=0000:01:00.0 pf=0000:05:00.0 vf=0000:05:10.0 hostbridge=0000:00:00.0
dev=/sys/bus/pci/devices

# Inventory and hints.
want=$(ls $dev | LC_ALL=C sort)
same "list shows one row per synthetic function" "$want" \
	"$(dp list | tail -n +2 | cut -d ' ' -f 1)"
same "list --json has the same BDFs" "$want" \
	"$(dp list --json | python3 -c 'import json, sys
for d in json.load(sys.stdin): print(d["bdf"])')"
same "a PCI bridge is hinted bridge" bridge "$(list_status $bridge)"
same "a host bridge is hinted bridge" bridge "$(list_status $hostbridge)"
same "the boot VGA device is hinted boot-vga" boot-vga "$(list_status $vga)"
same "a NIC sharing group 7 is hinted shared-group" shared-group "$(list_status $nic)"
same "a USB controller alone in its group is eligible" eligible "$(list_status $usb)"
same "list shows driver and group of the NIC" "ixgbe 7" \
	"$(dp list | awk -v b=$nic '$1 == b { print $4, $5 }')"
same "list --json gives the group as a number" 7 "$(json_field $nic iommu_group)"
same "list --json gives IDs as hex strings" "8086 10fb" \
	"$(json_field $nic vendor_id) $(json_field $nic device_id)"

check "host finds the Intel IOMMU" 0 "intel" dp host
same "host sees interrupt remapping and vfio-pci" "yes loaded" \
	"$(dp host | awk '/^interrupt remapping/ { ir = $3 } /^vfio-pci/ { v = $2 } END { print ir, v }')"
same "host --json agrees" "intel True True" "$(dp host --json | python3 -c 'import json, sys
h = json.load(sys.stdin)
print(h["iommu"], h["interrupt_remapping"], h["vfio_pci"])')"

check "show names the NIC's group sibling and its driver" 0 "$sibling (ixgbe)" dp show $nic
check "show spells out FLR" 0 "flr" dp show $nic
check "show of a VF names its PF" 0 "virtual function of $pf" dp show $vf
check "show of a PF says it is one" 0 "physical function" dp show $pf
same "show --json lists the group members with drivers" "$nic ixgbe $sibling ixgbe" \
	"$(dp show --json $nic | python3 -c 'import json, sys
d = json.load(sys.stdin)
print(" ".join(m["bdf"] + " " + str(m["driver"]) for m in d["iommu_group_members"]))')"
same "show --json of a VF gives physfn" "$pf" \
	"$(dp show --json $vf | python3 -c 'import json, sys; print(json.load(sys.stdin)["physfn"])')"
check "show of an absent function exits 2" 2 "no such PCI function" dp show 0000:09:00.0

# Marking: refusals.
check "mark of a PCI bridge is denied and says bridge" 1 "bridge" dp mark $bridge
same "a refused mark writes no driverctl file" "(absent)" "$(file_of "$dc/pci-$bridge")"
check "mark of the boot VGA device is denied" 1 "boot VGA" dp mark $vga
check "mark of a host bridge is denied" 1 "bridge" dp mark $hostbridge
check "mark --force of a bridge works" 0 "marked for passthrough" dp mark --force $bridge
same "mark --force wrote the driverctl file" vfio-pci "$(file_of "$dc/pci-$bridge")"
check "unmark of the bridge works" 0 "unmarked" dp unmark $bridge
same "unmark removed the bridge's file" "(absent)" "$(file_of "$dc/pci-$bridge")"

# Marking the NIC: the file, the group, list, unmark.
out=$(dp mark $nic 2>&1)
rc=$?
same "mark of the NIC exits 0" 0 "$rc"
same "mark wrote pci-BDF holding vfio-pci in --driverctl-dir" vfio-pci "$(file_of "$dc/pci-$nic")"
case $out in
*"must follow"*"$sibling"*) pass "mark says the group sibling must follow" ;;
*) fail "mark says the group sibling must follow" "output: $out" ;;
esac
same "the driverctl directory holds nothing else" "pci-$nic" "$(ls -A "$dc")"
same "list --json shows the NIC marked" True "$(json_field $nic marked)"
same "list --json leaves its sibling unmarked" False "$(json_field $sibling marked)"
same "list shows MARKED yes" yes "$(dp list | awk -v b=$nic '$1 == b { print $6 }')"
check "show says marked" 0 "marked              yes" dp show $nic
check "marking again says already marked" 0 "already marked" dp mark $nic
check "unmark of the NIC works" 0 "unmarked" dp unmark $nic
same "unmark removed the file" "(absent)" "$(file_of "$dc/pci-$nic")"
same "list --json shows the NIC unmarked" False "$(json_field $nic marked)"
check "unmark of an unmarked function says so" 0 "was not marked" dp unmark $nic
check "mark accepts a BDF without domain" 0 "marked for passthrough" dp mark 03:00.1
same "... and names the file by the full BDF" vfio-pci "$(file_of "$dc/pci-$sibling")"
dp unmark $sibling >/dev/null 2>&1

# mark --now: there is no kernel behind the tree, so the bind cannot take.
before=$(override_of $dev/$nic/driver_override)
drv_before=$(readlink $dev/$nic/driver)
check "mark --now exits 1: the binding did not take" 1 "did not take" dp mark --now $nic
same "mark --now left driver_override unchanged" "$before" "$(override_of $dev/$nic/driver_override)"
same "mark --now left the driver link alone" "$drv_before" "$(readlink $dev/$nic/driver)"
same "mark --now left no driverctl file" "" "$(ls -A "$dc")"

# No IOMMU: nothing is eligible, and marking warns.
umount /sys
if mount --bind "$root/noiommu" /sys; then
	check "host says no IOMMU on the noiommu tree" 0 "no IOMMU" dp host
	same "without an IOMMU the USB controller is hinted no-iommu" no-iommu "$(list_status $usb)"
	same "without an IOMMU list shows no group" - "$(dp list | awk -v b=$usb '$1 == b { print $5 }')"
	check "mark without an IOMMU group warns" 0 "no IOMMU group" dp mark $usb
	same "... and still writes the mark" vfio-pci "$(file_of "$dc/pci-$usb")"
else
	fail "bind-mount the noiommu tree"
fi

echo "1..$n"
[ $failed -eq 0 ]
