/* SPDX-License-Identifier: MIT */
/* Numbers, sizes and yes/no from text: the one copy of each parser. */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <directpath/directpath.h>

#include "parse.h"

int dp_parse_u64(const char *s, int base, uint64_t max, uint64_t *out)
{
	unsigned long long v;
	char *end;

	/* strtoull would skip any white space and take a sign: neither belongs in a number here. */
	if (!s || !isxdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, base);
	if (errno || end == s || *end != '\0' || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

int dp_parse_uint(const char *text, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;

	if (!text || !out || !*text)
		return -EINVAL;
	for (const char *s = text; *s; s++) {
		unsigned d;

		if (*s < '0' || *s > '9')
			return -EINVAL;
		d = (unsigned)(*s - '0');
		if (v > (max - d) / 10 || d > max)
			return -ERANGE;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

int dp_parse_fail(char *why, size_t why_len, const char *format, ...)
{
	va_list args;

	if (why && why_len) {
		va_start(args, format);
		vsnprintf(why, why_len, format, args);
		va_end(args);
	}
	return -EINVAL;
}

int dp_parse_bool(const char *s)
{
	static const char *const yes[] = { "yes", "true", "on", "1" };
	static const char *const no[] = { "no", "false", "off", "0" };

	for (size_t i = 0; i < 4; i++) {
		if (strcasecmp(s, yes[i]) == 0)
			return 1;
		if (strcasecmp(s, no[i]) == 0)
			return 0;
	}
	return -EINVAL;
}

long dp_parse_hex_n(const char *s, size_t n)
{
	long v = 0;

	for (size_t i = 0; i < n; i++) {
		if (!isxdigit((unsigned char)s[i]))
			return -1;
		v = v * 16 + (isdigit((unsigned char)s[i]) ? s[i] - '0'
						      : (tolower((unsigned char)s[i]) - 'a' + 10));
	}
	return v;
}

int dp_parse_size(const char *text, uint64_t *out)
{
	const char *p = text;
	uint64_t v = 0, mult = 1;
	size_t spaces;
	int digits = 0;

	if (!text || !out)
		return -EINVAL;
	while (isdigit((unsigned char)*p)) {
		unsigned d = (unsigned)(*p++ - '0');

		if (v > (UINT64_MAX - d) / 10)
			return -ERANGE;
		v = v * 10 + d;
		digits++;
	}
	if (!digits)
		return -EINVAL;
	spaces = strspn(p, " ");
	p += spaces;
	switch (toupper((unsigned char)*p)) {
	case 'K': mult = UINT64_C(1) << 10; p++; break;
	case 'M': mult = UINT64_C(1) << 20; p++; break;
	case 'G': mult = UINT64_C(1) << 30; p++; break;
	case 'T': mult = UINT64_C(1) << 40; p++; break;
	default: break;
	}
	if (spaces && mult == 1) /* spaces only before a unit (dp_parse_size(3)): "16 " is no size */
		return -EINVAL;
	if (mult > 1 && (p[0] == 'i' || p[0] == 'I') && (p[1] == 'B' || p[1] == 'b'))
		p += 2;
	else if (*p == 'B' || *p == 'b')
		p++;
	if (*p != '\0')
		return -EINVAL;
	if (v > UINT64_MAX / mult)
		return -ERANGE;
	*out = v * mult;
	return 0;
}
