/* SPDX-License-Identifier: MIT */
/*
 * The backend on the real kernel's VFIO, inside the QEMU guest of tests/vm
 * (an emulated Intel IOMMU with interrupt remapping, QEMU's edu device):
 * marking binds for real, attach and detach, DMA through the IOMMU, MSI to
 * an eventfd, the map manager's edge cases against the kernel's answers.
 * Run with --bind none: the library does the binding.
 */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/kvm.h>
#include <linux/vfio.h>
#include <sys/ioctl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <directpath/directpath.h>

#include "fault.h"
#include "guest.h"
#include "testlog.h"
#include "testrun.h"

#define EDU_VENDOR 0x1234
#define EDU_DEVICE 0x11e8
#define EDU_ID 0x00
#define EDU_LIVENESS 0x04
#define EDU_STATUS 0x20
#define EDU_IRQ_STATUS 0x24
#define EDU_IRQ_RAISE 0x60
#define EDU_IRQ_ACK 0x64
#define EDU_DMA_TO_RAM 0x2
#define EDU_BUF 0x40000
#define PCI_COMMAND 0x04

static struct dp_ctx *ctx;
static struct dp_policy *policy;
static struct dp_vm *vm;
static char edu[DP_GUEST_BDF_MAX];

static void setup(void)
{
	char bdfs[1][DP_GUEST_BDF_MAX];

	ctx = dp_guest_ctx();
	ck_assert_uint_eq(dp_guest_find_edu(ctx, bdfs, NULL, 1), 1);
	snprintf(edu, sizeof(edu), "%s", bdfs[0]);
	dp_guest_mark(ctx, edu);
	policy = dp_guest_policy(ctx);
	ck_assert_int_eq(dp_vm_new(ctx, "guest-vm", &vm), 0);
	ck_assert_int_eq(dp_vm_set_hw_version(vm, 7), 0);
	ck_assert_int_eq(dp_vm_set_memory(vm, 256ULL << 20, 256ULL << 20), 0);
	ck_assert_int_eq(dp_vm_add_device(vm, edu), 0);
}

static void teardown(void)
{
	vm = dp_vm_unref(vm);
	policy = dp_policy_unref(policy);
	ctx = dp_ctx_unref(ctx);
}

static struct dp_attachment *attach(void)
{
	struct dp_attachment *att = NULL;

	ck_assert_int_eq(dp_attach(policy, vm, NULL, &att), 0);
	ck_assert_uint_eq(dp_attachment_get_vdev_count(att), 1);
	return att;
}

static uint32_t rd32(volatile uint8_t *bar, uint32_t off)
{
	return *(volatile uint32_t *)(bar + off);
}

static void wr32(volatile uint8_t *bar, uint32_t off, uint32_t v)
{
	*(volatile uint32_t *)(bar + off) = v;
}

/* guest.c's */
#define enable_master dp_guest_edu_enable_master
#define edu_dma dp_guest_edu_dma

START_TEST(host_caps_see_the_iommu_and_interrupt_remapping)
{
	struct dp_host_caps caps = { .sz = sizeof(caps) };

	ck_assert_int_eq(dp_ctx_get_host_caps(ctx, &caps), 0);
	ck_assert_uint_eq(caps.iommu_kind, DP_IOMMU_INTEL);
	ck_assert(caps.flags & DP_HOST_IOMMU);
	ck_assert(caps.flags & DP_HOST_IOMMU_GROUPS);
	ck_assert(caps.flags & DP_HOST_IRQ_REMAP);
	ck_assert(caps.flags & DP_HOST_VFIO);
	ck_assert(caps.flags & DP_HOST_VFIO_PCI);
	ck_assert_int_gt(caps.iommu_group_count, 0);
}
END_TEST

START_TEST(inventory_groups_match_the_kernel)
{
	for (size_t i = 0; i < dp_ctx_get_device_count(ctx); i++) {
		struct dp_device *d = dp_ctx_get_device(ctx, i);
		struct dp_device_info info = { .sz = sizeof(info) };
		char path[256], link[256];
		ssize_t n;

		ck_assert_int_eq(dp_device_get_info(d, &info), 0);
		snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/iommu_group",
			 dp_device_get_bdf(d));
		n = readlink(path, link, sizeof(link) - 1);
		ck_assert_int_gt(n, 0);
		link[n] = '\0';
		ck_assert_int_eq(info.iommu_group, atoi(strrchr(link, '/') + 1));
		for (size_t m = 0; m < dp_device_get_group_size(d); m++) {
			snprintf(path, sizeof(path), "/sys/kernel/iommu_groups/%d/devices/%s",
				 info.iommu_group, dp_device_get_group_member(d, m));
			ck_assert_msg(access(path, F_OK) == 0, "%s", path);
		}
	}
}
END_TEST

START_TEST(unmarking_with_apply_gives_the_device_back)
{
	struct dp_device *dev;

	ck_assert_int_eq(dp_ctx_find_device(ctx, edu, &dev), 0);
	ck_assert_int_eq(dp_device_set_passthrough(dev, 0, DP_MARK_APPLY), 0);
	ck_assert_ptr_null(dp_device_get_driver(dev)); /* edu has no host driver */
	ck_assert_ptr_null(dp_device_get_driver_override(dev));
	ck_assert_int_eq(dp_device_set_passthrough(dev, 1, DP_MARK_APPLY), 0);
	ck_assert_str_eq(dp_device_get_driver(dev), "vfio-pci");
	dp_device_unref(dev);
}
END_TEST

START_TEST(attach_reads_the_iommu_and_the_device)
{
	int fds = dp_test_count_fds();
	struct dp_attachment *att = attach();
	struct dp_iommu_info info = { .sz = sizeof(info) };
	struct dp_region_info bar0 = { .sz = sizeof(bar0) }, cfg = { .sz = sizeof(cfg) };
	struct dp_irq_info intx = { .sz = sizeof(intx) }, msi = { .sz = sizeof(msi) };
	struct dp_vdev *v = dp_attachment_get_vdev(att, 0);
	bool msi_hole = false;
	uint16_t vendor;

	ck_assert_int_eq(dp_attachment_get_iommu_info(att, &info), 0);
	ck_assert_uint_eq(info.iova_pgsizes, 0x40201000ULL);
	ck_assert_uint_eq(info.dma_avail, 65535);
	ck_assert_uint_eq(info.n_iova_ranges, 2);
	for (uint32_t i = 0; i < info.n_iova_ranges; i++) {
		uint64_t s, e;

		ck_assert_int_eq(dp_attachment_get_iova_range(att, i, &s, &e), 0);
		if (e == 0xfedfffffULL)
			msi_hole = true;
	}
	ck_assert(msi_hole);
	ck_assert_str_eq(dp_vdev_get_bdf(v), edu);
	ck_assert_uint_eq(dp_vdev_get_region_count(v), 9);
	ck_assert_int_eq(dp_vdev_get_region_info(v, DP_REGION_BAR0, &bar0), 0);
	ck_assert_uint_eq(bar0.size, 1 << 20);
	ck_assert_uint_eq(bar0.flags & (DP_REGION_READ | DP_REGION_WRITE | DP_REGION_MMAP),
			  DP_REGION_READ | DP_REGION_WRITE | DP_REGION_MMAP);
	ck_assert_int_eq(dp_vdev_get_region_info(v, DP_REGION_CONFIG, &cfg), 0);
	ck_assert_uint_eq(cfg.size, 256);
	ck_assert_int_eq(dp_vdev_config_read(v, 0, &vendor, 2), 0);
	ck_assert_uint_eq(vendor, EDU_VENDOR);
	ck_assert_int_eq(dp_vdev_get_irq_info(v, DP_IRQ_INTX, &intx), 0);
	ck_assert_uint_eq(intx.count, 1);
	ck_assert(intx.flags & DP_IRQ_MASKABLE);
	ck_assert_int_eq(dp_vdev_get_irq_info(v, DP_IRQ_MSI, &msi), 0);
	ck_assert_uint_eq(msi.count, 1);
	ck_assert_ptr_null(dp_detach(att));
	ck_assert_int_eq(dp_test_count_fds(), fds); /* every fd closed again */
	/* Detached for good: the group attaches again. */
	att = attach();
	dp_detach(att);
}
END_TEST

START_TEST(a_dma_round_trip_goes_through_the_iommu)
{
	struct dp_attachment *att = attach();
	struct dp_vdev *v = dp_attachment_get_vdev(att, 0);
	uint8_t *src = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint8_t *dst = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	volatile uint8_t *bar;
	void *map;

	ck_assert(src != MAP_FAILED && dst != MAP_FAILED);
	for (int i = 0; i < 4096; i++)
		src[i] = (uint8_t)(i * 7 + 3);
	memset(dst, 0, 4096);
	ck_assert_int_eq(dp_dma_map(att, 0x100000, src, 4096), 0);
	ck_assert_int_eq(dp_dma_map(att, 0x200000, dst, 4096), 0);
	ck_assert_uint_eq(dp_dma_get_mapped(att), 8192);
	ck_assert_int_eq(dp_vdev_map_region(v, DP_REGION_BAR0, &map), 0);
	bar = map;
	ck_assert_uint_eq(rd32(bar, EDU_ID), 0x010000ed);
	wr32(bar, EDU_LIVENESS, 0x12345678);
	ck_assert_uint_eq(rd32(bar, EDU_LIVENESS), ~0x12345678u);
	enable_master(v);
	/* edu aborts QEMU on exactly 4096 bytes (an off-by-one): 4095. */
	edu_dma(bar, 0x100000, EDU_BUF, 4095, 0);
	edu_dma(bar, EDU_BUF, 0x200000, 4095, EDU_DMA_TO_RAM);
	ck_assert_msg(memcmp(src, dst, 4095) == 0, "the round trip changed the data");
	ck_assert_uint_eq(dst[4095], 0);
	dp_detach(att); /* unmaps the BAR and the DMA */
	munmap(src, 4096);
	munmap(dst, 4096);
}
END_TEST

START_TEST(dma_to_an_unmapped_iova_does_not_land)
{
	struct dp_attachment *att = attach();
	struct dp_vdev *v = dp_attachment_get_vdev(att, 0);
	uint8_t *src = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint8_t *dst = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	volatile uint8_t *bar;
	void *map;

	memset(src, 0xab, 4096);
	memset(dst, 0x11, 4096);
	ck_assert_int_eq(dp_dma_map(att, 0x100000, src, 4096), 0);
	ck_assert_int_eq(dp_dma_map(att, 0x200000, dst, 4096), 0);
	ck_assert_int_eq(dp_vdev_map_region(v, DP_REGION_BAR0, &map), 0);
	bar = map;
	enable_master(v);
	edu_dma(bar, 0x100000, EDU_BUF, 256, 0);
	ck_assert_int_eq(dp_dma_unmap(att, 0x200000, 4096), 0);
	edu_dma(bar, EDU_BUF, 0x200000, 256, EDU_DMA_TO_RAM); /* blocked by the IOMMU */
	for (int i = 0; i < 4096; i++)
		ck_assert_msg(dst[i] == 0x11, "byte %d changed: the IOMMU let it through", i);
	dp_detach(att);
	munmap(src, 4096);
	munmap(dst, 4096);
}
END_TEST

START_TEST(msi_arrives_on_the_eventfd)
{
	struct dp_attachment *att = attach();
	struct dp_vdev *v = dp_attachment_get_vdev(att, 0);
	int32_t efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	struct pollfd p = { .fd = efd, .events = POLLIN };
	volatile uint8_t *bar;
	uint64_t n = 0;
	void *map;

	ck_assert_int_ge(efd, 0);
	ck_assert_int_eq(dp_vdev_map_region(v, DP_REGION_BAR0, &map), 0);
	bar = map;
	enable_master(v);
	ck_assert_int_eq(dp_vdev_set_irq_eventfds(v, DP_IRQ_MSI, 0, 1, &efd), 0);
	for (int round = 0; round < 3; round++) {
		wr32(bar, EDU_IRQ_RAISE, 0x1u << round);
		ck_assert_int_eq(poll(&p, 1, 5000), 1);
		ck_assert_int_eq(read(efd, &n, sizeof(n)), sizeof(n));
		ck_assert_uint_ge(n, 1);
		ck_assert_uint_eq(rd32(bar, EDU_IRQ_STATUS), 0x1u << round);
		wr32(bar, EDU_IRQ_ACK, 0x1u << round);
	}
	ck_assert_int_eq(dp_vdev_set_irq_eventfds(v, DP_IRQ_MSI, 0, 0, NULL), 0);
	dp_detach(att);
	close(efd);
}
END_TEST

START_TEST(intx_fires_masks_and_unmasks)
{
	struct dp_attachment *att = attach();
	struct dp_vdev *v = dp_attachment_get_vdev(att, 0);
	int32_t efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	struct pollfd p = { .fd = efd, .events = POLLIN };
	volatile uint8_t *bar;
	uint64_t n;
	void *map;

	ck_assert_int_ge(efd, 0);
	ck_assert_int_eq(dp_vdev_map_region(v, DP_REGION_BAR0, &map), 0);
	bar = map;
	ck_assert_int_eq(dp_vdev_set_irq_eventfds(v, DP_IRQ_INTX, 0, 1, &efd), 0);
	wr32(bar, EDU_IRQ_RAISE, 0x10);
	ck_assert_int_eq(poll(&p, 1, 5000), 1);
	ck_assert_int_eq(read(efd, &n, sizeof(n)), sizeof(n));
	/* INTx is automasked: acknowledge in the device, then unmask. */
	wr32(bar, EDU_IRQ_ACK, 0x10);
	ck_assert_int_eq(dp_vdev_unmask_irq(v, DP_IRQ_INTX, 0), 0);
	/* Masked, a raised interrupt waits; unmasked, it arrives. */
	ck_assert_int_eq(dp_vdev_mask_irq(v, DP_IRQ_INTX, 0), 0);
	wr32(bar, EDU_IRQ_RAISE, 0x20);
	ck_assert_int_eq(poll(&p, 1, 300), 0);
	ck_assert_int_eq(dp_vdev_unmask_irq(v, DP_IRQ_INTX, 0), 0);
	ck_assert_int_eq(poll(&p, 1, 5000), 1);
	ck_assert_int_eq(read(efd, &n, sizeof(n)), sizeof(n));
	wr32(bar, EDU_IRQ_ACK, 0x20);
	/* edu has no MSI-X: its index has no vectors to wire. */
	dp_test_log_expect_err();
	ck_assert_int_eq(dp_vdev_set_irq_eventfds(v, DP_IRQ_MSIX, 0, 1, &efd), -ERANGE);
	ck_assert_ptr_nonnull(strstr(dp_test_log_expect_end(), "irq index 2 has 0 vectors"));
	dp_detach(att); /* disables INTx */
	close(efd);
}
END_TEST

/*
 * Real mode at 0x1000: ds = 0xffff (base 0xffff0), so [0x10] is guest 0x100000,
 * where edu's BAR0 goes: read the ID, write the liveness register, read it back.
 */
static const uint8_t kvm_guest[] = {
	0xb8, 0xff, 0xff,                   /* mov ax, 0xffff */
	0x8e, 0xd8,                         /* mov ds, ax */
	0x66, 0xa1, 0x10, 0x00,             /* mov eax, [0x0010]: ID */
	0x66, 0xe7, 0x10,                   /* out 0x10, eax */
	0x66, 0xb8, 0x78, 0x56, 0x34, 0x12, /* mov eax, 0x12345678 */
	0x66, 0xa3, 0x14, 0x00,             /* mov [0x0014], eax: liveness */
	0x66, 0xa1, 0x14, 0x00,             /* mov eax, [0x0014] */
	0x66, 0xe7, 0x10,                   /* out 0x10, eax */
	0xf4,                               /* hlt */
};

START_TEST(a_kvm_guest_reaches_the_bar_without_exits)
{
	DP_OPTS(dp_attach_opts, opts, .flags = DP_ATTACH_KVM, .memslot_base = 1, .memslot_count = 8);
	struct kvm_userspace_memory_region slot0 = { 0 };
	struct kvm_regs regs = { .rip = 0x1000, .rflags = 2 };
	struct dp_attachment *att = NULL;
	struct kvm_sregs sregs;
	struct kvm_run *run;
	uint32_t out[2];
	int kvm, vmfd, vcpu, n_out = 0, mmio = 0, size;
	uint8_t *ram;

	kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	ck_assert_int_ge(kvm, 0);
	vmfd = ioctl(kvm, KVM_CREATE_VM, 0);
	ck_assert_int_ge(vmfd, 0);
	ram = mmap(NULL, 0x10000, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	memcpy(ram + 0x1000, kvm_guest, sizeof(kvm_guest));
	slot0.memory_size = 0x10000;
	slot0.userspace_addr = (uint64_t)(uintptr_t)ram;
	ck_assert_int_eq(ioctl(vmfd, KVM_SET_USER_MEMORY_REGION, &slot0), 0);
	opts.kvm_vm_fd = vmfd;
	ck_assert_int_eq(dp_attach(policy, vm, &opts, &att), 0); /* groups join the KVM-VFIO device */
	ck_assert_int_eq(dp_vdev_map_bar(dp_attachment_get_vdev(att, 0), 0, 0x100000), 0);
	vcpu = ioctl(vmfd, KVM_CREATE_VCPU, 0);
	ck_assert_int_ge(vcpu, 0);
	size = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	run = mmap(NULL, (size_t)size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
	ck_assert(run != MAP_FAILED);
	ck_assert_int_eq(ioctl(vcpu, KVM_GET_SREGS, &sregs), 0);
	sregs.cs.base = 0;
	sregs.cs.selector = 0;
	ck_assert_int_eq(ioctl(vcpu, KVM_SET_SREGS, &sregs), 0);
	ck_assert_int_eq(ioctl(vcpu, KVM_SET_REGS, &regs), 0);
	for (int exits = 0; exits < 64; exits++) {
		ck_assert_int_eq(ioctl(vcpu, KVM_RUN, 0), 0);
		if (run->exit_reason == KVM_EXIT_HLT)
			break;
		if (run->exit_reason == KVM_EXIT_IO && n_out < 2)
			memcpy(&out[n_out++], (uint8_t *)run + run->io.data_offset, 4);
		else if (run->exit_reason == KVM_EXIT_MMIO)
			mmio++;
		else
			ck_abort_msg("unexpected exit %u", run->exit_reason);
	}
	ck_assert_int_eq(n_out, 2);
	ck_assert_int_eq(mmio, 0); /* the direct path: no exit for the BAR */
	ck_assert_uint_eq(out[0], 0x010000ed);
	ck_assert_uint_eq(out[1], ~0x12345678u);
	ck_assert_int_eq(dp_vdev_unmap_bar(dp_attachment_get_vdev(att, 0), 0), 0);
	dp_detach(att);
	munmap(run, (size_t)size);
	close(vcpu);
	close(vmfd);
	close(kvm);
	munmap(ram, 0x10000);
}
END_TEST

START_TEST(map_edge_cases_meet_the_kernel)
{
	struct dp_attachment *att = attach();
	size_t big = 8 << 20;
	uint8_t *mem = mmap(NULL, big, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct dp_dma_range pieces[4];

	ck_assert(mem != MAP_FAILED);
	ck_assert_int_eq(DP_TEST_EXPECT_ERR(dp_dma_map(att, 0xfee00000ULL, mem, 4096), "MSI window"), -EINVAL);
	ck_assert_int_eq(DP_TEST_EXPECT_ERR(dp_dma_map(att, 0x1000, mem + 1, 4096), "not aligned"), -EINVAL);
	ck_assert_int_eq(DP_TEST_EXPECT_ERR(dp_dma_map(att, 0x1000, mem, 0), "empty"), -EINVAL);
	ck_assert_int_eq(DP_TEST_EXPECT_ERR(dp_dma_map(att, UINT64_MAX & ~0xfffULL, mem, 8192), "wraps"), -EINVAL);
	/* Four contiguous 2 MiB pieces: one IOMMU mapping. */
	for (int i = 0; i < 4; i++)
		pieces[i] = (struct dp_dma_range){ 0x1000000ULL + i * (2 << 20),
						   (uint64_t)(uintptr_t)(mem + i * (2 << 20)), 2 << 20 };
	ck_assert_int_eq(dp_dma_map_ranges(att, pieces, 4), 0);
	ck_assert_uint_eq(dp_dma_get_map_calls(att), 1);
	ck_assert_int_eq(DP_TEST_EXPECT_ERR(dp_dma_map(att, 0x1200000ULL, mem, 4096), "overlaps"), -EEXIST);
	/* Splitting the kernel's mapping in the middle, then the rest. */
	ck_assert_int_eq(dp_dma_unmap(att, 0x1200000ULL, 2 << 20), 0);
	ck_assert_uint_eq(dp_dma_get_mapped(att), 6 << 20);
	ck_assert_int_eq(DP_TEST_EXPECT_ERR(dp_dma_unmap(att, 0x1000000ULL, 8 << 20), "not all"), -ENOENT);
	ck_assert_int_eq(dp_dma_unmap(att, 0x1000000ULL, 2 << 20), 0);
	ck_assert_int_eq(dp_dma_unmap(att, 0x1400000ULL, 4 << 20), 0);
	ck_assert_uint_eq(dp_dma_get_mapped(att), 0);
	dp_detach(att);
	munmap(mem, big);
}
END_TEST

/* Drops CAP_IPC_LOCK, so that RLIMIT_MEMLOCK counts for this process. */
#define drop_ipc_lock dp_guest_drop_ipc_lock

START_TEST(memlock_is_checked_before_pinning)
{
	struct rlimit rl = { 1 << 20, 1 << 20 };
	struct dp_attachment *att;
	uint8_t *mem = mmap(NULL, 4 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	ck_assert(mem != MAP_FAILED);
	ck_assert_int_eq(setrlimit(RLIMIT_MEMLOCK, &rl), 0);
	drop_ipc_lock();
	att = attach();
	ck_assert_int_eq(dp_dma_map(att, 0x100000, mem, 512 << 10), 0);
	ck_assert_int_eq(DP_TEST_EXPECT_ERR(dp_dma_map(att, 0x400000, mem + (1 << 20), 2 << 20),
				    "above RLIMIT_MEMLOCK (1024 KiB)"), -ENOMEM);
	ck_assert_uint_eq(dp_dma_get_mapped(att), 512 << 10);
	dp_detach(att);
	munmap(mem, 4 << 20);
}
END_TEST

START_TEST(a_second_vm_cannot_take_a_leased_device)
{
	struct dp_attachment *att = attach(), *other = (struct dp_attachment *)0x1;
	struct dp_vm *vm2;
	pid_t pid;
	int status;

	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		int r;

		dp_ctx_set_log_fn(ctx, NULL, NULL);
		dp_vm_new(ctx, "intruder", &vm2);
		dp_vm_set_hw_version(vm2, 7);
		dp_vm_set_memory(vm2, 1 << 20, 1 << 20);
		dp_vm_add_device(vm2, edu);
		r = dp_attach(policy, vm2, NULL, &other);
		_exit(r == -EPERM ? 0 : 1); /* the policy sees the lease: device-leased */
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "a second VM attached");
	dp_detach(att);
}
END_TEST

/* A busy group: the error names the device and the process that holds the group. */
START_TEST(a_group_held_by_another_process_names_the_device_and_the_holder)
{
	struct dp_attachment *att = (struct dp_attachment *)0x1;
	struct dp_device_info info = { .sz = sizeof(info) };
	struct dp_device *dev = NULL;
	int ready[2], release[2], status;
	char path[64], want[256], c;
	const char *errs;
	pid_t pid;

	ck_assert_int_eq(dp_ctx_find_device(ctx, edu, &dev), 0);
	ck_assert_int_eq(dp_device_get_info(dev, &info), 0);
	dp_device_unref(dev);
	snprintf(path, sizeof(path), "/dev/vfio/%d", info.iommu_group);
	ck_assert_int_eq(pipe(ready), 0);
	ck_assert_int_eq(pipe(release), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		int fd;

		/* Only the parent's end may keep release open: its close (or death) frees us. */
		close(release[1]);
		close(ready[0]);
		prctl(PR_SET_NAME, "dp-holder");
		fd = open(path, O_RDWR | O_CLOEXEC);
		c = fd >= 0 ? 'y' : 'n';
		if (write(ready[1], &c, 1) != 1 || read(release[0], &c, 1) < 0)
			_exit(2);
		_exit(fd >= 0 ? 0 : 1); /* the group is closed as it exits */
	}
	close(ready[1]);
	close(release[0]);
	ck_assert_int_eq(read(ready[0], &c, 1), 1);
	ck_assert_msg(c == 'y', "the child could not open %s", path);

	dp_test_log_expect_err();
	ck_assert_int_eq(dp_attach(policy, vm, NULL, &att), -EBUSY);
	errs = dp_test_log_expect_end();
	ck_assert_ptr_eq(att, (struct dp_attachment *)0x1);
	snprintf(want, sizeof(want), "%s: IOMMU group %d: %s: %s; held by pid %ld (dp-holder)",
		 edu, info.iommu_group, path, strerror(EBUSY), (long)pid);
	ck_assert_msg(strstr(errs, want), "no \"%s\" in: %s", want, errs);

	close(release[1]);
	close(ready[0]);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	dp_detach(attach()); /* released: the group opens again */
}
END_TEST

static void write_param(const char *value)
{
	FILE *f = fopen("/sys/module/vfio_iommu_type1/parameters/dma_entry_limit", "w");

	ck_assert_ptr_nonnull(f);
	ck_assert_int_ge(fputs(value, f), 0);
	ck_assert_int_eq(fclose(f), 0);
}

/* The LAPIC's IRR bit of vector v, read with KVM_GET_LAPIC. */
static bool irr_set(int vcpu, unsigned v)
{
	struct kvm_lapic_state st;
	uint32_t irr;

	ck_assert_int_eq(ioctl(vcpu, KVM_GET_LAPIC, &st), 0);
	memcpy(&irr, st.regs + 0x200 + (v / 32) * 0x10, 4);
	return irr & (1u << (v % 32));
}

START_TEST(msi_reaches_the_kvm_guests_lapic_through_irqfd)
{
	DP_OPTS(dp_attach_opts, opts, .flags = DP_ATTACH_KVM, .memslot_base = 1,
		.memslot_count = 8, .gsi_base = 32, .gsi_count = 8);
	struct dp_attachment *att = NULL;
	struct kvm_lapic_state st;
	struct dp_vdev *v;
	volatile uint8_t *bar;
	void *map;
	int kvm, vmfd, vcpu, tries;
	uint32_t svr = 0x1ff; /* APIC software-enabled, spurious vector 0xff */

	kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	ck_assert_int_ge(kvm, 0);
	vmfd = ioctl(kvm, KVM_CREATE_VM, 0);
	ck_assert_int_ge(vmfd, 0);
	ck_assert_int_eq(ioctl(vmfd, KVM_CREATE_IRQCHIP, 0), 0);
	vcpu = ioctl(vmfd, KVM_CREATE_VCPU, 0);
	ck_assert_int_ge(vcpu, 0);
	ck_assert_int_eq(ioctl(vcpu, KVM_GET_LAPIC, &st), 0);
	memcpy(st.regs + 0xf0, &svr, 4);
	ck_assert_int_eq(ioctl(vcpu, KVM_SET_LAPIC, &st), 0);
	ck_assert(!irr_set(vcpu, 0x41));

	opts.kvm_vm_fd = vmfd;
	ck_assert_int_eq(dp_attach(policy, vm, &opts, &att), 0);
	v = dp_attachment_get_vdev(att, 0);
	ck_assert_int_eq(dp_vdev_map_region(v, DP_REGION_BAR0, &map), 0);
	bar = map;
	enable_master(v);
	/* What a guest would program: destination APIC 0, fixed, vector 0x41. */
	ck_assert_int_eq(dp_vdev_route_msi(v, DP_IRQ_MSI, 0, 0xfee00000ULL, 0x41), 0);
	wr32(bar, EDU_IRQ_RAISE, 1);
	for (tries = 0; tries < 500 && !irr_set(vcpu, 0x41); tries++)
		usleep(10000);
	ck_assert_msg(irr_set(vcpu, 0x41), "the MSI never reached the LAPIC");
	wr32(bar, EDU_IRQ_ACK, 1);
	/* Re-routed by the guest to vector 0x42. */
	ck_assert_int_eq(dp_vdev_route_msi(v, DP_IRQ_MSI, 0, 0xfee00000ULL, 0x42), 0);
	wr32(bar, EDU_IRQ_RAISE, 2);
	for (tries = 0; tries < 500 && !irr_set(vcpu, 0x42); tries++)
		usleep(10000);
	ck_assert_msg(irr_set(vcpu, 0x42), "the re-routed MSI never arrived");
	wr32(bar, EDU_IRQ_ACK, 2);
	ck_assert_int_eq(dp_vdev_unroute_msi(v, DP_IRQ_MSI, 0), 0);
	ck_assert_int_eq(dp_vdev_unroute_msi(v, DP_IRQ_MSI, 0), -EINVAL);
	ck_assert_int_eq(dp_vdev_route_msi(v, DP_IRQ_MSI, 0, 0xfee00000ULL, 0x43), 0);
	dp_detach(att); /* unroutes and closes what is left */
	close(vcpu);
	close(vmfd);
	close(kvm);
}
END_TEST

/* The IOAPIC's pending bit of pin, read with KVM_GET_IRQCHIP. */
static bool ioapic_pending(int vmfd, unsigned pin)
{
	struct kvm_irqchip chip = { .chip_id = KVM_IRQCHIP_IOAPIC };

	ck_assert_int_eq(ioctl(vmfd, KVM_GET_IRQCHIP, &chip), 0);
	return chip.chip.ioapic.irr & (1u << pin);
}

START_TEST(intx_reaches_the_kvm_guests_ioapic_through_irqfd)
{
	DP_OPTS(dp_attach_opts, opts, .flags = DP_ATTACH_KVM, .memslot_base = 1, .memslot_count = 8);
	struct dp_attachment *att = NULL;
	struct dp_vdev *v;
	volatile uint8_t *bar;
	void *map;
	int kvm, vmfd, tries, fds;

	kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	ck_assert_int_ge(kvm, 0);
	vmfd = ioctl(kvm, KVM_CREATE_VM, 0);
	ck_assert_int_ge(vmfd, 0);
	ck_assert_int_eq(ioctl(vmfd, KVM_CREATE_IRQCHIP, 0), 0);
	ck_assert(!ioapic_pending(vmfd, 10));
	opts.kvm_vm_fd = vmfd;
	fds = dp_test_count_fds();
	ck_assert_int_eq(dp_attach(policy, vm, &opts, &att), 0);
	v = dp_attachment_get_vdev(att, 0);
	ck_assert_int_eq(dp_vdev_map_region(v, DP_REGION_BAR0, &map), 0);
	bar = map;
	ck_assert_int_eq(dp_vdev_route_intx(v, 10), 0);
	dp_test_log_expect_err();
	ck_assert_int_eq(dp_vdev_route_intx(v, 11), -EBUSY);
	dp_test_log_expect_end();
	wr32(bar, EDU_IRQ_RAISE, 4); /* MSI is off: edu asserts INTx */
	for (tries = 0; tries < 500 && !ioapic_pending(vmfd, 10); tries++)
		usleep(10000);
	ck_assert_msg(ioapic_pending(vmfd, 10), "INTx never reached IOAPIC pin 10");
	wr32(bar, EDU_IRQ_ACK, 4);
	ck_assert_int_eq(dp_vdev_unroute_intx(v), 0);
	ck_assert_int_eq(dp_vdev_unroute_intx(v), -EINVAL);
	ck_assert_int_eq(dp_vdev_route_intx(v, 10), 0);
	dp_detach(att); /* unroutes it */
	ck_assert_int_eq(dp_test_count_fds(), fds);
	close(vmfd);
	close(kvm);
}
END_TEST

START_TEST(the_kernels_mapping_budget_is_enforced_before_asking)
{
	uint8_t *mem = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct dp_iommu_info info = { .sz = sizeof(info) };
	struct dp_dma_range r[5];
	struct dp_attachment *att;

	write_param("4"); /* a new container's budget: 4 mappings */
	att = attach();
	write_param("65535");
	ck_assert_int_eq(dp_attachment_get_iommu_info(att, &info), 0);
	ck_assert_uint_eq(info.dma_avail, 4);
	for (int i = 0; i < 5; i++) /* apart in IOVA: five mappings */
		r[i] = (struct dp_dma_range){ (uint64_t)i << 24, (uint64_t)(uintptr_t)(mem + i * 4096), 4096 };
	ck_assert_int_eq(DP_TEST_EXPECT_ERR(dp_dma_map_ranges(att, r, 5), "allows only 4 more"), -ENOSPC);
	ck_assert_uint_eq(dp_dma_get_map_calls(att), 0); /* refused before the kernel was asked */
	ck_assert_int_eq(dp_dma_map_ranges(att, r, 4), 0);
	ck_assert_int_eq(dp_attachment_get_iommu_info(att, &info), 0);
	ck_assert_uint_eq(info.dma_avail, 0);
	ck_assert_int_eq(DP_TEST_EXPECT_ERR(dp_dma_map_ranges(att, &r[4], 1), "allows only 0 more"), -ENOSPC);
	ck_assert_int_eq(dp_dma_unmap(att, 0, 4096), 0);
	ck_assert_int_eq(dp_dma_map_ranges(att, &r[4], 1), 0);
	dp_detach(att);
	munmap(mem, 1 << 20);
}
END_TEST

/* Attach, map 2 MiB, map BAR0, detach: every kernel call of the backend's life. */
static int run_once(uint8_t *mem)
{
	struct dp_attachment *att = NULL;
	void *bar;
	int r = dp_attach(policy, vm, NULL, &att);

	if (r < 0)
		return r;
	r = dp_dma_map(att, 0x100000, mem, 2 << 20);
	if (r == 0)
		r = dp_vdev_map_region(dp_attachment_get_vdev(att, 0), DP_REGION_BAR0, &bar);
	dp_detach(att);
	return r;
}

START_TEST(every_kernel_call_failing_once_leaves_nothing_behind)
{
	uint8_t *mem = mmap(NULL, 2 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char lease[96];
	long total, failed = 0, ioctls = 0;
	int fds;

	ck_assert(mem != MAP_FAILED);
	snprintf(lease, sizeof(lease), "/tmp/dp-run/lease-%s", edu);
	fds = dp_test_count_fds();
	dp_fault_arm(0, 0);
	ck_assert_int_eq(run_once(mem), 0);
	total = dp_fault_disarm();
	ck_assert_int_gt(total, 10);
	for (long n = 1; n <= total; n++) {
		int r;

		dp_test_log_reset();
		dp_test_log_expect_err();
		dp_fault_arm(n, EIO);
		r = run_once(mem);
		dp_fault_disarm();
		dp_test_log_expect_end();
		failed += r < 0;
		/* A VFIO call that fails is never swallowed: an error returned, or a warning. */
		if (strcmp(dp_fault_failed_kind(), "ioctl") == 0 &&
		    _IOC_TYPE(dp_fault_failed_request()) == VFIO_TYPE) {
			ioctls++;
			ck_assert_msg(r < 0 || dp_test_warned(),
				      "call %ld of %ld (VFIO ioctl %#lx) failed silently", n, total,
				      dp_fault_failed_request());
		}
		ck_assert_msg(dp_test_count_fds() == fds, "call %ld of %ld failing leaked %d fds", n, total,
			      dp_test_count_fds() - fds);
		ck_assert_msg(access(lease, F_OK) != 0, "call %ld failing left the lease", n);
		/* Nothing half-done: the same VM attaches and maps again at once. */
		ck_assert_msg(run_once(mem) == 0, "after call %ld of %ld failed, a clean run failed",
			      n, total);
	}
	ck_assert_int_gt(ioctls, 10);
	ck_assert_int_gt(failed, ioctls / 2);
	munmap(mem, 2 << 20);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("vfio");
	TCase *tc = tcase_create("vfio");

	dp_guest_require_vfio();
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, host_caps_see_the_iommu_and_interrupt_remapping);
	tcase_add_test(tc, inventory_groups_match_the_kernel);
	tcase_add_test(tc, unmarking_with_apply_gives_the_device_back);
	tcase_add_test(tc, attach_reads_the_iommu_and_the_device);
	tcase_add_test(tc, a_dma_round_trip_goes_through_the_iommu);
	tcase_add_test(tc, dma_to_an_unmapped_iova_does_not_land);
	tcase_add_test(tc, msi_arrives_on_the_eventfd);
	tcase_add_test(tc, intx_fires_masks_and_unmasks);
	tcase_add_test(tc, a_kvm_guest_reaches_the_bar_without_exits);
	tcase_add_test(tc, msi_reaches_the_kvm_guests_lapic_through_irqfd);
	tcase_add_test(tc, intx_reaches_the_kvm_guests_ioapic_through_irqfd);
	tcase_add_test(tc, map_edge_cases_meet_the_kernel);
	tcase_add_test(tc, memlock_is_checked_before_pinning);
	tcase_add_test(tc, a_second_vm_cannot_take_a_leased_device);
	tcase_add_test(tc, a_group_held_by_another_process_names_the_device_and_the_holder);
	tcase_add_test(tc, the_kernels_mapping_budget_is_enforced_before_asking);
	tcase_add_test(tc, every_kernel_call_failing_once_leaves_nothing_behind);
	suite_add_tcase(s, tc);
	return dp_test_run(s);
}
