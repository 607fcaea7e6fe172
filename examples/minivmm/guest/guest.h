/* SPDX-License-Identifier: MIT */
/*
 * What guest.c shares with the guest's device drivers (nvme.c): serial
 * output, PCI configuration access, MMIO, and the interrupt helpers. The
 * guest is freestanding: no C library, interrupts through guest.c's IDT and
 * the LAPIC at its reset address.
 */
#ifndef MINIVMM_GUEST_H
#define MINIVMM_GUEST_H

#include <stdint.h>

#include "../layout.h"

#define PCI_COMMAND 0x04u
#define PCI_COMMAND_IO 0x1u
#define PCI_COMMAND_MEMORY 0x2u
#define PCI_COMMAND_MASTER 0x4u
#define PCI_COMMAND_INTX_DISABLE 0x400u
#define PCI_STATUS_CAP_LIST 0x10u
#define PCI_BAR0 0x10u
#define PCI_CAP_PTR 0x34u
#define PCI_INTERRUPT_LINE 0x3cu
#define PCI_CAP_ID_MSI 0x05u
#define PCI_CAP_ID_EXP 0x10u
#define PCI_CAP_ID_MSIX 0x11u

#define LAPIC_EOI (MINIVMM_LAPIC_BASE + 0xb0u)

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

static inline uint32_t mmio_read32(uint32_t addr)
{
	return *(volatile uint32_t *)(uintptr_t)addr;
}

static inline void mmio_write32(uint32_t addr, uint32_t v)
{
	*(volatile uint32_t *)(uintptr_t)addr = v;
}

/* Serial output (the VMM's 16550). */
void putc_serial(char c);
void puts_serial(const char *s);
void puthex(uint32_t v, int digits);
void putdec(uint32_t v);

/* Configuration mechanism #1, bus 0. */
uint32_t cfg_read32(uint32_t dev, uint32_t fn, uint32_t reg);
void cfg_write32(uint32_t dev, uint32_t fn, uint32_t reg, uint32_t v);
void cfg_write16(uint32_t dev, uint32_t fn, uint32_t reg, uint16_t v);
/* The offset of the function's capability id, 0 when it has none. */
uint32_t find_cap(uint32_t dev, uint32_t fn, uint32_t id);
/*
 * Sizes memory BAR bar (all-ones, read back the mask) and, when its size is
 * size, places it at base (a 64-bit BAR's high dword 0). 1 on success.
 */
int place_mem_bar(uint32_t dev, uint32_t fn, uint32_t bar, uint32_t base, uint32_t size);

/*
 * Interrupts. irq_total counts every device interrupt the guest's handlers
 * took (printed at the end). idt_set installs a handler: a stub that ends in
 * iret. wait_irq waits in hlt until *count reaches want, bounded by the
 * LAPIC timer (about 4 s): 1 when it got there. The deadline helpers bound a
 * polling loop the same way; delay_ms waits out a time.
 */
extern volatile uint32_t irq_total;
void idt_set(unsigned vec, void (*handler)(void));
int wait_irq(volatile uint32_t *count, uint32_t want);
void deadline_start(uint32_t ms);
int deadline_passed(void);
void deadline_stop(void);
void delay_ms(uint32_t ms);

/* Sizes and places every BAR of the function in minivmm's windows; the command bits to enable. */
uint32_t place_bars(uint32_t dev, uint32_t fn, uint32_t *bar0);
/* edu (1234:11e8) with BAR0 at bar: everything, or its DMA round trip alone. 1 on success. */
#define EDU_VENDOR 0x1234u
#define EDU_DEVICE 0x11e8u
int drive_edu(uint32_t dev, uint32_t bar);
int edu_dma_round_trip(uint32_t dev, uint32_t bar);
/* hotplug.c (minivmm --hotplug): the held device hot added, driven, removed; the first edu again. */
int hotplug_test(uint32_t edu_dev, uint32_t edu_bar);

/* nvme.c: drives QEMU's NVMe (1b36:0010) with BAR0 placed at bar0. 1 on success. */
#define NVME_VENDOR 0x1b36u
#define NVME_DEVICE 0x0010u
int drive_nvme(uint32_t dev, uint32_t bar0);

#endif
