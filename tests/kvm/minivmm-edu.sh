#!/bin/sh
# SPDX-License-Identifier: MIT
# minivmm end to end, run by run-in-guest inside the QEMU guest (its /dev/kvm
# is nested KVM, edu is bound to vfio-pci): minivmm-edu.sh MINIVMM
# The guest finds edu on its bus, places BAR0, reads the ID, does the
# liveness check, a DMA there and back, then programs edu's MSI and takes it
# through irqfd in its LAPIC and IDT, then INTx twice through the in-kernel
# IOAPIC (irqfd and resample). Run twice: the second attach proves the first
# detach gave everything back (GSIs and irqfds included).
set -u
# The library's own log would land on stderr, which the cases check is empty.
unset DIRECTPATH_LOG
minivmm=$1
out=$(mktemp)
err=$(mktemp)
policy=$(mktemp)
trap 'rm -f "$out" "$err" "$policy"' EXIT

fail() {
	echo "FAIL: $*"
	echo "--- stdout"; cat "$out"
	echo "--- stderr"; cat "$err"
	exit 1
}

expect() {
	grep -qF -- "$1" "$out" || fail "no \"$1\" on stdout"
}

bdf=
for d in /sys/bus/pci/devices/*; do
	if [ "$(cat "$d/vendor")" = 0x1234 ] && [ "$(cat "$d/device")" = 0x11e8 ]; then
		bdf=${d##*/}
		break
	fi
done
[ -n "$bdf" ] || { echo "FAIL: no edu device in the guest"; exit 1; }
[ -c /dev/kvm ] || { echo "FAIL: no /dev/kvm in the guest"; exit 1; }
# edu is neither marked nor on the compatibility list; the IOMMU rules stay on.
printf '[policy]\nrequire_marked = no\nunlisted_devices = allow\n' >"$policy"

for run in 1 2; do
	timeout 120 "$minivmm" --policy "$policy" --device "$bdf" --timeout 100 >"$out" 2>"$err"
	rc=$?
	[ $rc -eq 0 ] || fail "run $run: exit $rc, expected 0"
	expect 'minivmm: policy check of "minivmm" (1 device): allowed'
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
	grep -qx PASS "$out" || fail "run $run: no PASS line from the guest"
	expect 'minivmm: the guest passed'
	[ ! -s "$err" ] || fail "run $run: unexpected messages on stderr"
done
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
timeout 120 "$minivmm" --policy "$policy" --device "$bdf" --timeout 100 >"$out" 2>"$err"
rc=$?
[ $rc -eq 0 ] || fail "after SIGTERM: exit $rc, expected 0 (the device must be free)"
expect 'MSI OK'
expect 'INTx OK'
echo "PASS: edu through minivmm, twice, and again after a SIGTERM mid-run"
