/* SPDX-License-Identifier: MIT */
/* The device compatibility list: supported, experimental, unsupported; the rest unlisted. */
#include <ctype.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "inifile.h"
#include "inventory.h"
#include "parse.h"
#include "policy.h"

#define COMPAT_LINE_MAX 512
#define COMPAT_FILE_MAX (1024 * 1024)
#define COMPAT_ENTRIES_MAX 65536

static const char *const level_names[] = {
	[DP_SUPPORT_UNLISTED] = "unlisted",
	[DP_SUPPORT_SUPPORTED] = "supported",
	[DP_SUPPORT_EXPERIMENTAL] = "experimental",
	[DP_SUPPORT_UNSUPPORTED] = "unsupported",
};

const char *dp_support_level_name(int level)
{
	return level >= 0 && level <= DP_SUPPORT_UNSUPPORTED ? level_names[level] : NULL;
}

int dp_support_level_from_name(const char *name, int *value)
{
	if (!name || !value)
		return -EINVAL;
	for (int i = 0; i <= DP_SUPPORT_UNSUPPORTED; i++) {
		if (strcmp(name, level_names[i]) == 0) {
			*value = i;
			return 0;
		}
	}
	return -EINVAL;
}

static int add_entry(struct dp_policy *p, uint32_t v, uint32_t d, uint32_t sv,
		     uint32_t sd, int level, const char *name, const char *source,
		     unsigned line)
{
	struct dp_compat_entry *e;

	if (p->n_compat >= COMPAT_ENTRIES_MAX)
		return -E2BIG;
	e = realloc(p->compat, (p->n_compat + 1) * sizeof(*e));
	if (!e)
		return -ENOMEM;
	p->compat = e;
	e = &p->compat[p->n_compat];
	*e = (struct dp_compat_entry){ v, d, sv, sd, level, NULL, source, line };
	if (name && *name && !(e->name = strdup(name)))
		return -ENOMEM;
	p->n_compat++;
	return 0;
}

int dp_policy_add_compat(struct dp_policy *policy, uint32_t vendor, uint32_t device,
			 uint32_t subvendor, uint32_t subdevice, int level, const char *name)
{
	int r;

	if (!policy)
		return -EINVAL;
	if ((vendor > 0xffff && vendor != DP_ID_ANY) || (device > 0xffff && device != DP_ID_ANY) ||
	    (subvendor > 0xffff && subvendor != DP_ID_ANY) ||
	    (subdevice > 0xffff && subdevice != DP_ID_ANY) ||
	    level < DP_SUPPORT_SUPPORTED || level > DP_SUPPORT_UNSUPPORTED) {
		dp_err(policy->ctx, "BUG: dp_policy_add_compat: IDs above 0xffff or level %d", level);
		return -EINVAL;
	}
	r = add_entry(policy, vendor, device, subvendor, subdevice, level, name, NULL, 0);
	if (r == -E2BIG)
		dp_err(policy->ctx, "compatibility list: more than %d entries", COMPAT_ENTRIES_MAX);
	return r;
}

/* "8086" or "*"; -EINVAL otherwise. */
static int parse_id(const char *s, size_t len, uint32_t *out)
{
	long v;

	if (len == 1 && s[0] == '*') {
		*out = DP_ID_ANY;
		return 0;
	}
	if (len != 4 || (v = dp_parse_hex_n(s, 4)) < 0)
		return -EINVAL;
	*out = (uint32_t)v;
	return 0;
}

/* "VVVV:DDDD" with * wildcards. */
static int parse_pair(const char *w, uint32_t *a, uint32_t *b)
{
	const char *colon = strchr(w, ':');

	if (!colon || parse_id(w, (size_t)(colon - w), a) < 0 ||
	    parse_id(colon + 1, strlen(colon + 1), b) < 0)
		return -EINVAL;
	return 0;
}

/* One line: VENDOR:DEVICE [SUBVENDOR:SUBDEVICE] LEVEL [NAME...] */
static int parse_line(struct dp_policy *p, char *line, const char **why,
		      const char *source, unsigned lineno)
{
	char *save = NULL, *w, *name;
	uint32_t v, d, sv = DP_ID_ANY, sd = DP_ID_ANY;
	int level = -1;

	w = strtok_r(line, " \t", &save);
	if (!w || parse_pair(w, &v, &d) < 0) {
		*why = "expected VENDOR:DEVICE (4 hex digits or *)";
		return -EINVAL;
	}
	w = strtok_r(NULL, " \t", &save);
	if (w && strchr(w, ':')) {
		if (parse_pair(w, &sv, &sd) < 0) {
			*why = "expected SUBVENDOR:SUBDEVICE (4 hex digits or *)";
			return -EINVAL;
		}
		w = strtok_r(NULL, " \t", &save);
	}
	/* A file lists what it knows of; "unlisted" is what it does not say. */
	if (!w || dp_support_level_from_name(w, &level) < 0 || level == DP_SUPPORT_UNLISTED)
		level = -1;
	if (level < 0) {
		*why = "expected a level: supported, experimental or unsupported";
		return -EINVAL;
	}
	name = save;
	while (name && (*name == ' ' || *name == '\t'))
		name++;
	return add_entry(p, v, d, sv, sd, level, name, source, lineno);
}

int dp_policy_load_compat_file(struct dp_policy *policy, const char *path)
{
	char line[COMPAT_LINE_MAX + 1], *buf = NULL;
	const char *source, *text;
	size_t before, len, pos = 0, n;
	unsigned lineno = 0;
	int r = 0;

	if (!policy || dp_bug_on(policy->ctx, !path))
		return -EINVAL;
	r = dp_read_text_file(policy->ctx, path, COMPAT_FILE_MAX, &buf, &len);
	if (r < 0)
		return r;
	before = policy->n_compat;
	{
		char **p = realloc(policy->sources, (policy->n_sources + 1) * sizeof(*p));

		if (p)
			policy->sources = p;
		if (!p || !(policy->sources[policy->n_sources] = strdup(path))) {
			free(buf);
			return -ENOMEM;
		}
		source = policy->sources[policy->n_sources++];
	}
	while (r == 0 && dp_next_line(buf, len, &pos, &text, &n)) {
		const char *why = NULL;
		char *s = line;

		lineno++;
		/* The raw line, before anything is stripped, as directpath-compat(5) counts it. */
		if (memchr(text, '\0', n)) {
			dp_err(policy->ctx, "%s:%u: a NUL byte (this is not a text file)", path, lineno);
			r = -EINVAL;
			break;
		}
		if (n > COMPAT_LINE_MAX) {
			dp_err(policy->ctx, "%s:%u: line longer than %d characters", path, lineno,
			       COMPAT_LINE_MAX);
			r = -EINVAL;
			break;
		}
		memcpy(line, text, n);
		line[n] = '\0';
		while (n && (line[n - 1] == '\r' || line[n - 1] == ' ' || line[n - 1] == '\t'))
			line[--n] = '\0';
		while (*s == ' ' || *s == '\t')
			s++;
		if (*s == '\0' || *s == '#')
			continue;
		r = parse_line(policy, s, &why, source, lineno);
		if (r == -EINVAL)
			dp_err(policy->ctx, "%s:%u: %s", path, lineno, why);
		else if (r == -E2BIG)
			dp_err(policy->ctx, "%s:%u: more than %d entries", path, lineno,
			       COMPAT_ENTRIES_MAX);
	}
	free(buf);
	if (r < 0) {
		/* All or nothing: drop what this file added. */
		for (size_t i = before; i < policy->n_compat; i++)
			free(policy->compat[i].name);
		policy->n_compat = before;
		free(policy->sources[--policy->n_sources]);
		return r;
	}
	dp_dbg(policy->ctx, "%s: %zu compatibility entries", path, policy->n_compat - before);
	return 0;
}

static int cmp_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int dp_compat_load_dir(struct dp_policy *policy, const char *dir)
{
	char **names = NULL;
	size_t n = 0;
	struct dirent *de;
	DIR *d = opendir(dir);
	int r = 0;

	if (!d) {
		if (errno == ENOENT) {
			dp_dbg(policy->ctx, "%s: no compatibility list installed", dir);
			return 0;
		}
		r = -errno;
		dp_err(policy->ctx, "%s: %s", dir, strerror(errno));
		return r;
	}
	while ((de = readdir(d))) {
		size_t len = strlen(de->d_name);
		char **p;

		if (de->d_name[0] == '.' || len < 6 || strcmp(de->d_name + len - 5, ".list") != 0)
			continue;
		p = realloc(names, (n + 1) * sizeof(*p));
		if (!p || !(p[n] = strdup(de->d_name))) {
			names = p ? p : names;
			r = -ENOMEM;
			break;
		}
		names = p;
		n++;
	}
	closedir(d);
	if (r == 0 && n)
		qsort(names, n, sizeof(*names), cmp_name);
	for (size_t i = 0; i < n; i++) {
		char path[PATH_MAX];

		if (r == 0) {
			snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
			r = dp_policy_load_compat_file(policy, path);
		}
		free(names[i]);
	}
	free(names);
	return r;
}

void dp_compat_free(struct dp_policy *policy)
{
	for (size_t i = 0; i < policy->n_compat; i++)
		free(policy->compat[i].name);
	free(policy->compat);
	policy->compat = NULL;
	policy->n_compat = 0;
	for (size_t i = 0; i < policy->n_sources; i++)
		free(policy->sources[i]);
	free(policy->sources);
	policy->sources = NULL;
	policy->n_sources = 0;
}

size_t dp_policy_get_compat_count(const struct dp_policy *policy)
{
	return policy ? policy->n_compat : 0;
}

int dp_policy_get_compat_entry(const struct dp_policy *policy, size_t index,
			       struct dp_compat_info *info)
{
	struct dp_compat_info out = { .sz = sizeof(out) };
	const struct dp_compat_entry *e;

	if (!policy || !info)
		return -EINVAL;
	if (index >= policy->n_compat)
		return -ERANGE;
	e = &policy->compat[index];
	out.vendor_id = e->vendor;
	out.device_id = e->device;
	out.subsystem_vendor_id = e->subvendor;
	out.subsystem_id = e->subdevice;
	out.level = e->level;
	out.line = e->line;
	out.name = e->name;
	out.source = e->source;
	return dp_info_copy_out(info, offsetof(struct dp_compat_info, source) + sizeof(char *),
				&out, sizeof(out));
}

static bool id_match(uint32_t want, uint32_t have)
{
	return want == DP_ID_ANY || want == have;
}

int dp_compat_lookup(const struct dp_policy *policy, uint32_t vendor, uint32_t device,
		     uint32_t subvendor, uint32_t subdevice, const char **name)
{
	const struct dp_compat_entry *best = NULL;
	int best_score = -1;

	for (size_t i = 0; i < policy->n_compat; i++) {
		const struct dp_compat_entry *e = &policy->compat[i];
		int score;

		if (!id_match(e->vendor, vendor) || !id_match(e->device, device) ||
		    !id_match(e->subvendor, subvendor) || !id_match(e->subdevice, subdevice))
			continue;
		score = (e->vendor != DP_ID_ANY) + (e->device != DP_ID_ANY) +
			(e->subvendor != DP_ID_ANY) + (e->subdevice != DP_ID_ANY);
		if (score >= best_score) { /* the most specific; on a tie, the last loaded */
			best = e;
			best_score = score;
		}
	}
	if (name)
		*name = best ? best->name : NULL;
	return best ? best->level : DP_SUPPORT_UNLISTED;
}

int dp_policy_get_support(const struct dp_policy *policy, const struct dp_device *dev,
			  const char **name)
{
	if (!policy || !dev)
		return -EINVAL;
	return dp_compat_lookup(policy, dev->info.vendor_id, dev->info.device_id,
				dev->info.subsystem_vendor_id, dev->info.subsystem_id, name);
}
