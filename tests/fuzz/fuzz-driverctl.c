/* SPDX-License-Identifier: MIT */
/*
 * driverctl files (dp_mark_read: lib/mark.c's reader): the input is
 * DIR/pci-0000:03:00.0. A file marks the device exactly when, without NUL
 * bytes and with trailing white space removed, it says "vfio-pci" or names a
 * vfio-pci variant (1 to 64 of [A-Za-z0-9_.-], ending in "_vfio_pci" after
 * at least one more); any other driver's name comes back in other,
 * NUL-terminated and bounded.
 */
#include <ctype.h>
#include <fcntl.h>

#include "fuzz.h"
#include "inventory.h"

#define BDF "0000:03:00.0"

static char dir[] = "/tmp/dp-fuzz-driverctl.XXXXXX";

/* The oracle, written apart from lib/vfiodriver.c's. */
static bool is_mark(const uint8_t *s, size_t len)
{
	static const char suffix[] = "_vfio_pci";
	size_t n = sizeof(suffix) - 1;

	if (len == 8 && memcmp(s, "vfio-pci", 8) == 0)
		return true;
	if (len <= n || len > 64 || memcmp(s + len - n, suffix, n) != 0)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!isalnum(s[i]) && s[i] != '_' && s[i] != '-' && s[i] != '.')
			return false;
	return true;
}
static int dirfd_ = -1;

static void cleanup(void)
{
	unlinkat(dirfd_, DP_DRIVERCTL_PREFIX BDF, 0);
	close(dirfd_);
	rmdir(dir);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char other[32];
	struct dp_ctx *ctx;
	size_t len = size;
	int fd, r;
	bool want;

	if (dirfd_ < 0) {
		if (!mkdtemp(dir) || (dirfd_ = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
			abort();
		atexit(cleanup);
	}
	ctx = fz_ctx(dir);
	fd = openat(dirfd_, DP_DRIVERCTL_PREFIX BDF, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || (size && write(fd, data, size) != (ssize_t)size))
		abort();
	close(fd);
	while (len && (data[len - 1] == '\n' || data[len - 1] == ' ' || data[len - 1] == '\t' ||
		       data[len - 1] == '\r'))
		len--;
	want = size <= 4096 && !memchr(data, '\0', size) && is_mark(data, len);
	memset(other, 0x5a, sizeof(other));
	r = dp_mark_read(ctx, dirfd_, BDF, other, sizeof(other));
	FZ_ASSERT(r == (want ? 1 : 0), "dp_mark_read says %d", r);
	FZ_ASSERT(memchr(other, '\0', sizeof(other)), "other is not terminated");
	if (r == 1)
		FZ_ASSERT(other[0] == '\0', "a mark names another driver \"%s\"", other);
	else if (size <= 4096 && !memchr(data, '\0', size))
		FZ_ASSERT(strlen(other) == (len < sizeof(other) ? len : sizeof(other) - 1) &&
			  memcmp(other, data, strlen(other)) == 0,
			  "other \"%s\"", other);
	dp_ctx_unref(ctx);
	return 0;
}
