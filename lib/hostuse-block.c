/* SPDX-License-Identifier: MIT */
/* What the host loses with a function: the block devices below it, their holders, their mounts. */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hostuse-internal.h"
#include "quote.h"
#include "sysfs.h"

/* A block device's dev and size into b; a missing or garbage dev is noted in b->flags. */
static void read_block_attrs(struct walk *w, int fd, struct dp_host_block *b, unsigned unknown)
{
	char buf[64];
	uint64_t v;
	int r = dp_sysfs_read(fd, "dev", buf, sizeof(buf));

	if (r >= 0)
		r = dp_devnum_parse(buf, (size_t)r, &b->major, &b->minor);
	if (r < 0) {
		b->flags |= DP_HOST_BLOCK_NO_DEV;
		dp_hostuse_bad_attr(w, "dev", r, unknown);
	}
	if (dp_sysfs_read_u64(fd, "size", 10, UINT64_MAX, &v) == 0)
		b->sectors = v;
}

/* Notes the names in a block device's holders/ for after the walk. */
static void note_holders(struct walk *w, int fd, const char *below)
{
	int hfd = openat(fd, "holders", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	unsigned n = 0;
	struct dirent *de;
	DIR *d;

	if (hfd < 0) {
		if (errno != ENOENT)
			dp_hostuse_bad_attr(w, "holders", -errno, DP_HOST_UNKNOWN_HOLDERS);
		return;
	}
	d = fdopendir(hfd);
	if (!d) {
		close(hfd);
		w->err = -ENOMEM;
		return;
	}
	while ((de = readdir(d))) {
		struct pending_holder *h;
		int r;

		if (de->d_name[0] == '.')
			continue;
		if (++w->entries > DP_HOST_USE_ENTRIES_MAX) {
			dp_hostuse_limit_hit(w, &w->said_entries, "directory entries",
					     DP_HOST_USE_ENTRIES_MAX);
			break;
		}
		if (++n > DP_HOST_USE_HOLDERS_MAX) {
			dp_hostuse_limit_hit(w, &w->said_holders, "holders of a block device",
				  DP_HOST_USE_HOLDERS_MAX);
			w->u->unknown |= DP_HOST_UNKNOWN_HOLDERS;
			break;
		}
		if (strlen(de->d_name) >= DP_HOST_USE_NAME_MAX) {
			w->u->unknown |= DP_HOST_UNKNOWN_HOLDERS;
			continue;
		}
		r = dp_hostuse_grow((void **)&w->holders, &w->cap_holders, w->n_holders,
				    sizeof(*w->holders), DP_HOST_USE_BLOCK_MAX);
		if (r < 0) {
			if (r == -ENOMEM)
				w->err = r;
			else
				dp_hostuse_limit_hit(w, &w->said_block, "block devices",
						     DP_HOST_USE_BLOCK_MAX);
			break;
		}
		h = &w->holders[w->n_holders++];
		dp_hostuse_copy_name(h->name, sizeof(h->name), de->d_name);
		dp_hostuse_copy_name(h->below, sizeof(h->below), below);
	}
	closedir(d);
}

int dp_hostuse_add_block(struct walk *w, int fd, const char *name, const struct frame *parent)
{
	struct dp_host_use *u = w->u;
	struct dp_host_block *b;
	int r = dp_hostuse_grow((void **)&u->block, &w->cap_block, u->n_block, sizeof(*u->block),
		     DP_HOST_USE_BLOCK_MAX);

	if (r == -ENOSPC) {
		dp_hostuse_limit_hit(w, &w->said_block, "block devices", DP_HOST_USE_BLOCK_MAX);
		return r;
	}
	if (r < 0)
		return r;
	b = &u->block[u->n_block++];
	memset(b, 0, sizeof(*b));
	dp_hostuse_copy_name(b->name, sizeof(b->name), name);
	if (parent->kind == KIND_BLOCK || faccessat(fd, "partition", F_OK, 0) == 0) {
		b->flags |= DP_HOST_BLOCK_PARTITION;
		if (parent->kind == KIND_BLOCK)
			dp_hostuse_copy_name(b->below, sizeof(b->below), parent->name);
	}
	read_block_attrs(w, fd, b, DP_HOST_UNKNOWN_TREE);
	note_holders(w, fd, b->name);
	return 0;
}

/* ---- holders --------------------------------------------------------------- */

static size_t find_block(const struct dp_host_use *u, const char *name)
{
	for (size_t i = 0; i < u->n_block; i++)
		if (strcmp(u->block[i].name, name) == 0)
			return i;
	return SIZE_MAX;
}

static int cmp_holder(const void *a, const void *b)
{
	const struct pending_holder *x = a, *y = b;
	int c = strverscmp(x->below, y->below);

	return c ? c : strverscmp(x->name, y->name);
}

/* Adds each holder once (after the function's own devices), from /sys/class/block/<name>. */
void dp_hostuse_resolve_holders(struct walk *w)
{
	struct dp_host_use *u = w->u;
	int cfd;

	if (w->n_holders == 0)
		return;
	qsort(w->holders, w->n_holders, sizeof(*w->holders), cmp_holder);
	cfd = open(DP_SYS_CLASS_BLOCK, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (cfd < 0) {
		u->unknown |= DP_HOST_UNKNOWN_HOLDERS;
		dp_warn(w->ctx, "%s: %s: %s; holders not read", u->bdf, DP_SYS_CLASS_BLOCK,
			strerror(errno));
		return;
	}
	for (size_t i = 0; i < w->n_holders && !w->err; i++) {
		const struct pending_holder *h = &w->holders[i];
		struct dp_host_block *b;
		char q[DP_QUOTE_SIZE(DP_HOST_USE_NAME_MAX)];
		int hfd, r;

		if (find_block(u, h->name) != SIZE_MAX)
			continue;
		hfd = openat(cfd, h->name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (hfd < 0 || !dp_hostuse_under_sys_devices(hfd)) {
			u->unknown |= DP_HOST_UNKNOWN_HOLDERS;
			dp_warn(w->ctx, "%s: holder %s of %s: %s; not read", u->bdf,
				dp_quote(q, sizeof(q), h->name), h->below,
				hfd < 0 ? strerror(errno) : "not a device under " SYS_DEVICES_PREFIX);
			if (hfd >= 0)
				close(hfd);
			continue;
		}
		r = dp_hostuse_grow((void **)&u->block, &w->cap_block, u->n_block,
				    sizeof(*u->block), DP_HOST_USE_BLOCK_MAX);
		if (r < 0) {
			close(hfd);
			if (r == -ENOMEM)
				w->err = r;
			else
				dp_hostuse_limit_hit(w, &w->said_block, "block devices",
						     DP_HOST_USE_BLOCK_MAX);
			break;
		}
		b = &u->block[u->n_block++];
		memset(b, 0, sizeof(*b));
		dp_hostuse_copy_name(b->name, sizeof(b->name), h->name);
		dp_hostuse_copy_name(b->below, sizeof(b->below), h->below);
		b->flags = DP_HOST_BLOCK_HOLDER;
		snprintf(w->path, sizeof(w->path), "%s/%s", DP_SYS_CLASS_BLOCK, h->name);
		read_block_attrs(w, hfd, b, DP_HOST_UNKNOWN_HOLDERS);
		w->path[0] = '\0';
		close(hfd);
	}
	close(cfd);
}

/* ---- mounts ------------------------------------------------------------------- */

struct mount_scan {
	struct walk *w;
	const char *path;
	size_t *by_dev;      /* block indices by major:minor (those with a dev) */
	size_t n_by_dev;
	size_t *by_name;     /* block indices by name */
	struct dp_mountinfo_entry *e; /* one line's, reused */
	unsigned garbage;
};

static int cmp_dev(const void *a, const void *b, void *arg)
{
	const struct dp_host_use *u = arg;
	const struct dp_host_block *x = &u->block[*(const size_t *)a];
	const struct dp_host_block *y = &u->block[*(const size_t *)b];

	if (x->major != y->major)
		return x->major < y->major ? -1 : 1;
	return x->minor < y->minor ? -1 : x->minor > y->minor;
}

static int cmp_name_index(const void *a, const void *b, void *arg)
{
	const struct dp_host_use *u = arg;

	return strcmp(u->block[*(const size_t *)a].name, u->block[*(const size_t *)b].name);
}

/* Adds a mount point to block i, once per mount point. */
static void block_mount(struct walk *w, size_t i, const char *mount_point)
{
	struct dp_host_block *b = &w->u->block[i];
	size_t kept = b->n_mounts < DP_HOST_USE_MOUNTS_MAX ? b->n_mounts : DP_HOST_USE_MOUNTS_MAX;
	char *copy;

	for (size_t k = 0; k < kept; k++)
		if (strcmp(b->mounts[k], mount_point) == 0)
			return;
	b->flags |= DP_HOST_BLOCK_MOUNTED;
	if (strcmp(mount_point, "/") == 0)
		b->flags |= DP_HOST_BLOCK_ROOT;
	if (strcmp(mount_point, "/boot") == 0 || strcmp(mount_point, "/boot/efi") == 0)
		b->flags |= DP_HOST_BLOCK_BOOT;
	b->n_mounts++;
	if (kept == DP_HOST_USE_MOUNTS_MAX)
		return;
	if (!b->mounts) {
		b->mounts = calloc(DP_HOST_USE_MOUNTS_MAX, sizeof(*b->mounts));
		if (!b->mounts) {
			b->n_mounts--;
			w->err = -ENOMEM;
			return;
		}
	}
	copy = strdup(mount_point);
	if (!copy) {
		b->n_mounts--;
		w->err = -ENOMEM;
		return;
	}
	b->mounts[kept] = copy;
}

static void mount_line(void *arg, const char *line, size_t len, unsigned lineno)
{
	struct mount_scan *s = arg;
	struct dp_host_use *u = s->w->u;
	struct dp_mountinfo_entry *e = s->e;
	size_t lo = 0, hi = s->n_by_dev;
	int r;

	if (s->w->err)
		return;
	r = dp_mountinfo_parse_line(line, len, e);
	if (r == -ENOMEM) {
		s->w->err = r;
		return;
	}
	if (r < 0) {
		if (s->garbage++ == 0)
			dp_warn(s->w->ctx, "%s: line %u: not a mountinfo line; skipped", s->path,
				lineno);
		return;
	}
	/* By major:minor: the first index not below it, then every equal one. */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct dp_host_block *b = &u->block[s->by_dev[mid]];

		if (b->major < e->major || (b->major == e->major && b->minor < e->minor))
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < s->n_by_dev; lo++) {
		const struct dp_host_block *b = &u->block[s->by_dev[lo]];

		if (b->major != e->major || b->minor != e->minor)
			break;
		block_mount(s->w, s->by_dev[lo], e->mount_point);
	}
	/* By source "/dev/<name>": what btrfs shows, whose mounts carry an anonymous 0:N. */
	if (!e->cut && strncmp(e->source, "/dev/", 5) == 0) {
		const char *want = e->source + 5;

		lo = 0;
		hi = u->n_block;
		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;

			if (strcmp(u->block[s->by_name[mid]].name, want) < 0)
				lo = mid + 1;
			else
				hi = mid;
		}
		if (lo < u->n_block && strcmp(u->block[s->by_name[lo]].name, want) == 0)
			block_mount(s->w, s->by_name[lo], e->mount_point);
	}
}

void dp_hostuse_read_mounts(struct walk *w, const char *path)
{
	struct dp_host_use *u = w->u;
	struct mount_scan s = { .w = w, .path = path };
	unsigned long_lines;
	bool cut;
	int r;

	s.by_dev = calloc(u->n_block, sizeof(*s.by_dev));
	s.by_name = calloc(u->n_block, sizeof(*s.by_name));
	s.e = malloc(sizeof(*s.e));
	if (!s.by_dev || !s.by_name || !s.e) {
		w->err = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < u->n_block; i++) {
		s.by_name[i] = i;
		if (!(u->block[i].flags & DP_HOST_BLOCK_NO_DEV))
			s.by_dev[s.n_by_dev++] = i;
	}
	qsort_r(s.by_dev, s.n_by_dev, sizeof(*s.by_dev), cmp_dev, u);
	qsort_r(s.by_name, u->n_block, sizeof(*s.by_name), cmp_name_index, u);
	r = dp_hostuse_read_lines(path, mount_line, &s, &long_lines, &cut);
	if (r < 0) {
		if (r == -ENOMEM)
			w->err = r;
		u->unknown |= DP_HOST_UNKNOWN_MOUNTS;
		dp_warn(w->ctx, "%s: %s; whether its block devices are mounted is unknown", path,
			r == -EINVAL ? "not a regular file" : strerror(-r));
		goto out;
	}
	if (s.garbage + long_lines > 0 || cut) {
		u->unknown |= DP_HOST_UNKNOWN_MOUNTS;
		dp_warn(w->ctx, "%s: %u lines not the kernel's mountinfo%s%s; mounts may be missed",
			path, s.garbage + long_lines, long_lines ? " (some too long)" : "",
			cut ? ", and more lines than read" : "");
	}
out:
	free(s.by_dev);
	free(s.by_name);
	free(s.e);
}
