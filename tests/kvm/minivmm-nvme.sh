#!/bin/sh
# SPDX-License-Identifier: MIT
# minivmm end to end with QEMU's NVMe and an edu, run by run-in-guest inside
# the QEMU guest (topology nvme: both behind their own root ports, bound to
# vfio-pci; its /dev/kvm is nested KVM): minivmm-nvme.sh MINIVMM
# minivmm's guest enables the NVMe controller with admin queues in its RAM,
# takes an Identify completion as an MSI-X interrupt (the table on trapped
# pages of BAR0), resets the function with an FLR and does it again; then
# drives edu: DMA, an MSI, and INTx twice through the IOAPIC (the second
# proves the resample unmasked the line). Run plainly, then with --own-bus
# (minivmm decodes the BARs and owns the GSI routing itself); either way no
# interrupt goes through minivmm's own thread.
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
	grep -qF -- "$1" "$out" || fail "$how: no \"$1\" on stdout"
}

# The first function with vendor:device $1 in sysfs.
find_bdf() {
	for d in /sys/bus/pci/devices/*; do
		if [ "$(cat "$d/vendor"):$(cat "$d/device")" = "$1" ]; then
			echo "${d##*/}"
			return
		fi
	done
}

nvme=$(find_bdf 0x1b36:0x0010)
edu=$(find_bdf 0x1234:0x11e8)
[ -n "$nvme" ] || { echo "FAIL: no NVMe device in the guest"; exit 1; }
[ -n "$edu" ] || { echo "FAIL: no edu device in the guest"; exit 1; }
[ -c /dev/kvm ] || { echo "FAIL: no /dev/kvm in the guest"; exit 1; }
# Neither is marked nor on the compatibility list; the IOMMU rules stay on.
printf '[policy]\nrequire_marked = no\nunlisted_devices = allow\n' >"$policy"

for how in plain --own-bus; do
	set -- --policy "$policy" --device "$nvme" --device "$edu" --timeout 100
	[ "$how" = plain ] || set -- "$@" "$how"
	timeout 120 "$minivmm" "$@" >"$out" 2>"$err"
	rc=$?
	[ $rc -eq 0 ] || fail "$how: exit $rc, expected 0"
	expect 'minivmm: policy check of "minivmm" (2 devices): allowed'
	expect "minivmm: 00:01.0 is $nvme (1b36:0010)"
	expect "minivmm: 00:02.0 is $edu (1234:11e8)"
	expect 'pci 00:01.0 1b36:0010 class 010802'
	expect 'pci 00:02.0 1234:11e8 class 00ff00'
	expect 'nvme: CAP 0x'
	[ "$(grep -cx 'nvme: serial dp0' "$out")" -eq 2 ] ||
		fail "$how: \"nvme: serial dp0\" not there twice (before and after the FLR)"
	expect 'nvme: MSI-X interrupt taken (1)'
	expect 'nvme: FLR done, serial dp0 again'
	expect 'edu: DMA of 4000 bytes there and back verified'
	expect 'MSI OK'
	expect 'INTx OK'
	# Two NVMe completions, one MSI, two INTx.
	expect 'guest: 5 interrupts'
	expect 'pci: 3 functions on bus 0'
	grep -qx PASS "$out" || fail "$how: no PASS line from the guest"
	expect 'minivmm: the guest passed'
	expect 'minivmm: interrupts relayed by minivmm: 0'
	grep -F 'minivmm: BAR exits:' "$out" | sed "s/^/$how: /"
	# Exactly the guest's MSI-X table accesses (6 per bring-up, 2 bring-ups): the
	# doorbell writes and the register reads went through memory slots, no exit.
	expect 'minivmm: BAR exits: 12'
	[ ! -s "$err" ] || fail "$how: unexpected messages on stderr"
done
echo "PASS: NVMe (MSI-X, FLR) and edu (MSI, INTx) through minivmm, plain and with --own-bus"
