/* SPDX-License-Identifier: MIT */
/* VM descriptions: what a VM is and wants, as plain data or an INI-style file. */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "inifile.h"
#include "parse.h"
#include "quote.h"
#include "vm.h"

/* What a message quotes from the file, made safe to print (q is the caller's buffer). */
#define Q(text) dp_quote(q, sizeof(q), (text))

static const char *const dp_feature_names[] = {
	"vmotion", "storage_vmotion", "fault_tolerance", "hot_add",
	"suspend_resume", "record_replay", "snapshot_memory", "memory_overcommit",
};

const char *dp_feature_name(uint32_t feature)
{
	for (unsigned i = 0; i < sizeof(dp_feature_names) / sizeof(dp_feature_names[0]); i++)
		if (feature == 1u << i)
			return dp_feature_names[i];
	return NULL;
}

uint32_t dp_feature_from_name(const char *name)
{
	if (!name)
		return 0;
	for (unsigned i = 0; i < sizeof(dp_feature_names) / sizeof(dp_feature_names[0]); i++)
		if (strcmp(name, dp_feature_names[i]) == 0)
			return 1u << i;
	return 0;
}

/* A VM name: printable, no quotes or control characters, bounded. */
static bool valid_name(const char *name);

bool dp_vm_name_valid(const char *name)
{
	return valid_name(name);
}

static bool valid_name(const char *name)
{
	size_t len = name ? strnlen(name, DP_VM_NAME_MAX + 1) : 0;

	if (len == 0 || len > DP_VM_NAME_MAX)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!isprint((unsigned char)name[i]) || name[i] == '"' || name[i] == '\\')
			return false;
	return true;
}

int dp_vm_new(struct dp_ctx *ctx, const char *name, struct dp_vm **out)
{
	struct dp_vm *vm;

	if (dp_bug_on(ctx, !ctx) || dp_bug_on(ctx, !out))
		return -EINVAL;
	if (!valid_name(name)) {
		dp_err(ctx, "VM name \"%.64s\" is empty, longer than %d characters, or has a quote, backslash or unprintable character",
		       name ? name : "(null)", DP_VM_NAME_MAX);
		return -EINVAL;
	}
	vm = calloc(1, sizeof(*vm));
	if (!vm || !(vm->name = strdup(name))) {
		free(vm);
		return -ENOMEM;
	}
	vm->refcount = 1;
	vm->ctx = dp_ctx_ref(ctx);
	vm->mmio_hole = DP_VM_MMIO_HOLE_DEFAULT;
	vm->mmio64_window = DP_VM_MMIO64_WINDOW_DEFAULT;
	*out = vm;
	return 0;
}

struct dp_vm *dp_vm_ref(struct dp_vm *vm)
{
	if (vm)
		vm->refcount++;
	return vm;
}

struct dp_vm *dp_vm_unref(struct dp_vm *vm)
{
	if (!vm || --vm->refcount > 0)
		return NULL;
	for (size_t i = 0; i < vm->n_devices; i++)
		free(vm->devices[i]);
	free(vm->devices);
	free(vm->name);
	dp_ctx_unref(vm->ctx);
	free(vm);
	return NULL;
}

int dp_vm_set_hw_version(struct dp_vm *vm, uint32_t version)
{
	if (!vm)
		return -EINVAL;
	vm->hw_version = version; /* 0 and the like are the policy's to judge */
	return 0;
}

int dp_vm_set_memory(struct dp_vm *vm, uint64_t size, uint64_t reservation)
{
	if (!vm)
		return -EINVAL;
	vm->memory = size;
	vm->reservation = reservation;
	return 0;
}

int dp_vm_set_mmio_hole(struct dp_vm *vm, uint64_t start)
{
	if (!vm)
		return -EINVAL;
	if (start == 0 || start > DP_VM_4G || start % DP_VM_MMIO_HOLE_ALIGN) {
		dp_err(vm->ctx, "%s: mmio_hole 0x%llx is not a multiple of 1 MiB from 1 MiB to 4 GiB",
		       vm->name, (unsigned long long)start);
		return -EINVAL;
	}
	vm->mmio_hole = start;
	return 0;
}

uint64_t dp_vm_get_mmio_hole(const struct dp_vm *vm)
{
	return vm ? vm->mmio_hole : 0;
}

int dp_vm_set_mmio64_window(struct dp_vm *vm, uint64_t size)
{
	if (!vm)
		return -EINVAL;
	if (size > DP_VM_MMIO64_WINDOW_MAX) {
		dp_err(vm->ctx, "%s: mmio64_window 0x%llx is larger than 4 PiB, the widest x86-64 physical address space",
		       vm->name, (unsigned long long)size);
		return -EINVAL;
	}
	vm->mmio64_window = size;
	return 0;
}

uint64_t dp_vm_get_mmio64_window(const struct dp_vm *vm)
{
	return vm ? vm->mmio64_window : 0;
}

size_t dp_vm_ram_ranges(const struct dp_vm *vm, uint64_t start[2], uint64_t end[2])
{
	uint64_t low = vm->memory < vm->mmio_hole ? vm->memory : vm->mmio_hole;
	size_t n = 0;

	if (low) {
		start[n] = 0;
		end[n++] = low - 1;
	}
	if (vm->memory > low) {
		uint64_t high = vm->memory - low;

		start[n] = DP_VM_4G;
		end[n++] = high > UINT64_MAX - DP_VM_4G ? UINT64_MAX : DP_VM_4G + high - 1;
	}
	return n;
}

int dp_vm_set_memory_size(struct dp_vm *vm, uint64_t size)
{
	return dp_vm_set_memory(vm, size, size); /* passthrough pins it all */
}

int dp_vm_set_features(struct dp_vm *vm, uint32_t features, int on)
{
	if (!vm)
		return -EINVAL;
	if (features & ~DP_FEATURE_ALL) {
		dp_err(vm->ctx, "%s: unknown feature bits %#x", vm->name,
		       features & ~DP_FEATURE_ALL);
		return -EINVAL;
	}
	if (on)
		vm->features |= features;
	else
		vm->features &= ~features;
	return 0;
}

int dp_vm_add_device(struct dp_vm *vm, const char *bdf)
{
	char **p, *copy, q[36]; /* 32 characters and "..." */

	if (!vm || dp_bug_on(vm->ctx, !bdf))
		return -EINVAL;
	if (strnlen(bdf, 64) >= 64) {
		dp_err(vm->ctx, "%s: device \"%s\" is far too long for a PCI address",
		       vm->name, dp_quote(q, sizeof(q), bdf));
		return -EINVAL;
	}
	if (vm->n_devices >= DP_VM_DEVICES_MAX) {
		dp_err(vm->ctx, "%s: more than %d passthrough devices", vm->name,
		       DP_VM_DEVICES_MAX);
		return -E2BIG;
	}
	copy = strdup(bdf);
	p = copy ? realloc(vm->devices, (vm->n_devices + 1) * sizeof(*p)) : NULL;
	if (!p) {
		free(copy);
		return -ENOMEM;
	}
	vm->devices = p;
	vm->devices[vm->n_devices++] = copy;
	return 0;
}

const char *dp_vm_get_name(const struct dp_vm *vm)
{
	return vm ? vm->name : NULL;
}

uint32_t dp_vm_get_hw_version(const struct dp_vm *vm)
{
	return vm ? vm->hw_version : 0;
}

uint64_t dp_vm_get_memory(const struct dp_vm *vm)
{
	return vm ? vm->memory : 0;
}

uint64_t dp_vm_get_reservation(const struct dp_vm *vm)
{
	return vm ? vm->reservation : 0;
}

uint32_t dp_vm_get_features(const struct dp_vm *vm)
{
	return vm ? vm->features : 0;
}

size_t dp_vm_get_device_count(const struct dp_vm *vm)
{
	return vm ? vm->n_devices : 0;
}

const char *dp_vm_get_device(const struct dp_vm *vm, size_t index)
{
	return vm && index < vm->n_devices ? vm->devices[index] : NULL;
}

/* The VM file: [vm] name, hw_version, memory, reservation, mmio_hole, mmio64_window, features; [passthrough] device... */
struct vm_file {
	struct dp_ctx *ctx;
	struct dp_vm *vm;
	char *name;
	bool has_hw, has_mem, has_res, has_hole, has_window;
	uint32_t hw;
	uint64_t mem, res, hole, window;
	uint32_t features;
	char **devices;
	size_t n_devices;
};

static int vm_key(struct dp_inifile *f, const char *section, const char *key,
		  const char *value, void *userdata)
{
	struct vm_file *vf = userdata;
	char q[DP_QUOTE_SIZE(DP_INIFILE_MAX_LINE)];
	uint64_t v;
	int r;

	if (strcmp(section, "passthrough") == 0) {
		char **p;

		if (strcmp(key, "device") != 0)
			return dp_inifile_error(f, "unknown key \"%s\" in [passthrough] (device)", Q(key));
		if (vf->n_devices >= DP_VM_DEVICES_MAX)
			return dp_inifile_error(f, "more than %d devices", DP_VM_DEVICES_MAX);
		if (strlen(value) >= 64) /* as dp_vm_add_device() would say, but with the line */
			return dp_inifile_error(f, "device \"%s\" is far too long for a PCI address",
						dp_quote(q, 36, value)); /* 32 characters and "..." */
		p = realloc(vf->devices, (vf->n_devices + 1) * sizeof(*p));
		if (!p)
			return -ENOMEM;
		vf->devices = p;
		if (!(vf->devices[vf->n_devices] = strdup(value)))
			return -ENOMEM;
		vf->n_devices++;
		return 0;
	}
	if (section[0] == '\0')
		return dp_inifile_error(f, "\"%s\" outside a section; put it under [vm]", Q(key));
	if (strcmp(section, "vm") != 0)
		return dp_inifile_error(f, "unknown section [%s] (vm, passthrough)", Q(section));
	r = dp_inifile_seen(f, section, key);
	if (r < 0)
		return r;
	if (r > 0)
		return dp_inifile_error(f, "duplicate key \"%s\"", Q(key));
	if (strcmp(key, "name") == 0) {
		if (!valid_name(value))
			return dp_inifile_error(f, "name must be 1 to %d printable characters",
						DP_VM_NAME_MAX);
		return (vf->name = strdup(value)) ? 0 : -ENOMEM;
	}
	if (strcmp(key, "hw_version") == 0) {
		if (dp_parse_u64(value, 10, UINT32_MAX, &v) < 0)
			return dp_inifile_error(f, "hw_version \"%s\" is not a number", Q(value));
		vf->hw = (uint32_t)v;
		vf->has_hw = true;
		return 0;
	}
	if (strcmp(key, "memory") == 0 || strcmp(key, "reservation") == 0) {
		r = dp_parse_size(value, &v);
		if (r < 0)
			return dp_inifile_error(f, "%s \"%s\" is not a size (such as 4096M or 4G)%s",
						key, Q(value), r == -ERANGE ? ": too large" : "");
		if (key[0] == 'm') {
			vf->mem = v;
			vf->has_mem = true;
		} else {
			vf->res = v;
			vf->has_res = true;
		}
		return 0;
	}
	if (strcmp(key, "mmio_hole") == 0) {
		r = dp_parse_size(value, &v);
		if (r < 0 || v == 0 || v > DP_VM_4G || v % DP_VM_MMIO_HOLE_ALIGN)
			return dp_inifile_error(f, "mmio_hole \"%s\" is not a size from 1M to 4G in whole MiB (such as 3G)",
						Q(value));
		vf->hole = v;
		vf->has_hole = true;
		return 0;
	}
	if (strcmp(key, "mmio64_window") == 0) {
		r = dp_parse_size(value, &v);
		if (r < 0 || v > DP_VM_MMIO64_WINDOW_MAX)
			return dp_inifile_error(f, "mmio64_window \"%s\" is not a size from 0 to 4096T (such as 32G)",
						Q(value));
		vf->window = v;
		vf->has_window = true;
		return 0;
	}
	if (strcmp(key, "features") == 0) {
		char buf[DP_INIFILE_MAX_LINE], *save = NULL;

		snprintf(buf, sizeof(buf), "%s", value);
		for (char *w = strtok_r(buf, " ,\t", &save); w; w = strtok_r(NULL, " ,\t", &save)) {
			uint32_t bit = dp_feature_from_name(w);

			if (!bit)
				return dp_inifile_error(f, "unknown feature \"%s\"", Q(w));
			vf->features |= bit;
		}
		return 0;
	}
	return dp_inifile_error(f, "unknown key \"%s\" in [vm] (name, hw_version, memory, reservation, mmio_hole, mmio64_window, features)",
				Q(key));
}

int dp_vm_new_from_file(struct dp_ctx *ctx, const char *path, struct dp_vm **out)
{
	struct vm_file vf = { .ctx = ctx };
	struct dp_vm *vm = NULL;
	int r;

	if (dp_bug_on(ctx, !ctx) || dp_bug_on(ctx, !path) || dp_bug_on(ctx, !out))
		return -EINVAL;
	r = dp_inifile_parse_sections(ctx, path, (const char *const[]){ "vm", "passthrough", NULL },
				      vm_key, &vf);
	if (r < 0)
		goto out;
	if (!vf.name) {
		dp_err(ctx, "%s: no name in [vm]", path);
		r = -EINVAL;
		goto out;
	}
	r = dp_vm_new(ctx, vf.name, &vm);
	if (r < 0)
		goto out;
	vm->hw_version = vf.hw;
	if (vf.has_hole)
		vm->mmio_hole = vf.hole;
	if (vf.has_window)
		vm->mmio64_window = vf.window;
	if (vf.has_res)
		dp_vm_set_memory(vm, vf.mem, vf.res);
	else
		dp_vm_set_memory_size(vm, vf.mem);
	vm->features = vf.features;
	for (size_t i = 0; i < vf.n_devices && r == 0; i++)
		r = dp_vm_add_device(vm, vf.devices[i]);
	if (r < 0) {
		vm = dp_vm_unref(vm);
		goto out;
	}
	if (!vf.has_hw)
		dp_warn(ctx, "%s: no hw_version in [vm]; the policy will find it invalid", path);
	if (!vf.has_mem)
		dp_warn(ctx, "%s: no memory in [vm]; the policy will find it invalid", path);
	*out = vm;
out:
	free(vf.name);
	for (size_t i = 0; i < vf.n_devices; i++)
		free(vf.devices[i]);
	free(vf.devices);
	return r;
}
