/* SPDX-License-Identifier: MIT */
/*
 * VM files (dp_vm_new_from_file: lib/vm.c on lib/inifile.c) against
 * directpath-vm(5): the input is the file. The reference reader
 * (ini-ref.h) with the page's sections and keys decides validity; sizes and
 * feature names are judged by dp_parse_size and dp_feature_from_name, whose
 * own grammar the size target checks. An accepted file must give the VM the
 * file describes: its name, hardware version and devices in order.
 */
#include "fuzz.h"
#include "ini-ref.h"

#define DEVICES_MAX 1024

struct ref {
	char name[INI_LINE_MAX + 1];
	bool seen[5];
	uint64_t hw;
	size_t n_devices;
	char devices[DEVICES_MAX][64];
};

static const char *const vm_keys[] = { "name", "hw_version", "memory", "reservation",
				       "features" };

static int ref_key(const char *section, const char *key, const char *value, void *ud)
{
	struct ref *ref = ud;
	uint64_t size;
	size_t i;

	if (strcmp(section, "passthrough") == 0) {
		if (!key)
			return INI_VALID;
		if (strcmp(key, "device") != 0 || ref->n_devices == DEVICES_MAX ||
		    strlen(value) >= 64)
			return INI_INVALID;
		if (!*value)
			return INI_OPEN;
		strcpy(ref->devices[ref->n_devices++], value);
		return INI_VALID;
	}
	if (strcmp(section, "vm") != 0)
		return INI_INVALID;
	if (!key)
		return INI_VALID;
	for (i = 0; i < 5 && strcmp(key, vm_keys[i]) != 0; i++)
		;
	if (i == 5 || ref->seen[i])
		return INI_INVALID;
	ref->seen[i] = true;
	switch (i) {
	case 0: /* 1 to 128 printable characters other than '"' and '\' */
		if (!*value || strlen(value) > 128)
			return INI_INVALID;
		for (const char *p = value; *p; p++) {
			if ((unsigned char)*p >= 0x80)
				return INI_OPEN; /* "printable" beyond ASCII: the page does not say */
			if (*p < 0x20 || *p == 0x7f || *p == '"' || *p == '\\')
				return INI_INVALID;
		}
		strcpy(ref->name, value);
		return INI_VALID;
	case 1: /* a decimal number without a sign; 32 bits */
		ref->hw = 0;
		if (!*value)
			return INI_INVALID;
		for (const char *p = value; *p; p++) {
			if (*p < '0' || *p > '9')
				return INI_INVALID;
			ref->hw = ref->hw * 10 + (uint64_t)(*p - '0');
			if (ref->hw > UINT32_MAX)
				return INI_INVALID;
		}
		return INI_VALID;
	case 2:
	case 3:
		return dp_parse_size(value, &size) == 0 ? INI_VALID : INI_INVALID;
	default: {
		char buf[INI_LINE_MAX + 1], *save = NULL;

		snprintf(buf, sizeof(buf), "%s", value);
		for (char *w = strtok_r(buf, " ,\t", &save); w; w = strtok_r(NULL, " ,\t", &save))
			if (!dp_feature_from_name(w))
				return INI_INVALID;
		return INI_VALID;
	}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dp_ctx *ctx = fz_ctx(FZ_NO_DIR);
	struct ref *ref = calloc(1, sizeof(*ref));
	struct dp_vm *vm = NULL;
	char path[64];
	int fd, r, verdict;

	if (!ref)
		abort();
	verdict = ini_ref(data, size, ref_key, ref);
	if (verdict == INI_VALID && !ref->seen[0])
		verdict = INI_INVALID; /* no name */
	fd = fz_memfd(data, size, path, sizeof(path));
	r = dp_vm_new_from_file(ctx, path, &vm);
	close(fd);
	if (verdict == INI_VALID)
		FZ_ASSERT(r == 0, "a valid VM file by directpath-vm(5) is rejected: %d", r);
	else if (verdict == INI_INVALID)
		FZ_ASSERT(r < 0, "an invalid VM file by directpath-vm(5) is accepted");
	if (r < 0) {
		FZ_ASSERT(!vm, "written on failure");
	} else {
		FZ_ASSERT(dp_vm_get_device_count(vm) <= DEVICES_MAX, "%zu devices",
			  dp_vm_get_device_count(vm));
		if (verdict == INI_VALID) {
			FZ_ASSERT(strcmp(dp_vm_get_name(vm), ref->name) == 0, "name \"%s\"",
				  dp_vm_get_name(vm));
			FZ_ASSERT(dp_vm_get_hw_version(vm) == ref->hw, "hw_version %u",
				  dp_vm_get_hw_version(vm));
			FZ_ASSERT(dp_vm_get_device_count(vm) == ref->n_devices, "%zu devices, not %zu",
				  dp_vm_get_device_count(vm), ref->n_devices);
			for (size_t i = 0; i < ref->n_devices; i++)
				FZ_ASSERT(strcmp(dp_vm_get_device(vm, i), ref->devices[i]) == 0,
					  "device %zu \"%s\"", i, dp_vm_get_device(vm, i));
		}
		dp_vm_unref(vm);
	}
	free(ref);
	dp_ctx_unref(ctx);
	return 0;
}
