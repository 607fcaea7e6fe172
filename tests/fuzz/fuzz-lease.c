/* SPDX-License-Identifier: MIT */
/*
 * Lease records (lib/lease.c's parser, a static function reached through
 * dp_lease_query): the input is RUN_DIR/lease-0000:03:00.0 while another
 * open file description holds its ownership lock (an OFD write lock on byte
 * 0), as a live owner does. Whatever the
 * record says, the query must answer held (1), with an owner that is
 * NUL-terminated within its buffer and a single line.
 */
#include <fcntl.h>

#include "fuzz.h"
#include "lease.h"

#define BDF "0000:03:00.0"

static char dir[] = "/tmp/dp-fuzz-lease.XXXXXX";
static char path[sizeof(dir) + 32];

static void cleanup(void)
{
	unlink(path);
	rmdir(dir);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char owner[48];
	struct dp_ctx *ctx;
	pid_t pid = -12345;
	int fd, r;

	if (!path[0]) {
		if (!mkdtemp(dir))
			abort();
		snprintf(path, sizeof(path), "%s/lease-" BDF, dir);
		atexit(cleanup);
	}
	ctx = fz_ctx(dir);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || (size && write(fd, data, size) != (ssize_t)size) ||
	    fcntl(fd, F_OFD_SETLK, &(struct flock){ .l_type = F_WRLCK, .l_whence = SEEK_SET,
						  .l_start = 0, .l_len = 1 }) < 0)
		abort();
	memset(owner, 0x5a, sizeof(owner));
	r = dp_lease_query(ctx, BDF, owner, sizeof(owner), &pid);
	close(fd);
	FZ_ASSERT(r == 1, "a held lease: dp_lease_query says %d", r);
	FZ_ASSERT(memchr(owner, '\0', sizeof(owner)), "owner is not terminated");
	FZ_ASSERT(!strchr(owner, '\n'), "owner \"%s\" spans lines", owner);
	FZ_ASSERT(pid != -12345, "pid not written");
	dp_ctx_unref(ctx);
	return 0;
}
