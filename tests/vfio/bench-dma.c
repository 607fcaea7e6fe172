/* SPDX-License-Identifier: MIT */
/*
 * Mapping a 256 MiB guest for DMA in 2 MiB pieces, through the library and
 * through a raw VFIO_IOMMU_MAP_DMA loop over the same pieces, in one run in
 * the tests/vm guest (--bind none): host memory contiguous (the library
 * coalesces) and fragmented (it cannot). Then a 1 GiB guest RAM made ready
 * for DMA (allocated, touched, and dp_dma_map'ed whole) three ways: 4 KiB
 * pages, transparent huge pages, and a hugetlbfs memfd of 2 MiB pages when
 * the kernel has them reserved (run-in-guest --append hugepages=512).
 * Prints times, ratios and the number of MAP_DMA calls; asserts no time.
 * Writes the DMA-ready medians, in nanoseconds per GiB, as the dma-costs
 * file that directpath check reads (directpath-report(5)): to the path given
 * as its argument, or CONFIG_DIR/dma-costs of a default context.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/vfio.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <directpath/directpath.h>

#include "bench.h"

#define GUEST (256ULL << 20)
#define PIECE (2ULL << 20)
#define PIECES (GUEST / PIECE)
#define REPS 7

/* The guest RAM made ready for DMA, and the page size of the two huge ways. */
#define RAM (1ULL << 30)
#define HUGE (2ULL << 20)
#define RAM_REPS 5
#define RAM_SPARE (128ULL << 20) /* What else the guest needs meanwhile. */
#define HUGETLB_SYSFS "/sys/kernel/mm/hugepages/hugepages-2048kB"
#define THP_SYSFS "/sys/kernel/mm/transparent_hugepage/enabled"
#ifndef MFD_HUGE_2MB
#define MFD_HUGE_2MB (21U << 26) /* As linux/memfd.h has it: log2 of the size at bit 26. */
#endif

static struct dp_ctx *ctx;
static struct dp_policy *policy;
static struct dp_vm *vm, *ram_vm;
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
	/* The same device, in a VM as large as the RAM made DMA-ready below. */
	if ((r = dp_vm_new(ctx, "bench-ram", &ram_vm)) < 0)
		die("vm", r);
	dp_vm_set_hw_version(ram_vm, 7);
	dp_vm_set_memory(ram_vm, RAM, RAM);
	dp_vm_add_device(ram_vm, edu);
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

/* What backs the guest RAM. */
enum backing { BACK_4K, BACK_THP, BACK_HUGETLB, N_BACKINGS };

static const char *const backing_name[N_BACKINGS] = { "4k", "thp", "hugetlbfs" };
static const char *const backing_what[N_BACKINGS] = {
	"anonymous 4 KiB pages (MADV_NOHUGEPAGE)",
	"anonymous transparent huge pages (MADV_HUGEPAGE)",
	"hugetlbfs memfd (MFD_HUGETLB, 2 MiB pages)",
};

/* One run: microseconds to DMA-ready and in its two steps; bytes in huge pages. */
struct ready {
	double total, touch, map;
	uint64_t huge;
};

/* Reads the first line of a sysfs or procfs file; false when it cannot be read. */
static bool read_text(const char *path, char *buf, size_t size)
{
	FILE *f = fopen(path, "re");
	bool ok = f && fgets(buf, (int)size, f);

	if (f)
		fclose(f);
	return ok;
}

/* Why 1 GiB of hugetlbfs pages cannot be had here, into why; false when it can. */
static bool hugetlb_missing(char *why, size_t size)
{
	char buf[64];
	long free_pages, total;

	if (!read_text(HUGETLB_SYSFS "/free_hugepages", buf, sizeof(buf)) ||
	    sscanf(buf, "%ld", &free_pages) != 1 ||
	    !read_text(HUGETLB_SYSFS "/nr_hugepages", buf, sizeof(buf)) ||
	    sscanf(buf, "%ld", &total) != 1) {
		snprintf(why, size, "this kernel has no 2 MiB hugetlbfs pages (no %s)",
			 HUGETLB_SYSFS);
		return true;
	}
	if ((unsigned long long)free_pages < RAM / HUGE) {
		snprintf(why, size, "%ld of %ld reserved 2 MiB huge pages free, %llu needed; "
			 "reserve them with hugepages=%llu on the kernel command line",
			 free_pages, total, RAM / HUGE, RAM / HUGE);
		return true;
	}
	return false;
}

/* Why THP cannot back the RAM here, into why; false when it can. */
static bool thp_missing(char *why, size_t size)
{
	char buf[128];

	if (!read_text(THP_SYSFS, buf, sizeof(buf))) {
		snprintf(why, size, "this kernel has no transparent huge pages (no %s)", THP_SYSFS);
		return true;
	}
	if (strstr(buf, "[never]")) {
		buf[strcspn(buf, "\n")] = '\0';
		snprintf(why, size, "transparent huge pages are off (%s: %s)", THP_SYSFS, buf);
		return true;
	}
	return false;
}

/* Bytes of huge pages behind the mapping holding addr (AnonHugePages or hugetlbfs), from smaps. */
static uint64_t huge_bytes(const void *addr)
{
	FILE *f = fopen("/proc/self/smaps", "re");
	uintptr_t a = (uintptr_t)addr;
	unsigned long long kb = 0, v;
	bool in = false;
	char line[512];

	if (!f)
		die("/proc/self/smaps", errno);
	while (fgets(line, sizeof(line), f)) {
		unsigned long start, end;

		if (sscanf(line, "%lx-%lx ", &start, &end) == 2) {
			if (in)
				break;
			in = start <= a && a < end;
			continue;
		}
		if (in && (sscanf(line, "AnonHugePages: %llu kB", &v) == 1 ||
			   sscanf(line, "Shared_Hugetlb: %llu kB", &v) == 1 ||
			   sscanf(line, "Private_Hugetlb: %llu kB", &v) == 1))
			kb += v;
	}
	fclose(f);
	return kb << 10;
}

/* The RAM, mapped but not touched; NULL with errno set. */
static uint8_t *ram_alloc(enum backing b, int *memfd)
{
	const int prot = PROT_READ | PROT_WRITE;
	uint8_t *p = MAP_FAILED, *raw;

	*memfd = -1;
	switch (b) {
	case BACK_4K:
		p = mmap(NULL, RAM, prot, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		/* The guest kernel's THP is "always": 4 KiB pages must be asked for. */
		if (p != MAP_FAILED && madvise(p, RAM, MADV_NOHUGEPAGE) < 0)
			die("madvise(MADV_NOHUGEPAGE)", errno);
		break;
	case BACK_THP:
		/* Aligned to 2 MiB, so that every 2 MiB of it can be one huge page. */
		raw = mmap(NULL, RAM + HUGE, prot, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (raw == MAP_FAILED)
			break;
		p = (uint8_t *)(((uintptr_t)raw + HUGE - 1) & ~(uintptr_t)(HUGE - 1));
		if (p > raw)
			munmap(raw, (size_t)(p - raw));
		munmap(p + RAM, (size_t)(raw + HUGE - p)); /* Never empty: p - raw < HUGE. */
		if (madvise(p, RAM, MADV_HUGEPAGE) < 0)
			die("madvise(MADV_HUGEPAGE)", errno);
		break;
	case BACK_HUGETLB:
		*memfd = memfd_create("bench-dma-ram", MFD_CLOEXEC | MFD_HUGETLB | MFD_HUGE_2MB);
		if (*memfd < 0)
			return NULL;
		if (ftruncate(*memfd, (off_t)RAM) == 0)
			p = mmap(NULL, RAM, prot, MAP_SHARED, *memfd, 0);
		if (p == MAP_FAILED) {
			int e = errno;

			close(*memfd);
			*memfd = -1;
			errno = e;
		}
		break;
	case N_BACKINGS:
		break;
	}
	return p == MAP_FAILED ? NULL : p;
}

/* One write per 4 KiB page: every page faulted in, as a guest's first use would. */
static void touch(uint8_t *p)
{
	volatile uint8_t *v = p;

	for (uint64_t off = 0; off < RAM; off += 4096)
		v[off] = 1;
}

/* Allocation, touching and dp_dma_map of the whole RAM, timed; 0 or -errno of the allocation. */
static int ready_run(enum backing b, struct ready *out)
{
	struct dp_attachment *att = NULL;
	double t0, t1, t2;
	uint8_t *p;
	int fd, r = dp_attach(policy, ram_vm, NULL, &att);

	if (r < 0)
		die("attach", r);
	t0 = dp_bench_now_us();
	p = ram_alloc(b, &fd);
	if (!p) {
		r = -errno;
		dp_detach(att);
		return r;
	}
	touch(p);
	t1 = dp_bench_now_us();
	r = dp_dma_map(att, 0, p, RAM);
	t2 = dp_bench_now_us();
	if (r < 0)
		die("dp_dma_map of the 1 GiB RAM", r);
	*out = (struct ready){ t2 - t0, t1 - t0, t2 - t1, huge_bytes(p) };
	if ((r = dp_dma_unmap(att, 0, RAM)) < 0)
		die("dp_dma_unmap of the 1 GiB RAM", r);
	dp_detach(att);
	munmap(p, RAM);
	if (fd >= 0)
		close(fd);
	return 0;
}

/* Why the 1 GiB RAM does not fit beside the rest, into why; false when it does. */
static bool memory_short(char *why, size_t size)
{
	FILE *f = fopen("/proc/meminfo", "re");
	unsigned long long kb = 0;
	char line[256];
	bool found = false;

	while (f && !found && fgets(line, sizeof(line), f))
		found = sscanf(line, "MemAvailable: %llu kB", &kb) == 1;
	if (f)
		fclose(f);
	if (!found) {
		snprintf(why, size, "no MemAvailable in /proc/meminfo");
		return true;
	}
	if ((kb << 10) < RAM + RAM_SPARE) {
		snprintf(why, size, "%llu MiB of memory available, %llu MiB needed "
			 "(run-in-guest --memory; huge pages reserved come out of it)",
			 kb >> 10, (RAM + RAM_SPARE) >> 20);
		return true;
	}
	return false;
}

/* The DMA-ready medians in µs per GiB (RAM is 1 GiB), by backing; 0: not measured. */
static double ready_median[N_BACKINGS];

static void measure_ready(void)
{
	double total[N_BACKINGS][RAM_REPS], touched[N_BACKINGS][RAM_REPS], mapped[N_BACKINGS][RAM_REPS];
	uint64_t huge_min[N_BACKINGS];
	char why[N_BACKINGS][256] = { "" };
	bool skip[N_BACKINGS] = { false };
	double base = 0;

	if (memory_short(why[0], sizeof(why[0]))) {
		for (int b = 0; b < N_BACKINGS; b++)
			printf("dma-ready %s: not measured: %s\n", backing_name[b], why[0]);
		return;
	}
	skip[BACK_THP] = thp_missing(why[BACK_THP], sizeof(why[BACK_THP]));
	skip[BACK_HUGETLB] = hugetlb_missing(why[BACK_HUGETLB], sizeof(why[BACK_HUGETLB]));
	for (int b = 0; b < N_BACKINGS; b++)
		huge_min[b] = UINT64_MAX;
	for (int i = 0; i < RAM_REPS; i++) { /* Each way first in turn. */
		for (int k = 0; k < N_BACKINGS; k++) {
			enum backing b = (enum backing)((i + k) % N_BACKINGS);
			struct ready r = { 0 };
			int e;

			if (skip[b])
				continue;
			e = ready_run(b, &r);
			if (e < 0) {
				if (b == BACK_4K)
					die("allocating the 1 GiB RAM", e);
				skip[b] = true;
				snprintf(why[b], sizeof(why[b]), "allocating it failed: %s%s", strerror(-e),
					 b == BACK_HUGETLB ? " (huge pages reserved but not enough free?)" : "");
				continue;
			}
			total[b][i] = r.total;
			touched[b][i] = r.touch;
			mapped[b][i] = r.map;
			/* The fewest huge pages any run got, so a partly huge run shows. */
			if (r.huge < huge_min[b])
				huge_min[b] = r.huge;
		}
	}
	for (int b = 0; b < N_BACKINGS; b++) {
		double t;

		if (skip[b]) {
			printf("dma-ready %s: not measured: %s\n", backing_name[b], why[b]);
			continue;
		}
		t = dp_bench_median(total[b], RAM_REPS);
		ready_median[b] = t;
		if (b == BACK_4K)
			base = t;
		printf("dma-ready %s: 1 GiB of %s, %llu MiB of it in huge pages, median of %d: "
		       "%.1f ms to DMA-ready (allocate + touch %.1f ms, dp_dma_map %.1f ms), ratio %.3f\n",
		       backing_name[b], backing_what[b], (unsigned long long)(huge_min[b] >> 20),
		       RAM_REPS, t / 1000, dp_bench_median(touched[b], RAM_REPS) / 1000,
		       dp_bench_median(mapped[b], RAM_REPS) / 1000, t / base);
	}
}

/* The dma-costs file: "PAGE = NS" per measured backing, written whole or not at all. */
static void write_costs(const char *path)
{
	char tmp[4096 + 8];
	FILE *f;

	snprintf(tmp, sizeof(tmp), "%.4096s.tmp", path);
	/* The config directory may not exist yet: make it (one level, as the admin would). */
	{
		char dir[4096], *slash;

		snprintf(dir, sizeof(dir), "%s", path);
		slash = strrchr(dir, '/');
		if (slash && slash != dir) {
			*slash = '\0';
			if (mkdir(dir, 0755) < 0 && errno != EEXIST)
				printf("dma-costs: %s: %s\n", dir, strerror(errno));
		}
	}
	f = fopen(tmp, "we");
	if (!f) {
		printf("dma-costs: not written: %s: %s\n", tmp, strerror(errno));
		return;
	}
	fprintf(f, "# bench-dma: nanoseconds to make 1 GiB of guest RAM DMA-ready (allocate, touch, dp_dma_map)\n");
	for (int b = 0; b < N_BACKINGS; b++)
		if (ready_median[b] > 0)
			fprintf(f, "%s = %llu\n", backing_name[b],
				(unsigned long long)(ready_median[b] * 1000 + 0.5));
	if (fclose(f) != 0 || rename(tmp, path) != 0) {
		printf("dma-costs: not written: %s: %s\n", path, strerror(errno));
		unlink(tmp);
		return;
	}
	printf("dma-costs: written to %s\n", path);
}

int main(int argc, char **argv)
{
	struct dp_dma_range pieces[PIECES];
	char costs[4096];
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
	measure_ready();
	if (argc > 1) {
		snprintf(costs, sizeof(costs), "%s", argv[1]);
	} else {
		struct dp_ctx *dflt = NULL;

		if (dp_ctx_new(NULL, &dflt) < 0)
			die("a default context for the dma-costs path", -ENOMEM);
		snprintf(costs, sizeof(costs), "%s/dma-costs", dp_ctx_get_config_dir(dflt));
		dp_ctx_unref(dflt);
	}
	write_costs(costs);
	dp_vm_unref(ram_vm);
	dp_vm_unref(vm);
	dp_policy_unref(policy);
	dp_ctx_unref(ctx);
	return 0;
}
