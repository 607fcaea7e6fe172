/* SPDX-License-Identifier: MIT */
#include <check.h>
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "fault.h"
#include "faultstate.h"

void dp_fault_state_get(struct dp_fault_state *s, int vm_fd)
{
	DIR *d = opendir("/proc/self/fd");
	FILE *f = fopen("/proc/self/maps", "re");
	struct dirent *e;
	char line[512];

	memset(s, 0, sizeof(*s));
	ck_assert_ptr_nonnull(d);
	ck_assert_ptr_nonnull(f);
	while ((e = readdir(d))) {
		char path[300], link[256];
		ssize_t n;

		if (e->d_name[0] == '.')
			continue;
		s->fds++;
		snprintf(path, sizeof(path), "/proc/self/fd/%s", e->d_name);
		n = readlink(path, link, sizeof(link) - 1);
		if (n > 0) {
			link[n] = '\0';
			s->eventfds += strcmp(link, "anon_inode:[eventfd]") == 0;
		}
	}
	closedir(d);
	while (fgets(line, sizeof(line), f)) {
		/*
		 * Not malloc's brk area: grown in check's forked child, its new part is a
		 * VMA of its own, and a grown heap is no leak (valgrind and ASan see leaks).
		 */
		if (strstr(line, "[heap]"))
			continue;
		s->maps++;
		s->vfio_maps += strstr(line, "vfio") != NULL;
	}
	fclose(f);
	if (vm_fd < 0)
		return;
	s->slots = dp_fault_kvm_slots(vm_fd, 0, UINT32_MAX);
	s->irqfds = dp_fault_kvm_irqfds(vm_fd, NULL);
	s->routes = dp_fault_kvm_msi_routes(vm_fd, 0, UINT32_MAX);
}

void dp_fault_state_same_but(const struct dp_fault_state *b, const struct dp_fault_state *a,
			     const char *what, bool maps_may_stay)
{
	ck_assert_msg(a->fds == b->fds, "%s: %d fds left (%d eventfds)", what, a->fds - b->fds,
		      a->eventfds - b->eventfds);
	ck_assert_msg(a->eventfds == b->eventfds, "%s: %d eventfds left", what,
		      a->eventfds - b->eventfds);
	ck_assert_msg(maps_may_stay || a->vfio_maps == b->vfio_maps, "%s: %d VFIO mappings left",
		      what, a->vfio_maps - b->vfio_maps);
	ck_assert_msg(maps_may_stay || a->maps == b->maps, "%s: %d mappings left", what,
		      a->maps - b->maps);
	ck_assert_msg(a->slots == b->slots, "%s: %d memory slots left", what,
		      (int)a->slots - (int)b->slots);
	ck_assert_msg(a->irqfds == b->irqfds, "%s: %d irqfds left", what,
		      (int)a->irqfds - (int)b->irqfds);
	ck_assert_msg(a->routes == b->routes, "%s: %d MSI routes left", what,
		      (int)a->routes - (int)b->routes);
}
