/* SPDX-License-Identifier: MIT */
/* The words for the library's public constants (names.c). */
#ifndef DP_NAMES_H
#define DP_NAMES_H

#include <stddef.h>
#include <stdint.h>

struct dp_name {
	uint64_t value;
	const char *name;
};

#define DP_NAMES_N(table) (sizeof(table) / sizeof((table)[0]))

/* The name of value in table, or NULL. */
const char *dp_name_of(const struct dp_name *table, size_t n, uint64_t value);
/* The value named name in table into *value; 0, or -EINVAL. */
int dp_name_find(const struct dp_name *table, size_t n, const char *name, uint64_t *value);

#endif
