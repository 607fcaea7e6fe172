/* SPDX-License-Identifier: MIT */
/*
 * The grammar of a VM's device entry (directpath-vm(5)): a PCI address has a
 * '.', an ID has none, a label starts with "label:". No entry is two kinds.
 */
#include <ctype.h>
#include <string.h>

#include "parse.h"
#include "select.h"

int dp_id_parse(const char *text, uint32_t id[4])
{
	size_t len = text ? strnlen(text, 20) : 0;
	uint32_t v[4] = { DP_ID_ANY, DP_ID_ANY, DP_ID_ANY, DP_ID_ANY };

	if (len != 9 && len != 19)
		return -EINVAL;
	for (size_t k = 0; k * 5 < len; k++) {
		long x = dp_parse_hex_n(text + k * 5, 4);

		if (x < 0 || (k * 5 + 4 < len && text[k * 5 + 4] != ':'))
			return -EINVAL;
		v[k] = (uint32_t)x;
	}
	memcpy(id, v, sizeof(v));
	return 0;
}

bool dp_label_name_valid(const char *name)
{
	size_t len = name ? strnlen(name, DP_LABEL_NAME_MAX + 1) : 0;

	if (len == 0 || len > DP_LABEL_NAME_MAX || !isalnum((unsigned char)name[0]))
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)name[i];

		if (c >= 0x80 || !(isalnum(c) || c == '_' || c == '-' || c == '.'))
			return false;
	}
	return true;
}

bool dp_id_matches(const uint32_t id[4], const struct dp_device *dev)
{
	const uint32_t have[4] = { dev->info.vendor_id, dev->info.device_id,
				   dev->info.subsystem_vendor_id, dev->info.subsystem_id };

	for (int k = 0; k < 4; k++)
		if (id[k] != DP_ID_ANY && id[k] != have[k])
			return false;
	return true;
}

int dp_request_parse(const char *text, struct dp_request *req, char *why, size_t why_len)
{
	struct dp_request r = { 0 };

	if (!text)
		return dp_parse_fail(why, why_len, "no device");
	if (strncmp(text, "label:", 6) == 0) {
		if (!dp_label_name_valid(text + 6))
			return dp_parse_fail(why, why_len,
					     "a label name is 1 to %d letters, digits, '_', '-' or '.', starting with a letter or digit",
					     DP_LABEL_NAME_MAX);
		r.kind = DP_REQUEST_LABEL;
		strcpy(r.label, text + 6);
	} else if (strchr(text, '.')) {
		if (dp_bdf_normalize(text, r.bdf) < 0)
			return dp_parse_fail(why, why_len, "not a PCI address (DDDD:BB:DD.F)");
		r.kind = DP_REQUEST_BDF;
	} else {
		if (dp_id_parse(text, r.id) < 0)
			return dp_parse_fail(why, why_len,
					     "not a PCI address (DDDD:BB:DD.F), an ID (VVVV:DDDD or VVVV:DDDD:SSSS:ssss) or a label (label:NAME)");
		r.kind = DP_REQUEST_ID;
	}
	*req = r;
	return 0;
}

int dp_vm_request_check(const char *text, char *why, size_t why_len)
{
	struct dp_request req;

	return dp_request_parse(text, &req, why, why_len);
}
