/* SPDX-License-Identifier: MIT */
/*
 * The policy check's step per device for VFIO migration: the answer kept
 * in the report, the features the device costs (every one for a device that
 * does not migrate, as before), findings migration-supported and
 * migration-unknown; and the answer in the report's API and JSON.
 */
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <directpath/directpath.h>

#include "inventory.h"
#include "migration.h"
#include "names.h"
#include "report.h"

int dp_check_migration_answer(struct dp_report *rep, const char *bdf, size_t n,
			       const struct dp_migration *m)
{
	struct dp_report_migration *e, *p;
	char msg[1024];
	int r;

	p = realloc(rep->migration, (rep->n_migration + 1) * sizeof(*p));
	if (!p)
		return -ENOMEM;
	rep->migration = p;
	e = &p[rep->n_migration++];
	memset(e, 0, sizeof(*e));
	snprintf(e->bdf, sizeof(e->bdf), "%s", bdf);
	e->devices = (uint32_t)n;
	e->m = *m;
	r = dp_report_add_loss(rep, DP_FEATURE_ALL & ~dp_migration_kept(m, n), bdf);
	if (r < 0 || (m->state != DP_MIGRATION_SUPPORTED && m->state != DP_MIGRATION_UNKNOWN))
		return r;
	if (dp_migration_sentence(bdf, m, n, msg, sizeof(msg)) < 0)
		return -ENOMEM; /* the sentences are bounded well below the buffer */
	if (m->state == DP_MIGRATION_SUPPORTED)
		return dp_report_add(rep, DP_FINDING_MIGRATION_SUPPORTED, DP_SEVERITY_INFO, bdf, NULL, "%s", msg);
	return dp_report_add(rep, DP_FINDING_MIGRATION_UNKNOWN, DP_SEVERITY_INFO, bdf, NULL, "%s", msg);
}

int dp_check_migration(struct dp_ctx *ctx, const struct dp_device *dev, const char *bdf,
		       bool probe, size_t n, struct dp_report *rep)
{
	struct dp_migration m = { .state = DP_MIGRATION_NOT_ASKED };
	int r = probe ? dp_migration_probe(ctx, dev, &m) : 0;

	return r < 0 ? r : dp_check_migration_answer(rep, bdf, n, &m);
}

int dp_migration_info_out(const struct dp_migration *m, size_t n, struct dp_migration_info *info)
{
	struct dp_migration_info i = { .sz = sizeof(i) };

	i.state = m->state;
	i.flags = m->flags;
	i.error = m->error;
	i.devices = (uint32_t)n;
	i.kept = dp_migration_kept(m, n);
	i.lost = DP_FEATURE_ALL & ~i.kept;
	return dp_info_copy_out(info, offsetof(struct dp_migration_info, lost) + sizeof(uint32_t),
				&i, sizeof(i));
}

int dp_report_get_device_migration(const struct dp_report *report, const char *bdf,
				   struct dp_migration_info *info)
{
	char norm[DP_BDF_LEN];

	if (!report || !bdf || !info)
		return -EINVAL;
	if (dp_bdf_normalize(bdf, norm) < 0)
		return -EINVAL;
	for (size_t i = 0; i < report->n_migration; i++)
		if (strcmp(report->migration[i].bdf, norm) == 0)
			return dp_migration_info_out(&report->migration[i].m,
						     report->migration[i].devices, info);
	return -ENOENT;
}

/* {"feature", "how"} or {"feature", "cause"} for each DP_FEATURE_* in mask. */
static struct json_object *features_json(const struct dp_migration *m, size_t n, uint32_t mask,
					 bool kept)
{
	struct json_object *arr = json_object_new_array();
	int r = 0;

	for (uint32_t f = 1; arr && f <= DP_FEATURE_ALL; f <<= 1) {
		struct json_object *o;

		if (!(mask & f))
			continue;
		o = json_object_new_object();
		if (!o) {
			r = -ENOMEM;
			break;
		}
		r = dp_first_err(r, dp_report_json_put(o, "feature", json_object_new_string(dp_feature_name(f))));
		r = dp_first_err(r, dp_report_json_put(o, kept ? "how" : "cause",
					json_object_new_string(kept ? dp_migration_keep_how(m, n, f)
								    : dp_migration_loss_cause(m, n, f))));
		r = dp_first_err(r, dp_report_json_append(arr, o));
	}
	if (r < 0) {
		json_object_put(arr);
		return NULL;
	}
	return arr;
}

static struct json_object *device_json(const struct dp_report_migration *e)
{
	struct json_object *o = json_object_new_object(), *flags = json_object_new_array();
	const struct dp_migration *m = &e->m;
	uint32_t kept = dp_migration_kept(m, e->devices);
	int r = 0;

	if (!o || !flags) {
		json_object_put(o);
		json_object_put(flags);
		return NULL;
	}
	for (uint32_t f = 1; f <= DP_MIGRATION_DIRTY_IOMMU; f <<= 1)
		if (m->flags & f)
			r = dp_first_err(r, dp_report_json_append(flags, json_object_new_string(dp_migration_flag_name(f))));
	r = dp_first_err(r, dp_report_json_put(o, "device", json_object_new_string(e->bdf)));
	r = dp_first_err(r, dp_report_json_put(o, "state", json_object_new_string(dp_migration_state_name(m->state))));
	r = dp_first_err(r, dp_report_json_put(o, "flags", flags));
	if (m->error)
		r = dp_first_err(r, dp_report_json_put(o, "errno", json_object_new_string(strerrorname_np(m->error) ? strerrorname_np(m->error) : "unknown")));
	if (m->state == DP_MIGRATION_UNKNOWN)
		r = dp_first_err(r, dp_report_json_put(o, "reason", json_object_new_string(m->why)));
	r = dp_first_err(r, dp_report_json_put(o, "kept", features_json(m, e->devices, kept, true)));
	r = dp_first_err(r, dp_report_json_put(o, "lost", features_json(m, e->devices, DP_FEATURE_ALL & ~kept, false)));
	if (r < 0) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

int dp_report_migration_json(const struct dp_report *report, void *json_root)
{
	struct json_object *arr;
	bool asked = false;
	int r = 0;

	for (size_t i = 0; i < report->n_migration; i++)
		asked |= report->migration[i].m.state != DP_MIGRATION_NOT_ASKED;
	if (!asked)
		return 0; /* a check that asked nothing prints what it printed before */
	arr = json_object_new_array();
	if (!arr)
		return -ENOMEM;
	for (size_t i = 0; i < report->n_migration; i++)
		r = dp_first_err(r, dp_report_json_append(arr, device_json(&report->migration[i])));
	if (r < 0) {
		json_object_put(arr);
		return r;
	}
	return dp_report_json_put(json_root, "migration", arr);
}
