/* SPDX-License-Identifier: MIT */
/*
 * dp_ctx_scan against lspci -mm -nn -D on the same synthetic tree of 4096
 * functions, mounted over /sys: the median of several runs of each, per
 * function, with libpciaccess alone as the floor under the library's scan.
 * Prints, never asserts a time.
 * Usage: bench-scan [PATH_TO_LSPCI]
 */
#include <errno.h>
#include <fcntl.h>
#include <pciaccess.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <directpath/directpath.h>

#include "bench.h"
#include "fakesys.h"

#define FUNCTIONS 4096
#define REPS 7

/* One library scan with a fresh context; its time in microseconds, or < 0. */
static double time_scan(void)
{
	struct dp_ctx *ctx;
	double t0, t1;
	int n;

	if (dp_ctx_new(NULL, &ctx) < 0)
		return -1;
	t0 = dp_bench_now_us();
	n = dp_ctx_scan(ctx);
	t1 = dp_bench_now_us();
	dp_ctx_unref(ctx);
	if (n != FUNCTIONS) {
		fprintf(stderr, "bench-scan: the scan found %d functions, not %d\n", n,
			FUNCTIONS);
		return -1;
	}
	return t1 - t0;
}

/* The floor under the scan: libpciaccess alone, enumerating and probing. */
static double time_pciaccess(void)
{
	struct pci_device_iterator *it;
	struct pci_device *pd;
	double t0 = dp_bench_now_us(), t1;
	int n = 0;

	if (pci_system_init() != 0)
		return -1;
	it = pci_slot_match_iterator_create(NULL);
	while (it && (pd = pci_device_next(it))) {
		pci_device_probe(pd);
		n++;
	}
	pci_iterator_destroy(it);
	pci_system_cleanup();
	t1 = dp_bench_now_us();
	return n == FUNCTIONS ? t1 - t0 : -1;
}

/* One lspci run, its output thrown away; its time in microseconds, or < 0. */
static double time_lspci(const char *lspci)
{
	double t0 = dp_bench_now_us(), t1;
	int status;
	pid_t pid;

	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY | O_CLOEXEC);

		if (null < 0 || dup2(null, STDOUT_FILENO) < 0)
			_exit(127);
		execl(lspci, "lspci", "-mm", "-nn", "-D", (char *)NULL);
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	t1 = dp_bench_now_us();
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr, "bench-scan: %s failed (status %d)\n", lspci, status);
		return -1;
	}
	return t1 - t0;
}

int main(int argc, char **argv)
{
	double lib[REPS], peer[REPS], base[REPS], l, p, f;
	const char *lspci = argc > 1 ? argv[1] : NULL;
	struct dp_fakesys *fs;
	int r;

	if (!lspci || access(lspci, X_OK) < 0)
		dp_fakesys_skip("lspci (pciutils) is needed as the peer to compare with");
	dp_fakesys_enter_namespace();
	fs = dp_fakesys_new();
	if (!fs) {
		fprintf(stderr, "bench-scan: %s\n", strerror(errno));
		return 1;
	}
	r = dp_fakesys_add_many(fs, FUNCTIONS);
	if (r == 0)
		r = dp_fakesys_mount(fs);
	if (r < 0) {
		fprintf(stderr, "bench-scan: building the tree: %s\n", strerror(-r));
		dp_fakesys_free(fs);
		return 1;
	}
	/* Interleaved, so that both see the same cache state. */
	for (int i = 0; i < REPS; i++) {
		lib[i] = time_scan();
		peer[i] = time_lspci(lspci);
		base[i] = time_pciaccess();
		if (lib[i] < 0 || peer[i] < 0 || base[i] < 0) {
			dp_fakesys_free(fs);
			return 1;
		}
	}
	dp_fakesys_free(fs);
	l = dp_bench_median(lib, REPS) / FUNCTIONS;
	p = dp_bench_median(peer, REPS) / FUNCTIONS;
	f = dp_bench_median(base, REPS) / FUNCTIONS;
	printf("scan: library %.2f us/device, lspci %.2f us/device, ratio %.2f "
	       "(%d functions, median of %d)\n", l, p, l / p, FUNCTIONS, REPS);
	printf("scan floor: libpciaccess enumeration and probe %.2f us/device, "
	       "library/floor %.2f\n", f, l / f);
	return 0;
}
