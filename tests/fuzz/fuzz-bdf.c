/* SPDX-License-Identifier: MIT */
/*
 * dp_bdf_parse against dp_bdf_parse(3)'s grammar, and the lookup by BDF.
 * A reference matcher written from the page decides what is a PCI address:
 *   DDDD:BB:DD.F  4 to 8 hex digits of domain, 2 of bus, 2 of device, 1 of function
 *   BB:DD.F       domain 0
 * device < 0x20, function < 8, hex of either case, nothing else.
 * The parser must accept exactly those, with the same parts, and write
 * nothing on failure. An accepted address is then looked up in an inventory
 * with functions in 4- and 5-digit domains around it (issue 13, defect 2),
 * and the "not a PCI address" message must not echo control characters.
 */
#include <ctype.h>

#include "fuzz.h"
#include "inventory.h"

struct bdf {
	uint32_t domain;
	uint8_t bus, dev, func;
};

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* n hex digits at s into *v; false if any is not one. */
static bool hexn(const char *s, size_t n, uint32_t *v)
{
	*v = 0;
	for (size_t i = 0; i < n; i++) {
		int x = hexval(s[i]);

		if (x < 0)
			return false;
		*v = *v * 16 + (uint32_t)x;
	}
	return true;
}

static bool ref_parse(const char *s, struct bdf *out)
{
	size_t len = strlen(s), dlen = 0;
	uint32_t d = 0, b, v, f;

	if (len != 7) {
		if (len < 4 + 8 || len > 8 + 8)
			return false;
		dlen = len - 8;
		if (!hexn(s, dlen, &d) || s[dlen] != ':')
			return false;
		s += dlen + 1;
	}
	if (!hexn(s, 2, &b) || s[2] != ':' || !hexn(s + 3, 2, &v) || s[5] != '.' ||
	    !hexn(s + 6, 1, &f))
		return false;
	if (v >= 0x20 || f >= 8)
		return false;
	*out = (struct bdf){ d, (uint8_t)b, (uint8_t)v, (uint8_t)f };
	return true;
}

/* ---- the lookup ---- */

static bool logged_control;

static void log_check(struct dp_ctx *ctx, int priority, const char *file, int line,
		      const char *fn, const char *format, va_list args, void *userdata)
	DP_PRINTF(6, 0);
static void log_check(struct dp_ctx *ctx, int priority, const char *file, int line,
		      const char *fn, const char *format, va_list args, void *userdata)
{
	char msg[1024];

	(void)ctx, (void)priority, (void)file, (void)line, (void)fn, (void)userdata;
	vsnprintf(msg, sizeof(msg), format, args);
	FZ_ASSERT(strncmp(msg, "BUG", 3) != 0, "%s", msg);
	for (const char *p = msg; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			logged_control = true;
}

static struct dp_device *fake_device(struct dp_ctx *ctx, const struct bdf *b)
{
	struct dp_device *dev = calloc(1, sizeof(*dev));

	if (!dev)
		abort();
	dev->ctx = ctx;
	dev->in_inventory = true;
	snprintf(dev->bdf, sizeof(dev->bdf), "%04x:%02x:%02x.%x", (unsigned)b->domain, b->bus,
		 b->dev, b->func);
	dev->info.domain = b->domain;
	dev->info.bus = b->bus;
	dev->info.dev = b->dev;
	dev->info.func = b->func;
	return dev;
}

static uint64_t key(const struct dp_device *d)
{
	return (uint64_t)d->info.domain << 16 | (uint32_t)d->info.bus << 8 |
	       (uint32_t)d->info.dev << 3 | d->info.func;
}

static uint64_t bdf_key(const struct bdf *b)
{
	return (uint64_t)b->domain << 16 | (uint32_t)b->bus << 8 | (uint32_t)b->dev << 3 | b->func;
}

static int cmp_dev(const void *a, const void *b)
{
	uint64_t x = key(*(struct dp_device *const *)a), y = key(*(struct dp_device *const *)b);

	return x < y ? -1 : x > y;
}

/* An inventory as a scan leaves it (numeric BDF order) with want among VMD-like neighbours. */
static void lookup(const char *text, const struct bdf *want)
{
	static const struct bdf others[] = {
		{ 0x0000, 0x00, 0x00, 0 }, { 0x0000, 0x03, 0x00, 0 }, { 0x2000, 0x00, 0x00, 0 },
		{ 0x10000, 0x00, 0x00, 0 }, { 0x10000, 0x01, 0x00, 0 }, { 0xffffffff, 0xff, 0x1f, 7 },
	};
	const size_t n_others = sizeof(others) / sizeof(others[0]);
	DP_OPTS(dp_ctx_opts, o, .log_fn = log_check);
	struct dp_device *found = NULL;
	struct dp_ctx *ctx = NULL;
	size_t n = 0;

	if (dp_ctx_new(&o, &ctx) < 0)
		abort();
	ctx->devices = calloc(n_others + 1, sizeof(*ctx->devices));
	if (!ctx->devices)
		abort();
	for (size_t i = 0; i < n_others; i++)
		if (!want || bdf_key(&others[i]) != bdf_key(want))
			ctx->devices[n++] = fake_device(ctx, &others[i]);
	if (want)
		ctx->devices[n++] = fake_device(ctx, want);
	ctx->n_devices = n;
	qsort(ctx->devices, n, sizeof(*ctx->devices), cmp_dev);
	ctx->scanned = true;
	ctx->inventory_free = dp_inventory_clear; /* as a scan installs it */

	logged_control = false;
	if (want) {
		FZ_ASSERT(dp_ctx_find_device(ctx, text, &found) == 0,
			  "\"%s\" is listed but not found", text);
		FZ_ASSERT(found->info.domain == want->domain && found->info.bus == want->bus &&
			  found->info.dev == want->dev && found->info.func == want->func,
			  "\"%s\" found %s", text, found->bdf);
		dp_device_unref(found);
	} else {
		FZ_ASSERT(dp_ctx_find_device(ctx, text, &found) == -EINVAL, "\"%s\"", text);
		FZ_ASSERT(!found, "written on failure");
	}
	FZ_ASSERT(!logged_control, "a message echoed a control character of \"%s\"", text);
	dp_ctx_unref(ctx);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fz_strndup(data, size > 64 ? 64 : size);
	uint32_t domain = 0x5a5a5a5a;
	uint8_t bus = 0x5a, dev = 0x5a, func = 0x5a;
	struct bdf want;
	bool ok = ref_parse(s, &want);
	int r = dp_bdf_parse(s, &domain, &bus, &dev, &func);

	if (ok) {
		FZ_ASSERT(r == 0, "\"%s\" is a PCI address by dp_bdf_parse(3), parser says %d", s, r);
		FZ_ASSERT(domain == want.domain && bus == want.bus && dev == want.dev &&
			  func == want.func, "\"%s\" parsed as %x:%x:%x.%x", s, domain, bus,
			  dev, func);
	} else {
		FZ_ASSERT(r == -EINVAL, "\"%s\" is no PCI address by dp_bdf_parse(3), parser says %d",
			  s, r);
		FZ_ASSERT(domain == 0x5a5a5a5a && bus == 0x5a && dev == 0x5a && func == 0x5a,
			  "\"%s\": written on failure", s);
	}
	FZ_ASSERT(dp_bdf_parse(s, NULL, NULL, NULL, NULL) == r, "NULL parts change the answer");
	lookup(s, ok ? &want : NULL);
	free(s);
	return 0;
}
