/* SPDX-License-Identifier: MIT */
/*
 * Resolving a VM's ID and label requests (vSphere's Dynamic DirectPath): the
 * first function in BDF order that matches, is not the VM's already, passes
 * every per-device rule and is free. When attaching, free means its lease was
 * just taken: the lease decides between VMs that ask at once, so two of them
 * get different devices or one is denied with each candidate's reason.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy.h"
#include "policycheck.h"
#include "quote.h"
#include "report.h"
#include "select.h"
#include "vm.h"

/* "BDF (reason), ..." of the candidates not chosen; grows as needed. */
struct reasons {
	char *text;
	size_t len, size;
};

static int add_reason(struct reasons *rs, const char *bdf, const char *name)
{
	size_t need = strlen(bdf) + strlen(name) + 6;

	if (rs->len + need > rs->size) {
		size_t size = (rs->size + need) * 2;
		char *p = realloc(rs->text, size);

		if (!p)
			return -ENOMEM;
		rs->text = p;
		rs->size = size;
	}
	rs->len += (size_t)snprintf(rs->text + rs->len, rs->size - rs->len, "%s%s (%s)",
				    rs->len ? ", " : "", bdf, name);
	return 0;
}

bool dp_vm_has_requests(const struct dp_vm *vm)
{
	struct dp_request req;

	for (size_t i = 0; i < vm->n_devices; i++)
		if (dp_request_parse(vm->devices[i], &req, NULL, 0) == 0 &&
		    req.kind != DP_REQUEST_BDF)
			return true;
	return false;
}

void dp_selection_fini(struct dp_selection *sel)
{
	for (size_t i = 0; sel->lease && i < sel->n; i++)
		if (sel->lease[i])
			sel->release(sel->lease[i]);
	free(sel->lease);
	free(sel->bdf);
	free(sel->request);
	*sel = (struct dp_selection){ .take = sel->take, .release = sel->release };
}

/*
 * Why dev may not serve the request: 0 when every per-device rule allows it
 * as one of the VM's functions (those of sel so far), else the code of the
 * first error the rules found; or -errno.
 */
static int judge(struct dp_policy *policy, const struct dp_vm *vm, const struct dp_device *dev,
		 const struct dp_selection *sel, bool lease, uint32_t *code)
{
	char (*bdfs)[DP_BDF_LEN] = calloc(sel->n + 1, sizeof(*bdfs));
	struct dp_report *scratch = NULL;
	size_t n = 0;
	int r;

	if (!bdfs)
		return -ENOMEM;
	for (size_t i = 0; i < sel->n; i++)
		if (sel->bdf[i][0])
			strcpy(bdfs[n++], sel->bdf[i]);
	strcpy(bdfs[n++], dev->bdf);
	r = dp_report_new(policy->ctx, vm->name, vm->features, &scratch);
	if (r == 0)
		r = dp_check_device_rules(policy, vm, dev, bdfs, n, !lease, scratch);
	*code = 0;
	for (size_t i = 0; r == 0 && i < scratch->n_findings && !*code; i++)
		if (scratch->findings[i].severity == DP_SEVERITY_ERROR)
			*code = scratch->findings[i].code;
	dp_report_unref(scratch);
	free(bdfs);
	return r;
}

/* Resolves request i: chooses, or says why nothing fits; -errno when undecidable. */
static int resolve(struct dp_policy *policy, const struct dp_vm *vm, size_t i,
		   const struct dp_request *req, const struct dp_labels *labels, bool lease,
		   struct dp_report *rep, struct dp_selection *sel)
{
	struct dp_ctx *ctx = policy->ctx;
	const struct dp_label *label = NULL;
	char q[DP_QUOTE_SIZE(64)], path[PATH_MAX];
	struct reasons rs = { 0 };
	const char *chosen = NULL;
	int r = 0;

	dp_quote(q, sizeof(q), vm->devices[i]);
	snprintf(path, sizeof(path), "%s/" DP_LABELS_FILE, ctx->config_dir);
	if (req->kind == DP_REQUEST_LABEL && !(label = dp_labels_find(labels, req->label)))
		return dp_report_add(rep, DP_FINDING_NO_FREE_DEVICE, DP_SEVERITY_ERROR, q, NULL,
				     "%s: no label \"%s\" in %s; define it there (directpath-labels(5)) or ask for a PCI address",
				     q, req->label, path);
	for (size_t d = 0; d < ctx->n_devices && r == 0; d++) {
		const struct dp_device *dev = ctx->devices[d];
		uint32_t code = 0;

		if (label ? !dp_label_matches(label, dev) : !dp_id_matches(req->id, dev))
			continue;
		if (chosen) { /* not tried: one before it in order was chosen */
			r = add_reason(&rs, dev->bdf, "later");
			continue;
		}
		if (dp_bdf_in(sel->bdf, sel->n, dev->bdf))
			code = DP_FINDING_DUPLICATE_DEVICE; /* the VM has it already */
		else
			r = judge(policy, vm, dev, sel, lease, &code);
		if (r == 0 && code == 0 && lease) {
			r = sel->take(ctx, dev->bdf, vm->name, &sel->lease[i]);
			if (r == -EBUSY) {
				code = DP_FINDING_DEVICE_LEASED; /* another VM was quicker */
				r = 0;
			}
		}
		if (r == 0 && code)
			r = add_reason(&rs, dev->bdf, dp_finding_code_name(code));
		else if (r == 0)
			chosen = strcpy(sel->bdf[i], dev->bdf);
	}
	for (size_t b = 0; label && r == 0 && b < label->n_bdfs; b++)
		if (!dp_inventory_lookup(ctx, label->bdfs[b]))
			r = add_reason(&rs, label->bdfs[b],
				       dp_finding_code_name(DP_FINDING_NO_SUCH_DEVICE));
	if (r == 0 && chosen)
		r = dp_report_add(rep, DP_FINDING_DEVICE_CHOSEN, DP_SEVERITY_INFO, chosen, NULL,
				  "%s: chosen for %s, the first free device in address order the policy allows%s%s; name an address instead to pin one",
				  chosen, q, rs.len ? "; not chosen: " : "", rs.len ? rs.text : "");
	else if (r == 0 && rs.len)
		r = dp_report_add(rep, DP_FINDING_NO_FREE_DEVICE, DP_SEVERITY_ERROR, q, NULL,
				  "%s: no free device the policy allows matches it: %s; free or mark one of them, or ask for another",
				  q, rs.text);
	else if (r == 0)
		r = dp_report_add(rep, DP_FINDING_NO_FREE_DEVICE, DP_SEVERITY_ERROR, q, NULL,
				  "%s: no function on this host matches it; check the IDs with directpath list%s",
				  q, label ? " and the label in " DP_LABELS_FILE : "");
	free(rs.text);
	return r;
}

int dp_select(struct dp_policy *policy, const struct dp_vm *vm, struct dp_report *rep,
	      struct dp_selection *sel)
{
	struct dp_ctx *ctx = policy->ctx;
	struct dp_labels labels = { 0 };
	struct dp_request *reqs;
	bool want_labels = false, lease = sel->take != NULL;
	int r = 0;

	*sel = (struct dp_selection){ .take = sel->take, .release = sel->release,
				      .n = vm->n_devices };
	reqs = calloc(vm->n_devices ? vm->n_devices : 1, sizeof(*reqs));
	sel->bdf = calloc(vm->n_devices ? vm->n_devices : 1, sizeof(*sel->bdf));
	sel->request = calloc(vm->n_devices ? vm->n_devices : 1, sizeof(*sel->request));
	sel->lease = calloc(vm->n_devices ? vm->n_devices : 1, sizeof(*sel->lease));
	if (!reqs || !sel->bdf || !sel->request || !sel->lease) {
		r = -ENOMEM;
		goto out;
	}
	/* The addresses first: a request never takes a function the VM names. */
	for (size_t i = 0; i < vm->n_devices; i++) {
		if (dp_request_parse(vm->devices[i], &reqs[i], NULL, 0) < 0)
			continue; /* the check reports it */
		if (reqs[i].kind == DP_REQUEST_BDF)
			strcpy(sel->bdf[i], reqs[i].bdf);
		sel->request[i] = reqs[i].kind != DP_REQUEST_BDF;
		want_labels |= reqs[i].kind == DP_REQUEST_LABEL;
	}
	if (want_labels) {
		char path[PATH_MAX];

		if ((size_t)snprintf(path, sizeof(path), "%s/" DP_LABELS_FILE, ctx->config_dir) >=
		    sizeof(path)) {
			dp_err(ctx, "%s/" DP_LABELS_FILE ": path too long", ctx->config_dir);
			r = -ENAMETOOLONG;
			goto out;
		}
		r = dp_labels_load(ctx, path, &labels);
		if (r < 0)
			goto out;
	}
	for (size_t i = 0; i < vm->n_devices && r == 0; i++)
		if (sel->request[i])
			r = resolve(policy, vm, i, &reqs[i], &labels, lease, rep, sel);
out:
	dp_labels_fini(&labels);
	free(reqs);
	if (r < 0)
		dp_selection_fini(sel);
	return r;
}
