/* SPDX-License-Identifier: MIT */
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lease.h"

#define LEASE_PREFIX "lease-"
#define LEASE_MAX 512

struct dp_lease {
	struct dp_ctx *ctx;
	int fd;
	char path[PATH_MAX];
};

static int lease_path(struct dp_ctx *ctx, const char *bdf, char *path, size_t size)
{
	if (dp_bdf_parse(bdf, NULL, NULL, NULL, NULL) < 0)
		return -EINVAL;
	if ((size_t)snprintf(path, size, "%s/" LEASE_PREFIX "%s", ctx->run_dir, bdf) >= size)
		return -ENAMETOOLONG;
	return 0;
}

/* "vm=NAME\npid=N\n" -> owner, pid; tolerant of junk (a lease file is only advisory text). */
static void parse_owner(int fd, char *owner, size_t size, pid_t *pid)
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

static int make_run_dir(struct dp_ctx *ctx)
{
	if (mkdir(ctx->run_dir, 0755) < 0 && errno != EEXIST) {
		int r = -errno;

		dp_err(ctx, "%s: cannot create the run directory: %s", ctx->run_dir, strerror(errno));
		return r;
	}
	return 0;
}

int dp_lease_acquire(struct dp_ctx *ctx, const char *bdf, const char *vm_name,
		     struct dp_lease **out)
{
	struct dp_lease *l;
	char text[LEASE_MAX];
	int r, len;

	l = calloc(1, sizeof(*l));
	if (!l)
		return -ENOMEM;
	l->fd = -1;
	r = lease_path(ctx, bdf, l->path, sizeof(l->path));
	if (r < 0)
		goto err;
	r = make_run_dir(ctx);
	if (r < 0)
		goto err;
	for (int attempt = 0; attempt < 16; attempt++) {
		struct stat a, b;

		l->fd = open(l->path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
		if (l->fd < 0) {
			r = -errno;
			dp_err(ctx, "%s: cannot open the lease %s: %s", bdf, l->path, strerror(errno));
			goto err;
		}
		if (flock(l->fd, LOCK_EX | LOCK_NB) < 0) {
			char owner[256];
			pid_t pid;

			r = errno == EWOULDBLOCK ? -EBUSY : -errno;
			parse_owner(l->fd, owner, sizeof(owner), &pid);
			if (r == -EBUSY)
				dp_err(ctx, "%s: already leased by VM \"%s\" (pid %ld)", bdf, owner, (long)pid);
			else
				dp_err(ctx, "%s: cannot lock %s: %s", bdf, l->path, strerror(-r));
			goto err;
		}
		/* The holder before us may have unlinked the file after we opened it. */
		if (fstat(l->fd, &a) == 0 && stat(l->path, &b) == 0 && a.st_ino == b.st_ino &&
		    a.st_dev == b.st_dev)
			break;
		close(l->fd);
		l->fd = -1;
	}
	if (l->fd < 0) {
		r = -EAGAIN;
		dp_err(ctx, "%s: the lease file keeps changing under us", bdf);
		goto err;
	}
	len = snprintf(text, sizeof(text), "vm=%s\npid=%ld\n", vm_name, (long)getpid());
	if (ftruncate(l->fd, 0) < 0 || pwrite(l->fd, text, (size_t)len, 0) != len) {
		r = -errno;
		dp_err(ctx, "%s: cannot write the lease %s: %s", bdf, l->path, strerror(errno));
		unlink(l->path);
		goto err;
	}
	l->ctx = dp_ctx_ref(ctx);
	dp_dbg(ctx, "%s: leased to %s", bdf, vm_name);
	*out = l;
	return 0;
err:
	if (l->fd >= 0)
		close(l->fd);
	free(l);
	return r;
}

void dp_lease_release(struct dp_lease *l)
{
	if (!l)
		return;
	/* Unlink while locked: a waiter that opened the old file sees the inode change. */
	if (unlink(l->path) < 0)
		dp_warn(l->ctx, "%s: %s", l->path, strerror(errno));
	close(l->fd);
	dp_ctx_unref(l->ctx);
	free(l);
}

int dp_lease_query(struct dp_ctx *ctx, const char *bdf, char *owner, size_t size,
		   pid_t *pid)
{
	char path[PATH_MAX];
	int fd, r;

	r = lease_path(ctx, bdf, path, sizeof(path));
	if (r < 0)
		return r;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	if (flock(fd, LOCK_SH | LOCK_NB) == 0) {
		close(fd); /* a dead owner's file: free */
		return 0;
	}
	r = errno == EWOULDBLOCK ? 1 : -errno;
	if (r == 1)
		parse_owner(fd, owner, size, pid);
	close(fd);
	return r;
}
