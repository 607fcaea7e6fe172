/* SPDX-License-Identifier: MIT */
#ifndef DP_REPORT_H
#define DP_REPORT_H

#include "internal.h"
#include "migration.h"
#include "inventory.h"

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
	struct dp_plan plan;    /* MMIO, memlock and DMA-ready plan (plan.c) */
	/* Each checked device's VFIO migration answer (check-migration.c). */
	struct dp_report_migration {
		char bdf[DP_BDF_LEN];
		uint32_t devices;       /* the VM's passthrough devices, as counted */
		struct dp_migration m;
	} *migration;
	size_t n_migration;
	/* The VM's device entries as given, and the function checked for each (NULL: none). */
	char **requests, **devices;
	size_t n_devices;
	/* Each checked device's driver as vfio_drivers judged it (check-vfiodriver.c). */
	struct dp_report_vfio {
		char bdf[DP_BDF_LEN];
		char driver[64];        /* "" when unbound */
		uint32_t kind;          /* DP_VFIO_DRIVER_* */
		bool ready;
		char vfio_dev[16];      /* "" when none */
		bool cdev;
		int32_t group;          /* -1: none */
	} *vfio;
	size_t n_vfio;
};

int dp_report_new(struct dp_ctx *ctx, const char *vm_name, uint32_t vm_features,
		  struct dp_report **out);
/* Appends a finding; 0 or -ENOMEM. */
int dp_report_add(struct dp_report *r, uint32_t code, uint32_t severity,
		  const char *subject, const char *rule, const char *format, ...)
	DP_PRINTF(6, 7);
/* Records the VM's n entries and the function each resolved to ("": none); 0 or -ENOMEM. */
int dp_report_set_devices(struct dp_report *r, const char *const *requests,
			  char (*bdfs)[DP_BDF_LEN], size_t n);
/* Records that bdf costs the VM the features in mask. */
int dp_report_add_loss(struct dp_report *r, uint32_t mask, const char *bdf);
/*
 * json_object_object_add and json_object_array_add for the report's JSON
 * (json-c objects as void *): val is dropped on failure; 0 or -ENOMEM, also
 * when val is NULL (its allocation failed).
 */
int dp_report_json_put(void *obj, const char *key, void *val);
int dp_report_json_append(void *arr, void *val);
/* Adds "vfio_driver" to obj, a "devices" entry, when bdf was checked (check-vfiodriver.c). */
int dp_report_vfio_json(const struct dp_report *report, const char *bdf, void *obj);

#endif
