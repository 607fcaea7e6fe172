/* SPDX-License-Identifier: MIT */
/*
 * CONFIG_DIR/labels.conf (directpath-labels(5)): names for kinds of devices,
 * each a [label NAME] section of "id = VVVV:DDDD[:SSSS:ssss]" and
 * "device = DDDD:BB:DD.F" lines, read with the house INI reader.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "inifile.h"
#include "quote.h"
#include "select.h"

#define SECTION "label "

struct labels_file {
	struct dp_labels l;
};

static struct dp_label *current(struct dp_labels *l, const char *section)
{
	if (l->n == 0 || strncmp(section, SECTION, strlen(SECTION)) != 0 ||
	    strcmp(l->labels[l->n - 1].name, section + strlen(SECTION)) != 0)
		return NULL;
	return &l->labels[l->n - 1];
}

/* At a header (key NULL): a new label; under it: its id and device lines. */
static int label_key(struct dp_inifile *f, const char *section, const char *key,
		     const char *value, void *userdata)
{
	struct labels_file *lf = userdata;
	char q[DP_QUOTE_SIZE(DP_INIFILE_MAX_LINE)];
	struct dp_label *lab;

	if (!key) {
		const char *name = section + strlen(SECTION);
		struct dp_label *p;

		if (!dp_label_name_valid(name))
			return dp_inifile_error(f, "label name \"%s\" is not 1 to %d letters, digits, '_', '-' or '.' starting with a letter or digit",
						dp_quote(q, sizeof(q), name), DP_LABEL_NAME_MAX);
		lab = (struct dp_label *)dp_labels_find(&lf->l, name);
		if (lab)
			return dp_inifile_error(f, "label \"%s\" is already defined at line %u", name,
						lab->line);
		if (lf->l.n >= DP_LABELS_MAX)
			return dp_inifile_error(f, "more than %d labels", DP_LABELS_MAX);
		p = realloc(lf->l.labels, (lf->l.n + 1) * sizeof(*p));
		if (!p)
			return -ENOMEM;
		lf->l.labels = p;
		lab = &p[lf->l.n++];
		*lab = (struct dp_label){ .line = dp_inifile_line(f) };
		strcpy(lab->name, name);
		return 0;
	}
	if (section[0] == '\0')
		return dp_inifile_error(f, "\"%s\" outside a section; put it under [label NAME]",
					dp_quote(q, sizeof(q), key));
	lab = current(&lf->l, section);
	if (!lab) /* the header was refused: its error stands */
		return -EINVAL;
	if (lab->n_ids + lab->n_bdfs >= DP_LABEL_ENTRIES_MAX)
		return dp_inifile_error(f, "more than %d id and device lines in label \"%s\"",
					DP_LABEL_ENTRIES_MAX, lab->name);
	if (strcmp(key, "id") == 0) {
		uint32_t id[4], (*p)[4];

		if (dp_id_parse(value, id) < 0)
			return dp_inifile_error(f, "id \"%s\" is not VVVV:DDDD or VVVV:DDDD:SSSS:ssss (4 hex digits each)",
						dp_quote(q, sizeof(q), value));
		for (size_t i = 0; i < lab->n_ids; i++)
			if (memcmp(lab->ids[i], id, sizeof(id)) == 0)
				return dp_inifile_error(f, "id %s is listed twice in label \"%s\"",
							value, lab->name);
		p = realloc(lab->ids, (lab->n_ids + 1) * sizeof(*p));
		if (!p)
			return -ENOMEM;
		lab->ids = p;
		memcpy(p[lab->n_ids++], id, sizeof(id));
		return 0;
	}
	if (strcmp(key, "device") == 0) {
		char bdf[DP_BDF_LEN], (*p)[DP_BDF_LEN];

		if (dp_bdf_normalize(value, bdf) < 0)
			return dp_inifile_error(f, "device \"%s\" is not a PCI address (DDDD:BB:DD.F)",
						dp_quote(q, sizeof(q), value));
		if (dp_bdf_in(lab->bdfs, lab->n_bdfs, bdf))
			return dp_inifile_error(f, "device %s is listed twice in label \"%s\"", bdf,
						lab->name);
		p = realloc(lab->bdfs, (lab->n_bdfs + 1) * sizeof(*p));
		if (!p)
			return -ENOMEM;
		lab->bdfs = p;
		strcpy(p[lab->n_bdfs++], bdf);
		return 0;
	}
	return dp_inifile_error(f, "unknown key \"%s\" in [%s] (id, device)",
				dp_quote(q, sizeof(q), key), section);
}

void dp_labels_fini(struct dp_labels *l)
{
	for (size_t i = 0; l && i < l->n; i++) {
		free(l->labels[i].ids);
		free(l->labels[i].bdfs);
	}
	if (l) {
		free(l->labels);
		*l = (struct dp_labels){ 0 };
	}
}

int dp_labels_load(struct dp_ctx *ctx, const char *path, struct dp_labels *out)
{
	struct labels_file lf = { .l = { .present = true } };
	int r;

	if (access(path, F_OK) < 0 && errno == ENOENT) {
		*out = (struct dp_labels){ 0 };
		return 0;
	}
	r = dp_inifile_parse_sections(ctx, path, (const char *const[]){ SECTION "*NAME", NULL },
				      label_key, &lf);
	for (size_t i = 0; r == 0 && i < lf.l.n; i++)
		if (lf.l.labels[i].n_ids + lf.l.labels[i].n_bdfs == 0) {
			dp_err(ctx, "%s:%u: label \"%s\" has no id or device line", path,
			       lf.l.labels[i].line, lf.l.labels[i].name);
			r = -EINVAL;
		}
	if (r < 0) {
		dp_labels_fini(&lf.l);
		return r;
	}
	*out = lf.l;
	return 0;
}

const struct dp_label *dp_labels_find(const struct dp_labels *l, const char *name)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->labels[i].name, name) == 0)
			return &l->labels[i];
	return NULL;
}

bool dp_label_matches(const struct dp_label *lab, const struct dp_device *dev)
{
	for (size_t i = 0; i < lab->n_ids; i++)
		if (dp_id_matches(lab->ids[i], dev))
			return true;
	return dp_bdf_in(lab->bdfs, lab->n_bdfs, dev->bdf);
}
