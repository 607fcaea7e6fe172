/* SPDX-License-Identifier: MIT */
/*
 * Interrupt delivery on this machine's /dev/kvm, from "the device signals its
 * eventfd" (a write of 1, standing in for VFIO) to "the vector is pending in
 * the vCPU's LAPIC IRR": (a) the direct path, the eventfd bound by the
 * library's dp_kvm_route_msi to an MSI route (irqfd, delivered in the
 * kernel); (b) the relay, a VMM thread blocked in poll() that wakes, reads
 * the eventfd and calls KVM_SIGNAL_MSI. The signalling thread polls the IRR
 * with KVM_GET_LAPIC until the bit is set, then clears it with
 * KVM_SET_LAPIC. Both in one run, alternating, each the median of REPS; the
 * vCPU never runs, so nothing but this program takes the vector. Prints,
 * never asserts a time; fails only when a vector does not arrive.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "bench.h"
#include "kvm.h"

#define REPS 201
#define MSI_ADDRESS 0xfee00000u /* destination APIC 0, fixed delivery */
#define VEC_IRQFD 0x41
#define VEC_RELAY 0x42
#define GSI_BASE 40
#define LAPIC_SVR 0xf0
#define LAPIC_IRR 0x200
#define WAIT_US 1000000.0 /* a vector not pending after this is lost */
#define SKIP 77

struct relay {
	int vm, efd, stop;
	int err; /* the relay's first failure, an errno */
};

static int fail(const char *what, int err)
{
	fprintf(stderr, "bench-irq: %s: %s\n", what, strerror(err));
	return 1;
}

/* The VMM's relay: each wake-up on efd becomes one KVM_SIGNAL_MSI. */
static void *relay_main(void *arg)
{
	struct relay *r = arg;
	struct kvm_msi msi = { .address_lo = MSI_ADDRESS, .data = VEC_RELAY };
	struct pollfd p[2] = { { .fd = r->efd, .events = POLLIN },
			       { .fd = r->stop, .events = POLLIN } };
	uint64_t n;

	for (;;) {
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			r->err = errno;
			return NULL;
		}
		if (p[1].revents)
			return NULL;
		if (!(p[0].revents & POLLIN))
			continue;
		if (read(r->efd, &n, sizeof(n)) != sizeof(n)) {
			r->err = errno;
			return NULL;
		}
		/* 1: delivered; 0: the LAPIC took it as blocked. Either is a failure here. */
		if (ioctl(r->vm, KVM_SIGNAL_MSI, &msi) != 1) {
			r->err = errno ? errno : EIO;
			return NULL;
		}
	}
}

/* The IRR bit of vector v in st. */
static bool irr_bit(const struct kvm_lapic_state *st, unsigned v)
{
	uint32_t irr;

	memcpy(&irr, st->regs + LAPIC_IRR + (v / 32) * 0x10, 4);
	return irr & (1u << (v % 32));
}

/*
 * Signals efd and polls the LAPIC until vector v is pending: the time
 * between, in *us; then clears the bit so the next round starts empty.
 */
static int deliver(int vcpu, int efd, unsigned v, double *us)
{
	struct kvm_lapic_state st;
	uint64_t one = 1;
	uint32_t irr;
	double t0, t;

	t0 = dp_bench_now_us();
	if (write(efd, &one, sizeof(one)) != sizeof(one))
		return fail("signalling the eventfd", errno);
	do {
		if (ioctl(vcpu, KVM_GET_LAPIC, &st) < 0)
			return fail("KVM_GET_LAPIC", errno);
		t = dp_bench_now_us();
		if (irr_bit(&st, v))
			break;
		if (t - t0 > WAIT_US) {
			fprintf(stderr, "bench-irq: vector %#x not pending after %.0f us\n", v,
				WAIT_US);
			return 1;
		}
	} while (true);
	*us = t - t0;
	memcpy(&irr, st.regs + LAPIC_IRR + (v / 32) * 0x10, 4);
	irr &= ~(1u << (v % 32));
	memcpy(st.regs + LAPIC_IRR + (v / 32) * 0x10, &irr, 4);
	if (ioctl(vcpu, KVM_SET_LAPIC, &st) < 0)
		return fail("KVM_SET_LAPIC", errno);
	return 0;
}

int main(void)
{
	DP_OPTS_NONE(dp_ctx_opts, o);
	struct dp_ctx *ctx = NULL;
	struct dp_kvm k;
	struct kvm_lapic_state st;
	struct relay rl = { .vm = -1, .efd = -1, .stop = -1 };
	pthread_t relay;
	bool k_up = false, relay_up = false;
	uint32_t svr = 0x1ff; /* APIC software-enabled, spurious vector 0xff */
	uint32_t gsi;
	uint64_t one = 1;
	double ta[REPS], tb[REPS], a, b, us;
	int kvm, vcpu = -1, efd_irqfd = -1, r, rc = 1;

	kvm = open(DP_DEV_KVM, O_RDWR | O_CLOEXEC);
	if (kvm < 0) {
		printf("bench-irq: skipped: %s cannot be opened: %s\n", DP_DEV_KVM,
		       strerror(errno));
		return SKIP;
	}
	r = dp_ctx_new(&o, &ctx);
	if (r < 0) {
		fail("dp_ctx_new", -r);
		goto out;
	}
	rl.vm = ioctl(kvm, KVM_CREATE_VM, 0);
	if (rl.vm < 0) {
		fail("KVM_CREATE_VM", errno);
		goto out;
	}
	/* The in-kernel irqchip comes before any vCPU. */
	if (ioctl(rl.vm, KVM_CREATE_IRQCHIP, 0) < 0) {
		fail("KVM_CREATE_IRQCHIP", errno);
		goto out;
	}
	vcpu = ioctl(rl.vm, KVM_CREATE_VCPU, 0);
	if (vcpu < 0) {
		fail("KVM_CREATE_VCPU", errno);
		goto out;
	}
	/* A vCPU that never runs: its LAPIC enabled by hand, as a guest would. */
	if (ioctl(vcpu, KVM_GET_LAPIC, &st) < 0) {
		fail("KVM_GET_LAPIC", errno);
		goto out;
	}
	memcpy(st.regs + LAPIC_SVR, &svr, 4);
	if (ioctl(vcpu, KVM_SET_LAPIC, &st) < 0) {
		fail("KVM_SET_LAPIC", errno);
		goto out;
	}
	efd_irqfd = eventfd(0, EFD_CLOEXEC);
	rl.efd = eventfd(0, EFD_CLOEXEC);
	rl.stop = eventfd(0, EFD_CLOEXEC);
	if (efd_irqfd < 0 || rl.efd < 0 || rl.stop < 0) {
		fail("eventfd", errno);
		goto out;
	}
	/* (a): the library's route; memory slots are not used here. */
	r = dp_kvm_init(&k, ctx, rl.vm, 0, 1);
	if (r < 0) {
		fail("dp_kvm_init", -r);
		goto out;
	}
	k_up = true;
	r = dp_kvm_set_gsi_range(&k, GSI_BASE, 1);
	if (r < 0) {
		fail("dp_kvm_set_gsi_range", -r);
		goto out;
	}
	r = dp_kvm_route_msi(&k, MSI_ADDRESS, VEC_IRQFD, efd_irqfd, &gsi);
	if (r < 0) {
		fail("dp_kvm_route_msi", -r);
		goto out;
	}
	/* (b): the VMM's thread. */
	r = pthread_create(&relay, NULL, relay_main, &rl);
	if (r) {
		fail("pthread_create", r);
		goto out;
	}
	relay_up = true;
	/* A first round of each, untimed, wakes both paths up. */
	if (deliver(vcpu, efd_irqfd, VEC_IRQFD, &us) || deliver(vcpu, rl.efd, VEC_RELAY, &us))
		goto out;
	/* Alternating, so a change in the host's load hits both alike. */
	for (unsigned i = 0; i < REPS; i++) {
		if (deliver(vcpu, efd_irqfd, VEC_IRQFD, &ta[i]))
			goto out;
		if (deliver(vcpu, rl.efd, VEC_RELAY, &tb[i]))
			goto out;
	}
	a = dp_bench_median(ta, REPS);
	b = dp_bench_median(tb, REPS);
	printf("irq-delivery: irqfd %.1f us, relay %.1f us, ratio %.2f (irqfd/relay)\n", a, b,
	       a / b);
	rc = 0;
out:
	if (relay_up) {
		if (write(rl.stop, &one, sizeof(one)) != sizeof(one))
			rc = fail("stopping the relay", errno);
		pthread_join(relay, NULL);
		if (rl.err)
			rc = fail("the relay thread", rl.err);
	}
	if (k_up)
		dp_kvm_fini(&k);
	if (rl.stop >= 0)
		close(rl.stop);
	if (rl.efd >= 0)
		close(rl.efd);
	if (efd_irqfd >= 0)
		close(efd_irqfd);
	if (vcpu >= 0)
		close(vcpu);
	if (rl.vm >= 0)
		close(rl.vm);
	close(kvm);
	dp_ctx_unref(ctx);
	return rc;
}
