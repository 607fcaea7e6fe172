/* SPDX-License-Identifier: MIT */
/*
 * Fault injection for the backend's kernel calls, in the style of kmod's
 * testsuite: the test program defines ioctl, open, openat and mmap, which
 * interpose on libc's for the library too, and the Nth call after arming
 * fails with a chosen errno.
 */
#ifndef DP_FAULT_H
#define DP_FAULT_H

/* The nth call from now fails with err (n >= 1); 0 counts without failing. */
void dp_fault_arm(long nth, int err);
/* Stops; returns how many calls were made while armed. */
long dp_fault_disarm(void);
/* The kind of call that was made to fail ("ioctl", "open", "openat", "mmap"), or NULL. */
const char *dp_fault_failed_kind(void);
/* The ioctl request that was made to fail, when it was an ioctl. */
unsigned long dp_fault_failed_request(void);

#endif
