/* SPDX-License-Identifier: MIT */
/* Caller input made safe to print: what a message quotes never drives a terminal. */
#ifndef DP_QUOTE_H
#define DP_QUOTE_H

#include <stddef.h>

/* Room for n input bytes quoted: each may become \xHH, plus "..." and the NUL. */
#define DP_QUOTE_SIZE(n) (4 * (n) + 4)

/*
 * Copies s into buf (size bytes, at least 4) as printable ASCII: every other
 * byte (control characters, DEL, bytes from 0x80) becomes \xHH. Cut with
 * "..." where buf ends; NULL reads "(null)". Returns buf, for a "%s".
 */
const char *dp_quote(char *buf, size_t size, const char *s);

#endif
