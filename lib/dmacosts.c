/* SPDX-License-Identifier: MIT */
/* The dma-costs file: what bench-dma measured, per GiB, for each backing page size. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dmacosts.h"
#include "inifile.h"
#include "parse.h"

/*
 * Without the file: 1 GiB to DMA-ready (allocate, touch, dp_dma_map) as
 * bench-dma measured it in the test guest under TCG on 2026-12-06 (README,
 * Performance: dma-ready; 5689.9, 5861.0 and 2598.7 ms), in nanoseconds
 * per GiB. A real host is faster: run bench-dma there to replace them.
 */
#define DEFAULT_4K_NS UINT64_C(5690000000)
#define DEFAULT_THP_NS UINT64_C(5861000000)
#define DEFAULT_HUGETLB_NS UINT64_C(2599000000)

void dp_dma_costs_default(struct dp_dma_costs *c)
{
	c->ns_per_gib[DP_PLAN_PAGE_4K] = DEFAULT_4K_NS;
	c->ns_per_gib[DP_PLAN_PAGE_THP] = DEFAULT_THP_NS;
	c->ns_per_gib[DP_PLAN_PAGE_HUGETLB] = DEFAULT_HUGETLB_NS;
	c->given = 0;
}

static bool blank(char ch)
{
	return ch == ' ' || ch == '\t';
}

/* line[0..len) without the blanks around it, into buf; false when it does not fit. */
static bool trimmed(const char *line, size_t len, char *buf, size_t size)
{
	while (len && blank(*line)) {
		line++;
		len--;
	}
	while (len && blank(line[len - 1]))
		len--;
	if (len >= size)
		return false;
	memcpy(buf, line, len);
	buf[len] = '\0';
	return true;
}

int dp_dma_costs_parse(const char *text, size_t len, struct dp_dma_costs *c, char *why,
		       size_t why_len)
{
	struct dp_dma_costs out = *c;
	const char *line;
	size_t pos = 0, n;
	unsigned no = 0;

	out.given = 0;
	while (dp_next_line(text, len, &pos, &line, &n)) {
		char buf[128], *eq, *key, *value;
		uint32_t page;
		uint64_t v;

		no++;
		if (memchr(line, '\0', n))
			return dp_parse_fail(why, why_len, "line %u: a NUL byte", no);
		if (!trimmed(line, n, buf, sizeof(buf)))
			return dp_parse_fail(why, why_len, "line %u: longer than %zu bytes", no,
					     sizeof(buf) - 1);
		if (!buf[0] || buf[0] == '#')
			continue;
		eq = strchr(buf, '=');
		if (!eq)
			return dp_parse_fail(why, why_len, "line %u: not \"PAGE = NS\"", no);
		*eq = '\0';
		key = buf;
		value = eq + 1;
		for (char *e = eq; e > key && blank(e[-1]); e--)
			e[-1] = '\0';
		while (blank(*value))
			value++;
		if (!key[0])
			return dp_parse_fail(why, why_len, "line %u: no page size before '='", no);
		if (dp_plan_page_from_name(key, &page) < 0)
			continue; /* a later bench-dma's key */
		if (out.given & (1u << page))
			return dp_parse_fail(why, why_len, "line %u: %s given twice", no, key);
		if (dp_parse_u64(value, 10, DP_DMA_COST_MAX, &v) < 0 || v == 0)
			return dp_parse_fail(why, why_len,
					     "line %u: %s: not a number of nanoseconds from 1 to %llu",
					     no, key, (unsigned long long)DP_DMA_COST_MAX);
		out.ns_per_gib[page] = v;
		out.given |= 1u << page;
	}
	*c = out;
	return 0;
}

int dp_dma_costs_load(struct dp_ctx *ctx, struct dp_dma_costs *c)
{
	char *path = NULL, *text = NULL, why[160] = "";
	size_t len = 0;
	int r;

	dp_dma_costs_default(c);
	if (asprintf(&path, "%s/%s", ctx->config_dir, DP_DMA_COSTS_FILE) < 0)
		return -ENOMEM;
	if (access(path, F_OK) < 0) {
		r = 0; /* absent: bench-dma has not run here */
		goto out;
	}
	r = dp_read_text_file(ctx, path, DP_DMA_COSTS_MAX_SIZE, &text, &len);
	if (r == -ENOMEM)
		goto out;
	if (r < 0) {
		dp_warn(ctx, "%s: unreadable; the DMA-ready estimates use the defaults", path);
		r = 0;
		goto out;
	}
	if (dp_dma_costs_parse(text, len, c, why, sizeof(why)) < 0) {
		dp_warn(ctx, "%s: %s; the DMA-ready estimates use the defaults", path, why);
		r = 0;
		goto out;
	}
	r = c->given ? 1 : 0;
out:
	free(text);
	free(path);
	return r;
}
