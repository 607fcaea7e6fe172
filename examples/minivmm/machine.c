/* SPDX-License-Identifier: MIT */
/*
 * The machine: /dev/kvm with raw ioctls. A VM with the in-kernel irqchip,
 * guest RAM in memory slot 0 (slots from 1 are the library's, see
 * minivmm.c), one vCPU started in 32-bit protected mode, and the run loop.
 * The loop offers every port and MMIO exit to the PCI bus first (the
 * library's, dp_vbus_pio/dp_vbus_mmio, or minivmm's own with --own-bus),
 * then to minivmm's devices: the serial port and the exit port.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "minivmm.h"

/* Where KVM may put the TSS and identity map it needs on Intel: below 4 GiB, above the LAPIC. */
#define TSS_GPA 0xfffbd000u
#define IDENTITY_MAP_GPA 0xfffbc000u

static int fail(const char *what)
{
	int e = errno;

	fprintf(stderr, "minivmm: %s: %s\n", what, strerror(e));
	return -e;
}

/* The vCPU's CPUID: what KVM supports, so the guest sees a sane CPU (and its LAPIC). */
static int set_cpuid(struct machine *m)
{
	struct kvm_cpuid2 *c = NULL;
	int r;

	for (unsigned n = 64;; n *= 2) {
		free(c);
		c = calloc(1, sizeof(*c) + n * sizeof(c->entries[0]));
		if (!c) {
			errno = ENOMEM;
			return fail("CPUID table");
		}
		c->nent = n;
		r = ioctl(m->kvm, KVM_GET_SUPPORTED_CPUID, c);
		if (r == 0 || errno != E2BIG || n >= 4096)
			break;
	}
	if (r == 0)
		r = ioctl(m->vcpu, KVM_SET_CPUID2, c);
	if (r < 0)
		r = fail("KVM_GET_SUPPORTED_CPUID/KVM_SET_CPUID2");
	free(c);
	return r;
}

int machine_create(struct machine *m, uint64_t ram_size)
{
	struct kvm_userspace_memory_region slot0 = { .slot = 0 };
	int r, run_size;

	memset(m, 0, sizeof(*m));
	m->kvm = m->vm = m->vcpu = -1;
	m->serial_newline = true;
	m->kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (m->kvm < 0)
		return fail("/dev/kvm");
	r = ioctl(m->kvm, KVM_GET_API_VERSION, 0);
	if (r != KVM_API_VERSION) {
		fprintf(stderr, "minivmm: /dev/kvm: API version %d, not %d\n", r, KVM_API_VERSION);
		r = -ENOTSUP;
		goto err;
	}
	m->vm = ioctl(m->kvm, KVM_CREATE_VM, 0UL);
	if (m->vm < 0) {
		r = fail("KVM_CREATE_VM");
		goto err;
	}
	if (ioctl(m->kvm, KVM_CHECK_EXTENSION, KVM_CAP_SET_TSS_ADDR) > 0 &&
	    ioctl(m->vm, KVM_SET_TSS_ADDR, (unsigned long)TSS_GPA) < 0) {
		r = fail("KVM_SET_TSS_ADDR");
		goto err;
	}
	if (ioctl(m->kvm, KVM_CHECK_EXTENSION, KVM_CAP_SET_IDENTITY_MAP_ADDR) > 0) {
		uint64_t addr = IDENTITY_MAP_GPA;

		if (ioctl(m->vm, KVM_SET_IDENTITY_MAP_ADDR, &addr) < 0) {
			r = fail("KVM_SET_IDENTITY_MAP_ADDR");
			goto err;
		}
	}
	/* The in-kernel LAPIC, IOAPIC and PIC: what irqfd and GSI routing deliver to. */
	if (ioctl(m->vm, KVM_CREATE_IRQCHIP, 0UL) < 0) {
		r = fail("KVM_CREATE_IRQCHIP");
		goto err;
	}

	m->ram_size = ram_size;
	m->ram = mmap(NULL, ram_size, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (m->ram == MAP_FAILED) {
		m->ram = NULL;
		r = fail("guest RAM");
		goto err;
	}
	slot0.guest_phys_addr = 0;
	slot0.memory_size = ram_size;
	slot0.userspace_addr = (uint64_t)(uintptr_t)m->ram;
	if (ioctl(m->vm, KVM_SET_USER_MEMORY_REGION, &slot0) < 0) {
		r = fail("KVM_SET_USER_MEMORY_REGION (slot 0, guest RAM)");
		goto err;
	}

	m->vcpu = ioctl(m->vm, KVM_CREATE_VCPU, 0UL);
	if (m->vcpu < 0) {
		r = fail("KVM_CREATE_VCPU");
		goto err;
	}
	run_size = ioctl(m->kvm, KVM_GET_VCPU_MMAP_SIZE, 0UL);
	if (run_size < (int)sizeof(*m->run)) {
		r = fail("KVM_GET_VCPU_MMAP_SIZE");
		goto err;
	}
	m->run_size = (size_t)run_size;
	m->run = mmap(NULL, m->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, m->vcpu, 0);
	if (m->run == MAP_FAILED) {
		m->run = NULL;
		r = fail("mmap of the vCPU's kvm_run");
		goto err;
	}
	r = set_cpuid(m);
	if (r < 0)
		goto err;
	return 0;
err:
	machine_destroy(m);
	return r;
}

void machine_destroy(struct machine *m)
{
	if (m->run)
		munmap(m->run, m->run_size);
	if (m->vcpu >= 0)
		close(m->vcpu);
	if (m->vm >= 0)
		close(m->vm);
	if (m->ram)
		munmap(m->ram, m->ram_size);
	if (m->kvm >= 0)
		close(m->kvm);
	m->run = NULL;
	m->ram = NULL;
	m->kvm = m->vm = m->vcpu = -1;
}

static void flat_segment(struct kvm_segment *s, uint16_t selector, uint8_t type)
{
	*s = (struct kvm_segment){
		.base = 0, .limit = 0xffffffffu, .selector = selector, .type = type,
		.present = 1, .dpl = 0, .db = 1, .s = 1, .l = 0, .g = 1,
	};
}

int machine_load(struct machine *m, const void *image, size_t len)
{
	/* Null, flat code (execute/read), flat data (read/write): 4 GiB, 32-bit. */
	static const uint64_t gdt[3] = { 0, 0x00cf9a000000ffffULL, 0x00cf92000000ffffULL };
	struct kvm_sregs sregs;
	struct kvm_regs regs = { 0 };

	if (len > MINIVMM_IMAGE_END - MINIVMM_LOAD_GPA || m->ram_size < MINIVMM_STACK_TOP) {
		fprintf(stderr, "minivmm: the guest image (%zu bytes) does not fit\n", len);
		return -E2BIG;
	}
	memcpy(m->ram + MINIVMM_GDT_GPA, gdt, sizeof(gdt));
	memcpy(m->ram + MINIVMM_LOAD_GPA, image, len);

	if (ioctl(m->vcpu, KVM_GET_SREGS, &sregs) < 0)
		return fail("KVM_GET_SREGS");
	flat_segment(&sregs.cs, MINIVMM_CODE_SEL, 0xb);
	flat_segment(&sregs.ds, MINIVMM_DATA_SEL, 0x3);
	sregs.es = sregs.fs = sregs.gs = sregs.ss = sregs.ds;
	sregs.gdt.base = MINIVMM_GDT_GPA;
	sregs.gdt.limit = sizeof(gdt) - 1;
	/* Protected mode, no paging, caches on (reset leaves CD and NW set). */
	sregs.cr0 = 0x11; /* PE | ET */
	sregs.cr4 = 0;
	sregs.efer = 0;
	if (ioctl(m->vcpu, KVM_SET_SREGS, &sregs) < 0)
		return fail("KVM_SET_SREGS");
	regs.rip = MINIVMM_LOAD_GPA;
	regs.rsp = MINIVMM_STACK_TOP;
	regs.rflags = 0x2; /* bit 1 is always set; interrupts off */
	if (ioctl(m->vcpu, KVM_SET_REGS, &regs) < 0)
		return fail("KVM_SET_REGS");
	return 0;
}

void machine_kick(struct machine *m)
{
	if (m->run)
		m->run->immediate_exit = 1;
}

/* A 16550 as far as a polling writer needs: THR, LSR always empty, LCR/DLAB, scratch. */
static void serial_pio(struct machine *m, unsigned reg, uint8_t *data, bool write)
{
	bool dlab = m->serial_lcr & 0x80;

	if (write) {
		if (reg == 0 && !dlab) {
			fputc(*data, stdout);
			m->serial_newline = *data == '\n';
			if (m->serial_newline)
				fflush(stdout);
		} else if (reg == 3) {
			m->serial_lcr = *data;
		} else if (reg == 7) {
			m->serial_scratch = *data;
		}
		return;
	}
	switch (reg) {
	case 3: *data = m->serial_lcr; break;
	case 5: *data = 0x60; break; /* THR empty, transmitter empty */
	case 7: *data = m->serial_scratch; break;
	default: *data = 0; break;   /* no input, no interrupts, divisor 0 */
	}
}

int machine_irq_line(struct machine *m, uint32_t gsi, bool level)
{
	struct kvm_irq_level irq = { .irq = gsi, .level = level };

	if (ioctl(m->vm, KVM_IRQ_LINE, &irq) < 0)
		return fail("KVM_IRQ_LINE");
	if (level)
		m->irqs_relayed++;
	return 0;
}

/*
 * The PCI bus's answer to an exit: 1 taken (counted as a config or a BAR
 * exit), 0 not the bus's. A device error is taken too (reads are all-ones)
 * and said once.
 */
static int pci_exit(struct machine *m, int r, bool config, uint64_t addr, bool write)
{
	if (r == 0)
		return 0;
	if (config)
		m->config_exits++;
	else
		m->bar_exits++;
	if (r < 0 && !m->pci_warned) {
		fprintf(stderr, "minivmm: PCI %s at %#llx failed: %s (further failures not shown)\n",
			write ? "write" : "read", (unsigned long long)addr, strerror(-r));
		m->pci_warned = true;
	}
	return 1;
}

static int pci_pio(struct machine *m, uint16_t port, uint8_t *data, unsigned len, bool write)
{
	int r = m->vbus ? dp_vbus_pio(m->vbus, port, data, len, write)
			: own_bus_pio(m->own_bus, port, data, len, write);

	return pci_exit(m, r, port >= MINIVMM_PCI_ADDR_PORT && port < MINIVMM_PCI_DATA_PORT + 4,
			port, write);
}

static int pci_mmio(struct machine *m, uint64_t addr, uint8_t *data, unsigned len, bool write)
{
	int r = m->vbus ? dp_vbus_mmio(m->vbus, addr, data, len, write)
			: own_bus_mmio(m->own_bus, addr, data, len, write);

	return pci_exit(m, r, m->vbus && addr >= MINIVMM_ECAM_BASE &&
			addr < MINIVMM_ECAM_BASE + (1u << 20), addr, write);
}

/* Every item of a port exit; 1 with *status set when the guest wrote the exit port. */
static int handle_pio(struct machine *m, int *status)
{
	struct kvm_run *run = m->run;
	uint8_t *data = (uint8_t *)run + run->io.data_offset;
	bool write = run->io.direction == KVM_EXIT_IO_OUT;
	int done = 0;

	for (uint32_t i = 0; i < run->io.count; i++, data += run->io.size) {
		uint16_t port = run->io.port;

		if (pci_pio(m, port, data, run->io.size, write))
			continue; /* the PCI bus's */
		if (port >= MINIVMM_SERIAL_PORT && port < MINIVMM_SERIAL_PORT + 8) {
			serial_pio(m, port - MINIVMM_SERIAL_PORT, data, write);
		} else if (port == MINIVMM_EXIT_PORT) {
			if (write) {
				*status = data[0];
				done = 1;
			} else {
				data[0] = 0xff;
			}
		} else if (!write) {
			/* Nothing there: reads float high, writes vanish. */
			memset(data, 0xff, run->io.size);
		}
	}
	return done;
}

int machine_run(struct machine *m, volatile sig_atomic_t *stop)
{
	struct kvm_run *run = m->run;

	for (;;) {
		int status = 0;

		if (*stop)
			return MACHINE_STOPPED;
		if (ioctl(m->vcpu, KVM_RUN, 0UL) < 0) {
			if (errno == EINTR || errno == EAGAIN) {
				run->immediate_exit = 0;
				continue; /* *stop says whether it was ours */
			}
			return fail("KVM_RUN");
		}
		switch (run->exit_reason) {
		case KVM_EXIT_IO:
			if (handle_pio(m, &status)) {
				if (!m->serial_newline)
					fputc('\n', stdout);
				fflush(stdout);
				return status;
			}
			break;
		case KVM_EXIT_MMIO:
			if (!pci_mmio(m, run->mmio.phys_addr, run->mmio.data, run->mmio.len,
				      run->mmio.is_write) &&
			    !run->mmio.is_write)
				memset(run->mmio.data, 0xff, sizeof(run->mmio.data));
			break;
		case KVM_EXIT_HLT:
			fprintf(stderr, "minivmm: the guest halted without writing the exit port\n");
			return -EPIPE;
		case KVM_EXIT_SHUTDOWN:
			fprintf(stderr, "minivmm: the guest shut down (triple fault)\n");
			return -EPIPE;
		case KVM_EXIT_FAIL_ENTRY:
			fprintf(stderr, "minivmm: KVM could not enter the guest (reason %#llx)\n",
				(unsigned long long)run->fail_entry.hardware_entry_failure_reason);
			return -EIO;
		case KVM_EXIT_INTERNAL_ERROR:
			fprintf(stderr, "minivmm: KVM internal error, suberror %u\n",
				run->internal.suberror);
			return -EIO;
		case KVM_EXIT_INTR:
			break;
		default:
			fprintf(stderr, "minivmm: unexpected KVM exit %u\n", run->exit_reason);
			return -EIO;
		}
	}
}
