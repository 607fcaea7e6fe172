/* SPDX-License-Identifier: MIT */
/*
 * Fault injection for the backend's kernel calls, in the style of kmod's
 * testsuite: the test program defines ioctl, open, openat, mmap and eventfd,
 * which interpose on libc's for the library too, and the Nth call after
 * arming fails with a chosen errno.
 *
 * The interposed ioctl also follows, armed or not, the KVM state the calls
 * leave behind as the VMM side can see it: memory slots registered and not
 * deleted, irqfds assigned and not deassigned (nor their eventfd closed:
 * close is followed too, never failed), and the MSI entries of the last GSI
 * routing table KVM accepted.
 */
#ifndef DP_FAULT_H
#define DP_FAULT_H

#include <stdint.h>

/* err for dp_fault_arm: the failing call's own errno (EEXIST for a new slot, EBUSY for an irqfd...). */
#define DP_FAULT_PLAUSIBLE (-1)

/* The nth call from now fails with err (n >= 1); 0 counts without failing. */
void dp_fault_arm(long nth, int err);
/*
 * The next ioctl req fails with err, once, beside dp_fault_arm's count (it is
 * not counted, nor reported by dp_fault_failed_*); dp_fault_disarm drops it.
 */
void dp_fault_arm_ioctl(unsigned long req, int err);
/* Stops; returns how many calls were made while armed. */
long dp_fault_disarm(void);
/* The kind of call that was made to fail ("ioctl", "open", "openat", "mmap", "eventfd"), or NULL. */
const char *dp_fault_failed_kind(void);
/* The ioctl request that was made to fail, when it was an ioctl. */
unsigned long dp_fault_failed_request(void);
/* The failed call for a message, e.g. "ioctl KVM_IRQFD (deassign GSI 32)"; "" when none failed. */
const char *dp_fault_failed_name(void);
/* The errno the failed call returned. */
int dp_fault_failed_errno(void);
/* True when the failed call undoes something (deletes a slot, deassigns, disables, unmaps). */
int dp_fault_failed_undoes(void);

/* Forgets the KVM state followed so far (a new VM). */
void dp_fault_kvm_reset(void);
/* Memory slots of VM fd vm in [base, base + count) registered with a size and not deleted. */
unsigned dp_fault_kvm_slots(int vm, uint32_t base, uint32_t count);
/* irqfds of VM fd vm assigned and not deassigned; the first one's GSI in *gsi (if not NULL). */
unsigned dp_fault_kvm_irqfds(int vm, uint32_t *gsi);
/*
 * irqfds whose eventfd was closed while still assigned (KVM then drops them
 * itself) since the last call; they are not counted by dp_fault_kvm_irqfds.
 */
unsigned dp_fault_kvm_irqfds_closed(void);
/* MSI entries with a GSI in [base, base + count) in VM fd vm's last accepted routing table. */
unsigned dp_fault_kvm_msi_routes(int vm, uint32_t base, uint32_t count);

#endif
