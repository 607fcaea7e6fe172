/* SPDX-License-Identifier: MIT */
/*
 * The iommufd backend on the real kernel (tests/vm topology two, --bind
 * none). Run with the kernel it expects auto to choose: "iommufd" in the
 * iommufd guest kernel (Linux 6.12: /dev/iommu, /dev/vfio/devices/vfioN),
 * "type1" in Debian's 6.1, which has neither. There: an attach through
 * iommufd with an edu DMA round trip on each device through one IOAS, DMA
 * to an unmapped IOVA blocked, the memlock preflight and the kernel's own
 * per-user refusal, the KVM-VFIO device holding the device fds, and a
 * detach that leaves no fd to /dev/iommu or /dev/vfio and the devices free.
 */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#include <directpath/directpath.h>

#include "guest.h"
#include "testlog.h"
#include "testrun.h"

static const char *expect_auto; /* argv[1] */
static struct dp_ctx *ctx;
static struct dp_policy *policy;
static char edu[2][DP_GUEST_BDF_MAX];

static void setup(void)
{
	ctx = dp_guest_ctx();
	ck_assert_uint_eq(dp_guest_find_edu(ctx, edu, NULL, 2), 2);
	dp_guest_mark(ctx, edu[0]);
	dp_guest_mark(ctx, edu[1]);
	policy = dp_guest_policy(ctx);
}

static void teardown(void)
{
	policy = dp_policy_unref(policy);
	ctx = dp_ctx_unref(ctx);
}

/* A VM with the first n edu. */
static struct dp_vm *new_vm(const char *name, size_t first, size_t n)
{
	struct dp_vm *vm;

	ck_assert_int_eq(dp_vm_new(ctx, name, &vm), 0);
	ck_assert_int_eq(dp_vm_set_hw_version(vm, 7), 0);
	ck_assert_int_eq(dp_vm_set_memory(vm, 64 << 20, 64 << 20), 0);
	for (size_t i = first; i < first + n; i++)
		ck_assert_int_eq(dp_vm_add_device(vm, edu[i]), 0);
	return vm;
}

static struct dp_attachment *attach_as(struct dp_vm *vm, uint32_t backend)
{
	DP_OPTS(dp_attach_opts, opts, .backend = backend);
	struct dp_attachment *att = NULL;

	ck_assert_int_eq(dp_attach(policy, vm, &opts, &att), 0);
	return att;
}

/* This process's fds whose target starts with prefix. */
static int fds_to(const char *prefix)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;
	int n = 0;

	ck_assert_ptr_nonnull(d);
	while ((de = readdir(d))) {
		char link[300], target[256];
		ssize_t len;

		if (de->d_name[0] == '.')
			continue;
		snprintf(link, sizeof(link), "/proc/self/fd/%s", de->d_name);
		len = readlink(link, target, sizeof(target) - 1);
		if (len <= 0)
			continue;
		target[len] = '\0';
		n += strncmp(target, prefix, strlen(prefix)) == 0;
	}
	closedir(d);
	return n;
}

/* The fd of this process that is prefix, or -1 (the first found). */
static int fd_of(const char *prefix)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;
	int fd = -1;

	ck_assert_ptr_nonnull(d);
	while (fd < 0 && (de = readdir(d))) {
		char link[300], target[256];
		ssize_t len;

		snprintf(link, sizeof(link), "/proc/self/fd/%s", de->d_name);
		len = readlink(link, target, sizeof(target) - 1);
		if (len > 0 && (target[len] = '\0', strncmp(target, prefix, strlen(prefix)) == 0) &&
		    atoi(de->d_name) != dirfd(d))
			fd = atoi(de->d_name);
	}
	closedir(d);
	return fd;
}

static void assert_nothing_open(void)
{
	ck_assert_int_eq(fds_to("/dev/iommu"), 0);
	ck_assert_int_eq(fds_to("/dev/vfio/"), 0);
	ck_assert_int_eq(fds_to("anon_inode:kvm-vfio"), 0);
}

START_TEST(auto_picks_the_backend_this_kernel_has)
{
	struct dp_vm *vm = new_vm("auto", 0, 2);
	struct dp_attachment *att = attach_as(vm, DP_BACKEND_AUTO);
	const char *why = NULL;
	uint32_t b = dp_attachment_get_backend(att, &why);

	ck_assert_ptr_nonnull(why);
	printf("# auto: %s: %s\n", dp_backend_name(b), why);
	ck_assert_str_eq(dp_backend_name(b), expect_auto);
	ck_assert_ptr_nonnull(strstr(why, "auto"));
	if (b == DP_BACKEND_IOMMUFD) {
		ck_assert_int_eq(fds_to("/dev/iommu"), 1);
		ck_assert_int_eq(fds_to("/dev/vfio/devices/vfio"), 2);
		ck_assert_int_eq(fds_to("/dev/vfio/vfio"), 0); /* no container, no group */
	} else {
		ck_assert_int_eq(fds_to("/dev/iommu"), 0);
		ck_assert_int_eq(fds_to("/dev/vfio/devices/"), 0);
		ck_assert_int_eq(fds_to("/dev/vfio/vfio"), 1);
	}
	dp_detach(att);
	assert_nothing_open();
	dp_vm_unref(vm);
}
END_TEST

/*
 * The check's memlock rule, without opening anything, names the accounting
 * of the backend auto would give the VM: iommufd's per user here, type1's
 * per process in Debian's 6.1.
 */
START_TEST(the_memlock_finding_names_the_backend_auto_would_take)
{
	struct rlimit rl = { 1 << 20, 1 << 20 };
	struct dp_vm *vm = new_vm("plan", 0, 2);
	struct dp_report *rep = NULL;
	const char *want = strcmp(expect_auto, "iommufd") == 0 ? "which iommufd charges to this user"
							      : "which type1 charges to this process";
	int found = 0;

	ck_assert_int_eq(setrlimit(RLIMIT_MEMLOCK, &rl), 0);
	dp_guest_drop_ipc_lock();
	ck_assert_int_eq(dp_policy_check(policy, vm, &rep), 0);
	for (size_t i = 0; i < dp_report_get_finding_count(rep); i++) {
		struct dp_finding f = { .sz = sizeof(f) };

		ck_assert_int_eq(dp_report_get_finding(rep, i, &f), 0);
		if (f.code != DP_FINDING_MEMLOCK_TOO_LOW)
			continue;
		printf("# %s\n", f.message);
		ck_assert_ptr_nonnull(strstr(f.message, want));
		found++;
	}
	ck_assert_int_eq(found, 1);
	assert_nothing_open();
	dp_report_unref(rep);
	dp_vm_unref(vm);
}
END_TEST

/* In Debian's 6.1: asking for iommufd is refused with the reason, nothing left open. */
START_TEST(iommufd_asked_for_where_there_is_none_is_refused)
{
	DP_OPTS(dp_attach_opts, opts, .backend = DP_BACKEND_IOMMUFD);
	struct dp_vm *vm = new_vm("no-iommufd", 0, 1);
	struct dp_attachment *att = NULL;

	ck_assert_int_eq(DP_TEST_EXPECT_ERR(dp_attach(policy, vm, &opts, &att),
					    "iommufd cannot be used: /dev/iommu is absent"),
			 -EOPNOTSUPP);
	ck_assert_ptr_null(att);
	assert_nothing_open();
	/* type1, asked for, still works. */
	att = attach_as(vm, DP_BACKEND_TYPE1);
	ck_assert_uint_eq(dp_attachment_get_backend(att, NULL), DP_BACKEND_TYPE1);
	dp_detach(att);
	dp_vm_unref(vm);
}
END_TEST

START_TEST(both_devices_do_dma_through_one_ioas)
{
	struct dp_vm *vm = new_vm("ioas", 0, 2);
	struct dp_attachment *att = attach_as(vm, DP_BACKEND_IOMMUFD);
	struct dp_iommu_info info = { .sz = sizeof(info) };
	uint8_t *src = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint8_t *dst = src + 4096;
	uint64_t start, end;
	bool msi_clear = true;

	ck_assert(src != MAP_FAILED);
	ck_assert_uint_eq(dp_attachment_get_backend(att, NULL), DP_BACKEND_IOMMUFD);
	ck_assert_int_eq(dp_attachment_get_iommu_info(att, &info), 0);
	ck_assert_uint_ne(info.iova_pgsizes & 4096, 0);
	ck_assert_uint_eq(info.iova_pgsizes & 4095, 0);
	ck_assert_uint_eq(info.dma_avail, UINT64_MAX); /* iommufd has no mapping budget */
	ck_assert_uint_ge(info.n_iova_ranges, 2);      /* the MSI window cuts the space */
	for (uint32_t i = 0; i < info.n_iova_ranges; i++) {
		ck_assert_int_eq(dp_attachment_get_iova_range(att, i, &start, &end), 0);
		msi_clear &= end < 0xfee00000 || start > 0xfeefffff;
	}
	ck_assert_msg(msi_clear, "a usable IOVA range covers the MSI window");
	ck_assert_int_eq(dp_attachment_get_iova_range(att, info.n_iova_ranges, &start, &end), -ERANGE);
	ck_assert_int_eq(DP_TEST_EXPECT_ERR(dp_dma_map(att, 0xfee00000, src, 4096),
					    "outside the IOMMU's usable IOVA ranges"), -EINVAL);
	for (int i = 0; i < 4096; i++)
		src[i] = (uint8_t)(i * 13 + 1);
	ck_assert_int_eq(dp_dma_map(att, 0x100000, src, 8192), 0);
	ck_assert_uint_eq(dp_dma_get_mapped(att), 8192);
	for (size_t i = 0; i < 2; i++)
		dp_guest_edu_round_trip(dp_attachment_get_vdev(att, i), 0x100000, src, 0x101000,
					dst, 4000);
	/* Unmapping a piece splits the mapping (an IOAS unmaps whole areas only). */
	ck_assert_int_eq(dp_dma_unmap(att, 0x101000, 4096), 0);
	ck_assert_uint_eq(dp_dma_get_mapped(att), 4096);
	ck_assert_int_eq(dp_dma_map(att, 0x101000, dst, 4096), 0);
	dp_guest_edu_round_trip(dp_attachment_get_vdev(att, 1), 0x100000, src, 0x101000, dst, 100);
	ck_assert_ptr_null(dp_detach(att));
	assert_nothing_open();
	/* Both devices are free again. */
	att = attach_as(vm, DP_BACKEND_IOMMUFD);
	dp_detach(att);
	assert_nothing_open();
	dp_vm_unref(vm);
	munmap(src, 8192);
}
END_TEST

START_TEST(dma_to_an_unmapped_iova_is_blocked)
{
	struct dp_vm *vm = new_vm("blocked", 0, 1);
	struct dp_attachment *att = attach_as(vm, DP_BACKEND_IOMMUFD);
	struct dp_vdev *v = dp_attachment_get_vdev(att, 0);
	uint8_t *src = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint8_t *dst = src + 4096;
	void *bar;

	ck_assert(src != MAP_FAILED);
	memset(src, 0xab, 4096);
	memset(dst, 0x11, 4096);
	ck_assert_int_eq(dp_dma_map(att, 0x100000, src, 4096), 0);
	ck_assert_int_eq(dp_dma_map(att, 0x200000, dst, 4096), 0);
	ck_assert_int_eq(dp_vdev_map_region(v, DP_REGION_BAR0, &bar), 0);
	dp_guest_edu_enable_master(v);
	dp_guest_edu_dma(bar, 0x100000, DP_EDU_BUF, 256, 0);
	ck_assert_int_eq(dp_dma_unmap(att, 0x200000, 4096), 0);
	dp_guest_edu_dma(bar, DP_EDU_BUF, 0x200000, 256, DP_EDU_DMA_TO_RAM); /* the IOMMU blocks it */
	for (int i = 0; i < 4096; i++)
		ck_assert_msg(dst[i] == 0x11, "byte %d changed: the IOMMU let it through", i);
	dp_detach(att);
	dp_vm_unref(vm);
	munmap(src, 8192);
}
END_TEST

/*
 * Without CAP_IPC_LOCK and with a 1 MiB RLIMIT_MEMLOCK: the library refuses
 * what its own count exceeds, naming iommufd's per-user accounting; and
 * the kernel refuses what two VMs of the same user pin together, which
 * neither attachment's count alone exceeds.
 */
START_TEST(memlock_is_per_user_under_iommufd)
{
	struct rlimit rl = { 1 << 20, 1 << 20 };
	struct dp_vm *a_vm = new_vm("memlock-a", 0, 1), *b_vm = new_vm("memlock-b", 1, 1);
	struct dp_attachment *a, *b;
	uint8_t *mem = mmap(NULL, 4 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	ck_assert(mem != MAP_FAILED);
	memset(mem, 1, 4 << 20);
	ck_assert_int_eq(setrlimit(RLIMIT_MEMLOCK, &rl), 0);
	dp_guest_drop_ipc_lock();
	a = attach_as(a_vm, DP_BACKEND_IOMMUFD);
	ck_assert_int_eq(dp_dma_map(a, 0x100000, mem, 512 << 10), 0);
	ck_assert_int_eq(DP_TEST_EXPECT_ERR(dp_dma_map(a, 0x400000, mem + (1 << 20), 2 << 20),
					    "above RLIMIT_MEMLOCK (1024 KiB), which iommufd charges to this user"),
			 -ENOMEM);
	ck_assert_uint_eq(dp_dma_get_mapped(a), 512 << 10);
	b = attach_as(b_vm, DP_BACKEND_IOMMUFD);
	/* 768 KiB is within b's own count, but the user holds 512 KiB already. */
	ck_assert_int_eq(DP_TEST_EXPECT_ERR(dp_dma_map(b, 0x100000, mem + (1 << 20), 768 << 10),
					    "the kernel refused: Cannot allocate memory"),
			 -ENOMEM);
	ck_assert_uint_eq(dp_dma_get_mapped(b), 0);
	ck_assert_int_eq(dp_dma_map(b, 0x100000, mem + (1 << 20), 256 << 10), 0);
	dp_detach(a);
	/* a's pages are uncharged: b gets the room. */
	ck_assert_int_eq(dp_dma_map(b, 0x200000, mem + (2 << 20), 512 << 10), 0);
	dp_detach(b);
	assert_nothing_open();
	dp_vm_unref(a_vm);
	dp_vm_unref(b_vm);
	munmap(mem, 4 << 20);
}
END_TEST

/* The KVM-VFIO device holds each device fd: adding one again is EEXIST. */
START_TEST(kvm_vfio_holds_the_device_fds)
{
	DP_OPTS(dp_attach_opts, opts, .flags = DP_ATTACH_KVM, .memslot_base = 1,
		.memslot_count = 8, .backend = DP_BACKEND_IOMMUFD);
	struct dp_vm *vm = new_vm("kvm", 0, 2);
	struct dp_attachment *att = NULL;
	int kvm, vmfd, kv, devfd;
	int32_t fd;
	struct kvm_device_attr a = { .group = 1, .attr = 1, .addr = (uint64_t)(uintptr_t)&fd };

	kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm < 0) {
		printf("# no /dev/kvm in this guest: %s\n", strerror(errno));
		dp_vm_unref(vm);
		return;
	}
	vmfd = ioctl(kvm, KVM_CREATE_VM, 0);
	ck_assert_int_ge(vmfd, 0);
	opts.kvm_vm_fd = vmfd;
	ck_assert_int_eq(dp_attach(policy, vm, &opts, &att), 0);
	kv = fd_of("anon_inode:kvm-vfio");
	ck_assert_int_ge(kv, 0);
	devfd = fd_of("/dev/vfio/devices/vfio");
	ck_assert_int_ge(devfd, 0);
	fd = devfd; /* KVM_DEV_VFIO_FILE, _ADD */
	ck_assert_int_eq(ioctl(kv, KVM_SET_DEVICE_ATTR, &a), -1);
	ck_assert_int_eq(errno, EEXIST);
	dp_detach(att);
	assert_nothing_open();
	close(vmfd);
	close(kvm);
	dp_vm_unref(vm);
}
END_TEST

/* A hot added device binds into the same IOAS: DMA mapped before it reaches it. */
START_TEST(a_hot_added_device_joins_the_ioas)
{
	struct dp_vm *vm = new_vm("hot", 0, 1);
	struct dp_attachment *att = attach_as(vm, DP_BACKEND_IOMMUFD);
	uint8_t *src = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct dp_vdev *v = NULL;

	ck_assert(src != MAP_FAILED);
	memset(src, 0x5a, 4096);
	ck_assert_int_eq(dp_dma_map(att, 0x100000, src, 8192), 0);
	ck_assert_int_eq(dp_attachment_add_device(att, policy, edu[1], 0, &v), 0);
	ck_assert_int_eq(fds_to("/dev/iommu"), 1);
	ck_assert_int_eq(fds_to("/dev/vfio/devices/vfio"), 2);
	dp_guest_edu_round_trip(v, 0x100000, src, 0x101000, src + 4096, 2000);
	ck_assert_int_eq(dp_attachment_remove_device(att, v, 0), 0);
	ck_assert_int_eq(fds_to("/dev/vfio/devices/vfio"), 1);
	dp_detach(att);
	assert_nothing_open();
	dp_vm_unref(vm);
	munmap(src, 8192);
}
END_TEST

int main(int argc, char **argv)
{
	Suite *s = suite_create("iommufd");
	TCase *tc = tcase_create("iommufd");

	if (argc != 2 || (strcmp(argv[1], "iommufd") && strcmp(argv[1], "type1"))) {
		fprintf(stderr, "usage: test-iommufd iommufd|type1 (what auto picks in this kernel)\n");
		return 2;
	}
	expect_auto = argv[1];
	dp_guest_require_vfio();
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 180);
	tcase_add_test(tc, auto_picks_the_backend_this_kernel_has);
	tcase_add_test(tc, the_memlock_finding_names_the_backend_auto_would_take);
	if (strcmp(expect_auto, "iommufd") == 0) {
		tcase_add_test(tc, both_devices_do_dma_through_one_ioas);
		tcase_add_test(tc, dma_to_an_unmapped_iova_is_blocked);
		tcase_add_test(tc, memlock_is_per_user_under_iommufd);
		tcase_add_test(tc, kvm_vfio_holds_the_device_fds);
		tcase_add_test(tc, a_hot_added_device_joins_the_ioas);
	} else {
		tcase_add_test(tc, iommufd_asked_for_where_there_is_none_is_refused);
	}
	suite_add_tcase(s, tc);
	return dp_test_run(s);
}
