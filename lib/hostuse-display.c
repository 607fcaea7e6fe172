/* SPDX-License-Identifier: MIT */
/* What the host loses with a function: its framebuffers and the framebuffer console. */
#include <dirent.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "hostuse-internal.h"
#include "sysfs.h"

void dp_hostuse_add_fb(struct walk *w, const char *name)
{
	struct dp_host_display *disp = &w->u->display;

	if (disp->n_fbs == DP_HOST_USE_FB_MAX) {
		dp_hostuse_limit_hit(w, &w->said_fb, "framebuffers", DP_HOST_USE_FB_MAX);
		return;
	}
	dp_hostuse_copy_name(disp->fbs[disp->n_fbs], sizeof(disp->fbs[0]), name);
	disp->n_fbs++;
}

/*
 * The framebuffer console: bound when a vtconsole whose name holds "frame
 * buffer device" (fbcon's, "(M) frame buffer device") has bind 1. It is on
 * the function when the function also has a framebuffer below it.
 */
void dp_hostuse_read_vtconsoles(struct walk *w)
{
	struct dp_host_display *disp = &w->u->display;
	struct dirent *de;
	unsigned n = 0;
	int fd = open(DP_SYS_CLASS_VTCONSOLE, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d;

	if (fd < 0) {
		if (errno != ENOENT) {
			w->u->unknown |= DP_HOST_UNKNOWN_DISPLAY;
			dp_warn(w->ctx, "%s: %s; whether the framebuffer console is bound is unknown",
				DP_SYS_CLASS_VTCONSOLE, strerror(errno));
		}
		return; /* no virtual terminals: no console */
	}
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		w->err = -ENOMEM;
		return;
	}
	while ((de = readdir(d))) {
		char name[256];
		long bind;
		int vfd, r;

		if (strncmp(de->d_name, "vtcon", 5) != 0)
			continue;
		if (++n > DP_HOST_USE_VTCON_MAX) {
			w->u->unknown |= DP_HOST_UNKNOWN_DISPLAY;
			dp_warn(w->ctx, "%s: more than %d consoles; the rest is not read",
				DP_SYS_CLASS_VTCONSOLE, DP_HOST_USE_VTCON_MAX);
			break;
		}
		vfd = openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (vfd < 0 || !dp_hostuse_under_sys_devices(vfd)) {
			w->u->unknown |= DP_HOST_UNKNOWN_DISPLAY;
			dp_warn(w->ctx, "%s/%s: %s; not read", DP_SYS_CLASS_VTCONSOLE, de->d_name,
				vfd < 0 ? strerror(errno) : "not a device under " SYS_DEVICES_PREFIX);
			if (vfd >= 0)
				close(vfd);
			continue;
		}
		r = dp_sysfs_read(vfd, "name", name, sizeof(name));
		if (r >= 0)
			r = dp_sysfs_read_long(vfd, "bind", 0, 1, &bind);
		close(vfd);
		if (r < 0) {
			w->u->unknown |= DP_HOST_UNKNOWN_DISPLAY;
			dp_warn(w->ctx, "%s/%s: name or bind %s; not read", DP_SYS_CLASS_VTCONSOLE,
				de->d_name, r == -EINVAL || r == -EFBIG ? "holds garbage" : strerror(-r));
			continue;
		}
		if (bind == 1 && strstr(name, "frame buffer device"))
			disp->fbcon_bound = true;
	}
	closedir(d);
}
