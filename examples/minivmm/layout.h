/* SPDX-License-Identifier: MIT */
/*
 * The machine minivmm builds, as both sides see it: the VMM (minivmm.c,
 * machine.c, pci.c) and the guest program (guest/guest.c) include this file,
 * so it holds plain constants only (the guest is freestanding).
 *
 * Guest physical memory:
 *   0x00000000  RAM, slot 0, --memory bytes (at most MINIVMM_MMIO_BASE)
 *     0x1000    the GDT the VMM writes (null, null, flat code 0x10, flat
 *               data 0x18: the selectors Linux's 32-bit boot protocol wants)
 *     0x10000   the guest program, entered in 32-bit protected mode
 *     0x9f000   top of the guest's stack (the image must end below 0x90000)
 *   With --kernel instead of the guest program (boot.c, mptable.c):
 *     0x7000    Linux's boot_params (the "zero page")
 *     0x20000   the kernel command line
 *     0x9fc00   reserved to the end of the first MiB; the MP table at 0xf0000
 *     0x100000  the kernel's protected-mode code; the initrd at the top of RAM
 *   0xc0000000  the window where the guest (or minivmm, for Linux) places memory BARs
 *   0xe0000000  the PCI bus's ECAM window (bus 0: 1 MiB)
 *   0xfec00000  the in-kernel IOAPIC, then the LAPIC at 0xfee00000
 */
#ifndef MINIVMM_LAYOUT_H
#define MINIVMM_LAYOUT_H

#define MINIVMM_GDT_GPA 0x1000u
#define MINIVMM_LOAD_GPA 0x10000u
#define MINIVMM_IMAGE_END 0x90000u
#define MINIVMM_STACK_TOP 0x9f000u
#define MINIVMM_CODE_SEL 0x10u
#define MINIVMM_DATA_SEL 0x18u

/* Booting Linux (--kernel). */
#define MINIVMM_BOOT_PARAMS_GPA 0x7000u
#define MINIVMM_CMDLINE_GPA 0x20000u
#define MINIVMM_CMDLINE_MAX 0x10000u   /* bytes, the terminating NUL included */
#define MINIVMM_LOW_RAM_END 0x9fc00u   /* RAM below; reserved from here to 1 MiB */
#define MINIVMM_MPTABLE_GPA 0xf0000u   /* the MP floating pointer, then the table */
#define MINIVMM_KERNEL_GPA 0x100000u

#define MINIVMM_MMIO_BASE 0xc0000000u
#define MINIVMM_MMIO_END 0xe0000000u /* exclusive */
#define MINIVMM_ECAM_BASE 0xe0000000u /* bus 0's config space, 4 KiB a function */
#define MINIVMM_IOAPIC_BASE 0xfec00000u
#define MINIVMM_LAPIC_BASE 0xfee00000u
#define MINIVMM_IO_BASE 0xc000u      /* I/O BARs */
#define MINIVMM_IO_END 0x10000u

#define MINIVMM_MIN_MEMORY (1u << 20)

/* Ports. */
#define MINIVMM_SERIAL_PORT 0x3f8u /* 16550: THR/RBR +0, LCR +3, LSR +5; ISA IRQ 4 */
#define MINIVMM_SERIAL_IRQ 4u
#define MINIVMM_PCI_ADDR_PORT 0xcf8u /* configuration mechanism #1 */
#define MINIVMM_PCI_DATA_PORT 0xcfcu
#define MINIVMM_EXIT_PORT 0x501u   /* OUT a byte: 0 PASS, anything else FAIL */
#define MINIVMM_MARK_PORT 0x502u   /* OUT a byte N: mark N (1 /init started, 2-3 a span) */
#define MINIVMM_HOLD_MAGIC 0x5au   /* in the serial scratch register: wait, do not exit */
/*
 * --hotplug (hotplug.c): OUT 1 hot adds the device held back, OUT 2 hot
 * removes it; IN: MINIVMM_HOTPLUG_HELD, _ADDED or _REMOVED, with
 * MINIVMM_HOTPLUG_FAILED when the last request failed; all ones without
 * --hotplug. The guest-visible signal a real VMM raises (ACPI, PCIe native).
 */
#define MINIVMM_HOTPLUG_PORT 0x503u
#define MINIVMM_HOTPLUG_HELD 1u
#define MINIVMM_HOTPLUG_ADDED 2u
#define MINIVMM_HOTPLUG_REMOVED 3u
#define MINIVMM_HOTPLUG_FAILED 0x80u

/* The host bridge the VMM presents at 00:00.0; passthrough devices from 00:01.0. */
#define MINIVMM_HOST_BRIDGE_VENDOR 0x1b36u
#define MINIVMM_HOST_BRIDGE_DEVICE 0x0008u
#define MINIVMM_MAX_DEVICES 31
/* A device at 00:slot.0 has its INTA# on IOAPIC pin (and GSI) 16 + (slot - 1) % 8. */
#define MINIVMM_INTX_GSI(slot) (16u + ((slot) - 1u) % 8u)

#endif
