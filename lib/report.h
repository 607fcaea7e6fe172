/* SPDX-License-Identifier: MIT */
#ifndef DP_REPORT_H
#define DP_REPORT_H

#include "internal.h"

#define DP_FEATURE_BITS 8

struct dp_report_finding {
	uint32_t code;
	uint32_t severity;
	char *subject;
	const char *rule;   /* static */
	char *message;
};

struct dp_report {
	int refcount;
	struct dp_ctx *ctx;
	char *vm_name;
	uint32_t vm_features;   /* enabled in the VM */
	struct dp_report_finding *findings;
	size_t n_findings, cap_findings;
	uint32_t lost;
	char **causes[DP_FEATURE_BITS];
	size_t n_causes[DP_FEATURE_BITS];
};

int dp_report_new(struct dp_ctx *ctx, const char *vm_name, uint32_t vm_features,
		  struct dp_report **out);
/* Appends a finding; 0 or -ENOMEM. */
int dp_report_add(struct dp_report *r, uint32_t code, uint32_t severity,
		  const char *subject, const char *rule, const char *format, ...)
	DP_PRINTF(6, 7);
/* Records that bdf costs the VM the features in mask. */
int dp_report_add_loss(struct dp_report *r, uint32_t mask, const char *bdf);

#endif
