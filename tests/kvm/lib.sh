# SPDX-License-Identifier: MIT
# shellcheck shell=sh
# What the minivmm scripts share, sourced after their set -u:
#   . "$(dirname "$0")/lib.sh"
# On this machine and in the QEMU guest alike. Gives mk_tmp, fail, vmm_ok,
# skip, expect, find_bdf, find_edu, find_nvme_and_edu and permissive_policy;
# a $how the script sets (a run's name) prefixes the failures vmm_ok and
# expect report.

# The library's own log would land on stderr, which the scripts check.
unset DIRECTPATH_LOG

# Makes $tmp (under TMPDIR or /tmp, which the QEMU guest sees at the same
# path), removed on exit, and names minivmm's stdout and stderr in it, $out
# and $err, and its policy file, $policy: empty, so the defaults, whatever
# this host's policy.conf says.
mk_tmp() {
	tmp=$(mktemp -d "${TMPDIR:-/tmp}/minivmm-test.XXXXXX") || exit 99
	trap 'rm -rf "$tmp"' EXIT
	trap 'exit 130' INT TERM HUP
	out=$tmp/out err=$tmp/err policy=$tmp/policy
	: >"$policy"
}

# fail MESSAGE: says it, with minivmm's stdout and stderr once it ran; exit 1.
fail() {
	echo "FAIL: $*"
	if [ -f "${out:-}" ]; then
		echo "--- stdout"
		cat "$out"
		echo "--- stderr"
		cat "${err:-/dev/null}"
	fi
	exit 1
}

# vmm_ok SECONDS ARGS...: $minivmm ARGS, its stdout and stderr in $out and
# $err, must exit 0 within SECONDS.
vmm_ok() {
	secs=$1
	shift
	# shellcheck disable=SC2154 # the script sets minivmm
	timeout "$secs" "$minivmm" "$@" >"$out" 2>"$err"
	rc=$?
	[ $rc -eq 0 ] || fail "${how:+$how: }exit $rc, expected 0"
}

# skip REASON: exit 77 with the reason on stdout.
skip() {
	echo "SKIP: $*"
	exit 77
}

# expect TEXT [FILE]: TEXT must be in FILE, minivmm's stdout unless named.
expect() {
	file=${2:-$out}
	if [ "$file" = "$err" ]; then
		where=stderr
	elif [ "$file" = "$out" ]; then
		where=stdout
	else
		where=$(basename "$file")
	fi
	grep -qF -- "$1" "$file" || fail "${how:+$how: }no \"$1\" on $where"
}

# find_bdf VENDOR:DEVICE: the first function with those IDs in sysfs
# (0x1234:0x11e8 for edu), or nothing.
find_bdf() {
	for d in /sys/bus/pci/devices/*; do
		if [ "$(cat "$d/vendor"):$(cat "$d/device")" = "$1" ]; then
			echo "${d##*/}"
			return
		fi
	done
}

# In the QEMU guest: $bdf, the first edu's, and /dev/kvm there; or fail.
find_edu() {
	bdf=$(find_bdf 0x1234:0x11e8)
	[ -n "$bdf" ] || fail "no edu device in the guest"
	[ -c /dev/kvm ] || fail "no /dev/kvm in the guest"
}

# In the QEMU guest's topology two: $first and $second, the BDFs of the two
# edu, and /dev/kvm there; or fail.
# shellcheck disable=SC2034 # first and second are the caller's
find_two_edus() {
	edus=$(for d in /sys/bus/pci/devices/*; do
		[ "$(cat "$d/vendor"):$(cat "$d/device")" = 0x1234:0x11e8 ] && echo "${d##*/}"
	done)
	first=$(echo "$edus" | sed -n 1p)
	second=$(echo "$edus" | sed -n 2p)
	[ -n "$second" ] || fail "two edu devices expected in the guest, found: $edus"
	[ -c /dev/kvm ] || fail "no /dev/kvm in the guest"
}

# For a VMM as uid 65534 that a manager hands its devices: KVM open to it
# (the guest is throwaway; udev's group does that on a host), $tmp/vmm its
# directory, and $tmp/vm the VM file "handed" with the device $1.
handoff_setup() {
	chmod 0755 "$tmp"
	chmod 0666 /dev/kvm
	mkdir "$tmp/vmm" && chown 65534:65534 "$tmp/vmm" || fail "cannot make the VMM's directory"
	printf '[vm]\nname = handed\nhw_version = 7\nmemory = 4M\n[passthrough]\ndevice = %s\n' "$1" \
		>"$tmp/vm"
}

# In the QEMU guest's nvme topology: $nvme and $edu, the BDFs of QEMU's
# NVMe and edu, and /dev/kvm there; or fail.
find_nvme_and_edu() {
	nvme=$(find_bdf 0x1b36:0x0010)
	edu=$(find_bdf 0x1234:0x11e8)
	[ -n "$nvme" ] || fail "no NVMe device in the guest"
	[ -n "$edu" ] || fail "no edu device in the guest"
	[ -c /dev/kvm ] || fail "no /dev/kvm in the guest"
}

# The policy of the runs with QEMU's devices: neither edu nor the NVMe is
# marked or on the compatibility list; the IOMMU rules stay on.
permissive_policy() {
	printf '[policy]\nrequire_marked = no\nunlisted_devices = allow\n' >"$policy"
}
