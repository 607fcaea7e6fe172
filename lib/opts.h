/* SPDX-License-Identifier: MIT */
/* Extensible option and info structs: "size_t sz" first, fields only appended. */
#ifndef DP_OPTS_H
#define DP_OPTS_H

#include <stddef.h>

/* Largest sz accepted at all: more is a corrupt struct, not a newer caller. */
#define DP_OPTS_SZ_MAX 4096

/*
 * Checks a caller's struct whose first field is its size. min_sz is the
 * size of the first released version, known_sz what this library knows.
 * Returns 0 when usable, -EINVAL when NULL or sz < min_sz, -E2BIG when
 * sz > known_sz and the unknown tail holds a non-zero byte (or sz is absurd).
 */
int dp_opts_check(const void *opts, size_t min_sz, size_t known_sz);

/*
 * Copies a checked caller struct into dst (known_sz bytes), zero-filling
 * what an older caller's struct lacks; dst's sz becomes known_sz.
 */
void dp_opts_copy(void *dst, size_t known_sz, const void *opts);

/*
 * Writes an info struct out to a caller whose dst->sz says how much room it
 * has: -EINVAL when dst is NULL or sz < min_sz (or sz > DP_OPTS_SZ_MAX);
 * otherwise copies min(sz, src_sz) bytes, keeps the caller's sz, and zeroes
 * what a newer caller has beyond src_sz.
 */
int dp_info_copy_out(void *dst, size_t min_sz, const void *src, size_t src_sz);

#define DP_OPTS_CHECK(opts, type, last_field_of_v1)                        \
	dp_opts_check((opts),                                               \
		      offsetof(struct type, last_field_of_v1) +             \
			      sizeof(((struct type *)0)->last_field_of_v1), \
		      sizeof(struct type))

#endif
