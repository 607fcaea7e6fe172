#!/bin/sh
# SPDX-License-Identifier: MIT
# minivmm boots Linux with an NVMe and an edu (with an expansion ROM) passed
# through, in the QEMU guest of tests/vm (topology nvme; its /dev/kvm is
# nested KVM): Debian's kernel, the one the harness boots, and a busybox
# initramfs built here with the kernel package's nvme modules and
# tests/vm/nested-init. That init loads nvme, reads the serial and 4 MiB with
# direct I/O, checks the controller runs on MSI-X vectors that took
# interrupts, resets the function (FLR) and rebinds nvme, reads again, and
# compares the edu's ROM, read through sysfs, with the image QEMU was given.
# Run plainly, then with --own-bus; either way no interrupt goes through
# minivmm's own thread.
#
# On this machine (meson): minivmm-linux.sh MINIVMM RUN_IN_GUEST
#   fetches the kernel (tests/vm/fetch-kernel.sh, cached), makes the ROM
#   image (tests/vm/mk-option-rom.py) and the initramfs
#   (tests/vm/mk-nested-initrd.sh) in a temporary directory the guest sees
#   at the same path, and runs the part below in the guest.
# In the test guest: minivmm-linux.sh --inner MINIVMM VMLINUZ INITRD ROM
# Exit status: 0 passed, 1 failed, 77 skipped (what is missing is named;
# under CI=true that is an error, 99, as in run-in-guest).
set -u

# The nested kernel's command line. acpi=off: minivmm has no ACPI tables (an
# MP table describes the CPU and the IOAPIC); panic=-1 turns a panic into a
# reboot, which ends minivmm's run, rather than a hang until --timeout.
# pci=noearly: no early scan of 256 buses for an AGP aperture (33,902 config
# exits down to ~660, ~2 s). noxsave: the test guest's TCG does not let the
# nested KVM see XSETBV, so without it the kernel warns of an XSAVE size
# mismatch (a trait of this test bed, not of minivmm).
APPEND="console=ttyS0 acpi=off quiet panic=-1 oops=panic no_timer_check pci=noearly noxsave"
# Seconds: minivmm's own limit per boot, and the test guest's (two boots).
VMM_TIMEOUT=120
GUEST_TIMEOUT=330

here=$(cd "$(dirname "$0")" && pwd)
vm=$here/../vm
# shellcheck source=lib.sh
. "$here/lib.sh"

inner() {
	minivmm=$1 kernel=$2 initrd=$3 rom=$4
	mk_tmp

	find_nvme_and_edu
	# The ROM as this kernel sees it: QEMU's romfile= reached the guest.
	e=/sys/bus/pci/devices/$edu
	if echo 1 >"$e/rom" && cat "$e/rom" >"$tmp/rom"; then
		echo 0 >"$e/rom"
		cmp -s "$tmp/rom" "$rom" || fail "the edu's ROM in the test guest differs from $rom"
	else
		fail "the edu in the test guest has no readable ROM (run-in-guest --edu-romfile)"
	fi
	permissive_policy

	wakeless=
	for how in plain --own-bus; do
		set -- --policy "$policy" --device "$nvme" --device "$edu" \
			--kernel "$kernel" --initrd "$initrd" --append "$APPEND" \
			--memory 256M --timeout "$VMM_TIMEOUT"
		[ "$how" = plain ] || set -- "$@" "$how"
		start=$(date +%s)
		timeout $((VMM_TIMEOUT + 20)) "$minivmm" "$@" >"$out.raw" 2>"$err"
		rc=$?
		# The guest's tty ends its lines with CR LF.
		tr -d '\r' <"$out.raw" >"$out"
		took=$(($(date +%s) - start))
		grep -E '^(minivmm: (/init started after|during the read:|BAR exits:)|nested: /init started at)' "$out" |
			sed "s/^/$how: /"
		echo "$how: minivmm ran ${took} s"
		[ $rc -eq 0 ] || fail "$how: exit $rc, expected 0"
		expect 'minivmm: policy check of "minivmm" (2 devices): allowed'
		expect "minivmm: 00:01.0 is $nvme (1b36:0010)"
		expect "minivmm: 00:02.0 is $edu (1234:11e8)"
		expect 'minivmm: /init started after '
		expect 'nested: nvme serial dp0'
		expect 'nested: read 4 MiB of zeros'
		expect 'nested: nvme on MSI-X, '
		expect 'nested: FLR and rebind OK'
		expect "nested: ROM matches ($(wc -c <"$rom") bytes)"
		grep -qx 'nested: PASS' "$out" || fail "$how: no \"nested: PASS\" line"
		! grep -q '^nested: FAIL' "$out" || fail "$how: the nested guest failed"
		expect 'minivmm: during the read: '
		expect 'minivmm: interrupts relayed by minivmm: 0'
		n=$(sed -n 's/^nested: nvme interrupts in all: \([0-9][0-9]*\)$/\1/p' "$out")
		[ "${n:-0}" -gt 0 ] ||
			fail "$how: no count of the nested guest's nvme interrupts"
		grep -E '^nested: (nvme on|FLR and|ROM matches)' "$out" | sed "s/^/$how: /"
		echo "$how: interrupts without a VMM wakeup: $n"
		wakeless="$wakeless $n"
		if [ -s "$err" ]; then
			sed "s/^/$how: stderr: /" "$err"
		fi
	done
	echo "PASS: Linux in minivmm drove the NVMe (MSI-X, FLR) and read the edu's ROM," \
		"plain and with --own-bus; interrupts without a VMM wakeup:$wakeless"
}

# Exit 77 with the reason, or 99 under CI=true, as run-in-guest does.
cannot() {
	echo "minivmm-linux: $*" >&2
	if [ "${CI:-}" = true ]; then
		echo "minivmm-linux: a skip is an error under CI=true" >&2
		exit 99
	fi
	exit 77
}

host() {
	minivmm=$1 run_in_guest=$2
	for tool in python3 cpio; do
		command -v "$tool" >/dev/null 2>&1 || cannot "$tool is missing"
	done
	# A static busybox: an ELF file without a program interpreter.
	busybox=
	for b in /bin/busybox /usr/bin/busybox; do
		if [ -x "$b" ] && python3 -c 'import sys
d = open(sys.argv[1], "rb").read(1 << 16)
off, size, n = int.from_bytes(d[32:40], "little"), d[54], int.from_bytes(d[56:58], "little")
sys.exit(d[:4] != b"\x7fELF" or any(d[off + i * size] == 3 for i in range(n)))' "$b" 2>/dev/null; then
			busybox=$b
			break
		fi
	done
	[ -n "$busybox" ] || cannot "no static busybox (package busybox-static)"
	[ -x "$minivmm" ] || cannot "no minivmm at $minivmm"

	if [ -n "${DP_VM_CACHE:-}" ]; then
		cache=$DP_VM_CACHE
	else
		cache=${XDG_CACHE_HOME:-$HOME/.cache}/libdirectpath/vm
	fi
	kdir=$(PATH=$PATH:/usr/sbin:/sbin "$vm/fetch-kernel.sh" "$cache")
	rc=$?
	[ $rc -ne 77 ] || cannot "the guest kernel cannot be had here (fetch-kernel.sh said why)"
	[ $rc -eq 0 ] || { echo "minivmm-linux: fetch-kernel.sh failed (exit $rc)" >&2; exit 99; }
	[ -f "$kdir/nested.load" ] ||
		cannot "the cached kernel $kdir has no nested.load (offline with an older cache?)"

	# Under /tmp, which the test guest sees at the same path.
	mk_tmp
	python3 "$vm/mk-option-rom.py" "$tmp/edu-rom.bin" || exit 99
	sh "$vm/mk-nested-initrd.sh" "$kdir" "$tmp/edu-rom.bin" "$busybox" "$tmp/nested.cpio" ||
		exit 99
	echo "kernel $(cat "$kdir/release"), nested initramfs $(wc -c <"$tmp/nested.cpio") bytes" \
		"($(paste -sd ' ' "$kdir/nested.load"))"
	start=$(date +%s)
	"$run_in_guest" --topology nvme --edu-romfile "$tmp/edu-rom.bin" --timeout "$GUEST_TIMEOUT" -- \
		sh "$here/minivmm-linux.sh" --inner "$minivmm" "$kdir/vmlinuz" "$tmp/nested.cpio" \
		"$tmp/edu-rom.bin"
	rc=$?
	echo "minivmm-linux: $(($(date +%s) - start)) s in the test guest, exit $rc"
	return $rc
}

case ${1:-} in
--inner)
	[ $# -eq 5 ] || { echo "usage: $0 --inner MINIVMM VMLINUZ INITRD ROM" >&2; exit 2; }
	shift
	inner "$@"
	;;
*)
	[ $# -eq 2 ] || { echo "usage: $0 MINIVMM RUN_IN_GUEST" >&2; exit 2; }
	host "$@"
	exit $?
	;;
esac
