/* SPDX-License-Identifier: MIT */
/* Numbers, sizes and yes/no from text (parse.c); dp_parse_size is public. */
#ifndef DP_PARSE_H
#define DP_PARSE_H

#include <stddef.h>
#include <stdint.h>

/* Parses an unsigned number in [0, max] from all of s; 0 or -EINVAL. */
int dp_parse_u64(const char *s, int base, uint64_t max, uint64_t *out);

/* yes/true/on/1 -> 1, no/false/off/0 -> 0 (any case); -EINVAL otherwise. */
int dp_parse_bool(const char *s);

/* Exactly n hex digits at s; returns the value, or -1. */
long dp_parse_hex_n(const char *s, size_t n);

#endif
