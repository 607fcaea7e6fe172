#!/bin/sh
# SPDX-License-Identifier: MIT
# The VFIO guest harness itself (run-in-guest): what a test run through it
# can rely on, and that a broken guest fails rather than passes. TAP output.
# Usage: harness.sh CASE PATH_TO_RUN_IN_GUEST
#   options  usage errors and skips, and their TAP forms (no boot)
#   exit     the command's exit status, its stdout and stderr kept apart,
#            its environment and working directory, module parameters from
#            --append (one boot)
#   bind     --bind pci-stub, --bind none, and a driver that does not
#            bind: a set-up failure (three boots)
#   panic    a guest kernel panic fails the run (one boot)
#   crash    a QEMU crash fails the run (one boot): edu's DMA of exactly
#            4096 bytes at 0x40000 aborts QEMU 7.2 (testing.md)
#   hang     a command that hangs fails the run at --timeout (one boot)
#   iommufd  --kernel iommufd: --prepare, the kernel's uapi headers, a build
#            that cannot run skips saying why (an error under CI), and the
#            options in that kernel: uname, DP_GUEST_KERNEL, exit status,
#            --append to a built-in driver, --bind pci-stub (two boots)
set -u
# shellcheck source=tests/tools/tap.sh
. "$(dirname "$0")/../tools/tap.sh"
what=$1 harness=$2
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT

# Runs the harness: its stdout and stderr land in $tmp/out and $tmp/err,
# its exit status in $rc.
rig() {
	"$harness" "$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
}
# After a run that boots: the harness's own skip (exit 77) skips the test.
skip_on_skip() {
	if [ "$rc" -eq 77 ]; then
		echo "1..0 # SKIP $(tail -n 1 "$tmp/err")"
		exit 0
	fi
}
# description, expected status, then grep -F patterns: +P in stdout, -P not
# in stdout, %P in stderr.
expect() {
	desc=$1 want=$2
	shift 2
	why=
	[ "$rc" -eq "$want" ] || why="exit $rc, want $want"
	for p in "$@"; do
		case $p in
		+*) grep -qF -- "${p#+}" "$tmp/out" || why="$why; no '${p#+}' on stdout" ;;
		-*) ! grep -qF -- "${p#-}" "$tmp/out" || why="$why; '${p#-}' on stdout" ;;
		%*) grep -qF -- "${p#%}" "$tmp/err" || why="$why; no '${p#%}' on stderr" ;;
		esac
	done
	if [ -z "$why" ]; then
		pass "$desc"
	else
		fail "$desc" "${why#; }" "stdout: $(tail -n 5 "$tmp/out" | tr '\n' '|')" \
			"stderr: $(tail -n 5 "$tmp/err" | tr '\n' '|')"
	fi
}

case $what in
options)
	rig --topology nonsuch -- true
	expect "an unknown topology is a harness error naming it" 99 \
		"%unknown topology 'nonsuch'" "%shared-bridge"
	rig --tap --topology nonsuch -- true
	expect "with --tap a harness error also bails out on stdout" 99 \
		"+Bail out! unknown topology 'nonsuch'"
	rig --topology one
	expect "no command is a harness error" 99 "%no command"
	rig --bind 'vfio-pci; reboot' -- true
	expect "a driver name that is not one is refused" 99 "%bad driver name"
	rig --env NOEQUALS -- true
	expect "--env without a value is refused" 99 "%--env wants NAME=VALUE"
	rig --kernel nonsuch -- true
	expect "an unknown kernel is a harness error naming the known ones" 99 \
		"%unknown kernel 'nonsuch' (known: debian, iommufd)"
	rig --prepare -- true
	expect "--prepare with a command is refused" 99 "%--prepare takes no command"
	# Without QEMU in reach: a skip, in TAP with --tap, an error under CI.
	# The interpreter itself, not a wrapper that needs PATH.
	python=$(python3 -c "import sys; print(sys.executable)")
	mkdir "$tmp/empty"
	PATH=$tmp/empty CI='' "$python" "$harness" -- true >"$tmp/out" 2>"$tmp/err"
	rc=$?
	expect "a missing QEMU is a skip, saying which package" 77 \
		"%qemu-system-x86_64 is missing (package qemu-system-x86)"
	PATH=$tmp/empty CI='' "$python" "$harness" --tap -- true >"$tmp/out" 2>"$tmp/err"
	rc=$?
	expect "with --tap that skip is a TAP skip plan and exit 0" 0 \
		"+1..0 # SKIP qemu-system-x86_64 is missing"
	PATH=$tmp/empty CI=true "$python" "$harness" -- true >"$tmp/out" 2>"$tmp/err"
	rc=$?
	expect "under CI=true that skip is an error" 99 "%a skip is an error under CI=true"
	;;
exit)
	mkdir "$tmp/work dir"
	cd "$tmp/work dir" || exit 1
	# shellcheck disable=SC2016 # expanded in the guest
	CK_DP_VM_PROBE="a b'c" NOT_PASSED=1 rig --env DP_EXTRA=x=y \
		--append vfio_iommu_type1.allow_unsafe_interrupts=1 -- sh -c '
		printf "out 1\nout 2\n"
		echo "err 1" >&2
		echo "probe=$CK_DP_VM_PROBE"
		echo "extra=$DP_EXTRA"
		echo "not-passed=${NOT_PASSED-unset}"
		echo "cwd=$(pwd)"
		echo "unsafe=$(cat /sys/module/vfio_iommu_type1/parameters/allow_unsafe_interrupts)"
		echo "kernel=$DP_GUEST_KERNEL"
		exit 3'
	skip_on_skip
	same "the command's exit status 3 is the harness's" 3 "$rc"
	same "the command's stdout comes out alone, in order, on stdout" \
		"out 1
out 2
probe=a b'c
extra=x=y
not-passed=unset
cwd=$tmp/work dir
unsafe=Y
kernel=debian" "$(cat "$tmp/out")"
	expect "--append passes a module parameter to the module" 3 "+unsafe=Y"
	expect "the command's stderr comes out on stderr" 3 "%err 1" "-err 1"
	expect "the guest's console stays off stdout" 3 "-guest:" "-Power down"
	expect "the harness reports the boot time on stderr" 3 "%boot to result"
	;;
bind)
	# shellcheck disable=SC2016 # expanded in the guest
	list='for d in /sys/bus/pci/devices/*; do
		[ "$(cat $d/vendor):$(cat $d/device)" = 0x1234:0x11e8 ] &&
			echo "${d##*/} $(basename "$(readlink $d/driver || echo none)")"
		done; ls /dev/vfio'
	rig --topology two --bind pci-stub -- sh -c "$list"
	skip_on_skip
	same "--bind pci-stub binds every edu to pci-stub" \
		"0000:01:00.0 pci-stub
0000:02:00.0 pci-stub
vfio" "$(cat "$tmp/out")"
	rig --topology two --bind none -- sh -c "$list"
	same "--bind none leaves every edu unbound" \
		"0000:01:00.0 none
0000:02:00.0 none
vfio" "$(cat "$tmp/out")"
	rig --bind no_such_driver -- echo ran
	expect "a guest that cannot bind edu fails set-up, naming the device" 99 \
		"%the guest could not be set up (topology one): 0000:01:00.0: edu did not bind to no_such_driver" \
		"-ran"
	;;
panic)
	rig --tap -- sh -c 'echo before the panic; echo c >/proc/sysrq-trigger; sleep 5; echo after'
	skip_on_skip
	expect "a guest panic fails the run, saying so" 1 \
		"%the guest kernel panicked" "%sysrq triggered crash"
	expect "the command's output up to the panic comes through" 1 \
		"+before the panic" "-after"
	expect "with --tap the failure bails out on stdout" 1 "+Bail out! the guest kernel panicked"
	;;
crash)
	# With edu unbound, its registers through /dev/mem; the DMA runs 100 ms later.
	# shellcheck disable=SC2016 # expanded in the guest
	rig --bind none -- sh -c '
		for d in /sys/bus/pci/devices/*; do
			[ "$(cat $d/vendor):$(cat $d/device)" = 0x1234:0x11e8 ] && dev=$d
		done
		setpci -s "${dev##*/}" COMMAND=0x0006 || exit 1
		bar=$(($(cut -d" " -f1 "$dev/resource" | head -n 1)))
		echo "edu id $(busybox devmem $bar 32)"
		busybox devmem $((bar + 0x80)) 64 0x40000 &&
			busybox devmem $((bar + 0x88)) 64 0x100000 &&
			busybox devmem $((bar + 0x90)) 64 4096 &&
			busybox devmem $((bar + 0x98)) 64 3 || exit 1
		sleep 2
		echo still running'
	skip_on_skip
	expect "a QEMU crash fails the run, naming the signal" 1 \
		"%QEMU was killed by signal 6 (SIGABRT)" "%EDU: DMA range"
	expect "the command's output up to the crash comes through" 1 \
		"+edu id 0x010000ED" "-still running"
	;;
hang)
	start=$(date +%s)
	# 30 s: Debian's kernel took 17 s to the command on 2 cores at a load of 10.
	rig --timeout 30 -- sh -c 'echo started; sleep 600'
	skip_on_skip
	took=$(($(date +%s) - start))
	expect "a hang fails the run at --timeout, saying so" 1 \
		"%timed out after 30 s" "%the command was running" "+started"
	# The kernel fetch of a first run counts here, not under --timeout.
	if [ "$took" -lt 90 ]; then
		pass "the harness returned after $took s"
	else
		fail "the harness returned in time" "after $took s"
	fi
	pid=$(sed -n 's/.*QEMU (pid \([0-9]*\)) stopped.*/\1/p' "$tmp/err")
	if [ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null; then
		pass "QEMU (pid $pid) is gone"
	else
		fail "QEMU is gone" "pid '$pid'"
	fi
	;;
iommufd)
	# shellcheck disable=SC2016 # expanded in the guest
	rig --kernel iommufd --env DP_EXTRA=x --append vfio_iommu_type1.allow_unsafe_interrupts=1 \
		-- sh -c '
		echo "release=$(uname -r)"
		echo "kernel=$DP_GUEST_KERNEL extra=$DP_EXTRA"
		echo "dir=$DP_GUEST_KERNEL_DIR"
		[ -f "$DP_GUEST_KERNEL_DIR/include/linux/iommufd.h" ] && echo "headers=yes"
		echo "unsafe=$(cat /sys/module/vfio_iommu_type1/parameters/allow_unsafe_interrupts)"
		[ -c /dev/iommu ] && echo "iommu=yes"
		echo "err 1" >&2
		exit 4'
	skip_on_skip
	expect "in the iommufd kernel the command's exit status is the harness's" 4 \
		"%topology one, kernel iommufd: boot to result" "%err 1" "-err 1"
	release=$(sed -n 's/^release=//p' "$tmp/out")
	case $release in
	6.12.*-dp-iommufd) pass "uname -r in the guest says $release" ;;
	*) fail "uname -r in the guest says 6.12.*-dp-iommufd" "release '$release'" ;;
	esac
	same "DP_GUEST_KERNEL says iommufd, --env still works" "kernel=iommufd extra=x" \
		"$(grep '^kernel=' "$tmp/out")"
	expect "DP_GUEST_KERNEL_DIR/include holds the uapi headers" 4 "+headers=yes"
	gdir=$(sed -n 's/^dir=//p' "$tmp/out")
	expect "--append reaches a built-in driver's parameter" 4 "+unsafe=Y"
	expect "the guest has /dev/iommu" 4 "+iommu=yes"
	rig --kernel iommufd --prepare
	kdir=$(cat "$tmp/out")
	expect "--prepare gets the kernel ready and prints its directory" 0 \
		"%the iommufd kernel and its initramfs are ready"
	same "DP_GUEST_KERNEL_DIR in the guest is that directory" "$kdir" "$gdir"
	if [ -f "$kdir/bzImage" ] && [ -f "$kdir/include/linux/iommufd.h" ]; then
		pass "its directory holds bzImage and the uapi headers"
	else
		fail "its directory holds bzImage and the uapi headers" "'$kdir': $(ls "$kdir" 2>&1)"
	fi
	same "build-iommufd-kernel.sh --print-include names those headers" "$kdir/include" \
		"$(sh "$(dirname "$0")/build-iommufd-kernel.sh" --print-include 2>&1)"
	rig --tap --kernel iommufd --prepare
	expect "with --tap, --prepare is one TAP test" 0 "+ok 1 - the iommufd kernel is ready" "+1..1"

	# A machine without flex (or an earlier tool of the script's list): the
	# kernel cannot be built; a skip naming the tool.
	mkdir "$tmp/bin"
	for t in sh dirname cpio qemu-system-x86_64; do
		ln -s "$(command -v "$t")" "$tmp/bin/$t" || exit 1
	done
	missing=
	for t in apt-get apt-cache dpkg-deb tar xz make gcc; do
		if command -v "$t" >/dev/null; then
			ln -s "$(command -v "$t")" "$tmp/bin/$t" || exit 1
		else
			missing=${missing:-$t}
		fi
	done
	missing=${missing:-flex}
	python=$(python3 -c "import sys; print(sys.executable)")
	PATH=$tmp/bin CI='' "$python" "$harness" --kernel iommufd --prepare >"$tmp/out" 2>"$tmp/err"
	rc=$?
	expect "a machine that cannot build the iommufd kernel skips, saying why" 77 \
		"%the iommufd kernel cannot be built here (build-iommufd-kernel.sh: $missing is missing"
	PATH=$tmp/bin CI='' "$python" "$harness" --tap --kernel iommufd -- true >"$tmp/out" 2>"$tmp/err"
	rc=$?
	expect "with --tap that skip is a TAP skip plan and exit 0" 0 \
		"+1..0 # SKIP the iommufd kernel cannot be built here"
	PATH=$tmp/bin CI=true "$python" "$harness" --kernel iommufd -- true >"$tmp/out" 2>"$tmp/err"
	rc=$?
	expect "under CI=true that skip is an error" 99 "%a skip is an error under CI=true"

	# shellcheck disable=SC2016 # expanded in the guest
	rig --kernel iommufd --topology two --bind pci-stub -- sh -c '
		for d in /sys/bus/pci/devices/*; do
		[ "$(cat $d/vendor):$(cat $d/device)" = 0x1234:0x11e8 ] &&
			echo "${d##*/} $(basename "$(readlink $d/driver || echo none)")"
		done'
	same "--bind pci-stub binds every edu to pci-stub in the iommufd kernel too" \
		"0000:01:00.0 pci-stub
0000:02:00.0 pci-stub" "$(cat "$tmp/out")"
	;;
*)
	echo "Bail out! unknown case $what"
	exit 1
	;;
esac

echo "1..$n"
[ "$failed" -eq 0 ]
