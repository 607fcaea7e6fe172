/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kvmvm.h"

#define DEV_KVM "/dev/kvm"

static int failed(struct dp_test_vm *v, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int failed(struct dp_test_vm *v, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(v->err, sizeof(v->err), fmt, ap);
	va_end(ap);
	return -err;
}

/* A failed ioctl or call: its name and errno. */
static int sys_failed(struct dp_test_vm *v, const char *what)
{
	int err = errno ? errno : EIO;

	return failed(v, err, "%s: %s", what, strerror(err));
}

int dp_test_kvm_usable(const struct dp_test_kvm_cap *caps, size_t n_caps, char *why,
		       size_t why_size)
{
	int fd = open(DEV_KVM, O_RDWR | O_CLOEXEC), api;

	if (fd < 0) {
		snprintf(why, why_size, "%s cannot be opened: %s", DEV_KVM, strerror(errno));
		return -1;
	}
	api = ioctl(fd, KVM_GET_API_VERSION, 0);
	if (api != KVM_API_VERSION) {
		snprintf(why, why_size, "%s answers API version %d, not %d", DEV_KVM, api,
			 KVM_API_VERSION);
		close(fd);
		return -1;
	}
	for (size_t i = 0; i < n_caps; i++)
		if (ioctl(fd, KVM_CHECK_EXTENSION, caps[i].cap) <= 0) {
			snprintf(why, why_size, "%s lacks %s", DEV_KVM, caps[i].name);
			close(fd);
			return -1;
		}
	close(fd);
	return 0;
}

static int add_vcpu(struct dp_test_vm *v)
{
	int size;
	void *run;

	v->vcpu = ioctl(v->vm, KVM_CREATE_VCPU, 0);
	if (v->vcpu < 0)
		return sys_failed(v, "KVM_CREATE_VCPU");
	size = ioctl(v->kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (size < (int)sizeof(*v->run))
		return size < 0 ? sys_failed(v, "KVM_GET_VCPU_MMAP_SIZE") :
			failed(v, EPROTO, "KVM_GET_VCPU_MMAP_SIZE: %d bytes", size);
	run = mmap(NULL, (size_t)size, PROT_READ | PROT_WRITE, MAP_SHARED, v->vcpu, 0);
	if (run == MAP_FAILED)
		return sys_failed(v, "mapping the vCPU's kvm_run");
	v->run = run;
	v->run_size = (size_t)size;
	if (ioctl(v->vcpu, KVM_GET_SREGS, &v->sregs) < 0)
		return sys_failed(v, "KVM_GET_SREGS");
	/* Out of reset cs is 0xf000 with base 0xffff0000: code at low addresses wants 0. */
	v->sregs.cs.base = 0;
	v->sregs.cs.selector = 0;
	return dp_test_vm_start(v, 0);
}

int dp_test_vm_new(struct dp_test_vm *v, uint32_t flags, uint64_t ram_gpa, size_t ram_size)
{
	int r;

	memset(v, 0, sizeof(*v));
	v->kvm = v->vm = v->vcpu = -1;
	v->kvm = open(DEV_KVM, O_RDWR | O_CLOEXEC);
	if (v->kvm < 0) {
		r = sys_failed(v, "open " DEV_KVM);
		goto err;
	}
	v->vm = ioctl(v->kvm, KVM_CREATE_VM, 0);
	if (v->vm < 0) {
		r = sys_failed(v, "KVM_CREATE_VM");
		goto err;
	}
	if (ram_size) {
		struct kvm_userspace_memory_region slot0 = {
			.guest_phys_addr = ram_gpa,
			.memory_size = ram_size,
		};
		void *ram = mmap(NULL, ram_size, PROT_READ | PROT_WRITE,
				 MAP_SHARED | MAP_ANONYMOUS, -1, 0);

		if (ram == MAP_FAILED) {
			r = sys_failed(v, "guest memory");
			goto err;
		}
		v->ram = ram;
		v->ram_gpa = ram_gpa;
		v->ram_size = ram_size;
		slot0.userspace_addr = (uint64_t)(uintptr_t)v->ram;
		if (ioctl(v->vm, KVM_SET_USER_MEMORY_REGION, &slot0) < 0) {
			r = sys_failed(v, "KVM_SET_USER_MEMORY_REGION");
			goto err;
		}
	}
	if ((flags & DP_TEST_VM_IRQCHIP) && ioctl(v->vm, KVM_CREATE_IRQCHIP, 0) < 0) {
		r = sys_failed(v, "KVM_CREATE_IRQCHIP");
		goto err;
	}
	if (flags & DP_TEST_VM_VCPU) {
		r = add_vcpu(v);
		if (r < 0)
			goto err;
	}
	return 0;
err:
	dp_test_vm_free(v);
	return r;
}

void dp_test_vm_free(struct dp_test_vm *v)
{
	if (v->run)
		munmap(v->run, v->run_size);
	if (v->vcpu >= 0)
		close(v->vcpu);
	if (v->vm >= 0)
		close(v->vm);
	if (v->kvm >= 0)
		close(v->kvm);
	if (v->ram)
		munmap(v->ram, v->ram_size);
	v->run = NULL;
	v->ram = NULL;
	v->kvm = v->vm = v->vcpu = -1;
}

int dp_test_vm_start(struct dp_test_vm *v, uint64_t rip)
{
	struct kvm_regs regs = { .rip = rip, .rflags = 2 }; /* bit 1 is always set */

	if (ioctl(v->vcpu, KVM_SET_SREGS, &v->sregs) < 0)
		return sys_failed(v, "KVM_SET_SREGS");
	if (ioctl(v->vcpu, KVM_SET_REGS, &regs) < 0)
		return sys_failed(v, "KVM_SET_REGS");
	return 0;
}

int dp_test_vm_run(struct dp_test_vm *v)
{
	if (ioctl(v->vcpu, KVM_RUN, 0) < 0)
		return sys_failed(v, "KVM_RUN");
	return (int)v->run->exit_reason;
}

/* The VMM's trapped path: the access answered from (or stored into) the BAR. */
static int mmio(struct dp_test_vm *v, const struct dp_test_bar *bar, struct dp_test_vm_exits *x)
{
	struct kvm_run *run = v->run;
	uint64_t off = run->mmio.phys_addr - (bar ? bar->gpa : 0);

	if (!bar || run->mmio.phys_addr < bar->gpa || off >= bar->size ||
	    run->mmio.len > bar->size - off || run->mmio.len > sizeof(run->mmio.data))
		return failed(v, EPROTO, "unexpected MMIO %s of %u bytes at %#llx",
			      run->mmio.is_write ? "write" : "read", run->mmio.len,
			      (unsigned long long)run->mmio.phys_addr);
	if (run->mmio.is_write) {
		memcpy(bar->mem + off, run->mmio.data, run->mmio.len);
		x->mmio_writes++;
	} else {
		memcpy(run->mmio.data, bar->mem + off, run->mmio.len);
		x->mmio_reads++;
	}
	return 0;
}

int dp_test_vm_run_to_hlt(struct dp_test_vm *v, const struct dp_test_bar *bar,
			  unsigned max_exits, struct dp_test_vm_exits *x)
{
	memset(x, 0, sizeof(*x));
	for (unsigned exits = 0; exits < max_exits; exits++) {
		struct kvm_run *run = v->run;
		int r = dp_test_vm_run(v);

		if (r < 0)
			return r;
		switch (run->exit_reason) {
		case KVM_EXIT_HLT:
			return 0;
		case KVM_EXIT_IO:
			if (run->io.direction != KVM_EXIT_IO_OUT || run->io.port != DP_TEST_VM_PORT ||
			    run->io.size != 4 || run->io.count != 1 || x->n_out == DP_TEST_VM_MAX_OUT)
				return failed(v, EPROTO, "unexpected port I/O: %s %u bytes at %#x",
					      run->io.direction == KVM_EXIT_IO_OUT ? "out" : "in",
					      run->io.size, run->io.port);
			memcpy(&x->out[x->n_out++], (uint8_t *)run + run->io.data_offset, 4);
			break;
		case KVM_EXIT_MMIO:
			r = mmio(v, bar, x);
			if (r < 0)
				return r;
			break;
		default:
			return failed(v, EPROTO, "unexpected exit %u", run->exit_reason);
		}
	}
	return failed(v, ETIME, "the guest did not halt in %u exits", max_exits);
}

int dp_test_bar_new(struct dp_test_bar *b, uint64_t gpa, uint64_t size)
{
	int memfd = memfd_create("bar", MFD_CLOEXEC), err;
	void *p;

	b->mem = NULL;
	if (memfd < 0)
		return -errno;
	if (ftruncate(memfd, (off_t)size) < 0) {
		err = errno;
		close(memfd);
		return -err;
	}
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, memfd, 0);
	err = errno;
	close(memfd);
	if (p == MAP_FAILED)
		return -err;
	b->mem = p;
	b->gpa = gpa;
	b->size = size;
	return 0;
}

void dp_test_bar_free(struct dp_test_bar *b)
{
	if (b->mem)
		munmap(b->mem, b->size);
	b->mem = NULL;
}
