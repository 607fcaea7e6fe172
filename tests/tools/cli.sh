#!/bin/sh
# SPDX-License-Identifier: MIT
# The admin tool on this machine's own /sys: options, exit codes, and that
# host, list and show agree with what sysfs says. TAP output.
# Usage: cli.sh PATH_TO_DIRECTPATH VERSION [DATA_DIR]
# DATA_DIR is the source tree's data/ (its compat.d), by default found next
# to this script.
# DP_CLI_WRAPPER, when set, is a command the tool runs under, e.g.
# "valgrind -q --leak-check=full --errors-for-leak-kinds=definite,indirect
# --error-exitcode=3": its errors change the exit status and fail the check.
set -u
# shellcheck source=tests/tools/tap.sh
. "$(dirname "$0")/tap.sh"
tool=$1 version=$2
data=${3:-$(cd "$(dirname "$0")/../../data" && pwd)}
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
tool=$(wrap_tool "$tool" "$tmp")
dc=$tmp/driverctl.d
mkdir "$dc" || exit 1

json_bdfs='import json, sys
for d in json.load(sys.stdin):
    print(d["bdf"])'

# Options and exit codes.
check "--version names tool and library versions" 0 "directpath $version (libdirectpath $version)" "$tool" --version
check "-V is --version" 0 "libdirectpath $version" "$tool" -V
check "version command" 0 "libdirectpath $version" "$tool" version
check "--help lists the commands" 0 "Commands:" "$tool" --help
check "--help names every command" 0 "unmark" "$tool" --help
check "--help documents exit codes" 0 "2 usage or I/O error" "$tool" -h
check "--help documents --driverctl-dir" 0 "--driverctl-dir DIR" "$tool" --help
check "--help documents --data-dir" 0 "--data-dir DIR" "$tool" --help
for c in check features policy; do
	check "--help names the $c command" 0 "  $c " "$tool" --help
done
check "check --help shows both forms of check" 0 "or: directpath [OPTIONS] check [--devices BDF[,BDF...]]" "$tool" check --help
check "check --help documents the exit status" 0 "0 allowed, 1 denied, 2 usage or I/O error" "$tool" help check
check "policy --help documents --compat" 0 "--compat" "$tool" policy --help
check "list --help shows list's usage" 0 "Usage: directpath [OPTIONS] list [--json]" "$tool" list --help
check "help mark shows mark's options" 0 "--force" "$tool" help mark
check "mark --help shows --now" 0 "--now" "$tool" mark --help
check "help of an unknown command is a usage error" 2 'unknown command "frob"' "$tool" help frob
check "no command is a usage error" 2 "no command given" "$tool"
check "unknown command is a usage error" 2 'unknown command "frobnicate"' "$tool" frobnicate
check "unknown option is a usage error" 2 "Usage:" "$tool" --frobnicate
check "help goes to stdout, errors to stderr" 0 "" sh -c "\"$tool\" frobnicate 2>/dev/null | grep -q . && exit 1 || exit 0"
check "an option of another command is a usage error" 2 "list: unknown option --now" "$tool" list --now
check "--force does not apply to unmark" 2 "unmark: unknown option --force" "$tool" unmark --force 0000:00:00.0
check "show needs a BDF" 2 "show: a PCI address (BDF) is needed" "$tool" show
check "mark needs a BDF" 2 "mark: a PCI address (BDF) is needed" "$tool" mark
check "list takes no argument" 2 'list: unexpected argument "0000:00:00.0"' "$tool" list 0000:00:00.0
check "a malformed BDF is a usage error" 2 '"0000:zz:00.0" is not a PCI address' "$tool" show 0000:zz:00.0
check "function 8 is not a BDF" 2 "is not a PCI address" "$tool" show 0000:00:00.8
check "mark of a malformed BDF is a usage error" 2 "is not a PCI address" "$tool" mark --driverctl-dir "$dc" 03:00
check "a relative --driverctl-dir is refused with the library's reason" 2 "not an absolute path" "$tool" --driverctl-dir relative/dir list
check "--driverctl-dir needs its argument" 2 "Usage:" "$tool" list --driverctl-dir
check "a write error on stdout is an I/O error" 2 "cannot write the output" sh -c "\"$tool\" list >/dev/full"
check "handoff needs a VM file" 2 "handoff: a VM file is needed" "$tool" handoff --socket "$tmp/s"
check "handoff needs --socket" 2 "--socket PATH is needed" "$tool" handoff "$tmp/none.vm"
check "handoff refuses an unknown backend" 2 '"vfio" is none of auto, type1, iommufd' \
	"$tool" handoff --socket "$tmp/s" --backend vfio "$tmp/none.vm"
check "handoff of a VM file that is not there is an I/O error" 2 "none.vm" \
	"$tool" handoff --socket "$tmp/s" "$tmp/none.vm"
check "help handoff documents the exit status" 0 "0 sent, 1 denied by the policy, 2 usage or I/O error" \
	"$tool" help handoff
# This machine's first function (a host bridge, or no IOMMU here): denied before anything opens.
printf '[vm]\nname = h\nhw_version = 7\nmemory = 1G\n[passthrough]\ndevice = %s\n' \
	"$(ls /sys/bus/pci/devices | LC_ALL=C sort | head -n 1)" >"$tmp/h.vm"
check "handoff of a VM the policy denies exits 1 and says why" 1 "the policy denies passthrough" \
	"$tool" --run-dir "$tmp/run" handoff --socket "$tmp/s" "$tmp/h.vm"
same "a denied handoff leaves no lease" "" "$(ls -A "$tmp/run" 2>/dev/null)"

# list against /sys/bus/pci/devices.
want=$(ls /sys/bus/pci/devices | LC_ALL=C sort)
out=$("$tool" list 2>"$tmp/err")
rc=$?
same "list exits 0 and prints nothing on stderr" "0:" "$rc:$(cat "$tmp/err")"
same "list has a header" "BDF ID CLASS DRIVER GROUP MARKED STATUS NAME" \
	"$(echo "$out" | head -n 1 | tr -s ' ')"
same "list shows one row per /sys/bus/pci/devices entry, in order" "$want" \
	"$(echo "$out" | tail -n +2 | cut -d ' ' -f 1)"
# Columns are aligned: every row starts its ID column where the header does.
col=$(echo "$out" | head -n 1 | awk '{ print index($0, " ID ") + 1 }')
bad=$(echo "$out" | tail -n +2 | awk -v c="$col" 'substr($0, c, 5) !~ /^[0-9a-f][0-9a-f][0-9a-f][0-9a-f]:$/')
same "list's columns are aligned" "" "$bad"
ids=$(for d in $want; do
	v=$(cat /sys/bus/pci/devices/$d/vendor) p=$(cat /sys/bus/pci/devices/$d/device)
	echo "$d ${v#0x}:${p#0x}"
done)
same "list shows each function's vendor:device IDs from sysfs" "$ids" \
	"$(echo "$out" | tail -n +2 | awk '{ print $1, $2 }')"
drivers=$(for d in $want; do
	if [ -e /sys/bus/pci/devices/$d/driver ]; then
		basename "$(readlink /sys/bus/pci/devices/$d/driver)"
	else
		echo -
	fi
done)
same "list shows each function's driver from sysfs" "$drivers" \
	"$(echo "$out" | tail -n +2 | awk '{ print $4 }')"

out=$("$tool" list --json 2>&1)
same "list --json parses, with the same BDFs" "$want" \
	"$(echo "$out" | python3 -c "$json_bdfs" 2>&1)"

# The host: no IOMMU unless /sys/class/iommu has one.
if [ -n "$(ls /sys/class/iommu 2>/dev/null)" ]; then
	check "host finds the IOMMU sysfs shows" 0 "IOMMU" "$tool" host
	iommu=present
else
	check "host says there is no IOMMU" 0 "no IOMMU: passthrough is not possible" "$tool" host
	out=$("$tool" host 2>&1)
	same "host's IOMMU line says none" "IOMMU none" "$(echo "$out" | grep -E '^IOMMU {2,}' | tr -s ' ')"
	out=$("$tool" list 2>&1)
	same "without an IOMMU nothing is eligible" "" \
		"$(echo "$out" | tail -n +2 | awk '$7 != "no-iommu" && $7 != "bridge" && $7 != "boot-vga"')"
	iommu=none
fi
hj=$("$tool" host --json 2>&1)
got=$(echo "$hj" | python3 -c 'import json, sys
h = json.load(sys.stdin)
print("none" if h["iommu"] == "none" else "present", h["kvm"] == (h["kvm_api_version"] == 12))' 2>&1)
same "host --json parses and agrees with sysfs" "$iommu True" "$got"
if [ -e /dev/kvm ]; then
	check "host says whether /dev/kvm is usable" 0 "KVM" "$tool" host
fi
lim=$(ulimit -l)
if [ "$lim" != unlimited ]; then
	got=$(echo "$hj" | python3 -c 'import json, sys; print(json.load(sys.stdin)["memlock_soft"] // 1024)')
	same "host --json gives RLIMIT_MEMLOCK in bytes" "$lim" "$got"
fi

# show of a real function.
first=$(echo "$want" | head -n 1)
if [ -n "$first" ]; then
	v=$(cat /sys/bus/pci/devices/$first/vendor) p=$(cat /sys/bus/pci/devices/$first/device)
	check "show of a real function names its IDs" 0 "vendor:device       ${v#0x}:${p#0x}" "$tool" show "$first"
	check "show accepts a BDF without domain" 0 "$first" "$tool" show "${first#0000:}"
	got=$("$tool" show --json "$first" | python3 -c 'import json, sys
d = json.load(sys.stdin)
print(d["bdf"], d["vendor_id"], d["device_id"], type(d["flags"]).__name__, type(d["bars"]).__name__)' 2>&1)
	same "show --json parses, with the IDs sysfs gives" "$first ${v#0x} ${p#0x} list list" "$got"
	check "-v keeps working" 0 "$first" "$tool" -v show "$first"
fi
# An address no machine here has: the highest domain, bus, device and function.
if [ ! -e /sys/bus/pci/devices/ffff:ff:1f.7 ]; then
	check "show of an absent function exits 2" 2 "ffff:ff:1f.7: no such PCI function" "$tool" show ffff:ff:1f.7
	check "mark of an absent function exits 2 and writes nothing" 2 "no such PCI function" \
		"$tool" --driverctl-dir "$dc" mark ffff:ff:1f.7
	same "the driverctl directory stays empty" "" "$(ls -A "$dc")"
fi

# A directory the caller cannot write: an I/O error, with the reason.
if [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null && [ -n "$first" ]; then
	ro=$tmp/readonly
	mkdir "$ro" && chmod 755 "$tmp" "$ro"
	check "mark into an unwritable directory exits 2 and says why" 2 "Permission denied" \
		setpriv --reuid=65534 --regid=65534 --clear-groups "$tool" --driverctl-dir "$ro" mark --force "$first"
	same "... and leaves nothing there" "" "$(ls -A "$ro")"
fi

# features: every feature the library names, each with why it is lost.
all_features="vmotion storage_vmotion fault_tolerance hot_add suspend_resume record_replay snapshot_memory memory_overcommit"
out=$("$tool" features 2>&1)
same "features lists all 8 features, in bit order" "$all_features" \
	"$(echo "$out" | awk 'NR > 3 { print $1 }' | tr '\n' ' ' | sed 's/ $//')"
same "features gives every feature a reason" "" \
	"$(echo "$out" | awk 'NR > 3 && $NF == "-"')"
check "features says why vMotion is lost" 0 "cannot be copied to another host" "$tool" features
check "features says why memory overcommit is lost" 0 "all guest memory is pinned for DMA" "$tool" features
same "features --json parses: 8 features, bits 1 to 128, each with a reason" \
	"$all_features|1 2 4 8 16 32 64 128|True" \
	"$("$tool" features --json | python3 -c 'import json, sys
f = json.load(sys.stdin)
print(" ".join(x["feature"] for x in f) + "|" + " ".join(str(x["bit"]) for x in f) + "|" +
      str(all(len(x["why"]) > 20 and x["lost_with"] for x in f)))' 2>&1)"
check "features takes no argument" 2 'features: unexpected argument "vmotion"' "$tool" features vmotion

# check: usage errors exit 2 and say what is wrong.
vmargs="--hw-version 7 --memory 4G"
check "check without a VM is a usage error" 2 "a VM is needed: --vm FILE, or --hw-version and --memory" "$tool" check
check "check without --memory is a usage error" 2 "a VM is needed" "$tool" check --hw-version 7
check "a bad --memory exits 2" 2 '--memory: "4Q" is not a size' "$tool" check --hw-version 7 --memory 4Q
check "a negative --memory exits 2" 2 '--memory: "-1G" is not a size' "$tool" check --hw-version 7 --memory -1G
check "a --memory beyond 64 bits exits 2 and says too large" 2 "too large" "$tool" check --hw-version 7 --memory 99999999999T
check "a bad --reservation exits 2" 2 '--reservation: "half" is not a size' "$tool" check $vmargs --reservation half
check "a bad --hw-version exits 2" 2 '--hw-version: "seven" is not a hardware version' "$tool" check --hw-version seven --memory 1G
check "a --hw-version beyond 32 bits exits 2" 2 "too large" "$tool" check --hw-version 4294967296 --memory 1G
check "an unknown --features name exits 2" 2 '--features: unknown feature "warp"' "$tool" check $vmargs --features vmotion,warp
check "a malformed --devices entry exits 2" 2 '--devices: "03:00" is not a PCI address' "$tool" check $vmargs --devices 0000:00:00.0,03:00
check "--vm excludes --memory" 2 "--vm and --memory exclude each other" "$tool" check --vm /nonexistent --memory 1G
check "an option given twice is a usage error" 2 "--memory given twice" "$tool" check --hw-version 7 --memory 1G --memory 2G
check "check takes no argument" 2 'check: unexpected argument "0000:00:00.0"' "$tool" check $vmargs 0000:00:00.0
check "--compat is not an option of check" 2 "check: unknown option --compat" "$tool" check $vmargs --compat
check "--devices is not an option of list" 2 "list: unknown option --devices" "$tool" list --devices 0000:00:00.0
check "--policy is not an option of features" 2 "features: unknown option --policy" "$tool" features --policy /dev/null
check "an invalid VM name exits 2 with the library's reason" 2 "VM name" "$tool" check $vmargs --name 'a"b'
check "a missing VM file exits 2 and names it" 2 "$tmp/none.vm: No such file or directory" "$tool" check --vm "$tmp/none.vm"
printf '[vm]\nname = db01\nhw_version = 7\nmemory = lots\n' >"$tmp/bad.vm"
check "a VM file with a bad size exits 2 naming file:line" 2 "$tmp/bad.vm:4:" "$tool" check --vm "$tmp/bad.vm"
check "a missing --policy file exits 2 and names it" 2 "$tmp/none.conf: No such file or directory" "$tool" check $vmargs --policy "$tmp/none.conf"
printf '[policy]\nmax_devices_per_vm = 3\nmin_hw_versoin = 8\n' >"$tmp/typo.conf"
check "a policy file with a typo exits 2 naming file:line" 2 "$tmp/typo.conf:3: unknown key \"min_hw_versoin\"" \
	"$tool" check $vmargs --policy "$tmp/typo.conf"

# check: a VM with no devices is allowed and loses nothing.
check "a VM with no devices is allowed" 0 "cli: allowed" "$tool" check $vmargs
check "... and loses no feature" 0 "Lost features: none" "$tool" check $vmargs --features vmotion
same "check --json of a VM with no devices: allowed, no findings, nothing lost" "allowed|0|0" \
	"$("$tool" check $vmargs --json | python3 -c 'import json, sys
r = json.load(sys.stdin)
print("allowed" if r["allowed"] is True else "denied", len(r["findings"]), len(r["lost_features"]), sep="|")' 2>&1)"
printf '[vm]\nname = db01\nhw_version = 4\nmemory = 2G\nreservation = 1G\n' >"$tmp/empty.vm"
check "a VM file without devices is allowed, by its name" 0 "db01: allowed" "$tool" check --vm "$tmp/empty.vm"
check "a reservation above the memory is an invalid VM: denied" 1 "vm-invalid" "$tool" check --hw-version 7 --memory 1G --reservation 2G
check "hardware version 0 is an invalid VM: denied" 1 "cli: denied (1 error)" "$tool" check --hw-version 0 --memory 1G
check "--name names the VM in the verdict" 0 "db02: allowed" "$tool" check $vmargs --name db02

# check of a real function.
first=$(ls /sys/bus/pci/devices | LC_ALL=C sort | head -n 1)
if [ -n "$first" ] && [ "$iommu" = none ]; then
	out=$("$tool" --data-dir "$data" check --devices "$first" $vmargs 2>&1)
	rc=$?
	same "check of $first on a host without an IOMMU is denied (exit 1)" 1 "$rc"
	case $out in
	"cli: denied ("*"error"*) pass "check prints the verdict first" ;;
	*) fail "check prints the verdict first" "output: $out" ;;
	esac
	case $out in
	*"error    no-iommu "*"the host has no IOMMU (require_iommu)"*) pass "check names the missing IOMMU as an error" ;;
	*) fail "check names the missing IOMMU as an error" "output: $out" ;;
	esac
	case $out in
	*"Lost features:"*"vmotion             disabled  $first"*) pass "check lists the lost features and their device" ;;
	*) fail "check lists the lost features and their device" "output: $out" ;;
	esac
	json=$("$tool" --data-dir "$data" check --devices "$first" $vmargs --json 2>&1)
	same "check --json exits 1 as well" 1 "$?"
	got=$(echo "$json" | report_summary 2>&1)
	case $got in
	"denied no-iommu:cli:error "*) pass "check --json parses: denied, no-iommu first" ;;
	*) fail "check --json parses: denied, no-iommu first" "got: $got" ;;
	esac
	same "check --json: every feature lost, caused by $first" \
		"$(for f in $all_features; do printf '%s:false:%s ' $f "$first"; done | sed 's/ $//')" \
		"$(echo "$json" | report_losses 2>&1)"
	printf '[vm]\nname = db01\nhw_version = 7\nmemory = 4G\nfeatures = vmotion, hot_add\n[passthrough]\ndevice = %s\n' "$first" >"$tmp/db01.vm"
	check "check --vm of a VM file with $first is denied, by its name" 1 "db01: denied" "$tool" check --vm "$tmp/db01.vm"
	json=$("$tool" check --vm "$tmp/db01.vm" --json 2>&1)
	same "... and loses the features it enabled" "vmotion:true:$first hot_add:true:$first" \
		"$(echo "$json" | report_losses | tr ' ' '\n' | grep ':true:' | tr '\n' ' ' | sed 's/ $//')"
	same "... each of them a warning, the other six info" "vmotion:warning hot_add:warning info=6" \
		"$(echo "$json" | python3 -c 'import json, sys
lost = [f for f in json.load(sys.stdin)["findings"] if f["name"] == "feature-lost"]
print(" ".join(f["message"].split()[1] + ":" + f["severity"] for f in lost if f["severity"] != "info"),
      "info=%d" % sum(f["severity"] == "info" for f in lost))' 2>&1)"
	check "... and says so in the lost features table" 1 "vmotion             enabled   $first" \
		"$tool" check --vm "$tmp/db01.vm"
fi
check "check of a function this host lacks is denied: no-such-device" 1 "no-such-device" \
	"$tool" check --devices ffff:ff:1f.7 $vmargs

# policy: the output is a policy file that sets every rule.
rules="max_devices_per_vm = 2
min_hw_version = 7
require_iommu = yes
require_interrupt_remapping = yes
require_viable_group = yes
require_marked = yes
deny_bridges = yes
deny_boot_vga = yes
memory_reservation = full
unlisted_devices = warn
no_reset_method = warn
direct_regions = deny
shared_reset = deny
invalid_rom = warn
host_input_devices = warn
host_storage = warn
host_boot_filesystem = deny
host_default_route = deny
host_console = warn
release = host
mmio_window = deny
memlock = warn
vfio_drivers = vfio-pci *_vfio_pci *:vfio-dev"
empty=$tmp/config.empty
mkdir "$empty"
"$tool" --config-dir "$empty" --data-dir "$data" policy >"$tmp/defaults.conf" 2>"$tmp/err"
same "policy exits 0 and prints nothing on stderr" "0:" "$?:$(cat "$tmp/err")"
same "policy prints every rule with ESX 4.0's defaults" "[policy]
$rules" "$(policy_rules <"$tmp/defaults.conf")"
check "policy says no policy file was loaded" 0 "no policy file was loaded" "$tool" --config-dir "$empty" policy
check "policy counts the compatibility list entries of --data-dir" 0 "Compatibility list: 17 entries from $data/compat.d/*.list" \
	"$tool" --config-dir "$empty" --data-dir "$data" policy
check "the output of policy loads back as a policy file" 0 "cli: allowed" \
	"$tool" check $vmargs --policy "$tmp/defaults.conf"
same "... and gives the same policy" "$(policy_rules <"$tmp/defaults.conf")" \
	"$("$tool" --data-dir "$data" policy --policy "$tmp/defaults.conf" | policy_rules)"
printf '[policy]\nmax_devices_per_vm = 3\nrequire_iommu = no\nunlisted_devices = deny\nmemory_reservation = none\nno_reset_method = deny\n' >"$tmp/custom.conf"
"$tool" --config-dir "$empty" policy --policy "$tmp/custom.conf" >"$tmp/custom.out" 2>&1
same "policy --policy shows the file's rules over the defaults" "[policy]
max_devices_per_vm = 3
min_hw_version = 7
require_iommu = no
require_interrupt_remapping = yes
require_viable_group = yes
require_marked = yes
deny_bridges = yes
deny_boot_vga = yes
memory_reservation = none
unlisted_devices = deny
no_reset_method = deny
direct_regions = deny
shared_reset = deny
invalid_rom = warn
host_input_devices = warn
host_storage = warn
host_boot_filesystem = deny
host_default_route = deny
host_console = warn
release = host
mmio_window = deny
memlock = warn
vfio_drivers = vfio-pci *_vfio_pci *:vfio-dev" "$(policy_rules <"$tmp/custom.out")"
check "policy --policy names the file it loaded" 0 "then $tmp/custom.conf." "$tool" policy --policy "$tmp/custom.conf"
same "a changed policy round-trips through policy --policy" "$(policy_rules <"$tmp/custom.out")" \
	"$("$tool" policy --policy "$tmp/custom.out" | policy_rules)"
same "policy --json gives the same rules" "$(policy_rules <"$tmp/custom.out" | tail -n +2)" \
	"$("$tool" --config-dir "$empty" policy --policy "$tmp/custom.conf" --json | python3 -c 'import json, sys
p = json.load(sys.stdin)
for k, v in p["rules"].items(): print(k, "=", v)
print("vfio_drivers", "=", p["vfio_drivers"])
assert p["policy_file"] == sys.argv[1], p["policy_file"]' "$tmp/custom.conf" 2>&1)"
conf=$tmp/config
mkdir "$conf"
cp "$tmp/custom.conf" "$conf/policy.conf"
check "policy loads CONFIG_DIR/policy.conf when it exists" 0 "max_devices_per_vm = 3" "$tool" --config-dir "$conf" policy
check "--policy FILE wins over CONFIG_DIR/policy.conf" 0 "max_devices_per_vm = 2" \
	"$tool" --config-dir "$conf" policy --policy "$tmp/defaults.conf"
# The log priority: warnings by default, DIRECTPATH_LOG (the library's own), and -v over both.
check "DIRECTPATH_LOG=debug shows the library's debug messages" 0 "directpath: debug: dp_policy_load_file: policy: no $empty/policy.conf" \
	env DIRECTPATH_LOG=debug "$tool" --config-dir "$empty" policy
check "-vv wins over DIRECTPATH_LOG=err" 0 "directpath: debug: dp_policy_load_file:" \
	env DIRECTPATH_LOG=err "$tool" -vv --config-dir "$empty" policy
same "without DIRECTPATH_LOG or -v no debug message is shown" "" \
	"$(env -u DIRECTPATH_LOG "$tool" --config-dir "$empty" policy 2>&1 >/dev/null)"
same "DIRECTPATH_LOG=info shows info, not debug" "" \
	"$(DIRECTPATH_LOG=info "$tool" --config-dir "$empty" policy 2>&1 >/dev/null | grep 'debug:')"
# A reservation below the memory: the default policy finds it, policy.conf's does not.
if [ -n "$first" ]; then
	same "check finds memory-not-reserved by default" memory-not-reserved \
		"$("$tool" --config-dir "$empty" check --devices "$first" --hw-version 7 --memory 4G --reservation 1G --json | report_summary | grep -o memory-not-reserved)"
	same "check applies CONFIG_DIR/policy.conf: memory_reservation = none" "" \
		"$("$tool" --config-dir "$conf" check --devices "$first" --hw-version 7 --memory 4G --reservation 1G --json | report_summary | grep -o memory-not-reserved)"
fi
printf '[policy]\nmin_hw_version = 8\n' >"$conf/policy.conf"
check "policy shows a rule CONFIG_DIR/policy.conf sets" 0 "min_hw_version = 8" "$tool" --config-dir "$conf" policy
cp "$tmp/typo.conf" "$conf/policy.conf"
check "a CONFIG_DIR/policy.conf with a typo exits 2 naming file:line" 2 "$conf/policy.conf:3: unknown key" \
	"$tool" --config-dir "$conf" check $vmargs
rm "$conf/policy.conf" && mkdir "$conf/policy.conf"
check "a CONFIG_DIR/policy.conf that is no file exits 2" 2 "$conf/policy.conf: not a regular file" \
	"$tool" --config-dir "$conf" policy
check "a write error on stdout is an I/O error for policy too" 2 "cannot write the output" \
	sh -c "\"$tool\" policy >/dev/full"

# policy --compat: the compatibility list of --data-dir.
out=$("$tool" --data-dir "$data" policy --compat 2>&1)
same "policy --compat lists the 17 shipped entries" 17 "$(echo "$out" | tail -n +2 | grep -c .)"
same "policy --compat has a header" "LEVEL ID SUBSYSTEM FILE NAME" "$(echo "$out" | head -n 1 | tr -s ' ')"
same "policy --compat shows level, IDs, file and name" \
	"experimental 8086:10b6 *:* 10-esx40-experimental.list Intel 82598 10GbE" \
	"$(echo "$out" | grep 8086:10b6 | tr -s ' ')"
same "policy --compat --json parses, with the same entries" "17 experimental 1077 2532 None 10-esx40-experimental.list" \
	"$("$tool" --data-dir "$data" policy --compat --json | python3 -c 'import json, sys
c = json.load(sys.stdin)
e = c[0]
print(len(c), e["level"], e["vendor_id"], e["device_id"], e["subsystem_vendor_id"], e["file"])' 2>&1)"
same "policy --json holds the entries too" 17 \
	"$("$tool" --data-dir "$data" policy --json | python3 -c 'import json, sys; print(len(json.load(sys.stdin)["compat"]))' 2>&1)"
mkdir -p "$tmp/data/compat.d"
check "policy --compat with no list says every device is unlisted" 0 "no compatibility list entries" \
	"$tool" --data-dir "$tmp/data" policy --compat
printf '# local\n8086:10FB 8086:000c supported Intel 82599 on a test rig\n*:* unsupported\n' >"$tmp/data/compat.d/50-local.list"
printf '1af4:* experimental\n' >"$tmp/data/compat.d/20-virtio.list"
same "policy --compat reads the lists in name order, with sub IDs and wildcards" \
	"experimental 1af4:* *:* 20-virtio.list -|supported 8086:10fb 8086:000c 50-local.list Intel 82599 on a test rig|unsupported *:* *:* 50-local.list -" \
	"$("$tool" --data-dir "$tmp/data" policy --compat | tail -n +2 | tr -s ' ' | tr '\n' '|' | sed 's/|$//')"
printf '8086:zz supported\n' >"$tmp/data/compat.d/60-broken.list"
check "a broken compatibility list exits 2 naming file:line" 2 "$tmp/data/compat.d/60-broken.list:1:" \
	"$tool" --data-dir "$tmp/data" policy --compat
check "check refuses to run with a broken compatibility list" 2 "60-broken.list:1:" \
	"$tool" --data-dir "$tmp/data" check $vmargs
check "a relative --data-dir is refused with the library's reason" 2 "not an absolute path" "$tool" --data-dir data policy

# An unreadable policy: an I/O error, with the reason.
if [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null; then
	chmod 755 "$tmp" && chmod 600 "$tmp/custom.conf"
	check "an unreadable --policy exits 2 and says why" 2 "$tmp/custom.conf: Permission denied" \
		setpriv --reuid=65534 --regid=65534 --clear-groups "$tool" check $vmargs --policy "$tmp/custom.conf"
fi

echo "1..$n"
[ $failed -eq 0 ]
