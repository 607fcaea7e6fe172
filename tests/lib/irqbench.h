/* SPDX-License-Identifier: MIT */
/*
 * Interrupt delivery on /dev/kvm, for the irq benchmarks: from "the device
 * signals its eventfd" (a write of 1, standing in for VFIO) to "the vector
 * is pending in the vCPU's LAPIC IRR", through a path the library set up
 * (an irqfd: KVM injects the MSI inside the eventfd write) against a VMM
 * thread relaying it (poll, read, KVM_SIGNAL_MSI). The vCPU never runs, so
 * nothing but the benchmark takes the vector. Functions print what failed,
 * prefixed with the benchmark's name, and return 1; 0 on success.
 */
#ifndef DP_IRQBENCH_H
#define DP_IRQBENCH_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kvm.h"
#include "kvmvm.h"

#define DP_IRQ_BENCH_MSI_ADDRESS 0xfee00000u /* destination APIC 0, fixed delivery */

/* The VMM's relay: each wake-up on efd becomes one KVM_SIGNAL_MSI of (address, data). */
struct dp_irq_relay {
	int vm, efd, stop;
	uint32_t address, data;
	pthread_t thread;
	int err;          /* the relay's first failure, an errno */
	double done_us;   /* when its last KVM_SIGNAL_MSI returned */
	unsigned done;    /* how many it made; written after done_us, with release */
};

/* What a comparison runs on. */
struct dp_irq_bench {
	const char *name;          /* the benchmark's, prefixes its messages */
	struct dp_test_vm vm;      /* an in-kernel irqchip, one vCPU that never runs */
	struct dp_ctx *ctx;
	struct dp_kvm kvm;         /* the library's MSI routing on vm (no memory slots) */
	struct dp_irq_relay relay;
};

/*
 * Makes the VM (the vCPU's LAPIC software-enabled by hand, as a guest
 * would), a context and its KVM routing with gsi_count MSI GSIs from 40,
 * and starts the relay, which signals relay_vector. 0; or, with nothing
 * left, DP_BENCH_SKIP (the reason printed) where this KVM cannot make the
 * VM (no irqchip, irqfd, MSI routing or KVM_SIGNAL_MSI), 1 on another
 * failure.
 */
int dp_irq_bench_start(struct dp_irq_bench *b, const char *name, uint32_t gsi_count,
		       uint32_t relay_vector);
/* Stops the relay and frees the rest; 1 when the relay had failed. */
int dp_irq_bench_stop(struct dp_irq_bench *b);

/*
 * Delivers a vector through each path: the untimed round that wakes both
 * up, then reps rounds alternating (so a change in the host's load hits both
 * alike). Path a is efd delivering vector (an irqfd). A round signals the
 * eventfd and stops two clocks: when the kernel delivered the vector (path
 * a: the eventfd write returning; the relay: its KVM_SIGNAL_MSI returning)
 * and when KVM_GET_LAPIC first shows it pending ("-seen", which carries
 * that ioctl's own cost on both sides); it then clears the bit. Prints three
 * lines, each ending in a ratio (a / relay):
 *   NAME: A median, p99, relay median, p99, the median ratio
 *   NAME-p99: the p99s and their ratio
 *   NAME-seen: the medians until seen and their ratio
 * Fails when a vector is not pending within a second.
 */
int dp_irq_bench_compare(struct dp_irq_bench *b, const char *a, int efd, unsigned vector,
			 size_t reps);

#endif
