#!/bin/sh
# SPDX-License-Identifier: MIT
# Runs in the guest (run-in-guest --topology NAME): the IOMMU groups each
# topology is for (testing.md, "Topologies and IOMMU groups"). TAP output.
# Usage: check-groups.sh one|two|shared-bridge|multifn|nvme
set -u
# shellcheck source=tests/tools/tap.sh
. "$(dirname "$0")/../tools/tap.sh"
topology=$1

# The functions with vendor:device $1 (edu by default).
edus() {
	for d in /sys/bus/pci/devices/*; do
		[ "$(cat "$d/vendor"):$(cat "$d/device")" = "${1:-0x1234:0x11e8}" ] && echo "${d##*/}"
	done
}
group_of() { basename "$(readlink "/sys/bus/pci/devices/$1/iommu_group")"; }
members() { ls "/sys/kernel/iommu_groups/$1/devices" | tr '\n' ' ' | sed 's/ $//'; }
# The device a function sits behind, from its place in the sysfs tree.
parent_of() { basename "$(dirname "$(readlink -f "/sys/bus/pci/devices/$1")")"; }

edu=$(edus | tr '\n' ' ' | sed 's/ $//')
nvme=$(edus 0x1b36:0x0010 | tr '\n' ' ' | sed 's/ $//')
# shellcheck disable=SC2086 # one word per device
set -- $edu
case $topology in
one)
	same "one edu" 1 $#
	same "$1 is alone in its group" "$1" "$(members "$(group_of "$1")")"
	;;
two)
	same "two edu" 2 $#
	same "$1 is alone in its group" "$1" "$(members "$(group_of "$1")")"
	same "$2 is alone in its group" "$2" "$(members "$(group_of "$2")")"
	if [ "$(group_of "$1")" != "$(group_of "$2")" ]; then
		pass "the two edu are in different groups"
	else
		fail "the two edu are in different groups" "both in $(group_of "$1")"
	fi
	;;
shared-bridge)
	same "two edu" 2 $#
	bridge=$(parent_of "$1")
	same "both edu sit behind one bridge" "$bridge" "$(parent_of "$2")"
	same "the bridge is QEMU's PCIe-to-PCI bridge" 0x1b36:0x000e \
		"$(cat "/sys/bus/pci/devices/$bridge/vendor"):$(cat "/sys/bus/pci/devices/$bridge/device")"
	same "the bridge and both edu share one group" "$bridge $1 $2" \
		"$(members "$(group_of "$1")")"
	;;
multifn)
	same "edu at functions 7.0 and 7.1" "0000:00:07.0 0000:00:07.1" "$edu"
	same "both functions share one group" "$edu" "$(members "$(group_of "$1")")"
	;;
nvme)
	same "one edu" 1 $#
	same "one NVMe" 1 "$(echo "$nvme" | wc -w)"
	same "the NVMe has class 0x010802" 0x010802 "$(cat "/sys/bus/pci/devices/$nvme/class")"
	same "$nvme is alone in its group" "$nvme" "$(members "$(group_of "$nvme")")"
	same "$1 is alone in its group" "$1" "$(members "$(group_of "$1")")"
	# Behind a root port: its own FLR, and the port's bus reset.
	same "the NVMe resets by FLR or bus reset" "flr bus" \
		"$(cat "/sys/bus/pci/devices/$nvme/reset_method")"
	;;
*)
	echo "Bail out! unknown topology $topology"
	exit 1
	;;
esac

# Every topology: the ICH9 LPC, SATA and SMBus functions of q35 share one.
same "q35's ICH9 functions share a group" "0000:00:1f.0 0000:00:1f.2 0000:00:1f.3" \
	"$(members "$(group_of 0000:00:1f.0)")"
for e in $edu $nvme; do
	g=$(group_of "$e")
	same "$e is bound to vfio-pci" vfio-pci \
		"$(basename "$(readlink "/sys/bus/pci/devices/$e/driver")")"
	if [ -c "/dev/vfio/$g" ]; then
		pass "/dev/vfio/$g exists for $e"
	else
		fail "/dev/vfio/$g exists for $e" "$(ls -l /dev/vfio 2>&1)"
	fi
done

echo "1..$n"
[ "$failed" -eq 0 ]
