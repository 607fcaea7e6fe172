/* SPDX-License-Identifier: MIT */
/*
 * File descriptors from a manager (dp_handoff(3)): the manager passes the
 * gate and opens the VFIO nodes a VM needs (handoff-open.c), sends them in
 * one SCM_RIGHTS message with a description (handoff-desc.c); the VMM
 * receives, parses and verifies each fd against it without opening any
 * node itself (handoff-recv.c, handoff-verify.c), and dp_attach takes the
 * fds and adopts the leases (handoff-attach.c).
 */
#ifndef DP_HANDOFF_H
#define DP_HANDOFF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "inventory.h"
#include "resetmethod.h"
#include "vm.h"

/* The description's first line, and the one version this library writes and reads. */
#define DP_HANDOFF_MAGIC "directpath-handoff"
#define DP_HANDOFF_VERSION 1
/* Linux's SCM_MAX_FD: the most fds one SCM_RIGHTS message carries. */
#define DP_HANDOFF_FDS_MAX 253
/* The longest description: every line at its longest, with room to spare. */
#define DP_HANDOFF_DESC_MAX 8192

/* One fd of the message, in the message's order. */
struct dp_handoff_fd {
	uint32_t role;           /* DP_HANDOFF_FD_* */
	int group;               /* DP_HANDOFF_FD_GROUP; -1 otherwise */
	char bdf[DP_BDF_LEN];    /* DEVICE and LEASE: the BDF; GROUP: its number; "" otherwise */
	int fd;                  /* -1: none yet, or taken */
};

/* What a description says: the header and one entry per fd. */
struct dp_handoff_desc {
	uint32_t backend;        /* DP_BACKEND_TYPE1 or DP_BACKEND_IOMMUFD */
	char vm_name[DP_VM_NAME_MAX + 1];
	bool add;                /* an addition (dp_handoff_open_device): one device, no container or iommufd */
	struct dp_handoff_fd *fds;
	size_t n_fds;
};

struct dp_handoff {
	struct dp_ctx *ctx;
	struct dp_handoff_desc d;
	/* The devices in the VM's order: each one's lease entry in d.fds. */
	size_t *devices;
	size_t n_devices;
	/* The manager's side: the leases until sent, and the reset orders it wrote. */
	struct dp_lease **leases;
	char (*reset_saved)[DP_RESET_LIST_MAX];
	bool *reset_written;
	bool sent;               /* the leases and fds live on in the receiver */
	char *text;              /* the description as sent or received */
};

/*
 * The description of d as text (dp_handoff(3), "DESCRIPTION FORMAT") into a
 * new string; 0 or -ENOMEM, -EINVAL when d breaks the grammar (why says it).
 */
int dp_handoff_desc_format(const struct dp_handoff_desc *d, char **out, char *why, size_t size);
/*
 * Parses len bytes of untrusted text into *d (fds all -1); 0, or -EBADMSG
 * (malformed), -EPROTONOSUPPORT (another version), -ENOMEM, with the
 * reason in why. Checks the grammar and the whole: one container with
 * groups (type1) or one iommufd with devices (iommufd), a lease per device,
 * nothing twice; an addition ("add"): one device, its group's fd (type1)
 * or its node (iommufd) and its lease, no container, no iommufd.
 */
int dp_handoff_desc_parse(const char *text, size_t len, struct dp_handoff_desc *d, char *why,
			  size_t size);
void dp_handoff_desc_fini(struct dp_handoff_desc *d);

/* An entry appended to d (fd -1); 0 or -ENOMEM, -E2BIG past DP_HANDOFF_FDS_MAX. */
int dp_handoff_desc_add(struct dp_handoff_desc *d, uint32_t role, int group, const char *bdf);

/* A new handoff of ctx's with no entries; NULL when out of memory. */
struct dp_handoff *dp_handoff_alloc(struct dp_ctx *ctx);
/* h->devices from its lease entries, in order; 0 or -ENOMEM. */
int dp_handoff_index_devices(struct dp_handoff *h);

/*
 * Checks each received fd against its entry, without opening any device
 * node: its character device number against sysfs's for the container,
 * the iommufd, a group and a device; a lease is adopted later
 * (dp_lease_adopt), here only checked to be a regular file. 0, or -errno,
 * logged naming the entry.
 */
int dp_handoff_verify(struct dp_handoff *h);

/*
 * Takes the entry's fd out of h (role, and group or bdf as it has): the
 * fd, or -ENOENT when h has no such entry or it was taken already.
 */
int dp_handoff_take(struct dp_handoff *h, uint32_t role, int group, const char *bdf);

struct dp_gate;
/*
 * dp_attach's gate from a handoff: the VM (its name, its devices in order)
 * must be the handoff's, and backend (DP_BACKEND_*, auto allowed) its
 * backend; refreshes those functions in the inventory and adopts their
 * leases. No rule is checked: the manager checked them in dp_handoff_open,
 * and the fds are what it allowed. 0 and *g, or -errno, logged.
 */
int dp_handoff_gate(struct dp_handoff *h, const struct dp_vm *vm, uint32_t backend,
		    struct dp_gate *g);

/*
 * The index of the entry's fd in h.d.fds (role, and group or bdf as it has),
 * left in h; -ENOENT when h has no such entry or its fd was taken.
 */
int dp_handoff_find(const struct dp_handoff *h, uint32_t role, int group, const char *bdf);

struct dp_attachment;
struct dp_vdev;
/*
 * dp_attach's fds from its handoff (att->opts.handoff, att->backend set),
 * before the backend opens anything: type1's container (adopted: checked
 * as one opened here) and its groups' fds; iommufd's /dev/iommu. 0, or
 * -errno logged; what was taken is att's, closed by its teardown.
 */
int dp_handoff_attach_fds(struct dp_attachment *att);
/* The device's node under iommufd, into v->fd right before its open; 0 otherwise. */
int dp_handoff_attach_device(struct dp_attachment *att, struct dp_vdev *v);

#endif
