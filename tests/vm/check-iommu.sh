#!/bin/sh
# SPDX-License-Identifier: MIT
# Runs in the guest of topology "one" (run-in-guest): an Intel IOMMU, edu
# alone in its IOMMU group and bound to vfio-pci, the VFIO container and
# group nodes, and the bus reset only a root port gives. TAP output.
# Usage: check-iommu.sh on|off   (whether the IOMMU remaps interrupts)
set -u
# shellcheck source=tests/tools/tap.sh
. "$(dirname "$0")/../tools/tap.sh"
want_ir=$1

edus() {
	for d in /sys/bus/pci/devices/*; do
		[ "$(cat "$d/vendor"):$(cat "$d/device")" = 0x1234:0x11e8 ] && echo "${d##*/}"
	done
}

set -- /sys/class/iommu/dmar*
if [ -e "$1" ]; then
	pass "the guest has an Intel IOMMU ($1)"
	# Interrupt remapping is bit 3 (IR) of the extended capabilities.
	ecap=$(cat "$1/intel-iommu/ecap")
	if [ $((0x$ecap >> 3 & 1)) -eq 1 ]; then ir=on; else ir=off; fi
	same "interrupt remapping is $want_ir (ecap $ecap)" "$want_ir" "$ir"
else
	fail "the guest has an Intel IOMMU" "no /sys/class/iommu/dmar*: $(ls /sys/class/iommu)"
fi

edu=$(edus)
same "one edu" 1 "$(echo "$edu" | grep -c .)"
dev=/sys/bus/pci/devices/$edu
group=$(basename "$(readlink "$dev/iommu_group")")
same "$edu is alone in IOMMU group $group" "$edu" \
	"$(ls "/sys/kernel/iommu_groups/$group/devices" 2>&1)"
same "$edu is bound to vfio-pci" vfio-pci "$(basename "$(readlink "$dev/driver")")"
if [ -c /dev/vfio/vfio ]; then
	pass "/dev/vfio/vfio is a character device"
else
	fail "/dev/vfio/vfio is a character device" "$(ls -l /dev/vfio 2>&1)"
fi
if [ -n "$group" ] && [ -c "/dev/vfio/$group" ]; then
	pass "/dev/vfio/$group is a character device"
else
	fail "/dev/vfio/<group> is a character device" "group '$group'" "$(ls -l /dev/vfio 2>&1)"
fi
# What VFIO turns into the RESET flag; edu has no function-level reset.
same "$edu resets through its root port's bus" bus "$(cat "$dev/reset_method" 2>&1)"

echo "1..$n"
[ "$failed" -eq 0 ]
