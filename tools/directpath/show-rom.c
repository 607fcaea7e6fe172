/* SPDX-License-Identifier: MIT */
/* directpath show: the function's option ROM, read from sysfs and validated (dp_device_get_rom_status). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

static const char *state_name(uint32_t state)
{
	const char *name = dp_rom_state_name(state);

	return name ? name : "?";
}

/* EXIT_OK and *st, or EXIT_USAGE (said). */
static int get_rom(const struct dp_device *dev, struct dp_rom_status *st)
{
	int r;

	memset(st, 0, sizeof(*st));
	st->sz = sizeof(*st);
	r = dp_device_get_rom_status(dev, st);
	if (r < 0) {
		err_msg("%s: cannot read its option ROM: %s", dp_device_get_bdf(dev), strerror(-r));
		return EXIT_USAGE;
	}
	return EXIT_OK;
}

int show_rom_text(const struct dp_device *dev)
{
	struct dp_rom_status st;
	char size[32];
	int r = get_rom(dev, &st);

	if (r != EXIT_OK)
		return r;
	if (st.state == DP_ROM_NONE) {
		printf("  %-19s -\n", "ROM");
		return EXIT_OK;
	}
	printf("  %-19s %s, %s", "ROM", fmt_size(size, sizeof(size), st.bar_size),
	       state_name(st.state));
	if (st.state == DP_ROM_VALID)
		printf(", %" PRIu64 " bytes", st.size);
	for (uint32_t i = 0; i < st.n_images && i < DP_ROM_IMAGES_MAX; i++) {
		const char *name = dp_rom_code_type_name(st.code_types[i]);

		printf("%s", i ? " " : ", images: ");
		if (name)
			printf("%s", name);
		else
			printf("%u", st.code_types[i]);
	}
	if (st.reason[0])
		printf(" (%s)", st.reason);
	printf("\n");
	return EXIT_OK;
}

int show_rom_json(const struct dp_device *dev, struct json_object *o)
{
	struct json_object *x, *a;
	struct dp_rom_status st;
	int r = get_rom(dev, &st), e = 0;

	if (r != EXIT_OK)
		return r;
	if (st.state == DP_ROM_NONE)
		return jadd(o, "rom", NULL, true) ? oom() : EXIT_OK;
	x = json_object_new_object();
	a = json_object_new_array();
	if (!x || !a) {
		json_object_put(x);
		json_object_put(a);
		return oom();
	}
	e |= jadd_str(x, "state", state_name(st.state));
	e |= jadd_uint(x, "bar_size", st.bar_size);
	if (st.state == DP_ROM_VALID)
		e |= jadd_uint(x, "size", st.size);
	else
		e |= jadd(x, "size", NULL, true);
	for (uint32_t i = 0; i < st.n_images && i < DP_ROM_IMAGES_MAX; i++) {
		const char *name = dp_rom_code_type_name(st.code_types[i]);

		e |= jarray_add(a, name ? json_object_new_string(name)
					: json_object_new_int(st.code_types[i]));
	}
	e |= jadd(x, "code_types", a, false);
	e |= jadd_str(x, "reason", st.reason[0] ? st.reason : NULL);
	e |= jadd(o, "rom", x, false);
	return e ? oom() : EXIT_OK;
}
