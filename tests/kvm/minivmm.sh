#!/bin/sh
# SPDX-License-Identifier: MIT
# minivmm end to end on this machine: minivmm.sh MINIVMM CASE
#   guest    no devices: the guest enumerates bus 0 and passes (needs /dev/kvm)
#   refuse   a host device on a host without an IOMMU: the policy report and exit 1
#   usage    bad options: exit 2 and a message naming the option, KVM untouched
# Exit 0 pass, 1 fail, 77 skip (with the reason on stdout).
set -u
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
minivmm=$1
case=$2
mk_tmp

case $case in
guest)
	[ -c /dev/kvm ] || skip "/dev/kvm is absent: minivmm needs KVM to run its guest"
	vmm_ok 60 --policy "$policy" --timeout 25
	expect 'minivmm: policy check of "minivmm" (0 devices): allowed'
	expect 'minivmm guest: 32-bit protected mode, enumerating PCI bus 0'
	# The host bridge and nothing else; the report's lines come before the guest's.
	expect 'pci 00:00.0 1b36:0008 class 060000'
	expect 'pci: 1 function on bus 0'
	expect 'no edu device: nothing to drive'
	n=$(grep -c '^pci 00:' "$out")
	[ "$n" -eq 1 ] || fail "$n functions enumerated, expected 1"
	grep -qx PASS "$out" || fail "no PASS line from the guest"
	expect 'minivmm: the guest passed'
	[ ! -s "$err" ] || fail "unexpected messages on stderr"
	;;
refuse)
	[ -z "$(ls /sys/class/iommu 2>/dev/null)" ] ||
		skip "this host has an IOMMU; the case needs a host without one"
	# A function that is not a bridge, so the refusal is the host's, not the device's.
	dev=
	for d in /sys/bus/pci/devices/*; do
		[ -e "$d/class" ] || continue
		case $(cat "$d/class") in
		0x06*) ;;
		*) dev=${d##*/}; break ;;
		esac
	done
	[ -n "$dev" ] || skip "this host has no PCI devices to ask for"
	"$minivmm" --policy "$policy" --device "$dev" >"$out" 2>"$err"
	rc=$?
	[ $rc -eq 1 ] || fail "exit $rc, expected 1"
	expect "minivmm: policy check of \"minivmm\" (1 device): denied"
	expect 'no-iommu'
	expect 'minivmm: refused (no-iommu):' "$err"
	expect 'the policy denies passthrough for this VM; not starting' "$err"
	if grep -q 'starting the guest' "$out"; then
		fail "the guest started"
	fi
	# The same verdict as JSON.
	"$minivmm" --policy "$policy" --device "$dev" --json >"$out" 2>"$err"
	rc=$?
	[ $rc -eq 1 ] || fail "--json: exit $rc, expected 1"
	expect '"no-iommu"'
	;;
usage)
	check_usage() { # TEXT ARGS...: exit 2, TEXT on stderr, nothing on stdout
		text=$1
		shift
		"$minivmm" "$@" >"$out" 2>"$err"
		rc=$?
		[ $rc -eq 2 ] || fail "minivmm $*: exit $rc, expected 2"
		expect "$text" "$err"
		[ ! -s "$out" ] || fail "minivmm $*: wrote to stdout"
	}
	check_usage 'unknown option --frobnicate' --frobnicate
	check_usage 'unknown option -x' -x
	check_usage '--device needs a value' --device
	check_usage '"zz:zz.z" is not a PCI address' --device zz:zz.z
	check_usage '--memory: "lots" is not a size' --memory lots
	check_usage '--memory: 4K: minivmm needs 1M to 3G' --memory 4K
	check_usage '--memory: 8G: minivmm needs 1M to 3G' --memory 8G
	check_usage '--hw-version: "seven" is not a version number' --hw-version seven
	check_usage '--hw-version: "0" is not a version number' --hw-version 0
	check_usage '--timeout: "-1" is not a number of seconds' --timeout -1
	check_usage 'unexpected argument "extra"' extra
	check_usage '--backend: "vfio" is not a backend (auto, type1 or iommufd)' --backend vfio
	check_usage '--backend: "" is not a backend' --backend ''
	check_usage '--backend needs a value' --backend
	check_usage 'cannot load the policy' --policy /nonexistent/policy.conf
	check_usage '--hotplug needs two --device or more' --hotplug --device 0000:00:01.0
	check_usage '--hotplug needs two --device or more' --hotplug --own-bus \
		--device 0000:00:01.0 --device 0000:00:02.0
	"$minivmm" --help >"$out" 2>"$err"
	rc=$?
	[ $rc -eq 0 ] || fail "--help: exit $rc, expected 0"
	expect 'Usage: minivmm [--device BDF]...'
	;;
*)
	echo "minivmm.sh: unknown case $case" >&2
	exit 1
	;;
esac
echo "PASS: $case"
