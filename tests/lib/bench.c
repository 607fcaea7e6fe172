/* SPDX-License-Identifier: MIT */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench.h"

double dp_bench_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

double dp_bench_median(double *v, size_t n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

double dp_bench_p99(const double *sorted, size_t n)
{
	size_t rank = (99 * n + 99) / 100; /* ceil(0.99 n) */

	return sorted[rank ? rank - 1 : 0];
}

int dp_bench_fail(const char *name, const char *what, int err)
{
	fprintf(stderr, "%s: %s: %s\n", name, what, strerror(err));
	return 1;
}
