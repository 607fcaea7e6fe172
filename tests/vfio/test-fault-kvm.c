/* SPDX-License-Identifier: MIT */
/*
 * Fault injection over the KVM direct path and the guest-facing layer, in the
 * guest of tests/vm (edu on vfio-pci, nested KVM): every interposed call
 * (fault.c: ioctl, open, openat, mmap, eventfd) of a VMM's whole sequence
 * fails once in turn with the errno the kernel would give. The sequence:
 * dp_attach with DP_ATTACH_KVM (KVM-VFIO device, memory slot and GSI ranges),
 * a DMA mapping, BAR0 into a memory slot and out, an MSI routed through
 * irqfd, re-routed and unrouted, INTx through irqfd, dp_kvm_map_with_holes
 * (three slots: its rollback), then a dp_vpci over edu as a guest drives it
 * (INTx at creation, BAR0 programmed and decoded into a slot, MSI enabled
 * and disabled), dp_vpci_unref, dp_detach. After each failure: no memory
 * slot, MSI route, irqfd, eventfd, mapping, lease or fd is left, a call that
 * fails leaves the state it found, and a clean run follows. KVM's state is
 * what the VMM side can see: fault.c's log of the ioctls that succeeded, and
 * KVM's own answer to deleting each slot of the ranges (EINVAL when free).
 * White-box (the internal archive): dp_kvm_map_with_holes is internal.
 * DP_FAULT_CALLS=N or N-M fails only those calls (to reproduce one);
 * DP_FAULT_VERBOSE=1 prints each call, the outcome and what was logged.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <directpath/directpath.h>

#include "fault.h"
#include "faultstate.h"
#include "guest.h"
#include "kvm.h"
#include "testlog.h"
#include "testrun.h"

#define SLOT_BASE 1          /* the attachment's memory slots */
#define SLOT_COUNT 8
#define HOLE_SLOT_BASE 16    /* dp_kvm_map_with_holes' own range */
#define HOLE_SLOT_COUNT 4
#define GSI_BASE 32
#define GSI_COUNT 8
#define INTX_GSI 10          /* dp_vdev_route_intx */
#define VPCI_INTX_GSI 11     /* the dp_vpci's INTx */
#define DMA_IOVA 0x100000ULL
#define DMA_SIZE 0x10000ULL
#define BAR_GPA 0xd0000000ULL    /* dp_vdev_map_bar */
#define HOLE_GPA 0xd8000000ULL   /* dp_kvm_map_with_holes */
#define HOLE_SIZE 0x100000ULL
#define VPCI_BAR_GPA 0xe0000000U /* what the guest programs into BAR0 */
#define MSI_ADDRESS 0xfee00000U
#define PCI_COMMAND 0x04
#define PCI_COMMAND_MEMORY 0x2
#define PCI_CAP_ID_MSI 0x05

static struct dp_ctx *ctx;
static struct dp_policy *policy;
static struct dp_vm *vm;
static char edu[DP_GUEST_BDF_MAX];
static int kvm_fd = -1, vm_fd = -1;
static uint8_t *dma_mem, *hole_mem;

/* What a run may leave: the process's and the VM's (faultstate.c). */
#define state dp_fault_state
#define state_get(s) dp_fault_state_get(s, vm_fd)
#define same_state_but dp_fault_state_same_but

static void same_state(const struct state *b, const struct state *a, const char *what)
{
	same_state_but(b, a, what, false);
}

/* The message of a check made while a call n is made to fail. */
static char where[256];

/*
 * A call that makes something is all or nothing: when it fails, the process
 * and the VM are as they were before it. MAKE_KEEPING_MAP: but for the host
 * mapping of a region, which the vdev keeps (dp_vdev_map_region hands the
 * same one out again; dp_vdev_unmap_region or dp_detach remove it).
 */
#define MAKE_(r, call, maps_may_stay)                                   \
	do {                                                            \
		struct state b_, a_;                                    \
		char w_[400];                                           \
		state_get(&b_);                                         \
		(r) = (call);                                           \
		if ((r) < 0) {                                          \
			state_get(&a_);                                 \
			snprintf(w_, sizeof(w_), "%s: %s failing", where, #call); \
			same_state_but(&b_, &a_, w_, maps_may_stay);    \
		}                                                       \
	} while (0)
#define MAKE(r, call) MAKE_(r, call, false)
#define MAKE_KEEPING_MAP(r, call) MAKE_(r, call, true)

static void setup(void)
{
	char bdfs[1][DP_GUEST_BDF_MAX];

	ctx = dp_guest_ctx();
	ck_assert_uint_eq(dp_guest_find_edu(ctx, bdfs, NULL, 1), 1);
	snprintf(edu, sizeof(edu), "%s", bdfs[0]);
	dp_guest_mark(ctx, edu);
	policy = dp_guest_policy(ctx);
	ck_assert_int_eq(dp_vm_new(ctx, "fault-vm", &vm), 0);
	ck_assert_int_eq(dp_vm_set_hw_version(vm, 7), 0);
	ck_assert_int_eq(dp_vm_set_memory(vm, 256ULL << 20, 256ULL << 20), 0);
	ck_assert_int_eq(dp_vm_add_device(vm, edu), 0);
	/* One VM for every run: what a run leaves in it, the next one meets. */
	kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	ck_assert_int_ge(kvm_fd, 0);
	vm_fd = ioctl(kvm_fd, KVM_CREATE_VM, 0);
	ck_assert_int_ge(vm_fd, 0);
	ck_assert_int_eq(ioctl(vm_fd, KVM_CREATE_IRQCHIP, 0), 0);
	dp_fault_kvm_reset();
	dma_mem = mmap(NULL, DMA_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	hole_mem = mmap(NULL, HOLE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ck_assert(dma_mem != MAP_FAILED && hole_mem != MAP_FAILED);
}

static void teardown(void)
{
	munmap(dma_mem, DMA_SIZE);
	munmap(hole_mem, HOLE_SIZE);
	close(vm_fd);
	close(kvm_fd);
	vm = dp_vm_unref(vm);
	policy = dp_policy_unref(policy);
	ctx = dp_ctx_unref(ctx);
}

/* BAR0 into a memory slot and out again; then its host mapping goes. */
static int step_bar(struct dp_vdev *v)
{
	int r;

	MAKE_KEEPING_MAP(r, dp_vdev_map_bar(v, 0, BAR_GPA));
	if (r < 0)
		return r;
	r = dp_vdev_unmap_bar(v, 0);
	if (r < 0)
		return r;
	return dp_vdev_unmap_region(v, DP_REGION_BAR0);
}

/* The MSI through irqfd: routed, re-routed by the guest, unrouted. */
static int step_msi(struct dp_vdev *v, bool clean)
{
	int r;

	MAKE(r, dp_vdev_route_msi(v, DP_IRQ_MSI, 0, MSI_ADDRESS, 0x41));
	if (r < 0)
		return r;
	if (clean) {
		ck_assert_uint_eq(dp_fault_kvm_msi_routes(vm_fd, GSI_BASE, GSI_COUNT), 1);
		ck_assert_uint_eq(dp_fault_kvm_irqfds(vm_fd, NULL), 1);
	}
	MAKE(r, dp_vdev_route_msi(v, DP_IRQ_MSI, 0, MSI_ADDRESS, 0x42));
	if (r < 0)
		return r;
	return dp_vdev_unroute_msi(v, DP_IRQ_MSI, 0);
}

static int step_intx(struct dp_vdev *v)
{
	int r;

	MAKE(r, dp_vdev_route_intx(v, INTX_GSI));
	if (r < 0)
		return r;
	return dp_vdev_unroute_intx(v);
}

/* Three slots around two holes, all or nothing: a failure halfway rolls back. */
static int step_holes(bool clean)
{
	const struct dp_kvm_hole holes[2] = { { 0x1000, 0x2000 }, { 0x80000, 0x80800 } };
	uint32_t slots[3];
	struct dp_kvm k;
	size_t n = 0;
	int r;

	r = dp_kvm_init(&k, ctx, vm_fd, HOLE_SLOT_BASE, HOLE_SLOT_COUNT);
	if (r < 0)
		return r;
	MAKE(r, dp_kvm_map_with_holes(&k, HOLE_GPA, hole_mem, HOLE_SIZE, holes, 2, slots, &n));
	/* Before dp_kvm_fini, which would delete what the rollback forgot. */
	ck_assert_msg(r == 0 || dp_fault_kvm_slots(vm_fd, HOLE_SLOT_BASE, HOLE_SLOT_COUNT) == 0,
		      "%s: dp_kvm_map_with_holes failed and left %u slots", where,
		      dp_fault_kvm_slots(vm_fd, HOLE_SLOT_BASE, HOLE_SLOT_COUNT));
	if (clean) {
		ck_assert_uint_eq(n, 3);
		ck_assert_uint_eq(dp_fault_kvm_slots(vm_fd, HOLE_SLOT_BASE, HOLE_SLOT_COUNT), 3);
	}
	for (size_t i = n; r == 0 && i-- > 0;)
		r = dp_kvm_slot_unmap(&k, slots[i]);
	dp_kvm_fini(&k);
	return r;
}

/* The guest-facing function over edu, driven as a guest would. */
static int step_vpci(struct dp_vdev *v, bool clean)
{
	DP_OPTS(dp_vpci_opts, o, .flags = DP_VPCI_INTX, .intx_gsi = VPCI_INTX_GSI);
	DP_OPTS_NONE(dp_vpci_bar_info, bi);
	uint32_t bar = VPCI_BAR_GPA, addr = MSI_ADDRESS, hi = 0, data = 0x51, changed = 0;
	uint16_t cmd = PCI_COMMAND_MEMORY, ctrl;
	struct dp_vpci *f = NULL;
	uint8_t pos = 0, id = 0;
	int r;

	MAKE(r, dp_vpci_new(v, &o, &f));
	if (r < 0)
		return r;
	if (clean)
		ck_assert_uint_eq(dp_fault_kvm_irqfds(vm_fd, NULL), 1); /* INTx, resampled */
	/* The MSI capability, through the guest's view. */
	ck_assert_int_eq(dp_vpci_config_read(f, 0x34, &pos, 1), 0);
	for (int i = 0; pos && i < 48; i++) {
		ck_assert_int_eq(dp_vpci_config_read(f, pos, &id, 1), 0);
		if (id == PCI_CAP_ID_MSI)
			break;
		ck_assert_int_eq(dp_vpci_config_read(f, pos + 1u, &pos, 1), 0);
	}
	ck_assert_uint_eq(id, PCI_CAP_ID_MSI);
	ck_assert_int_eq(dp_vpci_config_read(f, pos + 2u, &ctrl, 2), 0);
	ck_assert(ctrl & 0x80); /* edu's MSI is 64-bit */
	/* BAR0 programmed, then memory decode: the BAR goes into a memory slot. */
	r = dp_vpci_config_write(f, 0x10, &bar, 4, &changed);
	if (r == 0)
		MAKE(r, dp_vpci_config_write(f, PCI_COMMAND, &cmd, 2, &changed));
	if (r == 0) {
		ck_assert_int_eq(dp_vpci_get_bar_info(f, 0, &bi), 0);
		/* Not asserted (the spec is silent): a BAR that does not decode after a write that succeeded. */
		if (!(bi.flags & DP_VPCI_BAR_PLACED))
			fprintf(stderr, "# %s: the command write succeeded, BAR0 is not placed (flags %#x)\n",
				where, bi.flags);
		if (clean) {
			ck_assert_uint_eq(changed, 1);
			ck_assert_uint_eq(bi.flags & (DP_VPCI_BAR_PLACED | DP_VPCI_BAR_DIRECT),
					  DP_VPCI_BAR_PLACED | DP_VPCI_BAR_DIRECT);
			ck_assert_uint_eq(dp_fault_kvm_slots(vm_fd, SLOT_BASE, SLOT_COUNT), 1);
		}
	}
	/* MSI: the message, then enable (routes, irqfd, VFIO's MSI index), then disable. */
	if (r == 0)
		r = dp_vpci_config_write(f, pos + 4u, &addr, 4, NULL);
	if (r == 0)
		r = dp_vpci_config_write(f, pos + 8u, &hi, 4, NULL);
	if (r == 0)
		r = dp_vpci_config_write(f, pos + 12u, &data, 2, NULL);
	if (r == 0) {
		ctrl = 1;
		MAKE(r, dp_vpci_config_write(f, pos + 2u, &ctrl, 2, NULL));
		if (clean) {
			ck_assert_uint_eq(dp_fault_kvm_msi_routes(vm_fd, GSI_BASE, GSI_COUNT), 1);
			ck_assert_uint_eq(dp_fault_kvm_irqfds(vm_fd, NULL), 2);
		}
	}
	if (r == 0) {
		ctrl = 0;
		r = dp_vpci_config_write(f, pos + 2u, &ctrl, 2, NULL);
		if (clean) {
			ck_assert_uint_eq(dp_fault_kvm_msi_routes(vm_fd, GSI_BASE, GSI_COUNT), 0);
			ck_assert_uint_eq(dp_fault_kvm_irqfds(vm_fd, NULL), 1);
		}
	}
	dp_vpci_unref(f); /* its slot, its INTx irqfd */
	return r;
}

/*
 * The whole sequence; a VMM's handling of a failure: stop, and undo with the
 * library's calls (dp_vpci_unref, dp_detach). clean: assert what each step made.
 */
static int run_once(bool clean)
{
	DP_OPTS(dp_attach_opts, o, .flags = DP_ATTACH_KVM, .kvm_vm_fd = vm_fd,
		.memslot_base = SLOT_BASE, .memslot_count = SLOT_COUNT, .gsi_base = GSI_BASE,
		.gsi_count = GSI_COUNT);
	struct dp_attachment *att = NULL;
	struct dp_vdev *v;
	int r;

	MAKE(r, dp_attach(policy, vm, &o, &att));
	if (r < 0)
		return r;
	v = dp_attachment_get_vdev(att, 0);
	MAKE(r, dp_dma_map(att, DMA_IOVA, dma_mem, DMA_SIZE));
	if (r == 0)
		r = step_bar(v);
	if (r == 0)
		r = step_msi(v, clean);
	if (r == 0)
		r = step_intx(v);
	if (r == 0)
		r = step_holes(clean);
	if (r == 0)
		r = step_vpci(v, clean);
	dp_detach(att);
	return r;
}

/* What KVM itself says: deleting a free slot is EINVAL (Linux 6.1), a used one succeeds. */
static void kvm_slots_free(uint32_t base, uint32_t count)
{
	for (uint32_t s = base; s < base + count; s++) {
		struct kvm_userspace_memory_region m = { .slot = s };
		int r = ioctl(vm_fd, KVM_SET_USER_MEMORY_REGION, &m);

		ck_assert_msg(r < 0 && errno == EINVAL, "%s: KVM still had memory slot %u", where, s);
	}
}

/*
 * Nothing of a run is left: the process's state, the VM's, the lease.
 * deassign_failed: the failed call was a KVM_IRQFD deassign, after which the
 * library can only close the eventfd (KVM then drops the irqfd itself).
 */
static void check_clean(const struct state *base, bool deassign_failed)
{
	unsigned closed = dp_fault_kvm_irqfds_closed();
	char lease[96];
	struct state now;
	uint32_t gsi = 0;

	ck_assert_msg(closed <= (deassign_failed ? 1u : 0u),
		      "%s: %u eventfds closed with their irqfd still assigned", where, closed);
	state_get(&now);
	ck_assert_msg(dp_fault_kvm_slots(vm_fd, 0, UINT32_MAX) == 0, "%s: %u memory slots left",
		      where, dp_fault_kvm_slots(vm_fd, 0, UINT32_MAX));
	ck_assert_msg(dp_fault_kvm_irqfds(vm_fd, &gsi) == 0, "%s: %u irqfds left (GSI %u)", where,
		      dp_fault_kvm_irqfds(vm_fd, NULL), gsi);
	ck_assert_msg(dp_fault_kvm_msi_routes(vm_fd, GSI_BASE, GSI_COUNT) == 0,
		      "%s: the last routing table has %u MSI routes of the library's", where,
		      dp_fault_kvm_msi_routes(vm_fd, GSI_BASE, GSI_COUNT));
	same_state(base, &now, where);
	kvm_slots_free(SLOT_BASE, SLOT_COUNT);
	kvm_slots_free(HOLE_SLOT_BASE, HOLE_SLOT_COUNT);
	snprintf(lease, sizeof(lease), "/tmp/dp-run/lease-%s", edu);
	ck_assert_msg(access(lease, F_OK) != 0, "%s: the lease is left", where);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Which calls the loop made fail, by name (the ioctl and what it did). */
static struct {
	char name[64];
	int count, returned, logged;
} seen[64];
static int n_seen;

static void count_seen(const char *name, int r, bool logged)
{
	char key[64];
	int i;

	snprintf(key, sizeof(key), "%s", name);
	key[strcspn(key, "(")] = '\0'; /* "ioctl KVM_IRQFD (assign GSI 32)" -> "ioctl KVM_IRQFD " */
	for (i = 0; i < n_seen && strcmp(seen[i].name, key); i++)
		;
	if (i == n_seen && n_seen < 64)
		snprintf(seen[n_seen++].name, sizeof(seen[0].name), "%s", key);
	if (i < 64) {
		seen[i].count++;
		seen[i].returned += r < 0;
		seen[i].logged += logged;
	}
}

/* DP_FAULT_VERBOSE: the call, what the run returned, and what the library logged. */
static void print_call(long n, const char *name, int r, bool logged)
{
	const char *p = dp_test_log_all();

	fprintf(stderr, "# call %3ld: %-60s %-8s -> %s%s\n", n, name,
		strerrorname_np(dp_fault_failed_errno()), r < 0 ? strerror(-r) : "success",
		logged ? ", logged" : "");
	while (*p) {
		size_t len = strcspn(p, "\n");

		if (p[0] == '<' && p[1] >= '0' && p[1] <= '0' + LOG_WARNING)
			fprintf(stderr, "#     %.*s\n", (int)len, p);
		p += len + (p[len] == '\n');
	}
}

START_TEST(every_kvm_and_guest_facing_call_failing_once_leaves_nothing_behind)
{
	const char *only = getenv("DP_FAULT_CALLS"); /* "N" or "N-M": to reproduce one */
	struct state base;
	long total, first = 1, last = 0, failed = 0, kvm_calls = 0;
	double t0 = now_s();

	state_get(&base);
	snprintf(where, sizeof(where), "the counting run");
	dp_fault_arm(0, 0);
	ck_assert_int_eq(run_once(true), 0);
	total = dp_fault_disarm();
	check_clean(&base, false);
	ck_assert_int_gt(total, 50);
	if (only && sscanf(only, "%ld-%ld", &first, &last) == 1)
		last = first;
	if (last <= 0 || last > total)
		last = total;
	for (long n = first; n <= last; n++) {
		bool kvm_call, logged;
		const char *name;
		int r;

		snprintf(where, sizeof(where), "call %ld of %ld failing", n, total);
		dp_test_log_reset();
		dp_test_log_expect_err();
		dp_fault_arm(n, DP_FAULT_PLAUSIBLE);
		r = run_once(false);
		dp_fault_disarm();
		dp_test_log_expect_end();
		name = dp_fault_failed_name();
		ck_assert_msg(name[0], "%s: the run made fewer calls than the counting run", where);
		snprintf(where, sizeof(where), "call %ld of %ld (%s, %s) failing", n, total, name,
			 strerror(dp_fault_failed_errno()));
		logged = dp_test_warned();
		count_seen(name, r, logged);
		if (getenv("DP_FAULT_VERBOSE"))
			print_call(n, name, r, logged);
		failed += r < 0;
		/*
		 * A KVM call or an eventfd that fails is never swallowed: an error, or a
		 * log line. (The host capabilities' KVM_GET_API_VERSION is a probe.)
		 */
		kvm_call = (strstr(name, "KVM_") && !strstr(name, "KVM_GET_API_VERSION")) ||
			   strcmp(name, "eventfd") == 0;
		kvm_calls += kvm_call;
		ck_assert_msg(!kvm_call || r < 0 || logged, "%s: silently", where);
		check_clean(&base, strstr(name, "KVM_IRQFD (deassign") != NULL);
		/* Nothing half-done: the same VM runs the whole sequence again at once. */
		ck_assert_msg(run_once(true) == 0, "%s: the clean run after it failed", where);
		snprintf(where, sizeof(where), "the clean run after call %ld of %ld", n, total);
		check_clean(&base, false);
	}
	fprintf(stderr, "# %ld calls, %ld of them KVM ioctls or eventfds; %ld runs failed; %.1f s\n",
		total, kvm_calls, failed, now_s() - t0);
	for (int i = 0; i < n_seen; i++)
		fprintf(stderr, "#   %-34s failed %3d times: returned an error %3d, logged %3d\n",
			seen[i].name, seen[i].count, seen[i].returned, seen[i].logged);
	ck_assert(only || kvm_calls > 20);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("fault-kvm");
	TCase *tc = tcase_create("fault-kvm");

	dp_guest_require_vfio();
	dp_guest_require_kvm();
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 600);
	tcase_add_test(tc, every_kvm_and_guest_facing_call_failing_once_leaves_nothing_behind);
	suite_add_tcase(s, tc);
	return dp_test_run(s);
}
