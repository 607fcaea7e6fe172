#!/bin/sh
# SPDX-License-Identifier: MIT
# minivmm end to end, run by run-in-guest inside the QEMU guest (its /dev/kvm
# is nested KVM, edu is bound to vfio-pci): minivmm-edu.sh MINIVMM
# The guest finds edu on its bus, places BAR0, reads the ID, does the
# liveness check, a DMA there and back, then programs edu's MSI and takes it
# through irqfd in its LAPIC and IDT, then INTx twice through the in-kernel
# IOAPIC (irqfd and resample). Run twice: the second attach proves the first
# detach gave everything back (GSIs and irqfds included). Debian's 6.1 has no
# iommufd: the default backend, auto, is type1, and --backend iommufd is
# refused with the reason, the device left free (minivmm-iommufd.sh runs
# the iommufd kernel).
set -u
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
minivmm=$1
mk_tmp

find_edu
permissive_policy

for run in 1 2; do
	how="run $run"
	vmm_ok 120 --policy "$policy" --device "$bdf" --timeout 100
	expect 'minivmm: policy check of "minivmm" (1 device): allowed'
	expect 'minivmm: VFIO backend type1: '
	expect "minivmm: 00:01.0 is $bdf (1234:11e8)"
	expect 'pci 00:00.0 1b36:0008 class 060000'
	expect 'pci 00:01.0 1234:11e8 class 00ff00'
	expect '    bar0 mem  0xc0000000 size 0x00100000'
	expect 'edu: id 0x010000ed'
	expect 'edu: liveness 0xa5a55a5a'
	expect 'edu: DMA of 4000 bytes there and back verified'
	expect 'MSI OK'
	expect 'edu: INTx on IOAPIC pin 16'
	expect 'INTx OK'
	expect 'guest: 3 interrupts'
	expect 'pci: 2 functions on bus 0'
	grep -qx PASS "$out" || fail "$how: no PASS line from the guest"
	expect 'minivmm: the guest passed'
	[ ! -s "$err" ] || fail "$how: unexpected messages on stderr"
done
# iommufd asked for where the kernel has none: refused with the reason
# before the guest starts, and the device is left free (the runs below).
how="--backend iommufd on 6.1"
timeout 120 "$minivmm" --policy "$policy" --device "$bdf" --backend iommufd >"$out" 2>"$err"
rc=$?
[ $rc -eq 1 ] || fail "$how: exit $rc, expected 1"
expect 'minivmm: cannot attach the devices: Operation not supported' "$err"
expect '/dev/iommu' "$err"
! grep -q 'starting the guest' "$out" || fail "$how: the guest started"
# SIGTERM while the guest runs (--hold keeps it running after its checks):
# minivmm detaches and exits 128 + 15, and the device is free again at once.
"$minivmm" --policy "$policy" --device "$bdf" --timeout 100 --hold >"$out" 2>"$err" &
pid=$!
i=0
until grep -qF 'holding until' "$out" || [ $i -ge 600 ]; do
	sleep 0.1
	i=$((i + 1))
done
grep -qF 'holding until' "$out" || fail "signal run: the guest never reached its hold"
kill -TERM "$pid"
wait "$pid"
rc=$?
[ $rc -eq 143 ] || fail "signal run: exit $rc after SIGTERM, expected 143"
[ ! -e "/tmp/dp-run/lease-$bdf" ] && [ ! -e "/run/directpath/lease-$bdf" ] ||
	fail "signal run: the lease is still there"
# The device must be free.
how="after SIGTERM"
vmm_ok 120 --policy "$policy" --device "$bdf" --timeout 100
expect 'MSI OK'
expect 'INTx OK'
echo "PASS: edu through minivmm, twice, and again after a SIGTERM mid-run"
