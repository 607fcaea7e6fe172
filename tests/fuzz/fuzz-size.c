/* SPDX-License-Identifier: MIT */
/*
 * dp_parse_size against dp_parse_size(3)'s grammar, by a reference matcher
 * written from the page:
 *   DIGITS [ SPACES* UNIT [ "iB" | "B" ] ] | DIGITS "B"
 *   UNIT: K M G T (binary), letters of either case; no sign, no fraction,
 *   no white space before the number or after the unit, < 2^64.
 * Valid text: 0 and the value, or -ERANGE when 2^64 or more. Anything else
 * fails (-EINVAL; -ERANGE is tolerated for invalid text whose digits alone
 * overflow) and *out is not written.
 * One case the page leaves open is not judged: DIGITS SPACES+ "B".
 */
#include <errno.h>

#include "fuzz.h"

__extension__ typedef unsigned __int128 u128;

enum { REF_INVALID, REF_VALID, REF_OPEN };

static int ref_parse(const char *s, u128 *value)
{
	u128 v = 0, mult = 1;
	const char *p = s;
	int spaces = 0;

	if (*p < '0' || *p > '9')
		return REF_INVALID;
	while (*p >= '0' && *p <= '9') {
		v = v * 10 + (unsigned)(*p++ - '0');
		if (v >> 64)
			v = (u128)1 << 64; /* enough to know it is too large */
	}
	while (*p == ' ')
		p++, spaces++;
	switch (*p) {
	case 'k': case 'K': mult = (u128)1 << 10; break;
	case 'm': case 'M': mult = (u128)1 << 20; break;
	case 'g': case 'G': mult = (u128)1 << 30; break;
	case 't': case 'T': mult = (u128)1 << 40; break;
	case 'b': case 'B':
		if (p[1] != '\0')
			return REF_INVALID;
		if (spaces)
			return REF_OPEN;
		*value = v;
		return REF_VALID;
	case '\0':
		if (spaces)
			return REF_INVALID; /* white space after the number without a unit */
		*value = v;
		return REF_VALID;
	default:
		return REF_INVALID;
	}
	p++;
	if ((p[0] == 'i' || p[0] == 'I') && (p[1] == 'b' || p[1] == 'B'))
		p += 2;
	else if (p[0] == 'b' || p[0] == 'B')
		p++;
	if (*p != '\0')
		return REF_INVALID;
	*value = v * mult;
	return REF_VALID;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fz_strndup(data, size > 256 ? 256 : size);
	u128 want = 0;
	uint64_t got = 0x5a5a5a5a5a5a5a5aULL;
	int ref = ref_parse(s, &want);
	int r = dp_parse_size(s, &got);

	if (ref == REF_VALID && !(want >> 64)) {
		FZ_ASSERT(r == 0, "\"%s\" is a size by dp_parse_size(3), parser says %d", s, r);
		FZ_ASSERT(got == (uint64_t)want, "\"%s\" gave %llu", s, (unsigned long long)got);
	} else if (ref == REF_VALID) {
		FZ_ASSERT(r == -ERANGE, "\"%s\" is 2^64 or more, parser says %d", s, r);
	} else if (ref == REF_INVALID) {
		FZ_ASSERT(r == -EINVAL || r == -ERANGE,
			  "\"%s\" is no size by dp_parse_size(3), parser says %d", s, r);
	}
	if (r < 0)
		FZ_ASSERT(got == 0x5a5a5a5a5a5a5a5aULL, "\"%s\": written on failure", s);
	free(s);
	return 0;
}
