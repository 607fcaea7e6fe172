#!/bin/sh
# SPDX-License-Identifier: MIT
# Runs in the guest of topology "two" with the iommufd kernel (run-in-guest
# --kernel iommufd): /dev/iommu, and for each edu (bound to vfio-pci, alone in
# its IOMMU group) its VFIO device cdev, vfio-dev/vfioN in sysfs and
# /dev/vfio/devices/vfioN with the same major:minor, beside the type1
# container and group nodes, which this kernel keeps. TAP output.
set -u
# shellcheck source=tests/tools/tap.sh
. "$(dirname "$0")/../tools/tap.sh"

# major:minor of a character device node, in hex as stat prints them.
majmin() {
	stat -c '%t:%T' "$1" 2>/dev/null
}
# The same from a sysfs dev file ("MAJOR:MINOR", decimal), in hex.
sysfs_majmin() {
	IFS=: read -r maj min <"$1" && printf '%x:%x\n' "$maj" "$min"
}

same "the guest runs the iommufd kernel (DP_GUEST_KERNEL)" iommufd "${DP_GUEST_KERNEL:-unset}"
case $(uname -r) in
6.12.*-dp-iommufd) pass "uname -r is $(uname -r)" ;;
*) fail "uname -r is 6.12.*-dp-iommufd" "uname -r: $(uname -r)" ;;
esac
if [ -c /dev/iommu ]; then
	pass "/dev/iommu is a character device"
	same "/dev/iommu is the iommu misc device's node" \
		"$(sysfs_majmin /sys/class/misc/iommu/dev)" "$(majmin /dev/iommu)"
else
	fail "/dev/iommu is a character device" "$(ls -l /dev/iommu 2>&1)"
fi
if [ -c /dev/vfio/vfio ]; then
	pass "the type1 container node /dev/vfio/vfio is still there"
else
	fail "the type1 container node /dev/vfio/vfio is still there" "$(ls -l /dev/vfio 2>&1)"
fi

edus=
for d in /sys/bus/pci/devices/*; do
	[ "$(cat "$d/vendor"):$(cat "$d/device")" = 0x1234:0x11e8 ] && edus="$edus ${d##*/}"
done
# shellcheck disable=SC2086 # one word per BDF
set -- $edus
same "two edu" 2 $#
cdevs=
for bdf in "$@"; do
	dev=/sys/bus/pci/devices/$bdf
	same "$bdf is bound to vfio-pci" vfio-pci "$(basename "$(readlink "$dev/driver")")"
	group=$(basename "$(readlink "$dev/iommu_group")")
	if [ -n "$group" ] && [ -c "/dev/vfio/$group" ]; then
		pass "$bdf: its group node /dev/vfio/$group is still there"
	else
		fail "$bdf: its group node is still there" "group '$group'" "$(ls -l /dev/vfio 2>&1)"
	fi
	node=$(ls "$dev/vfio-dev" 2>/dev/null)
	case $node in
	vfio[0-9]*) pass "$bdf has a VFIO device cdev in sysfs ($node)" ;;
	*)
		fail "$bdf has a VFIO device cdev in sysfs (vfio-dev/vfioN)" "vfio-dev: '$node'"
		continue
		;;
	esac
	cdevs="$cdevs $node"
	if [ -c "/dev/vfio/devices/$node" ]; then
		pass "$bdf: /dev/vfio/devices/$node is a character device"
		same "$bdf: /dev/vfio/devices/$node has the major:minor of vfio-dev/$node/dev" \
			"$(sysfs_majmin "$dev/vfio-dev/$node/dev")" "$(majmin "/dev/vfio/devices/$node")"
	else
		fail "$bdf: /dev/vfio/devices/$node is a character device" \
			"$(ls -l /dev/vfio/devices 2>&1)"
	fi
done
same "each edu has a cdev of its own" 2 "$(echo "$cdevs" | tr ' ' '\n' | sort -u | grep -c .)"

echo "1..$n"
[ "$failed" -eq 0 ]
