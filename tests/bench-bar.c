/* SPDX-License-Identifier: MIT */
/*
 * Guest reads of a device BAR on this machine's /dev/kvm, with a memfd
 * standing in for the BAR: a real-mode loop reads it READS times (a) through
 * a memory slot the library maps (the direct path) and (b) with no slot, each
 * read exiting as KVM_EXIT_MMIO for this program to answer from the memfd (the
 * trapped path). Both in one run, interleaved, each the median of REPS; the
 * exits counted are the MMIO exits. Prints, never asserts a time; fails only
 * when the guest reads a wrong value or does not halt.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "bench.h"
#include "kvm.h"

#define RAM_SIZE 0x10000
#define CODE 0x1000
#define BAR_GPA 0x80000
#define BAR_SIZE 0x1000
#define READS 1000
#define REPS 15
#define SLOT_BASE 10
#define SKIP 77

/*
 * Real mode at CODE: ds = 0x8000 (base BAR_GPA); add the dword at ds:0 to
 * edx READS times (cx counts down), OUT the sum to port 0x10, hlt. The sum
 * shows every read saw the BAR's value.
 */
static const uint8_t guest[] = {
	0xb8, 0x00, 0x80,             /* mov ax, 0x8000 */
	0x8e, 0xd8,                   /* mov ds, ax */
	0xb9, READS & 0xff, READS >> 8, /* mov cx, READS */
	0x66, 0x03, 0x16, 0x00, 0x00, /* l: add edx, [0x0000] */
	0xe2, 0xf9,                   /* loop l */
	0x66, 0x89, 0xd0,             /* mov eax, edx */
	0x66, 0xe7, 0x10,             /* out 0x10, eax */
	0xf4,                         /* hlt */
};

struct vm {
	int kvm, vm, vcpu;
	struct kvm_run *run;
	size_t run_size;
	struct kvm_sregs sregs; /* as created, cs at 0 */
	uint8_t *ram, *bar;
};

static int fail(const char *what, int err)
{
	fprintf(stderr, "bench-bar: %s: %s\n", what, strerror(err));
	return 1;
}

static int vm_setup(struct vm *v)
{
	struct kvm_userspace_memory_region slot0 = { 0 };
	int memfd, size;

	v->vm = ioctl(v->kvm, KVM_CREATE_VM, 0);
	if (v->vm < 0)
		return fail("KVM_CREATE_VM", errno);
	v->ram = mmap(NULL, RAM_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (v->ram == MAP_FAILED)
		return fail("guest memory", errno);
	memcpy(v->ram + CODE, guest, sizeof(guest));
	slot0.memory_size = RAM_SIZE;
	slot0.userspace_addr = (uint64_t)(uintptr_t)v->ram;
	if (ioctl(v->vm, KVM_SET_USER_MEMORY_REGION, &slot0) < 0)
		return fail("KVM_SET_USER_MEMORY_REGION", errno);
	/* A shared file mapping, as a VFIO region's mmap is. */
	memfd = memfd_create("bar", MFD_CLOEXEC);
	if (memfd < 0)
		return fail("memfd_create", errno);
	if (ftruncate(memfd, BAR_SIZE) < 0) {
		close(memfd);
		return fail("ftruncate", errno);
	}
	v->bar = mmap(NULL, BAR_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, memfd, 0);
	close(memfd);
	if (v->bar == MAP_FAILED)
		return fail("the stand-in BAR", errno);
	v->vcpu = ioctl(v->vm, KVM_CREATE_VCPU, 0);
	if (v->vcpu < 0)
		return fail("KVM_CREATE_VCPU", errno);
	size = ioctl(v->kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (size <= 0)
		return fail("KVM_GET_VCPU_MMAP_SIZE", errno);
	v->run_size = (size_t)size;
	v->run = mmap(NULL, v->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, v->vcpu, 0);
	if (v->run == MAP_FAILED)
		return fail("the vCPU's kvm_run", errno);
	if (ioctl(v->vcpu, KVM_GET_SREGS, &v->sregs) < 0)
		return fail("KVM_GET_SREGS", errno);
	v->sregs.cs.base = 0;
	v->sregs.cs.selector = 0;
	return 0;
}

static void vm_teardown(struct vm *v)
{
	if (v->run && v->run != MAP_FAILED)
		munmap(v->run, v->run_size);
	if (v->vcpu >= 0)
		close(v->vcpu);
	if (v->vm >= 0)
		close(v->vm);
	if (v->bar && v->bar != MAP_FAILED)
		munmap(v->bar, BAR_SIZE);
	if (v->ram && v->ram != MAP_FAILED)
		munmap(v->ram, RAM_SIZE);
}

/*
 * One run of the guest from fresh registers with value in the BAR: its time
 * (KVM_RUN to hlt, the VMM's MMIO answers included) and its MMIO exits.
 */
static int run_guest(struct vm *v, uint32_t value, double *us, unsigned *mmio)
{
	struct kvm_regs regs = { .rip = CODE, .rflags = 2 };
	uint32_t sum = 0;
	bool out = false;
	double t0;

	*(volatile uint32_t *)v->bar = value;
	*mmio = 0;
	if (ioctl(v->vcpu, KVM_SET_SREGS, &v->sregs) < 0)
		return fail("KVM_SET_SREGS", errno);
	if (ioctl(v->vcpu, KVM_SET_REGS, &regs) < 0)
		return fail("KVM_SET_REGS", errno);
	t0 = dp_bench_now_us();
	for (unsigned exits = 0; exits < READS + 16; exits++) {
		if (ioctl(v->vcpu, KVM_RUN, 0) < 0)
			return fail("KVM_RUN", errno);
		switch (v->run->exit_reason) {
		case KVM_EXIT_HLT:
			*us = dp_bench_now_us() - t0;
			if (!out || sum != value * (uint32_t)READS) {
				fprintf(stderr, "bench-bar: the guest's sum is %#x, not %#x\n", sum,
					value * (uint32_t)READS);
				return 1;
			}
			return 0;
		case KVM_EXIT_IO:
			if (v->run->io.port != 0x10 || v->run->io.size != 4 || out) {
				fprintf(stderr, "bench-bar: unexpected port I/O at %#x\n",
					v->run->io.port);
				return 1;
			}
			memcpy(&sum, (uint8_t *)v->run + v->run->io.data_offset, 4);
			out = true;
			break;
		case KVM_EXIT_MMIO: {
			/* The trapped path: the VMM reads the BAR for the guest. */
			uint64_t off = v->run->mmio.phys_addr - BAR_GPA;

			if (v->run->mmio.is_write || off >= BAR_SIZE ||
			    v->run->mmio.len > BAR_SIZE - off) {
				fprintf(stderr, "bench-bar: unexpected MMIO %s at %#llx\n",
					v->run->mmio.is_write ? "write" : "read",
					(unsigned long long)v->run->mmio.phys_addr);
				return 1;
			}
			memcpy(v->run->mmio.data, v->bar + off, v->run->mmio.len);
			(*mmio)++;
			break;
		}
		default:
			fprintf(stderr, "bench-bar: unexpected exit %u\n", v->run->exit_reason);
			return 1;
		}
	}
	fprintf(stderr, "bench-bar: the guest did not halt\n");
	return 1;
}

/* One direct run: the BAR in the library's memory slot for the run only. */
static int run_direct(struct vm *v, struct dp_kvm *k, uint32_t value, double *us,
		      unsigned *mmio)
{
	uint32_t slot;
	size_t n = 0;
	int r = dp_kvm_map_with_holes(k, BAR_GPA, v->bar, BAR_SIZE, NULL, 0, &slot, &n);

	if (r < 0)
		return fail("dp_kvm_map_with_holes", -r);
	if (n != 1) {
		fprintf(stderr, "bench-bar: the BAR took %zu slots, not 1\n", n);
		return 1;
	}
	if (run_guest(v, value, us, mmio))
		return 1;
	r = dp_kvm_slot_unmap(k, slot);
	return r < 0 ? fail("dp_kvm_slot_unmap", -r) : 0;
}

/* "n" when every run took n exits, "fewest-most" otherwise. */
static const char *exits(const unsigned x[2], char buf[24])
{
	if (x[0] == x[1])
		snprintf(buf, 24, "%u", x[0]);
	else
		snprintf(buf, 24, "%u-%u", x[0], x[1]);
	return buf;
}

int main(void)
{
	struct vm v = { .kvm = -1, .vm = -1, .vcpu = -1 };
	DP_OPTS_NONE(dp_ctx_opts, o);
	struct dp_ctx *ctx = NULL;
	struct dp_kvm k;
	bool k_up = false;
	double td[REPS], tt[REPS], d, t, us;
	char sd[24], st[24];
	unsigned xd[2] = { ~0u, 0 }, xt[2] = { ~0u, 0 }, x; /* fewest and most per run */
	int r, rc = 1;

	v.kvm = open(DP_DEV_KVM, O_RDWR | O_CLOEXEC);
	if (v.kvm < 0) {
		printf("bench-bar: skipped: %s cannot be opened: %s\n", DP_DEV_KVM,
		       strerror(errno));
		return SKIP;
	}
	r = dp_ctx_new(&o, &ctx);
	if (r < 0) {
		fail("dp_ctx_new", -r);
		goto out;
	}
	if (vm_setup(&v))
		goto out;
	r = dp_kvm_init(&k, ctx, v.vm, SLOT_BASE, 1);
	if (r < 0) {
		fail("dp_kvm_init", -r);
		goto out;
	}
	k_up = true;
	/* A first run of each, untimed, faults the pages in. */
	if (run_direct(&v, &k, 0xba500000u, &us, &x) || run_guest(&v, 0xba500001u, &us, &x))
		goto out;
	/* Interleaved, so a change in the host's load hits both alike. */
	for (uint32_t i = 0; i < REPS; i++) {
		if (run_direct(&v, &k, 0xba510000u + i, &td[i], &x))
			goto out;
		xd[0] = x < xd[0] ? x : xd[0];
		xd[1] = x > xd[1] ? x : xd[1];
		if (run_guest(&v, 0xba520000u + i, &tt[i], &x))
			goto out;
		xt[0] = x < xt[0] ? x : xt[0];
		xt[1] = x > xt[1] ? x : xt[1];
	}
	d = dp_bench_median(td, REPS);
	t = dp_bench_median(tt, REPS);
	printf("bar-read: direct %s exits/%d %.0f us, trapped %s exits/%d %.0f us, ratio %.1f\n",
	       exits(xd, sd), READS, d, exits(xt, st), READS, t, t / d);
	rc = 0;
out:
	if (k_up)
		dp_kvm_fini(&k);
	vm_teardown(&v);
	close(v.kvm);
	dp_ctx_unref(ctx);
	return rc;
}
