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
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
minivmm=$1
mk_tmp

find_nvme_and_edu
permissive_policy

for how in plain --own-bus; do
	set -- --policy "$policy" --device "$nvme" --device "$edu" --timeout 100
	[ "$how" = plain ] || set -- "$@" "$how"
	vmm_ok 120 "$@"
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
