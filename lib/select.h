/* SPDX-License-Identifier: MIT */
/*
 * Device requests: a VM's device entry is a PCI address, an ID
 * ("VVVV:DDDD", "VVVV:DDDD:SSSS:ssss") or a label ("label:NAME", from
 * CONFIG_DIR/labels.conf); the grammar is directpath-vm(5)'s (request.c).
 * The labels file (labels.c, directpath-labels(5)). Resolving the requests
 * of a VM to free devices the policy allows, leasing them when attaching
 * (select.c).
 */
#ifndef DP_SELECT_H
#define DP_SELECT_H

#include <stdbool.h>
#include <stdint.h>

#include "inventory.h"

#define DP_LABEL_NAME_MAX 32     /* directpath-labels(5) */
#define DP_LABELS_MAX 256        /* labels in one file */
#define DP_LABEL_ENTRIES_MAX 256 /* id and device lines of one label */
#define DP_LABELS_FILE "labels.conf"

enum dp_request_kind {
	DP_REQUEST_BDF = 1,  /* "[DDDD:]BB:DD.F" */
	DP_REQUEST_ID,       /* "VVVV:DDDD[:SSSS:ssss]" */
	DP_REQUEST_LABEL,    /* "label:NAME" */
};

struct dp_request {
	int kind;                           /* enum dp_request_kind */
	char bdf[DP_BDF_LEN];               /* DP_REQUEST_BDF, normalised */
	uint32_t id[4];                     /* DP_REQUEST_ID: vendor, device, subsystem vendor and device; DP_ID_ANY: any */
	char label[DP_LABEL_NAME_MAX + 1];  /* DP_REQUEST_LABEL */
};

/* Parses a device entry; 0, or -EINVAL and the reason in why (when why_len). */
int dp_request_parse(const char *text, struct dp_request *req, char *why, size_t why_len);
/* "VVVV:DDDD" or "VVVV:DDDD:SSSS:ssss" (4 hex digits each) into id (DP_ID_ANY for a missing subsystem). */
int dp_id_parse(const char *text, uint32_t id[4]);
/* A name of 1 to DP_LABEL_NAME_MAX letters, digits, '_', '-' or '.', starting with a letter or digit. */
bool dp_label_name_valid(const char *name);
/* Does the function match the four IDs (DP_ID_ANY matches anything)? */
bool dp_id_matches(const uint32_t id[4], const struct dp_device *dev);

struct dp_label {
	char name[DP_LABEL_NAME_MAX + 1];
	unsigned line;                /* of its header */
	uint32_t (*ids)[4];
	size_t n_ids;
	char (*bdfs)[DP_BDF_LEN];     /* normalised */
	size_t n_bdfs;
};

struct dp_labels {
	struct dp_label *labels;
	size_t n;
	bool present;                 /* the file existed */
};

/*
 * Reads a labels file (directpath-labels(5)); a file that does not exist
 * gives no labels. 0, or -errno with "path:line: why" logged; *out is
 * written only on success.
 */
int dp_labels_load(struct dp_ctx *ctx, const char *path, struct dp_labels *out);
void dp_labels_fini(struct dp_labels *labels);
const struct dp_label *dp_labels_find(const struct dp_labels *labels, const char *name);
/* Does the label name the function (by one of its IDs or its address)? */
bool dp_label_matches(const struct dp_label *label, const struct dp_device *dev);

struct dp_lease;

/*
 * What a check resolved each device entry of a VM to, in the VM's order.
 * The backend (dp_attach) sets take and release before the check, so that a
 * request's function is leased as it is chosen; a check alone leaves them
 * NULL and leases nothing (decisions never act on the host).
 */
struct dp_selection {
	int (*take)(struct dp_ctx *ctx, const char *bdf, const char *vm_name,
		    struct dp_lease **out); /* dp_lease_try: 0, -EBUSY (unlogged), -errno */
	void (*release)(struct dp_lease *lease);
	size_t n;
	char (*bdf)[DP_BDF_LEN];      /* the function checked; "" when none (malformed, unresolved) */
	bool *request;                /* the entry is an ID or label request */
	struct dp_lease **lease;      /* taken by the selection when leasing, or NULL */
};

/*
 * Resolves the VM's requests: for each, in the VM's order, the first function
 * in BDF order that matches it, is not in the VM already, passes every
 * per-device rule and is free; with sel->take, free means that its lease was
 * just taken (the lease is the arbiter between VMs). Adds device-chosen or
 * no-free-device to rep for each request. 0, or -errno (logged) when it could
 * not be decided; sel is then freed.
 */
int dp_select(struct dp_policy *policy, const struct dp_vm *vm, struct dp_report *rep,
	      struct dp_selection *sel);
/* Frees sel and releases (sel->release) the leases still in it; take and release stay. */
void dp_selection_fini(struct dp_selection *sel);
/* Does the VM have an ID or label request? */
bool dp_vm_has_requests(const struct dp_vm *vm);

#endif
