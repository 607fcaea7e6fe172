/* SPDX-License-Identifier: MIT */
/* The gate before the backend acts on a VM's devices: refresh, every rule, the leases. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gate.h"
#include "lease.h"
#include "policy.h"
#include "policycheck.h"
#include "report.h"
#include "resetmethod.h"
#include "select.h"
#include "vm.h"

/*
 * What the policy reads of the host, read again now: the VM's functions,
 * the members of their IOMMU groups, the bridges above them and what a
 * reset of those buses reaches, and the host's capabilities; not the
 * rest of the host, and never pci.ids. Malformed addresses are left to the
 * policy, which reports them.
 */
static int refresh(struct dp_ctx *ctx, const struct dp_vm *vm)
{
	char (*bdfs)[DP_BDF_LEN];
	size_t n = 0;
	int r;

	if (vm->n_devices == 0)
		return 0;
	/* An ID or label request may get any function: look at them all, now. */
	if (dp_vm_has_requests(vm) && (r = dp_inventory_scan(ctx, 0)) < 0)
		return r;
	bdfs = calloc(vm->n_devices, sizeof(*bdfs));
	if (!bdfs)
		return -ENOMEM;
	for (size_t i = 0; i < vm->n_devices; i++)
		if (dp_bdf_normalize(vm->devices[i], bdfs[n]) == 0)
			n++;
	r = dp_inventory_refresh(ctx, bdfs, n);
	if (r == 0) /* and what a bus reset of theirs would reach (shared_reset) */
		r = dp_reset_refresh_around(ctx, bdfs, n);
	free(bdfs);
	return r;
}

/* Logs the report's errors: why the VM may not be attached. */
static void log_denial(struct dp_ctx *ctx, const struct dp_report *rep)
{
	for (size_t i = 0; i < rep->n_findings; i++)
		if (rep->findings[i].severity == DP_SEVERITY_ERROR)
			dp_err(ctx, "%s", rep->findings[i].message);
}

int dp_gate_alloc(struct dp_gate *g, size_t n)
{
	memset(g, 0, sizeof(*g));
	g->n = n;
	g->bdf = calloc(n ? n : 1, sizeof(*g->bdf));
	g->dev = calloc(n ? n : 1, sizeof(*g->dev));
	g->lease = calloc(n ? n : 1, sizeof(*g->lease));
	if (!g->bdf || !g->dev || !g->lease) {
		dp_gate_fini(g);
		return -ENOMEM;
	}
	return 0;
}

void dp_gate_fini(struct dp_gate *g)
{
	for (size_t i = 0; g->lease && i < g->n; i++)
		dp_lease_release(g->lease[i]);
	free(g->bdf);
	free(g->dev);
	free(g->lease);
	memset(g, 0, sizeof(*g));
}

int dp_gate_pass(struct dp_policy *policy, const struct dp_vm *vm, struct dp_gate *g)
{
	struct dp_ctx *ctx = policy->ctx;
	struct dp_report *rep = NULL;
	/* The requests' devices, each leased as it is chosen (the lease decides between VMs). */
	struct dp_selection sel = { .take = dp_lease_try, .release = dp_lease_release };
	struct dp_gate out;
	int r;

	r = refresh(ctx, vm);
	if (r < 0)
		return r;
	r = dp_policy_check_select(policy, vm, &sel, &rep);
	if (r < 0)
		return r;
	if (!dp_report_is_allowed(rep)) {
		dp_err(ctx, "%s: the policy denies passthrough:", vm->name);
		log_denial(ctx, rep);
		r = -EPERM;
		goto out;
	}
	r = dp_gate_alloc(&out, vm->n_devices);
	if (r < 0)
		goto out;
	for (size_t i = 0; i < vm->n_devices; i++) {
		snprintf(out.bdf[i], sizeof(out.bdf[i]), "%s", sel.bdf[i]);
		out.dev[i] = dp_inventory_lookup(ctx, sel.bdf[i]); /* entry i's function */
		if (!out.dev[i]) { /* the policy allowed it, so the refresh found it */
			dp_err(ctx, "%s: no such PCI function on this host", vm->devices[i]);
			r = -ENODEV;
			break;
		}
		out.lease[i] = sel.lease[i]; /* a request's, taken when it was chosen */
		sel.lease[i] = NULL;
		if (!out.lease[i])
			r = dp_lease_acquire(ctx, out.bdf[i], vm->name, &out.lease[i]);
		if (r < 0)
			break;
	}
	if (r < 0)
		dp_gate_fini(&out);
	else
		*g = out;
out:
	dp_report_unref(rep);
	dp_selection_fini(&sel); /* the leases nobody took */
	return r;
}
