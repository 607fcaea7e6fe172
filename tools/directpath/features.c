/* SPDX-License-Identifier: MIT */
/* directpath features: what a VM loses with passthrough. */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

/* What each feature is and why a plain passthrough device takes it away. */
static const struct {
	const char *name;
	const char *title;
	const char *why;
} feature_docs[] = {
	{ "vmotion", "vMotion (live migration)",
	  "the device's state lives in the hardware and cannot be copied to another host" },
	{ "storage_vmotion", "Storage vMotion",
	  "moving the disks of a running VM briefly suspends it, and the device's state cannot be saved" },
	{ "fault_tolerance", "Fault Tolerance",
	  "a secondary VM must replay every input, and the device's DMA and interrupts bypass the hypervisor" },
	{ "hot_add", "device hot add",
	  "the DMA mappings and the device layout are set up at power-on and stay fixed while the VM runs" },
	{ "suspend_resume", "suspend and resume",
	  "the device's state lives in the hardware and cannot be saved to disk and restored" },
	{ "record_replay", "record and replay",
	  "the device writes guest memory by DMA and raises interrupts that the hypervisor cannot record" },
	{ "snapshot_memory", "snapshots with memory",
	  "a snapshot cannot capture the device's state or DMA in flight" },
	{ "memory_overcommit", "memory overcommit",
	  "all guest memory is pinned for DMA: none of it can be swapped, ballooned or shared" },
};

#define LOST_WITH "every plain passthrough device"

static void feature_doc(const char *name, const char **title, const char **why)
{
	*title = "-";
	*why = "-"; /* a newer library's feature */
	for (size_t i = 0; i < sizeof(feature_docs) / sizeof(feature_docs[0]); i++)
		if (strcmp(feature_docs[i].name, name) == 0) {
			*title = feature_docs[i].title;
			*why = feature_docs[i].why;
		}
}

int cmd_features(struct cli *cli, const char *arg)
{
	struct json_object *arr = NULL;

	(void)arg;
	if (cli->opts & OPT_JSON) {
		arr = json_object_new_array();
		if (!arr)
			return oom();
	} else {
		printf("Each of these features is lost to a VM with %s.\n\n",
		       LOST_WITH);
		printf("%-18s  %-24s  %s\n", "FEATURE", "WHAT", "WHY IT IS LOST");
	}
	for (unsigned bit = 0; bit < 32; bit++) {
		const char *name = dp_feature_name(1u << bit), *title, *why;
		struct json_object *o;
		int e = 0;

		if (!name)
			continue;
		feature_doc(name, &title, &why);
		if (!arr) {
			printf("%-18s  %-24s  %s\n", name, title, why);
			continue;
		}
		o = json_object_new_object();
		if (o) {
			e |= jadd_str(o, "feature", name);
			e |= jadd_uint(o, "bit", 1u << bit);
			e |= jadd_str(o, "title", title);
			e |= jadd_str(o, "lost_with", LOST_WITH);
			e |= jadd_str(o, "why", why);
		}
		if (e || jarray_add(arr, o)) {
			if (e)
				json_object_put(o);
			json_object_put(arr);
			return oom();
		}
	}
	return arr ? json_print(arr) : EXIT_OK;
}
