#!/bin/sh
# SPDX-License-Identifier: MIT
# The admin tool on synthetic /sys trees (mkfakesys presets), bind-mounted
# over /sys in a private mount namespace: eligibility hints, show, and mark
# and unmark with their driverctl files and refusals. TAP output.
# Usage: cli-fakesys.sh PATH_TO_DIRECTPATH PATH_TO_MKFAKESYS [DATA_DIR]
# DATA_DIR is the source tree's data/ (its compat.d), by default found next
# to this script.
# DP_CLI_WRAPPER, when set, is a command the tool runs under (see cli.sh).
set -u
# shellcheck source=tests/tools/tap.sh
. "$(dirname "$0")/tap.sh"
tool=$1 mkfakesys=$2
data=${3:-$(cd "$(dirname "$0")/../../data" && pwd)}
all_features="vmotion storage_vmotion fault_tolerance hot_add suspend_resume record_replay snapshot_memory memory_overcommit"

# A TAP skip: meson (1.0) counts "1..0 # SKIP" as skipped but exit 77 under
# protocol 'tap' as an error, so the plan line says it and the status is 0.
skip() {
	echo "1..0 # SKIP $1"
	exit 0
}

if [ -z "${DP_CLI_FAKESYS:-}" ]; then
	[ "$(id -u)" -eq 0 ] || skip "needs root to mount a synthetic /sys"
	[ -x "$mkfakesys" ] || skip "mkfakesys ($mkfakesys) is not built"
	unshare -m true 2>/dev/null || skip "unshare -m is not permitted here"
	root=$(mktemp -d) || exit 1
	trap 'rm -rf "$root"' EXIT
	for preset in basic noiommu vmd; do
		if ! "$mkfakesys" "$preset" "$root/$preset" >"$root/mkfakesys.log" 2>&1; then
			echo "Bail out! mkfakesys $preset failed: $(cat "$root/mkfakesys.log")"
			exit 1
		fi
	done
	# The checks run in a mount namespace of their own; mounts die with it.
	DP_CLI_FAKESYS=$root unshare -m sh "$0" "$@"
	exit $?
fi

root=$DP_CLI_FAKESYS
if ! mount --make-rprivate / || ! mount --bind "$root/basic" /sys; then
	echo "Bail out! cannot bind-mount the synthetic tree over /sys"
	exit 1
fi
dc=$root/driverctl.d
mkdir "$dc" || exit 1
tool=$(wrap_tool "$tool" "$root")
dp() { "$tool" --driverctl-dir "$dc" "$@"; }

# A field of one function in list --json: json_field BDF KEY
json_field() {
	dp list --json | python3 -c 'import json, sys
for d in json.load(sys.stdin):
    if d["bdf"] == sys.argv[1]:
        print(d[sys.argv[2]])' "$1" "$2"
}

# The STATUS column of one function in list: list_status BDF
list_status() {
	dp list | awk -v b="$1" '$1 == b { print $7 }'
}

file_of() { cat "$1" 2>/dev/null || echo "(absent)"; }

# Rebinds a function in the tree as the kernel would have: bind BDF DRIVER
bind() { ln -sfn "../../../bus/pci/drivers/$2" "/sys/bus/pci/devices/$1/driver"; }

# driver_override as the kernel means it: "(null)" and empty are both unset.
override_of() {
	v=$(cat "$1") || return
	case $v in
	"(null)" | "") echo "(unset)" ;;
	*) echo "$v" ;;
	esac
}

nic=0000:03:00.0 sibling=0000:03:00.1 usb=0000:00:14.0 bridge=0000:00:1c.0
vga=0000:01:00.0 pf=0000:05:00.0 vf=0000:05:10.0 hostbridge=0000:00:00.0
dev=/sys/bus/pci/devices

# Inventory and hints.
want=$(ls $dev | LC_ALL=C sort)
same "list shows one row per synthetic function" "$want" \
	"$(dp list | tail -n +2 | cut -d ' ' -f 1)"
same "list --json has the same BDFs" "$want" \
	"$(dp list --json | python3 -c 'import json, sys
for d in json.load(sys.stdin): print(d["bdf"])')"
same "a PCI bridge is hinted bridge" bridge "$(list_status $bridge)"
same "a host bridge is hinted bridge" bridge "$(list_status $hostbridge)"
same "the boot VGA device is hinted boot-vga" boot-vga "$(list_status $vga)"
same "a NIC sharing group 7 is hinted shared-group" shared-group "$(list_status $nic)"
same "a USB controller alone in its group is eligible" eligible "$(list_status $usb)"
same "list shows driver and group of the NIC" "ixgbe 7" \
	"$(dp list | awk -v b=$nic '$1 == b { print $4, $5 }')"
same "list --json gives the group as a number" 7 "$(json_field $nic iommu_group)"
same "list --json gives IDs as hex strings" "8086 10fb" \
	"$(json_field $nic vendor_id) $(json_field $nic device_id)"

check "host finds the Intel IOMMU" 0 "intel" dp host
same "host sees interrupt remapping and vfio-pci" "yes loaded" \
	"$(dp host | awk '/^interrupt remapping/ { ir = $3 } /^vfio-pci/ { v = $2 } END { print ir, v }')"
same "host --json agrees" "intel True True" "$(dp host --json | python3 -c 'import json, sys
h = json.load(sys.stdin)
print(h["iommu"], h["interrupt_remapping"], h["vfio_pci"])')"

check "show names the NIC's group sibling and its driver" 0 "$sibling (ixgbe)" dp show $nic
check "show spells out FLR" 0 "flr" dp show $nic
check "show of a VF names its PF" 0 "virtual function of $pf" dp show $vf
check "show of a PF says it is one" 0 "physical function" dp show $pf
same "show --json lists the group members with drivers" "$nic ixgbe $sibling ixgbe" \
	"$(dp show --json $nic | python3 -c 'import json, sys
d = json.load(sys.stdin)
print(" ".join(m["bdf"] + " " + str(m["driver"]) for m in d["iommu_group_members"]))')"
same "show --json of a VF gives physfn" "$pf" \
	"$(dp show --json $vf | python3 -c 'import json, sys; print(json.load(sys.stdin)["physfn"])')"
check "show of an absent function exits 2" 2 "no such PCI function" dp show 0000:09:00.0
check "show gives the policy's verdict on the function alone" 0 \
	"policy              denied (2 errors, 1 warning)" dp show $nic
check "show lists its findings" 0 \
	"error    not-marked              $nic: not marked available for passthrough" dp show $nic
check "show of a bridge gives the bridge finding" 0 "bridge                  $bridge: is a PCI bridge" \
	dp show $bridge
printf '[policy]\nrequire_marked = no\nunlisted_devices = allow\nrequire_viable_group = no\n' >"$root/show.conf"
same "show --json --policy: the function's own findings, as check words them" \
	"True ['group-not-viable'] $nic" "$(dp show --json --policy "$root/show.conf" $nic | python3 -c 'import json, sys
d = json.load(sys.stdin)
print(d["policy"]["allowed"], [f["name"] for f in d["policy"]["findings"]], d["bdf"])')"
same "show --json: each finding has code, name, severity, subject, rule and message" \
	"code message name rule severity subject" "$(dp show --json $nic | python3 -c 'import json, sys
d = json.load(sys.stdin)
print(" ".join(sorted(d["policy"]["findings"][0])))')"

# Reset (issue 16): the methods the library has the kernel use, and a bus reset's reach.
check "show says the reset it uses and where the list comes from" 0 \
	"reset used          flr bus (the kernel's reset_method)" dp show $nic
check "show of the VGA alone below its bridge: a bus reset, nothing else reset" 0 \
	"reset used          bus (the kernel's reset_method)" dp show $vga
printf '[device 8086:10FB]\nreset_method = bus, flr\n' >"$root/reset.conf"
same "show --json: the reset key, with the policy's order" \
	"['flr', 'bus'] kernel bus flr ['bus', 'flr'] []" "$(dp show --json --policy "$root/reset.conf" $nic | python3 -c 'import json, sys
r = json.load(sys.stdin)["reset"]
print(r["methods"], r["source"], r["policy"], r["used"], r["also_resets"])')"
printf '[device 8086:10fb]\nreset_method = none\n' >"$root/reset-none.conf"
check "show: none in the policy is no reset, and the finding names the entry" 0 \
	"$nic: no reset, for the policy's [device 8086:10fb] says reset_method = none" \
	dp show --policy "$root/reset-none.conf" $nic
check "policy prints the per-device reset sections" 0 "[device 8086:10fb]
reset_method = none" dp policy --policy "$root/reset-none.conf"
printf '[device 8086:10fb]\nreset_method = flr slot\n' >"$root/reset-bad.conf"
check "a bad reset method is refused with its line" 2 \
	"reset-bad.conf:2: [device 8086:10fb] reset_method: \"slot\" is not a reset method" \
	dp policy --policy "$root/reset-bad.conf"

# The option ROM (invalid_rom): images from tests/vm/mk-option-rom.py as the
# NIC's sysfs rom file, a plain file here that reads at once (the kernel's
# enable-then-read is tested in the guest: tests/vfio/test-rom.c).
mkrom=$(dirname "$0")/../vm/mk-option-rom.py
rom_json() {
	dp show --json $nic | python3 -c 'import json, sys
d = json.load(sys.stdin)
print(d["rom"], [f["name"] for f in d["policy"]["findings"]])'
}
check "show: a ROM BAR without a rom file is unknown, with the reason" 0 \
	"ROM                 512 KiB, unknown (the kernel gives it no rom file)" dp show $nic
same "show --json: no rom for a function without a ROM BAR" "None" \
	"$(dp show --json $sibling | python3 -c 'import json, sys; print(json.load(sys.stdin)["rom"])')"
python3 "$mkrom" --vendor 0x8086 --device 0x10fb "/sys/bus/pci/devices/$nic/rom"
check "show: a valid ROM, its size and code types" 0 \
	"ROM                 512 KiB, valid, 4096 bytes, images: x86" dp show $nic
same "show --json: rom of a valid ROM, and no invalid-rom finding" \
	"{'state': 'valid', 'bar_size': 524288, 'size': 4096, 'code_types': ['x86'], 'reason': None} ['not-marked', 'group-not-viable', 'unlisted']" \
	"$(rom_json)"
python3 "$mkrom" "/sys/bus/pci/devices/$nic/rom"
same "show --json: an edu's ROM on the NIC is invalid, and a finding" \
	"{'state': 'invalid', 'bar_size': 524288, 'size': None, 'code_types': ['x86'], 'reason': \"image 0 at 0x0 is for 1234:11e8, not this function's 8086:10fb\"} ['not-marked', 'group-not-viable', 'unlisted', 'invalid-rom']" \
	"$(rom_json)"
check "show lists the invalid-rom finding" 0 \
	"warning  invalid-rom             $nic: its option ROM (ROM BAR bytes 0x0-0x7ffff) is invalid: image 0 at 0x0 is for 1234:11e8, not this function's 8086:10fb (invalid_rom = warn)" \
	dp show $nic
check "check reports it too" 1 "invalid-rom" dp check --devices $nic --hw-version 7 --memory 1G
rm -f "/sys/bus/pci/devices/$nic/rom"

# Marking: refusals.
check "mark of a PCI bridge is denied and says bridge" 1 "bridge" dp mark $bridge
same "a refused mark writes no driverctl file" "(absent)" "$(file_of "$dc/pci-$bridge")"
check "mark of the boot VGA device is denied" 1 "boot VGA" dp mark $vga
check "mark of a host bridge is denied" 1 "bridge" dp mark $hostbridge
check "mark --force of a bridge works" 0 "marked for passthrough" dp mark --force $bridge
same "mark --force wrote the driverctl file" vfio-pci "$(file_of "$dc/pci-$bridge")"
check "unmark of the bridge works" 0 "unmarked" dp unmark $bridge
same "unmark removed the bridge's file" "(absent)" "$(file_of "$dc/pci-$bridge")"

# Marking the NIC: the file, the group, list, unmark.
out=$(dp mark $nic 2>&1)
rc=$?
same "mark of the NIC exits 0" 0 "$rc"
same "mark wrote pci-BDF holding vfio-pci in --driverctl-dir" vfio-pci "$(file_of "$dc/pci-$nic")"
case $out in
*"must follow"*"$sibling"*) pass "mark says the group sibling must follow" ;;
*) fail "mark says the group sibling must follow" "output: $out" ;;
esac
same "the driverctl directory holds nothing else" "pci-$nic" "$(ls -A "$dc")"
same "list --json shows the NIC marked" True "$(json_field $nic marked)"
same "list --json leaves its sibling unmarked" False "$(json_field $sibling marked)"
same "list shows MARKED yes" yes "$(dp list | awk -v b=$nic '$1 == b { print $6 }')"
check "show says marked" 0 "marked              yes" dp show $nic
check "marking again says already marked" 0 "already marked" dp mark $nic
check "unmark of the NIC works" 0 "unmarked" dp unmark $nic
same "unmark removed the file" "(absent)" "$(file_of "$dc/pci-$nic")"
same "list --json shows the NIC unmarked" False "$(json_field $nic marked)"
check "unmark of an unmarked function says so" 0 "was not marked" dp unmark $nic
check "mark accepts a BDF without domain" 0 "marked for passthrough" dp mark 03:00.1
same "... and names the file by the full BDF" vfio-pci "$(file_of "$dc/pci-$sibling")"
dp unmark $sibling >/dev/null 2>&1

# mark --now: there is no kernel behind the tree, so the bind cannot take.
before=$(override_of $dev/$nic/driver_override)
drv_before=$(readlink $dev/$nic/driver)
check "mark --now exits 1: the binding did not take" 1 "did not take" dp mark --now $nic
same "mark --now left driver_override unchanged" "$before" "$(override_of $dev/$nic/driver_override)"
same "mark --now left the driver link alone" "$drv_before" "$(readlink $dev/$nic/driver)"
same "mark --now left no driverctl file" "" "$(ls -A "$dc")"

# check: the policy against the synthetic host. The NICs 03:00.0 and 03:00.1
# (8086:10fb, unlisted; FLR) share group 7; the VF 05:10.0 (8086:1520) is
# alone in group 11.
pc() { dp --data-dir "$data" check "$@"; }
vm7="--hw-version 7 --memory 4G"
check "check of the unmarked NICs is denied" 1 "cli: denied (2 errors, 2 warnings)" pc --devices $nic,$sibling $vm7
same "... for not being marked, and both are unlisted" \
	"denied not-marked:$nic:error unlisted:$nic:warning not-marked:$sibling:error unlisted:$sibling:warning" \
	"$(pc --devices $nic,$sibling $vm7 --json | report_summary)"
dp mark $nic >/dev/null 2>&1
dp mark $sibling >/dev/null 2>&1
same "both NICs are marked" "vfio-pci vfio-pci" "$(file_of "$dc/pci-$nic") $(file_of "$dc/pci-$sibling")"
# Marked without --now, the NICs are still ixgbe's: VFIO could not open them.
same "marked but still on ixgbe, the NICs are denied: not-bound" \
	"denied not-bound:$nic:error unlisted:$nic:warning not-bound:$sibling:error unlisted:$sibling:warning" \
	"$(pc --devices $nic,$sibling $vm7 --json | report_summary)"
check "... and the message says what they are bound to and how to bind them" 1 \
	"$nic: marked for passthrough but bound to ixgbe, not vfio-pci (the mark was not applied, or the host rebound it), so VFIO cannot open it; bind it with: directpath mark --now $nic" \
	pc --devices $nic,$sibling $vm7
bind $nic vfio-pci
bind $sibling vfio-pci
out=$(pc --devices $nic,$sibling $vm7 2>&1)
same "the marked NICs, together, are allowed (exit 0)" 0 "$?"
same "... with the verdict first: two warnings" "cli: allowed (2 warnings)" "$(echo "$out" | head -n 1)"
same "... which are the unlisted warnings alone: the group is viable, both reset, the host is fit" \
	"allowed unlisted:$nic:warning unlisted:$sibling:warning" \
	"$(pc --devices $nic,$sibling $vm7 --json | report_summary)"
same "... and the VM loses every feature to both" \
	"$(for f in $all_features; do printf '%s:false:%s,%s ' $f $nic $sibling; done | sed 's/ $//')" \
	"$(pc --devices $nic,$sibling $vm7 --json | report_losses)"
case $out in
*"warning  unlisted                $nic: 8086:10fb is not on the compatibility list (unlisted_devices = warn)"*) pass "check prints severity, code and message" ;;
*) fail "check prints severity, code and message" "output: $out" ;;
esac
case $out in
*"  memory_overcommit   disabled  $nic, $sibling"*) pass "check lists each lost feature with its devices" ;;
*) fail "check lists each lost feature with its devices" "output: $out" ;;
esac
same "a BDF without domain is the same function" "allowed unlisted:$nic:warning unlisted:$sibling:warning" \
	"$(pc --devices 03:00.0,03:00.1 $vm7 --json | report_summary)"
# The plan (issue 17, section 4). Each NIC has two 64-bit non-prefetchable
# BARs (512 KiB, 16 KiB) and 32 bytes of I/O, the first a 512 KiB ROM: all
# below 4 GiB but the I/O, 1568 KiB; top-down from 0xfc000000 after the
# 256 MiB ECAM they end at 0xdfe78000, so RAM may end at 3582 MiB.
mkdir -p "$root/plan"
pp() { dp --data-dir "$data" --config-dir "$root/plan" check "$@"; }
plan_summary() {
	python3 -c 'import json, sys
p = json.load(sys.stdin)["plan"]
m = p["memlock"]
print(p["mmio32_size"], p["mmio64_size"], p["mmio_hole"], p["mmio_hole_proposed"], p["mmio64_window"],
      m["needed"], m["address_spaces"], p["dma_costs"], " ".join("%s:%d" % (r["page"], r["ns"]) for r in p["dma_ready"]))'
}
same "check --json: the plan's BAR space, hole, window, memlock and DMA-ready estimates" \
	"1605632 0 3221225472 3755999232 34359738368 4294967296 1 default 4k:22760000000 thp:23444000000 hugetlbfs:10396000000" \
	"$(pp --devices $nic,$sibling $vm7 --json | plan_summary)"
out=$(pp --devices $nic,$sibling $vm7 2>&1)
case $out in
*"Plan:
  MMIO below 4 GiB    1.5 MiB of BARs; RAM below 4 GiB may end at 3582 MiB (mmio_hole 3072 MiB)"*) pass "check prints the plan" ;;
*) fail "check prints the plan" "output: $out" ;;
esac
case $out in
*"  memlock             4 GiB to pin in 1 IOMMU address space; this process's limit: "*) pass "... with the memlock it needs" ;;
*) fail "... with the memlock it needs" "output: $out" ;;
esac
printf '# bench-dma\n4k = 1000000000\nhugetlbfs = 250000000\n' >"$root/plan/dma-costs"
same "a dma-costs file in the config directory gives the estimates" \
	"measured 4k:4000000000 thp:23444000000 hugetlbfs:1000000000" \
	"$(pp --devices $nic,$sibling $vm7 --json | plan_summary | cut -d' ' -f8-)"
check "... and the text says they are measured" 0 "4k 4.0 s, thp 23.4 s, hugetlbfs 1.0 s (measured costs per GiB)" \
	pp --devices $nic,$sibling $vm7
printf '4k = soon\n' >"$root/plan/dma-costs"
check "a garbled dma-costs file is named on stderr, and the defaults stand" 0 \
	"dma-costs: line 1: 4k: not a number of nanoseconds" pp --devices $nic $vm7
rm "$root/plan/dma-costs"
printf '[vm]\nname = big\nhw_version = 7\nmemory = 4G\nmmio_hole = 3584M\nmmio64_window = 0\n[passthrough]\ndevice = %s\n' \
	$nic >"$root/plan/big.vm"
check "a hole above what the BARs leave is denied, with the hole to set" 1 \
	"its devices' BARs need 1040 KiB below 4 GiB (32-bit, 64-bit non-prefetchable and ROM BARs, each aligned to its size), so with the 256 MiB ECAM window and the firmware's top 64 MiB RAM below 4 GiB must end at 3582 MiB, but mmio_hole is 3584 MiB (mmio_window); set mmio_hole = 3582M in the VM file" \
	pp --vm "$root/plan/big.vm"
same "... as mmio-window-too-small in the JSON" "denied mmio-window-too-small:big:error unlisted:$nic:warning" \
	"$(pp --vm "$root/plan/big.vm" --json | report_summary | tr ' ' '\n' | sort | tr '\n' ' ' | sed 's/ $//')"
if command -v setpriv >/dev/null 2>&1; then
	check "without CAP_IPC_LOCK, a memlock limit of 64 KiB gives the fix with the numbers" 0 \
		"ulimit -l 4194304, LimitMEMLOCK=4294967296 in its systemd unit" \
		sh -c 'ulimit -l 64 && exec setpriv --bounding-set -ipc_lock "$@"' sh "$tool" --driverctl-dir "$dc" \
		--data-dir "$data" --config-dir "$root/plan" check --devices $nic,$sibling $vm7
else
	pass "# SKIP setpriv is not installed: memlock without CAP_IPC_LOCK"
fi
# Requests by ID and label (issue 17): the first free function in address order the policy allows.
mkdir -p "$root/etc" "$root/run"
printf '# the NICs\n[label nics]\nid = 8086:10fb\n' >"$root/etc/labels.conf"
pl() { dp --data-dir "$data" --config-dir "$root/etc" --run-dir "$root/run" check "$@"; }
report_devices() {
	python3 -c 'import json, sys
print(" ".join("%s=%s" % (d["request"], d["bdf"]) for d in json.load(sys.stdin)["devices"]))'
}
same "check --json says which function an ID request got" "8086:10fb=$nic" \
	"$(pl --devices 8086:10fb $vm7 --json | report_devices)"
same "... a label and an ID get the two NICs, in address order" "label:nics=$nic 8086:10fb=$sibling" \
	"$(pl --devices label:nics,8086:10fb $vm7 --json | report_devices)"
same "... and the report says so, allowed" \
	"allowed device-chosen:$nic:info device-chosen:$sibling:info unlisted:$nic:warning unlisted:$sibling:warning" \
	"$(pl --devices label:nics,8086:10fb $vm7 --json | report_summary)"
printf '[vm]\nname = req\nhw_version = 7\nmemory = 1G\n[passthrough]\ndevice = label:nics\ndevice = 8086:10fb\n' \
	>"$root/etc/req.vm"
same "a VM file asks the same way: a label and an ID, the two NICs" "label:nics=$nic 8086:10fb=$sibling" \
	"$(pl --vm "$root/etc/req.vm" --json | report_devices)"
check "the text names the chosen function and the other candidates" 0 \
	"info     device-chosen           $nic: chosen for label:nics, the first free device in address order the policy allows; not chosen: $sibling (later); name an address instead to pin one" \
	pl --devices label:nics,$sibling $vm7
# Another VM's lease, held by another process: the request gets the other NIC.
python3 -c 'import fcntl, os, sys, time
fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT, 0o644)
os.write(fd, b"vm=web01\npid=%d\n" % os.getpid())
fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB, 1, 0)
open(sys.argv[2], "w").close()
time.sleep(60)' "$root/run/lease-$nic" "$root/held" &
holder=$!
for _ in $(seq 100); do [ -e "$root/held" ] && break; sleep 0.1; done
same "a function another VM leases is skipped" "8086:10fb=$sibling" \
	"$(pl --devices 8086:10fb $vm7 --json | report_devices)"
check "... and the report says why" 0 "not chosen: $nic (device-leased)" pl --devices 8086:10fb $vm7
check "with no free function left, the second request is denied with each candidate's reason" 1 \
	"8086:10fb: no free device the policy allows matches it: $nic (device-leased), $sibling (duplicate-device); free or mark one of them, or ask for another" \
	pl --devices 8086:10fb,8086:10fb $vm7
same "... its bdf is null in the JSON" "8086:10fb=$sibling 8086:10fb=None" \
	"$(pl --devices 8086:10fb,8086:10fb $vm7 --json | report_devices)"
kill "$holder"
wait "$holder" 2>/dev/null
rm -f "$root/run/lease-$nic" "$root/held" # what a holder that died leaves: no later test's business
printf '[label nics]\nid = 8086:10fb\nid = 8086\n' >"$root/etc/labels.conf"
check "a bad labels file fails the check with its line" 2 "labels.conf:3: id \"8086\" is not VVVV:DDDD" \
	pl --devices label:nics $vm7
printf '[label nics]\nid = 8086:10fb\n' >"$root/etc/labels.conf"
check "an unknown label is denied" 1 "label:gpu: no label \"gpu\" in $root/etc/labels.conf" \
	pl --devices label:gpu $vm7
bind $sibling ixgbe # the host took the sibling back
same "one NIC without its sibling: the group is not viable" \
	"denied group-not-viable:$nic:error unlisted:$nic:warning" \
	"$(pc --devices $nic $vm7 --json | report_summary)"
check "... and the message names the sibling and its driver" 1 "IOMMU group 7 also holds $sibling, bound to ixgbe" pc --devices $nic $vm7
same "a function listed twice, in two spellings, is a duplicate" \
	"denied group-not-viable:$nic:error unlisted:$nic:warning duplicate-device:$nic:error" \
	"$(pc --devices $nic,03:00.0 $vm7 --json | report_summary)"
bind $sibling vfio-pci
check "hardware version 6 is denied" 1 "cli: denied (1 error, 2 warnings)" pc --devices $nic,$sibling --hw-version 6 --memory 4G
same "... by min_hw_version" "denied hw-version:cli:error unlisted:$nic:warning unlisted:$sibling:warning" \
	"$(pc --devices $nic,$sibling --hw-version 6 --memory 4G --json | report_summary)"
same "a partial reservation is denied: memory-not-reserved" \
	"denied memory-not-reserved:cli:error unlisted:$nic:warning unlisted:$sibling:warning" \
	"$(pc --devices $nic,$sibling $vm7 --reservation 2G --json | report_summary)"
same "a function the host lacks is no-such-device" "denied no-such-device:0000:09:00.0:error" \
	"$(pc --devices 0000:09:00.0 $vm7 --json | report_summary)"
same "the boot VGA device is denied: boot-vga" "denied not-marked:$vga:error boot-vga:$vga:error unlisted:$vga:warning" \
	"$(pc --devices $vga $vm7 --json | report_summary)"
same "a PCI bridge is denied: bridge" "denied not-marked:$bridge:error bridge:$bridge:error unlisted:$bridge:warning" \
	"$(pc --devices $bridge $vm7 --json | report_summary)"

# Three devices: over ESX 4.0's two, unless the policy allows three.
dp mark $vf >/dev/null 2>&1
bind $vf vfio-pci
three="--devices $nic,$sibling,$vf $vm7"
check "three devices are denied" 1 "more than the 2 a VM may have (max_devices_per_vm)" pc $three
same "... by too-many-devices alone" \
	"denied too-many-devices:cli:error unlisted:$nic:warning unlisted:$sibling:warning unlisted:$vf:warning" \
	"$(pc $three --json | report_summary)"
printf '[policy]\nmax_devices_per_vm = 3\n' >"$root/three.conf"
check "a policy with max_devices_per_vm = 3 allows them" 0 "cli: allowed (3 warnings)" pc $three --policy "$root/three.conf"
same "... and leaves only the unlisted warnings" \
	"allowed unlisted:$nic:warning unlisted:$sibling:warning unlisted:$vf:warning" \
	"$(pc $three --policy "$root/three.conf" --json | report_summary)"
printf '[policy]\nmax_devices_per_vm = 3\nmax_device_per_vm = 4\n' >"$root/typo.conf"
check "a policy file with a typo exits 2 naming file:line" 2 "$root/typo.conf:3: unknown key \"max_device_per_vm\"" \
	pc $three --policy "$root/typo.conf"
printf '[policy]\nunlisted_devices = deny\n' >"$root/deny.conf"
same "unlisted_devices = deny makes unlisted devices errors" \
	"denied unlisted:$nic:error unlisted:$sibling:error" \
	"$(pc --devices $nic,$sibling $vm7 --policy "$root/deny.conf" --json | report_summary)"
printf '[policy]\nunlisted_devices = allow\n' >"$root/allow.conf"
check "unlisted_devices = allow leaves no warning" 0 "cli: allowed
info " pc --devices $nic,$sibling $vm7 --policy "$root/allow.conf"

# The compatibility list of --data-dir decides what unlisted means.
cl=$root/data/compat.d
mkdir -p "$cl"
cp "$data"/compat.d/*.list "$cl"/
printf '8086:10fb supported Intel 82599 10GbE\n' >"$cl/50-local.list"
same "a device listed as supported draws no warning" allowed \
	"$(dp --data-dir "$root/data" check --devices $nic,$sibling $vm7 --json | report_summary)"
printf '8086:10fb 8086:000c unsupported Intel 82599 on this board\n' >>"$cl/50-local.list"
same "the more specific unsupported entry wins, and denies" \
	"denied unsupported:$nic:error unsupported:$sibling:error" \
	"$(dp --data-dir "$root/data" check --devices $nic,$sibling $vm7 --json | report_summary)"
check "... naming the entry" 1 "Intel 82599 on this board is listed as unsupported" \
	dp --data-dir "$root/data" check --devices $nic,$sibling $vm7
same "policy --compat lists the local entries after the shipped ones" \
	"supported 8086:10fb *:* 50-local.list Intel 82599 10GbE|unsupported 8086:10fb 8086:000c 50-local.list Intel 82599 on this board" \
	"$(dp --data-dir "$root/data" policy --compat | tail -n 2 | tr -s ' ' | tr '\n' '|' | sed 's/|$//')"

# A VM file: its name, its features and its devices.
printf '[vm]\nname = db01\nhw_version = 7\nmemory = 4096M\nreservation = 4G\nfeatures = vmotion\n[passthrough]\ndevice = %s\ndevice = %s\n' \
	$nic $sibling >"$root/db01.vm"
check "check --vm of db01 is allowed, by name, with the lost vMotion as a warning" 0 "db01: allowed (3 warnings)" \
	pc --vm "$root/db01.vm"
check "... and the lost features say vMotion was enabled" 0 "  vmotion             enabled   $nic, $sibling" \
	pc --vm "$root/db01.vm"
same "check --vm --json agrees" "vmotion:true:$nic,$sibling" \
	"$(pc --vm "$root/db01.vm" --json | report_losses | cut -d ' ' -f 1)"

for b in $nic $sibling $vf; do
	dp unmark $b >/dev/null 2>&1
done
same "the checks leave the driverctl directory empty" "" "$(ls -A "$dc")"
bind $nic ixgbe
bind $sibling ixgbe
bind $vf igbvf

# Quarantine: a record in the run directory, as a detach leaves one
# (dp_device_release(3)); list, show and check read it, release acts on it.
# No kernel is behind the tree: the release's VFIO reset and rebind cannot
# happen here (the vfio suite's vfio-quarantine does them), its refusals can.
run=$root/run
qr() { dp --run-dir "$run" "$@"; }
quarantine_of() {
	qr "$@" | python3 -c 'import json, sys
d = json.load(sys.stdin)
for o in (d if isinstance(d, list) else [d]):
    if o["bdf"] == sys.argv[1]:
        print(o["quarantine"])' "$usb"
}
why="did not come back from the reset at detach: BAR0 0xf7c00000 -> 0x00000000"
mkdir -p "$run/quarantine"
printf 'reason=%s\ntime=1765015200\n' "$why" >"$run/quarantine/$usb"
same "list shows the quarantined USB controller as no,quarantined under MARKED" no,quarantined \
	"$(qr list | awk -v b=$usb '$1 == b { print $6 }')"
same "list leaves the others as they were" no "$(qr list | awk -v b=$nic '$1 == b { print $6 }')"
same "list --json gives the reason as quarantine" "$why" "$(quarantine_of list --json)"
same "list --json gives null to a function not quarantined" None \
	"$(qr list --json | python3 -c 'import json, sys
print([d["quarantine"] for d in json.load(sys.stdin) if d["bdf"] == sys.argv[1]][0])' $nic)"
check "show says it is quarantined, why, and the command that releases it" 0 \
	"quarantined         yes: $why (directpath release $usb gives it back)" qr show $usb
same "show --json gives the reason too" "$why" "$(quarantine_of show --json $usb)"
qr mark $usb >/dev/null 2>&1
bind $usb vfio-pci # as mark --now would have
same "check allows a quarantined device, with the warning quarantined" \
	"allowed unlisted:$usb:warning quarantined:$usb:warning" \
	"$(qr --data-dir "$data" check --devices $usb $vm7 --json | report_summary)"
check "... whose message gives the reason and directpath release" 0 \
	"$usb: quarantined on vfio-pci since a detach: $why; a VM may still have it, and directpath release $usb resets it, verifies it and gives it back to the host" \
	qr --data-dir "$data" check --devices $usb $vm7
check "release of a function that is not quarantined exits 1" 1 "$nic: not quarantined" qr release $nic
check "unmark --now of a quarantined function is refused: release gives it back" 1 \
	"$usb: quarantined ($why), so it is not given back to the host unverified; directpath release $usb" \
	qr unmark --now $usb
same "... and it stays marked, on vfio-pci" "vfio-pci vfio-pci" \
	"$(file_of "$dc/pci-$usb") $(basename "$(readlink $dev/$usb/driver)")"
bind $usb xhci_hcd
check "release of a quarantined function on a host driver exits 1, naming it" 1 \
	"bound to xhci_hcd, not vfio-pci or another VFIO driver, so the library cannot reset it" qr release $usb
bind $usb vfio-pci
# A running VM's lease: a lock on byte 0 of lease-BDF, held by another process.
printf 'vm=web01\npid=4242\n' >"$run/lease-$usb"
python3 -c 'import fcntl, os, sys, time
fd = os.open(sys.argv[1], os.O_RDWR)
fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB, 1, 0)
open(sys.argv[1] + ".ready", "w").close()
time.sleep(60)' "$run/lease-$usb" &
holder=$!
i=0
while [ ! -e "$run/lease-$usb.ready" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
check "release of a device a running VM holds exits 1, naming the VM" 1 \
	"already leased by VM \"web01\"" qr release $usb
kill $holder
wait $holder 2>/dev/null
rm -f "$run/lease-$usb" "$run/lease-$usb.ready"
check "release without VFIO on this host fails before anything changes" 2 \
	"$usb: cannot release: No such device or address" qr release $usb
same "... the record stays" "reason=$why" "$(head -n 1 "$run/quarantine/$usb")"
same "... and the lease is given back" "quarantine" "$(ls -A "$run" | tr '\n' ' ' | sed 's/ $//')"
ln -sfn /etc/passwd "$run/quarantine/$usb"
check "a record that is a symbolic link is not trusted, and still holds the device" 0 \
	"its quarantine record cannot be trusted (an unsafe file or directory)" \
	qr --data-dir "$data" check --devices $usb $vm7
rm -rf "$run"
qr unmark $usb >/dev/null 2>&1
bind $usb xhci_hcd

# Control characters in an argument come back escaped, never raw.
esc=$(printf '\033[2J03:00.0')
out=$(dp show "$esc" 2>&1)
same "show of a BDF holding an escape sequence exits 2" 2 "$?"
case $out in
*"\"\\x1b[2J03:00.0\" is not a PCI address"*) pass "... and the message escapes it as \\x1b" ;;
*) fail "... and the message escapes it as \\x1b" "output: $out" ;;
esac
case $out in
*"$(printf '\033')"*) fail "... and prints no raw escape character" "output: $out" ;;
*) pass "... and prints no raw escape character" ;;
esac
out=$(pc --devices "$esc" $vm7 2>&1)
case $out in
*"$(printf '\033')"*) fail "check of such a device prints no raw escape character" "output: $out" ;;
*"\"\\x1b[2J03:00.0\" is not a PCI address"*) pass "check of such a device names it escaped" ;;
*) fail "check of such a device names it escaped" "output: $out" ;;
esac
check "--memory with a trailing space is not a size (dp_parse_size(3))" 2 "--memory: \"4 \" is not a size" \
	pc --devices $nic --hw-version 7 --memory '4 '

# No IOMMU: nothing is eligible, and marking warns.
umount /sys
if mount --bind "$root/noiommu" /sys; then
	check "host says no IOMMU on the noiommu tree" 0 "no IOMMU" dp host
	same "without an IOMMU the USB controller is hinted no-iommu" no-iommu "$(list_status $usb)"
	same "without an IOMMU list shows no group" - "$(dp list | awk -v b=$usb '$1 == b { print $5 }')"
	check "mark without an IOMMU group warns" 0 "no IOMMU group" dp mark $usb
	same "... and still writes the mark" vfio-pci "$(file_of "$dc/pci-$usb")"
	bind $usb vfio-pci # as mark --now would have
	same "check without an IOMMU is denied: no-iommu, no-interrupt-remapping" \
		"denied no-iommu:cli:error no-interrupt-remapping:cli:error unlisted:$usb:warning" \
		"$(dp --data-dir "$data" check --devices $usb --hw-version 7 --memory 1G --json | report_summary)"
	check "... exit 1, and the message says how to enable the IOMMU" 1 "boot with intel_iommu=on or amd_iommu=on" \
		dp --data-dir "$data" check --devices $usb --hw-version 7 --memory 1G
	printf '[policy]\nrequire_iommu = no\nrequire_interrupt_remapping = no\n' >"$root/unsafe.conf"
	same "a policy that does without the IOMMU downgrades both to warnings" \
		"allowed no-iommu:cli:warning unsafe-interrupts:cli:warning unlisted:$usb:warning" \
		"$(dp --data-dir "$data" check --devices $usb --hw-version 7 --memory 1G --policy "$root/unsafe.conf" --json | report_summary)"
	bind $usb xhci_hcd
else
	fail "bind-mount the noiommu tree"
fi

# VMD-style domains: 0x2000 sorts before 0x10000, as numbers, and every
# command finds both; then config space that cannot be read.
umount /sys
if mount --bind "$root/vmd" /sys; then
	hi=10000:00:00.0 lo=2000:00:00.0
	dp unmark $usb >/dev/null 2>&1 # marked on the noiommu tree
	same "list shows the 4- and 5-digit domains after domain 0, in numeric order" "$lo $hi" \
		"$(dp list | tail -n 2 | cut -d ' ' -f 1 | tr '\n' ' ' | sed 's/ $//')"
	check "show finds $hi" 0 "$hi" dp show $hi
	check "show finds $lo" 0 "$lo" dp show $lo
	check "mark finds $hi" 0 "marked for passthrough" dp mark $hi
	same "... and writes pci-$hi" vfio-pci "$(file_of "$dc/pci-$hi")"
	bind $hi vfio-pci
	same "check finds $hi" "allowed unlisted:$hi:warning" \
		"$(dp --data-dir "$data" check --devices $hi --hw-version 7 --memory 1G --json | report_summary)"
	check "unmark finds $hi" 0 "unmarked" dp unmark $hi
	bind $hi nvme

	# A truncated config file reads 32 bytes: the header is unknown.
	cfg() { echo "/sys/bus/pci/devices/$1/config"; }
	truncate -s 32 "$(cfg $usb)" "$(cfg $bridge)"
	same "a function whose config cannot be read is hinted config-unreadable, not eligible" \
		config-unreadable "$(list_status $usb)"
	same "a bridge whose config cannot be read is still hinted bridge, by its class" \
		bridge "$(list_status $bridge)"
	check "mark of a function whose config cannot be read is denied" 1 "config space could not be read" dp mark $usb
	same "... and writes no driverctl file" "(absent)" "$(file_of "$dc/pci-$usb")"
	check "mark of a bridge whose config cannot be read is denied as a bridge" 1 "bridge" dp mark $bridge
	check "mark --force overrides" 0 "marked for passthrough" dp mark --force $usb
	bind $usb vfio-pci
	same "check denies it: config-unreadable; its reset is unknown too" \
		"denied config-unreadable:$usb:error no-reset-method:$usb:warning unlisted:$usb:warning" \
		"$(dp --data-dir "$data" check --devices $usb --hw-version 7 --memory 1G --json | report_summary)"
	dp unmark $usb >/dev/null 2>&1
	bind $usb xhci_hcd
else
	fail "bind-mount the vmd tree"
fi

echo "1..$n"
[ $failed -eq 0 ]
