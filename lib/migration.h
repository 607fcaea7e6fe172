/* SPDX-License-Identifier: MIT */
/*
 * VFIO migration v2 of one device: what the kernel answers (migration-probe.c),
 * what that answer leaves a VM (migration-policy.c, pure), and its place in
 * the policy report (check-migration.c).
 */
#ifndef DP_MIGRATION_H
#define DP_MIGRATION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "internal.h"

struct dp_device;
struct dp_report;
struct dp_vm;

/* One device's answer, as the kernel gave it, or why it could not be asked. */
struct dp_migration {
	uint32_t state;        /* DP_MIGRATION_NOT_ASKED ... */
	uint32_t flags;        /* DP_MIGRATION_STOP_COPY ... */
	int32_t error;         /* positive errno, or 0 */
	char why[192];         /* DP_MIGRATION_UNKNOWN: why, as a clause for the finding */
};

/*
 * Pure: the answer from the kernel's: mig_errno and kernel_flags from
 * VFIO_DEVICE_FEATURE GET MIGRATION (0 and the struct's flags, or its errno),
 * log_errno from the DMA_LOGGING_START probe (0: supported), iommu_dirty the
 * container's VFIO_IOMMU_TYPE1_INFO_CAP_MIGRATION. ENOTTY and EINVAL are "not
 * supported"; any other errno, or flags without STOP_COPY, "unknown".
 */
void dp_migration_from_kernel(int mig_errno, uint64_t kernel_flags, int log_errno,
			      bool iommu_dirty, struct dp_migration *out);
/* Pure: the DP_FEATURE_* a device with this answer leaves a VM of n passthrough devices. */
uint32_t dp_migration_kept(const struct dp_migration *m, size_t n);
/* Pure: why the device costs feature f (one bit), as a clause; NULL when it keeps it. */
const char *dp_migration_loss_cause(const struct dp_migration *m, size_t n, uint32_t f);
/* Pure: how a kept feature f is kept ("live migration with pre-copy, ..."), or NULL. */
const char *dp_migration_keep_how(const struct dp_migration *m, size_t n, uint32_t f);
/*
 * Pure: the sentence of finding migration-supported (state SUPPORTED) or
 * migration-unknown (state UNKNOWN) into buf; 0, -ERANGE when it does not
 * fit, -EINVAL for another state.
 */
int dp_migration_sentence(const char *bdf, const struct dp_migration *m, size_t n,
			  char *buf, size_t size);

/*
 * Asks an open VFIO device fd (migration-probe.c): the feature and the DMA
 * logging probe, with the container's dirty tracking. Never fails: an answer
 * that is neither yes nor "not supported" is DP_MIGRATION_UNKNOWN, logged as
 * a warning.
 */
void dp_migration_ask_fd(struct dp_ctx *ctx, const char *bdf, int device_fd, bool iommu_dirty,
			 struct dp_migration *out);
/*
 * At check time: asks the kernel about dev if it is on vfio-pci, VFIO is
 * here, no lease holds it and its group opens (the group open, briefly, in
 * a container of our own; everything closed before returning). Never
 * disturbs a VM: a leased device or a busy group is DP_MIGRATION_UNKNOWN.
 * 0, or -ENOMEM.
 */
int dp_migration_probe(struct dp_ctx *ctx, const struct dp_device *dev, struct dp_migration *out);

/*
 * check.c's step per device: asks (when probe), records the answer in the
 * report, the losses the answer leaves (dp_report_add_loss), and finding 38
 * or 39. n: the VM's passthrough devices.
 */
int dp_check_migration(struct dp_ctx *ctx, const struct dp_device *dev, const char *bdf,
		       bool probe, size_t n, struct dp_report *rep);
/* dp_check_migration with the answer given: recorded, losses, finding. 0 or -ENOMEM. */
int dp_check_migration_answer(struct dp_report *rep, const char *bdf, size_t n,
			      const struct dp_migration *m);
/* dp_report_to_json's "migration" array (only when a device was asked); 0 or -ENOMEM. */
int dp_report_migration_json(const struct dp_report *report, void *json_root);
/* Fills info from m for n devices (dp_vdev_get_migration, dp_report_get_device_migration). */
int dp_migration_info_out(const struct dp_migration *m, size_t n, struct dp_migration_info *info);

#endif
