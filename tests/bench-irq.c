/* SPDX-License-Identifier: MIT */
/*
 * Interrupt delivery on this machine's /dev/kvm, from "the device signals its
 * eventfd" (a write of 1, standing in for VFIO) to "the vector is pending in
 * the vCPU's LAPIC IRR": (a) the direct path, the eventfd bound by the
 * library's dp_kvm_route_msi to an MSI route (irqfd, delivered in the
 * kernel); (b) the relay, a VMM thread blocked in poll() that wakes, reads
 * the eventfd and calls KVM_SIGNAL_MSI. The time is taken when the kernel
 * delivered the vector (irqfd: the eventfd write returning, since irqfd
 * injects an MSI inside it; the relay: its KVM_SIGNAL_MSI returning), checked
 * with KVM_GET_LAPIC, which then clears the bit with KVM_SET_LAPIC; the time
 * until that ioctl shows the bit is printed too ("-seen"). Both in one run,
 * alternating, REPS each; prints medians, p99s and their ratios, never
 * asserts a time; fails only when a vector does not arrive (or the setup
 * fails); skips when /dev/kvm cannot make a VM with an in-kernel irqchip,
 * irqfd and MSI routing.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <unistd.h>
#include <sys/eventfd.h>

#include "bench.h"
#include "irqbench.h"

#define NAME "irq-delivery"
#define REPS 1001
#define VEC_IRQFD 0x41
#define VEC_RELAY 0x42

int main(void)
{
	struct dp_irq_bench b;
	uint32_t gsi;
	int efd, r, rc;

	rc = dp_irq_bench_start(&b, NAME, 1, VEC_RELAY);
	if (rc)
		return rc;
	/* (a): the library's route, the eventfd bound to it with KVM_IRQFD. */
	rc = 1;
	efd = eventfd(0, EFD_CLOEXEC);
	if (efd < 0) {
		dp_bench_fail(NAME, "eventfd", errno);
		goto out;
	}
	r = dp_kvm_route_msi(&b.kvm, DP_IRQ_BENCH_MSI_ADDRESS, VEC_IRQFD, efd, &gsi);
	if (r < 0)
		dp_bench_fail(NAME, "dp_kvm_route_msi", -r);
	else
		rc = dp_irq_bench_compare(&b, "irqfd", efd, VEC_IRQFD, REPS);
out:
	if (dp_irq_bench_stop(&b)) /* unroutes, then the eventfd may go */
		rc = 1;
	if (efd >= 0)
		close(efd);
	return rc;
}
