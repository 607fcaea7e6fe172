/* SPDX-License-Identifier: MIT */
/*
 * Prints, as one JSON object, every name the library's name functions give
 * that the CLI's JSON carries: {"finding_code": ["vm-invalid", ...], ...}.
 * tests/tools/schema.py compares each list with the enum of the same name in
 * data/schema/directpath.schema.json ($defs/NAME_name), so a constant added
 * to the library without its word in the schema fails the suite.
 * Usage: schema-names
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <directpath/directpath.h>

typedef const char *(*name32_fn)(uint32_t value);

static int first_list;

/* A word of the library's: lower case, digits, '-' and '_' only, so no JSON escape is needed. */
static int word_ok(const char *s)
{
	return s && *s && strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789-_") == strlen(s);
}

static int open_list(const char *key)
{
	printf("%s\n  \"%s\": [", first_list ? "" : ",", key);
	first_list = 0;
	return 0;
}

/* Prints name, comma-separated after the first; -1 for a name that is not a plain word. */
static int put_name(const char *name, int *count)
{
	if (!word_ok(name)) {
		fprintf(stderr, "schema-names: \"%s\" is not a plain word\n", name ? name : "(null)");
		return -1;
	}
	printf("%s\"%s\"", (*count)++ ? ", " : "", name);
	return 0;
}

/* Every value 0..max-1 (or every bit of 32 when bits) that has a name. */
static int list32(const char *key, name32_fn fn, uint32_t max, int bits)
{
	int count = 0, e = 0;

	open_list(key);
	for (uint32_t i = 0; i < (bits ? 32u : max); i++) {
		const char *name = fn(bits ? 1u << i : i);

		if (name)
			e |= put_name(name, &count);
	}
	printf("]");
	return e;
}

int main(void)
{
	int e = 0, count = 0;

	first_list = 1;
	printf("{");
	e |= list32("finding_code", dp_finding_code_name, 4096, 0);
	e |= list32("severity", dp_severity_name, 256, 0);
	e |= list32("feature", dp_feature_name, 0, 1);
	e |= list32("iommu_kind", dp_iommu_kind_name, 256, 0);
	e |= list32("host_flag", dp_host_flag_name, 0, 1);
	e |= list32("rom_state", dp_rom_state_name, 256, 0);
	e |= list32("rom_code_type", dp_rom_code_type_name, 256, 0);
	e |= list32("reset_source", dp_reset_source_name, 256, 0);
	e |= list32("host_use_flag", dp_host_use_flag_name, 0, 1);
	e |= list32("host_unknown", dp_host_unknown_name, 0, 1);
	e |= list32("host_usb_flag", dp_host_usb_flag_name, 0, 1);
	e |= list32("host_block_flag", dp_host_block_flag_name, 0, 1);
	e |= list32("plan_page", dp_plan_page_name, 256, 0);
	e |= list32("migration_state", dp_migration_state_name, 256, 0);
	e |= list32("migration_flag", dp_migration_flag_name, 0, 1);
	e |= list32("vfio_driver_kind", dp_vfio_driver_kind_name, 256, 0);
	e |= list32("handoff_fd_role", dp_handoff_fd_role_name, 256, 0);

	open_list("device_flag");
	for (int b = 0; b < 64; b++) {
		const char *name = dp_device_flag_name(UINT64_C(1) << b);

		if (name)
			e |= put_name(name, &count);
	}
	printf("]");

	open_list("support_level");
	count = 0;
	for (int l = -16; l < 256; l++) {
		const char *name = dp_support_level_name(l);

		if (name)
			e |= put_name(name, &count);
	}
	printf("]");

	open_list("rule");
	count = 0;
	for (int r = 0; r < 256; r++) {
		const char *name = dp_rule_name((enum dp_rule)r);

		if (name)
			e |= put_name(name, &count);
	}
	printf("]\n}\n");
	return e ? 1 : 0;
}
