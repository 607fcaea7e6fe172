/* SPDX-License-Identifier: MIT */
/*
 * IOMMU group reserved regions (dp_resv_parse: lib/resv.c). The first byte
 * is how many regions there is room for, the rest the file's text, in an
 * exactly sized copy. Accepted text has one region a line, each with start
 * <= end and a known type, and prints back (as the kernel does) into text
 * that parses to the same regions; refused text says why.
 */
#include "fuzz.h"
#include "resv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dp_resv_region r[DP_RESV_MAX], again[DP_RESV_MAX];
	char why[160] = "", *text, *printed;
	size_t max, n = 0, m = 0, lines = 0, len;
	int rc;

	if (size < 1)
		return 0;
	max = data[0] % (DP_RESV_MAX + 1);
	len = size - 1;
	text = malloc(len ? len : 1);
	if (!text)
		abort();
	memcpy(text, data + 1, len);
	rc = dp_resv_parse(text, len, r, max, &n, why, sizeof(why));
	if (rc < 0) {
		FZ_ASSERT(rc == -EINVAL, "%d", rc);
		FZ_ASSERT(why[0], "refused without a reason");
		free(text);
		return 0;
	}
	for (size_t i = 0; i < len; i++)
		lines += text[i] == '\n';
	lines += len && text[len - 1] != '\n';
	FZ_ASSERT(n == lines && n <= max, "%zu regions from %zu lines, room for %zu", n, lines, max);
	printed = malloc(n * 64 + 1);
	if (!printed)
		abort();
	printed[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		FZ_ASSERT(r[i].start <= r[i].end, "region %zu", i);
		FZ_ASSERT(dp_resv_type_name(r[i].type), "region %zu: type %d", i, r[i].type);
		sprintf(printed + strlen(printed), "0x%016llx 0x%016llx %s\n",
			(unsigned long long)r[i].start, (unsigned long long)r[i].end,
			dp_resv_type_name(r[i].type));
	}
	rc = dp_resv_parse(printed, strlen(printed), again, max, &m, why, sizeof(why));
	FZ_ASSERT(rc == 0 && m == n, "the printed regions do not parse back: %s", why);
	for (size_t i = 0; i < n; i++)
		FZ_ASSERT(r[i].start == again[i].start && r[i].end == again[i].end &&
			  r[i].type == again[i].type, "printed region %zu differs", i);
	free(printed);
	free(text);
	return 0;
}
