/* SPDX-License-Identifier: MIT */
/* directpath policy: the rules and the compatibility list in force. */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/*
 * The policy in force: the defaults and the compatibility list of the data
 * directory, then --policy FILE, or CONFIG_DIR/policy.conf when it exists.
 */
int load_policy(struct cli *cli, struct dp_policy **out)
{
	const char *file = opt_value(cli, OPT_POLICY);
	struct dp_policy *policy;
	unsigned errors = cli->lib_errors;
	int r;

	r = dp_policy_new(cli->ctx, &policy);
	if (r < 0) {
		if (!lib_said(cli, errors))
			err_msg("cannot set up the policy: %s", strerror(-r));
		return EXIT_USAGE;
	}
	errors = cli->lib_errors;
	r = dp_policy_load_file(policy, file);
	if (r < 0) {
		if (!lib_said(cli, errors))
			err_msg("%s: cannot load the policy: %s",
				file ? file : "policy.conf", strerror(-r));
		dp_policy_unref(policy);
		return EXIT_USAGE;
	}
	*out = policy;
	return EXIT_OK;
}

/* The compatibility list as the policy loaded it (directpath-compat(5)). */
struct compat_row {
	char *file;                 /* the file's name in the directory, or "-" */
	unsigned line;
	const char *level;
	uint32_t vendor, device, subvendor, subdevice; /* DP_ID_ANY: any */
	const char *name;           /* NULL: none; the policy's */
};

struct compat_list {
	struct compat_row *rows;
	size_t n;
	char dir[PATH_MAX];
};

static void compat_list_free(struct compat_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->rows[i].file);
	free(l->rows);
	l->rows = NULL;
	l->n = 0;
}

static int compat_read(struct cli *cli, const struct dp_policy *policy,
		       struct compat_list *l)
{
	size_t n = dp_policy_get_compat_count(policy);

	if (snprintf(l->dir, sizeof(l->dir), "%s/compat.d",
		     dp_ctx_get_data_dir(cli->ctx)) >= (int)sizeof(l->dir)) {
		err_msg("the data directory's name is too long");
		return EXIT_USAGE;
	}
	if (n == 0)
		return EXIT_OK;
	l->rows = calloc(n, sizeof(*l->rows));
	if (!l->rows)
		return oom();
	for (size_t i = 0; i < n; i++) {
		struct dp_compat_info info = { .sz = sizeof(info) };
		struct compat_row *c = &l->rows[i];
		const char *base;

		if (dp_policy_get_compat_entry(policy, i, &info) < 0)
			break;
		base = info.source ? strrchr(info.source, '/') : NULL;
		c->file = strdup(base ? base + 1 : info.source ? info.source : "-");
		if (!c->file) {
			compat_list_free(l);
			return oom();
		}
		l->n++;
		c->line = info.line;
		c->level = dp_support_level_name(info.level);
		c->vendor = info.vendor_id;
		c->device = info.device_id;
		c->subvendor = info.subsystem_vendor_id;
		c->subdevice = info.subsystem_id;
		c->name = info.name;
	}
	return EXIT_OK;
}

static const char *fmt_ids(char *buf, size_t len, uint32_t a, uint32_t b)
{
	char x[8], y[8];

	snprintf(x, sizeof(x), a == DP_ID_ANY ? "*" : "%04" PRIx32, a);
	snprintf(y, sizeof(y), b == DP_ID_ANY ? "*" : "%04" PRIx32, b);
	snprintf(buf, len, "%s:%s", x, y);
	return buf;
}

/* An ID as a JSON string, or null for "any". */
static int jadd_id(struct json_object *o, const char *key, uint32_t v)
{
	return v == DP_ID_ANY ? jadd(o, key, NULL, true) : jadd_hex(o, key, 4, v);
}

static struct json_object *compat_json(const struct compat_list *l)
{
	struct json_object *arr = json_object_new_array();

	for (size_t i = 0; arr && i < l->n; i++) {
		const struct compat_row *c = &l->rows[i];
		struct json_object *o = json_object_new_object();
		int e = 0;

		if (o) {
			e |= jadd_str(o, "level", c->level);
			e |= jadd_id(o, "vendor_id", c->vendor);
			e |= jadd_id(o, "device_id", c->device);
			e |= jadd_id(o, "subsystem_vendor_id", c->subvendor);
			e |= jadd_id(o, "subsystem_id", c->subdevice);
			e |= jadd_str(o, "name", c->name);
			e |= jadd_str(o, "file", c->file);
			e |= jadd_int(o, "line", c->line);
		}
		if (e || jarray_add(arr, o)) {
			if (e)
				json_object_put(o);
			json_object_put(arr);
			arr = NULL;
		}
	}
	return arr;
}

static void compat_print(const struct compat_list *l)
{
	int w_level = 5, w_file = 4;
	char id[16], sub[16];

	if (!l->n) {
		printf("no compatibility list entries (%s/*.list); every device is unlisted\n",
		       l->dir);
		return;
	}
	for (size_t i = 0; i < l->n; i++) {
		int a = (int)strlen(l->rows[i].level), b = (int)strlen(l->rows[i].file);

		w_level = a > w_level ? a : w_level;
		w_file = b > w_file ? b : w_file;
	}
	printf("%-*s  %-9s  %-9s  %-*s  %s\n", w_level, "LEVEL", "ID",
	       "SUBSYSTEM", w_file, "FILE", "NAME");
	for (size_t i = 0; i < l->n; i++) {
		const struct compat_row *c = &l->rows[i];

		printf("%-*s  %-9s  %-9s  %-*s  %s\n", w_level, c->level,
		       fmt_ids(id, sizeof(id), c->vendor, c->device),
		       fmt_ids(sub, sizeof(sub), c->subvendor, c->subdevice),
		       w_file, c->file, or_dash(c->name));
	}
}

/* Rule numbers are small and dense; this leaves room for a newer library's. */
#define RULE_SCAN_MAX 256

/* A comment line of the policy output, left out if a loader would refuse it. */
static void policy_comment(const char *format, ...) DP_PRINTF(1, 2);
static void policy_comment(const char *format, ...)
{
	char line[512];
	va_list args;
	int n;

	va_start(args, format);
	n = vsnprintf(line, sizeof(line), format, args);
	va_end(args);
	if (n >= 0 && (size_t)n < sizeof(line) && (size_t)n <= dp_policy_line_max())
		printf("%s\n", line);
	else
		printf("# (a line too long for a policy file was left out)\n");
}

/* The [device VVVV:DDDD] entries: {"8086:10fb": "bus", ...}; NULL when out of memory. */
static struct json_object *reset_json(const struct dp_policy *policy)
{
	struct json_object *o = json_object_new_object();
	size_t n = dp_policy_get_reset_entry_count(policy);
	int e = 0;

	for (size_t i = 0; o && i < n; i++) {
		uint32_t v, d;
		char ids[16];

		if (dp_policy_get_reset_entry(policy, i, &v, &d) < 0)
			continue;
		snprintf(ids, sizeof(ids), "%04" PRIx32 ":%04" PRIx32, v, d);
		e |= jadd_str(o, ids, dp_policy_get_reset_methods(policy, v, d));
	}
	if (e) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

static int policy_json(const struct dp_policy *policy, const char *source,
		       const struct compat_list *compat)
{
	struct json_object *o = json_object_new_object();
	struct json_object *rules = json_object_new_object();
	int e = 0;

	if (!o || !rules) {
		json_object_put(o);
		json_object_put(rules);
		return oom();
	}
	for (int rule = 1; rule < RULE_SCAN_MAX; rule++) {
		const char *name = dp_rule_name((enum dp_rule)rule);
		int64_t v;
		const char *text;

		if (!name)
			continue;
		v = dp_policy_get_rule(policy, (enum dp_rule)rule);
		text = dp_rule_value_name((enum dp_rule)rule, v);
		e |= text ? jadd_str(rules, name, text) : jadd_int(rules, name, v);
	}
	e |= jadd(o, "rules", rules, false);
	e |= jadd_str(o, "vfio_drivers", dp_policy_get_vfio_drivers(policy));
	e |= jadd(o, "reset_methods", reset_json(policy), false);
	e |= jadd_str(o, "policy_file", source);
	e |= jadd_str(o, "compat_dir", compat->dir);
	e |= jadd(o, "compat", compat_json(compat), false);
	if (e) {
		json_object_put(o);
		return oom();
	}
	return json_print(o);
}

int cmd_policy(struct cli *cli, const char *arg)
{
	struct compat_list compat = { 0 };
	struct dp_policy *policy = NULL;
	const char *source;
	int r;

	(void)arg;
	r = load_policy(cli, &policy);
	if (r != EXIT_OK)
		return r;
	source = dp_policy_get_source(policy);
	r = compat_read(cli, policy, &compat);
	if (r != EXIT_OK)
		goto out;
	if (cli->opts & OPT_COMPAT) {
		if (cli->opts & OPT_JSON) {
			struct json_object *arr = compat_json(&compat);

			r = arr ? json_print(arr) : oom();
		} else {
			compat_print(&compat);
		}
		goto out;
	}
	if (cli->opts & OPT_JSON) {
		r = policy_json(policy, source, &compat);
		goto out;
	}
	/* A policy file (directpath-policy(5)) that sets every rule. */
	policy_comment("# The policy in force (directpath-policy(5)): the built-in defaults, which");
	if (source)
		policy_comment("# are VMware ESX 4.0's, then %s.", source);
	else
		policy_comment("# are VMware ESX 4.0's; no policy file was loaded.");
	policy_comment("# Compatibility list: %zu entr%s from %s/*.list;", compat.n,
		       compat.n == 1 ? "y" : "ies", compat.dir);
	policy_comment("# \"directpath policy --compat\" lists them.");
	printf("[policy]\n");
	for (int rule = 1; rule < RULE_SCAN_MAX; rule++) {
		const char *name = dp_rule_name((enum dp_rule)rule);
		int64_t v;
		const char *text;

		if (!name)
			continue;
		v = dp_policy_get_rule(policy, (enum dp_rule)rule);
		text = dp_rule_value_name((enum dp_rule)rule, v);
		if (text)
			printf("%s = %s\n", name, text);
		else
			printf("%s = %" PRId64 "\n", name, v);
	}
	printf("vfio_drivers = %s\n", dp_policy_get_vfio_drivers(policy));
	for (size_t i = 0; i < dp_policy_get_reset_entry_count(policy); i++) {
		uint32_t v, d;

		if (dp_policy_get_reset_entry(policy, i, &v, &d) == 0)
			printf("\n[device %04" PRIx32 ":%04" PRIx32 "]\nreset_method = %s\n", v, d,
			       dp_policy_get_reset_methods(policy, v, d));
	}
out:
	compat_list_free(&compat);
	dp_policy_unref(policy);
	return r;
}
