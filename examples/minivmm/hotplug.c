/* SPDX-License-Identifier: MIT */
/*
 * --hotplug: the last --device is held back at start; when the guest writes
 * 1 to MINIVMM_HOTPLUG_PORT, minivmm hot adds it (dp_attachment_add_device:
 * the policy checks the VM with it, then its lease, group and KVM-VFIO
 * registration; the DMA mapping of all guest RAM serves it at once), makes
 * its guest-facing function and puts it on the library's bus at the next
 * slot; 2 takes it off the bus (dp_vbus_remove) and gives it back
 * (dp_attachment_remove_device: routes, slots, reset, lease). The other
 * devices are not touched. A real VMM raises an ACPI or PCIe native hotplug
 * event instead of answering a port; the library's part is the same.
 * With --handoff the device is none held back: the request waits for the
 * manager's addition on the handoff socket (handoff_add).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "minivmm.h"

struct hotplug {
	struct dp_ctx *ctx;
	const char *handoff;     /* --handoff: the socket the addition comes on */
	char added[32];          /* the device's BDF, from the handoff */
	struct dp_attachment *att;
	struct dp_policy *policy;
	struct dp_vbus *bus;
	const char *bdf;
	struct dp_vdev *vdev;    /* while added */
	unsigned slot;
	uint8_t state;           /* MINIVMM_HOTPLUG_* */
};

int hotplug_create(struct dp_ctx *ctx, struct dp_attachment *att, struct dp_policy *policy,
		   const char *bdf, const char *handoff, struct dp_vbus *bus, struct hotplug **out)
{
	struct hotplug *hp = calloc(1, sizeof(*hp));

	if (!hp)
		return -ENOMEM;
	*hp = (struct hotplug){ .ctx = ctx, .handoff = handoff, .att = att, .policy = policy,
				.bus = bus, .bdf = bdf, .state = MINIVMM_HOTPLUG_HELD };
	if (handoff)
		printf("minivmm: the hot add comes from the manager on %s\n", handoff);
	else
		printf("minivmm: %s held back for a hot add\n", bdf);
	*out = hp;
	return 0;
}

/* A device still added at the end goes with the bus and dp_detach, as the others do. */
void hotplug_destroy(struct hotplug *hp)
{
	free(hp);
}

static int add(struct hotplug *hp)
{
	struct dp_vpci *fn;
	int r = hp->handoff ? handoff_add(hp->ctx, hp->handoff, hp->att, &hp->vdev) :
			      dp_attachment_add_device(hp->att, hp->policy, hp->bdf, 0, &hp->vdev);

	if (r < 0) {
		fprintf(stderr, "minivmm: cannot hot add %s: %s\n",
			hp->handoff ? "the manager's device" : hp->bdf, strerror(-r));
		return r;
	}
	if (hp->handoff) { /* kept: the vdev goes at the remove */
		snprintf(hp->added, sizeof(hp->added), "%s", dp_vdev_get_bdf(hp->vdev));
		hp->bdf = hp->added;
	}
	hp->slot = (unsigned)dp_attachment_get_vdev_count(hp->att); /* 00:01.0 is the first */
	r = pci_function_new(hp->vdev, hp->slot, NULL, NULL, &fn);
	if (r == 0) {
		r = dp_vbus_add(hp->bus, hp->slot, fn);
		if (r < 0)
			fprintf(stderr, "minivmm: %s: cannot put it at 00:%02x.0: %s\n", hp->bdf,
				hp->slot, strerror(-r));
		dp_vpci_unref(fn); /* the bus holds it now */
	}
	if (r < 0) {
		dp_attachment_remove_device(hp->att, hp->vdev, 0);
		hp->vdev = NULL;
		return r;
	}
	printf("minivmm: hot added %s at 00:%02x.0\n", hp->bdf, hp->slot);
	return 0;
}

static int remove_it(struct hotplug *hp)
{
	int r = dp_vbus_remove(hp->bus, hp->slot); /* the function goes with the bus's reference */

	if (r == 0)
		r = dp_attachment_remove_device(hp->att, hp->vdev, 0);
	if (r < 0) {
		fprintf(stderr, "minivmm: cannot hot remove %s: %s\n", hp->bdf, strerror(-r));
		return r;
	}
	hp->vdev = NULL;
	printf("minivmm: hot removed %s from 00:%02x.0\n", hp->bdf, hp->slot);
	return 0;
}

void hotplug_pio(struct machine *m, uint8_t *data, bool write)
{
	struct hotplug *hp = m->hotplug;
	uint8_t state = hp->state & ~MINIVMM_HOTPLUG_FAILED;
	int r = -EINVAL;

	if (!write) {
		data[0] = hp->state;
		return;
	}
	if (!m->serial.newline)
		fputc('\n', stdout);
	m->serial.newline = true;
	if (data[0] == 1 && state != MINIVMM_HOTPLUG_ADDED)
		r = add(hp);
	else if (data[0] == 2 && state == MINIVMM_HOTPLUG_ADDED)
		r = remove_it(hp);
	else
		fprintf(stderr, "minivmm: hotplug: request %u in state %u\n", data[0], state);
	if (r == 0)
		state = data[0] == 1 ? MINIVMM_HOTPLUG_ADDED : MINIVMM_HOTPLUG_REMOVED;
	hp->state = (uint8_t)(state | (r < 0 ? MINIVMM_HOTPLUG_FAILED : 0));
	fflush(stdout);
}
