/* SPDX-License-Identifier: MIT */
/*
 * --handoff SOCKET: the devices from a manager instead of opened here, as
 * libvirt and KubeVirt run a VMM that may not open /dev/vfio or /dev/iommu.
 * minivmm listens on SOCKET; the manager (directpath handoff, or its own
 * dp_handoff_open and dp_handoff_send) checks the VM, leases and opens its
 * devices and sends the fds; dp_handoff_recv verifies each one. The VM is
 * the handoff's (its name and devices); its policy check was the manager's,
 * so minivmm runs none, and dp_attach takes the fds (main()). With
 * --hotplug the device the guest asks for comes the same way, as an
 * addition (dp_handoff_open_device, directpath handoff --add).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "minivmm.h"

/* One connection on a new listening socket at path (removed again), or -1 (said why). */
static int accept_one(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int l, c = -1;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "minivmm: --handoff: %s: path too long for a socket\n", path);
		return -1;
	}
	memcpy(sa.sun_path, path, strlen(path) + 1);
	l = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (l < 0 || bind(l, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(l, 1) < 0) {
		fprintf(stderr, "minivmm: --handoff: %s: %s\n", path, strerror(errno));
		if (l >= 0)
			close(l);
		return -1;
	}
	printf("minivmm: waiting for the devices on %s\n", path);
	fflush(stdout);
	do
		c = accept4(l, NULL, NULL, SOCK_CLOEXEC);
	while (c < 0 && errno == EINTR);
	if (c < 0)
		fprintf(stderr, "minivmm: --handoff: %s: accept: %s\n", path, strerror(errno));
	close(l);
	unlink(path);
	return c;
}

int handoff_add(struct dp_ctx *ctx, const char *path, struct dp_attachment *att,
		struct dp_vdev **out)
{
	struct dp_handoff *h = NULL;
	int c = accept_one(path), r;

	if (c < 0)
		return -EIO;
	r = dp_handoff_recv(ctx, c, &h);
	close(c);
	if (r == 0 && !dp_handoff_is_addition(h)) {
		fprintf(stderr, "minivmm: the manager sent a whole VM, not an addition (directpath handoff --add)\n");
		r = -EINVAL;
	}
	if (r == 0)
		r = dp_attachment_add_handoff(att, h, 0, out); /* the library said why when it refuses */
	if (r == 0)
		printf("minivmm: %s from its manager, checked there\n", dp_vdev_get_bdf(*out));
	dp_handoff_free(h); /* what the add did not take */
	return r;
}

int handoff_receive(struct dp_ctx *ctx, const char *path, uint32_t hw_version, uint64_t memory,
		    struct dp_handoff **h_out, struct dp_vm **vm_out, struct dp_policy **policy_out)
{
	struct dp_handoff *h = NULL;
	struct dp_policy *policy = NULL;
	struct dp_vm *vm = NULL;
	int c = accept_one(path), r;

	if (c < 0)
		return -1;
	r = dp_handoff_recv(ctx, c, &h); /* the library said why when it refuses */
	close(c);
	if (r < 0) {
		fprintf(stderr, "minivmm: the manager's handoff is refused: %s\n", strerror(-r));
		return -1;
	}
	r = dp_vm_new(ctx, dp_handoff_get_vm_name(h), &vm);
	if (r == 0)
		r = dp_vm_set_hw_version(vm, hw_version);
	if (r == 0)
		r = dp_vm_set_memory_size(vm, memory);
	for (size_t i = 0; r == 0 && i < dp_handoff_get_device_count(h); i++)
		r = dp_vm_add_device(vm, dp_handoff_get_device_bdf(h, i));
	if (r == 0)
		r = dp_policy_new(ctx, &policy);
	if (r < 0) {
		fprintf(stderr, "minivmm: cannot describe the VM: %s\n", strerror(-r));
		dp_vm_unref(vm);
		dp_handoff_free(h);
		return -1;
	}
	printf("minivmm: VM \"%s\" from its manager: %zu device%s through %s, checked there\n",
	       dp_handoff_get_vm_name(h), dp_handoff_get_device_count(h),
	       dp_handoff_get_device_count(h) == 1 ? "" : "s",
	       dp_backend_name(dp_handoff_get_backend(h)));
	fflush(stdout);
	*h_out = h;
	*vm_out = vm;
	*policy_out = policy;
	return 0;
}
