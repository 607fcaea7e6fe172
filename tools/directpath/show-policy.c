/* SPDX-License-Identifier: MIT */
/*
 * directpath show: what the policy says of the function on its own, as if a
 * VM asked for it alone: every finding whose subject is the function (the
 * VM's and the host's own findings are check's and host's to show).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* The name of the VM the function is checked in; never printed, for its findings are left out. */
#define SHOW_VM_NAME "directpath-show"

/* Checks a VM holding bdf alone; *out is the report. EXIT_OK or EXIT_USAGE (said). */
static int check_alone(struct cli *cli, const char *bdf, struct dp_report **out)
{
	struct dp_policy *policy = NULL;
	struct dp_vm *vm = NULL;
	unsigned errors;
	int r;

	r = load_policy(cli, &policy);
	if (r != EXIT_OK)
		return r;
	errors = cli->lib_errors;
	r = dp_vm_new(cli->ctx, SHOW_VM_NAME, &vm);
	if (r == 0)
		r = dp_vm_add_device(vm, bdf);
	if (r == 0)
		r = dp_policy_check(policy, vm, out);
	if (r < 0 && !lib_said(cli, errors))
		err_msg("%s: cannot check it against the policy: %s", bdf, strerror(-r));
	dp_vm_unref(vm);
	dp_policy_unref(policy);
	return r < 0 ? EXIT_USAGE : EXIT_OK;
}

static struct json_object *finding_json(const struct dp_finding *f)
{
	struct json_object *o = json_object_new_object();
	int e = 0;

	if (!o)
		return NULL;
	e |= jadd_int(o, "code", f->code);
	e |= jadd_str(o, "name", dp_finding_code_name(f->code));
	e |= jadd_str(o, "severity", dp_severity_name(f->severity));
	e |= jadd_str(o, "subject", f->subject);
	e |= jadd_str(o, "rule", f->rule);
	e |= jadd_str(o, "message", f->message);
	if (e) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

int show_policy(struct cli *cli, const char *bdf, struct json_object *json)
{
	struct dp_report *rep = NULL;
	struct json_object *pol = NULL, *list = NULL;
	size_t n, errors = 0, warnings = 0, kept = 0;
	struct dp_finding *f;
	int r, e = 0;

	r = check_alone(cli, bdf, &rep);
	if (r != EXIT_OK)
		return r;
	n = dp_report_get_finding_count(rep);
	f = calloc(n ? n : 1, sizeof(*f));
	if (!f) {
		dp_report_unref(rep);
		return oom();
	}
	for (size_t i = 0; i < n; i++) {
		struct dp_finding x = { .sz = sizeof(x) };

		r = dp_report_get_finding(rep, i, &x);
		if (r < 0) {
			err_msg("%s: cannot read finding %zu of %zu: %s", bdf, i, n, strerror(-r));
			r = EXIT_USAGE;
			goto out;
		}
		if (!x.subject || strcmp(x.subject, bdf) != 0)
			continue;
		f[kept++] = x;
		errors += x.severity == DP_SEVERITY_ERROR;
		warnings += x.severity == DP_SEVERITY_WARNING;
	}
	r = EXIT_OK;
	if (json) {
		pol = json_object_new_object();
		list = json_object_new_array();
		if (!pol || !list) {
			json_object_put(pol);
			r = oom();
			goto out;
		}
		e |= jadd_bool(pol, "allowed", errors == 0);
		for (size_t i = 0; i < kept; i++)
			e |= jarray_add(list, finding_json(&f[i]));
		e |= jadd(pol, "findings", list, false); /* freed by it on failure */
		list = NULL;
		e |= jadd(json, "policy", pol, false);
		if (e)
			r = oom();
		goto out;
	}
	printf("  %-19s %s", "policy", errors ? "denied" : "allowed");
	if (errors || warnings)
		printf(" (%zu error%s, %zu warning%s)", errors, errors == 1 ? "" : "s",
		       warnings, warnings == 1 ? "" : "s");
	printf("\n");
	for (size_t i = 0; i < kept; i++)
		printf("    %-7s  %-22s  %s\n", or_dash(dp_severity_name(f[i].severity)),
		       or_dash(dp_finding_code_name(f[i].code)), f[i].message);
out:
	json_object_put(list);
	free(f);
	dp_report_unref(rep);
	return r;
}
