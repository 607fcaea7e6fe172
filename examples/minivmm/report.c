/* SPDX-License-Identifier: MIT */
/*
 * What minivmm prints of the library's answers: the policy report (verdict,
 * findings, the features the VM loses), the refusal, and the VFIO backend
 * the attachment uses and why.
 */
#include <stdio.h>
#include <string.h>

#include <directpath/directpath.h>

#include "minivmm.h"

/* The report as text: verdict, findings, lost features with their causes. */
int print_report(const struct dp_report *rep, const struct dp_vm *vm)
{
	size_t n = dp_report_get_finding_count(rep);
	uint32_t lost = dp_report_get_lost_features(rep);

	printf("minivmm: policy check of \"%s\" (%zu device%s): %s\n", dp_vm_get_name(vm),
	       dp_vm_get_device_count(vm), dp_vm_get_device_count(vm) == 1 ? "" : "s",
	       dp_report_is_allowed(rep) ? "allowed" : "denied");
	for (size_t i = 0; i < n; i++) {
		DP_OPTS_NONE(dp_finding, f);
		const char *code, *sev;
		int r = dp_report_get_finding(rep, i, &f);

		if (r < 0) {
			fprintf(stderr, "minivmm: finding %zu: %s\n", i, strerror(-r));
			return r;
		}
		code = dp_finding_code_name(f.code);
		sev = dp_severity_name(f.severity);
		printf("  %-7s  %-22s  %s\n", sev ? sev : "?", code ? code : "?", f.message);
	}
	if (!lost) {
		printf("minivmm: lost features: none\n");
		return 0;
	}
	printf("minivmm: lost features:\n");
	for (unsigned bit = 0; bit < 32; bit++) {
		uint32_t feature = 1u << bit;
		size_t nc = dp_report_get_feature_cause_count(rep, feature);
		const char *name = dp_feature_name(feature);

		if (!(lost & feature))
			continue;
		printf("  %-18s  caused by ", name ? name : "?");
		for (size_t i = 0; i < nc; i++) {
			const char *c = dp_report_get_feature_cause(rep, feature, i);

			printf("%s%s", i ? ", " : "", c ? c : "?");
		}
		printf("%s\n", nc ? "" : "-");
	}
	return 0;
}

/* Why the VM may not start: every error finding, on stderr. */
void print_refusal(const struct dp_report *rep)
{
	for (size_t i = 0; i < dp_report_get_finding_count(rep); i++) {
		DP_OPTS_NONE(dp_finding, f);
		const char *code;

		if (dp_report_get_finding(rep, i, &f) < 0 || f.severity != DP_SEVERITY_ERROR)
			continue;
		code = dp_finding_code_name(f.code);
		fprintf(stderr, "minivmm: refused (%s): %s\n", code ? code : "?", f.message);
	}
	fprintf(stderr, "minivmm: the policy denies passthrough for this VM; not starting\n");
}

/* Which VFIO backend the attachment uses (type1 or iommufd), and the library's reason. */
void print_backend(const struct dp_attachment *att)
{
	const char *why = NULL;
	uint32_t backend = dp_attachment_get_backend(att, &why);
	const char *name = dp_backend_name(backend);

	printf("minivmm: VFIO backend %s: %s\n", name ? name : "?", why ? why : "no reason given");
}
