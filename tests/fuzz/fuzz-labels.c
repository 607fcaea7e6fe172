/* SPDX-License-Identifier: MIT */
/*
 * The labels file (dp_labels_load: lib/labels.c on lib/inifile.c, against
 * directpath-labels(5)) and a VM's device request (dp_request_parse:
 * lib/request.c, directpath-vm(5)). The input is the file, and up to its
 * first NUL the request. An accepted file has distinct valid names, each
 * with at least one id or device, within the limits, and no entry twice; a
 * refused one leaves nothing. An accepted request is of exactly one kind
 * and prints back to a request that parses the same.
 */
#include "fuzz.h"
#include "select.h"

static void request(const uint8_t *data, size_t size)
{
	char *text = fz_strndup(data, size), why[160] = "", again[64];
	struct dp_request r, r2;
	int rc = dp_request_parse(text, &r, why, sizeof(why));

	if (rc < 0) {
		FZ_ASSERT(rc == -EINVAL && why[0], "refused (%d) without a reason", rc);
		free(text);
		return;
	}
	switch (r.kind) {
	case DP_REQUEST_BDF:
		FZ_ASSERT(strchr(text, '.') && strncmp(text, "label:", 6) != 0, "\"%s\"", text);
		snprintf(again, sizeof(again), "%s", r.bdf);
		break;
	case DP_REQUEST_ID:
		FZ_ASSERT(!strchr(text, '.') && r.id[0] <= 0xffff && r.id[1] <= 0xffff, "\"%s\"", text);
		FZ_ASSERT((r.id[2] == DP_ID_ANY) == (r.id[3] == DP_ID_ANY), "\"%s\"", text);
		if (r.id[2] == DP_ID_ANY)
			snprintf(again, sizeof(again), "%04x:%04x", r.id[0], r.id[1]);
		else
			snprintf(again, sizeof(again), "%04x:%04x:%04x:%04x", r.id[0], r.id[1],
				 r.id[2], r.id[3]);
		break;
	case DP_REQUEST_LABEL:
		FZ_ASSERT(dp_label_name_valid(r.label) && strcmp(text + 6, r.label) == 0, "\"%s\"", text);
		snprintf(again, sizeof(again), "label:%s", r.label);
		break;
	default:
		FZ_ASSERT(0, "kind %d", r.kind);
	}
	FZ_ASSERT(dp_request_parse(again, &r2, why, sizeof(why)) == 0 &&
		  memcmp(&r, &r2, sizeof(r)) == 0, "\"%s\" prints back as \"%s\"", text, again);
	free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dp_ctx *ctx = fz_ctx(FZ_NO_DIR);
	struct dp_labels l = { .n = 12345 };
	char path[64];
	int fd, r;

	request(data, size);
	fd = fz_memfd(data, size, path, sizeof(path));
	r = dp_labels_load(ctx, path, &l);
	close(fd);
	if (r < 0) {
		FZ_ASSERT(r == -EINVAL || r == -ENOMEM || r == -EFBIG, "%d", r);
		FZ_ASSERT(l.n == 12345 && !l.labels, "written on failure");
	} else {
		FZ_ASSERT(l.present && l.n <= DP_LABELS_MAX, "%zu labels", l.n);
		for (size_t i = 0; i < l.n; i++) {
			const struct dp_label *lab = &l.labels[i];

			FZ_ASSERT(dp_label_name_valid(lab->name), "name \"%s\"", lab->name);
			FZ_ASSERT(dp_labels_find(&l, lab->name) == lab, "\"%s\" twice", lab->name);
			FZ_ASSERT(lab->n_ids + lab->n_bdfs >= 1 &&
				  lab->n_ids + lab->n_bdfs <= DP_LABEL_ENTRIES_MAX, "%zu entries",
				  lab->n_ids + lab->n_bdfs);
			for (size_t k = 0; k < lab->n_ids; k++)
				for (size_t j = 0; j < k; j++)
					FZ_ASSERT(memcmp(lab->ids[j], lab->ids[k], sizeof(lab->ids[k])),
						  "id %zu twice", k);
			for (size_t k = 0; k < lab->n_bdfs; k++) {
				char norm[DP_BDF_LEN];

				FZ_ASSERT(dp_bdf_normalize(lab->bdfs[k], norm) == 0 &&
					  strcmp(norm, lab->bdfs[k]) == 0, "device \"%s\"", lab->bdfs[k]);
				FZ_ASSERT(!dp_bdf_in(lab->bdfs, k, lab->bdfs[k]), "device %zu twice", k);
			}
		}
		dp_labels_fini(&l);
	}
	dp_ctx_unref(ctx);
	return 0;
}
