/* SPDX-License-Identifier: MIT */
/*
 * dp_attach + dp_detach of a VM with one edu against the raw VFIO sequence
 * that does the same work, alternating in one run in the tests/vm guest
 * (--bind none): container, type1v2, group, IOMMU info, device fd, region
 * and interrupt queries, reset where the device has one, and the teardown.
 * The library side goes through the public API only: once with a context
 * that lives across attaches (a VMM that attaches again), once with a new
 * context, policy and VM each time (a VMM that starts). Prints the medians
 * and the median of the ratios of the runs made side by side (which the
 * host's other load moves least); asserts no time.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/vfio.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <directpath/directpath.h>

#include "bench.h"

#define REPS 21
#define EDU_VENDOR 0x1234
#define EDU_DEVICE 0x11e8

static char edu[32];
static int group = -1;

static void die(const char *what, int r)
{
	fprintf(stderr, "bench-attach: %s: %s\n", what, strerror(r < 0 ? -r : r));
	exit(1);
}

static int new_ctx(struct dp_ctx **ctx)
{
	DP_OPTS(dp_ctx_opts, o, .driverctl_dir = "/tmp/dp-driverctl", .run_dir = "/tmp/dp-run",
		.config_dir = "/tmp/dp-etc", .data_dir = "/nonexistent");

	return dp_ctx_new(&o, ctx);
}

/* A policy that accepts edu, which no compatibility list names, and a VM with it. */
static int new_vm(struct dp_ctx *ctx, struct dp_policy **policy, struct dp_vm **vm)
{
	int r;

	if ((r = dp_policy_new(ctx, policy)) < 0)
		return r;
	if ((r = dp_policy_set(*policy, "unlisted_devices", "allow")) < 0 ||
	    (r = dp_vm_new(ctx, "bench", vm)) < 0) {
		*policy = dp_policy_unref(*policy);
		return r;
	}
	dp_vm_set_hw_version(*vm, 7);
	dp_vm_set_memory(*vm, 256ULL << 20, 256ULL << 20);
	r = dp_vm_add_device(*vm, edu);
	if (r < 0) {
		*vm = dp_vm_unref(*vm);
		*policy = dp_policy_unref(*policy);
	}
	return r;
}

/* Finds edu, marks it and binds it to vfio-pci, as "directpath mark --now" does. */
static void setup(void)
{
	struct dp_device *dev = NULL;
	struct dp_ctx *ctx;
	int r;

	if ((r = new_ctx(&ctx)) < 0 || (r = dp_ctx_scan(ctx)) < 0)
		die("context", r);
	for (size_t i = 0; i < dp_ctx_get_device_count(ctx); i++) {
		struct dp_device *d = dp_ctx_get_device(ctx, i);
		struct dp_device_info info = { .sz = sizeof(info) };

		if (dp_device_get_info(d, &info) == 0 && info.vendor_id == EDU_VENDOR &&
		    info.device_id == EDU_DEVICE) {
			snprintf(edu, sizeof(edu), "%s", dp_device_get_bdf(d));
			group = info.iommu_group;
			break;
		}
	}
	if (!edu[0] || group < 0)
		die("no edu in an IOMMU group", ENODEV);
	if ((r = dp_ctx_find_device(ctx, edu, &dev)) < 0 ||
	    (r = dp_device_set_passthrough(dev, 1, DP_MARK_APPLY)) < 0)
		die("mark", r);
	dp_device_unref(dev);
	dp_ctx_unref(ctx);
}

/* An info ioctl whose answer may need more room (capability chains), as the library asks it. */
static void info_ioctl(int fd, unsigned long req, size_t size, uint32_t index, const char *what)
{
	uint32_t argsz = (uint32_t)size;

	for (int tries = 0; tries < 4; tries++) {
		uint32_t *buf = calloc(1, argsz);

		if (!buf)
			die(what, ENOMEM);
		buf[0] = argsz;
		if (req != VFIO_IOMMU_GET_INFO)
			buf[2] = index; /* region and irq info: argsz, flags, index */
		if (ioctl(fd, req, buf) < 0) {
			int e = errno;

			free(buf);
			if (e == EINVAL && req != VFIO_IOMMU_GET_INFO)
				return; /* an index the device does not have */
			die(what, e);
		}
		if (buf[0] <= argsz) {
			free(buf);
			return;
		}
		argsz = buf[0];
		free(buf);
	}
}

/* The raw peer: what dp_attach and dp_detach do through VFIO, by hand. */
static double raw_run(void)
{
	struct vfio_group_status st = { .argsz = sizeof(st) };
	struct vfio_device_info di = { .argsz = sizeof(di) };
	struct vfio_iommu_type1_dma_unmap u = { .argsz = sizeof(u), .flags = VFIO_DMA_UNMAP_FLAG_ALL };
	double t0 = dp_bench_now_us();
	char path[64];
	int c, g, d;

	c = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);
	if (c < 0 || ioctl(c, VFIO_GET_API_VERSION) != VFIO_API_VERSION ||
	    ioctl(c, VFIO_CHECK_EXTENSION, VFIO_TYPE1v2_IOMMU) <= 0)
		die("raw container", errno);
	snprintf(path, sizeof(path), "/dev/vfio/%d", group);
	g = open(path, O_RDWR | O_CLOEXEC);
	if (g < 0 || ioctl(g, VFIO_GROUP_GET_STATUS, &st) < 0 ||
	    !(st.flags & VFIO_GROUP_FLAGS_VIABLE))
		die("raw group", errno);
	if (ioctl(g, VFIO_GROUP_SET_CONTAINER, &c) < 0 ||
	    ioctl(c, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU) < 0)
		die("raw type1v2", errno);
	info_ioctl(c, VFIO_IOMMU_GET_INFO, sizeof(struct vfio_iommu_type1_info), 0, "raw IOMMU info");
	d = ioctl(g, VFIO_GROUP_GET_DEVICE_FD, edu);
	if (d < 0 || ioctl(d, VFIO_DEVICE_GET_INFO, &di) < 0)
		die("raw device", errno);
	for (uint32_t i = 0; i < di.num_regions && i < VFIO_PCI_NUM_REGIONS; i++)
		info_ioctl(d, VFIO_DEVICE_GET_REGION_INFO, sizeof(struct vfio_region_info), i,
			   "raw region info");
	for (uint32_t i = 0; i < di.num_irqs && i < VFIO_PCI_NUM_IRQS; i++)
		info_ioctl(d, VFIO_DEVICE_GET_IRQ_INFO, sizeof(struct vfio_irq_info), i,
			   "raw irq info");
	if ((di.flags & VFIO_DEVICE_FLAGS_RESET) && ioctl(d, VFIO_DEVICE_RESET) < 0)
		die("raw reset", errno);
	close(d);
	if (ioctl(c, VFIO_CHECK_EXTENSION, VFIO_UNMAP_ALL) > 0 &&
	    ioctl(c, VFIO_IOMMU_UNMAP_DMA, &u) < 0)
		die("raw unmap all", errno);
	if (ioctl(g, VFIO_GROUP_UNSET_CONTAINER) < 0)
		die("raw unset container", errno);
	close(g);
	close(c);
	return dp_bench_now_us() - t0;
}

/* The library with a context, policy and VM that live across attaches. */
static double lib_run(struct dp_policy *policy, struct dp_vm *vm)
{
	struct dp_attachment *att = NULL;
	double t0 = dp_bench_now_us();
	int r = dp_attach(policy, vm, NULL, &att);

	if (r < 0)
		die("dp_attach", r);
	dp_detach(att);
	return dp_bench_now_us() - t0;
}

/* The library as a VMM starting: a new context, policy and VM, then attach and detach. */
static double lib_cold_run(void)
{
	struct dp_attachment *att = NULL;
	struct dp_policy *policy;
	struct dp_ctx *ctx;
	struct dp_vm *vm;
	double t0 = dp_bench_now_us();
	int r;

	if ((r = new_ctx(&ctx)) < 0 || (r = new_vm(ctx, &policy, &vm)) < 0)
		die("context", r);
	r = dp_attach(policy, vm, NULL, &att);
	if (r < 0)
		die("dp_attach", r);
	dp_detach(att);
	dp_vm_unref(vm);
	dp_policy_unref(policy);
	dp_ctx_unref(ctx);
	return dp_bench_now_us() - t0;
}

static void print(const char *name, double *lib, double *raw)
{
	double ratio[REPS];

	for (int i = 0; i < REPS; i++)
		ratio[i] = lib[i] / raw[i];
	printf("%s: library %.2f ms raw %.2f ms ratio %.2f (median of %d)\n", name,
	       dp_bench_median(lib, REPS) / 1000, dp_bench_median(raw, REPS) / 1000,
	       dp_bench_median(ratio, REPS), REPS);
}

int main(void)
{
	double lib[REPS], cold[REPS], raw[REPS], raw2[REPS];
	struct dp_policy *policy;
	struct dp_ctx *ctx;
	struct dp_vm *vm;
	int r;

	if (geteuid() != 0 || access("/dev/vfio/vfio", F_OK) != 0) {
		fprintf(stderr, "bench-attach: needs VFIO (run through tests/vm/run-in-guest)\n");
		return 77;
	}
	setup();
	if ((r = new_ctx(&ctx)) < 0 || (r = new_vm(ctx, &policy, &vm)) < 0)
		die("context", r);
	/* One of each first, untimed: the page cache and the kernel's first opens. */
	raw_run();
	lib_run(policy, vm);
	lib_cold_run();
	for (int i = 0; i < REPS; i++) { /* side by side, each first in turn */
		if (i % 2) {
			lib[i] = lib_run(policy, vm);
			raw[i] = raw_run();
			cold[i] = lib_cold_run();
			raw2[i] = raw_run();
		} else {
			raw[i] = raw_run();
			lib[i] = lib_run(policy, vm);
			raw2[i] = raw_run();
			cold[i] = lib_cold_run();
		}
	}
	print("attach-detach", lib, raw);
	print("attach-detach new context", cold, raw2);
	dp_vm_unref(vm);
	dp_policy_unref(policy);
	dp_ctx_unref(ctx);
	return 0;
}
