/* SPDX-License-Identifier: MIT */
/*
 * Runs in the VFIO guest (run-in-guest): /dev/kvm answers there, on the
 * emulated SVM of QEMU's TCG, with what a VMM using the library needs —
 * a VM, irqfd and ioeventfd, the KVM-VFIO device, and a vCPU that runs.
 */
#include <check.h>
#include <errno.h>
#include <linux/kvm.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "kvmvm.h"

/* A VM (and what flags ask for), or the test fails saying which step did. */
static void vm_new(struct dp_test_vm *v, uint32_t flags, uint64_t ram_gpa, size_t ram_size)
{
	ck_assert_msg(dp_test_vm_new(v, flags, ram_gpa, ram_size) == 0, "%s", v->err);
}

START_TEST(kvm_api_version_is_12)
{
	char why[160];

	/* /dev/kvm opens and answers KVM_API_VERSION, which is 12. */
	ck_assert_int_eq(KVM_API_VERSION, 12);
	ck_assert_msg(dp_test_kvm_usable(NULL, 0, why, sizeof(why)) == 0, "%s", why);
}
END_TEST

START_TEST(kvm_vm_has_irqfd_ioeventfd_and_user_memory)
{
	struct dp_test_vm v;

	vm_new(&v, 0, 0, 0);
	ck_assert_int_gt(ioctl(v.vm, KVM_CHECK_EXTENSION, KVM_CAP_IRQFD), 0);
	ck_assert_int_gt(ioctl(v.vm, KVM_CHECK_EXTENSION, KVM_CAP_IOEVENTFD), 0);
	ck_assert_int_gt(ioctl(v.vm, KVM_CHECK_EXTENSION, KVM_CAP_USER_MEMORY), 0);
	dp_test_vm_free(&v);
}
END_TEST

START_TEST(kvm_vm_offers_the_kvm_vfio_device)
{
	struct dp_test_vm v;
	struct kvm_create_device test = {
		.type = KVM_DEV_TYPE_VFIO,
		.flags = KVM_CREATE_DEVICE_TEST,
	};
	struct kvm_create_device dev = { .type = KVM_DEV_TYPE_VFIO };

	vm_new(&v, 0, 0, 0);
	ck_assert_msg(ioctl(v.vm, KVM_CREATE_DEVICE, &test) == 0,
		      "KVM_CREATE_DEVICE (test) VFIO: %s", strerror(errno));
	ck_assert_msg(ioctl(v.vm, KVM_CREATE_DEVICE, &dev) == 0,
		      "KVM_CREATE_DEVICE VFIO: %s", strerror(errno));
	ck_assert_int_ge((int)dev.fd, 0);
	close((int)dev.fd);
	dp_test_vm_free(&v);
}
END_TEST

/* Real-mode code at 0x1000: mov $0x2a, %al; out %al, $0x10; hlt. */
static const uint8_t guest_code[] = { 0xb0, 0x2a, 0xe6, 0x10, 0xf4 };

START_TEST(kvm_vcpu_runs_guest_code_to_io_then_hlt)
{
	struct dp_test_vm v;
	struct kvm_run *run;

	/* One page of guest memory at 0x1000, the code at its start. */
	vm_new(&v, DP_TEST_VM_VCPU, 0x1000, 0x1000);
	memcpy(v.ram, guest_code, sizeof(guest_code));
	ck_assert_msg(dp_test_vm_start(&v, 0x1000) == 0, "%s", v.err);
	run = v.run;

	ck_assert_msg(dp_test_vm_run(&v) >= 0, "%s", v.err);
	ck_assert_uint_eq(run->exit_reason, KVM_EXIT_IO);
	ck_assert_uint_eq(run->io.direction, KVM_EXIT_IO_OUT);
	ck_assert_uint_eq(run->io.port, 0x10);
	ck_assert_uint_eq(run->io.size, 1);
	ck_assert_uint_eq(((uint8_t *)run)[run->io.data_offset], 0x2a);

	ck_assert_msg(dp_test_vm_run(&v) >= 0, "%s", v.err);
	ck_assert_uint_eq(run->exit_reason, KVM_EXIT_HLT);

	dp_test_vm_free(&v);
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
