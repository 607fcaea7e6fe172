/* SPDX-License-Identifier: MIT */
/*
 * The inventory against lspci -mm -nn -D on the same synthetic tree of 4096
 * functions, mounted over /sys, in one run, interleaved: dp_ctx_scan alone;
 * the scan and every field "directpath list" prints (names from pci.ids
 * included, as lspci -nn prints them); the admin tool's "directpath list"
 * itself, as a process like lspci; and libpciaccess's enumeration and probe,
 * which the scan went through before it read sysfs itself. Per function,
 * the median of several runs of each, and the median of the ratios of the
 * runs made side by side (which the machine's other load moves least).
 * Prints, never asserts a time.
 * Usage: bench-scan [PATH_TO_LSPCI [PATH_TO_DIRECTPATH]]
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
#define REPS 9

/*
 * One library scan with a fresh context and, with list, what "directpath
 * list" reads of each function; its time in microseconds, or < 0.
 */
static double time_scan(bool list)
{
	struct dp_host_caps caps = { .sz = sizeof(caps) };
	struct dp_ctx *ctx;
	double t0, t1;
	size_t sum = 0;
	int n;

	if (dp_ctx_new(NULL, &ctx) < 0)
		return -1;
	t0 = dp_bench_now_us();
	n = dp_ctx_scan(ctx);
	if (list) {
		dp_ctx_get_host_caps(ctx, &caps);
		for (size_t i = 0; n > 0 && i < (size_t)n; i++) {
			struct dp_device *dev = dp_ctx_get_device(ctx, i);
			struct dp_device_info info = { .sz = sizeof(info) };
			const char *v, *d, *drv;

			dp_device_get_info(dev, &info);
			v = dp_device_get_vendor_name(dev);
			d = dp_device_get_device_name(dev);
			drv = dp_device_get_driver(dev);
			sum += (v ? 1 : 0) + (d ? 1 : 0) + (drv ? 1 : 0) + dp_device_get_group_size(dev) +
			       (size_t)dp_device_is_marked(dev) + strlen(dp_device_get_bdf(dev));
		}
	}
	t1 = dp_bench_now_us();
	dp_ctx_unref(ctx);
	if (n != FUNCTIONS || (list && sum == 0)) {
		fprintf(stderr, "bench-scan: the scan found %d functions, not %d\n", n,
			FUNCTIONS);
		return -1;
	}
	return t1 - t0;
}

/* What the scan went through before: libpciaccess alone, enumerating and probing. */
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

/* One run of a program, its output thrown away; its time in microseconds, or < 0. */
static double time_program(const char *path, const char *arg0, const char *const *args)
{
	double t0 = dp_bench_now_us(), t1;
	int status;
	pid_t pid;

	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		char *argv[8];
		int null = open("/dev/null", O_WRONLY | O_CLOEXEC), k = 0;

		argv[k++] = (char *)arg0;
		for (size_t i = 0; args[i] && k < 7; i++)
			argv[k++] = (char *)args[i];
		argv[k] = NULL;
		if (null < 0 || dup2(null, STDOUT_FILENO) < 0)
			_exit(127);
		execv(path, argv);
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	t1 = dp_bench_now_us();
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr, "bench-scan: %s failed (status %d)\n", path, status);
		return -1;
	}
	return t1 - t0;
}

static void print(const char *name, const char *what, const double *v, const double *peer)
{
	double a[REPS], b[REPS], ratio[REPS];

	for (int i = 0; i < REPS; i++) {
		a[i] = v[i];
		b[i] = peer[i];
		ratio[i] = v[i] / peer[i];
	}
	printf("%s: %s %.2f us/device, lspci %.2f us/device, ratio %.2f (%d functions, median of %d)\n",
	       name, what, dp_bench_median(a, REPS) / FUNCTIONS,
	       dp_bench_median(b, REPS) / FUNCTIONS, dp_bench_median(ratio, REPS), FUNCTIONS, REPS);
}

int main(int argc, char **argv)
{
	static const char *const lspci_args[] = { "-mm", "-nn", "-D", NULL };
	static const char *const list_args[] = { "list", NULL };
	double scan[REPS], list[REPS], tool[REPS], peer[REPS], base[REPS];
	const char *lspci = argc > 1 ? argv[1] : NULL;
	const char *directpath = argc > 2 ? argv[2] : NULL;
	struct dp_fakesys *fs;
	int r;

	if (!lspci || access(lspci, X_OK) < 0)
		dp_fakesys_skip("lspci (pciutils) is needed as the peer to compare with");
	if (directpath && access(directpath, X_OK) < 0)
		directpath = NULL;
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
	/* Interleaved, so that all see the same cache state; one untimed round first. */
	for (int i = -1; i < REPS; i++) {
		double s = time_scan(false), l = time_scan(true);
		double q = time_program(lspci, "lspci", lspci_args);
		double t = directpath ? time_program(directpath, "directpath", list_args) : 0;
		double b = time_pciaccess();

		if (s < 0 || l < 0 || q < 0 || t < 0 || b < 0) {
			dp_fakesys_free(fs);
			return 1;
		}
		if (i < 0)
			continue;
		scan[i] = s;
		list[i] = l;
		peer[i] = q;
		tool[i] = t;
		base[i] = b;
	}
	dp_fakesys_free(fs);
	print("scan", "library dp_ctx_scan", scan, peer);
	print("list", "library scan and what directpath list prints, names included", list, peer);
	if (directpath)
		print("directpath list", "the admin tool", tool, peer);
	print("scan floor", "libpciaccess enumeration and probe alone (the scan's floor before)", base,
	      peer);
	return 0;
}
