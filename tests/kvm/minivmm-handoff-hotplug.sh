#!/bin/sh
# SPDX-License-Identifier: MIT
# minivmm --handoff --hotplug, run by run-in-guest inside the QEMU guest
# (topology two: two edu on vfio-pci, nested KVM):
# minivmm-handoff-hotplug.sh MINIVMM DIRECTPATH [BACKEND]
# minivmm runs as uid 65534 with no capability and NO_NEW_PRIVS; "directpath
# handoff" (root, the manager) hands it the first edu. When its guest asks
# for a hot add, minivmm listens on the socket again and "directpath handoff
# --add" hands it the second as an addition (checked with the first, leased,
# its group's or device node opened), which minivmm hot adds
# (dp_attachment_add_handoff); the guest drives it, minivmm hot removes it,
# the first edu still DMAs, and no lease is left.
# BACKEND: type1 (the default) or iommufd (run-in-guest --kernel iommufd).
set -u
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
minivmm=$1
directpath=$2
backend=${3:-type1}
mk_tmp
sock=$tmp/vmm/sock
how="unprivileged minivmm, hot add from its manager"

find_two_edus
permissive_policy
handoff_setup "$first"

# The socket appears (minivmm listens), then the manager sends; $1: what for.
send() {
	what=$1
	shift
	i=0
	until [ -S "$sock" ] || [ $i -ge 600 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	[ -S "$sock" ] || fail "$how never listened on $sock for $what"
	"$directpath" handoff "$tmp/vm" --socket "$sock" --policy "$policy" --backend "$backend" "$@" \
		>"$tmp/manager-$what" 2>"$tmp/manager-$what.err" ||
		fail "$how: directpath handoff ($what) failed: $(cat "$tmp/manager-$what.err")"
}

setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all --bounding-set=-all \
	--no-new-privs timeout 200 "$minivmm" --handoff "$sock" --memory 4M --hotplug --timeout 150 \
	>"$out" 2>"$err" &
pid=$!
send vm
# minivmm unlinks the socket once it accepted; it listens again for the hot add.
i=0
while [ -S "$sock" ] && [ $i -lt 300 ]; do
	sleep 0.1
	i=$((i + 1))
done
send add --add "$second"
wait "$pid"
rc=$?
[ $rc -eq 0 ] || fail "$how: exit $rc, expected 0"
expect "Handed over an addition to VM \"handed\" ($backend) to $sock: 2 fds" "$tmp/manager-add"
expect "lease      $second" "$tmp/manager-add"
expect "minivmm: VM \"handed\" from its manager: 1 device through $backend, checked there"
expect "minivmm: the hot add comes from the manager on $sock"
expect 'hotplug: asking for the device held back'
expect "minivmm: $second from its manager, checked there"
expect "minivmm: hot added $second at 00:02.0"
expect 'hotplug: edu at 00:02.0'
expect "minivmm: hot removed $second from 00:02.0"
expect 'hotplug: the first edu still works'
[ "$(grep -c 'edu: DMA of 4000 bytes there and back verified' "$out")" -eq 3 ] ||
	fail "$how: three DMA round trips expected (first, second, first again)"
expect 'minivmm: the guest passed'
[ ! -s "$err" ] || fail "$how: unexpected messages on stderr"
# A VMM that may not remove files in the run directory leaves them unheld.
for b in "$first" "$second"; do
	for f in "/tmp/dp-run/lease-$b" "/run/directpath/lease-$b"; do
		[ ! -e "$f" ] || flock -n -x "$f" true || fail "$how: the lease of $b is still held"
	done
done
echo "PASS: minivmm as uid 65534 hot adds edu from its manager's addition ($backend), drives it, removes it"
