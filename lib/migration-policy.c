/* SPDX-License-Identifier: MIT */
/*
 * What a device's VFIO migration answer leaves a VM: pure functions of the
 * answer and the number of passthrough devices (directpath(7), "Features a
 * migratable device keeps").
 *
 * A device with STOP_COPY can have its state saved and restored, so the VM
 * keeps what is built on saving its state: live migration (vMotion, which
 * also needs the pages DMA writes tracked, by the device or the IOMMU),
 * Storage vMotion (ESX moves the disks with a fast suspend and resume of the
 * VM on the same host), suspend/resume and snapshots with memory. With more
 * than one device, every device must reach RUNNING_P2P (VFIO_MIGRATION_P2P)
 * before any is stopped, or one device's DMA could land in another already
 * stopped: without P2P, nothing is kept. Fault tolerance, device hot add,
 * record/replay and memory overcommit do not rest on saving state and stay
 * lost.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <directpath/directpath.h>

#include "migration.h"
#include "vfio-migration-uapi.h"

/* Given back by saving and restoring the device's state. */
#define DP_MIGRATION_KEEPABLE (DP_FEATURE_VMOTION | DP_FEATURE_STORAGE_VMOTION | \
			       DP_FEATURE_SUSPEND_RESUME | DP_FEATURE_SNAPSHOT_MEMORY)
#define DP_MIGRATION_DIRTY (DP_MIGRATION_DIRTY_DEVICE | DP_MIGRATION_DIRTY_IOMMU)

void dp_migration_from_kernel(int mig_errno, uint64_t kernel_flags, int log_errno,
			      bool iommu_dirty, struct dp_migration *out)
{
	memset(out, 0, sizeof(*out));
	if (mig_errno == ENOTTY || mig_errno == EINVAL) {
		/* ENOTTY: no migration ops (vfio-pci itself); EINVAL: a kernel without the feature */
		out->state = DP_MIGRATION_UNSUPPORTED;
		out->error = mig_errno;
		return;
	}
	if (mig_errno) {
		out->state = DP_MIGRATION_UNKNOWN;
		out->error = mig_errno;
		snprintf(out->why, sizeof(out->why), "VFIO_DEVICE_FEATURE (migration) failed: %s",
			 strerror(mig_errno));
		return;
	}
	if (!(kernel_flags & VFIO_MIGRATION_STOP_COPY)) {
		/* The uAPI says STOP_COPY is always set: an answer without it is not one we can read. */
		out->state = DP_MIGRATION_UNKNOWN;
		out->error = EPROTO;
		snprintf(out->why, sizeof(out->why),
			 "the kernel answered migration flags %#llx without STOP_COPY",
			 (unsigned long long)kernel_flags);
		return;
	}
	out->state = DP_MIGRATION_SUPPORTED;
	out->flags = DP_MIGRATION_STOP_COPY;
	if (kernel_flags & VFIO_MIGRATION_P2P)
		out->flags |= DP_MIGRATION_P2P;
	if (kernel_flags & VFIO_MIGRATION_PRE_COPY)
		out->flags |= DP_MIGRATION_PRE_COPY;
	if (log_errno == 0)
		out->flags |= DP_MIGRATION_DIRTY_DEVICE;
	if (iommu_dirty)
		out->flags |= DP_MIGRATION_DIRTY_IOMMU;
}

static bool saves_state(const struct dp_migration *m, size_t n)
{
	return m->state == DP_MIGRATION_SUPPORTED && (m->flags & DP_MIGRATION_STOP_COPY) &&
	       (n <= 1 || (m->flags & DP_MIGRATION_P2P));
}

uint32_t dp_migration_kept(const struct dp_migration *m, size_t n)
{
	uint32_t kept;

	if (!saves_state(m, n))
		return 0;
	kept = DP_MIGRATION_KEEPABLE;
	if (!(m->flags & DP_MIGRATION_DIRTY))
		kept &= ~DP_FEATURE_VMOTION;
	return kept;
}

const char *dp_migration_loss_cause(const struct dp_migration *m, size_t n, uint32_t f)
{
	if (dp_migration_kept(m, n) & f)
		return NULL;
	if (!saves_state(m, n)) {
		if (m->state == DP_MIGRATION_SUPPORTED)
			return "with more than one passthrough device every one needs P2P (VFIO_MIGRATION_P2P) to be stopped together, and this one has none";
		if (m->state == DP_MIGRATION_UNSUPPORTED)
			return "the device does not support VFIO migration, so its state lives in the hardware";
		if (m->state == DP_MIGRATION_UNKNOWN)
			return "whether the device supports VFIO migration is unknown, so it counts as a plain device";
		return "its state lives in the hardware (VFIO migration was not asked)";
	}
	switch (f) {
	case DP_FEATURE_VMOTION:
		return "neither the device (DMA logging) nor the IOMMU tracks the pages its DMA writes, so memory cannot be copied while the VM runs";
	case DP_FEATURE_FAULT_TOLERANCE:
		return "fault tolerance needs the device's state all the time, and VFIO migration gives it only once the device is stopped";
	case DP_FEATURE_HOT_ADD:
		return "VFIO migration does not give device hot add back";
	case DP_FEATURE_RECORD_REPLAY:
		return "record/replay needs every DMA and interrupt of the device recorded, which VFIO cannot do";
	case DP_FEATURE_MEMORY_OVERCOMMIT:
		return "DMA pins all guest memory, migration or not";
	default:
		return "VFIO migration does not give it back";
	}
}

const char *dp_migration_keep_how(const struct dp_migration *m, size_t n, uint32_t f)
{
	static const char *const live[2][2] = {
		/* [pre-copy][dirty tracked by the device] */
		{ "live migration without pre-copy (the device's whole state is copied at the stop), dirty pages tracked by the IOMMU, which counts all pinned memory dirty",
		  "live migration without pre-copy (the device's whole state is copied at the stop), dirty pages tracked by the device" },
		{ "live migration with pre-copy (the device's state is copied while the VM runs), dirty pages tracked by the IOMMU, which counts all pinned memory dirty",
		  "live migration with pre-copy (the device's state is copied while the VM runs), dirty pages tracked by the device" },
	};

	if (!(dp_migration_kept(m, n) & f))
		return NULL;
	switch (f) {
	case DP_FEATURE_VMOTION:
		return live[!!(m->flags & DP_MIGRATION_PRE_COPY)][!!(m->flags & DP_MIGRATION_DIRTY_DEVICE)];
	case DP_FEATURE_STORAGE_VMOTION:
		return "a fast suspend and resume on the same host saves and restores the device's state";
	case DP_FEATURE_SUSPEND_RESUME:
		return "the device's state is saved with STOP_COPY and restored at resume";
	default:
		return "the device's state is saved with the memory, with STOP_COPY";
	}
}

/* "a, b (note) and c" of the DP_FEATURE_* names in mask into buf at *len; vmotion carries note. */
static void list_features(uint32_t mask, const char *note, char *buf, size_t size, size_t *len)
{
	int count = __builtin_popcount(mask), i = 0;

	for (uint32_t f = 1; f && f <= DP_FEATURE_ALL; f <<= 1) {
		if (!(mask & f))
			continue;
		i++;
		*len += (size_t)snprintf(buf + *len, *len < size ? size - *len : 0, "%s%s%s%s%s",
					 i == 1 ? "" : i == count ? " and " : ", ", dp_feature_name(f),
					 f == DP_FEATURE_VMOTION && note ? " (" : "",
					 f == DP_FEATURE_VMOTION && note ? note : "",
					 f == DP_FEATURE_VMOTION && note ? ")" : "");
	}
}

int dp_migration_sentence(const char *bdf, const struct dp_migration *m, size_t n,
			  char *buf, size_t size)
{
	uint32_t kept = dp_migration_kept(m, n), lost = DP_FEATURE_ALL & ~kept;
	size_t len = 0;

#define ADD(...) (len += (size_t)snprintf(buf + len, len < size ? size - len : 0, __VA_ARGS__))
	if (m->state == DP_MIGRATION_UNKNOWN) {
		ADD("%s: whether it supports VFIO migration could not be asked: %s; it counts as a plain device, which costs the VM every feature, until a check can ask (the device idle on vfio-pci, its group free)",
		    bdf, m->why);
		return len < size ? 0 : -ERANGE;
	}
	if (m->state != DP_MIGRATION_SUPPORTED)
		return -EINVAL;
	ADD("%s: supports VFIO migration v2 (stop-copy%s%s%s%s)", bdf,
	    m->flags & DP_MIGRATION_P2P ? ", p2p" : "", m->flags & DP_MIGRATION_PRE_COPY ? ", pre-copy" : "",
	    m->flags & DP_MIGRATION_DIRTY_DEVICE ? ", device dirty tracking" : "",
	    m->flags & DP_MIGRATION_DIRTY_IOMMU ? ", IOMMU dirty tracking" : "");
	if (!kept) {
		ADD(", but the VM has %zu passthrough devices and this one lacks P2P (VFIO_MIGRATION_P2P), which devices need to be stopped together, so it still costs every feature; pass it through alone or use a device with P2P",
		    n);
		return len < size ? 0 : -ERANGE;
	}
	ADD(", so the VM keeps ");
	list_features(kept, dp_migration_keep_how(m, n, DP_FEATURE_VMOTION), buf, size, &len);
	ADD(" and still loses ");
	list_features(lost, dp_migration_loss_cause(m, n, DP_FEATURE_VMOTION), buf, size, &len);
	ADD(", which migration does not give back");
#undef ADD
	return len < size ? 0 : -ERANGE;
}
