/* SPDX-License-Identifier: MIT */
/*
 * minivmm's guest: freestanding, 32-bit protected mode, flat segments, no
 * paging, loaded at MINIVMM_LOAD_GPA and entered at guest_start with the
 * stack set by the VMM. It enumerates bus 0 through CF8/CFC, prints what it
 * finds on the serial port, places the BARs in the VMM's window, drives an
 * edu device (1234:11e8) if there is one (MMIO, DMA, then an MSI taken
 * through the LAPIC and an IDT, then INTx through the IOAPIC) and an NVMe
 * controller (nvme.c), and reports through the exit port.
 */
#include <stddef.h>
#include <stdint.h>

#include "guest.h"

#define EDU_ID 0x00u
#define EDU_LIVENESS 0x04u
#define EDU_DMA_SRC 0x80u
#define EDU_DMA_DST 0x88u
#define EDU_DMA_COUNT 0x90u
#define EDU_DMA_CMD 0x98u
#define EDU_DMA_START 0x1u
#define EDU_DMA_TO_RAM 0x2u
#define EDU_IRQ_STATUS 0x24u
#define EDU_IRQ_RAISE 0x60u
#define EDU_IRQ_ACK 0x64u
#define EDU_BUFFER 0x40000u
#define DMA_LEN 4000u /* edu takes at most 4095 bytes a transfer */

#define PCI_MSI_ENABLE 0x1u
#define PCI_MSI_64BIT 0x80u

/* The local APIC (xAPIC, at its reset address: outside RAM and the BAR window). */
#define LAPIC_BASE MINIVMM_LAPIC_BASE
#define LAPIC_SVR (LAPIC_BASE + 0xf0u)
#define LAPIC_SVR_ENABLE 0x100u
#define LAPIC_LVT_TIMER (LAPIC_BASE + 0x320u)
#define LAPIC_LVT_MASKED 0x10000u
#define LAPIC_TIMER_INIT (LAPIC_BASE + 0x380u)
#define LAPIC_TIMER_DIV (LAPIC_BASE + 0x3e0u)
#define LAPIC_TIMER_DIV_2 0x0u

/* The in-kernel IOAPIC: an index register and a data window. */
#define IOAPIC_REGSEL MINIVMM_IOAPIC_BASE
#define IOAPIC_WIN (MINIVMM_IOAPIC_BASE + 0x10u)
#define IOAPIC_PINS 24u
#define IOAPIC_REDIR_LO(pin) (0x10u + 2u * (pin))
#define IOAPIC_REDIR_HI(pin) (0x11u + 2u * (pin))
#define IOAPIC_LEVEL 0x8000u /* trigger mode; active high, fixed, physical: all 0 */
#define IOAPIC_MASKED 0x10000u

#define VEC_MSI 0x41u      /* what edu's MSI data asks for */
#define VEC_INTX 0x43u     /* what the IOAPIC pin of edu's INTx delivers */
#define VEC_WATCHDOG 0x40u /* the LAPIC timer that bounds the wait */
#define VEC_SPURIOUS 0xffu
/* KVM's APIC timer counts at 1 GHz: divided by 2, 500000 ticks a millisecond. */
#define TIMER_TICKS_PER_MS 500000u
#define WATCHDOG_MS 4000u

void guest_start(void) __attribute__((noreturn, section(".text.start")));

/* The compiler may emit calls to these even when freestanding. */
void *memset(void *s, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n);

void *memset(void *s, int c, size_t n)
{
	unsigned char *p = s;

	while (n--)
		*p++ = (unsigned char)c;
	return s;
}

void *memcpy(void *d, const void *s, size_t n)
{
	unsigned char *dp = d;
	const unsigned char *sp = s;

	while (n--)
		*dp++ = *sp++;
	return d;
}

static inline void outl(uint16_t port, uint32_t v)
{
	__asm__ volatile("outl %0, %1" : : "a"(v), "Nd"(port));
}

static inline uint32_t inl(uint16_t port)
{
	uint32_t v;

	__asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline void outw(uint16_t port, uint16_t v)
{
	__asm__ volatile("outw %0, %1" : : "a"(v), "Nd"(port));
}

/* Serial output: wait for THR empty (LSR bit 5), then write. */
void putc_serial(char c)
{
	while (!(inb(MINIVMM_SERIAL_PORT + 5) & 0x20))
		;
	outb(MINIVMM_SERIAL_PORT, (uint8_t)c);
}

void puts_serial(const char *s)
{
	while (*s)
		putc_serial(*s++);
}

void puthex(uint32_t v, int digits)
{
	static const char hex[] = "0123456789abcdef";

	while (digits-- > 0)
		putc_serial(hex[(v >> (digits * 4)) & 0xf]);
}

void putdec(uint32_t v)
{
	char buf[12];
	int i = 0;

	do {
		buf[i++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (i--)
		putc_serial(buf[i]);
}

static __attribute__((noreturn)) void finish(int pass)
{
	puts_serial(pass ? "PASS\n" : "FAIL\n");
	if (inb(MINIVMM_SERIAL_PORT + 7) == MINIVMM_HOLD_MAGIC) {
		puts_serial("holding until the VMM is stopped\n");
		for (;;) /* minivmm --hold: spin in the guest until a signal ends the VMM */
			__asm__ volatile("pause");
	}
	outb(MINIVMM_EXIT_PORT, pass ? 0 : 1);
	for (;;) /* the VMM stops at the OUT; this is never reached */
		__asm__ volatile("cli; hlt");
}

/* Configuration mechanism #1. */
static uint32_t cfg_addr(uint32_t dev, uint32_t fn, uint32_t reg)
{
	return 0x80000000u | (dev << 11) | (fn << 8) | (reg & 0xfcu);
}

uint32_t cfg_read32(uint32_t dev, uint32_t fn, uint32_t reg)
{
	outl(MINIVMM_PCI_ADDR_PORT, cfg_addr(dev, fn, reg));
	return inl(MINIVMM_PCI_DATA_PORT);
}

void cfg_write32(uint32_t dev, uint32_t fn, uint32_t reg, uint32_t v)
{
	outl(MINIVMM_PCI_ADDR_PORT, cfg_addr(dev, fn, reg));
	outl(MINIVMM_PCI_DATA_PORT, v);
}

void cfg_write16(uint32_t dev, uint32_t fn, uint32_t reg, uint16_t v)
{
	outl(MINIVMM_PCI_ADDR_PORT, cfg_addr(dev, fn, reg));
	outw((uint16_t)(MINIVMM_PCI_DATA_PORT + (reg & 2u)), v);
}

static uint32_t next_mmio = MINIVMM_MMIO_BASE;
static uint32_t next_io = MINIVMM_IO_BASE;

/* Sizes each BAR (all-ones, read back the mask) and places it in the window. */
uint32_t place_bars(uint32_t dev, uint32_t fn, uint32_t *bar0)
{
	uint32_t cmd = 0;

	*bar0 = 0;
	for (uint32_t i = 0; i < 6; i++) {
		uint32_t reg = PCI_BAR0 + 4 * i, orig = cfg_read32(dev, fn, reg);
		uint32_t mask, size, base;
		int is_io, is64;

		cfg_write32(dev, fn, reg, 0xffffffffu);
		mask = cfg_read32(dev, fn, reg);
		if (mask == 0) {
			cfg_write32(dev, fn, reg, orig);
			continue;
		}
		is_io = mask & 1u;
		is64 = !is_io && (mask & 6u) == 4u;
		size = ~(mask & (is_io ? ~3u : ~15u)) + 1u;
		if (is64) {
			cfg_write32(dev, fn, reg + 4, 0xffffffffu);
			if (cfg_read32(dev, fn, reg + 4) != 0xffffffffu) {
				/* Needs the space above 4 GiB, which a 32-bit guest cannot reach. */
				puts_serial("    bar");
				putdec(i);
				puts_serial(": larger than 4 GiB, left unassigned\n");
				cfg_write32(dev, fn, reg + 4, 0);
				cfg_write32(dev, fn, reg, orig);
				i++;
				continue;
			}
		}
		if (is_io) {
			base = (next_io + size - 1) & ~(size - 1);
			if (base + size > MINIVMM_IO_END || base < next_io) {
				puts_serial("    no room for an I/O BAR\n");
				continue;
			}
			next_io = base + size;
			cmd |= PCI_COMMAND_IO;
		} else {
			base = (next_mmio + size - 1) & ~(size - 1);
			if (base < next_mmio || base + size > MINIVMM_MMIO_END || base + size < base) {
				puts_serial("    no room for a memory BAR\n");
				if (is64)
					i++;
				continue;
			}
			next_mmio = base + size;
			cmd |= PCI_COMMAND_MEMORY;
		}
		cfg_write32(dev, fn, reg, base);
		if (is64)
			cfg_write32(dev, fn, reg + 4, 0);
		puts_serial("    bar");
		putdec(i);
		puts_serial(is_io ? " io   0x" : (is64 ? " mem64 0x" : " mem  0x"));
		puthex(base, is_io ? 4 : 8);
		puts_serial(" size 0x");
		puthex(size, 8);
		putc_serial('\n');
		if (i == 0)
			*bar0 = base;
		if (is64)
			i++;
	}
	return cmd;
}

static uint8_t dma_out[DMA_LEN], dma_in[DMA_LEN];

/* Waits for edu's DMA engine; each transfer takes 100 ms of its virtual time. */
static int edu_dma_wait(uint32_t bar)
{
	for (uint32_t spins = 0; spins < 100000000u; spins++)
		if (!(mmio_read32(bar + EDU_DMA_CMD) & EDU_DMA_START))
			return 0;
	return -1;
}

static int edu_dma(uint32_t bar, uint32_t src, uint32_t dst, uint32_t cmd)
{
	mmio_write32(bar + EDU_DMA_SRC, src);
	mmio_write32(bar + EDU_DMA_SRC + 4, 0);
	mmio_write32(bar + EDU_DMA_DST, dst);
	mmio_write32(bar + EDU_DMA_DST + 4, 0);
	mmio_write32(bar + EDU_DMA_COUNT, DMA_LEN);
	mmio_write32(bar + EDU_DMA_COUNT + 4, 0);
	mmio_write32(bar + EDU_DMA_CMD, cmd | EDU_DMA_START);
	return edu_dma_wait(bar);
}

/*
 * Sizes a memory BAR and places it at base, as place_bars does: for a
 * device whose BARs must be placed again (after a reset), at the same place.
 */
int place_mem_bar(uint32_t dev, uint32_t fn, uint32_t bar, uint32_t base, uint32_t size)
{
	uint32_t reg = PCI_BAR0 + 4 * bar, mask;
	int is64;

	cfg_write32(dev, fn, reg, 0xffffffffu);
	mask = cfg_read32(dev, fn, reg);
	if ((mask & 1u) || ~(mask & ~15u) + 1u != size) {
		puts_serial("    bar");
		putdec(bar);
		puts_serial(": sizing read back 0x");
		puthex(mask, 8);
		putc_serial('\n');
		return 0;
	}
	is64 = (mask & 6u) == 4u;
	if (is64) {
		cfg_write32(dev, fn, reg + 4, 0xffffffffu);
		(void)cfg_read32(dev, fn, reg + 4);
		cfg_write32(dev, fn, reg + 4, 0);
	}
	cfg_write32(dev, fn, reg, base);
	return (cfg_read32(dev, fn, reg) & ~15u) == base;
}

/*
 * Interrupts: an IDT of 32-bit interrupt gates in the VMM's flat code
 * segment. The edge-triggered handlers touch no register (the counters are
 * incremented in memory, EOI is a store of an immediate) and iret restores
 * the flags; INTx's handler must talk to the device before its EOI, so it
 * saves the registers and calls C.
 */
volatile uint32_t irq_total, msi_count, intx_count, watchdog_fired;
void isr_msi(void);
void isr_intx(void);
void isr_watchdog(void);
void isr_spurious(void);
void intx_handler(void);
__asm__(".pushsection .text\n"
	".globl isr_msi\n"
	"isr_msi:\n"
	"	lock incl msi_count\n"
	"	lock incl irq_total\n"
	"	movl $0, 0xfee000b0\n"
	"	iret\n"
	".globl isr_intx\n"
	"isr_intx:\n"
	"	pushal\n"
	"	cld\n"
	"	call intx_handler\n"
	"	popal\n"
	"	iret\n"
	".globl isr_watchdog\n"
	"isr_watchdog:\n"
	"	movl $1, watchdog_fired\n"
	"	movl $0, 0xfee000b0\n"
	"	iret\n"
	".globl isr_spurious\n"
	"isr_spurious:\n" /* no EOI for the spurious vector */
	"	iret\n"
	".popsection\n");

struct idt_gate {
	uint16_t offset_lo, selector;
	uint8_t zero, type; /* 0x8e: present, ring 0, 32-bit interrupt gate */
	uint16_t offset_hi;
};

static struct idt_gate idt[256] __attribute__((aligned(8)));

void idt_set(unsigned vec, void (*handler)(void))
{
	uint32_t a = (uint32_t)(uintptr_t)handler;

	idt[vec] = (struct idt_gate){ .offset_lo = (uint16_t)a, .selector = MINIVMM_CODE_SEL,
				      .type = 0x8e, .offset_hi = (uint16_t)(a >> 16) };
}

/* The LAPIC on, the IDT loaded, interrupts on: once, before any device. */
static void interrupts_init(void)
{
	struct __attribute__((packed)) {
		uint16_t limit;
		uint32_t base;
	} idtr = { sizeof(idt) - 1, (uint32_t)(uintptr_t)idt };

	mmio_write32(LAPIC_SVR, LAPIC_SVR_ENABLE | VEC_SPURIOUS);
	mmio_write32(LAPIC_TIMER_DIV, LAPIC_TIMER_DIV_2);
	mmio_write32(LAPIC_LVT_TIMER, LAPIC_LVT_MASKED | VEC_WATCHDOG);
	idt_set(VEC_MSI, isr_msi);
	idt_set(VEC_INTX, isr_intx);
	idt_set(VEC_WATCHDOG, isr_watchdog);
	idt_set(VEC_SPURIOUS, isr_spurious);
	__asm__ volatile("lidt %0; sti" : : "m"(idtr));
}

/* The LAPIC timer, one-shot, bounds a wait: watchdog_fired says it ran out. */
void deadline_start(uint32_t ms)
{
	watchdog_fired = 0;
	mmio_write32(LAPIC_LVT_TIMER, VEC_WATCHDOG); /* one-shot */
	mmio_write32(LAPIC_TIMER_INIT, ms * TIMER_TICKS_PER_MS);
}

int deadline_passed(void)
{
	return watchdog_fired != 0;
}

void deadline_stop(void)
{
	mmio_write32(LAPIC_TIMER_INIT, 0);
	mmio_write32(LAPIC_LVT_TIMER, LAPIC_LVT_MASKED | VEC_WATCHDOG);
}

/* Sleeps in hlt until *count reaches want, or the watchdog's time is up. */
int wait_irq(volatile uint32_t *count, uint32_t want)
{
	deadline_start(WATCHDOG_MS);
	/* sti;hlt has no window: an interrupt between the check and hlt wakes it. */
	__asm__ volatile("cli");
	while (*count < want && !watchdog_fired)
		__asm__ volatile("sti; hlt; cli" : : : "memory");
	__asm__ volatile("sti");
	deadline_stop();
	return *count >= want;
}

void delay_ms(uint32_t ms)
{
	deadline_start(ms);
	__asm__ volatile("cli");
	while (!watchdog_fired)
		__asm__ volatile("sti; hlt; cli" : : : "memory");
	__asm__ volatile("sti");
	deadline_stop();
}

uint32_t find_cap(uint32_t dev, uint32_t fn, uint32_t id)
{
	uint32_t at;

	if (!((cfg_read32(dev, fn, PCI_COMMAND) >> 16) & PCI_STATUS_CAP_LIST))
		return 0;
	at = cfg_read32(dev, fn, PCI_CAP_PTR) & 0xfcu;
	for (unsigned n = 0; n < 48 && at >= 0x40u; n++) {
		uint32_t hdr = cfg_read32(dev, fn, at);

		if ((hdr & 0xffu) == id)
			return at;
		at = (hdr >> 8) & 0xfcu;
	}
	return 0;
}

/*
 * edu's interrupt as an MSI: the VMM routes what the guest programs here to
 * the LAPIC through irqfd. The wait is bounded by a LAPIC timer, so a lost
 * interrupt is a FAIL, not a hang.
 */
static int edu_msi(uint32_t dev, uint32_t bar)
{
	uint32_t cap = find_cap(dev, 0, PCI_CAP_ID_MSI), ctrl, status;

	if (!cap) {
		puts_serial("edu: no MSI capability\n");
		return 0;
	}
	ctrl = cfg_read32(dev, 0, cap) >> 16;
	cfg_write32(dev, 0, cap + 4, LAPIC_BASE); /* destination APIC ID 0, fixed */
	if (ctrl & PCI_MSI_64BIT) {
		cfg_write32(dev, 0, cap + 8, 0);
		cfg_write16(dev, 0, cap + 12, VEC_MSI); /* edge, fixed delivery */
	} else {
		cfg_write16(dev, 0, cap + 8, VEC_MSI);
	}
	/* One vector (multiple message enable 0), then enable. */
	cfg_write16(dev, 0, cap + 2, (uint16_t)((ctrl & ~0x70u) | PCI_MSI_ENABLE));

	msi_count = 0;
	mmio_write32(bar + EDU_IRQ_RAISE, 1);
	wait_irq(&msi_count, 1);

	status = mmio_read32(bar + EDU_IRQ_STATUS);
	if (!msi_count) {
		puts_serial("edu: no MSI within the watchdog's time (irq status 0x");
		puthex(status, 8);
		puts_serial(")\n");
		return 0;
	}
	if (!(status & 1u)) {
		puts_serial("edu: MSI taken but irq status 0x");
		puthex(status, 8);
		putc_serial('\n');
		return 0;
	}
	mmio_write32(bar + EDU_IRQ_ACK, status);
	status = mmio_read32(bar + EDU_IRQ_STATUS);
	if (status) {
		puts_serial("edu: irq status 0x");
		puthex(status, 8);
		puts_serial(" after the ack\n");
		return 0;
	}
	puts_serial("edu: MSI vector 0x");
	puthex(VEC_MSI, 2);
	puts_serial(" taken ");
	putdec(msi_count);
	puts_serial(msi_count == 1 ? " time\n" : " times\n");
	puts_serial("MSI OK\n");
	/* Off again: with MSI disabled, edu raises its INTx line instead. */
	cfg_write16(dev, 0, cap + 2, (uint16_t)(ctrl & ~(0x70u | PCI_MSI_ENABLE)));
	return 1;
}

static void ioapic_write(uint32_t reg, uint32_t v)
{
	mmio_write32(IOAPIC_REGSEL, reg);
	mmio_write32(IOAPIC_WIN, v);
}

/*
 * INTx: the handler runs with the line still asserted (level-triggered), so
 * it acks edu first and EOIs after; the EOI, broadcast to the IOAPIC, is what
 * resamples the line (KVM's resampler unmasks the host's INTx through VFIO).
 */
static uint32_t intx_bar;
static volatile uint32_t intx_status;

void intx_handler(void)
{
	uint32_t status = mmio_read32(intx_bar + EDU_IRQ_STATUS);

	intx_status = status;
	mmio_write32(intx_bar + EDU_IRQ_ACK, status);
	intx_count++;
	irq_total++;
	mmio_write32(LAPIC_EOI, 0);
}

/*
 * edu's interrupt on its INTx line: the VMM presets the interrupt line
 * register to the IOAPIC pin (GSI) it routed the line to. Twice, so that the
 * second proves the line was unmasked after the first EOI.
 */
static int edu_intx(uint32_t dev, uint32_t bar)
{
	uint32_t pin = cfg_read32(dev, 0, PCI_INTERRUPT_LINE) & 0xffu;
	uint32_t cmd = cfg_read32(dev, 0, PCI_COMMAND) & 0xffffu;
	int ok = 1;

	puts_serial("edu: INTx on IOAPIC pin ");
	putdec(pin);
	putc_serial('\n');
	if (pin >= IOAPIC_PINS) {
		puts_serial("edu: the interrupt line is not an IOAPIC pin\n");
		return 0;
	}
	intx_bar = bar;
	intx_count = 0;
	ioapic_write(IOAPIC_REDIR_HI(pin), 0); /* destination APIC ID 0 */
	ioapic_write(IOAPIC_REDIR_LO(pin), IOAPIC_LEVEL | VEC_INTX);
	if (cmd & PCI_COMMAND_INTX_DISABLE)
		cfg_write16(dev, 0, PCI_COMMAND, (uint16_t)(cmd & ~PCI_COMMAND_INTX_DISABLE));

	/* edu ORs what is written here into its status: 1, then 2, tells the two apart. */
	for (uint32_t n = 1; n <= 2 && ok; n++) {
		mmio_write32(bar + EDU_IRQ_RAISE, n);
		if (!wait_irq(&intx_count, n)) {
			puts_serial("edu: INTx ");
			putdec(n);
			puts_serial(" not taken within the watchdog's time (irq status 0x");
			puthex(mmio_read32(bar + EDU_IRQ_STATUS), 8);
			puts_serial(")\n");
			ok = 0;
		} else if (intx_status != n) {
			puts_serial("edu: INTx handler saw irq status 0x");
			puthex(intx_status, 8);
			putc_serial('\n');
			ok = 0;
		}
	}
	ioapic_write(IOAPIC_REDIR_LO(pin), IOAPIC_MASKED | IOAPIC_LEVEL | VEC_INTX);
	if (!ok)
		return 0;
	puts_serial("edu: INTx vector 0x");
	puthex(VEC_INTX, 2);
	puts_serial(" taken ");
	putdec(intx_count);
	puts_serial(" times\n");
	puts_serial("INTx OK\n");
	return 1;
}

int drive_edu(uint32_t dev, uint32_t bar)
{
	uint32_t id, v;

	if (!bar) {
		puts_serial("edu: BAR0 not placed\n");
		return 0;
	}
	id = mmio_read32(bar + EDU_ID);
	puts_serial("edu: id 0x");
	puthex(id, 8);
	putc_serial('\n');
	if (id != 0x010000edu)
		return 0;
	mmio_write32(bar + EDU_LIVENESS, 0x5a5aa5a5u);
	v = mmio_read32(bar + EDU_LIVENESS);
	puts_serial("edu: liveness 0x");
	puthex(v, 8);
	putc_serial('\n');
	if (v != ~0x5a5aa5a5u)
		return 0;
	return edu_dma_round_trip(dev, bar) && edu_msi(dev, bar) && edu_intx(dev, bar);
}

int edu_dma_round_trip(uint32_t dev, uint32_t bar)
{
	for (uint32_t i = 0; i < DMA_LEN; i++) {
		dma_out[i] = (uint8_t)(i * 7u + dev);
		dma_in[i] = 0;
	}
	/* RAM -> device buffer, then back into another buffer: GPA = IOVA. */
	if (edu_dma(bar, (uint32_t)(uintptr_t)dma_out, EDU_BUFFER, 0) < 0 ||
	    edu_dma(bar, EDU_BUFFER, (uint32_t)(uintptr_t)dma_in, EDU_DMA_TO_RAM) < 0) {
		puts_serial("edu: DMA did not complete\n");
		return 0;
	}
	for (uint32_t i = 0; i < DMA_LEN; i++)
		if (dma_in[i] != dma_out[i]) {
			puts_serial("edu: DMA mismatch at byte ");
			putdec(i);
			putc_serial('\n');
			return 0;
		}
	puts_serial("edu: DMA of ");
	putdec(DMA_LEN);
	puts_serial(" bytes there and back verified\n");
	return 1;
}

void guest_start(void)
{
	unsigned found = 0;
	int pass = 1, edus = 0;
	uint32_t edu_dev = 0, edu_bar = 0; /* the first edu, for --hotplug */

	puts_serial("minivmm guest: 32-bit protected mode, enumerating PCI bus 0\n");
	interrupts_init();
	for (uint32_t dev = 0; dev < 32; dev++) {
		uint32_t nfn = 1;

		for (uint32_t fn = 0; fn < nfn; fn++) {
			uint32_t id = cfg_read32(dev, fn, 0x00), cls, hdr, bar0, cmd;

			if ((id & 0xffffu) == 0xffffu)
				continue;
			cls = cfg_read32(dev, fn, 0x08) >> 8;
			hdr = (cfg_read32(dev, fn, 0x0c) >> 16) & 0xffu;
			if (fn == 0 && (hdr & 0x80u))
				nfn = 8;
			found++;
			puts_serial("pci 00:");
			puthex(dev, 2);
			putc_serial('.');
			puthex(fn, 1);
			putc_serial(' ');
			puthex(id & 0xffffu, 4);
			putc_serial(':');
			puthex(id >> 16, 4);
			puts_serial(" class ");
			puthex(cls, 6);
			putc_serial('\n');
			if (cls == 0x060000u)
				continue; /* the host bridge has nothing to place */
			cmd = place_bars(dev, fn, &bar0);
			if ((id & 0xffffu) == EDU_VENDOR && (id >> 16) == EDU_DEVICE) {
				/* Bus mastering first, or the device's DMA is dropped. */
				cfg_write16(dev, fn, PCI_COMMAND, (uint16_t)(cmd | PCI_COMMAND_MASTER));
				if (!edus++) {
					edu_dev = dev;
					edu_bar = bar0;
				}
				if (!drive_edu(dev, bar0))
					pass = 0;
			} else if ((id & 0xffffu) == NVME_VENDOR && (id >> 16) == NVME_DEVICE) {
				/* The controller reads and writes its queues in guest RAM. */
				cfg_write16(dev, fn, PCI_COMMAND, (uint16_t)(cmd | PCI_COMMAND_MASTER));
				if (!drive_nvme(dev, bar0))
					pass = 0;
			} else {
				cfg_write16(dev, fn, PCI_COMMAND, (uint16_t)cmd);
			}
		}
	}
	puts_serial("pci: ");
	putdec(found);
	puts_serial(found == 1 ? " function" : " functions");
	puts_serial(" on bus 0\n");
	if (!edus)
		puts_serial("no edu device: nothing to drive\n");
	if (inb(MINIVMM_HOTPLUG_PORT) == MINIVMM_HOTPLUG_HELD && !(edus && hotplug_test(edu_dev, edu_bar)))
		pass = 0;
	puts_serial("guest: ");
	putdec(irq_total);
	puts_serial(irq_total == 1 ? " interrupt\n" : " interrupts\n");
	finish(pass);
}
