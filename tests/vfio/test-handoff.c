/* SPDX-License-Identifier: MIT */
/*
 * File descriptors from a manager on the real kernel (tests/vm topology two,
 * --bind none; argv[1]: type1 in Debian's 6.1 guest, iommufd in the 6.12
 * one). The manager (root) passes the gate and opens both edu's nodes with
 * dp_handoff_open; a child that dropped every capability, set
 * NO_NEW_PRIVS and became uid/gid 65534 cannot open the groups'
 * /dev/vfio/N (nor /dev/iommu and /dev/vfio/devices/vfioN) itself,
 * receives the fds over a socketpair, attaches through them, DMAs a buffer
 * to each edu and back, and detaches with no fd left.
 * Then the devices are free again: their leases are not held, and root
 * attaches them as usual. Then hot add the same way: the child attached
 * with the first edu through a handoff receives the second as an addition
 * (dp_handoff_open_device), hot adds it (dp_attachment_add_handoff), DMAs
 * through it, removes it and detaches, with nothing left.
 * White-box: the internal archive, for dp_lease_query.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <syslog.h>
#include <unistd.h>

#include <directpath/directpath.h>

#include "guest.h"
#include "leases.h"
#include "testlog.h"
#include "testrun.h"

#define NOBODY 65534
#define VM_NAME "handed-over"
#define BUF_SIZE (64u << 10) /* far below the child's 8 MiB RLIMIT_MEMLOCK */
#define IOVA 0x200000

static uint32_t backend = DP_BACKEND_TYPE1;
static unsigned child_errors;

/* The child's log: on stderr (stdout is TAP), errors counted. */
static void child_log(struct dp_ctx *ctx, int priority, const char *file, int line, const char *fn,
		      const char *format, va_list args, void *userdata) DP_PRINTF(6, 0);
static void child_log(struct dp_ctx *ctx, int priority, const char *file, int line, const char *fn,
		      const char *format, va_list args, void *userdata)
{
	(void)ctx, (void)file, (void)line, (void)fn, (void)userdata;
	if (priority <= LOG_ERR)
		child_errors++;
	fprintf(stderr, "vmm[%d]: ", priority);
	vfprintf(stderr, format, args);
	fputc('\n', stderr);
}

#define CHILD_CHECK(cond, ...)                                                 \
	do {                                                                   \
		if (!(cond)) {                                                 \
			fprintf(stderr, "vmm: %s:%d: %s: ", __FILE__, __LINE__, #cond); \
			fprintf(stderr, __VA_ARGS__);                          \
			fputc('\n', stderr);                                   \
			_exit(1);                                              \
		}                                                              \
	} while (0)

static int count_fds(void)
{
	return dp_test_count_fds();
}

/* Every capability gone for good, no privilege to gain, and uid/gid 65534. */
static void drop_everything(void)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2];

	CHILD_CHECK(prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0, "%s", strerror(errno));
	CHILD_CHECK(prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) == 0, "%s",
		    strerror(errno));
	CHILD_CHECK(setgroups(0, NULL) == 0, "%s", strerror(errno));
	CHILD_CHECK(setresgid(NOBODY, NOBODY, NOBODY) == 0, "%s", strerror(errno));
	CHILD_CHECK(setresuid(NOBODY, NOBODY, NOBODY) == 0, "%s", strerror(errno));
	memset(d, 0, sizeof(d));
	CHILD_CHECK(syscall(SYS_capset, &h, d) == 0, "capset: %s", strerror(errno));
	CHILD_CHECK(syscall(SYS_capget, &h, d) == 0, "capget: %s", strerror(errno));
	CHILD_CHECK(!d[0].effective && !d[0].permitted && !d[0].inheritable && !d[1].effective &&
		    !d[1].permitted && !d[1].inheritable, "capabilities left");
	CHILD_CHECK(geteuid() == NOBODY && getegid() == NOBODY, "still root");
}

/* The nodes the manager opened are closed to this process. */
static void cannot_open(const char *path)
{
	int fd = open(path, O_RDWR | O_CLOEXEC);

	CHILD_CHECK(fd < 0 && errno == EACCES, "%s: opened, or %s instead of EACCES", path,
		    fd < 0 ? strerror(errno) : "no error");
}

/* The VMM's context, its log on stderr. */
static struct dp_ctx *vmm_ctx(void)
{
	DP_OPTS(dp_ctx_opts, o, .log_fn = child_log, .driverctl_dir = "/tmp/dp-driverctl",
		.run_dir = "/tmp/dp-run", .config_dir = "/tmp/dp-etc", .data_dir = "/nonexistent");
	struct dp_ctx *ctx;

	CHILD_CHECK(dp_ctx_new(&o, &ctx) == 0, "dp_ctx_new");
	dp_ctx_set_log_priority(ctx, LOG_INFO);
	return ctx;
}

/* The VMM's end: nothing left open, nothing logged as an error; exits 0. */
static void vmm_done(int before, struct dp_policy *policy, struct dp_vm *vm, struct dp_ctx *ctx,
		     uint8_t *buf)
{
	CHILD_CHECK(count_fds() == before, "%d fds left open", count_fds() - before);
	CHILD_CHECK(child_errors == 0, "%u errors logged", child_errors);
	dp_policy_unref(policy);
	dp_vm_unref(vm);
	dp_ctx_unref(ctx);
	munmap(buf, BUF_SIZE);
	_exit(0);
}

/* The manager's VM: its name and settings, no devices yet. */
static struct dp_vm *manager_vm(struct dp_ctx *ctx)
{
	struct dp_vm *vm;

	ck_assert_int_eq(dp_vm_new(ctx, VM_NAME, &vm), 0);
	dp_vm_set_hw_version(vm, 7);
	dp_vm_set_memory(vm, 64 << 20, 64 << 20);
	return vm;
}

/* The VMM's exit: 0, or its stderr says why. */
static void vmm_passed(pid_t pid)
{
	int status = -1;

	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		      "the VMM failed (status %#x): its stderr says why", status);
}

/* The VMM: receives, attaches, DMAs through each edu, detaches. */
static void vmm(int sock, char (*bdfs)[DP_GUEST_BDF_MAX], const int *groups, size_t n)
{
	DP_OPTS(dp_attach_opts, ao, .backend = DP_BACKEND_AUTO);
	struct dp_attachment *att = NULL;
	struct dp_handoff *h = NULL;
	struct dp_policy *policy;
	struct dp_ctx *ctx;
	struct dp_vm *vm;
	uint8_t *buf;
	char path[64];
	int before, r;

	drop_everything();
	/* /dev/vfio/vfio is 0666 (a container with no group reaches nothing); groups are root's. */
	for (size_t i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "/dev/vfio/%d", groups[i]);
		cannot_open(path);
	}
	if (access("/dev/iommu", F_OK) == 0)
		cannot_open("/dev/iommu");
	if (access("/dev/vfio/devices/vfio0", F_OK) == 0)
		cannot_open("/dev/vfio/devices/vfio0");
	ctx = vmm_ctx();
	before = count_fds();
	r = dp_handoff_recv(ctx, sock, &h);
	CHILD_CHECK(r == 0, "dp_handoff_recv: %s", strerror(-r));
	CHILD_CHECK(dp_handoff_get_backend(h) == backend, "backend %u",
		    dp_handoff_get_backend(h));
	CHILD_CHECK(strcmp(dp_handoff_get_vm_name(h), VM_NAME) == 0, "VM %s",
		    dp_handoff_get_vm_name(h));
	CHILD_CHECK(dp_handoff_get_device_count(h) == n, "%zu devices",
		    dp_handoff_get_device_count(h));
	CHILD_CHECK(dp_vm_new(ctx, VM_NAME, &vm) == 0, "dp_vm_new");
	for (size_t i = 0; i < n; i++) {
		CHILD_CHECK(strcmp(dp_handoff_get_device_bdf(h, i), bdfs[i]) == 0, "device %zu", i);
		CHILD_CHECK(dp_vm_add_device(vm, bdfs[i]) == 0, "dp_vm_add_device");
	}
	CHILD_CHECK(dp_policy_new(ctx, &policy) == 0, "dp_policy_new");
	ao.handoff = h;
	r = dp_attach(policy, vm, &ao, &att);
	CHILD_CHECK(r == 0, "dp_attach through the handoff: %s", strerror(-r));
	CHILD_CHECK(dp_attachment_get_backend(att, NULL) == backend, "attached through %u",
		    dp_attachment_get_backend(att, NULL));
	buf = mmap(NULL, BUF_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHILD_CHECK(buf != MAP_FAILED, "mmap");
	r = dp_dma_map(att, IOVA, buf, BUF_SIZE);
	CHILD_CHECK(r == 0, "dp_dma_map: %s", strerror(-r));
	for (size_t i = 0; i < n; i++) {
		for (uint32_t k = 0; k < 256; k++)
			buf[k] = (uint8_t)(k * 7 + i);
		dp_guest_edu_round_trip(dp_attachment_get_vdev(att, i), IOVA, buf, IOVA + 0x1000,
					buf + 0x1000, 256);
		fprintf(stderr, "vmm: %s: DMA round trip through the handed-over fds\n", bdfs[i]);
	}
	CHILD_CHECK(dp_dma_unmap(att, IOVA, BUF_SIZE) == 0, "dp_dma_unmap");
	dp_detach(att);
	dp_handoff_free(h);
	vmm_done(before, policy, vm, ctx, buf);
}

/* The VMM attached with bdfs[0] through one handoff, then given bdfs[1] as an addition. */
static void vmm_add(int sock, char (*bdfs)[DP_GUEST_BDF_MAX])
{
	DP_OPTS(dp_attach_opts, ao, .backend = DP_BACKEND_AUTO);
	struct dp_attachment *att = NULL;
	struct dp_handoff *h = NULL;
	struct dp_policy *policy;
	struct dp_vdev *v = NULL;
	struct dp_ctx *ctx;
	struct dp_vm *vm;
	uint8_t *buf;
	int before, r;

	drop_everything();
	ctx = vmm_ctx();
	before = count_fds();
	CHILD_CHECK(dp_vm_new(ctx, VM_NAME, &vm) == 0 && dp_vm_add_device(vm, bdfs[0]) == 0, "vm");
	CHILD_CHECK(dp_policy_new(ctx, &policy) == 0, "dp_policy_new");
	r = dp_handoff_recv(ctx, sock, &h);
	CHILD_CHECK(r == 0 && !dp_handoff_is_addition(h), "dp_handoff_recv: %s", strerror(-r));
	ao.handoff = h;
	r = dp_attach(policy, vm, &ao, &att);
	CHILD_CHECK(r == 0, "dp_attach through the handoff: %s", strerror(-r));
	h = dp_handoff_free(h);
	r = dp_handoff_recv(ctx, sock, &h);
	CHILD_CHECK(r == 0, "dp_handoff_recv of the addition: %s", strerror(-r));
	CHILD_CHECK(dp_handoff_is_addition(h) && dp_handoff_get_device_count(h) == 1 &&
		    strcmp(dp_handoff_get_device_bdf(h, 0), bdfs[1]) == 0 &&
		    dp_handoff_get_fd_count(h) == 2, "not the addition of %s", bdfs[1]);
	r = dp_attachment_add_handoff(att, h, 0, &v);
	CHILD_CHECK(r == 0, "dp_attachment_add_handoff: %s", strerror(-r));
	h = dp_handoff_free(h);
	CHILD_CHECK(dp_attachment_get_vdev_count(att) == 2 && dp_attachment_get_vdev(att, 1) == v,
		    "the added device is not the attachment's second");
	CHILD_CHECK(dp_vm_get_device_count(vm) == 2, "the VM lists %zu devices",
		    dp_vm_get_device_count(vm));
	buf = mmap(NULL, BUF_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHILD_CHECK(buf != MAP_FAILED, "mmap");
	r = dp_dma_map(att, IOVA, buf, BUF_SIZE);
	CHILD_CHECK(r == 0, "dp_dma_map: %s", strerror(-r));
	for (uint32_t k = 0; k < 256; k++)
		buf[k] = (uint8_t)(k * 11 + 3);
	dp_guest_edu_round_trip(v, IOVA, buf, IOVA + 0x1000, buf + 0x1000, 256);
	fprintf(stderr, "vmm: %s: DMA round trip through the hot added fds\n", bdfs[1]);
	CHILD_CHECK(dp_dma_unmap(att, IOVA, BUF_SIZE) == 0, "dp_dma_unmap");
	r = dp_attachment_remove_device(att, v, 0);
	CHILD_CHECK(r == 0, "dp_attachment_remove_device: %s", strerror(-r));
	CHILD_CHECK(dp_attachment_get_vdev_count(att) == 1, "still %zu devices",
		    dp_attachment_get_vdev_count(att));
	dp_detach(att);
	vmm_done(before, policy, vm, ctx, buf);
}

START_TEST(hot_add_through_a_handoff)
{
	char bdfs[3][DP_GUEST_BDF_MAX];
	int groups[3], sv[2];
	struct dp_ctx *ctx = dp_guest_ctx();
	struct dp_policy *policy = dp_guest_policy(ctx);
	DP_OPTS(dp_handoff_opts, ho, .backend = backend);
	struct dp_attachment *att = NULL;
	struct dp_handoff *h = NULL;
	struct dp_vm *vm, *both;
	size_t n = dp_guest_find_edu(ctx, bdfs, groups, 3);
	pid_t pid;

	ck_assert_uint_eq(n, 2);
	vm = manager_vm(ctx);
	for (size_t i = 0; i < n; i++)
		dp_guest_mark(ctx, bdfs[i]);
	ck_assert_int_eq(dp_vm_add_device(vm, bdfs[0]), 0);
	ck_assert_int_eq(dp_handoff_open(policy, vm, &ho, &h), 0);
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
	fflush(NULL);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		close(sv[0]);
		vmm_add(sv[1], bdfs);
	}
	close(sv[1]);
	ck_assert_int_eq(dp_handoff_send(h, sv[0]), 0);
	h = dp_handoff_free(h);
	/* The addition: checked with the VM's device (leased by the VMM: not held against it). */
	ck_assert_int_eq(DP_TEST_EXPECT_ERR(dp_handoff_open_device(policy, vm, bdfs[0], &ho, &h),
					    "is attached already"), -EEXIST);
	ck_assert_int_eq(dp_handoff_open_device(policy, vm, bdfs[1], &ho, &h), 0);
	ck_assert_int_eq(dp_handoff_is_addition(h), 1);
	ck_assert_uint_eq(dp_handoff_get_fd_count(h), 2); /* its group or node, its lease */
	ck_assert_int_eq(dp_lease_query(ctx, bdfs[1], NULL, 0, NULL), 1);
	ck_assert_int_eq(dp_handoff_send(h, sv[0]), 0);
	close(sv[0]);
	fprintf(stderr, "manager sent the addition:\n%s", dp_handoff_get_description(h));
	h = dp_handoff_free(h);
	vmm_passed(pid);
	for (size_t i = 0; i < n; i++)
		ck_assert_int_eq(dp_lease_query(ctx, bdfs[i], NULL, 0, NULL), 0);
	both = manager_vm(ctx);
	for (size_t i = 0; i < n; i++)
		ck_assert_int_eq(dp_vm_add_device(both, bdfs[i]), 0);
	ck_assert_int_eq(dp_attach(policy, both, NULL, &att), 0);
	dp_detach(att);
	dp_vm_unref(both);
	dp_vm_unref(vm);
	dp_policy_unref(policy);
	dp_ctx_unref(ctx);
}
END_TEST

START_TEST(handoff_to_an_unprivileged_vmm)
{
	char bdfs[3][DP_GUEST_BDF_MAX];
	int groups[3], sv[2];
	struct dp_ctx *ctx = dp_guest_ctx();
	struct dp_policy *policy = dp_guest_policy(ctx);
	DP_OPTS(dp_handoff_opts, ho, .backend = backend);
	struct dp_attachment *att = NULL;
	struct dp_handoff *h = NULL;
	struct dp_vm *vm;
	size_t n = dp_guest_find_edu(ctx, bdfs, groups, 3);
	pid_t pid;

	ck_assert_uint_eq(n, 2);
	vm = manager_vm(ctx);
	for (size_t i = 0; i < n; i++) {
		dp_guest_mark(ctx, bdfs[i]);
		ck_assert_int_eq(dp_vm_add_device(vm, bdfs[i]), 0);
	}
	ck_assert_int_eq(dp_handoff_open(policy, vm, &ho, &h), 0);
	ck_assert_uint_eq(dp_handoff_get_backend(h), backend);
	ck_assert_uint_eq(dp_handoff_get_fd_count(h), 5); /* two groups or devices, two leases */
	ck_assert_int_eq(dp_lease_query(ctx, bdfs[0], NULL, 0, NULL), 1);
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
	fflush(NULL);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		close(sv[0]);
		vmm(sv[1], bdfs, groups, n);
	}
	close(sv[1]);
	ck_assert_int_eq(dp_handoff_send(h, sv[0]), 0);
	close(sv[0]);
	fprintf(stderr, "manager sent:\n%s", dp_handoff_get_description(h));
	h = dp_handoff_free(h); /* the VMM holds the fds and the leases now */
	vmm_passed(pid);
	/* Nothing left: the leases are free, the groups and devices open again. */
	for (size_t i = 0; i < n; i++)
		ck_assert_int_eq(dp_lease_query(ctx, bdfs[i], NULL, 0, NULL), 0);
	ck_assert_int_eq(dp_attach(policy, vm, NULL, &att), 0);
	dp_detach(att);
	dp_vm_unref(vm);
	dp_policy_unref(policy);
	dp_ctx_unref(ctx);
}
END_TEST

int main(int argc, char **argv)
{
	Suite *s = suite_create("handoff");
	TCase *tc = tcase_create("handoff");

	dp_guest_require_vfio();
	if (argc > 1 && dp_backend_from_name(argv[1], &backend) < 0) {
		fprintf(stderr, "usage: test-handoff [type1|iommufd]\n");
		return 2;
	}
	if (backend == DP_BACKEND_IOMMUFD && access("/dev/iommu", F_OK) != 0) {
		printf("1..0 # SKIP no /dev/iommu: run with run-in-guest --kernel iommufd\n");
		return 0;
	}
	tcase_set_timeout(tc, 200);
	tcase_add_test(tc, handoff_to_an_unprivileged_vmm);
	tcase_add_test(tc, hot_add_through_a_handoff);
	suite_add_tcase(s, tc);
	return dp_test_run(s);
}
