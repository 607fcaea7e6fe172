/* SPDX-License-Identifier: MIT */
#include <check.h>
#include <errno.h>
#include <linux/capability.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "guest.h"
#include "testlog.h"

void dp_guest_require_vfio(void)
{
	if (geteuid() != 0 || access("/dev/vfio/vfio", F_OK) != 0) {
		printf("1..0 # SKIP needs VFIO with an IOMMU (run through tests/vm/run-in-guest)\n");
		exit(0);
	}
}

void dp_guest_require_kvm(void)
{
	if (access("/dev/kvm", R_OK | W_OK) != 0) {
		printf("1..0 # SKIP no /dev/kvm in the guest\n");
		exit(0);
	}
}

struct dp_ctx *dp_guest_ctx(void)
{
	DP_OPTS(dp_ctx_opts, o, .log_fn = dp_test_log_fn, .driverctl_dir = "/tmp/dp-driverctl",
		.run_dir = "/tmp/dp-run", .config_dir = "/tmp/dp-etc", .data_dir = "/nonexistent");
	struct dp_ctx *ctx;

	dp_test_log_reset();
	ck_assert_int_eq(dp_ctx_new(&o, &ctx), 0);
	ck_assert_int_eq(dp_ctx_set_log_priority(ctx, LOG_DEBUG), 0);
	return ctx;
}

size_t dp_guest_find_edu(struct dp_ctx *ctx, char (*bdfs)[DP_GUEST_BDF_MAX], int *groups,
			 size_t max)
{
	size_t n = 0;

	ck_assert_int_ge(dp_ctx_scan(ctx), 1);
	for (size_t i = 0; i < dp_ctx_get_device_count(ctx) && n < max; i++) {
		struct dp_device *d = dp_ctx_get_device(ctx, i);
		struct dp_device_info info = { .sz = sizeof(info) };

		ck_assert_int_eq(dp_device_get_info(d, &info), 0);
		if (info.vendor_id != DP_EDU_VENDOR || info.device_id != DP_EDU_DEVICE)
			continue;
		snprintf(bdfs[n], DP_GUEST_BDF_MAX, "%s", dp_device_get_bdf(d));
		if (groups)
			groups[n] = info.iommu_group;
		n++;
	}
	return n;
}

void dp_guest_mark(struct dp_ctx *ctx, const char *bdf)
{
	struct dp_device *dev;

	ck_assert_int_eq(dp_ctx_find_device(ctx, bdf, &dev), 0);
	ck_assert_int_eq(dp_device_set_passthrough(dev, 1, DP_MARK_APPLY), 0);
	ck_assert_str_eq(dp_device_get_driver(dev), "vfio-pci");
	dp_device_unref(dev);
}

static void guest_write_attr(const char *bdf, const char *attr, const char *value)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "/sys/bus/pci/%s%s%s", bdf ? "devices/" : "", bdf ? bdf : "",
		 attr);
	f = fopen(path, "we");
	ck_assert_msg(f != NULL, "%s: %s", path, strerror(errno));
	ck_assert_int_ge(fputs(value, f), 0);
	ck_assert_msg(fclose(f) == 0, "%s <- %s: %s", path, value, strerror(errno));
}

void dp_guest_bind_driver(const char *bdf, const char *driver)
{
	char path[256];

	guest_write_attr(bdf, "/driver_override", driver);
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver", bdf);
	if (access(path, F_OK) == 0)
		guest_write_attr(bdf, "/driver/unbind", bdf);
	guest_write_attr(NULL, "drivers_probe", bdf);
}

struct dp_policy *dp_guest_policy(struct dp_ctx *ctx)
{
	struct dp_policy *p;

	ck_assert_int_eq(dp_policy_new(ctx, &p), 0);
	ck_assert_int_eq(dp_policy_set(p, "unlisted_devices", "allow"), 0);
	return p;
}

#define EDU_DMA_SRC 0x80
#define EDU_DMA_DST 0x88
#define EDU_DMA_COUNT 0x90
#define EDU_DMA_CMD 0x98
#define EDU_DMA_START 0x1
#define PCI_COMMAND 0x04
#define PCI_COMMAND_MASTER 0x4

void dp_guest_edu_enable_master(struct dp_vdev *v)
{
	uint16_t cmd;

	ck_assert_int_eq(dp_vdev_config_read(v, PCI_COMMAND, &cmd, 2), 0);
	cmd |= PCI_COMMAND_MASTER;
	ck_assert_int_eq(dp_vdev_config_write(v, PCI_COMMAND, &cmd, 2), 0);
}

void dp_guest_edu_dma(volatile uint8_t *bar, uint64_t src, uint64_t dst, uint32_t count,
		      uint32_t cmd)
{
	struct timespec ts = { 0, 10 * 1000 * 1000 };

	*(volatile uint64_t *)(bar + EDU_DMA_SRC) = src;
	*(volatile uint64_t *)(bar + EDU_DMA_DST) = dst;
	*(volatile uint64_t *)(bar + EDU_DMA_COUNT) = count;
	*(volatile uint64_t *)(bar + EDU_DMA_CMD) = cmd | EDU_DMA_START;
	for (int i = 0; i < 1000 && (*(volatile uint32_t *)(bar + EDU_DMA_CMD) & EDU_DMA_START); i++)
		nanosleep(&ts, NULL);
	ck_assert_msg(!(*(volatile uint32_t *)(bar + EDU_DMA_CMD) & EDU_DMA_START),
		      "edu DMA did not finish");
}

void dp_guest_edu_round_trip(struct dp_vdev *v, uint64_t src, const uint8_t *src_hva,
			     uint64_t dst, uint8_t *dst_hva, uint32_t len)
{
	void *map;

	ck_assert_uint_lt(len, 4096); /* QEMU 7.2's edu aborts on exactly 4096 */
	ck_assert_int_eq(dp_vdev_map_region(v, DP_REGION_BAR0, &map), 0);
	dp_guest_edu_enable_master(v);
	memset(dst_hva, 0, len);
	dp_guest_edu_dma(map, src, DP_EDU_BUF, len, 0);
	dp_guest_edu_dma(map, DP_EDU_BUF, dst, len, DP_EDU_DMA_TO_RAM);
	ck_assert_msg(memcmp(src_hva, dst_hva, len) == 0, "%s: the DMA round trip changed the data",
		      dp_vdev_get_bdf(v));
}

void dp_guest_drop_ipc_lock(void)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2];

	ck_assert_int_eq(syscall(SYS_capget, &h, d), 0);
	d[0].effective &= ~(1u << CAP_IPC_LOCK);
	d[0].permitted &= ~(1u << CAP_IPC_LOCK);
	d[0].inheritable &= ~(1u << CAP_IPC_LOCK);
	ck_assert_int_eq(syscall(SYS_capset, &h, d), 0);
}
