/* SPDX-License-Identifier: MIT */
/*
 * Fault injection over the iommufd backend, in the iommufd guest kernel
 * (tests/vm --kernel iommufd, topology two, --bind none): a run attaches
 * one edu through iommufd with KVM, maps 2 MiB for DMA and BAR0, hot adds
 * the second edu into the IOAS, splits a mapping, removes the second edu
 * and detaches. Every interposed call of it (fault.c: the opens of
 * /dev/iommu and /dev/vfio/devices/vfioN, IOMMU_OPTION, IOMMU_IOAS_ALLOC,
 * IOMMU_IOAS_IOVA_RANGES, VFIO_DEVICE_BIND_IOMMUFD,
 * VFIO_DEVICE_ATTACH_IOMMUFD_PT, KVM_DEV_VFIO_FILE_ADD, IOMMU_IOAS_MAP,
 * IOMMU_IOAS_UNMAP, VFIO_DEVICE_DETACH_IOMMUFD_PT, IOMMU_DESTROY...) fails
 * once in turn. After each: no fd, mapping, KVM slot or lease more than
 * before, and a clean run goes through. The process runs without
 * CAP_IPC_LOCK under an RLIMIT_MEMLOCK that holds one run's pages only, so
 * a failed run that left an IOAS, a binding, an attachment or a mapping
 * behind (its pages still charged to the user) makes the next one fail.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#include <directpath/directpath.h>

#include "../../lib/iommufd-uapi.h"
#include "fault.h"
#include "faultstate.h"
#include "guest.h"
#include "testlog.h"
#include "testrun.h"

#define RUN_PINS (2u << 20)

static struct dp_ctx *ctx;
static struct dp_policy *policy;
static char edu[2][DP_GUEST_BDF_MAX];
static int kvm_fd = -1, vm_fd = -1;

static void setup(void)
{
	struct rlimit rl = { RUN_PINS + (512u << 10), RUN_PINS + (512u << 10) };

	ctx = dp_guest_ctx();
	ck_assert_uint_eq(dp_guest_find_edu(ctx, edu, NULL, 2), 2);
	dp_guest_mark(ctx, edu[0]);
	dp_guest_mark(ctx, edu[1]);
	policy = dp_guest_policy(ctx);
	kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	ck_assert_int_ge(kvm_fd, 0);
	vm_fd = ioctl(kvm_fd, KVM_CREATE_VM, 0);
	ck_assert_int_ge(vm_fd, 0);
	dp_fault_kvm_reset();
	ck_assert_int_eq(setrlimit(RLIMIT_MEMLOCK, &rl), 0);
	dp_guest_drop_ipc_lock();
}

static void teardown(void)
{
	close(vm_fd);
	close(kvm_fd);
	policy = dp_policy_unref(policy);
	ctx = dp_ctx_unref(ctx);
}

static int run_once(uint8_t *mem)
{
	DP_OPTS(dp_attach_opts, opts, .flags = DP_ATTACH_KVM, .kvm_vm_fd = vm_fd,
		.memslot_base = 1, .memslot_count = 8, .backend = DP_BACKEND_IOMMUFD);
	struct dp_attachment *att = NULL;
	struct dp_vdev *v = NULL;
	struct dp_vm *vm;
	void *bar;
	int r;

	/* A new VM each time: a hot add that went through grows it, a remove that failed keeps it so. */
	ck_assert_int_eq(dp_vm_new(ctx, "fault-iommufd", &vm), 0);
	ck_assert_int_eq(dp_vm_set_hw_version(vm, 7), 0);
	ck_assert_int_eq(dp_vm_set_memory(vm, 64 << 20, 64 << 20), 0);
	ck_assert_int_eq(dp_vm_add_device(vm, edu[0]), 0);
	r = dp_attach(policy, vm, &opts, &att);
	dp_vm_unref(vm); /* the attachment holds it */
	if (r < 0)
		return r;
	r = dp_dma_map(att, 0x100000, mem, RUN_PINS);
	if (r == 0)
		r = dp_vdev_map_region(dp_attachment_get_vdev(att, 0), DP_REGION_BAR0, &bar);
	if (r == 0)
		r = dp_attachment_add_device(att, policy, edu[1], 0, &v);
	if (r == 0) /* a hole in the middle: one IOAS area unmapped, its two ends mapped again */
		r = dp_dma_unmap(att, 0x180000, 4096);
	if (r == 0)
		r = dp_attachment_remove_device(att, v, 0);
	dp_detach(att);
	return r;
}

static bool leased(const char *bdf)
{
	char path[96];

	snprintf(path, sizeof(path), "/tmp/dp-run/lease-%s", bdf);
	return access(path, F_OK) == 0;
}

START_TEST(every_call_of_the_iommufd_backend_failing_leaves_nothing)
{
	uint8_t *mem = mmap(NULL, RUN_PINS, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct dp_fault_state before, after;
	long total, failed = 0, iommufd = 0;
	char where[256];

	ck_assert(mem != MAP_FAILED);
	memset(mem, 1, RUN_PINS);
	dp_fault_state_get(&before, vm_fd);
	dp_fault_arm(0, 0);
	ck_assert_int_eq(run_once(mem), 0);
	total = dp_fault_disarm();
	dp_fault_state_get(&after, vm_fd);
	dp_fault_state_same_but(&before, &after, "the counting run", false);
	ck_assert_int_gt(total, 20);
	for (long n = 1; n <= total; n++) {
		unsigned long req;
		int r;

		dp_test_log_reset();
		dp_test_log_expect_err();
		dp_fault_arm(n, DP_FAULT_PLAUSIBLE);
		r = run_once(mem);
		dp_fault_disarm();
		dp_test_log_expect_end();
		failed += r < 0;
		snprintf(where, sizeof(where), "call %ld of %ld (%s, %s) failing", n, total,
			 dp_fault_failed_name(), strerror(dp_fault_failed_errno()));
		req = dp_fault_failed_request();
		/* An iommufd or VFIO call that fails is never swallowed: an error, or a warning. */
		if (strcmp(dp_fault_failed_kind(), "ioctl") == 0 &&
		    (_IOC_TYPE(req) == IOMMUFD_TYPE || _IOC_TYPE(req) == VFIO_TYPE)) {
			iommufd += _IOC_TYPE(req) == IOMMUFD_TYPE || req == VFIO_DEVICE_BIND_IOMMUFD ||
				   req == VFIO_DEVICE_ATTACH_IOMMUFD_PT ||
				   req == VFIO_DEVICE_DETACH_IOMMUFD_PT;
			ck_assert_msg(r < 0 || dp_test_warned(), "%s: silently", where);
		}
		dp_fault_state_get(&after, vm_fd);
		dp_fault_state_same_but(&before, &after, where, false);
		ck_assert_msg(!leased(edu[0]) && !leased(edu[1]), "%s: a lease was left", where);
		/* Nothing half-done, nothing still charged: a whole run goes through at once. */
		ck_assert_msg(run_once(mem) == 0, "%s: then a clean run failed", where);
	}
	fprintf(stderr, "# %ld calls; %ld of them iommufd's; %ld failing made the run fail\n", total,
		iommufd, failed);
	/* IOMMU_OPTION, IOAS_ALLOC, IOVA_RANGES (x4), BIND x2, ATTACH x2, MAP (x3), UNMAP (x2+), DETACH x2, DESTROY. */
	ck_assert_int_ge(iommufd, 15);
	ck_assert_int_gt(failed, iommufd / 2);
	munmap(mem, RUN_PINS);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("fault-iommufd");
	TCase *tc = tcase_create("fault-iommufd");

	dp_guest_require_vfio();
	dp_guest_require_kvm();
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 380);
	tcase_add_test(tc, every_call_of_the_iommufd_backend_failing_leaves_nothing);
	suite_add_tcase(s, tc);
	return dp_test_run(s);
}
