/* SPDX-License-Identifier: MIT */
/*
 * The plan of dp_policy_check (dp_report_get_plan(3)) and its rules
 * mmio_window (finding 36) and memlock (finding 37) on a synthetic host
 * whose functions have BARs of known sizes: exact space with alignment,
 * the findings at their boundaries (fits exactly, one step short), memlock
 * in a forked child with a lowered RLIMIT_MEMLOCK and without
 * CAP_IPC_LOCK, and the dma-costs file present, absent and garbled.
 */
#include <check.h>
#include <errno.h>
#include <json-c/json.h>
#include <limits.h>
#include <linux/capability.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <syslog.h>
#include <unistd.h>

#include <directpath/directpath.h>

#include "fakesys.h"
#include "testlog.h"
#include "testrun.h"

#define KiB (UINT64_C(1) << 10)
#define MiB (UINT64_C(1) << 20)
#define GiB (UINT64_C(1) << 30)

#define THREE "0000:02:00.0" /* 32-bit BARs of 64 MiB, 1 MiB, 16 KiB, and 256 bytes of I/O */
#define GPU "0000:03:00.0"   /* 64-bit prefetchable 8 GiB, 64-bit 16 KiB, ROM 64 KiB */
#define EDU "0000:04:00.0"   /* 1 MiB, as QEMU's edu */
#define NVME "0000:05:00.0"  /* 64-bit non-prefetchable 16 KiB, as QEMU's NVMe */

/* THREE alone, placed top-down from 0xfc000000 after the 256 MiB ECAM: lowest at 0xdbefc000. */
#define THREE_HOLE UINT64_C(0xdbe00000) /* 3518 MiB */

static struct dp_fakesys *fs;
static struct dp_ctx *ctx;
static struct dp_policy *policy;
static struct dp_vm *vm;
static struct dp_report *rep;

static void world_new(void)
{
	const struct dp_fake_host host = { .iommu = DP_FAKE_IOMMU_INTEL, .irq_remap = true,
					   .vfio_pci = true, .vfio_type1 = true };
	const struct dp_fake_dev devs[] = {
		{ .bdf = THREE, .vendor = 0x8086, .device = 0x1533, .class_code = 0x020000,
		  .group = 2, .driver = "vfio-pci", .caps = DP_FAKE_CAP_PCIE | DP_FAKE_CAP_FLR,
		  .bars = { { 64 * MiB, 0 }, { 1 * MiB, 0 }, { 16 * KiB, 0 }, { 256, DP_FAKE_BAR_IO } } },
		{ .bdf = GPU, .vendor = 0x10de, .device = 0x1eb8, .class_code = 0x030200,
		  .group = 3, .driver = "vfio-pci", .caps = DP_FAKE_CAP_PCIE | DP_FAKE_CAP_FLR,
		  .bars = { { 8 * GiB, DP_FAKE_BAR_MEM64 | DP_FAKE_BAR_PREFETCH }, { 0, 0 },
			    { 16 * KiB, DP_FAKE_BAR_MEM64 } },
		  .rom_size = 64 * KiB },
		{ .bdf = EDU, .vendor = 0x1234, .device = 0x11e8, .class_code = 0x00ff00,
		  .group = 4, .driver = "vfio-pci", .caps = DP_FAKE_CAP_PCIE | DP_FAKE_CAP_FLR,
		  .bars = { { 1 * MiB, 0 } } },
		{ .bdf = NVME, .vendor = 0x1b36, .device = 0x0010, .class_code = 0x010802,
		  .group = 5, .driver = "vfio-pci", .caps = DP_FAKE_CAP_PCIE | DP_FAKE_CAP_FLR,
		  .bars = { { 16 * KiB, DP_FAKE_BAR_MEM64 } } },
	};
	struct dp_ctx_opts o = { .sz = sizeof(o), .log_fn = dp_test_log_fn, .data_dir = "/nonexistent" };
	char dc[PATH_MAX], conf[PATH_MAX], run[PATH_MAX];

	dp_test_log_reset();
	fs = dp_fakesys_new();
	ck_assert_ptr_nonnull(fs);
	ck_assert_int_eq(dp_fakesys_set_host(fs, &host), 0);
	for (size_t i = 0; i < sizeof(devs) / sizeof(devs[0]); i++)
		ck_assert_int_eq(dp_fakesys_add(fs, &devs[i]), 0);
	ck_assert_int_eq(dp_fakesys_mount(fs), 0);
	snprintf(dc, sizeof(dc), "%s/driverctl.d", dp_fakesys_scratch(fs));
	snprintf(conf, sizeof(conf), "%s/etc", dp_fakesys_scratch(fs));
	snprintf(run, sizeof(run), "%s/run", dp_fakesys_scratch(fs));
	ck_assert_int_eq(mkdir(conf, 0755), 0);
	o.driverctl_dir = dc;
	o.config_dir = conf;
	o.run_dir = run;
	ck_assert_int_eq(dp_ctx_new(&o, &ctx), 0);
	ck_assert_int_eq(dp_ctx_set_log_priority(ctx, LOG_DEBUG), 0);
	ck_assert_int_eq(dp_policy_new(ctx, &policy), 0);
	ck_assert_int_eq(dp_policy_set_rule(policy, DP_RULE_REQUIRE_MARKED, 0), 0);
	ck_assert_int_eq(dp_policy_set_rule(policy, DP_RULE_UNLISTED_DEVICES, DP_ACTION_ALLOW), 0);
}

static void world_free(void)
{
	rep = dp_report_unref(rep);
	vm = dp_vm_unref(vm);
	policy = dp_policy_unref(policy);
	ctx = dp_ctx_unref(ctx);
	dp_fakesys_free(fs);
	fs = NULL;
}

/* A VM of memory bytes with the devices in the NULL-terminated list. */
static void new_vm(uint64_t memory, const char *const *devices)
{
	vm = dp_vm_unref(vm);
	ck_assert_int_eq(dp_vm_new(ctx, "vm", &vm), 0);
	ck_assert_int_eq(dp_vm_set_hw_version(vm, 7), 0);
	ck_assert_int_eq(dp_vm_set_memory_size(vm, memory), 0);
	for (size_t i = 0; devices[i]; i++)
		ck_assert_int_eq(dp_vm_add_device(vm, devices[i]), 0);
}

static struct dp_plan check_plan(void)
{
	struct dp_plan pl = { .sz = sizeof(pl) };

	rep = dp_report_unref(rep);
	ck_assert_int_eq(dp_policy_check(policy, vm, &rep), 0);
	ck_assert_int_eq(dp_report_get_plan(rep, &pl), 0);
	ck_assert_uint_eq(pl.sz, sizeof(pl));
	return pl;
}

/* How many findings of code; the first's severity and message. */
static size_t findings(uint32_t code, uint32_t *severity, const char **message)
{
	size_t n = 0;

	for (size_t i = 0; i < dp_report_get_finding_count(rep); i++) {
		struct dp_finding f = { .sz = sizeof(f) };

		ck_assert_int_eq(dp_report_get_finding(rep, i, &f), 0);
		if (f.code != code)
			continue;
		if (!n++) {
			if (severity)
				*severity = f.severity;
			if (message)
				*message = f.message;
			ck_assert_str_eq(f.subject, "vm");
			ck_assert_str_eq(f.rule, code == DP_FINDING_MEMLOCK_TOO_LOW ? "memlock" : "mmio_window");
		}
	}
	return n;
}

START_TEST(bars_are_summed_with_alignment_and_io_left_out)
{
	struct dp_plan pl;

	world_new();
	new_vm(4 * GiB, (const char *[]){ THREE, NULL });
	pl = check_plan();
	ck_assert_uint_eq(pl.mmio32_size, 64 * MiB + 1 * MiB + 16 * KiB);
	ck_assert_uint_eq(pl.mmio64_size, 0);
	ck_assert_uint_eq(pl.mmio_hole, 3 * GiB);
	ck_assert_uint_eq(pl.mmio_hole_proposed, THREE_HOLE);
	ck_assert_uint_eq(pl.mmio64_window, 32 * GiB);
	ck_assert_uint_eq(pl.mmio64_window_proposed, 0);
	ck_assert_uint_eq(findings(DP_FINDING_MMIO_WINDOW_TOO_SMALL, NULL, NULL), 0);

	/* 8 GiB above 4 GiB; the 64-bit non-prefetchable BAR and the ROM below. */
	new_vm(4 * GiB, (const char *[]){ GPU, NULL });
	pl = check_plan();
	ck_assert_uint_eq(pl.mmio64_size, 8 * GiB);
	ck_assert_uint_eq(pl.mmio64_window_proposed, 8 * GiB);
	ck_assert_uint_eq(pl.mmio32_size, 64 * KiB + 16 * KiB);

	/* Several devices: one packing of all their BARs, each device once. */
	new_vm(4 * GiB, (const char *[]){ THREE, EDU, NVME, GPU, EDU, "0000:77:00.0", NULL });
	dp_test_log_expect_err();
	pl = check_plan();
	dp_test_log_expect_end();
	ck_assert_uint_eq(pl.mmio32_size, 64 * MiB + 2 * MiB + 64 * KiB + 3 * 16 * KiB);
	ck_assert_uint_eq(pl.mmio64_size, 8 * GiB);
	ck_assert_uint_eq(pl.address_spaces, 1);
}
END_TEST

START_TEST(the_hole_fits_exactly_and_one_mib_higher_is_denied)
{
	uint32_t sev = 0;
	const char *msg = NULL;

	world_new();
	new_vm(2 * GiB, (const char *[]){ THREE, NULL });
	ck_assert_int_eq(dp_vm_set_mmio_hole(vm, THREE_HOLE), 0);
	check_plan();
	ck_assert_uint_eq(findings(DP_FINDING_MMIO_WINDOW_TOO_SMALL, NULL, NULL), 0);
	/* The hole moves in whole MiB: one step up is one MiB short. */
	ck_assert_int_eq(dp_vm_set_mmio_hole(vm, THREE_HOLE + MiB), 0);
	check_plan();
	ck_assert_uint_eq(findings(DP_FINDING_MMIO_WINDOW_TOO_SMALL, &sev, &msg), 1);
	ck_assert_uint_eq(sev, DP_SEVERITY_ERROR);
	ck_assert_str_eq(msg, "vm: its devices' BARs need 66576 KiB below 4 GiB (32-bit, 64-bit non-prefetchable and ROM BARs, each aligned to its size), so with the 256 MiB ECAM window and the firmware's top 64 MiB RAM below 4 GiB must end at 3518 MiB, but mmio_hole is 3519 MiB (mmio_window); set mmio_hole = 3518M in the VM file");
	ck_assert(!dp_report_is_allowed(rep));
	/* warn: a warning; allow: nothing. */
	ck_assert_int_eq(dp_policy_set_rule(policy, DP_RULE_MMIO_WINDOW, DP_ACTION_WARN), 0);
	check_plan();
	ck_assert_uint_eq(findings(DP_FINDING_MMIO_WINDOW_TOO_SMALL, &sev, NULL), 1);
	ck_assert_uint_eq(sev, DP_SEVERITY_WARNING);
	ck_assert_int_eq(dp_policy_set_rule(policy, DP_RULE_MMIO_WINDOW, DP_ACTION_ALLOW), 0);
	check_plan();
	ck_assert_uint_eq(findings(DP_FINDING_MMIO_WINDOW_TOO_SMALL, NULL, NULL), 0);
}
END_TEST

START_TEST(the_64_bit_window_fits_exactly_and_one_byte_less_is_denied)
{
	const char *msg = NULL;
	struct dp_plan pl;

	world_new();
	new_vm(4 * GiB, (const char *[]){ GPU, NULL });
	ck_assert_int_eq(dp_vm_set_mmio64_window(vm, 8 * GiB), 0);
	pl = check_plan();
	ck_assert_uint_eq(pl.mmio64_window, 8 * GiB);
	ck_assert_uint_eq(findings(DP_FINDING_MMIO_WINDOW_TOO_SMALL, NULL, NULL), 0);
	ck_assert_int_eq(dp_vm_set_mmio64_window(vm, 8 * GiB - 1), 0);
	check_plan();
	ck_assert_uint_eq(findings(DP_FINDING_MMIO_WINDOW_TOO_SMALL, NULL, &msg), 1);
	ck_assert_str_eq(msg, "vm: its devices' 64-bit prefetchable BARs need 8 GiB above 4 GiB (each aligned to its size), more than its mmio64_window of 8589934591 bytes (mmio_window); set mmio64_window = 8G in the VM file (QEMU: -global q35-pcihost.pci-hole64-size=8G)");
	ck_assert_int_eq(dp_vm_set_mmio64_window(vm, 0), 0);
	check_plan();
	ck_assert_uint_eq(findings(DP_FINDING_MMIO_WINDOW_TOO_SMALL, NULL, NULL), 1);
	/* Misuse: beyond 52 bits of physical address. */
	dp_test_log_expect_err();
	ck_assert_int_eq(dp_vm_set_mmio64_window(vm, (UINT64_C(1) << 52) + 1), -EINVAL);
	ck_assert_ptr_nonnull(strstr(dp_test_log_expect_end(), "mmio64_window"));
	ck_assert_uint_eq(dp_vm_get_mmio64_window(vm), 0);
	ck_assert_int_eq(dp_vm_set_mmio64_window(NULL, 0), -EINVAL);
	ck_assert_uint_eq(dp_vm_get_mmio64_window(NULL), 0);
}
END_TEST

START_TEST(the_vm_file_declares_the_window)
{
	char path[PATH_MAX];
	FILE *f;

	world_new();
	snprintf(path, sizeof(path), "%s/w.vm", dp_fakesys_scratch(fs));
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs("[vm]\nname = w\nhw_version = 7\nmemory = 1G\nmmio64_window = 64G\n", f);
	ck_assert_int_eq(fclose(f), 0);
	ck_assert_int_eq(dp_vm_new_from_file(ctx, path, &vm), 0);
	ck_assert_uint_eq(dp_vm_get_mmio64_window(vm), 64 * GiB);
	vm = dp_vm_unref(vm);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs("[vm]\nname = w\nhw_version = 7\nmemory = 1G\nmmio64_window = lots\n", f);
	ck_assert_int_eq(fclose(f), 0);
	dp_test_log_expect_err();
	ck_assert_int_eq(dp_vm_new_from_file(ctx, path, &vm), -EINVAL);
	ck_assert_ptr_nonnull(strstr(dp_test_log_expect_end(),
				     "mmio64_window \"lots\" is not a size from 0 to 4096T"));
	ck_assert_ptr_null(vm);
}
END_TEST

/* Clears CAP_IPC_LOCK from this process's effective and permitted sets. */
static int drop_ipc_lock(void)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[_LINUX_CAPABILITY_U32S_3];

	memset(d, 0, sizeof(d));
	if (syscall(SYS_capget, &h, d) < 0)
		return -errno;
	d[CAP_IPC_LOCK / 32].effective &= ~(1u << (CAP_IPC_LOCK % 32));
	d[CAP_IPC_LOCK / 32].permitted &= ~(1u << (CAP_IPC_LOCK % 32));
	return syscall(SYS_capset, &h, d) < 0 ? -errno : 0;
}

#define CHILD_ASSERT(c)                                                             \
	do {                                                                        \
		if (!(c)) {                                                         \
			fprintf(stderr, "child: %s:%d: %s\n", __FILE__, __LINE__, #c); \
			_exit(1);                                                   \
		}                                                                   \
	} while (0)

/*
 * In a forked child: RLIMIT_MEMLOCK's soft limit lowered to limit,
 * CAP_IPC_LOCK dropped when drop; then what the plan says.
 */
static void memlock_child(rlim_t limit, bool drop, int want_findings, uint64_t want_current,
			  uint32_t want_flags, const char *want_in_message)
{
	pid_t pid = fork();
	int status = 0;

	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		struct rlimit rl;
		struct dp_plan pl = { .sz = sizeof(pl) };
		struct dp_finding f = { .sz = sizeof(f) };
		size_t n = 0;

		CHILD_ASSERT(getrlimit(RLIMIT_MEMLOCK, &rl) == 0);
		rl.rlim_cur = limit;
		if (setrlimit(RLIMIT_MEMLOCK, &rl) < 0) {
			fprintf(stderr, "child: setrlimit %llu/%llu: %s\n", (unsigned long long)rl.rlim_cur,
				(unsigned long long)rl.rlim_max, strerror(errno));
			_exit(1);
		}
		if (drop)
			CHILD_ASSERT(drop_ipc_lock() == 0);
		rep = dp_report_unref(rep);
		CHILD_ASSERT(dp_policy_check(policy, vm, &rep) == 0);
		CHILD_ASSERT(dp_report_get_plan(rep, &pl) == 0);
		CHILD_ASSERT(pl.memlock_needed == 4 * MiB && pl.address_spaces == 1);
		CHILD_ASSERT(pl.memlock_current == want_current);
		CHILD_ASSERT((pl.flags & DP_PLAN_MEMLOCK_EXEMPT) == want_flags);
		for (size_t i = 0; i < dp_report_get_finding_count(rep); i++) {
			CHILD_ASSERT(dp_report_get_finding(rep, i, &f) == 0);
			if (f.code != DP_FINDING_MEMLOCK_TOO_LOW)
				continue;
			n++;
			CHILD_ASSERT(f.severity == DP_SEVERITY_WARNING);
			CHILD_ASSERT(strcmp(f.rule, "memlock") == 0);
			if (want_in_message && !strstr(f.message, want_in_message)) {
				fprintf(stderr, "child: message: %s\n", f.message);
				_exit(1);
			}
		}
		CHILD_ASSERT(n == (size_t)want_findings);
		_exit(0);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "the child failed (%d)", status);
}

START_TEST(memlock_is_compared_with_the_callers_limit)
{
	/* 4 MiB of guest memory: the hard limit here may be 8 MiB, and raising it needs CAP_SYS_RESOURCE. */
	world_new();
	new_vm(4 * MiB, (const char *[]){ EDU, NULL });
	/* 1 MiB and no CAP_IPC_LOCK: 4 MiB cannot be pinned. */
	memlock_child(1 * MiB, true, 1, 1 * MiB, 0,
		      "vm: pinning its 4 MiB of guest memory for DMA needs an RLIMIT_MEMLOCK of 4096 KiB, but this process has 1024 KiB and no CAP_IPC_LOCK, so dp_dma_map would refuse with ENOMEM (memlock, which type1 charges to this process); raise the VMM's limit: ulimit -l 4096, LimitMEMLOCK=4194304 in its systemd unit, or \"USER - memlock 4096\" in /etc/security/limits.conf");
	/* Exactly enough, and one byte short. */
	memlock_child(4 * MiB, true, 0, 4 * MiB, 0, NULL);
	memlock_child(4 * MiB - 1, true, 1, 4 * MiB - 1, 0, "needs an RLIMIT_MEMLOCK of 4096 KiB");
	/* With CAP_IPC_LOCK the limit does not count. */
	memlock_child(1 * MiB, false, 0, 1 * MiB, DP_PLAN_MEMLOCK_EXEMPT, NULL);
}
END_TEST

START_TEST(memlock_rule_allow_drops_it_and_no_device_needs_none)
{
	world_new();
	new_vm(4 * MiB, (const char *[]){ EDU, NULL });
	ck_assert_int_eq(dp_policy_set_rule(policy, DP_RULE_MEMLOCK, DP_ACTION_ALLOW), 0);
	memlock_child(1 * MiB, true, 0, 1 * MiB, 0, NULL);
	/* No device: nothing pinned, no address space, no estimate. */
	new_vm(4 * GiB, (const char *[]){ NULL });
	{
		struct dp_plan pl = check_plan();

		ck_assert_uint_eq(pl.address_spaces, 0);
		ck_assert_uint_eq(pl.memlock_needed, 0);
		ck_assert_uint_eq(pl.dma_ready_ns[DP_PLAN_PAGE_4K], 0);
	}
}
END_TEST

static void write_costs(const char *text)
{
	char path[PATH_MAX];
	FILE *f;

	snprintf(path, sizeof(path), "%s/dma-costs", dp_ctx_get_config_dir(ctx));
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	ck_assert_int_eq(fclose(f), 0);
}

START_TEST(dma_ready_comes_from_the_costs_file_or_the_defaults)
{
	struct dp_plan pl;

	world_new();
	new_vm(6 * GiB + 512 * MiB, (const char *[]){ EDU, NULL });
	/* Absent: the defaults. */
	pl = check_plan();
	ck_assert_uint_eq(pl.flags & DP_PLAN_COSTS_MEASURED, 0);
	ck_assert_uint_eq(pl.dma_cost_ns[DP_PLAN_PAGE_4K], UINT64_C(5690000000));
	ck_assert_uint_eq(pl.dma_ready_ns[DP_PLAN_PAGE_4K], UINT64_C(36985000000));
	ck_assert_uint_eq(pl.dma_ready_ns[DP_PLAN_PAGE_HUGETLB], UINT64_C(16893500000));
	/* Present: its figures, the rest the defaults. */
	write_costs("# bench-dma\n4k = 2000000000\nhugetlbfs = 100000000\n");
	pl = check_plan();
	ck_assert_uint_eq(pl.flags & DP_PLAN_COSTS_MEASURED, DP_PLAN_COSTS_MEASURED);
	ck_assert_uint_eq(pl.dma_ready_ns[DP_PLAN_PAGE_4K], UINT64_C(13000000000));
	ck_assert_uint_eq(pl.dma_ready_ns[DP_PLAN_PAGE_THP], UINT64_C(38096500000));
	ck_assert_uint_eq(pl.dma_ready_ns[DP_PLAN_PAGE_HUGETLB], UINT64_C(650000000));
	/* Garbled: refused whole with a warning in the log, and the defaults. */
	write_costs("4k = 2000000000\nthp = fast\n");
	dp_test_log_reset();
	pl = check_plan();
	ck_assert(dp_test_logged(LOG_WARNING, "dma-costs: line 2: thp: not a number of nanoseconds",
				 "the DMA-ready estimates use the defaults"));
	ck_assert_uint_eq(pl.flags & DP_PLAN_COSTS_MEASURED, 0);
	ck_assert_uint_eq(pl.dma_cost_ns[DP_PLAN_PAGE_4K], UINT64_C(5690000000));
}
END_TEST

START_TEST(the_plan_is_in_the_json_and_misuse_is_refused)
{
	struct json_object *root, *plan, *v, *ml, *ready;
	struct dp_plan small = { .sz = sizeof(size_t) };
	char *json = NULL;

	world_new();
	new_vm(4 * GiB, (const char *[]){ THREE, GPU, NULL });
	check_plan();
	ck_assert_int_eq(dp_report_to_json(rep, &json), 0);
	root = json_tokener_parse(json);
	free(json);
	ck_assert_ptr_nonnull(root);
	ck_assert(json_object_object_get_ex(root, "plan", &plan));
	ck_assert(json_object_object_get_ex(plan, "mmio32_size", &v));
	ck_assert_uint_eq(json_object_get_uint64(v), 64 * MiB + 1 * MiB + 64 * KiB + 2 * 16 * KiB);
	ck_assert(json_object_object_get_ex(plan, "mmio64_size", &v));
	ck_assert_uint_eq(json_object_get_uint64(v), 8 * GiB);
	ck_assert(json_object_object_get_ex(plan, "mmio64_window_proposed", &v));
	ck_assert_uint_eq(json_object_get_uint64(v), 8 * GiB);
	ck_assert(json_object_object_get_ex(plan, "mmio_hole", &v));
	ck_assert_uint_eq(json_object_get_uint64(v), 3 * GiB);
	ck_assert(json_object_object_get_ex(plan, "memlock", &ml));
	ck_assert(json_object_object_get_ex(ml, "needed", &v));
	ck_assert_uint_eq(json_object_get_uint64(v), 4 * GiB);
	ck_assert(json_object_object_get_ex(ml, "address_spaces", &v));
	ck_assert_int_eq(json_object_get_int(v), 1);
	ck_assert(json_object_object_get_ex(plan, "dma_ready", &ready));
	ck_assert_uint_eq(json_object_array_length(ready), DP_PLAN_PAGES);
	ck_assert(json_object_object_get_ex(json_object_array_get_idx(ready, 2), "page", &v));
	ck_assert_str_eq(json_object_get_string(v), "hugetlbfs");
	ck_assert(json_object_object_get_ex(plan, "dma_costs", &v));
	ck_assert_str_eq(json_object_get_string(v), "default");
	json_object_put(root);
	ck_assert_int_eq(dp_report_get_plan(NULL, &small), -EINVAL);
	ck_assert_int_eq(dp_report_get_plan(rep, NULL), -EINVAL);
	ck_assert_int_eq(dp_report_get_plan(rep, &small), -EINVAL);
	ck_assert_uint_eq(small.mmio32_size, 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("policy-plan");
	TCase *tc = tcase_create("plan");

	dp_fakesys_enter_namespace();
	tcase_add_checked_fixture(tc, NULL, world_free);
	tcase_add_test(tc, bars_are_summed_with_alignment_and_io_left_out);
	tcase_add_test(tc, the_hole_fits_exactly_and_one_mib_higher_is_denied);
	tcase_add_test(tc, the_64_bit_window_fits_exactly_and_one_byte_less_is_denied);
	tcase_add_test(tc, the_vm_file_declares_the_window);
	tcase_add_test(tc, memlock_is_compared_with_the_callers_limit);
	tcase_add_test(tc, memlock_rule_allow_drops_it_and_no_device_needs_none);
	tcase_add_test(tc, dma_ready_comes_from_the_costs_file_or_the_defaults);
	tcase_add_test(tc, the_plan_is_in_the_json_and_misuse_is_refused);
	suite_add_tcase(s, tc);
	return dp_test_run(s);
}
