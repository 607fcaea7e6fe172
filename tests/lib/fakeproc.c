/* SPDX-License-Identifier: MIT */
/*
 * A /proc with chosen self/mountinfo and net/route (see fakeproc.h). The
 * library reads the real paths, so the test points them at its files the
 * way fakesys points /sys at a tree: by mounts in a private namespace.
 * /proc/self is a directory of links to <dir>/real/self/<entry>, which the
 * kernel resolves for whichever process looks, so per-process files stay
 * right; /proc/net is "self/net", as in the kernel's own procfs.
 */
#include <dirent.h>
#include <sched.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "fakeproc.h"

#define TMPFS_MAGIC_NUMBER 0x01021994

static int path_of(char *buf, const char *dir, const char *rel)
{
	int n = snprintf(buf, PATH_MAX, "%s/%s", dir, rel);

	return n < 0 || n >= PATH_MAX ? -ENAMETOOLONG : 0;
}

static int write_text(const char *path, const char *text)
{
	size_t len = strlen(text);
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0444);
	int r = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, text, len) != (ssize_t)len)
		r = -EIO;
	if (close(fd) < 0 && r == 0)
		r = -errno;
	return r;
}

/*
 * In new_dir, a link to real_dir/<entry> for each entry of real_dir but
 * skip (NULL-terminated names, which the caller makes itself).
 */
static int link_entries(const char *real_dir, const char *new_dir, const char *const *skip)
{
	char target[PATH_MAX], link[PATH_MAX];
	struct dirent *de;
	DIR *d = opendir(real_dir);
	int r = 0;

	if (!d)
		return -errno;
	while (r == 0 && (de = readdir(d))) {
		bool skipped = strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0;

		for (const char *const *s = skip; *s && !skipped; s++)
			skipped = strcmp(de->d_name, *s) == 0;
		if (skipped)
			continue;
		if ((r = path_of(target, real_dir, de->d_name)) < 0 ||
		    (r = path_of(link, new_dir, de->d_name)) < 0)
			break;
		if (symlink(target, link) < 0)
			r = -errno;
	}
	closedir(d);
	return r;
}

/* A mount namespace of the process's own, private: nothing it mounts reaches the host. */
static int own_namespace(void)
{
	if (unshare(CLONE_NEWNS) < 0)
		return -errno;
	if (mount("none", "/", "none", MS_REC | MS_PRIVATE, NULL) < 0)
		return -errno;
	return 0;
}

static int build(const char *dir, const char *mountinfo, const char *route)
{
	static const char *const top_skip[] = { "self", "net", NULL };
	static const char *const self_skip[] = { "mountinfo", "net", NULL };
	static const char *const net_skip[] = { "route", NULL };
	char real[PATH_MAX], real_self[PATH_MAX], real_net[PATH_MAX];
	char top[PATH_MAX], self[PATH_MAX], net[PATH_MAX], file[PATH_MAX];
	int r;

	if ((r = path_of(real, dir, "real")) < 0 || (r = path_of(real_self, dir, "real/self")) < 0 ||
	    (r = path_of(real_net, dir, "real/self/net")) < 0 || (r = path_of(top, dir, "new")) < 0 ||
	    (r = path_of(self, dir, "new/self")) < 0 || (r = path_of(net, dir, "new/self/net")) < 0)
		return r;
	if ((r = link_entries(real, top, top_skip)) < 0)
		return r;
	if (mkdir(self, 0555) < 0 || mkdir(net, 0555) < 0)
		return -errno;
	if ((r = link_entries(real_self, self, self_skip)) < 0 ||
	    (r = link_entries(real_net, net, net_skip)) < 0)
		return r;
	if (path_of(file, top, "net") < 0 || symlink("self/net", file) < 0)
		return -errno;
	if (mountinfo && ((r = path_of(file, self, "mountinfo")) < 0 || (r = write_text(file, mountinfo)) < 0))
		return r;
	if (route && ((r = path_of(file, net, "route")) < 0 || (r = write_text(file, route)) < 0))
		return r;
	return 0;
}

int dp_fakeproc_mount(const char *dir, const char *mountinfo, const char *route)
{
	char real[PATH_MAX], top[PATH_MAX];
	int r;

	if ((r = own_namespace()) < 0)
		return r; /* never over the host's /proc */
	if ((r = path_of(real, dir, "real")) < 0 || (r = path_of(top, dir, "new")) < 0)
		return r;
	if ((mkdir(dir, 0755) < 0 && errno != EEXIST) || (mkdir(real, 0755) < 0 && errno != EEXIST) ||
	    (mkdir(top, 0755) < 0 && errno != EEXIST))
		return -errno;
	if (mount("/proc", real, "none", MS_BIND | MS_REC, NULL) < 0)
		return -errno;
	if (mount("dp-fakeproc", top, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0555") < 0) {
		r = -errno;
		umount2(real, MNT_DETACH);
		return r;
	}
	r = build(dir, mountinfo, route);
	if (r == 0 && mount(top, "/proc", "none", MS_MOVE, NULL) < 0)
		r = -errno;
	if (r < 0) {
		umount2(top, MNT_DETACH);
		umount2(real, MNT_DETACH);
	}
	return r;
}

int dp_fakeproc_umount(const char *dir)
{
	char real[PATH_MAX];
	struct statfs st;
	int r = 0;

	if ((r = path_of(real, dir, "real")) < 0)
		return r;
	/* Only the tmpfs this put there: the real /proc is never unmounted. */
	if (statfs("/proc", &st) == 0 && st.f_type == TMPFS_MAGIC_NUMBER &&
	    umount2("/proc", MNT_DETACH) < 0)
		r = -errno;
	if (umount2(real, MNT_DETACH) < 0 && errno != EINVAL && r == 0)
		r = -errno;
	return r;
}
