#!/bin/sh
# SPDX-License-Identifier: MIT
# minivmm with the iommufd backend, run by run-in-guest --kernel iommufd
# inside the QEMU guest (Linux 6.12 with /dev/iommu and the VFIO device
# cdev, nested KVM, edu on vfio-pci): minivmm-iommufd.sh MINIVMM
#  1. --backend iommufd --hold: minivmm prints the backend and why, its guest
#     does the edu's DMA round trip (through an IOAS mapping of all its RAM),
#     MSI and INTx through irqfd; while it holds, minivmm has /dev/iommu and
#     the edu's /dev/vfio/devices/vfioN open, and neither the type1
#     container, the group nor a device fd got from a group; SIGTERM
#     detaches (exit 143), no lease left.
#  2. --backend auto: iommufd again (the kernel has /dev/iommu and edu its
#     cdev), and the device was free after run 1.
#  3. --backend type1 --hold in the same kernel, on the same edu: the
#     container, the group and the device fd from it, not /dev/iommu nor the
#     cdev; the guest passes the same way.
set -u
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
minivmm=$1
mk_tmp

find_edu
[ -c /dev/iommu ] || fail "no /dev/iommu in the guest: this test runs under run-in-guest --kernel iommufd"
cdev=
for d in "/sys/bus/pci/devices/$bdf/vfio-dev"/vfio*; do
	[ -e "$d" ] && cdev=${d##*/}
done
[ -n "$cdev" ] || fail "$bdf has no VFIO device node (/sys/bus/pci/devices/$bdf/vfio-dev)"
[ -c "/dev/vfio/devices/$cdev" ] || fail "no /dev/vfio/devices/$cdev for $bdf"
group=$(basename "$(readlink "/sys/bus/pci/devices/$bdf/iommu_group")")
permissive_policy

# The guest's checks, the same whatever the backend (minivmm-edu.sh's).
expect_guest() {
	expect 'minivmm: policy check of "minivmm" (1 device): allowed'
	expect "minivmm: VFIO backend $1: "
	expect "minivmm: 00:01.0 is $bdf (1234:11e8)"
	expect 'edu: id 0x010000ed'
	expect 'edu: liveness 0xa5a55a5a'
	expect 'edu: DMA of 4000 bytes there and back verified'
	expect 'MSI OK'
	expect 'INTx OK'
	expect 'guest: 3 interrupts'
	grep -qx PASS "$out" || fail "$how: no PASS line from the guest"
}

# What process $1 holds open: one target per line (/dev/..., anon_inode:...).
open_files() {
	for fd in /proc/"$1"/fd/*; do
		readlink "$fd"
	done
}

# held BACKEND: minivmm --backend BACKEND --hold; once its guest holds,
# checks its open files against the backend, then stops it with SIGTERM.
held() {
	how="$1 --hold"
	"$minivmm" --policy "$policy" --device "$bdf" --backend "$1" --timeout 150 --hold \
		>"$out" 2>"$err" &
	pid=$!
	i=0
	until grep -qF 'holding until' "$out" || [ $i -ge 1500 ] || ! kill -0 "$pid" 2>/dev/null; do
		sleep 0.1
		i=$((i + 1))
	done
	if ! grep -qF 'holding until' "$out"; then
		kill -TERM "$pid" 2>/dev/null
		wait "$pid"
		fail "$how: the guest never reached its hold (minivmm's exit status $?)"
	fi
	open_files "$pid" >"$tmp/fds"
	echo "$how: minivmm holds $(grep -e '^/dev/' -e '^anon_inode:' "$tmp/fds" | sort -u | tr '\n' ' ')"
	kill -TERM "$pid"
	wait "$pid"
	rc=$?
	[ $rc -eq 143 ] || fail "$how: exit $rc after SIGTERM, expected 143"
	expect_guest "$1"
	if [ "$1" = iommufd ]; then
		expect /dev/iommu "$tmp/fds"
		expect "/dev/vfio/devices/$cdev" "$tmp/fds"
		! grep -qx -e /dev/vfio/vfio -e "/dev/vfio/$group" -e 'anon_inode:\[vfio-device\]' "$tmp/fds" ||
			fail "$how: minivmm holds the type1 container, group or a device fd from the group"
	else
		expect /dev/vfio/vfio "$tmp/fds"
		expect "/dev/vfio/$group" "$tmp/fds"
		expect 'anon_inode:[vfio-device]' "$tmp/fds"
		! grep -qx -e /dev/iommu -e "/dev/vfio/devices/$cdev" "$tmp/fds" ||
			fail "$how: minivmm holds iommufd's nodes"
	fi
	expect 'anon_inode:kvm-vfio' "$tmp/fds"
	[ ! -e "/tmp/dp-run/lease-$bdf" ] && [ ! -e "/run/directpath/lease-$bdf" ] ||
		fail "$how: the lease is still there"
	expect 'minivmm: stopped by signal 15' "$err"
	! grep -vqx 'minivmm: stopped by signal 15' "$err" || fail "$how: unexpected messages on stderr"
}

held iommufd
how="auto"
vmm_ok 150 --policy "$policy" --device "$bdf" --backend auto --timeout 120
expect_guest iommufd
expect 'minivmm: the guest passed'
expect 'minivmm: interrupts relayed by minivmm: 0'
[ ! -s "$err" ] || fail "$how: unexpected messages on stderr"
held type1
echo "PASS: edu through minivmm on iommufd (DMA, MSI, INTx; auto picks it) and on type1, in one kernel"
