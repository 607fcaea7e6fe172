/* SPDX-License-Identifier: MIT */
/*
 * Mapping a 256 MiB guest for DMA in 2 MiB pieces, through the library and
 * through a raw VFIO_IOMMU_MAP_DMA loop over the same pieces, in one run in
 * the tests/vm guest (--bind none): host memory contiguous (the library
 * coalesces) and fragmented (it cannot). Prints times, ratios and the
 * number of MAP_DMA calls; asserts no time.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/vfio.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <directpath/directpath.h>

#include "bench.h"

#define GUEST (256ULL << 20)
#define PIECE (2ULL << 20)
#define PIECES (GUEST / PIECE)
#define REPS 7

static struct dp_ctx *ctx;
static struct dp_policy *policy;
static struct dp_vm *vm;
static char edu[32];
static int group = -1;

static void die(const char *what, int r)
{
	fprintf(stderr, "bench-dma: %s: %s\n", what, strerror(r < 0 ? -r : r));
	exit(1);
}

static void setup(void)
{
	DP_OPTS(dp_ctx_opts, o, .driverctl_dir = "/tmp/dp-driverctl", .run_dir = "/tmp/dp-run",
		.config_dir = "/tmp/dp-etc", .data_dir = "/nonexistent");
	struct dp_device *dev = NULL;
	int r;

	if ((r = dp_ctx_new(&o, &ctx)) < 0 || (r = dp_ctx_scan(ctx)) < 0)
		die("context", r);
	for (size_t i = 0; i < dp_ctx_get_device_count(ctx); i++) {
		struct dp_device *d = dp_ctx_get_device(ctx, i);
		struct dp_device_info info = { .sz = sizeof(info) };

		dp_device_get_info(d, &info);
		if (info.vendor_id == 0x1234 && info.device_id == 0x11e8) {
			snprintf(edu, sizeof(edu), "%s", dp_device_get_bdf(d));
			group = info.iommu_group;
		}
	}
	if (!edu[0])
		die("no edu", ENODEV);
	if ((r = dp_ctx_find_device(ctx, edu, &dev)) < 0 ||
	    (r = dp_device_set_passthrough(dev, 1, DP_MARK_APPLY)) < 0)
		die("mark", r);
	dp_device_unref(dev);
	if ((r = dp_policy_new(ctx, &policy)) < 0 || (r = dp_policy_set(policy, "unlisted_devices", "allow")) < 0 ||
	    (r = dp_vm_new(ctx, "bench", &vm)) < 0)
		die("policy", r);
	dp_vm_set_hw_version(vm, 7);
	dp_vm_set_memory(vm, GUEST, GUEST);
	dp_vm_add_device(vm, edu);
}

/* The raw peer: a container and the group by hand, then one MAP_DMA per piece. */
static double raw_run(const struct dp_dma_range *pieces, uint64_t *calls)
{
	char path[64];
	int c = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC), g;
	double t0, t1;

	snprintf(path, sizeof(path), "/dev/vfio/%d", group);
	g = open(path, O_RDWR | O_CLOEXEC);
	if (c < 0 || g < 0 || ioctl(g, VFIO_GROUP_SET_CONTAINER, &c) < 0 ||
	    ioctl(c, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU) < 0)
		die("raw container", errno);
	t0 = dp_bench_now_us();
	for (size_t i = 0; i < PIECES; i++) {
		struct vfio_iommu_type1_dma_map m = {
			.argsz = sizeof(m),
			.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE,
			.vaddr = pieces[i].hva, .iova = pieces[i].gpa, .size = pieces[i].size,
		};

		if (ioctl(c, VFIO_IOMMU_MAP_DMA, &m) < 0)
			die("raw MAP_DMA", errno);
	}
	t1 = dp_bench_now_us();
	*calls = PIECES;
	{
		struct vfio_iommu_type1_dma_unmap u = { .argsz = sizeof(u), .iova = 0, .size = GUEST };

		if (ioctl(c, VFIO_IOMMU_UNMAP_DMA, &u) < 0 || u.size != GUEST)
			die("raw UNMAP_DMA", errno);
	}
	ioctl(g, VFIO_GROUP_UNSET_CONTAINER);
	close(g);
	close(c);
	return t1 - t0;
}

static double lib_run(const struct dp_dma_range *pieces, uint64_t *calls)
{
	struct dp_attachment *att = NULL;
	double t0, t1;
	int r = dp_attach(policy, vm, NULL, &att);

	if (r < 0)
		die("attach", r);
	t0 = dp_bench_now_us();
	r = dp_dma_map_ranges(att, pieces, PIECES);
	t1 = dp_bench_now_us();
	if (r < 0)
		die("dp_dma_map_ranges", r);
	*calls = dp_dma_get_map_calls(att);
	dp_detach(att);
	return t1 - t0;
}

static void measure(const char *name, const struct dp_dma_range *pieces)
{
	double lib[REPS], raw[REPS];
	uint64_t lib_calls = 0, raw_calls = 0;

	for (int i = 0; i < REPS; i++) { /* side by side, each first in turn */
		if (i % 2) {
			lib[i] = lib_run(pieces, &lib_calls);
			raw[i] = raw_run(pieces, &raw_calls);
		} else {
			raw[i] = raw_run(pieces, &raw_calls);
			lib[i] = lib_run(pieces, &lib_calls);
		}
	}
	printf("dma-map %s: library %.1f ms (%llu MAP_DMA), raw loop %.1f ms (%llu MAP_DMA), "
	       "ratio %.3f (256 MiB in 2 MiB pieces, median of %d)\n",
	       name, dp_bench_median(lib, REPS) / 1000, (unsigned long long)lib_calls,
	       dp_bench_median(raw, REPS) / 1000, (unsigned long long)raw_calls,
	       dp_bench_median(lib, REPS) / dp_bench_median(raw, REPS), REPS);
}

int main(void)
{
	struct dp_dma_range pieces[PIECES];
	uint8_t *mem;

	if (geteuid() != 0 || access("/dev/vfio/vfio", F_OK) != 0) {
		fprintf(stderr, "bench-dma: needs VFIO (run through tests/vm/run-in-guest)\n");
		return 77;
	}
	setup();
	mem = mmap(NULL, GUEST, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE,
		   -1, 0);
	if (mem == MAP_FAILED)
		die("mmap", errno);
	for (size_t i = 0; i < PIECES; i++) /* host memory in guest order */
		pieces[i] = (struct dp_dma_range){ i * PIECE, (uint64_t)(uintptr_t)(mem + i * PIECE), PIECE };
	measure("contiguous", pieces);
	for (size_t i = 0; i < PIECES; i++) /* every other piece swapped with its neighbour */
		pieces[i].hva = (uint64_t)(uintptr_t)(mem + (i ^ 1) * PIECE);
	measure("fragmented", pieces);
	munmap(mem, GUEST);
	dp_vm_unref(vm);
	dp_policy_unref(policy);
	dp_ctx_unref(ctx);
	return 0;
}
