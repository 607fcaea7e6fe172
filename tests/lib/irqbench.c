/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <linux/kvm.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "bench.h"
#include "irqbench.h"
#include "kvm.h"
#include "kvmvm.h"

#define LAPIC_SVR 0xf0
#define LAPIC_IRR 0x200
#define WAIT_US 1000000.0 /* a vector not pending after this is lost */
#define GSI_BASE 40       /* past the IOAPIC's 24 */

/* The VM: an irqchip and a vCPU whose LAPIC is software-enabled; 0, DP_BENCH_SKIP or 1. */
static int make_vm(const char *name, struct dp_test_vm *v)
{
	static const struct dp_test_kvm_cap caps[] = {
		DP_TEST_KVM_CAP(KVM_CAP_IRQCHIP),
		DP_TEST_KVM_CAP(KVM_CAP_IRQFD),
		DP_TEST_KVM_CAP(KVM_CAP_IRQ_ROUTING),
		DP_TEST_KVM_CAP(KVM_CAP_SIGNAL_MSI),
	};
	struct kvm_lapic_state st;
	uint32_t svr = 0x1ff; /* APIC software-enabled, spurious vector 0xff */
	char why[160];

	if (dp_test_kvm_usable(caps, sizeof(caps) / sizeof(caps[0]), why, sizeof(why)) < 0) {
		printf("%s: skipped: %s\n", name, why);
		return DP_BENCH_SKIP;
	}
	if (dp_test_vm_new(v, DP_TEST_VM_IRQCHIP | DP_TEST_VM_VCPU, 0, 0) < 0) {
		printf("%s: skipped: %s\n", name, v->err);
		return DP_BENCH_SKIP;
	}
	if (ioctl(v->vcpu, KVM_GET_LAPIC, &st) < 0)
		return dp_bench_fail(name, "KVM_GET_LAPIC", errno);
	memcpy(st.regs + LAPIC_SVR, &svr, 4);
	if (ioctl(v->vcpu, KVM_SET_LAPIC, &st) < 0)
		return dp_bench_fail(name, "KVM_SET_LAPIC", errno);
	return 0;
}

static void *relay_main(void *arg)
{
	struct dp_irq_relay *r = arg;
	struct kvm_msi msi = { .address_lo = r->address, .data = r->data };
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
		r->done_us = dp_bench_now_us();
		__atomic_add_fetch(&r->done, 1, __ATOMIC_RELEASE);
	}
}

int dp_irq_bench_start(struct dp_irq_bench *b, const char *name, uint32_t gsi_count,
		       uint32_t relay_vector)
{
	DP_OPTS_NONE(dp_ctx_opts, o);
	struct dp_irq_relay *rl = &b->relay;
	int r;

	memset(b, 0, sizeof(*b));
	b->name = name;
	b->vm.kvm = b->vm.vm = b->vm.vcpu = -1;
	rl->efd = rl->stop = -1;
	r = make_vm(name, &b->vm);
	if (r)
		goto err_vm;
	r = dp_ctx_new(&o, &b->ctx);
	if (r < 0) {
		b->ctx = NULL;
		r = dp_bench_fail(name, "dp_ctx_new", -r);
		goto err_vm;
	}
	r = dp_kvm_init(&b->kvm, b->ctx, b->vm.vm, 0, 1);
	if (r < 0) {
		r = dp_bench_fail(name, "dp_kvm_init", -r);
		goto err_ctx;
	}
	r = dp_kvm_set_gsi_range(&b->kvm, GSI_BASE, gsi_count);
	if (r < 0) {
		r = dp_bench_fail(name, "dp_kvm_set_gsi_range", -r);
		goto err_kvm;
	}
	rl->vm = b->vm.vm;
	rl->address = DP_IRQ_BENCH_MSI_ADDRESS;
	rl->data = relay_vector;
	rl->efd = eventfd(0, EFD_CLOEXEC);
	rl->stop = eventfd(0, EFD_CLOEXEC);
	if (rl->efd < 0 || rl->stop < 0) {
		r = dp_bench_fail(name, "eventfd", errno);
		goto err_efd;
	}
	r = pthread_create(&rl->thread, NULL, relay_main, rl);
	if (r) {
		r = dp_bench_fail(name, "pthread_create", r);
		goto err_efd;
	}
	return 0;
err_efd:
	if (rl->stop >= 0)
		close(rl->stop);
	if (rl->efd >= 0)
		close(rl->efd);
err_kvm:
	dp_kvm_fini(&b->kvm);
err_ctx:
	b->ctx = dp_ctx_unref(b->ctx);
err_vm:
	dp_test_vm_free(&b->vm);
	return r;
}

int dp_irq_bench_stop(struct dp_irq_bench *b)
{
	struct dp_irq_relay *rl = &b->relay;
	uint64_t one = 1;
	int rc = 0;

	if (write(rl->stop, &one, sizeof(one)) != sizeof(one))
		rc = dp_bench_fail(b->name, "stopping the relay", errno);
	pthread_join(rl->thread, NULL);
	if (rl->err)
		rc = dp_bench_fail(b->name, "the relay thread", rl->err);
	close(rl->stop);
	close(rl->efd);
	dp_kvm_fini(&b->kvm);
	b->ctx = dp_ctx_unref(b->ctx);
	dp_test_vm_free(&b->vm);
	return rc;
}

/* The IRR word holding vector v in st. */
static uint8_t *irr_word(struct kvm_lapic_state *st, unsigned v)
{
	return (uint8_t *)st->regs + LAPIC_IRR + (v / 32) * 0x10;
}

static bool irr_bit(struct kvm_lapic_state *st, unsigned v)
{
	uint32_t irr;

	memcpy(&irr, irr_word(st, v), 4);
	return irr & (1u << (v % 32));
}

static void irr_clear(struct kvm_lapic_state *st, unsigned v)
{
	uint32_t irr;

	memcpy(&irr, irr_word(st, v), 4);
	irr &= ~(1u << (v % 32));
	memcpy(irr_word(st, v), &irr, 4);
}

/*
 * One round: signals efd and measures until vector v is in the IRR, *us
 * until the kernel delivered it, *seen_us until KVM_GET_LAPIC showed it;
 * rl is the relay when efd is its own, else NULL.
 */
static int deliver(const char *name, int vcpu, int efd, unsigned v, struct dp_irq_relay *rl,
		   double *us, double *seen_us)
{
	struct kvm_lapic_state st;
	unsigned before = rl ? __atomic_load_n(&rl->done, __ATOMIC_ACQUIRE) : 0;
	uint64_t one = 1;
	double t0, t1, t;
	bool first = true;

	t0 = dp_bench_now_us();
	if (write(efd, &one, sizeof(one)) != sizeof(one))
		return dp_bench_fail(name, "signalling the eventfd", errno);
	t1 = dp_bench_now_us();
	for (;;) {
		if (ioctl(vcpu, KVM_GET_LAPIC, &st) < 0)
			return dp_bench_fail(name, "KVM_GET_LAPIC", errno);
		t = dp_bench_now_us();
		if (irr_bit(&st, v))
			break;
		first = false; /* not there when the write returned: delivered later */
		if (t - t0 > WAIT_US) {
			fprintf(stderr, "%s: vector %#x not pending after %.0f us\n", name, v,
				WAIT_US);
			return 1;
		}
	}
	*seen_us = t - t0;
	if (!rl && !first)
		t1 = t;
	if (rl) {
		while (__atomic_load_n(&rl->done, __ATOMIC_ACQUIRE) == before)
			; /* the bit is set, so the relay's ioctl is returning */
		t1 = rl->done_us;
	}
	*us = t1 - t0;
	irr_clear(&st, v);
	if (ioctl(vcpu, KVM_SET_LAPIC, &st) < 0)
		return dp_bench_fail(name, "KVM_SET_LAPIC", errno);
	return 0;
}

int dp_irq_bench_compare(struct dp_irq_bench *b, const char *a, int efd, unsigned vector,
			 size_t reps)
{
	struct dp_irq_relay *rl = &b->relay;
	const char *name = b->name;
	int vcpu = b->vm.vcpu;
	double *t = calloc(4 * reps, sizeof(*t)), us, seen;
	double *ta = t, *tb = t + reps, *sa = t + 2 * reps, *sb = t + 3 * reps;
	double ma, mb, pa, pb;
	int rc = 1;

	if (!t)
		return dp_bench_fail(name, "calloc", ENOMEM);
	if (deliver(name, vcpu, efd, vector, NULL, &us, &seen) ||
	    deliver(name, vcpu, rl->efd, rl->data, rl, &us, &seen))
		goto out;
	for (size_t i = 0; i < reps; i++) {
		if (deliver(name, vcpu, efd, vector, NULL, &ta[i], &sa[i]) ||
		    deliver(name, vcpu, rl->efd, rl->data, rl, &tb[i], &sb[i]))
			goto out;
	}
	ma = dp_bench_median(ta, reps); /* sorts */
	mb = dp_bench_median(tb, reps);
	pa = dp_bench_p99(ta, reps);
	pb = dp_bench_p99(tb, reps);
	printf("%s: %s median %.1f us p99 %.1f us, relay median %.1f us p99 %.1f us, ratio %.2g (%s median / relay median, %zu each)\n",
	       name, a, ma, pa, mb, pb, ma / mb, a, reps);
	printf("%s-p99: %s %.1f us, relay %.1f us, ratio %.2g (%s p99 / relay p99, %zu each)\n",
	       name, a, pa, pb, pa / pb, a, reps);
	ma = dp_bench_median(sa, reps);
	mb = dp_bench_median(sb, reps);
	printf("%s-seen: %s median %.1f us, relay median %.1f us, ratio %.2g (until KVM_GET_LAPIC shows the bit: its own cost is in both)\n",
	       name, a, ma, mb, ma / mb);
	rc = 0;
out:
	free(t);
	return rc;
}
