/* SPDX-License-Identifier: MIT */
/*
 * minivmm's guest: freestanding, 32-bit protected mode, flat segments, no
 * paging, loaded at MINIVMM_LOAD_GPA and entered at guest_start with the
 * stack set by the VMM. It enumerates bus 0 through CF8/CFC, prints what it
 * finds on the serial port, places the BARs in the VMM's window, drives an
 * edu device (1234:11e8) if there is one, and reports through the exit port.
 */
#include <stddef.h>
#include <stdint.h>

#include "../layout.h"

#define EDU_VENDOR 0x1234u
#define EDU_DEVICE 0x11e8u
#define EDU_ID 0x00u
#define EDU_LIVENESS 0x04u
#define EDU_DMA_SRC 0x80u
#define EDU_DMA_DST 0x88u
#define EDU_DMA_COUNT 0x90u
#define EDU_DMA_CMD 0x98u
#define EDU_DMA_START 0x1u
#define EDU_DMA_TO_RAM 0x2u
#define EDU_BUFFER 0x40000u
#define DMA_LEN 4000u /* edu takes at most 4095 bytes a transfer */

#define PCI_COMMAND 0x04u
#define PCI_COMMAND_IO 0x1u
#define PCI_COMMAND_MEMORY 0x2u
#define PCI_COMMAND_MASTER 0x4u
#define PCI_BAR0 0x10u

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

static inline void outb(uint16_t port, uint8_t v)
{
	__asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

static inline uint8_t inb(uint16_t port)
{
	uint8_t v;

	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
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

static inline uint32_t mmio_read32(uint32_t addr)
{
	return *(volatile uint32_t *)(uintptr_t)addr;
}

static inline void mmio_write32(uint32_t addr, uint32_t v)
{
	*(volatile uint32_t *)(uintptr_t)addr = v;
}

/* Serial output: wait for THR empty (LSR bit 5), then write. */
static void putc_serial(char c)
{
	while (!(inb(MINIVMM_SERIAL_PORT + 5) & 0x20))
		;
	outb(MINIVMM_SERIAL_PORT, (uint8_t)c);
}

static void puts_serial(const char *s)
{
	while (*s)
		putc_serial(*s++);
}

static void puthex(uint32_t v, int digits)
{
	static const char hex[] = "0123456789abcdef";

	while (digits-- > 0)
		putc_serial(hex[(v >> (digits * 4)) & 0xf]);
}

static void putdec(uint32_t v)
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
	outb(MINIVMM_EXIT_PORT, pass ? 0 : 1);
	for (;;) /* the VMM stops at the OUT; this is never reached */
		__asm__ volatile("cli; hlt");
}

/* Configuration mechanism #1. */
static uint32_t cfg_addr(uint32_t dev, uint32_t fn, uint32_t reg)
{
	return 0x80000000u | (dev << 11) | (fn << 8) | (reg & 0xfcu);
}

static uint32_t cfg_read32(uint32_t dev, uint32_t fn, uint32_t reg)
{
	outl(MINIVMM_PCI_ADDR_PORT, cfg_addr(dev, fn, reg));
	return inl(MINIVMM_PCI_DATA_PORT);
}

static void cfg_write32(uint32_t dev, uint32_t fn, uint32_t reg, uint32_t v)
{
	outl(MINIVMM_PCI_ADDR_PORT, cfg_addr(dev, fn, reg));
	outl(MINIVMM_PCI_DATA_PORT, v);
}

static void cfg_write16(uint32_t dev, uint32_t fn, uint32_t reg, uint16_t v)
{
	outl(MINIVMM_PCI_ADDR_PORT, cfg_addr(dev, fn, reg));
	outw((uint16_t)(MINIVMM_PCI_DATA_PORT + (reg & 2u)), v);
}

static uint32_t next_mmio = MINIVMM_MMIO_BASE;
static uint32_t next_io = MINIVMM_IO_BASE;

/* Sizes each BAR (all-ones, read back the mask) and places it in the window. */
static uint32_t place_bars(uint32_t dev, uint32_t fn, uint32_t *bar0)
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

static int drive_edu(uint32_t dev, uint32_t bar)
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

	/*
	 * MSI goes here once the library routes it (issue 6): enable the LAPIC
	 * (spurious vector register at 0xfee000f0, bit 8), load an IDT whose
	 * vector V entry points at a handler that counts and writes EOI
	 * (0xfee000b0), program edu's MSI capability with address 0xfee00000
	 * (destination APIC ID 0) and data V (fixed, edge), enable it, sti,
	 * raise it through edu register 0x60, wait for the count, ack 0x64.
	 */
	return 1;
}

void guest_start(void)
{
	unsigned found = 0;
	int pass = 1, edus = 0;

	puts_serial("minivmm guest: 32-bit protected mode, enumerating PCI bus 0\n");
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
				edus++;
				if (!drive_edu(dev, bar0))
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
	finish(pass);
}
