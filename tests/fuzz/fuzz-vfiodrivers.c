/* SPDX-License-Identifier: MIT */
/*
 * vfio_drivers (directpath-policy(5); lib/vfiodriver.c): the input, up to a
 * NUL, is the value. Invariants: a refusal says why and leaves the list
 * untouched; an accepted list prints as text that parses back to the same
 * list; every entry's pattern, with each '*' taken as "x", matches that
 * name, on a registered device always, and without the registration only
 * when the entry has no :vfio-dev; no entry makes every host driver ready.
 */
#include "fuzz.h"
#include "vfiodriver.h"

static void literal(const char *pattern, char *out, size_t size)
{
	size_t i = 0;

	for (; pattern[i] && i + 1 < size; i++)
		out[i] = pattern[i] == '*' ? 'x' : pattern[i];
	out[i] = '\0';
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct dp_vfio_drivers l, again;
	char *text = fz_strndup(data, size), why[256], name[DP_VFIO_DRIVER_PATTERN_MAX + 1];
	int r;

	memset(&l, 0x5a, sizeof(l));
	why[0] = '\0';
	r = dp_vfio_drivers_parse(text, &l, why, sizeof(why));
	FZ_ASSERT(r == 0 || r == -EINVAL, "returned %d", r);
	if (r < 0) {
		FZ_ASSERT(why[0] && memchr(why, '\0', sizeof(why)), "a refusal without a reason");
		FZ_ASSERT(((unsigned char *)&l)[0] == 0x5a, "a refusal wrote the list");
		free(text);
		return 0;
	}
	FZ_ASSERT(l.n >= 1 && l.n <= DP_VFIO_DRIVERS_MAX, "%zu entries", l.n);
	FZ_ASSERT(memchr(l.text, '\0', sizeof(l.text)), "text not terminated");
	FZ_ASSERT(dp_vfio_drivers_parse(l.text, &again, why, sizeof(why)) == 0, "\"%s\" does not parse back: %s",
		  l.text, why);
	FZ_ASSERT(again.n == l.n && strcmp(again.text, l.text) == 0, "\"%s\" came back as \"%s\"", l.text,
		  again.text);
	for (size_t i = 0; i < l.n; i++) {
		const struct dp_vfio_driver_entry *e = &l.e[i];

		FZ_ASSERT(e->pattern[0] && strlen(e->pattern) <= DP_VFIO_DRIVER_PATTERN_MAX, "entry %zu", i);
		FZ_ASSERT(e->need_vfio_dev == again.e[i].need_vfio_dev &&
			  strcmp(e->pattern, again.e[i].pattern) == 0, "entry %zu changed", i);
		literal(e->pattern, name, sizeof(name));
		FZ_ASSERT(dp_vfio_drivers_match(&l, name, true), "%s does not match %s", e->pattern, name);
		if (!e->need_vfio_dev)
			FZ_ASSERT(dp_vfio_drivers_match(&l, name, false), "%s needs no vfio-dev", e->pattern);
	}
	/* A host driver's name no pattern but '*' can take: never ready unregistered. */
	FZ_ASSERT(!dp_vfio_drivers_match(&l, "", false), "the empty name is ready");
	free(text);
	return 0;
}
