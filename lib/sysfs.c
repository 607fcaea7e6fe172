/* SPDX-License-Identifier: MIT */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "parse.h"
#include "sysfs.h"

int dp_sysfs_read(int dirfd, const char *name, char *buf, size_t size)
{
	size_t len = 0;
	int fd, r = 0;

	if (size < 2)
		return -EINVAL;
	fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return -errno;
	for (;;) {
		size_t want = size - len;
		ssize_t n = read(fd, buf + len, want);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			r = -errno;
			break;
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (len == size) {
			r = -EFBIG;
			break;
		}
		if ((size_t)n < want)
			break; /* a short read is the end: sysfs hands an attribute over whole */
	}
	close(fd);
	if (r < 0)
		return r;
	if (memchr(buf, '\0', len))
		return -EINVAL; /* binary junk where text belongs */
	if (len > 0 && buf[len - 1] == '\n')
		len--;
	buf[len] = '\0';
	return (int)len;
}

int dp_sysfs_read_u64(int dirfd, const char *name, int base, uint64_t max,
		      uint64_t *out)
{
	char buf[64];
	int r = dp_sysfs_read(dirfd, name, buf, sizeof(buf));

	if (r == -EFBIG)
		return -EINVAL;
	if (r < 0)
		return r;
	return dp_parse_u64(buf, base, max, out);
}

int dp_sysfs_read_long(int dirfd, const char *name, long min, long max,
		       long *out)
{
	char buf[64], *end;
	long v;
	int r = dp_sysfs_read(dirfd, name, buf, sizeof(buf));

	if (r == -EFBIG)
		return -EINVAL;
	if (r < 0)
		return r;
	if (!isdigit((unsigned char)buf[buf[0] == '-']))
		return -EINVAL; /* a digit first, after an optional minus: no white space, no plus */
	errno = 0;
	v = strtol(buf, &end, 10);
	if (errno || end == buf || *end != '\0' || v < min || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

int dp_sysfs_readlink_base(int dirfd, const char *name, char *buf, size_t size)
{
	char target[PATH_MAX];
	ssize_t n = readlinkat(dirfd, name, target, sizeof(target) - 1);
	const char *base;
	size_t len;

	if (n < 0)
		return -errno;
	target[n] = '\0';
	while (n > 1 && target[n - 1] == '/')
		target[--n] = '\0';
	base = strrchr(target, '/');
	base = base ? base + 1 : target;
	len = strlen(base);
	if (len == 0 || len >= size)
		return -EINVAL;
	memcpy(buf, base, len + 1);
	return (int)len;
}

int dp_sysfs_write(int dirfd, const char *name, const char *value)
{
	size_t len = strlen(value);
	ssize_t n;
	int fd, r = 0;

	fd = openat(dirfd, name, O_WRONLY | O_TRUNC | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;
	do
		n = write(fd, value, len);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		r = -errno;
	else if ((size_t)n != len)
		r = -EIO;
	if (close(fd) < 0 && r == 0 && errno != EINTR)
		r = -errno;
	return r;
}

long dp_sysfs_read_bin(int dirfd, const char *name, void *buf, size_t size)
{
	size_t len = 0;
	int fd, r = 0;

	fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;
	while (len < size) {
		ssize_t n = read(fd, (char *)buf + len, size - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			r = -errno;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	return r < 0 ? r : (long)len;
}
