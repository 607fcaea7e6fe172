/* SPDX-License-Identifier: MIT */
/*
 * An IOMMU group's reserved regions: what the kernel prints in
 * /sys/kernel/iommu_groups/N/reserved_regions, one region a line,
 * "0x%016llx 0x%016llx %s\n" with the type's name. A pure parser.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "parse.h"
#include "resv.h"

static const char *const type_names[] = {
	[DP_RESV_DIRECT] = "direct",
	[DP_RESV_DIRECT_RELAXABLE] = "direct-relaxable",
	[DP_RESV_RESERVED] = "reserved",
	[DP_RESV_MSI] = "msi",
};

#define N_TYPES (sizeof(type_names) / sizeof(type_names[0]))
/* The longest sane line: two 18-character numbers and a type. */
#define LINE_MAX_LEN 80

const char *dp_resv_type_name(enum dp_resv_type type)
{
	return (unsigned)type < N_TYPES ? type_names[type] : NULL;
}

/* "0x" and 1 to 16 hex digits, all of word. */
static int parse_addr(const char *word, uint64_t *out)
{
	size_t digits = strlen(word);

	if (digits < 3 || word[0] != '0' || word[1] != 'x' || digits - 2 > 16)
		return -EINVAL;
	return dp_parse_u64(word + 2, 16, UINT64_MAX, out);
}

int dp_resv_parse(const char *text, size_t len, struct dp_resv_region *out, size_t max,
		  size_t *n, char *why, size_t why_len)
{
	size_t pos = 0, count = 0;
	unsigned line = 0;

	if (!text || !n || (max && !out))
		return dp_parse_fail(why, why_len, "no text");
	if (memchr(text, '\0', len))
		return dp_parse_fail(why, why_len, "a NUL byte: not the kernel's text");
	while (pos < len) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t llen = nl ? (size_t)(nl - (text + pos)) : len - pos;
		char buf[LINE_MAX_LEN + 1], start[LINE_MAX_LEN + 1], end[LINE_MAX_LEN + 1];
		char type[LINE_MAX_LEN + 1], extra[2];
		struct dp_resv_region r;
		size_t t;

		line++;
		if (llen > LINE_MAX_LEN)
			return dp_parse_fail(why, why_len, "line %u: longer than %d characters", line,
					     LINE_MAX_LEN);
		memcpy(buf, text + pos, llen);
		buf[llen] = '\0';
		pos += llen + (nl ? 1 : 0);
		if (sscanf(buf, "%80s %80s %80s %1s", start, end, type, extra) != 3)
			return dp_parse_fail(why, why_len, "line %u: not \"0xSTART 0xEND TYPE\"", line);
		if (parse_addr(start, &r.start) < 0 || parse_addr(end, &r.end) < 0)
			return dp_parse_fail(why, why_len, "line %u: an address is not 0x and 1 to 16 hex digits",
					     line);
		for (t = 0; t < N_TYPES; t++)
			if (strcmp(type, type_names[t]) == 0)
				break;
		if (t == N_TYPES)
			return dp_parse_fail(why, why_len, "line %u: unknown type (direct, direct-relaxable, reserved, msi)",
					     line);
		r.type = (enum dp_resv_type)t;
		if (r.start > r.end)
			return dp_parse_fail(why, why_len, "line %u: start 0x%llx above end 0x%llx", line,
					     (unsigned long long)r.start, (unsigned long long)r.end);
		if (count == max)
			return dp_parse_fail(why, why_len, "line %u: more than %zu regions", line, max);
		out[count++] = r;
	}
	*n = count;
	return 0;
}
