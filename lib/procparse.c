/* SPDX-License-Identifier: MIT */
/* The parsers of one line of /proc/self/mountinfo and of /proc/net/route: pure, no I/O. */
#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "procparse.h"

/* Decimal digits only, all of s[0..len), at most max; 0 or -EINVAL. */
static int parse_dec(const char *s, size_t len, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;

	if (len == 0 || len > 20)
		return -EINVAL;
	for (size_t i = 0; i < len; i++) {
		unsigned d;

		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
		d = (unsigned)(s[i] - '0');
		if (v > (max - d) / 10)
			return -EINVAL;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

/* A decimal integer with an optional minus, within int32_t; 0 or -EINVAL. */
static int parse_s32(const char *s, size_t len, int32_t *out)
{
	uint64_t v;
	bool neg = len > 0 && s[0] == '-';

	if (parse_dec(s + neg, len - neg, neg ? (uint64_t)INT32_MAX + 1 : INT32_MAX, &v) < 0)
		return -EINVAL;
	*out = neg ? (int32_t)(-(int64_t)v) : (int32_t)v;
	return 0;
}

/* 1 to max hex digits, all of s[0..len); 0 or -EINVAL. */
static int parse_hex(const char *s, size_t len, size_t max, uint32_t *out)
{
	uint32_t v = 0;

	if (len == 0 || len > max)
		return -EINVAL;
	for (size_t i = 0; i < len; i++) {
		int c = (unsigned char)s[i];

		if (!isxdigit(c))
			return -EINVAL;
		v = v << 4 | (uint32_t)(isdigit(c) ? c - '0' : tolower(c) - 'a' + 10);
	}
	*out = v;
	return 0;
}

/* "MAJ:MIN", both decimal within uint32_t; 0 or -EINVAL. */
int dp_devnum_parse(const char *s, size_t len, uint32_t *major, uint32_t *minor)
{
	const char *colon = memchr(s, ':', len);
	uint64_t a, b;

	if (!colon || parse_dec(s, (size_t)(colon - s), UINT32_MAX, &a) < 0 ||
	    parse_dec(colon + 1, len - (size_t)(colon + 1 - s), UINT32_MAX, &b) < 0)
		return -EINVAL;
	*major = (uint32_t)a;
	*minor = (uint32_t)b;
	return 0;
}

/*
 * Undoes the kernel's \ooo escapes of s[0..len) into out (size bytes): up to
 * size - 1 bytes are kept, *cut says whether more were dropped. -EINVAL for
 * a backslash not followed by three octal digits, or one that makes a NUL.
 */
static int unescape(const char *s, size_t len, char *out, size_t size, bool *cut)
{
	size_t o = 0;

	*cut = false;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '\t' || c == '\n')
			return -EINVAL; /* the kernel escapes both */
		if (c == '\\') {
			if (len - i < 4 || s[i + 1] < '0' || s[i + 1] > '3' ||
			    s[i + 2] < '0' || s[i + 2] > '7' || s[i + 3] < '0' || s[i + 3] > '7')
				return -EINVAL;
			c = (unsigned char)((s[i + 1] - '0') << 6 | (s[i + 2] - '0') << 3 |
					    (s[i + 3] - '0'));
			if (c == 0)
				return -EINVAL;
			i += 3;
		}
		if (o + 1 < size)
			out[o++] = (char)c;
		else
			*cut = true;
	}
	out[o] = '\0';
	return 0;
}

/* Fields of a mountinfo line: six, optional ones, "-", three. */
#define MOUNTINFO_FIELDS_MAX 64

int dp_mountinfo_parse_line(const char *line, size_t len, struct dp_mountinfo_entry *out)
{
	const char *f[MOUNTINFO_FIELDS_MAX];
	size_t fl[MOUNTINFO_FIELDS_MAX], n = 0, sep = 0, start = 0;
	struct dp_mountinfo_entry *e;
	char *root;
	uint64_t id;
	bool cut, fcut, scut;
	int r = -EINVAL;

	if (!line || !out || memchr(line, '\0', len) || memchr(line, '\n', len))
		return -EINVAL;
	/* Single spaces separate fields: an empty source shows as two spaces in a row. */
	for (size_t i = 0; i <= len; i++) {
		if (i < len && line[i] != ' ')
			continue;
		if (n == MOUNTINFO_FIELDS_MAX)
			return -EINVAL;
		f[n] = line + start;
		fl[n++] = i - start;
		start = i + 1;
	}
	for (size_t i = 6; i < n; i++) {
		if (fl[i] == 1 && f[i][0] == '-') {
			sep = i;
			break;
		}
		if (fl[i] == 0)
			return -EINVAL; /* an empty optional field */
	}
	if (sep == 0 || n != sep + 4)
		return -EINVAL;
	for (size_t i = 0; i < 6; i++)
		if (fl[i] == 0)
			return -EINVAL;
	if (fl[sep + 1] == 0 || fl[sep + 3] == 0)
		return -EINVAL; /* no type, no super options */
	if (parse_dec(f[0], fl[0], UINT64_MAX, &id) < 0 ||
	    parse_dec(f[1], fl[1], UINT64_MAX, &id) < 0)
		return -EINVAL;
	/* Written whole or not at all: the entry is built aside. */
	e = malloc(sizeof(*e) + DP_MOUNTINFO_PATH_MAX);
	if (!e)
		return -ENOMEM;
	root = (char *)(e + 1);
	if (dp_devnum_parse(f[2], fl[2], &e->major, &e->minor) < 0)
		goto out;
	r = unescape(f[4], fl[4], e->mount_point, sizeof(e->mount_point), &cut);
	if (r < 0)
		goto out;
	r = -EINVAL;
	if (cut) {
		r = -ENAMETOOLONG;
		goto out;
	}
	if (e->mount_point[0] != '/')
		goto out;
	/* The root within the filesystem is only checked: "/dir", or "net:[4026531840]" for nsfs. */
	if (unescape(f[3], fl[3], root, DP_MOUNTINFO_PATH_MAX, &cut) < 0 ||
	    unescape(f[sep + 1], fl[sep + 1], e->fstype, sizeof(e->fstype), &fcut) < 0 ||
	    unescape(f[sep + 2], fl[sep + 2], e->source, sizeof(e->source), &scut) < 0)
		goto out;
	e->cut = fcut || scut;
	*out = *e;
	r = 0;
out:
	free(e);
	return r;
}

/* The fields of /proc/net/route. */
#define ROUTE_FIELDS 11

int dp_route_parse_line(const char *line, size_t len, struct dp_route_entry *out)
{
	const char *f[ROUTE_FIELDS];
	size_t fl[ROUTE_FIELDS], n = 0, i = 0;
	struct dp_route_entry e;
	uint64_t u64;
	int32_t s32;

	if (!line || !out || memchr(line, '\0', len) || memchr(line, '\n', len))
		return -EINVAL;
	/* Tab-separated, the line padded with spaces to 127 characters. */
	while (i < len) {
		size_t s;

		while (i < len && (line[i] == ' ' || line[i] == '\t'))
			i++;
		if (i == len)
			break;
		if (n == ROUTE_FIELDS)
			return -EINVAL;
		s = i;
		while (i < len && line[i] != ' ' && line[i] != '\t')
			i++;
		f[n] = line + s;
		fl[n++] = i - s;
	}
	if (n >= 1 && fl[0] == 5 && memcmp(f[0], "Iface", 5) == 0)
		return 1;
	if (n != ROUTE_FIELDS)
		return -EINVAL;
	/* The kernel's dev_valid_name, and "*" for none. */
	if (fl[0] >= sizeof(e.ifname) || memchr(f[0], '/', fl[0]) || memchr(f[0], ':', fl[0]) ||
	    (fl[0] == 1 && f[0][0] == '.') || (fl[0] == 2 && memcmp(f[0], "..", 2) == 0))
		return -EINVAL;
	for (size_t k = 0; k < fl[0]; k++)
		if (isspace((unsigned char)f[0][k]))
			return -EINVAL;
	memcpy(e.ifname, f[0], fl[0]);
	e.ifname[fl[0]] = '\0';
	/* %08X addresses, %04X flags, %d and %u numbers, as fib_route_seq_show prints them. */
	if (fl[1] != 8 || parse_hex(f[1], fl[1], 8, &e.destination) < 0 ||
	    fl[2] != 8 || parse_hex(f[2], fl[2], 8, &e.gateway) < 0 ||
	    parse_hex(f[3], fl[3], 8, &e.flags) < 0 ||
	    parse_s32(f[4], fl[4], &s32) < 0 ||                    /* RefCnt */
	    parse_dec(f[5], fl[5], UINT32_MAX, &u64) < 0 ||        /* Use */
	    parse_s32(f[6], fl[6], &e.metric) < 0 ||
	    fl[7] != 8 || parse_hex(f[7], fl[7], 8, &e.mask) < 0 ||
	    parse_s32(f[8], fl[8], &s32) < 0 ||                    /* MTU */
	    parse_dec(f[9], fl[9], UINT32_MAX, &u64) < 0 ||        /* Window */
	    parse_dec(f[10], fl[10], UINT32_MAX, &u64) < 0)        /* IRTT */
		return -EINVAL;
	*out = e;
	return 0;
}
