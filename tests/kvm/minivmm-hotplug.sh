#!/bin/sh
# SPDX-License-Identifier: MIT
# minivmm --hotplug, run by run-in-guest inside the QEMU guest (topology
# two: two edu on vfio-pci, nested KVM): minivmm-hotplug.sh MINIVMM
# minivmm starts with the first edu, its guest drives it, asks for the
# second, which minivmm hot adds (policy, lease, group, KVM-VFIO) and puts
# on the bus; the guest drives it (DMA, MSI, INTx), minivmm hot removes it
# (the slot is empty, its lease gone), and the first edu still DMAs. A
# second run proves the removal gave the device back; a run with a policy
# of one device per VM shows a denied hot add failing the guest, and
# nothing left. minivmm-hotplug.sh MINIVMM BACKEND: the same with
# --backend BACKEND, which the attachment must use (iommufd: run-in-guest
# --kernel iommufd; the hot added edu joins the IOAS).
set -u
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
minivmm=$1
backend=${2:-}
mk_tmp

find_two_edus
permissive_policy

for run in 1 2; do
	how="run $run"
	vmm_ok 200 --policy "$policy" --device "$first" --device "$second" --hotplug --timeout 180 \
		${backend:+--backend "$backend"}
	expect 'minivmm: policy check of "minivmm" (1 device): allowed'
	[ -z "$backend" ] || expect "minivmm: VFIO backend $backend: "
	expect "minivmm: 00:01.0 is $first (1234:11e8)"
	expect "minivmm: $second held back for a hot add"
	expect 'hotplug: asking for the device held back'
	expect "minivmm: 00:02.0 is $second (1234:11e8)"
	expect "minivmm: hot added $second at 00:02.0"
	expect 'hotplug: edu at 00:02.0'
	expect "minivmm: hot removed $second from 00:02.0"
	expect 'hotplug: 00:02.0 is gone'
	expect 'hotplug: the first edu still works'
	[ "$(grep -c 'edu: DMA of 4000 bytes there and back verified' "$out")" -eq 3 ] ||
		fail "$how: three DMA round trips expected (first, second, first again)"
	[ "$(grep -c 'MSI OK' "$out")" -eq 2 ] || fail "$how: MSI of both edu expected"
	[ "$(grep -c 'INTx OK' "$out")" -eq 2 ] || fail "$how: INTx of both edu expected"
	grep -qx PASS "$out" || fail "$how: no PASS line from the guest"
	expect 'minivmm: the guest passed'
	expect 'minivmm: interrupts relayed by minivmm: 0'
	[ ! -s "$err" ] || fail "$how: unexpected messages on stderr"
	for b in "$first" "$second"; do
		[ ! -e "/tmp/dp-run/lease-$b" ] && [ ! -e "/run/directpath/lease-$b" ] ||
			fail "$how: the lease of $b is still there"
	done
done

# One device per VM: the hot add is denied (logged), the guest fails, the
# first edu worked and everything is given back.
how="denied"
one=$tmp/one.conf
cat "$policy" >"$one"
echo 'max_devices_per_vm = 1' >>"$one"
timeout 200 "$minivmm" --policy "$one" --device "$first" --device "$second" --hotplug \
	--timeout 180 ${backend:+--backend "$backend"} >"$out" 2>"$err"
rc=$?
[ $rc -eq 3 ] || fail "$how: exit $rc, expected 3 (the guest failed)"
expect 'edu: DMA of 4000 bytes there and back verified'
expect "minivmm: cannot hot add $second: Operation not permitted" "$err"
expect 'hotplug: the hot add failed'
for b in "$first" "$second"; do
	[ ! -e "/tmp/dp-run/lease-$b" ] && [ ! -e "/run/directpath/lease-$b" ] ||
		fail "$how: the lease of $b is still there"
done
echo "PASS: minivmm hot adds edu, drives it, hot removes it, the first still works; twice; and a denied hot add"
