/* SPDX-License-Identifier: MIT */
/*
 * Hot add and hot remove on the real kernel (tests/vm topology two, --bind
 * none, nested KVM): a VM attached with one edu takes the second live, DMAs
 * through both, gives the second back (its BAR slot, MSI route and irqfd
 * go, its lease and group are freed) and the first still DMAs; adds the
 * policy denies (over the per-VM limit, a device another VM holds) and
 * wrong ones leave nothing; and every interposed call (fault.c) of an add
 * and a remove fails once in turn with nothing left behind.
 * DP_FAULT_CALLS=N or N-M fails only those calls (to reproduce one).
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <linux/vfio.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <syslog.h>
#include <unistd.h>

#include <directpath/directpath.h>

#include "fault.h"
#include "faultstate.h"
#include "guest.h"
#include "testlog.h"
#include "testrun.h"

#define SLOT_BASE 1
#define SLOT_COUNT 8
#define GSI_BASE 32
#define GSI_COUNT 8
#define SRC 0x100000ULL
#define DST 0x200000ULL
#define BAR_GPA 0xd0000000ULL
#define MSI_ADDRESS 0xfee00000U
#define LEN 1000

static struct dp_ctx *ctx;
static struct dp_policy *policy;
static struct dp_vm *vm;
static char edu[2][DP_GUEST_BDF_MAX];
static int kvm_fd = -1, vm_fd = -1;
static uint8_t *src, *dst;
static struct dp_attachment *att;

static void setup(void)
{
	int groups[3];

	ctx = dp_guest_ctx();
	ck_assert_uint_eq(dp_guest_find_edu(ctx, edu, groups, 2), 2);
	ck_assert_int_ne(groups[0], groups[1]);
	dp_guest_mark(ctx, edu[0]);
	dp_guest_mark(ctx, edu[1]);
	policy = dp_guest_policy(ctx);
	ck_assert_int_eq(dp_vm_new(ctx, "hotplug", &vm), 0);
	ck_assert_int_eq(dp_vm_set_hw_version(vm, 7), 0);
	ck_assert_int_eq(dp_vm_set_memory(vm, 256ULL << 20, 256ULL << 20), 0);
	ck_assert_int_eq(dp_vm_add_device(vm, edu[0]), 0);
	kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	ck_assert_int_ge(kvm_fd, 0);
	vm_fd = ioctl(kvm_fd, KVM_CREATE_VM, 0);
	ck_assert_int_ge(vm_fd, 0);
	ck_assert_int_eq(ioctl(vm_fd, KVM_CREATE_IRQCHIP, 0), 0);
	dp_fault_kvm_reset();
	src = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	dst = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ck_assert(src != MAP_FAILED && dst != MAP_FAILED);
	for (int i = 0; i < 4096; i++)
		src[i] = (uint8_t)(i * 13 + 5);
	{
		DP_OPTS(dp_attach_opts, o, .flags = DP_ATTACH_KVM, .kvm_vm_fd = vm_fd,
			.memslot_base = SLOT_BASE, .memslot_count = SLOT_COUNT,
			.gsi_base = GSI_BASE, .gsi_count = GSI_COUNT);

		ck_assert_int_eq(dp_attach(policy, vm, &o, &att), 0);
	}
	ck_assert_int_eq(dp_dma_map(att, SRC, src, 4096), 0);
	ck_assert_int_eq(dp_dma_map(att, DST, dst, 4096), 0);
	/* The first device works, and its BAR0 mapping stays for the whole test. */
	dp_guest_edu_round_trip(dp_attachment_get_vdev(att, 0), SRC, src, DST, dst, LEN);
}

static void teardown(void)
{
	dp_detach(att);
	munmap(src, 4096);
	munmap(dst, 4096);
	close(vm_fd);
	close(kvm_fd);
	vm = dp_vm_unref(vm);
	policy = dp_policy_unref(policy);
	ctx = dp_ctx_unref(ctx);
}

static bool leased(const char *bdf)
{
	char path[96];

	snprintf(path, sizeof(path), "/tmp/dp-run/lease-%s", bdf);
	return access(path, F_OK) == 0;
}

/* The attachment and the VM hold edu[0] alone, edu[1] is free, and nothing else changed. */
static void as_before(const struct dp_fault_state *b, const char *what)
{
	struct dp_fault_state a;

	dp_fault_state_get(&a, vm_fd);
	dp_fault_state_same_but(b, &a, what, false);
	ck_assert_msg(dp_attachment_get_vdev_count(att) == 1, "%s: %zu devices", what,
		      dp_attachment_get_vdev_count(att));
	ck_assert_str_eq(dp_vdev_get_bdf(dp_attachment_get_vdev(att, 0)), edu[0]);
	ck_assert_msg(dp_vm_get_device_count(vm) == 1, "%s: the VM has %zu devices", what,
		      dp_vm_get_device_count(vm));
	ck_assert_msg(!leased(edu[1]), "%s: %s is still leased", what, edu[1]);
	ck_assert_msg(leased(edu[0]), "%s: %s lost its lease", what, edu[0]);
}

/* What a VMM does with a hot-added edu: BAR0 into a slot, an MSI through irqfd. */
static int use(struct dp_vdev *v)
{
	int r = dp_vdev_map_bar(v, 0, BAR_GPA);

	if (r == 0)
		r = dp_vdev_route_msi(v, DP_IRQ_MSI, 0, MSI_ADDRESS, 0x41);
	return r;
}

START_TEST(hot_add_dma_through_both_and_hot_remove)
{
	struct dp_fault_state before, mid;
	struct dp_vdev *v = NULL;

	dp_fault_state_get(&before, vm_fd);
	ck_assert_int_eq(dp_attachment_add_device(att, policy, edu[1], 0, &v), 0);
	ck_assert_ptr_nonnull(v);
	ck_assert_uint_eq(dp_attachment_get_vdev_count(att), 2);
	ck_assert_ptr_eq(dp_attachment_get_vdev(att, 1), v);
	ck_assert_uint_eq(dp_vm_get_device_count(vm), 2);
	ck_assert_str_eq(dp_vm_get_device(vm, 1), edu[1]);
	ck_assert(leased(edu[1]));
	/* The DMA mappings made before the add serve the new device too. */
	dp_guest_edu_round_trip(v, SRC, src, DST, dst, LEN);
	dp_guest_edu_round_trip(dp_attachment_get_vdev(att, 0), SRC, src, DST, dst, LEN);
	dp_fault_state_get(&mid, vm_fd);
	ck_assert_int_eq(use(v), 0);
	ck_assert_uint_eq(dp_fault_kvm_slots(vm_fd, SLOT_BASE, SLOT_COUNT), mid.slots + 1);
	ck_assert_uint_eq(dp_fault_kvm_irqfds(vm_fd, NULL), mid.irqfds + 1);
	ck_assert_uint_eq(dp_fault_kvm_msi_routes(vm_fd, GSI_BASE, GSI_COUNT), 1);
	ck_assert_int_eq(dp_attachment_remove_device(att, v, 0), 0);
	as_before(&before, "after the hot remove");
	ck_assert_uint_eq(dp_fault_kvm_msi_routes(vm_fd, GSI_BASE, GSI_COUNT), 0);
	/* The first device still DMAs through the same mappings. */
	dp_guest_edu_round_trip(dp_attachment_get_vdev(att, 0), SRC, src, DST, dst, LEN);
	/* Its group went back: it joins again, and goes again. */
	ck_assert_int_eq(dp_attachment_add_device(att, policy, edu[1], 0, &v), 0);
	ck_assert_int_eq(dp_attachment_remove_device(att, v, 0), 0);
	as_before(&before, "after the second hot remove");
}
END_TEST

/*
 * A group the VM's container refuses, as VFIO_GROUP_SET_CONTAINER refuses
 * one behind another IOMMU (EINVAL; the guest has one IOMMU, so the refusal
 * is injected, and the rest is the real kernel): the group gets a container
 * of its own with every mapping replayed, a mapping made afterwards reaches
 * both devices, and the remove closes that container and leaves nothing.
 */
START_TEST(a_group_the_container_refuses_gets_its_own)
{
	struct dp_fault_state before;
	struct dp_vdev *v = NULL;
	uint8_t *late = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	const uint64_t late_iova = 0x300000;

	ck_assert(late != MAP_FAILED);
	for (int i = 0; i < 4096; i++)
		late[i] = (uint8_t)(i * 7 + 3);
	dp_fault_state_get(&before, vm_fd);
	dp_test_log_reset();
	dp_fault_arm_ioctl(VFIO_GROUP_SET_CONTAINER, EINVAL);
	ck_assert_int_eq(dp_attachment_add_device(att, policy, edu[1], 0, &v), 0);
	dp_fault_disarm();
	ck_assert(dp_test_logged(LOG_INFO, "an IOMMU address space of its own", "2 DMA mappings replayed"));
	ck_assert(!dp_test_warned());
	/* The replayed mappings, and one made after the add, serve both devices. */
	dp_guest_edu_round_trip(v, SRC, src, DST, dst, LEN);
	ck_assert_int_eq(dp_dma_map(att, late_iova, late, 4096), 0);
	dp_guest_edu_round_trip(v, late_iova, late, DST, dst, LEN);
	dp_guest_edu_round_trip(dp_attachment_get_vdev(att, 0), late_iova, late, DST, dst, LEN);
	ck_assert_int_eq(dp_dma_unmap(att, late_iova, 4096), 0);
	munmap(late, 4096);
	ck_assert_int_eq(dp_attachment_remove_device(att, v, 0), 0);
	as_before(&before, "after removing the device with a container of its own");
	dp_guest_edu_round_trip(dp_attachment_get_vdev(att, 0), SRC, src, DST, dst, LEN);
}
END_TEST

/* The same add with each of its calls failing in turn: nothing left, the next add goes through. */
START_TEST(every_call_of_an_add_into_its_own_container_failing_leaves_nothing)
{
	struct dp_fault_state before;
	struct dp_vdev *v = NULL;
	long total, own = 0;
	char where[256];

	dp_fault_state_get(&before, vm_fd);
	dp_fault_arm_ioctl(VFIO_GROUP_SET_CONTAINER, EINVAL);
	dp_fault_arm(0, 0);
	ck_assert_int_eq(dp_attachment_add_device(att, policy, edu[1], 0, &v), 0);
	total = dp_fault_disarm();
	ck_assert_int_eq(dp_attachment_remove_device(att, v, 0), 0);
	as_before(&before, "the counting run");
	for (long n = 1; n <= total; n++) {
		int r;

		dp_test_log_reset();
		dp_test_log_expect_err();
		dp_fault_arm_ioctl(VFIO_GROUP_SET_CONTAINER, EINVAL);
		dp_fault_arm(n, DP_FAULT_PLAUSIBLE);
		r = dp_attachment_add_device(att, policy, edu[1], 0, &v);
		own += r == 0 && dp_test_logged(LOG_INFO, "of its own", NULL);
		dp_fault_disarm();
		if (r == 0)
			ck_assert_int_eq(dp_attachment_remove_device(att, v, 0), 0);
		dp_test_log_expect_end();
		snprintf(where, sizeof(where), "call %ld of %ld (%s, %s) failing: the add %s", n, total,
			 dp_fault_failed_name(), strerror(dp_fault_failed_errno()),
			 r < 0 ? "failed" : "succeeded, the remove followed");
		ck_assert_msg(dp_fault_failed_name()[0], "%s: fewer calls than the counting run", where);
		as_before(&before, where);
		dp_guest_edu_round_trip(dp_attachment_get_vdev(att, 0), SRC, src, DST, dst, LEN);
	}
	fprintf(stderr, "# %ld calls of the add into a container of its own; it went through with %ld failing\n",
		total, own);
}
END_TEST

START_TEST(denied_and_wrong_adds_leave_nothing)
{
	DP_OPTS(dp_attach_opts, none, .flags = 0);
	struct dp_fault_state before;
	struct dp_attachment *other = NULL;
	struct dp_policy *one;
	struct dp_vm *vm2;
	struct dp_vdev *v = (struct dp_vdev *)&before; /* not written on failure */

	dp_fault_state_get(&before, vm_fd);
	/* Over the per-VM limit. */
	ck_assert_int_eq(dp_policy_new(ctx, &one), 0);
	ck_assert_int_eq(dp_policy_set(one, "unlisted_devices", "allow"), 0);
	ck_assert_int_eq(dp_policy_set(one, "max_devices_per_vm", "1"), 0);
	dp_test_log_expect_err();
	ck_assert_int_eq(dp_attachment_add_device(att, one, edu[1], 0, &v), -EPERM);
	dp_test_log_expect_end();
	ck_assert(v == (struct dp_vdev *)&before);
	as_before(&before, "an add over the limit");
	dp_policy_unref(one);
	/* Held by another VM. */
	ck_assert_int_eq(dp_vm_new(ctx, "other", &vm2), 0);
	ck_assert_int_eq(dp_vm_set_hw_version(vm2, 7), 0);
	ck_assert_int_eq(dp_vm_set_memory(vm2, 64ULL << 20, 64ULL << 20), 0);
	ck_assert_int_eq(dp_vm_add_device(vm2, edu[1]), 0);
	ck_assert_int_eq(dp_attach(policy, vm2, &none, &other), 0);
	dp_fault_state_get(&before, vm_fd);
	dp_test_log_expect_err();
	ck_assert_int_eq(dp_attachment_add_device(att, policy, edu[1], 0, &v), -EPERM);
	dp_test_log_expect_end();
	ck_assert_uint_eq(dp_attachment_get_vdev_count(att), 1);
	ck_assert_uint_eq(dp_vm_get_device_count(vm), 1);
	{
		struct dp_fault_state a;

		dp_fault_state_get(&a, vm_fd);
		dp_fault_state_same_but(&before, &a, "an add of a device another VM holds", false);
	}
	dp_detach(other);
	dp_vm_unref(vm2);
	dp_fault_state_get(&before, vm_fd);
	/* Already there; not an address; unknown flags; the last device; another's vdev. */
	dp_test_log_expect_err();
	ck_assert_int_eq(dp_attachment_add_device(att, policy, edu[0], 0, &v), -EEXIST);
	ck_assert_int_eq(dp_attachment_add_device(att, policy, "edu", 0, &v), -EINVAL);
	ck_assert_int_eq(dp_attachment_add_device(att, policy, edu[1], 1, &v), -EINVAL);
	ck_assert_int_eq(dp_attachment_remove_device(att, dp_attachment_get_vdev(att, 0), 0), -EBUSY);
	ck_assert_int_eq(dp_attachment_remove_device(att, dp_attachment_get_vdev(att, 0), 1), -EINVAL);
	dp_test_log_expect_end();
	ck_assert_int_eq(dp_attachment_remove_device(att, NULL, 0), -EINVAL);
	ck_assert_int_eq(dp_attachment_add_device(NULL, policy, edu[1], 0, &v), -EINVAL);
	as_before(&before, "wrong calls");
}
END_TEST

START_TEST(every_call_of_add_and_remove_failing_once_leaves_nothing)
{
	const char *only = getenv("DP_FAULT_CALLS");
	struct dp_fault_state before;
	long total, first = 1, last = 0, added = 0, add_calls;
	char where[256];
	struct dp_vdev *v = NULL;

	dp_fault_state_get(&before, vm_fd);
	dp_fault_arm(0, 0);
	ck_assert_int_eq(dp_attachment_add_device(att, policy, edu[1], 0, &v), 0);
	add_calls = dp_fault_disarm();
	dp_fault_arm(0, 0);
	ck_assert_int_eq(use(v), 0);
	ck_assert_int_eq(dp_attachment_remove_device(att, v, 0), 0);
	total = add_calls + dp_fault_disarm();
	as_before(&before, "the counting run");
	ck_assert_int_gt(total, 20);
	if (only && sscanf(only, "%ld-%ld", &first, &last) == 1)
		last = first;
	if (last <= 0 || last > total)
		last = total;
	for (long n = first; n <= last; n++) {
		int r;

		dp_test_log_reset();
		dp_test_log_expect_err();
		dp_fault_arm(n, DP_FAULT_PLAUSIBLE);
		r = dp_attachment_add_device(att, policy, edu[1], 0, &v);
		if (r == 0) {
			added++;
			use(v); /* all or nothing, each (test-fault-kvm) */
			/* A memory slot KVM would not delete: the device stays; a VMM calls again. */
			if (dp_attachment_remove_device(att, v, 0) < 0)
				ck_assert_int_eq(dp_attachment_remove_device(att, v, 0), 0);
		}
		dp_fault_disarm();
		dp_test_log_expect_end();
		snprintf(where, sizeof(where), "call %ld of %ld (%s, %s) failing: the add %s", n, total,
			 dp_fault_failed_name(), strerror(dp_fault_failed_errno()),
			 r < 0 ? "failed" : "succeeded, the remove followed");
		ck_assert_msg(dp_fault_failed_name()[0], "%s: fewer calls than the counting run", where);
		/* A KVM call or an eventfd of the add that fails is never swallowed (test-fault-kvm). */
		ck_assert_msg(n > add_calls || r < 0 || dp_test_warned() ||
			      !((strstr(dp_fault_failed_name(), "KVM_") &&
				 !strstr(dp_fault_failed_name(), "KVM_GET_API_VERSION")) ||
				strcmp(dp_fault_failed_name(), "eventfd") == 0),
			      "%s: silently", where);
		if (n <= add_calls && r == 0 && getenv("DP_FAULT_VERBOSE"))
			fprintf(stderr, "# %s: the add went on\n", where);
		(void)dp_fault_kvm_irqfds_closed();
		as_before(&before, where);
		/* Nothing half-done: the next add goes through at once. */
		ck_assert_msg(dp_attachment_add_device(att, policy, edu[1], 0, &v) == 0,
			      "%s: the clean add after it", where);
		ck_assert_int_eq(dp_attachment_remove_device(att, v, 0), 0);
		as_before(&before, where);
	}
	fprintf(stderr, "# %ld calls, %ld of them the add's; the add went through with %ld failing (%ld after it)\n",
		total, add_calls, added, total - add_calls);
	/* And the first device still DMAs. */
	dp_guest_edu_round_trip(dp_attachment_get_vdev(att, 0), SRC, src, DST, dst, LEN);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("hotplug");
	TCase *tc = tcase_create("hotplug");

	dp_guest_require_vfio();
	dp_guest_require_kvm();
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 600);
	tcase_add_test(tc, hot_add_dma_through_both_and_hot_remove);
	tcase_add_test(tc, a_group_the_container_refuses_gets_its_own);
	tcase_add_test(tc, every_call_of_an_add_into_its_own_container_failing_leaves_nothing);
	tcase_add_test(tc, denied_and_wrong_adds_leave_nothing);
	tcase_add_test(tc, every_call_of_add_and_remove_failing_once_leaves_nothing);
	suite_add_tcase(s, tc);
	return dp_test_run(s);
}
