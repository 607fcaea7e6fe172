/* SPDX-License-Identifier: MIT */
/*
 * minivmm — the smallest virtual machine monitor that passes PCI devices
 * through with libdirectpath, on raw /dev/kvm. It is the reference
 * integration for VMM authors: each step below is what a real VMM does, in
 * the same order, with nothing hidden behind helpers.
 *
 *   minivmm [--device BDF]... [--hw-version N] [--memory SIZE]
 *           [--policy FILE] [--json] [--timeout SECONDS] [--own-bus] [--hotplug]
 *           [--backend auto|type1|iommufd] [--handoff SOCKET]
 *           [--kernel BZIMAGE [--initrd FILE] [--append TEXT]]
 *
 * The flow (main() below):
 *  1. Describe the VM to the library: dp_vm_new, dp_vm_set_hw_version,
 *     dp_vm_set_memory_size (all of it reserved: passthrough pins guest RAM for
 *     DMA), dp_vm_add_device per --device.
 *  2. Ask the policy: dp_policy_new, dp_policy_load_file (--policy, or the
 *     configuration directory's policy.conf when there is one), dp_ctx_scan
 *     when there are devices, dp_policy_check. Print the report and the
 *     features the VM loses; when it is denied, say why and stop (exit 1)
 *     before touching KVM. With --handoff SOCKET (handoff.c) a manager that
 *     may open /dev/vfio checked the VM and opened its devices instead:
 *     minivmm receives their fds (dp_handoff_recv), takes the VM's name
 *     and devices from the handoff, and needs no access to /dev/vfio.
 *  3. Build the machine (machine.c): KVM_CREATE_VM, KVM_CREATE_IRQCHIP,
 *     guest RAM in memory slot 0, one vCPU. Slots 1..32 are left to the
 *     library (memslot_base/memslot_count in dp_attach_opts) for BARs, and
 *     GSIs 32..95 (gsi_base/gsi_count) for MSI routes.
 *  4. dp_attach with DP_ATTACH_KVM and the VM fd: leases, the VFIO backend
 *     (--backend: type1's container and groups, or an iommufd IOAS with the
 *     devices' own nodes; auto by default, iommufd where the host has it),
 *     devices, the KVM-VFIO device; minivmm prints the backend and why. Then
 *     dp_dma_map of all guest RAM with GPA = IOVA, so the device's DMA lands
 *     where the guest points it.
 *  5. Present each device to the guest as a dp_vpci, the guest-facing
 *     function (config space, BARs, MSI, MSI-X, INTx, FLR), on a PCI bus:
 *     - by default the library's (pci.c): a dp_vbus answers CF8/CFC and
 *       ECAM, places the BARs the guest programs (the direct path: memory
 *       slots from step 3, the MSI-X table and PBA pages trapped) and routes
 *       MSI, MSI-X and INTx through irqfd in the GSIs of step 3;
 *     - with --own-bus minivmm's own (ownbus.c), as a VMM with PCI emulation
 *       does it: it forwards config accesses, decodes the BARs itself
 *       (dp_vpci_place_bar), and owns the memory slots and GSI routing
 *       table, which the library uses through dp_vpci_ops callbacks; dp_attach
 *       then gets no GSI range, so the library never touches the routing.
 *     Either way machine.c hands every port and MMIO exit to the bus first;
 *     the trapped BAR accesses end in dp_vpci_bar_read/write.
 *  6. Load the guest (guest/guest.c, built by the project: freestanding,
 *     32-bit, flat binary) and run the vCPU until it writes the exit port.
 *     Or, with --kernel, boot Linux instead (boot.c, mptable.c): minivmm
 *     does firmware's part (every BAR assigned, the MP table, an e820 map)
 *     and a boot loader's (the bzImage, initrd and command line by the
 *     32-bit boot protocol); the kernel drives the devices with its own
 *     drivers, and /init ends the VM through the exit port (/dev/port).
 *     Then print what the run cost minivmm: config exits, BAR exits, and
 *     interrupts it relayed itself (none: irqfd delivers them all).
 *     With --hotplug the last --device is left out of steps 1-5 and hot
 *     added while the guest runs, then hot removed (hotplug.c); with
 *     --handoff too, that device comes from the manager as an addition.
 *  7. The bus and its functions go, then dp_detach, on every way out,
 *     SIGINT and SIGTERM included: the signal handler only sets a flag and
 *     kicks KVM_RUN (immediate_exit); the main loop does the teardown.
 *
 * Exit status: 0 the guest passed; 1 the policy denied the VM or the
 * machine could not be built; 2 bad options; 3 the guest failed, crashed
 * or ran out of time; 128 + N after signal N.
 *
 * Interrupts: a device's MSI and MSI-X vectors go straight to the in-kernel
 * LAPIC through irqfd once the guest enables and unmasks them (the library
 * emulates the MSI capability and the MSI-X table); INTA# of the device at
 * 00:slot.0 drives IOAPIC pin MINIVMM_INTX_GSI(slot) through irqfd with a
 * resample eventfd. minivmm's thread relays none of them.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <directpath/directpath.h>

#include "minivmm.h"

#define EXIT_PASS 0
#define EXIT_REFUSED 1
#define EXIT_USAGE 2
#define EXIT_GUEST_FAILED 3

/* The library's slots: after the RAM slot, enough for a few BARs split around MSI-X pages. */
#define MEMSLOT_BASE 1u
#define MEMSLOT_COUNT 32u
/* The library's GSIs for MSI routes: above the IOAPIC's 24 pins (none with --own-bus). */
#define GSI_BASE 32u
#define GSI_COUNT 64u

#define DEFAULT_MEMORY (16u << 20)
#define DEFAULT_HW_VERSION 7u

static volatile sig_atomic_t stop_signal;
static struct machine *running;

static void on_signal(int sig)
{
	stop_signal = sig;
	if (running)
		machine_kick(running);
}

static void log_to_stderr(struct dp_ctx *ctx, int prio, const char *file, int line,
			  const char *fn, const char *fmt, va_list args, void *userdata)
{
	(void)ctx; (void)file; (void)line; (void)fn; (void)userdata;
	fprintf(stderr, "minivmm: libdirectpath%s: ", prio <= LOG_ERR ? " error" : "");
	vfprintf(stderr, fmt, args);
	fputc('\n', stderr);
}

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: minivmm [--device BDF]... [--hw-version N] [--memory SIZE]\n"
		"               [--policy FILE] [--json] [--timeout SECONDS] [--own-bus] [--hotplug]\n"
		"               [--kernel BZIMAGE [--initrd FILE] [--append TEXT]]\n"
		"               [--backend auto|type1|iommufd] [--handoff SOCKET]\n"
		"Runs minivmm's guest, or a Linux kernel, in a KVM VM with the given host\n"
		"PCI devices passed through, if the passthrough policy allows it.\n"
		"  -d, --device BDF      pass this host function through (repeatable)\n"
		"      --hw-version N    the VM's hardware version (default %u)\n"
		"  -m, --memory SIZE     guest RAM, such as 64M (default 16M, at most 3G)\n"
		"  -p, --policy FILE     the policy file (default: the configuration\n"
		"                        directory's policy.conf, if any)\n"
		"      --json            print the policy report as JSON\n"
		"  -t, --timeout SECONDS stop the guest after this long (exit 3)\n"
		"      --hold            the guest waits after its checks until stopped\n"
		"                        (a signal or --timeout), to test the teardown\n"
		"      --own-bus         minivmm's own PCI bus, memory slots and GSI routing\n"
		"                        instead of the library's bus (the VMM-with-a-bus way)\n"
		"      --hotplug         hold the last --device back: the guest hot adds it,\n"
		"                        drives it, and hot removes it (the library's bus);\n"
		"                        with --handoff, the device to add comes from the\n"
		"                        manager on SOCKET (directpath handoff --add BDF)\n"
		"  -k, --kernel BZIMAGE  boot this Linux kernel instead of minivmm's guest\n"
		"                        (give it 256M or more; console=ttyS0 shows its output)\n"
		"  -i, --initrd FILE     its initramfs\n"
		"  -a, --append TEXT     its command line\n"
		"  -b, --backend NAME    the VFIO backend: type1 (container and groups),\n"
		"                        iommufd (/dev/iommu and the devices' own nodes) or\n"
		"                        auto, iommufd where the host has it (the default)\n"
		"      --handoff SOCKET  receive the devices from a manager on this Unix socket\n"
		"                        (directpath handoff VMFILE --socket SOCKET) instead\n"
		"                        of --device: no access to /dev/vfio needed\n"
		"  -h, --help            this text\n",
		DEFAULT_HW_VERSION);
}

static int bad_usage(const char *fmt, ...) DP_PRINTF(1, 2);
static int bad_usage(const char *fmt, ...)
{
	va_list ap;

	fputs("minivmm: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\nTry \"minivmm --help\".\n", stderr);
	return EXIT_USAGE;
}

/* A decimal number in 1..max. */
static int parse_number(const char *s, unsigned long max, unsigned long *out)
{
	char *end;
	unsigned long v;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v == 0 || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

struct options {
	const char *policy;
	const char **devices;
	size_t n_devices;
	unsigned long hw_version;
	uint64_t memory;
	unsigned long timeout;
	bool json;
	bool hold;
	bool own_bus;
	bool hotplug;
	uint32_t backend; /* DP_BACKEND_*, for dp_attach_opts */
	const char *handoff; /* --handoff: the socket a manager sends the devices to */
	const char *kernel, *initrd, *append;
};

static int parse_options(int argc, char **argv, struct options *o)
{
	enum { OPT_HW = 1000, OPT_JSON, OPT_HOLD, OPT_OWN_BUS, OPT_HOTPLUG, OPT_HANDOFF };
	uint32_t domain;
	uint8_t busno, slot, fn;
	static const struct option longopts[] = {
		{ "device", required_argument, NULL, 'd' },
		{ "hw-version", required_argument, NULL, OPT_HW },
		{ "memory", required_argument, NULL, 'm' },
		{ "policy", required_argument, NULL, 'p' },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "hold", no_argument, NULL, OPT_HOLD },
		{ "own-bus", no_argument, NULL, OPT_OWN_BUS },
		{ "hotplug", no_argument, NULL, OPT_HOTPLUG },
		{ "kernel", required_argument, NULL, 'k' },
		{ "initrd", required_argument, NULL, 'i' },
		{ "append", required_argument, NULL, 'a' },
		{ "backend", required_argument, NULL, 'b' },
		{ "handoff", required_argument, NULL, OPT_HANDOFF },
		{ "timeout", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	o->hw_version = DEFAULT_HW_VERSION;
	o->memory = DEFAULT_MEMORY;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":d:m:p:t:k:i:a:b:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'd':
			if (dp_bdf_parse(optarg, &domain, &busno, &slot, &fn) < 0)
				return bad_usage("--device: \"%s\" is not a PCI address (such as 0000:03:00.0)",
						 optarg);
			if (o->n_devices == MINIVMM_MAX_DEVICES)
				return bad_usage("--device: at most %d devices", MINIVMM_MAX_DEVICES);
			o->devices[o->n_devices++] = optarg;
			break;
		case OPT_HW:
			if (parse_number(optarg, UINT32_MAX, &o->hw_version) < 0)
				return bad_usage("--hw-version: \"%s\" is not a version number (1 or more)",
						 optarg);
			break;
		case 'm':
			if (dp_parse_size(optarg, &o->memory) < 0)
				return bad_usage("--memory: \"%s\" is not a size (such as 64M)", optarg);
			if (o->memory < MINIVMM_MIN_MEMORY || o->memory > MINIVMM_MMIO_BASE ||
			    o->memory % 4096)
				return bad_usage("--memory: %s: minivmm needs 1M to 3G, in whole 4K pages",
						 optarg);
			break;
		case 'p':
			o->policy = optarg;
			break;
		case OPT_HOLD:
			o->hold = true;
			break;
		case OPT_JSON:
			o->json = true;
			break;
		case OPT_OWN_BUS:
			o->own_bus = true;
			break;
		case OPT_HOTPLUG:
			o->hotplug = true;
			break;
		case OPT_HANDOFF:
			o->handoff = optarg;
			break;
		case 'k':
			o->kernel = optarg;
			break;
		case 'i':
			o->initrd = optarg;
			break;
		case 'a':
			o->append = optarg;
			break;
		case 'b':
			if (dp_backend_from_name(optarg, &o->backend) < 0)
				return bad_usage("--backend: \"%s\" is not a backend (auto, type1 or iommufd)",
						 optarg);
			break;
		case 't':
			if (parse_number(optarg, 86400, &o->timeout) < 0)
				return bad_usage("--timeout: \"%s\" is not a number of seconds (1 to 86400)",
						 optarg);
			break;
		case 'h':
			usage(stdout);
			exit(EXIT_PASS);
		case ':':
			return bad_usage("%s needs a value", argv[optind - 1]);
		default:
			if (optopt)
				return bad_usage("unknown option -%c", optopt);
			return bad_usage("unknown option %s", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return bad_usage("unexpected argument \"%s\"", argv[optind]);
	if ((o->initrd || o->append) && !o->kernel)
		return bad_usage("--initrd and --append go with --kernel");
	if (o->kernel && o->hold)
		return bad_usage("--hold is for minivmm's guest, not with --kernel");
	if (o->handoff && (o->n_devices || o->policy))
		return bad_usage("--handoff takes the devices and the verdict from the manager: no --device or --policy");
	if (o->hotplug && ((!o->handoff && o->n_devices < 2) || o->own_bus || o->kernel))
		return bad_usage("--hotplug needs two --device or more (or --handoff), minivmm's guest and the library's bus");
	return 0;
}

/* Steps 1 and 2: the VM description and the policy's verdict. */
static int check_policy(struct dp_ctx *ctx, const struct options *o, struct dp_vm **vm_out,
			struct dp_policy **policy_out)
{
	struct dp_vm *vm = NULL;
	struct dp_policy *policy = NULL;
	struct dp_report *rep = NULL;
	int r, ret = EXIT_REFUSED;

	r = dp_vm_new(ctx, "minivmm", &vm);
	if (r == 0)
		r = dp_vm_set_hw_version(vm, (uint32_t)o->hw_version);
	if (r == 0)
		r = dp_vm_set_memory_size(vm, o->memory);
	for (size_t i = 0; r == 0 && i < o->n_devices - (o->hotplug ? 1 : 0); i++)
		r = dp_vm_add_device(vm, o->devices[i]); /* --hotplug: the last one comes later */
	if (r < 0) {
		fprintf(stderr, "minivmm: cannot describe the VM: %s\n", strerror(-r));
		goto out;
	}
	r = dp_policy_new(ctx, &policy);
	if (r == 0)
		r = dp_policy_load_file(policy, o->policy);
	if (r < 0) {
		fprintf(stderr, "minivmm: %s: cannot load the policy: %s\n",
			o->policy ? o->policy : "policy.conf", strerror(-r));
		ret = o->policy ? EXIT_USAGE : EXIT_REFUSED;
		goto out;
	}
	if (o->n_devices) {
		r = dp_ctx_scan(ctx);
		if (r < 0) {
			fprintf(stderr, "minivmm: cannot read the host's PCI devices: %s\n",
				strerror(-r));
			goto out;
		}
	}
	r = dp_policy_check(policy, vm, &rep);
	if (r < 0) {
		fprintf(stderr, "minivmm: cannot check the VM: %s\n", strerror(-r));
		goto out;
	}
	if (o->json) {
		char *json = NULL;

		r = dp_report_to_json(rep, &json);
		if (r < 0) {
			fprintf(stderr, "minivmm: cannot format the report: %s\n", strerror(-r));
			goto out;
		}
		puts(json);
		free(json);
	} else if (print_report(rep, vm) < 0) {
		goto out;
	}
	fflush(stdout);
	if (!dp_report_is_allowed(rep)) {
		print_refusal(rep);
		goto out;
	}
	*vm_out = vm;
	*policy_out = policy;
	vm = NULL;
	policy = NULL;
	ret = EXIT_PASS;
out:
	dp_report_unref(rep);
	dp_policy_unref(policy);
	dp_vm_unref(vm);
	return ret;
}

int main(int argc, char **argv)
{
	struct options o = { 0 };
	struct dp_ctx *ctx = NULL;
	struct dp_vm *vm = NULL;
	struct dp_policy *policy = NULL;
	struct dp_attachment *att = NULL;
	struct dp_handoff *handoff = NULL;
	struct machine m = { .kvm = -1, .vm = -1, .vcpu = -1 };
	size_t n_devices;
	struct sigaction sa = { .sa_handler = on_signal };
	struct timespec started;
	bool have_machine = false;
	int r, ret;

	clock_gettime(CLOCK_MONOTONIC, &started);
	o.devices = calloc(MINIVMM_MAX_DEVICES, sizeof(*o.devices));
	if (!o.devices) {
		fprintf(stderr, "minivmm: out of memory\n");
		return EXIT_REFUSED;
	}
	ret = parse_options(argc, argv, &o);
	if (ret != 0)
		goto out;

	/* No SA_RESTART: KVM_RUN must come back with EINTR. */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGALRM, &sa, NULL);

	{
		DP_OPTS(dp_ctx_opts, copts, .log_fn = log_to_stderr);

		r = dp_ctx_new(&copts, &ctx);
		if (r < 0) {
			fprintf(stderr, "minivmm: cannot set up libdirectpath: %s\n", strerror(-r));
			ret = EXIT_REFUSED;
			goto out;
		}
	}

	if (o.handoff)
		ret = handoff_receive(ctx, o.handoff, (uint32_t)o.hw_version, o.memory, &handoff, &vm,
				      &policy) < 0 ? EXIT_REFUSED : EXIT_PASS;
	else
		ret = check_policy(ctx, &o, &vm, &policy);
	if (ret != EXIT_PASS)
		goto out;

	ret = EXIT_REFUSED;
	if (machine_create(&m, o.memory) < 0)
		goto out;
	have_machine = true;
	m.started = started;

	{
		/*
		 * --own-bus: no GSIs for the library, whose functions use minivmm's
		 * callbacks; it still needs a memory slot range (left unused then).
		 */
		DP_OPTS(dp_attach_opts, aopts, .flags = DP_ATTACH_KVM, .kvm_vm_fd = m.vm,
			.memslot_base = MEMSLOT_BASE, .memslot_count = MEMSLOT_COUNT,
			.gsi_base = o.own_bus ? 0 : GSI_BASE, .gsi_count = o.own_bus ? 0 : GSI_COUNT,
			.backend = o.backend, .handoff = handoff);

		r = dp_attach(policy, vm, &aopts, &att);
		handoff = dp_handoff_free(handoff); /* what dp_attach did not take */
		if (r < 0) {
			fprintf(stderr, "minivmm: cannot attach the devices: %s\n", strerror(-r));
			goto out;
		}
	}
	n_devices = dp_attachment_get_vdev_count(att);
	if (n_devices) {
		print_backend(att);
		/* GPA = IOVA: the guest gives devices its physical addresses. */
		r = dp_dma_map(att, 0, m.ram, m.ram_size);
		if (r < 0) {
			fprintf(stderr, "minivmm: cannot map guest RAM for DMA: %s\n", strerror(-r));
			goto out;
		}
	}
	r = o.own_bus ? own_bus_create(att, m.vm, &m.own_bus) : pci_bus_create(ctx, att, &m.vbus);
	if (r == 0 && o.hotplug)
		r = hotplug_create(ctx, att, policy, o.handoff ? NULL : o.devices[o.n_devices - 1],
				   o.handoff, m.vbus, &m.hotplug);
	if (r < 0)
		goto out;
	if (o.kernel) {
		/* Firmware's job first (the BARs), then the boot loader's. */
		firmware_assign_bars(&m);
		if (boot_linux(&m, o.kernel, o.initrd, o.append, (unsigned)n_devices) < 0)
			goto out;
	} else if (machine_load(&m, minivmm_guest, minivmm_guest_size) < 0) {
		goto out;
	}
	/* --hold: the guest reads this in the serial scratch register and waits to be stopped. */
	m.serial.scratch = o.hold ? MINIVMM_HOLD_MAGIC : 0;

	printf("minivmm: %" PRIu64 " MiB of RAM, %zu device%s; starting %s\n",
	       o.memory >> 20, n_devices, n_devices == 1 ? "" : "s", o.kernel ? o.kernel : "the guest");
	fflush(stdout);
	running = &m;
	if (o.timeout)
		alarm((unsigned)o.timeout);
	r = machine_run(&m, &stop_signal);
	alarm(0);
	running = NULL;
	printf("minivmm: config exits: %" PRIu64 "\n", m.config_exits);
	printf("minivmm: BAR exits: %" PRIu64 "\n", m.bar_exits);
	printf("minivmm: interrupts relayed by minivmm: %" PRIu64 "\n", m.irqs_relayed);
	fflush(stdout);
	if (r == MACHINE_STOPPED && stop_signal == SIGALRM) {
		fprintf(stderr, "minivmm: the guest did not finish in %lu s\n", o.timeout);
		ret = EXIT_GUEST_FAILED;
	} else if (r == MACHINE_STOPPED) {
		fprintf(stderr, "minivmm: stopped by signal %d\n", (int)stop_signal);
		ret = 128 + stop_signal;
	} else if (r == 0) {
		printf("minivmm: the guest passed\n");
		ret = EXIT_PASS;
	} else if (r > 0) {
		fprintf(stderr, "minivmm: the guest failed (status %d)\n", r);
		ret = EXIT_GUEST_FAILED;
	} else {
		ret = EXIT_GUEST_FAILED;
	}
out:
	/* The functions first (their slots, routes and irqfds), then the devices. */
	dp_vbus_unref(m.vbus);
	own_bus_destroy(m.own_bus);
	hotplug_destroy(m.hotplug);
	/* dp_detach before the VM fd closes: the library's slots and KVM-VFIO device live on it. */
	dp_detach(att);
	if (have_machine)
		machine_destroy(&m);
	dp_handoff_free(handoff);
	dp_policy_unref(policy);
	dp_vm_unref(vm);
	dp_ctx_unref(ctx);
	free(o.devices);
	return ret;
}
