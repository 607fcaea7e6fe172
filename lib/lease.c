/* SPDX-License-Identifier: MIT */
/*
 * Why a reader always names the live holder:
 *
 *  - A lease file is complete before anyone can see it, and never changes
 *    after. A claimer writes its record into a temporary file of its own,
 *    takes an OFD write lock on byte 0 of it (the ownership lock, held for
 *    the lease's life), and only then publishes it as lease-BDF: link()
 *    when there is no lease file, rename() over a stale one.
 *  - So byte 0 of a lease file is write-locked only by the process that
 *    wrote its record, and only while that process lives and holds it.
 *    Readers (a loser, dp_lease_query) take no lock: F_OFD_GETLK on byte 0
 *    tells whether a write lock is held, and if so the record names its
 *    holder. A read lock (anyone may take one) means nothing.
 *  - A stale file (no write lock on byte 0: its writer died) is replaced by
 *    the claimer that holds the write lock on RUN_DIR/.lease.lock, and only
 *    after it checked, under that lock, that the name still leads to that
 *    file and that the file is still not held. The lock file is mode 0600,
 *    so that no other user can stall a takeover with a lock of their own
 *    (anyone can read-lock a lease file); readers never look at it.
 *  - The holder removes the file before it drops the lock (close).
 *
 * OFD locks rather than flock(): a lock can be tested without being taken,
 * so a reader never makes a claimer believe the lease is held, and the
 * lock belongs to the open file, not the process, as flock's does. The
 * holder takes an flock() too, which is all that a libdirectpath from
 * before OFD locks looks at.
 */
#include <fcntl.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lease.h"

#define TAKEOVER_LOCK ".lease.lock"
#define ATTEMPTS 200 /* each after a pause of up to 10 ms: seconds in all */

struct dp_lease {
	struct dp_ctx *ctx;
	int fd;
	bool adopted;            /* passed by a manager (dp_lease_adopt) */
	char path[PATH_MAX];
};

static int lock_byte(int fd, off_t byte)
{
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = byte, .l_len = 1 };

	return fcntl(fd, F_OFD_SETLK, &fl) < 0 ? -errno : 0;
}

static bool same_file(int fd, const char *path)
{
	struct stat a, b;

	return fstat(fd, &a) == 0 && lstat(path, &b) == 0 && a.st_ino == b.st_ino &&
	       a.st_dev == b.st_dev;
}

int dp_run_dir_make(struct dp_ctx *ctx)
{
	if (mkdir(ctx->run_dir, 0755) < 0 && errno != EEXIST) {
		int r = -errno;

		dp_err(ctx, "%s: cannot create the run directory: %s", ctx->run_dir, strerror(-r));
		return r;
	}
	return 0;
}

/* The whole record, or -errno; a write that makes no progress is -EIO, never errno's leftover. */
static int write_record(int fd, const char *text, size_t len)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = pwrite(fd, text + done, len - done, (off_t)done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno ? -errno : -EIO;
		if (n == 0)
			return -EIO;
		done += (size_t)n;
	}
	return 0;
}

/*
 * Publishes tmp (complete, ownership-locked) as path: 0 linked, 1 renamed
 * over a stale file, -EBUSY (the live holder logged), -EAGAIN when path
 * changed under us (try again), or another -errno, logged.
 */
static int publish(struct dp_ctx *ctx, const char *bdf, const char *path, const char *tmp,
		   bool quiet)
{
	char lock[PATH_MAX];
	int fd, lk = -1, r;

	if (link(tmp, path) == 0)
		return 0;
	if (errno != EEXIST) {
		r = -errno;
		dp_err(ctx, "%s: cannot create the lease %s: %s", bdf, path, strerror(-r));
		return r;
	}
	fd = dp_lease_open(ctx, bdf, path, O_RDONLY);
	if (fd == -ENOENT)
		return -EAGAIN; /* released since */
	if (fd < 0)
		return fd;
	r = dp_lease_held(fd);
	if (r > 0) {
		char owner[256];
		pid_t pid;

		dp_lease_parse_owner(fd, owner, sizeof(owner), &pid);
		if (quiet) /* a choice among devices: trying the next one is no error */
			dp_dbg(ctx, "%s: already leased by VM \"%s\" (pid %ld)", bdf, owner, (long)pid);
		else
			dp_err(ctx, "%s: already leased by VM \"%s\" (pid %ld)", bdf, owner, (long)pid);
		r = -EBUSY;
		goto out;
	}
	if (r < 0) {
		dp_err(ctx, "%s: cannot test the lock of %s: %s", bdf, path, strerror(-r));
		goto out;
	}
	/* Stale: its writer died holding it. Replace it, alone among claimers. */
	if ((size_t)snprintf(lock, sizeof(lock), "%s/" TAKEOVER_LOCK, ctx->run_dir) >= sizeof(lock)) {
		r = -ENAMETOOLONG;
		dp_err(ctx, "%s: %s/" TAKEOVER_LOCK ": path too long", bdf, ctx->run_dir);
		goto out;
	}
	lk = dp_lease_open(ctx, bdf, lock, O_RDWR | O_CREAT);
	if (lk < 0) {
		r = lk;
		goto out;
	}
	r = lock_byte(lk, 0);
	if (r == -EAGAIN || r == -EACCES) {
		r = -EAGAIN; /* another claimer is at it */
		goto out;
	}
	if (r < 0) {
		dp_err(ctx, "%s: cannot lock %s: %s", bdf, lock, strerror(-r));
		goto out;
	}
	if (!same_file(fd, path) || dp_lease_held(fd) != 0) {
		r = -EAGAIN;
		goto out;
	}
	if (rename(tmp, path) < 0) {
		r = -errno;
		dp_err(ctx, "%s: cannot replace the stale lease %s: %s", bdf, path, strerror(-r));
		goto out;
	}
	{
		char owner[256];
		pid_t pid;

		dp_lease_parse_owner(fd, owner, sizeof(owner), &pid);
		dp_info(ctx, "%s: took over the stale lease of VM \"%s\" (pid %ld, gone)", bdf,
			owner, (long)pid);
	}
	r = 1;
out:
	if (lk >= 0)
		close(lk);
	close(fd);
	return r;
}

/*
 * The claimer's own file, RUN_DIR/.lease-BDF.PID.N, created 0600 with
 * O_EXCL (N counts this process's attempts; a name left by a dead process
 * with the same pid is skipped). 0 and *fd, or -errno (logged).
 */
static int create_tmp(struct dp_ctx *ctx, const char *bdf, char *tmp, size_t size, int *fd)
{
	static atomic_uint serial;

	for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
		unsigned n = atomic_fetch_add(&serial, 1);

		if ((size_t)snprintf(tmp, size, "%s/." LEASE_PREFIX "%s.%ld.%u", ctx->run_dir, bdf,
				     (long)getpid(), n) >= size) {
			dp_err(ctx, "%s: the lease's path in %s is too long", bdf, ctx->run_dir);
			return -ENAMETOOLONG;
		}
		*fd = open(tmp, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (*fd >= 0)
			return 0;
		if (errno != EEXIST)
			break;
	}
	dp_err(ctx, "%s: cannot create a lease in %s: %s", bdf, ctx->run_dir, strerror(errno));
	return -errno;
}

static int take(struct dp_ctx *ctx, const char *bdf, const char *vm_name, bool quiet,
		struct dp_lease **out)
{
	char tmp[PATH_MAX], text[LEASE_MAX];
	struct dp_lease *l;
	bool have_tmp = false;
	int r, len;

	l = calloc(1, sizeof(*l));
	if (!l)
		return -ENOMEM;
	l->fd = -1;
	r = dp_lease_path(ctx, bdf, l->path, sizeof(l->path));
	if (r < 0)
		goto err;
	r = dp_run_dir_make(ctx);
	if (r < 0)
		goto err;
	len = snprintf(text, sizeof(text), "vm=%s\npid=%ld\n", vm_name, (long)getpid());
	if (len < 0 || (size_t)len >= sizeof(text)) {
		r = -ENAMETOOLONG;
		dp_err(ctx, "%s: the lease record is too long", bdf);
		goto err;
	}
	r = create_tmp(ctx, bdf, tmp, sizeof(tmp), &l->fd);
	if (r < 0)
		goto err;
	have_tmp = true;
	/* Locked while still 0600: nobody else can have a lock on it. */
	if ((r = lock_byte(l->fd, OWNER_BYTE)) < 0 || flock(l->fd, LOCK_EX | LOCK_NB) < 0 ||
	    fchmod(l->fd, 0644) < 0) {
		r = r < 0 ? r : -errno;
		dp_err(ctx, "%s: cannot prepare the lease %s: %s", bdf, tmp, strerror(-r));
		goto err;
	}
	r = write_record(l->fd, text, (size_t)len);
	if (r < 0) {
		dp_err(ctx, "%s: cannot write the lease %s: %s", bdf, tmp, strerror(-r));
		goto err;
	}
	for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
		if (attempt > 0) {
			struct timespec ts = { 0, (attempt < 10 ? attempt : 10) * 1000000L };

			nanosleep(&ts, NULL);
		}
		r = publish(ctx, bdf, l->path, tmp, quiet);
		if (r != -EAGAIN)
			break;
	}
	if (r == -EAGAIN)
		dp_err(ctx, "%s: the lease file %s keeps changing under us", bdf, l->path);
	if (r < 0)
		goto err;
	if (r == 0)
		unlink(tmp); /* linked: the file has two names (renamed: only the lease's) */
	l->ctx = dp_ctx_ref(ctx);
	dp_dbg(ctx, "%s: leased to %s", bdf, vm_name);
	*out = l;
	return 0;
err:
	if (have_tmp)
		unlink(tmp);
	if (l->fd >= 0)
		close(l->fd);
	free(l);
	return r;
}

int dp_lease_acquire(struct dp_ctx *ctx, const char *bdf, const char *vm_name,
		     struct dp_lease **out)
{
	return take(ctx, bdf, vm_name, false, out);
}

int dp_lease_try(struct dp_ctx *ctx, const char *bdf, const char *vm_name,
		 struct dp_lease **out)
{
	return take(ctx, bdf, vm_name, true, out);
}

void dp_lease_release(struct dp_lease *l)
{
	if (!l)
		return;
	/*
	 * Remove, then unlock: a lease file at the path always has a live writer or a dead one.
	 * An adopted lease (another uid, no capability) may not remove it: closed, it is stale.
	 */
	if (unlink(l->path) < 0 && !(l->adopted && (errno == EACCES || errno == EPERM ||
						    errno == EROFS)))
		dp_warn(l->ctx, "%s: %s", l->path, strerror(errno));
	close(l->fd);
	dp_ctx_unref(l->ctx);
	free(l);
}

int dp_lease_get_fd(const struct dp_lease *l)
{
	return l->fd;
}

void dp_lease_disown(struct dp_lease *l)
{
	if (!l)
		return;
	close(l->fd); /* the other process's copy of the open file keeps the lock and the file */
	dp_ctx_unref(l->ctx);
	free(l);
}

int dp_lease_adopt(struct dp_ctx *ctx, const char *bdf, const char *vm_name, int fd,
		   struct dp_lease **out)
{
	char owner[DP_LEASE_OWNER_MAX];
	struct dp_lease *l;
	struct stat st;
	int other, r;

	l = calloc(1, sizeof(*l));
	if (!l)
		return -ENOMEM;
	r = dp_lease_path(ctx, bdf, l->path, sizeof(l->path));
	if (r < 0) {
		dp_err(ctx, "%s: no lease path in %s: %s", bdf, ctx->run_dir, strerror(-r));
		free(l);
		return r;
	}
	other = dp_lease_open(ctx, bdf, l->path, O_RDONLY);
	if (other == -ENOENT)
		dp_err(ctx, "%s: there is no lease %s to adopt", bdf, l->path);
	if (other < 0) {
		free(l);
		return other == -ENOENT ? -ESTALE : other;
	}
	/* That file, held by someone, and the holder is fd's open file (a lock it may set again). */
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || !same_file(fd, l->path)) {
		dp_err(ctx, "%s: the lease's fd is not the file %s", bdf, l->path);
		r = -EBADF;
	} else if ((r = dp_lease_held(other)) <= 0) {
		dp_err(ctx, "%s: the lease %s is not held: its holder is gone", bdf, l->path);
		r = r < 0 ? r : -ESTALE;
	} else if ((r = lock_byte(fd, OWNER_BYTE)) < 0) {
		dp_err(ctx, "%s: the lease %s is held by another open file than the one passed", bdf,
		       l->path);
		r = -EBUSY;
	} else {
		dp_lease_parse_owner(fd, owner, sizeof(owner), NULL);
		if (strcmp(owner, vm_name) != 0) {
			dp_err(ctx, "%s: the lease %s is VM \"%s\"'s, not \"%s\"'s", bdf, l->path,
			       owner, vm_name);
			r = -EPERM;
		}
	}
	close(other);
	if (r < 0) {
		free(l);
		return r;
	}
	l->fd = fd;
	l->adopted = true;
	l->ctx = dp_ctx_ref(ctx);
	dp_dbg(ctx, "%s: lease of %s adopted", bdf, vm_name);
	*out = l;
	return 0;
}
