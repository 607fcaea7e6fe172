/* SPDX-License-Identifier: MIT */
/*
 * Vendor and device names from pci.ids. The file is read whole, once per
 * context, at the first name asked for; one pass indexes the vendor lines,
 * and a vendor's device lines are indexed at the first lookup of one of its
 * devices. Names point into the file's text, which lives as long as the
 * context. The lines are read as libpciaccess reads them, so that names do
 * not change with the reader: a vendor line is four hex digits at the start
 * of a line, a device line one tab and four hex digits, the name starts two
 * characters after the digits, and the first line for an ID wins.
 */
#include <ctype.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "inventory.h"
#include "pciids.h"

#define PCIIDS_MAX (64u << 20) /* a pci.ids is about 1.4 MB; more is not one */

struct pciids_dev {
	uint16_t id;
	uint32_t order;      /* line order, so that the first line for an ID wins */
	const char *name;
};

struct pciids_vendor {
	uint32_t id;         /* as the line spells it; above 0xffff it matches nothing */
	uint32_t order;
	const char *name;
	char *block, *end;   /* its device and subsystem lines */
	struct pciids_dev *devs; /* built at the first device lookup */
	size_t n_devs;
	bool indexed;
};

struct dp_pciids {
	char *text;
	size_t len;
	struct pciids_vendor *vendors; /* by ID, then line order */
	size_t n_vendors;
};

/* The value of the hex digits at s (as many as there are), or UINT32_MAX past 32 bits. */
static uint32_t hex_value(const char *s)
{
	uint64_t v = 0;

	for (; isxdigit((unsigned char)*s); s++) {
		v = v * 16 + (uint64_t)(isdigit((unsigned char)*s) ? *s - '0'
						: tolower((unsigned char)*s) - 'a' + 10);
		if (v > UINT32_MAX)
			return UINT32_MAX;
	}
	return (uint32_t)v;
}

static bool four_hex(const char *s)
{
	return isxdigit((unsigned char)s[0]) && isxdigit((unsigned char)s[1]) &&
	       isxdigit((unsigned char)s[2]) && isxdigit((unsigned char)s[3]);
}

/* The name on a line of this many leading tabs: two characters after the digits, or "". */
static const char *line_name(const char *line, size_t len, size_t tabs)
{
	return len >= tabs + 6 ? line + tabs + 6 : line + len;
}

static int cmp_vendor(const void *a, const void *b)
{
	const struct pciids_vendor *x = a, *y = b;

	if (x->id != y->id)
		return x->id < y->id ? -1 : 1;
	return x->order < y->order ? -1 : x->order > y->order;
}

static int cmp_dev(const void *a, const void *b)
{
	const struct pciids_dev *x = a, *y = b;

	if (x->id != y->id)
		return x->id < y->id ? -1 : 1;
	return x->order < y->order ? -1 : x->order > y->order;
}

/* Reads the whole file, NUL-terminated; 0, -ENOENT when absent, or another -errno. */
static int read_whole(const char *path, char **text, size_t *len)
{
	struct stat st;
	size_t cap, n = 0;
	char *buf;
	int fd, r = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0)
		r = -errno;
	else if (!S_ISREG(st.st_mode))
		r = -EINVAL;
	else if ((uint64_t)st.st_size >= PCIIDS_MAX)
		r = -EFBIG;
	if (r < 0) {
		close(fd);
		return r;
	}
	cap = (size_t)st.st_size + 1;
	buf = malloc(cap);
	while (buf) {
		ssize_t got = read(fd, buf + n, cap - 1 - n);

		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			r = -errno;
			break;
		}
		if (got == 0)
			break;
		n += (size_t)got;
		if (n == cap - 1) { /* the file grew while being read */
			char *p = cap * 2 <= PCIIDS_MAX ? realloc(buf, cap * 2) : NULL;

			if (!p) {
				r = cap * 2 <= PCIIDS_MAX ? -ENOMEM : -EFBIG;
				break;
			}
			buf = p;
			cap *= 2;
		}
	}
	close(fd);
	if (!buf)
		return -ENOMEM;
	if (r < 0) {
		free(buf);
		return r;
	}
	buf[n] = '\0';
	*text = buf;
	*len = n;
	return 0;
}

/* One pass: every line becomes a string, and each vendor line is indexed. */
static int index_vendors(struct dp_pciids *ids)
{
	char *p = ids->text, *end = ids->text + ids->len;
	struct pciids_vendor *cur = NULL;
	size_t cap = 0;
	uint32_t order = 0;

	while (p < end) {
		char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);

		if (nl)
			*nl = '\0';
		if (len >= 4 && four_hex(p)) {
			if (ids->n_vendors == cap) {
				size_t ncap = cap ? cap * 2 : 4096;
				void *v = realloc(ids->vendors, ncap * sizeof(*ids->vendors));

				if (!v)
					return -ENOMEM;
				ids->vendors = v;
				cap = ncap;
			}
			if (cur)
				cur->end = p;
			cur = &ids->vendors[ids->n_vendors++];
			*cur = (struct pciids_vendor){
				.id = hex_value(p), .order = order++,
				.name = line_name(p, len, 0),
				.block = p + len + (nl ? 1 : 0),
			};
		}
		p += len + (nl ? 1 : 0);
	}
	if (cur)
		cur->end = end;
	if (ids->n_vendors)
		qsort(ids->vendors, ids->n_vendors, sizeof(*ids->vendors), cmp_vendor);
	return 0;
}

int dp_pciids_from_text(char *text, size_t len, struct dp_pciids **out)
{
	struct dp_pciids *ids = calloc(1, sizeof(*ids));
	int r;

	if (!ids) {
		free(text);
		return -ENOMEM;
	}
	ids->text = text;
	ids->len = len;
	r = index_vendors(ids);
	if (r < 0) {
		dp_pciids_free(ids);
		return r;
	}
	*out = ids;
	return 0;
}

struct dp_pciids *dp_pciids_get(struct dp_ctx *ctx)
{
	static const char *const paths[] = DP_PCI_IDS_PATHS;
	char *text = NULL;
	size_t len = 0;
	int r = -ENOENT;

	if (ctx->pciids_loads)
		return ctx->pciids;
	ctx->pciids_loads = 1;
	ctx->inventory_free = dp_inventory_clear;
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]) && r == -ENOENT; i++) {
		r = read_whole(paths[i], &text, &len);
		if (r == 0)
			dp_dbg(ctx, "pci.ids: %s, %zu bytes", paths[i], len);
		else if (r != -ENOENT)
			dp_dbg(ctx, "pci.ids: %s: %s; no names", paths[i], strerror(-r));
	}
	if (r == -ENOENT)
		dp_dbg(ctx, "pci.ids: not found; no names");
	if (r == 0)
		r = dp_pciids_from_text(text, len, &ctx->pciids);
	if (r == -ENOMEM)
		dp_dbg(ctx, "pci.ids: out of memory; no names");
	return ctx->pciids;
}

void dp_pciids_free(struct dp_pciids *ids)
{
	if (!ids)
		return;
	for (size_t i = 0; i < ids->n_vendors; i++)
		free(ids->vendors[i].devs);
	free(ids->vendors);
	free(ids->text);
	free(ids);
}

unsigned dp_pciids_loads(const struct dp_ctx *ctx)
{
	return ctx ? ctx->pciids_loads : 0;
}

/* The first (in line order) of the vendor's entries, or NULL. */
static struct pciids_vendor *find_vendor(struct dp_pciids *ids, uint16_t vendor)
{
	size_t lo = 0, hi = ids ? ids->n_vendors : 0;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (ids->vendors[mid].id < vendor)
			lo = mid + 1;
		else
			hi = mid;
	}
	return ids && lo < ids->n_vendors && ids->vendors[lo].id == vendor ? &ids->vendors[lo] : NULL;
}

const char *dp_pciids_vendor(struct dp_pciids *ids, uint16_t vendor)
{
	const struct pciids_vendor *v = find_vendor(ids, vendor);

	return v ? v->name : NULL;
}

/* The device lines of every block of the vendor, in line order; 0 or -ENOMEM. */
static int index_devices(struct dp_pciids *ids, struct pciids_vendor *first)
{
	const struct pciids_vendor *end = ids->vendors + ids->n_vendors;
	size_t cap = 0;
	uint32_t order = 0;

	free(first->devs); /* what a lookup that ran out of memory left */
	first->devs = NULL;
	first->n_devs = 0;
	for (const struct pciids_vendor *v = first; v < end && v->id == first->id; v++) {
		for (char *p = v->block; p < v->end;) {
			size_t len = strlen(p);

			if (len >= 5 && p[0] == '\t' && four_hex(p + 1)) {
				uint32_t id = hex_value(p + 1);

				if (first->n_devs == cap) {
					size_t ncap = cap ? cap * 2 : 64;
					void *d = realloc(first->devs, ncap * sizeof(*first->devs));

					if (!d)
						return -ENOMEM;
					first->devs = d;
					cap = ncap;
				}
				if (id <= 0xffff)
					first->devs[first->n_devs++] = (struct pciids_dev){
						.id = (uint16_t)id, .order = order,
						.name = line_name(p, len, 1),
					};
			}
			order++;
			p += len + 1;
		}
	}
	if (first->n_devs)
		qsort(first->devs, first->n_devs, sizeof(*first->devs), cmp_dev);
	first->indexed = true;
	return 0;
}

const char *dp_pciids_device(struct dp_pciids *ids, uint16_t vendor, uint16_t device)
{
	struct pciids_vendor *v = find_vendor(ids, vendor);
	size_t lo = 0, hi;

	if (!v || (!v->indexed && index_devices(ids, v) < 0))
		return NULL;
	hi = v->n_devs;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (v->devs[mid].id < device)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < v->n_devs && v->devs[lo].id == device ? v->devs[lo].name : NULL;
}
