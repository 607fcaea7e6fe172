#!/bin/sh
# SPDX-License-Identifier: MIT
# The admin tool and VFIO drivers other than vfio-pci (issue 22), on the
# mkfakesys "basic" tree bind-mounted over /sys in a private mount namespace:
# show and check name the driver and what it offers, text and --json; the
# policy's vfio_drivers narrows it; mark --driver writes the driverctl file
# for the named driver, or refuses a driver the policy does not list. TAP.
# Usage: cli-vfiodriver.sh PATH_TO_DIRECTPATH PATH_TO_MKFAKESYS [DATA_DIR]
set -u
# shellcheck source=tests/tools/tap.sh
. "$(dirname "$0")/tap.sh"
tool=$1 mkfakesys=$2
data=${3:-$(cd "$(dirname "$0")/../../data" && pwd)}

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
	if ! "$mkfakesys" basic "$root/basic" >"$root/mkfakesys.log" 2>&1; then
		echo "Bail out! mkfakesys basic failed: $(cat "$root/mkfakesys.log")"
		exit 1
	fi
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
dp() { "$tool" --driverctl-dir "$dc" --data-dir "$data" "$@"; }
file_of() { cat "$1" 2>/dev/null || echo "(absent)"; }
bind() { ln -sfn "../../../bus/pci/drivers/$2" "/sys/bus/pci/devices/$1/driver"; }
vmargs="--hw-version 7 --memory 1G"

# The VF on a vfio-pci variant driver that registered it with VFIO (cdev 511:0).
vf=0000:05:10.0
mkdir -p /sys/bus/pci/drivers/mlx5_vfio_pci
bind $vf mlx5_vfio_pci
mkdir -p /sys/bus/pci/devices/$vf/vfio-dev/vfio0
echo 511:0 >/sys/bus/pci/devices/$vf/vfio-dev/vfio0/dev
printf '[policy]\nvfio_drivers = vfio-pci\n' >"$root/narrow.conf"
printf '[policy]\nvfio_drivers = *\n' >"$root/star.conf"

check "show names the variant driver, its kind and that it is ready" 0 \
	"VFIO driver         mlx5_vfio_pci (variant, ready for passthrough): offers vfio-pci's, and the vendor's device features, typically migration; opens through /dev/vfio/11 and /dev/vfio/devices/vfio0" \
	dp show $vf
check "show names the VFIO device node" 0 "VFIO device         vfio0" dp show $vf
check "show of a host driver's function says it is not ready" 0 \
	"VFIO driver         igb (host, not ready for passthrough): offers nothing to VFIO" dp show 0000:05:00.0
same "show --json has vfio_driver" "mlx5_vfio_pci variant True vfio0 /dev/vfio/11 /dev/vfio/devices/vfio0" \
	"$(dp show --json $vf | python3 -c 'import json, sys
v = json.load(sys.stdin)["vfio_driver"]
print(v["name"], v["kind"], v["ready"], v["vfio_dev"], v["group"], v["cdev"])')"
check "show --policy narrowed to vfio-pci: not ready, and the finding says what to add" 0 \
	"vfio-driver-not-listed  $vf: on mlx5_vfio_pci, a vfio-pci variant driver, which vfio_drivers (vfio-pci) does not count" \
	dp show --policy "$root/narrow.conf" $vf

check "mark --driver NAME marks it for that driver" 0 "$vf: marked for passthrough on mlx5_vfio_pci" \
	dp mark --driver mlx5_vfio_pci $vf
same "... in a driverctl file naming it" "mlx5_vfio_pci" "$(file_of "$dc/pci-$vf")"
check "a check of it is allowed and says what the driver offers" 0 \
	"info     vfio-driver             $vf: on mlx5_vfio_pci, a vfio-pci variant driver" \
	dp check --devices $vf $vmargs
check "... with a line under Drivers" 0 \
	"  $vf  mlx5_vfio_pci (variant, ready for passthrough)" dp check --devices $vf $vmargs
same "check --json: devices[].vfio_driver" "mlx5_vfio_pci variant True vfio0 /dev/vfio/11 /dev/vfio/devices/vfio0" \
	"$(dp check --devices $vf $vmargs --json | python3 -c 'import json, sys
v = json.load(sys.stdin)["devices"][0]["vfio_driver"]
print(v["name"], v["kind"], v["ready"], v["vfio_dev"], v["group"], v["cdev"])')"
check "a policy narrowed to vfio-pci denies it, naming the setting" 1 \
	"error    vfio-driver-not-listed  $vf: on mlx5_vfio_pci, a vfio-pci variant driver, which vfio_drivers (vfio-pci) does not count as ready for passthrough; add mlx5_vfio_pci to vfio_drivers" \
	dp check --devices $vf $vmargs --policy "$root/narrow.conf"
check "unmark removes the variant driver's mark" 0 "$vf: unmarked" dp unmark $vf
same "... and its file" "(absent)" "$(file_of "$dc/pci-$vf")"
check "mark --driver of a driver the policy does not list is refused, saying why" 1 \
	"$vf: mlx5_vfio_pci is not a driver vfio_drivers (vfio-pci) counts as ready for passthrough" \
	dp mark --driver mlx5_vfio_pci --policy "$root/narrow.conf" $vf
same "... and writes nothing" "(absent)" "$(file_of "$dc/pci-$vf")"
check "mark --driver of a host driver is refused" 1 "igb is not a driver vfio_drivers" \
	dp mark --driver igb 0000:05:00.0
check "mark --driver with a name that is no driver's exits 2" 2 "is not a driver name" \
	dp mark --driver 'a/b' $vf
check "policy prints vfio_drivers" 0 "vfio_drivers = vfio-pci" dp policy --policy "$root/narrow.conf"
same "policy --json has vfio_drivers" "vfio-pci *_vfio_pci *:vfio-dev" \
	"$(dp policy --json | python3 -c 'import json, sys; print(json.load(sys.stdin)["vfio_drivers"])')"
check "a bare * is refused: it would count every host driver" 2 \
	"would count every host driver as ready; write *:vfio-dev" dp policy --policy "$root/star.conf"

echo "1..$n"
[ $failed -eq 0 ]
