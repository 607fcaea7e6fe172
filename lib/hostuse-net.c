/* SPDX-License-Identifier: MIT */
/* What the host loses with a function: the network interfaces below it and the default route. */
#include <dirent.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "hostuse-internal.h"
#include "sysfs.h"

/* The name an upper_* or master link gives, once, into n's list. */
static void add_upper(struct walk *w, struct dp_host_net *n, const char *upper)
{
	for (size_t i = 0; i < n->n_uppers; i++)
		if (strcmp(n->uppers[i], upper) == 0)
			return;
	if (n->n_uppers == DP_HOST_USE_UPPERS_MAX) {
		w->u->unknown |= DP_HOST_UNKNOWN_ROUTES;
		dp_warn(w->ctx, "%s: %s: more than %d upper devices; the rest is not read", w->u->bdf,
			n->name, DP_HOST_USE_UPPERS_MAX);
		return;
	}
	dp_hostuse_copy_name(n->uppers[n->n_uppers++], sizeof(n->uppers[0]), upper);
}

/* Its master (bridge, bond) and upper devices (VLAN, macvlan): the names only, no link followed. */
static void read_uppers(struct walk *w, int fd, struct dp_host_net *n)
{
	char master[DP_HOST_USE_NAME_MAX];
	struct dirent *de;
	int dfd;
	DIR *d;

	if (dp_sysfs_readlink_base(fd, "master", master, sizeof(master)) > 0)
		add_upper(w, n, master);
	dfd = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0 || !(d = fdopendir(dfd))) {
		if (dfd >= 0)
			close(dfd);
		w->u->unknown |= DP_HOST_UNKNOWN_ROUTES;
		dp_warn(w->ctx, "%s: %s: %s; its upper devices are unknown", w->u->bdf, w->path,
			strerror(errno));
		return;
	}
	while ((de = readdir(d))) {
		if (++w->entries > DP_HOST_USE_ENTRIES_MAX) {
			dp_hostuse_limit_hit(w, &w->said_entries, "directory entries",
					     DP_HOST_USE_ENTRIES_MAX);
			break;
		}
		if (strncmp(de->d_name, "upper_", 6) == 0 && de->d_name[6] &&
		    strlen(de->d_name + 6) < DP_HOST_USE_NAME_MAX)
			add_upper(w, n, de->d_name + 6);
	}
	closedir(d);
}

int dp_hostuse_add_net(struct walk *w, int fd, const char *name)
{
	struct dp_host_use *u = w->u;
	struct dp_host_net *n;
	int r = dp_hostuse_grow((void **)&u->net, &w->cap_net, u->n_net, sizeof(*u->net),
				DP_HOST_USE_NET_MAX);

	if (r == -ENOSPC) {
		dp_hostuse_limit_hit(w, &w->said_net, "network interfaces", DP_HOST_USE_NET_MAX);
		return r;
	}
	if (r < 0)
		return r;
	n = &u->net[u->n_net++];
	memset(n, 0, sizeof(*n));
	dp_hostuse_copy_name(n->name, sizeof(n->name), name);
	read_uppers(w, fd, n);
	return 0;
}

/* ---- routes -------------------------------------------------------------------- */

struct route_scan {
	struct walk *w;
	const char *path;
	unsigned garbage;
};

static void route_line(void *arg, const char *line, size_t len, unsigned lineno)
{
	struct route_scan *s = arg;
	struct dp_host_use *u = s->w->u;
	struct dp_route_entry e;
	int r = dp_route_parse_line(line, len, &e);

	if (r < 0) {
		if (s->garbage++ == 0)
			dp_warn(s->w->ctx, "%s: line %u: not a route line; skipped", s->path, lineno);
		return;
	}
	if (r == 1 || !dp_route_is_default(&e))
		return;
	for (size_t i = 0; i < u->n_net; i++) {
		struct dp_host_net *n = &u->net[i];

		if (strcmp(n->name, e.ifname) == 0) {
			n->default_route = true;
			n->default_via[0] = '\0'; /* through itself, whatever an upper carries */
			continue;
		}
		for (size_t k = 0; k < n->n_uppers; k++)
			if (strcmp(n->uppers[k], e.ifname) == 0 && !n->default_route) {
				n->default_route = true;
				dp_hostuse_copy_name(n->default_via, sizeof(n->default_via),
						     e.ifname);
			}
	}
}

void dp_hostuse_read_routes(struct walk *w, const char *path)
{
	struct route_scan s = { .w = w, .path = path };
	unsigned long_lines;
	bool cut;
	int r = dp_hostuse_read_lines(path, route_line, &s, &long_lines, &cut);

	if (r < 0) {
		if (r == -ENOMEM)
			w->err = r;
		w->u->unknown |= DP_HOST_UNKNOWN_ROUTES;
		dp_warn(w->ctx, "%s: %s; whether its interfaces carry the default route is unknown",
			path, r == -EINVAL ? "not a regular file" : strerror(-r));
		return;
	}
	if (s.garbage + long_lines > 0 || cut) {
		w->u->unknown |= DP_HOST_UNKNOWN_ROUTES;
		dp_warn(w->ctx, "%s: %u lines not the kernel's route table%s; routes may be missed",
			path, s.garbage + long_lines, cut ? ", and more lines than read" : "");
	}
}
