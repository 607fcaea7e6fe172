/* SPDX-License-Identifier: MIT */
/*
 * Runs in the VFIO guest (run-in-guest): /dev/kvm answers there, on the
 * emulated SVM of QEMU's TCG, with what a VMM using the library needs —
 * a VM, irqfd and ioeventfd, the KVM-VFIO device, and a vCPU that runs.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

static int open_kvm(void)
{
	int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);

	ck_assert_msg(fd >= 0, "open /dev/kvm: %s", strerror(errno));
	return fd;
}

static int create_vm(int kvm)
{
	int vm = ioctl(kvm, KVM_CREATE_VM, 0UL);

	ck_assert_msg(vm >= 0, "KVM_CREATE_VM: %s", strerror(errno));
	return vm;
}

START_TEST(kvm_api_version_is_12)
{
	int kvm = open_kvm();

	ck_assert_int_eq(ioctl(kvm, KVM_GET_API_VERSION, 0UL), 12);
	close(kvm);
}
END_TEST

START_TEST(kvm_vm_has_irqfd_ioeventfd_and_user_memory)
{
	int kvm = open_kvm();
	int vm = create_vm(kvm);

	ck_assert_int_gt(ioctl(vm, KVM_CHECK_EXTENSION, KVM_CAP_IRQFD), 0);
	ck_assert_int_gt(ioctl(vm, KVM_CHECK_EXTENSION, KVM_CAP_IOEVENTFD), 0);
	ck_assert_int_gt(ioctl(vm, KVM_CHECK_EXTENSION, KVM_CAP_USER_MEMORY), 0);
	close(vm);
	close(kvm);
}
END_TEST

START_TEST(kvm_vm_offers_the_kvm_vfio_device)
{
	int kvm = open_kvm();
	int vm = create_vm(kvm);
	struct kvm_create_device test = {
		.type = KVM_DEV_TYPE_VFIO,
		.flags = KVM_CREATE_DEVICE_TEST,
	};
	struct kvm_create_device dev = { .type = KVM_DEV_TYPE_VFIO };

	ck_assert_msg(ioctl(vm, KVM_CREATE_DEVICE, &test) == 0,
		      "KVM_CREATE_DEVICE (test) VFIO: %s", strerror(errno));
	ck_assert_msg(ioctl(vm, KVM_CREATE_DEVICE, &dev) == 0,
		      "KVM_CREATE_DEVICE VFIO: %s", strerror(errno));
	ck_assert_int_ge((int)dev.fd, 0);
	close((int)dev.fd);
	close(vm);
	close(kvm);
}
END_TEST

/* Real-mode code at 0x1000: mov $0x2a, %al; out %al, $0x10; hlt. */
static const uint8_t guest_code[] = { 0xb0, 0x2a, 0xe6, 0x10, 0xf4 };

START_TEST(kvm_vcpu_runs_guest_code_to_io_then_hlt)
{
	int kvm = open_kvm();
	int vm = create_vm(kvm);
	size_t mem_size = 0x1000;
	uint8_t *mem = mmap(NULL, mem_size, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct kvm_userspace_memory_region region = {
		.slot = 0,
		.guest_phys_addr = 0x1000,
		.memory_size = mem_size,
	};
	struct kvm_sregs sregs;
	struct kvm_regs regs = { .rip = 0x1000, .rflags = 0x2 };
	struct kvm_run *run;
	int vcpu, run_size;

	ck_assert_ptr_ne(mem, MAP_FAILED);
	memcpy(mem, guest_code, sizeof(guest_code));
	region.userspace_addr = (uint64_t)(uintptr_t)mem;
	ck_assert_msg(ioctl(vm, KVM_SET_USER_MEMORY_REGION, &region) == 0,
		      "KVM_SET_USER_MEMORY_REGION: %s", strerror(errno));
	vcpu = ioctl(vm, KVM_CREATE_VCPU, 0UL);
	ck_assert_msg(vcpu >= 0, "KVM_CREATE_VCPU: %s", strerror(errno));
	run_size = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0UL);
	ck_assert_int_ge(run_size, (int)sizeof(*run));
	run = mmap(NULL, (size_t)run_size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
	ck_assert_ptr_ne(run, MAP_FAILED);

	ck_assert_int_eq(ioctl(vcpu, KVM_GET_SREGS, &sregs), 0);
	sregs.cs.base = 0;
	sregs.cs.selector = 0;
	ck_assert_int_eq(ioctl(vcpu, KVM_SET_SREGS, &sregs), 0);
	ck_assert_int_eq(ioctl(vcpu, KVM_SET_REGS, &regs), 0);

	ck_assert_msg(ioctl(vcpu, KVM_RUN, 0UL) == 0, "KVM_RUN: %s", strerror(errno));
	ck_assert_uint_eq(run->exit_reason, KVM_EXIT_IO);
	ck_assert_uint_eq(run->io.direction, KVM_EXIT_IO_OUT);
	ck_assert_uint_eq(run->io.port, 0x10);
	ck_assert_uint_eq(run->io.size, 1);
	ck_assert_uint_eq(((uint8_t *)run)[run->io.data_offset], 0x2a);

	ck_assert_msg(ioctl(vcpu, KVM_RUN, 0UL) == 0, "KVM_RUN: %s", strerror(errno));
	ck_assert_uint_eq(run->exit_reason, KVM_EXIT_HLT);

	munmap(run, (size_t)run_size);
	close(vcpu);
	close(vm);
	munmap(mem, mem_size);
	close(kvm);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("guest-kvm");
	TCase *tc = tcase_create("guest-kvm");
	SRunner *sr;
	int failed;

	/* Nested KVM under TCG: seconds, not the default 4. */
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, kvm_api_version_is_12);
	tcase_add_test(tc, kvm_vm_has_irqfd_ioeventfd_and_user_memory);
	tcase_add_test(tc, kvm_vm_offers_the_kvm_vfio_device);
	tcase_add_test(tc, kvm_vcpu_runs_guest_code_to_io_then_hlt);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
