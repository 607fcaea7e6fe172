/* SPDX-License-Identifier: MIT */
/* Timing for the benchmark programs: they print ratios, never assert times. */
#ifndef DP_BENCH_H
#define DP_BENCH_H

#include <stddef.h>

/* What a benchmark exits with when it cannot run here (meson's skip). */
#define DP_BENCH_SKIP 77

/* CLOCK_MONOTONIC in microseconds. */
double dp_bench_now_us(void);
/* The median of n values (sorts v). */
double dp_bench_median(double *v, size_t n);
/* The 99th percentile (nearest rank) of n values already sorted, as dp_bench_median leaves them. */
double dp_bench_p99(const double *sorted, size_t n);
/* Prints "name: what: the error" on stderr; returns 1, a benchmark's failure. */
int dp_bench_fail(const char *name, const char *what, int err);

#endif
