/* SPDX-License-Identifier: MIT */
/*
 * sysfs value readers (lib/sysfs.c): the first byte picks the reader and
 * its base, the rest is the attribute file. Held to lib/sysfs.h:
 *  - dp_sysfs_read: the text with one trailing newline removed; -EINVAL for
 *    a NUL byte, -EFBIG when it does not fit;
 *  - dp_sysfs_read_u64: an unsigned number in the base (16 and 0 take
 *    "0x"), all of the text, nothing before it, up to max;
 *  - dp_sysfs_read_long: a decimal integer, '-' allowed, in [min, max].
 * Nothing is written on failure. A leading '+' is not judged.
 */
#include <fcntl.h>

#include "fuzz.h"
#include "sysfs.h"

enum { INVALID, VALID, OPEN };

static int digit(char c, int base)
{
	int x = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'z' ? c - 'a' + 10
		: c >= 'A' && c <= 'Z' ? c - 'A' + 10 : 99;

	return x < base ? x : -1;
}

/* s (no NUL inside) as an unsigned number in base (0: C's prefixes); VALID and *v. */
static int ref_u64(const char *s, int base, uint64_t max, uint64_t *v)
{
	bool big = false;

	if (*s == '+')
		return OPEN;
	if ((base == 16 || base == 0) && s[0] == '0' && (s[1] == 'x' || s[1] == 'X') &&
	    digit(s[2], 16) >= 0)
		s += 2, base = 16;
	else if (base == 0)
		base = s[0] == '0' ? 8 : 10;
	if (!*s)
		return INVALID;
	*v = 0;
	for (; *s; s++) {
		int d = digit(*s, base);

		if (d < 0)
			return INVALID;
		if (*v > (UINT64_MAX - (uint64_t)d) / (uint64_t)base)
			big = true;
		*v = *v * (uint64_t)base + (uint64_t)d;
	}
	return big || *v > max ? INVALID : VALID;
}

static int ref_long(const char *s, long min, long max, long *v)
{
	bool neg = *s == '-';
	uint64_t u;
	int r;

	if (*s == '+')
		return OPEN;
	r = ref_u64(s + neg, 10, (uint64_t)LONG_MAX + 1, &u);
	if (r != VALID || (!neg && u > (uint64_t)LONG_MAX))
		return r == OPEN ? OPEN : INVALID;
	*v = neg ? (long)(0 - u) : (long)u; /* LONG_MIN wraps to itself */
	if (neg && u == (uint64_t)LONG_MAX + 1)
		*v = LONG_MIN;
	return *v < min || *v > max ? INVALID : VALID;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const int bases[] = { 0, 10, 16 };
	static const uint64_t maxes[] = { UINT64_MAX, 0xffff, 0xff, 1 };
	char path[64], buf[66], text[8192];
	uint8_t sel;
	size_t len;
	int fd, r, verdict;

	if (size < 1 || size > sizeof(text))
		return 0;
	sel = data[0];
	data++, size--;
	fd = fz_memfd(data, size, path, sizeof(path));
	len = size && data[size - 1] == '\n' ? size - 1 : size;
	memcpy(text, data, len);
	text[len] = '\0';

	switch (sel % 3) {
	case 0: { /* the raw reader, into a buffer of 1 to 64 bytes */
		size_t bsize = 2 + (sel >> 2) % 63;

		memset(buf, 0x5a, sizeof(buf));
		r = dp_sysfs_read(AT_FDCWD, path, buf, bsize);
		if (size >= bsize)
			FZ_ASSERT(r == -EFBIG, "%zu bytes into %zu: %d", size, bsize, r);
		else if (memchr(data, '\0', size))
			FZ_ASSERT(r == -EINVAL, "a NUL byte: %d", r);
		else
			FZ_ASSERT(r == (int)len && memcmp(buf, text, len + 1) == 0, "%d", r);
		FZ_ASSERT(buf[bsize] == 0x5a && buf[sizeof(buf) - 1] == 0x5a, "past the buffer");
		break;
	}
	case 1: { /* u64 */
		int base = bases[(sel >> 2) % 3];
		uint64_t max = maxes[(sel >> 4) % 4], want = 0, got = 0x5a5a;

		r = dp_sysfs_read_u64(AT_FDCWD, path, base, max, &got);
		verdict = size >= 64 || memchr(data, '\0', size) ? INVALID
			  : ref_u64(text, base, max, &want);
		if (verdict == VALID)
			FZ_ASSERT(r == 0 && got == want, "\"%s\" base %d max %llu: %d, %llu", text,
				  base, (unsigned long long)max, r, (unsigned long long)got);
		else if (verdict == INVALID)
			FZ_ASSERT(r == -EINVAL, "\"%s\" base %d max %llu is no number: %d", text,
				  base, (unsigned long long)max, r);
		if (r < 0)
			FZ_ASSERT(got == 0x5a5a, "written on failure");
		break;
	}
	default: { /* long */
		static const long lims[][2] = { { 0, INT32_MAX }, { -1, 1 },
						{ LONG_MIN, LONG_MAX }, { -4096, 4096 } };
		long min = lims[(sel >> 2) % 4][0], max = lims[(sel >> 2) % 4][1];
		long want = 0, got = 0x5a5a;

		r = dp_sysfs_read_long(AT_FDCWD, path, min, max, &got);
		verdict = size >= 64 || memchr(data, '\0', size) ? INVALID
			  : ref_long(text, min, max, &want);
		if (verdict == VALID)
			FZ_ASSERT(r == 0 && got == want, "\"%s\" in [%ld, %ld]: %d, %ld", text, min,
				  max, r, got);
		else if (verdict == INVALID)
			FZ_ASSERT(r == -EINVAL, "\"%s\" in [%ld, %ld] is no number: %d", text,
				  min, max, r);
		if (r < 0)
			FZ_ASSERT(got == 0x5a5a, "written on failure");
		break;
	}
	}
	close(fd);
	return 0;
}
