/* SPDX-License-Identifier: MIT */
/*
 * The machine: /dev/kvm with raw ioctls. A VM with the in-kernel irqchip,
 * guest RAM in memory slot 0 (slots from 1 are the library's, see
 * minivmm.c), one vCPU started in 32-bit protected mode, and the run loop.
 * The loop offers every port and MMIO exit to the PCI bus first (the
 * library's, dp_vbus_pio/dp_vbus_mmio, or minivmm's own with --own-bus),
 * then to minivmm's devices: the serial port (a 16550 with its interrupt,
 * enough for Linux's console), the exit and mark ports, and what Linux
 * pokes on a PC: the RTC/CMOS and the keyboard controller's reset.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "minivmm.h"

/* Where KVM may put the TSS and identity map it needs on Intel: below 4 GiB, above the LAPIC. */
#define TSS_GPA 0xfffbd000u
#define IDENTITY_MAP_GPA 0xfffbc000u

/* PC ports Linux uses besides the serial port. */
#define CMOS_INDEX_PORT 0x70u  /* the RTC: index (bit 7 masks NMI), then data at 0x71 */
#define CMOS_DATA_PORT 0x71u
#define I8042_CMD_PORT 0x64u   /* the keyboard controller: 0xfe pulses the reset line */
#define I8042_RESET 0xfeu

static int fail(const char *what)
{
	int e = errno;

	fprintf(stderr, "minivmm: %s: %s\n", what, strerror(e));
	return -e;
}

/*
 * The vCPU's CPUID: what KVM supports, so the guest sees a sane CPU (its
 * LAPIC, long mode for a 64-bit kernel), plus the "hypervisor" bit KVM
 * leaves to the VMM: with it Linux looks at KVM's leaves (0x40000000) and
 * takes kvm-clock and the paravirtual features instead of calibrating timers.
 */
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
	for (unsigned i = 0; r == 0 && i < c->nent; i++)
		if (c->entries[i].function == 1)
			c->entries[i].ecx |= 1u << 31; /* CPUID.1:ECX.HYPERVISOR */
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
	m->serial.newline = true;
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

int machine_enter32(struct machine *m, uint32_t eip, uint32_t esp, uint32_t esi)
{
	/* Null, null, flat code (execute/read), flat data (read/write): 4 GiB, 32-bit. */
	static const uint64_t gdt[4] = { 0, 0, 0x00cf9a000000ffffULL, 0x00cf92000000ffffULL };
	struct kvm_sregs sregs;
	struct kvm_regs regs = { 0 };

	memcpy(m->ram + MINIVMM_GDT_GPA, gdt, sizeof(gdt));
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
	regs.rip = eip;
	regs.rsp = esp;
	regs.rsi = esi;
	regs.rflags = 0x2; /* bit 1 is always set; interrupts off */
	if (ioctl(m->vcpu, KVM_SET_REGS, &regs) < 0)
		return fail("KVM_SET_REGS");
	return 0;
}

int machine_load(struct machine *m, const void *image, size_t len)
{
	if (len > MINIVMM_IMAGE_END - MINIVMM_LOAD_GPA || m->ram_size < MINIVMM_STACK_TOP) {
		fprintf(stderr, "minivmm: the guest image (%zu bytes) does not fit\n", len);
		return -E2BIG;
	}
	memcpy(m->ram + MINIVMM_LOAD_GPA, image, len);
	return machine_enter32(m, MINIVMM_LOAD_GPA, MINIVMM_STACK_TOP, 0);
}

int machine_create_pit(struct machine *m)
{
	struct kvm_pit_config pit = { .flags = 0 };

	if (ioctl(m->vm, KVM_CREATE_PIT2, &pit) < 0)
		return fail("KVM_CREATE_PIT2");
	return 0;
}

void machine_kick(struct machine *m)
{
	if (m->run)
		m->run->immediate_exit = 1;
}

/* KVM_IRQ_LINE for minivmm's own devices: not a relayed device interrupt. */
static int set_irq_line(struct machine *m, uint32_t gsi, bool level)
{
	struct kvm_irq_level irq = { .irq = gsi, .level = level };

	if (ioctl(m->vm, KVM_IRQ_LINE, &irq) < 0)
		return fail("KVM_IRQ_LINE");
	return 0;
}

int machine_irq_line(struct machine *m, uint32_t gsi, bool level)
{
	int r = set_irq_line(m, gsi, level);

	if (r == 0 && level)
		m->irqs_relayed++;
	return r;
}

/* 16550 registers (offsets from MINIVMM_SERIAL_PORT) and bits. */
enum { UART_THR = 0, UART_IER = 1, UART_IIR = 2, UART_FCR = 2, UART_LCR = 3, UART_MCR = 4,
       UART_LSR = 5, UART_MSR = 6, UART_SCR = 7 };
#define UART_IER_THRI 0x02u     /* interrupt when the transmitter is empty */
#define UART_IIR_NO_INT 0x01u
#define UART_IIR_THRI 0x02u
#define UART_IIR_FIFO 0xc0u     /* FIFOs enabled (FCR bit 0): a 16550A */
#define UART_LCR_DLAB 0x80u     /* +0 and +1 are the divisor latch */
#define UART_MCR_LOOP 0x10u
#define UART_LSR_EMPTY 0x60u    /* THRE | TEMT: every byte is out at once */
#define UART_MSR_IDLE 0xb0u     /* DCD | DSR | CTS */

/* The interrupt line follows "THRE pending and enabled"; KVM_IRQ_LINE only on a change. */
static void serial_update_irq(struct machine *m)
{
	bool level = m->serial.thre_pending && (m->serial.ier & UART_IER_THRI);

	if (level != m->serial.irq && set_irq_line(m, MINIVMM_SERIAL_IRQ, level) == 0)
		m->serial.irq = level;
}

/*
 * A 16550A as Linux's 8250 driver needs it for a console: output only, to
 * minivmm's stdout; the transmitter is always empty, and with THRI enabled
 * in IER the "THR empty" interrupt is raised on IRQ 4 after each byte (and
 * when THRI is enabled) until IIR reports it, as on the real part.
 */
static void serial_pio(struct machine *m, unsigned reg, uint8_t *data, bool write)
{
	bool dlab = m->serial.lcr & UART_LCR_DLAB;
	uint8_t v = *data;

	if (write) {
		switch (reg) {
		case UART_THR:
			if (dlab) {
				m->serial.dll = v;
				break;
			}
			fputc(v, stdout);
			m->serial.newline = v == '\n';
			if (m->serial.newline)
				fflush(stdout);
			m->serial.thre_pending = true;
			break;
		case UART_IER:
			if (dlab) {
				m->serial.dlm = v;
				break;
			}
			if ((v & UART_IER_THRI) && !(m->serial.ier & UART_IER_THRI))
				m->serial.thre_pending = true;
			m->serial.ier = v & 0x0f;
			break;
		case UART_FCR: m->serial.fcr = v; break;
		case UART_LCR: m->serial.lcr = v; break;
		case UART_MCR: m->serial.mcr = v & 0x1f; break;
		case UART_SCR: m->serial.scratch = v; break;
		default: break; /* LSR, MSR: read-only */
		}
		serial_update_irq(m);
		return;
	}
	switch (reg) {
	case UART_THR: *data = dlab ? m->serial.dll : 0; break; /* no input */
	case UART_IER: *data = dlab ? m->serial.dlm : m->serial.ier; break;
	case UART_IIR:
		*data = m->serial.fcr & 1 ? UART_IIR_FIFO : 0;
		if (m->serial.thre_pending && (m->serial.ier & UART_IER_THRI)) {
			*data |= UART_IIR_THRI;
			m->serial.thre_pending = false; /* reading IIR acknowledges it */
			serial_update_irq(m);
		} else {
			*data |= UART_IIR_NO_INT;
		}
		break;
	case UART_LCR: *data = m->serial.lcr; break;
	case UART_MCR: *data = m->serial.mcr; break;
	case UART_LSR: *data = UART_LSR_EMPTY; break;
	case UART_MSR:
		/* In loopback the modem outputs come back: OUT2 DCD, OUT1 RI, RTS CTS, DTR DSR. */
		if (m->serial.mcr & UART_MCR_LOOP) {
			uint8_t mcr = m->serial.mcr;

			*data = (uint8_t)((mcr & 0x08) << 4 | (mcr & 0x04) << 4 | (mcr & 0x02) << 3 |
					  (mcr & 0x01) << 5);
		} else {
			*data = UART_MSR_IDLE;
		}
		break;
	default: *data = m->serial.scratch; break; /* UART_SCR */
	}
}

static uint8_t bcd(int v)
{
	return (uint8_t)(v / 10 * 16 + v % 10);
}

/* The RTC as Linux reads it: the time now (UTC, BCD, 24-hour), status registers valid. */
static uint8_t cmos_read(unsigned index)
{
	time_t now = time(NULL);
	struct tm tm;

	gmtime_r(&now, &tm);
	switch (index) {
	case 0x00: return bcd(tm.tm_sec);
	case 0x02: return bcd(tm.tm_min);
	case 0x04: return bcd(tm.tm_hour);
	case 0x06: return bcd(tm.tm_wday + 1);
	case 0x07: return bcd(tm.tm_mday);
	case 0x08: return bcd(tm.tm_mon + 1);
	case 0x09: return bcd(tm.tm_year % 100);
	case 0x32: return bcd(19 + tm.tm_year / 100); /* the century */
	case 0x0a: return 0x26; /* A: 32.768 kHz, 1024 Hz, no update in progress */
	case 0x0b: return 0x02; /* B: 24-hour, BCD, no interrupts */
	case 0x0d: return 0x80; /* D: the battery is good, the RAM valid */
	default: return 0;
	}
}

static double seconds_since(const struct timespec *t)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - t->tv_sec) + (double)(now.tv_nsec - t->tv_nsec) / 1e9;
}

/* A byte on MINIVMM_MARK_PORT: 1 /init started; 2 and 3 bracket a span (the exits in it). */
static void mark(struct machine *m, uint8_t n)
{
	if (!m->serial.newline)
		fputc('\n', stdout);
	m->serial.newline = true;
	if (n == 1) {
		printf("minivmm: /init started after %.1f s\n", seconds_since(&m->started));
	} else if (n == 2) {
		m->mark_config_exits = m->config_exits;
		m->mark_bar_exits = m->bar_exits;
	} else if (n == 3) {
		printf("minivmm: during the read: %llu BAR exits, %llu config exits\n",
		       (unsigned long long)(m->bar_exits - m->mark_bar_exits),
		       (unsigned long long)(m->config_exits - m->mark_config_exits));
	}
	fflush(stdout);
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

int machine_pci_pio(struct machine *m, uint16_t port, void *data, size_t len, bool write)
{
	return m->vbus ? dp_vbus_pio(m->vbus, port, data, len, write)
		       : own_bus_pio(m->own_bus, port, data, len, write);
}

static int pci_pio(struct machine *m, uint16_t port, uint8_t *data, unsigned len, bool write)
{
	int r = machine_pci_pio(m, port, data, len, write);

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

/*
 * Every item of a port exit; 1 with *status set when the guest wrote the
 * exit port, -EPIPE when it reset the machine.
 */
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
		} else if (port == MINIVMM_EXIT_PORT && write) {
			*status = data[0];
			done = 1;
		} else if (port == MINIVMM_MARK_PORT && write) {
			mark(m, data[0]);
		} else if (port == MINIVMM_HOTPLUG_PORT && m->hotplug) {
			hotplug_pio(m, data, write);
		} else if (port == CMOS_INDEX_PORT && write) {
			m->cmos_index = data[0] & 0x7f;
		} else if (port == CMOS_DATA_PORT && !write) {
			data[0] = cmos_read(m->cmos_index);
		} else if (port == I8042_CMD_PORT && write && data[0] == I8042_RESET) {
			fprintf(stderr, "minivmm: the guest reset the machine (keyboard controller)\n");
			return -EPIPE;
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
		int status = 0, r;

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
			r = handle_pio(m, &status);
			if (r) {
				if (!m->serial.newline)
					fputc('\n', stdout);
				fflush(stdout);
				return r < 0 ? r : status;
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
			fprintf(stderr, "minivmm: the guest shut down (a triple fault, or a reboot)\n");
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
