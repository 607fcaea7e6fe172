#!/bin/sh
# SPDX-License-Identifier: MIT
# What the host loses, through the admin tool, on the host-use test host
# (tests/lib/hostusetree.c: a USB controller with a keyboard, a mouse and a
# mounted stick, a SATA controller holding / through LVM and /boot/efi, an
# NVMe with a mounted data filesystem, NICs carrying the default route
# directly and through a bridge, the boot VGA with the framebuffer console),
# each command run by hostuse-env in a mount namespace with that /sys and
# its own /proc/self/mountinfo and /proc/net/route. show's host use part,
# text and --json ("host_use"), and check's findings. TAP output.
# Usage: cli-hostuse.sh PATH_TO_DIRECTPATH PATH_TO_HOSTUSE_ENV [DATA_DIR]
# DP_CLI_WRAPPER, when set, is a command the tool runs under (see cli.sh).
set -u
# shellcheck source=tests/tools/tap.sh
. "$(dirname "$0")/tap.sh"
tool=$1 env=$2
data=${3:-$(cd "$(dirname "$0")/../../data" && pwd)}

skip() {
	echo "1..0 # SKIP $1"
	exit 0
}
[ "$(id -u)" -eq 0 ] || skip "needs root to mount a synthetic /sys and /proc"
unshare -m true 2>/dev/null || skip "unshare -m is not permitted here"
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
tool=$(wrap_tool "$tool" "$tmp")
# Inside, /proc/self/exe reads as a link into the real procfs, so the
# tool's $ORIGIN runpath does not work there: name its library directory.
libdir=$(cd "$(dirname "$1")/../lib" 2>/dev/null && pwd) &&
	export LD_LIBRARY_PATH="$libdir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
dp() { "$env" "$tool" --data-dir "$data" --driverctl-dir "$tmp/driverctl.d" --run-dir "$tmp/run" "$@"; }

xhci=0000:00:14.0 ahci=0000:00:17.0 nvme=0000:01:00.0 nic=0000:03:00.0
bridged=0000:03:00.1 other=0000:03:00.2 vga=0000:04:00.0 plain=0000:06:00.0

# show's host use part: its lines from "host use" to the policy part.
host_use() { dp show "$1" | sed -n '/^  host use /,/^  policy /p' | sed '$d'; }
# show --json's host_use, one key: host_use_json BDF KEY
host_use_json() {
	dp show --json "$1" | python3 -c 'import json, sys
print(json.dumps(json.load(sys.stdin)["host_use"][sys.argv[1]], sort_keys=True))' "$2"
}

same "show: the USB controller's devices, with IDs, names and flags" \
"  host use            USB 1-1 046d:c31c \"Logitech USB Keyboard\" (hid, keyboard)
                      USB 1-3 05e3:0610 \"USB2.1 Hub\" (hub)
                      USB 1-3.1 046d:c077 \"Logitech USB Optical Mouse\" (hid)
                      USB 2-1 0781:5583 \"SanDisk Ultra Fit\" (storage)
                      USB usb1 1d6b:0002 \"Linux 6.1.0 xhci-hcd xHCI Host Controller\" (root-hub, hub)
                      USB usb2 1d6b:0003 \"Linux 6.1.0 xhci-hcd xHCI Host Controller\" (root-hub, hub)
                      block sdb
                      block sdb1 (partition of sdb) mounted on /media/stick (mounted)" \
"$(host_use $xhci)"
same "show: the SATA controller's disks, the root through its dm holder" \
"  host use            block sda
                      block sda1 (partition of sda) mounted on /boot/efi (mounted, boot)
                      block sda2 (partition of sda)
                      block sda3 (partition of sda)
                      block dm-0 (over sda2) mounted on / (mounted, root)" \
"$(host_use $ahci)"
same "show: the NVMe's mounted data filesystem" \
"  host use            block nvme0n1
                      block nvme0n1p1 (partition of nvme0n1) mounted on /srv/data (mounted)" \
"$(host_use $nvme)"
same "show: the NIC carrying the default route" \
"  host use            interface eno1 carries the default route" "$(host_use $nic)"
same "show: the bridge port whose bridge carries it" \
"  host use            interface eno2 carries the default route through br0" "$(host_use $bridged)"
same "show: a NIC without it" "  host use            interface eno3" "$(host_use $other)"
same "show: the boot VGA with the console" \
"  host use            framebuffer fb0
                      boot VGA, the framebuffer console is bound to it" "$(host_use $vga)"
same "show: nothing below it" "  host use            -" "$(host_use $plain)"

same "show --json: host_use.usb" \
'[{"flags": ["hid", "keyboard"], "manufacturer": "Logitech", "name": "1-1", "product": "USB Keyboard", "product_id": "c31c", "vendor_id": "046d"}, {"flags": ["hub"], "manufacturer": null, "name": "1-3", "product": "USB2.1 Hub", "product_id": "0610", "vendor_id": "05e3"}, {"flags": ["hid"], "manufacturer": "Logitech", "name": "1-3.1", "product": "USB Optical Mouse", "product_id": "c077", "vendor_id": "046d"}, {"flags": ["storage"], "manufacturer": "SanDisk", "name": "2-1", "product": "Ultra Fit", "product_id": "5583", "vendor_id": "0781"}, {"flags": ["root-hub", "hub"], "manufacturer": "Linux 6.1.0 xhci-hcd", "name": "usb1", "product": "xHCI Host Controller", "product_id": "0002", "vendor_id": "1d6b"}, {"flags": ["root-hub", "hub"], "manufacturer": "Linux 6.1.0 xhci-hcd", "name": "usb2", "product": "xHCI Host Controller", "product_id": "0003", "vendor_id": "1d6b"}]' \
"$(host_use_json $xhci usb)"
same "show --json: host_use.flags of the USB controller" \
'["usb-keyboard", "usb-hid", "usb-storage", "mounted"]' "$(host_use_json $xhci flags)"
same "show --json: host_use.block with mounts and root/boot flags" \
'[{"below": null, "flags": [], "mounts": [], "name": "sda", "size": 2147483648}, {"below": "sda", "flags": ["partition", "mounted", "boot"], "mounts": ["/boot/efi"], "name": "sda1", "size": 536870912}, {"below": "sda", "flags": ["partition"], "mounts": [], "name": "sda2", "size": 536870912}, {"below": "sda", "flags": ["partition"], "mounts": [], "name": "sda3", "size": 536870912}, {"below": "sda2", "flags": ["holder", "mounted", "root"], "mounts": ["/"], "name": "dm-0", "size": 2147483648}]' \
"$(host_use_json $ahci block)"
same "show --json: host_use.net with the upper carrying the route" \
'[{"default_route": true, "name": "eno2", "via": "br0"}]' "$(host_use_json $bridged net)"
same "show --json: framebuffers, boot VGA and console" '["fb0"] true true' \
"$(host_use_json $vga framebuffers) $(host_use_json $vga boot_vga) $(host_use_json $vga console)"
same "show --json: nothing unknown" '[]' "$(host_use_json $xhci unknown)"
same "show --json keeps its other keys" "0000:00:14.0 xhci_hcd" \
"$(dp show --json $xhci | python3 -c 'import json, sys; d = json.load(sys.stdin); print(d["bdf"], d["driver"])')"

vm="--hw-version 7 --memory 1G"
same "check --json: the host-use findings of two devices, with their rules" \
"denied not-marked:$xhci:error unlisted:$xhci:warning host-storage:$xhci:warning host-input:$xhci:warning not-marked:$bridged:error unlisted:$bridged:warning host-default-route:$bridged:error" \
"$(dp check --devices $xhci,$bridged $vm --json | report_summary)"
check "check prints the input finding's sentence" 1 \
"warning  host-input              $xhci: the host's keyboard \"USB Keyboard\" (046d:c31c at 1-1) and input device \"USB Optical Mouse\" (046d:c077 at 1-3.1) are below it and go to the VM with it (host_input_devices = warn); move them to another USB controller, or set host_input_devices = allow" \
dp check --devices $xhci $vm
check "check of the root's controller is denied by host_boot_filesystem" 1 \
"error    host-boot-filesystem    $ahci: holds the host's /boot/efi (on sda1) and / (on dm-0 over sda2), without which the host cannot run (host_boot_filesystem = deny); keep this device on the host and pass through another" \
dp check --devices $ahci $vm
check "check of the VGA warns of the console" 1 "warning  host-console            $vga: the host's framebuffer console is bound to its framebuffer fb0" \
dp check --devices $vga $vm
printf '[policy]\nhost_input_devices = deny\nhost_storage = allow\nhost_default_route = warn\n' >"$tmp/policy.conf"
same "check --policy: deny, allow and warn as the file says" \
"denied not-marked:$xhci:error unlisted:$xhci:warning host-input:$xhci:error not-marked:$nic:error unlisted:$nic:warning host-default-route:$nic:warning" \
"$(dp check --policy "$tmp/policy.conf" --devices $xhci,$nic $vm --json | report_summary)"
check "show --policy applies the file to the function's findings" 0 \
"error    host-input              $xhci:" dp show --policy "$tmp/policy.conf" $xhci
check "policy prints the five rules with their defaults" 0 \
"host_input_devices = warn
host_storage = warn
host_boot_filesystem = deny
host_default_route = deny
host_console = warn" dp policy

echo "1..$n"
[ "$failed" -eq 0 ]
