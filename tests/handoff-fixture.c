/* SPDX-License-Identifier: MIT */
/*
 * The handoff tests' fixture (test-handoff.c, test-handoff-add.c): a
 * synthetic /sys whose VFIO nodes are numbered as /dev/null, /dev/zero,
 * /dev/full and /dev/urandom, a context, a socketpair, and a manager's
 * handoff as dp_handoff_open or dp_handoff_open_device leaves it.
 */
#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "handoff-fixture.h"
#include "lease.h"
#include "testlog.h"

struct dp_fakesys *fs;
struct dp_ctx *ctx;
int sv[2] = { -1, -1 };

void handoff_fixture_setup(void)
{
	struct dp_fake_dev d1 = { .bdf = B1, .vendor = 0x1234, .device = 0x11e8,
				  .class_code = 0xff0000, .group = 7, .driver = "vfio-pci" };
	struct dp_fake_dev d2 = { .bdf = B2, .vendor = 0x1234, .device = 0x11e8,
				  .class_code = 0xff0000, .group = 8, .driver = "vfio-pci" };
	DP_OPTS(dp_ctx_opts, o, .log_fn = dp_test_log_fn);
	char run[600];

	dp_test_log_reset();
	fs = dp_fakesys_new();
	ck_assert_ptr_nonnull(fs);
	ck_assert_int_eq(dp_fakesys_add(fs, &d1), 0);
	ck_assert_int_eq(dp_fakesys_add(fs, &d2), 0);
	ck_assert_int_eq(dp_fakesys_write(fs, "class/misc/vfio/dev", "1:3\n"), 0);
	ck_assert_int_eq(dp_fakesys_write(fs, "class/misc/iommu/dev", "1:7\n"), 0);
	ck_assert_int_eq(dp_fakesys_write(fs, "class/vfio/7/dev", "1:5\n"), 0);
	ck_assert_int_eq(dp_fakesys_write(fs, "bus/pci/devices/" B1 "/vfio-dev/vfio0/dev", "1:9\n"), 0);
	ck_assert_int_eq(dp_fakesys_mount(fs), 0);
	snprintf(run, sizeof(run), "%s/run", dp_fakesys_scratch(fs));
	o.run_dir = run;
	ck_assert_int_eq(dp_ctx_new(&o, &ctx), 0);
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
}

void handoff_fixture_teardown(void)
{
	close(sv[0]);
	close(sv[1]);
	ctx = dp_ctx_unref(ctx);
	dp_fakesys_free(fs);
}

int open_node(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	ck_assert_int_ge(fd, 0);
	return fd;
}

/*
 * A manager's handoff for VM vm1 of B1 as dp_handoff_open leaves it (add:
 * as dp_handoff_open_device does), its nodes stood in for: the lease is
 * real, taken for lease_vm.
 */
struct dp_handoff *manager_as(uint32_t backend, const char *lease_vm, bool add)
{
	struct dp_handoff *h = dp_handoff_alloc(ctx);
	char why[256];
	int lease_fd, n = add ? 0 : 1;

	ck_assert_ptr_nonnull(h);
	h->d.backend = backend;
	h->d.add = add;
	snprintf(h->d.vm_name, sizeof(h->d.vm_name), "vm1");
	h->leases = calloc(1, sizeof(*h->leases));
	h->reset_saved = calloc(1, sizeof(*h->reset_saved));
	h->reset_written = calloc(1, sizeof(*h->reset_written));
	ck_assert_int_eq(dp_lease_acquire(ctx, B1, lease_vm, &h->leases[0]), 0);
	lease_fd = dp_lease_get_fd(h->leases[0]);
	if (backend == DP_BACKEND_TYPE1) {
		if (!add) {
			ck_assert_int_eq(dp_handoff_desc_add(&h->d, DP_HANDOFF_FD_CONTAINER, -1, NULL), 0);
			h->d.fds[0].fd = open_node(NODE_CONTAINER);
		}
		ck_assert_int_eq(dp_handoff_desc_add(&h->d, DP_HANDOFF_FD_GROUP, 7, NULL), 0);
		h->d.fds[n].fd = open_node(NODE_GROUP);
	} else {
		if (!add) {
			ck_assert_int_eq(dp_handoff_desc_add(&h->d, DP_HANDOFF_FD_IOMMUFD, -1, NULL), 0);
			h->d.fds[0].fd = open_node(NODE_IOMMU);
		}
		ck_assert_int_eq(dp_handoff_desc_add(&h->d, DP_HANDOFF_FD_DEVICE, -1, B1), 0);
		h->d.fds[n].fd = open_node(NODE_DEVICE);
	}
	ck_assert_int_eq(dp_handoff_desc_add(&h->d, DP_HANDOFF_FD_LEASE, -1, B1), 0);
	h->d.fds[n + 1].fd = lease_fd;
	ck_assert_int_eq(dp_handoff_index_devices(h), 0);
	ck_assert_int_eq(dp_handoff_desc_format(&h->d, &h->text, why, sizeof(why)), 0);
	return h;
}

struct dp_handoff *manager(uint32_t backend, const char *lease_vm)
{
	return manager_as(backend, lease_vm, false);
}

struct dp_vm *vm_of(const char *name, const char *dev)
{
	struct dp_vm *vm = NULL;

	ck_assert_int_eq(dp_vm_new(ctx, name, &vm), 0);
	ck_assert_int_eq(dp_vm_add_device(vm, dev), 0);
	return vm;
}

/* What the manager sent, received: the VMM's handoff. */
struct dp_handoff *received(const char *lease_vm)
{
	struct dp_handoff *m = manager(DP_BACKEND_TYPE1, lease_vm), *h = NULL;

	ck_assert_int_eq(dp_handoff_send(m, sv[0]), 0);
	dp_handoff_free(m);
	ck_assert_int_eq(dp_handoff_recv(ctx, sv[1], &h), 0);
	return h;
}
