/* SPDX-License-Identifier: MIT */
/* The outcome of a policy check: every finding, and what the VM loses. */
#include <json-c/json.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "report.h"

static const char *const code_names[] = {
	[DP_FINDING_VM_INVALID] = "vm-invalid",
	[DP_FINDING_HW_VERSION] = "hw-version",
	[DP_FINDING_TOO_MANY_DEVICES] = "too-many-devices",
	[DP_FINDING_DUPLICATE_DEVICE] = "duplicate-device",
	[DP_FINDING_NO_SUCH_DEVICE] = "no-such-device",
	[DP_FINDING_NO_IOMMU] = "no-iommu",
	[DP_FINDING_NO_INTERRUPT_REMAPPING] = "no-interrupt-remapping",
	[DP_FINDING_UNSAFE_INTERRUPTS] = "unsafe-interrupts",
	[DP_FINDING_NO_VFIO_PCI] = "no-vfio-pci",
	[DP_FINDING_NOT_MARKED] = "not-marked",
	[DP_FINDING_BRIDGE] = "bridge",
	[DP_FINDING_BOOT_VGA] = "boot-vga",
	[DP_FINDING_NO_IOMMU_GROUP] = "no-iommu-group",
	[DP_FINDING_GROUP_NOT_VIABLE] = "group-not-viable",
	[DP_FINDING_NO_RESET_METHOD] = "no-reset-method",
	[DP_FINDING_UNLISTED] = "unlisted",
	[DP_FINDING_EXPERIMENTAL] = "experimental",
	[DP_FINDING_UNSUPPORTED] = "unsupported",
	[DP_FINDING_MEMORY_NOT_RESERVED] = "memory-not-reserved",
	[DP_FINDING_FEATURE_LOST] = "feature-lost",
	[DP_FINDING_DEVICE_LEASED] = "device-leased",
	[DP_FINDING_CONFIG_UNREADABLE] = "config-unreadable",
	[DP_FINDING_NOT_BOUND] = "not-bound",
	[DP_FINDING_DIRECT_REGION] = "direct-region",
	[DP_FINDING_RELAXABLE_REGION] = "relaxable-region",
	[DP_FINDING_RESERVED_OVERLAP] = "reserved-overlap",
	[DP_FINDING_SHARED_RESET] = "shared-reset",
	[DP_FINDING_QUARANTINED] = "quarantined",
	[DP_FINDING_INVALID_ROM] = "invalid-rom",
	[DP_FINDING_HOST_INPUT] = "host-input",
	[DP_FINDING_HOST_STORAGE] = "host-storage",
	[DP_FINDING_HOST_BOOT_FILESYSTEM] = "host-boot-filesystem",
	[DP_FINDING_HOST_DEFAULT_ROUTE] = "host-default-route",
	[DP_FINDING_HOST_CONSOLE] = "host-console",
	[DP_FINDING_HOST_USE_UNKNOWN] = "host-use-unknown",
	[DP_FINDING_MMIO_WINDOW_TOO_SMALL] = "mmio-window-too-small",
	[DP_FINDING_MEMLOCK_TOO_LOW] = "memlock-too-low",
	[DP_FINDING_MIGRATION_SUPPORTED] = "migration-supported",
	[DP_FINDING_MIGRATION_UNKNOWN] = "migration-unknown",
	[DP_FINDING_DEVICE_CHOSEN] = "device-chosen",
	[DP_FINDING_NO_FREE_DEVICE] = "no-free-device",
	[DP_FINDING_VFIO_DRIVER] = "vfio-driver",
	[DP_FINDING_VFIO_DRIVER_NOT_LISTED] = "vfio-driver-not-listed",
};


const char *dp_finding_code_name(uint32_t code)
{
	return code < sizeof(code_names) / sizeof(code_names[0]) ? code_names[code] : NULL;
}

int dp_finding_code_from_name(const char *name, uint32_t *value)
{
	if (!name || !value)
		return -EINVAL;
	for (uint32_t i = 1; i < sizeof(code_names) / sizeof(code_names[0]); i++) {
		if (code_names[i] && strcmp(name, code_names[i]) == 0) {
			*value = i;
			return 0;
		}
	}
	return -EINVAL;
}

int dp_report_new(struct dp_ctx *ctx, const char *vm_name, uint32_t vm_features,
		  struct dp_report **out)
{
	struct dp_report *r = calloc(1, sizeof(*r));

	if (!r || !(r->vm_name = strdup(vm_name))) {
		free(r);
		return -ENOMEM;
	}
	r->refcount = 1;
	r->ctx = dp_ctx_ref(ctx);
	r->vm_features = vm_features;
	*out = r;
	return 0;
}

struct dp_report *dp_report_ref(struct dp_report *report)
{
	if (report)
		report->refcount++;
	return report;
}

struct dp_report *dp_report_unref(struct dp_report *report)
{
	if (!report || --report->refcount > 0)
		return NULL;
	for (size_t i = 0; i < report->n_findings; i++) {
		free(report->findings[i].subject);
		free(report->findings[i].message);
	}
	free(report->findings);
	for (int b = 0; b < DP_FEATURE_BITS; b++) {
		for (size_t i = 0; i < report->n_causes[b]; i++)
			free(report->causes[b][i]);
		free(report->causes[b]);
	}
	for (size_t i = 0; i < report->n_devices; i++) {
		free(report->requests[i]);
		free(report->devices[i]);
	}
	free(report->requests);
	free(report->devices);
	free(report->migration);
	free(report->vfio);
	free(report->vm_name);
	dp_ctx_unref(report->ctx);
	free(report);
	return NULL;
}

int dp_report_add(struct dp_report *r, uint32_t code, uint32_t severity,
		  const char *subject, const char *rule, const char *format, ...)
{
	struct dp_report_finding *f;
	va_list args;
	int n;

	if (r->n_findings == r->cap_findings) {
		size_t cap = r->cap_findings ? r->cap_findings * 2 : 8;
		void *p = realloc(r->findings, cap * sizeof(*r->findings));

		if (!p)
			return -ENOMEM;
		r->findings = p;
		r->cap_findings = cap;
	}
	f = &r->findings[r->n_findings];
	f->code = code;
	f->severity = severity;
	f->rule = rule;
	f->subject = strdup(subject);
	va_start(args, format);
	n = vasprintf(&f->message, format, args);
	va_end(args);
	if (!f->subject || n < 0) {
		free(f->subject);
		if (n >= 0)
			free(f->message);
		return -ENOMEM;
	}
	r->n_findings++;
	return 0;
}

int dp_report_set_devices(struct dp_report *r, const char *const *requests,
			  char (*bdfs)[DP_BDF_LEN], size_t n)
{
	r->requests = calloc(n ? n : 1, sizeof(*r->requests));
	r->devices = calloc(n ? n : 1, sizeof(*r->devices));
	if (!r->requests || !r->devices)
		return -ENOMEM; /* freed with the report */
	r->n_devices = n;
	for (size_t i = 0; i < n; i++) {
		if (!(r->requests[i] = strdup(requests[i])))
			return -ENOMEM;
		if (bdfs[i][0] && !(r->devices[i] = strdup(bdfs[i])))
			return -ENOMEM;
	}
	return 0;
}

const char *dp_report_get_device_bdf(const struct dp_report *report, size_t index)
{
	return report && index < report->n_devices ? report->devices[index] : NULL;
}

int dp_report_add_loss(struct dp_report *r, uint32_t mask, const char *bdf)
{
	for (int b = 0; b < DP_FEATURE_BITS; b++) {
		char **p;

		if (!(mask & (1u << b)))
			continue;
		p = realloc(r->causes[b], (r->n_causes[b] + 1) * sizeof(*p));
		if (!p)
			return -ENOMEM;
		r->causes[b] = p;
		if (!(p[r->n_causes[b]] = strdup(bdf)))
			return -ENOMEM;
		r->n_causes[b]++;
		r->lost |= 1u << b;
	}
	return 0;
}

int dp_report_is_allowed(const struct dp_report *report)
{
	if (!report)
		return 0;
	for (size_t i = 0; i < report->n_findings; i++)
		if (report->findings[i].severity == DP_SEVERITY_ERROR)
			return 0;
	return 1;
}

size_t dp_report_get_finding_count(const struct dp_report *report)
{
	return report ? report->n_findings : 0;
}

int dp_report_get_finding(const struct dp_report *report, size_t index,
			  struct dp_finding *finding)
{
	struct dp_finding f = { .sz = sizeof(f) };

	if (!report || !finding)
		return -EINVAL;
	if (index >= report->n_findings)
		return -ERANGE;
	f.code = report->findings[index].code;
	f.severity = report->findings[index].severity;
	f.subject = report->findings[index].subject;
	f.rule = report->findings[index].rule;
	f.message = report->findings[index].message;
	return dp_info_copy_out(finding, offsetof(struct dp_finding, message) + sizeof(char *),
				&f, sizeof(f));
}

uint32_t dp_report_get_lost_features(const struct dp_report *report)
{
	return report ? report->lost : 0;
}

static int feature_bit(uint32_t feature)
{
	for (int b = 0; b < DP_FEATURE_BITS; b++)
		if (feature == 1u << b)
			return b;
	return -1;
}

size_t dp_report_get_feature_cause_count(const struct dp_report *report, uint32_t feature)
{
	int b = feature_bit(feature);

	return report && b >= 0 ? report->n_causes[b] : 0;
}

const char *dp_report_get_feature_cause(const struct dp_report *report, uint32_t feature,
					size_t index)
{
	int b = feature_bit(feature);

	if (!report || b < 0 || index >= report->n_causes[b])
		return NULL;
	return report->causes[b][index];
}

int dp_report_get_plan(const struct dp_report *report, struct dp_plan *plan)
{
	if (!report || !plan)
		return -EINVAL;
	return dp_info_copy_out(plan, offsetof(struct dp_plan, flags) + sizeof(uint32_t),
				&report->plan, sizeof(report->plan));
}

/* Adds key: value to obj, failing on allocation. */
static int put(struct json_object *obj, const char *key, struct json_object *val)
{
	if (!val)
		return -ENOMEM;
	if (json_object_object_add(obj, key, val) < 0) {
		json_object_put(val);
		return -ENOMEM;
	}
	return 0;
}

static int append(struct json_object *arr, struct json_object *val)
{
	if (!val)
		return -ENOMEM;
	if (json_object_array_add(arr, val) < 0) {
		json_object_put(val);
		return -ENOMEM;
	}
	return 0;
}

/* put and append for the report's other JSON writers (check-migration.c). */
int dp_report_json_put(void *obj, const char *key, void *val)
{
	return put(obj, key, val);
}

int dp_report_json_append(void *arr, void *val)
{
	return append(arr, val);
}

/* A string, or JSON null (which json-c represents as a NULL object). */
static int put_str_or_null(struct json_object *obj, const char *key, const char *s)
{
	if (!s)
		return json_object_object_add(obj, key, NULL) < 0 ? -ENOMEM : 0;
	return put(obj, key, json_object_new_string(s));
}

/* "devices": each entry of the VM as given and the function checked for it (since 0.12). */
static int put_devices(struct json_object *root, const struct dp_report *report)
{
	struct json_object *devs = json_object_new_array();
	int r = 0;

	if (!devs)
		return -ENOMEM;
	for (size_t i = 0; i < report->n_devices; i++) {
		struct json_object *o = json_object_new_object();

		if (!o) {
			r = -ENOMEM;
			break;
		}
		r = dp_first_err(r, put(o, "request", json_object_new_string(report->requests[i])));
		r = dp_first_err(r, put_str_or_null(o, "bdf", report->devices[i]));
		if (report->devices[i])
			r = dp_first_err(r, dp_report_vfio_json(report, report->devices[i], o));
		r = dp_first_err(r, append(devs, o));
	}
	if (r < 0) {
		json_object_put(devs);
		return r;
	}
	return put(root, "devices", devs);
}

/* The plan object (directpath-report(5)); sizes in bytes, times in nanoseconds. */
static struct json_object *plan_json(const struct dp_plan *pl)
{
	struct json_object *o = json_object_new_object(), *ml = json_object_new_object();
	struct json_object *ready = json_object_new_array();
	int r = 0;

	if (!o || !ml || !ready) {
		json_object_put(o);
		json_object_put(ml);
		json_object_put(ready);
		return NULL;
	}
	r = dp_first_err(r, put(o, "mmio32_size", json_object_new_uint64(pl->mmio32_size)));
	r = dp_first_err(r, put(o, "mmio64_size", json_object_new_uint64(pl->mmio64_size)));
	r = dp_first_err(r, put(o, "mmio_hole", json_object_new_uint64(pl->mmio_hole)));
	r = dp_first_err(r, put(o, "mmio_hole_proposed", json_object_new_uint64(pl->mmio_hole_proposed)));
	r = dp_first_err(r, put(o, "mmio64_window", json_object_new_uint64(pl->mmio64_window)));
	r = dp_first_err(r, put(o, "mmio64_window_proposed",
				json_object_new_uint64(pl->mmio64_window_proposed)));
	r = dp_first_err(r, put(ml, "needed", json_object_new_uint64(pl->memlock_needed)));
	if (pl->memlock_current == UINT64_MAX)
		r = dp_first_err(r, json_object_object_add(ml, "current", NULL) < 0 ? -ENOMEM : 0);
	else
		r = dp_first_err(r, put(ml, "current", json_object_new_uint64(pl->memlock_current)));
	r = dp_first_err(r, put(ml, "unlimited", json_object_new_boolean(pl->memlock_current == UINT64_MAX)));
	r = dp_first_err(r, put(ml, "exempt", json_object_new_boolean(!!(pl->flags & DP_PLAN_MEMLOCK_EXEMPT))));
	r = dp_first_err(r, put(ml, "address_spaces", json_object_new_int64(pl->address_spaces)));
	r = dp_first_err(r, put(o, "memlock", ml));
	for (uint32_t pg = 0; pg < DP_PLAN_PAGES; pg++) {
		struct json_object *e = json_object_new_object();

		if (!e) {
			r = dp_first_err(r, -ENOMEM);
			break;
		}
		r = dp_first_err(r, put(e, "page", json_object_new_string(dp_plan_page_name(pg))));
		r = dp_first_err(r, put(e, "ns_per_gib", json_object_new_uint64(pl->dma_cost_ns[pg])));
		r = dp_first_err(r, put(e, "ns", json_object_new_uint64(pl->dma_ready_ns[pg])));
		r = dp_first_err(r, append(ready, e));
	}
	r = dp_first_err(r, put(o, "dma_ready", ready));
	r = dp_first_err(r, put(o, "dma_costs", json_object_new_string(pl->flags & DP_PLAN_COSTS_MEASURED
									? "measured" : "default")));
	if (r < 0) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

int dp_report_to_json(const struct dp_report *report, char **out)
{
	struct json_object *root, *findings, *lost;
	const char *text;
	int r = 0;

	if (!report || !out)
		return -EINVAL;
	root = json_object_new_object();
	findings = json_object_new_array();
	lost = json_object_new_array();
	if (!root || !findings || !lost) {
		json_object_put(root);
		json_object_put(findings);
		json_object_put(lost);
		return -ENOMEM;
	}
	/* The schema set's version (directpath-report(5)), first. */
	r = dp_first_err(r, put(root, "schema_version", json_object_new_string(DP_JSON_SCHEMA_VERSION)));
	r = dp_first_err(r, put(root, "vm", json_object_new_string(report->vm_name)));
	r = dp_first_err(r, put(root, "allowed", json_object_new_boolean(dp_report_is_allowed(report))));
	for (size_t i = 0; i < report->n_findings; i++) {
		const struct dp_report_finding *f = &report->findings[i];
		struct json_object *o = json_object_new_object();

		if (!o) {
			r = dp_first_err(r, -ENOMEM);
			break;
		}
		r = dp_first_err(r, put(o, "code", json_object_new_int((int32_t)f->code)));
		r = dp_first_err(r, put(o, "name", json_object_new_string(dp_finding_code_name(f->code))));
		r = dp_first_err(r, put(o, "severity", json_object_new_string(dp_severity_name(f->severity))));
		r = dp_first_err(r, put(o, "subject", json_object_new_string(f->subject)));
		r = dp_first_err(r, put_str_or_null(o, "rule", f->rule));
		r = dp_first_err(r, put(o, "message", json_object_new_string(f->message)));
		r = dp_first_err(r, append(findings, o));
	}
	for (int b = 0; b < DP_FEATURE_BITS; b++) {
		struct json_object *o, *devs;

		if (!(report->lost & (1u << b)))
			continue;
		o = json_object_new_object();
		devs = json_object_new_array();
		if (!o || !devs) {
			json_object_put(o);
			json_object_put(devs);
			r = dp_first_err(r, -ENOMEM);
			break;
		}
		r = dp_first_err(r, put(o, "feature", json_object_new_string(dp_feature_name(1u << b))));
		r = dp_first_err(r, put(o, "enabled", json_object_new_boolean(!!(report->vm_features & (1u << b)))));
		for (size_t i = 0; i < report->n_causes[b]; i++)
			r = dp_first_err(r, append(devs, json_object_new_string(report->causes[b][i])));
		r = dp_first_err(r, put(o, "devices", devs));
		r = dp_first_err(r, append(lost, o));
	}
	r = dp_first_err(r, put(root, "findings", findings));
	r = dp_first_err(r, put(root, "lost_features", lost));
	r = dp_first_err(r, put(root, "plan", plan_json(&report->plan)));
	r = dp_first_err(r, dp_report_migration_json(report, root));
	r = dp_first_err(r, put_devices(root, report));
	if (r < 0) {
		json_object_put(root);
		return r;
	}
	text = json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY |
						      JSON_C_TO_STRING_SPACED |
						      JSON_C_TO_STRING_NOSLASHESCAPE);
	*out = text ? strdup(text) : NULL;
	json_object_put(root);
	return *out ? 0 : -ENOMEM;
}
