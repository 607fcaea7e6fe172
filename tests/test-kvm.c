/* SPDX-License-Identifier: MIT */
/*
 * The KVM direct path's memory slots on this machine's /dev/kvm, with a
 * memfd standing in for a BAR: a vCPU reads through the slots with no exit,
 * a trapped page (an MSI-X table's) exits to the VMM, slots come from the
 * VMM's range only, and deleting them brings the exits back.
 */
#include <check.h>
#include <dlfcn.h>
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <syslog.h>
#include <unistd.h>

#include "kvm.h"
#include "kvmvm.h"
#include "testlog.h"
#include "testrun.h"

#define RAM_SIZE 0x10000
#define CODE 0x1000
#define BAR_GPA 0x80000
#define BAR_SIZE 0x4000 /* four pages: 0, 2 and 3 direct, 1 trapped */

/*
 * Real mode at CODE: ds = 0x8000 (base 0x80000); read a dword of pages 0, 2,
 * 1 (the trapped one) and 3 of the stand-in BAR, OUT each to port 0x10; hlt.
 */
static const uint8_t guest[] = {
	0xb8, 0x00, 0x80,       /* mov ax, 0x8000 */
	0x8e, 0xd8,             /* mov ds, ax */
	0x66, 0xa1, 0x00, 0x00, /* mov eax, [0x0000] */
	0x66, 0xe7, 0x10,       /* out 0x10, eax */
	0x66, 0xa1, 0x00, 0x20, /* mov eax, [0x2000] */
	0x66, 0xe7, 0x10,
	0x66, 0xa1, 0x00, 0x10, /* mov eax, [0x1000]: trapped */
	0x66, 0xe7, 0x10,
	0x66, 0xa1, 0x00, 0x30, /* mov eax, [0x3000] */
	0x66, 0xe7, 0x10,
	0xf4,                   /* hlt */
};

static struct dp_ctx *ctx;
static struct dp_test_vm v;
static struct dp_test_bar b;
static int vm = -1;
static uint8_t *bar;

static void setup(void)
{
	DP_OPTS(dp_ctx_opts, o, .log_fn = dp_test_log_fn);

	dp_test_log_reset();
	ck_assert_int_eq(dp_ctx_new(&o, &ctx), 0);
	ck_assert_msg(dp_test_vm_new(&v, DP_TEST_VM_VCPU, 0, RAM_SIZE) == 0, "%s", v.err);
	vm = v.vm;
	memcpy(v.ram + CODE, guest, sizeof(guest));
	/* The stand-in BAR: a memfd, as a VFIO region mmap is a shared file mapping. */
	ck_assert_int_eq(dp_test_bar_new(&b, BAR_GPA, BAR_SIZE), 0);
	bar = b.mem;
	for (int p = 0; p < 4; p++)
		*(uint32_t *)(bar + p * 0x1000) = 0xba500000u + (uint32_t)p;
	ck_assert_msg(dp_test_vm_start(&v, CODE) == 0, "%s", v.err);
}

static void teardown(void)
{
	dp_test_vm_free(&v);
	dp_test_bar_free(&b);
	ctx = dp_ctx_unref(ctx);
}

/* Runs the guest to hlt: the four values it read, and how many reads exited as MMIO. */
static int run_guest(uint32_t out[4])
{
	struct dp_test_vm_exits x;

	/* Exits that are not the trapped path's reads fail the run. */
	ck_assert_msg(dp_test_vm_run_to_hlt(&v, &b, 64, &x) == 0, "%s", v.err);
	ck_assert_uint_eq(x.n_out, 4);
	ck_assert_uint_eq(x.mmio_writes, 0);
	memcpy(out, x.out, 4 * sizeof(*out));
	return (int)x.mmio_reads;
}

START_TEST(a_bar_in_memory_slots_is_read_without_exits_but_its_trapped_page)
{
	struct dp_kvm k;
	struct dp_kvm_hole hole = { 0x1000, 0x1000 + 16 * 8 }; /* an MSI-X table of 8 entries */
	uint32_t slots[4], out[4];
	size_t n = 0;

	ck_assert_int_eq(dp_kvm_init(&k, ctx, vm, 10, 4), 0);
	ck_assert_int_eq(dp_kvm_map_with_holes(&k, BAR_GPA, bar, BAR_SIZE, &hole, 1, slots, &n), 0);
	ck_assert_uint_eq(n, 2); /* page 0, then pages 2-3 */
	ck_assert_uint_eq(slots[0], 10);
	ck_assert_uint_eq(slots[1], 11);
	ck_assert_int_eq(run_guest(out), 1); /* only the trapped page exited */
	for (int i = 0; i < 4; i++)
		ck_assert_uint_eq(out[i], 0xba500000u + (uint32_t)(i == 1 ? 2 : i == 2 ? 1 : i));
	dp_kvm_fini(&k); /* deletes the slots */
}
END_TEST

START_TEST(without_slots_every_bar_read_exits)
{
	struct dp_kvm k;
	uint32_t slots[4], out[4];
	size_t n = 0;

	ck_assert_int_eq(dp_kvm_init(&k, ctx, vm, 10, 4), 0);
	ck_assert_int_eq(dp_kvm_map_with_holes(&k, BAR_GPA, bar, BAR_SIZE, NULL, 0, slots, &n), 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_int_eq(dp_kvm_slot_unmap(&k, slots[0]), 0);
	ck_assert_int_eq(run_guest(out), 4);
	dp_kvm_fini(&k);
}
END_TEST

START_TEST(slots_come_from_the_vmms_range_only)
{
	struct dp_kvm k;
	uint32_t s;
	int fds[2];

	ck_assert_int_eq(dp_kvm_init(&k, ctx, vm, 20, 2), 0);
	ck_assert_int_eq(dp_kvm_slot_map(&k, BAR_GPA, bar, 0x1000, &s), 0);
	ck_assert_uint_eq(s, 20);
	ck_assert_int_eq(dp_kvm_slot_map(&k, BAR_GPA + 0x1000, bar + 0x1000, 0x1000, &s), 0);
	ck_assert_uint_eq(s, 21);
	dp_test_log_expect_err();
	ck_assert_int_eq(dp_kvm_slot_map(&k, BAR_GPA + 0x2000, bar + 0x2000, 0x1000, &s), -ENOSPC);
	ck_assert_ptr_nonnull(strstr(dp_test_log_expect_end(), "all 2 memory slots"));
	dp_test_log_expect_err();
	ck_assert_int_eq(dp_kvm_slot_map(&k, BAR_GPA + 0x800, bar, 0x1000, &s), -EINVAL);
	/* Overlapping guest memory is the kernel's to refuse. */
	ck_assert_int_eq(dp_kvm_slot_unmap(&k, 21), 0);
	ck_assert_int_eq(dp_kvm_slot_map(&k, BAR_GPA, bar + 0x1000, 0x1000, &s), -EEXIST);
	dp_test_log_expect_end();
	ck_assert_int_eq(dp_kvm_slot_unmap(&k, 21), -EINVAL); /* not in use */
	ck_assert_int_eq(dp_kvm_slot_unmap(&k, 5), -EINVAL);  /* not ours */
	dp_kvm_fini(&k);

	/* A range beyond the VM's slots, and a fd that is no VM. */
	dp_test_log_expect_err();
	ck_assert_int_eq(dp_kvm_init(&k, ctx, vm, 0x7fffffff, 4), -ERANGE);
	ck_assert_int_eq(dp_kvm_init(&k, ctx, vm, 10, 0), -ERANGE);
	ck_assert_int_eq(pipe(fds), 0);
	ck_assert_int_eq(dp_kvm_init(&k, ctx, fds[0], 10, 4), -ENOTTY);
	close(fds[0]);
	close(fds[1]);
	ck_assert_int_eq(dp_kvm_init(&k, ctx, fds[0], 10, 4), -EBADF);
	dp_test_log_expect_end();
}
END_TEST

START_TEST(the_kvm_vfio_device_can_be_created)
{
	struct dp_kvm k;

	ck_assert_int_eq(dp_kvm_init(&k, ctx, vm, 10, 4), 0);
	ck_assert_int_eq(dp_kvm_vfio_create(&k), 0);
	ck_assert_int_ge(k.vfio_dev_fd, 0);
	ck_assert_int_eq(fcntl(k.vfio_dev_fd, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
	dp_kvm_fini(&k);
}
END_TEST

/* Counts KVM_SET_GSI_ROUTING calls; the internal archive's ioctl calls land here. */
static long routing_pushes;

int ioctl(int fd, unsigned long req, ...)
{
	static int (*real)(int, unsigned long, ...);
	va_list ap;
	void *arg;

	va_start(ap, req);
	arg = va_arg(ap, void *);
	va_end(ap);
	if (req == KVM_SET_GSI_ROUTING)
		routing_pushes++;
	if (!real) {
		void *p_ = dlsym(RTLD_NEXT, "ioctl");

		memcpy(&real, &p_, sizeof(real)); /* ISO C has no object-to-function cast */
	}
	return real(fd, req, arg);
}

START_TEST(fini_pushes_the_routing_table_once_not_once_per_route)
{
	struct dp_test_vm v2;
	struct dp_kvm k;
	uint32_t gsi[3];
	int efd[3], vm2;

	ck_assert_msg(dp_test_vm_new(&v2, DP_TEST_VM_IRQCHIP, 0, 0) == 0, "%s", v2.err);
	vm2 = v2.vm;
	ck_assert_int_eq(dp_kvm_init(&k, ctx, vm2, 10, 4), 0);
	ck_assert_int_eq(dp_kvm_set_gsi_range(&k, 40, 3), 0);
	for (int i = 0; i < 3; i++) {
		efd[i] = eventfd(0, EFD_CLOEXEC);
		ck_assert_int_ge(efd[i], 0);
		ck_assert_int_eq(dp_kvm_route_msi(&k, 0xfee00000, 0x41 + (uint32_t)i, efd[i],
						  &gsi[i]), 0);
	}
	routing_pushes = 0;
	dp_kvm_fini(&k);
	ck_assert_int_eq(routing_pushes, 1);
	/* Every irqfd was unbound all the same: each eventfd binds again. */
	for (int i = 0; i < 3; i++) {
		struct kvm_irqfd f = { .fd = (uint32_t)efd[i], .gsi = gsi[i] };

		ck_assert_int_eq(ioctl(vm2, KVM_IRQFD, &f), 0);
		f.flags = KVM_IRQFD_FLAG_DEASSIGN;
		ck_assert_int_eq(ioctl(vm2, KVM_IRQFD, &f), 0);
		close(efd[i]);
	}
	/* Nothing routed, nothing stale: nothing to push. */
	ck_assert_int_eq(dp_kvm_init(&k, ctx, vm2, 10, 4), 0);
	routing_pushes = 0;
	dp_kvm_fini(&k);
	ck_assert_int_eq(routing_pushes, 0);
	dp_test_vm_free(&v2);
}
END_TEST

START_TEST(msi_routes_are_kvm_routes_with_irqfds_and_go_away)
{
	struct dp_test_vm v2;
	struct dp_kvm k;
	struct kvm_irqfd again;
	uint32_t gsi, gsi2;
	int efd = eventfd(0, EFD_CLOEXEC), efd2 = eventfd(0, EFD_CLOEXEC), vm2;

	ck_assert_msg(dp_test_vm_new(&v2, DP_TEST_VM_IRQCHIP, 0, 0) == 0, "%s", v2.err);
	vm2 = v2.vm;
	ck_assert_int_eq(dp_kvm_init(&k, ctx, vm2, 10, 4), 0);
	dp_test_log_expect_err();
	ck_assert_int_eq(dp_kvm_set_gsi_range(&k, 20, 8), -ERANGE); /* 20-23 are the IOAPIC's */
	dp_test_log_expect_end();
	ck_assert_int_eq(dp_kvm_set_gsi_range(&k, 40, 1), 0);
	ck_assert_int_eq(dp_kvm_route_msi(&k, 0xfee00000, 0x41, efd, &gsi), 0);
	ck_assert_uint_eq(gsi, 40);
	/* KVM holds the binding: the same eventfd cannot be bound twice. */
	again = (struct kvm_irqfd){ .fd = (uint32_t)efd, .gsi = gsi };
	ck_assert_int_eq(ioctl(vm2, KVM_IRQFD, &again), -1);
	ck_assert_int_eq(errno, EBUSY);
	dp_test_log_expect_err();
	ck_assert_int_eq(dp_kvm_route_msi(&k, 0xfee00000, 0x42, efd2, &gsi2), -ENOSPC);
	dp_test_log_expect_end();
	ck_assert_int_eq(dp_kvm_reroute_msi(&k, gsi, 0xfee00000, 0x43), 0);
	ck_assert_int_eq(dp_kvm_unroute_msi(&k, gsi), 0);
	ck_assert_int_eq(dp_kvm_unroute_msi(&k, gsi), -EINVAL);
	/* Unbound: the eventfd binds again. */
	ck_assert_int_eq(ioctl(vm2, KVM_IRQFD, &again), 0);
	again.flags = KVM_IRQFD_FLAG_DEASSIGN;
	ck_assert_int_eq(ioctl(vm2, KVM_IRQFD, &again), 0);
	ck_assert_int_eq(dp_kvm_route_msi(&k, 0xfee00000, 0x41, efd2, &gsi2), 0);
	dp_kvm_fini(&k); /* unbinds what is left */
	again = (struct kvm_irqfd){ .fd = (uint32_t)efd2, .gsi = gsi2 };
	ck_assert_int_eq(ioctl(vm2, KVM_IRQFD, &again), 0);
	close(efd);
	close(efd2);
	dp_test_vm_free(&v2);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("kvm");
	TCase *tc = tcase_create("kvm");
	char why[160];

	if (dp_test_kvm_usable(NULL, 0, why, sizeof(why)) < 0) {
		printf("1..0 # SKIP %s\n", why);
		return 0;
	}
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, a_bar_in_memory_slots_is_read_without_exits_but_its_trapped_page);
	tcase_add_test(tc, without_slots_every_bar_read_exits);
	tcase_add_test(tc, slots_come_from_the_vmms_range_only);
	tcase_add_test(tc, the_kvm_vfio_device_can_be_created);
	tcase_add_test(tc, msi_routes_are_kvm_routes_with_irqfds_and_go_away);
	tcase_add_test(tc, fini_pushes_the_routing_table_once_not_once_per_route);
	suite_add_tcase(s, tc);
	return dp_test_run(s);
}
