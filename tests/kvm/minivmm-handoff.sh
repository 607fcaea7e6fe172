#!/bin/sh
# SPDX-License-Identifier: MIT
# minivmm --handoff, run by run-in-guest inside the QEMU guest (topology one,
# edu not bound): minivmm-handoff.sh MINIVMM DIRECTPATH SCHEMA_PY SCHEMA [BACKEND]
# minivmm runs as uid 65534 with no capability and NO_NEW_PRIVS, so it cannot
# open edu's /dev/vfio/N; it listens on a socket, and "directpath handoff"
# (root, the manager) checks the VM file, leases and opens edu's nodes and
# sends them there. minivmm's guest then does its DMA, MSI and INTx through
# them. Twice: the second handoff (--json, validated against the schema)
# proves that the first VMM's exit left the lease and the group free.
# BACKEND: type1 (the default) or iommufd (run-in-guest --kernel iommufd),
# which hands over /dev/iommu and edu's /dev/vfio/devices/vfioN instead.
set -u
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
minivmm=$1
directpath=$2
schema_py=$3
schema=$4
backend=${5:-type1}
mk_tmp
sock=$tmp/vmm/sock

find_edu
permissive_policy
handoff_setup "$bdf"
# edu on vfio-pci, as a manager has it before it hands the device over.
echo vfio-pci >"/sys/bus/pci/devices/$bdf/driver_override"
[ -e "/sys/bus/pci/devices/$bdf/driver" ] && echo "$bdf" >"/sys/bus/pci/devices/$bdf/driver/unbind"
echo "$bdf" >/sys/bus/pci/drivers_probe
group=$(basename "$(readlink "/sys/bus/pci/devices/$bdf/iommu_group")")

# run NAME [--json]: minivmm as uid 65534 waits on $sock; directpath handoff
# (root) sends it edu; the manager's output in $tmp/manager, minivmm's in $out.
run() {
	how="unprivileged minivmm, $1"
	setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all --bounding-set=-all \
		--no-new-privs sh -c '
			if (exec 3<>"/dev/vfio/$1") 2>/dev/null; then echo "opened /dev/vfio/$1" >&2; exit 9; fi
			exec timeout 200 "$2" --handoff "$3" --memory 4M --timeout 150' \
		sh "$group" "$minivmm" "$sock" >"$out" 2>"$err" &
	pid=$!
	i=0
	until [ -S "$sock" ] || [ $i -ge 300 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	[ -S "$sock" ] || fail "$how never listened on $sock"
	shift
	"$directpath" handoff "$tmp/vm" --socket "$sock" --policy "$policy" --backend "$backend" "$@" \
		>"$tmp/manager" 2>"$tmp/manager.err" ||
		fail "$how: directpath handoff failed: $(cat "$tmp/manager.err")"
	wait "$pid"
	rc=$?
	[ $rc -eq 0 ] || fail "$how: exit $rc, expected 0"
	expect "minivmm: VM \"handed\" from its manager: 1 device through $backend, checked there"
	expect "minivmm: VFIO backend $backend"
	expect 'edu: DMA of 4000 bytes there and back verified'
	expect 'MSI OK'
	expect 'INTx OK'
	expect 'minivmm: the guest passed'
	[ ! -s "$err" ] || fail "$how: unexpected messages on stderr"
}

run text
expect "Handed over VM \"handed\" ($backend) to $sock: 3 fds" "$tmp/manager"
if [ "$backend" = iommufd ]; then
	expect "fd 0   iommufd" "$tmp/manager"
	expect "fd 1   device     $bdf" "$tmp/manager"
else
	expect "fd 0   container" "$tmp/manager"
	expect "fd 1   group      $group" "$tmp/manager"
fi
expect "fd 2   lease      $bdf" "$tmp/manager"
run json --json
cp "$tmp/manager" "$tmp/handoff.json"
python3 "$schema_py" files "$schema" "$tmp/handoff.json" >"$tmp/schema.out" 2>&1 ||
	fail "handoff --json does not follow the schema: $(cat "$tmp/schema.out")"
[ "$backend" = iommufd ] || expect "\"group\": $group" "$tmp/handoff.json"
expect "\"bdf\": \"$bdf\"" "$tmp/handoff.json"
echo "PASS: edu through minivmm as uid 65534 with no capability, twice, its $backend fds from directpath handoff"
