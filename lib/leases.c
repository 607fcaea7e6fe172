/* SPDX-License-Identifier: MIT */
/*
 * The lease registry read as host state: whether a live process holds a
 * device's lease, and who. Files RUN_DIR/lease-BDF hold "vm=NAME\npid=N\n";
 * their writer holds an OFD write lock on byte 0 for the lease's life
 * (lease.c, which takes and gives back leases, explains the protocol).
 * Reading takes no lock: F_OFD_GETLK tells whether the writer still holds it.
 * A host fact like a driver binding, so the policy check may read it.
 */
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "leases.h"

int dp_lease_path(struct dp_ctx *ctx, const char *bdf, char *path, size_t size)
{
	if (dp_bdf_parse(bdf, NULL, NULL, NULL, NULL) < 0)
		return -EINVAL;
	if ((size_t)snprintf(path, size, "%s/" LEASE_PREFIX "%s", ctx->run_dir, bdf) >= size)
		return -ENAMETOOLONG;
	return 0;
}

/*
 * Opens an existing lease file without waiting on a FIFO (O_NONBLOCK, which
 * changes nothing for the regular file it must be); -ENOENT unlogged.
 */
int dp_lease_open(struct dp_ctx *ctx, const char *bdf, const char *path, int flags)
{
	struct stat st;
	int fd, r;

	fd = open(path, flags | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY, 0600);
	if (fd < 0) {
		r = -errno;
		if (r != -ENOENT)
			dp_err(ctx, "%s: cannot open the lease %s: %s", bdf, path,
			       r == -ELOOP ? "a symbolic link" : strerror(-r));
		return r;
	}
	if (fstat(fd, &st) < 0) {
		r = -errno;
		dp_err(ctx, "%s: %s: %s", bdf, path, strerror(-r));
		close(fd);
		return r;
	}
	if (!S_ISREG(st.st_mode)) {
		dp_err(ctx, "%s: %s: not a regular file", bdf, path);
		close(fd);
		return -EINVAL;
	}
	return fd;
}

/* 1 when some open file other than fd's holds the ownership lock, 0 when none does. */
int dp_lease_held(int fd)
{
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = OWNER_BYTE, .l_len = 1 };

	if (fcntl(fd, F_OFD_GETLK, &fl) < 0)
		return -errno;
	return fl.l_type == F_WRLCK;
}

/* "vm=NAME\npid=N\n" -> owner, pid; tolerant of junk (a lease file is only advisory text). */
void dp_lease_parse_owner(int fd, char *owner, size_t size, pid_t *pid)
{
	char buf[LEASE_MAX + 1];
	ssize_t n = pread(fd, buf, LEASE_MAX, 0);
	char *line, *save = NULL;

	if (owner && size)
		snprintf(owner, size, "an unknown VM");
	if (pid)
		*pid = 0;
	if (n <= 0)
		return;
	buf[n] = '\0';
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (strncmp(line, "vm=", 3) == 0 && owner && size)
			snprintf(owner, size, "%s", line + 3);
		else if (strncmp(line, "pid=", 4) == 0 && pid)
			*pid = (pid_t)strtol(line + 4, NULL, 10);
	}
}

int dp_lease_query(struct dp_ctx *ctx, const char *bdf, char *owner, size_t size,
		   pid_t *pid)
{
	char path[PATH_MAX];
	int fd, r;

	r = dp_lease_path(ctx, bdf, path, sizeof(path));
	if (r < 0)
		return r;
	fd = dp_lease_open(ctx, bdf, path, O_RDONLY);
	if (fd == -ENOENT)
		return 0;
	if (fd < 0)
		return fd;
	r = dp_lease_held(fd);
	if (r > 0)
		dp_lease_parse_owner(fd, owner, size, pid);
	else if (r < 0)
		dp_err(ctx, "%s: cannot test the lock of %s: %s", bdf, path, strerror(-r));
	close(fd);
	return r; /* 0: no file, or a dead owner's */
}
