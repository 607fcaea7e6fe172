/* SPDX-License-Identifier: MIT */
/*
 * The cost of one guest access to a device BAR on this machine's /dev/kvm,
 * with a memfd standing in for the BAR: (a) the direct path, the BAR in a
 * memory slot the library maps, and (b) the trapped path, no slot, each
 * access exiting as KVM_EXIT_MMIO for this program to answer from (or store
 * into) the memfd as a VMM does. A real-mode loop makes N and then 10 N
 * dword accesses, unrolled UNROLL to an iteration; a run's time (KVM_RUN to
 * hlt) holds fixed costs (entering the guest, its setup, the OUT and the
 * hlt) that the slope between the two counts leaves out: one access costs
 * (t(10 N) - t(N)) / 9 N, each t the median of REPS runs, all interleaved.
 * Reads, then writes; each prints the slopes, the MMIO exits and the ratio
 * trapped / direct. On this machine's paravirtual KVM every guest
 * instruction is emulated (~1 us), so a direct access costs what any
 * instruction does and bounds the ratio. Never asserts a time: fails only
 * when the guest sees a wrong value, does not halt, or the direct path takes
 * an MMIO exit.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "bench.h"
#include "kvm.h"
#include "kvmvm.h"

#define NAME "bench-bar"
#define RAM_SIZE 0x10000
#define CODE 0x1000
#define BAR_GPA 0x80000
#define BAR_SIZE 0x1000
#define UNROLL 8           /* dword accesses per loop iteration, at 0, 4, ... 28 */
#define N 1000             /* accesses of the short run; the long one makes 10 N */
#define REPS 15
#define SLOT_BASE 10
#define GOAL 20.0          /* trapped / direct per access, printed, not asserted */

_Static_assert(N % UNROLL == 0, "N is a whole number of iterations");

enum { DIRECT, TRAPPED, PATHS };

/* One path's runs of one kind of access. */
struct path {
	double t[2][REPS];     /* us per run: N, then 10 N accesses */
	unsigned exits[2][2];  /* fewest and most MMIO exits per run, for each count */
};

/*
 * Assembles the real-mode program at CODE: ds = 0x8000 (base BAR_GPA);
 * iters iterations of UNROLL dword reads (edx += each) or writes (of edx,
 * then edx + 1); eax = edx OUT to port 0x10; hlt. Reads add up to
 * value * accesses; writes leave value + iters - 1 in each dword and OUT
 * value + iters.
 */
static void program(uint8_t *p, bool write, uint32_t iters, uint32_t value)
{
	static const uint8_t head[] = {
		0xb8, 0x00, 0x80,                 /* mov ax, 0x8000 */
		0x8e, 0xd8,                       /* mov ds, ax */
		0x66, 0xba, 0, 0, 0, 0,           /* mov edx, imm32 (at 7) */
		0x66, 0xb9, 0, 0, 0, 0,           /* mov ecx, imm32 (at 13) */
	};
	static const uint8_t out[] = {
		0x66, 0x89, 0xd0,                 /* mov eax, edx */
		0x66, 0xe7, 0x10,                 /* out 0x10, eax */
		0xf4,                             /* hlt */
	};
	uint32_t edx = write ? value : 0;
	size_t n = sizeof(head);

	memcpy(p, head, sizeof(head));
	memcpy(p + 7, &edx, 4);
	memcpy(p + 13, &iters, 4);
	for (unsigned i = 0; i < UNROLL; i++) {
		/* mov [4 i], edx or add edx, [4 i] (disp16) */
		const uint8_t access[] = { 0x66, write ? 0x89 : 0x03, 0x16, (uint8_t)(4 * i), 0 };

		memcpy(p + n, access, sizeof(access));
		n += sizeof(access);
	}
	if (write) {
		p[n++] = 0x66;                    /* inc edx */
		p[n++] = 0x42;
	}
	p[n++] = 0x66;                            /* dec ecx */
	p[n++] = 0x49;
	p[n] = 0x75;                              /* jnz to the first access */
	p[n + 1] = (uint8_t)(int8_t)((long)sizeof(head) - (long)(n + 2));
	n += 2;
	memcpy(p + n, out, sizeof(out));
}

/*
 * One run from fresh registers: its time (KVM_RUN to hlt, the VMM's MMIO
 * answers included), its MMIO exits, and the check of what the guest saw.
 */
static int run(struct dp_test_vm *v, const struct dp_test_bar *bar, bool write,
	       uint32_t accesses, uint32_t value, double *us, unsigned *mmio)
{
	uint32_t iters = accesses / UNROLL, want, got;
	struct dp_test_vm_exits x;
	double t0;
	int r;

	for (unsigned i = 0; i < UNROLL; i++)
		memcpy(bar->mem + 4 * i, &(uint32_t){ write ? 0 : value }, 4);
	program(v->ram + CODE, write, iters, value);
	if (dp_test_vm_start(v, CODE) < 0) {
		fprintf(stderr, NAME ": %s\n", v->err);
		return 1;
	}
	t0 = dp_bench_now_us();
	r = dp_test_vm_run_to_hlt(v, bar, accesses + 16, &x);
	*us = dp_bench_now_us() - t0;
	if (r < 0) {
		fprintf(stderr, NAME ": %s\n", v->err);
		return 1;
	}
	*mmio = x.mmio_reads + x.mmio_writes;
	want = write ? value + iters : value * accesses;
	if (x.n_out != 1 || x.out[0] != want) {
		fprintf(stderr, NAME ": the guest's %s OUT %#x, not %#x\n",
			write ? "writes" : "reads", x.n_out ? x.out[0] : 0, want);
		return 1;
	}
	for (unsigned i = 0; write && i < UNROLL; i++) {
		memcpy(&got, bar->mem + 4 * i, 4);
		if (got != value + iters - 1) {
			fprintf(stderr, NAME ": the BAR's dword %u holds %#x after the writes, not %#x\n",
				i, got, value + iters - 1);
			return 1;
		}
	}
	return 0;
}

/* One run of a path; the direct one has the BAR in the library's memory slot for the run only. */
static int run_path(struct dp_test_vm *v, struct dp_kvm *k, const struct dp_test_bar *bar,
		    int path, bool write, uint32_t accesses, uint32_t value, double *us,
		    unsigned *mmio)
{
	uint32_t slot;
	size_t n = 0;
	int r;

	if (path == TRAPPED)
		return run(v, bar, write, accesses, value, us, mmio);
	r = dp_kvm_map_with_holes(k, bar->gpa, bar->mem, bar->size, NULL, 0, &slot, &n);
	if (r < 0)
		return dp_bench_fail(NAME, "dp_kvm_map_with_holes", -r);
	if (n != 1) {
		fprintf(stderr, NAME ": the BAR took %zu slots, not 1\n", n);
		return 1;
	}
	if (run(v, bar, write, accesses, value, us, mmio))
		return 1;
	r = dp_kvm_slot_unmap(k, slot);
	return r < 0 ? dp_bench_fail(NAME, "dp_kvm_slot_unmap", -r) : 0;
}

static void count_exits(unsigned range[2], unsigned x)
{
	range[0] = x < range[0] ? x : range[0];
	range[1] = x > range[1] ? x : range[1];
}

/* "n" when every run took n exits, "fewest-most" otherwise. */
static const char *exits(const unsigned x[2], char buf[24])
{
	if (x[0] == x[1])
		snprintf(buf, 24, "%u", x[0]);
	else
		snprintf(buf, 24, "%u-%u", x[0], x[1]);
	return buf;
}

/* The cost of one access (ns) from the medians of the two counts. */
static double slope_ns(struct path *p)
{
	double t1 = dp_bench_median(p->t[0], REPS), t10 = dp_bench_median(p->t[1], REPS);

	return (t10 - t1) * 1000.0 / (9.0 * N);
}

/* Reads or writes on both paths, interleaved; prints the line. 0, or 1 on a failure. */
static int measure(struct dp_test_vm *v, struct dp_kvm *k, const struct dp_test_bar *bar,
		   bool write)
{
	static const uint32_t counts[2] = { N, 10 * N };
	struct path p[PATHS];
	const char *what = write ? "write" : "read";
	char d1[24], d10[24], t1[24], t10[24];
	double slope[PATHS], us;
	unsigned x;

	for (int i = 0; i < PATHS; i++)
		p[i] = (struct path){ .exits = { { ~0u, 0 }, { ~0u, 0 } } };
	/* A first run of each, untimed, faults the pages in. */
	for (int i = 0; i < PATHS; i++)
		if (run_path(v, k, bar, i, write, N, 0xba500000u, &us, &x))
			return 1;
	/* Interleaved, so a change in the host's load hits every series alike. */
	for (uint32_t r = 0; r < REPS; r++)
		for (unsigned c = 0; c < 2; c++)
			for (int i = 0; i < PATHS; i++) {
				if (run_path(v, k, bar, i, write, counts[c], 0xba510000u + r,
					     &p[i].t[c][r], &x))
					return 1;
				count_exits(p[i].exits[c], x);
			}
	for (int i = 0; i < PATHS; i++)
		slope[i] = slope_ns(&p[i]);
	printf("bar-%s: direct %.1f ns/access (%s/%s MMIO exits for %d/%d %ss), trapped %.1f ns/access (%s/%s MMIO exits), ratio %.1f (trapped/direct per access, slope of %d vs %d, median of %d; goal %.0f)\n",
	       what, slope[DIRECT], exits(p[DIRECT].exits[0], d1), exits(p[DIRECT].exits[1], d10),
	       N, 10 * N, what, slope[TRAPPED], exits(p[TRAPPED].exits[0], t1),
	       exits(p[TRAPPED].exits[1], t10), slope[TRAPPED] / slope[DIRECT], N, 10 * N, REPS,
	       GOAL);
	/* A memory slot is the point of the direct path: an exit there is a bug, not a time. */
	if (p[DIRECT].exits[0][1] || p[DIRECT].exits[1][1]) {
		fprintf(stderr, NAME ": the direct path took MMIO exits on %ss through a memory slot\n",
			what);
		return 1;
	}
	return 0;
}

int main(void)
{
	DP_OPTS_NONE(dp_ctx_opts, o);
	struct dp_ctx *ctx = NULL;
	struct dp_test_vm v;
	struct dp_test_bar bar = { 0 };
	struct dp_kvm k;
	bool k_up = false;
	char why[160];
	int r, rc = 1;

	if (dp_test_kvm_usable(NULL, 0, why, sizeof(why)) < 0) {
		printf(NAME ": skipped: %s\n", why);
		return DP_BENCH_SKIP;
	}
	r = dp_test_vm_new(&v, DP_TEST_VM_VCPU, 0, RAM_SIZE);
	if (r < 0) {
		fprintf(stderr, NAME ": %s\n", v.err);
		return 1;
	}
	r = dp_ctx_new(&o, &ctx);
	if (r < 0) {
		dp_bench_fail(NAME, "dp_ctx_new", -r);
		goto out;
	}
	r = dp_test_bar_new(&bar, BAR_GPA, BAR_SIZE);
	if (r < 0) {
		dp_bench_fail(NAME, "the stand-in BAR", -r);
		goto out;
	}
	r = dp_kvm_init(&k, ctx, v.vm, SLOT_BASE, 1);
	if (r < 0) {
		dp_bench_fail(NAME, "dp_kvm_init", -r);
		goto out;
	}
	k_up = true;
	if (measure(&v, &k, &bar, false) || measure(&v, &k, &bar, true))
		goto out;
	rc = 0;
out:
	if (k_up)
		dp_kvm_fini(&k);
	dp_test_vm_free(&v);
	dp_test_bar_free(&bar);
	dp_ctx_unref(ctx);
	return rc;
}
