/* SPDX-License-Identifier: MIT */
/* Did a device come back from a reset? Its config header from sysfs, before and after. */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "inventory.h"
#include "quarantine.h"
#include "resetcheck.h"
#include "sysfs.h"

#define PCI_VENDOR_ID 0x00
#define PCI_DEVICE_ID 0x02
#define PCI_COMMAND 0x04
#define PCI_COMMAND_IO 0x1
#define PCI_COMMAND_MEMORY 0x2
#define PCI_HEADER_TYPE 0x0e
#define PCI_BASE_ADDRESS_0 0x10
#define PCI_ROM_ADDRESS 0x30
#define PCI_ROM_ADDRESS1 0x38 /* a bridge's */
#define PCI_ROM_ADDRESS_ENABLE 0x1
#define HEADER_LEN 64

static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

/*
 * The hardware's header through sysfs (the kernel reads the device; VFIO's
 * view is virtualised). The bytes read (up to 64), or -errno.
 */
static long read_header(const char *bdf, uint8_t hdr[HEADER_LEN])
{
	char path[sizeof(DP_SYS_PCI_DEVICES) + DP_BDF_LEN + 1];
	int dfd;
	long n;

	if (snprintf(path, sizeof(path), "%s/%s", DP_SYS_PCI_DEVICES, bdf) >= (int)sizeof(path))
		return -EINVAL;
	dfd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return -errno;
	n = dp_sysfs_read_bin(dfd, "config", hdr, HEADER_LEN);
	close(dfd);
	return n;
}

static void from_header(const uint8_t *h, struct dp_reset_snapshot *s)
{
	unsigned nbars;

	memset(s, 0, sizeof(*s));
	s->vendor = rd16(h + PCI_VENDOR_ID);
	s->device = rd16(h + PCI_DEVICE_ID);
	s->command = rd16(h + PCI_COMMAND);
	s->header_type = h[PCI_HEADER_TYPE] & 0x7f;
	nbars = s->header_type == 0 ? 6 : s->header_type == 1 ? 2 : 0;
	for (unsigned i = 0; i < nbars; i++)
		s->bar[i] = rd32(h + PCI_BASE_ADDRESS_0 + 4 * i);
	if (s->header_type == 0)
		s->rom = rd32(h + PCI_ROM_ADDRESS);
	else if (s->header_type == 1)
		s->rom = rd32(h + PCI_ROM_ADDRESS1);
	s->valid = true;
}

int dp_reset_snapshot_take(struct dp_ctx *ctx, const char *bdf, struct dp_reset_snapshot *s)
{
	uint8_t h[HEADER_LEN];
	long n;

	if (dp_bug_on(ctx, !bdf) || dp_bug_on(ctx, !s))
		return -EINVAL;
	n = read_header(bdf, h);
	if (n < 0) {
		dp_warn(ctx, "%s: cannot read its config space before the reset: %s", bdf,
			strerror((int)-n));
		return (int)n;
	}
	if (n < HEADER_LEN) {
		dp_warn(ctx, "%s: only %ld bytes of its config space before the reset", bdf, n);
		return -EIO;
	}
	from_header(h, s);
	return 0;
}

/* The first difference that says the device did not come back, into why; false when none. */
static bool differs(const struct dp_reset_snapshot *b, const struct dp_reset_snapshot *a,
		    char *why, size_t len)
{
	uint16_t enables = PCI_COMMAND_IO | PCI_COMMAND_MEMORY;
	unsigned nbars = b->header_type == 0 ? 6 : b->header_type == 1 ? 2 : 0;

	if (a->device != b->device || a->vendor != b->vendor) {
		snprintf(why, len, "IDs %04x:%04x -> %04x:%04x", b->vendor, b->device, a->vendor,
			 a->device);
		return true;
	}
	if (a->header_type != b->header_type) {
		snprintf(why, len, "header type %u -> %u", b->header_type, a->header_type);
		return true;
	}
	for (unsigned i = 0; i < nbars; i++)
		if (a->bar[i] != b->bar[i]) {
			snprintf(why, len, "BAR%u 0x%08x -> 0x%08x", i, b->bar[i], a->bar[i]);
			return true;
		}
	/* The enable bit is the user's to set; the address is the host's. */
	if ((a->rom & ~(uint32_t)PCI_ROM_ADDRESS_ENABLE) != (b->rom & ~(uint32_t)PCI_ROM_ADDRESS_ENABLE)) {
		snprintf(why, len, "ROM BAR 0x%08x -> 0x%08x", b->rom, a->rom);
		return true;
	}
	/* An enable the kernel turned on (pci_enable_device at open) is no loss; one lost is. */
	if (b->command & enables & ~a->command) {
		snprintf(why, len, "command 0x%04x -> 0x%04x (%s decoding lost)", b->command,
			 a->command,
			 (b->command & ~a->command & enables) == enables ? "I/O and memory"
			 : (b->command & ~a->command & PCI_COMMAND_MEMORY) ? "memory" : "I/O");
		return true;
	}
	return false;
}

int dp_reset_verify(struct dp_ctx *ctx, const char *bdf, const struct dp_reset_snapshot *before,
		    char *why, size_t why_len)
{
	struct dp_reset_snapshot after;
	uint8_t h[HEADER_LEN];
	char buf[128];
	long n;

	if (dp_bug_on(ctx, !bdf) || dp_bug_on(ctx, !before))
		return -EINVAL;
	if (!why || why_len == 0) {
		why = buf;
		why_len = sizeof(buf);
	}
	why[0] = '\0';
	n = read_header(bdf, h);
	if (n == -ENOENT) {
		snprintf(why, why_len, "it is gone from %s", DP_SYS_PCI_DEVICES);
		return -EIO;
	}
	if (n < 0) {
		snprintf(why, why_len, "config space cannot be opened: %s", strerror((int)-n));
		return (int)n;
	}
	if (n < HEADER_LEN) {
		snprintf(why, why_len, "config space unreadable: %ld of %d header bytes", n,
			 HEADER_LEN);
		return -EIO;
	}
	if (rd16(h + PCI_VENDOR_ID) == 0xffff) {
		snprintf(why, why_len, "vendor ID reads 0xffff");
		return -EIO;
	}
	from_header(h, &after);
	if (before->valid && differs(before, &after, why, why_len))
		return -EIO;
	return 0;
}

int dp_reset_check(struct dp_ctx *ctx, const char *bdf, const struct dp_reset_snapshot *before,
		   const char *what, char *reason, size_t size)
{
	char why[128];
	int r = dp_reset_verify(ctx, bdf, before, why, sizeof(why));

	if (r == 0)
		return 0;
	if (r == -EIO)
		snprintf(reason, size, "did not come back from the reset %s: %s", what, why);
	else
		snprintf(reason, size, "its config space could not be read after the reset %s: %s",
			 what, strerror(-r));
	dp_err(ctx, "%s: %s", bdf, reason);
	return r;
}

int dp_reset_came_back(struct dp_ctx *ctx, const char *bdf, const struct dp_reset_snapshot *before,
		       const char *what)
{
	char reason[DP_QUARANTINE_REASON_MAX];
	int r = dp_reset_check(ctx, bdf, before, what, reason, sizeof(reason));

	if (r != -EIO)
		return r;
	if (dp_quarantine_add(ctx, bdf, reason) < 0)
		dp_err(ctx, "%s: cannot record it as quarantined", bdf);
	return -EIO;
}
