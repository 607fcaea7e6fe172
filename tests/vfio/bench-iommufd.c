/* SPDX-License-Identifier: MIT */
/*
 * The iommufd backend against type1 on the same edu, side by side in one run
 * in the tests/vm guest with the iommufd kernel (run-in-guest --kernel
 * iommufd: Linux 6.12 has /dev/iommu, the device's cdev and the type1
 * container at once; edu on vfio-pci):
 *  - attach: dp_attach of a VM with the edu until it returns (leases, the
 *    backend's objects, the device), then dp_detach, timed apart;
 *  - DMA-ready: dp_dma_map of 64 MiB and of 1 GiB of guest RAM (GPA = IOVA
 *    from 0) until it returns, on an attachment made untimed before; the
 *    RAM is allocated and prefaulted once, in 4 KiB pages (the pinning
 *    worst case: no huge page to batch) and, where the kernel has them, in
 *    transparent huge pages, and each map is undone by dp_dma_unmap.
 * Each pair runs in turn, the backend that goes first alternating; prints
 * the medians and the median of the pairs' ratios, iommufd over type1
 * (which the host's other load moves least); asserts no time. Checks that
 * each attachment uses the backend it asked for (dp_attachment_get_backend).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <directpath/directpath.h>

#include "bench.h"

#define ATTACH_REPS 21
#define SMALL (64ULL << 20)
#define SMALL_REPS 15
#define LARGE (1ULL << 30)
#define LARGE_REPS 11
#define MAX_REPS 21
#define HUGE (2ULL << 20)
#define SPARE (256ULL << 20) /* What the guest needs beside the RAM. */

enum { TYPE1, IOMMUFD, N_BACKENDS };
static const uint32_t backend_of[N_BACKENDS] = { DP_BACKEND_TYPE1, DP_BACKEND_IOMMUFD };

static struct dp_ctx *ctx;
static struct dp_policy *policy;
static struct dp_vm *vm;

static void die(const char *what, int r)
{
	fprintf(stderr, "bench-iommufd: %s: %s\n", what, strerror(r < 0 ? -r : r));
	exit(1);
}

/* A permissive policy (edu is on no list, and run-in-guest bound it, unmarked) and a VM with the edu. */
static void setup(void)
{
	DP_OPTS(dp_ctx_opts, o, .driverctl_dir = "/tmp/dp-driverctl", .run_dir = "/tmp/dp-run",
		.config_dir = "/tmp/dp-etc", .data_dir = "/nonexistent");
	char edu[32] = "";
	int r;

	if ((r = dp_ctx_new(&o, &ctx)) < 0 || (r = dp_ctx_scan(ctx)) < 0)
		die("context", r);
	for (size_t i = 0; i < dp_ctx_get_device_count(ctx) && !edu[0]; i++) {
		struct dp_device *d = dp_ctx_get_device(ctx, i);
		struct dp_device_info info = { .sz = sizeof(info) };

		if (dp_device_get_info(d, &info) == 0 && info.vendor_id == 0x1234 &&
		    info.device_id == 0x11e8)
			snprintf(edu, sizeof(edu), "%s", dp_device_get_bdf(d));
	}
	if (!edu[0])
		die("no edu", ENODEV);
	if ((r = dp_policy_new(ctx, &policy)) < 0 ||
	    (r = dp_policy_set(policy, "unlisted_devices", "allow")) < 0 ||
	    (r = dp_policy_set(policy, "require_marked", "no")) < 0 ||
	    (r = dp_vm_new(ctx, "bench", &vm)) < 0 || (r = dp_vm_set_hw_version(vm, 7)) < 0 ||
	    (r = dp_vm_set_memory(vm, LARGE, LARGE)) < 0 || (r = dp_vm_add_device(vm, edu)) < 0)
		die("policy and VM", r);
}

/* dp_attach with the backend b; dies unless the attachment reports b. */
static struct dp_attachment *attach(int b, double *us)
{
	DP_OPTS(dp_attach_opts, ao, .backend = backend_of[b]);
	struct dp_attachment *att = NULL;
	const char *why = NULL;
	double t0 = dp_bench_now_us();
	int r = dp_attach(policy, vm, &ao, &att);

	if (us)
		*us = dp_bench_now_us() - t0;
	if (r < 0)
		die(b == IOMMUFD ? "dp_attach with iommufd" : "dp_attach with type1", r);
	if (dp_attachment_get_backend(att, &why) != backend_of[b]) {
		fprintf(stderr, "bench-iommufd: asked for %s, the attachment uses %s (%s)\n",
			dp_backend_name(backend_of[b]),
			dp_backend_name(dp_attachment_get_backend(att, &why)), why ? why : "?");
		exit(1);
	}
	return att;
}

/* Prints one comparison: medians of each backend, median of the pairs' ratios. */
static void print(const char *name, double (*t)[N_BACKENDS], int reps, const char *what)
{
	double v[N_BACKENDS][MAX_REPS], ratio[MAX_REPS];

	for (int i = 0; i < reps; i++) {
		v[TYPE1][i] = t[i][TYPE1];
		v[IOMMUFD][i] = t[i][IOMMUFD];
		ratio[i] = t[i][IOMMUFD] / t[i][TYPE1];
	}
	printf("%s: iommufd %.2f ms, type1 %.2f ms, ratio %.2f (%s; median of %d pairs, iommufd/type1)\n",
	       name, dp_bench_median(v[IOMMUFD], (size_t)reps) / 1000,
	       dp_bench_median(v[TYPE1], (size_t)reps) / 1000, dp_bench_median(ratio, (size_t)reps),
	       what, reps);
	fflush(stdout);
}

static void measure_attach(void)
{
	double at[MAX_REPS][N_BACKENDS], de[MAX_REPS][N_BACKENDS];

	for (int b = 0; b < N_BACKENDS; b++) /* untimed: the page cache, the kernel's first opens */
		dp_detach(attach(b, NULL));
	for (int i = 0; i < ATTACH_REPS; i++) {
		for (int k = 0; k < N_BACKENDS; k++) {
			int b = (i + k) % N_BACKENDS; /* each first in turn */
			struct dp_attachment *att = attach(b, &at[i][b]);
			double t0 = dp_bench_now_us();

			dp_detach(att);
			de[i][b] = dp_bench_now_us() - t0;
		}
	}
	print("backend-attach", at, ATTACH_REPS, "dp_attach of one edu until it returns");
	print("backend-detach", de, ATTACH_REPS, "dp_detach of it");
}

/* A line "KEY: N kB" of /proc/meminfo, in bytes; 0 when it has none. */
static unsigned long long meminfo(const char *key)
{
	FILE *f = fopen("/proc/meminfo", "re");
	unsigned long long kb = 0;
	size_t n = strlen(key);
	char line[256];

	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, key, n) && line[n] == ':' &&
		    sscanf(line + n + 1, "%llu kB", &kb) == 1)
			break;
	if (f)
		fclose(f);
	return kb << 10;
}

/*
 * The guest RAM, prefaulted; huge: THP, else 4 KiB pages; NULL with a reason
 * when it cannot be had. *in_huge: how much of it THP backs.
 */
static uint8_t *ram_new(bool huge, const char **why, unsigned long long *in_huge)
{
	unsigned long long before = meminfo("AnonHugePages"), after;
	uint8_t *raw, *p;

	raw = mmap(NULL, LARGE + HUGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (raw == MAP_FAILED) {
		*why = strerror(errno);
		return NULL;
	}
	/* Aligned to 2 MiB, so that every 2 MiB of it can be one huge page. */
	p = (uint8_t *)(((uintptr_t)raw + HUGE - 1) & ~(uintptr_t)(HUGE - 1));
	if (p > raw)
		munmap(raw, (size_t)(p - raw));
	munmap(p + LARGE, (size_t)(raw + HUGE - p));
	if (madvise(p, LARGE, huge ? MADV_HUGEPAGE : MADV_NOHUGEPAGE) < 0) {
		*why = huge ? "MADV_HUGEPAGE refused: this kernel has no transparent huge pages" :
			      strerror(errno);
		munmap(p, LARGE);
		return NULL;
	}
	for (uint64_t off = 0; off < LARGE; off += 4096) /* prefault, as a guest's first use */
		((volatile uint8_t *)p)[off] = 1;
	after = meminfo("AnonHugePages");
	*in_huge = after > before ? after - before : 0;
	return p;
}

/* Microseconds of dp_dma_map of size bytes of ram with backend b (attach and unmap untimed). */
static double map_run(int b, uint8_t *ram, uint64_t size)
{
	struct dp_attachment *att = attach(b, NULL);
	double t0 = dp_bench_now_us(), t;
	int r = dp_dma_map(att, 0, ram, size);

	t = dp_bench_now_us() - t0;
	if (r < 0)
		die(b == IOMMUFD ? "dp_dma_map with iommufd" : "dp_dma_map with type1", r);
	if (dp_dma_get_mapped(att) != size)
		die("dp_dma_map left a different size mapped", EIO);
	if ((r = dp_dma_unmap(att, 0, size)) < 0)
		die("dp_dma_unmap", r);
	dp_detach(att);
	return t;
}

static void measure_ready(uint8_t *ram, const char *pages, unsigned long long in_huge,
			  uint64_t size, int reps)
{
	double t[MAX_REPS][N_BACKENDS];
	char name[64], what[128];

	for (int i = 0; i < reps; i++)
		for (int k = 0; k < N_BACKENDS; k++) {
			int b = (i + k) % N_BACKENDS;

			t[i][b] = map_run(b, ram, size);
		}
	snprintf(name, sizeof(name), "backend-dma-ready %s %s", size == LARGE ? "1GiB" : "64MiB",
		 pages);
	snprintf(what, sizeof(what), "dp_dma_map of %s of prefaulted guest RAM in %s pages "
		 "(%llu MiB of 1 GiB huge) until it returns", size == LARGE ? "1 GiB" : "64 MiB",
		 pages, in_huge >> 20);
	print(name, t, reps, what);
}

int main(void)
{
	static const struct { bool huge; const char *name; } kinds[] = { { false, "4KiB" }, { true, "THP" } };
	unsigned long long avail;
	int rc = 0;

	if (geteuid() != 0 || access("/dev/vfio/vfio", F_OK) != 0) {
		fprintf(stderr, "bench-iommufd: needs VFIO (run through tests/vm/run-in-guest --kernel iommufd)\n");
		return DP_BENCH_SKIP;
	}
	if (access("/dev/iommu", F_OK) != 0) {
		fprintf(stderr, "bench-iommufd: no /dev/iommu: this kernel has no iommufd "
			"(run through tests/vm/run-in-guest --kernel iommufd)\n");
		return DP_BENCH_SKIP;
	}
	setup();
	measure_attach();
	avail = meminfo("MemAvailable");
	if (avail < LARGE + SPARE) {
		printf("backend-dma-ready: not measured: %llu MiB of memory available, %llu MiB needed "
		       "(run-in-guest --memory)\n", avail >> 20, (LARGE + SPARE) >> 20);
		rc = 1;
	}
	for (size_t k = 0; rc == 0 && k < sizeof(kinds) / sizeof(kinds[0]); k++) {
		const char *why = NULL;
		unsigned long long in_huge = 0;
		uint8_t *ram = ram_new(kinds[k].huge, &why, &in_huge);

		if (!ram) {
			printf("backend-dma-ready %s: not measured: %s\n", kinds[k].name, why);
			continue;
		}
		measure_ready(ram, kinds[k].name, in_huge, SMALL, SMALL_REPS);
		measure_ready(ram, kinds[k].name, in_huge, LARGE, LARGE_REPS);
		munmap(ram, LARGE);
	}
	dp_vm_unref(vm);
	dp_policy_unref(policy);
	dp_ctx_unref(ctx);
	return rc;
}
