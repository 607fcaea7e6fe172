/* SPDX-License-Identifier: MIT */
/* Timing for the benchmark programs: they print ratios, never assert times. */
#ifndef DP_BENCH_H
#define DP_BENCH_H

#include <stddef.h>

/* CLOCK_MONOTONIC in microseconds. */
double dp_bench_now_us(void);
/* The median of n values (sorts v). */
double dp_bench_median(double *v, size_t n);

#endif
