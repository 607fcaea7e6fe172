/* SPDX-License-Identifier: MIT */
/*
 * A handoff over a socketpair, on a synthetic /sys whose VFIO nodes are
 * numbered as /dev/null, /dev/zero, /dev/full and /dev/urandom: fds of the
 * right character devices pass, a pipe or another device is refused by its
 * number, a short, truncated or miscounted message is refused, and every fd
 * received is closed whenever the handoff is refused. Then the VMM side's
 * gate: the VM must be the handoff's, and the leases are adopted only from
 * the open file that holds them, for the VM they name. Root, white-box.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "gate.h"
#include "handoff-fixture.h"
#include "lease.h"
#include "testlog.h"
#include "testrun.h"

/* Sends text with these fds as one message, as a manager (or a hostile peer) would. */
static void send_raw(const char *text, size_t len, const int *fds, size_t n)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * 8)];
		struct cmsghdr align;
	} u;
	struct iovec iov = { (void *)text, len };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };

	memset(&u, 0, sizeof(u));
	if (n) {
		struct cmsghdr *cm;

		msg.msg_control = u.buf;
		msg.msg_controllen = CMSG_SPACE(sizeof(int) * n);
		cm = CMSG_FIRSTHDR(&msg);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int) * n);
		memcpy(CMSG_DATA(cm), fds, sizeof(int) * n);
	}
	ck_assert_int_eq(sendmsg(sv[0], &msg, 0), (ssize_t)len);
}

/* Receiving what was sent fails with err and a message holding want, and leaves no fd open. */
static void recv_refused(int fds_before, int err, const char *want)
{
	struct dp_handoff *h = NULL;

	ck_assert_int_eq(DP_TEST_EXPECT_ERR(dp_handoff_recv(ctx, sv[1], &h), want), err);
	ck_assert_ptr_null(h);
	ck_assert_int_eq(dp_test_count_fds(), fds_before);
}

START_TEST(type1_sent_received_verified)
{
	struct dp_handoff *m = manager(DP_BACKEND_TYPE1, "vm1"), *h = NULL;
	char owner[64];
	pid_t pid;

	ck_assert_int_eq(dp_handoff_send(m, sv[0]), 0);
	ck_assert_int_eq(dp_handoff_recv(ctx, sv[1], &h), 0);
	ck_assert_uint_eq(dp_handoff_get_backend(h), DP_BACKEND_TYPE1);
	ck_assert_str_eq(dp_handoff_get_vm_name(h), "vm1");
	ck_assert_uint_eq(dp_handoff_get_device_count(h), 1);
	ck_assert_str_eq(dp_handoff_get_device_bdf(h, 0), B1);
	ck_assert_ptr_null(dp_handoff_get_device_bdf(h, 1));
	ck_assert_uint_eq(dp_handoff_get_fd_count(h), 3);
	ck_assert_uint_eq(dp_handoff_get_fd_role(h, 1), DP_HANDOFF_FD_GROUP);
	ck_assert_str_eq(dp_handoff_get_fd_subject(h, 1), "7");
	ck_assert_ptr_null(dp_handoff_get_fd_subject(h, 0));
	ck_assert_str_eq(dp_handoff_get_description(h), dp_handoff_get_description(m));
	/* A second send is a bug; the manager's copies go, the lease stays held by the VMM's. */
	ck_assert_int_eq(DP_TEST_EXPECT_ERR(dp_handoff_send(m, sv[0]), "sent already"), -EINVAL);
	dp_handoff_free(m);
	ck_assert_int_eq(dp_lease_query(ctx, B1, owner, sizeof(owner), &pid), 1);
	ck_assert_str_eq(owner, "vm1");
	dp_handoff_free(h);
	ck_assert_int_eq(dp_lease_query(ctx, B1, owner, sizeof(owner), &pid), 0);
}
END_TEST

START_TEST(iommufd_sent_received_verified)
{
	struct dp_handoff *m = manager(DP_BACKEND_IOMMUFD, "vm1"), *h = NULL;
	int fd;

	ck_assert_int_eq(dp_handoff_send(m, sv[0]), 0);
	dp_handoff_free(m);
	ck_assert_int_eq(dp_handoff_recv(ctx, sv[1], &h), 0);
	ck_assert_uint_eq(dp_handoff_get_backend(h), DP_BACKEND_IOMMUFD);
	ck_assert_str_eq(dp_handoff_get_fd_subject(h, 1), B1);
	fd = dp_handoff_take(h, DP_HANDOFF_FD_DEVICE, -1, B1);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(dp_handoff_take(h, DP_HANDOFF_FD_DEVICE, -1, B1), -ENOENT);
	ck_assert_int_eq(dp_handoff_take(h, DP_HANDOFF_FD_DEVICE, -1, B2), -ENOENT);
	close(fd);
	dp_handoff_free(h);
}
END_TEST

/* A manager never sent gives its lease up (the file goes). */
START_TEST(unsent_releases)
{
	struct dp_handoff *m = manager(DP_BACKEND_TYPE1, "vm1");
	int before = dp_test_count_fds();

	dp_handoff_free(m);
	ck_assert_int_eq(dp_lease_query(ctx, B1, NULL, 0, NULL), 0);
	ck_assert_int_eq(dp_test_count_fds(), before - 3);
}
END_TEST

/* One fd of the message swapped for another kind (index, what), refused naming it. */
static void swapped(uint32_t backend, size_t index, int fd, const char *want)
{
	struct dp_handoff *m = manager(backend, "vm1");
	int before = dp_test_count_fds();
	int fds[3];

	for (size_t i = 0; i < 3; i++)
		fds[i] = i == index ? fd : m->d.fds[i].fd;
	send_raw(m->text, strlen(m->text), fds, 3);
	recv_refused(before, -EBADF, want);
	dp_handoff_free(m);
	close(fd);
}

START_TEST(pipe_for_group_refused)
{
	int p[2];

	ck_assert_int_eq(pipe2(p, O_CLOEXEC), 0);
	close(p[1]);
	swapped(DP_BACKEND_TYPE1, 1, p[0],
		"fd 1 should be IOMMU group 7's node (character device 1:5) but is not a character device");
}
END_TEST

START_TEST(wrong_devices_refused)
{
	swapped(DP_BACKEND_TYPE1, 0, open_node(NODE_GROUP),
		"fd 0 should be the VFIO container (character device 1:3) but is 1:5");
	swapped(DP_BACKEND_TYPE1, 1, open_node(NODE_CONTAINER),
		"fd 1 should be IOMMU group 7's node (character device 1:5) but is 1:3");
	swapped(DP_BACKEND_IOMMUFD, 0, open_node(NODE_CONTAINER),
		"fd 0 should be the iommufd (character device 1:7) but is 1:3");
	swapped(DP_BACKEND_IOMMUFD, 1, open_node(NODE_IOMMU),
		"fd 1 should be the VFIO device node of " B1 " (character device 1:9) but is 1:7");
	swapped(DP_BACKEND_TYPE1, 2, open_node(NODE_CONTAINER),
		"fd 2 should be the lease of " B1 " but is not a regular file");
}
END_TEST

START_TEST(miscounted_refused)
{
	struct dp_handoff *m = manager(DP_BACKEND_TYPE1, "vm1");
	int before = dp_test_count_fds();
	int fds[4] = { m->d.fds[0].fd, m->d.fds[1].fd, m->d.fds[2].fd, m->d.fds[0].fd };
	size_t len = strlen(m->text);

	send_raw(m->text, len, fds, 4);
	recv_refused(before, -EBADMSG, "handoff of VM \"vm1\": it describes 3 fds but carries 4");
	send_raw(m->text, len, fds, 2);
	recv_refused(before, -EBADMSG, "handoff of VM \"vm1\": it describes 3 fds but carries 2");
	send_raw(m->text, len, fds, 0);
	recv_refused(before, -EBADMSG, "describes 3 fds but carries 0");
	send_raw(m->text, len - 4, fds, 3); /* "end\n" cut off */
	recv_refused(before, -EBADMSG, "line 8: missing");
	send_raw(m->text, 10, fds, 3);
	recv_refused(before, -EBADMSG, "line 1: too long, not ended by a newline");
	dp_handoff_free(m);
}
END_TEST

START_TEST(closed_peer_and_oversize_refused)
{
	int before = dp_test_count_fds();
	char *big = malloc(DP_HANDOFF_DESC_MAX + 100);
	int fd = open_node(NODE_CONTAINER);

	ck_assert_ptr_nonnull(big);
	memset(big, 'x', DP_HANDOFF_DESC_MAX + 100);
	send_raw(big, DP_HANDOFF_DESC_MAX + 100, &fd, 1);
	close(fd);
	recv_refused(before, -EMSGSIZE, "the description is longer than 8192 bytes");
	close(sv[0]);
	sv[0] = -1;
	recv_refused(before - 1, -ENODATA, "the peer closed the socket without sending anything");
	free(big);
}
END_TEST

/* The receiver's fd limit leaves no room for the last fds: the kernel says MSG_CTRUNC. */
START_TEST(ctrunc_refused)
{
	struct dp_handoff *m = manager(DP_BACKEND_TYPE1, "vm1");
	struct dp_handoff *h = NULL;
	struct rlimit old, rl;
	int before, free_fd, r;
	const char *preload = getenv("LD_PRELOAD");

	/* valgrind keeps its own fd limit: the kernel's, which the message meets, stays high. */
	if (preload && strstr(preload, "vgpreload")) {
		dp_handoff_free(m);
		return;
	}
	ck_assert_int_eq(dp_handoff_send(m, sv[0]), 0);
	dp_handoff_free(m);
	before = dp_test_count_fds();
	free_fd = dup(0); /* the lowest free number */
	ck_assert_int_ge(free_fd, 0);
	close(free_fd);
	ck_assert_int_eq(getrlimit(RLIMIT_NOFILE, &old), 0);
	rl = old;
	rl.rlim_cur = (rlim_t)free_fd + 1; /* room for one of the three */
	ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &rl), 0);
	dp_test_log_expect_err();
	r = dp_handoff_recv(ctx, sv[1], &h);
	ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &old), 0); /* before anything can fail */
	ck_assert_int_eq(dp_test_check_err(r, "the message's fds were cut short (MSG_CTRUNC"),
			 -EMSGSIZE);
	ck_assert_ptr_null(h);
	ck_assert_int_eq(dp_test_count_fds(), before);
}
END_TEST


START_TEST(gate_adopts_the_lease)
{
	struct dp_handoff *h = received("vm1");
	struct dp_vm *vm = vm_of("vm1", "01:00.0");
	struct dp_gate g;

	ck_assert_int_eq(dp_handoff_gate(h, vm, DP_BACKEND_AUTO, &g), 0);
	ck_assert_uint_eq(g.n, 1);
	ck_assert_str_eq(g.bdf[0], B1);
	ck_assert_str_eq(dp_device_get_bdf(g.dev[0]), B1);
	ck_assert_ptr_nonnull(g.lease[0]);
	ck_assert_int_eq(dp_lease_query(ctx, B1, NULL, 0, NULL), 1);
	/* The lease is the gate's now: the handoff has it no more. */
	ck_assert_int_eq(dp_handoff_take(h, DP_HANDOFF_FD_LEASE, -1, B1), -ENOENT);
	dp_handoff_free(h);
	ck_assert_int_eq(dp_lease_query(ctx, B1, NULL, 0, NULL), 1);
	dp_gate_fini(&g);
	ck_assert_int_eq(dp_lease_query(ctx, B1, NULL, 0, NULL), 0);
	dp_vm_unref(vm);
}
END_TEST

START_TEST(gate_refuses_another_vm)
{
	struct dp_handoff *h = received("vm1");
	struct dp_vm *other = vm_of("vm2", B1), *two = vm_of("vm1", B1), *moved = vm_of("vm1", B2);
	struct dp_gate g;

	ck_assert_int_eq(dp_vm_add_device(two, B2), 0);
	ck_assert_int_eq(DP_TEST_EXPECT_ERR(dp_handoff_gate(h, other, 0, &g),
					    "vm2: the handoff is for VM \"vm1\""), -EINVAL);
	ck_assert_int_eq(DP_TEST_EXPECT_ERR(dp_handoff_gate(h, two, 0, &g),
					    "vm1: 2 devices, but the handoff has 1"), -EINVAL);
	ck_assert_int_eq(DP_TEST_EXPECT_ERR(dp_handoff_gate(h, moved, 0, &g),
					    "device 0 is " B2 ", but the handoff's device 0 is " B1),
			 -EINVAL);
	ck_assert_int_eq(DP_TEST_EXPECT_ERR(dp_handoff_gate(h, two, DP_BACKEND_IOMMUFD, &g),
					    "iommufd was asked for, but the handoff is type1"),
			 -EINVAL);
	dp_handoff_free(h);
	dp_vm_unref(other);
	dp_vm_unref(two);
	dp_vm_unref(moved);
}
END_TEST

/* A lease taken for another VM's name is not adopted; the handoff's fds all close. */
START_TEST(gate_refuses_a_lease_of_another_vm)
{
	struct dp_handoff *h = received("vm9");
	struct dp_vm *vm = vm_of("vm1", B1);
	struct dp_gate g;

	ck_assert_int_eq(DP_TEST_EXPECT_ERR(dp_handoff_gate(h, vm, 0, &g),
					    "the lease " ), -EPERM);
	ck_assert_int_eq(dp_lease_query(ctx, B1, NULL, 0, NULL), 0); /* its fd closed */
	dp_handoff_free(h);
	dp_vm_unref(vm);
}
END_TEST

/* The lease file passed, but another open file of it: not the holder. */
START_TEST(gate_refuses_a_lease_not_held_by_its_fd)
{
	struct dp_handoff *m = manager(DP_BACKEND_TYPE1, "vm1"), *h = NULL;
	struct dp_vm *vm = vm_of("vm1", B1);
	char path[700];
	struct dp_gate g;
	int fds[3], copy;

	snprintf(path, sizeof(path), "%s/run/lease-" B1, dp_fakesys_scratch(fs));
	copy = open(path, O_RDWR | O_CLOEXEC);
	ck_assert_int_ge(copy, 0);
	fds[0] = m->d.fds[0].fd;
	fds[1] = m->d.fds[1].fd;
	fds[2] = copy;
	send_raw(m->text, strlen(m->text), fds, 3);
	close(copy);
	ck_assert_int_eq(dp_handoff_recv(ctx, sv[1], &h), 0);
	ck_assert_int_eq(DP_TEST_EXPECT_ERR(dp_handoff_gate(h, vm, 0, &g),
					    "is held by another open file than the one passed"),
			 -EBUSY);
	dp_handoff_free(h);
	ck_assert_int_eq(dp_lease_query(ctx, B1, NULL, 0, NULL), 1); /* the manager's still */
	dp_handoff_free(m);
	dp_vm_unref(vm);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("handoff");
	TCase *tc = tcase_create("socket");

	dp_fakesys_enter_namespace();
	tcase_add_checked_fixture(tc, handoff_fixture_setup, handoff_fixture_teardown);
	tcase_add_test(tc, type1_sent_received_verified);
	tcase_add_test(tc, iommufd_sent_received_verified);
	tcase_add_test(tc, unsent_releases);
	tcase_add_test(tc, pipe_for_group_refused);
	tcase_add_test(tc, wrong_devices_refused);
	tcase_add_test(tc, miscounted_refused);
	tcase_add_test(tc, closed_peer_and_oversize_refused);
	tcase_add_test(tc, ctrunc_refused);
	tcase_add_test(tc, gate_adopts_the_lease);
	tcase_add_test(tc, gate_refuses_another_vm);
	tcase_add_test(tc, gate_refuses_a_lease_of_another_vm);
	tcase_add_test(tc, gate_refuses_a_lease_not_held_by_its_fd);
	suite_add_tcase(s, tc);
	return dp_test_run(s);
}
