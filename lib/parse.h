/* SPDX-License-Identifier: MIT */
/* Numbers, sizes and yes/no from text (parse.c); dp_parse_size is public. */
#ifndef DP_PARSE_H
#define DP_PARSE_H

#include <stddef.h>
#include <stdint.h>

/* Parses an unsigned number in [0, max] from all of s; 0 or -EINVAL. */
int dp_parse_u64(const char *s, int base, uint64_t max, uint64_t *out);

/* Writes a parser's reason for refusing into why (when why_len) and returns -EINVAL. */
int dp_parse_fail(char *why, size_t why_len, const char *format, ...)
	__attribute__((format(printf, 3, 4)));

/* yes/true/on/1 -> 1, no/false/off/0 -> 0 (any case); -EINVAL otherwise. */
int dp_parse_bool(const char *s);

/* Exactly n hex digits at s; returns the value, or -1. */
long dp_parse_hex_n(const char *s, size_t n);

#endif
