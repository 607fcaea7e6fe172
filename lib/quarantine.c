/* SPDX-License-Identifier: MIT */
/*
 * Quarantine records: RUN_DIR/quarantine/BDF, one per device held on
 * vfio-pci after a detach, with the reason and the time (quarantine.h has
 * the format). Written atomically (mark.c's dp_write_atomic: a temporary
 * file, then rename), so a reader sees a whole record or none.
 *
 * Trust: a record counts only if it and its directory are what this
 * library writes: not a symbolic link, a regular file (a directory), owned
 * by root or by this process's user, not writable by group or others, at
 * most 4 KiB, and well formed. Anything else is logged and "not trusted":
 * its reason and header are not used, but the device still counts as
 * quarantined. Failing closed keeps a device that may not have come back
 * from a reset away from the host until an administrator releases it; the
 * worst a planted record can do is keep a device on vfio-pci, where a
 * quarantine finds it anyway, and only a user who can write the run
 * directory can plant one.
 */
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "inifile.h"
#include "inventory.h"
#include "lease.h"
#include "parse.h"
#include "quarantine.h"

#define BEFORE_FIELDS 11 /* vendor device command header bar0..5 rom */

static const int before_width[BEFORE_FIELDS] = { 4, 4, 4, 2, 8, 8, 8, 8, 8, 8, 8 };

/* Parses "before=" fields into s; 0 or -EINVAL with why. */
static int parse_before(const char *v, struct dp_reset_snapshot *s, char *why, size_t why_len)
{
	uint32_t f[BEFORE_FIELDS];

	for (int i = 0; i < BEFORE_FIELDS; i++) {
		long x = dp_parse_hex_n(v, (size_t)before_width[i]);

		if (x < 0)
			return dp_parse_fail(why, why_len, "before: field %d is not %d hex digits",
					     i + 1, before_width[i]);
		f[i] = (uint32_t)x;
		v += before_width[i];
		if (i + 1 < BEFORE_FIELDS && *v++ != ' ')
			return dp_parse_fail(why, why_len, "before: field %d is not followed by one space",
					     i + 1);
	}
	if (*v)
		return dp_parse_fail(why, why_len, "before: more than %d fields", BEFORE_FIELDS);
	*s = (struct dp_reset_snapshot){ .valid = true, .vendor = (uint16_t)f[0],
					 .device = (uint16_t)f[1], .command = (uint16_t)f[2],
					 .header_type = (uint8_t)f[3], .rom = f[10] };
	for (int b = 0; b < 6; b++)
		s->bar[b] = f[4 + b];
	return 0;
}

static bool key_char(char c)
{
	return (c >= 'a' && c <= 'z') || c == '_';
}

int dp_quarantine_parse(const char *buf, size_t len, struct dp_quarantine_record *rec,
			char *why, size_t why_len)
{
	struct dp_quarantine_record q = { .time = -1 };
	char line[DP_QUARANTINE_RECORD_MAX + 1];
	bool have_before = false;
	size_t pos = 0;
	const char *l;
	size_t ll;
	unsigned n = 0;

	if (len > DP_QUARANTINE_RECORD_MAX)
		return dp_parse_fail(why, why_len, "larger than %d bytes", DP_QUARANTINE_RECORD_MAX);
	if (len == 0)
		return dp_parse_fail(why, why_len, "empty");
	if (buf[len - 1] != '\n')
		return dp_parse_fail(why, why_len, "the last line has no end (truncated?)");
	while (dp_next_line(buf, len, &pos, &l, &ll)) {
		const char *eq = memchr(l, '=', ll), *v;
		uint64_t u;

		n++;
		if (memchr(l, '\0', ll))
			return dp_parse_fail(why, why_len, "line %u holds a NUL byte", n);
		for (size_t i = 0; i < ll; i++)
			if ((unsigned char)l[i] < 0x20 || l[i] == 0x7f)
				return dp_parse_fail(why, why_len, "line %u holds a control character", n);
		if (!eq || eq == l)
			return dp_parse_fail(why, why_len, "line %u is not key=value", n);
		for (const char *k = l; k < eq; k++)
			if (!key_char(*k))
				return dp_parse_fail(why, why_len, "line %u: the key is not [a-z_]+", n);
		memcpy(line, l, ll);
		line[ll] = '\0';
		v = line + (eq - l) + 1;
#define KEY(name) ((size_t)(eq - l) == sizeof(name) - 1 && memcmp(l, name, sizeof(name) - 1) == 0)
		if (KEY("reason")) {
			if (q.reason[0])
				return dp_parse_fail(why, why_len, "line %u: a second reason", n);
			if (!*v)
				return dp_parse_fail(why, why_len, "line %u: an empty reason", n);
			if (strlen(v) >= sizeof(q.reason))
				return dp_parse_fail(why, why_len, "line %u: a reason longer than %d bytes",
						     n, DP_QUARANTINE_REASON_MAX - 1);
			memcpy(q.reason, v, strlen(v) + 1);
		} else if (KEY("time")) {
			if (q.time >= 0)
				return dp_parse_fail(why, why_len, "line %u: a second time", n);
			if (dp_parse_u64(v, 10, INT64_MAX, &u) < 0 || *v < '0' || *v > '9')
				return dp_parse_fail(why, why_len, "line %u: time is not a decimal number of seconds", n);
			q.time = (int64_t)u;
		} else if (KEY("before")) {
			char w[160];

			if (have_before)
				return dp_parse_fail(why, why_len, "line %u: a second before", n);
			if (parse_before(v, &q.before, w, sizeof(w)) < 0)
				return dp_parse_fail(why, why_len, "line %u: %s", n, w);
			have_before = true;
		} /* else: a newer library's key, ignored */
#undef KEY
	}
	if (!q.reason[0])
		return dp_parse_fail(why, why_len, "no reason= line");
	if (q.time < 0)
		return dp_parse_fail(why, why_len, "no time= line");
	*rec = q;
	return 0;
}

int dp_quarantine_format(const struct dp_quarantine_record *rec, char *buf, size_t size)
{
	char reason[DP_QUARANTINE_REASON_MAX];
	size_t len = 0;
	int n;

	snprintf(reason, sizeof(reason), "%s", rec->reason[0] ? rec->reason : "unknown");
	for (char *c = reason; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			*c = ' ';
	n = snprintf(buf, size, "reason=%s\ntime=%" PRId64 "\n", reason,
		     rec->time < 0 ? (int64_t)0 : rec->time);
	if (n < 0 || (size_t)n >= size)
		return -ENAMETOOLONG;
	len = (size_t)n;
	if (rec->before.valid) {
		const struct dp_reset_snapshot *s = &rec->before;

		n = snprintf(buf + len, size - len,
			     "before=%04x %04x %04x %02x %08x %08x %08x %08x %08x %08x %08x\n",
			     s->vendor, s->device, s->command, s->header_type, s->bar[0], s->bar[1],
			     s->bar[2], s->bar[3], s->bar[4], s->bar[5], s->rom);
		if (n < 0 || (size_t)n >= size - len)
			return -ENAMETOOLONG;
		len += (size_t)n;
	}
	return (int)len;
}

/* Whether st is something this library would have written: 0, or why not. */
static const char *untrusted(const struct stat *st, bool dir)
{
	if (dir ? !S_ISDIR(st->st_mode) : !S_ISREG(st->st_mode))
		return dir ? "not a directory" : "not a regular file";
	if (st->st_uid != 0 && st->st_uid != geteuid())
		return "owned by another user";
	if (st->st_mode & (S_IWGRP | S_IWOTH))
		return "writable by group or others";
	return NULL;
}

/*
 * Opens RUN_DIR/quarantine, making it first when create; -ENOENT unlogged
 * when absent, -EPERM (logged) when it cannot be trusted.
 */
static int open_dir(struct dp_ctx *ctx, bool create)
{
	char path[PATH_MAX];
	const char *why;
	struct stat st;
	int fd, r;

	if ((size_t)snprintf(path, sizeof(path), "%s/" DP_QUARANTINE_DIR, ctx->run_dir) >= sizeof(path)) {
		dp_err(ctx, "%s/" DP_QUARANTINE_DIR ": path too long", ctx->run_dir);
		return -ENAMETOOLONG;
	}
	if (create) {
		r = dp_run_dir_make(ctx);
		if (r < 0)
			return r;
		if (mkdir(path, 0755) < 0 && errno != EEXIST) {
			r = -errno;
			dp_err(ctx, "%s: cannot create it: %s", path, strerror(-r));
			return r;
		}
	}
	fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		r = -errno;
		if (r == -ENOENT)
			return r;
		/* O_DIRECTORY | O_NOFOLLOW on a link: ENOTDIR, or ELOOP; lstat says which it was. */
		why = r == -ELOOP || (r == -ENOTDIR && lstat(path, &st) == 0 && S_ISLNK(st.st_mode))
			      ? "a symbolic link"
		      : r == -ENOTDIR ? "not a directory" : NULL;
		dp_err(ctx, "%s: %s; its quarantine records are not trusted", path,
		       why ? why : strerror(-r));
		return why ? -EPERM : r;
	}
	if (fstat(fd, &st) < 0) {
		r = -errno;
		dp_err(ctx, "%s: %s", path, strerror(-r));
		close(fd);
		return r;
	}
	why = untrusted(&st, true);
	if (why) {
		dp_err(ctx, "%s: %s; its quarantine records are not trusted", path, why);
		close(fd);
		return -EPERM;
	}
	return fd;
}

static int check_bdf(struct dp_ctx *ctx, const char *bdf)
{
	if (dp_bug_on(ctx, !bdf) || dp_bdf_parse(bdf, NULL, NULL, NULL, NULL) < 0) {
		dp_err(ctx, "quarantine: \"%s\" is not a PCI address", bdf ? bdf : "(null)");
		return -EINVAL;
	}
	return 0;
}

int dp_quarantine_add_before(struct dp_ctx *ctx, const char *bdf, const char *reason,
			     const struct dp_reset_snapshot *before)
{
	struct dp_quarantine_record rec = { .time = (int64_t)time(NULL) };
	char text[DP_QUARANTINE_RECORD_MAX];
	int dirfd, len, r;

	r = check_bdf(ctx, bdf);
	if (r < 0)
		return r;
	snprintf(rec.reason, sizeof(rec.reason), "%s", reason ? reason : "");
	if (before && before->valid)
		rec.before = *before;
	len = dp_quarantine_format(&rec, text, sizeof(text));
	if (len < 0)
		return len; /* cannot happen: the reason is bounded */
	dirfd = open_dir(ctx, true);
	if (dirfd < 0)
		return dirfd;
	r = dp_write_atomic(dirfd, bdf, text, (size_t)len);
	if (r < 0)
		dp_err(ctx, "%s: cannot write its quarantine record in %s/" DP_QUARANTINE_DIR ": %s",
		       bdf, ctx->run_dir, strerror(-r));
	else
		dp_warn(ctx, "%s: quarantined: %s", bdf, rec.reason);
	close(dirfd);
	return r;
}

int dp_quarantine_add(struct dp_ctx *ctx, const char *bdf, const char *reason)
{
	return dp_quarantine_add_before(ctx, bdf, reason, NULL);
}

/* Reads the record bdf in dirfd: 1, 0 absent, or -errno logged. */
static int read_record(struct dp_ctx *ctx, int dirfd, const char *bdf,
		       struct dp_quarantine_record *rec)
{
	char buf[DP_QUARANTINE_RECORD_MAX + 1], why[160];
	const char *bad;
	struct stat st;
	size_t len = 0;
	int fd, r;

	fd = openat(dirfd, bdf, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0) {
		r = -errno;
		if (r == -ENOENT)
			return 0;
		dp_err(ctx, "%s: its quarantine record %s/" DP_QUARANTINE_DIR "/%s: %s; not trusted",
		       bdf, ctx->run_dir, bdf, r == -ELOOP ? "a symbolic link" : strerror(-r));
		return r == -ELOOP ? -EPERM : r;
	}
	r = fstat(fd, &st) < 0 ? -errno : 0;
	bad = r < 0 ? strerror(-r) : untrusted(&st, false);
	if (!bad && st.st_size > DP_QUARANTINE_RECORD_MAX)
		bad = "larger than 4 KiB";
	while (!bad) {
		ssize_t n = read(fd, buf + len, sizeof(buf) - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = -errno;
			bad = strerror(-r);
		} else if (n == 0) {
			break;
		} else if ((len += (size_t)n) == sizeof(buf)) {
			bad = "larger than 4 KiB";
		}
	}
	close(fd);
	if (!bad && dp_quarantine_parse(buf, len, rec, why, sizeof(why)) < 0) {
		bad = why;
		r = -EINVAL;
	}
	if (bad) {
		dp_err(ctx, "%s: its quarantine record %s/" DP_QUARANTINE_DIR "/%s: %s; not trusted",
		       bdf, ctx->run_dir, bdf, bad);
		return r < 0 ? r : -EPERM;
	}
	return 1;
}

/* The directory of bdf's record, for reading or removing it: its fd, -ENOENT unlogged when absent. */
static int open_existing(struct dp_ctx *ctx, const char *bdf)
{
	int r = check_bdf(ctx, bdf);

	return r < 0 ? r : open_dir(ctx, false);
}

int dp_quarantine_read(struct dp_ctx *ctx, const char *bdf, struct dp_quarantine_record *rec)
{
	int dirfd = open_existing(ctx, bdf), r;

	if (dirfd < 0)
		return dirfd == -ENOENT ? 0 : dirfd;
	r = read_record(ctx, dirfd, bdf, rec);
	close(dirfd);
	return r;
}

int dp_quarantine_get(struct dp_ctx *ctx, const char *bdf, char **reason)
{
	struct dp_quarantine_record rec;
	int r = dp_quarantine_read(ctx, bdf, &rec);

	if (r <= 0 || !reason)
		return r;
	*reason = strdup(rec.reason);
	return *reason ? 1 : -ENOMEM;
}

int dp_quarantine_remove(struct dp_ctx *ctx, const char *bdf)
{
	int dirfd = open_existing(ctx, bdf), r;

	if (dirfd < 0)
		return dirfd == -ENOENT ? 0 : dirfd;
	/* A symbolic link or a stray file goes as well: unlinkat never follows. */
	r = unlinkat(dirfd, bdf, 0) < 0 && errno != ENOENT ? -errno : 0;
	if (r == 0 && fsync(dirfd) < 0)
		r = -errno;
	if (r < 0)
		dp_err(ctx, "%s: cannot remove its quarantine record %s/" DP_QUARANTINE_DIR "/%s: %s",
		       bdf, ctx->run_dir, bdf, strerror(-r));
	close(dirfd);
	return r;
}

int dp_device_get_quarantine(const struct dp_device *dev, char **reason)
{
	struct dp_quarantine_record rec;
	char text[DP_QUARANTINE_REASON_MAX + 128];
	int r;

	if (!dev)
		return -EINVAL;
	r = dp_quarantine_read(dev->ctx, dev->bdf, &rec);
	if (r == 0 || r == -ENAMETOOLONG)
		return r;
	if (r < 0) /* logged; not trusted, so held: its reason says so */
		snprintf(text, sizeof(text), "its quarantine record cannot be trusted (%s)",
			 r == -EINVAL ? "malformed" : r == -EPERM ? "an unsafe file or directory"
								 : strerror(-r));
	else
		snprintf(text, sizeof(text), "%s", rec.reason);
	if (reason) {
		*reason = strdup(text);
		if (!*reason)
			return -ENOMEM;
	}
	return 1;
}
