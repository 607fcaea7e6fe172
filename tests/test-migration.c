/* SPDX-License-Identifier: MIT */
/*
 * What a device's VFIO migration answer leaves a VM (lib/migration-policy.c),
 * fed with the kernel's answers as recorded: VFIO_DEVICE_FEATURE GET
 * MIGRATION's errno or flags, the DMA_LOGGING_START probe's errno, the type1
 * container's migration capability; one device or two.
 */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <directpath/directpath.h>

#include "migration.h"
#include "report.h"
#include "testlog.h"
#include "testrun.h"
#include "vfio-migration-uapi.h"

#define BDF "0000:01:00.0"
#define KEEPABLE (DP_FEATURE_VMOTION | DP_FEATURE_STORAGE_VMOTION | DP_FEATURE_SUSPEND_RESUME | \
		  DP_FEATURE_SNAPSHOT_MEMORY)
#define TAIL " and still loses fault_tolerance, hot_add, record_replay and memory_overcommit, which migration does not give back"

static struct dp_migration answer(int mig_errno, uint64_t flags, int log_errno, bool iommu_dirty)
{
	struct dp_migration m;

	memset(&m, 0xa5, sizeof(m)); /* every field written */
	dp_migration_from_kernel(mig_errno, flags, log_errno, iommu_dirty, &m);
	return m;
}

static void assert_sentence(const struct dp_migration *m, size_t n, const char *want)
{
	char buf[1024];

	ck_assert_int_eq(dp_migration_sentence(BDF, m, n, buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, want);
}

START_TEST(the_kernel_values_are_the_uapi_ones)
{
	/* linux/vfio.h: the values this library reads, and the one 6.1's header lacks. */
	ck_assert_int_eq(VFIO_MIGRATION_STOP_COPY, 1);
	ck_assert_int_eq(VFIO_MIGRATION_P2P, 2);
	ck_assert_int_eq(VFIO_MIGRATION_PRE_COPY, 4);
	ck_assert_int_eq(VFIO_DEVICE_FEATURE_MIGRATION, 1);
	ck_assert_int_eq(VFIO_DEVICE_FEATURE_DMA_LOGGING_START, 6);
}
END_TEST

START_TEST(enotty_and_einval_are_not_supported_and_cost_everything)
{
	static const int errs[] = { ENOTTY, EINVAL };

	for (size_t i = 0; i < 2; i++) {
		struct dp_migration m = answer(errs[i], 0, ENOTTY, true);
		char buf[64];

		ck_assert_uint_eq(m.state, DP_MIGRATION_UNSUPPORTED);
		ck_assert_uint_eq(m.flags, 0);
		ck_assert_int_eq(m.error, errs[i]);
		for (size_t n = 1; n <= 2; n++) {
			ck_assert_uint_eq(dp_migration_kept(&m, n), 0);
			ck_assert_str_eq(dp_migration_loss_cause(&m, n, DP_FEATURE_VMOTION),
					 "the device does not support VFIO migration, so its state lives in the hardware");
			ck_assert_ptr_null(dp_migration_keep_how(&m, n, DP_FEATURE_VMOTION));
		}
		/* No finding for it: the report says what it said before. */
		ck_assert_int_eq(dp_migration_sentence(BDF, &m, 1, buf, sizeof(buf)), -EINVAL);
	}
}
END_TEST

START_TEST(another_errno_or_no_stop_copy_is_unknown)
{
	struct dp_migration m = answer(EIO, 0, 0, true);

	ck_assert_uint_eq(m.state, DP_MIGRATION_UNKNOWN);
	ck_assert_int_eq(m.error, EIO);
	ck_assert_uint_eq(dp_migration_kept(&m, 1), 0);
	ck_assert_str_eq(dp_migration_loss_cause(&m, 1, DP_FEATURE_SUSPEND_RESUME),
			 "whether the device supports VFIO migration is unknown, so it counts as a plain device");
	assert_sentence(&m, 1, BDF ": whether it supports VFIO migration could not be asked: VFIO_DEVICE_FEATURE (migration) failed: Input/output error; it counts as a plain device, which costs the VM every feature, until a check can ask (the device idle on vfio-pci, its group free)");
	/* P2P alone: the uAPI says STOP_COPY is always there; no flag is read into it. */
	m = answer(0, VFIO_MIGRATION_P2P, 0, true);
	ck_assert_uint_eq(m.state, DP_MIGRATION_UNKNOWN);
	ck_assert_uint_eq(m.flags, 0);
	ck_assert_int_eq(m.error, EPROTO);
	ck_assert_uint_eq(dp_migration_kept(&m, 1), 0);
	assert_sentence(&m, 1, BDF ": whether it supports VFIO migration could not be asked: the kernel answered migration flags 0x2 without STOP_COPY; it counts as a plain device, which costs the VM every feature, until a check can ask (the device idle on vfio-pci, its group free)");
}
END_TEST

START_TEST(not_asked_costs_everything)
{
	struct dp_migration m = { .state = DP_MIGRATION_NOT_ASKED };
	char buf[64];

	ck_assert_uint_eq(dp_migration_kept(&m, 1), 0);
	ck_assert_str_eq(dp_migration_loss_cause(&m, 1, DP_FEATURE_VMOTION),
			 "its state lives in the hardware (VFIO migration was not asked)");
	ck_assert_int_eq(dp_migration_sentence(BDF, &m, 1, buf, sizeof(buf)), -EINVAL);
}
END_TEST

/* Every combination of the kernel's answers, one device and two. */
START_TEST(every_combination_keeps_exactly_this)
{
	for (uint64_t kf = 0; kf < 8; kf++)
		for (int dev_log = 0; dev_log < 2; dev_log++)
			for (int iommu = 0; iommu < 2; iommu++)
				for (size_t n = 1; n <= 2; n++) {
					struct dp_migration m = answer(0, kf, dev_log ? 0 : ENOTTY, iommu);
					bool stop_copy = kf & VFIO_MIGRATION_STOP_COPY;
					bool p2p = kf & VFIO_MIGRATION_P2P;
					uint32_t want = 0;

					if (stop_copy && (n == 1 || p2p))
						want = dev_log || iommu ? KEEPABLE : KEEPABLE & ~DP_FEATURE_VMOTION;
					ck_assert_msg(dp_migration_kept(&m, n) == want,
						      "flags %#llx log %d iommu %d n %zu: kept %#x, not %#x",
						      (unsigned long long)kf, dev_log, iommu, n,
						      dp_migration_kept(&m, n), want);
					ck_assert_uint_eq(m.state, stop_copy ? DP_MIGRATION_SUPPORTED : DP_MIGRATION_UNKNOWN);
					if (!stop_copy)
						continue;
					ck_assert_uint_eq(m.flags, DP_MIGRATION_STOP_COPY |
						(p2p ? DP_MIGRATION_P2P : 0) |
						(kf & VFIO_MIGRATION_PRE_COPY ? DP_MIGRATION_PRE_COPY : 0) |
						(dev_log ? DP_MIGRATION_DIRTY_DEVICE : 0) |
						(iommu ? DP_MIGRATION_DIRTY_IOMMU : 0));
					/* Never kept, whatever the device says. */
					for (uint32_t f = DP_FEATURE_FAULT_TOLERANCE; f <= DP_FEATURE_MEMORY_OVERCOMMIT; f <<= 1)
						if (!(f & KEEPABLE))
							ck_assert_ptr_nonnull(dp_migration_loss_cause(&m, n, f));
					/* A feature is either kept with a how, or lost with a cause. */
					for (uint32_t f = 1; f <= DP_FEATURE_ALL; f <<= 1)
						ck_assert((dp_migration_keep_how(&m, n, f) != NULL) !=
							  (dp_migration_loss_cause(&m, n, f) != NULL));
				}
}
END_TEST

START_TEST(live_migration_with_and_without_pre_copy)
{
	struct dp_migration m = answer(0, VFIO_MIGRATION_STOP_COPY | VFIO_MIGRATION_PRE_COPY, 0, true);

	assert_sentence(&m, 1, BDF ": supports VFIO migration v2 (stop-copy, pre-copy, device dirty tracking, IOMMU dirty tracking), so the VM keeps vmotion (live migration with pre-copy (the device's state is copied while the VM runs), dirty pages tracked by the device), storage_vmotion, suspend_resume and snapshot_memory" TAIL);
	m = answer(0, VFIO_MIGRATION_STOP_COPY, ENOTTY, true);
	assert_sentence(&m, 1, BDF ": supports VFIO migration v2 (stop-copy, IOMMU dirty tracking), so the VM keeps vmotion (live migration without pre-copy (the device's whole state is copied at the stop), dirty pages tracked by the IOMMU, which counts all pinned memory dirty), storage_vmotion, suspend_resume and snapshot_memory" TAIL);
	m = answer(0, VFIO_MIGRATION_STOP_COPY | VFIO_MIGRATION_PRE_COPY, ENOTTY, true);
	ck_assert_str_eq(dp_migration_keep_how(&m, 1, DP_FEATURE_VMOTION),
			 "live migration with pre-copy (the device's state is copied while the VM runs), dirty pages tracked by the IOMMU, which counts all pinned memory dirty");
	m = answer(0, VFIO_MIGRATION_STOP_COPY, 0, false);
	ck_assert_str_eq(dp_migration_keep_how(&m, 1, DP_FEATURE_VMOTION),
			 "live migration without pre-copy (the device's whole state is copied at the stop), dirty pages tracked by the device");
	ck_assert_str_eq(dp_migration_keep_how(&m, 1, DP_FEATURE_STORAGE_VMOTION),
			 "a fast suspend and resume on the same host saves and restores the device's state");
	ck_assert_str_eq(dp_migration_keep_how(&m, 1, DP_FEATURE_SUSPEND_RESUME),
			 "the device's state is saved with STOP_COPY and restored at resume");
	ck_assert_str_eq(dp_migration_keep_how(&m, 1, DP_FEATURE_SNAPSHOT_MEMORY),
			 "the device's state is saved with the memory, with STOP_COPY");
	ck_assert_str_eq(dp_migration_loss_cause(&m, 1, DP_FEATURE_FAULT_TOLERANCE),
			 "fault tolerance needs the device's state all the time, and VFIO migration gives it only once the device is stopped");
	ck_assert_str_eq(dp_migration_loss_cause(&m, 1, DP_FEATURE_HOT_ADD),
			 "VFIO migration does not give device hot add back");
	ck_assert_str_eq(dp_migration_loss_cause(&m, 1, DP_FEATURE_RECORD_REPLAY),
			 "record/replay needs every DMA and interrupt of the device recorded, which VFIO cannot do");
	ck_assert_str_eq(dp_migration_loss_cause(&m, 1, DP_FEATURE_MEMORY_OVERCOMMIT),
			 "DMA pins all guest memory, migration or not");
}
END_TEST

START_TEST(without_dirty_tracking_live_migration_is_lost)
{
	struct dp_migration m = answer(0, VFIO_MIGRATION_STOP_COPY | VFIO_MIGRATION_P2P, ENOTTY, false);

	assert_sentence(&m, 2, BDF ": supports VFIO migration v2 (stop-copy, p2p), so the VM keeps storage_vmotion, suspend_resume and snapshot_memory and still loses vmotion (neither the device (DMA logging) nor the IOMMU tracks the pages its DMA writes, so memory cannot be copied while the VM runs), fault_tolerance, hot_add, record_replay and memory_overcommit, which migration does not give back");
}
END_TEST

START_TEST(two_devices_need_p2p)
{
	struct dp_migration m = answer(0, VFIO_MIGRATION_STOP_COPY | VFIO_MIGRATION_PRE_COPY, 0, true);

	ck_assert_uint_eq(dp_migration_kept(&m, 1), KEEPABLE);
	ck_assert_uint_eq(dp_migration_kept(&m, 2), 0);
	ck_assert_str_eq(dp_migration_loss_cause(&m, 2, DP_FEATURE_SUSPEND_RESUME),
			 "with more than one passthrough device every one needs P2P (VFIO_MIGRATION_P2P) to be stopped together, and this one has none");
	assert_sentence(&m, 2, BDF ": supports VFIO migration v2 (stop-copy, pre-copy, device dirty tracking, IOMMU dirty tracking), but the VM has 2 passthrough devices and this one lacks P2P (VFIO_MIGRATION_P2P), which devices need to be stopped together, so it still costs every feature; pass it through alone or use a device with P2P");
	m = answer(0, VFIO_MIGRATION_STOP_COPY | VFIO_MIGRATION_P2P | VFIO_MIGRATION_PRE_COPY, 0, true);
	ck_assert_uint_eq(dp_migration_kept(&m, 2), KEEPABLE);
	assert_sentence(&m, 2, BDF ": supports VFIO migration v2 (stop-copy, p2p, pre-copy, device dirty tracking, IOMMU dirty tracking), so the VM keeps vmotion (live migration with pre-copy (the device's state is copied while the VM runs), dirty pages tracked by the device), storage_vmotion, suspend_resume and snapshot_memory" TAIL);
}
END_TEST

START_TEST(a_sentence_that_does_not_fit_is_erange)
{
	struct dp_migration m = answer(0, VFIO_MIGRATION_STOP_COPY, 0, true);
	char buf[40];

	ck_assert_int_eq(dp_migration_sentence(BDF, &m, 1, buf, sizeof(buf)), -ERANGE);
	ck_assert_uint_eq(strlen(buf), sizeof(buf) - 1);
}
END_TEST

START_TEST(info_out_follows_sz)
{
	struct dp_migration m = answer(0, VFIO_MIGRATION_STOP_COPY | VFIO_MIGRATION_P2P, 0, false);
	struct dp_migration_info info = { .sz = sizeof(info) };

	ck_assert_int_eq(dp_migration_info_out(&m, 2, &info), 0);
	ck_assert_uint_eq(info.state, DP_MIGRATION_SUPPORTED);
	ck_assert_uint_eq(info.flags, DP_MIGRATION_STOP_COPY | DP_MIGRATION_P2P | DP_MIGRATION_DIRTY_DEVICE);
	ck_assert_int_eq(info.error, 0);
	ck_assert_uint_eq(info.devices, 2);
	ck_assert_uint_eq(info.kept, KEEPABLE);
	ck_assert_uint_eq(info.lost, DP_FEATURE_ALL & ~KEEPABLE);
	info.sz = 1;
	ck_assert_int_eq(dp_migration_info_out(&m, 2, &info), -EINVAL);
}
END_TEST

/* In a report: a device that migrates is no cause of what it keeps; the other one still is. */
START_TEST(a_report_keeps_the_answer_and_the_causes)
{
	DP_OPTS(dp_ctx_opts, o, .log_fn = dp_test_log_fn, .data_dir = "/nonexistent",
		.config_dir = "/nonexistent");
	struct dp_migration mig = answer(0, VFIO_MIGRATION_STOP_COPY | VFIO_MIGRATION_P2P, ENOTTY, true);
	struct dp_migration plain = answer(ENOTTY, 0, ENOTTY, true);
	struct dp_migration_info info = { .sz = sizeof(info) };
	struct dp_finding f = { .sz = sizeof(f) };
	struct dp_report *rep = NULL;
	struct dp_ctx *ctx = NULL;
	char *json = NULL;

	ck_assert_int_eq(dp_ctx_new(&o, &ctx), 0);
	ck_assert_int_eq(dp_report_new(ctx, "vm", DP_FEATURE_VMOTION, &rep), 0);
	ck_assert_int_eq(dp_check_migration_answer(rep, "0000:01:00.0", 2, &mig), 0);
	ck_assert_int_eq(dp_check_migration_answer(rep, "0000:02:00.0", 2, &plain), 0);
	/* Every feature is still lost, but the migrating device causes only what it does not keep. */
	ck_assert_uint_eq(dp_report_get_lost_features(rep), DP_FEATURE_ALL);
	ck_assert_uint_eq(dp_report_get_feature_cause_count(rep, DP_FEATURE_VMOTION), 1);
	ck_assert_str_eq(dp_report_get_feature_cause(rep, DP_FEATURE_VMOTION, 0), "0000:02:00.0");
	ck_assert_uint_eq(dp_report_get_feature_cause_count(rep, DP_FEATURE_FAULT_TOLERANCE), 2);
	/* One finding, for the device that migrates, an info. */
	ck_assert_uint_eq(dp_report_get_finding_count(rep), 1);
	ck_assert_int_eq(dp_report_get_finding(rep, 0, &f), 0);
	ck_assert_uint_eq(f.code, DP_FINDING_MIGRATION_SUPPORTED);
	ck_assert_uint_eq(f.severity, DP_SEVERITY_INFO);
	ck_assert_str_eq(f.subject, "0000:01:00.0");
	ck_assert_str_eq(dp_finding_code_name(f.code), "migration-supported");
	ck_assert_int_eq(dp_report_is_allowed(rep), 1);
	/* The getter, in any form of the address. */
	ck_assert_int_eq(dp_report_get_device_migration(rep, "01:00.0", &info), 0);
	ck_assert_uint_eq(info.state, DP_MIGRATION_SUPPORTED);
	ck_assert_uint_eq(info.flags, DP_MIGRATION_STOP_COPY | DP_MIGRATION_P2P | DP_MIGRATION_DIRTY_IOMMU);
	ck_assert_uint_eq(info.devices, 2);
	ck_assert_uint_eq(info.kept, KEEPABLE);
	ck_assert_int_eq(dp_report_get_device_migration(rep, "0000:02:00.0", &info), 0);
	ck_assert_uint_eq(info.state, DP_MIGRATION_UNSUPPORTED);
	ck_assert_int_eq(info.error, ENOTTY);
	ck_assert_uint_eq(info.lost, DP_FEATURE_ALL);
	ck_assert_int_eq(dp_report_get_device_migration(rep, "0000:03:00.0", &info), -ENOENT);
	ck_assert_int_eq(dp_report_get_device_migration(rep, "bogus", &info), -EINVAL);
	ck_assert_int_eq(dp_report_get_device_migration(NULL, "0000:02:00.0", &info), -EINVAL);
	/* The JSON, additive: the "migration" array after "lost_features". */
	ck_assert_int_eq(dp_report_to_json(rep, &json), 0);
	ck_assert_msg(strstr(json, "\"lost_features\": [") < strstr(json, "\"migration\": ["), "%s", json);
	ck_assert_msg(strstr(json, "\"device\": \"0000:01:00.0\",\n      \"state\": \"supported\",\n      \"flags\": [\n        \"stop-copy\",\n        \"p2p\",\n        \"dirty-iommu\"\n      ],\n      \"kept\": [\n        {\n          \"feature\": \"vmotion\",\n          \"how\": \"live migration without pre-copy"),
		      "%s", json);
	ck_assert_msg(strstr(json, "\"device\": \"0000:02:00.0\",\n      \"state\": \"unsupported\",\n      \"flags\": [\n      ],\n      \"errno\": \"ENOTTY\",\n      \"kept\": [\n      ],"),
		      "%s", json);
	free(json);
	dp_report_unref(rep);

	/* Nothing asked: the JSON is what it was before 0.12, no "migration" key. */
	plain.state = DP_MIGRATION_NOT_ASKED;
	ck_assert_int_eq(dp_report_new(ctx, "vm", 0, &rep), 0);
	ck_assert_int_eq(dp_check_migration_answer(rep, "0000:02:00.0", 1, &plain), 0);
	ck_assert_int_eq(dp_report_to_json(rep, &json), 0);
	ck_assert_ptr_null(strstr(json, "migration"));
	ck_assert_uint_eq(dp_report_get_finding_count(rep), 0);
	free(json);
	dp_report_unref(rep);
	dp_ctx_unref(ctx);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("migration");
	TCase *tc = tcase_create("migration");

	tcase_add_test(tc, the_kernel_values_are_the_uapi_ones);
	tcase_add_test(tc, enotty_and_einval_are_not_supported_and_cost_everything);
	tcase_add_test(tc, another_errno_or_no_stop_copy_is_unknown);
	tcase_add_test(tc, not_asked_costs_everything);
	tcase_add_test(tc, every_combination_keeps_exactly_this);
	tcase_add_test(tc, live_migration_with_and_without_pre_copy);
	tcase_add_test(tc, without_dirty_tracking_live_migration_is_lost);
	tcase_add_test(tc, two_devices_need_p2p);
	tcase_add_test(tc, a_sentence_that_does_not_fit_is_erange);
	tcase_add_test(tc, info_out_follows_sz);
	tcase_add_test(tc, a_report_keeps_the_answer_and_the_causes);
	suite_add_tcase(s, tc);
	return dp_test_run(s);
}
