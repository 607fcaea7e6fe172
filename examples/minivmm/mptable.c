/* SPDX-License-Identifier: MIT */
/*
 * The MP table (Intel MultiProcessor Specification 1.4): how a guest
 * without ACPI (Linux with acpi=off, or none found) learns where the LAPIC
 * and IOAPIC are and how interrupts reach the IOAPIC's pins. Linux scans
 * 0xf0000-0xfffff for the floating pointer "_MP_", which points at the
 * configuration table "PCMP" and its entries:
 *  - the one processor (LAPIC ID 0, the bootstrap processor);
 *  - bus 0 "PCI" and bus 1 "ISA";
 *  - the in-kernel IOAPIC at 0xfec00000 (24 pins, GSI n = pin n);
 *  - ISA IRQs 0-15 on pins 0-15 (2, the PICs' cascade, left out). KVM's
 *    default routing, which the library's bus and ownbus.c keep, sends
 *    GSI 0, where the in-kernel PIT fires, to pin 0: so IRQ 0 is on pin 0,
 *    not on pin 2 as on QEMU's and real PCs' routing;
 *  - INTA# of each passed-through function at 00:slot.0, named as the spec
 *    says (source bus irq = slot << 2 | INTA#), on pin MINIVMM_INTX_GSI(slot):
 *    level-triggered, active high, as KVM's IOAPIC takes an irqfd's line;
 *  - the LAPIC's LINT0 as ExtINT (the PIC, virtual wire) and LINT1 as NMI.
 * The whole table lives in the reserved area below 1 MiB (boot.c's e820).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "minivmm.h"

#define PCI_BUS 0
#define ISA_BUS 1
#define IOAPIC_ID 1        /* after the one CPU's LAPIC ID 0 */
#define LAPIC_VERSION 0x14 /* what KVM's LAPIC and IOAPIC report */
#define IOAPIC_VERSION 0x11
#define CASCADE_IRQ 2      /* ISA IRQ 2, the PICs' cascade: no entry */

enum { MP_PROCESSOR, MP_BUS, MP_IOAPIC, MP_INTSRC, MP_LINTSRC };
enum { MP_INT, MP_NMI, MP_SMI, MP_EXTINT };
#define MP_CPU_ENABLED 0x01u
#define MP_CPU_BSP 0x02u
#define MP_IOAPIC_USABLE 0x01u
#define MP_IRQ_CONFORMS 0x00u            /* the bus's default: ISA is edge, active high */
#define MP_IRQ_LEVEL_HIGH 0x0du          /* polarity 01 active high, trigger 11 level */

struct mp_floating {                     /* 16 bytes, on a 16-byte boundary */
	char signature[4];               /* "_MP_" */
	uint32_t table;                  /* the configuration table's address */
	uint8_t length;                  /* in 16-byte units: 1 */
	uint8_t spec;                    /* 4: version 1.4 */
	uint8_t checksum;                /* the 16 bytes sum to 0 */
	uint8_t feature[5];              /* 0: a table is present, virtual wire mode */
} __attribute__((packed));

struct mp_header {
	char signature[4];               /* "PCMP" */
	uint16_t length;                 /* the header and the entries */
	uint8_t spec;
	uint8_t checksum;
	char oem[8];
	char product[12];
	uint32_t oem_table;
	uint16_t oem_table_size;
	uint16_t entries;
	uint32_t lapic;                  /* the LAPIC's address */
	uint16_t ext_length;
	uint8_t ext_checksum;
	uint8_t reserved;
} __attribute__((packed));

struct mp_cpu {
	uint8_t type, apic_id, apic_version, flags;
	uint32_t signature;              /* CPUID 1's EAX: family, model, stepping */
	uint32_t features;               /* CPUID 1's EDX */
	uint32_t reserved[2];
} __attribute__((packed));

struct mp_bus {
	uint8_t type, id;
	char name[6];                    /* "PCI   ", "ISA   " */
} __attribute__((packed));

struct mp_ioapic {
	uint8_t type, id, version, flags;
	uint32_t address;
} __attribute__((packed));

struct mp_irq {                          /* MP_INTSRC and MP_LINTSRC */
	uint8_t type, irq_type;
	uint16_t flags;
	uint8_t src_bus, src_irq, dst_apic, dst_pin;
} __attribute__((packed));

static uint8_t checksum(const void *p, size_t len)
{
	const uint8_t *b = p;
	uint8_t sum = 0;

	while (len--)
		sum += *b++;
	return (uint8_t)-sum;
}

static void add_irq(uint8_t **p, uint16_t *entries, uint8_t type, uint8_t irq_type,
		    uint16_t flags, uint8_t bus, uint8_t src, uint8_t apic, uint8_t pin)
{
	struct mp_irq e = { type, irq_type, flags, bus, src, apic, pin };

	memcpy(*p, &e, sizeof(e));
	*p += sizeof(e);
	++*entries;
}

int mptable_write(struct machine *m, unsigned n_slots)
{
	uint8_t *base = m->ram + MINIVMM_MPTABLE_GPA, *p;
	struct mp_floating *mpf = (struct mp_floating *)base;
	struct mp_header *h = (struct mp_header *)(base + sizeof(*mpf));
	struct mp_cpu cpu = { .type = MP_PROCESSOR, .apic_id = 0, .apic_version = LAPIC_VERSION,
		.flags = MP_CPU_ENABLED | MP_CPU_BSP,
		.signature = 0x600, .features = 0x201 /* family 6; FPU, APIC */ };
	struct mp_bus pci = { MP_BUS, PCI_BUS, "PCI   " }, isa = { MP_BUS, ISA_BUS, "ISA   " };
	struct mp_ioapic ioapic = { MP_IOAPIC, IOAPIC_ID, IOAPIC_VERSION, MP_IOAPIC_USABLE,
		MINIVMM_IOAPIC_BASE };
	uint16_t entries = 0;

	if (m->ram_size < MINIVMM_KERNEL_GPA)
		return -E2BIG;
	memset(base, 0, 4096);
	p = (uint8_t *)(h + 1);
	memcpy(p, &cpu, sizeof(cpu)), p += sizeof(cpu), entries++;
	memcpy(p, &pci, sizeof(pci)), p += sizeof(pci), entries++;
	memcpy(p, &isa, sizeof(isa)), p += sizeof(isa), entries++;
	memcpy(p, &ioapic, sizeof(ioapic)), p += sizeof(ioapic), entries++;
	for (uint8_t irq = 0; irq < 16; irq++)
		if (irq != CASCADE_IRQ)
			add_irq(&p, &entries, MP_INTSRC, MP_INT, MP_IRQ_CONFORMS, ISA_BUS, irq,
				IOAPIC_ID, irq);
	for (unsigned slot = 1; slot <= n_slots; slot++)
		add_irq(&p, &entries, MP_INTSRC, MP_INT, MP_IRQ_LEVEL_HIGH, PCI_BUS,
			(uint8_t)(slot << 2 | 0 /* INTA# */), IOAPIC_ID,
			(uint8_t)MINIVMM_INTX_GSI(slot));
	add_irq(&p, &entries, MP_LINTSRC, MP_EXTINT, MP_IRQ_CONFORMS, ISA_BUS, 0, 0xff, 0);
	add_irq(&p, &entries, MP_LINTSRC, MP_NMI, MP_IRQ_CONFORMS, ISA_BUS, 0, 0xff, 1);

	memcpy(h->signature, "PCMP", 4);
	h->length = (uint16_t)(p - (uint8_t *)h);
	h->spec = 4;
	memcpy(h->oem, "MINIVMM ", 8);
	memcpy(h->product, "libdirectpth", 12);
	h->entries = entries;
	h->lapic = MINIVMM_LAPIC_BASE;
	h->checksum = checksum(h, h->length);

	memcpy(mpf->signature, "_MP_", 4);
	mpf->table = MINIVMM_MPTABLE_GPA + (uint32_t)sizeof(*mpf);
	mpf->length = 1;
	mpf->spec = 4;
	mpf->checksum = checksum(mpf, sizeof(*mpf));
	return 0;
}
