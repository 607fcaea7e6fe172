/* SPDX-License-Identifier: MIT */
/*
 * Compatibility lists (dp_policy_load_compat_file: lib/compat.c) against
 * directpath-compat(5): the input is a .list file. A reference reader from
 * the page decides validity and the entries:
 *   VVVV:DDDD [SSSS:ssss] LEVEL [NAME...]   IDs 4 hex digits or '*',
 *   fields split by spaces or tabs, LEVEL supported|experimental|unsupported,
 *   NAME the rest of the line (any character, '#' included);
 *   blank and '#' lines ignored; 512 characters a line at most; no NUL.
 * Not judged (the page is silent): CR, VT and FF anywhere, and white space
 * at the end of a line, which the loader trims.
 */
#include "fuzz.h"

#define LINE_MAX_CHARS 512
#define REF_MAX 1024

enum { INVALID, VALID, OPEN, SKIP };

struct entry {
	uint32_t id[4];
	int level;
	char name[LINE_MAX_CHARS + 1];
	unsigned line;
};

static bool blank(char c)
{
	return c == ' ' || c == '\t';
}

static bool ref_id(const char *s, size_t n, uint32_t *out)
{
	*out = 0;
	if (n == 1 && *s == '*') {
		*out = DP_ID_ANY;
		return true;
	}
	if (n != 4)
		return false;
	for (size_t i = 0; i < 4; i++) {
		char c = s[i];
		int x = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
			: c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;

		if (x < 0)
			return false;
		*out = *out * 16 + (uint32_t)x;
	}
	return true;
}

static bool ref_pair(const char *w, size_t n, uint32_t *a, uint32_t *b)
{
	const char *colon = memchr(w, ':', n);

	return colon && ref_id(w, (size_t)(colon - w), a) &&
	       ref_id(colon + 1, n - (size_t)(colon + 1 - w), b);
}

/* The next field of [*p, e): its start and length; false at the end. */
static bool field(const char **p, const char *e, const char **w, size_t *n)
{
	while (*p < e && blank(**p))
		(*p)++;
	if (*p == e)
		return false;
	*w = *p;
	while (*p < e && !blank(**p))
		(*p)++;
	*n = (size_t)(*p - *w);
	return true;
}

static int ref_line(const char *s, size_t len, struct entry *out)
{
	static const char *const levels[] = { "supported", "experimental", "unsupported" };
	const char *p = s, *e = s + len, *w;
	size_t n;

	for (size_t i = 0; i < len; i++)
		if (s[i] == '\r' || s[i] == '\v' || s[i] == '\f')
			return OPEN;
	if (len && blank(s[len - 1]))
		return OPEN;
	while (p < e && blank(*p))
		p++;
	if (p == e || *p == '#')
		return SKIP;
	out->id[2] = out->id[3] = DP_ID_ANY;
	if (!field(&p, e, &w, &n) || !ref_pair(w, n, &out->id[0], &out->id[1]))
		return INVALID;
	if (!field(&p, e, &w, &n))
		return INVALID;
	if (memchr(w, ':', n)) {
		if (!ref_pair(w, n, &out->id[2], &out->id[3]) || !field(&p, e, &w, &n))
			return INVALID;
	}
	out->level = -1;
	for (int i = 0; i < 3; i++)
		if (strlen(levels[i]) == n && memcmp(w, levels[i], n) == 0)
			out->level = DP_SUPPORT_SUPPORTED + i;
	if (out->level < 0)
		return INVALID;
	while (p < e && blank(*p))
		p++;
	memcpy(out->name, p, (size_t)(e - p));
	out->name[e - p] = '\0';
	return VALID;
}

struct ref {
	struct entry e[REF_MAX];
	size_t n;
};

static int ref_file(const uint8_t *data, size_t size, struct ref *ref)
{
	const char *s = (const char *)data, *end = s + size;
	int verdict = VALID;
	unsigned lineno = 0;

	if (memchr(data, '\0', size))
		return INVALID;
	while (s < end) {
		const char *nl = memchr(s, '\n', (size_t)(end - s));
		size_t len = (size_t)((nl ? nl : end) - s);
		int v;

		lineno++;
		if (len > LINE_MAX_CHARS)
			return INVALID;
		if (ref->n == REF_MAX)
			return OPEN;
		v = ref_line(s, len, &ref->e[ref->n]);
		if (v == INVALID)
			return INVALID;
		if (v == OPEN)
			verdict = OPEN;
		if (v == VALID)
			ref->e[ref->n++].line = lineno;
		s = nl ? nl + 1 : end;
	}
	return verdict;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dp_ctx *ctx = fz_ctx(FZ_NO_DIR);
	struct dp_policy *policy = NULL;
	struct ref *ref = calloc(1, sizeof(*ref));
	char path[64];
	int fd, r, verdict;
	size_t count;

	if (!ref || dp_policy_new(ctx, &policy) < 0)
		abort();
	verdict = ref_file(data, size, ref);
	fd = fz_memfd(data, size, path, sizeof(path));
	r = dp_policy_load_compat_file(policy, path);
	close(fd);
	count = dp_policy_get_compat_count(policy);
	if (verdict == VALID)
		FZ_ASSERT(r == 0, "a valid list by directpath-compat(5) is rejected: %d", r);
	else if (verdict == INVALID)
		FZ_ASSERT(r == -EINVAL, "an invalid list by directpath-compat(5) gives %d", r);
	if (r < 0)
		FZ_ASSERT(count == 0, "a rejected list left %zu entries", count);
	if (r == 0 && verdict == VALID) {
		FZ_ASSERT(count == ref->n, "%zu entries, the list has %zu", count, ref->n);
		for (size_t i = 0; i < count; i++) {
			DP_OPTS_NONE(dp_compat_info, info);
			const struct entry *e = &ref->e[i];

			FZ_ASSERT(dp_policy_get_compat_entry(policy, i, &info) == 0, "entry %zu", i);
			FZ_ASSERT(info.vendor_id == e->id[0] && info.device_id == e->id[1] &&
				  info.subsystem_vendor_id == e->id[2] &&
				  info.subsystem_id == e->id[3] && info.level == e->level &&
				  info.line == e->line,
				  "entry %zu: %x:%x %x:%x level %d line %u", i, info.vendor_id,
				  info.device_id, info.subsystem_vendor_id, info.subsystem_id,
				  info.level, info.line);
			FZ_ASSERT(strcmp(info.name ? info.name : "", e->name) == 0,
				  "entry %zu: name \"%s\", not \"%s\"", i, info.name, e->name);
		}
	}
	dp_policy_unref(policy);
	free(ref);
	dp_ctx_unref(ctx);
	return 0;
}
