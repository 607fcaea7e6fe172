/* SPDX-License-Identifier: MIT */
/* directpath host: the host's passthrough capabilities. */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* The IOMMU's kind, or "other" for a kind this library has no name for. */
const char *iommu_kind(uint32_t kind)
{
	const char *name = dp_iommu_kind_name(kind);

	return name ? name : dp_iommu_kind_name(DP_IOMMU_OTHER);
}

/* Host capabilities. */

int get_caps(struct cli *cli, struct dp_host_caps *caps)
{
	int r;

	memset(caps, 0, sizeof(*caps));
	caps->sz = sizeof(*caps);
	r = dp_ctx_get_host_caps(cli->ctx, caps);
	if (r < 0) {
		err_msg("cannot read the host's capabilities: %s",
			strerror(-r));
		return EXIT_USAGE;
	}
	return EXIT_OK;
}

static const char *fmt_limit(char *buf, size_t len, uint64_t v)
{
	if (v == UINT64_MAX)
		snprintf(buf, len, "unlimited");
	else
		fmt_size(buf, len, v);
	return buf;
}

static int host_json(const struct dp_host_caps *c)
{
	struct json_object *o = json_object_new_object();
	int e = 0;

	if (!o)
		return oom();
	e |= jadd_str(o, "iommu", iommu_kind(c->iommu_kind));
	e |= jadd_bool(o, dp_host_flag_name(DP_HOST_IOMMU_GROUPS), c->flags & DP_HOST_IOMMU_GROUPS);
	e |= jadd_int(o, "iommu_group_count", c->iommu_group_count);
	for (uint32_t bit = DP_HOST_IRQ_REMAP; bit <= DP_HOST_KVM; bit <<= 1)
		e |= jadd_bool(o, dp_host_flag_name(bit), c->flags & bit);
	e |= jadd_int_or_null(o, "kvm_api_version", c->kvm_api_version);
	/* null: unlimited */
	if (c->memlock_cur == UINT64_MAX)
		e |= jadd(o, "memlock_soft", NULL, true);
	else
		e |= jadd_uint(o, "memlock_soft", c->memlock_cur);
	if (c->memlock_max == UINT64_MAX)
		e |= jadd(o, "memlock_hard", NULL, true);
	else
		e |= jadd_uint(o, "memlock_hard", c->memlock_max);
	if (e) {
		json_object_put(o);
		return oom();
	}
	return json_print(o);
}

int cmd_host(struct cli *cli, const char *arg)
{
	struct dp_host_caps c;
	char cur[32], max[32];
	const char *vfio_pci;
	int r;

	(void)arg;
	r = get_caps(cli, &c);
	if (r != EXIT_OK)
		return r;
	if (cli->opts & OPT_JSON)
		return host_json(&c);

	if (c.flags & DP_HOST_VFIO_PCI)
		vfio_pci = "loaded";
	else if (c.flags & DP_HOST_VFIO_PCI_MODULE)
		vfio_pci = "not loaded (modprobe vfio-pci)";
	else
		vfio_pci = "not available";
	printf("%-21s %s\n", "IOMMU",
	       iommu_kind(c.flags & DP_HOST_IOMMU ? c.iommu_kind : DP_IOMMU_NONE));
	printf("%-21s %" PRId32 "\n", "IOMMU groups", c.iommu_group_count);
	printf("%-21s %s\n", "interrupt remapping",
	       c.flags & DP_HOST_IRQ_REMAP ? "yes" : "no");
	printf("%-21s %s\n", "unsafe interrupts",
	       c.flags & DP_HOST_UNSAFE_INTERRUPTS ? "allowed" : "not allowed");
	printf("%-21s %s\n", "vfio",
	       c.flags & DP_HOST_VFIO ? "yes (/dev/vfio/vfio)" : "no");
	printf("%-21s %s\n", "vfio-pci", vfio_pci);
	if (c.flags & DP_HOST_KVM)
		printf("%-21s yes (API version %" PRId32 ")\n", "KVM",
		       c.kvm_api_version);
	else
		printf("%-21s no\n", "KVM");
	printf("%-21s %s (hard limit %s)\n", "RLIMIT_MEMLOCK",
	       fmt_limit(cur, sizeof(cur), c.memlock_cur),
	       fmt_limit(max, sizeof(max), c.memlock_max));

	/* The blockers an administrator can act on, in the order to fix them. */
	if (!(c.flags & DP_HOST_IOMMU))
		printf("\nno IOMMU: passthrough is not possible on this host; enable VT-d or AMD-Vi\n"
		       "in the firmware and boot with intel_iommu=on or amd_iommu=on\n");
	else if (!(c.flags & (DP_HOST_IRQ_REMAP | DP_HOST_UNSAFE_INTERRUPTS)))
		printf("\nno interrupt remapping: vfio refuses to set up a container unless\n"
		       "vfio_iommu_type1 allow_unsafe_interrupts=1 is set\n");
	return EXIT_OK;
}
