/* SPDX-License-Identifier: MIT */
/*
 * minivmm's guest drives QEMU's NVMe controller (1b36:0010): the least a
 * driver does to get one answer out of it. It sets up MSI-X (the table lives
 * in BAR0, on pages the VMM traps), enables the controller with an admin
 * queue pair in guest RAM (the device reads and writes it by DMA, GPA =
 * IOVA), asks Identify Controller for the serial number and takes the
 * completion as an MSI-X interrupt; then it resets the function with an FLR
 * and does it all again: after an FLR the BARs, the command register and the
 * MSI-X state are gone.
 */
#include <stddef.h>
#include <stdint.h>

#include "guest.h"

/* Controller registers (NVMe 1.4, 3.1). */
#define NVME_CAP 0x00u  /* 64-bit: MQES 15:0, TO 31:24 (500 ms), DSTRD 35:32 */
#define NVME_VS 0x08u
#define NVME_CC 0x14u
#define NVME_CC_EN 0x1u
#define NVME_CC_IOSQES(n) ((n) << 16)
#define NVME_CC_IOCQES(n) ((n) << 20)
#define NVME_CSTS 0x1cu
#define NVME_CSTS_RDY 0x1u
#define NVME_CSTS_CFS 0x2u
#define NVME_AQA 0x24u
#define NVME_ASQ 0x28u
#define NVME_ACQ 0x30u
#define NVME_DOORBELLS 0x1000u

#define NVME_BAR0_SIZE 0x4000u
#define NVME_ADMIN_OPC_IDENTIFY 0x06u
#define NVME_IDENTIFY_CNS_CTRL 1u
#define QUEUE_DEPTH 16u

/* PCI Express capability: Device Capabilities and Device Control. */
#define PCI_EXP_DEVCAP 4u
#define PCI_EXP_DEVCAP_FLR (1u << 28)
#define PCI_EXP_DEVCTL 8u
#define PCI_EXP_DEVCTL_FLR 0x8000u
#define FLR_WAIT_MS 100u

/* MSI-X: message control bits, the table's BIR/offset, an entry's words. */
#define PCI_MSIX_ENABLE 0x8000u
#define PCI_MSIX_MASKALL 0x4000u
#define PCI_MSIX_TABLE 4u
#define PCI_MSIX_PBA 8u
#define MSIX_ENTRY_ADDR 0u
#define MSIX_ENTRY_ADDR_HI 4u
#define MSIX_ENTRY_DATA 8u
#define MSIX_ENTRY_CTRL 12u
#define MSIX_ENTRY_MASKED 1u

#define VEC_NVME 0x44u /* what MSI-X entry 0, the admin completion queue's, asks for */

struct nvme_cmd {
	uint32_t cdw0; /* opcode 7:0, command ID 31:16 */
	uint32_t nsid;
	uint32_t rsvd[2];
	uint32_t mptr[2];
	uint32_t prp1[2];
	uint32_t prp2[2];
	uint32_t cdw10[6];
};

struct nvme_cqe {
	uint32_t result, rsvd;
	uint32_t sq;     /* SQ head 15:0, SQ ID 31:16 */
	uint32_t status; /* command ID 15:0, phase 16, status 31:17 */
};

_Static_assert(sizeof(struct nvme_cmd) == 64, "an SQ entry is 64 bytes (IOSQES 6)");
_Static_assert(sizeof(struct nvme_cqe) == 16, "a CQ entry is 16 bytes (IOCQES 4)");

/* The admin queues and the Identify buffer: page-aligned guest RAM. */
static volatile struct nvme_cmd asq[QUEUE_DEPTH] __attribute__((aligned(4096)));
static volatile struct nvme_cqe acq[QUEUE_DEPTH] __attribute__((aligned(4096)));
static volatile uint8_t identify[4096] __attribute__((aligned(4096)));

/* The driver's view of one controller. */
struct nvme {
	uint32_t dev, bar;
	uint32_t cap_lo, cap_hi;
	uint32_t sq_tail, cq_head, phase;
	uint16_t next_cid;
};

/* MSI-X entry 0's handler: counts; the driver reads the completion queue. */
volatile uint32_t nvme_irq_count;
void isr_nvme(void);
__asm__(".pushsection .text\n"
	".globl isr_nvme\n"
	"isr_nvme:\n"
	"	lock incl nvme_irq_count\n"
	"	lock incl irq_total\n"
	"	movl $0, 0xfee000b0\n"
	"	iret\n"
	".popsection\n");

static uint32_t doorbell(const struct nvme *n, uint32_t index)
{
	/* Doorbell index: SQ y tail is 2y, CQ y head 2y + 1; stride 4 << DSTRD. */
	return n->bar + NVME_DOORBELLS + index * (4u << (n->cap_hi & 0xfu));
}

/* Polls CSTS.RDY for want, bounded by CAP.TO, within 4 to 8 s (the timer's range). */
static int nvme_wait_ready(const struct nvme *n, uint32_t want)
{
	uint32_t ms = ((n->cap_lo >> 24) & 0xffu) * 500u, csts;

	deadline_start(ms < 4000u ? 4000u : ms > 8000u ? 8000u : ms);
	do
		csts = mmio_read32(n->bar + NVME_CSTS);
	while ((csts & NVME_CSTS_RDY) != want && !(csts & NVME_CSTS_CFS) && !deadline_passed());
	deadline_stop();
	if ((csts & NVME_CSTS_RDY) == want && !(csts & NVME_CSTS_CFS))
		return 1;
	puts_serial("nvme: CSTS 0x");
	puthex(csts, 8);
	puts_serial(want ? ": not ready\n" : ": still ready after CC.EN=0\n");
	return 0;
}

/* Disables the controller, gives it the admin queues, enables it. */
static int nvme_enable(struct nvme *n)
{
	mmio_write32(n->bar + NVME_CC, 0);
	if (!nvme_wait_ready(n, 0))
		return 0;
	for (uint32_t i = 0; i < QUEUE_DEPTH; i++)
		acq[i] = (struct nvme_cqe){ 0 }; /* phase 0: nothing posted yet */
	n->sq_tail = n->cq_head = 0;
	n->phase = 1;
	mmio_write32(n->bar + NVME_AQA, (QUEUE_DEPTH - 1) << 16 | (QUEUE_DEPTH - 1));
	mmio_write32(n->bar + NVME_ASQ, (uint32_t)(uintptr_t)asq);
	mmio_write32(n->bar + NVME_ASQ + 4, 0);
	mmio_write32(n->bar + NVME_ACQ, (uint32_t)(uintptr_t)acq);
	mmio_write32(n->bar + NVME_ACQ + 4, 0);
	/* NVM command set, 4 KiB pages (MPS 0), 64-byte SQ and 16-byte CQ entries. */
	mmio_write32(n->bar + NVME_CC, NVME_CC_EN | NVME_CC_IOSQES(6u) | NVME_CC_IOCQES(4u));
	return nvme_wait_ready(n, 1);
}

/*
 * MSI-X vector 0 (the admin CQ's) to the LAPIC: the table entry first, its
 * mask bit cleared, then MSI-X enabled with the function mask clear. The VMM
 * traps the table's page and routes the vector through irqfd.
 */
static int nvme_msix(struct nvme *n)
{
	uint32_t cap = find_cap(n->dev, 0, PCI_CAP_ID_MSIX), ctrl, table, entry;

	if (!cap) {
		puts_serial("nvme: no MSI-X capability\n");
		return 0;
	}
	ctrl = cfg_read32(n->dev, 0, cap) >> 16;
	table = cfg_read32(n->dev, 0, cap + PCI_MSIX_TABLE);
	if ((table & 7u) != 0) {
		puts_serial("nvme: the MSI-X table is not in BAR0\n");
		return 0;
	}
	entry = n->bar + (table & ~7u);
	mmio_write32(entry + MSIX_ENTRY_ADDR, MINIVMM_LAPIC_BASE); /* APIC ID 0 */
	mmio_write32(entry + MSIX_ENTRY_ADDR_HI, 0);
	mmio_write32(entry + MSIX_ENTRY_DATA, VEC_NVME); /* edge, fixed */
	mmio_write32(entry + MSIX_ENTRY_CTRL, 0);
	if (mmio_read32(entry + MSIX_ENTRY_DATA) != VEC_NVME ||
	    (mmio_read32(entry + MSIX_ENTRY_CTRL) & MSIX_ENTRY_MASKED)) {
		puts_serial("nvme: MSI-X entry 0 did not keep what was written\n");
		return 0;
	}
	ctrl = (ctrl & ~PCI_MSIX_MASKALL) | PCI_MSIX_ENABLE;
	cfg_write16(n->dev, 0, cap + 2, (uint16_t)ctrl);
	return 1;
}

/*
 * Says what the device did when the interrupt did not come: whether it
 * posted the completion, and what MSI-X looks like from here.
 */
static void nvme_no_interrupt(const struct nvme *n, volatile struct nvme_cqe *cqe)
{
	uint32_t cap = find_cap(n->dev, 0, PCI_CAP_ID_MSIX);
	uint32_t pba = cfg_read32(n->dev, 0, cap + PCI_MSIX_PBA);
	uint32_t table = cfg_read32(n->dev, 0, cap + PCI_MSIX_TABLE) & ~7u;

	puts_serial("nvme: no MSI-X interrupt within the watchdog's time (CSTS 0x");
	puthex(mmio_read32(n->bar + NVME_CSTS), 8);
	puts_serial(", completion status word 0x");
	puthex(cqe->status, 8);
	puts_serial(", MSI-X control 0x");
	puthex(cfg_read32(n->dev, 0, cap) >> 16, 4);
	puts_serial(", entry 0 data 0x");
	puthex(mmio_read32(n->bar + table + MSIX_ENTRY_DATA), 8);
	puts_serial(" vector control 0x");
	puthex(mmio_read32(n->bar + table + MSIX_ENTRY_CTRL), 8);
	puts_serial(", PBA 0x");
	if ((pba & 7u) == 0)
		puthex(mmio_read32(n->bar + (pba & ~7u)), 8);
	else
		puts_serial("(not in BAR0)");
	puts_serial(")\n");
}

/* Identify Controller through the admin queue; the serial number into serial. */
static int nvme_identify(struct nvme *n, char serial[21])
{
	volatile struct nvme_cmd *cmd = &asq[n->sq_tail];
	volatile struct nvme_cqe *cqe = &acq[n->cq_head];
	uint16_t cid = n->next_cid++;
	uint32_t before = nvme_irq_count, status;
	int len = 20;

	for (uint32_t i = 0; i < sizeof(identify); i++)
		identify[i] = 0;
	*cmd = (struct nvme_cmd){ 0 };
	cmd->cdw0 = NVME_ADMIN_OPC_IDENTIFY | (uint32_t)cid << 16;
	cmd->prp1[0] = (uint32_t)(uintptr_t)identify;
	cmd->cdw10[0] = NVME_IDENTIFY_CNS_CTRL;
	n->sq_tail = (n->sq_tail + 1) % QUEUE_DEPTH;
	mmio_write32(doorbell(n, 0), n->sq_tail);

	if (!wait_irq(&nvme_irq_count, before + 1)) {
		nvme_no_interrupt(n, cqe);
		return 0;
	}
	status = cqe->status;
	if (((status >> 16) & 1u) != n->phase) {
		puts_serial("nvme: interrupt taken, but no completion posted\n");
		return 0;
	}
	if ((status & 0xffffu) != cid || (status >> 17) != 0) {
		puts_serial("nvme: Identify completed with status 0x");
		puthex(status >> 17, 4);
		puts_serial(" command ID 0x");
		puthex(status & 0xffffu, 4);
		putc_serial('\n');
		return 0;
	}
	n->cq_head = (n->cq_head + 1) % QUEUE_DEPTH;
	if (n->cq_head == 0)
		n->phase ^= 1u;
	mmio_write32(doorbell(n, 1), n->cq_head);

	/* Bytes 4..23, ASCII, padded with spaces. */
	for (int i = 0; i < 20; i++)
		serial[i] = (char)identify[4 + i];
	while (len > 0 && (serial[len - 1] == ' ' || serial[len - 1] == '\0'))
		len--;
	serial[len] = '\0';
	return 1;
}

/*
 * Everything a driver does after BAR0 is placed: MSI-X, enable, Identify.
 * MSI-X comes first, as in Linux's driver: QEMU's controller claims the
 * admin completion queue's vector when CC.EN creates the queue, and only if
 * MSI-X is on by then; a vector never claimed is dropped without a trace.
 */
static int nvme_bring_up(struct nvme *n, char serial[21])
{
	uint32_t before = nvme_irq_count;

	if (!nvme_msix(n) || !nvme_enable(n) || !nvme_identify(n, serial))
		return 0;
	puts_serial("nvme: serial ");
	puts_serial(serial);
	putc_serial('\n');
	puts_serial("nvme: MSI-X interrupt taken (");
	putdec(nvme_irq_count - before);
	puts_serial(")\n");
	return 1;
}

/*
 * Function-level reset through the PCI Express capability. Afterwards the
 * function is as after power-on: BARs 0, command 0, MSI-X off; the guest
 * places BAR0 again and starts over.
 */
static int nvme_flr(struct nvme *n)
{
	uint32_t cap = find_cap(n->dev, 0, PCI_CAP_ID_EXP), bar_lo, bar_hi, cmd;

	if (!cap) {
		puts_serial("nvme: no PCI Express capability\n");
		return 0;
	}
	if (!(cfg_read32(n->dev, 0, cap + PCI_EXP_DEVCAP) & PCI_EXP_DEVCAP_FLR)) {
		puts_serial("nvme: DevCap says no FLR\n");
		return 0;
	}
	cfg_write16(n->dev, 0, cap + PCI_EXP_DEVCTL,
		    (uint16_t)(cfg_read32(n->dev, 0, cap + PCI_EXP_DEVCTL) | PCI_EXP_DEVCTL_FLR));
	delay_ms(FLR_WAIT_MS);

	/* The type bits of a memory BAR are read-only: the address must be 0. */
	bar_lo = cfg_read32(n->dev, 0, PCI_BAR0);
	bar_hi = cfg_read32(n->dev, 0, PCI_BAR0 + 4);
	cmd = cfg_read32(n->dev, 0, PCI_COMMAND) & 0xffffu;
	if ((bar_lo & ~15u) || bar_hi || cmd) {
		puts_serial("nvme: after the FLR, BAR0 0x");
		puthex(bar_hi, 8);
		puthex(bar_lo, 8);
		puts_serial(" command 0x");
		puthex(cmd, 4);
		puts_serial(" (expected 0 and 0)\n");
		return 0;
	}
	if (!place_mem_bar(n->dev, 0, 0, n->bar, NVME_BAR0_SIZE)) {
		puts_serial("nvme: BAR0 could not be placed again\n");
		return 0;
	}
	cfg_write16(n->dev, 0, PCI_COMMAND, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	return 1;
}

static int streq(const char *a, const char *b)
{
	while (*a && *a == *b)
		a++, b++;
	return *a == *b;
}

int drive_nvme(uint32_t dev, uint32_t bar0)
{
	struct nvme n = { .dev = dev, .bar = bar0, .next_cid = 1 };
	char serial[21], again[21];

	if (!bar0) {
		puts_serial("nvme: BAR0 not placed\n");
		return 0;
	}
	idt_set(VEC_NVME, isr_nvme);
	n.cap_lo = mmio_read32(bar0 + NVME_CAP);
	n.cap_hi = mmio_read32(bar0 + NVME_CAP + 4);
	puts_serial("nvme: CAP 0x");
	puthex(n.cap_hi, 8);
	puthex(n.cap_lo, 8);
	puts_serial(" VS 0x");
	puthex(mmio_read32(bar0 + NVME_VS), 8);
	putc_serial('\n');
	if (n.cap_lo == 0xffffffffu || (n.cap_hi >> 16 & 0xfu) != 0) {
		puts_serial("nvme: no controller there, or it cannot do 4 KiB pages\n");
		return 0;
	}
	if (!nvme_bring_up(&n, serial) || !nvme_flr(&n) || !nvme_bring_up(&n, again))
		return 0;
	if (!streq(serial, again)) {
		puts_serial("nvme: another serial after the FLR\n");
		return 0;
	}
	puts_serial("nvme: FLR done, serial ");
	puts_serial(again);
	puts_serial(" again\n");
	return 1;
}
