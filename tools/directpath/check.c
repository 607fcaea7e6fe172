/* SPDX-License-Identifier: MIT */
/* directpath check: may this VM have its devices? */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static int parse_size_opt(const char *opt, const char *text, uint64_t *out)
{
	int r = dp_parse_size(text, out);

	if (r < 0)
		return usage_error("check", "--%s: \"%s\" is not a size (bytes, or with K, M, G or T, such as 4096M or 4G)%s",
				   opt, text, r == -ERANGE ? ": too large" : "");
	return EXIT_OK;
}

/* Names separated by spaces or commas, into DP_FEATURE_* bits. */
static int parse_features(const char *text, uint32_t *out)
{
	char *copy = strdup(text), *save = NULL;
	uint32_t features = 0;
	int r = EXIT_OK;

	if (!copy)
		return oom();
	for (char *w = strtok_r(copy, " ,\t", &save); w;
	     w = strtok_r(NULL, " ,\t", &save)) {
		uint32_t bit = dp_feature_from_name(w);

		if (!bit) {
			r = usage_error("check", "--features: unknown feature \"%s\" (\"directpath features\" lists them)",
					w);
			break;
		}
		features |= bit;
	}
	free(copy);
	if (r == EXIT_OK)
		*out = features;
	return r;
}

/* Adds each request (BDF, ID, label:NAME) of a comma-separated list; malformed addresses are usage errors. */
static int add_devices(struct cli *cli, struct dp_vm *vm, const char *text)
{
	char *copy = strdup(text), *save = NULL;
	int r = EXIT_OK;

	if (!copy)
		return oom();
	for (char *w = strtok_r(copy, ", \t", &save); w;
	     w = strtok_r(NULL, ", \t", &save)) {
		unsigned errors = cli->lib_errors;
		int e;

		char why[160];

		if (dp_vm_request_check(w, why, sizeof(why)) < 0) { /* directpath-vm(5)'s grammar */
			r = usage_error("check", "--devices: \"%s\" is %s", w, why);
			break;
		}
		e = dp_vm_add_device(vm, w);
		if (e < 0) {
			if (!lib_said(cli, errors))
				err_msg("%s: cannot add it to the VM: %s", w, strerror(-e));
			r = EXIT_USAGE;
			break;
		}
	}
	free(copy);
	return r;
}

/* The VM of check: --vm FILE, or the options that describe one. */
static int build_vm(struct cli *cli, struct dp_vm **out)
{
	const char *file = opt_value(cli, OPT_VM);
	const char *hw = opt_value(cli, OPT_HW_VERSION);
	const char *mem = opt_value(cli, OPT_MEMORY);
	const char *res = opt_value(cli, OPT_RESERVATION);
	const char *features = opt_value(cli, OPT_FEATURES);
	const char *devices = opt_value(cli, OPT_DEVICES);
	const char *name = opt_value(cli, OPT_NAME);
	uint64_t hw_version, memory, reservation;
	uint32_t feature_bits = 0;
	struct dp_vm *vm = NULL;
	unsigned errors = cli->lib_errors;
	int r;

	if (file) {
		for (size_t i = 0; i < N_CMD_OPTIONS; i++)
			if ((cmd_options[i].opt & OPT_VM_SPEC) && cli->values[i])
				return usage_error("check", "--vm and --%s exclude each other: the file describes the VM",
						   cmd_options[i].name);
		r = dp_vm_new_from_file(cli->ctx, file, &vm);
		if (r < 0) {
			if (!lib_said(cli, errors))
				err_msg("%s: cannot read the VM: %s", file, strerror(-r));
			return EXIT_USAGE;
		}
		*out = vm;
		return EXIT_OK;
	}
	if (!hw || !mem)
		return usage_error("check", "a VM is needed: --vm FILE, or --hw-version and --memory (and --devices)");
	r = dp_parse_uint(hw, UINT32_MAX, &hw_version);
	if (r < 0)
		return usage_error("check", "--hw-version: \"%s\" is not a hardware version (a number such as 7)%s",
				   hw, r == -ERANGE ? ": too large" : "");
	r = parse_size_opt("memory", mem, &memory);
	if (r != EXIT_OK)
		return r;
	if (res) {
		r = parse_size_opt("reservation", res, &reservation);
		if (r != EXIT_OK)
			return r;
	}
	if (features) {
		r = parse_features(features, &feature_bits);
		if (r != EXIT_OK)
			return r;
	}
	r = dp_vm_new(cli->ctx, name ? name : "cli", &vm);
	if (r < 0) {
		if (!lib_said(cli, errors))
			err_msg("cannot describe the VM: %s", strerror(-r));
		return EXIT_USAGE;
	}
	r = dp_vm_set_hw_version(vm, (uint32_t)hw_version);
	if (r == 0)
		r = res ? dp_vm_set_memory(vm, memory, reservation) :
			  dp_vm_set_memory_size(vm, memory);
	if (r == 0)
		r = dp_vm_set_features(vm, feature_bits, 1);
	if (r < 0) {
		if (!lib_said(cli, errors))
			err_msg("%s: cannot describe the VM: %s", dp_vm_get_name(vm), strerror(-r));
		dp_vm_unref(vm);
		return EXIT_USAGE;
	}
	if (devices) {
		r = add_devices(cli, vm, devices);
		if (r != EXIT_OK) {
			dp_vm_unref(vm);
			return r;
		}
	}
	*out = vm;
	return EXIT_OK;
}

static const char *severity_name(uint32_t severity)
{
	const char *name = dp_severity_name(severity);

	return name ? name : "?";
}

/* "3 errors", "1 warning". */
static int fmt_count(char *buf, size_t len, size_t n, const char *what)
{
	return snprintf(buf, len, "%zu %s%s", n, what, n == 1 ? "" : "s");
}

/* Each name of the bits of mask, by name_of, comma-separated; "none" for 0. */
static void print_bits(uint32_t mask, const char *(*name_of)(uint32_t))
{
	bool first = true;

	for (uint32_t b = 1; b; b <<= 1) {
		if (!(mask & b))
			continue;
		printf("%s%s", first ? "" : ", ", name_of(b) ? name_of(b) : "?");
		first = false;
	}
	if (first)
		printf("none");
}

/* A line per device the check asked about migration; nothing when it asked none. */
static void print_migration(const struct dp_report *rep, const struct dp_vm *vm)
{
	bool header = false;

	for (size_t i = 0; i < dp_vm_get_device_count(vm); i++) {
		struct dp_migration_info mi = { .sz = sizeof(mi) };
		const char *bdf = dp_report_get_device_bdf(rep, i);

		if (!bdf || dp_report_get_device_migration(rep, bdf, &mi) < 0 ||
		    mi.state == DP_MIGRATION_NOT_ASKED)
			continue;
		if (!header)
			printf("Migration (VFIO migration v2, asked of the kernel):\n");
		header = true;
		printf("  %s  %s", bdf, or_dash(dp_migration_state_name(mi.state)));
		if (mi.state == DP_MIGRATION_SUPPORTED) {
			printf(" (");
			print_bits(mi.flags, dp_migration_flag_name);
			printf(")");
		} else if (mi.error) {
			printf(" (%s)", or_dash(strerrorname_np(mi.error)));
		}
		printf(": keeps ");
		print_bits(mi.kept, dp_feature_name);
		printf("; loses ");
		print_bits(mi.lost, dp_feature_name);
		printf("\n");
	}
}

/* The verdict, the findings, then the lost features and their causes. */
static int print_report(const struct dp_report *rep, const struct dp_vm *vm)
{
	size_t n = dp_report_get_finding_count(rep), errors = 0, warnings = 0;
	uint32_t lost = dp_report_get_lost_features(rep);
	uint32_t enabled = dp_vm_get_features(vm);
	struct dp_finding *f;
	char e[32], w[32];
	int r;

	f = calloc(n ? n : 1, sizeof(*f));
	if (!f)
		return oom();
	for (size_t i = 0; i < n; i++) {
		f[i].sz = sizeof(f[i]);
		r = dp_report_get_finding(rep, i, &f[i]);
		if (r < 0) {
			err_msg("%s: cannot read finding %zu of %zu: %s",
				dp_vm_get_name(vm), i, n, strerror(-r));
			free(f);
			return EXIT_USAGE;
		}
		if (f[i].severity == DP_SEVERITY_ERROR)
			errors++;
		else if (f[i].severity == DP_SEVERITY_WARNING)
			warnings++;
	}
	fmt_count(e, sizeof(e), errors, "error");
	fmt_count(w, sizeof(w), warnings, "warning");
	if (dp_report_is_allowed(rep))
		printf("%s: allowed%s%s%s\n", dp_vm_get_name(vm),
		       warnings ? " (" : "", warnings ? w : "", warnings ? ")" : "");
	else
		printf("%s: denied (%s%s%s)\n", dp_vm_get_name(vm), e,
		       warnings ? ", " : "", warnings ? w : "");
	for (size_t i = 0; i < n; i++) {
		const char *code = dp_finding_code_name(f[i].code);
		char unknown[24];

		if (!code) {
			snprintf(unknown, sizeof(unknown), "code-%" PRIu32, f[i].code);
			code = unknown;
		}
		printf("%-7s  %-22s  %s\n", severity_name(f[i].severity), code,
		       f[i].message);
	}
	free(f);

	print_migration(rep, vm);
	if (!lost) {
		printf("Lost features: none\n");
		return EXIT_OK;
	}
	printf("Lost features:\n  %-18s  %-8s  %s\n", "FEATURE", "THIS VM",
	       "CAUSED BY");
	for (unsigned bit = 0; bit < 32; bit++) {
		uint32_t feature = 1u << bit;
		size_t nc = dp_report_get_feature_cause_count(rep, feature);
		const char *name = dp_feature_name(feature);
		char unknown[24];

		if (!(lost & feature))
			continue;
		if (!name) {
			snprintf(unknown, sizeof(unknown), "feature-bit-%u", bit);
			name = unknown;
		}
		printf("  %-18s  %-8s  ", name,
		       enabled & feature ? "enabled" : "disabled");
		for (size_t i = 0; i < nc; i++)
			printf("%s%s", i ? ", " : "",
			       or_dash(dp_report_get_feature_cause(rep, feature, i)));
		printf("%s\n", nc ? "" : "-");
	}
	return EXIT_OK;
}

int cmd_check(struct cli *cli, const char *arg)
{
	struct dp_policy *policy = NULL;
	struct dp_report *rep = NULL;
	struct dp_vm *vm = NULL;
	unsigned errors;
	int r;

	(void)arg;
	r = build_vm(cli, &vm);
	if (r != EXIT_OK)
		return r;
	r = load_policy(cli, &policy);
	if (r != EXIT_OK)
		goto out;
	/* A VM without devices needs nothing of the host. */
	if (dp_vm_get_device_count(vm)) {
		r = scan(cli);
		if (r != EXIT_OK)
			goto out;
	}
	errors = cli->lib_errors;
	r = dp_policy_check(policy, vm, &rep);
	if (r < 0) {
		if (!lib_said(cli, errors))
			err_msg("%s: cannot check the VM: %s", dp_vm_get_name(vm),
				strerror(-r));
		r = EXIT_USAGE;
		goto out;
	}
	if (cli->opts & OPT_JSON) {
		char *json = NULL;

		r = dp_report_to_json(rep, &json);
		if (r < 0) {
			err_msg("%s: cannot format the report: %s",
				dp_vm_get_name(vm), strerror(-r));
			r = EXIT_USAGE;
			goto out;
		}
		puts(json);
		free(json);
		r = EXIT_OK;
	} else {
		r = print_report(rep, vm);
		if (r == EXIT_OK)
			print_vfio_drivers(cli, policy, rep, dp_vm_get_device_count(vm));
		if (r == EXIT_OK)
			r = print_plan(rep);
	}
	if (r == EXIT_OK && !dp_report_is_allowed(rep))
		r = EXIT_DENIED;
out:
	dp_report_unref(rep);
	dp_policy_unref(policy);
	dp_vm_unref(vm);
	return r;
}
