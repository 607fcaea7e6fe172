/* SPDX-License-Identifier: MIT */
/*
 * Handoff descriptions (lib/handoff-desc.c, dp_handoff_send(3)'s
 * "DESCRIPTION FORMAT"), as a VMM receives them from a manager. The input's
 * first byte says how many fds travel with it (0 to 7, copies of /dev/null),
 * the rest is the description. The parser alone: an accepted description is
 * the canonical text of what it says (formatting it back gives the input
 * byte for byte), with a lease for every device (an addition: one device,
 * two fds); a refused one gets
 * -EBADMSG or -EPROTONOSUPPORT and a reason. Then the whole message through
 * dp_handoff_recv on a socketpair: refused here (this host's /sys has no
 * VFIO nodes numbered as /dev/null), with every fd it received closed.
 */
#include <fcntl.h>
#include <sys/socket.h>

#include "fuzz.h"
#include "handoff.h"

static void parse_alone(const uint8_t *data, size_t size)
{
	struct dp_handoff_desc d = { 0 };
	char why[256] = "", *text = NULL, *again = NULL;
	size_t leases = 0;
	int r;

	text = malloc(size ? size : 1); /* exactly sized: a read past the end is caught */
	if (!text)
		abort();
	memcpy(text, data, size);
	r = dp_handoff_desc_parse(text, size, &d, why, sizeof(why));
	if (r < 0) {
		FZ_ASSERT(r == -EBADMSG || r == -EPROTONOSUPPORT || r == -ENOMEM, "%d", r);
		FZ_ASSERT(why[0], "refused without a reason");
		FZ_ASSERT(!d.fds && !d.n_fds, "a refused description left entries");
		free(text);
		return;
	}
	/* A whole VM's: its container or iommufd, a group or node, a lease; an addition's: the last two. */
	FZ_ASSERT(d.n_fds >= (d.add ? 2u : 3u) && d.n_fds <= DP_HANDOFF_FDS_MAX, "%zu fds", d.n_fds);
	FZ_ASSERT(!d.add || d.n_fds == 2, "an addition of %zu fds", d.n_fds);
	for (size_t i = 0; i < d.n_fds; i++) {
		FZ_ASSERT(d.fds[i].fd == -1, "fd %zu set by the parser", i);
		FZ_ASSERT(dp_handoff_fd_role_name(d.fds[i].role), "fd %zu: role %u", i, d.fds[i].role);
		leases += d.fds[i].role == DP_HANDOFF_FD_LEASE;
	}
	FZ_ASSERT(leases >= 1, "no device");
	r = dp_handoff_desc_format(&d, &again, why, sizeof(why));
	FZ_ASSERT(r == 0, "accepted but not formatted back: %s", why);
	FZ_ASSERT(strlen(again) == size && memcmp(again, data, size) == 0,
		  "not canonical: formatted back as\n%s", again);
	free(again);
	dp_handoff_desc_fini(&d);
	free(text);
}

static void through_recv(const uint8_t *data, size_t size, unsigned n_fds)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * 8)];
		struct cmsghdr align;
	} u;
	struct iovec iov = { (void *)data, size };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct dp_handoff *h = NULL;
	struct dp_ctx *ctx;
	int sv[2], fds[8], before, r;

	if (size == 0 || size > DP_HANDOFF_DESC_MAX + 64)
		return; /* an empty datagram is a closed peer's; a huge one, the parser's alone */
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		abort();
	ctx = fz_ctx(FZ_NO_DIR);
	memset(&u, 0, sizeof(u));
	for (unsigned i = 0; i < n_fds; i++)
		if ((fds[i] = open("/dev/null", O_RDONLY | O_CLOEXEC)) < 0)
			abort();
	if (n_fds) {
		struct cmsghdr *cm;

		msg.msg_control = u.buf;
		msg.msg_controllen = CMSG_SPACE(sizeof(int) * n_fds);
		cm = CMSG_FIRSTHDR(&msg);
		if (!cm)
			abort();
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int) * n_fds);
		memcpy(CMSG_DATA(cm), fds, sizeof(int) * n_fds);
	}
	if (sendmsg(sv[0], &msg, 0) != (ssize_t)size)
		abort();
	for (unsigned i = 0; i < n_fds; i++)
		close(fds[i]);
	before = fz_count_fds();
	r = dp_handoff_recv(ctx, sv[1], &h);
	FZ_ASSERT(r < 0 && !h, "a handoff of /dev/null accepted (%d)", r);
	FZ_ASSERT(fz_count_fds() == before, "%d fds left open of %u received",
		  fz_count_fds() - before, n_fds);
	close(sv[0]);
	close(sv[1]);
	dp_ctx_unref(ctx);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	parse_alone(data + 1, size - 1);
	through_recv(data + 1, size - 1, data[0] % 8);
	return 0;
}
