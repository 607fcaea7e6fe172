/* SPDX-License-Identifier: MIT */
/*
 * A KVM VM for the programs that drive /dev/kvm themselves (the kvm suite,
 * its benchmarks, the guest-kvm test in the QEMU guest): guest memory in
 * slot 0, one vCPU with its kvm_run mapped, started in real mode with cs at
 * 0, and a run to hlt that answers port I/O and trapped BAR accesses as a
 * VMM does. Failures return a negative errno and say what failed in err, for
 * the caller to assert or print; nothing here links the library.
 */
#ifndef DP_KVMVM_H
#define DP_KVMVM_H

#include <linux/kvm.h>
#include <stddef.h>
#include <stdint.h>

/* dp_test_vm_new flags */
#define DP_TEST_VM_IRQCHIP (1u << 0) /* the in-kernel irqchip, made before the vCPU */
#define DP_TEST_VM_VCPU (1u << 1)    /* vCPU 0 with kvm_run mapped, in real mode */

/* The port the guest programs OUT their results to. */
#define DP_TEST_VM_PORT 0x10
#define DP_TEST_VM_MAX_OUT 8

struct dp_test_vm {
	int kvm, vm, vcpu;         /* -1 when not there */
	struct kvm_run *run;       /* NULL without a vCPU */
	size_t run_size;
	struct kvm_sregs sregs;    /* real mode, cs base and selector 0 */
	uint8_t *ram;              /* guest memory in slot 0, NULL when none */
	uint64_t ram_gpa;
	size_t ram_size;
	char err[192];             /* what the last failure was */
};

/* A stand-in BAR: a shared file mapping, as a VFIO region's mmap is. */
struct dp_test_bar {
	uint8_t *mem;
	uint64_t gpa, size;        /* where the guest finds it, trapped or in a slot */
};

/* What a run to hlt saw. */
struct dp_test_vm_exits {
	uint32_t out[DP_TEST_VM_MAX_OUT]; /* dwords OUT to DP_TEST_VM_PORT, in order */
	unsigned n_out;
	unsigned mmio_reads, mmio_writes; /* MMIO exits answered from the BAR */
};

/* A KVM capability and its name, for dp_test_kvm_usable. */
struct dp_test_kvm_cap {
	long cap;
	const char *name;
};
#define DP_TEST_KVM_CAP(c) { c, #c }

/*
 * Whether /dev/kvm opens, answers API version 12 and has each of caps: 0,
 * or -1 with the reason in why.
 */
int dp_test_kvm_usable(const struct dp_test_kvm_cap *caps, size_t n_caps, char *why,
		       size_t why_size);

/*
 * Opens /dev/kvm and makes a VM, with ram_size bytes (a page multiple, or
 * 0 for none) of zeroed guest memory at ram_gpa and what flags ask for. 0 or
 * -errno; on failure nothing is left open.
 */
int dp_test_vm_new(struct dp_test_vm *v, uint32_t flags, uint64_t ram_gpa, size_t ram_size);
/* Closes and unmaps all of it; safe on a failed or freed one. */
void dp_test_vm_free(struct dp_test_vm *v);
/* Puts the vCPU in real mode (cs 0) at rip, every other register zero. */
int dp_test_vm_start(struct dp_test_vm *v, uint64_t rip);
/* One KVM_RUN: the exit reason, or -errno. */
int dp_test_vm_run(struct dp_test_vm *v);
/*
 * Runs the vCPU until hlt, at most max_exits exits: 4-byte OUTs to
 * DP_TEST_VM_PORT go to x->out, MMIO exits inside bar (may be NULL) are
 * answered from bar->mem (the VMM's trapped path). 0 at hlt; -EPROTO on any
 * other exit, port or access, -ETIME when it did not halt, or KVM_RUN's
 * -errno.
 */
int dp_test_vm_run_to_hlt(struct dp_test_vm *v, const struct dp_test_bar *bar,
			  unsigned max_exits, struct dp_test_vm_exits *x);

/* A zeroed stand-in BAR of size bytes (a page multiple) for gpa: 0 or -errno. */
int dp_test_bar_new(struct dp_test_bar *b, uint64_t gpa, uint64_t size);
void dp_test_bar_free(struct dp_test_bar *b);

#endif
