/* SPDX-License-Identifier: MIT */
/*
 * The guest's PCI bus, the library's: a dp_vbus answers configuration
 * mechanism #1 (0xcf8/0xcfc) and an ECAM window for bus 0, with a host
 * bridge at 00:00.0 and each passed-through device at 00:01.0, 00:02.0, ...
 * as a dp_vpci, the function the guest sees (virtual header and BARs, MSI
 * and MSI-X emulated, INTx, FLR). The bus decodes the BARs the guest
 * programs and places them: memory BARs go into KVM memory slots from the
 * attachment's range (the direct path), the MSI-X table and PBA pages stay
 * trapped. MSI and MSI-X vectors are routed in the attachment's GSI range
 * and INTA# drives an IOAPIC pin, all through irqfd, on the VM fd.
 * machine.c hands every port and MMIO exit to dp_vbus_pio/dp_vbus_mmio.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "minivmm.h"

int pci_function_new(struct dp_vdev *vdev, unsigned slot, const struct dp_vpci_ops *ops,
		     void *opaque, struct dp_vpci **out)
{
	DP_OPTS(dp_vpci_opts, opts, .flags = DP_VPCI_VMM_DECODES | DP_VPCI_INTX,
		.intx_gsi = MINIVMM_INTX_GSI(slot), .devid = slot << 3, /* 00:slot.0 */
		.ops = ops, .opaque = opaque);
	uint32_t ids = 0;
	int r;

	*out = NULL;
	r = dp_vpci_new(vdev, &opts, out);
	if (r == 0)
		r = dp_vpci_config_read(*out, 0x00, &ids, 4);
	if (r < 0) {
		fprintf(stderr, "minivmm: %s: cannot present it to the guest: %s\n",
			dp_vdev_get_bdf(vdev), strerror(-r));
		*out = dp_vpci_unref(*out);
		return r;
	}
	printf("minivmm: 00:%02x.0 is %s (%04x:%04x)\n", slot, dp_vdev_get_bdf(vdev),
	       ids & 0xffffu, ids >> 16);
	return 0;
}

int pci_bus_create(struct dp_ctx *ctx, struct dp_attachment *att, struct dp_vbus **out)
{
	DP_OPTS(dp_vbus_opts, opts, .flags = DP_VBUS_CF8 | DP_VBUS_HOST_BRIDGE,
		.ecam_base = MINIVMM_ECAM_BASE,
		.mmio_base = MINIVMM_MMIO_BASE, .mmio_size = MINIVMM_MMIO_END - MINIVMM_MMIO_BASE,
		.io_base = MINIVMM_IO_BASE, .io_size = MINIVMM_IO_END - MINIVMM_IO_BASE);
	size_t n = att ? dp_attachment_get_vdev_count(att) : 0;
	int r;

	*out = NULL;
	if (n > MINIVMM_MAX_DEVICES) {
		fprintf(stderr, "minivmm: %zu devices; bus 0 has room for %d\n", n, MINIVMM_MAX_DEVICES);
		return -E2BIG;
	}
	r = dp_vbus_new(ctx, &opts, out);
	if (r < 0) {
		fprintf(stderr, "minivmm: cannot make the PCI bus: %s\n", strerror(-r));
		return r;
	}
	for (size_t d = 0; d < n; d++) {
		struct dp_vpci *fn;
		unsigned slot = (unsigned)d + 1;

		/* ops NULL: the library does slots, routes and irqfds on the VM fd. */
		r = pci_function_new(dp_attachment_get_vdev(att, d), slot, NULL, NULL, &fn);
		if (r < 0)
			break;
		r = dp_vbus_add(*out, slot, fn);
		if (r < 0)
			fprintf(stderr, "minivmm: %s: cannot put it at 00:%02x.0: %s\n",
				dp_vdev_get_bdf(dp_vpci_get_vdev(fn)), slot, strerror(-r));
		dp_vpci_unref(fn); /* the bus holds it now */
		if (r < 0)
			break;
	}
	if (r < 0)
		*out = dp_vbus_unref(*out);
	return r;
}
